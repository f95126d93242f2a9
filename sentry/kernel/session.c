/*
 * session.c — process groups and sessions: setsid(2) and setpgid(2).
 *
 * A thread group's pgid and sid change under k->tasks_lock, which the rules
 * below need anyway: they look at every process of the sandbox (is a group
 * with this id already there, in which session).  Readers of a process's own
 * ids (getpgrp, getsid(0)) read them without the lock, as before.
 */
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task_internal.h"

#include <errno.h>

int tg_setsid(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	vmutex_lock(&k->tasks_lock);
	/* As Linux: EPERM if we already lead a process group. */
	for (struct task *x = k->all_tasks; x; x = x->next_all) {
		if (x->tg && x->tg->pgid == tg->tgid) {
			vmutex_unlock(&k->tasks_lock);
			return -EPERM;
		}
	}
	tg->sid = tg->pgid = tg->tgid;
	vmutex_unlock(&k->tasks_lock);
	return tg->tgid;
}

int task_setpgid(struct task *t, int pid, int pgid)
{
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	struct task *lt = kernel_find_task_locked(k, pid);
	struct thread_group *tg = lt && lt->tg->tgid == pid ? lt->tg : NULL;
	int r = 0;
	if (!tg || (tg != t->tg && tg->parent != t->tg)) {
		r = -ESRCH;
	} else if (tg->sid == tg->tgid || tg->sid != t->tg->sid) {
		r = -EPERM; /* a session leader, or another session */
	} else if (pgid != pid) {
		/* The group must exist in the same session. */
		bool ok = false;
		for (struct task *x = k->all_tasks; x; x = x->next_all)
			if (x->tg && x->tg->pgid == pgid && x->tg->sid == t->tg->sid)
				ok = true;
		if (!ok)
			r = -EPERM;
	}
	if (r == 0)
		tg->pgid = pgid;
	vmutex_unlock(&k->tasks_lock);
	return r;
}
