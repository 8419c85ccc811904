/*
 * test_dane_policy.c -- RFC 7672 host policy as a table of lookup results.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "policy/dane_policy.h"

/* A hand-made answer; static storage keeps the table readable. */
typedef struct fake {
	dns_status status;
	dns_security security;
	const char *canonical;   /* NULL: same as qname */
	int n_usable, n_pkix;    /* TLSA only */
} fake;

static uint8_t digest[32];

static dns_answer *
make(const char *qname, uint16_t qtype, const fake *f)
{
	dns_answer *a = calloc(1, sizeof(*a));

	cr_assert_not_null(a);
	a->qname = strdup(qname);
	a->canonical_name = strdup(f->canonical ? f->canonical : qname);
	a->qtype = qtype;
	a->status = f->status;
	a->security = f->security;
	if (f->status != DNS_STATUS_OK)
		return a;
	if (qtype == DNS_TYPE_TLSA) {
		a->count = (size_t)(f->n_usable + f->n_pkix);
		a->tlsa = calloc(a->count, sizeof(*a->tlsa));
		for (size_t i = 0; i < a->count; i++) {
			a->tlsa[i].usage = (int)i < f->n_usable ? 3 : 1;
			a->tlsa[i].selector = 1;
			a->tlsa[i].mtype = 1;
			a->tlsa[i].len = sizeof(digest);
			a->tlsa[i].data = malloc(sizeof(digest));
			memcpy(a->tlsa[i].data, digest, sizeof(digest));
		}
	} else {
		a->count = 1;
		a->addrs = calloc(1, sizeof(*a->addrs));
		a->addrs[0].family = qtype == DNS_TYPE_A ? AF_INET : AF_INET6;
	}
	return a;
}

#define OK_SEC { DNS_STATUS_OK, DNS_SECURITY_SECURE, NULL, 1, 0 }
#define OK_INSEC { DNS_STATUS_OK, DNS_SECURITY_INSECURE, NULL, 1, 0 }
#define NODATA_SEC { DNS_STATUS_NODATA, DNS_SECURITY_SECURE, NULL, 0, 0 }
#define NXD_SEC { DNS_STATUS_NXDOMAIN, DNS_SECURITY_SECURE, NULL, 0, 0 }
#define NODATA_INSEC { DNS_STATUS_NODATA, DNS_SECURITY_INSECURE, NULL, 0, 0 }
#define BOGUS { DNS_STATUS_OK, DNS_SECURITY_BOGUS, NULL, 1, 0 }
#define SERVFAIL { DNS_STATUS_SERVFAIL, DNS_SECURITY_INSECURE, NULL, 0, 0 }
#define TIMEOUT { DNS_STATUS_TIMEOUT, DNS_SECURITY_INDETERMINATE, NULL, 0, 0 }
#define PKIX_ONLY { DNS_STATUS_OK, DNS_SECURITY_SECURE, NULL, 0, 2 }
#define MIXED { DNS_STATUS_OK, DNS_SECURITY_SECURE, NULL, 1, 1 }
#define NONE_ { -1, 0, NULL, 0, 0 }

typedef struct policy_case {
	const char *name;
	dane_mx_status mx;
	fake a, aaaa;            /* status -1: not looked up */
	fake tlsa[2];            /* status -1: not looked up */
	size_t want_plan;        /* number of TLSA names planned */
	dane_level want;
	const char *want_base;   /* "" for none */
	const char *reason_has;
} policy_case;

#define H "mx.example"
#define CN "real.example"

static const policy_case cases[] = {
	{ "secure MX, secure A, usable TLSA", DANE_MX_SECURE, OK_SEC, NODATA_SEC,
	  { OK_SEC, NONE_ }, 1, DANE_LEVEL_REQUIRED, H, "usable" },
	{ "insecure MX, secure host: DANE still applies (2.2.1)",
	  DANE_MX_INSECURE, OK_SEC, NONE_, { OK_SEC, NONE_ }, 1,
	  DANE_LEVEL_REQUIRED, H, "usable" },
	{ "insecure MX, insecure host: no DANE", DANE_MX_INSECURE, OK_INSEC,
	  NONE_, { NONE_, NONE_ }, 0, DANE_LEVEL_NONE, "", "address records" },
	{ "implicit MX, secure denial", DANE_MX_IMPLICIT_SECURE, OK_SEC, NONE_,
	  { OK_SEC, NONE_ }, 1, DANE_LEVEL_REQUIRED, H, "usable" },
	{ "implicit MX, insecure denial, insecure A", DANE_MX_IMPLICIT_INSECURE,
	  OK_INSEC, NONE_, { NONE_, NONE_ }, 0, DANE_LEVEL_NONE, "",
	  "not DNSSEC" },
	{ "insecure A: no TLSA lookup (2.2.2)", DANE_MX_SECURE, OK_INSEC, NONE_,
	  { NONE_, NONE_ }, 0, DANE_LEVEL_NONE, "", "address records" },
	{ "secure A + insecure AAAA: no DANE", DANE_MX_SECURE, OK_SEC, OK_INSEC,
	  { NONE_, NONE_ }, 0, DANE_LEVEL_NONE, "", "address records" },
	{ "no addresses at all: host fails", DANE_MX_SECURE, NODATA_SEC,
	  NODATA_SEC, { NONE_, NONE_ }, 0, DANE_LEVEL_FAIL, "", "no A or AAAA" },
	{ "address lookups fail: host fails", DANE_MX_SECURE, SERVFAIL, TIMEOUT,
	  { NONE_, NONE_ }, 0, DANE_LEVEL_FAIL, "", "A lookup for mx.example failed" },
	{ "bogus AAAA, secure A: go on with A", DANE_MX_SECURE, OK_SEC, BOGUS,
	  { OK_SEC, NONE_ }, 1, DANE_LEVEL_REQUIRED, H, "usable" },
	{ "secure NODATA TLSA: no DANE", DANE_MX_SECURE, OK_SEC, NONE_,
	  { NODATA_SEC, NONE_ }, 1, DANE_LEVEL_NONE, "", "secure denial" },
	{ "secure NXDOMAIN TLSA: no DANE", DANE_MX_SECURE, OK_SEC, NONE_,
	  { NXD_SEC, NONE_ }, 1, DANE_LEVEL_NONE, "", "secure denial" },
	{ "insecure TLSA: no DANE", DANE_MX_SECURE, OK_SEC, NONE_,
	  { NODATA_INSEC, NONE_ }, 1, DANE_LEVEL_NONE, "", "insecure" },
	{ "bogus TLSA: fail", DANE_MX_SECURE, OK_SEC, NONE_,
	  { BOGUS, NONE_ }, 1, DANE_LEVEL_FAIL, "", "bogus" },
	{ "SERVFAIL TLSA: fail", DANE_MX_SECURE, OK_SEC, NONE_,
	  { SERVFAIL, NONE_ }, 1, DANE_LEVEL_FAIL, "", "servfail" },
	{ "timed-out TLSA: fail", DANE_MX_SECURE, OK_SEC, NONE_,
	  { TIMEOUT, NONE_ }, 1, DANE_LEVEL_FAIL, "", "timeout" },
	{ "only PKIX records: encrypt-only (3.1.3)", DANE_MX_SECURE, OK_SEC,
	  NONE_, { PKIX_ONLY, NONE_ }, 1, DANE_LEVEL_ENCRYPT_ONLY, H, "unusable" },
	{ "PKIX + DANE-EE: required", DANE_MX_SECURE, OK_SEC, NONE_,
	  { MIXED, NONE_ }, 1, DANE_LEVEL_REQUIRED, H, "1 usable" },
	{ "CNAME: TLSA at expanded name wins", DANE_MX_SECURE,
	  { DNS_STATUS_OK, DNS_SECURITY_SECURE, CN, 0, 0 }, NONE_,
	  { OK_SEC, NONE_ }, 2, DANE_LEVEL_REQUIRED, CN, CN },
	{ "CNAME: expanded denied, original used", DANE_MX_SECURE,
	  { DNS_STATUS_OK, DNS_SECURITY_SECURE, CN, 0, 0 }, NONE_,
	  { NODATA_SEC, OK_SEC }, 2, DANE_LEVEL_REQUIRED, H, H },
	{ "CNAME: expanded insecure, original used", DANE_MX_SECURE,
	  { DNS_STATUS_OK, DNS_SECURITY_SECURE, CN, 0, 0 }, NONE_,
	  { NODATA_INSEC, OK_SEC }, 2, DANE_LEVEL_REQUIRED, H, H },
	{ "CNAME: expanded bogus is a failure", DANE_MX_SECURE,
	  { DNS_STATUS_OK, DNS_SECURITY_SECURE, CN, 0, 0 }, NONE_,
	  { BOGUS, NONE_ }, 2, DANE_LEVEL_FAIL, "", CN },
	{ "CNAME: neither name has TLSA", DANE_MX_SECURE,
	  { DNS_STATUS_OK, DNS_SECURITY_SECURE, CN, 0, 0 }, NONE_,
	  { NODATA_SEC, NXD_SEC }, 2, DANE_LEVEL_NONE, "", "DANE does not apply" },
};

static void
run_case(const policy_case *c)
{
	dns_answer *a = c->a.status == (dns_status)-1 ? NULL
	    : make(H, DNS_TYPE_A, &c->a);
	dns_answer *aaaa = c->aaaa.status == (dns_status)-1 ? NULL
	    : make(H, DNS_TYPE_AAAA, &c->aaaa);
	dns_answer *t[2] = { NULL, NULL };
	dane_tlsa_plan plan;
	dane_host_policy pol;

	dane_policy_tlsa_plan(c->mx, H, a, aaaa, &plan);
	cr_assert_eq(plan.n, c->want_plan, "%s: planned %zu TLSA names",
	    c->name, plan.n);
	for (size_t i = 0; i < plan.n; i++) {
		if (c->tlsa[i].status == (dns_status)-1)
			break;
		t[i] = make(plan.names[i], DNS_TYPE_TLSA, &c->tlsa[i]);
		if (!dane_policy_need_next(t[i]))
			break;
	}
	dane_policy_decide(&plan, (const dns_answer *const *)t, &pol);
	cr_expect_eq(pol.level, c->want, "%s: level %s, want %s (%s)", c->name,
	    dane_level_name(pol.level), dane_level_name(c->want), pol.reason);
	cr_expect_str_eq(pol.base_domain, c->want_base, "%s: base %s", c->name,
	    pol.base_domain);
	cr_expect_not_null(strstr(pol.reason, c->reason_has),
	    "%s: reason \"%s\" lacks \"%s\"", c->name, pol.reason,
	    c->reason_has);
	dns_answer_free(a);
	dns_answer_free(aaaa);
	dns_answer_free(t[0]);
	dns_answer_free(t[1]);
}

Test(dane_policy, table_of_rfc7672_cases)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
}

Test(dane_policy, cname_plan_orders_expanded_name_first)
{
	fake f = { DNS_STATUS_OK, DNS_SECURITY_SECURE, CN, 0, 0 };
	dns_answer *a = make(H, DNS_TYPE_A, &f);
	dane_tlsa_plan plan;

	dane_policy_tlsa_plan(DANE_MX_SECURE, H, a, NULL, &plan);
	cr_assert_eq(plan.n, 2);
	cr_expect_str_eq(plan.names[0], CN);
	cr_expect_str_eq(plan.names[1], H);
	dns_answer_free(a);
}

Test(dane_policy, need_next_only_after_denial_or_insecure)
{
	fake sec = OK_SEC, den = NODATA_SEC, ins = NODATA_INSEC, bog = BOGUS,
	    sf = SERVFAIL;
	dns_answer *x;

	cr_expect(dane_policy_need_next(NULL));
	x = make("n", DNS_TYPE_TLSA, &sec);
	cr_expect_not(dane_policy_need_next(x));
	dns_answer_free(x);
	x = make("n", DNS_TYPE_TLSA, &den);
	cr_expect(dane_policy_need_next(x));
	dns_answer_free(x);
	x = make("n", DNS_TYPE_TLSA, &ins);
	cr_expect(dane_policy_need_next(x));
	dns_answer_free(x);
	x = make("n", DNS_TYPE_TLSA, &bog);
	cr_expect_not(dane_policy_need_next(x));
	dns_answer_free(x);
	x = make("n", DNS_TYPE_TLSA, &sf);
	cr_expect_not(dane_policy_need_next(x));
	dns_answer_free(x);
}

Test(dane_policy, level_names)
{
	cr_expect_str_eq(dane_level_name(DANE_LEVEL_NONE), "none");
	cr_expect_str_eq(dane_level_name(DANE_LEVEL_REQUIRED), "required");
	cr_expect_str_eq(dane_level_name(DANE_LEVEL_ENCRYPT_ONLY),
	    "encrypt-only");
	cr_expect_str_eq(dane_level_name(DANE_LEVEL_FAIL), "fail");
}

/* With -p 2525 the engine asks for _2525._tcp.HOST: every reason names
 * that owner, never _25 (TLSA owner names follow the port, RFC 6698 3). */
Test(dane_policy, reasons_name_the_owner_of_the_port_looked_up)
{
	static const fake tl[] = { OK_SEC, PKIX_ONLY, BOGUS, SERVFAIL,
	    NODATA_SEC };
	static const char *const want[] = {
	    "secure TLSA RRset at _2525._tcp.mx.example with 1 usable",
	    "secure TLSA RRset at _2525._tcp.mx.example has only unusable",
	    "TLSA lookup for _2525._tcp.mx.example is bogus",
	    "TLSA lookup for _2525._tcp.mx.example failed (servfail",
	    "denial of existence) at _2525._tcp.mx.example: DANE does not",
	};
	fake sec = OK_SEC;
	dns_answer *a = make(H, DNS_TYPE_A, &sec);
	dane_tlsa_plan plan;
	dane_host_policy pol;

	dane_policy_tlsa_plan(DANE_MX_SECURE, H, a, NULL, &plan);
	cr_assert_eq(plan.n, 1);
	for (size_t i = 0; i < sizeof(tl) / sizeof(tl[0]); i++) {
		dns_answer *t[2] = { make("_2525._tcp." H, DNS_TYPE_TLSA,
		    &tl[i]), NULL };

		dane_policy_decide(&plan, (const dns_answer *const *)t, &pol);
		cr_expect_not_null(strstr(pol.reason, want[i]),
		    "reason \"%s\" lacks \"%s\"", pol.reason, want[i]);
		cr_expect_null(strstr(pol.reason, "_25."), "reason \"%s\" "
		    "names port 25", pol.reason);
		dns_answer_free(t[0]);
	}
	dns_answer_free(a);
}

Test(dane_policy, cname_reason_names_both_owners_of_the_port)
{
	fake f = { DNS_STATUS_OK, DNS_SECURITY_SECURE, CN, 0, 0 };
	fake den = NODATA_SEC, nxd = NXD_SEC;
	dns_answer *a = make(H, DNS_TYPE_A, &f);
	dns_answer *t[2] = { make("_587._tcp." CN, DNS_TYPE_TLSA, &den),
	    make("_587._tcp." H, DNS_TYPE_TLSA, &nxd) };
	dane_tlsa_plan plan;
	dane_host_policy pol;

	dane_policy_tlsa_plan(DANE_MX_SECURE, H, a, NULL, &plan);
	cr_assert_eq(plan.n, 2);
	dane_policy_decide(&plan, (const dns_answer *const *)t, &pol);
	cr_expect_not_null(strstr(pol.reason, "at _587._tcp." H " or "
	    "_587._tcp." CN ": DANE does not apply"), "reason: %s",
	    pol.reason);
	dns_answer_free(a);
	dns_answer_free(t[0]);
	dns_answer_free(t[1]);
}

/* RFC 7672 2.2.1: which (MX status, host level) pairs leave TLSA records
 * that a forged MX RRset makes worthless.  The whole table. */
Test(dane_policy, insecure_mx_voids_only_hosts_with_tlsa)
{
	static const struct {
		dane_mx_status mx;
		bool voided[4]; /* by dane_level: none required encrypt fail */
	} t[] = {
		{ DANE_MX_SECURE, { false, false, false, false } },
		{ DANE_MX_INSECURE, { false, true, true, false } },
		{ DANE_MX_IMPLICIT_SECURE, { false, false, false, false } },
		{ DANE_MX_IMPLICIT_INSECURE, { false, true, true, false } },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (int l = 0; l < 4; l++)
			cr_expect_eq(dane_policy_mx_voids_dane(t[i].mx,
			    (dane_level)l), t[i].voided[l], "mx %s level %s",
			    dane_mx_status_name(t[i].mx),
			    dane_level_name((dane_level)l));
	cr_expect_str_eq(dane_mx_status_name(DANE_MX_IMPLICIT_INSECURE),
	    "implicit-insecure");
}

Test(dane_policy, mx_names_senders_accept)
{
	static const struct {
		const char *name;
		bool valid;
	} t[] = {
		{ "mx.example.org", true },
		{ "mx-1.example.org", true },
		{ "_mx.example.org", true },  /* Postfix allows '_' */
		{ "MX1.Example.ORG", true },
		{ "mx|evil=1.dane.lab", false },  /* zone: mx\\124evil=1 */
		{ "mx\\010nl.dane.lab", false }, /* presented escaped */
		{ "mx\nnl.dane.lab", false },
		{ "mx..example.org", false },
		{ "-mx.example.org", false },
		{ "mx-.example.org", false },
		{ "mx example.org", false },
		{ "", false },
	};
	char long_label[80];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		cr_expect_eq(dane_policy_valid_mx_name(t[i].name), t[i].valid,
		    "\"%s\"", t[i].name);
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".org");
	cr_expect_not(dane_policy_valid_mx_name(long_label));
	strcpy(long_label + 63, ".org");
	cr_expect(dane_policy_valid_mx_name(long_label));
}
