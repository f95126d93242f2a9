/* Unit tests for --network=host's AF_INET/AF_INET6 (sentry/socket/hostinet.c)
 * on the host's loopback, driven through the socket syscalls
 * (sys_socket.c) of a VFS-fixture task: blocking connect and accept woken
 * by the poller thread, data both ways, a non-blocking connect and SO_ERROR,
 * a refused connection, the option allow-list (unknown options are
 * ENOPROTOOPT), receive timeouts, closes that leave no host socket, and the
 * jail rules host mode adds (socket(2) of AF_INET/AF_INET6 only). */
#include <arpa/inet.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sentry/jail.h"
#include "sentry/socket/hostinet.h"
#include "sentry/socket/inet.h"
#include "sentry/socket/socket.h"
#include "sentry/tests/harness.h"

static int group_setup(void **state)
{
	return hostinet_register() < 0 ? -1 : 0;
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

static int cls(struct task *t, int fd)
{
	return fdt_close(t->fdt, fd);
}

static int listener(struct task *t, struct sockaddr_in *a)
{
	int l = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_true(l >= 0);
	*a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(sc(t, SYS_bind, l, P(a), sizeof(*a), 0, 0, 0), 0);
	socklen_t len = sizeof(*a);
	assert_int_equal(sc(t, SYS_getsockname, l, P(a), P(&len), 0, 0, 0), 0);
	assert_true(a->sin_port != 0);
	assert_int_equal(sc(t, SYS_listen, l, 16, 0, 0, 0, 0), 0);
	return l;
}

static int getopt_int(struct task *t, int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);
	int64_t r = sc(t, SYS_getsockopt, fd, level, name, P(&v), P(&len), 0);
	return r < 0 ? (int)r : v;
}

static void test_kinds(void **state)
{
	struct task *t = T(state);
	long before = hostinet_open_sockets();
	int a = sock(t, AF_INET, SOCK_STREAM, 0);
	int b = sock(t, AF_INET6, SOCK_DGRAM, 0);
	assert_true(a >= 0 && b >= 0);
	assert_int_equal(hostinet_open_sockets(), before + 2);
	assert_int_equal(getopt_int(t, a, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	assert_int_equal(getopt_int(t, b, SOL_SOCKET, SO_PROTOCOL), IPPROTO_UDP);
	assert_int_equal(getopt_int(t, b, SOL_SOCKET, SO_DOMAIN), AF_INET6);
	assert_int_equal(sock(t, AF_INET, SOCK_SEQPACKET, 0), -ESOCKTNOSUPPORT);
	assert_int_equal(sock(t, AF_INET, SOCK_STREAM, IPPROTO_UDP), -EPROTONOSUPPORT);
	assert_int_equal(sock(t, AF_INET, SOCK_RAW, IPPROTO_ICMP), -EPROTONOSUPPORT);
	cls(t, a);
	cls(t, b);
	/* A close closes the host socket at once (the port is free again). */
	assert_int_equal(hostinet_open_sockets(), before);
}

static void test_blocking_connect_accept_and_data(void **state)
{
	struct task *t = T(state);
	struct sockaddr_in a;
	int l = listener(t, &a);
	int c = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0), 0);
	int s = (int)sc(t, SYS_accept4, l, 0, 0, 0, 0, 0);
	assert_true(s >= 0);
	assert_int_equal(getopt_int(t, l, SOL_SOCKET, SO_ACCEPTCONN), 1);
	/* A blocking receive: woken by the poller's EPOLLIN. */
	assert_int_equal(sc(t, SYS_sendto, c, P("hello"), 5, 0, 0, 0), 5);
	char buf[16] = {0};
	assert_int_equal(sc(t, SYS_recvfrom, s, P(buf), sizeof(buf), 0, 0, 0), 5);
	assert_string_equal(buf, "hello");
	struct sockaddr_in pa, ca;
	socklen_t pl = sizeof(pa), cl = sizeof(ca);
	assert_int_equal(sc(t, SYS_getpeername, s, P(&pa), P(&pl), 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_getsockname, c, P(&ca), P(&cl), 0, 0, 0), 0);
	assert_int_equal(pa.sin_port, ca.sin_port);
	/* FIONREAD, MSG_PEEK, MSG_WAITALL. */
	assert_int_equal(sc(t, SYS_sendto, s, P("abc"), 3, 0, 0, 0), 3);
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), 1, MSG_PEEK, 0, 0), 1);
	int inq = -1;
	struct file *f = fdt_get_file(t->fdt, c);
	assert_non_null(f);
	assert_int_equal(file_ioctl(t, f, SIOCINQ, P(&inq)), 0);
	file_put(f);
	assert_int_equal(inq, 3);
	assert_int_equal(sc(t, SYS_sendto, s, P("defgh"), 5, 0, 0, 0), 5);
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), 8, MSG_WAITALL, 0, 0), 8);
	assert_memory_equal(buf, "abcdefgh", 8);
	/* A receive with nothing there times out (SO_RCVTIMEO). */
	struct timeval tv = {0, 50000};
	assert_int_equal(sc(t, SYS_setsockopt, c, SOL_SOCKET, SO_RCVTIMEO, P(&tv), sizeof(tv), 0), 0);
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), 1, 0, 0, 0), -EAGAIN);
	/* EOF after the peer's shutdown wakes a blocked receive. */
	assert_int_equal(sc(t, SYS_shutdown, s, SHUT_WR, 0, 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_recvfrom, c, P(buf), sizeof(buf), 0, 0, 0), 0);
	cls(t, c);
	cls(t, s);
	cls(t, l);
}

static void test_nonblocking_connect_and_refused(void **state)
{
	struct task *t = T(state);
	struct sockaddr_in a;
	int l = listener(t, &a);
	int c = sock(t, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int64_t r = sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0);
	assert_true(r == 0 || r == -EINPROGRESS);
	struct file *f = fdt_get_file(t->fdt, c);
	for (int i = 0; i < 200 && !(file_poll(f, NULL) & POLLOUT); i++)
		usleep(5000);
	assert_true(file_poll(f, NULL) & POLLOUT);
	file_put(f);
	assert_int_equal(getopt_int(t, c, SOL_SOCKET, SO_ERROR), 0);
	cls(t, c);
	/* The listener closed: a blocking connect is refused. */
	cls(t, l);
	c = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(sc(t, SYS_connect, c, P(&a), sizeof(a), 0, 0, 0), -ECONNREFUSED);
	cls(t, c);
}

static void test_options_allow_list(void **state)
{
	struct task *t = T(state);
	int c = sock(t, AF_INET, SOCK_STREAM, 0);
	int one = 1;
	assert_int_equal(sc(t, SYS_setsockopt, c, IPPROTO_TCP, TCP_NODELAY, P(&one), 4, 0), 0);
	assert_int_equal(getopt_int(t, c, IPPROTO_TCP, TCP_NODELAY), 1);
	assert_int_equal(sc(t, SYS_setsockopt, c, IPPROTO_IP, IP_TTL, P(&one), 4, 0), 0);
	assert_int_equal(getopt_int(t, c, IPPROTO_IP, IP_TTL), 1);
	/* Not on the list: never reaches the host. */
	assert_int_equal(sc(t, SYS_setsockopt, c, IPPROTO_TCP, TCP_REPAIR, P(&one), 4, 0),
			 -ENOPROTOOPT);
	assert_int_equal(sc(t, SYS_setsockopt, c, IPPROTO_IP, IP_TRANSPARENT, P(&one), 4, 0),
			 -ENOPROTOOPT);
	assert_false(hostinet_opt_allowed(IPPROTO_TCP, TCP_INFO, true));
	assert_true(hostinet_opt_allowed(IPPROTO_TCP, TCP_INFO, false));
	assert_true(hostinet_opt_allowed(IPPROTO_IPV6, IPV6_V6ONLY, true));
	/* SOL_SOCKET options the core keeps reach the host socket. */
	int big = 65536;
	assert_int_equal(sc(t, SYS_setsockopt, c, SOL_SOCKET, SO_RCVBUF, P(&big), 4, 0), 0);
	cls(t, c);
}

static void test_udp6(void **state)
{
	struct task *t = T(state);
	int u = sock(t, AF_INET6, SOCK_DGRAM, 0), v = sock(t, AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	assert_int_equal(sc(t, SYS_bind, u, P(&a), sizeof(a), 0, 0, 0), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(sc(t, SYS_getsockname, u, P(&a), P(&len), 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_sendto, v, P("ping6"), 5, 0, P(&a), sizeof(a)), 5);
	char buf[16] = {0};
	struct sockaddr_in6 from;
	socklen_t fl = sizeof(from);
	assert_int_equal(sc(t, SYS_recvfrom, u, P(buf), sizeof(buf), 0, P(&from), P(&fl)), 5);
	assert_string_equal(buf, "ping6");
	assert_int_equal(fl, sizeof(from));
	assert_memory_equal(&from.sin6_addr, &in6addr_loopback, 16);
	cls(t, u);
	cls(t, v);
}

/* Under the Sentry's, the netstack's and host mode's rules: socket(2) of
 * AF_INET works, of AF_UNIX kills. */
static int jailed_socket(int family)
{
	pid_t pid = fork();
	if (pid == 0) {
		const struct jail_rules *const extra[] = {inet_jail_rules(), hostinet_jail_rules(),
							  NULL};
		const struct jail_rules *sets[JAIL_MAX_SETS];
		int n = jail_rule_sets(NULL, extra, sets, JAIL_MAX_SETS);
		const char *what;
		if (n < 0 || jail_seccomp_load(sets, (size_t)n, &what) < 0)
			_exit(100);
		int fd = (int)syscall(SYS_socket, family, SOCK_STREAM, 0);
		_exit(fd >= 0 ? 0 : 1);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return st;
}

static void test_jail_rules(void **state)
{
	int st = jailed_socket(AF_INET6);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	st = jailed_socket(AF_UNIX);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kinds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_blocking_connect_accept_and_data, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_nonblocking_connect_and_refused, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_options_allow_list, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_udp6, fx_setup, fx_teardown),
	    cmocka_unit_test(test_jail_rules),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
