#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/hex.h"
#include "dns/tlsa_record.h"

/* RFC 6698 section 2.1.1 allows any 8-bit value; the wire format caps the
 * association data at what fits in one RR (RDLENGTH is 16 bits). */
#define TLSA_MAX_DATA 65535

static const char *const usability_names[] = {
	[TLSA_USABLE] = "usable",
	[TLSA_UNUSABLE_PKIX_USAGE] =
	    "PKIX usage not used with SMTP (RFC 7672 3.1.3)",
	[TLSA_UNUSABLE_USAGE] = "unknown certificate usage",
	[TLSA_UNUSABLE_SELECTOR] = "unknown selector",
	[TLSA_UNUSABLE_MTYPE] = "unknown matching type",
	[TLSA_UNUSABLE_DIGEST_LENGTH] =
	    "digest length does not match the matching type",
	[TLSA_UNUSABLE_FULL_DATA] =
	    "full data is not a DER certificate or public key",
};

const char *
tlsa_usability_name(tlsa_usability u)
{
	if ((size_t)u >= sizeof(usability_names) / sizeof(usability_names[0]))
		return "unknown";
	return usability_names[u];
}

const char *
tlsa_usage_name(uint8_t usage)
{
	/* One buffer per possible value, filled on first use: the text for a
	 * value never changes, so returned pointers stay valid forever. */
	static char unknown[256][10];
	static const char *const names[] = {
		"PKIX-TA",
		"PKIX-EE",
		"DANE-TA",
		"DANE-EE",
	};

	if (usage < 4)
		return names[usage];
	if (unknown[usage][0] == '\0')
		snprintf(unknown[usage], sizeof(unknown[usage]), "usage-%u",
		    (unsigned)usage);
	return unknown[usage];
}

const char *
tlsa_selector_name(uint8_t selector)
{
	static char unknown[256][13];

	if (selector == TLSA_SELECTOR_CERT)
		return "Cert";
	if (selector == TLSA_SELECTOR_SPKI)
		return "SPKI";
	if (unknown[selector][0] == '\0')
		snprintf(unknown[selector], sizeof(unknown[selector]),
		    "selector-%u", (unsigned)selector);
	return unknown[selector];
}

const char *
tlsa_mtype_name(uint8_t mtype)
{
	static char unknown[256][10];
	static const char *const names[] = { "Full", "SHA2-256", "SHA2-512" };

	if (mtype < 3)
		return names[mtype];
	if (unknown[mtype][0] == '\0')
		snprintf(unknown[mtype], sizeof(unknown[mtype]), "mtype-%u",
		    (unsigned)mtype);
	return unknown[mtype];
}

/* Full-data records must hold exactly one DER object and nothing else:
 * OpenSSL's SSL_dane_tlsa_add() applies the same test, so a record we call
 * usable is one it will accept. */
static bool
full_data_parses(const tlsa_record *rec)
{
	const unsigned char *p = rec->data;
	long len;
	bool ok = false;

	if (rec->data == NULL || rec->len == 0 || rec->len > TLSA_MAX_DATA)
		return false;
	len = (long)rec->len;
	if (rec->selector == TLSA_SELECTOR_CERT) {
		X509 *cert = d2i_X509(NULL, &p, len);

		ok = cert != NULL && p == rec->data + rec->len;
		X509_free(cert);
	} else {
		EVP_PKEY *key = d2i_PUBKEY(NULL, &p, len);

		ok = key != NULL && p == rec->data + rec->len;
		EVP_PKEY_free(key);
	}
	return ok;
}

tlsa_usability
tlsa_record_usability(const tlsa_record *rec)
{
	/* RFC 7672 3.1.3: SMTP clients treat PKIX-TA/PKIX-EE as unusable,
	 * there being no agreed set of public CAs for MX hosts. */
	if (rec->usage == TLSA_USAGE_PKIX_TA ||
	    rec->usage == TLSA_USAGE_PKIX_EE)
		return TLSA_UNUSABLE_PKIX_USAGE;
	if (rec->usage > TLSA_USAGE_DANE_EE)
		return TLSA_UNUSABLE_USAGE;
	if (rec->selector > TLSA_SELECTOR_SPKI)
		return TLSA_UNUSABLE_SELECTOR;
	switch (rec->mtype) {
	case TLSA_MTYPE_SHA256:
		return rec->len == 32 ? TLSA_USABLE :
		                        TLSA_UNUSABLE_DIGEST_LENGTH;
	case TLSA_MTYPE_SHA512:
		return rec->len == 64 ? TLSA_USABLE :
		                        TLSA_UNUSABLE_DIGEST_LENGTH;
	case TLSA_MTYPE_FULL:
		return full_data_parses(rec) ? TLSA_USABLE :
		                               TLSA_UNUSABLE_FULL_DATA;
	default:
		return TLSA_UNUSABLE_MTYPE;
	}
}

int
tlsa_record_copy(tlsa_record *dst, const tlsa_record *src)
{
	memset(dst, 0, sizeof(*dst));
	if (src->len > 0) {
		dst->data = malloc(src->len);
		if (dst->data == NULL)
			return -1;
		memcpy(dst->data, src->data, src->len);
	}
	dst->usage = src->usage;
	dst->selector = src->selector;
	dst->mtype = src->mtype;
	dst->len = src->len;
	return 0;
}

void
tlsa_record_clear(tlsa_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->data);
	memset(rec, 0, sizeof(*rec));
}

char *
tlsa_record_format(const tlsa_record *rec, char *buf, size_t buflen)
{
	int n;

	if (buflen == 0)
		return buf;
	n = snprintf(buf, buflen, "%u %u %u ", (unsigned)rec->usage,
	    (unsigned)rec->selector, (unsigned)rec->mtype);
	if (n < 0 || (size_t)n >= buflen)
		return buf; /* snprintf already truncated and terminated */
	hex_encode(rec->data, rec->len, buf + n, buflen - (size_t)n);
	return buf;
}

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", msg);
}

/* One decimal field 0..255 followed by whitespace; advances *pp. */
static int
parse_octet(const char **pp, uint8_t *out)
{
	const char *p = *pp;
	unsigned v = 0;
	size_t digits = 0;

	while (isspace((unsigned char)*p))
		p++;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > 255)
			return -1;
		p++;
		digits++;
	}
	/* A missing data field is reported by parse_hex() as empty data. */
	if (digits == 0 || (*p != '\0' && !isspace((unsigned char)*p)))
		return -1;
	*out = (uint8_t)v;
	*pp = p;
	return 0;
}

static int
hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Hex digits with optional interior whitespace (zone files split long
 * records) into a fresh buffer. */
static int
parse_hex(const char *p, uint8_t **data, size_t *len, char *err, size_t errlen)
{
	size_t ndigits = 0, i = 0;
	const char *q;
	uint8_t *buf;
	int hi = -1;

	for (q = p; *q != '\0'; q++) {
		if (isspace((unsigned char)*q))
			continue;
		if (hex_value((unsigned char)*q) < 0) {
			set_err(err, errlen,
			    "non-hex character in association data");
			return -1;
		}
		ndigits++;
	}
	if (ndigits == 0) {
		set_err(err, errlen, "empty association data");
		return -1;
	}
	if (ndigits % 2 != 0) {
		set_err(err, errlen,
		    "odd number of hex digits in association data");
		return -1;
	}
	if (ndigits / 2 > TLSA_MAX_DATA) {
		set_err(err, errlen, "association data too long");
		return -1;
	}
	if ((buf = malloc(ndigits / 2)) == NULL) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	for (q = p; *q != '\0'; q++) {
		int v = hex_value((unsigned char)*q);

		if (v < 0)
			continue; /* whitespace, checked above */
		if (hi < 0) {
			hi = v;
		} else {
			buf[i++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	*data = buf;
	*len = ndigits / 2;
	return 0;
}

int
tlsa_record_parse(const char *text, tlsa_record *rec, char *err, size_t errlen)
{
	const char *p = text;
	uint8_t f[3];
	int i;

	memset(rec, 0, sizeof(*rec));
	if (text == NULL) {
		set_err(err, errlen, "no TLSA record text");
		return -1;
	}
	for (i = 0; i < 3; i++) {
		if (parse_octet(&p, &f[i]) < 0) {
			static const char *const what[] = {
				"usage",
				"selector",
				"matching type",
			};
			char msg[80];

			snprintf(msg, sizeof(msg),
			    "bad %s: expected a number 0-255", what[i]);
			set_err(err, errlen, msg);
			return -1;
		}
	}
	if (parse_hex(p, &rec->data, &rec->len, err, errlen) < 0)
		return -1;
	rec->usage = f[0];
	rec->selector = f[1];
	rec->mtype = f[2];
	return 0;
}

bool
tlsa_record_equal(const tlsa_record *a, const tlsa_record *b)
{
	if (a->usage != b->usage || a->selector != b->selector ||
	    a->mtype != b->mtype || a->len != b->len)
		return false;
	return a->len == 0 || memcmp(a->data, b->data, a->len) == 0;
}
