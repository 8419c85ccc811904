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
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include "cli/cli_args.h"
#include "cli/cli_net.h"
#include "cli/commands.h"
#include "policy/dane_rollover.h"
#include "dns/dns_name.h"
#include "dns/dns_resolver.h"
#include "util/ev_compat.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/parse.h"
#include "probe/probe_engine.h"
#include "report/report_safe.h"
#include "tls/tlsa_gen.h"

enum { EXIT_FAIL = 1, EXIT_TRY_AGAIN = 2 };
/* 128 + SIGINT, as `daneprobe check` and shells report an interruption. */
enum { EXIT_INTERRUPTED = 130 };
enum { MAX_HOSTS = 64 };

enum { OPT_CERT = CLI_NET_OPT_FREE, OPT_KEY, OPT_NEXT_KEY, OPT_NEXT_CERT,
    OPT_PASSWORD, OPT_PASSWORD_FILE, OPT_HOST, OPT_TTL, OPT_FORMAT,
    OPT_CONNECT, OPT_DEBUG };

static const struct option rollover_options[] = {
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "next-key", required_argument, NULL, OPT_NEXT_KEY },
	{ "next-cert", required_argument, NULL, OPT_NEXT_CERT },
	{ "password", required_argument, NULL, OPT_PASSWORD },
	{ "password-file", required_argument, NULL, OPT_PASSWORD_FILE },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	CLI_NET_LONG_OPTIONS,
	CLI_NET_DNS_LONG_OPTIONS,
	{ "verbose", no_argument, NULL, 'v' },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
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
"  MX-HOST..., --host MX-HOST  the hosts whose TLSA RRsets must vouch\n"
"  -p, --port PORT            SMTP port (default 25)\n"
"  --format FORMAT            text (default), json\n"
"  --resolver ADDR[@PORT]     stub mode through this resolver (getdns still\n"
"                             validates); default: full recursion\n"
"  --trust-anchor FILE        DNSSEC trust anchor (default %s)\n"
"  --root-hints FILE          recursive mode: start at these root servers\n"
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
"  MX-HOST..., --host MX-HOST  the hosts to look at\n"
"  -p, --port PORT            SMTP port (default 25)\n"
"  --format FORMAT            text (default), json\n"
"  --resolver ADDR[@PORT]     stub mode through this resolver (getdns still\n"
"                             validates); default: full recursion\n"
"  --trust-anchor FILE        DNSSEC trust anchor (default %s)\n"
"  --root-hints FILE          recursive mode: start at these root servers\n"
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
"\n"
"rollover: change a mail server's key without breaking DANE.  Each\n"
"subcommand's help alone: daneprobe rollover SUBCOMMAND --help.\n"
"\n");
	plan_help(out);
	fputc('\n', out);
	check_help(out);
	fputc('\n', out);
	status_help(out);
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
	else {
		report_safe_line(stderr, 0, "daneprobe help: unknown rollover "
		    "subcommand \"%s\" (plan, check, status)", sub);
		return EXIT_USAGE;
	}
	return 0;
}

typedef enum roll_cmd { ROLL_PLAN, ROLL_CHECK, ROLL_STATUS } roll_cmd;

typedef struct roll_opts {
	roll_cmd cmd;
	const char *cert, *key, *next_key, *next_cert, *host;
	const char *password, *password_file, *connect, *format;
	long ttl;
	cli_net_options net;     /* -p -t --helo -4 -6, DNS options */
	int verbose;
	char pw[1024];           /* --password, --password-file; wiped */
	cli_seen seen;           /* value options given so far */
} roll_opts;

/* The one-line usage of the subcommand given, for usage errors. */
static cli_usage roll_usage = { "daneprobe rollover", "Usage: daneprobe "
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
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
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
	case OPT_CERT: case OPT_KEY: case OPT_PASSWORD: case OPT_PASSWORD_FILE:
		return FOR_PLAN | FOR_CHECK;
	case OPT_NEXT_KEY: case OPT_NEXT_CERT: case OPT_TTL:
		return FOR_PLAN;
	case CLI_OPT_RESOLVER: case CLI_OPT_ANCHOR: case CLI_OPT_ROOT_HINTS:
	case 't':
		return FOR_CHECK | FOR_STATUS;
	case OPT_CONNECT: case CLI_OPT_HELO: case '4': case '6':
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
	switch (cli_net_option(&o->net, c, arg, err, sizeof(err))) {
	case 1:
		return -1;
	case -1:
		return usage_error("%s", err);
	}
	switch (c) {
	case OPT_CERT: o->cert = arg; break;
	case OPT_KEY: o->key = arg; break;
	case OPT_NEXT_KEY: o->next_key = arg; break;
	case OPT_NEXT_CERT: o->next_cert = arg; break;
	case OPT_PASSWORD:
		if (tlsa_gen_take_password(arg, o->pw, sizeof(o->pw)) != 0)
			return usage_error("--password: longer than %zu bytes",
			    sizeof(o->pw) - 1);
		o->password = o->pw;
		break;
	case OPT_PASSWORD_FILE: o->password_file = arg; break;
	case OPT_HOST: o->host = arg; break;
	case OPT_FORMAT: o->format = arg; break;
	case OPT_CONNECT: o->connect = arg; break;
	case OPT_TTL:
		if (parse_long(arg, 0, 2147483647L, &o->ttl) != 0)
			return usage_error("invalid TTL \"%s\"", arg);
		break;
	case 'v': o->verbose = o->verbose < 1 ? 1 : o->verbose; break;
	case OPT_DEBUG: o->verbose = 2; break;
	case 'h': cmd_rollover_help(stdout, roll_cmd_names[o->cmd]); return 0;
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
	const char *files[] = { o->cert, o->key, o->next_key, o->next_cert };
	int n = 0;

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		n += files[i] != NULL && strcmp(files[i], "-") == 0;
	return n > 1 ? usage_error("%s", "only one of --cert, --key, "
	    "--next-key, --next-cert can read standard input (\"-\")") : -1;
}

static const char *
password(roll_opts *o, int *rc)
{
	char err[300];

	*rc = -1;
	if (o->password_file == NULL)
		return o->password;
	if (tlsa_gen_read_password(o->password_file, o->pw, sizeof(o->pw),
	    err, sizeof(err)) != 0)
		*rc = failf(EXIT_USAGE, "%s", err);
	return o->pw;
}

static void
iso_time(time_t t, char *buf, size_t len)
{
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%lld", (long long)t);
}

/* ================================================================ plan */

typedef struct plan_side {
	STACK_OF(X509) *certs;   /* when given a certificate */
	EVP_PKEY *key;           /* when given a key */
	tlsa_gen_item item;
	char what[300];          /* "EC P-256 key of CN=..., expires ..." */
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
	iso_time(cf.not_after, exp, sizeof(exp));
	snprintf(buf, len, "%s key of %s (expires %s)", cf.key_type,
	    cf.subject, exp);
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
		    EVP_PKEY_get0_type_name(s->key), strcmp(key, "-") == 0 ?
		    "<stdin>" : key);
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
	report_safe(next, sizeof(next), o->next_key ? o->next_key :
	    o->next_cert, 0);

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
plan_print(const roll_opts *o, const char *owner, plan_side *cur,
    plan_side *next)
{
	tlsa_gen_format f = TLSA_GEN_ZONE;
	tlsa_gen_item items[2] = { cur->item, next->item };

	if (o->format != NULL && (tlsa_gen_parse_format(o->format, &f) != 0 ||
	    f == TLSA_GEN_GENERIC))
		return usage_error("unknown plan format \"%s\" (zone, "
		    "nsupdate, json)", o->format);
	if (f == TLSA_GEN_JSON)
		return tlsa_gen_print(stdout, f, owner, (uint32_t)o->ttl,
		    items, 2) == 0 ? 0 : EXIT_FAIL;
	/* Zone-file comments: an escaped line cannot start a record. */
	report_safe_line(stdout, 0, "; daneprobe rollover plan for %s", owner);
	report_safe_line(stdout, 0, ";   current: %s", cur->what);
	report_safe_line(stdout, 0, ";   next:    %s", next->what);
	report_safe_line(stdout, 0, ";");
	report_safe_line(stdout, 0, "; 1. Publish both records now (the "
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
	if (!o->cert == !o->key || (!o->next_key == !o->next_cert) ||
	    !o->host)
		return usage_error("%s", "plan needs one of --cert/--key "
		    "CURRENT, one of --next-key/--next-cert, and MX-HOST");
	if (tlsa_gen_owner(o->host, o->net.port, owner, sizeof(owner), err,
	    sizeof(err)) != 0)
		return usage_error("%s", err);
	pw = password(o, &rc);
	if (rc < 0 && (rc = plan_load(o->cert, o->key, pw, &cur)) < 0 &&
	    (rc = plan_load(o->next_cert, o->next_key, pw, &next)) < 0) {
		if (tlsa_record_equal(&cur.item.rec, &next.item.rec))
			rc = failf(EXIT_USAGE, "the next key is the current "
			    "key: nothing to roll over");
		else
			rc = plan_print(o, owner, &cur, &next);
	}
	OPENSSL_cleanse(o->pw, sizeof(o->pw));
	plan_side_free(&cur);
	plan_side_free(&next);
	return rc;
}

/* ============================================================ lookups */

typedef struct host_q {
	char name[256];
	char tlsa_name[300];
	dns_answer *tlsa, *a, *aaaa;
} host_q;

static void
on_answer(dns_answer *a, void *arg)
{
	dns_answer **slot = arg;

	if (a->status == DNS_STATUS_CANCELLED) {
		dns_answer_free(a);
		return;
	}
	*slot = a;
}

static int
start_lookups(dns_resolver *r, host_q *h, bool addrs, char *err,
    size_t errlen)
{
	if (dns_lookup(r, h->tlsa_name, DNS_TYPE_TLSA, on_answer, &h->tlsa, err,
	    errlen) != 0)
		return -1;
	if (!addrs)
		return 0;
	if (dns_lookup(r, h->name, DNS_TYPE_A, on_answer, &h->a, err,
	    errlen) != 0 || dns_lookup(r, h->name, DNS_TYPE_AAAA, on_answer,
	    &h->aaaa, err, errlen) != 0)
		return -1;
	return 0;
}

static void
on_stop_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	*(bool *)w->data = true;
	ev_break(loop, EVBREAK_ALL);
}

/* All lookups in parallel on one loop; 0, 1 when SIGINT/SIGTERM ended
 * them (nothing is judged then), or -1 with a reason (bad trust anchor or
 * resolver address). */
static int
resolve_hosts(const roll_opts *o, host_q *hosts, size_t n, bool addrs,
    char *err, size_t errlen)
{
	/* Signals need the default loop in libev. */
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	dns_resolver_config cfg = o->net.dns;
	dns_resolver *r = NULL;
	ev_signal sigint, sigterm;
	bool stop = false;
	int rc = -1;

	if (loop == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		return -1;
	}
	ev_signal_init(&sigint, on_stop_signal, SIGINT);
	ev_signal_init(&sigterm, on_stop_signal, SIGTERM);
	sigint.data = sigterm.data = &stop;
	ev_signal_start(loop, &sigint);
	ev_signal_start(loop, &sigterm);
	if (dns_resolver_new(loop, &cfg, &r, err, errlen) != 0)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (start_lookups(r, &hosts[i], addrs, err, errlen) != 0)
			goto out;
	while (!stop && dns_resolver_pending(r) > 0)
		ev_run(loop, EVRUN_ONCE);
	rc = stop ? 1 : 0;
out:
	/* Lookups still pending are cancelled: their answers are freed. */
	dns_resolver_free(r);
	ev_signal_stop(loop, &sigint);
	ev_signal_stop(loop, &sigterm);
	return rc;
}

static void
hosts_free(host_q *hosts, size_t n)
{
	for (size_t i = 0; hosts && i < n; i++) {
		dns_answer_free(hosts[i].tlsa);
		dns_answer_free(hosts[i].a);
		dns_answer_free(hosts[i].aaaa);
	}
	free(hosts);
}

static int
hosts_from_args(const roll_opts *o, char **names, size_t n, host_q **out)
{
	host_q *h = calloc(n, sizeof(*h));
	char err[200];

	*out = h;
	if (h == NULL)
		return failf(EXIT_USAGE, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (dns_name_parse(names[i], h[i].name,
		    sizeof(h[i].name), err, sizeof(err)) != 0)
			return usage_error("%s", err);
		snprintf(h[i].tlsa_name, sizeof(h[i].tlsa_name),
		    "_%d._tcp.%s", o->net.port, h[i].name);
	}
	return -1;
}

/* ======================================================== TLSA verdict */

/* HOST_LOCAL: no DNS server answered at all (the prober's outage, exit 3):
 * nothing was learnt about the host. */
typedef enum host_result { HOST_PASS = 0, HOST_FAIL = 1, HOST_RETRY = 2,
    HOST_LOCAL = 3 } host_result;

/* The run's exit status over hosts: a failure needs action and outranks
 * the prober's own DNS outage, which outranks a lookup to retry. */
static int
worse_result(int a, int b)
{
	static const int rank[] = { 0, 3, 1, 2 }; /* by host_result */

	return rank[b] > rank[a] ? b : a;
}

/* Whether the TLSA answer can be judged at all; the reason otherwise. */
static host_result
tlsa_usable_answer(const dns_answer *a, char *why, size_t len)
{
	if (a == NULL) {
		snprintf(why, len, "no answer to the TLSA lookup");
		return HOST_RETRY;
	}
	if (a->local_failure) {
		snprintf(why, len, "TLSA lookup not done, DNS unreachable from "
		    "here: %s", a->reason);
		return HOST_LOCAL;
	}
	if (a->security == DNS_SECURITY_BOGUS) {
		snprintf(why, len, "TLSA lookup is DNSSEC-bogus (%s)",
		    a->reason[0] ? a->reason : "validation failed");
		return HOST_RETRY;
	}
	switch (a->status) {
	case DNS_STATUS_OK:
		break;
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN:
		snprintf(why, len, "no TLSA records at %s (%s, %s): DANE does "
		    "not apply, so no record vouches for any key", a->qname,
		    dns_status_name(a->status), dns_security_name(a->security));
		return HOST_FAIL;
	default:
		snprintf(why, len, "TLSA lookup failed: %s%s%s",
		    dns_status_name(a->status), a->reason[0] ? ": " : "",
		    a->reason);
		return HOST_RETRY;
	}
	if (a->security != DNS_SECURITY_SECURE) {
		snprintf(why, len, "the TLSA RRset is %s, not DNSSEC-secure: "
		    "senders ignore it (RFC 7672 section 2.2)",
		    dns_security_name(a->security));
		return HOST_FAIL;
	}
	return HOST_PASS;
}

static void
record_json(json_t *arr, const tlsa_record *r, const dane_roll_record *rr)
{
	char text[300];

	tlsa_record_format(r, text, sizeof(text));
	json_array_append_new(arr, json_pack("{s:s, s:s, s:b, s:i, s:s}",
	    "record", text, "state", dane_roll_rec_state_name(rr->state),
	    "next_candidate", rr->next_candidate, "duplicate_of",
	    rr->duplicate_of, "note", rr->note));
}

static json_t *
report_json(const dns_answer *a, const dane_rollover_report *rep)
{
	json_t *recs = json_array(), *chains = json_array();

	for (size_t i = 0; i < rep->n_records; i++)
		record_json(recs, &a->tlsa[i], &rep->rec[i]);
	for (size_t i = 0; i < rep->n_chains; i++)
		json_array_append_new(chains, json_pack("{s:s, s:s, s:I, s:s}",
		    "key_family", rep->chain[i].key_family, "verdict",
		    dane_roll_verdict_name(rep->chain[i].verdict), "matching",
		    (json_int_t)rep->chain[i].matching, "reason",
		    rep->chain[i].reason));
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:o}", "verdict",
	    dane_roll_verdict_name(rep->verdict), "reason", rep->reason,
	    "ttl", (json_int_t)rep->ttl, "safe_switch_at",
	    (json_int_t)rep->safe_switch_at, "records", recs, "chains",
	    chains);
}

static void
print_records(FILE *out, const dns_answer *a, const dane_rollover_report *rep)
{
	char text[300];

	for (size_t i = 0; i < rep->n_records; i++) {
		tlsa_record_format(&a->tlsa[i], text, sizeof(text));
		/* The digest's head is enough to tell records apart. */
		if (strlen(text) > 22)
			strcpy(text + 19, "...");
		report_safe_line(out, 0, "  %zu. %s  %s: %s", i + 1, text,
		    dane_roll_rec_state_name(rep->rec[i].state),
		    rep->rec[i].note);
	}
	if (rep->n_ignored > 0)
		report_safe_line(out, 0, "  (%zu more records not analysed)",
		    rep->n_ignored);
}

/* ============================================================== check */

typedef struct new_id {
	STACK_OF(X509) *certs;
	EVP_PKEY *key;
	dane_chain_digests chain;
	const char *label;       /* "certificate" or "key" */
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
	if (!o->cert == !o->key)
		return usage_error("%s", "check needs one of --cert NEW or "
		    "--key NEW");
	if (o->cert) {
		id->label = "certificate";
		if ((id->certs = tlsa_gen_load_certs(o->cert, err,
		    sizeof(err))) == NULL)
			return failf(EXIT_USAGE, "%s", err);
		if (dane_chain_digests_from(id->certs, &id->chain) != 0)
			return failf(EXIT_USAGE, "%s: cannot hash the "
			    "certificates", o->cert);
		return -1;
	}
	id->label = "key";
	pw = password(o, &rc);
	if (rc >= 0)
		return rc;
	id->key = tlsa_gen_load_key(o->key, pw, err, sizeof(err));
	OPENSSL_cleanse(o->pw, sizeof(o->pw));
	if (id->key == NULL)
		return failf(EXIT_USAGE, "%s", err);
	if (chain_of_key(id->key, &id->chain) != 0)
		return failf(EXIT_USAGE, "%s: cannot hash the key", o->key);
	return -1;
}

static void
new_id_free(new_id *id)
{
	sk_X509_pop_free(id->certs, X509_free);
	EVP_PKEY_free(id->key);
}

typedef struct check_out {
	host_result result;
	char reason[400];
	dane_rollover_report rep;  /* valid when the RRset was analysed */
	bool analysed;
} check_out;

static bool
has_usage(const dns_answer *a, uint8_t usage)
{
	for (size_t i = 0; i < a->count; i++)
		if (a->tlsa[i].usage == usage)
			return true;
	return false;
}

static void
no_match_reason(const dns_answer *a, const new_id *id, char *buf,
    size_t len)
{
	char leaf[65];

	hex_encode(id->chain.cert[0].spki_sha256, 32, leaf, sizeof(leaf));
	snprintf(buf, len, "no usable TLSA record matches the new %s: publish "
	    "3 1 1 %s first, wait one TTL, then switch%s", id->label, leaf,
	    id->chain.n == 1 && id->certs && has_usage(a, TLSA_USAGE_DANE_TA) ?
	    " (the RRset has DANE-TA records: give the whole chain, e.g. "
	    "fullchain.pem, to match them)" : "");
}

static bool
ee_matches(const dns_answer *a, const dane_rollover_report *rep)
{
	for (size_t i = 0; i < rep->n_records; i++)
		if ((rep->rec[i].chain_mask & 1u) &&
		    a->tlsa[i].usage == TLSA_USAGE_DANE_EE)
			return true;
	return false;
}

/*
 * When only DANE-TA records match, the sender also checks the leaf's names
 * against the TLSA base domain and its validity (RFC 7672 sections 3.2.2
 * and 3.2.1), so the new certificate must pass those too.  (The MX host
 * name is the only reference identifier checked here; a sender also
 * accepts the domain's own name when the MX is a CNAME target.)  0 ok,
 * -1 with a reason.
 */
static int
ta_leaf_ok(const host_q *h, const new_id *id, char *buf, size_t len)
{
	X509 *leaf = id->certs ? sk_X509_value(id->certs, 0) : NULL;

	if (leaf == NULL)
		return 0;
	if (X509_check_host(leaf, h->name, 0,
	    X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) != 1) {
		snprintf(buf, len, "only DANE-TA records match the new "
		    "certificate, and it does not name %s (DANE-TA checks "
		    "names, RFC 7672 section 3.2.2)", h->name);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(leaf)) >= 0 ||
	    X509_cmp_current_time(X509_get0_notAfter(leaf)) <= 0) {
		snprintf(buf, len, "only DANE-TA records match the new "
		    "certificate, and it is not valid now (DANE-TA checks "
		    "validity)");
		return -1;
	}
	return 0;
}

static void
check_host(const host_q *h, const new_id *id, time_t now, check_out *c)
{
	const dane_chain_digests *cp[1] = { &id->chain };
	const dns_answer *a = h->tlsa;

	memset(c, 0, sizeof(*c));
	c->result = tlsa_usable_answer(a, c->reason, sizeof(c->reason));
	if (c->result != HOST_PASS)
		return;
	dane_rollover_analyze(a->tlsa, a->count, a->ttl, cp, 1, now, &c->rep);
	c->analysed = true;
	if (c->rep.chain[0].matching == 0) {
		c->result = HOST_FAIL;
		no_match_reason(a, id, c->reason, sizeof(c->reason));
		return;
	}
	if (!ee_matches(a, &c->rep) &&
	    ta_leaf_ok(h, id, c->reason, sizeof(c->reason)) != 0) {
		c->result = HOST_FAIL;
		return;
	}
	snprintf(c->reason, sizeof(c->reason), "%zu usable TLSA record%s "
	    "match%s the new %s", c->rep.chain[0].matching,
	    c->rep.chain[0].matching == 1 ? "" : "s",
	    c->rep.chain[0].matching == 1 ? "es" : "", id->label);
}

static void
check_text(FILE *out, const host_q *h, const check_out *c, time_t now)
{
	char when[40];

	report_safe_line(out, 0, "%s: %s: %s", h->name, c->result == HOST_PASS
	    ? "OK" : c->result == HOST_FAIL ? "FAIL" : "UNKNOWN", c->reason);
	if (!c->analysed)
		return;
	if (c->result == HOST_PASS) {
		iso_time(now + (time_t)h->tlsa->ttl, when, sizeof(when));
		/* Visible now; a cache that fetched the RRset just before
		 * the record appeared keeps the old one for one TTL. */
		report_safe_line(out, 0, "  switch safe from %s at the latest "
		    "(now + TTL %lu s; already safe if the record was "
		    "published more than a TTL ago)", when,
		    (unsigned long)h->tlsa->ttl);
		report_safe_line(out, 0, "  after the switch the RRset is %s: "
		    "%s", dane_roll_verdict_name(c->rep.verdict),
		    c->rep.reason);
	}
	print_records(out, h->tlsa, &c->rep);
}

static json_t *
check_json(const host_q *h, const check_out *c)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "host", h->name,
	    "tlsa_name", h->tlsa_name, "result", c->result == HOST_PASS ?
	    "pass" : c->result == HOST_FAIL ? "fail" : "unknown", "reason",
	    c->reason);

	if (h->tlsa != NULL) {
		json_object_set_new(o, "dns_status",
		    json_string(dns_status_name(h->tlsa->status)));
		json_object_set_new(o, "dnssec",
		    json_string(dns_security_name(h->tlsa->security)));
	}
	if (c->analysed) {
		json_object_set_new(o, "ttl", json_integer(h->tlsa->ttl));
		json_object_set_new(o, "rollover", report_json(h->tlsa,
		    &c->rep));
	}
	return o;
}

static bool
want_json(const roll_opts *o, int *rc)
{
	*rc = -1;
	if (o->format == NULL || strcmp(o->format, "text") == 0)
		return false;
	if (strcmp(o->format, "json") != 0)
		*rc = usage_error("unknown format \"%s\" (text, json)",
		    o->format);
	return true;
}

static int
emit_json(json_t *arr)
{
	json_t *doc = json_pack("{s:s, s:o}", "daneprobe", PACKAGE_VERSION,
	    "hosts", arr);
	int rc = doc != NULL && json_dumpf(doc, stdout, JSON_INDENT(2)) == 0 &&
	    fputc('\n', stdout) != EOF ? 0 : -1;

	json_decref(doc);
	return rc;
}

static int
run_check(roll_opts *o, char **names, size_t n)
{
	host_q *hosts = NULL;
	new_id id;
	check_out *c = NULL;
	char err[300];
	int rc, worst = 0;
	bool json = want_json(o, &rc);
	json_t *arr = json ? json_array() : NULL;
	time_t now = time(NULL);

	memset(&id, 0, sizeof(id));
	if (rc >= 0 || (rc = load_new(o, &id)) >= 0 ||
	    (rc = hosts_from_args(o, names, n, &hosts)) >= 0)
		goto out;
	if ((rc = resolve_hosts(o, hosts, n, false, err, sizeof(err))) != 0) {
		rc = rc > 0 ? failf(EXIT_INTERRUPTED, "interrupted: nothing "
		    "checked") : failf(EXIT_USAGE, "%s", err);
		goto out;
	}
	if ((c = calloc(n, sizeof(*c))) == NULL) {
		rc = failf(EXIT_USAGE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		check_host(&hosts[i], &id, now, &c[i]);
		if (json)
			json_array_append_new(arr, check_json(&hosts[i], &c[i]));
		else
			check_text(stdout, &hosts[i], &c[i], now);
		worst = worse_result(worst, (int)c[i].result);
	}
	rc = worst;
	if (json && emit_json(arr) != 0)
		rc = failf(EXIT_USAGE, "cannot write output");
	arr = NULL;
out:
	json_decref(arr);
	free(c);
	hosts_free(hosts, n);
	new_id_free(&id);
	return rc;
}

/* ============================================================= status */

typedef struct status_addr {
	char addr[64];
	tlsa_gen_chain *chains;
	int n;                     /* chains, or -1 when no handshake */
	/* Not probed: this host has no route for the address's family and
	 * none was forced (as daneprobe check does); counts for nothing. */
	bool no_route;
	char reason[300];
	dane_rollover_report rep;
} status_addr;

static void
status_fetch(const roll_opts *o, const host_q *h, status_addr *sa)
{
	tlsa_gen_fetch_params p = { h->name, sa->addr, o->net.port,
	    o->net.timeout, o->net.helo, NULL, AF_UNSPEC };
	dane_chain_digests ch[2];
	const dane_chain_digests *cp[2] = { &ch[0], &ch[1] };
	int k = 0;

	sa->n = tlsa_gen_fetch(&p, &sa->chains, sa->reason,
	    sizeof(sa->reason));
	for (int i = 0; i < sa->n && k < 2; i++) {
		if (dane_chain_digests_from(sa->chains[i].certs, &ch[k]) != 0)
			continue;
		snprintf(ch[k].key_family, sizeof(ch[k].key_family), "%s",
		    sa->chains[i].key_family);
		k++;
	}
	dane_rollover_analyze(h->tlsa->tlsa, h->tlsa->count, h->tlsa->ttl, cp,
	    (size_t)k, time(NULL), &sa->rep);
}

/* The addresses to probe: --connect, or the A and AAAA answers of the
 * families asked for; one of a family this host has no route for is
 * marked, unless that family was forced (-4/-6): then it fails. */
static size_t
status_addrs(const roll_opts *o, const host_q *h, status_addr *out,
    size_t max)
{
	const dns_answer *as[2] = { h->a, h->aaaa };
	size_t n = 0;

	if (o->connect != NULL) {
		snprintf(out[0].addr, sizeof(out[0].addr), "%s", o->connect);
		return 1;
	}
	for (int k = 0; k < 2; k++) {
		if (o->net.family == (k ? '4' : '6'))
			continue;
		for (size_t i = 0; as[k] && as[k]->status == DNS_STATUS_OK &&
		    i < as[k]->count && n < max; i++, n++) {
			snprintf(out[n].addr, sizeof(out[n].addr), "%s",
			    as[k]->addrs[i].text);
			out[n].no_route = o->net.family == 0 &&
			    probe_engine_no_route(&as[k]->addrs[i],
			    o->net.port);
			if (out[n].no_route) {
				out[n].n = -1;
				snprintf(out[n].reason, sizeof(out[n].reason),
				    "not probed: no %s route on this host",
				    k ? "IPv6" : "IPv4");
			}
		}
	}
	return n;
}

/* status passes only a robust RRset: anything less needs work before the
 * next renewal. */
static host_result
status_verdict(const status_addr *sa)
{
	if (sa->n < 0)
		return HOST_RETRY;
	return sa->rep.verdict == DANE_ROLL_ROBUST ? HOST_PASS : HOST_FAIL;
}

/* "ECDSA+RSA" or "one certificate": the key families presented. */
static void
families_text(const status_addr *sa, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (int c = 0; c < sa->n && o < len; c++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", c ? "+" : "",
		    sa->chains[c].key_family[0] ? sa->chains[c].key_family :
		    "one certificate");
}

static void
status_text(const host_q *h, const status_addr *sa, size_t n)
{
	char fam[64];

	for (size_t i = 0; i < n; i++) {
		const dane_rollover_report *r = &sa[i].rep;

		if (sa[i].no_route || sa[i].n < 0) {
			report_safe_line(stdout, 0, "%s [%s]: %s: %s",
			    h->name, sa[i].addr, sa[i].no_route ?
			    "not-probed" : "UNKNOWN", sa[i].reason);
			continue;
		}
		families_text(&sa[i], fam, sizeof(fam));
		report_safe_line(stdout, 0, "%s [%s] (%s): %s: %s", h->name,
		    sa[i].addr, fam, dane_roll_verdict_name(r->verdict),
		    r->reason);
		for (size_t c = 0; c < r->n_chains && r->n_chains > 1; c++)
			report_safe_line(stdout, 0, "  %s chain: %s: %s",
			    r->chain[c].key_family,
			    dane_roll_verdict_name(r->chain[c].verdict),
			    r->chain[c].reason);
		report_safe_line(stdout, 0, "  TLSA %s, TTL %lu s",
		    h->tlsa_name, (unsigned long)h->tlsa->ttl);
		print_records(stdout, h->tlsa, r);
	}
}

static json_t *
status_json(const host_q *h, const status_addr *sa, size_t n)
{
	json_t *addrs = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *a = json_pack("{s:s}", "address", sa[i].addr);

		if (sa[i].no_route)
			json_object_set_new(a, "not_probed",
			    json_string(sa[i].reason));
		else if (sa[i].n < 0)
			json_object_set_new(a, "error", json_string(sa[i].reason));
		else
			json_object_set_new(a, "rollover",
			    report_json(h->tlsa, &sa[i].rep));
		json_array_append_new(addrs, a);
	}
	return json_pack("{s:s, s:s, s:o}", "host", h->name, "tlsa_name",
	    h->tlsa_name, "addresses", addrs);
}

/* One host: its worst result. */
static int
status_host(const roll_opts *o, const host_q *h, json_t *arr)
{
	status_addr sa[8];
	char why[400];
	host_result res = tlsa_usable_answer(h->tlsa, why, sizeof(why)), w;
	size_t n, probed = 0;
	int worst = HOST_PASS;

	memset(sa, 0, sizeof(sa));
	if (res != HOST_PASS) {
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s}",
			    "host", h->name, "error", why));
		else
			report_safe_line(stdout, 0, "%s: %s: %s", h->name,
			    res == HOST_FAIL ? "FAIL" : "UNKNOWN", why);
		return (int)res;
	}
	if ((n = status_addrs(o, h, sa, 8)) == 0) {
		report_safe_line(stdout, 0, "%s: UNKNOWN: no address to "
		    "connect to", h->name);
		return HOST_RETRY;
	}
	for (size_t i = 0; i < n; i++) {
		if (sa[i].no_route)
			continue;
		probed++;
		status_fetch(o, h, &sa[i]);
		w = status_verdict(&sa[i]);
		if (w == HOST_FAIL || worst == HOST_PASS)
			worst = worst == HOST_FAIL ? HOST_FAIL : (int)w;
	}
	/* Nothing reachable from here: our limit, not the host's state. */
	if (probed == 0)
		worst = HOST_LOCAL;
	if (arr)
		json_array_append_new(arr, status_json(h, sa, n));
	else
		status_text(h, sa, n);
	for (size_t i = 0; i < n; i++)
		tlsa_gen_chains_free(sa[i].chains, sa[i].n);
	return worst;
}

static int
run_status(roll_opts *o, char **names, size_t n)
{
	host_q *hosts = NULL;
	char err[300];
	int rc, worst = 0, r;
	bool json = want_json(o, &rc);
	json_t *arr = json ? json_array() : NULL;

	if (rc >= 0 || (rc = hosts_from_args(o, names, n, &hosts)) >= 0)
		goto out;
	if (o->connect != NULL && n != 1) {
		rc = usage_error("%s", "--connect works with one host only");
		goto out;
	}
	if ((rc = resolve_hosts(o, hosts, n, o->connect == NULL, err,
	    sizeof(err))) != 0) {
		rc = rc > 0 ? failf(EXIT_INTERRUPTED, "interrupted: nothing "
		    "checked") : failf(EXIT_USAGE, "%s", err);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = status_host(o, &hosts[i], arr);
		worst = worse_result(worst, r);
	}
	rc = worst;
	if (json && emit_json(arr) != 0)
		rc = failf(EXIT_USAGE, "cannot write output");
	arr = NULL;
out:
	json_decref(arr);
	hosts_free(hosts, n);
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
	return usage_error("unknown subcommand \"%s\" (plan, check, status)",
	    sub);
}

static int
run(roll_opts *o, char **names, size_t n)
{
	if (o->cmd == ROLL_PLAN) {
		if (n != 1)
			return usage_error("%s", n ? "plan takes one MX host "
			    "(MX-HOST or --host MX-HOST)" : "plan needs the MX "
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

	opts_init(&o);
	if (argc < 2)
		return usage_error("%s", "give plan, check or status");
	if ((rc = parse_sub(argv[1], &o)) >= 0)
		return rc;
	snprintf(usage_line, sizeof(usage_line), "%.*s (daneprobe rollover "
	    "%s --help)", (int)strcspn(usage_lines[o.cmd], "\n"),
	    usage_lines[o.cmd], roll_cmd_names[o.cmd]);
	roll_usage.line = usage_line;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc - 1, argv + 1, ":" CLI_NET_SHORT_OPTIONS
	    "vh", rollover_options, NULL)) != -1)
		if ((rc = parse_one(c, optarg, argv + 1, &o)) >= 0)
			return rc;
	if ((rc = check_stdin(&o)) >= 0)
		return rc;
	/* The DNS timeout from -t, with check's floor and ceiling. */
	cli_net_finish(&o.net);
	log_set_level(o.verbose >= 2 ? LOG_LEVEL_DEBUG : o.verbose ?
	    LOG_LEVEL_INFO : LOG_LEVEL_WARN);
	names = host_names(argv + 1 + optind, (size_t)(argc - 1 - optind),
	    o.host, &n);
	if (names == NULL)
		return failf(EXIT_USAGE, "out of memory");
	rc = run(&o, names, n);
	free(names);
	OPENSSL_cleanse(o.pw, sizeof(o.pw));  /* a password given needlessly */
	return rc;
}
