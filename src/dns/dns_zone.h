/*
 * dns_zone.h -- a zone as a rollover sees it: its keys, primary and
 * authoritative servers learnt through the validating resolver, and what
 * each authoritative server serves when asked directly.
 *
 * Why ask each server: a validating resolver answers from one server (or
 * its cache); a TLSA RRset is safe to rely on only once every server of
 * the zone serves it, since any of them may answer the next resolver
 * whose cache has run out.  Why check the signature here: a server that
 * serves the new record but not yet a valid signature over it makes
 * every validating resolver that asks it fail.  The signature is checked
 * against the zone's DNSKEY RRset as the validating resolver delivered
 * it (SECURE from the trust anchor), never against keys from the server
 * under test.
 *
 * Ownership: dns_zone_lookup() fills a dns_zone_info that
 * dns_zone_info_clear() frees; dns_zone_served() fills a dns_served that
 * dns_served_clear() frees.
 */
#ifndef DANEPROBE_DNS_ZONE_H
#define DANEPROBE_DNS_ZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns/dns_resolver.h"
#include "dns/tlsa_record.h"

enum { DNS_ZONE_MAX_SERVERS = 32 };

typedef struct dns_zone_info {
	char zone[256];   /* as asked, no trailing dot */
	char mname[256];  /* the SOA's primary name server */
	char primary[64]; /* an address of mname ("" when it has none) */
	size_t n_servers;
	char servers[DNS_ZONE_MAX_SERVERS][64]; /* addresses of the NS hosts */
	uint8_t *dnskey; /* the validated DNSKEY RRset, wire form, owned */
	size_t dnskey_len;
} dns_zone_info;

/*
 * Looks up the zone's SOA, DNSKEY and NS RRsets and the addresses of its
 * NS hosts and primary, through the validating resolver configured by
 * cfg.  The SOA, DNSKEY and NS RRsets must be DNSSEC-secure.  Blocks
 * until every lookup has finished.  Returns 0, or -1 with err.
 */
int dns_zone_lookup(const dns_resolver_config *cfg, const char *zone,
    dns_zone_info *zi, char *err, size_t errlen);
void dns_zone_info_clear(dns_zone_info *zi);

/* One authoritative server's answer for a TLSA owner. */
typedef struct dns_served {
	int rcode;          /* -1: no reply */
	bool authoritative; /* the AA bit */
	size_t n;           /* TLSA records */
	tlsa_record *recs;  /* owned */
	uint32_t ttl;       /* the RRset's TTL as served */
	uint32_t orig_ttl;  /* the valid RRSIG's original TTL */
	bool signed_valid;  /* an RRSIG over the RRset verifies at `now` */
	char reason[200];   /* why not usable, when not */
} dns_served;

/*
 * Asks `server` ("ADDR" or "ADDR@PORT") for owner's TLSA RRset with the DO
 * bit and no recursion (TCP), and checks its RRSIGs against zi's keys at
 * `now`.  Returns 0 when the server answered authoritatively with a
 * validly signed RRset (or a NODATA/NXDOMAIN: n is 0 then), -1 otherwise
 * (out->reason says why).
 */
int dns_zone_served(const char *server, const char *owner,
    const dns_zone_info *zi, time_t now, unsigned timeout_ms, dns_served *out);
void dns_served_clear(dns_served *s);

/* Whether the answer holds a 3 1 1 record with this SHA-256 (hex). */
bool dns_served_has_spki(const dns_served *s, const char *spki_hex);

#endif
