/*
 * packet_link.c — a netstack link endpoint on an AF_PACKET socket with
 * PACKET_MMAP rings, the container's eth0 (DESIGN.md §7).  One TPACKET
 * version serves both rings (it is per socket): V2, frame by frame, which
 * the runtime uses because the kernel wakes the reader per frame; or V3,
 * whose RX ring hands over whole blocks (retired when full or on a timer
 * of at least a jiffy: milliseconds of latency per round trip).
 *
 * The socket comes from the runtime (the jailed Sentry creates none); this
 * file only maps its rings, copies frames out of RX frames (V2) or
 * retired RX blocks (V3) into packet buffers and into free TX frames, and kicks the kernel with a
 * zero-length send after queueing.  Receive runs inside ns_stack_poll (one
 * poller at a time), so the RX cursor needs no lock; transmit comes from
 * any thread and takes the link's NETSTACK_LINK lock for the TX cursor and
 * the counters.  What the kernel wrote is still checked: every offset and
 * length in a block is bounded by the block before a byte is read.
 *
 * Checksums: a frame the host marked TP_STATUS_CSUMNOTREADY was made by the
 * host kernel itself (checksum-partial, its checksum field unfinished) and
 * TP_STATUS_CSUM_VALID was verified by it: both are taken as verified, as
 * Linux treats CHECKSUM_PARTIAL and CHECKSUM_UNNECESSARY (NS_PB_CSUM_OK).
 * A frame larger than a block (GSO-sized) arrives truncated and is dropped;
 * the runtime turns those offloads off on the veth, unless the socket has
 * PACKET_VNET_HDR (PACKET_RINGS_VNET, V2 only): then a struct
 * virtio_net_hdr precedes each frame, RX frames hold 64 KiB, and a TCP GSO
 * frame (one segment of up to 64 KiB whose IP length covers it all, as the
 * netstack takes from a GRO link) goes up whole, its checksum trusted when
 * the header says the host made it (NEEDS_CSUM) or checked it
 * (DATA_VALID).  Other GSO types (UDP fragmentation offload, tunnels) are
 * dropped and counted.  What we send starts with a zeroed header.
 */
#include "sentry/socket/packet_link.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/lockdep.h"
#include "lib/log.h"
#include "netstack/netstack.h"
#include "platform/platform.h"

#define ETH_HLEN 14

struct packet_link {
	struct link_endpoint ep;
	int fd;
	unsigned char *map;
	size_t map_len;
	struct packet_rings g;
	uint32_t vnet; /* bytes of virtio_net_hdr before each frame: 0 or 10 */
	/* RX: only the poller (ns_stack_poll is one thread at a time). */
	unsigned char *rx;
	uint32_t rx_block;	 /* the block being read */
	uint32_t rx_left;	 /* packets left in it; 0: not started */
	uint32_t rx_off;	 /* offset of the next packet in it */
	bool rx_open;		 /* rx_block is ours and partly read */
	uint32_t rx_frames, rx_next; /* V2: frame count, the next frame */
	uint64_t ring_drops, ring_freezes; /* PACKET_STATISTICS, summed */
	/* TX: under lock. */
	struct vmutex lock;	 /* NETSTACK_LINK: tx_next, the counters */
	unsigned char *tx;
	uint32_t tx_frames, tx_next;
	/* Frames marked SEND_REQUEST since the last kick (pl_kick). */
	atomic_uint tx_unkicked;
};

/* Frames queued before send kicks by itself rather than wait for the
 * stack's flush (the service thread's, for a task's send): 40% of the GSO
 * TX ring (30 frames), so a long burst keeps the kernel busy while the
 * ring still has room.  Under redis-benchmark the tasks made a quarter of
 * the kicks so, the service thread being late on a busy CPU; at 24 they
 * made almost none, for no more requests/s. */
#define TX_KICK_BATCH 12u

static uint32_t load_status(const volatile uint32_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static void store_status(volatile uint32_t *p, uint32_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

/* TX data starts where the kernel's tpacket_snd looks without
 * PACKET_TX_HAS_OFF: the header length minus the sockaddr_ll. */
static size_t tx_data_off(const struct packet_link *pl)
{
	return (pl->g.version == 3 ? TPACKET3_HDRLEN : TPACKET2_HDRLEN) -
	       sizeof(struct sockaddr_ll);
}

/* The start of RX (V2) or TX frame i of a ring. */
static unsigned char *ring_frame(unsigned char *ring, uint32_t block_size, uint32_t frame_size,
				 uint32_t i)
{
	uint32_t per = block_size / frame_size;
	return ring + (size_t)(i / per) * block_size + (size_t)(i % per) * frame_size;
}

/* The virtio_net_hdr of a TSO frame (NS_LINK_F_TSO): TCP over IPv4 or
 * IPv6, cut to gso_size by the host, its checksum partial. */
static bool tso_hdr(const struct packet_link *pl, const struct ns_pbuf *pb,
		    struct virtio_net_hdr *vh)
{
	const unsigned char *f = ns_pbuf_data(pb);
	if (!pl->vnet || pb->len < ETH_HLEN + 40 + 20)
		return false;
	uint16_t type = (uint16_t)(f[12] << 8 | f[13]);
	uint32_t iphl;
	if (type == 0x0800 && (f[ETH_HLEN] >> 4) == 4 && f[ETH_HLEN + 9] == IPPROTO_TCP) {
		iphl = (f[ETH_HLEN] & 0xfu) * 4;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	} else if (type == 0x86dd && (f[ETH_HLEN] >> 4) == 6 && f[ETH_HLEN + 6] == IPPROTO_TCP) {
		iphl = 40;
		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV6;
	} else {
		return false;
	}
	uint32_t l4 = ETH_HLEN + iphl;
	if (iphl < 20 || pb->len < l4 + 20)
		return false;
	uint32_t hdr = l4 + (f[l4 + 12] >> 4) * 4u;
	if (hdr > pb->len)
		return false;
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->hdr_len = (uint16_t)hdr;
	vh->gso_size = pb->gso_size;
	vh->csum_start = (uint16_t)l4;
	vh->csum_offset = 16;
	return true;
}

/* Kick: one zero-length send makes the kernel transmit every
 * SEND_REQUEST frame of the TX ring, without waiting.  The count is zeroed
 * before the call, so a frame marked during it is kicked again. */
static void pl_kick(struct packet_link *pl)
{
	atomic_store(&pl->tx_unkicked, 0);
	ssize_t r = sendto(pl->fd, NULL, 0, MSG_DONTWAIT, NULL, 0);
	if (r < 0 && errno != EAGAIN && errno != ENOBUFS)
		log_debug("packet link %s: send: %s", pl->ep.name, strerror(errno));
}

static int pl_send(struct link_endpoint *ep, struct ns_pbuf *pb)
{
	struct packet_link *pl = (struct packet_link *)ep;
	struct virtio_net_hdr vh = {0}; /* no GSO, checksums complete */
	if (pb->gso_size && !tso_hdr(pl, pb, &vh)) {
		ns_pbuf_free(pb);
		return -EINVAL;
	}
	if (pb->len < ETH_HLEN || (pb->len > ep->mtu + ETH_HLEN && !pb->gso_size) ||
	    pb->len > pl->g.tx_frame_size - tx_data_off(pl) - pl->vnet) {
		int e = pb->len < ETH_HLEN ? -EINVAL : -EMSGSIZE;
		ns_pbuf_free(pb);
		return e;
	}
	vmutex_lock(&pl->lock);
	unsigned char *frame =
	    ring_frame(pl->tx, pl->g.tx_block_size, pl->g.tx_frame_size, pl->tx_next);
	volatile uint32_t *status = pl->g.version == 3
					? &((struct tpacket3_hdr *)frame)->tp_status
					: &((struct tpacket2_hdr *)frame)->tp_status;
	uint32_t st = load_status(status);
	/* A frame the kernel refused comes back TP_STATUS_WRONG_FORMAT: free
	 * again (we built it, it is counted as an error). */
	if (st & TP_STATUS_WRONG_FORMAT) {
		ep->tx_dropped++;
		st = TP_STATUS_AVAILABLE;
	}
	if (st != TP_STATUS_AVAILABLE) {
		ep->tx_dropped++;
		vmutex_unlock(&pl->lock);
		ns_pbuf_free(pb);
		return -ENOBUFS;
	}
	unsigned char *data = frame + tx_data_off(pl);
	memcpy(data, &vh, pl->vnet);
	memcpy(data + pl->vnet, ns_pbuf_data(pb), pb->len);
	uint32_t tp_len = pb->len + pl->vnet;
	if (pl->g.version == 3) {
		struct tpacket3_hdr *h = (struct tpacket3_hdr *)frame;
		h->tp_len = tp_len;
		h->tp_snaplen = tp_len;
		h->tp_next_offset = 0;
	} else {
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)frame;
		h->tp_len = tp_len;
		h->tp_snaplen = tp_len;
	}
	store_status(status, TP_STATUS_SEND_REQUEST);
	pl->tx_next = (pl->tx_next + 1) % pl->tx_frames;
	ep->tx_packets++;
	ep->tx_bytes += pb->len;
	vmutex_unlock(&pl->lock);
	ns_pbuf_free(pb);
	if (atomic_fetch_add(&pl->tx_unkicked, 1) + 1 >= TX_KICK_BATCH)
		pl_kick(pl);
	return 0;
}

/* The stack's flush (netstack.h): kick when a frame waits. */
static void pl_flush(struct link_endpoint *ep)
{
	struct packet_link *pl = (struct packet_link *)ep;
	if (atomic_load_explicit(&pl->tx_unkicked, memory_order_relaxed))
		pl_kick(pl);
}

/* A received frame this link could not take: the interface's rx_dropped. */
static void rx_drop(struct packet_link *pl)
{
	vmutex_lock(&pl->lock);
	pl->ep.rx_dropped++;
	vmutex_unlock(&pl->lock);
}

/* The kernel marks a frame TP_STATUS_LOSING when it dropped frames for a
 * full ring since its counters were last read: read them (PACKET_STATISTICS
 * resets them) and count the drops as the interface's, where a user sees
 * them (/proc/net/dev rx_dropped, as Linux counts a full ring's drops for
 * the socket, not the device; here the socket is the device). */
static void rx_ring_stats(struct packet_link *pl)
{
	struct tpacket_stats_v3 st;
	memset(&st, 0, sizeof(st));
	socklen_t len = pl->g.version == 3 ? sizeof(st) : sizeof(struct tpacket_stats);
	if (getsockopt(pl->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0) {
		log_debug("packet link %s: PACKET_STATISTICS: %s", pl->ep.name, strerror(errno));
		return;
	}
	if (!st.tp_drops && !st.tp_freeze_q_cnt)
		return;
	pl->ring_drops += st.tp_drops;
	pl->ring_freezes += st.tp_freeze_q_cnt;
	vmutex_lock(&pl->lock);
	pl->ep.rx_dropped += st.tp_drops;
	vmutex_unlock(&pl->lock);
	log_debug("packet link %s: receive ring full: %u of %u frames dropped (%llu in all, "
		  "%llu block freezes)",
		  pl->ep.name, st.tp_drops, st.tp_packets, (unsigned long long)pl->ring_drops,
		  (unsigned long long)pl->ring_freezes);
}

/* Hand the current block back to the kernel and move to the next one. */
static void rx_release(struct packet_link *pl, struct tpacket_block_desc *bd)
{
	store_status(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL);
	pl->rx_open = false;
	pl->rx_left = 0;
	pl->rx_block = (pl->rx_block + 1) % pl->g.rx_block_nr;
}

/* One received frame (snap bytes at data; st its tp_status) up the stack:
 * true when delivered. */
static bool rx_deliver(struct packet_link *pl, const unsigned char *data, uint32_t snap,
		       uint32_t len, uint32_t st)
{
	struct link_endpoint *ep = &pl->ep;
	if (snap < len || snap < ETH_HLEN) {
		rx_drop(pl); /* truncated: larger than a frame */
		return false;
	}
	struct ns_pbuf *pb = ns_pbuf_from(data, snap);
	if (!pb) {
		rx_drop(pl);
		return false;
	}
	if (st & (TP_STATUS_CSUMNOTREADY | TP_STATUS_CSUM_VALID))
		pb->flags |= NS_PB_CSUM_OK;
	vmutex_lock(&pl->lock);
	ep->rx_packets++;
	ep->rx_bytes += snap;
	vmutex_unlock(&pl->lock);
	ns_link_deliver(ep, pb);
	return true;
}

/* The virtio_net_hdr before a received frame (none without vnet): true
 * when the frame can go up; a checksum the host made or checked is marked
 * in *st as the ring's own status bits would say. */
static bool vnet_ok(const struct packet_link *pl, const unsigned char *p, uint32_t *st)
{
	if (!pl->vnet)
		return true;
	struct virtio_net_hdr vh;
	memcpy(&vh, p, sizeof(vh));
	switch (vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) {
	case VIRTIO_NET_HDR_GSO_NONE:
	case VIRTIO_NET_HDR_GSO_TCPV4:
	case VIRTIO_NET_HDR_GSO_TCPV6:
		break;
	default:
		return false;
	}
	if (vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
		*st |= TP_STATUS_CSUMNOTREADY;
	if (vh.flags & VIRTIO_NET_HDR_F_DATA_VALID)
		*st |= TP_STATUS_CSUM_VALID;
	return true;
}

/* V2: frame by frame, each handed back as soon as it is copied. */
static int pl_poll_v2(struct packet_link *pl, int max)
{
	const uint32_t fsize = pl->g.rx_frame_size;
	int n = 0;
	while (n < max) {
		unsigned char *f = ring_frame(pl->rx, pl->g.rx_block_size, fsize, pl->rx_next);
		struct tpacket2_hdr *h = (struct tpacket2_hdr *)f;
		uint32_t st = load_status(&h->tp_status);
		if (!(st & TP_STATUS_USER))
			break;
		uint32_t mac = h->tp_mac, snap = h->tp_snaplen, len = h->tp_len;
		if (st & TP_STATUS_LOSING)
			rx_ring_stats(pl);
		if (mac >= sizeof(*h) + pl->vnet && mac <= fsize && snap <= fsize - mac &&
		    vnet_ok(pl, f + mac - pl->vnet, &st)) {
			if (rx_deliver(pl, f + mac, snap, len, st))
				n++;
		} else {
			rx_drop(pl);
		}
		store_status(&h->tp_status, TP_STATUS_KERNEL);
		pl->rx_next = (pl->rx_next + 1) % pl->rx_frames;
	}
	return n;
}

static int pl_poll(struct link_endpoint *ep, int max)
{
	struct packet_link *pl = (struct packet_link *)ep;
	if (pl->g.version != 3)
		return pl_poll_v2(pl, max);
	const uint32_t bsize = pl->g.rx_block_size;
	int n = 0;
	while (n < max) {
		unsigned char *blk = pl->rx + (size_t)pl->rx_block * bsize;
		struct tpacket_block_desc *bd = (struct tpacket_block_desc *)blk;
		if (!pl->rx_open) {
			if (!(load_status(&bd->hdr.bh1.block_status) & TP_STATUS_USER))
				break;
			pl->rx_open = true;
			pl->rx_left = bd->hdr.bh1.num_pkts;
			pl->rx_off = bd->hdr.bh1.offset_to_first_pkt;
		}
		if (pl->rx_left == 0) {
			rx_release(pl, bd);
			continue;
		}
		uint32_t off = pl->rx_off;
		if (off < sizeof(*bd) || off > bsize - sizeof(struct tpacket3_hdr)) {
			rx_release(pl, bd); /* a block we cannot walk: skip it */
			continue;
		}
		struct tpacket3_hdr *h = (struct tpacket3_hdr *)(blk + off);
		uint32_t next = h->tp_next_offset;
		uint32_t mac = h->tp_mac, snap = h->tp_snaplen, st = h->tp_status;
		pl->rx_left--;
		pl->rx_off = next ? off + next : 0;
		if (next == 0 || next > bsize)
			pl->rx_left = 0;
		if (st & TP_STATUS_LOSING)
			rx_ring_stats(pl);
		bool fits = mac <= bsize - off && snap <= bsize - off - mac;
		if (!fits) {
			rx_drop(pl);
			continue;
		}
		if (rx_deliver(pl, blk + off + mac, snap, h->tp_len, st))
			n++;
	}
	return n;
}

static void pl_destroy(struct link_endpoint *ep)
{
	struct packet_link *pl = (struct packet_link *)ep;
	munmap(pl->map, pl->map_len);
	close(pl->fd);
	vmutex_destroy(&pl->lock);
	free(pl);
}

static const struct link_ops packet_link_ops = {
    .kind = "packet",
    .send = pl_send,
    .poll = pl_poll,
    .destroy = pl_destroy,
    .flush = pl_flush,
};

static bool ring_ok(uint32_t block, uint32_t nr, uint32_t frame)
{
	long page = sysconf(_SC_PAGESIZE);
	return block && nr && frame >= TPACKET3_HDRLEN + ETH_HLEN && block % (uint32_t)page == 0 &&
	       frame % TPACKET_ALIGNMENT == 0 && block % frame == 0 && nr <= 4096 &&
	       (uint64_t)block * nr <= (1ull << 30);
}

int packet_link_new(int fd, const char *name, uint32_t mtu, const uint8_t mac[6],
		    const struct packet_rings *g, struct link_endpoint **out)
{
	if ((g->version != 2 && g->version != 3) || (g->flags & ~(uint32_t)PACKET_RINGS_VNET) ||
	    ((g->flags & PACKET_RINGS_VNET) && g->version != 2) ||
	    !ring_ok(g->rx_block_size, g->rx_block_nr, g->rx_frame_size) ||
	    !ring_ok(g->tx_block_size, g->tx_block_nr, g->tx_frame_size) || mtu < 68 ||
	    mtu > 65535 || strlen(name) >= sizeof(((struct link_endpoint *)0)->name)) {
		close(fd);
		return -EINVAL;
	}
	struct packet_link *pl = calloc(1, sizeof(*pl));
	if (!pl) {
		close(fd);
		return -ENOMEM;
	}
	size_t rx_len = (size_t)g->rx_block_size * g->rx_block_nr;
	size_t tx_len = (size_t)g->tx_block_size * g->tx_block_nr;
	void *m = mmap(NULL, rx_len + tx_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		int e = errno;
		free(pl);
		close(fd);
		return -e;
	}
	pl->fd = fd;
	pl->map = m;
	pl->map_len = rx_len + tx_len;
	pl->g = *g;
	pl->vnet = g->flags & PACKET_RINGS_VNET ? sizeof(struct virtio_net_hdr) : 0;
	pl->rx = pl->map;
	pl->tx = pl->map + rx_len;
	pl->tx_frames = g->tx_block_size / g->tx_frame_size * g->tx_block_nr;
	pl->rx_frames = g->rx_block_size / g->rx_frame_size * g->rx_block_nr;
	vmutex_init(&pl->lock, LOCK_CLASS(NETSTACK_LINK));
	pl->ep.ops = &packet_link_ops;
	snprintf(pl->ep.name, sizeof(pl->ep.name), "%s", name);
	pl->ep.mtu = mtu;
	pl->ep.type = NS_LINK_ETHERNET;
	/* TSO when TX frames hold a 64 KiB IP datagram behind the header. */
	if (pl->vnet && g->tx_frame_size - tx_data_off(pl) - pl->vnet >= 65535 + ETH_HLEN)
		pl->ep.flags |= NS_LINK_F_TSO;
	memcpy(pl->ep.hwaddr, mac, 6);
	*out = &pl->ep;
	return 0;
}

int packet_link_fd(const struct link_endpoint *ep)
{
	return ep->ops == &packet_link_ops ? ((const struct packet_link *)ep)->fd : -1;
}

/* What the service thread needs from the host for a packet link beyond
 * the Sentry's rules (sendto, ppoll, recvmsg): reading the receive ring's
 * drop counters, and no other socket option. */
static const struct jail_rule packet_link_rule_list[] = {
    {.nr = SYS_getsockopt,
     .action = JAIL_ACT_ALLOW,
     .ncmp = 2,
     .cmp = {{.arg = 1, .op = JAIL_CMP_MASKED_EQ, .mask = 0xffffffffULL, .value = SOL_PACKET},
	     {.arg = 2, .op = JAIL_CMP_MASKED_EQ, .mask = 0xffffffffULL,
	      .value = PACKET_STATISTICS}}},
};
static const struct jail_rules packet_link_rules =
    JAIL_RULES("packet link", packet_link_rule_list);

const struct jail_rules *packet_link_jail_rules(void)
{
	return &packet_link_rules;
}
