/*
 * check_resume.h -- `daneprobe check --resume FILE`: a jsonl survey that
 * survives Ctrl-C, kill -9 and power loss.
 *
 * FILE holds one --format jsonl record per line.  Opening it (created when
 * missing) takes an exclusive flock() -- two runs never append to one
 * file -- and reads it once, a line at a time (memory does not grow with
 * the file): every domain of the run's list that already has a complete
 * record is marked done, and every record is tallied into a summary, so
 * the final summary covers the whole file.
 *
 * A record is complete only with its newline: each record is written with
 * one write() of the whole line, but a write cut short (kill -9 during a
 * multi-page write, a full disk, power loss before the data reached the
 * disk) can leave a torn or zero-filled tail.  That tail (everything after
 * the last complete record, when no complete record follows it) is cut
 * off with ftruncate() and reported; its domain is probed again.  A bad
 * line followed by good records is no crash artefact: opening refuses and
 * leaves the file as it is.
 *
 * Durability: records reach the kernel at once (a killed process loses
 * nothing it wrote); fdatasync() runs at most once a second and at close,
 * so power loss costs at most the last second's records, which the next
 * resume probes again.
 *
 * Ownership: check_resume_open() returns a handle the caller releases
 * with check_resume_close(); the domain list is borrowed and must outlive
 * the handle.
 */
#ifndef DANEPROBE_CHECK_RESUME_H
#define DANEPROBE_CHECK_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/domain_list.h"
#include "probe/probe_batch.h"

typedef struct check_resume check_resume;

/*
 * Opens, locks and reads `path` as described above; notes (torn tail cut
 * off) go to `diag` (may be NULL).  Returns 0 with *out set, or -1 with a
 * reason in err (file unusable, locked by another run, bad line followed
 * by records, out of memory).
 */
int check_resume_open(const char *path, const domain_list *list, FILE *diag,
    check_resume **out, char *err, size_t errlen);

/* True when the list's domain at `index` already has a record in the
 * file. */
bool check_resume_done(const check_resume *r, size_t index);

/* Domains of the list already done; records in the file in all (records
 * of domains not in the list count in the summary too). */
size_t check_resume_n_done(const check_resume *r);
size_t check_resume_n_records(const check_resume *r);

/* Adds the tallies of the records found at open to s (counters only:
 * time, engine and CPU figures stay this run's). */
void check_resume_add_earlier(const check_resume *r, probe_batch_summary *s);

/* The worst severity among the records found at open (OK when none), so
 * the exit status covers the whole file. */
probe_severity check_resume_earlier_worst(const check_resume *r);

/* Appends one record: `d` rendered with jansson `json_flags` plus a
 * newline, in one write().  Returns 0, or -1 (errno kept) after cutting
 * the file back to its last complete record; later calls then fail too. */
int check_resume_write(
    check_resume *r, const probe_domain *d, size_t json_flags);

/* Flushes to disk (fdatasync), unlocks, closes, frees.  Returns 0, or -1
 * with a reason in err when the flush or close failed.  NULL: 0. */
int check_resume_close(check_resume *r, char *err, size_t errlen);

/* Tallies one jsonl record into s as probe_batch_count() tallies a
 * probe_domain.  Returns 0, or -1 when `line` (len bytes, no newline) is
 * no daneprobe record; *domain (may be NULL) then is NULL, else a copy of
 * its "domain" the caller frees. */
int check_resume_tally_line(
    probe_batch_summary *s, const char *line, size_t len, char **domain);

#endif
