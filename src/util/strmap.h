/*
 * strmap.h -- a small string-keyed hash map (chained, grows by doubling).
 *
 * Used where a batch of thousands of domains must share work: host jobs by
 * MX host name, connection slots by address.  Lookups are O(1) on average
 * so nothing in the engine scans lists of domains.
 *
 * Ownership: the map copies keys; values are borrowed pointers that the
 * map never frees.  strmap_free() frees the map and its keys only.
 */
#ifndef DANEPROBE_STRMAP_H
#define DANEPROBE_STRMAP_H

#include <stddef.h>

typedef struct strmap strmap;

strmap *strmap_new(void);
void strmap_free(strmap *m);

void *strmap_get(const strmap *m, const char *key);
/* Inserts or replaces; returns 0, or -1 on allocation failure. */
int strmap_put(strmap *m, const char *key, void *value);
/* Removes key if present; returns the old value or NULL. */
void *strmap_del(strmap *m, const char *key);
size_t strmap_count(const strmap *m);

/* Calls fn for every entry (order unspecified); fn must not modify m. */
void strmap_each(const strmap *m,
    void (*fn)(const char *key, void *value, void *arg), void *arg);

#endif
