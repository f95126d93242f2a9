/*
 * ndisc.c — IPv6 neighbour discovery (RFC 4861) on Ethernet interfaces:
 * neighbour solicitations and advertisements, the solicited-node multicast
 * groups (RFC 4291 2.7.1) and link-local addresses from the MAC (RFC 4291
 * appendix A, modified EUI-64).
 *
 * As Linux's net/ipv6/ndisc.c for a host: a solicitation for one of the
 * interface's addresses is answered (solicited, override), its sender
 * entering the cache as STALE when it gave its link-layer address; a DAD
 * probe (from ::) is answered to all-nodes.  Advertisements update the
 * cache (solicited: REACHABLE).  Duplicate address detection is not run
 * (addresses are usable at once, as with nodad: the owner's addresses come
 * from a namespace where the kernel already ran it).  Router
 * advertisements, router solicitations and redirects are ignored and
 * counted: routes come from the owner.
 *
 * Validation is RFC 4861's 7.1.1 and 7.1.2: hop limit 255, code 0, the
 * length, a unicast target, well-formed options; failures are dropped and
 * counted (NDISC_IN_BAD).
 */
#include "netstack/ns_impl.h"

#include <netinet/icmp6.h>

#define ND_OPT_SLLA 1
#define ND_OPT_TLLA 2
#define NA_F_ROUTER 0x80
#define NA_F_SOLICITED 0x40
#define NA_F_OVERRIDE 0x20

static const struct ns_ip all_nodes = {{0xff, 0x02, [15] = 1}};

static void solicited_node(struct ns_ip *g, const struct ns_ip *a)
{
	memset(g, 0, sizeof(*g));
	g->b[0] = 0xff;
	g->b[1] = 0x02;
	g->b[11] = 0x01;
	g->b[12] = 0xff;
	memcpy(g->b + 13, a->b + 13, 3);
}

bool ns_ndisc_joined_locked(const struct ns_nic *nic, const struct ns_ip *a)
{
	if (!nic->neigh)
		return false;
	if (ip_eq(a, &all_nodes))
		return true;
	for (int i = 0; i < nic->naddrs; i++) {
		struct ns_ip g;
		if (ip_is_v4(&nic->addrs[i].addr))
			continue;
		solicited_node(&g, &nic->addrs[i].addr);
		if (ip_eq(&g, a))
			return true;
	}
	return false;
}

/* Send an ND message (len bytes at pb's data) from src to dst on nic,
 * hop limit 255. */
static void nd_send(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *src,
		    const struct ns_ip *dst, struct ns_pbuf *pb)
{
	uint8_t *h = ns_pbuf_data(pb);
	h[2] = h[3] = 0;
	put16(h + 2, csum_fold(csum_add(csum_pseudo(src, dst, IPPROTO_ICMPV6, pb->len), h,
					pb->len)));
	struct ns_rt rt = {.nic = nic, .src = *src, .nexthop = *dst, .mtu = nic->mtu};
	ns_ip_output(s, &rt, dst, IPPROTO_ICMPV6, 255, 0, pb);
}

/* An ICMPv6 ND message: type, then the 16-byte target at offset 8 and
 * one link-layer address option of type opt. */
static struct ns_pbuf *nd_build(struct ns_nic *nic, uint8_t type, uint8_t flags,
				const struct ns_ip *target, uint8_t opt)
{
	struct ns_pbuf *pb = ns_pbuf_alloc(32);
	if (!pb)
		return NULL;
	uint8_t *h = ns_pbuf_data(pb);
	memset(h, 0, 32);
	h[0] = type;
	h[4] = flags;
	memcpy(h + 8, target->b, 16);
	pb->len = 24;
	if (opt) {
		h[24] = opt;
		h[25] = 1; /* 8 bytes */
		memcpy(h + 26, nic->link->hwaddr, 6);
		pb->len = 32;
	}
	return pb;
}

void ns_ndisc_solicit(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *target,
		      const struct ns_ip *src, const uint8_t *mac)
{
	/* From the queued datagram's source when it is ours here, else the
	 * interface's link-local address, else any IPv6 address of it. */
	struct ns_ip from;
	bool found = false;
	vmutex_lock(&s->lock);
	if (src && !ip_is_v4(src) && !ip_is_any(src) && ns_nic_has_addr_locked(nic, src)) {
		from = *src;
		found = true;
	}
	for (int i = 0; !found && i < 2; i++)
		for (int j = 0; !found && j < nic->naddrs; j++) {
			const struct ns_ip *a = &nic->addrs[j].addr;
			if (!ip_is_v4(a) && (i == 1 || (a->b[0] == 0xfe && (a->b[1] & 0xc0) == 0x80))) {
				from = *a;
				found = true;
			}
		}
	vmutex_unlock(&s->lock);
	if (!found)
		return;
	struct ns_pbuf *pb = nd_build(nic, ND_NEIGHBOR_SOLICIT, 0, target, ND_OPT_SLLA);
	if (!pb)
		return;
	struct ns_ip dst;
	if (mac) {
		dst = *target; /* a unicast probe (PROBE state) */
	} else {
		solicited_node(&dst, target);
	}
	ns_count(s, NS_CTR_NDISC_OUT_SOLICITS);
	nd_send(s, nic, &from, &dst, pb);
}

/* Walk the options after the fixed part: false when one is malformed;
 * *lladdr gets the link-layer address option of type want, if any. */
static bool nd_options(const uint8_t *o, uint32_t len, uint8_t want, const uint8_t **lladdr)
{
	*lladdr = NULL;
	while (len > 0) {
		if (len < 2 || o[1] == 0 || (uint32_t)o[1] * 8 > len)
			return false;
		uint32_t olen = (uint32_t)o[1] * 8;
		if (o[0] == want) {
			if (olen < 8)
				return false;
			*lladdr = o + 2;
		}
		o += olen;
		len -= olen;
	}
	return true;
}

static void ndisc_ns(struct ns_stack *s, struct ns_pktinfo *pi, const struct ns_ip *target,
		     const uint8_t *slla)
{
	struct ns_nic *nic = pi->nic;
	bool dad = ip_is_zero6(&pi->src);
	if (dad) {
		/* RFC 4861 7.1.1: to the solicited-node group, no SLLA. */
		if (!ip_is_multicast(&pi->dst) || slla) {
			ns_count(s, NS_CTR_NDISC_IN_BAD);
			return;
		}
	}
	vmutex_lock(&s->lock);
	bool mine = ns_nic_has_addr_locked(nic, target);
	vmutex_unlock(&s->lock);
	if (!mine) {
		ns_count(s, NS_CTR_NDISC_IN_IGNORED);
		return;
	}
	if (!dad && slla)
		ns_neigh_update(s, nic, &pi->src, slla, NS_NUD_STALE, NEIGH_CREATE);
	struct ns_pbuf *pb = nd_build(nic, ND_NEIGHBOR_ADVERT,
				      (uint8_t)((dad ? 0 : NA_F_SOLICITED) | NA_F_OVERRIDE), target,
				      ND_OPT_TLLA);
	if (!pb)
		return;
	ns_count(s, NS_CTR_NDISC_OUT_ADVERTS);
	nd_send(s, nic, target, dad ? &all_nodes : &pi->src, pb);
}

void ns_ndisc_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb)
{
	const uint8_t *h = pi->l4;
	uint8_t type = h[0];
	if (type != ND_NEIGHBOR_SOLICIT && type != ND_NEIGHBOR_ADVERT) {
		ns_count(s, NS_CTR_NDISC_IN_IGNORED); /* RS, RA, redirects */
		goto out;
	}
	ns_count(s, type == ND_NEIGHBOR_SOLICIT ? NS_CTR_NDISC_IN_SOLICITS
						: NS_CTR_NDISC_IN_ADVERTS);
	struct ns_ip target;
	const uint8_t *lladdr;
	if (!pi->nic->neigh || pi->ttl != 255 || h[1] != 0 || pi->l4len < 24) {
		ns_count(s, NS_CTR_NDISC_IN_BAD);
		goto out;
	}
	memcpy(target.b, h + 8, 16);
	if (ip_is_multicast(&target) ||
	    !nd_options(h + 24, pi->l4len - 24,
			type == ND_NEIGHBOR_SOLICIT ? ND_OPT_SLLA : ND_OPT_TLLA, &lladdr) ||
	    (lladdr && (lladdr[0] & 1))) {
		ns_count(s, NS_CTR_NDISC_IN_BAD);
		goto out;
	}
	if (type == ND_NEIGHBOR_SOLICIT) {
		ndisc_ns(s, pi, &target, lladdr);
		goto out;
	}
	uint8_t flags = h[4];
	if (ip_is_multicast(&pi->dst) && (flags & NA_F_SOLICITED)) {
		ns_count(s, NS_CTR_NDISC_IN_BAD);
		goto out;
	}
	ns_neigh_update(s, pi->nic, &target, lladdr,
			(flags & NA_F_SOLICITED) ? NS_NUD_REACHABLE : NS_NUD_STALE, 0);
out:
	ns_pbuf_free(pb);
}

int ns_stack_add_linklocal(struct ns_stack *s, int ifindex)
{
	uint8_t mac[6];
	vmutex_lock(&s->lock);
	struct ns_nic *nic = ifindex >= 1 && ifindex <= s->nnics ? s->nics[ifindex - 1] : NULL;
	bool eth = nic && nic->neigh;
	if (eth)
		memcpy(mac, nic->link->hwaddr, 6);
	vmutex_unlock(&s->lock);
	if (!nic)
		return -ENODEV;
	if (!eth)
		return -EINVAL;
	struct in6_addr a = {{{0xfe, 0x80}}};
	a.s6_addr[8] = mac[0] ^ 0x02; /* the universal/local bit inverted */
	a.s6_addr[9] = mac[1];
	a.s6_addr[10] = mac[2];
	a.s6_addr[11] = 0xff;
	a.s6_addr[12] = 0xfe;
	a.s6_addr[13] = mac[3];
	a.s6_addr[14] = mac[4];
	a.s6_addr[15] = mac[5];
	return ns_stack_add_addr(s, ifindex, AF_INET6, &a, 64);
}
