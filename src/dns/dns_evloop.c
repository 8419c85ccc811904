/*
 * dns_evloop.c -- getdns_eventloop on libev, freed by its owner, not by
 * getdns (see dns_evloop.h for why).
 *
 * Each scheduled getdns event gets one watcher set (fd, timer), kept on a
 * list so that dns_evloop_free() can stop whatever getdns or libunbound
 * left behind instead of leaving libev to call into freed memory.
 *
 * One fd watcher for reading and writing, and when both are ready the
 * write callback runs first, as in getdns's default loop: libunbound
 * (recursive mode) opens its TCP sockets for TCP Fast Open, without
 * connect() (the first write connects), and waits to read and write at
 * once.  An unconnected socket is readable and writable; a read first
 * (getdns's libev extension: one watcher each, libev runs the read one
 * first) fails with ENOTCONN, "read (in tcp s) failed and this could be
 * because TCP Fast Open is enabled", and no truncated answer was ever
 * fetched over TCP in recursive mode.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>

#include "dns/dns_evloop.h"
#include "util/ev_compat.h"

typedef struct watchers watchers;
struct watchers {
	watchers *prev, *next; /* el->scheduled */
	getdns_eventloop_event *gev;
	ev_io io; /* EV_READ and/or EV_WRITE */
	ev_timer timer;
	bool *alive; /* set while on_io() runs: stopping resets it */
};

struct dns_evloop {
	getdns_eventloop base; /* first: getdns hands us this pointer */
	struct ev_loop *loop;
	watchers *scheduled;
	unsigned n_scheduled;
};

/* Write first, then read if the event is still scheduled and still
 * wants it: the write callback may clear or reschedule it. */
static void
on_io(struct ev_loop *loop, ev_io *io, int revents)
{
	watchers *w = io->data;
	getdns_eventloop_event *gev = w->gev;
	bool alive = true;

	(void)loop;
	w->alive = &alive;
	if ((revents & EV_WRITE) && gev->write_cb != NULL)
		gev->write_cb(gev->userarg);
	if (alive && (revents & EV_READ) && gev->read_cb != NULL)
		gev->read_cb(gev->userarg);
	if (alive)
		w->alive = NULL;
}

static void
on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	getdns_eventloop_event *gev = ((watchers *)w->data)->gev;

	(void)loop;
	(void)revents;
	gev->timeout_cb(gev->userarg);
}

/* `w->gev` is left alone: at dns_evloop_free() its owner may be gone. */
static void
watchers_stop(dns_evloop *el, watchers *w)
{
	ev_io_stop(el->loop, &w->io);
	ev_timer_stop(el->loop, &w->timer);
	if (w->alive != NULL)
		*w->alive = false;
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		el->scheduled = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	el->n_scheduled--;
	free(w);
}

/* getdns calls this once per event; `timeout` is in milliseconds. */
static getdns_return_t
el_schedule(getdns_eventloop *base, int fd, uint64_t timeout,
    getdns_eventloop_event *gev)
{
	dns_evloop *el = (dns_evloop *)base;
	watchers *w;

	if (gev == NULL || (fd < 0 && (gev->read_cb || gev->write_cb)))
		return GETDNS_RETURN_INVALID_PARAMETER;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return GETDNS_RETURN_MEMORY_ERROR;
	w->gev = gev;
	ev_io_init(&w->io, on_io, fd < 0 ? 0 : fd,
	    (gev->read_cb ? EV_READ : 0) | (gev->write_cb ? EV_WRITE : 0));
	ev_timer_init(&w->timer, on_timeout, (double)timeout / 1e3, 0.);
	w->io.data = w->timer.data = w;
	if (gev->read_cb || gev->write_cb)
		ev_io_start(el->loop, &w->io);
	if (gev->timeout_cb)
		ev_timer_start(el->loop, &w->timer);
	if ((w->next = el->scheduled) != NULL)
		w->next->prev = w;
	el->scheduled = w;
	el->n_scheduled++;
	gev->ev = w;
	return GETDNS_RETURN_GOOD;
}

static getdns_return_t
el_clear(getdns_eventloop *base, getdns_eventloop_event *gev)
{
	if (gev == NULL || gev->ev == NULL)
		return GETDNS_RETURN_GOOD;
	watchers_stop((dns_evloop *)base, gev->ev);
	gev->ev = NULL;
	return GETDNS_RETURN_GOOD;
}

/* getdns_context_destroy() calls this before libunbound lets go of its
 * events: freeing here is the bug this module exists to avoid. */
static void
el_cleanup(getdns_eventloop *base)
{
	(void)base;
}

static void
el_run(getdns_eventloop *base)
{
	ev_run(((dns_evloop *)base)->loop, 0);
}

static void
el_run_once(getdns_eventloop *base, int blocking)
{
	ev_run(
	    ((dns_evloop *)base)->loop, blocking ? EVRUN_ONCE : EVRUN_NOWAIT);
}

static getdns_eventloop_vmt el_vmt = {
	el_cleanup,
	el_schedule,
	el_clear,
	el_run,
	el_run_once,
};

dns_evloop *
dns_evloop_new(struct ev_loop *loop)
{
	dns_evloop *el = calloc(1, sizeof(*el));

	if (el == NULL)
		return NULL;
	el->base.vmt = &el_vmt;
	el->loop = loop;
	return el;
}

getdns_eventloop *
dns_evloop_base(dns_evloop *el)
{
	return &el->base;
}

unsigned
dns_evloop_scheduled(const dns_evloop *el)
{
	return el->n_scheduled;
}

void
dns_evloop_free(dns_evloop *el)
{
	if (el == NULL)
		return;
	while (el->scheduled != NULL)
		watchers_stop(el, el->scheduled);
	free(el);
}
