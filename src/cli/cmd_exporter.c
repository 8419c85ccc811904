/*
 * cmd_exporter.c -- `daneprobe exporter`: the options, mapped onto the
 * implicit module "default"; the exporter itself is src/exporter/.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cli/cli_args.h"
#include "cli/cli_net.h"
#include "cli/commands.h"
#include "exporter/exporter.h"
#include "exporter/exporter_http.h"
#include "util/log.h"
#include "util/parse.h"

enum {
	OPT_LISTEN = CLI_NET_OPT_FREE,
	OPT_CONFIG,
	OPT_PER_HOST,
	OPT_REQUIRE_DANE,
	OPT_MIN_INTERVAL,
	OPT_MAX_IN_FLIGHT,
	OPT_MAX_CONNECTIONS,
	OPT_HEADER_TIMEOUT,
	OPT_DEBUG,
};

static const struct option exporter_options_table[] = {
	{ "web.listen-address", required_argument, NULL, OPT_LISTEN },
	{ "config.file", required_argument, NULL, OPT_CONFIG },
	{ "resolver", required_argument, NULL, CLI_OPT_RESOLVER },
	{ "trust-anchor", required_argument, NULL, CLI_OPT_ANCHOR },
	{ "root-hints", required_argument, NULL, CLI_OPT_ROOT_HINTS },
	{ "timeout", required_argument, NULL, 't' },
	{ "helo", required_argument, NULL, CLI_OPT_HELO },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "per-host", required_argument, NULL, OPT_PER_HOST },
	{ "require-dane", no_argument, NULL, OPT_REQUIRE_DANE },
	{ "probe.min-interval", required_argument, NULL, OPT_MIN_INTERVAL },
	{ "probe.max-in-flight", required_argument, NULL, OPT_MAX_IN_FLIGHT },
	{ "web.max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
	{ "web.header-timeout", required_argument, NULL, OPT_HEADER_TIMEOUT },
	CLI_END_LONG_OPTIONS(OPT_DEBUG),
};

static const cli_net_words exporter_words = {
	.timeout_hint = " (seconds, up to 3600)",
	.both_families = "to probe both families",
};

#define EXPORTER_USAGE \
	"Usage: daneprobe exporter [options] (daneprobe exporter --help " \
	"lists them)"
static const cli_usage exporter_usage = { "daneprobe exporter",
	EXPORTER_USAGE };
#define usage_error(...) cli_usage_error(&exporter_usage, __VA_ARGS__)

void
cmd_exporter_usage(FILE *out)
{
	fprintf(out,
	    "Usage: daneprobe exporter [options]\n"
	    "\n"
	    "exporter: a Prometheus exporter in the manner of blackbox_exporter:\n"
	    "GET /probe?target=DOMAIN[&module=NAME] probes DOMAIN and answers with the\n"
	    "daneprobe_* metrics of check --format prometheus, probe_success and\n"
	    "probe_duration_seconds; GET /metrics has the exporter's own metrics.\n"
	    "SIGHUP reloads --config.file; SIGTERM stops.\n"
	    "\n"
	    "      --web.listen-address ADDR:PORT  where to listen (default %s;\n"
	    "                            [::1]:PORT for IPv6, :PORT for every address)\n"
	    "      --config.file FILE    modules in YAML (see daneprobe(1))\n"
	    "      --web.max-connections N  open HTTP connections at most (default 512)\n"
	    "      --web.header-timeout SECONDS  a connection's request headers must\n"
	    "                            be complete this soon (default 5)\n"
	    "      --probe.max-in-flight N  distinct probes at once (default 64); more\n"
	    "                            scrapes get 503\n"
	    "      --probe.min-interval DURATION  serve a result again for this long\n"
	    "                            (default 0s: probe on every scrape)\n"
	    "The defaults of the module \"default\":\n"
	    "  -t, --timeout SECONDS     longest probe (default 30); a scrape's own\n"
	    "                            timeout, less 0.5 s, cuts it shorter\n"
	    "  -4, --ipv4 / -6, --ipv6   IPv4 only / IPv6 only\n"
	    "      --resolver ADDR[@PORT] stub mode through this resolver (getdns still\n"
	    "                            validates); default: full recursion\n"
	    "      --trust-anchor FILE   DNSSEC trust anchor (default %s)\n"
	    "      --root-hints FILE     recursive mode: start at these root servers\n"
	    "      --require-dane        no DANE is CRITICAL instead of WARNING\n"
	    "      --helo NAME           EHLO name (default: this host's FQDN)\n"
	    "      --per-host N          connections to one MX address at once, over\n"
	    "                            all probes (default 2)\n"
	    "  -v, --verbose / --debug   one log line per probe / diagnostics\n"
	    "  -h, --help                this help\n",
	    EXPORTER_DEFAULT_LISTEN, DEFAULT_TRUST_ANCHOR);
}

typedef struct exporter_args {
	exporter_options o;
	cli_net_options net;
	cli_seen seen;
	int verbose;
} exporter_args;

/* One option of the exporter's own; -1 to go on, else an exit status. */
static int
parse_one(exporter_args *a, int c, char **argv)
{
	char err[512];
	long v;
	double d;

	if (c != OPT_REQUIRE_DANE && c != 'v' && c != OPT_DEBUG && c != 'h' &&
	    c != '?' && c != ':' &&
	    cli_seen_once(
	        &a->seen, exporter_options_table, c, err, sizeof(err)) != 0)
		return usage_error("%s", err);
	switch (c) {
	case OPT_LISTEN: {
		char addr[64];
		int port;

		if (exporter_http_parse_listen(optarg, addr, sizeof(addr),
		        &port, err, sizeof(err)) != 0)
			return usage_error("%s", err);
		a->o.listen = optarg;
		break;
	}
	case OPT_CONFIG:
		a->o.config_file = optarg;
		break;
	case OPT_PER_HOST:
		if (parse_long(optarg, 1, 1000, &v) != 0)
			return usage_error("invalid --per-host \"%s\"", optarg);
		a->o.defaults.per_host = (unsigned)v;
		break;
	case OPT_REQUIRE_DANE:
		a->o.defaults.require_dane = true;
		break;
	case OPT_MIN_INTERVAL:
		if (exporter_parse_duration(optarg, &d) != 0 || d > 86400)
			return usage_error(
			    "invalid --probe.min-interval \"%s\" "
			    "(a duration such as 30s or 5m)",
			    optarg);
		a->o.defaults.min_interval = d;
		break;
	case OPT_MAX_IN_FLIGHT:
		if (parse_long(optarg, 1, 100000, &v) != 0)
			return usage_error(
			    "invalid --probe.max-in-flight \"%s\"", optarg);
		a->o.max_in_flight = (unsigned)v;
		break;
	case OPT_MAX_CONNECTIONS:
		if (parse_long(optarg, 1, 100000, &v) != 0)
			return usage_error(
			    "invalid --web.max-connections \"%s\"", optarg);
		a->o.max_connections = (unsigned)v;
		break;
	case OPT_HEADER_TIMEOUT:
		if (parse_long(optarg, 1, 3600, &v) != 0)
			return usage_error(
			    "invalid --web.header-timeout \"%s\"", optarg);
		a->o.header_timeout = (unsigned)v;
		break;
	case 'v':
		a->verbose = a->verbose < 1 ? 1 : a->verbose;
		break;
	case OPT_DEBUG:
		a->verbose = 2;
		break;
	case 'h':
		cmd_exporter_usage(stdout);
		return 0;
	default:
		cli_bad_option(
		    argv, exporter_options_table, c, err, sizeof(err));
		return usage_error("%s", err);
	}
	return -1;
}

static int
parse_options(exporter_args *a, int argc, char **argv)
{
	char err[512];
	int c, rc;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":t:46vh", exporter_options_table,
	            NULL)) != -1) {
		switch (cli_net_option(&a->net, c, optarg, err, sizeof(err))) {
		case 1:
			continue;
		case -1:
			return usage_error("%s", err);
		}
		if ((rc = parse_one(a, c, argv)) >= 0)
			return rc;
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	return -1;
}

/*
 * Every SMTP session and HTTP connection holds a descriptor: raise the
 * soft limit to the hard one and keep sessions below what is left after
 * the HTTP connections, DNS sockets and stdio.
 */
static unsigned
session_budget(unsigned http)
{
	struct rlimit rl;
	rlim_t spare = (rlim_t)http + 128;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return 256;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 65536)
		return 16384;
	return rl.rlim_cur > spare + 64 ? (unsigned)(rl.rlim_cur - spare) : 64;
}

int
cmd_exporter(int argc, char **argv)
{
	exporter_args a;
	exporter_module *m = &a.o.defaults;
	int rc;

	memset(&a, 0, sizeof(a));
	cli_net_init(&a.net, &exporter_words);
	a.o.listen = EXPORTER_DEFAULT_LISTEN;
	a.o.max_in_flight = 64;
	a.o.max_connections = 512;
	a.o.header_timeout = 5;
	m->per_host = 2;
	if ((rc = parse_options(&a, argc, argv)) >= 0)
		return rc;
	/* One line per event, never a partial one, whoever reads stderr. */
	setvbuf(stderr, NULL, _IOLBF, 0);
	log_set_level(a.verbose >= 2 ? LOG_LEVEL_DEBUG :
	        a.verbose            ? LOG_LEVEL_INFO :
	                               LOG_LEVEL_WARN);
	m->name = (char *)"default";
	m->timeout = a.net.timeout;
	m->use_ipv4 = cli_net_wants(&a.net, '4');
	m->use_ipv6 = cli_net_wants(&a.net, '6');
	m->helo = a.net.helo;
	m->resolver = (char *)a.net.dns.resolver;
	m->trust_anchor = (char *)a.net.dns.trust_anchor_file;
	m->root_hints = (char *)a.net.dns.root_hints_file;
	a.o.max_sessions = session_budget(a.o.max_connections);
	return exporter_run(&a.o);
}
