/*
 * lockdep.c — the lock classes of lib/lock_order.h, and the run-time
 * lock-order checks of lockdep.h (VISOR_LOCKDEP builds only).
 *
 * Each thread keeps, in thread-local storage, the locks it holds in the
 * order it took them, with the subclass and the place each was taken.  No
 * state is shared between threads, so the checks take no lock themselves.
 * A failed check formats one line and writes it with a single write(2) (no
 * stdio, whose locks the failing thread might hold), then aborts.
 */
#include "lib/lockdep.h"

#define LOCKDEP_DEFINE_CLASS(id_, rank_, name_)                                                    \
	const struct lock_class lock_class_##id_ = {name_, LOCK_##id_};
LOCK_ORDER(LOCKDEP_DEFINE_CLASS)
#undef LOCKDEP_DEFINE_CLASS

#ifdef VISOR_LOCKDEP

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* The class is copied: a report must not read a lock freed while held. */
struct held_lock {
	const struct vmutex *m;
	const struct lock_class *cls;
	unsigned int subclass;
	unsigned int depth; /* > 1 only for a recursive mutex taken again */
	const char *file;
	int line;
};

static __thread struct held_lock held[LOCKDEP_MAX_HELD];
static __thread int nheld;

__attribute__((noreturn, format(printf, 1, 2))) static void report(const char *fmt, ...)
{
	char buf[1024];
	int n = snprintf(buf, sizeof(buf), "lockdep: ");
	va_list ap;
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	ssize_t w = write(STDERR_FILENO, buf, (size_t)n);
	(void)w;
	abort();
}

static const char *class_name(const struct vmutex *m)
{
	return m->cls && m->cls->name ? m->cls->name : "(no class)";
}

static const char *held_name(const struct held_lock *h)
{
	return h->cls->name ? h->cls->name : "(no name)";
}

static struct held_lock *find_held(const struct vmutex *m)
{
	for (int i = nheld - 1; i >= 0; i--)
		if (held[i].m == m)
			return &held[i];
	return NULL;
}

/* Order key: rank first, then subclass; a lock may be taken only when its
 * key is greater than every held key. */
static int key_cmp(int rank_a, unsigned int sub_a, int rank_b, unsigned int sub_b)
{
	if (rank_a != rank_b)
		return rank_a < rank_b ? -1 : 1;
	return sub_a < sub_b ? -1 : sub_a > sub_b;
}

/* `"name" (rank R)` into buf, with the subclass when there is one. */
static const char *describe(char *buf, size_t len, const struct lock_class *cls,
			    unsigned int subclass)
{
	const char *name = cls->name ? cls->name : "(no name)";
	if (subclass)
		snprintf(buf, len, "\"%s\" (rank %d, subclass %u)", name, cls->rank, subclass);
	else
		snprintf(buf, len, "\"%s\" (rank %d)", name, cls->rank);
	return buf;
}

void lockdep_check_acquire(const struct vmutex *m, unsigned int subclass, const char *file,
			   int line)
{
	if (!m->cls)
		report("taking a lock with no class at %s:%d (vmutex_init it with a lock class)",
		       file, line);
	if (subclass > LOCKDEP_MAX_SUBCLASS)
		report("taking \"%s\" at %s:%d with subclass %u, above the maximum %d",
		       class_name(m), file, line, subclass, LOCKDEP_MAX_SUBCLASS);
	struct held_lock *same = find_held(m);
	if (same) {
		/* Taking an owned recursive mutex again cannot block: no order
		 * question arises. */
		if (m->recursive)
			return;
		report("recursive locking: taking \"%s\" at %s:%d while already holding it "
		       "(taken at %s:%d); it is not a recursive mutex",
		       class_name(m), file, line, same->file, same->line);
	}
	const struct held_lock *worst = NULL;
	for (int i = 0; i < nheld; i++) {
		const struct held_lock *h = &held[i];
		if (key_cmp(m->cls->rank, subclass, h->cls->rank, h->subclass) > 0)
			continue;
		if (!worst ||
		    key_cmp(h->cls->rank, h->subclass, worst->cls->rank, worst->subclass) > 0)
			worst = h;
	}
	if (!worst)
		return;
	char a[160], b[160];
	report("lock order violation: taking %s at %s:%d while holding %s, taken at %s:%d%s",
	       describe(a, sizeof(a), m->cls, subclass), file, line,
	       describe(b, sizeof(b), worst->cls, worst->subclass), worst->file, worst->line,
	       worst->cls == m->cls
		   ? "; a second lock of one class needs vmutex_lock_nested with a greater "
		     "subclass"
		   : "");
}

void lockdep_acquired(const struct vmutex *m, unsigned int subclass, const char *file, int line)
{
	if (!m->cls) /* a trylock: vmutex_lock was stopped by lockdep_check_acquire */
		report("took a lock with no class at %s:%d (vmutex_init it with a lock class)",
		       file, line);
	struct held_lock *same = find_held(m);
	if (same) {
		same->depth++; /* a recursive mutex: lockdep_check_acquire allowed it */
		return;
	}
	if (nheld == LOCKDEP_MAX_HELD)
		report("taking \"%s\" at %s:%d with %d locks held already (the most is %d)",
		       class_name(m), file, line, nheld, LOCKDEP_MAX_HELD);
	held[nheld++] = (struct held_lock){
	    .m = m, .cls = m->cls, .subclass = subclass, .depth = 1, .file = file, .line = line};
}

/* Take entry h out of the stack, keeping the others in order. */
static void drop(struct held_lock *h)
{
	for (struct held_lock *p = h; p + 1 < &held[nheld]; p++)
		p[0] = p[1];
	nheld--;
}

void lockdep_released(const struct vmutex *m, const char *file, int line)
{
	struct held_lock *h = find_held(m);
	if (!h)
		report("releasing \"%s\" at %s:%d, which this thread does not hold", class_name(m),
		       file, line);
	if (--h->depth == 0)
		drop(h);
}

void lockdep_check_destroy(const struct vmutex *m, const char *file, int line)
{
	const struct held_lock *h = find_held(m);
	if (h)
		report("destroying \"%s\" at %s:%d while holding it (taken at %s:%d)",
		       class_name(m), file, line, h->file, h->line);
}

unsigned int lockdep_cond_wait_begin(const struct vmutex *m, const char *file, int line)
{
	struct held_lock *h = find_held(m);
	if (!h)
		report("cond wait on \"%s\" at %s:%d, which this thread does not hold",
		       class_name(m), file, line);
	if (h->depth > 1)
		report("cond wait on \"%s\" at %s:%d, held %u times: the wait would not release it",
		       class_name(m), file, line, h->depth);
	unsigned int subclass = h->subclass;
	drop(h);
	/* The wait ends by taking m again with whatever else is held: check
	 * that now, rather than after a deadlock. */
	lockdep_check_acquire(m, subclass, file, line);
	return subclass;
}

void lockdep_assert_held_at(const struct vmutex *m, const char *file, int line)
{
	if (!find_held(m))
		report("\"%s\" is not held at %s:%d", class_name(m), file, line);
}

void lockdep_assert_none_held_at(const char *where, const char *file, int line)
{
	if (nheld == 0)
		return;
	char list[768];
	size_t n = 0;
	list[0] = '\0';
	for (int i = 0; i < nheld && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s\"%s\" (taken at %s:%d)",
				      i ? ", " : "", held_name(&held[i]), held[i].file,
				      held[i].line);
	report("%s at %s:%d with %d lock%s held: %s", where, file, line, nheld,
	       nheld > 1 ? "s" : "", list);
}

int lockdep_held_count(void)
{
	int n = 0;
	for (int i = 0; i < nheld; i++)
		n += (int)held[i].depth;
	return n;
}

#endif
