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
 */
#ifndef DANEPROBE_REPORT_PROMETHEUS_H
#define DANEPROBE_REPORT_PROMETHEUS_H

#include <stdio.h>
#include <time.h>

#include "probe/probe_result.h"

/* Facts about the run itself, measured by the caller. */
typedef struct report_run {
	time_t finished; /* wall clock when the probes ended */
	double seconds;  /* how long the whole run took */
} report_run;

/* Writes the exposition of n domains (NULL entries are skipped). */
void report_prometheus(FILE *out, const probe_domain *const *domains, size_t n,
    const report_run *run);

/* A label value as the text format wants it: \\, \" and \n escaped; bytes
 * that are not printable ASCII become the text \xHH, so the output is
 * always valid UTF-8.  Exposed for the unit tests. */
void report_prometheus_label_value(FILE *out, const char *value);

#endif
