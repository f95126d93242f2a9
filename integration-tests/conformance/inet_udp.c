/* Conformance: UDP over 127.0.0.1 and ::1, and IPv6 with dual-stack
 * sockets (TCP and UDP): datagram boundaries, source addresses, MSG_PEEK,
 * MSG_TRUNC, FIONREAD, zero-length datagrams, connected sockets and their
 * filter, ECONNREFUSED from an ICMP port unreachable, AF_UNSPEC disconnect,
 * sendmmsg/recvmmsg, EMSGSIZE, poll; an AF_INET6 socket on :: reached
 * over IPv4 (::ffff:127.0.0.1), IPV6_V6ONLY.  Ports are ephemeral and
 * never printed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
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

static struct sockaddr_in6 lo6(unsigned short port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	a.sin6_addr = in6addr_loopback;
	return a;
}

/* A socket bound to addr (port 0), its bound address written back. */
static int bound(int family, int type, void *addr, socklen_t len)
{
	int s = socket(family, type, 0);
	if (bind(s, addr, len) < 0)
		perror("bind");
	getsockname(s, addr, &len);
	return s;
}

static const char *addr_str(const struct sockaddr_storage *ss)
{
	static char buf[INET6_ADDRSTRLEN + 16];
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, sizeof(buf));
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, sizeof(buf));
	else
		snprintf(buf, sizeof(buf), "family %d", ss->ss_family);
	return buf;
}

static unsigned short port_of(const void *sa)
{
	const struct sockaddr_storage *ss = sa;
	return ntohs(ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port
					       : ((const struct sockaddr_in *)sa)->sin_port);
}

static short poll1(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	return poll(&p, 1, ms) > 0 ? p.revents : 0;
}

static void test_udp4(void)
{
	printf("-- udp4\n");
	struct sockaddr_in ra = lo4(0), sa = lo4(0);
	int r = bound(AF_INET, SOCK_DGRAM, &ra, sizeof(ra));
	int s = bound(AF_INET, SOCK_DGRAM, &sa, sizeof(sa));
	printf("poll idle: %#x\n", poll1(r, POLLIN | POLLOUT, 0));
	show("sendto one", sendto(s, "one", 3, 0, (struct sockaddr *)&ra, sizeof(ra)));
	show("sendto three", sendto(s, "three", 5, 0, (struct sockaddr *)&ra, sizeof(ra)));
	show("sendto empty", sendto(s, "", 0, 0, (struct sockaddr *)&ra, sizeof(ra)));
	printf("poll: %#x\n", poll1(r, POLLIN, 1000));
	int n = -1;
	ioctl(r, FIONREAD, &n);
	printf("FIONREAD %d\n", n);
	char buf[64];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	memset(buf, 0, sizeof(buf));
	show("recvfrom PEEK", recvfrom(r, buf, sizeof(buf), MSG_PEEK, (struct sockaddr *)&from, &fl));
	printf("peeked '%s' from %s same port %d len %d\n", buf, addr_str(&from),
	       port_of(&from) == port_of(&sa), (int)fl);
	/* A short buffer cuts the datagram: MSG_TRUNC in msg_flags. */
	struct iovec io = {buf, 2};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	memset(buf, 0, sizeof(buf));
	show("recvmsg 2 bytes", recvmsg(r, &mh, 0));
	printf("got '%s' flags MSG_TRUNC %d\n", buf, (mh.msg_flags & MSG_TRUNC) != 0);
	/* MSG_TRUNC as a flag: the real length. */
	show("recv TRUNC 1", recv(r, buf, 1, MSG_TRUNC));
	show("recv empty datagram", recv(r, buf, sizeof(buf), 0));
	show("recv DONTWAIT nothing", recv(r, buf, sizeof(buf), MSG_DONTWAIT));
	show("sendto no address", send(s, "x", 1, 0));
	show("getpeername unconnected", getpeername(s, (struct sockaddr *)&from, &fl));
	show("shutdown unconnected", shutdown(s, SHUT_RD));

	/* connect: the default destination and a filter on sources. */
	show("connect", connect(s, (struct sockaddr *)&ra, sizeof(ra)));
	fl = sizeof(from);
	show("getpeername", getpeername(s, (struct sockaddr *)&from, &fl));
	printf("peer %s same port %d\n", addr_str(&from), port_of(&from) == port_of(&ra));
	show("send connected", send(s, "conn", 4, 0));
	memset(buf, 0, sizeof(buf));
	show("recv", recv(r, buf, sizeof(buf), 0));
	printf("got '%s'\n", buf);
	struct sockaddr_in oa = lo4(0);
	int o = bound(AF_INET, SOCK_DGRAM, &oa, sizeof(oa));
	show("other to connected socket", sendto(o, "no", 2, 0, (struct sockaddr *)&sa, sizeof(sa)));
	show("peer to connected socket", sendto(r, "yes", 3, 0, (struct sockaddr *)&sa, sizeof(sa)));
	memset(buf, 0, sizeof(buf));
	show("recv connected", recv(s, buf, sizeof(buf), 0));
	printf("got '%s' (only the peer's)\n", buf);
	show("recv again DONTWAIT", recv(s, buf, sizeof(buf), MSG_DONTWAIT));
	struct sockaddr_in un = {.sin_family = AF_UNSPEC};
	show("connect AF_UNSPEC", connect(s, (struct sockaddr *)&un, sizeof(un)));
	show("getpeername after disconnect", getpeername(s, (struct sockaddr *)&from, &fl));
	close(o);

	/* ECONNREFUSED: a connected socket learns of the port unreachable. */
	struct sockaddr_in dead = lo4(0);
	int d = bound(AF_INET, SOCK_DGRAM, &dead, sizeof(dead));
	close(d);
	int c = socket(AF_INET, SOCK_DGRAM, 0);
	show("connect to dead port", connect(c, (struct sockaddr *)&dead, sizeof(dead)));
	show("send to dead port", send(c, "x", 1, 0));
	printf("poll after: %#x\n", poll1(c, POLLIN, 1000));
	show("recv refused", recv(c, buf, sizeof(buf), 0));
	show("recv again", recv(c, buf, sizeof(buf), MSG_DONTWAIT));
	close(c);

	/* Too big for IPv4. */
	char *big = calloc(1, 70000);
	show("sendto 65507", sendto(s, big, 65507, 0, (struct sockaddr *)&ra, sizeof(ra)));
	show("sendto 65508", sendto(s, big, 65508, 0, (struct sockaddr *)&ra, sizeof(ra)));
	show("recv big", recv(r, big, 70000, 0));
	free(big);

	/* sendmmsg / recvmmsg */
	struct mmsghdr mm[3];
	struct iovec iov[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
		mm[i].msg_hdr.msg_name = &ra;
		mm[i].msg_hdr.msg_namelen = sizeof(ra);
	}
	show("sendmmsg", sendmmsg(s, mm, 3, 0));
	printf("msg_len %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	char rb[3][8];
	struct iovec riov[3] = {{rb[0], 8}, {rb[1], 8}, {rb[2], 8}};
	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &riov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	poll1(r, POLLIN, 1000);
	usleep(20000);
	show("recvmmsg", recvmmsg(r, mm, 3, MSG_DONTWAIT, NULL));
	printf("msg_len %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	struct timeval tv = {0, 50000};
	setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	show("recv timeout", recv(r, buf, sizeof(buf), 0));
	close(r);
	close(s);
}

static void test_udp6(void)
{
	printf("-- udp6, dual stack\n");
	struct sockaddr_in6 ra = lo6(0), sa = lo6(0);
	int r = bound(AF_INET6, SOCK_DGRAM, &ra, sizeof(ra));
	int s = bound(AF_INET6, SOCK_DGRAM, &sa, sizeof(sa));
	show("sendto ::1", sendto(s, "six", 3, 0, (struct sockaddr *)&ra, sizeof(ra)));
	char buf[16] = {0};
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	show("recvfrom", recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl));
	printf("got '%s' from %s len %d\n", buf, addr_str(&from), (int)fl);
	int v = -1;
	socklen_t vl = sizeof(v);
	getsockopt(r, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl);
	printf("IPV6_V6ONLY default %d\n", v);
	close(r);
	close(s);

	/* :: takes IPv4 too; the source shows as ::ffff:127.0.0.1 */
	struct sockaddr_in6 any = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	int d = bound(AF_INET6, SOCK_DGRAM, &any, sizeof(any));
	int four = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in to = lo4(port_of(&any));
	show("v4 to v6 socket", sendto(four, "mapped", 6, 0, (struct sockaddr *)&to, sizeof(to)));
	memset(buf, 0, sizeof(buf));
	fl = sizeof(from);
	show("recvfrom", recvfrom(d, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl));
	printf("got '%s' from %s\n", buf, addr_str(&from));
	/* and answers to the mapped address */
	show("reply", sendto(d, "back", 4, 0, (struct sockaddr *)&from, fl));
	memset(buf, 0, sizeof(buf));
	fl = sizeof(from);
	show("v4 recvfrom", recvfrom(four, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl));
	printf("got '%s' from %s\n", buf, addr_str(&from));
	close(d);
	close(four);

	int only = socket(AF_INET6, SOCK_DGRAM, 0);
	v = 1;
	show("IPV6_V6ONLY 1", setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
	struct sockaddr_in6 mapped = {.sin6_family = AF_INET6};
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
	show("v6only bind mapped", bind(only, (struct sockaddr *)&mapped, sizeof(mapped)));
	close(only);
}

static void test_tcp6(void)
{
	printf("-- tcp6, dual stack\n");
	struct sockaddr_in6 la = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	int l = bound(AF_INET6, SOCK_STREAM, &la, sizeof(la));
	show("listen", listen(l, 4));
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 to6 = lo6(port_of(&la));
	show("connect ::1", connect(c6, (struct sockaddr *)&to6, sizeof(to6)));
	struct sockaddr_storage peer;
	socklen_t pl = sizeof(peer);
	int a6 = accept(l, (struct sockaddr *)&peer, &pl);
	printf("accepted from %s len %d\n", addr_str(&peer), (int)pl);
	int c4 = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in to4 = lo4(port_of(&la));
	show("connect 127.0.0.1 to ::", connect(c4, (struct sockaddr *)&to4, sizeof(to4)));
	pl = sizeof(peer);
	int a4 = accept(l, (struct sockaddr *)&peer, &pl);
	printf("accepted from %s len %d\n", addr_str(&peer), (int)pl);
	struct sockaddr_storage me;
	socklen_t ml = sizeof(me);
	getsockname(a4, (struct sockaddr *)&me, &ml);
	printf("accepted local %s\n", addr_str(&me));
	show("send v4", send(c4, "via4", 4, 0));
	char buf[8] = {0};
	show("recv v6 side", recv(a4, buf, sizeof(buf), 0));
	printf("got '%s'\n", buf);
	show("send v6", send(a6, "via6", 4, 0));
	memset(buf, 0, sizeof(buf));
	show("recv", recv(c6, buf, sizeof(buf), 0));
	printf("got '%s'\n", buf);
	close(a4);
	close(a6);
	close(c4);
	close(c6);
	close(l);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_udp4();
	test_udp6();
	test_tcp6();
	return 0;
}
