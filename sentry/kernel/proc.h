/*
 * proc.h — what /proc shows of one process, copied out of the kernel under
 * its locks (proc.c) so that procfs formats it without knowing them.
 */
#ifndef VISOR_SENTRY_PROC_H
#define VISOR_SENTRY_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include "sentry/kernel/task.h"

struct kernel;
struct mm;
struct fs_context;
struct fd_table;
struct file;

/* What kernel_proc_snapshot gathers beyond the always-copied fields. */
enum {
	PROC_SNAP_USAGE = 1 << 0,   /* vsize, rss */
	PROC_SNAP_MM = 1 << 1,      /* mm */
	PROC_SNAP_FS = 1 << 2,      /* fs */
	PROC_SNAP_FDT = 1 << 3,     /* fdt */
	PROC_SNAP_CMDLINE = 1 << 4, /* cmdline, cmdline_len */
	PROC_SNAP_EXE = 1 << 5,     /* exe_file */
	PROC_SNAP_AUXV = 1 << 6,    /* auxv, auxv_len */
	PROC_SNAP_ENVIRON = 1 << 7, /* environ, environ_len */
};

/*
 * "The speaking task" is the group's leader (or, while execve makes a new
 * one, any thread): its name, creds and signal state stand for the process,
 * as Linux's /proc/PID shows the thread group leader's.
 */
struct proc_snapshot {
	int tgid, ppid, pgid, sid; /* ppid 0: no parent (spawned from outside) */
	char comm[16];             /* the speaking task's name, "" when none */
	bool zombie, stopped;
	bool running;              /* the speaking task is not asleep (State R) */
	int nthreads;
	int exit_status;           /* the wait status, for a zombie */
	uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns;
	uint64_t io_rchar, io_wchar, io_syscr, io_syscw, io_write_bytes; /* /proc/PID/io */
	uint64_t start_ns;         /* since boot */
	struct creds *creds;       /* a reference to the speaking task's, or NULL */
	int dumpable;              /* PR_GET_DUMPABLE's value */
	sigset64_t sig_pending;    /* the speaking task's own pending set */
	sigset64_t sig_shared;     /* the group's pending set */
	sigset64_t sig_blocked;    /* the speaking task's mask */
	sigset64_t sig_ignored, sig_caught; /* actions SIG_IGN / a handler */
	int seccomp_mode, seccomp_filters;  /* the speaking task's (seccomp.h) */
	int sched_policy, sched_priority, sched_nice; /* the speaking task's (sched.h) */
	struct rlimit rlimits[RLIM_NLIMITS];
	/* Asked for by PROC_SNAP_*; 0 or NULL for a zombie or when absent. */
	uint64_t vsize, rss;       /* bytes */
	uint64_t locked;           /* bytes mlock()ed (with PROC_SNAP_USAGE) */
	struct mm *mm;             /* a reference */
	struct fs_context *fs;     /* a reference */
	struct fd_table *fdt;      /* a reference */
	char *cmdline;             /* argv joined with NULs: a malloc'd copy */
	size_t cmdline_len;
	char *environ;             /* envp joined with NULs: a malloc'd copy */
	size_t environ_len;
	struct file *exe_file;     /* a reference */
	void *auxv;                /* the last execve's auxiliary vector: a malloc'd copy */
	size_t auxv_len;
	int tracer_pid;            /* the speaking task's tracer (TracerPid), 0 if none */
	bool tracing_stop;         /* the speaking task is in a ptrace-stop */
};

/* Fill *s for process pid (want: PROC_SNAP_* bits).  0, -ESRCH (no such
 * process), or -ENOMEM (nothing to release then). */
int kernel_proc_snapshot(struct kernel *k, int pid, unsigned want, struct proc_snapshot *s);
/* The thread ids of process pid (up to max, in tids): how many, 0 when it
 * is gone. */
int kernel_proc_threads(struct kernel *k, int pid, int *tids, int max);
/* May t follow process pid's private links (/proc/PID/exe, cwd, root,
 * fd/N), as Linux's ptrace_may_access with PTRACE_MODE_READ: 0, -EACCES (another user's, or one not
 * dumpable, without CAP_SYS_PTRACE: Docker's default set lacks it), or -ESRCH. */
int kernel_proc_may_read(struct task *t, int pid);
/* Thread tid's name (NUL-terminated, at most 15 bytes), or -ESRCH. */
int kernel_task_comm(struct kernel *k, int tid, char comm[17]);
/* Drop the snapshot's references and copies (with no kernel lock held). */
void proc_snapshot_release(struct proc_snapshot *s);

/* The sandbox's CPU time and tasks, for /proc/stat: the CPU time of every
 * live process with what its reaped children used, the threads not asleep
 * (running) and in an uninterruptible sleep (blocked: none here). */
struct kernel_cpu_stats {
	uint64_t user_ns, system_ns;
	int running, blocked;
};
void kernel_cpu_stats(struct kernel *k, struct kernel_cpu_stats *out);

#endif
