/*
 * key_gen.c -- a fresh private key for the next certificate.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "tls/key_gen.h"
#include "tls/tlsa_gen.h"
#include "util/hex.h"
#include "util/output_file.h"

EVP_PKEY *
key_gen_new(const char *alg, char *err, size_t errlen)
{
	EVP_PKEY *key = NULL;

	if (strcmp(alg, "ec") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else if (strcmp(alg, "rsa") == 0)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	else {
		snprintf(
		    err, errlen, "unknown key algorithm \"%s\" (ec, rsa)", alg);
		return NULL;
	}
	if (key == NULL)
		snprintf(err, errlen, "cannot generate an %s key", alg);
	return key;
}

int
key_gen_write(const char *path, EVP_PKEY *key, char *err, size_t errlen)
{
	BIO *mem = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int rc = -1;

	if (mem == NULL ||
	    !PEM_write_bio_PrivateKey(mem, key, NULL, NULL, 0, NULL, NULL) ||
	    (len = BIO_get_mem_data(mem, &data)) <= 0)
		snprintf(err, errlen, "%s: cannot encode the key", path);
	else
		rc = output_file_write_mode(
		    path, data, (size_t)len, 0600, err, errlen);
	if (data != NULL && (len = BIO_get_mem_data(mem, &data)) > 0)
		OPENSSL_cleanse(data, (size_t)len);
	BIO_free(mem);
	return rc;
}

int
key_gen_spki_sha256(EVP_PKEY *key, char hex[65])
{
	unsigned char *d = NULL;
	size_t len = 0;
	int rc = -1;

	if (tlsa_gen_key_data(key, 1, &d, &len) == 0 && len == 32) {
		hex_encode(d, 32, hex, 65);
		rc = 0;
	}
	OPENSSL_free(d);
	return rc;
}

const char *
key_gen_alg_of(EVP_PKEY *key)
{
	switch (EVP_PKEY_get_base_id(key)) {
	case EVP_PKEY_EC:
		return "ec";
	case EVP_PKEY_RSA:
		return "rsa";
	default:
		return NULL;
	}
}

/* Subject CN=host and the subjectAltName extension DNS:host. */
static int
fill_request(X509_REQ *req, EVP_PKEY *key, const char *host)
{
	X509_NAME *name = X509_REQ_get_subject_name(req);
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *san;
	char value[300];
	int ok;

	snprintf(value, sizeof(value), "DNS:%s", host);
	san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, value);
	if (san != NULL &&
	    (exts == NULL || sk_X509_EXTENSION_push(exts, san) <= 0)) {
		X509_EXTENSION_free(san); /* not taken by the stack */
		san = NULL;
	}
	ok = san != NULL &&
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	        (const unsigned char *)host, -1, -1, 0) == 1 &&
	    X509_REQ_add_extensions(req, exts) == 1 &&
	    X509_REQ_set_pubkey(req, key) == 1 &&
	    X509_REQ_sign(req, key, EVP_sha256()) > 0;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok ? 0 : -1;
}

int
key_gen_csr(
    const char *path, EVP_PKEY *key, const char *host, char *err, size_t errlen)
{
	X509_REQ *req = X509_REQ_new();
	BIO *mem = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;
	int rc = -1;

	if (req == NULL || mem == NULL || fill_request(req, key, host) != 0 ||
	    !PEM_write_bio_X509_REQ(mem, req) ||
	    (len = BIO_get_mem_data(mem, &data)) <= 0)
		snprintf(
		    err, errlen, "%s: cannot make a certificate request", path);
	else
		rc = output_file_write(path, data, (size_t)len, err, errlen);
	BIO_free(mem);
	X509_REQ_free(req);
	return rc;
}

EVP_PKEY *
key_gen_load(const char *path, char *err, size_t errlen)
{
	BIO *in = BIO_new_file(path, "r");
	EVP_PKEY *key = NULL;

	if (in != NULL)
		key = PEM_read_bio_PrivateKey(in, NULL, NULL, NULL);
	BIO_free(in);
	if (key == NULL)
		snprintf(err, errlen, "%s: cannot read a private key", path);
	return key;
}
