/*
 * task.c — task creation (the first task, fork/vfork/clone) and the task loop.
 *
 * Each task runs on its own host thread (task_main).  The loop delivers
 * signals, switches into app code through the platform, and dispatches the
 * trap: a syscall through the table, a fault to mm, a synchronous host signal
 * to the app as a guest signal.  Nothing here holds a lock across the switch.
 */
#include "lib/lockdep.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/oom.h"
#include "sentry/mm/memfile.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/strace.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/ns.h"
#include "sentry/mm/mm.h"
#include "sentry/kernel/syscall_table.h"
#include "sentry/kernel/syscall_patch.h"
#include "sentry/vfs/vfs.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

__thread struct task *current;

int task_copy_in(struct task *t, void *dst, uint64_t src, size_t len)
{
	return mm_copy_in(t->mm, dst, src, len);
}

int task_copy_out(struct task *t, uint64_t dst, const void *src, size_t len)
{
	return mm_copy_out(t->mm, dst, src, len);
}

ssize_t task_copy_string_in(struct task *t, char *dst, uint64_t src, size_t max)
{
	return mm_copy_string_in(t->mm, dst, src, max);
}

struct task *task_alloc(struct kernel *k)
{
	struct task *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->k = k;
	t->waker_cpu = -1;
	t->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->wake_efd < 0) {
		free(t);
		return NULL;
	}
	t->altstack.ss_flags = SS_DISABLE;
	return t;
}

void task_free(struct task *t)
{
	sigpending_free(&t->pending);
	if (t->creds)
		creds_put(t->creds);
	seccomp_task_free(t);
	uts_ns_put(t->uts_ns);
	task_wake_quiesce(t); /* a waker's deferred FUTEX_WAKE or eventfd write */
	if (t->wake_efd >= 0)
		close(t->wake_efd);
	free(t);
}

bool task_release_locked(struct task *t)
{
	t->released = true;
	return t->refs == 0;
}

struct thread_group *tg_alloc(struct kernel *k)
{
	struct thread_group *tg = calloc(1, sizeof(*tg));
	if (!tg)
		return NULL;
	tg->k = k;
	vmutex_init(&tg->siglock, LOCK_CLASS(SIGLOCK));
	waitq_init(&tg->child_wq);
	waitq_init(&tg->signalfd_wq);
	waitq_init(&tg->pidfd_wq);
	tg->exit_signal = SIGCHLD;
	tg->dumpable = 1;
	tg->start_ns = kernel_uptime_ns(k);
	memcpy(tg->rlimits, k->default_rlimits, sizeof(tg->rlimits));
	return tg;
}

void tg_free(struct thread_group *tg)
{
	sigpending_free(&tg->shared_pending);
	vmutex_destroy(&tg->siglock);
	waitq_destroy(&tg->child_wq);
	waitq_destroy(&tg->signalfd_wq);
	waitq_destroy(&tg->pidfd_wq);
	free(tg->cmdline);
	free(tg->environ);
	free(tg->auxv);
	free(tg);
}

/* Under tasks_lock and siglock: link t into tg. */
static void tg_link_task(struct thread_group *tg, struct task *t)
{
	t->tg = tg;
	t->tg_prev = NULL;
	t->tg_next = tg->threads;
	if (tg->threads)
		tg->threads->tg_prev = t;
	tg->threads = t;
	tg->nthreads++;
	struct kernel *k = tg->k;
	t->next_all = k->all_tasks;
	k->all_tasks = t;
	k->ntasks++;
}

static void handle_syscall(struct task *t)
{
	t->in_syscall = true;
	/* A tracer may change the number and arguments at the entry stop,
	 * or cancel the call (rax is then its result).  Then the app's own
	 * seccomp filters, before any argument check (Linux's order). */
	if (!ptrace_syscall_entry(t)) {
		int nr = (int)t->regs.orig_rax;
		uint64_t a[6] = {t->regs.rdi, t->regs.rsi, t->regs.rdx,
				 t->regs.r10, t->regs.r8,  t->regs.r9};
		int old_tid = t->tid;
		int64_t ret;
		bool strace = t->k->strace;
		if (strace)
			strace_enter(t, nr, a);
		if (seccomp_syscall_enter(t, nr, a, &ret))
			ret = syscall_dispatch(t, nr, a);
		if (strace)
			strace_exit(t, nr, ret);
		t->regs.rax = (uint64_t)ret;
		if ((nr == SYS_execve || nr == SYS_execveat) && ret == 0)
			ptrace_exec(t, old_tid);
	}
	ptrace_syscall_exit(t);
}

static _Atomic uint64_t app_faults;

uint64_t task_fault_count(void) { return atomic_load_explicit(&app_faults, memory_order_relaxed); }

static void handle_fault(struct task *t, const struct plat_event *ev)
{
	int code = SEGV_MAPERR;
	atomic_fetch_add_explicit(&app_faults, 1, memory_order_relaxed);
	if (ev->fault_signo == SIGSEGV && ev->fault_code == SI_KERNEL) {
		/* Not a page fault: a general protection fault (a 32-bit
		 * syscall instruction, a misaligned call into the vsyscall
		 * page), which Linux reports as SIGSEGV, SI_KERNEL, address 0. */
		siginfo_t gp = {.si_signo = SIGSEGV, .si_code = SI_KERNEL};
		task_force_signal(t, &gp);
		return;
	}
	int r = mm_handle_fault_access(t->mm, ev->fault_addr, ev->fault_access, &code);
	if (r == 0)
		return;
	/* No page for it within the memory limit: the OOM killer frees
	 * some (kernel/oom.c) and the access is retried, as Linux's memory
	 * cgroup does; only another failure is a SIGBUS. */
	if (r == -EIO && oom_fault_retry(t))
		return;
	siginfo_t info;
	memset(&info, 0, sizeof(info));
	if (r == -EIO) {
		info.si_signo = SIGBUS;
		info.si_code = BUS_ADRERR;
	} else {
		info.si_signo = SIGSEGV;
		info.si_code = code;
	}
	info.si_addr = (void *)(uintptr_t)ev->fault_addr;
	if (t->k->strace)
		log_info("[%d] fault at %#lx (rip %#lx): signal %d code %d", t->tid,
			 (unsigned long)ev->fault_addr, (unsigned long)t->regs.rip, info.si_signo,
			 info.si_code);
	task_force_signal(t, &info);
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void task_regs_full(struct task *t)
{
	if (!t->regs_partial)
		return;
	t->regs_partial = false;
	const struct platform_ops *ops = t->k->plat->ops;
	int r = ops->context_full_regs ? ops->context_full_regs(t->ctx, &t->regs) : -ENOSYS;
	if (r < 0) {
		log_warn("task %d: no full registers: %s", t->tid, strerror(-r));
		signal_group_exit(t->tg, SIGKILL);
	}
}

static void task_loop(struct task *t)
{
	struct platform *plat = t->k->plat;
	for (;;) {
		task_deliver_signals(t);
		struct plat_event ev;
		uint64_t t0 = now_ns();
		lockdep_assert_none_held("a platform switch"); /* LOCKING.md rule 3 */
		atomic_store(&t->run_start_ns, t0); /* CPU-time timers count it (ptimer.c) */
		int r = plat->ops->context_switch(t->ctx, mm_addr_space(t->mm), &t->regs, &ev);
		uint64_t t1 = now_ns();
		uint64_t blocked0 = t->blocked_ns;
		/* CPU accounting, approximated by wall time: in app code is user
		 * time, in the Sentry on the app's behalf is system time. */
		__atomic_fetch_add(&t->tg->utime_ns, t1 - t0, __ATOMIC_RELAXED);
		atomic_fetch_add(&t->cpu_ns, t1 - t0);
		atomic_store(&t->run_start_ns, 0);
		if (r < 0) {
			log_warn("task %d: platform switch failed: %s", t->tid, strerror(-r));
			signal_group_exit(t->tg, SIGKILL);
			continue;
		}
		t->regs_partial = ev.partial;
		switch (ev.kind) {
		case PLAT_EV_SYSCALL:
			/* A tracer sees (and may set) every register at the
			 * syscall stops. */
			if (t->pt.tracer)
				task_regs_full(t);
			if (!t->regs_partial)
				syscall_patch_maybe(t);
			handle_syscall(t);
			break;
		case PLAT_EV_FAULT:
			handle_fault(t, &ev);
			break;
		case PLAT_EV_SIGNAL: {
			siginfo_t info = ev.info;
			if (t->k->strace)
				log_info("[%d] host signal %d code %d at rip %#lx", t->tid,
					 info.si_signo, info.si_code, (unsigned long)t->regs.rip);
			task_force_signal(t, &info);
			break;
		}
		case PLAT_EV_INTERRUPT:
			break;
		}
		/* A syscall that could not allocate within the memory limit
		 * (a tmpfs write) failed; as the memory cgroup does, someone
		 * is killed so the container goes on. */
		if (memfile_take_oom(t->k->mf))
			oom_kill(t->k);
		/* Time asleep (nanosleep, a blocking read) is no CPU time. */
		uint64_t busy = now_ns() - t1, slept = t->blocked_ns - blocked0;
		__atomic_fetch_add(&t->tg->stime_ns, busy > slept ? busy - slept : 0,
				   __ATOMIC_RELAXED);
		atomic_fetch_add(&t->cpu_ns, busy > slept ? busy - slept : 0);
	}
}

static void *task_main(void *arg)
{
	struct task *t = arg;
	current = t;
	/* Host signals are not for task threads: the platform reports app
	 * events through ptrace stops, not through our handlers. */
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	struct platform *plat = t->k->plat;
	if (!t->ctx)
		t->ctx = plat->ops->new_context(plat);
	if (!t->ctx) {
		log_error("task %d: no platform context", t->tid);
		signal_group_exit(t->tg, SIGKILL);
		task_deliver_signals(t);
	}
	if (t->fpregs_pending) {
		plat->ops->context_set_fpregs(t->ctx, &t->fpregs);
		t->fpregs_pending = false;
	}
	if (t->initial_exec) {
		struct initial_exec *ie = t->initial_exec;
		t->initial_exec = NULL;
		int r = task_execve_kernel(t, AT_FDCWD, ie->path, &ie->argv, ie->argc, ie->envp,
					   ie->envc, 0);
		vmutex_lock(&ie->lock);
		ie->result = r;
		ie->done = true;
		pthread_cond_broadcast(&ie->cond);
		/* Held (OCI create): wait for start, or for the sandbox's end. */
		while (r == 0 && ie->hold && !ie->released && !t->tg->group_exiting) {
			/* A timed wait: a kill before start must still end us. */
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_nsec += 50 * 1000000;
			if (dl.tv_nsec >= 1000000000) {
				dl.tv_sec++;
				dl.tv_nsec -= 1000000000;
			}
			vmutex_cond_timedwait(&ie->cond, &ie->lock, &dl);
		}
		vmutex_unlock(&ie->lock);
		/* ie belongs to the spawner from here on. */
		if (r < 0) {
			/* As a shell reports it: 127 for a file that is not
			 * there, 126 for one that cannot be executed. */
			log_warn("cannot exec %s: %s", ie->path, strerror(-r));
			signal_group_exit(t->tg, (r == -ENOENT ? 127 : 126) << 8);
			task_deliver_signals(t);
		}
	}
	if (t->child_settid) {
		int32_t tid = t->tid;
		task_copy_out(t, t->child_settid, &tid, sizeof(tid));
		t->child_settid = 0;
	}
	task_loop(t);
	return NULL;
}

int task_start(struct task *t)
{
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 << 10);
	int r = pthread_create(&t->thread, &attr, task_main, t);
	pthread_attr_destroy(&attr);
	return -r;
}

/* ---- clone ---- */

#define CSIGNAL 0x000000ff
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL /* clone3 only */
#endif

struct vfork_done {
	struct vmutex lock;
	bool done;
	struct task *parent;
};

void task_vfork_complete(struct task *t)
{
	struct vfork_done *vd = t->vfork_done;
	if (!vd)
		return;
	t->vfork_done = NULL;
	vmutex_lock(&vd->lock);
	vd->done = true;
	struct task *parent = vd->parent;
	vmutex_unlock(&vd->lock);
	task_wake(parent);
}

/* Undo a clone that failed before its task was linked in. */
static void clone_undo(struct task *c, struct thread_group *ntg)
{
	if (ntg) {
		if (ntg->exe_file) {
			exec_exe_file_allow(ntg->exe_file);
			file_put(ntg->exe_file);
		}
		tg_free(ntg);
	}
	if (c->fdt)
		fdt_put(c->fdt);
	if (c->fs)
		fs_context_put(c->fs);
	if (c->mm)
		mm_put(c->mm);
	ipc_undo_put(c->sysvsem);
	ipc_ns_put(c->ipc_ns);
	task_free(c); /* drops c->creds */
}

int64_t task_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t parent_tid,
		   uint64_t child_tid, uint64_t tls)
{
	struct kernel *k = t->k;
	/* Flag rules as Linux's copy_process. */
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if (flags & (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
		     CLONE_NEWNET | CLONE_NEWCGROUP)) {
		/* As Linux: new namespaces need CAP_SYS_ADMIN; of them only UTS
		 * is modelled (ns.c), the others are EINVAL as in a kernel
		 * without them. */
		if (!creds_capable(t->creds, CAP_SYS_ADMIN))
			return -EPERM;
		if (flags & (CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET |
			     CLONE_NEWCGROUP))
			return -EINVAL;
	}
	uint64_t trace_flags = flags; /* CLONE_PTRACE and CLONE_UNTRACED: ptrace.c */
	flags &= ~(uint64_t)(CLONE_PTRACE | CLONE_UNTRACED);
	/* As Linux: a pidfd names a process, and clone(2) has one pointer
	 * for the pidfd and the parent's tid. */
	if ((flags & CLONE_PIDFD) &&
	    (flags & (CLONE_DETACHED | CLONE_THREAD | CLONE_PARENT_SETTID)))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_THREAD)) {
		/* Sharing handlers without sharing the group needs a shared
		 * sighand object this kernel does not have. */
		return -EINVAL;
	}

	/* As Linux's pids controller (the container's --pids-limit): every
	 * task counts, threads too; the flag checks above come first. */
	if (!limits_pids_allow(kernel_nr_tasks(k)))
		return -EAGAIN;
	struct task *c = task_alloc(k);
	if (!c)
		return -ENOMEM;
	struct platform *plat = k->plat;
	struct mm *mm;
	if (flags & CLONE_VM) {
		int r = plat->ops->as_prepare_thread(mm_addr_space(t->mm));
		if (r < 0) {
			task_free(c);
			return r;
		}
		mm_get(t->mm);
		mm = t->mm;
	} else {
		mm = mm_fork(t->mm);
		if (!mm) {
			task_free(c);
			return -ENOMEM;
		}
		/* The host process behind the child shows the parent's name
		 * until it execs, as a fork does (docker top). */
		if (plat->ops->as_set_name)
			plat->ops->as_set_name(mm_addr_space(mm), t->comm);
	}
	struct fd_table *fdt;
	if (flags & CLONE_FILES) {
		fdt_get(t->fdt);
		fdt = t->fdt;
	} else {
		fdt = fdt_copy(t->fdt);
	}
	struct fs_context *fs;
	if (flags & CLONE_FS) {
		fs_context_get(t->fs);
		fs = t->fs;
	} else {
		fs = fs_context_copy(t->fs);
	}
	c->mm = mm;
	c->fdt = fdt;
	c->fs = fs;
	creds_get(t->creds);
	c->creds = t->creds;
	uts_ns_fork(c, t);
	if ((flags & CLONE_NEWUTS) && uts_ns_unshare_new(c) < 0) {
		clone_undo(c, NULL);
		return -ENOMEM;
	}
	/* As Linux's copy_semundo: CLONE_SYSVSEM shares the SEM_UNDO list. */
	if (flags & CLONE_SYSVSEM)
		c->sysvsem = ipc_undo_share(t);
	if (t->ipc_ns) {
		ipc_ns_get(t->ipc_ns);
		c->ipc_ns = t->ipc_ns;
	}
	if (!fdt || !fs || ((flags & CLONE_SYSVSEM) && !c->sysvsem)) {
		clone_undo(c, NULL);
		return -ENOMEM;
	}
	memcpy(c->comm, t->comm, sizeof(c->comm));
	c->regs = t->regs;
	c->regs.rax = 0;
	if (stack)
		c->regs.rsp = stack;
	if (flags & CLONE_SETTLS)
		c->regs.fs_base = tls;
	plat->ops->context_get_fpregs(t->ctx, &c->fpregs);
	c->fpregs_pending = true;
	if (flags & CLONE_CHILD_SETTID)
		c->child_settid = child_tid;
	if (flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = child_tid;
	c->sigmask = t->sigmask;
	if (!(flags & CLONE_VM) || (flags & CLONE_VFORK))
		c->altstack = t->altstack;

	struct thread_group *tg = t->tg;
	struct thread_group *ntg = NULL;
	if (!(flags & CLONE_THREAD)) {
		ntg = tg_alloc(k);
		if (!ntg) {
			clone_undo(c, NULL);
			return -ENOMEM;
		}
		vmutex_lock(&tg->siglock);
		seccomp_fork(c, t);
		sched_fork(c, t);
		memcpy(ntg->actions, tg->actions, sizeof(ntg->actions));
		if (flags & CLONE_CLEAR_SIGHAND) {
			/* clone3: as Linux's flush_signal_handlers(p, 0), every
			 * handler back to the default, ignored signals stay so. */
			for (int i = 0; i < VISOR_NSIG; i++) {
				struct k_sigaction *ka = &ntg->actions[i];
				if (ka->handler != (uint64_t)(uintptr_t)SIG_IGN)
					ka->handler = (uint64_t)(uintptr_t)SIG_DFL;
				ka->flags = 0;
				ka->restorer = 0;
				ka->mask = 0;
			}
		}
		memcpy(ntg->rlimits, tg->rlimits, sizeof(ntg->rlimits));
		ntg->dumpable = tg->dumpable;
		ntg->oom_score_adj = __atomic_load_n(&tg->oom_score_adj, __ATOMIC_RELAXED);
		ntg->oom_score_adj_min = __atomic_load_n(&tg->oom_score_adj_min, __ATOMIC_RELAXED);
		ntg->membarrier_state = tg->membarrier_state; /* as dup_mm */
		vmutex_unlock(&tg->siglock);
		ntg->exit_signal = (int)(flags & CSIGNAL);
		ntg->pgid = tg->pgid;
		ntg->sid = tg->sid;
		if (tg->cmdline && (ntg->cmdline = malloc(tg->cmdline_len)))
		{
			memcpy(ntg->cmdline, tg->cmdline, tg->cmdline_len);
			ntg->cmdline_len = tg->cmdline_len;
		}
		if (tg->environ && (ntg->environ = malloc(tg->environ_len ? tg->environ_len : 1))) {
			memcpy(ntg->environ, tg->environ, tg->environ_len);
			ntg->environ_len = tg->environ_len;
		}
		vmutex_lock(&k->tasks_lock);
		ntg->exe_file = tg->exe_file;
		if (ntg->exe_file) {
			file_get(ntg->exe_file);
			exec_exe_file_deny(ntg->exe_file);
		}
		if (tg->auxv && (ntg->auxv = malloc(tg->auxv_len))) {
			memcpy(ntg->auxv, tg->auxv, tg->auxv_len);
			ntg->auxv_len = tg->auxv_len;
		}
		vmutex_unlock(&k->tasks_lock);
	}

	struct vfork_done vd = {.lock = VMUTEX_INITIALIZER(LOCK_CLASS(VFORK_DONE)), .parent = t};
	if (flags & CLONE_VFORK)
		c->vfork_done = &vd;

	vmutex_lock(&k->tasks_lock);
	if (tg->group_exiting) {
		/* As Linux: no new tasks in a dying group. */
		vmutex_unlock(&k->tasks_lock);
		clone_undo(c, ntg);
		return -ERESTARTNOINTR;
	}
	int pid = kernel_alloc_pid_locked(k);
	if (pid < 0) {
		vmutex_unlock(&k->tasks_lock);
		clone_undo(c, ntg);
		return pid;
	}
	c->tid = pid;
	int event = ptrace_clone_child_locked(t, c, trace_flags);
	if (ntg) {
		ntg->tgid = pid;
		ntg->leader = c;
		struct thread_group *parent = (flags & CLONE_PARENT) && tg->parent ? tg->parent : tg;
		ntg->parent = parent;
		/* At the end: wait(2) reports the oldest child first. */
		struct thread_group **tail = &parent->children;
		while (*tail)
			tail = &(*tail)->sibling;
		ntg->sibling = NULL;
		*tail = ntg;
		vmutex_lock(&ntg->siglock);
		tg_link_task(ntg, c);
		vmutex_unlock(&ntg->siglock);
	} else {
		vmutex_lock(&tg->siglock);
		seccomp_fork(c, t); /* under siglock: a TSYNC sees the new thread */
		sched_fork(c, t);
		tg_link_task(tg, c);
		vmutex_unlock(&tg->siglock);
	}
	vmutex_unlock(&k->tasks_lock);

	if (flags & CLONE_PARENT_SETTID) {
		int32_t v = pid;
		task_copy_out(t, parent_tid, &v, sizeof(v));
	}
	if (flags & CLONE_PIDFD) {
		/* Before the child runs, so it is at least a zombie now. */
		struct file *pf;
		int32_t v = -1;
		if (pidfd_open_pid(k, pid, 0, &pf) == 0) {
			v = fdt_install(t->fdt, pf, FD_CLOEXEC, 0);
			if (v < 0)
				file_put(pf);
		}
		task_copy_out(t, parent_tid, &v, sizeof(v));
	}
	int r = task_start(c);
	if (r < 0) {
		log_error("clone: cannot start a host thread: %s", strerror(-r));
		/* The task is linked; make it exit through the normal path is
		 * impossible without a thread: kill the group it joined. */
		signal_group_exit(c->tg, SIGKILL);
		return r;
	}
	ptrace_clone_event(t, event, pid);
	if (flags & CLONE_VFORK) {
		/* As Linux: the parent sleeps (killably) until the child execs
		 * or exits; other signals wait. */
		for (;;) {
			vmutex_lock(&vd.lock);
			bool done = vd.done;
			vmutex_unlock(&vd.lock);
			if (done)
				break;
			vmutex_lock(&tg->siglock);
			bool dying = tg->group_exiting;
			vmutex_unlock(&tg->siglock);
			if (dying) {
				/* The child still points at vd: detach it first. */
				vmutex_lock(&vd.lock);
				bool d2 = vd.done;
				if (!d2)
					vd.parent = t;
				vmutex_unlock(&vd.lock);
				if (!d2) {
					task_block(t, NULL);
					continue;
				}
				break;
			}
			struct timespec dl;
			deadline_in_ms(&dl, 50);
			task_block(t, &dl);
		}
		ptrace_vfork_done(t, pid);
	}
	return pid;
}
