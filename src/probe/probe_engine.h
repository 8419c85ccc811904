/*
 * probe_engine.h -- runs domain probes on one libev loop: MX lookup, the
 * hosts' address and TLSA lookups, and an SMTP/TLS session to every
 * address, all in parallel, then the RFC 7672 verdicts.
 *
 * MX hosts are probed once per run (once while in flight with
 * probe_config.fresh_hosts): every domain whose MX RRset names a host
 * already probed (or being probed) gets that host's result by reference
 * (probe_host.shared in probe_result.h), so a hoster's
 * mx1.provider.example is resolved and connected to once, and held in
 * memory once, however many domains of the batch use it.
 *
 * Ownership: probe_engine_new() allocates the engine, which owns its
 * resolver and SSL_CTX; probe_engine_free() aborts what is still running
 * (without calling the done callbacks) and frees everything.  A finished
 * probe_domain is handed to the done callback, which owns it
 * (probe_domain_free()); the host results it shares stay valid until the
 * last domain holding them is freed, engine or no engine.
 */
#ifndef DANEPROBE_PROBE_ENGINE_H
#define DANEPROBE_PROBE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy/dane_verdict.h"
#include "dns/dns_resolver.h"
#include "probe/probe_config.h"
#include "probe/probe_result.h"

struct ev_loop;

typedef struct probe_engine probe_engine;

/* Returns 0, or -1 with a reason (resolver/trust anchor/TLS setup). */
int probe_engine_new(struct ev_loop *loop, const probe_config *cfg,
    const dns_resolver_config *dns, probe_engine **out, char *err,
    size_t errlen);
void probe_engine_free(probe_engine *e);

typedef void (*probe_done_cb)(probe_domain *result, void *arg);

/* Starts probing `domain`; `done` is called from the loop exactly once. */
int probe_engine_start(probe_engine *e, const char *domain, probe_done_cb done,
    void *arg, char *err, size_t errlen);

/* As probe_engine_start(), but `done` comes within `seconds` (instead of
 * the configured timeout plus a grace), with the verdicts known by then;
 * sessions keep the configured timeout. */
int probe_engine_start_within(probe_engine *e, const char *domain,
    double seconds, probe_done_cb done, void *arg, char *err, size_t errlen);

/* With probe_config.fresh_hosts: frees the host jobs that have finished
 * (no domain waits for them, no session or lookup runs).  Returns how many
 * were freed.  Call it from the loop, not from a done callback. */
size_t probe_engine_sweep(probe_engine *e);

/* Starts probing the MX host `host` itself, with no MX lookup (as if a
 * secure MX RRset named it): the result has one host.  `done` is called
 * exactly once, maybe before this returns. */
int probe_engine_start_host(probe_engine *e, const char *host,
    probe_done_cb done, void *arg, char *err, size_t errlen);

/* Probes still running. */
size_t probe_engine_running(const probe_engine *e);

/* Counters of shared work, for reports and tests. */
typedef struct probe_engine_stats {
	size_t host_jobs;   /* distinct MX hosts probed */
	size_t host_reuses; /* times a domain got an existing host's result */
	size_t sessions;    /* SMTP sessions started */
	unsigned peak_sessions;    /* most sessions running at once */
	size_t sessions_cancelled; /* queued, then no live domain needed them */
	size_t addrs_capped;       /* addresses left out by --max-addresses */
} probe_engine_stats;
void probe_engine_get_stats(const probe_engine *e, probe_engine_stats *out);
unsigned probe_engine_peak_per_address(
    const probe_engine *e, const char *addr_port);

#endif
