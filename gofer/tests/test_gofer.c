/*
 * Unit tests for the Gofer: gofer/server.c driven through the Sentry's client
 * (sentry/fs/gofer_client.c) over a real socketpair, hostile clients (raw
 * bytes on the socket), a hostile server (hand-written bad replies), and the
 * jail (seccomp, capabilities, the real `visor gofer` binary).
 *
 * Each test gets a fresh temp tree:
 *   T/root/            the container root ("/", read-write)
 *       file.txt       "hello gofer\n"
 *       dir/sub/
 *       link_root ->   "/"
 *       link_up ->     "../../.."
 *   T/outside/secret   must never be reachable
 *   T/ro/rofile        served read-only as "/data/ro"
 *   T/hosts            a file bind mount served as "/etc/hosts"
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/protocol.h"
#include "gofer/server.h"
#include "lib/cleanup.h"
#include "lib/log.h"
#include "sentry/fs/gofer_client.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

static char tdir[64];
/* Set while a fixture starts: its server logs at info level to T/server.log. */
static bool server_log_to_file;

struct rejection;

struct fixture {
	struct gofer_client *c;
	int raw; /* raw client end for hostile-message tests (-1 when c owns it) */
	pid_t server;
	int fds_before;
	uint64_t root;
	const struct rejection *rejection; /* decoder rejection tests: the path under test */
};

/* How many fds process pid has open. */
static int count_fds_of(pid_t pid)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(p);
	assert_non_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int count_fds(void) { return count_fds_of(getpid()); }

static void path(char *out, size_t n, const char *rel)
{
	snprintf(out, n, "%s/%s", tdir, rel);
}

static void write_host(const char *rel, const char *data)
{
	char p[256];
	path(p, sizeof(p), rel);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static void mkdir_host(const char *rel)
{
	char p[256];
	path(p, sizeof(p), rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static int make_tree(void **state)
{
	strcpy(tdir, "/tmp/visor-gofer-XXXXXX");
	if (!mkdtemp(tdir))
		return -1;
	mkdir_host("root");
	mkdir_host("root/dir");
	mkdir_host("root/dir/sub");
	mkdir_host("outside");
	mkdir_host("ro");
	write_host("root/file.txt", "hello gofer\n");
	write_host("outside/secret", "secret\n");
	write_host("ro/rofile", "read only\n");
	write_host("hosts", "127.0.0.1 localhost\n");
	char p[256];
	path(p, sizeof(p), "root/link_root");
	assert_int_equal(symlink("/", p), 0);
	path(p, sizeof(p), "root/link_up");
	assert_int_equal(symlink("../../..", p), 0);
	return 0;
}

static void remove_tree(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tdir);
	assert_int_equal(system(cmd), 0);
}

/* Fork a server over the test tree.  The child exits 0 when gofer_serve
 * returned 0 with no fd left open that it did not start with, 2 on an fd
 * leak, 1 on a serve error. */
static pid_t start_server(int sock, int client_end, bool readonly_root, unsigned max_fids,
			  bool jailed)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid > 0)
		return pid;
	close(client_end); /* else the server never sees the hang-up */
	char p[256];
	path(p, sizeof(p), "root");
	int rootfd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	path(p, sizeof(p), "ro");
	int rofd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	path(p, sizeof(p), "hosts");
	int hostsfd = open(p, O_PATH | O_CLOEXEC);
	int tfd = open(tdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	struct gofer_mount m[] = {
		{.name = "/", .fd = rootfd, .parent_fd = -1},
		{.name = "/data/ro", .fd = rofd, .parent_fd = -1, .readonly = true},
		{.name = "/etc/hosts", .fd = hostsfd, .parent_fd = tfd, .leaf = "hosts"},
	};
	if (jailed) {
		if (gofer_jail_drop_caps() < 0 || gofer_jail_seccomp() < 0)
			_exit(3);
		int r = gofer_serve(sock, m, 3, readonly_root, max_fids);
		/* No fd counting: /proc is out of the filter.  exit_group directly:
		 * the sanitizer's _exit hook makes syscalls the filter forbids. */
		syscall(SYS_exit_group, r == 0 ? 0 : 1);
	}
	if (server_log_to_file) {
		path(p, sizeof(p), "server.log");
		log_init(open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644), 0, LOG_INFO);
	}
	int before = count_fds();
	int r = gofer_serve(sock, m, 3, readonly_root, max_fids);
	int leak = count_fds() != before;
	exit(r < 0 ? 1 : leak ? 2 : 0);
}

static int setup_common(void **state, bool readonly_root, unsigned max_fids, bool raw, bool jailed)
{
	if (make_tree(state))
		return -1;
	struct fixture *fx = calloc(1, sizeof(*fx));
	assert_non_null(fx);
	*state = fx;
	fx->fds_before = count_fds();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fx->server = start_server(sv[1], sv[0], readonly_root, max_fids, jailed);
	close(sv[1]);
	fx->raw = -1;
	if (raw) {
		fx->raw = sv[0];
	} else {
		fx->c = gofer_client_new(sv[0]);
		assert_non_null(fx->c);
		assert_int_equal(gofer_attach(fx->c, "/", &fx->root, NULL), 0);
	}
	return 0;
}

static int setup(void **state)
{
	return setup_common(state, false, 0, false, false);
}

static int setup_ro_root(void **state)
{
	return setup_common(state, true, 0, false, false);
}

static int setup_small_table(void **state)
{
	return setup_common(state, false, 4, false, false);
}

static int setup_raw(void **state)
{
	return setup_common(state, false, 0, true, false);
}

/* The fuzzer makes thousands of malformed requests: only errors in the log. */
static int setup_raw_quiet(void **state)
{
	log_init(-1, 0, LOG_ERROR);
	int r = setup_common(state, false, 0, true, false);
	log_init(-1, 0, LOG_WARN);
	return r;
}

static int setup_raw_logged(void **state)
{
	server_log_to_file = true;
	int r = setup_common(state, false, 0, true, false);
	server_log_to_file = false;
	return r;
}

static int setup_jailed(void **state)
{
	return setup_common(state, false, 0, false, true);
}

static int setup_jailed_raw(void **state)
{
	return setup_common(state, false, 0, true, true);
}

/* Close the connection; the server must exit 0 (clean, no fd leak) and the
 * client side must not have leaked an fd either. */
static int teardown(void **state)
{
	struct fixture *fx = *state;
	if (fx->c)
		gofer_client_free(fx->c);
	if (fx->raw >= 0)
		close(fx->raw);
	int st = 0;
	assert_int_equal(waitpid(fx->server, &st, 0), fx->server);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(count_fds(), fx->fds_before);
	free(fx);
	remove_tree();
	return 0;
}

static void read_fd(int fd, char *buf, size_t n)
{
	memset(buf, 0, n);
	ssize_t r = pread(fd, buf, n - 1, 0);
	assert_true(r >= 0);
}

/* ---- basic operations ---- */

static void test_attach_walk_open_reads_through_donated_fd(void **state)
{
	struct fixture *fx = *state;
	struct gofer_stat st;
	assert_int_equal(gofer_getattr(fx->c, fx->root, &st), 0);
	assert_true(S_ISDIR(st.mode));
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, &st), 0);
	assert_true(S_ISREG(st.mode));
	assert_int_equal(st.size, 12);
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), 0);
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	char buf[64];
	read_fd(fd, buf, sizeof(buf));
	assert_string_equal(buf, "hello gofer\n");
	/* read-only donation: writing through it fails */
	assert_int_equal(write(fd, "x", 1), -1);
	close(fd);
	assert_int_equal(gofer_clunk(fx->c, f), 0);
}

static void test_attach_unknown_mount_is_enoent(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	assert_int_equal(gofer_attach(fx->c, "/nope", &f, NULL), -ENOENT);
	assert_int_equal(gofer_attach(fx->c, "", &f, NULL), -EINVAL);
}

static void test_walk_missing_and_through_file(void **state)
{
	struct fixture *fx = *state;
	uint64_t f, g;
	assert_int_equal(gofer_walk(fx->c, fx->root, "missing", &f, NULL), -ENOENT);
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	assert_int_equal(gofer_walk(fx->c, f, "x", &g, NULL), -ENOTDIR);
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &f, NULL), 0);
	assert_int_equal(gofer_walk(fx->c, f, "sub", &g, NULL), 0);
}

static void test_walk_dotdot_dot_and_slash_are_rejected(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "..", &f, NULL), -EINVAL);
	assert_int_equal(gofer_walk(fx->c, fx->root, ".", &f, NULL), -EINVAL);
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir/sub", &f, NULL), -EINVAL);
	assert_int_equal(gofer_walk(fx->c, fx->root, "", &f, NULL), -EINVAL);
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[299] = 0;
	assert_int_equal(gofer_walk(fx->c, fx->root, longname, &f, NULL), -ENAMETOOLONG);
}

static void test_walk_symlink_returns_the_link_not_its_target(void **state)
{
	struct fixture *fx = *state;
	struct gofer_stat st;
	uint64_t l, g;
	const char *links[] = {"link_root", "link_up"};
	const char *targets[] = {"/", "../../.."};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(gofer_walk(fx->c, fx->root, links[i], &l, &st), 0);
		assert_true(S_ISLNK(st.mode));
		char buf[64];
		ssize_t n = gofer_readlink(fx->c, l, buf, sizeof(buf));
		assert_int_equal(n, strlen(targets[i]));
		assert_memory_equal(buf, targets[i], (size_t)n);
		/* cannot be traversed, cannot be opened */
		assert_int_equal(gofer_walk(fx->c, l, "etc", &g, NULL), -ENOTDIR);
		int fd = -1;
		assert_int_equal(gofer_open(fx->c, l, O_RDONLY, &fd), -ELOOP);
		assert_int_equal(fd, -1);
		assert_int_equal(gofer_readdir(fx->c, l, 0, &(struct gofer_dirent){0}, 1), -ENOTDIR);
	}
	/* readlink of a non-symlink is EINVAL, as Linux */
	char buf[8];
	assert_int_equal(gofer_readlink(fx->c, fx->root, buf, sizeof(buf)), -EINVAL);
	/* readlink truncates to the buffer as readlink(2) does */
	assert_int_equal(gofer_walk(fx->c, fx->root, "link_up", &l, NULL), 0);
	assert_int_equal(gofer_readlink(fx->c, l, buf, 3), 3);
	assert_memory_equal(buf, "../", 3);
}

/* No directory fd ever reaches the Sentry, for reading either: it would be
 * a start for openat(fd, "..") in a compromised Sentry. */
static void test_open_directory_is_eisdir_even_read_only(void **state)
{
	struct fixture *fx = *state;
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, fx->root, O_RDWR, &fd), -EISDIR);
	assert_int_equal(gofer_open(fx->c, fx->root, O_RDONLY, &fd), -EISDIR);
	assert_int_equal(gofer_open(fx->c, fx->root, O_RDONLY | O_DIRECTORY, &fd), -EISDIR);
	assert_int_equal(fd, -1);
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY | O_DIRECTORY, &fd), -ENOTDIR);
	/* flags outside the allowed set */
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY | O_CREAT, &fd), -EINVAL);
	assert_int_equal(gofer_open(fx->c, f, O_ACCMODE, &fd), -EINVAL);
}

static void test_create_write_and_owner_from_request(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	struct gofer_stat st;
	int fd = -1;
	assert_int_equal(gofer_create(fx->c, fx->root, "new", O_RDWR, 04755, 1234, 5678, &f, &st,
				      &fd),
			 0);
	assert_true(fd >= 0);
	assert_true(S_ISREG(st.mode));
	assert_int_equal(st.uid, 1234);
	assert_int_equal(st.gid, 5678);
	/* chown as root clears set-id bits: the server restores them */
	assert_int_equal(st.mode & 07777, 04755);
	assert_int_equal(write(fd, "data!", 5), 5);
	close(fd);
	char p[256], buf[16] = {0};
	path(p, sizeof(p), "root/new");
	int hfd = open(p, O_RDONLY);
	assert_int_equal(read(hfd, buf, sizeof(buf)), 5);
	close(hfd);
	assert_string_equal(buf, "data!");
	/* Asked for the owner it has anyway (the Gofer's own, as for tar or
	 * git run as root): no chown, and the set-id bits stand. */
	uint64_t m;
	assert_int_equal(gofer_create(fx->c, fx->root, "mine", O_RDWR, 06755, getuid(), getgid(),
				      &m, &st, &fd),
			 0);
	close(fd);
	assert_int_equal(st.uid, getuid());
	assert_int_equal(st.gid, getgid());
	assert_int_equal(st.mode & 07777, 06755);
	assert_int_equal(gofer_clunk(fx->c, m), 0);
	/* exclusive: creating it again fails and leaves it alone */
	assert_int_equal(gofer_create(fx->c, fx->root, "new", O_RDWR, 0600, 0, 0, &f, &st, &fd),
			 -EEXIST);
	struct stat hst;
	assert_int_equal(stat(p, &hst), 0);
	assert_int_equal(hst.st_uid, 1234);
	/* bad flags */
	assert_int_equal(gofer_create(fx->c, fx->root, "x", O_RDWR | O_DIRECTORY, 0600, 0, 0, &f,
				      &st, &fd),
			 -EINVAL);
	assert_int_equal(gofer_create(fx->c, fx->root, "..", O_RDWR, 0600, 0, 0, &f, &st, &fd),
			 -EINVAL);
}

static void test_open_trunc_and_write(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_WRONLY | O_TRUNC, &fd), 0);
	assert_int_equal(write(fd, "new", 3), 3);
	close(fd);
	struct gofer_stat st;
	assert_int_equal(gofer_getattr(fx->c, f, &st), 0);
	assert_int_equal(st.size, 3);
}

static void test_mkdir_symlink_mknod_set_owner(void **state)
{
	struct fixture *fx = *state;
	struct gofer_stat st;
	assert_int_equal(gofer_mkdir(fx->c, fx->root, "d2", 0750, 100, 200, &st), 0);
	assert_true(S_ISDIR(st.mode));
	assert_int_equal(st.mode & 07777, 0750);
	assert_int_equal(st.uid, 100);
	assert_int_equal(st.gid, 200);
	assert_int_equal(gofer_mkdir(fx->c, fx->root, "d2", 0750, 0, 0, &st), -EEXIST);

	assert_int_equal(gofer_symlink(fx->c, fx->root, "sl", "../escape", 300, 400, &st), 0);
	assert_true(S_ISLNK(st.mode));
	assert_int_equal(st.uid, 300);
	assert_int_equal(st.gid, 400);
	char p[256], buf[64] = {0};
	path(p, sizeof(p), "root/sl");
	assert_int_equal(readlink(p, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "../escape");
	assert_int_equal(gofer_symlink(fx->c, fx->root, "sl2", "", 0, 0, &st), -ENOENT);

	assert_int_equal(gofer_mknod(fx->c, fx->root, "fifo", S_IFIFO | 0640, 0, 500, 600, &st), 0);
	assert_true(S_ISFIFO(st.mode));
	assert_int_equal(st.uid, 500);
	/* a fifo fid cannot be opened through the gofer */
	uint64_t f;
	int fd = -1;
	assert_int_equal(gofer_walk(fx->c, fx->root, "fifo", &f, NULL), 0);
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), -EOPNOTSUPP);
	/* no host device nodes */
	assert_int_equal(gofer_mknod(fx->c, fx->root, "null", S_IFCHR | 0666, makedev(1, 3), 0, 0,
				     &st),
			 -EPERM);
	assert_int_equal(gofer_mknod(fx->c, fx->root, "blk", S_IFBLK | 0666, makedev(8, 0), 0, 0,
				     &st),
			 -EPERM);
	path(p, sizeof(p), "root/null");
	assert_int_equal(access(p, F_OK), -1);
}

static void test_link_unlink_rename(void **state)
{
	struct fixture *fx = *state;
	uint64_t f, dir, g;
	struct gofer_stat st;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &dir, NULL), 0);
	assert_int_equal(gofer_link(fx->c, f, dir, "hard"), 0);
	assert_int_equal(gofer_getattr(fx->c, f, &st), 0);
	assert_int_equal(st.nlink, 2);
	assert_int_equal(gofer_link(fx->c, dir, fx->root, "dirlink"), -EPERM);
	assert_int_equal(gofer_link(fx->c, f, dir, "hard"), -EEXIST);

	/* rename, then open the fid walked before the rename */
	assert_int_equal(gofer_rename(fx->c, fx->root, "file.txt", dir, "moved", 0), 0);
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), 0);
	char buf[32];
	read_fd(fd, buf, sizeof(buf));
	close(fd);
	assert_string_equal(buf, "hello gofer\n");
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &g, NULL), -ENOENT);
	assert_int_equal(gofer_rename(fx->c, dir, "moved", dir, "hard", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(gofer_rename(fx->c, dir, "moved", dir, "x", 1u << 7), -EINVAL);

	assert_int_equal(gofer_unlink(fx->c, dir, "hard", 0), 0);
	assert_int_equal(gofer_unlink(fx->c, dir, "hard", 0), -ENOENT);
	assert_int_equal(gofer_unlink(fx->c, fx->root, "dir", 0), -EISDIR);
	assert_int_equal(gofer_unlink(fx->c, dir, "sub", AT_REMOVEDIR), 0);
	assert_int_equal(gofer_unlink(fx->c, fx->root, "dir", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(gofer_unlink(fx->c, fx->root, "dir", 0x4000), -EINVAL);
}

static void test_open_of_replaced_name_is_estale(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	/* someone outside the gofer swaps the file: the fid's inode is gone
	 * from that name, and the gofer must not open the new one for it */
	char p[256], q[256];
	path(p, sizeof(p), "root/file.txt");
	path(q, sizeof(q), "root/file.new");
	write_host("root/file.new", "impostor\n");
	assert_int_equal(rename(q, p), 0);
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), -ESTALE);
	assert_int_equal(fd, -1);
}

/* Open fid f read-only and check it reads want. */
static void assert_fid_reads(struct fixture *fx, uint64_t f, const char *want)
{
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), 0);
	char buf[64];
	read_fd(fd, buf, sizeof(buf));
	close(fd);
	assert_string_equal(buf, want);
}

/* git's way of storing an object: write a temporary file, link it to its
 * final name, unlink the temporary one.  The file is its inode, not the name
 * its fid was walked by. */
static void test_link_then_unlink_of_the_walked_name_still_opens(void **state)
{
	struct fixture *fx = *state;
	uint64_t f, dir;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &dir, NULL), 0);
	assert_int_equal(gofer_link(fx->c, f, dir, "obj"), 0);
	assert_int_equal(gofer_unlink(fx->c, fx->root, "file.txt", 0), 0);
	assert_fid_reads(fx, f, "hello gofer\n");
	/* and for writing: a truncate re-opens the file by a name too */
	struct gofer_setattr sa = {.valid = GOFER_SETATTR_SIZE, .size = 5};
	assert_int_equal(gofer_setattr(fx->c, f, &sa), 0);
	assert_fid_reads(fx, f, "hello");
	/* the name that is gone stays gone */
	uint64_t g;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &g, NULL), -ENOENT);
}

/* A name one fid learnt serves every fid of the inode, after that fid is gone. */
static void test_name_learnt_by_another_fid_serves_all(void **state)
{
	struct fixture *fx = *state;
	char p[256], q[256];
	path(p, sizeof(p), "root/file.txt");
	path(q, sizeof(q), "root/other");
	assert_int_equal(link(p, q), 0); /* made on the host, outside the Gofer */
	uint64_t a, b;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &a, NULL), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "other", &b, NULL), 0);
	assert_int_equal(gofer_clunk(fx->c, b), 0);
	assert_int_equal(gofer_unlink(fx->c, fx->root, "file.txt", 0), 0);
	assert_fid_reads(fx, a, "hello gofer\n");
}

/* A rename moves the name it renames for every fid of the inode, and whatever
 * the target named loses it. */
static void test_rename_moves_a_learnt_name(void **state)
{
	struct fixture *fx = *state;
	write_host("root/victim", "victim\n");
	uint64_t f, v, dir;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "victim", &v, NULL), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &dir, NULL), 0);
	assert_int_equal(gofer_link(fx->c, f, fx->root, "second"), 0);
	assert_int_equal(gofer_rename(fx->c, fx->root, "second", dir, "third", 0), 0);
	assert_int_equal(gofer_unlink(fx->c, fx->root, "file.txt", 0), 0);
	assert_fid_reads(fx, f, "hello gofer\n");
	/* rename over victim: f opens by its new name; victim has no name left */
	assert_int_equal(gofer_rename(fx->c, dir, "third", fx->root, "victim", 0), 0);
	assert_fid_reads(fx, f, "hello gofer\n");
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, v, O_RDONLY, &fd), -ESTALE);
	/* RENAME_EXCHANGE swaps the names of both */
	write_host("root/b", "bee\n");
	uint64_t b;
	assert_int_equal(gofer_walk(fx->c, fx->root, "b", &b, NULL), 0);
	assert_int_equal(gofer_rename(fx->c, fx->root, "victim", fx->root, "b", 1u << 1), 0);
	assert_fid_reads(fx, f, "hello gofer\n");
	assert_fid_reads(fx, b, "bee\n");
	char hp[256];
	path(hp, sizeof(hp), "root/b");
	FILE *hf = fopen(hp, "r");
	assert_non_null(hf);
	char buf[32] = {0};
	assert_non_null(fgets(buf, sizeof(buf), hf));
	fclose(hf);
	assert_string_equal(buf, "hello gofer\n");
}

/* Among many files the Gofer holds, each rename moves exactly the names it
 * should (the names table: a rename no longer looks at every name): every
 * file, renamed twice and its other names removed, still opens, and a name
 * renamed over is no longer its old file's. */
static void test_renames_among_many_files_move_their_own_names(void **state)
{
	struct fixture *fx = *state;
	enum { N = 300 };
	uint64_t f[N];
	char a[32], b[32], want[32];
	for (int i = 0; i < N; i++) {
		snprintf(a, sizeof(a), "root/m%d", i);
		snprintf(want, sizeof(want), "m%d\n", i);
		write_host(a, want);
		assert_int_equal(gofer_walk(fx->c, fx->root, a + 5, &f[i], NULL), 0);
	}
	for (int i = 0; i < N; i++) {
		snprintf(a, sizeof(a), "m%d", i);
		snprintf(b, sizeof(b), "n%d", i);
		assert_int_equal(gofer_rename(fx->c, fx->root, a, fx->root, b, 0), 0);
		snprintf(a, sizeof(a), "o%d", i);
		assert_int_equal(gofer_rename(fx->c, fx->root, b, fx->root, a, 0), 0);
	}
	for (int i = 0; i < N; i++) {
		snprintf(want, sizeof(want), "m%d\n", i);
		assert_fid_reads(fx, f[i], want);
	}
	/* o0 over o1: f[0] opens as o1, f[1] has no name left. */
	assert_int_equal(gofer_rename(fx->c, fx->root, "o0", fx->root, "o1", 0), 0);
	assert_fid_reads(fx, f[0], "m0\n");
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f[1], O_RDONLY, &fd), -ESTALE);
	for (int i = 0; i < N; i++)
		assert_int_equal(gofer_clunk(fx->c, f[i]), 0);
}

/* A file linked under more names than a node keeps still opens by the newest. */
static void test_many_links_keep_the_newest_names(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	char name[32];
	for (int i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		assert_int_equal(gofer_link(fx->c, f, fx->root, name), 0);
	}
	assert_int_equal(gofer_unlink(fx->c, fx->root, "file.txt", 0), 0);
	for (int i = 0; i < 19; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		assert_int_equal(gofer_unlink(fx->c, fx->root, name, 0), 0);
	}
	assert_fid_reads(fx, f, "hello gofer\n");
	assert_int_equal(gofer_unlink(fx->c, fx->root, "l19", 0), 0);
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), -ESTALE);
}

/* A name swapped for a FIFO behind the Gofer's back is never opened (the open
 * of a FIFO would block the server). */
static void test_name_swapped_for_a_fifo_is_not_opened(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	char p[256];
	path(p, sizeof(p), "root/file.txt");
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0644), 0);
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), -ESTALE);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_readdir_spans_several_replies(void **state)
{
	struct fixture *fx = *state;
	enum { N = 1200 };
	/* mkdir hands back a fid of the new directory: no walk to it */
	uint64_t dir;
	struct gofer_stat dst;
	assert_int_equal(gofer_mkdir_fid(fx->c, fx->root, "many", 0755, 0, 0, &dir, &dst), 0);
	assert_true(S_ISDIR(dst.mode));
	assert_int_equal(gofer_mkdir_fid(fx->c, fx->root, "many", 0755, 0, 0, &dir, &dst),
			 -EEXIST);
	assert_int_equal(gofer_mkdir_fid(fx->c, fx->root, "many", 0755, 0, 0, NULL, &dst), -EINVAL);
	char p[512];
	for (int i = 0; i < N; i++) {
		/* long names so a reply (64 KiB) holds only a few hundred */
		snprintf(p, sizeof(p), "%s/root/many/%04d-%0200d", tdir, i, 0);
		int fd = open(p, O_CREAT | O_WRONLY, 0644);
		assert_true(fd >= 0);
		close(fd);
	}
	struct gofer_dirent *ents = calloc(N + 10, sizeof(*ents));
	char **names = calloc(N + 10, sizeof(char *));
	int total = 0, calls = 0, first = -1;
	uint64_t off = 0;
	bool end = false;
	for (;;) {
		/* Full replies never say the end; the batch the end came with
		 * (a short reply) does, so no empty one is needed after it. */
		int n = gofer_readdir_end(fx->c, dir, off, ents, N + 10, &end);
		assert_true(n >= 0);
		if (n == 0)
			break;
		if (first < 0)
			first = n;
		calls++;
		for (int i = 0; i < n; i++) {
			assert_true(total < N);
			assert_string_not_equal(ents[i].name, ".");
			assert_string_not_equal(ents[i].name, "..");
			assert_int_equal(ents[i].type, DT_REG);
			names[total++] = strdup(ents[i].name);
		}
		off = ents[n - 1].next_offset;
		if (end)
			break;
	}
	assert_true(end);
	assert_int_equal(total, N);
	assert_true(calls > 1);
	assert_true(first < N);
	qsort(names, N, sizeof(char *), cmp_str);
	for (int i = 0; i < N; i++) {
		snprintf(p, sizeof(p), "%04d-%0200d", i, 0);
		assert_string_equal(names[i], p);
		free(names[i]);
	}
	free(names);
	/* max entries is honoured (not the end), and offset 0 starts over */
	assert_int_equal(gofer_readdir_end(fx->c, dir, 0, ents, 3, &end), 3);
	assert_false(end);
	assert_int_equal(gofer_readdir_end(fx->c, dir, off, ents, 3, &end), 0);
	assert_true(end);
	assert_int_equal(gofer_readdir(fx->c, dir, 0, ents, 0), -EINVAL);
	free(ents);
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	struct gofer_dirent e;
	assert_int_equal(gofer_readdir(fx->c, f, 0, &e, 1), -ENOTDIR);
}

static void test_setattr_chmod_chown_truncate_utimes(void **state)
{
	struct fixture *fx = *state;
	uint64_t f;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	struct gofer_setattr sa = {
		.valid = GOFER_SETATTR_MODE | GOFER_SETATTR_UID | GOFER_SETATTR_GID |
			 GOFER_SETATTR_SIZE | GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME,
		.mode = 06711,
		.uid = 42,
		.gid = 43,
		.size = 5,
		.atime_sec = 1000,
		.atime_nsec = 5,
		.mtime_sec = 2000,
		.mtime_nsec = 7,
	};
	assert_int_equal(gofer_setattr(fx->c, f, &sa), 0);
	struct gofer_stat st;
	assert_int_equal(gofer_getattr(fx->c, f, &st), 0);
	assert_int_equal(st.mode & 07777, 06711);
	assert_int_equal(st.uid, 42);
	assert_int_equal(st.gid, 43);
	assert_int_equal(st.size, 5);
	assert_int_equal(st.atime_sec, 1000);
	assert_int_equal(st.atime_nsec, 5);
	assert_int_equal(st.mtime_sec, 2000);
	assert_int_equal(st.mtime_nsec, 7);
	/* UTIME_OMIT leaves a time alone */
	sa = (struct gofer_setattr){.valid = GOFER_SETATTR_MTIME | GOFER_SETATTR_ATIME,
				    .atime_nsec = UTIME_OMIT,
				    .mtime_sec = 3000};
	assert_int_equal(gofer_setattr(fx->c, f, &sa), 0);
	assert_int_equal(gofer_getattr(fx->c, f, &st), 0);
	assert_int_equal(st.atime_sec, 1000);
	assert_int_equal(st.mtime_sec, 3000);
	/* truncate a directory / unknown bits */
	sa = (struct gofer_setattr){.valid = GOFER_SETATTR_SIZE};
	assert_int_equal(gofer_setattr(fx->c, fx->root, &sa), -EISDIR);
	sa = (struct gofer_setattr){.valid = 0x1000};
	assert_int_equal(gofer_setattr(fx->c, f, &sa), -EINVAL);
	/* chmod of a symlink itself is not possible on Linux */
	uint64_t l;
	assert_int_equal(gofer_walk(fx->c, fx->root, "link_root", &l, NULL), 0);
	sa = (struct gofer_setattr){.valid = GOFER_SETATTR_MODE, .mode = 0700};
	assert_int_equal(gofer_setattr(fx->c, l, &sa), -EOPNOTSUPP);
	/* chown of a symlink changes the link, not "/" */
	struct stat rootst;
	assert_int_equal(stat("/", &rootst), 0);
	sa = (struct gofer_setattr){.valid = GOFER_SETATTR_UID, .uid = 77};
	assert_int_equal(gofer_setattr(fx->c, l, &sa), 0);
	assert_int_equal(gofer_getattr(fx->c, l, &st), 0);
	assert_int_equal(st.uid, 77);
	struct stat rootst2;
	assert_int_equal(stat("/", &rootst2), 0);
	assert_int_equal(rootst2.st_uid, rootst.st_uid);
}

static void test_statfs_matches_host(void **state)
{
	struct fixture *fx = *state;
	struct gofer_statfs sf;
	assert_int_equal(gofer_statfs(fx->c, fx->root, &sf), 0);
	struct statfs hs;
	char p[256];
	path(p, sizeof(p), "root");
	assert_int_equal(statfs(p, &hs), 0);
	assert_int_equal(sf.type, (uint64_t)hs.f_type);
	assert_int_equal(sf.bsize, (uint64_t)hs.f_bsize);
	assert_int_equal(sf.namelen, (uint64_t)hs.f_namelen);
}

static void test_readonly_mount_gives_erofs(void **state)
{
	struct fixture *fx = *state;
	uint64_t ro, f;
	struct gofer_stat st;
	assert_int_equal(gofer_attach(fx->c, "/data/ro", &ro, &st), 0);
	assert_true(S_ISDIR(st.mode));
	assert_int_equal(gofer_walk(fx->c, ro, "rofile", &f, NULL), 0);
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), 0);
	char buf[32];
	read_fd(fd, buf, sizeof(buf));
	close(fd);
	assert_string_equal(buf, "read only\n");
	assert_int_equal(gofer_open(fx->c, f, O_WRONLY, &fd), -EROFS);
	assert_int_equal(gofer_open(fx->c, f, O_RDWR, &fd), -EROFS);
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY | O_TRUNC, &fd), -EROFS);
	uint64_t nf;
	assert_int_equal(gofer_create(fx->c, ro, "n", O_RDWR, 0644, 0, 0, &nf, &st, &fd), -EROFS);
	assert_int_equal(gofer_mkdir(fx->c, ro, "d", 0755, 0, 0, &st), -EROFS);
	assert_int_equal(gofer_mknod(fx->c, ro, "p", S_IFIFO | 0644, 0, 0, 0, &st), -EROFS);
	assert_int_equal(gofer_symlink(fx->c, ro, "s", "t", 0, 0, &st), -EROFS);
	assert_int_equal(gofer_link(fx->c, f, ro, "l"), -EROFS);
	assert_int_equal(gofer_unlink(fx->c, ro, "rofile", 0), -EROFS);
	assert_int_equal(gofer_rename(fx->c, ro, "rofile", ro, "x", 0), -EROFS);
	struct gofer_setattr sa = {.valid = GOFER_SETATTR_MODE, .mode = 0777};
	assert_int_equal(gofer_setattr(fx->c, f, &sa), -EROFS);
	/* across mounts is EXDEV, as between two Linux mounts */
	uint64_t rootfile;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &rootfile, NULL), 0);
	assert_int_equal(gofer_link(fx->c, rootfile, ro, "x"), -EXDEV);
	assert_int_equal(gofer_rename(fx->c, ro, "rofile", fx->root, "x", 0), -EXDEV);
	char p[256];
	path(p, sizeof(p), "ro/rofile");
	assert_int_equal(access(p, F_OK), 0);
}

static void test_readonly_root_flag_gives_erofs(void **state)
{
	struct fixture *fx = *state;
	struct gofer_stat st;
	uint64_t f;
	int fd = -1;
	assert_int_equal(gofer_create(fx->c, fx->root, "n", O_RDWR, 0644, 0, 0, &f, &st, &fd),
			 -EROFS);
	assert_int_equal(gofer_mkdir(fx->c, fx->root, "d", 0755, 0, 0, &st), -EROFS);
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	assert_int_equal(gofer_open(fx->c, f, O_RDWR, &fd), -EROFS);
	assert_int_equal(gofer_open(fx->c, f, O_RDONLY, &fd), 0);
	close(fd);
}

static void test_file_mount_reopens_through_parent(void **state)
{
	struct fixture *fx = *state;
	uint64_t h;
	struct gofer_stat st;
	assert_int_equal(gofer_attach(fx->c, "/etc/hosts", &h, &st), 0);
	assert_true(S_ISREG(st.mode));
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, h, O_RDWR, &fd), 0);
	char buf[64];
	read_fd(fd, buf, sizeof(buf));
	close(fd);
	assert_string_equal(buf, "127.0.0.1 localhost\n");
	uint64_t g;
	assert_int_equal(gofer_walk(fx->c, h, "x", &g, NULL), -ENOTDIR);
}

static void test_clunked_and_unknown_fids_are_ebadf(void **state)
{
	struct fixture *fx = *state;
	uint64_t f, g;
	struct gofer_stat st;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, NULL), 0);
	assert_int_equal(gofer_clunk(fx->c, f), 0);
	assert_int_equal(gofer_getattr(fx->c, f, &st), -EBADF);
	assert_int_equal(gofer_clunk(fx->c, f), -EBADF);
	/* the slot is reused with a new generation: the old number stays dead */
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &g, NULL), 0);
	assert_int_not_equal(g, f);
	assert_int_equal(gofer_getattr(fx->c, f, &st), -EBADF);
	assert_int_equal(gofer_getattr(fx->c, 0, &st), -EBADF);
	assert_int_equal(gofer_getattr(fx->c, UINT64_MAX, &st), -EBADF);
	assert_int_equal(gofer_walk(fx->c, 12345678, "x", &g, NULL), -EBADF);
}

/* Clunks sent without waiting: more than the client keeps in flight, one of
 * a dead fid among them; each is done before the next request's answer, and
 * none of their replies is taken for another request's. */
static void test_async_clunks_end_their_fids_before_the_next_request(void **state)
{
	struct fixture *fx = *state;
	enum { N = 70 };
	uint64_t f[N];
	struct gofer_stat st;
	for (int i = 0; i < N; i++)
		assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f[i], NULL), 0);
	uint64_t trips = gofer_client_requests(fx->c);
	for (int i = 0; i < N; i++)
		gofer_clunk_async(fx->c, f[i]);
	gofer_clunk_async(fx->c, f[0]); /* already gone: its EBADF is dropped */
	assert_int_equal(gofer_client_requests(fx->c), trips); /* no round trip */
	for (int i = 0; i < N; i++)
		assert_int_equal(gofer_getattr(fx->c, f[i], &st), -EBADF);
	uint64_t g;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &g, &st), 0);
	assert_true(S_ISREG(st.mode));
	gofer_clunk_async(fx->c, g);
	assert_int_equal(gofer_getattr(fx->c, g, &st), -EBADF);
}

static void test_fid_table_limit_is_emfile(void **state)
{
	struct fixture *fx = *state;
	uint64_t f[4];
	/* the root is fid 1 of 4 */
	for (int i = 0; i < 3; i++)
		assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &f[i], NULL), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &f[3], NULL), -EMFILE);
	assert_int_equal(gofer_clunk(fx->c, f[0]), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &f[3], NULL), 0);
}

/* ---- hostile client: raw bytes on the socket ---- */

struct msgbuf {
	uint8_t b[GOFER_MSG_MAX + 64];
	struct gofer_cursor c;
};

static void msg_begin(struct msgbuf *m, uint16_t type, uint32_t tag)
{
	gofer_cursor_init(&m->c, m->b, sizeof(m->b));
	gofer_put_u32(&m->c, 0);
	gofer_put_u16(&m->c, type);
	gofer_put_u16(&m->c, 0);
	gofer_put_u32(&m->c, tag);
}

static size_t msg_end(struct msgbuf *m)
{
	size_t len = m->c.pos;
	uint32_t le = htole32((uint32_t)len);
	memcpy(m->b, &le, 4);
	return len;
}

static void raw_send(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} cm;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&cm, 0, sizeof(cm));
		mh.msg_control = cm.b;
		mh.msg_controllen = sizeof(cm.b);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	assert_int_equal(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Receive one reply: returns its type; *err the errno of an error reply. */
static uint16_t raw_reply(int sock, uint32_t want_tag, uint32_t *err, size_t *body)
{
	static uint8_t b[GOFER_MSG_MAX];
	ssize_t n = recv(sock, b, sizeof(b), 0);
	assert_true(n >= (ssize_t)GOFER_HDR_SIZE);
	struct gofer_cursor c;
	gofer_cursor_init(&c, b, (size_t)n);
	assert_int_equal(gofer_get_u32(&c), (uint32_t)n);
	uint16_t type = gofer_get_u16(&c);
	assert_int_equal(gofer_get_u16(&c), 0);
	assert_int_equal(gofer_get_u32(&c), want_tag);
	*err = 0;
	if (type == GOFER_RERROR) {
		assert_int_equal(n, GOFER_HDR_SIZE + 4);
		*err = gofer_get_u32(&c);
	}
	if (body)
		*body = (size_t)n - GOFER_HDR_SIZE;
	return type;
}

static uint32_t raw_expect_error(int sock, uint32_t tag)
{
	uint32_t err;
	assert_int_equal(raw_reply(sock, tag, &err, NULL), GOFER_RERROR);
	return err;
}

/* attach "/" the good way; returns the new root fid, proving the server
 * still serves */
static uint64_t raw_attach(int sock, uint32_t tag)
{
	struct msgbuf m;
	msg_begin(&m, GOFER_TATTACH, tag);
	gofer_put_str(&m.c, "/", 1);
	raw_send(sock, m.b, msg_end(&m), -1);
	static uint8_t b[GOFER_MSG_MAX];
	ssize_t n = recv(sock, b, sizeof(b), 0);
	assert_int_equal(n, GOFER_HDR_SIZE + 8 + GOFER_STAT_SIZE);
	struct gofer_cursor c;
	gofer_cursor_init(&c, b, (size_t)n);
	gofer_get_u32(&c);
	assert_int_equal(gofer_get_u16(&c), GOFER_TATTACH | GOFER_REPLY);
	gofer_get_u16(&c);
	assert_int_equal(gofer_get_u32(&c), tag);
	return gofer_get_u64(&c);
}

/* Is fid still valid (getattr does not say EBADF)? */
static bool raw_fid_alive(int sock, uint64_t fid, uint32_t tag)
{
	struct msgbuf m;
	msg_begin(&m, GOFER_TGETATTR, tag);
	gofer_put_u64(&m.c, fid);
	raw_send(sock, m.b, msg_end(&m), -1);
	uint32_t err;
	return raw_reply(sock, tag, &err, NULL) == (GOFER_TGETATTR | GOFER_REPLY);
}

static void test_hostile_truncated_headers_get_einval(void **state)
{
	struct fixture *fx = *state;
	struct msgbuf m;
	msg_begin(&m, GOFER_TATTACH, 7);
	gofer_put_str(&m.c, "/", 1);
	size_t len = msg_end(&m);
	/* every truncation of the header (the zero-length datagram reads as a
	 * hang-up on SEQPACKET, so start at 1) */
	for (size_t n = 1; n < GOFER_HDR_SIZE; n++) {
		raw_send(fx->raw, m.b, n, -1);
		assert_int_equal(raw_expect_error(fx->raw, 0), EINVAL);
	}
	/* every truncation of the body: length field no longer matches */
	for (size_t n = GOFER_HDR_SIZE; n < len; n++) {
		raw_send(fx->raw, m.b, n, -1);
		assert_int_equal(raw_expect_error(fx->raw, 7), EINVAL);
	}
	raw_attach(fx->raw, 8);
}

static void test_hostile_lengths_flags_and_types(void **state)
{
	struct fixture *fx = *state;
	struct msgbuf m;
	/* header length says more than was sent, and less */
	msg_begin(&m, GOFER_TATTACH, 1);
	gofer_put_str(&m.c, "/", 1);
	size_t len = msg_end(&m);
	uint32_t big = htole32(0xffffffffu);
	memcpy(m.b, &big, 4);
	raw_send(fx->raw, m.b, len, -1);
	assert_int_equal(raw_expect_error(fx->raw, 1), EINVAL);
	uint32_t small = htole32(GOFER_HDR_SIZE);
	memcpy(m.b, &small, 4);
	raw_send(fx->raw, m.b, len, -1);
	assert_int_equal(raw_expect_error(fx->raw, 1), EINVAL);
	/* an oversized datagram */
	static uint8_t huge[GOFER_MSG_MAX + 100];
	memset(huge, 0, sizeof(huge));
	struct gofer_cursor c;
	gofer_cursor_init(&c, huge, sizeof(huge));
	gofer_put_u32(&c, sizeof(huge));
	gofer_put_u16(&c, GOFER_TGETATTR);
	gofer_put_u16(&c, 0);
	gofer_put_u32(&c, 2);
	raw_send(fx->raw, huge, sizeof(huge), -1);
	assert_int_equal(raw_expect_error(fx->raw, 2), EMSGSIZE);
	/* non-zero flags */
	msg_begin(&m, GOFER_TATTACH, 3);
	gofer_put_str(&m.c, "/", 1);
	len = msg_end(&m);
	m.b[6] = 1;
	raw_send(fx->raw, m.b, len, -1);
	assert_int_equal(raw_expect_error(fx->raw, 3), EINVAL);
	/* unknown types, including a reply type sent as a request */
	uint16_t types[] = {0, GOFER_TMAX + 1, 999, GOFER_TATTACH | GOFER_REPLY, GOFER_RERROR};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		msg_begin(&m, types[i], 10 + (uint32_t)i);
		gofer_put_u64(&m.c, 1);
		raw_send(fx->raw, m.b, msg_end(&m), -1);
		assert_int_equal(raw_expect_error(fx->raw, 10 + (uint32_t)i), EOPNOTSUPP);
	}
	raw_attach(fx->raw, 99);
}

/* The server's fds once it is done with the requests before (it closes a
 * donated fd after sending its reply: one more request settles that). */
static int server_fds(struct fixture *fx)
{
	struct gofer_stat st;
	assert_int_equal(gofer_getattr(fx->c, fx->root, &st), 0);
	return count_fds_of(fx->server);
}

/* The names of files in one directory share one fd of it (gofer/names.c):
 * each file served costs the Gofer its fid's fd only, and the directory's
 * fd goes once its last name does. */
static void test_names_in_one_directory_share_its_fd(void **state)
{
	struct fixture *fx = *state;
	uint64_t dir;
	assert_int_equal(gofer_walk(fx->c, fx->root, "dir", &dir, NULL), 0);
	int before = server_fds(fx);
	enum { N = 20 };
	uint64_t fids[N];
	for (int i = 0; i < N; i++) {
		char name[16];
		snprintf(name, sizeof(name), "f%d", i);
		struct gofer_stat st;
		int fd = -1;
		assert_int_equal(gofer_create(fx->c, dir, name, O_RDWR, 0644, 0, 0, &fids[i], &st,
					      &fd),
				 0);
		close(fd);
	}
	/* N fids and one shared fd of "dir" (was: two fds a file) */
	assert_int_equal(server_fds(fx), before + N + 1);
	/* a rename within the directory makes no fd; out of it, one for root */
	assert_int_equal(gofer_rename(fx->c, dir, "f0", dir, "g0", 0), 0);
	assert_int_equal(server_fds(fx), before + N + 1);
	assert_int_equal(gofer_rename(fx->c, dir, "f1", fx->root, "g1", 0), 0);
	assert_int_equal(server_fds(fx), before + N + 2);
	/* the moved name still opens its file */
	int fd = -1;
	assert_int_equal(gofer_open(fx->c, fids[1], O_RDONLY, &fd), 0);
	close(fd);
	for (int i = 0; i < N; i++)
		assert_int_equal(gofer_clunk(fx->c, fids[i]), 0);
	assert_int_equal(server_fds(fx), before);
	assert_int_equal(gofer_clunk(fx->c, dir), 0);
}

/* The process's one CPU, or -1 when it may run on several. */
static int one_cpu_of(pid_t pid)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	assert_int_equal(sched_getaffinity(pid, sizeof(set), &set), 0);
	if (CPU_COUNT(&set) != 1)
		return -1;
	for (int i = 0; i < CPU_SETSIZE; i++)
		if (CPU_ISSET(i, &set))
			return i;
	return -1;
}

/* Wait up to 5 s for the server to be on that CPU (-1: on several). */
static bool server_reaches_cpu(pid_t server, int cpu)
{
	for (int i = 0; i < 500; i++) {
		if (one_cpu_of(server) == cpu)
			return true;
		usleep(10000);
	}
	return false;
}

/* The CPU hint (protocol.h): a request the client waits for moves the
 * Gofer to the CPU the client waits on; a batch nobody waits for lets it
 * run anywhere again.  Jailed too: its seccomp filter allows the move. */
static void test_gofer_follows_the_waiting_client(void **state)
{
	struct fixture *fx = *state;
	cpu_set_t mine;
	assert_int_equal(sched_getaffinity(0, sizeof(mine), &mine), 0);
	if (CPU_COUNT(&mine) < 2)
		skip(); /* one CPU: nothing to follow */
	int cpus[2], n = 0;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &mine))
			cpus[n++] = i;
	struct gofer_stat st;
	for (int k = 1; k >= 0; k--) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(cpus[k], &one);
		assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
		assert_int_equal(gofer_getattr(fx->c, fx->root, &st), 0);
		assert_int_equal(one_cpu_of(fx->server), cpus[k]);
	}
	assert_int_equal(sched_setaffinity(0, sizeof(mine), &mine), 0);
	/* two changes nobody waits for, pushed */
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "async1" : "async0";
		uint64_t fid;
		int fd = -1;
		assert_int_equal(gofer_create(fx->c, fx->root, name, O_RDWR, 0644, 0, 0, &fid, &st,
					      &fd),
				 0);
		close(fd);
		assert_int_equal(gofer_clunk(fx->c, fid), 0);
		assert_int_equal(gofer_unlink_async(fx->c, fx->root, name), 0);
	}
	assert_true(gofer_client_push(fx->c));
	assert_true(server_reaches_cpu(fx->server, -1));
	gofer_client_flush(fx->c);
	char p[256];
	path(p, sizeof(p), "root/async1");
	assert_int_equal(access(p, F_OK), -1);
}

/* Send an attach of "/" whose header carries these flags. */
static void raw_attach_with_flags(int sock, uint32_t tag, uint16_t flags)
{
	struct msgbuf m;
	msg_begin(&m, GOFER_TATTACH, tag);
	gofer_put_str(&m.c, "/", 1);
	size_t len = msg_end(&m);
	uint16_t le = htole16(flags);
	memcpy(m.b + GOFER_HDR_FLAGS_OFF, &le, 2);
	raw_send(sock, m.b, len, -1);
}

/* A hint is only a hint: a CPU the Gofer may not use changes nothing and
 * the request is served; reserved flag bits, or CPU bits without the
 * hint's flag, are a malformed header. */
static void test_hostile_cpu_hints(void **state)
{
	struct fixture *fx = *state;
	int before = one_cpu_of(fx->server);
	uint16_t bad[] = {GOFER_F_CPU | 0x1000, GOFER_F_CPU | 0x4000, 0x0001, 0x0fff};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		raw_attach_with_flags(fx->raw, 20 + (uint32_t)i, bad[i]);
		assert_int_equal(raw_expect_error(fx->raw, 20 + (uint32_t)i), EINVAL);
	}
	/* CPU 1000: no such CPU here */
	raw_attach_with_flags(fx->raw, 30, GOFER_F_CPU | 1000);
	uint32_t err;
	assert_int_equal(raw_reply(fx->raw, 30, &err, NULL), GOFER_TATTACH | GOFER_REPLY);
	assert_int_equal(one_cpu_of(fx->server), before);
	raw_attach(fx->raw, 31);
}

static void test_hostile_strings_and_fids(void **state)
{
	struct fixture *fx = *state;
	struct msgbuf m;
	raw_attach(fx->raw, 1);
	/* the root fid is the first slot, generation 1 */
	uint64_t root = (1ull << 32) | 0;
	struct {
		const char *what;
		const char *name;
		size_t claimed, sent;
		uint32_t want;
	} cases[] = {
		{"string runs past the end", "file.txt", 200, 8, EINVAL},
		{"length field cut off", "", 0, 0, EINVAL},
		{"embedded NUL", "fi\0le.txt", 9, 9, EINVAL},
		{"dotdot", "..", 2, 2, EINVAL},
		{"dot", ".", 1, 1, EINVAL},
		{"slash", "dir/sub", 7, 7, EINVAL},
		{"empty", "", 0, 0, EINVAL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		msg_begin(&m, GOFER_TWALK, 100 + (uint32_t)i);
		gofer_put_u64(&m.c, root);
		if (i == 1) {
			gofer_put_u8(&m.c, 5); /* half a length field */
		} else {
			gofer_put_u16(&m.c, (uint16_t)cases[i].claimed);
			memcpy(gofer_cursor_take(&m.c, cases[i].sent), cases[i].name, cases[i].sent);
		}
		raw_send(fx->raw, m.b, msg_end(&m), -1);
		uint32_t err = raw_expect_error(fx->raw, 100 + (uint32_t)i);
		if (err != cases[i].want)
			fail_msg("%s: errno %u, want %u", cases[i].what, err, cases[i].want);
	}
	/* overlong name */
	char longname[400];
	memset(longname, 'x', sizeof(longname));
	msg_begin(&m, GOFER_TWALK, 200);
	gofer_put_u64(&m.c, root);
	gofer_put_str(&m.c, longname, sizeof(longname));
	raw_send(fx->raw, m.b, msg_end(&m), -1);
	assert_int_equal(raw_expect_error(fx->raw, 200), ENAMETOOLONG);
	/* trailing garbage after a valid body */
	msg_begin(&m, GOFER_TGETATTR, 201);
	gofer_put_u64(&m.c, root);
	gofer_put_u8(&m.c, 0);
	raw_send(fx->raw, m.b, msg_end(&m), -1);
	assert_int_equal(raw_expect_error(fx->raw, 201), EINVAL);
	/* bad fids */
	uint64_t bad[] = {0, 1, root + 1, root + (1ull << 32), UINT64_MAX};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		msg_begin(&m, GOFER_TGETATTR, 300 + (uint32_t)i);
		gofer_put_u64(&m.c, bad[i]);
		raw_send(fx->raw, m.b, msg_end(&m), -1);
		assert_int_equal(raw_expect_error(fx->raw, 300 + (uint32_t)i), EBADF);
	}
	/* symlink target too long */
	static char target[GOFER_PATH_MAX + 10];
	memset(target, 't', sizeof(target));
	msg_begin(&m, GOFER_TSYMLINK, 400);
	gofer_put_u64(&m.c, root);
	gofer_put_u32(&m.c, 0);
	gofer_put_u32(&m.c, 0);
	gofer_put_str(&m.c, "s", 1);
	gofer_put_str(&m.c, target, sizeof(target));
	raw_send(fx->raw, m.b, msg_end(&m), -1);
	assert_int_equal(raw_expect_error(fx->raw, 400), EINVAL);
	/* the server still answers a good request, and the root fid is intact */
	msg_begin(&m, GOFER_TGETATTR, 500);
	gofer_put_u64(&m.c, root);
	raw_send(fx->raw, m.b, msg_end(&m), -1);
	uint32_t err;
	assert_int_equal(raw_reply(fx->raw, 500, &err, NULL), GOFER_TGETATTR | GOFER_REPLY);
	char p[256];
	path(p, sizeof(p), "root/s");
	assert_int_equal(access(p, F_OK), -1);
}

static void test_hostile_client_fds_are_closed_not_kept(void **state)
{
	struct fixture *fx = *state;
	struct msgbuf m;
	msg_begin(&m, GOFER_TATTACH, 1);
	gofer_put_str(&m.c, "/", 1);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	raw_send(fx->raw, m.b, msg_end(&m), fd);
	close(fd);
	uint32_t err;
	/* the request itself is served; the teardown's fd count in the server
	 * proves the passed fd was closed */
	assert_int_equal(raw_reply(fx->raw, 1, &err, NULL), GOFER_TATTACH | GOFER_REPLY);
}

/* ---- hostile server: hand-written bad replies ---- */

enum bad_reply {
	BAD_SHORT,
	BAD_WRONG_TAG,
	BAD_LEN_FIELD,
	BAD_TYPE,
	BAD_FLAGS,
	BAD_ERRNO_ZERO,
	BAD_ERRNO_HUGE,
	BAD_ERROR_WITH_FD,
	BAD_TRUNCATED_STAT,
	BAD_TRAILING,
	BAD_STAT_TYPE,
	BAD_STAT_NSEC,
	BAD_OPEN_NO_FD,
	BAD_OPEN_TWO_FDS,
	BAD_GETATTR_WITH_FD,
	BAD_READDIR_TOO_MANY,
	BAD_READDIR_SLASH,
	BAD_READDIR_DOTDOT,
	BAD_READDIR_NUL,
	BAD_READLINK_EMPTY,
	BAD_OVERSIZED,
	BAD_HANGUP,
	BAD_XATTR_LONGER_THAN_ASKED, /* getxattr: a value longer than the buffer */
	BAD_XATTR_LEN_PAST_END,      /* getxattr: a length the body does not hold */
	BAD_XATTR_HUGE_PROBE,        /* getxattr, size 0: a length over 64 KiB */
	BAD_XATTR_LIST_UNTERMINATED, /* listxattr: a name without its NUL */
	BAD_STATX_NSEC,              /* statx: a birth time's nanoseconds over 1e9 */
	BAD_STATX_SHORT,             /* statx: the reply cut short */
	BAD_COUNT
};

static void put_good_stat(struct gofer_cursor *c, uint32_t mode, uint32_t nsec)
{
	for (int i = 0; i < 6; i++)
		gofer_put_u64(c, 1);
	gofer_put_u32(c, mode);
	for (int i = 0; i < 3; i++)
		gofer_put_u32(c, 0);
	for (int i = 0; i < 3; i++)
		gofer_put_u64(c, 0);
	for (int i = 0; i < 3; i++)
		gofer_put_u32(c, nsec);
}

static void put_dirent(struct gofer_cursor *c, const char *name, size_t n)
{
	gofer_put_u64(c, 1);
	gofer_put_u64(c, 2);
	gofer_put_u8(c, DT_REG);
	gofer_put_str(c, name, n);
}

/* The fake gofer: answer one request with the bad reply `kind`. */
static void fake_server(int sock, enum bad_reply kind)
{
	static uint8_t in[GOFER_MSG_MAX], out[GOFER_MSG_MAX + 100];
	ssize_t n = recv(sock, in, sizeof(in), 0);
	if (n < (ssize_t)GOFER_HDR_SIZE)
		_exit(1);
	uint32_t tag;
	uint16_t type;
	memcpy(&type, in + 4, 2);
	memcpy(&tag, in + 8, 4);
	type = le16toh(type);
	tag = le32toh(tag);
	struct gofer_cursor c;
	gofer_cursor_init(&c, out, sizeof(out));
	uint16_t rtype = type | GOFER_REPLY;
	uint32_t rtag = tag;
	uint16_t rflags = 0;
	int nfds = 0;
	gofer_put_u32(&c, 0);
	if (kind == BAD_TYPE)
		rtype = GOFER_TCLUNK | GOFER_REPLY;
	if (kind == BAD_WRONG_TAG)
		rtag = tag + 1;
	if (kind == BAD_FLAGS)
		rflags = 4;
	if (kind == BAD_ERRNO_ZERO || kind == BAD_ERRNO_HUGE || kind == BAD_ERROR_WITH_FD)
		rtype = GOFER_RERROR;
	gofer_put_u16(&c, rtype);
	gofer_put_u16(&c, rflags);
	gofer_put_u32(&c, rtag);
	switch (kind) {
	case BAD_ERRNO_ZERO:
		gofer_put_u32(&c, 0);
		break;
	case BAD_ERRNO_HUGE:
		gofer_put_u32(&c, 99999);
		break;
	case BAD_ERROR_WITH_FD:
		gofer_put_u32(&c, ENOENT);
		nfds = 1;
		break;
	case BAD_TRUNCATED_STAT: /* walk: fid + half a stat */
		gofer_put_u64(&c, 5);
		gofer_put_u64(&c, 1);
		break;
	case BAD_TRAILING:
	case BAD_GETATTR_WITH_FD:
	case BAD_WRONG_TAG:
	case BAD_TYPE:
	case BAD_FLAGS:
	case BAD_LEN_FIELD:
	case BAD_SHORT:
		put_good_stat(&c, S_IFREG | 0644, 0);
		if (kind == BAD_TRAILING)
			gofer_put_u8(&c, 0);
		if (kind == BAD_GETATTR_WITH_FD)
			nfds = 1;
		break;
	case BAD_STAT_TYPE:
		put_good_stat(&c, 0170000 | 0644, 0);
		break;
	case BAD_STAT_NSEC:
		put_good_stat(&c, S_IFREG | 0644, 1000000000u);
		break;
	case BAD_OPEN_NO_FD:
		break;
	case BAD_OPEN_TWO_FDS:
		nfds = 2;
		break;
	case BAD_READDIR_TOO_MANY:
		gofer_put_u32(&c, 3);
		for (int i = 0; i < 3; i++)
			put_dirent(&c, "a", 1);
		break;
	case BAD_READDIR_SLASH:
		gofer_put_u32(&c, 1);
		put_dirent(&c, "a/b", 3);
		break;
	case BAD_READDIR_DOTDOT:
		gofer_put_u32(&c, 1);
		put_dirent(&c, "..", 2);
		break;
	case BAD_READDIR_NUL:
		gofer_put_u32(&c, 1);
		put_dirent(&c, "a\0b", 3);
		break;
	case BAD_READLINK_EMPTY:
		gofer_put_str(&c, "", 0);
		break;
	case BAD_OVERSIZED:
		gofer_cursor_take(&c, GOFER_MSG_MAX + 50 - c.pos);
		break;
	case BAD_HANGUP:
		close(sock);
		_exit(0);
	case BAD_XATTR_LONGER_THAN_ASKED:
		gofer_put_u32(&c, 8);
		gofer_put_u64(&c, 0);
		break;
	case BAD_XATTR_LEN_PAST_END:
		gofer_put_u32(&c, 3);
		gofer_put_u8(&c, 'v');
		break;
	case BAD_XATTR_HUGE_PROBE:
		gofer_put_u32(&c, GOFER_XATTR_SIZE_MAX + 1);
		break;
	case BAD_XATTR_LIST_UNTERMINATED:
		gofer_put_u32(&c, 3);
		gofer_put_u8(&c, 'a');
		gofer_put_u8(&c, 0);
		gofer_put_u8(&c, 'b');
		break;
	case BAD_STATX_NSEC:
	case BAD_STATX_SHORT:
		gofer_put_u32(&c, 0xfff);
		gofer_put_u64(&c, 0);
		gofer_put_u64(&c, 0);
		gofer_put_u64(&c, 1);
		gofer_put_u32(&c, 1000000000u);
		if (kind == BAD_STATX_NSEC) {
			gofer_put_u32(&c, 0);
			gofer_put_u32(&c, 0);
		}
		break;
	default:
		break;
	}
	size_t len = c.pos;
	uint32_t le = htole32((uint32_t)(kind == BAD_LEN_FIELD ? len + 1 : len));
	memcpy(out, &le, 4);
	if (kind == BAD_SHORT)
		len = 6;
	int fds[2] = {open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)};
	struct iovec iov = {.iov_base = out, .iov_len = len};
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(h), fds, nfds * sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
		_exit(2);
	/* wait for the client to hang up */
	char b;
	while (recv(sock, &b, 1, 0) > 0)
		;
	_exit(0);
}

/* Run one client call against a fake gofer answering `kind`: -EIO, no fd
 * leaked, and the fd out-parameter left at -1. */
static void run_bad_reply(enum bad_reply kind)
{
	int before = count_fds();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		fake_server(sv[1], kind);
	}
	close(sv[1]);
	struct gofer_client *c = gofer_client_new(sv[0]);
	assert_non_null(c);
	struct gofer_stat st;
	struct gofer_dirent ents[2];
	char buf[16];
	uint64_t fid = 0;
	int fd = 7777, r;
	switch (kind) {
	case BAD_TRUNCATED_STAT:
	case BAD_STAT_TYPE:
	case BAD_STAT_NSEC:
		r = gofer_walk(c, 1, "x", &fid, &st);
		break;
	case BAD_OPEN_NO_FD:
	case BAD_OPEN_TWO_FDS:
		r = gofer_open(c, 1, O_RDONLY, &fd);
		assert_int_equal(fd, -1);
		break;
	case BAD_ERROR_WITH_FD:
		r = gofer_open(c, 1, O_RDONLY, &fd);
		assert_int_equal(fd, -1);
		break;
	case BAD_READDIR_TOO_MANY:
	case BAD_READDIR_SLASH:
	case BAD_READDIR_DOTDOT:
	case BAD_READDIR_NUL:
		r = gofer_readdir(c, 1, 0, ents, 2);
		break;
	case BAD_READLINK_EMPTY:
		r = (int)gofer_readlink(c, 1, buf, sizeof(buf));
		break;
	case BAD_XATTR_LONGER_THAN_ASKED:
		r = (int)gofer_getxattr(c, 1, "user.x", buf, 4);
		break;
	case BAD_XATTR_LEN_PAST_END:
		r = (int)gofer_getxattr(c, 1, "user.x", buf, sizeof(buf));
		break;
	case BAD_XATTR_HUGE_PROBE:
		r = (int)gofer_getxattr(c, 1, "user.x", NULL, 0);
		break;
	case BAD_XATTR_LIST_UNTERMINATED:
		r = (int)gofer_listxattr(c, 1, buf, sizeof(buf));
		break;
	case BAD_STATX_NSEC:
	case BAD_STATX_SHORT: {
		struct gofer_statx sx;
		r = gofer_statx(c, 1, 0xfff, &sx);
		break;
	}
	default:
		r = gofer_getattr(c, 1, &st);
		break;
	}
	if (r != -EIO)
		fail_msg("bad reply kind %d: got %d, want -EIO", kind, r);
	gofer_client_free(c);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(count_fds(), before);
}

static void test_hostile_server_replies_give_eio_without_leaks(void **state)
{
	for (int k = 0; k < BAD_COUNT; k++)
		run_bad_reply((enum bad_reply)k);
}

static void test_dead_connection_stays_dead(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	close(sv[1]);
	struct gofer_client *c = gofer_client_new(sv[0]);
	struct gofer_stat st;
	assert_int_equal(gofer_getattr(c, 1, &st), -EIO);
	assert_int_equal(gofer_getattr(c, 1, &st), -EIO);
	gofer_client_free(c);
}


/* ---- fuzzing (deterministic: fixed seeds, so failures reproduce) ---- */

static uint32_t rng_state;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

/* One valid request of each kind, against the root fid. */
static size_t base_request(uint8_t *buf, size_t cap, int kind, uint32_t tag, uint64_t root)
{
	struct gofer_cursor c;
	gofer_cursor_init(&c, buf, cap);
	uint16_t type = (uint16_t)(1 + kind % GOFER_TMAX);
	gofer_put_u32(&c, 0);
	gofer_put_u16(&c, type);
	gofer_put_u16(&c, 0);
	gofer_put_u32(&c, tag);
	switch (type) {
	case GOFER_TATTACH:
		gofer_put_str(&c, "/", 1);
		break;
	case GOFER_TSETATTR:
		gofer_put_u64(&c, root);
		gofer_put_u32(&c, GOFER_SETATTR_MODE);
		gofer_put_u32(&c, 0755);
		for (int i = 0; i < 2; i++)
			gofer_put_u32(&c, 0);
		for (int i = 0; i < 3; i++)
			gofer_put_u64(&c, 0);
		gofer_put_u32(&c, UTIME_OMIT);
		gofer_put_u32(&c, UTIME_OMIT);
		break;
	case GOFER_TOPEN:
		gofer_put_u64(&c, root);
		gofer_put_u32(&c, O_RDONLY);
		break;
	case GOFER_TCREATE:
	case GOFER_TMKDIR:
	case GOFER_TMKNOD:
		gofer_put_u64(&c, root);
		if (type == GOFER_TCREATE)
			gofer_put_u32(&c, O_RDWR);
		gofer_put_u32(&c, (type == GOFER_TMKNOD ? S_IFIFO : 0) | 0644);
		gofer_put_u32(&c, 0);
		gofer_put_u32(&c, 0);
		if (type == GOFER_TMKNOD)
			gofer_put_u64(&c, 0);
		gofer_put_str(&c, "fz", 2);
		break;
	case GOFER_TSYMLINK:
		gofer_put_u64(&c, root);
		gofer_put_u32(&c, 0);
		gofer_put_u32(&c, 0);
		gofer_put_str(&c, "sl", 2);
		gofer_put_str(&c, "../x", 4);
		break;
	case GOFER_TLINK:
	case GOFER_TRENAME:
		gofer_put_u64(&c, root);
		gofer_put_u64(&c, root);
		if (type == GOFER_TRENAME) {
			gofer_put_u32(&c, 0);
			gofer_put_str(&c, "fz", 2);
		}
		gofer_put_str(&c, "fy", 2);
		break;
	case GOFER_TUNLINK:
		gofer_put_u64(&c, root);
		gofer_put_u32(&c, 0);
		gofer_put_str(&c, "fz", 2);
		break;
	case GOFER_TREADDIR:
		gofer_put_u64(&c, root);
		gofer_put_u64(&c, 0);
		gofer_put_u32(&c, 100);
		break;
	case GOFER_TGETXATTR:
	case GOFER_TREMOVEXATTR:
		gofer_put_u64(&c, root);
		gofer_put_str(&c, "user.t", 6);
		if (type == GOFER_TGETXATTR)
			gofer_put_u32(&c, 100);
		break;
	case GOFER_TSETXATTR:
		gofer_put_u64(&c, root);
		gofer_put_u32(&c, 0);
		gofer_put_str(&c, "user.t", 6);
		gofer_put_u32(&c, 2); /* the value, a blob */
		gofer_put_u8(&c, 'v');
		gofer_put_u8(&c, 'v');
		break;
	case GOFER_TLISTXATTR:
	case GOFER_TSTATX:
		gofer_put_u64(&c, root);
		gofer_put_u32(&c, type == GOFER_TSTATX ? 0xfff : 100);
		break;
	case GOFER_TFSYNC:
		gofer_put_u64(&c, root);
		gofer_put_u32(&c, GOFER_FSYNC_DATA);
		break;
	default: /* walk, getattr, readlink, statfs, clunk */
		gofer_put_u64(&c, root);
		if (type == GOFER_TWALK)
			gofer_put_str(&c, "dir", 3);
		break;
	}
	uint32_t le = htole32((uint32_t)c.pos);
	memcpy(buf, &le, 4);
	return c.pos;
}

static void mutate(uint8_t *buf, size_t *len, size_t cap)
{
	int n = 1 + (int)(rng() % 4);
	for (int i = 0; i < n; i++) {
		switch (rng() % 5) {
		case 0: /* flip a byte */
			buf[rng() % *len] ^= (uint8_t)(1 + rng() % 255);
			break;
		case 1: /* truncate (never to zero: that is a hang-up) */
			*len = 1 + rng() % *len;
			break;
		case 2: /* extend with junk */
			for (size_t k = rng() % 16; k && *len < cap; k--)
				buf[(*len)++] = (uint8_t)rng();
			break;
		case 3: /* set a byte to an edge value */
			buf[rng() % *len] = (uint8_t[]){0, 0xff, 0x80, '/', '.'}[rng() % 5];
			break;
		case 4: /* fix up the length field so the body parser is reached */
			if (*len >= 4) {
				uint32_t le = htole32((uint32_t)*len);
				memcpy(buf, &le, 4);
			}
			break;
		}
	}
}

static void test_fuzzed_requests_always_get_a_reply_and_stay_inside(void **state)
{
	struct fixture *fx = *state;
	uint64_t root = raw_attach(fx->raw, 1);
	rng_state = 20261124;
	static uint8_t buf[1024];
	for (uint32_t i = 0; i < 4000; i++) {
		size_t len = base_request(buf, 512, (int)(rng() % GOFER_TMAX), i, root);
		mutate(buf, &len, sizeof(buf));
		raw_send(fx->raw, buf, len, -1);
		static uint8_t r[GOFER_MSG_MAX];
		ssize_t n = recv(fx->raw, r, sizeof(r), 0); /* donated fds are dropped */
		if (n < (ssize_t)GOFER_HDR_SIZE)
			fail_msg("iteration %u: no reply (%zd)", i, n);
		uint32_t rl;
		memcpy(&rl, r, 4);
		assert_int_equal(le32toh(rl), (uint32_t)n);
		/* keep a live root fid even when a fuzzed clunk took it */
		if (!raw_fid_alive(fx->raw, root, 0xfffff000u))
			root = raw_attach(fx->raw, 0xfffff001u);
	}
	raw_attach(fx->raw, 2);
	char p[256], buf2[32] = {0};
	path(p, sizeof(p), "outside/secret");
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf2, sizeof(buf2), f));
	fclose(f);
	assert_string_equal(buf2, "secret\n");
	path(p, sizeof(p), "outside");
	DIR *d = opendir(p);
	int entries = 0;
	while (readdir(d))
		entries++;
	closedir(d);
	assert_int_equal(entries, 3); /* ".", "..", "secret" */
	path(p, sizeof(p), "ro/rofile");
	assert_int_equal(access(p, F_OK), 0);
}

/* A fake gofer answering every request with a mutated valid reply. */
static void fuzz_server(int sock, uint32_t seed)
{
	rng_state = seed;
	static uint8_t in[GOFER_MSG_MAX], out[GOFER_MSG_MAX];
	for (;;) {
		ssize_t n = recv(sock, in, sizeof(in), 0);
		if (n < (ssize_t)GOFER_HDR_SIZE)
			_exit(0);
		uint16_t type;
		uint32_t tag;
		memcpy(&type, in + 4, 2);
		memcpy(&tag, in + 8, 4);
		type = le16toh(type);
		struct gofer_cursor c;
		gofer_cursor_init(&c, out, 4096);
		gofer_put_u32(&c, 0);
		gofer_put_u16(&c, type | GOFER_REPLY);
		gofer_put_u16(&c, 0);
		gofer_put_u32(&c, le32toh(tag));
		int nfds = 0;
		switch (type) {
		case GOFER_TATTACH:
		case GOFER_TWALK:
		case GOFER_TCREATE:
			gofer_put_u64(&c, 7);
			put_good_stat(&c, S_IFDIR | 0755, 0);
			nfds = type == GOFER_TCREATE;
			break;
		case GOFER_TGETATTR:
		case GOFER_TMKDIR:
			put_good_stat(&c, S_IFREG | 0644, 0);
			break;
		case GOFER_TOPEN:
			nfds = 1;
			break;
		case GOFER_TREADDIR:
			gofer_put_u32(&c, 2);
			put_dirent(&c, "abc", 3);
			put_dirent(&c, "de", 2);
			break;
		case GOFER_TREADLINK:
			gofer_put_str(&c, "target", 6);
			break;
		case GOFER_TSTATFS:
			for (int i = 0; i < 8; i++)
				gofer_put_u64(&c, 1);
			break;
		}
		size_t len = c.pos;
		uint32_t le = htole32((uint32_t)len);
		memcpy(out, &le, 4);
		if (rng() % 8) /* mostly mutated, sometimes clean */
			mutate(out, &len, 4096);
		if (rng() % 16 == 0)
			nfds = (int)(rng() % 3);
		int fds[2] = {open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)};
		struct iovec iov = {.iov_base = out, .iov_len = len};
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(2 * sizeof(int))];
		} cm;
		memset(&cm, 0, sizeof(cm));
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		if (nfds) {
			mh.msg_control = cm.b;
			mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
			struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
			h->cmsg_level = SOL_SOCKET;
			h->cmsg_type = SCM_RIGHTS;
			h->cmsg_len = CMSG_LEN(nfds * sizeof(int));
			memcpy(CMSG_DATA(h), fds, nfds * sizeof(int));
		}
		if (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0)
			_exit(0);
		close(fds[0]);
		close(fds[1]);
	}
}

static void test_fuzzed_replies_never_crash_or_leak_in_client(void **state)
{
	int before = count_fds();
	int calls = 0, ok = 0;
	log_init(-1, 0, LOG_ERROR);
	for (uint32_t conn = 0; calls < 3000; conn++) {
		int sv[2];
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(sv[0]);
			fuzz_server(sv[1], 777 + conn);
		}
		close(sv[1]);
		struct gofer_client *c = gofer_client_new(sv[0]);
		rng_state = 99 + conn;
		for (int k = 0; k < 200 && calls < 3000; k++, calls++) {
			struct gofer_stat st;
			struct gofer_dirent ents[4];
			struct gofer_statfs sf;
			uint64_t fid;
			int fd = -1, r;
			char b[16];
			switch (rng() % 9) {
			case 0: r = gofer_attach(c, "/", &fid, &st); break;
			case 1: r = gofer_walk(c, 1, "a", &fid, &st); break;
			case 2: r = gofer_getattr(c, 1, &st); break;
			case 3: r = gofer_open(c, 1, O_RDONLY, &fd); break;
			case 4:
				r = gofer_create(c, 1, "n", O_RDWR, 0644, 0, 0, &fid, &st, &fd);
				break;
			case 5: r = gofer_readdir(c, 1, 0, ents, 4); break;
			case 6: r = (int)gofer_readlink(c, 1, b, sizeof(b)); break;
			case 7: r = gofer_statfs(c, 1, &sf); break;
			default: r = gofer_mkdir(c, 1, "d", 0755, 0, 0, &st); break;
			}
			if (r >= 0)
				ok++;
			else
				assert_true(r >= -4095);
			if (r >= 0 && fd >= 0)
				close(fd);
			if (r < 0)
				assert_int_equal(fd, -1);
			if (r == -EIO && rng() % 4 == 0)
				break; /* sometimes start a fresh connection */
		}
		gofer_client_free(c);
		int status;
		assert_int_equal(waitpid(pid, &status, 0), pid);
	}
	log_init(-1, 0, LOG_WARN);
	assert_true(ok > 0); /* the unmutated replies were accepted */
	assert_int_equal(count_fds(), before);
}

/* ---- the request decoder: one test per rejection path ----
 *
 * Every request body as gofer/protocol.h lays it out, one letter a field:
 * f a fid (le64), d a fid that must name a directory, w le32, q le64, s a
 * string (le16 length + bytes).  Transcribed from the protocol comment, not
 * from the server, so that each checks the other.  base_request() fills the
 * fields with values the server accepts, so a rejection below is caused by
 * the one thing the test broke. */
static const char *const request_layout[GOFER_TMAX + 1] = {
	[GOFER_TATTACH] = "s",           [GOFER_TWALK] = "ds",      [GOFER_TGETATTR] = "f",
	[GOFER_TSETATTR] = "fwwwwqqqww", [GOFER_TOPEN] = "fw",      [GOFER_TCREATE] = "dwwwws",
	[GOFER_TMKDIR] = "dwwws",        [GOFER_TMKNOD] = "dwwwqs", [GOFER_TSYMLINK] = "dwwss",
	[GOFER_TLINK] = "fds",           [GOFER_TUNLINK] = "dws",   [GOFER_TRENAME] = "ddwss",
	[GOFER_TREADDIR] = "dqw",        [GOFER_TREADLINK] = "f",   [GOFER_TSTATFS] = "f",
	[GOFER_TCLUNK] = "f",            [GOFER_TGETXATTR] = "fsw", [GOFER_TSETXATTR] = "fwsb",
	[GOFER_TLISTXATTR] = "fw",       [GOFER_TREMOVEXATTR] = "fs",  [GOFER_TSTATX] = "fw",
	[GOFER_TFSYNC] = "fw",
};

/* A valid request body with its fields located. */
struct body {
	uint8_t b[512];
	size_t len, nfields;
	char kind[16];
	size_t start[16], size[16]; /* a string's size includes its length field */
};

static void body_build(struct body *bd, uint16_t type, uint64_t fid)
{
	uint8_t msg[sizeof(bd->b) + GOFER_HDR_SIZE];
	size_t n = base_request(msg, sizeof(msg), type - 1, 0, fid);
	bd->len = n - GOFER_HDR_SIZE;
	memcpy(bd->b, msg + GOFER_HDR_SIZE, bd->len);
	const char *l = request_layout[type];
	size_t pos = 0;
	bd->nfields = strlen(l);
	for (size_t i = 0; i < bd->nfields; i++) {
		size_t sz = 8;
		if (l[i] == 'w')
			sz = 4;
		else if (l[i] == 's')
			sz = 2 + (size_t)(bd->b[pos] | bd->b[pos + 1] << 8);
		else if (l[i] == 'b') /* a blob: le32 length + bytes (small here) */
			sz = 4 + (size_t)(bd->b[pos] | bd->b[pos + 1] << 8);
		bd->kind[i] = l[i];
		bd->start[i] = pos;
		bd->size[i] = sz;
		pos += sz;
	}
	assert_int_equal(pos, bd->len); /* the layout and base_request agree */
}

/* Send the first len bytes of b as the body of a `type` request; the errno of
 * the error reply, or 0 for a success reply. */
static uint32_t send_body(int sock, uint16_t type, const uint8_t *b, size_t len, uint32_t tag)
{
	struct msgbuf m;
	msg_begin(&m, type, tag);
	memcpy(gofer_cursor_take(&m.c, len), b, len);
	raw_send(sock, m.b, msg_end(&m), -1);
	uint32_t err;
	uint16_t rt = raw_reply(sock, tag, &err, NULL);
	assert_true(rt == GOFER_RERROR || rt == (type | GOFER_REPLY));
	return err;
}

static void expect_errno(uint32_t got, uint32_t want, uint16_t type, const char *what, size_t arg)
{
	if (got != want)
		fail_msg("type %u, %s %zu: errno %u, want %u", type, what, arg, got, want);
}

#define ROOT_FID ((uint64_t)1 << 32) /* the first attach: slot 0, generation 1 */

/* Walk (dir, name), which must succeed; the new fid. */
static uint64_t raw_walk(int sock, uint64_t dir, const char *name, uint32_t tag)
{
	struct msgbuf m;
	msg_begin(&m, GOFER_TWALK, tag);
	gofer_put_u64(&m.c, dir);
	gofer_put_str(&m.c, name, strlen(name));
	raw_send(sock, m.b, msg_end(&m), -1);
	static uint8_t r[GOFER_MSG_MAX];
	assert_int_equal(recv(sock, r, sizeof(r), 0), GOFER_HDR_SIZE + 8 + GOFER_STAT_SIZE);
	uint64_t fid;
	memcpy(&fid, r + GOFER_HDR_SIZE, 8);
	return le64toh(fid);
}

/* Nothing a rejected request asked for happened, and the server still serves:
 * the root fid (which a clunk would have ended) is alive. */
static void expect_no_trace(int sock)
{
	const char *made[] = {"root/fz", "root/fy", "root/sl"};
	for (size_t i = 0; i < ARRAY_SIZE(made); i++) {
		char p[256];
		path(p, sizeof(p), made[i]);
		if (access(p, F_OK) == 0)
			fail_msg("a rejected request created %s", made[i]);
	}
	assert_true(raw_fid_alive(sock, ROOT_FID, 0xfffff000u));
}

/* Make variant k of request bd, broken at its field i, in out; returns the
 * errno the server must answer it with, or 0 when there is no variant k. */
typedef uint32_t (*body_breaker)(const struct body *bd, size_t i, unsigned k, struct body *out);

/* Send every variant brk makes of each field whose kind is in kinds, of every
 * request type ("" for the body as a whole: i is then nfields), and expect
 * each to be answered as brk says and to leave no trace. */
static void expect_broken_rejected(int sock, const char *kinds, body_breaker brk)
{
	uint32_t tag = 1000;
	for (uint16_t t = 1; t <= GOFER_TMAX; t++) {
		struct body bd, out;
		body_build(&bd, t, ROOT_FID);
		for (size_t i = 0; i <= bd.nfields; i++) {
			bool whole = !*kinds;
			if (whole != (i == bd.nfields) || (!whole && !strchr(kinds, bd.kind[i])))
				continue;
			uint32_t want, got;
			for (unsigned k = 0; (want = brk(&bd, i, k, &out)) != 0; k++) {
				got = send_body(sock, t, out.b, out.len, tag++);
				if (got != want)
					fail_msg("type %u, field %zu, variant %u (%zu bytes): "
						 "errno %u, want %u",
						 t, i, k, out.len, got, want);
			}
		}
	}
	expect_no_trace(sock);
}

/* The body cut inside field i; of a string, inside its length field. */
static uint32_t cut_inside(const struct body *bd, size_t i, unsigned k, struct body *out)
{
	size_t keep = bd->kind[i] == 's' ? 2 : bd->size[i];
	if (k >= keep)
		return 0;
	*out = *bd;
	out->len = bd->start[i] + k;
	return EINVAL;
}

/* String i claims more bytes than the body holds: the body cut inside the
 * string's bytes, or its length field raised past the end. */
static uint32_t string_past_end(const struct body *bd, size_t i, unsigned k, struct body *out)
{
	size_t s = bd->start[i], n = bd->size[i] - 2;
	*out = *bd;
	if (k < n) {
		out->len = s + 2 + k;
		return EINVAL;
	}
	size_t claims[] = {bd->len - (s + 2) + 1, 0xffff};
	if (k - n >= ARRAY_SIZE(claims))
		return 0;
	out->b[s] = (uint8_t)claims[k - n];
	out->b[s + 1] = (uint8_t)(claims[k - n] >> 8);
	return EINVAL;
}

/* Bytes after the last field, which the protocol forbids for every request. */
static uint32_t extra_bytes(const struct body *bd, size_t i, unsigned k, struct body *out)
{
	static const size_t extras[] = {1, 8, 100};
	if (k >= ARRAY_SIZE(extras))
		return 0;
	*out = *bd;
	memset(out->b + bd->len, 0, extras[k]);
	out->len = bd->len + extras[k];
	return EINVAL;
}

static uint64_t file_fid; /* a live fid of a regular file, for bad_fid */

/* Fid i unknown (EBADF); where a directory is wanted, a file's (ENOTDIR). */
static uint32_t bad_fid(const struct body *bd, size_t i, unsigned k, struct body *out)
{
	if (k > (unsigned)(bd->kind[i] == 'd'))
		return 0;
	*out = *bd;
	uint64_t le = htole64(k == 0 ? 12345678 : file_fid);
	memcpy(out->b + bd->start[i], &le, 8);
	return k == 0 ? EBADF : ENOTDIR;
}

/* One rejection path of the decoder: which fields to break, and how. */
struct rejection {
	const char *kinds;
	body_breaker brk;
};

/* The test of one rejection path (see decoder_rejection_test). */
static void test_decoder_rejection(void **state)
{
	struct fixture *fx = *state;
	expect_broken_rejected(fx->raw, fx->rejection->kinds, fx->rejection->brk);
}

/* A raw client that has attached "/" as ROOT_FID and walked to file_fid;
 * the initial state is the struct rejection the test runs. */
static int setup_raw_attached(void **state)
{
	const struct rejection *rej = *state;
	int r = setup_raw(state);
	if (r < 0)
		return r;
	struct fixture *fx = *state;
	fx->rejection = rej;
	assert_int_equal(raw_attach(fx->raw, 1), ROOT_FID);
	file_fid = raw_walk(fx->raw, ROOT_FID, "file.txt", 2);
	return 0;
}

/* A cmocka test entry for one rejection path, named for its behaviour. */
#define decoder_rejection_test(name, kinds, brk)                                                   \
	{                                                                                          \
		#name, test_decoder_rejection, setup_raw_attached, teardown,                       \
		&(struct rejection){kinds, brk},                                                   \
	}

/* The unbroken requests the rejection tests start from are accepted: each
 * gets the reply its operation gives (sent in type order, so create makes
 * "fz" before mkdir and mknod find it, and unlink removes it before rename). */
static void test_decoder_accepts_every_well_formed_request(void **state)
{
	struct fixture *fx = *state;
	raw_attach(fx->raw, 1);
	uint64_t link = raw_walk(fx->raw, ROOT_FID, "link_root", 2);
	const uint32_t want[GOFER_TMAX + 1] = {
		[GOFER_TMKDIR] = EEXIST, [GOFER_TMKNOD] = EEXIST, [GOFER_TLINK] = EPERM,
		[GOFER_TRENAME] = ENOENT, [GOFER_TGETXATTR] = ENODATA,
		[GOFER_TOPEN] = EISDIR /* decoded, then refused: no directory fd leaves */};
	/* Every type in order, the clunk of the root fid last. */
	for (uint16_t i = 1; i <= GOFER_TMAX; i++) {
		uint16_t t = i < GOFER_TCLUNK ? i : i == GOFER_TMAX ? GOFER_TCLUNK : i + 1;
		struct body bd;
		body_build(&bd, t, t == GOFER_TREADLINK ? link : ROOT_FID);
		expect_errno(send_body(fx->raw, t, bd.b, bd.len, 100 + t), want[t], t, "body bytes",
			     bd.len);
	}
	assert_false(raw_fid_alive(fx->raw, ROOT_FID, 200)); /* the clunk took it */
}

static void test_decoder_unknown_op_is_eopnotsupp(void **state)
{
	struct fixture *fx = *state;
	raw_attach(fx->raw, 1);
	struct body bd;
	body_build(&bd, GOFER_TCLUNK, ROOT_FID); /* a body a known op would act on */
	uint16_t types[3 + GOFER_TMAX] = {0, GOFER_TMAX + 1, 0x7fff};
	for (uint16_t t = 1; t <= GOFER_TMAX; t++)
		types[2 + t] = t | GOFER_REPLY; /* a reply sent as a request */
	uint32_t tag = 1000;
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		expect_errno(send_body(fx->raw, types[i], bd.b, bd.len, tag++), EOPNOTSUPP,
			     types[i], "body bytes", bd.len);
		expect_errno(send_body(fx->raw, types[i], bd.b, 0, tag++), EOPNOTSUPP, types[i],
			     "body bytes", 0);
	}
	expect_errno(send_body(fx->raw, GOFER_RERROR, bd.b, bd.len, tag++), EOPNOTSUPP,
		     GOFER_RERROR, "body bytes", bd.len);
	expect_no_trace(fx->raw);
}

/* Send a request built from layout (the letters of request_layout, each
 * taking its value from the arguments: f d q a uint64_t, w a uint32_t, s a
 * NUL-terminated string; and h for half a string length field, x for an
 * extra byte, which take none) and expect the error reply want. */
static void expect_request_error(int sock, uint32_t want, const char *what, uint16_t type,
				 const char *layout, ...)
{
	struct msgbuf m;
	msg_begin(&m, type, 77);
	va_list ap;
	va_start(ap, layout);
	for (const char *l = layout; *l; l++) {
		if (*l == 'w') {
			gofer_put_u32(&m.c, va_arg(ap, uint32_t));
		} else if (*l == 's') {
			const char *str = va_arg(ap, const char *);
			gofer_put_str(&m.c, str, strlen(str));
		} else if (*l == 'h' || *l == 'x') {
			gofer_put_u8(&m.c, 1);
		} else if (*l == 'b') { /* a blob of that many bytes (its length as given) */
			uint32_t n = va_arg(ap, uint32_t);
			gofer_put_u32(&m.c, n);
			for (uint32_t k = 0; k < n && k < GOFER_XATTR_SIZE_MAX; k++)
				gofer_put_u8(&m.c, 'v');
		} else {
			gofer_put_u64(&m.c, va_arg(ap, uint64_t));
		}
	}
	va_end(ap);
	raw_send(sock, m.b, msg_end(&m), -1);
	uint32_t got = raw_expect_error(sock, 77);
	if (got != want)
		fail_msg("%s: errno %u, want %u", what, got, want);
}

static char overlong[GOFER_NAME_MAX + 2]; /* a name one byte too long (see overlong_name) */

static const char *overlong_name(void)
{
	memset(overlong, 'x', GOFER_NAME_MAX + 1);
	return overlong;
}

/* A request wrong in two ways gets the error of the first check it fails:
 * the body is decoded field by field in wire order (a bad name before
 * trailing bytes), then values are checked, then fids are looked up. */
static void test_decoder_reports_the_first_error_in_check_order(void **state)
{
	int sock = ((struct fixture *)*state)->raw;
	raw_attach(sock, 1);
	const uint64_t dead = 12345678;
	const char *longname = overlong_name();
	expect_request_error(sock, ENAMETOOLONG, "overlong name, then an extra byte", GOFER_TWALK,
			     "dsx", ROOT_FID, longname);
	expect_request_error(sock, ENAMETOOLONG, "dead fid, bad flags, overlong name",
			     GOFER_TUNLINK, "dws", dead, 0x4000u, longname);
	expect_request_error(sock, EINVAL, "dead fid, bad unlink flags", GOFER_TUNLINK, "dws",
			     dead, 0x4000u, "fz");
	expect_request_error(sock, ENAMETOOLONG, "overlong old name, truncated new name",
			     GOFER_TRENAME, "ddwsh", dead, dead, 1u << 7, longname);
	expect_request_error(sock, EINVAL, "old name \"..\", overlong new name", GOFER_TRENAME,
			     "ddwss", ROOT_FID, ROOT_FID, 0u, "..", longname);
	expect_request_error(sock, EINVAL, "dead fid, bad open flags", GOFER_TOPEN, "fw", dead,
			     (uint32_t)(O_RDONLY | O_CREAT));
	expect_request_error(sock, EINVAL, "dead fid, create with O_DIRECTORY", GOFER_TCREATE,
			     "dwwwws", dead, (uint32_t)(O_RDWR | O_DIRECTORY), 0644u, 0u, 0u, "fz");
	expect_request_error(sock, EPERM, "dead fid, character device", GOFER_TMKNOD, "dwwwqs",
			     dead, (uint32_t)(S_IFCHR | 0666), 0u, 0u, (uint64_t)0, "fz");
	expect_request_error(sock, ENOENT, "dead fid, empty symlink target", GOFER_TSYMLINK,
			     "dwwss", dead, 0u, 0u, "sl", "");
	expect_request_error(sock, EINVAL, "dead fid, unknown setattr bits", GOFER_TSETATTR,
			     "fwwwwqqqww", dead, 0x1000u, 0u, 0u, 0u, (uint64_t)0, (uint64_t)0,
			     (uint64_t)0, 0u, 0u);
	expect_request_error(sock, EINVAL, "dead fid, zero entries wanted", GOFER_TREADDIR, "dqw",
			     dead, (uint64_t)0, 0u);
	expect_request_error(sock, EINVAL, "unknown mount, then an extra byte", GOFER_TATTACH,
			     "sx", "/nope");
	expect_request_error(sock, EBADF, "two dead fids", GOFER_TLINK, "fds", dead, dead + 1,
			     "fy");
	expect_no_trace(sock);
}

/* Extended attribute requests with hostile sizes, names and flags are
 * answered before any host call, in the decoder's order. */
static void test_decoder_xattr_sizes_names_and_flags(void **state)
{
	int sock = ((struct fixture *)*state)->raw;
	raw_attach(sock, 1);
	const uint64_t dead = 12345678;
	const char *longname = overlong_name();
	expect_request_error(sock, EINVAL, "getxattr, size over 64 KiB", GOFER_TGETXATTR, "fsw",
			     dead, "user.t", GOFER_XATTR_SIZE_MAX + 1);
	expect_request_error(sock, EINVAL, "listxattr, size over 64 KiB", GOFER_TLISTXATTR, "fw",
			     dead, 0xffffffffu);
	expect_request_error(sock, EINVAL, "getxattr, empty name", GOFER_TGETXATTR, "fsw",
			     ROOT_FID, "", 10u);
	expect_request_error(sock, EINVAL, "getxattr, overlong name", GOFER_TGETXATTR, "fsw",
			     ROOT_FID, longname, 10u);
	expect_request_error(sock, EINVAL, "setxattr, unknown flags", GOFER_TSETXATTR, "fwsb",
			     dead, 4u, "user.t", 1u);
	expect_request_error(sock, E2BIG, "setxattr, value over 64 KiB", GOFER_TSETXATTR, "fwsb",
			     ROOT_FID, 0u, "user.t", GOFER_XATTR_SIZE_MAX + 1);
	expect_request_error(sock, EINVAL, "setxattr, value past the end", GOFER_TSETXATTR,
			     "fwsw", ROOT_FID, 0u, "user.t", 100u);
	expect_request_error(sock, EBADF, "removexattr, dead fid", GOFER_TREMOVEXATTR, "fs", dead,
			     "user.t");
	/* Only the user.* name space of the host. */
	expect_request_error(sock, EOPNOTSUPP, "setxattr, trusted.*", GOFER_TSETXATTR, "fwsb",
			     ROOT_FID, 0u, "trusted.t", 1u);
	expect_request_error(sock, EOPNOTSUPP, "getxattr, security.*", GOFER_TGETXATTR, "fsw",
			     ROOT_FID, "security.selinux", 10u);
	expect_no_trace(sock);
}

/* Each rejection is logged, naming the operation (or the unknown type). */
static void test_decoder_rejections_are_logged(void **state)
{
	int sock = ((struct fixture *)*state)->raw;
	raw_attach(sock, 1);
	struct body bd;
	body_build(&bd, GOFER_TGETATTR, ROOT_FID);
	assert_int_equal(send_body(sock, GOFER_TGETATTR, bd.b, 5, 2), EINVAL);
	assert_int_equal(send_body(sock, GOFER_TGETATTR, bd.b, 9, 3), EINVAL);
	assert_int_equal(send_body(sock, 999, bd.b, 8, 4), EOPNOTSUPP);
	expect_request_error(sock, EBADF, "dead fid", GOFER_TCLUNK, "f", (uint64_t)12345678);
	expect_request_error(sock, ENAMETOOLONG, "overlong name", GOFER_TWALK, "ds", ROOT_FID,
			     overlong_name());
	char p[256], log[4096] = {0};
	path(p, sizeof(p), "server.log");
	FILE *f = fopen(p, "re");
	assert_non_null(f);
	size_t n = fread(log, 1, sizeof(log) - 1, f);
	fclose(f);
	log[n] = 0;
	const char *want[] = {"gofer: getattr: Invalid argument\n",
			      "gofer: unknown message type 999\n",
			      "gofer: clunk: Bad file descriptor\n",
			      "gofer: walk: File name too long\n"};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		if (!strstr(log, want[i]))
			fail_msg("log lacks \"%s\":\n%s", want[i], log);
	char *second = strstr(strstr(log, want[0]) + 1, want[0]);
	assert_non_null(second); /* both truncated getattrs */
}

/* ---- the jail ---- */

static void test_seccomp_kills_on_forbidden_syscalls(void **state)
{
	int forbidden[] = {0, 1, 2};
	for (size_t i = 0; i < ARRAY_SIZE(forbidden); i++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
			if (gofer_jail_seccomp() < 0)
				_exit(3);
			switch (forbidden[i]) {
			case 0:
				socket(AF_INET, SOCK_STREAM, 0);
				break;
			case 1:
				execl("/bin/true", "true", (char *)NULL);
				break;
			case 2:
				getpid();
				break;
			}
			_exit(0);
		}
		int st;
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("forbidden syscall %zu: status %#x, want SIGSYS", i, st);
	}
}

/* The whole protocol under the real filter and dropped capabilities (the
 * server child is jailed; teardown checks it exits 0, i.e. was not killed). */
static void test_jailed_server_serves_every_operation(void **state)
{
	struct fixture *fx = *state;
	uint64_t f, d, l;
	struct gofer_stat st;
	int fd = -1;
	assert_int_equal(gofer_walk(fx->c, fx->root, "file.txt", &f, &st), 0);
	assert_int_equal(gofer_open(fx->c, f, O_RDWR, &fd), 0);
	close(fd);
	assert_int_equal(gofer_create(fx->c, fx->root, "n", O_RDWR, 04644, 10, 20, &l, &st, &fd), 0);
	close(fd);
	assert_int_equal(st.uid, 10);
	assert_int_equal(gofer_mkdir(fx->c, fx->root, "d", 0755, 10, 20, &st), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "d", &d, &st), 0);
	assert_int_equal(gofer_mknod(fx->c, d, "p", S_IFIFO | 0600, 0, 1, 2, &st), 0);
	assert_int_equal(gofer_symlink(fx->c, d, "s", "/", 1, 2, &st), 0);
	assert_int_equal(gofer_link(fx->c, f, d, "h"), 0);
	assert_int_equal(gofer_rename(fx->c, d, "h", fx->root, "h2", 0), 0);
	assert_int_equal(gofer_unlink(fx->c, fx->root, "h2", 0), 0);
	struct gofer_dirent ents[8];
	assert_int_equal(gofer_readdir(fx->c, d, 0, ents, 8), 2);
	assert_int_equal(gofer_walk(fx->c, d, "s", &l, NULL), 0);
	char buf[8];
	assert_int_equal(gofer_readlink(fx->c, l, buf, sizeof(buf)), 1);
	struct gofer_setattr sa = {.valid = GOFER_SETATTR_MODE | GOFER_SETATTR_SIZE |
					    GOFER_SETATTR_UID | GOFER_SETATTR_MTIME,
				   .mode = 0600,
				   .size = 1,
				   .uid = 5,
				   .mtime_nsec = UTIME_NOW};
	assert_int_equal(gofer_setattr(fx->c, f, &sa), 0);
	struct gofer_statfs sf;
	assert_int_equal(gofer_statfs(fx->c, fx->root, &sf), 0);
	assert_int_equal(gofer_unlink(fx->c, d, "p", 0), 0);
	/* Extended attributes: the host's user.* of a file and a directory. */
	char xb[64];
	assert_int_equal(gofer_setxattr(fx->c, f, "user.k", "val", 3, 0), 0);
	assert_int_equal(gofer_getxattr(fx->c, f, "user.k", NULL, 0), 3);
	assert_int_equal(gofer_getxattr(fx->c, f, "user.k", xb, 2), -ERANGE);
	assert_int_equal(gofer_getxattr(fx->c, f, "user.k", xb, sizeof(xb)), 3);
	assert_memory_equal(xb, "val", 3);
	assert_int_equal(gofer_setxattr(fx->c, d, "user.k", "", 0, XATTR_CREATE), 0);
	assert_int_equal(gofer_listxattr(fx->c, f, xb, sizeof(xb)), 7);
	assert_int_equal(gofer_listxattr(fx->c, l, xb, sizeof(xb)), 0); /* a symlink: none */
	assert_int_equal(gofer_removexattr(fx->c, f, "user.k"), 0);
	assert_int_equal(gofer_removexattr(fx->c, f, "user.k"), -ENODATA);
	assert_int_equal(gofer_setxattr(fx->c, f, "trusted.k", "v", 1, 0), -EOPNOTSUPP);
	struct gofer_statx sx;
	assert_int_equal(gofer_statx(fx->c, f, STATX_BASIC_STATS | STATX_BTIME, &sx), 0);
	assert_true(sx.mask & STATX_TYPE);
	/* The host's fsync and syncfs of a directory and of a file; not of a
	 * symlink. */
	assert_int_equal(gofer_fsync_fid(fx->c, d, false), 0);
	assert_int_equal(gofer_fsync_fid(fx->c, d, true), 0);
	assert_int_equal(gofer_fsync_fid(fx->c, f, false), 0);
	assert_int_equal(gofer_fsync_fid(fx->c, l, false), -EINVAL);
	assert_int_equal(gofer_syncfs_fid(fx->c, d), 0);
	assert_int_equal(gofer_syncfs_fid(fx->c, f), 0);
	assert_int_equal(gofer_syncfs_fid(fx->c, l), -EINVAL);
	assert_int_equal(gofer_clunk(fx->c, l), 0);
	assert_int_equal(gofer_walk(fx->c, fx->root, "..", &l, NULL), -EINVAL);
	assert_int_equal(gofer_attach(fx->c, "/nope", &l, NULL), -ENOENT);
}

/* Malformed input under the real filter: the error path (which logs) must
 * not make a forbidden syscall. */
static void test_jailed_server_survives_garbage(void **state)
{
	struct fixture *fx = *state;
	raw_send(fx->raw, "\x01\x02", 2, -1);
	assert_int_equal(raw_expect_error(fx->raw, 0), EINVAL);
	struct msgbuf m;
	msg_begin(&m, 4242, 9);
	raw_send(fx->raw, m.b, msg_end(&m), -1);
	assert_int_equal(raw_expect_error(fx->raw, 9), EOPNOTSUPP);
	uint64_t root = raw_attach(fx->raw, 10);
	/* A flag the protocol does not have; two that exclude each other. */
	static const uint32_t bad_flags[] = {4, GOFER_FSYNC_DATA | GOFER_FSYNC_FS};
	for (uint32_t i = 0; i < 2; i++) {
		msg_begin(&m, GOFER_TFSYNC, 11 + i);
		gofer_put_u64(&m.c, root);
		gofer_put_u32(&m.c, bad_flags[i]);
		raw_send(fx->raw, m.b, msg_end(&m), -1);
		assert_int_equal(raw_expect_error(fx->raw, 11 + i), EINVAL);
	}
	raw_attach(fx->raw, 13);
}

static const char *visor_binary(void)
{
	const char *v = getenv("VISOR");
	return v && *v ? v : "build/visor";
}

/* Read /proc/PID/status field `key` into out. */
static bool proc_status(pid_t pid, const char *key, char *out, size_t n)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return false;
	bool found = false;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			char *v = line + kl + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = 0;
			snprintf(out, n, "%s", v);
			found = true;
			break;
		}
	}
	fclose(f);
	return found;
}

static void test_visor_gofer_binary_is_jailed(void **state)
{
	if (geteuid() != 0 || access(visor_binary(), X_OK) != 0) {
		print_message("skipped: needs root and %s\n", visor_binary());
		skip();
	}
	if (make_tree(state))
		fail();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char root[128], sock[32], mnt[256];
		snprintf(root, sizeof(root), "--root=%s/root", tdir);
		snprintf(mnt, sizeof(mnt), "--mount=/data/ro:%s/ro:ro", tdir);
		dup2(sv[1], 3);
		snprintf(sock, sizeof(sock), "--sock-fd=3");
		execl(visor_binary(), "visor", "gofer", sock, root, mnt, (char *)NULL);
		_exit(127);
	}
	close(sv[1]);
	struct gofer_client *c = gofer_client_new(sv[0]);
	uint64_t root, f;
	struct gofer_stat st;
	/* the first reply also means the jail is complete */
	assert_int_equal(gofer_attach(c, "/", &root, &st), 0);
	char v[128];
	assert_true(proc_status(pid, "Seccomp", v, sizeof(v)));
	assert_string_equal(v, "2");
	assert_true(proc_status(pid, "NoNewPrivs", v, sizeof(v)));
	assert_string_equal(v, "1");
	assert_true(proc_status(pid, "CapEff", v, sizeof(v)));
	assert_string_equal(v, "000000000000001f");
	assert_true(proc_status(pid, "CapBnd", v, sizeof(v)));
	assert_string_equal(v, "000000000000001f");
	/* its file system root is the container root: the marker files are
	 * there, the host's /etc and the sibling "outside" are not */
	char p[256];
	snprintf(p, sizeof(p), "/proc/%d/root/file.txt", pid);
	assert_int_equal(access(p, F_OK), 0);
	snprintf(p, sizeof(p), "/proc/%d/root/etc/passwd", pid);
	assert_int_equal(access(p, F_OK), -1);
	/* one mount only in its namespace */
	snprintf(p, sizeof(p), "/proc/%d/mountinfo", pid);
	FILE *mi = fopen(p, "re");
	assert_non_null(mi);
	int lines = 0;
	char line[1024];
	while (fgets(line, sizeof(line), mi))
		lines++;
	fclose(mi);
	assert_int_equal(lines, 1);
	/* and it serves: read a file through a donated fd, bind mount is RO */
	assert_int_equal(gofer_walk(c, root, "file.txt", &f, &st), 0);
	int fd = -1;
	assert_int_equal(gofer_open(c, f, O_RDONLY, &fd), 0);
	char buf[32];
	read_fd(fd, buf, sizeof(buf));
	close(fd);
	assert_string_equal(buf, "hello gofer\n");
	assert_int_equal(gofer_create(c, root, "made", O_RDWR, 0644, 0, 0, &f, &st, &fd), 0);
	close(fd);
	uint64_t ro;
	assert_int_equal(gofer_attach(c, "/data/ro", &ro, &st), 0);
	assert_int_equal(gofer_mkdir(c, ro, "x", 0755, 0, 0, &st), -EROFS);
	struct gofer_dirent ents[16];
	assert_true(gofer_readdir(c, root, 0, ents, 16) >= 5);
	gofer_client_free(c);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("visor gofer status %#x", status);
	remove_tree();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_walk_open_reads_through_donated_fd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_unknown_mount_is_enoent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_missing_and_through_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_dotdot_dot_and_slash_are_rejected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_walk_symlink_returns_the_link_not_its_target,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_directory_is_eisdir_even_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_write_and_owner_from_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_open_trunc_and_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_symlink_mknod_set_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_unlink_rename, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_of_replaced_name_is_estale, setup, teardown),
		cmocka_unit_test_setup_teardown(test_link_then_unlink_of_the_walked_name_still_opens,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_learnt_by_another_fid_serves_all, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_rename_moves_a_learnt_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renames_among_many_files_move_their_own_names,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_links_keep_the_newest_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_name_swapped_for_a_fifo_is_not_opened, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_readdir_spans_several_replies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_setattr_chmod_chown_truncate_utimes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_statfs_matches_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_mount_gives_erofs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_root_flag_gives_erofs, setup_ro_root,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_mount_reopens_through_parent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_async_clunks_end_their_fids_before_the_next_request,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_clunked_and_unknown_fids_are_ebadf, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fid_table_limit_is_emfile, setup_small_table,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_truncated_headers_get_einval, setup_raw,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_lengths_flags_and_types, setup_raw,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_cpu_hints, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_names_in_one_directory_share_its_fd, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_gofer_follows_the_waiting_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gofer_follows_the_waiting_client, setup_jailed,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_strings_and_fids, setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_client_fds_are_closed_not_kept,
						setup_raw, teardown),
		cmocka_unit_test(test_hostile_server_replies_give_eio_without_leaks),
		cmocka_unit_test(test_dead_connection_stays_dead),
		cmocka_unit_test_setup_teardown(test_fuzzed_requests_always_get_a_reply_and_stay_inside,
						setup_raw_quiet, teardown),
		cmocka_unit_test(test_fuzzed_replies_never_crash_or_leak_in_client),
		cmocka_unit_test_setup_teardown(test_decoder_accepts_every_well_formed_request,
						setup_raw, teardown),
		decoder_rejection_test(test_decoder_truncated_fid_is_einval, "fd", cut_inside),
		decoder_rejection_test(test_decoder_truncated_le32_is_einval, "w", cut_inside),
		decoder_rejection_test(test_decoder_truncated_le64_is_einval, "q", cut_inside),
		decoder_rejection_test(test_decoder_truncated_string_length_is_einval, "s",
				       cut_inside),
		decoder_rejection_test(test_decoder_string_past_the_end_is_einval, "s",
				       string_past_end),
		decoder_rejection_test(test_decoder_extra_bytes_are_einval, "", extra_bytes),
		cmocka_unit_test_setup_teardown(test_decoder_unknown_op_is_eopnotsupp,
						setup_raw_quiet, teardown),
		decoder_rejection_test(test_decoder_bad_fids_are_ebadf_and_enotdir, "fd", bad_fid),
		cmocka_unit_test_setup_teardown(test_decoder_reports_the_first_error_in_check_order,
						setup_raw, teardown),
		cmocka_unit_test_setup_teardown(test_decoder_xattr_sizes_names_and_flags, setup_raw,
						teardown),
		cmocka_unit_test_setup_teardown(test_decoder_rejections_are_logged,
						setup_raw_logged, teardown),
		cmocka_unit_test(test_seccomp_kills_on_forbidden_syscalls),
		cmocka_unit_test_setup_teardown(test_jailed_server_serves_every_operation,
						setup_jailed, teardown),
		cmocka_unit_test_setup_teardown(test_jailed_server_survives_garbage, setup_jailed_raw,
						teardown),
		cmocka_unit_test(test_visor_gofer_binary_is_jailed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
