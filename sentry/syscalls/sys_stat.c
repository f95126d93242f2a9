/*
 * sys_stat.c — the file-family syscalls: stat, statx, statfs, and changing attributes: chmod, chown, utimes, truncate, access.
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

/* ---------------------------------------------------------------- stat */

/* Linux 6.8's STATX_MNT_ID_UNIQUE (older headers lack it). */
#define STATX_MNT_ID_UNIQUE_ 0x4000U

static int64_t stat_out(struct task *t, const struct stat *st, uint64_t addr)
{
	return task_copy_out(t, addr, st, sizeof(*st));
}

static int64_t do_fstatat(struct task *t, int dirfd, uint64_t path, uint64_t buf, int flags)
{
	struct stat st;
	int r = statat_in(t, dirfd, path, flags, &st);
	if (r < 0)
		return r;
	return stat_out(t, &st, buf);
}

static int64_t sys_stat(struct task *t, const uint64_t a[6])
{
	return do_fstatat(t, AT_FDCWD, a[0], a[1], 0);
}

static int64_t sys_lstat(struct task *t, const uint64_t a[6])
{
	return do_fstatat(t, AT_FDCWD, a[0], a[1], AT_SYMLINK_NOFOLLOW);
}

static int64_t sys_newfstatat(struct task *t, const uint64_t a[6])
{
	return do_fstatat(t, (int)a[0], a[1], a[2], (int)a[3]);
}

static int64_t sys_fstat(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	struct stat st;
	int r = vfs_stat_file(f, &st);
	file_put(f);
	if (r < 0)
		return r;
	return stat_out(t, &st, a[1]);
}

/* statx(2): the basic stats always (as Linux's generic_fillattr), a birth
 * time where the file system keeps one, the mount's id (STATX_MNT_ID, or
 * STATX_MNT_ID_UNIQUE when asked for), and the attribute bits it knows.
 * Nothing else is claimed: STATX_DIOALIGN and the rest stay out of stx_mask
 * and zero, as on a Linux file system without them.  The sync flags
 * (AT_STATX_FORCE_SYNC / DONT_SYNC) change nothing here: the Sentry's
 * attributes are current (shared goferfs revalidates on every walk). */
static int64_t sys_statx(struct task *t, const uint64_t a[6])
{
	int dirfd = (int)a[0], flags = (int)a[2];
	unsigned int mask = (unsigned int)a[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	if (r < 0)
		return r;
	struct vfs_statx vx;
	r = vfs_statxat(t, dirfd, p, flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), mask, &vx);
	if (r < 0)
		return r;
	const struct stat *st = &vx.st;
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = st->st_blksize;
	sx.stx_nlink = st->st_nlink;
	sx.stx_uid = st->st_uid;
	sx.stx_gid = st->st_gid;
	sx.stx_mode = st->st_mode;
	sx.stx_ino = st->st_ino;
	sx.stx_size = st->st_size;
	sx.stx_blocks = st->st_blocks;
	sx.stx_atime.tv_sec = st->st_atim.tv_sec;
	sx.stx_atime.tv_nsec = st->st_atim.tv_nsec;
	sx.stx_mtime.tv_sec = st->st_mtim.tv_sec;
	sx.stx_mtime.tv_nsec = st->st_mtim.tv_nsec;
	sx.stx_ctime.tv_sec = st->st_ctim.tv_sec;
	sx.stx_ctime.tv_nsec = st->st_ctim.tv_nsec;
	sx.stx_rdev_major = major(st->st_rdev);
	sx.stx_rdev_minor = minor(st->st_rdev);
	sx.stx_dev_major = major(st->st_dev);
	sx.stx_dev_minor = minor(st->st_dev);
	/* As Linux 6.13+ (fill_mg_cmtime): a multigrain file system fills mtime
	 * and ctime only when one of them is asked for. */
	if (vx.mgtime && !(mask & (STATX_MTIME | STATX_CTIME)))
		sx.stx_mask &= ~(STATX_MTIME | STATX_CTIME);
	/* A file system that answers for itself (goferfs: the host's statx)
	 * says which of the basic stats, birth time and alignment it has. */
	if (vx.fs_mask_valid) {
		sx.stx_mask = vx.fs_mask & (STATX_BASIC_STATS | STATX_BTIME | STATX_DIOALIGN);
		if (sx.stx_mask & STATX_DIOALIGN) {
			sx.stx_dio_mem_align = vx.dio_mem_align;
			sx.stx_dio_offset_align = vx.dio_offset_align;
		}
	}
	if (!(sx.stx_mask & STATX_MTIME))
		memset(&sx.stx_mtime, 0, sizeof(sx.stx_mtime));
	if (!(sx.stx_mask & STATX_CTIME))
		memset(&sx.stx_ctime, 0, sizeof(sx.stx_ctime));
	/* As Linux: btime only when asked for and kept. */
	if ((mask & STATX_BTIME) && vx.has_btime) {
		sx.stx_mask |= STATX_BTIME;
		sx.stx_btime.tv_sec = vx.btime.tv_sec;
		sx.stx_btime.tv_nsec = vx.btime.tv_nsec;
	}
	if (vx.mnt_id) {
		sx.stx_mnt_id = vx.mnt_id;
		sx.stx_mask |= (mask & STATX_MNT_ID_UNIQUE_) ? STATX_MNT_ID_UNIQUE_ : STATX_MNT_ID;
	}
	sx.stx_attributes = vx.attributes;
	sx.stx_attributes_mask = vx.attributes_mask;
	return task_copy_out(t, a[4], &sx, sizeof(sx));
}

static void anon_statfs(struct file *f, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_type = f->inode && f->inode->sb ? f->inode->sb->magic : 0;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namelen = VFS_NAME_MAX;
}

static int64_t sys_statfs(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[0], &p);
	if (r < 0)
		return r;
	struct statfs st;
	r = vfs_statfsat(t, AT_FDCWD, p, &st);
	if (r < 0)
		return r;
	return task_copy_out(t, a[1], &st, sizeof(st));
}

static int64_t sys_fstatfs(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	struct statfs st;
	int r = 0;
	if (f->path.mnt)
		r = vfs_statfs_path(&f->path, &st);
	else
		anon_statfs(f, &st);
	file_put(f);
	if (r < 0)
		return r;
	return task_copy_out(t, a[1], &st, sizeof(st));
}

/* ---------------------------------------------------------------- attributes */

static int64_t sys_fchmodat(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	return r < 0 ? r : vfs_chmodat(t, (int)a[0], p, (uint32_t)a[2], 0);
}

static int64_t sys_chmod(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1]};
	return sys_fchmodat(t, b);
}

static int64_t sys_fchmod(struct task *t, const uint64_t a[6])
{
	return vfs_chmodat(t, (int)a[0], NULL, (uint32_t)a[1], 0);
}

static int64_t sys_fchownat(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	return r < 0 ? r : vfs_chownat(t, (int)a[0], p, (uint32_t)a[2], (uint32_t)a[3], (int)a[4]);
}

static int64_t sys_chown(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], 0};
	return sys_fchownat(t, b);
}

static int64_t sys_lchown(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1], a[2], AT_SYMLINK_NOFOLLOW};
	return sys_fchownat(t, b);
}

static int64_t sys_fchown(struct task *t, const uint64_t a[6])
{
	return vfs_chownat(t, (int)a[0], NULL, (uint32_t)a[1], (uint32_t)a[2], 0);
}

static int64_t do_utimes(struct task *t, int dirfd, uint64_t path, const struct timespec *ts,
			 int flags)
{
	if (!path) {
		/* utimensat(fd, NULL, ...) sets the times of fd itself. */
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		return vfs_utimensat(t, dirfd, NULL, ts, flags);
	}
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, path, &p);
	return r < 0 ? r : vfs_utimensat(t, dirfd, p, ts, flags);
}

static int64_t sys_utimensat(struct task *t, const uint64_t a[6])
{
	struct timespec ts[2];
	if (a[2] && task_copy_in(t, ts, a[2], sizeof(ts)) < 0)
		return -EFAULT;
	return do_utimes(t, (int)a[0], a[1], a[2] ? ts : NULL, (int)a[3]);
}

static int64_t tv_to_ts(struct task *t, uint64_t addr, struct timespec ts[2])
{
	struct timeval tv[2];
	if (task_copy_in(t, tv, addr, sizeof(tv)) < 0)
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return 0;
}

static int64_t sys_futimesat(struct task *t, const uint64_t a[6])
{
	struct timespec ts[2];
	if (a[2]) {
		int64_t r = tv_to_ts(t, a[2], ts);
		if (r < 0)
			return r;
	}
	return do_utimes(t, (int)a[0], a[1], a[2] ? ts : NULL, 0);
}

static int64_t sys_utimes(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {(uint64_t)AT_FDCWD, a[0], a[1]};
	return sys_futimesat(t, b);
}

static int64_t sys_utime(struct task *t, const uint64_t a[6])
{
	struct timespec ts[2];
	if (a[1]) {
		int64_t ub[2];
		if (task_copy_in(t, ub, a[1], sizeof(ub)) < 0)
			return -EFAULT;
		ts[0] = (struct timespec){ub[0], 0};
		ts[1] = (struct timespec){ub[1], 0};
	}
	return do_utimes(t, AT_FDCWD, a[0], a[1] ? ts : NULL, 0);
}

static int64_t sys_truncate(struct task *t, const uint64_t a[6])
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[0], &p);
	return r < 0 ? r : vfs_truncate(t, p, (int64_t)a[1]);
}

static int64_t sys_ftruncate(struct task *t, const uint64_t a[6])
{
	if ((int64_t)a[1] < 0)
		return -EINVAL;
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int r = (file_get_flags(f) & O_PATH) ? -EBADF : file_truncate(t, f, a[1]);
	file_put(f);
	return r;
}

static int64_t do_access(struct task *t, int dirfd, uint64_t path, int mode, int flags)
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, path, &p);
	return r < 0 ? r : vfs_accessat(t, dirfd, p, mode, flags);
}

static int64_t sys_access(struct task *t, const uint64_t a[6])
{
	return do_access(t, AT_FDCWD, a[0], (int)a[1], 0);
}

static int64_t sys_faccessat(struct task *t, const uint64_t a[6])
{
	return do_access(t, (int)a[0], a[1], (int)a[2], 0);
}

static int64_t sys_faccessat2(struct task *t, const uint64_t a[6])
{
	return do_access(t, (int)a[0], a[1], (int)a[2], (int)a[3]);
}

const struct syscall_def sys_stat_defs[] = {
	{SYS_stat, "stat", sys_stat},
	{SYS_lstat, "lstat", sys_lstat},
	{SYS_fstat, "fstat", sys_fstat},
	{SYS_newfstatat, "newfstatat", sys_newfstatat},
	{SYS_statx, "statx", sys_statx},
	{SYS_statfs, "statfs", sys_statfs},
	{SYS_fstatfs, "fstatfs", sys_fstatfs},
	{SYS_chmod, "chmod", sys_chmod},
	{SYS_fchmod, "fchmod", sys_fchmod},
	{SYS_fchmodat, "fchmodat", sys_fchmodat},
	{SYS_chown, "chown", sys_chown},
	{SYS_fchown, "fchown", sys_fchown},
	{SYS_lchown, "lchown", sys_lchown},
	{SYS_fchownat, "fchownat", sys_fchownat},
	{SYS_utimensat, "utimensat", sys_utimensat},
	{SYS_futimesat, "futimesat", sys_futimesat},
	{SYS_utimes, "utimes", sys_utimes},
	{SYS_utime, "utime", sys_utime},
	{SYS_truncate, "truncate", sys_truncate},
	{SYS_ftruncate, "ftruncate", sys_ftruncate},
	{SYS_access, "access", sys_access},
	{SYS_faccessat, "faccessat", sys_faccessat},
	{SYS_faccessat2, "faccessat2", sys_faccessat2},
	{0},
};
