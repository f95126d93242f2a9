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
 *     gets EWOULDBLOCK.
 * Not as Linux: a blocking opener does not wait up to lease-break-time (45
 * s) for the holder: the lease is broken at once (removed, or downgraded to
 * F_RDLCK) and the open goes on; a broken lease that its holder does not
 * give up is not timed out.  Opens here are of the Sentry's files only:
 * a host-side open of a gofer file does not break a lease.
 * Lock: the inode's lock protects its leases and open counts; the SIGIO is
 * sent after it is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

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

int vfs_lease_break(struct inode *ino, int flags)
{
	if (!S_ISREG(ino->mode))
		return 0;
	bool write = (flags & O_ACCMODE) != O_RDONLY; /* O_TRUNC is not (break_lease) */
	struct {
		struct kernel *k;
		int tgid;
	} notify[8];
	int nnotify = 0, r = 0;
	vmutex_lock(&ino->lock);
	for (struct vfs_lease **pp = &ino->leases; *pp;) {
		struct vfs_lease *l = *pp;
		if (!write && l->type != F_WRLCK) {
			pp = &l->next;
			continue;
		}
		int target = write ? F_UNLCK : F_RDLCK;
		if (l->target < 0 && nnotify < 8) {
			notify[nnotify].k = l->k;
			notify[nnotify++].tgid = l->tgid;
		}
		if (flags & O_NONBLOCK) {
			/* Marked; the holder gives it up (or not) itself. */
			if (l->target < 0 || target == F_UNLCK)
				l->target = target;
			r = -EWOULDBLOCK;
			pp = &l->next;
		} else if (target == F_RDLCK) {
			l->type = F_RDLCK;
			l->target = -1;
			pp = &l->next;
		} else {
			*pp = l->next;
			free(l);
		}
	}
	vmutex_unlock(&ino->lock);
	for (int i = 0; i < nnotify; i++)
		lease_notify(notify[i].k, notify[i].tgid);
	return r;
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
	free(l);
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
