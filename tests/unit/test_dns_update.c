/*
 * test_dns_update.c -- TSIG key files and RFC 2136 update messages: the
 * key forms BIND and knsupdate read, the update's wire bytes (opcode,
 * zone section, the classes and TTLs of adds, deletes and prerequisites
 * from RFC 2136 sections 2.4 and 2.5, the TSIG record last), and the
 * checks on the primary's reply (signed with our key, or refused).
 */
#include "config.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/dns_update.h"

static const char secret[] = "q83E+2NpQDb4xN5dR7Pp0ZV1yC+Xv2Cz0Kz8mB0n1ks=";

static dns_tsig_key
test_key(void)
{
	dns_tsig_key k;
	char err[200], text[200];

	snprintf(text, sizeof(text), "update.example.lab:%s", secret);
	cr_assert_eq(
	    dns_tsig_key_parse(text, &k, err, sizeof(err)), 0, "%s", err);
	return k;
}

/* ================================================================ keys */

Test(dns_update, bind_key_file_is_parsed)
{
	const char *text =
	    "# made by keymgr\n"
	    "key \"Update.Example.LAB\" {\n"
	    "\talgorithm hmac-sha256; // the only one\n"
	    "\tsecret \"q83E+2NpQDb4xN5dR7Pp0ZV1yC+Xv2Cz0Kz8mB0n1ks=\";\n"
	    "};\n";
	dns_tsig_key k;
	char err[200];

	cr_assert_eq(
	    dns_tsig_key_parse(text, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(k.name, "update.example.lab.");
	cr_assert_str_eq(k.algorithm, "hmac-sha256.");
	cr_assert_str_eq(k.secret, secret);
}

Test(dns_update, short_forms_are_parsed)
{
	dns_tsig_key k;
	char err[200], text[200];

	snprintf(text, sizeof(text), "hmac-sha256:k1.lab.:%s\n", secret);
	cr_assert_eq(
	    dns_tsig_key_parse(text, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(k.name, "k1.lab.");
	cr_assert_str_eq(k.secret, secret);
	snprintf(text, sizeof(text), "k2:%s", secret);
	cr_assert_eq(
	    dns_tsig_key_parse(text, &k, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(k.name, "k2.");
	cr_assert_str_eq(k.algorithm, "hmac-sha256.");
}

typedef struct bad_key {
	const char *text;
	const char *reason; /* a piece of the message */
} bad_key;

static const bad_key bad_keys[] = {
	{ "key \"k\" { algorithm hmac-md5; secret \"aGVsbG8=\"; };",
	    "hmac-md5" },
	{ "key \"k\" { algorithm hmac-sha256; };", "no secret" },
	{ "key \"k\" { secret \"aGVsbG8=\"; };", "no algorithm" },
	{ "key \"k\" { algorithm hmac-sha256; secret \"%%%\"; };",
	    "not base64" },
	{ "key \"k\" { algorithm hmac-sha256; secret \"aGVsbG8=\" };",
	    "needs a value" },
	{ "key \"k\" { algorithm hmac-sha256; secret \"aGVsbG8=\"; };\n"
	  "key \"j\" { algorithm hmac-sha256; secret \"aGVsbG8=\"; };",
	    "more than one key" },
	{ "key \"k\" { algorithm hmac-sha256; secret \"aGVsbG8=; };",
	    "not closed" },
	{ "k:", "empty" },
	{ "just words", "not a TSIG key" },
	{ "sha1:k:aGVsbG8=", "not supported" },
};
#define N_BAD (sizeof(bad_keys) / sizeof(bad_keys[0]))

ParameterizedTestParameters(dns_update, bad_keys_are_refused)
{
	static size_t idx[N_BAD];

	for (size_t i = 0; i < N_BAD; i++)
		idx[i] = i;
	return cr_make_param_array(size_t, idx, N_BAD);
}

ParameterizedTest(size_t *i, dns_update, bad_keys_are_refused)
{
	const bad_key *c = &bad_keys[*i];
	dns_tsig_key k;
	char err[200] = "";

	cr_assert_eq(dns_tsig_key_parse(c->text, &k, err, sizeof(err)), -1,
	    "accepted: %s", c->text);
	cr_assert_not_null(
	    strstr(err, c->reason), "\"%s\" lacks \"%s\"", err, c->reason);
	cr_assert_null(strstr(err, "aGVsbG8"), "the secret leaks: %s", err);
	cr_assert_eq(k.secret[0], '\0');
}

/* ============================================================ messages */

/* A walk over the wire form of a message, as the primary parses it. */
typedef struct rr_view {
	char owner[256];
	uint16_t type, klass;
	uint32_t ttl;
	uint16_t rdlen;
	const uint8_t *rdata;
} rr_view;

/* Reads a (possibly compressed) name at *off into text; advances *off. */
static void
read_name(const uint8_t *w, size_t len, size_t *off, char *out)
{
	size_t o = *off, n = 0;
	bool jumped = false;

	out[0] = '\0';
	for (int hops = 0; hops < 64; hops++) {
		cr_assert_lt(o, len);
		if ((w[o] & 0xc0) == 0xc0) {
			if (!jumped)
				*off = o + 2;
			jumped = true;
			o = ((size_t)(w[o] & 0x3f) << 8) | w[o + 1];
			continue;
		}
		if (w[o] == 0) {
			if (!jumped)
				*off = o + 1;
			if (n == 0)
				strcpy(out, ".");
			return;
		}
		memcpy(out + n, w + o + 1, w[o]);
		n += w[o];
		out[n++] = '.';
		out[n] = '\0';
		o += 1 + w[o];
	}
	cr_assert_fail("name loops");
}

static uint16_t
u16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void
read_rr(const uint8_t *w, size_t len, size_t *off, rr_view *rr)
{
	read_name(w, len, off, rr->owner);
	cr_assert_leq(*off + 10, len);
	rr->type = u16(w + *off);
	rr->klass = u16(w + *off + 2);
	rr->ttl = (uint32_t)u16(w + *off + 4) << 16 | u16(w + *off + 6);
	rr->rdlen = u16(w + *off + 8);
	rr->rdata = w + *off + 10;
	*off += 10 + rr->rdlen;
	cr_assert_leq(*off, len);
}

#define OWNER "_25._tcp.mx.example.lab."
#define OLD \
	"3 1 1 1111111111111111111111111111111111111111111111111111111111111111"
#define NEW \
	"3 1 1 2222222222222222222222222222222222222222222222222222222222222222"

static dns_update_msg *
build(const dns_update_change *ch, size_t n, const char *exists,
    const dns_tsig_key *key)
{
	dns_update_params p = { .zone = "example.lab",
		.changes = ch,
		.n_changes = n,
		.exists_owner = exists,
		.exists_type = 52,
		.id = 0x1234,
		.key = key };
	dns_update_msg *m = NULL;
	char err[300];

	cr_assert_eq(
	    dns_update_msg_new(&p, &m, err, sizeof(err)), 0, "%s", err);
	return m;
}

Test(dns_update, message_has_rfc2136_sections_and_tsig)
{
	dns_tsig_key k = test_key();
	dns_update_change ch[] = {
		{ DNS_UPDATE_ADD, OWNER " 300 IN TLSA " NEW },
		{ DNS_UPDATE_DELETE, OWNER " 300 IN TLSA " OLD },
	};
	dns_update_msg *m = build(ch, 2, OWNER, &k);
	size_t len, off = 12;
	const uint8_t *w = dns_update_msg_wire(m, &len);
	char zone[256];
	rr_view pr, add, del, tsig;

	cr_assert_geq(len, 12);
	cr_assert_eq(u16(w), 0x1234);
	cr_assert_eq((w[2] >> 3) & 0xf, 5, "opcode UPDATE");
	cr_assert_eq(w[2] & 0x80, 0, "QR clear");
	cr_assert_eq(u16(w + 4), 1, "ZOCOUNT");
	cr_assert_eq(u16(w + 6), 1, "PRCOUNT");
	cr_assert_eq(u16(w + 8), 2, "UPCOUNT");
	cr_assert_eq(u16(w + 10), 1, "ADCOUNT: the TSIG");
	read_name(w, len, &off, zone);
	cr_assert_str_eq(zone, "example.lab.");
	cr_assert_eq(u16(w + off), 6, "ZTYPE SOA");
	cr_assert_eq(u16(w + off + 2), 1, "ZCLASS IN");
	off += 4;
	read_rr(w, len, &off, &pr);
	cr_assert_str_eq(pr.owner, OWNER);
	cr_assert_eq(pr.type, 52);
	cr_assert_eq(pr.klass, 255, "RRset exists: class ANY");
	cr_assert_eq(pr.ttl, 0);
	cr_assert_eq(pr.rdlen, 0);
	read_rr(w, len, &off, &add);
	cr_assert_str_eq(add.owner, OWNER);
	cr_assert_eq(add.type, 52);
	cr_assert_eq(add.klass, 1, "add: class IN");
	cr_assert_eq(add.ttl, 300);
	cr_assert_eq(add.rdlen, 35);
	cr_assert_eq(add.rdata[0], 3);
	cr_assert_eq(add.rdata[3], 0x22);
	read_rr(w, len, &off, &del);
	cr_assert_eq(del.type, 52);
	cr_assert_eq(del.klass, 254, "delete one RR: class NONE");
	cr_assert_eq(del.ttl, 0);
	cr_assert_eq(del.rdlen, 35);
	cr_assert_eq(del.rdata[3], 0x11);
	read_rr(w, len, &off, &tsig);
	cr_assert_str_eq(tsig.owner, "update.example.lab.");
	cr_assert_eq(tsig.type, 250, "TSIG");
	cr_assert_eq(tsig.klass, 255);
	cr_assert_eq(tsig.ttl, 0);
	cr_assert_eq(off, len, "nothing after the TSIG");
	dns_update_msg_free(m);
	dns_tsig_key_wipe(&k);
}

Test(dns_update, without_prerequisite_the_section_is_empty)
{
	dns_update_change ch[] = { { DNS_UPDATE_ADD,
	    OWNER " 60 IN TLSA " NEW } };
	dns_update_msg *m = build(ch, 1, NULL, NULL);
	size_t len;
	const uint8_t *w = dns_update_msg_wire(m, &len);

	cr_assert_eq(u16(w + 6), 0);
	cr_assert_eq(u16(w + 8), 1);
	cr_assert_eq(u16(w + 10), 0, "unsigned: no TSIG");
	dns_update_msg_free(m);
}

Test(dns_update, bad_record_text_is_refused)
{
	dns_update_change ch[] = { { DNS_UPDATE_ADD,
	    OWNER " 60 IN TLSA 3 1" } };
	dns_update_params p = {
		.zone = "example.lab", .changes = ch, .n_changes = 1
	};
	dns_update_msg *m = NULL;
	char err[300];

	cr_assert_eq(dns_update_msg_new(&p, &m, err, sizeof(err)), -1);
	cr_assert_null(m);
	cr_assert_not_null(strstr(err, "not a resource record"), "%s", err);
}

/* ============================================================= replies */

/* The primary's reply to m: rcode, and a TSIG made with `signer`
 * (NULL: unsigned), its error field set to tsig_error. */
static uint8_t *
make_reply(const dns_update_msg *m, int rcode, const dns_tsig_key *signer,
    int tsig_error, size_t *len)
{
	size_t qlen;
	const uint8_t *q = dns_update_msg_wire(m, &qlen);
	ldns_pkt *req = NULL, *r = ldns_pkt_new();
	uint8_t *wire = NULL;

	cr_assert_eq(ldns_wire2pkt(&req, q, qlen), LDNS_STATUS_OK);
	ldns_pkt_set_id(r, ldns_pkt_id(req));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_opcode(r, LDNS_PACKET_UPDATE);
	ldns_pkt_set_rcode(r, (uint8_t)rcode);
	if (signer != NULL) {
		cr_assert_eq(
		    ldns_pkt_tsig_sign(r, signer->name, signer->secret, 300,
		        signer->algorithm, ldns_rr_rdf(ldns_pkt_tsig(req), 3)),
		    LDNS_STATUS_OK);
		if (tsig_error != 0)
			ldns_rdf_deep_free(ldns_rr_set_rdf(ldns_pkt_tsig(r),
			    ldns_native2rdf_int16(
			        LDNS_RDF_TYPE_INT16, (uint16_t)tsig_error),
			    5));
	}
	cr_assert_eq(ldns_pkt2wire(&wire, r, len), LDNS_STATUS_OK);
	ldns_pkt_free(req);
	ldns_pkt_free(r);
	return wire;
}

static dns_update_msg *
signed_add(const dns_tsig_key *k)
{
	static dns_update_change ch[] = { { DNS_UPDATE_ADD,
	    OWNER " 60 IN TLSA " NEW } };

	return build(ch, 1, NULL, k);
}

Test(dns_update, signed_noerror_reply_is_accepted)
{
	dns_tsig_key k = test_key();
	dns_update_msg *m = signed_add(&k);
	dns_update_result res;
	size_t len;
	uint8_t *w = make_reply(m, 0, &k, 0, &len);

	cr_assert_eq(
	    dns_update_check_reply(m, &k, w, len, &res), 0, "%s", res.reason);
	cr_assert(res.tsig_valid);
	cr_assert_eq(res.rcode, 0);
	free(w);
	dns_update_msg_free(m);
}

Test(dns_update, reply_signed_with_another_key_is_refused)
{
	dns_tsig_key k = test_key(), other = k;
	dns_update_msg *m = signed_add(&k);
	dns_update_result res;
	size_t len;
	uint8_t *w;

	memcpy(other.secret, "AAAA", 4);
	w = make_reply(m, 0, &other, 0, &len);
	cr_assert_eq(dns_update_check_reply(m, &k, w, len, &res), -1);
	cr_assert_not(res.tsig_valid);
	cr_assert_not_null(
	    strstr(res.reason, "does not verify"), "%s", res.reason);
	free(w);
	dns_update_msg_free(m);
}

Test(dns_update, unsigned_reply_to_signed_update_is_refused)
{
	dns_tsig_key k = test_key();
	dns_update_msg *m = signed_add(&k);
	dns_update_result res;
	size_t len;
	uint8_t *w = make_reply(m, 0, NULL, 0, &len);

	cr_assert_eq(dns_update_check_reply(m, &k, w, len, &res), -1);
	cr_assert_str_eq(
	    res.reason, "the reply is not signed (no TSIG record)");
	free(w);
	dns_update_msg_free(m);
}

Test(dns_update, notauth_badsig_says_so_in_one_line)
{
	dns_tsig_key k = test_key();
	dns_update_msg *m = signed_add(&k);
	dns_update_result res;
	size_t len;
	uint8_t *w = make_reply(m, 9, &k, 16, &len);

	cr_assert_eq(dns_update_check_reply(m, &k, w, len, &res), -1);
	cr_assert_eq(res.rcode, 9);
	cr_assert_eq(res.tsig_error, 16);
	cr_assert_str_eq(res.reason, "NOTAUTH (TSIG BADSIG)");
	free(w);
	dns_update_msg_free(m);
}

Test(dns_update, refused_reply_names_its_rcode)
{
	dns_tsig_key k = test_key();
	dns_update_msg *m = signed_add(&k);
	dns_update_result res;
	size_t len;
	uint8_t *w = make_reply(m, 5, &k, 0, &len);

	cr_assert_eq(dns_update_check_reply(m, &k, w, len, &res), -1);
	cr_assert_str_eq(res.reason, "REFUSED");
	free(w);
	dns_update_msg_free(m);
}

Test(dns_update, reply_with_other_id_is_refused)
{
	dns_tsig_key k = test_key();
	dns_update_msg *m = signed_add(&k);
	dns_update_result res;
	size_t len;
	uint8_t *w = make_reply(m, 0, &k, 0, &len);

	w[1] ^= 1;
	cr_assert_eq(dns_update_check_reply(m, &k, w, len, &res), -1);
	cr_assert_not_null(
	    strstr(res.reason, "does not answer"), "%s", res.reason);
	free(w);
	dns_update_msg_free(m);
}
