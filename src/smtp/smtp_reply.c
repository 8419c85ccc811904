/*
 * smtp_reply.c -- incremental SMTP reply parser (RFC 5321 section 4.2) and
 * EHLO capability extraction.
 *
 * The parser sees the bytes a possibly hostile server sends, so every
 * resource it uses is bounded: one line buffer of SMTP_REPLY_MAX_LINE bytes
 * and at most SMTP_REPLY_MAX_LINES lines per reply.  Anything that is not a
 * well-formed reply is an error with a reason a mail operator can read.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp_reply.h"
#include "util/va_format.h"

void
smtp_reply_parser_init(smtp_reply_parser *p)
{
	memset(p, 0, sizeof(*p));
}

void
smtp_reply_parser_clear(smtp_reply_parser *p)
{
	if (p == NULL)
		return;
	smtp_reply_clear(&p->pending);
	memset(p, 0, sizeof(*p));
}

void
smtp_reply_clear(smtp_reply *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

static bool
is_printable(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* Sets the reason; a non-empty reason also marks the parser as failed so a
 * caller that feeds it again gets the same error back. */
static smtp_parse_status parse_fail(smtp_reply_parser *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static smtp_parse_status
parse_fail(smtp_reply_parser *p, const char *fmt, ...)
{
	VA_FORMAT(p->reason, fmt);
	if (p->reason[0] == '\0')
		snprintf(p->reason, sizeof(p->reason), "malformed reply");
	smtp_reply_clear(&p->pending);
	p->line_len = 0;
	return SMTP_PARSE_ERROR;
}

/* The start of a bad line for error messages: up to the next space, at
 * most 12 bytes, non-printable bytes as '?'. */
static void
line_token(const char *line, size_t len, char *tok, size_t toklen)
{
	size_t i;

	for (i = 0;
	     i < len && i + 1 < toklen && i < 12 && (i == 0 || line[i] != ' ');
	     i++)
		tok[i] = is_printable((unsigned char)line[i]) ? line[i] : '?';
	tok[i] = '\0';
}

/* RFC 5321 4.2: Reply-code = %x32-35 %x30-35 %x30-39.  Returns the code or
 * -1 with the parser's reason set. */
static int
parse_code(smtp_reply_parser *p, const char *line, size_t len)
{
	char tok[16];
	int d0, d1, d2;

	line_token(line, len, tok, sizeof(tok));
	if (len < 3 || line[0] < '0' || line[0] > '9' || line[1] < '0' ||
	    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
	    (len > 3 && line[3] != ' ' && line[3] != '-')) {
		parse_fail(p, "malformed reply code \"%s\"", tok);
		return -1;
	}
	d0 = line[0] - '0';
	d1 = line[1] - '0';
	d2 = line[2] - '0';
	if (d0 < 2 || d0 > 5 || d1 > 5) {
		parse_fail(p,
		    "invalid reply code %d%d%d (RFC 5321 allows "
		    "2xx-5xx with second digit 0-5)",
		    d0, d1, d2);
		return -1;
	}
	return d0 * 100 + d1 * 10 + d2;
}

static bool
pending_append(smtp_reply *r, const char *text)
{
	char **lines;
	char *copy;

	copy = strdup(text);
	if (copy == NULL)
		return false;
	lines = realloc(r->lines, (r->nlines + 1) * sizeof(*lines));
	if (lines == NULL) {
		free(copy);
		return false;
	}
	r->lines = lines;
	r->lines[r->nlines++] = copy;
	return true;
}

/* A complete line (its LF seen) is in p->line.  Returns DONE when it was
 * the last line of the reply, NEED_MORE for a continuation line. */
static smtp_parse_status
end_line(smtp_reply_parser *p)
{
	size_t n = p->line_len;
	int code;
	bool last;

	p->line_len = 0;
	if (n > 0 && p->line[n - 1] == '\r')
		n--;
	else
		p->pending.bare_lf = true;
	p->line[n] = '\0';
	if (n == 0)
		return parse_fail(p, "empty reply line");
	if (memchr(p->line, '\r', n) != NULL)
		return parse_fail(p, "CR not followed by LF in reply line");
	code = parse_code(p, p->line, n);
	if (code < 0)
		return SMTP_PARSE_ERROR;
	if (p->pending.nlines > 0 && code != p->pending.code)
		return parse_fail(p,
		    "reply code changed within a multi-line "
		    "reply (%d then %d)",
		    p->pending.code, code);
	if (p->pending.nlines >= SMTP_REPLY_MAX_LINES)
		return parse_fail(
		    p, "reply has more than %d lines", SMTP_REPLY_MAX_LINES);
	p->pending.code = code;
	if (!pending_append(&p->pending, n > 3 ? p->line + 4 : ""))
		return parse_fail(p, "out of memory");
	last = n == 3 || p->line[3] == ' ';
	return last ? SMTP_PARSE_DONE : SMTP_PARSE_NEED_MORE;
}

smtp_parse_status
smtp_reply_parse(smtp_reply_parser *p, const char *buf, size_t len,
    size_t *consumed, smtp_reply *out)
{
	smtp_parse_status st;
	size_t i;

	*consumed = 0;
	if (p->reason[0] != '\0')
		return SMTP_PARSE_ERROR;
	for (i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\0') {
			*consumed = i + 1;
			return parse_fail(p, "NUL byte in reply");
		}
		if (c != '\n') {
			/* Room must stay for the LF: line + LF <= MAX_LINE. */
			if (p->line_len >= SMTP_REPLY_MAX_LINE - 1) {
				*consumed = i + 1;
				return parse_fail(p,
				    "reply line longer than "
				    "%d bytes",
				    SMTP_REPLY_MAX_LINE);
			}
			p->line[p->line_len++] = c;
			continue;
		}
		st = end_line(p);
		if (st == SMTP_PARSE_NEED_MORE)
			continue;
		*consumed = i + 1;
		if (st == SMTP_PARSE_DONE) {
			*out = p->pending;
			memset(&p->pending, 0, sizeof(p->pending));
		}
		return st;
	}
	*consumed = len;
	return SMTP_PARSE_NEED_MORE;
}

/* Appends s to buf (bounded by buflen); returns false once truncated. */
static bool
summary_append(char *buf, size_t buflen, size_t *pos, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*pos + 1 >= buflen) {
			buf[*pos] = '\0';
			return false;
		}
		buf[(*pos)++] = is_printable((unsigned char)*s) ? *s : '?';
	}
	buf[*pos] = '\0';
	return true;
}

char *
smtp_reply_summary(const smtp_reply *r, char *buf, size_t buflen)
{
	size_t pos = 0, i;
	char head[8];
	bool ok = true;

	if (buf == NULL || buflen == 0)
		return buf;
	buf[0] = '\0';
	if (r == NULL)
		return buf;
	for (i = 0; ok && i < r->nlines; i++) {
		bool last = i + 1 == r->nlines;
		const char *text = r->lines[i];

		if (i > 0)
			ok = summary_append(buf, buflen, &pos, " / ");
		snprintf(head, sizeof(head), "%03d%s", r->code,
		    last ? (text[0] != '\0' ? " " : "") : "-");
		ok = ok && summary_append(buf, buflen, &pos, head);
		ok = ok && summary_append(buf, buflen, &pos, text);
	}
	/* Show that something was cut off rather than end mid-word silently. */
	if (!ok && buflen >= 4)
		memcpy(buf + buflen - 4, "...", 4);
	return buf;
}

static const struct {
	const char *keyword;
	unsigned bit;
} ehlo_keywords[] = {
	{ "STARTTLS", SMTP_CAP_STARTTLS },
	{ "PIPELINING", SMTP_CAP_PIPELINING },
	{ "8BITMIME", SMTP_CAP_8BITMIME },
	{ "SIZE", SMTP_CAP_SIZE },
	{ "SMTPUTF8", SMTP_CAP_SMTPUTF8 },
	{ "CHUNKING", SMTP_CAP_CHUNKING },
	{ "REQUIRETLS", SMTP_CAP_REQUIRETLS },
};

/* RFC 5321 4.1.1.1: ehlo-line = ehlo-keyword *( SP ehlo-param ).  The
 * keyword ends at the first space (tab tolerated); nothing else may follow
 * it directly, so "STARTTLSX" is a different keyword. */
static unsigned
keyword_bit(const char *line)
{
	size_t len = strcspn(line, " \t");
	size_t i;

	for (i = 0; i < sizeof(ehlo_keywords) / sizeof(ehlo_keywords[0]); i++)
		if (strlen(ehlo_keywords[i].keyword) == len &&
		    strncasecmp(line, ehlo_keywords[i].keyword, len) == 0)
			return ehlo_keywords[i].bit;
	return 0;
}

unsigned
smtp_ehlo_capabilities(const smtp_reply *ehlo)
{
	unsigned caps = 0;
	size_t i;

	if (ehlo == NULL)
		return 0;
	/* lines[0] is the greeting ("mx.example.org Hello ..."), not a keyword. */
	for (i = 1; i < ehlo->nlines; i++)
		caps |= keyword_bit(ehlo->lines[i]);
	return caps;
}
