/*
 * dns_evloop.h -- getdns's event-loop interface (getdns_eventloop) on the
 * caller's libev loop, owned by us rather than by the getdns context.
 *
 * Why not getdns's own libev extension: getdns_context_destroy() (1.6.0,
 * context.c) frees its event-loop extension *before* ub_ctx_delete();
 * libunbound, which in recursive mode keeps the sockets and timers of
 * queries still under way (ub_cancel() only marks them cancelled), then
 * clears those events through getdns's ub_loop bridge, i.e. through the
 * extension just freed: use after free, SIGSEGV at exit whenever a
 * recursive lookup was pending.  This loop's cleanup does nothing; the
 * resolver frees it with dns_evloop_free() after getdns_context_destroy()
 * has returned, so libunbound clears its events through a live object.
 *
 * Ownership: dns_evloop_new() allocates; hand dns_evloop_base() to
 * getdns_context_set_eventloop(); dns_evloop_free() only once no context
 * uses it any more (it stops and frees any event still scheduled).  The
 * libev loop must outlive it.
 */
#ifndef DANEPROBE_DNS_EVLOOP_H
#define DANEPROBE_DNS_EVLOOP_H

#include <getdns/getdns_extra.h>

struct ev_loop;

typedef struct dns_evloop dns_evloop;

/* NULL when out of memory. */
dns_evloop *dns_evloop_new(struct ev_loop *loop);

/* What getdns_context_set_eventloop() takes; lives as long as el. */
getdns_eventloop *dns_evloop_base(dns_evloop *el);

/* Events getdns (or libunbound through it) has scheduled and not cleared. */
unsigned dns_evloop_scheduled(const dns_evloop *el);

void dns_evloop_free(dns_evloop *el); /* NULL-safe */

#endif
