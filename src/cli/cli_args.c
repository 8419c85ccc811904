/*
 * cli_args.c -- getopt_long() diagnostics and usage errors shared by the
 * daneprobe commands and the plugin.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli_args.h"
#include "report/report_safe.h"
#include "util/va_format.h"

static const struct option *
find_option(const struct option *opts, int c)
{
	for (; opts->name != NULL; opts++)
		if (opts->flag == NULL && opts->val == c)
			return opts;
	return NULL;
}

int
cli_seen_once(
    cli_seen *s, const struct option *opts, int c, char *err, size_t errlen)
{
	char name[80];
	unsigned u = (unsigned)c;

	if (u >= sizeof(s->bits) * 8)
		return 0;
	if (s->bits[u / 8] & (1u << (u % 8))) {
		cli_option_name(opts, c, name, sizeof(name));
		snprintf(err, errlen,
		    "option %s given twice (it takes one "
		    "value)",
		    name);
		return -1;
	}
	s->bits[u / 8] |= (unsigned char)(1u << (u % 8));
	return 0;
}

void
cli_option_name(const struct option *opts, int c, char *buf, size_t len)
{
	const struct option *o = find_option(opts, c);
	bool short_opt = c > 0 && c < 128 && isalnum(c);

	if (o != NULL && short_opt)
		snprintf(buf, len, "-%c/--%s", c, o->name);
	else if (o != NULL)
		snprintf(buf, len, "--%s", o->name);
	else if (short_opt)
		snprintf(buf, len, "-%c", c);
	else
		snprintf(buf, len, "#%d", c);
}

/* Long options whose name starts with the n bytes of s; *exact when one of
 * them is exactly s. */
static int
long_matches(const struct option *opts, const char *s, size_t n, bool *exact)
{
	int count = 0;

	*exact = false;
	for (; opts->name != NULL; opts++) {
		if (strncmp(opts->name, s, n) != 0)
			continue;
		count++;
		if (opts->name[n] == '\0')
			*exact = true;
	}
	return count;
}

void
cli_bad_option(
    char **argv, const struct option *opts, int c, char *err, size_t errlen)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	bool exact;

	if (arg != NULL && strncmp(arg, "--", 2) == 0) {
		int n = (int)strcspn(arg, "=");
		int m = long_matches(opts, arg + 2, (size_t)n - 2, &exact);

		if (c == ':')
			snprintf(err, errlen,
			    "option \"%.*s\" needs an "
			    "argument",
			    n, arg);
		else if (exact && arg[n] == '=')
			snprintf(err, errlen,
			    "option \"%.*s\" takes no "
			    "argument",
			    n, arg);
		else
			snprintf(err, errlen, "%s option \"%.*s\"",
			    m > 1 ? "ambiguous" : "unknown", n, arg);
		return;
	}
	if (optopt > 32 && optopt < 127)
		snprintf(err, errlen,
		    c == ':' ? "option \"-%c\" needs an "
		               "argument" :
		               "unknown option \"-%c\"",
		    optopt);
	else
		snprintf(err, errlen, "unknown option (byte 0x%02x)",
		    (unsigned)optopt & 0xffu);
}

int
cli_usage_error(const cli_usage *u, const char *fmt, ...)
{
	char msg[1024];

	VA_FORMAT(msg, fmt);
	if (u->prefix == NULL) {
		/* Monitoring Plugins' usage4(): the status line, then how
		 * the command line goes. */
		printf("DANE-SMTP UNKNOWN - %s\n%s\n", msg, u->line);
		return 3;
	}
	/* It may quote an argument: escaped, as every report line is. */
	report_safe_line(stderr, 0, "%s: %s", u->prefix, msg);
	fprintf(stderr, "%s\n", u->line);
	return 3;
}
