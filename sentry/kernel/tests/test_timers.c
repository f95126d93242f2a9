/* Unit tests for sentry/kernel/ptimer.c (POSIX timers and CPU itimers) with
 * the real signal.c: a timer's signal, overruns, ids, limits, deletion. */
#include <sys/time.h>

#include "sentry/kernel/ptimer.h"
#include "sentry/kernel/signal.h"
#include "sentry/tests/harness.h"

#define MS 1000000LL
#define SIGBIT(s) (1ULL << ((s)-1))

static int setup(void **state)
{
	int r = kfx_setup_tid(state, 100);
	if (r)
		return r;
	struct kfx_state *s = *state;
	waitq_init(&s->fx->tg.signalfd_wq);
	s->fx->k.all_tasks = &s->t; /* kernel.c's lookups (pt_alloc's reference) */
	s->fx->tg.threads = &s->t;
	s->fx->tg.nthreads = 1;
	return 0;
}

static int teardown(void **state)
{
	struct kfx_state *s = *state;
	ptimer_delete_all(&s->fx->tg, true);
	assert_int_equal(s->fx->tg.refs, 0); /* every timer dropped its reference */
	s->fx->tg.threads = NULL;
	waitq_destroy(&s->fx->tg.signalfd_wq);
	return kfx_teardown(state);
}

static struct itimerspec its(int64_t value, int64_t interval)
{
	return (struct itimerspec){{interval / 1000000000, interval % 1000000000},
				   {value / 1000000000, value % 1000000000}};
}

static void test_timer_signal_and_overruns(void **state)
{
	struct task *t = &((struct kfx_state *)*state)->t;
	task_set_sigmask(t, SIGBIT(SIGRTMIN));
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMIN};
	ev.sigev_value.sival_int = 9;
	int id, id2;
	assert_int_equal(ptimer_create(t, CLOCK_MONOTONIC, &ev, &id), 0);
	assert_int_equal(ptimer_create(t, CLOCK_MONOTONIC, NULL, &id2), 0);
	assert_int_equal(id, 0);
	assert_int_equal(id2, 1);
	struct itimerspec nv = its(5 * MS, 5 * MS), ov, cur;
	assert_int_equal(ptimer_settime(t, id, 0, &nv, &ov), 0);
	assert_int_equal(ptimer_gettime(t, id, &cur), 0);
	assert_true(cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 5 * MS);
	usleep(40 * 1000);
	for (int k = 0; k < 2000 && !(task_pending_any(t) & SIGBIT(SIGRTMIN)); k++)
		usleep(1000); /* a loaded machine may run the service late */
	siginfo_t si;
	assert_int_equal(signal_dequeue_set(t, SIGBIT(SIGRTMIN), &si), SIGRTMIN);
	assert_int_equal(si.si_code, SI_TIMER);
	assert_int_equal(si.si_timerid, id);
	assert_int_equal(si.si_value.sival_int, 9);
	assert_true(si.si_overrun >= 4);
	assert_int_equal(ptimer_getoverrun(t, id), si.si_overrun);
	/* Disarmed: nothing more comes. */
	nv = its(0, 0);
	assert_int_equal(ptimer_settime(t, id, 0, &nv, &ov), 0);
	assert_int_equal(ov.it_interval.tv_nsec, 5 * MS);
	signal_dequeue_set(t, SIGBIT(SIGRTMIN), &si); /* one queued before the disarm */
	usleep(15 * 1000);
	assert_false(task_pending_any(t) & SIGBIT(SIGRTMIN));
	assert_int_equal(ptimer_delete(t, id), 0);
	assert_int_equal(ptimer_delete(t, id), -EINVAL);
	assert_int_equal(ptimer_gettime(t, id, &cur), -EINVAL);
	assert_int_equal(ptimer_getoverrun(t, 77), -EINVAL);
}

static void test_timer_create_checks(void **state)
{
	struct task *t = &((struct kfx_state *)*state)->t;
	int id;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0};
	assert_int_equal(ptimer_create(t, 99, &ev, &id), -EINVAL);
	assert_int_equal(ptimer_create(t, CLOCK_MONOTONIC_RAW, &ev, &id), -EOPNOTSUPP);
	assert_int_equal(ptimer_create(t, CLOCK_MONOTONIC, &ev, &id), -EINVAL);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGUSR1;
	ev._sigev_un._tid = 5555;
	assert_int_equal(ptimer_create(t, CLOCK_MONOTONIC, &ev, &id), -EINVAL);
	ev._sigev_un._tid = 100;
	assert_int_equal(ptimer_create(t, CLOCK_MONOTONIC, &ev, &id), 0);
	assert_int_equal(id, 2); /* the bad sigevents used ids 0 and 1, as Linux */
	struct rlimit keep = t->tg->rlimits[RLIMIT_SIGPENDING];
	t->tg->rlimits[RLIMIT_SIGPENDING].rlim_cur = 1;
	assert_int_equal(ptimer_create(t, CLOCK_MONOTONIC, &ev, &id), -EAGAIN);
	t->tg->rlimits[RLIMIT_SIGPENDING] = keep;
	/* exec: POSIX timers go. */
	ptimer_delete_all(t->tg, false);
	assert_int_equal(ptimer_getoverrun(t, 2), -EINVAL);
}

static void test_itimer_prof_counts_app_time(void **state)
{
	struct task *t = &((struct kfx_state *)*state)->t;
	int64_t v, i, ov, oi;
	ptimer_itimer_get(t, ITIMER_PROF, &v, &i);
	assert_int_equal(v, 0);
	assert_int_equal(ptimer_itimer_set(t, ITIMER_PROF, 10 * MS, 0, &ov, &oi), 0);
	assert_int_equal(ov, 0);
	/* Not running app code: no CPU time passes, nothing fires. */
	usleep(20 * 1000);
	assert_false(task_pending_any(t) & SIGBIT(SIGPROF));
	/* "In app code" since now (as the task loop marks it). */
	atomic_store(&t->run_start_ns, (uint64_t)now_ns());
	for (int k = 0; k < 2000 && !(task_pending_any(t) & SIGBIT(SIGPROF)); k++)
		usleep(1000);
	atomic_store(&t->run_start_ns, 0);
	assert_true(task_pending_any(t) & SIGBIT(SIGPROF));
	siginfo_t si;
	assert_int_equal(signal_dequeue_set(t, SIGBIT(SIGPROF), &si), SIGPROF);
	assert_int_equal(si.si_code, SI_KERNEL);
	ptimer_itimer_get(t, ITIMER_PROF, &v, &i);
	assert_int_equal(v, 0); /* one-shot: disarmed */
}

static void test_thread_cpu_timer_counts_its_thread(void **state)
{
	struct task *t = &((struct kfx_state *)*state)->t;
	task_set_sigmask(t, SIGBIT(SIGUSR2));
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
	int id;
	assert_int_equal(ptimer_create(t, CLOCK_THREAD_CPUTIME_ID, &ev, &id), 0);
	struct itimerspec nv = its(10 * MS, 0), ov;
	assert_int_equal(ptimer_settime(t, id, 0, &nv, &ov), 0);
	usleep(20 * 1000);
	assert_false(task_pending_any(t) & SIGBIT(SIGUSR2)); /* not running: no CPU time */
	atomic_store(&t->run_start_ns, (uint64_t)now_ns());
	for (int k = 0; k < 2000 && !(task_pending_any(t) & SIGBIT(SIGUSR2)); k++)
		usleep(1000);
	atomic_store(&t->run_start_ns, 0);
	assert_true(task_pending_any(t) & SIGBIT(SIGUSR2));
	siginfo_t si;
	assert_int_equal(signal_dequeue_set(t, SIGBIT(SIGUSR2), &si), SIGUSR2);
	assert_int_equal(si.si_timerid, id);
	/* Another process's thread clock: EINVAL. */
	assert_int_equal(ptimer_create(t, -4243 * 8 + 6, &ev, &id), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timer_signal_and_overruns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_create_checks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_itimer_prof_counts_app_time, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_cpu_timer_counts_its_thread, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
