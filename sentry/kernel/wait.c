/*
 * wait.c — interruptible sleeps of tasks; see wait.h.
 *
 * Every wake-up of a task goes through one word, t->wake_word:
 *
 *   TASK_WAKE_PENDING     a wake-up the task has not consumed yet; set by
 *                         any thread (task_wake), cleared by the task;
 *   TASK_WAKE_SLEEP_FUTEX the task sleeps in FUTEX_WAIT on the word itself
 *                         (a sleep for a wake-up or a deadline only: futex
 *                         waits, wait4, pipes between app tasks, nanosleep);
 *   TASK_WAKE_SLEEP_FD    the task sleeps in poll(2) on its eventfd and a
 *                         host fd (task_block_fd with a host fd).
 *
 * Only the task's own thread sleeps on it (every caller passes its own
 * task), so only that thread sets and clears a SLEEP bit.  task_wake sets
 * PENDING with one atomic or, and the old value tells it what to do: a
 * FUTEX_WAKE for a futex sleep, a write to the eventfd for a poll sleep,
 * nothing for a task that is not asleep (running app code or a syscall),
 * whose next sleep then returns at once.  A futex sleep and its wake cost one
 * host syscall each (the eventfd sleep cost a poll, a write and a read).
 *
 * No wake-up is lost:
 *   - the sleeper sets its SLEEP bit by compare-and-swap from a value
 *     without PENDING, so it never goes to sleep over a wake-up; a waker's
 *     atomic or comes before or after that swap: before, the swap fails and
 *     the sleep returns; after, the waker sees the SLEEP bit;
 *   - FUTEX_WAIT compares the word with the armed value (SLEEP_FUTEX, no
 *     PENDING) in the host kernel, atomically with queueing: a wake-up that
 *     lands between the swap and the wait makes the wait fail with EAGAIN,
 *     one that lands during it is a FUTEX_WAKE;
 *   - an eventfd write keeps its count until drained, so one that lands
 *     between the swap and the poll makes the poll return at once;
 *   - a second waker that finds PENDING set does nothing: the first one saw
 *     the same SLEEP bit and wakes the sleep (or the task was not asleep).
 * A late FUTEX_WAKE or eventfd write (its sleep ended for another reason
 * first) only makes a later sleep look at the word again: it sleeps on when
 * PENDING is clear, after draining the stale eventfd count.
 *
 * A wake-up from a wait queue's notify or a futex wake makes its host
 * syscall after the waker drops its lock (waiter_defer, see task_wake).
 *
 * A signal sender sets the signal pending, then calls task_wake; task_block
 * checks for a pending signal before it arms, so a signal is either seen
 * there or its wake-up ends the sleep.  task_wake takes no lock: it runs
 * under wait-queue locks and siglocks (LOCKING.md).
 */
#include "sentry/kernel/wait.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "lib/lockdep.h"

#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#define TASK_WAKE_PENDING 1u
#define TASK_WAKE_SLEEP_FUTEX 2u
#define TASK_WAKE_SLEEP_FD 4u

void task_waiter_wake(struct waiter *w)
{
	task_wake(w->arg);
}

void task_waiter_init(struct waiter *w, struct task *t, uint32_t mask)
{
	waiter_init(w, task_waiter_wake, t, mask);
}

void task_poll_entry_init(struct poll_entry *pe, struct task *t, uint32_t mask)
{
	poll_entry_init(pe, task_waiter_wake, t, mask);
}

/* The host half of a wake-up (how: the sleep's bit); then the reference
 * task_wake took is dropped, and t is not touched again. */
static void wake_host(void *arg, uint32_t how)
{
	struct task *t = arg;
	if (how & TASK_WAKE_SLEEP_FUTEX) {
		syscall(SYS_futex, &t->wake_word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	} else {
		uint64_t one = 1;
		ssize_t r = write(t->wake_efd, &one, sizeof(one));
		(void)r; /* EAGAIN: the counter is already non-zero, the task will wake */
	}
	atomic_fetch_sub(&t->wake_refs, 1);
}

void task_wake(struct task *t)
{
	uint32_t old = atomic_fetch_or(&t->wake_word, TASK_WAKE_PENDING);
	if (old & TASK_WAKE_PENDING)
		return; /* the waker that set it wakes the sleep, if any */
	uint32_t how = old & (TASK_WAKE_SLEEP_FUTEX | TASK_WAKE_SLEEP_FD);
	if (!how)
		return; /* not asleep: its next sleep finds PENDING */
	struct platform *p = t->k ? t->k->plat : NULL;
	if (p && p->ops->cpu_hint)
		atomic_store_explicit(&t->waker_cpu, p->ops->cpu_hint(p), memory_order_relaxed);
	/* Under a waker's lock (a wait queue's, a futex bucket's) the host
	 * wake-up waits for the lock to be dropped (waiter.h), or the woken
	 * thread would wake only to sleep on that lock.  The reference keeps
	 * t (its word and eventfd) until then. */
	atomic_fetch_add(&t->wake_refs, 1);
	if (!waiter_defer(wake_host, t, how))
		wake_host(t, how);
}

void task_wake_quiesce(struct task *t)
{
	while (atomic_load(&t->wake_refs))
		sched_yield();
}

bool task_wake_take(struct task *t)
{
	if (!(atomic_load(&t->wake_word) & TASK_WAKE_PENDING))
		return false;
	atomic_fetch_and(&t->wake_word, ~TASK_WAKE_PENDING);
	return true;
}

void deadline_after(struct timespec *dl, const struct timespec *rel)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += rel->tv_sec + rel->tv_nsec / 1000000000L;
	dl->tv_nsec += rel->tv_nsec % 1000000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

void deadline_in_ms(struct timespec *dl, long ms)
{
	const struct timespec rel = {ms / 1000, (ms % 1000) * 1000000L};
	deadline_after(dl, &rel);
}

static int timeout_ms(const struct timespec *deadline)
{
	if (!deadline)
		return -1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ns = (int64_t)(deadline->tv_sec - now.tv_sec) * 1000000000LL +
		     (deadline->tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	int64_t ms = (ns + 999999) / 1000000;
	return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Set the SLEEP bit `how` unless a wake-up is pending.  The armed value of
 * the word in *armed, true; false: a wake-up is pending. */
static bool wake_arm(struct task *t, uint32_t how, uint32_t *armed)
{
	uint32_t v = atomic_load(&t->wake_word);
	while (!(v & TASK_WAKE_PENDING)) {
		if (atomic_compare_exchange_weak(&t->wake_word, &v, v | how)) {
			*armed = v | how;
			return true;
		}
	}
	return false;
}

static void wake_disarm(struct task *t, uint32_t how)
{
	atomic_fetch_and(&t->wake_word, ~how);
}

static void drain(int efd)
{
	uint64_t v;
	ssize_t r = read(efd, &v, sizeof(v));
	(void)r;
}

/*
 * A sleep on the eventfd and, if hostfd >= 0, a host fd.  0: woken; > 0: the
 * host fd's revents (a wake-up that came with them is consumed too);
 * -ETIMEDOUT; -errno of poll.
 */
static int wake_wait_poll(struct task *t, int hostfd, short events,
			  const struct timespec *deadline)
{
	for (;;) {
		uint32_t armed;
		if (!wake_arm(t, TASK_WAKE_SLEEP_FD, &armed)) {
			task_wake_take(t);
			return 0;
		}
		struct pollfd p[2] = {{.fd = t->wake_efd, .events = POLLIN},
				      {.fd = hostfd, .events = events}};
		uint64_t b0 = mono_ns();
		int n = poll(p, hostfd >= 0 ? 2 : 1, timeout_ms(deadline));
		int e = errno;
		t->blocked_ns += mono_ns() - b0;
		wake_disarm(t, TASK_WAKE_SLEEP_FD);
		if (n < 0) {
			if (e == EINTR)
				continue;
			return -e;
		}
		if (p[0].revents & POLLIN)
			drain(t->wake_efd); /* this sleep's wake-up, or a late one */
		bool woken = task_wake_take(t);
		if (hostfd >= 0 && p[1].revents)
			return p[1].revents;
		if (woken)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		/* Only a late eventfd write: sleep on. */
	}
}

/*
 * A sleep for a wake-up or the deadline only: FUTEX_WAIT_BITSET on the wake
 * word, whose timeout is absolute on CLOCK_MONOTONIC (without
 * FUTEX_CLOCK_REALTIME), the deadline's own form.  0: woken; -ETIMEDOUT.
 */
static int wake_wait_futex(struct task *t, const struct timespec *deadline)
{
	struct timespec dl;
	if (deadline) {
		/* The host refuses (EINVAL) a negative second or a nanosecond
		 * field outside [0, 1e9): normalize; before the epoch of
		 * CLOCK_MONOTONIC is in the past. */
		dl = *deadline;
		dl.tv_sec += dl.tv_nsec / 1000000000L;
		dl.tv_nsec %= 1000000000L;
		if (dl.tv_nsec < 0) {
			dl.tv_nsec += 1000000000L;
			dl.tv_sec--;
		}
		if (dl.tv_sec < 0)
			return task_wake_take(t) ? 0 : -ETIMEDOUT;
	}
	for (;;) {
		uint32_t armed;
		if (!wake_arm(t, TASK_WAKE_SLEEP_FUTEX, &armed)) {
			task_wake_take(t);
			return 0;
		}
		uint64_t b0 = mono_ns();
		long r = syscall(SYS_futex, &t->wake_word, FUTEX_WAIT_BITSET_PRIVATE, armed,
				 deadline ? &dl : NULL, NULL, FUTEX_BITSET_MATCH_ANY);
		int e = r < 0 ? errno : 0;
		t->blocked_ns += mono_ns() - b0;
		wake_disarm(t, TASK_WAKE_SLEEP_FUTEX);
		if (task_wake_take(t))
			return 0; /* a wake-up that raced with the timeout wins */
		if (e == ETIMEDOUT)
			return -ETIMEDOUT;
		if (e && e != EAGAIN && e != EINTR)
			return wake_wait_poll(t, -1, 0, deadline); /* cannot happen */
		/* Woken with no wake-up pending (a late FUTEX_WAKE), the word
		 * changed under the wait (a wake-up came first: taken above) or
		 * a host signal: sleep on. */
	}
}

/* t's thread is about to sleep: it says so to the platform (which may keep
 * it on one CPU while it runs app code: context_blocking). */
static void sleep_begin(struct task *t)
{
	atomic_store_explicit(&t->asleep, true, memory_order_relaxed);
	if (t->ctx && t->k->plat->ops->context_blocking)
		t->k->plat->ops->context_blocking(t->ctx);
}

/* ... and has woken: it tells the platform who woke it. */
static void sleep_end(struct task *t)
{
	atomic_store_explicit(&t->asleep, false, memory_order_relaxed);
	int cpu = atomic_exchange_explicit(&t->waker_cpu, -1, memory_order_relaxed);
	if (t->ctx && t->k->plat->ops->context_woken)
		t->k->plat->ops->context_woken(t->ctx, cpu);
}

int task_block_fd(struct task *t, int hostfd, short events, const struct timespec *deadline)
{
	lockdep_assert_none_held("a blocking wait"); /* LOCKING.md rule 3 */
	if (task_signal_pending(t))
		return -EINTR;
	sleep_begin(t);
	int r = hostfd >= 0 ? wake_wait_poll(t, hostfd, events, deadline)
			    : wake_wait_futex(t, deadline);
	sleep_end(t);
	if (r >= 0 && task_signal_pending(t))
		return -EINTR;
	return r;
}

int task_sleep(struct task *t, const struct timespec *deadline)
{
	lockdep_assert_none_held("a blocking wait"); /* LOCKING.md rule 3 */
	sleep_begin(t);
	int r = wake_wait_futex(t, deadline);
	sleep_end(t);
	return r;
}

int task_block(struct task *t, const struct timespec *deadline)
{
	return task_block_fd(t, -1, 0, deadline);
}
