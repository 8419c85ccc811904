/*
 * cmd_rollover.c -- `daneprobe rollover plan|check|status`: change a mail
 * server's key without breaking DANE.
 *
 *   plan    the RRset to publish ahead of a key change (current + next),
 *           and the steps, as zone-file (or nsupdate) lines with comments;
 *   check   does every host's DNSSEC-secure TLSA RRset, as resolved now,
 *           already vouch for the new certificate (or key)?  The gate the
 *           certbot deploy hook runs before installing a renewed key;
 *   status  the rollover analysis of what each host presents now (every
 *           address, each key family) against its TLSA RRset.
 *
 * Exit status (check, status): 0 every host passes; 1 some host fails
 * (check: no matching record, not secure, no TLSA; status: anything less
 * than robust);
 * 2 some lookup or connection failed (SERVFAIL, bogus, timeout: try again);
 * 3 bad usage or input, or no DNS server answered at all (the prober's own
 * outage: nothing was checked).  Never 1 unless the DNS did answer.
 * 130 SIGINT/SIGTERM during the lookups (nothing checked).
 */
#include "config.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "cli/cli_args.h"
#include "cli/cli_common.h"
#include "cli/cli_key.h"
#include "cli/cli_net.h"
#include "cli/commands.h"
#include "dns/dns_name.h"
#include "dns/dns_resolver.h"
#include "policy/dane_roll_gate.h"
#include "policy/dane_rollover.h"
#include "policy/roll_state.h"
#include "probe/probe_batch.h"
#include "probe/probe_rollover.h"
#include "report/report_rollover.h"
#include "report/report_safe.h"
#include "tls/tlsa_gen.h"
#include "util/log.h"
#include "util/parse.h"
#include "util/utc_time.h"
#include "util/va_format.h"

enum { EXIT_FAIL = 1, EXIT_TRY_AGAIN = 2 };
/* 128 + SIGINT, as `daneprobe check` and shells report an interruption. */
enum { EXIT_INTERRUPTED = 130 };
enum { MAX_HOSTS = 64 };

enum {
	OPT_NEXT_KEY = CLI_KEY_OPT_FREE,
	OPT_NEXT_CERT,
	OPT_HOST,
	OPT_TTL,
	OPT_FORMAT,
	OPT_CONNECT,
	OPT_DEBUG
};

static const struct option rollover_options[] = {
	CLI_KEY_LONG_OPTIONS,
	{ "next-key", required_argument, NULL, OPT_NEXT_KEY },
	{ "next-cert", required_argument, NULL, OPT_NEXT_CERT },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	CLI_NET_LONG_OPTIONS,
	CLI_NET_DNS_LONG_OPTIONS,
	CLI_END_LONG_OPTIONS(OPT_DEBUG),
};

static const char plan_usage[] =
    "Usage: daneprobe rollover plan (--cert|--key) CURRENT "
    "(--next-key|--next-cert) NEXT [options] MX-HOST\n";
static const char check_usage[] =
    "Usage: daneprobe rollover check (--cert NEW | --key NEW) [options] "
    "MX-HOST...\n";
static const char status_usage[] =
    "Usage: daneprobe rollover status [options] MX-HOST...\n";

static void
plan_help(FILE *out)
{
	fprintf(out, "%s", plan_usage);
	fprintf(out,
	    "\n"
	    "plan: the TLSA RRset to publish before the change (current + next key)\n"
	    "and the steps, as zone-file or nsupdate lines with comments.\n"
	    "\n"
	    "  --cert FILE / --key FILE   the current certificate or key (\"-\": stdin)\n"
	    "  --next-key FILE / --next-cert FILE   the key to switch to (\"-\": stdin)\n"
	    "  --password-file FILE / --password PASS   for encrypted private keys\n"
	    "                             (ps shows --password until it is read)\n"
	    "  MX-HOST, --host MX-HOST    the owner name _PORT._tcp.MX-HOST.\n"
	    "  -p, --port PORT            SMTP port (default 25)\n"
	    "  --ttl SECONDS              the TLSA RRset's TTL, for the wait\n"
	    "  --format FORMAT            zone (default), nsupdate, json\n"
	    "  -v, --verbose / --debug    diagnostics on stderr\n"
	    "  -h, --help                 this help\n"
	    "\n"
	    "Exit status: 0 plan printed, 1 output error, 3 usage or bad input.\n");
}

/* The options check and status share, in their help; the %s is
 * DEFAULT_TRUST_ANCHOR. */
#define ROLL_LOOKUP_HELP \
	"  -p, --port PORT            SMTP port (default 25)\n" \
	"  --format FORMAT            text (default), json\n" \
	"  --resolver ADDR[@PORT]     stub mode through this resolver (getdns " \
	"still\n" \
	"                             validates); default: full recursion\n" \
	"  --trust-anchor FILE        DNSSEC trust anchor (default %s)\n" \
	"  --root-hints FILE          recursive mode: start at these root servers\n"

static void
check_help(FILE *out)
{
	fprintf(out, "%s", check_usage);
	fprintf(out,
	    "\n"
	    "check: exit 0 only if every MX-HOST's DNSSEC-secure TLSA RRset already\n"
	    "holds a usable record matching the new certificate or key (the gate a\n"
	    "certbot deploy hook runs before installing a renewed key).\n"
	    "\n"
	    "  --cert FILE / --key FILE   the new certificate or key (\"-\": stdin); a\n"
	    "                             chain file lets 2 x x records match\n"
	    "  --password-file FILE / --password PASS   for encrypted private keys\n"
	    "  MX-HOST..., --host MX-HOST  the hosts whose TLSA RRsets must vouch\n" ROLL_LOOKUP_HELP
	    "  -t, --timeout SECONDS      per lookup (default 30)\n"
	    "  -v, --verbose / --debug    diagnostics on stderr\n"
	    "  -h, --help                 this help\n"
	    "\n"
	    "Exit status: 0 all hosts pass, 1 some host fails (the DNS answered and\n"
	    "does not vouch for the key), 2 some lookup failed (try again), 3 usage,\n"
	    "bad input, or no DNS server answered at all (nothing was checked);\n"
	    "130 interrupted by SIGINT/SIGTERM while looking up (nothing checked).\n",
	    DEFAULT_TRUST_ANCHOR);
}

static void
status_help(FILE *out)
{
	fprintf(out, "%s", status_usage);
	fprintf(out,
	    "\n"
	    "status: what each host presents now (every address, ECDSA and RSA)\n"
	    "against its TLSA RRset: matching, stale and unusable records, and\n"
	    "whether the RRset survives the next renewal.\n"
	    "\n"
	    "  MX-HOST..., --host MX-HOST  the hosts to look at\n" ROLL_LOOKUP_HELP
	    "  --connect ADDR             connect here instead of the host's addresses\n"
	    "                             (one host only)\n"
	    "  -4, --ipv4 / -6, --ipv6    that address family only (an address of it\n"
	    "                             this host has no route for then fails);\n"
	    "                             without them such addresses are not probed\n"
	    "  -t, --timeout SECONDS      per lookup or SMTP conversation (default 30)\n"
	    "  --helo NAME                EHLO name: a host name or [ADDRESS]\n"
	    "  -v, --verbose / --debug    diagnostics on stderr\n"
	    "  -h, --help                 this help\n"
	    "\n"
	    "Exit status: 0 all hosts robust, 1 some host is not, 2 some lookup or\n"
	    "connection failed (try again), 3 usage, bad input, no DNS server\n"
	    "answered at all, or no address of a host reachable from here (nothing\n"
	    "was checked); 130 interrupted by SIGINT/SIGTERM\n"
	    "while looking up (nothing checked).\n",
	    DEFAULT_TRUST_ANCHOR);
}

void
cmd_rollover_usage(FILE *out)
{
	fprintf(out,
	    "Usage: daneprobe rollover plan|check|status [options] MX-HOST...\n"
	    "       daneprobe rollover run|stage|publish|wait|switch|retire|status "
	    "--state FILE ...\n"
	    "\n"
	    "rollover: change a mail server's key without breaking DANE.  Each\n"
	    "subcommand's help alone: daneprobe rollover SUBCOMMAND --help.\n"
	    "\n");
	plan_help(out);
	fputc('\n', out);
	check_help(out);
	fputc('\n', out);
	status_help(out);
	fputc('\n', out);
	cmd_autoroll_help(out);
}

int
cmd_rollover_help(FILE *out, const char *sub)
{
	if (sub == NULL)
		cmd_rollover_usage(out);
	else if (strcmp(sub, "plan") == 0)
		plan_help(out);
	else if (strcmp(sub, "check") == 0)
		check_help(out);
	else if (strcmp(sub, "status") == 0)
		status_help(out);
	else if (strcmp(sub, "run") == 0 || roll_step_parse(sub) > 0)
		cmd_autoroll_help(out);
	else {
		report_safe_line(stderr, 0,
		    "daneprobe help: unknown rollover "
		    "subcommand \"%s\" (plan, check, status, run, stage, "
		    "publish, wait, switch, retire)",
		    sub);
		return EXIT_USAGE;
	}
	return 0;
}

typedef enum roll_cmd { ROLL_PLAN, ROLL_CHECK, ROLL_STATUS } roll_cmd;

typedef struct roll_opts {
	roll_cmd cmd;
	cli_key_options keys; /* --cert --key --password(-file) */
	const char *next_key, *next_cert, *host, *connect, *format;
	long ttl;
	cli_net_options net; /* -p -t --helo -4 -6, DNS options */
	int verbose;
	cli_seen seen; /* value options given so far */
} roll_opts;

/* The one-line usage of the subcommand given, for usage errors. */
static cli_usage roll_usage = { "daneprobe rollover",
	"Usage: daneprobe "
	"rollover plan|check|status [options] MX-HOST... (daneprobe rollover "
	"--help)" };
#define usage_error(...) cli_usage_error(&roll_usage, __VA_ARGS__)

static const cli_net_words roll_words = {
	.timeout_hint = "",
	.both_families = "to look at both families",
};

static int failf(int rc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* One line on stderr, escaped (it may quote file names, host names and
 * what a server or the DNS said); returns rc. */
static int
failf(int rc, const char *fmt, ...)
{
	char msg[1024];

	VA_FORMAT(msg, fmt);
	report_safe_line(stderr, 0, "daneprobe rollover: %s", msg);
	return rc;
}

enum { FOR_PLAN = 1, FOR_CHECK = 2, FOR_STATUS = 4, FOR_ALL = 7 };

/* Which subcommands take an option: one given to another is a mistake
 * (it would be ignored), not something to pass over in silence. */
static unsigned
option_scope(int c)
{
	switch (c) {
	case CLI_OPT_CERT:
	case CLI_OPT_KEY:
	case CLI_OPT_PASSWORD:
	case CLI_OPT_PASSWORD_FILE:
		return FOR_PLAN | FOR_CHECK;
	case OPT_NEXT_KEY:
	case OPT_NEXT_CERT:
	case OPT_TTL:
		return FOR_PLAN;
	case CLI_OPT_RESOLVER:
	case CLI_OPT_ANCHOR:
	case CLI_OPT_ROOT_HINTS:
	case 't':
		return FOR_CHECK | FOR_STATUS;
	case OPT_CONNECT:
	case CLI_OPT_HELO:
	case '4':
	case '6':
		return FOR_STATUS;
	default:
		return FOR_ALL;
	}
}

static const char *const roll_cmd_names[] = { "plan", "check", "status" };

/* Refuses an option given twice or to a subcommand that does not take
 * it; -1 to go on, or an exit status. */
static int
check_option(int c, roll_opts *o)
{
	const struct option *opt = NULL;
	char err[200], name[80];

	for (const struct option *p = rollover_options; p->name != NULL; p++)
		if (p->val == c)
			opt = p;
	if (opt == NULL)
		return -1;
	if (!(option_scope(c) & (1u << o->cmd))) {
		cli_option_name(rollover_options, c, name, sizeof(name));
		return usage_error("option %s does not apply to rollover %s",
		    name, roll_cmd_names[o->cmd]);
	}
	if (opt->has_arg == required_argument &&
	    cli_seen_once(&o->seen, rollover_options, c, err, sizeof(err)) != 0)
		return usage_error("%s", err);
	return -1;
}

/* Returns -1 to go on, or an exit status. */
static int
parse_one(int c, char *arg, char **argv, roll_opts *o)
{
	char err[300];
	int rc;

	if ((rc = check_option(c, o)) >= 0)
		return rc;
	rc = cli_net_option(&o->net, c, arg, err, sizeof(err));
	if (rc == 0)
		rc = cli_key_option(&o->keys, c, arg, err, sizeof(err));
	if (rc != 0)
		return rc > 0 ? -1 : usage_error("%s", err);
	switch (c) {
	case OPT_NEXT_KEY:
		o->next_key = arg;
		break;
	case OPT_NEXT_CERT:
		o->next_cert = arg;
		break;
	case OPT_HOST:
		o->host = arg;
		break;
	case OPT_FORMAT:
		o->format = arg;
		break;
	case OPT_CONNECT:
		o->connect = arg;
		break;
	case OPT_TTL:
		if (parse_long(arg, 0, 2147483647L, &o->ttl) != 0)
			return usage_error("invalid TTL \"%s\"", arg);
		break;
	case 'v':
		o->verbose = o->verbose < 1 ? 1 : o->verbose;
		break;
	case OPT_DEBUG:
		o->verbose = 2;
		break;
	case 'h':
		cmd_rollover_help(stdout, roll_cmd_names[o->cmd]);
		return 0;
	default:
		cli_bad_option(argv, rollover_options, c, err, sizeof(err));
		return usage_error("%s", err);
	}
	return -1;
}

/* Standard input can be read once: at most one file option may be "-". */
static int
check_stdin(const roll_opts *o)
{
	const char *files[] = { o->keys.cert, o->keys.key, o->next_key,
		o->next_cert };
	int n = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		n += files[i] != NULL && strcmp(files[i], "-") == 0;
	return n > 1 ?
	    usage_error("%s",
	        "only one of --cert, --key, "
	        "--next-key, --next-cert can read standard input (\"-\")") :
	    -1;
}

static const char *
password(roll_opts *o, int *rc)
{
	char err[300];

	*rc = -1;
	if (cli_key_read_password(&o->keys, err, sizeof(err)) != 0)
		*rc = failf(EXIT_USAGE, "%s", err);
	return o->keys.password;
}

/* ================================================================ plan */

typedef struct plan_side {
	STACK_OF(X509) * certs; /* when given a certificate */
	EVP_PKEY *key;          /* when given a key */
	tlsa_gen_item item;
	char what[300]; /* "EC P-256 key of CN=..., expires ..." */
} plan_side;

static void
describe_cert(X509 *x, char *buf, size_t len)
{
	cert_facts cf;
	char exp[40];

	if (cert_facts_from_x509(x, &cf) != 0) {
		snprintf(buf, len, "certificate");
		return;
	}
	utc_time_format(cf.not_after, exp, sizeof(exp));
	snprintf(buf, len, "%s key of %s (expires %s)", cf.key_type, cf.subject,
	    exp);
}

/* Loads one side of the plan: a certificate file or a key file. */
static int
plan_load(const char *cert, const char *key, const char *pw, plan_side *s)
{
	char err[300];

	s->item.depth = -1;
	if (cert != NULL) {
		if ((s->certs = tlsa_gen_load_certs(cert, err, sizeof(err))) ==
		    NULL)
			return failf(EXIT_USAGE, "%s", err);
		s->item.cert = sk_X509_value(s->certs, 0);
		s->item.depth = 0;
		s->item.source = "cert";
		s->item.file = cert;
		describe_cert(s->item.cert, s->what, sizeof(s->what));
	} else {
		if ((s->key = tlsa_gen_load_key(key, pw, err, sizeof(err))) ==
		    NULL)
			return failf(EXIT_USAGE, "%s", err);
		s->item.source = "key";
		s->item.file = key;
		snprintf(s->what, sizeof(s->what), "%s key in %s",
		    EVP_PKEY_get0_type_name(s->key),
		    strcmp(key, "-") == 0 ? "<stdin>" : key);
	}
	if (tlsa_gen_record(s->item.cert, s->key, TLSA_USAGE_DANE_EE,
	        TLSA_SELECTOR_SPKI, TLSA_MTYPE_SHA256, &s->item.rec, err,
	        sizeof(err)) != 0)
		return failf(EXIT_USAGE, "%s", err);
	return -1;
}

static void
plan_side_free(plan_side *s)
{
	tlsa_record_clear(&s->item.rec);
	sk_X509_pop_free(s->certs, X509_free);
	EVP_PKEY_free(s->key);
}

static void
plan_steps(FILE *out, const roll_opts *o)
{
	char ttl[64], next[4 * 256];

	/* A file name is the user's, but a newline in it must not end the
	 * comment and start a record. */
	report_safe(
	    next, sizeof(next), o->next_key ? o->next_key : o->next_cert, 0);

	if (o->ttl > 0)
		snprintf(ttl, sizeof(ttl), "%ld s", o->ttl);
	else
		snprintf(ttl, sizeof(ttl), "the RRset's TTL");
	fprintf(out,
	    "; 2. Wait until caches that hold the old RRset have dropped it: %s\n"
	    ";    after the signed zone with both records is served.  Check with\n"
	    ";      daneprobe rollover check --%s %s %s\n"
	    ";    (exit 0 once a validating lookup sees the next record).\n"
	    "; 3. Switch the server to the next key, e.g. a certificate for it with\n"
	    ";      openssl req -new -key NEXT.key -subj /CN=%s -out next.csr\n"
	    ";      certbot certonly --csr next.csr ...\n"
	    ";    and install it once `daneprobe rollover check --cert NEW.pem` passes.\n"
	    ";    (Or let certbot make the key: renew with --reuse-key --new-key and\n"
	    ";    the contrib/certbot deploy hook installs it only once DNS vouches.)\n"
	    "; 4. Once no server presents the old key, remove the first record above.\n"
	    ";    Publish the key after next in its place to stay ready for the next\n"
	    ";    rollover (daneprobe rollover plan again).\n",
	    ttl, o->next_key ? "key" : "cert", next, o->host, o->host);
}

static int
plan_print(
    const roll_opts *o, const char *owner, plan_side *cur, plan_side *next)
{
	tlsa_gen_format f = TLSA_GEN_ZONE;
	tlsa_gen_item items[2] = { cur->item, next->item };

	if (o->format != NULL &&
	    (tlsa_gen_parse_format(o->format, &f) != 0 ||
	        f == TLSA_GEN_GENERIC))
		return usage_error("unknown plan format \"%s\" (zone, "
		                   "nsupdate, json)",
		    o->format);
	if (f == TLSA_GEN_JSON)
		return tlsa_gen_print(
		           stdout, f, owner, (uint32_t)o->ttl, items, 2) == 0 ?
		    0 :
		    EXIT_FAIL;
	/* Zone-file comments: an escaped line cannot start a record. */
	report_safe_line(stdout, 0, "; daneprobe rollover plan for %s", owner);
	report_safe_line(stdout, 0, ";   current: %s", cur->what);
	report_safe_line(stdout, 0, ";   next:    %s", next->what);
	report_safe_line(stdout, 0, ";");
	report_safe_line(stdout, 0,
	    "; 1. Publish both records now (the "
	    "current one stays):");
	if (tlsa_gen_print(stdout, f, owner, (uint32_t)o->ttl, items, 2) != 0)
		return EXIT_FAIL;
	plan_steps(stdout, o);
	return fflush(stdout) == 0 ? 0 : EXIT_FAIL;
}

static int
run_plan(roll_opts *o)
{
	plan_side cur, next;
	char owner[300], err[200];
	const char *pw;
	int rc;

	memset(&cur, 0, sizeof(cur));
	memset(&next, 0, sizeof(next));
	if (!o->keys.cert == !o->keys.key || (!o->next_key == !o->next_cert) ||
	    !o->host)
		return usage_error("%s",
		    "plan needs one of --cert/--key "
		    "CURRENT, one of --next-key/--next-cert, and MX-HOST");
	if (tlsa_gen_owner(o->host, o->net.port, owner, sizeof(owner), err,
	        sizeof(err)) != 0)
		return usage_error("%s", err);
	pw = password(o, &rc);
	if (rc < 0 &&
	    (rc = plan_load(o->keys.cert, o->keys.key, pw, &cur)) < 0 &&
	    (rc = plan_load(o->next_cert, o->next_key, pw, &next)) < 0) {
		if (tlsa_record_equal(&cur.item.rec, &next.item.rec))
			rc = failf(EXIT_USAGE,
			    "the next key is the current "
			    "key: nothing to roll over");
		else
			rc = plan_print(o, owner, &cur, &next);
	}
	cli_key_wipe(&o->keys);
	plan_side_free(&cur);
	plan_side_free(&next);
	return rc;
}

/* ====================================================== probing hosts */

/* The MX host names, normalized (A-labels, lower case, no trailing dot),
 * probed on the engine through the batch runner as `daneprobe check`
 * probes domains; each host's result lands in its slot. */
typedef struct roll_run {
	char (*names)[256];
	size_t n, next;
	probe_domain **probes; /* by position; owned until taken */
	char (*not_started)[300];
} roll_run;

static const char *
run_next(void *arg)
{
	roll_run *r = arg;

	return r->next < r->n ? r->names[r->next++] : NULL;
}

/* Results arrive in completion order: the first free slot of the name. */
static void
run_result(probe_domain *d, void *arg)
{
	roll_run *r = arg;

	for (size_t i = 0; i < r->n; i++)
		if (r->probes[i] == NULL && r->not_started[i][0] == '\0' &&
		    strcmp(r->names[i], d->domain) == 0) {
			r->probes[i] = d;
			return;
		}
	probe_domain_free(d);
}

static void
run_not_started(const char *host, const char *reason, void *arg)
{
	roll_run *r = arg;

	for (size_t i = 0; i < r->n; i++)
		if (r->probes[i] == NULL && r->not_started[i][0] == '\0' &&
		    strcmp(r->names[i], host) == 0) {
			snprintf(r->not_started[i], sizeof(r->not_started[i]),
			    "%s", reason[0] ? reason : "not started");
			return;
		}
}

static void
run_free(roll_run *r)
{
	for (size_t i = 0; r->probes && i < r->n; i++)
		probe_domain_free(r->probes[i]);
	free(r->probes);
	free(r->names);
	free(r->not_started);
}

static int
names_from_args(char **names, size_t n, roll_run *r)
{
	char err[200];

	memset(r, 0, sizeof(*r));
	r->n = n;
	r->names = calloc(n, sizeof(*r->names));
	r->probes = calloc(n, sizeof(*r->probes));
	r->not_started = calloc(n, sizeof(*r->not_started));
	if (r->names == NULL || r->probes == NULL || r->not_started == NULL)
		return failf(EXIT_USAGE, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (dns_name_parse(names[i], r->names[i], sizeof(r->names[i]),
		        err, sizeof(err)) != 0)
			return usage_error("%s", err);
	}
	return -1;
}

/* The engine's settings for rollover: check needs DNS and the host
 * policy only; status connects to hosts with a secure TLSA RRset. */
static void
probe_options(const roll_opts *o, bool status, cli_options *co)
{
	cli_options_init(co);
	co->net = o->net;
	co->probe.sessions =
	    status ? PROBE_SESSIONS_IF_TLSA : PROBE_SESSIONS_NONE;
	co->probe.connect = o->connect;
	cli_options_finish(co);
}

/* Probes every host; -1 to go on, or an exit status (setup failed,
 * interrupted: nothing is judged then). */
static int
probe_hosts(const roll_opts *o, bool status, roll_run *r)
{
	cli_options co;
	probe_batch_params p;
	probe_batch_summary sum;
	char err[300];

	probe_options(o, status, &co);
	memset(&p, 0, sizeof(p));
	p.stop_on_signal = true;
	p.hosts = true;
	p.next = run_next;
	p.result = run_result;
	p.not_started = run_not_started;
	p.arg = r;
	if (probe_batch_run(
	        &co.probe, &co.net.dns, &p, &sum, err, sizeof(err)) != 0)
		return failf(EXIT_USAGE, "%s", err);
	if (sum.interrupted)
		return failf(EXIT_INTERRUPTED, "interrupted: nothing checked");
	return -1;
}

/* A host whose probe never started: a lookup to retry. */
static void
not_started_host(const roll_run *r, size_t i, probe_roll_host *h)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->name, sizeof(h->name), "%s", r->names[i]);
	snprintf(h->reason, sizeof(h->reason), "%s", r->not_started[i]);
	h->result = DANE_ROLL_RESULT_RETRY;
	h->gated = true;
}

static bool
want_json(const roll_opts *o, int *rc)
{
	*rc = -1;
	if (o->format == NULL || strcmp(o->format, "text") == 0)
		return false;
	if (strcmp(o->format, "json") != 0)
		*rc = usage_error(
		    "unknown format \"%s\" (text, json)", o->format);
	return true;
}

/* Writes the JSON document (takes arr); the exit status. */
static int
finish_json(json_t *arr, int rc)
{
	if (report_rollover_document(stdout, arr) != 0)
		return failf(EXIT_USAGE, "cannot write output");
	return rc;
}

/* ============================================================== check */

typedef struct new_id {
	STACK_OF(X509) * certs;
	EVP_PKEY *key;
	dane_chain_digests chain;
	const char *label; /* "certificate" or "key" */
} new_id;

/* A key alone: a one-certificate "chain" with only the SPKI digests;
 * certificate digests stay zero, so selector 0 records never match. */
static int
chain_of_key(EVP_PKEY *key, dane_chain_digests *ch)
{
	unsigned char *d256 = NULL, *d512 = NULL;
	size_t l256 = 0, l512 = 0;
	int rc = -1;

	memset(ch, 0, sizeof(*ch));
	if (tlsa_gen_key_data(key, 1, &d256, &l256) == 0 &&
	    tlsa_gen_key_data(key, 2, &d512, &l512) == 0 && l256 == 32 &&
	    l512 == 64) {
		memcpy(ch->cert[0].spki_sha256, d256, 32);
		memcpy(ch->cert[0].spki_sha512, d512, 64);
		ch->cert[0].on_path = true;
		ch->n = ch->sent = 1;
		rc = 0;
	}
	OPENSSL_free(d256);
	OPENSSL_free(d512);
	return rc;
}

static int
load_new(roll_opts *o, new_id *id)
{
	char err[300];
	const char *pw;
	int rc;

	memset(id, 0, sizeof(*id));
	if (!o->keys.cert == !o->keys.key)
		return usage_error("%s",
		    "check needs one of --cert NEW or "
		    "--key NEW");
	if (o->keys.cert) {
		id->label = "certificate";
		if ((id->certs = tlsa_gen_load_certs(
		         o->keys.cert, err, sizeof(err))) == NULL)
			return failf(EXIT_USAGE, "%s", err);
		if (dane_chain_digests_from(id->certs, &id->chain) != 0)
			return failf(EXIT_USAGE,
			    "%s: cannot hash the "
			    "certificates",
			    o->keys.cert);
		return -1;
	}
	id->label = "key";
	pw = password(o, &rc);
	if (rc >= 0)
		return rc;
	id->key = tlsa_gen_load_key(o->keys.key, pw, err, sizeof(err));
	cli_key_wipe(&o->keys);
	if (id->key == NULL)
		return failf(EXIT_USAGE, "%s", err);
	if (chain_of_key(id->key, &id->chain) != 0)
		return failf(
		    EXIT_USAGE, "%s: cannot hash the key", o->keys.key);
	return -1;
}

static void
new_id_free(new_id *id)
{
	sk_X509_pop_free(id->certs, X509_free);
	EVP_PKEY_free(id->key);
}

/* The loaded certificate or key, as the policy's check takes it. */
static void
roll_new_of(const new_id *id, dane_roll_new *out)
{
	out->chain = &id->chain;
	out->leaf = id->certs ? sk_X509_value(id->certs, 0) : NULL;
	out->has_certs = id->certs != NULL;
	out->label = id->label;
}

/* One host's result: rollover check of nid at `now`, or (nid NULL)
 * rollover status at this moment.  0, or -1 when out of memory. */
static int
judge_host(const roll_opts *o, roll_run *r, size_t i, const dane_roll_new *nid,
    time_t now, probe_roll_host *h)
{
	probe_domain *d = r->probes[i];

	r->probes[i] = NULL; /* h owns it from here */
	if (d == NULL) {
		not_started_host(r, i, h);
		return 0;
	}
	if (nid != NULL)
		return probe_rollover_check(d, o->net.port, nid, now, h);
	return probe_rollover_status(d, o->net.port, time(NULL), h);
}

/* Judges and prints every probed host (see judge_host()); the exit
 * status: the worst result. */
static int
report_hosts(const roll_opts *o, roll_run *r, const dane_roll_new *nid,
    time_t now, bool json)
{
	probe_roll_host h;
	int worst = DANE_ROLL_RESULT_PASS;
	json_t *arr = json ? json_array() : NULL;

	for (size_t i = 0; i < r->n; i++) {
		if (judge_host(o, r, i, nid, now, &h) != 0) {
			json_decref(arr);
			return failf(EXIT_USAGE, "out of memory");
		}
		if (json)
			json_array_append_new(arr,
			    nid ? report_rollover_check_json(&h) :
			          report_rollover_status_json(&h));
		else if (nid)
			report_rollover_check_text(stdout, &h, now);
		else
			report_rollover_status_text(stdout, &h);
		worst = (int)dane_roll_result_worse(
		    (dane_roll_result)worst, h.result);
		probe_roll_host_clear(&h);
	}
	return json ? finish_json(arr, worst) : worst;
}

static int
run_check(roll_opts *o, char **names, size_t n)
{
	roll_run r;
	new_id id;
	dane_roll_new nid;
	int rc;
	bool json = want_json(o, &rc);

	memset(&id, 0, sizeof(id));
	memset(&r, 0, sizeof(r));
	if (rc < 0 && (rc = load_new(o, &id)) < 0 &&
	    (rc = names_from_args(names, n, &r)) < 0 &&
	    (rc = probe_hosts(o, false, &r)) < 0) {
		roll_new_of(&id, &nid);
		rc = report_hosts(o, &r, &nid, time(NULL), json);
	}
	run_free(&r);
	new_id_free(&id);
	return rc;
}

/* ============================================================= status */

static int
run_status(roll_opts *o, char **names, size_t n)
{
	roll_run r;
	int rc;
	bool json = want_json(o, &rc);

	memset(&r, 0, sizeof(r));
	if (rc < 0 && (rc = names_from_args(names, n, &r)) < 0) {
		if (o->connect != NULL && n != 1)
			rc = usage_error("%s",
			    "--connect works with one host "
			    "only");
		else if ((rc = probe_hosts(o, true, &r)) < 0)
			rc = report_hosts(o, &r, NULL, 0, json);
	}
	run_free(&r);
	return rc;
}

/* ============================================================ command */

static void
opts_init(roll_opts *o)
{
	memset(o, 0, sizeof(*o));
	/* The same defaults as check: port 25, 30 s, EHLO this host's FQDN. */
	cli_net_init(&o->net, &roll_words);
}

/* The MX hosts: the arguments, and --host (one more, the same thing). */
static char **
host_names(char **args, size_t n_args, const char *host, size_t *n)
{
	char **names = calloc(n_args + 1, sizeof(*names));

	*n = 0;
	if (names == NULL)
		return NULL;
	for (size_t i = 0; i < n_args; i++)
		names[(*n)++] = args[i];
	if (host != NULL)
		names[(*n)++] = (char *)host;
	return names;
}

static int
parse_sub(const char *sub, roll_opts *o)
{
	for (int i = 0; i < 3; i++)
		if (strcmp(sub, roll_cmd_names[i]) == 0) {
			o->cmd = (roll_cmd)i;
			return -1;
		}
	if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0) {
		cmd_rollover_usage(stdout);
		return 0;
	}
	return usage_error(
	    "unknown subcommand \"%s\" (plan, check, status; run, stage, "
	    "publish, wait, switch, retire with --state)",
	    sub);
}

static int
run(roll_opts *o, char **names, size_t n)
{
	if (o->cmd == ROLL_PLAN) {
		if (n != 1)
			return usage_error("%s",
			    n ? "plan takes one MX host "
			        "(MX-HOST or --host MX-HOST)" :
			        "plan needs the MX "
			        "host: MX-HOST or --host MX-HOST");
		o->host = names[0];
		return run_plan(o);
	}
	if (n == 0 || n > MAX_HOSTS)
		return usage_error("give 1 to %d MX host names", MAX_HOSTS);
	if (o->cmd == ROLL_CHECK)
		return run_check(o, names, n);
	return run_status(o, names, n);
}

int
cmd_rollover(int argc, char **argv)
{
	static const char *const usage_lines[] = { plan_usage, check_usage,
		status_usage };
	static char usage_line[300];
	char **names;
	roll_opts o;
	int c, rc;
	size_t n;

	if (cmd_autoroll_wants(argc, argv))
		return cmd_autoroll(argc, argv);
	opts_init(&o);
	if (argc < 2)
		return usage_error(
		    "%s", "give plan, check or status (or run with --state)");
	if ((rc = parse_sub(argv[1], &o)) >= 0)
		return rc;
	snprintf(usage_line, sizeof(usage_line),
	    "%.*s (daneprobe rollover "
	    "%s --help)",
	    (int)strcspn(usage_lines[o.cmd], "\n"), usage_lines[o.cmd],
	    roll_cmd_names[o.cmd]);
	roll_usage.line = usage_line;
	optind = 1;
	opterr = 0;
	while (
	    (c = getopt_long(argc - 1, argv + 1, ":" CLI_NET_SHORT_OPTIONS "vh",
	         rollover_options, NULL)) != -1)
		if ((rc = parse_one(c, optarg, argv + 1, &o)) >= 0)
			return rc;
	if ((rc = check_stdin(&o)) >= 0)
		return rc;
	/* The DNS timeout from -t, with check's floor and ceiling. */
	cli_net_finish(&o.net);
	log_set_level(o.verbose >= 2 ? LOG_LEVEL_DEBUG :
	        o.verbose            ? LOG_LEVEL_INFO :
	                               LOG_LEVEL_WARN);
	names = host_names(
	    argv + 1 + optind, (size_t)(argc - 1 - optind), o.host, &n);
	if (names == NULL)
		return failf(EXIT_USAGE, "out of memory");
	rc = run(&o, names, n);
	free(names);
	cli_key_wipe(&o.keys); /* a password given needlessly */
	return rc;
}
