/*
 * ptrace.h — ptrace(2) inside the sandbox: one task tracing another, served
 * entirely by the Sentry (the platform's own use of host ptrace is unrelated).
 *
 * The tracer is a thread group (its tid is kept for TracerPid); the tracee is
 * a task.  The links (tracer) change under k->tasks_lock and the tracee's
 * siglock both, so either lock is enough to read them; the stop state below
 * is under the tracee's group siglock.
 *
 * A tracee stops on its own thread (ptrace_stop): it publishes the wait
 * status, tells the tracer (SIGCHLD, the tracer's child_wq), and sleeps until
 * the tracer resumes it, detaches, or the group dies.  While it sleeps, the
 * tracer reads and writes its registers directly (the tracee does not run);
 * what only the tracee's own thread may touch (its platform context: FPU
 * state; its address space on the platform: a write to read-only text breaks
 * copy-on-write and remaps) the tracer hands to it as a request, which the
 * stopped tracee runs and completes.
 */
#ifndef VISOR_SENTRY_PTRACE_H
#define VISOR_SENTRY_PTRACE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

struct task;
struct thread_group;
struct kernel;
struct ptrace_req;

/* What kind of ptrace-stop a tracee is in (PTRACE_GET_SYSCALL_INFO). */
enum ptrace_stop_kind {
	PTRACE_STOP_NONE = 0,
	PTRACE_STOP_SIGNAL, /* signal-delivery-stop */
	PTRACE_STOP_SYSCALL_ENTRY,
	PTRACE_STOP_SYSCALL_EXIT,
	PTRACE_STOP_EVENT, /* PTRACE_EVENT_* (incl. group-stop when seized) */
	PTRACE_STOP_GROUP, /* group-stop */
};

enum ptrace_resume_mode {
	PTRACE_RESUME_CONT,
	PTRACE_RESUME_SYSCALL,
	PTRACE_RESUME_STEP,
	PTRACE_RESUME_SYSEMU,	   /* stop at the next syscall's entry and skip it */
	PTRACE_RESUME_SYSEMU_STEP, /* that, single-stepping */
};

struct task_ptrace {
	struct thread_group *tracer; /* NULL when not traced */
	int tracer_tid;
	/* The tracer had CAP_SYS_PTRACE when it attached (Linux's ptracer_cred):
	 * only then may a traced exec gain privilege (set-id files). */
	bool tracer_capable;
	uint32_t options; /* PTRACE_O_* */
	bool seized;
	/* Under the tracee's siglock: */
	bool stopped;	/* in a ptrace-stop */
	bool waitable;	/* a stop the tracer has not collected by wait */
	bool listening; /* PTRACE_LISTEN: stopped, re-traps on SIGCONT/INTERRUPT */
	bool notify;	/* tell the tracer again (a re-trap while stopped) */
	bool trap_stop; /* PTRACE_INTERRUPT / a seize: stop at the next chance */
	int status;	/* the wait status of the stop */
	enum ptrace_stop_kind kind;
	enum ptrace_resume_mode mode;
	int resume_sig;		/* the signal the tracer resumed with (or the stop's) */
	siginfo_t siginfo;	/* GETSIGINFO / SETSIGINFO of the stop */
	bool has_siginfo;	/* false at a legacy group-stop: GETSIGINFO gives EINVAL */
	uint64_t msg;		/* PTRACE_GETEVENTMSG */
	struct ptrace_req *req; /* work for the stopped tracee's own thread */
	uint64_t debugreg[8];	/* u_debugreg: stored, never armed (see ptrace.c) */
};

/* Task loop hooks, on the tracee's own thread with no lock held. */
/* A syscall is about to run: the syscall-entry-stop when traced with
 * PTRACE_SYSCALL.  Returns true when the syscall must be skipped (the tracer
 * set orig_rax to -1); rax then holds its result. */
bool ptrace_syscall_entry(struct task *t);
/* The syscall's result is in rax: the syscall-exit-stop. */
void ptrace_syscall_exit(struct task *t);
/* execve succeeded (old_tid: the tid before it): PTRACE_EVENT_EXEC or the
 * legacy SIGTRAP. */
void ptrace_exec(struct task *t, int old_tid);
/* The task is exiting with status (PTRACE_EVENT_EXIT). */
void ptrace_exit_event(struct task *t, int status);
/* Signal delivery: the signal-delivery-stop.  Returns the signal to deliver
 * (0: none), with *info as the tracer left it.  Called only when traced. */
int ptrace_signal_stop(struct task *t, int sig, siginfo_t *info);
/* A trap the tracer asked for (INTERRUPT, a seize, a new auto-attached
 * child) or a group-stop to report: the PTRACE_EVENT_STOP / group stop. */
void ptrace_trap(struct task *t, bool group_stopped, int stop_sig);
/* clone, under k->tasks_lock as c is linked in (before it starts): c
 * inherits tracing as PTRACE_O_TRACE{FORK,VFORK,CLONE} or CLONE_PTRACE ask
 * (flags: clone's, CLONE_UNTRACED included); returns the PTRACE_EVENT to
 * report in the parent once the child is started (0: none). */
int ptrace_clone_child_locked(struct task *parent, struct task *c, uint64_t flags);
/* The parent's event stop for a clone (eventmsg: the new pid). */
void ptrace_clone_event(struct task *t, int event, int pid);
/* PTRACE_EVENT_VFORK_DONE. */
void ptrace_vfork_done(struct task *t, int pid);

/* Under k->tasks_lock (exit.c): task t is gone; leave its exit for the tracer
 * to collect (unless the tracer is the real parent and t the group's last
 * thread: the parent's zombie carries it) and unlink it. */
void ptrace_task_exit_locked(struct task *t, int status, bool group_last);
/* Under k->tasks_lock: group tg is gone: detach (or kill, EXITKILL) every
 * tracee it had and drop its uncollected exits. */
void ptrace_tracer_exit_locked(struct kernel *k, struct thread_group *tg);
/* Under k->tasks_lock (task_wait): report a tracee of self that matches the
 * wait; sets *live when some tracee could still report.  Returns its tid, or
 * 0 when none has anything to report. */
int ptrace_wait_locked(struct kernel *k, struct thread_group *self, int idtype, int id, int options,
		       int *status, siginfo_t *info, bool *live);
/* Under k->tasks_lock: is the group's leader traced by tracer (its stops are
 * reported through ptrace, not as its parent's WUNTRACED)? */
bool ptrace_traced_by_locked(struct thread_group *c, struct thread_group *tracer);
/* Under tg->siglock (SIGCONT): listening tracees of tg trap again. */
void ptrace_sigcont_locked(struct thread_group *tg);
/* The tid of t's tracer, 0 when untraced (TracerPid), under tasks_lock. */
int ptrace_tracer_pid_locked(const struct task *t);

/* prctl(PR_SET_PTRACER, arg) for t's process: 0, or -EINVAL for a pid that
 * does not exist. */
int ptrace_set_ptracer(struct task *t, uint64_t arg);

/* /proc/PID/mem: t reads or writes len bytes of process pid's memory at
 * addr, as a debugger (FOLL_FORCE).  Returns the bytes done (0 once the
 * process is gone), -EIO when none could be, -EACCES when t may not attach
 * pid.  A write to another process is done only while it is t's stopped
 * tracee (by its own thread); otherwise -EIO. */
ssize_t ptrace_access_mem(struct task *t, int pid, uint64_t addr, void *buf, size_t len,
			  bool write);

/* ptrace(2) itself: the request, the pid, addr and data as given. */
int64_t ptrace_request(struct task *t, long req, int pid, uint64_t addr, uint64_t data);

#endif
