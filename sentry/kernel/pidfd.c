/*
 * pidfd.c — pidfds.
 *
 * A pidfd holds a reference to its thread group (kernel_get_tg), which keeps
 * the struct, not the process: after the process is reaped the reference
 * still reads tg->reaped.  As Linux's pidfd_poll: POLLIN | POLLRDNORM once
 * every thread has exited (a zombie), plus POLLHUP once it is reaped; the
 * group's pidfd_wq is notified at both (exit.c).  Reading or writing a pidfd
 * is EINVAL, as Linux's pidfd_fops (no read/write).  No lock of its own: the
 * state it reads (zombie, reaped) is written under k->tasks_lock and read
 * here atomically.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

static const struct file_ops pidfd_fops;

struct thread_group *pidfd_tg(struct file *f)
{
	return f->ops == &pidfd_fops ? f->priv : NULL;
}

static uint32_t pidfd_poll(struct file *f, struct poll_entry *pe)
{
	struct thread_group *tg = f->priv;
	poll_wait(pe, &tg->pidfd_wq);
	if (__atomic_load_n(&tg->reaped, __ATOMIC_ACQUIRE))
		return POLLIN | POLLRDNORM | POLLHUP;
	if (__atomic_load_n(&tg->zombie, __ATOMIC_ACQUIRE))
		return POLLIN | POLLRDNORM;
	return 0;
}

static void pidfd_release(struct file *f)
{
	tg_put(f->priv);
}

static int pidfd_stat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600; /* an anonymous inode, as Linux before pidfs */
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops pidfd_fops = {
	.poll = pidfd_poll,
	.release = pidfd_release,
	.stat = pidfd_stat,
};

int pidfd_open_pid(struct kernel *k, int pid, int flags, struct file **out)
{
	struct thread_group *tg = kernel_get_tg(k, pid);
	if (!tg)
		return kernel_task_exists(k, pid) ? -ENOENT : -ESRCH;
	struct file *f = file_new_anon(&pidfd_fops, NULL, O_RDWR | (flags & O_NONBLOCK), tg);
	if (!f) {
		tg_put(tg);
		return -ENOMEM;
	}
	f->anon_name = strdup("anon_inode:[pidfd]");
	*out = f;
	return 0;
}

int pidfd_kill(struct task *sender, struct thread_group *tg, const siginfo_t *info)
{
	if (__atomic_load_n(&tg->reaped, __ATOMIC_ACQUIRE))
		return -ESRCH;
	return task_kill(sender, tg->tgid, info);
}

void pidfd_notify_exit(struct thread_group *tg)
{
	waitq_notify(&tg->pidfd_wq, POLLIN | POLLRDNORM | POLLHUP);
}
