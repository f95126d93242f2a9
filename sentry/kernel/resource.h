/*
 * resource.h — per-process resources: resource limits and nice values
 * (resource.c), for getrlimit/setrlimit/prlimit64, getpriority/setpriority,
 * execve's stack limit and procfs.
 */
#ifndef VISOR_SENTRY_RESOURCE_H
#define VISOR_SENTRY_RESOURCE_H

#include <sys/resource.h>

struct task;
struct thread_group;

/* getrlimit/setrlimit/prlimit64 from t on the process of thread pid (0 or
 * t's own tid: t's process): the old limit in *old_rl (unless NULL), then
 * *new_rl (unless NULL) installed.  As Linux's do_prlimit with
 * check_prlimit_permission: -ESRCH for no such thread; -EPERM for another
 * user's process without CAP_SYS_RESOURCE; -EINVAL for an unknown resource
 * or cur > max; -EPERM for a NOFILE limit above nr_open or a raised hard
 * limit without CAP_SYS_RESOURCE. */
int task_prlimit(struct task *t, int pid, unsigned resource, const struct rlimit *new_rl,
		 struct rlimit *old_rl);
/* One limit of tg (resource < RLIM_NLIMITS). */
struct rlimit tg_get_rlimit(struct thread_group *tg, unsigned resource);

/* getpriority: the strongest priority (20 - nice, 1..40) among the tasks
 * that which/who name (PRIO_PROCESS, PRIO_PGRP, PRIO_USER; who 0 is t's own
 * tid, group or real uid), or -ESRCH.  The caller checks which. */
int task_getpriority(struct task *t, int which, int who);
/* setpriority: give those tasks nice (-20..19, clamped by the caller).  As
 * Linux's set_one_prio: -EPERM for another user's task and -EACCES below
 * RLIMIT_NICE without CAP_SYS_NICE; the last task's result, or -ESRCH. */
int task_setpriority(struct task *t, int which, int who, int nice);

#endif
