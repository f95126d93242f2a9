/*
 * test_waiter.c — the readiness leaf: wait queues call wake functions for
 * the events a waiter asked for, record what triggered, and poll entries
 * register once; wake functions' deferred calls run after the queue's lock
 * is dropped.
 */
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sentry/waiter/waiter.h"

static void count_wake(struct waiter *w)
{
	(*(int *)w->arg)++;
}

static void test_notify_wakes_only_matching_masks(void **state)
{
	struct waitq wq;
	waitq_init(&wq);
	int in_wakes = 0, out_wakes = 0;
	struct waiter win, wout;
	waiter_init(&win, count_wake, &in_wakes, POLLIN);
	waiter_init(&wout, count_wake, &out_wakes, POLLOUT);
	waitq_add(&wq, &win);
	waitq_add(&wq, &wout);

	waitq_notify(&wq, POLLIN | POLLHUP);
	assert_int_equal(in_wakes, 1);
	assert_int_equal(out_wakes, 0);
	assert_int_equal(win.triggered, POLLIN); /* only what it asked for */
	assert_int_equal(wout.triggered, 0);

	waitq_notify(&wq, POLLOUT);
	assert_int_equal(out_wakes, 1);
	assert_int_equal(wout.triggered, POLLOUT);

	waitq_remove(&wq, &win);
	waitq_remove(&wq, &win); /* a second remove is harmless */
	waitq_notify(&wq, ~0u);
	assert_int_equal(in_wakes, 1);
	assert_int_equal(out_wakes, 2);
	waitq_remove(&wq, &wout);
	waitq_destroy(&wq);
}

static void test_waiter_without_wake_records_events(void **state)
{
	struct waitq wq;
	waitq_init(&wq);
	struct waiter w;
	waiter_init(&w, NULL, NULL, ~0u);
	waitq_add(&wq, &w);
	waitq_notify(&wq, POLLERR);
	waitq_notify(&wq, POLLIN);
	assert_int_equal(w.triggered, POLLERR | POLLIN);
	waitq_remove(&wq, &w);
	waitq_destroy(&wq);
}

static void test_poll_entry_registers_on_one_queue(void **state)
{
	struct waitq a, b;
	waitq_init(&a);
	waitq_init(&b);
	int wakes = 0;
	struct poll_entry pe;
	poll_entry_init(&pe, count_wake, &wakes, POLLIN);
	assert_int_equal(pe.hostfd, -1);
	poll_wait(NULL, &a); /* a poll op asked only for the mask */
	poll_wait(&pe, &a);
	poll_wait(&pe, &b); /* already registered: ignored */
	assert_ptr_equal(pe.wq, &a);
	waitq_notify(&b, POLLIN);
	assert_int_equal(wakes, 0);
	waitq_notify(&a, POLLIN);
	assert_int_equal(wakes, 1);
	poll_wait_host(&pe, 7, POLLOUT);
	assert_int_equal(pe.hostfd, 7);
	assert_int_equal(pe.hostevents, POLLOUT);
	poll_entry_remove(&pe);
	assert_null(pe.wq);
	waitq_notify(&a, POLLIN);
	assert_int_equal(wakes, 1);
	poll_entry_remove(&pe);
	waitq_destroy(&a);
	waitq_destroy(&b);
}

static void test_take_triggered(void **state)
{
	struct waitq wq;
	waitq_init(&wq);
	struct waiter w;
	waiter_init(&w, NULL, NULL, POLLIN);
	assert_int_equal(waiter_take_triggered(&wq, &w), 0); /* on no queue: fine */
	waitq_add(&wq, &w);
	waitq_notify(&wq, POLLIN | POLLOUT);
	assert_int_equal(waiter_take_triggered(&wq, &w), POLLIN);
	assert_int_equal(waiter_take_triggered(&wq, &w), 0); /* taken: cleared */
	waitq_notify(&wq, POLLOUT);
	assert_int_equal(waiter_take_triggered(&wq, &w), 0);
	waitq_remove(&wq, &w);
	waitq_destroy(&wq);
}

/* A deferred call's log: the order calls ran in, and whether the queue's
 * lock was free when they ran. */
struct defer_log {
	struct waitq *wq;
	int order[WAITER_BATCH_MAX + 4];
	int n;
	int lock_free;
};

static void log_call(void *arg, uint32_t data)
{
	struct defer_log *l = arg;
	l->order[l->n++] = (int)data;
	if (l->wq && vmutex_trylock(&l->wq->lock) == 0) {
		l->lock_free++;
		vmutex_unlock(&l->wq->lock);
	}
}

static void test_defer_needs_an_open_batch(void **state)
{
	struct defer_log l = {0};
	assert_false(waiter_defer(log_call, &l, 1));
	assert_int_equal(l.n, 0);
}

static void test_deferred_calls_run_in_order_at_the_batch_end(void **state)
{
	struct defer_log l = {0};
	struct waiter_batch outer, inner;
	waiter_batch_begin(&outer);
	assert_true(waiter_defer(log_call, &l, 1));
	waiter_batch_begin(&inner);
	assert_true(waiter_defer(log_call, &l, 2));
	waiter_batch_end(&inner); /* its own calls only */
	assert_int_equal(l.n, 1);
	assert_int_equal(l.order[0], 2);
	assert_true(waiter_defer(log_call, &l, 3)); /* back in the outer batch */
	for (int i = 0; i < WAITER_BATCH_MAX - 2; i++)
		assert_true(waiter_defer(log_call, &l, 10));
	assert_false(waiter_defer(log_call, &l, 99)); /* full: the caller calls */
	assert_int_equal(l.n, 1);
	waiter_batch_end(&outer);
	assert_int_equal(l.n, 1 + WAITER_BATCH_MAX);
	assert_int_equal(l.order[1], 1);
	assert_int_equal(l.order[2], 3);
	assert_false(waiter_defer(log_call, &l, 4)); /* no batch open any more */
}

static void defer_wake(struct waiter *w)
{
	struct defer_log *l = w->arg;
	if (!waiter_defer(log_call, l, 7))
		fail_msg("no batch open in waitq_notify");
}

static void test_notify_runs_deferred_calls_after_dropping_the_lock(void **state)
{
	struct waitq wq;
	waitq_init(&wq);
	struct defer_log l = {.wq = &wq};
	struct waiter a, b;
	waiter_init(&a, defer_wake, &l, POLLIN);
	waiter_init(&b, defer_wake, &l, POLLIN);
	waitq_add(&wq, &a);
	waitq_add(&wq, &b);
	waitq_notify(&wq, POLLIN);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.lock_free, 2);
	assert_false(waiter_defer(log_call, &l, 8)); /* the notify's batch is closed */
	waitq_remove(&wq, &a);
	waitq_remove(&wq, &b);
	waitq_destroy(&wq);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_notify_wakes_only_matching_masks),
		cmocka_unit_test(test_waiter_without_wake_records_events),
		cmocka_unit_test(test_poll_entry_registers_on_one_queue),
		cmocka_unit_test(test_take_triggered),
		cmocka_unit_test(test_defer_needs_an_open_batch),
		cmocka_unit_test(test_deferred_calls_run_in_order_at_the_batch_end),
		cmocka_unit_test(test_notify_runs_deferred_calls_after_dropping_the_lock),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
