/*
 * net.h — the container's network interfaces, handed from the host to the
 * Sentry (--network=sandbox, DESIGN.md §7).
 *
 * Owns: reading a network namespace's links, addresses, routes and
 * neighbours through netlink (net_discover.c, libmnl); opening one
 * AF_PACKET socket per link with PACKET_MMAP rings and turning off the
 * offloads the netstack cannot take (net_packet.c); and the hand-off at
 * create (net_attach.c): enter the Sentry's network namespace, discover,
 * open the sockets, send them to the Sentry over its control socket
 * (SCM_RIGHTS, op "net"), then remove the addresses from the host side of
 * the namespace so the host kernel no longer answers for them.  A failure
 * restores what was removed.
 * Never: keeps state across commands, or touches a namespace other than the
 * container's (and the host end of its veth, whose offloads it turns off).
 */
#ifndef VISOR_RUNTIME_NET_H
#define VISOR_RUNTIME_NET_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/if_packet.h>

struct verr;

#define NET_MAX_LINKS 8
#define NET_MAX_ADDRS 8
#define NET_MAX_ROUTES 32
#define NET_MAX_NEIGHS 32

struct net_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	uint8_t prefixlen;
};

/* The rings of a link's AF_PACKET socket (one version for both: it is per
 * socket).  The Sentry maps rx then tx, one mmap of both sizes. */
struct net_rings {
	uint32_t rx_block_size, rx_block_nr, rx_frame_size;
	uint32_t tx_block_size, tx_block_nr, tx_frame_size;
	uint32_t version; /* TPACKET_V2 or TPACKET_V3 */
	uint32_t flags;	  /* NET_RINGS_* */
};
/* PACKET_VNET_HDR is on: every frame in either ring starts with a struct
 * virtio_net_hdr (checksum and GSO state), so the host end of the veth
 * keeps its offloads and frames of up to 64 KiB cross as one. */
#define NET_RINGS_VNET 0x1

/* The ring version create uses.  TPACKET_V2: the kernel wakes the reader
 * per frame.  TPACKET_V3 hands over whole blocks, retired when full or
 * after tp_retire_blk_tov ms on a jiffies timer: measured here (HZ 250),
 * 0.8 to 6.4 ms from a frame's arrival to the reader's wake-up, which
 * every TCP round trip would pay; V3 stays supported (tests, bulk use). */
#define NET_TPACKET_VERSION TPACKET_V2

struct net_link {
	char name[16];
	int ifindex;	  /* in the container's namespace */
	int peer_ifindex; /* IFLA_LINK: a veth's other end (0: none) */
	bool peer_other_ns; /* IFLA_LINK_NETNSID given: the peer lives elsewhere */
	uint32_t mtu;
	uint8_t mac[6];
	char kind[16]; /* IFLA_INFO_KIND: "veth", ... */
	struct net_addr addrs[NET_MAX_ADDRS];
	int naddrs;
	int fd; /* the AF_PACKET socket, -1 until opened */
	bool ipv6_ll; /* the Sentry makes its EUI-64 link-local address */
	struct net_rings rings;
};

struct net_route {
	int family;
	uint8_t dst[16];
	uint8_t dst_len;
	uint8_t gw[16];
	bool has_gw;
	int link; /* index into net_config.links */
	uint32_t metric;
};

struct net_neigh {
	int family;
	uint8_t addr[16];
	uint8_t mac[6];
	int link;
};

struct net_config {
	struct net_link links[NET_MAX_LINKS];
	int nlinks;
	struct net_route routes[NET_MAX_ROUTES];
	int nroutes;
	struct net_neigh neighs[NET_MAX_NEIGHS];
	int nneighs;
	/* Docker's embedded DNS: a UDP socket in the namespace connected to
	 * 127.0.0.11:53, relayed by the Sentry (-1: none). */
	int dns_fd;
	/* The links' release anchor (net_release_anchor), handed over last
	 * with "release":true (-1: none). */
	int release_fd;
	/* The namespace's loopback has no ::1: IPv6 is off there (Docker sets
	 * disable_ipv6 in a container whose network has no IPv6), so the
	 * Sentry's lo must not answer for ::1 either. */
	bool lo_ipv6_off;
};

/* Read the current network namespace's links (all but loopback ones), their
 * addresses (IPv4 and IPv6, any scope but host), the main table's unicast
 * routes on those links, and their permanent neighbours; and whether the
 * loopback link lacks ::1 (lo_ipv6_off).
 * Links' fd = -1.  0 or -errno with err. */
int net_discover(struct net_config *c, struct verr *err);

/* Open link's AF_PACKET socket in the current namespace: SOCK_RAW bound to
 * it for ETH_P_ALL, RX and TX rings of that version (TPACKET_V2 or
 * TPACKET_V3) sized for its MTU, PACKET_QDISC_BYPASS,
 * PACKET_IGNORE_OUTGOING.  Sets link->fd and link->rings.  0 or -errno
 * with err. */
int net_packet_open(struct net_link *link, int version, struct verr *err);
/* net_packet_open in two steps, so that the slow one can run before the
 * link exists (each ring costs the kernel a synchronize_net(), ~10 ms on
 * a PVM guest): prepare makes an unbound socket in the current namespace
 * with the rings PACKET_VNET_HDR gives any link (TPACKET_V2 only: the fd,
 * or -EOPNOTSUPP without PACKET_VNET_HDR, or -errno); bind completes it
 * for link of the same namespace (link->fd, link->rings), or closes it and
 * fails with err. */
int net_packet_prepare(int version, struct net_rings *rings);
int net_packet_bind(struct net_link *link, int fd, const struct net_rings *rings,
		    struct verr *err);
/* Make the last reference to each of fds[0..n) one the kernel drops
 * outside the exit of the process that holds the returned fd: a unix
 * datagram pair (a, b) where a's queue holds fds and a itself, and b's
 * queue holds a.  While b is open, a is reachable and the fds stay alive;
 * closing b (the holder's exit included, SIGKILL too) leaves a in a cycle
 * only the unix garbage collector sees, which Linux (6.10 on) runs from a
 * workqueue: its fput of the fds is deferred to another work item, so an
 * AF_PACKET socket's release (three synchronize_net() with both rings,
 * ~40 ms on a PVM guest) no longer delays the holder's exit_notify.  With
 * a kernel that collects in the closing task, the release only moves
 * there.  The caller keeps its own fds.  Returns b (close-on-exec) or
 * -errno. */
int net_release_anchor(const int *fds, int n);
/* Turn off what the netstack cannot take on a link of the current
 * namespace: GRO, TSO, GSO (best effort: a link without ethtool support
 * keeps its settings).  peer: the host end of a veth, where transmit
 * checksumming goes off too so the container receives finished
 * checksums and MTU-sized frames. */
void net_offloads_off(const char *ifname, int ifindex, bool peer);
/* GRO off on a link of the current namespace (best effort). */
void net_gro_off(const char *ifname);
/* The name of the link with that index in the current namespace, if it is
 * a veth whose IFLA_LINK is peer_of: 0, or -ENOENT. */
int net_find_veth_peer(int ifindex, int peer_of, char name[16]);

/* Add or delete an address (RTM_NEWADDR / RTM_DELADDR) or a route in the
 * current namespace.  0 or -errno (-EEXIST on add of what is there). */
int net_addr_change(int ifindex, const struct net_addr *a, bool add);
int net_route_add(int ifindex, const struct net_route *r);

/* The "net" control request for c (links' fds in order, then dns_fd when
 * there is one, with "dns":true, then release_fd when there is one, with
 * "release":true):
 * {"op":"net","links":[{"name","mtu","mac","addrs":["a/len",..],"rings":[8 numbers]}],
 *  "routes":[{"dst":"a/len","gw":"a","link":i,"metric":m}],
 *  "neighbours":[{"addr","mac","link"}]}.  malloc'ed, NULL on ENOMEM. */
char *net_config_request(const struct net_config *c);

/* Whether the resolv.conf at path (the host file Docker bind-mounts on the
 * container's /etc/resolv.conf) names Docker's embedded server 127.0.0.11. */
bool net_uses_docker_dns(const char *resolv_conf);

/* The first link's socket, made while the prestart hooks run (Docker's
 * moves the veth in then, and takes 50-170 ms; the rings take ~25 ms):
 * net_early_start after the Sentry exists, net_attach takes the socket
 * for the first link it finds, net_early_discard after (or instead of)
 * net_attach waits for the thread and disposes of a socket nobody took
 * through net_release_anchor, so that create's exit does not pay for it. */
struct net_early {
	pthread_t thread;
	bool running;
	int netns; /* the Sentry's network namespace, for the thread; -1 */
	int fd;	   /* net_packet_prepare's socket, -1 */
	struct net_rings rings;
};
void net_early_start(struct net_early *e, pid_t sentry_pid);
void net_early_discard(struct net_early *e);

/* create's step after the prestart hooks: give the Sentry (pid, control
 * socket under state_dir) the links of its network namespace, and with
 * relay_dns a socket for Docker's embedded DNS; lo_ipv6 1 or 0 says
 * whether lo has IPv6 (the spec's disable_ipv6 sysctl), -1 reads it from
 * the namespace (lo holds ::1 or not); links_ipv6 (the spec turns IPv6 on
 * for all devices) gives each link without an IPv6 address the link-local
 * one Linux makes when IPv6 comes on; early (or NULL), a socket made
 * ahead for the first link.  Nothing to do (0) when the
 * namespace has no link but loopback and lo keeps its ::1.  On failure
 * every address removed is put back and err says which step failed. */
int net_attach(pid_t sentry_pid, const char *state_dir, bool relay_dns, int lo_ipv6,
	       bool links_ipv6, struct net_early *early, struct verr *err);

#endif
