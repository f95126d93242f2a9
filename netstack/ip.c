/*
 * ip.c — IPv4 and IPv6: checksums, input validation and dispatch, output.
 *
 * Input trusts nothing: every length is checked against what was received
 * before it is used, and a datagram that fails a check is dropped and
 * counted under exactly one reason.  The stack is a host, not a router:
 * datagrams not addressed to one of its addresses are dropped.  IPv4
 * fragments are reassembled (frag.c) after the address checks, as Linux's
 * ip_local_deliver, and IPv6 fragments too.  On output a
 * datagram larger than the route's MTU is fragmented when the caller
 * allows it (ns_ip_output_frag: UDP without IP_PMTUDISC_DO), else refused.
 */
#include "netstack/ns_impl.h"

#include <netinet/in.h>
#include <stdlib.h>

/* ---- checksums ---- */

uint32_t csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		/* Sum 32-bit halves in network order: byte order does not
		 * matter to a one's-complement sum as long as it is folded the
		 * same way, but mixing requires one order; use big-endian
		 * 16-bit words by swapping at the end. */
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
	while (len >= 2) {
		uint16_t w;
		memcpy(&w, p, 2);
		acc += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint16_t w = 0;
		memcpy(&w, p, 1);
		acc += w;
	}
	while (acc >> 32)
		acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/* Fold to 16 bits and return the checksum field value in network order
 * as a host integer (so put16 writes the right bytes). */
uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t x = (uint16_t)~sum;
	/* The sum was of native-order (little-endian) words. */
	return (uint16_t)((x >> 8) | (x << 8));
}

uint32_t csum_pseudo(const struct ns_ip *src, const struct ns_ip *dst, uint8_t proto,
		     uint32_t len)
{
	uint8_t tail[8];
	uint32_t sum;
	if (ip_is_v4(dst)) {
		sum = csum_add(0, src->b + 12, 4);
		sum = csum_add(sum, dst->b + 12, 4);
		tail[0] = 0;
		tail[1] = proto;
		put16(tail + 2, (uint16_t)len);
		return csum_add(sum, tail, 4);
	}
	sum = csum_add(0, src->b, 16);
	sum = csum_add(sum, dst->b, 16);
	put32(tail, len);
	tail[4] = tail[5] = tail[6] = 0;
	tail[7] = proto;
	return csum_add(sum, tail, 8);
}

/* ---- input ---- */

static void ip_deliver(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb)
{
	switch (pi->proto) {
	case IPPROTO_TCP:
		ns_tcp_input(s, pi, pb);
		return;
	case IPPROTO_UDP:
		ns_udp_input(s, pi, pb);
		return;
	case IPPROTO_ICMP:
		if (!pi->v6) {
			ns_icmp4_input(s, pi, pb);
			return;
		}
		break;
	case IPPROTO_ICMPV6:
		if (pi->v6) {
			ns_icmp6_input(s, pi, pb);
			return;
		}
		break;
	}
	ns_count(s, pi->v6 ? NS_CTR_IP6_IN_UNKNOWN_PROTOS : NS_CTR_IP_IN_UNKNOWN_PROTOS);
	if (!pi->v6)
		ns_icmp_send_unreach(s, pi, 2 /* ICMP_PROT_UNREACH */, -1);
	ns_pbuf_free(pb);
}

/* A valid datagram of tot bytes with hlen bytes of IP headers: to its
 * transport. */
static void ip_finish(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb,
		      struct ns_pktinfo *pi, uint32_t hlen, uint32_t tot)
{
	const uint8_t *p = ns_pbuf_data(pb);
	pb->len = tot; /* drop link padding */
	pi->nic = nic;
	pi->nh = p;
	pi->nhlen = hlen;
	pi->l4 = p + hlen;
	pi->l4len = tot - hlen;
	pi->totlen = tot;
	pi->csum_ok = pb->flags & (NS_PB_CSUM_OK | NS_PB_CSUM_PARTIAL);
	ns_count(s, pi->v6 ? NS_CTR_IP6_IN_DELIVERS : NS_CTR_IP_IN_DELIVERS);
	ip_deliver(s, pi, pb);
}

static void ip_drop(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb,
		    enum ns_counter why)
{
	ns_count(s, why);
	atomic_fetch_add(&nic->rx_dropped, 1);
	ns_pbuf_free(pb);
}

static bool from_wrong_side(struct ns_nic *nic, const struct ns_ip *a)
{
	/* A loopback source or destination on a wire is a martian. */
	return !(nic->link->flags & NS_LINK_F_LOOPBACK) && ip_is_loopback(a);
}

static void ip4_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb)
{
	const uint8_t *p = ns_pbuf_data(pb);
	uint32_t len = pb->len; /* at least 20 */
	enum ns_counter why;
	uint32_t ihl = (p[0] & 0xfu) * 4;
	if (ihl < 20) {
		why = NS_CTR_IP_IN_BAD_HDRLEN;
		goto drop;
	}
	if (ihl > len) {
		why = NS_CTR_IP_IN_TRUNCATED;
		goto drop;
	}
	uint32_t tot = get16(p + 2);
	if (tot < ihl) {
		why = NS_CTR_IP_IN_BAD_TOTLEN;
		goto drop;
	}
	if (tot > len) {
		why = NS_CTR_IP_IN_TRUNCATED;
		goto drop;
	}
	if (csum_fold(csum_add(0, p, ihl)) != 0) {
		why = NS_CTR_IP_IN_CSUM_ERRORS;
		goto drop;
	}
	struct ns_pktinfo pi = {0};
	ip_set_v4(&pi.src, get32(p + 12));
	ip_set_v4(&pi.dst, get32(p + 16));
	uint32_t src = ip_v4(&pi.src);
	if ((src >> 28) == 0xe || src == 0xffffffffu || from_wrong_side(nic, &pi.src)) {
		why = NS_CTR_IP_IN_BAD_SRC;
		goto drop;
	}
	/* A subnet's broadcast address (127.255.255.255 on lo) goes to every
	 * bound socket; checked before "local", which covers all 127/8. */
	enum ns_addr_kind kind = ns_addr_classify(s, &pi.dst);
	pi.to_broadcast = kind == NS_ADDR_BROADCAST;
	if (from_wrong_side(nic, &pi.dst) || kind == NS_ADDR_OTHER) {
		why = NS_CTR_IP_IN_ADDR_ERRORS;
		goto drop;
	}
	pi.proto = p[9];
	pi.ttl = p[8];
	pi.tos = p[1];
	if (get16(p + 6) & 0x3fff) { /* MF or a fragment offset */
		pi.nic = nic;
		pb = ns_frag4_input(s, &pi, pb, ihl, tot);
		if (!pb)
			return;
		p = ns_pbuf_data(pb);
		ihl = (p[0] & 0xfu) * 4;
		tot = pb->len;
	}
	ip_finish(s, nic, pb, &pi, ihl, tot);
	return;
drop:
	ip_drop(s, nic, pb, why);
}

/* Walk the TLV options of a hop-by-hop or destination options header:
 * false when one says "discard" (the two high bits of an unknown type). */
static bool ip6_options_ok(const uint8_t *h, uint32_t hlen)
{
	uint32_t off = 2;
	while (off < hlen) {
		uint8_t type = h[off];
		if (type == 0) { /* Pad1 */
			off++;
			continue;
		}
		if (off + 2 > hlen)
			return false;
		uint32_t olen = 2u + h[off + 1];
		if (off + olen > hlen)
			return false;
		if (type != 1 /* PadN */ && (type >> 6) != 0)
			return false;
		off += olen;
	}
	return true;
}

static void ip6_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb)
{
	const uint8_t *p = ns_pbuf_data(pb);
	uint32_t len = pb->len; /* at least 40 */
	enum ns_counter why;
	uint32_t paylen = get16(p + 4);
	if (paylen == 0) { /* a jumbogram (RFC 2675): not on our links */
		why = NS_CTR_IP6_IN_BAD_PAYLEN;
		goto drop;
	}
	if (40 + paylen > len) {
		why = NS_CTR_IP6_IN_TRUNCATED;
		goto drop;
	}
	uint32_t tot = 40 + paylen;
	struct ns_pktinfo pi = {0};
	memcpy(pi.src.b, p + 8, 16);
	memcpy(pi.dst.b, p + 24, 16);
	if (ip_is_multicast(&pi.src) || from_wrong_side(nic, &pi.src) || ip_is_v4(&pi.src)) {
		why = NS_CTR_IP6_IN_BAD_SRC;
		goto drop;
	}
	/* Multicast: the groups an Ethernet interface joined, for neighbour
	 * discovery (ICMPv6) only. */
	bool mcast = false;
	if (ip_is_multicast(&pi.dst)) {
		vmutex_lock(&s->lock);
		mcast = ns_ndisc_joined_locked(nic, &pi.dst);
		vmutex_unlock(&s->lock);
		if (!mcast) {
			why = NS_CTR_IP6_IN_ADDR_ERRORS;
			goto drop;
		}
	} else if (ip_is_v4(&pi.dst) || !ns_addr_is_local(s, &pi.dst) ||
		   from_wrong_side(nic, &pi.dst)) {
		why = NS_CTR_IP6_IN_ADDR_ERRORS;
		goto drop;
	}
	uint8_t nh = p[6];
	uint32_t off = 40;
	pi.v6 = true;
	pi.nic = nic;
	for (int n = 0;; n++) {
		if (nh == 0 || nh == 43 || nh == 60) { /* hop-by-hop, routing, dest opts */
			if ((nh == 0 && n != 0) || n >= 8 || off + 8 > tot) {
				why = NS_CTR_IP6_IN_BAD_EXTHDR;
				goto drop;
			}
			uint32_t hlen = (p[off + 1] + 1u) * 8;
			if (off + hlen > tot) {
				why = NS_CTR_IP6_IN_BAD_EXTHDR;
				goto drop;
			}
			/* A routing header with segments left would have us
			 * forward; options that say discard are obeyed. */
			if ((nh == 43 && p[off + 3] != 0) ||
			    (nh != 43 && !ip6_options_ok(p + off, hlen))) {
				why = NS_CTR_IP6_IN_BAD_EXTHDR;
				goto drop;
			}
			nh = p[off];
			off += hlen;
			continue;
		}
		if (nh == 44) {
			if (off + 8 > tot || n >= 8) {
				why = NS_CTR_IP6_IN_BAD_EXTHDR;
				goto drop;
			}
			/* Reassembled, the datagram is parsed again from its
			 * fixed header (a hop-by-hop header is not first). */
			ns_count(s, NS_CTR_IP6_IN_FRAGMENTS);
			pb->len = tot;
			pb = ns_frag6_input(s, &pi, pb, off);
			if (!pb)
				return;
			p = ns_pbuf_data(pb);
			tot = pb->len;
			nh = p[6];
			off = 40;
			continue;
		}
		break;
	}
	if (nh == 59) { /* no next header: nothing to deliver */
		ns_count(s, NS_CTR_IP6_IN_DELIVERS);
		ns_pbuf_free(pb);
		return;
	}
	if (mcast && nh != IPPROTO_ICMPV6) {
		why = NS_CTR_IP6_IN_ADDR_ERRORS;
		goto drop;
	}
	pi.proto = nh;
	pi.ttl = p[7];
	pi.tos = (uint8_t)(get16(p) >> 4);
	ip_finish(s, nic, pb, &pi, off, tot);
	return;
drop:
	ip_drop(s, nic, pb, why);
}

void ns_ip_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb)
{
	if (pb->len < 1) {
		ip_drop(s, nic, pb, NS_CTR_IP_IN_TRUNCATED);
		return;
	}
	unsigned int version = ns_pbuf_data(pb)[0] >> 4;
	if (version != 4 && version != 6) {
		ip_drop(s, nic, pb, NS_CTR_IP_IN_BAD_VERSION);
		return;
	}
	bool v6 = version == 6;
	ns_count(s, v6 ? NS_CTR_IP6_IN_RECEIVES : NS_CTR_IP_IN_RECEIVES);
	if (pb->len < (v6 ? 40u : 20u))
		ip_drop(s, nic, pb, v6 ? NS_CTR_IP6_IN_TRUNCATED : NS_CTR_IP_IN_TRUNCATED);
	else if (v6)
		ip6_input(s, nic, pb);
	else
		ip4_input(s, nic, pb);
}

/* ---- output ---- */

static atomic_uint ip_ident;

uint16_t ns_ip_next_ident(void)
{
	return (uint16_t)atomic_fetch_add_explicit(&ip_ident, 1, memory_order_relaxed);
}

int ns_ip_output(struct ns_stack *s, const struct ns_rt *rt, const struct ns_ip *dst,
		 uint8_t proto, uint8_t ttl, uint8_t tos, struct ns_pbuf *pb)
{
	bool v4 = ip_is_v4(dst);
	uint32_t hl = v4 ? 20 : 40;
	uint32_t tot = pb->len + hl;
	/* A TSO segment exceeds the MTU: the link cuts it to gso_size. */
	bool gso = pb->gso_size && rt->nic && (rt->nic->link->flags & NS_LINK_F_TSO);
	if (pb->off < hl || (v4 ? tot > 0xffff : pb->len > 0xffff) || (tot > rt->mtu && !gso)) {
		ns_count(s, NS_CTR_IP_OUT_DISCARDS);
		ns_pbuf_free(pb);
		return -EMSGSIZE;
	}
	pb->off -= hl;
	pb->len = tot;
	uint8_t *h = ns_pbuf_data(pb);
	if (v4) {
		h[0] = 0x45;
		h[1] = tos;
		put16(h + 2, (uint16_t)tot);
		put16(h + 4, ns_ip_next_ident());
		put16(h + 6, 0x4000); /* DF: we never fragment */
		h[8] = ttl;
		h[9] = proto;
		h[10] = h[11] = 0;
		memcpy(h + 12, rt->src.b + 12, 4);
		memcpy(h + 16, dst->b + 12, 4);
		put16(h + 10, csum_fold(csum_add(0, h, 20)));
		ns_count(s, NS_CTR_IP_OUT_REQUESTS);
	} else {
		put32(h, 0x60000000u | (uint32_t)tos << 20);
		put16(h + 4, (uint16_t)(tot - 40));
		h[6] = proto;
		h[7] = ttl;
		memcpy(h + 8, rt->src.b, 16);
		memcpy(h + 24, dst->b, 16);
		ns_count(s, NS_CTR_IP6_OUT_REQUESTS);
	}
	return ns_nic_output(s, rt->nic, &rt->nexthop, pb);
}
