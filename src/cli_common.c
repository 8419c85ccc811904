/*
 * cli_common.c -- shared front-end plumbing.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli_common.h"

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
cli_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cli_parse_seconds(const char *s, double *out)
{
	char *end;
	double v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0' || !(v > 0.0) || v > 3600.0)
		return -1;
	*out = v;
	return 0;
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
	return cli_parse_long(buf, 0, 100000, out);
}

int
cli_probe_option(cli_options *o, int c, const char *arg, char *err,
    size_t errlen)
{
	long v;

	switch (c) {
	case 't':
		if (cli_parse_seconds(arg, &o->probe.timeout) == 0)
			return 1;
		snprintf(err, errlen, "invalid timeout \"%s\" (seconds, "
		    "up to 3600)", arg);
		return -1;
	case 'p':
		if (cli_parse_long(arg, 1, 65535, &v) == 0) {
			o->probe.port = (int)v;
			return 1;
		}
		snprintf(err, errlen, "invalid port \"%s\"", arg);
		return -1;
	case '4':
	case '6':
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
	case CLI_OPT_HELO:
		o->probe.helo_name = arg;
		return 1;
	case CLI_OPT_MAX_ADDRESSES:
		/* 0: no cap (every address of up to 128 MX hosts) */
		if (cli_parse_long(arg, 0, 100000, &v) == 0) {
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

int
cli_normalize_domain(const char *in, char *out, size_t outlen, char *err,
    size_t errlen)
{
	size_t len = strlen(in), label = 0;

	if (len > 0 && in[len - 1] == '.')
		len--;
	if (len == 0 || len > 253 || len >= outlen) {
		snprintf(err, errlen, "invalid domain name \"%.64s\": %s", in,
		    len == 0 ? "empty" : "too long");
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.') {
			if (label == 0)
				goto bad;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				goto bad;
		} else {
			goto bad;
		}
		out[i] = (char)tolower(c);
	}
	/* Only one trailing dot is the root: "example.org.." has an empty
	 * last label and must not become "example.org.", a second spelling
	 * of "example.org" that would defeat duplicate detection. */
	if (label == 0)
		goto bad;
	out[len] = '\0';
	return 0;
bad:
	snprintf(err, errlen, "invalid domain name \"%.64s\"", in);
	return -1;
}
