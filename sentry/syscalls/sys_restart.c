/*
 * sys_restart.c — restart_syscall(2): what a syscall interrupted with
 * ERESTART_RESTARTBLOCK (a relative sleep, a futex wait with a timeout)
 * resumes as once the signal is handled or the stop (SIGSTOP, a ptrace-stop)
 * ends.  The signal code points the app back at `syscall` with rax = 219;
 * the interrupted call left its continuation in t->restart_fn.
 */
#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/syscalls.h"

#include <errno.h>
#include <sys/syscall.h>

static int64_t sys_restart_syscall(struct task *t, const uint64_t a[6])
{
	/* As Linux: the block is used once (do_no_restart_syscall after). */
	int64_t (*fn)(struct task *) = t->restart_fn;
	t->restart_fn = NULL;
	return fn ? fn(t) : -EINTR;
}

const struct syscall_def sys_restart_defs[] = {
    {SYS_restart_syscall, "restart_syscall", sys_restart_syscall},
    {0},
};
