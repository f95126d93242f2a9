/*
 * rtnetlink.c — NETLINK_ROUTE's requests and answers (see rtnetlink.h), as
 * Linux's net/core/rtnetlink.c, net/ipv4/devinet.c, fib_frontend.c,
 * route.c and net/ipv6/addrconf.c, route.c answer them for the same
 * interfaces: RTM_GETLINK (dump, and by index or name), RTM_GETADDR (dump;
 * IPv6 by address), RTM_GETROUTE (dump, and "ip route get"), RTM_GETRULE
 * (Linux's default policy rules: local, main, default), RTM_GETNEIGH (an
 * empty dump: no interface here has neighbours yet).  Requests that
 * would change an interface (RTM_NEW*, RTM_DEL*, RTM_SET*) are EPERM
 * without CAP_NET_ADMIN, as Linux; with it EOPNOTSUPP, because the
 * sandbox's interfaces are fixed when it starts.  Other types EOPNOTSUPP.
 *
 * With NETLINK_GET_STRICT_CHK (iproute2 sets it) the request headers and
 * attributes are checked and filters applied as Linux's *_valid_dump_*_req
 * do; without it a dump ignores what the request carries, as Linux.
 *
 * Untrusted input: the message length is the caller's (checked against the
 * datagram); every attribute's length is checked against what is left
 * before it is read.
 */
#include "sentry/socket/rtnetlink.h"

#include <errno.h>
#include <linux/if_addr.h>
#include <linux/fib_rules.h>
#include <linux/if_arp.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/socket/netif.h"

/* Linux's net/if.h flags, without its header (it clashes with linux/). */
#define NL_IFF_UP 0x1
#define NL_IFF_LOOPBACK 0x8
#define NL_IFNAMSIZ 16
/* IF_OPER_* of linux/if.h */
#define NL_OPER_UNKNOWN 0
#define NL_OPER_DOWN 2
#define NL_OPER_UP 6
#define INFINITY_LIFE_TIME 0xFFFFFFFFu
#define RTCF_BROADCAST 0x10000000u
#define RTCF_LOCAL 0x80000000u

/* ---------------------------------------------------------------- building */

void nlbuf_free(struct nlbuf *b)
{
	free(b->p);
	*b = (struct nlbuf){0};
}

/* n bytes of zeroed room at the end (n already aligned by the caller). */
static unsigned char *nlbuf_room(struct nlbuf *b, size_t n)
{
	if (b->oom)
		return NULL;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n)
			cap *= 2;
		unsigned char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return NULL;
		}
		b->p = p;
		b->cap = cap;
	}
	unsigned char *r = b->p + b->len;
	memset(r, 0, n);
	b->len += n;
	return r;
}

size_t nlbuf_begin(struct nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid,
		   const void *hdr, size_t hdrlen)
{
	size_t off = b->len;
	unsigned char *p = nlbuf_room(b, NLMSG_HDRLEN + NLMSG_ALIGN(hdrlen));
	if (!p)
		return off;
	struct nlmsghdr h = {.nlmsg_len = (uint32_t)(NLMSG_HDRLEN + hdrlen),
			     .nlmsg_type = type,
			     .nlmsg_flags = flags,
			     .nlmsg_seq = seq,
			     .nlmsg_pid = pid};
	memcpy(p, &h, sizeof(h));
	if (hdr)
		memcpy(p + NLMSG_HDRLEN, hdr, hdrlen);
	return off;
}

void nlbuf_attr(struct nlbuf *b, uint16_t type, const void *data, size_t len)
{
	unsigned char *p = nlbuf_room(b, NLA_ALIGN(NLA_HDRLEN + len));
	if (!p)
		return;
	struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + len), .nla_type = type};
	memcpy(p, &a, sizeof(a));
	if (len)
		memcpy(p + NLA_HDRLEN, data, len);
}

void nlbuf_attr_u8(struct nlbuf *b, uint16_t type, uint8_t v)
{
	nlbuf_attr(b, type, &v, 1);
}

void nlbuf_attr_u32(struct nlbuf *b, uint16_t type, uint32_t v)
{
	nlbuf_attr(b, type, &v, 4);
}

void nlbuf_attr_str(struct nlbuf *b, uint16_t type, const char *s)
{
	nlbuf_attr(b, type, s, strlen(s) + 1);
}

/* A nested attribute: its header now, its length at nest_end. */
static size_t nest_begin(struct nlbuf *b, uint16_t type)
{
	size_t off = b->len;
	nlbuf_attr(b, type, NULL, 0);
	return off;
}

static void nest_end(struct nlbuf *b, size_t off)
{
	if (b->oom)
		return;
	uint16_t len = (uint16_t)(b->len - off);
	memcpy(b->p + off + offsetof(struct nlattr, nla_len), &len, sizeof(len));
}

void nlbuf_end(struct nlbuf *b, size_t off)
{
	if (b->oom)
		return;
	uint32_t len = (uint32_t)(b->len - off);
	memcpy(b->p + off + offsetof(struct nlmsghdr, nlmsg_len), &len, sizeof(len));
}

/* ---------------------------------------------------------------- parsing */

/* The payload of h (after the netlink header) and its length. */
static const unsigned char *payload(const struct nlmsghdr *h, size_t *len)
{
	*len = h->nlmsg_len - NLMSG_HDRLEN;
	return (const unsigned char *)h + NLMSG_HDRLEN;
}

#define ATTR_MAX 64

/* The attributes after a family header of hdrlen bytes, as Linux's
 * __nla_parse: tb[type] points at the last attribute of each type (types
 * above ATTR_MAX are skipped).  -EINVAL when the message is shorter than
 * its header; in strict mode also for trailing bytes that are no
 * attribute and for types above maxtype (NL_VALIDATE_STRICT). */
static int parse_attrs(const struct nlmsghdr *h, size_t hdrlen, const struct nlattr **tb,
		       int maxtype, bool strict)
{
	memset(tb, 0, sizeof(*tb) * (ATTR_MAX + 1));
	size_t len;
	const unsigned char *p = payload(h, &len);
	if (len < hdrlen)
		return -EINVAL;
	size_t off = NLMSG_ALIGN(hdrlen);
	while (off + NLA_HDRLEN <= len) {
		struct nlattr a;
		memcpy(&a, p + off, sizeof(a));
		if (a.nla_len < NLA_HDRLEN || a.nla_len > len - off)
			break;
		int type = a.nla_type & NLA_TYPE_MASK;
		if (strict && type > maxtype)
			return -EINVAL;
		if (type <= ATTR_MAX)
			tb[type] = (const struct nlattr *)(p + off);
		off += NLA_ALIGN(a.nla_len);
	}
	if (strict && off < len)
		return -EINVAL;
	return 0;
}

static size_t attr_len(const struct nlattr *a)
{
	return a->nla_len - NLA_HDRLEN;
}

static const void *attr_data(const struct nlattr *a)
{
	return (const unsigned char *)a + NLA_HDRLEN;
}

/* An interface name attribute (NLA_STRING of at most IFNAMSIZ-1 bytes):
 * 0 and name filled, or -ERANGE as Linux's policy check. */
static int attr_ifname(const struct nlattr *a, char name[NL_IFNAMSIZ])
{
	size_t n = attr_len(a);
	const char *s = attr_data(a);
	if (n && s[n - 1] == 0)
		n--;
	if (attr_len(a) < 1 || n > NL_IFNAMSIZ - 1)
		return -ERANGE;
	memset(name, 0, NL_IFNAMSIZ);
	memcpy(name, s, n);
	name[strnlen(name, NL_IFNAMSIZ - 1)] = 0; /* as nla_strscpy: stop at a NUL */
	return 0;
}

/* Only the attributes in allowed (a 64-bit mask of types) may appear. */
static int only_attrs(const struct nlattr **tb, uint64_t allowed)
{
	for (int i = 1; i <= ATTR_MAX; i++)
		if (tb[i] && !(allowed & (1ull << i)))
			return -EINVAL;
	return 0;
}

#define BIT(x) (1ull << (x))

/* ---------------------------------------------------------------- links */

static unsigned int operstate(const struct ns_nic_info *n)
{
	if (!(n->flags & NL_IFF_UP))
		return NL_OPER_DOWN;
	return (n->flags & NL_IFF_LOOPBACK) ? NL_OPER_UNKNOWN : NL_OPER_UP;
}

/* One RTM_NEWLINK, the attributes Linux's rtnl_fill_ifinfo gives in its
 * order (those of a device without queues' details or AF_SPEC). */
static void fill_link(struct nlbuf *b, const struct ns_nic_info *n, uint16_t flags, uint32_t seq,
		      uint32_t pid)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC,
				.ifi_type = (unsigned short)netif_arphrd(n),
				.ifi_index = n->ifindex,
				.ifi_flags = n->flags};
	size_t off = nlbuf_begin(b, RTM_NEWLINK, flags, seq, pid, &ifi, sizeof(ifi));
	bool lo = n->flags & NL_IFF_LOOPBACK;
	char name[NL_IFNAMSIZ + 1] = {0};
	memcpy(name, n->name, NL_IFNAMSIZ);
	nlbuf_attr_str(b, IFLA_IFNAME, name);
	nlbuf_attr_u32(b, IFLA_TXQLEN, 1000);
	nlbuf_attr_u8(b, IFLA_OPERSTATE, (uint8_t)operstate(n));
	nlbuf_attr_u8(b, IFLA_LINKMODE, 0);
	nlbuf_attr_u32(b, IFLA_MTU, n->mtu);
	nlbuf_attr_u32(b, IFLA_MIN_MTU, lo ? 0 : 68);
	nlbuf_attr_u32(b, IFLA_MAX_MTU, lo ? 0 : 65535);
	nlbuf_attr_u32(b, IFLA_GROUP, 0);
	nlbuf_attr_u32(b, IFLA_PROMISCUITY, 0);
	nlbuf_attr_u32(b, IFLA_ALLMULTI, 0);
	nlbuf_attr_u32(b, IFLA_NUM_TX_QUEUES, 1);
	nlbuf_attr_u32(b, IFLA_GSO_MAX_SEGS, 65535);
	nlbuf_attr_u32(b, IFLA_GSO_MAX_SIZE, 65536);
	nlbuf_attr_u32(b, IFLA_GRO_MAX_SIZE, 65536);
	nlbuf_attr_u32(b, IFLA_TSO_MAX_SIZE, 524280);
	nlbuf_attr_u32(b, IFLA_TSO_MAX_SEGS, 65535);
	nlbuf_attr_u32(b, IFLA_NUM_RX_QUEUES, 1);
	nlbuf_attr_u8(b, IFLA_CARRIER, (n->flags & NL_IFF_UP) ? 1 : 0);
	nlbuf_attr_str(b, IFLA_QDISC, "noqueue");
	nlbuf_attr_u32(b, IFLA_CARRIER_CHANGES, 0);
	nlbuf_attr_u8(b, IFLA_PROTO_DOWN, 0);
	struct rtnl_link_ifmap map = {0};
	nlbuf_attr(b, IFLA_MAP, &map, sizeof(map));
	uint8_t bcast[6];
	memset(bcast, lo ? 0 : 0xff, sizeof(bcast));
	nlbuf_attr(b, IFLA_ADDRESS, n->hwaddr, 6);
	nlbuf_attr(b, IFLA_BROADCAST, bcast, 6);
	struct rtnl_link_stats64 s64 = {.rx_packets = n->rx_packets,
					.tx_packets = n->tx_packets,
					.rx_bytes = n->rx_bytes,
					.tx_bytes = n->tx_bytes,
					.rx_dropped = n->rx_dropped,
					.tx_dropped = n->tx_dropped};
	nlbuf_attr(b, IFLA_STATS64, &s64, sizeof(s64));
	struct rtnl_link_stats s32 = {.rx_packets = (uint32_t)n->rx_packets,
				      .tx_packets = (uint32_t)n->tx_packets,
				      .rx_bytes = (uint32_t)n->rx_bytes,
				      .tx_bytes = (uint32_t)n->tx_bytes,
				      .rx_dropped = (uint32_t)n->rx_dropped,
				      .tx_dropped = (uint32_t)n->tx_dropped};
	nlbuf_attr(b, IFLA_STATS, &s32, sizeof(s32));
	/* IPv6's part of IFLA_AF_SPEC: the device is ready, addresses made
	 * from EUI-64 (what `ip -d link` shows as addrgenmode). */
	size_t spec = nest_begin(b, IFLA_AF_SPEC);
	size_t inet6 = nest_begin(b, AF_INET6);
	nlbuf_attr_u32(b, IFLA_INET6_FLAGS, 0x80000000u /* IF_READY */);
	nlbuf_attr_u8(b, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_EUI64);
	nest_end(b, inet6);
	nest_end(b, spec);
	nlbuf_end(b, off);
}

/* rtnl_valid_dump_ifinfo_req + rtnl_dump_ifinfo. */
static int link_dump(const struct rtnl_ctx *c, const struct nlmsghdr *h, int family,
		     struct nlbuf *dump, struct rtnl_dump *d)
{
	const struct nlattr *tb[ATTR_MAX + 1];
	size_t plen;
	const unsigned char *p = payload(h, &plen);
	if (c->strict) {
		struct ifinfomsg ifm;
		if (plen < sizeof(ifm))
			return -EINVAL;
		memcpy(&ifm, p, sizeof(ifm));
		if (ifm.__ifi_pad || ifm.ifi_type || ifm.ifi_flags || ifm.ifi_change ||
		    ifm.ifi_index)
			return -EINVAL;
		int e = parse_attrs(h, sizeof(ifm), tb, IFLA_MAX, true);
		if (!e)
			e = only_attrs(tb, BIT(IFLA_TARGET_NETNSID) | BIT(IFLA_EXT_MASK) |
					       BIT(IFLA_MASTER) | BIT(IFLA_LINKINFO));
		if (e)
			return e;
		/* A filter on a master or a link kind: no device here has either. */
		if (tb[IFLA_MASTER] || tb[IFLA_LINKINFO]) {
			d->flags |= NLM_F_DUMP_FILTERED;
			return 0;
		}
	}
	if (family == AF_BRIDGE)
		return 0; /* no bridge ports */
	struct ns_nic_info *nics;
	int n = netif_nics(&nics);
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		fill_link(dump, &nics[i], NLM_F_MULTI | d->flags, h->nlmsg_seq, c->portid);
	free(nics);
	return 0;
}

/* rtnl_valid_getlink_req + rtnl_getlink. */
static int link_get(const struct rtnl_ctx *c, const struct nlmsghdr *h, struct nlbuf *reply)
{
	const struct nlattr *tb[ATTR_MAX + 1];
	struct ifinfomsg ifm;
	int e = parse_attrs(h, sizeof(ifm), tb, IFLA_MAX, c->strict);
	if (e)
		return e;
	size_t plen;
	memcpy(&ifm, payload(h, &plen), sizeof(ifm));
	if (c->strict) {
		if (ifm.__ifi_pad || ifm.ifi_type || ifm.ifi_flags || ifm.ifi_change)
			return -EINVAL;
		e = only_attrs(tb, BIT(IFLA_IFNAME) | BIT(IFLA_ALT_IFNAME) | BIT(IFLA_EXT_MASK) |
					   BIT(IFLA_TARGET_NETNSID));
		if (e)
			return e;
	}
	char name[NL_IFNAMSIZ];
	if (tb[IFLA_IFNAME] && (e = attr_ifname(tb[IFLA_IFNAME], name)))
		return e;
	struct ns_nic_info nic;
	if (ifm.ifi_index > 0)
		e = netif_nic_by_index(ifm.ifi_index, &nic);
	else if (tb[IFLA_IFNAME])
		e = netif_nic_by_name(name, &nic);
	else if (tb[IFLA_ALT_IFNAME])
		e = -ENODEV; /* no interface has an alternative name */
	else
		e = -EINVAL;
	if (e)
		return e;
	fill_link(reply, &nic, 0, h->nlmsg_seq, c->portid);
	return 0;
}

/* ---------------------------------------------------------------- addresses */

static void fill_addr(struct nlbuf *b, const struct ns_addr_info *a, const char *label,
		      uint16_t flags, uint32_t seq, uint32_t pid)
{
	struct ifaddrmsg ifa = {.ifa_family = (uint8_t)a->family,
				.ifa_prefixlen = a->prefixlen,
				.ifa_flags = IFA_F_PERMANENT,
				.ifa_scope = a->scope,
				.ifa_index = (uint32_t)a->ifindex};
	size_t off = nlbuf_begin(b, RTM_NEWADDR, flags, seq, pid, &ifa, sizeof(ifa));
	struct ifa_cacheinfo ci = {.ifa_prefered = INFINITY_LIFE_TIME,
				   .ifa_valid = INFINITY_LIFE_TIME};
	if (a->family == AF_INET) {
		/* inet_fill_ifaddr */
		nlbuf_attr(b, IFA_ADDRESS, a->addr, 4);
		nlbuf_attr(b, IFA_LOCAL, a->addr, 4);
		if (a->scope != RT_SCOPE_HOST && a->prefixlen < 31) {
			uint8_t bc[4];
			for (int i = 0; i < 4; i++) {
				unsigned int bits = a->prefixlen > i * 8 ? a->prefixlen - i * 8 : 0;
				uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
				bc[i] = (a->addr[i] & m) | (uint8_t)~m;
			}
			nlbuf_attr(b, IFA_BROADCAST, bc, 4);
		}
		nlbuf_attr_str(b, IFA_LABEL, label);
		nlbuf_attr_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
		nlbuf_attr(b, IFA_CACHEINFO, &ci, sizeof(ci));
	} else {
		/* inet6_fill_ifaddr */
		nlbuf_attr(b, IFA_ADDRESS, a->addr, 16);
		nlbuf_attr(b, IFA_CACHEINFO, &ci, sizeof(ci));
		nlbuf_attr_u32(b, IFA_FLAGS, IFA_F_PERMANENT);
	}
	nlbuf_end(b, off);
}

static const char *label_of(const struct ns_nic_info *nics, int n, int ifindex, char *buf)
{
	buf[0] = 0;
	for (int i = 0; i < n; i++)
		if (nics[i].ifindex == ifindex)
			memcpy(buf, nics[i].name, NL_IFNAMSIZ);
	buf[NL_IFNAMSIZ] = 0;
	return buf;
}

/* One family's address dump (inet_dump_ifaddr / inet6_dump_addr). */
static int addr_dump_family(const struct rtnl_ctx *c, const struct nlmsghdr *h, int family,
			    struct nlbuf *dump, struct rtnl_dump *d)
{
	int ifindex = 0;
	if (c->strict) {
		const struct nlattr *tb[ATTR_MAX + 1];
		struct ifaddrmsg ifm;
		size_t plen;
		const unsigned char *p = payload(h, &plen);
		if (plen < sizeof(ifm))
			return -EINVAL;
		memcpy(&ifm, p, sizeof(ifm));
		if (ifm.ifa_prefixlen || ifm.ifa_flags || ifm.ifa_scope)
			return -EINVAL;
		int e = parse_attrs(h, sizeof(ifm), tb, IFA_MAX, true);
		if (!e)
			e = only_attrs(tb, BIT(IFA_TARGET_NETNSID));
		if (e)
			return e;
		ifindex = (int)ifm.ifa_index;
		if (ifindex) {
			struct ns_nic_info nic;
			d->flags |= NLM_F_DUMP_FILTERED;
			if (netif_nic_by_index(ifindex, &nic) < 0)
				return -ENODEV;
		}
	}
	struct ns_nic_info *nics;
	struct ns_addr_info *addrs;
	int nn = netif_nics(&nics);
	if (nn < 0)
		return nn;
	int na = netif_addrs(&addrs);
	if (na < 0) {
		free(nics);
		return na;
	}
	char label[NL_IFNAMSIZ + 1];
	for (int i = 0; i < na; i++) {
		if (addrs[i].family != family || (ifindex && addrs[i].ifindex != ifindex))
			continue;
		fill_addr(dump, &addrs[i], label_of(nics, nn, addrs[i].ifindex, label),
			  NLM_F_MULTI | d->flags, h->nlmsg_seq, c->portid);
	}
	free(nics);
	free(addrs);
	return 0;
}

static int addr_dump(const struct rtnl_ctx *c, const struct nlmsghdr *h, int family,
		     struct nlbuf *dump, struct rtnl_dump *d)
{
	if (family == AF_INET || family == AF_INET6)
		return addr_dump_family(c, h, family, dump, d);
	/* rtnl_dump_all: every family that dumps addresses, in order. */
	int e = addr_dump_family(c, h, AF_INET, dump, d);
	return e ? e : addr_dump_family(c, h, AF_INET6, dump, d);
}

/* inet6_rtm_getaddr: the address given as IFA_ADDRESS or IFA_LOCAL. */
static int addr_get6(const struct rtnl_ctx *c, const struct nlmsghdr *h, struct nlbuf *reply)
{
	const struct nlattr *tb[ATTR_MAX + 1];
	struct ifaddrmsg ifm;
	int e = parse_attrs(h, sizeof(ifm), tb, IFA_MAX, c->strict);
	if (e)
		return e;
	size_t plen;
	memcpy(&ifm, payload(h, &plen), sizeof(ifm));
	const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || attr_len(a) < 16)
		return -EINVAL;
	struct ns_nic_info *nics;
	struct ns_addr_info *addrs;
	int nn = netif_nics(&nics);
	if (nn < 0)
		return nn;
	int na = netif_addrs(&addrs);
	if (na < 0) {
		free(nics);
		return na;
	}
	e = -EADDRNOTAVAIL;
	char label[NL_IFNAMSIZ + 1];
	for (int i = 0; i < na && e; i++) {
		if (addrs[i].family != AF_INET6 || memcmp(addrs[i].addr, attr_data(a), 16) ||
		    (ifm.ifa_index && (int)ifm.ifa_index != addrs[i].ifindex))
			continue;
		fill_addr(reply, &addrs[i], label_of(nics, nn, addrs[i].ifindex, label), 0,
			  h->nlmsg_seq, c->portid);
		e = 0;
	}
	free(nics);
	free(addrs);
	return e;
}

/* ---------------------------------------------------------------- routes */

static void fill_route(struct nlbuf *b, const struct netif_route *r, uint16_t flags, uint32_t seq,
		       uint32_t pid)
{
	int alen = r->family == AF_INET ? 4 : 16;
	struct rtmsg rtm = {.rtm_family = (uint8_t)r->family,
			    .rtm_dst_len = r->dst_len,
			    .rtm_table = r->table,
			    .rtm_protocol = r->protocol,
			    .rtm_scope = r->scope,
			    .rtm_type = r->type};
	size_t off = nlbuf_begin(b, RTM_NEWROUTE, flags, seq, pid, &rtm, sizeof(rtm));
	nlbuf_attr_u32(b, RTA_TABLE, r->table);
	if (r->family == AF_INET) {
		/* fib_dump_info */
		if (r->dst_len)
			nlbuf_attr(b, RTA_DST, r->dst, 4);
		if (r->metric)
			nlbuf_attr_u32(b, RTA_PRIORITY, r->metric);
		if (r->has_prefsrc)
			nlbuf_attr(b, RTA_PREFSRC, r->prefsrc, 4);
		if (r->has_gateway)
			nlbuf_attr(b, RTA_GATEWAY, r->gateway, 4);
		nlbuf_attr_u32(b, RTA_OIF, (uint32_t)r->ifindex);
	} else {
		/* rt6_fill_node */
		if (r->dst_len)
			nlbuf_attr(b, RTA_DST, r->dst, alen);
		nlbuf_attr_u32(b, RTA_PRIORITY, r->metric);
		if (r->has_gateway)
			nlbuf_attr(b, RTA_GATEWAY, r->gateway, 16);
		nlbuf_attr_u32(b, RTA_OIF, (uint32_t)r->ifindex);
		struct rta_cacheinfo ci = {0};
		nlbuf_attr(b, RTA_CACHEINFO, &ci, sizeof(ci));
		nlbuf_attr_u8(b, RTA_PREF, 0); /* ICMPV6_ROUTER_PREF_MEDIUM */
	}
	nlbuf_end(b, off);
}

struct route_filter {
	bool set;
	bool cloned; /* RTM_F_CLONED: the route cache only (empty here) */
	uint8_t protocol, type;
	uint32_t table;
	int oif;
};

/* ip_valid_fib_dump_req, and the flags a lax request may carry. */
static int route_dump_filter(const struct rtnl_ctx *c, const struct nlmsghdr *h,
			     struct route_filter *f)
{
	memset(f, 0, sizeof(*f));
	size_t plen;
	const unsigned char *p = payload(h, &plen);
	struct rtmsg rtm;
	if (!c->strict) {
		if (plen >= sizeof(rtm)) {
			memcpy(&rtm, p, sizeof(rtm));
			f->cloned = rtm.rtm_flags & RTM_F_CLONED;
		}
		return 0;
	}
	if (plen < sizeof(rtm))
		return -EINVAL;
	memcpy(&rtm, p, sizeof(rtm));
	if (rtm.rtm_dst_len || rtm.rtm_src_len || rtm.rtm_tos || rtm.rtm_scope)
		return -EINVAL;
	if (rtm.rtm_flags & ~(RTM_F_CLONED | RTM_F_PREFIX))
		return -EINVAL;
	const struct nlattr *tb[ATTR_MAX + 1];
	int e = parse_attrs(h, sizeof(rtm), tb, RTA_MAX, true);
	if (!e)
		e = only_attrs(tb, BIT(RTA_TABLE) | BIT(RTA_OIF));
	if (e)
		return e;
	f->cloned = rtm.rtm_flags & RTM_F_CLONED;
	f->protocol = rtm.rtm_protocol;
	f->type = rtm.rtm_type;
	f->table = rtm.rtm_table;
	if (tb[RTA_TABLE]) {
		if (attr_len(tb[RTA_TABLE]) < 4)
			return -EINVAL;
		memcpy(&f->table, attr_data(tb[RTA_TABLE]), 4);
	}
	if (tb[RTA_OIF]) {
		if (attr_len(tb[RTA_OIF]) < 4)
			return -EINVAL;
		memcpy(&f->oif, attr_data(tb[RTA_OIF]), 4);
		struct ns_nic_info nic;
		if (f->oif && netif_nic_by_index(f->oif, &nic) < 0)
			return -ENODEV;
	}
	f->set = rtm.rtm_flags || f->protocol || f->type || f->table || f->oif;
	return 0;
}

static bool route_matches(const struct route_filter *f, const struct netif_route *r)
{
	if (f->cloned)
		return false;
	return (!f->table || f->table == r->table) && (!f->protocol || f->protocol == r->protocol) &&
	       (!f->type || f->type == r->type) && (!f->oif || f->oif == r->ifindex);
}

static int route_dump(const struct rtnl_ctx *c, const struct nlmsghdr *h, int family,
		      struct nlbuf *dump, struct rtnl_dump *d)
{
	struct route_filter f;
	int e = route_dump_filter(c, h, &f);
	if (e)
		return e;
	if (f.set)
		d->flags |= NLM_F_DUMP_FILTERED;
	struct netif_route *rts;
	int n = netif_routes(&rts);
	if (n < 0)
		return n;
	/* AF_UNSPEC (and a family without a route dump of its own): every
	 * family's, as rtnl_dump_all. */
	bool all = family != AF_INET && family != AF_INET6;
	for (int i = 0; i < n; i++)
		if ((all || rts[i].family == family) && route_matches(&f, &rts[i]))
			fill_route(dump, &rts[i], NLM_F_MULTI | d->flags, h->nlmsg_seq, c->portid);
	free(rts);
	return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *net, unsigned int bits)
{
	for (unsigned int i = 0; i < 16 && bits; i++) {
		unsigned int b = bits > 8 ? 8 : bits;
		uint8_t m = (uint8_t)(0xff00 >> b);
		if ((a[i] & m) != (net[i] & m))
			return false;
		bits -= b;
	}
	return true;
}

/* The route Linux's lookup picks for dst: the local table first, then
 * main, the longest prefix in each (fib rules 0 and 32766). */
static const struct netif_route *route_lookup(const struct netif_route *rts, int n, int family,
					      const uint8_t *dst)
{
	static const uint8_t tables[] = {RT_TABLE_LOCAL, RT_TABLE_MAIN};
	for (int t = 0; t < 2; t++) {
		const struct netif_route *best = NULL;
		for (int i = 0; i < n; i++) {
			const struct netif_route *r = &rts[i];
			if (r->family != family || r->table != tables[t] ||
			    !prefix_match(dst, r->dst, r->dst_len))
				continue;
			if (!best || r->dst_len > best->dst_len ||
			    (r->dst_len == best->dst_len && r->metric < best->metric))
				best = r;
		}
		if (best)
			return best;
	}
	return NULL;
}

static int loopback_index(void)
{
	struct ns_nic_info *nics;
	int n = netif_nics(&nics);
	int idx = 0;
	for (int i = 0; i < n && !idx; i++)
		if (nics[i].flags & NL_IFF_LOOPBACK)
			idx = nics[i].ifindex;
	if (n >= 0)
		free(nics);
	return idx;
}

/* A source address of family on ifindex (the first), or false. */
static bool source_on(int family, int ifindex, uint8_t out[16])
{
	struct ns_addr_info *addrs;
	int n = netif_addrs(&addrs);
	bool found = false;
	for (int i = 0; i < n && !found; i++) {
		if (addrs[i].family == family && addrs[i].ifindex == ifindex) {
			memcpy(out, addrs[i].addr, 16);
			found = true;
		}
	}
	if (n >= 0)
		free(addrs);
	return found;
}

/* inet_rtm_getroute / inet6_rtm_getroute: "ip route get ADDR". */
static int route_get(const struct rtnl_ctx *c, const struct nlmsghdr *h, int family,
		     struct nlbuf *reply)
{
	if (family != AF_INET && family != AF_INET6)
		return -EOPNOTSUPP;
	const struct nlattr *tb[ATTR_MAX + 1];
	struct rtmsg rtm;
	int e = parse_attrs(h, sizeof(rtm), tb, RTA_MAX, c->strict);
	if (e)
		return e;
	size_t plen;
	memcpy(&rtm, payload(h, &plen), sizeof(rtm));
	int alen = family == AF_INET ? 4 : 16;
	if (c->strict) {
		if ((rtm.rtm_src_len && rtm.rtm_src_len != alen * 8) ||
		    (rtm.rtm_dst_len && rtm.rtm_dst_len != alen * 8) || rtm.rtm_table ||
		    rtm.rtm_protocol || rtm.rtm_scope || rtm.rtm_type)
			return -EINVAL;
		if (rtm.rtm_flags & ~(RTM_F_NOTIFY | RTM_F_LOOKUP_TABLE | RTM_F_FIB_MATCH))
			return -EINVAL;
		e = only_attrs(tb, BIT(RTA_IIF) | BIT(RTA_OIF) | BIT(RTA_SRC) | BIT(RTA_DST) |
					   BIT(RTA_IP_PROTO) | BIT(RTA_SPORT) | BIT(RTA_DPORT) |
					   BIT(RTA_MARK) | BIT(RTA_UID));
		if (e)
			return e;
	}
	uint8_t dst[16] = {0};
	if (tb[RTA_DST]) {
		if (attr_len(tb[RTA_DST]) < (size_t)alen)
			return -EINVAL;
		memcpy(dst, attr_data(tb[RTA_DST]), alen);
	}
	struct netif_route *rts;
	int n = netif_routes(&rts);
	if (n < 0)
		return n;
	uint8_t look[16];
	memcpy(look, dst, 16);
	static const uint8_t any[16];
	if (family == AF_INET && memcmp(dst, any, 4) == 0)
		look[0] = 127, look[3] = 1; /* as Linux: no destination is 127.0.0.1 */
	const struct netif_route *r = route_lookup(rts, n, family, look);
	if (!r) {
		free(rts);
		return -ENETUNREACH;
	}
	bool local = r->type == RTN_LOCAL || r->type == RTN_BROADCAST;
	int oif = local ? loopback_index() : r->ifindex;
	/* A source given (ip route get ... from ADDR) is echoed as RTA_SRC and
	 * is the route's source (rt_fill_info). */
	uint8_t from[16] = {0};
	bool has_from = tb[RTA_SRC] && attr_len(tb[RTA_SRC]) >= (size_t)alen;
	if (has_from)
		memcpy(from, attr_data(tb[RTA_SRC]), alen);
	uint8_t src[16] = {0};
	bool has_src = r->has_prefsrc;
	if (has_src)
		memcpy(src, r->prefsrc, 16);
	else if (local && family == AF_INET6)
		memcpy(src, look, 16), has_src = true;
	else
		has_src = source_on(family, r->ifindex, src);
	/* IPv4 answers from the route cache, which names the main table;
	 * IPv6 names the table of the route it found. */
	uint8_t table = family == AF_INET ? RT_TABLE_MAIN : r->table;
	struct rtmsg out = {.rtm_family = (uint8_t)family,
			    .rtm_dst_len = (uint8_t)(alen * 8),
			    .rtm_src_len = (uint8_t)(family == AF_INET6 || has_from ? alen * 8 : 0),
			    .rtm_table = table,
			    .rtm_protocol = family == AF_INET ? RTPROT_UNSPEC : r->protocol,
			    .rtm_scope = RT_SCOPE_UNIVERSE,
			    .rtm_type = r->type};
	if (family == AF_INET)
		out.rtm_flags = RTM_F_CLONED | (local ? RTCF_LOCAL : 0) |
				(r->type == RTN_BROADCAST ? RTCF_BROADCAST : 0);
	size_t off = nlbuf_begin(reply, RTM_NEWROUTE, 0, h->nlmsg_seq, c->portid, &out, sizeof(out));
	nlbuf_attr_u32(reply, RTA_TABLE, table);
	nlbuf_attr(reply, RTA_DST, dst, alen);
	if (family == AF_INET6 || has_from)
		nlbuf_attr(reply, RTA_SRC, from, alen);
	if (family == AF_INET) {
		nlbuf_attr_u32(reply, RTA_OIF, (uint32_t)oif);
		if (has_from)
			has_src = false; /* no PREFSRC: the source is given */
		if (has_src)
			nlbuf_attr(reply, RTA_PREFSRC, src, 4);
		if (r->has_gateway)
			nlbuf_attr(reply, RTA_GATEWAY, r->gateway, 4);
		nlbuf_attr_u32(reply, RTA_UID, c->uid);
		struct rta_cacheinfo ci = {0};
		nlbuf_attr(reply, RTA_CACHEINFO, &ci, sizeof(ci));
	} else {
		if (has_src)
			nlbuf_attr(reply, RTA_PREFSRC, src, 16);
		nlbuf_attr_u32(reply, RTA_PRIORITY, r->metric);
		if (r->has_gateway)
			nlbuf_attr(reply, RTA_GATEWAY, r->gateway, 16);
		nlbuf_attr_u32(reply, RTA_OIF, (uint32_t)oif);
		struct rta_cacheinfo ci = {0};
		nlbuf_attr(reply, RTA_CACHEINFO, &ci, sizeof(ci));
		nlbuf_attr_u8(reply, RTA_PREF, 0);
	}
	nlbuf_end(reply, off);
	free(rts);
	return 0;
}

/* ---------------------------------------------------------------- rules */

/* fib_nl_fill_rule for one of the rules every network namespace starts
 * with: "0: from all lookup local", "32766: from all lookup main" and, for
 * IPv4, "32767: from all lookup default". */
static void fill_rule(struct nlbuf *b, int family, uint32_t pref, uint8_t table, uint32_t seq,
		      uint32_t pid)
{
	struct fib_rule_hdr frh = {.family = (uint8_t)family, .table = table,
				   .action = FR_ACT_TO_TBL};
	size_t off = nlbuf_begin(b, RTM_NEWRULE, NLM_F_MULTI, seq, pid, &frh, sizeof(frh));
	nlbuf_attr_u32(b, FRA_TABLE, table);
	nlbuf_attr_u32(b, FRA_SUPPRESS_PREFIXLEN, 0xffffffffu);
	nlbuf_attr_u8(b, FRA_PROTOCOL, RTPROT_KERNEL);
	if (pref)
		nlbuf_attr_u32(b, FRA_PRIORITY, pref);
	nlbuf_end(b, off);
}

/* fib_valid_dumprule_req + fib_nl_dumprule. */
static int rule_dump(const struct rtnl_ctx *c, const struct nlmsghdr *h, int family,
		     struct nlbuf *dump)
{
	if (c->strict) {
		const struct nlattr *tb[ATTR_MAX + 1];
		struct fib_rule_hdr frh;
		size_t plen;
		const unsigned char *p = payload(h, &plen);
		if (plen < sizeof(frh))
			return -EINVAL;
		memcpy(&frh, p, sizeof(frh));
		if (frh.dst_len || frh.src_len || frh.tos || frh.table || frh.res1 || frh.res2 ||
		    frh.action || frh.flags)
			return -EINVAL;
		int e = parse_attrs(h, sizeof(frh), tb, FRA_MAX, true);
		if (!e)
			e = only_attrs(tb, 0);
		if (e)
			return e;
	}
	if (family != AF_UNSPEC && family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (family != AF_INET6) {
		fill_rule(dump, AF_INET, 0, RT_TABLE_LOCAL, h->nlmsg_seq, c->portid);
		fill_rule(dump, AF_INET, 32766, RT_TABLE_MAIN, h->nlmsg_seq, c->portid);
		fill_rule(dump, AF_INET, 32767, RT_TABLE_DEFAULT, h->nlmsg_seq, c->portid);
	}
	if (family != AF_INET) {
		fill_rule(dump, AF_INET6, 0, RT_TABLE_LOCAL, h->nlmsg_seq, c->portid);
		fill_rule(dump, AF_INET6, 32766, RT_TABLE_MAIN, h->nlmsg_seq, c->portid);
	}
	return 0;
}

/* ---------------------------------------------------------------- dispatch */

int rtnl_request(const struct rtnl_ctx *c, const struct nlmsghdr *h, struct nlbuf *reply,
		 struct nlbuf *dump, struct rtnl_dump *d)
{
	int type = h->nlmsg_type;
	*d = (struct rtnl_dump){0};
	if (type > RTM_MAX)
		return -EOPNOTSUPP;
	size_t plen;
	const unsigned char *p = payload(h, &plen);
	/* As Linux: a request without even a struct rtgenmsg is ignored. */
	if (plen < sizeof(struct rtgenmsg))
		return 0;
	int family = p[0];
	int kind = (type - RTM_BASE) & 3;
	if (kind != 2)
		return c->cap_net_admin ? -EOPNOTSUPP : -EPERM;
	bool is_dump = h->nlmsg_flags & NLM_F_DUMP;
	int r;
	switch (type) {
	case RTM_GETLINK:
		if (!is_dump)
			return link_get(c, h, reply);
		r = link_dump(c, h, family, dump, d);
		break;
	case RTM_GETADDR:
		if (!is_dump)
			return family == AF_INET6 ? addr_get6(c, h, reply) : -EOPNOTSUPP;
		r = addr_dump(c, h, family, dump, d);
		break;
	case RTM_GETROUTE:
		if (!is_dump)
			return route_get(c, h, family, reply);
		r = route_dump(c, h, family, dump, d);
		break;
	case RTM_GETRULE:
		if (!is_dump)
			return -EOPNOTSUPP;
		r = rule_dump(c, h, family, dump);
		break;
	case RTM_GETNEIGH:
		if (!is_dump)
			return -EOPNOTSUPP;
		r = 0; /* no neighbours */
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (dump->oom)
		r = -ENOMEM;
	d->err = r;
	return RTNL_DUMP;
}
