/*
 * test_report_json.c -- the JSON document of hand-built result trees
 * (result_tree.h): field by field from a table of paths into the document,
 * null where there is nothing to say, probe errors and the insecure MX.
 * (tests/monitoring validates real lab output against the JSON Schema.)
 */
#include "config.h"

#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "report/report_json.h"
#include "result_tree.h"

/* The value at a path like "hosts/1/addresses/0/state": object keys and
 * array indexes separated by '/'.  NULL when the path leads nowhere. */
static json_t *
at(json_t *j, const char *path)
{
	char key[64];

	while (j != NULL && *path != '\0') {
		size_t n = strcspn(path, "/");

		cr_assert_lt(n, sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		path += n + (path[n] == '/');
		if (json_is_array(j))
			j = json_array_get(j, strtoul(key, NULL, 10));
		else
			j = json_object_get(j, key);
	}
	return j;
}

typedef enum want_kind {
	WANT_STRING,
	WANT_INTEGER,
	WANT_REAL,
	WANT_TRUE,
	WANT_FALSE,
	WANT_NULL,
} want_kind;

/* Arrays, not pointers: Criterion hands parameters to a test process of
 * its own, where pointers into this one mean nothing. */
typedef struct field_case {
	char path[64];
	want_kind kind;
	char s[64];      /* WANT_STRING */
	double num;      /* WANT_INTEGER, WANT_REAL */
} field_case;

static void
assert_field(json_t *doc, const field_case *c)
{
	json_t *v = at(doc, c->path);

	cr_assert_not_null(v, "%s: missing", c->path);
	switch (c->kind) {
	case WANT_STRING:
		cr_assert(json_is_string(v), "%s: not a string", c->path);
		cr_assert_str_eq(json_string_value(v), c->s, "%s", c->path);
		break;
	case WANT_INTEGER:
		cr_assert(json_is_integer(v), "%s: not an integer", c->path);
		cr_assert_eq(json_integer_value(v), (json_int_t)c->num, "%s",
		    c->path);
		break;
	case WANT_REAL:
		cr_assert(json_is_real(v), "%s: not a real", c->path);
		cr_assert_float_eq(json_real_value(v), c->num, 1e-9, "%s",
		    c->path);
		break;
	case WANT_TRUE:
		cr_assert(json_is_true(v), "%s: not true", c->path);
		break;
	case WANT_FALSE:
		cr_assert(json_is_false(v), "%s: not false", c->path);
		break;
	case WANT_NULL:
		cr_assert(json_is_null(v), "%s: not null", c->path);
		break;
	}
}

#define S(p, v) { (p), WANT_STRING, (v), 0 }
#define I(p, v) { (p), WANT_INTEGER, "", (v) }
#define R(p, v) { (p), WANT_REAL, "", (v) }
#define T(p) { (p), WANT_TRUE, "", 0 }
#define F(p) { (p), WANT_FALSE, "", 0 }
#define N(p) { (p), WANT_NULL, "", 0 }

/* ---- the mixed domain, field by field ----------------------------------- */

/* rt_mixed_domain() with its IPv6 address marked as such, and a session
 * run on mx1's address (the others have none: no outcome, no timings). */
static json_t *
mixed_json(void)
{
	probe_domain *d = rt_mixed_domain();
	probe_address *a = &d->hosts[0].addrs[0];
	json_t *j;

	d->hosts[1].addrs[1].addr.family = AF_INET6;
	a->smtp_attempted = true;
	a->smtp_outcome = SMTP_OUTCOME_TLS_OK;
	j = report_json_domain(d);
	probe_domain_free(d);
	cr_assert_not_null(j);
	return j;
}

ParameterizedTestParameters(report_json, mixed_domain_fields)
{
	static field_case cases[] = {
		S("domain", "example.org"),
		S("kind", "mx"),
		S("mx_status", "secure"),
		N("mx_verdict"),
		S("severity", "CRITICAL"),
		I("severity_code", 2),
		S("dane_status", "failed"),
		I("started", 1700000000),
		R("ms_total", 1500),
		F("timed_out"),
		F("probe_error"),
		I("counts/hosts", 2),
		I("counts/addresses", 3),
		S("mx/name", "example.org"),
		S("mx/type", "MX"),
		S("mx/dnssec", "secure"),
		S("hosts/0/name", "mx1.example.org"),
		I("hosts/0/preference", 10),
		I("hosts/1/preference", 20),
		S("hosts/0/severity", "OK"),
		S("hosts/1/severity", "CRITICAL"),
		I("hosts/1/severity_code", 2),
		S("hosts/0/policy/level", "required"),
		S("hosts/0/policy/reason", "policy of mx1.example.org"),
		S("hosts/0/policy/tlsa_name", "_25._tcp.x"),
		N("hosts/0/policy/base_domain"),
		I("hosts/0/policy/usable_records", 1),
		I("hosts/0/policy/unusable_records", 0),
		N("hosts/0/rollover"),
		S("hosts/0/lookups/0/type", "TLSA"),
		I("hosts/0/lookups/0/records/0/usage", 3),
		S("hosts/0/lookups/0/records/0/usage_name", "DANE-EE"),
		S("hosts/0/addresses/0/address", "192.0.2.1"),
		S("hosts/0/addresses/0/family", "ipv4"),
		I("hosts/0/addresses/0/port", 25),
		S("hosts/0/addresses/0/state", "dane-verified"),
		S("hosts/0/addresses/0/severity", "OK"),
		T("hosts/0/addresses/0/complete"),
		S("hosts/0/addresses/0/smtp_outcome", "tls-ok"),
		R("hosts/0/addresses/0/timings_ms/connect", 1.5),
		R("hosts/0/addresses/0/timings_ms/tls", 3.75),
		S("hosts/0/addresses/0/tls/version", "TLSv1.3"),
		S("hosts/0/addresses/0/tls/cipher", "TLS_AES_256_GCM_SHA384"),
		T("hosts/0/addresses/0/tls/authenticated"),
		I("hosts/0/addresses/0/tls/matched_depth", 0),
		N("hosts/0/addresses/0/tls/matched_peername"),
		I("hosts/0/addresses/0/tls/matched_record/index", 0),
		I("hosts/0/addresses/0/tls/matched_record/usage", 3),
		I("hosts/0/addresses/0/tls/leaf/not_after", 1827426236),
		N("hosts/0/addresses/0/tls/issuer"),
		I("hosts/0/addresses/0/tls/leaf_days_left", 300),
		S("hosts/1/addresses/0/state", "untrusted"),
		S("hosts/1/addresses/0/reason", "not verified"),
		N("hosts/1/addresses/0/smtp_outcome"),
		N("hosts/1/addresses/0/smtp_state"),
		N("hosts/1/addresses/0/timings_ms/connect"),
		N("hosts/1/addresses/0/timings_ms/total"),
		F("hosts/1/addresses/0/tls/authenticated"),
		N("hosts/1/addresses/0/tls/matched_depth"),
		N("hosts/1/addresses/0/tls/matched_record"),
		S("hosts/1/addresses/1/address", "2001:db8::2"),
		S("hosts/1/addresses/1/family", "ipv6"),
	};

	return cr_make_param_array(field_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(field_case *c, report_json, mixed_domain_fields)
{
	json_t *j = mixed_json();

	assert_field(j, c);
	json_decref(j);
}

Test(report_json, address_without_tls_has_null_tls)
{
	probe_domain *d = rt_mixed_domain();
	json_t *j;

	d->hosts[1].addrs[0].tls_established = false;
	j = report_json_domain(d);
	cr_assert_not_null(j);
	assert_field(j, &(field_case)N("hosts/1/addresses/0/tls"));
	assert_field(j, &(field_case)F("hosts/1/addresses/0/tls_established"));
	json_decref(j);
	probe_domain_free(d);
}

Test(report_json, banner_that_is_not_utf8_keeps_its_ascii)
{
	probe_domain *d = rt_mixed_domain();
	json_t *j;

	snprintf(d->hosts[0].addrs[0].banner,
	    sizeof(d->hosts[0].addrs[0].banner), "220 caf\xe9 ready");
	j = report_json_domain(d);
	cr_assert_not_null(j);
	assert_field(j, &(field_case)S("hosts/0/addresses/0/banner",
	    "220 caf? ready"));
	json_decref(j);
	probe_domain_free(d);
}

Test(report_json, null_mx_domain_has_no_hosts)
{
	probe_domain *d = rt_domain("nomail.example", DOMAIN_NULL_MX,
	    DANE_MX_SECURE, 0);
	json_t *j;

	probe_domain_finish(d);
	j = report_json_domain(d);

	cr_assert_not_null(j);
	assert_field(j, &(field_case)S("kind", "null-mx"));
	assert_field(j, &(field_case)S("dane_status", "null-mx"));
	cr_assert_eq(json_array_size(at(j, "hosts")), 0);
	json_decref(j);
	probe_domain_free(d);
}

/* ---- probe errors and the insecure MX ---------------------------------- */

Test(report_json, probe_error_field_and_unknown_status)
{
	probe_domain *d = rt_no_dns_domain();
	json_t *j = report_json_domain(d);

	cr_assert_not_null(j);
	cr_assert(json_is_true(json_object_get(j, "probe_error")));
	cr_assert_str_eq(json_string_value(json_object_get(j, "dane_status")),
	    "unknown");
	cr_assert_str_eq(json_string_value(json_object_get(j, "severity")),
	    "UNKNOWN");
	cr_assert(json_is_null(json_object_get(j, "mx_verdict")));
	json_decref(j);
	probe_domain_free(d);
}

Test(report_json, insecure_mx_verdict_and_status)
{
	probe_domain *d = rt_insecure_mx_domain();
	json_t *j = report_json_domain(d), *v;

	cr_assert_not_null(j);
	cr_assert_str_eq(json_string_value(json_object_get(j, "dane_status")),
	    "insecure-mx");
	cr_assert_str_eq(json_string_value(json_object_get(j, "mx_status")),
	    "insecure");
	v = json_object_get(j, "mx_verdict");
	cr_assert(json_is_object(v));
	cr_assert_str_eq(json_string_value(json_object_get(v, "severity")),
	    "WARNING");
	cr_assert(strstr(json_string_value(json_object_get(v, "reason")),
	    "sign the zone of i.example") != NULL);
	cr_assert(json_is_false(json_object_get(j, "probe_error")));
	json_decref(j);
	probe_domain_free(d);
}
