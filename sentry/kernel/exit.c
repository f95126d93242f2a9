/*
 * exit.c — thread and process exit, zombies, reaping (wait4/waitid), and the
 * end of the sandbox when init dies.
 *
 * A thread group becomes a zombie when its last thread exits; its leader task
 * stays on the kernel's task list (so the pid stays taken) until the parent
 * reaps it.  When init (pid 1) exits, every other process is killed and the
 * kernel is done once all task threads are gone: the Sentry then exits with
 * init's status.
 */
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/ptimer.h"
#include "sentry/kernel/signal.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"
#include "lib/log.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

/* Under tasks_lock. */
static void unlink_all(struct kernel *k, struct task *t)
{
	for (struct task **pp = &k->all_tasks; *pp; pp = &(*pp)->next_all) {
		if (*pp == t) {
			*pp = t->next_all;
			return;
		}
	}
}

/* Under tasks_lock: remove a child from its parent's list. */
static void unlink_child(struct thread_group *tg)
{
	struct thread_group *p = tg->parent;
	if (!p)
		return;
	for (struct thread_group **pp = &p->children; *pp; pp = &(*pp)->sibling) {
		if (*pp == tg) {
			*pp = tg->sibling;
			break;
		}
	}
	tg->parent = NULL;
}

/* Under tasks_lock: free a reaped group (its leader task included). */
void reap_locked(struct kernel *k, struct thread_group *tg)
{
	unlink_child(tg);
	if (tg->leader) {
		unlink_all(k, tg->leader);
		if (task_release_locked(tg->leader))
			task_free(tg->leader);
		tg->leader = NULL;
	}
	__atomic_store_n(&tg->reaped, true, __ATOMIC_RELEASE);
	pidfd_notify_exit(tg);
	if (tg->refs == 0)
		tg_free(tg);
}

static void kernel_task_gone(struct kernel *k)
{
	vmutex_lock(&k->done_lock);
	if (k->ntasks == 0) {
		k->done = true;
		pthread_cond_broadcast(&k->done_cond);
	}
	vmutex_unlock(&k->done_lock);
}

/* Under tasks_lock: c's parent tg is gone; as Linux's reparent_leader,
 * each live thread of c that asked for PR_SET_PDEATHSIG has its signal
 * sent to c.  (Linux sends it when the parent thread exits; parents are
 * processes here, so it comes when the parent process does.) */
static void notify_parent_death(struct thread_group *tg, struct thread_group *c)
{
	if (c->zombie)
		return;
	for (struct task *x = c->threads; x; x = x->tg_next) {
		int sig = __atomic_load_n(&x->pdeathsig, __ATOMIC_RELAXED);
		if (!sig || x->exiting)
			continue;
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = sig;
		info.si_code = SI_USER;
		info.si_pid = tg->tgid;
		tg_signal_send(c, &info);
	}
}

/* Under tasks_lock: the group's last thread is gone.  Returns true when
 * the caller must reap it at once (the parent ignores SIGCHLD). */
static bool tg_became_zombie(struct kernel *k, struct thread_group *tg, int status)
{
	tg->exit_status = status;
	__atomic_store_n(&tg->zombie, true, __ATOMIC_RELEASE);
	pidfd_notify_exit(tg);
	/* kernel_wait_spawned may be waiting for this group (init included). */
	pthread_cond_broadcast(&k->spawn_cond);
	/* Orphans go to the nearest live ancestor that is a child subreaper
	 * (PR_SET_CHILD_SUBREAPER), else to init (Linux's find_new_reaper). */
	struct thread_group *init = k->init;
	struct thread_group *reaper = init;
	for (struct thread_group *a = tg->parent; a && a != init; a = a->parent)
		if (a->child_subreaper && !a->zombie && !a->group_exiting) {
			reaper = a;
			break;
		}
	struct thread_group **tail = NULL;
	if (reaper && reaper != tg && !reaper->zombie)
		for (tail = &reaper->children; *tail; tail = &(*tail)->sibling)
			;
	while (tg->children) {
		struct thread_group *c = tg->children;
		tg->children = c->sibling;
		notify_parent_death(tg, c);
		if (tail) {
			/* As Linux: after the reaper's own children, oldest first. */
			c->parent = reaper;
			c->sibling = NULL;
			*tail = c;
			tail = &c->sibling;
		} else {
			c->parent = NULL;
			c->sibling = NULL;
			if (c->zombie)
				reap_locked(k, c);
		}
	}
	if (reaper && reaper != tg && !reaper->zombie)
		waitq_notify(&reaper->child_wq, ~0u);

	if (tg == init) {
		k->init_status = status;
		/* As Linux for a pid namespace's init: everyone else dies. */
		for (struct task *x = k->all_tasks; x; x = x->next_all)
			if (x->tg != tg && !x->tg->zombie)
				signal_group_exit(x->tg, SIGKILL);
		return false;
	}

	struct thread_group *parent = tg->parent;
	if (!parent)
		return false; /* spawned from outside (exec): the spawner reaps it */
	vmutex_lock(&parent->siglock);
	const struct k_sigaction *a = &parent->actions[SIGCHLD - 1];
	bool autoreap = a->handler == (uint64_t)(uintptr_t)SIG_IGN || (a->flags & SA_NOCLDWAIT);
	vmutex_unlock(&parent->siglock);
	if (tg->exit_signal) {
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = tg->exit_signal;
		info.si_pid = tg->tgid;
		info.si_uid = 0;
		if (WIFEXITED(status)) {
			info.si_code = CLD_EXITED;
			info.si_status = WEXITSTATUS(status);
		} else {
			info.si_code = CLD_KILLED;
			info.si_status = WTERMSIG(status);
		}
		tg_signal_send(parent, &info);
	}
	waitq_notify(&parent->child_wq, ~0u);
	return autoreap;
}

_Noreturn void task_exit(struct task *t, int status)
{
	struct kernel *k = t->k;
	struct thread_group *tg = t->tg;
	if (t->pt.tracer && !t->exiting) {
		vmutex_lock(&tg->siglock);
		int st = tg->group_exiting ? tg->group_exit_status : status;
		vmutex_unlock(&tg->siglock);
		ptrace_exit_event(t, st);
	}
	t->exiting = true;
	atomic_store(&t->interrupted, 2);

	/* As Linux's mm_release: the robust list first, then the tid wake. */
	futex_exit_robust_list(t);
	if (t->clear_child_tid) {
		int32_t zero = 0;
		if (task_copy_out(t, t->clear_child_tid, &zero, sizeof(zero)) == 0)
			futex_wake_addr(t, t->clear_child_tid, 1);
	}
	task_vfork_complete(t);
	if (t->ctx) {
		k->plat->ops->context_release(t->ctx);
		t->ctx = NULL;
	}

	/* As Linux's exit_sem: SEM_UNDO adjustments are applied before the
	 * parent can see the exit. */
	ipc_undo_put(t->sysvsem);
	t->sysvsem = NULL;
	ipc_ns_put(t->ipc_ns);
	t->ipc_ns = NULL;

	/* Detach what others may look at (procfs reads them under the task
	 * lock), then release outside the lock: these puts can block. */
	vmutex_lock(&k->tasks_lock);
	struct mm *mm = t->mm;
	struct fd_table *fdt = t->fdt;
	struct fs_context *fs = t->fs;
	t->mm = NULL;
	t->fdt = NULL;
	t->fs = NULL;
	vmutex_unlock(&k->tasks_lock);
	if (fdt)
		fdt_put(fdt);
	if (fs)
		fs_context_put(fs);
	if (mm)
		mm_put(mm);

	/* Publish the exit.  Once the group is a zombie its parent may reap
	 * it (freeing the leader task, perhaps t) as soon as we unlock: from
	 * then on only k and locals are touched. */
	vmutex_lock(&k->tasks_lock);
	vmutex_lock(&tg->siglock);
	if (t->tg_prev)
		t->tg_prev->tg_next = t->tg_next;
	else
		tg->threads = t->tg_next;
	if (t->tg_next)
		t->tg_next->tg_prev = t->tg_prev;
	t->tg_next = t->tg_prev = NULL;
	sigpending_flush_locked(tg, &t->pending);
	tg->nthreads--;
	bool last = tg->nthreads == 0;
	/* As Linux, whose exe_file goes with the mm: a zombie has no
	 * executable (its /proc/PID/exe gives ENOENT). */
	struct file *exe = last ? tg->exe_file : NULL;
	if (last)
		tg->exe_file = NULL;
	if (exe)
		exec_exe_file_allow(exe); /* before the zombie is seen: no ETXTBSY after wait */
	/* The timers go with the last thread; they hold references to tg, so
	 * they are freed after it may be reaped. */
	struct ptimer *timers = last ? ptimer_detach_all_locked(tg, true) : NULL;
	int gstatus = tg->group_exiting ? tg->group_exit_status : status;
	if (tg->nthreads == 1 && tg->group_exiting && tg->threads)
		task_wake(tg->threads); /* an execve waits in de_thread */
	vmutex_unlock(&tg->siglock);
	k->ntasks--;
	ptrace_task_exit_locked(t, gstatus, last);
	if (last)
		ptrace_tracer_exit_locked(k, tg);
	bool is_leader = tg->leader == t;
	bool free_it = false;
	if (!is_leader) {
		unlink_all(k, t);
		free_it = task_release_locked(t);
	}
	if (last && tg_became_zombie(k, tg, gstatus))
		reap_locked(k, tg);
	vmutex_unlock(&k->tasks_lock);

	if (exe)
		file_put(exe);
	ptimer_free_list(timers);
	if (free_it)
		task_free(t);
	kernel_task_gone(k);
	pthread_exit(NULL);
}

int task_de_thread(struct task *t)
{
	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	if (tg->group_exiting) {
		vmutex_unlock(&tg->siglock);
		return -EINTR;
	}
	if (tg->nthreads == 1) {
		vmutex_unlock(&tg->siglock);
		return 0;
	}
	/* Kill the other threads; we are excluded by being the one left. */
	for (struct task *x = tg->threads; x; x = x->tg_next) {
		if (x == t)
			continue;
		x->exiting = true;
		atomic_store(&x->interrupted, 2);
		if (x->ctx)
			t->k->plat->ops->context_interrupt(x->ctx);
		task_wake(x);
	}
	vmutex_unlock(&tg->siglock);
	for (;;) {
		vmutex_lock(&tg->siglock);
		int n = tg->nthreads;
		vmutex_unlock(&tg->siglock);
		if (n == 1)
			break;
		/* Poll the count every 10 ms (exiting threads do not notify);
		 * a signal ends the wait only when it kills the whole group. */
		struct timespec dl;
		deadline_in_ms(&dl, 10);
		int r = task_block(t, &dl);
		if (r == -EINTR) {
			vmutex_lock(&tg->siglock);
			bool dying = tg->group_exiting;
			vmutex_unlock(&tg->siglock);
			if (dying)
				return -EINTR;
		}
	}
	/* A non-leader that execs takes over the group's pid, as Linux. */
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	if (tg->leader != t) {
		struct task *old = tg->leader;
		unlink_all(k, old);
		if (task_release_locked(old))
			task_free(old);
		t->tid = tg->tgid;
		tg->leader = t;
	}
	vmutex_unlock(&k->tasks_lock);
	return 0;
}

/* Does child c match wait's (idtype, id)?  As Linux's eligible_child: a
 * child whose exit signal is not SIGCHLD (a "clone" child) is seen only with
 * __WCLONE, the others only without it, all of them with __WALL. */
static bool wait_eligible(struct thread_group *c, int idtype, int id, int options)
{
	switch (idtype) {
	case P_ALL:
		break;
	case P_PID:
		if (c->tgid != id)
			return false;
		break;
	case P_PGID:
		if (c->pgid != id)
			return false;
		break;
	default:
		return false;
	}
	if (options & __WALL)
		return true;
	return (c->exit_signal != SIGCHLD) == !!(options & __WCLONE);
}

enum wait_what { WAIT_NONE, WAIT_EXITED, WAIT_STOPPED, WAIT_CONTINUED };

/* Under tasks_lock: what wait may report of child c now, as Linux's
 * wait_consider_task.  A zombie is reported only to WEXITED, and keeps an
 * otherwise empty wait from sleeping (ECHILD); a live child makes the wait
 * sleep (*live). */
static enum wait_what wait_consider(struct thread_group *self, struct thread_group *c,
				    int options, bool *live)
{
	if (c->zombie)
		return (options & WEXITED) ? WAIT_EXITED : WAIT_NONE;
	*live = true;
	/* A child this process traces reports its stops through ptrace. */
	if (ptrace_traced_by_locked(c, self))
		return WAIT_NONE;
	vmutex_lock(&c->siglock);
	enum wait_what w = WAIT_NONE;
	if ((options & WSTOPPED) && c->stopped && c->stop_waitable)
		w = WAIT_STOPPED;
	else if ((options & WCONTINUED) && c->cont_waitable)
		w = WAIT_CONTINUED;
	vmutex_unlock(&c->siglock);
	return w;
}

/* Under tasks_lock: fill the caller's results for child c and, unless
 * WNOWAIT, consume what was reported (reaping a zombie). */
static void wait_collect(struct kernel *k, struct thread_group *self, struct thread_group *c,
			 enum wait_what what, int options, int *status, siginfo_t *info,
			 struct rusage *ru)
{
	int st;
	vmutex_lock(&c->siglock);
	if (what == WAIT_EXITED)
		st = c->exit_status;
	else if (what == WAIT_STOPPED)
		st = 0x7f | (c->stop_sig << 8);
	else
		st = 0xffff;
	struct task *l = c->leader ? c->leader : c->threads;
	uint32_t uid = l && l->creds ? l->creds->ruid : 0;
	if (!(options & WNOWAIT)) {
		if (what == WAIT_STOPPED)
			c->stop_waitable = false;
		else if (what == WAIT_CONTINUED)
			c->cont_waitable = false;
	}
	vmutex_unlock(&c->siglock);
	if (status)
		*status = st;
	if (info) {
		memset(info, 0, sizeof(*info));
		info->si_signo = SIGCHLD;
		info->si_pid = c->tgid;
		info->si_uid = uid;
		if (what == WAIT_EXITED && WIFEXITED(st)) {
			info->si_code = CLD_EXITED;
			info->si_status = WEXITSTATUS(st);
		} else if (what == WAIT_EXITED) {
			info->si_code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
			info->si_status = WTERMSIG(st);
		} else if (what == WAIT_STOPPED) {
			info->si_code = CLD_STOPPED;
			info->si_status = WSTOPSIG(st);
		} else {
			info->si_code = CLD_CONTINUED;
			info->si_status = SIGCONT;
		}
	}
	if (ru) {
		memset(ru, 0, sizeof(*ru));
		ru->ru_utime.tv_sec = (time_t)(c->utime_ns / 1000000000ULL);
		ru->ru_utime.tv_usec = (suseconds_t)(c->utime_ns % 1000000000ULL / 1000);
		ru->ru_stime.tv_sec = (time_t)(c->stime_ns / 1000000000ULL);
		ru->ru_stime.tv_usec = (suseconds_t)(c->stime_ns % 1000000000ULL / 1000);
	}
	if (what == WAIT_EXITED && !(options & WNOWAIT)) {
		self->cutime_ns += c->utime_ns + c->cutime_ns;
		self->cstime_ns += c->stime_ns + c->cstime_ns;
		/* As wait_task_zombie: the child's I/O counts (its own and
		 * its reaped children's) join the parent's /proc/PID/io. */
		uint64_t *from[] = {&c->io_rchar, &c->io_wchar, &c->io_syscr, &c->io_syscw,
				    &c->io_write_bytes};
		uint64_t *to[] = {&self->io_rchar, &self->io_wchar, &self->io_syscr,
				  &self->io_syscw, &self->io_write_bytes};
		for (int i = 0; i < 5; i++)
			__atomic_add_fetch(to[i], __atomic_load_n(from[i], __ATOMIC_RELAXED),
					   __ATOMIC_RELAXED);
		reap_locked(k, c);
	}
}

int64_t task_wait(struct task *t, int idtype, int id, int options, int *status, siginfo_t *info,
		  struct rusage *ru)
{
	struct kernel *k = t->k;
	struct thread_group *self = t->tg;
	/* As Linux: P_PGID 0 is the caller's group when the wait starts. */
	if (idtype == P_PGID && id == 0) {
		vmutex_lock(&k->tasks_lock);
		id = self->pgid;
		vmutex_unlock(&k->tasks_lock);
	}
	struct waiter w;
	task_waiter_init(&w, t, ~0u);
	waitq_add(&self->child_wq, &w);
	int64_t ret;
	for (;;) {
		bool live = false;
		vmutex_lock(&k->tasks_lock);
		/* Children are listed oldest first: Linux reports them so. */
		for (struct thread_group *c = self->children; c; c = c->sibling) {
			if (!wait_eligible(c, idtype, id, options))
				continue;
			enum wait_what what = wait_consider(self, c, options, &live);
			if (what != WAIT_NONE) {
				ret = c->tgid;
				wait_collect(k, self, c, what, options, status, info, ru);
				vmutex_unlock(&k->tasks_lock);
				goto out;
			}
		}
		int tpid = ptrace_wait_locked(k, self, idtype, id, options, status, info, &live);
		if (tpid > 0) {
			vmutex_unlock(&k->tasks_lock);
			if (ru)
				memset(ru, 0, sizeof(*ru));
			ret = tpid;
			goto out;
		}
		vmutex_unlock(&k->tasks_lock);
		if (!live) {
			ret = -ECHILD;
			break;
		}
		if (options & WNOHANG) {
			ret = 0;
			break;
		}
		if (task_block(t, NULL) == -EINTR) {
			ret = -ERESTARTSYS;
			break;
		}
	}
out:
	waitq_remove(&self->child_wq, &w);
	return ret;
}
