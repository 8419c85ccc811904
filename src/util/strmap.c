/*
 * strmap.c -- chained hash map with FNV-1a hashing.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/strmap.h"

typedef struct entry {
	struct entry *next;
	void *value;
	uint32_t hash;
	char key[];
} entry;

struct strmap {
	entry **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
};

static uint32_t
fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

strmap *
strmap_new(void)
{
	strmap *m = calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->nbuckets = 64;
	m->buckets = calloc(m->nbuckets, sizeof(*m->buckets));
	if (m->buckets == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void
strmap_free(strmap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		entry *e = m->buckets[i];

		while (e != NULL) {
			entry *next = e->next;

			free(e);
			e = next;
		}
	}
	free(m->buckets);
	free(m);
}

static entry **
slot(const strmap *m, const char *key, uint32_t h)
{
	entry **p = &m->buckets[h & (m->nbuckets - 1)];

	while (*p != NULL && ((*p)->hash != h || strcmp((*p)->key, key) != 0))
		p = &(*p)->next;
	return p;
}

void *
strmap_get(const strmap *m, const char *key)
{
	entry *e = *slot(m, key, fnv1a(key));

	return e ? e->value : NULL;
}

/* Keeps chains short; a failed grow only costs speed. */
static void
grow(strmap *m)
{
	size_t n = m->nbuckets * 2;
	entry **b = calloc(n, sizeof(*b));

	if (b == NULL)
		return;
	for (size_t i = 0; i < m->nbuckets; i++) {
		entry *e = m->buckets[i];

		while (e != NULL) {
			entry *next = e->next;

			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(m->buckets);
	m->buckets = b;
	m->nbuckets = n;
}

int
strmap_put(strmap *m, const char *key, void *value)
{
	uint32_t h = fnv1a(key);
	entry **p = slot(m, key, h);
	size_t len;

	if (*p != NULL) {
		(*p)->value = value;
		return 0;
	}
	len = strlen(key);
	*p = malloc(sizeof(entry) + len + 1);
	if (*p == NULL)
		return -1;
	(*p)->next = NULL;
	(*p)->value = value;
	(*p)->hash = h;
	memcpy((*p)->key, key, len + 1);
	if (++m->count > m->nbuckets)
		grow(m);
	return 0;
}

void *
strmap_del(strmap *m, const char *key)
{
	entry **p = slot(m, key, fnv1a(key));
	entry *e = *p;
	void *v;

	if (e == NULL)
		return NULL;
	*p = e->next;
	v = e->value;
	free(e);
	m->count--;
	return v;
}

size_t
strmap_count(const strmap *m)
{
	return m->count;
}

void
strmap_each(
    const strmap *m, void (*fn)(const char *, void *, void *), void *arg)
{
	for (size_t i = 0; i < m->nbuckets; i++)
		for (entry *e = m->buckets[i]; e != NULL; e = e->next)
			fn(e->key, e->value, arg);
}
