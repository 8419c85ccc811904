/*
 * domain_list.h -- the set of mail domains one run probes, from the command
 * line and from list files (`daneprobe check -f FILE|-`).
 *
 * List file syntax: one domain per line; '#' starts a comment (whole line
 * or after the name); blank lines are ignored; surrounding blanks and a
 * CR before the newline are stripped.  Names are normalized with
 * dns_name_parse() (lower case, no trailing dot), so duplicates are
 * found whatever their spelling and kept once, in first-seen order -- a
 * Prometheus exposition must not repeat a series.  A bad line (invalid
 * name, two words, NUL byte, longer than DOMAIN_LIST_MAX_LINE) is reported
 * as "FILE:LINE: reason" and skipped; the rest of the file still counts.
 * A reason may quote the line: bytes that are not printable ASCII are
 * shown as \xHH (a backslash as \\), so no escape sequence in a file
 * reaches the terminal, and the reason is cut ("...") at
 * DOMAIN_LIST_MAX_ECHO characters.
 *
 * Ownership: the list owns its names; domain_list_free() releases them.
 */
#ifndef DANEPROBE_DOMAIN_LIST_H
#define DANEPROBE_DOMAIN_LIST_H

#include <stdio.h>
#include <stddef.h>

/* Longest accepted line, newline excluded: a name (253) plus room for a
 * comment.  Longer lines are skipped whole, never split. */
#define DOMAIN_LIST_MAX_LINE 1024

/* Longest reason echoed for a bad line, after escaping. */
#define DOMAIN_LIST_MAX_ECHO 120

/* Upper bound on names per run, so a runaway file cannot exhaust memory. */
#define DOMAIN_LIST_MAX_NAMES 100000

typedef struct domain_list {
	char **names; /* owned, normalized */
	size_t n;
	size_t cap;
	/* name -> index + 1 (as a pointer), so duplicate detection stays
	 * linear for long lists; NULL until the first name. */
	struct strmap *index;
} domain_list;

void domain_list_init(domain_list *l);
void domain_list_free(domain_list *l); /* frees the names; NULL-safe */

/*
 * Normalizes `name` and appends it unless already present.  Returns 1 when
 * added, 0 when it was a duplicate, -1 with a reason in err when the name
 * is invalid, the list is full, or memory ran out.
 */
int domain_list_add(domain_list *l, const char *name, char *err, size_t errlen);

/*
 * Reads names from `in` (not closed).  `label` names the source in
 * messages ("-" shows as "<stdin>").  Each bad line is reported on `diag`
 * (may be NULL) and skipped, and counted in *n_bad (may be NULL).
 * Returns 0, or -1 with a reason in err on a read error or when memory ran
 * out; names read before the error stay in the list.
 */
int domain_list_read(domain_list *l, FILE *in, const char *label, FILE *diag,
    size_t *n_bad, char *err, size_t errlen);

/* Position of a (normalized) name in the list, or l->n when absent.
 * O(1): lets results that finish out of order be put back in list order. */
size_t domain_list_index(const domain_list *l, const char *name);

/* Opens `path` ("-" is standard input) and calls domain_list_read(). */
int domain_list_load(domain_list *l, const char *path, FILE *diag,
    size_t *n_bad, char *err, size_t errlen);

#endif
