/*
 * signal.h — signal internals shared by the task loop and sys_signal.c:
 * the per-task signal state the syscalls read and change, under the group's
 * siglock taken here.
 * The public entry points (sending, delivery) are in kernel.h.
 */
#ifndef VISOR_SENTRY_SIGNAL_H
#define VISOR_SENTRY_SIGNAL_H

#include "sentry/kernel/task.h"

struct thread_group;
struct k_sigaction;

/* rt_sigaction for t's group: install *act (unless NULL) as sig's action and
 * return the previous one in *oact (unless NULL).  As Linux's do_sigaction:
 * -EINVAL for a signal out of range or a new action for SIGKILL or SIGSTOP;
 * the action's mask never blocks those two; and a new SIG_IGN (or SIG_DFL for
 * a signal ignored by default) discards sig from every pending set. */
int task_sigaction(struct task *t, int sig, const struct k_sigaction *act,
		   struct k_sigaction *oact);
/* rt_sigprocmask: apply *set (unless NULL) by how (SIG_BLOCK, SIG_UNBLOCK,
 * SIG_SETMASK) and return the mask before it in *old.  -EINVAL for another
 * how when a set is given (the mask is unchanged). */
int task_sigprocmask(struct task *t, int how, const sigset64_t *set, sigset64_t *old);
/* Every signal pending for t or its group, blocked or not (signalfd). */
sigset64_t task_pending_any(struct task *t);
/* rt_sigpending: the signals pending for t or its group that t blocks. */
sigset64_t task_sigpending(struct task *t);
/* sigaltstack: the current stack in *oss, then ss (unless NULL) installed.
 * As Linux: -EPERM while running on the alternate stack (never with
 * SS_AUTODISARM), -EINVAL for an unknown mode, -ENOMEM for a stack under
 * the kernel's MINSIGSTKSZ (2048); *oss's flags include SS_AUTODISARM. */
int task_sigaltstack(struct task *t, const stack_t *ss, stack_t *oss);
/* AT_MINSIGSTKSZ: the most stack a signal frame (with the FPU state this
 * platform saves) takes, as Linux computes it. */
struct platform;
uint64_t signal_minsigstksz(const struct platform *plat);
/* rt_sigreturn: restore the frame at the app's stack; returns the restored rax. */
int64_t signal_sigreturn(struct task *t);
/* Replace the task's blocked set (SIGKILL/SIGSTOP are never blocked). */
void task_set_sigmask(struct task *t, sigset64_t mask);
/* SS_ONSTACK / SS_DISABLE / 0 for the current stack pointer. */
int task_sigaltstack_flags(const struct task *t);
/* Take a pending signal in set (thread-directed first), for sigtimedwait:
 * its number and siginfo, or 0 when none is pending. */
int signal_dequeue_set(struct task *t, sigset64_t set, siginfo_t *info);
/* Under tg->siglock: queue info for the group (t NULL) or thread t, with
 * the usual rules (ignored signals dropped, a pending one not queued twice). */
void signal_queue_locked(struct thread_group *tg, struct task *t, const siginfo_t *info);
/* Drop every queued signal of p (a set of tg's, under its siglock), or of
 * a set nobody uses any more (sigpending_free). */
void sigpending_flush_locked(struct thread_group *tg, struct sigpending *p);
void sigpending_free(struct sigpending *p);
/* Make t look at its signals now: interrupt its app code or its sleep.
 * Takes no lock (callable under a siglock). */
void task_kick(struct task *t);
/* Start the group's exit (e.g. exit_group, a fatal signal). */
void signal_group_exit(struct thread_group *tg, int status);

#endif
