/*
 * dane_verdict.h -- the verdict for one probed address, as a pure function
 * of the host's RFC 7672 policy, the SMTP session and the TLS inspection.
 * Table-tested in tests/unit/test_dane_verdict.c.
 */
#ifndef DANEPROBE_DANE_VERDICT_H
#define DANEPROBE_DANE_VERDICT_H

#include <stdbool.h>
#include <time.h>

#include "policy/dane_policy.h"
#include "policy/dane_status.h"
#include "tls/dane_tls.h"
#include "smtp/smtp_session.h"

typedef struct dane_verdict_input {
	dane_level level;
	smtp_outcome outcome;
	smtp_state state; /* where the session ended */
	const char *smtp_reason;
	bool tls_established;
	const dane_tls_outcome *tls; /* NULL when no handshake completed */
	bool require_dane; /* no DANE is CRITICAL instead of WARNING */
	/* This host has no route to the address's family (a UDP connect()
	 * failed with ENETUNREACH, EADDRNOTAVAIL or EAFNOSUPPORT): a sending
	 * MTA like it simply uses its other addresses. */
	bool no_route;
	int family;         /* AF_INET or AF_INET6, for the reason */
	bool family_forced; /* -4/-6: this family was asked for */
	/* Survey mode: a host where DANE does not apply (level NONE) gets
	 * no session; its addresses are "not probed", with the severity no
	 * DANE has (WARNING, CRITICAL with require_dane). */
	bool survey;
} dane_verdict_input;

typedef struct dane_verdict {
	addr_state state;
	probe_severity severity;
	char reason[400];
	/* Not probed for a reason of this host (no route for the family):
	 * the address leaves the host's and the domain's verdict alone. */
	bool skipped;
} dane_verdict;

void dane_verdict_address(const dane_verdict_input *in, dane_verdict *out);

/* Addresses the engine could not judge by a session: */
/* No session could be started (`why`: out of memory, TLS setup): the
 * fault is ours, UNKNOWN. */
void dane_verdict_not_started(dane_verdict *out, const char *why);
/* Left out by the domain's address budget (--max-addresses, `cap`):
 * never silently dropped and never OK, a WARNING. */
void dane_verdict_capped(dane_verdict *out, unsigned cap);
/* No result before the overall deadline of `seconds`: CRITICAL, as a
 * sender that gives up on the address. */
void dane_verdict_overall_timeout(dane_verdict *out, double seconds);

/* The DNS lookups of host `host` (A/AAAA, TLSA) did not complete before
 * the overall deadline of `seconds`: the host's policy fails (a sender
 * that cannot look up TLSA records defers).  Sets only out->level and
 * out->reason; the rest of *out is left as it was. */
void dane_verdict_host_timeout(
    dane_host_policy *out, const char *host, double seconds);

/* Obsolete TLS is reported, not judged: DANE still decides.  Appends a
 * note to the reason when the session ended in TLSv1 or TLSv1.1 (RFC
 * 8996). */
void dane_verdict_note_tls_version(
    dane_verdict *v, bool tls_established, const char *tls_version);

/* What the MX lookup of a domain means for the probe (RFC 5321 5.1,
 * RFC 7505, RFC 7672 2.2.1). */
typedef enum dane_mx_kind {
	DANE_MX_KIND_HOSTS = 0, /* an MX RRset: probe its exchanges */
	DANE_MX_KIND_IMPLICIT,  /* no MX: the domain itself is the host */
	DANE_MX_KIND_NULL,      /* "MX 0 .": the domain accepts no mail */
	DANE_MX_KIND_FAILED,    /* no usable answer: severity and reason */
} dane_mx_kind;

typedef struct dane_mx_verdict {
	dane_mx_kind kind;
	dane_mx_status status;   /* unless FAILED */
	probe_severity severity; /* FAILED only */
	char reason[512];        /* FAILED only; follows "DOMAIN: " */
} dane_mx_verdict;

/* A bogus MX RRset, a non-existent domain and a lookup the domain's
 * servers did not answer are CRITICAL (mail is deferred); a local
 * failure (mx->local_failure) or a local error is UNKNOWN. */
void dane_verdict_mx(const dns_answer *mx, dane_mx_verdict *out);
/* The MX lookup did not complete before the overall deadline of
 * `seconds`: FAILED, UNKNOWN (we cannot tell whose fault it is). */
void dane_verdict_mx_timeout(dane_mx_verdict *out, double seconds);

/* Certificate expiry thresholds (Nagios range "N:" = alert below N days). */
typedef struct expiry_thresholds {
	long warn_days; /* alert when days left < warn_days; < 0 disables */
	long crit_days;
} expiry_thresholds;

/* Raises a verdict's severity for a certificate expiring within the
 * thresholds: `days_left` of the certificate at chain `depth` that expires
 * first among those the verdict depends on (the leaf, and for DANE-TA the
 * chain up to the matched trust anchor).  DANE-EE matches ignore expiry
 * (RFC 7672 3.1.1), so they are only noted. */
void dane_verdict_apply_expiry(dane_verdict *v, const dane_tls_outcome *tls,
    long days_left, int depth, const expiry_thresholds *t);

/* The certificate the verdict depends on that expires first: the leaf, or
 * for a DANE-TA match every certificate from the leaf to the trust
 * anchor.  Sets *depth; returns its whole days left at `now`. */
long dane_verdict_first_expiry(
    const dane_tls_outcome *tls, time_t now, int *depth);

#endif
