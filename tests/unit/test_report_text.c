/*
 * test_report_text.c -- the text report, the JSON document and the
 * Prometheus exposition of hand-built trees: probe errors reported as
 * such (never as a DANE failure), the insecure-MX warning with the TLSA
 * match still shown, and terminal escapes in server-chosen strings.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "report/report_json.h"
#include "report/report_prometheus.h"
#include "report/report_text.h"
#include "result_tree.h"

static char *
text_report(const probe_domain *d)
{
	char *buf = NULL;

	RT_CAPTURE(buf, report_text_domain(out, d));
	return buf;
}

static char *
prometheus(const probe_domain *d)
{
	const probe_domain *ds[] = { d };
	report_run run = { .finished = 1700000100, .seconds = 2.5 };
	char *buf = NULL;

	RT_CAPTURE(buf, report_prometheus(out, ds, 1, &run));
	return buf;
}

static size_t
count_substr(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

/* ---- probe errors ------------------------------------------------------- */

Test(report_text, probe_error_says_so_plainly)
{
	probe_domain *d = rt_probe_error("p.example", "no DNS server answered");
	char *text;

	probe_domain_finish(d);
	text = text_report(d);
	cr_assert(strstr(text, "p.example  [UNKNOWN]\n  probe error: this host "
	    "could not check the domain (a local failure, not the domain's): "
	    "p.example: no DNS server answered\n") != NULL, "%s", text);
	free(text);
	probe_domain_free(d);
}

Test(report_json, probe_error_field_and_unknown_status)
{
	probe_domain *d = rt_probe_error("p.example", "no DNS server answered");
	json_t *j;

	probe_domain_finish(d);
	j = report_json_domain(d);
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

Test(report_prometheus, probe_error_is_its_own_signal)
{
	probe_domain *d = rt_probe_error("p.example", "no DNS server answered");
	char *text;

	probe_domain_finish(d);
	text = prometheus(d);
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
	text = prometheus(d);
	cr_assert(strstr(text, "\ndaneprobe_probe_error{domain=\"g.example\"} "
	    "0\n") != NULL, "%s", text);
	cr_assert(strstr(text, "\ndaneprobe_dane_status{domain=\"g.example\","
	    "status=\"verified\"} 1\n") != NULL);
	free(text);
	probe_domain_free(d);
}

/* ---- insecure MX -------------------------------------------------------- */

static probe_domain *
insecure_mx_domain(void)
{
	probe_domain *d = rt_domain("i.example", DOMAIN_MX, DANE_MX_INSECURE, 1);
	probe_host *h = rt_host(d, 0, "mx.signed.example", DANE_LEVEL_REQUIRED,
	    1);

	rt_addr(h, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED);
	probe_domain_finish(d);
	return d;
}

Test(report_text, insecure_mx_warning_and_the_match_per_address)
{
	probe_domain *d = insecure_mx_domain();
	char *text = text_report(d);

	cr_assert(strstr(text, "i.example  [WARNING]\n  i.example: MX RRset is "
	    "not DNSSEC-signed") != NULL, "%s", text);
	cr_assert(strstr(text, "\n  [WARNING] the MX RRset of i.example is not "
	    "DNSSEC-signed") != NULL, "%s", text);
	cr_assert(strstr(text, "[OK] 192.0.2.1 port 25: dane-verified\n")
	    != NULL, "%s", text);
	free(text);
	probe_domain_free(d);
}

Test(report_json, insecure_mx_verdict_and_status)
{
	probe_domain *d = insecure_mx_domain();
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

Test(report_prometheus, insecure_mx_status_series)
{
	probe_domain *d = insecure_mx_domain();
	char *text = prometheus(d);

	cr_assert(strstr(text, "\ndaneprobe_dane_status{domain=\"i.example\","
	    "status=\"insecure-mx\"} 1\n") != NULL, "%s", text);
	cr_assert(strstr(text, "\ndaneprobe_dane_status{domain=\"i.example\","
	    "status=\"verified\"} 0\n") != NULL);
	cr_assert(strstr(text, "\ndaneprobe_domain_severity{domain="
	    "\"i.example\"} 1\n") != NULL);
	free(text);
	probe_domain_free(d);
}

/* ---- terminal escapes --------------------------------------------------- */

Test(report_text, server_strings_cannot_drive_the_terminal)
{
	probe_domain *d = rt_domain("t.example", DOMAIN_MX, DANE_MX_SECURE, 1);
	probe_host *h = rt_host(d, 0, "mx.t.example", DANE_LEVEL_REQUIRED, 1);
	probe_address *a = rt_addr(h, 0, "192.0.2.1",
	    ADDR_STATE_DANE_VERIFIED);
	char *text;

	snprintf(a->banner, sizeof(a->banner), "220 mx \x1b]0;owned\x07 ready"
	    "\n        fix: forged \xc2\x9b" "2J caf\xc3\xa9");
	snprintf(a->tls.leaf.subject, sizeof(a->tls.leaf.subject),
	    "CN=a|b\x1b[31m");
	snprintf(a->tls.leaf.sans, sizeof(a->tls.leaf.sans), "DNS:x\ny");
	probe_domain_finish(d);
	text = text_report(d);
	cr_assert_null(strchr(text, '\x1b'));
	cr_assert_null(strchr(text, '\a'));
	cr_assert_null(strstr(text, "\xc2\x9b"));
	cr_assert_null(strstr(text, "\n        fix: forged"));
	cr_assert(strstr(text, "        banner: 220 mx \\x1b]0;owned\\x07 ready"
	    "\\x0a        fix: forged \\xc2\\x9b2J caf\xc3\xa9\n") != NULL, "%s",
	    text);
	/* '|' means nothing to a terminal: kept in the text report */
	cr_assert(strstr(text, "leaf: CN=a|b\\x1b[31m; SAN: DNS:x\\x0ay;")
	    != NULL, "%s", text);
	free(text);
	probe_domain_free(d);
}
