/*
 * sys_ns.c — unshare(2) and setns(2).  The work is the kernel's
 * (sentry/kernel/ns.c); no file in the sandbox refers to a namespace (there
 * is no /proc/PID/ns), so setns answers EBADF or EINVAL as Linux does for a
 * file that is not one.
 */
#include <errno.h>
#include <sched.h>
#include <sys/syscall.h>

#include "sentry/kernel/ns.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

static int64_t sys_unshare(struct task *t, const uint64_t a[6])
{
	return task_unshare(t, (unsigned long)a[0]);
}

static int64_t sys_setns(struct task *t, const uint64_t a[6])
{
	int nstype = (int)a[1];
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	file_put(f);
	/* As Linux's setns for a file that is neither a namespace nor a
	 * pidfd (an unknown nstype is refused the same way). */
	(void)nstype;
	return -EINVAL;
}

const struct syscall_def sys_ns_defs[] = {
	{SYS_unshare, "unshare", sys_unshare},
	{SYS_setns, "setns", sys_setns},
	{0},
};
