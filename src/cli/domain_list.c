/*
 * domain_list.c -- domains to probe: normalized, de-duplicated, read from
 * list files with bounded lines.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/domain_list.h"
#include "dns/dns_name.h"
#include "util/strmap.h"
#include "util/text_escape.h"

void
domain_list_init(domain_list *l)
{
	memset(l, 0, sizeof(*l));
}

void
domain_list_free(domain_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	strmap_free(l->index);
	domain_list_init(l);
}

size_t
domain_list_index(const domain_list *l, const char *name)
{
	/* The map holds index + 1, so an absent name (NULL) gives l->n. */
	uintptr_t slot = l->index ? (uintptr_t)strmap_get(l->index, name) : 0;

	return slot != 0 ? (size_t)(slot - 1) : l->n;
}

static int
grow_names(domain_list *l)
{
	size_t cap = l->cap ? l->cap * 2 : 16;
	char **names = realloc(l->names, cap * sizeof(*names));

	if (names == NULL)
		return -1;
	l->names = names;
	l->cap = cap;
	return 0;
}

int
domain_list_add(domain_list *l, const char *name, char *err, size_t errlen)
{
	char norm[256];

	if (dns_name_parse(name, norm, sizeof(norm), err, errlen) != 0)
		return -1;
	if (l->index == NULL && (l->index = strmap_new()) == NULL)
		goto oom;
	if (strmap_get(l->index, norm) != NULL)
		return 0;
	if (l->n >= DOMAIN_LIST_MAX_NAMES) {
		snprintf(
		    err, errlen, "more than %d domains", DOMAIN_LIST_MAX_NAMES);
		return -1;
	}
	if (l->n == l->cap && grow_names(l) != 0)
		goto oom;
	if ((l->names[l->n] = strdup(norm)) == NULL)
		goto oom;
	if (strmap_put(l->index, norm, (void *)(uintptr_t)(l->n + 1)) != 0) {
		free(l->names[l->n]);
		goto oom;
	}
	l->n++;
	return 1;
oom:
	snprintf(err, errlen, "out of memory");
	return -1;
}

typedef struct line_buf {
	char text[DOMAIN_LIST_MAX_LINE + 1];
	size_t len;
	bool too_long;
	bool has_nul;
} line_buf;

/* Reads one line (without its newline) into lb.  Returns false at end of
 * input with nothing read. */
static bool
read_line(FILE *in, line_buf *lb)
{
	int c;
	bool any = false;

	lb->len = 0;
	lb->too_long = lb->has_nul = false;
	while ((c = getc(in)) != EOF) {
		any = true;
		if (c == '\n')
			break;
		if (c == '\0')
			lb->has_nul = true;
		if (lb->len < DOMAIN_LIST_MAX_LINE)
			lb->text[lb->len++] = (char)c;
		else
			lb->too_long = true;
	}
	lb->text[lb->len] = '\0';
	return any;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* Cuts the comment and surrounding blanks; returns the word, "" for a
 * blank line, or NULL (with a reason) when there is more than one word. */
static const char *
line_word(char *s, const char **why)
{
	char *hash = strchr(s, '#'), *end;

	if (hash != NULL)
		*hash = '\0';
	while (is_blank(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_blank(end[-1]))
		*--end = '\0';
	for (char *p = s; *p; p++)
		if (is_blank(*p)) {
			*why = "more than one word (one domain per line)";
			return NULL;
		}
	return s;
}

static void
report_bad(FILE *diag, const char *label, size_t lineno, const char *why,
    size_t *n_bad)
{
	char label_esc[1024], why_esc[DOMAIN_LIST_MAX_ECHO + 4];

	if (diag != NULL) {
		text_escape(label, sizeof(label_esc) - 4, true, label_esc,
		    sizeof(label_esc));
		/* A bad name is quoted escaped already (dns_name_parse):
		 * its backslashes are escapes, not to be doubled. */
		text_escape(
		    why, DOMAIN_LIST_MAX_ECHO, false, why_esc, sizeof(why_esc));
		fprintf(diag, "daneprobe: %s:%zu: %s; line skipped\n",
		    label_esc, lineno, why_esc);
	}
	if (n_bad != NULL)
		(*n_bad)++;
}

int
domain_list_read(domain_list *l, FILE *in, const char *label, FILE *diag,
    size_t *n_bad, char *err, size_t errlen)
{
	line_buf lb;
	char why[300];
	const char *word, *reason = NULL;
	size_t lineno = 0;

	if (strcmp(label, "-") == 0)
		label = "<stdin>";
	while (read_line(in, &lb)) {
		lineno++;
		if (lb.too_long || lb.has_nul) {
			report_bad(diag, label, lineno,
			    lb.too_long ? "line too long" : "NUL byte in line",
			    n_bad);
			continue;
		}
		if ((word = line_word(lb.text, &reason)) == NULL) {
			report_bad(diag, label, lineno, reason, n_bad);
			continue;
		}
		if (*word == '\0')
			continue;
		if (domain_list_add(l, word, why, sizeof(why)) < 0) {
			if (strcmp(why, "out of memory") == 0 ||
			    l->n >= DOMAIN_LIST_MAX_NAMES) {
				snprintf(err, errlen, "%s:%zu: %s", label,
				    lineno, why);
				return -1;
			}
			report_bad(diag, label, lineno, why, n_bad);
		}
	}
	if (ferror(in)) {
		snprintf(
		    err, errlen, "%s: read error: %s", label, strerror(errno));
		return -1;
	}
	return 0;
}

int
domain_list_load(domain_list *l, const char *path, FILE *diag, size_t *n_bad,
    char *err, size_t errlen)
{
	FILE *in;
	int rc;

	if (strcmp(path, "-") == 0)
		return domain_list_read(
		    l, stdin, "-", diag, n_bad, err, errlen);
	if ((in = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = domain_list_read(l, in, path, diag, n_bad, err, errlen);
	fclose(in);
	return rc;
}
