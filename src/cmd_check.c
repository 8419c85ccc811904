/*
 * cmd_check.c -- `daneprobe check`: audit the inbound-mail DANE of domains.
 *
 * Domains come from the command line and from list files (-f); output goes
 * to standard output or, with --output, atomically replaces a file (the
 * way node_exporter's textfile collector needs it).
 *
 * Exit status: the worst verdict over all domains, in Nagios numbering
 * (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); 3 also for bad usage and when
 * the output cannot be written.
 */
#include "config.h"

#include <getopt.h>
#include <stdarg.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_common.h"
#include "commands.h"
#include "domain_list.h"
#include "log.h"
#include "output_file.h"
#include "report_json.h"
#include "report_nagios.h"
#include "report_prometheus.h"
#include "report_text.h"

enum format { FORMAT_TEXT, FORMAT_JSON, FORMAT_JSONL, FORMAT_NAGIOS,
    FORMAT_PROMETHEUS };
enum { OPT_RESOLVER = 256, OPT_ANCHOR, OPT_REQUIRE_DANE, OPT_HELO,
    OPT_FORMAT, OPT_DEBUG };

/* Version of the JSON document layout (contrib/json/daneprobe.schema.json). */
#define JSON_SCHEMA_VERSION 1

/* What one invocation asked for, beyond the probe options. */
typedef struct check_args {
	enum format format;
	const char *output;      /* --output FILE, or NULL for stdout */
	domain_list domains;
	int verbose;
} check_args;

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
	{ "output", required_argument, NULL, 'o' },
	{ "domain-file", required_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

void
cmd_check_usage(FILE *out)
{
	fprintf(out,
"Usage: daneprobe check [options] [-f FILE]... [DOMAIN...]\n"
"\n"
"check: audit the inbound-mail DANE (RFC 7672) of each DOMAIN: MX, address\n"
"and TLSA lookups with DNSSEC validation, then SMTP + STARTTLS + DANE\n"
"authentication on every address of every MX host.\n"
"\n"
"  -t, --timeout SECONDS     time limit per domain (default 30)\n"
"  -p, --port PORT           SMTP port (default 25)\n"
"  -4, --ipv4 / -6, --ipv6   IPv4 only / IPv6 only\n"
"  -w, --warning DAYS:       WARNING when a certificate expires within DAYS\n"
"                            (default 20:; only noted for DANE-EE matches)\n"
"  -c, --critical DAYS:      CRITICAL likewise (default 7:)\n"
"      --resolver ADDR[@PORT] stub mode through this resolver (getdns still\n"
"                            validates); default: full recursion\n"
"      --trust-anchor FILE   DNSSEC trust anchor (default %s)\n"
"      --require-dane        no DANE is CRITICAL instead of WARNING\n"
"      --helo NAME           EHLO name (default: this host's FQDN)\n"
"      --format FORMAT       text (default), json, jsonl, nagios, prometheus\n"
"  -o, --output FILE         write the output to FILE atomically (temporary\n"
"                            file in the same directory, then rename; mode 0644)\n"
"  -f, --domain-file FILE    also probe the domains listed in FILE (\"-\": stdin):\n"
"                            one per line, '#' comments; may be repeated\n"
"  -v, --verbose / --debug   diagnostics on stderr\n"
"  -h, --help                this help\n"
"\n"
"Exit status: worst verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN/usage\n"
"or output not written.\n",
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
	    "nagios", "prometheus" };

	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*f = (enum format)i;
			return 0;
		}
	return -1;
}

/* jansson's default %.17g shows binary noise ("0.75865499999999997"). */
#define JSON_FLAGS_REAL JSON_REAL_PRECISION(9)

static int
emit_json(FILE *out, probe_domain *const *res, size_t n,
    const report_run *run)
{
	json_t *all = json_array(), *doc;
	int rc;

	for (size_t i = 0; all != NULL && i < n; i++)
		if (json_array_append_new(all, report_json_domain(res[i])) != 0)
			break;
	doc = json_pack("{s:s, s:i, s:I, s:f, s:o*}", "daneprobe",
	    PACKAGE_VERSION, "schema_version", JSON_SCHEMA_VERSION,
	    "finished", (json_int_t)run->finished, "duration_seconds",
	    run->seconds, "domains", all);
	if (doc == NULL || json_array_size(all) != n)
		rc = -1;
	else
		rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_FLAGS_REAL);
	json_decref(doc);
	if (rc == 0)
		fputc('\n', out);
	return rc;
}

static int
emit_jsonl(FILE *out, probe_domain *const *res, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		json_t *j = report_json_domain(res[i]);
		int rc = j ? json_dumpf(j, out, JSON_COMPACT | JSON_FLAGS_REAL)
		    : -1;

		json_decref(j);
		if (rc != 0)
			return -1;
		fputc('\n', out);
	}
	return 0;
}

static int
emit(FILE *out, const check_args *a, probe_domain *const *res, size_t n,
    const cli_options *o, const report_run *run)
{
	switch (a->format) {
	case FORMAT_TEXT:
		for (size_t i = 0; i < n; i++)
			report_text_domain(out, res[i]);
		break;
	case FORMAT_NAGIOS:
		for (size_t i = 0; i < n; i++)
			report_nagios(out, res[i], &o->probe.expiry);
		break;
	case FORMAT_JSONL:
		if (emit_jsonl(out, res, n) != 0)
			return -1;
		break;
	case FORMAT_JSON:
		if (emit_json(out, res, n, run) != 0)
			return -1;
		break;
	case FORMAT_PROMETHEUS:
		report_prometheus(out, (const probe_domain *const *)res, n,
		    run);
		break;
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

/* Renders into memory, then replaces the file in one step: a reader never
 * sees half a report, and a failed run leaves the previous one. */
static int
emit_to_file(const check_args *a, probe_domain *const *res, size_t n,
    const cli_options *o, const report_run *run)
{
	char *buf = NULL, err[600];
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int rc;

	if (mem == NULL) {
		fprintf(stderr, "daneprobe: out of memory\n");
		return -1;
	}
	rc = emit(mem, a, res, n, o, run);
	if (fclose(mem) != 0 || rc != 0) {
		fprintf(stderr, "daneprobe: cannot format the output\n");
		free(buf);
		return -1;
	}
	rc = output_file_write(a->output, buf, len, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "daneprobe: %s\n", err);
	free(buf);
	return rc;
}

/* Parses options into o and a; returns -1 to go on, or an exit status. */
static int
parse_options(int argc, char **argv, cli_options *o, check_args *a)
{
	char err[512];
	size_t n_bad = 0;
	int c;
	long v;

	optind = 1;
	while ((c = getopt_long(argc, argv, "t:p:46w:c:o:f:vh", check_options,
	    NULL)) != -1) {
		switch (c) {
		case 't':
			if (cli_parse_seconds(optarg, &o->probe.timeout) != 0)
				return usage_error("invalid timeout \"%s\"", optarg);
			break;
		case 'p':
			if (cli_parse_long(optarg, 1, 65535, &v) != 0)
				return usage_error("invalid port \"%s\"", optarg);
			o->probe.port = (int)v;
			break;
		case '4':
			o->probe.use_ipv4 = true;
			o->probe.use_ipv6 = false;
			break;
		case '6':
			o->probe.use_ipv4 = false;
			o->probe.use_ipv6 = true;
			break;
		case 'w':
			if (cli_parse_days_threshold(optarg,
			    &o->probe.expiry.warn_days) != 0)
				return usage_error("invalid -w \"%s\"", optarg);
			break;
		case 'c':
			if (cli_parse_days_threshold(optarg,
			    &o->probe.expiry.crit_days) != 0)
				return usage_error("invalid -c \"%s\"", optarg);
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'f':
			/* Bad lines are reported and skipped; an unreadable
			 * file is an error. */
			if (domain_list_load(&a->domains, optarg, stderr, &n_bad,
			    err, sizeof(err)) != 0) {
				fprintf(stderr, "daneprobe: %s\n", err);
				return EXIT_USAGE;
			}
			break;
		case OPT_RESOLVER:
			o->dns.resolver = optarg;
			break;
		case OPT_ANCHOR:
			o->dns.trust_anchor_file = optarg;
			break;
		case OPT_REQUIRE_DANE:
			o->probe.require_dane = true;
			break;
		case OPT_HELO:
			o->probe.helo_name = optarg;
			break;
		case OPT_FORMAT:
			if (parse_format(optarg, &a->format) != 0)
				return usage_error("unknown format \"%s\"", optarg);
			break;
		case 'v':
			a->verbose = a->verbose < 1 ? 1 : a->verbose;
			break;
		case OPT_DEBUG:
			a->verbose = 2;
			break;
		case 'h':
			cmd_check_usage(stdout);
			return 0;
		default:
			return usage_error("%s", "invalid option");
		}
	}
	/* Unlike list files, a bad name typed on the command line is a
	 * usage error: the operator is right there to fix it. */
	for (int i = optind; i < argc; i++)
		if (domain_list_add(&a->domains, argv[i], err, sizeof(err)) < 0) {
			fprintf(stderr, "daneprobe: %s\n", err);
			return EXIT_USAGE;
		}
	if (a->domains.n == 0)
		return usage_error("%s", "no domain given");
	if (a->output != NULL && output_file_check(a->output, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "daneprobe: --output %s\n", err);
		return EXIT_USAGE;
	}
	return -1;
}

static double
monotonic_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
cmd_check(int argc, char **argv)
{
	cli_options o;
	check_args a = { .format = FORMAT_TEXT };
	probe_domain **res = NULL;
	report_run run;
	char err[512];
	int status;
	double t0;

	cli_options_init(&o);
	domain_list_init(&a.domains);
	if ((status = parse_options(argc, argv, &o, &a)) >= 0)
		goto out;
	status = 0;
	log_set_level(a.verbose >= 2 ? LOG_LEVEL_DEBUG : a.verbose ?
	    LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	cli_options_finish(&o);

	size_t n = a.domains.n;

	if ((res = calloc(n, sizeof(*res))) == NULL) {
		fprintf(stderr, "daneprobe: out of memory\n");
		status = EXIT_USAGE;
		goto out;
	}
	t0 = monotonic_seconds();
	if (cli_run_probes(&o, a.domains.names, n, res, err, sizeof(err)) != 0) {
		fprintf(stderr, "daneprobe: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	run.seconds = monotonic_seconds() - t0;
	run.finished = time(NULL);
	for (size_t i = 0; i < n; i++)
		status = probe_severity_worst((probe_severity)status,
		    res[i]->severity);
	if (a.output != NULL) {
		if (emit_to_file(&a, res, n, &o, &run) != 0)
			status = EXIT_USAGE;
	} else if (emit(stdout, &a, res, n, &o, &run) != 0) {
		fprintf(stderr, "daneprobe: cannot write output\n");
		status = EXIT_USAGE;
	}
out:
	for (size_t i = 0; res && i < a.domains.n; i++)
		probe_domain_free(res[i]);
	free(res);
	domain_list_free(&a.domains);
	return status;
}
