/*
 * ptrace.c — ptrace(2) served by the Sentry: tracer links, ptrace-stops and
 * their reporting through wait, and the requests.  See ptrace.h.
 *
 * Stops.  A tracee stops only on its own thread, at the points Linux does:
 * syscall entry and exit (handle_syscall), signal delivery, group stops and
 * traps (task_deliver_signals), PTRACE_EVENT_* (clone, exec, exit).  It
 * publishes the stop under its siglock, tells the tracer (SIGCHLD with
 * CLD_TRAPPED unless SA_NOCLDSTOP, and the tracer's child_wq), then sleeps
 * without regard to pending signals until the tracer resumes or detaches it
 * or its group dies (SIGKILL, or exit_group from another thread).
 *
 * What the tracer may not do from its own thread (the tracee's platform
 * context and its address space on the platform) it hands to the stopped
 * tracee as a request (struct ptrace_req), which the tracee runs in its stop
 * loop and completes, waking the tracer under its siglock (so the tracer,
 * which reads `done` under that lock, cannot be gone).
 *
 * Exits.  A traced task's exit is left for its tracer's wait as a small
 * record (struct ptrace_zombie), unless the tracer is the real parent and
 * the task was the group's last thread: the parent's zombie carries it.
 * Simplification, stated: the real parent can reap a traced child before
 * the tracer collects its exit (Linux makes the parent wait).
 *
 * Not done: hardware breakpoints and watchpoints (u_debugreg values are kept
 * and read back; enabling one in DR7 is refused with EIO), PTRACE_SYSEMU,
 * seccomp events.  PTRACE_SINGLESTEP sets TF in the tracee's flags: both
 * platforms run the app with it, and the host's SIGTRAP comes back as a
 * synchronous signal; a step over `syscall` traps after it, as Linux.
 */
#include "sentry/kernel/ptrace.h"
#include "lib/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#define SIGBIT(s) (1ULL << ((s)-1))
#define CSIGNAL 0x000000ff
#define CAP_SYS_PTRACE 19
#define CAP_SYS_ADMIN 21
#define X86_EFLAGS_TF 0x100ULL
#define FLAG_MASK 0x50DD5ULL /* the eflags a tracer may change, as Linux's FLAG_MASK */
#define AUDIT_ARCH_X86_64 0xc000003eU
#define NT_PRSTATUS 1
#define NT_PRFPREG 2
#define NT_X86_XSTATE 0x202
#define XSTATE_XCR0_OFFSET 464 /* ptrace's copy of XCR0 in the FXSAVE area's sw bytes */

struct ptrace_zombie {
	struct ptrace_zombie *next;
	int pid, pgid;
	int status;
	bool clone;
	uint32_t uid;
};

struct ptrace_req {
	int (*fn)(struct task *t, struct ptrace_req *r);
	struct task *waiter;
	bool done;
	int result;
	uint64_t addr;
	void *buf;
	size_t len;
};

static int stop_status(int sig, int event) { return 0x7f | (sig << 8) | (event << 16); }

static bool traced(struct task *t)
{
	return __atomic_load_n(&t->pt.tracer, __ATOMIC_ACQUIRE) != NULL;
}

/* ---- stops (the tracee's side) ---- */

/* Tell the tracer a stop is there to collect. */
static void notify_tracer(struct task *t)
{
	struct kernel *k = t->k;
	vmutex_lock(&k->tasks_lock);
	struct thread_group *tracer = t->pt.tracer;
	if (tracer && !tracer->zombie) {
		vmutex_lock(&t->tg->siglock);
		int st = t->pt.status;
		bool waitable = t->pt.waitable;
		uint32_t uid = t->creds ? t->creds->ruid : 0;
		vmutex_unlock(&t->tg->siglock);
		if (waitable) {
			vmutex_lock(&tracer->siglock);
			const struct k_sigaction *a = &tracer->actions[SIGCHLD - 1];
			bool send = a->handler != (uint64_t)(uintptr_t)SIG_IGN &&
				    !(a->flags & SA_NOCLDSTOP);
			vmutex_unlock(&tracer->siglock);
			if (send) {
				siginfo_t info;
				memset(&info, 0, sizeof(info));
				info.si_signo = SIGCHLD;
				info.si_code = CLD_TRAPPED;
				info.si_pid = t->tid;
				info.si_uid = uid;
				info.si_status = (st >> 8) & 0xff;
				tg_signal_send(tracer, &info);
			}
		}
		waitq_notify(&tracer->child_wq, ~0u);
	}
	vmutex_unlock(&k->tasks_lock);
}

/* Under siglock: must a stop end at once (or not start)? */
static bool stop_dying_locked(struct task *t, bool exit_event)
{
	struct thread_group *tg = t->tg;
	if (t->exiting && !exit_event)
		return true;
	if (!tg->group_exiting)
		return false;
	/* exit_group: the thread that called it still reports its exit;
	 * SIGKILL ends every stop. */
	return !exit_event || tg->group_exit_status == SIGKILL;
}

/* Stop and sleep until resumed; returns the signal the tracer resumed
 * with.  *info (when given) is the stop's siginfo, and on return what the
 * tracer left there. */
static int ptrace_stop(struct task *t, enum ptrace_stop_kind kind, int status, siginfo_t *info,
		       bool has_msg, uint64_t msg)
{
	struct thread_group *tg = t->tg;
	bool exit_event = kind == PTRACE_STOP_EVENT && (status >> 16) == PTRACE_EVENT_EXIT;
	vmutex_lock(&tg->siglock);
	if (!t->pt.tracer || stop_dying_locked(t, exit_event)) {
		vmutex_unlock(&tg->siglock);
		return 0;
	}
	t->pt.stopped = true;
	t->pt.waitable = true;
	t->pt.listening = false;
	t->pt.notify = false;
	t->pt.status = status;
	t->pt.kind = kind;
	t->pt.resume_sig = (status >> 8) & 0xff;
	if (info) {
		t->pt.siginfo = *info;
		t->pt.has_siginfo = true;
	} else if (kind == PTRACE_STOP_GROUP) {
		t->pt.has_siginfo = false; /* GETSIGINFO: EINVAL, as Linux */
	} else {
		/* As Linux's ptrace_do_notify: the stop's signal (SIGTRAP, or
		 * the stopping signal of a seized group stop), its code the
		 * whole exit code. */
		memset(&t->pt.siginfo, 0, sizeof(t->pt.siginfo));
		t->pt.siginfo.si_signo = (status >> 8) & 0x7f;
		t->pt.siginfo.si_code = (status >> 8) & 0xffff;
		t->pt.siginfo.si_pid = t->tid;
		t->pt.siginfo.si_uid = t->creds ? t->creds->ruid : 0;
		t->pt.has_siginfo = true;
	}
	if (has_msg)
		t->pt.msg = msg;
	vmutex_unlock(&tg->siglock);
	notify_tracer(t);

	for (;;) {
		vmutex_lock(&tg->siglock);
		struct ptrace_req *r = t->pt.req;
		if (r) {
			vmutex_unlock(&tg->siglock);
			int res = r->fn(t, r);
			vmutex_lock(&tg->siglock);
			r->result = res;
			r->done = true;
			t->pt.req = NULL;
			task_wake(r->waiter); /* under the lock: the waiter cannot be gone */
			vmutex_unlock(&tg->siglock);
			continue;
		}
		if (t->pt.stopped && stop_dying_locked(t, exit_event))
			t->pt.stopped = false;
		if (!t->pt.stopped) {
			t->pt.waitable = false;
			t->pt.listening = false;
			t->pt.kind = PTRACE_STOP_NONE;
			int sig = t->pt.resume_sig;
			if (info)
				*info = t->pt.siginfo;
			bool step = t->pt.tracer && (t->pt.mode == PTRACE_RESUME_STEP ||
						     t->pt.mode == PTRACE_RESUME_SYSEMU_STEP);
			vmutex_unlock(&tg->siglock);
			if (step)
				t->regs.eflags |= X86_EFLAGS_TF;
			else
				t->regs.eflags &= ~X86_EFLAGS_TF;
			return sig;
		}
		bool notify = t->pt.notify;
		t->pt.notify = false;
		vmutex_unlock(&tg->siglock);
		if (notify) {
			notify_tracer(t);
			continue;
		}
		task_sleep(t, NULL);
	}
}

static int mode_locked(struct task *t, uint32_t *opts)
{
	vmutex_lock(&t->tg->siglock);
	int mode = t->pt.tracer ? (int)t->pt.mode : -1;
	if (opts)
		*opts = t->pt.options;
	vmutex_unlock(&t->tg->siglock);
	return mode;
}

bool ptrace_syscall_entry(struct task *t)
{
	if (!traced(t))
		return false;
	uint32_t opts;
	int mode = mode_locked(t, &opts);
	bool emu = mode == PTRACE_RESUME_SYSEMU || mode == PTRACE_RESUME_SYSEMU_STEP;
	if (mode != PTRACE_RESUME_SYSCALL && !emu)
		return false;
	/* As Linux: the tracer sees rax = -ENOSYS at the entry stop, and it
	 * stays the result of a syscall the tracer cancels (or emulates). */
	t->regs.rax = (uint64_t)-ENOSYS;
	int sig = SIGTRAP | ((opts & PTRACE_O_TRACESYSGOOD) ? 0x80 : 0);
	ptrace_stop(t, PTRACE_STOP_SYSCALL_ENTRY, stop_status(sig, 0), NULL, false, 0);
	vmutex_lock(&t->tg->siglock);
	bool dying = t->tg->group_exiting || t->exiting;
	vmutex_unlock(&t->tg->siglock);
	return emu || dying || (int)t->regs.orig_rax == -1;
}

void ptrace_syscall_exit(struct task *t)
{
	if (!traced(t))
		return;
	uint32_t opts;
	int mode = mode_locked(t, &opts);
	if (mode == PTRACE_RESUME_SYSEMU || mode == PTRACE_RESUME_SYSEMU_STEP)
		return; /* an emulated syscall has no exit stop, nor a step trap */
	if (mode == PTRACE_RESUME_STEP && (t->regs.eflags & X86_EFLAGS_TF)) {
		/* The Sentry ran the syscall, not the CPU: the step that
		 * covered it ends here, as Linux's user_single_step_report. */
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGTRAP;
		info.si_code = TRAP_BRKPT;
		task_force_signal(t, &info);
		return;
	}
	if (mode != PTRACE_RESUME_SYSCALL)
		return;
	int sig = SIGTRAP | ((opts & PTRACE_O_TRACESYSGOOD) ? 0x80 : 0);
	ptrace_stop(t, PTRACE_STOP_SYSCALL_EXIT, stop_status(sig, 0), NULL, false, 0);
}

static void event_stop(struct task *t, int event, uint64_t msg)
{
	ptrace_stop(t, PTRACE_STOP_EVENT, stop_status(SIGTRAP, event), NULL, true, msg);
}

void ptrace_exec(struct task *t, int old_tid)
{
	if (!traced(t))
		return;
	uint32_t opts;
	mode_locked(t, &opts);
	vmutex_lock(&t->tg->siglock);
	bool seized = t->pt.seized;
	vmutex_unlock(&t->tg->siglock);
	if (opts & PTRACE_O_TRACEEXEC) {
		event_stop(t, PTRACE_EVENT_EXEC, (uint64_t)old_tid);
	} else if (!seized) {
		/* The legacy SIGTRAP after a successful execve. */
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = SIGTRAP;
		info.si_code = SI_USER;
		info.si_pid = t->tg->tgid;
		info.si_uid = t->creds ? t->creds->ruid : 0;
		task_signal_send_info(t, &info, false);
	}
}

void ptrace_exit_event(struct task *t, int status)
{
	if (!traced(t))
		return;
	uint32_t opts;
	mode_locked(t, &opts);
	if (opts & PTRACE_O_TRACEEXIT)
		event_stop(t, PTRACE_EVENT_EXIT, (uint64_t)(uint32_t)status);
}

int ptrace_signal_stop(struct task *t, int sig, siginfo_t *info)
{
	int r = ptrace_stop(t, PTRACE_STOP_SIGNAL, stop_status(sig, 0), info, false, 0);
	if (r <= 0 || r > VISOR_NSIG)
		return 0;
	if (r != info->si_signo) {
		/* As Linux: a signal the tracer substitutes comes from it. */
		struct kernel *k = t->k;
		vmutex_lock(&k->tasks_lock);
		struct thread_group *tr = t->pt.tracer;
		int pid = tr ? tr->tgid : 0;
		vmutex_unlock(&k->tasks_lock);
		memset(info, 0, sizeof(*info));
		info->si_signo = r;
		info->si_code = SI_USER;
		info->si_pid = pid;
	}
	return r;
}

void ptrace_trap(struct task *t, bool group_stopped, int stop_sig)
{
	vmutex_lock(&t->tg->siglock);
	bool seized = t->pt.seized;
	vmutex_unlock(&t->tg->siglock);
	if (seized) {
		int sig = group_stopped ? stop_sig : SIGTRAP;
		ptrace_stop(t, PTRACE_STOP_EVENT, stop_status(sig, PTRACE_EVENT_STOP), NULL, false,
			    0);
	} else if (group_stopped) {
		ptrace_stop(t, PTRACE_STOP_GROUP, stop_status(stop_sig, 0), NULL, false, 0);
	}
}

int ptrace_clone_child_locked(struct task *parent, struct task *c, uint64_t flags)
{
	struct thread_group *tr = parent->pt.tracer;
	if (!tr || tr->zombie || (flags & CLONE_UNTRACED))
		return 0;
	uint32_t opts = parent->pt.options;
	int event;
	uint32_t want;
	if (flags & CLONE_VFORK) {
		event = PTRACE_EVENT_VFORK;
		want = PTRACE_O_TRACEVFORK;
	} else if ((flags & CSIGNAL) != SIGCHLD) {
		event = PTRACE_EVENT_CLONE;
		want = PTRACE_O_TRACECLONE;
	} else {
		event = PTRACE_EVENT_FORK;
		want = PTRACE_O_TRACEFORK;
	}
	if (!(opts & want))
		event = 0;
	if (!event && !(flags & CLONE_PTRACE))
		return 0;
	c->pt.tracer = tr;
	c->pt.tracer_tid = parent->pt.tracer_tid;
	c->pt.tracer_capable = parent->pt.tracer_capable;
	c->pt.options = opts;
	c->pt.seized = parent->pt.seized;
	if (c->pt.seized) {
		c->pt.trap_stop = true; /* PTRACE_EVENT_STOP before it first runs */
	} else {
		c->pending.set |= SIGBIT(SIGSTOP);
		memset(&c->pending.info[SIGSTOP - 1], 0, sizeof(siginfo_t));
		c->pending.info[SIGSTOP - 1].si_signo = SIGSTOP;
		c->pending.info[SIGSTOP - 1].si_code = SI_KERNEL;
	}
	return event;
}

void ptrace_clone_event(struct task *t, int event, int pid)
{
	if (event && traced(t))
		event_stop(t, event, (uint64_t)pid);
}

void ptrace_vfork_done(struct task *t, int pid)
{
	if (!traced(t))
		return;
	uint32_t opts;
	mode_locked(t, &opts);
	if (opts & PTRACE_O_TRACEVFORKDONE)
		event_stop(t, PTRACE_EVENT_VFORK_DONE, (uint64_t)pid);
}

/* ---- links, exits, wait (under k->tasks_lock) ---- */

/* Under tasks_lock: x leaves its tracer, resuming with sig if stopped. */
static void detach_locked(struct task *x, int sig)
{
	struct thread_group *tg = x->tg;
	vmutex_lock(&tg->siglock);
	__atomic_store_n(&x->pt.tracer, NULL, __ATOMIC_RELEASE);
	x->pt.tracer_tid = 0;
	x->pt.options = 0;
	x->pt.seized = false;
	x->pt.trap_stop = false;
	x->pt.mode = PTRACE_RESUME_CONT;
	if (x->pt.stopped) {
		x->pt.stopped = false;
		x->pt.resume_sig = sig;
	}
	x->pt.waitable = false;
	x->pt.listening = false;
	/* A group stop still in force takes it again, as Linux. */
	if (tg->stopped)
		x->group_stop_pending = true;
	task_kick(x);
	vmutex_unlock(&tg->siglock);
}

void ptrace_task_exit_locked(struct task *t, int status, bool group_last)
{
	struct thread_group *tr = t->pt.tracer;
	if (!tr)
		return;
	struct thread_group *tg = t->tg;
	if (!(group_last && tg->parent == tr) && !tr->zombie) {
		struct ptrace_zombie *z = calloc(1, sizeof(*z));
		if (z) {
			z->pid = t->tid;
			z->pgid = tg->pgid;
			z->status = status;
			z->clone = tg->leader != t || tg->exit_signal != SIGCHLD;
			z->uid = t->creds ? t->creds->ruid : 0;
			struct ptrace_zombie **tail = &tr->ptrace_zombies;
			while (*tail)
				tail = &(*tail)->next;
			*tail = z;
			siginfo_t info;
			memset(&info, 0, sizeof(info));
			info.si_signo = SIGCHLD;
			info.si_pid = t->tid;
			info.si_uid = z->uid;
			if (WIFEXITED(status)) {
				info.si_code = CLD_EXITED;
				info.si_status = WEXITSTATUS(status);
			} else {
				info.si_code = CLD_KILLED;
				info.si_status = WTERMSIG(status);
			}
			tg_signal_send(tr, &info);
		}
		waitq_notify(&tr->child_wq, ~0u);
	}
	vmutex_lock(&tg->siglock);
	__atomic_store_n(&t->pt.tracer, NULL, __ATOMIC_RELEASE);
	t->pt.stopped = t->pt.waitable = t->pt.listening = false;
	vmutex_unlock(&tg->siglock);
}

void ptrace_tracer_exit_locked(struct kernel *k, struct thread_group *tg)
{
	for (struct task *x = k->all_tasks; x; x = x->next_all) {
		if (x->pt.tracer != tg)
			continue;
		bool kill = x->pt.options & PTRACE_O_EXITKILL;
		detach_locked(x, 0);
		if (kill)
			signal_group_exit(x->tg, SIGKILL);
	}
	while (tg->ptrace_zombies) {
		struct ptrace_zombie *z = tg->ptrace_zombies;
		tg->ptrace_zombies = z->next;
		free(z);
	}
}

static bool pid_eligible(int pid, int pgid, int idtype, int id)
{
	switch (idtype) {
	case P_ALL:
		return true;
	case P_PID:
		return pid == id;
	case P_PGID:
		return pgid == id;
	default:
		return false;
	}
}

int ptrace_wait_locked(struct kernel *k, struct thread_group *self, int idtype, int id, int options,
		       int *status, siginfo_t *info, bool *live)
{
	for (struct ptrace_zombie **pp = &self->ptrace_zombies; *pp; pp = &(*pp)->next) {
		struct ptrace_zombie *z = *pp;
		if (!pid_eligible(z->pid, z->pgid, idtype, id))
			continue;
		*live = true;
		if (!(options & WEXITED))
			continue;
		int pid = z->pid;
		if (status)
			*status = z->status;
		if (info) {
			memset(info, 0, sizeof(*info));
			info->si_signo = SIGCHLD;
			info->si_pid = pid;
			info->si_uid = z->uid;
			if (WIFEXITED(z->status)) {
				info->si_code = CLD_EXITED;
				info->si_status = WEXITSTATUS(z->status);
			} else {
				info->si_code = CLD_KILLED;
				info->si_status = WTERMSIG(z->status);
			}
		}
		if (!(options & WNOWAIT)) {
			*pp = z->next;
			free(z);
		}
		return pid;
	}
	for (struct task *x = k->all_tasks; x; x = x->next_all) {
		if (x->pt.tracer != self || !pid_eligible(x->tid, x->tg->pgid, idtype, id))
			continue;
		*live = true;
		vmutex_lock(&x->tg->siglock);
		bool ready = x->pt.stopped && x->pt.waitable;
		int st = x->pt.status;
		if (ready && !(options & WNOWAIT))
			x->pt.waitable = false;
		uint32_t uid = x->creds ? x->creds->ruid : 0;
		vmutex_unlock(&x->tg->siglock);
		if (!ready)
			continue;
		if (status)
			*status = st;
		if (info) {
			memset(info, 0, sizeof(*info));
			info->si_signo = SIGCHLD;
			info->si_pid = x->tid;
			info->si_uid = uid;
			info->si_code = CLD_TRAPPED;
			info->si_status = st >> 8;
		}
		return x->tid;
	}
	return 0;
}

bool ptrace_traced_by_locked(struct thread_group *c, struct thread_group *tracer)
{
	return c->leader && c->leader->pt.tracer == tracer;
}

int ptrace_tracer_pid_locked(const struct task *t) { return t->pt.tracer ? t->pt.tracer_tid : 0; }

/* Under the tracee group's siglock (SIGCONT, INTERRUPT): a listening
 * tracee traps again, PTRACE_EVENT_STOP with sig. */
static void retrap_locked(struct task *x, int sig)
{
	x->pt.listening = false;
	x->pt.status = stop_status(sig, PTRACE_EVENT_STOP);
	x->pt.kind = PTRACE_STOP_EVENT;
	memset(&x->pt.siginfo, 0, sizeof(x->pt.siginfo));
	x->pt.siginfo.si_signo = sig;
	x->pt.siginfo.si_code = sig | (PTRACE_EVENT_STOP << 8);
	x->pt.siginfo.si_pid = x->tid;
	x->pt.has_siginfo = true;
	x->pt.waitable = true;
	x->pt.notify = true;
	task_wake(x);
}

void ptrace_sigcont_locked(struct thread_group *tg)
{
	for (struct task *x = tg->threads; x; x = x->tg_next)
		if (x->pt.tracer && x->pt.stopped && x->pt.listening)
			retrap_locked(x, SIGTRAP);
}

/* ---- requests run by the stopped tracee ---- */

/* Run r on stopped tracee x's own thread and wait for it. */
static int run_on_tracee(struct task *self, struct task *x, struct ptrace_req *r)
{
	struct thread_group *tg = x->tg;
	r->waiter = self;
	r->done = false;
	vmutex_lock(&tg->siglock);
	while (x->pt.req && x->pt.stopped) {
		/* Another thread of the tracer has one in flight. */
		vmutex_unlock(&tg->siglock);
		struct timespec dl;
		deadline_in_ms(&dl, 1);
		task_sleep(self, &dl);
		vmutex_lock(&tg->siglock);
	}
	if (!x->pt.stopped) {
		vmutex_unlock(&tg->siglock);
		return -ESRCH;
	}
	x->pt.req = r;
	task_wake(x);
	vmutex_unlock(&tg->siglock);
	for (;;) {
		vmutex_lock(&tg->siglock);
		bool done = r->done;
		vmutex_unlock(&tg->siglock);
		if (done)
			return r->result;
		struct timespec dl;
		deadline_in_ms(&dl, 50);
		task_sleep(self, &dl);
	}
}

static int req_peek(struct task *t, struct ptrace_req *r)
{
	return t->mm ? mm_access_force(t->mm, r->addr, r->buf, r->len, false) : -EIO;
}

static int req_poke(struct task *t, struct ptrace_req *r)
{
	return t->mm ? mm_access_force(t->mm, r->addr, r->buf, r->len, true) : -EIO;
}

static int req_get_fp(struct task *t, struct ptrace_req *r)
{
	return t->ctx ? t->k->plat->ops->context_get_fpregs(t->ctx, r->buf) : -ESRCH;
}

static int req_set_fp(struct task *t, struct ptrace_req *r)
{
	return t->ctx ? t->k->plat->ops->context_set_fpregs(t->ctx, r->buf) : -ESRCH;
}

static int tracee_mem(struct task *self, struct task *x, uint64_t addr, void *buf, size_t len,
		      bool write)
{
	struct ptrace_req r = {
	    .fn = write ? req_poke : req_peek, .addr = addr, .buf = buf, .len = len};
	return run_on_tracee(self, x, &r);
}

/* x's FPU state (the platform's xstate_size bytes): a malloc'd copy or NULL
 * with *err set. */
static plat_fpregs_t *get_fp(struct task *self, struct task *x, int *err)
{
	plat_fpregs_t *fp = malloc(sizeof(*fp));
	if (!fp) {
		*err = -ENOMEM;
		return NULL;
	}
	memset(fp->bytes, 0, x->k->plat->xstate_size);
	struct ptrace_req r = {.fn = req_get_fp, .buf = fp};
	*err = run_on_tracee(self, x, &r);
	if (*err < 0) {
		free(fp);
		return NULL;
	}
	return fp;
}

static int set_fp(struct task *self, struct task *x, plat_fpregs_t *fp)
{
	struct ptrace_req r = {.fn = req_set_fp, .buf = fp};
	return run_on_tracee(self, x, &r);
}

/* ---- registers ---- */

static bool bad_selector(uint64_t v) { return v > 0xffff || (v != 0 && (v & 3) != 3); }

/* Linux's putreg for one register at user-area offset off (under the
 * tracee's stop).  Segment selectors are checked but kept: the platform
 * owns them. */
static int put_reg(struct task *x, size_t off, uint64_t v)
{
	plat_regs_t *r = &x->regs;
	uint64_t *slot = (uint64_t *)((char *)r + off);
	switch (off) {
	case offsetof(plat_regs_t, cs):
	case offsetof(plat_regs_t, ss):
		if (bad_selector(v) || v == 0)
			return -EIO;
		return 0;
	case offsetof(plat_regs_t, ds):
	case offsetof(plat_regs_t, es):
	case offsetof(plat_regs_t, fs):
	case offsetof(plat_regs_t, gs):
		return bad_selector(v) ? -EIO : 0;
	case offsetof(plat_regs_t, fs_base):
	case offsetof(plat_regs_t, gs_base):
		if (v >= PLAT_APP_TOP)
			return -EIO;
		*slot = v;
		return 0;
	case offsetof(plat_regs_t, eflags):
		r->eflags = (r->eflags & ~FLAG_MASK) | (v & FLAG_MASK);
		return 0;
	default:
		*slot = v;
		return 0;
	}
}

static int set_regs(struct task *x, const plat_regs_t *nr, size_t len)
{
	for (size_t off = 0; off + 8 <= len && off < sizeof(plat_regs_t); off += 8) {
		uint64_t v;
		memcpy(&v, (const char *)nr + off, 8);
		int e = put_reg(x, off, v);
		if (e < 0)
			return e;
	}
	return 0;
}

static int64_t peek_user(struct task *self, struct task *x, uint64_t addr, uint64_t data)
{
	if ((addr & 7) || addr >= sizeof(struct user))
		return -EIO;
	uint64_t v = 0;
	if (addr < sizeof(plat_regs_t)) {
		memcpy(&v, (char *)&x->regs + addr, 8);
	} else if (addr >= offsetof(struct user, u_debugreg) &&
		   addr < offsetof(struct user, u_debugreg) + 8 * 8) {
		v = x->pt.debugreg[(addr - offsetof(struct user, u_debugreg)) / 8];
	}
	return task_copy_out(self, data, &v, sizeof(v)) < 0 ? -EFAULT : 0;
}

static int64_t poke_user(struct task *x, uint64_t addr, uint64_t data)
{
	if ((addr & 7) || addr >= sizeof(struct user))
		return -EIO;
	if (addr < sizeof(plat_regs_t))
		return put_reg(x, addr, data);
	if (addr >= offsetof(struct user, u_debugreg) &&
	    addr < offsetof(struct user, u_debugreg) + 8 * 8) {
		int n = (int)((addr - offsetof(struct user, u_debugreg)) / 8);
		if (n == 4 || n == 5)
			return -EIO;
		if (n < 4 && data >= PLAT_APP_TOP)
			return -EIO;
		/* No hardware breakpoints: a DR7 that enables one is refused. */
		if (n == 7 && (data & 0xff))
			return -EIO;
		x->pt.debugreg[n] = data;
		return 0;
	}
	return -EIO;
}

static int64_t get_fpregs(struct task *self, struct task *x, uint64_t data)
{
	int err;
	plat_fpregs_t *fp = get_fp(self, x, &err);
	if (!fp)
		return err;
	int r = task_copy_out(self, data, &fp->fx, sizeof(fp->fx)) < 0 ? -EFAULT : 0;
	free(fp);
	return r;
}

static int64_t set_fpregs(struct task *self, struct task *x, const void *src, size_t len)
{
	int err;
	plat_fpregs_t *fp = get_fp(self, x, &err);
	if (!fp)
		return err;
	struct user_fpregs_struct nfx = fp->fx;
	memcpy(&nfx, src, len < sizeof(nfx) ? len : sizeof(nfx));
	if (nfx.mxcsr & ~x->k->plat->mxcsr_mask) {
		free(fp);
		return -EINVAL;
	}
	/* The software bytes stay the kernel's. */
	memcpy(&fp->fx, &nfx, XSTATE_XCR0_OFFSET);
	if (x->k->plat->xstate_features)
		fp->bytes[PLAT_XSTATE_HEADER] |= 0x3;
	int r = set_fp(self, x, fp);
	free(fp);
	return r;
}

static int64_t regset(struct task *self, struct task *x, bool set, uint64_t type, uint64_t data)
{
	struct iovec iov;
	if (task_copy_in(self, &iov, data, sizeof(iov)) < 0)
		return -EFAULT;
	struct platform *plat = x->k->plat;
	size_t size;
	switch (type) {
	case NT_PRSTATUS:
		size = sizeof(plat_regs_t);
		break;
	case NT_PRFPREG:
		size = sizeof(struct user_fpregs_struct);
		break;
	case NT_X86_XSTATE:
		if (!plat->xstate_features)
			return -ENODEV;
		size = plat->xstate_size;
		break;
	default:
		return -EINVAL;
	}
	if (iov.iov_len % 8)
		return -EINVAL;
	size_t len = iov.iov_len < size ? iov.iov_len : size;
	int64_t r = 0;
	if (type == NT_PRSTATUS) {
		if (set) {
			plat_regs_t nr = x->regs;
			if (task_copy_in(self, &nr, (uint64_t)(uintptr_t)iov.iov_base, len) < 0)
				return -EFAULT;
			r = set_regs(x, &nr, len);
		} else if (task_copy_out(self, (uint64_t)(uintptr_t)iov.iov_base, &x->regs, len) <
			   0) {
			return -EFAULT;
		}
	} else if (type == NT_PRFPREG && set) {
		struct user_fpregs_struct nfx;
		if (task_copy_in(self, &nfx, (uint64_t)(uintptr_t)iov.iov_base, len) < 0)
			return -EFAULT;
		r = set_fpregs(self, x, &nfx, len);
	} else {
		int err;
		plat_fpregs_t *fp = get_fp(self, x, &err);
		if (!fp)
			return err;
		if (type == NT_X86_XSTATE) {
			memset(fp->bytes + XSTATE_XCR0_OFFSET, 0, 512 - XSTATE_XCR0_OFFSET);
			memcpy(fp->bytes + XSTATE_XCR0_OFFSET, &plat->xstate_features, 8);
		}
		if (!set) {
			if (task_copy_out(self, (uint64_t)(uintptr_t)iov.iov_base, fp->bytes, len) <
			    0)
				r = -EFAULT;
		} else {
			/* As Linux: the whole XSAVE area, checked as XRSTOR would. */
			plat_fpregs_t *nf = malloc(sizeof(*nf));
			if (!nf)
				r = -ENOMEM;
			else if (len != size)
				r = -EFAULT;
			else if (task_copy_in(self, nf->bytes, (uint64_t)(uintptr_t)iov.iov_base,
					      len) < 0)
				r = -EFAULT;
			if (r == 0) {
				uint64_t hdr[3];
				memcpy(hdr, nf->bytes + PLAT_XSTATE_HEADER, sizeof(hdr));
				if ((hdr[0] & ~plat->xstate_features) || hdr[1] || hdr[2] ||
				    (nf->fx.mxcsr & ~plat->mxcsr_mask))
					r = -EINVAL;
				else
					r = set_fp(self, x, nf);
			}
			free(nf);
		}
		free(fp);
	}
	if (r == 0 && !set && len != iov.iov_len) {
		iov.iov_len = len;
		if (task_copy_out(self, data, &iov, sizeof(iov)) < 0)
			return -EFAULT;
	} else if (r == 0 && set && len != iov.iov_len) {
		iov.iov_len = len;
		if (task_copy_out(self, data, &iov, sizeof(iov)) < 0)
			return -EFAULT;
	}
	return r;
}

static int64_t syscall_info(struct task *self, struct task *x, uint64_t size, uint64_t data)
{
	struct __ptrace_syscall_info si;
	memset(&si, 0, sizeof(si));
	si.arch = AUDIT_ARCH_X86_64;
	si.instruction_pointer = x->regs.rip;
	si.stack_pointer = x->regs.rsp;
	size_t n = offsetof(struct __ptrace_syscall_info, entry);
	if (x->pt.kind == PTRACE_STOP_SYSCALL_ENTRY) {
		si.op = PTRACE_SYSCALL_INFO_ENTRY;
		si.entry.nr = x->regs.orig_rax;
		si.entry.args[0] = x->regs.rdi;
		si.entry.args[1] = x->regs.rsi;
		si.entry.args[2] = x->regs.rdx;
		si.entry.args[3] = x->regs.r10;
		si.entry.args[4] = x->regs.r8;
		si.entry.args[5] = x->regs.r9;
		n = offsetof(struct __ptrace_syscall_info, entry.args) + sizeof(si.entry.args);
	} else if (x->pt.kind == PTRACE_STOP_SYSCALL_EXIT) {
		si.op = PTRACE_SYSCALL_INFO_EXIT;
		si.exit.rval = (int64_t)x->regs.rax;
		si.exit.is_error = x->regs.rax >= (uint64_t)-4095;
		n = offsetof(struct __ptrace_syscall_info, exit.is_error) +
		    sizeof(si.exit.is_error);
	}
	size_t c = size < n ? size : n;
	if (c && task_copy_out(self, data, &si, c) < 0)
		return -EFAULT;
	return (int64_t)n;
}

/* PTRACE_ARCH_PRCTL (x86-64): arch_prctl's FS/GS base codes on the
 * tracee's registers; a GET writes to the tracer's memory at arg. */
static int64_t arch_prctl(struct task *self, struct task *x, uint64_t code, uint64_t arg)
{
	switch (code) {
	case 0x1001: /* ARCH_SET_GS */
	case 0x1002: /* ARCH_SET_FS */
		if (arg >= PLAT_APP_TOP)
			return -EPERM;
		if (code == 0x1002)
			x->regs.fs_base = arg;
		else
			x->regs.gs_base = arg;
		return 0;
	case 0x1003:   /* ARCH_GET_FS */
	case 0x1004: { /* ARCH_GET_GS */
		uint64_t v = code == 0x1003 ? x->regs.fs_base : x->regs.gs_base;
		return task_copy_out(self, arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
	}
	default:
		return -EINVAL;
	}
}

static int64_t peek_siginfo(struct task *self, struct task *x, uint64_t addr, uint64_t data)
{
	struct __ptrace_peeksiginfo_args a;
	if (task_copy_in(self, &a, addr, sizeof(a)) < 0)
		return -EFAULT;
	if (a.flags & ~(uint32_t)PTRACE_PEEKSIGINFO_SHARED)
		return -EINVAL;
	if (a.nr < 0)
		return -EINVAL;
	siginfo_t found[VISOR_NSIG];
	int n = 0;
	vmutex_lock(&x->tg->siglock);
	struct sigpending *p =
	    (a.flags & PTRACE_PEEKSIGINFO_SHARED) ? &x->tg->shared_pending : &x->pending;
	uint64_t skip = a.off;
	for (int sig = 1; sig <= VISOR_NSIG && n < a.nr; sig++) {
		if (!(p->set & SIGBIT(sig)))
			continue;
		if (skip) {
			skip--;
			continue;
		}
		found[n++] = p->info[sig - 1];
	}
	vmutex_unlock(&x->tg->siglock);
	for (int i = 0; i < n; i++)
		if (task_copy_out(self, data + (uint64_t)i * sizeof(siginfo_t), &found[i],
				  sizeof(siginfo_t)) < 0)
			return i ? i : -EFAULT;
	return n;
}

static bool may_attach_locked(struct task *t, struct task *x, struct creds *tc);

ssize_t ptrace_access_mem(struct task *t, int pid, uint64_t addr, void *buf, size_t len, bool write)
{
	struct kernel *k = t->k;
	struct task *x = kernel_get_task(k, pid);
	if (!x)
		return 0;
	struct creds *tc = task_creds(x);
	ssize_t r = 0;
	vmutex_lock(&k->tasks_lock);
	bool self = x->tg == t->tg;
	bool allowed = self || (tc && may_attach_locked(t, x, tc));
	struct mm *mm = allowed && !write ? x->mm : NULL;
	if (mm)
		mm_get(mm);
	vmutex_unlock(&k->tasks_lock);
	if (tc)
		creds_put(tc);
	if (!allowed || (!write && !mm)) {
		task_put(x);
		return allowed ? 0 : -EACCES; /* no memory any more: end of file */
	}
	size_t done = 0;
	while (done < len) {
		uint64_t a = addr + done;
		size_t n = 4096 - (a & 4095);
		if (n > len - done)
			n = len - done;
		int e;
		if (!write)
			e = mm ? mm_access_force(mm, a, (char *)buf + done, n, false) : -EIO;
		else if (self)
			e = mm_access_force(t->mm, a, (char *)buf + done, n, true);
		else if (x->pt.tracer == t->tg)
			e = tracee_mem(t, x, a, (char *)buf + done, n, true);
		else
			e = -EIO;
		if (e < 0)
			break;
		done += n;
	}
	r = done ? (ssize_t)done : (len ? -EIO : 0);
	if (mm)
		mm_put(mm);
	task_put(x);
	return r;
}

/* ---- attach, resume, detach ---- */

static int64_t traceme(struct task *t)
{
	struct kernel *k = t->k;
	int r = 0;
	vmutex_lock(&k->tasks_lock);
	struct thread_group *parent = t->tg->parent;
	if (t->pt.tracer || !parent || parent->zombie) {
		r = -EPERM;
	} else {
		/* As Linux's ptrace_traceme: the parent's credentials now. */
		struct creds *pc = parent->leader ? task_creds(parent->leader) : NULL;
		vmutex_lock(&t->tg->siglock);
		t->pt.tracer_tid = parent->leader ? parent->leader->tid : parent->tgid;
		t->pt.tracer_capable = pc && creds_capable(pc, 19 /* CAP_SYS_PTRACE */);
		creds_put(pc);
		t->pt.options = 0;
		t->pt.seized = false;
		t->pt.mode = PTRACE_RESUME_CONT;
		__atomic_store_n(&t->pt.tracer, parent, __ATOMIC_RELEASE);
		vmutex_unlock(&t->tg->siglock);
	}
	vmutex_unlock(&k->tasks_lock);
	return r;
}

/* As Linux's __ptrace_may_access (PTRACE_MODE_ATTACH_REALCREDS) with Yama
 * at scope 1: the same user or CAP_SYS_PTRACE, and only a descendant
 * without CAP_SYS_PTRACE.  Under tasks_lock. */
static bool may_attach_locked(struct task *t, struct task *x, struct creds *tc)
{
	bool cap = creds_capable(t->creds, CAP_SYS_PTRACE);
	if (!cap && !creds_ids_match(t->creds, tc))
		return false;
	if (cap)
		return true;
	for (struct thread_group *g = x->tg; g; g = g->parent)
		if (g == t->tg)
			return true;
	/* PR_SET_PTRACER: the named process and its descendants, or anyone. */
	int allowed = x->tg->ptracer_allowed;
	if (allowed == -1)
		return true;
	for (struct thread_group *g = t->tg; allowed > 0 && g; g = g->parent)
		if (g->tgid == allowed)
			return true;
	return false;
}

int ptrace_set_ptracer(struct task *t, uint64_t arg)
{
	struct kernel *k = t->k;
	int r = 0;
	vmutex_lock(&k->tasks_lock);
	if (arg == 0)
		t->tg->ptracer_allowed = 0;
	else if (arg == (uint64_t)-1)
		t->tg->ptracer_allowed = -1;
	else if (arg > 0x7fffffff || !kernel_find_task_locked(k, (int)arg))
		r = -EINVAL;
	else
		t->tg->ptracer_allowed = (int)arg;
	vmutex_unlock(&k->tasks_lock);
	return r;
}

static int64_t attach(struct task *t, int pid, bool seize, uint64_t addr, uint64_t flags)
{
	if (seize && (addr != 0 || (flags & ~(uint64_t)PTRACE_O_MASK)))
		return -EIO;
	if (seize && (flags & PTRACE_O_SUSPEND_SECCOMP) && !creds_capable(t->creds, CAP_SYS_ADMIN))
		return -EPERM;
	struct kernel *k = t->k;
	struct task *x = kernel_get_task(k, pid);
	if (!x)
		return -ESRCH;
	struct creds *tc = task_creds(x);
	int64_t r = 0;
	vmutex_lock(&k->tasks_lock);
	if (x->tg == t->tg || x->exiting || x->tg->zombie || !tc) {
		r = -EPERM;
	} else if (!may_attach_locked(t, x, tc)) {
		r = -EPERM;
	} else if (x->pt.tracer) {
		r = -EPERM;
	} else {
		struct thread_group *tg = x->tg;
		vmutex_lock(&tg->siglock);
		x->pt.tracer_tid = t->tid;
		x->pt.tracer_capable = creds_capable(t->creds, 19 /* CAP_SYS_PTRACE */);
		x->pt.options = seize ? (uint32_t)flags : 0;
		x->pt.seized = seize;
		x->pt.mode = PTRACE_RESUME_CONT;
		memset(x->pt.debugreg, 0, sizeof(x->pt.debugreg));
		__atomic_store_n(&x->pt.tracer, t->tg, __ATOMIC_RELEASE);
		/* A stopped process traps again to report its stop. */
		if (tg->stopped) {
			x->group_stop_pending = true;
			task_kick(x);
		}
		vmutex_unlock(&tg->siglock);
		if (!seize) {
			siginfo_t info;
			memset(&info, 0, sizeof(info));
			info.si_signo = SIGSTOP;
			info.si_code = SI_KERNEL;
			task_signal_send_info(x, &info, false);
		}
	}
	vmutex_unlock(&k->tasks_lock);
	if (tc)
		creds_put(tc);
	task_put(x);
	return r;
}

/* Under x's siglock: resume a stopped tracee. */
static void resume_locked(struct task *x, enum ptrace_resume_mode mode, int sig)
{
	x->pt.mode = mode;
	x->pt.resume_sig = sig;
	x->pt.stopped = false;
	x->pt.waitable = false;
	x->pt.listening = false;
	task_wake(x);
}

static bool valid_sig(uint64_t data) { return data <= VISOR_NSIG; }

int64_t ptrace_request(struct task *t, long req, int pid, uint64_t addr, uint64_t data)
{
	if (req == PTRACE_TRACEME)
		return traceme(t);
	if (req == PTRACE_ATTACH || req == PTRACE_SEIZE)
		return attach(t, pid, req == PTRACE_SEIZE, addr, data);
	struct task *x = kernel_get_task(t->k, pid);
	if (!x)
		return -ESRCH;
	struct thread_group *tg = x->tg;
	vmutex_lock(&tg->siglock);
	bool ours = x->pt.tracer == t->tg && !x->exiting;
	bool stopped = x->pt.stopped;
	bool seized = x->pt.seized;
	vmutex_unlock(&tg->siglock);
	int64_t r = -ESRCH;
	if (!ours)
		goto out;
	if (req == PTRACE_KILL) {
		signal_group_exit(tg, SIGKILL);
		r = 0;
		goto out;
	}
	if (req == PTRACE_INTERRUPT) {
		if (!seized) {
			r = -EIO;
			goto out;
		}
		vmutex_lock(&tg->siglock);
		if (x->pt.stopped) {
			if (x->pt.listening)
				retrap_locked(x, tg->stopped ? tg->stop_sig : SIGTRAP);
		} else {
			x->pt.trap_stop = true;
			task_kick(x);
		}
		vmutex_unlock(&tg->siglock);
		r = 0;
		goto out;
	}
	if (!stopped)
		goto out;

	switch (req) {
	case PTRACE_PEEKTEXT:
	case PTRACE_PEEKDATA: {
		uint64_t v;
		r = tracee_mem(t, x, addr, &v, sizeof(v), false);
		if (r < 0)
			r = -EIO;
		else if (task_copy_out(t, data, &v, sizeof(v)) < 0)
			r = -EFAULT;
		break;
	}
	case PTRACE_POKETEXT:
	case PTRACE_POKEDATA:
		r = tracee_mem(t, x, addr, &data, sizeof(data), true);
		if (r < 0)
			r = -EIO;
		break;
	case PTRACE_PEEKUSER:
		r = peek_user(t, x, addr, data);
		break;
	case PTRACE_POKEUSER:
		r = poke_user(x, addr, data);
		break;
	case PTRACE_GETREGS:
		r = task_copy_out(t, data, &x->regs, sizeof(x->regs)) < 0 ? -EFAULT : 0;
		break;
	case PTRACE_SETREGS: {
		plat_regs_t nr;
		if (task_copy_in(t, &nr, data, sizeof(nr)) < 0) {
			r = -EFAULT;
			break;
		}
		r = set_regs(x, &nr, sizeof(nr));
		break;
	}
	case PTRACE_GETFPREGS:
		r = get_fpregs(t, x, data);
		break;
	case PTRACE_SETFPREGS: {
		struct user_fpregs_struct nfx;
		if (task_copy_in(t, &nfx, data, sizeof(nfx)) < 0) {
			r = -EFAULT;
			break;
		}
		r = set_fpregs(t, x, &nfx, sizeof(nfx));
		break;
	}
	case PTRACE_GETREGSET:
	case PTRACE_SETREGSET:
		r = regset(t, x, req == PTRACE_SETREGSET, addr, data);
		break;
	case PTRACE_GETSIGINFO: {
		vmutex_lock(&tg->siglock);
		bool has = x->pt.has_siginfo;
		siginfo_t si = x->pt.siginfo;
		vmutex_unlock(&tg->siglock);
		if (!has)
			r = -EINVAL;
		else
			r = task_copy_out(t, data, &si, sizeof(si)) < 0 ? -EFAULT : 0;
		break;
	}
	case PTRACE_SETSIGINFO: {
		siginfo_t si;
		if (task_copy_in(t, &si, data, sizeof(si)) < 0) {
			r = -EFAULT;
			break;
		}
		vmutex_lock(&tg->siglock);
		if (!x->pt.has_siginfo) {
			r = -EINVAL;
		} else {
			x->pt.siginfo = si;
			r = 0;
		}
		vmutex_unlock(&tg->siglock);
		break;
	}
	case PTRACE_PEEKSIGINFO:
		r = peek_siginfo(t, x, addr, data);
		break;
	case PTRACE_GETEVENTMSG: {
		uint64_t msg = x->pt.msg;
		r = task_copy_out(t, data, &msg, sizeof(msg)) < 0 ? -EFAULT : 0;
		break;
	}
	case PTRACE_SETOPTIONS:
		if (data & ~(uint64_t)PTRACE_O_MASK) {
			r = -EINVAL;
		} else if ((data & PTRACE_O_SUSPEND_SECCOMP) &&
			   !creds_capable(t->creds, CAP_SYS_ADMIN)) {
			r = -EPERM;
		} else {
			vmutex_lock(&t->k->tasks_lock);
			vmutex_lock(&tg->siglock);
			x->pt.options = (uint32_t)data;
			vmutex_unlock(&tg->siglock);
			vmutex_unlock(&t->k->tasks_lock);
			r = 0;
		}
		break;
	case PTRACE_GET_SYSCALL_INFO:
		r = syscall_info(t, x, addr, data);
		break;
	case PTRACE_GETSIGMASK:
	case PTRACE_SETSIGMASK: {
		if (addr != sizeof(sigset64_t)) {
			r = -EINVAL;
			break;
		}
		sigset64_t m;
		if (req == PTRACE_GETSIGMASK) {
			vmutex_lock(&tg->siglock);
			m = x->sigmask;
			vmutex_unlock(&tg->siglock);
			r = task_copy_out(t, data, &m, sizeof(m)) < 0 ? -EFAULT : 0;
		} else if (task_copy_in(t, &m, data, sizeof(m)) < 0) {
			r = -EFAULT;
		} else {
			vmutex_lock(&tg->siglock);
			x->sigmask = m & ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP));
			x->restore_sigmask = false;
			vmutex_unlock(&tg->siglock);
			r = 0;
		}
		break;
	}
	case PTRACE_ARCH_PRCTL:
		r = arch_prctl(t, x, data, addr);
		break;
	case PTRACE_SINGLESTEP:
	case PTRACE_CONT:
	case PTRACE_SYSCALL:
	case PTRACE_SYSEMU:
	case PTRACE_SYSEMU_SINGLESTEP: {
		if (!valid_sig(data)) {
			r = -EIO;
			break;
		}
		enum ptrace_resume_mode m = PTRACE_RESUME_CONT;
		if (req == PTRACE_SYSCALL)
			m = PTRACE_RESUME_SYSCALL;
		else if (req == PTRACE_SINGLESTEP)
			m = PTRACE_RESUME_STEP;
		else if (req == PTRACE_SYSEMU)
			m = PTRACE_RESUME_SYSEMU;
		else if (req == PTRACE_SYSEMU_SINGLESTEP)
			m = PTRACE_RESUME_SYSEMU_STEP;
		vmutex_lock(&tg->siglock);
		resume_locked(x, m, (int)data);
		vmutex_unlock(&tg->siglock);
		r = 0;
		break;
	}
	case PTRACE_LISTEN:
		vmutex_lock(&tg->siglock);
		if (!seized || x->pt.kind != PTRACE_STOP_EVENT ||
		    (x->pt.status >> 16) != PTRACE_EVENT_STOP) {
			r = -EIO;
		} else {
			x->pt.listening = true;
			x->pt.waitable = false;
			/* The group stop already ended: trap again at once. */
			if (!tg->stopped)
				retrap_locked(x, SIGTRAP);
			r = 0;
		}
		vmutex_unlock(&tg->siglock);
		break;
	case PTRACE_DETACH:
		if (!valid_sig(data)) {
			r = -EIO;
			break;
		}
		vmutex_lock(&t->k->tasks_lock);
		if (x->pt.tracer == t->tg)
			detach_locked(x, (int)data);
		vmutex_unlock(&t->k->tasks_lock);
		r = 0;
		break;
	default:
		r = -EIO;
		break;
	}
out:
	task_put(x);
	return r;
}
