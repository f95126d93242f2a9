/*
 * lease.c — file leases (fcntl F_SETLEASE / F_GETLEASE) and the counts of
 * a regular file's open descriptions they depend on.
 *
 * As Linux (fs/locks.c):
 *   - a lease belongs to the open file description that set it and goes when
 *     the description is released or F_UNLCK'd (F_UNLCK without one: EAGAIN);
 *   - only the file's owner (or CAP_LEASE) sets one (EACCES), only on a
 *     regular file (EINVAL);
 *   - F_RDLCK needs the file open for writing nowhere, the lease's own
 *     description included; F_WRLCK needs the description to be the file's
 *     only open one (EAGAIN otherwise);
 *   - an open that conflicts with a lease (any open against F_WRLCK, an
 *     open for writing against F_RDLCK) breaks it: the holder's process gets
 *     SIGIO (set as the file's owner by F_SETLEASE) and F_GETLEASE shows
 *     what the lease is going to (F_RDLCK or F_UNLCK); an O_NONBLOCK opener
 *     gets EWOULDBLOCK, another waits (interruptibly) until the holder gives
 *     the lease up or downgrades it, or lease-break-time (45 s) passes and
 *     the lease is broken for it.
 * Not as Linux: a lease nobody waits on is not timed out; the time is
 * fixed (no /proc/sys/fs/lease-break-time); opens here are the Sentry's
 * only: a host-side open of a gofer file does not break a lease.
 * Lock: the inode's lock protects its leases and open counts; the SIGIO is
 * sent after it is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* /proc/sys/fs/lease-break-time's default: how long an open waits for a
 * lease holder before the lease is broken anyway. */
#define LEASE_BREAK_TIME_S 45

/* Every lease change wakes the opens waiting on a break (one queue: breaks
 * are rare). */
static struct waitq lease_wq;
static pthread_once_t lease_wq_once = PTHREAD_ONCE_INIT;

static void lease_wq_init(void)
{
	waitq_init(&lease_wq);
}

static void lease_changed(void)
{
	pthread_once(&lease_wq_once, lease_wq_init);
	waitq_notify(&lease_wq, ~0u);
}

struct vfs_lease {
	struct vfs_lease *next;
	const struct file *file; /* the description that holds it (no reference) */
	int type;                /* F_RDLCK or F_WRLCK */
	int target;              /* breaking: F_RDLCK or F_UNLCK; else -1 */
	int tgid;                /* the process SIGIO goes to */
	struct kernel *k;
};

static struct vfs_lease **lease_of(struct inode *ino, const struct file *f)
{
	struct vfs_lease **pp = &ino->leases;
	while (*pp && (*pp)->file != f)
		pp = &(*pp)->next;
	return pp;
}

int vfs_lease_get(struct file *f)
{
	struct inode *ino = f->inode;
	if (!ino)
		return F_UNLCK;
	vmutex_lock(&ino->lock);
	struct vfs_lease *l = *lease_of(ino, f);
	int type = !l ? F_UNLCK : l->target >= 0 ? l->target : l->type;
	vmutex_unlock(&ino->lock);
	return type;
}

int vfs_lease_set(struct task *t, struct file *f, int type)
{
	if (type != F_RDLCK && type != F_WRLCK && type != F_UNLCK)
		return -EINVAL;
	struct inode *ino = f->inode;
	if (!ino)
		return -EINVAL;
	const struct creds *c = vfs_task_creds(t);
	vmutex_lock(&ino->lock);
	uint32_t uid = ino->uid, mode = ino->mode;
	vmutex_unlock(&ino->lock);
	if (vfs_fsuid(c) != uid && !vfs_capable(c, CAP_LEASE))
		return -EACCES;
	if (!S_ISREG(mode))
		return -EINVAL;
	struct vfs_lease *fresh = type == F_UNLCK ? NULL : calloc(1, sizeof(*fresh));
	if (type != F_UNLCK && !fresh)
		return -ENOMEM;
	int r = 0;
	vmutex_lock(&ino->lock);
	struct vfs_lease **pp = lease_of(ino, f), *l = *pp;
	if (type == F_UNLCK) {
		if (l)
			*pp = l->next;
		else
			r = -EAGAIN;
	} else {
		/* The opens other than f itself decide (check_conflicting_open). */
		uint32_t self_w = f->writable ? 1 : 0, self_r = f->readable && !f->writable ? 1 : 0;
		if (type == F_RDLCK && ino->open_writers)
			r = -EAGAIN;
		if (type == F_WRLCK &&
		    (ino->open_writers != self_w || ino->open_readers != self_r))
			r = -EAGAIN;
		/* No write lease beside another's lease, no new lease beside one
		 * being broken (generic_add_lease). */
		for (struct vfs_lease *o = ino->leases; r == 0 && o; o = o->next)
			if (o != l && (type == F_WRLCK || o->type == F_WRLCK ||
				       o->target == F_UNLCK))
				r = -EAGAIN;
		if (r == 0 && l) {
			/* A downgrade ends a pending downgrade, not a pending
			 * unlock (lease_clear_pending). */
			l->type = type;
			if (type == F_RDLCK && l->target == F_RDLCK)
				l->target = -1;
		} else if (r == 0) {
			fresh->file = f;
			fresh->type = type;
			fresh->target = -1;
			fresh->next = ino->leases;
			ino->leases = fresh;
			l = fresh;
			fresh = NULL;
		}
		if (r == 0) {
			/* The lease's notices go to the process that set it. */
			l->tgid = t && t->tg ? t->tg->tgid : 0;
			l->k = t ? t->k : NULL;
		}
		l = NULL;
	}
	vmutex_unlock(&ino->lock);
	free(fresh);
	free(l); /* an unlocked lease */
	if (r == 0)
		lease_changed();
	return r;
}

/* Tell the holder of a breaking lease (SIGIO, as send_sigio with no F_SETSIG). */
static void lease_notify(struct kernel *k, int tgid)
{
	if (!k || tgid <= 0)
		return;
	struct thread_group *tg = kernel_get_tg(k, tgid);
	if (!tg)
		return;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = SIGIO;
	info.si_code = SI_KERNEL;
	tg_signal_send(tg, &info);
	tg_put(tg);
}

/* Does an open (for writing or not) conflict with lease l? */
static bool lease_conflicts(const struct vfs_lease *l, bool write)
{
	return write || l->type == F_WRLCK;
}

/* The end of a break nobody answered (time_out_leases): the lease is
 * removed, or downgraded.  Under ino->lock. */
static void lease_force(struct inode *ino, bool write)
{
	for (struct vfs_lease **pp = &ino->leases; *pp;) {
		struct vfs_lease *l = *pp;
		if (!lease_conflicts(l, write)) {
			pp = &l->next;
		} else if (!write) {
			l->type = F_RDLCK;
			l->target = -1;
			pp = &l->next;
		} else {
			*pp = l->next;
			free(l);
		}
	}
}

int vfs_lease_break(struct task *t, struct inode *ino, int flags)
{
	if (!S_ISREG(ino->mode))
		return 0;
	bool write = (flags & O_ACCMODE) != O_RDONLY; /* O_TRUNC is not (break_lease) */
	struct {
		struct kernel *k;
		int tgid;
	} notify[8];
	int nnotify = 0;
	bool conflict = false;
	vmutex_lock(&ino->lock);
	for (struct vfs_lease *l = ino->leases; l; l = l->next) {
		if (!lease_conflicts(l, write))
			continue;
		conflict = true;
		int target = write ? F_UNLCK : F_RDLCK;
		/* The holder is told once, when its lease starts to break. */
		if (l->target < 0 && nnotify < 8) {
			notify[nnotify].k = l->k;
			notify[nnotify++].tgid = l->tgid;
		}
		if (l->target < 0 || target == F_UNLCK)
			l->target = target;
	}
	if (conflict && !(flags & O_NONBLOCK) && !t)
		lease_force(ino, write); /* the Sentry's own opens do not wait */
	vmutex_unlock(&ino->lock);
	for (int i = 0; i < nnotify; i++)
		lease_notify(notify[i].k, notify[i].tgid);
	if (!conflict || !t)
		return 0;
	if (flags & O_NONBLOCK)
		return -EWOULDBLOCK;
	/* Wait for the holders (F_SETLEASE, close) up to lease-break-time. */
	pthread_once(&lease_wq_once, lease_wq_init);
	struct timespec deadline;
	deadline_in_ms(&deadline, LEASE_BREAK_TIME_S * 1000L);
	for (;;) {
		struct waiter w;
		task_waiter_init(&w, t, ~0u);
		waitq_add(&lease_wq, &w);
		vmutex_lock(&ino->lock);
		conflict = false;
		for (struct vfs_lease *l = ino->leases; l; l = l->next)
			conflict |= lease_conflicts(l, write);
		vmutex_unlock(&ino->lock);
		int r = conflict ? task_block(t, &deadline) : 0;
		waitq_remove(&lease_wq, &w);
		if (!conflict)
			return 0;
		if (r == -EINTR)
			return -ERESTARTSYS;
		if (r == -ETIMEDOUT) {
			vmutex_lock(&ino->lock);
			lease_force(ino, write);
			vmutex_unlock(&ino->lock);
			return 0;
		}
	}
}

void vfs_lease_opened(struct file *f)
{
	struct inode *ino = f->inode;
	if (!ino || !S_ISREG(ino->mode) || !f->path.mnt)
		return;
	vmutex_lock(&ino->lock);
	if (f->writable)
		ino->open_writers++;
	else if (f->readable)
		ino->open_readers++;
	vmutex_unlock(&ino->lock);
	f->lease_counted = true;
}

void vfs_lease_released(struct file *f)
{
	struct inode *ino = f->inode;
	if (!ino || !f->lease_counted)
		return;
	vmutex_lock(&ino->lock);
	if (f->writable)
		ino->open_writers--;
	else if (f->readable)
		ino->open_readers--;
	struct vfs_lease **pp = lease_of(ino, f), *l = *pp;
	if (l)
		*pp = l->next;
	vmutex_unlock(&ino->lock);
	if (l) {
		free(l);
		lease_changed();
	}
}

void vfs_leases_free(struct inode *ino)
{
	struct vfs_lease *l = ino->leases;
	ino->leases = NULL;
	while (l) {
		struct vfs_lease *next = l->next;
		free(l);
		l = next;
	}
}
