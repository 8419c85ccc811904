/*
 * parse.h -- strict number parsers for values a person typed (options,
 * record fields): the whole string must be the number, in range.
 */
#ifndef DANEPROBE_PARSE_H
#define DANEPROBE_PARSE_H

/* Decimal integer in [min, max].  0 ok (*out set), -1 bad. */
int parse_long(const char *s, long min, long max, long *out);

/* Seconds in (0, 3600], fractions allowed.  0 ok (*out set), -1 bad. */
int parse_seconds(const char *s, double *out);

#endif
