/*
 * wait.h — how Sentry tasks block: wait queues and interruptible sleeps.
 *
 * A task that must wait (pipe empty, child not exited, futex, poll) puts a
 * waiter on the wait queue of each thing it waits for, re-checks its
 * condition, and calls task_block().  Whoever changes that thing calls
 * waitq_notify() with the events that happened.  A signal for the task, or
 * its death, ends task_block() with -EINTR.  The sequence
 *     add waiter; check; block; ...; remove waiter
 * never loses a wake-up: a notify between the check and the block makes the
 * block return at once.
 *
 * Each task's wake-up is an eventfd, so a task can also sleep on a host fd
 * (task_block_fd) and still be woken by a notify or a signal.
 */
#ifndef VISOR_SENTRY_WAIT_H
#define VISOR_SENTRY_WAIT_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

struct task;

struct waiter {
	struct waiter *next, *prev;
	struct task *task;
	uint32_t mask;      /* events this waiter cares about (POLL* bits), ~0 for all */
	uint32_t triggered; /* events seen (set by notify) */
};

/* lock protects the list of waiters; it is a leaf lock (taken last). */
struct waitq {
	pthread_mutex_t lock;
	struct waiter head;
};

void waitq_init(struct waitq *wq);
void waitq_destroy(struct waitq *wq);
void waiter_init(struct waiter *w, struct task *t, uint32_t mask);
void waitq_add(struct waitq *wq, struct waiter *w);
void waitq_remove(struct waitq *wq, struct waiter *w);
/* Wake every waiter whose mask meets events. */
void waitq_notify(struct waitq *wq, uint32_t events);

/* Sleep until woken (a notify, a signal, task death) or the absolute
 * CLOCK_MONOTONIC deadline passes (NULL: none).  Returns 0 when woken by a
 * notify, -EINTR when a signal is pending or the task must die, -ETIMEDOUT.
 * Wake-ups are level-triggered: callers re-check their condition. */
int task_block(struct task *t, const struct timespec *deadline);
/* As task_block, but also returns (with the ready revents, > 0) when the host
 * fd becomes ready for events (POLLIN/POLLOUT). */
int task_block_fd(struct task *t, int hostfd, short events, const struct timespec *deadline);
/* *dl = CLOCK_MONOTONIC now + ms, the deadline form task_block takes. */
void deadline_in_ms(struct timespec *dl, long ms);
/* Wake the task's sleep from any thread (used by notify and by signals). */
void task_wake(struct task *t);

#endif
