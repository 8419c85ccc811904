/*
 * test_tlsa_record.c -- TLSA usability (RFC 7672 3.1.3 / RFC 6698),
 * names, presentation parse/format, equality and copies.
 *
 * Full-data (matching type 0) cases use a certificate and key made at
 * test time, so the DER is real and the truncated/padded variants are
 * derived from it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "dns/tlsa_record.h"

static uint8_t digest64[64];

static tlsa_record
rec(uint8_t u, uint8_t s, uint8_t m, uint8_t *data, size_t len)
{
	tlsa_record r = { u, s, m, data, len };

	return r;
}

/* ------------------------------------------------------------------ */
/* Usability: the non-DER branches, one row per branch and boundary.    */

struct usability_case {
	uint8_t usage, selector, mtype;
	size_t len; /* of digest64's leading bytes */
	tlsa_usability want;
};

static const struct usability_case usability_cases[] = {
	{ 3, 1, 1, 32, TLSA_USABLE },
	{ 3, 0, 1, 32, TLSA_USABLE },
	{ 2, 0, 1, 32, TLSA_USABLE },
	{ 2, 1, 2, 64, TLSA_USABLE },
	{ 3, 1, 2, 64, TLSA_USABLE },
	{ 0, 0, 1, 32, TLSA_UNUSABLE_PKIX_USAGE },
	{ 1, 1, 1, 32, TLSA_UNUSABLE_PKIX_USAGE },
	{ 1, 7, 9, 1, TLSA_UNUSABLE_PKIX_USAGE }, /* usage is checked first */
	{ 4, 1, 1, 32, TLSA_UNUSABLE_USAGE },
	{ 255, 1, 1, 32, TLSA_UNUSABLE_USAGE },
	{ 3, 2, 1, 32, TLSA_UNUSABLE_SELECTOR },
	{ 3, 255, 1, 32, TLSA_UNUSABLE_SELECTOR },
	{ 3, 1, 3, 32, TLSA_UNUSABLE_MTYPE },
	{ 3, 1, 255, 32, TLSA_UNUSABLE_MTYPE },
	{ 3, 1, 1, 31, TLSA_UNUSABLE_DIGEST_LENGTH },
	{ 3, 1, 1, 33, TLSA_UNUSABLE_DIGEST_LENGTH },
	{ 3, 1, 1, 64, TLSA_UNUSABLE_DIGEST_LENGTH },
	{ 3, 1, 1, 0, TLSA_UNUSABLE_DIGEST_LENGTH },
	{ 3, 1, 2, 32, TLSA_UNUSABLE_DIGEST_LENGTH },
	{ 3, 1, 2, 63, TLSA_UNUSABLE_DIGEST_LENGTH },
	{ 2, 0, 0, 32, TLSA_UNUSABLE_FULL_DATA }, /* random bytes, not DER */
	{ 3, 1, 0, 0, TLSA_UNUSABLE_FULL_DATA },
};

Test(tlsa_record, usability_follows_the_table_for_every_branch)
{
	size_t i;

	for (i = 0; i < sizeof(digest64); i++)
		digest64[i] = (uint8_t)(i * 7 + 1);
	for (i = 0; i < sizeof(usability_cases) / sizeof(usability_cases[0]);
	    i++) {
		const struct usability_case *c = &usability_cases[i];
		tlsa_record r = rec(c->usage, c->selector, c->mtype,
		    c->len ? digest64 : NULL, c->len);

		cr_expect_eq(tlsa_record_usability(&r), c->want,
		    "row %zu (%u %u %u len %zu): got %s, want %s", i,
		    c->usage, c->selector, c->mtype, c->len,
		    tlsa_usability_name(tlsa_record_usability(&r)),
		    tlsa_usability_name(c->want));
	}
}

/* ------------------------------------------------------------------ */
/* Usability of full data: real DER, then damaged copies.               */

static uint8_t *cert_der, *spki_der;
static size_t cert_len, spki_len;

static void
make_der(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	unsigned char *p;
	int n;

	cr_assert_not_null(key);
	cr_assert_not_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN",
	    MBSTRING_ASC, (const unsigned char *)"mx.test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, key);
	cr_assert_gt(X509_sign(x, key, EVP_sha256()), 0);

	n = i2d_X509(x, NULL);
	cr_assert_gt(n, 0);
	cert_der = p = malloc((size_t)n);
	cert_len = (size_t)i2d_X509(x, &p);
	n = i2d_PUBKEY(key, NULL);
	cr_assert_gt(n, 0);
	spki_der = p = malloc((size_t)n);
	spki_len = (size_t)i2d_PUBKEY(key, &p);
	X509_free(x);
	EVP_PKEY_free(key);
}

static void
free_der(void)
{
	free(cert_der);
	free(spki_der);
}

TestSuite(tlsa_full, .init = make_der, .fini = free_der);

Test(tlsa_full, der_certificate_with_selector_0_is_usable)
{
	tlsa_record r = rec(3, 0, 0, cert_der, cert_len);

	cr_expect_eq(tlsa_record_usability(&r), TLSA_USABLE);
	r.usage = 2;
	cr_expect_eq(tlsa_record_usability(&r), TLSA_USABLE);
}

Test(tlsa_full, der_spki_with_selector_1_is_usable)
{
	tlsa_record r = rec(3, 1, 0, spki_der, spki_len);

	cr_expect_eq(tlsa_record_usability(&r), TLSA_USABLE);
}

Test(tlsa_full, selector_that_does_not_match_the_der_object_is_unusable)
{
	tlsa_record cert_as_spki = rec(3, 1, 0, cert_der, cert_len);
	tlsa_record spki_as_cert = rec(3, 0, 0, spki_der, spki_len);

	cr_expect_eq(tlsa_record_usability(&cert_as_spki),
	    TLSA_UNUSABLE_FULL_DATA);
	cr_expect_eq(tlsa_record_usability(&spki_as_cert),
	    TLSA_UNUSABLE_FULL_DATA);
}

Test(tlsa_full, truncated_der_is_unusable)
{
	tlsa_record c = rec(3, 0, 0, cert_der, cert_len - 1);
	tlsa_record s = rec(3, 1, 0, spki_der, spki_len - 1);

	cr_expect_eq(tlsa_record_usability(&c), TLSA_UNUSABLE_FULL_DATA);
	cr_expect_eq(tlsa_record_usability(&s), TLSA_UNUSABLE_FULL_DATA);
}

Test(tlsa_full, der_followed_by_trailing_bytes_is_unusable)
{
	uint8_t *c = malloc(cert_len + 1), *s = malloc(spki_len + 2);
	tlsa_record rc, rs;

	memcpy(c, cert_der, cert_len);
	c[cert_len] = 0;
	memcpy(s, spki_der, spki_len);
	s[spki_len] = 0x30;
	s[spki_len + 1] = 0;
	rc = rec(3, 0, 0, c, cert_len + 1);
	rs = rec(3, 1, 0, s, spki_len + 2);
	cr_expect_eq(tlsa_record_usability(&rc), TLSA_UNUSABLE_FULL_DATA);
	cr_expect_eq(tlsa_record_usability(&rs), TLSA_UNUSABLE_FULL_DATA);
	free(c);
	free(s);
}

Test(tlsa_full, pkix_usage_wins_over_valid_full_data)
{
	tlsa_record r = rec(1, 0, 0, cert_der, cert_len);

	cr_expect_eq(tlsa_record_usability(&r), TLSA_UNUSABLE_PKIX_USAGE);
}

/* ------------------------------------------------------------------ */
/* Names                                                                */

Test(tlsa_record, names_cover_known_and_unknown_values)
{
	cr_expect_str_eq(tlsa_usage_name(0), "PKIX-TA");
	cr_expect_str_eq(tlsa_usage_name(1), "PKIX-EE");
	cr_expect_str_eq(tlsa_usage_name(2), "DANE-TA");
	cr_expect_str_eq(tlsa_usage_name(3), "DANE-EE");
	cr_expect_str_eq(tlsa_usage_name(4), "usage-4");
	cr_expect_str_eq(tlsa_usage_name(255), "usage-255");
	cr_expect_str_eq(tlsa_selector_name(0), "Cert");
	cr_expect_str_eq(tlsa_selector_name(1), "SPKI");
	cr_expect_str_eq(tlsa_selector_name(200), "selector-200");
	cr_expect_str_eq(tlsa_mtype_name(0), "Full");
	cr_expect_str_eq(tlsa_mtype_name(1), "SHA2-256");
	cr_expect_str_eq(tlsa_mtype_name(2), "SHA2-512");
	cr_expect_str_eq(tlsa_mtype_name(3), "mtype-3");
}

Test(tlsa_record, unknown_value_names_stay_valid_and_distinct)
{
	const char *a = tlsa_usage_name(7), *b = tlsa_usage_name(8);

	cr_expect_str_eq(a, "usage-7");
	cr_expect_str_eq(b, "usage-8");
	cr_expect_eq(tlsa_usage_name(7), a);
}

Test(tlsa_record, every_usability_has_a_distinct_name)
{
	tlsa_usability u, v;

	for (u = TLSA_USABLE; u <= TLSA_UNUSABLE_FULL_DATA; u++) {
		cr_expect_str_neq(tlsa_usability_name(u), "unknown");
		for (v = TLSA_USABLE; v < u; v++)
			cr_expect_str_neq(tlsa_usability_name(u),
			    tlsa_usability_name(v));
	}
	/* 7 is the first value past the table yet still representable in the
	 * enum (clang's -fsanitize=enum rejects wider casts). */
	cr_expect_str_eq(tlsa_usability_name((tlsa_usability)7), "unknown");
	cr_expect_str_eq(tlsa_usability_name(TLSA_USABLE), "usable");
}

/* ------------------------------------------------------------------ */
/* Parse                                                                */

struct parse_ok_case {
	const char *text;
	uint8_t usage, selector, mtype;
	const char *hex; /* canonical lowercase data */
};

static const struct parse_ok_case parse_ok_cases[] = {
	{ "3 1 1 0a0B", 3, 1, 1, "0a0b" },
	{ "  3\t1  1   00ff  ", 3, 1, 1, "00ff" },
	{ "2 0 1 ab cd\tef\n01", 2, 0, 1, "abcdef01" },
	{ "255 255 255 FF", 255, 255, 255, "ff" },
	{ "0 0 0 00", 0, 0, 0, "00" },
	{ "003 01 1 aa", 3, 1, 1, "aa" },
};

static void
hex_of(const tlsa_record *r, char *out)
{
	size_t i;

	for (i = 0; i < r->len; i++)
		sprintf(out + 2 * i, "%02x", r->data[i]);
	out[2 * r->len] = '\0';
}

Test(tlsa_record, parse_accepts_presentation_forms)
{
	size_t i;

	for (i = 0; i < sizeof(parse_ok_cases) / sizeof(parse_ok_cases[0]);
	    i++) {
		const struct parse_ok_case *c = &parse_ok_cases[i];
		char err[128] = "", hex[64];
		tlsa_record r;

		cr_assert_eq(tlsa_record_parse(c->text, &r, err, sizeof(err)), 0,
		    "row %zu \"%s\" rejected: %s", i, c->text, err);
		hex_of(&r, hex);
		cr_expect_eq(r.usage, c->usage, "row %zu usage", i);
		cr_expect_eq(r.selector, c->selector, "row %zu selector", i);
		cr_expect_eq(r.mtype, c->mtype, "row %zu mtype", i);
		cr_expect_str_eq(hex, c->hex, "row %zu data", i);
		tlsa_record_clear(&r);
	}
}

struct parse_bad_case {
	const char *text;
	const char *reason_has; /* substring expected in err */
};

static const struct parse_bad_case parse_bad_cases[] = {
	{ "", "usage" },
	{ "3", "selector" },
	{ "3 1", "matching type" },
	{ "3 1 1", "empty" },
	{ "3 1 1    ", "empty" },
	{ "3 1 1 abc", "odd" },
	{ "3 1 1 ab c", "odd" },
	{ "3 1 1 abzz", "non-hex" },
	{ "3 1 1 0x12", "non-hex" },
	{ "3 1 1 ab-cd", "non-hex" },
	{ "256 1 1 ab", "usage" },
	{ "3 256 1 ab", "selector" },
	{ "3 1 1000 ab", "matching type" },
	{ "-1 1 1 ab", "usage" },
	{ "+3 1 1 ab", "usage" },
	{ "DANE-EE 1 1 ab", "usage" },
	{ "3,1,1 ab", "usage" },
	{ "3 1 1ab", "matching type" },
	{ "99999999999999999999 1 1 ab", "usage" },
};

Test(tlsa_record, parse_rejects_malformed_text_with_a_reason)
{
	size_t i;

	for (i = 0; i < sizeof(parse_bad_cases) / sizeof(parse_bad_cases[0]);
	    i++) {
		const struct parse_bad_case *c = &parse_bad_cases[i];
		char err[128] = "";
		tlsa_record r;

		cr_expect_eq(tlsa_record_parse(c->text, &r, err, sizeof(err)), -1,
		    "row %zu \"%s\" accepted", i, c->text);
		cr_expect_not_null(strstr(err, c->reason_has),
		    "row %zu \"%s\": reason \"%s\" lacks \"%s\"", i, c->text,
		    err, c->reason_has);
		cr_expect_null(r.data, "row %zu left data behind", i);
		cr_expect_eq(r.len, 0);
	}
}

Test(tlsa_record, parse_of_null_text_fails_cleanly)
{
	tlsa_record r;

	cr_expect_eq(tlsa_record_parse(NULL, &r, NULL, 0), -1);
	cr_expect_null(r.data);
}

Test(tlsa_record, parse_tolerates_a_null_error_buffer)
{
	tlsa_record r;

	cr_expect_eq(tlsa_record_parse("3 1 1 abc", &r, NULL, 0), -1);
	cr_expect_eq(tlsa_record_parse("3 1 1 ab", &r, NULL, 0), 0);
	tlsa_record_clear(&r);
}

/* ------------------------------------------------------------------ */
/* Format                                                               */

Test(tlsa_record, format_round_trips_through_parse)
{
	static const char *const texts[] = {
		"3 1 1 0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
		"2 0 2 ff",
		"0 0 0 00",
		"255 255 255 deadbeef",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char buf[256], err[128];
		tlsa_record a, b;

		cr_assert_eq(tlsa_record_parse(texts[i], &a, err, sizeof(err)), 0,
		    "%s", err);
		cr_expect_str_eq(tlsa_record_format(&a, buf, sizeof(buf)),
		    texts[i]);
		cr_assert_eq(tlsa_record_parse(buf, &b, err, sizeof(err)), 0);
		cr_expect(tlsa_record_equal(&a, &b), "row %zu", i);
		tlsa_record_clear(&a);
		tlsa_record_clear(&b);
	}
}

Test(tlsa_record, format_writes_lowercase_hex)
{
	uint8_t d[] = { 0xAB, 0xCD, 0xEF };
	tlsa_record r = rec(3, 1, 1, d, sizeof(d));
	char buf[64];

	cr_expect_str_eq(tlsa_record_format(&r, buf, sizeof(buf)),
	    "3 1 1 abcdef");
}

Test(tlsa_record, format_truncates_safely_in_a_short_buffer)
{
	uint8_t d[] = { 0x01, 0x02, 0x03, 0x04 };
	tlsa_record r = rec(3, 1, 1, d, sizeof(d));
	char buf[16];
	size_t n;

	memset(buf, 'X', sizeof(buf));
	/* "3 1 1 0102030" would cut a byte in half: only whole bytes. */
	cr_expect_str_eq(tlsa_record_format(&r, buf, 13), "3 1 1 010203");
	for (n = 1; n <= 12; n++) {
		memset(buf, 'X', sizeof(buf));
		tlsa_record_format(&r, buf, n);
		cr_expect_lt(strlen(buf), n, "buflen %zu", n);
		cr_expect_eq(buf[n], 'X', "wrote past buflen %zu", n);
	}
	memset(buf, 'X', sizeof(buf));
	cr_expect_eq(tlsa_record_format(&r, buf, 0), buf);
	cr_expect_eq(buf[0], 'X');
}

/* ------------------------------------------------------------------ */
/* Equal, copy, clear                                                   */

Test(tlsa_record, equal_compares_every_field_and_the_data)
{
	uint8_t d1[] = { 1, 2, 3 }, d2[] = { 1, 2, 3 }, d3[] = { 1, 2, 4 };
	tlsa_record a = rec(3, 1, 1, d1, 3);
	tlsa_record same = rec(3, 1, 1, d2, 3);
	tlsa_record diff[] = {
		rec(2, 1, 1, d2, 3), rec(3, 0, 1, d2, 3), rec(3, 1, 2, d2, 3),
		rec(3, 1, 1, d3, 3), rec(3, 1, 1, d2, 2),
	};
	tlsa_record e1 = rec(3, 1, 1, NULL, 0), e2 = rec(3, 1, 1, NULL, 0);
	size_t i;

	cr_expect(tlsa_record_equal(&a, &same));
	for (i = 0; i < sizeof(diff) / sizeof(diff[0]); i++)
		cr_expect_not(tlsa_record_equal(&a, &diff[i]), "row %zu", i);
	cr_expect(tlsa_record_equal(&e1, &e2));
}

Test(tlsa_record, copy_is_deep_and_clear_zeroes)
{
	uint8_t d[] = { 9, 8, 7 };
	tlsa_record src = rec(2, 0, 1, d, sizeof(d)), dst;

	cr_assert_eq(tlsa_record_copy(&dst, &src), 0);
	cr_expect(tlsa_record_equal(&dst, &src));
	cr_expect_neq(dst.data, src.data);
	d[0] = 0;
	cr_expect_eq(dst.data[0], 9);
	tlsa_record_clear(&dst);
	cr_expect_null(dst.data);
	cr_expect_eq(dst.len, 0);
	cr_expect_eq(dst.usage, 0);
	cr_expect_eq(dst.mtype, 0);
	tlsa_record_clear(NULL);
}

Test(tlsa_record, copy_of_empty_data_allocates_nothing)
{
	tlsa_record src = rec(3, 1, 1, NULL, 0), dst;

	cr_assert_eq(tlsa_record_copy(&dst, &src), 0);
	cr_expect_null(dst.data);
	cr_expect_eq(dst.usage, 3);
	cr_expect(tlsa_record_equal(&dst, &src));
	tlsa_record_clear(&dst);
}

Test(tlsa_record, digest_length_constants_match_the_hashes)
{
	/* The usability rule's 32/64 are the SHA-256/SHA-512 sizes. */
	tlsa_record r256 = rec(3, 1, 1, digest64,
	    (size_t)EVP_MD_get_size(EVP_sha256()));
	tlsa_record r512 = rec(3, 1, 2, digest64,
	    (size_t)EVP_MD_get_size(EVP_sha512()));

	cr_expect_eq(tlsa_record_usability(&r256), TLSA_USABLE);
	cr_expect_eq(tlsa_record_usability(&r512), TLSA_USABLE);
}
