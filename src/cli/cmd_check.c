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

#include <errno.h>
#include <getopt.h>
#include <unistd.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/check_resume.h"
#include "cli/cli_common.h"
#include "cli/commands.h"
#include "cli/domain_list.h"
#include "util/log.h"
#include "util/output_file.h"
#include "util/parse.h"
#include "probe/probe_batch.h"
#include "report/report_json.h"
#include "report/report_nagios.h"
#include "report/report_prometheus.h"
#include "report/report_text.h"

enum format {
	FORMAT_TEXT,
	FORMAT_JSON,
	FORMAT_JSONL,
	FORMAT_NAGIOS,
	FORMAT_PROMETHEUS
};
enum {
	OPT_FORMAT = CLI_OPT_FREE,
	OPT_DEBUG,
	OPT_CONCURRENCY,
	OPT_PER_HOST,
	OPT_PROGRESS,
	OPT_RESUME,
	OPT_SURVEY
};

/* 128 + SIGINT, as shells report an interrupted command. */
enum { EXIT_INTERRUPTED = 130 };

/* Version of the JSON document layout (contrib/json/daneprobe.schema.json). */
#define JSON_SCHEMA_VERSION 1

/* What one invocation asked for, beyond the probe options. */
typedef struct check_args {
	enum format format;
	const char *output; /* --output FILE, or NULL for stdout */
	const char *resume; /* --resume FILE, or NULL */
	domain_list domains;
	int verbose;
	unsigned concurrency; /* --concurrency: domains in flight */
	bool quiet;           /* no progress line, no summary */
	bool progress;        /* --progress: even when stderr is no tty */
	size_t n_bad;         /* bad lines skipped in list files */
	cli_seen seen;        /* value options given so far */
} check_args;

static const struct option check_options[] = {
	CLI_PROBE_LONG_OPTIONS,
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "output", required_argument, NULL, 'o' },
	{ "domain-file", required_argument, NULL, 'f' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "per-host", required_argument, NULL, OPT_PER_HOST },
	{ "quiet", no_argument, NULL, 'q' },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "resume", required_argument, NULL, OPT_RESUME },
	{ "survey", no_argument, NULL, OPT_SURVEY },
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
	    "authentication on every address of every MX host.  Internationalized\n"
	    "names are checked as A-labels (bücher.example: xn--bcher-kva.example).\n"
	    "\n"
	    "  -t, --timeout SECONDS     time limit per domain (default 30)\n"
	    "  -p, --port PORT           SMTP port (default 25)\n"
	    "  -4, --ipv4 / -6, --ipv6   IPv4 only / IPv6 only; without them, addresses\n"
	    "                            of a family this host has no route for are\n"
	    "                            listed as not probed and do not count\n"
	    "  -w, --warning DAYS:       WARNING when a certificate expires within DAYS\n"
	    "                            (default 20:; only noted for DANE-EE matches)\n"
	    "  -c, --critical DAYS:      CRITICAL likewise (default 7:)\n"
	    "      --resolver ADDR[@PORT] stub mode through this resolver (getdns still\n"
	    "                            validates); default: full recursion\n"
	    "      --trust-anchor FILE   DNSSEC trust anchor (default %s)\n"
	    "      --root-hints FILE     recursive mode: start at these root servers\n"
	    "      --require-dane        no DANE is CRITICAL instead of WARNING\n"
	    "      --no-rollover-warning  a TLSA RRset that breaks at the next renewal\n"
	    "                            (only x 0 x records match) is a note, not WARNING\n"
	    "      --helo NAME           EHLO name: a host name or an address literal\n"
	    "                            [192.0.2.1] (default: this host's FQDN)\n"
	    "      --max-addresses N     MX addresses probed per domain, in preference\n"
	    "                            order (default 32; 0: no limit); the rest are\n"
	    "                            reported as not probed (WARNING)\n"
	    "      --format FORMAT       text (default), json, jsonl, nagios, prometheus\n"
	    "  -o, --output FILE         write the output to FILE atomically (temporary\n"
	    "                            file in the same directory, then rename; mode 0644)\n"
	    "      --resume FILE         --format jsonl: append to FILE (created if\n"
	    "                            missing) instead of stdout, skipping domains\n"
	    "                            FILE already has; the summary covers FILE\n"
	    "      --survey              no SMTP to MX hosts where DANE does not apply,\n"
	    "                            one TLS session per address (see the man page\n"
	    "                            for what it does not see)\n"
	    "  -f, --domain-file FILE    also probe the domains listed in FILE (\"-\": stdin):\n"
	    "                            one per line, '#' comments; may be repeated\n"
	    "      --concurrency N       domains probed at once (default 64); every MX\n"
	    "                            host is probed once per run and shared\n"
	    "      --per-host N          connections to one MX address at once (default 2)\n"
	    "  -q, --quiet               no progress line and no summary on stderr\n"
	    "      --progress            progress line even when stderr is not a terminal\n"
	    "  -v, --verbose / --debug   diagnostics on stderr\n"
	    "  -h, --help                this help\n"
	    "\n"
	    "With several domains, results of text, nagios and jsonl output stream as\n"
	    "they complete (jsonl: one object per line) and a summary goes to stderr.\n"
	    "\n"
	    "Exit status: worst verdict: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (an\n"
	    "--output file is written), bad usage or output not written (an error on\n"
	    "stderr says so); 130 interrupted (SIGINT/SIGTERM: finished results are\n"
	    "written, an --output file is left as it was).\n",
	    DEFAULT_TRUST_ANCHOR);
}

#define CHECK_USAGE \
	"Usage: daneprobe check [options] [-f FILE]... " \
	"[DOMAIN...] (daneprobe check --help lists the options)"
static const cli_usage check_usage = { "daneprobe check", CHECK_USAGE };
#define usage_error(...) cli_usage_error(&check_usage, __VA_ARGS__)

static int
parse_format(const char *s, enum format *f)
{
	static const char *const names[] = { "text", "json", "jsonl", "nagios",
		"prometheus" };

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
emit_json(FILE *out, probe_domain *const *res, size_t n, const report_run *run)
{
	json_t *all = json_array(), *doc;
	int rc;

	for (size_t i = 0; all != NULL && i < n; i++)
		if (json_array_append_new(all, report_json_domain(res[i])) != 0)
			break;
	doc = json_pack("{s:s, s:i, s:I, s:f, s:o*}", "daneprobe",
	    PACKAGE_VERSION, "schema_version", JSON_SCHEMA_VERSION, "finished",
	    (json_int_t)run->finished, "duration_seconds", run->seconds,
	    "domains", all);
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
		int rc =
		    j ? json_dumpf(j, out, JSON_COMPACT | JSON_FLAGS_REAL) : -1;

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
		report_prometheus(
		    out, (const probe_domain *const *)res, n, run);
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

/* Options that take a value once (-f may be repeated). */
static int
once(check_args *a, int c, char *err, size_t errlen)
{
	if (c == 'o' || c == OPT_FORMAT || c == OPT_CONCURRENCY ||
	    c == OPT_PER_HOST || c == OPT_RESUME)
		return cli_seen_once(&a->seen, check_options, c, err, errlen);
	return 0;
}

/* One check option (not a probe option); returns -1 to go on, or an exit
 * status. */
static int
parse_one(int c, char **argv, cli_options *o, check_args *a)
{
	char err[512];
	long v;

	if (once(a, c, err, sizeof(err)) != 0)
		return usage_error("%s", err);
	switch (c) {
	case 'o':
		a->output = optarg;
		break;
	case 'f':
		/* Bad lines are reported and skipped; an unreadable file is
		 * an error. */
		if (domain_list_load(&a->domains, optarg, stderr, &a->n_bad,
		        err, sizeof(err)) != 0) {
			fprintf(stderr, "daneprobe: %s\n", err);
			return EXIT_USAGE;
		}
		break;
	case OPT_RESUME:
		a->resume = optarg;
		break;
	case OPT_SURVEY:
		o->probe.survey = true;
		break;
	case OPT_FORMAT:
		if (parse_format(optarg, &a->format) != 0)
			return usage_error("unknown format \"%s\" (text, json, "
			                   "jsonl, nagios, prometheus)",
			    optarg);
		break;
	case 'v':
		a->verbose = a->verbose < 1 ? 1 : a->verbose;
		break;
	case OPT_CONCURRENCY:
		if (parse_long(optarg, 1, 100000, &v) != 0)
			return usage_error(
			    "invalid --concurrency \"%s\"", optarg);
		a->concurrency = (unsigned)v;
		break;
	case OPT_PER_HOST:
		if (parse_long(optarg, 1, 1000, &v) != 0)
			return usage_error("invalid --per-host \"%s\"", optarg);
		o->probe.per_host = (unsigned)v;
		break;
	case 'q':
		a->quiet = true;
		break;
	case OPT_PROGRESS:
		a->progress = true;
		break;
	case OPT_DEBUG:
		a->verbose = 2;
		break;
	case 'h':
		cmd_check_usage(stdout);
		return 0;
	default:
		cli_bad_option(argv, check_options, c, err, sizeof(err));
		return usage_error("%s", err);
	}
	return -1;
}

/* Parses options into o and a; returns -1 to go on, or an exit status. */
static int
parse_options(int argc, char **argv, cli_options *o, check_args *a)
{
	char err[512];
	int c, rc;

	optind = 1;
	opterr = 0;
	while (
	    (c = getopt_long(argc, argv, ":" CLI_PROBE_SHORT_OPTIONS "o:f:vqh",
	         check_options, NULL)) != -1) {
		switch (cli_probe_option(o, c, optarg, err, sizeof(err))) {
		case 1:
			continue;
		case -1:
			return usage_error("%s", err);
		}
		if ((rc = parse_one(c, argv, o, a)) >= 0)
			return rc;
	}
	if (a->quiet && a->progress)
		return usage_error("%s",
		    "-q/--quiet and --progress contradict "
		    "each other");
	/* Unlike list files, a bad name typed on the command line is a
	 * usage error: the operator is right there to fix it. */
	for (int i = optind; i < argc; i++)
		if (domain_list_add(&a->domains, argv[i], err, sizeof(err)) < 0)
			return usage_error("%s", err);
	if (a->domains.n == 0)
		return usage_error("%s", "no domain given");
	if (a->resume != NULL &&
	    (a->format != FORMAT_JSONL || a->output != NULL))
		return usage_error("%s",
		    "--resume needs --format jsonl and "
		    "no --output (it appends to its own file)");
	if (a->output != NULL &&
	    output_file_check(a->output, err, sizeof(err)) != 0) {
		fprintf(stderr, "daneprobe: --output %s\n", err);
		return EXIT_USAGE;
	}
	return -1;
}

/* One run: the domains to hand out, and where finished results go. */
typedef struct check_run {
	const check_args *a;
	const cli_options *o;
	size_t next;          /* next domain to hand out */
	bool stream;          /* write each result as it finishes */
	check_resume *resume; /* --resume: results go there */
	probe_domain **res;   /* collected results (input order) */
	size_t n_res;
	int status; /* worst verdict so far */
	bool write_failed;
	size_t n_probe_error;  /* domains cut off by a local outage */
	char probe_error[512]; /* the first one's summary */
} check_run;

static const char *
next_domain(void *arg)
{
	check_run *r = arg;

	while (r->resume != NULL && r->next < r->a->domains.n &&
	    check_resume_done(r->resume, r->next))
		r->next++;
	return r->next < r->a->domains.n ? r->a->domains.names[r->next++] :
	                                   NULL;
}

/* Streams or keeps one result.  Streaming frees it at once, so a list of
 * any length runs in bounded memory. */
static void
on_result(probe_domain *d, void *arg)
{
	check_run *r = arg;

	r->status =
	    probe_severity_worst((probe_severity)r->status, d->severity);
	if (d->probe_error && r->n_probe_error++ == 0)
		snprintf(
		    r->probe_error, sizeof(r->probe_error), "%s", d->summary);
	if (!r->stream) {
		r->res[r->n_res++] = d;
		return;
	}
	if (r->resume != NULL) {
		if (check_resume_write(
		        r->resume, d, JSON_COMPACT | JSON_FLAGS_REAL) != 0 &&
		    !r->write_failed) {
			fprintf(stderr,
			    "daneprobe: --resume %s: %s (no more "
			    "records are written)\n",
			    r->a->resume, strerror(errno));
			r->write_failed = true;
		}
		probe_domain_free(d);
		return;
	} else if (r->a->format == FORMAT_JSONL) {
		if (emit_jsonl(stdout, &d, 1) != 0)
			r->write_failed = true;
	} else if (r->a->format == FORMAT_NAGIOS) {
		report_nagios(stdout, d, &r->o->probe.expiry);
	} else {
		report_text_domain(stdout, d);
	}
	if (fflush(stdout) != 0 || ferror(stdout))
		r->write_failed = true;
	probe_domain_free(d);
}

/* Results come in completion order; reports list them as given. */
static int
cmp_by_input(const void *x, const void *y, void *arg)
{
	const domain_list *l = arg;
	const probe_domain *a = *(probe_domain *const *)x;
	const probe_domain *b = *(probe_domain *const *)y;

	return (int)domain_list_index(l, a->domain) -
	    (int)domain_list_index(l, b->domain);
}

static int
write_collected(check_run *r, const probe_batch_summary *sum)
{
	report_run run = { .seconds = sum->seconds, .finished = time(NULL) };

	qsort_r(r->res, r->n_res, sizeof(*r->res), cmp_by_input,
	    (void *)&r->a->domains);
	if (r->a->output != NULL) {
		if (sum->interrupted) {
			fprintf(stderr,
			    "daneprobe: interrupted: %s left as it "
			    "was\n",
			    r->a->output);
			return 0;
		}
		return emit_to_file(r->a, r->res, r->n_res, r->o, &run);
	}
	if (emit(stdout, r->a, r->res, r->n_res, r->o, &run) != 0) {
		fprintf(stderr, "daneprobe: cannot write output\n");
		return -1;
	}
	return 0;
}

/* --resume: finds what FILE already has; 0, or -1 after saying why. */
static int
resume_open(check_run *r)
{
	char err[600];

	if (r->a->resume == NULL)
		return 0;
	if (check_resume_open(r->a->resume, &r->a->domains, stderr, &r->resume,
	        err, sizeof(err)) != 0) {
		fprintf(stderr, "daneprobe: --resume %s\n", err);
		return -1;
	}
	return 0;
}

/* --resume: the verdict and the summary cover the whole file; flushes it
 * to disk.  Returns 0, or -1 when the file could not be flushed. */
static int
resume_close(check_run *r, probe_batch_summary *sum)
{
	char err[600];
	size_t n_now;
	int rc;

	if (r->resume == NULL)
		return 0;
	n_now = sum->total;
	check_resume_add_earlier(r->resume, sum);
	r->status = probe_severity_worst(
	    (probe_severity)r->status, check_resume_earlier_worst(r->resume));
	if (!r->a->quiet)
		fprintf(stderr,
		    "daneprobe: --resume %s: the summary covers "
		    "the whole file: %zu record(s) from earlier runs, %zu from "
		    "this one (%.2f s CPU)\n",
		    r->a->resume, check_resume_n_records(r->resume), n_now,
		    sum->cpu_seconds);
	/* Per-domain CPU over the whole file would be meaningless. */
	if (check_resume_n_records(r->resume) > 0)
		sum->cpu_seconds = -1;
	rc = check_resume_close(r->resume, err, sizeof(err));
	r->resume = NULL;
	if (rc != 0)
		fprintf(stderr, "daneprobe: --resume %s\n", err);
	return rc;
}

int
cmd_check(int argc, char **argv)
{
	cli_options o;
	check_args a = { .format = FORMAT_TEXT };
	check_run r = { .a = &a, .o = &o };
	probe_batch_summary sum;
	probe_batch_params bp;
	char err[512];
	int status;

	cli_options_init(&o);
	domain_list_init(&a.domains);
	if ((status = parse_options(argc, argv, &o, &a)) >= 0)
		goto out;
	log_set_level(a.verbose >= 2 ? LOG_LEVEL_DEBUG :
	        a.verbose            ? LOG_LEVEL_INFO :
	                               LOG_LEVEL_WARN);
	cli_options_finish(&o);
	r.stream = a.output == NULL &&
	    (a.format == FORMAT_TEXT || a.format == FORMAT_NAGIOS ||
	        a.format == FORMAT_JSONL);
	if (!r.stream &&
	    (r.res = calloc(a.domains.n, sizeof(*r.res))) == NULL) {
		fprintf(stderr, "daneprobe: out of memory\n");
		status = EXIT_USAGE;
		goto out;
	}
	if (resume_open(&r) != 0) {
		status = EXIT_USAGE;
		goto out;
	}
	memset(&bp, 0, sizeof(bp));
	bp.concurrency = a.concurrency;
	bp.progress = !a.quiet &&
	    (a.progress || (a.domains.n > 1 && isatty(STDERR_FILENO)));
	bp.stop_on_signal = true;
	bp.expected_total =
	    a.domains.n - (r.resume ? check_resume_n_done(r.resume) : 0);
	bp.next = next_domain;
	bp.result = on_result;
	bp.arg = &r;
	if (probe_batch_run(
	        &o.probe, &o.net.dns, &bp, &sum, err, sizeof(err)) != 0) {
		fprintf(stderr, "daneprobe: %s\n", err);
		status = EXIT_USAGE;
		goto out;
	}
	if (resume_close(&r, &sum) != 0)
		r.write_failed = true;
	status = r.status;
	if ((!r.stream && write_collected(&r, &sum) != 0) || r.write_failed)
		status = EXIT_USAGE;
	if (!a.quiet && (a.domains.n > 1 || sum.interrupted))
		probe_batch_print_summary(stderr, &sum);
	/* Machine formats carry it too, but the operator must see it. */
	if (r.n_probe_error > 0 &&
	    (a.format != FORMAT_TEXT && a.format != FORMAT_NAGIOS))
		fprintf(stderr, "daneprobe: %zu domain(s) not checked: %s\n",
		    r.n_probe_error, r.probe_error);
	if (sum.interrupted)
		status = EXIT_INTERRUPTED;
out:
	check_resume_close(r.resume, NULL, 0);
	for (size_t i = 0; i < r.n_res; i++)
		probe_domain_free(r.res[i]);
	free(r.res);
	domain_list_free(&a.domains);
	return status;
}
