/*
 * dns_keyfetch.c -- the key cache at work in stub mode (dns_keycache.h):
 * a fast reply is checked against the cached keys of its signer zones;
 * missing keys are fetched as DNSKEY lookups validated in full by getdns,
 * and the queries waiting for them move on when they are settled.
 */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include <getdns/getdns.h>

#include "dns/dns_reply.h"
#include "dns/dns_resolver_internal.h"
#include "util/log.h"

/* A DNSKEY lookup for the key cache; queued until the loop starts it. */
struct key_fetch {
	key_fetch *next; /* r->fetch_queue */
	dns_resolver *r;
	char *zone;        /* owned */
	ev_timer deadline; /* running while getdns has it */
	getdns_transaction_t tid;
	bool starting; /* inside getdns_general(): on_key() must not free */
	bool done;     /* on_key() ran while starting */
};

static void
key_fetch_queue(dns_resolver *r, char *zone)
{
	key_fetch *kf;

	if (dns_keycache_set_pending(r->keys, zone) < 0 ||
	    (kf = calloc(1, sizeof(*kf))) == NULL) {
		/* Without a fetch the zone must not stay PENDING: its
		 * waiters would wait for ever. */
		dns_keycache_set_failed(r->keys, zone, time(NULL));
		free(zone);
		return;
	}
	kf->r = r;
	kf->zone = zone;
	kf->next = r->fetch_queue;
	r->fetch_queue = kf;
	dns_resolver_kick(r);
}

/* What the key cache makes of q's reply; true when q is no longer the
 * caller's business (waiting for keys, or asked again). */
bool
dns_keyfetch_check(
    dns_resolver *r, dns_query *q, getdns_dict *resp, bool may_wait)
{
	char *missing[DNS_KEYCHECK_MAX_SIGNERS];
	getdns_dict *reply;
	size_t i, n = 0;

	if (getdns_dict_get_dict(resp, "/replies_tree/0", &reply))
		return false; /* no reply: decode it as the timeout it is */
	/* The cache judges a reply against the question in it: only one to
	 * our question may get that far.  Any other goes to full
	 * validation, whose reply is checked again when decoded. */
	if (!dns_reply_is_to(reply, q->answer->qname, q->answer->qtype)) {
		getdns_dict_destroy(resp);
		dns_query_retry_full(r, q);
		return true;
	}
	switch (dns_keycache_check(
	    r->keys, reply, time(NULL), may_wait, missing, &n)) {
	case DNS_KEYCHECK_SECURE:
		r->stats.cached_keys++;
		getdns_dict_set_int(
		    reply, "dnssec_status", GETDNS_DNSSEC_SECURE);
		return false;
	case DNS_KEYCHECK_WAIT:
		for (i = 0; i < n; i++)
			key_fetch_queue(r, missing[i]);
		q->phase = QUERY_KEYWAIT;
		q->held = resp;
		return true;
	case DNS_KEYCHECK_FULL:
	default:
		getdns_dict_destroy(resp);
		dns_query_retry_full(r, q);
		return true;
	}
}

/* A zone's keys are settled: every query waiting for them moves on. */
static void
wake_key_waiters(dns_resolver *r)
{
	dns_query *q, *next;
	getdns_dict *resp;

	for (q = r->inflight; q != NULL; q = next) {
		next = q->next;
		if (q->phase != QUERY_KEYWAIT)
			continue;
		resp = q->held;
		q->held = NULL;
		if (dns_keyfetch_check(r, q, resp, false))
			continue;
		dns_query_finish(r, q, GETDNS_CALLBACK_COMPLETE, resp);
	}
}

static void
on_key(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp,
    void *userarg, getdns_transaction_t tid)
{
	key_fetch *kf = userarg;
	dns_resolver *r = kf->r;
	getdns_dict *reply = NULL;
	time_t now = time(NULL);
	bool valid = false;

	(void)ctx;
	(void)tid;
	ev_timer_stop(r->loop, &kf->deadline);
	if (!r->closing) {
		if (type == GETDNS_CALLBACK_COMPLETE &&
		    !getdns_dict_get_dict(resp, "/replies_tree/0", &reply))
			valid = dns_keycache_take_keys(
			            r->keys, kf->zone, reply, now) == 0;
		else
			dns_keycache_set_failed(r->keys, kf->zone, now);
		log_debug("dns: keys of zone \"%s\": %s", kf->zone,
		    valid ? "validated, cached" :
		            "not validated, answers in full");
		wake_key_waiters(r);
	}
	getdns_dict_destroy(resp);
	if (kf->starting) {
		kf->done = true; /* dns_keyfetch_start() frees it */
		return;
	}
	free(kf->zone);
	free(kf);
}

/* A DNSKEY lookup as late as any other: on_key() then marks the zone
 * FAILED. */
static void
on_key_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	key_fetch *kf = w->data;

	(void)loop;
	(void)revents;
	(void)dns_resolver_cancel(kf->r, kf->tid);
}

/* Starts the queued DNSKEY lookups; from the loop only. */
void
dns_keyfetch_start(dns_resolver *r)
{
	getdns_return_t gr;
	key_fetch *kf;

	while (!r->closing && (kf = r->fetch_queue) != NULL) {
		r->fetch_queue = kf->next;
		r->stats.key_fetches++;
		ev_timer_init(
		    &kf->deadline, on_key_deadline, r->timeout_ms / 1e3, 0.);
		kf->deadline.data = kf;
		ev_now_update(r->loop);
		ev_timer_start(r->loop, &kf->deadline);
		kf->starting = true;
		gr = getdns_general(r->ctx, kf->zone[0] ? kf->zone : ".",
		    DNS_TYPE_DNSKEY, r->extensions, kf, &kf->tid, on_key);
		kf->starting = false;
		if (gr == GETDNS_RETURN_GOOD && !kf->done)
			continue; /* on_key() owns kf now */
		ev_timer_stop(r->loop, &kf->deadline);
		if (!kf->done) {
			dns_keycache_set_failed(r->keys, kf->zone, time(NULL));
			wake_key_waiters(r);
		}
		free(kf->zone);
		free(kf);
	}
}

void
dns_keyfetch_discard(dns_resolver *r)
{
	key_fetch *kf;

	while ((kf = r->fetch_queue) != NULL) {
		r->fetch_queue = kf->next;
		free(kf->zone);
		free(kf);
	}
}
