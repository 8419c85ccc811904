/*
 * tlsa_gen.c -- TLSA records from a certificate or key, their parameters
 * by number or name, and the output forms of a record (see tlsa_gen.h).
 */
#include "config.h"

#include "tls/tlsa_gen.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "dns/dns_name.h"
#include "tls/cert_facts.h"
#include "util/hex.h"
#include "util/parse.h"

/* ---- records ---- */

int
tlsa_gen_key_data(EVP_PKEY *key, int mtype, unsigned char **out, size_t *outlen)
{
	unsigned char *der = NULL;
	int derlen = i2d_PUBKEY(key, &der);

	return cert_tlsa_data_der(der, derlen, mtype, out, outlen);
}

int
tlsa_gen_record(X509 *x, EVP_PKEY *key, uint8_t usage, uint8_t selector,
    uint8_t mtype, tlsa_record *rec, char *err, size_t errlen)
{
	unsigned char *d = NULL;
	size_t len = 0;
	int rc;

	memset(rec, 0, sizeof(*rec));
	if (x == NULL && selector != TLSA_SELECTOR_SPKI) {
		snprintf(err, errlen,
		    "selector %u (whole certificate) needs a "
		    "certificate; a key gives selector 1 (spki) only",
		    selector);
		return -1;
	}
	rc = x != NULL ? cert_tlsa_data(x, selector, mtype, &d, &len) :
	                 tlsa_gen_key_data(key, mtype, &d, &len);
	if (rc != 0 || (rec->data = malloc(len ? len : 1)) == NULL) {
		OPENSSL_free(d);
		snprintf(err, errlen, "cannot compute the association data");
		return -1;
	}
	memcpy(rec->data, d, len);
	OPENSSL_free(d);
	rec->len = len;
	rec->usage = usage;
	rec->selector = selector;
	rec->mtype = mtype;
	return 0;
}

/* ---- parameters by number or name ---- */

static int
parse_param(const char *s, const char *const *names, int count,
    const char *what, uint8_t *out, char *err, size_t errlen)
{
	long v;

	for (int i = 0; i < count; i++)
		for (const char *n = names[i]; n && *n; n += strlen(n) + 1)
			if (strcasecmp(s, n) == 0) {
				*out = (uint8_t)i;
				return 0;
			}
	if (parse_long(s, 0, count - 1, &v) == 0) {
		*out = (uint8_t)v;
		return 0;
	}
	snprintf(
	    err, errlen, "unknown %s \"%.32s\" (0-%d or ", what, s, count - 1);
	for (int i = 0; i < count; i++)
		snprintf(err + strlen(err), errlen - strlen(err), "%s%s",
		    i ? ", " : "", names[i]);
	snprintf(err + strlen(err), errlen - strlen(err), ")");
	return -1;
}

/* Each entry: the main name, then aliases, each NUL-terminated, and an
 * empty name (the literal's own NUL) at the end. */
static const char *const usage_names[] = { "pkix-ta\0", "pkix-ee\0",
	"dane-ta\0", "dane-ee\0" };
static const char *const selector_names[] = { "cert\0full-cert\0",
	"spki\0pubkey\0" };
static const char *const mtype_names[] = { "full\0exact\0",
	"sha256\0sha2-256\0sha-256\0", "sha512\0sha2-512\0sha-512\0" };

int
tlsa_gen_parse_usage(const char *s, uint8_t *out, char *err, size_t errlen)
{
	return parse_param(s, usage_names, 4, "usage", out, err, errlen);
}

int
tlsa_gen_parse_selector(const char *s, uint8_t *out, char *err, size_t errlen)
{
	return parse_param(s, selector_names, 2, "selector", out, err, errlen);
}

int
tlsa_gen_parse_mtype(const char *s, uint8_t *out, char *err, size_t errlen)
{
	return parse_param(
	    s, mtype_names, 3, "matching type", out, err, errlen);
}

int
tlsa_gen_owner(
    const char *host, int port, char *buf, size_t len, char *err, size_t errlen)
{
	char name[256];

	/* Lower case, A-labels, no trailing dot: as probes show it. */
	if (dns_name_parse(host, name, sizeof(name), err, errlen) != 0)
		return -1;
	snprintf(buf, len, "_%d._tcp.%s.", port, name);
	return 0;
}

int
tlsa_gen_parse_format(const char *s, tlsa_gen_format *out)
{
	static const char *const names[] = { "zone", "nsupdate", "generic",
		"json" };

	for (int i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*out = (tlsa_gen_format)i;
			return 0;
		}
	return -1;
}

/* ---- output ---- */

static char *
hex_of(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	return s ? hex_encode(p, n, s, 2 * n + 1) : NULL;
}

static void
ttl_field(char *buf, size_t len, uint32_t ttl)
{
	if (ttl > 0)
		snprintf(buf, len, " %lu", (unsigned long)ttl);
	else
		buf[0] = '\0';
}

static int
print_line(FILE *out, tlsa_gen_format f, const char *owner, uint32_t ttl,
    const tlsa_record *r)
{
	char *h = hex_of(r->data, r->len), t[16];
	int rc = 0;

	if (h == NULL)
		return -1;
	ttl_field(t, sizeof(t), ttl);
	if (owner == NULL && f == TLSA_GEN_GENERIC)
		rc = fprintf(out, "\\# %zu %02x%02x%02x%s\n", r->len + 3,
		    r->usage, r->selector, r->mtype, h);
	else if (owner == NULL)
		/* The record data alone, to paste into a zone or a form. */
		rc = fprintf(
		    out, "%u %u %u %s\n", r->usage, r->selector, r->mtype, h);
	else if (f == TLSA_GEN_NSUPDATE)
		rc = fprintf(out, "update add %s %lu IN TLSA %u %u %u %s\n",
		    owner, (unsigned long)(ttl ? ttl : 3600), r->usage,
		    r->selector, r->mtype, h);
	else if (f == TLSA_GEN_GENERIC)
		/* RFC 3597 section 5: the RDATA as one hex string. */
		rc = fprintf(out, "%s%s IN TYPE52 \\# %zu %02x%02x%02x%s\n",
		    owner, t, r->len + 3, r->usage, r->selector, r->mtype, h);
	else
		rc = fprintf(out, "%s%s IN TLSA %u %u %u %s\n", owner, t,
		    r->usage, r->selector, r->mtype, h);
	free(h);
	return rc < 0 ? -1 : 0;
}

static json_t *
json_item(const char *owner, uint32_t ttl, const tlsa_gen_item *it)
{
	char *h = hex_of(it->rec.data, it->rec.len);
	json_t *o = json_pack("{s:s?, s:I, s:i, s:i, s:i, s:s?, s:s, s:s?}",
	    "owner", owner, "ttl", (json_int_t)ttl, "usage", it->rec.usage,
	    "selector", it->rec.selector, "mtype", it->rec.mtype, "data", h,
	    "source", it->source, "file", it->file);
	cert_facts cf;

	free(h);
	if (o == NULL)
		return NULL;
	if (it->depth >= 0)
		json_object_set_new(o, "depth", json_integer(it->depth));
	if (it->key_family != NULL)
		json_object_set_new(
		    o, "key_family", json_string(it->key_family));
	if (it->cert != NULL && cert_facts_from_x509(it->cert, &cf) == 0) {
		json_object_set_new(o, "subject", json_string(cf.subject));
		json_object_set_new(o, "key_type", json_string(cf.key_type));
		json_object_set_new(
		    o, "not_after", json_integer((json_int_t)cf.not_after));
	}
	return o;
}

static int
print_json(FILE *out, const char *owner, uint32_t ttl,
    const tlsa_gen_item *items, size_t n)
{
	json_t *arr = json_array();
	int rc = -1;

	for (size_t i = 0; arr != NULL && i < n; i++) {
		json_t *o = json_item(owner, ttl, &items[i]);

		if (o == NULL || json_array_append_new(arr, o) != 0)
			goto out;
	}
	if (arr != NULL && json_dumpf(arr, out, JSON_INDENT(2)) == 0 &&
	    fputc('\n', out) != EOF)
		rc = 0;
out:
	json_decref(arr);
	return rc;
}

int
tlsa_gen_print(FILE *out, tlsa_gen_format f, const char *owner, uint32_t ttl,
    const tlsa_gen_item *items, size_t n)
{
	if (f == TLSA_GEN_JSON)
		return print_json(out, owner, ttl, items, n);
	if (f == TLSA_GEN_NSUPDATE && owner == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (print_line(out, f, owner, ttl, &items[i].rec) != 0)
			return -1;
	if (f == TLSA_GEN_NSUPDATE && fprintf(out, "send\n") < 0)
		return -1;
	return 0;
}
