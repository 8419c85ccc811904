/*
 * test_dns_reply.c -- which records of a reply are taken as the answer,
 * and with which status (dns_reply_decode()), on genuine and forged
 * replies made of the signed test zones (data/reply_forge.h).
 *
 * Each reply is marked with the DNSSEC status getdns gives it under full
 * validation; the forgeries are the ones getdns calls SECURE because every
 * RRset in them is validly signed by some zone under the anchor (getdns's
 * status is the worst over the RRsets it could place under an anchor).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "dns/dns_answer.h"
#include "dns/dns_reply.h"
#include "data/reply_forge.h"

TestSuite(dns_reply, .init = forge_setup, .fini = forge_teardown);

/* The trust anchors: the root (as in real life). */
static const char *const root_anchor[] = { "", NULL };
static const char *const *anchors = root_anchor;

/* dns_reply_decode() of `reply` (destroyed) as the answer to
 * (qname, qtype), with getdns's DNSSEC status `st`. */
static dns_answer *
decode(const char *qname, uint16_t qtype, getdns_dict *reply, uint32_t st)
{
	dns_answer *a = calloc(1, sizeof(*a));

	cr_assert_not_null(a);
	a->qname = strdup(qname);
	a->canonical_name = strdup(qname);
	a->qtype = qtype;
	cr_assert_eq(getdns_dict_set_int(reply, "dnssec_status", st), 0);
	dns_reply_decode(a, reply, "from 127.0.0.1", anchors);
	getdns_dict_destroy(reply);
	return a;
}

/* The reply to (qname, qtype) with rcode and these answer and authority
 * sections (given up), as getdns marked it (st), decoded. */
static dns_answer *
ask(const char *qname, uint16_t qtype, uint32_t rcode, getdns_list *an,
    getdns_list *au, uint32_t st)
{
	return decode(qname, qtype, forge_reply(qname, qtype, rcode, an, au),
	    st);
}

/* Appends the RR written in getdns's text form to the section l. */
static void
append_rr(getdns_list *l, const char *text)
{
	getdns_dict *rr = NULL;

	cr_assert_eq(getdns_str2dict(text, &rr), 0, "%s", text);
	forge_append(l, rr);
	getdns_dict_destroy(rr);
}

/* A secure answer of one address record, reached through a CNAME. */
static void
expect_one_address(dns_answer *a, const char *addr, const char *canonical)
{
	cr_expect_eq(a->status, DNS_STATUS_OK);
	cr_expect_eq(a->security, DNS_SECURITY_SECURE);
	cr_assert_eq(a->count, 1);
	cr_expect_str_eq(a->addrs[0].text, addr);
	cr_expect_str_eq(a->canonical_name, canonical);
	dns_answer_free(a);
}

Test(dns_reply, genuine_signed_tlsa_is_taken)
{
	getdns_list *an = forge_list();
	dns_answer *a;

	forge_put(an, forge_victim, TLSA_VICTIM, DNS_TYPE_TLSA, true);
	a = ask(TLSA_VICTIM, DNS_TYPE_TLSA, 0, an, NULL, GETDNS_DNSSEC_SECURE);
	cr_expect_eq(a->status, DNS_STATUS_OK);
	cr_expect_eq(a->security, DNS_SECURITY_SECURE);
	cr_assert_eq(a->count, 1);
	cr_expect_eq(a->tlsa[0].usage, 3);
	cr_expect_eq(a->tlsa[0].data[0], 0xaa);
	cr_expect_eq(a->ttl, 300);
	cr_expect_str_eq(a->canonical_name, TLSA_VICTIM);
	dns_answer_free(a);
}

/* Forgeries only the reply check is shown here to refuse (the shared
 * ones: forge_foreign). */
static const forge_spec reply_forgeries[] = {
	{ "the host's AAAA beside a foreign AAAA", "mx.victim.test",
	  DNS_TYPE_AAAA, 0, { FORGE_VICTIM("mx.victim.test", DNS_TYPE_AAAA),
	    FORGE_EVIL("mx.evil.test", DNS_TYPE_AAAA) }, { { NULL } } },
	/* The victim's TLSA, with evil.test's signed NSEC beside it: getdns
	 * folds that into the reply's one status. */
	{ "foreign proof in the authority section", TLSA_VICTIM, DNS_TYPE_TLSA,
	  0, { FORGE_VICTIM(TLSA_VICTIM, DNS_TYPE_TLSA) },
	  { FORGE_EVIL("evil.test", FORGE_NSEC) } },
};

static void
expect_refused(const forge_spec *f)
{
	dns_answer *a = decode(f->qname, (uint16_t)f->qtype,
	    forge_spec_reply(f), GETDNS_DNSSEC_SECURE);

	cr_expect_eq(a->status, DNS_STATUS_SERVFAIL, "%s: status %s", f->what,
	    dns_status_name(a->status));
	cr_expect_eq(a->security, DNS_SECURITY_BOGUS, "%s: security %s",
	    f->what, dns_security_name(a->security));
	cr_expect_eq(a->count, 0, "%s: a record of a forged reply was taken",
	    f->what);
	cr_expect(strstr(a->reason, "forged") != NULL, "%s: reason: %s",
	    f->what, a->reason);
	dns_answer_free(a);
}

/* getdns calls each of them SECURE: every RRset in it is validly signed
 * by some zone under the anchor. */
Test(dns_reply, forgeries_signed_by_other_zones_are_bogus, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(forge_foreign) / sizeof(forge_foreign[0]);
	    i++)
		expect_refused(&forge_foreign[i]);
	for (size_t i = 0;
	    i < sizeof(reply_forgeries) / sizeof(reply_forgeries[0]); i++)
		expect_refused(&reply_forgeries[i]);
}

Test(dns_reply, genuine_cname_chain_gives_the_target_records)
{
	getdns_list *an = forge_list();

	forge_put(an, forge_victim, "www.victim.test", DNS_TYPE_CNAME, true);
	forge_put(an, forge_victim, "mx.victim.test", DNS_TYPE_A, true);
	expect_one_address(ask("www.victim.test", DNS_TYPE_A, 0, an, NULL,
	    GETDNS_DNSSEC_SECURE), "192.0.2.25", "mx.victim.test");
}

Test(dns_reply, cname_into_another_zone_is_followed_there)
{
	getdns_list *an = forge_list();

	/* away.victim.test really is a CNAME to mx.evil.test: that is the
	 * victim's own choice, signed by it. */
	forge_put(an, forge_victim, "away.victim.test", DNS_TYPE_CNAME, true);
	forge_put(an, forge_evil, "mx.evil.test", DNS_TYPE_A, true);
	expect_one_address(ask("away.victim.test", DNS_TYPE_A, 0, an, NULL,
	    GETDNS_DNSSEC_SECURE), "192.0.2.66", "mx.evil.test");
}

Test(dns_reply, genuine_denials_are_secure)
{
	getdns_list *au = forge_list();
	dns_answer *a;

	forge_put(au, forge_victim, "victim.test", FORGE_SOA, true);
	forge_put(au, forge_victim, "ns.victim.test", FORGE_NSEC, true);
	forge_put(au, forge_victim, "victim.test", FORGE_NSEC, true);
	a = ask("nx.victim.test", DNS_TYPE_A, 3, NULL, au,
	    GETDNS_DNSSEC_SECURE);
	cr_expect_eq(a->status, DNS_STATUS_NXDOMAIN);
	cr_expect_eq(a->security, DNS_SECURITY_SECURE);
	dns_answer_free(a);
	au = forge_list();
	forge_put(au, forge_victim, "victim.test", FORGE_SOA, true);
	forge_put(au, forge_victim, "mx.victim.test", FORGE_NSEC, true);
	a = ask("mx.victim.test", DNS_TYPE_TLSA, 0, NULL, au,
	    GETDNS_DNSSEC_SECURE);
	cr_expect_eq(a->status, DNS_STATUS_NODATA);
	cr_expect_eq(a->security, DNS_SECURITY_SECURE);
	dns_answer_free(a);
}

Test(dns_reply, denial_without_a_signed_proof_is_not_secure)
{
	getdns_list *au = forge_list();
	dns_answer *a;

	/* The victim's SOA, unsigned, and no NSEC: getdns's SECURE cannot
	 * have come from a proof for this name. */
	forge_put(au, forge_victim, "victim.test", FORGE_SOA, false);
	a = ask(TLSA_VICTIM, DNS_TYPE_TLSA, 3, NULL, au, GETDNS_DNSSEC_SECURE);
	cr_expect_eq(a->status, DNS_STATUS_NXDOMAIN);
	cr_expect_eq(a->security, DNS_SECURITY_INDETERMINATE, "security %s",
	    dns_security_name(a->security));
	dns_answer_free(a);
}

Test(dns_reply, unsigned_records_are_not_secure_whatever_getdns_says)
{
	getdns_list *an = forge_list(), *au = forge_list();
	dns_answer *a;

	/* The RRset used carries no signature; a signed RRset in the
	 * authority section is all getdns could have validated. */
	forge_put(an, forge_victim, TLSA_VICTIM, DNS_TYPE_TLSA, false);
	forge_put(au, forge_victim, "victim.test", FORGE_NS, true);
	a = ask(TLSA_VICTIM, DNS_TYPE_TLSA, 0, an, au, GETDNS_DNSSEC_SECURE);
	cr_expect_eq(a->status, DNS_STATUS_OK);
	cr_expect_eq(a->security, DNS_SECURITY_INDETERMINATE, "security %s",
	    dns_security_name(a->security));
	dns_answer_free(a);
}

Test(dns_reply, names_outside_every_trust_anchor_are_never_secure)
{
	static const char *const lab_anchor[] = { "lab", "evil.test", NULL };
	getdns_list *an = forge_list();
	dns_answer *a;

	/* Anchors for lab and evil.test only: getdns left the victim.test
	 * CNAME out of its status (INDETERMINATE) and called the reply
	 * SECURE for mx.evil.test's A RRset alone. */
	anchors = lab_anchor;
	forge_put(an, forge_victim, "away.victim.test", DNS_TYPE_CNAME, true);
	forge_put(an, forge_evil, "mx.evil.test", DNS_TYPE_A, true);
	a = ask("away.victim.test", DNS_TYPE_A, 0, an, NULL,
	    GETDNS_DNSSEC_SECURE);
	cr_expect_eq(a->status, DNS_STATUS_OK);
	cr_expect_eq(a->security, DNS_SECURITY_INDETERMINATE, "security %s",
	    dns_security_name(a->security));
	dns_answer_free(a);
}

Test(dns_reply, reply_to_another_question_is_a_failed_lookup)
{
	dns_answer *a;
	getdns_dict *reply;

	/* A leftover reply: ns-dead.victim.test AAAA, NODATA, insecure. */
	a = decode(TLSA_VICTIM, DNS_TYPE_TLSA, forge_reply(
	    "ns-dead.victim.test", DNS_TYPE_AAAA, 0, NULL, NULL),
	    GETDNS_DNSSEC_INSECURE);
	cr_expect_eq(a->status, DNS_STATUS_SERVFAIL, "never NODATA");
	cr_expect(strstr(a->reason, "ns-dead.victim.test") != NULL,
	    "reason: %s", a->reason);
	dns_answer_free(a);
	/* Same name, other type. */
	a = decode(TLSA_VICTIM, DNS_TYPE_TLSA, forge_reply(TLSA_VICTIM,
	    DNS_TYPE_A, 0, NULL, NULL), GETDNS_DNSSEC_INSECURE);
	cr_expect_eq(a->status, DNS_STATUS_SERVFAIL);
	dns_answer_free(a);
	/* Same name and type, other class. */
	reply = forge_reply(TLSA_VICTIM, DNS_TYPE_TLSA, 0, NULL, NULL);
	cr_assert_eq(getdns_dict_set_int(reply, "/question/qclass", 3), 0);
	a = decode(TLSA_VICTIM, DNS_TYPE_TLSA, reply, GETDNS_DNSSEC_INSECURE);
	cr_expect_eq(a->status, DNS_STATUS_SERVFAIL, "class CH is not IN");
	dns_answer_free(a);
	/* A query (QR clear) handed back as if it were the reply. */
	reply = forge_reply(TLSA_VICTIM, DNS_TYPE_TLSA, 0, NULL, NULL);
	cr_assert_eq(getdns_dict_set_int(reply, "/header/qr", 0), 0);
	a = decode(TLSA_VICTIM, DNS_TYPE_TLSA, reply, GETDNS_DNSSEC_INSECURE);
	cr_expect_eq(a->status, DNS_STATUS_SERVFAIL);
	dns_answer_free(a);
}

Test(dns_reply, question_name_matches_whatever_its_case)
{
	getdns_list *an = forge_list();
	dns_answer *a;

	forge_put(an, forge_victim, TLSA_VICTIM, DNS_TYPE_TLSA, true);
	a = decode(TLSA_VICTIM, DNS_TYPE_TLSA, forge_reply(
	    "_25._TCP.Mx.VICTIM.test", DNS_TYPE_TLSA, 0, an, NULL),
	    GETDNS_DNSSEC_SECURE);
	cr_expect_eq(a->status, DNS_STATUS_OK);
	cr_expect_eq(a->count, 1);
	dns_answer_free(a);
}

Test(dns_reply, cname_loop_is_a_failed_lookup)
{
	getdns_list *an = forge_list();
	dns_answer *a;

	forge_put(an, forge_victim, "www.victim.test", DNS_TYPE_CNAME, false);
	append_rr(an, "{ name: <bindata for mx.victim.test.>, "
	    "type: GETDNS_RRTYPE_CNAME, class: GETDNS_RRCLASS_IN, ttl: 60, "
	    "rdata: { cname: <bindata for www.victim.test.> } }");
	a = ask("www.victim.test", DNS_TYPE_A, 0, an, NULL,
	    GETDNS_DNSSEC_INSECURE);
	cr_expect_eq(a->status, DNS_STATUS_SERVFAIL);
	cr_expect(strstr(a->reason, "loop") != NULL, "reason: %s", a->reason);
	dns_answer_free(a);
}

Test(dns_reply, dname_above_the_chain_is_part_of_the_answer)
{
	getdns_list *an = forge_list();
	dns_answer *a;

	/* RFC 6672: a DNAME at old.test and the CNAME it synthesised. */
	append_rr(an, "{ name: <bindata for old.test.>, "
	    "type: GETDNS_RRTYPE_DNAME, class: GETDNS_RRCLASS_IN, ttl: 60, "
	    "rdata: { target: <bindata for victim.test.> } }");
	append_rr(an, "{ name: <bindata for mx.old.test.>, "
	    "type: GETDNS_RRTYPE_CNAME, class: GETDNS_RRCLASS_IN, ttl: 60, "
	    "rdata: { cname: <bindata for mx.victim.test.> } }");
	forge_put(an, forge_victim, "mx.victim.test", DNS_TYPE_A, true);
	a = ask("mx.old.test", DNS_TYPE_A, 0, an, NULL, GETDNS_DNSSEC_INSECURE);
	cr_expect_eq(a->status, DNS_STATUS_OK);
	cr_expect_eq(a->security, DNS_SECURITY_INSECURE);
	cr_expect_eq(a->count, 1);
	cr_expect_str_eq(a->canonical_name, "mx.victim.test");
	dns_answer_free(a);
}
