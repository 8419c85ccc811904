/*
 * report_rollover.h -- `daneprobe rollover check|status` results
 * (probe_rollover.h) as text for people and as JSON.  Pure functions of
 * the tree: nothing here judges.  The JSON document is
 * #/$defs/rollover_document of contrib/json/daneprobe.schema.json.
 *
 * Text: every line through report_safe_line() (host names, reasons and
 * record notes may hold what a server or the DNS said).
 *
 * Ownership: the *_json() functions return a new reference the caller
 * releases with json_decref(); report_rollover_document() takes `hosts`.
 */
#ifndef DANEPROBE_REPORT_ROLLOVER_H
#define DANEPROBE_REPORT_ROLLOVER_H

#include <stdio.h>
#include <time.h>

#include <jansson.h>

#include "probe/probe_rollover.h"

/* rollover check: the host's result, and after a pass when the switch is
 * safe (`now` + the RRset's TTL) and the RRset's analysis. */
void report_rollover_check_text(
    FILE *out, const probe_roll_host *h, time_t now);
json_t *report_rollover_check_json(const probe_roll_host *h);

/* rollover status: one block per address, or one line for the host. */
void report_rollover_status_text(FILE *out, const probe_roll_host *h);
json_t *report_rollover_status_json(const probe_roll_host *h);

/* Writes {"daneprobe": VERSION, "hosts": hosts} to out; takes hosts.
 * 0, or -1 on an output error. */
int report_rollover_document(FILE *out, json_t *hosts);

#endif
