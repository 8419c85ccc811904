/*
 * report_nagios.h -- Monitoring Plugins output: one status line
 * "DANE-SMTP STATE - summary | perfdata", then long output, one line per
 * MX address.  Perfdata labels never contain '=' or '\''.
 */
#ifndef DANEPROBE_REPORT_NAGIOS_H
#define DANEPROBE_REPORT_NAGIOS_H

#include <stdio.h>

#include "policy/dane_verdict.h"
#include "probe/probe_result.h"

void report_nagios(
    FILE *out, const probe_domain *d, const expiry_thresholds *t);

#endif
