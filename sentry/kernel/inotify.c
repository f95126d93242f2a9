/*
 * inotify.c — inotify(7) instances.
 *
 * A watch ties an instance to an inode (holding a reference, as Linux's
 * mark pins its inode); an inode's watches hang off ino->fsn_marks.  The VFS
 * calls inotify_event (the fsnotify hook) for every change while any watch
 * exists; for each watch of the inode whose mask wants the event, an event
 * (wd, mask, cookie, name) is queued on its instance, as Linux:
 *   - an event equal to the last one queued is merged into it;
 *   - past max_queued_events, one IN_Q_OVERFLOW (wd -1) ends the queue;
 *   - IN_ONESHOT removes the watch after its first event; IN_DELETE_SELF
 *     (and IN_UNMOUNT) remove every watch of the inode; a removed watch
 *     queues IN_IGNORED;
 *   - a read returns whole events (EINVAL when the first does not fit),
 *     each struct inotify_event followed by its name padded with NULs to a
 *     multiple of 16 bytes; FIONREAD gives the bytes queued.
 * A directory watch hears of a child unlinked while still open (under its
 * last name) unless it has IN_EXCL_UNLINK.
 * Simplification, stated: the instance and watch limits are per sandbox,
 * not per user.  An unlinked file's IN_DELETE_SELF comes when its dentry's
 * last user (an open file) goes, as Linux.
 *
 * Lock: inotify_lock (global) protects every instance's queue and watches
 * and every inode's fsn_marks; under it only wait-queue notifies.  Inode
 * references are dropped after it is released.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "lib/lockdep.h"
#include "sentry/kernel/inotify.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"

#ifndef IN_MASK_CREATE
#define IN_MASK_CREATE 0x10000000
#endif

struct in_event {
	struct in_event *next;
	int wd;
	uint32_t mask, cookie;
	uint32_t len; /* name bytes with padding, 0 without a name */
	char name[];
};

struct in_watch {
	struct in_watch *next_inode; /* in ino->fsn_marks */
	struct in_watch *next_inst;  /* in the instance's list */
	struct inotify *in;
	struct inode *ino;
	int wd;
	uint32_t mask;
};

struct inotify {
	struct waitq wq;
	struct in_event *head, *tail;
	int nevents;
	size_t bytes;
	struct in_watch *watches;
	int next_wd;
};

static struct vmutex inotify_lock = VMUTEX_INITIALIZER(LOCK_CLASS(INOTIFY));
static int ninstances, nwatches; /* under inotify_lock */

static const struct file_ops inotify_fops;

bool file_is_inotify(struct file *f)
{
	return f->ops == &inotify_fops;
}

/* Under inotify_lock. */
static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie,
			const char *name)
{
	size_t nl = name ? strlen(name) : 0;
	uint32_t len = name ? (uint32_t)((nl + 1 + 15) & ~(size_t)15) : 0;
	struct in_event *last = in->tail;
	if (last && last->wd == wd && last->mask == mask && last->cookie == cookie &&
	    ((!name && !last->len) || (name && last->len && strcmp(last->name, name) == 0)))
		return; /* as Linux: merged with the same event just before */
	if (last && last->mask == IN_Q_OVERFLOW)
		return;
	if (in->nevents >= INOTIFY_MAX_QUEUED_EVENTS) {
		wd = -1;
		mask = IN_Q_OVERFLOW;
		cookie = 0;
		name = NULL;
		len = 0;
	}
	struct in_event *e = calloc(1, sizeof(*e) + len);
	if (!e)
		return;
	e->wd = wd;
	e->mask = mask;
	e->cookie = cookie;
	e->len = len;
	if (name)
		memcpy(e->name, name, nl);
	if (in->tail)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->nevents++;
	in->bytes += sizeof(struct inotify_event) + len;
	waitq_notify(&in->wq, POLLIN | POLLRDNORM);
}

/* Under inotify_lock: unlink w from its inode and instance, queue
 * IN_IGNORED; the caller frees it and puts its inode afterwards. */
static void watch_unlink_locked(struct in_watch *w)
{
	for (struct in_watch **pp = (struct in_watch **)&w->ino->fsn_marks; *pp;
	     pp = &(*pp)->next_inode)
		if (*pp == w) {
			*pp = w->next_inode;
			break;
		}
	for (struct in_watch **pp = &w->in->watches; *pp; pp = &(*pp)->next_inst)
		if (*pp == w) {
			*pp = w->next_inst;
			break;
		}
	queue_event(w->in, w->wd, IN_IGNORED, 0, NULL);
	nwatches--;
	fsnotify_marks_add(-1);
}

static void watches_free(struct in_watch *list)
{
	while (list) {
		struct in_watch *w = list;
		list = w->next_inode;
		inode_put(w->ino);
		free(w);
	}
}

/* The fsnotify hook. */
static void inotify_event(struct inode *ino, uint32_t mask, uint32_t cookie, const char *name)
{
	if (!__atomic_load_n(&ino->fsn_marks, __ATOMIC_RELAXED))
		return;
	struct in_watch *gone = NULL;
	vmutex_lock(&inotify_lock);
	struct in_watch *w = ino->fsn_marks;
	while (w) {
		struct in_watch *next = w->next_inode;
		uint32_t want = mask & w->mask & IN_ALL_EVENTS;
		if ((mask & FS_UNLINKED) && (w->mask & IN_EXCL_UNLINK))
			want = 0;
		if (want) {
			queue_event(w->in, w->wd, want | (mask & IN_ISDIR), cookie, name);
			if (w->mask & IN_ONESHOT) {
				watch_unlink_locked(w);
				w->next_inode = gone;
				gone = w;
			}
		}
		w = next;
	}
	if (!name && (mask & IN_DELETE_SELF)) {
		while ((w = ino->fsn_marks)) {
			watch_unlink_locked(w);
			w->next_inode = gone;
			gone = w;
		}
	}
	vmutex_unlock(&inotify_lock);
	watches_free(gone);
}

static const struct fsnotify_hook inotify_hook = {.event = inotify_event};

static ssize_t in_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct inotify *in = f->priv;
	bool nonblock = file_get_flags(f) & O_NONBLOCK; /* file->lock ranks before ours */
	vmutex_lock(&inotify_lock);
	while (!in->head) {
		if (nonblock || !t) {
			vmutex_unlock(&inotify_lock);
			return -EAGAIN;
		}
		struct waiter w;
		task_waiter_init(&w, t, POLLIN);
		waitq_add(&in->wq, &w);
		vmutex_unlock(&inotify_lock);
		int r = task_block(t, NULL);
		waitq_remove(&in->wq, &w);
		if (r == -EINTR)
			return -ERESTARTSYS;
		vmutex_lock(&inotify_lock);
	}
	size_t done = 0;
	while (in->head) {
		struct in_event *e = in->head;
		size_t sz = sizeof(struct inotify_event) + e->len;
		if (done + sz > len)
			break;
		struct inotify_event ie = {.wd = e->wd, .mask = e->mask, .cookie = e->cookie,
					   .len = e->len};
		memcpy((char *)buf + done, &ie, sizeof(ie));
		memset((char *)buf + done + sizeof(ie), 0, e->len);
		if (e->len)
			memcpy((char *)buf + done + sizeof(ie), e->name, strlen(e->name));
		done += sz;
		in->head = e->next;
		if (!in->head)
			in->tail = NULL;
		in->nevents--;
		in->bytes -= sz;
		free(e);
	}
	vmutex_unlock(&inotify_lock);
	return done ? (ssize_t)done : -EINVAL;
}

static uint32_t in_poll(struct file *f, struct poll_entry *pe)
{
	struct inotify *in = f->priv;
	poll_wait(pe, &in->wq);
	vmutex_lock(&inotify_lock);
	uint32_t m = in->head ? POLLIN | POLLRDNORM : 0;
	vmutex_unlock(&inotify_lock);
	return m;
}

static int64_t in_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct inotify *in = f->priv;
	if (cmd != FIONREAD)
		return -ENOTTY;
	vmutex_lock(&inotify_lock);
	int n = (int)in->bytes;
	vmutex_unlock(&inotify_lock);
	return task_copy_out(t, arg, &n, sizeof(n)) ? -EFAULT : 0;
}

static void in_release(struct file *f)
{
	struct inotify *in = f->priv;
	struct in_watch *gone = NULL;
	vmutex_lock(&inotify_lock);
	while (in->watches) {
		struct in_watch *w = in->watches;
		watch_unlink_locked(w);
		w->next_inode = gone;
		gone = w;
	}
	while (in->head) {
		struct in_event *e = in->head;
		in->head = e->next;
		free(e);
	}
	ninstances--;
	vmutex_unlock(&inotify_lock);
	watches_free(gone);
	waitq_destroy(&in->wq);
	free(in);
}

static int in_stat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600; /* an anonymous inode, as Linux */
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops inotify_fops = {
	.read = in_read,
	.poll = in_poll,
	.ioctl = in_ioctl,
	.release = in_release,
	.stat = in_stat,
};

int inotify_new(int flags, struct file **out)
{
	if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
		return -EINVAL;
	fsnotify_set_hook(&inotify_hook);
	struct inotify *in = calloc(1, sizeof(*in));
	if (!in)
		return -ENOMEM;
	waitq_init(&in->wq);
	in->next_wd = 1;
	vmutex_lock(&inotify_lock);
	bool full = ninstances >= INOTIFY_MAX_USER_INSTANCES;
	if (!full)
		ninstances++;
	vmutex_unlock(&inotify_lock);
	if (full) {
		waitq_destroy(&in->wq);
		free(in);
		return -EMFILE;
	}
	struct file *f = file_new_anon(&inotify_fops, NULL, O_RDONLY | (flags & IN_NONBLOCK), in);
	if (!f) {
		in_release(&(struct file){.priv = in});
		return -ENOMEM;
	}
	f->anon_name = strdup("anon_inode:inotify");
	*out = f;
	return 0;
}

int inotify_add(struct file *f, struct inode *ino, uint32_t mask)
{
	struct inotify *in = f->priv;
	struct in_watch *fresh = calloc(1, sizeof(*fresh));
	if (!fresh)
		return -ENOMEM;
	int r;
	vmutex_lock(&inotify_lock);
	struct in_watch *w = ino->fsn_marks;
	while (w && w->in != in)
		w = w->next_inode;
	uint32_t keep = IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK;
	if (w) {
		if (mask & IN_MASK_CREATE)
			r = -EEXIST;
		else {
			w->mask = ((mask & IN_MASK_ADD) ? w->mask : 0) | (mask & keep);
			r = w->wd;
		}
	} else if (nwatches >= INOTIFY_MAX_USER_WATCHES) {
		r = -ENOSPC;
	} else {
		w = fresh;
		fresh = NULL;
		w->in = in;
		w->ino = ino;
		inode_get(ino);
		w->mask = mask & keep;
		w->wd = in->next_wd++;
		w->next_inode = ino->fsn_marks;
		__atomic_store_n(&ino->fsn_marks, w, __ATOMIC_RELAXED);
		w->next_inst = in->watches;
		in->watches = w;
		nwatches++;
		fsnotify_marks_add(1);
		r = w->wd;
	}
	vmutex_unlock(&inotify_lock);
	free(fresh);
	return r;
}

int inotify_rm(struct file *f, int wd)
{
	struct inotify *in = f->priv;
	vmutex_lock(&inotify_lock);
	struct in_watch *w = in->watches;
	while (w && w->wd != wd)
		w = w->next_inst;
	if (w) {
		watch_unlink_locked(w);
		w->next_inode = NULL;
	}
	vmutex_unlock(&inotify_lock);
	if (!w)
		return -EINVAL;
	watches_free(w);
	return 0;
}
