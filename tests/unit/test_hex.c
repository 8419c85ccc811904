/*
 * test_hex.c -- hex_encode(): digits, the terminating NUL, and truncation
 * on a whole byte when the buffer is short.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <string.h>

#include "util/hex.h"

static const uint8_t bytes[] = { 0x00, 0x0f, 0xa5, 0xff };

Test(hex, encodes_lower_case)
{
	char buf[9];

	cr_assert_eq(hex_encode(bytes, sizeof(bytes), buf, sizeof(buf)), buf);
	cr_assert_str_eq(buf, "000fa5ff");
}

Test(hex, empty_input_is_empty_string)
{
	char buf[4] = "xyz";

	cr_assert_str_eq(hex_encode(bytes, 0, buf, sizeof(buf)), "");
}

Test(hex, short_buffer_stops_on_a_whole_byte)
{
	char buf[8]; /* room for 3.5 bytes: only 3 go in */

	memset(buf, 'x', sizeof(buf));
	cr_assert_str_eq(hex_encode(bytes, sizeof(bytes), buf, sizeof(buf)),
	    "000fa5");
	cr_assert_str_eq(hex_encode(bytes, sizeof(bytes), buf, 2), "");
	cr_assert_str_eq(hex_encode(bytes, sizeof(bytes), buf, 1), "");
}
