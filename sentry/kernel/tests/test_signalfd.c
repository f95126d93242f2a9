/* Unit tests for sentry/kernel/signalfd.c (with the real signal.c). */
#include <poll.h>
#include <sys/signalfd.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/signalfd.h"
#include "sentry/tests/harness.h"

#define SIGBIT(s) (1ULL << ((s)-1))

static int setup(void **state)
{
	int r = kfx_setup(state);
	if (r)
		return r;
	struct kfx_state *s = *state;
	waitq_init(&s->fx->tg.signalfd_wq);
	current = &s->t;
	return 0;
}

static int teardown(void **state)
{
	struct kfx_state *s = *state;
	current = NULL;
	waitq_destroy(&s->fx->tg.signalfd_wq);
	return kfx_teardown(state);
}

static void send(struct task *t, int sig, int code, int val)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = code;
	info.si_pid = 42;
	info.si_uid = 7;
	info.si_value.sival_int = val;
	assert_int_equal(task_signal_send_info(t, &info, false), 0);
}

static void test_signalfd_read_dequeues_in_mask(void **state)
{
	struct task *t = &((struct kfx_state *)*state)->t;
	task_set_sigmask(t, SIGBIT(SIGUSR1) | SIGBIT(SIGUSR2) | SIGBIT(SIGRTMIN));
	struct file *f;
	assert_int_equal(signalfd_new(0, 0x1, &f), -EINVAL);
	assert_int_equal(signalfd_new(SIGBIT(SIGUSR1) | SIGBIT(SIGRTMIN) | SIGBIT(SIGKILL),
				      SFD_NONBLOCK, &f), 0);
	assert_true(file_is_signalfd(f));
	struct signalfd_siginfo si[3];
	assert_int_equal(file_read(t, f, si, sizeof(si)), -EAGAIN);
	assert_int_equal(file_read(t, f, si, 127), -EINVAL);
	assert_int_equal(file_poll(f, NULL) & POLLIN, 0);

	struct poll_entry pe;
	task_poll_entry_init(&pe, t, POLLIN);
	file_poll(f, &pe);
	send(t, SIGUSR2, SI_USER, 0); /* not in the mask: pending, not readable */
	send(t, SIGRTMIN, SI_QUEUE, 99);
	send(t, SIGUSR1, SI_USER, 0);
	assert_true(pe.w.triggered & POLLIN); /* a send wakes pollers */
	poll_entry_remove(&pe);
	assert_true(file_poll(f, NULL) & POLLIN);
	memset(si, 0xff, sizeof(si));
	assert_int_equal(file_read(t, f, si, sizeof(si)), 2 * (ssize_t)sizeof(si[0]));
	assert_int_equal(si[0].ssi_signo, SIGUSR1);
	assert_int_equal(si[0].ssi_code, SI_USER);
	assert_int_equal(si[0].ssi_pid, 42);
	assert_int_equal(si[0].ssi_uid, 7);
	assert_int_equal(si[0].ssi_int, 0); /* SIL_KILL: no value */
	assert_int_equal(si[1].ssi_signo, SIGRTMIN);
	assert_int_equal(si[1].ssi_code, SI_QUEUE);
	assert_int_equal(si[1].ssi_int, 99);
	assert_int_equal(file_poll(f, NULL) & POLLIN, 0);
	assert_true(task_pending_any(t) & SIGBIT(SIGUSR2));
	/* A new mask: SIGUSR2 becomes readable; SIGKILL never is. */
	signalfd_set_mask(f, SIGBIT(SIGUSR2) | SIGBIT(SIGKILL));
	assert_true(file_poll(f, NULL) & POLLIN);
	assert_int_equal(file_read(t, f, si, sizeof(si)), (ssize_t)sizeof(si[0]));
	assert_int_equal(si[0].ssi_signo, SIGUSR2);
	assert_int_equal(task_pending_any(t), 0);
	file_put(f);
}

static void test_rt_signals_queue_in_order_within_the_limit(void **state)
{
	struct task *t = &((struct kfx_state *)*state)->t;
	struct thread_group *tg = t->tg;
	task_set_sigmask(t, SIGBIT(SIGRTMIN) | SIGBIT(SIGUSR1));
	for (int v = 1; v <= 3; v++)
		send(t, SIGRTMIN, SI_QUEUE, v);
	send(t, SIGUSR1, SI_USER, 0);
	send(t, SIGUSR1, SI_USER, 0); /* a standard signal is pending once */
	assert_int_equal(tg->nqueued, 4);
	siginfo_t si;
	for (int v = 1; v <= 3; v++) {
		assert_int_equal(signal_dequeue_set(t, SIGBIT(SIGRTMIN), &si), SIGRTMIN);
		assert_int_equal(si.si_value.sival_int, v);
	}
	assert_int_equal(signal_dequeue_set(t, SIGBIT(SIGRTMIN), &si), 0);
	assert_int_equal(signal_dequeue_set(t, SIGBIT(SIGUSR1), &si), SIGUSR1);
	assert_int_equal(signal_dequeue_set(t, SIGBIT(SIGUSR1), &si), 0);
	assert_int_equal(tg->nqueued, 0);
	/* RLIMIT_SIGPENDING: sigqueue fails past it, kill() does not. */
	struct rlimit keep = tg->rlimits[RLIMIT_SIGPENDING];
	tg->rlimits[RLIMIT_SIGPENDING].rlim_cur = 1;
	send(t, SIGRTMIN, SI_QUEUE, 1);
	siginfo_t info = {.si_signo = SIGRTMIN, .si_code = SI_QUEUE};
	assert_int_equal(task_signal_send_info(t, &info, false), -EAGAIN);
	info.si_code = SI_USER;
	assert_int_equal(task_signal_send_info(t, &info, false), 0);
	tg->rlimits[RLIMIT_SIGPENDING] = keep;
	assert_int_equal(tg->nqueued, 2);
	/* A flush (sigaction SIG_IGN, exit) drops every queued instance. */
	sigpending_flush_locked(tg, &t->pending);
	assert_int_equal(tg->nqueued, 0);
	assert_int_equal(task_pending_any(t), 0);
}

static void test_signalfd_fill_layouts(void **state)
{
	siginfo_t in;
	struct signalfd_siginfo o;
	memset(&in, 0, sizeof(in));
	in.si_signo = SIGCHLD;
	in.si_code = CLD_EXITED;
	in.si_pid = 5;
	in.si_uid = 6;
	in.si_status = 3;
	signalfd_fill(&o, &in);
	assert_int_equal(o.ssi_pid, 5);
	assert_int_equal(o.ssi_status, 3);
	memset(&in, 0, sizeof(in));
	in.si_signo = SIGSEGV;
	in.si_code = SEGV_MAPERR;
	in.si_addr = (void *)0x1234;
	signalfd_fill(&o, &in);
	assert_int_equal(o.ssi_addr, 0x1234);
	assert_int_equal(o.ssi_pid, 0);
	memset(&in, 0, sizeof(in));
	in.si_signo = SIGRTMIN + 1;
	in.si_code = SI_TIMER;
	in.si_timerid = 3;
	in.si_overrun = 4;
	in.si_value.sival_int = 8;
	signalfd_fill(&o, &in);
	assert_int_equal(o.ssi_tid, 3);
	assert_int_equal(o.ssi_overrun, 4);
	assert_int_equal(o.ssi_int, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_signalfd_read_dequeues_in_mask, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rt_signals_queue_in_order_within_the_limit, setup,
						teardown),
		cmocka_unit_test(test_signalfd_fill_layouts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
