#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <getdns/getdns_extra.h>

#include "dns_keycache.h"
#include "dns_name.h"
#include "strmap.h"

typedef struct key_entry {
	dns_key_state state;
	time_t expires;      /* VALID and FAILED only */
	getdns_list *keys;   /* VALID only; owned */
} key_entry;

struct dns_keycache {
	strmap *zones;       /* zone name -> key_entry, owned through the map */
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
dns_keycache_get(dns_keycache *c, const char *zone, time_t now,
    const getdns_list **keys)
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
	return set_state(c, zone, DNS_KEY_FAILED, NULL,
	    now + DNS_KEYCACHE_FAILED_TTL);
}

/* ------------------------------------------------------------------ */
/* Checking a reply against the cached keys                            */

#define RRTYPE_RRSIG 46
#define MAX_COVERED 16

typedef struct signature_facts {
	char *signers[DNS_KEYCHECK_MAX_SIGNERS]; /* owned, distinct */
	size_t n_signers;
	uint32_t covered[MAX_COVERED];           /* types covered in the answer */
	size_t n_covered;
	bool too_many;                           /* more than we keep track of */
} signature_facts;

static void
add_signer(signature_facts *f, const getdns_dict *rdata)
{
	getdns_bindata *wire;
	char *zone;
	size_t i;

	if (getdns_dict_get_bindata(rdata, "signers_name", &wire) ||
	    (zone = dns_name_from_wire(wire)) == NULL) {
		f->too_many = true; /* cannot tell: do not trust the reply */
		return;
	}
	for (i = 0; i < f->n_signers; i++)
		if (strcmp(f->signers[i], zone) == 0) {
			free(zone);
			return;
		}
	if (f->n_signers == DNS_KEYCHECK_MAX_SIGNERS) {
		f->too_many = true;
		free(zone);
		return;
	}
	f->signers[f->n_signers++] = zone;
}

static void
add_covered(signature_facts *f, const getdns_dict *rdata)
{
	uint32_t type;

	if (getdns_dict_get_int(rdata, "type_covered", &type))
		return;
	if (f->n_covered == MAX_COVERED)
		f->too_many = true;
	else
		f->covered[f->n_covered++] = type;
}

static void
collect_signatures(signature_facts *f, const getdns_list *rrs, bool answer)
{
	getdns_dict *rr, *rdata;
	uint32_t type;
	size_t i;

	for (i = 0; getdns_list_get_dict(rrs, i, &rr) == GETDNS_RETURN_GOOD;
	    i++) {
		if (getdns_dict_get_int(rr, "type", &type) ||
		    type != RRTYPE_RRSIG ||
		    getdns_dict_get_dict(rr, "rdata", &rdata))
			continue;
		add_signer(f, rdata);
		if (answer)
			add_covered(f, rdata);
	}
}

/* Whether every RRset in the answer section has a signature over it. */
static bool
answer_all_signed(const signature_facts *f, const getdns_list *answer)
{
	getdns_dict *rr;
	uint32_t type;
	size_t i, j;

	for (i = 0; getdns_list_get_dict(answer, i, &rr) == GETDNS_RETURN_GOOD;
	    i++) {
		if (getdns_dict_get_int(rr, "type", &type))
			return false;
		if (type == RRTYPE_RRSIG)
			continue;
		for (j = 0; j < f->n_covered && f->covered[j] != type; j++)
			;
		if (j == f->n_covered)
			return false;
	}
	return true;
}

static void
facts_clear(signature_facts *f)
{
	size_t i;

	for (i = 0; i < f->n_signers; i++)
		free(f->signers[i]);
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
		    GETDNS_RETURN_GOOD; j++)
			if (getdns_list_set_dict(all, len++, rr)) {
				getdns_list_destroy(all);
				return NULL;
			}
	return all;
}

static dns_keycheck
validate_with(const getdns_dict *reply, const getdns_list *keys[], size_t n,
    time_t now)
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
		 * again for every answer. */
		st = getdns_validate_dnssec2(to_validate, anchors, anchors,
		    now, 0);
	if (owned)
		getdns_list_destroy(anchors);
	getdns_list_destroy(to_validate);
	return st == GETDNS_DNSSEC_SECURE ? DNS_KEYCHECK_SECURE :
	    DNS_KEYCHECK_FULL;
}

static bool
rcode_checkable(const getdns_dict *reply)
{
	uint32_t rcode;

	return getdns_dict_get_int(reply, "/header/rcode", &rcode) ==
	    GETDNS_RETURN_GOOD && (rcode == 0 || rcode == 3);
}

/* Sorts the signers by cache state: the keys of VALID ones into keys[],
 * MISSING ones moved into missing[] (may_wait) -- or the verdict when it
 * is already clear. */
static dns_keycheck
classify_signers(dns_keycache *c, signature_facts *f, time_t now,
    bool may_wait, const getdns_list *keys[], char *missing[],
    size_t *n_missing)
{
	dns_keycheck verdict = DNS_KEYCHECK_SECURE;
	size_t i;

	for (i = 0; i < f->n_signers; i++) {
		switch (dns_keycache_get(c, f->signers[i], now, &keys[i])) {
		case DNS_KEY_VALID:
			break;
		case DNS_KEY_PENDING:
			verdict = DNS_KEYCHECK_WAIT;
			break;
		case DNS_KEY_MISSING:
			if (!may_wait)
				return DNS_KEYCHECK_FULL;
			missing[(*n_missing)++] = f->signers[i];
			f->signers[i] = NULL;
			verdict = DNS_KEYCHECK_WAIT;
			break;
		case DNS_KEY_FAILED:
		default:
			return DNS_KEYCHECK_FULL;
		}
	}
	return verdict;
}

dns_keycheck
dns_keycache_check(dns_keycache *c, const getdns_dict *reply, time_t now,
    bool may_wait, char *missing[DNS_KEYCHECK_MAX_SIGNERS], size_t *n_missing)
{
	signature_facts f = { 0 };
	const getdns_list *keys[DNS_KEYCHECK_MAX_SIGNERS] = { 0 };
	getdns_list *answer = NULL, *authority = NULL;
	dns_keycheck verdict;
	size_t i;

	*n_missing = 0;
	if (!rcode_checkable(reply) ||
	    getdns_dict_get_list(reply, "answer", &answer) ||
	    getdns_dict_get_list(reply, "authority", &authority))
		return DNS_KEYCHECK_FULL;
	collect_signatures(&f, answer, true);
	collect_signatures(&f, authority, false);
	if (f.too_many || f.n_signers == 0 || !answer_all_signed(&f, answer))
		verdict = DNS_KEYCHECK_FULL;
	else
		verdict = classify_signers(c, &f, now, may_wait, keys,
		    missing, n_missing);
	if (verdict == DNS_KEYCHECK_SECURE)
		verdict = validate_with(reply, keys, f.n_signers, now);
	if (verdict == DNS_KEYCHECK_FULL) {
		for (i = 0; i < *n_missing; i++)
			free(missing[i]);
		*n_missing = 0;
	}
	facts_clear(&f);
	return verdict;
}
