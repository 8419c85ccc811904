/*
 * labsmtpd -- a small SMTP server for the daneprobe lab whose job is to
 * misbehave on purpose (or, in a few modes, to behave well).
 *
 *   labsmtpd --listen ADDR:PORT --mode MODE [--cert chain.pem --key key.pem]
 *            [--pidfile FILE] [--peak-file FILE] [--banner-delay-ms MS]
 *            [--chain-length N --ca-cert ca.pem --ca-key ca.key]
 *            [--upstream ADDR:PORT]
 *
 * ADDR is an IPv4 address or a bracketed IPv6 address ([::1]:2525).
 * Modes (mode_table below, one line each in usage()):
 *
 *   good              banner, EHLO with STARTTLS, real TLS, EHLO, QUIT
 *   slow-good         good, but each session waits 300 ms before the banner
 *   multiline         good with a 7-line banner and a 12-line EHLO reply
 *   starttls-once     good, but only the first EHLO of a session offers
 *                     STARTTLS (a second one, plaintext or TLS, does not)
 *   tls-old           good, but TLS 1.0 and 1.1 only (@SECLEVEL=0)
 *   inject            good, but "250 ..." lines follow the 220 to STARTTLS
 *                     in the same packet, before the handshake (RFC 3207 6)
 *   binary            good, but NUL and non-UTF-8 bytes in the banner text
 *                     and in one EHLO line
 *   eightbit          good, but non-UTF-8 bytes (no NUL) in the banner text
 *                     and in one EHLO line
 *   hostile-text      good up to TLS, but '|' (Nagios perfdata), ESC/OSC
 *                     sequences and "injected=1;;;;" in the banner and an
 *                     EHLO line, and the EHLO after TLS answered 554 with
 *                     the same text: a report must not turn it into
 *                     perfdata, extra lines or terminal commands
 *   no-starttls       EHLO without STARTTLS
 *   tarpit            accepts, never sends a byte
 *   dribble           sends the banner one byte a second
 *   long-line         a 1 MiB line in the EHLO reply
 *   endless           an EHLO reply of "250-" lines that never ends
 *   bad-code-letter   EHLO reply code "25O"
 *   bad-code-long     banner code "2500"
 *   starttls-454      STARTTLS answered 454
 *   handshake-fail    STARTTLS answered 220, then garbage for the ClientHello
 *   tls-reset         STARTTLS answered 220, reads the ClientHello, sends
 *                     half a ServerHello record, then a TCP reset
 *   starttls-silence  STARTTLS answered 220, then silence (reads, never
 *                     answers)
 *   garbage           a line of binary garbage instead of a banner
 *   reset             a TCP reset right after accept
 *   blackhole         not SMTP: a name server that never answers; also
 *                     binds UDP on the same address and port and drops every
 *                     datagram (TCP sessions are held silent like tarpit)
 *   dns-tcp-relay     not SMTP: a name server reachable over TCP only; each
 *                     TCP session is relayed byte for byte to --upstream (a
 *                     real name server); nothing listens on UDP, so a UDP
 *                     query gets an ICMP port unreachable
 *   dns-tc-relay      dns-tcp-relay, but every UDP query is answered at once
 *                     with an empty truncated reply (TC=1, question copied),
 *                     so a resolver must ask again over TCP
 *
 * Modes that can complete a TLS handshake need --cert/--key (the --cert
 * file may hold a whole chain, leaf first: it is sent as is); long-line and
 * the bad-code modes are otherwise good servers, so a client that let their
 * fault pass would go on to a real handshake.
 *
 * --chain-length N (2 to 200): present a chain of N certificates instead of
 * the --cert file's: the --cert leaf (same key, names and dates) re-issued
 * under N-2 CA certificates made at start-up, the first of them issued by
 * --ca-cert/--ca-key, then --ca-cert itself (sent, so that a DANE-TA
 * digest of it can match: RFC 7671 5.2.2).  Making them here takes
 * milliseconds; 48 openssl runs in the lab script took seconds.
 *
 * One process listens; every connection is served by a forked child, so a
 * tarpit connection never blocks the next client.  SIGTERM (or SIGINT) makes
 * the listener terminate its children, remove the pidfile and exit.  The
 * pidfile is written only after the socket is listening, so its existence
 * tells the lab script that the server is ready.
 *
 * Concurrency (--peak-file): the listener counts the sessions in progress
 * and writes one line "peak=P active=A total=T\n" (most sessions at once,
 * sessions now, sessions accepted) each time a count changes, replacing the
 * file atomically.  A session is in progress from accept until the client
 * closes or resets its end, or the server ends it (221 to QUIT, or its last
 * byte).  The listener keeps a duplicate of each session's socket so that it
 * sees a client's FIN the moment the kernel does: a client that closes one
 * connection and opens the next is never counted twice.  SIGUSR1, or
 * truncating the file, resets peak to the sessions now active and total to 0.
 *
 * Log lines go to stderr.  This is test scaffolding: it is deliberately
 * blocking and simple, with socket timeouts (SO_RCVTIMEO) instead of an
 * event loop.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1 /* ppoll(), getopt_long(), POLLRDHUP without config.h */
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#define MAX_CHILDREN 256
#define IO_TIMEOUT_S 30     /* per read/write inside a session */
#define TARPIT_HOLD_S 120   /* how long a silent mode keeps a connection */
#define ENDLESS_MAX_S 120   /* how long `endless` keeps writing */
#define LONG_LINE_BYTES (1024 * 1024)
#define SLOW_GOOD_DELAY_MS 300
#define LINE_MAX_LEN 1000   /* RFC 5321 4.5.3.1.6: text line incl. CRLF */
#define SERVER_NAME "labsmtpd.lab"

enum mode {
	MODE_GOOD,
	MODE_SLOW_GOOD,
	MODE_MULTILINE,
	MODE_STARTTLS_ONCE,
	MODE_TLS_OLD,
	MODE_INJECT,
	MODE_BINARY,
	MODE_EIGHTBIT,
	MODE_HOSTILE_TEXT,
	MODE_NO_STARTTLS,
	MODE_TARPIT,
	MODE_DRIBBLE,
	MODE_LONG_LINE,
	MODE_ENDLESS,
	MODE_BAD_CODE_LETTER,
	MODE_BAD_CODE_LONG,
	MODE_STARTTLS_454,
	MODE_HANDSHAKE_FAIL,
	MODE_TLS_RESET,
	MODE_STARTTLS_SILENCE,
	MODE_GARBAGE,
	MODE_RESET,
	MODE_BLACKHOLE,
	MODE_DNS_TCP_RELAY,
	MODE_DNS_TC_RELAY,
};

struct mode_info {
	const char *name;
	bool offers_starttls; /* STARTTLS in the plaintext EHLO reply */
	bool needs_cert;      /* completes a real TLS handshake */
};

static const struct mode_info mode_table[] = {
	[MODE_GOOD] = {"good", true, true},
	[MODE_SLOW_GOOD] = {"slow-good", true, true},
	[MODE_MULTILINE] = {"multiline", true, true},
	[MODE_STARTTLS_ONCE] = {"starttls-once", true, true},
	[MODE_TLS_OLD] = {"tls-old", true, true},
	[MODE_INJECT] = {"inject", true, true},
	[MODE_BINARY] = {"binary", true, true},
	[MODE_EIGHTBIT] = {"eightbit", true, true},
	[MODE_HOSTILE_TEXT] = {"hostile-text", true, true},
	[MODE_NO_STARTTLS] = {"no-starttls", false, false},
	[MODE_TARPIT] = {"tarpit", false, false},
	[MODE_DRIBBLE] = {"dribble", true, false},
	[MODE_LONG_LINE] = {"long-line", true, true},
	[MODE_ENDLESS] = {"endless", true, false},
	[MODE_BAD_CODE_LETTER] = {"bad-code-letter", true, true},
	[MODE_BAD_CODE_LONG] = {"bad-code-long", true, true},
	[MODE_STARTTLS_454] = {"starttls-454", true, false},
	[MODE_HANDSHAKE_FAIL] = {"handshake-fail", true, false},
	[MODE_TLS_RESET] = {"tls-reset", true, false},
	[MODE_STARTTLS_SILENCE] = {"starttls-silence", true, false},
	[MODE_GARBAGE] = {"garbage", false, false},
	[MODE_RESET] = {"reset", false, false},
	[MODE_BLACKHOLE] = {"blackhole", false, false},
	[MODE_DNS_TCP_RELAY] = {"dns-tcp-relay", false, false},
	[MODE_DNS_TC_RELAY] = {"dns-tc-relay", false, false},
};
#define MODE_COUNT (sizeof mode_table / sizeof mode_table[0])

struct options {
	const char *listen;
	const char *cert;
	const char *key;
	const char *pidfile;
	const char *peak_file;
	const char *ca_cert;
	const char *ca_key;
	const char *upstream; /* dns-*-relay: the real name server, ADDR:PORT */
	long chain_length; /* 0: the --cert file's chain as it is */
	long banner_delay_ms; /* -1: the mode's default */
	enum mode mode;
};

/* One client session.  rbuf holds bytes read but not yet consumed. */
struct conn {
	int fd;
	SSL *ssl; /* NULL until STARTTLS completed */
	const struct options *opt;
	SSL_CTX *ctx;
	unsigned ehlo_count;
	bool reset_armed; /* SO_LINGER 0: the last close sends a RST */
	volatile unsigned char *over; /* shared with the listener, see session_over() */
	char rbuf[4096];
	size_t rlen;
};

/* A session as the listener sees it. */
struct child {
	pid_t pid;       /* 0: free slot */
	int dup_fd;      /* the listener's copy of the socket, -1 once the peer left */
};

static volatile sig_atomic_t got_term;
static volatile sig_atomic_t got_chld;
static volatile sig_atomic_t got_usr1;
static struct child children[MAX_CHILDREN];
/* One flag per child slot in memory shared with the children: set by a
 * child when it ends its session (see session_over()). */
static volatile unsigned char *over_flags;

/* Concurrency counts for --peak-file. */
static struct {
	unsigned peak;
	unsigned active;
	unsigned long total;
} stats;

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
		"                [--peak-file FILE] [--banner-delay-ms MS]\n"
		"                [--chain-length N --ca-cert ca.pem --ca-key ca.key]\n"
		"                [--upstream ADDR:PORT]\n"
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

static bool is_relay(enum mode m)
{
	return m == MODE_DNS_TCP_RELAY || m == MODE_DNS_TC_RELAY;
}

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"mode", required_argument, NULL, 'm'},
		{"cert", required_argument, NULL, 'c'},
		{"key", required_argument, NULL, 'k'},
		{"pidfile", required_argument, NULL, 'p'},
		{"peak-file", required_argument, NULL, 'P'},
		{"banner-delay-ms", required_argument, NULL, 'd'},
		{"chain-length", required_argument, NULL, 'n'},
		{"ca-cert", required_argument, NULL, 'C'},
		{"ca-key", required_argument, NULL, 'K'},
		{"upstream", required_argument, NULL, 'u'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *mode = NULL;
	int ch;

	memset(opt, 0, sizeof *opt);
	opt->banner_delay_ms = -1;
	while ((ch = getopt_long(argc, argv, "l:m:c:k:p:P:d:n:C:K:u:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': opt->listen = optarg; break;
		case 'm': mode = optarg; break;
		case 'c': opt->cert = optarg; break;
		case 'k': opt->key = optarg; break;
		case 'p': opt->pidfile = optarg; break;
		case 'P': opt->peak_file = optarg; break;
		case 'd':
			if (parse_long(optarg, 0, 600000, &opt->banner_delay_ms) != 0) {
				fprintf(stderr, "labsmtpd: bad --banner-delay-ms '%s'\n", optarg);
				return -1;
			}
			break;
		case 'n':
			if (parse_long(optarg, 2, 200, &opt->chain_length) != 0) {
				fprintf(stderr, "labsmtpd: bad --chain-length '%s' (2 to 200)\n", optarg);
				return -1;
			}
			break;
		case 'C': opt->ca_cert = optarg; break;
		case 'K': opt->ca_key = optarg; break;
		case 'u': opt->upstream = optarg; break;
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
	if (opt->chain_length > 0 &&
	    (opt->ca_cert == NULL || opt->ca_key == NULL || !mode_table[opt->mode].needs_cert)) {
		fprintf(stderr, "labsmtpd: --chain-length needs --ca-cert, --ca-key and a TLS mode\n");
		return -1;
	}
	if (is_relay(opt->mode) != (opt->upstream != NULL)) {
		fprintf(stderr, "labsmtpd: --upstream goes with the dns-*-relay modes, and only there\n");
		return -1;
	}
	if (opt->banner_delay_ms < 0)
		opt->banner_delay_ms = opt->mode == MODE_SLOW_GOOD ? SLOW_GOOD_DELAY_MS : 0;
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

/* A listening TCP socket, or with `type` SOCK_DGRAM a bound UDP socket. */
static int open_listener(const char *spec, int type)
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
	hints.ai_socktype = type;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	if ((rc = getaddrinfo(host, port, &hints, &ai)) != 0) {
		logmsg("bad address '%s': %s", spec, gai_strerror(rc));
		return -1;
	}
	fd = socket(ai->ai_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		logmsg("socket: %s", strerror(errno));
	} else if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
		   (ai->ai_family == AF_INET6 &&
		    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0)) {
		logmsg("setsockopt: %s", strerror(errno));
		close(fd);
		fd = -1;
	} else if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
		   (type == SOCK_STREAM && listen(fd, 256) != 0)) {
		logmsg("bind/listen %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

/* ---- a long chain made at start-up (--chain-length) ----------------------- */

static X509 *read_cert(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	if (f == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

static EVP_PKEY *read_key(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (f == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v3, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* CA number `n` of the chain: key `key`, issued by `issuer` (signing key
 * `issuer_key`), valid from a day ago for 30 days. */
static X509 *make_chain_ca(long n, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *c = X509_new();
	X509_NAME *name = X509_NAME_new();
	char cn[64];
	int ok;

	snprintf(cn, sizeof cn, "daneprobe lab chain CA %ld", n);
	ok = c != NULL && name != NULL &&
	     X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0) == 1 &&
	     X509_set_version(c, 2) == 1 && ASN1_INTEGER_set(X509_get_serialNumber(c), 5000 + n) == 1 &&
	     X509_gmtime_adj(X509_getm_notBefore(c), -86400) != NULL &&
	     X509_gmtime_adj(X509_getm_notAfter(c), 30L * 86400) != NULL &&
	     X509_set_subject_name(c, name) == 1 &&
	     X509_set_issuer_name(c, X509_get_subject_name(issuer)) == 1 && X509_set_pubkey(c, key) == 1 &&
	     add_ext(c, issuer, NID_basic_constraints, "critical,CA:TRUE") == 0 &&
	     add_ext(c, issuer, NID_key_usage, "critical,keyCertSign,cRLSign") == 0 &&
	     add_ext(c, issuer, NID_subject_key_identifier, "hash") == 0 &&
	     add_ext(c, issuer, NID_authority_key_identifier, "keyid") == 0 &&
	     X509_sign(c, issuer_key, EVP_sha256()) > 0;
	X509_NAME_free(name);
	if (!ok) {
		X509_free(c);
		return NULL;
	}
	return c;
}

/* The leaf again, issued by `issuer`: new issuer name and key identifier. */
static X509 *reissue_leaf(X509 *leaf, X509 *issuer, EVP_PKEY *issuer_key)
{
	X509 *l = X509_dup(leaf);
	int i;

	if (l == NULL)
		return NULL;
	while ((i = X509_get_ext_by_NID(l, NID_authority_key_identifier, -1)) >= 0)
		X509_EXTENSION_free(X509_delete_ext(l, i));
	if (X509_set_issuer_name(l, X509_get_subject_name(issuer)) != 1 ||
	    add_ext(l, issuer, NID_authority_key_identifier, "keyid") != 0 ||
	    X509_sign(l, issuer_key, EVP_sha256()) <= 0) {
		X509_free(l);
		return NULL;
	}
	return l;
}

/* Leaf + CA n-2 ... CA 1 + --ca-cert into ctx; CA 1 is issued by --ca-cert. */
static int use_long_chain(SSL_CTX *ctx, const struct options *opt)
{
	X509 *leaf = read_cert(opt->cert), *root = read_cert(opt->ca_cert), *prev = root, *l = NULL;
	EVP_PKEY *root_key = read_key(opt->ca_key), *key = EVP_EC_gen("P-256"), *prev_key = root_key;
	X509 *cas[200] = {NULL};
	int rc = -1;

	if (leaf == NULL || root == NULL || root_key == NULL || key == NULL)
		goto out;
	for (long n = 1; n <= opt->chain_length - 2; n++) {
		if ((cas[n] = make_chain_ca(n, key, prev, prev_key)) == NULL)
			goto out;
		prev = cas[n];
		prev_key = key;
	}
	if ((l = reissue_leaf(leaf, prev, prev_key)) == NULL || SSL_CTX_use_certificate(ctx, l) != 1)
		goto out;
	for (long n = opt->chain_length - 2; n >= 1; n--) {
		if (SSL_CTX_add1_chain_cert(ctx, cas[n]) != 1)
			goto out;
	}
	if (SSL_CTX_add1_chain_cert(ctx, root) != 1)
		goto out;
	rc = 0;
out:
	for (long n = 1; n <= opt->chain_length - 2; n++)
		X509_free(cas[n]);
	X509_free(l);
	X509_free(leaf);
	X509_free(root);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(key);
	return rc;
}

static SSL_CTX *make_tls_ctx(const struct options *opt)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	if (ctx == NULL)
		return NULL;
	if (opt->chain_length > 0 ? use_long_chain(ctx, opt) != 0
				  : SSL_CTX_use_certificate_chain_file(ctx, opt->cert) != 1) {
		logmsg("cannot load --cert %s%s", opt->cert, opt->chain_length > 0 ? " or make the chain" : "");
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, opt->key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(ctx) != 1) {
		logmsg("cannot load --key %s for --cert %s", opt->key, opt->cert);
		goto fail;
	}
	/* OpenSSL 3 allows TLS < 1.2 only at security level 0 (SHA-1 and
	 * MD5+SHA-1 handshake signatures). */
	if (opt->mode == MODE_TLS_OLD &&
	    (SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION) != 1 ||
	     SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION) != 1 ||
	     SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0") != 1)) {
		logmsg("cannot restrict TLS to 1.0/1.1");
		goto fail;
	}
	return ctx;
fail:
	ERR_print_errors_fp(stderr);
	SSL_CTX_free(ctx);
	return NULL;
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

/*
 * Send a (possibly multi-line) reply: "code-text" for all but the last.
 * One write for the whole reply, as Postfix does: a write per line makes
 * Nagle's algorithm wait for the client's delayed ACK (40 ms on Linux)
 * before the second line, twice a session, which no real server costs.
 */
static int send_reply(struct conn *c, int code, const char *const *lines, size_t n)
{
	char buf[16 * LINE_MAX_LEN];
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		int k = snprintf(buf + len, sizeof buf - len, "%d%c%s\r\n", code,
				 i + 1 < n ? '-' : ' ', lines[i]);
		if (k < 0 || (size_t)k >= sizeof buf - len || k > LINE_MAX_LEN)
			return -1;
		len += (size_t)k;
	}
	return conn_write(c, buf, len);
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

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		continue;
}

/* Bytes that cannot be mistaken for SMTP: all >= 0x80, so no digits, no CR/LF. */
static void fill_garbage(unsigned char *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1)
		memset(buf, 0xA5, len);
	for (size_t i = 0; i < len; i++)
		buf[i] |= 0x80;
}

/* The session is over as far as the client can tell: from here on it does
 * not count as in progress (see --peak-file).  Called before the last byte
 * the client waits for, so a client that opens its next connection the
 * moment it has that byte never finds this one still counted. */
static void session_over(struct conn *c)
{
	if (c->over != NULL)
		*c->over = 1;
}

/* Read and drop whatever the client sends until it closes or `hold_s`
 * seconds pass (tarpit, starttls-silence). */
static void hold_silent(struct conn *c, int hold_s)
{
	time_t deadline = time(NULL) + hold_s;
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

/* SO_LINGER with zero timeout makes the last close() send a RST. */
static void arm_reset(struct conn *c)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};

	c->reset_armed = setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) == 0;
}

/* ---- SMTP behaviour ---------------------------------------------------------- */

/* dribble: the banner one byte a second (a client must not wait forever). */
static int dribble_banner(struct conn *c)
{
	static const char banner[] = "220 " SERVER_NAME " ESMTP labsmtpd (dribble)\r\n";

	for (size_t i = 0; i + 1 < sizeof banner; i++) {
		if (conn_write(c, banner + i, 1) != 0)
			return -1;
		sleep_ms(1000);
	}
	return 0;
}

/* binary: NUL, a lone continuation byte, 0xFF and a broken 2-byte
 * sequence; eightbit: the same without the NUL. */
static const char binary_text[] = "ESMTP labsmtpd (binary) NUL:\0: bytes:\x80\xff\xc3\x28:";
static const char eightbit_text[] = "ESMTP labsmtpd (eightbit) bytes:\x80\xff\xc3\x28:\xe9t\xe9";

/* hostile-text: what a server chooses to say to a monitoring plugin. */
#define HOSTILE_TEXT "go away | injected=1;;;; \x1b]0;owned\x07\x1b[2J"

/* The odd text of binary/eightbit mode, without its terminating NUL. */
static int send_odd_text(struct conn *c)
{
	if (c->opt->mode == MODE_BINARY)
		return conn_write(c, binary_text, sizeof binary_text - 1);
	return conn_write(c, eightbit_text, sizeof eightbit_text - 1);
}

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

	if (c->opt->banner_delay_ms > 0)
		sleep_ms(c->opt->banner_delay_ms);
	switch (c->opt->mode) {
	case MODE_MULTILINE:
		return send_reply(c, 220, verbose, sizeof verbose / sizeof verbose[0]);
	case MODE_DRIBBLE:
		return dribble_banner(c);
	case MODE_BAD_CODE_LONG:
		return conn_printf(c, "2500 %s ESMTP labsmtpd (bad-code-long)\r\n", SERVER_NAME);
	case MODE_HOSTILE_TEXT:
		return conn_printf(c, "220 %s ESMTP " HOSTILE_TEXT "\r\n", SERVER_NAME);
	case MODE_BINARY:
	case MODE_EIGHTBIT:
		if (conn_printf(c, "220 %s ", SERVER_NAME) != 0 || send_odd_text(c) != 0)
			return -1;
		return conn_write(c, "\r\n", 2);
	default:
		break;
	}
	snprintf(one, sizeof one, "%s ESMTP labsmtpd (%s)", SERVER_NAME, mode_table[c->opt->mode].name);
	return send_reply(c, 220, plain, 1);
}

/* long-line: "250-" and 1 MiB of letters before the real EHLO reply. */
static int send_long_line(struct conn *c)
{
	static char chunk[8192];

	memset(chunk, 'x', sizeof chunk);
	if (conn_write(c, "250-", 4) != 0)
		return -1;
	for (size_t sent = 0; sent < LONG_LINE_BYTES; sent += sizeof chunk) {
		if (conn_write(c, chunk, sizeof chunk) != 0)
			return -1;
	}
	return conn_write(c, "\r\n", 2);
}

/* endless: "250-" lines until the client goes away (or ENDLESS_MAX_S). */
static int send_endless(struct conn *c)
{
	time_t deadline = time(NULL) + ENDLESS_MAX_S;
	unsigned long n = 0;

	while (time(NULL) < deadline) {
		if (conn_printf(c, "250-X-ENDLESS-%lu and this reply never ends\r\n", n++) != 0)
			return -1;
	}
	return -1;
}

static bool offers_starttls_now(const struct conn *c)
{
	if (!mode_table[c->opt->mode].offers_starttls || c->ssl != NULL)
		return false; /* RFC 3207 4.2: never once TLS is active */
	return c->opt->mode != MODE_STARTTLS_ONCE || c->ehlo_count == 0;
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
	bool starttls = offers_starttls_now(c);
	const char **lines = c->opt->mode == MODE_MULTILINE ? verbose : plain;
	size_t n = c->opt->mode == MODE_MULTILINE ? sizeof verbose / sizeof verbose[0]
						   : sizeof plain / sizeof plain[0];
	const char *out[16];
	size_t k = 0;
	int code = c->opt->mode == MODE_BAD_CODE_LETTER ? 0 : 250;

	c->ehlo_count++;
	if (c->opt->mode == MODE_HOSTILE_TEXT && c->ssl != NULL)
		return conn_printf(c, "554 5.7.1 " HOSTILE_TEXT "\r\n");
	if (c->opt->mode == MODE_HOSTILE_TEXT && conn_printf(c, "250-X-HOSTILE " HOSTILE_TEXT "\r\n") != 0)
		return -1;
	if (c->opt->mode == MODE_LONG_LINE && send_long_line(c) != 0)
		return -1;
	if (c->opt->mode == MODE_ENDLESS)
		return send_endless(c);
	if ((c->opt->mode == MODE_BINARY || c->opt->mode == MODE_EIGHTBIT) &&
	    (conn_write(c, "250-X-ODD ", 10) != 0 || send_odd_text(c) != 0 || conn_write(c, "\r\n", 2) != 0))
		return -1;
	for (size_t i = 0; i < n && k < sizeof out / sizeof out[0]; i++) {
		if (strcmp(lines[i], "STARTTLS") == 0 && !starttls)
			continue;
		out[k++] = lines[i];
	}
	if (code == 0) { /* bad-code-letter: "25O", a letter O for the zero */
		for (size_t i = 0; i < k; i++) {
			if (conn_printf(c, "25O%c%s\r\n", i + 1 < k ? '-' : ' ', out[i]) != 0)
				return -1;
		}
		return 0;
	}
	return send_reply(c, 250, out, k);
}

/* handshake-fail: accept STARTTLS, wait for the ClientHello, answer it with
 * bytes that are not a TLS record, and close only once the client has.
 * Sent before the ClientHello, the bytes could be thrown away by the
 * client's STARTTLS purge, and closing with the ClientHello unread resets
 * the connection: the client then saw "peer closed connection" instead of
 * the garbage, at random.  Fixed bytes, so the client's error is too. */
static void starttls_garbage(struct conn *c)
{
	unsigned char junk[64];
	char hello[4096];
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	memset(junk, 0xA5, sizeof junk);
	if (conn_printf(c, "220 2.0.0 Ready to start TLS\r\n") != 0)
		return;
	if (poll(&p, 1, 5000) <= 0 || recv(c->fd, hello, sizeof hello, 0) <= 0)
		return;
	session_over(c);
	(void)conn_write(c, (const char *)junk, sizeof junk);
	(void)shutdown(c->fd, SHUT_WR);
	hold_silent(c, 5); /* drain until the client closes: no reset */
	logmsg("STARTTLS answered with garbage instead of a handshake");
}

/* tls-reset: take the ClientHello, send the first bytes of a ServerHello
 * record (it announces 90 bytes, 10 come), then reset the connection. */
static void starttls_reset(struct conn *c)
{
	static const unsigned char part[] = {
		0x16, 0x03, 0x03, 0x00, 0x5a,  /* handshake record, 90 bytes */
		0x02, 0x00, 0x00, 0x56,        /* ServerHello, 86 bytes */
		0x03, 0x03, 0x5e, 0x1a, 0x00,  /* legacy version, random... */
	};
	char hello[4096];
	struct pollfd p = {.fd = c->fd, .events = POLLIN};

	if (conn_printf(c, "220 2.0.0 Ready to start TLS\r\n") != 0)
		return;
	if (poll(&p, 1, 5000) <= 0 || recv(c->fd, hello, sizeof hello, 0) <= 0)
		return;
	session_over(c);
	(void)conn_write(c, (const char *)part, sizeof part);
	sleep_ms(100); /* let the partial record arrive on its own */
	arm_reset(c);
	logmsg("TLS handshake cut by a reset after %zu bytes of ServerHello", sizeof part);
}

/* Returns 0 if TLS is up, -1 if the session must end. */
static int do_starttls(struct conn *c)
{
	static const char ready[] = "220 2.0.0 Ready to start TLS\r\n";
	static const char injected[] = "220 2.0.0 Ready to start TLS\r\n"
				       "250-INJECTED before the handshake\r\n"
				       "250 this must never be read as a reply sent over TLS\r\n";

	/* inject: one send() so the lines travel in the 220's packet. */
	if (c->opt->mode == MODE_INJECT) {
		if (conn_write(c, injected, sizeof injected - 1) != 0)
			return -1;
	} else if (conn_write(c, ready, sizeof ready - 1) != 0) {
		return -1;
	}
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
	case MODE_TLS_RESET:
		starttls_reset(c);
		return 0;
	case MODE_STARTTLS_SILENCE:
		if (conn_printf(c, "220 2.0.0 Ready to start TLS\r\n") == 0)
			hold_silent(c, TARPIT_HOLD_S);
		return 0;
	default:
		if (!mode_table[c->opt->mode].needs_cert) /* dribble, long-line, ... */
			return conn_printf(c, "454 4.7.0 TLS not available here\r\n") == 0 ? 1 : -1;
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
		session_over(c);
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

/* ---- DNS relays (dns-tcp-relay, dns-tc-relay) ------------------------------- */

/* A TCP connection to --upstream, or -1. */
static int connect_upstream(const char *spec)
{
	struct addrinfo hints = {0}, *ai = NULL;
	char copy[256], *host, *port;
	int fd = -1;

	if (strlen(spec) >= sizeof copy)
		return -1;
	strcpy(copy, spec);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (split_hostport(copy, &host, &port) != 0 || getaddrinfo(host, port, &hints, &ai) != 0) {
		logmsg("bad --upstream '%s'", spec);
		return -1;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		logmsg("connect to upstream %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static int send_all(int fd, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copy bytes both ways between the client and a new connection to
 * --upstream; a side that ends its sending is passed on as a shutdown, and
 * the session is over when both have, or after IO_TIMEOUT_S of silence. */
static void relay_session(struct conn *c)
{
	int up = connect_upstream(c->opt->upstream);
	struct pollfd p[2] = {{.fd = c->fd}, {.fd = up}};
	bool reading[2] = {true, true};
	char buf[16384];

	if (up < 0)
		return;
	while (reading[0] || reading[1]) {
		for (int i = 0; i < 2; i++)
			p[i].events = reading[i] ? POLLIN : 0;
		int r = poll(p, 2, IO_TIMEOUT_S * 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (int i = 0; i < 2; i++) {
			if (!reading[i] || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
			if (n <= 0) {
				reading[i] = false;
				(void)shutdown(p[1 - i].fd, SHUT_WR);
			} else if (send_all(p[1 - i].fd, buf, (size_t)n) != 0) {
				reading[0] = reading[1] = false;
			}
		}
	}
	close(up);
}

/* dns-tc-relay: a UDP query is answered with its own header and question,
 * QR and TC set, no records and no EDNS: "ask again over TCP". */
static void answer_truncated(int ufd)
{
	unsigned char q[4096];
	struct sockaddr_storage from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(ufd, q, sizeof q, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
	size_t end = 12;

	/* a query (QR clear) with one question, uncompressed */
	if (n < 12 || (q[2] & 0x80) || q[4] != 0 || q[5] != 1)
		return;
	while (end < (size_t)n && q[end] != 0) {
		if (q[end] & 0xC0)
			return;
		end += q[end] + 1u;
	}
	end += 1 + 4; /* root label, QTYPE, QCLASS */
	if (end > (size_t)n)
		return;
	q[2] = (unsigned char)(0x80 | (q[2] & 0x79) | 0x02); /* QR, opcode and RD kept, TC */
	q[3] = 0;                                           /* NOERROR */
	memset(q + 6, 0, 6);                                /* ANCOUNT NSCOUNT ARCOUNT */
	(void)sendto(ufd, q, end, 0, (struct sockaddr *)&from, flen);
}

static void serve_client(int fd, const struct options *opt, SSL_CTX *ctx,
			 volatile unsigned char *over)
{
	struct conn c = {.fd = fd, .ssl = NULL, .opt = opt, .ctx = ctx, .over = over};

	set_timeouts(fd, IO_TIMEOUT_S);
	switch (opt->mode) {
	case MODE_TARPIT:
	case MODE_BLACKHOLE: hold_silent(&c, TARPIT_HOLD_S); break;
	case MODE_GARBAGE: garbage(&c); break;
	case MODE_DNS_TCP_RELAY:
	case MODE_DNS_TC_RELAY: relay_session(&c); break;
	case MODE_RESET:
		session_over(&c);
		arm_reset(&c);
		break;
	default: smtp_dialogue(&c); break;
	}
	session_over(&c);
	if (c.ssl != NULL) {
		(void)SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	/* The listener holds a copy of this socket, so close() alone would not
	 * end the connection: shutdown() sends the FIN now.  A reset is sent by
	 * the last close, the listener's, when it reaps this child. */
	if (!c.reset_armed)
		(void)shutdown(fd, SHUT_RDWR);
	close(fd);
}

/* ---- concurrency counts (--peak-file) ------------------------------------------ */

static void write_peak_file(const char *path)
{
	char tmp[4096], line[128];
	FILE *f;
	int n;

	if (path == NULL)
		return;
	n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof tmp)
		return;
	snprintf(line, sizeof line, "peak=%u active=%u total=%lu\n", stats.peak, stats.active, stats.total);
	if ((f = fopen(tmp, "w")) == NULL) {
		logmsg("cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	fputs(line, f);
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		logmsg("cannot replace %s: %s", path, strerror(errno));
}

/* A session is in progress until its child says it is over or the client
 * has closed or reset its end (the listener's copy of the socket shows
 * that at once, see the head comment).  Drops the copies of ended ones. */
static unsigned count_active(void)
{
	unsigned n = 0;

	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		struct child *ch = &children[i];

		if (ch->pid == 0 || ch->dup_fd < 0)
			continue;
		if (!over_flags[i]) {
			struct pollfd p = {.fd = ch->dup_fd, .events = POLLRDHUP};

			if (poll(&p, 1, 0) == 0 || !(p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
				n++;
				continue;
			}
		}
		/* Over: the copy has done its job.  (If the child armed a reset
		 * and closed its own copy already, this close sends the RST.) */
		close(ch->dup_fd);
		ch->dup_fd = -1;
	}
	return n;
}

/* Recount; reset first if asked to (SIGUSR1, or the file was truncated or
 * removed); rewrite the file if anything changed. */
static void update_counts(const struct options *opt, bool accepted)
{
	struct stat st;
	unsigned old_active = stats.active, old_peak = stats.peak;
	bool reset = got_usr1;

	got_usr1 = 0;
	if (opt->peak_file != NULL && (stat(opt->peak_file, &st) != 0 || st.st_size == 0))
		reset = true;
	stats.active = count_active();
	if (accepted)
		stats.total++;
	if (reset) {
		stats.peak = stats.active;
		stats.total = accepted ? 1 : 0;
	} else if (stats.active > stats.peak) {
		stats.peak = stats.active;
	}
	if (reset || accepted || stats.active != old_active || stats.peak != old_peak)
		write_peak_file(opt->peak_file);
}

/* ---- process management -------------------------------------------------------- */

static void on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static int install_signals(sigset_t *old)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGCHLD, SIGUSR1};
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) != 0)
		return -1;
	/* Block the signals outside ppoll() so none is lost between checks. */
	sigemptyset(&block);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&block, sigs[i]);
	if (sigprocmask(SIG_BLOCK, &block, old) != 0)
		return -1;
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		if (sigaction(sigs[i], &sa, NULL) != 0)
			return -1;
	}
	return 0;
}

static void release_slot(size_t i)
{
	if (children[i].dup_fd >= 0)
		close(children[i].dup_fd);
	children[i].dup_fd = -1;
	children[i].pid = 0;
	over_flags[i] = 0;
}

static void reap_children(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
		for (size_t i = 0; i < MAX_CHILDREN; i++) {
			if (children[i].pid == pid)
				release_slot(i);
		}
	}
}

static void kill_children(void)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].pid > 0)
			(void)kill(children[i].pid, SIGTERM);
	}
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].pid > 0)
			(void)waitpid(children[i].pid, NULL, 0);
		release_slot(i);
	}
}

static int free_child_slot(void)
{
	for (int i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].pid == 0)
			return i;
	}
	return -1;
}

static void child_signals(const sigset_t *old)
{
	static const int sigs[] = {SIGTERM, SIGINT, SIGCHLD, SIGUSR1};
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		(void)sigaction(sigs[i], &sa, NULL);
	(void)sigprocmask(SIG_SETMASK, old, NULL);
}

/* The child must not hold the other sessions' sockets: a client waiting for
 * a FIN would wait for this child too. */
static void close_other_dups(void)
{
	for (size_t i = 0; i < MAX_CHILDREN; i++) {
		if (children[i].dup_fd >= 0)
			close(children[i].dup_fd);
	}
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
	over_flags[slot] = 0;
	pid = fork();
	if (pid == 0) {
		close(lfd);
		close_other_dups();
		child_signals(old);
		logmsg("session from %s, mode %s", host, mode_table[opt->mode].name);
		serve_client(fd, opt, ctx, &over_flags[slot]);
		_exit(0);
	}
	if (pid < 0) {
		logmsg("fork: %s", strerror(errno));
		close(fd);
		return;
	}
	children[slot].pid = pid;
	children[slot].dup_fd = fd; /* kept to see the client leave, see count_active() */
	update_counts(opt, true);
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

/* blackhole: read a datagram and drop it. */
static void drop_datagram(int ufd)
{
	char sink[4096];

	(void)recv(ufd, sink, sizeof sink, MSG_DONTWAIT);
}

/* While sessions are in progress, look at them every 50 ms so that the
 * active count in the file follows clients that leave.  `ufd` is the UDP
 * socket of blackhole and dns-tc-relay mode, or -1. */
static void serve(int lfd, int ufd, const struct options *opt, SSL_CTX *ctx, const sigset_t *old)
{
	struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = ufd, .events = POLLIN}};
	const struct timespec tick = {.tv_sec = 0, .tv_nsec = 50 * 1000000L};

	while (!got_term) {
		int r = ppoll(p, ufd >= 0 ? 2 : 1, stats.active > 0 ? &tick : NULL, old);
		int err = errno; /* reap_children() clobbers errno */

		if (got_chld) {
			got_chld = 0;
			reap_children();
		}
		if (r > 0 && ufd >= 0 && (p[1].revents & POLLIN)) {
			if (opt->mode == MODE_DNS_TC_RELAY)
				answer_truncated(ufd);
			else
				drop_datagram(ufd);
		}
		if (r > 0 && (p[0].revents & POLLIN) && !got_term)
			accept_one(lfd, opt, ctx, old);
		else if (r < 0 && err != EINTR) {
			logmsg("poll: %s", strerror(err));
			break;
		}
		update_counts(opt, false);
	}
}

int main(int argc, char **argv)
{
	struct options opt;
	SSL_CTX *ctx = NULL;
	sigset_t old;
	int lfd, ufd = -1;

	if (parse_options(argc, argv, &opt) != 0) {
		usage();
		return 2;
	}
	setvbuf(stderr, NULL, _IOLBF, 0);
	for (size_t i = 0; i < MAX_CHILDREN; i++)
		children[i].dup_fd = -1;
	over_flags = mmap(NULL, MAX_CHILDREN, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (over_flags == MAP_FAILED) {
		logmsg("mmap: %s", strerror(errno));
		return 1;
	}
	if (mode_table[opt.mode].needs_cert && (ctx = make_tls_ctx(&opt)) == NULL)
		return 1;
	if ((lfd = open_listener(opt.listen, SOCK_STREAM)) < 0 ||
	    ((opt.mode == MODE_BLACKHOLE || opt.mode == MODE_DNS_TC_RELAY) &&
	     (ufd = open_listener(opt.listen, SOCK_DGRAM)) < 0) ||
	    install_signals(&old) != 0 || write_pidfile(opt.pidfile) != 0) {
		if (lfd >= 0)
			close(lfd);
		SSL_CTX_free(ctx);
		return 1;
	}
	write_peak_file(opt.peak_file);
	logmsg("listening on %s, mode %s", opt.listen, mode_table[opt.mode].name);
	serve(lfd, ufd, &opt, ctx, &old);
	logmsg("terminating");
	close(lfd);
	if (ufd >= 0)
		close(ufd);
	kill_children();
	if (opt.pidfile != NULL)
		(void)unlink(opt.pidfile);
	SSL_CTX_free(ctx);
	return 0;
}
