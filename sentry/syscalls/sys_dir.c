/*
 * sys_dir.c — the file-family syscalls: directories and names: getdents64, getdents (the old linux_dirent), mkdir, mknod, rmdir, unlink, rename, symlink, readlink, link, and the cwd (getcwd, chdir, fchdir, chroot, umask).
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "lib/cleanup.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- getdents */

struct dents_ctx {
	struct dir_ctx ctx;
	char *buf;
	size_t size, used;
	bool full; /* an entry did not fit */
};

static int dents_emit(struct dir_ctx *c, const char *name, size_t namelen, uint64_t ino,
		      unsigned int type, uint64_t next_pos)
{
	struct dents_ctx *d = (struct dents_ctx *)c;
	/* struct linux_dirent64: ino, off, reclen, type, name, NUL, 8-aligned. */
	size_t reclen = (19 + namelen + 1 + 7) & ~(size_t)7;
	if (d->used + reclen > d->size) {
		d->full = true;
		return 1;
	}
	char *r = d->buf + d->used;
	memset(r, 0, reclen);
	uint64_t off = next_pos;
	uint16_t rl = (uint16_t)reclen;
	uint8_t ty = (uint8_t)type;
	memcpy(r, &ino, 8);
	memcpy(r + 8, &off, 8);
	memcpy(r + 16, &rl, 2);
	memcpy(r + 18, &ty, 1);
	memcpy(r + 19, name, namelen);
	d->used += reclen;
	return 0;
}

/* getdents and getdents64: the same walk, each with its record format. */
static int64_t getdents_common(struct task *t, const uint64_t a[6],
			       int (*emit)(struct dir_ctx *c, const char *name, size_t namelen,
					   uint64_t ino, unsigned int type, uint64_t next_pos))
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r;
	size_t count = (size_t)(unsigned int)a[2];
	if (file_get_flags(f) & O_PATH) {
		r = -EBADF;
	} else if (!f->ops->readdir) {
		r = -ENOTDIR;
	} else {
		if (count > RW_CHUNK)
			count = RW_CHUNK;
		struct dents_ctx d = {.ctx.emit = emit, .size = count};
		d.buf = malloc(count ? count : 1);
		if (!d.buf) {
			r = -ENOMEM;
		} else {
			vmutex_lock(&f->pos_lock);
			d.ctx.pos = f->pos;
			r = f->ops->readdir(t, f, &d.ctx);
			if (r == 0)
				f->pos = d.ctx.pos;
			vmutex_unlock(&f->pos_lock);
			if (r == 0) {
				/* Not even one entry fitted: the buffer is too small. */
				if (d.used == 0 && d.full) {
					r = -EINVAL;
				} else if (d.used && task_copy_out(t, a[1], d.buf, d.used) < 0) {
					r = -EFAULT;
				} else {
					r = (int64_t)d.used;
				}
			}
			free(d.buf);
		}
	}
	if (r > 0 && f->inode)
		inode_touch(f->inode, VFS_TOUCH_A);
	file_put(f);
	return r;
}

static int64_t sys_getdents64(struct task *t, const uint64_t a[6])
{
	return getdents_common(t, a, dents_emit);
}

static int old_dents_emit(struct dir_ctx *c, const char *name, size_t namelen, uint64_t ino,
			  unsigned int type, uint64_t next_pos)
{
	struct dents_ctx *d = (struct dents_ctx *)c;
	/* struct linux_dirent: ino, off, reclen, name, NUL, then the type in
	 * the record's last byte; 8-aligned. */
	size_t reclen = (18 + namelen + 2 + 7) & ~(size_t)7;
	if (d->used + reclen > d->size) {
		d->full = true;
		return 1;
	}
	char *r = d->buf + d->used;
	memset(r, 0, reclen);
	uint16_t rl = (uint16_t)reclen;
	memcpy(r, &ino, 8);
	memcpy(r + 8, &next_pos, 8);
	memcpy(r + 16, &rl, 2);
	memcpy(r + 18, name, namelen);
	r[reclen - 1] = (char)type;
	d->used += reclen;
	return 0;
}

static int64_t sys_getdents(struct task *t, const uint64_t a[6])
{
	return getdents_common(t, a, old_dents_emit);
}

/* ---------------------------------------------------------------- names */

static int64_t sys_mkdirat(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	return r < 0 ? r : vfs_mkdirat(t, (int)a[0], p, (uint32_t)a[2]);
}

static int64_t sys_mkdir(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1]};
	return sys_mkdirat(t, b);
}

static int64_t sys_mknodat(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	if (r < 0)
		return r;
	/* dev_t from the old 32-bit encoding the syscall takes. */
	unsigned int dev = (unsigned int)a[3];
	return vfs_mknodat(t, (int)a[0], p, (uint32_t)a[2], makedev((dev >> 8) & 0xfff,
								   (dev & 0xff) | ((dev >> 12) & 0xfff00)));
}

static int64_t sys_mknod(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2]};
	return sys_mknodat(t, b);
}

static int64_t sys_rmdir(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[0], &p);
	return r < 0 ? r : vfs_rmdirat(t, AT_FDCWD, p);
}

static int64_t sys_unlink(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[0], &p);
	return r < 0 ? r : vfs_unlinkat(t, AT_FDCWD, p);
}

static int64_t sys_unlinkat(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[2];
	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	if (r < 0)
		return r;
	return (flags & AT_REMOVEDIR) ? vfs_rmdirat(t, (int)a[0], p) : vfs_unlinkat(t, (int)a[0], p);
}

static int64_t do_rename(struct task *t, int od, uint64_t op, int nd, uint64_t np,
			 unsigned int flags)
{
	_cleanup_free_ char *o = NULL;
	_cleanup_free_ char *n = NULL;
	int r = paths_in(t, op, &o, np, &n);
	if (r < 0)
		return r;
	return vfs_renameat(t, od, o, nd, n, flags);
}

static int64_t sys_rename(struct task *t, const uint64_t a[6])
{
	return do_rename(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

static int64_t sys_renameat(struct task *t, const uint64_t a[6])
{
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3], 0);
}

static int64_t sys_renameat2(struct task *t, const uint64_t a[6])
{
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3], (unsigned int)a[4]);
}

static int64_t do_symlink(struct task *t, uint64_t target, int dirfd, uint64_t path)
{
	_cleanup_free_ char *tg = NULL;
	_cleanup_free_ char *p = NULL;
	int r = paths_in(t, target, &tg, path, &p);
	if (r < 0)
		return r;
	return vfs_symlinkat(t, tg, dirfd, p);
}

static int64_t sys_symlink(struct task *t, const uint64_t a[6])
{
	return do_symlink(t, a[0], AT_FDCWD, a[1]);
}

static int64_t sys_symlinkat(struct task *t, const uint64_t a[6])
{
	return do_symlink(t, a[0], (int)a[1], a[2]);
}

static int64_t do_readlink(struct task *t, int dirfd, uint64_t path, uint64_t buf, int64_t size)
{
	if (size <= 0)
		return -EINVAL;
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, path, &p);
	if (r < 0)
		return r;
	if (size > VFS_PATH_MAX)
		size = VFS_PATH_MAX;
	_cleanup_free_ char *out = malloc(size);
	if (!out)
		return -ENOMEM;
	ssize_t n = vfs_readlinkat(t, dirfd, p, out, size);
	if (n < 0)
		return n;
	if (task_copy_out(t, buf, out, n) < 0)
		return -EFAULT;
	return n;
}

static int64_t sys_readlink(struct task *t, const uint64_t a[6])
{
	return do_readlink(t, AT_FDCWD, a[0], a[1], (int64_t)(int)a[2]);
}

static int64_t sys_readlinkat(struct task *t, const uint64_t a[6])
{
	return do_readlink(t, (int)a[0], a[1], a[2], (int64_t)(int)a[3]);
}

static int64_t do_link(struct task *t, int od, uint64_t op, int nd, uint64_t np, int flags)
{
	_cleanup_free_ char *o = NULL;
	_cleanup_free_ char *n = NULL;
	int r = paths_in(t, op, &o, np, &n);
	if (r < 0)
		return r;
	return vfs_linkat(t, od, o, nd, n, flags);
}

static int64_t sys_link(struct task *t, const uint64_t a[6])
{
	return do_link(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

static int64_t sys_linkat(struct task *t, const uint64_t a[6])
{
	return do_link(t, (int)a[0], a[1], (int)a[2], a[3], (int)a[4]);
}

/* ---------------------------------------------------------------- cwd */

static int64_t sys_getcwd(struct task *t, const uint64_t a[6])
{
	size_t size = a[1];
	if (size == 0)
		return a[0] ? -EINVAL : -ERANGE; /* Linux: ERANGE for size 0 */
	if (size > VFS_PATH_MAX)
		size = VFS_PATH_MAX;
	_cleanup_free_ char *buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	int n = vfs_getcwd(t, buf, size);
	if (n < 0)
		return n;
	if (task_copy_out(t, a[0], buf, n) < 0)
		return -EFAULT;
	return n;
}

static int64_t sys_chdir(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[0], &p);
	return r < 0 ? r : vfs_chdir(t, p);
}

static int64_t sys_fchdir(struct task *t, const uint64_t a[6])
{
	return vfs_fchdir(t, (int)a[0]);
}

static int64_t sys_chroot(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[0], &p);
	return r < 0 ? r : vfs_chroot(t, p);
}

static int64_t sys_umask(struct task *t, const uint64_t a[6])
{
	vmutex_lock(&t->fs->lock);
	uint32_t old = t->fs->umask;
	t->fs->umask = (uint32_t)a[0] & 0777;
	vmutex_unlock(&t->fs->lock);
	return old;
}

const struct syscall_def sys_dir_defs[] = {
	{SYS_getdents64, "getdents64", sys_getdents64},
	{SYS_getdents, "getdents", sys_getdents},
	{SYS_mkdir, "mkdir", sys_mkdir},
	{SYS_mkdirat, "mkdirat", sys_mkdirat},
	{SYS_mknod, "mknod", sys_mknod},
	{SYS_mknodat, "mknodat", sys_mknodat},
	{SYS_rmdir, "rmdir", sys_rmdir},
	{SYS_unlink, "unlink", sys_unlink},
	{SYS_unlinkat, "unlinkat", sys_unlinkat},
	{SYS_rename, "rename", sys_rename},
	{SYS_renameat, "renameat", sys_renameat},
	{SYS_renameat2, "renameat2", sys_renameat2},
	{SYS_symlink, "symlink", sys_symlink},
	{SYS_symlinkat, "symlinkat", sys_symlinkat},
	{SYS_readlink, "readlink", sys_readlink},
	{SYS_readlinkat, "readlinkat", sys_readlinkat},
	{SYS_link, "link", sys_link},
	{SYS_linkat, "linkat", sys_linkat},
	{SYS_getcwd, "getcwd", sys_getcwd},
	{SYS_chdir, "chdir", sys_chdir},
	{SYS_fchdir, "fchdir", sys_fchdir},
	{SYS_chroot, "chroot", sys_chroot},
	{SYS_umask, "umask", sys_umask},
	{0},
};
