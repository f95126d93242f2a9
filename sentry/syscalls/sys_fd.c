/*
 * sys_fd.c — the file-family syscalls: open, close, lseek, dup, fcntl, flock, ioctl and pipes.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.
 * Record locks and flock are the VFS's (vfs/lock.c).
 */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "lib/cleanup.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/fs/pipe.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- open/close */

static int64_t do_openat(struct task *t, int dirfd, uint64_t path, int flags, uint32_t mode)
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, path, &p);
	if (r < 0)
		return r;
	flags &= ~VFS_O_EXEC; /* the kernel's own bit: never the app's */
	/* As Linux 6.4+: O_CREAT with O_DIRECTORY is meaningless. */
	if ((flags & O_CREAT) && (flags & O_DIRECTORY) && !(flags & O_PATH))
		return -EINVAL;
	struct file *f;
	r = vfs_open(t, dirfd, p, flags, mode, &f);
	if (r < 0)
		return r;
	return install(t, f, flags & O_CLOEXEC);
}

static int64_t sys_open(struct task *t, const uint64_t a[6])
{
	return do_openat(t, AT_FDCWD, a[0], (int)a[1], (uint32_t)a[2]);
}

static int64_t sys_openat(struct task *t, const uint64_t a[6])
{
	return do_openat(t, (int)a[0], a[1], (int)a[2], (uint32_t)a[3]);
}

/* openat2's open flags: every flag Linux knows (VALID_OPEN_FLAGS); unlike
 * openat, an unknown one is EINVAL.  O_PATH allows only these others. */
#define OPENAT2_VALID_FLAGS                                                                      \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |   \
	 O_SYNC | O_ASYNC | O_DIRECT | VFS_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME |   \
	 O_CLOEXEC | O_PATH | __O_TMPFILE)
#define OPENAT2_PATH_FLAGS (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)
#define OPENAT2_VALID_RESOLVE                                                                    \
	(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH |        \
	 RESOLVE_IN_ROOT | RESOLVE_CACHED)
#define OPEN_HOW_SIZE_VER0 24

/* openat2(dirfd, path, how, size): the checks of Linux's build_open_flags in
 * its order, after copying `how` in as copy_struct_from_user does (a larger
 * struct is fine when its extra bytes are zero, else E2BIG). */
static int64_t sys_openat2(struct task *t, const uint64_t a[6])
{
	uint64_t usize = a[3];
	struct open_how how = {0};
	if (usize < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > 4096)
		return -E2BIG;
	size_t n = usize < sizeof(how) ? usize : sizeof(how);
	if (task_copy_in(t, &how, a[2], n) < 0)
		return -EFAULT;
	for (uint64_t off = sizeof(how); off < usize; off += 8) {
		uint8_t rest[8] = {0};
		size_t m = usize - off < 8 ? usize - off : 8;
		if (task_copy_in(t, rest, a[2] + off, m) < 0)
			return -EFAULT;
		for (size_t i = 0; i < m; i++)
			if (rest[i])
				return -E2BIG;
	}
	uint64_t flags = how.flags;
	if (flags & ~(uint64_t)OPENAT2_VALID_FLAGS)
		return -EINVAL;
	if (how.resolve & ~(uint64_t)OPENAT2_VALID_RESOLVE)
		return -EINVAL;
	if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	bool creates = (flags & O_CREAT) || (flags & __O_TMPFILE) == __O_TMPFILE;
	if (creates ? (how.mode & ~(uint64_t)07777) : how.mode)
		return -EINVAL;
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL;
	if ((flags & __O_TMPFILE) == __O_TMPFILE && !(flags & (O_WRONLY | O_RDWR)))
		return -EINVAL;
	if ((flags & O_PATH) && (flags & ~(uint64_t)OPENAT2_PATH_FLAGS))
		return -EINVAL;
	if ((how.resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | __O_TMPFILE)))
		return -EAGAIN;
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	if (r < 0)
		return r;
	struct file *f;
	r = vfs_open_how(t, (int)a[0], p, (int)flags, (uint32_t)how.mode, (unsigned int)how.resolve,
			 &f);
	if (r < 0)
		return r;
	return install(t, f, flags & O_CLOEXEC);
}

/* ---------------------------------------------------------------- file handles */

/* name_to_handle_at: the flags (EINVAL) and the path are checked as Linux
 * does, then no file system here hands out handles: EOPNOTSUPP, as Linux
 * for a file system without export operations. */
#define HANDLE_AT_FLAGS_ (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | 0x200 /* AT_HANDLE_FID */ | \
			  0x001 /* AT_HANDLE_MNT_ID_UNIQUE */ | 0x002 /* AT_HANDLE_CONNECTABLE */)
#define MAX_HANDLE_SZ_ 128u

static int64_t sys_name_to_handle_at(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[4];
	if (flags & ~HANDLE_AT_FLAGS_)
		return -EINVAL;
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, a[1], &p);
	if (r < 0)
		return r;
	struct vfs_path path;
	r = vfs_walk(t, (int)a[0], p,
		     ((flags & AT_SYMLINK_FOLLOW) ? VFS_LOOKUP_FOLLOW : 0) |
			     ((flags & AT_EMPTY_PATH) ? VFS_LOOKUP_EMPTY : 0),
		     &path);
	if (r < 0)
		return r;
	path_put(&path);
	return -EOPNOTSUPP;
}

/* open_by_handle_at: CAP_DAC_READ_SEARCH (EPERM), the mount fd (EBADF), the
 * handle's header (EFAULT, EINVAL); then no handle names a file here
 * (ESTALE, as Linux for a file system that cannot decode one). */
static int64_t sys_open_by_handle_at(struct task *t, const uint64_t a[6])
{
	if (!vfs_capable(vfs_task_creds(t), CAP_DAC_READ_SEARCH))
		return -EPERM;
	int mfd = (int)a[0];
	if (mfd != AT_FDCWD) {
		struct file *f = get_file(t, mfd);
		if (!f)
			return -EBADF;
		file_put(f);
	}
	struct {
		uint32_t handle_bytes;
		int32_t handle_type;
	} h;
	if (task_copy_in(t, &h, a[1], sizeof(h)) < 0)
		return -EFAULT;
	if (h.handle_bytes == 0 || h.handle_bytes > MAX_HANDLE_SZ_ || h.handle_type < 0)
		return -EINVAL;
	return -ESTALE;
}

static int64_t sys_creat(struct task *t, const uint64_t a[6])
{
	return do_openat(t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)a[1]);
}

static int64_t sys_close(struct task *t, const uint64_t a[6])
{
	return fdt_close(t->fdt, (int)a[0]);
}

static int64_t sys_close_range(struct task *t, const uint64_t a[6])
{
	unsigned int first = (unsigned int)a[0], last = (unsigned int)a[1];
	unsigned int flags = (unsigned int)a[2];
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	if ((flags & CLOSE_RANGE_UNSHARE) && atomic_load(&t->fdt->refs) > 1) {
		struct fd_table *n = fdt_copy(t->fdt);
		if (!n)
			return -ENOMEM;
		struct fd_table *old = t->fdt;
		t->fdt = n;
		fdt_put(old);
	}
	return fdt_close_range(t->fdt, first, last, flags & CLOSE_RANGE_CLOEXEC);
}

static int64_t sys_lseek(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = file_lseek(f, (int64_t)a[1], (int)a[2]);
	file_put(f);
	return r;
}

static int64_t sys_dup(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	return install(t, f, false);
}

static int64_t do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	struct file *f = get_file(t, oldfd);
	if (!f)
		return -EBADF;
	int r = fdt_install_at(t->fdt, newfd, f, (flags & O_CLOEXEC) ? FD_CLOEXEC : 0);
	file_put(f);
	return r;
}

static int64_t sys_dup2(struct task *t, const uint64_t a[6])
{
	int oldfd = (int)a[0], newfd = (int)a[1];
	if (oldfd == newfd) {
		struct file *f = get_file(t, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

static int64_t sys_dup3(struct task *t, const uint64_t a[6])
{
	int oldfd = (int)a[0], newfd = (int)a[1], flags = (int)a[2];
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return do_dup3(t, oldfd, newfd, flags);
}

static int64_t sys_fcntl(struct task *t, const uint64_t a[6])
{
	int fd = (int)a[0], cmd = (int)a[1];
	uint64_t arg = a[2];
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	int64_t r;
	bool opath = file_get_flags(f) & O_PATH;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if ((int)arg < 0 || (unsigned int)arg >= t->fdt->max_fds)
			r = -EINVAL;
		else
			r = fdt_install(t->fdt, f, cmd == F_DUPFD_CLOEXEC ? FD_CLOEXEC : 0, (int)arg);
		break;
	case F_GETFD:
		r = fdt_get_flags(t->fdt, fd);
		break;
	case F_SETFD:
		r = fdt_set_flags(t->fdt, fd, (int)arg & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = file_get_flags(f);
		break;
	case F_SETFL:
		r = opath ? -EBADF : file_set_flags(f, (int)arg);
		if (r == 0)
			r = vfs_fasync_update(t, f, fd, false);
		break;
	case F_SETOWN: {
		int who = (int)arg;
		r = opath ? -EBADF
		    : who == INT_MIN ? -EINVAL /* as Linux's f_setown: no -who */
			  : vfs_fasync_set_owner(t, f, who < 0 ? F_OWNER_PGRP : F_OWNER_PID,
						 who < 0 ? -who : who);
		break;
	}
	case F_GETOWN: {
		int type, pid;
		vfs_fasync_get_owner(f, &type, &pid);
		r = opath ? -EBADF : type == F_OWNER_PGRP ? -pid : pid;
		break;
	}
	case F_SETOWN_EX: {
		struct f_owner_ex ox;
		if (opath)
			r = -EBADF;
		else if (task_copy_in(t, &ox, arg, sizeof(ox)) < 0)
			r = -EFAULT;
		else
			r = vfs_fasync_set_owner(t, f, ox.type, ox.pid);
		break;
	}
	case F_GETOWN_EX: {
		struct f_owner_ex ox;
		int type, pid;
		vfs_fasync_get_owner(f, &type, &pid);
		ox.type = type;
		ox.pid = pid;
		r = opath ? -EBADF : task_copy_out(t, arg, &ox, sizeof(ox)) < 0 ? -EFAULT : 0;
		break;
	}
	case F_SETSIG:
		r = opath ? -EBADF : vfs_fasync_set_sig(t, f, arg);
		break;
	case F_GETSIG:
		r = opath ? -EBADF : vfs_fasync_get_sig(f);
		break;
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW: {
		struct flock fl;
		if (opath) {
			r = -EBADF;
		} else if (task_copy_in(t, &fl, arg, sizeof(fl)) < 0) {
			r = -EFAULT;
		} else {
			r = vfs_fcntl_lock(t, f, cmd, &fl);
			if (r == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK) &&
			    task_copy_out(t, arg, &fl, sizeof(fl)) < 0)
				r = -EFAULT;
		}
		break;
	}
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		r = pipe_fcntl(f, cmd, arg);
		break;
	case F_SETLEASE:
		r = opath ? -EBADF : vfs_lease_set(t, f, (int)arg);
		break;
	case F_GETLEASE:
		r = opath ? -EBADF : vfs_lease_get(f);
		break;
	case F_NOTIFY:
		r = opath ? -EBADF : vfs_dnotify_set(t, f, arg);
		break;
	case F_ADD_SEALS:
		r = opath ? -EBADF : tmpfs_add_seals(f, (unsigned int)arg);
		break;
	case F_GET_SEALS:
		r = opath ? -EBADF : tmpfs_get_seals(f);
		break;
	default:
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

static int64_t sys_flock(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int r = vfs_flock(t, f, (int)a[1]);
	file_put(f);
	return r;
}

/* ---------------------------------------------------------------- ioctl */

/* linux/fs.h's, spelled out (that header clashes with glibc's). */
#define VISOR_FICLONE 0x40049409U       /* _IOW(0x94, 9, int) */
#define VISOR_FICLONERANGE 0x4020940dU  /* _IOW(0x94, 13, struct file_clone_range) */
#define VISOR_FIDEDUPERANGE 0xc0189436U /* _IOWR(0x94, 54, struct file_dedupe_range) */
#define CLONE_RANGE_SIZE 32 /* struct file_clone_range */
#define DEDUPE_HEAD_SIZE 24 /* struct file_dedupe_range before its info[] */
#define DEDUPE_INFO_SIZE 32 /* struct file_dedupe_range_info */

/* FICLONE, FICLONERANGE: as Linux's ioctl_file_clone and
 * do_clone_file_range, with no file system here that shares extents: the
 * same errors up to the last, EOPNOTSUPP (what cp --reflink=always reports
 * on ext4 or overlayfs). */
static int64_t ioctl_clone(struct task *t, struct file *dst, unsigned int cmd, uint64_t arg)
{
	int64_t src_fd = (int)arg;
	if (cmd == VISOR_FICLONERANGE) {
		uint8_t range[CLONE_RANGE_SIZE];
		if (task_copy_in(t, range, arg, sizeof(range)) < 0)
			return -EFAULT;
		memcpy(&src_fd, range, sizeof(src_fd));
		if (src_fd < 0 || src_fd > INT32_MAX)
			return -EBADF;
	}
	struct file *src = get_file(t, (int)src_fd);
	if (!src || (src->flags & O_PATH)) {
		if (src)
			file_put(src);
		return -EBADF;
	}
	int64_t r = 0;
	mode_t in = src->inode ? src->inode->mode & S_IFMT : 0;
	mode_t out = dst->inode ? dst->inode->mode & S_IFMT : 0;
	if (src->path.mnt != dst->path.mnt || !src->path.mnt)
		r = -EXDEV;
	else if (in == S_IFDIR || out == S_IFDIR)
		r = -EISDIR;
	else if (in != S_IFREG || out != S_IFREG)
		r = -EINVAL;
	else if (!src->readable || !dst->writable || (file_get_flags(dst) & O_APPEND))
		r = -EBADF;
	else
		r = -EOPNOTSUPP;
	file_put(src);
	return r;
}

/* FIDEDUPERANGE: as vfs_dedupe_file_range up to its EOPNOTSUPP. */
static int64_t ioctl_dedupe(struct task *t, struct file *f, uint64_t arg)
{
	uint8_t head[DEDUPE_HEAD_SIZE];
	if (task_copy_in(t, head, arg, sizeof(head)) < 0)
		return -EFAULT;
	uint16_t count, reserved1;
	uint32_t reserved2;
	memcpy(&count, head + 16, 2);
	memcpy(&reserved1, head + 18, 2);
	memcpy(&reserved2, head + 20, 4);
	if (DEDUPE_HEAD_SIZE + (size_t)count * DEDUPE_INFO_SIZE > 4096)
		return -ENOMEM;
	if (reserved1 || reserved2)
		return -EINVAL;
	mode_t m = f->inode ? f->inode->mode & S_IFMT : 0;
	if (m == S_IFDIR)
		return -EISDIR;
	if (m != S_IFREG)
		return -EINVAL;
	return -EOPNOTSUPP;
}

/* FIONREAD on a regular file: the bytes from the offset to the end, as
 * Linux's do_vfs_ioctl (other files answer it themselves). */
static int64_t ioctl_fionread_reg(struct task *t, struct file *f, uint64_t arg)
{
	struct stat st;
	int r = vfs_stat_file(f, &st);
	if (r < 0)
		return r;
	vmutex_lock(&f->pos_lock);
	int v = (int)(st.st_size - (off_t)f->pos);
	vmutex_unlock(&f->pos_lock);
	return task_copy_out(t, arg, &v, sizeof(v));
}

static int64_t sys_ioctl(struct task *t, const uint64_t a[6])
{
	int fd = (int)a[0];
	unsigned int cmd = (unsigned int)a[1];
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	int64_t r;
	int v;
	switch (cmd) {
	case FIOCLEX:
		r = fdt_set_flags(t->fdt, fd, FD_CLOEXEC);
		break;
	case FIONCLEX:
		r = fdt_set_flags(t->fdt, fd, 0);
		break;
	case FIONBIO:
		if (task_copy_in(t, &v, a[2], sizeof(v)) < 0) {
			r = -EFAULT;
			break;
		}
		{
			int fl = file_get_flags(f);
			r = file_set_flags(f, v ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK));
		}
		break;
	case FIOASYNC:
		if (task_copy_in(t, &v, a[2], sizeof(v)) < 0) {
			r = -EFAULT;
			break;
		}
		{
			int fl = file_get_flags(f);
			r = file_set_flags(f, v ? (fl | O_ASYNC) : (fl & ~O_ASYNC));
			if (r == 0)
				r = vfs_fasync_update(t, f, fd, true);
			if (r < 0) /* Linux's ioctl_fioasync leaves the flag as it was */
				file_set_flags(f, fl);
		}
		break;
	case VISOR_FICLONE:
	case VISOR_FICLONERANGE:
		r = (f->flags & O_PATH) ? -EBADF : ioctl_clone(t, f, cmd, a[2]);
		break;
	case VISOR_FIDEDUPERANGE:
		r = (f->flags & O_PATH) ? -EBADF : ioctl_dedupe(t, f, a[2]);
		break;
	case FIONREAD:
		if (!(f->flags & O_PATH) && f->inode && S_ISREG(f->inode->mode)) {
			r = ioctl_fionread_reg(t, f, a[2]);
			break;
		}
		/* fall through */
	default:
		r = file_ioctl(t, f, cmd, a[2]);
		break;
	}
	file_put(f);
	return r;
}

/* ---------------------------------------------------------------- pipes */

static int64_t do_pipe2(struct task *t, uint64_t addr, int flags)
{
	/* O_DIRECT ("packet mode") pipes are not implemented: EINVAL, as the
	 * kernels before 3.4 that did not know it. */
	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	struct file *r, *w;
	int err = pipe_new(flags & O_NONBLOCK, &r, &w);
	if (err < 0)
		return err;
	int fds[2];
	fds[0] = install(t, r, flags & O_CLOEXEC);
	if (fds[0] < 0) {
		file_put(w);
		return fds[0];
	}
	fds[1] = install(t, w, flags & O_CLOEXEC);
	if (fds[1] < 0) {
		fdt_close(t->fdt, fds[0]);
		return fds[1];
	}
	if (task_copy_out(t, addr, fds, sizeof(fds)) < 0) {
		fdt_close(t->fdt, fds[0]);
		fdt_close(t->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

static int64_t sys_pipe(struct task *t, const uint64_t a[6])
{
	return do_pipe2(t, a[0], 0);
}

static int64_t sys_pipe2(struct task *t, const uint64_t a[6])
{
	return do_pipe2(t, a[0], (int)a[1]);
}

const struct syscall_def sys_fd_defs[] = {
	{SYS_open, "open", sys_open},
	{SYS_openat, "openat", sys_openat},
	{SYS_openat2, "openat2", sys_openat2},
	{SYS_name_to_handle_at, "name_to_handle_at", sys_name_to_handle_at},
	{SYS_open_by_handle_at, "open_by_handle_at", sys_open_by_handle_at},
	{SYS_creat, "creat", sys_creat},
	{SYS_close, "close", sys_close},
	{SYS_close_range, "close_range", sys_close_range},
	{SYS_lseek, "lseek", sys_lseek},
	{SYS_dup, "dup", sys_dup},
	{SYS_dup2, "dup2", sys_dup2},
	{SYS_dup3, "dup3", sys_dup3},
	{SYS_fcntl, "fcntl", sys_fcntl},
	{SYS_flock, "flock", sys_flock},
	{SYS_ioctl, "ioctl", sys_ioctl},
	{SYS_pipe, "pipe", sys_pipe},
	{SYS_pipe2, "pipe2", sys_pipe2},
	{0},
};
