/* Unit tests for sentry/fs/devfs.c and hostfd.c: the device nodes, /dev
 * links, nodev mounts, and host fd wrapping (pipes, regular files, ttys). */
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "sentry/tests/harness.h"

static int setup(void **state)
{
	if (fx_setup(state) < 0)
		return -1;
	return fx_mount_dev(*state);
}

static struct file *open_dev(struct fx *fx, const char *p, int flags)
{
	struct file *f = NULL;
	int r = vfs_open(fx->t, AT_FDCWD, p, flags, 0, &f);
	assert_int_equal(r, 0);
	return f;
}

static void test_null_zero_full(void **state)
{
	struct fx *fx = *state;
	char buf[64];
	struct file *f = open_dev(fx, "/dev/null", O_RDWR);
	assert_int_equal(file_read(fx->t, f, buf, sizeof(buf)), 0);
	assert_int_equal(file_write(fx->t, f, "abc", 3), 3);
	assert_int_equal(file_lseek(f, 100, SEEK_SET), 0);
	file_put(f);
	f = open_dev(fx, "/dev/zero", O_RDWR);
	memset(buf, 0x55, sizeof(buf));
	assert_int_equal(file_read(fx->t, f, buf, sizeof(buf)), sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_non_null(file_mm_file(f));
	file_put(f);
	f = open_dev(fx, "/dev/full", O_RDWR);
	assert_int_equal(file_write(fx->t, f, "x", 1), -ENOSPC);
	assert_int_equal(file_read(fx->t, f, buf, 4), 4);
	file_put(f);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/dev/null", 0, &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(major(st.st_rdev), 1);
	assert_int_equal(minor(st.st_rdev), 3);
	assert_int_equal(st.st_mode & 0777, 0666);
}

static void test_urandom_gives_varying_bytes(void **state)
{
	struct fx *fx = *state;
	unsigned char a[32], b[32];
	struct file *f = open_dev(fx, "/dev/urandom", O_RDONLY);
	assert_int_equal(file_read(fx->t, f, a, sizeof(a)), sizeof(a));
	assert_int_equal(file_read(fx->t, f, b, sizeof(b)), sizeof(b));
	assert_memory_not_equal(a, b, sizeof(a));
	file_put(f);
}

static void test_tty_without_ctty_is_enxio(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/dev/tty", O_RDWR, 0, &f), -ENXIO);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/dev/console", O_RDWR, 0, &f), -ENOENT);
}

static void test_dev_links_and_shm(void **state)
{
	struct fx *fx = *state;
	char buf[64];
	assert_int_equal(vfs_readlinkat(fx->t, AT_FDCWD, "/dev/fd", buf, sizeof(buf)), 13);
	assert_memory_equal(buf, "/proc/self/fd", 13);
	assert_int_equal(vfs_readlinkat(fx->t, AT_FDCWD, "/dev/stderr", buf, sizeof(buf)), 15);
	/* /dev/shm and /dev/mqueue are world-writable sticky directories,
	 * where the boot mounts put their own file systems. */
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/dev/shm", 0, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 01777);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/dev/mqueue", 0, &st), 0);
	assert_int_equal(st.st_mode & 07777, 01777);
}

static void test_device_node_on_tmpfs_is_the_sentry_device(void **state)
{
	struct fx *fx = *state;
	/* mknod needs CAP_MKNOD... */
	struct task *u = fx_task(&fx->root, 1000, 1000);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/w", 0777), 0);
	assert_int_equal(vfs_chmodat(fx->t, AT_FDCWD, "/w", 0777, 0), 0);
	assert_int_equal(vfs_mknodat(u, AT_FDCWD, "/w/n", S_IFCHR | 0666, makedev(1, 3)), -EPERM);
	fx_task_free(u);
	assert_int_equal(vfs_mknodat(fx->t, AT_FDCWD, "/mynull", S_IFCHR | 0666, makedev(1, 5)), 0);
	struct file *f = open_dev(fx, "/mynull", O_RDONLY);
	char c = 1;
	assert_int_equal(file_read(fx->t, f, &c, 1), 1);
	assert_int_equal(c, 0); /* 1,5 is zero */
	file_put(f);
	assert_int_equal(vfs_mknodat(fx->t, AT_FDCWD, "/unknown", S_IFCHR | 0666, makedev(99, 1)),
			 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/unknown", O_RDONLY, 0, &f), -ENXIO);
	/* On a nodev mount, device nodes cannot be opened. */
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/nd", 0755), 0);
	assert_int_equal(vfs_mount(&fx->root, "/nd", "tmpfs", "tmpfs", MS_NODEV, NULL), 0);
	assert_int_equal(vfs_mknodat(fx->t, AT_FDCWD, "/nd/null", S_IFCHR | 0666, makedev(1, 3)), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/nd/null", O_RDONLY, 0, &f), -EACCES);
}

static void test_hostfd_pipe_read_write_and_poll(void **state)
{
	struct fx *fx = *state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct file *r = hostfd_file_new(p[0], O_RDONLY);
	struct file *w = hostfd_file_new(p[1], O_WRONLY);
	assert_non_null(r);
	assert_non_null(w);
	struct poll_entry pe;
	task_poll_entry_init(&pe, fx->t, POLLIN);
	assert_false(file_poll(r, &pe) & POLLIN);
	assert_int_equal(pe.hostfd, p[0]);
	poll_entry_remove(&pe);
	assert_int_equal(file_write(fx->t, w, "stdio", 5), 5);
	assert_true(file_poll(r, NULL) & POLLIN);
	int n = 0;
	assert_int_equal(file_ioctl(fx->t, r, FIONREAD, (uint64_t)(uintptr_t)&n), 0);
	assert_int_equal(n, 5);
	char buf[16];
	assert_int_equal(file_read(fx->t, r, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "stdio", 5);
	/* Not a tty: tty ioctls are ENOTTY. */
	char tio[64];
	assert_int_equal(file_ioctl(fx->t, r, TCGETS, (uint64_t)(uintptr_t)tio), -ENOTTY);
	assert_false(hostfd_is_tty(r));
	/* Nonblocking empty read: EAGAIN without blocking the thread. */
	assert_int_equal(file_set_flags(r, O_NONBLOCK), 0);
	assert_int_equal(file_read(fx->t, r, buf, sizeof(buf)), -EAGAIN);
	/* A blocking read with nothing to read sleeps until a "signal". */
	assert_int_equal(file_set_flags(r, 0), 0);
	atomic_store(&fx->t->interrupted, 1);
	assert_int_equal(file_read(fx->t, r, buf, sizeof(buf)), -ERESTARTSYS);
	atomic_store(&fx->t->interrupted, 0);
	file_put(w);
	assert_int_equal(file_read(fx->t, r, buf, sizeof(buf)), 0); /* EOF */
	file_put(r);
	/* The wrapped fds were closed with their files. */
	assert_int_equal(fcntl(p[0], F_GETFD), -1);
}

static void test_hostfd_regular_file_is_seekable(void **state)
{
	struct fx *fx = *state;
	char path[] = "/tmp/visor-hostfd-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(write(fd, "0123456789", 10), 10);
	struct file *f = hostfd_file_new(fd, O_RDWR);
	assert_non_null(f);
	assert_int_equal(file_lseek(f, 2, SEEK_SET), 2);
	char buf[4];
	assert_int_equal(file_read(fx->t, f, buf, 3), 3);
	assert_memory_equal(buf, "234", 3);
	assert_int_equal(file_pread(fx->t, f, buf, 2, 8), 2);
	assert_memory_equal(buf, "89", 2);
	struct stat st;
	assert_int_equal(vfs_stat_file(f, &st), 0);
	assert_int_equal(st.st_size, 10);
	file_put(f);
}

/* A /proc/self/fd-like magic link: arg is the fd number in the calling task. */
static struct file *fd_of_task(struct task *t, void *arg)
{
	return fdt_get_file(t->fdt, (int)(intptr_t)arg);
}

static void add_magic(struct superblock *sb, struct inode *dir, const char *name, int fd)
{
	struct inode *l = vfs_synth_magiclink_new(sb, fd_of_task, (void *)(intptr_t)fd, NULL);
	assert_non_null(l);
	assert_int_equal(vfs_synth_dir_add(dir, name, l), 0);
}

static void test_magic_links_reopen_pipes_host_fds_and_deleted_files(void **state)
{
	struct fx *fx = *state;
	struct task *t = fx->t;
	/* fd 0, 1: a Sentry pipe; fd 2: a host pipe's write end; fd 3: a deleted file. */
	struct file *r, *w;
	assert_int_equal(pipe_new(0, &r, &w), 0);
	assert_int_equal(fdt_install(t->fdt, r, 0, 0), 0);
	assert_int_equal(fdt_install(t->fdt, w, 0, 0), 1);
	int hp[2];
	assert_int_equal(pipe(hp), 0);
	struct file *hw = hostfd_file_new(hp[1], O_WRONLY);
	assert_int_equal(fdt_install(t->fdt, hw, 0, 0), 2);
	assert_int_equal(fx_write_file(t, "/doomed", "still readable", 0644), 0);
	struct file *df;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/doomed", O_RDONLY, 0, &df), 0);
	assert_int_equal(fdt_install(t->fdt, df, 0, 0), 3);
	assert_int_equal(vfs_unlinkat(t, AT_FDCWD, "/doomed"), 0);

	struct superblock *sb = vfs_synth_sb_new("proc", 0x9fa0);
	struct inode *dir = vfs_synth_dir_new(sb, 0555, NULL, NULL, NULL, NULL);
	add_magic(sb, dir, "0", 0);
	add_magic(sb, dir, "2", 2);
	add_magic(sb, dir, "3", 3);
	add_magic(sb, dir, "9", 9);
	struct dentry *droot = dentry_new(NULL, "/", dir);
	inode_put(dir);
	assert_int_equal(vfs_mkdirat(t, AT_FDCWD, "/fd", 0755), 0);
	struct vfs_path tp;
	assert_int_equal(vfs_walk(t, AT_FDCWD, "/fd", VFS_LOOKUP_FOLLOW, &tp), 0);
	assert_int_equal(vfs_mount_sb(&tp, sb, droot, 0, "proc"), 0);
	path_put(&tp);
	dentry_put(droot);
	sb_put(sb);
	/* A text link to the magic link, as /dev/stdout -> /proc/self/fd/1. */
	assert_int_equal(vfs_symlinkat(t, "/fd/2", AT_FDCWD, "/stdout"), 0);

	char buf[32];
	ssize_t n = vfs_readlinkat(t, AT_FDCWD, "/fd/0", buf, sizeof(buf));
	assert_true(n > 6);
	assert_memory_equal(buf, "pipe:[", 6);
	struct stat st;
	assert_int_equal(vfs_statat(t, AT_FDCWD, "/fd/0", 0, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	/* Reopening the pipe's read end for writing writes into the same pipe. */
	struct file *again;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/fd/0", O_WRONLY, 0, &again), 0);
	assert_int_equal(file_write(t, again, "via proc", 8), 8);
	file_put(again);
	assert_int_equal(file_read(t, r, buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "via proc", 8);
	/* "> /dev/stdout" with O_CREAT|O_TRUNC reaches the host pipe. */
	assert_int_equal(vfs_open(t, AT_FDCWD, "/stdout", O_WRONLY | O_CREAT | O_TRUNC, 0644, &again),
			 0);
	assert_int_equal(file_write(t, again, "to host", 7), 7);
	file_put(again);
	assert_int_equal(read(hp[0], buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "to host", 7);
	/* The deleted file reopens and reads. */
	assert_int_equal(vfs_open(t, AT_FDCWD, "/fd/3", O_RDONLY, 0, &again), 0);
	assert_int_equal(file_read(t, again, buf, sizeof(buf)), 14);
	file_put(again);
	n = vfs_readlinkat(t, AT_FDCWD, "/fd/3", buf, sizeof(buf));
	assert_int_equal(n, (ssize_t)strlen("/doomed (deleted)"));
	/* A closed fd: ENOENT. */
	assert_int_equal(vfs_open(t, AT_FDCWD, "/fd/9", O_RDONLY, 0, &again), -ENOENT);
	assert_int_equal(vfs_open(t, AT_FDCWD, "/fd/0/x", O_RDONLY, 0, &again), -ENOTDIR);
	file_put(r);
	file_put(w);
	file_put(hw);
	file_put(df);
	close(hp[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_null_zero_full, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_urandom_gives_varying_bytes, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_tty_without_ctty_is_enxio, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dev_links_and_shm, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_device_node_on_tmpfs_is_the_sentry_device,
						setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_hostfd_pipe_read_write_and_poll, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_hostfd_regular_file_is_seekable, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(
			test_magic_links_reopen_pipes_host_fds_and_deleted_files, setup,
			fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
