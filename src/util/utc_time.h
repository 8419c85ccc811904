/*
 * utc_time.h -- a moment as people read it in reports and plans:
 * "2026-12-06 05:38:12 UTC".
 */
#ifndef DANEPROBE_UTC_TIME_H
#define DANEPROBE_UTC_TIME_H

#include <stddef.h>
#include <time.h>

/* t as "YYYY-MM-DD HH:MM:SS UTC" in buf; when the time cannot be broken
 * down or buf is too short, the seconds since the epoch ("%lld"). */
void utc_time_format(time_t t, char *buf, size_t len);

#endif
