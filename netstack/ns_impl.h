/*
 * ns_impl.h — the netstack's internals, shared by its files and never
 * included from outside netstack/ (netstack.h is the interface).
 *
 * Addresses: every address is a struct ns_ip of 16 bytes; IPv4 is kept
 * v4-mapped (::ffff:a.b.c.d), so one code path serves AF_INET, AF_INET6
 * and dual-stack sockets, and a flow is IPv4 exactly when its remote
 * address is mapped.
 *
 * Locks, outermost first (sentry/LOCKING.md): ep->lock (NETSTACK_ENDPOINT),
 * s->lock (NETSTACK_STACK), a link's lock (NETSTACK_LINK), the pbuf pool's
 * (NETSTACK_POOL).  Two endpoint locks are never held at once: a listener
 * creates its children before they are published and hands them over
 * through its accept queue, and a listener being closed collects its
 * children first and aborts them one by one.
 *
 * Lifetime: an endpoint is reference counted.  The owner's reference runs
 * from create (or accept) to close; the protocol holds one (ep->proto_ref)
 * while the endpoint sits in a table or the timer heap; the poller and the
 * notify list take temporary ones.  Code that runs under ep->lock always
 * runs for a caller holding a reference, so a reference dropped under the
 * lock never frees the endpoint there.
 */
#ifndef VISOR_NETSTACK_IMPL_H
#define VISOR_NETSTACK_IMPL_H

#include "lib/lockdep.h"
#include "netstack/netstack.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define NS_NSEC_PER_MSEC 1000000ull
#define NS_NSEC_PER_SEC 1000000000ull

/* ---- addresses ---- */
struct ns_ip {
	uint8_t b[16];
};

static inline bool ip_is_v4(const struct ns_ip *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a->b, pfx, 12) == 0;
}
static inline uint32_t ip_v4(const struct ns_ip *a) /* host order */
{
	return (uint32_t)a->b[12] << 24 | (uint32_t)a->b[13] << 16 | (uint32_t)a->b[14] << 8 |
	       a->b[15];
}
static inline void ip_set_v4(struct ns_ip *a, uint32_t v4 /* host order */)
{
	memset(a->b, 0, 10);
	a->b[10] = a->b[11] = 0xff;
	a->b[12] = (uint8_t)(v4 >> 24);
	a->b[13] = (uint8_t)(v4 >> 16);
	a->b[14] = (uint8_t)(v4 >> 8);
	a->b[15] = (uint8_t)v4;
}
static inline bool ip_eq(const struct ns_ip *a, const struct ns_ip *b)
{
	return memcmp(a->b, b->b, 16) == 0;
}
static inline bool ip_is_zero6(const struct ns_ip *a) /* :: */
{
	static const uint8_t z[16];
	return memcmp(a->b, z, 16) == 0;
}
/* The wildcard of either family: :: or 0.0.0.0. */
static inline bool ip_is_any(const struct ns_ip *a)
{
	return ip_is_zero6(a) || (ip_is_v4(a) && ip_v4(a) == 0);
}
static inline bool ip_is_v4_loopback(const struct ns_ip *a)
{
	return ip_is_v4(a) && (ip_v4(a) >> 24) == 127;
}
static inline bool ip_is_v6_loopback(const struct ns_ip *a)
{
	static const uint8_t lo[16] = {[15] = 1};
	return memcmp(a->b, lo, 16) == 0;
}
static inline bool ip_is_loopback(const struct ns_ip *a)
{
	return ip_is_v4_loopback(a) || ip_is_v6_loopback(a);
}
static inline bool ip_is_multicast(const struct ns_ip *a)
{
	if (ip_is_v4(a))
		return (ip_v4(a) >> 28) == 0xe;
	return a->b[0] == 0xff;
}
/* Mask addr to its first bits (of 128; IPv4 prefixes are +96). */
void ip_mask(struct ns_ip *out, const struct ns_ip *a, unsigned int bits);
bool ip_prefix_match(const struct ns_ip *a, const struct ns_ip *net, unsigned int bits);
const char *ip_fmt(const struct ns_ip *a, char buf[48]);

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}
static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- checksums (ip.c) ---- */
/* The one's-complement sum of len bytes folded into 32 bits, continuing
 * from sum; any alignment. */
uint32_t csum_add(uint32_t sum, const void *data, size_t len);
uint16_t csum_fold(uint32_t sum);
/* The pseudo-header sum for an upper-layer checksum (IPv4 or IPv6 by the
 * addresses). */
uint32_t csum_pseudo(const struct ns_ip *src, const struct ns_ip *dst, uint8_t proto,
		     uint32_t len);

/* ---- interfaces, routes ---- */
struct ns_nic_addr {
	struct ns_ip addr;
	uint8_t prefixlen; /* of 128 (IPv4: +96) */
};

#define NS_MAX_NIC_ADDRS 16

/* Linux's neighbour states (NUD_*, include/uapi/linux/neighbour.h). */
#define NS_NUD_INCOMPLETE 0x01
#define NS_NUD_REACHABLE 0x02
#define NS_NUD_STALE 0x04
#define NS_NUD_DELAY 0x08
#define NS_NUD_PROBE 0x10
#define NS_NUD_FAILED 0x20
#define NS_NUD_PERMANENT 0x80
/* States in which the MAC is known and frames go out. */
#define NS_NUD_VALID                                                                               \
	(NS_NUD_REACHABLE | NS_NUD_STALE | NS_NUD_DELAY | NS_NUD_PROBE | NS_NUD_PERMANENT)

/* One ARP or NDP cache entry (neigh.c), under s->lock. */
struct ns_neigh {
	struct ns_ip ip;
	uint8_t mac[6];
	uint8_t state;	    /* NS_NUD_*; 0: a free slot */
	uint8_t probes;	    /* solicitations sent in this state */
	struct ns_ip probe_src; /* the source of the first packet queued */
	uint64_t used;	    /* last sent through */
	uint64_t timer;	    /* next state change or probe; NS_TIME_NEVER: none */
	struct ns_pbuf *qhead, *qtail; /* IP datagrams waiting for resolution */
	uint32_t qbytes, qcount;
};

#define NS_NEIGH_MAX 256

struct ns_nic {
	int ifindex;
	struct link_endpoint *link;
	bool up;
	uint32_t mtu;
	int naddrs;
	struct ns_nic_addr addrs[NS_MAX_NIC_ADDRS];
	atomic_uint_fast64_t rx_dropped;
	/* Ethernet only: NS_NEIGH_MAX entries, under s->lock; slots at
	 * neigh_hi and above have never been used, neigh_last was the last
	 * one found. */
	struct ns_neigh *neigh;
	int neigh_hi, neigh_last;
};

struct ns_route {
	struct ns_ip dst, gateway;
	uint8_t prefixlen; /* of 128 */
	bool v4;
	bool has_gateway;
	int ifindex;
	uint32_t metric;
};

/* The answer of a route lookup: where to send and from which address. */
struct ns_rt {
	struct ns_nic *nic;
	struct ns_ip src;
	struct ns_ip nexthop;
	bool local; /* the destination is one of ours: sent over loopback */
	uint32_t mtu;
};

#define NS_MAX_NICS 16
#define NS_MAX_ROUTES 64
#define NS_MAX_PMTU 64

/* A path MTU learnt from ICMP (fragmentation needed, packet too big),
 * for ip_rt_mtu_expires (10 min). */
struct ns_pmtu {
	struct ns_ip dst;
	uint32_t mtu;
	uint64_t expires; /* 0: a free slot */
};

/* ---- the stack ---- */
struct ns_timer_heap {
	struct ns_endpoint **v;
	int n, cap;
};

struct ns_bind_bucket; /* endpoint.c */

#define NS_BIND_HASH 1024
#define NS_CONN_HASH 4096

struct ns_proto_table {
	struct ns_bind_bucket *bind[NS_BIND_HASH]; /* by local port */
	struct ns_endpoint *conn[NS_CONN_HASH];	   /* by 4-tuple: connected endpoints */
};

struct ns_stack {
	struct vmutex lock; /* NETSTACK_STACK: NICs, addresses, routes, the tables,
			     * the timer heap, the endpoint list, sysctls */
	struct ns_stack_ops ops;
	void *ctx;
	uint64_t seed[2];
	struct ns_sysctl sysctl;

	int nnics;
	struct ns_nic *nics[NS_MAX_NICS];
	int nroutes;
	struct ns_route routes[NS_MAX_ROUTES];
	atomic_uint route_gen; /* bumped on any NIC/address/route/PMTU change */
	struct ns_pmtu pmtu[NS_MAX_PMTU];

	struct ns_proto_table tcp, udp, ping;
	struct ns_endpoint *all; /* every endpoint, for /proc (ep->all_next) */
	uint32_t ephemeral_next; /* the next port offset to try */

	struct ns_timer_heap timers;
	/* The link layer's timers (neighbours, reassembly): the earliest
	 * deadline, lowered atomically by whoever arms one (ns_l2_arm). */
	_Atomic uint64_t l2_deadline;
	/* IPv4/IPv6 reassembly queues (frag.c): the poller's alone, since
	 * only input and the poller's timers touch them; no lock. */
	struct ns_reasm *reasm;

	/* Readiness reports waiting for the poller: a lock-free stack. */
	_Atomic(struct ns_endpoint *) notify_head;
	atomic_bool polling;	  /* one poller at a time */
	atomic_bool poll_again;	  /* someone asked while it ran */
	_Atomic uint64_t rounds;  /* poll rounds begun (ns_stack_poll_sync waits on it) */
	_Atomic(struct link_endpoint *) lo_link; /* the loopback link, once set up */
	atomic_bool kick_pending; /* work appeared; tell the owner */
	atomic_bool tx_deferred;  /* frames wait unkicked for a poll (ns_tx_defer_end) */
	atomic_bool tx_owner_deferred;	/* ... for the transmitter's poll */
	_Atomic(const void *) tx_owner; /* the transmitter's token (ns_stack_own_tx) */
	_Atomic uint64_t reported_deadline; /* what the last poll returned */
	uint64_t now;			    /* the poller's time */

	atomic_uint_fast64_t ctr[NS_CTR__COUNT];
};

static inline void ns_count(struct ns_stack *s, enum ns_counter c)
{
	atomic_fetch_add_explicit(&s->ctr[c], 1, memory_order_relaxed);
}

static inline uint64_t ns_now(struct ns_stack *s)
{
	return s->ops.now(s->ctx);
}

/* stack.c */
int ns_route_lookup(struct ns_stack *s, const struct ns_ip *dst, const struct ns_ip *src_hint,
		    struct ns_rt *rt);
/* An ICMP said the path to dst takes at most mtu bytes: remember it
 * (clamped to 552 for IPv4, 1280 for IPv6, as Linux's min_pmtu) when it
 * is lower than the route's.  Locked inside. */
void ns_pmtu_update(struct ns_stack *s, const struct ns_ip *dst, uint32_t mtu);
/* Is a one of our addresses (any NIC; 127/8 counts whole)?  Locked inside. */
bool ns_addr_is_local(struct ns_stack *s, const struct ns_ip *a);
/* An interface of that index exists. */
bool ns_stack_has_nic(struct ns_stack *s, int ifindex);
bool ns_addr_is_local_locked(struct ns_stack *s, const struct ns_ip *a);
/* Is a a broadcast address of one of our IPv4 subnets (or 255.255.255.255)? */
bool ns_addr_is_broadcast(struct ns_stack *s, const struct ns_ip *a);
/* Both questions under one lock, for input: a broadcast address counts as
 * that, not as local. */
enum ns_addr_kind { NS_ADDR_OTHER, NS_ADDR_LOCAL, NS_ADDR_BROADCAST };
enum ns_addr_kind ns_addr_classify(struct ns_stack *s, const struct ns_ip *a);
/* Hand a finished IP datagram (at pb->off) to the NIC for nexthop (an
 * Ethernet NIC resolves it); consumes pb. */
int ns_nic_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *nexthop,
		  struct ns_pbuf *pb);
/* Is a an address of nic (s->lock held)? */
bool ns_nic_has_addr_locked(const struct ns_nic *nic, const struct ns_ip *a);
void ns_stack_mark_work(struct ns_stack *s);
/* At the end of a public call, with no lock held: tell the owner. */
void ns_stack_kick(struct ns_stack *s);
/* A transmit batch on this thread: frames sent to links with a flush op
 * between begin and the matching end are flushed once, at the end (which
 * must run with no netstack lock held).  Batches nest. */
void ns_tx_batch_begin(void);
void ns_tx_batch_end(void);
/* Frames sent between these on this thread are queued on their links but
 * not flushed: the next poll of s flushes every link (the service thread,
 * kicked by the caller's ns_stack_kick), or with for_owner the next poll
 * of its transmitter (ns_stack_own_tx; another thread's poll kicks it).
 * End returns true when a frame was left so (and marks s for the poll). */
void ns_tx_defer_begin(void);
bool ns_tx_defer_end(struct ns_stack *s, bool for_owner);
/* s has a transmitter and it is another thread: this thread's sends leave
 * their frames to it. */
bool ns_tx_for_owner(struct ns_stack *s);
void ns_stack_seed_hash(struct ns_stack *s, const void *data, size_t len, uint64_t *out);

/* Timers: ep->deadline is the earliest of its protocol's timers; arm puts
 * the endpoint in the heap at that time (or earlier than it is).  Call
 * with ep->lock held. */
void ns_timer_arm(struct ns_endpoint *ep, uint64_t deadline);
void ns_timer_cancel(struct ns_endpoint *ep);

/* ---- IP (ip.c) ---- */
struct ns_pktinfo {
	struct ns_ip src, dst;
	uint8_t proto;
	uint8_t ttl, tos;
	bool v6;
	struct ns_nic *nic;
	const uint8_t *nh; /* the network header, for ICMP quoting */
	uint32_t nhlen;	   /* header length (with IPv6 extension headers) */
	const uint8_t *l4;
	uint32_t l4len;
	uint32_t totlen; /* nh .. end of datagram */
	bool csum_ok;	 /* NS_PB_CSUM_OK: skip checksum verification */
	bool to_broadcast;
};

void ns_ip_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb);
/* Prepend the IPv4 or IPv6 header (by rt->src) to pb and send it on the
 * route; consumes pb.  0 or -errno. */
int ns_ip_output(struct ns_stack *s, const struct ns_rt *rt, const struct ns_ip *dst,
		 uint8_t proto, uint8_t ttl, uint8_t tos, struct ns_pbuf *pb);
/* ns_ip_output, but an IPv4 datagram over the MTU leaves in fragments
 * (frag.c): for senders that let it (UDP without IP_PMTUDISC_DO). */
int ns_ip_output_frag(struct ns_stack *s, const struct ns_rt *rt, const struct ns_ip *dst,
		      uint8_t proto, uint8_t ttl, uint8_t tos, struct ns_pbuf *pb);
/* The next IPv4 identification. */
uint16_t ns_ip_next_ident(void);
/* The largest L4 payload one datagram can carry on rt. */
static inline uint32_t ns_ip_hdrlen(const struct ns_ip *dst)
{
	return ip_is_v4(dst) ? 20 : 40;
}

/* ---- ICMP (icmp.c) ---- */
void ns_icmp4_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb);
void ns_icmp6_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb);
/* Port unreachable (or another destination-unreachable code) answering the
 * datagram pi describes; never for ICMP errors, broadcasts or multicast. */
void ns_icmp_send_unreach(struct ns_stack *s, const struct ns_pktinfo *pi, int code4, int code6);
/* Another error (time exceeded ...) of the family of pi, same rules. */
void ns_icmp_send_error(struct ns_stack *s, const struct ns_pktinfo *pi, uint8_t type, uint8_t code);

/* An error about a datagram we sent that never left (its next hop did
 * not resolve): reported to its socket as an ICMP error of errno err
 * would be, the way Linux's arp_error_report sends itself a host
 * unreachable.  pb is the IP datagram; consumed. */
void ns_icmp_local_error(struct ns_stack *s, struct ns_pbuf *pb, int err);

/* ---- the link layer: Ethernet (ether.c), neighbours (neigh.c), ARP
 * (arp.c), NDP (ndisc.c), reassembly (frag.c) ---- */
void ns_eth_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb);
/* An IP datagram to nexthop: by its MAC (multicast, broadcast, or the
 * neighbour's, resolving it first).  Consumes pb. */
int ns_eth_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *nexthop,
		  struct ns_pbuf *pb);
/* Prepend the Ethernet header (to dst, of ethertype) and send.  Consumes
 * pb. */
int ns_eth_xmit(struct ns_stack *s, struct ns_nic *nic, const uint8_t dst[6], uint16_t ethertype,
		struct ns_pbuf *pb);
/* Through the neighbour of nexthop: sent at once when known, else queued
 * (bounded) while it is resolved.  Consumes pb. */
int ns_neigh_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *nexthop,
		    struct ns_pbuf *pb);
/* What ARP and NDP learnt: ip is at mac (NULL: none given, a confirmation
 * only).  state NS_NUD_REACHABLE (a solicited answer) or NS_NUD_STALE
 * (heard of); NEIGH_CREATE makes an entry where none is. */
#define NEIGH_CREATE 0x1
void ns_neigh_update(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *ip,
		     const uint8_t *mac, uint8_t state, unsigned int flags);
/* The interface went down: forget every entry but the permanent ones
 * (neigh_flush_dev); their queued datagrams go to *drop.  s->lock held. */
void ns_neigh_flush_locked(struct ns_nic *nic, struct ns_pbuf **drop);
/* Free nic's table (stack destruction). */
void ns_neigh_free(struct ns_nic *nic);
/* Lower the link layer's deadline to when. */
void ns_l2_arm(struct ns_stack *s, uint64_t when);
/* Run the link layer's due timers; true if work is left for now. */
bool ns_l2_timers(struct ns_stack *s, uint64_t now);
void ns_arp_input(struct ns_stack *s, struct ns_nic *nic, struct ns_pbuf *pb);
/* Ask who has target (broadcast, or unicast to mac when it is given),
 * from src (or an address of nic). */
void ns_arp_solicit(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *target,
		    const struct ns_ip *src, const uint8_t *mac);
/* Gratuitous ARP for an address just added. */
void ns_arp_announce(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *addr);
/* IPv4 fragments (pi describes the fragment, after the address checks):
 * NULL while the datagram is incomplete (pb kept or dropped), else the
 * whole datagram in a new buffer, pi updated to describe it.  Poller
 * only. */
struct ns_pbuf *ns_frag4_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb,
			       uint32_t ihl, uint32_t tot);
/* IPv6: the fragment header at foff (8 bytes there, checked), pi
 * describing the datagram.  NULL while incomplete, else a datagram of
 * the fixed header (next header set) and the whole payload. */
struct ns_pbuf *ns_frag6_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb,
			       uint32_t foff);
/* Expire reassembly queues; returns the next deadline. */
uint64_t ns_frag_timers(struct ns_stack *s, uint64_t now);
void ns_frag_free(struct ns_stack *s);
void ns_ndisc_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb);
void ns_ndisc_solicit(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *target,
		      const struct ns_ip *src, const uint8_t *mac);
/* Has nic joined IPv6 multicast group a (all-nodes, or the
 * solicited-node group of one of its addresses)?  s->lock held. */
bool ns_ndisc_joined_locked(const struct ns_nic *nic, const struct ns_ip *a);

/* ---- endpoints (endpoint.c) ---- */
struct ns_proto;

/* Socket-level connection state (Linux's socket_state). */
enum { NS_SS_UNCONNECTED, NS_SS_CONNECTING, NS_SS_CONNECTED, NS_SS_DISCONNECTING };

#define NS_RCV_SHUTDOWN 1
#define NS_SEND_SHUTDOWN 2
#define NS_SHUTDOWN_MASK 3

struct ns_endpoint {
	struct vmutex lock; /* NETSTACK_ENDPOINT: everything below but where noted */
	atomic_int refs;
	bool proto_ref;	    /* the protocol holds a reference (tables/timers) */
	bool closed;	    /* the owner let go */
	struct ns_stack *s;
	const struct ns_proto *proto;
	uint8_t domain, type, protocol;
	uint8_t sock_state; /* NS_SS_* */
	uint8_t state;	    /* Linux's sk_state: enum ns_tcp_state (UDP: ESTABLISHED
			     * when connected, else CLOSE) */
	uint8_t shutdown;   /* NS_*_SHUTDOWN */

	/* Binding: written under ep->lock and s->lock both, read under either. */
	struct ns_ip laddr, raddr;
	uint16_t lport, rport; /* host order; 0: none */
	bool bound;	       /* in the bind table under lport */
	bool hashed;	       /* in the connection table */
	bool port_locked;      /* the owner chose the port (SOCK_BINDPORT_LOCK) */
	bool addr_locked;      /* the owner chose the address (SOCK_BINDADDR_LOCK) */
	bool reuseaddr, reuseport, v6only;
	bool intercept;	       /* NS_BIND_INTERCEPT */
	int bound_dev;	       /* SO_BINDTOIFINDEX / SO_BINDTODEVICE; 0: none */
	bool listening;
	bool tw;	       /* TIME_WAIT (for bind conflicts) */
	bool connect_port;     /* the port came from connect()'s ephemeral choice */
	/* TIME_WAIT's memory for tcp_tw_reuse (set with tw, under s->lock). */
	bool tw_has_ts;
	uint32_t tw_snd_nxt;
	uint64_t tw_ts_stamp;
	struct ns_bind_bucket *bucket;
	struct ns_endpoint *bind_next, *conn_next;
	uint32_t uid;
	uint64_t ino;
	struct ns_endpoint *all_prev, *all_next; /* s->all, under s->lock */

	/* Timers: deadline is the protocol's next; heap_* are s->lock's. */
	uint64_t deadline;
	uint64_t heap_deadline;
	int heap_idx; /* -1: not in the heap */

	/* Readiness reports. */
	void *user;
	struct ns_endpoint *notify_next;
	atomic_bool notify_queued;
	atomic_int cb_busy; /* the poller is inside `ready` with user */

	/* Generic socket state and options. */
	int so_error;	  /* sk_err: reported once */
	int so_error_soft; /* sk_err_soft */
	uint32_t rcvbuf, sndbuf;
	bool rcvbuf_locked, sndbuf_locked;
	bool keepalive, broadcast, oobinline, dontroute, no_check;
	bool linger_on;
	int linger_secs;
	int rcvlowat;
	int priority;
	uint8_t tos, ttl; /* IP_TOS/IPV6_TCLASS, IP_TTL/IPV6_UNICAST_HOPS (0: default) */
	uint8_t tos4;	  /* an AF_INET6 endpoint's IP_TOS: its IPv4 traffic's (ns_ep_tos) */
	uint8_t pmtudisc;
	bool recvtos, recvttl;
	/* The TOS and TTL of the datagram the last receive returned (set by
	 * ns_dgram_recv, read by ns_ep_recvmsg_meta in the same hold of the
	 * endpoint's lock); rx_meta false when it returned none. */
	bool rx_meta;
	uint8_t rx_tos, rx_ttl;
	uint64_t rx_stamp;
	bool pktinfo, recvpktinfo6; /* IP_PKTINFO, IPV6_RECVPKTINFO */
	bool recverr, recverr6;	    /* IP_RECVERR, IPV6_RECVERR */
	bool recvhoplimit;	    /* IPV6_RECVHOPLIMIT */
	/* IP_RECVOPTS, IP_RETOPTS: kept; the netstack never keeps a
	 * datagram's IP options, so there is no control message to give, as
	 * Linux gives none for a datagram without options. */
	bool recvopts, retopts;
	int32_t rx_ifindex;	    /* and the last datagram's, as rx_tos */
	uint8_t rx_daddr[16];
	uint32_t rx_spec_dst;
	/* The send in progress's IP_PKTINFO / IPV6_PKTINFO source (set and
	 * cleared by ns_ep_sendmsg_src under ep->lock): tx_src_set false, the
	 * route's. */
	bool tx_src_set;
	struct ns_ip tx_src;

	/* The route to rt_dst, valid while rt_gen == s->route_gen. */
	struct ns_rt rt;
	struct ns_ip rt_dst;
	uint32_t rt_gen;
	bool rt_valid;
};

struct ns_proto {
	int protocol;
	size_t size;
	void (*init)(struct ns_endpoint *ep);
	int (*connect)(struct ns_endpoint *ep, const struct ns_ip *addr, uint16_t port);
	int (*disconnect)(struct ns_endpoint *ep);
	int (*listen)(struct ns_endpoint *ep, int backlog);
	int (*accept)(struct ns_endpoint *ep, struct ns_endpoint **child);
	ssize_t (*send)(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, size_t total,
			int flags, const struct ns_ip *to, uint16_t toport);
	ssize_t (*recv)(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
			struct ns_ip *from, uint16_t *fromport, int *msg_flags);
	/* Streams (may be NULL): ns_ep_recv_pin and ns_ep_recv_unpin. */
	ssize_t (*recv_pin)(struct ns_endpoint *ep, size_t max, struct iovec *seg, int *nseg);
	void (*recv_unpin)(struct ns_endpoint *ep, size_t used);
	int (*shutdown)(struct ns_endpoint *ep, int how);
	/* The owner let go (ep->lock held); the protocol may go on. */
	void (*close)(struct ns_endpoint *ep);
	uint32_t (*poll)(struct ns_endpoint *ep);
	int (*setsockopt)(struct ns_endpoint *ep, int level, int name, const void *val,
			  socklen_t len);
	int (*getsockopt)(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len);
	/* Timers due (ep->lock held); rearms through ns_timer_arm. */
	void (*timer)(struct ns_endpoint *ep, uint64_t now);
	void (*queues)(struct ns_endpoint *ep, int *inq, int *outq, int *notsent);
	/* /proc rows: fill up to max rows, return how many (a listener adds
	 * its pending connections). */
	int (*info)(struct ns_endpoint *ep, struct ns_ep_info *rows, int max, uint64_t now);
	/* Called once when the last reference goes: free queues. */
	void (*destroy)(struct ns_endpoint *ep);
	/* SO_RCVBUF/SO_SNDBUF/SO_KEEPALIVE changed. */
	void (*bufs_changed)(struct ns_endpoint *ep);
	/* After a call that may have detached others (a listener closing
	 * drops its unaccepted children): finish them, with ep's lock not
	 * held, one endpoint lock at a time. */
	void (*reap)(struct ns_endpoint *ep);
};

extern const struct ns_proto ns_tcp_proto, ns_udp_proto, ns_ping_proto;

static inline void ep_lock(struct ns_endpoint *ep)
{
	vmutex_lock(&ep->lock);
}
static inline void ep_unlock(struct ns_endpoint *ep)
{
	vmutex_unlock(&ep->lock);
}
static inline void ep_get(struct ns_endpoint *ep)
{
	atomic_fetch_add_explicit(&ep->refs, 1, memory_order_relaxed);
}
/* A reference to an endpoint found on s->all (under s->lock), unless its
 * last one is already gone: ep_put then waits for s->lock to unlink and
 * free it, and the finder must leave it alone. */
static inline bool ep_tryget(struct ns_endpoint *ep)
{
	int r = atomic_load_explicit(&ep->refs, memory_order_relaxed);
	while (r > 0)
		if (atomic_compare_exchange_weak_explicit(&ep->refs, &r, r + 1,
							  memory_order_relaxed,
							  memory_order_relaxed))
			return true;
	return false;
}
void ep_put(struct ns_endpoint *ep);

/* Queue a readiness report for ep (any context, any lock). */
void ns_ep_notify(struct ns_endpoint *ep);
/* Take the protocol's reference (once). */
void ep_hold_proto(struct ns_endpoint *ep);
/* Leave every table and the timer heap and drop the protocol's reference
 * (ep->lock held, caller holds a reference). */
void ep_release_proto(struct ns_endpoint *ep);

struct ns_proto_table *ns_table(struct ns_stack *s, int protocol);
/* A new endpoint like parent (same protocol, options), not in any table. */
struct ns_endpoint *ns_ep_new_child(struct ns_endpoint *parent);
/* Put child on parent's port and in the connection table. */
void ns_port_inherit(struct ns_endpoint *child, struct ns_endpoint *parent);
/* Take a port (0: an ephemeral one) for ep at ep->laddr under the bind
 * rules; s->lock taken inside.  0, -EADDRINUSE. */
int ns_port_bind(struct ns_endpoint *ep, uint16_t port);
/* Re-check the bind rules for ep turning into a listener (a port two
 * SO_REUSEADDR sockets share cannot have two listeners). */
int ns_port_listen(struct ns_endpoint *ep);
void ns_port_unbind_locked(struct ns_endpoint *ep);
void ns_port_unbind(struct ns_endpoint *ep);
/* connect(): set laddr to src (if unbound), choose an ephemeral port
 * making the 4-tuple unique (if none), and hash ep as connected to
 * raddr:rport.  A TIME_WAIT endpoint in the way is taken out of the
 * connection table where tcp_tw_reuse allows, and *tw_victim gets it (with a
 * reference; its own timer finishes it).  -EADDRNOTAVAIL when no port or
 * 4-tuple is left. */
int ns_port_connect(struct ns_endpoint *ep, const struct ns_ip *src, const struct ns_ip *raddr,
		    uint16_t rport, struct ns_endpoint **tw_victim);
void ns_conn_hash_locked(struct ns_endpoint *ep);
void ns_conn_unhash_locked(struct ns_endpoint *ep);
void ns_conn_unhash(struct ns_endpoint *ep);
/* Lookup for input: the connected endpoint of this 4-tuple, else the best
 * bound/listening one (wildcards, dual stack, SO_REUSEPORT by hash).  A
 * reference is taken on what is returned.  For UDP only_listeners is false
 * and connected UDP endpoints live in the bind table too. */
struct ns_endpoint *ns_lookup(struct ns_stack *s, int protocol, const struct ns_ip *saddr,
			      uint16_t sport, const struct ns_ip *daddr, uint16_t dport);
/* ns_lookup for a packet that came in on interface ifindex: an endpoint
 * bound to another interface (SO_BINDTODEVICE) does not take it, one bound
 * to this one is preferred (compute_score). */
struct ns_endpoint *ns_lookup_dev(struct ns_stack *s, int protocol, const struct ns_ip *saddr,
				  uint16_t sport, const struct ns_ip *daddr, uint16_t dport,
				  int ifindex);
/* Every bound endpoint matching a broadcast datagram: an array of
 * referenced endpoints (caller puts them and frees). */
int ns_lookup_all(struct ns_stack *s, int protocol, const struct ns_ip *daddr, uint16_t dport,
		  int ifindex,
		  struct ns_endpoint ***out);

/* connect's and sendto's "0.0.0.0 / :: means here" (ip_route_connect):
 * 127.0.0.1, or ::1 (an AF_INET6 socket bound to a mapped address gets the
 * mapped 127.0.0.1). */
void ns_any_to_loopback(const struct ns_endpoint *ep, struct ns_ip *dst);
/* The route for ep's flow, cached; rt on success.  Call under ep->lock. */
int ns_ep_route(struct ns_endpoint *ep, const struct ns_ip *dst, struct ns_rt *rt);
uint8_t ns_ep_ttl(struct ns_endpoint *ep, const struct ns_ip *dst);
/* The TOS or traffic class of what ep sends to dst: IPV6_TCLASS, or on an
 * AF_INET6 endpoint's IPv4 traffic its IP_TOS, as Linux keeps both. */
uint8_t ns_ep_tos(const struct ns_endpoint *ep, const struct ns_ip *dst);

/* sockaddr conversions (endpoint.c).  ns_sockaddr_in: parse the owner's
 * sockaddr for ep's domain; sets *addr (mapped for v4) and *port. */
int ns_sockaddr_in(const struct ns_endpoint *ep, const struct sockaddr *sa, socklen_t len,
		   struct ns_ip *addr, uint16_t *port, bool *unspec);
void ns_sockaddr_out(const struct ns_endpoint *ep, const struct ns_ip *addr, uint16_t port,
		     struct sockaddr_storage *sa, socklen_t *len);
/* Copy helpers over an iovec. */
size_t ns_iov_total(const struct iovec *iov, int iovcnt);
/* Copy len bytes between buf and the iovec (from its byte off). */
void ns_iov_copy(const struct iovec *iov, int iovcnt, size_t off, void *buf, size_t len,
		 bool to_iov);
static inline void ns_iov_copy_from(const struct iovec *iov, int iovcnt, size_t off, void *dst,
				    size_t len)
{
	ns_iov_copy(iov, iovcnt, off, dst, len, false);
}
static inline void ns_iov_copy_to(const struct iovec *iov, int iovcnt, size_t off,
				  const void *src, size_t len)
{
	ns_iov_copy(iov, iovcnt, off, (void *)src, len, true);
}

/* Generic option handling shared by the protocols. */
int ns_sockopt_int(const void *val, socklen_t len, int *out);
int ns_sockopt_put_int(void *val, socklen_t *len, int v);

/* ---- transports' input (udp.c, tcp_input.c, icmp.c) ---- */
void ns_udp_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb);
void ns_tcp_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb);
/* An ICMP error about a datagram we sent: quoted src/dst and ports. */
struct ns_icmp_err {
	struct ns_ip src, dst; /* of the quoted datagram (ours) */
	uint16_t sport, dport;
	uint32_t seq;	       /* TCP: the quoted sequence number */
	int err;	       /* errno */
	bool fatal;
	uint32_t mtu;
};
void ns_udp_err(struct ns_stack *s, const struct ns_icmp_err *e);
void ns_tcp_err(struct ns_stack *s, const struct ns_icmp_err *e);
void ns_ping_err(struct ns_stack *s, bool v6, const struct ns_icmp_err *e, uint16_t ident);
/* An echo reply for the ping socket bound to ident. */
void ns_ping_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb, uint16_t ident);

/* Datagram receive queues (UDP and ping share them; dgram.c). */
struct ns_dgram_queue {
	struct ns_pbuf *head, *tail;
	uint32_t bytes, count;
};
/* 0 queued (pb taken), -ENOBUFS (over rcvbuf, pb still the caller's). */
int ns_dgram_enqueue(struct ns_endpoint *ep, struct ns_dgram_queue *q, struct ns_pbuf *pb);
ssize_t ns_dgram_recv(struct ns_endpoint *ep, struct ns_dgram_queue *q, const struct iovec *iov,
		      int iovcnt, int flags, struct ns_ip *from, uint16_t *fromport,
		      int *msg_flags);
void ns_dgram_purge(struct ns_dgram_queue *q);
uint32_t ns_dgram_poll(struct ns_endpoint *ep, struct ns_dgram_queue *q, bool writable);
void ns_info_addrs(const struct ns_endpoint *ep, struct ns_ep_info *row);
/* sk_err read and cleared (sock_error). */
static inline int ns_sock_error(struct ns_endpoint *ep)
{
	int e = ep->so_error;
	ep->so_error = 0;
	return -e;
}

#endif
