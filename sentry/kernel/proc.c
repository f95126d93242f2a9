/*
 * proc.c — snapshots of a process for /proc (proc.h).
 *
 * Everything is read under k->tasks_lock (the task set, the parent link, the
 * leader's mm/fs/fdt pointers, which exit and execve swap under it), and the
 * signal state, limits and creds under the group's siglock, in that order.
 * References taken here (mm, fs, fd table, executable, creds) are dropped by
 * proc_snapshot_release, outside every kernel lock.
 */
#include "sentry/kernel/proc.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Under tg->siglock: signal state, limits and the speaking task's creds. */
static void snapshot_signals_locked(struct thread_group *tg, struct task *l,
				    struct proc_snapshot *s)
{
	for (int i = 0; i < VISOR_NSIG; i++) {
		if (tg->actions[i].handler == (uint64_t)(uintptr_t)SIG_IGN)
			s->sig_ignored |= 1ULL << i;
		else if (tg->actions[i].handler > (uint64_t)(uintptr_t)SIG_IGN)
			s->sig_caught |= 1ULL << i;
	}
	s->sig_shared = tg->shared_pending.set;
	s->dumpable = tg->dumpable;
	memcpy(s->rlimits, tg->rlimits, sizeof(s->rlimits));
	if (!l)
		return;
	s->sig_pending = l->pending.set;
	s->sig_blocked = l->sigmask;
	s->creds = l->creds;
	if (s->creds)
		creds_get(s->creds);
	s->seccomp_mode = seccomp_mode(l);
	s->seccomp_filters = seccomp_filter_count(l); /* the chain is stable under siglock */
	s->sched_policy = l->sched_policy;
	s->sched_priority = l->sched_priority;
	s->sched_nice = l->sched_nice;
}

/* Under tasks_lock: the references and copies asked for by want. */
static int snapshot_refs_locked(struct thread_group *tg, struct task *l, unsigned want,
				struct proc_snapshot *s)
{
	if (tg->zombie)
		return 0; /* as Linux: a zombie has no memory, files or command line */
	if (l && l->mm && (want & PROC_SNAP_USAGE)) {
		mm_usage(l->mm, &s->vsize, &s->rss);
		s->locked = mm_locked_bytes(l->mm);
	}
	if (l && l->mm && (want & PROC_SNAP_MM)) {
		s->mm = l->mm;
		mm_get(s->mm);
	}
	if (l && l->fs && (want & PROC_SNAP_FS)) {
		s->fs = l->fs;
		fs_context_get(s->fs);
	}
	if (l && l->fdt && (want & PROC_SNAP_FDT)) {
		s->fdt = l->fdt;
		fdt_get(s->fdt);
	}
	if (tg->cmdline && (want & PROC_SNAP_CMDLINE)) {
		s->cmdline = malloc(tg->cmdline_len ? tg->cmdline_len : 1);
		if (!s->cmdline)
			return -ENOMEM;
		memcpy(s->cmdline, tg->cmdline, tg->cmdline_len);
		s->cmdline_len = tg->cmdline_len;
	}
	if (tg->environ && (want & PROC_SNAP_ENVIRON)) {
		s->environ = malloc(tg->environ_len ? tg->environ_len : 1);
		if (!s->environ)
			return -ENOMEM;
		memcpy(s->environ, tg->environ, tg->environ_len);
		s->environ_len = tg->environ_len;
	}
	if (tg->auxv && (want & PROC_SNAP_AUXV)) {
		s->auxv = malloc(tg->auxv_len);
		if (!s->auxv)
			return -ENOMEM;
		memcpy(s->auxv, tg->auxv, tg->auxv_len);
		s->auxv_len = tg->auxv_len;
	}
	if (tg->exe_file && (want & PROC_SNAP_EXE)) {
		s->exe_file = tg->exe_file;
		file_get(s->exe_file);
	}
	return 0;
}

int kernel_proc_snapshot(struct kernel *k, int pid, unsigned want, struct proc_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	vmutex_lock(&k->tasks_lock);
	struct task *x = kernel_find_task_locked(k, pid);
	struct thread_group *tg = x && x->tg && x->tg->tgid == pid ? x->tg : NULL;
	if (!tg) {
		vmutex_unlock(&k->tasks_lock);
		return -ESRCH;
	}
	struct task *l = tg->leader ? tg->leader : tg->threads;
	s->tgid = tg->tgid;
	s->ppid = tg->parent ? tg->parent->tgid : 0;
	s->pgid = tg->pgid;
	s->sid = tg->sid;
	if (l)
		memcpy(s->comm, l->comm, sizeof(s->comm) - 1);
	s->zombie = tg->zombie;
	s->stopped = tg->stopped;
	if (l) {
		s->tracer_pid = ptrace_tracer_pid_locked(l);
		vmutex_lock(&tg->siglock);
		s->tracing_stop = l->pt.stopped;
		vmutex_unlock(&tg->siglock);
		s->running = !atomic_load_explicit(&l->asleep, memory_order_relaxed);
	}
	s->nthreads = tg->nthreads;
	s->exit_status = tg->exit_status;
	s->utime_ns = tg->utime_ns;
	s->io_rchar = __atomic_load_n(&tg->io_rchar, __ATOMIC_RELAXED);
	s->io_wchar = __atomic_load_n(&tg->io_wchar, __ATOMIC_RELAXED);
	s->io_syscr = __atomic_load_n(&tg->io_syscr, __ATOMIC_RELAXED);
	s->io_syscw = __atomic_load_n(&tg->io_syscw, __ATOMIC_RELAXED);
	s->io_write_bytes = __atomic_load_n(&tg->io_write_bytes, __ATOMIC_RELAXED);
	s->stime_ns = tg->stime_ns;
	s->cutime_ns = tg->cutime_ns;
	s->cstime_ns = tg->cstime_ns;
	s->start_ns = tg->start_ns;
	int r = snapshot_refs_locked(tg, l, want, s);
	vmutex_lock(&tg->siglock);
	snapshot_signals_locked(tg, l, s);
	vmutex_unlock(&tg->siglock);
	vmutex_unlock(&k->tasks_lock);
	if (r < 0)
		proc_snapshot_release(s);
	return r;
}

void proc_snapshot_release(struct proc_snapshot *s)
{
	if (s->mm)
		mm_put(s->mm);
	if (s->fs)
		fs_context_put(s->fs);
	if (s->fdt)
		fdt_put(s->fdt);
	creds_put(s->creds);
	free(s->cmdline);
	free(s->environ);
	if (s->exe_file)
		file_put(s->exe_file);
	free(s->auxv);
	memset(s, 0, sizeof(*s));
}

int kernel_proc_threads(struct kernel *k, int pid, int *tids, int max)
{
	int n = 0;
	vmutex_lock(&k->tasks_lock);
	struct task *x = kernel_find_task_locked(k, pid);
	struct thread_group *tg = x && x->tg && x->tg->tgid == pid ? x->tg : NULL;
	for (struct task *th = tg ? tg->threads : NULL; th && n < max; th = th->tg_next)
		tids[n++] = th->tid;
	vmutex_unlock(&k->tasks_lock);
	return n;
}

int kernel_proc_may_read(struct task *t, int pid)
{
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	struct task *x = kernel_find_task_locked(k, pid);
	int r = -ESRCH;
	if (x && x->tg) {
		r = 0;
		if (x->tg != t->tg) {
			/* As __ptrace_may_access for PTRACE_MODE_READ: the same
			 * ids, or CAP_SYS_PTRACE; and, without it, a dumpable
			 * process. */
			vmutex_lock(&x->tg->siglock);
			const struct creds *c = t->creds, *tc = x->creds;
			bool cap = creds_capable(c, 19 /* CAP_SYS_PTRACE */);
			bool ok =
			    tc && (cap || creds_ids_match(c, tc)) && (cap || x->tg->dumpable == 1);
			vmutex_unlock(&x->tg->siglock);
			r = ok ? 0 : -EACCES;
		}
	}
	vmutex_unlock(&k->tasks_lock);
	return r;
}

int kernel_task_comm(struct kernel *k, int tid, char comm[17])
{
	vmutex_lock(&k->tasks_lock);
	struct task *x = kernel_find_task_locked(k, tid);
	if (x) {
		memcpy(comm, x->comm, 16);
		comm[16] = 0;
	}
	vmutex_unlock(&k->tasks_lock);
	return x ? 0 : -ESRCH;
}

void kernel_cpu_stats(struct kernel *k, struct kernel_cpu_stats *out)
{
	memset(out, 0, sizeof(*out));
	vmutex_lock(&k->tasks_lock);
	for (struct task *x = k->all_tasks; x; x = x->next_all) {
		struct thread_group *tg = x->tg;
		if (!tg)
			continue;
		if (tg->leader == x) {
			/* A reaped child's time moved into its parent's cutime:
			 * counted once, while the parent lives. */
			out->user_ns += __atomic_load_n(&tg->utime_ns, __ATOMIC_RELAXED) +
					__atomic_load_n(&tg->cutime_ns, __ATOMIC_RELAXED);
			out->system_ns += __atomic_load_n(&tg->stime_ns, __ATOMIC_RELAXED) +
					  __atomic_load_n(&tg->cstime_ns, __ATOMIC_RELAXED);
		}
		if (!tg->zombie && !x->exiting &&
		    !atomic_load_explicit(&x->asleep, memory_order_relaxed))
			out->running++;
	}
	vmutex_unlock(&k->tasks_lock);
}
