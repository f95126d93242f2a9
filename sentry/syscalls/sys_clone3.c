/*
 * sys_clone3.c — clone3(2): struct clone_args with Linux's size and
 * argument rules (kernel/fork.c copy_clone_args_from_user and
 * clone3_args_valid), then the kernel's task_clone as clone(2) has it.
 *
 * Not offered here (as a kernel without them answers): CLONE_PIDFD
 * (pidfds: EINVAL until they exist), set_tid (choosing the child's pid:
 * EPERM without CAP_SYS_ADMIN, else EINVAL), CLONE_INTO_CGROUP (no fd names a
 * cgroup in the sandbox: EBADF).
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "lib/page.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#define CLONE_LEGACY_FLAGS 0xffffffffULL
#define CSIGNAL_BITS 0x000000ffULL

/* struct clone_args as of CLONE_ARGS_SIZE_VER2. */
struct app_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size; /* VER1 */
	uint64_t cgroup;                /* VER2 */
};
#define CLONE_ARGS_VER0 64
_Static_assert(sizeof(struct app_clone_args) == 88, "clone_args layout");

static int64_t sys_clone3(struct task *t, const uint64_t a[6])
{
	uint64_t uargs = a[0], size = a[1];
	struct app_clone_args ca;
	memset(&ca, 0, sizeof(ca));
	if (size > PAGE_SIZE)
		return -E2BIG;
	if (size < CLONE_ARGS_VER0)
		return -EINVAL;
	if (task_copy_in(t, &ca, uargs, size < sizeof(ca) ? size : sizeof(ca)))
		return -EFAULT;
	/* As copy_struct_from_user: a larger struct's unknown tail is zero. */
	for (uint64_t off = sizeof(ca); off < size; off++) {
		uint8_t b;
		if (task_copy_in(t, &b, uargs + off, 1))
			return -EFAULT;
		if (b)
			return -E2BIG;
	}
	if (ca.set_tid_size > 32 /* MAX_PID_NS_LEVEL */)
		return -EINVAL;
	if (!ca.set_tid && ca.set_tid_size)
		return -EINVAL;
	if (ca.set_tid && !ca.set_tid_size)
		return -EINVAL;
	if ((ca.exit_signal & ~CSIGNAL_BITS) || ca.exit_signal > 64)
		return -EINVAL;
	if ((ca.flags & CLONE_INTO_CGROUP) && (ca.cgroup > INT32_MAX || size < 88))
		return -EINVAL;

	/* clone3_args_valid */
	if (ca.flags & ~(CLONE_LEGACY_FLAGS | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))
		return -EINVAL;
	if (ca.flags & (CLONE_DETACHED | (CSIGNAL_BITS & ~(uint64_t)CLONE_NEWTIME)))
		return -EINVAL;
	if ((ca.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) ==
	    (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND))
		return -EINVAL;
	if ((ca.flags & (CLONE_THREAD | CLONE_PARENT)) && ca.exit_signal)
		return -EINVAL;
	if (ca.stack ? ca.stack_size == 0 : ca.stack_size != 0)
		return -EINVAL;

	if (ca.set_tid_size)
		return creds_capable(t->creds, CAP_SYS_ADMIN) ? -EINVAL : -EPERM;
	if (ca.flags & CLONE_PIDFD)
		return -EINVAL; /* pidfds are not offered yet */
	if (ca.flags & CLONE_INTO_CGROUP) {
		struct file *f = fdt_get_file(t->fdt, (int)ca.cgroup);
		if (f)
			file_put(f);
		return -EBADF; /* no fd is a cgroup2 directory here */
	}
	uint64_t stack = ca.stack ? ca.stack + ca.stack_size : 0; /* grows down */
	return task_clone(t, ca.flags | ca.exit_signal, stack, ca.parent_tid, ca.child_tid, ca.tls);
}

const struct syscall_def sys_clone3_defs[] = {
	{SYS_clone3, "clone3", sys_clone3},
	{0},
};
