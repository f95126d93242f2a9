/*
 * sys_mount.c — the file-family syscalls: mount and umount2.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.
 */
#include <errno.h>
#include <sys/syscall.h>

#include "lib/cleanup.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- mount */

static int64_t sys_mount(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *src = NULL;
	_cleanup_free_ char *tgt = NULL;
	_cleanup_free_ char *type = NULL;
	_cleanup_free_ char *data = NULL;
	int r;
	if (a[0] && (r = path_in(t, a[0], &src)) < 0)
		return r;
	if ((r = path_in(t, a[1], &tgt)) < 0)
		return r;
	if (a[2] && (r = path_in(t, a[2], &type)) < 0)
		return r;
	if (a[4]) {
		/* mount data is up to one page, not necessarily NUL-terminated. */
		data = calloc(1, 4097);
		if (!data)
			return -ENOMEM;
		ssize_t n = task_copy_string_in(t, data, a[4], 4096);
		if (n == -EFAULT)
			return -EFAULT;
	}
	return vfs_sys_mount(t, src, tgt, type, a[3], data);
}

static int64_t sys_umount2(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *tgt = NULL;
	int r = path_in(t, a[0], &tgt);
	return r < 0 ? r : vfs_sys_umount(t, tgt, (int)a[1]);
}

const struct syscall_def sys_mount_defs[] = {
	{SYS_mount, "mount", sys_mount},
	{SYS_umount2, "umount2", sys_umount2},
	{0},
};
