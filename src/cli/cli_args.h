/*
 * cli_args.h -- the words of a command line every front-end shares:
 * refusing a value option given twice, naming an option, saying what
 * getopt_long() refused, and the one shape of a usage error.
 */
#ifndef DANEPROBE_CLI_ARGS_H
#define DANEPROBE_CLI_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* The last entries of a command's option table when it ends with
 * -v/--verbose, --debug (code `debug`) and -h/--help. */
#define CLI_END_LONG_OPTIONS(debug) \
	{ "verbose", no_argument, NULL, 'v' }, \
	    { "debug", no_argument, NULL, (debug) }, \
	    { "help", no_argument, NULL, 'h' }, \
	{ \
		NULL, 0, NULL, 0 \
	}

/* Which options a command line gave already (by getopt_long() code), to
 * refuse a value option given twice: "-H a -H b" must not quietly drop
 * one of them. */
typedef struct cli_seen {
	unsigned char bits[64]; /* codes 0..511 */
} cli_seen;

/* 0 the first time option `c` (a getopt_long() code of `opts`) is seen;
 * -1 with "option -H/--hostname given twice" in err after that. */
int cli_seen_once(
    cli_seen *s, const struct option *opts, int c, char *err, size_t errlen);

/* "-t/--timeout", "--resolver" or "-x": the option with code c. */
void cli_option_name(const struct option *opts, int c, char *buf, size_t len);

/*
 * What getopt_long() refused, in words that name the option: "unknown
 * option \"-x\"", "option \"--timeout\" needs an argument".  Call right
 * after getopt_long() returned '?' or ':' (an optstring that starts with
 * ':' tells the two apart; set opterr = 0 so getopt says nothing itself).
 */
void cli_bad_option(
    char **argv, const struct option *opts, int c, char *err, size_t errlen);

/* How a front-end answers a bad command line. */
typedef struct cli_usage {
	/* daneprobe commands: "PREFIX: WHY" (escaped) and the line on
	 * stderr.  NULL (the Nagios plugin): "DANE-SMTP UNKNOWN - WHY" and
	 * the line on stdout, where the monitoring core reads them. */
	const char *prefix;
	const char *line; /* the one-line usage, without '\n' */
} cli_usage;

/* The reason and the usage line as `u` says.  Returns 3 (EXIT_USAGE, and
 * UNKNOWN for the plugin). */
int cli_usage_error(const cli_usage *u, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
