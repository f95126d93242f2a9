/*
 * tty.c — controlling terminals.  A session's terminal is either the
 * sandbox's console — the host pty slave the runtime gave as the container's
 * stdio (docker run -t) — or one of the Sentry's own ptys (fs/devpts.c).
 * As under runc, the container's init is a session leader whose controlling
 * terminal the console is; TIOCSCTTY lets a session leader take a terminal.
 *
 * The terminal belongs to the session (a process has its session's), which
 * is how the rules below read; Linux's per-process view differs only for a
 * non-leader's TIOCNOTTY.  This file also gives the ptys what they need
 * from the kernel (devpts_kernel_ops): signalling a process group, finding
 * a group's session, and the job-control rule for background groups.
 */
#include "sentry/kernel/kernel.h"
#include "sentry/fs/devfs.h"
#include "sentry/fs/devpts.h"
#include "sentry/fs/hostfd.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

/* The console and the session it controls, under k->tasks_lock. */
static struct file *console;
static int console_sid;
static struct kernel *console_k;

static struct file *ctty_of(struct task *t)
{
	struct kernel *k = t->k;
	struct file *f = NULL;
	pthread_mutex_lock(&k->tasks_lock);
	int sid = t->tg->sid;
	if (console && console_k == k && sid == console_sid) {
		f = console;
		file_get(f);
	}
	pthread_mutex_unlock(&k->tasks_lock);
	/* Otherwise one of the Sentry's ptys, opened afresh as Linux's
	 * /dev/tty opens the terminal itself (devpts takes its own locks). */
	return f ? f : devpts_session_tty(k, sid);
}

/* Under tasks_lock: is there a live process in session sid? */
static bool session_alive_locked(struct kernel *k, int sid)
{
	for (struct task *x = k->all_tasks; x; x = x->next_all)
		if (x->tg && !x->tg->zombie && x->tg->sid == sid)
			return true;
	return false;
}

/* TIOCSCTTY: as Linux's tiocsctty, only a session leader without a
 * terminal may take one; taking it from another (live) session needs steal
 * and CAP_SYS_ADMIN, and that session loses it. */
static int set_ctty(struct task *t, struct file *f, int steal)
{
	struct kernel *k = t->k;
	bool is_console = console && f == console && console_k == k;
	if (!is_console && !devpts_is_pty(f))
		return -EPERM; /* a tty the Sentry does not manage sessions for */
	int r = 0;
	pthread_mutex_lock(&k->tasks_lock);
	struct thread_group *tg = t->tg;
	int owner;
	if (is_console) {
		owner = console_sid;
	} else {
		struct kernel *pk = NULL;
		owner = devpts_get_session(f, &pk);
		if (owner > 0 && pk != k)
			owner = 0;
	}
	bool has_console = console && console_k == k && console_sid == tg->sid;
	if (tg->sid != tg->tgid) {
		r = -EPERM;
	} else if (owner == tg->sid) {
		r = 0; /* already ours */
	} else if (has_console || devpts_session_has_tty(k, tg->sid)) {
		r = -EPERM; /* this session has another terminal */
	} else if (owner > 0 && session_alive_locked(k, owner) &&
		   !(steal == 1 && creds_capable(t->creds, 21 /* SYS_ADMIN */))) {
		r = -EPERM;
	} else if (is_console) {
		console_sid = tg->sid;
		hostfd_set_foreground_pgrp(f, tg->pgid);
	} else {
		r = devpts_set_session(f, k, tg->sid, tg->pgid);
	}
	pthread_mutex_unlock(&k->tasks_lock);
	return r;
}

/* For the ptys: signal every process of a group, as Linux's kill_pgrp
 * from the tty layer (SI_KERNEL). */
static void tty_signal_pgrp(struct kernel *k, int pgid, int sig)
{
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_KERNEL;
	pthread_mutex_lock(&k->tasks_lock);
	for (struct task *x = k->all_tasks; x; x = x->next_all) {
		struct thread_group *tg = x->tg;
		if (tg && tg->leader == x && !tg->zombie && tg->pgid == pgid)
			tg_signal_send(tg, &info);
	}
	pthread_mutex_unlock(&k->tasks_lock);
}

static int tty_pgrp_session(struct kernel *k, int pgid)
{
	int sid = -ESRCH;
	pthread_mutex_lock(&k->tasks_lock);
	for (struct task *x = k->all_tasks; x; x = x->next_all)
		if (x->tg && !x->tg->zombie && x->tg->pgid == pgid) {
			sid = x->tg->sid;
			break;
		}
	pthread_mutex_unlock(&k->tasks_lock);
	return sid;
}

/* As Linux's __tty_check_change for a background process: a SIGTTIN it
 * ignores or blocks makes the read fail with EIO (a SIGTTOU so ignored lets
 * the change happen), so does an orphaned group; otherwise the group gets
 * the signal and the call restarts once it is continued. */
static int tty_background(struct task *t, int sig)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tg->siglock);
	uint64_t handler = tg->actions[sig - 1].handler;
	bool ignored = handler == (uint64_t)(uintptr_t)SIG_IGN || (t->sigmask & (1ULL << (sig - 1)));
	pthread_mutex_unlock(&tg->siglock);
	if (ignored)
		return sig == SIGTTIN ? -EIO : 0;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	info.si_signo = sig;
	info.si_code = SI_KERNEL;
	int r = -ERESTARTSYS;
	pthread_mutex_lock(&k->tasks_lock);
	int pgid = tg->pgid;
	if (kernel_pgrp_orphaned_locked(k, pgid, tg->sid)) {
		r = -EIO;
	} else {
		for (struct task *x = k->all_tasks; x; x = x->next_all)
			if (x->tg && x->tg->leader == x && !x->tg->zombie && x->tg->pgid == pgid)
				tg_signal_send(x->tg, &info);
	}
	pthread_mutex_unlock(&k->tasks_lock);
	return r;
}

static const struct tty_kernel_ops tty_kernel_ops = {
	.signal_pgrp = tty_signal_pgrp,
	.pgrp_session = tty_pgrp_session,
	.background = tty_background,
};

/* The hooks must be in place whether or not there is a console (a pty can
 * be made in any sandbox), and no kernel start-up path belongs to this
 * file: a constructor installs them when the Sentry binary starts.  Unit
 * tests that do not link this file install their own. */
__attribute__((constructor)) static void tty_install_hooks(void)
{
	devpts_kernel_ops = &tty_kernel_ops;
	vfs_ctty_hook = ctty_of;
	vfs_tty_sctty_hook = set_ctty;
}

void kernel_set_console(struct kernel *k, struct file *f, int sid)
{
	pthread_mutex_lock(&k->tasks_lock);
	if (console)
		file_put(console);
	file_get(f);
	console = f;
	console_sid = sid;
	console_k = k;
	hostfd_set_foreground_pgrp(f, sid);
	pthread_mutex_unlock(&k->tasks_lock);
	devfs_set_console(f);
	vfs_ctty_hook = ctty_of;
	vfs_tty_sctty_hook = set_ctty;
}
