/*
 * loopback.c — the loopback link endpoint and the endpoint helpers.
 *
 * Frames sent are queued (the pbuf itself: no copy) and handed to the
 * deliver callback on the next poll, never synchronously: a protocol
 * handler that answers a frame (TCP's ACK to its own SYN over lo) must not
 * recurse.  The frames carry bare IP datagrams (NS_LINK_IP) and are marked
 * NS_PB_CSUM_OK: they never left this process.
 */
#include "lib/lockdep.h"
#include "netstack/netstack.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct loopback {
	struct link_endpoint ep; /* first */
	struct vmutex lock;	 /* NETSTACK_LINK: the queue and the counters */
	struct ns_pbuf *head, *tail;
	unsigned int queued, qlen;
};

void ns_link_set_deliver(struct link_endpoint *ep, link_deliver_fn fn, void *ctx)
{
	ep->deliver = fn;
	ep->deliver_ctx = ctx;
}

void ns_link_destroy(struct link_endpoint *ep)
{
	if (ep)
		ep->ops->destroy(ep);
}

int ns_link_send_copy(struct link_endpoint *ep, const void *frame, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > ep->mtu)
		return -EMSGSIZE;
	struct ns_pbuf *pb = ns_pbuf_from(frame, len);
	if (!pb)
		return -ENOBUFS;
	return ns_link_send(ep, pb);
}

static int lo_send(struct link_endpoint *ep, struct ns_pbuf *pb)
{
	struct loopback *lo = (struct loopback *)ep;
	if (pb->len == 0 || pb->len > ep->mtu) {
		int err = pb->len ? -EMSGSIZE : -EINVAL;
		ns_pbuf_free(pb);
		return err;
	}
	pb->flags |= NS_PB_CSUM_OK;
	vmutex_lock(&lo->lock);
	if (lo->queued >= lo->qlen) {
		ep->tx_dropped++;
		vmutex_unlock(&lo->lock);
		ns_pbuf_free(pb);
		return -ENOBUFS;
	}
	ns_pbuf_append(&lo->head, &lo->tail, pb);
	lo->queued++;
	ep->tx_packets++;
	ep->tx_bytes += pb->len;
	vmutex_unlock(&lo->lock);
	if (ep->rx_wake)
		ep->rx_wake(ep->rx_wake_ctx);
	return 0;
}

bool ns_loopback_pending(struct link_endpoint *ep)
{
	struct loopback *lo = (struct loopback *)ep;
	vmutex_lock(&lo->lock);
	bool pending = lo->queued != 0;
	vmutex_unlock(&lo->lock);
	return pending;
}

static int lo_poll(struct link_endpoint *ep, int max)
{
	struct loopback *lo = (struct loopback *)ep;
	int n = 0;
	while (n < max) {
		vmutex_lock(&lo->lock);
		struct ns_pbuf *pb = ns_pbuf_take(&lo->head, &lo->tail);
		if (pb) {
			lo->queued--;
			ep->rx_packets++;
			ep->rx_bytes += pb->len;
		}
		vmutex_unlock(&lo->lock);
		if (!pb)
			break;
		ns_link_deliver(ep, pb); /* outside the lock: it may send again */
		n++;
	}
	return n;
}

static void lo_destroy(struct link_endpoint *ep)
{
	struct loopback *lo = (struct loopback *)ep;
	ns_pbuf_free_chain(lo->head);
	vmutex_destroy(&lo->lock);
	free(lo);
}

static const struct link_ops loopback_ops = {
    .kind = "loopback",
    .send = lo_send,
    .poll = lo_poll,
    .destroy = lo_destroy,
};

struct link_endpoint *ns_loopback_new(uint32_t mtu, unsigned int qlen)
{
	struct loopback *lo = calloc(1, sizeof(*lo));
	if (!lo)
		return NULL;
	vmutex_init(&lo->lock, LOCK_CLASS(NETSTACK_LINK));
	lo->ep.ops = &loopback_ops;
	strcpy(lo->ep.name, "lo");
	lo->ep.mtu = mtu ? mtu : NS_LOOPBACK_MTU;
	lo->ep.type = NS_LINK_IP;
	lo->ep.flags = NS_LINK_F_LOOPBACK;
	lo->qlen = qlen ? qlen : 1000;
	return &lo->ep;
}
