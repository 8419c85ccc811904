/*
 * probe_result.h -- the result tree of one domain probe:
 * domain -> MX host -> address, each node with a severity and a reason.
 *
 * Probe outcomes are data, not errors: every formatter (text, Nagios,
 * JSON, Prometheus) is a pure function of this tree.
 *
 * Ownership: probe_domain_free() frees the whole tree, including the DNS
 * answers it holds.  Strings are owned by their node.
 */
#ifndef DANEPROBE_PROBE_RESULT_H
#define DANEPROBE_PROBE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "policy/dane_policy.h"
#include "policy/dane_rollover.h"
#include "tls/dane_tls.h"
#include "dns/dns_answer.h"
#include "smtp/smtp_session.h"

/* Nagios numbering on purpose: the plugin's exit code is the severity. */
typedef enum probe_severity {
	SEVERITY_OK = 0,
	SEVERITY_WARNING = 1,
	SEVERITY_CRITICAL = 2,
	SEVERITY_UNKNOWN = 3,
} probe_severity;

const char *probe_severity_name(probe_severity s); /* "OK", "WARNING", ... */

/* Monitoring Plugins' max_state_alt order: CRITICAL > WARNING > UNKNOWN > OK. */
probe_severity probe_severity_worst(probe_severity a, probe_severity b);

typedef enum addr_state {
	ADDR_STATE_DANE_VERIFIED = 0,      /* TLS + DANE authentication ok */
	ADDR_STATE_MATCHED_BUT_SMTP_FAILED,/* DANE ok, SMTP failed after TLS */
	ADDR_STATE_ENCRYPTED_UNAUTHENTICATED, /* only unusable TLSA: TLS ok */
	ADDR_STATE_TLS_NO_DANE,            /* DANE not applicable, TLS ok */
	ADDR_STATE_CLEARTEXT_NO_DANE,      /* DANE not applicable, no STARTTLS */
	ADDR_STATE_NO_STARTTLS,            /* TLS required, STARTTLS not offered */
	ADDR_STATE_STARTTLS_REFUSED,
	ADDR_STATE_TLS_FAILED,
	ADDR_STATE_UNTRUSTED,              /* TLS ok, DANE authentication failed */
	ADDR_STATE_CONNECT_FAILED,
	ADDR_STATE_TIMEOUT,
	ADDR_STATE_SMTP_ERROR,             /* rejected, garbage, closed */
	ADDR_STATE_NOT_PROBED,
} addr_state;

const char *addr_state_name(addr_state s); /* "dane-verified", ... */

typedef struct probe_address {
	dns_addr addr;
	int port;
	addr_state state;
	probe_severity severity;
	char reason[400];
	/* SMTP facts (copied out of the session result); meaningful only
	 * when smtp_attempted: an address left out (no route, beyond
	 * --max-addresses, no session could be started) has no outcome, and
	 * the zero values would read "tls-ok" and "connect". */
	bool smtp_attempted;
	smtp_outcome smtp_outcome;
	smtp_state smtp_state;
	char smtp_reason[256];
	char banner[256];
	bool starttls_offered;
	bool tls_established;
	size_t discarded_after_starttls;
	double ms_connect, ms_banner, ms_ehlo, ms_starttls, ms_tls, ms_total;
	/* TLS facts, valid when tls_established */
	dane_tls_outcome tls;
	long leaf_days_left;             /* valid when tls.leaf.present */
	bool complete;                   /* a verdict was reached */
	/* Not probed for a reason of the probing host (no route for the
	 * address family): left out of every verdict and count. */
	bool skipped;
	/* "ECDSA"/"RSA" when the server was probed once per key algorithm
	 * (dual-certificate servers), "" when one probe saw its only key. */
	char key_family[8];
	bool dropped;                    /* internal: a redundant second probe */
	/* Left out by the domain's address budget (--max-addresses): state
	 * NOT_PROBED, WARNING; counts for neither DANE status nor OK. */
	bool capped;
} probe_address;

typedef struct probe_host {
	char *name;                      /* MX exchange (or the domain: implicit MX) */
	uint16_t preference;
	dns_answer *a, *aaaa;            /* NULL when not looked up */
	dns_answer *tlsa[2];             /* per plan.names[i]; NULL when not looked up */
	char *tlsa_names[2];             /* copies of plan.names (plan borrows from answers) */
	dane_tlsa_plan plan;
	dane_host_policy policy;
	probe_address *addrs;
	size_t n_addrs;
	probe_severity severity;
	char reason[400];
	/* The exchange name is no valid host name (dane_policy_valid_mx_name):
	 * CRITICAL whatever its addresses say; set by probe_domain_finish(). */
	bool bad_name;
	/* Will the TLSA RRset survive the next key rollover?  Owned; NULL when
	 * no secure TLSA RRset was found or nothing was presented. */
	dane_rollover_report *rollover;
} probe_host;

typedef enum probe_domain_kind {
	DOMAIN_MX = 0,       /* MX RRset found */
	DOMAIN_IMPLICIT_MX,  /* no MX: the domain itself (RFC 5321 5.1) */
	DOMAIN_NULL_MX,      /* RFC 7505 "MX 0 .": accepts no mail */
	DOMAIN_LOOKUP_FAILED,/* MX lookup failed, bogus, or domain absent */
} probe_domain_kind;

typedef struct probe_domain {
	char *domain;
	probe_domain_kind kind;
	dns_answer *mx;                  /* owned */
	dane_mx_status mx_status;
	probe_host *hosts;
	size_t n_hosts;
	probe_severity severity;
	char summary[512];               /* one line, for the Nagios status line */
	time_t started;                  /* wall clock, for reports */
	double ms_total;
	bool timed_out;                  /* the overall deadline cut the probe short */
	/* The probe could not look at the domain at all for a local reason
	 * (no DNS server answered anything: resolver unreachable, every root
	 * server silent; out of memory).  Severity UNKNOWN, reason in
	 * summary.  Formatters report a probe error, never a DANE failure:
	 * an outage of the monitoring host is not the domain's fault. */
	bool probe_error;
	/* --no-rollover-warning: a TLSA RRset that breaks at the next renewal
	 * is reported, but does not raise a working host to WARNING. */
	bool no_rollover_warning;
	/* The domain-level judgement of the MX RRset, set by
	 * probe_domain_finish(): WARNING with a reason (naming the RRset and
	 * the fix) when its insecurity voids the hosts' TLSA records
	 * (dane_policy_mx_voids_dane()); OK and "" otherwise. */
	probe_severity mx_severity;
	char mx_reason[400];
} probe_domain;

void probe_domain_free(probe_domain *d);

/* Deep copy of a host result into *dst (which is overwritten; clear it
 * with probe_host_clear()).  Returns 0 or -1 on allocation failure (dst is
 * then cleared). */
int probe_host_copy(probe_host *dst, const probe_host *src);
void probe_host_clear(probe_host *h);

/* Computes host and domain severities, reasons and the summary from the
 * leaves (address verdicts, host policies, MX result).  Pure.  Options
 * such as --require-dane are already in the address verdicts
 * (dane_verdict_address()); the roll-up takes the worst, and adds the
 * one domain-level judgement: TLSA records reached through an insecure MX
 * RRset make the domain at least WARNING (dane_policy_mx_voids_dane()).
 * A probe_error domain is left as the engine made it, severity UNKNOWN. */
void probe_domain_finish(probe_domain *d);

/* What a DANE-validating sender gets, summed up in one word. */
typedef enum dane_status {
	DANE_STATUS_VERIFIED = 0,  /* every address DANE-authenticated */
	DANE_STATUS_PARTIAL,       /* some hosts verified, others without DANE */
	DANE_STATUS_ENCRYPT_ONLY,  /* only unusable TLSA records (TLS, no auth) */
	DANE_STATUS_NONE,          /* DANE does not apply (insecure / no TLSA) */
	DANE_STATUS_FAILED,        /* a DANE lookup or authentication failed */
	DANE_STATUS_NULL_MX,       /* RFC 7505: the domain accepts no mail */
	/* TLSA records of MX hosts match, but the MX RRset that names those
	 * hosts is not DNSSEC-signed: an attacker who forges the MX RRset
	 * sends mail to a host of his choice without TLSA records, so the
	 * match protects nothing (RFC 7672 2.2.1; Postfix logs such a
	 * session as "Trusted", not "Verified"). */
	DANE_STATUS_INSECURE_MX,
	DANE_STATUS_COUNT,
	/* Not determined: the probe could not look at the domain for a local
	 * reason (probe_domain.probe_error).  Deliberately outside the state
	 * set [0, DANE_STATUS_COUNT): a formatter that writes one series per
	 * status shows all of them 0, never "failed". */
	DANE_STATUS_UNKNOWN = DANE_STATUS_COUNT,
} dane_status;

/* "verified", "partial", "encrypt-only", "none", "failed", "null-mx",
 * "insecure-mx"; "unknown" for DANE_STATUS_UNKNOWN. */
const char *dane_status_name(dane_status s);

/* Host: FAIL policy -> failed; DANE required -> verified when every
 * probed address matched its TLSA records, else failed (unknown when
 * every address was left out by --max-addresses); encrypt-only; none. */
dane_status dane_status_host(const probe_host *h);

/* Domain: unknown on a probe error (never failed: the fault is ours);
 * null-mx; failed when the MX lookup failed, there is no host or any host
 * failed; insecure-mx when some host is verified but the MX RRset is
 * insecure (dane_policy_mx_voids_dane()); verified when all hosts are;
 * partial when some are; else encrypt-only when any host is; else none.
 * Hosts whose every address was left out by --max-addresses count for
 * nothing (their WARNING is in the severity). */
dane_status dane_status_domain(const probe_domain *d);

/* Counters used by formatters.  addrs counts the addresses probed;
 * skipped those left out (no route for their family on this host). */
typedef struct probe_counts {
	size_t hosts, addrs, verified, failed, no_dane, warn, skipped;
} probe_counts;
void probe_domain_count(const probe_domain *d, probe_counts *c);

#endif
