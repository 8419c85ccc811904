/*
 * text_escape.h -- what may reach a terminal or a plugin parser as is, and
 * the escaping of what may not.  report_safe (the report filter) and the
 * diagnostics that quote typed or listed input share these rules.
 */
#ifndef DANEPROBE_TEXT_ESCAPE_H
#define DANEPROBE_TEXT_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid
 * (overlong forms and surrogates are invalid, RFC 3629; the terminating
 * NUL ends a sequence). */
size_t text_utf8_len(const unsigned char *p);

/* Whether the n bytes at p (one valid character) must be escaped: C0
 * controls, DEL, U+0080..U+009F (C1), and '|' when `pipe`. */
bool text_must_escape(const unsigned char *p, size_t n, bool pipe);

/* Whether s is valid UTF-8 with nothing text_must_escape() (pipe false)
 * refuses: it may be shown as is. */
bool text_is_plain(const char *s);

/* Copies s into out (outlen > 3) with every byte that is not printable
 * ASCII as \xHH and, when `backslash`, the backslash as \\ (false: text
 * escaped before passes unchanged), stopping before the text would pass
 * `cap` characters and then writing "...".  For echoing untrusted input
 * (a command-line argument, a list file's line) in a diagnostic: it must
 * not reach a terminal as escape sequences, nor flood it. */
void text_escape(
    const char *s, size_t cap, bool backslash, char *out, size_t outlen);

#endif
