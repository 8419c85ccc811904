#include "config.h"

#include "tls/cert_facts.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "util/hex.h"

/* Copies at most dstlen-1 bytes, replacing anything that is not printable
 * ASCII: certificate strings are attacker-controlled and end up on an
 * operator's terminal or in a monitoring system. */
static void
copy_printable(
    char *dst, size_t dstlen, const unsigned char *src, size_t srclen)
{
	size_t i;

	if (dstlen == 0)
		return;
	for (i = 0; i < srclen && i + 1 < dstlen; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[i] = '\0';
}

static void
name_oneline(const X509_NAME *name, char *buf, size_t buflen)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data = NULL;
	long len;

	buf[0] = '\0';
	if (bio == NULL)
		return;
	/* RFC 2253 escapes non-ASCII and control bytes itself (\XX), so
	 * the text stays printable without losing information. */
	if (X509_NAME_print_ex(bio, name, 0, XN_FLAG_RFC2253) >= 0) {
		len = BIO_get_mem_data(bio, &data);
		if (len > 0)
			copy_printable(
			    buf, buflen, (unsigned char *)data, (size_t)len);
	}
	BIO_free(bio);
}

/* Appends ", name" (or "name" first); on overflow ends the list with "...". */
static void
append_name(char *buf, size_t buflen, const char *name)
{
	size_t used = strlen(buf);
	const char *sep = used ? ", " : "";
	int n;

	if (used + 4 >= buflen)
		return; /* already full and marked */
	n = snprintf(buf + used, buflen - used, "%s%s", sep, name);
	if (n < 0 || (size_t)n >= buflen - used) {
		/* Truncated: mark it so no one mistakes a cut name for a real one. */
		buf[used] = '\0';
		snprintf(buf + used, buflen - used, "%s...", sep);
	}
}

static void
dns_sans(X509 *x, char *buf, size_t buflen)
{
	GENERAL_NAMES *gens;
	char name[256];
	int i;

	buf[0] = '\0';
	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (gens == NULL)
		return;
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type != GEN_DNS)
			continue;
		copy_printable(name, sizeof(name),
		    ASN1_STRING_get0_data(g->d.dNSName),
		    (size_t)ASN1_STRING_length(g->d.dNSName));
		append_name(buf, buflen, name);
	}
	GENERAL_NAMES_free(gens);
}

static time_t
asn1_to_time(const ASN1_TIME *t)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return (time_t)0;
	return timegm(&tm);
}

/* "EC P-256" rather than "EC prime256v1": the NIST name is what operators
 * and certificate request tools show. */
static void
ec_key_type(const EVP_PKEY *pkey, char *buf, size_t buflen)
{
	char group[64];
	const char *nist = NULL;
	size_t glen = 0;

	if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &glen)) {
		snprintf(buf, buflen, "EC");
		return;
	}
	nist = EC_curve_nid2nist(OBJ_sn2nid(group));
	snprintf(buf, buflen, "EC %s", nist ? nist : group);
}

static void
key_facts(X509 *x, cert_facts *out)
{
	const EVP_PKEY *pkey = X509_get0_pubkey(x);
	int id;

	if (pkey == NULL) {
		snprintf(out->key_type, sizeof(out->key_type), "unknown");
		return;
	}
	out->key_bits = EVP_PKEY_get_bits(pkey);
	id = EVP_PKEY_get_base_id(pkey);
	switch (id) {
	case EVP_PKEY_RSA:
		snprintf(out->key_type, sizeof(out->key_type), "RSA");
		break;
	case EVP_PKEY_RSA_PSS:
		snprintf(out->key_type, sizeof(out->key_type), "RSA-PSS");
		break;
	case EVP_PKEY_EC:
		ec_key_type(pkey, out->key_type, sizeof(out->key_type));
		break;
	case EVP_PKEY_ED25519:
		snprintf(out->key_type, sizeof(out->key_type), "Ed25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(out->key_type, sizeof(out->key_type), "Ed448");
		break;
	case EVP_PKEY_DSA:
		snprintf(out->key_type, sizeof(out->key_type), "DSA");
		break;
	default:
		snprintf(out->key_type, sizeof(out->key_type), "%s",
		    id != NID_undef ? OBJ_nid2sn(id) : "unknown");
		break;
	}
}

static int
digest_hex(X509 *x, int selector, char *buf, size_t buflen)
{
	unsigned char *md = NULL;
	size_t mdlen = 0;

	if (cert_tlsa_data(x, selector, 1, &md, &mdlen) != 0)
		return -1;
	hex_encode(md, mdlen, buf, buflen);
	OPENSSL_free(md);
	return 0;
}

int
cert_facts_from_x509(X509 *x, cert_facts *out)
{
	memset(out, 0, sizeof(*out));
	if (x == NULL)
		return -1;
	if (digest_hex(x, 1, out->spki_sha256, sizeof(out->spki_sha256)) != 0 ||
	    digest_hex(x, 0, out->cert_sha256, sizeof(out->cert_sha256)) != 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	name_oneline(
	    X509_get_subject_name(x), out->subject, sizeof(out->subject));
	name_oneline(X509_get_issuer_name(x), out->issuer, sizeof(out->issuer));
	dns_sans(x, out->sans, sizeof(out->sans));
	out->not_before = asn1_to_time(X509_get0_notBefore(x));
	out->not_after = asn1_to_time(X509_get0_notAfter(x));
	key_facts(x, out);
	out->present = true;
	return 0;
}

long
cert_facts_days_left(const cert_facts *c, time_t now)
{
	return cert_days_until(c->not_after, now);
}

long
cert_days_until(time_t not_after, time_t now)
{
	double secs = difftime(not_after, now);

	/* Whole days, rounded towards minus infinity: a certificate that
	 * expired an hour ago has -1 days left, not 0. */
	if (secs >= 0)
		return (long)(secs / 86400);
	return -(long)((-secs + 86399) / 86400);
}

/* DER of the certificate (selector 0) or of its SubjectPublicKeyInfo
 * (selector 1), the exact bytes RFC 6698 section 2.1.2 hashes. */
static int
der_for_selector(X509 *x, int selector, unsigned char **der)
{
	*der = NULL;
	if (selector == 0)
		return i2d_X509(x, der);
	if (selector == 1)
		return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), der);
	return -1;
}

int
cert_tlsa_data_der(unsigned char *der, int derlen, int mtype,
    unsigned char **out, size_t *outlen)
{
	unsigned int mdlen = 0;

	*out = NULL;
	*outlen = 0;
	if (der == NULL || derlen <= 0 || mtype < 0 || mtype > 2) {
		OPENSSL_free(der);
		return -1;
	}
	if (mtype == 0) {
		*out = der;
		*outlen = (size_t)derlen;
		return 0;
	}
	*out = OPENSSL_malloc(EVP_MAX_MD_SIZE);
	if (*out == NULL ||
	    !EVP_Digest(der, (size_t)derlen, *out, &mdlen,
	        mtype == 1 ? EVP_sha256() : EVP_sha512(), NULL)) {
		OPENSSL_free(*out);
		*out = NULL;
		OPENSSL_free(der);
		return -1;
	}
	OPENSSL_free(der);
	*outlen = mdlen;
	return 0;
}

int
cert_tlsa_data(
    X509 *x, int selector, int mtype, unsigned char **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int derlen;

	*out = NULL;
	*outlen = 0;
	if (x == NULL)
		return -1;
	derlen = der_for_selector(x, selector, &der);
	return cert_tlsa_data_der(der, derlen, mtype, out, outlen);
}
