/* Unit tests for sentry/kernel/pidfd.c: lookup errors, poll readiness on
 * exit and reap, and the wake-up of pollers. */
#include <poll.h>

#include "sentry/kernel/pidfd.h"
#include "sentry/tests/harness.h"

static int setup(void **state)
{
	int r = kfx_setup_tid(state, 100); /* the group leader: tid == tgid */
	if (r)
		return r;
	struct kfx_state *s = *state;
	waitq_init(&s->fx->tg.pidfd_wq);
	/* The lookups may be kernel.c's own (linked in through kill.c): they
	 * search all_tasks. */
	s->fx->k.all_tasks = &s->t;
	return 0;
}

static int teardown(void **state)
{
	waitq_destroy(&((struct kfx_state *)*state)->fx->tg.pidfd_wq);
	return kfx_teardown(state);
}

struct wake_rec {
	_Atomic int woken;
};
static void wake_fn(struct waiter *w)
{
	atomic_fetch_add(&((struct wake_rec *)w->arg)->woken, 1);
}

static void test_pidfd_open_errors(void **state)
{
	struct kfx_state *s = *state;
	struct file *f;
	assert_int_equal(pidfd_open_pid(&s->fx->k, 4242, 0, &f), -ESRCH);
	/* A thread of the group that is not its leader: not a process. */
	struct task th;
	kfx_task_init(s->fx, &th, 101);
	s->t.next_all = &th;
	assert_int_equal(pidfd_open_pid(&s->fx->k, 101, 0, &f), -ENOENT);
	s->t.next_all = NULL;
	kfx_task_fini(&th);
	assert_int_equal(pidfd_open_pid(&s->fx->k, 100, O_NONBLOCK, &f), 0);
	assert_ptr_equal(pidfd_tg(f), &s->fx->tg);
	assert_true(file_get_flags(f) & O_NONBLOCK);
	char b[8];
	assert_int_equal(file_read(&s->t, f, b, 8), -EINVAL);
	file_put(f);
	struct file *e;
	assert_int_equal(eventfd_new(0, 0, &e), 0);
	assert_null(pidfd_tg(e));
	file_put(e);
}

static void test_pidfd_poll_on_exit_and_reap(void **state)
{
	struct kfx_state *s = *state;
	struct thread_group *tg = &s->fx->tg;
	struct file *f;
	assert_int_equal(pidfd_open_pid(&s->fx->k, 100, 0, &f), 0);
	struct wake_rec wr = {0};
	struct poll_entry pe;
	poll_entry_init(&pe, wake_fn, &wr, POLLIN | POLLHUP);
	assert_int_equal(file_poll(f, &pe), 0);
	tg->zombie = true;
	pidfd_notify_exit(tg);
	assert_int_equal(atomic_load(&wr.woken), 1);
	assert_int_equal(file_poll(f, NULL), POLLIN | POLLRDNORM);
	tg->reaped = true;
	pidfd_notify_exit(tg);
	assert_int_equal(atomic_load(&wr.woken), 2);
	assert_int_equal(file_poll(f, NULL), POLLIN | POLLRDNORM | POLLHUP);
	poll_entry_remove(&pe);
	tg->zombie = tg->reaped = false;
	file_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pidfd_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pidfd_poll_on_exit_and_reap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
