/*
 * tcp_output.c — TCP segments out: building them (options, window,
 * checksum), deciding what to send (windows, Nagle, cork, SWS avoidance,
 * loss recovery), RTT estimation and the RTO (RFC 6298), and the
 * congestion controller (NewReno, RFC 5681/6582, with SACK-based recovery
 * after RFC 6675).
 *
 * Called with the endpoint's lock held; segments go to IP directly.
 */
#include "netstack/tcp.h"

#include <stdlib.h>

/* ---- identifiers ---- */

uint32_t tcp_iss(struct ns_stack *s, const struct ns_ip *la, uint16_t lp, const struct ns_ip *ra,
		 uint16_t rp, uint64_t now)
{
	/* RFC 6528: a keyed hash of the 4-tuple plus a clock (64 ns ticks,
	 * as Linux's secure_tcp_seq). */
	uint8_t key[36];
	memcpy(key, la->b, 16);
	memcpy(key + 16, ra->b, 16);
	put16(key + 32, lp);
	put16(key + 34, rp);
	uint64_t h;
	ns_stack_seed_hash(s, key, sizeof(key), &h);
	return (uint32_t)h + (uint32_t)(now >> 6);
}

uint32_t tcp_ts_offset(struct ns_stack *s, const struct ns_ip *la, const struct ns_ip *ra)
{
	uint8_t key[33];
	memcpy(key, la->b, 16);
	memcpy(key + 16, ra->b, 16);
	key[32] = 't';
	uint64_t h;
	ns_stack_seed_hash(s, key, sizeof(key), &h);
	return (uint32_t)h;
}

uint16_t tcp_mss_for(const struct tcp_ep *tp, uint32_t mtu, bool v4)
{
	(void)tp;
	uint32_t m = mtu - (v4 ? 40u : 60u);
	return (uint16_t)(m > 65495 ? 65495 : m);
}

void tcp_update_mss(struct tcp_ep *tp)
{
	bool v4 = ip_is_v4(&tp->ep.raddr);
	uint32_t mtu = tp->ep.rt_valid ? tp->ep.rt.mtu : NS_LOOPBACK_MTU;
	uint32_t m = tcp_mss_for(tp, mtu, v4);
	if (tp->peer_mss && tp->peer_mss < m)
		m = tp->peer_mss;
	if (tp->user_mss && tp->user_mss < m)
		m = tp->user_mss;
	if (tp->ts_ok)
		m -= 12;
	if (m < 48)
		m = 48; /* TCP_MIN_SND_MSS */
	tp->mss = (uint16_t)m;
}

void tcp_mtu_reduced(struct tcp_ep *tp, uint64_t now)
{
	struct ns_rt rt;
	uint16_t old = tp->mss;
	if (ns_ep_route(&tp->ep, &tp->ep.raddr, &rt))
		return;
	tcp_update_mss(tp);
	if (tp->mss >= old || tp->snd_una == tp->snd_max)
		return;
	if (tp->ca_state != TCP_CA_LOSS) {
		tp->ca_state = TCP_CA_LOSS;
		tp->recover = tp->snd_max;
	}
	tp->snd_nxt = tp->snd_una;
	tp->high_rxt = tp->snd_una;
	tp->rtt_time = 0; /* Karn */
	tcp_output(tp, now);
}

/* ---- windows ---- */

uint32_t tcp_rcv_window_select(const struct tcp_ep *tp)
{
	uint32_t buf = tcp_rcvbuf(tp);
	uint32_t used = tp->rcvq.bytes + tp->ooo.bytes;
	uint32_t free = buf > used ? buf - used : 0;
	if (tp->window_clamp && free > tp->window_clamp)
		free = tp->window_clamp;
	uint32_t cur = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	uint32_t wnd;
	/* Never shrink the window offered (RFC 7323 2.4); open it only by a
	 * worthwhile amount (receiver SWS avoidance, RFC 1122 4.2.3.3). */
	uint32_t step = tp->rcv_mss < buf / 2 ? tp->rcv_mss : buf / 2;
	if (free <= cur || free - cur < step)
		wnd = cur;
	else
		wnd = free;
	uint32_t maxw = 65535u << tp->rcv_wscale;
	if (wnd > maxw)
		wnd = maxw;
	/* Round up to the scale so the right edge does not move left. */
	uint32_t unit = 1u << tp->rcv_wscale;
	wnd = (wnd + unit - 1) & ~(unit - 1);
	if (wnd > maxw)
		wnd = maxw & ~(unit - 1);
	return wnd;
}

uint32_t tcp_rcv_window(struct tcp_ep *tp)
{
	uint32_t wnd = tcp_rcv_window_select(tp);
	tp->rcv_adv = tp->rcv_nxt + wnd;
	tp->rcv_wup = tp->rcv_nxt;
	return wnd >> tp->rcv_wscale;
}

/* ---- building segments ---- */

static uint32_t sack_blocks(struct tcp_ep *tp, uint32_t out[4][2], int max)
{
	/* The out-of-order queue as ranges; the one holding the newest
	 * segment first (RFC 2018). */
	uint32_t ranges[32][2];
	int n = 0;
	for (struct ns_pbuf *pb = tp->ooo.head; pb && n < 32; pb = pb->next) {
		uint32_t s = pb->seq, e = pb->seq + pb->len + pb->fin;
		if (n && SEQ_LEQ(s, ranges[n - 1][1])) {
			if (SEQ_GT(e, ranges[n - 1][1]))
				ranges[n - 1][1] = e;
		} else {
			ranges[n][0] = s;
			ranges[n][1] = e;
			n++;
		}
	}
	int k = 0;
	for (int i = 0; i < n && k < max; i++) {
		if (SEQ_LEQ(ranges[i][0], tp->ooo_last_start) &&
		    SEQ_GEQ(ranges[i][1], tp->ooo_last_end)) {
			out[k][0] = ranges[i][0];
			out[k][1] = ranges[i][1];
			k++;
			ranges[i][0] = ranges[i][1]; /* taken */
			break;
		}
	}
	for (int i = 0; i < n && k < max; i++) {
		if (ranges[i][0] == ranges[i][1])
			continue;
		out[k][0] = ranges[i][0];
		out[k][1] = ranges[i][1];
		k++;
	}
	return (uint32_t)k;
}

/* Options for a non-SYN segment: timestamps, SACK blocks. */
static uint32_t build_opts(struct tcp_ep *tp, uint8_t *o, uint64_t now, bool with_sack)
{
	uint32_t n = 0;
	if (tp->ts_ok) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 8;
		o[n++] = 10;
		put32(o + n, tcp_ts_now(tp, now));
		put32(o + n + 4, tp->ts_recent);
		n += 8;
	}
	if (with_sack && tp->sack_ok && tp->ooo.head) {
		uint32_t blk[4][2];
		uint32_t k = sack_blocks(tp, blk, tp->ts_ok ? 3 : 4);
		if (k) {
			o[n++] = 1;
			o[n++] = 1;
			o[n++] = 5;
			o[n++] = (uint8_t)(2 + 8 * k);
			for (uint32_t i = 0; i < k; i++) {
				put32(o + n, blk[i][0]);
				put32(o + n + 4, blk[i][1]);
				n += 8;
			}
		}
	}
	return n;
}

/* Copy len bytes of the send queue, starting off bytes after snd_una. */
static void sndq_copy(const struct tcp_queue *q, uint32_t off, uint8_t *dst, uint32_t len)
{
	for (struct ns_pbuf *pb = q->head; pb && len; pb = pb->next) {
		if (off >= pb->len) {
			off -= pb->len;
			continue;
		}
		uint32_t n = pb->len - off;
		if (n > len)
			n = len;
		memcpy(dst, ns_pbuf_data(pb) + off, n);
		dst += n;
		len -= n;
		off = 0;
	}
}

struct seg_out {
	const struct ns_ip *src, *dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t wnd;
	const uint8_t *opt;
	uint32_t optlen;
	const struct tcp_queue *q; /* payload source */
	uint32_t qoff, len;
	uint8_t ttl, tos;
	uint16_t gso; /* non-zero: a TSO segment cut to gso payload bytes */
};

static int seg_send(struct ns_stack *s, const struct ns_rt *rt, const struct seg_out *so)
{
	uint32_t hl = 20 + so->optlen;
	struct ns_pbuf *pb = ns_pbuf_alloc(hl + so->len);
	if (!pb)
		return -ENOBUFS;
	uint8_t *h = ns_pbuf_data(pb);
	put16(h, so->sport);
	put16(h + 2, so->dport);
	put32(h + 4, so->seq);
	put32(h + 8, so->ack);
	h[12] = (uint8_t)((hl / 4) << 4);
	h[13] = so->flags;
	put16(h + 14, so->wnd);
	put16(h + 16, 0);
	put16(h + 18, 0);
	if (so->optlen)
		memcpy(h + 20, so->opt, so->optlen);
	if (so->len)
		sndq_copy(so->q, so->qoff, h + hl, so->len);
	pb->len = hl + so->len;
	uint32_t sum = csum_pseudo(so->src, so->dst, IPPROTO_TCP, pb->len);
	if (so->gso) {
		/* The link finishes it: the pseudo-header sum, not inverted. */
		pb->gso_size = so->gso;
		put16(h + 16, (uint16_t)~csum_fold(sum));
	} else {
		put16(h + 16, csum_fold(csum_add(sum, h, pb->len)));
	}
	ns_count(s, NS_CTR_TCP_OUT_SEGS);
	if (so->flags & TH_RST)
		ns_count(s, NS_CTR_TCP_OUT_RSTS);
	return ns_ip_output(s, rt, so->dst, IPPROTO_TCP, so->ttl, so->tos, pb);
}

/* The most payload one segment may carry on the route's link: 0 without
 * TSO (segments of mss), else a whole number of mss below 64 KiB. */
static uint32_t tso_max(const struct tcp_ep *tp, const struct ns_rt *rt)
{
	if (!rt->nic || !(rt->nic->link->flags & NS_LINK_F_TSO) || !tp->mss)
		return 0;
	/* IPv6's header, the TCP header and 40 bytes of options. */
	uint32_t room = 65535 - 40 - 60;
	return room / tp->mss * tp->mss;
}

static int ep_seg_send(struct tcp_ep *tp, uint32_t seq, uint8_t flags, const uint8_t *opt,
		       uint32_t optlen, uint32_t len, uint16_t wnd)
{
	struct ns_endpoint *ep = &tp->ep;
	struct ns_rt rt;
	int r = ns_ep_route(ep, &ep->raddr, &rt);
	if (r) {
		ns_count(ep->s, NS_CTR_IP_OUT_NO_ROUTES);
		return r;
	}
	struct seg_out so = {
	    .src = &ep->laddr,
	    .dst = &ep->raddr,
	    .sport = ep->lport,
	    .dport = ep->rport,
	    .seq = seq,
	    .ack = (flags & TH_ACK) ? tp->rcv_nxt : 0,
	    .flags = flags,
	    .wnd = wnd,
	    .opt = opt,
	    .optlen = optlen,
	    .q = &tp->sndq,
	    .qoff = seq - tp->snd_una,
	    .len = len,
	    .ttl = ns_ep_ttl(ep, &ep->raddr),
	    .tos = ns_ep_tos(ep, &ep->raddr),
	    .gso = len > tp->mss && tso_max(tp, &rt) ? tp->mss : 0,
	};
	tp->segs_out++;
	if (flags & TH_ACK) {
		tp->ack_pending = 0;
		tp->ack_now = false;
		tp->t_delack = NS_TIME_NEVER;
	}
	return seg_send(ep->s, &rt, &so);
}

void tcp_send_ack(struct tcp_ep *tp, uint64_t now)
{
	uint8_t opt[40];
	uint32_t n = build_opts(tp, opt, now, true);
	uint16_t wnd = (uint16_t)tcp_rcv_window(tp);
	ep_seg_send(tp, tp->snd_nxt, TH_ACK, opt, n, 0, wnd);
}

/* A segment the peer must answer: seq snd_una - 1, no data (a keepalive
 * or zero-window probe, tcp_xmit_probe_skb). */
void tcp_send_probe(struct tcp_ep *tp, uint64_t now)
{
	uint8_t opt[40];
	uint32_t n = build_opts(tp, opt, now, false);
	uint16_t wnd = (uint16_t)tcp_rcv_window(tp);
	ep_seg_send(tp, tp->snd_una - 1, TH_ACK, opt, n, 0, wnd);
}

void tcp_send_rst_for(struct tcp_ep *tp, uint64_t now)
{
	/* tcp_send_active_reset: RST|ACK at snd_nxt. */
	uint8_t opt[40];
	uint32_t n = build_opts(tp, opt, now, false);
	ep_seg_send(tp, tp->snd_nxt, TH_RST | TH_ACK, opt, n, 0, 0);
}

/* SYN options, Linux's order: MSS, SACK-permitted + timestamps, NOP,
 * window scale. */
static uint32_t syn_opts(uint8_t *o, uint16_t mss, bool sack, bool ts, uint32_t tsval,
			 uint32_t tsecr, bool ws, uint8_t wscale)
{
	uint32_t n = 0;
	o[n++] = 2;
	o[n++] = 4;
	put16(o + n, mss);
	n += 2;
	if (ts) {
		if (sack) {
			o[n++] = 4;
			o[n++] = 2;
		} else {
			o[n++] = 1;
			o[n++] = 1;
		}
		o[n++] = 8;
		o[n++] = 10;
		put32(o + n, tsval);
		put32(o + n + 4, tsecr);
		n += 8;
	} else if (sack) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (ws) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = wscale;
	}
	return n;
}

void tcp_send_syn(struct tcp_ep *tp, uint64_t now, bool synack)
{
	uint8_t opt[40];
	uint32_t n = syn_opts(opt, tp->advmss, tp->sack_ok, tp->ts_ok, tcp_ts_now(tp, now),
			      synack ? tp->ts_recent : 0, tp->ws_ok, tp->rcv_wscale);
	/* The window of a SYN is never scaled. */
	uint32_t buf = tcp_rcvbuf(tp);
	uint16_t wnd = (uint16_t)(buf > 65535 ? 65535 : buf);
	if (tp->rcv_adv == tp->rcv_nxt || SEQ_LT(tp->rcv_adv, tp->rcv_nxt + wnd))
		tp->rcv_adv = tp->rcv_nxt + wnd;
	tp->segs_out++;
	struct ns_endpoint *ep = &tp->ep;
	struct ns_rt rt;
	if (ns_ep_route(ep, &ep->raddr, &rt)) {
		ns_count(ep->s, NS_CTR_IP_OUT_NO_ROUTES);
		return;
	}
	struct seg_out so = {
	    .src = &ep->laddr,
	    .dst = &ep->raddr,
	    .sport = ep->lport,
	    .dport = ep->rport,
	    .seq = tp->iss,
	    .ack = synack ? tp->rcv_nxt : 0,
	    .flags = (uint8_t)(TH_SYN | (synack ? TH_ACK : 0)),
	    .wnd = wnd,
	    .opt = opt,
	    .optlen = n,
	    .ttl = ns_ep_ttl(ep, &ep->raddr),
	    .tos = ns_ep_tos(ep, &ep->raddr),
	};
	seg_send(ep->s, &rt, &so);
	if (SEQ_LT(tp->snd_max, tp->iss + 1))
		tp->snd_max = tp->iss + 1;
	tp->snd_nxt = tp->iss + 1;
	if (tp->t_rtx == NS_TIME_NEVER) {
		uint64_t rto = (uint64_t)tp->rto_us << tp->backoff;
		if (rto > TCP_RTO_MAX_US)
			rto = TCP_RTO_MAX_US;
		tp->t_rtx = now + rto * 1000;
	}
	if (!tp->rtx_start)
		tp->rtx_start = now;
}

void tcp_send_synack_req(struct ns_stack *s, struct tcp_ep *lp, const struct tcp_request *rq,
			 uint64_t now)
{
	struct ns_rt rt;
	if (ns_route_lookup(s, &rq->raddr, &rq->laddr, &rt)) {
		ns_count(s, NS_CTR_IP_OUT_NO_ROUTES);
		return;
	}
	uint8_t opt[40];
	bool v4 = ip_is_v4(&rq->raddr);
	uint16_t adv = tcp_mss_for(lp, rt.mtu, v4);
	if (lp->user_mss && lp->user_mss < adv)
		adv = lp->user_mss;
	uint32_t tsoff = tcp_ts_offset(s, &rq->laddr, &rq->raddr);
	uint32_t n = syn_opts(opt, adv, rq->sack_ok, rq->ts_ok,
			      (uint32_t)(now / NS_NSEC_PER_MSEC) + tsoff, rq->ts_recent, rq->ws_ok,
			      rq->rcv_wscale);
	uint32_t buf = tcp_rcvbuf(lp);
	struct seg_out so = {
	    .src = &rq->laddr,
	    .dst = &rq->raddr,
	    .sport = rq->lport,
	    .dport = rq->rport,
	    .seq = rq->iss,
	    .ack = rq->irs + 1,
	    .flags = TH_SYN | TH_ACK,
	    .wnd = (uint16_t)(buf > 65535 ? 65535 : buf),
	    .opt = opt,
	    .optlen = n,
	    .ttl = ns_ep_ttl(&lp->ep, &rq->raddr),
	    .tos = ns_ep_tos(&lp->ep, &rq->raddr),
	};
	seg_send(s, &rt, &so);
}

void tcp_reply_rst(struct ns_stack *s, const struct ns_pktinfo *pi, const struct tcp_seg *seg)
{
	if (seg->flags & TH_RST)
		return;
	if (pi->to_broadcast || ip_is_multicast(&pi->dst))
		return;
	struct ns_rt rt;
	if (ns_route_lookup(s, &pi->src, &pi->dst, &rt)) {
		ns_count(s, NS_CTR_IP_OUT_NO_ROUTES);
		return;
	}
	struct seg_out so = {
	    .src = &rt.src,
	    .dst = &pi->src,
	    .sport = seg->dport,
	    .dport = seg->sport,
	    .ttl = s->sysctl.ip_default_ttl,
	};
	/* RFC 793: from the ACK if there is one, else acknowledging the
	 * segment (tcp_v4_send_reset). */
	if (seg->flags & TH_ACK) {
		so.seq = seg->ack;
		so.flags = TH_RST;
	} else {
		so.ack = seg->seq + seg->len + !!(seg->flags & TH_SYN) + !!(seg->flags & TH_FIN);
		so.flags = TH_RST | TH_ACK;
	}
	seg_send(s, &rt, &so);
}

/* ---- RTT and RTO ---- */

void tcp_rtt_sample(struct tcp_ep *tp, uint32_t r)
{
	if (r == 0)
		r = 1;
	tp->last_rtt_us = r;
	if (!tp->min_rtt_us || r < tp->min_rtt_us)
		tp->min_rtt_us = r;
	if (!tp->srtt_us) {
		tp->srtt_us = r;
		tp->rttvar_us = r / 2;
	} else {
		uint32_t d = tp->srtt_us > r ? tp->srtt_us - r : r - tp->srtt_us;
		tp->rttvar_us = (3 * tp->rttvar_us + d) / 4;
		tp->srtt_us = (7 * tp->srtt_us + r) / 8;
	}
	/* RFC 6298 2.3 with Linux's floor: srtt + max(4 rttvar, RTO_MIN). */
	uint64_t var = 4ull * tp->rttvar_us;
	if (var < TCP_RTO_MIN_US)
		var = TCP_RTO_MIN_US;
	uint64_t rto = tp->srtt_us + var;
	tp->rto_us = rto > TCP_RTO_MAX_US ? TCP_RTO_MAX_US : (uint32_t)rto;
}

static uint64_t rto_ns(const struct tcp_ep *tp)
{
	uint64_t rto = (uint64_t)tp->rto_us << (tp->backoff > 20 ? 20 : tp->backoff);
	if (rto > TCP_RTO_MAX_US)
		rto = TCP_RTO_MAX_US;
	return rto * 1000;
}

/* ---- congestion control: NewReno ---- */

static uint32_t sacked_in(const struct tcp_ep *tp, uint32_t a, uint32_t b)
{
	uint32_t n = 0;
	for (int i = 0; i < tp->nsacked; i++) {
		uint32_t s = SEQ_MAX(tp->sacked[i].start, a), e = SEQ_MIN(tp->sacked[i].end, b);
		if (SEQ_LT(s, e))
			n += e - s;
	}
	return n;
}

static uint32_t highest_sack(const struct tcp_ep *tp)
{
	return tp->nsacked ? tp->sacked[tp->nsacked - 1].end : tp->snd_una;
}

uint32_t tcp_in_flight(const struct tcp_ep *tp)
{
	uint32_t out = tp->snd_max - tp->snd_una;
	if (tp->ca_state == TCP_CA_LOSS) {
		/* After an RTO all beyond snd_nxt counts as lost. */
		uint32_t n = tp->snd_nxt - tp->snd_una;
		uint32_t sk = sacked_in(tp, tp->snd_una, tp->snd_nxt);
		return n > sk ? n - sk : 0;
	}
	if (!tp->sack_ok) {
		/* Reno: each duplicate ACK is a segment that left (Linux's
		 * emulated SACK). */
		uint32_t gone = tp->dupacks * tp->mss;
		if (tp->ca_state == TCP_CA_RECOVERY && SEQ_GT(tp->high_rxt, tp->snd_una))
			gone = gone > tp->high_rxt - tp->snd_una ? gone - (tp->high_rxt - tp->snd_una) : 0;
		return out > gone ? out - gone : 0;
	}
	uint32_t n = out > tp->sacked_bytes ? out - tp->sacked_bytes : 0;
	if (tp->ca_state == TCP_CA_RECOVERY) {
		/* Holes below the highest SACK not yet retransmitted are lost. */
		uint32_t from = SEQ_MAX(tp->high_rxt, tp->snd_una), to = highest_sack(tp);
		if (SEQ_LT(from, to)) {
			uint32_t lost = (to - from) - sacked_in(tp, from, to);
			n = n > lost ? n - lost : 0;
		}
	}
	return n;
}

void tcp_enter_recovery(struct tcp_ep *tp, uint64_t now)
{
	(void)now;
	uint32_t flight = tp->snd_max - tp->snd_una;
	tp->prior_cwnd = tp->cwnd;
	tp->ssthresh = flight / 2 > 2u * tp->mss ? flight / 2 : 2u * tp->mss;
	tp->cwnd = tp->ssthresh + (tp->sack_ok ? 0 : 3u * tp->mss);
	tp->recover = tp->snd_max;
	tp->high_rxt = tp->snd_una;
	tp->ca_state = TCP_CA_RECOVERY;
	tp->ca_acked = 0;
	ns_count(tp->ep.s, NS_CTR_TCP_FAST_RETRANS);
}

void tcp_cc_on_ack(struct tcp_ep *tp, uint32_t acked, uint64_t now)
{
	(void)now;
	if (tp->cwnd < tp->ssthresh) {
		tp->cwnd += acked; /* slow start, counted in bytes (RFC 3465) */
		if (tp->cwnd > tp->ssthresh)
			tp->cwnd = tp->ssthresh > tp->cwnd - acked ? tp->ssthresh : tp->cwnd;
	} else {
		tp->ca_acked += acked;
		if (tp->ca_acked >= tp->cwnd) {
			tp->ca_acked -= tp->cwnd;
			tp->cwnd += tp->mss;
		}
	}
	if (tp->cwnd > 64u << 20)
		tp->cwnd = 64u << 20;
	tcp_sndbuf_expand(tp);
}

void tcp_rto_fired(struct tcp_ep *tp, uint64_t now)
{
	struct ns_stack *s = tp->ep.s;
	ns_count(s, NS_CTR_TCP_TIMEOUTS);
	if (tp->ca_state != TCP_CA_LOSS) {
		uint32_t flight = tcp_in_flight(tp);
		tp->prior_cwnd = tp->cwnd;
		tp->ssthresh = flight / 2 > 2u * tp->mss ? flight / 2 : 2u * tp->mss;
	}
	tp->cwnd = tp->mss;
	tp->ca_acked = 0;
	tp->ca_state = TCP_CA_LOSS;
	tp->recover = tp->snd_max;
	tp->snd_nxt = tp->snd_una;
	tp->high_rxt = tp->snd_una;
	tp->dupacks = 0;
	tp->rtt_time = 0; /* Karn */
	tp->t_rtx = NS_TIME_NEVER;
	tcp_output(tp, now);
}

/* ---- deciding what to send ---- */

/* In loss recovery: the next hole at or after high_rxt below the highest
 * SACKed byte (with no SACK, the segment at snd_una once). */
static bool next_hole(const struct tcp_ep *tp, uint32_t *seq, uint32_t *len)
{
	uint32_t from = SEQ_MAX(tp->high_rxt, tp->snd_una);
	if (!tp->sack_ok) {
		if (SEQ_GT(from, tp->snd_una) || tp->snd_una == tp->snd_max)
			return false;
		*seq = tp->snd_una;
		*len = tp->snd_max - tp->snd_una;
		return true;
	}
	uint32_t top = highest_sack(tp);
	for (int i = 0; i < tp->nsacked && SEQ_LT(from, top); i++) {
		const struct tcp_sack_blk *b = &tp->sacked[i];
		if (SEQ_LEQ(b->end, from))
			continue;
		if (SEQ_LT(from, b->start)) {
			*seq = from;
			*len = b->start - from;
			return true;
		}
		from = b->end;
	}
	return false;
}

/* After an RTO, resending from snd_nxt: skip what the peer SACKed and stop
 * short of the next SACKed block. */
static void sack_clip(const struct tcp_ep *tp, uint32_t *seq, uint32_t *maxlen)
{
	for (int i = 0; i < tp->nsacked; i++) {
		const struct tcp_sack_blk *b = &tp->sacked[i];
		if (SEQ_LEQ(b->start, *seq) && SEQ_LT(*seq, b->end))
			*seq = b->end;
		else if (SEQ_GT(b->start, *seq)) {
			if (b->start - *seq < *maxlen)
				*maxlen = b->start - *seq;
			break;
		}
	}
}

static bool can_send_data(int state)
{
	return state == NS_TCP_ESTABLISHED || state == NS_TCP_CLOSE_WAIT ||
	       state == NS_TCP_FIN_WAIT1 || state == NS_TCP_CLOSING || state == NS_TCP_LAST_ACK;
}

static void after_send(struct tcp_ep *tp, uint32_t seq, uint32_t len, bool fin, bool rtx,
		       uint64_t now)
{
	struct ns_stack *s = tp->ep.s;
	uint32_t end = seq + len + fin;
	if (rtx) {
		ns_count(s, NS_CTR_TCP_RETRANS_SEGS);
		tp->total_retrans++;
		tp->bytes_retrans += len;
		if (tp->rtt_time && SEQ_LT(seq, tp->rtt_seq))
			tp->rtt_time = 0; /* Karn: no sample from a resent segment */
	} else if (len) {
		tp->bytes_sent += len;
		/* Time one segment at a time, in microseconds (timestamps only
		 * have the peer's millisecond clock echoed). */
		if (!tp->rtt_time) {
			tp->rtt_seq = end;
			tp->rtt_time = now;
		}
	}
	if (len) {
		tp->data_segs_out++;
		tp->last_data_sent = now;
		if (len < tp->mss)
			tp->snd_sml = end;
	}
	if (SEQ_GT(end, tp->snd_max))
		tp->snd_max = end;
	if (!tp->rtx_start)
		tp->rtx_start = now;
	if (tp->t_rtx == NS_TIME_NEVER || tp->persist) {
		tp->persist = false;
		tp->t_rtx = now + rto_ns(tp);
	}
}

void tcp_output(struct tcp_ep *tp, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	if (!can_send_data(ep->state)) {
		if (tp->ack_now && ep->state != NS_TCP_CLOSE && ep->state != NS_TCP_LISTEN &&
		    ep->state != NS_TCP_SYN_SENT)
			tcp_send_ack(tp, now);
		return;
	}
	uint32_t end = tp->snd_una + tp->sndq.bytes;
	bool fin = tp->fin_queued;
	uint32_t mss = tp->mss;
	uint32_t inflight = tcp_in_flight(tp);
	bool sent = false;
	uint32_t tso = 0;
	struct ns_rt rt;
	if (ns_ep_route(ep, &ep->raddr, &rt) == 0)
		tso = tso_max(tp, &rt);
	for (int guard = 0; guard < 4096; guard++) {
		uint32_t seq, len, maxlen;
		bool rtx, sfin = false;
		if (tp->ca_state == TCP_CA_RECOVERY && inflight < tp->cwnd &&
		    next_hole(tp, &seq, &maxlen)) {
			len = maxlen < mss ? maxlen : mss;
			if (SEQ_GT(seq + len, end))
				len = SEQ_GT(end, seq) ? end - seq : 0;
			sfin = fin && seq + len == end && SEQ_GEQ(tp->snd_max, end + 1);
			if (len == 0 && !sfin)
				break;
			rtx = true;
			tp->high_rxt = seq + len + sfin;
		} else {
			seq = tp->snd_nxt;
			maxlen = UINT32_MAX;
			if (SEQ_LT(seq, tp->snd_max))
				sack_clip(tp, &seq, &maxlen);
			if (SEQ_GT(seq, tp->snd_nxt))
				tp->snd_nxt = seq;
			if (SEQ_GEQ(seq, end)) {
				/* No data at snd_nxt: a FIN still to send? */
				if (!(fin && seq == end))
					break;
				len = 0;
				sfin = true;
				rtx = SEQ_LT(seq, tp->snd_max);
			} else {
				uint32_t avail = end - seq;
				uint32_t edge = tp->snd_una + tp->snd_wnd;
				uint32_t wroom = SEQ_GT(edge, seq) ? edge - seq : 0;
				uint32_t croom = tp->cwnd > inflight ? tp->cwnd - inflight : 0;
				rtx = SEQ_LT(seq, tp->snd_max);
				/* New data goes in TSO segments when the link
				 * takes them; what is resent, in mss. */
				uint32_t cap = !rtx && tso ? tso : mss;
				len = avail;
				if (len > cap)
					len = cap;
				if (len > maxlen)
					len = maxlen;
				if (len > wroom)
					len = wroom;
				if (len > croom)
					len = croom;
				/* No short segment in the middle of the stream. */
				if (len > mss && len < avail)
					len -= len % mss;
				if (len == 0) {
					if (wroom == 0 && tp->snd_una == tp->snd_max && !tp->persist) {
						/* Zero window, nothing in flight: probe. */
						tp->persist = true;
						tp->t_rtx = now + rto_ns(tp);
					}
					break;
				}
				if (!rtx && len < mss) {
					bool last = len == avail;
					if ((tp->cork || tp->defer_cork) && !(fin && last))
						break;
					if (last && !tp->nodelay && !fin &&
					    SEQ_GT(tp->snd_sml, tp->snd_una))
						break; /* Nagle (Minshall) */
					if (!last && len < tp->max_snd_wnd / 2 && inflight > 0)
						break; /* sender SWS avoidance */
				}
				sfin = fin && seq + len == end;
			}
			tp->snd_nxt = seq + len + sfin;
		}
		uint8_t opt[40];
		uint32_t optlen = build_opts(tp, opt, now, true);
		uint16_t wnd = (uint16_t)tcp_rcv_window(tp);
		uint8_t flags = TH_ACK;
		if (sfin)
			flags |= TH_FIN;
		if (len && seq + len == end)
			flags |= TH_PSH;
		if (ep_seg_send(tp, seq, flags, opt, optlen, len, wnd) == -ENOBUFS) {
			/* The link is full: try again from the RTO. */
			if (!rtx && tp->ca_state != TCP_CA_RECOVERY)
				tp->snd_nxt = seq;
			if (tp->t_rtx == NS_TIME_NEVER)
				tp->t_rtx = now + TCP_RESOURCE_PROBE_NS;
			break;
		}
		after_send(tp, seq, len, sfin, rtx, now);
		inflight += len + sfin;
		sent = true;
	}
	if (!sent && tp->ack_now)
		tcp_send_ack(tp, now);
	tcp_rearm(tp);
}
