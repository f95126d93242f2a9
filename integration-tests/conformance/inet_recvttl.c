/* Conformance: the control messages of a datagram receive on loopback:
 * IP_RECVTTL gives IP_TTL (an int, the sender's IP_TTL), IP_RECVTOS gives
 * IP_TOS (one byte), in that order; IPV6_RECVTCLASS gives IPV6_TCLASS;
 * none without the options; MSG_CTRUNC when the buffer is too small or
 * absent.  (ping prints the reply's ttl from IP_TTL.) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void show(int fd, const char *what, size_t ctlroom)
{
	char data[64];
	union {
		char buf[256];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {data, sizeof(data)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (ctlroom) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = ctlroom;
	}
	ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0) {
		printf("%s: recvmsg: %s\n", what, strerror(errno));
		return;
	}
	printf("%s: %zd bytes, flags%s, controllen %zu:", what, n,
	       (mh.msg_flags & MSG_CTRUNC) ? " CTRUNC" : "", (size_t)mh.msg_controllen);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t len = c->cmsg_len - CMSG_LEN(0);
		int v = len >= sizeof(int) ? *(int *)CMSG_DATA(c) : *(unsigned char *)CMSG_DATA(c);
		printf(" [level %d type %d len %zu value %d]", c->cmsg_level, c->cmsg_type, len, v);
	}
	printf("\n");
}

static int one = 1;

int main(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (bind(r, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(r, (struct sockaddr *)&a, &al) < 0)
		printf("bind: %s\n", strerror(errno));
	int ttl = 33, tos = 0x10;
	setsockopt(s, SOL_IP, IP_TTL, &ttl, sizeof(ttl));
	setsockopt(s, SOL_IP, IP_TOS, &tos, sizeof(tos));
	sendto(s, "plain", 5, 0, (struct sockaddr *)&a, sizeof(a));
	show(r, "no options", 256);
	printf("IP_RECVTTL: %d\n", setsockopt(r, SOL_IP, IP_RECVTTL, &one, sizeof(one)));
	sendto(s, "ttl", 3, 0, (struct sockaddr *)&a, sizeof(a));
	show(r, "IP_RECVTTL", 256);
	printf("IP_RECVTOS: %d\n", setsockopt(r, SOL_IP, IP_RECVTOS, &one, sizeof(one)));
	sendto(s, "both", 4, 0, (struct sockaddr *)&a, sizeof(a));
	show(r, "IP_RECVTTL+IP_RECVTOS", 256);
	sendto(s, "small", 5, 0, (struct sockaddr *)&a, sizeof(a));
	show(r, "room for one", CMSG_SPACE(sizeof(int)));
	sendto(s, "none", 4, 0, (struct sockaddr *)&a, sizeof(a));
	show(r, "no control buffer", 0);
	close(r);
	close(s);

	r = socket(AF_INET6, SOCK_DGRAM, 0);
	s = socket(AF_INET6, SOCK_DGRAM, 0);
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	al = sizeof(a6);
	if (bind(r, (struct sockaddr *)&a6, sizeof(a6)) < 0 ||
	    getsockname(r, (struct sockaddr *)&a6, &al) < 0) {
		printf("bind ::1: %s\n", strerror(errno));
		return 0;
	}
	int tclass = 0x20;
	setsockopt(s, SOL_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
	printf("IPV6_RECVTCLASS: %d\n", setsockopt(r, SOL_IPV6, IPV6_RECVTCLASS, &one, sizeof(one)));
	sendto(s, "six", 3, 0, (struct sockaddr *)&a6, sizeof(a6));
	show(r, "IPV6_RECVTCLASS", 256);
	return 0;
}
