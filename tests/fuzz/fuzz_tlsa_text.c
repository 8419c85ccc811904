/*
 * fuzz_tlsa_text.c -- TLSA presentation parsing (tlsa_record_parse) and
 * what follows a parsed record: usability, names, format, copy.
 *
 * The input is the text a user gives (`rollover check`, test tables) or a
 * zone file holds.  A parsed record must format back to text that parses
 * to the same record, a truncated format must be a prefix of the full one,
 * and a failed parse must give a reason and leave nothing allocated.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/tlsa_record.h"
#include "fuzz.h"

const char fuzz_target_name[] = "tlsa_text";

static void
check_usability(const tlsa_record *rec)
{
	tlsa_usability u = tlsa_record_usability(rec);

	FUZZ_CHECK(tlsa_usability_name(u) != NULL);
	FUZZ_CHECK(strcmp(tlsa_usability_name(u), "unknown") != 0);
	if (rec->usage < 2)
		FUZZ_CHECK(u == TLSA_UNUSABLE_PKIX_USAGE);
	else if (u == TLSA_USABLE && rec->mtype == TLSA_MTYPE_SHA256)
		FUZZ_CHECK(rec->len == 32);
	else if (u == TLSA_USABLE && rec->mtype == TLSA_MTYPE_SHA512)
		FUZZ_CHECK(rec->len == 64);
	if (u == TLSA_USABLE)
		FUZZ_CHECK(rec->usage <= 3 && rec->selector <= 1 &&
		    rec->mtype <= 2);
	FUZZ_CHECK(tlsa_usage_name(rec->usage)[0] != '\0');
	FUZZ_CHECK(tlsa_selector_name(rec->selector)[0] != '\0');
	FUZZ_CHECK(tlsa_mtype_name(rec->mtype)[0] != '\0');
}

/* Full format, reparse, compare; then a short buffer must hold a prefix. */
static void
check_format(const tlsa_record *rec, size_t short_len)
{
	size_t full_len = rec->len * 2 + 16;
	char *full = malloc(full_len), *part = malloc(short_len + 1);
	char err[128];
	tlsa_record again;

	FUZZ_CHECK(full != NULL && part != NULL);
	tlsa_record_format(rec, full, full_len);
	FUZZ_CHECK(strlen(full) < full_len);
	FUZZ_CHECK(tlsa_record_parse(full, &again, err, sizeof(err)) == 0);
	FUZZ_CHECK(tlsa_record_equal(rec, &again));
	tlsa_record_clear(&again);
	if (short_len > 0) {
		tlsa_record_format(rec, part, short_len);
		FUZZ_CHECK(strlen(part) < short_len);
		FUZZ_CHECK(strncmp(full, part, strlen(part)) == 0);
	}
	free(full);
	free(part);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstring(data, size);
	char err[160];
	tlsa_record rec, copy;
	int rc;

	err[0] = '\0';
	rc = tlsa_record_parse(text, &rec, err, sizeof(err));
	if (rc != 0) {
		FUZZ_CHECK(rc == -1);
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(rec.data == NULL && rec.len == 0);
		FUZZ_CHECK(tlsa_record_parse(text, &rec, NULL, 0) == -1);
		free(text);
		return 0;
	}
	FUZZ_CHECK(rec.data != NULL && rec.len > 0 && rec.len <= 65535);
	check_usability(&rec);
	check_format(&rec, size % 41);
	FUZZ_CHECK(tlsa_record_copy(&copy, &rec) == 0);
	FUZZ_CHECK(tlsa_record_equal(&copy, &rec));
	tlsa_record_clear(&copy);
	tlsa_record_clear(&rec);
	FUZZ_CHECK(rec.data == NULL);
	free(text);
	return 0;
}
