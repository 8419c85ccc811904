/*
 * fuzz_smtp_reply.c -- the SMTP reply parser and EHLO capabilities against
 * arbitrary server bytes (src/smtp/smtp_reply.h).
 *
 * The input is what a server sends.  It is parsed three times: in one
 * piece, one byte at a time, and in pieces of 1..7 bytes, since TCP may cut
 * a reply anywhere.  The three transcripts (replies with where each ended,
 * then the error or what is left pending) must be identical, and every
 * reply must keep the header's promises: code 2xx-5xx with second digit
 * 0-5, at most SMTP_REPLY_MAX_LINES lines, no line longer than the line
 * limit, no CR or LF in a line, a bounded summary of printable bytes.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "smtp/smtp_reply.h"
#include "fuzz.h"

const char fuzz_target_name[] = "smtp_reply";

typedef size_t (*chunk_fn)(size_t n);

static size_t
chunk_whole(size_t n)
{
	return SIZE_MAX;
}

static size_t
chunk_byte(size_t n)
{
	return 1;
}

static size_t
chunk_cycle(size_t n)
{
	return n % 7 + 1;
}

/* True when some keyword line (not the greeting) is exactly `kw`,
 * optionally followed by parameters: the header's whole-word rule. */
static bool
has_keyword(const smtp_reply *r, const char *kw)
{
	size_t len = strlen(kw);

	for (size_t i = 1; i < r->nlines; i++) {
		const char *l = r->lines[i];

		if (strncasecmp(l, kw, len) == 0 &&
		    (l[len] == '\0' || l[len] == ' ' || l[len] == '\t'))
			return true;
	}
	return false;
}

static void
check_summary(const smtp_reply *r)
{
	static const size_t sizes[] = { 1, 2, 4, 5, 16, 200, 4200 };
	char buf[4200];

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t len;

		memset(buf, 'Z', sizes[k]);
		FUZZ_CHECK(smtp_reply_summary(r, buf, sizes[k]) == buf);
		len = strnlen(buf, sizes[k]);
		FUZZ_CHECK(len < sizes[k]);
		for (size_t i = 0; i < len; i++)
			FUZZ_CHECK(buf[i] >= 0x20 && buf[i] < 0x7f);
		/* It fitted: a larger buffer holds the same text.  Stopping
		 * here keeps speed, as 4 KiB of input may be 1000 replies. */
		if (len + 1 < sizes[k])
			break;
	}
}

static void
check_reply(const smtp_reply *r)
{
	unsigned caps;

	FUZZ_CHECK(r->code >= 200 && r->code <= 559);
	FUZZ_CHECK(r->code / 10 % 10 <= 5);
	FUZZ_CHECK(r->nlines >= 1 && r->nlines <= SMTP_REPLY_MAX_LINES);
	for (size_t i = 0; i < r->nlines; i++) {
		/* The limit counts "CODE-" and at least the LF. */
		FUZZ_CHECK(strlen(r->lines[i]) + 4 + 1 <= SMTP_REPLY_MAX_LINE);
		FUZZ_CHECK(strpbrk(r->lines[i], "\r\n") == NULL);
	}
	check_summary(r);
	caps = smtp_ehlo_capabilities(r);
	FUZZ_CHECK(caps < 1u << 7);
	FUZZ_CHECK(!!(caps & SMTP_CAP_STARTTLS) == has_keyword(r, "STARTTLS"));
	FUZZ_CHECK(!!(caps & SMTP_CAP_SIZE) == has_keyword(r, "SIZE"));
}

static void
describe(FILE *t, const smtp_reply *r, size_t end)
{
	fprintf(t, "reply %d ending at %zu, bare_lf %d:", r->code, end,
	    (int)r->bare_lf);
	for (size_t i = 0; i < r->nlines; i++)
		fprintf(t, " [%s]", r->lines[i]);
	fputc('\n', t);
}

/* Feeds the input in pieces chosen by `chunk` and returns the transcript
 * (caller frees).  Replies are checked in one pass only: equal
 * transcripts make the other passes' replies the same. */
static char *
run_pass(const uint8_t *data, size_t size, chunk_fn chunk, bool check)
{
	smtp_reply_parser p;
	char *text = NULL;
	size_t text_len = 0, off = 0, n = 0;
	FILE *t = open_memstream(&text, &text_len);

	FUZZ_CHECK(t != NULL);
	smtp_reply_parser_init(&p);
	while (off < size) {
		size_t want = chunk(n++), len = size - off, used = SIZE_MAX;
		smtp_reply r;
		smtp_parse_status st;

		if (want < len)
			len = want;
		memset(&r, 0, sizeof(r));
		st = smtp_reply_parse(&p, (const char *)data + off, len, &used,
		    &r);
		FUZZ_CHECK(used <= len);
		if (st == SMTP_PARSE_NEED_MORE) {
			FUZZ_CHECK(used == len);
			off += len;
			continue;
		}
		FUZZ_CHECK(used > 0);
		off += used;
		if (st == SMTP_PARSE_DONE) {
			if (check)
				check_reply(&r);
			describe(t, &r, off);
			smtp_reply_clear(&r);
			continue;
		}
		FUZZ_CHECK(st == SMTP_PARSE_ERROR);
		FUZZ_CHECK(p.reason[0] != '\0');
		FUZZ_CHECK(r.lines == NULL);
		fprintf(t, "error at %zu: %s\n", off, p.reason);
		/* A failed parser keeps failing instead of resyncing on
		 * attacker-chosen bytes. */
		FUZZ_CHECK(smtp_reply_parse(&p, "250 ok\r\n", 8, &used, &r) ==
		    SMTP_PARSE_ERROR);
		break;
	}
	fprintf(t, "pending %zu lines\n", p.pending.nlines);
	smtp_reply_parser_clear(&p);
	FUZZ_CHECK(fclose(t) == 0);
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *whole = run_pass(data, size, chunk_whole, true);
	char *bytes = run_pass(data, size, chunk_byte, false);
	char *cycle = run_pass(data, size, chunk_cycle, false);

	FUZZ_CHECK(strcmp(whole, bytes) == 0);
	FUZZ_CHECK(strcmp(whole, cycle) == 0);
	free(whole);
	free(bytes);
	free(cycle);
	return 0;
}
