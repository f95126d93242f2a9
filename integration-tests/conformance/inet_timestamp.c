/* Conformance: SO_TIMESTAMP and SO_TIMESTAMPNS (old and new forms) on
 * loopback datagram sockets (UDP; ping's ICMP sockets take the same path):
 * getsockopt reports each form as Linux's sk_getsockopt, a receive carries
 * one SCM_TIMESTAMP* control message of the form asked for, before IP_TTL,
 * with the arrival time (here: within a second of the receive).  ping reads
 * the reply's arrival from it. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#endif

static void opts(int fd, const char *what)
{
	static const int names[] = {29, 35, SO_TIMESTAMP_NEW, SO_TIMESTAMPNS_NEW};
	printf("%s: getsockopt", what);
	for (int i = 0; i < 4; i++) {
		int v = -1;
		socklen_t l = sizeof(v);
		getsockopt(fd, SOL_SOCKET, names[i], &v, &l);
		printf(" %d=%d", names[i], v);
	}
	printf("\n");
}

static void recv_one(int r, int s, const struct sockaddr_in *a, const char *what)
{
	sendto(s, "x", 1, 0, (const struct sockaddr *)a, sizeof(*a));
	char data[16];
	union {
		char buf[256];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {data, sizeof(data)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	ssize_t n = recvmsg(r, &mh, 0);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	printf("%s: %zd bytes:", what, n);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		size_t len = c->cmsg_len - CMSG_LEN(0);
		printf(" [level %d type %d len %zu", c->cmsg_level, c->cmsg_type, len);
		if (c->cmsg_level == SOL_SOCKET && len == 16) {
			int64_t v[2];
			memcpy(v, CMSG_DATA(c), sizeof(v));
			int ns = c->cmsg_type == 35 || c->cmsg_type == SO_TIMESTAMPNS_NEW;
			double t = (double)v[0] + (double)v[1] / (ns ? 1e9 : 1e6);
			double d = (double)now.tv_sec + now.tv_nsec / 1e9 - t;
			printf(" %s, %s", v[1] < (ns ? 1000000000 : 1000000) ? "in range" : "bad fraction",
			       d >= 0 && d < 1 ? "arrival within 1s" : "off");
		}
		printf("]");
	}
	printf("\n");
}

int main(void)
{
	int r = socket(AF_INET, SOCK_DGRAM, 0), s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof(a);
	if (bind(r, (struct sockaddr *)&a, sizeof(a)) < 0 || getsockname(r, (struct sockaddr *)&a, &al) < 0)
		printf("bind: %s\n", strerror(errno));
	int one = 1, zero = 0;
	opts(r, "default");
	recv_one(r, s, &a, "none");
	printf("SO_TIMESTAMP: %d\n", setsockopt(r, SOL_SOCKET, 29, &one, sizeof(one)));
	opts(r, "SO_TIMESTAMP");
	recv_one(r, s, &a, "SO_TIMESTAMP");
	setsockopt(r, SOL_IP, IP_RECVTTL, &one, sizeof(one));
	recv_one(r, s, &a, "SO_TIMESTAMP+IP_RECVTTL");
	printf("SO_TIMESTAMPNS: %d\n", setsockopt(r, SOL_SOCKET, 35, &one, sizeof(one)));
	opts(r, "SO_TIMESTAMPNS");
	recv_one(r, s, &a, "SO_TIMESTAMPNS");
	printf("SO_TIMESTAMP_NEW: %d\n", setsockopt(r, SOL_SOCKET, SO_TIMESTAMP_NEW, &one, sizeof(one)));
	opts(r, "SO_TIMESTAMP_NEW");
	recv_one(r, s, &a, "SO_TIMESTAMP_NEW");
	printf("SO_TIMESTAMPNS_NEW: %d\n",
	       setsockopt(r, SOL_SOCKET, SO_TIMESTAMPNS_NEW, &one, sizeof(one)));
	opts(r, "SO_TIMESTAMPNS_NEW");
	recv_one(r, s, &a, "SO_TIMESTAMPNS_NEW");
	printf("off: %d\n", setsockopt(r, SOL_SOCKET, SO_TIMESTAMPNS_NEW, &zero, sizeof(zero)));
	opts(r, "off");
	recv_one(r, s, &a, "off");
	return 0;
}
