/*
 * sys_rw.c — the file-family syscalls: read, write and their vector and positional forms, sendfile, copy_file_range, splice, fsync and the sync calls, fadvise, readahead, fallocate.
 *
 * Thin shells: copy arguments in from app memory (every pointer through
 * task_copy_*; a bad one is -EFAULT), check what Linux checks at the syscall
 * boundary, call the VFS, copy results out.
 *
 * Data moves through Sentry bounce buffers of at most RW_CHUNK bytes;
 * regular files loop over chunks, streams (pipes, ttys) transfer once so a
 * read never waits for more after it has some.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/syscall.h>

#include "lib/cleanup.h"
#include "sentry/fs/pipe.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/pagecache.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- read/write */

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
int64_t file_rw_iov(struct task *t, struct file *f, const struct kiov *iov, int iovcnt, bool write,
		    int64_t off)
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

/* /proc/PID/io's counters for one read or write call on f that returned r,
 * as Linux's vfs_read/vfs_write: every call counts (inc_syscr/syscw), the
 * bytes moved count in rchar/wchar, and bytes written to a regular file in
 * write_bytes (what reaches storage; read_bytes stays 0: reads here are
 * served by the host's page cache as a cached read on Linux is). */
static void io_account(struct task *t, struct file *f, bool write, int64_t r)
{
	struct thread_group *tg = t->tg;
	if (!tg)
		return;
	uint64_t n = r > 0 ? (uint64_t)r : 0;
	if (write) {
		__atomic_add_fetch(&tg->io_syscw, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&tg->io_wchar, n, __ATOMIC_RELAXED);
		if (n && f->inode && S_ISREG(f->inode->mode))
			__atomic_add_fetch(&tg->io_write_bytes, n, __ATOMIC_RELAXED);
	} else {
		__atomic_add_fetch(&tg->io_syscr, 1, __ATOMIC_RELAXED);
		__atomic_add_fetch(&tg->io_rchar, n, __ATOMIC_RELAXED);
	}
}

static int64_t rw_single(struct task *t, int fd, uint64_t addr, uint64_t len, bool write,
			 int64_t off)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	struct kiov iov = {addr, len};
	int64_t r = file_rw_iov(t, f, &iov, 1, write, off);
	/* vfs_read/vfs_write count nothing when they fail before the file's
	 * op (mode, buffer and range checks; pread on a pipe); do_readv and
	 * do_writev count every call. */
	if (r >= 0 || (r != -EBADF && r != -ESPIPE && r != -EINVAL && r != -EFAULT))
		io_account(t, f, write, r);
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
			r = file_rw_iov(t, f, iov, (int)iovcnt, write, off);
		free(iov);
	}
	io_account(t, f, write, r);
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

/* sync_file_range(fd, offset, nbytes, flags) as Linux 6.18: the fd (EBADF),
 * then the flags and range (EINVAL), then its type
 * (ESPIPE for pipes, sockets, devices).  SYNC_FILE_RANGE_WRITE writes what
 * mappings dirtied back and flushes the file's data (more than Linux starts,
 * never less); the waits have nothing else to wait for. */
#define SYNC_FILE_RANGE_ALL_ 7u

static int64_t sys_sync_file_range(struct task *t, const uint64_t a[6])
{
	int64_t off = (int64_t)a[1], n = (int64_t)a[2];
	int64_t end = (int64_t)((uint64_t)off + (uint64_t)n);
	unsigned int flags = (unsigned int)a[3];
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	uint32_t type = f->inode ? f->inode->mode & S_IFMT : 0;
	int64_t r = 0;
	if (file_get_flags(f) & O_PATH) /* fdget: never an O_PATH file */
		r = -EBADF;
	else if ((flags & ~SYNC_FILE_RANGE_ALL_) || off < 0 || end < 0 || end < off)
		r = -EINVAL;
	else if (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFBLK)
		r = -ESPIPE;
	else if ((flags & SYNC_FILE_RANGE_WRITE) && type == S_IFREG)
		r = file_fsync(f, true);
	file_put(f);
	return r;
}

/* sync(2) cannot fail.  What mappings of host files wrote goes to the host,
 * then each host file system under a Gofer mount is synced (syncfs on the
 * host: data written through donated fds is in its page cache, and the
 * Gofer's creates, renames and unlinks in its journal), as runc's sync
 * makes them durable; in-memory file systems have nothing to flush. */
static int64_t sys_sync(struct task *t, const uint64_t a[6])
{
	pagecache_sync_all();
	vfs_sync_all();
	return 0;
}

static int64_t sys_syncfs(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = -EBADF; /* fdget: never an O_PATH file */
	if (!(file_get_flags(f) & O_PATH)) {
		pagecache_sync_all();
		r = vfs_syncfs(f);
	}
	file_put(f);
	return r;
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
		/* One read and one write in /proc/PID/io, as do_sendfile. */
		io_account(t, in, false, r);
		io_account(t, out, true, r);
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
	} else if (in->inode->sb != out->inode->sb) {
		/* As Linux 5.19+: no file system here copies across superblocks. */
		r = -EXDEV;
	} else if ((uint64_t)ioff + a[4] < (uint64_t)ioff ||
		   (uint64_t)ooff + a[4] < (uint64_t)ooff) {
		r = -EOVERFLOW; /* generic_copy_file_checks' wrap check, unsigned */
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
		/* Shortened to the input's end, as generic_copy_file_checks (no
		 * read at an offset past it: a host pread would refuse a huge one). */
		uint64_t len = a[4];
		vmutex_lock(&in->inode->lock);
		uint64_t isize = in->inode->size;
		vmutex_unlock(&in->inode->lock);
		uint64_t from = ip ? (uint64_t)ioff : in->pos;
		len = from >= isize ? 0 : len < isize - from ? len : isize - from;
		if (r == 0 && len > 0) {
			r = copy_between(t, in, ip, out, op, len);
			/* One read and one write in /proc/PID/io, as
			 * vfs_copy_file_range past its checks (a copy of
			 * nothing returns before them). */
			io_account(t, in, false, r);
			io_account(t, out, true, r);
			if (r >= 0 && ((a[1] && task_copy_out(t, a[1], &ioff, 8) < 0) ||
				       (a[3] && task_copy_out(t, a[3], &ooff, 8) < 0)))
				r = -EFAULT;
		}
	}
	put_files(out, in);
	return r;
}

/* splice(2) as Linux's do_splice checks it: one end must be a pipe
 * (EINVAL otherwise, or for a pipe spliced to itself), no offset on a pipe
 * end (ESPIPE), none on a file that has no position (EINVAL), no O_APPEND
 * output.  The bytes then go through a Sentry buffer as sendfile's do,
 * at most a pipe's capacity at a time so that a thread filling a pipe it
 * drains itself next never waits on itself.  Blocking follows the files'
 * own O_NONBLOCK (SPLICE_F_NONBLOCK is accepted as a hint). */
#define SPLICE_F_ALL_ 0xf

static int64_t sys_splice(struct task *t, const uint64_t a[6])
{
	uint64_t len = a[4];
	if (len == 0)
		return 0;
	if (a[5] & ~(uint64_t)SPLICE_F_ALL_)
		return -EINVAL;
	struct file *in = get_file(t, (int)a[0]);
	struct file *out = in ? get_file(t, (int)a[2]) : NULL;
	int64_t r = 0, ioff = 0, ooff = 0;
	int64_t icap = in ? pipe_fcntl(in, F_GETPIPE_SZ, 0) : -1;
	int64_t ocap = out ? pipe_fcntl(out, F_GETPIPE_SZ, 0) : -1;
	if (!in || !out)
		r = -EBADF;
	else if ((icap > 0 && a[1]) || (ocap > 0 && a[3]))
		r = -ESPIPE;
	else if ((a[3] && task_copy_in(t, &ooff, a[3], sizeof(ooff)) < 0) ||
		 (a[1] && task_copy_in(t, &ioff, a[1], sizeof(ioff)) < 0))
		r = -EFAULT;
	else if (!in->readable || !out->writable)
		r = -EBADF;
	else if ((icap < 0 && ocap < 0) || (icap > 0 && ocap > 0 && in->inode == out->inode))
		r = -EINVAL;
	else if ((a[1] && in->stream) || (a[3] && out->stream) || ioff < 0 || ooff < 0)
		r = -EINVAL;
	else if (ocap < 0 && (file_get_flags(out) & O_APPEND))
		r = -EINVAL;
	/* SPLICE_F_NONBLOCK: the pipe side does not wait (EAGAIN), as a pipe
	 * opened O_NONBLOCK; an empty pipe without writers is EOF (0). */
	if (r == 0 && (a[5] & SPLICE_F_NONBLOCK)) {
		uint32_t im = icap > 0 ? file_poll(in, NULL) : POLLIN;
		uint32_t om = ocap > 0 ? file_poll(out, NULL) : POLLOUT;
		if (!(im & (POLLIN | POLLHUP)) || !(om & (POLLOUT | POLLERR)))
			r = -EAGAIN;
	}
	if (r == 0) {
		int64_t cap = ocap > 0 ? ocap : icap;
		r = copy_between(t, in, a[1] ? &ioff : NULL, out, a[3] ? &ooff : NULL,
				 len < (uint64_t)cap ? len : (uint64_t)cap);
		if (r >= 0 && ((a[3] && task_copy_out(t, a[3], &ooff, sizeof(ooff)) < 0) ||
			       (a[1] && task_copy_out(t, a[1], &ioff, sizeof(ioff)) < 0)))
			r = -EFAULT;
	}
	put_files(in, out);
	return r;
}

/* tee(2) as Linux: flags (EINVAL), len 0 (0), the fds (EBADF), their modes
 * (EBADF), two different pipes (EINVAL); O_NONBLOCK on either end is
 * SPLICE_F_NONBLOCK. */
static int64_t sys_tee(struct task *t, const uint64_t a[6])
{
	if (a[3] & ~(uint64_t)SPLICE_F_ALL_)
		return -EINVAL;
	if (a[2] == 0)
		return 0;
	struct file *in = get_file(t, (int)a[0]);
	struct file *out = in ? get_file(t, (int)a[1]) : NULL;
	int64_t r;
	if (!in || !out) {
		r = -EBADF;
	} else if (!in->readable || !out->writable) {
		r = -EBADF;
	} else {
		bool nonblock = (a[3] & SPLICE_F_NONBLOCK) ||
				((file_get_flags(in) | file_get_flags(out)) & O_NONBLOCK);
		size_t len = a[2] < MAX_RW_COUNT ? a[2] : MAX_RW_COUNT;
		r = pipe_tee(t, in, out, len, nonblock);
	}
	put_files(in, out);
	return r;
}

/* vmsplice(2): app memory into a pipe's write end (a write) or out of its
 * read end (a read), with Linux's checks: flags (EINVAL), the fd (EBADF),
 * the iovec (EINVAL, EFAULT), a pipe (EBADF).  SPLICE_F_NONBLOCK: the pipe
 * does not wait (EAGAIN); SPLICE_F_GIFT is a hint. */
static int64_t sys_vmsplice(struct task *t, const uint64_t a[6])
{
	if (a[3] & ~(uint64_t)SPLICE_F_ALL_)
		return -EINVAL;
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = 0, cnt = (int64_t)a[2];
	bool write = f->writable;
	struct kiov *iov = NULL;
	if (!f->writable && !f->readable)
		r = -EBADF;
	else if (cnt < 0 || cnt > UIO_MAXIOV_)
		r = -EINVAL;
	else if (!(iov = malloc((cnt ? cnt : 1) * sizeof(*iov))))
		r = -ENOMEM;
	else if (cnt && task_copy_in(t, iov, a[1], cnt * sizeof(*iov)) < 0)
		r = -EFAULT;
	uint64_t total = 0;
	for (int64_t i = 0; r == 0 && i < cnt; i++)
		total += iov[i].len;
	if (r == 0 && total == 0)
		r = 0;
	else if (r == 0 && pipe_fcntl(f, F_GETPIPE_SZ, 0) < 0)
		r = -EBADF;
	else if (r == 0 && (a[3] & SPLICE_F_NONBLOCK) &&
		 !(file_poll(f, NULL) & (write ? POLLOUT | POLLERR : POLLIN | POLLHUP)))
		r = -EAGAIN;
	else if (r == 0)
		r = file_rw_iov(t, f, iov, (int)cnt, write, -1);
	free(iov);
	file_put(f);
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

/* fallocate: the VFS's checks, then the file system's modes (tmpfs: 0,
 * KEEP_SIZE and PUNCH_HOLE as Linux's tmpfs; goferfs: the host's). */
static int64_t sys_fallocate(struct task *t, const uint64_t a[6])
{
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	int64_t r = file_fallocate(t, f, (int)a[1], (int64_t)a[2], (int64_t)a[3]);
	file_put(f);
	return r;
}

const struct syscall_def sys_rw_defs[] = {
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
	{SYS_fsync, "fsync", sys_fsync},
	{SYS_fdatasync, "fdatasync", sys_fdatasync},
	{SYS_sync_file_range, "sync_file_range", sys_sync_file_range},
	{SYS_sync, "sync", sys_sync},
	{SYS_syncfs, "syncfs", sys_syncfs},
	{SYS_sendfile, "sendfile", sys_sendfile},
	{SYS_copy_file_range, "copy_file_range", sys_copy_file_range},
	{SYS_splice, "splice", sys_splice},
	{SYS_tee, "tee", sys_tee},
	{SYS_vmsplice, "vmsplice", sys_vmsplice},
	{SYS_fadvise64, "fadvise64", sys_fadvise64},
	{SYS_readahead, "readahead", sys_readahead},
	{SYS_fallocate, "fallocate", sys_fallocate},
	{0},
};
