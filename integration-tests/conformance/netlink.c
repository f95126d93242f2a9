/* Conformance: NETLINK_ROUTE sockets, as `ip`, getifaddrs() and glibc's
 * getaddrinfo(AI_ADDRCONFIG) use them: socket/bind/getsockname rules, the
 * link, address and route dumps (fields that do not vary between runs),
 * "doit" requests and their acks, route lookups, strict checking, errors,
 * MSG_PEEK/MSG_TRUNC, NETLINK_SOCK_DIAG dumps of TCP and UDP sockets (as
 * ss asks), getifaddrs, if_nameindex and getaddrinfo.
 *
 * conformance: fresh-netns
 * (natively it runs in a new network namespace, where it brings lo up:
 * what the sandbox shows.) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/capability.h>
#include <linux/fib_rules.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static int nl(void)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0) {
		perror("socket");
		exit(1);
	}
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static uint32_t my_pid(int fd)
{
	struct sockaddr_nl sa;
	socklen_t len = sizeof(sa);
	getsockname(fd, (struct sockaddr *)&sa, &len);
	return sa.nl_pid;
}

static void send_req(int fd, int type, int flags, const void *hdr, size_t hdrlen,
		     const void *attrs, size_t alen)
{
	struct {
		struct nlmsghdr h;
		unsigned char body[256];
	} r;
	memset(&r, 0, sizeof(r));
	r.h.nlmsg_type = (uint16_t)type;
	r.h.nlmsg_flags = (uint16_t)(NLM_F_REQUEST | flags);
	r.h.nlmsg_seq = 7;
	if (hdrlen)
		memcpy(r.body, hdr, hdrlen);
	if (alen)
		memcpy(r.body + NLMSG_ALIGN(hdrlen), attrs, alen);
	r.h.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen) + alen);
	if (send(fd, &r, r.h.nlmsg_len, 0) != (ssize_t)r.h.nlmsg_len)
		printf("send: %s\n", strerrorname_np(errno));
}

static const struct rtattr *attr(const struct nlmsghdr *h, size_t hdrlen, int type)
{
	int len = (int)(h->nlmsg_len - NLMSG_LENGTH(hdrlen));
	for (const struct rtattr *a = (const void *)((const char *)NLMSG_DATA(h) +
						     NLMSG_ALIGN(hdrlen));
	     RTA_OK(a, len); a = RTA_NEXT(a, len))
		if (a->rta_type == type)
			return a;
	return NULL;
}

static void print_u32(const char *name, const struct nlmsghdr *h, size_t hl, int type)
{
	const struct rtattr *a = attr(h, hl, type);
	if (a)
		printf(" %s=%u", name, *(const uint32_t *)RTA_DATA(a));
}

static void print_u8(const char *name, const struct nlmsghdr *h, size_t hl, int type)
{
	const struct rtattr *a = attr(h, hl, type);
	if (a)
		printf(" %s=%u", name, *(const uint8_t *)RTA_DATA(a));
}

static void print_str(const char *name, const struct nlmsghdr *h, size_t hl, int type)
{
	const struct rtattr *a = attr(h, hl, type);
	if (a)
		printf(" %s=%s", name, (const char *)RTA_DATA(a));
}

static void print_ip(const char *name, int family, const struct nlmsghdr *h, size_t hl,
		     int type)
{
	const struct rtattr *a = attr(h, hl, type);
	char buf[64];
	if (a && inet_ntop(family, RTA_DATA(a), buf, sizeof(buf)))
		printf(" %s=%s", name, buf);
}

static void print_hw(const char *name, const struct nlmsghdr *h, size_t hl, int type)
{
	const struct rtattr *a = attr(h, hl, type);
	if (!a)
		return;
	printf(" %s=", name);
	for (size_t i = 0; i < RTA_PAYLOAD(a); i++)
		printf("%s%02x", i ? ":" : "", ((const unsigned char *)RTA_DATA(a))[i]);
}

static void print_msg(const struct nlmsghdr *h, uint32_t me)
{
	printf("  type=%u flags=%#x seq=%u pid=%s", h->nlmsg_type, h->nlmsg_flags, h->nlmsg_seq,
	       h->nlmsg_pid == me ? "mine" : "other");
	switch (h->nlmsg_type) {
	case NLMSG_DONE:
		printf(" done=%d", *(const int *)NLMSG_DATA(h));
		break;
	case NLMSG_ERROR: {
		const struct nlmsgerr *e = NLMSG_DATA(h);
		printf(" error=%s len=%u orig_len=%u orig_type=%u",
		       e->error ? strerrorname_np(-e->error) : "0", h->nlmsg_len,
		       e->msg.nlmsg_len, e->msg.nlmsg_type);
		break;
	}
	case RTM_NEWLINK: {
		const struct ifinfomsg *ifi = NLMSG_DATA(h);
		size_t hl = sizeof(*ifi);
		printf(" link index=%d type=%u flags=%#x change=%#x", ifi->ifi_index, ifi->ifi_type,
		       ifi->ifi_flags, ifi->ifi_change);
		print_str("name", h, hl, IFLA_IFNAME);
		print_u32("mtu", h, hl, IFLA_MTU);
		print_u32("txqlen", h, hl, IFLA_TXQLEN);
		print_u8("operstate", h, hl, IFLA_OPERSTATE);
		print_u8("linkmode", h, hl, IFLA_LINKMODE);
		print_u32("group", h, hl, IFLA_GROUP);
		print_str("qdisc", h, hl, IFLA_QDISC);
		print_u8("carrier", h, hl, IFLA_CARRIER);
		print_hw("address", h, hl, IFLA_ADDRESS);
		print_hw("broadcast", h, hl, IFLA_BROADCAST);
		printf(" stats64=%s", attr(h, hl, IFLA_STATS64) ? "yes" : "no");
		break;
	}
	case RTM_NEWADDR: {
		const struct ifaddrmsg *ifa = NLMSG_DATA(h);
		size_t hl = sizeof(*ifa);
		printf(" addr family=%u prefixlen=%u flags=%#x scope=%u index=%u", ifa->ifa_family,
		       ifa->ifa_prefixlen, ifa->ifa_flags, ifa->ifa_scope, ifa->ifa_index);
		print_ip("address", ifa->ifa_family, h, hl, IFA_ADDRESS);
		print_ip("local", ifa->ifa_family, h, hl, IFA_LOCAL);
		print_ip("broadcast", ifa->ifa_family, h, hl, IFA_BROADCAST);
		print_str("label", h, hl, IFA_LABEL);
		print_u32("ifa_flags", h, hl, IFA_FLAGS);
		const struct rtattr *a = attr(h, hl, IFA_CACHEINFO);
		if (a) {
			const struct ifa_cacheinfo *ci = RTA_DATA(a);
			printf(" valid=%#x preferred=%#x", ci->ifa_valid, ci->ifa_prefered);
		}
		break;
	}
	case RTM_NEWRULE: {
		const struct fib_rule_hdr *r = NLMSG_DATA(h);
		size_t hl = sizeof(*r);
		printf(" rule family=%u table=%u action=%u flags=%#x", r->family, r->table, r->action,
		       r->flags);
		print_u32("table", h, hl, FRA_TABLE);
		print_u32("priority", h, hl, FRA_PRIORITY);
		print_u32("suppress_prefixlen", h, hl, FRA_SUPPRESS_PREFIXLEN);
		print_u8("protocol", h, hl, FRA_PROTOCOL);
		break;
	}
	case RTM_NEWROUTE: {
		const struct rtmsg *rtm = NLMSG_DATA(h);
		size_t hl = sizeof(*rtm);
		printf(" route family=%u dst_len=%u src_len=%u tos=%u table=%u protocol=%u scope=%u "
		       "type=%u flags=%#x",
		       rtm->rtm_family, rtm->rtm_dst_len, rtm->rtm_src_len, rtm->rtm_tos,
		       rtm->rtm_table, rtm->rtm_protocol, rtm->rtm_scope, rtm->rtm_type,
		       rtm->rtm_flags);
		print_u32("table", h, hl, RTA_TABLE);
		print_ip("dst", rtm->rtm_family, h, hl, RTA_DST);
		print_ip("src", rtm->rtm_family, h, hl, RTA_SRC);
		print_ip("prefsrc", rtm->rtm_family, h, hl, RTA_PREFSRC);
		print_ip("gateway", rtm->rtm_family, h, hl, RTA_GATEWAY);
		print_u32("oif", h, hl, RTA_OIF);
		print_u32("priority", h, hl, RTA_PRIORITY);
		print_u8("pref", h, hl, RTA_PREF);
		break;
	}
	}
	printf("\n");
}

/* Print every message until NLMSG_DONE or NLMSG_ERROR (or a timeout). */
static void read_answers(int fd, const char *what)
{
	printf("%s:\n", what);
	uint32_t me = my_pid(fd);
	static unsigned char buf[65536];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			printf("  recv: %s\n", strerrorname_np(errno));
			return;
		}
		int end = 0;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
			print_msg(h, me);
			if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR)
				end = 1;
		}
		if (end)
			return;
	}
}

static void sockets_and_names(void)
{
	printf("== sockets\n");
	show("socket stream", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
	show("socket proto 32", socket(AF_NETLINK, SOCK_RAW, 32));
	show("socket proto -1", socket(AF_NETLINK, SOCK_RAW, -1));
	int sv[2];
	show("socketpair", socketpair(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, sv));
	int a = nl(), b = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
	show("dgram socket ok", b >= 0 ? 0 : -1);
	show("listen", listen(a, 1));
	show("accept", accept(a, NULL, NULL));
	show("shutdown", shutdown(a, SHUT_RDWR));
	printf("unbound pid %u\n", my_pid(a));
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	socklen_t len = sizeof(sa);
	show("getpeername", getpeername(a, (struct sockaddr *)&sa, &len));
	printf("peer pid %u groups %u len %u\n", sa.nl_pid, sa.nl_groups, len);
	sa = (struct sockaddr_nl){.nl_family = AF_NETLINK};
	show("bind short", bind(a, (struct sockaddr *)&sa, sizeof(sa) - 1));
	sa.nl_family = AF_INET;
	show("bind family", bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	sa.nl_family = AF_NETLINK;
	show("bind autobind", bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	printf("autobind pid is getpid: %s\n", my_pid(a) == (uint32_t)getpid() ? "yes" : "no");
	show("bind again pid 0", bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	sa.nl_pid = my_pid(a);
	show("bind again same pid", bind(a, (struct sockaddr *)&sa, sizeof(sa)));
	show("bind taken pid", bind(b, (struct sockaddr *)&sa, sizeof(sa)));
	sa.nl_pid = 0;
	show("bind second autobind", bind(b, (struct sockaddr *)&sa, sizeof(sa)));
	printf("second autobind pid negative: %s\n", (int32_t)my_pid(b) < 0 ? "yes" : "no");
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR;
	sa.nl_pid = my_pid(b);
	show("bind groups", bind(b, (struct sockaddr *)&sa, sizeof(sa)));
	len = sizeof(sa);
	getsockname(b, (struct sockaddr *)&sa, &len);
	printf("groups %#x len %u\n", sa.nl_groups, len);
	int v = 0;
	socklen_t vl = sizeof(v);
	show("getsockopt strict", getsockopt(a, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &v, &vl));
	printf("strict %d len %u\n", v, vl);
	show("getsockopt bad level", getsockopt(a, SOL_IP, 1, &v, &vl));
	show("setsockopt bad name", setsockopt(a, SOL_NETLINK, 99, &v, sizeof(v)));
	v = 0;
	show("add membership 0", setsockopt(a, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &v, sizeof(v)));
	v = RTNLGRP_LINK;
	show("add membership link", setsockopt(a, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &v, sizeof(v)));
	struct sockaddr_in in = {.sin_family = AF_INET};
	show("sendto bad family", sendto(a, "x", 1, 0, (struct sockaddr *)&in, sizeof(in)));
	show("sendto short addr", sendto(a, "x", 1, 0, (struct sockaddr *)&sa, 4));
	show("send oob", send(a, "x", 1, MSG_OOB));
	char big[1];
	show("recv oob", recv(a, big, 1, MSG_OOB));
	show("recv nothing", recv(a, big, 1, MSG_DONTWAIT));
	close(a);
	close(b);
}

static void dumps(void)
{
	printf("== dumps\n");
	int fd = nl();
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC};
	send_req(fd, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi), NULL, 0);
	read_answers(fd, "link dump");
	struct rtgenmsg g = {AF_PACKET};
	send_req(fd, RTM_GETLINK, NLM_F_DUMP, &g, sizeof(g), NULL, 0);
	read_answers(fd, "link dump (rtgenmsg AF_PACKET)");
	int fams[] = {AF_UNSPEC, AF_INET, AF_INET6};
	for (int i = 0; i < 3; i++) {
		char what[64];
		struct ifaddrmsg ifa = {.ifa_family = (uint8_t)fams[i]};
		send_req(fd, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa), NULL, 0);
		snprintf(what, sizeof(what), "addr dump family %d", fams[i]);
		read_answers(fd, what);
	}
	for (int i = 0; i < 3; i++) {
		char what[64];
		struct rtmsg rtm = {.rtm_family = (uint8_t)fams[i]};
		send_req(fd, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm), NULL, 0);
		snprintf(what, sizeof(what), "route dump family %d", fams[i]);
		read_answers(fd, what);
	}
	int rfams[] = {AF_UNSPEC, AF_INET, AF_INET6, AF_BRIDGE};
	for (int i = 0; i < 4; i++) {
		char what[64];
		struct fib_rule_hdr frh = {.family = (uint8_t)rfams[i]};
		send_req(fd, RTM_GETRULE, NLM_F_DUMP, &frh, sizeof(frh), NULL, 0);
		snprintf(what, sizeof(what), "rule dump family %d", rfams[i]);
		read_answers(fd, what);
	}
	struct ndmsg nd = {.ndm_family = AF_UNSPEC};
	send_req(fd, RTM_GETNEIGH, NLM_F_DUMP, &nd, sizeof(nd), NULL, 0);
	read_answers(fd, "neigh dump");
	/* A dump request with NLM_F_ACK gets no ack. */
	send_req(fd, RTM_GETADDR, NLM_F_DUMP | NLM_F_ACK, &g, sizeof(g), NULL, 0);
	read_answers(fd, "addr dump with ack flag");
	show("then nothing", recv(fd, &g, 1, MSG_DONTWAIT));
	/* The reader can size its buffer first (glibc does). */
	send_req(fd, RTM_GETLINK, NLM_F_DUMP, &g, sizeof(g), NULL, 0);
	char small[16];
	ssize_t peek = recv(fd, small, sizeof(small), MSG_PEEK | MSG_TRUNC);
	struct iovec io = {.iov_base = small, .iov_len = sizeof(small)};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	ssize_t got = recvmsg(fd, &mh, 0);
	printf("peek|trunc length > 16: %s, recvmsg %zd, MSG_TRUNC %s\n", peek > 16 ? "yes" : "no",
	       got, (mh.msg_flags & MSG_TRUNC) ? "set" : "clear");
	close(fd);
}

static void requests(void)
{
	printf("== requests\n");
	int fd = nl();
	unsigned char name[8] = {7, 0, IFLA_IFNAME, 0, 'l', 'o', 0, 0};
	struct ifinfomsg ifi = {0};
	send_req(fd, RTM_GETLINK, NLM_F_ACK, &ifi, sizeof(ifi), name, sizeof(name));
	read_answers(fd, "getlink lo");
	read_answers(fd, "its ack");
	ifi.ifi_index = 1;
	send_req(fd, RTM_GETLINK, 0, &ifi, sizeof(ifi), NULL, 0);
	read_answers(fd, "getlink 1");
	ifi.ifi_index = 99;
	send_req(fd, RTM_GETLINK, 0, &ifi, sizeof(ifi), NULL, 0);
	read_answers(fd, "getlink 99");
	ifi.ifi_index = 0;
	send_req(fd, RTM_GETLINK, 0, &ifi, sizeof(ifi), NULL, 0);
	read_answers(fd, "getlink without index or name");
	unsigned char eth[8] = {9, 0, IFLA_IFNAME, 0, 'e', 't', 'h', '9'};
	send_req(fd, RTM_GETLINK, 0, &ifi, sizeof(ifi), eth, sizeof(eth));
	read_answers(fd, "getlink eth9");
	unsigned char longname[24] = {21, 0, IFLA_IFNAME, 0};
	memset(longname + 4, 'x', 17);
	send_req(fd, RTM_GETLINK, 0, &ifi, sizeof(ifi), longname, sizeof(longname));
	read_answers(fd, "getlink long name");
	struct rtgenmsg g = {AF_UNSPEC};
	send_req(fd, RTM_GETLINK, 0, &g, sizeof(g), NULL, 0);
	read_answers(fd, "getlink short header");
	struct ifaddrmsg ifa = {.ifa_family = AF_INET};
	send_req(fd, RTM_GETADDR, 0, &ifa, sizeof(ifa), NULL, 0);
	read_answers(fd, "getaddr inet (no doit)");
	struct rtmsg rtm = {.rtm_family = AF_INET};
	unsigned char dst[8] = {8, 0, RTA_DST, 0, 127, 0, 0, 1};
	send_req(fd, RTM_GETROUTE, 0, &rtm, sizeof(rtm), dst, sizeof(dst));
	read_answers(fd, "route get 127.0.0.1");
	unsigned char dst_src[16] = {8, 0, RTA_DST, 0, 127, 0, 0, 1, 8, 0, RTA_SRC, 0, 127, 0, 0, 1};
	send_req(fd, RTM_GETROUTE, 0, &rtm, sizeof(rtm), dst_src, sizeof(dst_src));
	read_answers(fd, "route get 127.0.0.1 from 127.0.0.1");
	dst[4] = 127, dst[5] = 255, dst[6] = 255, dst[7] = 255;
	send_req(fd, RTM_GETROUTE, 0, &rtm, sizeof(rtm), dst, sizeof(dst));
	read_answers(fd, "route get 127.255.255.255");
	dst[4] = 127, dst[5] = 1, dst[6] = 2, dst[7] = 3;
	send_req(fd, RTM_GETROUTE, 0, &rtm, sizeof(rtm), dst, sizeof(dst));
	read_answers(fd, "route get 127.1.2.3");
	dst[4] = dst[5] = dst[6] = dst[7] = 8;
	send_req(fd, RTM_GETROUTE, 0, &rtm, sizeof(rtm), dst, sizeof(dst));
	read_answers(fd, "route get 8.8.8.8");
	rtm.rtm_family = AF_UNSPEC;
	send_req(fd, RTM_GETROUTE, 0, &rtm, sizeof(rtm), dst, sizeof(dst));
	read_answers(fd, "route get family unspec");
	send_req(fd, RTM_MAX + 1, NLM_F_ACK, &g, sizeof(g), NULL, 0);
	read_answers(fd, "type past RTM_MAX");
	send_req(fd, NLMSG_NOOP, NLM_F_ACK, NULL, 0, NULL, 0);
	read_answers(fd, "noop with ack");
	send_req(fd, RTM_GETLINK, NLM_F_ACK, NULL, 0, NULL, 0);
	read_answers(fd, "getlink without payload, with ack");
	/* Two requests in one datagram, answered in order. */
	struct {
		struct nlmsghdr h1;
		struct ifinfomsg i1;
		struct nlmsghdr h2;
		struct rtgenmsg g2;
		unsigned char pad[3];
	} two = {
		.h1 = {NLMSG_LENGTH(sizeof(struct ifinfomsg)), RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK,
		       1, 0},
		.i1 = {.ifi_index = 1},
		.h2 = {NLMSG_LENGTH(1), NLMSG_NOOP, NLM_F_REQUEST | NLM_F_ACK, 2, 0},
	};
	send(fd, &two, sizeof(two), 0);
	read_answers(fd, "two requests: 1");
	read_answers(fd, "two requests: ack 1");
	read_answers(fd, "two requests: ack 2");
	/* Bad lengths: ignored, nothing answered. */
	struct nlmsghdr bad = {.nlmsg_len = 8, .nlmsg_type = RTM_GETLINK,
			       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP};
	show("send short nlmsg_len", send(fd, &bad, sizeof(bad), 0));
	bad.nlmsg_len = 4000;
	show("send long nlmsg_len", send(fd, &bad, sizeof(bad), 0));
	show("send 3 bytes", send(fd, &bad, 3, 0));
	char c;
	show("nothing answered", recv(fd, &c, 1, MSG_DONTWAIT));
	close(fd);
}

static void strict(void)
{
	printf("== strict\n");
	int fd = nl();
	int one = 1;
	show("set strict", setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof(one)));
	struct ifinfomsg ifi = {.ifi_index = 1};
	send_req(fd, RTM_GETLINK, NLM_F_DUMP, &ifi, sizeof(ifi), NULL, 0);
	read_answers(fd, "strict link dump with index");
	struct rtgenmsg g = {AF_UNSPEC};
	send_req(fd, RTM_GETLINK, NLM_F_DUMP, &g, sizeof(g), NULL, 0);
	read_answers(fd, "strict link dump short header");
	struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_index = 1};
	send_req(fd, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa), NULL, 0);
	read_answers(fd, "strict addr dump index 1");
	ifa.ifa_index = 77;
	send_req(fd, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa), NULL, 0);
	read_answers(fd, "strict addr dump index 77");
	ifa = (struct ifaddrmsg){.ifa_family = AF_INET, .ifa_prefixlen = 8};
	send_req(fd, RTM_GETADDR, NLM_F_DUMP, &ifa, sizeof(ifa), NULL, 0);
	read_answers(fd, "strict addr dump with prefixlen");
	struct rtmsg rtm = {.rtm_family = AF_INET, .rtm_table = RT_TABLE_MAIN};
	send_req(fd, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm), NULL, 0);
	read_answers(fd, "strict route dump main");
	rtm.rtm_table = RT_TABLE_LOCAL;
	rtm.rtm_type = RTN_BROADCAST;
	send_req(fd, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm), NULL, 0);
	read_answers(fd, "strict route dump local broadcast");
	rtm = (struct rtmsg){.rtm_family = AF_INET, .rtm_scope = 1};
	send_req(fd, RTM_GETROUTE, NLM_F_DUMP, &rtm, sizeof(rtm), NULL, 0);
	read_answers(fd, "strict route dump with scope");
	unsigned char bad[8] = {200, 0, IFLA_IFNAME, 0, 'l', 'o', 0, 0};
	ifi.ifi_index = 0;
	send_req(fd, RTM_GETLINK, 0, &ifi, sizeof(ifi), bad, sizeof(bad));
	read_answers(fd, "strict getlink with a bad attribute");
	close(fd);
}

/* Without CAP_NET_ADMIN, changes are EPERM (the sandbox's answer for any
 * app: it cannot change its interfaces). */
static void unprivileged(void)
{
	printf("== without CAP_NET_ADMIN\n");
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) < 0) {
		printf("capget: %s\n", strerrorname_np(errno));
		return;
	}
	d[0].effective &= ~(1u << CAP_NET_ADMIN);
	show("capset", syscall(SYS_capset, &h, d));
	int fd = nl();
	int types[] = {RTM_NEWADDR, RTM_DELADDR, RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWLINK,
		       RTM_DELLINK, RTM_SETLINK};
	for (int i = 0; i < 7; i++) {
		struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 8, .ifa_index = 1};
		unsigned char a[8] = {8, 0, IFA_LOCAL, 0, 10, 1, 2, 3};
		char what[32];
		send_req(fd, types[i], NLM_F_ACK | NLM_F_CREATE, &ifa, sizeof(ifa), a, sizeof(a));
		snprintf(what, sizeof(what), "type %d", types[i]);
		read_answers(fd, what);
	}
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_pid = 12345};
	show("connect to a pid", connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	show("sendto a pid", sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)));
	sa.nl_pid = 0;
	show("connect to the kernel", connect(fd, (struct sockaddr *)&sa, sizeof(sa)));
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	show("connect unspec", connect(fd, &un, sizeof(un)));
	close(fd);
}

/* NETLINK_SOCK_DIAG, as ss asks: TCP and UDP sockets by family. */
static void sock_diag(void)
{
	printf("== sock_diag\n");
	int l4 = socket(AF_INET, SOCK_STREAM, 0), l6 = socket(AF_INET6, SOCK_STREAM, 0);
	int u4 = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(9191),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(9192),
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	show("bind tcp4", bind(l4, (struct sockaddr *)&a4, sizeof(a4)));
	show("listen tcp4", listen(l4, 7));
	show("bind tcp6", bind(l6, (struct sockaddr *)&a6, sizeof(a6)));
	show("listen tcp6", listen(l6, 3));
	a4.sin_port = htons(9193);
	show("bind udp4", bind(u4, (struct sockaddr *)&a4, sizeof(a4)));
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	show("socket sock_diag", fd < 0 ? -1 : 0);
	struct timeval tv = {2, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	static const struct {
		int family, protocol;
	} q[] = {{AF_INET, IPPROTO_TCP}, {AF_INET6, IPPROTO_TCP}, {AF_INET, IPPROTO_UDP}};
	static unsigned char buf[65536];
	for (int i = 0; i < 3; i++) {
		struct inet_diag_req_v2 req = {.sdiag_family = (uint8_t)q[i].family,
					       .sdiag_protocol = (uint8_t)q[i].protocol,
					       .idiag_states = ~0u};
		send_req(fd, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, &req, sizeof(req), NULL, 0);
		printf("dump family %d protocol %d:\n", q[i].family, q[i].protocol);
		int end = 0;
		while (!end) {
			ssize_t n = recv(fd, buf, sizeof(buf), 0);
			if (n < 0) {
				printf("  recv: %s\n", strerrorname_np(errno));
				break;
			}
			for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (int)n); h = NLMSG_NEXT(h, n)) {
				if (h->nlmsg_type == NLMSG_DONE || h->nlmsg_type == NLMSG_ERROR) {
					printf("  type %u: %d\n", h->nlmsg_type, *(int *)NLMSG_DATA(h));
					end = 1;
					continue;
				}
				const struct inet_diag_msg *m = NLMSG_DATA(h);
				char src[64], dst[64];
				inet_ntop(m->idiag_family, m->id.idiag_src, src, sizeof(src));
				inet_ntop(m->idiag_family, m->id.idiag_dst, dst, sizeof(dst));
				printf("  family %u state %u timer %u sport %u dport %u src %s dst %s "
				       "rq %u wq %u",
				       m->idiag_family, m->idiag_state, m->idiag_timer,
				       ntohs(m->id.idiag_sport), ntohs(m->id.idiag_dport), src, dst,
				       m->idiag_rqueue, m->idiag_wqueue);
				print_u8("shutdown", h, sizeof(*m), INET_DIAG_SHUTDOWN);
				print_u8("v6only", h, sizeof(*m), INET_DIAG_SKV6ONLY);
				printf("\n");
			}
		}
	}
	close(fd);
	close(l4);
	close(l6);
	close(u4);
}

static void libc(void)
{
	printf("== libc\n");
	struct ifaddrs *ifs;
	show("getifaddrs", getifaddrs(&ifs));
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		char a[64] = "-", m[64] = "-";
		int fam = i->ifa_addr ? i->ifa_addr->sa_family : -1;
		if (fam == AF_INET) {
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a, sizeof(a));
			inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_netmask)->sin_addr, m,
				  sizeof(m));
		} else if (fam == AF_INET6) {
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a,
				  sizeof(a));
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)i->ifa_netmask)->sin6_addr, m,
				  sizeof(m));
		}
		printf("  %s family %d flags %#x addr %s mask %s\n", i->ifa_name, fam, i->ifa_flags,
		       a, m);
	}
	freeifaddrs(ifs);
	struct if_nameindex *ni = if_nameindex();
	for (struct if_nameindex *p = ni; p && p->if_index; p++)
		printf("  if_nameindex %u %s\n", p->if_index, p->if_name);
	if_freenameindex(ni);
	const char *hosts[] = {"127.0.0.1", "::1"};
	int fams[] = {AF_UNSPEC, AF_INET, AF_INET6};
	for (int i = 0; i < 2; i++) {
		for (int f = 0; f < 3; f++) {
			struct addrinfo hints = {.ai_family = fams[f],
						 .ai_flags = AI_NUMERICHOST | AI_ADDRCONFIG,
						 .ai_socktype = SOCK_STREAM};
			struct addrinfo *res = NULL;
			int r = getaddrinfo(hosts[i], "80", &hints, &res);
			printf("  getaddrinfo %s family %d addrconfig: %s", hosts[i], fams[f],
			       r ? gai_strerror(r) : "ok");
			for (struct addrinfo *p = res; p; p = p->ai_next)
				printf(" [%d]", p->ai_family);
			printf("\n");
			if (res)
				freeaddrinfo(res);
		}
	}
}

/* Natively the program starts in a fresh network namespace, whose lo is
 * down: bring it up (as root), so that it looks like the sandbox's.  Under
 * visor lo is up already and nothing is changed. */
static void lo_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	lo_up();
	sockets_and_names();
	dumps();
	requests();
	strict();
	sock_diag();
	libc();
	unprivileged();
	return 0;
}
