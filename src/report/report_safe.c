/*
 * report_safe.c -- escaping of hostile text for terminals and plugin
 * output parsers (see report_safe.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "report/report_safe.h"
#include "util/text_escape.h"
#include "util/va_format.h"

char *
report_safe(char *dst, size_t dstlen, const char *src, unsigned flags)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t o = 0;

	while (*p != '\0') {
		size_t n = text_utf8_len(p);

		if (n == 0 ||
		    text_must_escape(p, n, (flags & REPORT_SAFE_PIPE) != 0)) {
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

	VA_FORMAT(raw, fmt);
	fputs(report_safe(safe, sizeof(safe), raw, flags), out);
	fputc('\n', out);
}
