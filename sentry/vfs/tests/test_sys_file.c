/* Unit tests for the file-family syscalls (sentry/syscalls/sys_rw.c,
 * sys_fd.c, sys_stat.c, sys_dir.c, sys_poll.c...): the syscall shells called
 * through their tables, with Sentry pointers standing in for app memory
 * (see vfs_test_util.h). */
#include <linux/close_range.h>
#include <dirent.h>
#include <poll.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

#include "sentry/syscalls/syscalls.h"
#include "sentry/tests/harness.h"

#define P(x) ((uint64_t)(uintptr_t)(x))

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5)
{
	static const struct syscall_def *const tables[] = {
		sys_rw_defs, sys_fd_defs, sys_stat_defs, sys_dir_defs,
		sys_poll_defs, sys_xattr_defs, sys_mount_defs,
	};
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		for (const struct syscall_def *d = tables[i]; d->name; d++) {
			if (d->nr == nr) {
				uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
				return d->fn(t, a);
			}
		}
	}
	fail_msg("syscall %d not in the file-family tables", nr);
	return -ENOSYS;
}
#define SC(t, nr, ...) sc_n(t, nr, __VA_ARGS__, 0, 0, 0, 0, 0, 0)
#define sc_n(t, nr, a, b, c, d, e, f, ...)                                                         \
	sc(t, nr, (uint64_t)(a), (uint64_t)(b), (uint64_t)(c), (uint64_t)(d), (uint64_t)(e),       \
	   (uint64_t)(f))

static void test_open_write_seek_read_close(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	int fd = (int)SC(t, SYS_openat, AT_FDCWD, P("/f"), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	assert_int_equal(fd, 0);
	assert_int_equal(SC(t, SYS_write, fd, P("abcdef"), 6), 6);
	assert_int_equal(SC(t, SYS_lseek, fd, 1, SEEK_SET), 1);
	char buf[8] = {0};
	assert_int_equal(SC(t, SYS_read, fd, P(buf), 3), 3);
	assert_string_equal(buf, "bcd");
	assert_int_equal(SC(t, SYS_pread64, fd, P(buf), 2, 4), 2);
	assert_memory_equal(buf, "ef", 2);
	assert_int_equal(SC(t, SYS_read, fd, 0, 3), -EFAULT);
	assert_int_equal(SC(t, SYS_openat, AT_FDCWD, 0, O_RDONLY), -EFAULT);
	assert_int_equal(SC(t, SYS_fcntl, fd, F_GETFD), FD_CLOEXEC);
	assert_int_equal(SC(t, SYS_fcntl, fd, F_GETFL), O_RDWR | VFS_O_LARGEFILE);
	assert_int_equal(SC(t, SYS_fcntl, fd, F_SETFL, O_NONBLOCK | O_RDONLY), 0);
	assert_int_equal(SC(t, SYS_fcntl, fd, F_GETFL), O_RDWR | VFS_O_LARGEFILE | O_NONBLOCK);
	struct flock fl = {.l_type = F_WRLCK};
	assert_int_equal(SC(t, SYS_fcntl, fd, F_SETLK, P(&fl)), 0);
	fl.l_type = 99;
	assert_int_equal(SC(t, SYS_fcntl, fd, F_SETLK, P(&fl)), -EINVAL);
	assert_int_equal(SC(t, SYS_fcntl, fd, F_SETLK, 0), -EFAULT);
	assert_int_equal(SC(t, SYS_flock, fd, LOCK_EX | LOCK_NB), 0);
	assert_int_equal(SC(t, SYS_flock, fd, 77), -EINVAL);
	assert_int_equal(SC(t, SYS_fcntl, fd, 12345), -EINVAL);
	struct stat st;
	assert_int_equal(SC(t, SYS_fstat, fd, P(&st)), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(SC(t, SYS_close, fd), 0);
	assert_int_equal(SC(t, SYS_close, fd), -EBADF);
	assert_int_equal(SC(t, SYS_creat, P("/c"), 0600), 0);
	assert_int_equal(SC(t, SYS_openat, AT_FDCWD, P("/d"), O_CREAT | O_DIRECTORY | O_RDWR, 0),
			 -EINVAL);
}

static void test_dup_family_errnos(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	int fd = (int)SC(t, SYS_open, P("/"), O_RDONLY | O_DIRECTORY);
	assert_int_equal(fd, 0);
	assert_int_equal(SC(t, SYS_dup, fd), 1);
	assert_int_equal(SC(t, SYS_dup2, fd, fd), fd);
	assert_int_equal(SC(t, SYS_dup2, 77, 5), -EBADF);
	assert_int_equal(SC(t, SYS_dup2, fd, 9), 9);
	assert_int_equal(SC(t, SYS_dup3, fd, fd, 0), -EINVAL);
	assert_int_equal(SC(t, SYS_dup3, fd, 4, O_NONBLOCK), -EINVAL);
	assert_int_equal(SC(t, SYS_dup3, fd, 4, O_CLOEXEC), 4);
	assert_int_equal(SC(t, SYS_fcntl, 4, F_GETFD), FD_CLOEXEC);
	assert_int_equal(SC(t, SYS_fcntl, fd, F_DUPFD, 20), 20);
	assert_int_equal(SC(t, SYS_fcntl, fd, F_DUPFD_CLOEXEC, -1), -EINVAL);
	assert_int_equal(SC(t, SYS_ioctl, 9, FIOCLEX), 0);
	assert_int_equal(SC(t, SYS_fcntl, 9, F_GETFD), FD_CLOEXEC);
	assert_int_equal(SC(t, SYS_close_range, 1, 10, CLOSE_RANGE_CLOEXEC), 0);
	assert_int_equal(SC(t, SYS_fcntl, 1, F_GETFD), FD_CLOEXEC);
	assert_int_equal(SC(t, SYS_close_range, 1, 10, 0), 0);
	assert_int_equal(SC(t, SYS_fcntl, 4, F_GETFD), -EBADF);
	assert_int_equal(SC(t, SYS_fcntl, 20, F_GETFD), 0);
	assert_int_equal(SC(t, SYS_close_range, 5, 1, 0), -EINVAL);
	assert_int_equal(SC(t, SYS_close_range, 0, 1, 0x80), -EINVAL);
}

static void test_getdents64_record_format(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	assert_int_equal(SC(t, SYS_mkdir, P("/d"), 0755), 0);
	assert_int_equal(SC(t, SYS_mkdirat, AT_FDCWD, P("/d/subdir"), 0755), 0);
	int f = (int)SC(t, SYS_open, P("/d/a_file"), O_CREAT | O_WRONLY, 0644);
	assert_true(f >= 0);
	int fd = (int)SC(t, SYS_open, P("/d"), O_RDONLY | O_DIRECTORY);
	char small[16];
	assert_int_equal(SC(t, SYS_getdents64, fd, P(small), sizeof(small)), -EINVAL);
	char buf[1024];
	int64_t n = SC(t, SYS_getdents64, fd, P(buf), sizeof(buf));
	assert_true(n > 0);
	int count = 0, found_dir = 0, found_file = 0;
	for (int64_t off = 0; off < n;) {
		uint16_t reclen;
		memcpy(&reclen, buf + off + 16, 2);
		assert_int_equal(reclen % 8, 0);
		uint8_t type = (uint8_t)buf[off + 18];
		const char *name = buf + off + 19;
		if (!strcmp(name, "subdir") && type == DT_DIR)
			found_dir = 1;
		if (!strcmp(name, "a_file") && type == DT_REG)
			found_file = 1;
		count++;
		off += reclen;
	}
	assert_int_equal(count, 4);
	assert_true(found_dir && found_file);
	assert_int_equal(SC(t, SYS_getdents64, fd, P(buf), sizeof(buf)), 0); /* end */
	assert_int_equal(SC(t, SYS_getdents64, f, P(buf), sizeof(buf)), -ENOTDIR);
	assert_int_equal(SC(t, SYS_getdents64, 99, P(buf), sizeof(buf)), -EBADF);
	assert_int_equal(SC(t, SYS_write, fd, P("x"), 1), -EBADF);
	assert_int_equal(SC(t, SYS_read, fd, P(buf), 1), -EISDIR);
}

static void test_pipe_readv_writev_and_poll(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	int fds[2];
	assert_int_equal(SC(t, SYS_pipe2, P(fds), O_CLOEXEC), 0);
	assert_int_equal(SC(t, SYS_pipe2, P(fds), 0x4), -EINVAL);
	assert_int_equal(SC(t, SYS_pipe2, P(fds), O_DIRECT), -EINVAL); /* packet mode: not implemented */
	assert_int_equal(SC(t, SYS_fcntl, fds[0], F_GETFD), FD_CLOEXEC);
	struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
	assert_int_equal(SC(t, SYS_poll, P(&pfd), 1, 0), 0);
	struct iovec w[2] = {{"hello ", 6}, {"world", 5}};
	assert_int_equal(SC(t, SYS_writev, fds[1], P(w), 2), 11);
	assert_int_equal(SC(t, SYS_poll, P(&pfd), 1, 1000), 1);
	assert_int_equal(pfd.revents, POLLIN);
	char a[4], b[16] = {0};
	struct iovec r[2] = {{a, 4}, {b, sizeof(b)}};
	/* A stream readv returns what is there, scattered over the vectors. */
	assert_int_equal(SC(t, SYS_readv, fds[0], P(r), 2), 11);
	assert_memory_equal(a, "hell", 4);
	assert_string_equal(b, "o world");
	/* select sees the write end writable and the read end not readable. */
	fd_set rs, ws;
	FD_ZERO(&rs);
	FD_ZERO(&ws);
	FD_SET(fds[0], &rs);
	FD_SET(fds[1], &ws);
	struct timeval tv = {0, 0};
	assert_int_equal(SC(t, SYS_select, fds[1] + 1, P(&rs), P(&ws), 0, P(&tv)), 1);
	assert_false(FD_ISSET(fds[0], &rs));
	assert_true(FD_ISSET(fds[1], &ws));
	FD_ZERO(&rs);
	FD_SET(50, &rs);
	assert_int_equal(SC(t, SYS_select, 51, P(&rs), 0, 0, P(&tv)), -EBADF);
	/* poll reports POLLNVAL for a closed fd and ignores negative ones. */
	struct pollfd two[2] = {{.fd = 60, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
	assert_int_equal(SC(t, SYS_poll, P(two), 2, 0), 1);
	assert_int_equal(two[0].revents, POLLNVAL);
	assert_int_equal(two[1].revents, 0);
	/* Timeout: poll on an empty pipe for 30 ms returns 0 after about that long. */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(SC(t, SYS_poll, P(&pfd), 1, 30), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	int64_t ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 29);
	/* Writer gone: POLLHUP, and read gives EOF. */
	assert_int_equal(SC(t, SYS_close, fds[1]), 0);
	assert_int_equal(SC(t, SYS_poll, P(&pfd), 1, -1), 1);
	assert_true(pfd.revents & POLLHUP);
	assert_int_equal(SC(t, SYS_read, fds[0], P(a), 4), 0);
}

static void test_ppoll_restores_sigmask_and_interrupts(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	int fds[2];
	assert_int_equal(SC(t, SYS_pipe, P(fds)), 0);
	struct pollfd pfd = {.fd = fds[0], .events = POLLIN};
	sigset64_t m = 1ULL << (SIGUSR1 - 1);
	t->sigmask = 0;
	struct timespec ts = {0, 1000000};
	assert_int_equal(SC(t, SYS_ppoll, P(&pfd), 1, P(&ts), P(&m), 8), 0);
	assert_int_equal(t->sigmask, 0); /* back to the old mask */
	assert_false(t->restore_sigmask);
	assert_int_equal(SC(t, SYS_ppoll, P(&pfd), 1, P(&ts), P(&m), 4), -EINVAL);
	/* A "signal" during the wait: the mask stays for delivery to restore. */
	atomic_store(&t->interrupted, 1);
	assert_int_equal(SC(t, SYS_ppoll, P(&pfd), 1, 0, P(&m), 8), -ERESTARTNOHAND);
	assert_int_equal(t->sigmask, m);
	assert_true(t->restore_sigmask);
	atomic_store(&t->interrupted, 0);
	struct timespec bad = {0, 2000000000};
	assert_int_equal(SC(t, SYS_ppoll, P(&pfd), 1, P(&bad), 0, 8), -EINVAL);
}

static void test_paths_cwd_umask_and_stat_family(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	assert_int_equal(SC(t, SYS_umask, 077), 022);
	assert_int_equal(SC(t, SYS_umask, 022), 077);
	assert_int_equal(SC(t, SYS_mkdir, P("/w"), 0777), 0);
	assert_int_equal(SC(t, SYS_chdir, P("/w")), 0);
	char cwd[32];
	assert_int_equal(SC(t, SYS_getcwd, P(cwd), sizeof(cwd)), 3);
	assert_string_equal(cwd, "/w");
	assert_int_equal(SC(t, SYS_getcwd, P(cwd), 2), -ERANGE);
	assert_int_equal(SC(t, SYS_symlink, P("target"), P("lnk")), 0);
	char buf[16];
	assert_int_equal(SC(t, SYS_readlink, P("/w/lnk"), P(buf), sizeof(buf)), 6);
	assert_int_equal(SC(t, SYS_readlink, P("/w/lnk"), P(buf), 0), -EINVAL);
	struct stat st;
	assert_int_equal(SC(t, SYS_lstat, P("lnk"), P(&st)), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(SC(t, SYS_stat, P("lnk"), P(&st)), -ENOENT);
	assert_int_equal(SC(t, SYS_newfstatat, AT_FDCWD, P("."), P(&st), 0), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(SC(t, SYS_newfstatat, AT_FDCWD, P("."), P(&st), 0x4000000), -EINVAL);
	struct statx sx;
	assert_int_equal(SC(t, SYS_statx, AT_FDCWD, P("/w"), 0, STATX_BASIC_STATS, P(&sx)), 0);
	assert_true(S_ISDIR(sx.stx_mode));
	assert_int_equal(sx.stx_ino, st.st_ino);
	assert_int_equal(SC(t, SYS_statx, AT_FDCWD, P("/w"), 0, STATX__RESERVED, P(&sx)), -EINVAL);
	assert_int_equal(SC(t, SYS_access, P("/w"), W_OK), 0);
	assert_int_equal(SC(t, SYS_faccessat2, AT_FDCWD, P("/w"), 8, 0), -EINVAL);
	assert_int_equal(SC(t, SYS_rename, P("lnk"), P("lnk2")), 0);
	assert_int_equal(SC(t, SYS_unlinkat, AT_FDCWD, P("lnk2"), 0), 0);
	assert_int_equal(SC(t, SYS_unlinkat, AT_FDCWD, P("x"), 0x1), -EINVAL);
	assert_int_equal(SC(t, SYS_chdir, P("/")), 0);
	assert_int_equal(SC(t, SYS_unlinkat, AT_FDCWD, P("w"), AT_REMOVEDIR), 0);
	assert_int_equal(SC(t, SYS_truncate, P("/nope"), 0), -ENOENT);
	struct timespec ts[2] = {{5, 0}, {6, 0}};
	int fd = (int)SC(t, SYS_open, P("/u"), O_CREAT | O_RDWR, 0600);
	assert_int_equal(SC(t, SYS_utimensat, fd, 0, P(ts), 0), 0);
	assert_int_equal(SC(t, SYS_fstat, fd, P(&st)), 0);
	assert_int_equal(st.st_mtime, 6);
	assert_int_equal(SC(t, SYS_utimensat, AT_FDCWD, 0, P(ts), 0), -EFAULT);
	assert_int_equal(SC(t, SYS_ftruncate, fd, 10), 0);
	assert_int_equal(SC(t, SYS_fstat, fd, P(&st)), 0);
	assert_int_equal(st.st_size, 10);
	assert_int_equal(SC(t, SYS_ftruncate, fd, -1), -EINVAL);
	assert_int_equal(SC(t, SYS_fsync, fd), 0);
	struct statfs sfs;
	assert_int_equal(SC(t, SYS_fstatfs, fd, P(&sfs)), 0);
	assert_int_equal(SC(t, SYS_chroot, P("/")), 0);
}

struct lock_waiter {
	struct task *t;
	struct file *f;
	int result;
};

static void *blocking_setlkw(void *arg)
{
	struct lock_waiter *lw = arg;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	lw->result = vfs_fcntl_lock(lw->t, lw->f, F_SETLKW, &fl);
	return NULL;
}

static void test_record_locks_posix_ofd_and_flock(void **state)
{
	struct fx *fx = *state;
	struct task *t = fx->t, *u = fx_task(&fx->root, 0, 0);
	t->tid = 10;
	u->tid = 20;
	current = t;
	struct file *ft, *fu, *ft2;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/lk", O_CREAT | O_RDWR, 0644, &ft), 0);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/lk", O_RDWR, 0, &fu), 0);
	assert_int_equal(vfs_open(t, AT_FDCWD, "/lk", O_RDONLY, 0, &ft2), 0);
	/* t write-locks [0, 100); u conflicts anywhere in it, not after it. */
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 100};
	assert_int_equal(vfs_fcntl_lock(t, ft, F_SETLK, &fl), 0);
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 1};
	assert_int_equal(vfs_fcntl_lock(u, fu, F_SETLK, &fl), -EAGAIN);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 5};
	assert_int_equal(vfs_fcntl_lock(u, fu, F_SETLK, &fl), 0);
	/* F_GETLK names the holder. */
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 10, .l_len = 0};
	assert_int_equal(vfs_fcntl_lock(u, fu, F_GETLK, &fl), 0);
	assert_int_equal(fl.l_type, F_WRLCK);
	assert_int_equal(fl.l_pid, 10);
	assert_int_equal(fl.l_start, 0);
	assert_int_equal(fl.l_len, 100);
	/* t never conflicts with itself; unlocking the middle splits its range. */
	fl = (struct flock){.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 40, .l_len = 20};
	assert_int_equal(vfs_fcntl_lock(t, ft, F_SETLK, &fl), 0);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 45, .l_len = 5};
	assert_int_equal(vfs_fcntl_lock(u, fu, F_SETLK, &fl), 0);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 30, .l_len = 20};
	assert_int_equal(vfs_fcntl_lock(u, fu, F_SETLK, &fl), -EAGAIN);
	/* A read lock needs a readable file, a write lock a writable one. */
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 500, .l_len = 1};
	assert_int_equal(vfs_fcntl_lock(t, ft2, F_SETLK, &fl), -EBADF);
	/* Closing ANY fd of t on the inode drops all of t's POSIX locks. */
	int fd2 = fdt_install(t->fdt, ft2, 0, 0);
	file_put(ft2);
	assert_int_equal(fdt_close(t->fdt, fd2), 0);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 40};
	assert_int_equal(vfs_fcntl_lock(u, fu, F_SETLK, &fl), 0);
	/* F_SETLKW waits until u unlocks. */
	struct lock_waiter lw = {t, ft, 1};
	pthread_t th;
	pthread_create(&th, NULL, blocking_setlkw, &lw);
	usleep(30000);
	assert_int_equal(lw.result, 1); /* still waiting */
	fl = (struct flock){.l_type = F_UNLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	assert_int_equal(vfs_fcntl_lock(u, fu, F_SETLK, &fl), 0);
	pthread_join(th, NULL);
	assert_int_equal(lw.result, 0);
	/* OFD locks: two descriptions of the same process conflict. */
	struct file *o1, *o2;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/ofd", O_CREAT | O_RDWR, 0644, &o1), 0);
	assert_int_equal(vfs_open(t, AT_FDCWD, "/ofd", O_RDWR, 0, &o2), 0);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET};
	assert_int_equal(vfs_fcntl_lock(t, o1, F_OFD_SETLK, &fl), 0);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET};
	assert_int_equal(vfs_fcntl_lock(t, o2, F_OFD_SETLK, &fl), -EAGAIN);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 5};
	assert_int_equal(vfs_fcntl_lock(t, o2, F_OFD_SETLK, &fl), -EINVAL);
	/* flock: per description; released when the description goes. */
	assert_int_equal(vfs_flock(t, o1, LOCK_EX), 0);
	assert_int_equal(vfs_flock(t, o2, LOCK_SH | LOCK_NB), -EWOULDBLOCK);
	file_put(o1);
	assert_int_equal(vfs_flock(t, o2, LOCK_SH | LOCK_NB), 0);
	fl = (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET};
	assert_int_equal(vfs_fcntl_lock(t, o2, F_OFD_SETLK, &fl), 0); /* o1's OFD lock went too */
	file_put(o2);
	file_put(ft);
	file_put(fu);
	current = NULL;
	fx_task_free(u);
}

/* /proc/locks's text: each POSIX, OFD and flock lock, as Linux prints it. */
static void test_locks_report_lists_each_lock_as_linux(void **state)
{
	struct fx *fx = *state;
	struct task *t = fx->t;
	t->tid = 10;
	current = t;
	struct file *a, *b;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/rep", O_CREAT | O_RDWR, 0644, &a), 0);
	assert_int_equal(vfs_open(t, AT_FDCWD, "/rep", O_RDWR, 0, &b), 0);
	size_t len;
	char *r = vfs_locks_report(&len);
	assert_non_null(r);
	assert_int_equal(len, 0);
	free(r);
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
	assert_int_equal(vfs_fcntl_lock(t, a, F_SETLK, &fl), 0);
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 0};
	assert_int_equal(vfs_fcntl_lock(t, b, F_OFD_SETLK, &fl), 0);
	assert_int_equal(vfs_flock(t, b, LOCK_SH), 0);
	struct stat st;
	assert_int_equal(vfs_stat_file(a, &st), 0);
	char want[128];
	r = vfs_locks_report(&len);
	assert_non_null(r);
	assert_int_equal(strlen(r), len);
	snprintf(want, sizeof(want), "POSIX  ADVISORY  WRITE 10 %02x:%02x:%llu 0 9\n",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	assert_non_null(strstr(r, want));
	snprintf(want, sizeof(want), "OFDLCK ADVISORY  READ -1 %02x:%02x:%llu 20 EOF\n",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	assert_non_null(strstr(r, want));
	snprintf(want, sizeof(want), "FLOCK  ADVISORY  READ 10 %02x:%02x:%llu 0 EOF\n",
		 major(st.st_dev), minor(st.st_dev), (unsigned long long)st.st_ino);
	assert_non_null(strstr(r, want));
	assert_non_null(strstr(r, "1: "));
	assert_non_null(strstr(r, "3: "));
	assert_null(strstr(r, "4: "));
	free(r);
	/* Released locks, and the inode's table with its last lock, go. */
	file_put(b);
	r = vfs_locks_report(&len);
	assert_null(strstr(r, "OFDLCK"));
	assert_null(strstr(r, "FLOCK"));
	assert_non_null(strstr(r, "POSIX"));
	free(r);
	file_put(a);
	current = NULL;
}

static void test_sendfile_copy_file_range_fallocate_xattr(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	int src = (int)SC(t, SYS_open, P("/src"), O_CREAT | O_RDWR, 0644);
	assert_int_equal(SC(t, SYS_write, src, P("0123456789"), 10), 10);
	int dst = (int)SC(t, SYS_open, P("/dst"), O_CREAT | O_RDWR, 0644);
	int64_t off = 2;
	assert_int_equal(SC(t, SYS_sendfile, dst, src, P(&off), 5), 5);
	assert_int_equal(off, 7);
	assert_int_equal(SC(t, SYS_lseek, src, 0, SEEK_CUR), 10); /* untouched with an offset */
	char buf[16] = {0};
	assert_int_equal(SC(t, SYS_pread64, dst, P(buf), 16, 0), 5);
	assert_string_equal(buf, "23456");
	int64_t io = 0, oo = 100;
	assert_int_equal(SC(t, SYS_copy_file_range, src, P(&io), dst, P(&oo), 4, 0), 4);
	assert_int_equal(io, 4);
	assert_int_equal(oo, 104);
	assert_int_equal(SC(t, SYS_copy_file_range, src, P(&io), dst, P(&oo), 4, 1), -EINVAL);
	int64_t a1 = 0, a2 = 2;
	assert_int_equal(SC(t, SYS_copy_file_range, src, P(&a1), src, P(&a2), 4, 0), -EINVAL);
	int fds[2];
	assert_int_equal(SC(t, SYS_pipe, P(fds)), 0);
	assert_int_equal(SC(t, SYS_sendfile, fds[1], src, 0, 3), 0); /* at EOF of src */
	assert_int_equal(SC(t, SYS_lseek, src, 0, SEEK_SET), 0);
	assert_int_equal(SC(t, SYS_sendfile, fds[1], src, 0, 3), 3);
	assert_int_equal(SC(t, SYS_read, fds[0], P(buf), 16), 3);
	assert_int_equal(SC(t, SYS_fadvise64, fds[0], 0, 0, 0), -ESPIPE);
	assert_int_equal(SC(t, SYS_fadvise64, src, 0, 0, 99), -EINVAL);
	assert_int_equal(SC(t, SYS_fadvise64, src, 0, 0, 2), 0);
	struct stat st;
	assert_int_equal(SC(t, SYS_fallocate, src, 0, 0, 4096), 0);
	assert_int_equal(SC(t, SYS_fstat, src, P(&st)), 0);
	assert_int_equal(st.st_size, 4096);
	assert_int_equal(SC(t, SYS_fallocate, src, 0x02 /* PUNCH_HOLE */, 0, 10), -EOPNOTSUPP);
	assert_int_equal(SC(t, SYS_fallocate, src, 0, 0, 0), -EINVAL);
	/* tmpfs keeps extended attributes (vfs/xattr.c): none set yet. */
	assert_int_equal(SC(t, SYS_lgetxattr, P("/src"), P("user.x"), P(buf), 16), -ENODATA);
	assert_int_equal(SC(t, SYS_getxattr, P("/nope"), P("user.x"), P(buf), 16), -ENOENT);
	assert_int_equal(SC(t, SYS_fsetxattr, 99, P("user.x"), P(buf), 1, 0), -EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_write_seek_read_close, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_dup_family_errnos, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_locks_report_lists_each_lock_as_linux, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_getdents64_record_format, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_pipe_readv_writev_and_poll, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_ppoll_restores_sigmask_and_interrupts,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_paths_cwd_umask_and_stat_family, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_record_locks_posix_ofd_and_flock, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_sendfile_copy_file_range_fallocate_xattr,
						fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
