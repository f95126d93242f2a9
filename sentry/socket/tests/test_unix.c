/* Unit tests for the socket layer (sentry/socket/socket.c, scm.c) and
 * AF_UNIX (unix.c), driven through the socket syscalls (sys_socket.c) of a
 * VFS-fixture task (app addresses are Sentry pointers): each type's data
 * path, readiness, shutdown, the backlog, SCM_RIGHTS and SCM_CREDENTIALS,
 * names on tmpfs, options, the GC of in-flight sockets, and bad input. */
#include <limits.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>

#include "sentry/socket/socket.h"
#include "sentry/socket/unix.h"
#include "sentry/tests/harness.h"

static int setup(void **state)
{
	if (unix_register() < 0)
		return -1;
	return fx_setup(state);
}

static struct task *T(void **state)
{
	return ((struct fx *)*state)->t;
}

#define P(x) ((uint64_t)(uintptr_t)(x))

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5)
{
	return fx_call(sys_socket_defs, t, nr, a0, a1, a2, a3, a4, a5);
}

static int sock(struct task *t, int type)
{
	int fd = (int)sc(t, SYS_socket, AF_UNIX, type, 0, 0, 0, 0);
	assert_true(fd >= 0);
	return fd;
}

static void pair(struct task *t, int type, int sv[2])
{
	assert_int_equal(sc(t, SYS_socketpair, AF_UNIX, type, 0, P(sv), 0, 0), 0);
}

static ssize_t snd(struct task *t, int fd, const void *buf, size_t len, int flags)
{
	return sc(t, SYS_sendto, fd, P(buf), len, flags, 0, 0);
}

static ssize_t rcv(struct task *t, int fd, void *buf, size_t len, int flags)
{
	return sc(t, SYS_recvfrom, fd, P(buf), len, flags, 0, 0);
}

static int cls(struct task *t, int fd)
{
	return fdt_close(t->fdt, fd);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

static int bind_to(struct task *t, int fd, const struct sockaddr_un *a, socklen_t len)
{
	return (int)sc(t, SYS_bind, fd, P(a), len, 0, 0, 0);
}

static int connect_to(struct task *t, int fd, const struct sockaddr_un *a, socklen_t len)
{
	return (int)sc(t, SYS_connect, fd, P(a), len, 0, 0, 0);
}

static uint32_t poll_fd(struct task *t, int fd)
{
	struct file *f = fdt_get_file(t->fdt, fd);
	assert_non_null(f);
	uint32_t m = file_poll(f, NULL);
	file_put(f);
	return m;
}

/* sendmsg of "c" with one control message of len data bytes (cmsg_len as
 * given, to try bad ones). */
static ssize_t send_cmsg(struct task *t, int fd, int level, int type, const void *data,
			 size_t len, size_t cmsg_len)
{
	char cbuf[128];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec io = {.iov_base = "c", .iov_len = 1};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(len)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = level;
	c->cmsg_type = type;
	c->cmsg_len = cmsg_len;
	memcpy(CMSG_DATA(c), data, len);
	return sc(t, SYS_sendmsg, fd, P(&mh), 0, 0, 0, 0);
}

/* sendmsg with SCM_RIGHTS of n fds. */
static ssize_t send_fds(struct task *t, int fd, const int *fds, int n)
{
	return send_cmsg(t, fd, SOL_SOCKET, SCM_RIGHTS, fds, sizeof(int) * n,
			 CMSG_LEN(sizeof(int) * n));
}

/* recvmsg into a control buffer of cl bytes; the received fds into out. */
static ssize_t recv_fds(struct task *t, int fd, size_t cl, int flags, int *out, int *nout,
			int *msg_flags)
{
	char buf[16], cbuf[512];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec io = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cl ? cbuf : NULL,
			    .msg_controllen = cl};
	ssize_t r = sc(t, SYS_recvmsg, fd, P(&mh), flags, 0, 0, 0);
	*nout = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); r >= 0 && c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(out + *nout, CMSG_DATA(c), n * sizeof(int));
			*nout += n;
		}
	*msg_flags = mh.msg_flags;
	return r;
}

/* How many sockets /proc/net/unix lists (after its header line). */
static int proc_lines(struct task *t, const char *needle)
{
	size_t len;
	char *text = unix_proc_net(t, &len);
	int n = 0;
	for (char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) {
		char *end = strchr(p + 1, '\n');
		*end = 0;
		if (!needle || strstr(p + 1, needle))
			n++;
		*end = '\n';
	}
	free(text);
	return n;
}

/* ---------------------------------------------------------------- data paths */

static void test_stream_pair_moves_bytes_both_ways_then_eof(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	char buf[32];
	assert_int_equal(snd(t, sv[0], "hello", 5, 0), 5);
	assert_int_equal(snd(t, sv[0], " world", 6, 0), 6);
	int n = -1;
	struct file *f = fdt_get_file(t->fdt, sv[1]);
	assert_int_equal(file_ioctl(t, f, SIOCINQ, P(&n)), 0);
	assert_int_equal(n, 11);
	/* A stream read gathers what is queued, across sends. */
	assert_int_equal(file_read(t, f, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(file_write(t, f, "back", 4), 4);
	file_put(f);
	assert_int_equal(rcv(t, sv[0], buf, sizeof(buf), 0), 4);
	assert_int_equal(cls(t, sv[0]), 0);
	assert_int_equal(rcv(t, sv[1], buf, sizeof(buf), 0), 0);
	cls(t, sv[1]);
}

static void test_stream_peek_waitall_dontwait(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	char buf[16];
	assert_int_equal(rcv(t, sv[1], buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
	assert_int_equal(snd(t, sv[0], "abc", 3, 0), 3);
	assert_int_equal(snd(t, sv[0], "def", 3, 0), 3);
	assert_int_equal(rcv(t, sv[1], buf, 4, MSG_PEEK), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(rcv(t, sv[1], buf, 2, 0), 2);
	assert_memory_equal(buf, "ab", 2);
	/* MSG_WAITALL with everything already there: all of it at once. */
	assert_int_equal(rcv(t, sv[1], buf, 4, MSG_WAITALL), 4);
	assert_memory_equal(buf, "cdef", 4);
	/* MSG_WAITALL cut short by EOF returns what came. */
	assert_int_equal(snd(t, sv[0], "gh", 2, 0), 2);
	assert_int_equal(sc(t, SYS_shutdown, sv[0], SHUT_WR, 0, 0, 0, 0), 0);
	assert_int_equal(rcv(t, sv[1], buf, 10, MSG_WAITALL), 2);
	cls(t, sv[0]);
	cls(t, sv[1]);
}

static void test_dgram_keeps_boundaries_and_truncates(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_DGRAM, sv);
	char buf[16];
	assert_int_equal(snd(t, sv[0], "one", 3, 0), 3);
	assert_int_equal(snd(t, sv[0], "", 0, 0), 0); /* an empty datagram is a datagram */
	assert_int_equal(snd(t, sv[0], "three!", 6, 0), 6);
	int n = 0;
	struct file *f = fdt_get_file(t->fdt, sv[1]);
	assert_int_equal(file_ioctl(t, f, SIOCINQ, P(&n)), 0);
	assert_int_equal(n, 3); /* the next datagram's size */
	file_put(f);
	assert_int_equal(rcv(t, sv[1], buf, sizeof(buf), 0), 3);
	assert_int_equal(rcv(t, sv[1], buf, sizeof(buf), 0), 0);
	/* Shorter buffer: the rest is lost; MSG_TRUNC returns the real size. */
	struct iovec io = {.iov_base = buf, .iov_len = 2};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	assert_int_equal(sc(t, SYS_recvmsg, sv[1], P(&mh), MSG_TRUNC, 0, 0, 0), 6);
	assert_true(mh.msg_flags & MSG_TRUNC);
	assert_memory_equal(buf, "th", 2);
	assert_int_equal(rcv(t, sv[1], buf, sizeof(buf), MSG_DONTWAIT), -EAGAIN);
	/* Too big for the send buffer. */
	int small = 1024;
	assert_int_equal(sc(t, SYS_setsockopt, sv[0], SOL_SOCKET, SO_SNDBUF, P(&small), 4, 0), 0);
	char big[8192] = {0};
	assert_int_equal(snd(t, sv[0], big, sizeof(big), 0), -EMSGSIZE);
	cls(t, sv[0]);
	cls(t, sv[1]);
}

static void test_seqpacket_records_and_eof(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_SEQPACKET, sv);
	char buf[16];
	assert_int_equal(snd(t, sv[0], "rec1", 4, 0), 4);
	assert_int_equal(snd(t, sv[0], "record2", 7, 0), 7);
	assert_int_equal(rcv(t, sv[1], buf, 2, 0), 2); /* the rest of rec1 is dropped */
	assert_int_equal(rcv(t, sv[1], buf, sizeof(buf), 0), 7);
	assert_memory_equal(buf, "record2", 7);
	cls(t, sv[0]);
	/* The peer is gone: EOF (also nonblocking), and sending is EPIPE with
	 * no SIGPIPE, as Linux's SOCK_SEQPACKET. */
	assert_int_equal(rcv(t, sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	test_last_signal = 0;
	assert_int_equal(snd(t, sv[1], "x", 1, 0), -EPIPE);
	assert_int_equal(test_last_signal, 0);
	/* Unconnected: ENOTCONN both ways. */
	int s = sock(t, SOCK_SEQPACKET);
	assert_int_equal(snd(t, s, "x", 1, 0), -ENOTCONN);
	assert_int_equal(rcv(t, s, buf, 1, 0), -ENOTCONN);
	cls(t, s);
	cls(t, sv[1]);
}

static void test_readv_writev_and_sendfile_on_sockets(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
	assert_int_equal(fx_call(sys_rw_defs, t, SYS_writev, sv[0], P(iov), 2, 0, 0, 0), 5);
	assert_int_equal(fx_write_file(t, "/f", "filedata", 0644), 0);
	int in = (int)fx_call(sys_fd_defs, t, SYS_open, P("/f"), O_RDONLY, 0, 0, 0, 0);
	assert_true(in >= 0);
	assert_int_equal(fx_call(sys_rw_defs, t, SYS_sendfile, sv[0], in, 0, 100, 0, 0), 8);
	char a[3], b[20];
	struct iovec riov[2] = {{a, 3}, {b, 20}};
	assert_int_equal(fx_call(sys_rw_defs, t, SYS_readv, sv[1], P(riov), 2, 0, 0, 0), 13);
	assert_memory_equal(a, "abc", 3);
	assert_memory_equal(b, "defiledata", 10);
	cls(t, in);
	cls(t, sv[0]);
	cls(t, sv[1]);
}

/* ---------------------------------------------------------------- names */

static void test_path_bind_makes_a_socket_node_and_unlink_keeps_the_binding(void **state)
{
	struct task *t = T(state);
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "/srv.sock");
	int l = sock(t, SOCK_STREAM);
	assert_int_equal(bind_to(t, l, &a, len), 0);
	struct stat st;
	assert_int_equal(vfs_statat(t, AT_FDCWD, "/srv.sock", 0, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	/* The name is taken; a bound socket cannot bind again. */
	int other = sock(t, SOCK_STREAM);
	assert_int_equal(bind_to(t, other, &a, len), -EADDRINUSE);
	struct sockaddr_un a2;
	socklen_t len2 = path_addr(&a2, "/second.sock");
	assert_int_equal(bind_to(t, l, &a2, len2), -EINVAL);
	assert_int_equal(vfs_statat(t, AT_FDCWD, "/second.sock", 0, &st), -ENOENT);
	/* Connect before listen: refused. */
	int c = sock(t, SOCK_STREAM);
	assert_int_equal(connect_to(t, c, &a, len), -ECONNREFUSED);
	assert_int_equal(sc(t, SYS_listen, l, 5, 0, 0, 0, 0), 0);
	assert_int_equal(connect_to(t, c, &a, len), 0);
	assert_int_equal(connect_to(t, c, &a, len), -EISCONN);
	struct sockaddr_un got;
	socklen_t glen = sizeof(got);
	assert_int_equal(sc(t, SYS_getpeername, c, P(&got), P(&glen), 0, 0, 0), 0);
	assert_int_equal(glen, len);
	assert_string_equal(got.sun_path, "/srv.sock");
	int s = (int)sc(t, SYS_accept, l, P(&got), P(&glen), 0, 0, 0);
	assert_true(s >= 0);
	assert_int_equal(glen, offsetof(struct sockaddr_un, sun_path)); /* unbound client */
	glen = sizeof(got);
	assert_int_equal(sc(t, SYS_getsockname, s, P(&got), P(&glen), 0, 0, 0), 0);
	assert_int_equal(glen, len); /* the accepted socket has the listener's name */
	/* Unlinking the node does not unbind: the name is free for someone else,
	 * the listener keeps its connections. */
	assert_int_equal(vfs_unlinkat(t, AT_FDCWD, "/srv.sock"), 0);
	int c2 = sock(t, SOCK_STREAM);
	assert_int_equal(connect_to(t, c2, &a, len), -ENOENT);
	assert_int_equal(bind_to(t, other, &a, len), 0);
	assert_int_equal(snd(t, c, "ok", 2, 0), 2);
	char buf[4];
	assert_int_equal(rcv(t, s, buf, sizeof(buf), 0), 2);
	assert_int_equal(proc_lines(t, " /srv.sock"), 3); /* listener, other, accepted */
	for (int fd = 0; fd < 16; fd++)
		cls(t, fd);
}

static void test_connect_to_a_node_nobody_bound_is_refused(void **state)
{
	struct task *t = T(state);
	struct sockaddr_un a;
	int c = sock(t, SOCK_STREAM);
	/* A socket node left over (or a host socket): ECONNREFUSED. */
	assert_int_equal(vfs_mknodat(t, AT_FDCWD, "/stale", S_IFSOCK | 0777, 0), 0);
	assert_int_equal(connect_to(t, c, &a, path_addr(&a, "/stale")), -ECONNREFUSED);
	/* Not a socket at all, or nothing. */
	assert_int_equal(fx_write_file(t, "/reg", "x", 0644), 0);
	assert_int_equal(connect_to(t, c, &a, path_addr(&a, "/reg")), -ECONNREFUSED);
	assert_int_equal(connect_to(t, c, &a, path_addr(&a, "/none")), -ENOENT);
	/* Opening a socket node is ENXIO, as Linux. */
	struct file *f;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/stale", O_RDWR, 0, &f), -ENXIO);
	/* Another type's socket: EPROTOTYPE. */
	int d = sock(t, SOCK_DGRAM);
	socklen_t len = path_addr(&a, "/dg");
	assert_int_equal(bind_to(t, d, &a, len), 0);
	assert_int_equal(connect_to(t, c, &a, len), -EPROTOTYPE);
	/* A connect needs write permission on the node. */
	struct task *u = fx_task(&((struct fx *)*state)->root, 1000, 1000);
	int uc = sock(u, SOCK_DGRAM);
	assert_int_equal(vfs_chmodat(t, AT_FDCWD, "/dg", 0555, 0), 0);
	assert_int_equal(connect_to(u, uc, &a, len), -EACCES);
	cls(u, uc);
	fx_task_free(u);
	cls(t, c);
	cls(t, d);
}

static void test_abstract_names_and_autobind(void **state)
{
	struct task *t = T(state);
	struct sockaddr_un a, got;
	socklen_t len = abstract_addr(&a, "abs");
	int d1 = sock(t, SOCK_DGRAM), d2 = sock(t, SOCK_DGRAM), st = sock(t, SOCK_STREAM);
	assert_int_equal(bind_to(t, d1, &a, len), 0);
	assert_int_equal(bind_to(t, d2, &a, len), -EADDRINUSE);
	assert_int_equal(bind_to(t, st, &a, len), 0); /* one namespace per type */
	socklen_t glen = sizeof(got);
	assert_int_equal(sc(t, SYS_getsockname, d1, P(&got), P(&glen), 0, 0, 0), 0);
	assert_int_equal(glen, len);
	assert_memory_equal(got.sun_path, "\0abs", 4);
	/* bind with only the family: an autobind name, "\0" and 5 hex digits. */
	struct sockaddr_un fam = {.sun_family = AF_UNIX};
	assert_int_equal(bind_to(t, d2, &fam, sizeof(sa_family_t)), 0);
	glen = sizeof(got);
	assert_int_equal(sc(t, SYS_getsockname, d2, P(&got), P(&glen), 0, 0, 0), 0);
	assert_int_equal(glen, offsetof(struct sockaddr_un, sun_path) + 6);
	assert_int_equal(got.sun_path[0], 0);
	for (int i = 1; i < 6; i++)
		assert_non_null(strchr("0123456789abcdef", got.sun_path[i]));
	/* The sender's name reaches recvfrom. */
	assert_int_equal(sc(t, SYS_sendto, d2, P("hi"), 2, 0, P(&a), len), 2);
	char buf[4];
	glen = sizeof(a);
	struct sockaddr_un from;
	assert_int_equal(sc(t, SYS_recvfrom, d1, P(buf), 4, 0, P(&from), P(&glen)), 2);
	assert_int_equal(glen, offsetof(struct sockaddr_un, sun_path) + 6);
	assert_memory_equal(from.sun_path, got.sun_path, 6);
	/* SO_PASSCRED autobinds an unbound datagram socket that sends. */
	int d3 = sock(t, SOCK_DGRAM), one = 1;
	assert_int_equal(sc(t, SYS_setsockopt, d3, SOL_SOCKET, SO_PASSCRED, P(&one), 4, 0), 0);
	assert_int_equal(sc(t, SYS_sendto, d3, P("x"), 1, 0, P(&a), len), 1);
	glen = sizeof(got);
	assert_int_equal(sc(t, SYS_getsockname, d3, P(&got), P(&glen), 0, 0, 0), 0);
	assert_int_equal(glen, offsetof(struct sockaddr_un, sun_path) + 6);
	/* Unbound: just the family. */
	int u = sock(t, SOCK_STREAM);
	glen = sizeof(got);
	assert_int_equal(sc(t, SYS_getsockname, u, P(&got), P(&glen), 0, 0, 0), 0);
	assert_int_equal(glen, sizeof(sa_family_t));
	assert_int_equal(sc(t, SYS_getpeername, u, P(&got), P(&glen), 0, 0, 0), -ENOTCONN);
	for (int fd = 0; fd < 16; fd++)
		cls(t, fd);
}

/* ---------------------------------------------------------------- connections */

static void test_backlog_full_is_eagain_when_nonblocking(void **state)
{
	struct task *t = T(state);
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "backlog");
	int l = sock(t, SOCK_STREAM);
	assert_int_equal(bind_to(t, l, &a, len), 0);
	assert_int_equal(sc(t, SYS_listen, l, 1, 0, 0, 0, 0), 0);
	int optv = 0, ol = 4;
	assert_int_equal(sc(t, SYS_getsockopt, l, SOL_SOCKET, SO_ACCEPTCONN, P(&optv), P(&ol), 0), 0);
	assert_int_equal(optv, 1);
	/* As Linux, a backlog of n holds n + 1 pending connections. */
	int c[3];
	for (int i = 0; i < 3; i++)
		c[i] = (int)sc(t, SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, 0, 0, 0);
	assert_int_equal(connect_to(t, c[0], &a, len), 0);
	assert_int_equal(connect_to(t, c[1], &a, len), 0);
	assert_int_equal(connect_to(t, c[2], &a, len), -EAGAIN);
	assert_true(poll_fd(t, l) & POLLIN);
	assert_false(poll_fd(t, l) & POLLOUT);
	int s = (int)sc(t, SYS_accept4, l, 0, 0, SOCK_NONBLOCK | SOCK_CLOEXEC, 0, 0);
	assert_true(s >= 0);
	assert_int_equal(fdt_get_flags(t->fdt, s), FD_CLOEXEC);
	assert_int_equal(connect_to(t, c[2], &a, len), 0);
	assert_int_equal(sc(t, SYS_accept4, l, 0, 0, 0x1234, 0, 0), -EINVAL);
	/* Closing the listener resets the connections it never accepted. */
	cls(t, l);
	char buf[4];
	assert_int_equal(rcv(t, c[1], buf, 4, 0), -ECONNRESET);
	assert_int_equal(rcv(t, c[1], buf, 4, 0), 0);
	assert_true(poll_fd(t, c[2]) & POLLHUP);
	/* The accepted one still works. */
	assert_int_equal(snd(t, s, "yo", 2, 0), 2);
	assert_int_equal(rcv(t, c[0], buf, 4, 0), 2);
	for (int fd = 0; fd < 16; fd++)
		cls(t, fd);
}

struct thread_arg {
	struct task *t;
	int fd;
	struct sockaddr_un a;
	socklen_t len;
	int64_t result;
	int delay_ms;
};

static void *connector(void *arg)
{
	struct thread_arg *x = arg;
	usleep(x->delay_ms * 1000);
	x->result = connect_to(x->t, x->fd, &x->a, x->len);
	return NULL;
}

static void test_blocking_accept_is_woken_by_connect(void **state)
{
	struct task *t = T(state);
	struct thread_arg x = {.delay_ms = 50};
	x.len = abstract_addr(&x.a, "acc");
	int l = sock(t, SOCK_SEQPACKET);
	assert_int_equal(bind_to(t, l, &x.a, x.len), 0);
	assert_int_equal(sc(t, SYS_listen, l, 0, 0, 0, 0, 0), 0);
	x.t = fx_task(&((struct fx *)*state)->root, 0, 0);
	x.fd = sock(x.t, SOCK_SEQPACKET);
	pthread_t th;
	pthread_create(&th, NULL, connector, &x);
	int s = (int)sc(t, SYS_accept, l, 0, 0, 0, 0, 0);
	pthread_join(th, NULL);
	assert_true(s >= 0);
	assert_int_equal(x.result, 0);
	assert_int_equal(snd(x.t, x.fd, "pkt", 3, 0), 3);
	char buf[8];
	assert_int_equal(rcv(t, s, buf, 8, 0), 3);
	cls(x.t, x.fd);
	fx_task_free(x.t);
	cls(t, s);
	cls(t, l);
}

static void test_connect_blocks_on_full_backlog_until_accept(void **state)
{
	struct task *t = T(state);
	struct thread_arg x = {.delay_ms = 0};
	x.len = abstract_addr(&x.a, "full");
	int l = sock(t, SOCK_STREAM);
	assert_int_equal(bind_to(t, l, &x.a, x.len), 0);
	assert_int_equal(sc(t, SYS_listen, l, 0, 0, 0, 0, 0), 0);
	int c0 = sock(t, SOCK_STREAM);
	assert_int_equal(connect_to(t, c0, &x.a, x.len), 0);
	x.t = fx_task(&((struct fx *)*state)->root, 0, 0);
	x.fd = sock(x.t, SOCK_STREAM);
	x.result = 1;
	pthread_t th;
	pthread_create(&th, NULL, connector, &x);
	usleep(50000);
	assert_int_equal(x.result, 1); /* still waiting for room */
	int s = (int)sc(t, SYS_accept, l, 0, 0, 0, 0, 0);
	assert_true(s >= 0);
	pthread_join(th, NULL);
	assert_int_equal(x.result, 0);
	cls(x.t, x.fd);
	fx_task_free(x.t);
	for (int fd = 0; fd < 16; fd++)
		cls(t, fd);
}

/* ---------------------------------------------------------------- SCM */

static void test_scm_rights_passes_a_pipe_and_a_socket(void **state)
{
	struct task *t = T(state);
	int sv[2], pv[2], other[2];
	pair(t, SOCK_STREAM, sv);
	assert_int_equal(fx_call(sys_fd_defs, t, SYS_pipe2, P(pv), 0, 0, 0, 0, 0), 0);
	pair(t, SOCK_DGRAM, other);
	int fds[2] = {pv[1], other[0]};
	assert_int_equal(send_fds(t, sv[0], fds, 2), 1);
	/* The sender may close its copies: the files travel. */
	cls(t, pv[1]);
	cls(t, other[0]);
	int got[8], n, mf;
	assert_int_equal(recv_fds(t, sv[1], 256, MSG_CMSG_CLOEXEC, got, &n, &mf), 1);
	assert_int_equal(n, 2);
	assert_int_equal(mf & MSG_CTRUNC, 0);
	assert_int_equal(fdt_get_flags(t->fdt, got[0]), FD_CLOEXEC);
	/* The received pipe end writes into the pipe. */
	assert_int_equal(fx_call(sys_rw_defs, t, SYS_write, got[0], P("via"), 3, 0, 0, 0), 3);
	char buf[8];
	assert_int_equal(fx_call(sys_rw_defs, t, SYS_read, pv[0], P(buf), 8, 0, 0, 0), 3);
	/* The received socket is the other end of the datagram pair. */
	assert_int_equal(snd(t, got[1], "dg", 2, 0), 2);
	assert_int_equal(rcv(t, other[1], buf, 8, 0), 2);
	for (int fd = 0; fd < 32; fd++)
		cls(t, fd);
}

static void test_scm_rights_short_control_truncates_and_closes(void **state)
{
	struct task *t = T(state);
	int sv[2], pv[2];
	pair(t, SOCK_DGRAM, sv);
	assert_int_equal(fx_call(sys_fd_defs, t, SYS_pipe2, P(pv), 0, 0, 0, 0, 0), 0);
	int fds[3] = {pv[0], pv[1], pv[1]};
	assert_int_equal(send_fds(t, sv[0], fds, 3), 1);
	cls(t, pv[1]);
	/* Room for one fd only: one installed, MSG_CTRUNC, the rest closed. */
	int got[8], n, mf;
	assert_int_equal(recv_fds(t, sv[1], CMSG_LEN(sizeof(int)), 0, got, &n, &mf), 1);
	assert_int_equal(n, 1);
	assert_true(mf & MSG_CTRUNC);
	cls(t, got[0]);
	/* The write ends went with the message: the pipe reads EOF. */
	assert_int_equal(fx_call(sys_rw_defs, t, SYS_read, pv[0], P(got), 4, 0, 0, 0), 0);
	/* No control buffer at all: MSG_CTRUNC too. */
	assert_int_equal(send_fds(t, sv[0], fds, 1), 1);
	assert_int_equal(recv_fds(t, sv[1], 0, 0, got, &n, &mf), 1);
	assert_true(mf & MSG_CTRUNC);
	/* MSG_PEEK gives copies and leaves the message. */
	assert_int_equal(send_fds(t, sv[0], fds, 1), 1);
	assert_int_equal(recv_fds(t, sv[1], 64, MSG_PEEK, got, &n, &mf), 1);
	assert_int_equal(n, 1);
	assert_int_equal(recv_fds(t, sv[1], 64, 0, got + 1, &n, &mf), 1);
	assert_int_equal(n, 1);
	assert_int_not_equal(got[0], got[1]);
	for (int fd = 0; fd < 32; fd++)
		cls(t, fd);
}

static void test_scm_credentials_and_bad_control_messages(void **state)
{
	struct task *t = T(state);
	int sv[2], one = 1;
	pair(t, SOCK_DGRAM, sv);
	struct ucred own = {.pid = t->tid, .uid = 0, .gid = 0};
	assert_int_equal(send_cmsg(t, sv[0], SOL_SOCKET, SCM_CREDENTIALS, &own, sizeof(own),
				   CMSG_LEN(sizeof(own))),
			 1);
	/* Without SO_PASSCRED the receiver sees none. */
	char buf[8], cbuf[64];
	struct iovec io = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	assert_int_equal(sc(t, SYS_recvmsg, sv[1], P(&mh), 0, 0, 0, 0), 1);
	assert_int_equal(mh.msg_controllen, 0);
	assert_int_equal(sc(t, SYS_setsockopt, sv[1], SOL_SOCKET, SO_PASSCRED, P(&one), 4, 0), 0);
	assert_int_equal(snd(t, sv[0], "p", 1, 0), 1);
	mh.msg_controllen = sizeof(cbuf);
	assert_int_equal(sc(t, SYS_recvmsg, sv[1], P(&mh), 0, 0, 0, 0), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, SCM_CREDENTIALS);
	struct ucred uc;
	memcpy(&uc, CMSG_DATA(c), sizeof(uc));
	assert_int_equal(uc.pid, t->tid);
	assert_int_equal(uc.uid, 0);
	/* Someone else's credentials need privilege. */
	struct task *u = fx_task(&((struct fx *)*state)->root, 1000, 1000);
	int usv[2];
	pair(u, SOCK_DGRAM, usv);
	struct ucred root = {.pid = u->tid, .uid = 0, .gid = 1000};
	assert_int_equal(send_cmsg(u, usv[0], SOL_SOCKET, SCM_CREDENTIALS, &root, sizeof(root),
				   CMSG_LEN(sizeof(root))),
			 -EPERM);
	cls(u, usv[0]);
	cls(u, usv[1]);
	fx_task_free(u);
	/* Bad control data: lengths, types, descriptors. */
	int bad = 999;
	assert_int_equal(send_cmsg(t, sv[0], SOL_SOCKET, SCM_RIGHTS, &bad, 4, CMSG_LEN(4)), -EBADF);
	assert_int_equal(send_cmsg(t, sv[0], SOL_SOCKET, SCM_RIGHTS, &bad, 4, 8), -EINVAL);
	assert_int_equal(send_cmsg(t, sv[0], SOL_SOCKET, SCM_RIGHTS, &bad, 4, 4096), -EINVAL);
	assert_int_equal(send_cmsg(t, sv[0], SOL_SOCKET, 77, &bad, 4, CMSG_LEN(4)), -EINVAL);
	assert_int_equal(send_cmsg(t, sv[0], SOL_SOCKET, SCM_CREDENTIALS, &own, 8, CMSG_LEN(8)),
			 -EINVAL);
	/* Other levels are ignored, as Linux. */
	assert_int_equal(send_cmsg(t, sv[0], 6, 1, &bad, 4, CMSG_LEN(4)), 1);
	/* An oversized control buffer. */
	struct msghdr big = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = (size_t)1 << 40};
	assert_int_equal(sc(t, SYS_sendmsg, sv[0], P(&big), 0, 0, 0, 0), -ENOBUFS);
	cls(t, sv[0]);
	cls(t, sv[1]);
}

static void test_peercred_is_taken_at_connect_and_socketpair(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	struct ucred uc;
	int len = sizeof(uc);
	assert_int_equal(sc(t, SYS_getsockopt, sv[0], SOL_SOCKET, SO_PEERCRED, P(&uc), P(&len), 0), 0);
	assert_int_equal(len, sizeof(uc));
	assert_int_equal(uc.pid, t->tid);
	assert_int_equal(uc.uid, 0);
	/* Unconnected: pid 0, ids -1. */
	int s = sock(t, SOCK_STREAM);
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_PEERCRED, P(&uc), P(&len), 0), 0);
	assert_int_equal(uc.pid, 0);
	assert_int_equal(uc.uid, (uid_t)-1);
	/* A client sees the listener's credentials, the server the client's. */
	struct sockaddr_un a;
	socklen_t alen = abstract_addr(&a, "cred");
	assert_int_equal(bind_to(t, s, &a, alen), 0);
	assert_int_equal(sc(t, SYS_listen, s, 4, 0, 0, 0, 0), 0);
	struct task *u = fx_task(&((struct fx *)*state)->root, 1000, 1001);
	u->tid = 77;
	int c = sock(u, SOCK_STREAM);
	assert_int_equal(connect_to(u, c, &a, alen), 0);
	assert_int_equal(sc(u, SYS_getsockopt, c, SOL_SOCKET, SO_PEERCRED, P(&uc), P(&len), 0), 0);
	assert_int_equal(uc.uid, 0);
	int acc = (int)sc(t, SYS_accept, s, 0, 0, 0, 0, 0);
	assert_int_equal(sc(t, SYS_getsockopt, acc, SOL_SOCKET, SO_PEERCRED, P(&uc), P(&len), 0), 0);
	assert_int_equal(uc.pid, 77);
	assert_int_equal(uc.uid, 1000);
	assert_int_equal(uc.gid, 1001);
	cls(u, c);
	fx_task_free(u);
	for (int fd = 0; fd < 16; fd++)
		cls(t, fd);
}

/* ---------------------------------------------------------------- readiness, shutdown */

static void test_readiness_follows_shutdown_and_close(void **state)
{
	struct task *t = T(state);
	/* A fresh stream socket: writable and hung up, as Linux. */
	int s = sock(t, SOCK_STREAM);
	assert_int_equal(poll_fd(t, s), POLLOUT | POLLWRNORM | POLLWRBAND | POLLHUP);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	assert_int_equal(poll_fd(t, sv[1]), POLLOUT | POLLWRNORM | POLLWRBAND);
	assert_int_equal(snd(t, sv[0], "x", 1, 0), 1);
	assert_true(poll_fd(t, sv[1]) & POLLIN);
	/* The peer stops writing: EPOLLRDHUP, readable (EOF), not yet HUP. */
	assert_int_equal(sc(t, SYS_shutdown, sv[0], SHUT_WR, 0, 0, 0, 0), 0);
	uint32_t m = poll_fd(t, sv[1]);
	assert_true(m & POLLRDHUP);
	assert_false(m & POLLHUP);
	/* Writing after one's own SHUT_WR: EPIPE and SIGPIPE, unless MSG_NOSIGNAL. */
	test_last_signal = 0;
	assert_int_equal(snd(t, sv[0], "x", 1, MSG_NOSIGNAL), -EPIPE);
	assert_int_equal(test_last_signal, 0);
	assert_int_equal(snd(t, sv[0], "x", 1, 0), -EPIPE);
	assert_int_equal(test_last_signal, SIGPIPE);
	assert_int_equal(sc(t, SYS_shutdown, sv[0], 7, 0, 0, 0, 0), -EINVAL);
	/* Closing with unread data resets the peer: POLLERR, then ECONNRESET. */
	assert_int_equal(snd(t, sv[1], "unread", 6, 0), 6);
	cls(t, sv[0]);
	m = poll_fd(t, sv[1]);
	assert_true(m & POLLERR);
	assert_true(m & POLLHUP);
	char buf[4];
	assert_int_equal(rcv(t, sv[1], buf, 4, 0), 1);
	assert_int_equal(rcv(t, sv[1], buf, 4, 0), -ECONNRESET);
	assert_int_equal(rcv(t, sv[1], buf, 4, 0), 0);
	test_last_signal = 0;
	assert_int_equal(snd(t, sv[1], "x", 1, 0), -EPIPE);
	assert_int_equal(test_last_signal, SIGPIPE);
	cls(t, sv[1]);
	cls(t, s);
}

static void test_dgram_sender_to_full_receiver_is_woken_when_it_drains(void **state)
{
	struct task *t = T(state);
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "full-dgram");
	int r = sock(t, SOCK_DGRAM);
	assert_int_equal(bind_to(t, r, &a, len), 0);
	int w = (int)sc(t, SYS_socket, AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, 0, 0, 0);
	assert_int_equal(connect_to(t, w, &a, len), 0);
	int sent = 0;
	while (snd(t, w, "d", 1, 0) == 1)
		sent++;
	assert_int_equal(sent, 11); /* max_dgram_qlen (10) + 1, as Linux */
	struct file *f = fdt_get_file(t->fdt, w);
	struct poll_entry pe;
	task_poll_entry_init(&pe, t, POLLOUT);
	assert_false(file_poll(f, &pe) & POLLOUT);
	task_wake_take(t);
	char buf[4];
	assert_int_equal(rcv(t, r, buf, 4, 0), 1);
	/* The receiver's drain reached the writer's poll registration. */
	assert_true(task_wake_take(t));
	assert_true(pe.w.triggered & POLLOUT);
	poll_entry_remove(&pe);
	assert_true(file_poll(f, NULL) & POLLOUT);
	file_put(f);
	/* The receiver going away: the connected sender is refused. */
	cls(t, r);
	assert_int_equal(snd(t, w, "d", 1, 0), -ECONNREFUSED);
	assert_int_equal(snd(t, w, "d", 1, 0), -ENOTCONN);
	cls(t, w);
}

struct reader_arg {
	struct task *t;
	int fd;
	size_t total;
};

static void *slow_reader(void *arg)
{
	struct reader_arg *x = arg;
	char buf[4096];
	usleep(50000);
	for (;;) {
		ssize_t n = rcv(x->t, x->fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		x->total += n;
	}
	return NULL;
}

static void test_send_buffer_blocks_the_writer_until_the_reader_drains(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	/* Nonblocking: the send buffer fills, then EAGAIN. */
	size_t total = 0;
	static char chunk[65536];
	for (;;) {
		ssize_t n = snd(t, sv[0], chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n == -EAGAIN)
			break;
		assert_true(n > 0);
		total += n;
	}
	assert_int_equal(total, 233152); /* what Linux takes with the default SO_SNDBUF */
	int outq = 0;
	struct file *f = fdt_get_file(t->fdt, sv[0]);
	assert_int_equal(file_ioctl(t, f, SIOCOUTQ, P(&outq)), 0);
	assert_true(outq >= SOCK_WMEM_DEFAULT);
	assert_false(file_poll(f, NULL) & POLLOUT);
	file_put(f);
	/* Blocking: the writer sleeps until a reader makes room. */
	struct reader_arg x = {.t = fx_task(&((struct fx *)*state)->root, 0, 0), .fd = sv[1]};
	fdt_put(x.t->fdt);
	x.t->fdt = t->fdt;
	fdt_get(t->fdt);
	pthread_t th;
	pthread_create(&th, NULL, slow_reader, &x);
	static char big[1 << 20];
	assert_int_equal(snd(t, sv[0], big, sizeof(big), 0), sizeof(big));
	assert_int_equal(sc(t, SYS_shutdown, sv[0], SHUT_WR, 0, 0, 0, 0), 0);
	pthread_join(th, NULL);
	assert_int_equal(x.total, total + sizeof(big));
	fx_task_free(x.t);
	cls(t, sv[0]);
	cls(t, sv[1]);
}

static void test_timeouts_and_signals(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	char buf[4];
	/* A signal during a wait without a timeout restarts (SA_RESTART
	 * decides); with SO_RCVTIMEO it is EINTR, as Linux's sock_intr_errno. */
	atomic_store(&t->interrupted, 1);
	assert_int_equal(rcv(t, sv[1], buf, 4, 0), -ERESTARTSYS);
	struct timeval tv = {.tv_sec = 0, .tv_usec = 100000};
	assert_int_equal(sc(t, SYS_setsockopt, sv[1], SOL_SOCKET, SO_RCVTIMEO, P(&tv), sizeof(tv), 0),
			 0);
	assert_int_equal(rcv(t, sv[1], buf, 4, 0), -EINTR);
	atomic_store(&t->interrupted, 0);
	int64_t t0 = now_ns();
	assert_int_equal(rcv(t, sv[1], buf, 4, 0), -EAGAIN);
	assert_true(now_ns() - t0 >= 90 * 1000000LL);
	struct timeval got;
	int len = sizeof(got);
	assert_int_equal(sc(t, SYS_getsockopt, sv[1], SOL_SOCKET, SO_RCVTIMEO, P(&got), P(&len), 0), 0);
	assert_int_equal(got.tv_usec, 100000);
	/* A negative time means "never wait"; a bad tv_usec is EDOM. */
	tv = (struct timeval){.tv_sec = -1};
	assert_int_equal(sc(t, SYS_setsockopt, sv[1], SOL_SOCKET, SO_RCVTIMEO, P(&tv), sizeof(tv), 0),
			 0);
	t0 = now_ns();
	assert_int_equal(rcv(t, sv[1], buf, 4, 0), -EAGAIN);
	assert_true(now_ns() - t0 < 50 * 1000000LL);
	tv = (struct timeval){.tv_usec = 1000000};
	assert_int_equal(sc(t, SYS_setsockopt, sv[1], SOL_SOCKET, SO_RCVTIMEO, P(&tv), sizeof(tv), 0),
			 -EDOM);
	assert_int_equal(sc(t, SYS_setsockopt, sv[1], SOL_SOCKET, SO_RCVTIMEO, P(&tv), 8, 0), -EINVAL);
	cls(t, sv[0]);
	cls(t, sv[1]);
}

/* ---------------------------------------------------------------- options, errors */

static void test_common_options(void **state)
{
	struct task *t = T(state);
	int s = sock(t, SOCK_SEQPACKET);
	int v, len = 4;
	struct {
		int name, want;
	} reads[] = {{SO_TYPE, SOCK_SEQPACKET}, {SO_DOMAIN, AF_UNIX},    {SO_PROTOCOL, 0},
		     {SO_ERROR, 0},             {SO_ACCEPTCONN, 0},      {SO_SNDBUF, 212992},
		     {SO_RCVBUF, 212992},       {SO_REUSEADDR, 0},       {SO_KEEPALIVE, 0},
		     {SO_PASSCRED, 0},          {SO_SNDLOWAT, 1},        {SO_RCVLOWAT, 1}};
	for (size_t i = 0; i < sizeof(reads) / sizeof(reads[0]); i++) {
		len = 4;
		assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, reads[i].name, P(&v), P(&len), 0),
				 0);
		assert_int_equal(v, reads[i].want);
	}
	/* Buffers are doubled, with Linux's floor and ceiling. */
	v = 5000;
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_SNDBUF, P(&v), 4, 0), 0);
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_SNDBUF, P(&v), P(&len), 0), 0);
	assert_int_equal(v, 10000);
	v = 1;
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_SNDBUF, P(&v), 4, 0), 0);
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_SNDBUF, P(&v), P(&len), 0), 0);
	assert_int_equal(v, SOCK_MIN_SNDBUF);
	v = INT_MAX;
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_RCVBUF, P(&v), 4, 0), 0);
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_RCVBUF, P(&v), P(&len), 0), 0);
	assert_int_equal(v, 2 * SOCK_RMEM_MAX);
	v = 1;
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_KEEPALIVE, P(&v), 4, 0), 0);
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_REUSEADDR, P(&v), 4, 0), 0);
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_BROADCAST, P(&v), 4, 0), 0);
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_REUSEPORT, P(&v), 4, 0), -EOPNOTSUPP);
	struct linger lg = {1, 7};
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_LINGER, P(&lg), sizeof(lg), 0), 0);
	len = sizeof(lg);
	memset(&lg, 0, sizeof(lg));
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_LINGER, P(&lg), P(&len), 0), 0);
	assert_int_equal(lg.l_onoff, 1);
	assert_int_equal(lg.l_linger, 7);
	/* A short buffer gets a truncated value. */
	len = 1;
	v = 0;
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_TYPE, P(&v), P(&len), 0), 0);
	assert_int_equal(len, 1);
	assert_int_equal(v, SOCK_SEQPACKET);
	cls(t, s);
}

static void test_bad_options_and_levels(void **state)
{
	struct task *t = T(state);
	int s = sock(t, SOCK_STREAM), v = 1, len = 4;
	uint64_t before = syscall_unsupported_sockopt_count(SOL_SOCKET, 9999);
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, 9999, P(&v), 4, 0), -ENOPROTOOPT);
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, 9999, P(&v), P(&len), 0), -ENOPROTOOPT);
	assert_int_equal(syscall_unsupported_sockopt_count(SOL_SOCKET, 9999), before + 2);
	/* Read-only options are Linux's own ENOPROTOOPT, not counted. */
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_TYPE, P(&v), 4, 0), -ENOPROTOOPT);
	assert_int_equal(syscall_unsupported_sockopt_count(SOL_SOCKET, SO_TYPE), 0);
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, 9999, P(&v), 2, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_KEEPALIVE, P(&v), -1, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_KEEPALIVE, 0, 4, 0), -EFAULT);
	/* AF_UNIX has no options of other levels. */
	assert_int_equal(sc(t, SYS_setsockopt, s, IPPROTO_TCP, 1, P(&v), 4, 0), -EOPNOTSUPP);
	assert_int_equal(sc(t, SYS_getsockopt, s, IPPROTO_TCP, 1, P(&v), 0, 0), -EOPNOTSUPP);
	len = -1;
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_TYPE, P(&v), P(&len), 0), -EINVAL);
	assert_int_equal(sc(t, SYS_getsockopt, s, SOL_SOCKET, SO_TYPE, P(&v), 0, 0), -EFAULT);
	cls(t, s);
}

static void test_bad_descriptors_addresses_and_lengths(void **state)
{
	struct task *t = T(state);
	int pv[2];
	assert_int_equal(fx_call(sys_fd_defs, t, SYS_pipe2, P(pv), 0, 0, 0, 0, 0), 0);
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "x");
	assert_int_equal(sc(t, SYS_bind, 99, P(&a), len, 0, 0, 0), -EBADF);
	assert_int_equal(sc(t, SYS_bind, pv[0], P(&a), len, 0, 0, 0), -ENOTSOCK);
	/* connect copies the address before it looks at the file's type. */
	assert_int_equal(sc(t, SYS_connect, pv[0], 0, len, 0, 0, 0), -EFAULT);
	assert_int_equal(sc(t, SYS_connect, pv[0], P(&a), len, 0, 0, 0), -ENOTSOCK);
	assert_int_equal(sc(t, SYS_listen, pv[0], 1, 0, 0, 0, 0), -ENOTSOCK);
	assert_int_equal(sc(t, SYS_accept, 99, 0, 0, 0, 0, 0), -EBADF);
	int s = sock(t, SOCK_STREAM);
	assert_int_equal(sc(t, SYS_bind, s, P(&a), 200, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_bind, s, P(&a), (uint64_t)-1, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_bind, s, P(&a), 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_bind, s, 0, len, 0, 0, 0), -EFAULT);
	struct sockaddr_un inet = {.sun_family = AF_INET};
	assert_int_equal(sc(t, SYS_bind, s, P(&inet), len, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_listen, s, 1, 0, 0, 0, 0), -EINVAL); /* unbound */
	assert_int_equal(sc(t, SYS_accept, s, 0, 0, 0, 0, 0), -EINVAL); /* not listening */
	char buf[4];
	assert_int_equal(rcv(t, s, buf, 4, 0), -EINVAL);
	assert_int_equal(snd(t, s, "x", 1, 0), -ENOTCONN);
	assert_int_equal(sc(t, SYS_sendto, s, P("x"), 1, 0, P(&a), len), -EOPNOTSUPP);
	/* getsockname: a negative length, a bad length pointer. */
	int neg = -1;
	assert_int_equal(sc(t, SYS_getsockname, s, P(&a), P(&neg), 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_getsockname, s, P(&a), 0, 0, 0, 0), -EFAULT);
	/* Datagram and listening misuse. */
	int d = sock(t, SOCK_DGRAM);
	assert_int_equal(sc(t, SYS_listen, d, 1, 0, 0, 0, 0), -EOPNOTSUPP);
	assert_int_equal(sc(t, SYS_accept, d, 0, 0, 0, 0, 0), -EOPNOTSUPP);
	assert_int_equal(snd(t, d, "x", 1, 0), -ENOTCONN);
	assert_int_equal(snd(t, d, "x", 1, MSG_OOB), -EOPNOTSUPP);
	/* Creation: flags, types, protocols, families. */
	assert_int_equal(sc(t, SYS_socket, AF_UNIX, SOCK_STREAM | 0x40, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_socket, AF_UNIX, 7 /* SOCK_DCCP */, 0, 0, 0, 0), -ESOCKTNOSUPPORT);
	assert_int_equal(sc(t, SYS_socket, AF_UNIX, SOCK_STREAM, 5, 0, 0, 0), -EPROTONOSUPPORT);
	assert_int_equal(sc(t, SYS_socket, 1000, SOCK_STREAM, 0, 0, 0, 0), -EAFNOSUPPORT);
	assert_int_equal(sc(t, SYS_socket, AF_APPLETALK, SOCK_DGRAM, 0, 0, 0, 0), -EAFNOSUPPORT);
	assert_int_equal(sc(t, SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, 0, 0, 0), -EFAULT);
	/* sendmsg: too many iovecs, a negative length, a bad header. */
	struct iovec io = {.iov_base = buf, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1025};
	assert_int_equal(sc(t, SYS_sendmsg, d, P(&mh), 0, 0, 0, 0), -EMSGSIZE);
	io.iov_len = (size_t)-1;
	mh.msg_iovlen = 1;
	assert_int_equal(sc(t, SYS_sendmsg, d, P(&mh), 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_sendmsg, d, 0, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(sc(t, SYS_recvmsg, d, 0, 0, 0, 0, 0), -EFAULT);
	mh.msg_namelen = (socklen_t)-5;
	mh.msg_name = &a;
	assert_int_equal(sc(t, SYS_recvmsg, d, P(&mh), 0, 0, 0, 0), -EINVAL);
	for (int fd = 0; fd < 16; fd++)
		cls(t, fd);
}

static void test_mmsg_batches(void **state)
{
	struct task *t = T(state);
	int sv[2];
	pair(t, SOCK_DGRAM, sv);
	struct mmsghdr m[3];
	struct iovec io[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m[i].msg_hdr.msg_iov = &io[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	assert_int_equal(sc(t, SYS_sendmmsg, sv[0], P(m), 3, 0, 0, 0), 3);
	assert_int_equal(m[2].msg_len, 3);
	char b[3][8];
	struct iovec rio[3] = {{b[0], 8}, {b[1], 8}, {b[2], 8}};
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m[i].msg_hdr.msg_iov = &rio[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	/* MSG_WAITFORONE: after the first, what is there; then EAGAIN is quiet. */
	assert_int_equal(sc(t, SYS_recvmmsg, sv[1], P(m), 3, MSG_WAITFORONE, 0, 0), 3);
	assert_int_equal(m[1].msg_len, 2);
	assert_memory_equal(b[2], "ccc", 3);
	assert_int_equal(snd(t, sv[0], "z", 1, 0), 1);
	assert_int_equal(sc(t, SYS_recvmmsg, sv[1], P(m), 3, MSG_DONTWAIT, 0, 0), 1);
	assert_int_equal(sc(t, SYS_recvmmsg, sv[1], P(m), 3, MSG_DONTWAIT, 0, 0), -EAGAIN);
	struct timespec bad = {.tv_nsec = -1};
	assert_int_equal(sc(t, SYS_recvmmsg, sv[1], P(m), 3, 0, P(&bad), 0), -EINVAL);
	cls(t, sv[0]);
	cls(t, sv[1]);
}

/* ---------------------------------------------------------------- files, GC, /proc */

static void test_socket_files_stat_and_names(void **state)
{
	struct task *t = T(state);
	int s = (int)sc(t, SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, 0, 0, 0);
	struct file *f = fdt_get_file(t->fdt, s);
	struct stat st;
	assert_int_equal(vfs_stat_file(f, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0777);
	char want[48];
	snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)st.st_ino);
	assert_string_equal(f->anon_name, want);
	assert_true(file_get_flags(f) & O_NONBLOCK);
	assert_int_equal(fdt_get_flags(t->fdt, s), FD_CLOEXEC);
	assert_int_equal(file_lseek(f, 0, SEEK_SET), -ESPIPE);
	/* Reopening a socket through its anonymous dentry: ENXIO, as Linux. */
	struct file *re;
	assert_int_equal(vfs_open_path(t, &f->anon, O_RDWR, &re), -ENXIO);
	file_put(f);
	cls(t, s);
}

static void test_gc_frees_sockets_only_in_flight_to_themselves(void **state)
{
	struct task *t = T(state);
	int before = proc_lines(t, NULL);
	int sv[2];
	pair(t, SOCK_STREAM, sv);
	/* Each end travels in the other's queue (and in its own), then both
	 * descriptors close: nothing but the buffers holds the sockets. */
	assert_int_equal(send_fds(t, sv[0], &sv[0], 1), 1);
	assert_int_equal(send_fds(t, sv[1], &sv[0], 1), 1);
	assert_int_equal(send_fds(t, sv[0], &sv[1], 1), 1);
	assert_int_equal(unix_inflight_count(), 3);
	assert_int_equal(proc_lines(t, NULL), before + 2);
	cls(t, sv[0]);
	cls(t, sv[1]);
	assert_int_equal(unix_inflight_count(), 3);
	/* As Linux, the collection runs when a unix socket is released. */
	cls(t, sock(t, SOCK_DGRAM));
	assert_int_equal(unix_inflight_count(), 0);
	assert_int_equal(proc_lines(t, NULL), before);
	/* A socket in flight but still open elsewhere is not garbage. */
	int a[2], b[2];
	pair(t, SOCK_DGRAM, a);
	pair(t, SOCK_DGRAM, b);
	assert_int_equal(send_fds(t, a[0], &b[0], 1), 1);
	cls(t, b[0]);
	cls(t, b[1]); /* a release runs the GC */
	assert_int_equal(unix_inflight_count(), 1);
	int got[4], n, mf;
	assert_int_equal(recv_fds(t, a[1], 64, 0, got, &n, &mf), 1);
	assert_int_equal(n, 1);
	assert_int_equal(unix_inflight_count(), 0);
	for (int fd = 0; fd < 16; fd++)
		cls(t, fd);
	assert_int_equal(proc_lines(t, NULL), before);
}

static void test_proc_net_unix_format(void **state)
{
	struct task *t = T(state);
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "/listen.sock");
	int l = sock(t, SOCK_STREAM);
	assert_int_equal(bind_to(t, l, &a, len), 0);
	assert_int_equal(sc(t, SYS_listen, l, 1, 0, 0, 0, 0), 0);
	int d = sock(t, SOCK_DGRAM);
	len = offsetof(struct sockaddr_un, sun_path) + 5; /* "\0ab\0c" */
	memcpy(a.sun_path, "\0ab\0c", 5);
	assert_int_equal(bind_to(t, d, &a, len), 0);
	size_t n;
	char *text = unix_proc_net(t, &n);
	assert_int_equal(strlen(text), n);
	assert_memory_equal(text, "Num       RefCount Protocol Flags    Type St Inode Path\n", 56);
	struct file *f = fdt_get_file(t->fdt, l);
	char want[128];
	snprintf(want, sizeof(want), "00010000 0001 01 %5llu /listen.sock\n",
		 (unsigned long long)socket_from_file(f)->ino);
	file_put(f);
	assert_non_null(strstr(text, want));
	assert_non_null(strstr(text, "00000000 0002 01 ")); /* the datagram socket */
	assert_non_null(strstr(text, " @ab@c\n"));
	free(text);
	cls(t, l);
	cls(t, d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
		T_(test_stream_pair_moves_bytes_both_ways_then_eof),
		T_(test_stream_peek_waitall_dontwait),
		T_(test_dgram_keeps_boundaries_and_truncates),
		T_(test_seqpacket_records_and_eof),
		T_(test_readv_writev_and_sendfile_on_sockets),
		T_(test_path_bind_makes_a_socket_node_and_unlink_keeps_the_binding),
		T_(test_connect_to_a_node_nobody_bound_is_refused),
		T_(test_abstract_names_and_autobind),
		T_(test_backlog_full_is_eagain_when_nonblocking),
		T_(test_blocking_accept_is_woken_by_connect),
		T_(test_connect_blocks_on_full_backlog_until_accept),
		T_(test_scm_rights_passes_a_pipe_and_a_socket),
		T_(test_scm_rights_short_control_truncates_and_closes),
		T_(test_scm_credentials_and_bad_control_messages),
		T_(test_peercred_is_taken_at_connect_and_socketpair),
		T_(test_readiness_follows_shutdown_and_close),
		T_(test_dgram_sender_to_full_receiver_is_woken_when_it_drains),
		T_(test_send_buffer_blocks_the_writer_until_the_reader_drains),
		T_(test_timeouts_and_signals),
		T_(test_common_options),
		T_(test_bad_options_and_levels),
		T_(test_bad_descriptors_addresses_and_lengths),
		T_(test_mmsg_batches),
		T_(test_socket_files_stat_and_names),
		T_(test_gc_frees_sockets_only_in_flight_to_themselves),
		T_(test_proc_net_unix_format),
#undef T_
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
