/*
 * conn_limiter.h -- bounds concurrent connections per address and overall.
 *
 * A hoster's MX address may serve thousands of the domains in a batch; it
 * must never see more than `per_key` connections from us at once
 * (--per-host), and the whole run must stay under the file-descriptor
 * limit (`global`).  Callers ask for a slot; the start function runs at
 * once when one is free, or later, from conn_limiter_release(), in FIFO
 * order.  O(1) per operation.
 *
 * Ownership: the waiter is caller storage and must stay valid until its
 * start function ran or conn_limiter_cancel() removed it.
 */
#ifndef DANEPROBE_CONN_LIMITER_H
#define DANEPROBE_CONN_LIMITER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct conn_limiter conn_limiter;
typedef struct conn_slot conn_slot;

typedef struct conn_waiter {
	struct conn_waiter *next;
	struct conn_waiter **pprev; /* link in the queue that holds it */
	unsigned char where; /* 0 running/idle, 1 key queue, 2 global queue */
	conn_slot *slot;
	void (*start)(void *arg);
	void *arg;
} conn_waiter;

/* 0 means unlimited. */
conn_limiter *conn_limiter_new(unsigned per_key, unsigned global);
void conn_limiter_free(conn_limiter *l);

/* Returns -1 on allocation failure (start is not called), else 0. */
int conn_limiter_acquire(conn_limiter *l, const char *key, conn_waiter *w,
    void (*start)(void *arg), void *arg);
/* Gives back the slot the waiter was started with. */
void conn_limiter_release(conn_limiter *l, conn_waiter *w);
/* Removes a waiter that has not started yet (no-op otherwise). */
void conn_limiter_cancel(conn_limiter *l, conn_waiter *w);

/* Forgets the keys nobody holds or waits for (and their peaks), so that a
 * long-lived limiter does not keep every address it ever saw.  Returns
 * how many it forgot. */
size_t conn_limiter_prune(conn_limiter *l);

/* Highest number of simultaneous slots ever given out for key (tests). */
unsigned conn_limiter_peak(const conn_limiter *l, const char *key);
unsigned conn_limiter_active(const conn_limiter *l);

#endif
