/*
 * test_report_prometheus.c -- the Prometheus exposition of hand-built
 * result trees: exact sample lines, label escaping, grouping of samples
 * under their HELP/TYPE, de-duplication, and the DANE status roll-up.
 * (promtool and node_exporter check real lab output in tests/monitoring.)
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_result.h"
#include "probe/probe_rollup.h"
#include "report/report_prometheus.h"

/* ---- building trees ----------------------------------------------------- */

static dns_answer *
answer(const char *qname, uint16_t qtype, dns_security sec)
{
	dns_answer *a = calloc(1, sizeof(*a));

	cr_assert_not_null(a);
	a->qname = strdup(qname);
	a->canonical_name = strdup(qname);
	a->qtype = qtype;
	a->status = DNS_STATUS_OK;
	a->security = sec;
	return a;
}

static probe_domain *
domain(const char *name, probe_domain_kind kind, size_t n_hosts)
{
	probe_domain *d = calloc(1, sizeof(*d));

	cr_assert_not_null(d);
	d->domain = strdup(name);
	d->kind = kind;
	d->mx = answer(name, DNS_TYPE_MX, DNS_SECURITY_SECURE);
	d->n_hosts = n_hosts;
	d->hosts = n_hosts ? calloc(n_hosts, sizeof(*d->hosts)) : NULL;
	d->started = 1700000000;
	d->ms_total = 1500;
	return d;
}

/* A host with one TLSA record "usage 1 1" and n_addrs addresses. */
static probe_host *
host(probe_domain *d, size_t i, const char *name, dane_level level,
    uint8_t usage, size_t n_addrs)
{
	probe_host *h = &d->hosts[i];

	h->name = strdup(name);
	h->preference = (uint16_t)(10 * (i + 1));
	h->policy.level = level;
	h->policy.tlsa_answer_index = -1;
	if (level == DANE_LEVEL_REQUIRED || level == DANE_LEVEL_ENCRYPT_ONLY) {
		dns_answer *t = answer("_25._tcp.x", DNS_TYPE_TLSA,
		    DNS_SECURITY_SECURE);

		t->count = 1;
		t->tlsa = calloc(1, sizeof(*t->tlsa));
		t->tlsa[0].usage = usage;
		t->tlsa[0].selector = 1;
		t->tlsa[0].mtype = 1;
		h->tlsa[0] = t;
		h->policy.tlsa_answer_index = 0;
		h->policy.n_usable = level == DANE_LEVEL_REQUIRED;
		h->policy.n_unusable = level != DANE_LEVEL_REQUIRED;
	}
	h->n_addrs = n_addrs;
	h->addrs = calloc(n_addrs ? n_addrs : 1, sizeof(*h->addrs));
	return h;
}

/* An address that went all the way through TLS. */
static probe_address *
addr(probe_host *h, size_t i, const char *text, addr_state state,
    bool authenticated)
{
	probe_address *a = &h->addrs[i];

	snprintf(a->addr.text, sizeof(a->addr.text), "%s", text);
	a->port = 25;
	a->state = state;
	a->severity = state == ADDR_STATE_DANE_VERIFIED ? SEVERITY_OK
	    : SEVERITY_CRITICAL;
	a->starttls_offered = true;
	a->tls_established = true;
	a->tls.authenticated = authenticated;
	a->tls.matched_index = authenticated ? 0 : -1;
	snprintf(a->tls.tls_version, sizeof(a->tls.tls_version), "TLSv1.3");
	snprintf(a->tls.cipher, sizeof(a->tls.cipher), "TLS_AES_256_GCM_SHA384");
	a->tls.leaf.present = true;
	a->tls.leaf.not_after = 1827426236;
	a->ms_connect = 1.5;
	a->ms_banner = 250;
	a->ms_ehlo = 0.25;
	a->ms_starttls = 0.5;
	a->ms_tls = 3.75;
	a->ms_total = 256;
	return a;
}

/* example.org: mx1 (DANE-EE, verified) and mx2 (DANE-EE, no match). */
static probe_domain *
mixed_domain(void)
{
	probe_domain *d = domain("example.org", DOMAIN_MX, 2);
	probe_host *h1 = host(d, 0, "mx1.example.org", DANE_LEVEL_REQUIRED, 3, 1);
	probe_host *h2 = host(d, 1, "mx2.example.org", DANE_LEVEL_REQUIRED, 3, 2);

	addr(h1, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED, true);
	addr(h2, 0, "192.0.2.2", ADDR_STATE_UNTRUSTED, false);
	addr(h2, 1, "2001:db8::2", ADDR_STATE_DANE_VERIFIED, true);
	h1->severity = SEVERITY_OK;
	h2->severity = SEVERITY_CRITICAL;
	d->severity = SEVERITY_CRITICAL;
	return d;
}

/* ---- rendering ---------------------------------------------------------- */

static char *
render(const probe_domain *const *ds, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	report_run run = { .finished = 1700000100, .seconds = 2.5 };

	cr_assert_not_null(out);
	report_prometheus(out, ds, n, &run);
	fclose(out);
	return buf;
}

static char *
render_one(const probe_domain *d)
{
	const probe_domain *ds[] = { d };

	return render(ds, 1);
}

static void
assert_line(const char *text, const char *line)
{
	char *want = NULL;

	cr_assert(asprintf(&want, "\n%s\n", line) > 0);
	cr_assert(strstr(text, want) != NULL, "missing line: %s\nin:\n%s",
	    line, text);
	free(want);
}

static size_t
count_lines_starting(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p != NULL && *p != '\0';) {
		if (strncmp(p, prefix, len) == 0)
			n++;
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	}
	return n;
}

/* ---- tests -------------------------------------------------------------- */

Test(report_prometheus, label_values_are_escaped)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	report_prometheus_label_value(out, "a\"b\\c\nd\x01\xc3\xa9" "e");
	fclose(out);
	cr_assert_str_eq(buf, "a\\\"b\\\\c\\nd\\\\x01\\\\xc3\\\\xa9e");
	free(buf);
}

Test(report_prometheus, hostile_mx_name_is_escaped_in_every_series)
{
	probe_domain *d = domain("example.org", DOMAIN_MX, 1);
	probe_host *h = host(d, 0, "evil\"}\nname\\", DANE_LEVEL_NONE, 0, 0);
	char *text;

	(void)h;
	text = render_one(d);
	assert_line(text, "daneprobe_mx_preference{domain=\"example.org\","
	    "mx=\"evil\\\"}\\nname\\\\\"} 10");
	/* The raw newline never reaches the output. */
	cr_assert_null(strstr(text, "evil\"}\nname"));
	free(text);
	probe_domain_free(d);
}

Test(report_prometheus, mixed_domain_has_exact_samples)
{
	probe_domain *d = mixed_domain();
	char *text = render_one(d);

	assert_line(text, "daneprobe_build_info{version=\"" PACKAGE_VERSION
	    "\"} 1");
	assert_line(text, "daneprobe_last_run_timestamp_seconds 1700000100");
	assert_line(text, "daneprobe_run_duration_seconds 2.5");
	assert_line(text, "daneprobe_run_domains 1");
	assert_line(text, "daneprobe_probe_success{domain=\"example.org\"} 0");
	assert_line(text, "daneprobe_domain_severity{domain=\"example.org\"} 2");
	assert_line(text, "daneprobe_dane_status{domain=\"example.org\","
	    "status=\"failed\"} 1");
	assert_line(text, "daneprobe_dane_status{domain=\"example.org\","
	    "status=\"verified\"} 0");
	assert_line(text, "daneprobe_domain_info{domain=\"example.org\","
	    "kind=\"mx\"} 1");
	assert_line(text, "daneprobe_mx_hosts{domain=\"example.org\"} 2");
	assert_line(text, "daneprobe_mx_dnssec_status{domain=\"example.org\","
	    "status=\"secure\"} 1");
	assert_line(text, "daneprobe_mx_dnssec_status{domain=\"example.org\","
	    "status=\"bogus\"} 0");
	assert_line(text, "daneprobe_mx_addresses{domain=\"example.org\"} 3");
	assert_line(text, "daneprobe_mx_addresses_dane_verified"
	    "{domain=\"example.org\"} 2");
	assert_line(text, "daneprobe_probe_duration_seconds"
	    "{domain=\"example.org\"} 1.5");
	assert_line(text, "daneprobe_probe_timestamp_seconds"
	    "{domain=\"example.org\"} 1700000000");
	assert_line(text, "daneprobe_mx_dane_level{domain=\"example.org\","
	    "mx=\"mx2.example.org\",level=\"required\"} 1");
	assert_line(text, "daneprobe_tlsa_usable_records{domain=\"example.org\","
	    "mx=\"mx1.example.org\"} 1");
	assert_line(text, "daneprobe_tlsa_match{domain=\"example.org\","
	    "mx=\"mx1.example.org\",address=\"192.0.2.1\"} 1");
	assert_line(text, "daneprobe_tlsa_match{domain=\"example.org\","
	    "mx=\"mx2.example.org\",address=\"192.0.2.2\"} 0");
	assert_line(text, "daneprobe_tlsa_match_info{domain=\"example.org\","
	    "mx=\"mx2.example.org\",address=\"2001:db8::2\",usage=\"3\","
	    "selector=\"1\",mtype=\"1\"} 1");
	assert_line(text, "daneprobe_address_state{domain=\"example.org\","
	    "mx=\"mx2.example.org\",address=\"192.0.2.2\",state=\"untrusted\"} 1");
	assert_line(text, "daneprobe_address_state{domain=\"example.org\","
	    "mx=\"mx2.example.org\",address=\"192.0.2.2\","
	    "state=\"dane-verified\"} 0");
	assert_line(text, "daneprobe_tls_version_info{domain=\"example.org\","
	    "mx=\"mx1.example.org\",address=\"192.0.2.1\",version=\"TLSv1.3\","
	    "cipher=\"TLS_AES_256_GCM_SHA384\"} 1");
	assert_line(text, "daneprobe_cert_not_after_timestamp_seconds"
	    "{domain=\"example.org\",mx=\"mx1.example.org\","
	    "address=\"192.0.2.1\"} 1827426236");
	assert_line(text, "daneprobe_phase_duration_seconds"
	    "{domain=\"example.org\",mx=\"mx1.example.org\","
	    "address=\"192.0.2.1\",phase=\"banner\"} 0.25");
	assert_line(text, "daneprobe_phase_duration_seconds"
	    "{domain=\"example.org\",mx=\"mx1.example.org\","
	    "address=\"192.0.2.1\",phase=\"tls\"} 0.00375");
	/* No match, no info series for that address. */
	cr_assert_null(strstr(text, "daneprobe_tlsa_match_info{domain="
	    "\"example.org\",mx=\"mx2.example.org\",address=\"192.0.2.2\""));
	free(text);
	probe_domain_free(d);
}

Test(report_prometheus, every_sample_sits_under_its_own_help_and_type)
{
	probe_domain *d = mixed_domain();
	char *text = render_one(d), *save = NULL, *copy = strdup(text);
	char type_name[128] = "";
	size_t n_types = 0, n_samples = 0;

	for (char *line = strtok_r(copy, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "# HELP ", 7) == 0)
			continue;
		if (sscanf(line, "# TYPE %127s gauge", type_name) == 1) {
			n_types++;
			continue;
		}
		size_t len = strcspn(line, "{ ");

		cr_assert(strlen(type_name) == len &&
		    strncmp(line, type_name, len) == 0,
		    "sample \"%s\" outside its group (%s)", line, type_name);
		n_samples++;
	}
	cr_assert_eq(n_types, count_lines_starting(text, "# HELP "));
	cr_assert_geq(n_types, 29);
	cr_assert_gt(n_samples, 100);
	free(copy);
	free(text);
	probe_domain_free(d);
}

Test(report_prometheus, repeated_domain_host_and_address_appear_once)
{
	probe_domain *d1 = mixed_domain(), *d2 = mixed_domain();
	probe_domain *d3 = domain("other.example", DOMAIN_MX, 2);
	const probe_domain *ds[] = { d1, d2, NULL, d3 };
	char *text;

	/* d2 repeats d1; mx2 of d1 lists 192.0.2.2 twice; d3 has two MX
	 * records for one host, spelt differently. */
	snprintf(d1->hosts[1].addrs[1].addr.text, 46, "192.0.2.2");
	host(d3, 0, "mx.other.example", DANE_LEVEL_NONE, 0, 0);
	host(d3, 1, "MX.other.example", DANE_LEVEL_NONE, 0, 0);
	text = render(ds, 4);
	cr_assert_eq(count_lines_starting(text,
	    "daneprobe_probe_success{domain=\"example.org\"}"), 1);
	cr_assert_eq(count_lines_starting(text,
	    "daneprobe_starttls_offered{domain=\"example.org\""), 2);
	cr_assert_eq(count_lines_starting(text,
	    "daneprobe_mx_preference{domain=\"other.example\""), 1);
	assert_line(text, "daneprobe_run_domains 2");
	free(text);
	probe_domain_free(d1);
	probe_domain_free(d2);
	probe_domain_free(d3);
}

Test(report_prometheus, unreached_phases_and_unprobed_addresses_have_no_timing)
{
	probe_domain *d = domain("example.net", DOMAIN_MX, 1);
	probe_host *h = host(d, 0, "mx.example.net", DANE_LEVEL_NONE, 0, 2);
	probe_address *a = addr(h, 0, "192.0.2.9", ADDR_STATE_TIMEOUT, false);
	probe_address *b = addr(h, 1, "192.0.2.10", ADDR_STATE_NOT_PROBED, false);
	char *text;

	a->tls_established = false;
	a->ms_ehlo = a->ms_starttls = a->ms_tls = -1;
	b->tls_established = false;
	text = render_one(d);
	cr_assert_eq(count_lines_starting(text,
	    "daneprobe_phase_duration_seconds{domain=\"example.net\","
	    "mx=\"mx.example.net\",address=\"192.0.2.9\""), 3);
	cr_assert_eq(count_lines_starting(text,
	    "daneprobe_phase_duration_seconds{domain=\"example.net\","
	    "mx=\"mx.example.net\",address=\"192.0.2.10\""), 0);
	/* No handshake: no TLS version, no certificate expiry, match 0. */
	cr_assert_eq(count_lines_starting(text, "daneprobe_tls_version_info{"), 0);
	cr_assert_eq(count_lines_starting(text,
	    "daneprobe_cert_not_after_timestamp_seconds{"), 0);
	assert_line(text, "daneprobe_tlsa_match{domain=\"example.net\","
	    "mx=\"mx.example.net\",address=\"192.0.2.9\"} 0");
	assert_line(text, "daneprobe_tls_handshake_ok{domain=\"example.net\","
	    "mx=\"mx.example.net\",address=\"192.0.2.9\"} 0");
	free(text);
	probe_domain_free(d);
}

Test(report_prometheus, null_mx_domain_has_zero_hosts_and_no_host_series)
{
	probe_domain *d = domain("nomail.example", DOMAIN_NULL_MX, 0);
	char *text = render_one(d);

	assert_line(text, "daneprobe_mx_hosts{domain=\"nomail.example\"} 0");
	assert_line(text, "daneprobe_dane_status{domain=\"nomail.example\","
	    "status=\"null-mx\"} 1");
	assert_line(text, "daneprobe_domain_info{domain=\"nomail.example\","
	    "kind=\"null-mx\"} 1");
	cr_assert_eq(count_lines_starting(text, "daneprobe_mx_preference{"), 0);
	free(text);
	probe_domain_free(d);
}

Test(report_prometheus, lookup_that_never_completed_has_all_dnssec_states_zero)
{
	probe_domain *d = domain("slow.example", DOMAIN_LOOKUP_FAILED, 0);
	char *text;

	dns_answer_free(d->mx);
	d->mx = NULL;
	text = render_one(d);
	cr_assert_eq(count_lines_starting(text, "daneprobe_mx_dnssec_status{"),
	    4);
	cr_assert_null(strstr(text, "daneprobe_mx_dnssec_status{domain="
	    "\"slow.example\",status=\"secure\"} 1"));
	assert_line(text, "daneprobe_dane_status{domain=\"slow.example\","
	    "status=\"failed\"} 1");
	free(text);
	probe_domain_free(d);
}

/* ---- DANE status roll-up ------------------------------------------------ */

/* dane_status_*() live in probe_result (the JSON report shows them too);
 * they are tested here, where the trees to feed them are built. */

typedef struct status_case {
	dane_level levels[2];
	addr_state states[2];  /* the single address of each host */
	size_t n_hosts;
	dane_status want;
} status_case;

ParameterizedTestParameters(probe_result, dane_status_of_domain)
{
	static status_case cases[] = {
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_REQUIRED },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_DANE_VERIFIED }, 2,
		  DANE_STATUS_VERIFIED },
		{ { DANE_LEVEL_REQUIRED, 0 },
		  { ADDR_STATE_MATCHED_BUT_SMTP_FAILED, 0 }, 1,
		  DANE_STATUS_VERIFIED },
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_REQUIRED },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_UNTRUSTED }, 2,
		  DANE_STATUS_FAILED },
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_FAIL },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_NOT_PROBED }, 2,
		  DANE_STATUS_FAILED },
		{ { DANE_LEVEL_REQUIRED, 0 }, { ADDR_STATE_TIMEOUT, 0 }, 1,
		  DANE_STATUS_FAILED },
		{ { DANE_LEVEL_REQUIRED, DANE_LEVEL_NONE },
		  { ADDR_STATE_DANE_VERIFIED, ADDR_STATE_TLS_NO_DANE }, 2,
		  DANE_STATUS_PARTIAL },
		{ { DANE_LEVEL_ENCRYPT_ONLY, DANE_LEVEL_NONE },
		  { ADDR_STATE_ENCRYPTED_UNAUTHENTICATED,
		    ADDR_STATE_TLS_NO_DANE }, 2, DANE_STATUS_ENCRYPT_ONLY },
		{ { DANE_LEVEL_NONE, DANE_LEVEL_NONE },
		  { ADDR_STATE_TLS_NO_DANE, ADDR_STATE_CLEARTEXT_NO_DANE }, 2,
		  DANE_STATUS_NONE },
		{ { 0, 0 }, { 0, 0 }, 0, DANE_STATUS_FAILED },
	};

	return cr_make_param_array(status_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(status_case *c, probe_result, dane_status_of_domain)
{
	probe_domain *d = domain("s.example", DOMAIN_MX, c->n_hosts);

	for (size_t i = 0; i < c->n_hosts; i++) {
		char name[32];
		probe_host *h;

		snprintf(name, sizeof(name), "mx%zu.s.example", i);
		h = host(d, i, name, c->levels[i], 3, 1);
		addr(h, 0, "192.0.2.1", c->states[i],
		    c->states[i] == ADDR_STATE_DANE_VERIFIED);
	}
	cr_assert_str_eq(dane_status_name(dane_status_domain(d)),
	    dane_status_name(c->want));
	probe_domain_free(d);
}

Test(probe_result, dane_status_of_null_mx_and_failed_lookup)
{
	probe_domain *d = domain("n.example", DOMAIN_NULL_MX, 0);

	cr_assert_eq(dane_status_domain(d), DANE_STATUS_NULL_MX);
	d->kind = DOMAIN_LOOKUP_FAILED;
	cr_assert_eq(dane_status_domain(d), DANE_STATUS_FAILED);
	cr_assert_str_eq(dane_status_name(DANE_STATUS_COUNT), "unknown");
	probe_domain_free(d);
}
