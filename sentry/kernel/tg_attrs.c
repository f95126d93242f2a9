/*
 * tg_attrs.c — per-process attributes for prctl(2): dumpable under the
 * group's siglock; child subreaper under the task-set lock, where exit.c
 * reads it while it reparents orphans; membarrier registrations under the
 * siglock.
 */
#include "sentry/kernel/tg_attrs.h"
#include "sentry/kernel/kernel.h"

int tg_get_dumpable(struct task *t)
{
	vmutex_lock(&t->tg->siglock);
	int v = t->tg->dumpable;
	vmutex_unlock(&t->tg->siglock);
	return v;
}

void tg_set_dumpable(struct task *t, int v)
{
	vmutex_lock(&t->tg->siglock);
	t->tg->dumpable = v;
	vmutex_unlock(&t->tg->siglock);
}

int tg_get_child_subreaper(struct task *t)
{
	vmutex_lock(&t->k->tasks_lock);
	int v = t->tg->child_subreaper;
	vmutex_unlock(&t->k->tasks_lock);
	return v;
}

unsigned tg_membarrier_state(struct task *t, unsigned set)
{
	vmutex_lock(&t->tg->siglock);
	t->tg->membarrier_state |= set;
	unsigned v = t->tg->membarrier_state;
	vmutex_unlock(&t->tg->siglock);
	return v;
}

void tg_set_child_subreaper(struct task *t, int v)
{
	vmutex_lock(&t->k->tasks_lock);
	t->tg->child_subreaper = v != 0;
	vmutex_unlock(&t->k->tasks_lock);
}
