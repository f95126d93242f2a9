/*
 * kernel.h — one sandbox's kernel: the task set, pids, thread groups, the
 * platform and the memory file, the UTS names and the clocks.
 *
 * Locks: k->tasks_lock and tg->siglock, in the order of sentry/LOCKING.md.
 */
#ifndef VISOR_SENTRY_KERNEL_H
#define VISOR_SENTRY_KERNEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <time.h>

#include "lib/lockdep.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"

struct memfile;
struct platform;
struct vdso;
struct gofer_client;
struct file;
struct sock_filter;
struct tty_kernel_ops;
struct tty_session;
struct ipc_ns;
struct ptimer;

/* A kernel-side sigaction (the app's struct sigaction, x86_64 layout). */
struct k_sigaction {
	uint64_t handler; /* SIG_DFL = 0, SIG_IGN = 1, else an app address */
	uint64_t flags;
	uint64_t restorer;
	sigset64_t mask;
};

struct thread_group {
	int tgid;
	struct kernel *k;
	struct task *leader;
	struct task *threads;         /* list via task->tg_next, under k->tasks_lock */
	int nthreads;                 /* live (not yet exited) threads */
	struct thread_group *parent;  /* under k->tasks_lock */
	struct thread_group *children, *sibling;
	int pgid, sid;

	/* siglock protects: actions, shared_pending, every thread's sigmask,
	 * pending and altstack, and the exit/stop state below. */
	struct vmutex siglock;
	struct k_sigaction actions[VISOR_NSIG];
	struct sigpending shared_pending;
	int nqueued;                  /* signals queued on it and its threads (RLIMIT_SIGPENDING) */
	bool group_exiting;
	int group_exit_status;        /* wait status once group_exiting */
	bool stopped;                 /* group stop (SIGSTOP and friends) */
	int stop_sig;                 /* the signal that stopped it */
	bool stop_waitable;           /* a stop wait(WUNTRACED) has not collected */
	bool cont_waitable;           /* a continue wait(WCONTINUED) has not collected */
	bool stop_notify, cont_notify; /* parent SIGCHLD still to send (outside siglock) */
	bool fault_killable;          /* init: a forced fault signal may kill it */
	/* prctl (tg_attrs.c): PR_SET_DUMPABLE's value, under siglock (1 again
	 * at execve; inherited by fork as Linux's mm flags are), and
	 * PR_SET_CHILD_SUBREAPER, under k->tasks_lock (orphans below it go to
	 * it, not to init). */
	int dumpable;
	bool child_subreaper;
	/* /proc/PID/oom_score_adj (-1000..1000): the OOM killer's bias
	 * (kernel/oom.c); atomic; inherited by fork, kept by execve. */
	int oom_score_adj;
	int oom_score_adj_min; /* the lowest an unprivileged writer may set */
	/* membarrier(2) registrations (tg_attrs.c), Linux's per-mm
	 * MEMBARRIER_STATE_* bits; under siglock, copied by fork (as dup_mm),
	 * cleared by execve. */
	unsigned membarrier_state;

	bool zombie;                  /* all threads exited; waiting to be reaped */
	int exit_status;              /* wait(2) status word */
	int exit_signal;              /* signal sent to the parent at exit (SIGCHLD) */
	struct waitq child_wq;        /* notified when a child changes state */
	struct waitq signalfd_wq;     /* notified (POLLIN) when a signal is queued */
	struct waitq pidfd_wq;        /* notified when it becomes a zombie and when reaped */

	struct rlimit rlimits[RLIM_NLIMITS]; /* under siglock */
	/* POSIX timers and the CPU-time itimers (ptimer.c), under siglock. */
	struct ptimer *ptimers;
	int nptimers, ptimer_next_id;
	bool ptimers_closed;          /* exited: no new timers */
	struct ptimer *itimers[2];    /* ITIMER_VIRTUAL, ITIMER_PROF */
	uint64_t start_ns;            /* CLOCK_MONOTONIC at creation */
	uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns;
	/* /proc/PID/io: the read and write family's calls and bytes (sys_rw.c),
	 * updated with __atomic adds by the group's threads. */
	uint64_t io_rchar, io_wchar, io_syscr, io_syscw, io_write_bytes;
	char *cmdline;                /* argv joined with NULs, for /proc/PID/cmdline */
	size_t cmdline_len;
	char *environ;                /* envp joined with NULs, for /proc/PID/environ */
	size_t environ_len;
	/* The executable mapped by the last execve (a file reference), under
	 * k->tasks_lock; dropped when the group becomes a zombie, as Linux's
	 * mm->exe_file goes with the mm.  /proc/PID/exe is a magic link to it. */
	struct file *exe_file;
	int refs;                     /* under k->tasks_lock: lookups keep reaped groups alive */
	bool reaped;                  /* wait(2) collected it; freed at refs == 0 */
	/* Exits of tasks this group traced, for its wait (ptrace.c), under
	 * k->tasks_lock. */
	struct ptrace_zombie *ptrace_zombies;
	/* The auxiliary vector of the last execve (/proc/PID/auxv), a malloc'd
	 * copy under k->tasks_lock, as Linux's mm->saved_auxv. */
	uint64_t *auxv;
	size_t auxv_len;
	/* prctl(PR_SET_PTRACER): who else may attach (Yama): 0 nobody, -1
	 * anyone, else a pid whose process and descendants may; under
	 * k->tasks_lock. */
	int ptracer_allowed;
};

struct kernel {
	struct platform *plat;
	struct memfile *mf;
	struct gofer_client *gofer;

	struct vmutex tasks_lock;   /* the task set: pids, lists, parent links */
	struct task *all_tasks;       /* via task->next_all */
	int last_pid;
	int ntasks;
	struct thread_group *init;    /* pid 1 */

	char hostname[65];
	char domainname[65];
	struct timespec boot_mono;    /* host CLOCK_MONOTONIC at uptime 0 (~10 s before start) */
	/* The vDSO every process image gets, whose clock the time syscalls
	 * read too (sentry/vdso/); NULL: none, the host's clocks. */
	struct vdso *vdso;
	/* The limits a new process starts with: the Sentry's own, which the
	 * runtime inherited from the shim, as runc's container init does. */
	struct rlimit default_rlimits[RLIM_NLIMITS];

	/* Controlling terminals (tty.c): the ops terminals call, and the
	 * terminals that control a session (under tasks_lock); the console. */
	const struct tty_kernel_ops *tty_kops;
	struct tty_session *ttys;
	struct file *console;

	/* System V IPC (sentry/ipc/ipc.h): the sandbox's namespace, made on
	 * first use (ipc_ns_of); set once, then only read. */
	struct ipc_ns *ipc;

	bool strace;                  /* log every syscall */
	/* The container's seccomp profile (OCI linux.seccomp, compiled by the
	 * runtime): installed on every spawned process before its first
	 * instruction (spawn.c); set at boot, then only read.  NULL: none. */
	const struct sock_filter *oci_seccomp;
	unsigned int oci_seccomp_len;
	unsigned int oci_seccomp_flags; /* SECCOMP_FILTER_FLAG_LOG */
	struct fs_context *root_fs;   /* the container's root, cwd "/": spawns copy it */
	pthread_cond_t spawn_cond;    /* with tasks_lock: a parentless process exited */
	struct spawn_rec *spawns;     /* spawned processes not yet waited for */
	/* Set once the init process is gone and every task has exited. */
	struct vmutex done_lock;
	pthread_cond_t done_cond;
	bool done;
	int init_status;              /* init's wait status */
};

struct kernel *kernel_new(struct platform *plat, struct memfile *mf);
void kernel_free(struct kernel *k);

/*
 * The task set, for the layers above (syscalls, procfs, the control server):
 * lookups by pid in the sandbox's namespace that return a reference, and
 * walks.  Nothing above sentry/kernel/ takes k->tasks_lock or a siglock: it
 * calls these, or a kernel function that does the locked work.
 */
/* The process pid (a thread group, zombies included), with a reference
 * (tg_put to drop), or NULL.  A reference keeps the struct, not the process:
 * once reaped, tg->reaped is set and its leader is gone. */
struct thread_group *kernel_get_tg(struct kernel *k, int pid);
void tg_put(struct thread_group *tg);
/* The thread tid, with a reference that also holds its group (task_put to
 * drop), or NULL.  An exited task stays readable (tid, tg, robust_list...)
 * until the last reference goes; read its creds with task_creds. */
struct task *kernel_get_task(struct kernel *k, int tid);
void task_put(struct task *t);
/* Is thread tid in the task set? */
bool kernel_task_exists(struct kernel *k, int tid);
/* Call fn on every thread group in the task set (zombies included), newest
 * first; a nonzero return stops the walk and is returned.  fn runs under
 * k->tasks_lock: it may read the group's fields and its threads, take
 * references (mm_get...) and send signals, but must not take tasks_lock,
 * block, or drop a file or fd table reference. */
int kernel_for_each_tg(struct kernel *k, int (*fn)(struct thread_group *tg, void *arg), void *arg);
/* How many tasks (threads) are alive: sysinfo's procs count. */
static inline int kernel_nr_tasks(struct kernel *k)
{
	return __atomic_load_n(&k->ntasks, __ATOMIC_RELAXED);
}
/* The pid of tg's parent, 0 if it has none (a spawned process). */
int tg_ppid(struct thread_group *tg);

void tg_free(struct thread_group *tg);
int kernel_alloc_pid_locked(struct kernel *k);
/* Under tasks_lock: as Linux's will_become_orphaned_pgrp — no member of
 * the group has a parent in another group of the same session. */
bool kernel_pgrp_orphaned_locked(struct kernel *k, int pgid, int sid);

/* Nanoseconds since boot on CLOCK_MONOTONIC. */
uint64_t kernel_uptime_ns(struct kernel *k);


/* Signals (signal.c). */
int task_signal_send(struct task *t, int sig); /* SI_KERNEL-style, to one thread */
int task_signal_send_info(struct task *t, const siginfo_t *info, bool group);
int tg_signal_send(struct thread_group *tg, const siginfo_t *info);
/* From outside the sandbox (visor kill, docker stop): may kill init. */
int tg_signal_send_external(struct thread_group *tg, const siginfo_t *info);
/* Deliver one pending signal, if any, before returning to app code. */
void task_deliver_signals(struct task *t);
/* Force a synchronous signal (fault): unblocks and resets to default if ignored. */
void task_force_signal(struct task *t, const siginfo_t *info);
void task_set_sigmask_for_wait(struct task *t, sigset64_t mask);

/* kill(2) from sender (kill.c): pid > 0 is one process, 0 the sender's
 * process group, -1 every process but init and the sender's own, < -1 the
 * group -pid.  info is queued as given (si_signo 0: the checks only).  As
 * Linux's kill_something_info: -ESRCH when nothing matched, -EPERM when no
 * match could be signalled for lack of permission (kill_ok_by_cred). */
int task_kill(struct task *sender, int pid, const siginfo_t *info);
/* tkill/tgkill: info to thread tid, which must belong to process tgid when
 * tgid > 0.  -ESRCH for no such live thread, -EPERM as task_kill. */
int task_tkill(struct task *sender, int tgid, int tid, const siginfo_t *info);

/* Process groups and sessions (session.c). */
/* setsid(2) for tg: -EPERM if a process group with tg's pid exists, else tg
 * leads a new session and process group; returns the new session id. */
int tg_setsid(struct thread_group *tg);
/* setpgid(2) from t: put process pid into group pgid (both resolved from 0
 * by the caller).  -ESRCH unless pid is t's process or a child of it;
 * -EPERM for a session leader, a process of another session, or a group
 * that does not exist in t's session. */
int task_setpgid(struct task *t, int pid, int pgid);

/* Processes and threads (task.c, exit.c). */
/* fork/vfork/clone: the new task's tid, or -errno (Linux's flag rules). */
int64_t task_clone(struct task *t, uint64_t flags, uint64_t stack, uint64_t parent_tid,
		   uint64_t child_tid, uint64_t tls);
/* wait4/waitid core (idtype P_ALL, P_PID, P_PGID; options as waitid's,
 * with __WCLONE/__WALL; __WNOTHREAD is not told apart): the pid collected,
 * 0 (WNOHANG and only live children with nothing to report), -ECHILD (no
 * eligible child, or only zombies and no WEXITED) or -ERESTARTSYS. */
int64_t task_wait(struct task *t, int idtype, int id, int options, int *status, siginfo_t *info,
		  struct rusage *ru);

/* Exits (exit.c). */
_Noreturn void task_exit(struct task *t, int status);

#endif
