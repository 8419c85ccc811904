#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <getdns/getdns_extra.h>

#include "dns/dns_keycache.h"
#include "dns/dns_name.h"
#include "dns/dns_reply.h"
#include "util/strmap.h"

typedef struct key_entry {
	dns_key_state state;
	time_t expires;    /* VALID and FAILED only */
	getdns_list *keys; /* VALID only; owned */
} key_entry;

struct dns_keycache {
	strmap *zones; /* zone name -> key_entry, owned through the map */
};

dns_keycache *
dns_keycache_new(void)
{
	dns_keycache *c = calloc(1, sizeof(*c));

	if (c == NULL || (c->zones = strmap_new()) == NULL) {
		free(c);
		return NULL;
	}
	return c;
}

static void
free_entry(const char *zone, void *value, void *arg)
{
	key_entry *e = value;

	(void)zone;
	(void)arg;
	getdns_list_destroy(e->keys);
	free(e);
}

void
dns_keycache_free(dns_keycache *c)
{
	if (c == NULL)
		return;
	strmap_each(c->zones, free_entry, NULL);
	strmap_free(c->zones);
	free(c);
}

dns_key_state
dns_keycache_get(
    dns_keycache *c, const char *zone, time_t now, const getdns_list **keys)
{
	key_entry *e = strmap_get(c->zones, zone);

	if (e == NULL)
		return DNS_KEY_MISSING;
	if (e->state != DNS_KEY_PENDING && now >= e->expires)
		return DNS_KEY_MISSING;
	if (keys != NULL)
		*keys = e->state == DNS_KEY_VALID ? e->keys : NULL;
	return e->state;
}

/* The entry for zone, made MISSING-clean if new; NULL on OOM. */
static key_entry *
entry_for(dns_keycache *c, const char *zone)
{
	key_entry *e = strmap_get(c->zones, zone);

	if (e != NULL)
		return e;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	if (strmap_put(c->zones, zone, e) < 0) {
		free(e);
		return NULL;
	}
	return e;
}

static int
set_state(dns_keycache *c, const char *zone, dns_key_state state,
    getdns_list *keys, time_t expires)
{
	key_entry *e = entry_for(c, zone);

	if (e == NULL) {
		getdns_list_destroy(keys);
		return -1;
	}
	getdns_list_destroy(e->keys);
	e->keys = keys;
	e->state = state;
	e->expires = expires;
	return 0;
}

int
dns_keycache_set_pending(dns_keycache *c, const char *zone)
{
	return set_state(c, zone, DNS_KEY_PENDING, NULL, 0);
}

int
dns_keycache_set_valid(dns_keycache *c, const char *zone, getdns_list *keys,
    uint32_t ttl, time_t now)
{
	if (ttl > DNS_KEYCACHE_MAX_TTL)
		ttl = DNS_KEYCACHE_MAX_TTL;
	return set_state(c, zone, DNS_KEY_VALID, keys, now + (time_t)ttl);
}

int
dns_keycache_set_failed(dns_keycache *c, const char *zone, time_t now)
{
	return set_state(
	    c, zone, DNS_KEY_FAILED, NULL, now + DNS_KEYCACHE_FAILED_TTL);
}

/* ------------------------------------------------------------------ */
/* Taking a zone's keys into the cache                                  */

/* An RRSIG time (RFC 4034 3.1.5: serial number arithmetic) as a time_t
 * near `now`. */
static time_t
sig_time(uint32_t t, time_t now)
{
	return now + (time_t)(int32_t)(t - (uint32_t)now);
}

/* The end of the validity of the DNSKEY RRset's own signatures: the
 * earliest expiration among those valid at `now`.  0 when none is valid
 * now, or one has its inception still ahead (a signature that is not yet
 * valid in a reply claimed secure: something is off). */
static time_t
keys_signed_until(const dns_reply_shape *s, const char *zone, time_t now)
{
	time_t until = 0;

	for (size_t i = 0; i < s->n_answer; i++) {
		const dns_rr_info *ri = &s->answer[i];
		uint32_t inc, exp;
		time_t ti, te;

		if (ri->type != DNS_TYPE_RRSIG ||
		    ri->covered != DNS_TYPE_DNSKEY ||
		    strcmp(ri->owner, zone) != 0 ||
		    strcmp(ri->signer, zone) != 0)
			continue;
		if (getdns_dict_get_int(
		        ri->rr, "/rdata/signature_inception", &inc) ||
		    getdns_dict_get_int(
		        ri->rr, "/rdata/signature_expiration", &exp))
			return 0;
		ti = sig_time(inc, now);
		te = sig_time(exp, now);
		if (ti > now)
			return 0;
		if (te > now && (until == 0 || te < until))
			until = te;
	}
	return until;
}

/* The zone's DNSKEY RRs (owned by the zone itself) and their least TTL. */
static getdns_list *
zone_keys(const dns_reply_shape *s, const char *zone, uint32_t *ttl)
{
	getdns_list *keys = getdns_list_create();
	size_t n = 0;
	uint32_t t;

	if (keys == NULL)
		return NULL;
	for (size_t i = 0; i < s->n_answer; i++) {
		const dns_rr_info *ri = &s->answer[i];

		if (ri->type != DNS_TYPE_DNSKEY || strcmp(ri->owner, zone) != 0)
			continue;
		if (getdns_list_set_dict(keys, n++, ri->rr)) {
			getdns_list_destroy(keys);
			return NULL;
		}
		if (!getdns_dict_get_int(ri->rr, "ttl", &t) &&
		    (n == 1 || t < *ttl))
			*ttl = t;
	}
	if (n == 0) {
		getdns_list_destroy(keys);
		return NULL;
	}
	return keys;
}

int
dns_keycache_take_keys(
    dns_keycache *c, const char *zone, const getdns_dict *reply, time_t now)
{
	dns_reply_shape s;
	getdns_list *keys = NULL;
	uint32_t st, ttl = 0;
	time_t until = 0, expires;

	dns_reply_examine(reply, zone, DNS_TYPE_DNSKEY, &s);
	if (s.fault == DNS_REPLY_FINE && s.rcode == 0 && s.n_chain == 1 &&
	    getdns_dict_get_int(reply, "dnssec_status", &st) ==
	        GETDNS_RETURN_GOOD &&
	    st == GETDNS_DNSSEC_SECURE &&
	    (until = keys_signed_until(&s, zone, now)) != 0)
		keys = zone_keys(&s, zone, &ttl);
	dns_reply_shape_clear(&s);
	if (keys == NULL) {
		dns_keycache_set_failed(c, zone, now);
		return -1;
	}
	if (ttl > DNS_KEYCACHE_MAX_TTL)
		ttl = DNS_KEYCACHE_MAX_TTL;
	expires = now + (time_t)ttl;
	if (until < expires)
		expires = until; /* RFC 4035 5.3.3: not past the signature */
	if (set_state(c, zone, DNS_KEY_VALID, keys, expires) < 0) {
		dns_keycache_set_failed(c, zone, now);
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Checking a reply against the cached keys                            */

typedef struct signer_set {
	char *zones[DNS_KEYCHECK_MAX_SIGNERS]; /* owned, distinct */
	size_t n;
	bool too_many;
} signer_set;

static void
signers_clear(signer_set *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->zones[i]);
}

static bool
add_signer(signer_set *f, const char *zone)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->zones[i], zone) == 0)
			return true;
	if (f->n == DNS_KEYCHECK_MAX_SIGNERS ||
	    (f->zones[f->n] = strdup(zone)) == NULL)
		return false;
	f->n++;
	return true;
}

/* Whether a zone with validated keys lies strictly between `zone` and
 * `name` below it: then `zone` is not the zone that holds `name`, and its
 * signature over `name` is not the one that counts.  (Only validated keys
 * say that a name is a zone apex: any reply can name any signer.) */
static bool
zone_between(dns_keycache *c, const char *name, const char *zone, time_t now)
{
	for (const char *n = name; n != NULL && strcmp(n, zone) != 0;
	     n = dns_name_parent(n))
		if (n != name &&
		    dns_keycache_get(c, n, now, NULL) == DNS_KEY_VALID)
			return true;
	return false;
}

/* Whether an RRSIG's signer may sign for its owner: it encloses it, and
 * no zone known to lie in between does. */
static bool
signer_holds(
    dns_keycache *c, const dns_rr_info *sig, const char *owner, time_t now)
{
	return dns_name_within(owner, sig->signer) &&
	    !zone_between(c, owner, sig->signer, now);
}

/* Every RRset of the answer section carries an RRSIG of its own (same
 * owner, its type covered) by the zone that holds it. */
static bool
answer_signed(dns_keycache *c, const dns_reply_shape *s, time_t now)
{
	for (size_t i = 0; i < s->n_answer; i++) {
		const dns_rr_info *ri = &s->answer[i];
		bool found = false;

		if (ri->type == DNS_TYPE_RRSIG)
			continue;
		for (size_t j = 0; j < s->n_answer && !found; j++) {
			const dns_rr_info *sig = &s->answer[j];

			found = sig->type == DNS_TYPE_RRSIG &&
			    sig->covered == ri->type &&
			    strcmp(sig->owner, ri->owner) == 0 &&
			    signer_holds(c, sig, ri->owner, now);
		}
		if (!found)
			return false;
	}
	return true;
}

/* Whether `zone` encloses some name of the CNAME chain. */
static bool
encloses_chain(const dns_reply_shape *s, const char *zone)
{
	for (size_t i = 0; i < s->n_chain; i++)
		if (dns_name_within(s->chain[i], zone))
			return true;
	return false;
}

/* The signatures of the authority section come from zones that hold the
 * names asked about (a wildcard or denial proof for some name of the
 * chain), each from the zone that holds its owner. */
static bool
authority_signed_in_place(dns_keycache *c, const dns_reply_shape *s, time_t now)
{
	for (size_t i = 0; i < s->n_authority; i++) {
		const dns_rr_info *sig = &s->authority[i];

		if (sig->type != DNS_TYPE_RRSIG)
			continue;
		if (!signer_holds(c, sig, sig->owner, now) ||
		    !encloses_chain(s, sig->signer))
			return false;
	}
	return true;
}

/* A denial (NODATA or NXDOMAIN) must come from the zone that holds the
 * final name: a signed SOA at that zone's apex, with no zone known to lie
 * between it and the name.  getdns then checks the NSEC/NSEC3 proof for
 * the question against that zone's keys (and no others: the closest
 * trust anchor above the name is that zone). */
static bool
denial_in_place(dns_keycache *c, const dns_reply_shape *s, time_t now)
{
	const char *final = dns_reply_final(s);

	for (size_t i = 0; i < s->n_authority; i++) {
		const dns_rr_info *sig = &s->authority[i];

		if (sig->type == DNS_TYPE_RRSIG &&
		    sig->covered == DNS_TYPE_SOA &&
		    strcmp(sig->owner, sig->signer) == 0 &&
		    dns_name_within(final, sig->signer) &&
		    !zone_between(c, final, sig->signer, now))
			return true;
	}
	return false;
}

static bool
collect_signers(signer_set *f, const dns_rr_info *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].type == DNS_TYPE_RRSIG && !add_signer(f, v[i].signer))
			return false;
	return true;
}

/* The trust anchors for the signers: the one zone's list itself, or a
 * new list with all zones' keys (*owned set). */
static getdns_list *
anchors_for(const getdns_list *keys[], size_t n, bool *owned)
{
	getdns_list *all;
	getdns_dict *rr;
	size_t i, j, len = 0;

	*owned = false;
	if (n == 1)
		return (getdns_list *)keys[0];
	if ((all = getdns_list_create()) == NULL)
		return NULL;
	*owned = true;
	for (i = 0; i < n; i++)
		for (j = 0; getdns_list_get_dict(keys[i], j, &rr) ==
		     GETDNS_RETURN_GOOD;
		     j++)
			if (getdns_list_set_dict(all, len++, rr)) {
				getdns_list_destroy(all);
				return NULL;
			}
	return all;
}

static dns_keycheck
validate_with(
    const getdns_dict *reply, const getdns_list *keys[], size_t n, time_t now)
{
	getdns_list *to_validate, *anchors;
	getdns_return_t st = GETDNS_DNSSEC_INDETERMINATE;
	bool owned;

	if ((to_validate = getdns_list_create()) == NULL)
		return DNS_KEYCHECK_FULL;
	if ((anchors = anchors_for(keys, n, &owned)) != NULL &&
	    getdns_list_set_dict(to_validate, 0, reply) == GETDNS_RETURN_GOOD)
		/* The keys are their own support records: they are trusted
		 * as they stand, so their self-signature need not be checked
		 * again for every answer.  The reply's question is the one
		 * asked (checked by dns_reply_examine()), so the denial
		 * proofs getdns checks are for the right name. */
		st = getdns_validate_dnssec2(
		    to_validate, anchors, anchors, now, 0);
	if (owned)
		getdns_list_destroy(anchors);
	getdns_list_destroy(to_validate);
	return st == GETDNS_DNSSEC_SECURE ? DNS_KEYCHECK_SECURE :
	                                    DNS_KEYCHECK_FULL;
}

/* Sorts the signers by cache state: the keys of VALID ones into keys[],
 * MISSING ones moved into missing[] (may_wait) -- or the verdict when it
 * is already clear. */
static dns_keycheck
classify_signers(dns_keycache *c, signer_set *f, time_t now, bool may_wait,
    const getdns_list *keys[], char *missing[], size_t *n_missing)
{
	dns_keycheck verdict = DNS_KEYCHECK_SECURE;
	size_t i;

	for (i = 0; i < f->n; i++) {
		switch (dns_keycache_get(c, f->zones[i], now, &keys[i])) {
		case DNS_KEY_VALID:
			break;
		case DNS_KEY_PENDING:
			verdict = DNS_KEYCHECK_WAIT;
			break;
		case DNS_KEY_MISSING:
			if (!may_wait)
				return DNS_KEYCHECK_FULL;
			missing[(*n_missing)++] = f->zones[i];
			f->zones[i] = NULL;
			verdict = DNS_KEYCHECK_WAIT;
			break;
		case DNS_KEY_FAILED:
		default:
			return DNS_KEYCHECK_FULL;
		}
	}
	return verdict;
}

/* Whether the reply is of a shape the cache may judge at all. */
static bool
checkable(dns_keycache *c, const getdns_dict *reply, time_t now, signer_set *f)
{
	dns_reply_shape s;
	char *qname = NULL;
	uint16_t qtype = 0;
	bool ok;

	if (dns_reply_question(reply, &qname, &qtype) < 0)
		return false;
	dns_reply_examine(reply, qname, qtype, &s);
	free(qname);
	ok = s.fault == DNS_REPLY_FINE && (s.rcode == 0 || s.rcode == 3) &&
	    answer_signed(c, &s, now) &&
	    authority_signed_in_place(c, &s, now) &&
	    (s.n_data > 0 || denial_in_place(c, &s, now)) &&
	    collect_signers(f, s.answer, s.n_answer) &&
	    collect_signers(f, s.authority, s.n_authority) && f->n > 0;
	dns_reply_shape_clear(&s);
	return ok;
}

dns_keycheck
dns_keycache_check(dns_keycache *c, const getdns_dict *reply, time_t now,
    bool may_wait, char *missing[DNS_KEYCHECK_MAX_SIGNERS], size_t *n_missing)
{
	signer_set f = { 0 };
	const getdns_list *keys[DNS_KEYCHECK_MAX_SIGNERS] = { 0 };
	dns_keycheck verdict;
	size_t i;

	*n_missing = 0;
	if (!checkable(c, reply, now, &f))
		verdict = DNS_KEYCHECK_FULL;
	else
		verdict = classify_signers(
		    c, &f, now, may_wait, keys, missing, n_missing);
	if (verdict == DNS_KEYCHECK_SECURE)
		verdict = validate_with(reply, keys, f.n, now);
	if (verdict == DNS_KEYCHECK_FULL) {
		for (i = 0; i < *n_missing; i++)
			free(missing[i]);
		*n_missing = 0;
	}
	signers_clear(&f);
	return verdict;
}
