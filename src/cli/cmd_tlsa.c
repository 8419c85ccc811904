/*
 * cmd_tlsa.c -- `daneprobe tlsa`: the TLSA record to publish for a
 * certificate, a key, or what a live server presents.
 *
 * Exit status: 0 records printed; 1 bad input (unreadable or wrong file,
 * wrong password, server unreachable); 3 bad usage.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cli/cli_args.h"
#include "cli/cli_key.h"
#include "cli/cli_net.h"
#include "cli/commands.h"
#include "dns/dns_name.h"
#include "util/log.h"
#include "util/parse.h"
#include "report/report_safe.h"
#include "tls/tlsa_gen.h"

enum {
	OPT_SERVER = CLI_KEY_OPT_FREE,
	OPT_CONNECT,
	OPT_FAMILY,
	OPT_DEPTH,
	OPT_HOST,
	OPT_TTL,
	OPT_FORMAT,
	OPT_DEBUG
};

static const struct option tlsa_options[] = {
	CLI_KEY_LONG_OPTIONS,
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "key-family", required_argument, NULL, OPT_FAMILY },
	{ "usage", required_argument, NULL, 'u' },
	{ "selector", required_argument, NULL, 's' },
	{ "mtype", required_argument, NULL, 'm' },
	{ "depth", required_argument, NULL, OPT_DEPTH },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "ttl", required_argument, NULL, OPT_TTL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	/* -p (owner name and --server), -t, --helo, -4/-6 (--server) */
	CLI_NET_LONG_OPTIONS,
	CLI_END_LONG_OPTIONS(OPT_DEBUG),
};

void
cmd_tlsa_usage(FILE *out)
{
	fprintf(out,
	    "Usage: daneprobe tlsa (--cert FILE | --key FILE | --server HOST) [options]\n"
	    "\n"
	    "tlsa: print the TLSA record that authenticates a certificate or key\n"
	    "(default 3 1 1: DANE-EE, public key, SHA-256): the zone line with --host\n"
	    "or --server, else the record data alone (\"3 1 1 <hex>\").\n"
	    "\n"
	    "  --cert FILE            certificate or chain, PEM or DER (the leaf, or\n"
	    "                         the issuer for usages 0 and 2, unless --depth);\n"
	    "                         \"-\" reads standard input\n"
	    "  --key FILE             public or private key, PEM or DER (selector 1);\n"
	    "                         \"-\" reads standard input\n"
	    "  --password-file FILE   password of an encrypted private key (first line)\n"
	    "  --password PASS        the same on the command line (ps shows it until\n"
	    "                         daneprobe has read it: prefer --password-file)\n"
	    "  --server HOST          fetch the chain over SMTP STARTTLS, once per key\n"
	    "                         family the server has (ECDSA, RSA)\n"
	    "  --connect ADDR         connect to ADDR instead of resolving HOST\n"
	    "  -4, -6                 --server: that address family only (else an\n"
	    "                         address this host has no route for is skipped)\n"
	    "  --key-family ecdsa|rsa only that key family's certificate\n"
	    "  -u, --usage U          0-3 or pkix-ta, pkix-ee, dane-ta, dane-ee\n"
	    "  -s, --selector S       0-1 or cert, spki\n"
	    "  -m, --mtype M          0-2 or full, sha256, sha512\n"
	    "      --depth N          certificate N of the chain (0 = leaf)\n"
	    "      --host HOST        owner name _PORT._tcp.HOST. (default: --server;\n"
	    "                         without either: the record data only)\n"
	    "  -p, --port PORT        SMTP port (default 25), for the owner and --server\n"
	    "      --ttl SECONDS      TTL in the output (nsupdate: default 3600)\n"
	    "      --format FORMAT    zone (default), nsupdate, generic (RFC 3597), json\n"
	    "  -t, --timeout SECONDS  for --server (default 30)\n"
	    "      --helo NAME        EHLO name for --server (host name or [ADDRESS])\n"
	    "  -v, --verbose / --debug  diagnostics on stderr\n"
	    "  -h, --help             this help\n"
	    "\n"
	    "Warnings on stderr: records SMTP ignores (usages 0, 1), and records of\n"
	    "a whole certificate (3 0 x: breaks at every renewal; 2 0 x: breaks when\n"
	    "the CA re-issues its certificate) where 3 1 1 / 2 1 1 would last.\n"
	    "\n"
	    "Exit status: 0 printed, 1 bad input or server unreachable, 3 usage.\n");
}

typedef struct tlsa_opts {
	const char *server, *connect, *family, *host;
	cli_key_options keys; /* --cert --key --password(-file) */
	uint8_t usage, selector, mtype;
	long depth; /* -1: by usage */
	long ttl;
	tlsa_gen_format format;
	cli_net_options net;  /* -p -t --helo -4 -6 */
	char server_buf[256]; /* --server as an A-label name */
	int verbose;
	cli_seen seen; /* value options given so far */
} tlsa_opts;

#define TLSA_USAGE \
	"Usage: daneprobe tlsa (--cert FILE | --key FILE | " \
	"--server HOST) [options] (daneprobe tlsa --help lists them)"
static const cli_usage tlsa_usage = { "daneprobe tlsa", TLSA_USAGE };
#define usage_error(...) cli_usage_error(&tlsa_usage, __VA_ARGS__)

static const cli_net_words tlsa_words = {
	.timeout_hint = "",
	.both_families = "for both families",
};

/* Returns -1 to go on, or an exit status. */
static int
parse_one(int c, char *arg, char **argv, tlsa_opts *o)
{
	const struct option *opt = NULL;
	char err[300];
	int rc;

	rc = cli_net_option(&o->net, c, arg, err, sizeof(err));
	if (rc == 0)
		rc = cli_key_option(&o->keys, c, arg, err, sizeof(err));
	if (rc != 0)
		return rc > 0 ? -1 : usage_error("%s", err);
	for (const struct option *p = tlsa_options; p->name != NULL; p++)
		if (p->val == c)
			opt = p;
	/* A value given twice would quietly lose one of them. */
	if (opt != NULL && opt->has_arg == required_argument &&
	    cli_seen_once(&o->seen, tlsa_options, c, err, sizeof(err)) != 0)
		return usage_error("%s", err);
	switch (c) {
	case OPT_SERVER:
		o->server = arg;
		break;
	case OPT_CONNECT:
		o->connect = arg;
		break;
	case OPT_HOST:
		o->host = arg;
		break;
	case OPT_FAMILY:
		if (strcasecmp(arg, "ecdsa") != 0 &&
		    strcasecmp(arg, "rsa") != 0)
			return usage_error(
			    "unknown key family \"%s\" (ecdsa or "
			    "rsa)",
			    arg);
		o->family = strcasecmp(arg, "ecdsa") == 0 ? "ECDSA" : "RSA";
		break;
	case 'u':
		if (tlsa_gen_parse_usage(arg, &o->usage, err, sizeof(err)))
			return usage_error("%s", err);
		break;
	case 's':
		if (tlsa_gen_parse_selector(
		        arg, &o->selector, err, sizeof(err)))
			return usage_error("%s", err);
		break;
	case 'm':
		if (tlsa_gen_parse_mtype(arg, &o->mtype, err, sizeof(err)))
			return usage_error("%s", err);
		break;
	case OPT_DEPTH:
		if (parse_long(arg, 0, 31, &o->depth) != 0)
			return usage_error("invalid depth \"%s\"", arg);
		break;
	case OPT_TTL:
		if (parse_long(arg, 0, 2147483647L, &o->ttl) != 0)
			return usage_error("invalid TTL \"%s\"", arg);
		break;
	case OPT_FORMAT:
		if (tlsa_gen_parse_format(arg, &o->format) != 0)
			return usage_error("unknown format \"%s\" (zone, "
			                   "nsupdate, generic, json)",
			    arg);
		break;
	case 'v':
		o->verbose = o->verbose < 1 ? 1 : o->verbose;
		break;
	case OPT_DEBUG:
		o->verbose = 2;
		break;
	case 'h':
		cmd_tlsa_usage(stdout);
		return 0;
	default:
		cli_bad_option(argv, tlsa_options, c, err, sizeof(err));
		return usage_error("%s", err);
	}
	return -1;
}

static void
opts_init(tlsa_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->usage = TLSA_USAGE_DANE_EE;
	o->selector = TLSA_SELECTOR_SPKI;
	o->mtype = TLSA_MTYPE_SHA256;
	o->depth = -1;
	o->format = TLSA_GEN_ZONE;
	/* The same defaults as check: port 25, 30 s, EHLO this host's FQDN. */
	cli_net_init(&o->net, &tlsa_words);
}

static int
check_sources(const tlsa_opts *o)
{
	int sources = !!o->keys.cert + !!o->keys.key + !!o->server;

	if (sources != 1)
		return usage_error("%s",
		    sources ? "give only one of --cert, "
		              "--key, --server" :
		              "give --cert FILE, --key FILE or "
		              "--server HOST");
	if (o->connect && !o->server)
		return usage_error("%s", "--connect needs --server");
	if (o->net.family != 0 && !o->server)
		return usage_error("%s", "-4/-6 need --server");
	if (o->keys.key && o->selector != TLSA_SELECTOR_SPKI)
		return usage_error("%s",
		    "a key gives selector 1 (spki) only; "
		    "selector 0 hashes a whole certificate: use --cert");
	if (o->keys.key && o->depth >= 0)
		return usage_error("%s", "--depth needs --cert or --server");
	if (o->keys.password && o->keys.password_file)
		return usage_error("%s",
		    "--password and --password-file "
		    "contradict each other (give one)");
	if (o->format == TLSA_GEN_NSUPDATE && !o->host && !o->server)
		return usage_error("%s",
		    "--format nsupdate needs an owner "
		    "name: give --host MX-HOST");
	return -1;
}

/* Usage 0 and 2 name a CA: the issuer by default. */
static long
wanted_depth(const tlsa_opts *o)
{
	if (o->depth >= 0)
		return o->depth;
	return o->usage == TLSA_USAGE_DANE_TA ||
	        o->usage == TLSA_USAGE_PKIX_TA ?
	    1 :
	    0;
}

/* A DANE-EE or DANE-TA record of selector 0 names one certificate:
 * usage 3 the server's own, usage 2 its CA's. */
static void
warn_cert_selector(unsigned usage, unsigned mtype)
{
	bool ee = usage == TLSA_USAGE_DANE_EE;

	fprintf(stderr,
	    "daneprobe tlsa: warning: a %u 0 %u record names "
	    "this very %s: it stops matching %s; %u 1 %u (%s) lasts\n",
	    usage, mtype, ee ? "certificate" : "CA certificate",
	    ee ? "at every renewal, even one that keeps the key" :
	         "when the CA re-issues it, even with the same key",
	    usage, mtype, ee ? "the key" : "the CA's key");
}

static void
warn_odd(const tlsa_opts *o, long depth)
{
	if (o->usage == TLSA_USAGE_PKIX_TA || o->usage == TLSA_USAGE_PKIX_EE)
		fprintf(stderr,
		    "daneprobe tlsa: warning: SMTP ignores usage "
		    "%u (%s) records (RFC 7672 section 3.1.3)\n",
		    o->usage, o->usage ? "PKIX-EE" : "PKIX-TA");
	if (o->usage == TLSA_USAGE_DANE_TA && depth == 0)
		fprintf(stderr,
		    "daneprobe tlsa: warning: a DANE-TA record of "
		    "the leaf never matches: DANE-TA names a CA that issued "
		    "it\n");
	if (o->usage == TLSA_USAGE_DANE_EE && depth > 0)
		fprintf(stderr,
		    "daneprobe tlsa: warning: a DANE-EE record of "
		    "a CA certificate never matches: DANE-EE names the leaf\n");
	/* Selector 0 hashes the whole certificate, validity dates and all:
	 * a renewal changes it even when the key stays. */
	if (o->selector == TLSA_SELECTOR_CERT &&
	    (o->usage == TLSA_USAGE_DANE_EE || o->usage == TLSA_USAGE_DANE_TA))
		warn_cert_selector(o->usage, o->mtype);
}

/* One item from certificate `depth` of a chain. */
static int
item_from_chain(const tlsa_opts *o, STACK_OF(X509) * sk, const char *name,
    tlsa_gen_item *it)
{
	long d = wanted_depth(o);
	int n = sk_X509_num(sk);
	char err[300];

	if (d >= n) {
		report_safe_line(stderr, 0,
		    "daneprobe tlsa: %s: %d "
		    "certificate%s, no depth %ld%s",
		    name, n, n == 1 ? "" : "s", d,
		    o->depth < 0 ?
		        " (the issuer, for usage 0/2): give the "
		        "whole chain, e.g. fullchain.pem, or --depth" :
		        "");
		return -1;
	}
	it->cert = sk_X509_value(sk, (int)d);
	it->depth = (int)d;
	if (tlsa_gen_record(it->cert, NULL, o->usage, o->selector, o->mtype,
	        &it->rec, err, sizeof(err)) != 0) {
		report_safe_line(
		    stderr, 0, "daneprobe tlsa: %s: %s", name, err);
		return -1;
	}
	warn_odd(o, d);
	return 0;
}

static int
from_key(tlsa_opts *o, tlsa_gen_item *it)
{
	char err[300];
	EVP_PKEY *key;
	int rc = -1;

	if (cli_key_read_password(&o->keys, err, sizeof(err)) != 0) {
		report_safe_line(stderr, 0, "daneprobe tlsa: %s", err);
		return -1;
	}
	key =
	    tlsa_gen_load_key(o->keys.key, o->keys.password, err, sizeof(err));
	cli_key_wipe(&o->keys);
	if (key == NULL)
		report_safe_line(stderr, 0, "daneprobe tlsa: %s", err);
	else if (tlsa_gen_record(NULL, key, o->usage, o->selector, o->mtype,
	             &it->rec, err, sizeof(err)) != 0)
		report_safe_line(
		    stderr, 0, "daneprobe tlsa: %s: %s", o->keys.key, err);
	else
		rc = 0;
	it->source = "key";
	it->file = o->keys.key;
	it->depth = -1;
	warn_odd(o, -1);
	EVP_PKEY_free(key);
	return rc;
}

static int
emit(const tlsa_opts *o, const tlsa_gen_item *items, size_t n)
{
	char owner[300] = "", err[200];
	const char *host = o->host ? o->host : o->server;

	if (host != NULL &&
	    tlsa_gen_owner(
	        host, o->net.port, owner, sizeof(owner), err, sizeof(err)) != 0)
		return usage_error("--host: %s", err);
	if (tlsa_gen_print(stdout, o->format, host ? owner : NULL,
	        (uint32_t)o->ttl, items, n) != 0 ||
	    fflush(stdout) != 0) {
		fprintf(stderr, "daneprobe tlsa: cannot write output\n");
		return 1;
	}
	return 0;
}

static int
run_cert(const tlsa_opts *o)
{
	char err[300];
	STACK_OF(X509) *sk =
	    tlsa_gen_load_certs(o->keys.cert, err, sizeof(err));
	tlsa_gen_item it = { .source = "cert", .file = o->keys.cert };
	int rc = 1;

	if (sk == NULL)
		report_safe_line(stderr, 0, "daneprobe tlsa: %s", err);
	else if (item_from_chain(o, sk, o->keys.cert, &it) == 0)
		rc = emit(o, &it, 1);
	tlsa_record_clear(&it.rec);
	sk_X509_pop_free(sk, X509_free);
	return rc;
}

static int
run_key(tlsa_opts *o)
{
	tlsa_gen_item it = { .source = "key" };
	int rc = 1;

	if (from_key(o, &it) == 0)
		rc = emit(o, &it, 1);
	tlsa_record_clear(&it.rec);
	return rc;
}

static bool
seen(const tlsa_gen_item *items, size_t n, const tlsa_record *r)
{
	for (size_t i = 0; i < n; i++)
		if (tlsa_record_equal(&items[i].rec, r))
			return true;
	return false;
}

/* One record per key family, unless both name the same (a shared CA). */
static int
run_server(const tlsa_opts *o)
{
	tlsa_gen_fetch_params p = { o->server, o->connect, o->net.port,
		o->net.timeout, o->net.helo, o->family,
		o->net.family == '4'     ? AF_INET :
		    o->net.family == '6' ? AF_INET6 :
		                           AF_UNSPEC };
	tlsa_gen_chain *chains = NULL;
	tlsa_gen_item items[2];
	char err[400];
	size_t n = 0;
	int nch, rc = 1;

	memset(items, 0, sizeof(items));
	if ((nch = tlsa_gen_fetch(&p, &chains, err, sizeof(err))) < 0) {
		report_safe_line(stderr, 0, "daneprobe tlsa: %s", err);
		return 1;
	}
	for (int i = 0; i < nch && i < 2; i++) {
		tlsa_gen_item *it = &items[n];

		it->source = "server";
		it->file = o->server;
		it->key_family =
		    chains[i].key_family[0] ? chains[i].key_family : NULL;
		if (item_from_chain(o, chains[i].certs, o->server, it) != 0)
			goto out;
		if (seen(items, n, &it->rec))
			tlsa_record_clear(&it->rec);
		else
			n++;
	}
	rc = emit(o, items, n);
out:
	for (size_t i = 0; i < 2; i++)
		tlsa_record_clear(&items[i].rec);
	tlsa_gen_chains_free(chains, nch);
	return rc;
}

/* --server as an A-label (IDN) name, as DNS and SNI need it. */
static int
normalize_server(tlsa_opts *o)
{
	char err[300];

	if (o->server == NULL)
		return -1;
	if (dns_name_parse(o->server, o->server_buf, sizeof(o->server_buf), err,
	        sizeof(err)) != 0)
		return usage_error("--server: %s", err);
	o->server = o->server_buf;
	return -1;
}

static int
run(tlsa_opts *o, int argc, char **argv)
{
	int c, rc;

	optind = 1;
	opterr = 0;
	while (
	    (c = getopt_long(argc, argv, ":u:s:m:" CLI_NET_SHORT_OPTIONS "vh",
	         tlsa_options, NULL)) != -1)
		if ((rc = parse_one(c, optarg, argv, o)) >= 0)
			return rc;
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if ((rc = check_sources(o)) >= 0 || (rc = normalize_server(o)) >= 0)
		return rc;
	log_set_level(o->verbose >= 2 ? LOG_LEVEL_DEBUG :
	        o->verbose            ? LOG_LEVEL_INFO :
	                                LOG_LEVEL_WARN);
	if (o->keys.cert)
		return run_cert(o);
	if (o->keys.key)
		return run_key(o);
	return run_server(o);
}

int
cmd_tlsa(int argc, char **argv)
{
	tlsa_opts o;
	int rc;

	opts_init(&o);
	rc = run(&o, argc, argv);
	/* Also when an error came before the key was read. */
	cli_key_wipe(&o.keys);
	return rc;
}
