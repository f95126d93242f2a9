/* Unit tests for sentry/kernel/sched.c and sentry/syscalls/sys_sched.c:
 * policy and priority ranges, permissions, reset-on-fork, sched_attr sizes,
 * I/O priorities. */
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "sentry/kernel/sched.h"
#include "sentry/tests/harness.h"

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return fx_call(sys_sched_defs, t, nr, a0, a1, a2, a3, 0, 0);
}

static int64_t setsched(struct kfx_state *s, int pid, int policy, int prio)
{
	put32(s->fx, s->fx->base, (uint32_t)prio);
	return sc(&s->t, SYS_sched_setscheduler, (uint64_t)pid, (uint64_t)policy, s->fx->base, 0);
}

static void become_nobody(struct task *t)
{
	struct creds *c = creds_dup(t->creds);
	c->ruid = c->euid = c->suid = c->fsuid = 65534;
	c->cap_effective = c->cap_permitted = 0;
	task_commit_creds(t, c);
}

static void test_policies_and_priority_ranges(void **state)
{
	struct kfx_state *s = *state;
	assert_int_equal(setsched(s, 0, SCHED_FIFO, 10), 0);
	assert_int_equal(sc(&s->t, SYS_sched_getscheduler, 0, 0, 0, 0), SCHED_FIFO);
	assert_int_equal(s->t.sched_priority, 10);
	assert_int_equal(setsched(s, 0, SCHED_FIFO, 0), -EINVAL);
	assert_int_equal(setsched(s, 0, SCHED_RR, 100), -EINVAL);
	assert_int_equal(setsched(s, 0, SCHED_OTHER, 1), -EINVAL);
	assert_int_equal(setsched(s, 0, 6 /* DEADLINE */, 0), -EINVAL);
	assert_int_equal(setsched(s, 0, 4, 0), -EINVAL);
	assert_int_equal(setsched(s, 0, -1, 0), -EINVAL);
	assert_int_equal(setsched(s, -1, SCHED_OTHER, 0), -EINVAL);
	assert_int_equal(setsched(s, 4242, SCHED_OTHER, 0), -ESRCH);
	assert_int_equal(sc(&s->t, SYS_sched_setscheduler, 0, SCHED_OTHER, 0, 0), -EINVAL);
	assert_int_equal(setsched(s, 0, SCHED_RR | 0x40000000, 3), 0);
	assert_int_equal(sc(&s->t, SYS_sched_getscheduler, 0, 0, 0, 0), SCHED_RR | 0x40000000);
	/* sched_setparam keeps the policy and the reset-on-fork flag. */
	put32(s->fx, s->fx->base, 42);
	assert_int_equal(sc(&s->t, SYS_sched_setparam, 0, s->fx->base, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_sched_getparam, 0, s->fx->base + 8, 0, 0), 0);
	assert_int_equal(get32(s->fx, s->fx->base + 8), 42);
	assert_int_equal(sc(&s->t, SYS_sched_getscheduler, 0, 0, 0, 0), SCHED_RR | 0x40000000);
	assert_int_equal(sc(&s->t, SYS_sched_rr_get_interval, 0, s->fx->base + 16, 0, 0), 0);
	assert_int_equal(get32(s->fx, s->fx->base + 24), 100 * 1000 * 1000);
}

static void test_reset_on_fork(void **state)
{
	struct kfx_state *s = *state;
	struct task c;
	memset(&c, 0, sizeof(c));
	s->t.sched_policy = SCHED_FIFO;
	s->t.sched_priority = 5;
	s->t.sched_nice = -3;
	s->t.ioprio = 0x4003;
	sched_fork(&c, &s->t);
	assert_int_equal(c.sched_policy, SCHED_FIFO);
	assert_int_equal(c.sched_priority, 5);
	assert_int_equal(c.sched_nice, -3);
	assert_int_equal(c.ioprio, 0x4003);
	s->t.sched_reset_on_fork = true;
	sched_fork(&c, &s->t);
	assert_int_equal(c.sched_policy, SCHED_OTHER);
	assert_int_equal(c.sched_priority, 0);
	assert_int_equal(c.sched_nice, 0);
	assert_false(c.sched_reset_on_fork);
	s->t.sched_policy = SCHED_BATCH;
	s->t.sched_priority = 0;
	sched_fork(&c, &s->t);
	assert_int_equal(c.sched_policy, SCHED_BATCH);
	assert_int_equal(c.sched_nice, 0); /* a negative nice goes back to 0 */
}

static void test_unprivileged_rules(void **state)
{
	struct kfx_state *s = *state;
	struct task other;
	kfx_task_init(s->fx, &other, 2); /* root's */
	s->fx->tg.rlimits[RLIMIT_RTPRIO].rlim_cur = 0;
	s->fx->tg.rlimits[RLIMIT_NICE].rlim_cur = 0;
	become_nobody(&s->t);
	assert_int_equal(setsched(s, 0, SCHED_FIFO, 1), -EPERM);
	assert_int_equal(setsched(s, 2, SCHED_OTHER, 0), -EPERM);
	/* RLIMIT_RTPRIO lets a user use real-time up to its value. */
	s->fx->tg.rlimits[RLIMIT_RTPRIO].rlim_cur = 5;
	assert_int_equal(setsched(s, 0, SCHED_FIFO, 5), 0);
	assert_int_equal(setsched(s, 0, SCHED_FIFO, 6), -EPERM);
	assert_int_equal(setsched(s, 0, SCHED_OTHER | 0x40000000, 0), 0);
	/* Clearing reset-on-fork needs CAP_SYS_NICE. */
	assert_int_equal(setsched(s, 0, SCHED_OTHER, 0), -EPERM);
	assert_int_equal(setsched(s, 0, SCHED_IDLE | 0x40000000, 0), 0);
	assert_int_equal(setsched(s, 0, SCHED_OTHER | 0x40000000, 0), -EPERM);
	kfx_task_fini(&other);
}

static void test_sched_attr_sizes(void **state)
{
	struct kfx_state *s = *state;
	uint64_t at = s->fx->base;
	uint8_t zero[128] = {0};
	assert_int_equal(mm_copy_out(s->fx->mm, at, zero, sizeof(zero)), 0);
	put32(s->fx, at, 20);
	assert_int_equal(sc(&s->t, SYS_sched_setattr, 0, at, 0, 0), -E2BIG);
	assert_int_equal(get32(s->fx, at), 56);
	put32(s->fx, at, 64);
	put32(s->fx, at + 60, 1);
	assert_int_equal(sc(&s->t, SYS_sched_setattr, 0, at, 0, 0), -E2BIG);
	put32(s->fx, at + 60, 0);
	put32(s->fx, at + 16, (uint32_t)-7); /* nice */
	assert_int_equal(sc(&s->t, SYS_sched_setattr, 0, at, 0, 0), 0);
	assert_int_equal(s->t.sched_nice, -7);
	assert_int_equal(sc(&s->t, SYS_sched_setattr, 0, at, 1, 0), -EINVAL);
	put32(s->fx, at + 8, 0x20); /* SCHED_FLAG_UTIL_CLAMP_MIN */
	assert_int_equal(sc(&s->t, SYS_sched_setattr, 0, at, 0, 0), -EOPNOTSUPP);
	put32(s->fx, at, 48);
	assert_int_equal(sc(&s->t, SYS_sched_setattr, 0, at, 0, 0), -EINVAL);

	assert_int_equal(sc(&s->t, SYS_sched_getattr, 0, at, 47, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_sched_getattr, 0, at, 4097, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_sched_getattr, 0, at, 56, 1), -EINVAL);
	memset(zero, 0xff, sizeof(zero));
	assert_int_equal(mm_copy_out(s->fx->mm, at, zero, sizeof(zero)), 0);
	assert_int_equal(sc(&s->t, SYS_sched_getattr, 0, at, 64, 0), 0);
	assert_int_equal(get32(s->fx, at), 56);
	assert_int_equal((int32_t)get32(s->fx, at + 16), -7);
	assert_int_equal(get32(s->fx, at + 60), 0); /* the tail is cleared */
}

static void test_ioprio(void **state)
{
	struct kfx_state *s = *state;
	assert_int_equal(sc(&s->t, SYS_ioprio_get, 1, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_ioprio_set, 1, 0, (2 << 13) | 3, 0), 0);
	assert_int_equal(sc(&s->t, SYS_ioprio_get, 1, 0, 0, 0), (2 << 13) | 3);
	assert_int_equal(sc(&s->t, SYS_ioprio_set, 1, 0, 1, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_ioprio_set, 1, 0, 4 << 13, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_ioprio_set, 7, 0, 2 << 13, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_ioprio_get, 1, 4242, 0, 0), -ESRCH);
	become_nobody(&s->t);
	assert_int_equal(sc(&s->t, SYS_ioprio_set, 1, 0, 1 << 13, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_ioprio_set, 1, 0, 3 << 13, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_policies_and_priority_ranges, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_reset_on_fork, kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_unprivileged_rules, kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_sched_attr_sizes, kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_ioprio, kfx_setup, kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
