/*
 * ktimer.h — the Sentry's timer service: one service thread that calls a
 * function when a host CLOCK_MONOTONIC deadline passes.  timerfd and POSIX
 * timers are built on it.
 *
 * A ktimer is only a wake-up: the object that embeds it keeps its own
 * authoritative state (deadline, interval, expiration count) under its own
 * lock, and its function re-reads that state.  So a function called for a
 * deadline that was changed meanwhile (a settime racing with the service)
 * does nothing harmful: it finds the object not yet expired or disarmed.
 *
 * The function runs on the service thread with no lock held; it may take
 * the object's lock (any rank: the service lock is dropped) and call
 * ktimer_arm again (a periodic timer).  ktimer_arm and ktimer_disarm may be
 * called under any lock ranked before KTIMERS (sentry/LOCKING.md).
 * ktimer_destroy waits until a running call of the function has returned,
 * so it must be called with no lock the function takes.
 */
#ifndef VISOR_SENTRY_KERNEL_KTIMER_H
#define VISOR_SENTRY_KERNEL_KTIMER_H

#include <stdbool.h>
#include <stdint.h>

struct ktimer;
typedef void (*ktimer_fn)(struct ktimer *kt);

struct ktimer {
	struct ktimer *next; /* in the service's list, by deadline */
	int64_t when;        /* host CLOCK_MONOTONIC ns */
	ktimer_fn fn;
	void *arg;           /* the owner's */
	bool queued;         /* on the list */
	bool dead;           /* destroyed: never queued again */
};

void ktimer_init(struct ktimer *kt, ktimer_fn fn, void *arg);
/* Call kt->fn once host CLOCK_MONOTONIC reaches when (ns), replacing any
 * deadline set before.  -EAGAIN if the service thread cannot start. */
int ktimer_arm(struct ktimer *kt, int64_t when);
void ktimer_disarm(struct ktimer *kt);
/* Disarm for good and wait for a running call to finish; then the memory
 * of kt may be freed. */
void ktimer_destroy(struct ktimer *kt);

/* Host CLOCK_MONOTONIC now, in ns. */
int64_t ktimer_now(void);

#endif
