/*
 * dgram.c — datagram endpoints: UDP (udp.c, datagram.c in Linux) and ping
 * sockets (ping.c: SOCK_DGRAM with IPPROTO_ICMP / IPPROTO_ICMPV6), which
 * share the receive queue, connect, poll and recv.
 *
 * A datagram sent goes straight to IP: there is no send queue (the link
 * queues), so a datagram socket is always writable.  Received datagrams
 * wait in the endpoint's queue as the pbufs they arrived in, trimmed to
 * the payload; their true size counts against SO_RCVBUF, as Linux counts
 * skb truesize, so many tiny datagrams cannot pin much memory.
 *
 * A ping socket's "port" is its ICMP echo identifier: bind's sin_port, or
 * an ephemeral one; the identifier the application writes is replaced by
 * it, and replies are delivered by it (ping_lookup).
 */
#include "netstack/ns_impl.h"

#include <limits.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>

struct dgram_ep {
	struct ns_endpoint ep;
	struct ns_dgram_queue rq;
	uint32_t drops;
};

static struct dgram_ep *D(struct ns_endpoint *ep)
{
	return (struct dgram_ep *)ep;
}

static bool is_ping(const struct ns_endpoint *ep)
{
	return ep->protocol != IPPROTO_UDP;
}

/* ---- the receive queue ---- */

static uint32_t truesize(const struct ns_pbuf *pb)
{
	return pb->cap + (uint32_t)sizeof(*pb);
}

int ns_dgram_enqueue(struct ns_endpoint *ep, struct ns_dgram_queue *q, struct ns_pbuf *pb)
{
	/* __sock_queue_rcv_skb: refuse once rmem reaches rcvbuf. */
	if (q->bytes >= ep->rcvbuf)
		return -ENOBUFS;
	pb->stamp = ns_now(ep->s); /* SO_TIMESTAMP: the skb's tstamp at queueing */
	ns_pbuf_append(&q->head, &q->tail, pb);
	q->bytes += truesize(pb);
	q->count++;
	return 0;
}

void ns_dgram_purge(struct ns_dgram_queue *q)
{
	ns_pbuf_free_chain(q->head);
	memset(q, 0, sizeof(*q));
}

ssize_t ns_dgram_recv(struct ns_endpoint *ep, struct ns_dgram_queue *q, const struct iovec *iov,
		      int iovcnt, int flags, struct ns_ip *from, uint16_t *fromport,
		      int *msg_flags)
{
	/* ping_recvmsg refuses MSG_OOB; udp_recvmsg ignores it. */
	if ((flags & MSG_OOB) && ep->protocol != IPPROTO_UDP) {
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
		return -EOPNOTSUPP;
	}
	if (flags & MSG_ERRQUEUE)
		return -EAGAIN; /* the error queue is always empty (IP_RECVERR reports by SO_ERROR) */
	int err = ns_sock_error(ep);
	if (err)
		return err;
	struct ns_pbuf *pb = q->head;
	if (!pb) {
		/* A blocking receive after SHUT_RD returns 0; a non-blocking
		 * one EAGAIN (__skb_wait_for_more_packets). */
		if ((ep->shutdown & NS_RCV_SHUTDOWN) && !(flags & MSG_DONTWAIT))
			return 0;
		return -EAGAIN;
	}
	size_t want = ns_iov_total(iov, iovcnt);
	size_t n = pb->len < want ? pb->len : want;
	ns_iov_copy_to(iov, iovcnt, 0, ns_pbuf_data(pb), n);
	memcpy(from->b, pb->addr, 16);
	*fromport = pb->port;
	ep->rx_meta = true;
	ep->rx_tos = pb->tos;
	ep->rx_ttl = pb->ttl;
	ep->rx_stamp = pb->stamp;
	ep->rx_ifindex = pb->ifindex;
	memcpy(ep->rx_daddr, pb->daddr, 16);
	ep->rx_spec_dst = pb->spec_dst;
	if (n < pb->len)
		*msg_flags |= MSG_TRUNC;
	ssize_t r = (flags & MSG_TRUNC) ? (ssize_t)pb->len : (ssize_t)n;
	if (!(flags & MSG_PEEK)) {
		ns_pbuf_take(&q->head, &q->tail);
		q->bytes -= truesize(pb);
		q->count--;
		ns_pbuf_free(pb);
	}
	return r;
}

uint32_t ns_dgram_poll(struct ns_endpoint *ep, struct ns_dgram_queue *q, bool writable)
{
	uint32_t m = 0;
	if (ep->so_error)
		m |= POLLERR;
	if (ep->shutdown & NS_RCV_SHUTDOWN)
		m |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (ep->shutdown == NS_SHUTDOWN_MASK)
		m |= POLLHUP;
	if (q->head)
		m |= POLLIN | POLLRDNORM;
	if (writable)
		m |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return m;
}

/* ---- shared operations ---- */

static void dgram_init(struct ns_endpoint *ep)
{
	(void)ep;
}

static void dgram_destroy(struct ns_endpoint *ep)
{
	ns_dgram_purge(&D(ep)->rq);
}

/* Where a datagram socket with no bound port gets one (inet_autobind). */
static int autobind(struct ns_endpoint *ep)
{
	if (ep->lport)
		return 0;
	int r = ns_port_bind(ep, 0);
	if (r)
		return r;
	ep_hold_proto(ep);
	return 0;
}

/* The route and checks for sending to dst: EACCES for broadcast without
 * SO_BROADCAST, ENETUNREACH. */
static int dgram_route(struct ns_endpoint *ep, const struct ns_ip *dst, struct ns_rt *rt)
{
	if (ip_is_multicast(dst)) {
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
		return -ENETUNREACH; /* no multicast routes */
	}
	if (ip_is_v4(dst) && ns_addr_is_broadcast(ep->s, dst) && !ep->broadcast)
		return -EACCES;
	if (ep->domain == AF_INET6 && ip_is_v4(dst) && ep->v6only)
		return -ENETUNREACH;
	if (ep->domain == AF_INET6 && !ip_is_v4(dst) && ip_is_v4(&ep->laddr) &&
	    !ip_is_any(&ep->laddr))
		return -ENETUNREACH;
	int r = ns_ep_route(ep, dst, rt);
	if (r == -ENETUNREACH)
		ns_count(ep->s, NS_CTR_IP_OUT_NO_ROUTES);
	return r;
}

static int dgram_disconnect(struct ns_endpoint *ep)
{
	/* __udp_disconnect. */
	struct ns_stack *s = ep->s;
	vmutex_lock(&s->lock);
	ep->state = NS_TCP_CLOSE;
	memset(&ep->raddr, 0, sizeof(ep->raddr));
	ep->rport = 0;
	if (!ep->addr_locked) {
		memset(&ep->laddr, 0, sizeof(ep->laddr));
		if (ep->domain == AF_INET)
			ip_set_v4(&ep->laddr, 0);
	}
	if (!ep->port_locked) {
		ns_port_unbind_locked(ep);
		ep->lport = 0;
	}
	vmutex_unlock(&s->lock);
	ep->rt_valid = false;
	if (!ep->bound && ep->proto_ref)
		ep_release_proto(ep);
	return 0;
}

static int dgram_connect(struct ns_endpoint *ep, const struct ns_ip *addr, uint16_t port)
{
	/* ip4_datagram_connect / ip6_datagram_connect. */
	struct ns_ip dst = *addr;
	ns_any_to_loopback(ep, &dst);
	struct ns_rt rt;
	int r = dgram_route(ep, &dst, &rt);
	if (r)
		return r;
	r = autobind(ep);
	if (r)
		return r;
	struct ns_stack *s = ep->s;
	vmutex_lock(&s->lock);
	if (ip_is_any(&ep->laddr) || (ep->domain == AF_INET6 && ip_is_zero6(&ep->laddr)))
		ep->laddr = rt.src;
	ep->raddr = dst;
	ep->rport = is_ping(ep) ? 0 : port;
	ep->state = NS_TCP_ESTABLISHED;
	vmutex_unlock(&s->lock);
	ep->rt_valid = false;
	return 0;
}

static int dgram_shutdown(struct ns_endpoint *ep, int how)
{
	ep->shutdown |= (uint8_t)how;
	return ep->state == NS_TCP_CLOSE ? -ENOTCONN : 0;
}

static void dgram_close(struct ns_endpoint *ep)
{
	ns_dgram_purge(&D(ep)->rq);
	if (ep->proto_ref)
		ep_release_proto(ep);
}

static uint32_t dgram_poll(struct ns_endpoint *ep)
{
	return ns_dgram_poll(ep, &D(ep)->rq, true);
}

static ssize_t dgram_recv(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
			  struct ns_ip *from, uint16_t *fromport, int *msg_flags)
{
	return ns_dgram_recv(ep, &D(ep)->rq, iov, iovcnt, flags, from, fromport, msg_flags);
}

static void dgram_queues(struct ns_endpoint *ep, int *inq, int *outq, int *notsent)
{
	/* SIOCINQ on a datagram socket: the next datagram's length. */
	struct ns_pbuf *pb = D(ep)->rq.head;
	*inq = pb ? (int)pb->len : 0;
	*outq = 0;
	*notsent = 0;
}

static int dgram_info(struct ns_endpoint *ep, struct ns_ep_info *rows, int max, uint64_t now)
{
	(void)now;
	if (max < 1)
		return 0;
	ns_info_addrs(ep, rows);
	rows->state = ep->state;
	rows->rx_queue = D(ep)->rq.bytes;
	rows->drops = D(ep)->drops;
	return 1;
}

/* Common sending checks, in udp_sendmsg's order; *dst and *dport get the
 * destination. */
static int dgram_send_prepare(struct ns_endpoint *ep, const struct ns_ip *to, uint16_t toport,
			      struct ns_ip *dst, uint16_t *dport)
{
	if (to) {
		*dst = *to;
		*dport = toport;
		if (!is_ping(ep) && toport == 0)
			return -EINVAL;
	} else {
		if (ep->state != NS_TCP_ESTABLISHED)
			return -EDESTADDRREQ;
		*dst = ep->raddr;
		*dport = ep->rport;
	}
	ns_any_to_loopback(ep, dst);
	if (autobind(ep))
		return -EAGAIN; /* inet_send_prepare */
	return 0;
}

/* sock_alloc_send_pskb's checks: a pending error, then SEND_SHUTDOWN. */
static int send_state_error(struct ns_endpoint *ep)
{
	int err = ns_sock_error(ep);
	if (err)
		return err;
	if (ep->shutdown & NS_SEND_SHUTDOWN)
		return -EPIPE;
	return 0;
}

/* ---- UDP ---- */

static ssize_t udp_send(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, size_t total,
			int flags, const struct ns_ip *to, uint16_t toport)
{
	if (total > 0xffff)
		return -EMSGSIZE;
	if (flags & MSG_MORE) {
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
		return -EOPNOTSUPP; /* UDP corking is not provided */
	}
	struct ns_ip dst;
	uint16_t dport;
	int r = dgram_send_prepare(ep, to, toport, &dst, &dport);
	if (r)
		return r;
	struct ns_rt rt;
	r = dgram_route(ep, &dst, &rt);
	if (r)
		return r;
	if (ep->tx_src_set) {
		/* ip_cmsg_send's ipi_spec_dst: __ip_route_output_key takes a
		 * source only if it is ours (-EINVAL), and of the family. */
		if (ip_is_v4(&ep->tx_src) != ip_is_v4(&dst) ||
		    !ns_addr_is_local(ep->s, &ep->tx_src))
			return -EINVAL;
		rt.src = ep->tx_src;
	}
	/* ip_append_data: what one datagram can hold. */
	if (total + 8 + ns_ip_hdrlen(&dst) > (ip_is_v4(&dst) ? 0xffffu : 0xffffu + 40u))
		return -EMSGSIZE;
	/* Larger than the MTU: IPv4 fragments unless IP_PMTUDISC_DO or
	 * _PROBE forbid it (ip_append_data); IPv6 does not fragment here. */
	if (total + 8 + ns_ip_hdrlen(&dst) > rt.mtu &&
	    (!ip_is_v4(&dst) || ep->pmtudisc == IP_PMTUDISC_DO || ep->pmtudisc == IP_PMTUDISC_PROBE))
		return -EMSGSIZE;
	r = send_state_error(ep);
	if (r)
		return r;
	struct ns_pbuf *pb = ns_pbuf_alloc(8 + total);
	if (!pb)
		return -ENOBUFS;
	uint8_t *h = ns_pbuf_data(pb);
	uint32_t ulen = (uint32_t)(8 + total);
	put16(h, ep->lport);
	put16(h + 2, dport);
	put16(h + 4, (uint16_t)ulen);
	put16(h + 6, 0);
	ns_iov_copy_from(iov, iovcnt, 0, h + 8, total);
	pb->len = ulen;
	if (!(ip_is_v4(&dst) && ep->no_check)) {
		uint16_t c = csum_fold(csum_add(csum_pseudo(&rt.src, &dst, IPPROTO_UDP, ulen), h,
						ulen));
		put16(h + 6, c ? c : 0xffff);
	}
	ns_count(ep->s, NS_CTR_UDP_OUT_DATAGRAMS);
	r = ns_ip_output_frag(ep->s, &rt, &dst, IPPROTO_UDP, ns_ep_ttl(ep, &dst), ns_ep_tos(ep, &dst),
			      pb);
	if (r < 0 && r != -ENOBUFS)
		return r;
	return (ssize_t)total;
}

static void udp_deliver(struct ns_stack *s, struct ns_endpoint *ep, const struct ns_pktinfo *pi,
			struct ns_pbuf *pb)
{
	ep_lock(ep);
	int r = ep->closed ? -ENOBUFS : ns_dgram_enqueue(ep, &D(ep)->rq, pb);
	if (r) {
		D(ep)->drops++;
		ns_count(s, NS_CTR_UDP_RCVBUF_ERRORS);
	} else {
		ns_count(s, NS_CTR_UDP_IN_DATAGRAMS);
		ns_ep_notify(ep);
	}
	ep_unlock(ep);
	if (r)
		ns_pbuf_free(pb);
	(void)pi;
}

/* IP_PKTINFO's ipi_spec_dst (fib_compute_spec_dst): a datagram to one of
 * our addresses is answered from it; a broadcast from the receiving
 * interface's first IPv4 address. */
static uint32_t spec_dst(struct ns_stack *s, const struct ns_pktinfo *pi)
{
	if (!pi->to_broadcast || !pi->nic)
		return ip_v4(&pi->dst);
	uint32_t a = 0;
	vmutex_lock(&s->lock);
	for (int i = 0; i < pi->nic->naddrs; i++) {
		if (ip_is_v4(&pi->nic->addrs[i].addr)) {
			a = ip_v4(&pi->nic->addrs[i].addr);
			break;
		}
	}
	vmutex_unlock(&s->lock);
	return a;
}

void ns_udp_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb)
{
	enum ns_counter why;
	if (pi->l4len < 8) {
		why = NS_CTR_UDP_IN_TRUNCATED;
		goto drop;
	}
	uint32_t ulen = get16(pi->l4 + 4);
	if (ulen < 8 || ulen > pi->l4len) {
		why = NS_CTR_UDP_IN_BAD_LENGTH;
		goto drop;
	}
	uint16_t csum = get16(pi->l4 + 6);
	if (csum == 0 && pi->v6) { /* mandatory over IPv6 (RFC 8200) */
		why = NS_CTR_UDP_IN_CSUM_ERRORS;
		goto drop;
	}
	if (csum && !pi->csum_ok &&
	    csum_fold(csum_add(csum_pseudo(&pi->src, &pi->dst, IPPROTO_UDP, ulen), pi->l4, ulen))) {
		why = NS_CTR_UDP_IN_CSUM_ERRORS;
		goto drop;
	}
	uint16_t sport = get16(pi->l4), dport = get16(pi->l4 + 2);
	/* The payload, and its source for recvfrom. */
	pb->off = (uint32_t)(pi->l4 + 8 - pb->buf);
	pb->len = ulen - 8;
	memcpy(pb->addr, pi->src.b, 16);
	pb->port = sport;
	pb->tos = pi->tos;
	pb->ttl = pi->ttl;
	memcpy(pb->daddr, pi->dst.b, 16);
	pb->spec_dst = ip_is_v4(&pi->dst) ? spec_dst(s, pi) : 0;
	if (pi->to_broadcast) {
		struct ns_endpoint **eps;
		int n = ns_lookup_all(s, IPPROTO_UDP, &pi->dst, dport, pi->nic ? pi->nic->ifindex : 0,
					  &eps);
		for (int i = 0; i < n; i++) {
			struct ns_pbuf *copy = i + 1 < n ? ns_pbuf_from(ns_pbuf_data(pb), pb->len)
							 : pb;
			if (copy && copy != pb) {
				memcpy(copy->addr, pb->addr, 16);
				copy->port = pb->port;
				copy->tos = pb->tos;
				copy->ttl = pb->ttl;
				copy->ifindex = pb->ifindex;
				memcpy(copy->daddr, pb->daddr, 16);
				copy->spec_dst = pb->spec_dst;
			}
			if (copy)
				udp_deliver(s, eps[i], pi, copy);
			if (copy == pb)
				pb = NULL;
			ep_put(eps[i]);
		}
		if (n > 0)
			free(eps);
		else if (n == 0)
			free(eps);
		if (pb) {
			ns_count(s, NS_CTR_UDP_NO_PORTS);
			ns_pbuf_free(pb);
		}
		return;
	}
	struct ns_endpoint *ep = ns_lookup_dev(s, IPPROTO_UDP, &pi->src, sport, &pi->dst, dport,
					       pi->nic ? pi->nic->ifindex : 0);
	if (!ep) {
		ns_count(s, NS_CTR_UDP_NO_PORTS);
		ns_icmp_send_unreach(s, pi, 3 /* ICMP_PORT_UNREACH */, 4 /* ICMP6_DST_UNREACH_NOPORT */);
		ns_pbuf_free(pb);
		return;
	}
	udp_deliver(s, ep, pi, pb);
	ep_put(ep);
	return;
drop:
	ns_count(s, why);
	ns_pbuf_free(pb);
}

/* Record an ICMP error on a datagram endpoint (__udp4_lib_err): without
 * IP_RECVERR (IPV6_RECVERR for an IPv6 datagram) only hard errors, and
 * only on connected sockets; with it every error, which Linux also queues
 * on the error queue (not kept here: MSG_ERRQUEUE finds it empty). */
static void dgram_error(struct ns_endpoint *ep, const struct ns_icmp_err *e)
{
	ep_lock(ep);
	bool recverr = ip_is_v4(&e->dst) ? ep->recverr : ep->recverr6;
	if ((recverr || (e->fatal && ep->state == NS_TCP_ESTABLISHED)) && !ep->closed) {
		ep->so_error = e->err;
		ns_ep_notify(ep);
	}
	ep_unlock(ep);
}

void ns_udp_err(struct ns_stack *s, const struct ns_icmp_err *e)
{
	struct ns_endpoint *ep = ns_lookup(s, IPPROTO_UDP, &e->dst, e->dport, &e->src, e->sport);
	if (!ep)
		return;
	dgram_error(ep, e);
	ep_put(ep);
}

static int ip_level_set(struct ns_endpoint *ep, int level, int name, const void *val,
			socklen_t len);
static int ip_level_get(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len);

/* UDP and ping sockets differ only in how they send. */
#define DGRAM_PROTO(proto_, send_)                                                                 \
	{                                                                                          \
		.protocol = (proto_), .size = sizeof(struct dgram_ep), .init = dgram_init,         \
		.connect = dgram_connect, .disconnect = dgram_disconnect, .send = (send_),         \
		.recv = dgram_recv, .shutdown = dgram_shutdown, .close = dgram_close,              \
		.poll = dgram_poll, .setsockopt = ip_level_set, .getsockopt = ip_level_get,        \
		.queues = dgram_queues, .info = dgram_info, .destroy = dgram_destroy,              \
	}

const struct ns_proto ns_udp_proto = DGRAM_PROTO(IPPROTO_UDP, udp_send);

/* ---- ping sockets ---- */

static ssize_t ping_send(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt,
			 size_t total, int flags, const struct ns_ip *to, uint16_t toport)
{
	bool v6 = ep->domain == AF_INET6;
	if (to && (ip_is_v4(to) == v6))
		return v6 ? -EINVAL : -EAFNOSUPPORT;
	struct ns_ip dst;
	uint16_t dport;
	int r = dgram_send_prepare(ep, to, toport, &dst, &dport);
	if (r)
		return r;
	/* ping_common_sendmsg. */
	if (total > 0xffff)
		return -EMSGSIZE;
	if (total < 8)
		return -EINVAL;
	if (flags & MSG_MORE) {
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
		return -EOPNOTSUPP;
	}
	uint8_t hdr[8];
	ns_iov_copy_from(iov, iovcnt, 0, hdr, 8);
	if (hdr[0] != (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO) || hdr[1] != 0)
		return -EINVAL;
	struct ns_rt rt;
	r = dgram_route(ep, &dst, &rt);
	if (r)
		return r;
	if (total + ns_ip_hdrlen(&dst) > rt.mtu || total + ns_ip_hdrlen(&dst) > 0xffff)
		return -EMSGSIZE;
	r = send_state_error(ep);
	if (r)
		return r;
	struct ns_pbuf *pb = ns_pbuf_alloc(total);
	if (!pb)
		return -ENOBUFS;
	uint8_t *h = ns_pbuf_data(pb);
	ns_iov_copy_from(iov, iovcnt, 0, h, total);
	pb->len = (uint32_t)total;
	put16(h + 4, ep->lport); /* the identifier is the socket's */
	put16(h + 2, 0);
	uint32_t sum = v6 ? csum_pseudo(&rt.src, &dst, IPPROTO_ICMPV6, (uint32_t)total) : 0;
	put16(h + 2, csum_fold(csum_add(sum, h, total)));
	ns_count(ep->s, v6 ? NS_CTR_ICMP6_OUT_ECHOS : NS_CTR_ICMP_OUT_ECHOS);
	r = ns_ip_output(ep->s, &rt, &dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, ns_ep_ttl(ep, &dst),
			 ns_ep_tos(ep, &dst), pb);
	if (r < 0 && r != -ENOBUFS)
		return r;
	return (ssize_t)total;
}

void ns_ping_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb, uint16_t ident)
{
	struct ns_endpoint *ep = ns_lookup_dev(s, IPPROTO_ICMP, &pi->src, 0, &pi->dst, ident,
					       pi->nic ? pi->nic->ifindex : 0);
	if (!ep) {
		ns_count(s, NS_CTR_PING_NO_SOCKET);
		ns_pbuf_free(pb);
		return;
	}
	pb->off = (uint32_t)(pi->l4 - pb->buf);
	pb->len = pi->l4len;
	memcpy(pb->addr, pi->src.b, 16);
	pb->port = 0;
	pb->tos = pi->tos;
	pb->ttl = pi->ttl;
	memcpy(pb->daddr, pi->dst.b, 16);
	pb->spec_dst = ip_is_v4(&pi->dst) ? spec_dst(s, pi) : 0;
	ep_lock(ep);
	int r = ep->closed ? -ENOBUFS : ns_dgram_enqueue(ep, &D(ep)->rq, pb);
	if (r) {
		D(ep)->drops++;
		ns_count(s, NS_CTR_PING_RCVBUF_ERRORS);
	} else {
		ns_ep_notify(ep);
	}
	ep_unlock(ep);
	if (r)
		ns_pbuf_free(pb);
	ep_put(ep);
}

void ns_ping_err(struct ns_stack *s, bool v6, const struct ns_icmp_err *e, uint16_t ident)
{
	(void)v6;
	struct ns_endpoint *ep = ns_lookup(s, IPPROTO_ICMP, &e->dst, 0, &e->src, ident);
	if (!ep)
		return;
	dgram_error(ep, e);
	ep_put(ep);
}

const struct ns_proto ns_ping_proto = DGRAM_PROTO(IPPROTO_ICMP, ping_send);

/* ---- SOL_IP / SOL_IPV6 (shared with TCP through ns_ip_sockopt_*) ---- */

int ns_ip_sockopt_set(struct ns_endpoint *ep, int level, int name, const void *val,
		      socklen_t len);
int ns_ip_sockopt_get(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len);

int ns_ip_sockopt_set(struct ns_endpoint *ep, int level, int name, const void *val, socklen_t len)
{
	int v = 0;
	if (level == SOL_IP) {
		if (ep->domain != AF_INET && ep->domain != AF_INET6)
			return -ENOPROTOOPT;
		/* do_ip_setsockopt reads an int, or a single byte; an empty
		 * option is 0. */
		if (len >= sizeof(int))
			memcpy(&v, val, sizeof(int));
		else if (len >= 1)
			v = *(const uint8_t *)val;
		switch (name) {
		case IP_TOS: {
			/* TCP owns the ECN bits.  An AF_INET6 socket keeps it for
			 * its IPv4 traffic (Erlang's inet driver copies it onto
			 * every accepted socket and drops one that refuses). */
			uint8_t tos = (uint8_t)(ep->protocol == IPPROTO_TCP ? (v & 0xfc) : v);
			if (ep->domain == AF_INET6)
				ep->tos4 = tos;
			else
				ep->tos = tos;
			return 0;
		}
		case IP_TTL:
			if (v != -1 && (v < 1 || v > 255))
				return -EINVAL;
			ep->ttl = (uint8_t)(v == -1 ? 0 : v);
			return 0;
		case IP_MTU_DISCOVER:
			if (v < IP_PMTUDISC_DONT || v > IP_PMTUDISC_OMIT)
				return -EINVAL;
			ep->pmtudisc = (uint8_t)v;
			return 0;
		case IP_RECVTOS:
			ep->recvtos = v != 0;
			return 0;
		case IP_RECVTTL:
			ep->recvttl = v != 0;
			return 0;
		case IP_PKTINFO:
			ep->pktinfo = v != 0;
			return 0;
		case IP_RECVERR:
			ep->recverr = v != 0;
			return 0;
		case IP_RECVOPTS:
			ep->recvopts = v != 0;
			return 0;
		case IP_RETOPTS:
			ep->retopts = v != 0;
			return 0;
		}
		return -ENOPROTOOPT;
	}
	if (level == SOL_IPV6) {
		if (ep->domain != AF_INET6)
			return -ENOPROTOOPT;
		if (len < sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(int));
		switch (name) {
		case IPV6_V6ONLY:
			/* Only before a port is bound (do_ipv6_setsockopt). */
			if (ep->lport)
				return -EINVAL;
			vmutex_lock(&ep->s->lock);
			ep->v6only = v != 0;
			vmutex_unlock(&ep->s->lock);
			return 0;
		case IPV6_UNICAST_HOPS:
			if (v > 255 || v < -1)
				return -EINVAL;
			ep->ttl = (uint8_t)(v == -1 ? 0 : v);
			return 0;
		case IPV6_TCLASS:
			if (v > 255 || v < -1)
				return -EINVAL;
			ep->tos = (uint8_t)(v == -1 ? 0 : v);
			return 0;
		case IPV6_MTU_DISCOVER:
			if (v < IPV6_PMTUDISC_DONT || v > IPV6_PMTUDISC_OMIT)
				return -EINVAL;
			ep->pmtudisc = (uint8_t)v;
			return 0;
		case IPV6_RECVTCLASS:
			ep->recvtos = v != 0;
			return 0;
		case IPV6_RECVPKTINFO:
			ep->recvpktinfo6 = v != 0;
			return 0;
		case IPV6_RECVERR:
			ep->recverr6 = v != 0;
			return 0;
		case IPV6_RECVHOPLIMIT:
			ep->recvhoplimit = v != 0;
			return 0;
		}
		return -ENOPROTOOPT;
	}
	return -ENOPROTOOPT;
}

int ns_ip_sockopt_get(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len)
{
	int v;
	if (level == SOL_IP) {
		switch (name) {
		case IP_TOS:
			v = ep->domain == AF_INET6 ? ep->tos4 : ep->tos;
			break;
		case IP_TTL:
			v = ep->ttl ? ep->ttl : ep->s->sysctl.ip_default_ttl;
			break;
		case IP_MTU_DISCOVER:
			v = ep->pmtudisc;
			break;
		case IP_RECVTOS:
			v = ep->recvtos;
			break;
		case IP_RECVTTL:
			v = ep->recvttl;
			break;
		case IP_PKTINFO:
			v = ep->pktinfo;
			break;
		case IP_RECVERR:
			v = ep->recverr;
			break;
		case IP_RECVOPTS:
			v = ep->recvopts;
			break;
		case IP_RETOPTS:
			v = ep->retopts;
			break;
		case IP_MTU:
			if (ep->state != NS_TCP_ESTABLISHED && ep->protocol != IPPROTO_TCP)
				return -ENOTCONN;
			if (!ep->rport && ep->protocol == IPPROTO_TCP)
				return -ENOTCONN;
			v = ep->rt_valid ? (int)ep->rt.mtu : NS_LOOPBACK_MTU;
			break;
		default:
			return -ENOPROTOOPT;
		}
		/* do_ip_getsockopt: a short buffer gets one byte. */
		if ((int)*len < 0)
			return -EINVAL;
		if (*len < sizeof(int) && *len > 0 && v >= 0 && v <= 255) {
			*(uint8_t *)val = (uint8_t)v;
			*len = 1;
			return 0;
		}
		return ns_sockopt_put_int(val, len, v);
	}
	if (level == SOL_IPV6) {
		if (ep->domain != AF_INET6)
			return -ENOPROTOOPT;
		switch (name) {
		case IPV6_V6ONLY:
			v = ep->v6only;
			break;
		case IPV6_UNICAST_HOPS:
			v = ep->ttl ? ep->ttl : ep->s->sysctl.ip_default_ttl;
			break;
		case IPV6_TCLASS:
			v = ep->tos;
			break;
		case IPV6_MTU_DISCOVER:
			v = ep->pmtudisc;
			break;
		case IPV6_RECVTCLASS:
			v = ep->recvtos;
			break;
		case IPV6_RECVPKTINFO:
			v = ep->recvpktinfo6;
			break;
		case IPV6_RECVERR:
			v = ep->recverr6;
			break;
		case IPV6_RECVHOPLIMIT:
			v = ep->recvhoplimit;
			break;
		default:
			return -ENOPROTOOPT;
		}
		return ns_sockopt_put_int(val, len, v);
	}
	return -ENOPROTOOPT;
}

static int ip_level_set(struct ns_endpoint *ep, int level, int name, const void *val,
			socklen_t len)
{
	return ns_ip_sockopt_set(ep, level, name, val, len);
}

static int ip_level_get(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len)
{
	return ns_ip_sockopt_get(ep, level, name, val, len);
}
