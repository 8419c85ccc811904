/*
 * dns_resolver.c -- the lookups: a FIFO in front of getdns, the lookups in
 * flight with a deadline each, delivery of answers from the loop, and
 * teardown.  The rest of the resolver: dns_resolver_internal.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <getdns/getdns.h>

#include "dns/dns_reply.h"
#include "dns/dns_resolver_internal.h"
#include "util/log.h"

#define DNS_DEFAULT_TIMEOUT_MS 5000

static void on_deliver(struct ev_loop *loop, ev_timer *w, int revents);
static void drain_waiting(dns_resolver *r);

int
dns_resolver_new(struct ev_loop *loop, const dns_resolver_config *cfg,
    dns_resolver **out, char *err, size_t errlen)
{
	dns_resolver *r;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL) {
		dns_errf(err, errlen, "out of memory");
		return -1;
	}
	r->loop = loop;
	r->ready_tail = &r->ready;
	r->waiting_tail = &r->waiting;
	r->held_tail = &r->held;
	r->max_inflight = cfg->max_inflight != 0 ? cfg->max_inflight : 64;
	r->timeout_ms =
	    cfg->timeout_ms != 0 ? cfg->timeout_ms : DNS_DEFAULT_TIMEOUT_MS;
	ev_timer_init(&r->deliver, on_deliver, 0., 0.);
	r->deliver.data = r;
	dns_canary_init(r);
	if ((r->evloop = dns_evloop_new(loop)) == NULL) {
		dns_errf(err, errlen, "out of memory");
		free(r);
		return -1;
	}
	if (dns_config_context(r, cfg, err, errlen) < 0) {
		if (r->ctx != NULL)
			getdns_context_destroy(r->ctx);
		dns_evloop_free(r->evloop);
		getdns_dict_destroy(r->extensions);
		getdns_dict_destroy(r->fast_extensions);
		dns_keycache_free(r->keys);
		free(r);
		return -1;
	}
	*out = r;
	return 0;
}

unsigned
dns_resolver_pending(const dns_resolver *r)
{
	return r == NULL ? 0 : r->pending;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
inflight_unlink(dns_resolver *r, dns_query *q)
{
	r->n_inflight--;
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->inflight = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	q->prev = q->next = NULL;
}

void
dns_resolver_kick(dns_resolver *r)
{
	/* While closing, dns_resolver_free() drains the queues itself. */
	if (!r->closing && !ev_is_active(&r->deliver)) {
		ev_timer_set(&r->deliver, 0., 0.);
		ev_timer_start(r->loop, &r->deliver);
	}
}

void
dns_query_ready(dns_resolver *r, dns_query *q)
{
	q->ready_next = NULL;
	*r->ready_tail = q;
	r->ready_tail = &q->ready_next;
	dns_resolver_kick(r);
}

/* q has its answer: the deadline stops and the caller hears of it,
 * once it is clear whose failure a failure is. */
static void
query_deliver(dns_resolver *r, dns_query *q)
{
	ev_timer_stop(r->loop, &q->deadline);
	q->answered = true;
	dns_canary_note_reply(r, q->answer);
	if (dns_canary_hold(r, q))
		return;
	dns_query_ready(r, q);
}

static dns_query *
ready_pop(dns_resolver *r)
{
	dns_query *q = r->ready;

	if (q != NULL && (r->ready = q->ready_next) == NULL)
		r->ready_tail = &r->ready;
	return q;
}

/* Decodes the response (owned; freed here) into q's answer and queues q
 * for delivery. */
void
dns_query_finish(dns_resolver *r, dns_query *q, getdns_callback_type_t type,
    getdns_dict *resp)
{
	q->answer->elapsed_ms = ms_since(&q->started);
	if (r->anchor_zones == NULL && r->ctx != NULL)
		r->anchor_zones = dns_decode_anchor_zones(r->ctx);
	if (q->expired) /* the CANCEL that on_deadline() asked for */
		dns_decode_timeout(r, q->answer);
	else
		dns_decode_response(r, q->answer, type, resp);
	getdns_dict_destroy(resp);
	log_debug("dns: %s %s: %s, %s, %zu records, %.1f ms%s%s",
	    q->answer->qname, dns_type_name(q->answer->qtype),
	    dns_status_name(q->answer->status),
	    dns_security_name(q->answer->security), q->answer->count,
	    q->answer->elapsed_ms, q->answer->reason[0] ? ": " : "",
	    q->answer->reason);
	inflight_unlink(r, q);
	query_deliver(r, q);
}

/* Answers q as timed out, wherever it is but inside getdns. */
static void
query_expire(dns_resolver *r, dns_query *q)
{
	getdns_dict_destroy(q->held);
	q->held = NULL;
	q->answer->elapsed_ms = ms_since(&q->started);
	dns_decode_timeout(r, q->answer);
	query_deliver(r, q);
}

/* Asks again with full getdns validation, from the loop: q gives up its
 * slot and goes to the head of the queue, which starts it at once. */
void
dns_query_retry_full(dns_resolver *r, dns_query *q)
{
	getdns_dict_destroy(q->held);
	q->held = NULL;
	q->phase = QUERY_FULL;
	r->stats.full++;
	inflight_unlink(r, q);
	if ((q->wait_next = r->waiting) == NULL)
		r->waiting_tail = &q->wait_next;
	r->waiting = q;
	dns_resolver_kick(r);
}

static void
on_getdns(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp,
    void *userarg, getdns_transaction_t tid)
{
	dns_query *q = userarg;
	dns_resolver *r = q->r;

	(void)ctx;
	(void)tid;
	q->in_getdns = false;
	if (q->phase == QUERY_FAST && type == GETDNS_CALLBACK_COMPLETE &&
	    !q->expired && !r->closing && dns_keyfetch_check(r, q, resp, true))
		return;
	dns_query_finish(r, q, type, resp);
}

/*
 * A getdns request of ours reached our deadline.  getdns's own timeout is
 * set well beyond ours because getdns 1.6.0 frees a DNSSEC chain sub-query
 * (DNSKEY/DS) that times out by itself while the chain still points at it
 * (use after free); cancelling the request instead takes its chain down in
 * order.  Safe because stub mode is TCP only (configure_mode() in
 * dns_config.c); recursive mode cancels through libunbound.
 */
bool
dns_resolver_cancel(dns_resolver *r, getdns_transaction_t tid)
{
	return getdns_cancel_callback(r->ctx, tid) == GETDNS_RETURN_GOOD;
}

/* A lookup reached our deadline, in whatever phase: it is answered as a
 * timeout and getdns drops it (dns_resolver_cancel()). */
static void
on_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	dns_query *q = w->data;
	dns_resolver *r = q->r;

	(void)loop;
	(void)revents;
	q->expired = true;
	if (q->in_getdns) {
		/* getdns calls on_getdns() with CANCEL from inside this
		 * call, which answers q as a timeout. */
		if (dns_resolver_cancel(r, q->tid) && q->answered)
			return;
		q->in_getdns = false; /* unknown to getdns: cannot happen */
	} else if (q->phase != QUERY_KEYWAIT) {
		return; /* queued to be asked again: drain_waiting() answers */
	}
	inflight_unlink(r, q);
	query_expire(r, q);
}

static void
on_deliver(struct ev_loop *loop, ev_timer *w, int revents)
{
	dns_resolver *r = w->data;
	dns_query *q;

	(void)loop;
	(void)revents;
	r->delivering = true;
	dns_canary_start_wanted(r);
	dns_keyfetch_start(r);
	while (!r->closing && (q = ready_pop(r)) != NULL) {
		dns_callback cb = q->cb;
		void *arg = q->arg;
		dns_answer *a = q->answer;

		r->pending--;
		free(q);
		cb(a, arg); /* may start lookups or free the resolver */
		drain_waiting(r);
	}
	drain_waiting(r);
	r->delivering = false;
	if (r->closing)
		free(
		    r); /* dns_resolver_free() ran in a callback and left r to us */
}

/* Hands q to getdns.  Returns the getdns error, if it refused. */
static getdns_return_t
query_start(dns_resolver *r, dns_query *q, const char *name)
{
	getdns_transaction_t tid;
	getdns_return_t gr;

	if (!q->begun) {
		clock_gettime(CLOCK_MONOTONIC, &q->started);
		r->stats.lookups++;
	}
	if ((q->next = r->inflight) != NULL)
		q->next->prev = q;
	r->inflight = q;
	r->n_inflight++;
	q->in_getdns = true;
	gr = getdns_general(r->ctx, name, q->answer->qtype,
	    q->phase == QUERY_FAST ? r->fast_extensions : r->extensions, q,
	    &tid, on_getdns);
	if (q->answered)
		return GETDNS_RETURN_GOOD; /* called back and finished already */
	if (gr != GETDNS_RETURN_GOOD && q->in_getdns) {
		q->in_getdns = false;
		inflight_unlink(r, q);
		return gr;
	}
	if (q->in_getdns)
		q->tid = tid;
	if (!q->begun) {
		/* One deadline for the whole lookup, whatever phases it goes
		 * through; from now, not from when this loop iteration began:
		 * a batch may have spent long in callbacks since. */
		q->begun = true;
		ev_now_update(r->loop);
		ev_timer_start(r->loop, &q->deadline);
	}
	return GETDNS_RETURN_GOOD;
}

/* Starts waiting lookups while there is room; from the loop only, never
 * inside a getdns callback. */
static void
drain_waiting(dns_resolver *r)
{
	while (!r->closing && r->waiting != NULL &&
	    r->n_inflight < r->max_inflight) {
		dns_query *q = r->waiting;
		getdns_return_t gr;

		if ((r->waiting = q->wait_next) == NULL)
			r->waiting_tail = &r->waiting;
		if (q->expired) { /* ran out while queued to be asked again */
			query_expire(r, q);
			continue;
		}
		gr = query_start(
		    r, q, q->name != NULL ? q->name : q->answer->qname);
		if (gr != GETDNS_RETURN_GOOD) {
			dns_decode_error(
			    q->answer, getdns_get_errorstr_by_id(gr));
			query_deliver(r, q);
		}
		free(q->name);
		q->name = NULL;
	}
}

int
dns_lookup(dns_resolver *r, const char *name, uint16_t qtype, dns_callback cb,
    void *arg, char *err, size_t errlen)
{
	getdns_return_t gr;
	dns_query *q;

	if (r->closing) {
		dns_errf(err, errlen, "resolver is shutting down");
		return -1;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->answer = dns_decode_new_answer(name, qtype)) == NULL) {
		free(q);
		dns_errf(err, errlen, "out of memory");
		return -1;
	}
	q->r = r;
	q->cb = cb;
	q->arg = arg;
	dns_canary_want_first(r);
	q->phase = r->keys != NULL ? QUERY_FAST : QUERY_FULL;
	ev_timer_init(&q->deadline, on_deadline, r->timeout_ms / 1e3, 0.);
	q->deadline.data = q;
	if (r->n_inflight >= r->max_inflight || r->waiting != NULL) {
		if ((q->name = strdup(name)) == NULL) {
			dns_answer_free(q->answer);
			free(q);
			dns_errf(err, errlen, "out of memory");
			return -1;
		}
		*r->waiting_tail = q;
		r->waiting_tail = &q->wait_next;
		r->pending++;
		return 0;
	}
	r->pending++;
	if ((gr = query_start(r, q, name)) == GETDNS_RETURN_GOOD)
		return 0;
	r->pending--;
	dns_answer_free(q->answer);
	free(q);
	dns_errf(err, errlen, "cannot look up %s %s: %s", name,
	    dns_type_name(qtype), getdns_get_errorstr_by_id(gr));
	return -1;
}

/* ------------------------------------------------------------------ */
/* Teardown                                                             */

/* Calls back every lookup not yet called back, with CANCELLED.  getdns is
 * gone by now, so nothing can be added behind our back; a callback that
 * tries dns_lookup() is refused because r->closing is set. */
static void
cancel_all(dns_resolver *r)
{
	dns_query *q;

	for (;;) {
		if ((q = r->inflight) != NULL) {
			inflight_unlink(r, q);
		} else if ((q = r->waiting) != NULL) {
			if ((r->waiting = q->wait_next) == NULL)
				r->waiting_tail = &r->waiting;
			free(q->name);
		} else if ((q = r->held) != NULL) {
			if ((r->held = q->ready_next) == NULL)
				r->held_tail = &r->held;
		} else if ((q = ready_pop(r)) == NULL) {
			break;
		}
		ev_timer_stop(r->loop, &q->deadline);
		getdns_dict_destroy(q->held);
		dns_decode_cancelled(q->answer);
		r->pending--;
		q->cb(q->answer, q->arg);
		free(q);
	}
}

void
dns_resolver_free(dns_resolver *r)
{
	if (r == NULL || r->closing)
		return;
	if (r->stats.lookups > 0)
		log_info(
		    "dns: %lu lookups: %lu secure against cached zone keys, "
		    "%lu validated in full by getdns, %lu zone key sets "
		    "validated",
		    r->stats.lookups, r->stats.cached_keys,
		    r->keys == NULL ? r->stats.lookups : r->stats.full,
		    r->stats.key_fetches);
	r->closing = true;
	ev_timer_stop(r->loop, &r->deliver);
	ev_timer_stop(r->loop, &r->canary.deadline);
	/* getdns calls on_getdns() with CANCEL for each lookup it still has,
	 * which moves them to r->ready (dns_query_ready() does not restart the
	 * timer while closing). */
	getdns_context_destroy(r->ctx);
	r->ctx = NULL;
	/* Only now: libunbound cleared its events through it just above. */
	dns_evloop_free(r->evloop);
	r->evloop = NULL;
	cancel_all(r);
	dns_keyfetch_discard(r);
	dns_keycache_free(r->keys);
	r->keys = NULL;
	dns_decode_anchor_zones_free(r->anchor_zones);
	r->anchor_zones = NULL;
	getdns_dict_destroy(r->extensions);
	getdns_dict_destroy(r->fast_extensions);
	r->extensions = r->fast_extensions = NULL;
	if (!r->delivering)
		free(r);
}
