/*
 * test_dane_verdict.c -- per-address verdicts as a table.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "policy/dane_verdict.h"

typedef struct verdict_case {
	const char *name;
	dane_level level;
	smtp_outcome outcome;
	bool tls;            /* handshake completed */
	bool auth;           /* DANE authenticated */
	bool require_dane;
	addr_state want_state;
	probe_severity want;
	const char *reason_has;
} verdict_case;

static const verdict_case cases[] = {
	{ "required + match", DANE_LEVEL_REQUIRED, SMTP_OUTCOME_TLS_OK, true,
	  true, false, ADDR_STATE_DANE_VERIFIED, SEVERITY_OK, "authenticated" },
	{ "required + no match", DANE_LEVEL_REQUIRED, SMTP_OUTCOME_TLS_OK, true,
	  false, false, ADDR_STATE_UNTRUSTED, SEVERITY_CRITICAL, "failed" },
	{ "required + no STARTTLS", DANE_LEVEL_REQUIRED,
	  SMTP_OUTCOME_NO_STARTTLS, false, false, false, ADDR_STATE_NO_STARTTLS,
	  SEVERITY_CRITICAL, "STARTTLS not offered" },
	{ "required + 454", DANE_LEVEL_REQUIRED, SMTP_OUTCOME_STARTTLS_REFUSED,
	  false, false, false, ADDR_STATE_STARTTLS_REFUSED, SEVERITY_CRITICAL,
	  "mandatory" },
	{ "required + handshake failure", DANE_LEVEL_REQUIRED,
	  SMTP_OUTCOME_TLS_FAILED, false, false, false, ADDR_STATE_TLS_FAILED,
	  SEVERITY_CRITICAL, "mandatory" },
	{ "required + match, closed after TLS", DANE_LEVEL_REQUIRED,
	  SMTP_OUTCOME_CLOSED, true, true, false,
	  ADDR_STATE_MATCHED_BUT_SMTP_FAILED, SEVERITY_CRITICAL, "after TLS" },
	{ "required + timeout in banner", DANE_LEVEL_REQUIRED,
	  SMTP_OUTCOME_TIMEOUT, false, false, false, ADDR_STATE_TIMEOUT,
	  SEVERITY_CRITICAL, "banner" },
	{ "required + connect refused", DANE_LEVEL_REQUIRED,
	  SMTP_OUTCOME_CONNECT_FAILED, false, false, false,
	  ADDR_STATE_CONNECT_FAILED, SEVERITY_CRITICAL, "connect" },
	{ "encrypt-only + TLS", DANE_LEVEL_ENCRYPT_ONLY, SMTP_OUTCOME_TLS_OK,
	  true, false, false, ADDR_STATE_ENCRYPTED_UNAUTHENTICATED,
	  SEVERITY_WARNING, "unusable" },
	{ "encrypt-only + no STARTTLS", DANE_LEVEL_ENCRYPT_ONLY,
	  SMTP_OUTCOME_NO_STARTTLS, false, false, false, ADDR_STATE_NO_STARTTLS,
	  SEVERITY_CRITICAL, "STARTTLS" },
	{ "no DANE + TLS", DANE_LEVEL_NONE, SMTP_OUTCOME_TLS_OK, true, false,
	  false, ADDR_STATE_TLS_NO_DANE, SEVERITY_WARNING, "not applicable" },
	{ "no DANE + TLS, --require-dane", DANE_LEVEL_NONE, SMTP_OUTCOME_TLS_OK,
	  true, false, true, ADDR_STATE_TLS_NO_DANE, SEVERITY_CRITICAL,
	  "not applicable" },
	{ "no DANE + cleartext", DANE_LEVEL_NONE, SMTP_OUTCOME_NO_STARTTLS,
	  false, false, false, ADDR_STATE_CLEARTEXT_NO_DANE, SEVERITY_WARNING,
	  "cleartext" },
	{ "no DANE + unreachable", DANE_LEVEL_NONE, SMTP_OUTCOME_CONNECT_FAILED,
	  false, false, false, ADDR_STATE_CONNECT_FAILED, SEVERITY_CRITICAL,
	  "connect" },
	{ "no DANE + garbage", DANE_LEVEL_NONE, SMTP_OUTCOME_PROTOCOL_ERROR,
	  false, false, false, ADDR_STATE_SMTP_ERROR, SEVERITY_CRITICAL, "SMTP" },
	{ "DNS failure: not probed", DANE_LEVEL_FAIL, SMTP_OUTCOME_TLS_OK, true,
	  true, false, ADDR_STATE_NOT_PROBED, SEVERITY_CRITICAL, "DNS" },
};

Test(dane_verdict, table)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const verdict_case *c = &cases[i];
		dane_tls_outcome tls;
		dane_verdict v;

		memset(&tls, 0, sizeof(tls));
		tls.authenticated = c->auth;
		tls.matched_depth = c->auth ? 0 : -1;
		strcpy(tls.verify_reason, c->auth ? "DANE-EE matched"
		    : "no TLSA record matched");
		strcpy(tls.tls_version, "TLSv1.3");
		dane_verdict_input in = {
			.level = c->level, .outcome = c->outcome,
			.state = SMTP_STATE_BANNER, .smtp_reason = "x",
			.tls_established = c->tls, .tls = c->tls ? &tls : NULL,
			.require_dane = c->require_dane,
		};
		dane_verdict_address(&in, &v);
		cr_expect_eq(v.state, c->want_state, "%s: state %s", c->name,
		    addr_state_name(v.state));
		cr_expect_eq(v.severity, c->want, "%s: severity %s", c->name,
		    probe_severity_name(v.severity));
		cr_expect_not_null(strstr(v.reason, c->reason_has),
		    "%s: reason \"%s\" lacks \"%s\"", c->name, v.reason,
		    c->reason_has);
	}
}

/* --survey: a host without DANE gets no session, so its addresses are
 * judged without one; hosts where TLS is mandatory are judged as ever. */
Test(dane_verdict, survey_judges_no_dane_hosts_without_a_session)
{
	dane_tls_outcome tls;
	dane_verdict v;
	dane_verdict_input in = {
		.level = DANE_LEVEL_NONE, .outcome = SMTP_OUTCOME_CONNECT_FAILED,
		.state = SMTP_STATE_CONNECT, .smtp_reason = "never started",
		.survey = true,
	};

	dane_verdict_address(&in, &v);
	cr_expect_eq(v.state, ADDR_STATE_NOT_PROBED, "%s",
	    addr_state_name(v.state));
	cr_expect_eq(v.severity, SEVERITY_WARNING);
	cr_expect_not_null(strstr(v.reason, "--survey"), "%s", v.reason);
	cr_expect(!v.skipped, "a not-probed host still counts");
	in.require_dane = true;
	dane_verdict_address(&in, &v);
	cr_expect_eq(v.severity, SEVERITY_CRITICAL);

	in.require_dane = false;
	in.level = DANE_LEVEL_ENCRYPT_ONLY;
	in.outcome = SMTP_OUTCOME_NO_STARTTLS;
	dane_verdict_address(&in, &v);
	cr_expect_eq(v.state, ADDR_STATE_NO_STARTTLS, "%s",
	    addr_state_name(v.state));
	cr_expect_eq(v.severity, SEVERITY_CRITICAL);

	memset(&tls, 0, sizeof(tls));
	strcpy(tls.verify_reason, "no TLSA record matched");
	strcpy(tls.tls_version, "TLSv1.3");
	in.level = DANE_LEVEL_REQUIRED;
	in.outcome = SMTP_OUTCOME_TLS_OK;
	in.tls_established = true;
	in.tls = &tls;
	dane_verdict_address(&in, &v);
	cr_expect_eq(v.state, ADDR_STATE_UNTRUSTED, "%s",
	    addr_state_name(v.state));
	cr_expect_eq(v.severity, SEVERITY_CRITICAL);
}

static dane_verdict
expiry_case(bool auth, int depth, long days)
{
	dane_tls_outcome tls;
	dane_verdict v = { .state = ADDR_STATE_DANE_VERIFIED,
	    .severity = SEVERITY_OK, .reason = "ok" };
	expiry_thresholds t = { .warn_days = 20, .crit_days = 7 };

	memset(&tls, 0, sizeof(tls));
	tls.authenticated = auth;
	tls.matched_depth = depth;
	tls.leaf.present = true;
	dane_verdict_apply_expiry(&v, &tls, days, 0, &t);
	return v;
}

Test(dane_verdict, expiry_ignored_for_dane_ee_but_noted)
{
	dane_verdict v = expiry_case(true, 0, -30);

	cr_expect_eq(v.severity, SEVERITY_OK);
	cr_expect_not_null(strstr(v.reason, "irrelevant for DANE-EE"));
}

Test(dane_verdict, expiry_counts_for_dane_ta)
{
	cr_expect_eq(expiry_case(true, 1, 10).severity, SEVERITY_WARNING);
	cr_expect_eq(expiry_case(true, 1, 3).severity, SEVERITY_CRITICAL);
	cr_expect_eq(expiry_case(true, 1, 60).severity, SEVERITY_OK);
}

Test(dane_verdict, severity_order_follows_monitoring_plugins)
{
	cr_expect_eq(probe_severity_worst(SEVERITY_OK, SEVERITY_UNKNOWN),
	    SEVERITY_UNKNOWN);
	cr_expect_eq(probe_severity_worst(SEVERITY_WARNING, SEVERITY_UNKNOWN),
	    SEVERITY_WARNING);
	cr_expect_eq(probe_severity_worst(SEVERITY_CRITICAL, SEVERITY_WARNING),
	    SEVERITY_CRITICAL);
	cr_expect_eq(probe_severity_worst(SEVERITY_UNKNOWN, SEVERITY_CRITICAL),
	    SEVERITY_CRITICAL);
}

Test(dane_verdict, dane_ta_counts_the_chain_up_to_the_anchor)
{
	dane_tls_outcome tls;
	time_t now = 1800000000;
	int depth = -1;

	memset(&tls, 0, sizeof(tls));
	tls.leaf.present = true;
	tls.leaf.not_after = now + 90 * 86400;
	tls.chain.n = 3;
	tls.chain.cert[0].not_after = tls.leaf.not_after;
	tls.chain.cert[1].not_after = now + 5 * 86400;   /* intermediate */
	tls.chain.cert[2].not_after = now + 2 * 86400;   /* above the anchor */
	tls.authenticated = true;
	tls.matched_depth = 1;
	cr_expect_eq(dane_verdict_first_expiry(&tls, now, &depth), 5);
	cr_expect_eq(depth, 1, "the certificate above the anchor is ignored");
	tls.matched_depth = 0;
	cr_expect_eq(dane_verdict_first_expiry(&tls, now, &depth), 90);
	cr_expect_eq(depth, 0, "DANE-EE depends on the leaf only");

	dane_verdict v = { .severity = SEVERITY_OK, .reason = "ok" };
	expiry_thresholds t = { .warn_days = 20, .crit_days = 7 };

	tls.matched_depth = 1;
	dane_verdict_apply_expiry(&v, &tls, 5, 1, &t);
	cr_expect_eq(v.severity, SEVERITY_CRITICAL);
	cr_expect_not_null(strstr(v.reason, "chain certificate at depth 1"));
}

/* ---- the MX lookup ------------------------------------------------------ */

typedef struct mx_case {
	const char *what;
	dns_status status;
	dns_security security;
	const char *exchange;   /* one MX record, or NULL for none */
	bool local_failure;
	dane_mx_kind kind;
	dane_mx_status mx_status;   /* unless FAILED */
	probe_severity severity;    /* FAILED only */
	const char *reason;         /* FAILED only */
} mx_case;

static const mx_case mx_cases[] = {
	{ "secure MX", DNS_STATUS_OK, DNS_SECURITY_SECURE, "mx.test", false,
	    DANE_MX_KIND_HOSTS, DANE_MX_SECURE, SEVERITY_OK, "" },
	{ "insecure MX", DNS_STATUS_OK, DNS_SECURITY_INSECURE, "mx.test",
	    false, DANE_MX_KIND_HOSTS, DANE_MX_INSECURE, SEVERITY_OK, "" },
	{ "null MX", DNS_STATUS_OK, DNS_SECURITY_SECURE, "", false,
	    DANE_MX_KIND_NULL, DANE_MX_SECURE, SEVERITY_OK, "" },
	{ "insecure null MX", DNS_STATUS_OK, DNS_SECURITY_INSECURE, "", false,
	    DANE_MX_KIND_NULL, DANE_MX_INSECURE, SEVERITY_OK, "" },
	{ "no MX, secure denial", DNS_STATUS_NODATA, DNS_SECURITY_SECURE, NULL,
	    false, DANE_MX_KIND_IMPLICIT, DANE_MX_IMPLICIT_SECURE, SEVERITY_OK,
	    "" },
	{ "no MX, insecure denial", DNS_STATUS_NODATA, DNS_SECURITY_INSECURE,
	    NULL, false, DANE_MX_KIND_IMPLICIT, DANE_MX_IMPLICIT_INSECURE,
	    SEVERITY_OK, "" },
	{ "bogus beats the status", DNS_STATUS_OK, DNS_SECURITY_BOGUS,
	    "mx.test", false, DANE_MX_KIND_FAILED, 0, SEVERITY_CRITICAL,
	    "MX RRset is bogus (DNSSEC validation failed): mail to this domain "
	    "is deferred" },
	{ "NXDOMAIN", DNS_STATUS_NXDOMAIN, DNS_SECURITY_SECURE, NULL, false,
	    DANE_MX_KIND_FAILED, 0, SEVERITY_CRITICAL,
	    "domain does not exist (NXDOMAIN, secure)" },
	{ "their servers time out", DNS_STATUS_TIMEOUT,
	    DNS_SECURITY_INDETERMINATE, NULL, false, DANE_MX_KIND_FAILED, 0,
	    SEVERITY_CRITICAL, "MX lookup timed out: why: mail to this domain "
	    "is deferred" },
	{ "our resolver times out", DNS_STATUS_TIMEOUT,
	    DNS_SECURITY_INDETERMINATE, NULL, true, DANE_MX_KIND_FAILED, 0,
	    SEVERITY_UNKNOWN, "MX lookup timed out: why" },
	{ "SERVFAIL", DNS_STATUS_SERVFAIL, DNS_SECURITY_INDETERMINATE, NULL,
	    false, DANE_MX_KIND_FAILED, 0, SEVERITY_CRITICAL,
	    "MX lookup failed: why" },
	{ "local error", DNS_STATUS_ERROR, DNS_SECURITY_INDETERMINATE, NULL,
	    false, DANE_MX_KIND_FAILED, 0, SEVERITY_UNKNOWN,
	    "MX lookup error: why" },
};

Test(dane_verdict, mx_lookup_table)
{
	for (size_t i = 0; i < sizeof(mx_cases) / sizeof(mx_cases[0]); i++) {
		const mx_case *c = &mx_cases[i];
		dns_mx rr = { 0, (char *)c->exchange };
		dns_answer a = { .status = c->status, .security = c->security,
		    .count = c->exchange ? 1 : 0, .mx = c->exchange ? &rr : NULL,
		    .local_failure = c->local_failure };
		dane_mx_verdict v;

		snprintf(a.reason, sizeof(a.reason), "why");
		dane_verdict_mx(&a, &v);
		cr_expect_eq(v.kind, c->kind, "%s: kind %d", c->what, v.kind);
		if (c->kind == DANE_MX_KIND_FAILED) {
			cr_expect_eq(v.severity, c->severity, "%s: severity %s",
			    c->what, probe_severity_name(v.severity));
			cr_expect_str_eq(v.reason, c->reason, "%s", c->what);
		} else {
			cr_expect_eq(v.status, c->mx_status, "%s: status %s",
			    c->what, dane_mx_status_name(v.status));
		}
	}
}

Test(dane_verdict, obsolete_tls_is_noted_not_judged)
{
	static const struct {
		bool established;
		const char *version;
		const char *want;
	} notes[] = {
		{ true, "TLSv1", "r; note: only TLSv1, which RFC 8996 deprecates" },
		{ true, "TLSv1.1", "r; note: only TLSv1.1, which RFC 8996 "
		    "deprecates" },
		{ true, "TLSv1.2", "r" },
		{ true, "TLSv1.3", "r" },
		{ false, "TLSv1", "r" },
	};

	for (size_t i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		dane_verdict v = { .state = ADDR_STATE_DANE_VERIFIED,
		    .severity = SEVERITY_OK, .reason = "r" };

		dane_verdict_note_tls_version(&v, notes[i].established,
		    notes[i].version);
		cr_expect_str_eq(v.reason, notes[i].want);
		cr_expect_eq(v.severity, SEVERITY_OK);
	}
}

/* ---- addresses judged without a session --------------------------------- */

Test(dane_verdict, addresses_without_a_session)
{
	dane_verdict v[3];
	static const struct {
		addr_state state;
		probe_severity severity;
		const char *reason;
	} want[3] = {
		{ ADDR_STATE_NOT_PROBED, SEVERITY_UNKNOWN,
		    "not probed: out of memory" },
		{ ADDR_STATE_NOT_PROBED, SEVERITY_WARNING, "not probed: beyond "
		    "the first 32 addresses of this domain (--max-addresses, in "
		    "MX preference order, then DNS order)" },
		{ ADDR_STATE_TIMEOUT, SEVERITY_CRITICAL, "no result within the "
		    "overall timeout of 4.5 s" },
	};

	dane_verdict_not_started(&v[0], "out of memory");
	dane_verdict_capped(&v[1], 32);
	dane_verdict_overall_timeout(&v[2], 4.5);
	for (size_t i = 0; i < 3; i++) {
		cr_expect_eq(v[i].state, want[i].state, "%zu: %s", i,
		    addr_state_name(v[i].state));
		cr_expect_eq(v[i].severity, want[i].severity, "%zu: %s", i,
		    probe_severity_name(v[i].severity));
		cr_expect_str_eq(v[i].reason, want[i].reason);
		cr_expect_not(v[i].skipped);
	}
}

/* What the engine's deadline means, decided here: an MX lookup still
 * running is UNKNOWN, a host's unfinished DNS fails its policy (and only
 * the level and reason change). */
Test(dane_verdict, lookups_cut_off_by_the_deadline)
{
	dane_mx_verdict mx;
	dane_host_policy p;

	dane_verdict_mx_timeout(&mx, 4.5);
	cr_expect_eq(mx.kind, DANE_MX_KIND_FAILED);
	cr_expect_eq(mx.severity, SEVERITY_UNKNOWN);
	cr_expect_str_eq(mx.reason, "MX lookup did not complete within 4.5 s");
	memset(&p, 0, sizeof(p));
	p.level = DANE_LEVEL_REQUIRED;
	p.tlsa_answer_index = 1;
	dane_verdict_host_timeout(&p, "mx.example", 2.0);
	cr_expect_eq(p.level, DANE_LEVEL_FAIL);
	cr_expect_str_eq(p.reason,
	    "DNS lookups for mx.example did not complete within 2.0 s");
	cr_expect_eq(p.tlsa_answer_index, 1, "the rest is left alone");
}
