/*
 * tcp.c — TCP endpoints: the socket calls (connect, listen, accept, send,
 * shutdown, close; receiving is tcp_recv.c) with Linux's state rules and
 * errors, readiness (tcp_poll), the timers (retransmission, SYN, zero-window probe, delayed
 * ACK, keepalive, FIN_WAIT2, TIME_WAIT, the listener's SYN-ACKs), the
 * SOL_TCP options, TCP_INFO and /proc rows.
 *
 * Everything here runs under the endpoint's lock; segments are built in
 * tcp_output.c and parsed in tcp_input.c.
 */
#include "netstack/tcp.h"

#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>

int ns_ip_sockopt_set(struct ns_endpoint *ep, int level, int name, const void *val,
		      socklen_t len);
int ns_ip_sockopt_get(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len);
void tcp_listener_arm(struct tcp_ep *lp);

#define TCP_MIN_MSS 88
#define MAX_TCP_KEEPIDLE 32767
#define MAX_TCP_KEEPINTVL 32767
#define MAX_TCP_KEEPCNT 127
#define MAX_TCP_SYNCNT 127

/* ---- buffers and small helpers ---- */

uint32_t tcp_rcvbuf(const struct tcp_ep *tp)
{
	return tp->ep.rcvbuf;
}

uint32_t tcp_sndbuf(const struct tcp_ep *tp)
{
	return tp->ep.sndbuf;
}

void tcp_sndbuf_expand(struct tcp_ep *tp)
{
	/* tcp_sndbuf_expand: room for about two windows' worth. */
	struct ns_endpoint *ep = &tp->ep;
	if (ep->sndbuf_locked)
		return;
	uint64_t want = 3ull * tp->cwnd;
	uint32_t max = ep->s->sysctl.tcp_wmem[2];
	if (want > max)
		want = max;
	if (want > ep->sndbuf) {
		ep->sndbuf = (uint32_t)want;
		ns_ep_notify(ep);
	}
}

uint8_t tcp_rcv_wscale(const struct ns_stack *s, uint32_t rcvbuf, bool locked)
{
	/* tcp_select_initial_window: scale for the largest window the buffer
	 * may grow to. */
	uint32_t space = rcvbuf;
	if (!locked && space < s->sysctl.tcp_rmem[2])
		space = s->sysctl.tcp_rmem[2];
	if (!locked && space < s->sysctl.rmem_max)
		space = s->sysctl.rmem_max;
	int ws = 0;
	while (ws < TCP_MAX_WSCALE && (65535u << ws) < space)
		ws++;
	return (uint8_t)ws;
}

uint32_t tcp_keepidle_secs(const struct tcp_ep *tp)
{
	uint32_t v = tp->keepidle ? tp->keepidle : tp->ep.s->sysctl.tcp_keepalive_time;
	return v;
}

static uint64_t keepintvl_ns(const struct tcp_ep *tp)
{
	uint32_t v = tp->keepintvl ? tp->keepintvl : tp->ep.s->sysctl.tcp_keepalive_intvl;
	return (uint64_t)v * NS_NSEC_PER_SEC;
}

static uint32_t keepcnt(const struct tcp_ep *tp)
{
	return tp->keepcnt ? tp->keepcnt : tp->ep.s->sysctl.tcp_keepalive_probes;
}

static void keepalive_arm(struct tcp_ep *tp, uint64_t now);

void tcp_set_state(struct tcp_ep *tp, int state)
{
	tp->ep.state = (uint8_t)state;
	if (state == NS_TCP_ESTABLISHED && tp->ep.keepalive)
		keepalive_arm(tp, ns_now(tp->ep.s));
}

void tcp_rearm(struct tcp_ep *tp)
{
	uint64_t d = tp->t_rtx;
	if (tp->t_delack < d)
		d = tp->t_delack;
	if (tp->t_keep < d)
		d = tp->t_keep;
	if (d != tp->ep.deadline || (d != NS_TIME_NEVER && tp->ep.heap_idx < 0))
		ns_timer_arm(&tp->ep, d);
}

static void keepalive_arm(struct tcp_ep *tp, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	if (!ep->keepalive || (ep->state != NS_TCP_ESTABLISHED && ep->state != NS_TCP_CLOSE_WAIT &&
			       ep->state != NS_TCP_FIN_WAIT1 && ep->state != NS_TCP_FIN_WAIT2)) {
		if (ep->state == NS_TCP_ESTABLISHED || ep->state == NS_TCP_CLOSE_WAIT)
			tp->t_keep = NS_TIME_NEVER;
		return;
	}
	uint64_t last = tp->last_rcv > tp->last_ack_rcv ? tp->last_rcv : tp->last_ack_rcv;
	if (!last)
		last = now;
	tp->t_keep = last + (uint64_t)tcp_keepidle_secs(tp) * NS_NSEC_PER_SEC;
}

/* ---- endings ---- */

void tcp_done(struct tcp_ep *tp)
{
	struct ns_endpoint *ep = &tp->ep;
	struct ns_stack *s = ep->s;
	tcp_set_state(tp, NS_TCP_CLOSE);
	ep->shutdown = NS_SHUTDOWN_MASK;
	tp->t_rtx = tp->t_delack = tp->t_keep = NS_TIME_NEVER;
	tp->persist = false;
	tcp_queue_purge(&tp->sndq);
	tcp_queue_purge(&tp->ooo);
	vmutex_lock(&s->lock);
	ns_conn_unhash_locked(ep);
	ep->tw = false;
	if (!ep->port_locked)
		ns_port_unbind_locked(ep);
	vmutex_unlock(&s->lock);
	ep->rt_valid = false;
	if (ep->closed || !ep->bound)
		ep_release_proto(ep);
	else
		ns_timer_cancel(ep);
	ns_ep_notify(ep);
}

void tcp_abort(struct tcp_ep *tp, int err, bool send_rst)
{
	struct ns_endpoint *ep = &tp->ep;
	int st = ep->state;
	if (send_rst && st != NS_TCP_LISTEN && st != NS_TCP_SYN_SENT && st != NS_TCP_CLOSE &&
	    st != NS_TCP_TIME_WAIT)
		tcp_send_rst_for(tp, ns_now(ep->s));
	if (err)
		ep->so_error = err;
	tcp_done(tp);
}

void tcp_enter_time_wait(struct tcp_ep *tp, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	struct ns_stack *s = ep->s;
	tcp_set_state(tp, NS_TCP_TIME_WAIT);
	tp->t_rtx = tp->t_delack = NS_TIME_NEVER;
	tp->persist = false;
	tp->t_keep = now + TCP_TIMEWAIT_NS;
	tcp_queue_purge(&tp->sndq);
	tcp_queue_purge(&tp->ooo);
	vmutex_lock(&s->lock);
	ep->tw = true;
	ep->tw_has_ts = tp->ts_ok;
	ep->tw_snd_nxt = tp->snd_nxt;
	ep->tw_ts_stamp = tp->ts_recent_stamp;
	vmutex_unlock(&s->lock);
	ns_ep_notify(ep);
	tcp_rearm(tp);
}

/* ---- listeners ---- */

/* Stop listening: pending requests are forgotten, unaccepted children
 * are put on the reap list to be reset after ep's lock is dropped. */
static void listen_stop(struct tcp_ep *tp)
{
	struct tcp_listen *lq = tp->lq;
	if (!lq)
		return;
	struct tcp_request *rq = lq->req;
	while (rq) {
		struct tcp_request *n = rq->next;
		free(rq);
		rq = n;
	}
	if (lq->acc_tail) {
		lq->acc_tail->acc_next = tp->acc_next;
		tp->acc_next = lq->acc_head; /* the reap list hangs here */
	}
	free(lq);
	tp->lq = NULL;
	vmutex_lock(&tp->ep.s->lock);
	tp->ep.listening = false;
	vmutex_unlock(&tp->ep.s->lock);
}

static void tcp_reap(struct ns_endpoint *ep)
{
	ep_lock(ep);
	struct tcp_ep *list = T(ep)->ep.state == NS_TCP_LISTEN ? NULL : T(ep)->acc_next;
	if (list)
		T(ep)->acc_next = NULL;
	struct tcp_ep *victim = T(ep)->tw_victim;
	T(ep)->tw_victim = NULL;
	ep_unlock(ep);
	if (victim) {
		/* A TIME_WAIT whose 4-tuple a new connection took: gone now, as
		 * Linux's inet_twsk_deschedule_put, not in 60 s. */
		ep_lock(&victim->ep);
		if (victim->ep.state == NS_TCP_TIME_WAIT)
			tcp_done(victim);
		ep_unlock(&victim->ep);
		ep_put(&victim->ep);
	}
	while (list) {
		struct tcp_ep *c = list;
		list = c->acc_next;
		c->acc_next = NULL;
		ep_lock(&c->ep);
		c->ep.closed = true;
		c->ep.user = NULL;
		tcp_rcvq_purge(c);
		if (c->ep.state != NS_TCP_CLOSE)
			tcp_abort(c, 0, true);
		else if (c->ep.proto_ref)
			ep_release_proto(&c->ep);
		ep_unlock(&c->ep);
		ns_stack_kick(ep->s);
		ep_put(&c->ep);
	}
}

void tcp_listener_arm(struct tcp_ep *lp)
{
	uint64_t d = NS_TIME_NEVER;
	for (struct tcp_request *rq = lp->lq ? lp->lq->req : NULL; rq; rq = rq->next)
		if (rq->deadline < d)
			d = rq->deadline;
	lp->t_rtx = d;
	tcp_rearm(lp);
}

/* TCP_DEFER_ACCEPT's seconds <-> SYN-ACK timeouts (secs_to_retrans and
 * retrans_to_secs with TCP_TIMEOUT_INIT 1 s, TCP_RTO_MAX 120 s). */
static uint32_t secs_to_retrans(int secs)
{
	uint32_t res = 0;
	if (secs > 0) {
		int timeout = 1, period = 1;
		res = 1;
		while (secs > period && res < 255) {
			res++;
			timeout = timeout * 2 > 120 ? 120 : timeout * 2;
			period += timeout;
		}
	}
	return res;
}

static int retrans_to_secs(uint32_t retrans)
{
	int period = 0;
	if (retrans > 0) {
		int timeout = 1;
		period = 1;
		while (--retrans) {
			timeout = timeout * 2 > 120 ? 120 : timeout * 2;
			period += timeout;
		}
	}
	return period;
}

static void listener_timer(struct tcp_ep *lp, uint64_t now)
{
	struct ns_stack *s = lp->ep.s;
	struct tcp_request **pp = &lp->lq->req;
	while (*pp) {
		struct tcp_request *rq = *pp;
		if (rq->deadline > now) {
			pp = &rq->next;
			continue;
		}
		/* syn_ack_recalc: a request whose ACK TCP_DEFER_ACCEPT
		 * dropped lives until the deferring ends, and gets no SYN-ACK
		 * before its last timeout, which gives the client a last
		 * chance to complete it with a bare ACK. */
		uint32_t defer = rq->acked ? lp->defer_accept : 0;
		if (rq->retrans >= s->sysctl.tcp_synack_retries && (!defer || rq->retrans >= defer)) {
			*pp = rq->next;
			lp->lq->nreq--;
			free(rq);
			continue;
		}
		bool resend = !defer || (uint32_t)rq->retrans + 1 >= defer;
		rq->retrans++;
		/* reqsk_timeout: doubling, at most TCP_RTO_MAX (120 s; a long
		 * TCP_DEFER_ACCEPT reaches it). */
		uint64_t max = (uint64_t)TCP_RTO_MAX_US * 1000;
		uint64_t rto = rq->retrans < 7 ? (uint64_t)TCP_TIMEOUT_INIT_US * 1000 << rq->retrans : max;
		rq->deadline = now + (rto < max ? rto : max);
		if (resend)
			tcp_send_synack_req(s, lp, rq, now);
		pp = &rq->next;
	}
	tcp_listener_arm(lp);
}

struct tcp_ep *tcp_child_new(struct tcp_ep *lp, const struct tcp_request *rq, uint64_t now)
{
	struct ns_endpoint *cep = ns_ep_new_child(&lp->ep);
	if (!cep)
		return NULL;
	struct tcp_ep *c = T(cep);
	cep->laddr = rq->laddr;
	cep->raddr = rq->raddr;
	cep->lport = rq->lport;
	cep->rport = rq->rport;
	cep->sock_state = NS_SS_CONNECTED;
	c->passive = true;
	c->iss = rq->iss;
	c->irs = rq->irs;
	c->snd_una = c->snd_nxt = c->snd_max = rq->iss + 1;
	c->snd_sml = c->snd_una;
	c->high_rxt = c->snd_una;
	c->rcv_nxt = c->rcv_wup = rq->irs + 1;
	uint32_t buf = tcp_rcvbuf(c);
	c->rcv_adv = c->rcv_nxt + (buf > 65535 ? 65535 : buf);
	c->snd_wl1 = rq->irs;
	c->snd_wl2 = rq->iss;
	c->sack_ok = rq->sack_ok;
	c->ts_ok = rq->ts_ok;
	c->ws_ok = rq->ws_ok;
	c->snd_wscale = rq->snd_wscale;
	c->rcv_wscale = rq->rcv_wscale;
	c->ts_recent = rq->ts_recent;
	c->ts_recent_stamp = now;
	c->ts_offset = tcp_ts_offset(cep->s, &rq->laddr, &rq->raddr);
	c->peer_mss = rq->peer_mss;
	c->nodelay = lp->nodelay;
	c->cork = lp->cork;
	c->keepidle = lp->keepidle;
	c->keepintvl = lp->keepintvl;
	c->keepcnt = lp->keepcnt;
	c->user_timeout_ms = lp->user_timeout_ms;
	c->linger2 = lp->linger2;
	c->user_mss = lp->user_mss;
	c->window_clamp = lp->window_clamp;
	c->syncnt = lp->syncnt;
	struct ns_rt rt;
	ns_ep_route(cep, &cep->raddr, &rt);
	c->advmss = tcp_mss_for(c, cep->rt_valid ? cep->rt.mtu : NS_LOOPBACK_MTU,
				ip_is_v4(&cep->raddr));
	tcp_update_mss(c);
	c->rcv_mss = c->mss < 536 ? c->mss : 536;
	c->cwnd = TCP_INIT_CWND * c->mss;
	tcp_sndbuf_expand(c);
	c->last_rcv = now;
	tcp_set_state(c, NS_TCP_ESTABLISHED);
	keepalive_arm(c, now);
	return c;
}

/* ---- the socket calls ---- */

/* The connection state of a fresh socket (what is not zero). */
static void tcp_reset_state(struct tcp_ep *tp)
{
	tp->t_rtx = tp->t_delack = tp->t_keep = NS_TIME_NEVER;
	tp->rto_us = TCP_TIMEOUT_INIT_US;
	tp->mss = 536; /* TCP_MSS_DEFAULT until connected */
	tp->rcv_mss = 536;
	tp->ato_us = (uint32_t)(TCP_DELACK_MIN_NS / 1000);
	tp->quickacks = TCP_QUICKACKS;
	tp->ssthresh = UINT32_MAX / 2;
}

static void tcp_init(struct ns_endpoint *ep)
{
	struct ns_stack *s = ep->s;
	ep->rcvbuf = s->sysctl.tcp_rmem[1];
	ep->sndbuf = s->sysctl.tcp_wmem[1];
	tcp_reset_state(T(ep));
}

static void tcp_destroy(struct ns_endpoint *ep)
{
	struct tcp_ep *tp = T(ep);
	tcp_queue_purge(&tp->sndq);
	tcp_queue_purge(&tp->rcvq);
	tcp_queue_purge(&tp->ooo);
	ns_pbuf_free_chain(tp->rx_purged);
	tp->rx_purged = NULL;
	if (tp->lq) {
		struct tcp_request *rq = tp->lq->req;
		while (rq) {
			struct tcp_request *n = rq->next;
			free(rq);
			rq = n;
		}
		free(tp->lq);
		tp->lq = NULL;
	}
}

/* tcp_disconnect: back to a fresh, unconnected socket. */
static int tcp_disconnect(struct ns_endpoint *ep)
{
	struct tcp_ep *tp = T(ep);
	int st = ep->state;
	if (st == NS_TCP_LISTEN) {
		listen_stop(tp);
	} else if (st == NS_TCP_ESTABLISHED || st == NS_TCP_CLOSE_WAIT ||
		   st == NS_TCP_FIN_WAIT1 || st == NS_TCP_FIN_WAIT2 || st == NS_TCP_SYN_RECV ||
		   st == NS_TCP_CLOSING || st == NS_TCP_LAST_ACK) {
		tcp_send_rst_for(tp, ns_now(ep->s));
	}
	if (st != NS_TCP_CLOSE)
		tcp_done(tp);
	tcp_rcvq_purge(tp);
	struct ns_stack *s = ep->s;
	vmutex_lock(&s->lock);
	if (!ep->addr_locked) {
		memset(&ep->laddr, 0, sizeof(ep->laddr));
		if (ep->domain == AF_INET)
			ip_set_v4(&ep->laddr, 0);
	}
	memset(&ep->raddr, 0, sizeof(ep->raddr));
	ep->rport = 0;
	vmutex_unlock(&s->lock);
	ep->shutdown = 0;
	ep->sock_state = NS_SS_UNCONNECTED;
	/* A fresh TCP state for the next connect; the options (before iss)
	 * stay, and so does a pin the owner holds (tcp_recv_unpin frees
	 * the buffers it parked). */
	bool pinned = tp->rx_pinned;
	struct ns_pbuf *purged = tp->rx_purged;
	size_t off = offsetof(struct tcp_ep, iss);
	memset((uint8_t *)tp + off, 0, sizeof(*tp) - off);
	tp->rx_pinned = pinned;
	tp->rx_purged = purged;
	tcp_reset_state(tp);
	ns_ep_notify(ep);
	return 0;
}

static int tcp_connect(struct ns_endpoint *ep, const struct ns_ip *addr, uint16_t port)
{
	struct tcp_ep *tp = T(ep);
	struct ns_stack *s = ep->s;
	/* __inet_stream_connect, by socket state. */
	switch (ep->sock_state) {
	case NS_SS_CONNECTED:
		return -EISCONN;
	case NS_SS_CONNECTING:
		if (ep->state == NS_TCP_SYN_SENT || ep->state == NS_TCP_SYN_RECV)
			return -EALREADY;
		if (ep->state == NS_TCP_CLOSE) {
			int err = ns_sock_error(ep);
			ep->sock_state = NS_SS_UNCONNECTED;
			tcp_disconnect(ep);
			return err ? err : -ECONNABORTED;
		}
		ep->sock_state = NS_SS_CONNECTED;
		return 0;
	case NS_SS_DISCONNECTING:
		return -EINVAL;
	}
	if (ep->state != NS_TCP_CLOSE)
		return -EISCONN;
	/* tcp_v4_connect / tcp_v6_connect. */
	struct ns_ip dst = *addr;
	if (ep->domain == AF_INET6 && ip_is_v4(&dst) && ep->v6only)
		return -ENETUNREACH;
	if (ep->domain == AF_INET6 && ip_is_v4(&dst) && !ip_is_zero6(&ep->laddr) &&
	    !ip_is_v4(&ep->laddr))
		return -ENETUNREACH;
	if (ep->domain == AF_INET6 && !ip_is_v4(&dst) && ip_is_v4(&ep->laddr) &&
	    !ip_is_any(&ep->laddr))
		return -ENETUNREACH;
	ns_any_to_loopback(ep, &dst);
	if (ip_is_multicast(&dst) || (ip_is_v4(&dst) && ns_addr_is_broadcast(s, &dst)))
		return -ENETUNREACH;
	ep->rt_valid = false;
	struct ns_rt rt;
	int r = ns_route_lookup(s, &dst, &ep->laddr, &rt);
	if (r) {
		ns_count(s, NS_CTR_IP_OUT_NO_ROUTES);
		return r;
	}
	struct ns_endpoint *victim = NULL;
	r = ns_port_connect(ep, &rt.src, &dst, port, &victim);
	if (r)
		return r;
	ep_hold_proto(ep);
	uint64_t now = ns_now(s);
	tp->iss = tcp_iss(s, &ep->laddr, ep->lport, &ep->raddr, ep->rport, now);
	if (victim) {
		/* tcp_twsk_unique: start above the old connection. */
		uint32_t floor = victim->tw_snd_nxt + 65535 + 2;
		if (SEQ_LT(tp->iss, floor))
			tp->iss = floor;
		ns_count(s, NS_CTR_TCP_TW_REUSED);
		/* Finished by tcp_reap once our lock is dropped (the reference
		 * goes with it). */
		tp->tw_victim = T(victim);
	}
	tp->snd_una = tp->snd_nxt = tp->snd_max = tp->iss;
	tp->snd_sml = tp->high_rxt = tp->iss;
	tp->ts_offset = tcp_ts_offset(s, &ep->laddr, &ep->raddr);
	tp->sack_ok = s->sysctl.tcp_sack;
	tp->ts_ok = s->sysctl.tcp_timestamps;
	tp->ws_ok = s->sysctl.tcp_window_scaling;
	tp->rcv_wscale = tp->ws_ok ? tcp_rcv_wscale(s, tcp_rcvbuf(tp), ep->rcvbuf_locked) : 0;
	ns_ep_route(ep, &ep->raddr, &rt);
	tp->advmss = tcp_mss_for(tp, rt.mtu, ip_is_v4(&ep->raddr));
	if (tp->user_mss && tp->user_mss < tp->advmss)
		tp->advmss = tp->user_mss;
	tp->peer_mss = 0;
	tcp_update_mss(tp);
	tp->cwnd = TCP_INIT_CWND * tp->mss;
	tp->rto_us = TCP_TIMEOUT_INIT_US;
	tp->backoff = 0;
	tp->retransmits = 0;
	tp->rtx_start = 0;
	ep->shutdown = 0;
	tcp_set_state(tp, NS_TCP_SYN_SENT);
	ep->sock_state = NS_SS_CONNECTING;
	ns_count(s, NS_CTR_TCP_ACTIVE_OPENS);
	tcp_send_syn(tp, now, false);
	tcp_rearm(tp);
	return -EINPROGRESS;
}

static int tcp_listen(struct ns_endpoint *ep, int backlog)
{
	struct tcp_ep *tp = T(ep);
	struct ns_stack *s = ep->s;
	/* inet_listen. */
	if (ep->sock_state != NS_SS_UNCONNECTED)
		return -EINVAL;
	if (ep->state != NS_TCP_CLOSE && ep->state != NS_TCP_LISTEN)
		return -EINVAL;
	if ((unsigned int)backlog > s->sysctl.somaxconn)
		backlog = (int)s->sysctl.somaxconn;
	if (ep->state == NS_TCP_LISTEN) {
		tp->lq->backlog = backlog;
		return 0;
	}
	int r;
	if (!ep->lport) {
		r = ns_port_bind(ep, 0);
		if (r)
			return r;
		vmutex_lock(&s->lock);
		ep->listening = true;
		vmutex_unlock(&s->lock);
	} else {
		r = ns_port_listen(ep);
		if (r)
			return r;
	}
	tp->lq = calloc(1, sizeof(*tp->lq));
	if (!tp->lq) {
		vmutex_lock(&s->lock);
		ep->listening = false;
		vmutex_unlock(&s->lock);
		return -ENOMEM;
	}
	tp->lq->backlog = backlog;
	ep_hold_proto(ep);
	tcp_set_state(tp, NS_TCP_LISTEN);
	return 0;
}

static int tcp_accept(struct ns_endpoint *ep, struct ns_endpoint **child)
{
	struct tcp_ep *tp = T(ep);
	if (ep->state != NS_TCP_LISTEN || !tp->lq)
		return -EINVAL;
	struct tcp_listen *lq = tp->lq;
	struct tcp_ep *c = lq->acc_head;
	if (!c)
		return -EAGAIN;
	lq->acc_head = c->acc_next;
	if (!lq->acc_head)
		lq->acc_tail = NULL;
	c->acc_next = NULL;
	lq->qlen--;
	c->accepted = true;
	*child = &c->ep;
	return 0;
}

static bool sendable_state(int st)
{
	return st == NS_TCP_ESTABLISHED || st == NS_TCP_CLOSE_WAIT;
}

static bool writable(const struct tcp_ep *tp)
{
	uint32_t buf = tcp_sndbuf(tp);
	uint32_t q = tp->sndq.bytes;
	return buf > q && buf - q >= q / 2;
}

/* Append n bytes of the iovec (from off) to the send queue. */
static uint32_t sndq_append(struct tcp_ep *tp, const struct iovec *iov, int iovcnt, size_t off,
			    uint32_t n)
{
	struct tcp_queue *q = &tp->sndq;
	uint32_t done = 0;
	while (done < n) {
		struct ns_pbuf *t = q->tail;
		uint32_t room = t ? t->cap - (t->off + t->len) : 0;
		if (room == 0) {
			uint32_t left = n - done;
			size_t want = left >= 65536 ? 65536 : (left >= 8192 ? 16384 - NS_PBUF_HEADROOM
									   : 2048 - NS_PBUF_HEADROOM);
			t = ns_pbuf_alloc(want);
			if (!t)
				break;
			t->off = 0; /* a data chunk needs no headroom */
			t->next = NULL;
			if (q->tail)
				q->tail->next = t;
			else
				q->head = t;
			q->tail = t;
			q->truesize += t->cap;
			room = t->cap;
		}
		uint32_t k = n - done < room ? n - done : room;
		ns_iov_copy_from(iov, iovcnt, off + done, t->buf + t->off + t->len, k);
		t->len += k;
		q->bytes += k;
		done += k;
	}
	return done;
}

static ssize_t tcp_send(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, size_t total,
			int flags, const struct ns_ip *to, uint16_t toport)
{
	(void)to, (void)toport;
	struct tcp_ep *tp = T(ep);
	/* MSG_FASTOPEN's connect is the caller's (it may wait); here it is a
	 * plain send. */
	/* tcp_sendmsg_locked: wait for the connection (sk_stream_wait_connect). */
	if (!sendable_state(ep->state)) {
		int err = ns_sock_error(ep);
		if (err)
			return err;
		if (ep->state == NS_TCP_SYN_SENT || ep->state == NS_TCP_SYN_RECV)
			return -EAGAIN;
		return -EPIPE;
	}
	if (ep->so_error || (ep->shutdown & NS_SEND_SHUTDOWN)) {
		int err = ns_sock_error(ep);
		return err ? err : -EPIPE;
	}
	if (total == 0)
		return 0;
	uint32_t buf = tcp_sndbuf(tp);
	uint32_t room = buf > tp->sndq.bytes ? buf - tp->sndq.bytes : 0;
	if (room == 0)
		return -EAGAIN;
	uint32_t n = total < room ? (uint32_t)total : room;
	n = sndq_append(tp, iov, iovcnt, 0, n);
	if (n == 0)
		return -ENOBUFS;
	tp->defer_cork = (flags & MSG_MORE) != 0;
	uint64_t now = ns_now(ep->s);
	tcp_output(tp, now);
	return n;
}

static void queue_fin(struct tcp_ep *tp)
{
	if (tp->fin_queued)
		return;
	tp->fin_queued = true;
	tp->fin_seq = tp->snd_una + tp->sndq.bytes;
}

/* tcp_close_state: the state after the owner stops sending; whether a FIN
 * goes out. */
static bool close_state(struct tcp_ep *tp)
{
	switch (tp->ep.state) {
	case NS_TCP_SYN_RECV:
	case NS_TCP_ESTABLISHED:
		tcp_set_state(tp, NS_TCP_FIN_WAIT1);
		return true;
	case NS_TCP_CLOSE_WAIT:
		tcp_set_state(tp, NS_TCP_LAST_ACK);
		return true;
	case NS_TCP_SYN_SENT:
		tcp_done(tp);
		return false;
	default:
		return false;
	}
}

static int tcp_shutdown(struct ns_endpoint *ep, int how)
{
	struct tcp_ep *tp = T(ep);
	int r = 0;
	if (ep->sock_state == NS_SS_CONNECTING) {
		if (ep->state == NS_TCP_SYN_SENT || ep->state == NS_TCP_SYN_RECV ||
		    ep->state == NS_TCP_CLOSE)
			ep->sock_state = NS_SS_DISCONNECTING;
		else
			ep->sock_state = NS_SS_CONNECTED;
	}
	switch (ep->state) {
	case NS_TCP_CLOSE:
		r = -ENOTCONN;
		ep->shutdown |= (uint8_t)how;
		break;
	case NS_TCP_LISTEN:
		if (!(how & NS_RCV_SHUTDOWN))
			break;
		/* fallthrough */
	case NS_TCP_SYN_SENT:
		tcp_disconnect(ep);
		ep->sock_state = NS_SS_UNCONNECTED;
		break;
	default:
		ep->shutdown |= (uint8_t)how;
		if ((how & NS_SEND_SHUTDOWN) &&
		    (ep->state == NS_TCP_ESTABLISHED || ep->state == NS_TCP_SYN_RECV ||
		     ep->state == NS_TCP_CLOSE_WAIT)) {
			if (close_state(tp)) {
				queue_fin(tp);
				tcp_output(tp, ns_now(ep->s));
			}
		}
	}
	return r;
}

static void tcp_close(struct ns_endpoint *ep)
{
	struct tcp_ep *tp = T(ep);
	struct ns_stack *s = ep->s;
	uint64_t now = ns_now(s);
	ep->shutdown = NS_SHUTDOWN_MASK;
	if (ep->state == NS_TCP_LISTEN) {
		listen_stop(tp);
		tcp_done(tp);
		return;
	}
	uint32_t unread = tp->rcvq.bytes;
	tcp_rcvq_purge(tp);
	tcp_queue_purge(&tp->ooo);
	if (ep->state == NS_TCP_CLOSE) {
		tcp_done(tp);
		return;
	}
	if (unread) {
		/* RFC 2525 2.17: closing with unread data resets. */
		ns_count(s, NS_CTR_TCP_ABORT_ON_CLOSE);
		tcp_abort(tp, 0, true);
		return;
	}
	if (ep->linger_on && ep->linger_secs == 0) {
		ns_count(s, NS_CTR_TCP_ABORT_ON_LINGER);
		tcp_abort(tp, 0, true);
		return;
	}
	if (close_state(tp)) {
		queue_fin(tp);
		tcp_output(tp, now);
	}
	if (ep->state == NS_TCP_FIN_WAIT2) {
		if (tp->linger2 < 0) {
			tcp_done(tp);
			return;
		}
		uint64_t t = tp->linger2 > 0 ? (uint64_t)tp->linger2 : s->sysctl.tcp_fin_timeout;
		tp->t_keep = now + t * NS_NSEC_PER_SEC;
	}
	if (ep->state == NS_TCP_CLOSE)
		return;
	tcp_rearm(tp);
}

static uint32_t tcp_poll(struct ns_endpoint *ep)
{
	struct tcp_ep *tp = T(ep);
	int st = ep->state;
	if (st == NS_TCP_LISTEN)
		return tp->lq && tp->lq->acc_head ? POLLIN | POLLRDNORM : 0;
	uint32_t m = 0;
	if (ep->shutdown == NS_SHUTDOWN_MASK || st == NS_TCP_CLOSE)
		m |= POLLHUP;
	if (ep->shutdown & NS_RCV_SHUTDOWN)
		m |= POLLIN | POLLRDNORM | POLLRDHUP;
	if (st != NS_TCP_SYN_SENT && st != NS_TCP_SYN_RECV) {
		uint32_t target = ep->rcvlowat > 1 ? (uint32_t)ep->rcvlowat : 1;
		if (tp->rcvq.bytes >= target)
			m |= POLLIN | POLLRDNORM;
		if (!(ep->shutdown & NS_SEND_SHUTDOWN)) {
			if (writable(tp))
				m |= POLLOUT | POLLWRNORM;
		} else {
			m |= POLLOUT | POLLWRNORM;
		}
	}
	if (ep->so_error)
		m |= POLLERR;
	return m;
}

/* ---- timers ---- */

static void tcp_timer(struct ns_endpoint *ep, uint64_t now)
{
	struct tcp_ep *tp = T(ep);
	struct ns_stack *s = ep->s;
	if (ep->state == NS_TCP_LISTEN) {
		if (tp->lq && tp->t_rtx <= now)
			listener_timer(tp, now);
		return;
	}
	if (tp->t_delack <= now) {
		tp->t_delack = NS_TIME_NEVER;
		if (tp->ack_pending || tp->ack_now) {
			ns_count(s, NS_CTR_TCP_DELAYED_ACKS);
			tcp_send_ack(tp, now);
		}
	}
	if (tp->t_rtx <= now) {
		tp->t_rtx = NS_TIME_NEVER;
		if (tp->persist) {
			tp->persist = false;
			if (tp->snd_wnd == 0 && tp->sndq.bytes && tp->snd_una == tp->snd_max) {
				if (tp->user_timeout_ms && tp->rtx_start &&
				    now - tp->rtx_start >= tp->user_timeout_ms * NS_NSEC_PER_MSEC) {
					ns_count(s, NS_CTR_TCP_USER_TIMEOUTS);
					tcp_abort(tp, ETIMEDOUT, true);
					return;
				}
				ns_count(s, NS_CTR_TCP_ZERO_WINDOW_PROBES);
				tp->probes_out++;
				tcp_send_probe(tp, now);
				if (tp->backoff < 30)
					tp->backoff++;
				uint64_t rto = (uint64_t)tp->rto_us << tp->backoff;
				if (rto > TCP_RTO_MAX_US)
					rto = TCP_RTO_MAX_US;
				tp->persist = true;
				tp->t_rtx = now + rto * 1000;
			} else {
				tcp_output(tp, now);
			}
		} else if (ep->state == NS_TCP_SYN_SENT || ep->state == NS_TCP_SYN_RECV) {
			uint32_t limit = tp->syncnt ? tp->syncnt : s->sysctl.tcp_syn_retries;
			if (tp->retransmits >= limit ||
			    (tp->user_timeout_ms && tp->rtx_start &&
			     now - tp->rtx_start >= tp->user_timeout_ms * NS_NSEC_PER_MSEC)) {
				ns_count(s, NS_CTR_TCP_SYN_TIMEOUTS);
				ns_count(s, NS_CTR_TCP_ATTEMPT_FAILS);
				tcp_abort(tp, ETIMEDOUT, false);
				return;
			}
			tp->retransmits++;
			tp->backoff++;
			ns_count(s, NS_CTR_TCP_RETRANS_SEGS);
			tp->total_retrans++;
			tcp_send_syn(tp, now, ep->state == NS_TCP_SYN_RECV);
		} else if (tp->snd_una != tp->snd_max) {
			if ((tp->user_timeout_ms && tp->rtx_start &&
			     now - tp->rtx_start >= tp->user_timeout_ms * NS_NSEC_PER_MSEC)) {
				ns_count(s, NS_CTR_TCP_USER_TIMEOUTS);
				tcp_abort(tp, ETIMEDOUT, false);
				return;
			}
			if (tp->retransmits >= s->sysctl.tcp_retries2) {
				tcp_abort(tp, ETIMEDOUT, false);
				return;
			}
			tp->retransmits++;
			if (tp->backoff < 30)
				tp->backoff++;
			tcp_rto_fired(tp, now);
		} else if (tp->sndq.bytes || tp->fin_queued) {
			tcp_output(tp, now); /* a send that found the link full */
		}
	}
	if (tp->t_keep <= now) {
		tp->t_keep = NS_TIME_NEVER;
		switch (ep->state) {
		case NS_TCP_TIME_WAIT:
			ns_count(s, NS_CTR_TCP_TW_EXPIRED);
			tcp_done(tp);
			return;
		case NS_TCP_FIN_WAIT2:
			if (ep->closed) {
				tcp_done(tp);
				return;
			}
			/* fallthrough */
		default:
			if (!ep->keepalive)
				break;
			if (tp->snd_una != tp->snd_max || tp->sndq.bytes) {
				/* The retransmission timer watches the peer. */
				tp->t_keep = now + (uint64_t)tcp_keepidle_secs(tp) * NS_NSEC_PER_SEC;
				break;
			}
			uint64_t last = tp->last_rcv > tp->last_ack_rcv ? tp->last_rcv
									: tp->last_ack_rcv;
			uint64_t idle = (uint64_t)tcp_keepidle_secs(tp) * NS_NSEC_PER_SEC;
			if (tp->probes_out == 0 && now - last < idle) {
				tp->t_keep = last + idle;
				break;
			}
			if ((tp->user_timeout_ms && now - last >= tp->user_timeout_ms * NS_NSEC_PER_MSEC &&
			     tp->probes_out > 0) ||
			    (!tp->user_timeout_ms && tp->probes_out >= keepcnt(tp))) {
				ns_count(s, NS_CTR_TCP_KEEPALIVE_TIMEOUTS);
				tcp_abort(tp, ETIMEDOUT, true);
				return;
			}
			ns_count(s, NS_CTR_TCP_KEEPALIVE_PROBES);
			tcp_send_probe(tp, now);
			tp->probes_out++;
			tp->t_keep = now + keepintvl_ns(tp);
		}
	}
	tcp_rearm(tp);
}

static void tcp_bufs_changed(struct ns_endpoint *ep)
{
	struct tcp_ep *tp = T(ep);
	keepalive_arm(tp, ns_now(ep->s));
	tcp_rearm(tp);
}

/* ---- options ---- */

static int tcp_setsockopt(struct ns_endpoint *ep, int level, int name, const void *val,
			  socklen_t len)
{
	struct tcp_ep *tp = T(ep);
	if (level != SOL_TCP)
		return level == SOL_SOCKET ? -ENOPROTOOPT : ns_ip_sockopt_set(ep, level, name, val, len);
	uint64_t now = ns_now(ep->s);
	if (name == TCP_CONGESTION) {
		char name_buf[16] = {0};
		if ((int)len < 1)
			return -EINVAL;
		memcpy(name_buf, val, len < 15 ? len : 15);
		if (strcmp(name_buf, "reno") != 0)
			return -ENOENT; /* as Linux for a controller not available */
		return 0;
	}
	int v;
	int r = ns_sockopt_int(val, len, &v);
	if (r)
		return r;
	switch (name) {
	case TCP_NODELAY:
		tp->nodelay = v != 0;
		if (v)
			tcp_output(tp, now);
		return 0;
	case TCP_CORK:
		tp->cork = v != 0;
		if (!v)
			tcp_output(tp, now);
		return 0;
	case TCP_MAXSEG:
		if (v && (v < TCP_MIN_MSS || v > 65535))
			return -EINVAL;
		tp->user_mss = (uint16_t)v;
		return 0;
	case TCP_KEEPIDLE:
		if (v < 1 || v > MAX_TCP_KEEPIDLE)
			return -EINVAL;
		tp->keepidle = (uint32_t)v;
		keepalive_arm(tp, now);
		tcp_rearm(tp);
		return 0;
	case TCP_KEEPINTVL:
		if (v < 1 || v > MAX_TCP_KEEPINTVL)
			return -EINVAL;
		tp->keepintvl = (uint32_t)v;
		return 0;
	case TCP_KEEPCNT:
		if (v < 1 || v > MAX_TCP_KEEPCNT)
			return -EINVAL;
		tp->keepcnt = (uint32_t)v;
		return 0;
	case TCP_SYNCNT:
		if (v < 1 || v > MAX_TCP_SYNCNT)
			return -EINVAL;
		tp->syncnt = (uint8_t)v;
		return 0;
	case TCP_LINGER2:
		tp->linger2 = v < 0 ? -1 : v;
		return 0;
	case TCP_USER_TIMEOUT:
		if (v < 0)
			return -EINVAL;
		tp->user_timeout_ms = (uint32_t)v;
		return 0;
	case TCP_QUICKACK:
		tp->quickacks = v ? TCP_QUICKACKS : 0;
		if (v && (tp->ack_pending || tp->t_delack != NS_TIME_NEVER) &&
		    ep->state != NS_TCP_CLOSE && ep->state != NS_TCP_LISTEN &&
		    ep->state != NS_TCP_SYN_SENT)
			tcp_send_ack(tp, now);
		return 0;
	case TCP_WINDOW_CLAMP:
		if (v == 0) {
			if (ep->state != NS_TCP_CLOSE)
				return -EINVAL;
			tp->window_clamp = 0;
		} else {
			tp->window_clamp = v < 1152 ? 1152 : (uint32_t)v;
		}
		return 0;
	case TCP_FASTOPEN:
		/* The server's Fast Open queue: kept and reported; with no
		 * cookies handed out (Linux's default tcp_fastopen = 1 does not
		 * enable the server side either) every handshake is a plain one. */
		if (v < 0 || (ep->state != NS_TCP_CLOSE && ep->state != NS_TCP_LISTEN))
			return -EINVAL;
		/* fastopen_queue_tune: at most somaxconn. */
		tp->fastopen_qlen = (uint32_t)v < ep->s->sysctl.somaxconn ? (uint32_t)v
									 : ep->s->sysctl.somaxconn;
		return 0;
	case TCP_FASTOPEN_CONNECT:
		/* Linux defers connect() to the first write only when it holds
		 * a cookie for the server; without one (always here) connect
		 * is a plain one, which is what follows. */
		if (v < 0 || v > 1)
			return -EINVAL;
		if (ep->state != NS_TCP_CLOSE)
			return -EINVAL;
		tp->fastopen_connect = v != 0;
		return 0;
	case TCP_DEFER_ACCEPT:
		/* Kept as Linux keeps it, a count of SYN-ACK timeouts
		 * (secs_to_retrans): a listener drops the handshake's bare
		 * ACK until data comes or that many timeouts passed
		 * (rcv_listen, listener_timer). */
		tp->defer_accept = secs_to_retrans(v);
		return 0;
	}
	return -ENOPROTOOPT;
}

static void tcp_fill_info(struct tcp_ep *tp, struct ns_tcp_info *ti, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	memset(ti, 0, sizeof(*ti));
	ti->tcpi_state = ep->state;
	if (ep->state == NS_TCP_LISTEN) {
		ti->tcpi_unacked = tp->lq ? (uint32_t)tp->lq->qlen : 0;
		ti->tcpi_sacked = tp->lq ? (uint32_t)tp->lq->backlog : 0;
		return;
	}
	uint32_t mss = tp->mss ? tp->mss : 536;
	ti->tcpi_ca_state = tp->ca_state;
	ti->tcpi_retransmits = tp->retransmits;
	ti->tcpi_probes = tp->probes_out;
	ti->tcpi_backoff = tp->backoff;
	ti->tcpi_options = (uint8_t)((tp->ts_ok ? 1 : 0) | (tp->sack_ok ? 2 : 0) |
				     (tp->ws_ok ? 4 : 0));
	ti->tcpi_wscale = (uint8_t)((tp->snd_wscale & 0xf) | (tp->rcv_wscale << 4));
	ti->tcpi_rto = tp->rto_us;
	ti->tcpi_ato = tp->ato_us;
	ti->tcpi_snd_mss = mss;
	ti->tcpi_rcv_mss = tp->rcv_mss;
	ti->tcpi_unacked = (tp->snd_max - tp->snd_una + mss - 1) / mss;
	ti->tcpi_sacked = tp->sacked_bytes / mss;
	ti->tcpi_retrans = tp->ca_state >= TCP_CA_RECOVERY ? 1 : 0;
	ti->tcpi_last_data_sent =
	    tp->last_data_sent ? (uint32_t)((now - tp->last_data_sent) / NS_NSEC_PER_MSEC) : 0;
	ti->tcpi_last_data_recv =
	    tp->last_data_rcv ? (uint32_t)((now - tp->last_data_rcv) / NS_NSEC_PER_MSEC) : 0;
	ti->tcpi_last_ack_recv =
	    tp->last_ack_rcv ? (uint32_t)((now - tp->last_ack_rcv) / NS_NSEC_PER_MSEC) : 0;
	ti->tcpi_pmtu = ep->rt_valid ? ep->rt.mtu : NS_LOOPBACK_MTU;
	ti->tcpi_rcv_ssthresh = tcp_rcvbuf(tp);
	ti->tcpi_rtt = tp->srtt_us;
	ti->tcpi_rttvar = tp->rttvar_us;
	ti->tcpi_snd_ssthresh =
	    tp->ssthresh >= UINT32_MAX / 2 ? 0x7fffffff : tp->ssthresh / mss;
	ti->tcpi_snd_cwnd = tp->cwnd / mss;
	ti->tcpi_advmss = tp->advmss;
	ti->tcpi_reordering = 3;
	ti->tcpi_rcv_space = tp->rcv_space;
	ti->tcpi_total_retrans = tp->total_retrans;
	ti->tcpi_bytes_acked = tp->bytes_acked;
	ti->tcpi_bytes_received = tp->bytes_received;
	ti->tcpi_segs_out = tp->segs_out;
	ti->tcpi_segs_in = tp->segs_in;
	ti->tcpi_notsent_bytes = tp->snd_una + tp->sndq.bytes - tp->snd_max;
	if ((int32_t)ti->tcpi_notsent_bytes < 0)
		ti->tcpi_notsent_bytes = 0;
	ti->tcpi_min_rtt = tp->min_rtt_us;
	ti->tcpi_data_segs_in = tp->data_segs_in;
	ti->tcpi_data_segs_out = tp->data_segs_out;
	ti->tcpi_delivered = tp->delivered;
	ti->tcpi_bytes_sent = tp->bytes_sent;
	ti->tcpi_bytes_retrans = tp->bytes_retrans;
	ti->tcpi_dsack_dups = tp->dsack_dups;
	ti->tcpi_reord_seen = tp->reord_seen;
	ti->tcpi_rcv_ooopack = tp->rcv_ooopack;
	ti->tcpi_snd_wnd = tp->snd_wnd;
}

static int tcp_getsockopt(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len)
{
	struct tcp_ep *tp = T(ep);
	if (level != SOL_TCP)
		return level == SOL_SOCKET ? -ENOPROTOOPT : ns_ip_sockopt_get(ep, level, name, val, len);
	if ((int)*len < 0)
		return -EINVAL;
	int v;
	switch (name) {
	case TCP_INFO: {
		struct ns_tcp_info ti;
		tcp_fill_info(tp, &ti, ns_now(ep->s));
		socklen_t n = *len < sizeof(ti) ? *len : sizeof(ti);
		memcpy(val, &ti, n);
		*len = n;
		return 0;
	}
	case TCP_CONGESTION: {
		char name_buf[16] = "reno";
		socklen_t n = *len < sizeof(name_buf) ? *len : sizeof(name_buf);
		memcpy(val, name_buf, n);
		*len = n;
		return 0;
	}
	case TCP_NODELAY:
		v = tp->nodelay;
		break;
	case TCP_CORK:
		v = tp->cork;
		break;
	case TCP_MAXSEG:
		v = tp->mss;
		if (tp->user_mss && (ep->state == NS_TCP_CLOSE || ep->state == NS_TCP_LISTEN))
			v = tp->user_mss;
		break;
	case TCP_KEEPIDLE:
		v = (int)tcp_keepidle_secs(tp);
		break;
	case TCP_KEEPINTVL:
		v = (int)(keepintvl_ns(tp) / NS_NSEC_PER_SEC);
		break;
	case TCP_KEEPCNT:
		v = (int)keepcnt(tp);
		break;
	case TCP_SYNCNT:
		v = tp->syncnt ? tp->syncnt : ep->s->sysctl.tcp_syn_retries;
		break;
	case TCP_LINGER2:
		v = tp->linger2 < 0 ? -1 : (tp->linger2 ? tp->linger2 : (int)ep->s->sysctl.tcp_fin_timeout);
		break;
	case TCP_USER_TIMEOUT:
		v = (int)tp->user_timeout_ms;
		break;
	case TCP_QUICKACK:
		v = tp->quickacks > 0;
		break;
	case TCP_WINDOW_CLAMP:
		v = (int)(tp->window_clamp ? tp->window_clamp : tcp_rcvbuf(tp));
		break;
	case TCP_DEFER_ACCEPT:
		v = retrans_to_secs(tp->defer_accept);
		break;
	case TCP_FASTOPEN:
		v = (int)tp->fastopen_qlen;
		break;
	case TCP_FASTOPEN_CONNECT:
		v = tp->fastopen_connect;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return ns_sockopt_put_int(val, len, v);
}

/* ---- queues and /proc ---- */

static void tcp_queues(struct ns_endpoint *ep, int *inq, int *outq, int *notsent)
{
	struct tcp_ep *tp = T(ep);
	*inq = (int)tp->rcvq.bytes;
	uint32_t out = tp->sndq.bytes;
	*outq = (int)out;
	uint32_t unsent = tp->snd_una + out - tp->snd_nxt;
	*notsent = SEQ_GT(tp->snd_una + out, tp->snd_nxt) ? (int)unsent : 0;
}

static int tcp_info_rows(struct ns_endpoint *ep, struct ns_ep_info *rows, int max, uint64_t now)
{
	struct tcp_ep *tp = T(ep);
	if (max < 1)
		return 0;
	ns_info_addrs(ep, rows);
	rows->state = ep->state;
	if (ep->state == NS_TCP_LISTEN) {
		rows->rx_queue = tp->lq ? (uint32_t)tp->lq->qlen : 0;
		rows->tx_queue = tp->lq ? (uint32_t)tp->lq->backlog : 0;
	} else {
		rows->rx_queue = tp->rcvq.bytes;
		rows->tx_queue = tp->sndq.bytes;
	}
	uint64_t t = NS_TIME_NEVER;
	if (ep->state == NS_TCP_TIME_WAIT) {
		rows->timer = 3;
		t = tp->t_keep;
	} else if (tp->t_rtx != NS_TIME_NEVER) {
		rows->timer = tp->persist ? 4 : 1;
		t = tp->t_rtx;
	} else if (tp->t_keep != NS_TIME_NEVER) {
		rows->timer = 2;
		t = tp->t_keep;
	}
	rows->timer_expires_ns = t != NS_TIME_NEVER && t > now ? t - now : 0;
	rows->retransmits = tp->retransmits;
	int n = 1;
	/* Pending connections show as SYN_RECV rows (/proc/net/tcp does). */
	for (struct tcp_request *rq = tp->lq ? tp->lq->req : NULL; rq && n < max; rq = rq->next) {
		struct ns_ep_info *r = &rows[n++];
		r->family = ep->domain;
		r->protocol = IPPROTO_TCP;
		r->state = NS_TCP_SYN_RECV;
		if (ep->domain == AF_INET) {
			memcpy(r->local, rq->laddr.b + 12, 4);
			memcpy(r->remote, rq->raddr.b + 12, 4);
		} else {
			memcpy(r->local, rq->laddr.b, 16);
			memcpy(r->remote, rq->raddr.b, 16);
		}
		r->lport = rq->lport;
		r->rport = rq->rport;
		r->timer = 1;
		r->timer_expires_ns = rq->deadline > now ? rq->deadline - now : 0;
		r->retransmits = rq->retrans;
		r->uid = ep->uid;
	}
	return n;
}

const struct ns_proto ns_tcp_proto = {
    .protocol = IPPROTO_TCP,
    .size = sizeof(struct tcp_ep),
    .init = tcp_init,
    .connect = tcp_connect,
    .disconnect = tcp_disconnect,
    .listen = tcp_listen,
    .accept = tcp_accept,
    .send = tcp_send,
    .recv = tcp_recv,
    .recv_pin = tcp_recv_pin,
    .recv_unpin = tcp_recv_unpin,
    .shutdown = tcp_shutdown,
    .close = tcp_close,
    .poll = tcp_poll,
    .setsockopt = tcp_setsockopt,
    .getsockopt = tcp_getsockopt,
    .timer = tcp_timer,
    .queues = tcp_queues,
    .info = tcp_info_rows,
    .destroy = tcp_destroy,
    .bufs_changed = tcp_bufs_changed,
    .reap = tcp_reap,
};
