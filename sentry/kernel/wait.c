/*
 * wait.c — interruptible sleeps of tasks; see wait.h.
 *
 * A task sleeps in poll(2) on its own eventfd (and, for task_block_fd, a host
 * fd).  task_wake() writes the eventfd; the sleeper drains it on return.
 * Because the eventfd keeps its count until drained, a wake that arrives
 * between the caller's condition check and the poll is never lost.
 */
#include "sentry/kernel/wait.h"
#include "sentry/kernel/task.h"
#include "lib/lockdep.h"

#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

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

void task_wake(struct task *t)
{
	uint64_t one = 1;
	ssize_t r = write(t->wake_efd, &one, sizeof(one));
	(void)r; /* EAGAIN: the counter is already non-zero, the task will wake */
}

void deadline_in_ms(struct timespec *dl, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, dl);
	dl->tv_sec += ms / 1000;
	dl->tv_nsec += (ms % 1000) * 1000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
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

static void drain(int efd)
{
	uint64_t v;
	ssize_t r = read(efd, &v, sizeof(v));
	(void)r;
}

int task_block_fd(struct task *t, int hostfd, short events, const struct timespec *deadline)
{
	lockdep_assert_none_held("a blocking wait"); /* LOCKING.md rule 3 */
	for (;;) {
		if (task_signal_pending(t))
			return -EINTR;
		struct pollfd p[2] = {{.fd = t->wake_efd, .events = POLLIN},
				      {.fd = hostfd, .events = events}};
		struct timespec b0, b1;
		clock_gettime(CLOCK_MONOTONIC, &b0);
		atomic_store_explicit(&t->asleep, true, memory_order_relaxed);
		int n = poll(p, hostfd >= 0 ? 2 : 1, timeout_ms(deadline));
		atomic_store_explicit(&t->asleep, false, memory_order_relaxed);
		clock_gettime(CLOCK_MONOTONIC, &b1);
		t->blocked_ns += (uint64_t)((b1.tv_sec - b0.tv_sec) * 1000000000LL +
					    (b1.tv_nsec - b0.tv_nsec));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ETIMEDOUT;
		if (p[0].revents & POLLIN)
			drain(t->wake_efd);
		if (task_signal_pending(t))
			return -EINTR;
		if (hostfd >= 0 && p[1].revents)
			return p[1].revents;
		if (p[0].revents & POLLIN)
			return 0;
	}
}

int task_sleep(struct task *t, const struct timespec *deadline)
{
	lockdep_assert_none_held("a blocking wait"); /* LOCKING.md rule 3 */
	struct pollfd p = {.fd = t->wake_efd, .events = POLLIN};
	atomic_store_explicit(&t->asleep, true, memory_order_relaxed);
	int n = poll(&p, 1, timeout_ms(deadline));
	atomic_store_explicit(&t->asleep, false, memory_order_relaxed);
	if (n == 0)
		return -ETIMEDOUT;
	if (n > 0)
		drain(t->wake_efd);
	return 0;
}

int task_block(struct task *t, const struct timespec *deadline)
{
	return task_block_fd(t, -1, 0, deadline);
}
