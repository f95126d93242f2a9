/*
 * tcp.h — TCP's internals, shared by tcp.c (the socket calls, timers,
 * options), tcp_input.c (segments in, the state machine) and tcp_output.c
 * (segments out, retransmission, RTO, congestion control).
 *
 * Sequence space: snd_una <= snd_nxt <= snd_max; the send queue holds the
 * bytes from snd_una (ACKed bytes leave it), the FIN (when queued) takes
 * the sequence number after them.  rcv_nxt is the next byte expected; the
 * receive queue holds in-order bytes the owner has not read yet, the
 * out-of-order queue segments beyond rcv_nxt (reported with SACK).
 */
#ifndef VISOR_NETSTACK_TCP_H
#define VISOR_NETSTACK_TCP_H

#include "netstack/ns_impl.h"

#define SEQ_LT(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b) SEQ_LT(b, a)
#define SEQ_GEQ(a, b) SEQ_LEQ(b, a)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20
#define TH_ECE 0x40
#define TH_CWR 0x80

/* Linux's constants (include/net/tcp.h). */
#define TCP_RTO_MIN_US 200000u
#define TCP_RTO_MAX_US 120000000u
#define TCP_TIMEOUT_INIT_US 1000000u
#define TCP_DELACK_MIN_NS (40 * NS_NSEC_PER_MSEC)
#define TCP_DELACK_MAX_NS (200 * NS_NSEC_PER_MSEC)
#define TCP_TIMEWAIT_NS (60 * NS_NSEC_PER_SEC)
#define TCP_INIT_CWND 10
#define TCP_MAX_WSCALE 14
#define TCP_MAX_SACKED 16
#define TCP_QUICKACKS 16
#define TCP_RESOURCE_PROBE_NS (500 * NS_NSEC_PER_MSEC)

/* Congestion-avoidance states (TCP_INFO's tcpi_ca_state). */
enum { TCP_CA_OPEN = 0, TCP_CA_DISORDER = 1, TCP_CA_RECOVERY = 3, TCP_CA_LOSS = 4 };

/* A parsed segment. */
struct tcp_seg {
	uint32_t seq, ack;
	uint16_t wnd;
	uint8_t flags;
	uint16_t sport, dport;
	const uint8_t *data;
	uint32_t len; /* payload bytes */
	/* options */
	bool has_mss, has_ws, sack_ok, has_ts;
	uint16_t mss;
	uint8_t wscale;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
};

struct tcp_queue {
	struct ns_pbuf *head, *tail;
	uint32_t bytes; /* data bytes */
	uint32_t truesize;
};

/* A connection in SYN_RECV, held by its listener until the handshake
 * completes (Linux's request sock): small, so a SYN flood costs little. */
struct tcp_request {
	struct tcp_request *next;
	struct ns_ip laddr, raddr;
	uint16_t lport, rport;
	uint32_t iss, irs;
	uint16_t peer_mss;
	uint8_t snd_wscale, rcv_wscale;
	bool sack_ok, ts_ok, ws_ok;
	uint8_t retrans;
	bool acked; /* the handshake ACK came but the accept queue was full */
	uint32_t ts_recent;
	uint64_t deadline, born;
};

struct tcp_ep;

struct tcp_listen {
	int backlog;
	int qlen;		      /* connections waiting for accept */
	struct tcp_ep *acc_head, *acc_tail;
	struct tcp_request *req;      /* SYN_RECV */
	int nreq;
};

struct tcp_sack_blk {
	uint32_t start, end;
};

struct tcp_ep {
	struct ns_endpoint ep;

	/* Options: what tcp_disconnect keeps (all before iss). */
	uint32_t keepidle, keepintvl, keepcnt; /* seconds, count; 0: sysctl */
	uint32_t user_timeout_ms;
	int linger2;
	uint32_t window_clamp, defer_accept;
	uint32_t fastopen_qlen;	/* TCP_FASTOPEN */
	bool fastopen_connect;	/* TCP_FASTOPEN_CONNECT */
	uint16_t user_mss; /* TCP_MAXSEG */
	uint8_t syncnt;	   /* TCP_SYNCNT (0: sysctl) */
	bool nodelay, cork;
	struct tcp_ep *acc_next; /* accept queue link; a listener's reap list */
	struct tcp_ep *tw_victim; /* a TIME_WAIT this connect replaced: to finish */

	/* The connection: from here on, reset by tcp_disconnect. */
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, max_snd_wnd, snd_wl1, snd_wl2;
	uint32_t snd_sml; /* end of the last small segment sent (Minshall's Nagle) */
	uint32_t rcv_nxt, rcv_adv; /* rcv_adv: the right edge advertised */
	uint32_t rcv_wup;	   /* rcv_nxt when the window was last sent */
	uint16_t mss;		   /* send MSS (payload per segment, options excluded) */
	uint16_t peer_mss;	   /* what the peer announced */
	uint16_t advmss;	   /* what we announce */
	uint16_t rcv_mss;	   /* the peer's segment size, as seen */
	uint8_t snd_wscale, rcv_wscale;
	bool ts_ok, sack_ok, ws_ok;
	bool defer_cork;		/* MSG_MORE on this write */
	bool fin_queued;		/* the owner shut down writing */
	uint32_t fin_seq;		/* our FIN's sequence number, once queued */
	bool rcv_fin;			/* the peer's FIN is in (rcv_nxt counts it) */
	bool passive;			/* accepted (SYN_RECV began at a listener) */
	bool accepted;			/* taken off the accept queue */
	bool syn_data_pending;

	uint32_t ts_recent;
	uint64_t ts_recent_stamp;
	uint32_t ts_offset;
	uint32_t ts_last;	 /* the last TSval sent: never goes back */
	uint64_t last_oow_ack;	 /* tcp_oow_rate_limited's clock */

	/* RTT (RFC 6298), in microseconds. */
	uint32_t srtt_us, rttvar_us, rto_us, min_rtt_us, last_rtt_us;
	uint32_t rtt_seq;	/* timed segment without timestamps */
	uint64_t rtt_time;	/* 0: none timed */
	uint8_t backoff;	/* RTO doublings */
	uint8_t retransmits;	/* timeouts in a row */
	uint8_t probes_out;	/* keepalive or zero-window probes unanswered */

	/* Congestion control: NewReno with SACK-based loss recovery (RFC
	 * 6675's pipe, simplified). */
	uint8_t ca_state;
	uint32_t cwnd, ssthresh, ca_acked, recover, high_rxt, dupacks, prior_cwnd;
	int nsacked;
	struct tcp_sack_blk sacked[TCP_MAX_SACKED]; /* above snd_una, sorted */
	uint32_t sacked_bytes;
	uint32_t reord_seen;

	/* Timers: absolute ns, NS_TIME_NEVER when off. */
	uint64_t t_rtx;	    /* retransmit, SYN, persist (see persist) */
	uint64_t t_delack;
	uint64_t t_keep;    /* keepalive, FIN_WAIT2 and TIME_WAIT */
	bool persist;	    /* t_rtx is the zero-window probe */
	uint64_t rtx_start; /* when the oldest unacked data was first sent */
	uint64_t last_rcv, last_data_sent, last_data_rcv, last_ack_rcv;

	/* Delayed ACK. */
	uint32_t ack_pending; /* full segments received since the last ACK */
	bool ack_now;
	uint8_t quickacks;
	uint32_t ato_us;

	struct tcp_queue sndq, rcvq, ooo;
	/* The owner copies from rcvq's head in place (tcp_recv_pin); a
	 * purge meanwhile parks the buffers in rx_purged until it is done. */
	bool rx_pinned;
	uint32_t rx_pin_bytes; /* how many were pinned */
	struct ns_pbuf *rx_purged;
	uint32_t ooo_last_start, ooo_last_end; /* for SACK order */
	uint32_t rcv_space, rcv_copied;	       /* receive-buffer autotuning */
	uint64_t rcv_space_time;


	struct tcp_listen *lq; /* listeners */

	/* TCP_INFO. */
	uint64_t bytes_acked, bytes_received, bytes_sent, bytes_retrans;
	uint32_t segs_in, segs_out, data_segs_in, data_segs_out, total_retrans;
	uint32_t rcv_ooopack, dsack_dups, delivered;
};

static inline struct tcp_ep *T(struct ns_endpoint *ep)
{
	return (struct tcp_ep *)ep;
}

/* Our TSval: milliseconds plus a per-connection offset, never smaller
 * than one sent before (several threads send on one clock). */
static inline uint32_t tcp_ts_now(struct tcp_ep *tp, uint64_t now)
{
	uint32_t v = (uint32_t)(now / NS_NSEC_PER_MSEC) + tp->ts_offset;
	if (SEQ_LT(v, tp->ts_last))
		v = tp->ts_last;
	tp->ts_last = v;
	return v;
}

/* tcp_invalid_ratelimit: ACKs answering invalid segments. */
#define TCP_OOW_RATELIMIT_NS (500 * NS_NSEC_PER_MSEC)

/* tcp.c */
void tcp_set_state(struct tcp_ep *tp, int state);
/* Move into CLOSE: leave the tables (an autobound port is freed), stop
 * timers, release the protocol's reference when the owner has closed. */
void tcp_done(struct tcp_ep *tp);
/* Abort with err reported to the owner (0: none), sending a RST when
 * send_rst. */
void tcp_abort(struct tcp_ep *tp, int err, bool send_rst);
void tcp_enter_time_wait(struct tcp_ep *tp, uint64_t now);
void tcp_rearm(struct tcp_ep *tp);
uint32_t tcp_rcvbuf(const struct tcp_ep *tp);
uint32_t tcp_sndbuf(const struct tcp_ep *tp);
void tcp_sndbuf_expand(struct tcp_ep *tp);
uint32_t tcp_keepidle_secs(const struct tcp_ep *tp);
/* Child endpoint from a completed request (not yet published). */
struct tcp_ep *tcp_child_new(struct tcp_ep *lp, const struct tcp_request *rq, uint64_t now);
void tcp_queue_purge(struct tcp_queue *q);
/* Empty the receive queue, its buffers freed once no copy is using them. */
void tcp_rcvq_purge(struct tcp_ep *tp);
/* The receive side (tcp_recv.c): the ops table's recv, recv_pin and
 * recv_unpin. */
ssize_t tcp_recv(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
		 struct ns_ip *from, uint16_t *fromport, int *msg_flags);
ssize_t tcp_recv_pin(struct ns_endpoint *ep, size_t max, struct iovec *seg, int *nseg);
void tcp_recv_unpin(struct ns_endpoint *ep, size_t used);
uint8_t tcp_rcv_wscale(const struct ns_stack *s, uint32_t rcvbuf, bool locked);

/* tcp_output.c */
void tcp_output(struct tcp_ep *tp, uint64_t now);
void tcp_send_ack(struct tcp_ep *tp, uint64_t now);
void tcp_send_syn(struct tcp_ep *tp, uint64_t now, bool synack);
void tcp_send_probe(struct tcp_ep *tp, uint64_t now);
void tcp_send_rst_for(struct tcp_ep *tp, uint64_t now);
/* A RST (or RST|ACK) answering seg, from nobody's endpoint. */
void tcp_reply_rst(struct ns_stack *s, const struct ns_pktinfo *pi, const struct tcp_seg *seg);
void tcp_send_synack_req(struct ns_stack *s, struct tcp_ep *lp, const struct tcp_request *rq,
			 uint64_t now);
/* The window to announce now, in bytes (unscaled), without announcing
 * it (__tcp_select_window). */
uint32_t tcp_rcv_window_select(const struct tcp_ep *tp);
/* Announce the window: tcp_rcv_window_select's, scaled for the header;
 * rcv_adv and rcv_wup follow (tcp_select_window). */
uint32_t tcp_rcv_window(struct tcp_ep *tp);
void tcp_rtt_sample(struct tcp_ep *tp, uint32_t rtt_us);
void tcp_rto_fired(struct tcp_ep *tp, uint64_t now);
void tcp_cc_on_ack(struct tcp_ep *tp, uint32_t acked, uint64_t now);
void tcp_enter_recovery(struct tcp_ep *tp, uint64_t now);
uint32_t tcp_in_flight(const struct tcp_ep *tp);
uint16_t tcp_mss_for(const struct tcp_ep *tp, uint32_t mtu, bool v4);
void tcp_update_mss(struct tcp_ep *tp);
/* The path MTU fell: a smaller MSS, and what is in flight resent in
 * segments that fit, without a congestion response
 * (tcp_simple_retransmit). */
void tcp_mtu_reduced(struct tcp_ep *tp, uint64_t now);
uint32_t tcp_iss(struct ns_stack *s, const struct ns_ip *la, uint16_t lp, const struct ns_ip *ra,
		 uint16_t rp, uint64_t now);
uint32_t tcp_ts_offset(struct ns_stack *s, const struct ns_ip *la, const struct ns_ip *ra);

/* tcp_input.c */
void tcp_sack_update(struct tcp_ep *tp, const struct tcp_seg *seg);
void tcp_sack_clean(struct tcp_ep *tp);

#endif
