/*
 * probe_config.c -- the timeouts a probe derives from its budget (see
 * probe_config.h).
 */
#include "config.h"

#include "probe/probe_config.h"

double
probe_phase_timeout(double budget)
{
	return budget < 15.0 ? budget : 15.0;
}

unsigned
probe_dns_timeout_ms(double budget)
{
	unsigned ms = (unsigned)(budget * 1000.0 / 2.0);

	if (ms > 10000)
		ms = 10000;
	if (ms < 200)
		ms = 200;
	return ms;
}
