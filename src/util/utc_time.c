/*
 * utc_time.c -- moments as text (utc_time.h).
 */
#include "config.h"

#include <stdio.h>

#include "util/utc_time.h"

void
utc_time_format(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}
