/*
 * epoll.c — epoll(7) instances.
 *
 * An instance is a list of items (file, fd, events, data).  Items do not
 * hold the file: when a description is released (its last fd closed), its
 * items leave every instance (epoll_file_released, called by file_put), as
 * Linux.  epoll_wait scans the items with the file's poll op, and when none
 * is ready registers a waiter on each item's wait queue (and host fd) plus
 * the instance's own queue (epoll_ctl notifies it, so a thread adding an fd
 * wakes a waiter), blocks, and scans again.
 *
 * Semantics: level-triggered by default; EPOLLONESHOT disables an item after
 * one report until EPOLL_CTL_MOD.  EPOLLET is driven by wake-ups, as Linux's
 * ep_poll_callback: an edge-triggered item keeps a waiter of its own on the
 * file's wait queue from EPOLL_CTL_ADD to its removal (no wake function: the
 * queue's notify only records the events in it), and is reported when it is
 * ready and either a notify reached it since its last report or it was just
 * added or modified.  So new data on a socket that stays writable, a
 * connection queued between accept4's EAGAIN and epoll_wait, or send-buffer
 * space after EAGAIN each raise an edge (before, an item ready for EPOLLOUT
 * all along was never reported again).  A file whose poll op names no wait
 * queue (host fds) falls back to comparing readiness with the last report.
 * A poll/epoll on an epoll fd sees the
 * current readiness but is only woken by epoll_ctl changes (no nested
 * wake-ups yet).  Files without a poll op (regular files, directories)
 * cannot be added (EPERM, as Linux).
 *
 * Lock: epoll_lock (global) protects every instance's item list and every
 * file's epitems list; it is taken before a file's own locks (file_poll under
 * it is allowed) and never held while blocking.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "lib/lockdep.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/epoll.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

struct epitem {
	struct epitem *next_ep;   /* in the instance's list */
	struct epitem *next_file; /* in the watched file's list */
	struct eventpoll *ep;
	struct file *file; /* no reference: the item goes when the file does */
	int fd;
	uint32_t events;
	uint64_t data;
	uint32_t last; /* EPOLLET without a wait queue: what the last report showed */
	bool disabled; /* EPOLLONESHOT fired */
	bool armed;    /* EPOLLET: report if ready even without a wake-up (ADD, MOD) */
	struct poll_entry pe; /* EPOLLET: records the file's wake-ups (pe.wq NULL: none) */
};

struct eventpoll {
	struct waitq wq;
	struct epitem *items;
	int nitems;
};

/* Recursive: polling an epoll fd that watches another epoll fd nests. */
static struct vmutex epoll_lock = VMUTEX_RECURSIVE_INITIALIZER(LOCK_CLASS(EPOLL));

static const struct file_ops epoll_fops;

static struct eventpoll *EP(struct file *f)
{
	return f->priv;
}

bool file_is_epoll(struct file *f)
{
	return f->ops == &epoll_fops;
}

static uint32_t item_want(const struct epitem *it)
{
	return (it->events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)) | EPOLLERR |
	       EPOLLHUP;
}

/* (Re)register an edge-triggered item's own waiter on its file's queue; an
 * item that is not edge-triggered has none.  Under epoll_lock. */
static void item_watch(struct epitem *it)
{
	poll_entry_remove(&it->pe);
	it->armed = true;
	it->last = 0;
	/* A file whose queue may die before it (signalfd) keeps no waiter:
	 * it falls back to comparing readiness, as a host fd. */
	if (!(it->events & EPOLLET) || it->file->ops->poll_queue_borrowed)
		return;
	poll_entry_init(&it->pe, NULL, NULL, item_want(it));
	(void)file_poll(it->file, &it->pe);
}

/* Unlink it from both lists and free it; under epoll_lock. */
static void item_free(struct epitem *it)
{
	poll_entry_remove(&it->pe);
	struct epitem **pp = &it->ep->items;
	while (*pp && *pp != it)
		pp = &(*pp)->next_ep;
	if (*pp)
		*pp = it->next_ep;
	it->ep->nitems--;
	pp = &it->file->epitems;
	while (*pp && *pp != it)
		pp = &(*pp)->next_file;
	if (*pp)
		*pp = it->next_file;
	free(it);
}

void epoll_file_released(struct file *f)
{
	vmutex_lock(&epoll_lock);
	while (f->epitems) {
		struct eventpoll *ep = f->epitems->ep;
		item_free(f->epitems);
		waitq_notify(&ep->wq, ~0u);
	}
	vmutex_unlock(&epoll_lock);
}

static uint32_t item_ready(struct epitem *it, uint32_t mask)
{
	if (it->disabled)
		return 0;
	uint32_t r = mask & item_want(it);
	if (it->events & EPOLLET) {
		/* No wait queue: an edge is an event the last report lacked. */
		it->last &= r;
		if (!(r & ~it->last))
			return 0;
	}
	return r;
}

/* An edge-triggered item with its own waiter: the events to report, or 0.
 * The recorded wake-ups are taken before the file is polled, so one that
 * comes after the poll stays recorded for the next scan.  Under epoll_lock;
 * the caller holds a reference on the file. */
static uint32_t item_ready_edge(struct epitem *it)
{
	if (it->disabled)
		return 0;
	uint32_t woken = waiter_take_triggered(it->pe.wq, &it->pe.w);
	if (!woken && !it->armed)
		return 0;
	it->armed = false;
	return file_poll(it->file, NULL) & item_want(it);
}

static uint32_t epoll_poll(struct file *f, struct poll_entry *pe)
{
	struct eventpoll *ep = EP(f);
	poll_wait(pe, &ep->wq);
	uint32_t m = 0;
	vmutex_lock(&epoll_lock);
	for (struct epitem *it = ep->items; it && !m; it = it->next_ep) {
		if (it->disabled || atomic_load(&it->file->refs) == 0)
			continue;
		uint32_t want = it->events | EPOLLERR | EPOLLHUP;
		if (file_poll(it->file, NULL) & want)
			m = POLLIN | POLLRDNORM;
	}
	vmutex_unlock(&epoll_lock);
	return m;
}

static void epoll_release(struct file *f)
{
	struct eventpoll *ep = EP(f);
	vmutex_lock(&epoll_lock);
	while (ep->items)
		item_free(ep->items);
	vmutex_unlock(&epoll_lock);
	waitq_destroy(&ep->wq);
	free(ep);
}

static int epoll_stat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops epoll_fops = {
	.poll = epoll_poll,
	.release = epoll_release,
	.stat = epoll_stat,
};

int epoll_new(int flags, struct file **out)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	struct eventpoll *ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	waitq_init(&ep->wq);
	struct file *f = file_new_anon(&epoll_fops, NULL, O_RDWR, ep);
	if (!f) {
		waitq_destroy(&ep->wq);
		free(ep);
		return -ENOMEM;
	}
	f->anon_name = strdup("anon_inode:[eventpoll]");
	*out = f;
	return 0;
}

/* Does watching target from ep close a loop through nested instances? Under the lock. */
static bool creates_loop(struct eventpoll *ep, struct file *target, int depth)
{
	if (!file_is_epoll(target))
		return false;
	if (EP(target) == ep || depth > 4)
		return true;
	for (struct epitem *it = EP(target)->items; it; it = it->next_ep)
		if (creates_loop(ep, it->file, depth + 1))
			return true;
	return false;
}

int epoll_ctl_file(struct file *epf, int op, int fd, struct file *target,
		   const struct epoll_event *ev)
{
	if (!file_is_epoll(epf) || epf == target)
		return -EINVAL;
	/* Only files that can say when they are ready (as Linux file_can_poll). */
	if (!target->ops->poll)
		return -EPERM;
	struct eventpoll *ep = EP(epf);
	if (op == EPOLL_CTL_MOD && ev && (ev->events & EPOLLEXCLUSIVE))
		return -EINVAL;
	vmutex_lock(&epoll_lock);
	struct epitem *it = ep->items;
	while (it && !(it->file == target && it->fd == fd))
		it = it->next_ep;
	int r = 0;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (it) {
			r = -EEXIST;
		} else if (creates_loop(ep, target, 0)) {
			r = -ELOOP;
		} else if (!(it = calloc(1, sizeof(*it)))) {
			r = -ENOMEM;
		} else {
			it->ep = ep;
			it->file = target;
			it->fd = fd;
			it->events = ev->events;
			it->data = ev->data.u64;
			it->next_ep = ep->items;
			ep->items = it;
			it->next_file = target->epitems;
			target->epitems = it;
			ep->nitems++;
			item_watch(it);
		}
		break;
	case EPOLL_CTL_MOD:
		if (!it) {
			r = -ENOENT;
		} else {
			it->events = ev->events;
			it->data = ev->data.u64;
			it->disabled = false;
			item_watch(it);
		}
		break;
	case EPOLL_CTL_DEL:
		if (!it)
			r = -ENOENT;
		else
			item_free(it);
		break;
	default:
		r = -EINVAL;
	}
	vmutex_unlock(&epoll_lock);
	if (r == 0)
		waitq_notify(&ep->wq, ~0u);
	return r;
}

/* Take a reference unless the file is already going. */
static bool file_tryget(struct file *f)
{
	int r = atomic_load(&f->refs);
	while (r > 0)
		if (atomic_compare_exchange_weak(&f->refs, &r, r + 1))
			return true;
	return false;
}

int epoll_wait_file(struct task *t, struct file *epf, struct epoll_event *out, int maxevents,
		    const struct timespec *deadline)
{
	if (!file_is_epoll(epf))
		return -EINVAL;
	struct eventpoll *ep = EP(epf);
	for (;;) {
		/* Snapshot the items with references, so they stay while we sleep. */
		vmutex_lock(&epoll_lock);
		int n = ep->nitems;
		struct file **files = calloc(n ? n : 1, sizeof(*files));
		struct poll_entry *pes = calloc(n + 1, sizeof(*pes));
		if (!files || !pes) {
			vmutex_unlock(&epoll_lock);
			free(files);
			free(pes);
			return -ENOMEM;
		}
		int k = 0;
		for (struct epitem *it = ep->items; it && k < n; it = it->next_ep)
			if (file_tryget(it->file))
				files[k++] = it->file;
		vmutex_unlock(&epoll_lock);
		/* Register on everything (and the instance) before checking: no lost wake-up. */
		task_poll_entry_init(&pes[k], t, ~0u);
		poll_wait(&pes[k], &ep->wq);
		uint32_t *masks = calloc(k ? k : 1, sizeof(*masks));
		for (int i = 0; masks && i < k; i++) {
			task_poll_entry_init(&pes[i], t, ~0u);
			masks[i] = file_poll(files[i], &pes[i]);
		}
		/* Collect reports under the lock (items may have changed meanwhile). */
		int got = 0;
		vmutex_lock(&epoll_lock);
		for (struct epitem *it = ep->items; masks && it && got < maxevents; it = it->next_ep) {
			int i = 0;
			while (i < k && files[i] != it->file)
				i++;
			if (i == k)
				continue;
			uint32_t r = (it->events & EPOLLET) && it->pe.wq ? item_ready_edge(it)
									 : item_ready(it, masks[i]);
			if (!r)
				continue;
			out[got].events = r;
			out[got].data.u64 = it->data;
			got++;
			if (it->events & EPOLLET)
				it->last = r;
			if (it->events & EPOLLONESHOT)
				it->disabled = true;
		}
		vmutex_unlock(&epoll_lock);
		int r = 0;
		if (!masks) {
			r = -ENOMEM;
		} else if (!got) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			bool expired = deadline && (now.tv_sec > deadline->tv_sec ||
						    (now.tv_sec == deadline->tv_sec &&
						     now.tv_nsec >= deadline->tv_nsec));
			if (expired) {
				r = 0;
				got = -1;
			} else {
				int hostfd = -1;
				short hostev = 0;
				for (int i = 0; i < k; i++)
					if (pes[i].hostfd >= 0) {
						hostfd = pes[i].hostfd;
						hostev = pes[i].hostevents;
					}
				/* Several host fds: wake on any one of them by a short sleep
				 * cycle (stdio in an epoll set is rare). */
				int nhost = 0;
				for (int i = 0; i < k; i++)
					nhost += pes[i].hostfd >= 0;
				struct timespec slice, *dl = (struct timespec *)deadline;
				if (nhost > 1) {
					slice = now;
					slice.tv_nsec += 10 * 1000000;
					if (slice.tv_nsec >= 1000000000) {
						slice.tv_sec++;
						slice.tv_nsec -= 1000000000;
					}
					if (!dl || slice.tv_sec < dl->tv_sec ||
					    (slice.tv_sec == dl->tv_sec && slice.tv_nsec < dl->tv_nsec))
						dl = &slice;
				}
				int b = hostfd >= 0 ? task_block_fd(t, hostfd, hostev, dl)
						    : task_block(t, dl);
				if (b == -EINTR)
					r = -EINTR;
				else if (b < 0 && b != -ETIMEDOUT)
					r = b;
			}
		}
		for (int i = 0; i <= k; i++)
			poll_entry_remove(&pes[i]);
		for (int i = 0; i < k; i++)
			file_put(files[i]);
		free(files);
		free(pes);
		free(masks);
		if (r < 0)
			return r;
		if (got > 0)
			return got;
		if (got < 0)
			return 0;
	}
}
