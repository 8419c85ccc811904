/*
 * key_gen.h -- the next private key of a rollover: generated, written
 * beside the certificate (PKCS#8 PEM, mode 0600, atomically), and its
 * SPKI SHA-256 (the data of its "3 1 1" record).
 *
 * Ownership: key_gen_new() returns a key the caller frees with
 * EVP_PKEY_free().
 */
#ifndef DANEPROBE_KEY_GEN_H
#define DANEPROBE_KEY_GEN_H

#include <stddef.h>

#include <openssl/evp.h>

/* alg "ec" (P-256) or "rsa" (2048 bits); NULL with err otherwise. */
EVP_PKEY *key_gen_new(const char *alg, char *err, size_t errlen);

/* Writes the key unencrypted to path, mode 0600, replacing the file
 * atomically; 0 or -1 with err.  The PEM buffer is wiped. */
int key_gen_write(const char *path, EVP_PKEY *key, char *err, size_t errlen);

/* The SHA-256 of the key's SubjectPublicKeyInfo, 64 hex digits and NUL
 * into hex (65 bytes); 0 or -1. */
int key_gen_spki_sha256(EVP_PKEY *key, char hex[65]);

/* A certificate request for `host` (subject CN and one DNS name in the
 * subjectAltName) signed with key, as PEM into path (mode 0644,
 * atomically): what an ACME client takes to issue for a key it did not
 * make.  0 or -1 with err. */
int key_gen_csr(const char *path, EVP_PKEY *key, const char *host, char *err,
    size_t errlen);

/* Loads an unencrypted PEM private key; NULL with err. */
EVP_PKEY *key_gen_load(const char *path, char *err, size_t errlen);

/* "ec" or "rsa" for a key of that family, NULL for others. */
const char *key_gen_alg_of(EVP_PKEY *key);

#endif
