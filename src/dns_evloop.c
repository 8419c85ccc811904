#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include <getdns/getdns_extra.h>

#include "dns_evloop.h"

typedef struct evl_event evl_event;

/* The extension: getdns sees only base (first member). */
typedef struct evloop {
	getdns_eventloop base;
	struct ev_loop *loop;
	evl_event *events;        /* scheduled and not cleared, doubly linked */
	bool closed;              /* getdns called cleanup(): see evl_cleanup() */
} evloop;

/* One scheduled getdns event: el->ev points here. */
struct evl_event {
	evl_event *prev, *next;   /* owner->events */
	ev_io io;                 /* fd events, when a read or write callback is set */
	ev_timer timer;           /* when a timeout callback is set */
	getdns_eventloop_event *el;
	bool *alive;              /* set while a callback runs: clear() resets it */
};

/* getdns's "no timeout" (TIMEOUT_FOREVER in its sources). */
#define EVLOOP_FOREVER ((uint64_t)-1)

static void
evl_stop(evloop *l, evl_event *e)
{
	ev_io_stop(l->loop, &e->io);
	ev_timer_stop(l->loop, &e->timer);
}

static getdns_return_t
evl_clear(getdns_eventloop *base, getdns_eventloop_event *el)
{
	evloop *l = (evloop *)base;
	evl_event *e = el->ev;

	if (e == NULL)
		return GETDNS_RETURN_GOOD;
	evl_stop(l, e);
	if (e->alive != NULL)
		*e->alive = false;
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		l->events = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	free(e);
	el->ev = NULL;
	if (l->closed && l->events == NULL)
		free(l);
	return GETDNS_RETURN_GOOD;
}

/* The write callback first (it may be the one that connects the socket),
 * then the read callback, if the event still exists and still wants it:
 * each callback may clear or reschedule it. */
static void
on_io(struct ev_loop *loop, ev_io *w, int revents)
{
	evl_event *e = w->data;
	getdns_eventloop_event *el = e->el;
	bool alive = true;

	(void)loop;
	e->alive = &alive;
	if ((revents & EV_WRITE) && el->write_cb != NULL)
		el->write_cb(el->userarg);
	if (alive && (revents & EV_READ) && el->read_cb != NULL)
		el->read_cb(el->userarg);
	if (alive)
		e->alive = NULL;
}

static void
on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	evl_event *e = w->data;

	(void)loop;
	(void)revents;
	e->el->timeout_cb(e->el->userarg);
}

static getdns_return_t
evl_schedule(getdns_eventloop *base, int fd, uint64_t timeout,
    getdns_eventloop_event *el)
{
	evloop *l = (evloop *)base;
	int events = (el->read_cb != NULL ? EV_READ : 0) |
	    (el->write_cb != NULL ? EV_WRITE : 0);
	evl_event *e;

	if (l->closed)
		return GETDNS_RETURN_GENERIC_ERROR;
	if ((events != 0 && fd < 0) ||
	    (events == 0 && el->timeout_cb == NULL))
		return GETDNS_RETURN_INVALID_PARAMETER;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return GETDNS_RETURN_MEMORY_ERROR;
	e->el = el;
	el->ev = e;
	if ((e->next = l->events) != NULL)
		e->next->prev = e;
	l->events = e;
	ev_io_init(&e->io, on_io, fd, events);
	e->io.data = e;
	ev_timer_init(&e->timer, on_timer, (double)timeout / 1e3, 0.);
	e->timer.data = e;
	if (events != 0)
		ev_io_start(l->loop, &e->io);
	if (el->timeout_cb != NULL && timeout != EVLOOP_FOREVER)
		ev_timer_start(l->loop, &e->timer);
	return GETDNS_RETURN_GOOD;
}

static void
evl_run(getdns_eventloop *base)
{
	(void)ev_run(((evloop *)base)->loop, 0);
}

static void
evl_run_once(getdns_eventloop *base, int blocking)
{
	(void)ev_run(((evloop *)base)->loop, blocking ? EVRUN_ONCE :
	    EVRUN_NOWAIT);
}

/*
 * getdns_context_destroy() (getdns 1.6.0) calls this before it deletes its
 * libunbound context, which then clears its events (open TCP connections
 * to authoritative servers, after a truncated answer) through this very
 * extension: freed here, that was a call through freed memory (SIGSEGV at
 * teardown).  So nothing fires any more from here on, and the extension
 * goes with its last event.  Events never cleared keep it (a few bytes).
 */
static void
evl_cleanup(getdns_eventloop *base)
{
	evloop *l = (evloop *)base;

	l->closed = true;
	for (evl_event *e = l->events; e != NULL; e = e->next)
		evl_stop(l, e);
	if (l->events == NULL)
		free(l);
}

getdns_return_t
dns_evloop_attach(getdns_context *ctx, struct ev_loop *loop)
{
	static getdns_eventloop_vmt vmt = {
		evl_cleanup, evl_schedule, evl_clear, evl_run, evl_run_once,
	};
	getdns_return_t gr;
	evloop *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return GETDNS_RETURN_MEMORY_ERROR;
	l->base.vmt = &vmt;
	l->loop = loop;
	if ((gr = getdns_context_set_eventloop(ctx, &l->base)))
		free(l);
	return gr;
}
