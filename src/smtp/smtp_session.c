/*
 * smtp_session.c -- one non-blocking SMTP client conversation on libev:
 * connect, banner, EHLO, STARTTLS, TLS handshake, EHLO again, QUIT.
 *
 * Shape (after OpenSMTPD's mta_session.c): enter_state() performs the
 * action of a state (send a command, start the handshake), on_reply()
 * chooses the next state from a complete reply, on_io() dispatches socket
 * readiness.  Every outcome is data for the caller; the session never falls
 * back to cleartext and never trusts bytes the server sent early.
 *
 * Timers: each phase gets phase_timeout seconds, restarted with
 * ev_timer_again() when the phase begins (bytes trickling in do not extend
 * it, so a slow-drip server cannot hold us); the whole session also ends at
 * the absolute deadline.
 *
 * Lifetime: finish() stops all I/O and arms a zero-delay timer; its callback
 * calls `done` and then frees the session.  So `done` always runs from the
 * loop (never from smtp_session_start()) and no callback of ours ever runs
 * on a freed session.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "util/ev_compat.h"
#include "util/log.h"
#include "smtp/smtp_reply.h"
#include "smtp/smtp_session.h"
#include "util/va_format.h"

/* A missing 221 is no failure; do not linger for it (seconds). */
#define SMTP_QUIT_WAIT 2.0
/* Plaintext read and dropped after "220" to STARTTLS, at most (bytes). */
#define SMTP_DRAIN_MAX 65536
#define SMTP_HELO_MAX 255

struct smtp_session {
	struct ev_loop *loop;
	ev_io io;
	ev_timer phase_timer;
	ev_timer deadline_timer;
	ev_timer done_timer; /* zero delay: runs `done` from the loop */
	int fd;
	int io_events; /* events io is started with, 0 = stopped */
	smtp_state state;
	SSL *ssl;
	bool tls_active;       /* reads and writes go through ssl */
	int hs_wait;           /* EV_READ/EV_WRITE the handshake waits for */
	int write_wait;        /* same for pending output under TLS */
	bool read_wants_write; /* SSL_read needs the socket writable */
	bool have_outcome;
	bool finished;
	bool in_done;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char helo_name[SMTP_HELO_MAX + 1];
	char log_id[64];
	double phase_timeout;
	double deadline;
	smtp_reply_parser parser;
	char inbuf[4096]; /* received, not yet parsed */
	size_t inlen;
	char outbuf[SMTP_HELO_MAX + 16];
	size_t outlen, outoff;
	ev_tstamp t_start, t_phase;
	smtp_session_done_cb done;
	void *arg;
	smtp_session_result res;
};

static const char *const state_names[] = {
	[SMTP_STATE_CONNECT] = "connect",
	[SMTP_STATE_BANNER] = "banner",
	[SMTP_STATE_EHLO] = "ehlo",
	[SMTP_STATE_STARTTLS] = "starttls",
	[SMTP_STATE_TLS_HANDSHAKE] = "tls-handshake",
	[SMTP_STATE_EHLO_TLS] = "ehlo-after-tls",
	[SMTP_STATE_QUIT] = "quit",
	[SMTP_STATE_DONE] = "done",
};

/* Parallel to state_names, in a mail operator's words: what a phase
 * timeout means ("... within 10.0 s"), when the peer went away, and the
 * command a state sends. */
static const char *const timeout_text[] = {
	[SMTP_STATE_CONNECT] = "connection not established",
	[SMTP_STATE_BANNER] = "server did not send a banner",
	[SMTP_STATE_EHLO] = "no reply to EHLO",
	[SMTP_STATE_STARTTLS] = "no reply to STARTTLS",
	[SMTP_STATE_TLS_HANDSHAKE] = "TLS handshake not completed",
	[SMTP_STATE_EHLO_TLS] = "no reply to EHLO over TLS",
	[SMTP_STATE_QUIT] = "no reply to QUIT",
	[SMTP_STATE_DONE] = "session over",
};

static const char *const command_text[] = {
	[SMTP_STATE_CONNECT] = "(connect)",
	[SMTP_STATE_BANNER] = "(banner)",
	[SMTP_STATE_EHLO] = "EHLO",
	[SMTP_STATE_STARTTLS] = "STARTTLS",
	[SMTP_STATE_TLS_HANDSHAKE] = "(TLS handshake)",
	[SMTP_STATE_EHLO_TLS] = "EHLO over TLS",
	[SMTP_STATE_QUIT] = "QUIT",
	[SMTP_STATE_DONE] = "(done)",
};

static const char *const when_text[] = {
	[SMTP_STATE_CONNECT] = "during connect",
	[SMTP_STATE_BANNER] = "before sending a banner",
	[SMTP_STATE_EHLO] = "after EHLO",
	[SMTP_STATE_STARTTLS] = "after STARTTLS",
	[SMTP_STATE_TLS_HANDSHAKE] = "during the TLS handshake",
	[SMTP_STATE_EHLO_TLS] = "after EHLO over TLS",
	[SMTP_STATE_QUIT] = "after QUIT",
	[SMTP_STATE_DONE] = "after the session ended",
};

static const char *const outcome_names[] = {
	[SMTP_OUTCOME_TLS_OK] = "tls-ok",
	[SMTP_OUTCOME_NO_STARTTLS] = "no-starttls",
	[SMTP_OUTCOME_STARTTLS_REFUSED] = "starttls-refused",
	[SMTP_OUTCOME_TLS_FAILED] = "tls-failed",
	[SMTP_OUTCOME_CONNECT_FAILED] = "connect-failed",
	[SMTP_OUTCOME_TIMEOUT] = "timeout",
	[SMTP_OUTCOME_REJECTED] = "rejected",
	[SMTP_OUTCOME_PROTOCOL_ERROR] = "protocol-error",
	[SMTP_OUTCOME_CLOSED] = "closed",
	[SMTP_OUTCOME_NO_TLS_ATTEMPTED] = "no-tls-attempted",
};

const char *
smtp_state_name(smtp_state s)
{
	if ((unsigned)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "unknown";
	return state_names[s];
}

const char *
smtp_outcome_name(smtp_outcome o)
{
	if ((unsigned)o >= sizeof(outcome_names) / sizeof(outcome_names[0]))
		return "unknown";
	return outcome_names[o];
}

static void enter_state(smtp_session *s, smtp_state next);
static void session_read(smtp_session *s);

/* ---- small helpers ---------------------------------------------------- */

static void
printable_copy(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i + 1 < dstlen; i++)
		dst[i] = (unsigned char)src[i] >= 0x20 &&
		        (unsigned char)src[i] < 0x7f ?
		    src[i] :
		    '?';
	if (dstlen > 0)
		dst[i] = '\0';
}

static double *
phase_ms_field(smtp_session *s, smtp_state st)
{
	switch (st) {
	case SMTP_STATE_CONNECT:
		return &s->res.ms_connect;
	case SMTP_STATE_BANNER:
		return &s->res.ms_banner;
	case SMTP_STATE_EHLO:
		return &s->res.ms_ehlo;
	case SMTP_STATE_STARTTLS:
		return &s->res.ms_starttls;
	case SMTP_STATE_TLS_HANDSHAKE:
		return &s->res.ms_tls;
	default:
		return NULL;
	}
}

/* Records how long the current phase took (once; also when it failed). */
static void
phase_end(smtp_session *s)
{
	double *ms = phase_ms_field(s, s->state);

	if (ms != NULL && *ms < 0)
		*ms = (ev_time() - s->t_phase) * 1000.0;
}

static void
phase_begin(smtp_session *s, smtp_state st, double timeout)
{
	s->state = st;
	s->t_phase = ev_time();
	s->phase_timer.repeat = timeout;
	ev_timer_again(s->loop, &s->phase_timer);
}

/* Watches exactly the events the current state needs. */
static void
io_update(smtp_session *s)
{
	int ev;

	if (s->finished)
		ev = 0;
	else if (s->state == SMTP_STATE_CONNECT)
		ev = EV_WRITE;
	else if (s->state == SMTP_STATE_TLS_HANDSHAKE)
		ev = s->hs_wait;
	else {
		ev = EV_READ;
		if ((s->outoff < s->outlen && s->write_wait == EV_WRITE) ||
		    s->read_wants_write)
			ev |= EV_WRITE;
	}
	if (ev == s->io_events)
		return;
	ev_io_stop(s->loop, &s->io);
	s->io_events = ev;
	if (ev == 0)
		return;
	ev_io_set(&s->io, s->fd, ev);
	ev_io_start(s->loop, &s->io);
}

/* ---- outcome and end of session --------------------------------------- */

/* The first outcome is the one reported; later trouble (e.g. during QUIT)
 * does not overwrite it. */
static void set_outcome(smtp_session *s, smtp_outcome o, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_outcome(smtp_session *s, smtp_outcome o, const char *fmt, ...)
{
	if (s->have_outcome)
		return;
	phase_end(s);
	s->have_outcome = true;
	s->res.outcome = o;
	s->res.state = s->state;
	VA_FORMAT(s->res.reason, fmt);
	log_debug("%s outcome=%s state=%s reason=\"%s\"", s->log_id,
	    smtp_outcome_name(o), smtp_state_name(s->state), s->res.reason);
}

static void
finish(smtp_session *s)
{
	if (s->finished)
		return;
	s->finished = true;
	if (!s->have_outcome)
		set_outcome(s, SMTP_OUTCOME_CLOSED, "session ended");
	s->state = SMTP_STATE_DONE;
	io_update(s);
	ev_timer_stop(s->loop, &s->phase_timer);
	ev_timer_stop(s->loop, &s->deadline_timer);
	s->res.ms_total = (ev_time() - s->t_start) * 1000.0;
	ev_timer_start(s->loop, &s->done_timer);
}

/* Ends the session at once: the connection is not in a state to talk. */
#define fail(s, o, ...) \
	do { \
		set_outcome((s), (o), __VA_ARGS__); \
		finish(s); \
	} while (0)

/* The outcome is known and the server is still talking SMTP: say QUIT. */
#define conclude(s, o, ...) \
	do { \
		set_outcome((s), (o), __VA_ARGS__); \
		enter_state((s), SMTP_STATE_QUIT); \
	} while (0)

static void
session_free(smtp_session *s)
{
	ev_io_stop(s->loop, &s->io);
	ev_timer_stop(s->loop, &s->phase_timer);
	ev_timer_stop(s->loop, &s->deadline_timer);
	ev_timer_stop(s->loop, &s->done_timer);
	SSL_free(s->ssl);
	if (s->fd >= 0)
		close(s->fd);
	smtp_reply_parser_clear(&s->parser);
	free(s);
}

static void
on_done_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	smtp_session *s = w->data;

	s->res.ssl = s->ssl;
	s->in_done = true;
	/* The conversation is over: close the socket before `done`, which may
	 * hand this connection slot to the next session (--per-host must
	 * never be exceeded, not even for a moment).  The SSL object keeps
	 * what inspection needs. */
	ev_io_stop(s->loop, &s->io);
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	s->done(&s->res, s->arg);
	session_free(s);
}

void
smtp_session_abort(smtp_session *s)
{
	/* From inside `done` the session is freed right after anyway. */
	if (s == NULL || s->in_done)
		return;
	session_free(s);
}

/* ---- transport: plaintext socket or TLS ------------------------------- */

enum { IO_AGAIN = 0, IO_EOF = -1, IO_ERROR = -2 };

/* OpenSSL 3 reports a peer that closed without close_notify as an error
 * in the queue rather than as SSL_ERROR_SYSCALL with ret 0. */
static bool
tls_unexpected_eof(void)
{
	unsigned long code = ERR_peek_error();

	return code != 0 && ERR_GET_LIB(code) == ERR_LIB_SSL &&
	    ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING;
}

/* Fills err with the first error of OpenSSL's queue, turning an EOF into
 * words; empties the queue so it does not leak into other modules. */
static void
tls_error_text(int sslerr, int ret, int saved_errno, char *err, size_t errlen)
{
	unsigned long code = ERR_peek_error();

	if (tls_unexpected_eof())
		snprintf(
		    err, errlen, "peer closed connection during handshake");
	else if (code != 0)
		ERR_error_string_n(code, err, errlen);
	else if (sslerr == SSL_ERROR_SYSCALL && ret < 0 && saved_errno != 0)
		snprintf(err, errlen, "%s", strerror(saved_errno));
	else if (sslerr == SSL_ERROR_SYSCALL || sslerr == SSL_ERROR_ZERO_RETURN)
		snprintf(
		    err, errlen, "peer closed connection during handshake");
	else
		snprintf(err, errlen, "OpenSSL error %d", sslerr);
	ERR_clear_error();
}

/* Returns bytes read (> 0), IO_AGAIN, IO_EOF or IO_ERROR (*err_no set,
 * or tls_err filled for a TLS-level failure). */
static ssize_t
transport_read(smtp_session *s, char *buf, size_t len, int *err_no,
    char *tls_err, size_t tls_errlen)
{
	ssize_t n;
	int r, e;

	*err_no = 0;
	tls_err[0] = '\0';
	if (!s->tls_active) {
		do
			n = recv(s->fd, buf, len, 0);
		while (n < 0 && errno == EINTR);
		if (n > 0)
			return n;
		if (n == 0)
			return IO_EOF;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return IO_AGAIN;
		*err_no = errno;
		return IO_ERROR;
	}
	s->read_wants_write = false;
	ERR_clear_error();
	r = SSL_read(s->ssl, buf, (int)len);
	if (r > 0)
		return r;
	*err_no = errno;
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		s->read_wants_write = e == SSL_ERROR_WANT_WRITE;
		return IO_AGAIN;
	}
	if (e == SSL_ERROR_ZERO_RETURN || tls_unexpected_eof() ||
	    (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && r == 0)) {
		ERR_clear_error();
		return IO_EOF;
	}
	if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
		return IO_ERROR;
	tls_error_text(e, r, *err_no, tls_err, tls_errlen);
	*err_no = 0;
	return IO_ERROR;
}

/* Writes pending output.  Returns 0 (all written or waiting for the
 * socket) or -1 with *err_no / err set. */
static int
transport_flush(smtp_session *s, int *err_no, char *err, size_t errlen)
{
	ssize_t n;
	int r, e;

	*err_no = 0;
	err[0] = '\0';
	while (s->outoff < s->outlen) {
		if (!s->tls_active) {
			/* MSG_NOSIGNAL: a closed peer is an outcome, not SIGPIPE. */
			n = send(s->fd, s->outbuf + s->outoff,
			    s->outlen - s->outoff, MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 &&
			    (errno == EAGAIN || errno == EWOULDBLOCK)) {
				s->write_wait = EV_WRITE;
				return 0;
			}
			if (n < 0) {
				*err_no = errno;
				return -1;
			}
			s->outoff += (size_t)n;
			continue;
		}
		ERR_clear_error();
		r = SSL_write(s->ssl, s->outbuf + s->outoff,
		    (int)(s->outlen - s->outoff));
		if (r > 0) {
			s->outoff += (size_t)r;
			continue;
		}
		*err_no = errno;
		e = SSL_get_error(s->ssl, r);
		if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
			s->write_wait =
			    e == SSL_ERROR_WANT_WRITE ? EV_WRITE : EV_READ;
			return 0;
		}
		if (e != SSL_ERROR_SYSCALL || ERR_peek_error() != 0) {
			tls_error_text(e, r, *err_no, err, errlen);
			*err_no = 0;
		}
		return -1;
	}
	s->outlen = s->outoff = 0;
	return 0;
}

static void
write_failed(smtp_session *s, int err_no, const char *tls_err)
{
	const char *why = tls_err[0] != '\0' ? tls_err :
	    err_no == EPIPE || err_no == ECONNRESET ?
	                                       "connection closed by server" :
	                                       strerror(err_no);

	fail(s, SMTP_OUTCOME_CLOSED, "could not send %s: %s",
	    command_text[s->state], why);
}

/* Queues one command line (without CRLF) and starts writing it.  Returns
 * false when the session ended because the write failed. */
static bool
send_command(smtp_session *s, const char *cmd)
{
	char tls_err[160];
	int err_no;
	int n;

	log_debug("%s >>> %s", s->log_id, cmd);
	n = snprintf(s->outbuf, sizeof(s->outbuf), "%s\r\n", cmd);
	s->outlen = (size_t)n;
	s->outoff = 0;
	if (transport_flush(s, &err_no, tls_err, sizeof(tls_err)) < 0) {
		write_failed(s, err_no, tls_err);
		return false;
	}
	io_update(s);
	return true;
}

/* ---- entering states --------------------------------------------------- */

static void
connect_failed(smtp_session *s, int err_no)
{
	switch (err_no) {
	case ECONNREFUSED:
		fail(s, SMTP_OUTCOME_CONNECT_FAILED, "connection refused");
		break;
	case ENETUNREACH:
		fail(s, SMTP_OUTCOME_CONNECT_FAILED, "network unreachable");
		break;
	case EHOSTUNREACH:
		fail(s, SMTP_OUTCOME_CONNECT_FAILED, "host unreachable");
		break;
	case ECONNRESET:
		fail(s, SMTP_OUTCOME_CONNECT_FAILED,
		    "connection reset during connect");
		break;
	case ETIMEDOUT:
		fail(s, SMTP_OUTCOME_CONNECT_FAILED, "connect timed out");
		break;
	default:
		fail(s, SMTP_OUTCOME_CONNECT_FAILED, "connect failed: %s",
		    strerror(err_no));
	}
}

static void
connected(smtp_session *s)
{
	phase_end(s);
	log_debug("%s connected in %.1f ms", s->log_id, s->res.ms_connect);
	enter_state(s, SMTP_STATE_BANNER);
}

static void
enter_connect(smtp_session *s)
{
	phase_begin(s, SMTP_STATE_CONNECT, s->phase_timeout);
	if (connect(s->fd, (struct sockaddr *)&s->addr, s->addrlen) == 0) {
		connected(s);
		return;
	}
	if (errno == EINPROGRESS || errno == EINTR) {
		io_update(s);
		return;
	}
	connect_failed(s, errno);
}

/* RFC 3207 section 6 (CVE-2011-0411): bytes the server sent after its
 * "220" and before the handshake were not protected by TLS; they must never
 * be read as replies to commands sent over TLS.  Drop what we buffered and
 * what is already waiting in the socket (the server may not speak TLS
 * before our ClientHello, so all of it is plaintext). */
static void
discard_injected(smtp_session *s)
{
	char tmp[4096];
	size_t total = s->inlen;
	ssize_t n;

	s->inlen = 0;
	while (total < SMTP_DRAIN_MAX) {
		n = recv(s->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n <= 0)
			break;
		total += (size_t)n;
	}
	s->res.discarded_after_starttls = total;
	if (total > 0)
		log_info("%s discarded %zu bytes of plaintext sent after 220 "
		         "to STARTTLS (possible command injection)",
		    s->log_id, total);
}

static void
tls_handshake_step(smtp_session *s)
{
	char why[200];
	int r, e, saved;

	ERR_clear_error();
	r = SSL_connect(s->ssl);
	if (r == 1) {
		phase_end(s);
		s->res.tls_established = true;
		log_debug("%s TLS established: %s %s", s->log_id,
		    SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl));
		enter_state(s, SMTP_STATE_EHLO_TLS);
		return;
	}
	saved = errno;
	e = SSL_get_error(s->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		s->hs_wait = e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE;
		io_update(s);
		return;
	}
	tls_error_text(e, r, saved, why, sizeof(why));
	fail(s, SMTP_OUTCOME_TLS_FAILED, "TLS handshake failed: %s", why);
}

static void
enter_tls_handshake(smtp_session *s)
{
	char why[200];

	phase_begin(s, SMTP_STATE_TLS_HANDSHAKE, s->phase_timeout);
	discard_injected(s);
	ERR_clear_error();
	if (SSL_set_fd(s->ssl, s->fd) != 1) {
		tls_error_text(SSL_ERROR_SSL, 0, 0, why, sizeof(why));
		fail(s, SMTP_OUTCOME_TLS_FAILED, "TLS setup failed: %s", why);
		return;
	}
	s->tls_active = true;
	s->hs_wait = EV_WRITE;
	tls_handshake_step(s);
}

static void
enter_state(smtp_session *s, smtp_state next)
{
	char cmd[SMTP_HELO_MAX + 8];

	switch (next) {
	case SMTP_STATE_CONNECT:
		enter_connect(s);
		break;
	case SMTP_STATE_BANNER:
		phase_begin(s, next, s->phase_timeout);
		io_update(s);
		break;
	case SMTP_STATE_EHLO:
	case SMTP_STATE_EHLO_TLS:
		phase_begin(s, next, s->phase_timeout);
		snprintf(cmd, sizeof(cmd), "EHLO %s", s->helo_name);
		if (send_command(s, cmd) && next == SMTP_STATE_EHLO_TLS)
			/* Data may already sit in OpenSSL's buffers, where
			 * the socket watcher cannot see it. */
			session_read(s);
		break;
	case SMTP_STATE_STARTTLS:
		phase_begin(s, next, s->phase_timeout);
		send_command(s, "STARTTLS");
		break;
	case SMTP_STATE_TLS_HANDSHAKE:
		enter_tls_handshake(s);
		break;
	case SMTP_STATE_QUIT:
		phase_begin(s, next,
		    s->phase_timeout < SMTP_QUIT_WAIT ? s->phase_timeout :
		                                        SMTP_QUIT_WAIT);
		if (send_command(s, "QUIT"))
			io_update(s);
		else
			finish(s);
		break;
	case SMTP_STATE_DONE:
		finish(s);
		break;
	}
}

/* ---- replies ------------------------------------------------------------ */

static void
on_banner_reply(smtp_session *s, const smtp_reply *r)
{
	char sum[200];

	printable_copy(s->res.banner, sizeof(s->res.banner), r->lines[0]);
	smtp_reply_summary(r, sum, sizeof(sum));
	if (r->code == 220) {
		phase_end(s);
		enter_state(s, SMTP_STATE_EHLO);
	} else if (r->code / 100 == 2)
		fail(s, SMTP_OUTCOME_PROTOCOL_ERROR,
		    "banner has code %d instead of 220: %s", r->code, sum);
	else
		/* RFC 5321 3.1: after a 554 greeting the server waits for QUIT. */
		conclude(s, SMTP_OUTCOME_REJECTED,
		    "server rejected the connection: %s", sum);
}

static void
on_ehlo_reply(smtp_session *s, const smtp_reply *r)
{
	char sum[200];

	smtp_reply_summary(r, sum, sizeof(sum));
	if (r->code != 250) {
		if (r->code / 100 == 2)
			fail(s, SMTP_OUTCOME_PROTOCOL_ERROR,
			    "EHLO answered with %d instead of 250: %s", r->code,
			    sum);
		else
			/* No HELO fallback: only EHLO can offer STARTTLS. */
			conclude(
			    s, SMTP_OUTCOME_REJECTED, "EHLO rejected: %s", sum);
		return;
	}
	phase_end(s);
	s->res.caps = smtp_ehlo_capabilities(r);
	s->res.starttls_offered = (s->res.caps & SMTP_CAP_STARTTLS) != 0;
	if (s->ssl == NULL)
		conclude(s, SMTP_OUTCOME_NO_TLS_ATTEMPTED,
		    "TLS not attempted (STARTTLS %s)",
		    s->res.starttls_offered ? "offered" : "not offered");
	else if (!s->res.starttls_offered)
		conclude(s, SMTP_OUTCOME_NO_STARTTLS,
		    "server does not offer STARTTLS");
	else
		enter_state(s, SMTP_STATE_STARTTLS);
}

static void
on_starttls_reply(smtp_session *s, const smtp_reply *r)
{
	char sum[200];

	if (r->code == 220) {
		phase_end(s);
		enter_state(s, SMTP_STATE_TLS_HANDSHAKE);
		return;
	}
	smtp_reply_summary(r, sum, sizeof(sum));
	conclude(s, SMTP_OUTCOME_STARTTLS_REFUSED, "STARTTLS refused: %s", sum);
}

static void
on_ehlo_tls_reply(smtp_session *s, const smtp_reply *r)
{
	char sum[200];

	smtp_reply_summary(r, sum, sizeof(sum));
	if (r->code == 250) {
		/* RFC 3207 4.2: only what the server says over TLS counts. */
		s->res.tls_caps = smtp_ehlo_capabilities(r);
		conclude(s, SMTP_OUTCOME_TLS_OK, "TLS established (%s, %s)",
		    SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl));
	} else if (r->code / 100 == 2)
		fail(s, SMTP_OUTCOME_PROTOCOL_ERROR,
		    "EHLO over TLS answered with %d instead of 250: %s",
		    r->code, sum);
	else
		conclude(s, SMTP_OUTCOME_REJECTED, "EHLO over TLS rejected: %s",
		    sum);
}

static void
on_reply(smtp_session *s, const smtp_reply *r)
{
	switch (s->state) {
	case SMTP_STATE_BANNER:
		on_banner_reply(s, r);
		break;
	case SMTP_STATE_EHLO:
		on_ehlo_reply(s, r);
		break;
	case SMTP_STATE_STARTTLS:
		on_starttls_reply(s, r);
		break;
	case SMTP_STATE_EHLO_TLS:
		on_ehlo_tls_reply(s, r);
		break;
	case SMTP_STATE_QUIT:
		finish(s); /* 221 or not, we are done */
		break;
	default:
		break;
	}
}

/* ---- input --------------------------------------------------------------- */

static bool
awaiting_reply(const smtp_session *s)
{
	if (s->finished)
		return false;
	switch (s->state) {
	case SMTP_STATE_BANNER:
	case SMTP_STATE_EHLO:
	case SMTP_STATE_STARTTLS:
	case SMTP_STATE_EHLO_TLS:
	case SMTP_STATE_QUIT:
		return true;
	default:
		return false;
	}
}

static void
log_reply(const smtp_session *s, const smtp_reply *r)
{
	char line[SMTP_REPLY_MAX_LINE];
	size_t i;

	if (log_get_level() < LOG_LEVEL_DEBUG)
		return;
	for (i = 0; i < r->nlines; i++) {
		printable_copy(line, sizeof(line), r->lines[i]);
		log_debug("%s <<< %03d%c%s", s->log_id, r->code,
		    i + 1 < r->nlines ? '-' : ' ', line);
	}
	if (r->bare_lf)
		log_debug("%s reply used bare LF line endings", s->log_id);
}

/* Parses what is buffered, acting on each complete reply.  Bytes left
 * over after a reply stay buffered for the next state (or are discarded by
 * the STARTTLS transition).  Returns false once the session stops reading. */
static bool
input_process(smtp_session *s)
{
	smtp_reply r;
	smtp_parse_status st;
	size_t used;

	while (s->inlen > 0 && awaiting_reply(s)) {
		memset(&r, 0, sizeof(r));
		st =
		    smtp_reply_parse(&s->parser, s->inbuf, s->inlen, &used, &r);
		s->inlen -= used;
		memmove(s->inbuf, s->inbuf + used, s->inlen);
		if (st == SMTP_PARSE_NEED_MORE)
			break;
		if (st == SMTP_PARSE_ERROR) {
			if (s->state == SMTP_STATE_QUIT)
				finish(s);
			else if (s->state == SMTP_STATE_BANNER)
				fail(s, SMTP_OUTCOME_PROTOCOL_ERROR,
				    "malformed banner: %s", s->parser.reason);
			else
				fail(s, SMTP_OUTCOME_PROTOCOL_ERROR,
				    "malformed reply to %s: %s",
				    command_text[s->state], s->parser.reason);
			return false;
		}
		log_reply(s, &r);
		on_reply(s, &r);
		smtp_reply_clear(&r);
	}
	return awaiting_reply(s);
}

static void
read_failed(smtp_session *s, ssize_t how, int err_no, const char *tls_err)
{
	bool partial = s->parser.line_len > 0 || s->parser.pending.nlines > 0;

	if (s->state == SMTP_STATE_QUIT) {
		finish(s); /* closing after QUIT is what we asked for */
		return;
	}
	if (how == IO_EOF)
		fail(s, SMTP_OUTCOME_CLOSED,
		    "server closed the connection %s%s", when_text[s->state],
		    partial ? " (reply incomplete)" : "");
	else if (err_no == ECONNRESET)
		fail(s, SMTP_OUTCOME_CLOSED, "connection reset by server %s%s",
		    when_text[s->state], partial ? " (reply incomplete)" : "");
	else if (tls_err[0] != '\0')
		fail(s, SMTP_OUTCOME_PROTOCOL_ERROR, "TLS error %s: %s",
		    when_text[s->state], tls_err);
	else
		fail(s, SMTP_OUTCOME_CLOSED, "read error %s: %s",
		    when_text[s->state], strerror(err_no));
}

static void
session_read(smtp_session *s)
{
	char tls_err[200];
	int err_no;
	ssize_t n;

	/* Bounded: every byte read goes to the parser, which fails at its
	 * line and line-count limits, and each state reads one reply. */
	while (input_process(s)) {
		n = transport_read(s, s->inbuf, sizeof(s->inbuf), &err_no,
		    tls_err, sizeof(tls_err));
		if (n == IO_AGAIN)
			break;
		if (n < 0) {
			read_failed(s, n, err_no, tls_err);
			return;
		}
		s->inlen = (size_t)n;
	}
	io_update(s);
}

/* ---- libev callbacks --------------------------------------------------- */

static void
on_connect_ready(smtp_session *s)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err == EINPROGRESS || err == EINTR)
		return;
	if (err != 0)
		connect_failed(s, err);
	else
		connected(s);
}

static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	smtp_session *s = w->data;
	char tls_err[200];
	int err_no;

	switch (s->state) {
	case SMTP_STATE_CONNECT:
		on_connect_ready(s);
		return;
	case SMTP_STATE_TLS_HANDSHAKE:
		tls_handshake_step(s);
		return;
	default:
		break;
	}
	if (s->outoff < s->outlen &&
	    transport_flush(s, &err_no, tls_err, sizeof(tls_err)) < 0) {
		if (s->state == SMTP_STATE_QUIT)
			finish(s);
		else
			write_failed(s, err_no, tls_err);
		return;
	}
	session_read(s);
}

static void
on_phase_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	smtp_session *s = w->data;
	bool partial = s->parser.line_len > 0 || s->parser.pending.nlines > 0;

	if (s->state == SMTP_STATE_QUIT) {
		finish(s);
		return;
	}
	fail(s, SMTP_OUTCOME_TIMEOUT, "%s within %.1f s%s",
	    timeout_text[s->state], s->phase_timeout,
	    partial ? " (reply incomplete)" : "");
}

static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	smtp_session *s = w->data;

	if (s->state == SMTP_STATE_QUIT) {
		finish(s);
		return;
	}
	fail(s, SMTP_OUTCOME_TIMEOUT, "deadline reached during %s after %.1f s",
	    smtp_state_name(s->state), ev_time() - s->t_start);
}

/* ---- start ----------------------------------------------------------------- */

static bool
helo_name_ok(const char *name)
{
	size_t i, len = name != NULL ? strlen(name) : 0;

	if (len == 0 || len > SMTP_HELO_MAX)
		return false;
	/* Anything else could smuggle a second command into ours. */
	for (i = 0; i < len; i++)
		if ((unsigned char)name[i] <= 0x20 ||
		    (unsigned char)name[i] >= 0x7f)
			return false;
	return true;
}

static const char *
check_params(const smtp_session_params *p)
{
	if (p->addr == NULL || p->done == NULL)
		return "address and done callback are required";
	if (p->addr->sa_family != AF_INET && p->addr->sa_family != AF_INET6)
		return "address family is neither IPv4 nor IPv6";
	if (p->addrlen == 0 || p->addrlen > sizeof(struct sockaddr_storage))
		return "bad address length";
	if (!helo_name_ok(p->helo_name))
		return "EHLO name empty, too long or with spaces/control bytes";
	if (!(p->phase_timeout > 0))
		return "phase timeout must be positive";
	return NULL;
}

static void
session_init(
    smtp_session *s, struct ev_loop *loop, const smtp_session_params *p)
{
	s->loop = loop;
	s->fd = -1;
	s->ssl = p->ssl;
	memcpy(&s->addr, p->addr, p->addrlen);
	s->addrlen = p->addrlen;
	snprintf(s->helo_name, sizeof(s->helo_name), "%s", p->helo_name);
	snprintf(s->log_id, sizeof(s->log_id), "%s",
	    p->log_id != NULL ? p->log_id : "smtp");
	s->phase_timeout = p->phase_timeout;
	s->deadline = p->deadline;
	s->done = p->done;
	s->arg = p->arg;
	s->write_wait = EV_WRITE;
	smtp_reply_parser_init(&s->parser);
	s->res.ms_connect = s->res.ms_banner = s->res.ms_ehlo = -1;
	s->res.ms_starttls = s->res.ms_tls = s->res.ms_total = -1;
	ev_init(&s->io, on_io);
	s->io.data = s;
	ev_init(&s->phase_timer, on_phase_timeout);
	s->phase_timer.data = s;
	ev_timer_init(&s->done_timer, on_done_timer, 0., 0.);
	s->done_timer.data = s;
	ev_init(&s->deadline_timer, on_deadline);
	s->deadline_timer.data = s;
}

int
smtp_session_start(struct ev_loop *loop, const smtp_session_params *p,
    smtp_session **out, char *err, size_t errlen)
{
	const char *bad;
	smtp_session *s;
	double left;

	if (out != NULL)
		*out = NULL;
	if ((bad = check_params(p)) != NULL) {
		snprintf(err, errlen, "%s", bad);
		SSL_free(p->ssl);
		return -1;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		SSL_free(p->ssl);
		return -1;
	}
	session_init(s, loop, p);
	s->fd = socket(
	    p->addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		session_free(s);
		return -1;
	}
	s->t_start = ev_time();
	if (p->deadline > 0) {
		left = p->deadline - ev_now(loop);
		ev_timer_set(&s->deadline_timer, left > 0 ? left : 0., 0.);
		ev_timer_start(loop, &s->deadline_timer);
	}
	enter_state(s, SMTP_STATE_CONNECT);
	if (out != NULL)
		*out = s;
	return 0;
}
