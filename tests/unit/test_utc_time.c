/*
 * test_utc_time.c -- moments as people read them in reports and plans.
 */
#include "config.h"

#include <criterion/criterion.h>

#include "util/utc_time.h"

Test(utc_time, formats_a_moment_in_utc)
{
	char buf[40];

	utc_time_format((time_t)1796535492, buf, sizeof(buf));
	cr_assert_str_eq(buf, "2026-12-06 05:38:12 UTC");
	utc_time_format(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1970-01-01 00:00:00 UTC");
}

Test(utc_time, a_short_buffer_gets_the_seconds)
{
	char buf[12];

	utc_time_format((time_t)1796535492, buf, sizeof(buf));
	cr_assert_str_eq(buf, "1796535492");
}
