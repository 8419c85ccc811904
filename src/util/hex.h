/*
 * hex.h -- bytes as lower-case hex, the form digests and TLSA data take
 * in every report, record and message.
 */
#ifndef DANEPROBE_HEX_H
#define DANEPROBE_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes p[0..n) into buf as a C string, two digits a byte.  When buf
 * (buflen bytes, the NUL included; buflen > 0) is too small it stops
 * after the last whole byte that fits.  Returns buf. */
char *hex_encode(const uint8_t *p, size_t n, char *buf, size_t buflen);

#endif
