/*
 * reply_forge.h -- DNS replies, genuine and forged, made of the records of
 * the signed test zones (signed_zones.h, made by zones/gen.sh): victim.test
 * (the names asked) and evil.test (an attacker's own zone, whose keys chain
 * to the anchor too).  Each reply is put together as a getdns dict, turned
 * into a wire message and read back, so the code under test sees exactly
 * what getdns makes of such bytes off the wire.  The signatures are valid
 * from zones_inception to zones_expiration; tests use forge_now.
 *
 * For test files only: static functions, Criterion asserts.
 */
#ifndef DANEPROBE_TEST_REPLY_FORGE_H
#define DANEPROBE_TEST_REPLY_FORGE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>

#include "dns/dns_answer.h"
#include "dns/dns_name.h"
#include "signed_zones.h"

#define FORGE_RRSIG 46
#define FORGE_NS 2
#define FORGE_SOA 6
#define FORGE_NSEC 47
#define FORGE_DNSKEY 48

#define TLSA_VICTIM "_25._tcp.mx.victim.test"
#define TLSA_EVIL "_25._tcp.mx.evil.test"

/* 2026-12-01, inside the signatures' window. */
static const time_t forge_now = 1796083200;

static getdns_list *forge_victim, *forge_evil; /* all RRs of each zone */

static getdns_list *
forge_parse_zone(const char *text)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	getdns_list *rrs = NULL;

	cr_assert_not_null(f);
	cr_assert_eq(getdns_fp2rr_list(f, &rrs, NULL, 300), GETDNS_RETURN_GOOD);
	fclose(f);
	return rrs;
}

static void
forge_setup(void)
{
	forge_victim = forge_parse_zone(victim_test_signed);
	forge_evil = forge_parse_zone(evil_test_signed);
}

static void
forge_teardown(void)
{
	getdns_list_destroy(forge_victim);
	getdns_list_destroy(forge_evil);
}

static void
forge_append(getdns_list *l, const getdns_dict *rr)
{
	size_t n = 0;

	cr_assert_eq(getdns_list_get_length(l, &n), GETDNS_RETURN_GOOD);
	cr_assert_eq(getdns_list_set_dict(l, n, rr), GETDNS_RETURN_GOOD);
}

static bool
forge_owner_is(const getdns_dict *rr, const char *owner)
{
	getdns_bindata *b;
	char *name;
	bool same;

	cr_assert_eq(getdns_dict_get_bindata(rr, "name", &b), 0);
	name = dns_name_from_wire(b);
	cr_assert_not_null(name);
	same = strcmp(name, owner) == 0;
	free(name);
	return same;
}

/* Appends to `section` the RRs of `zone` at `owner` of `type` (for RRSIG:
 * the RRSIGs covering `covered`); at least one must exist. */
static void
forge_put_typed(getdns_list *section, const getdns_list *zone,
    const char *owner, uint32_t type, uint32_t covered)
{
	getdns_dict *rr;
	uint32_t t, c;
	size_t i, n = 0;

	for (i = 0; getdns_list_get_dict(zone, i, &rr) == GETDNS_RETURN_GOOD;
	    i++) {
		if (getdns_dict_get_int(rr, "type", &t) || t != type ||
		    !forge_owner_is(rr, owner))
			continue;
		if (type == FORGE_RRSIG &&
		    (getdns_dict_get_int(rr, "/rdata/type_covered", &c) ||
		    c != covered))
			continue;
		forge_append(section, rr);
		n++;
	}
	cr_assert_gt(n, 0, "no %u/%u at %s in the test zone", type, covered,
	    owner);
}

/* The RRset (owner, type) of `zone`, with its RRSIG unless `sig` false. */
static void
forge_put(getdns_list *section, const getdns_list *zone, const char *owner,
    uint32_t type, bool sig)
{
	forge_put_typed(section, zone, owner, type, 0);
	if (sig)
		forge_put_typed(section, zone, owner, FORGE_RRSIG, type);
}

/* A reply to (qname, qtype, IN) with these sections (taken over and
 * destroyed), as getdns reads it from the wire. */
static getdns_dict *
forge_reply(const char *qname, uint32_t qtype, uint32_t rcode,
    getdns_list *answer, getdns_list *authority)
{
	getdns_dict *msg = NULL, *back = NULL, *q = NULL;
	getdns_bindata *wname = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	cr_assert_eq(getdns_str2dict("{ header: { id: 4711, qr: 1, rd: 1, "
	    "ra: 1, opcode: GETDNS_OPCODE_QUERY }, "
	    "question: { qclass: GETDNS_RRCLASS_IN } }", &msg), 0);
	cr_assert_eq(getdns_convert_fqdn_to_dns_name(qname, &wname), 0);
	cr_assert_eq(getdns_dict_get_dict(msg, "question", &q), 0);
	cr_assert_eq(getdns_dict_set_bindata(q, "qname", wname), 0);
	cr_assert_eq(getdns_dict_set_int(q, "qtype", qtype), 0);
	cr_assert_eq(getdns_dict_set_int(msg, "/header/rcode", rcode), 0);
	if (answer != NULL)
		cr_assert_eq(getdns_dict_set_list(msg, "answer", answer), 0);
	if (authority != NULL)
		cr_assert_eq(getdns_dict_set_list(msg, "authority", authority),
		    0);
	cr_assert_eq(getdns_msg_dict2wire(msg, &wire, &len), 0);
	cr_assert_eq(getdns_wire2msg_dict(wire, len, &back), 0);
	free(wire);
	free(wname->data);
	free(wname);
	getdns_dict_destroy(msg);
	getdns_list_destroy(answer);
	getdns_list_destroy(authority);
	return back;
}

static getdns_list *
forge_list(void)
{
	getdns_list *l = getdns_list_create();

	cr_assert_not_null(l);
	return l;
}

/* One RRset of a described reply. */
typedef struct forge_rrset {
	const char *owner;    /* NULL ends a section */
	uint32_t type;
	bool evil;            /* from evil.test, else from victim.test */
	bool sig;             /* with its RRSIG */
} forge_rrset;

/* A reply to (qname, qtype) made of RRsets of the two zones. */
typedef struct forge_spec {
	const char *what;
	const char *qname;
	uint32_t qtype, rcode;
	forge_rrset answer[3], authority[3];
} forge_spec;

static getdns_list *
forge_section(const forge_rrset *rrs)
{
	getdns_list *l;

	if (rrs[0].owner == NULL)
		return NULL;
	l = forge_list();
	for (; rrs->owner != NULL; rrs++)
		forge_put(l, rrs->evil ? forge_evil : forge_victim, rrs->owner,
		    rrs->type, rrs->sig);
	return l;
}

static getdns_dict *
forge_spec_reply(const forge_spec *s)
{
	return forge_reply(s->qname, s->qtype, s->rcode,
	    forge_section(s->answer), forge_section(s->authority));
}

#define FORGE_EVIL(owner, type) { owner, type, true, true }
#define FORGE_VICTIM(owner, type) { owner, type, false, true }

/* Forged replies that neither the reply check (dns_reply_decode()) nor
 * the key cache may take as the answer: every RRset in them is validly
 * signed, only not by the zone of the name asked. */
static const forge_spec forge_foreign[] = {
	{ "foreign TLSA in place of the answer", TLSA_VICTIM, DNS_TYPE_TLSA, 0,
	  { FORGE_EVIL(TLSA_EVIL, DNS_TYPE_TLSA) }, { { NULL } } },
	{ "foreign TLSA appended to the answer", TLSA_VICTIM, DNS_TYPE_TLSA, 0,
	  { FORGE_VICTIM(TLSA_VICTIM, DNS_TYPE_TLSA),
	    FORGE_EVIL(TLSA_EVIL, DNS_TYPE_TLSA) }, { { NULL } } },
	{ "foreign MX for an unsigned domain", "plain.test", DNS_TYPE_MX, 0,
	  { FORGE_EVIL("evil.test", DNS_TYPE_MX) }, { { NULL } } },
	{ "foreign A", "mx.victim.test", DNS_TYPE_A, 0,
	  { FORGE_EVIL("mx.evil.test", DNS_TYPE_A) }, { { NULL } } },
	{ "CNAME chain that does not start at the name asked",
	  "www.victim.test", DNS_TYPE_A, 0,
	  { FORGE_EVIL("hop.evil.test", DNS_TYPE_CNAME),
	    FORGE_EVIL("mx.evil.test", DNS_TYPE_A) },
	  { { NULL } } },
	/* www points at mx.victim.test; the A RRset is mx.evil.test's. */
	{ "the victim's own CNAME, then another name's data",
	  "www.victim.test", DNS_TYPE_A, 0,
	  { FORGE_VICTIM("www.victim.test", DNS_TYPE_CNAME),
	    FORGE_EVIL("mx.evil.test", DNS_TYPE_A) }, { { NULL } } },
	/* Whatever status getdns gave it, nothing in it speaks for
	 * victim.test -- never "no TLSA records, DANE not applicable". */
	{ "NXDOMAIN proven by another zone", TLSA_VICTIM, DNS_TYPE_TLSA, 3,
	  { { NULL } },
	  { FORGE_EVIL("evil.test", FORGE_SOA),
	    FORGE_EVIL("evil.test", FORGE_NSEC) } },
	{ "NODATA proven by another zone", TLSA_VICTIM, DNS_TYPE_TLSA, 0,
	  { { NULL } },
	  { FORGE_EVIL("evil.test", FORGE_SOA),
	    FORGE_EVIL("mx.evil.test", FORGE_NSEC) } },
};

#endif
