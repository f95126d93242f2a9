/*
 * signalfd.c — signalfd(2) files.
 *
 * As Linux (fs/signalfd.c): the file holds only a mask; a read dequeues
 * signals of that mask pending for the *reading* thread or its process (not
 * the creator's), writing one 128-byte struct signalfd_siginfo each, as many
 * as fit (EINVAL under 128 bytes); it waits for the first one (EAGAIN with
 * O_NONBLOCK, -ERESTARTSYS on a signal outside the mask) and never for the
 * next.  poll reports POLLIN while such a signal is pending for the polling
 * thread.  Sending a signal notifies the group's signalfd_wq
 * (sentry/kernel/signal.c), where readers and pollers wait.  The mask is
 * an atomic word: no lock of its own.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/signalfd.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

_Static_assert(sizeof(struct signalfd_siginfo) == 128, "Linux's signalfd_siginfo is 128 bytes");

#define SIGBIT(s) (1ULL << ((s)-1))

struct signalfd {
	_Atomic sigset64_t mask;
};

static const struct file_ops signalfd_fops;

bool file_is_signalfd(struct file *f)
{
	return f->ops == &signalfd_fops;
}

static sigset64_t sfd_mask(struct file *f)
{
	return atomic_load(&((struct signalfd *)f->priv)->mask);
}

int signalfd_fdinfo(struct file *f, char *buf, size_t len)
{
	return snprintf(buf, len, "sigmask:\t%016llx\n", (unsigned long long)sfd_mask(f));
}

void signalfd_set_mask(struct file *f, sigset64_t mask)
{
	struct signalfd *s = f->priv;
	atomic_store(&s->mask, mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP)));
	/* As Linux: pollers of every process re-check with the new mask. */
	if (current && current->tg)
		waitq_notify(&current->tg->signalfd_wq, POLLIN | POLLRDNORM);
}

enum layout { L_KILL, L_TIMER, L_POLL, L_FAULT, L_CHLD, L_RT, L_SYS };

/* Linux's siginfo_layout, for the signals x86_64 has. */
static enum layout siginfo_layout(int sig, int code)
{
	if (code > SI_USER && code < SI_KERNEL) {
		switch (sig) {
		case SIGILL:
		case SIGFPE:
		case SIGSEGV:
		case SIGBUS:
		case SIGTRAP:
			return L_FAULT;
		case SIGCHLD:
			return L_CHLD;
		case SIGSYS:
			return L_SYS;
		}
		return code <= POLL_HUP ? L_POLL : L_KILL;
	}
	if (code == SI_TIMER)
		return L_TIMER;
	if (code == SI_SIGIO)
		return L_POLL;
	if (code < 0)
		return L_RT;
	return L_KILL;
}

void signalfd_fill(struct signalfd_siginfo *o, const siginfo_t *in)
{
	memset(o, 0, sizeof(*o));
	o->ssi_signo = (uint32_t)in->si_signo;
	o->ssi_errno = in->si_errno;
	o->ssi_code = in->si_code;
	switch (siginfo_layout(in->si_signo, in->si_code)) {
	case L_KILL:
		o->ssi_pid = (uint32_t)in->si_pid;
		o->ssi_uid = in->si_uid;
		break;
	case L_TIMER:
		o->ssi_tid = (uint32_t)in->si_timerid;
		o->ssi_overrun = (uint32_t)in->si_overrun;
		o->ssi_ptr = (uint64_t)(uintptr_t)in->si_ptr;
		o->ssi_int = in->si_int;
		break;
	case L_POLL:
		o->ssi_band = (uint32_t)in->si_band;
		o->ssi_fd = in->si_fd;
		break;
	case L_FAULT:
		o->ssi_addr = (uint64_t)(uintptr_t)in->si_addr;
		if (in->si_signo == SIGBUS && (in->si_code == BUS_MCEERR_AR ||
					       in->si_code == BUS_MCEERR_AO))
			o->ssi_addr_lsb = (uint16_t)in->si_addr_lsb;
		break;
	case L_CHLD:
		o->ssi_pid = (uint32_t)in->si_pid;
		o->ssi_uid = in->si_uid;
		o->ssi_status = in->si_status;
		o->ssi_utime = (uint64_t)in->si_utime;
		o->ssi_stime = (uint64_t)in->si_stime;
		break;
	case L_RT:
		o->ssi_pid = (uint32_t)in->si_pid;
		o->ssi_uid = in->si_uid;
		o->ssi_ptr = (uint64_t)(uintptr_t)in->si_ptr;
		o->ssi_int = in->si_int;
		break;
	case L_SYS:
		o->ssi_call_addr = (uint64_t)(uintptr_t)in->si_call_addr;
		o->ssi_syscall = in->si_syscall;
		o->ssi_arch = in->si_arch;
		break;
	}
}

/* Dequeue one signal of the mask for t into *out: 1, or 0 when none. */
static int sfd_dequeue_one(struct task *t, sigset64_t mask, struct signalfd_siginfo *out)
{
	siginfo_t info;
	if (!signal_dequeue_set(t, mask, &info))
		return 0;
	signalfd_fill(out, &info);
	return 1;
}

static ssize_t sfd_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	size_t n = len / sizeof(struct signalfd_siginfo), got = 0;
	if (!n)
		return -EINVAL;
	if (!t)
		return -EAGAIN;
	struct signalfd_siginfo *out = buf;
	while (got < n) {
		sigset64_t mask = sfd_mask(f);
		if (sfd_dequeue_one(t, mask, &out[got])) {
			got++;
			continue;
		}
		if (got || (file_get_flags(f) & O_NONBLOCK))
			break;
		struct waiter w;
		task_waiter_init(&w, t, POLLIN);
		waitq_add(&t->tg->signalfd_wq, &w);
		int r = sfd_dequeue_one(t, mask, &out[got]);
		if (!r)
			r = task_block(t, NULL);
		waitq_remove(&t->tg->signalfd_wq, &w);
		if (r == 1)
			got++;
		else if (r == -EINTR)
			return -ERESTARTSYS;
	}
	return got ? (ssize_t)(got * sizeof(struct signalfd_siginfo)) : -EAGAIN;
}

static uint32_t sfd_poll(struct file *f, struct poll_entry *pe)
{
	struct task *t = current;
	if (!t || !t->tg)
		return 0;
	poll_wait(pe, &t->tg->signalfd_wq);
	return (task_pending_any(t) & sfd_mask(f)) ? POLLIN | POLLRDNORM : 0;
}

static void sfd_release(struct file *f)
{
	free(f->priv);
}

static int sfd_stat(struct file *f, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = 0600; /* an anonymous inode, as Linux */
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops signalfd_fops = {
	.read = sfd_read,
	.poll = sfd_poll,
	.poll_queue_borrowed = true, /* the poller's tg->signalfd_wq */
	.release = sfd_release,
	.stat = sfd_stat,
};

int signalfd_new(sigset64_t mask, int flags, struct file **out)
{
	if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	struct signalfd *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	atomic_store(&s->mask, mask & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP)));
	struct file *f = file_new_anon(&signalfd_fops, NULL, O_RDWR | (flags & SFD_NONBLOCK), s);
	if (!f) {
		free(s);
		return -ENOMEM;
	}
	f->anon_name = strdup("anon_inode:[signalfd]");
	*out = f;
	return 0;
}
