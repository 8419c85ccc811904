/*
 * cli_common.c -- shared front-end plumbing.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "dns/dns_name.h"
#include "report/report_safe.h"
#include "util/parse.h"

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
cli_options_init(cli_options *o)
{
	memset(o, 0, sizeof(*o));
	local_fqdn(o->helo_buf, sizeof(o->helo_buf));
	o->probe.helo_name = o->helo_buf;
	o->probe.port = 25;
	o->probe.use_ipv4 = true;
	o->probe.use_ipv6 = true;
	o->probe.timeout = 30.0;
	o->probe.expiry.warn_days = 20;
	o->probe.expiry.crit_days = 7;
	o->probe.per_host = 2;
	o->probe.max_addresses = CLI_DEFAULT_MAX_ADDRESSES;
}

/*
 * Every SMTP session holds a socket: raise the soft descriptor limit to
 * the hard one and keep sessions below it, leaving room for DNS sockets
 * and stdio.
 */
static unsigned
session_budget(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 512;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
		return 32768;
	return rl.rlim_cur > 256 ? (unsigned)(rl.rlim_cur - 128) : 64;
}

void
cli_options_finish(cli_options *o)
{
	double t = o->probe.timeout;

	/* Every phase may use most of the budget; the deadline binds. */
	o->probe.phase_timeout = t < 15.0 ? t : 15.0;
	/* Half the budget per lookup: a resolver needs ~2 s to SERVFAIL a
	 * dead authoritative server, and the deadline still bounds the run. */
	o->dns.timeout_ms = (unsigned)(t * 1000.0 / 2.0);
	if (o->dns.timeout_ms > 10000)
		o->dns.timeout_ms = 10000;
	if (o->dns.timeout_ms < 200)
		o->dns.timeout_ms = 200;
	if (o->probe.max_sessions == 0)
		o->probe.max_sessions = session_budget();
}

int
cli_parse_days_threshold(const char *s, long *out)
{
	char buf[32];
	size_t len;

	if (s == NULL)
		return -1;
	if (*s == '\0' || strcmp(s, "~:") == 0) {
		*out = -1;
		return 0;
	}
	len = strlen(s);
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len + 1);
	if (buf[len - 1] == ':')
		buf[len - 1] = '\0';
	return parse_long(buf, 0, 100000, out);
}

static const struct option probe_options[] = {
	CLI_PROBE_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

static const struct option *
find_option(const struct option *opts, int c)
{
	for (; opts->name != NULL; opts++)
		if (opts->flag == NULL && opts->val == c)
			return opts;
	return NULL;
}

int
cli_seen_once(cli_seen *s, const struct option *opts, int c, char *err,
    size_t errlen)
{
	char name[80];
	unsigned u = (unsigned)c;

	if (u >= sizeof(s->bits) * 8)
		return 0;
	if (s->bits[u / 8] & (1u << (u % 8))) {
		cli_option_name(opts, c, name, sizeof(name));
		snprintf(err, errlen, "option %s given twice (it takes one "
		    "value)", name);
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
long_matches(const struct option *opts, const char *s, size_t n,
    bool *exact)
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
cli_bad_option(char **argv, const struct option *opts, int c, char *err,
    size_t errlen)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	bool exact;

	if (arg != NULL && strncmp(arg, "--", 2) == 0) {
		int n = (int)strcspn(arg, "=");
		int m = long_matches(opts, arg + 2, (size_t)n - 2, &exact);

		if (c == ':')
			snprintf(err, errlen, "option \"%.*s\" needs an "
			    "argument", n, arg);
		else if (exact && arg[n] == '=')
			snprintf(err, errlen, "option \"%.*s\" takes no "
			    "argument", n, arg);
		else
			snprintf(err, errlen, "%s option \"%.*s\"", m > 1 ?
			    "ambiguous" : "unknown", n, arg);
		return;
	}
	if (optopt > 32 && optopt < 127)
		snprintf(err, errlen, c == ':' ? "option \"-%c\" needs an "
		    "argument" : "unknown option \"-%c\"", optopt);
	else
		snprintf(err, errlen, "unknown option (byte 0x%02x)",
		    (unsigned)optopt & 0xffu);
}

int
cli_usage_error(const char *prefix, const char *usage_line, const char *fmt,
    ...)
{
	char msg[1024];
	va_list ap;

	/* It may quote an argument: escaped, as every report line is. */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report_safe_line(stderr, 0, "%s: %s", prefix, msg);
	fprintf(stderr, "%s\n", usage_line);
	return 3;
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
		snprintf(err, errlen, "invalid --helo \"%s\": an address "
		    "literal is [192.0.2.1] or [IPv6:2001:db8::1]",
		    dns_name_shown(s, esc, sizeof(esc)));
		return -1;
	}
	if (dns_name_is_hostname(s, false))
		return 0;
	snprintf(err, errlen, "invalid --helo \"%s\": give a host name "
	    "(mail.example.org) or an address literal ([192.0.2.1])",
	    dns_name_shown(s, esc, sizeof(esc)));
	return -1;
}

int
cli_probe_option(cli_options *o, int c, const char *arg, char *err,
    size_t errlen)
{
	const struct option *po = find_option(probe_options, c);
	long v;

	if (po == NULL)
		return 0;
	/* A value given twice would quietly lose one of them. */
	if (po->has_arg != no_argument &&
	    cli_seen_once(&o->seen, probe_options, c, err, errlen) != 0)
		return -1;
	switch (c) {
	case 't':
		if (parse_seconds(arg, &o->probe.timeout) == 0)
			return 1;
		snprintf(err, errlen, "invalid timeout \"%s\" (seconds, "
		    "up to 3600)", arg);
		return -1;
	case 'p':
		if (parse_long(arg, 1, 65535, &v) == 0) {
			o->probe.port = (int)v;
			return 1;
		}
		snprintf(err, errlen, "invalid port \"%s\"", arg);
		return -1;
	case '4':
	case '6':
		if (o->family != 0 && o->family != c) {
			snprintf(err, errlen, "-4 and -6 contradict each other "
			    "(give neither to probe both families)");
			return -1;
		}
		o->family = (char)c;
		o->probe.use_ipv4 = c == '4';
		o->probe.use_ipv6 = c == '6';
		return 1;
	case 'w':
	case 'c':
		if (cli_parse_days_threshold(arg, c == 'w' ?
		    &o->probe.expiry.warn_days : &o->probe.expiry.crit_days) == 0)
			return 1;
		snprintf(err, errlen, "invalid %s threshold \"%s\" (use DAYS:)",
		    c == 'w' ? "warning" : "critical", arg);
		return -1;
	case CLI_OPT_RESOLVER:
		o->dns.resolver = arg;
		return 1;
	case CLI_OPT_ANCHOR:
		o->dns.trust_anchor_file = arg;
		return 1;
	case CLI_OPT_ROOT_HINTS:
		o->dns.root_hints_file = arg;
		return 1;
	case CLI_OPT_REQUIRE_DANE:
		o->probe.require_dane = true;
		return 1;
	case CLI_OPT_NO_ROLLOVER_WARNING:
		o->probe.no_rollover_warning = true;
		return 1;
	case CLI_OPT_HELO:
		if (cli_check_helo(arg, err, errlen) != 0)
			return -1;
		o->probe.helo_name = arg;
		return 1;
	case CLI_OPT_MAX_ADDRESSES:
		/* 0: no cap (every address of up to 128 MX hosts) */
		if (parse_long(arg, 0, 100000, &v) == 0) {
			o->probe.max_addresses = (unsigned)v;
			return 1;
		}
		snprintf(err, errlen, "invalid --max-addresses \"%s\" (0 for "
		    "no limit)", arg);
		return -1;
	default:
		return 0;
	}
}
