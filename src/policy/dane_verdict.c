/*
 * dane_verdict.c -- per-address verdicts (RFC 7672 sections 2.2 and 3).
 *
 * The guiding rule: when the policy says TLS is mandatory (DANE required
 * or encrypt-only) any failure to get there is CRITICAL, because a DANE
 * sender defers the mail rather than falling back to cleartext.  When
 * DANE does not apply the address still gets its TLS facts reported, but
 * the lack of DANE is only a WARNING unless --require-dane.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy/dane_verdict.h"
#include "util/va_format.h"

static void set(dane_verdict *out, addr_state st, probe_severity sev,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
set(dane_verdict *out, addr_state st, probe_severity sev, const char *fmt, ...)
{
	out->state = st;
	out->severity = sev;
	VA_FORMAT(out->reason, fmt);
}

static bool
tls_mandatory(dane_level l)
{
	return l == DANE_LEVEL_REQUIRED || l == DANE_LEVEL_ENCRYPT_ONLY;
}

static probe_severity
no_dane_severity(const dane_verdict_input *in)
{
	return in->require_dane ? SEVERITY_CRITICAL : SEVERITY_WARNING;
}

/* The session ended before or during TLS without a handshake. */
static void
verdict_pre_tls(const dane_verdict_input *in, dane_verdict *out)
{
	const char *r = in->smtp_reason ? in->smtp_reason : "";
	bool must = tls_mandatory(in->level);

	switch (in->outcome) {
	case SMTP_OUTCOME_CONNECT_FAILED:
		set(out, ADDR_STATE_CONNECT_FAILED, SEVERITY_CRITICAL,
		    "cannot connect: %s", r);
		return;
	case SMTP_OUTCOME_TIMEOUT:
		set(out, ADDR_STATE_TIMEOUT, SEVERITY_CRITICAL,
		    "timed out during %s: %s", smtp_state_name(in->state), r);
		return;
	case SMTP_OUTCOME_NO_STARTTLS:
		if (must)
			set(out, ADDR_STATE_NO_STARTTLS, SEVERITY_CRITICAL,
			    "STARTTLS not offered although TLSA records are "
			    "published: DANE senders will not deliver");
		else
			set(out, ADDR_STATE_CLEARTEXT_NO_DANE,
			    no_dane_severity(in),
			    "STARTTLS not offered; mail travels in cleartext");
		return;
	case SMTP_OUTCOME_STARTTLS_REFUSED:
		set(out, ADDR_STATE_STARTTLS_REFUSED,
		    must ? SEVERITY_CRITICAL : no_dane_severity(in), "%s%s", r,
		    must ? " (TLS is mandatory here: DANE senders defer mail)" :
		           "");
		return;
	case SMTP_OUTCOME_TLS_FAILED:
		set(out, ADDR_STATE_TLS_FAILED,
		    must ? SEVERITY_CRITICAL : no_dane_severity(in), "%s%s", r,
		    must ? " (TLS is mandatory here: DANE senders defer mail)" :
		           "");
		return;
	case SMTP_OUTCOME_TLS_OK:
	case SMTP_OUTCOME_NO_TLS_ATTEMPTED:
		set(out, ADDR_STATE_SMTP_ERROR, SEVERITY_UNKNOWN,
		    "internal error: inconsistent session result");
		return;
	default:
		set(out, ADDR_STATE_SMTP_ERROR, SEVERITY_CRITICAL,
		    "SMTP failed during %s: %s", smtp_state_name(in->state), r);
		return;
	}
}

static void
verdict_required(const dane_verdict_input *in, dane_verdict *out)
{
	const dane_tls_outcome *t = in->tls;

	if (!t->authenticated) {
		set(out, ADDR_STATE_UNTRUSTED, SEVERITY_CRITICAL,
		    "DANE authentication failed: %s", t->verify_reason);
		return;
	}
	if (in->outcome != SMTP_OUTCOME_TLS_OK) {
		set(out, ADDR_STATE_MATCHED_BUT_SMTP_FAILED, SEVERITY_CRITICAL,
		    "TLSA matched, but SMTP failed after TLS: %s",
		    in->smtp_reason ? in->smtp_reason : "");
		return;
	}
	set(out, ADDR_STATE_DANE_VERIFIED, SEVERITY_OK,
	    "DANE authenticated (%s)", t->verify_reason);
}

/* A family this host cannot reach is not the domain's fault, unless the
 * user forced that family: then its failure is the answer asked for. */
static void
verdict_no_route(const dane_verdict_input *in, dane_verdict *out)
{
	const char *fam = in->family == AF_INET6 ? "IPv6" : "IPv4";

	if (in->family_forced) {
		set(out, ADDR_STATE_CONNECT_FAILED, SEVERITY_CRITICAL,
		    "cannot connect: no %s route on this host (only %s was "
		    "asked for)",
		    fam, fam);
		return;
	}
	set(out, ADDR_STATE_NOT_PROBED, SEVERITY_OK,
	    "not probed: no %s route "
	    "on this host",
	    fam);
	out->skipped = true;
}

void
dane_verdict_address(const dane_verdict_input *in, dane_verdict *out)
{
	memset(out, 0, sizeof(*out));
	if (in->no_route && in->level != DANE_LEVEL_FAIL) {
		verdict_no_route(in, out);
		return;
	}
	if (in->level == DANE_LEVEL_FAIL) {
		set(out, ADDR_STATE_NOT_PROBED, SEVERITY_CRITICAL,
		    "not probed: the host's DNS lookups failed");
		return;
	}
	if (in->survey && in->level == DANE_LEVEL_NONE) {
		set(out, ADDR_STATE_NOT_PROBED, no_dane_severity(in),
		    "not probed (--survey): DANE not applicable");
		return;
	}
	if (!in->tls_established || in->tls == NULL) {
		verdict_pre_tls(in, out);
		return;
	}
	switch (in->level) {
	case DANE_LEVEL_REQUIRED:
		verdict_required(in, out);
		return;
	case DANE_LEVEL_ENCRYPT_ONLY:
		set(out, ADDR_STATE_ENCRYPTED_UNAUTHENTICATED,
		    in->require_dane ? SEVERITY_CRITICAL : SEVERITY_WARNING,
		    "TLS ok (%s) but unauthenticated: every TLSA record is "
		    "unusable for SMTP",
		    in->tls->tls_version);
		break;
	default:
		set(out, ADDR_STATE_TLS_NO_DANE, no_dane_severity(in),
		    "TLS ok (%s), DANE not applicable", in->tls->tls_version);
		break;
	}
	if (in->outcome != SMTP_OUTCOME_TLS_OK) {
		out->severity = SEVERITY_CRITICAL;
		out->state = ADDR_STATE_SMTP_ERROR;
		snprintf(out->reason, sizeof(out->reason),
		    "SMTP failed after TLS: %s",
		    in->smtp_reason ? in->smtp_reason : "");
	}
}

void
dane_verdict_not_started(dane_verdict *out, const char *why)
{
	memset(out, 0, sizeof(*out));
	set(out, ADDR_STATE_NOT_PROBED, SEVERITY_UNKNOWN, "not probed: %s",
	    why);
}

void
dane_verdict_capped(dane_verdict *out, unsigned cap)
{
	memset(out, 0, sizeof(*out));
	set(out, ADDR_STATE_NOT_PROBED, SEVERITY_WARNING,
	    "not probed: beyond "
	    "the first %u addresses of this domain (--max-addresses, in MX "
	    "preference order, then DNS order)",
	    cap);
}

void
dane_verdict_overall_timeout(dane_verdict *out, double seconds)
{
	memset(out, 0, sizeof(*out));
	set(out, ADDR_STATE_TIMEOUT, SEVERITY_CRITICAL,
	    "no result within the "
	    "overall timeout of %.1f s",
	    seconds);
}

void
dane_verdict_host_timeout(
    dane_host_policy *out, const char *host, double seconds)
{
	out->level = DANE_LEVEL_FAIL;
	snprintf(out->reason, sizeof(out->reason),
	    "DNS lookups for %s did not complete within %.1f s", host, seconds);
}

void
dane_verdict_mx_timeout(dane_mx_verdict *out, double seconds)
{
	memset(out, 0, sizeof(*out));
	out->kind = DANE_MX_KIND_FAILED;
	out->severity = SEVERITY_UNKNOWN;
	snprintf(out->reason, sizeof(out->reason),
	    "MX lookup did not complete within %.1f s", seconds);
}

void
dane_verdict_note_tls_version(
    dane_verdict *v, bool tls_established, const char *tls_version)
{
	size_t len = strlen(v->reason);

	if (tls_established &&
	    (strcmp(tls_version, "TLSv1") == 0 ||
	        strcmp(tls_version, "TLSv1.1") == 0))
		snprintf(v->reason + len, sizeof(v->reason) - len,
		    "; note: only "
		    "%s, which RFC 8996 deprecates",
		    tls_version);
}

static bool
is_null_mx(const dns_answer *mx)
{
	return mx->count == 1 && mx->mx[0].exchange[0] == '\0';
}

static void mx_failed(dane_mx_verdict *out, probe_severity sev, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

static void
mx_failed(dane_mx_verdict *out, probe_severity sev, const char *fmt, ...)
{
	out->kind = DANE_MX_KIND_FAILED;
	out->severity = sev;
	VA_FORMAT(out->reason, fmt);
}

void
dane_verdict_mx(const dns_answer *mx, dane_mx_verdict *out)
{
	bool secure = mx->security == DNS_SECURITY_SECURE;

	memset(out, 0, sizeof(*out));
	if (mx->security == DNS_SECURITY_BOGUS) {
		mx_failed(out, SEVERITY_CRITICAL,
		    "MX RRset is bogus (DNSSEC "
		    "validation failed): mail to this domain is deferred");
		return;
	}
	switch (mx->status) {
	case DNS_STATUS_OK:
		out->status = secure ? DANE_MX_SECURE : DANE_MX_INSECURE;
		out->kind =
		    is_null_mx(mx) ? DANE_MX_KIND_NULL : DANE_MX_KIND_HOSTS;
		return;
	case DNS_STATUS_NODATA:
		/* RFC 5321 5.1: no MX, the domain itself is the host. */
		out->status = secure ? DANE_MX_IMPLICIT_SECURE :
		                       DANE_MX_IMPLICIT_INSECURE;
		out->kind = DANE_MX_KIND_IMPLICIT;
		return;
	case DNS_STATUS_NXDOMAIN:
		mx_failed(out, SEVERITY_CRITICAL,
		    "domain does not exist "
		    "(NXDOMAIN, %s)",
		    dns_security_name(mx->security));
		return;
	case DNS_STATUS_TIMEOUT:
		/* A local failure is the prober's outage; otherwise the rest
		 * of the DNS answers and this domain's servers do not. */
		mx_failed(out,
		    mx->local_failure ? SEVERITY_UNKNOWN : SEVERITY_CRITICAL,
		    "MX lookup timed out: %s%s", mx->reason,
		    mx->local_failure ? "" :
		                        ": mail to this domain is deferred");
		return;
	case DNS_STATUS_SERVFAIL:
		mx_failed(
		    out, SEVERITY_CRITICAL, "MX lookup failed: %s", mx->reason);
		return;
	default:
		mx_failed(
		    out, SEVERITY_UNKNOWN, "MX lookup error: %s", mx->reason);
		return;
	}
}

long
dane_verdict_first_expiry(const dane_tls_outcome *tls, time_t now, int *depth)
{
	long days = cert_days_until(tls->leaf.not_after, now);
	int last = tls->authenticated && tls->matched_depth > 0 ?
	    tls->matched_depth :
	    0;

	*depth = 0;
	for (int i = 1; i <= last && (size_t)i < tls->chain.n; i++) {
		long d = cert_days_until(tls->chain.cert[i].not_after, now);

		if (d < days) {
			days = d;
			*depth = i;
		}
	}
	return days;
}

void
dane_verdict_apply_expiry(dane_verdict *v, const dane_tls_outcome *tls,
    long days, int depth, const expiry_thresholds *t)
{
	char which[40] = "certificate";
	size_t len = strlen(v->reason);
	bool dane_ee = tls->authenticated && tls->matched_depth == 0;
	probe_severity sev = SEVERITY_OK;

	if (!tls->leaf.present)
		return;
	if (t->crit_days >= 0 && days < t->crit_days)
		sev = SEVERITY_CRITICAL;
	else if (t->warn_days >= 0 && days < t->warn_days)
		sev = SEVERITY_WARNING;
	if (sev == SEVERITY_OK)
		return;
	if (depth > 0)
		snprintf(which, sizeof(which), "chain certificate at depth %d",
		    depth);
	if (dane_ee) {
		/* RFC 7672 3.1.1: DANE-EE ignores the validity period. */
		snprintf(v->reason + len, sizeof(v->reason) - len,
		    "; note: certificate %s (%ld days), irrelevant for DANE-EE",
		    days < 0 ? "expired" : "expires soon", days);
		return;
	}
	snprintf(v->reason + len, sizeof(v->reason) - len,
	    "; %s %s (%ld days "
	    "left)",
	    which, days < 0 ? "has expired" : "expires soon", days);
	v->severity = probe_severity_worst(v->severity, sev);
}
