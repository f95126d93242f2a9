/*
 * eventfd.c — eventfd(2) files: a 64-bit counter with a wait queue.
 *
 * As Linux (fs/eventfd.c): read takes the whole counter (or 1 with
 * EFD_SEMAPHORE) and waits while it is zero; write adds and waits while the
 * sum would reach 0xffffffffffffffff; both need an 8-byte buffer (EINVAL),
 * writing 0xffffffffffffffff is EINVAL; O_NONBLOCK gives EAGAIN; a signal
 * during a wait gives -ERESTARTSYS.  Lock: ev->lock, then the waitq's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>

#include "lib/lockdep.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/eventfd.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

struct eventfd {
	struct vmutex lock;
	struct waitq wq;
	uint64_t count;
	bool semaphore;
};

#define EVENTFD_MAX UINT64_MAX

static struct eventfd *E(struct file *f)
{
	return f->priv;
}

/* Called with ev->lock held; returns with it held. */
static int ev_wait(struct task *t, struct eventfd *ev, uint32_t events)
{
	if (!t)
		return -EAGAIN;
	struct waiter w;
	task_waiter_init(&w, t, events);
	waitq_add(&ev->wq, &w);
	vmutex_unlock(&ev->lock);
	int r = task_block(t, NULL);
	waitq_remove(&ev->wq, &w);
	vmutex_lock(&ev->lock);
	return r == -EINTR ? -ERESTARTSYS : 0;
}

static ssize_t evfd_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct eventfd *ev = E(f);
	if (len < 8)
		return -EINVAL;
	vmutex_lock(&ev->lock);
	while (ev->count == 0) {
		if (file_get_flags(f) & O_NONBLOCK) {
			vmutex_unlock(&ev->lock);
			return -EAGAIN;
		}
		int r = ev_wait(t, ev, POLLIN);
		if (r < 0) {
			vmutex_unlock(&ev->lock);
			return r;
		}
	}
	uint64_t v = ev->semaphore ? 1 : ev->count;
	ev->count -= v;
	vmutex_unlock(&ev->lock);
	waitq_notify(&ev->wq, POLLOUT | POLLWRNORM);
	memcpy(buf, &v, 8);
	return 8;
}

static ssize_t evfd_write(struct task *t, struct file *f, const void *buf, size_t len,
			     uint64_t *pos)
{
	struct eventfd *ev = E(f);
	if (len < 8)
		return -EINVAL;
	uint64_t v;
	memcpy(&v, buf, 8);
	if (v == EVENTFD_MAX)
		return -EINVAL;
	vmutex_lock(&ev->lock);
	while (EVENTFD_MAX - ev->count <= v) {
		if (file_get_flags(f) & O_NONBLOCK) {
			vmutex_unlock(&ev->lock);
			return -EAGAIN;
		}
		int r = ev_wait(t, ev, POLLOUT);
		if (r < 0) {
			vmutex_unlock(&ev->lock);
			return r;
		}
	}
	ev->count += v;
	vmutex_unlock(&ev->lock);
	if (v)
		waitq_notify(&ev->wq, POLLIN | POLLRDNORM);
	return 8;
}

static uint32_t evfd_poll(struct file *f, struct poll_entry *pe)
{
	struct eventfd *ev = E(f);
	poll_wait(pe, &ev->wq);
	vmutex_lock(&ev->lock);
	uint32_t m = 0;
	if (ev->count > 0)
		m |= POLLIN | POLLRDNORM;
	if (ev->count < EVENTFD_MAX - 1)
		m |= POLLOUT | POLLWRNORM;
	vmutex_unlock(&ev->lock);
	return m;
}

static void evfd_release(struct file *f)
{
	struct eventfd *ev = E(f);
	waitq_destroy(&ev->wq);
	vmutex_destroy(&ev->lock);
	free(ev);
}

static int evfd_stat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600; /* anon inodes have no file type, as Linux */
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops eventfd_fops = {
	.read = evfd_read,
	.write = evfd_write,
	.poll = evfd_poll,
	.release = evfd_release,
	.stat = evfd_stat,
};

int eventfd_new(unsigned int initval, int flags, struct file **out)
{
	if (flags & ~(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	struct eventfd *ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	vmutex_init(&ev->lock, LOCK_CLASS(EVENTFD));
	waitq_init(&ev->wq);
	ev->count = initval;
	ev->semaphore = flags & EFD_SEMAPHORE;
	struct file *f = file_new_anon(&eventfd_fops, NULL, O_RDWR | (flags & EFD_NONBLOCK), ev);
	if (!f) {
		evfd_release(&(struct file){.priv = ev});
		return -ENOMEM;
	}
	f->anon_name = strdup("anon_inode:[eventfd]");
	*out = f;
	return 0;
}

bool file_is_eventfd(struct file *f)
{
	return f->ops == &eventfd_fops;
}

void eventfd_signal(struct file *f, uint64_t n)
{
	struct eventfd *ev = E(f);
	vmutex_lock(&ev->lock);
	if (EVENTFD_MAX - ev->count < n)
		n = EVENTFD_MAX - ev->count;
	ev->count += n;
	vmutex_unlock(&ev->lock);
	if (n)
		waitq_notify(&ev->wq, POLLIN | POLLRDNORM);
}
