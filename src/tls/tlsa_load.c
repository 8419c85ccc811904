/*
 * tlsa_load.c -- the files `daneprobe tlsa` and `rollover` read:
 * certificates, keys and passwords (see tlsa_gen.h).  Whatever was read
 * is wiped before it is freed.
 */
#include "config.h"

#include "tls/tlsa_gen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>

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
		snprintf(err, errlen, "%s: %s", name,
		    n < 0 ? strerror(errno) :
		            "too large for a certificate or key file");
		if (!std_in)
			close(fd);
		free_file(buf, MAX_FILE);
		return NULL;
	}
	if (!std_in)
		close(fd);
	buf[n] = '\0'; /* room reserved above: PEM checks use strstr */
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
    pem_certs(const char *path, const unsigned char *buf, size_t len, char *err,
        size_t errlen)
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
		    path,
		    mentions(buf, "KEY-----") ? " (it holds a key: use "
		                                "--key)" :
		                                "");
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
	STACK_OF(X509) * sk;

	ERR_clear_error();
	if (x == NULL || p != buf + len) {
		X509_free(x);
		snprintf(err, errlen,
		    "%s: not a certificate (neither PEM nor "
		    "DER X.509)",
		    path);
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

STACK_OF(X509) * tlsa_gen_load_certs(const char *path, char *err, size_t errlen)
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
pw_cb(char *pass, size_t size, size_t *len, const OSSL_PARAM *params, void *arg)
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

	d = OSSL_DECODER_CTX_new_for_pkey(
	    &pkey, NULL, NULL, NULL, 0, NULL, NULL);
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
tlsa_gen_load_key(
    const char *path, const char *password, char *err, size_t errlen)
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
		snprintf(err, errlen,
		    "%s: the key is encrypted: give "
		    "--password-file (or --password)",
		    name);
	else if (st.asked)
		snprintf(err, errlen,
		    "%s: cannot decrypt the key: wrong "
		    "password?",
		    name);
	else if (is_pem(buf, len) && mentions(buf, "CERTIFICATE-----"))
		snprintf(err, errlen,
		    "%s: a certificate, not a key: use "
		    "--cert",
		    name);
	else
		snprintf(err, errlen,
		    "%s: not a public or private key (PEM "
		    "or DER)",
		    name);
	free_file(buf, len);
	return pkey;
}

/* read(2), not stdio: a FILE's buffer would keep a copy of the password
 * that nobody wipes. */
int
tlsa_gen_read_password(
    const char *path, char *buf, size_t len, char *err, size_t errlen)
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
		snprintf(err, errlen,
		    "%s: the first line is longer than %zu "
		    "bytes",
		    path, len - 2);
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
