/*
 * test_strmap.c -- the string map under the engine's shared work:
 * put/get/del, growth past many doublings, iteration.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "util/strmap.h"

Test(strmap, put_get_del_and_growth)
{
	strmap *m = strmap_new();
	char key[32];

	for (intptr_t i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "mx%ld.example", (long)i);
		cr_assert_eq(strmap_put(m, key, (void *)(i + 1)), 0);
	}
	cr_expect_eq(strmap_count(m), 5000);
	cr_expect_eq((intptr_t)strmap_get(m, "mx4242.example"), 4243);
	cr_expect_null(strmap_get(m, "absent.example"));
	cr_expect_eq((intptr_t)strmap_del(m, "mx7.example"), 8);
	cr_expect_null(strmap_get(m, "mx7.example"));
	cr_expect_eq(strmap_count(m), 4999);
	strmap_put(m, "mx8.example", (void *)99);
	cr_expect_eq((intptr_t)strmap_get(m, "mx8.example"), 99);
	strmap_free(m);
}

static void
sum_values(const char *key, void *value, void *arg)
{
	(void)key;
	*(intptr_t *)arg += (intptr_t)value;
}

Test(strmap, each_visits_every_entry_once)
{
	strmap *m = strmap_new();
	intptr_t sum = 0;
	char key[32];

	for (intptr_t i = 1; i <= 100; i++) {
		snprintf(key, sizeof(key), "k%ld", (long)i);
		cr_assert_eq(strmap_put(m, key, (void *)i), 0);
	}
	strmap_del(m, "k100");
	strmap_each(m, sum_values, &sum);
	cr_expect_eq(sum, 99 * 100 / 2);
	strmap_free(m);
}

Test(strmap, free_null_is_a_no_op)
{
	strmap_free(NULL);
}
