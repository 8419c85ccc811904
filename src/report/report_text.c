/*
 * report_text.c -- the audit report for people.
 *
 * Every line goes through report_safe_line(): banners, certificate names,
 * MX names and reasons are the server's words, and this report is read
 * on a terminal, where a raw ESC or OSC sequence would act.  Pieces of a
 * line are gathered with line_add() first.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "report/report_safe.h"
#include "report/report_text.h"

#define LINE(out, ...) report_safe_line((out), 0, __VA_ARGS__)

typedef struct line {
	char s[2048];
	size_t len;
} line;

static void line_add(line *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_add(line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->s) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->s + l->len, sizeof(l->s) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n < sizeof(l->s) - l->len ?
		    (size_t)n :
		    sizeof(l->s) - 1 - l->len;
}

static void
print_answer(FILE *out, const char *label, const dns_answer *a)
{
	line l = { .len = 0 };

	if (a == NULL)
		return;
	line_add(&l, "    %-5s %s", label, dns_status_name(a->status));
	line_add(&l, ", %s", dns_security_name(a->security));
	if (a->status == DNS_STATUS_OK)
		for (size_t i = 0; i < a->count && a->addrs; i++)
			line_add(&l, "%s%s", i ? " " : ": ", a->addrs[i].text);
	if (a->canonical_name && a->qname &&
	    strcmp(a->canonical_name, a->qname) != 0)
		line_add(&l, " (CNAME -> %s)", a->canonical_name);
	if (a->status != DNS_STATUS_OK && a->status != DNS_STATUS_NODATA &&
	    a->reason[0])
		line_add(&l, " (%s)", a->reason);
	LINE(out, "%s", l.s);
}

/* Which probed address matched this TLSA record, for the audit. */
static const probe_address *
matched_by(const probe_host *h, int index)
{
	for (size_t i = 0; i < h->n_addrs; i++)
		if (h->addrs[i].tls_established &&
		    h->addrs[i].tls.matched_index == index)
			return &h->addrs[i];
	return NULL;
}

static void
print_tlsa(FILE *out, const probe_host *h, size_t i)
{
	const dns_answer *t = h->tlsa[i];
	char rec[200];
	line l = { .len = 0 };

	if (t == NULL)
		return;
	line_add(&l, "    TLSA  %s: %s, %s", t->qname ? t->qname : "?",
	    dns_status_name(t->status), dns_security_name(t->security));
	if (t->status == DNS_STATUS_OK)
		line_add(&l, ", TTL %u, %zu record(s)", t->ttl, t->count);
	if (t->reason[0] && t->status != DNS_STATUS_OK &&
	    t->status != DNS_STATUS_NODATA)
		line_add(&l, " (%s)", t->reason);
	LINE(out, "%s", l.s);
	for (size_t j = 0; j < t->count; j++) {
		tlsa_usability u = tlsa_record_usability(&t->tlsa[j]);
		const probe_address *m = (int)i == h->policy.tlsa_answer_index ?
		    matched_by(h, (int)j) :
		    NULL;

		const dane_roll_record *rr =
		    (int)i == h->policy.tlsa_answer_index && h->rollover &&
		        j < h->rollover->n_records ?
		    &h->rollover->rec[j] :
		    NULL;

		LINE(out, "          %s  [%s %s %s; %s]%s%s",
		    tlsa_record_format(&t->tlsa[j], rec, sizeof(rec)),
		    tlsa_usage_name(t->tlsa[j].usage),
		    tlsa_selector_name(t->tlsa[j].selector),
		    tlsa_mtype_name(t->tlsa[j].mtype), tlsa_usability_name(u),
		    m ? " matched by " : "", m ? m->addr.text : "");
		if (rr != NULL && rr->state != DANE_ROLL_REC_MATCH)
			LINE(out, "            %s: %s",
			    dane_roll_rec_state_name(rr->state), rr->note);
	}
}

static void
print_tls(FILE *out, const probe_address *a)
{
	const cert_facts *l = &a->tls.leaf;
	char when[32] = "?";
	struct tm tm;
	line ln = { .len = 0 };

	if (!a->tls_established)
		return;
	line_add(&ln, "        TLS: %s %s, %d certificate(s) sent",
	    a->tls.tls_version, a->tls.cipher, a->tls.chain_len);
	if (a->tls.matched_depth >= 0)
		line_add(
		    &ln, ", TLSA matched at depth %d", a->tls.matched_depth);
	LINE(out, "%s", ln.s);
	if (!l->present)
		return;
	if (gmtime_r(&l->not_after, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d", &tm);
	LINE(out,
	    "        leaf: %s; SAN: %s; %s %d bits; expires %s "
	    "(%ld days)",
	    l->subject, l->sans[0] ? l->sans : "(none)", l->key_type,
	    l->key_bits, when, a->leaf_days_left);
	LINE(out, "        leaf SPKI SHA-256: %s", l->spki_sha256);
}

/* Phases not reached (negative) are left out. */
static void
print_timings(FILE *out, const probe_address *a)
{
	const struct {
		const char *name;
		double ms;
	} t[] = {
		{ "connect", a->ms_connect },
		{ "banner", a->ms_banner },
		{ "TLS", a->ms_tls },
		{ "total", a->ms_total },
	};
	const char *sep = "        time: ";
	line l = { .len = 0 };

	if (a->ms_total < 0)
		return;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (t[i].ms < 0)
			continue;
		line_add(&l, "%s%s %.1f ms", sep, t[i].name, t[i].ms);
		sep = ", ";
	}
	LINE(out, "%s", l.s);
}

static void
print_address(FILE *out, const probe_host *h, const probe_address *a)
{
	char hint[400];

	LINE(out, "    [%s] %s port %d%s%s%s: %s",
	    probe_severity_name(a->severity), a->addr.text, a->port,
	    a->key_family[0] ? " (" : "", a->key_family,
	    a->key_family[0] ? " key)" : "", addr_state_name(a->state));
	LINE(out, "        %s", a->reason);
	if (a->banner[0])
		LINE(out, "        banner: %s", a->banner);
	print_tls(out, a);
	if (a->discarded_after_starttls)
		LINE(out,
		    "        note: %zu byte(s) of plaintext after "
		    "STARTTLS's 220 were discarded (command injection?)",
		    a->discarded_after_starttls);
	print_timings(out, a);
	if (report_fix_hint(h, a, hint, sizeof(hint))[0])
		LINE(out, "        fix: %s", hint);
}

static void
print_rollover(FILE *out, const dane_rollover_report *r)
{
	char when[40];
	struct tm tm;

	if (r == NULL)
		return;
	LINE(out, "    rollover: %s: %s", dane_roll_verdict_name(r->verdict),
	    r->reason);
	LINE(out,
	    "      %zu usable record(s), %zu matching, %zu stale, "
	    "%zu next-key candidate(s), TTL %u s",
	    r->n_usable, r->n_matching, r->n_stale, r->n_next, r->ttl);
	if (r->safe_switch_at != 0 && gmtime_r(&r->safe_switch_at, &tm)) {
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		LINE(out,
		    "      a published next key may be deployed from "
		    "%s (its record plus one TTL)",
		    when);
	}
}

static void
print_host(FILE *out, const probe_host *h)
{
	LINE(out, "  MX %u %s  [%s]", h->preference, h->name,
	    probe_severity_name(h->severity));
	if (h->bad_name)
		LINE(out, "    [%s] %s", probe_severity_name(h->severity),
		    h->reason);
	print_answer(out, "A", h->a);
	print_answer(out, "AAAA", h->aaaa);
	for (size_t i = 0; i < 2; i++)
		print_tlsa(out, h, i);
	LINE(out, "    policy: %s: %s", dane_level_name(h->policy.level),
	    h->policy.reason);
	print_rollover(out, h->rollover);
	if (h->policy.level == DANE_LEVEL_FAIL)
		LINE(out,
		    "    fix: repair the DNS for this host (DNSSEC "
		    "signatures, DS records, reachable name servers); DANE "
		    "senders hold mail until then");
	for (size_t i = 0; i < h->n_addrs; i++)
		print_address(out, h, &h->addrs[i]);
}

void
report_text_domain(FILE *out, const probe_domain *d)
{
	LINE(out, "%s  [%s]", d->domain, probe_severity_name(d->severity));
	if (d->probe_error)
		LINE(out,
		    "  probe error: this host could not check the domain "
		    "(a local failure, not the domain's): %s",
		    d->summary);
	else
		LINE(out, "  %s", d->summary);
	if (d->mx != NULL) {
		line l = { .len = 0 };

		line_add(&l, "  MX lookup: %s, %s",
		    dns_status_name(d->mx->status),
		    dns_security_name(d->mx->security));
		if (d->kind == DOMAIN_IMPLICIT_MX)
			line_add(&l,
			    " (no MX: the domain itself is the mail "
			    "host, RFC 5321 5.1)");
		LINE(out, "%s", l.s);
	}
	if (d->mx_severity != SEVERITY_OK)
		LINE(out, "  [%s] %s", probe_severity_name(d->mx_severity),
		    d->mx_reason);
	for (size_t i = 0; i < d->n_hosts; i++)
		print_host(out, &d->hosts[i]);
	LINE(out, "  (probe took %.0f ms)", d->ms_total);
	LINE(out, "%s", "");
}

const char *
report_fix_hint(
    const probe_host *h, const probe_address *a, char *buf, size_t buflen)
{
	const char *base =
	    h->policy.base_domain[0] ? h->policy.base_domain : h->name;

	buf[0] = '\0';
	switch (a->state) {
	case ADDR_STATE_UNTRUSTED:
		if (a->tls.leaf.present)
			snprintf(buf, buflen,
			    "publish a record for the key this "
			    "server presents: _%d._tcp.%s. IN TLSA 3 1 1 %s "
			    "(or install the key the TLSA records name)",
			    a->port, base, a->tls.leaf.spki_sha256);
		break;
	case ADDR_STATE_NO_STARTTLS:
	case ADDR_STATE_STARTTLS_REFUSED:
	case ADDR_STATE_TLS_FAILED:
		snprintf(buf, buflen,
		    "enable STARTTLS with a working "
		    "certificate (Postfix: smtpd_tls_security_level = may), or "
		    "withdraw the TLSA records of %s",
		    base);
		break;
	case ADDR_STATE_ENCRYPTED_UNAUTHENTICATED:
		snprintf(buf, buflen,
		    "replace usage 0/1 (PKIX) records by "
		    "DANE-EE 3 1 1 or DANE-TA 2 1 1 records (RFC 7672 3.1.3)");
		break;
	case ADDR_STATE_TLS_NO_DANE:
	case ADDR_STATE_CLEARTEXT_NO_DANE:
		if (a->tls.leaf.present)
			snprintf(buf, buflen,
			    "to enable DANE: sign the zones "
			    "with DNSSEC and publish _%d._tcp.%s. IN TLSA 3 1 1 %s",
			    a->port, h->name, a->tls.leaf.spki_sha256);
		break;
	case ADDR_STATE_CONNECT_FAILED:
	case ADDR_STATE_TIMEOUT:
		snprintf(buf, buflen,
		    "make port %d reachable on every "
		    "address of %s, or remove the address from DNS",
		    a->port, h->name);
		break;
	default:
		break;
	}
	return buf;
}
