/*
 * labsmtpd -- a small SMTP server for the daneprobe lab whose job is to
 * misbehave on purpose (or, in two modes, to behave well).
 *
 *   labsmtpd --listen ADDR:PORT --mode MODE [--cert chain.pem --key key.pem]
 *            [--pidfile FILE]
 *
 * ADDR is an IPv4 address or a bracketed IPv6 address ([::1]:2525).
 * Modes (see mode_table below): no-starttls, tarpit, starttls-454,
 * handshake-fail, garbage, multiline, reset, good.  multiline and good need
 * --cert/--key because they complete a real TLS handshake.
 *
 * One process listens; every connection is served by a forked child, so a
 * tarpit connection never blocks the next client.  SIGTERM (or SIGINT) makes
 * the listener terminate its children, remove the pidfile and exit.  The
 * pidfile is written only after the socket is listening, so its existence
 * tells the lab script that the server is ready.
 *
 * Log lines go to stderr.  This is test scaffolding: it is deliberately
 * blocking and simple, with socket timeouts (SO_RCVTIMEO) instead of an
 * event loop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* ppoll(), getopt_long() when built without config.h */
#endif

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#define MAX_CHILDREN 64
#define IO_TIMEOUT_S 30     /* per read/write inside a session */
#define TARPIT_HOLD_S 120   /* how long a tarpit keeps a silent connection */
#define LINE_MAX_LEN 1000   /* RFC 5321 4.5.3.1.6: text line incl. CRLF */
#define SERVER_NAME "labsmtpd.lab"

enum mode {
	MODE_NO_STARTTLS,
	MODE_TARPIT,
	MODE_STARTTLS_454,
	MODE_HANDSHAKE_FAIL,
	MODE_GARBAGE,
	MODE_MULTILINE,
	MODE_RESET,
	MODE_GOOD,
};

struct mode_info {
	const char *name;
	bool offers_starttls; /* STARTTLS in the plaintext EHLO reply */
	bool needs_cert;      /* completes a real TLS handshake */
};

static const struct mode_info mode_table[] = {
	[MODE_NO_STARTTLS] = {"no-starttls", false, false},
	[MODE_TARPIT] = {"tarpit", false, false},
	[MODE_STARTTLS_454] = {"starttls-454", true, false},
	[MODE_HANDSHAKE_FAIL] = {"handshake-fail", true, false},
	[MODE_GARBAGE] = {"garbage", false, false},
	[MODE_MULTILINE] = {"multiline", true, true},
	[MODE_RESET] = {"reset", false, false},
	[MODE_GOOD] = {"good", true, true},
};
#define MODE_COUNT (sizeof mode_table / sizeof mode_table[0])

struct options {
	const char *listen;
	const char *cert;
	const char *key;
	const char *pidfile;
	enum mode mode;
};

/* One client session.  rbuf holds bytes read but not yet consumed. */
struct conn {
	int fd;
	SSL *ssl; /* NULL until STARTTLS completed */
	const struct options *opt;
	SSL_CTX *ctx;
	char rbuf[4096];
	size_t rlen;
};

static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_chld;
static pid_t children[MAX_CHILDREN];

static void logmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logmsg(const char *fmt, ...)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	va_list ap;

	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
	fprintf(stderr, "%s labsmtpd[%ld]: ", stamp, (long)getpid());
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: labsmtpd --listen ADDR:PORT --mode MODE"
		" [--cert chain.pem --key key.pem] [--pidfile FILE]\n"
		"modes:");
	for (size_t i = 0; i < MODE_COUNT; i++)
		fprintf(stderr, " %s", mode_table[i].name);
	fputc('\n', stderr);
}

static int mode_from_name(const char *name, enum mode *out)
{
	for (size_t i = 0; i < MODE_COUNT; i++) {
		if (strcmp(name, mode_table[i].name) == 0) {
			*out = (enum mode)i;
			return 0;
		}
	}
	return -1;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"mode", required_argument, NULL, 'm'},
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"pidfile", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *mode = NULL;
	int ch;

	memset(opt, 0, sizeof *opt);
	while ((ch = getopt_long(argc, argv, "l:m:c:k:p:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': opt->listen = optarg; break;
		case 'm': mode = optarg; break;
		case 'c': opt->cert = optarg; break;
		case 'k': opt->key = optarg; break;
		case 'p': opt->pidfile = optarg; break;
		default: return -1;
		}
	}
	if (optind != argc || opt->listen == NULL || mode == NULL)
		return -1;
	if (mode_from_name(mode, &opt->mode) != 0) {
		fprintf(stderr, "labsmtpd: unknown mode '%s'\n", mode);
		return -1;
	}
	if (mode_table[opt->mode].needs_cert && (opt->cert == NULL || opt->key == NULL)) {
		fprintf(stderr, "labsmtpd: mode %s needs --cert and --key\n", mode);
		return -1;
	}
	return 0;
}

/* ---- listening socket ---------------------------------------------------- */

/* Split "1.2.3.4:25" or "[::1]:25" into host and port (in place). */
static int split_hostport(char *spec, char **host, char **port)
{
	char *colon;

	if (spec[0] == '[') {
		char *end = strchr(spec, ']');
		if (end == NULL || end[1] != ':')
			return -1;
		*end = '\0';
		*host = spec + 1;
		*port = end + 2;
		return 0;
	}
	colon = strrchr(spec, ':');
	if (colon == NULL)
		return -1;
	*colon = '\0';
	*host = spec;
	*port = colon + 1;
	return 0;
}

static int open_listener(const char *spec)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char copy[256], *host, *port;
	int fd, one = 1, rc;

	if (strlen(spec) >= sizeof copy)
		return -1;
	strcpy(copy, spec);
	if (split_hostport(copy, &host, &port) != 0) {
		logmsg("bad --listen '%s' (want ADDR:PORT or [ADDR]:PORT)", spec);
		return -1;
	}
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		logmsg("bad address '%s': %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
	} else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
		   (ai->ai_family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)) {
		logmsg("setsockopt: %s", strerror(errno));
		close(fd);
		fd = -1;
	} else if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
		logmsg("bind/listen %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static SSL_CTX *make_tls_ctx(const struct options *opt)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(ctx, opt->cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, opt->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		logmsg("cannot load --cert %s / --key %s", opt->cert, opt->key);
		ERR_print_errors_fp(stderr);
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* ---- session I/O ----------------------------------------------------------- */

static int conn_write(struct conn *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n;

		if (c->ssl != NULL) {
			int r = SSL_write(c->ssl, data, (int)len);
			n = r > 0 ? r : -1;
		} else {
			n = send(c->fd, data, len, MSG_NOSIGNAL);
		}
		if (n < 0) {
			if (errno == EINTR && c->ssl == NULL)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int conn_printf(struct conn *c, const char *fmt, ...)
{
	char line[LINE_MAX_LEN + 1];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line)
		return -1;
	return conn_write(c, line, (size_t)n);
}

/* Send a (possibly multi-line) reply: "code-text" for all but the last. */
static int send_reply(struct conn *c, int code, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (conn_printf(c, "%d%c%s\r\n", code, i + 1 < n ? '-' : ' ', lines[i]) != 0)
			return -1;
	}
	return 0;
}

static ssize_t conn_read(struct conn *c, char *buf, size_t len)
{
	if (c->ssl != NULL) {
		int r = SSL_read(c->ssl, buf, (int)len);
		return r > 0 ? r : -1;
	}
	for (;;) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n;
	}
}

/*
 * Read one CRLF (or bare LF) terminated line into line[] without the line
 * end.  Returns 0, or -1 on EOF, timeout, error or an overlong line.
 */
static int read_line(struct conn *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->rbuf, '\n', c->rlen);
		if (nl != NULL) {
			size_t len = (size_t)(nl - c->rbuf);
			size_t used = len + 1;
			while (len > 0 && c->rbuf[len - 1] == '\r')
				len--; /* lenient: some test clients send CR CR LF */
			if (len >= size)
				return -1;
			memcpy(line, c->rbuf, len);
			line[len] = '\0';
			memmove(c->rbuf, c->rbuf + used, c->rlen - used);
			c->rlen -= used;
			return 0;
		}
		if (c->rlen == sizeof c->rbuf)
			return -1;
		ssize_t n = conn_read(c, c->rbuf + c->rlen, sizeof c->rbuf - c->rlen);
		if (n <= 0)
			return -1;
		c->rlen += (size_t)n;
	}
}

static void set_timeouts(int fd, int seconds)
{
	struct timeval tv = {.tv_sec = seconds, .tv_usec = 0};

	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

/* Bytes that cannot be mistaken for SMTP: all >= 0x80, so no digits, no CR/LF. */
static void fill_garbage(unsigned char *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1)
		memset(buf, 0xA5, len);
	for (size_t i = 0; i < len; i++)
		buf[i] |= 0x80;
}

/* ---- SMTP behaviour ---------------------------------------------------------- */

static int send_banner(struct conn *c)
{
	static const char *const verbose[] = {
		SERVER_NAME " ESMTP labsmtpd (multiline)",
		"This is a deliberately verbose greeting, spread over several lines,",
		"to check that clients read multi-line 220 replies (RFC 5321 4.2.1).",
		"Nothing here is an error.",
		"Unauthorised use is prohibited; all activity may be logged.",
		"Please say EHLO.",
		"Ready.",
	};
	char one[128];
	const char *const plain[] = {one};

	if (c->opt->mode == MODE_MULTILINE)
		return send_reply(c, 220, verbose, sizeof verbose / sizeof verbose[0]);
	snprintf(one, sizeof one, "%s ESMTP labsmtpd (%s)", SERVER_NAME, mode_table[c->opt->mode].name);
	return send_reply(c, 220, plain, 1);
}

static int send_ehlo_reply(struct conn *c)
{
	/* Twelve lines with STARTTLS in the middle: a verbose but valid server. */
	const char *verbose[] = {
		SERVER_NAME " greets you",
		"PIPELINING",
		"SIZE 10240000",
		"VRFY",
		"ETRN",
		"STARTTLS",
		"ENHANCEDSTATUSCODES",
		"8BITMIME",
		"DSN",
		"SMTPUTF8",
		"CHUNKING",
		"X-LAB-VERBOSE",
	};
	const char *plain[] = {SERVER_NAME, "PIPELINING", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME"};
	bool starttls = mode_table[c->opt->mode].offers_starttls && c->ssl == NULL;
	const char **lines = c->opt->mode == MODE_MULTILINE ? verbose : plain;
	size_t n = c->opt->mode == MODE_MULTILINE ? sizeof verbose / sizeof verbose[0]
						   : sizeof plain / sizeof plain[0];
	const char *out[16];
	size_t k = 0;

	/* RFC 3207 4.2: no STARTTLS in the EHLO reply once TLS is active. */
	for (size_t i = 0; i < n && k < sizeof out / sizeof out[0]; i++) {
		if (strcmp(lines[i], "STARTTLS") == 0 && !starttls)
			continue;
		out[k++] = lines[i];
	}
	return send_reply(c, 250, out, k);
}

/* handshake-fail: accept STARTTLS, then send bytes that are not a TLS record. */
static void starttls_garbage(struct conn *c)
{
	unsigned char junk[64];

	fill_garbage(junk, sizeof junk);
	(void)conn_printf(c, "220 2.0.0 Ready to start TLS\r\n");
	(void)conn_write(c, (const char *)junk, sizeof junk);
	logmsg("STARTTLS answered with garbage instead of a handshake");
}

/* Returns 0 if TLS is up, -1 if the session must end. */
static int do_starttls(struct conn *c)
{
	if (conn_printf(c, "220 2.0.0 Ready to start TLS\r\n") != 0)
		return -1;
	/* RFC 3207 5: discard anything the client pipelined before TLS. */
	c->rlen = 0;
	c->ssl = SSL_new(c->ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1 || SSL_accept(c->ssl) != 1) {
		logmsg("TLS handshake failed");
		ERR_print_errors_fp(stderr);
		return -1;
	}
	logmsg("TLS established: %s %s", SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
	return 0;
}

/* Returns 1 to go on, 0 to end the session normally, -1 on error. */
static int handle_starttls(struct conn *c)
{
	if (c->ssl != NULL || !mode_table[c->opt->mode].offers_starttls)
		return conn_printf(c, "502 5.5.1 STARTTLS not offered\r\n") == 0 ? 1 : -1;
	switch (c->opt->mode) {
	case MODE_STARTTLS_454:
		return conn_printf(c, "454 4.7.0 TLS not available\r\n") == 0 ? 1 : -1;
	case MODE_HANDSHAKE_FAIL:
		starttls_garbage(c);
		return 0;
	default:
		return do_starttls(c) == 0 ? 1 : -1;
	}
}

static bool verb_is(const char *line, const char *verb)
{
	size_t n = strlen(verb);

	return strncasecmp(line, verb, n) == 0 && (line[n] == '\0' || line[n] == ' ');
}

/* Returns 1 to go on, 0 to end the session normally, -1 on error. */
static int handle_command(struct conn *c, const char *line)
{
	int rc;

	if (verb_is(line, "EHLO"))
		rc = send_ehlo_reply(c);
	else if (verb_is(line, "HELO"))
		rc = conn_printf(c, "250 %s\r\n", SERVER_NAME);
	else if (verb_is(line, "STARTTLS"))
		return handle_starttls(c);
	else if (verb_is(line, "QUIT")) {
		(void)conn_printf(c, "221 2.0.0 Bye\r\n");
		return 0;
	} else if (verb_is(line, "NOOP") || verb_is(line, "RSET"))
		rc = conn_printf(c, "250 2.0.0 Ok\r\n");
	else if (verb_is(line, "MAIL") || verb_is(line, "RCPT"))
		rc = conn_printf(c, "250 2.1.0 Ok\r\n");
	else if (verb_is(line, "DATA") || verb_is(line, "BDAT"))
		rc = conn_printf(c, "554 5.3.2 labsmtpd does not accept mail\r\n");
	else
		rc = conn_printf(c, "502 5.5.2 Command not recognised\r\n");
	return rc == 0 ? 1 : -1;
}

static void smtp_dialogue(struct conn *c)
{
	char line[LINE_MAX_LEN + 1];

	if (send_banner(c) != 0)
		return;
	while (read_line(c, line, sizeof line) == 0) {
		if (handle_command(c, line) <= 0)
			return;
	}
}

/* tarpit: never greet; keep the connection until the client gives up. */
static void tarpit(struct conn *c)
{
	time_t deadline = time(NULL) + TARPIT_HOLD_S;
	char sink[512];

	for (time_t now = time(NULL); now < deadline; now = time(NULL)) {
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, (int)(deadline - now) * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || recv(c->fd, sink, sizeof sink, 0) <= 0)
			return;
	}
}

/* garbage: a line of non-SMTP bytes instead of a banner, then wait for EOF. */
static void garbage(struct conn *c)
{
	unsigned char junk[80];
	char sink[512];

	fill_garbage(junk, sizeof junk - 2);
	junk[sizeof junk - 2] = '\r';
	junk[sizeof junk - 1] = '\n';
	if (conn_write(c, (const char *)junk, sizeof junk) != 0)
		return;
	while (recv(c->fd, sink, sizeof sink, 0) > 0)
		continue;
}

/* reset: SO_LINGER with zero timeout makes close() send a RST. */
static void reset(struct conn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

static void serve_client(int fd, const struct options *opt, SSL_CTX *ctx)
{
	struct conn c = {.fd = fd, .ssl = NULL, .opt = opt, .ctx = ctx, .rlen = 0};

	set_timeouts(fd, IO_TIMEOUT_S);
	switch (opt->mode) {
	case MODE_TARPIT: tarpit(&c); break;
	case MODE_GARBAGE: garbage(&c); break;
	case MODE_RESET: reset(&c); break;
	default: smtp_dialogue(&c); break;
	}
	if (c.ssl != NULL) {
		(void)SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	close(fd);
}

/* ---- process management -------------------------------------------------------- */

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = 1;
}

static int install_signals(sigset_t *old)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	/* Block the signals outside ppoll() so none is lost between checks. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &block, old) != 0)
		return -1;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGCHLD, &sa, NULL) != 0)
		return -1;
	return 0;
}

static void reap_children(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (size_t i = 0; i < MAX_CHILDREN; i++) {
			if (children[i] == pid)
				children[i] = 0;
		}
	}
}

static void kill_children(void)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] > 0)
			(void)kill(children[i], SIGTERM);
	}
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] > 0)
			(void)waitpid(children[i], NULL, 0);
		children[i] = 0;
	}
}

static int free_child_slot(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i] == 0)
			return i;
	}
	return -1;
}

static void child_signals(const sigset_t *old)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGCHLD, &sa, NULL);
	(void)sigprocmask(SIG_SETMASK, old, NULL);
}

static void accept_one(int lfd, const struct options *opt, SSL_CTX *ctx, const sigset_t *old)
{
	struct sockaddr_storage peer;
	socklen_t plen = sizeof peer;
	char host[NI_MAXHOST] = "?";
	int slot, fd = accept4(lfd, (struct sockaddr *)&peer, &plen, SOCK_CLOEXEC);
	pid_t pid;

	if (fd < 0)
		return;
	(void)getnameinfo((struct sockaddr *)&peer, plen, host, sizeof host, NULL, 0, NI_NUMERICHOST);
	if ((slot = free_child_slot()) < 0) {
		logmsg("too many sessions, dropping client %s", host);
		close(fd);
		return;
	}
	pid = fork();
	if (pid == 0) {
		close(lfd);
		child_signals(old);
		logmsg("session from %s, mode %s", host, mode_table[opt->mode].name);
		serve_client(fd, opt, ctx);
		_exit(0);
	}
	if (pid < 0)
		logmsg("fork: %s", strerror(errno));
	else
		children[slot] = pid;
	close(fd);
}

static int write_pidfile(const char *path)
{
	FILE *f;

	if (path == NULL)
		return 0;
	if ((f = fopen(path, "w")) == NULL) {
		logmsg("cannot write pidfile %s: %s", path, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f) == 0 ? 0 : -1;
}

static void serve(int lfd, const struct options *opt, SSL_CTX *ctx, const sigset_t *old)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};

	while (!got_term) {
		int r = ppoll(&p, 1, NULL, old);
		int err = errno; /* reap_children() clobbers errno */

		if (got_chld) {
			got_chld = 0;
			reap_children();
		}
		if (r > 0 && (p.revents & POLLIN) && !got_term)
			accept_one(lfd, opt, ctx, old);
		else if (r < 0 && err != EINTR) {
			logmsg("poll: %s", strerror(err));
			break;
		}
	}
}

int main(int argc, char **argv)
{
	struct options opt;
	SSL_CTX *ctx = NULL;
	sigset_t old;
	int lfd;

	if (parse_options(argc, argv, &opt) != 0) {
		usage();
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	if (mode_table[opt.mode].needs_cert && (ctx = make_tls_ctx(&opt)) == NULL)
		return 1;
	if ((lfd = open_listener(opt.listen)) < 0) {
		SSL_CTX_free(ctx);
		return 1;
	}
	if (install_signals(&old) != 0 || write_pidfile(opt.pidfile) != 0) {
		close(lfd);
		SSL_CTX_free(ctx);
		return 1;
	}
	logmsg("listening on %s, mode %s", opt.listen, mode_table[opt.mode].name);
	serve(lfd, &opt, ctx, &old);
	logmsg("terminating");
	close(lfd);
	kill_children();
	if (opt.pidfile != NULL)
		(void)unlink(opt.pidfile);
	SSL_CTX_free(ctx);
	return 0;
}
