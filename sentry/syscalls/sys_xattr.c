/*
 * sys_xattr.c — the file-family syscalls: extended attributes.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>

#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- xattrs */

/* No file system here keeps extended attributes: after the usual path and
 * fd checks, every xattr call says so (EOPNOTSUPP), as Linux does for a
 * file system without xattr support. */
static int64_t xattr_path(struct task *t, uint64_t path, bool follow)
{
	struct stat st;
	int r = statat_in(t, AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW, &st);
	return r < 0 ? r : -EOPNOTSUPP;
}

static int64_t xattr_fd(struct task *t, int fd)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	file_put(f);
	return -EOPNOTSUPP;
}

static int64_t sys_getxattr(struct task *t, const uint64_t a[6])
{
	return xattr_path(t, a[0], true);
}
static int64_t sys_lgetxattr(struct task *t, const uint64_t a[6])
{
	return xattr_path(t, a[0], false);
}
static int64_t sys_fgetxattr(struct task *t, const uint64_t a[6])
{
	return xattr_fd(t, (int)a[0]);
}

const struct syscall_def sys_xattr_defs[] = {
	{SYS_getxattr, "getxattr", sys_getxattr},
	{SYS_lgetxattr, "lgetxattr", sys_lgetxattr},
	{SYS_fgetxattr, "fgetxattr", sys_fgetxattr},
	{SYS_setxattr, "setxattr", sys_getxattr},
	{SYS_lsetxattr, "lsetxattr", sys_lgetxattr},
	{SYS_fsetxattr, "fsetxattr", sys_fgetxattr},
	{SYS_listxattr, "listxattr", sys_getxattr},
	{SYS_llistxattr, "llistxattr", sys_lgetxattr},
	{SYS_flistxattr, "flistxattr", sys_fgetxattr},
	{SYS_removexattr, "removexattr", sys_getxattr},
	{SYS_lremovexattr, "lremovexattr", sys_lgetxattr},
	{SYS_fremovexattr, "fremovexattr", sys_fgetxattr},
	{0},
};
