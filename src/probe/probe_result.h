/*
 * probe_result.h -- the result tree of one domain probe:
 * domain -> MX host -> address, each node with a severity and a reason.
 *
 * Probe outcomes are data, not errors: every formatter (text, Nagios,
 * JSON, Prometheus) is a pure function of this tree.  The verdicts in it
 * come from the policy layer (probe_rollup.h, policy/dane_rollup.h).
 *
 * Ownership: probe_domain_free() frees the whole tree, including the DNS
 * answers it holds.  Strings are owned by their node, except in a host
 * that shares its result (probe_host.shared): see there.
 */
#ifndef DANEPROBE_PROBE_RESULT_H
#define DANEPROBE_PROBE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "policy/dane_policy.h"
#include "policy/dane_status.h"
#include "policy/dane_rollover.h"
#include "tls/dane_tls.h"
#include "dns/dns_answer.h"
#include "smtp/smtp_session.h"

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
	long leaf_days_left; /* valid when tls.leaf.present */
	bool complete;       /* a verdict was reached */
	/* Not probed for a reason of the probing host (no route for the
	 * address family): left out of every verdict and count. */
	bool skipped;
	/* "ECDSA"/"RSA" when the server was probed once per key algorithm
	 * (dual-certificate servers), "" when one probe saw its only key. */
	char key_family[8];
	bool dropped; /* internal: a redundant second probe */
	/* Left out by the domain's address budget (--max-addresses): state
	 * NOT_PROBED, WARNING; counts for neither DANE status nor OK. */
	bool capped;
} probe_address;

/* One result of an MX host, shared by every domain whose MX RRset names
 * the host (reference-counted: probe_host_share()). */
typedef struct probe_host_shared probe_host_shared;

typedef struct probe_host {
	char *name; /* MX exchange (or the domain: implicit MX) */
	uint16_t preference;
	dns_answer *a, *aaaa; /* NULL when not looked up */
	dns_answer *tlsa[2];  /* per plan.names[i]; NULL when not looked up */
	char *tlsa_names
	    [2]; /* copies of plan.names (plan borrows from answers) */
	dane_tlsa_plan plan;
	dane_host_policy policy;
	probe_address *addrs;
	size_t n_addrs;
	probe_severity severity;
	char reason[400];
	/* The exchange name is no valid host name (dane_policy_valid_mx_name):
	 * CRITICAL whatever its addresses say; set by probe_domain_finish(). */
	bool bad_name;
	/* The host's one-word DANE status, set by probe_domain_finish(). */
	dane_status dane_status;
	/* Will the TLSA RRset survive the next key rollover?  Owned; NULL when
	 * no secure TLSA RRset was found or nothing was presented. */
	dane_rollover_report *rollover;
	/* NULL: this node owns name, a, aaaa, tlsa, tlsa_names, addrs and
	 * rollover.  Otherwise those are borrowed from `shared`, the one
	 * result of this MX host that every domain naming it points at, of
	 * which this node holds one reference: read them, never write or
	 * free them.  The other fields are the node's own copies
	 * (preference, severity, reason and bad_name are per domain). */
	probe_host_shared *shared;
} probe_host;

typedef enum probe_domain_kind {
	DOMAIN_MX = 0,        /* MX RRset found */
	DOMAIN_IMPLICIT_MX,   /* no MX: the domain itself (RFC 5321 5.1) */
	DOMAIN_NULL_MX,       /* RFC 7505 "MX 0 .": accepts no mail */
	DOMAIN_LOOKUP_FAILED, /* MX lookup failed, bogus, or domain absent */
	DOMAIN_KIND_COUNT,
} probe_domain_kind;

/* "mx", "implicit-mx", "null-mx", "lookup-failed"; "unknown" outside
 * [0, DOMAIN_KIND_COUNT). */
const char *probe_domain_kind_name(probe_domain_kind k);

typedef struct probe_domain {
	char *domain;
	probe_domain_kind kind;
	dns_answer *mx; /* owned */
	dane_mx_status mx_status;
	probe_host *hosts;
	size_t n_hosts;
	probe_severity severity;
	char summary[512]; /* one line, for the Nagios status line */
	time_t started;    /* wall clock, for reports */
	double ms_total;
	bool timed_out; /* the overall deadline cut the probe short */
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
	/* The domain's one-word DANE status, set by probe_domain_finish()
	 * with the verdict, so that counting and printing need no roll-up of
	 * their own. */
	dane_status dane_status;
} probe_domain;

void probe_domain_free(probe_domain *d);

/* Deep copy of a host result into *dst (which is overwritten; clear it
 * with probe_host_clear()): dst owns its parts (dst->shared is NULL),
 * whether src owns or borrows them.  Returns 0 or -1 on allocation
 * failure (dst is then cleared). */
int probe_host_copy(probe_host *dst, const probe_host *src);
/* Frees what h owns, or drops its reference to h->shared; h is zeroed. */
void probe_host_clear(probe_host *h);

/* Moves the parts *src owns (src->shared must be NULL) into a new shared
 * result and clears *src.  The caller holds the one reference; NULL when
 * out of memory (src is then untouched). */
probe_host_shared *probe_host_share(probe_host *src);
/* Overwrites *dst with the shared result: dst borrows its parts and holds
 * a new reference (dropped by probe_host_clear()). */
void probe_host_borrow(probe_host *dst, probe_host_shared *s);
/* Drops one reference; the last one frees the result.  NULL: no-op. */
void probe_host_shared_unref(probe_host_shared *s);
/* A weak reference for a cache: *slot is set to NULL when s is freed.
 * One slot per result; NULL clears it; s NULL: no-op. */
void probe_host_shared_set_weak(probe_host_shared *s, probe_host_shared **slot);

/* Counters used by formatters.  addrs counts the addresses probed;
 * skipped those left out (no route for their family on this host). */
typedef struct probe_counts {
	size_t hosts, addrs, verified, failed, no_dane, warn, skipped;
} probe_counts;
void probe_domain_count(const probe_domain *d, probe_counts *c);

#endif
