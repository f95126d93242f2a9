/*
 * packet_link.h — the container's interface as a netstack link endpoint:
 * an AF_PACKET socket the runtime opened in the container's network
 * namespace, with TPACKET_V2 (or V3) RX and TX rings (packet_link.c), and the
 * control request that hands such links to a running Sentry (netcfg.c).
 */
#ifndef VISOR_SENTRY_SOCKET_PACKET_LINK_H
#define VISOR_SENTRY_SOCKET_PACKET_LINK_H

#include <stddef.h>
#include <stdint.h>

struct link_endpoint;
struct jail_rules;

/* The ring geometry the runtime set with PACKET_RX_RING / PACKET_TX_RING
 * (runtime/net.h struct net_rings): the RX ring's blocks come first in the
 * socket's mapping, the TX ring's after them. */
struct packet_rings {
	uint32_t rx_block_size, rx_block_nr, rx_frame_size;
	uint32_t tx_block_size, tx_block_nr, tx_frame_size;
	uint32_t version; /* 2 (TPACKET_V2: frames) or 3 (TPACKET_V3: RX blocks) */
	uint32_t flags;	  /* PACKET_RINGS_VNET */
};
/* The socket has PACKET_VNET_HDR (runtime/net.h NET_RINGS_VNET): a struct
 * virtio_net_hdr before every frame in both rings. */
#define PACKET_RINGS_VNET 0x1

/* A link of type NS_LINK_ETHERNET on fd (owned from here, also on
 * failure): maps both rings.  -EINVAL (a version other than 2 and 3, a
 * geometry that is not the kernel's rules: sizes not multiples of the page
 * or of the frame), or mmap's error. */
int packet_link_new(int fd, const char *name, uint32_t mtu, const uint8_t mac[6],
		    const struct packet_rings *rings, struct link_endpoint **out);
/* The socket under a packet link (the service thread polls it). */
int packet_link_fd(const struct link_endpoint *ep);
/* What a packet link asks of the jail: reading the receive ring's drop
 * counters (PACKET_STATISTICS). */
const struct jail_rules *packet_link_jail_rules(void);

/* The "net" control request: {"links":[{"name","mtu","mac","addrs",
 * "rings":[rx block size, block count, frame size, tx block size, block
 * count, frame size, TPACKET version 2 or 3, optionally flags]}],"routes":[{"dst":"a/len","gw":"a","link":i,
 * "metric":m}],"neighbours":[..]} with one AF_PACKET fd per link in
 * SCM_RIGHTS, in order.  Each link becomes an interface of the sandbox's
 * stack with its addresses, then the routes are added; the service thread
 * starts polling the sockets.  fds are consumed (closed or kept) whatever
 * the result.  0, or -errno with msg (size n) saying what was wrong. */
int netcfg_apply(const char *request, size_t len, int *fds, int nfds, char *msg, size_t n);

#endif
