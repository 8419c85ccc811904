/*
 * cli_net.c -- the network option group (see cli_net.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli_net.h"
#include "dns/dns_name.h"
#include "probe/probe_config.h"
#include "util/parse.h"

static const struct option net_options[] = {
	CLI_NET_LONG_OPTIONS,
	CLI_NET_DNS_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static void
local_fqdn(char *buf, size_t len)
{
	struct addrinfo hints, *res = NULL;

	if (gethostname(buf, len) != 0 || buf[0] == '\0') {
		snprintf(buf, len, "localhost");
		return;
	}
	buf[len - 1] = '\0';
	if (strchr(buf, '.') != NULL)
		return;
	/* Only the hosts file or local resolver: AI_CANONNAME, no probing. */
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_CANONNAME;
	if (getaddrinfo(buf, NULL, &hints, &res) == 0 && res &&
	    res->ai_canonname && strchr(res->ai_canonname, '.'))
		snprintf(buf, len, "%s", res->ai_canonname);
	if (res)
		freeaddrinfo(res);
}

void
cli_net_init(cli_net_options *n, const cli_net_words *words)
{
	memset(n, 0, sizeof(*n));
	n->port = 25;
	n->timeout = 30.0;
	local_fqdn(n->helo, sizeof(n->helo));
	n->words = words;
}

int
cli_check_helo(const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s);
	unsigned char a[16];
	char lit[64], esc[104];

	if (len > 2 && s[0] == '[' && s[len - 1] == ']' &&
	    len - 2 < sizeof(lit)) {
		memcpy(lit, s + 1, len - 2);
		lit[len - 2] = '\0';
		if (strncasecmp(lit, "IPv6:", 5) == 0 ?
		        inet_pton(AF_INET6, lit + 5, a) == 1 :
		        inet_pton(AF_INET, lit, a) == 1)
			return 0;
		snprintf(err, errlen,
		    "invalid --helo \"%s\": an address "
		    "literal is [192.0.2.1] or [IPv6:2001:db8::1]",
		    dns_name_shown(s, esc, sizeof(esc)));
		return -1;
	}
	if (dns_name_is_hostname(s, false))
		return 0;
	snprintf(err, errlen,
	    "invalid --helo \"%s\": give a host name "
	    "(mail.example.org) or an address literal ([192.0.2.1])",
	    dns_name_shown(s, esc, sizeof(esc)));
	return -1;
}

/* The options that take a value: the ones handled below. */
static int
value_option(
    cli_net_options *n, int c, const char *arg, char *err, size_t errlen)
{
	long v;

	switch (c) {
	case 't':
		if (parse_seconds(arg, &n->timeout) == 0)
			return 1;
		snprintf(err, errlen, "invalid timeout \"%s\"%s", arg,
		    n->words->timeout_hint);
		return -1;
	case 'p':
		if (parse_long(arg, 1, 65535, &v) == 0) {
			n->port = (int)v;
			return 1;
		}
		snprintf(err, errlen, "invalid port \"%s\"", arg);
		return -1;
	case CLI_OPT_HELO:
		if (cli_check_helo(arg, err, errlen) != 0)
			return -1;
		/* Checked: a host name (253) or a literal (< 66) fits. */
		snprintf(n->helo, sizeof(n->helo), "%s", arg);
		return 1;
	/* Taken as given: dns_resolver_new() checks them. */
	case CLI_OPT_RESOLVER:
		n->dns.resolver = arg;
		return 1;
	case CLI_OPT_ANCHOR:
		n->dns.trust_anchor_file = arg;
		return 1;
	case CLI_OPT_ROOT_HINTS:
		n->dns.root_hints_file = arg;
		return 1;
	default:
		return 0;
	}
}

int
cli_net_option(
    cli_net_options *n, int c, const char *arg, char *err, size_t errlen)
{
	if (c == '4' || c == '6') {
		if (n->family != 0 && n->family != c) {
			snprintf(err, errlen,
			    "-4 and -6 contradict each other "
			    "(give neither %s)",
			    n->words->both_families);
			return -1;
		}
		n->family = (char)c;
		return 1;
	}
	if (c != 't' && c != 'p' &&
	    (c < CLI_OPT_RESOLVER || c >= CLI_NET_OPT_FREE))
		return 0;
	/* A value given twice would quietly lose one of them. */
	if (cli_seen_once(&n->seen, net_options, c, err, errlen) != 0)
		return -1;
	return value_option(n, c, arg, err, errlen);
}

void
cli_net_finish(cli_net_options *n)
{
	n->dns.timeout_ms = probe_dns_timeout_ms(n->timeout);
}

bool
cli_net_wants(const cli_net_options *n, char family)
{
	return n->family == 0 || n->family == family;
}
