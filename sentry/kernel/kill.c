/*
 * kill.c — signals one process sends another: kill(2) to a process, a
 * process group or everyone, and tkill/tgkill to one thread, with Linux's
 * permission rule (kill_ok_by_cred).
 *
 * The targets are found and signalled under k->tasks_lock, so a group that
 * matched cannot be reaped before it is signalled; each send takes the
 * target's siglock inside it (tasks_lock -> siglock, as DESIGN.md §10).
 */
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task_internal.h"

#include <errno.h>
#include <limits.h>

#define CAP_KILL_NR 5

/* Under tasks_lock: as Linux's kill_ok_by_cred, CAP_KILL or the sender's
 * real or effective uid matching the target's real or saved uid. */
static bool may_signal_locked(struct task *sender, struct thread_group *tg)
{
	if (creds_capable(sender->creds, CAP_KILL_NR))
		return true;
	struct task *l = tg->leader ? tg->leader : tg->threads;
	struct creds *lc = l ? task_creds(l) : NULL;
	if (!lc)
		return true;
	uint32_t e = sender->creds->euid, r = sender->creds->ruid;
	bool ok = e == lc->suid || e == lc->ruid || r == lc->suid || r == lc->ruid;
	creds_put(lc);
	return ok;
}

struct kill_walk {
	struct task *sender;
	int pid; /* -1: everyone; else a process group */
	int pgid;
	const siginfo_t *info;
	int found, sent, perm;
};

static int kill_one_locked(struct thread_group *tg, void *arg)
{
	struct kill_walk *w = arg;
	if (tg->zombie)
		return 0;
	if (w->pid == -1) {
		if (tg == tg->k->init || tg == w->sender->tg)
			return 0;
	} else if (tg->pgid != w->pgid) {
		return 0;
	}
	w->found++;
	if (!may_signal_locked(w->sender, tg)) {
		w->perm++;
		return 0;
	}
	if (w->info->si_signo)
		tg_signal_send(tg, w->info);
	w->sent++;
	return 0;
}

int task_kill(struct task *sender, int pid, const siginfo_t *info)
{
	struct kernel *k = sender->k;
	if (pid > 0) {
		vmutex_lock(&k->tasks_lock);
		struct task *l = kernel_find_task_locked(k, pid);
		struct thread_group *tg = l && l->tg && l->tg->tgid == pid ? l->tg : NULL;
		int r = -ESRCH;
		if (tg && !may_signal_locked(sender, tg))
			r = -EPERM;
		else if (tg)
			r = info->si_signo ? tg_signal_send(tg, info) : 0;
		vmutex_unlock(&k->tasks_lock);
		return r;
	}
	if (pid == INT_MIN)
		return -ESRCH;
	struct kill_walk w = {
		.sender = sender,
		.pid = pid,
		.pgid = pid == 0 ? sender->tg->pgid : -pid,
		.info = info,
	};
	kernel_for_each_tg(k, kill_one_locked, &w);
	if (!w.found)
		return -ESRCH;
	return w.sent ? 0 : (w.perm ? -EPERM : 0);
}

int task_tkill(struct task *sender, int tgid, int tid, const siginfo_t *info)
{
	struct kernel *k = sender->k;
	vmutex_lock(&k->tasks_lock);
	struct task *x = kernel_find_task_locked(k, tid);
	int r = 0;
	if (!x || x->exiting || (tgid > 0 && x->tg->tgid != tgid) || x->tg->zombie)
		r = -ESRCH;
	else if (!may_signal_locked(sender, x->tg))
		r = -EPERM;
	else if (info->si_signo)
		r = task_signal_send_info(x, info, false);
	vmutex_unlock(&k->tasks_lock);
	return r;
}
