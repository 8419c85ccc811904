/*
 * dns_keycache.h -- zone keys (DNSKEY RRsets) that getdns has validated as
 * SECURE from the trust anchor, kept for their TTL within one run.
 *
 * Why: getdns 1.6 in stub mode validates every answer from the trust
 * anchor down, fetching and verifying the whole chain of DNSKEY and DS
 * RRsets again for each lookup (9 ECDSA verifications for one wildcard MX
 * in the lab).  A validating resolver keeps the keys it has validated; with
 * this cache the resolver validates an answer against the already
 * validated keys of the zone that signed it (getdns_validate_dnssec() with
 * those keys as trust anchors), which is the one or two verifications the
 * answer itself needs.
 *
 * A zone is MISSING (never asked), PENDING (a DNSKEY lookup is running),
 * VALID (its keys, until the RRset's TTL runs out or the signature over
 * it expires, whichever comes first) or FAILED (the keys
 * could not be validated; remembered for a short while so that every
 * answer of such a zone goes straight to full validation).
 *
 * Ownership: the cache owns its entries and the key lists handed to
 * dns_keycache_set_valid(); dns_keycache_get() lends the list until the
 * next call that changes the cache.
 */
#ifndef DANEPROBE_DNS_KEYCACHE_H
#define DANEPROBE_DNS_KEYCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <getdns/getdns.h>

typedef struct dns_keycache dns_keycache;

typedef enum dns_key_state {
	DNS_KEY_MISSING = 0,
	DNS_KEY_PENDING,
	DNS_KEY_VALID,
	DNS_KEY_FAILED,
} dns_key_state;

/* Longest a key set is trusted without asking again, whatever its TTL;
 * and how long a zone whose keys failed is left to full validation. */
#define DNS_KEYCACHE_MAX_TTL 3600
#define DNS_KEYCACHE_FAILED_TTL 60

dns_keycache *dns_keycache_new(void);    /* NULL on allocation failure */
void dns_keycache_free(dns_keycache *c); /* NULL-safe */

/* State of `zone` (lowercase, no trailing dot, "" for the root) at `now`;
 * an expired entry reads as MISSING.  For VALID, *keys (if keys != NULL) is
 * the zone's DNSKEY RR dicts, borrowed. */
dns_key_state dns_keycache_get(
    dns_keycache *c, const char *zone, time_t now, const getdns_list **keys);

/* Each returns 0, or -1 on allocation failure (then the zone stays as it
 * was, except that set_valid() has still taken and freed `keys`). */
int dns_keycache_set_pending(dns_keycache *c, const char *zone);
int dns_keycache_set_valid(dns_keycache *c, const char *zone, getdns_list *keys,
    uint32_t ttl, time_t now);
int dns_keycache_set_failed(dns_keycache *c, const char *zone, time_t now);

/*
 * Takes the keys of `zone` from `reply`, the answer to "zone DNSKEY" that
 * getdns has validated from the trust anchor (its dnssec_status SECURE).
 * Only a reply to that question whose answer section holds nothing else
 * (dns_reply.h) is taken, and of it only the DNSKEY RRs owned by the
 * zone.  They stay VALID for their TTL (at most DNS_KEYCACHE_MAX_TTL) and
 * never past the expiration of the RRSIGs over them (RFC 4035 5.3.3);
 * keys whose signature is not valid yet, or no longer, are not taken.
 * Returns 0 (VALID), or -1: then the zone is FAILED.
 */
int dns_keycache_take_keys(
    dns_keycache *c, const char *zone, const getdns_dict *reply, time_t now);

/* What dns_keycache_check() makes of one reply. */
typedef enum dns_keycheck {
	DNS_KEYCHECK_SECURE, /* validated against cached keys: SECURE */
	DNS_KEYCHECK_WAIT,   /* a signer's keys are not known yet */
	DNS_KEYCHECK_FULL,   /* leave it to getdns's full validation */
} dns_keycheck;

#define DNS_KEYCHECK_MAX_SIGNERS 4

/*
 * Examines `reply` (one entry of a getdns replies_tree, asked with the DO
 * bit and without getdns validation) as the answer to the question in its
 * own question section -- the caller has checked that this is the
 * question it asked.  SECURE only when all of these hold:
 *  - the answer section holds the answer and nothing else (dns_reply.h:
 *    the CNAME chain from the question's name, the data at its end);
 *  - every RRset there carries an RRSIG of its own (same owner, its type
 *    covered) whose signer encloses the owner, with no zone of validated
 *    keys in between (the signer is the zone that holds the name);
 *  - every RRSIG of the authority section is by a zone that encloses its
 *    owner and some name of the chain (a wildcard or denial proof for it);
 *  - a NODATA or NXDOMAIN carries a signed SOA of a zone that encloses the
 *    final name of the chain: getdns then checks the NSEC/NSEC3 denial of
 *    that name against that zone's keys, the closest anchor above it;
 *  - every signer zone is VALID here, and getdns_validate_dnssec2() with
 *    those zones' keys as the trust anchors says SECURE (signatures,
 *    validity windows, wildcard and denial proofs for the question).
 * Anything else gives FULL (or WAIT, below): the cache can only ever say
 * "secure" sooner than full validation would, never anything else.
 *
 * With may_wait, MISSING or PENDING signers give WAIT and the MISSING ones
 * are returned in missing[] (malloc'd names the caller frees, at most
 * DNS_KEYCHECK_MAX_SIGNERS; *n_missing set).  Without may_wait, a MISSING
 * signer gives FULL and a PENDING one WAIT (nothing in missing[]).
 */
dns_keycheck dns_keycache_check(dns_keycache *c, const getdns_dict *reply,
    time_t now, bool may_wait, char *missing[DNS_KEYCHECK_MAX_SIGNERS],
    size_t *n_missing);

#endif
