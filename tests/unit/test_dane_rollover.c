/*
 * test_dane_rollover.c -- the rollover analysis as a table: TLSA RRsets
 * made from certificates built at test time (root -> intermediate -> leaf,
 * a next key, an unrelated CA, an RSA leaf for dual-certificate servers),
 * each against the chains a server would present.  Also the chain digests
 * dane_tls records: digests, issuance path, out-of-order chains.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls/cert_facts.h"
#include "policy/dane_rollover.h"
#include "tls/dane_tls.h"
#include "dns/tlsa_record.h"

#define DAY 86400L

/* ---- the PKI of one test process ---- */

static EVP_PKEY *root_key, *inter_key, *leaf_key, *next_key, *other_key,
    *rsa_key;
static X509 *root, *inter, *leaf, *other_ca, *rsa_leaf, *next_cert;

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, issuer, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	cr_assert_not_null(ext);
	cr_assert(X509_add_ext(x, ext, -1));
	X509_EXTENSION_free(ext);
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn, bool ca, X509 *issuer,
    EVP_PKEY *issuer_key)
{
	static long serial = 1;
	X509 *x = X509_new();
	X509_NAME *name;

	cr_assert_not_null(x);
	cr_assert(X509_set_version(x, 2));
	cr_assert(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++));
	cr_assert_not_null(X509_gmtime_adj(X509_getm_notBefore(x), -DAY));
	cr_assert_not_null(X509_gmtime_adj(X509_getm_notAfter(x), 90 * DAY));
	cr_assert(X509_set_pubkey(x, key));
	name = X509_get_subject_name(x);
	cr_assert(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0));
	cr_assert(X509_set_issuer_name(x,
	    issuer ? X509_get_subject_name(issuer) : name));
	add_ext(x, issuer ? issuer : x, NID_basic_constraints,
	    ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (ca)
		add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	cr_assert(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()));
	return x;
}

static EVP_PKEY *
ec(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	cr_assert_not_null(k);
	return k;
}

static void
pki_setup(void)
{
	root_key = ec();
	inter_key = ec();
	leaf_key = ec();
	next_key = ec();
	other_key = ec();
	root = make_cert(root_key, "Root", true, NULL, NULL);
	inter = make_cert(inter_key, "Intermediate", true, root, root_key);
	leaf = make_cert(leaf_key, "mx.example", false, inter, inter_key);
	next_cert = make_cert(next_key, "mx.example", false, inter, inter_key);
	other_ca = make_cert(other_key, "Other CA", true, NULL, NULL);
}

/* RSA key generation is slow: only the dual-certificate cases need it. */
static X509 *
rsa_cert(void)
{
	if (rsa_leaf == NULL) {
		rsa_key = EVP_RSA_gen(2048);
		cr_assert_not_null(rsa_key);
		rsa_leaf = make_cert(rsa_key, "mx.example", false, inter,
		    inter_key);
	}
	return rsa_leaf;
}

static void
pki_teardown(void)
{
	X509 *certs[] = { root, inter, leaf, other_ca, rsa_leaf, next_cert };
	EVP_PKEY *keys[] = { root_key, inter_key, leaf_key, next_key,
	    other_key, rsa_key };

	for (size_t i = 0; i < 6; i++) {
		X509_free(certs[i]);
		EVP_PKEY_free(keys[i]);
	}
}

/* ---- chains as a server presents them ---- */

typedef enum chain_kind {
	CH_NONE = 0,
	CH_EC,           /* leaf, intermediate, root */
	CH_EC_NOROOT,    /* leaf, intermediate */
	CH_EC_LEAF,      /* leaf only */
	CH_EC_STRAY,     /* leaf, unrelated CA, intermediate */
	CH_EC_REVERSED,  /* leaf, root, intermediate */
	CH_RSA,          /* RSA leaf, intermediate, root */
	CH_NEXT,         /* the next key's certificate, intermediate */
} chain_kind;

static void
make_chain(chain_kind k, dane_chain_digests *out)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509 *list[4] = { NULL };
	const char *fam = "ECDSA";

	switch (k) {
	case CH_NONE:
		break;
	case CH_EC:
		list[0] = leaf, list[1] = inter, list[2] = root;
		break;
	case CH_EC_NOROOT:
		list[0] = leaf, list[1] = inter;
		break;
	case CH_EC_LEAF:
		list[0] = leaf;
		break;
	case CH_EC_STRAY:
		list[0] = leaf, list[1] = other_ca, list[2] = inter;
		break;
	case CH_EC_REVERSED:
		list[0] = leaf, list[1] = root, list[2] = inter;
		break;
	case CH_RSA:
		list[0] = rsa_cert(), list[1] = inter, list[2] = root;
		fam = "RSA";
		break;
	case CH_NEXT:
		list[0] = next_cert, list[1] = inter;
		break;
	}
	cr_assert_not_null(sk);
	for (size_t i = 0; i < 4 && list[i]; i++)
		cr_assert(sk_X509_push(sk, list[i]) > 0);
	cr_assert_eq(dane_chain_digests_from(sk, out), 0);
	snprintf(out->key_family, sizeof(out->key_family), "%s", fam);
	sk_X509_free(sk); /* the certificates stay ours */
}

/* ---- TLSA records of the test PKI ---- */

typedef enum obj {
	O_END = 0,
	O_LEAF, O_NEXT, O_INTER, O_ROOT, O_OTHER, O_RSA,
	O_JUNK,   /* 32 bytes matching nothing */
	O_SHORT,  /* 31 bytes: unusable digest length */
} obj;

typedef struct rec_spec {
	uint8_t usage, selector, mtype;
	obj of;
} rec_spec;

static X509 *
obj_cert(obj o)
{
	switch (o) {
	case O_LEAF: return leaf;
	case O_NEXT: return next_cert;
	case O_INTER: return inter;
	case O_ROOT: return root;
	case O_OTHER: return other_ca;
	case O_RSA: return rsa_cert();
	default: return NULL;
	}
}

static void
make_record(const rec_spec *s, tlsa_record *r)
{
	unsigned char *d = NULL;
	size_t len = 0;

	memset(r, 0, sizeof(*r));
	r->usage = s->usage;
	r->selector = s->selector;
	r->mtype = s->mtype;
	if (s->of == O_JUNK || s->of == O_SHORT) {
		r->len = s->of == O_JUNK ? 32 : 31;
		r->data = malloc(r->len);
		cr_assert_not_null(r->data);
		memset(r->data, 0x5a, r->len);
		return;
	}
	cr_assert_eq(cert_tlsa_data(obj_cert(s->of), s->selector, s->mtype,
	    &d, &len), 0);
	r->data = malloc(len);
	cr_assert_not_null(r->data);
	memcpy(r->data, d, len);
	r->len = len;
	OPENSSL_free(d);
}

/* ---- the table ---- */

enum { MAXR = 4 };

/* No pointers: Criterion hands parameters to each test through shared
 * memory, and a re-executed test process has its literals elsewhere. */
typedef struct roll_case {
	char name[80];
	rec_spec recs[MAXR];          /* up to O_END */
	chain_kind chains[2];         /* up to CH_NONE */
	dane_roll_verdict verdict;
	dane_roll_rec_state states[MAXR];
	int dup_of[MAXR];             /* 0: none; k: duplicate of record k */
	size_t n_next;
	char reason_has[40];          /* substring of the RRset reason, or "" */
} roll_case;

#define M DANE_ROLL_REC_MATCH
#define S DANE_ROLL_REC_STALE
#define NL DANE_ROLL_REC_NOT_LEAF
#define NI DANE_ROLL_REC_NOT_ISSUER
#define U DANE_ROLL_REC_UNUSABLE

static roll_case cases[] = {
	{ "single 3 1 1 is fragile", { { 3, 1, 1, O_LEAF } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M }, { 0 }, 0, "new key breaks it" },
	{ "current + next 3 1 1 is robust",
	  { { 3, 1, 1, O_LEAF }, { 3, 1, 1, O_NEXT } }, { CH_EC },
	  DANE_ROLL_ROBUST, { M, S }, { 0 }, 1, "next key" },
	{ "3 1 1 + 2 1 1 issuer is robust",
	  { { 3, 1, 1, O_LEAF }, { 2, 1, 1, O_INTER } }, { CH_EC },
	  DANE_ROLL_ROBUST, { M, M }, { 0 }, 0, "CA that issued it" },
	{ "single 3 0 1 breaks at renewal", { { 3, 0, 1, O_LEAF } },
	  { CH_EC }, DANE_ROLL_BREAKS_AT_RENEWAL, { M }, { 0 }, 0,
	  "certificate-bound" },
	{ "single 2 0 1 breaks at renewal", { { 2, 0, 1, O_INTER } },
	  { CH_EC }, DANE_ROLL_BREAKS_AT_RENEWAL, { M }, { 0 }, 0,
	  "certificate-bound" },
	{ "3 0 1 + 3 0 2 of one certificate still breaks",
	  { { 3, 0, 1, O_LEAF }, { 3, 0, 2, O_LEAF } }, { CH_EC },
	  DANE_ROLL_BREAKS_AT_RENEWAL, { M, M }, { 0, 1 }, 0, "selector 0" },
	{ "2 1 1 of an unrelated CA is no partner",
	  { { 3, 1, 1, O_LEAF }, { 2, 1, 1, O_OTHER } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M, S }, { 0 }, 0, "new key breaks it" },
	{ "2 1 1 of a sent CA that did not issue the leaf is no partner",
	  { { 3, 1, 1, O_LEAF }, { 2, 1, 1, O_OTHER } }, { CH_EC_STRAY },
	  DANE_ROLL_FRAGILE, { M, NI }, { 0 }, 0, "new key breaks it" },
	{ "2 1 1 of the leaf itself is no partner",
	  { { 3, 1, 1, O_LEAF }, { 2, 1, 1, O_LEAF } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M, NI }, { 0 }, 0, "new key breaks it" },
	{ "3 1 2 of the same key is a duplicate, not a next key",
	  { { 3, 1, 1, O_LEAF }, { 3, 1, 2, O_LEAF } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M, M }, { 0, 1 }, 0, "new key breaks it" },
	{ "3 1 0 of the same key is a duplicate",
	  { { 3, 1, 1, O_LEAF }, { 3, 1, 0, O_LEAF } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M, M }, { 0, 1 }, 0, "new key breaks it" },
	{ "2 1 2 + 2 1 1 of one issuer are duplicates",
	  { { 2, 1, 1, O_INTER }, { 2, 1, 2, O_INTER } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M, M }, { 0, 1 }, 0, "intermediate breaks" },
	{ "3 1 1 of the intermediate does not match",
	  { { 3, 1, 1, O_INTER } }, { CH_EC }, DANE_ROLL_NO_MATCH, { NL },
	  { 0 }, 0, "leaf key: 3 1 1 " },
	{ "PKIX usages only: no usable record",
	  { { 0, 1, 1, O_INTER }, { 1, 1, 1, O_LEAF } }, { CH_EC },
	  DANE_ROLL_NO_USABLE, { U, U }, { 0 }, 0, "usable" },
	{ "a too short digest does not count",
	  { { 3, 1, 1, O_LEAF }, { 3, 1, 1, O_SHORT } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M, U }, { 0 }, 0, "new key breaks it" },
	{ "dual server, only the ECDSA key published: RSA fails",
	  { { 3, 1, 1, O_LEAF } }, { CH_EC, CH_RSA }, DANE_ROLL_NO_MATCH,
	  { M }, { 0 }, 0, "RSA: no usable TLSA record" },
	{ "dual server, both keys once: each fragile, neither is next",
	  { { 3, 1, 1, O_LEAF }, { 3, 1, 1, O_RSA } }, { CH_EC, CH_RSA },
	  DANE_ROLL_FRAGILE, { M, M }, { 0 }, 0, "new key breaks it" },
	{ "dual server, both keys + issuer: robust",
	  { { 3, 1, 1, O_LEAF }, { 3, 1, 1, O_RSA }, { 2, 1, 1, O_INTER } },
	  { CH_EC, CH_RSA }, DANE_ROLL_ROBUST, { M, M, M }, { 0 }, 0, "" },
	{ "2 1 1 of the intermediate alone: a new intermediate breaks it",
	  { { 2, 1, 1, O_INTER } }, { CH_EC }, DANE_ROLL_FRAGILE, { M },
	  { 0 }, 0, "intermediate breaks it" },
	{ "2 1 1 of the sent root alone is robust",
	  { { 2, 1, 1, O_ROOT } }, { CH_EC }, DANE_ROLL_ROBUST, { M }, { 0 },
	  0, "above the intermediate" },
	{ "2 1 1 of a root that is not sent does not match",
	  { { 2, 1, 1, O_ROOT } }, { CH_EC_NOROOT }, DANE_ROLL_NO_MATCH,
	  { S }, { 0 }, 0, "no usable TLSA record matches" },
	{ "3 0 1 + 2 1 1 issuer: a new intermediate breaks it",
	  { { 3, 0, 1, O_LEAF }, { 2, 1, 1, O_INTER } }, { CH_EC },
	  DANE_ROLL_FRAGILE, { M, M }, { 0 }, 0, "intermediate breaks it" },
	{ "issuer record with a leaf-only chain is stale",
	  { { 3, 1, 1, O_LEAF }, { 2, 1, 1, O_INTER } }, { CH_EC_LEAF },
	  DANE_ROLL_FRAGILE, { M, S }, { 0 }, 0, "new key breaks it" },
	{ "out-of-order chain: the intermediate still issued the leaf",
	  { { 3, 1, 1, O_LEAF }, { 2, 1, 1, O_INTER } }, { CH_EC_REVERSED },
	  DANE_ROLL_ROBUST, { M, M }, { 0 }, 0, "" },
	{ "nothing presented", { { 3, 1, 1, O_LEAF } }, { CH_NONE },
	  DANE_ROLL_NO_CHAIN, { S }, { 0 }, 0, "no certificate" },
	{ "the next key deployed: the old record is now the next candidate",
	  { { 3, 1, 1, O_LEAF }, { 3, 1, 1, O_NEXT } }, { CH_NEXT },
	  DANE_ROLL_ROBUST, { S, M }, { 0 }, 1, "" },
	{ "3 1 1 of junk only", { { 3, 1, 1, O_JUNK } }, { CH_EC },
	  DANE_ROLL_NO_MATCH, { S }, { 0 }, 1, "no usable TLSA record" },
};

ParameterizedTestParameters(dane_rollover, table)
{
	return cr_make_param_array(roll_case, cases,
	    sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(roll_case *c, dane_rollover, table, .init = pki_setup,
    .fini = pki_teardown)
{
	tlsa_record recs[MAXR];
	dane_chain_digests ch[2];
	const dane_chain_digests *cp[2] = { NULL, NULL };
	dane_rollover_report rep;
	size_t n = 0, nch = 0;

	for (; n < MAXR && c->recs[n].of != O_END; n++)
		make_record(&c->recs[n], &recs[n]);
	for (; nch < 2 && c->chains[nch] != CH_NONE; nch++) {
		make_chain(c->chains[nch], &ch[nch]);
		cp[nch] = &ch[nch];
	}
	dane_rollover_analyze(recs, n, 3600, cp, nch, 1000, &rep);

	cr_expect_eq(rep.verdict, c->verdict, "%s: verdict %s, want %s (%s)",
	    c->name, dane_roll_verdict_name(rep.verdict),
	    dane_roll_verdict_name(c->verdict), rep.reason);
	cr_expect_eq(rep.n_records, n);
	cr_expect_eq(rep.n_chains, nch);
	for (size_t i = 0; i < n; i++) {
		cr_expect_eq(rep.rec[i].state, c->states[i],
		    "%s: record %zu is %s, want %s (%s)", c->name, i + 1,
		    dane_roll_rec_state_name(rep.rec[i].state),
		    dane_roll_rec_state_name(c->states[i]), rep.rec[i].note);
		cr_expect_eq(rep.rec[i].duplicate_of, c->dup_of[i] - 1,
		    "%s: record %zu duplicate_of %d", c->name, i + 1,
		    rep.rec[i].duplicate_of);
		cr_expect_neq(rep.rec[i].note[0], '\0');
	}
	cr_expect_eq(rep.n_next, c->n_next, "%s: n_next %zu", c->name,
	    rep.n_next);
	cr_expect_eq(rep.safe_switch_at, c->n_next ? 1000 + 3600 : 0);
	if (c->reason_has[0] != '\0')
		cr_expect(strstr(rep.reason, c->reason_has) != NULL,
		    "%s: reason \"%s\" lacks \"%s\"", c->name, rep.reason,
		    c->reason_has);
	for (size_t i = 0; i < n; i++)
		tlsa_record_clear(&recs[i]);
}

/* ---- details the table does not show ---- */

static void
analyze(const rec_spec *specs, size_t n, chain_kind k,
    dane_rollover_report *rep)
{
	tlsa_record recs[MAXR];
	dane_chain_digests ch;
	const dane_chain_digests *cp[1] = { &ch };

	for (size_t i = 0; i < n; i++)
		make_record(&specs[i], &recs[i]);
	make_chain(k, &ch);
	dane_rollover_analyze(recs, n, 300, cp, 1, 0, rep);
	for (size_t i = 0; i < n; i++)
		tlsa_record_clear(&recs[i]);
}

Test(dane_rollover, records_say_which_depth_and_chain_they_match,
    .init = pki_setup, .fini = pki_teardown)
{
	rec_spec s[] = { { 3, 1, 1, O_LEAF }, { 2, 1, 1, O_INTER },
	    { 2, 0, 1, O_ROOT }, { 3, 1, 1, O_INTER } };
	dane_rollover_report rep;

	analyze(s, 4, CH_EC, &rep);
	cr_assert_eq(rep.rec[0].depth[0], 0);
	cr_assert_eq(rep.rec[1].depth[0], 1);
	cr_assert_eq(rep.rec[2].depth[0], 2);
	cr_assert_eq(rep.rec[3].depth[0], 1);
	cr_assert_eq(rep.rec[0].chain_mask, 1u);
	cr_assert_eq(rep.rec[3].chain_mask, 0u);
	cr_assert_eq(rep.rec[0].depth[1], -1); /* no second chain */
	cr_assert_eq(rep.n_matching, 3);
	cr_assert_eq(rep.n_misplaced, 1);
	cr_assert(strstr(rep.rec[3].note, "2 1 1") != NULL, "%s",
	    rep.rec[3].note);
	cr_assert(strstr(rep.rec[1].note, "depth 1") != NULL, "%s",
	    rep.rec[1].note);
}

Test(dane_rollover, stale_notes_suggest_removal_after_the_ttl,
    .init = pki_setup, .fini = pki_teardown)
{
	rec_spec s[] = { { 3, 1, 1, O_LEAF }, { 3, 0, 1, O_NEXT },
	    { 3, 1, 1, O_NEXT } };
	dane_rollover_report rep;

	analyze(s, 3, CH_EC, &rep);
	cr_assert_eq(rep.rec[1].state, DANE_ROLL_REC_STALE);
	cr_assert_not(rep.rec[1].next_candidate); /* 3 0 x is never next */
	cr_assert(strstr(rep.rec[1].note, "300 s") != NULL, "%s",
	    rep.rec[1].note);
	cr_assert(rep.rec[2].next_candidate);
	cr_assert(strstr(rep.rec[2].note, "next key") != NULL);
	cr_assert_eq(rep.n_stale, 2);
	cr_assert_eq(rep.safe_switch_at, 300);
}

Test(dane_rollover, dual_chain_notes_name_the_chain_that_fails,
    .init = pki_setup, .fini = pki_teardown)
{
	tlsa_record r;
	rec_spec s = { 3, 1, 1, O_RSA };
	dane_chain_digests ec_ch, rsa_ch;
	const dane_chain_digests *cp[2] = { &ec_ch, &rsa_ch };
	dane_rollover_report rep;

	make_record(&s, &r);
	make_chain(CH_EC, &ec_ch);
	make_chain(CH_RSA, &rsa_ch);
	dane_rollover_analyze(&r, 1, 60, cp, 2, 0, &rep);
	cr_assert_eq(rep.chain[0].verdict, DANE_ROLL_NO_MATCH);
	cr_assert_eq(rep.chain[1].verdict, DANE_ROLL_FRAGILE);
	cr_assert_str_eq(rep.chain[0].key_family, "ECDSA");
	cr_assert(strncmp(rep.reason, "ECDSA: ", 7) == 0, "%s", rep.reason);
	cr_assert(strstr(rep.rec[0].note, "of the RSA chain; not the ECDSA "
	    "chain") != NULL, "%s", rep.rec[0].note);
	tlsa_record_clear(&r);
}

Test(dane_rollover, more_records_than_the_limit_are_counted)
{
	tlsa_record recs[DANE_ROLL_MAX_RECORDS + 3];
	uint8_t data[32];
	dane_rollover_report rep;

	for (size_t i = 0; i < DANE_ROLL_MAX_RECORDS + 3; i++) {
		memset(data, (int)i, sizeof(data));
		recs[i] = (tlsa_record){ 3, 1, 1, data, sizeof(data) };
	}
	dane_rollover_analyze(recs, DANE_ROLL_MAX_RECORDS + 3, 60, NULL, 0, 0,
	    &rep);
	cr_assert_eq(rep.n_records, DANE_ROLL_MAX_RECORDS);
	cr_assert_eq(rep.n_ignored, 3);
	cr_assert_eq(rep.verdict, DANE_ROLL_NO_CHAIN);
}

Test(dane_rollover, names_cover_every_value)
{
	cr_assert_str_eq(dane_roll_verdict_name(DANE_ROLL_BREAKS_AT_RENEWAL),
	    "breaks-at-renewal");
	cr_assert_str_eq(dane_roll_verdict_name(DANE_ROLL_NO_CHAIN),
	    "no-chain");
	cr_assert_str_eq(dane_roll_verdict_name((dane_roll_verdict)99),
	    "unknown");
	cr_assert_str_eq(dane_roll_rec_state_name(DANE_ROLL_REC_NOT_ISSUER),
	    "not-issuer");
	cr_assert_str_eq(dane_roll_rec_state_name((dane_roll_rec_state)99),
	    "unknown");
}

/* ---- dane_chain_digests_from ---- */

Test(dane_chain, digests_equal_cert_tlsa_data_and_path_is_marked,
    .init = pki_setup, .fini = pki_teardown)
{
	dane_chain_digests ch;
	unsigned char *d = NULL;
	size_t len = 0;

	make_chain(CH_EC_STRAY, &ch);
	cr_assert_eq(ch.n, 3);
	cr_assert_eq(ch.sent, 3);
	cr_assert(ch.cert[0].on_path);
	cr_assert_not(ch.cert[1].on_path); /* the unrelated CA */
	cr_assert(ch.cert[2].on_path);
	cr_assert(ch.cert[1].self_signed);
	cr_assert_not(ch.cert[0].self_signed);
	cr_assert_eq(cert_tlsa_data(inter, 1, 2, &d, &len), 0);
	cr_assert_eq(len, 64);
	cr_assert_eq(memcmp(ch.cert[2].spki_sha512, d, 64), 0);
	OPENSSL_free(d);
	cr_assert_eq(cert_tlsa_data(leaf, 0, 1, &d, &len), 0);
	cr_assert_eq(memcmp(ch.cert[0].cert_sha256, d, 32), 0);
	OPENSSL_free(d);
	cr_assert_gt(ch.cert[0].not_after, time(NULL) + 89 * DAY);
}

Test(dane_chain, reversed_chain_marks_root_and_intermediate,
    .init = pki_setup, .fini = pki_teardown)
{
	dane_chain_digests ch;

	make_chain(CH_EC_REVERSED, &ch);
	cr_assert(ch.cert[1].on_path); /* root, sent before the intermediate */
	cr_assert(ch.cert[2].on_path);
	cr_assert(ch.cert[1].self_signed);
}

Test(dane_chain, long_chains_are_cut_and_counted, .init = pki_setup,
    .fini = pki_teardown)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	dane_chain_digests ch;

	cr_assert(sk_X509_push(sk, leaf) > 0);
	for (int i = 0; i < DANE_TLS_CHAIN_MAX + 1; i++)
		cr_assert(sk_X509_push(sk, inter) > 0);
	cr_assert_eq(dane_chain_digests_from(sk, &ch), 0);
	cr_assert_eq(ch.n, DANE_TLS_CHAIN_MAX);
	cr_assert_eq(ch.sent, DANE_TLS_CHAIN_MAX + 2);
	cr_assert(ch.cert[1].on_path);
	sk_X509_free(sk);
}

Test(dane_chain, empty_chain_is_empty)
{
	dane_chain_digests ch;

	cr_assert_eq(dane_chain_digests_from(NULL, &ch), 0);
	cr_assert_eq(ch.n, 0);
	cr_assert_eq(ch.sent, 0);
}
