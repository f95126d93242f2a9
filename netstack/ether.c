/*
 * ether.c — Ethernet II framing on NS_LINK_ETHERNET interfaces.
 *
 * Input: a frame is kept when it is addressed to the interface's MAC, to
 * broadcast, or to a multicast group the interface joined (IPv4
 * all-hosts; IPv6 all-nodes and the solicited-node groups of its
 * addresses), and carries IPv4, ARP or IPv6; everything else is dropped
 * and counted (as Linux's PACKET_OTHERHOST and unknown protocols).  GRO
 * frames up to NS_ETH_MAX_RX bytes are accepted whatever the MTU.
 *
 * Output: IP datagrams go to the MAC of their next hop: computed for
 * multicast (RFC 1112, RFC 2464) and broadcast, resolved through the
 * neighbour cache (neigh.c) otherwise.  The link gets frames of at most
 * mtu + 14 bytes.
 */
#include "netstack/ns_impl.h"

#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86dd

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static bool mcast_joined(struct ns_stack *s, struct ns_nic *nic, const uint8_t *dst)
{
	static const uint8_t all_hosts[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
	if (memcmp(dst, all_hosts, 6) == 0)
		return true;
	if (dst[0] != 0x33 || dst[1] != 0x33)
		return false;
	/* 33:33 + the group's low 32 bits: all-nodes ff02::1 or a
	 * solicited-node group ff02::1:ffXX:XXXX. */
	struct ns_ip g = {{0xff, 0x02, [11] = 0x01, [12] = dst[2], [13] = dst[3], [14] = dst[4],
			   [15] = dst[5]}};
	if (dst[2] == 0 && dst[3] == 0 && dst[4] == 0 && dst[5] == 1)
		memset(g.b + 11, 0, 1);
	vmutex_lock(&s->lock);
	bool r = ns_ndisc_joined_locked(nic, &g);
	vmutex_unlock(&s->lock);
	return r;
}

static void eth_drop(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb,
		     enum ns_counter why)
{
	ns_count(s, why);
	atomic_fetch_add(&nic->rx_dropped, 1);
	ns_pbuf_free(pb);
}

void ns_eth_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb)
{
	if (pb->len < NS_ETH_HLEN) {
		eth_drop(s, nic, pb, NS_CTR_ETH_IN_TRUNCATED);
		return;
	}
	if (pb->len > NS_ETH_MAX_RX) {
		eth_drop(s, nic, pb, NS_CTR_ETH_IN_TOO_LONG);
		return;
	}
	const uint8_t *p = ns_pbuf_data(pb);
	if (memcmp(p, nic->link->hwaddr, 6) != 0 && memcmp(p, bcast_mac, 6) != 0 &&
	    !((p[0] & 1) && mcast_joined(s, nic, p))) {
		eth_drop(s, nic, pb, NS_CTR_ETH_IN_OTHER_HOST);
		return;
	}
	uint16_t type = get16(p + 12);
	pb->off += NS_ETH_HLEN;
	pb->len -= NS_ETH_HLEN;
	switch (type) {
	case ETH_P_IP:
	case ETH_P_IPV6:
		/* The version must say what the type said (ip_rcv, ipv6_rcv). */
		if (pb->len < 1 || (ns_pbuf_data(pb)[0] >> 4) != (type == ETH_P_IP ? 4 : 6)) {
			eth_drop(s, nic, pb,
				 type == ETH_P_IP ? NS_CTR_IP_IN_BAD_VERSION
						  : NS_CTR_IP6_IN_BAD_VERSION);
			return;
		}
		ns_ip_input(s, nic, pb);
		return;
	case ETH_P_ARP:
		ns_arp_input(s, nic, pb);
		return;
	default:
		eth_drop(s, nic, pb, NS_CTR_LINK_RX_BAD_TYPE);
	}
}

int ns_eth_xmit(struct ns_stack *s, struct ns_nic *nic, const uint8_t dst[6], uint16_t ethertype,
		struct ns_pbuf *pb)
{
	if (pb->off < NS_ETH_HLEN) {
		/* Every buffer the stack builds has the headroom; be safe. */
		struct ns_pbuf *copy = ns_pbuf_from(ns_pbuf_data(pb), pb->len);
		ns_pbuf_free(pb);
		if (!copy)
			return -ENOBUFS;
		pb = copy;
	}
	pb->off -= NS_ETH_HLEN;
	pb->len += NS_ETH_HLEN;
	uint8_t *h = ns_pbuf_data(pb);
	memcpy(h, dst, 6);
	memcpy(h + 6, nic->link->hwaddr, 6);
	put16(h + 12, ethertype);
	if (!nic->up) {
		ns_pbuf_free(pb);
		return -ENETDOWN;
	}
	int r = ns_link_send(nic->link, pb);
	if (r < 0)
		ns_count(s, NS_CTR_LINK_TX_ERRORS);
	return r;
}

int ns_eth_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *nexthop,
		  struct ns_pbuf *pb)
{
	uint8_t mac[6];
	bool v6 = (ns_pbuf_data(pb)[0] >> 4) == 6;
	if (ip_is_multicast(nexthop)) {
		if (ip_is_v4(nexthop)) { /* 01:00:5e + the low 23 bits */
			mac[0] = 0x01, mac[1] = 0x00, mac[2] = 0x5e;
			mac[3] = nexthop->b[13] & 0x7f;
			mac[4] = nexthop->b[14];
			mac[5] = nexthop->b[15];
		} else { /* 33:33 + the low 32 bits */
			mac[0] = mac[1] = 0x33;
			memcpy(mac + 2, nexthop->b + 12, 4);
		}
		return ns_eth_xmit(s, nic, mac, v6 ? ETH_P_IPV6 : ETH_P_IP, pb);
	}
	/* Every subnet broadcast (prefix <= 30) ends in two one bits: the
	 * lock is taken only for those. */
	if (ip_is_v4(nexthop) && (ip_v4(nexthop) & 3) == 3 && ns_addr_is_broadcast(s, nexthop))
		return ns_eth_xmit(s, nic, bcast_mac, ETH_P_IP, pb);
	return ns_neigh_output(s, nic, nexthop, pb);
}
