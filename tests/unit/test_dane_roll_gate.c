/*
 * test_dane_roll_gate.c -- rollover check/status decisions: which TLSA
 * RRset the RFC 7672 host policy lets rollover judge (a table of lookup
 * results run through dane_policy_tlsa_plan()/dane_policy_decide() as the
 * engine runs them), the check against a new key, and the exit ranking.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dane_roll_gate.h"

typedef struct fake {
	int status;              /* dns_status; -1: not looked up */
	dns_security security;
	const char *canonical;   /* NULL: same as qname */
	bool local;              /* the prober's own outage */
} fake;

static uint8_t digest[32] = { 0x42 };

static dns_answer *
make(const char *qname, uint16_t qtype, const fake *f)
{
	dns_answer *a;

	if (f->status < 0)
		return NULL;
	a = calloc(1, sizeof(*a));
	cr_assert_not_null(a);
	a->qname = strdup(qname);
	a->canonical_name = strdup(f->canonical ? f->canonical : qname);
	a->qtype = qtype;
	a->status = (dns_status)f->status;
	a->security = f->security;
	a->local_failure = f->local;
	a->ttl = 300;
	if (f->local)
		snprintf(a->reason, sizeof(a->reason), "no server answered");
	if (a->status != DNS_STATUS_OK)
		return a;
	a->count = 1;
	if (qtype == DNS_TYPE_TLSA) {
		a->tlsa = calloc(1, sizeof(*a->tlsa));
		a->tlsa[0].usage = 3;
		a->tlsa[0].selector = 1;
		a->tlsa[0].mtype = 1;
		a->tlsa[0].len = sizeof(digest);
		a->tlsa[0].data = malloc(sizeof(digest));
		memcpy(a->tlsa[0].data, digest, sizeof(digest));
	} else {
		a->addrs = calloc(1, sizeof(*a->addrs));
		a->addrs[0].family = qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
	}
	return a;
}

#define SEC { DNS_STATUS_OK, DNS_SECURITY_SECURE, NULL, false }
#define INSEC { DNS_STATUS_OK, DNS_SECURITY_INSECURE, NULL, false }
#define NODATA { DNS_STATUS_NODATA, DNS_SECURITY_SECURE, NULL, false }
#define BOGUS { DNS_STATUS_OK, DNS_SECURITY_BOGUS, NULL, false }
#define SERVFAIL { DNS_STATUS_SERVFAIL, DNS_SECURITY_INSECURE, NULL, false }
#define LOCAL { DNS_STATUS_TIMEOUT, DNS_SECURITY_INDETERMINATE, NULL, true }
#define CNAME { DNS_STATUS_OK, DNS_SECURITY_SECURE, "real.example", false }
#define NOT { -1, 0, NULL, false }

typedef struct gate_case {
	const char *name;
	fake a, aaaa, tlsa[2];   /* tlsa[i] answers plan.names[i] */
	dane_roll_result want;
	const char *want_qname;  /* the TLSA answer judged; NULL: none */
	const char *reason_has;
} gate_case;

static const gate_case cases[] = {
	{ "secure addresses, secure TLSA", SEC, NODATA, { SEC, NOT },
	  DANE_ROLL_RESULT_PASS, "_25._tcp.mx.example", "" },
	{ "no TLSA records", SEC, NODATA, { NODATA, NOT },
	  DANE_ROLL_RESULT_FAIL, "_25._tcp.mx.example", "no TLSA records at" },
	{ "insecure TLSA", SEC, NODATA, { INSEC, NOT },
	  DANE_ROLL_RESULT_FAIL, "_25._tcp.mx.example",
	  "the TLSA RRset is insecure" },
	{ "bogus TLSA", SEC, NODATA, { BOGUS, NOT },
	  DANE_ROLL_RESULT_RETRY, "_25._tcp.mx.example", "DNSSEC-bogus" },
	{ "TLSA SERVFAIL", SEC, NODATA, { SERVFAIL, NOT },
	  DANE_ROLL_RESULT_RETRY, "_25._tcp.mx.example", "TLSA lookup failed" },
	/* RFC 7672 2.2.2: insecure addresses, no TLSA lookup at all. */
	{ "insecure addresses", INSEC, NODATA, { NOT, NOT },
	  DANE_ROLL_RESULT_FAIL, NULL, "not DNSSEC-signed" },
	{ "bogus address", BOGUS, NODATA, { NOT, NOT },
	  DANE_ROLL_RESULT_RETRY, NULL, "no TLSA lookup: A lookup" },
	{ "no addresses", NODATA, NODATA, { NOT, NOT },
	  DANE_ROLL_RESULT_FAIL, NULL, "has no A or AAAA records" },
	{ "DNS unreachable from here", LOCAL, LOCAL, { NOT, NOT },
	  DANE_ROLL_RESULT_LOCAL, NULL, "DNS unreachable from here" },
	/* A CNAME'd host: the expanded name's secure RRset is judged. */
	{ "CNAME, TLSA at the target", CNAME, NODATA, { SEC, NOT },
	  DANE_ROLL_RESULT_PASS, "_25._tcp.real.example", "" },
	{ "CNAME, TLSA at the original name", CNAME, NODATA,
	  { NODATA, SEC }, DANE_ROLL_RESULT_PASS, "_25._tcp.mx.example", "" },
	{ "CNAME, no TLSA anywhere", CNAME, NODATA, { NODATA, NODATA },
	  DANE_ROLL_RESULT_FAIL, "_25._tcp.mx.example", "no TLSA records" },
};

static void
run_case(const gate_case *c)
{
	dns_answer *a = make("mx.example", DNS_TYPE_A, &c->a);
	dns_answer *aaaa = make("mx.example", DNS_TYPE_AAAA, &c->aaaa);
	dns_answer *t[2] = { NULL, NULL };
	const dns_answer *ct[2], *judged = NULL;
	dane_tlsa_plan plan;
	dane_host_policy pol;
	char why[400], qname[300];

	dane_policy_tlsa_plan(DANE_MX_SECURE, "mx.example", a, aaaa, &plan);
	for (size_t i = 0; i < plan.n; i++) {
		snprintf(qname, sizeof(qname), "_25._tcp.%s", plan.names[i]);
		t[i] = make(qname, DNS_TYPE_TLSA, &c->tlsa[i]);
		if (!dane_policy_need_next(t[i]))
			break;
	}
	ct[0] = t[0];
	ct[1] = t[1];
	dane_policy_decide(&plan, ct, &pol);
	cr_expect_eq(dane_roll_gate_host(a, aaaa, &plan, &pol, ct, &judged,
	    why, sizeof(why)), c->want, "%s: got %s (%s)", c->name,
	    dane_roll_result_name(dane_roll_gate_host(a, aaaa, &plan, &pol,
	    ct, &judged, why, sizeof(why))), why);
	if (c->want_qname == NULL)
		cr_expect_null(judged, "%s: judged %s", c->name,
		    judged ? judged->qname : "");
	else
		cr_expect(judged != NULL && strcmp(judged->qname,
		    c->want_qname) == 0, "%s: judged %s", c->name,
		    judged ? judged->qname : "(none)");
	cr_expect_not_null(strstr(why, c->reason_has), "%s: reason \"%s\"",
	    c->name, why);
	dns_answer_free(a);
	dns_answer_free(aaaa);
	dns_answer_free(t[0]);
	dns_answer_free(t[1]);
}

/* One process for the table: the cases hold pointers. */
Test(roll_gate, host_policy_decides_which_rrset_is_judged)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

static void
key_chain(uint8_t byte, dane_chain_digests *ch)
{
	memset(ch, 0, sizeof(*ch));
	memset(ch->cert[0].spki_sha256, byte, 32);
	ch->cert[0].on_path = true;
	ch->n = ch->sent = 1;
}

Test(roll_gate, check_passes_when_a_record_matches_the_new_key)
{
	fake f = SEC;
	dns_answer *t = make("_25._tcp.mx.example", DNS_TYPE_TLSA, &f);
	dane_chain_digests ch;
	dane_roll_new id = { &ch, NULL, false, "key" };
	dane_rollover_report rep;
	char why[400];

	memset(t->tlsa[0].data, 0x11, 32);
	key_chain(0x11, &ch);
	cr_assert_eq(dane_roll_check(t, "mx.example", &id, 1000, &rep, why,
	    sizeof(why)), DANE_ROLL_RESULT_PASS, "%s", why);
	cr_expect_str_eq(why, "1 usable TLSA record matches the new key");
	dns_answer_free(t);
}

Test(roll_gate, check_fails_and_names_the_record_to_publish)
{
	fake f = SEC;
	dns_answer *t = make("_25._tcp.mx.example", DNS_TYPE_TLSA, &f);
	dane_chain_digests ch;
	dane_roll_new id = { &ch, NULL, false, "key" };
	dane_rollover_report rep;
	char why[400];

	key_chain(0x22, &ch);
	cr_assert_eq(dane_roll_check(t, "mx.example", &id, 1000, &rep, why,
	    sizeof(why)), DANE_ROLL_RESULT_FAIL);
	cr_expect_not_null(strstr(why, "publish 3 1 1 2222222222"), "%s", why);
	dns_answer_free(t);
}

Test(roll_gate, status_passes_only_a_robust_rrset)
{
	dane_rollover_report rep;

	memset(&rep, 0, sizeof(rep));
	rep.verdict = DANE_ROLL_ROBUST;
	cr_expect_eq(dane_roll_status_result(&rep), DANE_ROLL_RESULT_PASS);
	rep.verdict = DANE_ROLL_FRAGILE;
	cr_expect_eq(dane_roll_status_result(&rep), DANE_ROLL_RESULT_FAIL);
}

Test(roll_gate, a_failure_outranks_the_probers_outage_which_outranks_retry)
{
	cr_expect_eq(dane_roll_result_worse(DANE_ROLL_RESULT_LOCAL,
	    DANE_ROLL_RESULT_FAIL), DANE_ROLL_RESULT_FAIL);
	cr_expect_eq(dane_roll_result_worse(DANE_ROLL_RESULT_RETRY,
	    DANE_ROLL_RESULT_LOCAL), DANE_ROLL_RESULT_LOCAL);
	cr_expect_eq(dane_roll_result_worse(DANE_ROLL_RESULT_PASS,
	    DANE_ROLL_RESULT_RETRY), DANE_ROLL_RESULT_RETRY);
	cr_expect_eq(dane_roll_result_worse(DANE_ROLL_RESULT_FAIL,
	    DANE_ROLL_RESULT_RETRY), DANE_ROLL_RESULT_FAIL);
	cr_expect_str_eq(dane_roll_result_word(DANE_ROLL_RESULT_LOCAL),
	    "UNKNOWN");
	cr_expect_str_eq(dane_roll_result_name(DANE_ROLL_RESULT_FAIL), "fail");
}
