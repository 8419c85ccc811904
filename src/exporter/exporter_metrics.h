/*
 * exporter_metrics.h -- the exporter's own metrics, served on /metrics:
 * probes by result, a probe duration histogram, cache hits and coalesced
 * scrapes, probes in flight, DNS failures and SMTP sessions, the reload
 * state, build info, and the process_* metrics that Prometheus's Go
 * client exports (read from /proc/self, so Linux only; absent elsewhere).
 *
 * Ownership: plain data in caller storage; nothing to free.
 */
#ifndef DANEPROBE_EXPORTER_METRICS_H
#define DANEPROBE_EXPORTER_METRICS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* How a /probe request ended: the verdict of the probe it got, or
 * rejected (400, 404, 503) or error (the probe could not run). */
typedef enum exporter_result {
	EXPORTER_RESULT_OK = 0,
	EXPORTER_RESULT_WARNING,
	EXPORTER_RESULT_CRITICAL,
	EXPORTER_RESULT_UNKNOWN,
	EXPORTER_RESULT_REJECTED,
	EXPORTER_RESULT_ERROR,
	EXPORTER_RESULT_COUNT,
} exporter_result;

/* "ok", "warning", ...; "unknown" outside the enum. */
const char *exporter_result_name(exporter_result r);

/* Upper bounds of the probe duration histogram, in seconds. */
#define EXPORTER_DURATION_BUCKETS 10

typedef struct exporter_metrics {
	double start_time; /* Unix time the process started */
	uint64_t probes[EXPORTER_RESULT_COUNT];
	uint64_t
	    duration_buckets[EXPORTER_DURATION_BUCKETS]; /* not cumulative */
	uint64_t duration_count;
	double duration_sum;
	uint64_t cache_hits;    /* answered from a recent result */
	uint64_t coalesced;     /* joined a probe already running */
	unsigned in_flight;     /* distinct probes running */
	uint64_t dns_failures;  /* lookups that failed (not NXDOMAIN/NODATA) */
	uint64_t smtp_sessions; /* SMTP sessions started */
	uint64_t smtp_failures; /* addresses whose session failed */
	uint64_t http_requests; /* GET/HEAD within the limits, any path */
	uint64_t http_header_timeouts; /* connections closed: headers late */
	bool reload_ok;
	double reload_time; /* Unix time of the last successful (re)load */
} exporter_metrics;

void exporter_metrics_init(exporter_metrics *m);

/* A probe finished after `seconds` with result r. */
void exporter_metrics_observe(
    exporter_metrics *m, exporter_result r, double seconds);

/* The exposition of /metrics (text format 0.0.4). */
void exporter_metrics_write(FILE *out, const exporter_metrics *m);

/* What /proc/self says about this process; false when unreadable. */
typedef struct exporter_process {
	double cpu_seconds;
	double resident_bytes, virtual_bytes;
	double open_fds, max_fds;
	double start_time;
} exporter_process;
bool exporter_process_read(exporter_process *p);

#endif
