/* Unit tests for sentry/kernel/ktimer.c and timerfd.c. */
#include <poll.h>
#include <sys/timerfd.h>

#include "sentry/kernel/ktimer.h"
#include "sentry/kernel/timerfd.h"
#include "sentry/tests/harness.h"

#define MS 1000000LL

static struct task *T(void **state) { return &((struct kfx_state *)*state)->t; }

/* ---- the timer service ---- */

struct rec {
	struct ktimer kt;
	_Atomic int calls;
	_Atomic int64_t at;
	int order;
};
static _Atomic int next_order;

static void rec_fn(struct ktimer *kt)
{
	struct rec *r = kt->arg;
	r->order = atomic_fetch_add(&next_order, 1);
	atomic_store(&r->at, ktimer_now());
	atomic_fetch_add(&r->calls, 1);
}

static void wait_calls(struct rec *r, int n)
{
	for (int i = 0; i < 2000 && atomic_load(&r->calls) < n; i++)
		usleep(1000);
}

static void test_ktimer_fires_in_deadline_order(void **state)
{
	struct rec a, b, c;
	ktimer_init(&a.kt, rec_fn, &a);
	ktimer_init(&b.kt, rec_fn, &b);
	ktimer_init(&c.kt, rec_fn, &c);
	a.calls = b.calls = c.calls = 0;
	int64_t now = ktimer_now();
	assert_int_equal(ktimer_arm(&a.kt, now + 30 * MS), 0);
	assert_int_equal(ktimer_arm(&b.kt, now + 10 * MS), 0);
	assert_int_equal(ktimer_arm(&c.kt, now + 20 * MS), 0);
	/* Re-arming replaces the deadline; disarming forgets it. */
	assert_int_equal(ktimer_arm(&c.kt, now + 5 * MS), 0);
	struct rec d;
	ktimer_init(&d.kt, rec_fn, &d);
	d.calls = 0;
	ktimer_arm(&d.kt, now + 15 * MS);
	ktimer_disarm(&d.kt);
	wait_calls(&a, 1);
	wait_calls(&b, 1);
	wait_calls(&c, 1);
	assert_int_equal(a.calls, 1);
	assert_int_equal(b.calls, 1);
	assert_int_equal(c.calls, 1);
	assert_true(c.order < b.order && b.order < a.order);
	assert_true(atomic_load(&b.at) >= now + 10 * MS);
	usleep(20 * 1000);
	assert_int_equal(d.calls, 0);
	ktimer_destroy(&a.kt);
	ktimer_destroy(&b.kt);
	ktimer_destroy(&c.kt);
	ktimer_destroy(&d.kt);
	/* A destroyed timer is never queued again. */
	ktimer_arm(&a.kt, ktimer_now());
	usleep(10 * 1000);
	assert_int_equal(a.calls, 1);
}

struct slow {
	struct ktimer kt;
	_Atomic int in, done;
};

static void slow_fn(struct ktimer *kt)
{
	struct slow *s = kt->arg;
	atomic_store(&s->in, 1);
	usleep(30 * 1000);
	ktimer_arm(kt, ktimer_now()); /* a periodic owner re-arms from its function */
	atomic_store(&s->done, 1);
}

static void test_ktimer_destroy_waits_for_running_function(void **state)
{
	struct slow *s = calloc(1, sizeof(*s));
	ktimer_init(&s->kt, slow_fn, s);
	ktimer_arm(&s->kt, ktimer_now());
	for (int i = 0; i < 2000 && !atomic_load(&s->in); i++)
		usleep(500);
	assert_true(atomic_load(&s->in));
	ktimer_destroy(&s->kt);
	assert_true(atomic_load(&s->done));
	free(s); /* ASan: nothing touches it after destroy */
	usleep(10 * 1000);
}

/* ---- timerfd ---- */

static void set_rel(struct file *f, int64_t value, int64_t interval, struct itimerspec *old)
{
	struct itimerspec its = {
		.it_value = {value / 1000000000LL, value % 1000000000LL},
		.it_interval = {interval / 1000000000LL, interval % 1000000000LL},
	};
	struct itimerspec o;
	assert_int_equal(timerfd_file_settime(f, 0, &its, old ? old : &o), 0);
}

static int64_t ts_ns(const struct timespec *ts) { return ts->tv_sec * 1000000000LL + ts->tv_nsec; }

static void test_timerfd_create_flags_and_empty_read(void **state)
{
	struct task *t = T(state);
	struct file *f;
	assert_int_equal(timerfd_new(t->k, CLOCK_PROCESS_CPUTIME_ID, 0, &f), -EINVAL);
	assert_int_equal(timerfd_new(t->k, CLOCK_MONOTONIC, 0x1, &f), -EINVAL);
	assert_int_equal(timerfd_new(t->k, CLOCK_MONOTONIC, TFD_NONBLOCK, &f), 0);
	assert_true(file_is_timerfd(f));
	uint64_t v;
	assert_int_equal(file_read(t, f, &v, 8), -EAGAIN);
	assert_int_equal(file_read(t, f, &v, 7), -EINVAL);
	assert_int_equal(file_poll(f, NULL) & POLLIN, 0);
	struct itimerspec cur;
	timerfd_file_gettime(f, &cur);
	assert_int_equal(ts_ns(&cur.it_value), 0);
	assert_int_equal(ts_ns(&cur.it_interval), 0);
	file_put(f);
}

static void test_timerfd_one_shot_blocking_read(void **state)
{
	struct task *t = T(state);
	struct file *f;
	assert_int_equal(timerfd_new(t->k, CLOCK_MONOTONIC, 0, &f), 0);
	int64_t start = ktimer_now();
	set_rel(f, 10 * MS, 0, NULL);
	struct itimerspec cur;
	timerfd_file_gettime(f, &cur);
	assert_true(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 10 * MS);
	uint64_t v = 0;
	assert_int_equal(file_read(t, f, &v, 8), 8); /* blocks until the service wakes it */
	assert_int_equal(v, 1);
	assert_true(ktimer_now() - start >= 10 * MS);
	timerfd_file_gettime(f, &cur);
	assert_int_equal(ts_ns(&cur.it_value), 0);
	file_put(f);
}

static void test_timerfd_periodic_counts_missed_periods(void **state)
{
	struct task *t = T(state);
	struct file *f;
	assert_int_equal(timerfd_new(t->k, CLOCK_BOOTTIME, TFD_NONBLOCK, &f), 0);
	set_rel(f, 5 * MS, 5 * MS, NULL);
	usleep(32 * 1000);
	uint64_t v = 0;
	assert_int_equal(file_read(t, f, &v, 8), 8);
	assert_true(v >= 6 && v <= 40); /* 32 ms of 5 ms periods, however late we read */
	struct itimerspec old;
	set_rel(f, 0, 0, &old); /* disarm: the old setting comes back, the count goes */
	assert_int_equal(ts_ns(&old.it_interval), 5 * MS);
	assert_true(ts_ns(&old.it_value) > 0 && ts_ns(&old.it_value) <= 5 * MS);
	usleep(10 * 1000);
	assert_int_equal(file_read(t, f, &v, 8), -EAGAIN);
	/* Released while armed: the service must forget it (ASan). */
	set_rel(f, 1 * MS, 1 * MS, NULL);
	file_put(f);
	usleep(5 * 1000);
}

struct wake_rec {
	_Atomic int woken;
};
static void wake_fn(struct waiter *w)
{
	atomic_fetch_add(&((struct wake_rec *)w->arg)->woken, 1);
}

static void test_timerfd_poll_wakes_and_abstime(void **state)
{
	struct task *t = T(state);
	struct file *f;
	assert_int_equal(timerfd_new(t->k, CLOCK_MONOTONIC, TFD_NONBLOCK, &f), 0);
	struct wake_rec wr = {0};
	struct poll_entry pe;
	poll_entry_init(&pe, wake_fn, &wr, POLLIN);
	assert_int_equal(file_poll(f, &pe) & POLLIN, 0);
	/* Absolute on the sandbox's monotonic clock (host minus boot). */
	int64_t sandbox_now = ktimer_now() - ts_ns(&t->k->boot_mono);
	struct itimerspec its = {.it_value = {(sandbox_now + 10 * MS) / 1000000000LL,
					       (sandbox_now + 10 * MS) % 1000000000LL}};
	struct itimerspec old;
	assert_int_equal(timerfd_file_settime(f, TFD_TIMER_ABSTIME, &its, &old), 0);
	struct itimerspec cur;
	timerfd_file_gettime(f, &cur);
	assert_true(ts_ns(&cur.it_value) > 0 && ts_ns(&cur.it_value) <= 10 * MS);
	for (int i = 0; i < 2000 && !atomic_load(&wr.woken); i++)
		usleep(1000);
	assert_true(atomic_load(&wr.woken) >= 1);
	poll_entry_remove(&pe);
	assert_true(file_poll(f, NULL) & POLLIN);
	uint64_t v;
	assert_int_equal(file_read(t, f, &v, 8), 8);
	assert_int_equal(v, 1);
	/* Absolute time in the past: expired at once. */
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 1;
	assert_int_equal(timerfd_file_settime(f, TFD_TIMER_ABSTIME, &its, &old), 0);
	assert_true(file_poll(f, NULL) & POLLIN);
	file_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ktimer_fires_in_deadline_order),
		cmocka_unit_test(test_ktimer_destroy_waits_for_running_function),
		cmocka_unit_test_setup_teardown(test_timerfd_create_flags_and_empty_read, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_timerfd_one_shot_blocking_read, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_timerfd_periodic_counts_missed_periods,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_timerfd_poll_wakes_and_abstime, kfx_setup,
						kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
