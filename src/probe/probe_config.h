/*
 * probe_config.h -- what a probe run is asked to do, owned by the probe
 * layer: probe_engine_new() and probe_batch_run() take it (with the
 * resolver's dns_resolver_config); front-ends map their options onto it.
 * Only plain values and borrowed strings: the caller keeps helo_name alive
 * for the run.
 */
#ifndef DANEPROBE_PROBE_CONFIG_H
#define DANEPROBE_PROBE_CONFIG_H

#include <stdbool.h>

#include "policy/dane_verdict.h"

struct conn_limiter;

typedef enum probe_sessions {
	PROBE_SESSIONS_ALL = 0,
	PROBE_SESSIONS_NONE,
	PROBE_SESSIONS_IF_TLSA,
} probe_sessions;

typedef struct probe_config {
	const char *helo_name; /* EHLO argument */
	int port;              /* 25 */
	bool use_ipv4, use_ipv6;
	double timeout;       /* overall seconds per domain */
	double phase_timeout; /* inactivity seconds per SMTP phase */
	bool require_dane;
	bool no_rollover_warning; /* breaks-at-renewal is a note, not WARNING */
	expiry_thresholds expiry;
	unsigned
	    per_host; /* connections to one address at a time; 0 = no cap */
	unsigned max_sessions; /* SMTP sessions at once overall; 0 = no cap */
	/* Addresses probed per domain, in MX preference order; 0 = no cap.
	 * The rest are reported as not probed (WARNING).  Each may take two
	 * sessions (one per key algorithm). */
	unsigned max_addresses;
	/* Which hosts get SMTP sessions: every one (check), none (DNS and
	 * host policy only: rollover check), or only those with a secure
	 * TLSA RRset (rollover status: nothing to analyse elsewhere). */
	probe_sessions sessions;
	/* An address literal probed instead of the host's addresses (which
	 * are still looked up: the policy needs them); NULL for those. */
	const char *connect;
	/* Survey mode (check --survey): no SMTP to hosts where DANE does
	 * not apply (DANE_LEVEL_NONE), one TLS session per address (no
	 * second pass with the other key algorithm). */
	bool survey;
	/* Long-lived front-ends (the exporter): a host job is shared only
	 * while it runs, so a host probed again later is probed afresh, and
	 * probe_engine_sweep() frees the finished jobs.  false: MX hosts are
	 * probed once per run (batches). */
	bool fresh_hosts;
	/* A connection limiter shared by several engines (borrowed: it must
	 * outlive them), so per_host holds across all of them; NULL: the
	 * engine makes its own from per_host and max_sessions. */
	struct conn_limiter *limiter;
} probe_config;

/* How a domain's time budget (seconds) is spent. */

/* Inactivity limit per SMTP phase: every phase may use most of the budget
 * (at most 15 s); the overall deadline binds. */
double probe_phase_timeout(double budget);

/* Limit per DNS lookup in ms: half the budget, as a resolver needs ~2 s
 * to SERVFAIL a dead authoritative server and the deadline still bounds
 * the run; at least 200 ms, at most 10 s. */
unsigned probe_dns_timeout_ms(double budget);

#endif
