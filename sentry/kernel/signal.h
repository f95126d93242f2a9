/*
 * signal.h — signal internals shared by the task loop and sys_signal.c.
 * The public entry points (sending, delivery) are in kernel.h.
 */
#ifndef VISOR_SENTRY_SIGNAL_H
#define VISOR_SENTRY_SIGNAL_H

#include "sentry/kernel/task.h"

struct thread_group;

/* rt_sigreturn: restore the frame at the app's stack; returns the restored rax. */
int64_t signal_sigreturn(struct task *t);
/* Replace the task's blocked set (SIGKILL/SIGSTOP are never blocked). */
void task_set_sigmask(struct task *t, sigset64_t mask);
/* SS_ONSTACK / SS_DISABLE / 0 for the current stack pointer. */
int task_sigaltstack_flags(const struct task *t);
/* Take a pending signal in set (thread-directed first), for sigtimedwait:
 * its number and siginfo, or 0 when none is pending. */
int signal_dequeue_set(struct task *t, sigset64_t set, siginfo_t *info);
/* Start the group's exit (e.g. exit_group, a fatal signal). */
void signal_group_exit(struct thread_group *tg, int status);

#endif
