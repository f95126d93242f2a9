/*
 * futex.h — the Sentry's futexes: wait queues keyed by an app memory word.
 *
 * A futex is named by the key mm_futex_key() gives for its address: (mm,
 * address) for a private futex, the memory-file page for a shared one, so two
 * processes mapping the same shared page meet on the same futex.  Waiters sit
 * in a hashed table of buckets; a bucket's mutex makes "load the word, compare,
 * enqueue" atomic against wakers, exactly as Linux's hash-bucket lock does.
 *
 * Deadlines are absolute host CLOCK_MONOTONIC times (the clock task_block
 * uses); callers convert the app's timeout (see sys_futex.c).
 *
 * Locks (sentry/LOCKING.md): a bucket lock comes before mm->lock (the value
 * is read under it) and is never taken under the task-set lock, a siglock
 * or mm->lock; two buckets are taken lower address first.
 *
 * PI futexes (FUTEX_LOCK_PI and friends) are not implemented: ENOSYS.
 */
#ifndef VISOR_SENTRY_FUTEX_H
#define VISOR_SENTRY_FUTEX_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct task;

#define FUTEX_BITSET_ANY 0xffffffffu

/* Sleep while the word at addr equals val.  Returns 0 when woken by a wake
 * whose bitset meets `bitset`, -EAGAIN when the word differs, -ETIMEDOUT,
 * -EINTR when a signal is pending (the caller picks the restart code),
 * -EFAULT, or -EINVAL (unaligned address, bitset 0). */
int futex_wait(struct task *t, uint64_t addr, bool private_futex, uint32_t val, uint32_t bitset,
	       const struct timespec *deadline);
/* Wake up to n waiters on addr whose bitset meets `bitset` (n <= 0 still wakes
 * one, as Linux).  Returns how many were woken or -errno. */
int futex_wake(struct task *t, uint64_t addr, bool private_futex, int n, uint32_t bitset);
/* FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wake nwake waiters of addr1, move up to
 * nrequeue more to addr2.  With cmp, fails with -EAGAIN unless *addr1 == cmpval.
 * Returns woken + requeued. */
int futex_requeue(struct task *t, uint64_t addr1, uint64_t addr2, bool private_futex, int nwake,
		  int nrequeue, bool cmp, uint32_t cmpval);
/* FUTEX_WAKE_OP: atomically apply the encoded op to *addr2, wake nwake1 waiters
 * of addr1 and, if the encoded comparison on the old value holds, nwake2 of
 * addr2.  Returns the total woken or -errno (-ENOSYS for an unknown op/cmp). */
int futex_wake_op(struct task *t, uint64_t addr1, uint64_t addr2, bool private_futex, int nwake1,
		  int nwake2, uint32_t encoded_op);

/* For CLONE_CHILD_CLEARTID at thread exit: wake n waiters of addr with a
 * shared (non-private) key, as Linux's mm_release does.  The caller has
 * already stored 0 at addr. */
int futex_wake_addr(struct task *t, uint64_t addr, int n);
/* Walk the task's robust list (set_robust_list) at exit: each futex the task
 * still owns gets FUTEX_OWNER_DIED and one waiter is woken.  The walk is
 * bounded (2048 entries, as Linux) and stops quietly at a bad pointer. */
void futex_exit_robust_list(struct task *t);

#endif
