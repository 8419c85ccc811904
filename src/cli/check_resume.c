/*
 * check_resume.c -- appending a jsonl survey that can be resumed (see
 * check_resume.h for the file rules).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cli/check_resume.h"
#include "policy/dane_policy.h"
#include "report/report_json.h"

struct check_resume {
	int fd;
	char *path;              /* owned, for messages */
	const domain_list *list; /* borrowed */
	bool *done;              /* list->n flags */
	size_t n_done;
	size_t n_records;
	probe_batch_summary earlier;
	off_t size;       /* end of the last complete record */
	bool broken;      /* a write failed: append no more */
	double last_sync; /* CLOCK_MONOTONIC seconds */
};

/* ---- tallying a record, as probe_batch_count() tallies a probe_domain -- */

static const char *
jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static bool
is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

/* An address left out by --max-addresses: the engine marks it not-probed
 * with WARNING (other not-probed addresses are OK or CRITICAL). */
static bool
json_any_capped(const json_t *rec)
{
	size_t i, j;
	json_t *h, *a;

	json_array_foreach(json_object_get(rec, "hosts"), i, h)
	    json_array_foreach(json_object_get(h, "addresses"), j,
	        a) if (is(jstr(a, "state"), "not-probed") &&
	        is(jstr(a, "severity"), "WARNING")) return true;
	return false;
}

static void
json_count_warning(probe_batch_summary *s, const json_t *rec, const char *st)
{
	if (is(st, "insecure-mx") ||
	    !json_is_null(json_object_get(rec, "mx_verdict")))
		s->insecure_mx++;
	else if (is(st, "none") || is(st, "encrypt-only"))
		s->not_applicable++;
	else if (is(st, "partial"))
		s->partial++;
	else if (json_any_capped(rec))
		s->capped++;
	else
		s->warning++;
}

static int
state_index(const char *name)
{
	for (int i = 0; i < ADDR_STATE_COUNT; i++)
		if (is(addr_state_name((addr_state)i), name))
			return i;
	return -1;
}

static void
json_count_failure(probe_batch_summary *s, const json_t *rec)
{
	size_t i, j;
	json_t *h, *a;
	int k;

	s->failing++;
	json_array_foreach(json_object_get(rec, "hosts"), i, h)
	    json_array_foreach(json_object_get(h, "addresses"), j,
	        a) if (is(jstr(a, "severity"), "CRITICAL") &&
	        (k = state_index(jstr(a, "state"))) >= 0)
	{
		s->why[k]++;
		return;
	}
	json_array_foreach(json_object_get(rec, "hosts"), i,
	    h) if (!dane_policy_valid_mx_name(jstr(h, "name")))
	{
		s->why_bad_name++;
		return;
	}
	s->why_dns++;
}

static void
json_count(probe_batch_summary *s, const json_t *rec)
{
	const char *sev = jstr(rec, "severity"), *st = jstr(rec, "dane_status");

	s->total++;
	if (is(sev, "OK")) {
		if (is(st, "null-mx"))
			s->no_mail++;
		else
			s->dane_valid++;
	} else if (is(sev, "WARNING")) {
		json_count_warning(s, rec, st);
	} else if (is(sev, "CRITICAL")) {
		json_count_failure(s, rec);
	} else if (is(st, "unknown") &&
	    json_is_true(json_object_get(rec, "probe_error"))) {
		s->probe_error++;
	} else {
		s->unknown++;
	}
}

int
check_resume_tally_line(
    probe_batch_summary *s, const char *line, size_t len, char **domain)
{
	json_t *rec = json_loadb(line, len, 0, NULL);
	const char *name = json_string_value(json_object_get(rec, "domain"));
	int rc = -1;

	if (domain != NULL)
		*domain = NULL;
	if (json_is_object(rec) && name != NULL && name[0] != '\0' &&
	    json_string_value(json_object_get(rec, "severity")) != NULL) {
		json_count(s, rec);
		rc = 0;
		if (domain != NULL && (*domain = strdup(name)) == NULL)
			rc = -1;
	}
	json_decref(rec);
	return rc;
}

/* ---- reading the file at open ------------------------------------------ */

static double
now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One complete line (newline stripped): a record, or not. */
static int
take_record(check_resume *r, const char *line, size_t len)
{
	char *name;
	size_t i;

	if (check_resume_tally_line(&r->earlier, line, len, &name) != 0)
		return -1;
	r->n_records++;
	i = domain_list_index(r->list, name);
	if (i < r->list->n && !r->done[i]) {
		r->done[i] = true;
		r->n_done++;
	}
	free(name);
	return 0;
}

/* Reads every line; r->size ends up after the last complete record.
 * Returns 0, or -1 with a reason when a bad line has records after it. */
static int
scan(check_resume *r, FILE *in, char *err, size_t errlen)
{
	char *line = NULL;
	size_t cap = 0, lineno = 0, bad_line = 0;
	ssize_t n;
	off_t pos = 0;
	int rc = 0;

	while ((n = getline(&line, &cap, in)) > 0) {
		bool complete = line[n - 1] == '\n';

		lineno++;
		pos += n;
		if (complete && take_record(r, line, (size_t)n - 1) == 0) {
			if (bad_line != 0) {
				snprintf(err, errlen,
				    "%s:%zu: not a daneprobe "
				    "jsonl record, and records follow it: not "
				    "resuming (the file is left as it is)",
				    r->path, bad_line);
				rc = -1;
				break;
			}
			r->size = pos;
		} else if (bad_line == 0) {
			bad_line = lineno;
		}
	}
	if (rc == 0 && ferror(in)) {
		snprintf(err, errlen, "%s: %s", r->path, strerror(errno));
		rc = -1;
	}
	free(line);
	return rc;
}

/* Cuts off what follows the last complete record (a torn write). */
static int
drop_tail(check_resume *r, FILE *diag, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(r->fd, &st) != 0 || st.st_size <= r->size)
		return 0;
	if (ftruncate(r->fd, r->size) != 0 || fdatasync(r->fd) != 0) {
		snprintf(err, errlen,
		    "%s: cannot cut off a torn last record: "
		    "%s",
		    r->path, strerror(errno));
		return -1;
	}
	if (diag != NULL)
		fprintf(diag,
		    "daneprobe: %s: dropped %lld byte(s) after the "
		    "last complete record (torn by an interrupted run); that "
		    "domain is probed again\n",
		    r->path, (long long)(st.st_size - r->size));
	return 0;
}

static int
open_locked(check_resume *r, char *err, size_t errlen)
{
	r->fd = open(r->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: %s", r->path, strerror(errno));
		return -1;
	}
	if (flock(r->fd, LOCK_EX | LOCK_NB) != 0) {
		snprintf(err, errlen, "%s: %s", r->path,
		    errno == EWOULDBLOCK ? "in use by another daneprobe run" :
		                           strerror(errno));
		return -1;
	}
	return 0;
}

/* Reads through a second descriptor, so the locked one keeps O_APPEND. */
static int
read_all(check_resume *r, FILE *diag, char *err, size_t errlen)
{
	int fd2 = open(r->path, O_RDONLY | O_CLOEXEC);
	FILE *in = fd2 >= 0 ? fdopen(fd2, "r") : NULL;
	int rc;

	if (in == NULL) {
		snprintf(err, errlen, "%s: %s", r->path, strerror(errno));
		if (fd2 >= 0)
			close(fd2);
		return -1;
	}
	rc = scan(r, in, err, errlen);
	fclose(in);
	if (rc == 0)
		rc = drop_tail(r, diag, err, errlen);
	return rc;
}

int
check_resume_open(const char *path, const domain_list *list, FILE *diag,
    check_resume **out, char *err, size_t errlen)
{
	check_resume *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL || (r->path = strdup(path)) == NULL ||
	    (r->done = calloc(list->n ? list->n : 1, sizeof(bool))) == NULL) {
		snprintf(err, errlen, "out of memory");
		if (r != NULL)
			free(r->path);
		free(r);
		return -1;
	}
	r->fd = -1;
	r->list = list;
	r->last_sync = now_mono();
	if (open_locked(r, err, errlen) != 0 ||
	    read_all(r, diag, err, errlen) != 0) {
		check_resume_close(r, NULL, 0);
		return -1;
	}
	*out = r;
	return 0;
}

bool
check_resume_done(const check_resume *r, size_t index)
{
	return index < r->list->n && r->done[index];
}

size_t
check_resume_n_done(const check_resume *r)
{
	return r->n_done;
}

size_t
check_resume_n_records(const check_resume *r)
{
	return r->n_records;
}

void
check_resume_add_earlier(const check_resume *r, probe_batch_summary *s)
{
	const probe_batch_summary *e = &r->earlier;

	s->total += e->total;
	s->dane_valid += e->dane_valid;
	s->no_mail += e->no_mail;
	s->insecure_mx += e->insecure_mx;
	s->not_applicable += e->not_applicable;
	s->partial += e->partial;
	s->capped += e->capped;
	s->warning += e->warning;
	s->failing += e->failing;
	s->probe_error += e->probe_error;
	s->unknown += e->unknown;
	for (size_t i = 0; i < ADDR_STATE_COUNT; i++)
		s->why[i] += e->why[i];
	s->why_bad_name += e->why_bad_name;
	s->why_dns += e->why_dns;
}

probe_severity
check_resume_earlier_worst(const check_resume *r)
{
	const probe_batch_summary *e = &r->earlier;
	probe_severity w = SEVERITY_OK;

	if (e->insecure_mx + e->not_applicable + e->partial + e->capped +
	        e->warning >
	    0)
		w = SEVERITY_WARNING;
	if (e->probe_error + e->unknown > 0)
		w = probe_severity_worst(w, SEVERITY_UNKNOWN);
	if (e->failing > 0)
		w = probe_severity_worst(w, SEVERITY_CRITICAL);
	return w;
}

/* ---- appending ----------------------------------------------------------- */

/* Bounded cost: one flush a second however fast records come. */
static int
maybe_sync(check_resume *r)
{
	double t = now_mono();

	if (t - r->last_sync < 1.0)
		return 0;
	r->last_sync = t;
	return fdatasync(r->fd);
}

int
check_resume_write(check_resume *r, const probe_domain *d, size_t json_flags)
{
	json_t *j = r->broken ? NULL : report_json_domain(d);
	char *s = j ? json_dumps(j, json_flags) : NULL;
	size_t len = s ? strlen(s) + 1 : 0;
	ssize_t w = -1;
	int saved = ENOMEM;

	json_decref(j);
	if (r->broken)
		saved = EIO;
	if (s != NULL) {
		s[len - 1] = '\n'; /* over the NUL: json_dumps sized it */
		w = write(r->fd, s, len);
		saved = w < 0 ? errno : ENOSPC;
	}
	if (s != NULL && w == (ssize_t)len) {
		free(s);
		r->size += w;
		return maybe_sync(r);
	}
	free(s);
	/* A short write left half a line: cut it off now, so the file stays
	 * a list of complete records even if this process goes on. */
	if (w > 0 && ftruncate(r->fd, r->size) != 0)
		saved = errno;
	r->broken = true;
	errno = saved;
	return -1;
}

int
check_resume_close(check_resume *r, char *err, size_t errlen)
{
	int rc = 0;

	if (r == NULL)
		return 0;
	if (r->fd >= 0 && (fdatasync(r->fd) != 0 || close(r->fd) != 0)) {
		if (err != NULL)
			snprintf(
			    err, errlen, "%s: %s", r->path, strerror(errno));
		rc = -1;
	}
	free(r->done);
	free(r->path);
	free(r);
	return rc;
}
