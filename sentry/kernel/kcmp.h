/*
 * kcmp.h — kcmp(2) (kcmp.c).
 */
#ifndef VISOR_SENTRY_KCMP_H
#define VISOR_SENTRY_KCMP_H

struct task;

/* 0 when the two tasks' resources of this type are the same, else 1 or 2
 * (an obfuscated order); -ESRCH, -EPERM (ptrace read access), -EBADF (a
 * KCMP_FILE index that is not open), -EINVAL (unknown type), -EOPNOTSUPP
 * (KCMP_EPOLL_TFD). */
int task_kcmp(struct task *t, int pid1, int pid2, int type, unsigned long idx1,
	      unsigned long idx2);

#endif
