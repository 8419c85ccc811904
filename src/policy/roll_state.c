/*
 * roll_state.c -- the rollover state file and the order of its steps.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/roll_state.h"
#include "util/output_file.h"
#include "util/parse.h"

static const char magic[] = "daneprobe-rollover-state 1";

static const char *const step_names[ROLL_STEP_COUNT] = { "none", "stage",
	"publish", "wait", "switch", "retire" };

const char *
roll_step_name(roll_step s)
{
	return (unsigned)s < ROLL_STEP_COUNT ? step_names[s] : "unknown";
}

int
roll_step_parse(const char *name)
{
	for (int i = 0; i < ROLL_STEP_COUNT; i++)
		if (strcmp(name, step_names[i]) == 0)
			return i;
	return -1;
}

void
roll_state_init(roll_state *s)
{
	memset(s, 0, sizeof(*s));
	s->port = 25;
	snprintf(s->next_alg, sizeof(s->next_alg), "ec");
}

/* ============================================================ the file */

typedef enum field_kind { F_TEXT, F_INT, F_TIME, F_STEP } field_kind;

typedef struct field {
	const char *name;
	field_kind kind;
	size_t off;  /* in roll_state */
	size_t size; /* F_TEXT: the buffer */
	bool required;
} field;

#define TEXT(n, req) \
	{ \
#n, F_TEXT, offsetof(roll_state, n), \
		    sizeof(((roll_state *)0)->n), req \
	}
static const field fields[] = {
	TEXT(host, true),
	{ "port", F_INT, offsetof(roll_state, port), 0, true },
	TEXT(zone, true),
	TEXT(cert, true),
	TEXT(key, true),
	TEXT(next_key, true),
	TEXT(next_alg, true),
	TEXT(current_spki, true),
	TEXT(next_spki, false),
	{ "done", F_STEP, offsetof(roll_state, done), 0, true },
	{ "doing", F_STEP, offsetof(roll_state, doing), 0, true },
	{ "ttl", F_INT, offsetof(roll_state, ttl), 0, false },
	{ "visible_at", F_TIME, offsetof(roll_state, visible_at), 0, false },
	{ "switched_at", F_TIME, offsetof(roll_state, switched_at), 0, false },
	{ "updated", F_TIME, offsetof(roll_state, updated), 0, false },
};
#undef TEXT
enum { N_FIELDS = sizeof(fields) / sizeof(fields[0]) };

static int
format_field(const roll_state *s, const field *f, char *buf, size_t len)
{
	const char *base = (const char *)s + f->off;

	switch (f->kind) {
	case F_TEXT:
		if (strchr(base, '\n') != NULL || strchr(base, '\r') != NULL)
			return -1;
		return snprintf(buf, len, "%s=%s\n", f->name, base);
	case F_INT:
		/* port and ttl: an int and a uint32_t, both within long */
		return snprintf(buf, len, "%s=%ld\n", f->name,
		    f->off == offsetof(roll_state, ttl) ? (long)s->ttl :
		                                          (long)s->port);
	case F_TIME:
		return snprintf(buf, len, "%s=%lld\n", f->name,
		    (long long)*(const time_t *)base);
	case F_STEP:
		return snprintf(buf, len, "%s=%s\n", f->name,
		    roll_step_name(*(const roll_step *)base));
	}
	return -1;
}

int
roll_state_format(const roll_state *s, char *buf, size_t len)
{
	size_t used = 0;
	int n = snprintf(buf, len, "%s\n", magic);

	if (n < 0 || (size_t)n >= len)
		return -1;
	used = (size_t)n;
	for (size_t i = 0; i < N_FIELDS; i++) {
		n = format_field(s, &fields[i], buf + used, len - used);
		if (n < 0 || (size_t)n >= len - used)
			return -1;
		used += (size_t)n;
	}
	n = snprintf(buf + used, len - used, "end\n");
	if (n < 0 || (size_t)n >= len - used)
		return -1;
	return (int)(used + (size_t)n);
}

static int
parse_value(roll_state *s, const field *f, const char *v)
{
	char *base = (char *)s + f->off;
	long l;
	long long ll;
	char *end;
	int step;

	switch (f->kind) {
	case F_TEXT:
		if (strlen(v) >= f->size)
			return -1;
		memcpy(base, v, strlen(v) + 1);
		return 0;
	case F_INT:
		if (f->off == offsetof(roll_state, ttl)) {
			if (parse_long(v, 0, 2147483647L, &l) != 0)
				return -1;
			s->ttl = (uint32_t)l;
		} else {
			if (parse_long(v, 1, 65535, &l) != 0)
				return -1;
			s->port = (int)l;
		}
		return 0;
	case F_TIME:
		errno = 0;
		ll = strtoll(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0' || ll < 0)
			return -1;
		*(time_t *)base = (time_t)ll;
		return 0;
	case F_STEP:
		if ((step = roll_step_parse(v)) < 0)
			return -1;
		*(roll_step *)base = (roll_step)step;
		return 0;
	}
	return -1;
}

/* One "key=value" line; 0 or -1 with why. */
static int
parse_line(
    char *line, roll_state *s, bool seen[N_FIELDS], char *why, size_t whylen)
{
	char *eq = strchr(line, '=');
	size_t i;

	if (eq == NULL) {
		snprintf(why, whylen, "not key=value");
		return -1;
	}
	*eq = '\0';
	for (i = 0; i < N_FIELDS && strcmp(fields[i].name, line) != 0; i++)
		;
	if (i == N_FIELDS) {
		snprintf(why, whylen, "unknown field \"%.40s\"", line);
		return -1;
	}
	if (seen[i]) {
		snprintf(why, whylen, "%s given twice", line);
		return -1;
	}
	seen[i] = true;
	if (parse_value(s, &fields[i], eq + 1) != 0) {
		snprintf(why, whylen, "bad value for %s", line);
		return -1;
	}
	return 0;
}

/* Cross-field checks: what a writer of this code never produces. */
static int
check_consistent(const roll_state *s, char *why, size_t whylen)
{
	/* switch right after publish: the test-only override */
	bool skipped =
	    s->doing == ROLL_STEP_SWITCH && s->done == ROLL_STEP_PUBLISH;

	if (s->doing != ROLL_STEP_NONE && s->doing != s->done + 1 && !skipped)
		snprintf(why, whylen, "doing=%s does not follow done=%s",
		    roll_step_name(s->doing), roll_step_name(s->done));
	else if (s->done >= ROLL_STEP_STAGE && strlen(s->next_spki) != 64)
		snprintf(why, whylen,
		    "the next key is staged but next_spki "
		    "is not a SHA-256");
	else if (strlen(s->current_spki) != 64)
		snprintf(why, whylen, "current_spki is not a SHA-256");
	else if (s->host[0] == '\0' || s->zone[0] == '\0')
		snprintf(why, whylen, "host or zone is empty");
	else
		return 0;
	return -1;
}

int
roll_state_parse(const char *text, roll_state *s, char *err, size_t errlen)
{
	bool seen[N_FIELDS] = { false };
	char line[1200], why[200];
	const char *p = text;
	int lineno = 0;
	bool ended = false;

	roll_state_init(s);
	while (*p != '\0' && !ended) {
		size_t n = strcspn(p, "\n");

		lineno++;
		if (p[n] != '\n' || n >= sizeof(line)) {
			snprintf(err, errlen, "line %d: %s", lineno,
			    p[n] != '\n' ? "cut off (the file is torn)" :
			                   "too long");
			return -1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p += n + 1;
		if (lineno == 1) {
			if (strcmp(line, magic) != 0) {
				snprintf(err, errlen,
				    "line 1: not a daneprobe rollover state "
				    "file (want \"%s\")",
				    magic);
				return -1;
			}
		} else if (strcmp(line, "end") == 0)
			ended = true;
		else if (parse_line(line, s, seen, why, sizeof(why)) != 0) {
			snprintf(err, errlen, "line %d: %s", lineno, why);
			return -1;
		}
	}
	if (!ended) {
		snprintf(err, errlen, "%s",
		    lineno == 0 ? "empty" :
		                  "no \"end\" line (the file is torn)");
		return -1;
	}
	if (*p != '\0') {
		snprintf(
		    err, errlen, "line %d: text after \"end\"", lineno + 1);
		return -1;
	}
	for (size_t i = 0; i < N_FIELDS; i++)
		if (fields[i].required && !seen[i]) {
			snprintf(
			    err, errlen, "field %s is missing", fields[i].name);
			return -1;
		}
	if (check_consistent(s, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	return 0;
}

int
roll_state_load(const char *path, roll_state *s, char *err, size_t errlen)
{
	char buf[65536], why[300];
	FILE *f = fopen(path, "r");
	size_t n;
	int bad;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	bad = ferror(f) || !feof(f);
	fclose(f);
	buf[n] = '\0';
	if (bad || memchr(buf, '\0', n) != NULL) {
		snprintf(
		    err, errlen, "%s: cannot read it as a state file", path);
		return -1;
	}
	if (roll_state_parse(buf, s, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	return 0;
}

int
roll_state_save(
    const char *path, roll_state *s, time_t now, char *err, size_t errlen)
{
	char buf[16384];
	int n;

	s->updated = now;
	if ((n = roll_state_format(s, buf, sizeof(buf))) < 0) {
		snprintf(
		    err, errlen, "%s: a value does not fit the file", path);
		return -1;
	}
	return output_file_write_mode(path, buf, (size_t)n, 0600, err, errlen);
}

/* ========================================================== the order */

roll_step
roll_state_next(const roll_state *s)
{
	return s->done + 1 < ROLL_STEP_COUNT ? s->done + 1 : ROLL_STEP_COUNT;
}

void
roll_state_begin(roll_state *s, roll_step step)
{
	s->doing = step;
}

void
roll_state_finish(roll_state *s, roll_step step)
{
	s->done = step;
	s->doing = ROLL_STEP_NONE;
}

static long
until(time_t since, uint32_t ttl, time_t now)
{
	long left = (long)(since + (time_t)ttl - now);

	return left > 0 ? left : 0;
}

long
roll_state_wait_left(const roll_state *s, time_t now)
{
	if (s->done == ROLL_STEP_PUBLISH && s->visible_at > 0)
		return until(s->visible_at, s->ttl, now);
	if (s->done == ROLL_STEP_SWITCH)
		return until(s->switched_at, s->ttl, now);
	return 0;
}

roll_gate
roll_state_gate(const roll_state *s, roll_step step, time_t now, bool skip_wait,
    long *left, char *err, size_t errlen)
{
	roll_step need = step - 1;

	*left = 0;
	if (s->done >= step)
		return ROLL_GATE_DONE;
	/* The override lets switch follow publish (the control that shows
	 * why waiting matters); nothing else skips a step. */
	if (step == ROLL_STEP_SWITCH && skip_wait &&
	    s->done == ROLL_STEP_PUBLISH)
		return ROLL_GATE_GO;
	if (s->done != need) {
		snprintf(err, errlen, "%s refused: %s is not done yet",
		    roll_step_name(step), roll_step_name(s->done + 1));
		return ROLL_GATE_REFUSE;
	}
	if (step == ROLL_STEP_RETIRE &&
	    (*left = until(s->switched_at, s->ttl, now)) > 0)
		return ROLL_GATE_WAIT;
	return ROLL_GATE_GO;
}
