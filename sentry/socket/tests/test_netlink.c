/* Unit tests for AF_NETLINK / NETLINK_ROUTE (sentry/socket/netlink.c,
 * rtnetlink.c, netif.c), driven through the socket syscalls of a
 * VFS-fixture task (app addresses are Sentry pointers): socket and bind
 * rules, the link/address/route dumps parsed back, "doit" requests and
 * their acks, EPERM for changes, MSG_PEEK/MSG_TRUNC, poll, overrun, and
 * hostile messages (bad lengths, truncated attributes, random bytes). */
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <net/if.h>
#include <sys/ioctl.h>

#include "sentry/socket/ifioctl.h"
#include "sentry/socket/netif.h"
#include "sentry/socket/netlink.h"
#include "sentry/socket/socket.h"
#include "sentry/tests/harness.h"

static int setup(void **state)
{
	if (netlink_register() < 0)
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

static int nlsock(struct task *t)
{
	int fd = (int)sc(t, SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_ROUTE, 0, 0,
			 0);
	assert_true(fd >= 0);
	return fd;
}

static int cls(struct task *t, int fd)
{
	return fdt_close(t->fdt, fd);
}

static ssize_t snd(struct task *t, int fd, const void *buf, size_t len)
{
	return sc(t, SYS_sendto, fd, P(buf), len, 0, 0, 0);
}

static ssize_t rcv(struct task *t, int fd, void *buf, size_t len, int flags)
{
	return sc(t, SYS_recvfrom, fd, P(buf), len, flags, 0, 0);
}

static uint32_t poll_fd_events(struct task *t, int fd)
{
	struct file *f = fdt_get_file(t->fdt, fd);
	assert_non_null(f);
	uint32_t m = file_poll(f, NULL);
	file_put(f);
	return m;
}

/* A request: header, family header of hdrlen bytes, then raw attribute
 * bytes. */
struct req {
	struct nlmsghdr h;
	unsigned char body[512];
};

static size_t mkreq(struct req *r, int type, int flags, const void *hdr, size_t hdrlen,
		    const void *attrs, size_t alen)
{
	memset(r, 0, sizeof(*r));
	r->h.nlmsg_type = (uint16_t)type;
	r->h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	r->h.nlmsg_seq = 42;
	if (hdrlen)
		memcpy(r->body, hdr, hdrlen);
	if (alen)
		memcpy(r->body + NLMSG_ALIGN(hdrlen), attrs, alen);
	r->h.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen) + alen);
	return r->h.nlmsg_len;
}

static void request(struct task *t, int fd, int type, int flags, const void *hdr, size_t hdrlen)
{
	struct req r;
	size_t n = mkreq(&r, type, flags, hdr, hdrlen, NULL, 0);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
}

/* Every message of every datagram until NLMSG_DONE or an NLMSG_ERROR (or
 * nothing more queued), appended to out. */
static size_t collect(struct task *t, int fd, unsigned char *out, size_t cap)
{
	size_t used = 0;
	for (;;) {
		ssize_t n = rcv(t, fd, out + used, cap - used, 0);
		if (n == -EAGAIN)
			return used;
		assert_true(n > 0);
		size_t start = used;
		used += (size_t)n;
		for (struct nlmsghdr *h = (void *)(out + start); NLMSG_OK(h, (int)(used - start));
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				return used;
	}
}

static const struct rtattr *find_attr(const struct nlmsghdr *h, size_t hdrlen, int type)
{
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(hdrlen));
	for (const struct rtattr *a = (const void *)((const char *)NLMSG_DATA(h) +
						     NLMSG_ALIGN(hdrlen));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

static int ack_error(const unsigned char *buf, size_t len)
{
	const struct nlmsghdr *h = (const void *)buf;
	assert_true(len >= NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	assert_int_equal(h->nlmsg_type, NLMSG_ERROR);
	return ((const struct nlmsgerr *)NLMSG_DATA(h))->error;
}

/* ---------------------------------------------------------------- sockets */

static void test_socket_types_and_protocols(void **state)
{
	struct task *t = T(state);
	assert_int_equal(sc(t, SYS_socket, AF_NETLINK, SOCK_STREAM, 0, 0, 0, 0), -ESOCKTNOSUPPORT);
	assert_int_equal(sc(t, SYS_socket, AF_NETLINK, SOCK_RAW, 32, 0, 0, 0), -EPROTONOSUPPORT);
	assert_int_equal(sc(t, SYS_socket, AF_NETLINK, SOCK_RAW, NETLINK_AUDIT, 0, 0, 0),
			 -EPROTONOSUPPORT);
	int a = (int)sc(t, SYS_socket, AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE, 0, 0, 0);
	assert_true(a >= 0);
	cls(t, a);
	int sv[2];
	assert_int_equal(sc(t, SYS_socketpair, AF_NETLINK, SOCK_RAW, 0, P(sv), 0, 0), -EOPNOTSUPP);
	int fd = nlsock(t);
	assert_int_equal(sc(t, SYS_listen, fd, 1, 0, 0, 0, 0), -EOPNOTSUPP);
	cls(t, fd);
}

static uint32_t nl_pid(struct task *t, int fd, int peer)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);
	assert_int_equal(sc(t, peer ? SYS_getpeername : SYS_getsockname, fd, P(&sa), P(&len), 0, 0,
			    0),
			 0);
	assert_int_equal(len, sizeof(sa));
	assert_int_equal(sa.nl_family, AF_NETLINK);
	return sa.nl_pid;
}

static void test_bind_autobind_and_conflicts(void **state)
{
	struct task *t = T(state);
	int a = nlsock(t), b = nlsock(t), c = nlsock(t);
	assert_int_equal(nl_pid(t, a, 0), 0); /* unbound */
	assert_int_equal(nl_pid(t, a, 1), 0); /* the kernel is the default peer */
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_pid = 7777};
	assert_int_equal(sc(t, SYS_bind, a, P(&sa), sizeof(sa) - 1, 0, 0, 0), -EINVAL);
	sa.nl_family = AF_INET;
	assert_int_equal(sc(t, SYS_bind, a, P(&sa), sizeof(sa), 0, 0, 0), -EINVAL);
	sa.nl_family = AF_NETLINK;
	assert_int_equal(sc(t, SYS_bind, a, P(&sa), sizeof(sa), 0, 0, 0), 0);
	assert_int_equal(nl_pid(t, a, 0), 7777);
	assert_int_equal(sc(t, SYS_bind, b, P(&sa), sizeof(sa), 0, 0, 0), -EADDRINUSE);
	/* Bound already: only the same id again. */
	assert_int_equal(sc(t, SYS_bind, a, P(&sa), sizeof(sa), 0, 0, 0), 0);
	sa.nl_pid = 0;
	assert_int_equal(sc(t, SYS_bind, a, P(&sa), sizeof(sa), 0, 0, 0), -EINVAL);
	/* Autobind at bind and at the first send. */
	assert_int_equal(sc(t, SYS_bind, b, P(&sa), sizeof(sa), 0, 0, 0), 0);
	uint32_t pb = nl_pid(t, b, 0);
	assert_true(pb != 0 && pb != 7777);
	request(t, c, RTM_GETLINK, NLM_F_DUMP, &(struct rtgenmsg){AF_UNSPEC}, 1);
	uint32_t pc = nl_pid(t, c, 0);
	assert_true(pc != 0 && pc != pb);
	/* Groups anyone may join on NETLINK_ROUTE. */
	sa.nl_pid = pb;
	sa.nl_groups = RTMGRP_LINK;
	assert_int_equal(sc(t, SYS_bind, b, P(&sa), sizeof(sa), 0, 0, 0), 0);
	struct sockaddr_nl got;
	socklen_t len = sizeof(got);
	assert_int_equal(sc(t, SYS_getsockname, b, P(&got), P(&len), 0, 0, 0), 0);
	assert_int_equal(got.nl_groups, RTMGRP_LINK);
	cls(t, a);
	cls(t, b);
	cls(t, c);
	/* The id is free again once its socket is closed. */
	a = nlsock(t);
	sa = (struct sockaddr_nl){.nl_family = AF_NETLINK, .nl_pid = 7777};
	assert_int_equal(sc(t, SYS_bind, a, P(&sa), sizeof(sa), 0, 0, 0), 0);
	cls(t, a);
}

static void test_connect_and_sends_to_other_sockets(void **state)
{
	struct task *t = T(state);
	int a = nlsock(t), b = nlsock(t);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_pid = 5001};
	assert_int_equal(sc(t, SYS_bind, b, P(&sa), sizeof(sa), 0, 0, 0), 0);
	/* Root (CAP_NET_ADMIN) may talk to another socket. */
	assert_int_equal(sc(t, SYS_connect, a, P(&sa), sizeof(sa), 0, 0, 0), 0);
	assert_int_equal(nl_pid(t, a, 1), 5001);
	assert_int_equal(snd(t, a, "hello", 5), 5);
	char buf[16];
	struct sockaddr_nl from;
	socklen_t flen = sizeof(from);
	assert_int_equal(sc(t, SYS_recvfrom, b, P(buf), sizeof(buf), 0, P(&from), P(&flen)), 5);
	assert_int_equal(from.nl_pid, nl_pid(t, a, 0));
	sa.nl_pid = 5999; /* nobody */
	assert_int_equal(sc(t, SYS_sendto, a, P("x"), 1, 0, P(&sa), sizeof(sa)), -ECONNREFUSED);
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	assert_int_equal(sc(t, SYS_connect, a, P(&unspec), sizeof(unspec), 0, 0, 0), 0);
	assert_int_equal(nl_pid(t, a, 1), 0);
	/* Without CAP_NET_ADMIN: EPERM, as NETLINK_ROUTE has no NONROOT_SEND. */
	uint64_t caps = t->creds->cap_effective;
	t->creds->cap_effective = 0;
	sa.nl_pid = 5001;
	assert_int_equal(sc(t, SYS_connect, a, P(&sa), sizeof(sa), 0, 0, 0), -EPERM);
	assert_int_equal(sc(t, SYS_sendto, a, P("x"), 1, 0, P(&sa), sizeof(sa)), -EPERM);
	t->creds->cap_effective = caps;
	cls(t, a);
	cls(t, b);
}

/* ---------------------------------------------------------------- dumps */

static void test_link_dump_shows_lo(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	assert_int_equal(poll_fd_events(t, fd) & POLLIN, 0);
	request(t, fd, RTM_GETLINK, NLM_F_DUMP, &(struct ifinfomsg){.ifi_family = AF_UNSPEC},
		sizeof(struct ifinfomsg));
	unsigned char buf[16384];
	size_t n = collect(t, fd, buf, sizeof(buf));
	int links = 0, done = 0;
	uint32_t me = nl_pid(t, fd, 0);
	for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
		assert_int_equal(h->nlmsg_seq, 42);
		assert_int_equal(h->nlmsg_pid, me);
		assert_true(h->nlmsg_flags & NLM_F_MULTI);
		if (h->nlmsg_type == NLMSG_DONE) {
			done++;
			assert_int_equal(*(int *)NLMSG_DATA(h), 0);
			continue;
		}
		assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
		struct ifinfomsg *ifi = NLMSG_DATA(h);
		assert_int_equal(ifi->ifi_index, 1);
		assert_int_equal(ifi->ifi_type, 772); /* ARPHRD_LOOPBACK */
		assert_int_equal(ifi->ifi_flags, 0x10049); /* UP LOOPBACK RUNNING LOWER_UP */
		const struct rtattr *a = find_attr(h, sizeof(*ifi), IFLA_IFNAME);
		assert_non_null(a);
		assert_string_equal(RTA_DATA(a), "lo");
		a = find_attr(h, sizeof(*ifi), IFLA_MTU);
		assert_non_null(a);
		assert_int_equal(*(uint32_t *)RTA_DATA(a), 65536);
		assert_non_null(find_attr(h, sizeof(*ifi), IFLA_ADDRESS));
		assert_non_null(find_attr(h, sizeof(*ifi), IFLA_STATS64));
		links++;
	}
	assert_int_equal(links, 1);
	assert_int_equal(done, 1);
	cls(t, fd);
}

struct addr_seen {
	int v4, v6;
};

static struct addr_seen dump_addrs(struct task *t, int fd, int family)
{
	request(t, fd, RTM_GETADDR, NLM_F_DUMP, &(struct ifaddrmsg){.ifa_family = (uint8_t)family},
		sizeof(struct ifaddrmsg));
	unsigned char buf[16384];
	size_t n = collect(t, fd, buf, sizeof(buf));
	struct addr_seen s = {0};
	for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_DONE)
			break;
		assert_int_equal(h->nlmsg_type, RTM_NEWADDR);
		struct ifaddrmsg *ifa = NLMSG_DATA(h);
		assert_int_equal(ifa->ifa_index, 1);
		assert_int_equal(ifa->ifa_scope, RT_SCOPE_HOST);
		const struct rtattr *a = find_attr(h, sizeof(*ifa), IFA_ADDRESS);
		assert_non_null(a);
		if (ifa->ifa_family == AF_INET) {
			assert_int_equal(ifa->ifa_prefixlen, 8);
			assert_memory_equal(RTA_DATA(a), "\x7f\0\0\x01", 4);
			a = find_attr(h, sizeof(*ifa), IFA_LABEL);
			assert_non_null(a);
			assert_string_equal(RTA_DATA(a), "lo");
			s.v4++;
		} else {
			assert_int_equal(ifa->ifa_family, AF_INET6);
			assert_int_equal(ifa->ifa_prefixlen, 128);
			assert_memory_equal(RTA_DATA(a), &in6addr_loopback, 16);
			s.v6++;
		}
		assert_non_null(find_attr(h, sizeof(*ifa), IFA_CACHEINFO));
	}
	return s;
}

static void test_addr_dump_per_family(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	struct addr_seen s = dump_addrs(t, fd, AF_UNSPEC);
	assert_int_equal(s.v4, 1);
	assert_int_equal(s.v6, 1);
	s = dump_addrs(t, fd, AF_INET);
	assert_int_equal(s.v4, 1);
	assert_int_equal(s.v6, 0);
	s = dump_addrs(t, fd, AF_INET6);
	assert_int_equal(s.v4, 0);
	assert_int_equal(s.v6, 1);
	cls(t, fd);
}

static void test_route_dump_is_linux_local_table(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	request(t, fd, RTM_GETROUTE, NLM_F_DUMP, &(struct rtmsg){.rtm_family = AF_UNSPEC},
		sizeof(struct rtmsg));
	unsigned char buf[16384];
	size_t n = collect(t, fd, buf, sizeof(buf));
	char got[512] = "";
	for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type == NLMSG_DONE)
			break;
		assert_int_equal(h->nlmsg_type, RTM_NEWROUTE);
		struct rtmsg *rtm = NLMSG_DATA(h);
		const struct rtattr *dst = find_attr(h, sizeof(*rtm), RTA_DST);
		assert_non_null(dst);
		const unsigned char *d = RTA_DATA(dst);
		char line[96];
		snprintf(line, sizeof(line), "%d:%u.%u/%d t%d s%d p%d;", rtm->rtm_type, d[0],
			 d[rtm->rtm_family == AF_INET ? 3 : 15], rtm->rtm_dst_len, rtm->rtm_table,
			 rtm->rtm_scope, rtm->rtm_protocol);
		strcat(got, line);
	}
	/* local 127.0.0.0/8, local 127.0.0.1, broadcast 127.255.255.255, local ::1 */
	assert_string_equal(got, "2:127.0/8 t255 s254 p2;2:127.1/32 t255 s254 p2;"
				 "3:127.255/32 t255 s253 p2;2:0.1/128 t255 s0 p2;");
	cls(t, fd);
}

static void test_dump_is_split_by_the_readers_buffer(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	/* Ten dumps of addresses answered in turn, each ending in NLMSG_DONE. */
	for (int i = 0; i < 10; i++) {
		struct addr_seen s = dump_addrs(t, fd, AF_UNSPEC);
		assert_int_equal(s.v4 + s.v6, 2);
	}
	/* A reader with a small buffer sees MSG_TRUNC; MSG_PEEK|MSG_TRUNC
	 * gives the datagram's whole length first, as glibc reads it. */
	request(t, fd, RTM_GETLINK, NLM_F_DUMP, &(struct rtgenmsg){AF_UNSPEC}, 1);
	char small[32];
	ssize_t whole = rcv(t, fd, small, sizeof(small), MSG_PEEK | MSG_TRUNC);
	assert_true(whole > (ssize_t)sizeof(small));
	struct iovec io = {.iov_base = small, .iov_len = sizeof(small)};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	assert_int_equal(sc(t, SYS_recvmsg, fd, P(&mh), 0, 0, 0, 0), sizeof(small));
	assert_true(mh.msg_flags & MSG_TRUNC);
	assert_int_equal(rcv(t, fd, small, sizeof(small), 0), -EAGAIN);
	cls(t, fd);
}

static void test_rule_dump_default_rules(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	static const struct {
		int family, rules, done;
	} cases[] = {{AF_UNSPEC, 5, 0}, {AF_INET, 3, 0}, {AF_INET6, 2, 0}, {AF_BRIDGE, 0, -EAFNOSUPPORT}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned char frh[12] = {(unsigned char)cases[i].family};
		request(t, fd, RTM_GETRULE, NLM_F_DUMP, frh, sizeof(frh));
		unsigned char buf[8192];
		size_t n = collect(t, fd, buf, sizeof(buf));
		int rules = 0, done = 1;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE)
				done = *(int *)NLMSG_DATA(h);
			else if (h->nlmsg_type == RTM_NEWRULE)
				rules++;
		}
		assert_int_equal(rules, cases[i].rules);
		assert_int_equal(done, cases[i].done);
	}
	cls(t, fd);
}

/* ---------------------------------------------------------------- doit and acks */

static void test_getlink_by_name_and_index_with_ack(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	unsigned char attrs[8] = {7, 0, IFLA_IFNAME, 0, 'l', 'o', 0, 0};
	struct req r;
	size_t n = mkreq(&r, RTM_GETLINK, NLM_F_ACK, &(struct ifinfomsg){0},
			 sizeof(struct ifinfomsg), attrs, 8);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	unsigned char buf[8192];
	ssize_t got = rcv(t, fd, buf, sizeof(buf), 0);
	assert_true(got > 0);
	struct nlmsghdr *h = (void *)buf;
	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	assert_int_equal(h->nlmsg_flags & NLM_F_MULTI, 0);
	assert_int_equal(((struct ifinfomsg *)NLMSG_DATA(h))->ifi_index, 1);
	/* then the ack, in its own datagram, capped to the request's header */
	got = rcv(t, fd, buf, sizeof(buf), 0);
	assert_int_equal(got, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	assert_int_equal(ack_error(buf, (size_t)got), 0);
	assert_int_equal(h->nlmsg_flags, NLM_F_CAPPED);
	struct nlmsgerr *e = NLMSG_DATA(h);
	assert_int_equal(e->msg.nlmsg_len, n);
	assert_int_equal(e->msg.nlmsg_seq, 42);
	/* by index; a missing one is ENODEV with the request echoed */
	request(t, fd, RTM_GETLINK, 0, &(struct ifinfomsg){.ifi_index = 1},
		sizeof(struct ifinfomsg));
	assert_true(rcv(t, fd, buf, sizeof(buf), 0) > 0);
	assert_int_equal(h->nlmsg_type, RTM_NEWLINK);
	request(t, fd, RTM_GETLINK, 0, &(struct ifinfomsg){.ifi_index = 99},
		sizeof(struct ifinfomsg));
	got = rcv(t, fd, buf, sizeof(buf), 0);
	assert_int_equal(ack_error(buf, (size_t)got), -ENODEV);
	assert_int_equal(got, NLMSG_LENGTH(sizeof(struct nlmsgerr)) + sizeof(struct ifinfomsg));
	assert_int_equal(h->nlmsg_flags, 0);
	/* neither index nor name: EINVAL; short header: EINVAL */
	request(t, fd, RTM_GETLINK, 0, &(struct ifinfomsg){0}, sizeof(struct ifinfomsg));
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EINVAL);
	request(t, fd, RTM_GETLINK, 0, "\0\0\0", 4);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EINVAL);
	cls(t, fd);
}

static void test_route_get(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	unsigned char attrs[8] = {8, 0, RTA_DST, 0, 127, 0, 0, 1};
	struct req r;
	size_t n = mkreq(&r, RTM_GETROUTE, 0, &(struct rtmsg){.rtm_family = AF_INET},
			 sizeof(struct rtmsg), attrs, 8);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	unsigned char buf[4096];
	assert_true(rcv(t, fd, buf, sizeof(buf), 0) > 0);
	struct nlmsghdr *h = (void *)buf;
	assert_int_equal(h->nlmsg_type, RTM_NEWROUTE);
	struct rtmsg *rtm = NLMSG_DATA(h);
	assert_int_equal(rtm->rtm_type, RTN_LOCAL);
	const struct rtattr *a = find_attr(h, sizeof(*rtm), RTA_OIF);
	assert_non_null(a);
	assert_int_equal(*(uint32_t *)RTA_DATA(a), 1);
	a = find_attr(h, sizeof(*rtm), RTA_PREFSRC);
	assert_non_null(a);
	assert_memory_equal(RTA_DATA(a), "\x7f\0\0\x01", 4);
	/* 8.8.8.8: only lo here, so no route */
	attrs[4] = attrs[5] = attrs[6] = attrs[7] = 8;
	n = mkreq(&r, RTM_GETROUTE, 0, &(struct rtmsg){.rtm_family = AF_INET},
		  sizeof(struct rtmsg), attrs, 8);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -ENETUNREACH);
	cls(t, fd);
}

static void test_changes_are_eperm_and_unknown_types_eopnotsupp(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	unsigned char buf[4096];
	uint64_t caps = t->creds->cap_effective;
	t->creds->cap_effective = 0;
	static const int changes[] = {RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE,
				      RTM_NEWLINK, RTM_SETLINK, RTM_NEWNEIGH};
	for (size_t i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		request(t, fd, changes[i], NLM_F_ACK | NLM_F_CREATE,
			&(struct ifaddrmsg){.ifa_family = AF_INET}, sizeof(struct ifaddrmsg));
		assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EPERM);
	}
	t->creds->cap_effective = caps;
	/* With CAP_NET_ADMIN: the sandbox's interfaces still cannot change. */
	request(t, fd, RTM_NEWADDR, NLM_F_ACK, &(struct ifaddrmsg){.ifa_family = AF_INET},
		sizeof(struct ifaddrmsg));
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EOPNOTSUPP);
	request(t, fd, RTM_GETQDISC, NLM_F_DUMP, "\0\0\0", 4);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EOPNOTSUPP);
	request(t, fd, RTM_MAX + 1, 0, "\0\0\0", 4);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EOPNOTSUPP);
	/* RTM_GETADDR is a dump only for IPv4 */
	request(t, fd, RTM_GETADDR, 0, &(struct ifaddrmsg){.ifa_family = AF_INET},
		sizeof(struct ifaddrmsg));
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EOPNOTSUPP);
	/* Control messages and answers are not handled, only acked if asked. */
	request(t, fd, NLMSG_NOOP, NLM_F_ACK, NULL, 0);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), 0);
	struct req r;
	size_t n = mkreq(&r, RTM_GETLINK, NLM_F_DUMP, "\0\0\0", 4, NULL, 0);
	r.h.nlmsg_flags &= (uint16_t)~NLM_F_REQUEST;
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	assert_int_equal(rcv(t, fd, buf, sizeof(buf), 0), -EAGAIN);
	cls(t, fd);
}

static void test_strict_checks(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	int one = 1;
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, P(&one), sizeof(one),
			    0),
			 0);
	int v = 0;
	socklen_t vl = sizeof(v);
	assert_int_equal(sc(t, SYS_getsockopt, fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, P(&v),
			    P(&vl), 0),
			 0);
	assert_int_equal(v, 1);
	unsigned char buf[8192];
	/* a link dump with an index filter is refused in the DONE */
	request(t, fd, RTM_GETLINK, NLM_F_DUMP, &(struct ifinfomsg){.ifi_index = 1},
		sizeof(struct ifinfomsg));
	ssize_t n = rcv(t, fd, buf, sizeof(buf), 0);
	struct nlmsghdr *h = (void *)buf;
	assert_int_equal(h->nlmsg_type, NLMSG_DONE);
	assert_int_equal(*(int *)NLMSG_DATA(h), -EINVAL);
	assert_int_equal(n, NLMSG_LENGTH(sizeof(int)));
	/* an address dump filtered by index */
	request(t, fd, RTM_GETADDR, NLM_F_DUMP, &(struct ifaddrmsg){.ifa_index = 1},
		sizeof(struct ifaddrmsg));
	size_t got = collect(t, fd, buf, sizeof(buf));
	int msgs = 0;
	for (h = (void *)buf; NLMSG_OK(h, (int)got); h = NLMSG_NEXT(h, got)) {
		assert_true(h->nlmsg_flags & NLM_F_DUMP_FILTERED);
		msgs++;
	}
	assert_int_equal(msgs, 3);
	request(t, fd, RTM_GETADDR, NLM_F_DUMP, &(struct ifaddrmsg){.ifa_index = 9},
		sizeof(struct ifaddrmsg));
	rcv(t, fd, buf, sizeof(buf), 0);
	h = (void *)buf;
	assert_int_equal(*(int *)NLMSG_DATA(h), -ENODEV);
	/* a route dump of the main table only: empty on a loopback-only stack */
	request(t, fd, RTM_GETROUTE, NLM_F_DUMP,
		&(struct rtmsg){.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN},
		sizeof(struct rtmsg));
	n = rcv(t, fd, buf, sizeof(buf), 0);
	assert_int_equal(h->nlmsg_type, NLMSG_DONE);
	assert_true(h->nlmsg_flags & NLM_F_DUMP_FILTERED);
	cls(t, fd);
}

static void test_options(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	int v = 1;
	socklen_t vl = sizeof(v);
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_IP, 1, P(&v), sizeof(v), 0), -ENOPROTOOPT);
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_NETLINK, 99, P(&v), sizeof(v), 0),
			 -ENOPROTOOPT);
	assert_int_equal(sc(t, SYS_getsockopt, fd, SOL_NETLINK, 99, P(&v), P(&vl), 0),
			 -ENOPROTOOPT);
	v = 0;
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, P(&v),
			    sizeof(v), 0),
			 -EINVAL);
	v = RTNLGRP_IPV4_IFADDR;
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, P(&v),
			    sizeof(v), 0),
			 0);
	uint32_t groups[2] = {0};
	vl = sizeof(groups);
	assert_int_equal(sc(t, SYS_getsockopt, fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS,
			    P(groups), P(&vl), 0),
			 0);
	assert_int_equal(groups[0], 1u << (RTNLGRP_IPV4_IFADDR - 1));
	vl = 2;
	assert_int_equal(sc(t, SYS_getsockopt, fd, SOL_NETLINK, NETLINK_EXT_ACK, P(&v), P(&vl), 0),
			 -EINVAL);
	/* NETLINK_CAP_ACK: errors no longer echo the request */
	v = 1;
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_NETLINK, NETLINK_CAP_ACK, P(&v), sizeof(v),
			    0),
			 0);
	request(t, fd, RTM_GETLINK, 0, &(struct ifinfomsg){.ifi_index = 99},
		sizeof(struct ifinfomsg));
	unsigned char buf[256];
	ssize_t n = rcv(t, fd, buf, sizeof(buf), 0);
	assert_int_equal(n, NLMSG_LENGTH(sizeof(struct nlmsgerr)));
	assert_int_equal(ack_error(buf, (size_t)n), -ENODEV);
	/* NETLINK_PKTINFO adds a control message */
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_NETLINK, NETLINK_PKTINFO, P(&v), sizeof(v),
			    0),
			 0);
	request(t, fd, NLMSG_NOOP, NLM_F_ACK, NULL, 0);
	char cbuf[64];
	struct iovec io = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	assert_true(sc(t, SYS_recvmsg, fd, P(&mh), 0, 0, 0, 0) > 0);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	assert_non_null(c);
	assert_int_equal(c->cmsg_level, SOL_NETLINK);
	assert_int_equal(c->cmsg_type, NETLINK_PKTINFO);
	cls(t, fd);
}

static void test_poll_and_overrun(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	assert_int_equal(poll_fd_events(t, fd) & (POLLIN | POLLOUT), POLLOUT);
	request(t, fd, NLMSG_NOOP, NLM_F_ACK, NULL, 0);
	assert_true(poll_fd_events(t, fd) & POLLIN);
	unsigned char buf[64];
	assert_true(rcv(t, fd, buf, sizeof(buf), 0) > 0);
	/* A reader that never reads: acks are dropped past SO_RCVBUF and the
	 * loss reported once as ENOBUFS. */
	int small = 1;
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_SOCKET, SO_RCVBUF, P(&small), sizeof(small),
			    0),
			 0);
	for (int i = 0; i < 200; i++)
		request(t, fd, NLMSG_NOOP, NLM_F_ACK, NULL, 0);
	assert_true(poll_fd_events(t, fd) & POLLERR);
	int drained = 0;
	ssize_t n;
	while ((n = rcv(t, fd, buf, sizeof(buf), 0)) > 0)
		drained++;
	assert_true(drained > 0 && drained < 200);
	assert_int_equal(n, -ENOBUFS);
	assert_int_equal(rcv(t, fd, buf, sizeof(buf), 0), -EAGAIN);
	cls(t, fd);
}

/* ---------------------------------------------------------------- hostile input */

static void test_bad_lengths_are_dropped_or_refused(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	unsigned char buf[4096];
	struct req r;
	/* nlmsg_len below the header, or past the datagram: ignored silently */
	size_t n = mkreq(&r, RTM_GETLINK, NLM_F_DUMP | NLM_F_ACK, "\0\0\0", 4, NULL, 0);
	r.h.nlmsg_len = 8;
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	r.h.nlmsg_len = 4000;
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	assert_int_equal(snd(t, fd, &r, 3), 3);
	assert_int_equal(rcv(t, fd, buf, sizeof(buf), 0), -EAGAIN);
	/* an empty payload (no rtgenmsg): nothing but the ack asked for */
	n = mkreq(&r, RTM_GETLINK, NLM_F_ACK, NULL, 0, NULL, 0);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), 0);
	/* an attribute longer than the message, in strict mode: EINVAL */
	int one = 1;
	assert_int_equal(sc(t, SYS_setsockopt, fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, P(&one), sizeof(one),
			    0),
			 0);
	unsigned char bad[8] = {200, 0, IFLA_IFNAME, 0, 'l', 'o', 0, 0};
	n = mkreq(&r, RTM_GETLINK, 0, &(struct ifinfomsg){0}, sizeof(struct ifinfomsg), bad, 8);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EINVAL);
	/* a name too long for IFNAMSIZ: ERANGE */
	unsigned char longname[24] = {21, 0, IFLA_IFNAME, 0};
	memset(longname + 4, 'x', 17);
	n = mkreq(&r, RTM_GETLINK, 0, &(struct ifinfomsg){0}, sizeof(struct ifinfomsg), longname,
		  24);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -ERANGE);
	/* a route lookup whose RTA_DST is short: EINVAL */
	unsigned char sdst[8] = {6, 0, RTA_DST, 0, 127, 0, 0, 0};
	n = mkreq(&r, RTM_GETROUTE, 0, &(struct rtmsg){.rtm_family = AF_INET},
		  sizeof(struct rtmsg), sdst, 8);
	assert_int_equal(snd(t, fd, &r, n), (ssize_t)n);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EINVAL);
	/* bigger than the send buffer: EMSGSIZE */
	size_t huge = 300000;
	unsigned char *hb = calloc(1, huge);
	assert_int_equal(snd(t, fd, hb, huge), -EMSGSIZE);
	free(hb);
	/* bad addresses */
	struct sockaddr_nl sa = {.nl_family = AF_INET};
	assert_int_equal(sc(t, SYS_sendto, fd, P(&r), n, 0, P(&sa), sizeof(sa)), -EINVAL);
	assert_int_equal(sc(t, SYS_sendto, fd, P(&r), n, 0, P(&sa), 4), -EINVAL);
	assert_int_equal(sc(t, SYS_sendto, fd, P(&r), n, MSG_OOB, 0, 0), -EOPNOTSUPP);
	cls(t, fd);
}

static void test_random_datagrams_never_crash(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	unsigned char msg[600], buf[65536];
	uint32_t x = 12345;
	for (int round = 0; round < 3000; round++) {
		size_t len = 16 + (x % 580);
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			msg[i] = (unsigned char)(x >> 16);
		}
		/* Mostly plausible headers, so the handlers see the garbage. */
		struct nlmsghdr h = {.nlmsg_len = (uint32_t)(round % 3 ? len : x % 1024),
				     .nlmsg_type = (uint16_t)(RTM_BASE + (x >> 8) % 80),
				     .nlmsg_flags = (uint16_t)(NLM_F_REQUEST | ((x >> 4) & 0x3ff))};
		memcpy(msg, &h, sizeof(h));
		if (round % 2) {
			int one = round % 4 == 1;
			sc(t, SYS_setsockopt, fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, P(&one), sizeof(one),
			   0);
		}
		assert_int_equal(snd(t, fd, msg, len), (ssize_t)len);
		while (rcv(t, fd, buf, sizeof(buf), 0) > 0)
			;
	}
	cls(t, fd);
}

/* ---------------------------------------------------------------- /proc/net and ioctls */

static void test_proc_net_files(void **state)
{
	size_t len;
	char *s = netif_proc_dev(T(state), &len);
	assert_non_null(s);
	assert_int_equal(len, strlen(s));
	assert_non_null(strstr(s, " face |bytes    packets errs drop fifo frame compressed "
				  "multicast|bytes    packets errs drop fifo colls carrier compressed\n"));
	assert_non_null(strstr(s, "\n    lo:       0       0    0    0    0     0          0         "
				  "0        0       0    0    0    0     0       0          0\n"));
	free(s);
	s = netif_proc_if_inet6(T(state), &len);
	assert_non_null(s);
	assert_string_equal(s, "00000000000000000000000000000001 01 80 10 80       lo\n");
	free(s);
	s = netif_proc_route(T(state), &len);
	assert_non_null(s);
	assert_int_equal(len, 128); /* the header only: lo's routes are all local */
	assert_true(strncmp(s, "Iface\tDestination\tGateway \tFlags", 32) == 0);
	free(s);
	s = netif_proc_igmp(T(state), &len);
	assert_non_null(s);
	assert_string_equal(s, "Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n"
			       "1\tlo        :     1      V3\n"
			       "\t\t\t\t010000E0     1 0:00000000\t\t0\n");
	free(s);
	s = netif_proc_igmp6(T(state), &len);
	assert_non_null(s);
	assert_string_equal(s, "1    lo              ff020000000000000000000000000001     1 0000000C 0\n"
			       "1    lo              ff010000000000000000000000000001     1 00000008 0\n");
	free(s);
	s = netif_proc_ipv6_route(T(state), &len);
	assert_non_null(s);
	assert_non_null(strstr(s, "00000000000000000000000000000001 80 "
				  "00000000000000000000000000000000 00 "
				  "00000000000000000000000000000000 00000000 00000002 00000000 "
				  "80200001       lo\n"));
	free(s);
}

static int64_t sioc(struct task *t, int fd, unsigned int cmd, void *arg)
{
	struct file *f = fdt_get_file(t->fdt, fd);
	assert_non_null(f);
	int64_t r = file_ioctl(t, f, cmd, P(arg));
	file_put(f);
	return r;
}

static void test_interface_ioctls(void **state)
{
	struct task *t = T(state);
	socket_set_ifioctl(ifioctl);
	int fd = nlsock(t);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	assert_int_equal(sioc(t, fd, SIOCGIFFLAGS, &ifr), 0);
	assert_int_equal((unsigned short)ifr.ifr_flags, 0x49);
	assert_int_equal(sioc(t, fd, SIOCGIFINDEX, &ifr), 0);
	assert_int_equal(ifr.ifr_ifindex, 1);
	assert_int_equal(sioc(t, fd, SIOCGIFMTU, &ifr), 0);
	assert_int_equal(ifr.ifr_mtu, 65536);
	assert_int_equal(sioc(t, fd, SIOCGIFHWADDR, &ifr), 0);
	assert_int_equal(ifr.ifr_hwaddr.sa_family, 772);
	/* IPv4 ones only on AF_INET sockets */
	assert_int_equal(sioc(t, fd, SIOCGIFADDR, &ifr), -ENOTTY);
	ifr.ifr_ifindex = 1;
	assert_int_equal(sioc(t, fd, SIOCGIFNAME, &ifr), 0);
	assert_string_equal(ifr.ifr_name, "lo");
	ifr.ifr_ifindex = 9;
	assert_int_equal(sioc(t, fd, SIOCGIFNAME, &ifr), -ENODEV);
	strcpy(ifr.ifr_name, "eth0");
	assert_int_equal(sioc(t, fd, SIOCGIFFLAGS, &ifr), -ENODEV);
	/* a name without its NUL is cut at IFNAMSIZ - 1 */
	memset(ifr.ifr_name, 'l', IFNAMSIZ);
	assert_int_equal(sioc(t, fd, SIOCGIFINDEX, &ifr), -ENODEV);
	struct ifreq reqs[4];
	struct ifconf ifc = {.ifc_len = 0, .ifc_buf = NULL};
	assert_int_equal(sioc(t, fd, SIOCGIFCONF, &ifc), 0);
	assert_int_equal(ifc.ifc_len, sizeof(struct ifreq));
	ifc.ifc_len = sizeof(reqs);
	ifc.ifc_req = reqs;
	assert_int_equal(sioc(t, fd, SIOCGIFCONF, &ifc), 0);
	assert_int_equal(ifc.ifc_len, sizeof(struct ifreq));
	assert_string_equal(reqs[0].ifr_name, "lo");
	/* changes: EPERM without CAP_NET_ADMIN, EOPNOTSUPP with it */
	strcpy(ifr.ifr_name, "lo");
	assert_int_equal(sioc(t, fd, SIOCSIFMTU, &ifr), -EOPNOTSUPP);
	uint64_t caps = t->creds->cap_effective;
	t->creds->cap_effective = 0;
	assert_int_equal(sioc(t, fd, SIOCSIFMTU, &ifr), -EPERM);
	t->creds->cap_effective = caps;
	assert_int_equal(sioc(t, fd, 0x89ff, &ifr), -ENOTTY);
	cls(t, fd);
}

/* ---------------------------------------------------------------- a bigger stack */

static struct ns_stack *big_stack;

static struct ns_stack *big_stack_get(void)
{
	return big_stack;
}

static uint64_t zero_now(void *ctx)
{
	return 0;
}

static void no_ready(void *ctx, struct ns_endpoint *ep, void *user, uint32_t events)
{
}

static const struct ns_stack_ops big_ops = {.now = zero_now, .ready = no_ready};

/* lo, eth0 (172.17.0.2/16, default via 172.17.0.1) and 14 more interfaces:
 * a link dump of more than one datagram. */
static int big_setup(void **state)
{
	big_stack = ns_stack_new(&big_ops, NULL, 1);
	if (!big_stack || ns_stack_setup_loopback(big_stack) < 0)
		return -1;
	for (int i = 0; i < 15; i++) {
		struct link_endpoint *l = ns_loopback_new(1500, 0);
		snprintf(l->name, sizeof(l->name), i ? "dummy%d" : "eth0", i);
		l->flags = 0;
		l->type = NS_LINK_ETHERNET;
		l->hwaddr[0] = 0x02;
		l->hwaddr[5] = (uint8_t)i;
		if (ns_stack_add_nic(big_stack, l) < 0) {
			ns_link_destroy(l);
			return -1;
		}
	}
	uint8_t a[4] = {172, 17, 0, 2}, net[4] = {0}, gw[4] = {172, 17, 0, 1};
	if (ns_stack_add_addr(big_stack, 2, AF_INET, a, 16) < 0 ||
	    ns_stack_add_route(big_stack, AF_INET, net, 0, gw, 2, 0) < 0)
		return -1;
	netif_set_stack_source(big_stack_get);
	return setup(state);
}

static int big_teardown(void **state)
{
	netif_set_stack_source(NULL);
	ns_stack_destroy(big_stack);
	big_stack = NULL;
	return fx_teardown(state);
}

static void test_big_link_dump_is_paced_by_the_reader(void **state)
{
	struct task *t = T(state);
	int fd = nlsock(t);
	request(t, fd, RTM_GETLINK, NLM_F_DUMP, &(struct rtgenmsg){AF_UNSPEC}, 1);
	/* While it runs, a second dump is EBUSY (Linux's cb_running). */
	request(t, fd, RTM_GETADDR, NLM_F_DUMP, &(struct rtgenmsg){AF_UNSPEC}, 1);
	static unsigned char buf[65536];
	int links = 0, done = 0, datagrams = 0, busy = 0;
	ssize_t n;
	size_t bufsize = 4096;
	while ((n = rcv(t, fd, buf, bufsize, 0)) > 0) {
		datagrams++;
		assert_true((size_t)n <= bufsize);
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == RTM_NEWLINK)
				links++;
			else if (h->nlmsg_type == NLMSG_DONE)
				done++;
			else if (h->nlmsg_type == NLMSG_ERROR)
				busy += ack_error((void *)h, h->nlmsg_len) == -EBUSY;
		}
		bufsize = sizeof(buf); /* later parts fill the bigger buffer */
	}
	assert_int_equal(links, 16);
	assert_int_equal(done, 1);
	assert_int_equal(busy, 1);
	assert_true(datagrams >= 2);
	cls(t, fd);
}

static void test_routes_of_an_ethernet_interface(void **state)
{
	struct netif_route *r;
	int n = netif_routes(&r);
	assert_true(n > 0);
	char got[1024] = "";
	for (int i = 0; i < n; i++) {
		if (r[i].family != AF_INET)
			continue;
		char line[128];
		snprintf(line, sizeof(line), "t%d ty%d p%d s%d %u.%u.%u.%u/%d gw%d src%u if%d;",
			 r[i].table, r[i].type, r[i].protocol, r[i].scope, r[i].dst[0], r[i].dst[1],
			 r[i].dst[2], r[i].dst[3], r[i].dst_len, r[i].has_gateway,
			 r[i].has_prefsrc ? r[i].prefsrc[3] : 0, r[i].ifindex);
		strcat(got, line);
	}
	free(r);
	/* main: default via 172.17.0.1 (proto boot), 172.17.0.0/16 proto kernel
	 * scope link src .2; local: lo's three, then 172.17.0.2 and the
	 * subnet's broadcast */
	assert_string_equal(got, "t254 ty1 p3 s0 0.0.0.0/0 gw1 src0 if2;"
				 "t254 ty1 p2 s253 172.17.0.0/16 gw0 src2 if2;"
				 "t255 ty2 p2 s254 127.0.0.0/8 gw0 src1 if1;"
				 "t255 ty2 p2 s254 127.0.0.1/32 gw0 src1 if1;"
				 "t255 ty3 p2 s253 127.255.255.255/32 gw0 src1 if1;"
				 "t255 ty2 p2 s254 172.17.0.2/32 gw0 src2 if2;"
				 "t255 ty3 p2 s253 172.17.255.255/32 gw0 src2 if2;");
	size_t len;
	char *s = netif_proc_route(T(state), &len);
	assert_non_null(strstr(s, "\neth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0"));
	assert_non_null(strstr(s, "\neth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0"));
	free(s);
}

static void test_sock_diag_dumps_tcp_sockets(void **state)
{
	struct task *t = T(state);
	struct ns_endpoint *l;
	assert_int_equal(ns_ep_create(big_stack, AF_INET, SOCK_STREAM, 0, &l), 0);
	ns_ep_set_owner(l, 1000, 4242);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(9191),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(ns_ep_bind(l, (struct sockaddr *)&a, sizeof(a), 0), 0);
	assert_int_equal(ns_ep_listen(l, 7), 0);
	int fd = (int)sc(t, SYS_socket, AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK, NETLINK_SOCK_DIAG, 0,
			 0, 0);
	assert_true(fd >= 0);
	struct inet_diag_req_v2 req = {.sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP,
				       .idiag_states = ~0u};
	request(t, fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
	unsigned char buf[8192];
	size_t n = collect(t, fd, buf, sizeof(buf));
	int rows = 0;
	for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
		if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY)
			continue;
		struct inet_diag_msg *m = NLMSG_DATA(h);
		assert_int_equal(m->idiag_family, AF_INET);
		assert_int_equal(m->idiag_state, 10 /* TCP_LISTEN */);
		assert_int_equal(ntohs(m->id.idiag_sport), 9191);
		assert_int_equal(m->id.idiag_src[0], htonl(INADDR_LOOPBACK));
		assert_int_equal(m->idiag_uid, 1000);
		assert_int_equal(m->idiag_inode, 4242);
		rows++;
	}
	assert_int_equal(rows, 1);
	/* only established ones: none */
	req.idiag_states = 1u << 1;
	request(t, fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
	n = collect(t, fd, buf, sizeof(buf));
	assert_int_equal(((struct nlmsghdr *)buf)->nlmsg_type, NLMSG_DONE);
	/* unix: no diag here (ss reads /proc/net/unix); one socket: EOPNOTSUPP */
	req.sdiag_family = AF_UNIX;
	request(t, fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req));
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -ENOENT);
	req.sdiag_family = AF_INET;
	request(t, fd, SOCK_DIAG_BY_FAMILY, 0, &req, sizeof(req));
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EOPNOTSUPP);
	request(t, fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, 2);
	assert_int_equal(ack_error(buf, (size_t)rcv(t, fd, buf, sizeof(buf), 0)), -EINVAL);
	cls(t, fd);
	ns_ep_close(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T_(fn) cmocka_unit_test_setup_teardown(fn, setup, fx_teardown)
		T_(test_socket_types_and_protocols),
		T_(test_bind_autobind_and_conflicts),
		T_(test_connect_and_sends_to_other_sockets),
		T_(test_link_dump_shows_lo),
		T_(test_addr_dump_per_family),
		T_(test_route_dump_is_linux_local_table),
		T_(test_dump_is_split_by_the_readers_buffer),
		T_(test_rule_dump_default_rules),
		T_(test_getlink_by_name_and_index_with_ack),
		T_(test_route_get),
		T_(test_changes_are_eperm_and_unknown_types_eopnotsupp),
		T_(test_strict_checks),
		T_(test_options),
		T_(test_poll_and_overrun),
		T_(test_bad_lengths_are_dropped_or_refused),
		T_(test_random_datagrams_never_crash),
		T_(test_proc_net_files),
		T_(test_interface_ioctls),
		cmocka_unit_test_setup_teardown(test_big_link_dump_is_paced_by_the_reader, big_setup,
						big_teardown),
		cmocka_unit_test_setup_teardown(test_routes_of_an_ethernet_interface, big_setup,
						big_teardown),
		cmocka_unit_test_setup_teardown(test_sock_diag_dumps_tcp_sockets, big_setup,
						big_teardown),
#undef T_
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
