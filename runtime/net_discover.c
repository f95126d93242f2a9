/*
 * net_discover.c — what a network namespace holds, read through
 * NETLINK_ROUTE with libmnl (runtime/net.h): links, addresses, routes and
 * neighbours; and the few changes create makes there (addresses removed
 * and, on failure, put back with their routes).
 *
 * Every dump is one request and a receive loop until NLMSG_DONE; each
 * message is checked by libmnl's validators before an attribute is read.
 */
#include "runtime/net.h"

#include "lib/verr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <net/if_arp.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*net_msg_fn)(const struct nlmsghdr *nlh, void *arg);

/* Send the request in buf and run cb on every reply message until DONE
 * (a dump) or the ACK (a change).  0 or -errno (the kernel's error). */
static int nl_talk(struct nlmsghdr *nlh, net_msg_fn cb, void *arg)
{
	struct mnl_socket *nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	int r = 0;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto out;
	}
	unsigned int portid = mnl_socket_get_portid(nl);
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		r = -errno;
		goto out;
	}
	char *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);
		if (n < 0) {
			r = -errno;
			break;
		}
		int c = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, (mnl_cb_t)cb, arg);
		if (c < 0) {
			r = errno ? -errno : -EIO;
			break;
		}
		if (c == MNL_CB_STOP)
			break;
	}
	free(buf);
out:
	mnl_socket_close(nl);
	return r;
}

static struct nlmsghdr *dump_request(char *buf, uint16_t type, int family, size_t hdrlen)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	unsigned char *h = mnl_nlmsg_put_extra_header(nlh, hdrlen);
	h[0] = (unsigned char)family; /* every rtnetlink header starts with the family */
	return nlh;
}

struct discover {
	struct net_config *c;
	int err;
	char bad[16]; /* the link that is not Ethernet */
	int lo_ifindex; /* the loopback link (0: none seen) */
	bool lo_ipv6;	/* ::1 is on it */
};

static int link_index_of(const struct net_config *c, int ifindex)
{
	for (int i = 0; i < c->nlinks; i++)
		if (c->links[i].ifindex == ifindex)
			return i;
	return -1;
}

/* ---- links ---- */

static int link_info_kind(const struct nlattr *info, char kind[16])
{
	struct nlattr *a;
	mnl_attr_for_each_nested(a, info)
	{
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
			snprintf(kind, 16, "%s", mnl_attr_get_str(a));
	}
	return 0;
}

static int on_link(const struct nlmsghdr *nlh, void *arg)
{
	struct discover *d = arg;
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		return MNL_CB_OK;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_type == ARPHRD_LOOPBACK || (ifi->ifi_flags & IFF_LOOPBACK)) {
		if (!d->lo_ifindex)
			d->lo_ifindex = ifi->ifi_index;
		return MNL_CB_OK;
	}
	if (d->c->nlinks >= NET_MAX_LINKS) {
		d->err = -E2BIG;
		return MNL_CB_OK;
	}
	struct net_link l = {.ifindex = ifi->ifi_index, .fd = -1};
	bool ether = ifi->ifi_type == ARPHRD_ETHER;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(l.name, sizeof(l.name), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				l.mtu = mnl_attr_get_u32(a);
			break;
		case IFLA_ADDRESS:
			if (mnl_attr_get_payload_len(a) == 6)
				memcpy(l.mac, mnl_attr_get_payload(a), 6);
			break;
		case IFLA_LINK:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				l.peer_ifindex = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_LINK_NETNSID:
			l.peer_other_ns = true;
			break;
		case IFLA_LINKINFO:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
				link_info_kind(a, l.kind);
			break;
		}
	}
	/* Only Ethernet links can be served through AF_PACKET by the
	 * netstack; anything else (a tunnel, a wireguard device) would be
	 * silently dead in the sandbox, so it fails create instead. */
	if (!ether) {
		d->err = -EPROTONOSUPPORT;
		snprintf(d->bad, sizeof(d->bad), "%s", l.name);
		return MNL_CB_OK;
	}
	if (!l.name[0] || l.mtu < 68)
		return MNL_CB_OK;
	d->c->links[d->c->nlinks++] = l;
	return MNL_CB_OK;
}

/* ---- addresses ---- */

static int on_addr(const struct nlmsghdr *nlh, void *arg)
{
	struct discover *d = arg;
	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifaddrmsg)))
		return MNL_CB_OK;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family == AF_INET6 && d->lo_ifindex && (int)ifa->ifa_index == d->lo_ifindex) {
		struct nlattr *a;
		mnl_attr_for_each(a, nlh, sizeof(*ifa))
		{
			if (mnl_attr_get_type(a) == IFA_ADDRESS &&
			    mnl_attr_get_payload_len(a) == sizeof(struct in6_addr) &&
			    !memcmp(mnl_attr_get_payload(a), &in6addr_loopback,
				    sizeof(struct in6_addr)))
				d->lo_ipv6 = true;
		}
		return MNL_CB_OK;
	}
	int li = link_index_of(d->c, (int)ifa->ifa_index);
	if (li < 0 || ifa->ifa_scope == RT_SCOPE_HOST)
		return MNL_CB_OK;
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return MNL_CB_OK;
	size_t alen = ifa->ifa_family == AF_INET ? 4 : 16;
	struct net_addr na = {.family = ifa->ifa_family, .prefixlen = ifa->ifa_prefixlen};
	bool have = false;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifa))
	{
		int t = mnl_attr_get_type(a);
		/* IFA_LOCAL is the address on point-to-point links; IFA_ADDRESS
		 * otherwise (and the peer on p2p): prefer LOCAL. */
		if ((t == IFA_LOCAL || (t == IFA_ADDRESS && !have)) &&
		    mnl_attr_get_payload_len(a) == alen) {
			memcpy(na.addr, mnl_attr_get_payload(a), alen);
			have = true;
		}
	}
	struct net_link *l = &d->c->links[li];
	if (!have || l->naddrs >= NET_MAX_ADDRS)
		return MNL_CB_OK;
	l->addrs[l->naddrs++] = na;
	return MNL_CB_OK;
}

/* ---- routes ---- */

static int on_route(const struct nlmsghdr *nlh, void *arg)
{
	struct discover *d = arg;
	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct rtmsg)))
		return MNL_CB_OK;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_type != RTN_UNICAST || (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6))
		return MNL_CB_OK;
	size_t alen = rtm->rtm_family == AF_INET ? 4 : 16;
	struct net_route r = {.family = rtm->rtm_family, .dst_len = rtm->rtm_dst_len, .link = -1};
	uint32_t table = rtm->rtm_table;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*rtm))
	{
		switch (mnl_attr_get_type(a)) {
		case RTA_TABLE:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				table = mnl_attr_get_u32(a);
			break;
		case RTA_DST:
			if (mnl_attr_get_payload_len(a) == alen)
				memcpy(r.dst, mnl_attr_get_payload(a), alen);
			break;
		case RTA_GATEWAY:
			if (mnl_attr_get_payload_len(a) == alen) {
				memcpy(r.gw, mnl_attr_get_payload(a), alen);
				r.has_gw = true;
			}
			break;
		case RTA_OIF:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				r.link = link_index_of(d->c, (int)mnl_attr_get_u32(a));
			break;
		case RTA_PRIORITY:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				r.metric = mnl_attr_get_u32(a);
			break;
		}
	}
	if (table != RT_TABLE_MAIN || r.link < 0 || d->c->nroutes >= NET_MAX_ROUTES)
		return MNL_CB_OK;
	d->c->routes[d->c->nroutes++] = r;
	return MNL_CB_OK;
}

/* ---- neighbours ---- */

static int on_neigh(const struct nlmsghdr *nlh, void *arg)
{
	struct discover *d = arg;
	if (nlh->nlmsg_type != RTM_NEWNEIGH || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ndmsg)))
		return MNL_CB_OK;
	const struct ndmsg *nd = mnl_nlmsg_get_payload(nlh);
	if (nd->ndm_family != AF_INET && nd->ndm_family != AF_INET6)
		return MNL_CB_OK;
	/* Only configured entries (ip neigh add: permanent); the rest is the
	 * host kernel's cache, which the netstack rebuilds by itself. */
	if (!(nd->ndm_state & NUD_PERMANENT))
		return MNL_CB_OK;
	size_t alen = nd->ndm_family == AF_INET ? 4 : 16;
	struct net_neigh n = {.family = nd->ndm_family,
			      .link = link_index_of(d->c, nd->ndm_ifindex)};
	bool have_dst = false, have_mac = false;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*nd))
	{
		if (mnl_attr_get_type(a) == NDA_DST && mnl_attr_get_payload_len(a) == alen) {
			memcpy(n.addr, mnl_attr_get_payload(a), alen);
			have_dst = true;
		} else if (mnl_attr_get_type(a) == NDA_LLADDR && mnl_attr_get_payload_len(a) == 6) {
			memcpy(n.mac, mnl_attr_get_payload(a), 6);
			have_mac = true;
		}
	}
	if (n.link < 0 || !have_dst || !have_mac || d->c->nneighs >= NET_MAX_NEIGHS)
		return MNL_CB_OK;
	d->c->neighs[d->c->nneighs++] = n;
	return MNL_CB_OK;
}

int net_discover(struct net_config *c, struct verr *err)
{
	memset(c, 0, sizeof(*c));
	c->dns_fd = -1;
	c->release_fd = -1;
	char buf[256];
	struct discover d = {.c = c};
	int r = nl_talk(dump_request(buf, RTM_GETLINK, AF_UNSPEC, sizeof(struct ifinfomsg)),
			on_link, &d);
	if (r < 0)
		return verr_errno(err, -r, "netlink: listing the links");
	if (d.err == -E2BIG)
		return verr_set(err, E2BIG, "network namespace has more than %d links", NET_MAX_LINKS);
	if (d.err == -EPROTONOSUPPORT)
		return verr_set(err, EPROTONOSUPPORT,
				"network namespace link %s is not an Ethernet link: the sandbox's "
				"netstack serves only Ethernet (veth) links",
				d.bad);
	/* The addresses are read even without links: lo's ::1 is looked for. */
	r = nl_talk(dump_request(buf, RTM_GETADDR, AF_UNSPEC, sizeof(struct ifaddrmsg)), on_addr, &d);
	if (r < 0)
		return verr_errno(err, -r, "netlink: listing the addresses");
	/* A loopback without ::1 has IPv6 off (disable_ipv6, as Docker sets it
	 * on networks without IPv6); with no loopback seen, lo keeps its ::1. */
	c->lo_ipv6_off = d.lo_ifindex && !d.lo_ipv6;
	if (c->nlinks == 0)
		return 0;
	static const struct {
		uint16_t type;
		int family;
		size_t hdr;
		net_msg_fn fn;
		const char *what;
	} dumps[] = {
	    {RTM_GETROUTE, AF_INET, sizeof(struct rtmsg), on_route, "IPv4 routes"},
	    {RTM_GETROUTE, AF_INET6, sizeof(struct rtmsg), on_route, "IPv6 routes"},
	    {RTM_GETNEIGH, AF_UNSPEC, sizeof(struct ndmsg), on_neigh, "neighbours"},
	};
	for (size_t i = 0; i < sizeof(dumps) / sizeof(dumps[0]); i++) {
		r = nl_talk(dump_request(buf, dumps[i].type, dumps[i].family, dumps[i].hdr),
			    dumps[i].fn, &d);
		/* An IPv6-less kernel answers the v6 dump with EAFNOSUPPORT. */
		if (r == -EAFNOSUPPORT && dumps[i].family == AF_INET6)
			continue;
		if (r < 0)
			return verr_errno(err, -r, "netlink: listing the %s", dumps[i].what);
	}
	return 0;
}

/* ---- changes ---- */

static int on_ack(const struct nlmsghdr *nlh, void *arg)
{
	return MNL_CB_OK;
}

int net_addr_change(int ifindex, const struct net_addr *a, bool add)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = add ? RTM_NEWADDR : RTM_DELADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (uint8_t)a->family;
	ifa->ifa_prefixlen = a->prefixlen;
	ifa->ifa_index = (uint32_t)ifindex;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	size_t alen = a->family == AF_INET ? 4 : 16;
	if (a->family == AF_INET6 && a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80)
		ifa->ifa_scope = RT_SCOPE_LINK;
	mnl_attr_put(nlh, IFA_LOCAL, alen, a->addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, a->addr);
	if (add && a->family == AF_INET && a->prefixlen < 31) {
		/* The broadcast address Docker (and `ip addr add ... brd +`) sets. */
		uint32_t ip, mask = a->prefixlen ? htonl(~0u << (32 - a->prefixlen)) : 0;
		memcpy(&ip, a->addr, 4);
		uint32_t brd = ip | ~mask;
		mnl_attr_put(nlh, IFA_BROADCAST, 4, &brd);
	}
	return nl_talk(nlh, on_ack, NULL);
}

int net_route_add(int ifindex, const struct net_route *r)
{
	char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)r->family;
	rtm->rtm_dst_len = r->dst_len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = r->has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	size_t alen = r->family == AF_INET ? 4 : 16;
	if (r->dst_len)
		mnl_attr_put(nlh, RTA_DST, alen, r->dst);
	if (r->has_gw)
		mnl_attr_put(nlh, RTA_GATEWAY, alen, r->gw);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	if (r->metric)
		mnl_attr_put_u32(nlh, RTA_PRIORITY, r->metric);
	return nl_talk(nlh, on_ack, NULL);
}

/* ---- the veth peer ---- */

struct peer_search {
	int ifindex, peer_of;
	char *name;
	bool found;
};

static int on_peer(const struct nlmsghdr *nlh, void *arg)
{
	struct peer_search *ps = arg;
	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifinfomsg)))
		return MNL_CB_OK;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index != ps->ifindex)
		return MNL_CB_OK;
	char kind[16] = "", name[16] = "";
	int link = 0;
	struct nlattr *a;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(name, sizeof(name), "%s", mnl_attr_get_str(a));
			break;
		case IFLA_LINK:
			if (mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
				link = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_LINKINFO:
			if (mnl_attr_validate(a, MNL_TYPE_NESTED) >= 0)
				link_info_kind(a, kind);
			break;
		}
	}
	if (!strcmp(kind, "veth") && link == ps->peer_of && name[0]) {
		snprintf(ps->name, 16, "%s", name);
		ps->found = true;
	}
	return MNL_CB_OK;
}

int net_find_veth_peer(int ifindex, int peer_of, char name[16])
{
	char buf[256];
	struct peer_search ps = {.ifindex = ifindex, .peer_of = peer_of, .name = name};
	int r = nl_talk(dump_request(buf, RTM_GETLINK, AF_UNSPEC, sizeof(struct ifinfomsg)), on_peer,
			&ps);
	if (r < 0)
		return r;
	return ps.found ? 0 : -ENOENT;
}
