/*
 * tcp_input.c — TCP segments in: validation, demultiplexing, the state
 * machine (RFC 793 "segment arrives", with RFC 5961's defences against
 * blind RST/SYN/data, RFC 7323's PAWS), ACK processing (RTT, congestion
 * control, SACK scoreboard, loss detection), reassembly, and the
 * listener's half-open connections.
 *
 * Runs on the poller's thread with one endpoint lock held at a time; a
 * segment that changes hands (a handshake completed into a new child, a
 * TIME_WAIT replaced by a new SYN) is looked up again ("redo").
 */
#include "netstack/tcp.h"

#include <stdlib.h>

enum { SEG_DONE, SEG_REDO };

/* ---- parsing ---- */

static bool parse_options(const uint8_t *o, uint32_t n, struct tcp_seg *seg, bool syn)
{
	uint32_t i = 0;
	while (i < n) {
		uint8_t kind = o[i];
		if (kind == 0)
			return true; /* end of list */
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 2 > n)
			return false;
		uint32_t len = o[i + 1];
		if (len < 2 || i + len > n)
			return false;
		const uint8_t *v = o + i + 2;
		switch (kind) {
		case 2:
			if (len == 4 && syn) {
				seg->has_mss = true;
				seg->mss = get16(v);
			}
			break;
		case 3:
			if (len == 3 && syn) {
				seg->has_ws = true;
				seg->wscale = v[0] > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : v[0];
			}
			break;
		case 4:
			if (len == 2 && syn)
				seg->sack_ok = true;
			break;
		case 5:
			if (len >= 10 && (len - 2) % 8 == 0 && !syn) {
				int k = (int)(len - 2) / 8;
				for (int j = 0; j < k && seg->nsack < 4; j++) {
					seg->sack[seg->nsack][0] = get32(v + 8 * j);
					seg->sack[seg->nsack][1] = get32(v + 8 * j + 4);
					seg->nsack++;
				}
			}
			break;
		case 8:
			if (len == 10) {
				seg->has_ts = true;
				seg->tsval = get32(v);
				seg->tsecr = get32(v + 4);
			}
			break;
		}
		i += len;
	}
	return true;
}

/* ---- queues ---- */

void tcp_queue_purge(struct tcp_queue *q)
{
	ns_pbuf_free_chain(q->head);
	memset(q, 0, sizeof(*q));
}

static void queue_append(struct tcp_queue *q, struct ns_pbuf *pb)
{
	ns_pbuf_append(&q->head, &q->tail, pb);
	q->bytes += pb->len;
	q->truesize += pb->cap;
}

/* Append in-order payload to the receive queue: a small payload is copied
 * into the tail buffer (or a small new one) so that many tiny segments do
 * not pin a buffer each; a large one is kept as it came. */
static void rcvq_add(struct tcp_ep *tp, struct ns_pbuf *pb, const uint8_t *data, uint32_t len,
		     bool *taken)
{
	struct tcp_queue *q = &tp->rcvq;
	struct ns_pbuf *t = q->tail;
	if (len == 0)
		return;
	if (t && len <= 1024 && t->cap - (t->off + t->len) >= len) {
		memcpy(t->buf + t->off + t->len, data, len);
		t->len += len;
		q->bytes += len;
		return;
	}
	if (!*taken && (uint64_t)len * 8 >= pb->cap) {
		pb->off = (uint32_t)(data - pb->buf);
		pb->len = len;
		queue_append(q, pb);
		*taken = true;
		return;
	}
	struct ns_pbuf *c = ns_pbuf_alloc(len < 1024 ? 1024 : len);
	if (!c)
		return; /* ENOMEM: the bytes are lost; the window accounting
			 * stays right because rcv_nxt moved: the app sees a gap
			 * only under memory exhaustion */
	memcpy(ns_pbuf_data(c), data, len);
	c->len = len;
	queue_append(q, c);
}

/* ---- SACK scoreboard (sender side) ---- */

void tcp_sack_clean(struct tcp_ep *tp)
{
	int k = 0;
	uint32_t bytes = 0;
	for (int i = 0; i < tp->nsacked; i++) {
		struct tcp_sack_blk b = tp->sacked[i];
		if (SEQ_LEQ(b.end, tp->snd_una))
			continue;
		if (SEQ_LT(b.start, tp->snd_una))
			b.start = tp->snd_una;
		tp->sacked[k++] = b;
		bytes += b.end - b.start;
	}
	tp->nsacked = k;
	tp->sacked_bytes = bytes;
}

static void sack_add(struct tcp_ep *tp, uint32_t s, uint32_t e)
{
	/* Insert [s, e) and merge neighbours; keep the list sorted. */
	struct tcp_sack_blk v[TCP_MAX_SACKED + 1];
	int n = 0;
	bool placed = false;
	for (int i = 0; i < tp->nsacked; i++) {
		struct tcp_sack_blk b = tp->sacked[i];
		if (!placed && SEQ_LT(s, b.start)) {
			v[n].start = s;
			v[n++].end = e;
			placed = true;
		}
		v[n++] = b;
	}
	if (!placed) {
		v[n].start = s;
		v[n++].end = e;
	}
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (k && SEQ_LEQ(v[i].start, v[k - 1].end)) {
			if (SEQ_GT(v[i].end, v[k - 1].end))
				v[k - 1].end = v[i].end;
		} else {
			v[k++] = v[i];
		}
	}
	if (k > TCP_MAX_SACKED)
		k = TCP_MAX_SACKED; /* forget the highest: it will be SACKed again */
	memcpy(tp->sacked, v, sizeof(v[0]) * (size_t)k);
	tp->nsacked = k;
}

/* Merge the segment's SACK blocks; returns whether any byte was newly
 * SACKed. */
static bool sack_merge(struct tcp_ep *tp, const struct tcp_seg *seg)
{
	if (!tp->sack_ok || !seg->nsack)
		return false;
	uint32_t before = tp->sacked_bytes;
	for (int i = 0; i < seg->nsack; i++) {
		uint32_t s = seg->sack[i][0], e = seg->sack[i][1];
		/* Only blocks inside what we sent and not yet ACKed; a D-SACK
		 * (below the ACK) only counts. */
		if (!SEQ_LT(s, e) || SEQ_GT(e, tp->snd_max))
			continue;
		if (SEQ_LEQ(e, seg->ack) || SEQ_LEQ(e, tp->snd_una)) {
			tp->dsack_dups++;
			continue;
		}
		if (SEQ_LT(s, tp->snd_una))
			s = tp->snd_una;
		sack_add(tp, s, e);
	}
	tcp_sack_clean(tp);
	return tp->sacked_bytes > before;
}

void tcp_sack_update(struct tcp_ep *tp, const struct tcp_seg *seg)
{
	sack_merge(tp, seg);
}

/* ---- the receive side ---- */

static void ack_schedule(struct tcp_ep *tp, uint64_t now)
{
	if (tp->ack_now)
		return;
	/* __tcp_ack_snd_check: in quick-ACK mode, or with more than one full
	 * segment unacknowledged while the window announced now would reach
	 * as far right as the last one plus what came since, ACK now;
	 * otherwise delay.  A reader that lags (the queue grows) gets no ACK
	 * per segment: each would repeat the right edge the sender already
	 * has, at the price of a send (a system call and the host's work on
	 * it); the ACK comes when the reader frees room (window_update in
	 * tcp.c), as Linux's __tcp_cleanup_rbuf sends it.  Unless the owner
	 * waits for more than the queue holds (SO_RCVLOWAT): it will not
	 * read before more comes. */
	bool many = tp->rcv_nxt - tp->rcv_wup > tp->rcv_mss;
	uint32_t lowat = tp->ep.rcvlowat > 1 ? (uint32_t)tp->ep.rcvlowat : 1;
	if ((many && (tp->rcvq.bytes < lowat ||
		      tcp_rcv_window_select(tp) >= tp->rcv_adv - tp->rcv_wup)) ||
	    tp->quickacks) {
		if (tp->quickacks)
			tp->quickacks--;
		tp->ack_now = true;
		return;
	}
	tp->ack_pending++;
	if (tp->t_delack == NS_TIME_NEVER)
		tp->t_delack = now + (uint64_t)tp->ato_us * 1000;
}

/* The peer's FIN is in sequence (tcp_fin). */
static void rcv_fin(struct tcp_ep *tp, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	tp->rcv_fin = true;
	tp->rcv_nxt++;
	ep->shutdown |= NS_RCV_SHUTDOWN;
	switch (ep->state) {
	case NS_TCP_SYN_RECV:
	case NS_TCP_ESTABLISHED:
		tcp_set_state(tp, NS_TCP_CLOSE_WAIT);
		ack_schedule(tp, now);
		break;
	case NS_TCP_FIN_WAIT1:
		/* Simultaneous close. */
		tp->ack_now = true;
		tcp_set_state(tp, NS_TCP_CLOSING);
		break;
	case NS_TCP_FIN_WAIT2:
		tp->ack_now = true;
		tcp_send_ack(tp, now);
		tcp_enter_time_wait(tp, now);
		break;
	}
	ns_ep_notify(ep);
}

static void ooo_insert(struct tcp_ep *tp, struct ns_pbuf *pb, bool *taken)
{
	struct tcp_queue *q = &tp->ooo;
	uint32_t s = pb->seq, e = pb->seq + pb->len + pb->fin;
	struct ns_pbuf **pp = &q->head, *prev = NULL;
	while (*pp && SEQ_LT((*pp)->seq, s)) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	/* Already held whole by a neighbour: a duplicate. */
	if (prev && SEQ_GEQ(prev->seq + prev->len + prev->fin, e))
		return;
	if (*pp && (*pp)->seq == s && SEQ_GEQ((*pp)->seq + (*pp)->len + (*pp)->fin, e))
		return;
	pb->next = *pp;
	*pp = pb;
	if (!pb->next)
		q->tail = pb;
	q->bytes += pb->len;
	q->truesize += pb->cap;
	*taken = true;
	/* Drop the segments the new one covers. */
	struct ns_pbuf *n = pb->next;
	while (n && SEQ_LEQ(n->seq + n->len + n->fin, e)) {
		pb->next = n->next;
		if (q->tail == n)
			q->tail = pb;
		q->bytes -= n->len;
		q->truesize -= n->cap;
		ns_pbuf_free(n);
		n = pb->next;
	}
}

/* Move what became in order from the out-of-order queue. */
static void ooo_pull(struct tcp_ep *tp, uint64_t now)
{
	struct tcp_queue *q = &tp->ooo;
	while (q->head && SEQ_LEQ(q->head->seq, tp->rcv_nxt) && !tp->rcv_fin) {
		struct ns_pbuf *pb = q->head;
		q->head = pb->next;
		if (!q->head)
			q->tail = NULL;
		q->bytes -= pb->len;
		q->truesize -= pb->cap;
		uint32_t end = pb->seq + pb->len;
		if (SEQ_GT(end, tp->rcv_nxt)) {
			uint32_t cut = tp->rcv_nxt - pb->seq;
			bool taken = false;
			uint32_t n = pb->len - cut;
			rcvq_add(tp, pb, ns_pbuf_data(pb) + cut, n, &taken);
			tp->rcv_nxt += n;
			tp->bytes_received += n;
			if (pb->fin)
				rcv_fin(tp, now);
			if (!taken)
				ns_pbuf_free(pb);
		} else {
			if (pb->fin && end == tp->rcv_nxt)
				rcv_fin(tp, now);
			ns_pbuf_free(pb);
		}
	}
}

/* tcp_data_queue: payload (and FIN) of an acceptable segment. */
static void data_queue(struct tcp_ep *tp, const struct tcp_seg *seg, struct ns_pbuf *pb,
		       bool *taken, uint64_t now)
{
	uint32_t seq = seg->seq;
	const uint8_t *data = seg->data;
	uint32_t len = seg->len;
	bool fin = seg->flags & TH_FIN;
	if (tp->rcv_fin)
		return; /* nothing counts after the FIN */
	if (SEQ_LT(seq, tp->rcv_nxt)) {
		uint32_t cut = tp->rcv_nxt - seq;
		if (cut >= len + fin) {
			/* All old: a duplicate; say where we are at once. */
			tp->ack_now = true;
			return;
		}
		if (cut > len) { /* only the FIN is new */
			cut = len;
		}
		seq += cut;
		data += cut;
		len -= cut;
	}
	uint32_t wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	if (len && wnd == 0 && seq == tp->rcv_nxt) {
		/* A zero-window probe with data: drop it, answer. */
		tp->ack_now = true;
		return;
	}
	uint32_t right = tp->rcv_nxt + wnd;
	if (SEQ_GT(seq + len, right)) {
		if (SEQ_GEQ(seq, right)) {
			tp->ack_now = true;
			return;
		}
		len = right - seq;
		fin = false;
	}
	if (len == 0 && !fin)
		return;
	tp->data_segs_in += len > 0;
	tp->last_data_rcv = now;
	/* tcp_measure_rcv_mss: the peer's segment size, at most what we
	 * announced.  A GRO/GSO frame from the host (up to 64 KiB) is many
	 * segments: taken as its length, it made every later frame look like
	 * less than two segments, so ACKs waited for the delayed-ACK timer
	 * and the window opened only in 64 KiB steps. */
	uint32_t mss_cap = tp->advmss ? tp->advmss : 65535;
	if (len > tp->rcv_mss)
		tp->rcv_mss = (uint16_t)(len > mss_cap ? mss_cap : len);
	if (seq == tp->rcv_nxt) {
		bool had_ooo = tp->ooo.head != NULL;
		rcvq_add(tp, pb, data, len, taken);
		tp->rcv_nxt += len;
		tp->bytes_received += len;
		if (fin)
			rcv_fin(tp, now);
		else
			ack_schedule(tp, now);
		if (had_ooo) {
			ooo_pull(tp, now);
			tp->ack_now = true; /* a hole filled: tell at once */
		}
		if (len)
			ns_ep_notify(&tp->ep);
		return;
	}
	/* Out of order: keep it (if the buffer allows) and ACK at once with
	 * SACK blocks, so the sender learns of the hole. */
	struct ns_stack *s = tp->ep.s;
	tp->ack_now = true;
	tp->rcv_ooopack++;
	if (tp->rcvq.bytes + tp->ooo.bytes + len > tcp_rcvbuf(tp) + tp->rcv_mss ||
	    tp->ooo.truesize > 2 * tcp_rcvbuf(tp) + 65536 * 2) {
		ns_count(s, NS_CTR_TCP_OOO_DROPS);
		return;
	}
	if (*taken) {
		ns_count(s, NS_CTR_TCP_OOO_DROPS);
		return;
	}
	ns_count(s, NS_CTR_TCP_OOO_QUEUED);
	pb->off = (uint32_t)(data - pb->buf);
	pb->len = len;
	pb->seq = seq;
	pb->fin = fin;
	tp->ooo_last_start = seq;
	tp->ooo_last_end = seq + len + fin;
	ooo_insert(tp, pb, taken);
}

/* ---- ACK processing ---- */

static void free_acked(struct tcp_ep *tp, uint32_t n)
{
	struct tcp_queue *q = &tp->sndq;
	while (n && q->head) {
		struct ns_pbuf *pb = q->head;
		if (n < pb->len) {
			pb->off += n;
			pb->len -= n;
			q->bytes -= n;
			return;
		}
		n -= pb->len;
		q->bytes -= pb->len;
		q->truesize -= pb->cap;
		q->head = pb->next;
		if (!q->head)
			q->tail = NULL;
		ns_pbuf_free(pb);
	}
}

static bool writable(const struct tcp_ep *tp)
{
	uint32_t buf = tcp_sndbuf(tp);
	uint32_t q = tp->sndq.bytes;
	return buf > q && buf - q >= q / 2;
}

/* tcp_ack.  Returns false when the segment must be dropped (after an ACK
 * when ack_now is set). */
static bool process_ack(struct tcp_ep *tp, const struct tcp_seg *seg, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	uint32_t ack = seg->ack;
	if (SEQ_GT(ack, tp->snd_max)) {
		/* Acknowledges what we never sent (RFC 5961 5.2). */
		tp->ack_now = true;
		return false;
	}
	if (SEQ_LT(ack, tp->snd_una - tp->max_snd_wnd)) {
		tp->ack_now = true;
		return false;
	}
	tp->last_ack_rcv = now;
	tp->probes_out = 0;
	uint32_t prior_wnd = tp->snd_wnd;
	bool new_sack = sack_merge(tp, seg);
	/* The window (RFC 793 3.9: only from newer segments). */
	bool wnd_update = false;
	if (SEQ_LT(tp->snd_wl1, seg->seq) ||
	    (tp->snd_wl1 == seg->seq && SEQ_LEQ(tp->snd_wl2, ack))) {
		uint32_t w = (uint32_t)seg->wnd << tp->snd_wscale;
		wnd_update = w != tp->snd_wnd;
		tp->snd_wnd = w;
		tp->snd_wl1 = seg->seq;
		tp->snd_wl2 = ack;
		if (w > tp->max_snd_wnd)
			tp->max_snd_wnd = w;
		if (w && tp->persist) {
			tp->persist = false;
			tp->t_rtx = NS_TIME_NEVER;
			tp->backoff = 0;
		}
	}
	if (SEQ_GT(ack, tp->snd_una)) {
		uint32_t acked = ack - tp->snd_una;
		uint32_t data_end = tp->snd_una + tp->sndq.bytes;
		uint32_t data_acked = SEQ_GT(ack, data_end) ? data_end - tp->snd_una : acked;
		free_acked(tp, data_acked);
		tp->snd_una = ack;
		if (SEQ_LT(tp->snd_nxt, tp->snd_una))
			tp->snd_nxt = tp->snd_una;
		if (SEQ_LT(tp->high_rxt, tp->snd_una))
			tp->high_rxt = tp->snd_una;
		tp->bytes_acked += data_acked;
		tp->delivered++;
		if (tp->rtt_time && SEQ_GEQ(ack, tp->rtt_seq)) {
			if (now > tp->rtt_time)
				tcp_rtt_sample(tp, (uint32_t)((now - tp->rtt_time) / 1000));
			tp->rtt_time = 0;
		}
		tp->backoff = 0;
		tp->retransmits = 0;
		tp->dupacks = 0;
		tcp_sack_clean(tp);
		tp->rtx_start = tp->snd_una == tp->snd_max ? 0 : now;
		switch (tp->ca_state) {
		case TCP_CA_RECOVERY:
			if (SEQ_GEQ(ack, tp->recover)) {
				uint32_t fl = tcp_in_flight(tp) + tp->mss;
				tp->cwnd = tp->ssthresh < fl ? tp->ssthresh : fl;
				tp->ca_state = TCP_CA_OPEN;
			} else if (!tp->sack_ok) {
				/* NewReno partial ACK: resend the next one. */
				tp->high_rxt = tp->snd_una;
				tp->cwnd = tp->cwnd > acked ? tp->cwnd - acked + tp->mss : tp->mss;
			}
			break;
		case TCP_CA_LOSS:
			if (SEQ_GEQ(ack, tp->recover))
				tp->ca_state = TCP_CA_OPEN;
			tcp_cc_on_ack(tp, acked, now);
			break;
		default:
			tp->ca_state = tp->nsacked ? TCP_CA_DISORDER : TCP_CA_OPEN;
			tcp_cc_on_ack(tp, acked, now);
		}
		if (tp->snd_una == tp->snd_max)
			tp->t_rtx = tp->persist ? tp->t_rtx : NS_TIME_NEVER;
		else if (!tp->persist)
			tp->t_rtx = now + ((uint64_t)tp->rto_us * 1000);
		if (writable(tp))
			ns_ep_notify(ep);
	} else if (ack == tp->snd_una && tp->snd_una != tp->snd_max &&
		   ((seg->len == 0 && !(seg->flags & (TH_SYN | TH_FIN)) && !wnd_update &&
		     ((uint32_t)seg->wnd << tp->snd_wscale) == prior_wnd) ||
		    new_sack)) {
		/* A duplicate ACK. */
		tp->dupacks++;
		if (tp->ca_state == TCP_CA_OPEN)
			tp->ca_state = TCP_CA_DISORDER;
		if (tp->ca_state < TCP_CA_RECOVERY &&
		    (tp->dupacks >= 3 || (tp->sack_ok && tp->sacked_bytes >= 3u * tp->mss)))
			tcp_enter_recovery(tp, now);
		else if (tp->ca_state == TCP_CA_RECOVERY && !tp->sack_ok)
			tp->cwnd += tp->mss;
	}
	return true;
}

/* Is the segment within the window (tcp_sequence)? */
static bool seq_acceptable(const struct tcp_ep *tp, const struct tcp_seg *seg)
{
	uint32_t end = seg->seq + seg->len + !!(seg->flags & TH_SYN) + !!(seg->flags & TH_FIN);
	uint32_t wnd = SEQ_GT(tp->rcv_adv, tp->rcv_nxt) ? tp->rcv_adv - tp->rcv_nxt : 0;
	return !SEQ_LT(end, tp->rcv_wup) && !SEQ_GT(seg->seq, tp->rcv_nxt + wnd);
}

static void update_ts_recent(struct tcp_ep *tp, const struct tcp_seg *seg, uint64_t now)
{
	if (tp->ts_ok && seg->has_ts && SEQ_GEQ(seg->tsval, tp->ts_recent) &&
	    SEQ_LEQ(seg->seq, tp->rcv_wup)) {
		tp->ts_recent = seg->tsval;
		tp->ts_recent_stamp = now;
	}
}

/* Answer an invalid segment with an ACK, at most twice a second when it
 * carries no data (tcp_oow_rate_limited): two stacks that disagree must not
 * ACK each other's ACKs forever. */
static void oow_ack(struct tcp_ep *tp, const struct tcp_seg *seg, uint64_t now)
{
	bool nodata = seg->len == 0 && !(seg->flags & (TH_SYN | TH_FIN));
	if (nodata && tp->last_oow_ack && now - tp->last_oow_ack < TCP_OOW_RATELIMIT_NS)
		return;
	tp->last_oow_ack = now;
	tcp_send_ack(tp, now);
}

/* A synchronized state: SYN_RECV (simultaneous open), ESTABLISHED,
 * FIN_WAIT1/2, CLOSE_WAIT, CLOSING, LAST_ACK. */
static int rcv_synchronized(struct tcp_ep *tp, const struct tcp_seg *seg, struct ns_pbuf *pb,
			    bool *taken, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	struct ns_stack *s = ep->s;
	tp->segs_in++;
	tp->last_rcv = now;
	/* PAWS (RFC 7323 5): an old timestamp is a wrapped-around duplicate. */
	if (tp->ts_ok && seg->has_ts && !(seg->flags & TH_RST) && tp->ts_recent_stamp &&
	    SEQ_LT(seg->tsval, tp->ts_recent) &&
	    now - tp->ts_recent_stamp < 24ull * 86400 * NS_NSEC_PER_SEC) {
		ns_count(s, NS_CTR_TCP_PAWS_DROPS);
		oow_ack(tp, seg, now);
		return SEG_DONE;
	}
	if (!seq_acceptable(tp, seg)) {
		ns_count(s, NS_CTR_TCP_OUT_OF_WINDOW);
		if (!(seg->flags & TH_RST))
			oow_ack(tp, seg, now);
		return SEG_DONE;
	}
	if (seg->flags & TH_RST) {
		if (seg->seq != tp->rcv_nxt) {
			/* In the window but not exact: challenge (RFC 5961 3). */
			ns_count(s, NS_CTR_TCP_CHALLENGE_ACKS);
			oow_ack(tp, seg, now);
			return SEG_DONE;
		}
		int err;
		switch (ep->state) {
		case NS_TCP_SYN_RECV:
			err = ECONNREFUSED;
			break;
		case NS_TCP_CLOSE_WAIT:
			err = EPIPE;
			break;
		case NS_TCP_CLOSING:
		case NS_TCP_LAST_ACK:
			err = 0;
			break;
		default:
			err = ECONNRESET;
		}
		if (ep->state == NS_TCP_ESTABLISHED || ep->state == NS_TCP_CLOSE_WAIT)
			ns_count(s, NS_CTR_TCP_ESTAB_RESETS);
		tcp_abort(tp, err, false);
		return SEG_DONE;
	}
	if (seg->flags & TH_SYN) {
		/* A SYN in a synchronized state: challenge (RFC 5961 4). */
		ns_count(s, NS_CTR_TCP_CHALLENGE_ACKS);
		oow_ack(tp, seg, now);
		return SEG_DONE;
	}
	if (!(seg->flags & TH_ACK))
		return SEG_DONE;
	if (ep->state == NS_TCP_SYN_RECV) {
		if (!(SEQ_LT(tp->snd_una, seg->ack) && SEQ_LEQ(seg->ack, tp->snd_max))) {
			ns_count(s, NS_CTR_TCP_OUT_RSTS);
			tcp_send_rst_for(tp, now);
			return SEG_DONE;
		}
		tp->snd_wl1 = seg->seq - 1; /* take this segment's window */
		tcp_set_state(tp, NS_TCP_ESTABLISHED);
		ep->sock_state = ep->sock_state == NS_SS_CONNECTING ? ep->sock_state : NS_SS_CONNECTED;
		ns_ep_notify(ep);
	}
	update_ts_recent(tp, seg, now);
	if (!process_ack(tp, seg, now)) {
		if (tp->ack_now)
			tcp_send_ack(tp, now);
		return SEG_DONE;
	}
	/* Our FIN is acknowledged once the ACK passes its sequence number. */
	bool fin_acked = tp->fin_queued && SEQ_GT(tp->snd_una, tp->fin_seq);
	switch (ep->state) {
	case NS_TCP_FIN_WAIT1:
		if (fin_acked) {
			tcp_set_state(tp, NS_TCP_FIN_WAIT2);
			ns_ep_notify(ep);
			if (ep->closed) {
				/* An orphan waits fin_timeout for the FIN. */
				uint64_t t = tp->linger2 > 0 ? (uint64_t)tp->linger2
							     : s->sysctl.tcp_fin_timeout;
				if (tp->linger2 < 0) {
					tcp_done(tp);
					return SEG_DONE;
				}
				tp->t_keep = now + t * NS_NSEC_PER_SEC;
			}
		}
		break;
	case NS_TCP_CLOSING:
		if (fin_acked) {
			tcp_enter_time_wait(tp, now);
			return SEG_DONE;
		}
		break;
	case NS_TCP_LAST_ACK:
		if (fin_acked) {
			tcp_done(tp);
			return SEG_DONE;
		}
		break;
	}
	if (seg->flags & TH_URG)
		ns_count(s, NS_CTR_TCP_URG_IGNORED); /* delivered inline */
	if (seg->len || (seg->flags & TH_FIN)) {
		switch (ep->state) {
		case NS_TCP_FIN_WAIT1:
		case NS_TCP_FIN_WAIT2:
			/* RFC 1122: data after we closed for reading: reset. */
			if ((ep->shutdown & NS_RCV_SHUTDOWN) && seg->len &&
			    SEQ_GT(seg->seq + seg->len, tp->rcv_nxt)) {
				ns_count(s, NS_CTR_TCP_ABORT_ON_DATA);
				tcp_abort(tp, ECONNRESET, true);
				return SEG_DONE;
			}
			/* fallthrough */
		case NS_TCP_ESTABLISHED:
			data_queue(tp, seg, pb, taken, now);
			break;
		default:
			break; /* after the peer's FIN: nothing more counts */
		}
	}
	if (ep->state == NS_TCP_TIME_WAIT || ep->state == NS_TCP_CLOSE)
		return SEG_DONE;
	tcp_output(tp, now);
	return SEG_DONE;
}

/* ---- SYN_SENT ---- */

static void negotiate(struct tcp_ep *tp, const struct tcp_seg *seg)
{
	tp->ts_ok = tp->ts_ok && seg->has_ts;
	tp->sack_ok = tp->sack_ok && seg->sack_ok;
	if (tp->ws_ok && seg->has_ws) {
		tp->snd_wscale = seg->wscale;
	} else {
		tp->ws_ok = false;
		tp->snd_wscale = 0;
		tp->rcv_wscale = 0;
	}
	if (tp->ts_ok) {
		tp->ts_recent = seg->tsval;
	}
	tp->peer_mss = seg->has_mss ? seg->mss : (ip_is_v4(&tp->ep.raddr) ? 536 : 1220);
	tcp_update_mss(tp);
}

static int rcv_syn_sent(struct tcp_ep *tp, const struct ns_pktinfo *pi, const struct tcp_seg *seg,
			uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	struct ns_stack *s = ep->s;
	bool ack_ok = false;
	tp->segs_in++;
	if (seg->flags & TH_ACK) {
		if (SEQ_LEQ(seg->ack, tp->iss) || SEQ_GT(seg->ack, tp->snd_max)) {
			tcp_reply_rst(s, pi, seg);
			return SEG_DONE;
		}
		ack_ok = true;
	}
	if (seg->flags & TH_RST) {
		if (ack_ok) {
			ns_count(s, NS_CTR_TCP_ATTEMPT_FAILS);
			tcp_abort(tp, ECONNREFUSED, false);
		}
		return SEG_DONE;
	}
	if (!(seg->flags & TH_SYN))
		return SEG_DONE;
	tp->irs = seg->seq;
	tp->rcv_nxt = seg->seq + 1;
	tp->rcv_wup = tp->rcv_nxt;
	tp->rcv_adv = tp->rcv_nxt;
	negotiate(tp, seg);
	if (tp->ts_ok)
		tp->ts_recent_stamp = now;
	tp->snd_wnd = seg->wnd; /* a SYN's window is not scaled */
	tp->max_snd_wnd = tp->snd_wnd;
	tp->snd_wl1 = seg->seq;
	tp->snd_wl2 = seg->ack;
	if (ack_ok) {
		if (tp->backoff == 0 && tp->rtx_start)
			tcp_rtt_sample(tp, (uint32_t)((now - tp->rtx_start) / 1000));
		tp->snd_una = seg->ack;
		tp->t_rtx = NS_TIME_NEVER;
		tp->backoff = 0;
		tp->retransmits = 0;
		tp->rtx_start = 0;
		tp->cwnd = TCP_INIT_CWND * tp->mss;
		tcp_sndbuf_expand(tp);
		tcp_set_state(tp, NS_TCP_ESTABLISHED);
		ns_ep_notify(ep);
		tp->ack_now = true;
		tcp_output(tp, now);
		return SEG_DONE;
	}
	/* Simultaneous open: answer with our SYN and an ACK. */
	tcp_set_state(tp, NS_TCP_SYN_RECV);
	tcp_send_syn(tp, now, true);
	tcp_rearm(tp);
	return SEG_DONE;
}

/* ---- TIME_WAIT ---- */

static int rcv_time_wait(struct tcp_ep *tp, const struct tcp_seg *seg, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	if (seg->flags & TH_RST) {
		tcp_done(tp); /* tcp_rfc1337 = 0: a RST ends TIME_WAIT */
		return SEG_DONE;
	}
	if ((seg->flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		/* A new connection on the old 4-tuple, above the old sequence
		 * space or with a newer timestamp (tcp_timewait_state_process). */
		if (SEQ_GT(seg->seq, tp->rcv_nxt) ||
		    (tp->ts_ok && seg->has_ts && SEQ_GT(seg->tsval, tp->ts_recent))) {
			ns_count(ep->s, NS_CTR_TCP_TW_REOPENED);
			tcp_done(tp);
			return SEG_REDO;
		}
	}
	if (seg->flags & TH_FIN) {
		/* The peer did not get our last ACK: again, and wait anew. */
		tp->t_keep = now + TCP_TIMEWAIT_NS;
		tcp_rearm(tp);
	}
	tcp_send_ack(tp, now);
	return SEG_DONE;
}

/* ---- listeners ---- */

static struct tcp_request *req_find(struct tcp_listen *lq, const struct ns_pktinfo *pi,
				    const struct tcp_seg *seg, struct tcp_request ***link)
{
	struct tcp_request **pp = &lq->req;
	for (; *pp; pp = &(*pp)->next) {
		struct tcp_request *rq = *pp;
		if (rq->rport == seg->sport && rq->lport == seg->dport &&
		    ip_eq(&rq->raddr, &pi->src) && ip_eq(&rq->laddr, &pi->dst)) {
			if (link)
				*link = pp;
			return rq;
		}
	}
	return NULL;
}

static void req_unlink(struct tcp_listen *lq, struct tcp_request **pp)
{
	struct tcp_request *rq = *pp;
	*pp = rq->next;
	lq->nreq--;
	free(rq);
}

void tcp_listener_arm(struct tcp_ep *lp);

/* Accept queue full? (sk_acceptq_is_full: more than the backlog.) */
static bool acceptq_full(const struct tcp_listen *lq)
{
	return lq->qlen > lq->backlog;
}


static int rcv_listen(struct tcp_ep *lp, const struct ns_pktinfo *pi, const struct tcp_seg *seg,
		      uint64_t now)
{
	struct ns_stack *s = lp->ep.s;
	struct tcp_listen *lq = lp->lq;
	struct tcp_request **link = NULL;
	struct tcp_request *rq = req_find(lq, pi, seg, &link);
	if (seg->flags & TH_RST) {
		if (rq && seg->seq == rq->irs + 1)
			req_unlink(lq, link);
		return SEG_DONE;
	}
	if (seg->flags & TH_ACK) {
		if (!rq) {
			ns_count(s, NS_CTR_TCP_IN_NO_SOCKET);
			tcp_reply_rst(s, pi, seg);
			return SEG_DONE;
		}
		if (seg->flags & TH_SYN) {
			tcp_reply_rst(s, pi, seg);
			return SEG_DONE;
		}
		if (seg->ack != rq->iss + 1) {
			tcp_reply_rst(s, pi, seg);
			return SEG_DONE;
		}
		if (seg->seq != rq->irs + 1)
			return SEG_DONE; /* out of window: the SYN-ACK timer resends */
		if ((uint32_t)rq->retrans < lp->defer_accept && seg->len == 0 && !(seg->flags & TH_FIN)) {
			/* TCP_DEFER_ACCEPT (tcp_check_req): a bare ACK is
			 * dropped, the connection waits for its first data. */
			rq->acked = true;
			return SEG_DONE;
		}
		if (acceptq_full(lq)) {
			/* tcp_abort_on_overflow = 0: forget the ACK, keep the
			 * request; the client's next segment completes it. */
			ns_count(s, NS_CTR_TCP_LISTEN_OVERFLOWS);
			ns_count(s, NS_CTR_TCP_LISTEN_DROPS);
			rq->acked = true;
			return SEG_DONE;
		}
		struct tcp_ep *c = tcp_child_new(lp, rq, now);
		if (!c) {
			ns_count(s, NS_CTR_TCP_LISTEN_DROPS);
			return SEG_DONE;
		}
		tcp_rtt_sample(c, (uint32_t)((now - rq->born) / 1000));
		req_unlink(lq, link);
		ns_port_inherit(&c->ep, &lp->ep);
		ns_count(s, NS_CTR_TCP_PASSIVE_OPENS);
		if (lq->acc_tail)
			lq->acc_tail->acc_next = c;
		else
			lq->acc_head = c;
		lq->acc_tail = c;
		lq->qlen++;
		ns_ep_notify(&lp->ep);
		/* The ACK may carry data or a FIN: the child takes it. */
		return SEG_REDO;
	}
	if (!(seg->flags & TH_SYN) || (seg->flags & TH_FIN))
		return SEG_DONE;
	if (rq) {
		/* The client resent its SYN: so do we our SYN-ACK. */
		tcp_send_synack_req(s, lp, rq, now);
		return SEG_DONE;
	}
	if (acceptq_full(lq)) {
		ns_count(s, NS_CTR_TCP_LISTEN_OVERFLOWS);
		ns_count(s, NS_CTR_TCP_LISTEN_DROPS);
		return SEG_DONE;
	}
	uint32_t maxreq = (uint32_t)lq->backlog + 1;
	if (maxreq > s->sysctl.max_syn_backlog)
		maxreq = s->sysctl.max_syn_backlog;
	if ((uint32_t)lq->nreq >= maxreq) {
		ns_count(s, NS_CTR_TCP_LISTEN_DROPS);
		return SEG_DONE;
	}
	rq = calloc(1, sizeof(*rq));
	if (!rq) {
		ns_count(s, NS_CTR_TCP_LISTEN_DROPS);
		return SEG_DONE;
	}
	rq->laddr = pi->dst;
	rq->raddr = pi->src;
	rq->lport = seg->dport;
	rq->rport = seg->sport;
	rq->irs = seg->seq;
	rq->iss = tcp_iss(s, &rq->laddr, rq->lport, &rq->raddr, rq->rport, now);
	rq->sack_ok = s->sysctl.tcp_sack && seg->sack_ok;
	rq->ts_ok = s->sysctl.tcp_timestamps && seg->has_ts;
	rq->ts_recent = seg->tsval;
	rq->ws_ok = s->sysctl.tcp_window_scaling && seg->has_ws;
	if (rq->ws_ok) {
		rq->snd_wscale = seg->wscale;
		rq->rcv_wscale = tcp_rcv_wscale(s, tcp_rcvbuf(lp), lp->ep.rcvbuf_locked);
	}
	rq->peer_mss = seg->has_mss ? seg->mss : (ip_is_v4(&pi->src) ? 536 : 1220);
	rq->born = now;
	rq->deadline = now + (uint64_t)TCP_TIMEOUT_INIT_US * 1000;
	rq->next = lq->req;
	lq->req = rq;
	lq->nreq++;
	tcp_send_synack_req(s, lp, rq, now);
	tcp_listener_arm(lp);
	return SEG_DONE;
}

/* ---- errors from ICMP ---- */

void ns_tcp_err(struct ns_stack *s, const struct ns_icmp_err *e)
{
	struct ns_endpoint *ep = ns_lookup(s, IPPROTO_TCP, &e->dst, e->dport, &e->src, e->sport);
	if (!ep)
		return;
	ep_lock(ep);
	struct tcp_ep *tp = T(ep);
	if (ep->state == NS_TCP_LISTEN || !ep->hashed || ep->lport != e->sport) {
		ep_unlock(ep);
		ep_put(ep);
		return;
	}
	/* Only about what we have in flight. */
	if (SEQ_LT(e->seq, tp->snd_una) || SEQ_GT(e->seq, tp->snd_max)) {
		ep_unlock(ep);
		ep_put(ep);
		return;
	}
	if ((ep->state == NS_TCP_SYN_SENT || ep->state == NS_TCP_SYN_RECV) && e->err != EMSGSIZE) {
		if (ep->state == NS_TCP_SYN_SENT)
			ns_count(s, NS_CTR_TCP_ATTEMPT_FAILS);
		tcp_abort(tp, e->err, false);
	} else if (e->err == EMSGSIZE) {
		tcp_mtu_reduced(tp, ns_now(s)); /* tcp_v4_mtu_reduced */
	} else {
		ep->so_error_soft = e->err; /* keep trying until the timeout */
	}
	ep_unlock(ep);
	ep_put(ep);
}

/* ---- entry ---- */

static int process(struct tcp_ep *tp, const struct ns_pktinfo *pi, const struct tcp_seg *seg,
		   struct ns_pbuf *pb, bool *taken, uint64_t now)
{
	struct ns_endpoint *ep = &tp->ep;
	switch (ep->state) {
	case NS_TCP_LISTEN:
		if (!tp->lq)
			break;
		return rcv_listen(tp, pi, seg, now);
	case NS_TCP_SYN_SENT:
		return rcv_syn_sent(tp, pi, seg, now);
	case NS_TCP_TIME_WAIT:
		return rcv_time_wait(tp, seg, now);
	case NS_TCP_CLOSE:
		break;
	default: {
		int r = rcv_synchronized(tp, seg, pb, taken, now);
		tcp_rearm(tp);
		return r;
	}
	}
	ns_count(ep->s, NS_CTR_TCP_IN_NO_SOCKET);
	tcp_reply_rst(ep->s, pi, seg);
	return SEG_DONE;
}

void ns_tcp_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb)
{
	enum ns_counter why;
	ns_count(s, NS_CTR_TCP_IN_SEGS);
	if (pi->l4len < 20) {
		why = NS_CTR_TCP_IN_TRUNCATED;
		goto drop;
	}
	const uint8_t *h = pi->l4;
	uint32_t hl = (h[12] >> 4) * 4u;
	if (hl < 20 || hl > pi->l4len) {
		why = NS_CTR_TCP_IN_BAD_HDRLEN;
		goto drop;
	}
	if (!pi->csum_ok &&
	    csum_fold(csum_add(csum_pseudo(&pi->src, &pi->dst, IPPROTO_TCP, pi->l4len), h,
			       pi->l4len))) {
		why = NS_CTR_TCP_IN_CSUM_ERRORS;
		goto drop;
	}
	struct tcp_seg seg = {0};
	seg.sport = get16(h);
	seg.dport = get16(h + 2);
	seg.seq = get32(h + 4);
	seg.ack = get32(h + 8);
	seg.flags = h[13];
	seg.wnd = get16(h + 14);
	seg.data = h + hl;
	seg.len = pi->l4len - hl;
	uint8_t f = seg.flags;
	if ((f & (TH_SYN | TH_FIN)) == (TH_SYN | TH_FIN) || (f & (TH_SYN | TH_RST)) == (TH_SYN | TH_RST) ||
	    !(f & (TH_SYN | TH_ACK | TH_RST | TH_FIN)) || seg.sport == 0 || seg.dport == 0) {
		why = NS_CTR_TCP_IN_BAD_FLAGS;
		goto drop;
	}
	if (!parse_options(h + 20, hl - 20, &seg, f & TH_SYN))
		ns_count(s, NS_CTR_TCP_IN_BAD_OPTIONS); /* as Linux: the rest is ignored */
	if (pi->to_broadcast) {
		why = NS_CTR_TCP_IN_NO_SOCKET;
		goto drop;
	}
	/* The time now, not the poll's start: owner threads stamp segments
	 * with the current time, and ours must not be older. */
	uint64_t now = ns_now(s);
	bool taken = false;
	for (int tries = 0; tries < 3; tries++) {
		struct ns_endpoint *ep =
		    ns_lookup_dev(s, IPPROTO_TCP, &pi->src, seg.sport, &pi->dst, seg.dport,
				  pi->nic ? pi->nic->ifindex : 0);
		if (!ep) {
			ns_count(s, NS_CTR_TCP_IN_NO_SOCKET);
			tcp_reply_rst(s, pi, &seg);
			break;
		}
		ep_lock(ep);
		int r = process(T(ep), pi, &seg, pb, &taken, now);
		ep_unlock(ep);
		ep_put(ep);
		if (r != SEG_REDO || taken)
			break;
	}
	if (!taken)
		ns_pbuf_free(pb);
	return;
drop:
	ns_count(s, why);
	ns_pbuf_free(pb);
}
