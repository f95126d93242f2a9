/*
 * netstack.h — visor's user-space TCP/IP stack (DESIGN.md §7).
 *
 * A library that knows nothing of the Sentry (it includes lib/ and libc
 * only).  Three small interfaces connect it to its owner:
 *
 *   - packets come in and go out through link endpoints (struct
 *     link_endpoint below: the loopback device here, an AF_PACKET socket on
 *     the container's interface later);
 *   - time comes from the owner: ns_stack_poll(stack, now) and the `now`
 *     callback, both in nanoseconds of one monotonic clock, so tests run on
 *     a virtual clock;
 *   - readiness goes out through the `ready` callback, invoked with no
 *     netstack lock held.
 *
 * Who calls what
 * --------------
 * The owner (the Sentry's service thread) calls ns_stack_poll() whenever
 * the `kick` callback fired, a link has frames, or the deadline the last
 * poll returned has passed.  Task threads call the endpoint API (ns_ep_*)
 * at any time, from any thread.  Every ns_ep_* call is non-blocking: it
 * returns -EAGAIN, -EINPROGRESS or -EALREADY where Linux would sleep, and
 * the caller waits for the `ready` callback and calls again (the blocking,
 * timeouts, signals and SA_RESTART are the Sentry's).
 *
 * Locks (sentry/LOCKING.md): each endpoint has a NETSTACK_ENDPOINT lock,
 * the stack a NETSTACK_STACK lock, each link its NETSTACK_LINK lock and the
 * packet-buffer pool a NETSTACK_POOL lock, in that order, after every
 * Sentry lock: the Sentry may call ns_ep_* holding its socket lock.  The
 * netstack never calls the owner with one of its locks held: `ready` runs
 * only inside ns_stack_poll(), `kick` at the end of an ns_* call after its
 * locks are dropped, `now` under locks but it must take none.
 *
 * Addresses are Linux's struct sockaddr_in / sockaddr_in6 (libc's layout is
 * the kernel's).  Errors are negative errnos with Linux's values and
 * precedence; the comments say which Linux function each call follows.
 */
#ifndef VISOR_NETSTACK_H
#define VISOR_NETSTACK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

/* ------------------------------------------------------------------------
 * Packet buffers (pbuf.c)
 *
 * One frame in one contiguous buffer with headroom for the headers the
 * stack prepends.  Buffers come from a pool of three size classes (2 KiB,
 * 16 KiB, 64 KiB + headroom), so the data path does not churn the heap.
 * A pbuf has exactly one owner; link send and deliver hand it over.
 */
#define NS_PBUF_HEADROOM 128

struct ns_pbuf {
	struct ns_pbuf *next; /* queue link for whoever owns it */
	uint32_t off;	      /* first valid byte of buf */
	uint32_t len;	      /* valid bytes */
	uint32_t cap;	      /* size of buf */
	uint16_t flags;	      /* NS_PB_* */
	uint8_t pool;	      /* size class (pbuf.c) */
	uint8_t fin;	      /* stack-private (TCP queues) */
	int32_t ifindex;      /* received on (set by the stack) */
	uint32_t seq;	      /* stack-private (TCP queues) */
	uint16_t port;	      /* stack-private (datagram source port) */
	uint8_t tos, ttl;     /* stack-private (datagram meta) */
	uint8_t addr[16];     /* stack-private (datagram source address) */
	uint8_t daddr[16];    /* stack-private (datagram destination: IP_PKTINFO) */
	uint32_t spec_dst;    /* stack-private (IPv4 datagram: IP_PKTINFO's ipi_spec_dst,
			       * host order) */
	uint64_t stamp;	      /* stack-private (datagram: queued at, the `now` clock) */
	uint16_t gso_size;    /* TCP segmentation offload: see NS_LINK_F_TSO */
	uint64_t due;	      /* free for the link endpoint holding it */
	unsigned char buf[];
};

/* The frame was built by this process and never left it (the loopback
 * device sets it): the stack skips verifying its checksums, as Linux
 * trusts CHECKSUM_UNNECESSARY on lo. */
#define NS_PB_CSUM_OK 0x1
/* The frame came from a real device with its transport checksum not yet
 * computed (Linux's CHECKSUM_PARTIAL; AF_PACKET's TP_STATUS_CSUMNOTREADY
 * on a veth): the L4 checksum field holds only the pseudo-header sum.  The
 * link sets it; the stack then trusts the packet and skips the transport
 * checksum (the IPv4 header checksum is still verified: it is always
 * complete). */
#define NS_PB_CSUM_PARTIAL 0x2

/* A buffer with room for len bytes after NS_PBUF_HEADROOM; off is the
 * headroom and len 0.  NULL when out of memory. */
struct ns_pbuf *ns_pbuf_alloc(size_t len);
/* A buffer holding a copy of data (len bytes) after the headroom. */
struct ns_pbuf *ns_pbuf_from(const void *data, size_t len);
void ns_pbuf_free(struct ns_pbuf *pb);
/* Free a whole ->next chain. */
void ns_pbuf_free_chain(struct ns_pbuf *pb);

static inline unsigned char *ns_pbuf_data(const struct ns_pbuf *pb)
{
	return (unsigned char *)pb->buf + pb->off;
}

/* A FIFO of pbufs through ->next: append at tail, take from head. */
static inline void ns_pbuf_append(struct ns_pbuf **head, struct ns_pbuf **tail, struct ns_pbuf *pb)
{
	pb->next = NULL;
	if (*tail)
		(*tail)->next = pb;
	else
		*head = pb;
	*tail = pb;
}

static inline struct ns_pbuf *ns_pbuf_take(struct ns_pbuf **head, struct ns_pbuf **tail)
{
	struct ns_pbuf *pb = *head;
	if (pb) {
		*head = pb->next;
		if (!*head)
			*tail = NULL;
		pb->next = NULL;
	}
	return pb;
}

/* Pool statistics (tests and the memory report). */
struct ns_pool_stats {
	uint64_t allocs, frees, heap_allocs; /* heap_allocs: pool was empty */
	uint64_t cached_bytes, live;	     /* held in free lists; in use */
};
void ns_pool_stats(struct ns_pool_stats *out);
/* Give the cached free buffers back to the heap. */
void ns_pool_trim(void);

/* ------------------------------------------------------------------------
 * Link endpoints (loopback.c; later the AF_PACKET link)
 *
 * A link endpoint moves frames; it knows no protocol.  Its type says what a
 * frame is: NS_LINK_IP frames are bare IPv4/IPv6 datagrams told apart by
 * the version nibble (the loopback device, like Linux's lo seen from IP:
 * no link header is needed on a link to oneself, and none is built or
 * parsed); NS_LINK_ETHERNET frames start with an Ethernet header and need
 * the stack's ARP/NDP (ether.c, arp.c, ndisc.c: the container's veth
 * through AF_PACKET is a link endpoint of this type and all an external
 * interface needs).
 */
struct link_endpoint;

/* Where an endpoint hands received frames (ownership passes): called from
 * ns_link_poll, never from inside send, so a protocol may transmit while
 * handling a frame. */
typedef void (*link_deliver_fn)(void *ctx, struct link_endpoint *ep, struct ns_pbuf *frame);

struct link_ops {
	const char *kind; /* "loopback", "packet", ... */
	/* Queue one frame (data at off, len bytes) for transmission; the link
	 * owns the pbuf from here, even on error.  0, -EMSGSIZE (over the
	 * MTU), -EINVAL (empty), -ENOBUFS (queue full). */
	int (*send)(struct link_endpoint *ep, struct ns_pbuf *frame);
	/* Deliver up to max received frames; returns how many. */
	int (*poll)(struct link_endpoint *ep, int max);
	void (*destroy)(struct link_endpoint *ep);
	/* Optional: start transmission of the frames send queued.  A link
	 * whose device costs a system call per kick (the AF_PACKET TX ring)
	 * queues in send and kicks here; the stack calls it once per batch
	 * (the end of a poll round or of a public call that sent), and at once
	 * for a frame sent outside a batch, so no frame waits for a later
	 * event.  The link may still kick from send when its queue is long.
	 * Called with no netstack lock held. */
	void (*flush)(struct link_endpoint *ep);
};

enum ns_link_type {
	NS_LINK_IP = 0,	      /* bare IP datagrams (loopback, tun-like) */
	NS_LINK_ETHERNET = 1, /* Ethernet II frames (AF_PACKET on a veth) */
};

#define NS_LINK_F_LOOPBACK 0x1 /* IFF_LOOPBACK: what is sent comes back */
/* TCP segmentation offload: the link takes a TCP segment (IPv4 or IPv6,
 * no IP options or extension headers) of up to 64 KiB whose pb->gso_size
 * is non-zero, cuts it (or has the host cut it) into segments of gso_size
 * payload bytes, and finishes its checksum: the TCP checksum field holds
 * only the pseudo-header sum over the whole length (CHECKSUM_PARTIAL). */
#define NS_LINK_F_TSO 0x2

/* Ethernet links (NS_LINK_ETHERNET), the contract with the link:
 *   - mtu is the IP MTU (Linux's dev->mtu, 1500 on a veth); a frame sent is
 *     at most mtu + NS_ETH_HLEN bytes and starts with the 14-byte Ethernet
 *     II header (no VLAN tag, no FCS); send's -EMSGSIZE is for more;
 *   - received frames start with the Ethernet header too; the stack accepts
 *     them up to NS_ETH_MAX_RX bytes whatever the MTU, because a veth's GRO
 *     hands up merged TCP segments of up to 64 KiB, and trusts their
 *     checksums when the link set NS_PB_CSUM_PARTIAL;
 *   - hwaddr is the interface's MAC; the stack filters received frames on
 *     it, broadcast and the multicast groups it joined (all-nodes, the
 *     solicited-node groups of its IPv6 addresses, all-hosts), answers ARP
 *     and neighbour solicitations for its addresses, resolves next hops
 *     (ARP, NDP) and sends a gratuitous ARP when an IPv4 address is added.
 */
#define NS_ETH_HLEN 14
#define NS_ETH_MAX_RX (65536 + NS_ETH_HLEN)

struct link_endpoint {
	const struct link_ops *ops;
	char name[16]; /* "lo", "eth0" */
	uint32_t mtu;  /* the IP MTU (Ethernet: without the link header) */
	uint16_t type;	/* enum ns_link_type */
	uint16_t flags; /* NS_LINK_F_* */
	uint8_t hwaddr[6];
	link_deliver_fn deliver;
	void *deliver_ctx;
	/* Called by the link, with none of its locks held, when a frame became
	 * ready to receive; the stack sets it to note that a poll is due. */
	void (*rx_wake)(void *ctx);
	void *rx_wake_ctx;
	/* Counters, updated under the link's own lock (/proc/net/dev).
	 * rx_dropped: frames the link lost before the stack saw them (a
	 * full receive ring, a frame it could not take); the interface's
	 * count adds the stack's own drops to it. */
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, tx_dropped, rx_dropped;
};

/* A frame went to a link that has flush: flush now, or at the end of this
 * thread's transmit batch (stack.c). */
void ns_link_note_sent(struct link_endpoint *ep);

static inline int ns_link_send(struct link_endpoint *ep, struct ns_pbuf *frame)
{
	int r = ep->ops->send(ep, frame);
	if (ep->ops->flush && r == 0)
		ns_link_note_sent(ep);
	return r;
}

/* Send a copy of frame (len bytes): for tests and links fed from outside. */
int ns_link_send_copy(struct link_endpoint *ep, const void *frame, size_t len);

static inline int ns_link_poll(struct link_endpoint *ep, int max)
{
	return ep->ops->poll(ep, max);
}

void ns_link_set_deliver(struct link_endpoint *ep, link_deliver_fn fn, void *ctx);
/* For a link's poll: hand one received frame up (or free it when nobody
 * listens), with no lock of the link held. */
static inline void ns_link_deliver(struct link_endpoint *ep, struct ns_pbuf *frame)
{
	if (ep->deliver)
		ep->deliver(ep->deliver_ctx, ep, frame);
	else
		ns_pbuf_free(frame);
}
void ns_link_destroy(struct link_endpoint *ep);

/* The loopback device: what is sent is received, in order, on the next
 * poll, with NS_PB_CSUM_OK set.  qlen bounds the frames waiting (0: 1000,
 * as Linux's txqueuelen). */
struct link_endpoint *ns_loopback_new(uint32_t mtu, unsigned int qlen);
/* Has the loopback link ep frames queued, not yet delivered? */
bool ns_loopback_pending(struct link_endpoint *ep);

#define NS_LOOPBACK_MTU 65536

/* ------------------------------------------------------------------------
 * The stack (stack.c)
 */
struct ns_stack;
struct ns_endpoint;

#define NS_TIME_NEVER UINT64_MAX

struct ns_stack_ops {
	/* The current time, ns of the clock ns_stack_poll's `now` uses.  May
	 * be called with netstack locks held: it must take none. */
	uint64_t (*now)(void *ctx);
	/* Endpoint ep (with the cookie ns_ep_set_user gave it) may have
	 * changed readiness; events is its ns_ep_poll() mask at that moment.
	 * Runs inside ns_stack_poll with no netstack lock held.  It may call
	 * ns_ep_* (except ns_ep_close of this ep) but should only wake: it
	 * must not take the socket's own lock, because ns_ep_close (called
	 * under it) waits for a callback in progress on its endpoint. */
	void (*ready)(void *ctx, struct ns_endpoint *ep, void *user, uint32_t events);
	/* The stack has work (a frame on a loopback link, a readiness report,
	 * a timer earlier than the deadline the last poll returned): call
	 * ns_stack_poll soon.  Called at the end of an ns_* call with no
	 * netstack lock held; it should only signal the service thread (the
	 * caller may hold its socket lock).  May be NULL. */
	void (*kick)(void *ctx);
};

/* Tunables, Linux's sysctl names in the comments. */
struct ns_sysctl {
	uint16_t port_lo, port_hi;	/* ipv4.ip_local_port_range: 32768 60999 */
	uint32_t somaxconn;		/* core.somaxconn: 4096 */
	uint32_t max_syn_backlog;	/* ipv4.tcp_max_syn_backlog: 1024 */
	uint8_t tcp_sack;		/* ipv4.tcp_sack: 1 */
	uint8_t tcp_timestamps;		/* ipv4.tcp_timestamps: 1 */
	uint8_t tcp_window_scaling;	/* ipv4.tcp_window_scaling: 1 */
	uint8_t tcp_syn_retries;	/* 6 */
	uint8_t tcp_synack_retries;	/* 5 */
	uint8_t tcp_retries2;		/* 15 */
	uint8_t tcp_tw_reuse;		/* 2: reuse TIME_WAIT ports on loopback */
	uint8_t ip_default_ttl;		/* ipv4.ip_default_ttl: 64 */
	uint32_t tcp_keepalive_time;	/* seconds: 7200 */
	uint32_t tcp_keepalive_intvl;	/* seconds: 75 */
	uint32_t tcp_keepalive_probes;	/* 9 */
	uint32_t tcp_fin_timeout;	/* seconds: 60 */
	uint32_t tcp_rmem[3];		/* 4096 131072 6291456 */
	uint32_t tcp_wmem[3];		/* 4096 16384 4194304 */
	uint32_t rmem_max, wmem_max;	/* core.{r,w}mem_max: 212992 */
	uint32_t rmem_default, wmem_default; /* 212992 (UDP, ping) */
	uint16_t unprivileged_port_start;    /* ipv4.ip_unprivileged_port_start: 1024 */
};

/* A new stack with no interface.  seed feeds initial sequence numbers and
 * port choice (the Sentry passes getrandom bytes; tests a constant, so runs
 * repeat).  NULL on ENOMEM. */
struct ns_stack *ns_stack_new(const struct ns_stack_ops *ops, void *ctx, uint64_t seed);
/* Frees the stack, its interfaces (and their link endpoints) and every
 * endpoint still alive; the owner has closed its endpoints first. */
void ns_stack_destroy(struct ns_stack *s);

void ns_stack_get_sysctl(struct ns_stack *s, struct ns_sysctl *out);
/* -EINVAL if a value is out of range (an empty port range, ...). */
int ns_stack_set_sysctl(struct ns_stack *s, const struct ns_sysctl *in);

/* Process received frames and expired timers at time now, deliver the
 * readiness reports, and return when the stack next needs a poll: an
 * absolute time, now itself if work is left (a budget of frames per call
 * keeps one poll short), or NS_TIME_NEVER.  Safe from any thread: one
 * thread polls at a time; a call made while another polls returns at once
 * and the running poll does its work. */
uint64_t ns_stack_poll(struct ns_stack *s, uint64_t now);
/* The calling thread becomes the stack's transmitter (own) or stops being
 * it.  While a thread is, the frames another thread's ns_ep_sendmsg
 * queues on links with a flush op wait unflushed for the transmitter's
 * poll: their flush is a link's system call (the AF_PACKET TX kick) that
 * runs the host's whole receive of them, which the sender would otherwise
 * pay in its call.  Another thread's poll that finds such frames asks for
 * the transmitter's poll through `kick`, unless it flushes the links
 * anyway (for a read's window update, which any poll flushes:
 * ns_ep_recv_unpin).  Without a transmitter (the default) a send flushes
 * its frames before it returns. */
void ns_stack_own_tx(struct ns_stack *s, bool own);
/* ns_stack_poll for a call that sent: when another thread is polling and
 * frames wait on the loopback link, wait until they are delivered (or a
 * round begun after this call ended), as Linux delivers over lo within
 * the send: a datagram sent to 127.0.0.1 is there for the next recv. */
uint64_t ns_stack_poll_sync(struct ns_stack *s, uint64_t now);

/* Interfaces.  The stack owns link from here (destroyed with the stack).
 * Returns the new ifindex (> 0) or -errno. */
int ns_stack_add_nic(struct ns_stack *s, struct link_endpoint *link);
/* Bring an interface up or down (IFF_UP); a new NIC is up. */
int ns_stack_set_nic_up(struct ns_stack *s, int ifindex, bool up);
/* Addresses: family AF_INET (addr: 4 bytes) or AF_INET6 (16 bytes).
 * -ENODEV, -EEXIST, -EINVAL (bad prefix), -EADDRNOTAVAIL (del). */
int ns_stack_add_addr(struct ns_stack *s, int ifindex, int family, const void *addr,
		      unsigned int prefixlen);
int ns_stack_del_addr(struct ns_stack *s, int ifindex, int family, const void *addr,
		      unsigned int prefixlen);
/* Routes: dst/prefixlen via gateway (NULL: directly connected) on ifindex.
 * Adding an address adds its subnet route, as Linux. */
int ns_stack_add_route(struct ns_stack *s, int family, const void *dst, unsigned int prefixlen,
		       const void *gateway, int ifindex, uint32_t metric);
int ns_stack_del_route(struct ns_stack *s, int family, const void *dst, unsigned int prefixlen,
		       int ifindex);
/* Link-local IPv6 on an Ethernet interface: fe80::/64 with the modified
 * EUI-64 interface identifier of its MAC (Linux's addr_gen_mode eui64), for
 * an owner whose interface has IPv6 enabled.  No DAD is run (as Linux's
 * nodad).  0, -ENODEV, -EINVAL (not Ethernet), -EEXIST. */
int ns_stack_add_linklocal(struct ns_stack *s, int ifindex);
/* A permanent neighbour (ip neigh add ... nud permanent): family AF_INET or
 * AF_INET6, addr 4 or 16 bytes, its MAC.  -ENODEV, -EINVAL (not an Ethernet
 * interface), -ENOSPC (table full). */
int ns_stack_add_neighbour(struct ns_stack *s, int ifindex, int family, const void *addr,
			   const uint8_t hwaddr[6]);
/* The loopback interface "lo": a loopback link, 127.0.0.1/8 and ::1/128.
 * Returns its ifindex (1 on a fresh stack) or -errno. */
int ns_stack_setup_loopback(struct ns_stack *s);

/* Snapshots for netlink (RTM_GETLINK/GETADDR/GETROUTE), SIOCGIF* and
 * /proc/net/{dev,if_inet6,route}.  Each fills a malloc'd array the caller
 * frees and returns the count, or -ENOMEM. */
struct ns_nic_info {
	int ifindex;
	char name[16];
	uint32_t mtu;
	uint16_t type; /* enum ns_link_type */
	uint32_t flags; /* IFF_UP | IFF_RUNNING | IFF_LOOPBACK ... (net/if.h) */
	uint8_t hwaddr[6];
	uint64_t rx_packets, rx_bytes, tx_packets, tx_bytes, tx_dropped, rx_dropped;
};
struct ns_addr_info {
	int ifindex;
	int family;
	uint8_t addr[16]; /* 4 bytes used for AF_INET */
	uint8_t prefixlen;
	uint8_t scope;	  /* RT_SCOPE_HOST (254) for loopback, RT_SCOPE_LINK (253) for
			   * IPv6 link-local, else RT_SCOPE_UNIVERSE (0) */
};
struct ns_route_info {
	int family;
	uint8_t dst[16], gateway[16], prefsrc[16];
	uint8_t prefixlen;
	uint8_t has_gateway, has_prefsrc;
	uint8_t type; /* RTN_UNICAST (1) or RTN_LOCAL (2) */
	int ifindex;
	uint32_t metric;
};
/* A neighbour (ARP or NDP cache entry) for /proc/net/arp and
 * RTM_GETNEIGH.  state is Linux's NUD_* (INCOMPLETE 0x01, REACHABLE 0x02,
 * STALE 0x04, DELAY 0x08, PROBE 0x10, FAILED 0x20, PERMANENT 0x80);
 * hwaddr is all zero while it is not known (INCOMPLETE, FAILED). */
struct ns_neigh_info {
	int ifindex;
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* 4 bytes used for AF_INET */
	uint8_t hwaddr[6];
	uint16_t state;
};
int ns_stack_nics(struct ns_stack *s, struct ns_nic_info **out);
int ns_stack_neighbours(struct ns_stack *s, struct ns_neigh_info **out);
int ns_stack_addrs(struct ns_stack *s, struct ns_addr_info **out);
int ns_stack_routes(struct ns_stack *s, struct ns_route_info **out);

/* Counters, one per event or drop reason; every dropped frame is counted
 * under exactly one reason.  Names are stable (tests, /proc/net/snmp and
 * `visor debug` print them). */
#define NS_COUNTERS(X)                                                                             \
	X(LINK_RX_FRAMES)                                                                          \
	X(LINK_RX_BAD_TYPE)                                                                        \
	X(LINK_TX_ERRORS)                                                                          \
	X(ETH_IN_TRUNCATED)                                                                        \
	X(ETH_IN_TOO_LONG)                                                                         \
	X(ETH_IN_OTHER_HOST)                                                                       \
	X(ARP_IN_REQUESTS)                                                                         \
	X(ARP_IN_REPLIES)                                                                          \
	X(ARP_IN_BAD)                                                                              \
	X(ARP_IN_IGNORED)                                                                          \
	X(ARP_OUT_REQUESTS)                                                                        \
	X(ARP_OUT_REPLIES)                                                                         \
	X(NDISC_IN_SOLICITS)                                                                       \
	X(NDISC_IN_ADVERTS)                                                                        \
	X(NDISC_IN_BAD)                                                                            \
	X(NDISC_IN_IGNORED)                                                                        \
	X(NDISC_OUT_SOLICITS)                                                                      \
	X(NDISC_OUT_ADVERTS)                                                                       \
	X(NEIGH_RES_FAILED)                                                                        \
	X(NEIGH_QUEUE_DROPS)                                                                       \
	X(NEIGH_TABLE_FULL)                                                                        \
	X(IP_REASM_REQDS)                                                                          \
	X(IP_REASM_OKS)                                                                            \
	X(IP_REASM_FAILS)                                                                          \
	X(IP_REASM_OVERLAPS)                                                                       \
	X(IP_REASM_TIMEOUTS)                                                                       \
	X(IP_FRAG_OKS)                                                                             \
	X(IP_FRAG_CREATES)                                                                         \
	X(IP_IN_RECEIVES)                                                                          \
	X(IP_IN_TRUNCATED)                                                                         \
	X(IP_IN_BAD_VERSION)                                                                       \
	X(IP_IN_BAD_HDRLEN)                                                                        \
	X(IP_IN_BAD_TOTLEN)                                                                        \
	X(IP_IN_CSUM_ERRORS)                                                                       \
	X(IP_IN_BAD_SRC)                                                                           \
	X(IP_IN_ADDR_ERRORS)                                                                       \
	X(IP_IN_UNKNOWN_PROTOS)                                                                    \
	X(IP_IN_DELIVERS)                                                                          \
	X(IP_OUT_REQUESTS)                                                                         \
	X(IP_OUT_NO_ROUTES)                                                                        \
	X(IP_OUT_DISCARDS)                                                                         \
	X(IP6_IN_RECEIVES)                                                                         \
	X(IP6_IN_TRUNCATED)                                                                        \
	X(IP6_IN_BAD_VERSION)                                                                      \
	X(IP6_IN_BAD_PAYLEN)                                                                       \
	X(IP6_IN_BAD_EXTHDR)                                                                       \
	X(IP6_IN_BAD_SRC)                                                                          \
	X(IP6_IN_ADDR_ERRORS)                                                                      \
	X(IP6_IN_FRAGMENTS)                                                                        \
	X(IP6_IN_UNKNOWN_PROTOS)                                                                   \
	X(IP6_IN_DELIVERS)                                                                         \
	X(IP6_OUT_REQUESTS)                                                                        \
	X(ICMP_IN_MSGS)                                                                            \
	X(ICMP_IN_TRUNCATED)                                                                       \
	X(ICMP_IN_CSUM_ERRORS)                                                                     \
	X(ICMP_IN_ECHOS)                                                                           \
	X(ICMP_IN_ECHO_REPS)                                                                       \
	X(ICMP_IN_DEST_UNREACHS)                                                                   \
	X(ICMP_IN_BAD_QUOTE)                                                                       \
	X(ICMP_IN_IGNORED)                                                                         \
	X(ICMP_OUT_ECHO_REPS)                                                                      \
	X(ICMP_OUT_ECHOS)                                                                          \
	X(ICMP_OUT_DEST_UNREACHS)                                                                  \
	X(ICMP6_IN_MSGS)                                                                           \
	X(ICMP6_IN_TRUNCATED)                                                                      \
	X(ICMP6_IN_CSUM_ERRORS)                                                                    \
	X(ICMP6_IN_ECHOS)                                                                          \
	X(ICMP6_IN_ECHO_REPS)                                                                      \
	X(ICMP6_IN_DEST_UNREACHS)                                                                  \
	X(ICMP6_IN_BAD_QUOTE)                                                                      \
	X(ICMP6_IN_IGNORED)                                                                        \
	X(ICMP6_OUT_ECHO_REPS)                                                                     \
	X(ICMP6_OUT_ECHOS)                                                                         \
	X(ICMP6_OUT_DEST_UNREACHS)                                                                 \
	X(UDP_IN_DATAGRAMS)                                                                        \
	X(UDP_IN_TRUNCATED)                                                                        \
	X(UDP_IN_BAD_LENGTH)                                                                       \
	X(UDP_IN_CSUM_ERRORS)                                                                      \
	X(UDP_NO_PORTS)                                                                            \
	X(UDP_RCVBUF_ERRORS)                                                                       \
	X(UDP_OUT_DATAGRAMS)                                                                       \
	X(PING_NO_SOCKET)                                                                          \
	X(PING_RCVBUF_ERRORS)                                                                      \
	X(TCP_IN_SEGS)                                                                             \
	X(TCP_IN_TRUNCATED)                                                                        \
	X(TCP_IN_BAD_HDRLEN)                                                                       \
	X(TCP_IN_BAD_OPTIONS)                                                                      \
	X(TCP_IN_CSUM_ERRORS)                                                                      \
	X(TCP_IN_BAD_FLAGS)                                                                        \
	X(TCP_IN_NO_SOCKET)                                                                        \
	X(TCP_OUT_SEGS)                                                                            \
	X(TCP_RETRANS_SEGS)                                                                        \
	X(TCP_OUT_RSTS)                                                                            \
	X(TCP_ACTIVE_OPENS)                                                                        \
	X(TCP_PASSIVE_OPENS)                                                                       \
	X(TCP_ATTEMPT_FAILS)                                                                       \
	X(TCP_ESTAB_RESETS)                                                                        \
	X(TCP_LISTEN_OVERFLOWS)                                                                    \
	X(TCP_LISTEN_DROPS)                                                                        \
	X(TCP_OUT_OF_WINDOW)                                                                       \
	X(TCP_PAWS_DROPS)                                                                          \
	X(TCP_CHALLENGE_ACKS)                                                                      \
	X(TCP_OOO_QUEUED)                                                                          \
	X(TCP_OOO_DROPS)                                                                           \
	X(TCP_RCV_PRUNED)                                                                          \
	X(TCP_FAST_RETRANS)                                                                        \
	X(TCP_TIMEOUTS)                                                                            \
	X(TCP_SYN_TIMEOUTS)                                                                        \
	X(TCP_ZERO_WINDOW_PROBES)                                                                  \
	X(TCP_KEEPALIVE_PROBES)                                                                    \
	X(TCP_KEEPALIVE_TIMEOUTS)                                                                  \
	X(TCP_USER_TIMEOUTS)                                                                       \
	X(TCP_ABORT_ON_DATA)                                                                       \
	X(TCP_ABORT_ON_CLOSE)                                                                      \
	X(TCP_ABORT_ON_LINGER)                                                                     \
	X(TCP_TW_EXPIRED)                                                                          \
	X(TCP_TW_REUSED)                                                                           \
	X(TCP_TW_REOPENED)                                                                         \
	X(TCP_URG_IGNORED)                                                                         \
	X(TCP_DELAYED_ACKS)                                                                        \
	X(UNSUPPORTED_OPTION)

enum ns_counter {
#define NS_COUNTER_ENUM(n) NS_CTR_##n,
	NS_COUNTERS(NS_COUNTER_ENUM)
#undef NS_COUNTER_ENUM
	NS_CTR__COUNT
};

uint64_t ns_stack_counter(struct ns_stack *s, enum ns_counter c);
const char *ns_counter_name(enum ns_counter c);

/* ------------------------------------------------------------------------
 * Endpoints: the socket-level API (endpoint.c, tcp*.c, udp.c, icmp.c)
 *
 * One endpoint per AF_INET/AF_INET6 socket.  The Sentry's inet.c holds a
 * reference from ns_ep_create (or ns_ep_accept) until ns_ep_close, and
 * copies application memory in and out itself: the iovecs and sockaddrs
 * given here are in the Sentry's memory (a bounce buffer), because the
 * netstack cannot call task_copy_* under its locks.
 *
 * What is the caller's and what is the netstack's:
 *   - blocking, SO_RCVTIMEO/SO_SNDTIMEO, signals and restart: the caller's.
 *     The caller learns of changes from `ready`, which reports an endpoint
 *     whose readiness may have changed; it re-checks with ns_ep_poll or by
 *     calling again.  To never miss one, read its own wake counter before
 *     the call that returned -EAGAIN and sleep only while it is unchanged.
 *     connect: call again after readiness; the later call returns 0,
 *     the error, or -EALREADY while the handshake is still running (as
 *     Linux's __inet_stream_connect).  A blocking send of n bytes: call
 *     again until all is taken.  MSG_WAITALL: the caller loops on recv
 *     until the length, EOF, an error or a signal (the flag is ignored
 *     here).
 *   - SIGPIPE: a send that returns -EPIPE; the caller raises it unless
 *     MSG_NOSIGNAL.
 *   - MSG_DONTWAIT: the netstack never waits; the flag only matters where
 *     Linux's answer differs between blocking and non-blocking callers (a
 *     UDP receive after shutdown(SHUT_RD): 0 when blocking, -EAGAIN with
 *     MSG_DONTWAIT), so the caller passes it for non-blocking sockets.
 *   - close with SO_LINGER {1, n > 0}: Linux's close() waits up to n s for
 *     the data to be acknowledged; ns_ep_close returns at once and the data
 *     still goes in the background (the caller may wait on POLLOUT first).
 *   - Latency: after a call that sent, the caller may run ns_stack_poll on
 *     its own thread (it returns at once if another thread polls): on
 *     loopback the peer then gets its data without a hop through the
 *     service thread (test_threads measures both ways).
 *   - SO_RCVTIMEO, SO_SNDTIMEO, SO_PASSCRED, SO_PEERCRED, SO_ATTACH_FILTER
 *     and the other options that are not about the network: the caller's;
 *     ns_ep_{get,set}sockopt answers -ENOPROTOOPT for them.
 *   - ping sockets: ping_group_range (EACCES at socket()) is the caller's.
 *   - FIONREAD/SIOCINQ/SIOCOUTQ: ns_ep_queues.
 *   - /proc/net/tcp etc.: ns_stack_endpoints; uid and inode come from
 *     ns_ep_set_owner.
 *
 * Not supported, refused cleanly: sending urgent data (MSG_OOB gives
 * -EOPNOTSUPP; received urgent data is delivered inline, as SO_OOBINLINE,
 * and recv(MSG_OOB) gives -EINVAL as Linux with no urgent mark), IP
 * options, the error queue (IP_RECVERR and IPV6_RECVERR are taken: glibc's
 * resolver sets them on every query socket, and an error reaches the
 * socket through SO_ERROR as Linux reports it besides the queue;
 * MSG_ERRQUEUE finds the queue empty), multicast, TCP Fast Open cookies
 * (TCP_FASTOPEN and TCP_FASTOPEN_CONNECT are taken and MSG_FASTOPEN
 * connects first, as Linux with no cookie for the server; the data never
 * rides the SYN),
 * TCP_MD5SIG, UDP_CORK/MSG_MORE on datagram sockets, raw sockets.  Each
 * refusal counts NS_CTR_UNSUPPORTED_OPTION.
 */

/* Create an endpoint.  domain AF_INET or AF_INET6; type SOCK_STREAM or
 * SOCK_DGRAM (no SOCK_NONBLOCK/CLOEXEC bits); protocol 0, IPPROTO_TCP,
 * IPPROTO_UDP, or IPPROTO_ICMP (AF_INET) / IPPROTO_ICMPV6 (AF_INET6) for a
 * ping socket.  -EAFNOSUPPORT, -ESOCKTNOSUPPORT, -EPROTONOSUPPORT,
 * -ENOMEM as Linux's inet_create (SOCK_RAW: -EPROTONOSUPPORT; raw sockets
 * are not provided). */
int ns_ep_create(struct ns_stack *s, int domain, int type, int protocol,
		 struct ns_endpoint **out);
/* Drop the caller's reference: TCP goes on in the background (FIN,
 * TIME_WAIT; RST when unread data is left or SO_LINGER is {1, 0}).  After
 * it returns, `ready` is never called with this endpoint's cookie.  Must
 * not be called from the `ready` callback for the same endpoint. */
void ns_ep_close(struct ns_endpoint *ep);

/* The cookie passed to `ready`; reports before it is set are dropped. */
void ns_ep_set_user(struct ns_endpoint *ep, void *user);
/* Owner uid and socket inode number for ns_stack_endpoints. */
void ns_ep_set_owner(struct ns_endpoint *ep, uint32_t uid, uint64_t ino);

/* inet_bind / inet6_bind.  flags: NS_BIND_PRIVILEGED when the caller has
 * CAP_NET_BIND_SERVICE (ports below unprivileged_port_start, else
 * -EACCES).  -EINVAL (short address, already bound), -EAFNOSUPPORT,
 * -EADDRNOTAVAIL (not a local address), -EADDRINUSE. */
#define NS_BIND_PRIVILEGED 0x1
/* The owner's own endpoint standing for a service the host reaches by a
 * DNAT rule (Docker's DNS at 127.0.0.11:53, which really listens on
 * another port): it conflicts with no application bind (a DNS server on
 * 0.0.0.0:53 starts, as under runc) and receives everything sent to its
 * exact address and port before any application socket.  A specific
 * address and port only (else ignored). */
#define NS_BIND_INTERCEPT 0x2
int ns_ep_bind(struct ns_endpoint *ep, const struct sockaddr *addr, socklen_t len,
	       unsigned int flags);

/* TCP: inet_stream_connect: 0 (connected), -EINPROGRESS (SYN sent),
 * -EALREADY, -EISCONN, -ECONNREFUSED/-ETIMEDOUT/... (the attempt failed; the
 * error is consumed), -EADDRNOTAVAIL (no ephemeral port), -ENETUNREACH.
 * AF_UNSPEC disconnects.  UDP/ping: ip4_datagram_connect / ip6: 0 or error. */
int ns_ep_connect(struct ns_endpoint *ep, const struct sockaddr *addr, socklen_t len);

/* inet_listen: backlog clamped to somaxconn; binds an ephemeral port if
 * unbound.  -EINVAL (not a stream socket, connected), -EADDRINUSE. */
int ns_ep_listen(struct ns_endpoint *ep, int backlog);

/* Take a connection off the accept queue: *child gets a reference the
 * caller closes with ns_ep_close; peer (may be NULL) its address.
 * -EAGAIN (queue empty), -EINVAL (not listening), -EOPNOTSUPP (not TCP). */
int ns_ep_accept(struct ns_endpoint *ep, struct ns_endpoint **child, struct sockaddr_storage *peer,
		 socklen_t *peerlen);

/* Send: returns bytes taken (TCP may take part: the rest does not fit the
 * send buffer), or -EAGAIN (nothing fits), -EPIPE, -ENOTCONN,
 * -EDESTADDRREQ, -EMSGSIZE, -EACCES (broadcast without SO_BROADCAST),
 * -EISCONN, pending errors (-ECONNRESET, -ECONNREFUSED: consumed).
 * to/tolen: the destination for datagram sockets (NULL for connected);
 * ignored by TCP.  flags: MSG_DONTWAIT and MSG_NOSIGNAL are ignored (the
 * caller's), MSG_MORE on TCP corks this write, MSG_OOB -EOPNOTSUPP.
 * Zero bytes on TCP return 0 and send nothing. */
ssize_t ns_ep_sendmsg(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
		      const struct sockaddr *to, socklen_t tolen);

/* Receive: bytes copied, 0 at end of stream, -EAGAIN (nothing yet),
 * -ENOTCONN, pending errors (consumed).  flags: MSG_PEEK, MSG_TRUNC
 * (datagram: return the datagram's real length; TCP: discard instead of
 * copying), MSG_OOB (TCP -EINVAL, datagram -EOPNOTSUPP), MSG_ERRQUEUE
 * (-EAGAIN: the error queue is always empty), MSG_DONTWAIT (see above),
 * MSG_WAITALL ignored (the caller's).  from/fromlen (may be NULL): the
 * source of a datagram (*fromlen 0 for TCP, which names none, as Linux's
 * tcp_recvmsg); *msg_flags (may be NULL) gets MSG_TRUNC when a datagram was cut.
 * A TCP receive returns what is queued; after the peer's FIN, 0; a
 * pending error (ECONNRESET...) once, then 0. */
ssize_t ns_ep_recvmsg(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
		      struct sockaddr_storage *from, socklen_t *fromlen, int *msg_flags);
/* What a datagram receive tells besides the data, for the caller's control
 * messages (Linux's ip_cmsg_recv / ip6_datagram_recv_ctl): the received
 * TOS or traffic class and TTL or hop limit, and whether the socket asked
 * for them (IP_RECVTOS / IPV6_RECVTCLASS, IP_RECVTTL). */
struct ns_recv_meta {
	bool valid; /* a datagram was returned (never for TCP) */
	bool want_tos, want_ttl;
	uint8_t tos, ttl;
	/* IP_PKTINFO (want_pktinfo) and IPV6_RECVPKTINFO (want_pktinfo6): the
	 * interface the datagram came in on, its destination (IPv4 as
	 * ::ffff:a.b.c.d) and, IPv4, the address a reply should come from
	 * (ipi_spec_dst, host order: fib_compute_spec_dst). */
	bool want_pktinfo, want_pktinfo6;
	bool want_hoplimit; /* IPV6_RECVHOPLIMIT: ttl as IPV6_HOPLIMIT */
	int ifindex;
	uint8_t dst[16];
	uint32_t spec_dst;
	uint64_t stamp; /* when it reached the socket's queue (the `now` clock) */
};
/* ns_ep_recvmsg, and *meta (not NULL) filled. */
ssize_t ns_ep_recvmsg_meta(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
			   struct sockaddr_storage *from, socklen_t *fromlen, int *msg_flags,
			   struct ns_recv_meta *meta);

/* A stream receive without a bounce buffer (TCP; others -EOPNOTSUPP): the
 * first bytes of the receive queue, up to max, in place as at most *nseg
 * pieces (*nseg set to how many), and the queue pinned: the caller copies
 * them out with no netstack lock held (app memory may fault), then calls
 * ns_ep_recv_unpin with how many it took, which leave the queue as a
 * receive's would (window update, buffer autotuning).  Returns the bytes
 * pinned (> 0), or what ns_ep_recvmsg would return on an empty queue (0 at
 * end of stream, -EAGAIN, -ENOTCONN, a pending error) with nothing pinned;
 * -EINVAL for max 0; -EBUSY while another pin is held (one reader at a
 * time: the caller serialises them).  A disconnect meanwhile empties the
 * queue but frees the pinned buffers only at the unpin. */
ssize_t ns_ep_recv_pin(struct ns_endpoint *ep, size_t max, struct iovec *seg, int *nseg);
/* Returns 1 when the unpin sent a frame (a window update) that waits for
 * the owner's next poll, which the stack's `kick` asked for; else 0. */
int ns_ep_recv_unpin(struct ns_endpoint *ep, size_t used);
/* Ask the owner for a poll (through `kick`), as work queued for it would. */
void ns_stack_want_poll(struct ns_stack *s);

/* A send's IP_PKTINFO / IPV6_PKTINFO control message (ip_cmsg_send,
 * ip6_datagram_send_ctl): the source address (IPv4 as ::ffff:a.b.c.d; all
 * zero or 0.0.0.0: the route's) and the outgoing interface (0: the
 * route's).  A source that is not a local address: -EINVAL; an interface
 * that does not exist: -ENODEV.  Datagram sockets only (TCP ignores it). */
struct ns_send_src {
	uint8_t addr[16];
	int ifindex;
};
ssize_t ns_ep_sendmsg_src(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
			  const struct sockaddr *to, socklen_t tolen,
			  const struct ns_send_src *src);

/* inet_shutdown: how SHUT_RD/WR/RDWR, else -EINVAL; -ENOTCONN when not
 * connected (the shutdown bits are set anyway, as Linux). */
int ns_ep_shutdown(struct ns_endpoint *ep, int how);

/* Options.  SOL_SOCKET: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR (get;
 * consumes), SO_ACCEPTCONN, SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE,
 * SO_LINGER, SO_RCVBUF, SO_SNDBUF, SO_RCVBUFFORCE, SO_SNDBUFFORCE (the
 * caller checks CAP_NET_ADMIN), SO_BROADCAST, SO_OOBINLINE, SO_RCVLOWAT,
 * SO_SNDLOWAT (get), SO_PRIORITY, SO_DONTROUTE, SO_NO_CHECK, SO_BINDTOIFINDEX
 * (the caller maps SO_BINDTODEVICE's name and checks CAP_NET_RAW: packets
 * from other interfaces pass the endpoint by, routes out of others are
 * -ENETUNREACH, and endpoints bound to different interfaces share ports).
 * SOL_TCP: TCP_NODELAY, TCP_CORK, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL,
 * TCP_KEEPCNT, TCP_SYNCNT, TCP_LINGER2, TCP_INFO (get), TCP_USER_TIMEOUT,
 * TCP_QUICKACK, TCP_CONGESTION ("reno"), TCP_WINDOW_CLAMP,
 * TCP_DEFER_ACCEPT (the bare ACK waits for data).  SOL_IP: IP_TOS, IP_TTL, IP_MTU_DISCOVER,
 * IP_MTU (get), IP_RECVTOS, IP_RECVTTL, IP_PKTINFO (reported by
 * ns_ep_recvmsg_meta), IP_RECVERR, IP_RECVOPTS and IP_RETOPTS (no options
 * are kept, so they give no control message).  SOL_IPV6: IPV6_V6ONLY,
 * IPV6_UNICAST_HOPS, IPV6_TCLASS, IPV6_MTU_DISCOVER, IPV6_RECVTCLASS,
 * IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT (reported by ns_ep_recvmsg_meta),
 * IPV6_RECVERR.  Anything else: -ENOPROTOOPT (counted); a short option:
 * -EINVAL; a bad level: -ENOPROTOOPT (SOL_TCP on UDP: -ENOPROTOOPT). */
int ns_ep_setsockopt(struct ns_endpoint *ep, int level, int name, const void *val, socklen_t len);
int ns_ep_getsockopt(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len);

/* inet_getname: peer 0 for the local address, 1 for the peer
 * (-ENOTCONN).  An AF_INET6 endpoint talking IPv4 shows ::ffff:a.b.c.d. */
int ns_ep_getname(struct ns_endpoint *ep, struct sockaddr_storage *addr, socklen_t *len, int peer);

/* The readiness mask, POLLIN/POLLOUT/POLLERR/POLLHUP/POLLRDHUP and the
 * RDNORM/WRNORM bits, as Linux's tcp_poll / udp_poll. */
uint32_t ns_ep_poll(struct ns_endpoint *ep);

/* Queue sizes: inq = bytes readable (TCP) or the next datagram's length
 * (UDP: FIONREAD); outq = bytes not yet acknowledged (SIOCOUTQ); notsent =
 * bytes not yet sent (SIOCOUTQNSD). -EINVAL on a listening socket (as
 * Linux's SIOCINQ). */
int ns_ep_queues(struct ns_endpoint *ep, int *inq, int *outq, int *notsent);

/* Identity: AF_INET/AF_INET6, SOCK_STREAM/SOCK_DGRAM, IPPROTO_*. */
void ns_ep_kind(const struct ns_endpoint *ep, int *domain, int *type, int *protocol);

/* TCP_INFO, Linux's struct tcp_info layout up to tcpi_snd_wnd (232
 * bytes); getsockopt copies min(len, sizeof). */
struct ns_tcp_info {
	uint8_t tcpi_state, tcpi_ca_state, tcpi_retransmits, tcpi_probes, tcpi_backoff,
	    tcpi_options;
	uint8_t tcpi_wscale; /* snd_wscale : 4, rcv_wscale : 4 (low nibble snd) */
	uint8_t tcpi_flags;
	uint32_t tcpi_rto, tcpi_ato, tcpi_snd_mss, tcpi_rcv_mss;
	uint32_t tcpi_unacked, tcpi_sacked, tcpi_lost, tcpi_retrans, tcpi_fackets;
	uint32_t tcpi_last_data_sent, tcpi_last_ack_sent, tcpi_last_data_recv,
	    tcpi_last_ack_recv;
	uint32_t tcpi_pmtu, tcpi_rcv_ssthresh, tcpi_rtt, tcpi_rttvar, tcpi_snd_ssthresh,
	    tcpi_snd_cwnd, tcpi_advmss, tcpi_reordering;
	uint32_t tcpi_rcv_rtt, tcpi_rcv_space;
	uint32_t tcpi_total_retrans;
	uint64_t tcpi_pacing_rate, tcpi_max_pacing_rate, tcpi_bytes_acked, tcpi_bytes_received;
	uint32_t tcpi_segs_out, tcpi_segs_in;
	uint32_t tcpi_notsent_bytes, tcpi_min_rtt, tcpi_data_segs_in, tcpi_data_segs_out;
	uint64_t tcpi_delivery_rate, tcpi_busy_time, tcpi_rwnd_limited, tcpi_sndbuf_limited;
	uint32_t tcpi_delivered, tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent, tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups, tcpi_reord_seen, tcpi_rcv_ooopack, tcpi_snd_wnd;
};

/* Linux's TCP states (include/net/tcp_states.h), as /proc/net/tcp prints. */
enum ns_tcp_state {
	NS_TCP_ESTABLISHED = 1,
	NS_TCP_SYN_SENT,
	NS_TCP_SYN_RECV,
	NS_TCP_FIN_WAIT1,
	NS_TCP_FIN_WAIT2,
	NS_TCP_TIME_WAIT,
	NS_TCP_CLOSE,
	NS_TCP_CLOSE_WAIT,
	NS_TCP_LAST_ACK,
	NS_TCP_LISTEN,
	NS_TCP_CLOSING,
};

/* One row of /proc/net/{tcp,tcp6,udp,udp6,icmp,icmp6} (and ss). */
struct ns_ep_info {
	int family;   /* AF_INET or AF_INET6: the table it belongs in */
	int protocol; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6) */
	uint8_t state; /* enum ns_tcp_state; UDP: ESTABLISHED when connected, else CLOSE */
	uint8_t local[16], remote[16]; /* 4 bytes used for AF_INET */
	uint16_t lport, rport;	       /* host order */
	uint32_t tx_queue, rx_queue;
	uint8_t timer;		       /* /proc/net/tcp "tr": 0 none, 1 retransmit, 2 keepalive, 3 TIME_WAIT, 4 probe */
	uint64_t timer_expires_ns;     /* from now */
	uint32_t retransmits;
	uint32_t uid;
	uint64_t ino;
	uint32_t refs;
	uint32_t drops;
	bool v6only; /* AF_INET6: IPV6_V6ONLY (set, or implied by a specific bind) */
};
/* Every endpoint of protocol (IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP for
 * both ping families), including TIME_WAIT ones and pending connections
 * (SYN_RECV), in a malloc'd array the caller frees.  Returns the count or
 * -ENOMEM. */
int ns_stack_endpoints(struct ns_stack *s, int protocol, struct ns_ep_info **out);

#endif
