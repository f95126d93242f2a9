/*
 * kernel.c — the sandbox kernel object: pids, lookups with references, walks
 * of the task set, clocks.
 */
#include "lib/lockdep.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/tty.h"
#include "sentry/ipc/ipc.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>

#define PID_MAX 4194304

/* The sandbox's boot: KERNEL_UPTIME_AT_START before now on the host's
 * CLOCK_MONOTONIC (never before the host's own boot), so that its first
 * process sees an uptime of seconds, as init on a machine that has just
 * booted, never 0: ping (iputils 20221126) takes a CLOCK_MONOTONIC_RAW
 * reading whose tv_sec is 0 for "not started yet" and, in a sandbox less
 * than a second old, sent its probes back to back without waiting the
 * interval (ping -c 3 took 22 ms instead of 2 s). */
#define KERNEL_UPTIME_AT_START_S 10

static void kernel_set_boot_time(struct kernel *k)
{
	clock_gettime(CLOCK_MONOTONIC, &k->boot_mono);
	k->boot_mono.tv_sec -= k->boot_mono.tv_sec > KERNEL_UPTIME_AT_START_S
				       ? KERNEL_UPTIME_AT_START_S
				       : k->boot_mono.tv_sec;
}

struct kernel *kernel_new(struct platform *plat, struct memfile *mf)
{
	struct kernel *k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->plat = plat;
	k->mf = mf;
	vmutex_init(&k->tasks_lock, LOCK_CLASS(TASKS));
	vmutex_init(&k->done_lock, LOCK_CLASS(KERNEL_DONE));
	pthread_cond_init(&k->done_cond, NULL);
	pthread_cond_init(&k->spawn_cond, NULL);
	kernel_set_boot_time(k);
	for (int i = 0; i < RLIM_NLIMITS; i++)
		if (getrlimit(i, &k->default_rlimits[i]) < 0)
			k->default_rlimits[i].rlim_cur = k->default_rlimits[i].rlim_max =
				RLIM_INFINITY;
	k->tty_kops = &kernel_tty_ops;
	strcpy(k->hostname, "visor");
	strcpy(k->domainname, "(none)");
	return k;
}

void kernel_free(struct kernel *k)
{
	if (!k)
		return;
	if (k->console)
		file_put(k->console);
	ipc_ns_put(k->ipc);
	vmutex_destroy(&k->tasks_lock);
	vmutex_destroy(&k->done_lock);
	pthread_cond_destroy(&k->done_cond);
	free(k);
}

uint64_t kernel_uptime_ns(struct kernel *k)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - k->boot_mono.tv_sec) * 1000000000ULL +
	       (uint64_t)(now.tv_nsec - k->boot_mono.tv_nsec);
}

struct task *kernel_find_task_locked(struct kernel *k, int tid)
{
	for (struct task *t = k->all_tasks; t; t = t->next_all)
		if (t->tid == tid)
			return t;
	return NULL;
}

/* Zombie leaders stay on all_tasks until reaped, so their pids stay taken. */
/* Under tasks_lock: is pid used by a task or a (zombie) thread group? */
static bool pid_in_use(struct kernel *k, int pid)
{
	for (struct task *t = k->all_tasks; t; t = t->next_all)
		if (t->tid == pid || (t->tg && (t->tg->tgid == pid || t->tg->pgid == pid ||
						t->tg->sid == pid)))
			return true;
	return false;
}

int kernel_alloc_pid_locked(struct kernel *k)
{
	for (int tries = 0; tries < PID_MAX; tries++) {
		int pid = ++k->last_pid;
		if (pid >= PID_MAX) {
			k->last_pid = 1; /* as Linux: wrap above the low reserved range */
			continue;
		}
		if (!pid_in_use(k, pid))
			return pid;
	}
	return -EAGAIN;
}

struct thread_group *kernel_get_tg(struct kernel *k, int pid)
{
	vmutex_lock(&k->tasks_lock);
	struct task *t = kernel_find_task_locked(k, pid);
	struct thread_group *tg = NULL;
	if (t && t->tg && t->tg->tgid == pid) {
		tg = t->tg;
		tg->refs++;
	}
	vmutex_unlock(&k->tasks_lock);
	return tg;
}

/* Under tasks_lock: drop a lookup's reference; true when tg must be freed. */
static bool tg_unref_locked(struct thread_group *tg)
{
	return --tg->refs == 0 && tg->reaped;
}

void tg_put(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	vmutex_lock(&k->tasks_lock);
	bool free_it = tg_unref_locked(tg);
	vmutex_unlock(&k->tasks_lock);
	if (free_it)
		tg_free(tg);
}

struct task *kernel_get_task(struct kernel *k, int tid)
{
	vmutex_lock(&k->tasks_lock);
	struct task *t = kernel_find_task_locked(k, tid);
	if (t) {
		t->refs++;
		t->tg->refs++;
	}
	vmutex_unlock(&k->tasks_lock);
	return t;
}

void task_put(struct task *t)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	vmutex_lock(&k->tasks_lock);
	bool free_task = --t->refs == 0 && t->released;
	bool free_tg = tg_unref_locked(tg);
	vmutex_unlock(&k->tasks_lock);
	if (free_task)
		task_free(t);
	if (free_tg)
		tg_free(tg);
}

bool kernel_task_exists(struct kernel *k, int tid)
{
	vmutex_lock(&k->tasks_lock);
	bool found = kernel_find_task_locked(k, tid) != NULL;
	vmutex_unlock(&k->tasks_lock);
	return found;
}

int kernel_for_each_tg(struct kernel *k, int (*fn)(struct thread_group *tg, void *arg), void *arg)
{
	int r = 0;
	vmutex_lock(&k->tasks_lock);
	/* A group is listed once, through its leader (zombie leaders stay on
	 * all_tasks until reaped). */
	for (struct task *x = k->all_tasks; x && !r; x = x->next_all)
		if (x->tg && x->tg->leader == x)
			r = fn(x->tg, arg);
	vmutex_unlock(&k->tasks_lock);
	return r;
}

int tg_ppid(struct thread_group *tg)
{
	struct kernel *k = tg->k;
	vmutex_lock(&k->tasks_lock);
	int ppid = tg->parent ? tg->parent->tgid : 0;
	vmutex_unlock(&k->tasks_lock);
	return ppid;
}

bool kernel_pgrp_orphaned_locked(struct kernel *k, int pgid, int sid)
{
	for (struct task *x = k->all_tasks; x; x = x->next_all) {
		struct thread_group *tg = x->tg;
		if (!tg || tg->leader != x || tg->zombie || tg->pgid != pgid)
			continue;
		struct thread_group *pa = tg->parent;
		if (pa && !pa->zombie && pa->pgid != pgid && pa->sid == sid)
			return false;
	}
	return true;
}
