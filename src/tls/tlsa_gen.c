/*
 * tlsa_gen.c -- TLSA record sources and output forms (see tlsa_gen.h).
 */
#include "config.h"

#include "tls/tlsa_gen.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "dns/dns_name.h"
#include "tls/cert_facts.h"
#include "tls/dane_tls.h"
#include "util/ev_compat.h"
#include "util/hex.h"
#include "util/log.h"
#include "util/parse.h"
#include "smtp/smtp_route.h"
#include "smtp/smtp_session.h"

/* Certificate and key files are small; a bound keeps a wrong path (a
 * disk image, /dev/zero) from eating memory. */
enum { MAX_FILE = 1 << 20 };

/* ---- files ---- */

static tlsa_gen_wipe_hook wipe_hook;
static void *wipe_hook_arg;

void
tlsa_gen_set_wipe_hook(tlsa_gen_wipe_hook hook, void *arg)
{
	wipe_hook = hook;
	wipe_hook_arg = arg;
}

/* A certificate file may be a Postfix chain file holding the private key,
 * and a key file is one: whatever was read is wiped before it is freed,
 * so no key material lingers in freed heap (core dumps, swap). */
static void
free_file(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	OPENSSL_cleanse(buf, len + 1);
	if (wipe_hook != NULL)
		wipe_hook(buf, len + 1, wipe_hook_arg);
	free(buf);
}

/* Up to `len` bytes of fd into buf; the count, or -1 on a read error. */
static ssize_t
read_all(int fd, unsigned char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n < len && (r = read(fd, buf + n, len - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		n += (size_t)r;
	}
	return (ssize_t)n;
}

/* "-" is standard input, shown as "<stdin>" in messages. */
static const char *
shown(const char *path)
{
	return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

/*
 * Reads the whole file ("-": standard input); *len 0 for an empty one.
 * Caller frees with free_file().  read(2), not stdio: a FILE's buffer
 * could keep a copy of a key that nobody wipes.
 */
static unsigned char *
read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	bool std_in = strcmp(path, "-") == 0;
	int fd = std_in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	const char *name = shown(path);
	unsigned char *buf;
	ssize_t n;

	*len = 0;
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", name, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_FILE + 1);
	if (buf == NULL) {
		if (!std_in)
			close(fd);
		snprintf(err, errlen, "%s: out of memory", name);
		return NULL;
	}
	n = read_all(fd, buf, MAX_FILE + 1);
	if (n < 0 || n > MAX_FILE) {
		snprintf(err, errlen, "%s: %s", name, n < 0 ? strerror(errno) :
		    "too large for a certificate or key file");
		if (!std_in)
			close(fd);
		free_file(buf, MAX_FILE);
		return NULL;
	}
	if (!std_in)
		close(fd);
	buf[n] = '\0';  /* room reserved above: PEM checks use strstr */
	*len = (size_t)n;
	return buf;
}

static bool
is_pem(const unsigned char *buf, size_t len)
{
	return len > 0 && strstr((const char *)buf, "-----BEGIN ") != NULL;
}

static bool
mentions(const unsigned char *buf, const char *what)
{
	return strstr((const char *)buf, what) != NULL;
}

/* The OpenSSL reason of the oldest queued error, then an empty queue. */
static const char *
ossl_reason(void)
{
	unsigned long e = ERR_peek_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	ERR_clear_error();
	return r ? r : "unknown error";
}

static STACK_OF(X509) *
pem_certs(const char *path, const unsigned char *buf, size_t len,
    char *err, size_t errlen)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *x;

	if (bio == NULL || sk == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/* PEM_read_bio_X509 skips blocks of other types (keys). */
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			snprintf(err, errlen, "%s: out of memory", path);
			goto fail;
		}
	}
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "%s: bad certificate block: %s", path,
		    ossl_reason());
		goto fail;
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		snprintf(err, errlen, "%s: no certificate in this PEM file%s",
		    path, mentions(buf, "KEY-----") ? " (it holds a key: use "
		    "--key)" : "");
		goto fail;
	}
	BIO_free(bio);
	return sk;
fail:
	BIO_free(bio);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

static STACK_OF(X509) *
der_cert(const char *path, const unsigned char *buf, size_t len, char *err,
    size_t errlen)
{
	const unsigned char *p = buf;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	STACK_OF(X509) *sk;

	ERR_clear_error();
	if (x == NULL || p != buf + len) {
		X509_free(x);
		snprintf(err, errlen, "%s: not a certificate (neither PEM nor "
		    "DER X.509)", path);
		return NULL;
	}
	if ((sk = sk_X509_new_null()) == NULL || sk_X509_push(sk, x) <= 0) {
		X509_free(x);
		sk_X509_free(sk);
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	return sk;
}

STACK_OF(X509) *
tlsa_gen_load_certs(const char *path, char *err, size_t errlen)
{
	size_t len;
	unsigned char *buf = read_file(path, &len, err, errlen);
	STACK_OF(X509) *sk = NULL;
	const char *name = shown(path);

	if (buf == NULL)
		return NULL;
	if (len == 0)
		snprintf(err, errlen, "%s: empty file, no certificate", name);
	else if (is_pem(buf, len))
		sk = pem_certs(name, buf, len, err, errlen);
	else
		sk = der_cert(name, buf, len, err, errlen);
	free_file(buf, len);
	return sk;
}

/* ---- keys ---- */

typedef struct pw_state {
	const char *password;
	bool asked;
} pw_state;

/* Called only for an encrypted key: remembers that, and fails when no
 * password was given (never prompts: this runs from hooks and cron). */
static int
pw_cb(char *pass, size_t size, size_t *len, const OSSL_PARAM *params,
    void *arg)
{
	pw_state *st = arg;
	size_t n;

	st->asked = true;
	if (st->password == NULL)
		return 0;
	n = strlen(st->password);
	if (n > size)
		return 0;
	memcpy(pass, st->password, n);
	*len = n;
	return 1;
}

static EVP_PKEY *
decode_key(const unsigned char *buf, size_t len, pw_state *st)
{
	EVP_PKEY *pkey = NULL;
	OSSL_DECODER_CTX *d;
	const unsigned char *p = buf;
	size_t left = len;

	d = OSSL_DECODER_CTX_new_for_pkey(&pkey, NULL, NULL, NULL, 0, NULL,
	    NULL);
	if (d == NULL)
		return NULL;
	if (!OSSL_DECODER_CTX_set_passphrase_cb(d, pw_cb, st) ||
	    !OSSL_DECODER_from_data(d, &p, &left)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	OSSL_DECODER_CTX_free(d);
	ERR_clear_error();
	return pkey;
}

EVP_PKEY *
tlsa_gen_load_key(const char *path, const char *password, char *err,
    size_t errlen)
{
	size_t len;
	unsigned char *buf = read_file(path, &len, err, errlen);
	pw_state st = { password, false };
	EVP_PKEY *pkey = NULL;
	const char *name = shown(path);

	if (buf == NULL)
		return NULL;
	if (len == 0)
		snprintf(err, errlen, "%s: empty file, no key", name);
	else if ((pkey = decode_key(buf, len, &st)) != NULL)
		; /* done */
	else if (st.asked && password == NULL)
		snprintf(err, errlen, "%s: the key is encrypted: give "
		    "--password-file (or --password)", name);
	else if (st.asked)
		snprintf(err, errlen, "%s: cannot decrypt the key: wrong "
		    "password?", name);
	else if (is_pem(buf, len) && mentions(buf, "CERTIFICATE-----"))
		snprintf(err, errlen, "%s: a certificate, not a key: use "
		    "--cert", name);
	else
		snprintf(err, errlen, "%s: not a public or private key (PEM "
		    "or DER)", name);
	free_file(buf, len);
	return pkey;
}

/* read(2), not stdio: a FILE's buffer would keep a copy of the password
 * that nobody wipes. */
int
tlsa_gen_read_password(const char *path, char *buf, size_t len, char *err,
    size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r = 1;

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (n + 1 < len && memchr(buf, '\n', n) == NULL &&
	    (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	if (r < 0)
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	buf[n] = '\0';
	if (r >= 0 && strcspn(buf, "\r\n") == n && n + 1 == len) {
		snprintf(err, errlen, "%s: the first line is longer than %zu "
		    "bytes", path, len - 2);
		r = -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	OPENSSL_cleanse(buf + strlen(buf), n - strlen(buf));
	if (r < 0) {
		OPENSSL_cleanse(buf, len);
		return -1;
	}
	return 0;
}

int
tlsa_gen_take_password(char *arg, char *buf, size_t len)
{
	size_t n = strlen(arg);
	int rc = 0;

	if (n >= len)
		rc = -1;
	else
		memcpy(buf, arg, n + 1);
	/* The argv string itself: /proc/PID/cmdline (ps) shows it. */
	OPENSSL_cleanse(arg, n);
	if (n > 0)
		arg[0] = 'x';
	return rc;
}

int
tlsa_gen_key_data(EVP_PKEY *key, int mtype, unsigned char **out,
    size_t *outlen)
{
	unsigned char *der = NULL;
	int derlen = i2d_PUBKEY(key, &der);

	return cert_tlsa_data_der(der, derlen, mtype, out, outlen);
}

int
tlsa_gen_record(X509 *x, EVP_PKEY *key, uint8_t usage, uint8_t selector,
    uint8_t mtype, tlsa_record *rec, char *err, size_t errlen)
{
	unsigned char *d = NULL;
	size_t len = 0;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (x == NULL && selector != TLSA_SELECTOR_SPKI) {
		snprintf(err, errlen, "selector %u (whole certificate) needs a "
		    "certificate; a key gives selector 1 (spki) only",
		    selector);
		return -1;
	}
	rc = x != NULL ? cert_tlsa_data(x, selector, mtype, &d, &len) :
	    tlsa_gen_key_data(key, mtype, &d, &len);
	if (rc != 0 || (rec->data = malloc(len ? len : 1)) == NULL) {
		OPENSSL_free(d);
		snprintf(err, errlen, "cannot compute the association data");
		return -1;
	}
	memcpy(rec->data, d, len);
	OPENSSL_free(d);
	rec->len = len;
	rec->usage = usage;
	rec->selector = selector;
	rec->mtype = mtype;
	return 0;
}

/* ---- parameters by number or name ---- */

static int
parse_param(const char *s, const char *const *names, int count,
    const char *what, uint8_t *out, char *err, size_t errlen)
{
	long v;

	for (int i = 0; i < count; i++)
		for (const char *n = names[i]; n && *n; n += strlen(n) + 1)
			if (strcasecmp(s, n) == 0) {
				*out = (uint8_t)i;
				return 0;
			}
	if (parse_long(s, 0, count - 1, &v) == 0) {
		*out = (uint8_t)v;
		return 0;
	}
	snprintf(err, errlen, "unknown %s \"%.32s\" (0-%d or ", what, s,
	    count - 1);
	for (int i = 0; i < count; i++)
		snprintf(err + strlen(err), errlen - strlen(err), "%s%s",
		    i ? ", " : "", names[i]);
	snprintf(err + strlen(err), errlen - strlen(err), ")");
	return -1;
}

/* Each entry: the main name, then aliases, each NUL-terminated, and an
 * empty name (the literal's own NUL) at the end. */
static const char *const usage_names[] = { "pkix-ta\0", "pkix-ee\0",
    "dane-ta\0", "dane-ee\0" };
static const char *const selector_names[] = { "cert\0full-cert\0",
    "spki\0pubkey\0" };
static const char *const mtype_names[] = { "full\0exact\0",
    "sha256\0sha2-256\0sha-256\0", "sha512\0sha2-512\0sha-512\0" };

int
tlsa_gen_parse_usage(const char *s, uint8_t *out, char *err, size_t errlen)
{
	return parse_param(s, usage_names, 4, "usage", out, err, errlen);
}

int
tlsa_gen_parse_selector(const char *s, uint8_t *out, char *err,
    size_t errlen)
{
	return parse_param(s, selector_names, 2, "selector", out, err, errlen);
}

int
tlsa_gen_parse_mtype(const char *s, uint8_t *out, char *err, size_t errlen)
{
	return parse_param(s, mtype_names, 3, "matching type", out, err,
	    errlen);
}

int
tlsa_gen_owner(const char *host, int port, char *buf, size_t len, char *err,
    size_t errlen)
{
	char name[256];

	/* Lower case, A-labels, no trailing dot: as probes show it. */
	if (dns_name_parse(host, name, sizeof(name), err, errlen) != 0)
		return -1;
	snprintf(buf, len, "_%d._tcp.%s.", port, name);
	return 0;
}

int
tlsa_gen_parse_format(const char *s, tlsa_gen_format *out)
{
	static const char *const names[] = { "zone", "nsupdate", "generic",
	    "json" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (tlsa_gen_format)i;
			return 0;
		}
	return -1;
}

/* ---- output ---- */

static char *
hex_of(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	return s ? hex_encode(p, n, s, 2 * n + 1) : NULL;
}

static void
ttl_field(char *buf, size_t len, uint32_t ttl)
{
	if (ttl > 0)
		snprintf(buf, len, " %lu", (unsigned long)ttl);
	else
		buf[0] = '\0';
}

static int
print_line(FILE *out, tlsa_gen_format f, const char *owner, uint32_t ttl,
    const tlsa_record *r)
{
	char *h = hex_of(r->data, r->len), t[16];
	int rc = 0;

	if (h == NULL)
		return -1;
	ttl_field(t, sizeof(t), ttl);
	if (owner == NULL && f == TLSA_GEN_GENERIC)
		rc = fprintf(out, "\\# %zu %02x%02x%02x%s\n", r->len + 3,
		    r->usage, r->selector, r->mtype, h);
	else if (owner == NULL)
		/* The record data alone, to paste into a zone or a form. */
		rc = fprintf(out, "%u %u %u %s\n", r->usage, r->selector,
		    r->mtype, h);
	else if (f == TLSA_GEN_NSUPDATE)
		rc = fprintf(out, "update add %s %lu IN TLSA %u %u %u %s\n",
		    owner, (unsigned long)(ttl ? ttl : 3600), r->usage,
		    r->selector, r->mtype, h);
	else if (f == TLSA_GEN_GENERIC)
		/* RFC 3597 section 5: the RDATA as one hex string. */
		rc = fprintf(out, "%s%s IN TYPE52 \\# %zu %02x%02x%02x%s\n",
		    owner, t, r->len + 3, r->usage, r->selector, r->mtype, h);
	else
		rc = fprintf(out, "%s%s IN TLSA %u %u %u %s\n", owner, t,
		    r->usage, r->selector, r->mtype, h);
	free(h);
	return rc < 0 ? -1 : 0;
}

static json_t *
json_item(const char *owner, uint32_t ttl, const tlsa_gen_item *it)
{
	char *h = hex_of(it->rec.data, it->rec.len);
	json_t *o = json_pack("{s:s?, s:I, s:i, s:i, s:i, s:s?, s:s, s:s?}",
	    "owner", owner, "ttl", (json_int_t)ttl, "usage", it->rec.usage,
	    "selector", it->rec.selector, "mtype", it->rec.mtype, "data", h,
	    "source", it->source, "file", it->file);
	cert_facts cf;

	free(h);
	if (o == NULL)
		return NULL;
	if (it->depth >= 0)
		json_object_set_new(o, "depth", json_integer(it->depth));
	if (it->key_family != NULL)
		json_object_set_new(o, "key_family",
		    json_string(it->key_family));
	if (it->cert != NULL && cert_facts_from_x509(it->cert, &cf) == 0) {
		json_object_set_new(o, "subject", json_string(cf.subject));
		json_object_set_new(o, "key_type", json_string(cf.key_type));
		json_object_set_new(o, "not_after",
		    json_integer((json_int_t)cf.not_after));
	}
	return o;
}

static int
print_json(FILE *out, const char *owner, uint32_t ttl,
    const tlsa_gen_item *items, size_t n)
{
	json_t *arr = json_array();
	int rc = -1;

	for (size_t i = 0; arr != NULL && i < n; i++) {
		json_t *o = json_item(owner, ttl, &items[i]);

		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
	}
	if (arr != NULL && json_dumpf(arr, out, JSON_INDENT(2)) == 0 &&
	    fputc('\n', out) != EOF)
		rc = 0;
out:
	json_decref(arr);
	return rc;
}

int
tlsa_gen_print(FILE *out, tlsa_gen_format f, const char *owner,
    uint32_t ttl, const tlsa_gen_item *items, size_t n)
{
	if (f == TLSA_GEN_JSON)
		return print_json(out, owner, ttl, items, n);
	if (f == TLSA_GEN_NSUPDATE && owner == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (print_line(out, f, owner, ttl, &items[i].rec) != 0)
			return -1;
	if (f == TLSA_GEN_NSUPDATE && fprintf(out, "send\n") < 0)
		return -1;
	return 0;
}

/* ---- a live server's chain ---- */

typedef struct fetch_one {
	STACK_OF(X509) *certs;
	char reason[256];
} fetch_one;

/* Keeps references to the chain: the SSL is freed after this returns. */
static void
fetch_done(const smtp_session_result *r, void *arg)
{
	fetch_one *f = arg;
	STACK_OF(X509) *chain = r->ssl ? SSL_get_peer_cert_chain(r->ssl) : NULL;

	snprintf(f->reason, sizeof(f->reason), "%s", r->reason);
	if (!r->tls_established || chain == NULL || sk_X509_num(chain) == 0) {
		if (f->reason[0] == '\0')
			snprintf(f->reason, sizeof(f->reason), "%s",
			    smtp_outcome_name(r->outcome));
		return;
	}
	f->certs = X509_chain_up_ref(chain);
}

static int
fetch_at(struct ev_loop *loop, SSL_CTX *ctx, const tlsa_gen_fetch_params *p,
    const char *family, const struct addrinfo *ai, fetch_one *f)
{
	dane_tls_params tp = { .sni = p->host, .key_family = family };
	smtp_session_params sp = { 0 };
	SSL *ssl = dane_tls_ssl_new(ctx, &tp, f->reason, sizeof(f->reason));

	if (ssl == NULL)
		return -1;
	sp.addr = ai->ai_addr;
	sp.addrlen = ai->ai_addrlen;
	sp.helo_name = p->helo;
	sp.phase_timeout = p->timeout;
	sp.deadline = ev_now(loop) + p->timeout;
	sp.ssl = ssl;
	sp.log_id = family;
	sp.done = fetch_done;
	sp.arg = f;
	if (smtp_session_start(loop, &sp, NULL, f->reason,
	    sizeof(f->reason)) != 0)
		return -1;
	ev_run(loop, 0);
	return f->certs != NULL ? 0 : -1;
}

static int
resolve(const tlsa_gen_fetch_params *p, struct addrinfo **res, char *err,
    size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	char port[8];
	int rc;

	snprintf(port, sizeof(port), "%d", p->port);
	/* Not AI_ADDRCONFIG: it ignores loopback and cannot be forced;
	 * fetch_family() checks the route of each address instead. */
	hints.ai_flags = p->connect ? AI_NUMERICHOST : 0;
	hints.ai_family = p->ip_family;
	rc = getaddrinfo(p->connect ? p->connect : p->host, port, &hints, res);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", p->connect ? p->connect : p->host,
		    gai_strerror(rc));
		return -1;
	}
	return 0;
}

static void
addr_text(const struct addrinfo *ai, char *buf, size_t len)
{
	char host[64] = "?";

	(void)getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
	    NULL, 0, NI_NUMERICHOST);
	snprintf(buf, len, "%s", host);
}

static bool
same_leaf(STACK_OF(X509) *a, STACK_OF(X509) *b)
{
	return X509_cmp(sk_X509_value(a, 0), sk_X509_value(b, 0)) == 0;
}

/* An address of a family this host has no route for, none forced: not
 * tried, as daneprobe check leaves it out (smtp_no_route()). */
static bool
skip_no_route(const tlsa_gen_fetch_params *p, const struct addrinfo *ai)
{
	dns_addr a;

	if (p->connect != NULL || p->ip_family != AF_UNSPEC)
		return false;
	memset(&a, 0, sizeof(a));
	a.family = ai->ai_family;
	if (ai->ai_family == AF_INET6)
		a.u.v6 = ((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
	else if (ai->ai_family == AF_INET)
		a.u.v4 = ((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	else
		return false;
	return smtp_no_route(&a, p->port);
}

/* One family: the first address that completes a handshake. */
static int
fetch_family(struct ev_loop *loop, SSL_CTX *ctx,
    const tlsa_gen_fetch_params *p, const char *family,
    const struct addrinfo *ais, tlsa_gen_chain *out, char *why, size_t wlen)
{
	for (const struct addrinfo *ai = ais; ai != NULL; ai = ai->ai_next) {
		fetch_one f = { NULL, "" };

		addr_text(ai, out->address, sizeof(out->address));
		if (skip_no_route(p, ai)) {
			snprintf(why, wlen, "%s [%s]:%d: not probed: no %s "
			    "route on this host", p->host, out->address,
			    p->port, ai->ai_family == AF_INET6 ? "IPv6" :
			    "IPv4");
			log_info("%s", why);
			continue;
		}
		if (fetch_at(loop, ctx, p, family, ai, &f) == 0) {
			out->certs = f.certs;
			snprintf(out->key_family, sizeof(out->key_family), "%s",
			    family);
			return 0;
		}
		snprintf(why, wlen, "%s [%s]:%d, %s: %s", p->host,
		    out->address, p->port, family, f.reason);
		log_info("%s", why);
	}
	return -1;
}

int
tlsa_gen_fetch(const tlsa_gen_fetch_params *p, tlsa_gen_chain **chains,
    char *err, size_t errlen)
{
	static const char *const families[] = { "ECDSA", "RSA" };
	struct addrinfo *ais = NULL;
	struct ev_loop *loop = NULL;
	SSL_CTX *ctx = NULL;
	tlsa_gen_chain *out = calloc(2, sizeof(*out));
	int n = 0;

	*chains = NULL;
	snprintf(err, errlen, "no TLS handshake with %s", p->host);
	if (out == NULL || resolve(p, &ais, err, errlen) != 0 ||
	    (loop = ev_loop_new(EVFLAG_AUTO)) == NULL ||
	    (ctx = dane_tls_ctx_new(err, errlen)) == NULL)
		goto out;
	for (int i = 0; i < 2; i++) {
		if (p->key_family != NULL &&
		    strcasecmp(p->key_family, families[i]) != 0)
			continue;
		if (fetch_family(loop, ctx, p, families[i], ais, &out[n], err,
		    errlen) != 0)
			continue;
		/* A server with one certificate presents it to both. */
		if (n > 0 && same_leaf(out[0].certs, out[n].certs)) {
			sk_X509_pop_free(out[n].certs, X509_free);
			memset(&out[n], 0, sizeof(out[n]));
			out[0].key_family[0] = '\0';
			continue;
		}
		n++;
	}
out:
	SSL_CTX_free(ctx);
	if (loop != NULL)
		ev_loop_destroy(loop);
	if (ais != NULL)
		freeaddrinfo(ais);
	if (n == 0) {
		free(out);
		return -1;
	}
	*chains = out;
	return n;
}

void
tlsa_gen_chains_free(tlsa_gen_chain *chains, int n)
{
	for (int i = 0; chains != NULL && i < n; i++)
		sk_X509_pop_free(chains[i].certs, X509_free);
	free(chains);
}
