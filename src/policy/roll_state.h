/*
 * roll_state.h -- the state of one unattended key rollover of one MX host
 * (`daneprobe rollover run`), its file form, and when each step may run.
 *
 * The steps, in order; each is done when the DNS (or the server) has
 * shown its effect, and each refuses to start before the previous one is
 * done:
 *   stage    the next key exists beside the certificate (mode 0600);
 *   publish  the primary accepted the UPDATE adding "3 1 1 <next>";
 *   wait     every authoritative server serves the RRset with the next
 *            record, DNSSEC-valid; done once the RRset's original TTL
 *            (the RRSIG's field) has passed since that was first seen;
 *   switch   the certificate for the next key is installed and every
 *            address of the host is DANE-verified with it;
 *   retire   the current key's record is deleted (after the new
 *            certificate has been served for one TTL) and no
 *            authoritative server serves it any more.
 * `doing` names a step whose external action (key file, UPDATE, ACME
 * client, reload) was started and not yet recorded as done: the file is
 * written before and after each action, so after a crash the step is run
 * again, and every step's action may be repeated.
 *
 * The file: the line "daneprobe-rollover-state 1", then "key=value" lines,
 * then "end".  A file without the end line (torn), with an unknown key, a
 * repeated key, or a value out of range is refused with the line number:
 * a rollover never goes on from a state it cannot read exactly.
 *
 * Ownership: a roll_state is a plain struct (fixed buffers).
 */
#ifndef DANEPROBE_ROLL_STATE_H
#define DANEPROBE_ROLL_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

typedef enum roll_step {
	ROLL_STEP_NONE = 0, /* nothing done yet */
	ROLL_STEP_STAGE,
	ROLL_STEP_PUBLISH,
	ROLL_STEP_WAIT,
	ROLL_STEP_SWITCH,
	ROLL_STEP_RETIRE,
	ROLL_STEP_COUNT,
} roll_step;

/* "none", "stage", "publish", "wait", "switch", "retire" */
const char *roll_step_name(roll_step s);
/* The step of a name; -1 when none. */
int roll_step_parse(const char *name);

typedef struct roll_state {
	char host[256];        /* the MX host, normalized, no trailing dot */
	int port;              /* SMTP port of the TLSA owner _PORT._tcp.HOST */
	char zone[256];        /* the zone holding the TLSA owner */
	char cert[1024];       /* the certificate file the server uses */
	char key[1024];        /* the current key file */
	char next_key[1024];   /* where the next key is (or will be) */
	char next_alg[8];      /* "ec" or "rsa" */
	char current_spki[65]; /* SHA-256 of the current key's SPKI, hex */
	char next_spki[65];    /* the same for the next key; "" before stage */
	roll_step done;        /* the last step done */
	roll_step doing;    /* started and not recorded done: NONE or done+1 */
	uint32_t ttl;       /* the TLSA RRset's original TTL (wait) */
	time_t visible_at;  /* every server seen serving the next record */
	time_t switched_at; /* new certificate verified on every address */
	time_t updated;     /* last write */
} roll_state;

/* A fresh state: nothing done, port 25, algorithm "ec". */
void roll_state_init(roll_state *s);

/* The file form into buf; the length, or -1 when buf is too small or a
 * value holds a newline (it would end the field). */
int roll_state_format(const roll_state *s, char *buf, size_t len);

/* Parses the file form; 0, or -1 with "line N: why" in err. */
int roll_state_parse(const char *text, roll_state *s, char *err, size_t errlen);

/* Reads `path` (at most 64 KiB); 0, or -1 with the reason in err (a
 * missing file says so: the caller decides whether that means "start"). */
int roll_state_load(const char *path, roll_state *s, char *err, size_t errlen);

/* Writes atomically and durably (util/output_file.h, mode 0600), stamping
 * s->updated with `now`; 0 or -1 with err. */
int roll_state_save(
    const char *path, roll_state *s, time_t now, char *err, size_t errlen);

/* What the state says about running `step` now. */
typedef enum roll_gate {
	ROLL_GATE_GO = 0, /* its preconditions hold (the DNS still decides) */
	ROLL_GATE_WAIT,   /* not yet: a time has to pass (seconds in *left) */
	ROLL_GATE_DONE,   /* already done */
	ROLL_GATE_REFUSE, /* an earlier step is not done (why in err) */
} roll_gate;

/*
 * Pure: may `step` run at `now`?  A step runs only after the one before it
 * is done; switch only once ttl seconds have passed since visible_at
 * (unless skip_wait: the test-only override); retire only once ttl seconds
 * have passed since switched_at.  *left gets the seconds to wait (0 when
 * not waiting).
 */
roll_gate roll_state_gate(const roll_state *s, roll_step step, time_t now,
    bool skip_wait, long *left, char *err, size_t errlen);

/* The step `rollover run` does next: done + 1, or ROLL_STEP_COUNT when
 * the rollover is finished. */
roll_step roll_state_next(const roll_state *s);

/* Records that `step`'s action starts (doing = step) or is done (done =
 * step, doing = NONE).  Pure; the caller saves. */
void roll_state_begin(roll_state *s, roll_step step);
void roll_state_finish(roll_state *s, roll_step step);

/* Seconds until the next step may run (0 when it may run now). */
long roll_state_wait_left(const roll_state *s, time_t now);

#endif
