/*
 * cli_common.c -- the probe options of `daneprobe check` and the plugin,
 * and their mapping onto probe_config.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli_common.h"
#include "util/parse.h"

/* check and the plugin word these refusals alike. */
static const cli_net_words probe_words = {
	.timeout_hint = " (seconds, up to 3600)",
	.both_families = "to probe both families",
};

static const struct option probe_options[] = {
	CLI_PROBE_LONG_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

void
cli_options_init(cli_options *o)
{
	memset(o, 0, sizeof(*o));
	cli_net_init(&o->net, &probe_words);
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
	cli_net_finish(&o->net);
	o->probe.helo_name = o->net.helo;
	o->probe.port = o->net.port;
	o->probe.use_ipv4 = cli_net_wants(&o->net, '4');
	o->probe.use_ipv6 = cli_net_wants(&o->net, '6');
	o->probe.timeout = o->net.timeout;
	o->probe.phase_timeout = probe_phase_timeout(o->net.timeout);
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

/* The verdict options and --max-addresses. */
static int
verdict_option(cli_options *o, int c, const char *arg, char *err, size_t errlen)
{
	long v;

	switch (c) {
	case 'w':
	case 'c':
		if (cli_parse_days_threshold(arg,
		        c == 'w' ? &o->probe.expiry.warn_days :
		                   &o->probe.expiry.crit_days) == 0)
			return 1;
		snprintf(err, errlen, "invalid %s threshold \"%s\" (use DAYS:)",
		    c == 'w' ? "warning" : "critical", arg);
		return -1;
	case CLI_OPT_REQUIRE_DANE:
		o->probe.require_dane = true;
		return 1;
	case CLI_OPT_NO_ROLLOVER_WARNING:
		o->probe.no_rollover_warning = true;
		return 1;
	case CLI_OPT_MAX_ADDRESSES:
		/* 0: no cap (every address of up to 128 MX hosts) */
		if (parse_long(arg, 0, 100000, &v) == 0) {
			o->probe.max_addresses = (unsigned)v;
			return 1;
		}
		snprintf(err, errlen,
		    "invalid --max-addresses \"%s\" (0 for "
		    "no limit)",
		    arg);
		return -1;
	default:
		return 0;
	}
}

int
cli_probe_option(
    cli_options *o, int c, const char *arg, char *err, size_t errlen)
{
	int rc = cli_net_option(&o->net, c, arg, err, errlen);

	if (rc != 0)
		return rc;
	if (c != 'w' && c != 'c' &&
	    (c < CLI_OPT_REQUIRE_DANE || c >= CLI_OPT_FREE))
		return 0;
	/* A value given twice would quietly lose one of them. */
	if ((c == 'w' || c == 'c' || c == CLI_OPT_MAX_ADDRESSES) &&
	    cli_seen_once(&o->seen, probe_options, c, err, errlen) != 0)
		return -1;
	return verdict_option(o, c, arg, err, errlen);
}
