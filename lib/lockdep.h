/*
 * lockdep.h — checked mutexes: every lock has a class with a rank, and a
 * debug build aborts, naming both locks, when a thread takes them out of
 * order.  Used alike by the Sentry, the platforms and the netstack (lib/ is
 * the one thing they all may include).
 *
 * The ranks come from one ordered list, lib/lock_order.h, which mirrors the
 * table in sentry/LOCKING.md (a unit test keeps the two equal).  A lock may
 * be taken only when its rank is greater than the rank of every lock the
 * thread already holds: outermost locks have the smallest ranks.
 *
 * Release builds: struct vmutex is a pthread_mutex_t plus its class pointer
 * and every vmutex_* call is a static inline pthread call; nothing is
 * checked.  Built with -DVISOR_LOCKDEP (the unit tests' san build, `make
 * DEBUG=1`), each thread keeps a small stack of the locks it holds and:
 *   - vmutex_lock of a lock whose rank is not greater than that of a lock
 *     held aborts with both names and where each was taken;
 *   - taking a held lock again is allowed only for a recursive vmutex (it
 *     cannot block, so it is not checked against the order);
 *   - two locks of one class (two futex buckets, the two ends of a unix
 *     socket pair) are taken with vmutex_lock_nested and increasing
 *     subclasses, in the order sentry/LOCKING.md gives (lower address first);
 *   - vmutex_trylock is not checked against the order (it cannot deadlock,
 *     the usual way out of an inversion), but the lock it gets counts as
 *     held for the checks that follow;
 *   - unlocking a lock the thread does not hold, holding more than
 *     LOCKDEP_MAX_HELD locks, destroying a held lock, or a cond wait on a
 *     lock not held (or held recursively) abort too;
 *   - lockdep_assert_held / lockdep_assert_none_held abort when false.
 * Each report is one line on stderr starting "lockdep: ", then abort().
 */
#ifndef VISOR_LIB_LOCKDEP_H
#define VISOR_LIB_LOCKDEP_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "lib/lock_order.h"

/* A kind of lock: every lock of a class sits at the same place in the order.
 * The classes of the Sentry's locks are LOCK_CLASS(ID) from lock_order.h;
 * tests may define their own. */
struct lock_class {
	const char *name; /* as in sentry/LOCKING.md, e.g. "mm->lock" */
	int rank;	  /* from enum lock_rank: outermost is smallest */
};

/* One class per entry of lib/lock_order.h: LOCK_CLASS(MM) is the class of
 * every mm->lock. */
#define LOCKDEP_DECLARE_CLASS(id_, rank_, name_) extern const struct lock_class lock_class_##id_;
LOCK_ORDER(LOCKDEP_DECLARE_CLASS)
#undef LOCKDEP_DECLARE_CLASS
#define LOCK_CLASS(id) (&lock_class_##id)

struct vmutex {
	pthread_mutex_t m;
	const struct lock_class *cls;
	bool recursive;
};

#define VMUTEX_INITIALIZER(class_ptr)                                                              \
	{                                                                                          \
		.m = PTHREAD_MUTEX_INITIALIZER, .cls = (class_ptr), .recursive = false             \
	}
#define VMUTEX_RECURSIVE_INITIALIZER(class_ptr)                                                    \
	{                                                                                          \
		.m = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP, .cls = (class_ptr), .recursive = true \
	}

/* Subclasses of vmutex_lock_nested are 0 (what vmutex_lock uses) up to this. */
#define LOCKDEP_MAX_SUBCLASS 7
/* How many different locks one thread may hold at once (retaking a recursive
 * lock it holds uses no new slot). */
#define LOCKDEP_MAX_HELD 24

#ifdef VISOR_LOCKDEP
/* The checks, in lockdep.c.  Each aborts with a report when it fails. */
void lockdep_check_acquire(const struct vmutex *m, unsigned int subclass, const char *file,
			   int line);
void lockdep_acquired(const struct vmutex *m, unsigned int subclass, const char *file, int line);
void lockdep_released(const struct vmutex *m, const char *file, int line);
void lockdep_check_destroy(const struct vmutex *m, const char *file, int line);
/* Before a cond wait: m is held once and may be taken again after the wait
 * with the other held locks; m leaves the held set until lockdep_acquired. */
unsigned int lockdep_cond_wait_begin(const struct vmutex *m, const char *file, int line);
void lockdep_assert_held_at(const struct vmutex *m, const char *file, int line);
void lockdep_assert_none_held_at(const char *where, const char *file, int line);
/* How many locks this thread holds, a recursive one counted once per lock. */
int lockdep_held_count(void);
#endif

static inline int vmutex_init_at(struct vmutex *m, const struct lock_class *cls, bool recursive)
{
	m->cls = cls;
	m->recursive = recursive;
	if (!recursive)
		return -pthread_mutex_init(&m->m, NULL);
	pthread_mutexattr_t a;
	int r = pthread_mutexattr_init(&a);
	if (r)
		return -r;
	r = pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	if (!r)
		r = pthread_mutex_init(&m->m, &a);
	pthread_mutexattr_destroy(&a);
	return -r;
}

/* 0 or a negative errno (pthread_mutex_init's, which on Linux never fails). */
static inline int vmutex_init(struct vmutex *m, const struct lock_class *cls)
{
	return vmutex_init_at(m, cls, false);
}

static inline int vmutex_init_recursive(struct vmutex *m, const struct lock_class *cls)
{
	return vmutex_init_at(m, cls, true);
}

/* The call site (file, line) and the subclass matter only to the checks;
 * release builds drop them. */
#ifdef VISOR_LOCKDEP
#define LOCKDEP_ONLY(stmt) stmt
#else
#define LOCKDEP_ONLY(stmt) ((void)0)
#endif

static inline void vmutex_destroy_at(struct vmutex *m, const char *file, int line)
{
	(void)file, (void)line;
	LOCKDEP_ONLY(lockdep_check_destroy(m, file, line));
	pthread_mutex_destroy(&m->m);
}

static inline void vmutex_lock_nested_at(struct vmutex *m, unsigned int subclass, const char *file,
					 int line)
{
	(void)subclass, (void)file, (void)line;
	LOCKDEP_ONLY(lockdep_check_acquire(m, subclass, file, line));
	pthread_mutex_lock(&m->m);
	LOCKDEP_ONLY(lockdep_acquired(m, subclass, file, line));
}

/* 0, or -EBUSY when another thread (or this one, for a plain mutex) holds it. */
static inline int vmutex_trylock_at(struct vmutex *m, const char *file, int line)
{
	(void)file, (void)line;
	int r = pthread_mutex_trylock(&m->m);
	if (!r)
		LOCKDEP_ONLY(lockdep_acquired(m, 0, file, line));
	return -r;
}

static inline void vmutex_unlock_at(struct vmutex *m, const char *file, int line)
{
	(void)file, (void)line;
	LOCKDEP_ONLY(lockdep_released(m, file, line));
	pthread_mutex_unlock(&m->m);
}

/* pthread_cond_wait on m (held once): 0 or a positive errno, as pthread. */
static inline int vmutex_cond_timedwait_at(pthread_cond_t *c, struct vmutex *m,
					   const struct timespec *abstime, const char *file,
					   int line)
{
	(void)file, (void)line;
	unsigned int subclass = 0;
	LOCKDEP_ONLY(subclass = lockdep_cond_wait_begin(m, file, line));
	int r = abstime ? pthread_cond_timedwait(c, &m->m, abstime) : pthread_cond_wait(c, &m->m);
	LOCKDEP_ONLY(lockdep_acquired(m, subclass, file, line));
	(void)subclass;
	return r;
}

#define vmutex_destroy(m) vmutex_destroy_at((m), __FILE__, __LINE__)
#define vmutex_lock(m) vmutex_lock_nested_at((m), 0, __FILE__, __LINE__)
/* Take a second lock of a class already held: subclasses must increase in
 * the order the caller documents (e.g. the lower address first). */
#define vmutex_lock_nested(m, subclass) vmutex_lock_nested_at((m), (subclass), __FILE__, __LINE__)
#define vmutex_trylock(m) vmutex_trylock_at((m), __FILE__, __LINE__)
#define vmutex_unlock(m) vmutex_unlock_at((m), __FILE__, __LINE__)
#define vmutex_cond_wait(c, m) vmutex_cond_timedwait_at((c), (m), NULL, __FILE__, __LINE__)
/* abstime on the condition variable's clock; ETIMEDOUT when it passes. */
#define vmutex_cond_timedwait(c, m, abstime)                                                       \
	vmutex_cond_timedwait_at((c), (m), (abstime), __FILE__, __LINE__)

#ifdef VISOR_LOCKDEP
/* Aborts unless this thread holds m. */
#define lockdep_assert_held(m) lockdep_assert_held_at((m), __FILE__, __LINE__)
/* Aborts if this thread holds any lock: where names the point (a platform
 * switch, a blocking wait) for the report. */
#define lockdep_assert_none_held(where) lockdep_assert_none_held_at((where), __FILE__, __LINE__)
#else
#define lockdep_assert_held(m) ((void)(m))
#define lockdep_assert_none_held(where) ((void)(where))
#endif

#endif
