/*
 * stack.c — the stack object: interfaces (NICs) over link endpoints, their
 * addresses, the routing table, the poll loop that drives everything
 * (received frames, timers, readiness reports), the timer heap and the
 * counters.
 *
 * The NIC layer is the L2 boundary: a frame from a link goes to
 * nic_input, which for an NS_LINK_IP link is the IP datagram itself and
 * for an Ethernet link (the container's veth) goes through ether.c (its
 * header, ARP, NDP); ns_nic_output is the way back down, and nothing above
 * it knows which kind of link a route uses.
 *
 * It never calls the owner with a lock held: `ready` runs at the end of a
 * poll after the endpoint's lock is dropped, `kick` at the end of a public
 * call.
 */
#include "netstack/ns_impl.h"
#include "lib/memtrim.h"

#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

/* Frames taken from one link per round of a poll, and rounds per poll:
 * a poll stays short and returns "now" when work is left. */
#define RX_BUDGET 256
#define POLL_ROUNDS 16
#define TIMER_BATCH 64

static const char *const counter_names[] = {
#define NS_COUNTER_NAME(n) #n,
    NS_COUNTERS(NS_COUNTER_NAME)
#undef NS_COUNTER_NAME
};

const char *ns_counter_name(enum ns_counter c)
{
	return (unsigned)c < NS_CTR__COUNT ? counter_names[c] : "?";
}

uint64_t ns_stack_counter(struct ns_stack *s, enum ns_counter c)
{
	if ((unsigned)c >= NS_CTR__COUNT)
		return 0;
	return atomic_load_explicit(&s->ctr[c], memory_order_relaxed);
}

/* ---- addresses ---- */

void ip_mask(struct ns_ip *out, const struct ns_ip *a, unsigned int bits)
{
	for (int i = 0; i < 16; i++) {
		unsigned int b = bits > 8 ? 8 : bits;
		out->b[i] = (uint8_t)(a->b[i] & (b ? (0xff00 >> b) & 0xff : 0));
		bits -= b;
	}
}

bool ip_prefix_match(const struct ns_ip *a, const struct ns_ip *net, unsigned int bits)
{
	struct ns_ip x, y;
	ip_mask(&x, a, bits);
	ip_mask(&y, net, bits);
	return ip_eq(&x, &y);
}

const char *ip_fmt(const struct ns_ip *a, char buf[48])
{
	if (ip_is_v4(a))
		inet_ntop(AF_INET, a->b + 12, buf, 48);
	else
		inet_ntop(AF_INET6, a->b, buf, 48);
	return buf;
}

/* ---- SipHash-2-4, for sequence numbers and port choice (RFC 6528) ---- */

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

void ns_stack_seed_hash(struct ns_stack *s, const void *data, size_t len, uint64_t *out)
{
	uint64_t k0 = s->seed[0], k1 = s->seed[1];
	uint64_t v0 = 0x736f6d6570736575ull ^ k0, v1 = 0x646f72616e646f6dull ^ k1;
	uint64_t v2 = 0x6c7967656e657261ull ^ k0, v3 = 0x7465646279746573ull ^ k1;
	const uint8_t *p = data;
	size_t left = len;
	while (left >= 8) {
		uint64_t m;
		memcpy(&m, p, 8);
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
		p += 8;
		left -= 8;
	}
	uint64_t b = (uint64_t)len << 56;
	for (size_t i = 0; i < left; i++)
		b |= (uint64_t)p[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	*out = v0 ^ v1 ^ v2 ^ v3;
}

/* ---- creation ---- */

static const struct ns_sysctl default_sysctl = {
    .port_lo = 32768,
    .port_hi = 60999,
    .somaxconn = 4096,
    .max_syn_backlog = 1024,
    .tcp_sack = 1,
    .tcp_timestamps = 1,
    .tcp_window_scaling = 1,
    .tcp_syn_retries = 6,
    .tcp_synack_retries = 5,
    .tcp_retries2 = 15,
    .tcp_tw_reuse = 2,
    .ip_default_ttl = 64,
    .tcp_keepalive_time = 7200,
    .tcp_keepalive_intvl = 75,
    .tcp_keepalive_probes = 9,
    .tcp_fin_timeout = 60,
    .tcp_rmem = {4096, 131072, 6291456},
    .tcp_wmem = {4096, 16384, 4194304},
    .rmem_max = 212992,
    .wmem_max = 212992,
    .rmem_default = 212992,
    .wmem_default = 212992,
    .unprivileged_port_start = 1024,
};

struct ns_stack *ns_stack_new(const struct ns_stack_ops *ops, void *ctx, uint64_t seed)
{
	/* 126 KiB, mostly tables an idle stack leaves empty: pages of their
	 * own, so the untouched ones are never resident and none pin the top
	 * of the malloc heap (lib/memtrim.h). */
	struct ns_stack *s = memtrim_alloc_pages(sizeof(*s));
	if (!s)
		return NULL;
	vmutex_init(&s->lock, LOCK_CLASS(NETSTACK_STACK));
	s->ops = *ops;
	s->ctx = ctx;
	s->seed[0] = seed ^ 0x9e3779b97f4a7c15ull;
	s->seed[1] = rotl(seed, 29) ^ 0xbf58476d1ce4e5b9ull;
	s->sysctl = default_sysctl;
	uint64_t h;
	ns_stack_seed_hash(s, "ephemeral", 9, &h);
	s->ephemeral_next = (uint32_t)h;
	atomic_store(&s->reported_deadline, NS_TIME_NEVER);
	atomic_store(&s->l2_deadline, NS_TIME_NEVER);
	return s;
}

void ns_stack_get_sysctl(struct ns_stack *s, struct ns_sysctl *out)
{
	vmutex_lock(&s->lock);
	*out = s->sysctl;
	vmutex_unlock(&s->lock);
}

int ns_stack_set_sysctl(struct ns_stack *s, const struct ns_sysctl *in)
{
	if (in->port_lo == 0 || in->port_lo > in->port_hi || in->somaxconn == 0 ||
	    in->tcp_rmem[0] == 0 || in->tcp_rmem[0] > in->tcp_rmem[1] ||
	    in->tcp_rmem[1] > in->tcp_rmem[2] || in->tcp_wmem[0] == 0 ||
	    in->tcp_wmem[0] > in->tcp_wmem[1] || in->tcp_wmem[1] > in->tcp_wmem[2] ||
	    in->ip_default_ttl == 0 || in->tcp_keepalive_time == 0 ||
	    in->tcp_keepalive_intvl == 0 || in->tcp_keepalive_probes == 0)
		return -EINVAL;
	vmutex_lock(&s->lock);
	s->sysctl = *in;
	vmutex_unlock(&s->lock);
	return 0;
}

/* ---- interfaces ---- */

static void nic_rx_wake(void *ctx)
{
	ns_stack_mark_work(ctx);
}

static void nic_input(void *ctx, struct link_endpoint *link, struct ns_pbuf *pb)
{
	struct ns_nic *nic = ctx;
	struct ns_stack *s = (struct ns_stack *)link->rx_wake_ctx;
	ns_count(s, NS_CTR_LINK_RX_FRAMES);
	pb->ifindex = nic->ifindex;
	if (!nic->up) {
		atomic_fetch_add(&nic->rx_dropped, 1);
		ns_pbuf_free(pb);
		return;
	}
	switch (link->type) {
	case NS_LINK_IP:
		ns_ip_input(s, nic, pb);
		return;
	case NS_LINK_ETHERNET:
		ns_eth_input(s, nic, pb);
		return;
	default:
		ns_count(s, NS_CTR_LINK_RX_BAD_TYPE);
		atomic_fetch_add(&nic->rx_dropped, 1);
		ns_pbuf_free(pb);
	}
}

int ns_nic_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *nexthop,
		  struct ns_pbuf *pb)
{
	if (!nic->up) {
		ns_pbuf_free(pb);
		return -ENETDOWN;
	}
	if (nic->neigh)
		return ns_eth_output(s, nic, nexthop, pb);
	int r = ns_link_send(nic->link, pb);
	if (r < 0)
		ns_count(s, NS_CTR_LINK_TX_ERRORS);
	return r;
}

int ns_stack_add_nic(struct ns_stack *s, struct link_endpoint *link)
{
	struct ns_nic *nic = calloc(1, sizeof(*nic));
	if (!nic)
		return -ENOMEM;
	if (link->type == NS_LINK_ETHERNET) {
		nic->neigh = calloc(NS_NEIGH_MAX, sizeof(*nic->neigh));
		if (!nic->neigh) {
			free(nic);
			return -ENOMEM;
		}
	}
	vmutex_lock(&s->lock);
	if (s->nnics >= NS_MAX_NICS) {
		vmutex_unlock(&s->lock);
		free(nic->neigh);
		free(nic);
		return -ENOSPC;
	}
	nic->ifindex = s->nnics + 1;
	nic->link = link;
	nic->mtu = link->mtu;
	nic->up = true;
	link->rx_wake = nic_rx_wake;
	link->rx_wake_ctx = s;
	ns_link_set_deliver(link, nic_input, nic);
	s->nics[s->nnics++] = nic;
	atomic_fetch_add(&s->route_gen, 1);
	vmutex_unlock(&s->lock);
	return nic->ifindex;
}

static struct ns_nic *nic_by_index(struct ns_stack *s, int ifindex)
{
	if (ifindex < 1 || ifindex > s->nnics)
		return NULL;
	return s->nics[ifindex - 1];
}

bool ns_stack_has_nic(struct ns_stack *s, int ifindex)
{
	vmutex_lock(&s->lock);
	bool r = nic_by_index(s, ifindex) != NULL;
	vmutex_unlock(&s->lock);
	return r;
}

int ns_stack_set_nic_up(struct ns_stack *s, int ifindex, bool up)
{
	struct ns_pbuf *drop = NULL;
	vmutex_lock(&s->lock);
	struct ns_nic *nic = nic_by_index(s, ifindex);
	if (nic) {
		nic->up = up;
		if (!up)
			ns_neigh_flush_locked(nic, &drop);
		atomic_fetch_add(&s->route_gen, 1);
	}
	vmutex_unlock(&s->lock);
	ns_pbuf_free_chain(drop);
	return nic ? 0 : -ENODEV;
}

static int addr_from(int family, const void *addr, unsigned int prefixlen, struct ns_ip *out,
		     unsigned int *bits)
{
	if (family == AF_INET) {
		if (prefixlen > 32)
			return -EINVAL;
		uint32_t v;
		memcpy(&v, addr, 4);
		ip_set_v4(out, ntohl(v));
		*bits = prefixlen + 96;
		return 0;
	}
	if (family == AF_INET6) {
		if (prefixlen > 128)
			return -EINVAL;
		memcpy(out->b, addr, 16);
		*bits = prefixlen;
		return 0;
	}
	return -EAFNOSUPPORT;
}

static int route_add_locked(struct ns_stack *s, const struct ns_ip *dst, unsigned int bits,
			    const struct ns_ip *gw, int ifindex, uint32_t metric)
{
	struct ns_ip net;
	ip_mask(&net, dst, bits);
	for (int i = 0; i < s->nroutes; i++) {
		struct ns_route *r = &s->routes[i];
		if (r->prefixlen == bits && ip_eq(&r->dst, &net) && r->ifindex == ifindex &&
		    r->metric == metric)
			return -EEXIST;
	}
	if (s->nroutes >= NS_MAX_ROUTES)
		return -ENOSPC;
	struct ns_route *r = &s->routes[s->nroutes++];
	memset(r, 0, sizeof(*r));
	r->dst = net;
	r->v4 = ip_is_v4(dst) && bits >= 96;
	r->prefixlen = (uint8_t)bits;
	if (gw) {
		r->gateway = *gw;
		r->has_gateway = true;
	}
	r->ifindex = ifindex;
	r->metric = metric;
	atomic_fetch_add(&s->route_gen, 1);
	return 0;
}

static int route_del_locked(struct ns_stack *s, const struct ns_ip *dst, unsigned int bits,
			    int ifindex)
{
	struct ns_ip net;
	ip_mask(&net, dst, bits);
	for (int i = 0; i < s->nroutes; i++) {
		struct ns_route *r = &s->routes[i];
		if (r->prefixlen == bits && ip_eq(&r->dst, &net) &&
		    (ifindex == 0 || r->ifindex == ifindex)) {
			s->routes[i] = s->routes[--s->nroutes];
			atomic_fetch_add(&s->route_gen, 1);
			return 0;
		}
	}
	return -ESRCH;
}

/* Add or remove an address under s->lock. */
static int addr_change_locked(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *a,
			      unsigned int bits, bool add)
{
	int i = 0;
	while (i < nic->naddrs && !ip_eq(&nic->addrs[i].addr, a))
		i++;
	if (!add) {
		if (i == nic->naddrs || nic->addrs[i].prefixlen != bits)
			return -EADDRNOTAVAIL;
		nic->addrs[i] = nic->addrs[--nic->naddrs];
		route_del_locked(s, a, bits, nic->ifindex);
		return 0;
	}
	if (i < nic->naddrs)
		return -EEXIST;
	if (nic->naddrs >= NS_MAX_NIC_ADDRS)
		return -ENOSPC;
	nic->addrs[nic->naddrs].addr = *a;
	nic->addrs[nic->naddrs].prefixlen = (uint8_t)bits;
	nic->naddrs++;
	/* The subnet route, as Linux's "proto kernel scope link"; lo's IPv4
	 * subnet lives only in the local table (ns_addr_is_local). */
	if (!(ip_is_v4(a) && (nic->link->flags & NS_LINK_F_LOOPBACK)))
		route_add_locked(s, a, bits, NULL, nic->ifindex, ip_is_v4(a) ? 0 : 256);
	return 0;
}

static int addr_change(struct ns_stack *s, int ifindex, int family, const void *addr,
		       unsigned int prefixlen, bool add)
{
	struct ns_ip a;
	unsigned int bits;
	int r = addr_from(family, addr, prefixlen, &a, &bits);
	if (r)
		return r;
	vmutex_lock(&s->lock);
	struct ns_nic *nic = nic_by_index(s, ifindex);
	r = nic ? addr_change_locked(s, nic, &a, bits, add) : -ENODEV;
	atomic_fetch_add(&s->route_gen, 1);
	vmutex_unlock(&s->lock);
	/* Announced at once (a gratuitous ARP), as Linux's inetdev does. */
	if (r == 0 && add && ip_is_v4(&a))
		ns_arp_announce(s, nic, &a);
	return r;
}

int ns_stack_add_addr(struct ns_stack *s, int ifindex, int family, const void *addr,
		      unsigned int prefixlen)
{
	return addr_change(s, ifindex, family, addr, prefixlen, true);
}

int ns_stack_del_addr(struct ns_stack *s, int ifindex, int family, const void *addr,
		      unsigned int prefixlen)
{
	return addr_change(s, ifindex, family, addr, prefixlen, false);
}

int ns_stack_add_route(struct ns_stack *s, int family, const void *dst, unsigned int prefixlen,
		       const void *gateway, int ifindex, uint32_t metric)
{
	struct ns_ip d, g;
	unsigned int bits, gbits;
	int r = addr_from(family, dst, prefixlen, &d, &bits);
	if (!r && gateway)
		r = addr_from(family, gateway, 0, &g, &gbits);
	if (r)
		return r;
	vmutex_lock(&s->lock);
	if (!nic_by_index(s, ifindex))
		r = -ENODEV;
	else
		r = route_add_locked(s, &d, bits, gateway ? &g : NULL, ifindex, metric);
	vmutex_unlock(&s->lock);
	return r;
}

int ns_stack_del_route(struct ns_stack *s, int family, const void *dst, unsigned int prefixlen,
		       int ifindex)
{
	struct ns_ip d;
	unsigned int bits;
	int r = addr_from(family, dst, prefixlen, &d, &bits);
	if (r)
		return r;
	vmutex_lock(&s->lock);
	r = route_del_locked(s, &d, bits, ifindex);
	vmutex_unlock(&s->lock);
	return r;
}

int ns_stack_setup_loopback(struct ns_stack *s)
{
	struct link_endpoint *lo = ns_loopback_new(NS_LOOPBACK_MTU, 0);
	if (!lo)
		return -ENOMEM;
	int idx = ns_stack_add_nic(s, lo);
	if (idx < 0) {
		ns_link_destroy(lo);
		return idx;
	}
	atomic_store(&s->lo_link, lo);
	struct in_addr a4 = {htonl(INADDR_LOOPBACK)};
	int r = ns_stack_add_addr(s, idx, AF_INET, &a4, 8);
	if (!r)
		r = ns_stack_add_addr(s, idx, AF_INET6, &in6addr_loopback, 128);
	return r ? r : idx;
}

/* ---- route lookup ---- */

static struct ns_nic *loopback_nic(struct ns_stack *s)
{
	for (int i = 0; i < s->nnics; i++)
		if ((s->nics[i]->link->flags & NS_LINK_F_LOOPBACK) && s->nics[i]->up)
			return s->nics[i];
	return NULL;
}

bool ns_addr_is_local_locked(struct ns_stack *s, const struct ns_ip *a)
{
	for (int i = 0; i < s->nnics; i++) {
		struct ns_nic *nic = s->nics[i];
		for (int j = 0; j < nic->naddrs; j++) {
			const struct ns_nic_addr *na = &nic->addrs[j];
			if (ip_eq(&na->addr, a))
				return true;
			/* Linux's "local 127.0.0.0/8 dev lo": the whole subnet of
			 * an IPv4 address on a loopback device is ours. */
			if ((nic->link->flags & NS_LINK_F_LOOPBACK) && ip_is_v4(a) &&
			    ip_is_v4(&na->addr) && ip_prefix_match(a, &na->addr, na->prefixlen))
				return true;
		}
	}
	return false;
}

bool ns_addr_is_local(struct ns_stack *s, const struct ns_ip *a)
{
	vmutex_lock(&s->lock);
	bool r = ns_addr_is_local_locked(s, a);
	vmutex_unlock(&s->lock);
	return r;
}

static bool is_broadcast_locked(struct ns_stack *s, const struct ns_ip *a, struct ns_nic **on)
{
	if (!ip_is_v4(a))
		return false;
	uint32_t v = ip_v4(a);
	for (int i = 0; i < s->nnics; i++) {
		struct ns_nic *nic = s->nics[i];
		for (int j = 0; j < nic->naddrs; j++) {
			const struct ns_nic_addr *na = &nic->addrs[j];
			unsigned int bits = na->prefixlen - 96u;
			if (!ip_is_v4(&na->addr) || bits > 30)
				continue;
			uint32_t host = 0xffffffffu >> bits;
			if (v == 0xffffffffu || v == (ip_v4(&na->addr) | host)) {
				*on = nic;
				return true;
			}
		}
	}
	return false;
}

bool ns_addr_is_broadcast(struct ns_stack *s, const struct ns_ip *a)
{
	struct ns_nic *on;
	vmutex_lock(&s->lock);
	bool r = ip_is_v4(a) && (ip_v4(a) == 0xffffffffu || is_broadcast_locked(s, a, &on));
	vmutex_unlock(&s->lock);
	return r;
}

enum ns_addr_kind ns_addr_classify(struct ns_stack *s, const struct ns_ip *a)
{
	struct ns_nic *on;
	vmutex_lock(&s->lock);
	enum ns_addr_kind k = NS_ADDR_OTHER;
	if (ip_is_v4(a) && (ip_v4(a) == 0xffffffffu || is_broadcast_locked(s, a, &on)))
		k = NS_ADDR_BROADCAST;
	else if (ns_addr_is_local_locked(s, a))
		k = NS_ADDR_LOCAL;
	vmutex_unlock(&s->lock);
	return k;
}

/* The address to send from on nic towards dst: hint when it is ours,
 * else an address of dst's family on nic, preferring dst's subnet. */
static bool pick_src(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *dst,
		     const struct ns_ip *hint, struct ns_ip *src)
{
	bool v4 = ip_is_v4(dst);
	if (hint && !ip_is_any(hint) && ip_is_v4(hint) == v4 && ns_addr_is_local_locked(s, hint)) {
		*src = *hint;
		return true;
	}
	const struct ns_nic_addr *best = NULL;
	for (int j = 0; j < nic->naddrs; j++) {
		const struct ns_nic_addr *na = &nic->addrs[j];
		if (ip_is_v4(&na->addr) != v4)
			continue;
		if (ip_prefix_match(dst, &na->addr, na->prefixlen)) {
			best = na;
			break;
		}
		if (!best)
			best = na;
	}
	if (!best)
		return false;
	*src = best->addr;
	return true;
}

/* Some interface holds an IPv6 address (a source ip6_route_get_saddr could
 * pick). */
static bool have_v6_addr_locked(struct ns_stack *s)
{
	for (int i = 0; i < s->nnics; i++)
		for (int j = 0; j < s->nics[i]->naddrs; j++)
			if (!ip_is_v4(&s->nics[i]->addrs[j].addr))
				return true;
	return false;
}

int ns_route_lookup(struct ns_stack *s, const struct ns_ip *dst, const struct ns_ip *src_hint,
		    struct ns_rt *rt)
{
	int r = -ENETUNREACH;
	memset(rt, 0, sizeof(*rt));
	vmutex_lock(&s->lock);
	/* As Linux's ip6_dst_lookup_tail: an unbound IPv6 sender gets its
	 * source address chosen before the route's error is looked at, so
	 * with no IPv6 address at all (disable_ipv6 everywhere, as in a Docker
	 * container without IPv6) every IPv6 destination, ::1 too, fails with
	 * EADDRNOTAVAIL. */
	if (!ip_is_v4(dst) && (!src_hint || ip_is_any(src_hint)) && !have_v6_addr_locked(s)) {
		r = -EADDRNOTAVAIL;
		goto out;
	}
	struct ns_nic *bnic;
	if (ns_addr_is_local_locked(s, dst) || is_broadcast_locked(s, dst, &bnic)) {
		struct ns_nic *lo = loopback_nic(s);
		if (!lo)
			goto out;
		rt->nic = lo;
		rt->local = true;
		rt->nexthop = *dst;
		rt->mtu = lo->mtu;
		/* From the destination itself when it is an assigned address,
		 * else lo's own (127.0.0.5 is answered from 127.0.0.1). */
		bool assigned = false;
		for (int i = 0; i < s->nnics && !assigned; i++)
			for (int j = 0; j < s->nics[i]->naddrs; j++)
				if (ip_eq(&s->nics[i]->addrs[j].addr, dst))
					assigned = true;
		if (src_hint && !ip_is_any(src_hint) && ip_is_v4(src_hint) == ip_is_v4(dst) &&
		    ns_addr_is_local_locked(s, src_hint))
			rt->src = *src_hint;
		else if (assigned)
			rt->src = *dst;
		else if (!pick_src(s, lo, dst, NULL, &rt->src))
			goto out;
		r = 0;
		goto out;
	}
	const struct ns_route *best = NULL;
	for (int i = 0; i < s->nroutes; i++) {
		const struct ns_route *ro = &s->routes[i];
		if (ro->v4 != ip_is_v4(dst))
			continue;
		if (!ip_prefix_match(dst, &ro->dst, ro->prefixlen))
			continue;
		struct ns_nic *nic = nic_by_index(s, ro->ifindex);
		if (!nic || !nic->up)
			continue;
		if (!best || ro->prefixlen > best->prefixlen ||
		    (ro->prefixlen == best->prefixlen && ro->metric < best->metric))
			best = ro;
	}
	if (!best)
		goto out;
	rt->nic = nic_by_index(s, best->ifindex);
	rt->nexthop = best->has_gateway ? best->gateway : *dst;
	rt->mtu = rt->nic->mtu;
	uint64_t now = ns_now(s);
	for (int i = 0; i < NS_MAX_PMTU; i++) {
		const struct ns_pmtu *pm = &s->pmtu[i];
		if (pm->expires > now && ip_eq(&pm->dst, dst) && pm->mtu < rt->mtu)
			rt->mtu = pm->mtu;
	}
	if (!pick_src(s, rt->nic, dst, src_hint, &rt->src))
		goto out;
	r = 0;
out:
	vmutex_unlock(&s->lock);
	return r;
}

#define PMTU_EXPIRES_NS (600 * NS_NSEC_PER_SEC) /* ip_rt_mtu_expires */

void ns_pmtu_update(struct ns_stack *s, const struct ns_ip *dst, uint32_t mtu)
{
	bool v4 = ip_is_v4(dst);
	if (v4 && mtu < 68)
		return; /* RFC 1191's plateau guessing is not done */
	uint32_t floor = v4 ? 552 : 1280;
	if (mtu < floor)
		mtu = floor;
	struct ns_rt rt;
	if (ns_route_lookup(s, dst, NULL, &rt) || rt.local || mtu >= rt.mtu)
		return;
	uint64_t now = ns_now(s);
	vmutex_lock(&s->lock);
	struct ns_pmtu *slot = NULL;
	for (int i = 0; i < NS_MAX_PMTU; i++) {
		struct ns_pmtu *pm = &s->pmtu[i];
		if (pm->expires > now && ip_eq(&pm->dst, dst)) {
			slot = pm;
			break;
		}
		if (!slot || pm->expires < slot->expires)
			slot = pm; /* free, expired, or the oldest */
	}
	slot->dst = *dst;
	slot->mtu = mtu;
	slot->expires = now + PMTU_EXPIRES_NS;
	atomic_fetch_add(&s->route_gen, 1);
	vmutex_unlock(&s->lock);
}

/* ---- timers ---- */

static bool heap_less(struct ns_endpoint *a, struct ns_endpoint *b)
{
	return a->heap_deadline < b->heap_deadline;
}

static void heap_swap(struct ns_timer_heap *h, int i, int j)
{
	struct ns_endpoint *t = h->v[i];
	h->v[i] = h->v[j];
	h->v[j] = t;
	h->v[i]->heap_idx = i;
	h->v[j]->heap_idx = j;
}

static void heap_up(struct ns_timer_heap *h, int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;
		if (!heap_less(h->v[i], h->v[p]))
			break;
		heap_swap(h, i, p);
		i = p;
	}
}

static void heap_down(struct ns_timer_heap *h, int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && heap_less(h->v[l], h->v[m]))
			m = l;
		if (r < h->n && heap_less(h->v[r], h->v[m]))
			m = r;
		if (m == i)
			break;
		heap_swap(h, i, m);
		i = m;
	}
}

static void heap_remove(struct ns_timer_heap *h, struct ns_endpoint *ep)
{
	int i = ep->heap_idx;
	if (i < 0)
		return;
	h->n--;
	if (i != h->n) {
		h->v[i] = h->v[h->n];
		h->v[i]->heap_idx = i;
		heap_down(h, i);
		heap_up(h, i);
	}
	ep->heap_idx = -1;
	ep->heap_deadline = NS_TIME_NEVER;
}

static bool heap_insert(struct ns_timer_heap *h, struct ns_endpoint *ep)
{
	if (h->n == h->cap) {
		int cap = h->cap ? h->cap * 2 : 64;
		struct ns_endpoint **v = realloc(h->v, sizeof(*v) * (size_t)cap);
		if (!v)
			return false;
		h->v = v;
		h->cap = cap;
	}
	ep->heap_idx = h->n;
	h->v[h->n++] = ep;
	heap_up(h, ep->heap_idx);
	return true;
}

void ns_timer_arm(struct ns_endpoint *ep, uint64_t deadline)
{
	struct ns_stack *s = ep->s;
	ep->deadline = deadline;
	if (deadline == NS_TIME_NEVER)
		return; /* a heap entry left behind fires once and finds nothing */
	/* heap_deadline is the poller's (under s->lock); an entry already
	 * due no later is enough, since the poller rearms from ep->deadline
	 * after it runs the protocol's timer under ep->lock. */
	vmutex_lock(&s->lock);
	if (ep->heap_idx >= 0 && ep->heap_deadline <= deadline) {
		vmutex_unlock(&s->lock);
		return;
	}
	if (ep->heap_idx >= 0) {
		ep->heap_deadline = deadline;
		heap_up(&s->timers, ep->heap_idx);
	} else {
		ep->heap_deadline = deadline;
		if (!heap_insert(&s->timers, ep))
			ep->heap_deadline = NS_TIME_NEVER; /* ENOMEM: lost timer */
	}
	vmutex_unlock(&s->lock);
	if (deadline < atomic_load(&s->reported_deadline))
		atomic_store(&s->kick_pending, true);
}

void ns_timer_cancel(struct ns_endpoint *ep)
{
	vmutex_lock(&ep->s->lock);
	heap_remove(&ep->s->timers, ep);
	vmutex_unlock(&ep->s->lock);
	ep->deadline = NS_TIME_NEVER;
}

/* Remove from the heap under s->lock (ep_release_proto's part). */
void ns_timer_remove_locked(struct ns_endpoint *ep);
void ns_timer_remove_locked(struct ns_endpoint *ep)
{
	heap_remove(&ep->s->timers, ep);
}

static bool run_timers(struct ns_stack *s, uint64_t now)
{
	struct ns_endpoint *due[TIMER_BATCH];
	int n = 0;
	vmutex_lock(&s->lock);
	while (n < TIMER_BATCH && s->timers.n > 0 && s->timers.v[0]->heap_deadline <= now) {
		struct ns_endpoint *ep = s->timers.v[0];
		heap_remove(&s->timers, ep);
		ep_get(ep);
		due[n++] = ep;
	}
	bool more = s->timers.n > 0 && s->timers.v[0]->heap_deadline <= now;
	vmutex_unlock(&s->lock);
	for (int i = 0; i < n; i++) {
		struct ns_endpoint *ep = due[i];
		ep_lock(ep);
		if (ep->proto_ref) {
			/* Run at the current time: owner threads may have sent
			 * since the poll began. */
			if (ep->deadline <= now && ep->proto->timer)
				ep->proto->timer(ep, ns_now(s));
			else if (ep->deadline != NS_TIME_NEVER)
				ns_timer_arm(ep, ep->deadline);
		}
		ep_unlock(ep);
		ep_put(ep);
	}
	return more;
}

/* ---- readiness reports ---- */

void ns_stack_mark_work(struct ns_stack *s)
{
	atomic_store(&s->kick_pending, true);
	atomic_store(&s->poll_again, true);
}

void ns_stack_want_poll(struct ns_stack *s)
{
	ns_stack_mark_work(s);
	ns_stack_kick(s);
}

void ns_ep_notify(struct ns_endpoint *ep)
{
	if (atomic_exchange(&ep->notify_queued, true))
		return;
	struct ns_stack *s = ep->s;
	ep_get(ep);
	struct ns_endpoint *head = atomic_load(&s->notify_head);
	do {
		ep->notify_next = head;
	} while (!atomic_compare_exchange_weak(&s->notify_head, &head, ep));
	atomic_store(&s->kick_pending, true);
}

/* The stack this thread is polling, if any. */
static __thread struct ns_stack *polling_stack;

static bool ns_in_poller(struct ns_stack *s)
{
	return polling_stack == s;
}

static void deliver_notifications(struct ns_stack *s)
{
	struct ns_endpoint *list = atomic_exchange(&s->notify_head, NULL);
	/* Oldest first. */
	struct ns_endpoint *rev = NULL;
	while (list) {
		struct ns_endpoint *next = list->notify_next;
		list->notify_next = rev;
		rev = list;
		list = next;
	}
	while (rev) {
		struct ns_endpoint *ep = rev;
		rev = ep->notify_next;
		atomic_store(&ep->notify_queued, false);
		ep_lock(ep);
		void *user = ep->closed ? NULL : ep->user;
		uint32_t events = 0;
		if (user) {
			events = ep->proto->poll(ep);
			atomic_fetch_add(&ep->cb_busy, 1);
		}
		ep_unlock(ep);
		if (user) {
			if (s->ops.ready)
				s->ops.ready(s->ctx, ep, user, events);
			atomic_fetch_sub(&ep->cb_busy, 1);
		}
		ep_put(ep);
	}
}

void ns_ep_wait_callbacks(struct ns_endpoint *ep);
void ns_ep_wait_callbacks(struct ns_endpoint *ep)
{
	/* The poller may be inside `ready` with the cookie just cleared; it
	 * holds no lock there and returns quickly.  Inside that callback on
	 * the poller's own thread, waiting would never end. */
	if (ns_in_poller(ep->s))
		return;
	while (atomic_load(&ep->cb_busy))
		sched_yield();
}

/* ---- transmit batches ---- */

/* The links this thread sent to in its open batch (a link appears once). */
static __thread int tx_batch_depth;
static __thread int tx_batch_n;
static __thread struct link_endpoint *tx_batch_links[NS_MAX_NICS];

void ns_tx_batch_begin(void)
{
	tx_batch_depth++;
}

void ns_tx_batch_end(void)
{
	if (--tx_batch_depth > 0)
		return;
	/* A flush sends no frame through the stack, so the list cannot grow
	 * while it is walked. */
	for (int i = 0; i < tx_batch_n; i++)
		tx_batch_links[i]->ops->flush(tx_batch_links[i]);
	tx_batch_n = 0;
}

/* ns_tx_defer_begin's depth on this thread, and whether a frame was left
 * unflushed under it. */
static __thread int tx_defer_depth;
static __thread bool tx_deferred;

void ns_tx_defer_begin(void) { tx_defer_depth++; }

bool ns_tx_defer_end(struct ns_stack *s, bool for_owner)
{
	if (--tx_defer_depth > 0 || !tx_deferred)
		return false;
	tx_deferred = false;
	/* After the frames' queueing: the poll that reads the flag sees
	 * them; one in progress goes round again (poll_again). */
	atomic_store(for_owner ? &s->tx_owner_deferred : &s->tx_deferred, true);
	ns_stack_mark_work(s);
	return true;
}

/* Each thread's own address: what ns_stack_own_tx records. */
static __thread char tx_owner_token;

void ns_stack_own_tx(struct ns_stack *s, bool own)
{
	atomic_store(&s->tx_owner, own ? (const void *)&tx_owner_token : NULL);
}

bool ns_tx_for_owner(struct ns_stack *s)
{
	const void *o = atomic_load_explicit(&s->tx_owner, memory_order_relaxed);
	return o && o != &tx_owner_token;
}

/* Flush every link: frames another thread left for this poll.  Those a
 * send left for the transmitter (ns_stack_own_tx) are its to flush:
 * another poller asks it for a poll instead (no lock is held here), unless
 * it flushes the links anyway. */
static void flush_deferred(struct ns_stack *s)
{
	bool any = atomic_load_explicit(&s->tx_deferred, memory_order_relaxed);
	bool owner = atomic_load_explicit(&s->tx_owner_deferred, memory_order_relaxed);
	if (!any && !owner)
		return;
	if (!any && ns_tx_for_owner(s)) {
		if (s->ops.kick)
			s->ops.kick(s->ctx);
		return;
	}
	/* Both taken before the flush: a frame whose flag is set after it was
	 * queued after the flags were read is left for the next poll. */
	any = atomic_exchange(&s->tx_deferred, false);
	owner = atomic_exchange(&s->tx_owner_deferred, false);
	if (!any && !owner)
		return;
	struct ns_nic *nics[NS_MAX_NICS];
	vmutex_lock(&s->lock);
	int n = s->nnics;
	memcpy(nics, s->nics, sizeof(nics[0]) * (size_t)n);
	vmutex_unlock(&s->lock);
	for (int i = 0; i < n; i++)
		if (nics[i]->link->ops->flush)
			nics[i]->link->ops->flush(nics[i]->link);
}

void ns_link_note_sent(struct link_endpoint *ep)
{
	if (tx_defer_depth) {
		tx_deferred = true;
		return;
	}
	if (tx_batch_depth == 0) {
		ep->ops->flush(ep);
		return;
	}
	for (int i = 0; i < tx_batch_n; i++)
		if (tx_batch_links[i] == ep)
			return;
	if (tx_batch_n == NS_MAX_NICS) {
		ep->ops->flush(ep); /* more links than a stack has: never */
		return;
	}
	tx_batch_links[tx_batch_n++] = ep;
}

/* ---- the poll loop ---- */

void ns_stack_kick(struct ns_stack *s)
{
	if (atomic_load_explicit(&s->kick_pending, memory_order_relaxed) &&
	    atomic_exchange(&s->kick_pending, false) && s->ops.kick)
		s->ops.kick(s->ctx);
}

static uint64_t next_deadline(struct ns_stack *s)
{
	vmutex_lock(&s->lock);
	uint64_t d = s->timers.n ? s->timers.v[0]->heap_deadline : NS_TIME_NEVER;
	vmutex_unlock(&s->lock);
	uint64_t l2 = atomic_load(&s->l2_deadline);
	return l2 < d ? l2 : d;
}

static bool poll_links(struct ns_stack *s)
{
	bool more = false;
	int n;
	struct ns_nic *nics[NS_MAX_NICS];
	vmutex_lock(&s->lock);
	n = s->nnics;
	memcpy(nics, s->nics, sizeof(nics[0]) * (size_t)n);
	vmutex_unlock(&s->lock);
	for (int i = 0; i < n; i++)
		if (ns_link_poll(nics[i]->link, RX_BUDGET) == RX_BUDGET)
			more = true;
	return more;
}

/* ns_stack_poll; *polled false when another thread was polling (it polls
 * again for us). */
static uint64_t stack_poll(struct ns_stack *s, uint64_t now, bool *polled)
{
	*polled = false;
	if (atomic_exchange(&s->polling, true)) {
		atomic_store(&s->poll_again, true);
		return atomic_load(&s->reported_deadline);
	}
	*polled = true;
	polling_stack = s;
	s->now = now;
	bool more = false;
	for (;;) {
		for (int round = 0; round < POLL_ROUNDS; round++) {
			atomic_fetch_add(&s->rounds, 1);
			atomic_store(&s->poll_again, false);
			atomic_store(&s->kick_pending, false);
			/* The ACKs and segments a round's frames and timers
			 * send leave in one kick of each link. */
			ns_tx_batch_begin();
			more = poll_links(s);
			more |= run_timers(s, now);
			more |= ns_l2_timers(s, now);
			ns_tx_batch_end();
			flush_deferred(s);
			deliver_notifications(s);
			more |= atomic_load(&s->poll_again) || atomic_load(&s->notify_head) != NULL;
			if (!more)
				break;
		}
		uint64_t d = more ? now : next_deadline(s);
		atomic_store(&s->reported_deadline, d);
		/* A timer armed between the heap read and the store compared
		 * itself with the old report and did not kick: look again. */
		uint64_t d2 = more ? now : next_deadline(s);
		if (d2 < d) {
			d = d2;
			atomic_store(&s->reported_deadline, d);
		}
		polling_stack = NULL;
		atomic_store(&s->polling, false);
		/* A request that came after the last check must not be lost. */
		if (!atomic_load(&s->poll_again) || atomic_exchange(&s->polling, true))
			return d;
		polling_stack = s;
	}
}

uint64_t ns_stack_poll(struct ns_stack *s, uint64_t now)
{
	bool polled;
	return stack_poll(s, now, &polled);
}

uint64_t ns_stack_poll_sync(struct ns_stack *s, uint64_t now)
{
	for (;;) {
		/* A round begun after this read starts after our frames were
		 * queued, and takes them. */
		uint64_t r0 = atomic_load(&s->rounds);
		bool polled;
		uint64_t d = stack_poll(s, now, &polled);
		struct link_endpoint *lo = atomic_load(&s->lo_link);
		if (polled || !lo || !ns_loopback_pending(lo))
			return d;
		while (atomic_load(&s->polling) && atomic_load(&s->rounds) < r0 + 2 &&
		       ns_loopback_pending(lo))
			sched_yield();
		/* Still polling: a round of ours ended.  Stopped with frames
		 * left: poll them ourselves. */
		if (atomic_load(&s->polling) || !ns_loopback_pending(lo))
			return atomic_load(&s->reported_deadline);
	}
}

/* ---- snapshots ---- */

int ns_stack_nics(struct ns_stack *s, struct ns_nic_info **out)
{
	vmutex_lock(&s->lock);
	int n = s->nnics;
	struct ns_nic_info *v = calloc((size_t)(n ? n : 1), sizeof(*v));
	if (!v) {
		vmutex_unlock(&s->lock);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		struct ns_nic *nic = s->nics[i];
		struct link_endpoint *l = nic->link;
		v[i].ifindex = nic->ifindex;
		memcpy(v[i].name, l->name, sizeof(v[i].name));
		v[i].mtu = nic->mtu;
		v[i].type = l->type;
		v[i].flags = (nic->up ? IFF_UP | IFF_RUNNING | 0x10000 /* IFF_LOWER_UP */ : 0) |
			     ((l->flags & NS_LINK_F_LOOPBACK) ? IFF_LOOPBACK
							      : IFF_BROADCAST | IFF_MULTICAST);
		memcpy(v[i].hwaddr, l->hwaddr, 6);
		v[i].rx_packets = l->rx_packets;
		v[i].rx_bytes = l->rx_bytes;
		v[i].tx_packets = l->tx_packets;
		v[i].tx_bytes = l->tx_bytes;
		v[i].tx_dropped = l->tx_dropped;
		v[i].rx_dropped = atomic_load(&nic->rx_dropped) + l->rx_dropped;
	}
	vmutex_unlock(&s->lock);
	*out = v;
	return n;
}

static void ip_out(const struct ns_ip *a, int *family, uint8_t out[16], unsigned int *bits)
{
	memset(out, 0, 16);
	if (ip_is_v4(a) && (!bits || *bits >= 96)) {
		*family = AF_INET;
		memcpy(out, a->b + 12, 4);
		if (bits)
			*bits -= 96;
	} else {
		*family = AF_INET6;
		memcpy(out, a->b, 16);
	}
}

int ns_stack_addrs(struct ns_stack *s, struct ns_addr_info **out)
{
	vmutex_lock(&s->lock);
	int n = 0;
	for (int i = 0; i < s->nnics; i++)
		n += s->nics[i]->naddrs;
	struct ns_addr_info *v = calloc((size_t)(n ? n : 1), sizeof(*v));
	if (!v) {
		vmutex_unlock(&s->lock);
		return -ENOMEM;
	}
	int k = 0;
	for (int i = 0; i < s->nnics; i++) {
		struct ns_nic *nic = s->nics[i];
		for (int j = 0; j < nic->naddrs; j++, k++) {
			unsigned int bits = nic->addrs[j].prefixlen;
			v[k].ifindex = nic->ifindex;
			ip_out(&nic->addrs[j].addr, &v[k].family, v[k].addr, &bits);
			v[k].prefixlen = (uint8_t)bits;
			/* RT_SCOPE_HOST on loopback, RT_SCOPE_LINK for IPv6
			 * link-local fe80::/10 (as Linux's ipv6_addr_scope),
			 * else RT_SCOPE_UNIVERSE. */
			if (nic->link->flags & NS_LINK_F_LOOPBACK)
				v[k].scope = 254;
			else if (v[k].family == AF_INET6 && v[k].addr[0] == 0xfe &&
				 (v[k].addr[1] & 0xc0) == 0x80)
				v[k].scope = 253;
			else
				v[k].scope = 0;
		}
	}
	vmutex_unlock(&s->lock);
	*out = v;
	return n;
}

int ns_stack_routes(struct ns_stack *s, struct ns_route_info **out)
{
	vmutex_lock(&s->lock);
	int naddr = 0;
	for (int i = 0; i < s->nnics; i++)
		naddr += s->nics[i]->naddrs;
	int n = s->nroutes + naddr;
	struct ns_route_info *v = calloc((size_t)(n ? n : 1), sizeof(*v));
	if (!v) {
		vmutex_unlock(&s->lock);
		return -ENOMEM;
	}
	int k = 0;
	for (int i = 0; i < s->nroutes; i++, k++) {
		const struct ns_route *ro = &s->routes[i];
		unsigned int bits = ro->prefixlen;
		ip_out(&ro->dst, &v[k].family, v[k].dst, &bits);
		v[k].prefixlen = (uint8_t)bits;
		if (ro->has_gateway) {
			int f;
			ip_out(&ro->gateway, &f, v[k].gateway, NULL);
			v[k].has_gateway = 1;
		}
		v[k].type = 1; /* RTN_UNICAST */
		v[k].ifindex = ro->ifindex;
		v[k].metric = ro->metric;
	}
	/* The local table: one route per address (lo's IPv4 subnet whole). */
	for (int i = 0; i < s->nnics; i++) {
		struct ns_nic *nic = s->nics[i];
		for (int j = 0; j < nic->naddrs; j++, k++) {
			const struct ns_nic_addr *na = &nic->addrs[j];
			bool lo4 = (nic->link->flags & NS_LINK_F_LOOPBACK) && ip_is_v4(&na->addr);
			unsigned int bits = lo4 ? na->prefixlen : 128;
			struct ns_ip net;
			ip_mask(&net, &na->addr, bits);
			ip_out(&net, &v[k].family, v[k].dst, &bits);
			v[k].prefixlen = (uint8_t)bits;
			int f;
			ip_out(&na->addr, &f, v[k].prefsrc, NULL);
			v[k].has_prefsrc = 1;
			v[k].type = 2; /* RTN_LOCAL */
			v[k].ifindex = nic->ifindex;
		}
	}
	vmutex_unlock(&s->lock);
	*out = v;
	return n;
}

/* ---- destruction ---- */

void ns_ep_free_all(struct ns_stack *s);

void ns_stack_destroy(struct ns_stack *s)
{
	if (!s)
		return;
	/* Reports still queued hold references; drop them unreported. */
	struct ns_endpoint *list = atomic_exchange(&s->notify_head, NULL);
	while (list) {
		struct ns_endpoint *next = list->notify_next;
		atomic_store(&list->notify_queued, false);
		atomic_fetch_sub(&list->refs, 1);
		list = next;
	}
	ns_ep_free_all(s);
	ns_frag_free(s);
	for (int i = 0; i < s->nnics; i++) {
		ns_link_destroy(s->nics[i]->link);
		ns_neigh_free(s->nics[i]);
		free(s->nics[i]);
	}
	free(s->timers.v);
	vmutex_destroy(&s->lock);
	memtrim_free_pages(s, sizeof(*s));
}
