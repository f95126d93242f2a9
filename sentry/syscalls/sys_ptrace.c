/*
 * sys_ptrace.c — ptrace(2): the app's own debugging interface, served by
 * the kernel's ptrace.c (never the host's ptrace, which the ptrace platform
 * uses for itself).
 */
#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/syscalls.h"

#include <sys/syscall.h>

static int64_t sys_ptrace(struct task *t, const uint64_t a[6])
{
	return ptrace_request(t, (long)a[0], (int)a[1], a[2], a[3]);
}

const struct syscall_def sys_ptrace_defs[] = {
    {SYS_ptrace, "ptrace", sys_ptrace},
    {0},
};
