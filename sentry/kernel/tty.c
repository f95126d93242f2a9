/*
 * tty.c — controlling terminals; see tty.h.  A session's terminal is either
 * the sandbox's console — the host pty slave the runtime gave as the
 * container's stdio (docker run -t) — or one of the Sentry's own ptys
 * (fs/devpts.c): both embed a struct tty_session, and the kernel keeps the
 * ones that control a session in k->ttys.  As under runc, the container's
 * init is a session leader whose controlling terminal the console is;
 * TIOCSCTTY lets a session leader take a terminal.
 *
 * The terminal belongs to the session (a process has its session's), which
 * is how the rules below read; Linux's per-process view differs only for a
 * non-leader's TIOCNOTTY.  This file also gives the terminals what they
 * need from the kernel (kernel_tty_ops): signalling a process group,
 * finding a group's session, and the job-control rule for background
 * groups.
 */
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/tty.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <string.h>

/* Under tasks_lock: put s on k's list of controlling terminals. */
static void tty_list_add_locked(struct kernel *k, struct tty_session *s)
{
	if (s->listed)
		return;
	s->next = k->ttys;
	k->ttys = s;
	s->listed = true;
}

/* Under tasks_lock: take s off k's list. */
static void tty_list_remove_locked(struct kernel *k, struct tty_session *s)
{
	if (!s->listed)
		return;
	for (struct tty_session **pp = &k->ttys; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	s->next = NULL;
	s->listed = false;
}

/* Under tasks_lock: is there a live process in session sid? */
static bool session_alive_locked(struct kernel *k, int sid)
{
	for (struct task *x = k->all_tasks; x; x = x->next_all)
		if (x->tg && !x->tg->zombie && x->tg->sid == sid)
			return true;
	return false;
}

/* Under tasks_lock: the terminal controlling session sid of k, or NULL. */
static struct tty_session *session_tty_locked(struct kernel *k, int sid)
{
	if (sid <= 0)
		return NULL;
	for (struct tty_session *s = k->ttys; s; s = s->next) {
		vmutex_lock(s->lock);
		bool match = !s->hungup && s->k == k && s->sid == sid;
		vmutex_unlock(s->lock);
		if (match)
			return s;
	}
	return NULL;
}

/* /dev/tty: the terminal of t's session, opened afresh as Linux's /dev/tty
 * opens the terminal itself.  The open runs outside tasks_lock. */
static struct file *tty_open_ctty(struct task *t)
{
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	struct tty_session *s = session_tty_locked(k, t->tg->sid);
	if (s)
		s->ops->get(s);
	vmutex_unlock(&k->tasks_lock);
	if (!s)
		return NULL;
	struct file *f = s->ops->open(s);
	s->ops->put(s);
	return f;
}

/* TIOCSCTTY: as Linux's tiocsctty, only a session leader without a
 * terminal may take one; taking it from another (live) session needs steal
 * and CAP_SYS_ADMIN, and that session loses it. */
static int tty_set_ctty(struct task *t, struct tty_session *s, int steal)
{
	struct kernel *k = t->k;
	int r = 0;
	vmutex_lock(&k->tasks_lock);
	struct thread_group *tg = t->tg;
	vmutex_lock(s->lock);
	int owner = s->k == k ? s->sid : 0;
	bool hungup = s->hungup;
	vmutex_unlock(s->lock);
	if (tg->sid != tg->tgid) {
		r = -EPERM;
	} else if (owner == tg->sid) {
		r = 0; /* already ours */
	} else if (session_tty_locked(k, tg->sid)) {
		r = -EPERM; /* this session has another terminal */
	} else if (owner > 0 && session_alive_locked(k, owner) &&
		   !(steal == 1 && creds_capable(t->creds, 21 /* SYS_ADMIN */))) {
		r = -EPERM;
	} else if (hungup) {
		r = -EIO;
	} else {
		vmutex_lock(s->lock);
		s->k = k;
		s->sid = tg->sid;
		s->pgrp = tg->pgid;
		vmutex_unlock(s->lock);
		tty_list_add_locked(k, s);
	}
	vmutex_unlock(&k->tasks_lock);
	return r;
}

static void tty_detach(struct tty_session *s)
{
	struct kernel *k = s->k;
	if (!k)
		return;
	vmutex_lock(&k->tasks_lock);
	tty_list_remove_locked(k, s);
	vmutex_unlock(&k->tasks_lock);
}

/* Under tasks_lock: send info to every live process of group pgid. */
static void signal_pgrp_locked(struct kernel *k, int pgid, const siginfo_t *info)
{
	for (struct task *x = k->all_tasks; x; x = x->next_all) {
		struct thread_group *tg = x->tg;
		if (tg && tg->leader == x && !tg->zombie && tg->pgid == pgid)
			tg_signal_send(tg, info);
	}
}

static void kernel_siginfo(siginfo_t *info, int sig)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = SI_KERNEL;
}

/* For the terminals: signal every process of a group, as Linux's kill_pgrp
 * from the tty layer (SI_KERNEL). */
static void tty_signal_pgrp(struct kernel *k, int pgid, int sig)
{
	siginfo_t info;
	kernel_siginfo(&info, sig);
	vmutex_lock(&k->tasks_lock);
	signal_pgrp_locked(k, pgid, &info);
	vmutex_unlock(&k->tasks_lock);
}

static int tty_pgrp_session(struct kernel *k, int pgid)
{
	int sid = -ESRCH;
	vmutex_lock(&k->tasks_lock);
	for (struct task *x = k->all_tasks; x; x = x->next_all)
		if (x->tg && !x->tg->zombie && x->tg->pgid == pgid) {
			sid = x->tg->sid;
			break;
		}
	vmutex_unlock(&k->tasks_lock);
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
	vmutex_lock(&tg->siglock);
	uint64_t handler = tg->actions[sig - 1].handler;
	bool ignored = handler == (uint64_t)(uintptr_t)SIG_IGN || (t->sigmask & (1ULL << (sig - 1)));
	vmutex_unlock(&tg->siglock);
	if (ignored)
		return sig == SIGTTIN ? -EIO : 0;
	siginfo_t info;
	kernel_siginfo(&info, sig);
	int r = -ERESTARTSYS;
	vmutex_lock(&k->tasks_lock);
	int pgid = tg->pgid;
	if (kernel_pgrp_orphaned_locked(k, pgid, tg->sid))
		r = -EIO;
	else
		signal_pgrp_locked(k, pgid, &info);
	vmutex_unlock(&k->tasks_lock);
	return r;
}

const struct tty_kernel_ops kernel_tty_ops = {
	.signal_pgrp = tty_signal_pgrp,
	.pgrp_session = tty_pgrp_session,
	.background = tty_background,
	.set_ctty = tty_set_ctty,
	.detach = tty_detach,
	.open_ctty = tty_open_ctty,
};

void kernel_set_console(struct kernel *k, struct file *f, int sid)
{
	struct tty_session *s = f->ops->tty ? f->ops->tty(f) : NULL;
	if (!s)
		return;
	file_get(f);
	vmutex_lock(&k->tasks_lock);
	struct file *old = k->console;
	k->console = f;
	vmutex_lock(s->lock);
	s->kops = k->tty_kops;
	s->k = k;
	s->sid = sid;
	s->pgrp = sid;
	vmutex_unlock(s->lock);
	tty_list_add_locked(k, s);
	vmutex_unlock(&k->tasks_lock);
	if (old)
		file_put(old);
}

void kernel_console_signal(struct kernel *k, int sig)
{
	if (sig <= 0 || sig > 64)
		return;
	siginfo_t info;
	kernel_siginfo(&info, sig);
	vmutex_lock(&k->tasks_lock);
	struct file *f = k->console;
	struct tty_session *s = f && f->ops->tty ? f->ops->tty(f) : NULL;
	int pgrp = 0;
	if (s) {
		vmutex_lock(s->lock);
		if (!s->hungup && s->k == k && s->sid > 0)
			pgrp = s->pgrp;
		vmutex_unlock(s->lock);
	}
	if (pgrp > 0)
		signal_pgrp_locked(k, pgrp, &info);
	vmutex_unlock(&k->tasks_lock);
}
