/*
 * fuzz_domain_list.c -- the domain list file reader (domain_list_read, as
 * behind `daneprobe check -f FILE`) against arbitrary file contents.
 *
 * Every name kept must already be in normal form (normalizing it again
 * changes nothing), appear once, and be a valid mail domain; kept plus
 * skipped lines cannot outnumber the lines of the file; adding a kept name
 * again is a duplicate.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "dns/dns_name.h"
#include "cli/domain_list.h"
#include "fuzz.h"

const char fuzz_target_name[] = "domain_list";

static size_t
count_lines(const uint8_t *data, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < size; i++)
		if (data[i] == '\n')
			n++;
	return n + (size > 0 && data[size - 1] != '\n');
}

static void
check_names(domain_list *l)
{
	char norm[256], err[300];

	for (size_t i = 0; i < l->n; i++) {
		FUZZ_CHECK(dns_name_parse(l->names[i], norm, sizeof(norm),
		    err, sizeof(err)) == 0);
		FUZZ_CHECK(strcmp(norm, l->names[i]) == 0);
		for (size_t j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(l->names[i], l->names[j]) != 0);
	}
	for (size_t i = 0; i < l->n; i++)
		FUZZ_CHECK(domain_list_add(l, l->names[i], err,
		    sizeof(err)) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	domain_list l;
	size_t n_bad = 0;
	char err[300];
	FILE *in;

	/* fmemopen() refuses an empty buffer; an empty file reads nothing. */
	if (size == 0)
		return 0;
	if (devnull == NULL)
		FUZZ_CHECK((devnull = fopen("/dev/null", "w")) != NULL);
	FUZZ_CHECK((in = fmemopen((void *)data, size, "r")) != NULL);
	domain_list_init(&l);
	FUZZ_CHECK(domain_list_read(&l, in, "fuzz", devnull, &n_bad, err,
	    sizeof(err)) == 0);
	fclose(in);
	FUZZ_CHECK(l.n + n_bad <= count_lines(data, size));
	check_names(&l);
	domain_list_free(&l);
	FUZZ_CHECK(l.names == NULL && l.n == 0);
	return 0;
}
