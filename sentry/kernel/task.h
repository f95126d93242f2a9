/*
 * task.h — tasks (app threads), thread groups (processes) and credentials.
 *
 * One Sentry host thread runs each task: it loops delivering signals,
 * switching into app code through the platform, and dispatching what comes
 * back (syscall, fault, signal, interrupt).  `struct task` is shared with
 * the subsystems a syscall reaches (vfs, mm, signals), so its fields are
 * public; only the task's own thread changes the fields marked [own].
 */
#ifndef VISOR_SENTRY_TASK_H
#define VISOR_SENTRY_TASK_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

#include "lib/lockdep.h"
#include "platform/platform.h"
#include "sentry/kernel/ptrace.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/wait.h"

struct kernel;
struct mm;
struct fd_table;     /* sentry/vfs/vfs.h */
struct fs_context;   /* sentry/vfs/vfs.h: root, cwd, umask */
struct thread_group;
struct sem_undo_list;
struct ipc_ns;

/* Linux's internal restart codes: a syscall returns them when a signal
 * interrupted it; the signal code turns them into EINTR or a restart. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define VISOR_NSIG 64
typedef uint64_t sigset64_t; /* bit (sig-1) */

struct creds {
	_Atomic int refs;
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	int ngroups;
	uint32_t *groups;
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding;
	bool no_new_privs;
	uint32_t securebits; /* SECBIT_* (PR_SET_KEEPCAPS) */
};
struct creds *creds_new_root(void);
struct creds *creds_dup(const struct creds *c); /* a private copy to change */
void creds_get(struct creds *c);
void creds_put(struct creds *c);
/* Has CAP (linux/capability.h number) in the effective set. */
bool creds_capable(const struct creds *c, int cap);
bool creds_in_group(const struct creds *c, uint32_t gid);
/* c's real uid and gid equal every uid and gid of tc (real, effective,
 * saved): the same-user test of Linux's ptrace_may_access and
 * check_prlimit_permission. */
bool creds_ids_match(const struct creds *c, const struct creds *tc);
uint32_t creds_securebits(const struct creds *c);
void creds_set_securebits(struct creds *c, uint32_t bits);
/* What an executed file contributes to the credentials: its set-id bits
 * and owner (when its mount allows them), and whether the exec is traced. */
struct exec_file_ids {
	bool setuid, setgid;
	uint32_t uid, gid;
	bool traced, tracer_capable; /* tracer_capable: had CAP_SYS_PTRACE at attach */
};
/* The credentials after execve (Linux's capability rules for a file without
 * file capabilities; set-id bits applied; keep-caps cleared).  NULL when out
 * of memory.  creds_for_exec: a plain file (ids NULL). */
struct creds *creds_for_exec_file(const struct creds *old, const struct exec_file_ids *ids);
struct creds *creds_for_exec(const struct creds *old);
/* The exec from old to new credentials changes privilege (AT_SECURE). */
bool creds_exec_is_secure(const struct creds *old, const struct creds *new);
/* A counted reference to t's current credentials (creds_put to drop), or
 * NULL; safe for another thread's task (read under its group's lock). */
struct creds *task_creds(struct task *t);
/* Publish new credentials for t (t's own thread) and drop the old ones. */
void task_commit_creds(struct task *t, struct creds *new);

struct sigpending {
	sigset64_t set;
	siginfo_t info[VISOR_NSIG]; /* one queued siginfo per standard signal */
	/* real-time signals may queue several */
	struct rt_queued *rt_head;
};

struct task {
	int tid;                /* in the sandbox's pid namespace */
	struct kernel *k;
	struct thread_group *tg;
	struct mm *mm;          /* [own] */
	struct fd_table *fdt;   /* [own] */
	struct fs_context *fs;  /* [own] */
	struct creds *creds;    /* [own]: replaced, never changed in place */
	char comm[16];

	plat_regs_t regs;       /* [own] app registers while in the Sentry */
	struct context *ctx;    /* platform context, owned by this thread */
	pthread_t thread;

	/* signals: mask, pending and sigaltstack are protected by tg->siglock */
	sigset64_t sigmask;
	sigset64_t saved_sigmask;   /* for sigsuspend/ppoll/pselect */
	bool restore_sigmask;
	struct sigpending pending;
	stack_t altstack;

	uint64_t clear_child_tid;   /* set_tid_address / CLONE_CHILD_CLEARTID */
	uint64_t robust_list, robust_len;

	bool in_syscall;            /* rax holds a syscall result (restart rules apply) */
	bool regs_partial;          /* regs are partial (plat_event.partial): see task_regs_full */
	uint64_t child_settid;      /* CLONE_CHILD_SETTID address, written by the child */
	bool fpregs_pending;        /* fpregs below go to the context before first run */
	plat_fpregs_t fpregs;
	int pdeathsig;              /* prctl(PR_SET_PDEATHSIG) */
	struct sem_undo_list *sysvsem; /* [own] SEM_UNDO adjustments (sentry/ipc/ipc.h) */
	struct ipc_ns *ipc_ns;  /* [own] a reference, or NULL for the kernel's (k->ipc) */
	/* seccomp(2) (seccomp.c): the mode and the filter chain, replaced
	 * by the task or under tg->siglock (TSYNC); read with atomics. */
	int seccomp_mode;
	struct seccomp_filter *seccomp;
	/* Scheduling attributes (sched.c), under tg->siglock. */
	int sched_policy;           /* SCHED_OTHER (0), FIFO, RR, BATCH, IDLE */
	int sched_priority;         /* 1..99 for FIFO and RR, else 0 */
	int sched_nice;             /* -20..19 */
	bool sched_reset_on_fork;
	/* sched_setaffinity's mask, within the host's (sched.c); all of the
	 * host's CPUs while affinity_set is false. */
	bool affinity_set;
	uint64_t affinity[SCHED_AFFINITY_WORDS];
	int ioprio;                 /* ioprio_set's value; 0: none set */
	/* set_mempolicy (sys_memcalls.c) [own]: the mode with its flags and
	 * the node mask (one node here); inherited by clone, kept by execve. */
	int mempolicy_mode;
	uint64_t mempolicy_nodes;
	/* The UTS namespace (ns.c), NULL for the sandbox's first one;
	 * replaced by unshare under k->tasks_lock. */
	struct uts_ns *uts_ns;

	/* Wake-ups (wait.c): any thread sets TASK_WAKE_PENDING, the task's
	 * own thread sets and clears the bit of the sleep it is in; a sleep
	 * with no host fd is a FUTEX_WAIT on this word. */
	_Atomic uint32_t wake_word;
	/* Host wake-ups of this task in flight (wait.c: deferred past a
	 * waker's lock); task_free waits until there are none. */
	_Atomic uint32_t wake_refs;
	int wake_efd;               /* eventfd: wakes a sleep on a host fd (wait.c) */
	/* The waker's platform cpu_hint, set by a task_wake that found the
	 * task asleep, taken (-1) by the task as it wakes (context_woken). */
	_Atomic int waker_cpu;
	atomic_bool asleep;         /* in a wait.c sleep: /proc shows S, else R */
	_Atomic uint64_t run_start_ns; /* host monotonic ns the app code started, 0: not running */
	uint64_t blocked_ns;        /* [own] time slept in task_block: not CPU time */
	_Atomic uint64_t cpu_ns;    /* this thread's user + system time (its CPU clock's timers) */
	_Atomic int interrupted;    /* a signal or exit wants attention */
	bool exiting;
	int exit_code;              /* wait status for thread exit */

	/* restart_syscall(2) */
	int64_t (*restart_fn)(struct task *t);
	uint64_t restart_arg[4];

	struct task *tg_next, *tg_prev; /* threads of the group, under k->tasks_lock */
	struct task *next_all;          /* all tasks of the kernel */
	int refs;                       /* under k->tasks_lock: lookups (kernel_get_task) */
	bool released;                  /* under k->tasks_lock: off the lists; freed at refs == 0 */
	struct vfork_done *vfork_done;
	struct initial_exec *initial_exec; /* the first process: exec on its own thread */

	struct task_ptrace pt;          /* ptrace.h: tracer link and ptrace-stop state */
	bool group_stop_pending;        /* under siglock: a group stop this thread has not taken */
};

/* What a spawned task execs on its own thread before it first runs; the
 * spawner waits for `done` and reads `result`. */
struct initial_exec {
	const char *path; /* path_owned, or argv[0] */
	char *path_owned;
	char **argv; /* malloc'd array of malloc'd strings, NULL-terminated */
	int argc;
	char **envp;
	int envc;
	struct vmutex lock;
	pthread_cond_t cond;
	bool done;
	int result;
	bool hold;   /* after exec, wait until released (OCI create/start) */
	bool released;
};

/* The task this host thread runs (NULL on service threads). */
extern __thread struct task *current;

/* Copy app memory of the task (thin wrappers over mm_copy_*). */
/* Page faults of app code the platform reported so far, in every task (the
 * Sentry logs the count at exit). */
uint64_t task_fault_count(void);
int task_copy_in(struct task *t, void *dst, uint64_t src, size_t len);
int task_copy_out(struct task *t, uint64_t dst, const void *src, size_t len);
ssize_t task_copy_string_in(struct task *t, char *dst, uint64_t src, size_t max);

/* Is a signal pending that is not blocked (or must the task die)? */
bool task_signal_pending(struct task *t);

/* t's registers in full, before anything reads or writes more of them than
 * an app syscall's number, arguments, rip and result (a signal frame, a
 * ptrace stop): after an event with partial registers, the platform fills
 * in the rest.  t is current.  A stub that died meanwhile: the group is
 * killed (as a failed switch would). */
void task_regs_full(struct task *t);

#endif
