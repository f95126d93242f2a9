/*
 * netstack.h — visor's user-space TCP/IP stack (DESIGN.md §7).
 *
 * The stack knows nothing of the Sentry: packets come in and go out through
 * link endpoints, and time through the caller.  Today it holds the link
 * layer only: the endpoint interface and the loopback device.  IP, ICMP,
 * UDP, TCP and the socket API are still to come; until then the Sentry's
 * socket(2) returns ENOSYS.
 */
#ifndef VISOR_NETSTACK_H
#define VISOR_NETSTACK_H

#include <stddef.h>
#include <stdint.h>

struct link_endpoint;

/* Where an endpoint hands received frames: called from ns_link_poll, never
 * from inside send, so a protocol may transmit while handling a frame. */
typedef void (*link_deliver_fn)(void *ctx, struct link_endpoint *ep, const void *frame,
				size_t len);

struct link_ops {
	const char *kind; /* "loopback", "packet", ... */
	/* Queue one frame for transmission: 0, -EMSGSIZE (over the MTU),
	 * -EINVAL (empty), -ENOBUFS (queue full). */
	int (*send)(struct link_endpoint *ep, const void *frame, size_t len);
	/* Deliver up to max received frames; returns how many. */
	int (*poll)(struct link_endpoint *ep, int max);
	void (*destroy)(struct link_endpoint *ep);
};

struct link_endpoint {
	const struct link_ops *ops;
	char name[16];  /* "lo", "eth0" */
	uint32_t mtu;
	link_deliver_fn deliver;
	void *deliver_ctx;
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes, tx_dropped;
};

static inline int ns_link_send(struct link_endpoint *ep, const void *frame, size_t len)
{
	return ep->ops->send(ep, frame, len);
}

static inline int ns_link_poll(struct link_endpoint *ep, int max)
{
	return ep->ops->poll(ep, max);
}

void ns_link_set_deliver(struct link_endpoint *ep, link_deliver_fn fn, void *ctx);
void ns_link_destroy(struct link_endpoint *ep);

/* The loopback device: what is sent is received, in order, on the next
 * poll.  qlen bounds the frames waiting (0: 1000, as Linux's txqueuelen). */
struct link_endpoint *ns_loopback_new(uint32_t mtu, unsigned int qlen);

#define NS_LOOPBACK_MTU 65536

#endif
