/*
 * check_dane_smtp -- Nagios/Icinga plugin: is the domain's inbound mail
 * DANE-authenticated on every address of every MX host (RFC 7672)?
 *
 * Exit codes follow the Monitoring Plugins guidelines: 0 OK, 1 WARNING,
 * 2 CRITICAL, 3 UNKNOWN (bad options, internal errors, resolver problems).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_common.h"
#include "dns/dns_name.h"
#include "util/log.h"
#include "probe/probe_batch.h"
#include "report/report_nagios.h"

static const struct option long_options[] = {
	{ "hostname", required_argument, NULL, 'H' },
	CLI_PROBE_LONG_OPTIONS,
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: check_dane_smtp -H DOMAIN [-t SECONDS] [-p PORT] [-4|-6]\n"
	    "       [-w DAYS:] [-c DAYS:] [--resolver ADDR[@PORT]] [--trust-anchor FILE]\n"
	    "       [--root-hints FILE] [--require-dane] [--no-rollover-warning]\n"
	    "       [--helo NAME] [--max-addresses N] [-v] [-V] [-h]\n"
	    "\n"
	    "Checks that every address of every MX host of DOMAIN authenticates with\n"
	    "DANE (RFC 7672): DNSSEC-validated MX, address and TLSA records, STARTTLS,\n"
	    "and a TLS certificate that matches the TLSA records.\n"
	    "\n"
	    "  -H, --hostname DOMAIN   mail domain to check (its MX hosts are probed);\n"
	    "                          bücher.example is checked as xn--bcher-kva.example\n"
	    "  -t, --timeout SECONDS   overall time limit (default 30)\n"
	    "  -p, --port PORT         SMTP port (default 25)\n"
	    "  -4, --ipv4              probe IPv4 addresses only\n"
	    "  -6, --ipv6              probe IPv6 addresses only (without -4/-6, addresses\n"
	    "                          of a family this host has no route for are listed\n"
	    "                          as not probed and do not count)\n"
	    "  -w, --warning DAYS:     WARNING when a certificate expires within DAYS\n"
	    "                          (default 20:; only noted for DANE-EE matches)\n"
	    "  -c, --critical DAYS:    CRITICAL likewise (default 7:)\n"
	    "      --resolver ADDR     validate through this upstream in stub mode\n"
	    "                          (getdns still validates DNSSEC itself)\n"
	    "      --trust-anchor FILE DNSSEC trust anchor (default %s)\n"
	    "      --root-hints FILE   recursive mode: start at these root servers\n"
	    "      --require-dane      no DANE at all is CRITICAL instead of WARNING\n"
	    "      --no-rollover-warning  a TLSA RRset that breaks at the next renewal\n"
	    "                          (breaks-at-renewal) is a note, not a WARNING\n"
	    "      --helo NAME         EHLO name: a host name or [ADDRESS] (default: this\n"
	    "                          host's FQDN)\n"
	    "      --max-addresses N   MX addresses probed, in preference order\n"
	    "                          (default 32; 0: no limit); the rest WARNING\n"
	    "  -v, --verbose           diagnostics on stderr (twice: SMTP/DNS debug)\n"
	    "  -V, --version           print version\n"
	    "  -h, --help              this help\n"
	    "\n"
	    "States: OK all addresses DANE-verified; WARNING DANE not applicable, only\n"
	    "unusable TLSA records, certificate expiry within -w, or breaks-at-renewal:\n"
	    "only certificate-bound TLSA records (x 0 x) match, which stop matching at\n"
	    "the next renewal (--no-rollover-warning turns this off); CRITICAL any DANE\n"
	    "failure (no match, bogus/SERVFAIL TLSA, no STARTTLS where TLSA exists,\n"
	    "unreachable or timed-out address); UNKNOWN bad options, resolver problems,\n"
	    "or no MX address reachable from this host (e.g. IPv6-only MX, no IPv6 here).\n",
	    DEFAULT_TRUST_ANCHOR);
}

/* The one line a bad command line gets (Monitoring Plugins' usage4()). */
static const cli_usage usage_hint = { NULL,
	"Usage: check_dane_smtp -H DOMAIN [options] (check_dane_smtp --help lists "
	"them)" };

static int unknown(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Bad options and setup failures: one UNKNOWN status line on stdout. */
static int
unknown(const char *fmt, ...)
{
	va_list ap;

	printf("DANE-SMTP UNKNOWN - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	return SEVERITY_UNKNOWN;
}

/* A bad command line: the UNKNOWN line naming what was wrong, then how
 * the command line goes. */
static int
bad_usage(const char *why)
{
	return cli_usage_error(&usage_hint, "%s", why);
}

/* The run's one domain, handed to probe_batch once, and what came back.
 * res is owned here once the probe finished. */
typedef struct plugin_run {
	const char *domain;
	probe_domain *res;
	char not_started[512]; /* why the probe could not start, or "" */
} plugin_run;

static const char *
next_domain(void *arg)
{
	plugin_run *r = arg;
	const char *d = r->domain;

	r->domain = NULL;
	return d;
}

static void
on_result(probe_domain *d, void *arg)
{
	plugin_run *r = arg;

	r->res = d;
}

static void
on_not_started(const char *domain, const char *reason, void *arg)
{
	plugin_run *r = arg;

	(void)domain; /* the reason names it */
	snprintf(r->not_started, sizeof(r->not_started), "%s", reason);
}

/* Probes one domain.  Returns 0 with *res set (caller frees it), or -1
 * with a reason.  No SIGINT/SIGTERM handling: a killed plugin is simply
 * gone, as the monitoring core expects. */
static int
probe_one(const cli_options *o, const char *domain, probe_domain **res,
    char *err, size_t errlen)
{
	plugin_run r = { .domain = domain };
	probe_batch_params bp = {
		.concurrency = 1,
		.next = next_domain,
		.result = on_result,
		.not_started = on_not_started,
		.arg = &r,
	};
	probe_batch_summary sum;

	*res = NULL;
	if (probe_batch_run(&o->probe, &o->net.dns, &bp, &sum, err, errlen) !=
	    0)
		return -1;
	if (r.res == NULL) {
		snprintf(err, errlen, "%s",
		    r.not_started[0] ? r.not_started :
		                       "internal error: no result");
		return -1;
	}
	*res = r.res;
	return 0;
}

/* Parses the command line into o and *host; returns -1 to go on, or the
 * exit status. */
static int
parse_options(
    int argc, char **argv, cli_options *o, const char **host, int *verbose)
{
	char err[512];
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":H:" CLI_PROBE_SHORT_OPTIONS "vVh",
	            long_options, NULL)) != -1) {
		switch (cli_probe_option(o, c, optarg, err, sizeof(err))) {
		case 1:
			continue;
		case -1:
			return bad_usage(err);
		}
		switch (c) {
		case 'H':
			if (cli_seen_once(&o->seen, long_options, c, err,
			        sizeof(err)) != 0)
				return bad_usage(err);
			*host = optarg;
			break;
		case 'v':
			(*verbose)++;
			break;
		case 'V':
			printf("check_dane_smtp (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			return SEVERITY_OK;
		case 'h':
			usage(stdout);
			return SEVERITY_OK;
		default:
			cli_bad_option(argv, long_options, c, err, sizeof(err));
			return bad_usage(err);
		}
	}
	if (optind < argc) {
		snprintf(err, sizeof(err),
		    "unexpected argument \"%s\" (the "
		    "domain goes after -H)",
		    argv[optind]);
		return bad_usage(err);
	}
	if (*host == NULL)
		return bad_usage("no domain given (-H DOMAIN)");
	return -1;
}

int
main(int argc, char **argv)
{
	cli_options o;
	char domain[256], err[512];
	const char *host = NULL;
	probe_domain *res = NULL;
	int verbose = 0, status;

	/* A server that resets mid-write must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	cli_options_init(&o);
	if ((status = parse_options(argc, argv, &o, &host, &verbose)) >= 0)
		return status;
	if (dns_name_parse(host, domain, sizeof(domain), err, sizeof(err)) != 0)
		return bad_usage(err);
	log_set_level(verbose >= 2 ? LOG_LEVEL_DEBUG :
	        verbose            ? LOG_LEVEL_INFO :
	                             LOG_LEVEL_ERROR);
	cli_options_finish(&o);

	if (probe_one(&o, domain, &res, err, sizeof(err)) != 0)
		return unknown("%s", err);
	report_nagios(stdout, res, &o.probe.expiry);
	status = (int)res->severity;
	probe_domain_free(res);
	return status;
}
