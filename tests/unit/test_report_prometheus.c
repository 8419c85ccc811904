/*
 * test_report_prometheus.c -- the Prometheus exposition of hand-built
 * result trees: exact sample lines, label escaping, grouping of samples
 * under their HELP/TYPE, de-duplication, probe errors and the insecure
 * MX.  (promtool and node_exporter check real lab output in tests/monitoring.)
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "probe/probe_result.h"
#include "probe/probe_rollup.h"
#include "report/report_prometheus.h"
#include "result_tree.h"

/* ---- rendering ---------------------------------------------------------- */

static char *
render(const probe_domain *const *ds, size_t n)
{
	report_run run = { .finished = 1700000100, .seconds = 2.5 };
	char *buf = NULL;

	RT_CAPTURE(buf, report_prometheus(out, ds, n, &run));
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

static size_t
count_substr(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
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
	probe_domain *d = rt_domain("example.org", DOMAIN_MX, DANE_MX_SECURE,
	    1);
	probe_host *h = rt_host(d, 0, "evil\"}\nname\\", DANE_LEVEL_NONE, 0);
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
	probe_domain *d = rt_mixed_domain();
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
	probe_domain *d = rt_mixed_domain();
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
	probe_domain *d1 = rt_mixed_domain(), *d2 = rt_mixed_domain();
	probe_domain *d3 = rt_domain("other.example", DOMAIN_MX,
	    DANE_MX_SECURE, 2);
	const probe_domain *ds[] = { d1, d2, NULL, d3 };
	char *text;

	/* d2 repeats d1; mx2 of d1 lists 192.0.2.2 twice; d3 has two MX
	 * records for one host, spelt differently. */
	snprintf(d1->hosts[1].addrs[1].addr.text, 46, "192.0.2.2");
	rt_host(d3, 0, "mx.other.example", DANE_LEVEL_NONE, 0);
	rt_host(d3, 1, "MX.other.example", DANE_LEVEL_NONE, 0);
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
	probe_domain *d = rt_domain("example.net", DOMAIN_MX, DANE_MX_SECURE,
	    1);
	probe_host *h = rt_host(d, 0, "mx.example.net", DANE_LEVEL_NONE, 2);
	probe_address *a = rt_addr(h, 0, "192.0.2.9", ADDR_STATE_TIMEOUT);
	probe_address *b = rt_addr(h, 1, "192.0.2.10", ADDR_STATE_NOT_PROBED);
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
	probe_domain *d = rt_domain("nomail.example", DOMAIN_NULL_MX,
	    DANE_MX_SECURE, 0);
	char *text;

	probe_domain_finish(d);
	text = render_one(d);

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
	probe_domain *d = rt_domain("slow.example", DOMAIN_LOOKUP_FAILED,
	    DANE_MX_SECURE, 0);
	char *text;

	dns_answer_free(d->mx);
	d->mx = NULL;
	probe_domain_finish(d);
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

/* ---- probe errors and the insecure MX ---------------------------------- */

Test(report_prometheus, probe_error_is_its_own_signal)
{
	probe_domain *d = rt_no_dns_domain();
	char *text = render_one(d);

	cr_assert(strstr(text, "\ndaneprobe_probe_error{domain=\"p.example\"} "
	    "1\n") != NULL, "%s", text);
	cr_assert(strstr(text, "\ndaneprobe_probe_success{domain=\"p.example\"}"
	    " 0\n") != NULL);
	cr_assert(strstr(text, "\ndaneprobe_domain_severity{domain="
	    "\"p.example\"} 3\n") != NULL);
	/* every DANE status series present, all 0: never "failed" 1 */
	cr_assert_eq(count_substr(text, "daneprobe_dane_status{domain="
	    "\"p.example\""), DANE_STATUS_COUNT);
	cr_assert_eq(count_substr(text, "daneprobe_dane_status{domain="
	    "\"p.example\",status=\"failed\"} 0\n"), 1);
	cr_assert_null(strstr(text, "\"} 1\ndaneprobe_dane_status"));
	for (const char *p = strstr(text, "daneprobe_dane_status{"); p != NULL;
	    p = strstr(p + 1, "daneprobe_dane_status{")) {
		const char *eol = strchr(p, '\n');

		cr_assert(eol[-1] == '0' && eol[-2] == ' ', "%.*s",
		    (int)(eol - p), p);
	}
	free(text);
	probe_domain_free(d);
}

Test(report_prometheus, probe_error_is_zero_for_a_probed_domain)
{
	probe_domain *d = rt_domain("g.example", DOMAIN_MX, DANE_MX_SECURE, 1);
	probe_host *h = rt_host(d, 0, "mx.g.example", DANE_LEVEL_REQUIRED, 1);
	char *text;

	rt_addr(h, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED);
	probe_domain_finish(d);
	text = render_one(d);
	cr_assert(strstr(text, "\ndaneprobe_probe_error{domain=\"g.example\"} "
	    "0\n") != NULL, "%s", text);
	cr_assert(strstr(text, "\ndaneprobe_dane_status{domain=\"g.example\","
	    "status=\"verified\"} 1\n") != NULL);
	free(text);
	probe_domain_free(d);
}

Test(report_prometheus, insecure_mx_status_series)
{
	probe_domain *d = rt_insecure_mx_domain();
	char *text = render_one(d);

	cr_assert(strstr(text, "\ndaneprobe_dane_status{domain=\"i.example\","
	    "status=\"insecure-mx\"} 1\n") != NULL, "%s", text);
	cr_assert(strstr(text, "\ndaneprobe_dane_status{domain=\"i.example\","
	    "status=\"verified\"} 0\n") != NULL);
	cr_assert(strstr(text, "\ndaneprobe_domain_severity{domain="
	    "\"i.example\"} 1\n") != NULL);
	free(text);
	probe_domain_free(d);
}
