/*
 * cmd_check.c -- `daneprobe check`: audit the inbound-mail DANE of domains.
 *
 * Exit status: the worst verdict over all domains, in Nagios numbering
 * (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); 3 also for bad usage.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "log.h"
#include "report_json.h"
#include "report_nagios.h"
#include "report_text.h"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_JSONL, FORMAT_NAGIOS };
enum { OPT_RESOLVER = 256, OPT_ANCHOR, OPT_REQUIRE_DANE, OPT_HELO,
    OPT_FORMAT, OPT_DEBUG };

static const struct option check_options[] = {
	{ "timeout", required_argument, NULL, 't' },
	{ "port", required_argument, NULL, 'p' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "warning", required_argument, NULL, 'w' },
	{ "critical", required_argument, NULL, 'c' },
	{ "resolver", required_argument, NULL, OPT_RESOLVER },
	{ "trust-anchor", required_argument, NULL, OPT_ANCHOR },
	{ "require-dane", no_argument, NULL, OPT_REQUIRE_DANE },
	{ "helo", required_argument, NULL, OPT_HELO },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void
cmd_check_usage(FILE *out)
{
	fprintf(out,
"Usage: daneprobe check [options] DOMAIN...\n"
"\n"
"check: audit the inbound-mail DANE (RFC 7672) of each DOMAIN: MX, address\n"
"and TLSA lookups with DNSSEC validation, then SMTP + STARTTLS + DANE\n"
"authentication on every address of every MX host.\n"
"\n"
"  -t, --timeout SECONDS     time limit per domain (default 30)\n"
"  -p, --port PORT           SMTP port (default 25)\n"
"  -4 / -6                   IPv4 only / IPv6 only\n"
"  -w / -c DAYS:             certificate expiry thresholds (default 20: 7:)\n"
"      --resolver ADDR[@PORT] stub mode through this resolver (getdns still\n"
"                            validates); default: full recursion\n"
"      --trust-anchor FILE   DNSSEC trust anchor (default %s)\n"
"      --require-dane        no DANE is CRITICAL instead of WARNING\n"
"      --helo NAME           EHLO name (default: this host's FQDN)\n"
"      --format FORMAT       text (default), json, jsonl, nagios\n"
"  -v, --verbose / --debug   diagnostics on stderr\n"
"\n"
"Exit status: worst verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN/usage.\n",
	    DEFAULT_TRUST_ANCHOR);
}

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "daneprobe: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see daneprobe check --help)\n");
	return EXIT_USAGE;
}

static int
parse_format(const char *s, enum format *f)
{
	static const char *const names[] = { "text", "json", "jsonl",
	    "nagios" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*f = (enum format)i;
			return 0;
		}
	return -1;
}

static int
emit(enum format f, probe_domain **res, size_t n, const cli_options *o)
{
	json_t *all = f == FORMAT_JSON ? json_array() : NULL;

	for (size_t i = 0; i < n; i++) {
		json_t *j;

		switch (f) {
		case FORMAT_TEXT:
			report_text_domain(stdout, res[i]);
			break;
		case FORMAT_NAGIOS:
			report_nagios(stdout, res[i], &o->probe.expiry);
			break;
		case FORMAT_JSONL:
			j = report_json_domain(res[i]);
			if (j == NULL || json_dumpf(j, stdout, JSON_COMPACT) != 0)
				return -1;
			fputc('\n', stdout);
			json_decref(j);
			break;
		case FORMAT_JSON:
			json_array_append_new(all, report_json_domain(res[i]));
			break;
		}
	}
	if (all != NULL) {
		json_t *doc = json_pack("{s:s, s:o}", "daneprobe",
		    PACKAGE_VERSION, "domains", all);

		if (doc == NULL || json_dumpf(doc, stdout, JSON_INDENT(2)) != 0)
			return -1;
		fputc('\n', stdout);
		json_decref(doc);
	}
	return fflush(stdout) == 0 ? 0 : -1;
}

int
cmd_check(int argc, char **argv)
{
	cli_options o;
	enum format fmt = FORMAT_TEXT;
	char err[512];
	int c, verbose = 0, status = 0;
	long v;

	cli_options_init(&o);
	optind = 1;
	while ((c = getopt_long(argc, argv, "t:p:46w:c:vh", check_options,
	    NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_seconds(optarg, &o.probe.timeout) != 0)
				return usage_error("invalid timeout \"%s\"", optarg);
			break;
		case 'p':
			if (cli_parse_long(optarg, 1, 65535, &v) != 0)
				return usage_error("invalid port \"%s\"", optarg);
			o.probe.port = (int)v;
			break;
		case '4':
			o.probe.use_ipv4 = true;
			o.probe.use_ipv6 = false;
			break;
		case '6':
			o.probe.use_ipv4 = false;
			o.probe.use_ipv6 = true;
			break;
		case 'w':
			if (cli_parse_days_threshold(optarg,
			    &o.probe.expiry.warn_days) != 0)
				return usage_error("invalid -w \"%s\"", optarg);
			break;
		case 'c':
			if (cli_parse_days_threshold(optarg,
			    &o.probe.expiry.crit_days) != 0)
				return usage_error("invalid -c \"%s\"", optarg);
			break;
		case OPT_RESOLVER:
			o.dns.resolver = optarg;
			break;
		case OPT_ANCHOR:
			o.dns.trust_anchor_file = optarg;
			break;
		case OPT_REQUIRE_DANE:
			o.probe.require_dane = true;
			break;
		case OPT_HELO:
			o.probe.helo_name = optarg;
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &fmt) != 0)
				return usage_error("unknown format \"%s\"", optarg);
			break;
		case 'v':
			verbose = verbose < 1 ? 1 : verbose;
			break;
		case OPT_DEBUG:
			verbose = 2;
			break;
		case 'h':
			cmd_check_usage(stdout);
			return 0;
		default:
			return usage_error("%s", "invalid option");
		}
	}
	if (optind >= argc)
		return usage_error("%s", "no domain given");
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG : verbose ? LOG_LEVEL_INFO
	    : LOG_LEVEL_WARN);
	cli_options_finish(&o);

	size_t n = (size_t)(argc - optind);
	char **domains = calloc(n, sizeof(*domains));
	probe_domain **res = calloc(n, sizeof(*res));

	if (domains == NULL || res == NULL) {
		status = EXIT_USAGE;
		fprintf(stderr, "daneprobe: out of memory\n");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		domains[i] = malloc(256);
		if (domains[i] == NULL || cli_normalize_domain(argv[optind + i],
		    domains[i], 256, err, sizeof(err)) != 0) {
			fprintf(stderr, "daneprobe: %s\n",
			    domains[i] ? err : "out of memory");
			status = EXIT_USAGE;
			goto out;
		}
	}
	if (cli_run_probes(&o, domains, n, res, err, sizeof(err)) != 0) {
		fprintf(stderr, "daneprobe: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		status = probe_severity_worst((probe_severity)status,
		    res[i]->severity);
	if (emit(fmt, res, n, &o) != 0) {
		fprintf(stderr, "daneprobe: cannot write output\n");
		status = EXIT_USAGE;
	}
out:
	for (size_t i = 0; domains && i < n; i++)
		free(domains[i]);
	for (size_t i = 0; res && i < n; i++)
		probe_domain_free(res[i]);
	free(domains);
	free(res);
	return status;
}

