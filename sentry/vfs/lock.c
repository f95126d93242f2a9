/*
 * lock.c — advisory file locks: POSIX record locks (fcntl F_SETLK & co.),
 * open-file-description locks (F_OFD_*) and flock(2).
 *
 * Locks live on the inode (inode->locks, made at first use) and are purely
 * the Sentry's: the Sentry is the only client of the container's files.
 * As Linux:
 *   - POSIX locks belong to the process (thread group): one process never
 *     conflicts with itself, its ranges split and merge, and closing ANY fd
 *     of the process on the inode drops all of its locks there.
 *   - OFD locks share the POSIX range table but belong to the open file
 *     description, and go when it is released; flock locks are whole-file,
 *     a separate table, also owned by the description.
 *   - F_SETLK conflicts give EAGAIN; F_SETLKW and blocking flock sleep
 *     interruptibly (-ERESTARTSYS).  Deadlock detection (EDEADLK) is not done.
 * /proc/locks lists them all, as Linux's fs/locks.c formats it.
 * Locks: the inode's lock protects its lock lists; every change to them is
 * also made under file_locks_lock (a leaf), which keeps the list of all
 * tables for /proc/locks; the wait queue is a leaf.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

struct file_lock {
	struct file_lock *next;
	int type;            /* F_RDLCK or F_WRLCK */
	uint64_t start, end; /* inclusive; end UINT64_MAX: to EOF and beyond */
	const void *owner;   /* POSIX: the thread group; OFD/flock: the struct file */
	int pid;             /* the locker's tgid (F_GETLK, /proc/locks); -1 for OFD locks */
};

struct vfs_locks {
	struct file_lock *ranges; /* POSIX and OFD */
	struct file_lock *flocks;
	struct waitq wq;
	/* In the list of all tables (under file_locks_lock), with the
	 * inode's identity for /proc/locks. */
	struct vfs_locks *prev_all, *next_all;
	uint64_t dev, ino;
};

static struct vmutex file_locks_lock = VMUTEX_INITIALIZER(LOCK_CLASS(FILE_LOCKS));
static struct vfs_locks *all_locks;

static struct vfs_locks *locks_of(struct inode *ino)
{
	/* Under ino->lock. */
	if (!ino->locks) {
		struct vfs_locks *l = calloc(1, sizeof(*l));
		if (!l)
			return NULL;
		waitq_init(&l->wq);
		l->dev = ino->sb ? ino->sb->dev : 0;
		l->ino = ino->ino;
		vmutex_lock(&file_locks_lock);
		l->next_all = all_locks;
		if (all_locks)
			all_locks->prev_all = l;
		all_locks = l;
		vmutex_unlock(&file_locks_lock);
		ino->locks = l;
	}
	return ino->locks;
}

void vfs_locks_free(struct inode *ino)
{
	struct vfs_locks *l = ino->locks;
	if (!l)
		return;
	vmutex_lock(&file_locks_lock);
	if (l->prev_all)
		l->prev_all->next_all = l->next_all;
	else
		all_locks = l->next_all;
	if (l->next_all)
		l->next_all->prev_all = l->prev_all;
	vmutex_unlock(&file_locks_lock);
	for (struct file_lock *x = l->ranges, *n; x; x = n) {
		n = x->next;
		free(x);
	}
	for (struct file_lock *x = l->flocks, *n; x; x = n) {
		n = x->next;
		free(x);
	}
	waitq_destroy(&l->wq);
	free(l);
	ino->locks = NULL;
}

static const void *posix_owner(struct task *t)
{
	return t->tg ? (const void *)t->tg : (const void *)t;
}

static int posix_pid(struct task *t)
{
	return t->tg ? t->tg->tgid : t->tid;
}

static bool overlap(const struct file_lock *a, uint64_t start, uint64_t end)
{
	return a->start <= end && start <= a->end;
}

/* The first lock of another owner that conflicts with (type, start, end). */
static struct file_lock *find_conflict(struct file_lock *list, const void *owner, int type,
				       uint64_t start, uint64_t end)
{
	for (struct file_lock *x = list; x; x = x->next) {
		if (x->owner == owner || !overlap(x, start, end))
			continue;
		if (type == F_WRLCK || x->type == F_WRLCK)
			return x;
	}
	return NULL;
}

/* Replace owner's locks in [start, end] by (type) — F_UNLCK removes. Splits
 * the owner's ranges that stick out on either side.  -ENOMEM leaves the
 * list consistent (possibly with the range only partly changed). */
static int apply_range(struct file_lock **list, const void *owner, int pid, int type,
		       uint64_t start, uint64_t end)
{
	struct file_lock **pp = list;
	while (*pp) {
		struct file_lock *x = *pp;
		if (x->owner != owner || !overlap(x, start, end)) {
			pp = &x->next;
			continue;
		}
		if (x->start < start && x->end > end) {
			/* Punch a hole: keep the left part in x, add the right part. */
			struct file_lock *right = malloc(sizeof(*right));
			if (!right)
				return -ENOMEM;
			*right = *x;
			right->start = end + 1;
			x->end = start - 1;
			right->next = x->next;
			x->next = right;
			pp = &right->next;
			continue;
		}
		if (x->start < start) {
			x->end = start - 1;
			pp = &x->next;
		} else if (x->end > end) {
			x->start = end + 1;
			pp = &x->next;
		} else {
			*pp = x->next;
			free(x);
		}
	}
	if (type == F_UNLCK)
		return 0;
	struct file_lock *n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = (struct file_lock){.next = *list, .type = type, .start = start, .end = end,
				.owner = owner, .pid = pid};
	*list = n;
	return 0;
}

/* Take or wait for a lock; under nothing on entry. */
static int lock_acquire(struct task *t, struct inode *ino, bool flock, const void *owner, int pid,
			int type, uint64_t start, uint64_t end, bool wait)
{
	for (;;) {
		vmutex_lock(&ino->lock);
		struct vfs_locks *l = locks_of(ino);
		if (!l) {
			vmutex_unlock(&ino->lock);
			return -ENOLCK;
		}
		struct file_lock **list = flock ? &l->flocks : &l->ranges;
		struct file_lock *c =
			type == F_UNLCK ? NULL : find_conflict(*list, owner, type, start, end);
		if (!c) {
			vmutex_lock(&file_locks_lock);
			int r = apply_range(list, owner, pid, type, start, end);
			vmutex_unlock(&file_locks_lock);
			vmutex_unlock(&ino->lock);
			waitq_notify(&l->wq, ~0u);
			return r == -ENOMEM ? -ENOLCK : r;
		}
		if (!wait || !t) {
			vmutex_unlock(&ino->lock);
			return flock ? -EWOULDBLOCK : -EAGAIN;
		}
		struct waiter w;
		task_waiter_init(&w, t, ~0u);
		waitq_add(&l->wq, &w);
		vmutex_unlock(&ino->lock);
		int r = task_block(t, NULL);
		waitq_remove(&l->wq, &w);
		if (r == -EINTR)
			return -ERESTARTSYS;
	}
}

/* struct flock -> [start, end] for file f (as Linux flock_to_posix_lock). */
static int flock_range(struct file *f, const struct flock *fl, uint64_t *start, uint64_t *end)
{
	int64_t base;
	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		vmutex_lock(&f->pos_lock);
		base = (int64_t)f->pos;
		vmutex_unlock(&f->pos_lock);
		break;
	case SEEK_END:
		vmutex_lock(&f->inode->lock);
		base = (int64_t)f->inode->size;
		vmutex_unlock(&f->inode->lock);
		break;
	default:
		return -EINVAL;
	}
	int64_t s;
	if (__builtin_add_overflow(base, (int64_t)fl->l_start, &s))
		return -EOVERFLOW;
	int64_t e;
	if (fl->l_len > 0) {
		if (__builtin_add_overflow(s, (int64_t)fl->l_len - 1, &e))
			return -EOVERFLOW;
	} else if (fl->l_len < 0) {
		e = s - 1;
		s += fl->l_len;
	} else {
		e = -1; /* to EOF */
	}
	if (s < 0)
		return -EINVAL;
	*start = (uint64_t)s;
	*end = e < 0 ? UINT64_MAX : (uint64_t)e;
	return 0;
}

int vfs_fcntl_lock(struct task *t, struct file *f, int cmd, struct flock *fl)
{
	if (!f->inode || (f->flags & O_PATH))
		return -EBADF;
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
		return -EINVAL;
	uint64_t start, end;
	int r = flock_range(f, fl, &start, &end);
	if (r < 0)
		return r;
	const void *owner = ofd ? (const void *)f : posix_owner(t);
	int pid = ofd ? -1 : posix_pid(t);
	struct inode *ino = f->inode;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl->l_type == F_UNLCK)
			return -EINVAL;
		vmutex_lock(&ino->lock);
		struct file_lock *c =
			ino->locks ? find_conflict(ino->locks->ranges, owner, fl->l_type, start, end)
				   : NULL;
		if (c) {
			fl->l_type = (short)c->type;
			fl->l_whence = SEEK_SET;
			fl->l_start = (off_t)c->start;
			fl->l_len = c->end == UINT64_MAX ? 0 : (off_t)(c->end - c->start + 1);
			fl->l_pid = c->pid;
		} else {
			fl->l_type = F_UNLCK;
		}
		vmutex_unlock(&ino->lock);
		return 0;
	}
	if (fl->l_type == F_RDLCK && !f->readable)
		return -EBADF;
	if (fl->l_type == F_WRLCK && !f->writable)
		return -EBADF;
	bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
	return lock_acquire(t, ino, false, owner, pid, fl->l_type, start, end, wait);
}

int vfs_flock(struct task *t, struct file *f, int op)
{
	if (!f->inode || (f->flags & O_PATH))
		return -EBADF;
	bool nb = op & LOCK_NB;
	int type;
	switch (op & ~LOCK_NB) {
	case LOCK_SH:
		type = F_RDLCK;
		break;
	case LOCK_EX:
		type = F_WRLCK;
		break;
	case LOCK_UN:
		type = F_UNLCK;
		break;
	default:
		return -EINVAL;
	}
	/* A conversion drops the old lock first, as Linux flock_lock_inode. */
	if (type != F_UNLCK)
		lock_acquire(t, f->inode, true, f, -1, F_UNLCK, 0, UINT64_MAX, false);
	/* The locker's pid is what /proc/locks shows (flock's fl_pid). */
	return lock_acquire(t, f->inode, true, f, t ? posix_pid(t) : -1, type, 0, UINT64_MAX, !nb);
}

static void release_owner(struct inode *ino, bool flock, const void *owner)
{
	vmutex_lock(&ino->lock);
	struct vfs_locks *l = ino->locks;
	bool changed = false;
	if (l) {
		vmutex_lock(&file_locks_lock);
		struct file_lock **pp = flock ? &l->flocks : &l->ranges;
		while (*pp) {
			if ((*pp)->owner == owner) {
				struct file_lock *x = *pp;
				*pp = x->next;
				free(x);
				changed = true;
			} else {
				pp = &(*pp)->next;
			}
		}
		vmutex_unlock(&file_locks_lock);
	}
	vmutex_unlock(&ino->lock);
	if (changed)
		waitq_notify(&l->wq, ~0u);
}

void vfs_locks_release_file(struct file *f)
{
	if (!f->inode || !f->inode->locks)
		return;
	release_owner(f->inode, false, f); /* OFD */
	release_owner(f->inode, true, f);  /* flock */
}

void vfs_locks_close_posix(struct task *t, struct file *f)
{
	if (!t || !f->inode || !f->inode->locks)
		return;
	release_owner(f->inode, false, posix_owner(t));
}

/* One line of /proc/locks, as Linux's lock_get_status: the ordinal, the
 * kind (OFD locks are the range locks with no pid), the type, the pid,
 * MAJOR:MINOR:INODE of the file, and the range (flock: 0 EOF). */
static void report_lock(FILE *out, int id, const struct vfs_locks *l, const struct file_lock *x,
			bool flock)
{
	const char *kind = flock ? "FLOCK  ADVISORY " : x->pid < 0 ? "OFDLCK ADVISORY " : "POSIX  ADVISORY ";
	fprintf(out, "%d: %s %s %d %02x:%02x:%llu ", id, kind, x->type == F_WRLCK ? "WRITE" : "READ",
		x->pid, major(l->dev), minor(l->dev), (unsigned long long)l->ino);
	if (flock)
		fputs("0 EOF\n", out);
	else if (x->end == UINT64_MAX)
		fprintf(out, "%llu EOF\n", (unsigned long long)x->start);
	else
		fprintf(out, "%llu %llu\n", (unsigned long long)x->start, (unsigned long long)x->end);
}

char *vfs_locks_report(size_t *len)
{
	char *buf = NULL;
	FILE *out = open_memstream(&buf, len);
	if (!out)
		return NULL;
	int id = 0;
	vmutex_lock(&file_locks_lock);
	for (const struct vfs_locks *l = all_locks; l; l = l->next_all) {
		for (const struct file_lock *x = l->ranges; x; x = x->next)
			report_lock(out, ++id, l, x, false);
		for (const struct file_lock *x = l->flocks; x; x = x->next)
			report_lock(out, ++id, l, x, true);
	}
	vmutex_unlock(&file_locks_lock);
	if (fclose(out) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
