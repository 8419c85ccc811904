/*
 * test_smtp_reply.c -- the SMTP reply parser fed recorded bytes, whole, one
 * byte at a time and split at every position; limits; EHLO keywords.
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "smtp/smtp_reply.h"

/* One recorded server reply and what the parser must make of it. */
typedef struct reply_case {
	const char *name;
	const char *bytes;
	size_t len;              /* 0: strlen(bytes) */
	smtp_parse_status want;
	int code;
	size_t nlines;
	const char *first;       /* lines[0] */
	const char *last;        /* lines[nlines-1] */
	bool bare_lf;
	size_t consumed;         /* for DONE; 0: all of it */
	const char *reason;      /* for ERROR: substring of p->reason */
} reply_case;

static size_t
case_len(const reply_case *c)
{
	return c->len != 0 ? c->len : strlen(c->bytes);
}

/* Feeds bytes in pieces whose boundaries are given by `cuts` (ascending
 * offsets); stops at DONE or ERROR.  Returns the status, total consumed. */
static smtp_parse_status
feed_cuts(smtp_reply_parser *p, const char *buf, size_t len,
    const size_t *cuts, size_t ncuts, size_t *total, smtp_reply *out)
{
	size_t start = 0, k, used;
	smtp_parse_status st = SMTP_PARSE_NEED_MORE;

	*total = 0;
	for (k = 0; k <= ncuts; k++) {
		size_t end = k < ncuts ? cuts[k] : len;

		st = smtp_reply_parse(p, buf + start, end - start, &used, out);
		*total += used;
		if (st != SMTP_PARSE_NEED_MORE)
			return st;
		cr_assert_eq(used, end - start, "NEED_MORE must consume all");
		start = end;
	}
	return st;
}

static void
check_result(const reply_case *c, smtp_reply_parser *p, smtp_parse_status st,
    size_t total, smtp_reply *r, const char *how)
{
	size_t len = case_len(c);

	cr_assert_eq(st, c->want, "%s (%s): status %d, want %d, reason \"%s\"",
	    c->name, how, st, c->want, p->reason);
	if (st == SMTP_PARSE_ERROR) {
		cr_assert_not_null(strstr(p->reason, c->reason),
		    "%s (%s): reason \"%s\" lacks \"%s\"", c->name, how,
		    p->reason, c->reason);
		return;
	}
	if (st != SMTP_PARSE_DONE)
		return;
	cr_assert_eq(total, c->consumed ? c->consumed : len, "%s (%s): consumed %zu",
	    c->name, how, total);
	cr_assert_eq(r->code, c->code, "%s (%s)", c->name, how);
	cr_assert_eq(r->nlines, c->nlines, "%s (%s): nlines %zu", c->name, how,
	    r->nlines);
	cr_assert_str_eq(r->lines[0], c->first, "%s (%s)", c->name, how);
	cr_assert_str_eq(r->lines[r->nlines - 1], c->last, "%s (%s)", c->name,
	    how);
	cr_assert_eq(r->bare_lf, c->bare_lf, "%s (%s): bare_lf", c->name, how);
}

static void
run_cuts(const reply_case *c, const size_t *cuts, size_t ncuts, const char *how)
{
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t total;
	smtp_parse_status st;

	smtp_reply_parser_init(&p);
	st = feed_cuts(&p, c->bytes, case_len(c), cuts, ncuts, &total, &r);
	check_result(c, &p, st, total, &r, how);
	smtp_reply_clear(&r);
	smtp_reply_parser_clear(&p);
}

/* Whole; one byte at a time; and in two pieces split at every position. */
static void
run_case(const reply_case *c)
{
	size_t len = case_len(c), i;
	size_t *cuts = calloc(len + 1, sizeof(*cuts));
	char how[32];

	cr_assert_not_null(cuts);
	run_cuts(c, NULL, 0, "whole");
	for (i = 1; i < len; i++)
		cuts[i - 1] = i;
	run_cuts(c, cuts, len > 0 ? len - 1 : 0, "bytewise");
	for (i = 0; i <= len; i++) {
		snprintf(how, sizeof(how), "split at %zu", i);
		run_cuts(c, &i, 1, how);
	}
	free(cuts);
}

static reply_case good_cases[] = {
	{ .name = "banner", .bytes = "220 mx.example.org ESMTP Postfix\r\n",
	    .want = SMTP_PARSE_DONE, .code = 220, .nlines = 1,
	    .first = "mx.example.org ESMTP Postfix",
	    .last = "mx.example.org ESMTP Postfix" },
	{ .name = "bare code", .bytes = "250\r\n", .want = SMTP_PARSE_DONE,
	    .code = 250, .nlines = 1, .first = "", .last = "" },
	{ .name = "code and space", .bytes = "221 \r\n",
	    .want = SMTP_PARSE_DONE, .code = 221, .nlines = 1, .first = "",
	    .last = "" },
	{ .name = "ehlo multi-line",
	    .bytes = "250-mx.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000"
		     "\r\n250-STARTTLS\r\n250 CHUNKING\r\n",
	    .want = SMTP_PARSE_DONE, .code = 250, .nlines = 5,
	    .first = "mx.example.org", .last = "CHUNKING" },
	{ .name = "multi-line with bare last", .bytes = "250-a\r\n250\r\n",
	    .want = SMTP_PARSE_DONE, .code = 250, .nlines = 2, .first = "a",
	    .last = "" },
	{ .name = "bare LF", .bytes = "250 ok\n", .want = SMTP_PARSE_DONE,
	    .code = 250, .nlines = 1, .first = "ok", .last = "ok",
	    .bare_lf = true },
	{ .name = "bare LF on one line of two", .bytes = "250-a\n250 b\r\n",
	    .want = SMTP_PARSE_DONE, .code = 250, .nlines = 2, .first = "a",
	    .last = "b", .bare_lf = true },
	{ .name = "8-bit text kept", .bytes = "554 \xc3\xa9t\xc3\xa9\r\n",
	    .want = SMTP_PARSE_DONE, .code = 554, .nlines = 1,
	    .first = "\xc3\xa9t\xc3\xa9", .last = "\xc3\xa9t\xc3\xa9" },
	{ .name = "injected bytes after reply",
	    .bytes = "220 2.0.0 Ready to start TLS\r\nMAIL FROM:<x>\r\n",
	    .want = SMTP_PARSE_DONE, .code = 220, .nlines = 1,
	    .first = "2.0.0 Ready to start TLS",
	    .last = "2.0.0 Ready to start TLS", .consumed = 30 },
	{ .name = "second reply left over", .bytes = "250 a\r\n250 b\r\n",
	    .want = SMTP_PARSE_DONE, .code = 250, .nlines = 1, .first = "a",
	    .last = "a", .consumed = 7 },
	{ .name = "lowest and highest codes", .bytes = "200-x\r\n200 y\r\n",
	    .want = SMTP_PARSE_DONE, .code = 200, .nlines = 2, .first = "x",
	    .last = "y" },
	{ .name = "559", .bytes = "559 z\r\n", .want = SMTP_PARSE_DONE,
	    .code = 559, .nlines = 1, .first = "z", .last = "z" },
};

static reply_case bad_cases[] = {
	{ .name = "letter O in code", .bytes = "25O ok\r\n",
	    .want = SMTP_PARSE_ERROR, .reason = "malformed reply code \"25O\"" },
	{ .name = "four digits", .bytes = "2500 x\r\n",
	    .want = SMTP_PARSE_ERROR, .reason = "malformed reply code \"2500\"" },
	{ .name = "code glued to text", .bytes = "250ok\r\n",
	    .want = SMTP_PARSE_ERROR, .reason = "malformed reply code \"250ok\"" },
	{ .name = "two digits", .bytes = "25\r\n", .want = SMTP_PARSE_ERROR,
	    .reason = "malformed reply code \"25\"" },
	{ .name = "199", .bytes = "199 x\r\n", .want = SMTP_PARSE_ERROR,
	    .reason = "invalid reply code 199" },
	{ .name = "600", .bytes = "600 x\r\n", .want = SMTP_PARSE_ERROR,
	    .reason = "invalid reply code 600" },
	{ .name = "999", .bytes = "999\r\n", .want = SMTP_PARSE_ERROR,
	    .reason = "invalid reply code 999" },
	{ .name = "second digit 6", .bytes = "260 x\r\n",
	    .want = SMTP_PARSE_ERROR, .reason = "invalid reply code 260" },
	{ .name = "empty line", .bytes = "\r\n", .want = SMTP_PARSE_ERROR,
	    .reason = "empty reply line" },
	{ .name = "empty bare LF line", .bytes = "\n", .want = SMTP_PARSE_ERROR,
	    .reason = "empty reply line" },
	{ .name = "http", .bytes = "HTTP/1.1 400 Bad Request\r\n",
	    .want = SMTP_PARSE_ERROR,
	    .reason = "malformed reply code \"HTTP/1.1\"" },
	{ .name = "mixed codes", .bytes = "250-a\r\n251 b\r\n",
	    .want = SMTP_PARSE_ERROR,
	    .reason = "reply code changed within a multi-line reply (250 then 251)" },
	{ .name = "NUL byte", .bytes = "250 a\0b\r\n", .len = 9,
	    .want = SMTP_PARSE_ERROR, .reason = "NUL byte in reply" },
	{ .name = "bare CR", .bytes = "250 a\rb\r\n", .want = SMTP_PARSE_ERROR,
	    .reason = "CR not followed by LF" },
	{ .name = "control byte in code", .bytes = "2\x01" "0 x\r\n",
	    .want = SMTP_PARSE_ERROR, .reason = "malformed reply code \"2?0\"" },
	{ .name = "leading space", .bytes = " 250 x\r\n",
	    .want = SMTP_PARSE_ERROR, .reason = "malformed reply code \" 250\"" },
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* Criterion runs each parameter in a fresh process where the parent's
 * pointers mean nothing, so parameters are indexes into the tables. */
static size_t indexes[64];

static struct criterion_test_params
index_params(size_t n)
{
	size_t i;

	cr_assert_leq(n, NELEMS(indexes));
	for (i = 0; i < n; i++)
		indexes[i] = i;
	return cr_make_param_array(size_t, indexes, n);
}

ParameterizedTestParameters(smtp_reply, good_replies_parse_in_any_split)
{
	return index_params(NELEMS(good_cases));
}

ParameterizedTest(size_t *i, smtp_reply, good_replies_parse_in_any_split)
{
	run_case(&good_cases[*i]);
}

ParameterizedTestParameters(smtp_reply, bad_replies_fail_with_reason)
{
	return index_params(NELEMS(bad_cases));
}

ParameterizedTest(size_t *i, smtp_reply, bad_replies_fail_with_reason)
{
	run_case(&bad_cases[*i]);
}

Test(smtp_reply, partial_reply_needs_more)
{
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used;

	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, "250-a\r\n250 b", 12, &used, &r),
	    SMTP_PARSE_NEED_MORE);
	cr_assert_eq(used, 12);
	cr_assert_eq(smtp_reply_parse(&p, "", 0, &used, &r),
	    SMTP_PARSE_NEED_MORE);
	cr_assert_eq(used, 0);
	cr_assert_eq(smtp_reply_parse(&p, "\r\n", 2, &used, &r), SMTP_PARSE_DONE);
	cr_assert_eq(used, 2);
	cr_assert_eq(r.nlines, 2);
	cr_assert_str_eq(r.lines[1], "b");
	smtp_reply_clear(&r);
	smtp_reply_parser_clear(&p);
}

Test(smtp_reply, parser_continues_with_next_reply_after_done)
{
	const char buf[] = "250 a\r\n354-b\r\n354 c\r\n";
	smtp_reply_parser p;
	smtp_reply r1 = { 0 }, r2 = { 0 };
	size_t used1, used2;

	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, buf, sizeof(buf) - 1, &used1, &r1),
	    SMTP_PARSE_DONE);
	cr_assert_eq(used1, 7);
	cr_assert_eq(smtp_reply_parse(&p, buf + used1, sizeof(buf) - 1 - used1,
	    &used2, &r2), SMTP_PARSE_DONE);
	cr_assert_eq(used2, sizeof(buf) - 1 - used1);
	cr_assert_eq(r1.code, 250);
	cr_assert_eq(r2.code, 354);
	cr_assert_eq(r2.nlines, 2);
	cr_assert_eq(r1.nlines, 1, "first reply untouched by the second");
	smtp_reply_clear(&r1);
	smtp_reply_clear(&r2);
	smtp_reply_parser_clear(&p);
}

/* A line of exactly `total` bytes including CRLF. */
static char *
make_line(size_t total, const char *end)
{
	char *s = malloc(total + 1);

	cr_assert_not_null(s);
	memset(s, 'x', total);
	memcpy(s, "250 ", 4);
	memcpy(s + total - strlen(end), end, strlen(end));
	s[total] = '\0';
	return s;
}

Test(smtp_reply, line_of_exactly_max_length_is_accepted)
{
	char *crlf = make_line(SMTP_REPLY_MAX_LINE, "\r\n");
	char *lf = make_line(SMTP_REPLY_MAX_LINE, "\n");
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used;

	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, crlf, SMTP_REPLY_MAX_LINE, &used, &r),
	    SMTP_PARSE_DONE, "%s", p.reason);
	cr_assert_eq(strlen(r.lines[0]), SMTP_REPLY_MAX_LINE - 6);
	smtp_reply_clear(&r);
	cr_assert_eq(smtp_reply_parse(&p, lf, SMTP_REPLY_MAX_LINE, &used, &r),
	    SMTP_PARSE_DONE, "%s", p.reason);
	cr_assert_eq(strlen(r.lines[0]), SMTP_REPLY_MAX_LINE - 5);
	cr_assert(r.bare_lf);
	smtp_reply_clear(&r);
	smtp_reply_parser_clear(&p);
	free(crlf);
	free(lf);
}

Test(smtp_reply, line_one_byte_over_max_is_rejected)
{
	char *s = make_line(SMTP_REPLY_MAX_LINE + 1, "\r\n");
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used;

	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, s, SMTP_REPLY_MAX_LINE + 1, &used, &r),
	    SMTP_PARSE_ERROR);
	cr_assert_str_eq(p.reason, "reply line longer than 2048 bytes");
	smtp_reply_parser_clear(&p);
	free(s);
}

Test(smtp_reply, megabyte_line_fails_within_first_line_limit)
{
	size_t len = 1u << 20;
	char *s = malloc(len);
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used;

	cr_assert_not_null(s);
	memset(s, 'A', len);
	memcpy(s, "250 ", 4);
	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, s, len, &used, &r), SMTP_PARSE_ERROR);
	cr_assert_leq(used, SMTP_REPLY_MAX_LINE, "stopped after %zu bytes", used);
	cr_assert_str_eq(p.reason, "reply line longer than 2048 bytes");
	smtp_reply_parser_clear(&p);
	free(s);
}

/* n lines of "250-l" with the last "250 l". */
static char *
make_lines(size_t n, size_t *len)
{
	char *s = malloc(n * 7 + 1);
	size_t i;

	cr_assert_not_null(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * 7, i + 1 < n ? "250-l\r\n" : "250 l\r\n", 7);
	*len = n * 7;
	s[*len] = '\0';
	return s;
}

Test(smtp_reply, max_lines_accepted_one_more_rejected)
{
	size_t len, used;
	char *ok = make_lines(SMTP_REPLY_MAX_LINES, &len);
	char *over;
	smtp_reply_parser p;
	smtp_reply r = { 0 };

	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, ok, len, &used, &r), SMTP_PARSE_DONE);
	cr_assert_eq(r.nlines, SMTP_REPLY_MAX_LINES);
	smtp_reply_clear(&r);
	over = make_lines(SMTP_REPLY_MAX_LINES + 1, &len);
	cr_assert_eq(smtp_reply_parse(&p, over, len, &used, &r),
	    SMTP_PARSE_ERROR);
	cr_assert_str_eq(p.reason, "reply has more than 128 lines");
	cr_assert_eq(used, len, "the 129th line is the one refused");
	smtp_reply_parser_clear(&p);
	free(ok);
	free(over);
}

Test(smtp_reply, endless_continuation_stops_at_line_limit)
{
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used, fed = 0;
	smtp_parse_status st = SMTP_PARSE_NEED_MORE;
	int i;

	smtp_reply_parser_init(&p);
	for (i = 0; i < 100000 && st == SMTP_PARSE_NEED_MORE; i++) {
		st = smtp_reply_parse(&p, "250-AUTH PLAIN\r\n", 16, &used, &r);
		fed += used;
	}
	cr_assert_eq(st, SMTP_PARSE_ERROR);
	cr_assert_eq(i, SMTP_REPLY_MAX_LINES + 1);
	cr_assert_eq(fed, 16u * (SMTP_REPLY_MAX_LINES + 1));
	smtp_reply_parser_clear(&p);
}

Test(smtp_reply, parser_stays_failed_after_error)
{
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used = 99;

	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, "2x0 a\r\n", 7, &used, &r),
	    SMTP_PARSE_ERROR);
	cr_assert_eq(smtp_reply_parse(&p, "250 a\r\n", 7, &used, &r),
	    SMTP_PARSE_ERROR);
	cr_assert_eq(used, 0);
	cr_assert_str_eq(p.reason, "malformed reply code \"2x0\"");
	smtp_reply_parser_clear(&p);
}

Test(smtp_reply, clear_frees_partial_reply)
{
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used;

	/* Under ASan this leaks if clear forgets the pending lines. */
	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, "250-a\r\n250-b\r\n25", 16, &used, &r),
	    SMTP_PARSE_NEED_MORE);
	cr_assert_eq(p.pending.nlines, 2);
	smtp_reply_parser_clear(&p);
	cr_assert_eq(p.pending.nlines, 0);
	smtp_reply_clear(NULL);
	smtp_reply_parser_clear(NULL);
}

/* Parses one complete reply from a string (test helper). */
static smtp_reply
parse_one(const char *bytes)
{
	smtp_reply_parser p;
	smtp_reply r = { 0 };
	size_t used;

	smtp_reply_parser_init(&p);
	cr_assert_eq(smtp_reply_parse(&p, bytes, strlen(bytes), &used, &r),
	    SMTP_PARSE_DONE, "%s", p.reason);
	smtp_reply_parser_clear(&p);
	return r;
}

typedef struct caps_case {
	const char *bytes;
	unsigned want;
} caps_case;

static caps_case caps_cases[] = {
	{ "250-mx\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
	    SMTP_CAP_PIPELINING | SMTP_CAP_STARTTLS | SMTP_CAP_8BITMIME },
	{ "250-mx\r\n250-starttls\r\n250 size 1000\r\n",
	    SMTP_CAP_STARTTLS | SMTP_CAP_SIZE },
	{ "250-mx\r\n250-StartTLS\r\n250 HELP\r\n", SMTP_CAP_STARTTLS },
	{ "250-mx\r\n250-STARTTLSX\r\n250 XSTARTTLS\r\n", 0 },
	{ "250-mx\r\n250-X-STARTTLS\r\n250 STARTTLS-NOT\r\n", 0 },
	{ "250 STARTTLS\r\n", 0 },              /* greeting only */
	{ "250-STARTTLS\r\n250 SIZE\r\n", SMTP_CAP_SIZE },
	{ "250-mx\r\n250-SIZE 52428800\r\n250-SMTPUTF8\r\n250-CHUNKING\r\n"
	  "250 REQUIRETLS\r\n",
	    SMTP_CAP_SIZE | SMTP_CAP_SMTPUTF8 | SMTP_CAP_CHUNKING |
		SMTP_CAP_REQUIRETLS },
	{ "250-mx\r\n250- STARTTLS\r\n250 AUTH STARTTLS\r\n", 0 },
};

ParameterizedTestParameters(smtp_reply, ehlo_keywords_are_whole_words)
{
	return index_params(NELEMS(caps_cases));
}

ParameterizedTest(size_t *i, smtp_reply, ehlo_keywords_are_whole_words)
{
	const caps_case *c = &caps_cases[*i];
	smtp_reply r = parse_one(c->bytes);

	cr_assert_eq(smtp_ehlo_capabilities(&r), c->want, "%s: got %#x want %#x",
	    c->bytes, smtp_ehlo_capabilities(&r), c->want);
	smtp_reply_clear(&r);
}

Test(smtp_reply, capabilities_of_null_or_empty_reply_are_zero)
{
	smtp_reply empty = { 0 };

	cr_assert_eq(smtp_ehlo_capabilities(NULL), 0);
	cr_assert_eq(smtp_ehlo_capabilities(&empty), 0);
}

Test(smtp_reply, summary_joins_lines)
{
	smtp_reply r = parse_one("250-mx.example\r\n250-SIZE 10\r\n250\r\n");
	smtp_reply one = parse_one("454 4.7.0 TLS not available\r\n");
	char buf[128];

	cr_assert_str_eq(smtp_reply_summary(&r, buf, sizeof(buf)),
	    "250-mx.example / 250-SIZE 10 / 250");
	cr_assert_str_eq(smtp_reply_summary(&one, buf, sizeof(buf)),
	    "454 4.7.0 TLS not available");
	smtp_reply_clear(&r);
	smtp_reply_clear(&one);
}

Test(smtp_reply, summary_truncates_and_masks_unprintable)
{
	smtp_reply r = parse_one("554 \x1b[31mgo away\xff\r\n");
	char buf[12], big[64];

	cr_assert_str_eq(smtp_reply_summary(&r, big, sizeof(big)),
	    "554 ?[31mgo away?");
	cr_assert_str_eq(smtp_reply_summary(&r, buf, sizeof(buf)), "554 ?[31...");
	cr_assert_str_eq(smtp_reply_summary(&r, buf, 1), "");
	cr_assert_str_eq(smtp_reply_summary(NULL, big, sizeof(big)), "");
	cr_assert_null(smtp_reply_summary(&r, NULL, 10));
	smtp_reply_clear(&r);
}
