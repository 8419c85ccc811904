/*
 * report_prometheus.h -- the result trees of one run in the Prometheus
 * text exposition format (version 0.0.4), for node_exporter's textfile
 * collector.  Every metric is a gauge named daneprobe_*; the list, with
 * labels and meaning, is in daneprobe(1).
 *
 * Practice followed: base units (seconds), *_timestamp_seconds for
 * points in time, *_info series with value 1 for facts that are strings,
 * enums as one series per state (0/1) so a state change never makes a
 * series vanish, labels limited to domain / mx / address (plus the enum
 * label), label values escaped.  Duplicate domains, MX hosts or addresses
 * are emitted once (the first), since a repeated series makes the whole
 * file invalid.  No sample timestamps: the textfile collector rejects them.
 *
 * Also here: the one-word DANE status of a host and of a domain, shared
 * with the JSON report.
 */
#ifndef DANEPROBE_REPORT_PROMETHEUS_H
#define DANEPROBE_REPORT_PROMETHEUS_H

#include <stdio.h>
#include <time.h>

#include "probe_result.h"

/* What a DANE-validating sender gets, summed up in one word. */
typedef enum dane_status {
	DANE_STATUS_VERIFIED = 0,  /* every address DANE-authenticated */
	DANE_STATUS_PARTIAL,       /* some hosts verified, others without DANE */
	DANE_STATUS_ENCRYPT_ONLY,  /* only unusable TLSA records (TLS, no auth) */
	DANE_STATUS_NONE,          /* DANE does not apply (insecure / no TLSA) */
	DANE_STATUS_FAILED,        /* a DANE lookup or authentication failed */
	DANE_STATUS_NULL_MX,       /* RFC 7505: the domain accepts no mail */
	DANE_STATUS_COUNT
} dane_status;

/* "verified", "partial", "encrypt-only", "none", "failed", "null-mx" */
const char *dane_status_name(dane_status s);

/* Host: FAIL policy -> failed; DANE required -> verified when every
 * address matched its TLSA records, else failed; encrypt-only; none. */
dane_status dane_status_host(const probe_host *h);

/* Domain: null-mx; failed when the MX lookup failed, there is no host or
 * any host failed; verified when all hosts are; partial when some are;
 * else encrypt-only when any host is; else none. */
dane_status dane_status_domain(const probe_domain *d);

/* Facts about the run itself, measured by the caller. */
typedef struct report_run {
	time_t finished;     /* wall clock when the probes ended */
	double seconds;      /* how long the whole run took */
} report_run;

/* Writes the exposition of n domains (NULL entries are skipped). */
void report_prometheus(FILE *out, const probe_domain *const *domains,
    size_t n, const report_run *run);

/* A label value as the text format wants it: \\, \" and \n escaped; bytes
 * that are not printable ASCII become the text \xHH, so the output is
 * always valid UTF-8.  Exposed for the unit tests. */
void report_prometheus_label_value(FILE *out, const char *value);

#endif
