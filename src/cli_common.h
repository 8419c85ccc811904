/*
 * cli_common.h -- what the daneprobe CLI and the check_dane_smtp plugin
 * share: option values with their defaults and strict parsing.  Both run
 * their probes through probe_batch_run() (probe_batch.h).
 */
#ifndef DANEPROBE_CLI_COMMON_H
#define DANEPROBE_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "probe_engine.h"

typedef struct cli_options {
	probe_config probe;
	dns_resolver_config dns;
	char helo_buf[256];
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
	{ "helo", required_argument, NULL, CLI_OPT_HELO }, \
	{ "max-addresses", required_argument, NULL, CLI_OPT_MAX_ADDRESSES }

/* Applies option `c` with `arg` to o.  Returns 1 when handled, 0 when `c`
 * is not a probe option, -1 with a reason in err when `arg` is invalid.
 * `arg` is kept by pointer (argv outlives the run). */
int cli_probe_option(cli_options *o, int c, const char *arg, char *err,
    size_t errlen);

/* Strict parsers: whole string, range-checked.  0 ok, -1 bad. */
int cli_parse_long(const char *s, long min, long max, long *out);
int cli_parse_seconds(const char *s, double *out); /* (0, 3600] */

/* Nagios-style days threshold: "N" or "N:" alert below N days; "~:" or
 * "" disables (-1).  Other range forms are rejected. */
int cli_parse_days_threshold(const char *s, long *out);

/* Lower-cases and strips one trailing dot; rejects names that cannot be a
 * mail domain.  Returns 0 or -1 with a reason. */
int cli_normalize_domain(const char *in, char *out, size_t outlen, char *err,
    size_t errlen);

#endif
