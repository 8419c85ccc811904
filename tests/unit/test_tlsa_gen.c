/*
 * test_tlsa_gen.c -- the secrets `daneprobe tlsa` and `rollover` handle:
 * the buffers that held a key file are wiped before they are freed (seen
 * through tlsa_gen_set_wipe_hook, called between the wipe and the free),
 * a password file leaves only its first line behind, and --password's
 * argv string is overwritten.  What this cannot show: copies OpenSSL
 * makes inside its decoders, or a stack frame's leftovers.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "tls/tlsa_gen.h"

typedef struct wipes {
	int calls;
	size_t len;
	bool all_zero;
} wipes;

static void
record_wipe(const unsigned char *buf, size_t len, void *arg)
{
	wipes *w = arg;

	w->calls++;
	w->len = len;
	w->all_zero = true;
	for (size_t i = 0; i < len; i++)
		if (buf[i] != 0)
			w->all_zero = false;
}

static char dir[64];

static void
make_dir(void)
{
	snprintf(dir, sizeof(dir), "/tmp/test_tlsa_gen.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
remove_dir(void)
{
	char cmd[128];

	tlsa_gen_set_wipe_hook(NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* Writes a fresh P-256 private key (encrypted when pass is not NULL) to
 * dir/name; returns the path (static) and the file's size in *size. */
static const char *
write_key(const char *name, const char *pass, long *size)
{
	static char path[128];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	FILE *f;

	cr_assert_not_null(k);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert(PEM_write_PrivateKey(f, k, pass ? EVP_aes_256_cbc() : NULL,
	    (const unsigned char *)pass, pass ? (int)strlen(pass) : 0, NULL,
	    NULL));
	*size = ftell(f);
	fclose(f);
	EVP_PKEY_free(k);
	return path;
}

static const char *
write_text(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

TestSuite(tlsa_gen, .init = make_dir, .fini = remove_dir);

Test(tlsa_gen, loaded_key_file_buffer_is_wiped_before_free)
{
	wipes w = { 0 };
	long size;
	const char *path = write_key("key.pem", NULL, &size);
	char err[300];
	EVP_PKEY *k;

	tlsa_gen_set_wipe_hook(record_wipe, &w);
	k = tlsa_gen_load_key(path, NULL, err, sizeof(err));
	cr_assert_not_null(k, "%s", err);
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(w.len, (size_t)size + 1, "wiped %zu bytes of %ld + NUL",
	    w.len, size);
	cr_assert(w.all_zero, "the key file's bytes are still in the buffer");
	EVP_PKEY_free(k);
}

Test(tlsa_gen, buffer_is_wiped_when_the_password_is_wrong)
{
	wipes w = { 0 };
	long size;
	const char *path = write_key("enc.pem", "right horse", &size);
	char err[300];

	tlsa_gen_set_wipe_hook(record_wipe, &w);
	cr_assert_null(tlsa_gen_load_key(path, "wrong", err, sizeof(err)));
	cr_assert(strstr(err, "wrong password") != NULL, "err: %s", err);
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(w.len, (size_t)size + 1);
	cr_assert(w.all_zero);
}

Test(tlsa_gen, chain_file_buffer_is_wiped_even_without_a_certificate)
{
	wipes w = { 0 };
	long size;
	const char *path = write_key("chain.pem", NULL, &size);
	char err[300];

	/* A Postfix chain file starts with the key: load_certs reads it. */
	tlsa_gen_set_wipe_hook(record_wipe, &w);
	cr_assert_null(tlsa_gen_load_certs(path, err, sizeof(err)));
	cr_assert(strstr(err, "it holds a key") != NULL, "err: %s", err);
	cr_assert_eq(w.calls, 1);
	cr_assert_eq(w.len, (size_t)size + 1);
	cr_assert(w.all_zero);
}

Test(tlsa_gen, encrypted_key_loads_with_the_password_file_line)
{
	long size;
	char keypath[128], pw[64], err[300];
	EVP_PKEY *k;

	snprintf(keypath, sizeof(keypath), "%s", write_key("enc.pem",
	    "right horse", &size));
	cr_assert_eq(tlsa_gen_read_password(write_text("pw", "right horse\r\n"
	    "second line\n"), pw, sizeof(pw), err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(pw, "right horse");
	/* Nothing after the first line is left in the buffer. */
	for (size_t i = strlen(pw); i < strlen("right horse\r\nsecond line\n");
	    i++)
		cr_assert_eq(pw[i], 0, "byte %zu of the file is left", i);
	k = tlsa_gen_load_key(keypath, pw, err, sizeof(err));
	cr_assert_not_null(k, "%s", err);
	EVP_PKEY_free(k);
}

Test(tlsa_gen, password_file_edge_cases)
{
	char pw[16], err[300];

	cr_assert_eq(tlsa_gen_read_password(write_text("empty", ""), pw,
	    sizeof(pw), err, sizeof(err)), 0);
	cr_assert_str_eq(pw, "");
	cr_assert_eq(tlsa_gen_read_password(write_text("nonl", "abc"), pw,
	    sizeof(pw), err, sizeof(err)), 0);
	cr_assert_str_eq(pw, "abc");
	cr_assert_eq(tlsa_gen_read_password(write_text("fits",
	    "14-byte-passwd\n"), pw, sizeof(pw), err, sizeof(err)), 0);
	cr_assert_str_eq(pw, "14-byte-passwd");
	/* Too long: an error, never a cut password, and nothing kept. */
	cr_assert_eq(tlsa_gen_read_password(write_text("long",
	    "a-much-longer-password\n"), pw, sizeof(pw), err, sizeof(err)), -1);
	cr_assert(strstr(err, "longer than 14 bytes") != NULL, "err: %s", err);
	for (size_t i = 0; i < sizeof(pw); i++)
		cr_assert_eq(pw[i], 0);
	cr_assert_eq(tlsa_gen_read_password("/nonexistent/pw", pw, sizeof(pw),
	    err, sizeof(err)), -1);
	cr_assert(strstr(err, "No such file") != NULL, "err: %s", err);
}

Test(tlsa_gen, take_password_overwrites_the_argv_string)
{
	char arg[] = "--password=s3cret!", *val = arg + strlen("--password=");
	char buf[8], big[64];

	cr_assert_eq(tlsa_gen_take_password(val, big, sizeof(big)), 0);
	cr_assert_str_eq(big, "s3cret!");
	cr_assert_str_eq(arg, "--password=x");
	for (size_t i = 1; i < strlen("s3cret!"); i++)
		cr_assert_eq(val[i], 0, "byte %zu of the password is left", i);

	strcpy(arg, "too-long-for-8");
	cr_assert_eq(tlsa_gen_take_password(arg, buf, sizeof(buf)), -1);
	cr_assert_str_eq(arg, "x", "a refused password is overwritten too");

	arg[0] = '\0';
	cr_assert_eq(tlsa_gen_take_password(arg, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "");
}
