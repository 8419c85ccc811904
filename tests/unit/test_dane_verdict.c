/*
 * test_dane_verdict.c -- per-address verdicts as a table.
 */
#include "config.h"

#include <criterion/criterion.h>
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
