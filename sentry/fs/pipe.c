/*
 * pipe.c — pipes and FIFOs, entirely inside the Sentry.
 *
 * A pipe is a ring buffer (64 KiB by default, F_SETPIPE_SZ up to 1 MiB) with
 * one wait queue.  Readers sleep while it is empty and writers exist;
 * writers sleep while it is full.  As Linux (fs/pipe.c):
 *   - read returns what is there (never waits for more once it has some);
 *     0 at EOF (no writers); EAGAIN with O_NONBLOCK.
 *   - a write of at most PIPE_BUF bytes is atomic: it waits until it fits
 *     whole; bigger writes may be split, and return the partial count if a
 *     signal or O_NONBLOCK stops them after some bytes.
 *   - writing with no readers raises SIGPIPE and fails with EPIPE.
 *   - a signal during a wait gives -ERESTARTSYS (the signal code decides
 *     between EINTR and a restart).
 * FIFOs (mkfifo) share this: the inode holds the pipe and open waits for the
 * other side (fifo_open).
 *
 * Lock: pipe->lock protects everything in the pipe; never held across a wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/lockdep.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* sentry/kernel provides it (kernel.h). */
int task_signal_send(struct task *t, int sig);

#define PIPE_DEFAULT_SIZE 65536
#define PIPE_MAX_SIZE (1024 * 1024)

struct pipe {
	_Atomic int refs;
	struct vmutex lock;
	struct waitq wq;
	char *buf;
	size_t cap, head, len; /* data is buf[head .. head+len) modulo cap */
	int readers, writers;
	unsigned int r_opens, w_opens; /* counters for FIFO open waits */
};

static struct pipe *pipe_alloc(void)
{
	struct pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->buf = malloc(PIPE_DEFAULT_SIZE);
	if (!p->buf) {
		free(p);
		return NULL;
	}
	p->cap = PIPE_DEFAULT_SIZE;
	atomic_init(&p->refs, 1);
	vmutex_init(&p->lock, LOCK_CLASS(PIPE));
	waitq_init(&p->wq);
	return p;
}

static void pipe_put(struct pipe *p)
{
	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	waitq_destroy(&p->wq);
	vmutex_destroy(&p->lock);
	free(p->buf);
	free(p);
}

/* The FIFO's inode goes: drop its pipe. */
static void fifo_evict(struct inode *ino)
{
	pipe_put(ino->special);
}

static struct pipe *P(struct file *f)
{
	return f->priv;
}

/* Wait on the pipe's queue for events; called with p->lock held, returns with
 * it held.  0 when woken, -ERESTARTSYS on a signal. */
static int pipe_wait(struct task *t, struct pipe *p, uint32_t events)
{
	if (!t)
		return -EAGAIN; /* no task to sleep (kernel-internal use) */
	struct waiter w;
	task_waiter_init(&w, t, events);
	waitq_add(&p->wq, &w);
	vmutex_unlock(&p->lock);
	int r = task_block(t, NULL);
	waitq_remove(&p->wq, &w);
	vmutex_lock(&p->lock);
	return r == -EINTR ? -ERESTARTSYS : 0;
}

static ssize_t pipe_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct pipe *p = P(f);
	if (len == 0)
		return 0;
	vmutex_lock(&p->lock);
	for (;;) {
		if (p->len > 0) {
			size_t n = len < p->len ? len : p->len;
			size_t first = p->cap - p->head < n ? p->cap - p->head : n;
			memcpy(buf, p->buf + p->head, first);
			memcpy((char *)buf + first, p->buf, n - first);
			p->head = (p->head + n) % p->cap;
			p->len -= n;
			if (p->len == 0)
				p->head = 0;
			vmutex_unlock(&p->lock);
			waitq_notify(&p->wq, POLLOUT | POLLWRNORM);
			return n;
		}
		if (p->writers == 0) {
			vmutex_unlock(&p->lock);
			return 0;
		}
		if (file_get_flags(f) & O_NONBLOCK) {
			vmutex_unlock(&p->lock);
			return -EAGAIN;
		}
		int r = pipe_wait(t, p, POLLIN | POLLRDNORM | POLLHUP);
		if (r < 0) {
			vmutex_unlock(&p->lock);
			return r;
		}
	}
}

static ssize_t pipe_write(struct task *t, struct file *f, const void *buf, size_t len,
			  uint64_t *pos)
{
	struct pipe *p = P(f);
	if (len == 0)
		return 0;
	bool nonblock = file_get_flags(f) & O_NONBLOCK;
	size_t done = 0;
	vmutex_lock(&p->lock);
	for (;;) {
		if (p->readers == 0) {
			vmutex_unlock(&p->lock);
			if (t)
				task_signal_send(t, SIGPIPE);
			return done ? (ssize_t)done : -EPIPE;
		}
		size_t space = p->cap - p->len;
		size_t want = len - done;
		/* Small writes go in whole or not at all. */
		bool fits = len <= PIPE_BUF ? space >= want : space > 0;
		if (fits) {
			size_t n = want < space ? want : space;
			size_t tail = (p->head + p->len) % p->cap;
			size_t first = p->cap - tail < n ? p->cap - tail : n;
			memcpy(p->buf + tail, (const char *)buf + done, first);
			memcpy(p->buf, (const char *)buf + done + first, n - first);
			p->len += n;
			done += n;
			vmutex_unlock(&p->lock);
			waitq_notify(&p->wq, POLLIN | POLLRDNORM);
			if (done == len)
				return done;
			vmutex_lock(&p->lock);
			continue;
		}
		if (nonblock) {
			vmutex_unlock(&p->lock);
			return done ? (ssize_t)done : -EAGAIN;
		}
		int r = pipe_wait(t, p, POLLOUT | POLLWRNORM | POLLERR);
		if (r < 0) {
			vmutex_unlock(&p->lock);
			return done ? (ssize_t)done : r;
		}
	}
}

static uint32_t pipe_poll(struct file *f, struct poll_entry *pe)
{
	struct pipe *p = P(f);
	poll_wait(pe, &p->wq);
	uint32_t m = 0;
	vmutex_lock(&p->lock);
	if (f->readable) {
		if (p->len)
			m |= POLLIN | POLLRDNORM;
		/* POLLHUP once every writer has gone (and one ever came, for FIFOs). */
		if (p->writers == 0 && p->w_opens > 0)
			m |= POLLHUP;
	}
	if (f->writable) {
		if (p->cap - p->len >= PIPE_BUF)
			m |= POLLOUT | POLLWRNORM;
		if (p->readers == 0)
			m |= POLLERR;
	}
	vmutex_unlock(&p->lock);
	return m;
}

static int64_t pipe_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct pipe *p = P(f);
	if (cmd != FIONREAD)
		return -ENOTTY;
	vmutex_lock(&p->lock);
	int n = (int)p->len;
	vmutex_unlock(&p->lock);
	return task_copy_out(t, arg, &n, sizeof(n));
}

static void pipe_release(struct file *f)
{
	struct pipe *p = P(f);
	if (!p)
		return;
	vmutex_lock(&p->lock);
	if (f->readable)
		p->readers--;
	if (f->writable)
		p->writers--;
	vmutex_unlock(&p->lock);
	/* Wake everyone: readers see EOF/HUP, writers see EPIPE/ERR. */
	waitq_notify(&p->wq, ~0u);
	pipe_put(p);
}

static int pipe_stat(struct file *f, struct stat *st)
{
	if (!f->inode)
		return -EBADF;
	inode_fill_stat(f->inode, st);
	return 0;
}

static const struct file_ops pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.poll = pipe_poll,
	.ioctl = pipe_ioctl,
	.release = pipe_release,
	.stat = pipe_stat,
};

/* tee: as Linux's do_tee (ipipe_prep, opipe_prep, link_pipe), with a copy
 * for the pages Linux shares: data, then room, then the bytes.  The two
 * pipes' locks are never held together. */
ssize_t pipe_tee(struct task *t, struct file *in, struct file *out, size_t len, bool nonblock)
{
	if (in->ops != &pipe_fops || out->ops != &pipe_fops || P(in) == P(out))
		return -EINVAL;
	struct pipe *ip = P(in), *op = P(out);
	vmutex_lock(&ip->lock);
	while (ip->len == 0) {
		int r = ip->writers == 0 ? 1 : nonblock ? -EAGAIN : pipe_wait(t, ip, POLLIN | POLLHUP);
		if (r != 0) {
			vmutex_unlock(&ip->lock);
			return r > 0 ? 0 : r;
		}
	}
	size_t n = len < ip->len ? len : ip->len;
	if (n > PIPE_MAX_SIZE)
		n = PIPE_MAX_SIZE;
	char *copy = malloc(n);
	if (!copy) {
		vmutex_unlock(&ip->lock);
		return -ENOMEM;
	}
	size_t first = ip->cap - ip->head < n ? ip->cap - ip->head : n;
	memcpy(copy, ip->buf + ip->head, first);
	memcpy(copy + first, ip->buf, n - first);
	vmutex_unlock(&ip->lock);
	vmutex_lock(&op->lock);
	ssize_t r = 0;
	for (;;) {
		if (op->readers == 0) {
			r = -EPIPE;
			break;
		}
		if (op->len < op->cap)
			break;
		r = nonblock ? -EAGAIN : pipe_wait(t, op, POLLOUT | POLLERR);
		if (r < 0)
			break;
	}
	if (r == 0) {
		size_t space = op->cap - op->len;
		size_t m = n < space ? n : space;
		size_t tail = (op->head + op->len) % op->cap;
		size_t f1 = op->cap - tail < m ? op->cap - tail : m;
		memcpy(op->buf + tail, copy, f1);
		memcpy(op->buf, copy + f1, m - f1);
		op->len += m;
		r = (ssize_t)m;
	}
	vmutex_unlock(&op->lock);
	free(copy);
	if (r > 0)
		waitq_notify(&op->wq, POLLIN | POLLRDNORM);
	if (r == -EPIPE && t)
		task_signal_send(t, SIGPIPE);
	return r;
}

int64_t pipe_fcntl(struct file *f, int cmd, uint64_t arg)
{
	if (f->ops != &pipe_fops)
		return -EBADF;
	struct pipe *p = P(f);
	if (cmd == F_GETPIPE_SZ) {
		vmutex_lock(&p->lock);
		int64_t c = p->cap;
		vmutex_unlock(&p->lock);
		return c;
	}
	if (cmd != F_SETPIPE_SZ)
		return -EINVAL;
	/* Rounded up to a power of two pages, at least one page, as Linux.
	 * Linux takes the size as an unsigned int: over 2^31 it cannot be
	 * rounded (EINVAL), before the limit's EPERM. */
	arg = (uint32_t)arg;
	if (arg > (1ULL << 31))
		return -EINVAL;
	if (arg > PIPE_MAX_SIZE)
		return -EPERM;
	size_t want = 4096;
	while (want < arg)
		want <<= 1;
	vmutex_lock(&p->lock);
	int64_t r;
	if (want < p->len) {
		r = -EBUSY;
	} else {
		char *nb = malloc(want);
		if (!nb) {
			r = -ENOMEM;
		} else {
			for (size_t i = 0; i < p->len; i++)
				nb[i] = p->buf[(p->head + i) % p->cap];
			free(p->buf);
			p->buf = nb;
			p->head = 0;
			p->cap = want;
			r = (int64_t)want;
		}
	}
	vmutex_unlock(&p->lock);
	if (r > 0)
		waitq_notify(&p->wq, POLLOUT | POLLWRNORM);
	return r;
}

static struct superblock *pipefs_sb;
static int fifo_open(struct task *t, struct inode *ino, struct file *f);
static const struct inode_special_ops fifo_special_ops = {.open = fifo_open, .evict = fifo_evict};

int pipe_register(void)
{
	return vfs_register_special(S_IFIFO, &fifo_special_ops);
}

static pthread_once_t pipefs_once = PTHREAD_ONCE_INIT;

static void pipefs_init(void)
{
	pipefs_sb = sb_new("pipefs", PIPEFS_MAGIC);
}

int pipe_new(int flags, struct file **rd, struct file **wr)
{
	if (flags & ~O_NONBLOCK)
		return -EINVAL;
	pthread_once(&pipefs_once, pipefs_init);
	if (!pipefs_sb)
		return -ENOMEM;
	struct pipe *p = pipe_alloc();
	if (!p)
		return -ENOMEM;
	/* The pipe's inode holds the pipe as a FIFO's would, so reopening it
	 * through /proc/<pid>/fd/N is a FIFO open of the same pipe (as Linux). */
	struct inode *ino = inode_new(pipefs_sb, S_IFIFO | 0600);
	if (!ino) {
		pipe_put(p);
		return -ENOMEM;
	}
	ino->special_ops = &fifo_special_ops;
	ino->special = p;
	int fl = flags & O_NONBLOCK;
	atomic_fetch_add(&p->refs, 2); /* one per end */
	struct file *r = file_new_anon(&pipe_fops, ino, O_RDONLY | fl, p);
	struct file *w = r ? file_new_anon(&pipe_fops, ino, O_WRONLY | fl, p) : NULL;
	inode_put(ino);
	if (!r || !w) {
		if (r) {
			r->priv = NULL;
			file_put(r);
		}
		pipe_put(p);
		pipe_put(p);
		return -ENOMEM;
	}
	p->readers = 1;
	p->writers = 1;
	p->r_opens = p->w_opens = 1;
	char name[48];
	snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)ino->ino);
	file_set_anon_name(r, name);
	file_set_anon_name(w, name);
	*rd = r;
	*wr = w;
	return 0;
}

/* As Linux fifo_open: a reader waits for a writer to come (and vice versa)
 * unless O_NONBLOCK (a nonblocking writer with no reader gets ENXIO). */
static int fifo_open(struct task *t, struct inode *ino, struct file *f)
{
	vmutex_lock(&ino->lock);
	if (!ino->special) {
		ino->special = pipe_alloc();
		if (!ino->special) {
			vmutex_unlock(&ino->lock);
			return -ENOMEM;
		}
	}
	struct pipe *p = ino->special;
	atomic_fetch_add(&p->refs, 1);
	vmutex_unlock(&ino->lock);

	/* An anonymous pipe reopened through /proc/<pid>/fd never waits for the
	 * other side (Linux fifo_open waits only for real FIFOs). */
	bool nonblock = (f->flags & O_NONBLOCK) || ino->sb == pipefs_sb;
	bool is_pipe = ino->sb == pipefs_sb;
	int r = 0;
	vmutex_lock(&p->lock);
	if (f->readable && f->writable) {
		p->readers++;
		p->writers++;
		p->r_opens++;
		p->w_opens++;
	} else if (f->readable) {
		p->readers++;
		unsigned int seen = p->w_opens;
		p->r_opens++;
		vmutex_unlock(&p->lock);
		waitq_notify(&p->wq, POLLOUT);
		vmutex_lock(&p->lock);
		while (!nonblock && p->writers == 0 && p->w_opens == seen) {
			r = pipe_wait(t, p, POLLIN | POLLOUT | POLLHUP);
			if (r < 0) {
				p->readers--;
				break;
			}
		}
	} else if (f->writable) {
		if (p->readers == 0 && nonblock && !is_pipe) {
			r = -ENXIO;
		} else {
			p->writers++;
			unsigned int seen = p->r_opens;
			p->w_opens++;
			vmutex_unlock(&p->lock);
			waitq_notify(&p->wq, POLLIN);
			vmutex_lock(&p->lock);
			while (!is_pipe && p->readers == 0 && p->r_opens == seen) {
				r = pipe_wait(t, p, POLLIN | POLLOUT | POLLHUP);
				if (r < 0) {
					p->writers--;
					break;
				}
			}
		}
	} else {
		r = -EINVAL;
	}
	vmutex_unlock(&p->lock);
	if (r < 0) {
		waitq_notify(&p->wq, ~0u);
		pipe_put(p);
		return r;
	}
	f->ops = &pipe_fops;
	f->priv = p;
	f->stream = true;
	return 0;
}
