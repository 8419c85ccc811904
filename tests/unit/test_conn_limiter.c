/*
 * test_conn_limiter.c -- per-key and global connection limits, FIFO order,
 * cancellation.  The string map under it: test_strmap.c.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>

#include "probe/conn_limiter.h"

static int order[64];
static int norder;

static void
started(void *arg)
{
	order[norder++] = (int)(intptr_t)arg;
}

Test(conn_limiter, per_key_limit_queues_in_fifo_order)
{
	conn_limiter *l = conn_limiter_new(2, 0);
	conn_waiter w[5];

	norder = 0;
	for (int i = 0; i < 5; i++)
		cr_assert_eq(conn_limiter_acquire(l, "127.0.0.1:25", &w[i],
		                 started, (void *)(intptr_t)i),
		    0);
	cr_expect_eq(norder, 2, "only two may run at once");
	conn_limiter_release(l, &w[0]);
	cr_expect_eq(norder, 3);
	cr_expect_eq(order[2], 2, "FIFO: the third waiter goes next");
	conn_limiter_release(l, &w[1]);
	conn_limiter_release(l, &w[2]);
	conn_limiter_release(l, &w[3]);
	conn_limiter_release(l, &w[4]);
	cr_expect_eq(norder, 5);
	cr_expect_eq(conn_limiter_peak(l, "127.0.0.1:25"), 2);
	cr_expect_eq(conn_limiter_active(l), 0);
	conn_limiter_free(l);
}

Test(conn_limiter, keys_are_independent)
{
	conn_limiter *l = conn_limiter_new(1, 0);
	conn_waiter a, b;

	norder = 0;
	conn_limiter_acquire(l, "a", &a, started, (void *)1);
	conn_limiter_acquire(l, "b", &b, started, (void *)2);
	cr_expect_eq(norder, 2);
	conn_limiter_release(l, &a);
	conn_limiter_release(l, &b);
	conn_limiter_free(l);
}

Test(conn_limiter, global_limit_spans_keys)
{
	conn_limiter *l = conn_limiter_new(0, 2);
	conn_waiter w[4];
	char key[8];

	norder = 0;
	for (int i = 0; i < 4; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		conn_limiter_acquire(
		    l, key, &w[i], started, (void *)(intptr_t)i);
	}
	cr_expect_eq(norder, 2);
	cr_expect_eq(conn_limiter_active(l), 2);
	conn_limiter_release(l, &w[1]);
	cr_expect_eq(norder, 3);
	cr_expect_eq(order[2], 2);
	conn_limiter_release(l, &w[0]);
	conn_limiter_release(l, &w[2]);
	conn_limiter_release(l, &w[3]);
	cr_expect_eq(norder, 4);
	conn_limiter_free(l);
}

Test(conn_limiter, cancelled_waiter_never_starts)
{
	conn_limiter *l = conn_limiter_new(1, 0);
	conn_waiter w[3];

	norder = 0;
	for (int i = 0; i < 3; i++)
		conn_limiter_acquire(
		    l, "k", &w[i], started, (void *)(intptr_t)i);
	conn_limiter_cancel(l, &w[1]);
	conn_limiter_release(l, &w[0]);
	cr_expect_eq(norder, 2);
	cr_expect_eq(order[1], 2, "the cancelled waiter was skipped");
	conn_limiter_release(l, &w[2]);
	conn_limiter_free(l);
}

Test(conn_limiter, prune_forgets_only_keys_nobody_holds_or_waits_for)
{
	conn_limiter *l = conn_limiter_new(1, 2);
	conn_waiter a, b, c, d;

	norder = 0;
	cr_assert_eq(
	    conn_limiter_acquire(l, "idle", &a, started, (void *)0), 0);
	conn_limiter_release(l, &a);
	cr_assert_eq(
	    conn_limiter_acquire(l, "held", &b, started, (void *)1), 0);
	cr_assert_eq(
	    conn_limiter_acquire(l, "full", &c, started, (void *)2), 0);
	/* Global cap 2 reached: d waits in the global queue, its key idle. */
	cr_assert_eq(
	    conn_limiter_acquire(l, "waiting", &d, started, (void *)3), 0);
	cr_assert_eq(norder, 3);
	cr_expect_eq(conn_limiter_prune(l), 1, "only \"idle\" goes");
	cr_expect_eq(conn_limiter_peak(l, "idle"), 0, "forgotten");
	cr_expect_eq(conn_limiter_peak(l, "held"), 1);
	conn_limiter_release(l, &b);
	cr_expect_eq(norder, 4, "the global waiter still starts");
	cr_expect_eq(order[3], 3);
	conn_limiter_release(l, &c);
	conn_limiter_release(l, &d);
	cr_expect_eq(conn_limiter_prune(l), 3);
	cr_expect_eq(conn_limiter_active(l), 0);
	conn_limiter_free(l);
}
