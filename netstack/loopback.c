/*
 * loopback.c — the loopback link endpoint and the endpoint helpers.
 *
 * Frames sent are copied into a bounded FIFO and handed to the deliver
 * callback on the next poll, never synchronously: a protocol handler that
 * answers a frame (TCP's ACK to its own SYN over lo) must not recurse.
 */
#include "lib/lockdep.h"
#include "netstack/netstack.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct lo_frame {
	struct lo_frame *next;
	size_t len;
	unsigned char data[];
};

struct loopback {
	struct link_endpoint ep; /* first */
	struct vmutex lock;    /* protects the queue; a leaf lock */
	struct lo_frame *head, *tail;
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

static int lo_send(struct link_endpoint *ep, const void *frame, size_t len)
{
	struct loopback *lo = (struct loopback *)ep;
	if (len == 0)
		return -EINVAL;
	if (len > ep->mtu)
		return -EMSGSIZE;
	struct lo_frame *f = malloc(sizeof(*f) + len);
	if (!f)
		return -ENOBUFS;
	f->next = NULL;
	f->len = len;
	memcpy(f->data, frame, len);
	vmutex_lock(&lo->lock);
	if (lo->queued >= lo->qlen) {
		ep->tx_dropped++;
		vmutex_unlock(&lo->lock);
		free(f);
		return -ENOBUFS;
	}
	if (lo->tail)
		lo->tail->next = f;
	else
		lo->head = f;
	lo->tail = f;
	lo->queued++;
	ep->tx_packets++;
	ep->tx_bytes += len;
	vmutex_unlock(&lo->lock);
	return 0;
}

static int lo_poll(struct link_endpoint *ep, int max)
{
	struct loopback *lo = (struct loopback *)ep;
	int n = 0;
	while (n < max) {
		vmutex_lock(&lo->lock);
		struct lo_frame *f = lo->head;
		if (f) {
			lo->head = f->next;
			if (!lo->head)
				lo->tail = NULL;
			lo->queued--;
			ep->rx_packets++;
			ep->rx_bytes += f->len;
		}
		vmutex_unlock(&lo->lock);
		if (!f)
			break;
		/* Outside the lock: the handler may send again. */
		if (ep->deliver)
			ep->deliver(ep->deliver_ctx, ep, f->data, f->len);
		free(f);
		n++;
	}
	return n;
}

static void lo_destroy(struct link_endpoint *ep)
{
	struct loopback *lo = (struct loopback *)ep;
	struct lo_frame *f = lo->head;
	while (f) {
		struct lo_frame *next = f->next;
		free(f);
		f = next;
	}
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
	lo->qlen = qlen ? qlen : 1000;
	return &lo->ep;
}
