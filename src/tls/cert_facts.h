/*
 * cert_facts.h -- what an operator needs to know about a certificate,
 * extracted once into plain fields (no OpenSSL types leak out).
 */
#ifndef DANEPROBE_CERT_FACTS_H
#define DANEPROBE_CERT_FACTS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

typedef struct cert_facts {
	bool present;
	char subject[256]; /* RFC 2253 one-line form */
	char issuer[256];
	char sans[512]; /* DNS SANs joined with ", " ("" if none) */
	time_t not_before;
	time_t not_after;
	char key_type[24]; /* "RSA", "EC P-256", "Ed25519", ... */
	int key_bits;
	char spki_sha256
	    [65]; /* hex of SHA-256 over DER SubjectPublicKeyInfo (TLSA x 1 1) */
	char cert_sha256
	    [65]; /* hex of SHA-256 over the DER certificate (TLSA x 0 1) */
} cert_facts;

/* Fills *out from x (not consumed).  Returns 0, or -1 when x is NULL or
 * cannot be encoded (out->present stays false). */
int cert_facts_from_x509(X509 *x, cert_facts *out);

/* Whole days from `now` until not_after (negative when expired). */
long cert_facts_days_left(const cert_facts *c, time_t now);

/* The same for any expiry time (e.g. a chain certificate's). */
long cert_days_until(time_t not_after, time_t now);

/* SHA-256 / SHA-512 digest of the DER SPKI (selector 1) or DER cert
 * (selector 0); mtype 0 returns the DER itself.  Allocates *out (caller
 * frees with OPENSSL_free); returns 0 or -1. */
int cert_tlsa_data(
    X509 *x, int selector, int mtype, unsigned char **out, size_t *outlen);

/* The same for DER the caller already chose (e.g. a bare key's SPKI):
 * mtype 0 the DER itself, 1/2 its SHA-256/SHA-512.  Takes der
 * (OPENSSL_malloc'd, derlen bytes; NULL or derlen <= 0 fails), also on
 * failure: it is freed or becomes *out. */
int cert_tlsa_data_der(unsigned char *der, int derlen, int mtype,
    unsigned char **out, size_t *outlen);

#endif
