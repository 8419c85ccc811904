/*
 * report_json.h -- the result tree as JSON (jansson).  The layout is
 * documented by the JSON Schema contrib/json/daneprobe.schema.json: the
 * object returned here is its #/$defs/domain (one line of --format jsonl).
 *
 * Ownership: report_json_domain() returns a new reference the caller
 * releases with json_decref().
 */
#ifndef DANEPROBE_REPORT_JSON_H
#define DANEPROBE_REPORT_JSON_H

#include <jansson.h>

#include "probe/probe_result.h"

json_t *report_json_domain(const probe_domain *d);

#endif
