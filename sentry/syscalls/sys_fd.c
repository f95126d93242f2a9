/*
 * sys_fd.c — the file-family syscalls: open, close, lseek, dup, fcntl, flock, ioctl and pipes.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.
 * Record locks and flock are the VFS's (vfs/lock.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "lib/cleanup.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/fs/pipe.h"
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
	default:
		/* F_SETOWN, F_GETOWN, leases, notify, seals: not supported. */
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
