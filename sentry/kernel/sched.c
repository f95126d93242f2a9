/*
 * sched.c — scheduling attributes (policy, real-time priority, nice,
 * reset-on-fork) and I/O priorities of tasks, with Linux's rules.
 *
 * Recorded and reported only: every task runs on a Sentry host thread at
 * the Sentry's priority (the jail gives the Sentry no CAP_SYS_NICE on the
 * host, and a sandbox must not be able to starve its host).  What a program
 * can observe (the values it set, their ranges, the errnos, what a child
 * inherits) is Linux's.
 *
 * Locking: a task's attributes are written under its group's siglock and
 * read under it (or by the task itself).  Nothing else is taken under it.
 */
#include "sentry/kernel/sched.h"
#include "sentry/kernel/kernel.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>

#define MAX_RT_PRIO 100
#define IOPRIO_CLASS(p) (((p) >> 13) & 0x7)
#define IOPRIO_LEVEL(p) ((p)&0x7)
#define IOPRIO_VALUE(c, d) (((c) << 13) | (d))
enum { IOPRIO_CLASS_NONE, IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE };
enum { IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER };
/* What a task without an I/O priority of its own counts as (BE, level 4). */
#define IOPRIO_DEFAULT IOPRIO_VALUE(IOPRIO_CLASS_BE, 4)

static bool rt_policy(int p)
{
	return p == SCHED_FIFO || p == SCHED_RR;
}

static bool fair_policy(int p)
{
	return p == SCHED_OTHER || p == SCHED_BATCH;
}

static bool valid_policy(int p)
{
	return fair_policy(p) || rt_policy(p) || p == SCHED_IDLE;
}

int sched_nice_locked(const struct task *p)
{
	return p->sched_nice;
}

void sched_set_nice_locked(struct task *p, int nice)
{
	p->sched_nice = nice;
}

/* Thread tid of t's kernel (0: t), or NULL; put_target drops it. */
static struct task *get_target(struct task *t, int tid)
{
	if (tid == 0 || tid == t->tid)
		return t;
	struct task *p = kernel_get_task(t->k, tid);
	if (p && p->exiting) {
		task_put(p);
		return NULL;
	}
	return p;
}

static void put_target(struct task *t, struct task *p)
{
	if (p != t)
		task_put(p);
}

int sched_get(struct task *t, int tid, struct sched_attrs *out)
{
	struct task *p = get_target(t, tid);
	if (!p)
		return -ESRCH;
	vmutex_lock(&p->tg->siglock);
	out->policy = p->sched_policy;
	out->priority = p->sched_priority;
	out->nice = p->sched_nice;
	out->reset_on_fork = p->sched_reset_on_fork;
	vmutex_unlock(&p->tg->siglock);
	put_target(t, p);
	return 0;
}

/* As Linux's is_nice_reduction: RLIMIT_NICE allows nice down to 20 - rlim. */
static bool nice_allowed(const struct task *p, int nice)
{
	uint64_t lim = p->tg->rlimits[RLIMIT_NICE].rlim_cur;
	return (uint64_t)(20 - nice) <= lim;
}

/* Under p's siglock: the user checks of __sched_setscheduler. */
static int may_set(const struct task *t, const struct task *p, int policy,
		   const struct sched_attrs *w)
{
	const struct creds *c = t->creds, *pc = p->creds;
	if (creds_capable(c, CAP_SYS_NICE))
		return 0;
	if (fair_policy(policy) && w->nice < p->sched_nice && !nice_allowed(p, w->nice))
		return -EPERM;
	if (rt_policy(policy)) {
		uint64_t rlim = p->tg->rlimits[RLIMIT_RTPRIO].rlim_cur;
		if (policy != p->sched_policy && !rlim)
			return -EPERM;
		if (w->priority > p->sched_priority && (uint64_t)w->priority > rlim)
			return -EPERM;
	}
	/* SCHED_IDLE counts as nice 20: leaving it needs what lowering the
	 * nice value would. */
	if (p->sched_policy == SCHED_IDLE && policy != SCHED_IDLE &&
	    !nice_allowed(p, p->sched_nice))
		return -EPERM;
	if (!pc || (c->euid != pc->euid && c->euid != pc->ruid))
		return -EPERM;
	if (p->sched_reset_on_fork && !w->reset_on_fork)
		return -EPERM;
	return 0;
}

int sched_set(struct task *t, int tid, const struct sched_attrs *want)
{
	struct sched_attrs w = *want;
	if (w.policy != SCHED_KEEP_POLICY && !valid_policy(w.policy))
		return -EINVAL; /* SCHED_DEADLINE among them: not offered */
	if (w.priority < 0 || w.priority > MAX_RT_PRIO - 1)
		return -EINVAL;
	struct task *p = get_target(t, tid);
	if (!p)
		return -ESRCH;
	vmutex_lock(&p->tg->siglock);
	int policy = w.policy;
	if (policy == SCHED_KEEP_POLICY) {
		policy = p->sched_policy;
		w.reset_on_fork = p->sched_reset_on_fork;
	}
	int r = 0;
	if (rt_policy(policy) != (w.priority != 0))
		r = -EINVAL;
	else
		r = may_set(t, p, policy, &w);
	if (r == 0) {
		p->sched_policy = policy;
		p->sched_priority = w.priority;
		if (fair_policy(policy))
			p->sched_nice = w.nice;
		p->sched_reset_on_fork = w.reset_on_fork;
	}
	vmutex_unlock(&p->tg->siglock);
	put_target(t, p);
	return r;
}

static void affinity_of(const struct task *p, const uint64_t *host, unsigned words,
			uint64_t *out)
{
	for (unsigned i = 0; i < words; i++)
		out[i] = p->affinity_set ? p->affinity[i] & host[i] : host[i];
}

int sched_affinity_get(struct task *t, int tid, const uint64_t *host, unsigned words,
		       uint64_t *out)
{
	struct task *p = get_target(t, tid);
	if (!p)
		return -ESRCH;
	vmutex_lock(&p->tg->siglock);
	affinity_of(p, host, words, out);
	vmutex_unlock(&p->tg->siglock);
	put_target(t, p);
	return 0;
}

int sched_affinity_set(struct task *t, int tid, const uint64_t *host, unsigned words,
		       const uint64_t *want)
{
	if (words > SCHED_AFFINITY_WORDS)
		return -EINVAL;
	bool any = false;
	for (unsigned i = 0; i < words; i++)
		any |= (want[i] & host[i]) != 0;
	struct task *p = get_target(t, tid);
	if (!p)
		return -ESRCH;
	vmutex_lock(&p->tg->siglock);
	const struct creds *c = t->creds, *pc = p->creds;
	int r = 0;
	/* As Linux's sched_setaffinity: check_same_owner or CAP_SYS_NICE,
	 * then an empty intersection with the allowed CPUs is EINVAL. */
	if (!creds_capable(c, CAP_SYS_NICE) && (!pc || (c->euid != pc->euid && c->euid != pc->ruid)))
		r = -EPERM;
	else if (!any)
		r = -EINVAL;
	if (r == 0) {
		for (unsigned i = 0; i < SCHED_AFFINITY_WORDS; i++)
			p->affinity[i] = i < words ? want[i] & host[i] : 0;
		p->affinity_set = true;
	}
	vmutex_unlock(&p->tg->siglock);
	put_target(t, p);
	return r;
}

void sched_fork(struct task *child, const struct task *parent)
{
	child->affinity_set = parent->affinity_set;
	memcpy(child->affinity, parent->affinity, sizeof(child->affinity));
	child->sched_policy = parent->sched_policy;
	child->sched_priority = parent->sched_priority;
	child->sched_nice = parent->sched_nice;
	child->ioprio = parent->ioprio;
	child->mempolicy_mode = parent->mempolicy_mode;
	child->mempolicy_nodes = parent->mempolicy_nodes;
	if (parent->sched_reset_on_fork) {
		/* As Linux's sched_fork: real-time becomes SCHED_OTHER at nice
		 * 0, a negative nice goes back to 0; the flag is not inherited. */
		if (rt_policy(child->sched_policy)) {
			child->sched_policy = SCHED_OTHER;
			child->sched_priority = 0;
			child->sched_nice = 0;
		} else if (child->sched_nice < 0) {
			child->sched_nice = 0;
		}
	}
	child->sched_reset_on_fork = false;
}

/* ---- I/O priorities ---- */

static int ioprio_best(int a, int b)
{
	if (IOPRIO_CLASS(a) == IOPRIO_CLASS_NONE)
		a = IOPRIO_DEFAULT;
	if (IOPRIO_CLASS(b) == IOPRIO_CLASS_NONE)
		b = IOPRIO_DEFAULT;
	return a < b ? a : b;
}

/* Does live task p match which/who (who 0 meaning t's own)? Under p's
 * siglock (its creds). */
static bool ioprio_match(const struct task *t, const struct task *p, int which, int who)
{
	switch (which) {
	case IOPRIO_WHO_PGRP:
		return p->tg->pgid == (who ? who : t->tg->pgid);
	case IOPRIO_WHO_USER:
		return p->creds && p->creds->ruid == (who ? (uint32_t)who : t->creds->ruid);
	}
	return false;
}

struct ioprio_walk {
	int which, who, ioprio;
	bool set;
	int result; /* get: -ESRCH or the best; set: -ESRCH, 0 or an error */
};

/* As Linux's set_task_ioprio: the target's real uid is the caller's real
 * or effective uid, or the caller has CAP_SYS_NICE. */
static int ioprio_set_one_locked(const struct task *t, struct task *p, int ioprio)
{
	const struct creds *c = t->creds, *pc = p->creds;
	if (!pc || (pc->ruid != c->euid && pc->ruid != c->ruid && !creds_capable(c, CAP_SYS_NICE)))
		return -EPERM;
	p->ioprio = ioprio;
	return 0;
}

static void ioprio_walk(struct task *t, struct ioprio_walk *w)
{
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	for (struct task *p = k->all_tasks; p; p = p->next_all) {
		if (p->exiting || !p->tg)
			continue;
		vmutex_lock(&p->tg->siglock);
		if (ioprio_match(t, p, w->which, w->who)) {
			if (w->set) {
				/* As Linux: the first refusal ends the walk. */
				if (w->result == 0 || w->result == -ESRCH)
					w->result = ioprio_set_one_locked(t, p, w->ioprio);
			} else {
				w->result = w->result == -ESRCH ? p->ioprio
								: ioprio_best(w->result, p->ioprio);
			}
		}
		vmutex_unlock(&p->tg->siglock);
	}
	vmutex_unlock(&k->tasks_lock);
}

int task_ioprio_get(struct task *t, int which, int who)
{
	if (which == IOPRIO_WHO_PROCESS) {
		struct task *p = get_target(t, who);
		if (!p)
			return -ESRCH;
		vmutex_lock(&p->tg->siglock);
		int v = p->ioprio;
		vmutex_unlock(&p->tg->siglock);
		put_target(t, p);
		return v;
	}
	if (which != IOPRIO_WHO_PGRP && which != IOPRIO_WHO_USER)
		return -EINVAL;
	struct ioprio_walk w = {.which = which, .who = who, .result = -ESRCH};
	ioprio_walk(t, &w);
	return w.result;
}

/* As Linux's ioprio_check_cap. */
static int ioprio_check(const struct task *t, int ioprio)
{
	switch (IOPRIO_CLASS(ioprio)) {
	case IOPRIO_CLASS_RT:
		if (!creds_capable(t->creds, CAP_SYS_NICE) && !creds_capable(t->creds, CAP_SYS_ADMIN))
			return -EPERM;
		return 0;
	case IOPRIO_CLASS_BE:
	case IOPRIO_CLASS_IDLE:
		return 0;
	case IOPRIO_CLASS_NONE:
		return IOPRIO_LEVEL(ioprio) ? -EINVAL : 0;
	}
	return -EINVAL;
}

int task_ioprio_set(struct task *t, int which, int who, int ioprio)
{
	if (ioprio < 0 || ioprio > 0xffff)
		return -EINVAL;
	int r = ioprio_check(t, ioprio);
	if (r)
		return r;
	if (which == IOPRIO_WHO_PROCESS) {
		struct task *p = get_target(t, who);
		if (!p)
			return -ESRCH;
		vmutex_lock(&p->tg->siglock);
		r = ioprio_set_one_locked(t, p, ioprio);
		vmutex_unlock(&p->tg->siglock);
		put_target(t, p);
		return r;
	}
	if (which != IOPRIO_WHO_PGRP && which != IOPRIO_WHO_USER)
		return -EINVAL;
	struct ioprio_walk w = {.which = which, .who = who, .ioprio = ioprio, .set = true,
				.result = -ESRCH};
	ioprio_walk(t, &w);
	return w.result;
}
