/*
 * smtp_reply.h -- incremental parser for SMTP replies (RFC 5321 4.2) and
 * EHLO capability extraction.
 *
 * Bytes arrive from the network in arbitrary pieces; the parser accumulates
 * them and reports a reply once its last line ("CODE SP text" or bare
 * "CODE") has been seen.  Lines are bounded (SMTP_REPLY_MAX_LINE) and so is
 * the number of lines of one reply (SMTP_REPLY_MAX_LINES): a hostile server
 * cannot make us buffer without limit.  Lines end in CRLF; a bare LF is
 * accepted (many servers are lax) but reported via `bare_lf`.
 *
 * Ownership: the parser is a value type embedded by its user;
 * smtp_reply_parser_init() prepares it, smtp_reply_parser_clear() frees what
 * it holds.  A completed smtp_reply is owned by the caller and freed with
 * smtp_reply_clear().
 */
#ifndef DANEPROBE_SMTP_REPLY_H
#define DANEPROBE_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#define SMTP_REPLY_MAX_LINE 2048 /* bytes, CRLF included; RFC 5321 says 512 */
#define SMTP_REPLY_MAX_LINES 128

typedef struct smtp_reply {
	int code; /* 200..599 */
	size_t nlines;
	char **
	    lines; /* owned; text after "CODE-"/"CODE ", NUL-terminated, no CRLF */
	bool bare_lf; /* some line ended in LF without CR */
} smtp_reply;

typedef enum smtp_parse_status {
	SMTP_PARSE_NEED_MORE = 0, /* all input consumed, reply not complete */
	SMTP_PARSE_DONE,  /* a reply is complete; *consumed bytes used */
	SMTP_PARSE_ERROR, /* malformed or over limits; reason set */
} smtp_parse_status;

typedef struct smtp_reply_parser {
	char line[SMTP_REPLY_MAX_LINE + 1];
	size_t line_len;
	smtp_reply pending;
	char reason[160];
} smtp_reply_parser;

void smtp_reply_parser_init(smtp_reply_parser *p);
void smtp_reply_parser_clear(smtp_reply_parser *p);

/*
 * Feeds up to `len` bytes.  On SMTP_PARSE_DONE, *out receives the reply
 * (caller owns it) and *consumed says how many bytes of buf were used; the
 * rest belongs to the next reply (or, after "220 Ready to start TLS", is
 * injected plaintext that the caller must discard).  On NEED_MORE all bytes
 * were consumed.  On ERROR p->reason explains (e.g. "reply line longer than
 * 2048 bytes", "malformed reply code \"25O\"", "reply code changed within a
 * multi-line reply", "NUL byte in reply"); the parser must not be fed again.
 */
smtp_parse_status smtp_reply_parse(smtp_reply_parser *p, const char *buf,
    size_t len, size_t *consumed, smtp_reply *out);

void smtp_reply_clear(smtp_reply *r);

/* "250-first line / 250 last" style one-line rendering for reasons:
 * joins lines with " / ", truncated to buflen.  Non-printable bytes are
 * shown as '?'. */
char *smtp_reply_summary(const smtp_reply *r, char *buf, size_t buflen);

/* EHLO capabilities (RFC 5321 4.1.1.1: keywords after the greeting line,
 * case-insensitive, keyword followed by optional parameters). */
enum {
	SMTP_CAP_STARTTLS = 1u << 0,
	SMTP_CAP_PIPELINING = 1u << 1,
	SMTP_CAP_8BITMIME = 1u << 2,
	SMTP_CAP_SIZE = 1u << 3,
	SMTP_CAP_SMTPUTF8 = 1u << 4,
	SMTP_CAP_CHUNKING = 1u << 5,
	SMTP_CAP_REQUIRETLS = 1u << 6,
};

/* Capability bitmask of an EHLO reply (lines[0] is the greeting and is not
 * a keyword).  A keyword counts only as a whole word: "STARTTLSX" or
 * "XSTARTTLS" do not count. */
unsigned smtp_ehlo_capabilities(const smtp_reply *ehlo);

#endif
