/*
 * autoroll_steps.c -- the rollover procedure's steps other than switch:
 * stage, publish, wait and retire, `run` and `status`, the metrics file.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "cli/autoroll.h"
#include "report/report_safe.h"
#include "tls/key_gen.h"
#include "util/output_file.h"
#include "util/va_format.h"

void
autoroll_ctx_init(autoroll_ctx *c, const autoroll_opts *o)
{
	const char *skip = getenv("DANEPROBE_TEST_SKIP_WAIT");

	memset(c, 0, sizeof(*c));
	c->o = o;
	c->skip_wait = skip != NULL && strcmp(skip, "1") == 0;
}

void
autoroll_ctx_clear(autoroll_ctx *c)
{
	dns_zone_info_clear(&c->zone);
	dns_tsig_key_wipe(&c->tsig);
}

int
autoroll_fail(autoroll_ctx *c, const char *fmt, ...)
{
	VA_FORMAT(c->line, fmt);
	c->refused = true;
	report_safe_line(stderr, 0, "daneprobe rollover: %s", c->line);
	syslog(LOG_ERR, "rollover %s: %s", c->st.host, c->line);
	return AUTOROLL_EXIT_FAILED;
}

static void say(autoroll_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Progress and waits: stdout and syslog (LOG_NOTICE). */
static void
say(autoroll_ctx *c, const char *fmt, ...)
{
	VA_FORMAT(c->line, fmt);
	report_safe_line(stdout, 0, "%s", c->line);
	fflush(stdout);
	syslog(LOG_NOTICE, "rollover %s: %s", c->st.host, c->line);
}

int
autoroll_save(autoroll_ctx *c)
{
	char err[600];

	if (roll_state_save(
	        c->o->state_path, &c->st, time(NULL), err, sizeof(err)) != 0)
		return autoroll_fail(c, "cannot save the state: %s", err);
	return -1;
}

/* ===================================================== DNS, shared */

int
autoroll_zone(autoroll_ctx *c)
{
	char err[400];

	snprintf(
	    c->owner, sizeof(c->owner), "_%d._tcp.%s.", c->st.port, c->st.host);
	if (c->have_zone)
		return 0;
	if (dns_zone_lookup(
	        &c->o->net.dns, c->st.zone, &c->zone, err, sizeof(err)) != 0) {
		snprintf(
		    c->line, sizeof(c->line), "zone %s: %s", c->st.zone, err);
		return -1;
	}
	c->have_zone = true;
	return 0;
}

/* The servers to ask: --servers, else the NS hosts' addresses. */
static size_t
server_list(const autoroll_ctx *c, char out[][64], size_t max)
{
	const char *p = c->o->servers;
	size_t n = 0;

	if (p == NULL) {
		for (; n < c->zone.n_servers && n < max; n++)
			memcpy(out[n], c->zone.servers[n], 64);
		return n;
	}
	while (*p != '\0' && n < max) {
		size_t len = strcspn(p, ", ");

		if (len > 0 && len < 64)
			snprintf(out[n++], 64, "%.*s", (int)len, p);
		p += len;
		p += strspn(p, ", ");
	}
	return n;
}

/* One server's answer against what is wanted; 0, or 1 with c->line. */
static int
judge_server(autoroll_ctx *c, const char *srv, const dns_served *s, int rc,
    bool want_next, bool want_current)
{
	bool has_next = dns_served_has_spki(s, c->st.next_spki);
	bool has_cur = dns_served_has_spki(s, c->st.current_spki);

	if (rc != 0)
		snprintf(
		    c->line, sizeof(c->line), "server %s: %s", srv, s->reason);
	else if (want_next && !has_next)
		snprintf(c->line, sizeof(c->line),
		    "server %s does not serve the next key's record yet", srv);
	else if (!want_current && has_cur)
		snprintf(c->line, sizeof(c->line),
		    "server %s still serves the old key's record", srv);
	else
		return 0;
	return 1;
}

int
autoroll_servers_agree(
    autoroll_ctx *c, bool want_next, bool want_current, uint32_t *max_orig_ttl)
{
	char servers[DNS_ZONE_MAX_SERVERS][64];
	size_t n;

	if (autoroll_zone(c) != 0)
		return -1;
	if ((n = server_list(c, servers, DNS_ZONE_MAX_SERVERS)) == 0) {
		snprintf(c->line, sizeof(c->line), "no authoritative server");
		return -1;
	}
	*max_orig_ttl = 0;
	for (size_t i = 0; i < n; i++) {
		dns_served s;
		int rc = dns_zone_served(servers[i], c->owner, &c->zone,
		    time(NULL), c->o->net.dns.timeout_ms, &s);
		int bad = judge_server(
		    c, servers[i], &s, rc, want_next, want_current);

		if (s.orig_ttl > *max_orig_ttl)
			*max_orig_ttl = s.orig_ttl;
		dns_served_clear(&s);
		if (bad)
			return 1;
	}
	return 0;
}

static int
load_tsig(autoroll_ctx *c)
{
	char err[400];

	if (c->have_tsig)
		return 0;
	if (c->o->tsig_key == NULL) {
		snprintf(c->line, sizeof(c->line), "give --tsig-key FILE");
		return -1;
	}
	if (dns_tsig_key_load(c->o->tsig_key, &c->tsig, err, sizeof(err)) !=
	    0) {
		snprintf(c->line, sizeof(c->line), "%s", err);
		return -1;
	}
	c->have_tsig = true;
	return 0;
}

/* The TTL the RRset has at the primary (the original TTL); 0 if unknown. */
static uint32_t
primary_ttl(autoroll_ctx *c, const char *primary)
{
	dns_served s;
	uint32_t ttl;

	dns_zone_served(primary, c->owner, &c->zone, time(NULL),
	    c->o->net.dns.timeout_ms, &s);
	ttl = s.orig_ttl ? s.orig_ttl : s.ttl;
	dns_served_clear(&s);
	return ttl;
}

int
autoroll_update(autoroll_ctx *c, bool add, const char *spki)
{
	const char *primary = c->o->primary;
	char rr[400], err[400];
	dns_update_change ch;
	dns_update_params p;
	dns_update_msg *m = NULL;
	dns_update_result res;
	uint32_t ttl = 0;
	int rc = -1;

	if (load_tsig(c) != 0 || autoroll_zone(c) != 0)
		return -1;
	if (primary == NULL && (primary = c->zone.primary)[0] == '\0') {
		snprintf(c->line, sizeof(c->line),
		    "the SOA's MNAME %s has no address: give --primary",
		    c->zone.mname);
		return -1;
	}
	/* The record joins the RRset with the RRset's own TTL: the wait is
	 * computed from it, and a server may not mix TTLs in one RRset. */
	if (add && (ttl = primary_ttl(c, primary)) == 0) {
		snprintf(c->line, sizeof(c->line),
		    "the primary %s does not serve the TLSA RRset of %s",
		    primary, c->owner);
		return -1;
	}
	snprintf(rr, sizeof(rr), "%s %u IN TLSA 3 1 1 %s", c->owner, ttl, spki);
	ch.op = add ? DNS_UPDATE_ADD : DNS_UPDATE_DELETE;
	ch.rr = rr;
	memset(&p, 0, sizeof(p));
	p.zone = c->st.zone;
	p.changes = &ch;
	p.n_changes = 1;
	/* Never create a TLSA RRset the host did not have: the rollover
	 * changes one that exists. */
	p.exists_owner = c->owner;
	p.exists_type = 52;
	p.id = (uint16_t)(arc4random() & 0xffff);
	p.key = &c->tsig;
	if (dns_update_msg_new(&p, &m, err, sizeof(err)) != 0)
		snprintf(c->line, sizeof(c->line), "%s", err);
	else if (dns_update_send(m, &c->tsig, primary, c->o->net.dns.timeout_ms,
	             &res, err, sizeof(err)) != 0)
		snprintf(c->line, sizeof(c->line), "%s: %s",
		    res.rcode >= 0 ? "the primary refused the update" :
		                     "the update failed",
		    res.rcode >= 0 ? res.reason : err);
	else
		rc = 0;
	dns_update_msg_free(m);
	return rc;
}

/* ============================================================ steps */

static autoroll_outcome
fail_step(autoroll_ctx *c, roll_step step, const char *why)
{
	char copy[600];

	snprintf(copy, sizeof(copy), "%s", why);
	autoroll_fail(c, "%s: %s", roll_step_name(step), copy);
	return AUTOROLL_FAILED;
}

static autoroll_outcome
begin(autoroll_ctx *c, roll_step step)
{
	roll_state_begin(&c->st, step);
	return autoroll_save(c) < 0 ? AUTOROLL_DONE : AUTOROLL_FAILED;
}

static autoroll_outcome
finish(autoroll_ctx *c, roll_step step)
{
	roll_state_finish(&c->st, step);
	if (autoroll_save(c) >= 0)
		return AUTOROLL_FAILED;
	say(c, "%s: done", roll_step_name(step));
	return AUTOROLL_DONE;
}

/* The staged key: the one already there when this step was interrupted
 * after writing it (`resumed`), else a new one.  A file left by an
 * earlier rollover is never taken: it may be the key in use now. */
static EVP_PKEY *
staged_key(autoroll_ctx *c, bool resumed, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;
	const char *alg;
	char spki[65];

	if (resumed && access(c->st.next_key, F_OK) == 0 &&
	    (key = key_gen_load(c->st.next_key, err, errlen)) != NULL &&
	    (alg = key_gen_alg_of(key)) != NULL &&
	    strcmp(alg, c->st.next_alg) == 0 &&
	    key_gen_spki_sha256(key, spki) == 0 &&
	    strcmp(spki, c->st.current_spki) != 0)
		return key;
	EVP_PKEY_free(key);
	if ((key = key_gen_new(c->st.next_alg, err, errlen)) != NULL &&
	    key_gen_write(c->st.next_key, key, err, errlen) != 0) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	return key;
}

static autoroll_outcome
step_stage(autoroll_ctx *c)
{
	bool resumed = c->st.doing == ROLL_STEP_STAGE;
	char err[600];
	EVP_PKEY *key;

	if (begin(c, ROLL_STEP_STAGE) != AUTOROLL_DONE)
		return AUTOROLL_FAILED;
	if ((key = staged_key(c, resumed, err, sizeof(err))) == NULL)
		return fail_step(c, ROLL_STEP_STAGE, err);
	if (key_gen_spki_sha256(key, c->st.next_spki) != 0) {
		EVP_PKEY_free(key);
		return fail_step(c, ROLL_STEP_STAGE, "cannot hash the new key");
	}
	EVP_PKEY_free(key);
	if (strcmp(c->st.next_spki, c->st.current_spki) == 0)
		return fail_step(
		    c, ROLL_STEP_STAGE, "the next key is the current key");
	say(c, "stage: %s key in %s, SPKI SHA-256 %s", c->st.next_alg,
	    c->st.next_key, c->st.next_spki);
	return finish(c, ROLL_STEP_STAGE);
}

static autoroll_outcome
step_publish(autoroll_ctx *c)
{
	if (begin(c, ROLL_STEP_PUBLISH) != AUTOROLL_DONE)
		return AUTOROLL_FAILED;
	/* Adding a record that is there already changes nothing (RFC 2136
	 * section 3.4.2.2): a repeated publish is harmless. */
	if (autoroll_update(c, true, c->st.next_spki) != 0)
		return fail_step(c, ROLL_STEP_PUBLISH, c->line);
	say(c, "publish: the primary added %s TLSA 3 1 1 %s", c->owner,
	    c->st.next_spki);
	return finish(c, ROLL_STEP_PUBLISH);
}

static autoroll_outcome
waiting(autoroll_ctx *c, roll_step step)
{
	char copy[600];

	snprintf(copy, sizeof(copy), "%s", c->line);
	say(c, "%s: waiting: %s", roll_step_name(step), copy);
	return AUTOROLL_WAITING;
}

static autoroll_outcome
step_wait(autoroll_ctx *c)
{
	uint32_t ttl = 0;
	int agree = autoroll_servers_agree(c, true, true, &ttl);
	time_t now = time(NULL);

	if (agree != 0) {
		/* Seen again from the start once every server has it. */
		if (c->st.visible_at != 0) {
			c->st.visible_at = 0;
			if (autoroll_save(c) >= 0)
				return AUTOROLL_FAILED;
		}
		return agree < 0 ? fail_step(c, ROLL_STEP_WAIT, c->line) :
		                   waiting(c, ROLL_STEP_WAIT);
	}
	if (c->st.visible_at == 0 || ttl > c->st.ttl) {
		c->st.visible_at = c->st.visible_at ? c->st.visible_at : now;
		c->st.ttl = ttl;
		if (autoroll_save(c) >= 0)
			return AUTOROLL_FAILED;
	}
	if ((c->wait_left = roll_state_wait_left(&c->st, now)) > 0) {
		snprintf(c->line, sizeof(c->line),
		    "every server serves the next record; %ld s of its TTL "
		    "(%u s) left",
		    c->wait_left, c->st.ttl);
		return waiting(c, ROLL_STEP_WAIT);
	}
	return finish(c, ROLL_STEP_WAIT);
}

static autoroll_outcome
step_retire(autoroll_ctx *c)
{
	uint32_t ttl;
	int agree;

	if (begin(c, ROLL_STEP_RETIRE) != AUTOROLL_DONE)
		return AUTOROLL_FAILED;
	/* Deleting a record that is gone changes nothing: repeatable. */
	if (autoroll_update(c, false, c->st.current_spki) != 0)
		return fail_step(c, ROLL_STEP_RETIRE, c->line);
	agree = autoroll_servers_agree(c, true, false, &ttl);
	if (agree < 0)
		return fail_step(c, ROLL_STEP_RETIRE, c->line);
	if (agree > 0)
		return waiting(c, ROLL_STEP_RETIRE);
	return finish(c, ROLL_STEP_RETIRE);
}

/* ========================================================= dispatch */

static autoroll_outcome
do_step(autoroll_ctx *c, roll_step step)
{
	char err[300];
	roll_gate g = roll_state_gate(&c->st, step, time(NULL), c->skip_wait,
	    &c->wait_left, err, sizeof(err));

	if (g == ROLL_GATE_DONE) {
		say(c, "%s: already done", roll_step_name(step));
		return AUTOROLL_DONE;
	}
	if (g == ROLL_GATE_REFUSE) {
		autoroll_fail(c, "%s", err);
		return AUTOROLL_FAILED;
	}
	if (g == ROLL_GATE_WAIT) {
		snprintf(c->line, sizeof(c->line),
		    "the new certificate must be served for one TTL: %ld s left",
		    c->wait_left);
		return waiting(c, step);
	}
	switch (step) {
	case ROLL_STEP_STAGE:
		return step_stage(c);
	case ROLL_STEP_PUBLISH:
		return step_publish(c);
	case ROLL_STEP_WAIT:
		return step_wait(c);
	case ROLL_STEP_SWITCH:
		return autoroll_switch(c);
	case ROLL_STEP_RETIRE:
		return step_retire(c);
	default:
		return AUTOROLL_DONE;
	}
}

static int
run_due(autoroll_ctx *c)
{
	bool progress = false;
	roll_step step;

	/* With the override, switch comes straight after publish. */
	while ((step = roll_state_next(&c->st)) != ROLL_STEP_COUNT) {
		if (step == ROLL_STEP_WAIT && c->skip_wait)
			step = ROLL_STEP_SWITCH;
		switch (do_step(c, step)) {
		case AUTOROLL_FAILED:
			return AUTOROLL_EXIT_FAILED;
		case AUTOROLL_WAITING:
			return progress ? AUTOROLL_EXIT_DONE :
			                  AUTOROLL_EXIT_WAITING;
		case AUTOROLL_DONE:
			progress = true;
			break;
		}
	}
	say(c, "rollover of %s finished: the server uses the key %s",
	    c->st.host, c->st.next_spki);
	return AUTOROLL_EXIT_DONE;
}

static int
show_status(autoroll_ctx *c)
{
	roll_step next = roll_state_next(&c->st);
	long left = roll_state_wait_left(&c->st, time(NULL));

	c->wait_left = left;
	printf("host:     %s (TLSA _%d._tcp.%s in zone %s)\n", c->st.host,
	    c->st.port, c->st.host, c->st.zone);
	printf("done:     %s%s%s\n", roll_step_name(c->st.done),
	    c->st.doing ? ", interrupted during " : "",
	    c->st.doing ? roll_step_name(c->st.doing) : "");
	printf("next:     %s\n",
	    next == ROLL_STEP_COUNT ? "nothing: finished" :
	                              roll_step_name(next));
	printf("current:  %s (%s)\n", c->st.current_spki, c->st.key);
	printf("next key: %s (%s, %s)\n",
	    c->st.next_spki[0] ? c->st.next_spki : "not staged", c->st.next_alg,
	    c->st.next_key);
	if (c->st.done == ROLL_STEP_PUBLISH && c->st.visible_at == 0)
		printf(
		    "wait:     not every server serves the next record yet\n");
	else if (c->st.done == ROLL_STEP_PUBLISH ||
	    c->st.done == ROLL_STEP_SWITCH)
		printf("wait:     %ld s left (TTL %u s)\n", left, c->st.ttl);
	return fflush(stdout) == 0 ? AUTOROLL_EXIT_DONE : AUTOROLL_EXIT_FAILED;
}

int
autoroll_dispatch(autoroll_ctx *c)
{
	snprintf(
	    c->owner, sizeof(c->owner), "_%d._tcp.%s.", c->st.port, c->st.host);
	switch (c->o->cmd) {
	case AUTOROLL_STATUS:
		return show_status(c);
	case AUTOROLL_RUN:
		return run_due(c);
	case AUTOROLL_STEP:
		switch (do_step(c, c->o->step)) {
		case AUTOROLL_DONE:
			return AUTOROLL_EXIT_DONE;
		case AUTOROLL_WAITING:
			return AUTOROLL_EXIT_WAITING;
		default:
			return AUTOROLL_EXIT_FAILED;
		}
	}
	return AUTOROLL_EXIT_FAILED;
}

/* ========================================================== metrics */

void
autoroll_write_metrics(const autoroll_ctx *c, int rc)
{
	char buf[2048], err[400], host[600];
	int n;

	if (c->o->metrics_file == NULL || c->st.host[0] == '\0')
		return;
	/* A host name has no quote or backslash (dns_name_parse). */
	snprintf(host, sizeof(host), "%s", c->st.host);
	n = snprintf(buf, sizeof(buf),
	    "# HELP daneprobe_rollover_state The last rollover step done "
	    "(0 none, 1 stage, 2 publish, 3 wait, 4 switch, 5 retire).\n"
	    "# TYPE daneprobe_rollover_state gauge\n"
	    "daneprobe_rollover_state{host=\"%s\"} %d\n"
	    "# HELP daneprobe_rollover_wait_seconds_left Seconds until the "
	    "next step may run.\n"
	    "# TYPE daneprobe_rollover_wait_seconds_left gauge\n"
	    "daneprobe_rollover_wait_seconds_left{host=\"%s\"} %ld\n"
	    "# HELP daneprobe_rollover_refused 1 when the last run refused "
	    "or failed a step.\n"
	    "# TYPE daneprobe_rollover_refused gauge\n"
	    "daneprobe_rollover_refused{host=\"%s\"} %d\n",
	    host, (int)c->st.done, host, c->wait_left, host,
	    rc == AUTOROLL_EXIT_FAILED ? 1 : 0);
	if (n > 0 && (size_t)n < sizeof(buf) &&
	    output_file_write(
	        c->o->metrics_file, buf, (size_t)n, err, sizeof(err)) != 0)
		report_safe_line(stderr, 0, "daneprobe rollover: %s", err);
}

/* ========================================================= commands */

int
autoroll_command(const char *cmd, char *const *env, char *why, size_t whylen)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		for (size_t i = 0; env != NULL && env[i] != NULL; i++)
			putenv(env[i]);
		dup2(STDERR_FILENO, STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			snprintf(why, whylen, "waitpid: %s", strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	else
		snprintf(why, whylen, "killed by signal %d",
		    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return -1;
}
