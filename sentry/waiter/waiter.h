/*
 * waiter.h — readiness: wait queues, waiters and poll registrations.
 *
 * A leaf component.  It includes nothing of the Sentry, so the VFS, the file
 * systems, the socket layer and the netstack glue can all include it.  It
 * only records who waits for what and calls a wake function when it
 * happens; putting a task to sleep stays in the kernel
 * (sentry/kernel/wait.h: task_block, and task_waiter_wake as the wake
 * function of a sleeping task).
 *
 * Events are Linux's readiness bits: POLLIN, POLLOUT, POLLERR, POLLHUP,
 * POLLRDHUP, POLLPRI... (the same values as EPOLLIN & co).  A waiter has a
 * mask of the events it cares about; waitq_notify(wq, events) records the
 * events that meet each waiter's mask in its `triggered` set and calls its
 * wake function.
 *
 * The usual sequence never loses a wake-up:
 *     waiter_init; waitq_add; check the condition; block; waitq_remove
 * because the wake function records the wake-up (the kernel's sets a bit in
 * the task's wake word, sentry/kernel/wait.c), so a notify between the check
 * and the block makes the block return at once.
 *
 * Lock: waitq->lock protects the queue's list and its waiters' links and
 * triggered sets.  It is a leaf lock: taken last, and wake functions run
 * under it, so they must not block or take another lock (see LOCKING.md).
 *
 * Deferred wake-ups: a woken thread's first step is often to take the lock
 * its waker still holds (waitq_remove takes the queue's), and a host wake-up
 * that lands under that lock makes it sleep again on the lock at once.  So
 * a wake function hands its host syscall to waiter_defer(), and
 * waitq_notify runs the deferred calls after dropping the lock.  Other
 * wakers that hold a lock the woken thread wants (futex buckets) bracket
 * their lock with waiter_batch_begin / waiter_batch_end to the same effect.
 */
#ifndef VISOR_SENTRY_WAITER_H
#define VISOR_SENTRY_WAITER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "lib/lockdep.h"

struct waiter;
/* Called by waitq_notify, under the queue's lock, when events meet w->mask. */
typedef void (*waiter_wake_fn)(struct waiter *w);

struct waiter {
	struct waiter *next, *prev;
	waiter_wake_fn wake; /* NULL: only record triggered events */
	void *arg;           /* the wake function's (the kernel's: the task) */
	uint32_t mask;       /* events this waiter cares about, ~0 for all */
	uint32_t triggered;  /* events seen (set by notify) */
};

struct waitq {
	struct vmutex lock;
	struct waiter head;
};

/* The calls waiter_defer put off until the batch's end: a few, so that a
 * batch lives on its opener's stack; waiter_defer runs a call at once when
 * the batch is full. */
#define WAITER_BATCH_MAX 16
typedef void (*waiter_deferred_fn)(void *arg, uint32_t data);
struct waiter_batch {
	struct waiter_batch *outer; /* the thread's batch before this one */
	int n;
	struct {
		waiter_deferred_fn fn;
		void *arg;
		uint32_t data;
	} call[WAITER_BATCH_MAX];
};
/* Open a batch on this thread (batches nest); end it after dropping the
 * locks taken since: runs the deferred calls in order. */
void waiter_batch_begin(struct waiter_batch *b);
void waiter_batch_end(struct waiter_batch *b);
/* fn(arg, data) at the end of this thread's open batch: true; false when
 * no batch is open or it is full (the caller makes the call itself). */
bool waiter_defer(waiter_deferred_fn fn, void *arg, uint32_t data);

void waitq_init(struct waitq *wq);
void waitq_destroy(struct waitq *wq);
void waiter_init(struct waiter *w, waiter_wake_fn wake, void *arg, uint32_t mask);
void waitq_add(struct waitq *wq, struct waiter *w);
/* Safe on a waiter that is on no queue (or was removed already). */
void waitq_remove(struct waitq *wq, struct waiter *w);
/* Wake every waiter whose mask meets events; the wake functions' deferred
 * calls run after the queue's lock is dropped. */
void waitq_notify(struct waitq *wq, uint32_t events);
/* Read and clear w->triggered under wq's lock (w on wq, or on none). */
uint32_t waiter_take_triggered(struct waitq *wq, struct waiter *w);

/*
 * Poll registrations: what poll(2), select(2) and epoll hand a file's poll
 * op.  The op reports the ready events and registers the entry with
 * poll_wait() on the wait queue that will be notified when they change, or
 * names a host fd to wait on with poll_wait_host() (host fds are waited on
 * by the kernel's task_block_fd).  An entry watches at most one queue.
 */
struct poll_entry {
	struct waiter w;
	struct waitq *wq;
	int hostfd;
	short hostevents;
};
void poll_entry_init(struct poll_entry *pe, waiter_wake_fn wake, void *arg, uint32_t mask);
/* pe may be NULL (a poll op called only to read the ready events). */
void poll_wait(struct poll_entry *pe, struct waitq *wq);
void poll_wait_host(struct poll_entry *pe, int hostfd, short events);
void poll_entry_remove(struct poll_entry *pe);

#endif
