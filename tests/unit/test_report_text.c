/*
 * test_report_text.c -- the text report of hand-built trees: probe errors
 * reported as such (never as a DANE failure), the insecure-MX warning with
 * the TLSA match still shown, and terminal escapes in server-chosen
 * strings.  The JSON and Prometheus sides of the same trees:
 * test_report_json.c, test_report_prometheus.c.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "report/report_text.h"
#include "result_tree.h"

static char *
text_report(const probe_domain *d)
{
	char *buf = NULL;

	RT_CAPTURE(buf, report_text_domain(out, d));
	return buf;
}

/* ---- probe errors ------------------------------------------------------- */

Test(report_text, probe_error_says_so_plainly)
{
	probe_domain *d = rt_no_dns_domain();
	char *text = text_report(d);

	cr_assert(strstr(text, "p.example  [UNKNOWN]\n  probe error: this host "
	    "could not check the domain (a local failure, not the domain's): "
	    "p.example: no DNS server answered\n") != NULL, "%s", text);
	free(text);
	probe_domain_free(d);
}

/* ---- insecure MX -------------------------------------------------------- */

Test(report_text, insecure_mx_warning_and_the_match_per_address)
{
	probe_domain *d = rt_insecure_mx_domain();
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
