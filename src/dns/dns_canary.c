/*
 * dns_canary.c -- local failures: whether a failed lookup is the name's
 * fault or the prober's, who reaches no DNS server at all
 * (dns_resolver.h).  ". NS", the canary, is asked with the first lookup
 * and again when a failure comes with no reply seen since that lookup
 * began; such failures are held until it has spoken.
 */
#include "config.h"

#include <stdio.h>
#include <time.h>

#include <getdns/getdns.h>

#include "dns/dns_reply.h"
#include "dns/dns_resolver_internal.h"
#include "util/log.h"

static void on_canary_deadline(struct ev_loop *loop, ev_timer *w, int revents);

void
dns_canary_init(dns_resolver *r)
{
	ev_timer_init(
	    &r->canary.deadline, on_canary_deadline, r->timeout_ms / 1e3, 0.);
	r->canary.deadline.data = r;
}

void
dns_canary_want_first(dns_resolver *r)
{
	if (r->canary.state == CANARY_IDLE && !r->canary.wanted) {
		r->canary.wanted = true;
		dns_resolver_kick(r);
	}
}

static bool
ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Whether `a` came back from a server.  In stub mode any reply of the
 * resolver, SERVFAIL too: it is up, and its SERVFAIL is about the name.
 * In recursive mode only NOERROR and NXDOMAIN: libunbound makes up a
 * SERVFAIL (or echoes the query) when it reaches no server at all. */
static bool
is_reply(const dns_resolver *r, const dns_answer *a)
{
	switch (a->status) {
	case DNS_STATUS_OK:
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN:
		return true;
	case DNS_STATUS_SERVFAIL:
		return r->upstream[0] != '\0';
	default:
		return false;
	}
}

void
dns_canary_note_reply(dns_resolver *r, const dns_answer *a)
{
	if (!is_reply(r, a))
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->last_reply);
	r->heard = true;
}

/* Whether some server replied to anything since t. */
static bool
heard_since(const dns_resolver *r, const struct timespec *t)
{
	return r->heard && !ts_before(&r->last_reply, t);
}

static bool
is_no_answer(const dns_resolver *r, const dns_answer *a)
{
	return a->status == DNS_STATUS_TIMEOUT ||
	    a->status == DNS_STATUS_ERROR ||
	    (a->status == DNS_STATUS_SERVFAIL && !is_reply(r, a));
}

/* The failure was the prober's: say so, and what to check. */
static void
set_local_failure(const dns_resolver *r, dns_answer *a)
{
	double s = r->timeout_ms / 1e3;

	a->local_failure = true;
	if (r->upstream[0] == '\0')
		snprintf(a->reason, sizeof(a->reason),
		    "no DNS server answered "
		    "within %.1f s, not even a root server: check outbound "
		    "port 53 (UDP and TCP), or use --resolver",
		    s);
	else if (a->status == DNS_STATUS_TIMEOUT)
		snprintf(a->reason, sizeof(a->reason),
		    "no answer from "
		    "resolver %s within %.1f s, not even for the root: is it "
		    "running, and open to this host over TCP?",
		    r->upstream, s);
	else
		snprintf(a->reason, sizeof(a->reason),
		    "no answer from "
		    "resolver %s (TCP connection failed): is it running, and "
		    "open to this host over TCP?",
		    r->upstream);
}

/* Holds q's failure until the canary has spoken, unless the answer is
 * already clear: a reply since q began means DNS works (the failure is
 * the name's); a canary silent since q began means nothing answers. */
bool
dns_canary_hold(dns_resolver *r, dns_query *q)
{
	dns_canary *c = &r->canary;

	if (r->closing || !is_no_answer(r, q->answer) ||
	    heard_since(r, &q->started))
		return false;
	if (c->state == CANARY_SILENT && !ts_before(&c->ended, &q->started)) {
		set_local_failure(r, q->answer);
		return false;
	}
	q->ready_next = NULL;
	*r->held_tail = q;
	r->held_tail = &q->ready_next;
	if (c->state != CANARY_RUNNING) {
		c->wanted = true;
		dns_resolver_kick(r);
	}
	return true;
}

/* The canary has spoken: every held failure goes to its caller. */
static void
release_held(dns_resolver *r)
{
	dns_query *q;

	while ((q = r->held) != NULL) {
		if ((r->held = q->ready_next) == NULL)
			r->held_tail = &r->held;
		if (!heard_since(r, &q->started))
			set_local_failure(r, q->answer);
		dns_query_ready(r, q);
	}
}

static void
canary_done(dns_resolver *r, bool answered)
{
	dns_canary *c = &r->canary;

	ev_timer_stop(r->loop, &c->deadline);
	c->state = answered ? CANARY_ANSWERED : CANARY_SILENT;
	clock_gettime(CLOCK_MONOTONIC, &c->ended);
	if (answered) {
		r->last_reply = c->ended;
		r->heard = true;
	}
	log_debug(
	    "dns: canary \". NS\": %s", answered ? "answered" : "no answer");
	release_held(r);
}

static void
on_canary(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp,
    void *userarg, getdns_transaction_t tid)
{
	dns_resolver *r = userarg;
	dns_answer *a;

	(void)ctx;
	(void)tid;
	if (r->closing || r->canary.state != CANARY_RUNNING) {
		getdns_dict_destroy(resp);
		return;
	}
	if ((a = dns_decode_new_answer(".", DNS_TYPE_NS)) != NULL)
		dns_decode_response(r, a, type, resp);
	getdns_dict_destroy(resp);
	canary_done(r, a != NULL && is_reply(r, a));
	dns_answer_free(a);
}

static void
on_canary_deadline(struct ev_loop *loop, ev_timer *w, int revents)
{
	dns_resolver *r = w->data;

	(void)loop;
	(void)revents;
	if (!dns_resolver_cancel(r, r->canary.tid) &&
	    r->canary.state == CANARY_RUNNING)
		canary_done(r, false);
}

/* Asks ". NS", without DNSSEC: only whether anything answers matters.
 * From the loop only (on_deliver()). */
static void
canary_start(dns_resolver *r)
{
	dns_canary *c = &r->canary;
	getdns_return_t gr;

	c->wanted = false;
	if (r->closing || c->state == CANARY_RUNNING)
		return;
	c->state = CANARY_RUNNING;
	ev_timer_set(&c->deadline, r->timeout_ms / 1e3, 0.);
	ev_now_update(r->loop);
	ev_timer_start(r->loop, &c->deadline);
	gr = getdns_general(
	    r->ctx, ".", DNS_TYPE_NS, NULL, r, &c->tid, on_canary);
	if (gr != GETDNS_RETURN_GOOD && c->state == CANARY_RUNNING)
		canary_done(r, false);
}

void
dns_canary_start_wanted(dns_resolver *r)
{
	if (r->canary.wanted)
		canary_start(r);
}
