/*
 * net_packet.c — one AF_PACKET socket per container link, opened by the
 * runtime inside the container's network namespace (the jailed Sentry may
 * not create sockets), and the offloads turned off (runtime/net.h).
 *
 * The socket: SOCK_RAW, one TPACKET version for both rings (the version is
 * per socket; create uses NET_TPACKET_VERSION, see net.h for why V2), an RX
 * ring (V2: frames; V3: blocks the kernel retires when full or after 1 ms
 * of its jiffies clock) and a TX ring of frames, PACKET_QDISC_BYPASS (the netstack queues itself),
 * PACKET_IGNORE_OUTGOING (ETH_P_ALL would otherwise hand our own frames
 * back).  It is bound for ETH_P_ALL only once the rings exist, so no frame
 * lands in the socket's plain receive queue where nobody reads.
 *
 * Offloads: a veth hands its peer's GSO super-frames and checksum-partial
 * frames straight to AF_PACKET.  With TPACKET_V2 the socket takes them:
 * PACKET_VNET_HDR puts a struct virtio_net_hdr before each frame (its GSO
 * type and checksum state), the RX frames hold 64 KiB, and the host end of
 * the veth keeps TSO, so a host sender's 64 KiB segment crosses as one
 * frame instead of 45 (NET_RINGS_VNET); TX frames hold 64 KiB too, and the
 * Sentry sends TCP in TSO segments that the host cuts or takes whole.  Otherwise (V3, or a kernel
 * without the option) turning off TX checksumming, TSO and GSO on the host
 * end makes the host kernel finish checksums and segment before the frame
 * crosses.  GRO goes off on the container end either way.
 *
 * Release: closing such a socket costs the closer three RCU grace periods
 * (packet_release frees each ring through packet_set_ring, each after a
 * synchronize_net, then one more of its own): 30-45 ms on this project's
 * PVM guests, paid in the Sentry's exit before the shim could see it die.
 * net_release_anchor hands that last reference to the kernel's unix
 * garbage collector instead (net.h).
 */
#include "runtime/net.h"

#include "lib/log.h"
#include "lib/verr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

#define RX_BLOCK_SIZE (256u * 1024)
#define RX_BLOCK_NR 32u /* 8 MiB of receive ring */
#define RX_RETIRE_MS 1u
#define TX_BLOCK_SIZE (256u * 1024)
#define TX_FRAMES 512u
/* V2 with PACKET_VNET_HDR: frames of 17 pages (RX: the kernel puts the MAC
 * header 76 bytes in, then up to 65549 bytes; TX: the Sentry's TSO
 * segments of up to 64 KiB), 15 to a block of 255 pages (the kernel
 * allocates a block as 256: one page of slack); 4 RX blocks (60 frames,
 * 3.9 MB: at 10 Gbit/s, the Sentry may stop draining for 3 ms), 2 TX (30
 * frames in flight).  The rings are kernel memory every container pins
 * and the Sentry maps (its Pss): an idle sandbox went from 27.0 to 12.8
 * MiB when they shrank from 17 + 5 blocks, then to ~10 MiB with 4 RX
 * blocks instead of 6; iperf3 both ways over the bridge saw no ring drops
 * (rx_dropped) with 4 or more RX blocks. */
#define GSO_FRAME (17u * 4096)
#define GSO_FRAMES_PER_BLOCK 15u
#define GSO_BLOCK_NR 4u
#define GSO_TX_BLOCK_NR 2u

static uint32_t round_pow2(uint32_t v)
{
	uint32_t p = 2048;
	while (p < v)
		p <<= 1;
	return p;
}

/* Sizes for a link of that MTU: a frame holds the version's header, the
 * room the kernel leaves before the MAC header, and a full Ethernet frame.
 * V3's RX blocks hold packets of any size up to the block. */
static void rings_for_mtu(uint32_t mtu, int version, struct net_rings *r)
{
	size_t hdr = version == TPACKET_V3 ? TPACKET3_HDRLEN : TPACKET2_HDRLEN;
	uint32_t frame = round_pow2((uint32_t)hdr + 32 + mtu + 14 + 4);
	uint32_t block = frame > TX_BLOCK_SIZE ? frame : TX_BLOCK_SIZE;
	r->version = (uint32_t)version;
	r->tx_frame_size = frame;
	r->tx_block_size = block;
	r->tx_block_nr = (TX_FRAMES * frame + block - 1) / block;
	r->rx_block_size = RX_BLOCK_SIZE > frame ? RX_BLOCK_SIZE : frame;
	r->rx_block_nr = RX_BLOCK_NR;
	r->rx_frame_size = version == TPACKET_V3 ? 2048 : frame;
	r->flags = 0;
}

/* V2 frames from a veth that keeps its offloads. */
static void rings_for_gso(struct net_rings *r)
{
	r->rx_frame_size = GSO_FRAME;
	r->rx_block_size = GSO_FRAME * GSO_FRAMES_PER_BLOCK;
	r->rx_block_nr = GSO_BLOCK_NR;
	r->tx_frame_size = GSO_FRAME;
	r->tx_block_size = GSO_FRAME * GSO_FRAMES_PER_BLOCK;
	r->tx_block_nr = GSO_TX_BLOCK_NR;
	r->flags = NET_RINGS_VNET;
}

/* The socket, its version and rings, not bound: no frame reaches it yet.
 * vnet_only: no socket (-EOPNOTSUPP) unless PACKET_VNET_HDR is there, so
 * the rings do not depend on the MTU.  The fd, or -errno with *what. */
static int packet_make(uint32_t mtu, int version, bool vnet_only, struct net_rings *r,
		       const char **what)
{
	*what = "socket";
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	rings_for_mtu(mtu, version, r);
	int one = 1;
	*what = "PACKET_VERSION";
	if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0)
		goto fail;
	/* Before the rings (the kernel refuses it after); best effort. */
	*what = "PACKET_VNET_HDR";
	if (version == TPACKET_V2 &&
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) == 0)
		rings_for_gso(r);
	else if (vnet_only) {
		close(fd);
		return -EOPNOTSUPP;
	}
	/* tpacket_req3 starts with tpacket_req's fields; V2 takes the short one. */
	struct tpacket_req3 rx = {
	    .tp_block_size = r->rx_block_size,
	    .tp_block_nr = r->rx_block_nr,
	    .tp_frame_size = r->rx_frame_size,
	    .tp_frame_nr = r->rx_block_size / r->rx_frame_size * r->rx_block_nr,
	    .tp_retire_blk_tov = RX_RETIRE_MS,
	};
	socklen_t reqlen = version == TPACKET_V3 ? sizeof(struct tpacket_req3)
						 : sizeof(struct tpacket_req);
	*what = "PACKET_RX_RING";
	if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &rx, reqlen) < 0)
		goto fail;
	struct tpacket_req3 tx = {
	    .tp_block_size = r->tx_block_size,
	    .tp_block_nr = r->tx_block_nr,
	    .tp_frame_size = r->tx_frame_size,
	    .tp_frame_nr = r->tx_block_size / r->tx_frame_size * r->tx_block_nr,
	};
	*what = "PACKET_TX_RING";
	if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &tx, reqlen) < 0)
		goto fail;
	return fd;
fail:;
	int e = errno;
	close(fd);
	return -e;
}

/* What follows the rings: the options, then the bind to the link. */
static int packet_bind(int fd, const struct net_link *link, const char **what)
{
	int one = 1;
	*what = "PACKET_QDISC_BYPASS";
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) < 0)
		return -errno;
	*what = "PACKET_IGNORE_OUTGOING";
	if (setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
		return -errno;
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = link->ifindex,
	};
	*what = "bind";
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -errno;
	return 0;
}

int net_packet_open(struct net_link *link, int version, struct verr *err)
{
	if (link->mtu > 65535)
		return verr_set(err, EINVAL, "link %s: MTU %u too large", link->name, link->mtu);
	if (version != TPACKET_V2 && version != TPACKET_V3)
		return verr_set(err, EINVAL, "link %s: TPACKET version %d", link->name, version);
	struct net_rings r;
	const char *what;
	int fd = packet_make(link->mtu, version, false, &r, &what);
	if (fd < 0)
		return verr_errno(err, -fd, "link %s: AF_PACKET %s", link->name, what);
	return net_packet_bind(link, fd, &r, err);
}

int net_packet_prepare(int version, struct net_rings *rings)
{
	if (version != TPACKET_V2)
		return -EOPNOTSUPP;
	const char *what;
	return packet_make(0, version, true, rings, &what);
}

int net_packet_bind(struct net_link *link, int fd, const struct net_rings *rings,
		    struct verr *err)
{
	const char *what;
	int r = packet_bind(fd, link, &what);
	if (r < 0) {
		close(fd);
		return verr_errno(err, -r, "link %s: AF_PACKET %s", link->name, what);
	}
	link->fd = fd;
	link->rings = *rings;
	return 0;
}

static void ethtool_off(int fd, const char *ifname, uint32_t cmd, const char *what)
{
	struct ethtool_value ev = {.cmd = cmd, .data = 0};
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (char *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr) < 0 && errno != EOPNOTSUPP)
		log_debug("net: %s off on %s: %s", what, ifname, strerror(errno));
}

void net_offloads_off(const char *ifname, int ifindex, bool peer)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (peer)
		ethtool_off(fd, ifname, ETHTOOL_STXCSUM, "tx-checksumming");
	ethtool_off(fd, ifname, ETHTOOL_STSO, "tso");
	ethtool_off(fd, ifname, ETHTOOL_SGSO, "gso");
	ethtool_off(fd, ifname, ETHTOOL_SGRO, "gro");
	close(fd);
}

void net_gro_off(const char *ifname)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	ethtool_off(fd, ifname, ETHTOOL_SGRO, "gro");
	close(fd);
}

static int send_fds(int sock, const int *fds, int n)
{
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * (NET_MAX_LINKS + 2))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr m = {.msg_iov = &iov,
			   .msg_iovlen = 1,
			   .msg_control = u.buf,
			   .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(h), fds, sizeof(int) * (size_t)n);
	return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int net_release_anchor(const int *fds, int n)
{
	if (n < 1 || n > NET_MAX_LINKS + 1)
		return -EINVAL;
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sp) < 0)
		return -errno;
	int a = sp[0], b = sp[1];
	/* Into a's queue (sent from b): the fds and a itself, the cycle
	 * only the collector can break. */
	int cycle[NET_MAX_LINKS + 2];
	memcpy(cycle, fds, sizeof(int) * (size_t)n);
	cycle[n] = a;
	int r = send_fds(b, cycle, n + 1);
	/* Into b's queue (sent from a): a, so that a stays reachable, hence
	 * alive, as long as b is open.  Sent second: until then a had its
	 * fd, and no collection could find it dead in between. */
	if (r == 0)
		r = send_fds(a, &a, 1);
	close(a);
	if (r < 0) {
		close(b); /* a's cycle, if sent, goes to the collector now */
		return r;
	}
	return b;
}
