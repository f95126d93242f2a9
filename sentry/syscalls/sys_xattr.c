/*
 * sys_xattr.c — the file-family syscalls: extended attributes.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS (vfs/xattr.c), copy results out.  Linux's order:
 * flags (EINVAL), the name (EFAULT, ERANGE when empty or longer than 255),
 * the value (E2BIG over 64 KiB, EFAULT), then the path or fd, then the VFS.
 * The f* calls take no O_PATH descriptor (EBADF), as Linux's fdget.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "lib/cleanup.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- arguments */

/* An xattr name: copied in NUL-terminated (at most VFS_XATTR_NAME_MAX
 * bytes), else EFAULT or ERANGE (strncpy_from_user's empty or full). */
static int xattr_name_in(struct task *t, uint64_t addr, char name[VFS_XATTR_NAME_MAX + 1])
{
	ssize_t n = task_copy_string_in(t, name, addr, VFS_XATTR_NAME_MAX + 1);
	if (n == -ENAMETOOLONG || n == 0)
		return -ERANGE;
	return n < 0 ? (int)n : 0;
}

/* What the call names: an inode, with its mount (references held). */
struct xattr_target {
	struct vfs_path path; /* a walked path, or */
	struct file *file;    /* an open description */
	struct inode *ino;
	const struct vfs_path *where; /* path, or the description's (no mount: anonymous) */
};

static void target_put(struct xattr_target *x)
{
	path_put(&x->path);
	if (x->file)
		file_put(x->file);
}

/* How: 0 a path followed, 1 a path not followed (l*), 2 an fd (f*). */
enum { XATTR_FOLLOW, XATTR_NOFOLLOW, XATTR_FD };

static int target_get(struct task *t, int how, uint64_t arg, struct xattr_target *x)
{
	*x = (struct xattr_target){0};
	if (how == XATTR_FD) {
		struct file *f = get_file(t, (int)arg);
		if (!f)
			return -EBADF;
		if (file_get_flags(f) & O_PATH) {
			file_put(f);
			return -EBADF;
		}
		x->file = f;
		x->ino = f->inode;
		x->where = &f->path;
		return 0;
	}
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, arg, &p);
	if (r < 0)
		return r;
	r = vfs_walk(t, AT_FDCWD, p, how == XATTR_FOLLOW ? VFS_LOOKUP_FOLLOW : 0, &x->path);
	if (r < 0)
		return r;
	x->ino = x->path.dentry->inode;
	x->where = &x->path;
	return 0;
}

/* ---------------------------------------------------------------- calls */

static int64_t do_setxattr(struct task *t, const uint64_t a[6], int how)
{
	size_t size = a[3];
	int flags = (int)a[4];
	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	char name[VFS_XATTR_NAME_MAX + 1];
	int r = xattr_name_in(t, a[1], name);
	if (r < 0)
		return r;
	if (size > VFS_XATTR_SIZE_MAX)
		return -E2BIG;
	_cleanup_free_ char *value = malloc(size ? size : 1);
	if (!value)
		return -ENOMEM;
	if (size && task_copy_in(t, value, a[2], size) < 0)
		return -EFAULT;
	struct xattr_target x;
	r = target_get(t, how, a[0], &x);
	if (r < 0)
		return r;
	r = vfs_setxattr(t, x.where, x.ino, name, value, size, flags);
	target_put(&x);
	return r;
}

static int64_t do_getxattr(struct task *t, const uint64_t a[6], int how)
{
	size_t size = a[3];
	char name[VFS_XATTR_NAME_MAX + 1];
	int r = xattr_name_in(t, a[1], name);
	if (r < 0)
		return r;
	if (size > VFS_XATTR_SIZE_MAX)
		size = VFS_XATTR_SIZE_MAX;
	struct xattr_target x;
	r = target_get(t, how, a[0], &x);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = malloc(size ? size : 1);
	ssize_t n = buf ? vfs_getxattr(t, x.ino, name, buf, size) : -ENOMEM;
	target_put(&x);
	if (n > 0 && size && task_copy_out(t, a[2], buf, (size_t)n) < 0)
		return -EFAULT;
	return n;
}

static int64_t do_listxattr(struct task *t, const uint64_t a[6], int how)
{
	size_t size = a[2];
	if (size > VFS_XATTR_LIST_MAX)
		size = VFS_XATTR_LIST_MAX;
	struct xattr_target x;
	int r = target_get(t, how, a[0], &x);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = malloc(size ? size : 1);
	ssize_t n = buf ? vfs_listxattr(t, x.ino, buf, size) : -ENOMEM;
	target_put(&x);
	if (n > 0 && size && task_copy_out(t, a[1], buf, (size_t)n) < 0)
		return -EFAULT;
	return n;
}

static int64_t do_removexattr(struct task *t, const uint64_t a[6], int how)
{
	char name[VFS_XATTR_NAME_MAX + 1];
	int r = xattr_name_in(t, a[1], name);
	if (r < 0)
		return r;
	struct xattr_target x;
	r = target_get(t, how, a[0], &x);
	if (r < 0)
		return r;
	r = vfs_removexattr(t, x.where, x.ino, name);
	target_put(&x);
	return r;
}

#define XATTR_SHELLS(op)                                                                         \
	static int64_t sys_##op(struct task *t, const uint64_t a[6])                             \
	{                                                                                        \
		return do_##op(t, a, XATTR_FOLLOW);                                              \
	}                                                                                        \
	static int64_t sys_l##op(struct task *t, const uint64_t a[6])                            \
	{                                                                                        \
		return do_##op(t, a, XATTR_NOFOLLOW);                                            \
	}                                                                                        \
	static int64_t sys_f##op(struct task *t, const uint64_t a[6])                            \
	{                                                                                        \
		return do_##op(t, a, XATTR_FD);                                                  \
	}

XATTR_SHELLS(setxattr)
XATTR_SHELLS(getxattr)
XATTR_SHELLS(listxattr)
XATTR_SHELLS(removexattr)

const struct syscall_def sys_xattr_defs[] = {
	{SYS_getxattr, "getxattr", sys_getxattr},
	{SYS_lgetxattr, "lgetxattr", sys_lgetxattr},
	{SYS_fgetxattr, "fgetxattr", sys_fgetxattr},
	{SYS_setxattr, "setxattr", sys_setxattr},
	{SYS_lsetxattr, "lsetxattr", sys_lsetxattr},
	{SYS_fsetxattr, "fsetxattr", sys_fsetxattr},
	{SYS_listxattr, "listxattr", sys_listxattr},
	{SYS_llistxattr, "llistxattr", sys_llistxattr},
	{SYS_flistxattr, "flistxattr", sys_flistxattr},
	{SYS_removexattr, "removexattr", sys_removexattr},
	{SYS_lremovexattr, "lremovexattr", sys_lremovexattr},
	{SYS_fremovexattr, "fremovexattr", sys_fremovexattr},
	{0},
};
