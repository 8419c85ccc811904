/*
 * hex.c -- lower-case hex encoding.
 */
#include "config.h"

#include "util/hex.h"

char *
hex_encode(const uint8_t *p, size_t n, char *buf, size_t buflen)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	/* Whole bytes only: half a byte would read as a different value. */
	for (i = 0; i < n && 2 * i + 2 < buflen; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 0x0f];
	}
	buf[2 * i] = '\0';
	return buf;
}
