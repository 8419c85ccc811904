/*
 * fuzz_cli_options.c -- the option value parsers of the CLI and the
 * plugin (src/cli/cli_common.h, src/util/parse.h, dns_name_parse()) against arbitrary argument strings: numbers
 * in ranges (-p, -t, --max-*), Nagios day thresholds (-w/-c) and domain
 * names (arguments, list files).
 *
 * An accepted value must lie in the promised range; an accepted domain
 * must be in normal form: lower case, at most 253 bytes, labels of 1..63
 * letters, digits, '-' or '_', no leading or trailing dot, and
 * normalizing it again must change nothing.
 */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cli/cli_common.h"
#include "dns/dns_name.h"
#include "util/parse.h"
#include "fuzz.h"

const char fuzz_target_name[] = "cli_options";

static void
check_numbers(const char *s)
{
	static const long ranges[][2] = {
		{ 1, 65535 }, { 0, 100000 }, { LONG_MIN, LONG_MAX }, { -5, -5 },
	};
	long l = 12345;
	double d = 0.0;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (parse_long(s, ranges[i][0], ranges[i][1], &l) == 0)
			FUZZ_CHECK(l >= ranges[i][0] && l <= ranges[i][1]);
	if (parse_seconds(s, &d) == 0)
		FUZZ_CHECK(isfinite(d) && d > 0.0 && d <= 3600.0);
	if (cli_parse_days_threshold(s, &l) == 0)
		FUZZ_CHECK(l == -1 || (l >= 0 && l <= 100000));
}

static bool
normal_form(const char *name)
{
	size_t len = strlen(name), label = 0;

	if (len == 0 || len > 253 || name[0] == '.' || name[len - 1] == '.')
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if ((islower(c) || isdigit(c) || c == '-' || c == '_') &&
		    ++label <= 63) {
			continue;
		} else {
			return false;
		}
	}
	return true;
}

static void
check_domain(const char *s, size_t outlen)
{
	char out[300], again[300], err[200];

	memset(out, 'Z', sizeof(out));
	err[0] = '\0';
	if (dns_name_parse(s, out, outlen, err, sizeof(err)) != 0) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	FUZZ_CHECK(strlen(out) < outlen);
	FUZZ_CHECK(normal_form(out));
	FUZZ_CHECK(dns_name_parse(out, again, sizeof(again), err,
	    sizeof(err)) == 0);
	FUZZ_CHECK(strcmp(out, again) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstring(data, size);

	check_numbers(s);
	check_domain(s, 256);
	/* A short output buffer must be refused, never overrun. */
	check_domain(s, size % 64 + 1);
	free(s);
	return 0;
}
