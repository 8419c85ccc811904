/*
 * report_text.h -- the human audit report: domain, MX host by MX host,
 * address by address, with the reason for every failure and what to fix.
 * Pure function of the result tree.
 */
#ifndef DANEPROBE_REPORT_TEXT_H
#define DANEPROBE_REPORT_TEXT_H

#include <stdio.h>

#include "probe/probe_result.h"

void report_text_domain(FILE *out, const probe_domain *d);

/* One line of advice for a failing address ("" when none). */
const char *report_fix_hint(
    const probe_host *h, const probe_address *a, char *buf, size_t buflen);

#endif
