/*
 * smtp_session.h -- one non-blocking SMTP client conversation on a libev
 * loop: connect, banner, EHLO, STARTTLS, TLS handshake, EHLO again, QUIT.
 *
 * The session is an explicit state machine (enum smtp_state); every state
 * runs under an inactivity timer (phase_timeout) and the whole session
 * under an absolute deadline.  It never falls back to cleartext: when
 * STARTTLS is missing or refused the session reports that and QUITs.
 *
 * After "220" to STARTTLS any plaintext the server already sent is thrown
 * away (RFC 3207 section 6 / CVE-2011-0411 style injection) and counted in
 * `discarded_after_starttls`; after the handshake the capabilities learnt in
 * cleartext are forgotten and EHLO is sent again (RFC 3207 section 4.2).
 *
 * Ownership: smtp_session_start() allocates the session and takes ownership
 * of params->ssl (freed by the session in all cases, also on error).  The
 * `done` callback is called exactly once, from the loop, never from
 * smtp_session_start(); the session frees itself after `done` returns, so the
 * callback must not keep `result->ssl`.  smtp_session_abort() ends a session
 * early without calling `done` (must not be called from inside `done`).
 */
#ifndef DANEPROBE_SMTP_SESSION_H
#define DANEPROBE_SMTP_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

struct ev_loop;

typedef enum smtp_state {
	SMTP_STATE_CONNECT = 0,
	SMTP_STATE_BANNER,
	SMTP_STATE_EHLO,
	SMTP_STATE_STARTTLS,
	SMTP_STATE_TLS_HANDSHAKE,
	SMTP_STATE_EHLO_TLS,
	SMTP_STATE_QUIT,
	SMTP_STATE_DONE,
} smtp_state;

const char *smtp_state_name(smtp_state
        s); /* "connect", "banner", "ehlo", "starttls", "tls-handshake", "ehlo-after-tls", "quit", "done" */

typedef enum smtp_outcome {
	SMTP_OUTCOME_TLS_OK = 0, /* handshake done and EHLO over TLS answered */
	SMTP_OUTCOME_NO_STARTTLS,      /* EHLO did not offer STARTTLS */
	SMTP_OUTCOME_STARTTLS_REFUSED, /* STARTTLS answered with non-220 */
	SMTP_OUTCOME_TLS_FAILED,       /* handshake failed */
	SMTP_OUTCOME_CONNECT_FAILED, /* refused, unreachable, reset during connect */
	SMTP_OUTCOME_TIMEOUT, /* a phase's inactivity timer or the deadline fired */
	SMTP_OUTCOME_REJECTED,       /* banner or EHLO not 2xx (e.g. 554) */
	SMTP_OUTCOME_PROTOCOL_ERROR, /* malformed/oversized reply, garbage */
	SMTP_OUTCOME_CLOSED,         /* peer closed or reset mid-conversation */
	SMTP_OUTCOME_NO_TLS_ATTEMPTED, /* params->ssl was NULL: stopped after EHLO */
} smtp_outcome;

const char *smtp_outcome_name(
    smtp_outcome o); /* "tls-ok", "no-starttls", ... */

typedef struct smtp_session smtp_session;

typedef struct smtp_session_result {
	smtp_outcome outcome;
	smtp_state state;  /* state in which the outcome was reached */
	char reason[256];  /* human words, e.g. "no banner within 10s" */
	char banner[256];  /* banner text (first line), printable only */
	unsigned caps;     /* EHLO capabilities in cleartext (SMTP_CAP_*) */
	unsigned tls_caps; /* EHLO capabilities after TLS */
	bool starttls_offered;
	bool
	    tls_established; /* handshake completed (even if later steps failed) */
	size_t discarded_after_starttls; /* injected plaintext bytes dropped */
	/* Durations in milliseconds of each phase; < 0 when not reached. */
	double ms_connect, ms_banner, ms_ehlo, ms_starttls, ms_tls, ms_total;
	SSL *ssl; /* valid only during the done callback; may be NULL */
} smtp_session_result;

typedef void (*smtp_session_done_cb)(const smtp_session_result *res, void *arg);

typedef struct smtp_session_params {
	const struct sockaddr *addr; /* copied */
	socklen_t addrlen;
	const char *helo_name; /* copied; EHLO argument */
	double phase_timeout;  /* seconds of inactivity allowed per phase */
	double deadline;       /* absolute ev_now() time; 0 = none */
	SSL *
	    ssl; /* prepared client SSL (SNI, DANE); owned by session; NULL: no STARTTLS */
	const char *log_id; /* prefix for debug logging; copied */
	smtp_session_done_cb done;
	void *arg;
} smtp_session_params;

/* Returns 0 (session running, *out set if out != NULL), or -1 with reason in
 * err when it could not start (no callback then). */
int smtp_session_start(struct ev_loop *loop, const smtp_session_params *p,
    smtp_session **out, char *err, size_t errlen);

void smtp_session_abort(smtp_session *s);

#endif
