/*
 * test_smtp_session.c -- the SMTP client state machine against scripted,
 * byte-level peers on 127.0.0.1 / ::1 ephemeral ports.
 *
 * Each test forks a peer that plays a script (send bytes, expect a command,
 * stall, reset, do TLS with a certificate made on the spot) and exits 0
 * only if the client sent exactly what the script expected.  The parent runs
 * the session on its own libev loop.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>


#include <criterion/criterion.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include "util/ev_compat.h"
#include "util/log.h"
#include "smtp/smtp_reply.h"
#include "smtp/smtp_session.h"

/* ---- the scripted peer -------------------------------------------------- */

typedef enum step_kind {
	SEND,      /* write data */
	EXPECT,    /* read one line; it must start with data (case-insensitive) */
	READ_ANY,  /* read at least one byte (e.g. the ClientHello) */
	SLEEP,     /* n milliseconds */
	CLOSE,     /* orderly close, end */
	RESET,     /* close with RST, end */
	TLS,       /* SSL_accept with a fresh self-signed certificate */
	FLOOD,     /* write data again and again until the client goes away */
	NOTIFY,    /* write one byte to peer_notify_fd: "I got this far" */
	END,
} step_kind;

typedef struct step {
	step_kind kind;
	const char *data;
	long n;
} step;

#define PEER_OK 0
#define PEER_MISMATCH 3
#define PEER_TLS_FAILED 4

/* Write end of a pipe the parent watches, for NOTIFY steps (-1: none). */
static int peer_notify_fd = -1;

typedef struct peer_conn {
	int fd;
	SSL *ssl;
} peer_conn;

static SSL_CTX *
peer_tls_ctx(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *name;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (key == NULL || x == NULL || ctx == NULL)
		return NULL;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"mx.test", -1, -1, 0);
	X509_set_issuer_name(x, name);
	if (X509_sign(x, key, EVP_sha256()) == 0 ||
	    SSL_CTX_use_certificate(ctx, x) != 1 ||
	    SSL_CTX_use_PrivateKey(ctx, key) != 1)
		return NULL;
	return ctx;
}

static ssize_t
peer_read(peer_conn *c, void *buf, size_t len)
{
	if (c->ssl != NULL)
		return SSL_read(c->ssl, buf, (int)len);
	return read(c->fd, buf, len);
}

static ssize_t
peer_write(peer_conn *c, const void *buf, size_t len)
{
	if (c->ssl != NULL)
		return SSL_write(c->ssl, buf, (int)len);
	return write(c->fd, buf, len);
}

static bool
peer_expect(peer_conn *c, const char *want)
{
	char line[1024];
	size_t n = 0;

	while (n + 1 < sizeof(line)) {
		if (peer_read(c, line + n, 1) != 1)
			return false;
		if (line[n++] == '\n')
			break;
	}
	line[n] = '\0';
	return strncasecmp(line, want, strlen(want)) == 0;
}

static void
peer_flood(peer_conn *c, const char *data)
{
	size_t len = strlen(data);
	long total = 0;

	/* Stops when the client closes, or at 64 MiB as a safety net. */
	while (total < (64L << 20) && peer_write(c, data, len) > 0)
		total += (long)len;
}

static void
peer_reset(peer_conn *c)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(c->fd);
}

static int
peer_run(int lfd, const step *script)
{
	peer_conn c = { .fd = -1 };
	char buf[4096];
	SSL_CTX *ctx;

	c.fd = accept(lfd, NULL, NULL);
	if (c.fd < 0)
		return 2;
	for (; script->kind != END; script++) {
		switch (script->kind) {
		case SEND:
			peer_write(&c, script->data, script->n > 0 ?
			    (size_t)script->n : strlen(script->data));
			break;
		case EXPECT:
			if (!peer_expect(&c, script->data))
				return PEER_MISMATCH;
			break;
		case READ_ANY:
			if (peer_read(&c, buf, sizeof(buf)) <= 0)
				return PEER_MISMATCH;
			break;
		case SLEEP:
			usleep((useconds_t)script->n * 1000);
			break;
		case CLOSE:
			close(c.fd);
			return PEER_OK;
		case RESET:
			peer_reset(&c);
			return PEER_OK;
		case TLS:
			if ((ctx = peer_tls_ctx()) == NULL ||
			    (c.ssl = SSL_new(ctx)) == NULL ||
			    SSL_set_fd(c.ssl, c.fd) != 1 || SSL_accept(c.ssl) != 1)
				return PEER_TLS_FAILED;
			break;
		case FLOOD:
			peer_flood(&c, script->data);
			break;
		case NOTIFY:
			if (write(peer_notify_fd, "!", 1) != 1)
				return PEER_MISMATCH;
			break;
		case END:
			break;
		}
	}
	/* Script done: wait for the client to hang up. */
	while (peer_read(&c, buf, sizeof(buf)) > 0)
		;
	return PEER_OK;
}

typedef struct peer {
	pid_t pid;
	struct sockaddr_storage addr;
	socklen_t addrlen;
} peer;

/* Listens on 127.0.0.1 (or ::1) port 0 and forks the peer.  Returns false
 * when the address family is unavailable. */
static bool
peer_start(peer *p, int family, const step *script)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&p->addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&p->addr;
	int lfd, one = 1;

	memset(p, 0, sizeof(*p));
	p->addr.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		p->addrlen = sizeof(*sin);
	} else {
		sin6->sin6_addr = in6addr_loopback;
		p->addrlen = sizeof(*sin6);
	}
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0)
		return false;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&p->addr, p->addrlen) < 0 ||
	    listen(lfd, 4) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&p->addr, &p->addrlen) < 0) {
		close(lfd);
		return false;
	}
	p->pid = fork();
	cr_assert_geq(p->pid, 0, "fork");
	if (p->pid == 0) {
		alarm(30);      /* never outlive a broken test */
		signal(SIGPIPE, SIG_IGN);
		_exit(peer_run(lfd, script));
	}
	close(lfd);
	return true;
}

/* Reaps the peer; kills it first when asked.  Returns its exit code. */
static int
peer_finish(peer *p, bool kill_it)
{
	int status = 0;

	if (kill_it)
		kill(p->pid, SIGKILL);
	cr_assert_eq(waitpid(p->pid, &status, 0), p->pid);
	if (kill_it)
		return PEER_OK;
	cr_assert(WIFEXITED(status), "peer died from signal %d",
	    WTERMSIG(status));
	return WEXITSTATUS(status);
}

/* ---- the client side ---------------------------------------------------- */

typedef struct done_rec {
	int calls;
	smtp_session_result res;
	bool had_ssl;
	bool ssl_finished;
	double t_done;
} done_rec;

static void
on_done(const smtp_session_result *res, void *arg)
{
	done_rec *d = arg;

	d->calls++;
	d->res = *res;
	d->res.ssl = NULL;
	d->had_ssl = res->ssl != NULL;
	d->ssl_finished = res->ssl != NULL && SSL_is_init_finished(res->ssl);
	d->t_done = ev_time();
}

static SSL *
client_ssl(void)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	SSL *ssl;

	cr_assert_not_null(ctx);
	/* As in dane_tls.c: verification never aborts the handshake. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	ssl = SSL_new(ctx);
	cr_assert_not_null(ssl);
	SSL_set_tlsext_host_name(ssl, "mx.test");
	SSL_CTX_free(ctx);      /* the SSL keeps its own reference */
	return ssl;
}

/* Every failure path must free the session, the SSL and the parser.
 * (Criterion ignores assertions in .fini, so tests call this themselves.) */
static void
assert_no_leaks(void)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "memory leaked");
#endif
}

/* The lowest free descriptor number: if a session leaks its socket, the
 * number differs afterwards (the socket takes the lowest free number). */
static int
lowest_free_fd(void)
{
	int fd = dup(0);

	cr_assert_geq(fd, 0);
	close(fd);
	return fd;
}

typedef struct run_opts {
	bool tls;
	double phase_timeout;   /* 0: 5 s */
	double deadline_in;     /* seconds from now; 0: none; < 0: in the past */
} run_opts;

static struct ev_loop *loop;
static done_rec rec;
static double elapsed;

static void
run_session(const peer *p, run_opts o)
{
	smtp_session_params params = {
		.addr = (const struct sockaddr *)&p->addr,
		.addrlen = p->addrlen,
		.helo_name = "client.test",
		.phase_timeout = o.phase_timeout > 0 ? o.phase_timeout : 5.0,
		.ssl = o.tls ? client_ssl() : NULL,
		.log_id = "test",
		.done = on_done,
		.arg = &rec,
	};
	char err[128] = "";
	smtp_session *s = NULL;
	double t0;
	int fd0 = lowest_free_fd();

	ev_now_update(loop);
	if (o.deadline_in != 0)
		params.deadline = ev_now(loop) + o.deadline_in;
	t0 = ev_time();
	cr_assert_eq(smtp_session_start(loop, &params, &s, err, sizeof(err)), 0,
	    "start: %s", err);
	params.ssl = NULL;      /* the session owns it; and LSan must not see it here */
	cr_assert_not_null(s);
	cr_assert_eq(rec.calls, 0, "done must not run inside start");
	ev_run(loop, 0);
	elapsed = ev_time() - t0;
	cr_assert_eq(rec.calls, 1, "done called %d times", rec.calls);
	cr_assert_eq(lowest_free_fd(), fd0, "socket not closed");
	assert_no_leaks();
}

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	memset(&rec, 0, sizeof(rec));
	loop = ev_loop_new(EVFLAG_AUTO);
	cr_assert_not_null(loop);
	if (getenv("SMTP_TEST_DEBUG") != NULL)
		log_set_level(LOG_LEVEL_DEBUG);
}

static void
teardown(void)
{
	ev_loop_destroy(loop);
	loop = NULL;
}

#define expect_outcome(o) cr_assert_eq(rec.res.outcome, (o), \
	"outcome %s (%s), want %s", smtp_outcome_name(rec.res.outcome), \
	rec.res.reason, smtp_outcome_name(o))

TestSuite(smtp_session, .init = setup, .fini = teardown);

/* ---- scripts ------------------------------------------------------------ */

#define BANNER { SEND, "220 mx.test ESMTP ready\r\n", 0 }
#define EHLO_IN { EXPECT, "EHLO client.test\r\n", 0 }
#define EHLO_TLS_OUT { SEND, "250-mx.test\r\n250-PIPELINING\r\n" \
	"250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n", 0 }
#define QUIT_221 { EXPECT, "QUIT\r\n", 0 }, { SEND, "221 2.0.0 bye\r\n", 0 }
#define CAPS_CLEAR (SMTP_CAP_PIPELINING | SMTP_CAP_SIZE | SMTP_CAP_STARTTLS | \
	SMTP_CAP_8BITMIME)

static const step script_plain[] = {
	BANNER, EHLO_IN, EHLO_TLS_OUT, QUIT_221, { END, NULL, 0 },
};

Test(smtp_session, null_ssl_stops_after_ehlo_with_caps, .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_plain));
	run_session(&p, (run_opts){ .tls = false });
	expect_outcome(SMTP_OUTCOME_NO_TLS_ATTEMPTED);
	cr_assert_eq(rec.res.state, SMTP_STATE_EHLO);
	cr_assert_eq(rec.res.caps, CAPS_CLEAR);
	cr_assert(rec.res.starttls_offered);
	cr_assert_not(rec.res.tls_established);
	cr_assert_str_eq(rec.res.banner, "mx.test ESMTP ready");
	cr_assert_str_eq(rec.res.reason, "TLS not attempted (STARTTLS offered)");
	cr_assert_geq(rec.res.ms_connect, 0);
	cr_assert_geq(rec.res.ms_banner, 0);
	cr_assert_geq(rec.res.ms_ehlo, 0);
	cr_assert_lt(rec.res.ms_starttls, 0);
	cr_assert_lt(rec.res.ms_tls, 0);
	cr_assert_geq(rec.res.ms_total, rec.res.ms_ehlo);
	cr_assert_not(rec.had_ssl);
	cr_assert_eq(peer_finish(&p, false), PEER_OK, "peer saw a wrong command");
}

Test(smtp_session, ipv6_loopback_works_like_ipv4, .timeout = 10)
{
	peer p;

	if (!peer_start(&p, AF_INET6, script_plain))
		cr_skip_test("no ::1 on this machine");
	run_session(&p, (run_opts){ .tls = false });
	expect_outcome(SMTP_OUTCOME_NO_TLS_ATTEMPTED);
	cr_assert_eq(rec.res.caps, CAPS_CLEAR);
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

static const step script_no_starttls[] = {
	BANNER, EHLO_IN,
	{ SEND, "250-mx.test\r\n250-STARTTLSX\r\n250 PIPELINING\r\n", 0 },
	QUIT_221, { END, NULL, 0 },
};

Test(smtp_session, missing_starttls_is_reported_and_quit_politely,
    .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_no_starttls));
	run_session(&p, (run_opts){ .tls = true });
	expect_outcome(SMTP_OUTCOME_NO_STARTTLS);
	cr_assert_str_eq(rec.res.reason, "server does not offer STARTTLS");
	cr_assert_eq(rec.res.caps, SMTP_CAP_PIPELINING);
	cr_assert_not(rec.res.starttls_offered);
	cr_assert_lt(rec.res.ms_tls, 0);
	cr_assert(rec.had_ssl, "the SSL is handed back even when unused");
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

static const step script_454[] = {
	BANNER, EHLO_IN, EHLO_TLS_OUT,
	{ EXPECT, "STARTTLS\r\n", 0 },
	{ SEND, "454 4.7.0 TLS not available\r\n", 0 },
	QUIT_221, { END, NULL, 0 },
};

static const step script_554[] = {
	{ SEND, "554 5.7.1 mx.test no SMTP service here\r\n", 0 },
	QUIT_221, { END, NULL, 0 },
};

/* The peer accepts only QUIT after the 550: a HELO fallback would make it
 * exit with PEER_MISMATCH. */
static const step script_ehlo_550[] = {
	BANNER, EHLO_IN,
	{ SEND, "550 5.5.1 EHLO not welcome\r\n", 0 },
	QUIT_221, { END, NULL, 0 },
};

static const step script_tarpit[] = {
	{ SLEEP, NULL, 20000 }, { END, NULL, 0 },
};

Test(smtp_session, silent_server_times_out_within_phase_timeout,
    .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_tarpit));
	run_session(&p, (run_opts){ .tls = true, .phase_timeout = 0.5 });
	expect_outcome(SMTP_OUTCOME_TIMEOUT);
	cr_assert_eq(rec.res.state, SMTP_STATE_BANNER);
	cr_assert_str_eq(rec.res.reason,
	    "server did not send a banner within 0.5 s");
	cr_assert_geq(elapsed, 0.45, "gave up too early: %.3f s", elapsed);
	cr_assert_leq(elapsed, 1.5, "took %.3f s", elapsed);
	cr_assert_geq(rec.res.ms_banner, 450);
	peer_finish(&p, true);
}

/* A server that drips one line per 300 ms gets no more time: the phase
 * timer runs from the start of the phase, not from the last byte. */
static const step script_drip[] = {
	BANNER, EHLO_IN,
	{ SEND, "250-mx.test\r\n", 0 }, { SLEEP, NULL, 300 },
	{ SEND, "250-PIPELINING\r\n", 0 }, { SLEEP, NULL, 300 },
	{ SEND, "250-SIZE 1\r\n", 0 }, { SLEEP, NULL, 300 },
	{ SEND, "250-8BITMIME\r\n", 0 }, { SLEEP, NULL, 300 },
	{ SEND, "250 STARTTLS\r\n", 0 }, { SLEEP, NULL, 20000 },
	{ END, NULL, 0 },
};

Test(smtp_session, dripping_reply_does_not_extend_phase, .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_drip));
	run_session(&p, (run_opts){ .tls = true, .phase_timeout = 0.7 });
	expect_outcome(SMTP_OUTCOME_TIMEOUT);
	cr_assert_eq(rec.res.state, SMTP_STATE_EHLO);
	cr_assert_str_eq(rec.res.reason,
	    "no reply to EHLO within 0.7 s (reply incomplete)");
	cr_assert_leq(elapsed, 1.5, "took %.3f s", elapsed);
	peer_finish(&p, true);
}

Test(smtp_session, deadline_shorter_than_phase_timeout_wins, .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_tarpit));
	run_session(&p, (run_opts){ .tls = true, .phase_timeout = 5.0,
	    .deadline_in = 0.3 });
	expect_outcome(SMTP_OUTCOME_TIMEOUT);
	cr_assert(strncmp(rec.res.reason, "deadline reached during banner",
	    30) == 0, "%s", rec.res.reason);
	cr_assert_geq(elapsed, 0.25, "%.3f s", elapsed);
	cr_assert_leq(elapsed, 1.0, "took %.3f s", elapsed);
	peer_finish(&p, true);
}

Test(smtp_session, deadline_already_passed_ends_from_the_loop, .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_tarpit));
	run_session(&p, (run_opts){ .tls = true, .deadline_in = -1.0 });
	expect_outcome(SMTP_OUTCOME_TIMEOUT);
	cr_assert_leq(elapsed, 0.5, "took %.3f s", elapsed);
	peer_finish(&p, true);
}

Test(smtp_session, closed_port_is_connect_failed, .timeout = 10)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	peer p = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	/* An ephemeral port that nobody listens on once we close it. */
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	memcpy(&p.addr, &sin, sizeof(sin));
	p.addrlen = sizeof(sin);
	run_session(&p, (run_opts){ .tls = true });
	expect_outcome(SMTP_OUTCOME_CONNECT_FAILED);
	cr_assert_eq(rec.res.state, SMTP_STATE_CONNECT);
	cr_assert_str_eq(rec.res.reason, "connection refused");
	cr_assert_lt(rec.res.ms_banner, 0);
}

static const step script_http[] = {
	{ SEND, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", 0 },
	{ END, NULL, 0 },
};

static const step script_endless[] = {
	BANNER, EHLO_IN, { FLOOD, "250-XYZZY\r\n", 0 }, { END, NULL, 0 },
};

static const step script_long_line[] = {
	BANNER, EHLO_IN, { SEND, "250-", 0 }, { FLOOD, "AAAAAAAAAAAAAAAA", 0 },
	{ END, NULL, 0 },
};

static const step script_reset[] = {
	BANNER, EHLO_IN, { SEND, "250-mx.test\r\n250-PIPE", 0 },
	{ SLEEP, NULL, 100 }, { RESET, NULL, 0 }, { END, NULL, 0 },
};

static const step script_close_after_ehlo[] = {
	BANNER, EHLO_IN, { CLOSE, NULL, 0 }, { END, NULL, 0 },
};

/* ---- refusals, protocol errors, closes: one table ----------------------- */

static void
check_454(void)
{
	cr_assert_geq(rec.res.ms_starttls, 0);
	cr_assert_not(rec.res.tls_established);
}

static void
check_554(void)
{
	cr_assert_str_eq(rec.res.banner, "5.7.1 mx.test no SMTP service here");
	cr_assert_lt(rec.res.ms_ehlo, 0);
}

/* A session with TLS wanted against a script that ends it early; the
 * peer must have seen exactly the commands it expected (for the 550 to
 * EHLO: a QUIT, no HELO fallback). */
typedef struct ending_case {
	const char *what;
	const step *script;
	smtp_outcome outcome;
	int state;            /* -1: not checked */
	const char *reason;
	double max_elapsed;   /* seconds; 0: not checked */
	void (*check)(void);  /* more to check, or NULL */
} ending_case;

static const ending_case ending_cases[] = {
	{ "starttls 454", script_454, SMTP_OUTCOME_STARTTLS_REFUSED,
	  SMTP_STATE_STARTTLS,
	  "STARTTLS refused: 454 4.7.0 TLS not available", 0, check_454 },
	{ "banner 554", script_554, SMTP_OUTCOME_REJECTED, SMTP_STATE_BANNER,
	  "server rejected the connection: "
	  "554 5.7.1 mx.test no SMTP service here", 0, check_554 },
	{ "ehlo 550", script_ehlo_550, SMTP_OUTCOME_REJECTED, SMTP_STATE_EHLO,
	  "EHLO rejected: 550 5.5.1 EHLO not welcome", 0, NULL },
	{ "garbage banner", script_http, SMTP_OUTCOME_PROTOCOL_ERROR, -1,
	  "malformed banner: malformed reply code \"HTTP/1.1\"", 0, NULL },
	{ "endless continuation", script_endless, SMTP_OUTCOME_PROTOCOL_ERROR,
	  -1, "malformed reply to EHLO: reply has more than 128 lines", 2.0,
	  NULL },
	{ "endless line", script_long_line, SMTP_OUTCOME_PROTOCOL_ERROR, -1,
	  "malformed reply to EHLO: reply line longer than 2048 bytes", 2.0,
	  NULL },
	{ "reset mid EHLO", script_reset, SMTP_OUTCOME_CLOSED, SMTP_STATE_EHLO,
	  "connection reset by server after EHLO (reply incomplete)", 0,
	  NULL },
	{ "close after EHLO", script_close_after_ehlo, SMTP_OUTCOME_CLOSED, -1,
	  "server closed the connection after EHLO", 0, NULL },
};

Test(smtp_session, refusals_protocol_errors_and_closes_end_the_session,
    .timeout = 30)
{
	for (size_t i = 0; i < sizeof(ending_cases) / sizeof(ending_cases[0]);
	    i++) {
		const ending_case *c = &ending_cases[i];
		peer p;

		memset(&rec, 0, sizeof(rec));
		cr_assert(peer_start(&p, AF_INET, c->script), "%s", c->what);
		run_session(&p, (run_opts){ .tls = true });
		expect_outcome(c->outcome);
		if (c->state >= 0)
			cr_assert_eq(rec.res.state, c->state, "%s: state %s",
			    c->what, smtp_state_name(rec.res.state));
		cr_assert_str_eq(rec.res.reason, c->reason, "%s", c->what);
		if (c->max_elapsed > 0)
			cr_assert_leq(elapsed, c->max_elapsed,
			    "%s: took %.3f s", c->what, elapsed);
		if (c->check != NULL)
			c->check();
		cr_assert_eq(peer_finish(&p, false), PEER_OK,
		    "%s: the peer saw a wrong command", c->what);
	}
}

static const step script_bare_lf[] = {
	{ SEND, "220 lax.test\n", 0 }, EHLO_IN,
	{ SEND, "250-lax.test\n250 starttls\n", 0 },
	{ EXPECT, "QUIT\r\n", 0 }, { CLOSE, NULL, 0 }, { END, NULL, 0 },
};

Test(smtp_session, bare_lf_server_is_tolerated_and_no_221_is_fine,
    .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_bare_lf));
	run_session(&p, (run_opts){ .tls = false });
	expect_outcome(SMTP_OUTCOME_NO_TLS_ATTEMPTED);
	cr_assert_eq(rec.res.caps, SMTP_CAP_STARTTLS);
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

static const step script_quit_tarpit[] = {
	BANNER, EHLO_IN, { SEND, "250 mx.test\r\n", 0 },
	{ EXPECT, "QUIT\r\n", 0 }, { SLEEP, NULL, 20000 }, { END, NULL, 0 },
};

Test(smtp_session, missing_221_does_not_change_outcome, .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_quit_tarpit));
	run_session(&p, (run_opts){ .tls = true, .phase_timeout = 8.0 });
	expect_outcome(SMTP_OUTCOME_NO_STARTTLS);
	cr_assert_leq(elapsed, 3.0, "waited %.3f s for 221", elapsed);
	peer_finish(&p, true);
}

#define STARTTLS_220 { EXPECT, "STARTTLS\r\n", 0 }, \
	{ SEND, "220 2.0.0 Ready to start TLS\r\n", 0 }
#define EHLO_OVER_TLS { SEND, "250-mx.test\r\n250-SIZE 10240000\r\n" \
	"250-AUTH PLAIN LOGIN\r\n250 REQUIRETLS\r\n", 0 }

static const step script_tls[] = {
	BANNER, EHLO_IN, EHLO_TLS_OUT, STARTTLS_220, { TLS, NULL, 0 },
	EHLO_IN, EHLO_OVER_TLS, QUIT_221, { END, NULL, 0 },
};

Test(smtp_session, starttls_handshake_and_ehlo_again_is_tls_ok,
    .timeout = 15)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_tls));
	run_session(&p, (run_opts){ .tls = true });
	expect_outcome(SMTP_OUTCOME_TLS_OK);
	cr_assert_eq(rec.res.state, SMTP_STATE_EHLO_TLS);
	cr_assert(rec.res.tls_established);
	cr_assert_eq(rec.res.caps, CAPS_CLEAR);
	cr_assert_eq(rec.res.tls_caps, SMTP_CAP_SIZE | SMTP_CAP_REQUIRETLS,
	    "capabilities re-learnt over TLS: %#x", rec.res.tls_caps);
	cr_assert_eq(rec.res.discarded_after_starttls, 0);
	cr_assert(rec.had_ssl && rec.ssl_finished,
	    "done sees the completed SSL");
	cr_assert_geq(rec.res.ms_starttls, 0);
	cr_assert_geq(rec.res.ms_tls, 0);
	cr_assert(strncmp(rec.res.reason, "TLS established (TLSv1.3", 24) == 0,
	    "%s", rec.res.reason);
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

/* CVE-2011-0411 style: the 220 and a command in one write.  The command
 * must be dropped before the handshake, not read as a reply later. */
static const step script_injection[] = {
	BANNER, EHLO_IN, EHLO_TLS_OUT, { EXPECT, "STARTTLS\r\n", 0 },
	{ SEND, "220 Ready\r\nMAIL FROM:<x>\r\n", 0 }, { TLS, NULL, 0 },
	EHLO_IN, EHLO_OVER_TLS, QUIT_221, { END, NULL, 0 },
};

Test(smtp_session, plaintext_after_starttls_220_is_discarded, .timeout = 15)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_injection));
	run_session(&p, (run_opts){ .tls = true });
	expect_outcome(SMTP_OUTCOME_TLS_OK);
	cr_assert_eq(rec.res.discarded_after_starttls, strlen("MAIL FROM:<x>\r\n"));
	cr_assert_eq(rec.res.tls_caps, SMTP_CAP_SIZE | SMTP_CAP_REQUIRETLS);
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

static const step script_close_after_220[] = {
	BANNER, EHLO_IN, EHLO_TLS_OUT, STARTTLS_220, { READ_ANY, NULL, 0 },
	{ CLOSE, NULL, 0 }, { END, NULL, 0 },
};

Test(smtp_session, peer_closing_in_handshake_is_tls_failed, .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_close_after_220));
	run_session(&p, (run_opts){ .tls = true });
	expect_outcome(SMTP_OUTCOME_TLS_FAILED);
	cr_assert_eq(rec.res.state, SMTP_STATE_TLS_HANDSHAKE);
	cr_assert_str_eq(rec.res.reason,
	    "TLS handshake failed: peer closed connection during handshake");
	cr_assert_not(rec.res.tls_established);
	cr_assert_geq(rec.res.ms_tls, 0);
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

static const step script_not_tls[] = {
	BANNER, EHLO_IN, EHLO_TLS_OUT, STARTTLS_220, { READ_ANY, NULL, 0 },
	{ SEND, "500 5.5.1 what is this\r\n", 0 }, { END, NULL, 0 },
};

Test(smtp_session, cleartext_answer_to_clienthello_is_tls_failed,
    .timeout = 10)
{
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_not_tls));
	run_session(&p, (run_opts){ .tls = true });
	expect_outcome(SMTP_OUTCOME_TLS_FAILED);
	cr_assert(strncmp(rec.res.reason, "TLS handshake failed: error:", 28)
	    == 0, "%s", rec.res.reason);
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

static int abort_done_calls;

static void
count_done(const smtp_session_result *res, void *arg)
{
	abort_done_calls++;
}

static int abort_calls;

/* The peer has read the ClientHello and will never answer it: the session
 * is in the middle of its TLS handshake now, whatever the machine's load. */
static void
abort_on_notify(struct ev_loop *l, ev_io *w, int revents)
{
	char c;

	cr_assert_eq(read(w->fd, &c, 1), 1);
	ev_io_stop(l, w);
	abort_calls++;
	smtp_session_abort(w->data);
}

/* STARTTLS accepted, the ClientHello read, then silence until the client
 * hangs up (END waits for that). */
static const step script_tls_stall[] = {
	BANNER, EHLO_IN, EHLO_TLS_OUT, STARTTLS_220, { READ_ANY, NULL, 0 },
	{ NOTIFY, NULL, 0 }, { END, NULL, 0 },
};

Test(smtp_session, abort_frees_without_callback, .timeout = 10)
{
	smtp_session_params params = {
		.helo_name = "client.test", .phase_timeout = 5.0,
		.done = count_done,
	};
	smtp_session *s = NULL;
	ev_io notified;
	char err[64];
	int fds[2];
	peer p;

	cr_assert_eq(pipe(fds), 0);
	peer_notify_fd = fds[1];
	cr_assert(peer_start(&p, AF_INET, script_tls_stall));
	close(fds[1]);
	peer_notify_fd = -1;
	params.addr = (const struct sockaddr *)&p.addr;
	params.addrlen = p.addrlen;
	params.ssl = client_ssl();
	cr_assert_eq(smtp_session_start(loop, &params, &s, err, sizeof(err)), 0);
	params.ssl = NULL;
	ev_io_init(&notified, abort_on_notify, fds[0], EV_READ);
	notified.data = s;
	ev_io_start(loop, &notified);
	ev_run(loop, 0);        /* returns once the aborted session is gone */
	close(fds[0]);
	cr_assert_eq(abort_calls, 1, "the peer never saw the ClientHello");
	cr_assert_eq(abort_done_calls, 0);
	smtp_session_abort(NULL);
	assert_no_leaks();
	/* The abort closed the socket: the peer saw the hang-up and exits. */
	cr_assert_eq(peer_finish(&p, false), PEER_OK);
}

Test(smtp_session, abort_after_outcome_before_done_frees_quietly,
    .timeout = 10)
{
	smtp_session_params params = {
		.helo_name = "client.test", .phase_timeout = 5.0,
		.done = count_done, .deadline = 1.0,   /* long past */
	};
	smtp_session *s = NULL;
	char err[64];
	peer p;

	cr_assert(peer_start(&p, AF_INET, script_tarpit));
	params.addr = (const struct sockaddr *)&p.addr;
	params.addrlen = p.addrlen;
	params.ssl = client_ssl();
	cr_assert_eq(smtp_session_start(loop, &params, &s, err, sizeof(err)), 0);
	params.ssl = NULL;
	/* One iteration: the deadline fires and queues `done` for the next. */
	ev_run(loop, EVRUN_NOWAIT);
	cr_assert_eq(abort_done_calls, 0);
	smtp_session_abort(s);
	ev_run(loop, 0);
	cr_assert_eq(abort_done_calls, 0);
	assert_no_leaks();
	peer_finish(&p, true);
}

Test(smtp_session, bad_params_fail_to_start_and_free_ssl, .timeout = 10)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	smtp_session_params params = {
		.addr = (const struct sockaddr *)&sin, .addrlen = sizeof(sin),
		.helo_name = "client.test\r\nMAIL FROM:<x>", .phase_timeout = 5.0,
		.done = count_done,
	};
	smtp_session *s = (smtp_session *)&params;
	char err[128] = "";

	params.ssl = client_ssl();      /* leak check: must be freed */
	cr_assert_eq(smtp_session_start(loop, &params, &s, err, sizeof(err)), -1);
	params.ssl = NULL;
	cr_assert_null(s);
	cr_assert(strstr(err, "EHLO name") != NULL, "%s", err);
	params.helo_name = "client.test";
	params.phase_timeout = 0;
	params.ssl = NULL;
	cr_assert_eq(smtp_session_start(loop, &params, NULL, err, sizeof(err)),
	    -1);
	cr_assert(strstr(err, "timeout") != NULL, "%s", err);
	ev_run(loop, 0);
	cr_assert_eq(abort_done_calls, 0);
	assert_no_leaks();
}

Test(smtp_session, names_of_states_and_outcomes)
{
	cr_assert_str_eq(smtp_state_name(SMTP_STATE_EHLO_TLS), "ehlo-after-tls");
	cr_assert_str_eq(smtp_state_name(SMTP_STATE_TLS_HANDSHAKE),
	    "tls-handshake");
	cr_assert_str_eq(smtp_state_name((smtp_state)99), "unknown");
	cr_assert_str_eq(smtp_outcome_name(SMTP_OUTCOME_TLS_OK), "tls-ok");
	cr_assert_str_eq(smtp_outcome_name(SMTP_OUTCOME_NO_TLS_ATTEMPTED),
	    "no-tls-attempted");
	cr_assert_str_eq(smtp_outcome_name(SMTP_OUTCOME_STARTTLS_REFUSED),
	    "starttls-refused");
	cr_assert_str_eq(smtp_outcome_name((smtp_outcome)-1), "unknown");
}
