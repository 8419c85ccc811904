/*
 * cli_net.h -- the network options every probing command takes, parsed in
 * one place: -p/--port, -t/--timeout, --helo, -4/-6 and the DNS options
 * --resolver, --trust-anchor, --root-hints.  `daneprobe check` and the
 * plugin take them all, `daneprobe rollover` all for the subcommands
 * that go on the network, `daneprobe tlsa` the SMTP ones (no DNS options).
 *
 * A front-end puts CLI_NET_LONG_OPTIONS (and CLI_NET_DNS_LONG_OPTIONS
 * when it resolves) into its option table and CLI_NET_SHORT_OPTIONS into
 * its optstring, numbers its own long options from CLI_NET_OPT_FREE, and
 * hands every option to cli_net_option() first.
 */
#ifndef DANEPROBE_CLI_NET_H
#define DANEPROBE_CLI_NET_H

#include <stddef.h>

#include "cli/cli_args.h"
#include "dns/dns_resolver.h"

enum {
	CLI_OPT_RESOLVER = 256,
	CLI_OPT_ANCHOR,
	CLI_OPT_ROOT_HINTS,
	CLI_OPT_HELO,
	CLI_NET_OPT_FREE,
};

#define CLI_NET_SHORT_OPTIONS "t:p:46"
#define CLI_NET_LONG_OPTIONS \
	{ "timeout", required_argument, NULL, 't' }, \
	    { "port", required_argument, NULL, 'p' }, \
	    { "ipv4", no_argument, NULL, '4' }, \
	    { "ipv6", no_argument, NULL, '6' }, \
	{ \
		"helo", required_argument, NULL, CLI_OPT_HELO \
	}
#define CLI_NET_DNS_LONG_OPTIONS \
	{ "resolver", required_argument, NULL, CLI_OPT_RESOLVER }, \
	    { "trust-anchor", required_argument, NULL, CLI_OPT_ANCHOR }, \
	{ \
		"root-hints", required_argument, NULL, CLI_OPT_ROOT_HINTS \
	}

/* How a command words two refusals; each command keeps its own words. */
typedef struct cli_net_words {
	const char *timeout_hint;  /* after `invalid timeout "X"`, or "" */
	const char *both_families; /* "-4 and -6 contradict each other
	                                (give neither <this>)" */
} cli_net_words;

typedef struct cli_net_options {
	int port;       /* -p: 25 */
	double timeout; /* -t: 30 seconds */
	char helo[256]; /* --helo, else this host's FQDN */
	char family;    /* '4' or '6' once -4/-6 given, else 0 */
	/* --resolver, --trust-anchor, --root-hints (argv strings, borrowed);
	 * timeout_ms from cli_net_finish(). */
	dns_resolver_config dns;
	cli_seen seen; /* value options of the group given */
	const cli_net_words *words;
} cli_net_options;

/* Defaults as above; `words` (static) words the refusals. */
void cli_net_init(cli_net_options *n, const cli_net_words *words);

/* Applies option `c` with `arg`.  Returns 1 when handled, 0 when `c` is
 * not a network option, -1 with a reason in err when `arg` is invalid, a
 * value option comes twice, or -4 and -6 are both given. */
int cli_net_option(
    cli_net_options *n, int c, const char *arg, char *err, size_t errlen);

/* After parsing: the DNS lookup timeout from the time budget (the rule
 * of probe_dns_timeout_ms(), probe_config.h). */
void cli_net_finish(cli_net_options *n);

/* Whether addresses of a family ('4' or '6') are wanted. */
bool cli_net_wants(const cli_net_options *n, char family);

/* The EHLO argument (RFC 5321 4.1.1.1): a host name or an address literal
 * "[192.0.2.1]" / "[IPv6:2001:db8::1]".  0, or -1 with a reason. */
int cli_check_helo(const char *s, char *err, size_t errlen);

#endif
