/*
 * report_safe.c -- escaping of hostile text for terminals and plugin
 * output parsers (see report_safe.h).
 */
#include "config.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "report/report_safe.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid.
 * Overlong forms and surrogates are invalid (RFC 3629). */
static size_t
utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned min;
	unsigned cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
		cp = p[0] & 0x1f;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		cp = p[0] & 0x0f;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		cp = p[0] & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0; /* also stops at the terminating NUL */
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* Whether the n bytes at p (one valid character) must be escaped. */
static bool
must_escape(const unsigned char *p, size_t n, unsigned flags)
{
	if (n == 1)
		return p[0] < 0x20 || p[0] == 0x7f ||
		    (p[0] == '|' && (flags & REPORT_SAFE_PIPE));
	/* U+0080..U+009F: C1 controls (CSI, OSC, ...) */
	return n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

char *
report_safe(char *dst, size_t dstlen, const char *src, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0;

	while (*p != '\0') {
		size_t n = utf8_len(p);

		if (n == 0 || must_escape(p, n, flags)) {
			/* every byte of an escaped character, as \xHH */
			size_t k = n ? n : 1;

			if (o + 4 * k >= dstlen)
				break;
			for (size_t i = 0; i < k; i++, o += 4)
				snprintf(dst + o, 5, "\\x%02x", p[i]);
			p += k;
			continue;
		}
		if (o + n >= dstlen)
			break;
		memcpy(dst + o, p, n);
		o += n;
		p += n;
	}
	dst[o] = '\0';
	return dst;
}

void
report_safe_line(FILE *out, unsigned flags, const char *fmt, ...)
{
	char raw[4096], safe[4 * sizeof(raw)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	fputs(report_safe(safe, sizeof(safe), raw, flags), out);
	fputc('\n', out);
}
