/*
 * test_report_nagios.c -- the plugin output of hand-built result trees:
 * the insecure-MX roll-up (probe_domain_finish) as a table, probe errors,
 * and hostile strings ('|', newlines, ESC) in every field that reaches the
 * status line, the long output and the perfdata labels.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "report/report_nagios.h"
#include "report/report_safe.h"
#include "result_tree.h"

static const expiry_thresholds no_expiry = { -1, -1 };

static char *
nagios(const probe_domain *d)
{
	char *buf = NULL;

	RT_CAPTURE(buf, report_nagios(out, d, &no_expiry));
	return buf;
}

static bool
starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t
count_char(const char *s, char c)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == c;
	return n;
}

/* ---- the insecure-MX roll-up -------------------------------------------- */

typedef struct mx_case {
	dane_mx_status mx;
	dane_level level;
	addr_state state;
	probe_severity want_severity;
	dane_status want_status;
	bool want_mx_warning;
} mx_case;

ParameterizedTestParameters(probe_result, insecure_mx_roll_up)
{
	static mx_case cases[] = {
		/* signed MX, verified host: OK */
		{ DANE_MX_SECURE, DANE_LEVEL_REQUIRED, ADDR_STATE_DANE_VERIFIED,
		  SEVERITY_OK, DANE_STATUS_VERIFIED, false },
		/* unsigned MX -> signed host with matching TLSA: WARNING */
		{ DANE_MX_INSECURE, DANE_LEVEL_REQUIRED,
		  ADDR_STATE_DANE_VERIFIED, SEVERITY_WARNING,
		  DANE_STATUS_INSECURE_MX, true },
		/* ... and with a mismatch: still CRITICAL, still failed */
		{ DANE_MX_INSECURE, DANE_LEVEL_REQUIRED, ADDR_STATE_UNTRUSTED,
		  SEVERITY_CRITICAL, DANE_STATUS_FAILED, true },
		/* unsigned MX -> host with only unusable TLSA: WARNING */
		{ DANE_MX_INSECURE, DANE_LEVEL_ENCRYPT_ONLY,
		  ADDR_STATE_ENCRYPTED_UNAUTHENTICATED, SEVERITY_WARNING,
		  DANE_STATUS_ENCRYPT_ONLY, true },
		/* unsigned MX -> unsigned host: no DANE, nothing to void */
		{ DANE_MX_INSECURE, DANE_LEVEL_NONE, ADDR_STATE_TLS_NO_DANE,
		  SEVERITY_WARNING, DANE_STATUS_NONE, false },
		/* signed MX -> unsigned host (2.2.2: no TLSA lookup) */
		{ DANE_MX_SECURE, DANE_LEVEL_NONE, ADDR_STATE_TLS_NO_DANE,
		  SEVERITY_WARNING, DANE_STATUS_NONE, false },
		/* implicit MX under a signed denial */
		{ DANE_MX_IMPLICIT_SECURE, DANE_LEVEL_REQUIRED,
		  ADDR_STATE_DANE_VERIFIED, SEVERITY_OK, DANE_STATUS_VERIFIED,
		  false },
		/* implicit MX under an unsigned denial that still reached a
		 * secure TLSA RRset (a CNAME into a signed zone) */
		{ DANE_MX_IMPLICIT_INSECURE, DANE_LEVEL_REQUIRED,
		  ADDR_STATE_DANE_VERIFIED, SEVERITY_WARNING,
		  DANE_STATUS_INSECURE_MX, true },
	};

	return cr_make_param_array(mx_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(mx_case *c, probe_result, insecure_mx_roll_up)
{
	bool implicit = c->mx == DANE_MX_IMPLICIT_SECURE ||
	    c->mx == DANE_MX_IMPLICIT_INSECURE;
	probe_domain *d = rt_domain("m.example", implicit ? DOMAIN_IMPLICIT_MX
	    : DOMAIN_MX, c->mx, 1);
	probe_host *h = rt_host(d, 0, "mx.signed.example", c->level, 1);

	rt_addr(h, 0, "192.0.2.1", c->state);
	probe_domain_finish(d);
	cr_assert_str_eq(probe_severity_name(d->severity),
	    probe_severity_name(c->want_severity), "%s", d->summary);
	cr_assert_str_eq(dane_status_name(dane_status_domain(d)),
	    dane_status_name(c->want_status));
	cr_assert_eq(d->mx_severity == SEVERITY_WARNING, c->want_mx_warning);
	if (c->want_mx_warning) {
		cr_assert(strstr(d->mx_reason, "MX RRset of m.example") != NULL,
		    "%s", d->mx_reason);
		cr_assert(strstr(d->mx_reason, "publish the DS record") != NULL);
		cr_assert(strstr(d->summary, "not DNSSEC-signed") != NULL,
		    "%s", d->summary);
	} else {
		cr_assert_str_empty(d->mx_reason);
	}
	/* The match itself is still what the address saw. */
	cr_assert_eq(h->addrs[0].state, c->state);
	probe_domain_free(d);
}

Test(report_nagios, insecure_mx_is_a_warning_naming_the_rrset)
{
	probe_domain *d = rt_domain("secure-host.insecure.example", DOMAIN_MX,
	    DANE_MX_INSECURE, 1);
	probe_host *h = rt_host(d, 0, "mx-ee.signed.example",
	    DANE_LEVEL_REQUIRED, 1);
	char *text;

	rt_addr(h, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED);
	probe_domain_finish(d);
	text = nagios(d);
	cr_assert(starts_with(text, "DANE-SMTP WARNING - secure-host.insecure."
	    "example: MX RRset is not DNSSEC-signed, a forged MX bypasses DANE "
	    "(1/1 MX address(es) match their TLSA records)"), "%s", text);
	cr_assert(strstr(text, "\n[WARNING] the MX RRset of secure-host."
	    "insecure.example is not DNSSEC-signed") != NULL, "%s", text);
	cr_assert(strstr(text, "\n[OK] mx-ee.signed.example[192.0.2.1]:25 "
	    "dane-verified: DANE authenticated") != NULL, "%s", text);
	cr_assert_null(strstr(text, "DANE-verified on"));
	free(text);
	probe_domain_free(d);
}

Test(report_nagios, null_mx_in_unsigned_zone_is_ok_and_says_unsigned)
{
	probe_domain *d = rt_domain("n.example", DOMAIN_NULL_MX,
	    DANE_MX_INSECURE, 0);

	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_OK);
	cr_assert_eq(dane_status_domain(d), DANE_STATUS_NULL_MX);
	cr_assert_str_eq(d->summary, "n.example: null MX (RFC 7505): the "
	    "domain accepts no mail (MX RRset not DNSSEC-signed)");
	probe_domain_free(d);
}

/* ---- addresses left out by --max-addresses ------------------------------ */

static void
capped(probe_address *a, const char *text)
{
	snprintf(a->addr.text, sizeof(a->addr.text), "%s", text);
	a->port = 25;
	a->state = ADDR_STATE_NOT_PROBED;
	a->severity = SEVERITY_WARNING;
	a->complete = true;
	a->capped = true;
	snprintf(a->reason, sizeof(a->reason), "not probed: beyond the first "
	    "1 addresses of this domain");
}

Test(probe_result, capped_addresses_are_neither_ok_nor_failed)
{
	probe_domain *d = rt_domain("c.example", DOMAIN_MX, DANE_MX_SECURE, 2);
	probe_host *h1 = rt_host(d, 0, "mx1.c.example", DANE_LEVEL_REQUIRED, 2);
	probe_host *h2 = rt_host(d, 1, "mx2.c.example", DANE_LEVEL_REQUIRED, 1);

	rt_addr(h1, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED);
	capped(&h1->addrs[1], "192.0.2.2");
	capped(&h2->addrs[0], "192.0.2.3");
	probe_domain_finish(d);
	/* never OK on their own ... */
	cr_assert_eq(d->severity, SEVERITY_WARNING, "%s", d->summary);
	cr_assert_eq(h2->severity, SEVERITY_WARNING);
	cr_assert(strstr(d->summary, "not probed: beyond the first") != NULL);
	/* ... and no DANE failure either */
	cr_assert_eq(dane_status_host(h1), DANE_STATUS_VERIFIED);
	cr_assert_eq(dane_status_host(h2), DANE_STATUS_UNKNOWN);
	cr_assert_eq(dane_status_domain(d), DANE_STATUS_VERIFIED);
	probe_domain_free(d);
}

/* ---- probe errors ------------------------------------------------------- */

Test(report_nagios, probe_error_is_unknown_and_never_a_dane_failure)
{
	probe_domain *d = rt_probe_error("p.example",
	    "no DNS server answered (resolver 127.0.0.1 unreachable)");
	char *text;

	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_UNKNOWN);
	cr_assert_eq(dane_status_domain(d), DANE_STATUS_UNKNOWN);
	cr_assert_str_eq(dane_status_name(dane_status_domain(d)), "unknown");
	text = nagios(d);
	cr_assert(starts_with(text, "DANE-SMTP UNKNOWN - probe error (local, "
	    "not the domain's fault): p.example: no DNS server answered "
	    "(resolver 127.0.0.1 unreachable) | "), "%s", text);
	cr_assert_null(strstr(text, "CRITICAL"));
	cr_assert(strstr(text, " failed=0;;;0") != NULL, "%s", text);
	free(text);
	probe_domain_free(d);
}

/* ---- hostile strings ---------------------------------------------------- */

/* A server replying "554 go away | injected=1;;;;", an MX name holding
 * '|' and '\n' (DNS names may: \124, \010), and ESC sequences. */
Test(report_nagios, hostile_strings_cannot_add_perfdata_or_lines)
{
	probe_domain *d = rt_domain("h.example", DOMAIN_MX, DANE_MX_SECURE, 2);
	probe_host *h1 = rt_host(d, 0, "mx|evil=1;;;;\n[OK] forged.example",
	    DANE_LEVEL_REQUIRED, 1);
	probe_host *h2 = rt_host(d, 1, "mx2.h.example", DANE_LEVEL_FAIL, 0);
	probe_address *a;
	char *text, *nl;

	a = rt_addr(h1, 0, "192.0.2.1", ADDR_STATE_SMTP_ERROR);
	snprintf(a->reason, sizeof(a->reason), "SMTP failed during ehlo: 554 "
	    "go away | injected=1;;;;\n[OK] all fine \x1b]0;owned\x07\x1b[2J");
	snprintf(h2->policy.reason, sizeof(h2->policy.reason),
	    "TLSA lookup for _25._tcp.x|y=2 failed\r\nfake");
	probe_domain_finish(d);
	text = nagios(d);
	/* one '|' in the whole output: the status line's separator */
	cr_assert_eq(count_char(text, '|'), 1, "%s", text);
	cr_assert_null(strchr(text, '\x1b'));
	cr_assert_null(strchr(text, '\r'));
	cr_assert_null(strchr(text, '\a'));
	/* status line + 3 long-output lines (the bad name, its address,
	 * the failed host), nothing forged */
	cr_assert_eq(count_char(text, '\n'), 4, "%s", text);
	cr_assert(strstr(text, "554 go away \\x7c injected=1;;;;\\x0a[OK] all "
	    "fine \\x1b]0;owned\\x07\\x1b[2J") != NULL, "%s", text);
	cr_assert(strstr(text, "mx\\x7cevil=1;;;;\\x0a[OK] forged.example"
	    "[192.0.2.1]:25 smtp-error") != NULL, "%s", text);
	/* the perfdata labels carry the name with '_' for the bad bytes */
	nl = strchr(text, '\n');
	*nl = '\0';
	cr_assert(strstr(text, " mx_evil_1;;;;_[OK]_forged.example[192.0.2.1]"
	    "_connect=0.001500s;;;0") != NULL, "%s", text);
	/* the reply text is in the summary, escaped, not in the perfdata */
	cr_assert_null(strstr(strstr(text, " | "), "injected"), "%s", text);
	free(text);
	probe_domain_free(d);
}

Test(report_nagios, hostile_summary_cannot_end_the_status_line)
{
	probe_domain *d = rt_probe_error("q.example", "reply \"x | y=1\"\n"
	    "DANE-SMTP OK - forged");
	char *text = nagios(d);

	cr_assert_eq(count_char(text, '|'), 1, "%s", text);
	cr_assert_eq(count_char(text, '\n'), 1, "%s", text);
	cr_assert(strstr(text, "x \\x7c y=1\"\\x0aDANE-SMTP OK - forged | ")
	    != NULL, "%s", text);
	free(text);
	probe_domain_free(d);
}

/* posttls-finger: "malformed domain name in resource data of MX record". */
Test(report_nagios, mx_name_no_sender_accepts_is_critical)
{
	probe_domain *d = rt_domain("b.example", DOMAIN_MX, DANE_MX_SECURE, 1);
	probe_host *h = rt_host(d, 0, "mx|evil=1.b.example",
	    DANE_LEVEL_REQUIRED, 1);
	char *text;

	rt_addr(h, 0, "192.0.2.1", ADDR_STATE_DANE_VERIFIED);
	probe_domain_finish(d);
	cr_assert_eq(d->severity, SEVERITY_CRITICAL);
	cr_assert(h->bad_name);
	text = nagios(d);
	cr_assert(strstr(text, "\n[CRITICAL] mx\\x7cevil=1.b.example: not a "
	    "valid host name (RFC 5321 2.3.5)") != NULL, "%s", text);
	/* the DANE facts stay as they were */
	cr_assert(strstr(text, "\n[OK] mx\\x7cevil=1.b.example[192.0.2.1]:25 "
	    "dane-verified") != NULL, "%s", text);
	free(text);
	probe_domain_free(d);
}

/* ---- the sanitiser itself ----------------------------------------------- */

/* Arrays, not pointers: Criterion runs each case in a new process. */
typedef struct safe_case {
	char in[32];
	unsigned flags;
	char want[64];
} safe_case;

ParameterizedTestParameters(report_safe, escapes)
{
	static safe_case cases[] = {
		{ "plain text", 0, "plain text" },
		{ "a|b", 0, "a|b" },
		{ "a|b", REPORT_SAFE_PIPE, "a\\x7cb" },
		{ "line\nforged", 0, "line\\x0aforged" },
		{ "cr\r", 0, "cr\\x0d" },
		{ "\x1b[31mred\x1b[0m", 0, "\\x1b[31mred\\x1b[0m" },
		{ "\x1b]8;;http://x\x1b\\", 0, "\\x1b]8;;http://x\\x1b\\" },
		{ "del\x7f", 0, "del\\x7f" },
		/* UTF-8 passes, C1 controls encoded in UTF-8 do not */
		{ "caf\xc3\xa9", 0, "caf\xc3\xa9" },
		{ "\xc2\x9b" "2J", 0, "\\xc2\\x9b2J" },
		{ "\xc2\x9d" "0;t", 0, "\\xc2\\x9d0;t" },
		/* a lone 0x9b (CSI on 8-bit terminals), truncated UTF-8 */
		{ "\x9b" "2J", 0, "\\x9b2J" },
		{ "x\xc3", 0, "x\\xc3" },
		/* overlong encoding of '/' and a surrogate */
		{ "\xc0\xaf", 0, "\\xc0\\xaf" },
		{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },
		{ "\xf0\x9f\x94\x92 lock", 0, "\xf0\x9f\x94\x92 lock" },
	};

	return cr_make_param_array(safe_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(safe_case *c, report_safe, escapes)
{
	char out[256];

	cr_assert_str_eq(report_safe(out, sizeof(out), c->in, c->flags),
	    c->want);
}

Test(report_safe, truncation_never_splits_an_escape_or_a_character)
{
	char out[8];

	/* "ab" + \x1b needs 6 bytes + NUL = 7: fits; the next one does not */
	cr_assert_str_eq(report_safe(out, sizeof(out), "ab\x1b\x1b", 0),
	    "ab\\x1b");
	cr_assert_str_eq(report_safe(out, 4, "\xc3\xa9\xc3\xa9", 0),
	    "\xc3\xa9");
	cr_assert_str_eq(report_safe(out, 1, "abc", 0), "");
}
