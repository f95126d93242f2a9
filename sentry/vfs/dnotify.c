/*
 * dnotify.c — directory change notification (fcntl F_NOTIFY), as Linux's
 * fs/notify/dnotify: a process marks a directory through one of its open
 * descriptions with DN_* events; an event on an entry of that directory (a
 * read, a write, a name made, removed or renamed, attributes changed) sends
 * the process SIGIO (F_SETSIG is not supported) and ends the mark unless it
 * has DN_MULTISHOT.  F_NOTIFY with no event ends it too, and so does closing
 * an fd of the description.
 * Not as Linux: events come only from what the sandbox itself does (a host
 * change under a gofer directory is not seen); F_SETSIG is not supported.
 * Lock: the directory inode's lock protects its marks; signals are sent after
 * it is dropped.  A walk from a file to its directory takes vfs_tree_lock,
 * and only while some mark exists anywhere (dnotify_marks).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

struct dnotify_mark {
	struct dnotify_mark *next;
	const struct file *file; /* the description that marked (no reference) */
	uint32_t mask;           /* DN_* events, | DN_MULTISHOT */
	int tgid;                /* the process told (SIGIO) */
	struct kernel *k;
};

/* Marks alive anywhere: while 0, events cost nothing. */
static _Atomic long dnotify_marks;

#define DN_EVENTS (DN_ACCESS | DN_MODIFY | DN_CREATE | DN_DELETE | DN_RENAME | DN_ATTRIB)

static void mark_free(struct dnotify_mark *m)
{
	free(m);
	atomic_fetch_sub(&dnotify_marks, 1);
}

/* Drop f's mark on ino, if any (under ino->lock). */
static struct dnotify_mark *mark_take(struct inode *ino, const struct file *f)
{
	for (struct dnotify_mark **pp = &ino->dnotify; *pp; pp = &(*pp)->next) {
		if ((*pp)->file == f) {
			struct dnotify_mark *m = *pp;
			*pp = m->next;
			return m;
		}
	}
	return NULL;
}

int vfs_dnotify_set(struct task *t, struct file *f, unsigned long arg)
{
	struct inode *ino = f->inode;
	if (!(arg & DN_EVENTS)) {
		/* No event: forget the mark (fcntl_dirnotify's dnotify_flush). */
		vfs_dnotify_flush(f);
		return 0;
	}
	if (!ino || !S_ISDIR(ino->mode))
		return -ENOTDIR;
	struct dnotify_mark *fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	vmutex_lock(&ino->lock);
	struct dnotify_mark *m = ino->dnotify;
	while (m && m->file != f)
		m = m->next;
	if (m) {
		m->mask |= (uint32_t)arg & (DN_EVENTS | DN_MULTISHOT);
	} else {
		fresh->file = f;
		fresh->mask = (uint32_t)arg & (DN_EVENTS | DN_MULTISHOT);
		fresh->tgid = t && t->tg ? t->tg->tgid : 0;
		fresh->k = t ? t->k : NULL;
		fresh->next = ino->dnotify;
		ino->dnotify = fresh;
		atomic_fetch_add(&dnotify_marks, 1);
		fresh = NULL;
	}
	vmutex_unlock(&ino->lock);
	free(fresh);
	return 0;
}

void vfs_dnotify_flush(struct file *f)
{
	struct inode *ino = f->inode;
	if (!ino || !atomic_load(&dnotify_marks) || !S_ISDIR(ino->mode))
		return;
	vmutex_lock(&ino->lock);
	struct dnotify_mark *m = mark_take(ino, f);
	vmutex_unlock(&ino->lock);
	if (m)
		mark_free(m);
}

void vfs_dnotify_free(struct inode *ino)
{
	while (ino->dnotify) {
		struct dnotify_mark *m = ino->dnotify;
		ino->dnotify = m->next;
		mark_free(m);
	}
}

void vfs_dnotify_event(struct inode *dir, uint32_t event)
{
	if (!dir || !atomic_load(&dnotify_marks))
		return;
	struct {
		struct kernel *k;
		int tgid;
	} tell[8];
	int n = 0;
	struct dnotify_mark *done = NULL;
	vmutex_lock(&dir->lock);
	for (struct dnotify_mark **pp = &dir->dnotify; *pp;) {
		struct dnotify_mark *m = *pp;
		if (!(m->mask & event)) {
			pp = &m->next;
			continue;
		}
		if (n < 8) {
			tell[n].k = m->k;
			tell[n++].tgid = m->tgid;
		}
		if (m->mask & DN_MULTISHOT) {
			pp = &m->next;
		} else {
			*pp = m->next;
			m->next = done;
			done = m;
		}
	}
	vmutex_unlock(&dir->lock);
	while (done) {
		struct dnotify_mark *next = done->next;
		mark_free(done);
		done = next;
	}
	for (int i = 0; i < n; i++) {
		if (!tell[i].k || tell[i].tgid <= 0)
			continue;
		struct thread_group *tg = kernel_get_tg(tell[i].k, tell[i].tgid);
		if (!tg)
			continue;
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGIO;
		info.si_code = SI_KERNEL;
		tg_signal_send(tg, &info);
		tg_put(tg);
	}
}

void vfs_dnotify_parent(const struct vfs_path *p, uint32_t event)
{
	if (!atomic_load(&dnotify_marks) || !p || !p->mnt || !p->dentry)
		return;
	vmutex_lock(&vfs_tree_lock);
	struct dentry *parent = p->dentry->parent;
	struct inode *dir = parent && !p->dentry->dead ? parent->inode : NULL;
	if (dir)
		inode_get(dir);
	vmutex_unlock(&vfs_tree_lock);
	if (dir) {
		vfs_dnotify_event(dir, event);
		inode_put(dir);
	}
}
