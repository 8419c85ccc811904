/*
 * cli_common.h -- what the daneprobe CLI and the check_dane_smtp plugin
 * share: option values with their defaults and strict parsing.  Both run
 * their probes through probe_batch_run() (probe_batch.h).
 */
#ifndef DANEPROBE_CLI_COMMON_H
#define DANEPROBE_CLI_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "probe/probe_engine.h"

/* Which options a command line gave already (by getopt_long() code), to
 * refuse a value option given twice: "-H a -H b" must not quietly drop
 * one of them. */
typedef struct cli_seen {
	unsigned char bits[64];      /* codes 0..511 */
} cli_seen;

typedef struct cli_options {
	probe_config probe;
	dns_resolver_config dns;
	char helo_buf[256];
	cli_seen seen;
	char family;                 /* '4' or '6' once -4/-6 given, else 0 */
} cli_options;

/*
 * Addresses probed per domain (--max-addresses).  A domain's owner picks
 * the MX hosts and their addresses (up to 128 hosts x 32 addresses, each
 * probed twice for a dual-key server), so without a cap one domain makes
 * us open thousands of connections to addresses of its choosing.  Senders
 * cap it too (Postfix smtp_mx_address_limit = 5, Exim hosts_max_try = 5);
 * 32 is six times what they try and covers real providers (5 MX hosts x
 * IPv4 + IPv6 is 10).
 */
#define CLI_DEFAULT_MAX_ADDRESSES 32

/* Defaults: port 25, IPv4+IPv6, timeout 30 s, EHLO the local FQDN,
 * full recursion with the default trust anchor, -w 20: -c 7:,
 * --max-addresses 32. */
void cli_options_init(cli_options *o);

/* Call after option parsing: derives phase and DNS timeouts. */
void cli_options_finish(cli_options *o);

/*
 * The probe options both front-ends take, parsed in one place:
 * -t -p -4 -6 -w -c --resolver --trust-anchor --root-hints --require-dane
 * --helo --max-addresses.
 * Front-ends put CLI_PROBE_LONG_OPTIONS into their option table and
 * CLI_PROBE_SHORT_OPTIONS into their optstring, and number their own long
 * options from CLI_OPT_FREE.
 */
enum {
	CLI_OPT_RESOLVER = 256,
	CLI_OPT_ANCHOR,
	CLI_OPT_REQUIRE_DANE,
	CLI_OPT_HELO,
	CLI_OPT_ROOT_HINTS,
	CLI_OPT_NO_ROLLOVER_WARNING,
	CLI_OPT_MAX_ADDRESSES,
	CLI_OPT_FREE,
};

#define CLI_PROBE_SHORT_OPTIONS "t:p:46w:c:"
#define CLI_PROBE_LONG_OPTIONS \
	{ "timeout", required_argument, NULL, 't' }, \
	{ "port", required_argument, NULL, 'p' }, \
	{ "ipv4", no_argument, NULL, '4' }, \
	{ "ipv6", no_argument, NULL, '6' }, \
	{ "warning", required_argument, NULL, 'w' }, \
	{ "critical", required_argument, NULL, 'c' }, \
	{ "resolver", required_argument, NULL, CLI_OPT_RESOLVER }, \
	{ "trust-anchor", required_argument, NULL, CLI_OPT_ANCHOR }, \
	{ "root-hints", required_argument, NULL, CLI_OPT_ROOT_HINTS }, \
	{ "require-dane", no_argument, NULL, CLI_OPT_REQUIRE_DANE }, \
	{ "no-rollover-warning", no_argument, NULL, \
	    CLI_OPT_NO_ROLLOVER_WARNING }, \
	{ "helo", required_argument, NULL, CLI_OPT_HELO }, \
	{ "max-addresses", required_argument, NULL, CLI_OPT_MAX_ADDRESSES }

/* Applies option `c` with `arg` to o.  Returns 1 when handled, 0 when `c`
 * is not a probe option, -1 with a reason in err when `arg` is invalid,
 * a value option comes twice, or -4 and -6 are both given.  `arg` is kept
 * by pointer (argv outlives the run). */
int cli_probe_option(cli_options *o, int c, const char *arg, char *err,
    size_t errlen);

/* Nagios-style days threshold: "N" or "N:" alert below N days; "~:" or
 * "" disables (-1).  Other range forms are rejected. */
int cli_parse_days_threshold(const char *s, long *out);

/* 0 the first time option `c` (a getopt_long() code of `opts`) is seen;
 * -1 with "option -H/--hostname given twice" in err after that. */
int cli_seen_once(cli_seen *s, const struct option *opts, int c, char *err,
    size_t errlen);

/* "-t/--timeout", "--resolver" or "-x": the option with code c. */
void cli_option_name(const struct option *opts, int c, char *buf,
    size_t len);

/*
 * What getopt_long() refused, in words that name the option: "unknown
 * option \"-x\"", "option \"--timeout\" needs an argument".  Call right
 * after getopt_long() returned '?' or ':' (an optstring that starts with
 * ':' tells the two apart; set opterr = 0 so getopt says nothing itself).
 */
void cli_bad_option(char **argv, const struct option *opts, int c,
    char *err, size_t errlen);

/* A bad command line of a daneprobe command: "PREFIX: WHY" and the
 * command's one-line usage on stderr.  Returns 3 (EXIT_USAGE). */
int cli_usage_error(const char *prefix, const char *usage_line,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The EHLO argument (RFC 5321 4.1.1.1): a host name or an address literal
 * "[192.0.2.1]" / "[IPv6:2001:db8::1]".  0, or -1 with a reason. */
int cli_check_helo(const char *s, char *err, size_t errlen);

#endif
