/*
 * fasync.c — signal-driven I/O: O_ASYNC (F_SETFL, FIOASYNC), the file's
 * owner (F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX) and its signal
 * (F_SETSIG, F_GETSIG), as Linux's fs/fcntl.c keeps them.
 *
 * A file with O_ASYNC has a poll registration on its wait queue, as epoll's
 * (its poll op registers it).  The registration's wake function runs under
 * the queue's lock, where no signal may be sent (SIGLOCK ranks before
 * WAITQ): it records the events and arms a ktimer for now, and the timer
 * service sends the signals with no lock held (send_sigio): SIGIO with
 * SI_KERNEL, or the F_SETSIG signal with si_code POLL_IN/OUT/ERR/HUP,
 * si_band and si_fd (the fd O_ASYNC was set through, as Linux's fa_fd), to
 * the owner: a thread, a process or a process group.
 *
 * Files whose poll op registers no wait queue (regular files, host fds) get
 * the flag and no signal, as Linux's files without a fasync op from F_SETFL;
 * FIOASYNC on them is ENOTTY, as Linux's ioctl_fioasync.  Read-write files
 * report readability, errors and hang-ups; write-only ones writability
 * too (Linux's sockets report write space only after a send found none).
 * A send reaches a target only if the credentials of whoever set the owner
 * (kept at F_SETOWN, as Linux's f_modown) pass Linux's sigio_perm against
 * the target's: that setter's effective uid 0, or its real or effective uid
 * equal to the target's real or saved uid; others are skipped silently.
 *
 * Locks: fa->lock (FASYNC, taken first: the poll op under it takes the
 * file system's locks) orders registration changes; the owner, signal and
 * fd are under it too.  The wake function takes only the ktimer lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/ktimer.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

struct fasync {
	struct vmutex lock;
	struct poll_entry pe; /* on the file's queue while registered */
	bool registered;
	struct ktimer kt;
	_Atomic uint32_t pending; /* events not yet signalled */
	struct file *f;
	struct kernel *k;
	int owner_type; /* F_OWNER_TID, F_OWNER_PID, F_OWNER_PGRP */
	int owner;      /* 0: none */
	uint32_t uid, euid; /* the owner-setter's real and effective uid */
	int sig;        /* F_SETSIG: 0 is SIGIO without details */
	int fd;         /* the fd O_ASYNC was set through */
};

static void fasync_wake(struct waiter *w)
{
	struct fasync *fa = w->arg;
	atomic_fetch_or(&fa->pending, w->triggered);
	w->triggered = 0;
	ktimer_arm(&fa->kt, 0);
}

struct pgrp_sig {
	int pgid;
	const siginfo_t *info;
	uint32_t uid, euid; /* the owner-setter's, for sigio_perm */
};

/* Linux's sigio_perm: may a SIGIO set up by (uid, euid) reach a task whose
 * credentials are c? */
static bool sigio_perm(uint32_t uid, uint32_t euid, const struct creds *c)
{
	return !c || euid == 0 || euid == c->suid || euid == c->ruid || uid == c->suid ||
	       uid == c->ruid;
}

/* tg's credentials: its leader's (under tasks_lock, as kill.c reads them). */
static bool sigio_perm_tg(const struct pgrp_sig *ps, struct thread_group *tg)
{
	struct task *l = tg->leader ? tg->leader : tg->threads;
	struct creds *c = l ? task_creds(l) : NULL;
	bool ok = sigio_perm(ps->uid, ps->euid, c);
	if (c)
		creds_put(c);
	return ok;
}

static int pgrp_exists(struct thread_group *tg, void *arg)
{
	struct pgrp_sig *ps = arg;
	return tg->pgid == ps->pgid && !tg->reaped;
}

static int pgrp_send_one(struct thread_group *tg, void *arg)
{
	struct pgrp_sig *ps = arg;
	if (tg->pgid == ps->pgid && !tg->reaped && sigio_perm_tg(ps, tg))
		tg_signal_send(tg, ps->info);
	return 0;
}

static int pid_send_one(struct thread_group *tg, void *arg)
{
	struct pgrp_sig *ps = arg;
	if (tg->tgid != ps->pgid)
		return 0;
	if (!tg->reaped && sigio_perm_tg(ps, tg))
		tg_signal_send(tg, ps->info);
	return 1;
}

/* Send info to the owner (Linux's send_sigio), each target checked by
 * sigio_perm against the setter's uid and euid. */
static void send_to_owner(struct kernel *k, int type, int owner, uint32_t uid, uint32_t euid,
			  const siginfo_t *info)
{
	struct pgrp_sig ps = {.pgid = owner, .info = info, .uid = uid, .euid = euid};
	if (type == F_OWNER_TID) {
		struct task *t = kernel_get_task(k, owner);
		if (t) {
			struct creds *c = task_creds(t);
			if (sigio_perm(uid, euid, c))
				task_signal_send_info(t, info, false);
			if (c)
				creds_put(c);
			task_put(t);
		}
	} else {
		kernel_for_each_tg(k, type == F_OWNER_PID ? pid_send_one : pgrp_send_one, &ps);
	}
}

static void fasync_fire(struct ktimer *kt)
{
	struct fasync *fa = kt->arg;
	uint32_t ev = atomic_exchange(&fa->pending, 0);
	if (!ev || !(file_get_flags(fa->f) & O_ASYNC))
		return;
	vmutex_lock(&fa->lock);
	int type = fa->owner_type, owner = fa->owner, sig = fa->sig, fd = fa->fd;
	uint32_t uid = fa->uid, euid = fa->euid;
	vmutex_unlock(&fa->lock);
	if (!owner)
		return;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	if (!sig) {
		info.si_signo = SIGIO;
		info.si_code = SI_KERNEL;
		send_to_owner(fa->k, type, owner, uid, euid, &info);
		return;
	}
	/* One signal per reason, as each of Linux's kill_fasync calls. */
	static const struct {
		uint32_t events;
		int code;
		long band;
	} reasons[] = {
	    {POLLIN | POLLRDNORM, POLL_IN, POLLIN | POLLRDNORM | POLLMSG},
	    {POLLOUT | POLLWRNORM, POLL_OUT, POLLOUT | POLLWRNORM | POLLWRBAND},
	    {POLLERR, POLL_ERR, POLLERR},
	    {POLLHUP | POLLRDHUP, POLL_HUP, POLLHUP | POLLERR},
	};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (!(ev & reasons[i].events))
			continue;
		info.si_signo = sig;
		info.si_code = reasons[i].code;
		info.si_band = reasons[i].band;
		info.si_fd = fd;
		send_to_owner(fa->k, type, owner, uid, euid, &info);
	}
}

/* f's fasync record, made on first use. */
static struct fasync *fasync_of(struct task *t, struct file *f)
{
	vmutex_lock(&f->lock);
	struct fasync *fa = f->fasync;
	if (!fa) {
		fa = calloc(1, sizeof(*fa));
		if (fa) {
			vmutex_init(&fa->lock, LOCK_CLASS(FASYNC));
			ktimer_init(&fa->kt, fasync_fire, fa);
			fa->f = f;
			fa->k = t->k;
			fa->owner_type = F_OWNER_PID;
			fa->fd = -1;
			f->fasync = fa;
		}
	}
	vmutex_unlock(&f->lock);
	return fa;
}

static struct fasync *fasync_peek(struct file *f)
{
	vmutex_lock(&f->lock);
	struct fasync *fa = f->fasync;
	vmutex_unlock(&f->lock);
	return fa;
}

int vfs_fasync_update(struct task *t, struct file *f, int fd, bool fioasync)
{
	bool on = file_get_flags(f) & O_ASYNC;
	struct fasync *fa;
	if (on) {
		fa = fasync_of(t, f);
	} else {
		fa = fasync_peek(f);
	}
	if (!fa)
		return on ? -ENOMEM : 0;
	int r = 0;
	vmutex_lock(&fa->lock);
	if (on && !fa->registered) {
		uint32_t mask = POLLIN | POLLRDNORM | POLLERR | POLLHUP | POLLRDHUP;
		if (f->writable && !f->readable)
			mask |= POLLOUT | POLLWRNORM;
		poll_entry_init(&fa->pe, fasync_wake, fa, mask);
		/* (signalfd: its queue may die first; Linux's has no fasync op) */
		if (!f->ops->poll_queue_borrowed)
			file_poll(f, &fa->pe);
		if (fa->pe.wq) {
			fa->registered = true;
		} else {
			if (fa->pe.hostfd >= 0)
				fa->pe.hostfd = -1;
			if (fioasync)
				r = -ENOTTY;
		}
	} else if (!on && fa->registered) {
		poll_entry_remove(&fa->pe);
		fa->registered = false;
	}
	if (on)
		fa->fd = fd;
	vmutex_unlock(&fa->lock);
	return r;
}

int vfs_fasync_set_owner(struct task *t, struct file *f, int type, int pid)
{
	if (type != F_OWNER_TID && type != F_OWNER_PID && type != F_OWNER_PGRP)
		return -EINVAL;
	if (pid < 0)
		return -EINVAL;
	if (pid) {
		bool found;
		if (type == F_OWNER_TID) {
			found = kernel_task_exists(t->k, pid);
		} else if (type == F_OWNER_PID) {
			struct thread_group *tg = kernel_get_tg(t->k, pid);
			found = tg && !tg->reaped;
			if (tg)
				tg_put(tg);
		} else {
			struct pgrp_sig ps = {.pgid = pid};
			found = kernel_for_each_tg(t->k, pgrp_exists, &ps) != 0;
		}
		if (!found)
			return -ESRCH;
	}
	struct fasync *fa = fasync_of(t, f);
	if (!fa)
		return -ENOMEM;
	vmutex_lock(&fa->lock);
	fa->owner_type = type;
	fa->owner = pid;
	fa->uid = t->creds ? t->creds->ruid : 0;
	fa->euid = t->creds ? t->creds->euid : 0;
	vmutex_unlock(&fa->lock);
	return 0;
}

void vfs_fasync_get_owner(struct file *f, int *type, int *pid)
{
	struct fasync *fa = fasync_peek(f);
	*type = F_OWNER_PID;
	*pid = 0;
	if (!fa)
		return;
	vmutex_lock(&fa->lock);
	*type = fa->owner_type;
	*pid = fa->owner;
	vmutex_unlock(&fa->lock);
}

int vfs_fasync_set_sig(struct task *t, struct file *f, unsigned long sig)
{
	if (sig > 64)
		return -EINVAL;
	struct fasync *fa = fasync_of(t, f);
	if (!fa)
		return -ENOMEM;
	vmutex_lock(&fa->lock);
	fa->sig = (int)sig;
	vmutex_unlock(&fa->lock);
	return 0;
}

int vfs_fasync_get_sig(struct file *f)
{
	struct fasync *fa = fasync_peek(f);
	if (!fa)
		return 0;
	vmutex_lock(&fa->lock);
	int sig = fa->sig;
	vmutex_unlock(&fa->lock);
	return sig;
}

void vfs_fasync_released(struct file *f)
{
	struct fasync *fa = f->fasync;
	if (!fa)
		return;
	if (fa->registered)
		poll_entry_remove(&fa->pe);
	ktimer_destroy(&fa->kt);
	vmutex_destroy(&fa->lock);
	free(fa);
	f->fasync = NULL;
}
