/*
 * test_domain_list.c -- domain list files: comments, blanks, duplicates,
 * bad names and overlong lines, fed from memory.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_net.h"
#include "dns/dns_name.h"
#include "cli/domain_list.h"

typedef struct parsed {
	domain_list list;
	size_t n_bad;
	int rc;
	char diag[4096];
	char err[256];
} parsed;

/* Parses `len` bytes of text as a list file named "list.txt". */
static void
parse_bytes(parsed *p, const char *text, size_t len)
{
	FILE *in = fmemopen((void *)text, len, "r");
	FILE *diag = fmemopen(p->diag, sizeof(p->diag) - 1, "w");

	cr_assert_not_null(in);
	cr_assert_not_null(diag);
	memset(p->diag, 0, sizeof(p->diag));
	domain_list_init(&p->list);
	p->n_bad = 0;
	p->err[0] = '\0';
	p->rc = domain_list_read(&p->list, in, "list.txt", diag, &p->n_bad,
	    p->err, sizeof(p->err));
	fclose(diag);
	fclose(in);
}

static void
parse(parsed *p, const char *text)
{
	parse_bytes(p, text, strlen(text));
}

static void
assert_names(const parsed *p, const char *const *want, size_t n)
{
	cr_assert_eq(p->list.n, n, "got %zu names, want %zu", p->list.n, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(p->list.names[i], want[i]);
}

Test(domain_list, comments_blank_lines_and_blanks_are_ignored)
{
	parsed p;
	const char *want[] = { "example.org", "mail.example.net", "a.b" };

	parse(&p, "# monitored domains\n"
	    "\n"
	    "example.org\n"
	    "   mail.example.net   # the second one\n"
	    "\t\t\n"
	    "  # indented comment\n"
	    "a.b\r\n");
	cr_assert_eq(p.rc, 0);
	assert_names(&p, want, 3);
	cr_assert_eq(p.n_bad, 0);
	cr_assert_str_eq(p.diag, "");
	domain_list_free(&p.list);
}

Test(domain_list, duplicates_are_kept_once_in_first_seen_order)
{
	parsed p;
	const char *want[] = { "b.example", "a.example" };

	parse(&p, "b.example\na.example\nB.Example.\nA.EXAMPLE\nb.example\n");
	cr_assert_eq(p.rc, 0);
	assert_names(&p, want, 2);
	cr_assert_eq(p.n_bad, 0);
	domain_list_free(&p.list);
}

Test(domain_list, bad_names_are_reported_with_line_and_skipped)
{
	parsed p;
	const char *want[] = { "good.example", "also-good.example" };

	parse(&p, "good.example\n"
	    "bad..example\n"
	    "two words.example\n"
	    "semi;colon.example\n"
	    "also-good.example\n");
	cr_assert_eq(p.rc, 0);
	assert_names(&p, want, 2);
	cr_assert_eq(p.n_bad, 3);
	cr_assert(strstr(p.diag, "list.txt:2: invalid domain name "
	    "\"bad..example\"") != NULL, "diag: %s", p.diag);
	cr_assert(strstr(p.diag, "list.txt:3: more than one word") != NULL,
	    "diag: %s", p.diag);
	cr_assert(strstr(p.diag, "list.txt:4: invalid domain name") != NULL,
	    "diag: %s", p.diag);
	domain_list_free(&p.list);
}

Test(domain_list, overlong_line_is_skipped_whole_not_split)
{
	parsed p;
	size_t len = DOMAIN_LIST_MAX_LINE + 500;
	char *text = malloc(len + 64);
	const char *want[] = { "before.example", "after.example" };

	cr_assert_not_null(text);
	strcpy(text, "before.example\n");
	/* A long run of valid label characters: splitting it would yield
	 * plausible-looking names. */
	memset(text + strlen(text), 'a', len);
	strcpy(text + strlen("before.example\n") + len, "\nafter.example\n");
	parse(&p, text);
	cr_assert_eq(p.rc, 0);
	assert_names(&p, want, 2);
	cr_assert_eq(p.n_bad, 1);
	cr_assert(strstr(p.diag, "list.txt:2: line too long") != NULL,
	    "diag: %s", p.diag);
	domain_list_free(&p.list);
	free(text);
}

Test(domain_list, line_at_exactly_the_limit_is_accepted)
{
	parsed p;
	char text[DOMAIN_LIST_MAX_LINE + 2];
	const char *want[] = { "x.example" };

	/* The name, then blanks up to the limit, then a comment char. */
	memset(text, ' ', sizeof(text));
	memcpy(text, "x.example", 9);
	text[DOMAIN_LIST_MAX_LINE - 1] = '#';
	text[DOMAIN_LIST_MAX_LINE] = '\n';
	text[DOMAIN_LIST_MAX_LINE + 1] = '\0';
	parse(&p, text);
	assert_names(&p, want, 1);
	cr_assert_eq(p.n_bad, 0);
	domain_list_free(&p.list);
}

Test(domain_list, nul_byte_makes_the_line_bad)
{
	parsed p;
	const char text[] = "ok.example\nevil\0.example\nok2.example";
	const char *want[] = { "ok.example", "ok2.example" };

	/* No final newline on purpose: the last line still counts. */
	parse_bytes(&p, text, sizeof(text) - 1);
	cr_assert_eq(p.rc, 0);
	assert_names(&p, want, 2);
	cr_assert_eq(p.n_bad, 1);
	cr_assert(strstr(p.diag, "list.txt:2: NUL byte") != NULL, "diag: %s",
	    p.diag);
	domain_list_free(&p.list);
}

Test(domain_list, empty_input_gives_empty_list)
{
	parsed p;

	parse(&p, "");
	cr_assert_eq(p.rc, 0);
	cr_assert_eq(p.list.n, 0);
	domain_list_free(&p.list);
	domain_list_free(NULL);
}

Test(domain_list, add_reports_added_duplicate_and_invalid)
{
	domain_list l;
	char err[200];

	domain_list_init(&l);
	cr_assert_eq(domain_list_add(&l, "Example.ORG.", err, sizeof(err)), 1);
	cr_assert_eq(domain_list_add(&l, "example.org", err, sizeof(err)), 0);
	cr_assert_eq(domain_list_add(&l, "", err, sizeof(err)), -1);
	cr_assert(strstr(err, "empty") != NULL, "err: %s", err);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.names[0], "example.org");
	domain_list_free(&l);
}

Test(domain_list, many_names_stay_unique_across_table_growth, .timeout = 10)
{
	domain_list l;
	char name[64], err[200];

	domain_list_init(&l);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			snprintf(name, sizeof(name), "d%d.example", i);
			cr_assert_eq(domain_list_add(&l, name, err,
			    sizeof(err)), round == 0 ? 1 : 0);
		}
	cr_assert_eq(l.n, 5000);
	cr_assert_str_eq(l.names[4999], "d4999.example");
	domain_list_free(&l);
}

Test(domain_list, load_reports_a_missing_file)
{
	domain_list l;
	char err[300];

	domain_list_init(&l);
	cr_assert_eq(domain_list_load(&l, "/nonexistent/list.txt", NULL, NULL,
	    err, sizeof(err)), -1);
	cr_assert(strstr(err, "/nonexistent/list.txt: No such file") != NULL,
	    "err: %s", err);
	domain_list_free(&l);
}

Test(domain_list, index_gives_the_position_in_list_order)
{
	domain_list l;
	char err[200];

	domain_list_init(&l);
	cr_assert_eq(domain_list_index(&l, "a.example"), 0, "empty list: n");
	domain_list_add(&l, "a.example", err, sizeof(err));
	domain_list_add(&l, "B.example", err, sizeof(err));
	domain_list_add(&l, "c.example", err, sizeof(err));
	cr_assert_eq(domain_list_index(&l, "a.example"), 0);
	cr_assert_eq(domain_list_index(&l, "b.example"), 1);
	cr_assert_eq(domain_list_index(&l, "c.example"), 2);
	cr_assert_eq(domain_list_index(&l, "d.example"), 3, "absent: n");
	domain_list_free(&l);
}

/* The diagnostic line of list.txt's line `lineno`, or NULL. */
static const char *
diag_line(const parsed *p, size_t lineno, size_t *len)
{
	char tag[32];
	const char *s, *end;

	snprintf(tag, sizeof(tag), "list.txt:%zu:", lineno);
	if ((s = strstr(p->diag, tag)) == NULL)
		return NULL;
	end = strchr(s, '\n');
	*len = end != NULL ? (size_t)(end - s) : strlen(s);
	return s;
}

Test(domain_list, escape_sequences_in_a_bad_line_are_not_echoed_raw)
{
	parsed p;
	const char *want[] = { "ok.example" };
	size_t len;

	/* An OSC window title, a colour, a bell, a backslash and a byte of
	 * UTF-8, in one word: an invalid name that gets quoted. */
	parse(&p, "ok.example\n"
	    "\x1b]0;owned\x07x\x1b[31m\\\xc3\xa9.example\n");
	cr_assert_eq(p.rc, 0);
	assert_names(&p, want, 1);
	cr_assert_eq(p.n_bad, 1);
	cr_assert_null(strchr(p.diag, '\x1b'), "raw ESC in: %s", p.diag);
	cr_assert_null(strchr(p.diag, '\x07'), "raw BEL in: %s", p.diag);
	cr_assert_null(strchr(p.diag, '\xc3'), "raw 8-bit byte in: %s",
	    p.diag);
	cr_assert(strstr(p.diag, "list.txt:2: invalid domain name "
	    "\"\\x1b]0;owned\\x07x\\x1b[31m\\\\\\xc3\\xa9.example\"")
	    != NULL, "diag: %s", p.diag);
	cr_assert(strstr(p.diag, "; line skipped\n") != NULL, "diag: %s",
	    p.diag);
	cr_assert_not_null(diag_line(&p, 2, &len));
	domain_list_free(&p.list);
}

Test(domain_list, echo_of_a_bad_line_is_capped)
{
	parsed p;
	char text[300];
	const char *line, *tail = "; line skipped";
	size_t len, prefix = strlen("list.txt:1: ");

	/* 200 ESC bytes: one word, each shown as 4 characters. */
	memset(text, '\x1b', 200);
	strcpy(text + 200, "\n");
	parse(&p, text);
	cr_assert_eq(p.n_bad, 1);
	line = diag_line(&p, 1, &len);
	cr_assert_not_null(line, "diag: %s", p.diag);
	cr_assert_leq(len, prefix + DOMAIN_LIST_MAX_ECHO + 3 + strlen(tail),
	    "%zu characters: %s", len, p.diag);
	cr_assert(len > strlen(tail) + 3 &&
	    strncmp(line + len - strlen(tail) - 3, "...", 3) == 0,
	    "not marked as cut: %s", p.diag);
	cr_assert_null(strchr(p.diag, '\x1b'), "raw ESC in: %s", p.diag);
	domain_list_free(&p.list);
}

Test(domain_list, the_file_name_is_escaped_too)
{
	domain_list l;
	char diag_buf[512] = "", err[200];
	FILE *in = fmemopen((void *)"bad..example\n", 13, "r");
	FILE *diag = fmemopen(diag_buf, sizeof(diag_buf) - 1, "w");

	cr_assert_not_null(in);
	cr_assert_not_null(diag);
	domain_list_init(&l);
	cr_assert_eq(domain_list_read(&l, in, "evil\x1b[2Jname", diag, NULL,
	    err, sizeof(err)), 0);
	fclose(diag);
	fclose(in);
	cr_assert_null(strchr(diag_buf, '\x1b'), "raw ESC in: %s", diag_buf);
	cr_assert(strstr(diag_buf, "evil\\x1b[2Jname:1: ") != NULL, "diag: %s",
	    diag_buf);
	domain_list_free(&l);
}

/* IDNA2008 with UTS #46 non-transitional mapping: U-labels become
 * A-labels, a case or Unicode variant of a name already listed is a
 * duplicate, and ß stays ß (transitional processing would make it ss). */
Test(domain_list, u_labels_become_a_labels_and_match_their_duplicates)
{
	static const char text[] =
	    "bücher.example\n"
	    "XN--BCHER-KVA.example.\n"
	    "Bücher.Example\n"
	    "straße.de\n"
	    "strasse.de\n"
	    "ü.xn--zz\n"
	    "bad..bücher\n";
	parsed p;

	parse_bytes(&p, text, sizeof(text) - 1);
	cr_assert_eq(p.rc, 0);
	cr_assert_eq(p.list.n, 3, "%zu names", p.list.n);
	cr_expect_str_eq(p.list.names[0], "xn--bcher-kva.example");
	cr_expect_str_eq(p.list.names[1], "xn--strae-oqa.de");
	cr_expect_str_eq(p.list.names[2], "strasse.de");
	cr_expect_eq(p.n_bad, 2);
	cr_expect_not_null(strstr(p.diag, "list.txt:6: invalid domain name"),
	    "%s", p.diag);
	cr_expect_not_null(strstr(p.diag, "list.txt:7: invalid domain name"),
	    "%s", p.diag);
	domain_list_free(&p.list);
}

/* A name from the command line is echoed in its error the way a list line
 * is: control and 8-bit bytes as \xHH, never raw to the terminal. */
Test(dns_name_parse, a_bad_name_is_quoted_escaped)
{
	char out[256], err[300];

	cr_assert_eq(dns_name_parse("\x1b]0;owned\x07.example", out,
	    sizeof(out), err, sizeof(err)), -1);
	cr_expect_str_eq(err, "invalid domain name "
	    "\"\\x1b]0;owned\\x07.example\"");
	/* Non-ASCII goes the IDN way: its error quotes the name too. */
	cr_assert_eq(dns_name_parse("b\xc3\xbc\x1b[2J.example", out,
	    sizeof(out), err, sizeof(err)), -1);
	cr_expect_null(strchr(err, '\x1b'), "raw ESC in: %s", err);
	cr_expect_not_null(strstr(err, "\"b\\xc3\\xbc\\x1b[2J.example\""),
	    "%s", err);
	/* Plain UTF-8 text is shown as typed. */
	cr_assert_eq(dns_name_parse("\xc3\xbc.xn--zz", out, sizeof(out),
	    err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "\"\xc3\xbc.xn--zz\""), "%s", err);
	cr_assert_eq(cli_check_helo("\x1b[31mred", err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "\"\\x1b[31mred\""), "%s", err);
}

Test(dns_name_parse, the_echo_of_a_long_bad_name_is_capped)
{
	char in[400], out[256], err[400];

	memset(in, '\x1b', sizeof(in) - 1);
	in[sizeof(in) - 1] = '\0';
	cr_assert_eq(dns_name_parse(in, out, sizeof(out), err,
	    sizeof(err)), -1);
	cr_expect_null(strchr(err, '\x1b'), "raw ESC in: %s", err);
	cr_expect_lt(strlen(err), 160, "%zu: %s", strlen(err), err);
	cr_expect_not_null(strstr(err, "...\": too long"), "%s", err);
}
