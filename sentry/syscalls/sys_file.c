/*
 * sys_file.c — the file-family syscalls: I/O, fds, paths, attributes,
 * directories, pipes, poll/select, mounts.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.  Data moves through Sentry
 * bounce buffers of at most RW_CHUNK bytes; regular files loop over chunks,
 * streams (pipes, ttys) transfer once so a read never waits for more after
 * it has some.
 *
 * Not here: sockets (sys_socket.c), mmap (sys_mm.c), execve (kernel).
 * Record locks and flock are the VFS's (vfs/lock.c).
 * A signal during poll/select restarts only when no handler runs
 * (-ERESTARTNOHAND), with the full timeout.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <linux/falloc.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/fs/pipe.h"
#include "sentry/vfs/epoll.h"
#include "sentry/vfs/eventfd.h"
#include "sentry/vfs/vfs.h"

/* sentry/kernel provides these (kernel.h, signal.h). */
void task_set_sigmask_for_wait(struct task *t, sigset64_t mask);
void task_set_sigmask(struct task *t, sigset64_t mask);

#define RW_CHUNK (1u << 20)
#define MAX_RW_COUNT 0x7ffff000u
#define UIO_MAXIOV_ 1024

/* ---------------------------------------------------------------- helpers */

/* Copy a path in: a malloc'd string (caller frees) or -EFAULT/-ENAMETOOLONG. */
static int path_in(struct task *t, uint64_t addr, char **out)
{
	char *buf = malloc(VFS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	ssize_t n = task_copy_string_in(t, buf, addr, VFS_PATH_MAX);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*out = buf;
	return 0;
}

/* Copy two paths in, the first first (so its fault is the one reported);
 * both are freed by the caller, also when the second fails. */
static int paths_in(struct task *t, uint64_t addr1, char **out1, uint64_t addr2, char **out2)
{
	int r = path_in(t, addr1, out1);
	if (r < 0)
		return r;
	return path_in(t, addr2, out2);
}

static struct file *get_file(struct task *t, int fd)
{
	return fdt_get_file(t->fdt, fd);
}

/* Drop the references of a pair of get_file results, either of which may be
 * NULL (the calls that take two fds look both up before checking either). */
static void put_files(struct file *a, struct file *b)
{
	if (a)
		file_put(a);
	if (b)
		file_put(b);
}

static int install(struct task *t, struct file *f, bool cloexec)
{
	int fd = fdt_install(t->fdt, f, cloexec ? FD_CLOEXEC : 0, 0);
	file_put(f);
	return fd;
}

/* ---------------------------------------------------------------- read/write */

struct kiov {
	uint64_t base;
	uint64_t len;
};

/* Clamp a transfer of *len bytes to what one call moves (as Linux,
 * MAX_RW_COUNT) and size its bounce buffer: at most RW_CHUNK, at least 1 byte
 * so that a zero-length call still reaches the file. */
static size_t bounce_size(uint64_t *len)
{
	if (*len > MAX_RW_COUNT)
		*len = MAX_RW_COUNT;
	return *len < RW_CHUNK ? (*len ? *len : 1) : RW_CHUNK;
}

/* Read or write total bytes described by iov (app memory) on f at off
 * (-1: the file position). */
static int64_t do_rw(struct task *t, struct file *f, const struct kiov *iov, int iovcnt,
		     bool write, int64_t off)
{
	uint64_t total = 0;
	for (int i = 0; i < iovcnt; i++) {
		if ((int64_t)iov[i].len < 0)
			return -EINVAL;
		total += iov[i].len;
		if ((int64_t)total < 0)
			return -EINVAL;
	}
	/* Zero-length transfers still check the fd (EBADF/EISDIR/ESPIPE). */
	size_t bufsz = bounce_size(&total);
	_cleanup_free_ char *buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	uint64_t done = 0;
	int vi = 0;
	uint64_t vo = 0; /* offset inside iov[vi] */
	do {
		size_t chunk = total - done < bufsz ? total - done : bufsz;
		if (write) {
			/* gather */
			size_t got = 0;
			int gi = vi;
			uint64_t go = vo;
			while (got < chunk) {
				size_t n = iov[gi].len - go < chunk - got ? iov[gi].len - go : chunk - got;
				if (n && task_copy_in(t, buf + got, iov[gi].base + go, n) < 0)
					return done ? (int64_t)done : -EFAULT;
				got += n;
				go += n;
				if (go == iov[gi].len) {
					gi++;
					go = 0;
				}
			}
		}
		ssize_t r;
		if (off < 0)
			r = write ? file_write(t, f, buf, chunk) : file_read(t, f, buf, chunk);
		else
			r = write ? file_pwrite(t, f, buf, chunk, off + done)
				  : file_pread(t, f, buf, chunk, off + done);
		if (r < 0)
			return done ? (int64_t)done : r;
		/* advance the iovec cursor by r (scattering for reads) */
		size_t left = r, put = 0;
		while (left) {
			size_t n = iov[vi].len - vo < left ? iov[vi].len - vo : left;
			if (!write && n && task_copy_out(t, iov[vi].base + vo, buf + put, n) < 0)
				return done + put ? (int64_t)(done + put) : -EFAULT;
			put += n;
			left -= n;
			vo += n;
			if (vo == iov[vi].len) {
				vi++;
				vo = 0;
			}
		}
		while (vi < iovcnt && iov[vi].len == 0)
			vi++;
		done += r;
		if ((size_t)r < chunk)
			break;
		/* A stream read returns what is there: never wait for more. */
		if (!write && f->stream)
			break;
	} while (done < total);
	return done;
}

static int64_t rw_single(struct task *t, int fd, uint64_t addr, uint64_t len, bool write,
			 int64_t off)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	struct kiov iov = {addr, len};
	int64_t r = do_rw(t, f, &iov, 1, write, off);
	file_put(f);
	return r;
}

static int64_t rw_vec(struct task *t, int fd, uint64_t iovaddr, int64_t iovcnt, bool write,
		      int64_t off)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	int64_t r;
	if (iovcnt < 0 || iovcnt > UIO_MAXIOV_) {
		r = -EINVAL;
	} else {
		struct kiov *iov = malloc((iovcnt ? iovcnt : 1) * sizeof(*iov));
		if (!iov)
			r = -ENOMEM;
		else if (iovcnt && task_copy_in(t, iov, iovaddr, iovcnt * sizeof(*iov)) < 0)
			r = -EFAULT;
		else
			r = do_rw(t, f, iov, (int)iovcnt, write, off);
		free(iov);
	}
	file_put(f);
	return r;
}

static int64_t sys_read(struct task *t, const uint64_t a[6])
{
	return rw_single(t, (int)a[0], a[1], a[2], false, -1);
}

static int64_t sys_write(struct task *t, const uint64_t a[6])
{
	return rw_single(t, (int)a[0], a[1], a[2], true, -1);
}

static int64_t sys_pread64(struct task *t, const uint64_t a[6])
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_single(t, (int)a[0], a[1], a[2], false, (int64_t)a[3]);
}

static int64_t sys_pwrite64(struct task *t, const uint64_t a[6])
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_single(t, (int)a[0], a[1], a[2], true, (int64_t)a[3]);
}

static int64_t sys_readv(struct task *t, const uint64_t a[6])
{
	return rw_vec(t, (int)a[0], a[1], (int)a[2], false, -1);
}

static int64_t sys_writev(struct task *t, const uint64_t a[6])
{
	return rw_vec(t, (int)a[0], a[1], (int)a[2], true, -1);
}

static int64_t sys_preadv(struct task *t, const uint64_t a[6])
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_vec(t, (int)a[0], a[1], (int)a[2], false, (int64_t)a[3]);
}

static int64_t sys_pwritev(struct task *t, const uint64_t a[6])
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_vec(t, (int)a[0], a[1], (int)a[2], true, (int64_t)a[3]);
}

/* preadv2/pwritev2: offset -1 means the file position; flags (RWF_*) unsupported
 * except 0 and RWF_HIPRI (a hint). */
static int64_t rw_vec2(struct task *t, const uint64_t a[6], bool write)
{
	if (a[5] & ~(uint64_t)RWF_HIPRI)
		return -EOPNOTSUPP;
	int64_t off = (int64_t)a[3];
	if (off < -1)
		return -EINVAL;
	return rw_vec(t, (int)a[0], a[1], (int)a[2], write, off);
}

static int64_t sys_preadv2(struct task *t, const uint64_t a[6])
{
	return rw_vec2(t, a, false);
}

static int64_t sys_pwritev2(struct task *t, const uint64_t a[6])
{
	return rw_vec2(t, a, true);
}

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

/* ---------------------------------------------------------------- stat */

static int64_t stat_out(struct task *t, const struct stat *st, uint64_t addr)
{
	return task_copy_out(t, addr, st, sizeof(*st));
}

/* Copy the path at addr in and stat it (stat family, statx, xattr checks). */
static int statat_in(struct task *t, int dirfd, uint64_t addr, int flags, struct stat *st)
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, addr, &p);
	if (r < 0)
		return r;
	return vfs_statat(t, dirfd, p, flags, st);
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
	struct stat st;
	int r = statat_in(t, dirfd, a[1], flags & (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH), &st);
	if (r < 0)
		return r;
	struct statx sx;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = st.st_blksize;
	sx.stx_nlink = st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = st.st_size;
	sx.stx_blocks = st.st_blocks;
	sx.stx_atime.tv_sec = st.st_atim.tv_sec;
	sx.stx_atime.tv_nsec = st.st_atim.tv_nsec;
	sx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.stx_mtime.tv_nsec = st.st_mtim.tv_nsec;
	sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.stx_ctime.tv_nsec = st.st_ctim.tv_nsec;
	sx.stx_rdev_major = major(st.st_rdev);
	sx.stx_rdev_minor = minor(st.st_rdev);
	sx.stx_dev_major = major(st.st_dev);
	sx.stx_dev_minor = minor(st.st_dev);
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

/* ---------------------------------------------------------------- getdents64 */

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

static int64_t sys_getdents64(struct task *t, const uint64_t a[6])
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
		struct dents_ctx d = {.ctx.emit = dents_emit, .size = count};
		d.buf = malloc(count ? count : 1);
		if (!d.buf) {
			r = -ENOMEM;
		} else {
			pthread_mutex_lock(&f->pos_lock);
			d.ctx.pos = f->pos;
			r = f->ops->readdir(t, f, &d.ctx);
			if (r == 0)
				f->pos = d.ctx.pos;
			pthread_mutex_unlock(&f->pos_lock);
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
	pthread_mutex_lock(&t->fs->lock);
	uint32_t old = t->fs->umask;
	t->fs->umask = (uint32_t)a[0] & 0777;
	pthread_mutex_unlock(&t->fs->lock);
	return old;
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

/* ---------------------------------------------------------------- poll/select */

struct kpoll {
	int fd;
	short events, revents;
};

static void ts_now(struct timespec *ts)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
}

static struct timespec ts_add(struct timespec a, struct timespec b)
{
	a.tv_sec += b.tv_sec;
	a.tv_nsec += b.tv_nsec;
	if (a.tv_nsec >= 1000000000) {
		a.tv_sec++;
		a.tv_nsec -= 1000000000;
	}
	return a;
}

/* Remaining time until deadline (zero when passed). */
static struct timespec ts_left(const struct timespec *deadline)
{
	struct timespec now;
	ts_now(&now);
	struct timespec r = {deadline->tv_sec - now.tv_sec, deadline->tv_nsec - now.tv_nsec};
	if (r.tv_nsec < 0) {
		r.tv_sec--;
		r.tv_nsec += 1000000000;
	}
	if (r.tv_sec < 0)
		r = (struct timespec){0, 0};
	return r;
}

/*
 * Wait until one of ents is ready or the deadline (NULL: none; zero
 * deadline in the past: just check).  Returns the number of ready entries,
 * or -ERESTARTNOHAND when a signal came first.
 */
static int64_t vfs_poll_wait(struct task *t, struct kpoll *ents, int n, const struct timespec *deadline)
{
	struct file **files = calloc(n ? n : 1, sizeof(*files));
	struct poll_entry *pes = calloc(n ? n : 1, sizeof(*pes));
	int64_t result = 0;
	int epfd = -1;
	if (!files || !pes) {
		free(files);
		free(pes);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		if (ents[i].fd >= 0)
			files[i] = get_file(t, ents[i].fd);
		task_poll_entry_init(&pes[i], t, (uint32_t)(uint16_t)ents[i].events | POLLERR | POLLHUP);
	}
	for (bool first = true;; first = false) {
		int ready = 0;
		for (int i = 0; i < n; i++) {
			ents[i].revents = 0;
			if (ents[i].fd < 0)
				continue;
			if (!files[i]) {
				ents[i].revents = POLLNVAL;
				ready++;
				continue;
			}
			uint32_t m = file_poll(files[i], first ? &pes[i] : NULL);
			ents[i].revents = (short)(m & ((uint16_t)ents[i].events | POLLERR | POLLHUP |
						       POLLNVAL));
			if (ents[i].revents)
				ready++;
		}
		if (ready) {
			result = ready;
			break;
		}
		struct timespec now;
		ts_now(&now);
		if (deadline && (now.tv_sec > deadline->tv_sec ||
				 (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))) {
			result = 0;
			break;
		}
		/* Host fds (stdio) cannot be on a Sentry wait queue: sleep on them too. */
		int nhost = 0, hostfd = -1;
		short hostev = 0;
		for (int i = 0; i < n; i++) {
			if (pes[i].hostfd >= 0) {
				nhost++;
				hostfd = pes[i].hostfd;
				hostev = pes[i].hostevents;
			}
		}
		int r;
		if (nhost == 0) {
			r = task_block(t, deadline);
		} else if (nhost == 1) {
			r = task_block_fd(t, hostfd, hostev, deadline);
		} else {
			if (epfd < 0) {
				epfd = epoll_create1(EPOLL_CLOEXEC);
				for (int i = 0; epfd >= 0 && i < n; i++) {
					if (pes[i].hostfd < 0)
						continue;
					struct epoll_event ev = {.events = (uint32_t)pes[i].hostevents};
					ev.data.fd = pes[i].hostfd;
					/* The same host fd twice: EEXIST, harmless. */
					epoll_ctl(epfd, EPOLL_CTL_ADD, pes[i].hostfd, &ev);
				}
			}
			r = epfd >= 0 ? task_block_fd(t, epfd, POLLIN, deadline)
				      : task_block_fd(t, hostfd, hostev, deadline);
		}
		if (r == -EINTR) {
			result = -ERESTARTNOHAND;
			break;
		}
		if (r < 0 && r != -ETIMEDOUT) {
			result = r;
			break;
		}
		/* Woken, host fd ready, or timed out: check again (the timeout is
		 * noticed at the top so a last-moment event still counts). */
	}
	for (int i = 0; i < n; i++) {
		poll_entry_remove(&pes[i]);
		if (files[i])
			file_put(files[i]);
	}
	if (epfd >= 0)
		close(epfd);
	free(files);
	free(pes);
	return result;
}

static int64_t do_poll(struct task *t, uint64_t fdsaddr, uint64_t nfds,
		       const struct timespec *deadline)
{
	if (nfds > t->fdt->max_fds || nfds > (1u << 20))
		return -EINVAL;
	struct pollfd *pfd = malloc((nfds ? nfds : 1) * sizeof(*pfd));
	struct kpoll *kp = malloc((nfds ? nfds : 1) * sizeof(*kp));
	int64_t r;
	if (!pfd || !kp) {
		r = -ENOMEM;
		goto out;
	}
	if (nfds && task_copy_in(t, pfd, fdsaddr, nfds * sizeof(*pfd)) < 0) {
		r = -EFAULT;
		goto out;
	}
	for (uint64_t i = 0; i < nfds; i++)
		kp[i] = (struct kpoll){pfd[i].fd, pfd[i].events, 0};
	r = vfs_poll_wait(t, kp, (int)nfds, deadline);
	if (r >= 0) {
		for (uint64_t i = 0; i < nfds; i++)
			pfd[i].revents = kp[i].revents;
		if (nfds && task_copy_out(t, fdsaddr, pfd, nfds * sizeof(*pfd)) < 0)
			r = -EFAULT;
	}
out:
	free(pfd);
	free(kp);
	return r;
}

static int64_t sys_poll(struct task *t, const uint64_t a[6])
{
	int timeout = (int)a[2];
	struct timespec dl, *dlp = NULL;
	if (timeout >= 0) {
		ts_now(&dl);
		dl = ts_add(dl, (struct timespec){timeout / 1000, (timeout % 1000) * 1000000L});
		dlp = &dl;
	}
	return do_poll(t, a[0], a[1], dlp);
}

/* Read a timespec timeout (NULL addr: none) into an absolute deadline. */
static int64_t timeout_in(struct task *t, uint64_t addr, struct timespec *dl, bool *has)
{
	*has = false;
	if (!addr)
		return 0;
	struct timespec ts;
	if (task_copy_in(t, &ts, addr, sizeof(ts)) < 0)
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	ts_now(dl);
	*dl = ts_add(*dl, ts);
	*has = true;
	return 0;
}

/* ppoll/pselect6: install the temporary mask; on return without a signal to
 * deliver, put the old one back (with a signal, delivery restores it after
 * building the handler frame, as Linux's restore_saved_sigmask_unless). */
static int64_t sigmask_in(struct task *t, uint64_t addr, uint64_t size, bool *set)
{
	*set = false;
	if (!addr)
		return 0;
	if (size != sizeof(sigset64_t))
		return -EINVAL;
	sigset64_t m;
	if (task_copy_in(t, &m, addr, sizeof(m)) < 0)
		return -EFAULT;
	task_set_sigmask_for_wait(t, m);
	*set = true;
	return 0;
}

static void sigmask_done(struct task *t, bool set, int64_t r)
{
	if (!set || r == -ERESTARTNOHAND || r == -EINTR)
		return;
	t->restore_sigmask = false;
	task_set_sigmask(t, t->saved_sigmask);
}

/* The end of ppoll/pselect6: restore the signal mask, then write the time
 * left back to the timespec at addr (as Linux: a failure here is ignored). */
static void timed_wait_done(struct task *t, bool set, int64_t r, bool has,
			    const struct timespec *dl, uint64_t addr)
{
	sigmask_done(t, set, r);
	if (has && r != -EFAULT) {
		struct timespec left = ts_left(dl);
		task_copy_out(t, addr, &left, sizeof(left));
	}
}

static int64_t sys_ppoll(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool has;
	int64_t r = timeout_in(t, a[2], &dl, &has);
	if (r < 0)
		return r;
	bool set;
	r = sigmask_in(t, a[3], a[4], &set);
	if (r < 0)
		return r;
	r = do_poll(t, a[0], a[1], has ? &dl : NULL);
	timed_wait_done(t, set, r, has, &dl, a[2]);
	return r;
}

#define SELECT_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SELECT_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SELECT_EX (POLLPRI)

static int64_t do_select(struct task *t, int nfds, uint64_t inp, uint64_t outp, uint64_t exp,
			 const struct timespec *deadline)
{
	if (nfds < 0 || (unsigned int)nfds > t->fdt->max_fds)
		return -EINVAL;
	size_t words = ((size_t)nfds + 63) / 64;
	size_t bytes = words * 8;
	uint64_t *sets[3] = {0};
	uint64_t addrs[3] = {inp, outp, exp};
	struct kpoll *kp = NULL;
	int64_t r = 0;
	for (int s = 0; s < 3; s++) {
		sets[s] = calloc(words ? words : 1, 8);
		if (!sets[s]) {
			r = -ENOMEM;
			goto out;
		}
		if (addrs[s] && bytes && task_copy_in(t, sets[s], addrs[s], bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	}
	kp = malloc((nfds ? nfds : 1) * sizeof(*kp));
	if (!kp) {
		r = -ENOMEM;
		goto out;
	}
	int n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ULL << (fd % 64);
		short ev = 0;
		if (sets[0][fd / 64] & bit)
			ev |= SELECT_IN;
		if (sets[1][fd / 64] & bit)
			ev |= SELECT_OUT;
		if (sets[2][fd / 64] & bit)
			ev |= SELECT_EX;
		if (!ev)
			continue;
		struct file *f = get_file(t, fd);
		if (!f) {
			r = -EBADF;
			goto out;
		}
		file_put(f);
		kp[n++] = (struct kpoll){fd, ev, 0};
	}
	r = vfs_poll_wait(t, kp, n, deadline);
	if (r < 0)
		goto out;
	for (int s = 0; s < 3; s++)
		memset(sets[s], 0, words * 8);
	int count = 0;
	for (int i = 0; i < n; i++) {
		int fd = kp[i].fd;
		uint64_t bit = 1ULL << (fd % 64);
		short re = kp[i].revents, ev = kp[i].events;
		if ((ev & SELECT_IN) && (re & SELECT_IN)) {
			sets[0][fd / 64] |= bit;
			count++;
		}
		if ((ev & SELECT_OUT) && (re & SELECT_OUT)) {
			sets[1][fd / 64] |= bit;
			count++;
		}
		if ((ev & SELECT_EX) && (re & SELECT_EX)) {
			sets[2][fd / 64] |= bit;
			count++;
		}
	}
	for (int s = 0; s < 3; s++) {
		if (addrs[s] && bytes && task_copy_out(t, addrs[s], sets[s], bytes) < 0) {
			r = -EFAULT;
			goto out;
		}
	}
	r = count;
out:
	for (int s = 0; s < 3; s++)
		free(sets[s]);
	free(kp);
	return r;
}

static int64_t sys_select(struct task *t, const uint64_t a[6])
{
	struct timespec dl, *dlp = NULL;
	if (a[4]) {
		struct timeval tv;
		if (task_copy_in(t, &tv, a[4], sizeof(tv)) < 0)
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Linux normalises usec >= 1e6 instead of failing. */
		struct timespec ts = {tv.tv_sec + tv.tv_usec / 1000000, (tv.tv_usec % 1000000) * 1000};
		ts_now(&dl);
		dl = ts_add(dl, ts);
		dlp = &dl;
	}
	int64_t r = do_select(t, (int)a[0], a[1], a[2], a[3], dlp);
	if (dlp && r != -EFAULT) {
		struct timespec left = ts_left(&dl);
		struct timeval tv = {left.tv_sec, left.tv_nsec / 1000};
		task_copy_out(t, a[4], &tv, sizeof(tv));
	}
	return r;
}

static int64_t sys_pselect6(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool has;
	int64_t r = timeout_in(t, a[4], &dl, &has);
	if (r < 0)
		return r;
	/* a[5] points at {const sigset_t *ss; size_t ss_len;}. */
	bool set = false;
	if (a[5]) {
		uint64_t sm[2];
		if (task_copy_in(t, sm, a[5], sizeof(sm)) < 0)
			return -EFAULT;
		r = sigmask_in(t, sm[0], sm[1], &set);
		if (r < 0)
			return r;
	}
	r = do_select(t, (int)a[0], a[1], a[2], a[3], has ? &dl : NULL);
	timed_wait_done(t, set, r, has, &dl, a[4]);
	return r;
}

/* ---------------------------------------------------------------- eventfd, epoll */

static int64_t sys_eventfd2(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[1];
	struct file *f;
	int r = eventfd_new((unsigned int)a[0], flags, &f);
	return r < 0 ? r : install(t, f, flags & EFD_CLOEXEC);
}

static int64_t sys_eventfd(struct task *t, const uint64_t a[6])
{
	uint64_t b[6] = {a[0], 0};
	return sys_eventfd2(t, b);
}

static int64_t sys_epoll_create1(struct task *t, const uint64_t a[6])
{
	struct file *f;
	int r = epoll_new((int)a[0], &f);
	return r < 0 ? r : install(t, f, (int)a[0] & EPOLL_CLOEXEC);
}

static int64_t sys_epoll_create(struct task *t, const uint64_t a[6])
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	uint64_t b[6] = {0};
	return sys_epoll_create1(t, b);
}

static int64_t sys_epoll_ctl(struct task *t, const uint64_t a[6])
{
	int op = (int)a[1], fd = (int)a[2];
	struct epoll_event ev;
	if (op != EPOLL_CTL_DEL && task_copy_in(t, &ev, a[3], sizeof(ev)) < 0)
		return -EFAULT;
	struct file *ep = get_file(t, (int)a[0]);
	struct file *target = get_file(t, fd);
	int64_t r;
	if (!ep || !target)
		r = -EBADF;
	else
		r = epoll_ctl_file(ep, op, fd, target, op == EPOLL_CTL_DEL ? NULL : &ev);
	put_files(ep, target);
	return r;
}

static int64_t do_epoll_wait(struct task *t, int epfd, uint64_t events, int maxevents,
			     const struct timespec *deadline)
{
	if (maxevents <= 0 || (size_t)maxevents > INT32_MAX / sizeof(struct epoll_event))
		return -EINVAL;
	struct file *ep = get_file(t, epfd);
	if (!ep)
		return -EBADF;
	int64_t r;
	int cap = maxevents < 1024 ? maxevents : 1024;
	struct epoll_event *out = malloc(cap * sizeof(*out));
	if (!out)
		r = -ENOMEM;
	else if (!file_is_epoll(ep))
		r = -EINVAL;
	else
		r = epoll_wait_file(t, ep, out, cap, deadline);
	if (r > 0 && task_copy_out(t, events, out, r * sizeof(*out)) < 0)
		r = -EFAULT;
	free(out);
	file_put(ep);
	return r;
}

static struct timespec *ms_deadline(int ms, struct timespec *dl)
{
	if (ms < 0)
		return NULL;
	ts_now(dl);
	*dl = ts_add(*dl, (struct timespec){ms / 1000, (ms % 1000) * 1000000L});
	return dl;
}

static int64_t sys_epoll_wait(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	return do_epoll_wait(t, (int)a[0], a[1], (int)a[2], ms_deadline((int)a[3], &dl));
}

static int64_t sys_epoll_pwait(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool set;
	int64_t r = sigmask_in(t, a[4], a[5], &set);
	if (r < 0)
		return r;
	r = do_epoll_wait(t, (int)a[0], a[1], (int)a[2], ms_deadline((int)a[3], &dl));
	sigmask_done(t, set, r);
	return r;
}

static int64_t sys_epoll_pwait2(struct task *t, const uint64_t a[6])
{
	struct timespec dl;
	bool has, set;
	int64_t r = timeout_in(t, a[3], &dl, &has);
	if (r < 0)
		return r;
	r = sigmask_in(t, a[4], a[5], &set);
	if (r < 0)
		return r;
	r = do_epoll_wait(t, (int)a[0], a[1], (int)a[2], has ? &dl : NULL);
	sigmask_done(t, set, r);
	return r;
}

/* ---------------------------------------------------------------- sync */

static int64_t do_fsync(struct task *t, int fd, bool datasync)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	int r = file_fsync(f, datasync);
	file_put(f);
	return r;
}

static int64_t sys_fsync(struct task *t, const uint64_t a[6])
{
	return do_fsync(t, (int)a[0], false);
}

static int64_t sys_fdatasync(struct task *t, const uint64_t a[6])
{
	return do_fsync(t, (int)a[0], true);
}

/* sync(2) cannot fail; data written through donated fds is in the host's page
 * cache already and in-memory file systems have nothing to flush. */
static int64_t sys_sync(struct task *t, const uint64_t a[6])
{
	return 0;
}

static int64_t sys_syncfs(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/* ---------------------------------------------------------------- copies */

/* Move up to len bytes from in (at *in_off, or its position) to out (at
 * *out_off, or its position) through a Sentry buffer.  Returns bytes moved
 * or the first error when none moved. */
static int64_t copy_between(struct task *t, struct file *in, int64_t *in_off, struct file *out,
			    int64_t *out_off, uint64_t len)
{
	size_t bufsz = bounce_size(&len);
	_cleanup_free_ char *buf = malloc(bufsz);
	if (!buf)
		return -ENOMEM;
	uint64_t done = 0;
	while (done < len) {
		size_t chunk = len - done < bufsz ? len - done : bufsz;
		ssize_t n = in_off ? file_pread(t, in, buf, chunk, *in_off) : file_read(t, in, buf, chunk);
		if (n <= 0) {
			if (n < 0 && !done)
				return n;
			break;
		}
		size_t w = 0;
		while (w < (size_t)n) {
			ssize_t m = out_off ? file_pwrite(t, out, buf + w, n - w, *out_off + w)
					    : file_write(t, out, buf + w, n - w);
			if (m <= 0) {
				/* Put back what was read but not written, where we can. */
				if (in_off)
					*in_off += w;
				else if (!in->stream)
					file_lseek(in, (int64_t)w - n, SEEK_CUR);
				if (out_off)
					*out_off += w;
				done += w;
				return done ? (int64_t)done : (m < 0 ? m : -EIO);
			}
			w += m;
		}
		if (in_off)
			*in_off += n;
		if (out_off)
			*out_off += n;
		done += n;
		if ((size_t)n < chunk)
			break;
	}
	return done;
}

static int64_t sys_sendfile(struct task *t, const uint64_t a[6])
{
	struct file *out = get_file(t, (int)a[0]);
	struct file *in = get_file(t, (int)a[1]);
	int64_t r;
	int64_t off = 0;
	if (!out || !in) {
		r = -EBADF;
	} else if (!in->readable || !out->writable) {
		r = -EBADF;
	} else if (file_get_flags(out) & O_APPEND) {
		r = -EINVAL; /* as Linux */
	} else if (a[2] && task_copy_in(t, &off, a[2], sizeof(off)) < 0) {
		r = -EFAULT;
	} else if (a[2] && off < 0) {
		r = -EINVAL;
	} else {
		r = copy_between(t, in, a[2] ? &off : NULL, out, NULL, a[3]);
		if (a[2] && r >= 0 && task_copy_out(t, a[2], &off, sizeof(off)) < 0)
			r = -EFAULT;
	}
	put_files(out, in);
	return r;
}

static int64_t sys_copy_file_range(struct task *t, const uint64_t a[6])
{
	if (a[5] != 0)
		return -EINVAL;
	struct file *in = get_file(t, (int)a[0]);
	struct file *out = get_file(t, (int)a[2]);
	int64_t r = 0, ioff = 0, ooff = 0;
	if (!out || !in || !in->readable || !out->writable) {
		r = -EBADF;
	} else if (!in->inode || !out->inode || S_ISDIR(in->inode->mode) ||
		   S_ISDIR(out->inode->mode)) {
		r = -EISDIR;
	} else if (!S_ISREG(in->inode->mode) || !S_ISREG(out->inode->mode)) {
		r = -EINVAL;
	} else if (file_get_flags(out) & O_APPEND) {
		r = -EBADF;
	} else if ((a[1] && task_copy_in(t, &ioff, a[1], 8) < 0) ||
		   (a[3] && task_copy_in(t, &ooff, a[3], 8) < 0)) {
		r = -EFAULT;
	} else if (ioff < 0 || ooff < 0) {
		r = -EINVAL;
	} else {
		int64_t *ip = a[1] ? &ioff : NULL, *op = a[3] ? &ooff : NULL;
		/* Overlapping ranges of one file are EINVAL, as Linux. */
		if (in->inode == out->inode) {
			int64_t is = ip ? ioff : (int64_t)in->pos, os = op ? ooff : (int64_t)out->pos;
			if (is < os + (int64_t)a[4] && os < is + (int64_t)a[4])
				r = -EINVAL;
		}
		if (r == 0) {
			r = copy_between(t, in, ip, out, op, a[4]);
			if (r >= 0 && ((a[1] && task_copy_out(t, a[1], &ioff, 8) < 0) ||
				       (a[3] && task_copy_out(t, a[3], &ooff, 8) < 0)))
				r = -EFAULT;
		}
	}
	put_files(out, in);
	return r;
}

/* fadvise64 and readahead are hints; Linux validates the arguments and the
 * fd and otherwise may ignore them, and so do we. */
static int64_t sys_fadvise64(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = 0;
	if (f->stream)
		r = -ESPIPE;
	else if ((int64_t)a[2] < 0 || (int)a[3] < 0 || (int)a[3] > 5)
		r = -EINVAL;
	file_put(f);
	return r;
}

static int64_t sys_readahead(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = (!f->readable) ? -EBADF : (!f->inode || !S_ISREG(f->inode->mode)) ? -EINVAL : 0;
	file_put(f);
	return r;
}

/* fallocate: mode 0 (and FALLOC_FL_KEEP_SIZE) on regular files: the size
 * grows to cover the range; in-memory and gofer files are sparse anyway, so
 * ENOSPC is reported at write time instead.  Other modes: EOPNOTSUPP. */
static int64_t sys_fallocate(struct task *t, const uint64_t a[6])
{
	int mode = (int)a[1];
	int64_t off = (int64_t)a[2], len = (int64_t)a[3];
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = 0;
	if (off < 0 || len <= 0)
		r = -EINVAL;
	else if (!f->writable)
		r = -EBADF;
	else if (!f->inode || S_ISDIR(f->inode->mode))
		r = f->inode ? -EISDIR : -ENODEV;
	else if (f->stream)
		r = -ESPIPE;
	else if (!S_ISREG(f->inode->mode))
		r = -ENODEV;
	else if (mode & ~FALLOC_FL_KEEP_SIZE)
		r = -EOPNOTSUPP;
	else if (!(mode & FALLOC_FL_KEEP_SIZE)) {
		pthread_mutex_lock(&f->inode->lock);
		uint64_t size = f->inode->size;
		pthread_mutex_unlock(&f->inode->lock);
		if ((uint64_t)off + (uint64_t)len > size)
			r = file_truncate(t, f, (uint64_t)off + (uint64_t)len);
	}
	file_put(f);
	return r;
}

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

const struct syscall_def sys_file_defs[] = {
	{SYS_read, "read", sys_read},
	{SYS_write, "write", sys_write},
	{SYS_pread64, "pread64", sys_pread64},
	{SYS_pwrite64, "pwrite64", sys_pwrite64},
	{SYS_readv, "readv", sys_readv},
	{SYS_writev, "writev", sys_writev},
	{SYS_preadv, "preadv", sys_preadv},
	{SYS_pwritev, "pwritev", sys_pwritev},
	{SYS_preadv2, "preadv2", sys_preadv2},
	{SYS_pwritev2, "pwritev2", sys_pwritev2},
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
	{SYS_stat, "stat", sys_stat},
	{SYS_lstat, "lstat", sys_lstat},
	{SYS_fstat, "fstat", sys_fstat},
	{SYS_newfstatat, "newfstatat", sys_newfstatat},
	{SYS_statx, "statx", sys_statx},
	{SYS_statfs, "statfs", sys_statfs},
	{SYS_fstatfs, "fstatfs", sys_fstatfs},
	{SYS_getdents64, "getdents64", sys_getdents64},
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
	{SYS_getcwd, "getcwd", sys_getcwd},
	{SYS_chdir, "chdir", sys_chdir},
	{SYS_fchdir, "fchdir", sys_fchdir},
	{SYS_chroot, "chroot", sys_chroot},
	{SYS_umask, "umask", sys_umask},
	{SYS_ioctl, "ioctl", sys_ioctl},
	{SYS_pipe, "pipe", sys_pipe},
	{SYS_pipe2, "pipe2", sys_pipe2},
	{SYS_poll, "poll", sys_poll},
	{SYS_ppoll, "ppoll", sys_ppoll},
	{SYS_select, "select", sys_select},
	{SYS_pselect6, "pselect6", sys_pselect6},
	{SYS_eventfd, "eventfd", sys_eventfd},
	{SYS_eventfd2, "eventfd2", sys_eventfd2},
	{SYS_epoll_create, "epoll_create", sys_epoll_create},
	{SYS_epoll_create1, "epoll_create1", sys_epoll_create1},
	{SYS_epoll_ctl, "epoll_ctl", sys_epoll_ctl},
	{SYS_epoll_wait, "epoll_wait", sys_epoll_wait},
	{SYS_epoll_pwait, "epoll_pwait", sys_epoll_pwait},
	{SYS_epoll_pwait2, "epoll_pwait2", sys_epoll_pwait2},
	{SYS_fsync, "fsync", sys_fsync},
	{SYS_fdatasync, "fdatasync", sys_fdatasync},
	{SYS_sync, "sync", sys_sync},
	{SYS_syncfs, "syncfs", sys_syncfs},
	{SYS_sendfile, "sendfile", sys_sendfile},
	{SYS_copy_file_range, "copy_file_range", sys_copy_file_range},
	{SYS_fadvise64, "fadvise64", sys_fadvise64},
	{SYS_readahead, "readahead", sys_readahead},
	{SYS_fallocate, "fallocate", sys_fallocate},
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
	{SYS_mount, "mount", sys_mount},
	{SYS_umount2, "umount2", sys_umount2},
	{0},
};
