/*
 * arp.c — ARP (RFC 826) for IPv4 over Ethernet, as Linux's net/ipv4/arp.c
 * with its defaults (arp_ignore 0, arp_announce 0, arp_accept 0):
 *
 *   - a request for one of the interface's addresses is answered, and its
 *     sender enters the cache as STALE (the answer goes straight back);
 *   - a DAD probe (sender 0.0.0.0) for one of our addresses is answered;
 *   - a reply, or any request, updates an entry that exists (a reply makes
 *     it REACHABLE), but creates none (arp_accept 0);
 *   - an address added to an interface is announced by a gratuitous ARP
 *     request (sender = target = the address).
 *
 * Packets are checked whole before use: hardware type Ethernet, protocol
 * IPv4, address lengths 6 and 4, a request or reply, a unicast sender MAC;
 * anything else is dropped and counted (ARP_IN_BAD).
 */
#include "netstack/ns_impl.h"

#define ARPOP_REQUEST 1
#define ARPOP_REPLY 2
#define ARP_LEN 28

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t zero_mac[6];

static void arp_send(struct ns_stack *s, struct ns_nic *nic, uint16_t op, const uint8_t *eth_dst,
		     uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	struct ns_pbuf *pb = ns_pbuf_alloc(ARP_LEN);
	if (!pb)
		return;
	uint8_t *p = ns_pbuf_data(pb);
	put16(p, 1);	  /* ARPHRD_ETHER */
	put16(p + 2, 0x0800); /* ETH_P_IP */
	p[4] = 6;
	p[5] = 4;
	put16(p + 6, op);
	memcpy(p + 8, nic->link->hwaddr, 6);
	put32(p + 14, sip);
	memcpy(p + 18, tha, 6);
	put32(p + 24, tip);
	pb->len = ARP_LEN;
	ns_count(s, op == ARPOP_REQUEST ? NS_CTR_ARP_OUT_REQUESTS : NS_CTR_ARP_OUT_REPLIES);
	ns_eth_xmit(s, nic, eth_dst, 0x0806, pb);
}

bool ns_nic_has_addr_locked(const struct ns_nic *nic, const struct ns_ip *a)
{
	for (int i = 0; i < nic->naddrs; i++)
		if (ip_eq(&nic->addrs[i].addr, a))
			return true;
	return false;
}

void ns_arp_solicit(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *target,
		    const struct ns_ip *src, const uint8_t *mac)
{
	/* From the queued datagram's source when it is ours on this
	 * interface, else from an address of the interface, one in the
	 * target's subnet first (arp_solicit with arp_announce 0). */
	struct ns_ip from;
	bool found = false;
	vmutex_lock(&s->lock);
	if (src && ip_is_v4(src) && ns_nic_has_addr_locked(nic, src)) {
		from = *src;
		found = true;
	}
	for (int i = 0; !found && i < 2; i++)
		for (int j = 0; !found && j < nic->naddrs; j++) {
			const struct ns_nic_addr *na = &nic->addrs[j];
			if (ip_is_v4(&na->addr) &&
			    (i == 1 || ip_prefix_match(target, &na->addr, na->prefixlen))) {
				from = na->addr;
				found = true;
			}
		}
	vmutex_unlock(&s->lock);
	if (!found)
		return;
	arp_send(s, nic, ARPOP_REQUEST, mac ? mac : bcast_mac, ip_v4(&from), mac ? mac : zero_mac,
		 ip_v4(target));
}

void ns_arp_announce(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *addr)
{
	if (!nic->neigh || !nic->up || !ip_is_v4(addr))
		return;
	arp_send(s, nic, ARPOP_REQUEST, bcast_mac, ip_v4(addr), zero_mac, ip_v4(addr));
}

void ns_arp_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb)
{
	const uint8_t *p = ns_pbuf_data(pb);
	if (pb->len < ARP_LEN || get16(p) != 1 || get16(p + 2) != 0x0800 || p[4] != 6 ||
	    p[5] != 4) {
		ns_count(s, NS_CTR_ARP_IN_BAD);
		goto out;
	}
	uint16_t op = get16(p + 6);
	const uint8_t *sha = p + 8;
	uint32_t sip = get32(p + 14), tip = get32(p + 24);
	if ((op != ARPOP_REQUEST && op != ARPOP_REPLY) || (sha[0] & 1)) {
		ns_count(s, NS_CTR_ARP_IN_BAD);
		goto out;
	}
	ns_count(s, op == ARPOP_REQUEST ? NS_CTR_ARP_IN_REQUESTS : NS_CTR_ARP_IN_REPLIES);
	/* Never about multicast or loopback addresses (arp_process). */
	if ((tip >> 28) == 0xe || (tip >> 24) == 127 || (sip >> 28) == 0xe || (sip >> 24) == 127 ||
	    sip == 0xffffffffu) {
		ns_count(s, NS_CTR_ARP_IN_IGNORED);
		goto out;
	}
	struct ns_ip target, sender;
	ip_set_v4(&target, tip);
	ip_set_v4(&sender, sip);
	vmutex_lock(&s->lock);
	bool mine = ns_nic_has_addr_locked(nic, &target);
	vmutex_unlock(&s->lock);
	if (sip == 0) { /* a duplicate-address probe */
		if (op == ARPOP_REQUEST && mine)
			arp_send(s, nic, ARPOP_REPLY, sha, tip, sha, 0);
		else
			ns_count(s, NS_CTR_ARP_IN_IGNORED);
		goto out;
	}
	if (op == ARPOP_REQUEST && mine) {
		ns_neigh_update(s, nic, &sender, sha, NS_NUD_STALE, NEIGH_CREATE);
		arp_send(s, nic, ARPOP_REPLY, sha, tip, sha, sip);
		goto out;
	}
	/* Not for us, a reply, or gratuitous: refresh what we know only. */
	ns_neigh_update(s, nic, &sender, sha, op == ARPOP_REPLY ? NS_NUD_REACHABLE : NS_NUD_STALE,
			0);
	if (op == ARPOP_REQUEST)
		ns_count(s, NS_CTR_ARP_IN_IGNORED);
out:
	ns_pbuf_free(pb);
}
