/*
 * cli_common.h -- the probe options `daneprobe check` and the
 * check_dane_smtp plugin share: the network group (cli_net.h), the
 * verdict options (-w, -c, --require-dane, --no-rollover-warning) and
 * --max-addresses, with their defaults, mapped onto the probe layer's
 * probe_config by cli_options_finish().  Both run their probes through
 * probe_batch_run() (probe_batch.h).
 */
#ifndef DANEPROBE_CLI_COMMON_H
#define DANEPROBE_CLI_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "cli/cli_args.h"
#include "cli/cli_net.h"
#include "probe/probe_config.h"

typedef struct cli_options {
	probe_config probe;  /* complete after cli_options_finish() */
	cli_net_options net; /* -t -p -4 -6 --helo, DNS; net.dns */
	cli_seen seen;       /* other value options given so far */
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

/* Call after option parsing: copies the network options into o->probe,
 * derives phase and DNS timeouts, sizes the session budget. */
void cli_options_finish(cli_options *o);

/*
 * The probe options both front-ends take, parsed in one place:
 * the network group, -w -c --require-dane --no-rollover-warning
 * --max-addresses.  Front-ends put CLI_PROBE_LONG_OPTIONS into their
 * option table and CLI_PROBE_SHORT_OPTIONS into their optstring, and
 * number their own long options from CLI_OPT_FREE.
 */
enum {
	CLI_OPT_REQUIRE_DANE = CLI_NET_OPT_FREE,
	CLI_OPT_NO_ROLLOVER_WARNING,
	CLI_OPT_MAX_ADDRESSES,
	CLI_OPT_FREE,
};

#define CLI_PROBE_SHORT_OPTIONS CLI_NET_SHORT_OPTIONS "w:c:"
#define CLI_PROBE_LONG_OPTIONS \
	CLI_NET_LONG_OPTIONS, CLI_NET_DNS_LONG_OPTIONS, \
	    { "warning", required_argument, NULL, 'w' }, \
	    { "critical", required_argument, NULL, 'c' }, \
	    { "require-dane", no_argument, NULL, CLI_OPT_REQUIRE_DANE }, \
	    { "no-rollover-warning", no_argument, NULL, \
		    CLI_OPT_NO_ROLLOVER_WARNING }, \
	{ \
		"max-addresses", required_argument, NULL, \
		    CLI_OPT_MAX_ADDRESSES \
	}

/* Applies option `c` with `arg` to o.  Returns 1 when handled, 0 when `c`
 * is not a probe option, -1 with a reason in err when `arg` is invalid,
 * a value option comes twice, or -4 and -6 are both given.  `arg` is kept
 * by pointer (argv outlives the run). */
int cli_probe_option(
    cli_options *o, int c, const char *arg, char *err, size_t errlen);

/* Nagios-style days threshold: "N" or "N:" alert below N days; "~:" or
 * "" disables (-1).  Other range forms are rejected.  0 ok, -1 bad. */
int cli_parse_days_threshold(const char *s, long *out);

#endif
