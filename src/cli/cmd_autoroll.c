/*
 * cmd_autoroll.c -- `daneprobe rollover run|stage|publish|wait|switch|
 * retire|status --state FILE`: a key rollover of one MX host as a
 * resumable procedure (policy/roll_state.h has the steps and their
 * order).  Each step acts only once the DNS (or the server) has shown the
 * previous one; the state file is written before and after every
 * external action, so a crash at any point is followed by `run` doing the
 * interrupted step again (every action may be repeated).
 *
 * Exit status: 0 a step was done or the rollover is finished; 75 waiting
 * (for the DNS or for a TTL: nothing wrong, run again later); 2 a step
 * was refused or failed (one line on stderr and in syslog); 3 usage.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli/autoroll.h"
#include "cli/cli_args.h"
#include "cli/cli_net.h"
#include "cli/commands.h"
#include "dns/dns_name.h"
#include "dns/dns_update.h"
#include "dns/dns_zone.h"
#include "policy/roll_state.h"
#include "report/report_safe.h"
#include "tls/key_gen.h"
#include "util/log.h"
#include "util/output_file.h"
#include "util/va_format.h"

enum {
	OPT_STATE = CLI_NET_OPT_FREE,
	OPT_HOST,
	OPT_ZONE,
	OPT_CERT,
	OPT_KEY,
	OPT_NEXT_KEY,
	OPT_ALGORITHM,
	OPT_TSIG_KEY,
	OPT_PRIMARY,
	OPT_SERVERS,
	OPT_ACME,
	OPT_RELOAD,
	OPT_CONNECT,
	OPT_METRICS,
	OPT_DEBUG
};

static const struct option ar_options[] = {
	{ "state", required_argument, NULL, OPT_STATE },
	{ "host", required_argument, NULL, OPT_HOST },
	{ "zone", required_argument, NULL, OPT_ZONE },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "next-key", required_argument, NULL, OPT_NEXT_KEY },
	{ "algorithm", required_argument, NULL, OPT_ALGORITHM },
	{ "tsig-key", required_argument, NULL, OPT_TSIG_KEY },
	{ "primary", required_argument, NULL, OPT_PRIMARY },
	{ "servers", required_argument, NULL, OPT_SERVERS },
	{ "acme-command", required_argument, NULL, OPT_ACME },
	{ "reload-command", required_argument, NULL, OPT_RELOAD },
	{ "connect", required_argument, NULL, OPT_CONNECT },
	{ "metrics-file", required_argument, NULL, OPT_METRICS },
	CLI_NET_LONG_OPTIONS,
	CLI_NET_DNS_LONG_OPTIONS,
	CLI_END_LONG_OPTIONS(OPT_DEBUG),
};

static cli_usage ar_usage = { "daneprobe rollover",
	"Usage: daneprobe rollover run|stage|publish|wait|switch|retire|status "
	"--state FILE [options] (daneprobe rollover --help)" };
#define usage_error(...) cli_usage_error(&ar_usage, __VA_ARGS__)

static const cli_net_words ar_words = {
	.timeout_hint = "",
	.both_families = "to probe both families",
};

void
cmd_autoroll_help(FILE *out)
{
	fprintf(out,
	    "Usage: daneprobe rollover run|stage|publish|wait|switch|retire|status\n"
	    "           --state FILE [options]\n"
	    "\n"
	    "The rollover of one MX host's key as a procedure that resumes from\n"
	    "its state file (one per host).  Each step refuses to run until the\n"
	    "DNS proves the one before it:\n"
	    "  stage    make the next key beside the certificate (mode 0600)\n"
	    "  publish  add its 3 1 1 record by RFC 2136 UPDATE signed with TSIG\n"
	    "  wait     every authoritative server serves it, DNSSEC-valid, and\n"
	    "           the RRset's original TTL has passed since then\n"
	    "  switch   have the ACME client certify the next key, install it\n"
	    "           once `rollover check --cert` passes, reload the server,\n"
	    "           and DANE-verify every address with the new key\n"
	    "  retire   one TTL later, delete the old key's record and see that\n"
	    "           every authoritative server dropped it\n"
	    "  run      the steps that are due, in order; status: where it is\n"
	    "\n"
	    "Set up (the first run; kept in the state file):\n"
	    "  --state FILE               the state of this host's rollover\n"
	    "  --host MX-HOST             the MX host (TLSA at _PORT._tcp.MX-HOST)\n"
	    "  --zone ZONE                the zone holding that TLSA RRset\n"
	    "  --cert FILE / --key FILE   what the server uses now (replaced by\n"
	    "                             switch)\n"
	    "  --next-key FILE            where stage puts the next key (default\n"
	    "                             KEY.next)\n"
	    "  --algorithm ec|rsa         the next key's (default: the current one's)\n"
	    "  -p, --port PORT            SMTP port (default 25)\n"
	    "Every run:\n"
	    "  --tsig-key FILE            TSIG key (key \"NAME\" { algorithm\n"
	    "                             hmac-sha256; secret \"...\"; }; or NAME:SECRET)\n"
	    "  --primary ADDR[@PORT]      where updates go (default: the SOA's MNAME)\n"
	    "  --servers ADDR[@PORT],...  authoritative servers to ask (default: the\n"
	    "                             addresses of the zone's NS hosts)\n"
	    "  --acme-command CMD         run by switch with sh -c; it finds the\n"
	    "                             request in $DANEPROBE_CSR and writes the\n"
	    "                             certificate chain to $DANEPROBE_CERT_OUT\n"
	    "  --reload-command CMD       makes the server load the new certificate\n"
	    "  --connect ADDR             probe here instead of the host's addresses\n"
	    "  --metrics-file FILE        Prometheus textfile: daneprobe_rollover_state,\n"
	    "                             _wait_seconds_left, _refused\n"
	    "  --resolver ADDR[@PORT] / --trust-anchor FILE   validating lookups\n"
	    "  -t, --timeout SECONDS      per lookup or SMTP conversation\n"
	    "  -v, --verbose / --debug    diagnostics on stderr\n"
	    "\n"
	    "Exit status: 0 a step done (or the rollover finished), 75 waiting for\n"
	    "the DNS or a TTL (run again later), 2 a step refused or failed (one line\n"
	    "on stderr and in syslog), 3 usage.\n"
	    "DANEPROBE_TEST_SKIP_WAIT=1 in the environment lets switch follow\n"
	    "publish at once: for tests that show what waiting prevents, never for\n"
	    "real servers.\n");
}

/* ============================================================ options */

static int
set_text(char *dst, size_t len, const char *arg, const char *what)
{
	if (strlen(arg) >= len || strchr(arg, '\n') != NULL)
		return usage_error(
		    "%s \"%.80s\" is too long or has a newline", what, arg);
	snprintf(dst, len, "%s", arg);
	return -1;
}

static int
parse_setup(int c, const char *arg, autoroll_opts *o)
{
	roll_state *s = &o->setup;
	char err[300];

	switch (c) {
	case OPT_HOST:
		o->have_setup = true;
		if (dns_name_parse(
		        arg, s->host, sizeof(s->host), err, sizeof(err)) != 0)
			return usage_error("%s", err);
		return -1;
	case OPT_ZONE:
		o->have_setup = true;
		if (dns_name_parse(
		        arg, s->zone, sizeof(s->zone), err, sizeof(err)) != 0)
			return usage_error("%s", err);
		return -1;
	case OPT_CERT:
		o->have_setup = true;
		return set_text(s->cert, sizeof(s->cert), arg, "--cert");
	case OPT_KEY:
		o->have_setup = true;
		return set_text(s->key, sizeof(s->key), arg, "--key");
	case OPT_NEXT_KEY:
		o->have_setup = true;
		return set_text(
		    s->next_key, sizeof(s->next_key), arg, "--next-key");
	case OPT_ALGORITHM:
		o->have_setup = true;
		if (strcmp(arg, "ec") != 0 && strcmp(arg, "rsa") != 0)
			return usage_error(
			    "--algorithm: ec or rsa, not \"%.40s\"", arg);
		return set_text(s->next_alg, sizeof(s->next_alg), arg, "");
	default:
		return 0;
	}
}

/* Returns -1 to go on, or an exit status. */
static int
parse_one(int c, char *arg, char **argv, autoroll_opts *o)
{
	char err[300];
	int rc;

	rc = cli_net_option(&o->net, c, arg, err, sizeof(err));
	if (rc != 0)
		return rc > 0 ? -1 : usage_error("%s", err);
	if ((rc = parse_setup(c, arg, o)) != 0)
		return rc;
	switch (c) {
	case OPT_STATE:
		o->state_path = arg;
		break;
	case OPT_TSIG_KEY:
		o->tsig_key = arg;
		break;
	case OPT_PRIMARY:
		o->primary = arg;
		break;
	case OPT_SERVERS:
		o->servers = arg;
		break;
	case OPT_ACME:
		o->acme_command = arg;
		break;
	case OPT_RELOAD:
		o->reload_command = arg;
		break;
	case OPT_CONNECT:
		o->connect = arg;
		break;
	case OPT_METRICS:
		o->metrics_file = arg;
		break;
	case 'v':
		o->verbose = o->verbose < 1 ? 1 : o->verbose;
		break;
	case OPT_DEBUG:
		o->verbose = 2;
		break;
	case 'h':
		cmd_autoroll_help(stdout);
		return 0;
	default:
		cli_bad_option(argv, ar_options, c, err, sizeof(err));
		return usage_error("%s", err);
	}
	return -1;
}

static int
parse_sub(const char *sub, autoroll_opts *o)
{
	int step = roll_step_parse(sub);

	if (strcmp(sub, "run") == 0)
		o->cmd = AUTOROLL_RUN;
	else if (strcmp(sub, "status") == 0)
		o->cmd = AUTOROLL_STATUS;
	else if (step > ROLL_STEP_NONE) {
		o->cmd = AUTOROLL_STEP;
		o->step = (roll_step)step;
	} else
		return usage_error("unknown subcommand \"%s\"", sub);
	return -1;
}

bool
cmd_autoroll_wants(int argc, char **argv)
{
	if (argc < 2)
		return false;
	if (strcmp(argv[1], "run") == 0 || roll_step_parse(argv[1]) > 0)
		return true;
	for (int i = 2; strcmp(argv[1], "status") == 0 && i < argc; i++)
		if (strncmp(argv[i], "--state", 7) == 0)
			return true;
	return false;
}

/* ======================================================= the command */

/* A file name as an absolute path: the next run may start elsewhere
 * (a systemd unit's working directory is /).  -1 to go on, or 3. */
static int
absolute(char *path, size_t len, const char *what)
{
	char cwd[4096], abs[8192];

	if (path[0] == '/' || path[0] == '\0')
		return -1;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return usage_error(
		    "%s: cannot tell the current directory", what);
	snprintf(abs, sizeof(abs), "%s/%s", cwd, path);
	return set_text(path, len, abs, what);
}

static int
absolute_paths(roll_state *s)
{
	int rc;

	if ((rc = absolute(s->cert, sizeof(s->cert), "--cert")) >= 0 ||
	    (rc = absolute(s->key, sizeof(s->key), "--key")) >= 0 ||
	    (rc = absolute(s->next_key, sizeof(s->next_key), "--next-key")) >=
	        0)
		return rc;
	return -1;
}

/* The state: the file's, or (when there is none yet) the setup options'
 * with the current key's digest.  -1 to go on, or an exit status. */
static int
load_or_create(autoroll_opts *o, autoroll_ctx *c)
{
	char err[600];
	EVP_PKEY *key;
	const char *alg;
	int rc;

	if (access(o->state_path, F_OK) == 0) {
		if (roll_state_load(o->state_path, &c->st, err, sizeof(err)) !=
		    0)
			return autoroll_fail(c, "%s", err);
		if (o->have_setup && strcmp(o->setup.host, c->st.host) != 0 &&
		    o->setup.host[0] != '\0')
			return autoroll_fail(c,
			    "%s is the state of %s, not of %s", o->state_path,
			    c->st.host, o->setup.host);
		return -1;
	}
	if (o->cmd == AUTOROLL_STATUS)
		return autoroll_fail(
		    c, "%s: %s", o->state_path, strerror(errno));
	c->st = o->setup;
	c->st.port = o->net.port;
	if (!c->st.host[0] || !c->st.zone[0] || !c->st.cert[0] || !c->st.key[0])
		return usage_error("%s",
		    "a new rollover needs --host, --zone, "
		    "--cert and --key");
	if ((key = key_gen_load(c->st.key, err, sizeof(err))) == NULL)
		return autoroll_fail(c, "%s", err);
	alg = key_gen_alg_of(key);
	if (key_gen_spki_sha256(key, c->st.current_spki) != 0 || alg == NULL) {
		EVP_PKEY_free(key);
		return autoroll_fail(
		    c, "%s: neither an EC nor an RSA key", c->st.key);
	}
	if (!o->algorithm_given)
		snprintf(c->st.next_alg, sizeof(c->st.next_alg), "%s", alg);
	EVP_PKEY_free(key);
	if ((rc = absolute_paths(&c->st)) >= 0)
		return rc;
	if (c->st.next_key[0] == '\0' &&
	    (rc = set_text(c->st.next_key, sizeof(c->st.next_key), c->st.key,
	         "--key")) < 0)
		strncat(c->st.next_key, ".next",
		    sizeof(c->st.next_key) - strlen(c->st.next_key) - 1);
	if (rc >= 0)
		return rc;
	if (strcmp(c->st.next_key, c->st.key) == 0 ||
	    strcmp(c->st.next_key, c->st.cert) == 0)
		return usage_error(
		    "%s", "--next-key must be a file of its own");
	return autoroll_save(c);
}

/* One run at a time per state file: a timer's run and one by hand must
 * not both act.  The lock is the open descriptor (flock), so it goes
 * with the process, however it ends.  -1 to go on, or an exit status. */
static int
lock_state(const autoroll_opts *o, autoroll_ctx *c, int *fd)
{
	char path[4200];

	*fd = -1;
	if (o->cmd == AUTOROLL_STATUS)
		return -1;
	snprintf(path, sizeof(path), "%s.lock", o->state_path);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return autoroll_fail(c, "%s: %s", path, strerror(errno));
	if (flock(*fd, LOCK_EX | LOCK_NB) == 0)
		return -1;
	if (errno != EWOULDBLOCK)
		return autoroll_fail(c, "%s: lock: %s", path, strerror(errno));
	report_safe_line(stderr, 0,
	    "daneprobe rollover: another run holds %s: waiting", path);
	return AUTOROLL_EXIT_WAITING;
}

static void
opts_init(autoroll_opts *o)
{
	memset(o, 0, sizeof(*o));
	cli_net_init(&o->net, &ar_words);
	roll_state_init(&o->setup);
	o->setup.next_alg[0] = '\0';
}

int
cmd_autoroll(int argc, char **argv)
{
	autoroll_opts o;
	autoroll_ctx c;
	int ch, rc, lock = -1;

	opts_init(&o);
	if ((rc = parse_sub(argv[1], &o)) >= 0)
		return rc;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc - 1, argv + 1,
	            ":" CLI_NET_SHORT_OPTIONS "vh", ar_options, NULL)) != -1)
		if ((rc = parse_one(ch, optarg, argv + 1, &o)) >= 0)
			return rc;
	if (optind < argc - 1)
		return usage_error(
		    "unexpected argument \"%s\"", argv[optind + 1]);
	if (o.state_path == NULL)
		return usage_error("%s", "give --state FILE");
	o.algorithm_given = o.setup.next_alg[0] != '\0';
	if (!o.algorithm_given)
		snprintf(o.setup.next_alg, sizeof(o.setup.next_alg), "ec");
	cli_net_finish(&o.net);
	log_set_level(o.verbose >= 2 ? LOG_LEVEL_DEBUG :
	        o.verbose            ? LOG_LEVEL_INFO :
	                               LOG_LEVEL_WARN);
	openlog("daneprobe", LOG_PID, LOG_MAIL);
	autoroll_ctx_init(&c, &o);
	if ((rc = lock_state(&o, &c, &lock)) < 0 &&
	    (rc = load_or_create(&o, &c)) < 0)
		rc = autoroll_dispatch(&c);
	autoroll_write_metrics(&c, rc); /* (nothing before the state is read) */
	autoroll_ctx_clear(&c);
	if (lock >= 0)
		close(lock);
	closelog();
	return rc;
}
