/*
 * autoroll.h -- what the rollover procedure's command (cmd_autoroll.c)
 * and its steps (autoroll_steps.c, autoroll_switch.c) share.
 *
 * Ownership: autoroll_ctx_init() borrows the options; autoroll_ctx_clear()
 * frees what the steps looked up (zone, TSIG key).
 */
#ifndef DANEPROBE_AUTOROLL_H
#define DANEPROBE_AUTOROLL_H

#include <stdbool.h>
#include <stdio.h>

#include "cli/cli_net.h"
#include "dns/dns_update.h"
#include "dns/dns_zone.h"
#include "policy/roll_state.h"

/* Exit status of the procedure (cmd_autoroll.c's header). */
enum {
	AUTOROLL_EXIT_DONE = 0,
	AUTOROLL_EXIT_FAILED = 2,
	AUTOROLL_EXIT_WAITING = 75, /* EX_TEMPFAIL: not an error */
};

typedef enum autoroll_cmd {
	AUTOROLL_RUN,
	AUTOROLL_STEP,
	AUTOROLL_STATUS,
} autoroll_cmd;

typedef struct autoroll_opts {
	autoroll_cmd cmd;
	roll_step step; /* AUTOROLL_STEP */
	const char *state_path;
	roll_state
	    setup; /* --host --zone --cert --key --next-key --algorithm */
	bool have_setup, algorithm_given;
	const char *tsig_key, *primary, *servers;
	const char *acme_command, *reload_command, *connect, *metrics_file;
	cli_net_options net;
	int verbose;
} autoroll_opts;

/* What one step did. */
typedef enum autoroll_outcome {
	AUTOROLL_DONE,    /* the step is done (the state says so) */
	AUTOROLL_WAITING, /* not yet: c->line says for what */
	AUTOROLL_FAILED,  /* refused or failed: c->line says why */
} autoroll_outcome;

typedef struct autoroll_ctx {
	const autoroll_opts *o;
	roll_state st;
	char owner[300]; /* _PORT._tcp.HOST. */
	dns_zone_info zone;
	bool have_zone;
	dns_tsig_key tsig;
	bool have_tsig;
	bool skip_wait; /* DANEPROBE_TEST_SKIP_WAIT=1 */
	bool refused;   /* the last step failed or was refused */
	long wait_left; /* seconds, for status and the metric */
	char line[600]; /* the one line of the last wait or failure */
} autoroll_ctx;

void autoroll_ctx_init(autoroll_ctx *c, const autoroll_opts *o);
void autoroll_ctx_clear(autoroll_ctx *c);

/* One line on stderr and in syslog (LOG_ERR); returns the exit status 2
 * and sets c->refused. */
int autoroll_fail(autoroll_ctx *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Saves the state; -1 to go on, or 2 with the reason said. */
int autoroll_save(autoroll_ctx *c);

/* The subcommand: run, one step, or status; the exit status. */
int autoroll_dispatch(autoroll_ctx *c);

/* The Prometheus textfile, when --metrics-file was given. */
void autoroll_write_metrics(const autoroll_ctx *c, int rc);

/* Shared by the steps: the zone's keys and servers (looked up once), and
 * whether every authoritative server serves the next record validly
 * (want_next) and no longer the current one (!want_current).  0 when
 * they all do; 1 when one does not (c->line says which); -1 on a lookup
 * failure (c->line). */
int autoroll_zone(autoroll_ctx *c);
int autoroll_servers_agree(
    autoroll_ctx *c, bool want_next, bool want_current, uint32_t *max_orig_ttl);

/* The UPDATE: add (true) or delete (false) the 3 1 1 record of spki. */
int autoroll_update(autoroll_ctx *c, bool add, const char *spki);

/* The switch step (autoroll_switch.c). */
autoroll_outcome autoroll_switch(autoroll_ctx *c);

/* Runs `cmd` with sh -c, its stdout on our stderr, with `env` (NULL-ended
 * "NAME=value" list) added; 0 when it exits 0, else -1 with why. */
int autoroll_command(
    const char *cmd, char *const *env, char *why, size_t whylen);

#endif
