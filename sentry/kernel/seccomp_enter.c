/*
 * seccomp_enter.c — acting on the app's seccomp verdict at syscall entry:
 * the task loop (task.c) calls seccomp_syscall_enter before every handler.
 *
 * Kept apart from seccomp.c, which decides, so that the deciding code (the
 * checker, the interpreter, installing) links without the task machinery:
 * this file is the one that exits threads and sends SIGSYS.
 */
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/signal.h"

_Noreturn static void kill_process(struct task *t, int sig)
{
	/* As Linux: the signal's default action, whatever the handler. */
	signal_group_exit(t->tg, sig);
	task_deliver_signals(t); /* exits: the group is exiting */
	task_exit(t, sig);
}

bool seccomp_syscall_enter(struct task *t, int nr, const uint64_t a[6], int64_t *ret)
{
	if (seccomp_mode(t) == SECCOMP_MODE_DISABLED)
		return true;
	siginfo_t info;
	switch (seccomp_decide(t, nr, a, ret, &info)) {
	case SECCOMP_V_RUN:
		return true;
	case SECCOMP_V_RETURN:
		return false;
	case SECCOMP_V_TRAP:
		task_force_signal(t, &info);
		return false;
	case SECCOMP_V_KILL_THREAD: {
		/* A lone thread takes its process with it, as Linux does. */
		vmutex_lock(&t->tg->siglock);
		bool alone = t->tg->nthreads == 1;
		vmutex_unlock(&t->tg->siglock);
		if (alone)
			kill_process(t, info.si_signo);
		task_exit(t, info.si_signo);
	}
	case SECCOMP_V_KILL_PROCESS:
		kill_process(t, info.si_signo);
	}
	return true;
}
