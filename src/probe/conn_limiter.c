/*
 * conn_limiter.c -- per-key FIFO queues plus one global FIFO.
 *
 * A waiter blocked by its key's limit waits in that key's queue; one
 * blocked only by the global limit waits in the global queue.  A release
 * first serves the released key's queue, then the global queue, so no
 * operation scans all waiters.
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "probe/conn_limiter.h"
#include "util/strmap.h"

struct conn_slot {
	unsigned active;
	unsigned peak;
	bool pinned; /* conn_limiter_prune(): a global waiter needs it */
	conn_waiter *head, **tail;
};

struct conn_limiter {
	unsigned per_key, global;
	unsigned active;
	strmap *slots;
	conn_waiter *ghead, **gtail;
};

static void
q_push(conn_waiter ***tail, conn_waiter *w)
{
	w->next = NULL;
	w->pprev = *tail;
	**tail = w;
	*tail = &w->next;
}

static conn_waiter *
q_remove(conn_waiter ***tail, conn_waiter *w)
{
	*w->pprev = w->next;
	if (w->next != NULL)
		w->next->pprev = w->pprev;
	else
		*tail = w->pprev;
	w->pprev = NULL;
	w->next = NULL;
	w->where = 0;
	return w;
}
conn_limiter *
conn_limiter_new(unsigned per_key, unsigned global)
{
	conn_limiter *l = calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->slots = strmap_new();
	if (l->slots == NULL) {
		free(l);
		return NULL;
	}
	l->per_key = per_key;
	l->global = global;
	l->gtail = &l->ghead;
	return l;
}

static void
free_slot(const char *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

void
conn_limiter_free(conn_limiter *l)
{
	if (l == NULL)
		return;
	strmap_each(l->slots, free_slot, NULL);
	strmap_free(l->slots);
	free(l);
}

static bool
key_has_room(const conn_limiter *l, const conn_slot *s)
{
	return l->per_key == 0 || s->active < l->per_key;
}

static bool
global_has_room(const conn_limiter *l)
{
	return l->global == 0 || l->active < l->global;
}

static void
grant(conn_limiter *l, conn_waiter *w)
{
	w->slot->active++;
	if (w->slot->active > w->slot->peak)
		w->slot->peak = w->slot->active;
	l->active++;
	w->start(w->arg);
}

int
conn_limiter_acquire(conn_limiter *l, const char *key, conn_waiter *w,
    void (*start)(void *arg), void *arg)
{
	conn_slot *s = strmap_get(l->slots, key);

	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL || strmap_put(l->slots, key, s) != 0) {
			free(s);
			return -1;
		}
		s->tail = &s->head;
	}
	w->slot = s;
	w->start = start;
	w->arg = arg;
	w->where = 0;
	if (!key_has_room(l, s)) {
		q_push(&s->tail, w);
		w->where = 1;
	} else if (!global_has_room(l)) {
		q_push(&l->gtail, w);
		w->where = 2;
	} else {
		grant(l, w);
	}
	return 0;
}

void
conn_limiter_cancel(conn_limiter *l, conn_waiter *w)
{
	if (w->where == 1)
		q_remove(&w->slot->tail, w);
	else if (w->where == 2)
		q_remove(&l->gtail, w);
}

/* Serves the released key first, then whoever waits on the global cap. */
void
conn_limiter_release(conn_limiter *l, conn_waiter *w)
{
	conn_slot *s = w->slot;

	if (s->active > 0)
		s->active--;
	if (l->active > 0)
		l->active--;
	if (s->head != NULL && global_has_room(l))
		grant(l, q_remove(&s->tail, s->head));
	while (l->ghead != NULL && global_has_room(l)) {
		conn_waiter *g = q_remove(&l->gtail, l->ghead);

		if (key_has_room(l, g->slot)) {
			grant(l, g);
		} else {
			q_push(&g->slot->tail, g);
			g->where = 1;
		}
	}
}

unsigned
conn_limiter_peak(const conn_limiter *l, const char *key)
{
	const conn_slot *s = strmap_get(l->slots, key);

	return s ? s->peak : 0;
}

unsigned
conn_limiter_active(const conn_limiter *l)
{
	return l->active;
}

/* The idle keys, collected first: strmap_each() must not see the map
 * change under it. */
typedef struct prune_list {
	char **keys;
	size_t n, cap;
	bool oom;
} prune_list;

static void
collect_idle(const char *key, void *value, void *arg)
{
	const conn_slot *s = value;
	prune_list *p = arg;
	char **grown;

	if (s->active != 0 || s->head != NULL || s->pinned || p->oom)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		if ((grown = realloc(p->keys, cap * sizeof(*grown))) == NULL) {
			p->oom = true;
			return;
		}
		p->keys = grown;
		p->cap = cap;
	}
	if ((p->keys[p->n] = strdup(key)) == NULL)
		p->oom = true;
	else
		p->n++;
}

size_t
conn_limiter_prune(conn_limiter *l)
{
	prune_list p = { .keys = NULL };

	/* A waiter queued on the global cap points at its key's slot. */
	for (conn_waiter *w = l->ghead; w != NULL; w = w->next)
		w->slot->pinned = true;
	strmap_each(l->slots, collect_idle, &p);
	for (conn_waiter *w = l->ghead; w != NULL; w = w->next)
		w->slot->pinned = false;
	for (size_t i = 0; i < p.n; i++) {
		free(strmap_del(l->slots, p.keys[i]));
		free(p.keys[i]);
	}
	free(p.keys);
	return p.n;
}
