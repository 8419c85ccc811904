/*
 * report_safe.h -- the one sanitiser for text that reports write.
 *
 * Much of what a report shows comes from strangers: MX names from DNS,
 * SMTP banners and replies, certificate subjects and SANs, reasons built
 * from them.  Written raw, such a string can forge report lines (a
 * newline), drive the reader's terminal (ESC and C1 control sequences:
 * ANSI colours, OSC window titles, OSC 8 links) or, in a Monitoring
 * Plugins output, start performance data ('|').  Every line a text or
 * Nagios report writes goes through report_safe_line(), so no caller can
 * forget a field.
 *
 * Escaped as the text \xHH: C0 controls (newline, CR, ESC, ...), DEL,
 * UTF-8-encoded C1 controls (U+0080..U+009F), bytes that are not part of
 * valid UTF-8 (a lone 0x9b is CSI on an 8-bit terminal), and with
 * REPORT_SAFE_PIPE the '|'.  Valid UTF-8 text passes unchanged.
 */
#ifndef DANEPROBE_REPORT_SAFE_H
#define DANEPROBE_REPORT_SAFE_H

#include <stddef.h>
#include <stdio.h>

/* Also escape '|' (Monitoring Plugins: it starts performance data). */
#define REPORT_SAFE_PIPE 1u

/* Copies src into dst (dstlen > 0), escaped as above, truncated at a
 * character boundary and always terminated.  Returns dst. */
char *report_safe(char *dst, size_t dstlen, const char *src, unsigned flags);

/* Formats one line (the format must not end in '\n'), escapes all of it
 * and writes it followed by one '\n'.  Lines longer than 4 KiB are cut. */
void report_safe_line(FILE *out, unsigned flags, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
