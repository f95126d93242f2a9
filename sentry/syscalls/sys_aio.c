/*
 * sys_aio.c — Linux native AIO: io_setup, io_destroy, io_submit,
 * io_getevents, io_cancel (libaio: MariaDB's InnoDB, fio, some databases).
 *
 * Every request completes inside io_submit, as Linux's AIO on buffered files
 * does (it is asynchronous only for O_DIRECT I/O on some file systems): its
 * event then waits in its context until io_getevents takes it, and an
 * IOCB_FLAG_RESFD eventfd is signalled.  Not offered: IOCB_CMD_POLL (EINVAL,
 * as kernels before 4.18 answer) and io_pgetevents (ENOSYS).  The completion
 * ring Linux maps at the context's id is an anonymous mapping here (not
 * inherited by fork, as Linux's) whose header carries no AIO_RING_MAGIC, so
 * libaio and fio reap through io_getevents instead of reading it.
 *
 * Locking (sentry/LOCKING.md): one aio->lock per mm guards its contexts and
 * their completions; it is taken alone, never across I/O or a copy to or
 * from app memory; under it only a wait queue's lock (the wake-up).
 */
#include <errno.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/lockdep.h"
#include "sentry/kernel/hostcpu.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/eventfd.h"
#include "sentry/vfs/vfs.h"
#include "sentry/waiter/waiter.h"

/* Linux's limits (fs/aio.c): the ring's size, and /proc/sys/fs/aio-max-nr. */
#define AIO_RING_MAX (0x10000000u / sizeof(struct io_event))
#define AIO_MAX_NR 65536u
#define AIO_RING_HEADER 32 /* struct aio_ring before its events */
#define KIOCB_KEY 0

struct aio_ctx {
	uint64_t id;	     /* the ring's address: the app's aio_context_t */
	uint64_t ring_len;
	unsigned nr;	     /* completions it holds at most (Linux's ring entries - 1) */
	unsigned max_reqs;   /* what io_setup asked for (AIO_MAX_NR counts it) */
	unsigned head, count; /* the FIFO of completions ev[(head + i) % nr] */
	unsigned busy;	     /* requests being done: their slots are taken */
	uint64_t gen;	     /* tells a context from a later one at the same id */
	struct io_event *ev;
	struct aio_ctx *next;
};

struct aio_mm {
	struct vmutex lock;
	struct aio_ctx *ctxs;
	unsigned setup_total; /* the max_reqs of its contexts (AIO_MAX_NR) */
	uint64_t next_gen;
	struct waitq wq;   /* io_getevents sleepers of every context */
};

static void *aio_mm_new(void)
{
	struct aio_mm *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	vmutex_init(&a->lock, LOCK_CLASS(AIO));
	waitq_init(&a->wq);
	return a;
}

static void aio_mm_free(void *arg)
{
	struct aio_mm *a = arg;
	while (a->ctxs) {
		struct aio_ctx *c = a->ctxs;
		a->ctxs = c->next;
		free(c->ev);
		free(c);
	}
	waitq_destroy(&a->wq);
	vmutex_destroy(&a->lock);
	free(a);
}

/* Under a->lock. */
static struct aio_ctx *ctx_find(struct aio_mm *a, uint64_t id)
{
	for (struct aio_ctx *c = a ? a->ctxs : NULL; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static int64_t sys_io_setup(struct task *t, const uint64_t a[6])
{
	unsigned nr_events = (unsigned)a[0];
	uint64_t ctxp = a[1], cur;
	if (task_copy_in(t, &cur, ctxp, sizeof(cur)))
		return -EFAULT;
	if (cur || nr_events == 0)
		return -EINVAL;
	/* As ioctx_alloc: room for twice the request (per-CPU batches). */
	uint64_t per_cpu = (uint64_t)hostcpu_online() * 4;
	uint64_t n = nr_events > per_cpu ? nr_events : per_cpu;
	n *= 2;
	if (n > AIO_RING_MAX)
		return -EINVAL;
	if (nr_events > AIO_MAX_NR)
		return -EAGAIN;
	struct aio_mm *am = mm_aio(t->mm, aio_mm_new, aio_mm_free);
	struct aio_ctx *c = calloc(1, sizeof(*c));
	if (!am || !c || !(c->ev = calloc(n, sizeof(*c->ev)))) {
		free(c);
		return -ENOMEM;
	}
	c->nr = (unsigned)n - 1;
	c->ring_len = (AIO_RING_HEADER + n * sizeof(struct io_event) + 4095) & ~4095ULL;
	int64_t addr = mm_mmap(t->mm, 0, c->ring_len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (addr < 0) {
		free(c->ev);
		free(c);
		return addr == -ENOMEM ? -EAGAIN : addr;
	}
	c->id = (uint64_t)addr;
	mm_madvise(t->mm, c->id, c->ring_len, MADV_DONTFORK);
	/* The header's id and nr, as Linux's; no magic (see the top). */
	uint32_t hdr[8] = {0, (uint32_t)n, 0, 0, 0, 0, 0, AIO_RING_HEADER};
	int r = mm_copy_out(t->mm, c->id, hdr, sizeof(hdr));
	c->max_reqs = nr_events;
	vmutex_lock(&am->lock);
	if (r == 0 && am->setup_total + nr_events > AIO_MAX_NR)
		r = -EAGAIN;
	if (r == 0) {
		c->gen = ++am->next_gen;
		am->setup_total += nr_events;
		c->next = am->ctxs;
		am->ctxs = c;
	}
	vmutex_unlock(&am->lock);
	if (r == 0 && task_copy_out(t, ctxp, &c->id, sizeof(c->id)) == 0)
		return 0;
	if (r == 0) {
		/* The id cannot reach the app: the context goes again. */
		vmutex_lock(&am->lock);
		for (struct aio_ctx **pp = &am->ctxs; *pp; pp = &(*pp)->next)
			if (*pp == c) {
				*pp = c->next;
				am->setup_total -= nr_events;
				break;
			}
		vmutex_unlock(&am->lock);
		r = -EFAULT;
	}
	mm_munmap(t->mm, c->id, c->ring_len);
	free(c->ev);
	free(c);
	return r < 0 ? r : -EFAULT;
}

static int64_t sys_io_destroy(struct task *t, const uint64_t a[6])
{
	struct aio_mm *am = mm_aio(t->mm, NULL, NULL);
	if (!am)
		return -EINVAL;
	vmutex_lock(&am->lock);
	struct aio_ctx *c = NULL;
	for (struct aio_ctx **pp = &am->ctxs; *pp; pp = &(*pp)->next)
		if ((*pp)->id == a[0]) {
			c = *pp;
			*pp = c->next;
			break;
		}
	if (c)
		am->setup_total -= c->max_reqs;
	vmutex_unlock(&am->lock);
	if (!c)
		return -EINVAL;
	/* Its sleepers look it up again and find it gone. */
	waitq_notify(&am->wq, POLLIN);
	mm_munmap(t->mm, c->id, c->ring_len);
	free(c->ev);
	free(c);
	return 0;
}

/* One request, done now: 0 and its result in *res, or the -errno io_submit
 * reports for it (nothing was done). */
static int do_iocb(struct task *t, const struct iocb *cb, int64_t *res)
{
	if (cb->aio_reserved2 || (int64_t)cb->aio_nbytes < 0)
		return -EINVAL;
	struct file *f = get_file(t, (int)cb->aio_fildes);
	if (!f)
		return -EBADF;
	int r = 0;
	switch (cb->aio_lio_opcode) {
	case IOCB_CMD_PREAD:
	case IOCB_CMD_PWRITE:
	case IOCB_CMD_PREADV:
	case IOCB_CMD_PWRITEV: {
		bool write = cb->aio_lio_opcode == IOCB_CMD_PWRITE ||
			     cb->aio_lio_opcode == IOCB_CMD_PWRITEV;
		bool vec = cb->aio_lio_opcode == IOCB_CMD_PREADV ||
			   cb->aio_lio_opcode == IOCB_CMD_PWRITEV;
		if (write ? !f->writable : !f->readable) {
			r = -EBADF;
			break;
		}
		if (cb->aio_rw_flags & ~(uint32_t)RWF_HIPRI) {
			r = -EOPNOTSUPP;
			break;
		}
		if (cb->aio_offset < 0 && !f->stream) {
			r = -EINVAL;
			break;
		}
		if (!vec) {
			struct kiov iov = {cb->aio_buf, cb->aio_nbytes};
			*res = file_rw_iov(t, f, &iov, 1, write, f->stream ? -1 : cb->aio_offset);
			break;
		}
		if (cb->aio_nbytes > UIO_MAXIOV_) {
			r = -EINVAL;
			break;
		}
		struct kiov *iov = malloc((cb->aio_nbytes ? cb->aio_nbytes : 1) * sizeof(*iov));
		if (!iov)
			r = -ENOMEM;
		else if (cb->aio_nbytes &&
			 task_copy_in(t, iov, cb->aio_buf, cb->aio_nbytes * sizeof(*iov)))
			r = -EFAULT;
		else
			*res = file_rw_iov(t, f, iov, (int)cb->aio_nbytes, write,
					   f->stream ? -1 : cb->aio_offset);
		free(iov);
		break;
	}
	case IOCB_CMD_FSYNC:
	case IOCB_CMD_FDSYNC:
		if (cb->aio_buf || cb->aio_offset || cb->aio_nbytes || cb->aio_rw_flags)
			r = -EINVAL;
		else
			*res = file_fsync(f, cb->aio_lio_opcode == IOCB_CMD_FDSYNC);
		break;
	default: /* IOCB_CMD_POLL and IOCB_CMD_NOOP among them */
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

/* Submit one iocb (app address uaddr) to context id. */
static int submit_one(struct task *t, struct aio_mm *am, uint64_t id, uint64_t uaddr)
{
	struct iocb cb;
	if (task_copy_in(t, &cb, uaddr, sizeof(cb)))
		return -EFAULT;
	struct file *resfd = NULL;
	if (cb.aio_flags & IOCB_FLAG_RESFD) {
		resfd = get_file(t, (int)cb.aio_resfd);
		if (!resfd)
			return -EBADF;
		if (!file_is_eventfd(resfd)) {
			file_put(resfd);
			return -EINVAL;
		}
	}
	/* A slot first, as aio_get_req: a full context is EAGAIN. */
	vmutex_lock(&am->lock);
	struct aio_ctx *c = ctx_find(am, id);
	int r = !c ? -EINVAL : c->count + c->busy >= c->nr ? -EAGAIN : 0;
	uint64_t gen = 0;
	if (r == 0) {
		c->busy++;
		gen = c->gen;
	}
	vmutex_unlock(&am->lock);
	if (r < 0) {
		if (resfd)
			file_put(resfd);
		return r;
	}
	uint32_t key = KIOCB_KEY;
	if (task_copy_out(t, uaddr + offsetof(struct iocb, aio_key), &key, sizeof(key)))
		r = -EFAULT;
	int64_t res = 0;
	if (r == 0)
		r = do_iocb(t, &cb, &res);
	struct io_event ev = {.data = cb.aio_data, .obj = uaddr, .res = res, .res2 = 0};
	vmutex_lock(&am->lock);
	c = ctx_find(am, id); /* destroyed meanwhile: the event goes with it */
	if (c && c->gen == gen) {
		c->busy--;
		if (r == 0)
			c->ev[(c->head + c->count++) % c->nr] = ev;
	}
	vmutex_unlock(&am->lock);
	if (r == 0) {
		waitq_notify(&am->wq, POLLIN);
		if (resfd)
			eventfd_signal(resfd, 1);
	}
	if (resfd)
		file_put(resfd);
	return r;
}

static int64_t sys_io_submit(struct task *t, const uint64_t a[6])
{
	int64_t nr = (int64_t)a[1];
	if (nr < 0)
		return -EINVAL;
	struct aio_mm *am = mm_aio(t->mm, NULL, NULL);
	if (!am)
		return -EINVAL;
	vmutex_lock(&am->lock);
	struct aio_ctx *c = ctx_find(am, a[0]);
	unsigned cap = c ? c->nr : 0;
	vmutex_unlock(&am->lock);
	if (!c)
		return -EINVAL;
	if ((uint64_t)nr > cap)
		nr = cap; /* as Linux: at most the context's size per call */
	int64_t i = 0;
	int r = 0;
	for (; i < nr; i++) {
		uint64_t uaddr;
		if (task_copy_in(t, &uaddr, a[2] + (uint64_t)i * 8, sizeof(uaddr))) {
			r = -EFAULT;
			break;
		}
		r = submit_one(t, am, a[0], uaddr);
		if (r < 0)
			break;
	}
	return i ? i : r;
}

static int64_t sys_io_getevents(struct task *t, const uint64_t a[6])
{
	int64_t min_nr = (int64_t)a[1], nr = (int64_t)a[2];
	struct timespec ts, deadline, *dl = NULL;
	bool poll_only = false;
	if (a[4]) {
		if (task_copy_in(t, &ts, a[4], sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || (ts.tv_sec == 0 && ts.tv_nsec <= 0)) {
			poll_only = true;
		} else {
			deadline_after(&deadline, &ts);
			dl = &deadline;
		}
	}
	struct aio_mm *am = mm_aio(t->mm, NULL, NULL);
	if (!am)
		return -EINVAL;
	vmutex_lock(&am->lock);
	bool found = ctx_find(am, a[0]) != NULL;
	vmutex_unlock(&am->lock);
	if (!found || min_nr > nr || min_nr < 0)
		return -EINVAL;
	int64_t got = 0;
	struct io_event buf[64];
	for (;;) {
		/* Take what is there (up to nr), copy it out without the lock. */
		vmutex_lock(&am->lock);
		struct aio_ctx *c = ctx_find(am, a[0]);
		unsigned k = 0;
		while (c && c->count && got + k < nr && k < 64) {
			buf[k++] = c->ev[c->head];
			c->head = (c->head + 1) % c->nr;
			c->count--;
		}
		struct waiter w;
		bool sleep = c && k == 0 && got < min_nr && !poll_only;
		if (sleep) {
			task_waiter_init(&w, t, POLLIN);
			waitq_add(&am->wq, &w);
		}
		vmutex_unlock(&am->lock);
		if (k && task_copy_out(t, a[3] + (uint64_t)got * sizeof(*buf), buf, k * sizeof(*buf)))
			return got ? got : -EFAULT;
		got += k;
		if (k)
			continue;
		if (!sleep)
			return got;
		int r = task_block(t, dl);
		waitq_remove(&am->wq, &w);
		if (r == -ETIMEDOUT)
			return got;
		if (r == -EINTR)
			return got ? got : -EINTR;
	}
}

static int64_t sys_io_cancel(struct task *t, const uint64_t a[6])
{
	uint32_t key;
	if (task_copy_in(t, &key, a[1] + offsetof(struct iocb, aio_key), sizeof(key)))
		return -EFAULT;
	if (key != KIOCB_KEY)
		return -EINVAL;
	/* Every request completed in io_submit: none is left to cancel. */
	return -EINVAL;
}

const struct syscall_def sys_aio_defs[] = {
	{SYS_io_setup, "io_setup", sys_io_setup},
	{SYS_io_destroy, "io_destroy", sys_io_destroy},
	{SYS_io_submit, "io_submit", sys_io_submit},
	{SYS_io_getevents, "io_getevents", sys_io_getevents},
	{SYS_io_cancel, "io_cancel", sys_io_cancel},
	{0},
};
