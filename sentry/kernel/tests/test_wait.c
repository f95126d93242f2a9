/* Unit tests for sentry/kernel/wait.c: task sleeps and wake-ups (the futex
 * wake word and the eventfd sleep on a host fd), and that none is lost. */
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/syscall.h>

#include "sentry/kernel/wait.h"
#include "sentry/tests/harness.h"

#define MS 1000000LL

/* A thread that sleeps once in task_block, task_block_fd or task_sleep. */
enum sleep_kind { SLEEP_BLOCK, SLEEP_BLOCK_FD, SLEEP_SLEEP };

struct sleeper {
	struct task *t;
	enum sleep_kind kind;
	int hostfd;
	long timeout_ms; /* < 0: none */
	_Atomic int done;
	int result;
	int64_t elapsed_ns;
	pthread_t th;
};

static void *sleeper_main(void *p)
{
	struct sleeper *s = p;
	struct timespec dl;
	if (s->timeout_ms >= 0)
		deadline_in_ms(&dl, s->timeout_ms);
	const struct timespec *d = s->timeout_ms >= 0 ? &dl : NULL;
	int64_t start = now_ns();
	if (s->kind == SLEEP_BLOCK)
		s->result = task_block(s->t, d);
	else if (s->kind == SLEEP_BLOCK_FD)
		s->result = task_block_fd(s->t, s->hostfd, POLLIN, d);
	else
		s->result = task_sleep(s->t, d);
	s->elapsed_ns = now_ns() - start;
	atomic_store(&s->done, 1);
	return NULL;
}

static void sleeper_start(struct sleeper *s, struct task *t, enum sleep_kind kind, int hostfd,
			  long timeout_ms)
{
	memset(s, 0, sizeof(*s));
	s->t = t;
	s->kind = kind;
	s->hostfd = hostfd;
	s->timeout_ms = timeout_ms;
	assert_int_equal(pthread_create(&s->th, NULL, sleeper_main, s), 0);
}

/* Until the sleeper's thread is asleep (its SLEEP bit is in the word). */
static void wait_until_asleep(struct sleeper *s)
{
	for (int i = 0; i < 5000 && !(atomic_load(&s->t->wake_word) & ~1u); i++)
		usleep(1000);
	assert_true(atomic_load(&s->t->wake_word) & ~1u);
	usleep(2000); /* past the arm, into the host's wait, most of the time */
}

static int sleeper_join(struct sleeper *s)
{
	pthread_join(s->th, NULL);
	return s->result;
}

static void test_wake_before_block_makes_block_return_at_once(void **st)
{
	struct kfx_state *s = *st;
	task_wake(&s->t);
	task_wake(&s->t); /* two wake-ups before a sleep: one pending */
	int64_t t0 = now_ns();
	assert_int_equal(task_block(&s->t, NULL), 0);
	assert_true(now_ns() - t0 < 1000 * MS);
	/* Consumed: the next sleep waits for its deadline. */
	struct timespec dl;
	deadline_in_ms(&dl, 20);
	assert_int_equal(task_block(&s->t, &dl), -ETIMEDOUT);
}

static void test_wake_during_block_wakes_the_sleeper(void **st)
{
	struct kfx_state *s = *st;
	struct sleeper sl;
	sleeper_start(&sl, &s->t, SLEEP_BLOCK, -1, 10000);
	wait_until_asleep(&sl);
	assert_false(atomic_load(&sl.done));
	task_wake(&s->t);
	assert_int_equal(sleeper_join(&sl), 0);
	assert_int_equal(atomic_load(&s->t.wake_word), 0); /* consumed, disarmed */
}

/* A platform that keeps hand-offs on one CPU hears where the waker keeps its
 * own (cpu_hint, context_woken); a sleep nobody woke hears -1. */
static int hint_now = 7;
static _Atomic int woken_with = -100;
static int hint_cpu(struct platform *p) { return hint_now; }
static void hint_woken(struct context *ctx, int cpu) { atomic_store(&woken_with, cpu); }

static void test_a_woken_task_hears_its_wakers_cpu(void **st)
{
	struct kfx_state *s = *st;
	struct platform_ops ops = fake_platform_ops;
	ops.cpu_hint = hint_cpu;
	ops.context_woken = hint_woken;
	struct platform p = {.ops = &ops, .memfd = -1};
	s->fx->k.plat = &p;
	s->t.ctx = (struct context *)&p; /* only compared with NULL here */
	s->t.waker_cpu = -1;
	struct sleeper sl;
	sleeper_start(&sl, &s->t, SLEEP_BLOCK, -1, 10000);
	wait_until_asleep(&sl);
	task_wake(&s->t);
	assert_int_equal(sleeper_join(&sl), 0);
	assert_int_equal(atomic_load(&woken_with), 7);
	/* A wake-up before the sleep carries no hint (its waker was not
	 * waiting for us), nor does a timeout. */
	hint_now = 3;
	task_wake(&s->t);
	assert_int_equal(task_block(&s->t, NULL), 0);
	assert_int_equal(atomic_load(&woken_with), -1);
	struct timespec dl;
	deadline_in_ms(&dl, 5);
	assert_int_equal(task_sleep(&s->t, &dl), -ETIMEDOUT);
	assert_int_equal(atomic_load(&woken_with), -1);
	s->t.ctx = NULL;
	s->fx->k.plat = NULL;
}

static void test_block_times_out_at_its_deadline(void **st)
{
	struct kfx_state *s = *st;
	struct sleeper sl;
	sleeper_start(&sl, &s->t, SLEEP_BLOCK, -1, 40);
	assert_int_equal(sleeper_join(&sl), -ETIMEDOUT);
	assert_true(sl.elapsed_ns >= 40 * MS);
	assert_true(sl.elapsed_ns < 2000 * MS);
	/* A deadline already past: at once. */
	struct timespec dl = {0, 0};
	assert_int_equal(task_block(&s->t, &dl), -ETIMEDOUT);
	/* A nanosecond field out of range is normalized, not refused. */
	deadline_in_ms(&dl, 0);
	dl.tv_sec -= 1;
	dl.tv_nsec += 1000000000L;
	assert_int_equal(task_block(&s->t, &dl), -ETIMEDOUT);
}

static void test_signal_interrupts_block_but_not_task_sleep(void **st)
{
	struct kfx_state *s = *st;
	struct sleeper sl;
	sleeper_start(&sl, &s->t, SLEEP_BLOCK, -1, 10000);
	wait_until_asleep(&sl);
	/* As signal.c: the signal is made pending, then the task woken. */
	atomic_store(&s->t.interrupted, 1);
	task_wake(&s->t);
	assert_int_equal(sleeper_join(&sl), -EINTR);
	/* Pending before the sleep: at once. */
	assert_int_equal(task_block(&s->t, NULL), -EINTR);
	/* The same on a host-fd sleep. */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(task_block_fd(&s->t, p[0], POLLIN, NULL), -EINTR);
	/* task_sleep (ptrace-stops) sleeps whatever is pending. */
	sleeper_start(&sl, &s->t, SLEEP_SLEEP, -1, 10000);
	wait_until_asleep(&sl);
	assert_false(atomic_load(&sl.done));
	task_wake(&s->t);
	assert_int_equal(sleeper_join(&sl), 0);
	sleeper_start(&sl, &s->t, SLEEP_SLEEP, -1, 20);
	assert_int_equal(sleeper_join(&sl), -ETIMEDOUT);
	atomic_store(&s->t.interrupted, 0);
	close(p[0]);
	close(p[1]);
}

static void test_block_fd_returns_host_readiness_or_wake(void **st)
{
	struct kfx_state *s = *st;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct sleeper sl;
	sleeper_start(&sl, &s->t, SLEEP_BLOCK_FD, p[0], 10000);
	wait_until_asleep(&sl);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(sleeper_join(&sl), POLLIN);
	char c;
	assert_int_equal(read(p[0], &c, 1), 1);

	sleeper_start(&sl, &s->t, SLEEP_BLOCK_FD, p[0], 10000);
	wait_until_asleep(&sl);
	task_wake(&s->t);
	assert_int_equal(sleeper_join(&sl), 0);

	sleeper_start(&sl, &s->t, SLEEP_BLOCK_FD, p[0], 30);
	assert_int_equal(sleeper_join(&sl), -ETIMEDOUT);
	assert_true(sl.elapsed_ns >= 30 * MS);
	close(p[0]);
	close(p[1]);
}

/* A late wake of an earlier sleep (its FUTEX_WAKE or eventfd write lands
 * after that sleep ended) must not end a later sleep: no wake-up is
 * pending. */
static void test_late_host_wake_does_not_end_the_next_sleep(void **st)
{
	struct kfx_state *s = *st;
	struct sleeper sl;
	sleeper_start(&sl, &s->t, SLEEP_BLOCK, -1, 10000);
	wait_until_asleep(&sl);
	syscall(SYS_futex, &s->t.wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	usleep(30000);
	assert_false(atomic_load(&sl.done));
	task_wake(&s->t);
	assert_int_equal(sleeper_join(&sl), 0);

	uint64_t one = 1;
	assert_int_equal(write(s->t.wake_efd, &one, sizeof(one)), sizeof(one));
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	sleeper_start(&sl, &s->t, SLEEP_BLOCK_FD, p[0], 40);
	assert_int_equal(sleeper_join(&sl), -ETIMEDOUT);
	assert_true(sl.elapsed_ns >= 40 * MS);
	close(p[0]);
	close(p[1]);
}

/* A wake-up given under a waker's lock (inside a waiter batch) makes its
 * host syscall at the batch's end, and holds the task until then. */
static void test_wake_inside_a_batch_lands_at_its_end(void **st)
{
	struct kfx_state *s = *st;
	struct sleeper sl;
	sleeper_start(&sl, &s->t, SLEEP_BLOCK, -1, 10000);
	wait_until_asleep(&sl);
	struct waiter_batch b;
	waiter_batch_begin(&b);
	task_wake(&s->t);
	task_wake(&s->t); /* a second waker: nothing more to do */
	assert_int_equal(b.n, 1);
	assert_int_equal(atomic_load(&s->t.wake_refs), 1);
	usleep(30000);
	assert_false(atomic_load(&sl.done));
	waiter_batch_end(&b);
	assert_int_equal(sleeper_join(&sl), 0);
	assert_int_equal(atomic_load(&s->t.wake_refs), 0);
	task_wake_quiesce(&s->t); /* none in flight: returns */

	/* The same for a sleep on a host fd (the eventfd write waits). */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	sleeper_start(&sl, &s->t, SLEEP_BLOCK_FD, p[0], 10000);
	wait_until_asleep(&sl);
	waiter_batch_begin(&b);
	task_wake(&s->t);
	usleep(30000);
	assert_false(atomic_load(&sl.done));
	waiter_batch_end(&b);
	assert_int_equal(sleeper_join(&sl), 0);
	close(p[0]);
	close(p[1]);
}

/* Many sleepers, each woken once, each by another thread. */
#define NSLEEPERS 8
static void test_many_sleeping_tasks_each_get_their_wake(void **st)
{
	struct kfx_state *s = *st;
	static struct task ts[NSLEEPERS];
	struct sleeper sl[NSLEEPERS];
	for (int i = 0; i < NSLEEPERS; i++) {
		kfx_task_init(s->fx, &ts[i], 10 + i);
		sleeper_start(&sl[i], &ts[i], i % 2 ? SLEEP_BLOCK : SLEEP_SLEEP, -1, 10000);
	}
	for (int i = 0; i < NSLEEPERS; i++)
		wait_until_asleep(&sl[i]);
	for (int i = NSLEEPERS - 1; i >= 0; i--)
		task_wake(&ts[i]);
	for (int i = 0; i < NSLEEPERS; i++) {
		assert_int_equal(sleeper_join(&sl[i]), 0);
		assert_true(sl[i].elapsed_ns < 5000 * MS);
		kfx_task_fini(&ts[i]);
	}
}

/* Stress: two tasks hand a turn back and forth, each sleeping until it is
 * its turn, alternating futex sleeps and host-fd sleeps (on a pipe that
 * never becomes ready).  A lost wake-up shows as a sleep that runs to its
 * 5 s deadline. */
#define ROUNDS 20000
struct pingpong {
	struct task *me, *other;
	_Atomic int *turn;
	int id;
	int hostfd;
	int lost;
};

static void *pingpong_main(void *p)
{
	struct pingpong *pp = p;
	for (int k = 0; k < ROUNDS; k++) {
		while (atomic_load(pp->turn) != pp->id) {
			struct timespec dl;
			deadline_in_ms(&dl, 5000);
			int r = (k & 1) ? task_block(pp->me, &dl)
					: task_block_fd(pp->me, pp->hostfd, POLLIN, &dl);
			if (r == -ETIMEDOUT && atomic_load(pp->turn) != pp->id) {
				pp->lost++;
				return NULL;
			}
		}
		atomic_store(pp->turn, 1 - pp->id);
		task_wake(pp->other);
	}
	return NULL;
}

static void test_no_wake_is_lost_in_a_ping_pong(void **st)
{
	struct kfx_state *s = *st;
	struct task other;
	kfx_task_init(s->fx, &other, 2);
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	_Atomic int turn = 0;
	struct pingpong a = {.me = &s->t, .other = &other, .turn = &turn, .id = 0, .hostfd = p[0]};
	struct pingpong b = {.me = &other, .other = &s->t, .turn = &turn, .id = 1, .hostfd = p[0]};
	pthread_t ta, tb;
	assert_int_equal(pthread_create(&ta, NULL, pingpong_main, &a), 0);
	assert_int_equal(pthread_create(&tb, NULL, pingpong_main, &b), 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	kfx_task_fini(&other);
	close(p[0]);
	close(p[1]);
	assert_int_equal(a.lost + b.lost, 0);
}

/* Stress: many wakers, one sleeper counting their events. */
#define WAKERS 4
#define EVENTS 20000
struct burst {
	struct task *sleeper;
	_Atomic int *count;
};

static void *burst_main(void *p)
{
	struct burst *b = p;
	for (int i = 0; i < EVENTS; i++) {
		atomic_fetch_add(b->count, 1);
		task_wake(b->sleeper);
	}
	return NULL;
}

static void test_no_wake_is_lost_with_many_wakers(void **st)
{
	struct kfx_state *s = *st;
	_Atomic int count = 0;
	struct burst b = {.sleeper = &s->t, .count = &count};
	pthread_t th[WAKERS];
	for (int i = 0; i < WAKERS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, burst_main, &b), 0);
	int seen = 0, timeouts = 0;
	while (seen < WAKERS * EVENTS) {
		seen = atomic_load(&count);
		if (seen == WAKERS * EVENTS)
			break;
		struct timespec dl;
		deadline_in_ms(&dl, 5000);
		if (task_block(&s->t, &dl) == -ETIMEDOUT && atomic_load(&count) == seen) {
			timeouts++;
			break;
		}
	}
	for (int i = 0; i < WAKERS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(timeouts, 0);
	assert_int_equal(atomic_load(&count), WAKERS * EVENTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_wake_before_block_makes_block_return_at_once,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wake_during_block_wakes_the_sleeper,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_a_woken_task_hears_its_wakers_cpu, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_block_times_out_at_its_deadline, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_signal_interrupts_block_but_not_task_sleep,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_block_fd_returns_host_readiness_or_wake,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_late_host_wake_does_not_end_the_next_sleep,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_wake_inside_a_batch_lands_at_its_end,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_many_sleeping_tasks_each_get_their_wake,
						kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_no_wake_is_lost_in_a_ping_pong, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_no_wake_is_lost_with_many_wakers, kfx_setup,
						kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
