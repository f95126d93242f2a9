/* Unit tests for sentry/kernel/futex.c and sentry/syscalls/sys_futex.c. */
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>

#include "sentry/kernel/futex.h"
#include "sentry/tests/harness.h"

/* A thread blocked in futex(2) through the syscall table. */
struct fwaiter {
	struct kfx *fx;
	struct task task;
	uint64_t addr;
	int op;
	uint32_t val;
	uint64_t timeout; /* app address of a timespec, or 0 */
	uint32_t val3;
	_Atomic int done;
	int64_t result;
	int64_t elapsed_ns;
	pthread_t th;
};

static void *waiter_main(void *p)
{
	struct fwaiter *w = p;
	int64_t start = now_ns();
	w->result = fx_call(sys_futex_defs, &w->task, SYS_futex, w->addr, (uint64_t)w->op, w->val,
			    w->timeout, 0, w->val3);
	w->elapsed_ns = now_ns() - start;
	atomic_store(&w->done, 1);
	return NULL;
}

static void waiter_start(struct kfx *fx, struct fwaiter *w, int tid, uint64_t addr, int op,
			 uint32_t val, uint64_t timeout, uint32_t val3)
{
	memset(w, 0, sizeof(*w));
	w->fx = fx;
	kfx_task_init(fx, &w->task, tid);
	w->addr = addr;
	w->op = op;
	w->val = val;
	w->timeout = timeout;
	w->val3 = val3;
	assert_int_equal(pthread_create(&w->th, NULL, waiter_main, w), 0);
}

static int64_t waiter_join(struct fwaiter *w)
{
	pthread_join(w->th, NULL);
	kfx_task_fini(&w->task);
	return w->result;
}

/* How many waiters sit on addr: a requeue onto itself that wakes nobody and
 * "moves" everyone (same bucket: nothing moves) returns the count. */
static int count_waiters(struct task *t, uint64_t addr, bool priv)
{
	return futex_requeue(t, addr, addr, priv, 0, INT_MAX, false, 0);
}

static void wait_for_waiters(struct task *t, uint64_t addr, bool priv, int n)
{
	for (int i = 0; i < 5000 && count_waiters(t, addr, priv) < n; i++)
		usleep(1000);
	assert_int_equal(count_waiters(t, addr, priv), n);
}

static int64_t futex(struct task *t, uint64_t addr, int op, uint32_t val, uint64_t timeout,
		     uint64_t addr2, uint32_t val3)
{
	return fx_call(sys_futex_defs, t, SYS_futex, addr, (uint64_t)op, val, timeout, addr2, val3);
}

static void test_wait_returns_eagain_when_value_differs(void **st)
{
	struct kfx_state *s = *st;
	put32(s->fx, s->fx->base, 1);
	assert_int_equal(futex(&s->t, s->fx->base, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0), -EAGAIN);
}

static void test_wake_wakes_waiter_in_other_thread(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base;
	put32(s->fx, w0, 0);
	struct fwaiter w;
	waiter_start(s->fx, &w, 2, w0, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	wait_for_waiters(&s->t, w0, true, 1);
	assert_false(atomic_load(&w.done));
	put32(s->fx, w0, 1);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), 1);
	assert_int_equal(waiter_join(&w), 0);
	/* Nobody left. */
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 0);
}

static void test_private_wake_does_not_reach_other_address(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base, w1 = s->fx->base + 4;
	put32(s->fx, w0, 0);
	struct fwaiter w;
	waiter_start(s->fx, &w, 2, w0, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	wait_for_waiters(&s->t, w0, true, 1);
	assert_int_equal(futex(&s->t, w1, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), 0);
	/* A shared wake on the same private-mapping word meets it (same key). */
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE, 1, 0, 0, 0), 1);
	assert_int_equal(waiter_join(&w), 0);
}

static void test_wait_relative_timeout_expires(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base, ts_addr = s->fx->base + 256;
	put32(s->fx, w0, 7);
	struct timespec ts = {0, 50 * 1000000};
	assert_int_equal(mm_copy_out(s->fx->mm, ts_addr, &ts, sizeof(ts)), 0);
	int64_t start = now_ns();
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_PRIVATE, 7, ts_addr, 0, 0), -ETIMEDOUT);
	int64_t el = now_ns() - start;
	assert_true(el >= 50 * 1000000LL);
	assert_true(el < 2000 * 1000000LL);
}

static void test_wait_bitset_absolute_deadline_uses_sandbox_monotonic(void **st)
{
	struct kfx_state *s = *st;
	/* The sandbox booted 1000 s ago, so its CLOCK_MONOTONIC (host minus
	 * boot) reads about 1000 s.  A deadline 40 ms after that must time out
	 * after ~40 ms: neither at once (read as a host time in the past) nor
	 * never. */
	s->fx->k.boot_mono.tv_sec -= 1000;
	uint64_t w0 = s->fx->base, ts_addr = s->fx->base + 256;
	put32(s->fx, w0, 7);
	struct timespec host;
	clock_gettime(CLOCK_MONOTONIC, &host);
	int64_t sandbox_now = (host.tv_sec - s->fx->k.boot_mono.tv_sec) * 1000000000LL +
			      (host.tv_nsec - s->fx->k.boot_mono.tv_nsec);
	int64_t dl = sandbox_now + 40 * 1000000LL;
	struct timespec ts = {dl / 1000000000LL, dl % 1000000000LL};
	assert_int_equal(mm_copy_out(s->fx->mm, ts_addr, &ts, sizeof(ts)), 0);
	int64_t start = now_ns();
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_BITSET_PRIVATE, 7, ts_addr, 0,
			       FUTEX_BITSET_MATCH_ANY),
			 -ETIMEDOUT);
	int64_t el = now_ns() - start;
	assert_true(el >= 35 * 1000000LL);
	assert_true(el < 2000 * 1000000LL);
}

static void test_wait_bitset_realtime_deadline_in_past_times_out_at_once(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base, ts_addr = s->fx->base + 256;
	put32(s->fx, w0, 7);
	struct timespec rt;
	clock_gettime(CLOCK_REALTIME, &rt);
	rt.tv_sec -= 5;
	assert_int_equal(mm_copy_out(s->fx->mm, ts_addr, &rt, sizeof(rt)), 0);
	int64_t start = now_ns();
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 7,
			       ts_addr, 0, FUTEX_BITSET_MATCH_ANY),
			 -ETIMEDOUT);
	assert_true(now_ns() - start < 1000 * 1000000LL);
}

static void test_bad_arguments_are_rejected_like_linux(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base, ts_addr = s->fx->base + 256;
	put32(s->fx, w0, 0);
	/* Unaligned word. */
	assert_int_equal(futex(&s->t, w0 + 1, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(futex(&s->t, w0 + 2, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), -EINVAL);
	/* Unmapped word. */
	assert_int_equal(futex(&s->t, 0x1000, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0), -EFAULT);
	/* Bitset 0. */
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, 0, 0), -EINVAL);
	/* A malformed timeout, and one at a bad address. */
	struct timespec bad = {0, 1000000000};
	assert_int_equal(mm_copy_out(s->fx->mm, ts_addr, &bad, sizeof(bad)), 0);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_PRIVATE, 0, ts_addr, 0, 0), -EINVAL);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_PRIVATE, 0, 0x1000, 0, 0), -EFAULT);
	/* FUTEX_CLOCK_REALTIME only with the absolute waits (Linux 5.11+). */
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0),
			 -ENOSYS);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_PRIVATE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0),
			 -ENOSYS);
	/* PI futexes are not implemented. */
	assert_int_equal(futex(&s->t, w0, FUTEX_LOCK_PI_PRIVATE, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(futex(&s->t, w0, FUTEX_UNLOCK_PI_PRIVATE, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAIT_REQUEUE_PI_PRIVATE, 0, 0, w0 + 4, 0),
			 -ENOSYS);
	/* Negative requeue counts. */
	assert_int_equal(futex(&s->t, w0, FUTEX_REQUEUE_PRIVATE, (uint32_t)-1, 0, w0 + 4, 0),
			 -EINVAL);
}

static void test_wake_bitset_wakes_only_matching_waiters(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base;
	put32(s->fx, w0, 0);
	struct fwaiter a, b;
	waiter_start(s->fx, &a, 2, w0, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 0x1);
	waiter_start(s->fx, &b, 3, w0, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 0x2);
	wait_for_waiters(&s->t, w0, true, 2);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, 0, 0, 0x2), 1);
	assert_int_equal(waiter_join(&b), 0);
	assert_false(atomic_load(&a.done));
	assert_int_equal(count_waiters(&s->t, w0, true), 1);
	/* A plain wake matches every bitset. */
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0), 1);
	assert_int_equal(waiter_join(&a), 0);
}

static void test_wake_with_count_zero_still_wakes_one(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base;
	put32(s->fx, w0, 0);
	struct fwaiter a, b;
	waiter_start(s->fx, &a, 2, w0, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	waiter_start(s->fx, &b, 3, w0, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	wait_for_waiters(&s->t, w0, true, 2);
	/* As Linux: the count is checked after the first wake. */
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_PRIVATE, 0, 0, 0, 0), 1);
	assert_int_equal(count_waiters(&s->t, w0, true), 1);
	assert_int_equal(futex(&s->t, w0, FUTEX_WAKE_PRIVATE, 5, 0, 0, 0), 1);
	waiter_join(&a);
	waiter_join(&b);
}

static void test_cmp_requeue_wakes_moves_and_counts(void **st)
{
	struct kfx_state *s = *st;
	uint64_t A = s->fx->base, B = s->fx->base + 64;
	put32(s->fx, A, 0);
	put32(s->fx, B, 0);
	struct fwaiter w[3];
	for (int i = 0; i < 3; i++)
		waiter_start(s->fx, &w[i], 10 + i, A, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	wait_for_waiters(&s->t, A, true, 3);
	/* The value check fails: nothing happens. */
	assert_int_equal(futex(&s->t, A, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, B, 99), -EAGAIN);
	assert_int_equal(count_waiters(&s->t, A, true), 3);
	/* Wake 1, requeue 1: returns 2; one left on A, one on B. */
	assert_int_equal(futex(&s->t, A, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, B, 0), 2);
	assert_int_equal(count_waiters(&s->t, A, true), 1);
	assert_int_equal(count_waiters(&s->t, B, true), 1);
	/* The requeued one answers a wake on B. */
	assert_int_equal(futex(&s->t, B, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 1);
	/* Plain REQUEUE: no value check; move the last one to B. */
	assert_int_equal(futex(&s->t, A, FUTEX_REQUEUE_PRIVATE, 0, 5, B, 0), 1);
	assert_int_equal(count_waiters(&s->t, A, true), 0);
	assert_int_equal(futex(&s->t, B, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(waiter_join(&w[i]), 0);
}

static uint32_t wake_op(unsigned op, unsigned oparg, unsigned cmp, unsigned cmparg)
{
	return ((op & 0xf) << 28) | ((cmp & 0xf) << 24) | ((oparg & 0xfff) << 12) | (cmparg & 0xfff);
}

static void test_wake_op_arithmetic_and_comparisons(void **st)
{
	struct kfx_state *s = *st;
	uint64_t A = s->fx->base, B = s->fx->base + 64;
	put32(s->fx, B, 5);
	/* ADD 3, compare old == 5: true.  No waiters: 0 woken. */
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5)),
			 0);
	assert_int_equal(get32(s->fx, B), 8);
	/* OR with an oparg shift: |= 1 << 4. */
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_OR | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_NE, 0)),
			 0);
	assert_int_equal(get32(s->fx, B), 24);
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_ANDN, 8, FUTEX_OP_CMP_EQ, 0)),
			 0);
	assert_int_equal(get32(s->fx, B), 16);
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_XOR, 0x11, FUTEX_OP_CMP_EQ, 0)),
			 0);
	assert_int_equal(get32(s->fx, B), 1);
	/* oparg is a signed 12-bit field: ADD -1 (0xfff). */
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_ADD, 0xfff, FUTEX_OP_CMP_EQ, 0)),
			 0);
	assert_int_equal(get32(s->fx, B), 0);
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_SET, 42, FUTEX_OP_CMP_EQ, 0)),
			 0);
	assert_int_equal(get32(s->fx, B), 42);
	/* An unknown op fails before touching the word... */
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(7, 1, FUTEX_OP_CMP_EQ, 0)),
			 -ENOSYS);
	assert_int_equal(get32(s->fx, B), 42);
	/* ...an unknown comparison only after (as Linux). */
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_SET, 7, 9, 0)),
			 -ENOSYS);
	assert_int_equal(get32(s->fx, B), 7);
}

static void test_wake_op_wakes_second_word_only_when_comparison_holds(void **st)
{
	struct kfx_state *s = *st;
	uint64_t A = s->fx->base, B = s->fx->base + 64;
	put32(s->fx, A, 0);
	put32(s->fx, B, 0);
	struct fwaiter wa, wb;
	waiter_start(s->fx, &wa, 2, A, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	waiter_start(s->fx, &wb, 3, B, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	wait_for_waiters(&s->t, A, true, 1);
	wait_for_waiters(&s->t, B, true, 1);
	/* SET 1 on B; old (0) > 100 is false: only A's waiter wakes. */
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_SET, 1, FUTEX_OP_CMP_GT, 100)),
			 1);
	assert_int_equal(waiter_join(&wa), 0);
	assert_int_equal(count_waiters(&s->t, B, true), 1);
	/* SET 2; old (1) < 5 is true: B's waiter wakes. */
	assert_int_equal(futex(&s->t, A, FUTEX_WAKE_OP_PRIVATE, 1, 1, B,
			       wake_op(FUTEX_OP_SET, 2, FUTEX_OP_CMP_LT, 5)),
			 1);
	assert_int_equal(waiter_join(&wb), 0);
	assert_int_equal(get32(s->fx, B), 2);
}

static void test_signal_interrupts_wait_with_linux_restart_codes(void **st)
{
	struct kfx_state *s = *st;
	if (!fake_signals_work(&s->t))
		skip();
	uint64_t w0 = s->fx->base, ts_addr = s->fx->base + 256;
	put32(s->fx, w0, 0);
	/* Without a timeout: -ERESTARTSYS. */
	struct fwaiter w;
	waiter_start(s->fx, &w, 5, w0, FUTEX_WAIT_PRIVATE, 0, 0, 0);
	wait_for_waiters(&s->t, w0, true, 1);
	atomic_store(&fake_signal_tid, 5);
	task_wake(&w.task);
	pthread_join(w.th, NULL);
	assert_int_equal(w.result, -ERESTARTSYS);
	assert_int_equal(count_waiters(&s->t, w0, true), 0);
	kfx_task_fini(&w.task);
	atomic_store(&fake_signal_tid, -1);

	/* With a timeout: a restart block that resumes the same deadline. */
	struct timespec ts = {10, 0};
	assert_int_equal(mm_copy_out(s->fx->mm, ts_addr, &ts, sizeof(ts)), 0);
	waiter_start(s->fx, &w, 6, w0, FUTEX_WAIT_PRIVATE, 0, ts_addr, 0);
	wait_for_waiters(&s->t, w0, true, 1);
	atomic_store(&fake_signal_tid, 6);
	task_wake(&w.task);
	pthread_join(w.th, NULL);
	assert_int_equal(w.result, -ERESTART_RESTARTBLOCK);
	assert_non_null(w.task.restart_fn);
	assert_int_equal(w.task.restart_arg[0], w0);
	atomic_store(&fake_signal_tid, -1);
	/* The restarted wait still compares the value: changed -> EAGAIN. */
	put32(s->fx, w0, 1);
	assert_int_equal(w.task.restart_fn(&w.task), -EAGAIN);
	assert_null(w.task.restart_fn);
	kfx_task_fini(&w.task);
}

static void test_wake_addr_wakes_shared_waiter(void **st)
{
	struct kfx_state *s = *st;
	uint64_t w0 = s->fx->base + 128;
	put32(s->fx, w0, 77);
	struct fwaiter w;
	waiter_start(s->fx, &w, 2, w0, FUTEX_WAIT, 77, 0, 0); /* shared, as pthread_join */
	wait_for_waiters(&s->t, w0, false, 1);
	put32(s->fx, w0, 0);
	assert_int_equal(futex_wake_addr(&s->t, w0, 1), 1);
	assert_int_equal(waiter_join(&w), 0);
}

/* Lay out a robust_list_head at head with entries (each a robust_list node
 * followed, at futex_offset, by the lock word). */
static void put64(struct kfx *fx, uint64_t addr, uint64_t v)
{
	assert_int_equal(mm_copy_out(fx->mm, addr, &v, sizeof(v)), 0);
}

static void test_robust_list_marks_owner_died_and_wakes(void **st)
{
	struct kfx_state *s = *st;
	struct kfx *fx = s->fx;
	uint64_t head = fx->base + 1024;
	uint64_t e1 = fx->base + 2048, e2 = fx->base + 2112, e3 = fx->base + 2176;
	int64_t off = 16; /* the word lives 16 bytes after each node */
	const int tid = 9;
	struct task dying;
	kfx_task_init(fx, &dying, tid);

	/* e1: held by the dying task with waiters; e2: held by someone else;
	 * e3: the pending op, word 0 (unlock in flight). */
	put32(fx, e1 + off, (uint32_t)tid | FUTEX_WAITERS);
	put32(fx, e2 + off, 1234);
	put32(fx, e3 + off, 0);
	put64(fx, head, e1);
	put64(fx, head + 8, (uint64_t)off);
	put64(fx, head + 16, e3);
	put64(fx, e1, e2);
	put64(fx, e2, e3);
	put64(fx, e3, head);
	assert_int_equal(fx_call(sys_futex_defs, &dying, SYS_set_robust_list, head, 24, 0, 0, 0, 0),
			 0);

	struct fwaiter w1, w3;
	waiter_start(fx, &w1, 20, e1 + off, FUTEX_WAIT, (uint32_t)tid | FUTEX_WAITERS, 0, 0);
	waiter_start(fx, &w3, 21, e3 + off, FUTEX_WAIT, 0, 0, 0);
	wait_for_waiters(&s->t, e1 + off, false, 1);
	wait_for_waiters(&s->t, e3 + off, false, 1);

	futex_exit_robust_list(&dying);
	assert_int_equal(get32(fx, e1 + off), FUTEX_WAITERS | FUTEX_OWNER_DIED);
	assert_int_equal(get32(fx, e2 + off), 1234);
	assert_int_equal(get32(fx, e3 + off), 0);
	assert_int_equal(waiter_join(&w1), 0);
	assert_int_equal(waiter_join(&w3), 0);
	kfx_task_fini(&dying);
}

static void test_robust_list_walk_is_bounded_and_tolerates_bad_pointers(void **st)
{
	struct kfx_state *s = *st;
	struct kfx *fx = s->fx;
	uint64_t head = fx->base + 1024, e1 = fx->base + 2048;
	struct task dying;
	kfx_task_init(fx, &dying, 9);
	/* A node that points at itself: the walk must stop (2048 steps). */
	put64(fx, head, e1);
	put64(fx, head + 8, 16);
	put64(fx, head + 16, 0);
	put64(fx, e1, e1);
	put32(fx, e1 + 16, 9);
	dying.robust_list = head;
	futex_exit_robust_list(&dying);
	assert_int_equal(get32(fx, e1 + 16), FUTEX_OWNER_DIED);
	/* A list into unmapped memory, and an unmapped head: no crash. */
	put64(fx, e1, 0x5000);
	futex_exit_robust_list(&dying);
	dying.robust_list = 0x7000;
	futex_exit_robust_list(&dying);
	kfx_task_fini(&dying);
}

static void test_set_and_get_robust_list(void **st)
{
	struct kfx_state *s = *st;
	uint64_t out = s->fx->base + 512;
	assert_int_equal(
		fx_call(sys_futex_defs, &s->t, SYS_set_robust_list, 0x1234, 23, 0, 0, 0, 0),
		-EINVAL);
	assert_int_equal(
		fx_call(sys_futex_defs, &s->t, SYS_set_robust_list, 0x1230, 24, 0, 0, 0, 0), 0);
	assert_int_equal(fx_call(sys_futex_defs, &s->t, SYS_get_robust_list, 0, out, out + 8, 0,
				 0, 0),
			 0);
	uint64_t v[2];
	assert_int_equal(mm_copy_in(s->fx->mm, v, out, sizeof(v)), 0);
	assert_int_equal(v[0], 0x1230);
	assert_int_equal(v[1], 24);
	/* Another thread of the group is found; an unknown tid is ESRCH. */
	struct task other;
	kfx_task_init(s->fx, &other, 44);
	other.robust_list = 0x4440;
	assert_int_equal(fx_call(sys_futex_defs, &s->t, SYS_get_robust_list, 44, out, out + 8,
				 0, 0, 0),
			 0);
	assert_int_equal(mm_copy_in(s->fx->mm, v, out, sizeof(v)), 0);
	assert_int_equal(v[0], 0x4440);
	assert_int_equal(fx_call(sys_futex_defs, &s->t, SYS_get_robust_list, 4321, out,
				 out + 8, 0, 0, 0),
			 -ESRCH);
	assert_int_equal(fx_call(sys_futex_defs, &s->t, SYS_get_robust_list, 0, 0x1000,
				 out + 8, 0, 0, 0),
			 -EFAULT);
	kfx_task_fini(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wait_returns_eagain_when_value_differs,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wake_wakes_waiter_in_other_thread, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_private_wake_does_not_reach_other_address,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wait_relative_timeout_expires, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(
			test_wait_bitset_absolute_deadline_uses_sandbox_monotonic, kfx_setup,
			kfx_teardown),
		cmocka_unit_test_setup_teardown(
			test_wait_bitset_realtime_deadline_in_past_times_out_at_once, kfx_setup,
			kfx_teardown),
		cmocka_unit_test_setup_teardown(test_bad_arguments_are_rejected_like_linux,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wake_bitset_wakes_only_matching_waiters,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wake_with_count_zero_still_wakes_one,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_cmp_requeue_wakes_moves_and_counts, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wake_op_arithmetic_and_comparisons, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(
			test_wake_op_wakes_second_word_only_when_comparison_holds, kfx_setup,
			kfx_teardown),
		cmocka_unit_test_setup_teardown(
			test_signal_interrupts_wait_with_linux_restart_codes, kfx_setup,
			kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wake_addr_wakes_shared_waiter, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_robust_list_marks_owner_died_and_wakes,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(
			test_robust_list_walk_is_bounded_and_tolerates_bad_pointers, kfx_setup,
			kfx_teardown),
		cmocka_unit_test_setup_teardown(test_set_and_get_robust_list, kfx_setup,
						kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
