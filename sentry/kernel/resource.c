/*
 * resource.c — per-process resources: resource limits (getrlimit,
 * setrlimit, prlimit64) and nice values (getpriority, setpriority).
 *
 * Limits live in the thread group under its siglock; they are inherited by
 * fork and kept by execve.  Nice values are per task, kept by sched.c with
 * the other scheduling attributes; the checks here are Linux's.
 *
 * Lock order: k->tasks_lock, then a group's siglock (for its limits and the
 * creds of its tasks).
 */
#include "sentry/kernel/resource.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task_internal.h"

#include <errno.h>

#define CAP_SYS_NICE_NR 23
#define CAP_SYS_RESOURCE_NR 24
#define NR_OPEN_MAX 1048576 /* Linux's default fs.nr_open */

/* ---- rlimits ---- */

/* As check_prlimit_permission: the caller's real ids must match all of the
 * target's, or it needs CAP_SYS_RESOURCE. */
static bool may_prlimit(const struct creds *c, const struct creds *tc)
{
	return creds_ids_match(c, tc) || creds_capable(c, CAP_SYS_RESOURCE_NR);
}

/* As do_prlimit, on tg (whose siglock the caller holds). */
static int do_prlimit_locked(struct task *t, struct thread_group *tg, unsigned resource,
			     const struct rlimit *new_rl, struct rlimit *old_rl)
{
	if (resource >= RLIM_NLIMITS)
		return -EINVAL;
	struct rlimit *rl = &tg->rlimits[resource];
	if (new_rl) {
		if (new_rl->rlim_cur > new_rl->rlim_max)
			return -EINVAL;
		if (resource == RLIMIT_NOFILE && new_rl->rlim_max > NR_OPEN_MAX)
			return -EPERM;
		if (new_rl->rlim_max > rl->rlim_max && !creds_capable(t->creds, CAP_SYS_RESOURCE_NR))
			return -EPERM;
	}
	if (old_rl)
		*old_rl = *rl;
	if (new_rl)
		*rl = *new_rl;
	return 0;
}

int task_prlimit(struct task *t, int pid, unsigned resource, const struct rlimit *new_rl,
		 struct rlimit *old_rl)
{
	int r;
	if (pid == 0 || pid == t->tid) {
		vmutex_lock(&t->tg->siglock);
		r = do_prlimit_locked(t, t->tg, resource, new_rl, old_rl);
		vmutex_unlock(&t->tg->siglock);
		return r;
	}
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	struct task *p = kernel_find_task_locked(k, pid);
	if (!p) {
		vmutex_unlock(&k->tasks_lock);
		return -ESRCH;
	}
	struct thread_group *tg = p->tg;
	vmutex_lock(&tg->siglock);
	if (tg != t->tg && (!p->creds || !may_prlimit(t->creds, p->creds)))
		r = -EPERM;
	else
		r = do_prlimit_locked(t, tg, resource, new_rl, old_rl);
	vmutex_unlock(&tg->siglock);
	vmutex_unlock(&k->tasks_lock);
	return r;
}

struct rlimit tg_get_rlimit(struct thread_group *tg, unsigned resource)
{
	vmutex_lock(&tg->siglock);
	struct rlimit rl = tg->rlimits[resource];
	vmutex_unlock(&tg->siglock);
	return rl;
}

/* ---- nice ---- */

/* The nice value of a task (sched.c keeps it), under its siglock. */
static int task_nice(const struct task *p)
{
	return sched_nice_locked(p);
}

static int task_set_nice(struct task *p, int nice)
{
	sched_set_nice_locked(p, nice);
	return 0;
}

static bool prio_match(struct task *t, struct task *p, int which, int who)
{
	switch (which) {
	case PRIO_PROCESS:
		return p->tid == (who ? who : t->tid);
	case PRIO_PGRP:
		return p->tg->pgid == (who ? who : t->tg->pgid);
	case PRIO_USER:
		/* Another task's creds: read under its siglock (held by the caller). */
		return p->creds && p->creds->ruid == (who ? (uint32_t)who : t->creds->ruid);
	}
	return false;
}

/* Call fn(t, p, arg) for every live task p that which/who names, under the
 * task lock and p's siglock (p's creds and rlimits are read there). */
static void for_each_prio_match(struct task *t, int which, int who,
				void (*fn)(struct task *t, struct task *p, void *arg), void *arg)
{
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	for (struct task *p = k->all_tasks; p; p = p->next_all) {
		if (p->exiting || !p->tg)
			continue;
		vmutex_lock(&p->tg->siglock);
		if (prio_match(t, p, which, who))
			fn(t, p, arg);
		vmutex_unlock(&p->tg->siglock);
	}
	vmutex_unlock(&k->tasks_lock);
}

static void get_one_prio(struct task *t, struct task *p, void *arg)
{
	int *best = arg;
	int v = 20 - task_nice(p);
	if (v > *best)
		*best = v;
}

int task_getpriority(struct task *t, int which, int who)
{
	int best = -1; /* 20 - nice, higher is stronger: Linux never returns < 1 */
	for_each_prio_match(t, which, who, get_one_prio, &best);
	/* The caller itself is always found, even before it is listed. */
	if (best < 0 && prio_match(t, t, which, who))
		best = 20 - task_nice(t);
	return best < 0 ? -ESRCH : best;
}

/* As set_one_prio; p's siglock is held (its creds and rlimits). */
static int set_one_prio(struct task *t, struct task *p, int nice)
{
	const struct creds *c = t->creds, *pc = p->creds;
	if (!pc)
		return -ESRCH;
	if (pc->ruid != c->euid && pc->euid != c->euid && !creds_capable(c, CAP_SYS_NICE_NR))
		return -EPERM;
	if (nice < task_nice(p)) {
		/* can_nice: RLIMIT_NICE allows down to 20 - rlim, or CAP_SYS_NICE. */
		uint64_t lim = p->tg->rlimits[RLIMIT_NICE].rlim_cur;
		if ((uint64_t)(20 - nice) > lim && !creds_capable(c, CAP_SYS_NICE_NR))
			return -EACCES;
	}
	return task_set_nice(p, nice);
}

struct set_prio {
	int nice;
	int err;        /* the last task's result */
	bool self_seen; /* t itself was among them */
};

static void set_prio_one(struct task *t, struct task *p, void *arg)
{
	struct set_prio *sp = arg;
	sp->self_seen |= p == t;
	sp->err = set_one_prio(t, p, sp->nice);
}

int task_setpriority(struct task *t, int which, int who, int nice)
{
	struct set_prio sp = {.nice = nice, .err = -ESRCH};
	for_each_prio_match(t, which, who, set_prio_one, &sp);
	if (!sp.self_seen && sp.err == -ESRCH) {
		vmutex_lock(&t->tg->siglock);
		if (prio_match(t, t, which, who))
			sp.err = set_one_prio(t, t, nice);
		vmutex_unlock(&t->tg->siglock);
	}
	return sp.err;
}
