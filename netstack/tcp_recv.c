/*
 * tcp_recv.c — TCP's receive side as the owner sees it: reading the
 * receive queue (tcp_recvmsg), with a copy into the caller's buffers or in
 * place (ns_ep_recv_pin: the Sentry copies straight into app memory with
 * no netstack lock held), and what a read tells the peer (the window
 * update of tcp_cleanup_rbuf) and the buffer (tcp_rcv_space_adjust).
 *
 * Runs under the endpoint's lock, except the ns_ep_recv_* entry points,
 * which take it.
 */
#include "netstack/tcp.h"

#include <stdlib.h>

/* tcp_cleanup_rbuf: after the owner read, tell the peer about a window that
 * opened a lot. */
static void window_update(struct tcp_ep *tp, uint64_t now)
{
	if (tp->ep.state == NS_TCP_CLOSE || tp->ep.state == NS_TCP_LISTEN ||
	    tp->ep.state == NS_TCP_SYN_SENT || (tp->ep.shutdown & NS_RCV_SHUTDOWN))
		return;
	uint32_t cur = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t buf = tcp_rcvbuf(tp);
	uint32_t used = tp->rcvq.bytes + tp->ooo.bytes;
	uint32_t free = buf > used ? buf - used : 0;
	if (2 * (uint64_t)cur <= buf && free >= 2 * (uint64_t)cur && free >= tp->rcv_mss)
		tcp_send_ack(tp, now);
	else if (tp->ack_pending && (cur < tp->rcv_mss || tp->rcv_nxt - tp->rcv_wup > tp->rcv_mss))
		/* Also the once-per-two-segments ACK that ack_schedule held
		 * back while the reader lagged (__tcp_cleanup_rbuf). */
		tcp_send_ack(tp, now);
}

/* Receive-buffer autotuning (tcp_rcv_space_adjust): a reader that drains
 * more than the buffer per round trip gets a larger one. */
static void rcv_space_adjust(struct tcp_ep *tp, uint32_t copied, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	tp->rcv_copied += copied;
	uint64_t rtt = tp->srtt_us ? (uint64_t)tp->srtt_us * 1000 : NS_NSEC_PER_MSEC;
	if (rtt < NS_NSEC_PER_MSEC)
		rtt = NS_NSEC_PER_MSEC;
	if (now - tp->rcv_space_time < rtt)
		return;
	if (!ep->rcvbuf_locked && tp->rcv_copied > tp->rcv_space) {
		uint64_t want = 4ull * tp->rcv_copied;
		uint32_t max = ep->s->sysctl.tcp_rmem[2];
		if (want > max)
			want = max;
		if (want > ep->rcvbuf)
			ep->rcvbuf = (uint32_t)want;
		tp->rcv_space = tp->rcv_copied;
	}
	tp->rcv_copied = 0;
	tp->rcv_space_time = now;
}

/* What a receive finds on an empty queue (tcp_recvmsg's checks, in order). */
static ssize_t recv_empty(struct tcp_ep *tp)
{
	struct ns_endpoint *ep = &tp->ep;
	if (tp->rcv_fin)
		return 0;
	int err = ns_sock_error(ep);
	if (err)
		return err;
	if (ep->shutdown & NS_RCV_SHUTDOWN)
		return 0;
	if (ep->state == NS_TCP_CLOSE)
		return -ENOTCONN;
	return -EAGAIN;
}

/* The owner took n bytes (tcp_recvmsg's end): autotune the buffer, tell
 * the peer of a window that opened. */
static void recv_consumed(struct tcp_ep *tp, size_t n)
{
	uint64_t now = ns_now(tp->ep.s);
	rcv_space_adjust(tp, (uint32_t)n, now);
	window_update(tp, now);
	tcp_rearm(tp);
}

/* Drop n (<= q->bytes) bytes at the head of a queue. */
static void queue_pull(struct tcp_queue *q, size_t n)
{
	while (n && q->head) {
		struct ns_pbuf *pb = q->head;
		uint32_t k = pb->len < n ? pb->len : (uint32_t)n;
		n -= k;
		q->bytes -= k;
		if (k < pb->len) {
			pb->off += k;
			pb->len -= k;
			break;
		}
		q->head = pb->next;
		if (!q->head)
			q->tail = NULL;
		q->truesize -= pb->cap;
		ns_pbuf_free(pb);
	}
}

ssize_t tcp_recv(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
		 struct ns_ip *from, uint16_t *fromport, int *msg_flags)
{
	(void)msg_flags;
	struct tcp_ep *tp = T(ep);
	if (ep->state == NS_TCP_LISTEN)
		return -ENOTCONN;
	if (flags & MSG_OOB)
		return -EINVAL; /* no urgent mark: urgent data arrives inline */
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN;
	(void)from, (void)fromport; /* tcp_recvmsg names no source */
	size_t want = ns_iov_total(iov, iovcnt);
	if (want == 0)
		return 0;
	struct tcp_queue *q = &tp->rcvq;
	if (q->bytes == 0)
		return recv_empty(tp);
	/* A pinned head is being copied out (tcp_recv_pin): only a peek
	 * may look at it meanwhile.  The Sentry serialises its readers, so
	 * this is never seen there. */
	if (tp->rx_pinned && !(flags & MSG_PEEK))
		return -EBUSY;
	size_t n = want < q->bytes ? want : q->bytes;
	size_t done = 0;
	for (struct ns_pbuf *pb = q->head; done < n && pb; pb = pb->next) {
		uint32_t k = pb->len < n - done ? pb->len : (uint32_t)(n - done);
		if (!(flags & MSG_TRUNC))
			ns_iov_copy_to(iov, iovcnt, done, ns_pbuf_data(pb), k);
		done += k;
	}
	if (!(flags & MSG_PEEK)) {
		queue_pull(q, done);
		recv_consumed(tp, done);
	}
	return (ssize_t)done;
}

/* A receive without a copy (ns_ep_recv_pin): the queue's first bytes, up
 * to max, in place, as at most *nseg pieces; the queue is pinned (no
 * buffer of it freed or moved) until tcp_recv_unpin. */
ssize_t tcp_recv_pin(struct ns_endpoint *ep, size_t max, struct iovec *seg, int *nseg)
{
	struct tcp_ep *tp = T(ep);
	if (ep->state == NS_TCP_LISTEN)
		return -ENOTCONN;
	if (tp->rx_pinned)
		return -EBUSY;
	struct tcp_queue *q = &tp->rcvq;
	if (q->bytes == 0)
		return recv_empty(tp);
	size_t got = 0;
	int n = 0;
	for (struct ns_pbuf *pb = q->head; pb && got < max && n < *nseg; pb = pb->next) {
		size_t k = pb->len < max - got ? pb->len : max - got;
		if (!k)
			continue;
		seg[n].iov_base = ns_pbuf_data(pb);
		seg[n].iov_len = k;
		got += k;
		n++;
	}
	*nseg = n;
	tp->rx_pinned = true;
	tp->rx_pin_bytes = (uint32_t)got;
	return (ssize_t)got;
}

/* The owner copied out `used` of the pinned bytes: they leave the queue as
 * a receive's would.  A queue purged meanwhile (tcp_rcvq_purge: a
 * disconnect) was only set aside: it goes now, and what was copied went
 * with it. */
void tcp_recv_unpin(struct ns_endpoint *ep, size_t used)
{
	struct tcp_ep *tp = T(ep);
	if (!tp->rx_pinned)
		return;
	tp->rx_pinned = false;
	if (tp->rx_purged) {
		ns_pbuf_free_chain(tp->rx_purged);
		tp->rx_purged = NULL;
		return;
	}
	if (used > tp->rx_pin_bytes)
		used = tp->rx_pin_bytes; /* never more than was pinned */
	if (!used)
		return;
	queue_pull(&tp->rcvq, used);
	recv_consumed(tp, used);
}

void tcp_rcvq_purge(struct tcp_ep *tp)
{
	struct tcp_queue *q = &tp->rcvq;
	if (!tp->rx_pinned || !q->head) {
		tcp_queue_purge(q);
		return;
	}
	/* The owner is copying from these buffers: set them aside. */
	if (q->tail) {
		q->tail->next = tp->rx_purged;
		tp->rx_purged = q->head;
	}
	memset(q, 0, sizeof(*q));
}

ssize_t ns_ep_recv_pin(struct ns_endpoint *ep, size_t max, struct iovec *seg, int *nseg)
{
	if (!ep->proto->recv_pin)
		return -EOPNOTSUPP;
	if (max == 0 || *nseg <= 0)
		return -EINVAL;
	ep_lock(ep);
	ssize_t r = ep->proto->recv_pin(ep, max, seg, nseg);
	ep_unlock(ep);
	if (r <= 0)
		ns_stack_kick(ep->s); /* as ns_ep_recvmsg: an error consumed */
	return r;
}

int ns_ep_recv_unpin(struct ns_endpoint *ep, size_t used)
{
	if (!ep->proto->recv_unpin)
		return 0;
	/* The window update's frame is left to the owner's next poll (the
	 * service thread, kicked): its send runs the host's whole receive
	 * of it in our sendto (the peer's TCP taking the ACK and sending
	 * more data into our ring), which is the reader's time otherwise,
	 * and under the endpoint lock the service thread's input would wait
	 * for it. */
	ns_tx_defer_begin();
	ep_lock(ep);
	ep->proto->recv_unpin(ep, used);
	ep_unlock(ep);
	int r = ns_tx_defer_end(ep->s, false) ? 1 : 0;
	ns_stack_kick(ep->s);
	return r;
}
