/*
 * test_check_resume.c -- the --resume file rules without a lab: records
 * found, a torn or zero-filled tail cut off, a bad line followed by
 * records refused with the file untouched, the lock, and the tally of a
 * record as the batch summary counts it.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/check_resume.h"

#define REC(d, sev, st) "{\"domain\":\"" d "\",\"severity\":\"" sev \
    "\",\"dane_status\":\"" st "\",\"mx_verdict\":null,\"hosts\":[]}\n"

static char path[64];
static domain_list list;

static void
setup(void)
{
	char err[256];
	int fd;

	strcpy(path, "/tmp/test_check_resume.XXXXXX");
	fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	domain_list_init(&list);
	cr_assert_eq(domain_list_add(&list, "a.example", err, sizeof(err)), 1);
	cr_assert_eq(domain_list_add(&list, "b.example", err, sizeof(err)), 1);
	cr_assert_eq(domain_list_add(&list, "c.example", err, sizeof(err)), 1);
}

static void
teardown(void)
{
	unlink(path);
	domain_list_free(&list);
}

static void
put(const char *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");

	cr_assert_not_null(f);
	cr_assert_eq(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

static char *
slurp(size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = calloc(1, 4096);

	cr_assert_not_null(f);
	*len = fread(buf, 1, 4095, f);
	fclose(f);
	return buf;
}

TestSuite(check_resume, .init = setup, .fini = teardown, .timeout = 10);

Test(check_resume, records_mark_their_domains_done)
{
	static const char body[] = REC("a.example", "OK", "verified")
	    REC("c.example", "WARNING", "none")
	    REC("other.example", "CRITICAL", "failed");
	check_resume *r;
	char err[256];

	put(body, sizeof(body) - 1);
	cr_assert_eq(check_resume_open(path, &list, NULL, &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect(check_resume_done(r, 0));
	cr_expect(!check_resume_done(r, 1));
	cr_expect(check_resume_done(r, 2));
	cr_expect_eq(check_resume_n_done(r), 2);
	/* A record of a domain not in the list still counts. */
	cr_expect_eq(check_resume_n_records(r), 3);
	cr_expect_eq(check_resume_earlier_worst(r), SEVERITY_CRITICAL);
	cr_assert_eq(check_resume_close(r, err, sizeof(err)), 0);
}

Test(check_resume, torn_last_line_is_cut_off)
{
	static const char good[] = REC("a.example", "OK", "verified");
	static const char torn[] = "{\"domain\":\"b.example\",\"sever";
	char body[512], err[256], *after;
	check_resume *r;
	size_t len;

	snprintf(body, sizeof(body), "%s%s", good, torn);
	put(body, strlen(body));
	cr_assert_eq(check_resume_open(path, &list, NULL, &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(check_resume_n_records(r), 1);
	cr_expect(!check_resume_done(r, 1));
	check_resume_close(r, NULL, 0);
	after = slurp(&len);
	cr_expect_eq(len, strlen(good));
	cr_expect_str_eq(after, good);
	free(after);
}

/* Power loss: the size reached the disk, the data did not. */
Test(check_resume, zero_filled_tail_is_cut_off)
{
	static const char good[] = REC("a.example", "OK", "verified");
	char body[1024], err[256], *after;
	check_resume *r;
	size_t len;

	memset(body, 0, sizeof(body));
	memcpy(body, good, strlen(good));
	put(body, strlen(good) + 300);
	cr_assert_eq(check_resume_open(path, &list, NULL, &r, err,
	    sizeof(err)), 0, "%s", err);
	check_resume_close(r, NULL, 0);
	after = slurp(&len);
	cr_expect_eq(len, strlen(good));
	free(after);
}

Test(check_resume, bad_line_before_records_is_refused_untouched)
{
	static const char body[] = REC("a.example", "OK", "verified")
	    "not json\n" REC("b.example", "OK", "verified");
	char err[256], *after;
	check_resume *r = NULL;
	size_t len;

	put(body, sizeof(body) - 1);
	cr_expect_eq(check_resume_open(path, &list, NULL, &r, err,
	    sizeof(err)), -1);
	cr_expect_null(r);
	cr_expect_not_null(strstr(err, ":2: not a daneprobe jsonl record"),
	    "%s", err);
	after = slurp(&len);
	cr_expect_eq(len, sizeof(body) - 1);
	cr_expect_eq(memcmp(after, body, len), 0);
	free(after);
}

Test(check_resume, second_open_is_refused_while_locked)
{
	check_resume *r, *r2 = NULL;
	char err[256];

	cr_assert_eq(check_resume_open(path, &list, NULL, &r, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(check_resume_open(path, &list, NULL, &r2, err,
	    sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "in use by another daneprobe run"),
	    "%s", err);
	check_resume_close(r, NULL, 0);
	cr_assert_eq(check_resume_open(path, &list, NULL, &r2, err,
	    sizeof(err)), 0, "%s", err);
	check_resume_close(r2, NULL, 0);
}

/* The tally follows probe_batch_count(): first critical address state,
 * bad MX names, null MX, insecure MX verdicts, capped addresses. */
Test(check_resume, tally_counts_as_the_batch_summary)
{
	static const char *const lines[] = {
		"{\"domain\":\"a\",\"severity\":\"CRITICAL\",\"dane_status\":"
		"\"failed\",\"hosts\":[{\"name\":\"mx.a\",\"addresses\":[{"
		"\"state\":\"tls-no-dane\",\"severity\":\"WARNING\"},{\"state\":"
		"\"untrusted\",\"severity\":\"CRITICAL\"}]}]}",
		"{\"domain\":\"b\",\"severity\":\"CRITICAL\",\"dane_status\":"
		"\"failed\",\"hosts\":[{\"name\":\"bad!name.b\",\"addresses\":[]}]}",
		"{\"domain\":\"c\",\"severity\":\"OK\",\"dane_status\":\"null-mx\"}",
		"{\"domain\":\"d\",\"severity\":\"WARNING\",\"dane_status\":"
		"\"verified\",\"mx_verdict\":{\"severity\":\"WARNING\"}}",
		"{\"domain\":\"e\",\"severity\":\"WARNING\",\"dane_status\":"
		"\"verified\",\"mx_verdict\":null,\"hosts\":[{\"name\":\"mx.e\","
		"\"addresses\":[{\"state\":\"not-probed\",\"severity\":"
		"\"WARNING\"}]}]}",
		"{\"domain\":\"f\",\"severity\":\"UNKNOWN\",\"dane_status\":"
		"\"unknown\",\"probe_error\":true}",
	};
	probe_batch_summary s;
	char *name;

	memset(&s, 0, sizeof(s));
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		cr_assert_eq(check_resume_tally_line(&s, lines[i],
		    strlen(lines[i]), NULL), 0, "%s", lines[i]);
	cr_expect_eq(s.total, 6);
	cr_expect_eq(s.failing, 2);
	cr_expect_eq(s.why[ADDR_STATE_UNTRUSTED], 1);
	cr_expect_eq(s.why_bad_name, 1);
	cr_expect_eq(s.no_mail, 1);
	cr_expect_eq(s.insecure_mx, 1);
	cr_expect_eq(s.capped, 1);
	cr_expect_eq(s.probe_error, 1);
	cr_expect_eq(check_resume_tally_line(&s, "{\"severity\":\"OK\"}", 17,
	    &name), -1);
	cr_expect_null(name);
	cr_expect_eq(s.total, 6);
}
