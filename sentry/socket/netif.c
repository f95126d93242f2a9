/*
 * netif.c — the sandbox's interfaces, addresses and routes as the
 * application sees them (see netif.h).  It reads the netstack's snapshots
 * and never changes the stack; it holds no lock of its own (the netstack's
 * snapshot calls take the stack lock for the copy only).
 */
#include "sentry/socket/netif.h"

#include <errno.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Linux's route constants (linux/rtnetlink.h clashes with net/if.h). */
#define RT_TABLE_MAIN 254
#define RT_TABLE_LOCAL 255
#define RTN_UNICAST 1
#define RTN_LOCAL 2
#define RTN_BROADCAST 3
#define RTPROT_BOOT 3
#define RTPROT_KERNEL 2
#define RT_SCOPE_UNIVERSE 0
#define RT_SCOPE_LINK 253
#define RT_SCOPE_HOST 254

/* ---------------------------------------------------------------- the stack */

static struct ns_stack *(*_Atomic stack_source)(void);

void netif_set_stack_source(struct ns_stack *(*get)(void))
{
	atomic_store(&stack_source, get);
}

static uint64_t private_now(void *ctx)
{
	return 0;
}

static void private_ready(void *ctx, struct ns_endpoint *ep, void *user, uint32_t events)
{
}

static const struct ns_stack_ops private_ops = {.now = private_now, .ready = private_ready};
static struct ns_stack *private_stack;
static pthread_once_t private_once = PTHREAD_ONCE_INIT;

/* A loopback-only model of the sandbox's network, for when no inet glue
 * provides the real stack: it carries no traffic, so its counters stay 0. */
static void private_init(void)
{
	struct ns_stack *s = ns_stack_new(&private_ops, NULL, 0);
	if (s && ns_stack_setup_loopback(s) < 0) {
		ns_stack_destroy(s);
		s = NULL;
	}
	private_stack = s;
}

struct ns_stack *netif_stack(void)
{
	struct ns_stack *(*get)(void) = atomic_load(&stack_source);
	struct ns_stack *s = get ? get() : NULL;
	if (s)
		return s;
	pthread_once(&private_once, private_init);
	return private_stack;
}

/* ---------------------------------------------------------------- snapshots */

int netif_nics(struct ns_nic_info **out)
{
	struct ns_stack *s = netif_stack();
	if (!s)
		return -ENOMEM;
	return ns_stack_nics(s, out);
}

int netif_addrs(struct ns_addr_info **out)
{
	struct ns_stack *s = netif_stack();
	if (!s)
		return -ENOMEM;
	return ns_stack_addrs(s, out);
}

static int nic_find(int ifindex, const char *name, struct ns_nic_info *out)
{
	struct ns_nic_info *v;
	int n = netif_nics(&v);
	if (n < 0)
		return n;
	int r = -ENODEV;
	for (int i = 0; i < n && r; i++) {
		if (name ? strncmp(v[i].name, name, sizeof(v[i].name)) == 0
			 : v[i].ifindex == ifindex) {
			*out = v[i];
			r = 0;
		}
	}
	free(v);
	return r;
}

int netif_nic_by_index(int ifindex, struct ns_nic_info *out)
{
	return nic_find(ifindex, NULL, out);
}

int netif_nic_by_name(const char *name, struct ns_nic_info *out)
{
	return nic_find(0, name, out);
}

unsigned int netif_arphrd(const struct ns_nic_info *nic)
{
	if (nic->flags & IFF_LOOPBACK)
		return ARPHRD_LOOPBACK;
	return nic->type == NS_LINK_ETHERNET ? ARPHRD_ETHER : ARPHRD_NONE;
}

/* ---------------------------------------------------------------- routes */

struct rtlist {
	struct netif_route *v;
	int n, cap;
};

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static void mask_prefix(uint8_t *out, const uint8_t *in, int len, unsigned int bits)
{
	memset(out, 0, 16);
	for (int i = 0; i < len; i++) {
		unsigned int b = bits > 8 ? 8 : bits;
		out[i] = in[i] & (uint8_t)(0xff00 >> b);
		bits -= b;
	}
}

static bool same_route(const struct netif_route *a, const struct netif_route *b)
{
	return a->family == b->family && a->table == b->table && a->type == b->type &&
	       a->dst_len == b->dst_len && memcmp(a->dst, b->dst, 16) == 0 &&
	       a->ifindex == b->ifindex;
}

static int rt_add(struct rtlist *l, const struct netif_route *r)
{
	for (int i = 0; i < l->n; i++)
		if (same_route(&l->v[i], r))
			return 0;
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		struct netif_route *v = realloc(l->v, (size_t)cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *r;
	return 0;
}

static int route_cmp(const void *pa, const void *pb)
{
	const struct netif_route *a = pa, *b = pb;
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	if (a->table != b->table)
		return a->table < b->table ? -1 : 1;
	int c = memcmp(a->dst, b->dst, 16);
	if (c)
		return c;
	return (int)a->dst_len - (int)b->dst_len;
}

/* The local table Linux builds for one address (fib_add_ifaddr for IPv4,
 * addrconf's local route for IPv6). */
static int add_local_routes(struct rtlist *l, const struct ns_addr_info *a, bool loopback)
{
	int alen = addr_len(a->family);
	struct netif_route r = {.family = a->family, .table = RT_TABLE_LOCAL, .type = RTN_LOCAL,
				.protocol = RTPROT_KERNEL, .ifindex = a->ifindex,
				.has_prefsrc = a->family == AF_INET};
	memcpy(r.dst, a->addr, alen);
	r.dst_len = (uint8_t)(alen * 8);
	if (a->family == AF_INET6)
		return rt_add(l, &r); /* "local ::1 dev lo table local proto kernel metric 0" */
	memcpy(r.prefsrc, a->addr, 4);
	r.scope = RT_SCOPE_HOST;
	int e = rt_add(l, &r);
	if (e || a->prefixlen >= 32)
		return e;
	uint8_t prefix[16];
	mask_prefix(prefix, a->addr, 4, a->prefixlen);
	if (loopback) {
		/* lo's whole subnet is local: "local 127.0.0.0/8 dev lo". */
		struct netif_route sub = r;
		memcpy(sub.dst, prefix, 16);
		sub.dst_len = a->prefixlen;
		if ((e = rt_add(l, &sub)))
			return e;
	}
	if (a->prefixlen < 31) {
		struct netif_route bc = r;
		bc.type = RTN_BROADCAST;
		bc.scope = RT_SCOPE_LINK;
		for (int i = 0; i < 4; i++) {
			unsigned int bits = a->prefixlen > i * 8 ? a->prefixlen - i * 8 : 0;
			uint8_t m = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
			bc.dst[i] = prefix[i] | (uint8_t)~m;
		}
		e = rt_add(l, &bc);
	}
	return e;
}

/* The main table: the netstack's routes, except the prefix routes of a
 * loopback device (Linux keeps lo's prefixes in the local table only).  A
 * directly connected route is "proto kernel scope link" with the
 * interface's address in that subnet as its source, as fib_add_ifaddr
 * makes it; a route via a gateway "proto boot" (added from outside). */
static int add_main_route(struct rtlist *l, const struct ns_route_info *ri,
			  const struct ns_nic_info *nics, int nnics,
			  const struct ns_addr_info *addrs, int naddrs)
{
	if (ri->type != RTN_UNICAST)
		return 0;
	for (int i = 0; i < nnics; i++)
		if (nics[i].ifindex == ri->ifindex && (nics[i].flags & IFF_LOOPBACK))
			return 0;
	struct netif_route r = {.family = ri->family, .table = RT_TABLE_MAIN, .type = RTN_UNICAST,
				.dst_len = ri->prefixlen, .ifindex = ri->ifindex,
				.metric = ri->metric};
	memcpy(r.dst, ri->dst, 16);
	if (ri->has_gateway) {
		memcpy(r.gateway, ri->gateway, 16);
		r.has_gateway = 1;
		r.protocol = RTPROT_BOOT;
		r.scope = RT_SCOPE_UNIVERSE;
	} else {
		r.protocol = RTPROT_KERNEL;
		r.scope = ri->family == AF_INET ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
	}
	if (ri->family == AF_INET && !ri->has_gateway) {
		for (int i = 0; i < naddrs; i++) {
			uint8_t p[16];
			if (addrs[i].family != AF_INET || addrs[i].ifindex != ri->ifindex)
				continue;
			mask_prefix(p, addrs[i].addr, 4, ri->prefixlen);
			if (memcmp(p, ri->dst, 4) == 0) {
				memcpy(r.prefsrc, addrs[i].addr, 4);
				r.has_prefsrc = 1;
				break;
			}
		}
	}
	return rt_add(l, &r);
}

int netif_routes(struct netif_route **out)
{
	struct ns_stack *s = netif_stack();
	if (!s)
		return -ENOMEM;
	struct ns_nic_info *nics = NULL;
	struct ns_addr_info *addrs = NULL;
	struct ns_route_info *routes = NULL;
	struct rtlist l = {0};
	int nn = ns_stack_nics(s, &nics);
	int na = nn < 0 ? nn : ns_stack_addrs(s, &addrs);
	int nr = na < 0 ? na : ns_stack_routes(s, &routes);
	int e = nr < 0 ? nr : 0;
	for (int i = 0; !e && i < nr; i++)
		e = add_main_route(&l, &routes[i], nics, nn, addrs, na);
	for (int i = 0; !e && i < na; i++) {
		bool lo = false;
		for (int j = 0; j < nn; j++)
			if (nics[j].ifindex == addrs[i].ifindex)
				lo = nics[j].flags & IFF_LOOPBACK;
		e = add_local_routes(&l, &addrs[i], lo);
	}
	free(nics);
	free(addrs);
	free(routes);
	if (e) {
		free(l.v);
		return e;
	}
	if (l.n)
		qsort(l.v, (size_t)l.n, sizeof(*l.v), route_cmp);
	*out = l.v ? l.v : calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	return l.n;
}
