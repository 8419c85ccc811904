/*
 * test_dns_keycache.c -- the zone key cache: states and expiry, and what
 * dns_keycache_check() makes of real lab replies (recorded as wire
 * messages in data/keycache_replies.h, checked at the time they were
 * recorded, so the signatures stay valid whenever the test runs).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <getdns/getdns_extra.h>

#include "dns/dns_answer.h"
#include "dns/dns_keycache.h"
#include "data/keycache_replies.h"
#include "data/reply_forge.h"

static dns_keycache *cache;

static void
setup(void)
{
	cache = dns_keycache_new();
	cr_assert_not_null(cache);
}

static void
teardown(void)
{
	dns_keycache_free(cache);
}

TestSuite(dns_keycache, .init = setup, .fini = teardown);

static getdns_dict *
reply_from(const uint8_t *wire, size_t len)
{
	getdns_dict *reply = NULL;

	cr_assert_eq(getdns_wire2msg_dict(wire, len, &reply), GETDNS_RETURN_GOOD);
	return reply;
}

#define REPLY(name) reply_from(name, sizeof(name))

/* The DNSKEY RRs of the recorded, getdns-validated dane.lab answer. */
static getdns_list *
dane_lab_keys(void)
{
	getdns_dict *reply = REPLY(dnskey_dane_lab), *rr;
	getdns_list *answer, *keys = getdns_list_create();
	uint32_t type;
	size_t i, n = 0;

	cr_assert_eq(getdns_dict_get_list(reply, "answer", &answer), 0);
	for (i = 0; getdns_list_get_dict(answer, i, &rr) == 0; i++)
		if (getdns_dict_get_int(rr, "type", &type) == 0 && type == 48)
			cr_assert_eq(getdns_list_set_dict(keys, n++, rr), 0);
	cr_assert_gt(n, 0);
	getdns_dict_destroy(reply);
	return keys;
}

static void
cache_dane_lab(time_t now)
{
	cr_assert_eq(dns_keycache_set_valid(cache, "dane.lab", dane_lab_keys(),
	    3600, now), 0);
}

static dns_keycheck
check(const uint8_t *wire, size_t len, time_t now, bool may_wait,
    char **first_missing, size_t *n_missing)
{
	getdns_dict *reply = reply_from(wire, len);
	char *missing[DNS_KEYCHECK_MAX_SIGNERS];
	size_t n = 0, i;
	dns_keycheck v;

	v = dns_keycache_check(cache, reply, now, may_wait, missing, &n);
	getdns_dict_destroy(reply);
	if (first_missing != NULL)
		*first_missing = n > 0 ? strdup(missing[0]) : NULL;
	if (n_missing != NULL)
		*n_missing = n;
	for (i = 0; i < n; i++)
		free(missing[i]);
	return v;
}

#define CHECK(name, now, may_wait) \
	check(name, sizeof(name), now, may_wait, NULL, NULL)

Test(dns_keycache, states_and_expiry)
{
	const getdns_list *keys = NULL;
	time_t t0 = 1000000;

	cr_assert_eq(dns_keycache_get(cache, "dane.lab", t0, &keys),
	    DNS_KEY_MISSING);
	cr_assert_eq(dns_keycache_set_pending(cache, "dane.lab"), 0);
	cr_assert_eq(dns_keycache_get(cache, "dane.lab", t0 + 999999, NULL),
	    DNS_KEY_PENDING, "a pending fetch never expires by itself");
	cr_assert_eq(dns_keycache_set_valid(cache, "dane.lab", dane_lab_keys(),
	    300, t0), 0);
	cr_assert_eq(dns_keycache_get(cache, "dane.lab", t0 + 299, &keys),
	    DNS_KEY_VALID);
	cr_assert_not_null(keys);
	cr_assert_eq(dns_keycache_get(cache, "dane.lab", t0 + 300, &keys),
	    DNS_KEY_MISSING, "keys are trusted for their TTL only");
	cr_assert_eq(dns_keycache_set_valid(cache, "dane.lab", dane_lab_keys(),
	    86400 * 7, t0), 0);
	cr_assert_eq(dns_keycache_get(cache, "dane.lab",
	    t0 + DNS_KEYCACHE_MAX_TTL, NULL), DNS_KEY_MISSING,
	    "a long TTL is capped");
	cr_assert_eq(dns_keycache_set_failed(cache, "dane.lab", t0), 0);
	cr_assert_eq(dns_keycache_get(cache, "dane.lab", t0 + 1, &keys),
	    DNS_KEY_FAILED);
	cr_assert_eq(dns_keycache_get(cache, "dane.lab",
	    t0 + DNS_KEYCACHE_FAILED_TTL, NULL), DNS_KEY_MISSING);
	cr_assert_eq(dns_keycache_get(cache, "lab", t0, NULL), DNS_KEY_MISSING,
	    "zones are kept apart");
}

Test(dns_keycache, unknown_signer_waits_and_names_the_zone)
{
	char *zone = NULL;
	size_t n = 0;

	cr_assert_eq(check(mx_wildcard, sizeof(mx_wildcard), recorded_at, true,
	    &zone, &n), DNS_KEYCHECK_WAIT);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(zone, "dane.lab");
	free(zone);
	cr_assert_eq(CHECK(mx_wildcard, recorded_at, false), DNS_KEYCHECK_FULL,
	    "without waiting, a missing zone goes to full validation");
	dns_keycache_set_pending(cache, "dane.lab");
	cr_assert_eq(check(mx_wildcard, sizeof(mx_wildcard), recorded_at,
	    false, NULL, &n), DNS_KEYCHECK_WAIT);
	cr_assert_eq(n, 0, "a pending zone is not fetched twice");
}

Test(dns_keycache, signed_answers_are_secure_against_cached_keys)
{
	cache_dane_lab(recorded_at);
	cr_assert_eq(CHECK(mx_wildcard, recorded_at, true), DNS_KEYCHECK_SECURE,
	    "wildcard MX with its NSEC proof");
	cr_assert_eq(CHECK(tlsa_plain, recorded_at, true), DNS_KEYCHECK_SECURE);
	cr_assert_eq(CHECK(aaaa_nodata, recorded_at, true), DNS_KEYCHECK_SECURE,
	    "NODATA with its denial proof");
	cr_assert_eq(CHECK(a_nxdomain, recorded_at, true), DNS_KEYCHECK_SECURE,
	    "NXDOMAIN with its denial proof");
}

Test(dns_keycache, tampered_rrset_goes_to_full_validation)
{
	cache_dane_lab(recorded_at);
	cr_assert_eq(CHECK(tlsa_tampered, recorded_at, true), DNS_KEYCHECK_FULL);
}

Test(dns_keycache, unsigned_answer_goes_to_full_validation)
{
	cache_dane_lab(recorded_at);
	cr_assert_eq(CHECK(a_unsigned, recorded_at, true), DNS_KEYCHECK_FULL);
}

Test(dns_keycache, failed_zone_goes_to_full_validation)
{
	dns_keycache_set_failed(cache, "dane.lab", recorded_at);
	cr_assert_eq(CHECK(mx_wildcard, recorded_at, true), DNS_KEYCHECK_FULL);
}

Test(dns_keycache, expired_signatures_are_not_secure)
{
	time_t later = recorded_at + 10L * 365 * 86400;

	cache_dane_lab(later);
	cr_assert_eq(CHECK(tlsa_plain, later, true), DNS_KEYCHECK_FULL);
}

Test(dns_keycache, servfail_goes_to_full_validation)
{
	getdns_dict *reply = REPLY(tlsa_plain);
	char *missing[DNS_KEYCHECK_MAX_SIGNERS];
	size_t n = 0;

	cache_dane_lab(recorded_at);
	cr_assert_eq(getdns_dict_set_int(reply, "/header/rcode", 2), 0);
	cr_assert_eq(dns_keycache_check(cache, reply, recorded_at, true,
	    missing, &n), DNS_KEYCHECK_FULL);
	getdns_dict_destroy(reply);
}

Test(dns_keycache, answer_rrset_without_signature_goes_to_full)
{
	getdns_dict *reply = REPLY(tlsa_plain), *rr;
	getdns_list *answer;
	char *missing[DNS_KEYCHECK_MAX_SIGNERS];
	size_t n = 0, len = 0;

	cache_dane_lab(recorded_at);
	/* Add an unsigned A record to an otherwise signed answer. */
	cr_assert_eq(getdns_dict_get_list(reply, "answer", &answer), 0);
	cr_assert_eq(getdns_str2dict("{ name: <bindata for mx-ee.dane.lab.>, "
	    "type: GETDNS_RRTYPE_A, class: GETDNS_RRCLASS_IN, ttl: 60, "
	    "rdata: { ipv4_address: <bindata for 127.0.0.9> } }", &rr), 0);
	getdns_list_get_length(answer, &len);
	cr_assert_eq(getdns_list_set_dict(answer, len, rr), 0);
	getdns_dict_destroy(rr);
	cr_assert_eq(dns_keycache_check(cache, reply, recorded_at, true,
	    missing, &n), DNS_KEYCHECK_FULL);
	getdns_dict_destroy(reply);
}

/* ------------------------------------------------------------------ */
/* Forgeries made of the signed test zones (data/reply_forge.h): both    */
/* zones' keys are cached, as they would be once validated from the     */
/* anchor -- an attacker's zone chains to it like any other.            */




/* The DNSKEY RRs of a zone of the test zones. */
static getdns_list *
forge_keys(const getdns_list *zone, const char *name)
{
	getdns_list *keys = forge_list();

	forge_put_typed(keys, zone, name, FORGE_DNSKEY, 0);
	return keys;
}

static void
forge_cache_setup(void)
{
	setup();
	forge_setup();
	cr_assert_eq(dns_keycache_set_valid(cache, "victim.test",
	    forge_keys(forge_victim, "victim.test"), 300, forge_now), 0);
	cr_assert_eq(dns_keycache_set_valid(cache, "evil.test",
	    forge_keys(forge_evil, "evil.test"), 300, forge_now), 0);
}

static void
forge_cache_teardown(void)
{
	forge_teardown();
	teardown();
}

TestSuite(keycache_forgery, .init = forge_cache_setup,
    .fini = forge_cache_teardown);

static dns_keycheck
check_forged(getdns_dict *reply)
{
	char *missing[DNS_KEYCHECK_MAX_SIGNERS];
	size_t n = 0, i;
	dns_keycheck v;

	v = dns_keycache_check(cache, reply, forge_now, true, missing, &n);
	for (i = 0; i < n; i++)
		free(missing[i]);
	getdns_dict_destroy(reply);
	return v;
}

Test(keycache_forgery, genuine_replies_are_secure_against_cached_keys)
{
	getdns_list *an = forge_list(), *au = forge_list();

	forge_put(an, forge_victim, TLSA_VICTIM, DNS_TYPE_TLSA, true);
	cr_expect_eq(check_forged(forge_reply(TLSA_VICTIM, DNS_TYPE_TLSA, 0,
	    an, NULL)), DNS_KEYCHECK_SECURE);
	forge_put(au, forge_victim, "victim.test", FORGE_SOA, true);
	forge_put(au, forge_victim, "ns.victim.test", FORGE_NSEC, true);
	forge_put(au, forge_victim, "victim.test", FORGE_NSEC, true);
	cr_expect_eq(check_forged(forge_reply("nx.victim.test", DNS_TYPE_A, 3,
	    NULL, au)), DNS_KEYCHECK_SECURE, "NXDOMAIN with its proof");
	au = forge_list();
	forge_put(au, forge_victim, "victim.test", FORGE_SOA, true);
	forge_put(au, forge_victim, "mx.victim.test", FORGE_NSEC, true);
	cr_expect_eq(check_forged(forge_reply("mx.victim.test", DNS_TYPE_TLSA,
	    0, NULL, au)), DNS_KEYCHECK_SECURE, "NODATA with its proof");
	an = forge_list();
	forge_put(an, forge_victim, "away.victim.test", DNS_TYPE_CNAME, true);
	forge_put(an, forge_evil, "mx.evil.test", DNS_TYPE_A, true);
	cr_expect_eq(check_forged(forge_reply("away.victim.test", DNS_TYPE_A,
	    0, an, NULL)), DNS_KEYCHECK_SECURE, "CNAME into another zone");
}

/* Forgeries only the key cache is shown here to refuse (the shared ones:
 * forge_foreign). */
static const forge_spec keycache_forgeries[] = {
	/* The victim's real SOA, but the "proof" is evil.test's NSEC. */
	{ "own SOA with a foreign NSEC", TLSA_VICTIM, DNS_TYPE_TLSA, 3,
	  { { NULL } }, { FORGE_VICTIM("victim.test", FORGE_SOA),
	    FORGE_EVIL("evil.test", FORGE_NSEC) } },
	{ "foreign AAAA", "mx.victim.test", DNS_TYPE_AAAA, 0,
	  { FORGE_EVIL("mx.evil.test", DNS_TYPE_AAAA) }, { { NULL } } },
	/* "Every type carries a valid signature": the A type does -- over
	 * mx.evil.test; the A RRset at the name asked is unsigned. */
	{ "unsigned RRset beside a signed one of its type", "mx.victim.test",
	  DNS_TYPE_A, 0, { { "mx.victim.test", DNS_TYPE_A, false, false },
	    FORGE_EVIL("mx.evil.test", DNS_TYPE_A) }, { { NULL } } },
};

Test(keycache_forgery, forgeries_go_to_full_validation, .timeout = 10)
{
	for (size_t i = 0; i < sizeof(forge_foreign) / sizeof(forge_foreign[0]);
	    i++)
		cr_expect_eq(check_forged(forge_spec_reply(&forge_foreign[i])),
		    DNS_KEYCHECK_FULL, "%s", forge_foreign[i].what);
	for (size_t i = 0;
	    i < sizeof(keycache_forgeries) / sizeof(keycache_forgeries[0]); i++)
		cr_expect_eq(check_forged(forge_spec_reply(
		    &keycache_forgeries[i])), DNS_KEYCHECK_FULL, "%s",
		    keycache_forgeries[i].what);
}

/* A DNSKEY reply for victim.test as getdns gives it after full
 * validation. */
static getdns_dict *
dnskey_reply(const char *qname, const getdns_list *zone, const char *owner)
{
	getdns_list *an = forge_list();
	getdns_dict *reply;

	forge_put(an, zone, owner, FORGE_DNSKEY, true);
	reply = forge_reply(qname, FORGE_DNSKEY, 0, an, NULL);
	cr_assert_eq(getdns_dict_set_int(reply, "dnssec_status",
	    GETDNS_DNSSEC_SECURE), 0);
	return reply;
}

Test(keycache_forgery, keys_expire_with_their_signature_not_only_their_ttl)
{
	getdns_dict *reply = dnskey_reply("victim.test", forge_victim,
	    "victim.test");
	time_t now = zones_expiration - 100; /* TTL 300 reaches beyond */

	dns_keycache_free(cache);
	cache = dns_keycache_new();
	cr_assert_eq(dns_keycache_take_keys(cache, "victim.test", reply, now),
	    0);
	cr_expect_eq(dns_keycache_get(cache, "victim.test", now + 99, NULL),
	    DNS_KEY_VALID);
	cr_expect_eq(dns_keycache_get(cache, "victim.test", zones_expiration,
	    NULL), DNS_KEY_MISSING, "RFC 4035 5.3.3: not past the RRSIG");
	cr_expect_eq(dns_keycache_take_keys(cache, "victim.test", reply,
	    zones_expiration + 10), -1, "expired signature: not taken");
	cr_expect_eq(dns_keycache_get(cache, "victim.test",
	    zones_expiration + 10, NULL), DNS_KEY_FAILED);
	getdns_dict_destroy(reply);
}

Test(keycache_forgery, keys_signed_in_the_future_are_refused)
{
	getdns_dict *reply = dnskey_reply("victim.test", forge_victim,
	    "victim.test");

	dns_keycache_free(cache);
	cache = dns_keycache_new();
	cr_expect_eq(dns_keycache_take_keys(cache, "victim.test", reply,
	    zones_inception - 1000), -1);
	cr_expect_neq(dns_keycache_get(cache, "victim.test",
	    zones_inception - 999, NULL), DNS_KEY_VALID);
	cr_expect_eq(dns_keycache_take_keys(cache, "victim.test", reply,
	    forge_now), 0, "inside the window they are taken");
	cr_expect_eq(dns_keycache_get(cache, "victim.test", forge_now + 299,
	    NULL), DNS_KEY_VALID);
	cr_expect_eq(dns_keycache_get(cache, "victim.test", forge_now + 300,
	    NULL), DNS_KEY_MISSING, "and for their TTL");
	getdns_dict_destroy(reply);
}

Test(keycache_forgery, another_zones_keys_are_never_taken)
{
	getdns_dict *reply;

	dns_keycache_free(cache);
	cache = dns_keycache_new();
	/* Asked for victim.test's keys, given evil.test's (signed, SECURE). */
	reply = dnskey_reply("victim.test", forge_evil, "evil.test");
	cr_expect_eq(dns_keycache_take_keys(cache, "victim.test", reply,
	    forge_now), -1);
	cr_expect_neq(dns_keycache_get(cache, "victim.test", forge_now, NULL),
	    DNS_KEY_VALID);
	getdns_dict_destroy(reply);
	/* A reply to another question altogether. */
	reply = dnskey_reply("evil.test", forge_evil, "evil.test");
	cr_expect_eq(dns_keycache_take_keys(cache, "victim.test", reply,
	    forge_now), -1);
	cr_expect_neq(dns_keycache_get(cache, "victim.test", forge_now, NULL),
	    DNS_KEY_VALID);
	getdns_dict_destroy(reply);
}
