/* Unit tests for the AF_INET/AF_INET6 glue (sentry/socket/inet.c,
 * inet_stack.c) on a real netstack with its service thread, driven through
 * the socket syscalls (sys_socket.c) of a VFS-fixture task (app addresses
 * are Sentry pointers): creation and its errors, blocking connect and
 * accept woken by the stack's readiness reports, data, receive timeouts,
 * signals (restart), refused connections and SO_ERROR, EPIPE and SIGPIPE,
 * poll registrations woken by the service thread. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "netstack/netstack.h"
#include "sentry/socket/inet.h"
#include "sentry/socket/socket.h"
#include "sentry/tests/harness.h"

#ifndef ERESTARTSYS
#define ERESTARTSYS 512
#endif

static int group_setup(void **state)
{
	return inet_register() < 0 || inet_stack_run() < 0 ? -1 : 0;
}

static int group_teardown(void **state)
{
	inet_stack_stop();
	return 0;
}

static int setup(void **state)
{
	atomic_store(&fake_signal_tid, -1);
	test_last_signal = 0;
	return fx_setup(state);
}

static int teardown(void **state)
{
	atomic_store(&fake_signal_tid, -1);
	return fx_teardown(state);
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

static int sock(struct task *t, int family, int type, int proto)
{
	return (int)sc(t, SYS_socket, family, type, proto, 0, 0, 0);
}

static struct sockaddr_in lo4(uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static int cls(struct task *t, int fd)
{
	return fdt_close(t->fdt, fd);
}

/* A listener on 127.0.0.1 and an ephemeral port (its address in *a). */
static int listener(struct task *t, struct sockaddr_in *a)
{
	int l = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	*a = lo4(0);
	assert_int_equal(sc(t, SYS_bind, l, P(a), sizeof(*a), 0, 0, 0), 0);
	socklen_t len = sizeof(*a);
	assert_int_equal(sc(t, SYS_getsockname, l, P(a), P(&len), 0, 0, 0), 0);
	assert_int_equal(len, sizeof(*a));
	assert_true(ntohs(a->sin_port) >= 32768);
	assert_int_equal(sc(t, SYS_listen, l, 16, 0, 0, 0, 0), 0);
	return l;
}

/* A connected pair through a listener: *c the client, *s the accepted. */
static void tcp_pair(struct task *t, int *c, int *s)
{
	struct sockaddr_in a;
	int l = listener(t, &a);
	*c = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_true(*c >= 0);
	/* Blocking: only the service thread's reports end this wait. */
	assert_int_equal(sc(t, SYS_connect, *c, P(&a), sizeof(a), 0, 0, 0), 0);
	*s = (int)sc(t, SYS_accept4, l, 0, 0, 0, 0, 0);
	assert_true(*s >= 0);
	cls(t, l);
}

static int getopt_int(struct task *t, int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);
	int64_t r = sc(t, SYS_getsockopt, fd, level, name, P(&v), P(&len), 0);
	return r < 0 ? (int)r : v;
}

static void test_inet_stack_has_loopback(void **state)
{
	struct ns_stack *s = inet_stack();
	assert_non_null(s);
	struct ns_nic_info *nics = NULL;
	int n = ns_stack_nics(s, &nics);
	assert_int_equal(n, 1);
	assert_string_equal(nics[0].name, "lo");
	free(nics);
	struct ns_addr_info *addrs = NULL;
	n = ns_stack_addrs(s, &addrs);
	assert_int_equal(n, 2); /* 127.0.0.1/8 and ::1/128 */
	free(addrs);
}

static void test_socket_kinds_and_protocols(void **state)
{
	struct task *t = T(state);
	int a = sock(t, AF_INET, SOCK_STREAM, 0);
	int b = sock(t, AF_INET6, SOCK_DGRAM, 0);
	int c = sock(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_true(a >= 0 && b >= 0 && c >= 0);
	assert_int_equal(getopt_int(t, a, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	assert_int_equal(getopt_int(t, b, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
	assert_int_equal(getopt_int(t, b, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	assert_int_equal(getopt_int(t, c, SOL_SOCKET, SO_PROTOCOL), IPPROTO_ICMP);
	assert_int_equal(getopt_int(t, a, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	/* Socket inode numbers are never small, as Linux's (netstat -p). */
	struct file *f = fdt_get_file(t->fdt, a);
	assert_non_null(f);
	assert_true(socket_from_file(f)->ino >= 10000);
	file_put(f);
	assert_int_equal(sock(t, AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT);
	assert_int_equal(sock(t, AF_INET, SOCK_SEQPACKET, 0), -ESOCKTNOSUPPORT);
	assert_int_equal(sock(t, AF_INET, SOCK_STREAM, -1), -EINVAL);
	/* Raw sockets: root (CAP_NET_RAW) gets EPROTONOSUPPORT, others EPERM. */
	assert_int_equal(sock(t, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EPROTONOSUPPORT);
	struct fx *fx = *state;
	struct task *u = fx_task(&fx->root, 1000, 1000);
	assert_int_equal(sock(u, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EPERM);
	fx_task_free(u);
	cls(t, a);
	cls(t, b);
	cls(t, c);
}

static void test_blocking_connect_accept_and_data(void **state)
{
	struct task *t = T(state);
	int c, s;
	tcp_pair(t, &c, &s);
	assert_int_equal(sc(t, SYS_sendto, c, P("hello"), 5, 0, 0, 0), 5);
	char buf[16] = {0};
	/* Blocking receive: the data may still be on its way. */
	assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), 0, 0, 0), 5);
	assert_string_equal(buf, "hello");
	struct sockaddr_in pa, ca;
	socklen_t pl = sizeof(pa), cl = sizeof(ca);
	assert_int_equal(sc(t, SYS_getpeername, s, P(&pa), P(&pl), 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_getsockname, c, P(&ca), P(&cl), 0, 0, 0), 0);
	assert_int_equal(pa.sin_port, ca.sin_port);
	assert_int_equal(pa.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* FIONREAD once the bytes are there. */
	assert_int_equal(sc(t, SYS_sendto, s, P("abc"), 3, 0, 0, 0), 3);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), 1, MSG_PEEK, 0, 0), 1);
	int inq = -1;
	struct file *f = fdt_get_file(t->fdt, c);
	assert_non_null(f);
	assert_int_equal(file_ioctl(t, f, SIOCINQ, P(&inq)), 0);
	file_put(f);
	assert_int_equal(inq, 3);
	/* MSG_WAITALL waits for the second part. */
	assert_int_equal(sc(t, SYS_sendto, s, P("defgh"), 5, 0, 0, 0), 5);
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), 8, MSG_WAITALL, 0, 0), 8);
	assert_memory_equal(buf, "abcdefgh", 8);
	/* EOF after the peer's shutdown. */
	assert_int_equal(sc(t, SYS_shutdown, s, SHUT_WR, 0, 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), sizeof(buf), 0, 0, 0), 0);
	cls(t, c);
	cls(t, s);
}

struct late_send {
	struct task *t;
	int fd;
	int64_t r;
};

static void *send_later(void *arg)
{
	struct late_send *ls = arg;
	usleep(50000);
	ls->r = sc(ls->t, SYS_sendto, ls->fd, P("late"), 4, 0, 0, 0);
	return NULL;
}

static void test_recv_sleeps_until_data_arrives(void **state)
{
	struct task *t = T(state);
	int c, s;
	tcp_pair(t, &c, &s);
	struct late_send ls = {.t = t, .fd = c};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, send_later, &ls), 0);
	char buf[8] = {0};
	assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), 0, 0, 0), 4);
	pthread_join(th, NULL);
	assert_int_equal(ls.r, 4);
	assert_memory_equal(buf, "late", 4);
	cls(t, c);
	cls(t, s);
}

static void test_recv_timeout_and_signal(void **state)
{
	struct task *t = T(state);
	int c, s;
	tcp_pair(t, &c, &s);
	char buf[8];
	assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), MSG_DONTWAIT, 0, 0), -EAGAIN);
	struct timeval tv = {0, 50000};
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, P(&tv), sizeof(tv), 0),
			 0);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), 0, 0, 0), -EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 45);
	/* A signal: EINTR with a time limit, ERESTARTSYS without (restartable). */
	atomic_store(&fake_signal_tid, t->tid);
	assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), 0, 0, 0), -EINTR);
	tv.tv_usec = 0;
	assert_int_equal(sc(t, SYS_setsockopt, s, SOL_SOCKET, SO_RCVTIMEO, P(&tv), sizeof(tv), 0),
			 0);
	assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), 0, 0, 0), -ERESTARTSYS);
	atomic_store(&fake_signal_tid, -1);
	cls(t, c);
	cls(t, s);
}

static void test_refused_connect_and_so_error(void **state)
{
	struct task *t = T(state);
	/* A port nobody listens on. */
	int x = sock(t, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo4(0);
	assert_int_equal(sc(t, SYS_bind, x, P(&a), sizeof(a), 0, 0, 0), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(sc(t, SYS_getsockname, x, P(&a), P(&len), 0, 0, 0), 0);
	cls(t, x);
	int c = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0), -ECONNREFUSED);
	cls(t, c);
	c = sock(t, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_int_equal(sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0), -EINPROGRESS);
	/* Wait for the RST through a poll registration the stack's report
	 * wakes. */
	struct file *f = fdt_get_file(t->fdt, c);
	assert_non_null(f);
	struct poll_entry pe;
	task_poll_entry_init(&pe, t, POLLOUT | POLLERR | POLLHUP);
	uint32_t ev = file_poll(f, &pe);
	for (int i = 0; i < 100 && !(ev & POLLERR); i++) {
		struct timespec dl;
		deadline_in_ms(&dl, 20);
		task_block(t, &dl);
		ev = file_poll(f, NULL);
	}
	poll_entry_remove(&pe);
	file_put(f);
	assert_true(ev & POLLERR);
	assert_int_equal(getopt_int(t, c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	assert_int_equal(getopt_int(t, c, SOL_SOCKET, SO_ERROR), 0);
	cls(t, c);
}

static void test_epipe_raises_sigpipe(void **state)
{
	struct task *t = T(state);
	int c, s;
	tcp_pair(t, &c, &s);
	assert_int_equal(sc(t, SYS_shutdown, c, SHUT_WR, 0, 0, 0, 0), 0);
	test_last_signal = 0;
	assert_int_equal(sc(t, SYS_sendto, c, P("x"), 1, MSG_NOSIGNAL, 0, 0), -EPIPE);
	assert_int_equal(test_last_signal, 0);
	assert_int_equal(sc(t, SYS_sendto, c, P("x"), 1, 0, 0, 0), -EPIPE);
	assert_int_equal(test_last_signal, SIGPIPE);
	cls(t, c);
	cls(t, s);
}

static void test_sol_socket_options_reach_the_endpoint(void **state)
{
	struct task *t = T(state);
	int c, s;
	tcp_pair(t, &c, &s);
	int one = 1;
	assert_int_equal(
	    sc(t, SYS_setsockopt, c, SOL_SOCKET, SO_KEEPALIVE, P(&one), sizeof(one), 0), 0);
	assert_int_equal(getopt_int(t, c, SOL_SOCKET, SO_KEEPALIVE), 1);
	assert_int_equal(sc(t, SYS_setsockopt, c, IPPROTO_TCP, TCP_NODELAY, P(&one), sizeof(one), 0),
			 0);
	assert_int_equal(getopt_int(t, c, IPPROTO_TCP, TCP_NODELAY), 1);
	assert_int_equal(getopt_int(t, c, IPPROTO_TCP, 9999), -ENOPROTOOPT);
	cls(t, c);
	cls(t, s);
}

static void test_udp_datagrams_and_source(void **state)
{
	struct task *t = T(state);
	int r = sock(t, AF_INET, SOCK_DGRAM, 0), s = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ra = lo4(0);
	assert_int_equal(sc(t, SYS_bind, r, P(&ra), sizeof(ra), 0, 0, 0), 0);
	socklen_t len = sizeof(ra);
	assert_int_equal(sc(t, SYS_getsockname, r, P(&ra), P(&len), 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_sendto, s, P("one"), 3, 0, P(&ra), sizeof(ra)), 3);
	assert_int_equal(sc(t, SYS_sendto, s, P("three"), 5, 0, P(&ra), sizeof(ra)), 5);
	char buf[16] = {0};
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	/* Blocking: woken by the report of the datagram's arrival. */
	assert_int_equal(sc(t, SYS_recvfrom, r, P(buf), sizeof(buf), 0, P(&from), P(&fl)), 3);
	assert_string_equal(buf, "one");
	assert_int_equal(fl, sizeof(from));
	assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	/* A short buffer with MSG_TRUNC: the datagram's real length. */
	assert_int_equal(sc(t, SYS_recvfrom, r, P(buf), 2, MSG_TRUNC, 0, 0), 5);
	assert_int_equal(sc(t, SYS_recvfrom, r, P(buf), 2, MSG_DONTWAIT, 0, 0), -EAGAIN);
	assert_int_equal(sc(t, SYS_sendto, s, P("x"), 1, 0, 0, 0), -EDESTADDRREQ);
	/* Too large a datagram is refused before it is copied. */
	assert_int_equal(sc(t, SYS_sendto, s, P(buf), 1 << 20, 0, P(&ra), sizeof(ra)), -EMSGSIZE);
	cls(t, r);
	cls(t, s);
}

static void test_udp_connected_refused(void **state)
{
	struct task *t = T(state);
	int d = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = lo4(0);
	assert_int_equal(sc(t, SYS_bind, d, P(&a), sizeof(a), 0, 0, 0), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(sc(t, SYS_getsockname, d, P(&a), P(&len), 0, 0, 0), 0);
	cls(t, d);
	int c = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_sendto, c, P("x"), 1, 0, 0, 0), 1);
	char buf[4];
	/* The ICMP port unreachable ends the blocking receive. */
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), sizeof(buf), 0, 0, 0), -ECONNREFUSED);
	cls(t, c);
}

static void test_ping_socket_echo(void **state)
{
	struct task *t = T(state);
	int p = sock(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_true(p >= 0);
	/* An ICMP echo request: type 8, code 0, checksum (the stack fills
	 * it), id (the stack's), sequence 1, payload. */
	unsigned char req[12] = {8, 0, 0, 0, 0, 0, 0, 1, 'p', 'i', 'n', 'g'};
	struct sockaddr_in a = lo4(0);
	assert_int_equal(sc(t, SYS_sendto, p, P(req), sizeof(req), 0, P(&a), sizeof(a)), 12);
	unsigned char rep[64];
	struct sockaddr_in from;
	socklen_t fl = sizeof(from);
	assert_int_equal(sc(t, SYS_recvfrom, p, P(rep), sizeof(rep), 0, P(&from), P(&fl)), 12);
	assert_int_equal(rep[0], 0); /* echo reply */
	assert_int_equal(rep[7], 1);
	assert_memory_equal(rep + 8, "ping", 4);
	assert_int_equal(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	cls(t, p);
}

static void test_v6_socket_accepts_v4_mapped_peer(void **state)
{
	struct task *t = T(state);
	int l = sock(t, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 la = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	assert_int_equal(sc(t, SYS_bind, l, P(&la), sizeof(la), 0, 0, 0), 0);
	socklen_t len = sizeof(la);
	assert_int_equal(sc(t, SYS_getsockname, l, P(&la), P(&len), 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_listen, l, 4, 0, 0, 0, 0), 0);
	int c = sock(t, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to = lo4(ntohs(la.sin6_port));
	assert_int_equal(sc(t, SYS_connect, c, P(&to), sizeof(to), 0, 0, 0), 0);
	struct sockaddr_in6 peer;
	socklen_t pl = sizeof(peer);
	int a = (int)sc(t, SYS_accept4, l, P(&peer), P(&pl), 0, 0, 0);
	assert_true(a >= 0);
	assert_int_equal(pl, sizeof(peer));
	assert_int_equal(peer.sin6_family, AF_INET6);
	assert_true(IN6_IS_ADDR_V4MAPPED(&peer.sin6_addr));
	assert_int_equal(sc(t, SYS_sendto, c, P("v4"), 2, 0, 0, 0), 2);
	char buf[4] = {0};
	assert_int_equal(sc(t, SYS_recvfrom, a, P(buf), sizeof(buf), 0, 0, 0), 2);
	assert_string_equal(buf, "v4");
	cls(t, a);
	cls(t, c);
	cls(t, l);
}

static void test_proc_net_tcp_lists_listener(void **state)
{
	struct task *t = T(state);
	struct sockaddr_in a;
	int l = listener(t, &a);
	size_t len = 0;
	char *text = inet_proc_net(IPPROTO_TCP, AF_INET, &len);
	assert_non_null(text);
	char want[64];
	snprintf(want, sizeof(want), ": 0100007F:%04X 00000000:0000 0A ", ntohs(a.sin_port));
	char *row = strstr(text, want);
	assert_non_null(row);
	while (row > text && row[-1] != '\n')
		row--;
	/* Every line padded to 149 characters, as Linux. */
	assert_int_equal(strchr(text, '\n') - text, 149);
	assert_int_equal(strchr(row, '\n') - row, 149);
	free(text);
	text = inet_proc_net(IPPROTO_TCP, AF_INET6, &len);
	assert_non_null(text);
	assert_null(strstr(text, want)); /* an AF_INET socket is not in tcp6 */
	free(text);
	cls(t, l);
}

/* A connect that finds its handshake in progress (a connect restarted after
 * a signal) waits for it as Linux does: here the listener's queue is full,
 * so the SYN goes unanswered and the wait ends with SO_SNDTIMEO. */
static void test_connect_in_progress_waits_again(void **state)
{
	struct task *t = T(state);
	int l = sock(t, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo4(0);
	assert_int_equal(sc(t, SYS_bind, l, P(&a), sizeof(a), 0, 0, 0), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(sc(t, SYS_getsockname, l, P(&a), P(&len), 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_listen, l, 0, 0, 0, 0, 0), 0);
	int fill[3];
	for (int i = 0; i < 3; i++) {
		fill[i] = sock(t, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		sc(t, SYS_connect, fill[i], P(&a), sizeof(a), 0, 0, 0);
	}
	usleep(100000);
	int c = sock(t, AF_INET, SOCK_STREAM, 0);
	struct timeval tv = {0, 100000};
	assert_int_equal(sc(t, SYS_setsockopt, c, SOL_SOCKET, SO_SNDTIMEO, P(&tv), sizeof(tv), 0),
			 0);
	/* A signal: the blocking connect is interrupted, restartably. */
	atomic_store(&fake_signal_tid, t->tid);
	int64_t r = sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0);
	atomic_store(&fake_signal_tid, -1);
	if (r == 0) {
		/* The queue had room after all: nothing left to check. */
		skip();
	}
	assert_int_equal(r, -EINTR); /* SO_SNDTIMEO set: EINTR, as sock_intr_errno */
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0), -EALREADY);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	assert_true(ms >= 90); /* it waited */
	cls(t, c);
	for (int i = 0; i < 3; i++)
		cls(t, fill[i]);
	cls(t, l);
}

/* A request/response exchange on an established connection: each send,
 * each receive and each setsockopt (the reply is corked, as nginx does) polls
 * the stack inline, so the kicks they raise (a report to
 * deliver, a retransmission timer armed) are held back instead of waking the
 * service thread, whose timer the inline poll re-arms; the data still flows. */
static void test_request_response_does_not_kick_service_thread(void **state)
{
	struct task *t = T(state);
	int c, s;
	tcp_pair(t, &c, &s);
	int one = 1;
	assert_int_equal(sc(t, SYS_setsockopt, c, IPPROTO_TCP, TCP_NODELAY, P(&one), 4, 0), 0);
	assert_int_equal(sc(t, SYS_setsockopt, s, IPPROTO_TCP, TCP_NODELAY, P(&one), 4, 0), 0);
	uint64_t k0, h0, a0, s0, k1, h1, a1, s1;
	inet_stack_counters(&k0, &h0, &a0, &s0);
	enum { ROUNDS = 50 };
	char buf[16];
	for (int i = 0; i < ROUNDS; i++) {
		assert_int_equal(sc(t, SYS_sendto, c, P("request!"), 8, 0, 0, 0), 8);
		assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), 0, 0, 0), 8);
		assert_memory_equal(buf, "request!", 8);
		/* As nginx: corked while the reply is written. */
		int on = 1, off = 0;
		assert_int_equal(sc(t, SYS_setsockopt, s, IPPROTO_TCP, TCP_CORK, P(&on), 4, 0), 0);
		assert_int_equal(sc(t, SYS_sendto, s, P("reply"), 5, 0, 0, 0), 5);
		assert_int_equal(sc(t, SYS_setsockopt, s, IPPROTO_TCP, TCP_CORK, P(&off), 4, 0), 0);
		assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), sizeof(buf), 0, 0, 0), 5);
		assert_memory_equal(buf, "reply", 5);
	}
	inet_stack_counters(&k1, &h1, &a1, &s1);
	assert_true(h1 > h0);		   /* there were kicks to hold */
	assert_true(k1 - k0 < ROUNDS / 5); /* before: more than one per round */
	cls(t, c);
	cls(t, s);
}

/* Each datagram a thread outside the stack's poll sends kicks the service
 * thread, which polls, plans its next wake-up and arms its timer at it; the
 * plan is the same every time here (no timer of the stack moves), so the
 * timer is armed at most a few times (before: one timerfd_settime per wake-up,
 * as many as the datagrams), and the datagrams all arrive. */
static void test_service_thread_rearms_timer_only_when_deadline_moves(void **state)
{
	struct ns_endpoint *ep;
	assert_int_equal(ns_ep_create(inet_stack(), AF_INET, SOCK_DGRAM, 0, &ep), 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(ns_ep_bind(ep, (struct sockaddr *)&a, sizeof(a), 0), 0);
	struct sockaddr_storage ss;
	socklen_t alen = sizeof(ss);
	assert_int_equal(ns_ep_getname(ep, &ss, &alen, 0), 0);
	memcpy(&a, &ss, sizeof(a));
	uint64_t k0, h0, a0, s0, k1, h1, a1, s1;
	inet_stack_counters(&k0, &h0, &a0, &s0);
	enum { ROUNDS = 40 };
	for (int i = 0; i < ROUNDS; i++) {
		char out = (char)i, in = 0;
		struct iovec o = {&out, 1}, v = {&in, 1};
		assert_int_equal(ns_ep_sendmsg(ep, &o, 1, 0, (struct sockaddr *)&a, sizeof(a)), 1);
		ssize_t r;
		int spins = 0, mflags;
		/* The service thread moves it through the loopback link. */
		while ((r = ns_ep_recvmsg(ep, &v, 1, MSG_DONTWAIT, NULL, NULL, &mflags)) == -EAGAIN &&
		       spins++ < 5000)
			usleep(200);
		assert_int_equal(r, 1);
		assert_int_equal(in, (char)i);
	}
	inet_stack_counters(&k1, &h1, &a1, &s1);
	ns_ep_close(ep);
	assert_true(k1 - k0 >= ROUNDS);	     /* the service thread was woken */
	assert_true(s1 - s0 >= ROUNDS / 2);  /* and planned what the timer had */
	assert_true(a1 - a0 < ROUNDS / 4);   /* so it seldom armed it */
}

static void test_wake_time_coalesces_and_is_never_early(void **state)
{
	const uint64_t ms = 1000000, now = 1000 * ms;
	assert_true(inet_stack_wake_time(NS_TIME_NEVER, now) == NS_TIME_NEVER);
	assert_true(inet_stack_wake_time(now - 5, now) == now - 5);
	assert_true(inet_stack_wake_time(now, now) == now);
	/* Never early, at most an eighth of the time left late. */
	for (uint64_t left = 1; left < 10000 * ms; left = left * 3 + 7) {
		uint64_t d = now + left, w = inet_stack_wake_time(d, now);
		assert_true(w >= d);
		assert_true(w - d <= left / 8);
		assert_true(w - d < 17 * ms);
	}
	/* Retransmission timers of two connections armed 1 us apart, 200 ms
	 * away: one wake-up. */
	uint64_t d = now + 200 * ms + 12345;
	assert_true(inet_stack_wake_time(d, now) == inet_stack_wake_time(d + 1000, now + 1000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_inet_stack_has_loopback, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_socket_kinds_and_protocols, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_blocking_connect_accept_and_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recv_sleeps_until_data_arrives, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_recv_timeout_and_signal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_connect_and_so_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_epipe_raises_sigpipe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sol_socket_options_reach_the_endpoint, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_udp_datagrams_and_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_udp_connected_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ping_socket_echo, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_v6_socket_accepts_v4_mapped_peer, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_proc_net_tcp_lists_listener, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_connect_in_progress_waits_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_response_does_not_kick_service_thread,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_service_thread_rearms_timer_only_when_deadline_moves,
					    setup, teardown),
	    cmocka_unit_test(test_wake_time_coalesces_and_is_never_early),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
