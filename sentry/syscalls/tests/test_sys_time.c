/* Unit tests for sentry/syscalls/sys_time.c: clocks, sleeps and restarts. */
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>

#include "sentry/kernel/ptimer.h"
#include "sentry/tests/harness.h"

#define MS 1000000LL

static int teardown(void **st)
{
	struct kfx_state *s = *st;
	/* No armed timer may outlive the fixture's kernel. */
	fx_call(sys_time_defs, &s->t, SYS_setitimer, ITIMER_REAL, 0, 0, 0, 0, 0);
	return kfx_teardown(st);
}

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return fx_call(sys_time_defs, t, nr, a0, a1, a2, a3, 0, 0);
}

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static struct timespec read_ts(struct kfx *fx, uint64_t addr)
{
	struct timespec ts;
	assert_int_equal(mm_copy_in(fx->mm, &ts, addr, sizeof(ts)), 0);
	return ts;
}

static void write_ts(struct kfx *fx, uint64_t addr, int64_t ns)
{
	struct timespec ts = {ns / 1000000000LL, ns % 1000000000LL};
	assert_int_equal(mm_copy_out(fx->mm, addr, &ts, sizeof(ts)), 0);
}

static void test_monotonic_counts_from_sandbox_boot(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	s->fx->k.boot_mono.tv_sec -= 5;
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_MONOTONIC, out, 0, 0), 0);
	struct timespec m = read_ts(s->fx, out);
	int64_t mono = ts_ns(&m);
	assert_true(mono >= 5000 * MS && mono < 6000 * MS);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_BOOTTIME, out, 0, 0), 0);
	struct timespec boot = read_ts(s->fx, out);
	assert_true(ts_ns(&boot) >= mono);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, out, 0, 0), 0);
	struct timespec coarse = read_ts(s->fx, out);
	assert_true(ts_ns(&coarse) >= 4900 * MS && ts_ns(&coarse) < 6000 * MS);
	/* The wall clock is the host's. */
	struct timespec host;
	clock_gettime(CLOCK_REALTIME, &host);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_REALTIME, out, 0, 0), 0);
	struct timespec rt = read_ts(s->fx, out);
	assert_true(llabs(ts_ns(&rt) - ts_ns(&host)) < 1000 * MS);
}

static void test_clock_gettime_rejects_bad_clocks_and_pointers(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	assert_int_equal(sc(&s->t, SYS_clock_gettime, 10, out, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, 99, out, 0, 0), -EINVAL);
	/* CPU clocks by pid: ~pid << 3 | type; pid 0 is the caller's process,
	 * type 3 does not exist, nor does pid 4242. */
	assert_int_equal(sc(&s->t, SYS_clock_gettime, (uint64_t)-6, out, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, (uint64_t)-5, out, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, (uint64_t)(int64_t)(-4243 * 8 + 2), out, 0, 0),
			 -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_getres, (uint64_t)-5, out, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_REALTIME_ALARM, out, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_MONOTONIC, 0x1000, 0, 0), -EFAULT);
	assert_int_equal(sc(&s->t, SYS_clock_getres, CLOCK_MONOTONIC, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_clock_getres, 10, out, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_getres, CLOCK_MONOTONIC, out, 0, 0), 0);
	struct timespec res = read_ts(s->fx, out);
	assert_int_equal(res.tv_sec, 0);
	assert_int_equal(res.tv_nsec, 1);
}

static void test_process_cpu_clock_and_times_use_group_accounting(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	s->fx->tg.utime_ns = 2500 * MS;
	s->fx->tg.stime_ns = 500 * MS;
	s->fx->tg.cutime_ns = 100 * MS;
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, out, 0, 0), 0);
	struct timespec ts = read_ts(s->fx, out);
	assert_int_equal(ts_ns(&ts), 3000 * MS);
	s->fx->k.boot_mono.tv_sec -= 3;
	int64_t ticks = sc(&s->t, SYS_times, out, 0, 0, 0);
	assert_true(ticks >= 300 && ticks < 400);
	struct tms tms;
	assert_int_equal(mm_copy_in(s->fx->mm, &tms, out, sizeof(tms)), 0);
	assert_int_equal(tms.tms_utime, 250);
	assert_int_equal(tms.tms_stime, 50);
	assert_int_equal(tms.tms_cutime, 10);
	assert_int_equal(tms.tms_cstime, 0);
	assert_true(sc(&s->t, SYS_times, 0, 0, 0, 0) >= 300);
	assert_int_equal(sc(&s->t, SYS_times, 0x1000, 0, 0, 0), -EFAULT);
}

static void test_wall_clock_reads_and_cannot_be_set(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base;
	int64_t now = time(NULL);
	int64_t got = sc(&s->t, SYS_time, out, 0, 0, 0);
	assert_true(got >= now && got <= now + 2);
	int64_t stored;
	assert_int_equal(mm_copy_in(s->fx->mm, &stored, out, sizeof(stored)), 0);
	assert_int_equal(stored, got);
	assert_int_equal(sc(&s->t, SYS_time, 0x1000, 0, 0, 0), -EFAULT);
	assert_int_equal(sc(&s->t, SYS_gettimeofday, out, out + 64, 0, 0), 0);
	struct timeval tv;
	assert_int_equal(mm_copy_in(s->fx->mm, &tv, out, sizeof(tv)), 0);
	assert_true(tv.tv_sec >= now && tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	assert_int_equal(sc(&s->t, SYS_gettimeofday, 0, 0, 0, 0), 0);

	/* Validation as Linux, then EPERM even for root. */
	struct timeval bad = {1, 1000000};
	assert_int_equal(mm_copy_out(s->fx->mm, out, &bad, sizeof(bad)), 0);
	assert_int_equal(sc(&s->t, SYS_settimeofday, out, 0, 0, 0), -EINVAL);
	struct timeval good = {1, 0};
	assert_int_equal(mm_copy_out(s->fx->mm, out, &good, sizeof(good)), 0);
	assert_int_equal(sc(&s->t, SYS_settimeofday, out, 0, 0, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_settimeofday, 0x1000, 0, 0, 0), -EFAULT);
	write_ts(s->fx, out, 5);
	assert_int_equal(sc(&s->t, SYS_clock_settime, CLOCK_REALTIME, out, 0, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_clock_settime, CLOCK_MONOTONIC, out, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_settime, CLOCK_REALTIME, 0x1000, 0, 0), -EFAULT);
}

static void test_nanosleep_sleeps_and_validates(void **st)
{
	struct kfx_state *s = *st;
	uint64_t req = s->fx->base;
	write_ts(s->fx, req, 30 * MS);
	int64_t start = now_ns();
	assert_int_equal(sc(&s->t, SYS_nanosleep, req, 0, 0, 0), 0);
	assert_true(now_ns() - start >= 30 * MS);
	struct timespec bad = {0, -1};
	assert_int_equal(mm_copy_out(s->fx->mm, req, &bad, sizeof(bad)), 0);
	assert_int_equal(sc(&s->t, SYS_nanosleep, req, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_nanosleep, 0x1000, 0, 0, 0), -EFAULT);
}

/* Raise the fake signal for t after delay_ms, from another thread. */
struct kicker {
	struct task *t;
	int delay_ms;
	pthread_t th;
};

static void *kicker_main(void *p)
{
	struct kicker *k = p;
	usleep((useconds_t)k->delay_ms * 1000);
	atomic_store(&fake_signal_tid, k->t->tid);
	task_wake(k->t);
	return NULL;
}

static void kick_after(struct kicker *k, struct task *t, int ms)
{
	k->t = t;
	k->delay_ms = ms;
	assert_int_equal(pthread_create(&k->th, NULL, kicker_main, k), 0);
}

static void test_interrupted_nanosleep_writes_remainder_and_restarts(void **st)
{
	struct kfx_state *s = *st;
	if (!fake_signals_work(&s->t))
		skip();
	uint64_t req = s->fx->base, rem = s->fx->base + 64;
	write_ts(s->fx, req, 300 * MS);
	struct kicker k;
	int64_t start = now_ns();
	kick_after(&k, &s->t, 50);
	assert_int_equal(sc(&s->t, SYS_nanosleep, req, rem, 0, 0), -ERESTART_RESTARTBLOCK);
	pthread_join(k.th, NULL);
	struct timespec r = read_ts(s->fx, rem);
	assert_true(ts_ns(&r) > 100 * MS && ts_ns(&r) < 260 * MS);
	assert_non_null(s->t.restart_fn);
	atomic_store(&fake_signal_tid, -1);
	/* restart_syscall: sleeps until the original deadline, not 300 ms more. */
	assert_int_equal(s->t.restart_fn(&s->t), 0);
	int64_t el = now_ns() - start;
	assert_true(el >= 300 * MS && el < 550 * MS);
}

static void test_clock_nanosleep_absolute_and_unsupported_clocks(void **st)
{
	struct kfx_state *s = *st;
	if (!fake_signals_work(&s->t))
		skip();
	uint64_t req = s->fx->base, rem = s->fx->base + 64;
	s->fx->k.boot_mono.tv_sec -= 100;
	/* Absolute on the sandbox's monotonic clock: 40 ms from its now. */
	assert_int_equal(sc(&s->t, SYS_clock_gettime, CLOCK_MONOTONIC, req, 0, 0), 0);
	struct timespec now = read_ts(s->fx, req);
	write_ts(s->fx, req, ts_ns(&now) + 40 * MS);
	int64_t start = now_ns();
	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, req, rem),
			 0);
	int64_t el = now_ns() - start;
	assert_true(el >= 35 * MS && el < 2000 * MS);

	/* Interrupted absolute sleep: -ERESTARTNOHAND, rem untouched. */
	write_ts(s->fx, rem, 12345);
	write_ts(s->fx, req, ts_ns(&now) + 10000 * MS);
	struct kicker k;
	kick_after(&k, &s->t, 30);
	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, req, rem),
			 -ERESTARTNOHAND);
	pthread_join(k.th, NULL);
	struct timespec r = read_ts(s->fx, rem);
	assert_int_equal(ts_ns(&r), 12345);
	atomic_store(&fake_signal_tid, -1);

	/* Relative on CLOCK_REALTIME. */
	write_ts(s->fx, req, 20 * MS);
	start = now_ns();
	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, CLOCK_REALTIME, 0, req, 0), 0);
	assert_true(now_ns() - start >= 20 * MS);

	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, CLOCK_MONOTONIC_RAW, 0, req, 0),
			 -EOPNOTSUPP);
	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, CLOCK_THREAD_CPUTIME_ID, 0, req, 0),
			 -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, 42, 0, req, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, 0x1000, 0), -EFAULT);
}

static void test_process_cpu_sleep_waits_for_group_cpu_time(void **st)
{
	struct kfx_state *s = *st;
	if (!fake_signals_work(&s->t))
		skip();
	uint64_t req = s->fx->base;
	s->fx->tg.utime_ns = 1000 * MS;
	/* Already reached: returns at once. */
	write_ts(s->fx, req, 500 * MS);
	assert_int_equal(
		sc(&s->t, SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, TIMER_ABSTIME, req, 0), 0);
	/* Not reached and nobody runs: a signal ends it. */
	write_ts(s->fx, req, 100 * MS);
	struct kicker k;
	kick_after(&k, &s->t, 30);
	assert_int_equal(sc(&s->t, SYS_clock_nanosleep, CLOCK_PROCESS_CPUTIME_ID, 0, req, 0),
			 -ERESTART_RESTARTBLOCK);
	pthread_join(k.th, NULL);
}

static struct itimerval read_itv(struct kfx *fx, uint64_t addr)
{
	struct itimerval v;
	assert_int_equal(mm_copy_in(fx->mm, &v, addr, sizeof(v)), 0);
	return v;
}

static void write_itv(struct kfx *fx, uint64_t addr, long value_us, long interval_us)
{
	struct itimerval v = {{interval_us / 1000000, interval_us % 1000000},
			      {value_us / 1000000, value_us % 1000000}};
	assert_int_equal(mm_copy_out(fx->mm, addr, &v, sizeof(v)), 0);
}

/* Wait up to 3 s for at least n timer signals. */
static int wait_signals(int n)
{
	for (int i = 0; i < 3000 && atomic_load(&fake_tg_signals) < n; i++)
		usleep(1000);
	return atomic_load(&fake_tg_signals);
}

static void test_setitimer_real_sends_sigalrm_once(void **st)
{
	struct kfx_state *s = *st;
	if (!fake_signals_work(&s->t))
		skip();
	uint64_t nv = s->fx->base, ov = s->fx->base + 64;
	atomic_store(&fake_tg_signals, 0);
	write_itv(s->fx, nv, 60000, 0);
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_REAL, nv, ov, 0), 0);
	struct itimerval o = read_itv(s->fx, ov);
	assert_int_equal(o.it_value.tv_sec | o.it_value.tv_usec, 0); /* was disarmed */
	assert_int_equal(sc(&s->t, SYS_getitimer, ITIMER_REAL, ov, 0, 0), 0);
	o = read_itv(s->fx, ov);
	assert_true(o.it_value.tv_usec > 0 && o.it_value.tv_usec <= 60000);
	assert_int_equal(atomic_load(&fake_tg_signals), 0);
	assert_int_equal(wait_signals(1), 1);
	assert_int_equal(atomic_load(&fake_tg_last_signo), SIGALRM);
	/* One-shot: disarmed afterwards, no second signal. */
	usleep(100000);
	assert_int_equal(atomic_load(&fake_tg_signals), 1);
	assert_int_equal(sc(&s->t, SYS_getitimer, ITIMER_REAL, ov, 0, 0), 0);
	o = read_itv(s->fx, ov);
	assert_int_equal(o.it_value.tv_sec | o.it_value.tv_usec, 0);
}

static void test_setitimer_real_interval_repeats_until_disarmed(void **st)
{
	struct kfx_state *s = *st;
	if (!fake_signals_work(&s->t))
		skip();
	uint64_t nv = s->fx->base, ov = s->fx->base + 64;
	atomic_store(&fake_tg_signals, 0);
	write_itv(s->fx, nv, 20000, 20000);
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_REAL, nv, 0, 0), 0);
	assert_true(wait_signals(3) >= 3);
	/* Disarm with a NULL new value (Linux's misfeature): the old value
	 * carries the interval. */
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_REAL, 0, ov, 0), 0);
	struct itimerval o = read_itv(s->fx, ov);
	assert_int_equal(o.it_interval.tv_usec, 20000);
	int n = atomic_load(&fake_tg_signals);
	usleep(100000);
	assert_int_equal(atomic_load(&fake_tg_signals), n);
}

static void test_alarm_returns_rounded_remaining_seconds(void **st)
{
	struct kfx_state *s = *st;
	atomic_store(&fake_tg_signals, 0);
	assert_int_equal(sc(&s->t, SYS_alarm, 100, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_alarm, 5, 0, 0, 0), 100);
	assert_int_equal(sc(&s->t, SYS_alarm, 0, 0, 0, 0), 5);
	assert_int_equal(sc(&s->t, SYS_alarm, 0, 0, 0, 0), 0);
	assert_int_equal(atomic_load(&fake_tg_signals), 0);
}

static void test_itimer_argument_checks(void **st)
{
	struct kfx_state *s = *st;
	uint64_t nv = s->fx->base, ov = s->fx->base + 64;
	struct itimerval bad = {{0, 0}, {0, 1000000}};
	assert_int_equal(mm_copy_out(s->fx->mm, nv, &bad, sizeof(bad)), 0);
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_REAL, nv, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_setitimer, 5, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_getitimer, 5, ov, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_REAL, 0x1000, 0, 0), -EFAULT);
	assert_int_equal(sc(&s->t, SYS_getitimer, ITIMER_REAL, 0x1000, 0, 0), -EFAULT);
	/* The CPU-time timers (sentry/kernel/ptimer.c): arming, reading and
	 * disarming.  No app code runs here, so no CPU time passes. */
	write_itv(s->fx, nv, 5000, 0);
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_VIRTUAL, nv, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_PROF, nv, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_getitimer, ITIMER_PROF, ov, 0, 0), 0);
	struct itimerval o = read_itv(s->fx, ov);
	assert_true(o.it_value.tv_sec == 0 && o.it_value.tv_usec > 0 && o.it_value.tv_usec <= 5000);
	write_itv(s->fx, nv, 0, 5000); /* a zero value disarms, whatever the interval */
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_PROF, nv, ov, 0), 0);
	o = read_itv(s->fx, ov);
	assert_true(o.it_value.tv_usec > 0 && o.it_value.tv_usec <= 5000);
	assert_int_equal(sc(&s->t, SYS_getitimer, ITIMER_PROF, ov, 0, 0), 0);
	o = read_itv(s->fx, ov);
	assert_int_equal(o.it_value.tv_sec | o.it_value.tv_usec | o.it_interval.tv_usec, 0);
	ptimer_delete_all(&s->fx->tg, true);
}

static void test_timer_of_a_gone_process_is_dropped(void **st)
{
	struct kfx_state *s = *st;
	if (!fake_signals_work(&s->t))
		skip();
	uint64_t nv = s->fx->base, ov = s->fx->base + 64;
	atomic_store(&fake_tg_signals, 0);
	write_itv(s->fx, nv, 20000, 20000);
	assert_int_equal(sc(&s->t, SYS_setitimer, ITIMER_REAL, nv, 0, 0), 0);
	/* The pid now belongs to another process (another start time). */
	s->fx->tg.start_ns += 1;
	usleep(150000);
	assert_int_equal(atomic_load(&fake_tg_signals), 0);
	/* The new process has no timer, and the old one's was dropped. */
	assert_int_equal(sc(&s->t, SYS_getitimer, ITIMER_REAL, ov, 0, 0), 0);
	struct itimerval o = read_itv(s->fx, ov);
	assert_int_equal(o.it_value.tv_sec | o.it_value.tv_usec, 0);
	s->fx->tg.start_ns -= 1;
	assert_int_equal(sc(&s->t, SYS_getitimer, ITIMER_REAL, ov, 0, 0), 0);
	o = read_itv(s->fx, ov);
	assert_int_equal(o.it_value.tv_sec | o.it_value.tv_usec, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_monotonic_counts_from_sandbox_boot, kfx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_clock_gettime_rejects_bad_clocks_and_pointers,
						kfx_setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_process_cpu_clock_and_times_use_group_accounting, kfx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_wall_clock_reads_and_cannot_be_set, kfx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_nanosleep_sleeps_and_validates, kfx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_interrupted_nanosleep_writes_remainder_and_restarts, kfx_setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_clock_nanosleep_absolute_and_unsupported_clocks, kfx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_process_cpu_sleep_waits_for_group_cpu_time,
						kfx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_setitimer_real_sends_sigalrm_once, kfx_setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_setitimer_real_interval_repeats_until_disarmed, kfx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_alarm_returns_rounded_remaining_seconds,
						kfx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_itimer_argument_checks, kfx_setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_of_a_gone_process_is_dropped, kfx_setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
