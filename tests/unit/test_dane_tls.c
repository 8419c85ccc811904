/*
 * test_dane_tls.c -- real TLS handshakes in memory (BIO pair, one thread)
 * between dane_tls's client and an OpenSSL server, with keys and
 * certificates made at test time.  OpenSSL's own DANE code decides every
 * match, so these tests also check cert_tlsa_data() against it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "tls/cert_facts.h"
#include "tls/dane_tls.h"
#include "dns/tlsa_record.h"

#define DAY 86400L

/* ---- certificates ---- */

typedef struct cert_spec {
	const char *cn;
	const char *san;   /* "DNS:a,DNS:b" or NULL */
	long from_days;    /* notBefore relative to now */
	long to_days;      /* notAfter relative to now */
	bool ca;
} cert_spec;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	cr_assert_not_null(ext, "extension %d=%s", nid, value);
	cr_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

/* Signed by issuer/issuer_key, or self-signed when issuer is NULL. */
static X509 *
make_cert(EVP_PKEY *key, const cert_spec *s, X509 *issuer,
    EVP_PKEY *issuer_key)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name;
	EVP_PKEY *signer;

	cr_assert_not_null(x);
	cr_assert(X509_set_version(x, 2));
	cr_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
	cr_assert_not_null(X509_gmtime_adj(X509_getm_notBefore(x),
	    s->from_days * DAY));
	cr_assert_not_null(X509_gmtime_adj(X509_getm_notAfter(x),
	    s->to_days * DAY));
	cr_assert(X509_set_pubkey(x, key));
	name = X509_get_subject_name(x);
	cr_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)s->cn, -1, -1, 0));
	cr_assert(X509_set_issuer_name(x,
	    issuer ? X509_get_subject_name(issuer) : name));
	add_ext(x, issuer ? issuer : x, NID_basic_constraints,
	    s->ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (s->ca)
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	if (s->san != NULL)
		add_ext(x, issuer ? issuer : x, NID_subject_alt_name, s->san);
	signer = issuer_key ? issuer_key : key;
	/* EdDSA signs the message itself: no separate digest. */
	cr_assert(X509_sign(x, signer,
	    EVP_PKEY_is_a(signer, "ED25519") ? NULL : EVP_sha256()));
	return x;
}

static EVP_PKEY *
ec_key(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

static EVP_PKEY *
rsa_key(void)
{
	EVP_PKEY *k = EVP_RSA_gen(2048);

	cr_assert_not_null(k);
	return k;
}

/* A leaf with its key, optionally issued by a CA that is also sent. */
typedef struct server_id {
	EVP_PKEY *key;
	X509 *cert;
	EVP_PKEY *ca_key;
	X509 *ca;
} server_id;

static const cert_spec ca_spec = { "Test CA", NULL, -10, 3650, true };

static server_id
self_signed(EVP_PKEY *key, const cert_spec *leaf)
{
	server_id id = { key, NULL, NULL, NULL };

	id.cert = make_cert(key, leaf, NULL, NULL);
	return id;
}

static server_id
issued(EVP_PKEY *key, const cert_spec *leaf)
{
	server_id id = { key, NULL, ec_key(), NULL };

	id.ca = make_cert(id.ca_key, &ca_spec, NULL, NULL);
	id.cert = make_cert(key, leaf, id.ca, id.ca_key);
	return id;
}

static void
server_id_free(server_id *id)
{
	X509_free(id->cert);
	X509_free(id->ca);
	EVP_PKEY_free(id->key);
	EVP_PKEY_free(id->ca_key);
	memset(id, 0, sizeof(*id));
}

/* ---- TLSA records made from certificates ---- */

static tlsa_record
tlsa_of(X509 *x, uint8_t usage, uint8_t selector, uint8_t mtype)
{
	tlsa_record r = { usage, selector, mtype, NULL, 0 };
	unsigned char *d = NULL;
	size_t len = 0;

	cr_assert_eq(cert_tlsa_data(x, selector, mtype, &d, &len), 0);
	r.data = malloc(len);
	cr_assert_not_null(r.data);
	memcpy(r.data, d, len);
	r.len = len;
	OPENSSL_free(d);
	return r;
}

static void
tlsa_free_all(tlsa_record *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tlsa_record_clear(&r[i]);
}

/* ---- the handshake ---- */

static SSL_CTX *
server_ctx(int max_version)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());

	cr_assert_not_null(ctx);
	/* Level 0 and TLS 1.0 allowed, so only the test decides the version. */
	SSL_CTX_set_security_level(ctx, 0);
	cr_assert(SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION));
	cr_assert(SSL_CTX_set_max_proto_version(ctx, max_version));
	cr_assert(SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0"));
	return ctx;
}

static void
server_add(SSL_CTX *ctx, const server_id *id)
{
	cr_assert_eq(SSL_CTX_use_certificate(ctx, id->cert), 1);
	cr_assert_eq(SSL_CTX_use_PrivateKey(ctx, id->key), 1);
	if (id->ca != NULL)
		cr_assert_eq(SSL_CTX_add1_chain_cert(ctx, id->ca), 1);
}

static bool
step(SSL *ssl, bool *done)
{
	int r, e;

	if (*done)
		return true;
	if ((r = SSL_do_handshake(ssl)) == 1) {
		*done = true;
		return true;
	}
	e = SSL_get_error(ssl, r);
	return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
}

/* Drives both ends until both finished; false when either failed. */
static bool
handshake(SSL *client, SSL *server)
{
	BIO *cb = NULL, *sb = NULL;
	bool cdone = false, sdone = false;

	cr_assert(BIO_new_bio_pair(&cb, 0, &sb, 0));
	SSL_set_bio(client, cb, cb);
	SSL_set_bio(server, sb, sb);
	SSL_set_connect_state(client);
	SSL_set_accept_state(server);
	for (int i = 0; i < 50 && !(cdone && sdone); i++)
		if (!step(client, &cdone) || !step(server, &sdone))
			return false;
	return cdone && sdone;
}

typedef struct probe_run {
	dane_tls_outcome out;
	char server_sni[256];
} probe_run;

/* Client from dane_tls against a server context; asserts the handshake
 * completes (verification never aborts it) and inspects the result. */
static void
probe(SSL_CTX *sctx, const dane_tls_params *p, probe_run *run)
{
	char err[256] = "";
	SSL_CTX *cctx = dane_tls_ctx_new(err, sizeof(err));
	SSL *client, *server;
	const char *sni;

	cr_assert_not_null(cctx, "ctx: %s", err);
	client = dane_tls_ssl_new(cctx, p, err, sizeof(err));
	cr_assert_not_null(client, "ssl: %s", err);
	server = SSL_new(sctx);
	cr_assert_not_null(server);
	cr_assert(handshake(client, server), "handshake failed: %s",
	    ERR_reason_error_string(ERR_peek_error()));
	dane_tls_inspect(client, p, &run->out);
	sni = SSL_get_servername(server, TLSEXT_NAMETYPE_host_name);
	snprintf(run->server_sni, sizeof(run->server_sni), "%s",
	    sni ? sni : "");
	SSL_free(client);
	SSL_free(server);
	SSL_CTX_free(cctx);
}

/* One server identity, TLS up to max_version, these records. */
static void
probe_id(const server_id *id, int max_version, const dane_tls_params *p,
    probe_run *run)
{
	SSL_CTX *sctx = server_ctx(max_version);

	server_add(sctx, id);
	probe(sctx, p, run);
	SSL_CTX_free(sctx);
}

static const char *const mx_refs[] = { "mx.example" };

static dane_tls_params
dane_params(const tlsa_record *recs, size_t n)
{
	dane_tls_params p = {
		.sni = "mx.example",
		.dane = true,
		.ref_names = mx_refs,
		.n_ref_names = 1,
		.tlsa = recs,
		.n_tlsa = n,
	};
	return p;
}

/* id's server against dane_params() with one record (usage selector
 * mtype) made from the certificate `of`. */
static void
probe_record(const server_id *id, X509 *of, uint8_t usage, uint8_t selector,
    uint8_t mtype, probe_run *run)
{
	tlsa_record recs[] = { tlsa_of(of, usage, selector, mtype) };
	dane_tls_params p = dane_params(recs, 1);

	probe_id(id, 0, &p, run);
	tlsa_free_all(recs, 1);
}

static const cert_spec mx_leaf = { "mx.example", "DNS:mx.example", -1, 90,
	false };
static const cert_spec expired_unrelated = { "unrelated.example",
	"DNS:unrelated.example", -60, -2, false };
static const cert_spec unrelated_leaf = { "unrelated.example",
	"DNS:unrelated.example", -1, 90, false };
static const cert_spec expired_mx = { "mx.example", "DNS:mx.example", -60, -2,
	false };

/* ---- DANE-EE(3) ---- */

Test(dane_tls, dane_ee_spki_sha256_authenticates_leaf, .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	probe_run run;

	probe_record(&id, id.cert, 3, 1, 1, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_eq(run.out.verify_code, X509_V_OK);
	cr_assert_eq(run.out.matched_depth, 0);
	cr_assert_eq(run.out.matched_index, 0);
	/* DANE-EE checks no name (RFC 7672 3.1.1). */
	cr_assert_str_empty(run.out.matched_peername);
	cr_assert_str_eq(run.out.tls_version, "TLSv1.3");
	cr_assert_str_not_empty(run.out.cipher);
	cr_assert_eq(run.out.chain_len, 1);
	cr_assert(run.out.leaf.present);
	cr_assert_not(run.out.issuer.present);
	cr_assert_str_eq(run.out.leaf.key_type, "EC P-256");
	cr_assert_str_eq(run.out.verify_reason,
	    "DANE-EE 3 1 1 matched the leaf certificate");
	/* SNI = TLSA base domain (RFC 7672 section 8.1). */
	cr_assert_str_eq(run.server_sni, "mx.example");
	server_id_free(&id);
}

Test(dane_tls, dane_ee_ignores_expiry_and_names, .timeout = 30)
{
	server_id id = self_signed(ec_key(), &expired_unrelated);
	probe_run run;

	probe_record(&id, id.cert, 3, 1, 1, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_eq(run.out.matched_depth, 0);
	cr_assert_lt(cert_facts_days_left(&run.out.leaf, time(NULL)), 0);
	cr_assert_str_eq(run.out.leaf.sans, "unrelated.example");
	server_id_free(&id);
}

/* The other selectors and matching types of a DANE-EE record for the
 * leaf: each authenticates, and the data is what the pair calls for. */
typedef struct ee_case {
	uint8_t selector, mtype;
	size_t len;        /* of the record's data; 0: not checked */
} ee_case;

ParameterizedTestParameters(dane_tls, dane_ee_selector_and_mtype_authenticate)
{
	static ee_case cases[] = {
		{ 0, 1, 32 },  /* full certificate, SHA-256 */
		{ 1, 2, 64 },  /* SPKI, SHA-512 */
		{ 1, 0, 0 },   /* full SPKI */
	};

	return cr_make_param_array(ee_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(ee_case *c, dane_tls, dane_ee_selector_and_mtype_authenticate,
    .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.cert, 3, c->selector, c->mtype) };
	dane_tls_params p = dane_params(recs, 1);
	probe_run run;

	if (c->len != 0)
		cr_assert_eq(recs[0].len, c->len);
	probe_id(&id, 0, &p, &run);
	cr_assert(run.out.authenticated, "3 %u %u: %s", c->selector, c->mtype,
	    run.out.verify_reason);
	cr_assert_eq(run.out.matched_index, 0);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
}

Test(dane_tls, wrong_digest_is_not_authenticated, .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.cert, 3, 1, 1) };
	dane_tls_params p = dane_params(recs, 1);
	probe_run run;

	recs[0].data[5] ^= 0x40;
	probe_id(&id, 0, &p, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_eq(run.out.verify_code, X509_V_ERR_DANE_NO_MATCH);
	cr_assert_eq(run.out.matched_index, -1);
	cr_assert_eq(run.out.matched_depth, -1);
	cr_assert_not_null(strstr(run.out.verify_reason,
	    "no TLSA record matched"), "%s", run.out.verify_reason);
	/* The operator gets the digest to publish. */
	cr_assert_not_null(strstr(run.out.verify_reason,
	    run.out.leaf.spki_sha256), "%s", run.out.verify_reason);
	/* The handshake still completed, so the facts are there. */
	cr_assert(run.out.leaf.present);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
}

/* ---- DANE-TA(2) ---- */

Test(dane_tls, dane_ta_of_ca_authenticates_named_leaf, .timeout = 30)
{
	server_id id = issued(ec_key(), &mx_leaf);
	probe_run run;

	probe_record(&id, id.ca, 2, 1, 1, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_eq(run.out.matched_depth, 1);
	cr_assert_eq(run.out.matched_index, 0);
	cr_assert_str_eq(run.out.matched_peername, "mx.example");
	cr_assert_eq(run.out.chain_len, 2);
	cr_assert(run.out.issuer.present);
	cr_assert_str_eq(run.out.issuer.subject, "CN=Test CA");
	cr_assert_str_eq(run.out.leaf.issuer, "CN=Test CA");
	cr_assert_str_eq(run.out.verify_reason, "DANE-TA 2 1 1 matched the "
	    "certificate at depth 1, name mx.example");
	server_id_free(&id);
}

Test(dane_tls, dane_ta_cert_sha256_of_ca_authenticates, .timeout = 30)
{
	server_id id = issued(ec_key(), &mx_leaf);
	probe_run run;

	probe_record(&id, id.ca, 2, 0, 1, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_eq(run.out.matched_depth, 1);
	server_id_free(&id);
}

/* 2 1 0 of a CA that is not sent: OpenSSL accepts the key as signer of
 * the top certificate (RFC 7671 section 5.2.2). */
Test(dane_tls, dane_ta_full_spki_of_unsent_ca_authenticates, .timeout = 30)
{
	server_id id = issued(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.ca, 2, 1, 0) };
	dane_tls_params p = dane_params(recs, 1);
	SSL_CTX *sctx = server_ctx(0);
	probe_run run;

	cr_assert_eq(SSL_CTX_use_certificate(sctx, id.cert), 1);
	cr_assert_eq(SSL_CTX_use_PrivateKey(sctx, id.key), 1);
	probe(sctx, &p, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_eq(run.out.chain_len, 1);
	cr_assert_eq(run.out.matched_index, 0);
	cr_assert_str_eq(run.out.verify_reason, "DANE-TA 2 1 0 public key "
	    "signed the certificate at depth 0, name mx.example");
	SSL_CTX_free(sctx);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
}

Test(dane_tls, dane_ta_with_wrong_name_fails_on_the_name, .timeout = 30)
{
	server_id id = issued(ec_key(), &unrelated_leaf);
	probe_run run;

	probe_record(&id, id.ca, 2, 1, 1, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_eq(run.out.verify_code, X509_V_ERR_HOSTNAME_MISMATCH);
	cr_assert_eq(run.out.matched_index, -1);
	cr_assert_str_eq(run.out.verify_reason,
	    "DANE-TA matched at depth 1 but no certificate name matches "
	    "mx.example (names: unrelated.example)");
	server_id_free(&id);
}

Test(dane_tls, dane_ta_of_another_ca_names_the_issuer_digest,
    .timeout = 30)
{
	server_id id = issued(ec_key(), &mx_leaf);
	server_id other = issued(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(other.ca, 2, 1, 1) };
	dane_tls_params p = dane_params(recs, 1);
	probe_run run;
	char want[200];

	probe_id(&id, 0, &p, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_eq(run.out.verify_code, X509_V_ERR_DANE_NO_MATCH);
	snprintf(want, sizeof(want), "no TLSA record matched the certificate "
	    "chain (depth-1 SPKI sha256 %s)", run.out.issuer.spki_sha256);
	cr_assert_str_eq(run.out.verify_reason, want);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
	server_id_free(&other);
}

Test(dane_tls, dane_ta_with_expired_leaf_fails, .timeout = 30)
{
	server_id id = issued(ec_key(), &expired_mx);
	probe_run run;

	probe_record(&id, id.ca, 2, 1, 1, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_eq(run.out.verify_code, X509_V_ERR_CERT_HAS_EXPIRED);
	cr_assert_str_eq(run.out.verify_reason,
	    "certificate has expired (DANE-TA matched at depth 1 and "
	    "requires a valid chain)");
	server_id_free(&id);
}

/* Each reference identifier counts, the first as much as the second. */
Test(dane_tls, dane_ta_matches_any_reference_identifier, .timeout = 30)
{
	static const char *const refs[] = { "mx.example", "example.com" };
	static const cert_spec second = { "mail", "DNS:example.com", -1, 90,
		false };
	server_id a = issued(ec_key(), &second);
	server_id b = issued(ec_key(), &mx_leaf);
	tlsa_record ra[] = { tlsa_of(a.ca, 2, 1, 1) };
	tlsa_record rb[] = { tlsa_of(b.ca, 2, 1, 1) };
	dane_tls_params pa = dane_params(ra, 1), pb = dane_params(rb, 1);
	probe_run run;

	pa.ref_names = pb.ref_names = refs;
	pa.n_ref_names = pb.n_ref_names = 2;
	probe_id(&a, 0, &pa, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_str_eq(run.out.matched_peername, "example.com");
	probe_id(&b, 0, &pb, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_str_eq(run.out.matched_peername, "mx.example");
	tlsa_free_all(ra, 1);
	tlsa_free_all(rb, 1);
	server_id_free(&a);
	server_id_free(&b);
}

/* No reference identifiers given: the TLSA base domain (SNI) is the one. */
Test(dane_tls, dane_ta_without_ref_names_checks_the_base_domain,
    .timeout = 30)
{
	server_id good = issued(ec_key(), &mx_leaf);
	server_id bad = issued(ec_key(), &unrelated_leaf);
	tlsa_record rg[] = { tlsa_of(good.ca, 2, 1, 1) };
	tlsa_record rbad[] = { tlsa_of(bad.ca, 2, 1, 1) };
	dane_tls_params pg = dane_params(rg, 1), pbad = dane_params(rbad, 1);
	probe_run run;

	pg.ref_names = pbad.ref_names = NULL;
	pg.n_ref_names = pbad.n_ref_names = 0;
	probe_id(&good, 0, &pg, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_str_eq(run.out.matched_peername, "mx.example");
	probe_id(&bad, 0, &pbad, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_str_eq(run.out.verify_reason,
	    "DANE-TA matched at depth 1 but no certificate name matches "
	    "mx.example (names: unrelated.example)");
	tlsa_free_all(rg, 1);
	tlsa_free_all(rbad, 1);
	server_id_free(&good);
	server_id_free(&bad);
}

Test(dane_tls, dane_ta_wildcard_covers_only_a_whole_label, .timeout = 30)
{
	/* OpenSSL also wants two labels after the wildcard. */
	static const char *const refs[] = { "mx.mail.example" };
	static const cert_spec whole = { "w", "DNS:*.mail.example", -1, 90,
		false };
	static const cert_spec partial = { "p", "DNS:m*.mail.example", -1, 90,
		false };
	server_id a = issued(ec_key(), &whole);
	server_id b = issued(ec_key(), &partial);
	tlsa_record ra[] = { tlsa_of(a.ca, 2, 1, 1) };
	tlsa_record rb[] = { tlsa_of(b.ca, 2, 1, 1) };
	dane_tls_params pa = dane_params(ra, 1), pb = dane_params(rb, 1);
	probe_run run;

	pa.ref_names = pb.ref_names = refs;

	probe_id(&a, 0, &pa, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_str_eq(run.out.matched_peername, "*.mail.example");
	/* RFC 7672 3.2.3: "m*" is no whole label. */
	probe_id(&b, 0, &pb, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_eq(run.out.verify_code, X509_V_ERR_HOSTNAME_MISMATCH);
	tlsa_free_all(ra, 1);
	tlsa_free_all(rb, 1);
	server_id_free(&a);
	server_id_free(&b);
}

/* ---- which records are used ---- */

Test(dane_tls, pkix_ee_alone_is_refused_before_connecting)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.cert, 1, 1, 1) };
	dane_tls_params p = dane_params(recs, 1);
	char err[256] = "";
	SSL_CTX *cctx = dane_tls_ctx_new(err, sizeof(err));

	cr_assert_not_null(cctx, "%s", err);
	cr_assert_null(dane_tls_ssl_new(cctx, &p, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "usable"), "%s", err);
	cr_assert_not_null(strstr(err, "1 1 1"), "%s", err);
	SSL_CTX_free(cctx);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
}

Test(dane_tls, dane_without_records_is_refused)
{
	dane_tls_params p = dane_params(NULL, 0);
	char err[256] = "";
	SSL_CTX *cctx = dane_tls_ctx_new(err, sizeof(err));

	cr_assert_not_null(cctx, "%s", err);
	cr_assert_null(dane_tls_ssl_new(cctx, &p, err, sizeof(err)));
	cr_assert_str_not_empty(err);
	SSL_CTX_free(cctx);
}

Test(dane_tls, mixed_pkix_and_dane_ee_reports_the_dane_ee_index,
    .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	/* The PKIX-EE record matches the leaf too, but must never be used. */
	tlsa_record recs[] = { tlsa_of(id.cert, 1, 1, 1),
		tlsa_of(id.cert, 3, 1, 1) };
	dane_tls_params p = dane_params(recs, 2);
	probe_run run;

	probe_id(&id, 0, &p, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_eq(run.out.matched_index, 1);
	tlsa_free_all(recs, 2);
	server_id_free(&id);
}

Test(dane_tls, pkix_ee_match_does_not_authenticate, .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	server_id other = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.cert, 1, 1, 1),
		tlsa_of(other.cert, 3, 1, 1) };
	dane_tls_params p = dane_params(recs, 2);
	probe_run run;

	probe_id(&id, 0, &p, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_eq(run.out.verify_code, X509_V_ERR_DANE_NO_MATCH);
	tlsa_free_all(recs, 2);
	server_id_free(&id);
	server_id_free(&other);
}

Test(dane_tls, without_dane_the_handshake_is_reported_unauthenticated,
    .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	dane_tls_params p = { .sni = NULL, .dane = false };
	probe_run run;

	probe_id(&id, 0, &p, &run);
	cr_assert_not(run.out.authenticated);
	cr_assert_neq(run.out.verify_code, X509_V_OK);
	cr_assert_not_null(strstr(run.out.verify_reason, "DANE not in use"),
	    "%s", run.out.verify_reason);
	cr_assert_str_empty(run.server_sni);
	cr_assert(run.out.leaf.present);
	server_id_free(&id);
}

/* Contract: sni NULL sends no SNI, even with DANE. */
Test(dane_tls, dane_without_sni_sends_none, .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.cert, 3, 1, 1) };
	dane_tls_params p = dane_params(recs, 1);
	probe_run run;

	p.sni = NULL;
	probe_id(&id, 0, &p, &run);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_str_empty(run.server_sni);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
}

Test(dane_tls, bad_parameters_are_refused)
{
	static const char *const empty_ref[] = { "" };
	server_id id = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.cert, 3, 1, 1) };
	dane_tls_params p = dane_params(recs, 1);
	char err[256] = "";
	SSL_CTX *cctx = dane_tls_ctx_new(err, sizeof(err));

	cr_assert_not_null(cctx, "%s", err);
	p.key_family = "DSA";
	cr_assert_null(dane_tls_ssl_new(cctx, &p, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "key family"), "%s", err);
	/* An empty name would switch OpenSSL's name checks off. */
	p.key_family = NULL;
	p.ref_names = empty_ref;
	err[0] = '\0';
	cr_assert_null(dane_tls_ssl_new(cctx, &p, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "reference"), "%s", err);
	SSL_CTX_free(cctx);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
}

/* ---- versions and key families ---- */

Test(dane_tls, tls10_only_server_is_still_reported, .timeout = 30)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(id.cert, 3, 1, 1) };
	dane_tls_params p = dane_params(recs, 1);
	probe_run run;

	probe_id(&id, TLS1_VERSION, &p, &run);
	cr_assert_str_eq(run.out.tls_version, "TLSv1");
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	tlsa_free_all(recs, 1);
	server_id_free(&id);
}

/* Makes the server pick `family` when the client leaves it the choice, so
 * a test asking for the other family shows that the restriction works. */
static void
server_prefers(SSL_CTX *ctx, const char *family)
{
	bool rsa = strcmp(family, "RSA") == 0;

	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* "+x" moves x to the end; DEFAULT must come first. */
	cr_assert(SSL_CTX_set_cipher_list(ctx, rsa ?
	    "DEFAULT:+aECDSA:@SECLEVEL=0" : "DEFAULT:+aRSA:@SECLEVEL=0"));
	cr_assert(SSL_CTX_set1_sigalgs_list(ctx, rsa ?
	    "rsa_pss_rsae_sha256:RSA+SHA256:RSA+SHA1:ECDSA+SHA256:ECDSA+SHA1" :
	    "ECDSA+SHA256:ECDSA+SHA1:rsa_pss_rsae_sha256:RSA+SHA256:RSA+SHA1"));
}

/* A server with an RSA and an EC certificate for the same name that
 * prefers the family the client does not ask for.  Arrays, not pointers:
 * Criterion hands parameters to a test process of its own. */
typedef struct family_case {
	char family[8];       /* asked for: "ECDSA" or "RSA" */
	int version;          /* the server's highest */
	char want_key[16];
	char want_version[16];
} family_case;

ParameterizedTestParameters(dane_tls, key_family_gets_its_cert)
{
	static family_case cases[] = {
		{ "ECDSA", TLS1_3_VERSION, "EC P-256", "TLSv1.3" },
		{ "RSA", TLS1_3_VERSION, "RSA", "TLSv1.3" },
		{ "ECDSA", TLS1_2_VERSION, "EC P-256", "TLSv1.2" },
		{ "RSA", TLS1_2_VERSION, "RSA", "TLSv1.2" },
		{ "RSA", TLS1_VERSION, "RSA", "TLSv1" },
		{ "ECDSA", TLS1_VERSION, "EC P-256", "TLSv1" },
	};

	return cr_make_param_array(family_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(family_case *c, dane_tls, key_family_gets_its_cert,
    .timeout = 60)
{
	server_id rsa = self_signed(rsa_key(), &mx_leaf);
	server_id ec = self_signed(ec_key(), &mx_leaf);
	tlsa_record recs[] = { tlsa_of(rsa.cert, 3, 1, 1),
		tlsa_of(ec.cert, 3, 1, 1) };
	dane_tls_params p = dane_params(recs, 2);
	SSL_CTX *sctx = server_ctx(c->version);
	probe_run run;

	server_add(sctx, &rsa);
	server_add(sctx, &ec);
	server_prefers(sctx, strcmp(c->family, "RSA") ? "RSA" : "ECDSA");
	p.key_family = c->family;
	probe(sctx, &p, &run);
	cr_assert_str_eq(run.out.tls_version, c->want_version);
	cr_assert_str_eq(run.out.leaf.key_type, c->want_key);
	cr_assert(run.out.authenticated, "reason: %s", run.out.verify_reason);
	cr_assert_eq(run.out.matched_index, strcmp(c->want_key, "RSA") ? 1 : 0);
	SSL_CTX_free(sctx);
	tlsa_free_all(recs, 2);
	server_id_free(&rsa);
	server_id_free(&ec);
}

/* ---- cert_facts ---- */

static void
sha256_hex(const unsigned char *p, size_t len, char out[65])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(p, len, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
}

Test(cert_facts, fields_of_an_ec_leaf)
{
	static const cert_spec spec = { "mx.example",
		"DNS:mx.example,IP:127.0.0.1,DNS:alt.example", -1, 90, false };
	server_id id = issued(ec_key(), &spec);
	cert_facts f;
	unsigned char *der = NULL;
	int len;
	char want[65];
	time_t now = time(NULL);

	cr_assert_eq(cert_facts_from_x509(id.cert, &f), 0);
	cr_assert(f.present);
	cr_assert_str_eq(f.subject, "CN=mx.example");
	cr_assert_str_eq(f.issuer, "CN=Test CA");
	cr_assert_str_eq(f.sans, "mx.example, alt.example");
	cr_assert_str_eq(f.key_type, "EC P-256");
	cr_assert_eq(f.key_bits, 256);
	cr_assert_lt(f.not_before, now);
	cr_assert(f.not_after >= now + 90 * DAY - 60 &&
	    f.not_after <= now + 90 * DAY);
	cr_assert_eq(cert_facts_days_left(&f, f.not_after - 89 * DAY - 10), 89);

	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(id.cert), &der);
	cr_assert_gt(len, 0);
	sha256_hex(der, (size_t)len, want);
	OPENSSL_free(der);
	cr_assert_str_eq(f.spki_sha256, want);

	der = NULL;
	len = i2d_X509(id.cert, &der);
	cr_assert_gt(len, 0);
	sha256_hex(der, (size_t)len, want);
	OPENSSL_free(der);
	cr_assert_str_eq(f.cert_sha256, want);
	server_id_free(&id);
}

Test(cert_facts, rsa_key_and_expired_days)
{
	server_id id = self_signed(rsa_key(), &expired_unrelated);
	cert_facts f;

	cr_assert_eq(cert_facts_from_x509(id.cert, &f), 0);
	cr_assert_str_eq(f.key_type, "RSA");
	cr_assert_eq(f.key_bits, 2048);
	cr_assert_str_eq(f.subject, f.issuer);
	cr_assert_lt(f.not_after, time(NULL) - 2 * DAY + 60);
	cr_assert_lt(cert_facts_days_left(&f, time(NULL)), -1);
	server_id_free(&id);
}

Test(cert_facts, other_key_types)
{
	static const cert_spec spec = { "k", NULL, -1, 1, false };
	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	server_id a, b;
	cert_facts f;

	cr_assert_not_null(p384);
	cr_assert_not_null(ed);
	a = self_signed(p384, &spec);
	b = self_signed(ed, &spec);
	cr_assert_eq(cert_facts_from_x509(a.cert, &f), 0);
	cr_assert_str_eq(f.key_type, "EC P-384");
	cr_assert_eq(f.key_bits, 384);
	cr_assert_str_empty(f.sans);
	cr_assert_eq(cert_facts_from_x509(b.cert, &f), 0);
	cr_assert_str_eq(f.key_type, "Ed25519");
	cr_assert_eq(f.key_bits, 256);
	server_id_free(&a);
	server_id_free(&b);
}

Test(cert_facts, days_left_rounds_down)
{
	cert_facts f = { .not_after = 1000000 };

	cr_assert_eq(cert_facts_days_left(&f, 1000000), 0);
	cr_assert_eq(cert_facts_days_left(&f, 1000000 - DAY + 1), 0);
	cr_assert_eq(cert_facts_days_left(&f, 1000000 - 2 * DAY - 5), 2);
	cr_assert_eq(cert_facts_days_left(&f, 1000000 + 1), -1);
	cr_assert_eq(cert_facts_days_left(&f, 1000000 + DAY), -1);
	cr_assert_eq(cert_facts_days_left(&f, 1000000 + DAY + 1), -2);
}

Test(cert_facts, null_and_bad_input)
{
	cert_facts f;
	unsigned char *d = (unsigned char *)"x";
	size_t len = 7;

	memset(&f, 0x55, sizeof(f));
	cr_assert_eq(cert_facts_from_x509(NULL, &f), -1);
	cr_assert_not(f.present);
	cr_assert_eq(cert_tlsa_data(NULL, 1, 1, &d, &len), -1);
	cr_assert_null(d);
	cr_assert_eq(len, 0);
}

Test(cert_facts, tlsa_data_selectors_and_types)
{
	server_id id = self_signed(ec_key(), &mx_leaf);
	unsigned char *d = NULL, *der = NULL;
	size_t len = 0;
	int derlen;

	derlen = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(id.cert), &der);
	cr_assert_eq(cert_tlsa_data(id.cert, 1, 0, &d, &len), 0);
	cr_assert_eq(len, (size_t)derlen);
	cr_assert_arr_eq(d, der, len);
	OPENSSL_free(d);
	OPENSSL_free(der);

	der = NULL;
	derlen = i2d_X509(id.cert, &der);
	cr_assert_eq(cert_tlsa_data(id.cert, 0, 0, &d, &len), 0);
	cr_assert_eq(len, (size_t)derlen);
	cr_assert_arr_eq(d, der, len);
	OPENSSL_free(d);
	OPENSSL_free(der);

	cr_assert_eq(cert_tlsa_data(id.cert, 0, 2, &d, &len), 0);
	cr_assert_eq(len, 64);
	OPENSSL_free(d);
	cr_assert_eq(cert_tlsa_data(id.cert, 2, 1, &d, &len), -1);
	cr_assert_eq(cert_tlsa_data(id.cert, 1, 3, &d, &len), -1);
	cr_assert_null(d);
	server_id_free(&id);
}
