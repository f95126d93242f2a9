/*
 * futex.c — futex wait/wake/requeue/wake_op and the robust list; see futex.h.
 *
 * Owns the futex hash table: FUTEX_NBUCKETS buckets, each a mutex and a
 * circular list of waiters.  A waiter lives on its sleeping task's stack; it
 * is on exactly one bucket's list until a waker removes it (setting `woken`)
 * or the sleeper removes it itself (timeout, signal).  Requeue moves a waiter
 * between buckets while holding both bucket locks, so `bucket` only changes
 * under both; the sleeper finds its current bucket with lock_waiter_bucket().
 *
 * A waker does all of "unlink, set woken, wake the task" under the bucket
 * lock: the sleeper must take that lock before it can return, so the waiter
 * (on its stack) is never touched after it is gone.  Only the host syscall
 * of the task's wake-up waits until the bucket is unlocked (a waiter batch,
 * sentry/waiter/waiter.h), since the woken sleeper takes the bucket's lock
 * at once; it touches only the task, which task_free keeps until it is
 * done.
 *
 * This file never reads app memory except through mm_load32 /
 * mm_atomic_cmpxchg32 / task_copy_in, which return -EFAULT for bad pointers.
 */
#include "lib/lockdep.h"
#include "sentry/kernel/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/mm.h"

#define FUTEX_NBUCKETS 256
/* As Linux's ROBUST_LIST_LIMIT: bounds the exit walk over a circular list. */
#define FUTEX_ROBUST_LIMIT 2048

struct futex_bucket;

struct futex_waiter {
	struct futex_waiter *next, *prev;  /* under bucket->lock */
	struct futex_bucket *_Atomic bucket; /* changes only with both bucket locks held */
	uint64_t k1, k2;                   /* the key; under bucket->lock */
	uint32_t bitset;
	struct task *task;
	_Atomic bool woken; /* set, under the bucket lock, by the waker that unlinked us */
};

struct futex_bucket {
	struct vmutex lock; /* protects head's list and its waiters' links and keys */
	struct futex_waiter head;
};

static struct futex_bucket futex_table[FUTEX_NBUCKETS];
static pthread_once_t futex_table_once = PTHREAD_ONCE_INIT;

static void futex_table_init(void)
{
	for (int i = 0; i < FUTEX_NBUCKETS; i++) {
		vmutex_init(&futex_table[i].lock, LOCK_CLASS(FUTEX_BUCKET));
		futex_table[i].head.next = futex_table[i].head.prev = &futex_table[i].head;
	}
}

static struct futex_bucket *bucket_of(uint64_t k1, uint64_t k2)
{
	pthread_once(&futex_table_once, futex_table_init);
	/* splitmix-style mixing: keys are pointers and page offsets whose low
	 * bits are mostly zero, so spread them before taking the index. */
	uint64_t h = k1 * 0x9e3779b97f4a7c15ULL ^ (k2 + 0x632be59bd9b4e019ULL);
	h ^= h >> 31;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 29;
	return &futex_table[h % FUTEX_NBUCKETS];
}

static void list_append(struct futex_bucket *b, struct futex_waiter *w)
{
	w->next = &b->head;
	w->prev = b->head.prev;
	b->head.prev->next = w;
	b->head.prev = w;
}

static void list_unlink(struct futex_waiter *w)
{
	w->prev->next = w->next;
	w->next->prev = w->prev;
	w->next = w->prev = w;
}

/* Two buckets, lower address first (LOCKING.md). */
static void lock_two(struct futex_bucket *a, struct futex_bucket *b)
{
	if (a == b) {
		vmutex_lock(&a->lock);
		return;
	}
	struct futex_bucket *first = a < b ? a : b, *second = a < b ? b : a;
	vmutex_lock(&first->lock);
	vmutex_lock_nested(&second->lock, 1);
}

static void unlock_two(struct futex_bucket *a, struct futex_bucket *b)
{
	vmutex_unlock(&a->lock);
	if (a != b)
		vmutex_unlock(&b->lock);
}

/* Lock the bucket the waiter is on now (a requeue may move it meanwhile). */
static struct futex_bucket *lock_waiter_bucket(struct futex_waiter *w)
{
	for (;;) {
		struct futex_bucket *b = atomic_load(&w->bucket);
		vmutex_lock(&b->lock);
		if (atomic_load(&w->bucket) == b)
			return b;
		vmutex_unlock(&b->lock);
	}
}

/* Under the waiter's bucket lock: unlink it, mark it woken, wake its task.
 * `woken` is set before the wake-up, or the sleeper could see the wake-up,
 * find woken still false and sleep again with nothing left to wake it.  The
 * sleeper cannot return (and free w) before we drop the bucket lock. */
static void wake_waiter(struct futex_waiter *w)
{
	struct task *task = w->task;
	list_unlink(w);
	atomic_store(&w->woken, true);
	task_wake(task);
}

static int futex_key(struct task *t, uint64_t addr, bool private_futex, uint64_t *k1,
		     uint64_t *k2)
{
	/* As Linux get_futex_key: the word must be 4-byte aligned. */
	if (addr % sizeof(uint32_t))
		return -EINVAL;
	return mm_futex_key(t->mm, addr, private_futex, k1, k2);
}

int futex_wait(struct task *t, uint64_t addr, bool private_futex, uint32_t val, uint32_t bitset,
	       const struct timespec *deadline)
{
	if (!bitset)
		return -EINVAL;
	struct futex_waiter w = {.bitset = bitset, .task = t};
	int r = futex_key(t, addr, private_futex, &w.k1, &w.k2);
	if (r)
		return r;
	struct futex_bucket *b = bucket_of(w.k1, w.k2);

	/* Load and compare under the bucket lock: a waker that stores a new
	 * value after our load takes this lock after we are enqueued, and so
	 * finds us (the ordering Linux's futex_wait_setup relies on). */
	vmutex_lock(&b->lock);
	uint32_t cur;
	r = mm_load32(t->mm, addr, &cur);
	if (r == 0 && cur != val)
		r = -EAGAIN;
	if (r) {
		vmutex_unlock(&b->lock);
		return r;
	}
	atomic_store(&w.bucket, b);
	list_append(b, &w);
	vmutex_unlock(&b->lock);

	r = 0;
	while (!atomic_load(&w.woken)) {
		r = task_block(t, deadline);
		if (r == -ETIMEDOUT && deadline) {
			/* task_block may cap a very long timeout; only a deadline
			 * that really passed ends the wait. */
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec < deadline->tv_sec ||
			    (now.tv_sec == deadline->tv_sec && now.tv_nsec < deadline->tv_nsec))
				continue;
		}
		if (r == -EINTR || r == -ETIMEDOUT)
			break;
	}

	/* As Linux futex_unqueue: a wake that raced with the timeout or the
	 * signal wins, and the wait succeeds. */
	b = lock_waiter_bucket(&w);
	bool was_woken = atomic_load(&w.woken);
	if (!was_woken)
		list_unlink(&w);
	vmutex_unlock(&b->lock);
	return was_woken ? 0 : r;
}

/* Wake up to n waiters of (k1, k2) meeting bitset in b (locked).  As Linux,
 * the count is checked after the first wake, so n <= 0 wakes one. */
static int wake_locked(struct futex_bucket *b, uint64_t k1, uint64_t k2, int n, uint32_t bitset)
{
	int woken = 0;
	struct futex_waiter *w = b->head.next;
	while (w != &b->head) {
		struct futex_waiter *next = w->next;
		if (w->k1 == k1 && w->k2 == k2 && (w->bitset & bitset)) {
			wake_waiter(w);
			if (++woken >= n)
				break;
		}
		w = next;
	}
	return woken;
}

int futex_wake(struct task *t, uint64_t addr, bool private_futex, int n, uint32_t bitset)
{
	if (!bitset)
		return -EINVAL;
	uint64_t k1, k2;
	int r = futex_key(t, addr, private_futex, &k1, &k2);
	if (r)
		return r;
	struct futex_bucket *b = bucket_of(k1, k2);
	struct waiter_batch wb;
	waiter_batch_begin(&wb);
	vmutex_lock(&b->lock);
	int woken = wake_locked(b, k1, k2, n, bitset);
	vmutex_unlock(&b->lock);
	waiter_batch_end(&wb);
	return woken;
}

int futex_requeue(struct task *t, uint64_t addr1, uint64_t addr2, bool private_futex, int nwake,
		  int nrequeue, bool cmp, uint32_t cmpval)
{
	if (nwake < 0 || nrequeue < 0)
		return -EINVAL;
	uint64_t a1, a2, b1k, b2k;
	int r = futex_key(t, addr1, private_futex, &a1, &a2);
	if (r)
		return r;
	r = futex_key(t, addr2, private_futex, &b1k, &b2k);
	if (r)
		return r;
	struct futex_bucket *hb1 = bucket_of(a1, a2), *hb2 = bucket_of(b1k, b2k);
	struct waiter_batch wb;
	waiter_batch_begin(&wb);
	lock_two(hb1, hb2);
	if (cmp) {
		uint32_t cur;
		r = mm_load32(t->mm, addr1, &cur);
		if (r == 0 && cur != cmpval)
			r = -EAGAIN;
		if (r) {
			unlock_two(hb1, hb2);
			waiter_batch_end(&wb);
			return r;
		}
	}
	/* The loop of Linux's futex_requeue: wake the first nwake matching
	 * waiters, move the next nrequeue, and count both. */
	int count = 0;
	struct futex_waiter *w = hb1->head.next;
	while (w != &hb1->head) {
		struct futex_waiter *next = w->next;
		if (count - nwake >= nrequeue)
			break;
		if (w->k1 == a1 && w->k2 == a2) {
			if (++count <= nwake) {
				wake_waiter(w);
			} else {
				/* Same bucket: only the key changes (as Linux), so the
				 * waiter is not met again further down this walk. */
				if (hb1 != hb2) {
					list_unlink(w);
					list_append(hb2, w);
					atomic_store(&w->bucket, hb2);
				}
				w->k1 = b1k;
				w->k2 = b2k;
			}
		}
		w = next;
	}
	unlock_two(hb1, hb2);
	waiter_batch_end(&wb);
	return count;
}

/* FUTEX_OP_*: apply op to old (as Linux arch_futex_atomic_op_inuser). */
static int wake_op_apply(unsigned op, uint32_t oparg, uint32_t old, uint32_t *out)
{
	switch (op) {
	case FUTEX_OP_SET:
		*out = oparg;
		return 0;
	case FUTEX_OP_ADD:
		*out = old + oparg;
		return 0;
	case FUTEX_OP_OR:
		*out = old | oparg;
		return 0;
	case FUTEX_OP_ANDN:
		*out = old & ~oparg;
		return 0;
	case FUTEX_OP_XOR:
		*out = old ^ oparg;
		return 0;
	}
	return -ENOSYS;
}

/* Linux's sign_extend32(value, 11) for the 12-bit op fields. */
static int32_t sext12(uint32_t v)
{
	return (int32_t)(v << 20) >> 20;
}

/* Atomically apply the encoded op to *addr (a cmpxchg loop on app memory) and
 * evaluate the comparison on the old value: 1 true, 0 false, or -errno.  As
 * Linux, an unknown op fails before the word is touched but an unknown
 * comparison only after the op was applied. */
static int wake_op_atomic(struct task *t, uint64_t addr, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7;
	unsigned cmp = (encoded >> 24) & 15;
	int32_t oparg = sext12((encoded >> 12) & 0xfff);
	int32_t cmparg = sext12(encoded & 0xfff);
	if (encoded & ((uint32_t)FUTEX_OP_OPARG_SHIFT << 28)) {
		/* Linux warns and masks an out-of-range shift rather than failing. */
		oparg = (int32_t)(1u << (oparg & 31));
	}
	uint32_t dummy;
	if (wake_op_apply(op, 0, 0, &dummy))
		return -ENOSYS;

	uint32_t old;
	int r = mm_load32(t->mm, addr, &old);
	if (r)
		return r;
	for (;;) {
		uint32_t new_val, prev;
		wake_op_apply(op, (uint32_t)oparg, old, &new_val);
		r = mm_atomic_cmpxchg32(t->mm, addr, old, new_val, &prev);
		if (r)
			return r;
		if (prev == old)
			break;
		old = prev; /* the app changed the word meanwhile: retry on its value */
	}
	int32_t o = (int32_t)old;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		return o == cmparg;
	case FUTEX_OP_CMP_NE:
		return o != cmparg;
	case FUTEX_OP_CMP_LT:
		return o < cmparg;
	case FUTEX_OP_CMP_LE:
		return o <= cmparg;
	case FUTEX_OP_CMP_GT:
		return o > cmparg;
	case FUTEX_OP_CMP_GE:
		return o >= cmparg;
	}
	return -ENOSYS;
}

int futex_wake_op(struct task *t, uint64_t addr1, uint64_t addr2, bool private_futex, int nwake1,
		  int nwake2, uint32_t encoded_op)
{
	uint64_t a1, a2, b1k, b2k;
	int r = futex_key(t, addr1, private_futex, &a1, &a2);
	if (r)
		return r;
	r = futex_key(t, addr2, private_futex, &b1k, &b2k);
	if (r)
		return r;
	struct futex_bucket *hb1 = bucket_of(a1, a2), *hb2 = bucket_of(b1k, b2k);
	struct waiter_batch wb;
	waiter_batch_begin(&wb);
	lock_two(hb1, hb2);
	int cond = wake_op_atomic(t, addr2, encoded_op);
	if (cond < 0) {
		unlock_two(hb1, hb2);
		waiter_batch_end(&wb);
		return cond;
	}
	/* As Linux futex_wake_op: bitsets are not consulted. */
	int woken = wake_locked(hb1, a1, a2, nwake1, FUTEX_BITSET_ANY);
	if (cond)
		woken += wake_locked(hb2, b1k, b2k, nwake2, FUTEX_BITSET_ANY);
	unlock_two(hb1, hb2);
	waiter_batch_end(&wb);
	return woken;
}

int futex_wake_addr(struct task *t, uint64_t addr, int n)
{
	return futex_wake(t, addr, false, n, FUTEX_BITSET_ANY);
}

/* One robust-list entry: the pointer with its PI flag in bit 0. */
static int fetch_robust_entry(struct task *t, uint64_t at, uint64_t *entry, bool *pi)
{
	uint64_t v;
	if (task_copy_in(t, &v, at, sizeof(v)))
		return -EFAULT;
	*entry = v & ~1ULL;
	*pi = v & 1;
	return 0;
}

/* As Linux handle_futex_death: the futex at uaddr belonged to the dying task. */
static int handle_futex_death(struct task *t, uint64_t uaddr, bool pi, bool pending_op)
{
	if (uaddr % sizeof(uint32_t))
		return -EINVAL;
	for (int tries = 0; tries < 64; tries++) {
		uint32_t uval;
		if (mm_load32(t->mm, uaddr, &uval))
			return -EFAULT;
		/* An unlock in progress (list_op_pending, word already 0): the
		 * next waiter must still be woken or it sleeps forever. */
		if (pending_op && !pi && !uval) {
			futex_wake(t, uaddr, false, 1, FUTEX_BITSET_ANY);
			return 0;
		}
		if ((uval & FUTEX_TID_MASK) != (uint32_t)t->tid)
			return 0;
		uint32_t mval = (uval & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
		uint32_t prev;
		if (mm_atomic_cmpxchg32(t->mm, uaddr, uval, mval, &prev))
			return -EFAULT;
		if (prev != uval)
			continue;
		if (!pi && (uval & FUTEX_WAITERS))
			futex_wake(t, uaddr, false, 1, FUTEX_BITSET_ANY);
		return 0;
	}
	return -EAGAIN;
}

void futex_exit_robust_list(struct task *t)
{
	uint64_t head = t->robust_list;
	if (!head || !t->mm)
		return;
	/* struct robust_list_head: { next; long futex_offset; list_op_pending; } */
	uint64_t entry, pending;
	bool pi, pip;
	int64_t offset;
	if (fetch_robust_entry(t, head, &entry, &pi))
		return;
	if (task_copy_in(t, &offset, head + 8, sizeof(offset)))
		return;
	if (fetch_robust_entry(t, head + 16, &pending, &pip))
		return;

	unsigned limit = FUTEX_ROBUST_LIMIT;
	while (entry != head) {
		uint64_t next = 0;
		bool next_pi = false;
		int rc = fetch_robust_entry(t, entry, &next, &next_pi);
		/* The pending entry is handled last, after the walk. */
		if (entry != pending) {
			if (handle_futex_death(t, entry + (uint64_t)offset, pi, false))
				return;
		}
		if (rc)
			return;
		entry = next;
		pi = next_pi;
		if (!--limit)
			break;
	}
	if (pending)
		handle_futex_death(t, pending + (uint64_t)offset, pip, true);
}
