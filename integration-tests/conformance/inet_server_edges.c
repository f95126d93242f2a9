/* Conformance: the socket options and edge cases real servers use, over
 * loopback.  SO_REUSEPORT with two listeners, TCP Fast Open as Linux's
 * default (net.ipv4.tcp_fastopen = 1: the options taken, no cookie, so
 * MSG_FASTOPEN connects then sends), TCP_DEFER_ACCEPT (accept
 * waits for the first data), SO_LINGER 0 (the peer sees a reset), accept4 flags, names after a connect to 127.0.0.2, a large
 * sendfile and splice to a socket, IP_PKTINFO and IPV6_RECVPKTINFO on UDP
 * (receive, and a reply from the address asked, as dnsmasq does),
 * IPV6_RECVHOPLIMIT (ping -6), IP_TOS on an AF_INET6 socket (Erlang), SO_BINDTODEVICE and SO_BINDTOIFINDEX,
 * IP_RECVERR and IPV6_RECVERR as glibc's resolver sets them (an ICMP error
 * on an unconnected socket then reaches it), a listen backlog overflow.
 * conformance: fresh-netns */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r < 0 ? -1L : r, r < 0 ? strerror(errno) : "");
}

static struct sockaddr_in in4(const char *ip, unsigned short port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static unsigned short port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

static int tcp_listener(const char *ip, unsigned short port, int backlog, int reuseport)
{
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (reuseport)
		setsockopt(l, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	struct sockaddr_in a = in4(ip, port);
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0) {
		show("bind", -1);
		close(l);
		return -1;
	}
	if (listen(l, backlog) < 0)
		show("listen", -1);
	return l;
}

static int tcp_connect(const char *ip, unsigned short port)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = in4(ip, port);
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		show("connect", -1);
	return c;
}

static void reuseport(void)
{
	int a = tcp_listener("127.0.0.1", 0, 64, 1);
	unsigned short port = port_of(a);
	int b = tcp_listener("127.0.0.1", port, 64, 1);
	printf("reuseport second listener: %s\n", b >= 0 ? "ok" : "refused");
	int c = tcp_listener("127.0.0.1", port, 64, 0);
	printf("third listener without SO_REUSEPORT: %s\n", c >= 0 ? "ok" : "refused");
	if (c >= 0)
		close(c);
	int conns[32], got_a = 0, got_b = 0;
	for (int i = 0; i < 32; i++)
		conns[i] = tcp_connect("127.0.0.1", port);
	usleep(100000);
	fcntl(a, F_SETFL, O_NONBLOCK);
	fcntl(b, F_SETFL, O_NONBLOCK);
	int s;
	while ((s = accept(a, NULL, NULL)) >= 0) {
		got_a++;
		close(s);
	}
	while ((s = accept(b, NULL, NULL)) >= 0) {
		got_b++;
		close(s);
	}
	printf("reuseport accepted in all: %d, both listeners got some: %s\n", got_a + got_b,
	       got_a > 0 && got_b > 0 ? "yes" : "no");
	/* One listener closed: the other takes every new connection. */
	close(a);
	int d = tcp_connect("127.0.0.1", port);
	struct pollfd p = {.fd = b, .events = POLLIN};
	show("after one closes, the other is readable", poll(&p, 1, 2000));
	for (int i = 0; i < 32; i++)
		close(conns[i]);
	close(d);
	close(b);
}

static void fastopen(void)
{
	int l = tcp_listener("127.0.0.1", 0, 16, 0), qlen = 5, v = 0;
	socklen_t len = sizeof(v);
	show("setsockopt TCP_FASTOPEN 5", setsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &qlen, sizeof(qlen)));
	show("getsockopt TCP_FASTOPEN", getsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &v, &len));
	printf("  value %d\n", v);
	struct sockaddr_in a = in4("127.0.0.1", port_of(l));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	long n = sendto(c, "hello", 5, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a));
	show("sendto MSG_FASTOPEN", n);
	if (n < 0) { /* what a client does when it is refused */
		connect(c, (struct sockaddr *)&a, sizeof(a));
		write(c, "hello", 5);
	}
	int s = accept(l, NULL, NULL);
	char buf[16] = {0};
	show("server reads", recv(s, buf, 5, MSG_WAITALL));
	printf("  data %s\n", buf);
	close(s);
	close(c);

	c = socket(AF_INET, SOCK_STREAM, 0);
	int one = 1;
	show("setsockopt TCP_FASTOPEN_CONNECT",
	     setsockopt(c, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &one, sizeof(one)));
	v = 0;
	len = sizeof(v);
	getsockopt(c, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &v, &len);
	printf("  value %d\n", v);
	show("connect with TCP_FASTOPEN_CONNECT", connect(c, (struct sockaddr *)&a, sizeof(a)));
	show("write", write(c, "world", 5));
	struct tcp_info ti;
	len = sizeof(ti);
	getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len);
	printf("  state %d\n", ti.tcpi_state);
	s = accept(l, NULL, NULL);
	memset(buf, 0, sizeof(buf));
	show("server reads", recv(s, buf, 5, MSG_WAITALL));
	printf("  data %s\n", buf);
	close(s);
	close(c);
	/* Non-blocking: no cookie, so the SYN goes alone (EINPROGRESS). */
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	show("non-blocking sendto MSG_FASTOPEN",
	     sendto(c, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a)));
	struct pollfd p = {.fd = c, .events = POLLOUT};
	poll(&p, 1, 2000);
	show("then sendto MSG_FASTOPEN again (connected)",
	     sendto(c, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&a, sizeof(a)));
	show("then send", send(c, "y", 1, 0));
	s = accept(l, NULL, NULL);
	memset(buf, 0, sizeof(buf));
	show("server reads", recv(s, buf, 1, MSG_WAITALL));
	printf("  data %s\n", buf);
	close(s);
	close(c);
	c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in un = {.sin_family = AF_UNSPEC};
	show("sendto MSG_FASTOPEN AF_UNSPEC",
	     sendto(c, "x", 1, MSG_FASTOPEN, (struct sockaddr *)&un, sizeof(un)));
	v = -1;
	show("setsockopt TCP_FASTOPEN -1", setsockopt(l, IPPROTO_TCP, TCP_FASTOPEN, &v, sizeof(v)));
	close(c);
	close(l);
}

static void defer_accept(void)
{
	int l = tcp_listener("127.0.0.1", 0, 16, 0), secs = 5, v = 0;
	socklen_t len = sizeof(v);
	show("setsockopt TCP_DEFER_ACCEPT 5",
	     setsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs)));
	getsockopt(l, IPPROTO_TCP, TCP_DEFER_ACCEPT, &v, &len);
	printf("  getsockopt gives %d\n", v);
	int c = tcp_connect("127.0.0.1", port_of(l));
	struct pollfd p = {.fd = l, .events = POLLIN};
	show("listener readable before data", poll(&p, 1, 300));
	write(c, "x", 1);
	show("listener readable after data", poll(&p, 1, 2000));
	int s = accept(l, NULL, NULL);
	char ch = 0;
	show("first byte there at accept", recv(s, &ch, 1, MSG_DONTWAIT));
	close(s);
	close(c);
	close(l);
}

static void linger_zero(void)
{
	int l = tcp_listener("127.0.0.1", 0, 16, 0);
	int c = tcp_connect("127.0.0.1", port_of(l));
	int s = accept(l, NULL, NULL);
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	show("SO_LINGER 0", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	close(s);
	usleep(100000);
	char buf[8];
	show("peer read after reset", read(c, buf, sizeof(buf)));
	show("peer read again", read(c, buf, sizeof(buf)));
	close(c);
	close(l);
}

static void accept_flags_and_names(void)
{
	int l = tcp_listener("0.0.0.0", 0, 16, 0);
	fcntl(l, F_SETFL, O_NONBLOCK);
	int c = tcp_connect("127.0.0.2", port_of(l));
	struct pollfd p = {.fd = l, .events = POLLIN};
	poll(&p, 1, 2000);
	int s = accept(l, NULL, NULL);
	printf("accept from a non-blocking listener: O_NONBLOCK %s, FD_CLOEXEC %s\n",
	       fcntl(s, F_GETFL) & O_NONBLOCK ? "set" : "clear",
	       fcntl(s, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	char ip[32];
	getsockname(s, (struct sockaddr *)&a, &len);
	printf("server side local %s\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)));
	len = sizeof(a);
	getpeername(s, (struct sockaddr *)&a, &len);
	printf("server side peer %s\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)));
	len = sizeof(a);
	getsockname(c, (struct sockaddr *)&a, &len);
	printf("client side local %s\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)));
	len = sizeof(a);
	getpeername(c, (struct sockaddr *)&a, &len);
	printf("client side peer %s\n", inet_ntop(AF_INET, &a.sin_addr, ip, sizeof(ip)));
	close(s);
	close(c);
	c = tcp_connect("127.0.0.1", port_of(l));
	poll(&p, 1, 2000);
	s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	printf("accept4 NONBLOCK|CLOEXEC: O_NONBLOCK %s, FD_CLOEXEC %s\n",
	       fcntl(s, F_GETFL) & O_NONBLOCK ? "set" : "clear",
	       fcntl(s, F_GETFD) & FD_CLOEXEC ? "set" : "clear");
	close(s);
	close(c);
	show("accept4 bad flag", accept4(l, NULL, NULL, 0x1));
	close(l);
}

#define BIG (8 << 20)

static void *drain(void *arg)
{
	int fd = *(int *)arg;
	static char buf[65536];
	long total = 0, n;
	unsigned sum = 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (long i = 0; i < n; i++)
			sum = sum * 31 + (unsigned char)buf[i];
		total += n;
	}
	printf("  receiver got %ld bytes, sum %08x\n", total, sum);
	return NULL;
}

static void big_sendfile_splice(const char *dir)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/edges-big", dir);
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char *chunk = malloc(1 << 20);
	for (int i = 0; i < (1 << 20); i++)
		chunk[i] = (char)(i * 7 + i / 4096);
	for (int i = 0; i < BIG >> 20; i++)
		write(f, chunk, 1 << 20);
	free(chunk);

	int l = tcp_listener("127.0.0.1", 0, 16, 0);
	int c = tcp_connect("127.0.0.1", port_of(l));
	int s = accept(l, NULL, NULL);
	pthread_t t;
	pthread_create(&t, NULL, drain, &c);
	off_t off = 0;
	long total = 0, n;
	while (total < BIG && (n = sendfile(s, f, &off, BIG - total)) > 0)
		total += n;
	printf("sendfile 8 MiB to a socket: %ld, offset %ld\n", total, (long)off);
	shutdown(s, SHUT_WR);
	pthread_join(t, NULL);
	close(s);
	close(c);

	/* splice file -> pipe -> socket */
	c = tcp_connect("127.0.0.1", port_of(l));
	s = accept(l, NULL, NULL);
	pthread_create(&t, NULL, drain, &c);
	int pp[2];
	pipe(pp);
	loff_t in_off = 0;
	total = 0;
	while (total < BIG) {
		n = splice(f, &in_off, pp[1], NULL, BIG - total, SPLICE_F_MORE);
		if (n <= 0)
			break;
		long m = 0, k;
		while (m < n && (k = splice(pp[0], NULL, s, NULL, n - m, SPLICE_F_MORE)) > 0)
			m += k;
		if (m < n)
			break;
		total += n;
	}
	printf("splice 8 MiB file->pipe->socket: %ld\n", total);
	shutdown(s, SHUT_WR);
	pthread_join(t, NULL);

	/* splice socket -> pipe */
	write(c, "spliced-in", 10);
	n = splice(s, NULL, pp[1], NULL, 64, 0);
	show("splice socket->pipe", n);
	char buf[16] = {0};
	if (n > 0)
		read(pp[0], buf, n);
	printf("  pipe holds %s\n", buf);
	close(pp[0]);
	close(pp[1]);
	close(s);
	close(c);
	close(l);
	close(f);
	unlink(path);
}

static void pktinfo4(void)
{
	int srv = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in a = in4("0.0.0.0", 0);
	bind(srv, (struct sockaddr *)&a, sizeof(a));
	show("IP_PKTINFO on", setsockopt(srv, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)));
	unsigned short port = port_of(srv);
	int cli = socket(AF_INET, SOCK_DGRAM, 0);
	struct timeval tv = {.tv_sec = 2};
	setsockopt(cli, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	const char *dsts[] = {"127.0.0.1", "127.0.0.2"};
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in d = in4(dsts[i], port);
		sendto(cli, "q", 1, 0, (struct sockaddr *)&d, sizeof(d));
		char buf[8], cbuf[256];
		struct sockaddr_in from;
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
				   .msg_iovlen = 1, .msg_control = cbuf,
				   .msg_controllen = sizeof(cbuf)};
		long n = recvmsg(srv, &m, 0);
		show("recvmsg", n);
		int found = 0;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
			if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;
				memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
				char s1[32], s2[32];
				printf("  pktinfo ifindex %d spec_dst %s addr %s\n", pi.ipi_ifindex,
				       inet_ntop(AF_INET, &pi.ipi_spec_dst, s1, sizeof(s1)),
				       inet_ntop(AF_INET, &pi.ipi_addr, s2, sizeof(s2)));
				found = 1;
				/* Answer from the address asked (as dnsmasq does). */
				char rc[CMSG_SPACE(sizeof(struct in_pktinfo))] = {0};
				struct msghdr r = {.msg_name = &from, .msg_namelen = sizeof(from),
						   .msg_iov = &iov, .msg_iovlen = 1,
						   .msg_control = rc, .msg_controllen = sizeof(rc)};
				iov.iov_len = 1;
				struct cmsghdr *rm = CMSG_FIRSTHDR(&r);
				rm->cmsg_level = IPPROTO_IP;
				rm->cmsg_type = IP_PKTINFO;
				rm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
				struct in_pktinfo out = {.ipi_ifindex = 0, .ipi_spec_dst = pi.ipi_addr};
				memcpy(CMSG_DATA(rm), &out, sizeof(out));
				show("  sendmsg with IP_PKTINFO", sendmsg(srv, &r, 0));
				iov.iov_len = sizeof(buf);
			}
		}
		if (!found)
			printf("  no IP_PKTINFO\n");
		struct sockaddr_in rf;
		socklen_t rl = sizeof(rf);
		char s3[32];
		n = recvfrom(cli, buf, sizeof(buf), 0, (struct sockaddr *)&rf, &rl);
		show("  client gets answer", n);
		if (n > 0)
			printf("  answer from %s\n", inet_ntop(AF_INET, &rf.sin_addr, s3, sizeof(s3)));
	}
	int v = 0;
	socklen_t vl = sizeof(v);
	getsockopt(srv, IPPROTO_IP, IP_PKTINFO, &v, &vl);
	printf("getsockopt IP_PKTINFO %d\n", v);
	close(cli);
	close(srv);
}

static void pktinfo6(void)
{
	int srv = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any};
	bind(srv, (struct sockaddr *)&a, sizeof(a));
	show("IPV6_RECVPKTINFO on",
	     setsockopt(srv, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)));
	socklen_t len = sizeof(a);
	getsockname(srv, (struct sockaddr *)&a, &len);
	int cli = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 d = {.sin6_family = AF_INET6, .sin6_port = a.sin6_port,
				 .sin6_addr = in6addr_loopback};
	show("send to ::1", sendto(cli, "q", 1, 0, (struct sockaddr *)&d, sizeof(d)));
	char buf[8], cbuf[256];
	struct sockaddr_in6 from;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			   .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct timeval tv = {.tv_sec = 2};
	setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	show("recvmsg", recvmsg(srv, &m, 0));
	int found = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level == IPPROTO_IPV6 && cm->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(cm), sizeof(pi));
			char s[64];
			printf("  in6_pktinfo ifindex %d addr %s\n", pi.ipi6_ifindex,
			       inet_ntop(AF_INET6, &pi.ipi6_addr, s, sizeof(s)));
			found = 1;
			char rc[CMSG_SPACE(sizeof(struct in6_pktinfo))] = {0};
			struct msghdr r = {.msg_name = &from, .msg_namelen = sizeof(from),
					   .msg_iov = &iov, .msg_iovlen = 1, .msg_control = rc,
					   .msg_controllen = sizeof(rc)};
			iov.iov_len = 1;
			struct cmsghdr *rm = CMSG_FIRSTHDR(&r);
			rm->cmsg_level = IPPROTO_IPV6;
			rm->cmsg_type = IPV6_PKTINFO;
			rm->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			struct in6_pktinfo out = {.ipi6_addr = pi.ipi6_addr};
			memcpy(CMSG_DATA(rm), &out, sizeof(out));
			show("  sendmsg with IPV6_PKTINFO", sendmsg(srv, &r, 0));
		}
	}
	if (!found)
		printf("  no IPV6_PKTINFO\n");
	struct pollfd p = {.fd = cli, .events = POLLIN};
	show("  client gets answer", poll(&p, 1, 2000));
	/* A v4-mapped datagram on a dual-stack socket with both options. */
	setsockopt(srv, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	int c4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d4 = in4("127.0.0.1", ntohs(a.sin6_port));
	sendto(c4, "q", 1, 0, (struct sockaddr *)&d4, sizeof(d4));
	m.msg_controllen = sizeof(cbuf);
	m.msg_namelen = sizeof(from);
	iov.iov_len = sizeof(buf);
	show("recvmsg v4-mapped", recvmsg(srv, &m, 0));
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		printf("  cmsg level %d type %d len %zu\n", cm->cmsg_level, cm->cmsg_type,
		       (size_t)cm->cmsg_len);
	close(c4);
	close(cli);
	close(srv);
}

/* IP_TOS on an AF_INET6 socket: Linux keeps it apart from IPV6_TCLASS,
 * for the socket's IPv4 traffic; Erlang's inet driver copies it onto each
 * accepted socket of a [::] listener and drops the connection if refused. */
static void tos_on_inet6(void)
{
	int l6 = socket(AF_INET6, SOCK_STREAM, 0), v = 0x10, got = -1;
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any};
	bind(l6, (struct sockaddr *)&a6, sizeof(a6));
	listen(l6, 4);
	socklen_t len = sizeof(a6);
	getsockname(l6, (struct sockaddr *)&a6, &len);
	show("IP_TOS 0x10 on an AF_INET6 listener", setsockopt(l6, SOL_IP, IP_TOS, &v, sizeof(v)));
	len = sizeof(got);
	getsockopt(l6, SOL_IP, IP_TOS, &got, &len);
	printf("  IP_TOS %#x\n", got);
	len = sizeof(got);
	getsockopt(l6, SOL_IPV6, IPV6_TCLASS, &got, &len);
	printf("  IPV6_TCLASS %#x\n", got);
	int c = tcp_connect("127.0.0.1", ntohs(a6.sin6_port));
	int s = accept(l6, NULL, NULL);
	len = sizeof(got);
	show("accepted (v4-mapped) getsockopt IP_TOS", getsockopt(s, SOL_IP, IP_TOS, &got, &len));
	printf("  IP_TOS %#x\n", got);
	v = 0x28;
	show("accepted setsockopt IP_TOS 0x28", setsockopt(s, SOL_IP, IP_TOS, &v, sizeof(v)));
	close(s);
	close(c);
	close(l6);
	/* A datagram from an AF_INET6 socket to an IPv4 peer carries it. */
	int r = socket(AF_INET, SOCK_DGRAM, 0), one = 1;
	struct sockaddr_in ra = in4("127.0.0.1", 0);
	bind(r, (struct sockaddr *)&ra, sizeof(ra));
	setsockopt(r, SOL_IP, IP_RECVTOS, &one, sizeof(one));
	int u6 = socket(AF_INET6, SOCK_DGRAM, 0);
	v = 0x48;
	setsockopt(u6, SOL_IP, IP_TOS, &v, sizeof(v));
	struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_port = htons(port_of(r))};
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &to.sin6_addr);
	sendto(u6, "t", 1, 0, (struct sockaddr *)&to, sizeof(to));
	char buf[4], cbuf[64];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct timeval tv = {.tv_sec = 2};
	setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	show("v4-mapped datagram", recvmsg(r, &m, 0));
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm))
		printf("  cmsg level %d type %d tos %#x\n", cm->cmsg_level, cm->cmsg_type,
		       *(unsigned char *)CMSG_DATA(cm));
	close(u6);
	close(r);
}


/* IPV6_RECVHOPLIMIT (ping -6 sets it and fails without it): the hop limit
 * as IPV6_HOPLIMIT, before IPV6_TCLASS. */
static void hoplimit6(void)
{
	int srv = socket(AF_INET6, SOCK_DGRAM, 0), one = 1, v = 0;
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = in6addr_loopback};
	bind(srv, (struct sockaddr *)&a, sizeof(a));
	show("IPV6_RECVHOPLIMIT on",
	     setsockopt(srv, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one)));
	setsockopt(srv, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
	socklen_t len = sizeof(v);
	getsockopt(srv, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &v, &len);
	printf("  getsockopt %d\n", v);
	len = sizeof(a);
	getsockname(srv, (struct sockaddr *)&a, &len);
	int cli = socket(AF_INET6, SOCK_DGRAM, 0), hops = 9;
	setsockopt(cli, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops));
	sendto(cli, "h", 1, 0, (struct sockaddr *)&a, sizeof(a));
	char buf[8], cbuf[256];
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof(cbuf)};
	struct timeval tv = {.tv_sec = 2};
	setsockopt(srv, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	show("recvmsg", recvmsg(srv, &m, 0));
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		int x;
		memcpy(&x, CMSG_DATA(cm), sizeof(x));
		printf("  cmsg level %d type %d value %d\n", cm->cmsg_level, cm->cmsg_type, x);
	}
	close(cli);
	close(srv);
}


/* glibc's res_send (__res_enable_icmp) sets IP_RECVERR / IPV6_RECVERR on
 * each query socket and fails the lookup when it cannot. */
static void recverr(void)
{
	int one = 1, v = 0;
	socklen_t len = sizeof(v);
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	show("IP_RECVERR on", setsockopt(s, SOL_IP, IP_RECVERR, &one, sizeof(one)));
	getsockopt(s, SOL_IP, IP_RECVERR, &v, &len);
	printf("  getsockopt %d\n", v);
	/* A closed port (not the sender's own): the port unreachable reaches
	 * an unconnected socket. */
	struct sockaddr_in a = in4("127.0.0.1", 0);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	int tmp = socket(AF_INET, SOCK_DGRAM, 0);
	bind(tmp, (struct sockaddr *)&a, sizeof(a));
	a = in4("127.0.0.1", port_of(tmp));
	close(tmp);
	show("sendto a closed port", sendto(s, "x", 1, 0, (struct sockaddr *)&a, sizeof(a)));
	struct pollfd p = {.fd = s, .events = POLLIN};
	int n = poll(&p, 1, 2000);
	printf("  poll %d POLLERR %s\n", n, p.revents & POLLERR ? "set" : "clear");
	char b;
	show("  recv", recv(s, &b, 1, MSG_DONTWAIT));
	close(s);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	/* iputils ping sets these on its ICMP datagram socket and warns
	 * without them. */
	int p2 = socket(AF_INET, SOCK_DGRAM, 0);
	show("IP_RETOPTS on", setsockopt(p2, SOL_IP, IP_RETOPTS, &one, sizeof(one)));
	show("IP_RECVOPTS on", setsockopt(p2, SOL_IP, IP_RECVOPTS, &one, sizeof(one)));
	v = 0;
	len = sizeof(v);
	getsockopt(p2, SOL_IP, IP_RETOPTS, &v, &len);
	printf("  getsockopt IP_RETOPTS %d\n", v);
	close(p2);
	show("IPV6_RECVERR on", setsockopt(s, SOL_IPV6, IPV6_RECVERR, &one, sizeof(one)));
	v = 0;
	len = sizeof(v);
	getsockopt(s, SOL_IPV6, IPV6_RECVERR, &v, &len);
	printf("  getsockopt %d\n", v);
	close(s);
}

static void bindtodevice(void)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	show("SO_BINDTODEVICE lo", setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3));
	char name[IFNAMSIZ] = {0};
	socklen_t len = sizeof(name);
	show("getsockopt SO_BINDTODEVICE", getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len));
	printf("  name '%s' len %u\n", name, len);
	int idx = -1;
	len = sizeof(idx);
	show("getsockopt SO_BINDTOIFINDEX", getsockopt(s, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, &len));
	printf("  index %d\n", idx);
	show("SO_BINDTODEVICE nosuch0", setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "nosuch0", 8));
	show("SO_BINDTODEVICE empty", setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "", 0));
	len = sizeof(name);
	memset(name, 'x', sizeof(name));
	getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len);
	printf("  after unbind len %u\n", len);
	/* Bound to lo, traffic over lo still flows. */
	setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3);
	struct sockaddr_in a = in4("127.0.0.1", 0);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	int c = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in d = in4("127.0.0.1", port_of(s));
	sendto(c, "z", 1, 0, (struct sockaddr *)&d, sizeof(d));
	char b;
	struct pollfd p = {.fd = s, .events = POLLIN};
	show("bound-to-lo socket receives", poll(&p, 1, 2000) > 0 ? recv(s, &b, 1, 0) : -1);
	close(c);
	close(s);
	s = socket(AF_INET, SOCK_STREAM, 0);
	idx = 1;
	show("SO_BINDTOIFINDEX 1 (TCP)", setsockopt(s, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, sizeof(idx)));
	len = sizeof(name);
	getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len);
	printf("  name '%s'\n", name);
	len = 4;
	show("getsockopt SO_BINDTODEVICE short buffer",
	     getsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, name, &len));
	idx = 999;
	show("SO_BINDTOIFINDEX 999", setsockopt(s, SOL_SOCKET, SO_BINDTOIFINDEX, &idx, sizeof(idx)));
	close(s);
}

static void backlog_overflow(void)
{
	int l = tcp_listener("127.0.0.1", 0, 1, 0);
	struct sockaddr_in a = in4("127.0.0.1", port_of(l));
	int c[6], connected = 0;
	for (int i = 0; i < 6; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		connect(c[i], (struct sockaddr *)&a, sizeof(a));
	}
	usleep(300000);
	for (int i = 0; i < 6; i++) {
		struct pollfd p = {.fd = c[i], .events = POLLOUT};
		if (poll(&p, 1, 0) > 0 && (p.revents & POLLOUT))
			connected++;
	}
	printf("backlog 1, 6 connects: %d established at once\n", connected);
	fcntl(l, F_SETFL, O_NONBLOCK);
	int accepted = 0, s;
	for (int round = 0; round < 40 && accepted < 3; round++) {
		while ((s = accept(l, NULL, NULL)) >= 0) {
			accepted++;
			close(s);
		}
		usleep(200000);
	}
	printf("all accepted in the end: %s\n", accepted >= 3 ? "at least 3" : "fewer");
	for (int i = 0; i < 6; i++)
		close(c[i]);
	close(l);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char sysctl[8] = "";
	int fd = open("/proc/sys/net/ipv4/tcp_fastopen", O_RDONLY);
	if (fd >= 0 && read(fd, sysctl, sizeof(sysctl) - 1) > 0)
		printf("net.ipv4.tcp_fastopen %s", sysctl);
	if (fd >= 0)
		close(fd);
	const char *dir = argc > 1 ? argv[1] : "/tmp";
	/* A fresh namespace natively: bring lo up. */
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr = {0};
	strcpy(ifr.ifr_name, "lo");
	ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	usleep(100000);
	reuseport();
	fastopen();
	defer_accept();
	linger_zero();
	accept_flags_and_names();
	big_sendfile_splice(dir);
	pktinfo4();
	pktinfo6();
	hoplimit6();
	tos_on_inet6();
	recverr();
	bindtodevice();
	backlog_overflow();
	return 0;
}
