/*
 * probe_batch.h -- the one runner of domain probes: sets up the loop and
 * the engine and drives them to completion, with a bounded number of
 * domains in flight, streaming each result as it completes, with an
 * optional progress line and an optional clean stop on SIGINT/SIGTERM.
 * `daneprobe check` runs its list through it, check_dane_smtp its one
 * domain.
 *
 * Ownership: the caller supplies domains through `next` (strings borrowed
 * until the next call) and receives each finished probe_domain through
 * `result`, which owns it.  Results arrive in completion order.
 */
#ifndef DANEPROBE_PROBE_BATCH_H
#define DANEPROBE_PROBE_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "dns/dns_resolver.h"
#include "probe/probe_config.h"
#include "probe/probe_engine.h"

typedef struct probe_batch_summary {
	size_t total; /* domains finished */
	/* Each finished domain lands in exactly one of these, as the
	 * policy's dane_rollup_batch_class() sorts it (probe_batch_count()). */
	size_t dane_valid;     /* OK: DANE verified (or partial) */
	size_t no_mail;        /* null MX */
	size_t insecure_mx;    /* TLSA match voided by an unsigned MX RRset */
	size_t not_applicable; /* WARNING: no DANE / only unusable TLSA */
	size_t partial;        /* WARNING: some MX hosts without DANE */
	size_t capped;         /* WARNING: addresses beyond --max-addresses */
	size_t warning;     /* WARNING for another reason (expiry, rollover) */
	size_t failing;     /* CRITICAL */
	size_t probe_error; /* UNKNOWN: our fault (local DNS outage, ...) */
	size_t unknown;     /* UNKNOWN otherwise (nothing reachable) */
	/* Why failing: the worst address state (or DNS) of each failing domain. */
	size_t why[ADDR_STATE_COUNT];
	size_t why_bad_name; /* an MX exchange that is no valid host name */
	size_t why_dns;      /* MX/host lookups failed or bogus */
	double seconds;
	bool interrupted;
	probe_engine_stats engine;
	/* This process's own cost from its start to the end of the run
	 * (getrusage RUSAGE_SELF), so a benchmark needs no time(1): user+sys
	 * CPU seconds and peak resident set in KiB; both -1 when unknown. */
	double cpu_seconds;
	long peak_rss_kib;
} probe_batch_summary;

typedef struct probe_batch_params {
	unsigned concurrency; /* domains in flight; 0 = 64 */
	bool progress;        /* progress line on stderr */
	/* SIGINT/SIGTERM end the run (summary->interrupted); when false they
	 * keep their default action (the plugin is simply killed). */
	bool stop_on_signal;
	size_t expected_total; /* for the progress line's ETA; 0 = unknown */
	/* The names are MX hosts, probed without an MX lookup
	 * (probe_engine_start_host()): `daneprobe rollover`. */
	bool hosts;
	/* Next domain to probe, or NULL when there are no more. */
	const char *(*next)(void *arg);
	void (*result)(probe_domain *d, void *arg);
	/* A domain whose probe could not be started (out of memory, the
	 * resolver refused the lookup): it gets no result.  NULL: reported
	 * on stderr as "daneprobe: DOMAIN: REASON". */
	void (*not_started)(const char *domain, const char *reason, void *arg);
	void *arg;
} probe_batch_params;

/* Runs the probes of `cfg` with the resolver of `dns` (both borrowed for
 * the call).  Returns 0 when every domain was probed (or the run was
 * interrupted: summary->interrupted), -1 with a reason when the engine
 * could not be set up.  The caller ignores SIGPIPE (a server that resets
 * mid-write must give EPIPE, not kill the process). */
int probe_batch_run(const probe_config *cfg, const dns_resolver_config *dns,
    const probe_batch_params *p, probe_batch_summary *summary, char *err,
    size_t errlen);

/* Adds one finished domain to the summary counters. */
void probe_batch_count(probe_batch_summary *s, const probe_domain *d);

/* The summary table for people. */
void probe_batch_print_summary(FILE *out, const probe_batch_summary *s);

#endif
