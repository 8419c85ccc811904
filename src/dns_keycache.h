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
 * VALID (its keys, until the RRset's TTL runs out) or FAILED (the keys
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

dns_keycache *dns_keycache_new(void);       /* NULL on allocation failure */
void dns_keycache_free(dns_keycache *c);    /* NULL-safe */

/* State of `zone` (lowercase, no trailing dot, "" for the root) at `now`;
 * an expired entry reads as MISSING.  For VALID, *keys (if keys != NULL) is
 * the zone's DNSKEY RR dicts, borrowed. */
dns_key_state dns_keycache_get(dns_keycache *c, const char *zone, time_t now,
    const getdns_list **keys);

/* Each returns 0, or -1 on allocation failure (then the zone stays as it
 * was, except that set_valid() has still taken and freed `keys`). */
int dns_keycache_set_pending(dns_keycache *c, const char *zone);
int dns_keycache_set_valid(dns_keycache *c, const char *zone,
    getdns_list *keys, uint32_t ttl, time_t now);
int dns_keycache_set_failed(dns_keycache *c, const char *zone, time_t now);

/* What dns_keycache_check() makes of one reply. */
typedef enum dns_keycheck {
	DNS_KEYCHECK_SECURE, /* validated against cached keys: SECURE */
	DNS_KEYCHECK_WAIT,   /* a signer's keys are not known yet */
	DNS_KEYCHECK_FULL,   /* leave it to getdns's full validation */
} dns_keycheck;

#define DNS_KEYCHECK_MAX_SIGNERS 4

/*
 * Examines `reply` (one entry of a getdns replies_tree, asked with the DO
 * bit and without getdns validation).  SECURE only when every RRset of the
 * answer section carries an RRSIG, every signer zone of the answer and
 * authority sections is VALID here, and getdns_validate_dnssec() with
 * those zones' keys as the trust anchors says SECURE -- which also checks
 * wildcard and denial proofs against the question.  Unsigned data, a
 * FAILED signer, a reply that does not validate (bogus, or signed by keys
 * that have changed) and any rcode but NOERROR/NXDOMAIN give FULL: the
 * cache can only ever say "secure" sooner, never decide anything else.
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
