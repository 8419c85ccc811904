/*
 * dane_tls.h -- TLS client setup and peer authentication with OpenSSL's
 * own DANE API (SSL_dane_*), per RFC 7672 section 3.
 *
 * One SSL_CTX per run (dane_tls_ctx_new); one SSL per connection
 * (dane_tls_ssl_new), prepared with SNI = TLSA base domain, the reference
 * identifiers, and the usable TLSA records.  Verification never aborts the
 * handshake: the session completes it and dane_tls_inspect() then reads
 * OpenSSL's verdict, so every failure can be reported with its reason.
 *
 * Ownership: the caller frees the SSL_CTX (dane_tls_ctx_free).  The SSL from
 * dane_tls_ssl_new() is handed to smtp_session, which frees it.
 */
#ifndef DANEPROBE_DANE_TLS_H
#define DANEPROBE_DANE_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/ssl.h>

#include "tls/cert_facts.h"
#include "dns/tlsa_record.h"

/* One context per run, owned by the caller: dane_tls_ctx_free() (NULL is
 * fine) releases it once no SSL made from it is left. */
SSL_CTX *dane_tls_ctx_new(char *err, size_t errlen);
void dane_tls_ctx_free(SSL_CTX *ctx);

/*
 * The digests of every certificate a peer presented, for the rollover
 * analysis (dane_rollover.h): which TLSA record matches which certificate,
 * and whether a certificate at depth >= 1 really issued the leaf.  Plain
 * data, no OpenSSL types; at most DANE_TLS_CHAIN_MAX certificates (a peer
 * may send more: `sent` says how many).
 */
enum { DANE_TLS_CHAIN_MAX = 8 };

typedef struct dane_chain_cert {
	uint8_t spki_sha256[32]; /* over the DER SubjectPublicKeyInfo (x 1 1) */
	uint8_t spki_sha512[64]; /* x 1 2 */
	uint8_t cert_sha256[32]; /* over the DER certificate (x 0 1) */
	uint8_t cert_sha512[64]; /* x 0 2 */
	/* depth 0: always true; depth >= 1: this certificate signed the leaf
	 * or a certificate on that path (checked by name/key identifier and
	 * signature, in any order the peer sent them) -- what OpenSSL's
	 * DANE-TA matching needs. */
	bool on_path;
	bool self_signed;
	time_t not_after;
} dane_chain_cert;

typedef struct dane_chain_digests {
	size_t n;           /* certificates recorded, leaf first */
	size_t sent;        /* certificates in the chain (may exceed n) */
	char key_family[8]; /* "ECDSA", "RSA" as probed, "" otherwise */
	dane_chain_cert cert[DANE_TLS_CHAIN_MAX];
} dane_chain_digests;

/* Fills *out from a chain whose first certificate is the leaf (as
 * SSL_get_peer_cert_chain() gives it on a client, or a PEM chain file).
 * Does not consume the stack.  Returns 0, or -1 when a certificate cannot
 * be encoded (out->n then counts those before it). */
int dane_chain_digests_from(STACK_OF(X509) * chain, dane_chain_digests *out);

typedef struct dane_tls_params {
	const char *sni; /* NULL: no SNI */
	bool dane;       /* authenticate with the TLSA records */
	const char *const
	    *ref_names; /* reference identifiers for DANE-TA (section 3.2.2) */
	size_t n_ref_names;
	const tlsa_record
	    *tlsa; /* all records of the RRset; only usable ones are added */
	size_t n_tlsa;
	/* "ECDSA", "RSA" or NULL: restrict signature algorithms so a server
	 * with two certificates is judged on each key. */
	const char *key_family;
} dane_tls_params;

/* NULL with reason in err on failure (also when p->dane and no record was
 * accepted by OpenSSL -- the policy should not have asked). */
SSL *dane_tls_ssl_new(
    SSL_CTX *ctx, const dane_tls_params *p, char *err, size_t errlen);

typedef struct dane_tls_outcome {
	bool
	    authenticated; /* DANE match and (for DANE-TA) chain + name + time ok */
	long verify_code;        /* SSL_get_verify_result() */
	char verify_reason[200]; /* words: why it failed, or what matched */
	int matched_index; /* index into p->tlsa of the record that matched, -1 */
	int matched_depth; /* chain depth of the matching cert, -1 */
	char matched_peername
	    [256];            /* name that matched (DANE-TA), "" otherwise */
	char tls_version[16]; /* "TLSv1.3" */
	char cipher[64];
	int chain_len; /* certificates the peer sent */
	cert_facts leaf;
	cert_facts issuer; /* depth 1 as sent, if any */
	dane_chain_digests
	    chain; /* every certificate as sent, for dane_rollover */
} dane_tls_outcome;

/* Reads the result of a completed handshake. */
void dane_tls_inspect(
    SSL *ssl, const dane_tls_params *p, dane_tls_outcome *out);

#endif
