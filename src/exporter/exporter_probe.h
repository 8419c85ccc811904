/*
 * exporter_probe.h -- the probes behind /probe: one probe_engine per
 * distinct set of probe settings (modules that differ only in timeout or
 * min_interval share one), one connection limiter shared by every engine
 * (so --per-host holds across all probes), and three ways to spare the
 * mail servers:
 *
 *   join      a scrape of a (target, module) whose probe is running waits
 *             for that probe instead of starting another (two Prometheus
 *             replicas scraping at once cause one probe);
 *   cache     a result younger than the module's min_interval is served
 *             again (a cache hit), with the duration of the probe that
 *             made it;
 *   bound     at most max_in_flight distinct probes run at once; a scrape
 *             that would start one more is refused at once (503).
 *
 * Each scrape has its own deadline (its scrape timeout less a margin,
 * capped by the module's timeout).  The probe it starts ends by then, with
 * the verdicts known so far (the engine's overall-timeout verdicts).  A
 * scrape that joined a probe with a later deadline gets, at its own
 * deadline, probe_success 0 and no daneprobe_* series.
 *
 * A reload (exporter_prober_configure) keeps the engines whose settings
 * did not change and makes engines for the new ones; probes running on
 * the engines it drops finish there and those engines are freed once
 * idle.  Results of probes started before the reload are served to their
 * waiters but not cached, and finished results are dropped.
 *
 * Ownership: exporter_prober_new() allocates; exporter_prober_free()
 * aborts running probes (their waiters' callbacks are not called) and
 * frees everything.  Waiters are caller storage (see below).
 */
#ifndef DANEPROBE_EXPORTER_PROBE_H
#define DANEPROBE_EXPORTER_PROBE_H

#include <stdbool.h>
#include <stddef.h>

#include "exporter/exporter_config.h"
#include "exporter/exporter_metrics.h"
#include "util/ev_compat.h"

typedef struct exporter_prober exporter_prober;
typedef struct exporter_entry exporter_entry;
typedef struct exporter_waiter exporter_waiter;

/* The answer to a scrape: the exposition (text format 0.0.4), valid only
 * during the call. */
typedef void (*exporter_probe_cb)(
    exporter_waiter *w, const char *body, size_t len, void *arg);

/* One scrape waiting for a probe.  Caller storage that must stay valid
 * until its callback ran or exporter_prober_cancel() removed it. */
struct exporter_waiter {
	exporter_waiter *next, **pprev;
	exporter_entry *entry;
	ev_timer timer; /* its own deadline, when earlier than the probe's */
	double t0;
	exporter_probe_cb done;
	void *arg;
};

/* A probe that finished, for logs and the landing page. */
typedef struct exporter_probe_info {
	const char *target, *module;
	const char *status; /* "OK", "WARNING", ... */
	exporter_result result;
	double seconds;
	bool timed_out;
} exporter_probe_info;

typedef struct exporter_prober_params {
	unsigned max_in_flight;    /* distinct probes at once (>= 1) */
	unsigned max_sessions;     /* SMTP sessions at once, all engines */
	exporter_metrics *metrics; /* counters to keep (borrowed) */
	void (*on_finish)(const exporter_probe_info *info, void *arg);
	void *arg;
} exporter_prober_params;

exporter_prober *exporter_prober_new(
    struct ev_loop *loop, const exporter_prober_params *params);
void exporter_prober_free(exporter_prober *p);

/* Makes the engines for cfg (borrowed: keep it alive until the next
 * successful call or exporter_prober_free()).  Returns 0, or -1 with a
 * reason (bad resolver address, unreadable trust anchor); then the
 * previous configuration stays in force. */
int exporter_prober_configure(
    exporter_prober *p, const exporter_config *cfg, char *err, size_t errlen);

typedef enum exporter_start {
	EXPORTER_START_WAITING, /* the callback comes later, from the loop */
	EXPORTER_START_CACHED,  /* *body and *len hold the answer now */
	EXPORTER_START_BUSY,    /* max_in_flight probes run: 503 */
	EXPORTER_START_ERROR,   /* the probe could not start: reason in err */
} exporter_start;

/* A scrape of `domain` (already normalised) with module m (one of the
 * configuration in force), which must answer within `deadline` seconds.  For EXPORTER_START_CACHED, *body and
 * *len are valid until control returns to the loop. */
exporter_start exporter_prober_request(exporter_prober *p, const char *domain,
    const exporter_module *m, double deadline, exporter_waiter *w,
    exporter_probe_cb done, void *arg, const char **body, size_t *len,
    char *err, size_t errlen);

/* Removes a waiting scrape (its callback will not be called). */
void exporter_prober_cancel(exporter_prober *p, exporter_waiter *w);

/* Answers every waiting scrape now with probe_success 0 (shutdown). */
void exporter_prober_flush(exporter_prober *p);

/* Distinct probes running. */
unsigned exporter_prober_in_flight(const exporter_prober *p);

/* Engines in force, and those a reload dropped that still run probes. */
void exporter_prober_engines(
    const exporter_prober *p, size_t *in_force, size_t *retired);

/* Copies the engines' counters (SMTP sessions) into the metrics. */
void exporter_prober_update_metrics(exporter_prober *p);

/* ---- checks of a /probe request, pure functions ------------------------- */

/* target and module as the query gave them (NULL when absent).  Returns 0
 * with the normalised name in domain and the module in *m, or 400 with a
 * one-line reason in err. */
int exporter_probe_check_query(const exporter_config *cfg, const char *target,
    const char *module, char *domain, size_t domainlen,
    const exporter_module **m, char *err, size_t errlen);

/* The scrape's deadline in seconds: X-Prometheus-Scrape-Timeout-Seconds
 * (NULL when absent or malformed: ignored) less a margin of 0.5 s (at
 * most half of it), capped by the module's timeout. */
double exporter_probe_deadline(const char *scrape_timeout, double timeout);

#endif
