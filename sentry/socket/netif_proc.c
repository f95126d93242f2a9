/*
 * netif_proc.c — /proc/net/dev, /proc/net/if_inet6, /proc/net/route and
 * /proc/net/ipv6_route, in the formats of Linux's net/core/net-procfs.c
 * (dev_seq_show), net/ipv6/addrconf.c (if6_seq_show), net/ipv4/fib_trie.c
 * (fib_route_seq_show), net/ipv6/route.c (ipv6_route_native_seq_show), and
 * /proc/net/igmp and /proc/net/igmp6 (igmp_mc_seq_show, igmp6_mc_seq_show:
 * the all-hosts / all-nodes groups every interface joins; nothing else is
 * joined, the netstack has no multicast),
 * made from the interface view (netif.c) when the file is opened.
 * register.c hands them to procfs.
 */
#include <arpa/inet.h>
#include <net/if.h>
#include <net/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/socket/netif.h"

#define RT_TABLE_MAIN 254
#define RT_TABLE_LOCAL 255
#define RTN_UNICAST 1
#define RTN_LOCAL 2
#define RTF_NONEXTHOP_ 0x00200000u
#define RTF_LOCAL_ 0x80000000u
/* if_inet6's scope column (IPV6_ADDR_LOOPBACK, _LINKLOCAL, _SITELOCAL) */
#define SCOPE6_HOST 0x10
#define SCOPE6_LINK 0x20

/* One generator's text and the interface view it prints: the memstream,
 * the interfaces, and the addresses and routes when asked for (counts -1
 * when not taken or not available). */
struct view {
	FILE *f;
	char *buf;
	size_t sz;
	struct ns_nic_info *nics;
	struct ns_addr_info *addrs;
	struct netif_route *rts;
	int nn, na, nr;
};

enum { VIEW_ADDRS = 1, VIEW_ROUTES = 2 };

static bool view_open(struct view *v, int what)
{
	*v = (struct view){.nn = -1, .na = -1, .nr = -1};
	v->f = open_memstream(&v->buf, &v->sz);
	if (!v->f)
		return false;
	v->nn = netif_nics(&v->nics);
	if (v->nn >= 0 && (what & VIEW_ADDRS))
		v->na = netif_addrs(&v->addrs);
	if (v->nn >= 0 && (what & VIEW_ROUTES))
		v->nr = netif_routes(&v->rts);
	return true;
}

/* Free the view, close the memstream (which sets buf) and hand its text over. */
static char *view_close(struct view *v, size_t *len)
{
	if (v->nn >= 0)
		free(v->nics);
	if (v->na >= 0)
		free(v->addrs);
	if (v->nr >= 0)
		free(v->rts);
	if (fclose(v->f) != 0 || !v->buf) {
		free(v->buf);
		return NULL;
	}
	*len = strlen(v->buf);
	return v->buf;
}

static void name_of(const struct ns_nic_info *nics, int n, int ifindex, char out[17])
{
	strcpy(out, "?");
	for (int i = 0; i < n; i++) {
		if (nics[i].ifindex == ifindex) {
			memcpy(out, nics[i].name, 16);
			out[16] = 0;
		}
	}
}

char *netif_proc_dev(struct task *t, size_t *len)
{
	struct view v;
	if (!view_open(&v, 0))
		return NULL;
	FILE *f = v.f;
	fputs("Inter-|   Receive                                                |  Transmit\n"
	      " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
	      "errs drop fifo colls carrier compressed\n",
	      f);
	for (int i = 0; i < v.nn; i++) {
		const struct ns_nic_info *d = &v.nics[i];
		char name[17];
		memcpy(name, d->name, 16);
		name[16] = 0;
		fprintf(f,
			"%6s: %7llu %7llu %4llu %4llu %4llu %5llu %10llu %9llu %8llu %7llu %4llu %4llu "
			"%4llu %5llu %7llu %10llu\n",
			name, (unsigned long long)d->rx_bytes, (unsigned long long)d->rx_packets, 0ull,
			(unsigned long long)d->rx_dropped, 0ull, 0ull, 0ull, 0ull,
			(unsigned long long)d->tx_bytes, (unsigned long long)d->tx_packets, 0ull,
			(unsigned long long)d->tx_dropped, 0ull, 0ull, 0ull, 0ull);
	}
	return view_close(&v, len);
}

static void hex6(FILE *f, const uint8_t *a)
{
	for (int i = 0; i < 16; i++)
		fprintf(f, "%02x", a[i]);
}

char *netif_proc_if_inet6(struct task *t, size_t *len)
{
	struct view v;
	if (!view_open(&v, VIEW_ADDRS))
		return NULL;
	FILE *f = v.f;
	for (int i = 0; i < v.na; i++) {
		const struct ns_addr_info *a = &v.addrs[i];
		if (a->family != AF_INET6)
			continue;
		char name[17];
		name_of(v.nics, v.nn, a->ifindex, name);
		unsigned int scope = a->scope == 254 ? SCOPE6_HOST
				     : (a->addr[0] == 0xfe && (a->addr[1] & 0xc0) == 0x80) ? SCOPE6_LINK
											    : 0;
		hex6(f, a->addr);
		fprintf(f, " %02x %02x %02x %02x %8s\n", (unsigned)a->ifindex, a->prefixlen, scope,
			0x80u /* IFA_F_PERMANENT */, name);
	}
	return view_close(&v, len);
}

char *netif_proc_route(struct task *t, size_t *len)
{
	struct view v;
	if (!view_open(&v, VIEW_ROUTES))
		return NULL;
	FILE *f = v.f;
	fprintf(f, "%-127s\n",
		"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT");
	for (int i = 0; i < v.nr; i++) {
		const struct netif_route *r = &v.rts[i];
		if (r->family != AF_INET || r->table != RT_TABLE_MAIN || r->type != RTN_UNICAST)
			continue;
		char name[17], line[160];
		name_of(v.nics, v.nn, r->ifindex, name);
		uint32_t dst, gw = 0;
		memcpy(&dst, r->dst, 4);
		if (r->has_gateway)
			memcpy(&gw, r->gateway, 4);
		uint32_t mask = r->dst_len ? htonl(0xffffffffu << (32 - r->dst_len)) : 0;
		unsigned int flags = RTF_UP | (r->has_gateway ? RTF_GATEWAY : 0) |
				     (r->dst_len == 32 ? RTF_HOST : 0);
		snprintf(line, sizeof(line), "%s\t%08X\t%08X\t%04X\t%d\t%u\t%d\t%08X\t%d\t%u\t%u", name,
			 dst, gw, flags, 0, 0u, (int)r->metric, mask, 0, 0u, 0u);
		fprintf(f, "%-127s\n", line);
	}
	return view_close(&v, len);
}

/* One table's IPv6 routes, then its root (the null entry), in the order
 * Linux's walk prints them. */
static void ipv6_table(FILE *f, const struct netif_route *rts, int nr,
		       const struct ns_nic_info *nics, int nn, int table, const char *lo)
{
	static const uint8_t zero[16];
	for (int i = 0; i < nr; i++) {
		const struct netif_route *r = &rts[i];
		if (r->family != AF_INET6 || r->table != table)
			continue;
		char name[17];
		name_of(nics, nn, r->ifindex, name);
		unsigned int flags = RTF_UP | (r->has_gateway ? RTF_GATEWAY : 0);
		if (r->type == RTN_LOCAL)
			flags |= RTF_LOCAL_ | RTF_NONEXTHOP_;
		hex6(f, r->dst);
		fprintf(f, " %02x ", r->dst_len);
		hex6(f, zero);
		fprintf(f, " 00 ");
		hex6(f, r->has_gateway ? r->gateway : zero);
		fprintf(f, " %08x %08x %08x %08x %8s\n", r->metric, r->type == RTN_LOCAL ? 2u : 1u,
			0u, flags, name);
	}
	hex6(f, zero);
	fprintf(f, " 00 ");
	hex6(f, zero);
	fprintf(f, " 00 ");
	hex6(f, zero);
	fprintf(f, " %08x %08x %08x %08x %8s\n", 0xffffffffu, 1u, 0u, RTF_NONEXTHOP_ | RTF_REJECT,
		lo);
}

char *netif_proc_ipv6_route(struct task *t, size_t *len)
{
	struct view v;
	if (!view_open(&v, VIEW_ROUTES))
		return NULL;
	FILE *f = v.f;
	char lo[17] = "lo";
	for (int i = 0; i < v.nn; i++)
		if (v.nics[i].flags & IFF_LOOPBACK)
			name_of(v.nics, v.nn, v.nics[i].ifindex, lo);
	if (v.nr >= 0) {
		ipv6_table(f, v.rts, v.nr, v.nics, v.nn, RT_TABLE_MAIN, lo);
		ipv6_table(f, v.rts, v.nr, v.nics, v.nn, RT_TABLE_LOCAL, lo);
	}
	return view_close(&v, len);
}

/* Whether an interface has an address of family (IPv4 or IPv6 enabled on it). */
static bool has_family(const struct ns_addr_info *addrs, int na, int ifindex, int family)
{
	for (int i = 0; i < na; i++)
		if (addrs[i].ifindex == ifindex && addrs[i].family == family)
			return true;
	return false;
}

char *netif_proc_igmp(struct task *t, size_t *len)
{
	struct view v;
	if (!view_open(&v, VIEW_ADDRS))
		return NULL;
	FILE *f = v.f;
	fputs("Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n", f);
	for (int i = 0; i < v.nn && v.na >= 0; i++) {
		if (!(v.nics[i].flags & IFF_UP) || !has_family(v.addrs, v.na, v.nics[i].ifindex, AF_INET))
			continue;
		char name[17];
		name_of(v.nics, v.nn, v.nics[i].ifindex, name);
		fprintf(f, "%d\t%-10s: %5d %7s\n", v.nics[i].ifindex, name, 1, "V3");
		/* 224.0.0.1, printed as Linux prints the raw __be32 */
		fprintf(f, "\t\t\t\t%08X %5d %d:%08lX\t\t%d\n", htonl(0xE0000001u), 1, 0, 0ul, 0);
	}
	return view_close(&v, len);
}

char *netif_proc_igmp6(struct task *t, size_t *len)
{
	struct view v;
	if (!view_open(&v, VIEW_ADDRS))
		return NULL;
	FILE *f = v.f;
	for (int i = 0; i < v.nn && v.na >= 0; i++) {
		if (!(v.nics[i].flags & IFF_UP) || !has_family(v.addrs, v.na, v.nics[i].ifindex, AF_INET6))
			continue;
		char name[17];
		name_of(v.nics, v.nn, v.nics[i].ifindex, name);
		/* ff02::1 (MAF_NOREPORT | MAF_LAST_REPORTER), then ff01::1 (MAF_NOREPORT) */
		fprintf(f, "%-4d %-15s %s %5d %08X %ld\n", v.nics[i].ifindex, name,
			"ff020000000000000000000000000001", 1, 0xCu, 0l);
		fprintf(f, "%-4d %-15s %s %5d %08X %ld\n", v.nics[i].ifindex, name,
			"ff010000000000000000000000000001", 1, 0x8u, 0l);
	}
	return view_close(&v, len);
}
