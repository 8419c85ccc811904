/*
 * test_dane_rollup.c -- host and domain verdicts and the DANE status,
 * from tables of facts (no result tree, no probing).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "policy/dane_rollup.h"

#define OK_A(t) { ADDR_STATE_DANE_VERIFIED, SEVERITY_OK, t, "ok " t, 0, 0 }
#define BAD_A(t) { ADDR_STATE_UNTRUSTED, SEVERITY_CRITICAL, t, "bad " t, 0, 0 }
#define NODANE_A(t) { ADDR_STATE_TLS_NO_DANE, SEVERITY_WARNING, t, "nodane " t, 0, 0 }
#define SKIP_A(t) { ADDR_STATE_NOT_PROBED, SEVERITY_OK, t, "not probed: no IPv6 route", 1, 0 }
#define CAP_A(t) { ADDR_STATE_NOT_PROBED, SEVERITY_WARNING, t, "capped " t, 0, 1 }

typedef struct host_case {
	const char *what;
	const char *name;
	dane_level level;
	dane_rollup_addr addrs[4];
	size_t n;
	bool breaks_at_renewal;
	bool rollover_warning;
	probe_severity want_sev;
	const char *want_reason;   /* prefix */
	dane_status want_status;
} host_case;

static const host_case host_cases[] = {
	{ "all verified", "mx.test", DANE_LEVEL_REQUIRED, { OK_A("192.0.2.1"),
	    OK_A("192.0.2.2") }, 2, false, true, SEVERITY_OK, "policy",
	    DANE_STATUS_VERIFIED },
	{ "worst address named", "mx.test", DANE_LEVEL_REQUIRED, {
	    OK_A("192.0.2.1"), NODANE_A("192.0.2.2"), BAD_A("192.0.2.3"),
	    BAD_A("192.0.2.4") }, 4, false, true, SEVERITY_CRITICAL,
	    "[192.0.2.3]: bad 192.0.2.3", DANE_STATUS_FAILED },
	{ "bad name beats everything", "mx|x.test", DANE_LEVEL_REQUIRED, {
	    OK_A("192.0.2.1") }, 1, false, true, SEVERITY_CRITICAL,
	    "not a valid host name", DANE_STATUS_VERIFIED },
	{ "dns failure", "mx.test", DANE_LEVEL_FAIL, { { 0 } }, 0, false, true,
	    SEVERITY_CRITICAL, "policy", DANE_STATUS_FAILED },
	{ "no address", "mx.test", DANE_LEVEL_REQUIRED, { { 0 } }, 0, false,
	    true, SEVERITY_CRITICAL, "no address was probed",
	    DANE_STATUS_FAILED },
	{ "all skipped is unknown", "mx.test", DANE_LEVEL_REQUIRED, {
	    SKIP_A("2001:db8::1") }, 1, false, true, SEVERITY_UNKNOWN,
	    "not probed: no IPv6 route", DANE_STATUS_FAILED },
	{ "skipped beside verified", "mx.test", DANE_LEVEL_REQUIRED, {
	    SKIP_A("2001:db8::1"), OK_A("192.0.2.1") }, 2, false, true,
	    SEVERITY_OK, "policy", DANE_STATUS_VERIFIED },
	{ "all capped: status unknown", "mx.test", DANE_LEVEL_REQUIRED, {
	    CAP_A("192.0.2.1") }, 1, false, true, SEVERITY_WARNING,
	    "[192.0.2.1]: capped", DANE_STATUS_UNKNOWN },
	{ "breaks at renewal warns", "mx.test", DANE_LEVEL_REQUIRED, {
	    OK_A("192.0.2.1") }, 1, true, true, SEVERITY_WARNING,
	    "TLSA RRset breaks at the next certificate renewal: roll",
	    DANE_STATUS_VERIFIED },
	{ "breaks at renewal switched off", "mx.test", DANE_LEVEL_REQUIRED, {
	    OK_A("192.0.2.1") }, 1, true, false, SEVERITY_OK, "policy",
	    DANE_STATUS_VERIFIED },
	{ "breaks at renewal on a failing host", "mx.test",
	    DANE_LEVEL_REQUIRED, { BAD_A("192.0.2.1") }, 1, true, true,
	    SEVERITY_CRITICAL, "[192.0.2.1]", DANE_STATUS_FAILED },
	{ "no dane", "mx.test", DANE_LEVEL_NONE, { NODANE_A("192.0.2.1") }, 1,
	    false, true, SEVERITY_WARNING, "[192.0.2.1]: nodane",
	    DANE_STATUS_NONE },
	{ "encrypt only", "mx.test", DANE_LEVEL_ENCRYPT_ONLY, {
	    NODANE_A("192.0.2.1") }, 1, false, true, SEVERITY_WARNING,
	    "[192.0.2.1]", DANE_STATUS_ENCRYPT_ONLY },
};

static void
facts_of(const host_case *c, dane_host_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->name = c->name;
	f->level = c->level;
	f->policy_reason = "policy";
	f->has_rollover = true;
	f->rollover = c->breaks_at_renewal ? DANE_ROLL_BREAKS_AT_RENEWAL :
	    DANE_ROLL_FRAGILE;
	f->rollover_reason = "roll";
	for (size_t i = 0; i < c->n; i++)
		dane_host_tally_add(&f->addrs, &c->addrs[i]);
}

Test(dane_rollup, host_table)
{
	for (size_t i = 0; i < sizeof(host_cases) / sizeof(host_cases[0]);
	    i++) {
		const host_case *c = &host_cases[i];
		dane_host_facts f;
		dane_host_verdict v;

		facts_of(c, &f);
		dane_rollup_host(&f, c->rollover_warning, &v);
		cr_expect_eq(v.severity, c->want_sev, "%s: severity %s", c->what,
		    probe_severity_name(v.severity));
		cr_expect_eq(strncmp(v.reason, c->want_reason,
		    strlen(c->want_reason)), 0, "%s: reason \"%s\"", c->what,
		    v.reason);
		cr_expect_eq(dane_rollup_host_status(&f), c->want_status,
		    "%s: status %s", c->what,
		    dane_status_name(dane_rollup_host_status(&f)));
	}
}

/* A domain: hosts by their level and one address each. */
typedef struct domain_case {
	const char *what;
	bool probe_error, lookup_failed, null_mx, timed_out;
	dane_mx_status mx;
	dane_level levels[3];
	dane_rollup_addr addrs[3];
	size_t n;
	probe_severity want_sev;
	const char *want_summary;  /* prefix */
	probe_severity want_mx_sev;
	dane_status want_status;
} domain_case;

static const domain_case domain_cases[] = {
	{ "verified", 0, 0, 0, 0, DANE_MX_SECURE, { DANE_LEVEL_REQUIRED },
	    { OK_A("192.0.2.1") }, 1, SEVERITY_OK,
	    "d.test: 1/1 MX address(es) DANE-verified on 1 host(s)",
	    SEVERITY_OK, DANE_STATUS_VERIFIED },
	{ "insecure mx voids dane", 0, 0, 0, 0, DANE_MX_INSECURE,
	    { DANE_LEVEL_REQUIRED }, { OK_A("192.0.2.1") }, 1,
	    SEVERITY_WARNING, "d.test: MX RRset is not DNSSEC-signed",
	    SEVERITY_WARNING, DANE_STATUS_INSECURE_MX },
	{ "insecure mx on a failing domain", 0, 0, 0, 0, DANE_MX_INSECURE,
	    { DANE_LEVEL_REQUIRED }, { BAD_A("192.0.2.1") }, 1,
	    SEVERITY_CRITICAL, "d.test: mx0.test[192.0.2.1]: bad",
	    SEVERITY_WARNING, DANE_STATUS_FAILED },
	{ "partial", 0, 0, 0, 0, DANE_MX_SECURE, { DANE_LEVEL_REQUIRED,
	    DANE_LEVEL_NONE }, { OK_A("192.0.2.1"), NODANE_A("192.0.2.2") }, 2,
	    SEVERITY_WARNING, "d.test: mx1.test[192.0.2.2]: nodane",
	    SEVERITY_OK, DANE_STATUS_PARTIAL },
	{ "one failed host fails the domain", 0, 0, 0, 0, DANE_MX_SECURE,
	    { DANE_LEVEL_REQUIRED, DANE_LEVEL_REQUIRED }, { OK_A("192.0.2.1"),
	    BAD_A("192.0.2.2") }, 2, SEVERITY_CRITICAL, "d.test: mx1.test",
	    SEVERITY_OK, DANE_STATUS_FAILED },
	{ "nothing reachable is a probe error", 0, 0, 0, 0, DANE_MX_SECURE,
	    { DANE_LEVEL_REQUIRED }, { SKIP_A("2001:db8::1") }, 1,
	    SEVERITY_UNKNOWN, "d.test: no MX address could be probed from "
	    "here: no IPv6 route", SEVERITY_OK, DANE_STATUS_UNKNOWN },
	{ "unreachable host left out", 0, 0, 0, 0, DANE_MX_SECURE,
	    { DANE_LEVEL_REQUIRED, DANE_LEVEL_REQUIRED }, { SKIP_A("2001:db8::1"),
	    OK_A("192.0.2.1") }, 2, SEVERITY_OK, "d.test: 1/1 MX address(es) "
	    "DANE-verified on 2 host(s); 1 address(es) not probed",
	    SEVERITY_OK, DANE_STATUS_VERIFIED },
	{ "no host", 0, 0, 0, 0, DANE_MX_SECURE, { 0 }, { { 0 } }, 0,
	    SEVERITY_CRITICAL, "d.test: no MX host to probe", SEVERITY_OK,
	    DANE_STATUS_FAILED },
	{ "timeout is critical", 0, 0, 0, 1, DANE_MX_SECURE,
	    { DANE_LEVEL_REQUIRED }, { OK_A("192.0.2.1") }, 1,
	    SEVERITY_CRITICAL, "d.test: 1/1 MX address(es) DANE-verified on 1 "
	    "host(s) [overall timeout reached]", SEVERITY_OK,
	    DANE_STATUS_VERIFIED },
	{ "null mx", 0, 0, 1, 0, DANE_MX_INSECURE, { 0 }, { { 0 } }, 0,
	    SEVERITY_OK, "d.test: null MX (RFC 7505): the domain accepts no "
	    "mail (MX RRset not DNSSEC-signed)", SEVERITY_OK,
	    DANE_STATUS_NULL_MX },
	{ "failed lookup keeps the engine's words", 0, 1, 0, 0, DANE_MX_SECURE,
	    { 0 }, { { 0 } }, 0, SEVERITY_CRITICAL, "engine", SEVERITY_OK,
	    DANE_STATUS_FAILED },
	{ "probe error is unknown, never failed", 1, 0, 0, 0, DANE_MX_SECURE,
	    { DANE_LEVEL_REQUIRED }, { BAD_A("192.0.2.1") }, 1,
	    SEVERITY_UNKNOWN, "engine", SEVERITY_OK, DANE_STATUS_UNKNOWN },
	{ "no dane anywhere", 0, 0, 0, 0, DANE_MX_SECURE, { DANE_LEVEL_NONE },
	    { NODANE_A("192.0.2.1") }, 1, SEVERITY_WARNING, "d.test: mx0.test",
	    SEVERITY_OK, DANE_STATUS_NONE },
};

static const char *const host_names[] = { "mx0.test", "mx1.test",
    "mx2.test" };

Test(dane_rollup, domain_table)
{
	for (size_t i = 0; i < sizeof(domain_cases) / sizeof(domain_cases[0]);
	    i++) {
		const domain_case *c = &domain_cases[i];
		dane_domain_facts d = {
			.domain = "d.test", .probe_error = c->probe_error,
			.lookup_failed = c->lookup_failed, .null_mx = c->null_mx,
			.timed_out = c->timed_out, .mx_status = c->mx,
			.severity = SEVERITY_CRITICAL, .summary = "engine",
		};
		dane_domain_verdict v;
		/* The tally borrows the host reasons: they outlive it. */
		dane_host_verdict hv[3];

		for (size_t h = 0; h < c->n; h++) {
			dane_host_facts f = { .name = host_names[h],
			    .level = c->levels[h], .policy_reason = "policy" };
			dane_host_tally_add(&f.addrs, &c->addrs[h]);
			if (c->addrs[h].skipped)
				d.skipped++;
			else
				d.addrs++;
			if (c->addrs[h].state == ADDR_STATE_DANE_VERIFIED)
				d.verified++;
			dane_rollup_host(&f, true, &hv[h]);
			dane_domain_tally_add(&d.hosts, c->mx, &f, hv[h].severity,
			    hv[h].reason);
		}
		cr_expect_eq(dane_rollup_judges_hosts(&d),
		    !c->probe_error && !c->lookup_failed && !c->null_mx,
		    "%s: judges hosts", c->what);
		dane_rollup_domain(&d, &v);
		cr_expect_eq(v.severity, c->want_sev, "%s: severity %s", c->what,
		    probe_severity_name(v.severity));
		cr_expect_eq(strncmp(v.summary, c->want_summary,
		    strlen(c->want_summary)), 0, "%s: summary \"%s\"", c->what,
		    v.summary);
		cr_expect_eq(v.mx_severity, c->want_mx_sev, "%s: mx severity",
		    c->what);
		cr_expect_eq(v.mx_severity != SEVERITY_OK, v.mx_reason[0] != '\0',
		    "%s: mx reason \"%s\"", c->what, v.mx_reason);
		/* The status is asked of a finished domain, which carries
		 * the roll-up's probe error. */
		d.probe_error = v.probe_error;
		cr_expect_eq(dane_rollup_domain_status(&d), c->want_status,
		    "%s: status %s", c->what,
		    dane_status_name(dane_rollup_domain_status(&d)));
	}
}

Test(dane_rollup, rollover_warns_only_when_not_switched_off)
{
	static const struct {
		dane_roll_verdict v;
		bool enabled, warns;
	} cases[] = {
		{ DANE_ROLL_BREAKS_AT_RENEWAL, true, true },
		{ DANE_ROLL_BREAKS_AT_RENEWAL, false, false },
		{ DANE_ROLL_ROBUST, true, false },
		{ DANE_ROLL_FRAGILE, true, false },
		{ DANE_ROLL_NO_MATCH, true, false },
		{ DANE_ROLL_NO_USABLE, true, false },
		{ DANE_ROLL_NO_CHAIN, true, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_eq(dane_rollup_rollover_warns(cases[i].v,
		    cases[i].enabled), cases[i].warns, "%s, %s",
		    dane_roll_verdict_name(cases[i].v),
		    cases[i].enabled ? "enabled" : "switched off");
}

/* ---- one name table per enum -------------------------------------------- */

typedef struct name_table {
	const char *what;
	const char *(*name)(size_t);
	size_t count;
} name_table;

static const char *sev_n(size_t i) { return probe_severity_name(i); }
static const char *addr_n(size_t i) { return addr_state_name(i); }
static const char *status_n(size_t i) { return dane_status_name(i); }
static const char *level_n(size_t i) { return dane_level_name(i); }
static const char *roll_n(size_t i) { return dane_roll_verdict_name(i); }
static const char *sec_n(size_t i) { return dns_security_name(i); }

Test(dane_status, every_value_below_its_count_has_its_own_name)
{
	static const name_table tables[] = {
		{ "severity", sev_n, SEVERITY_COUNT },
		{ "addr_state", addr_n, ADDR_STATE_COUNT },
		{ "dane_status", status_n, DANE_STATUS_COUNT },
		{ "dane_level", level_n, DANE_LEVEL_COUNT },
		{ "dane_roll_verdict", roll_n, DANE_ROLL_VERDICT_COUNT },
		{ "dns_security", sec_n, DNS_SECURITY_COUNT },
	};

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		const name_table *nt = &tables[t];

		for (size_t i = 0; i < nt->count; i++) {
			const char *n = nt->name(i);

			cr_assert_not_null(n, "%s %zu has no name", nt->what, i);
			cr_expect_str_neq(n, "unknown", "%s %zu", nt->what, i);
			for (size_t j = 0; j < i; j++)
				cr_expect_str_neq(n, nt->name(j), "%s %zu and %zu",
				    nt->what, i, j);
		}
	}
	/* Outside the set: a word, never a crash. */
	cr_expect_str_eq(addr_state_name(ADDR_STATE_COUNT), "unknown");
	cr_expect_str_eq(dane_status_name(DANE_STATUS_UNKNOWN), "unknown");
	cr_expect_str_eq(probe_severity_name(SEVERITY_COUNT), "UNKNOWN");
}

/* A lookup cut off by the prober's own DNS outage: the domain is a probe
 * error naming that lookup, whatever its hosts say; the hosts keep their
 * verdicts and the MX judgement stays. */
Test(dane_rollup, local_failure_makes_a_probe_error)
{
	dns_answer a = { .qname = "mx0.test", .qtype = DNS_TYPE_AAAA };
	dane_domain_facts d = { .domain = "d.test", .mx_status =
		DANE_MX_INSECURE, .severity = SEVERITY_OK, .summary = "" };
	dane_host_facts f = { .name = "mx0.test",
		.level = DANE_LEVEL_REQUIRED, .policy_reason = "policy" };
	dane_rollup_addr ok = OK_A("192.0.2.1");
	dane_host_verdict hv;
	dane_domain_verdict v;

	snprintf(a.reason, sizeof(a.reason), "no answer from resolver");
	a.local_failure = true;
	dane_host_tally_add(&f.addrs, &ok);
	d.addrs = d.verified = 1;
	d.local_failure = &a;
	cr_assert(dane_rollup_judges_hosts(&d), "the hosts are judged");
	dane_rollup_host(&f, true, &hv);
	dane_domain_tally_add(&d.hosts, d.mx_status, &f, hv.severity,
	    hv.reason);
	dane_rollup_domain(&d, &v);
	cr_expect(v.probe_error);
	cr_expect_eq(v.severity, SEVERITY_UNKNOWN);
	cr_expect_str_eq(v.summary, "d.test: not checked, DNS unreachable "
	    "from here (mx0.test AAAA): no answer from resolver");
	cr_expect_eq(v.mx_severity, SEVERITY_WARNING);
	d.probe_error = v.probe_error;
	cr_expect_eq(dane_rollup_domain_status(&d), DANE_STATUS_UNKNOWN);
}

/* Where a finished domain lands in the batch summary, and why it fails. */
typedef struct batch_case {
	const char *what;
	dane_batch_facts f;
	dane_batch_class want;
	dane_batch_why why;
	addr_state state;
} batch_case;

/* A row that is not failing, and one that fails for `why`. */
#define ROW(what, cls, ...) \
	{ what, { __VA_ARGS__ }, cls, DANE_BATCH_WHY_NONE, 0 }
#define FAIL_ROW(what, why, state, ...) \
	{ what, { .severity = SEVERITY_CRITICAL, \
	    .status = DANE_STATUS_FAILED, __VA_ARGS__ }, DANE_BATCH_FAILING, \
	    why, state }

static const batch_case batch_cases[] = {
	ROW("verified", DANE_BATCH_VALID, .severity = SEVERITY_OK,
	    .status = DANE_STATUS_VERIFIED),
	ROW("null mx", DANE_BATCH_NO_MAIL, .severity = SEVERITY_OK,
	    .status = DANE_STATUS_NULL_MX),
	ROW("insecure mx", DANE_BATCH_INSECURE_MX, .severity = SEVERITY_WARNING,
	    .status = DANE_STATUS_INSECURE_MX),
	ROW("mx judged insecure first", DANE_BATCH_INSECURE_MX,
	    .severity = SEVERITY_WARNING, .status = DANE_STATUS_PARTIAL,
	    .mx_severity = SEVERITY_WARNING, .any_capped = true),
	ROW("no dane", DANE_BATCH_NOT_APPLICABLE, .severity = SEVERITY_WARNING,
	    .status = DANE_STATUS_NONE),
	ROW("encrypt only", DANE_BATCH_NOT_APPLICABLE,
	    .severity = SEVERITY_WARNING, .status = DANE_STATUS_ENCRYPT_ONLY),
	ROW("partial before capped", DANE_BATCH_PARTIAL,
	    .severity = SEVERITY_WARNING, .status = DANE_STATUS_PARTIAL,
	    .any_capped = true),
	ROW("capped", DANE_BATCH_CAPPED, .severity = SEVERITY_WARNING,
	    .status = DANE_STATUS_VERIFIED, .any_capped = true),
	ROW("other warning", DANE_BATCH_WARNING, .severity = SEVERITY_WARNING,
	    .status = DANE_STATUS_VERIFIED),
	FAIL_ROW("failing address", DANE_BATCH_WHY_STATE,
	    ADDR_STATE_UNTRUSTED, .any_bad_name = true, .have_critical = true,
	    .critical_state = ADDR_STATE_UNTRUSTED),
	FAIL_ROW("bad name", DANE_BATCH_WHY_BAD_NAME, 0, .any_bad_name = true),
	FAIL_ROW("dns", DANE_BATCH_WHY_DNS, 0, .any_capped = true),
	ROW("probe error", DANE_BATCH_PROBE_ERROR, .severity = SEVERITY_UNKNOWN,
	    .status = DANE_STATUS_UNKNOWN, .probe_error = true),
	ROW("probe error needs the unknown status", DANE_BATCH_UNKNOWN,
	    .severity = SEVERITY_UNKNOWN, .status = DANE_STATUS_FAILED,
	    .probe_error = true),
	ROW("unknown", DANE_BATCH_UNKNOWN, .severity = SEVERITY_UNKNOWN,
	    .status = DANE_STATUS_UNKNOWN),
};

Test(dane_rollup, batch_class_table)
{
	for (size_t i = 0; i < sizeof(batch_cases) / sizeof(batch_cases[0]);
	    i++) {
		const batch_case *c = &batch_cases[i];
		dane_batch_verdict v;

		dane_rollup_batch_class(&c->f, &v);
		cr_expect_eq(v.cls, c->want, "%s: class %d", c->what, v.cls);
		cr_expect_eq(v.why, c->why, "%s: why %d", c->what, v.why);
		if (c->why == DANE_BATCH_WHY_STATE)
			cr_expect_eq(v.state, c->state, "%s: state", c->what);
	}
}
