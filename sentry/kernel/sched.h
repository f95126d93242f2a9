/*
 * sched.h — scheduling attributes of tasks (sched.c): policy, real-time
 * priority, nice value, reset-on-fork and the I/O priority, with Linux's
 * range and permission rules (kernel/sched/syscalls.c, block/ioprio.c).
 *
 * The Sentry's host threads all run at the Sentry's own priority: these
 * attributes are recorded and reported (sched_get*, getpriority,
 * /proc/PID/stat) so programs see a coherent Linux, not enforced on the
 * host.  A task's attributes live in struct task, under its group's siglock.
 */
#ifndef VISOR_SENTRY_SCHED_H
#define VISOR_SENTRY_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct task;

#define SCHED_POLICY_DEADLINE 6
#define SCHED_KEEP_POLICY (-1) /* Linux's SETPARAM_POLICY: sched_setparam */

struct sched_attrs {
	int policy;         /* SCHED_OTHER, FIFO, RR, BATCH, IDLE */
	int priority;       /* 1..99 for FIFO and RR, else 0 */
	int nice;           /* -20..19 */
	bool reset_on_fork; /* SCHED_RESET_ON_FORK */
};

/* Thread tid's attributes (0: t itself): 0 or -ESRCH. */
int sched_get(struct task *t, int tid, struct sched_attrs *out);
/* As Linux's __sched_setscheduler from a user: set thread tid's (0: t)
 * policy (SCHED_KEEP_POLICY keeps it and its reset-on-fork flag),
 * priority and, for SCHED_OTHER/BATCH, nice.  -EINVAL for a policy or
 * priority out of range (SCHED_DEADLINE too: not offered), -ESRCH, -EPERM
 * without CAP_SYS_NICE where Linux needs it (RLIMIT_RTPRIO, RLIMIT_NICE,
 * another user's task, clearing reset-on-fork). */
int sched_set(struct task *t, int tid, const struct sched_attrs *want);

/* CPU affinity, recorded and reported as the attributes above (the Sentry's
 * host threads keep the Sentry's mask): a task's mask is a subset of the
 * host's, host (words 64-bit words, at most SCHED_AFFINITY_WORDS), the CPUs
 * the sandbox may use.  get: thread tid's (0: t) mask into out[words];
 * 0 or -ESRCH.  set: as Linux's sched_setaffinity, want & host becomes the
 * mask; -EINVAL when that is empty, -ESRCH, -EPERM for another user's task
 * without CAP_SYS_NICE. */
#define SCHED_AFFINITY_WORDS 16 /* 1024 CPUs */
int sched_affinity_get(struct task *t, int tid, const uint64_t *host, unsigned words,
		       uint64_t *out);
int sched_affinity_set(struct task *t, int tid, const uint64_t *host, unsigned words,
		       const uint64_t *want);

/* Under p's siglock (resource.c's getpriority/setpriority). */
int sched_nice_locked(const struct task *p);
void sched_set_nice_locked(struct task *p, int nice);

/* A new task's attributes (and NUMA policy) from its parent's, with
 * reset-on-fork applied.
 * Under the parent group's siglock. */
void sched_fork(struct task *child, const struct task *parent);

/* ioprio_get / ioprio_set (which: IOPRIO_WHO_PROCESS, PGRP, USER). */
int task_ioprio_get(struct task *t, int which, int who);
int task_ioprio_set(struct task *t, int which, int who, int ioprio);

#endif
