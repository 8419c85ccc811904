/*
 * tlsa_gen.h -- what `daneprobe tlsa` and `daneprobe rollover` share:
 * certificates and keys read from files, a live server's chains fetched
 * over SMTP STARTTLS, TLSA parameters by number or name, and the output
 * forms of a record (zone file, nsupdate, RFC 3597 generic, JSON).
 *
 * Errors come back as one line of words in err (no "daneprobe:" prefix),
 * naming the file and what was wrong with it.
 *
 * Secrets: every buffer that held a file the loaders read (a key, or a
 * chain file with a key in it) is wiped with OPENSSL_cleanse before it is
 * freed; passwords live only in the caller's buffer, which it wipes.
 *
 * Ownership: returned stacks hold their own references (free with
 * sk_X509_pop_free(sk, X509_free)); returned keys with EVP_PKEY_free();
 * tlsa_gen_fetch's chains with tlsa_gen_chains_free().
 *
 * One header for three files: tlsa_load.c (certificates, keys and
 * passwords from files), tlsa_gen.c (records, their parameters and output
 * forms), tlsa_fetch.c (a live server's chains).
 */
#ifndef DANEPROBE_TLSA_GEN_H
#define DANEPROBE_TLSA_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dns/tlsa_record.h"

/* Certificate and key files may be "-", standard input ("<stdin>" in
 * messages). */

/* Certificates from a PEM file (all CERTIFICATE blocks, in order; other
 * blocks such as a private key in a Postfix chain file are skipped) or a
 * DER file (one certificate).  NULL with a reason on failure, also for an
 * empty file or one without any certificate. */
STACK_OF(X509) *
    tlsa_gen_load_certs(const char *path, char *err, size_t errlen);

/* A public key from a file holding a private or public key, PEM or DER,
 * encrypted or not (password may be NULL).  The reason distinguishes an
 * encrypted key without a password, a wrong password, and a file that is
 * a certificate or no key at all. */
EVP_PKEY *tlsa_gen_load_key(
    const char *path, const char *password, char *err, size_t errlen);

/* The first line of a file, without the line end, into buf; -1 with a
 * reason when the file cannot be read or the line does not fit (len-2
 * bytes at most, so a cut password is never tried).  Nothing of the file
 * is left anywhere but in buf: the caller wipes buf with OPENSSL_cleanse
 * when done. */
int tlsa_gen_read_password(
    const char *path, char *buf, size_t len, char *err, size_t errlen);

/* --password PASS: copies arg (an argv string) into buf, then overwrites
 * arg in place ("x" and NUL bytes) so that ps no longer shows it (it did
 * from exec until this call).  -1 when it does not fit in buf (arg is
 * overwritten all the same).  The caller wipes buf when done. */
int tlsa_gen_take_password(char *arg, char *buf, size_t len);

/* Tests only: called with every buffer that held a file read by the
 * loaders above, after it was wiped and before it is freed (NULL: none). */
typedef void (*tlsa_gen_wipe_hook)(
    const unsigned char *buf, size_t len, void *arg);
void tlsa_gen_set_wipe_hook(tlsa_gen_wipe_hook hook, void *arg);

/* The association data of a key for selector 1 (SPKI) and mtype; 0 or -1.
 * *out is allocated with OPENSSL_malloc. */
int tlsa_gen_key_data(
    EVP_PKEY *key, int mtype, unsigned char **out, size_t *outlen);

/* Fills rec (caller clears) from certificate x or, if x is NULL, from key
 * (selector 1 only).  Returns 0 or -1 with a reason. */
int tlsa_gen_record(X509 *x, EVP_PKEY *key, uint8_t usage, uint8_t selector,
    uint8_t mtype, tlsa_record *rec, char *err, size_t errlen);

/* "3", "dane-ee", "DANE-EE" ...; 0 or -1 with the accepted values in err. */
int tlsa_gen_parse_usage(const char *s, uint8_t *out, char *err, size_t errlen);
int tlsa_gen_parse_selector(
    const char *s, uint8_t *out, char *err, size_t errlen);
int tlsa_gen_parse_mtype(const char *s, uint8_t *out, char *err, size_t errlen);

/* "_25._tcp.mx.example.org." from host and port; -1 for a bad name. */
int tlsa_gen_owner(const char *host, int port, char *buf, size_t len, char *err,
    size_t errlen);

typedef enum tlsa_gen_format {
	TLSA_GEN_ZONE = 0, /* OWNER [TTL] IN TLSA U S M hex */
	TLSA_GEN_NSUPDATE, /* update add OWNER TTL IN TLSA ...; then send */
	TLSA_GEN_GENERIC,  /* OWNER [TTL] IN TYPE52 \# LEN hex (RFC 3597) */
	TLSA_GEN_JSON,     /* an array of objects */
} tlsa_gen_format;

int tlsa_gen_parse_format(const char *s, tlsa_gen_format *out);

/* One output record with where it came from (for JSON and comments). */
typedef struct tlsa_gen_item {
	tlsa_record rec;        /* owned by the caller */
	const char *source;     /* "cert", "key", "server" */
	const char *file;       /* file or server name, may be NULL */
	int depth;              /* chain depth, -1 for a key */
	const char *key_family; /* "ECDSA"/"RSA" for a server chain, or NULL */
	X509 *cert;             /* borrowed, may be NULL: subject, expiry */
} tlsa_gen_item;

/* Writes the records in the format (ttl 0: no TTL in zone/generic lines,
 * 3600 for nsupdate).  Without an owner (NULL) zone and generic give the
 * record data alone ("3 1 1 <hex>", "\# 35 <hex>") and nsupdate fails.
 * Returns 0, or -1 on an output error. */
int tlsa_gen_print(FILE *out, tlsa_gen_format f, const char *owner,
    uint32_t ttl, const tlsa_gen_item *items, size_t n);

/* ---- a live server's chains ---- */

typedef struct tlsa_gen_fetch_params {
	const char *host;    /* SNI and, without `connect`, the name resolved */
	const char *connect; /* address literal to use instead of resolving */
	int port;
	double timeout; /* seconds for the whole conversation */
	const char *helo;
	const char *key_family; /* "ECDSA", "RSA", or NULL for both */
	/* AF_INET or AF_INET6: that address family only, each address of
	 * it tried.  0 (AF_UNSPEC): both, but without `connect` an address
	 * of a family this host has no route for is not tried (as daneprobe
	 * check leaves it out). */
	int ip_family;
} tlsa_gen_fetch_params;

typedef struct tlsa_gen_chain {
	STACK_OF(X509) * certs; /* leaf first, owned */
	char key_family[8];
	char address[64]; /* the address that presented it */
} tlsa_gen_chain;

/* Fetches the chain the server presents per key family (one handshake
 * each; a family the server has no certificate for is left out, and a
 * second family presenting the very same leaf is dropped).  Returns the
 * number of chains (>= 1) with *chains allocated, or -1 with a reason
 * when no handshake succeeded.  The caller ignores SIGPIPE (a server
 * resetting mid-write must give EPIPE, not kill the process). */
int tlsa_gen_fetch(const tlsa_gen_fetch_params *p, tlsa_gen_chain **chains,
    char *err, size_t errlen);
void tlsa_gen_chains_free(tlsa_gen_chain *chains, int n);

#endif
