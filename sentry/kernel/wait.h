/*
 * wait.h — how Sentry tasks block: interruptible sleeps.
 *
 * Wait queues are the readiness leaf's (sentry/waiter/waiter.h).  A task
 * that must wait (pipe empty, child not exited, futex, poll) puts a waiter
 * made by task_waiter_init on the wait queue of each thing it waits for,
 * re-checks its condition, and calls task_block().  Whoever changes that thing calls
 * waitq_notify() with the events that happened.  A signal for the task, or
 * its death, ends task_block() with -EINTR.  The sequence
 *     add waiter; check; block; ...; remove waiter
 * never loses a wake-up: a notify between the check and the block makes the
 * block return at once.
 *
 * A task sleeps on a futex word of its own (t->wake_word), or, when it also
 * waits on a host fd (task_block_fd), in poll(2) on that fd and its own
 * eventfd; task_wake learns from the word which of the two to wake, and
 * makes no host syscall for a task that is not asleep (wait.c).
 */
#ifndef VISOR_SENTRY_WAIT_H
#define VISOR_SENTRY_WAIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sentry/waiter/waiter.h"

struct task;

/* The wake function of a waiter whose arg is a sleeping task: task_wake. */
void task_waiter_wake(struct waiter *w);
/* A waiter / poll entry that wakes task t (waiter_init / poll_entry_init
 * with task_waiter_wake). */
void task_waiter_init(struct waiter *w, struct task *t, uint32_t mask);
void task_poll_entry_init(struct poll_entry *pe, struct task *t, uint32_t mask);

/* Sleep until woken (a notify, a signal, task death) or the absolute
 * CLOCK_MONOTONIC deadline passes (NULL: none).  Returns 0 when woken by a
 * notify, -EINTR when a signal is pending or the task must die, -ETIMEDOUT.
 * Wake-ups are level-triggered: callers re-check their condition. */
int task_block(struct task *t, const struct timespec *deadline);
/* Sleep until woken or the deadline passes (NULL: none), whatever signals
 * are pending: for a task in a ptrace-stop and its tracer's short waits.
 * 0 when woken, -ETIMEDOUT. */
int task_sleep(struct task *t, const struct timespec *deadline);
/* As task_block, but also returns (with the ready revents, > 0) when the host
 * fd becomes ready for events (POLLIN/POLLOUT). */
int task_block_fd(struct task *t, int hostfd, short events, const struct timespec *deadline);
/* *dl = CLOCK_MONOTONIC now + rel (a non-negative interval; tv_nsec may
 * exceed a second), the deadline form task_block takes; deadline_in_ms for
 * ms milliseconds. */
void deadline_after(struct timespec *dl, const struct timespec *rel);
void deadline_in_ms(struct timespec *dl, long ms);
/* Wake the task's sleep from any thread (used by notify and by signals);
 * takes no lock.  A task not asleep finds the wake-up at its next sleep.
 * Inside a waiter batch (waiter.h: waitq_notify, futex wakes) the host
 * syscall is made at the batch's end. */
void task_wake(struct task *t);
/* Until no host wake-up of t is in flight (a waker that deferred its
 * FUTEX_WAKE or eventfd write past its lock): before t is freed. */
void task_wake_quiesce(struct task *t);
/* Consume a wake-up not consumed yet: true if there was one.  The task's own
 * thread only (and tests that look whether a wake-up reached a task). */
bool task_wake_take(struct task *t);

#endif
