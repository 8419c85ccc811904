/*
 * text_escape.c -- the escaping rules for hostile text (see
 * text_escape.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "util/text_escape.h"

size_t
text_utf8_len(const unsigned char *p)
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

bool
text_must_escape(const unsigned char *p, size_t n, bool pipe)
{
	if (n == 1)
		return p[0] < 0x20 || p[0] == 0x7f || (p[0] == '|' && pipe);
	/* U+0080..U+009F: C1 controls (CSI, OSC, ...) */
	return n == 2 && p[0] == 0xc2 && p[1] < 0xa0;
}

bool
text_is_plain(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		size_t n = text_utf8_len(p);

		if (n == 0 || text_must_escape(p, n, false))
			return false;
		p += n;
	}
	return true;
}

void
text_escape(const char *s, size_t cap, bool backslash, char *out, size_t outlen)
{
	size_t n = 0;

	if (cap > outlen - 4)
		cap = outlen - 4;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		char item[5];

		if (c == '\\' && backslash)
			snprintf(item, sizeof(item), "\\\\");
		else if (c < 0x20 || c > 0x7e)
			snprintf(item, sizeof(item), "\\x%02x", c);
		else
			snprintf(item, sizeof(item), "%c", c);
		if (n + strlen(item) > cap) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		memcpy(out + n, item, strlen(item));
		n += strlen(item);
	}
	out[n] = '\0';
}
