/* Conformance: the errno of every bad AF_INET/AF_INET6 call: bad fds, bad
 * pointers, bad sockaddr lengths and families, bad types and protocols,
 * bad levels and options, calls in the wrong state (EINVAL, ENOTCONN,
 * EISCONN, EOPNOTSUPP, EPIPE), EADDRINUSE and SO_REUSEADDR,
 * EADDRNOTAVAIL.  Not tried: EACCES for a privileged port without the
 * capability (the program may run as root), sending MSG_OOB and binding a
 * multicast address (the netstack refuses both: urgent data and multicast
 * are not provided). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r < 0 ? -1L : r, r < 0 ? strerror(errno) : "");
}

static struct sockaddr_in lo4(unsigned short port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

static unsigned short bound_port(int s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	getsockname(s, (struct sockaddr *)&ss, &len);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

static void test_create(void)
{
	printf("-- socket()\n");
	show("type 99", socket(AF_INET, 99, 0));
	show("SOCK_SEQPACKET", socket(AF_INET, SOCK_SEQPACKET, 0));
	show("STREAM + UDP", socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
	show("DGRAM + TCP", socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
	show("STREAM + 200", socket(AF_INET, SOCK_STREAM, 200));
	show("STREAM proto -1", socket(AF_INET, SOCK_STREAM, -1));
	show("STREAM proto 256", socket(AF_INET, SOCK_STREAM, 256));
	show("AF_INET6 STREAM + UDP", socket(AF_INET6, SOCK_STREAM, IPPROTO_UDP));
	show("bad flags", socket(AF_INET, SOCK_STREAM | 0x1000, 0));
	show("family 200", socket(200, SOCK_STREAM, 0));
	int fds[2];
	show("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, fds));
	show("socketpair AF_INET6 DGRAM", socketpair(AF_INET6, SOCK_DGRAM, 0, fds));
}

static void test_fds_and_pointers(void)
{
	printf("-- fds, pointers\n");
	struct sockaddr_in a = lo4(0);
	socklen_t len = sizeof(a);
	char buf[8];
	int p[2];
	pipe(p);
	show("bind bad fd", bind(999, (struct sockaddr *)&a, sizeof(a)));
	show("bind pipe", bind(p[0], (struct sockaddr *)&a, sizeof(a)));
	show("connect bad fd", connect(999, (struct sockaddr *)&a, sizeof(a)));
	show("listen bad fd", listen(999, 1));
	show("accept pipe", accept(p[0], NULL, NULL));
	show("getsockname bad fd", getsockname(999, (struct sockaddr *)&a, &len));
	show("send pipe", send(p[1], "x", 1, 0));
	show("recv bad fd", recv(999, buf, 1, 0));
	show("setsockopt pipe", setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &len, sizeof(int)));
	show("shutdown bad fd", shutdown(999, SHUT_RDWR));
	close(p[0]);
	close(p[1]);

	void *bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int s = socket(AF_INET, SOCK_STREAM, 0);
	show("bind bad address pointer", bind(s, bad, sizeof(a)));
	show("connect bad address pointer", connect(s, bad, sizeof(a)));
	show("getsockname bad len pointer", getsockname(s, (struct sockaddr *)&a, bad));
	show("getsockname bad buffer", getsockname(s, bad, &len));
	show("setsockopt bad value", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, bad, sizeof(int)));
	show("setsockopt TCP bad value", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, bad, sizeof(int)));
	socklen_t ol = sizeof(int);
	show("getsockopt bad len pointer", getsockopt(s, SOL_SOCKET, SO_TYPE, buf, bad));
	show("getsockopt TCP bad buffer", getsockopt(s, IPPROTO_TCP, TCP_NODELAY, bad, &ol));
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = lo4(9);
	show("sendto bad buffer", sendto(u, bad, 10, 0, (struct sockaddr *)&to, sizeof(to)));
	close(u);
	close(s);
	munmap(bad, 4096);
}

static void test_addresses(void)
{
	printf("-- addresses\n");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = lo4(0);
	show("bind len 0", bind(s, (struct sockaddr *)&a, 0));
	show("bind len 4", bind(s, (struct sockaddr *)&a, 4));
	show("bind len 15", bind(s, (struct sockaddr *)&a, 15));
	show("bind len 200", bind(s, (struct sockaddr *)&a, 200));
	struct sockaddr_in6 six = {.sin6_family = AF_INET6};
	show("bind v6 address on v4", bind(s, (struct sockaddr *)&six, sizeof(six)));
	struct sockaddr_in un = {.sin_family = AF_UNSPEC, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	show("bind AF_UNSPEC 127.0.0.1", bind(s, (struct sockaddr *)&un, sizeof(un)));
	struct sockaddr_in far = {.sin_family = AF_INET};
	inet_pton(AF_INET, "203.0.113.7", &far.sin_addr);
	show("bind non-local", bind(s, (struct sockaddr *)&far, sizeof(far)));
	show("connect len 0", connect(s, (struct sockaddr *)&a, 0));
	show("connect len 8", connect(s, (struct sockaddr *)&a, 8));
	show("connect v6 address on v4", connect(s, (struct sockaddr *)&six, sizeof(six)));
	show("bind", bind(s, (struct sockaddr *)&a, sizeof(a)));
	show("bind twice", bind(s, (struct sockaddr *)&a, sizeof(a)));

	/* EADDRINUSE: a listener's port; SO_REUSEADDR does not help against a
	 * listener, as Linux. */
	listen(s, 1);
	struct sockaddr_in same = lo4(bound_port(s));
	int t = socket(AF_INET, SOCK_STREAM, 0);
	show("bind port in use", bind(t, (struct sockaddr *)&same, sizeof(same)));
	int one = 1;
	setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	show("bind in use, both REUSEADDR, listening", bind(t, (struct sockaddr *)&same, sizeof(same)));
	close(t);
	/* UDP: REUSEADDR on both lets a second bind in. */
	int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in ua = lo4(0);
	setsockopt(u1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	bind(u1, (struct sockaddr *)&ua, sizeof(ua));
	ua = lo4(bound_port(u1));
	show("udp bind in use", bind(u2, (struct sockaddr *)&ua, sizeof(ua)));
	setsockopt(u2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	show("udp bind in use, both REUSEADDR", bind(u2, (struct sockaddr *)&ua, sizeof(ua)));
	close(u1);
	close(u2);
	close(s);

	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	show("v6 bind len 23", bind(s6, (struct sockaddr *)&six, 23));
	show("v6 bind v4 address", bind(s6, (struct sockaddr *)&a, sizeof(a)));
	struct sockaddr_in6 far6 = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "2001:db8::1", &far6.sin6_addr);
	show("v6 bind non-local", bind(s6, (struct sockaddr *)&far6, sizeof(far6)));
	show("v6 connect v4 address", connect(s6, (struct sockaddr *)&a, sizeof(a)));
	close(s6);
	/* An AF_INET6 UDP socket takes an AF_INET destination. */
	int d6 = socket(AF_INET6, SOCK_DGRAM, 0);
	show("v6 udp connect len 4", connect(d6, (struct sockaddr *)&a, 4));
	close(d6);
}

static void test_states(void)
{
	printf("-- states\n");
	char buf[8];
	int s = socket(AF_INET, SOCK_STREAM, 0);
	show("recv unconnected", recv(s, buf, sizeof(buf), 0));
	show("send unconnected", send(s, "x", 1, MSG_NOSIGNAL));
	show("accept not listening", accept(s, NULL, NULL));
	show("shutdown unconnected", shutdown(s, SHUT_RDWR));
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	show("getpeername unconnected", getpeername(s, (struct sockaddr *)&a, &len));
	show("getsockname unbound", getsockname(s, (struct sockaddr *)&a, &len));
	printf("unbound name %s port %d len %d\n", inet_ntoa(a.sin_addr), ntohs(a.sin_port),
	       (int)len);
	show("listen", listen(s, -5));
	show("listen again", listen(s, 10));
	show("connect while listening", connect(s, (struct sockaddr *)&a, sizeof(a)));
	show("send on listener", send(s, "x", 1, MSG_NOSIGNAL));
	show("recv on listener", recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	int n;
	show("FIONREAD on listener", ioctl(s, FIONREAD, &n));
	a = lo4(bound_port(s));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	show("connect", connect(c, (struct sockaddr *)&a, sizeof(a)));
	show("connect again", connect(c, (struct sockaddr *)&a, sizeof(a)));
	show("listen connected", listen(c, 1));
	show("bind connected", bind(c, (struct sockaddr *)&a, sizeof(a)));
	show("recv MSG_OOB", recv(c, buf, 1, MSG_OOB | MSG_DONTWAIT));
	show("shutdown how 3", shutdown(c, 3));
	show("shutdown how -1", shutdown(c, -1));
	close(c);
	close(s);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	show("udp listen", listen(u, 1));
	show("udp accept", accept(u, NULL, NULL));
	show("udp recv MSG_OOB", recv(u, buf, 1, MSG_OOB | MSG_DONTWAIT));
	show("udp FIONREAD empty", ioctl(u, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	close(u);
}

static void test_options(void)
{
	printf("-- options\n");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	int v = 1;
	socklen_t len = sizeof(v);
	show("level 12345", setsockopt(s, 12345, 1, &v, sizeof(v)));
	show("get level 12345", getsockopt(s, 12345, 1, &v, &len));
	show("SOL_TCP 9999", setsockopt(s, IPPROTO_TCP, 9999, &v, sizeof(v)));
	show("SOL_IP 9999", setsockopt(s, IPPROTO_IP, 9999, &v, sizeof(v)));
	show("SOL_SOCKET 9999", setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)));
	show("TCP_NODELAY optlen 2", setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, 2));
	show("SO_KEEPALIVE optlen 2", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
	show("SO_LINGER optlen 4", setsockopt(s, SOL_SOCKET, SO_LINGER, &v, 4));
	show("SO_TYPE set", setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof(v)));
	len = (socklen_t)-1;
	show("getsockopt len -1", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	len = (socklen_t)-1;
	show("getsockopt TCP len -1", getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	v = 0;
	show("TCP_KEEPIDLE 0", setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	v = 40000;
	show("TCP_KEEPIDLE 40000", setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	v = -1;
	show("TCP_USER_TIMEOUT -1", setsockopt(s, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof(v)));
	v = 256;
	show("IP_TTL 256", setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	v = 0;
	show("IP_TTL 0", setsockopt(s, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	show("IPV6_V6ONLY on v4", setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
	close(s);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	len = sizeof(v);
	show("udp TCP_NODELAY", getsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	show("udp set TCP_NODELAY", setsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	show("udp UDP_CORK get", getsockopt(u, IPPROTO_UDP, 9999, &v, &len));
	close(u);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_create();
	test_fds_and_pointers();
	test_addresses();
	test_states();
	test_options();
	return 0;
}
