/* Unit tests for Ethernet links: TCP both ways between two stacks over an
 * ARP-resolved wire, the frame filter (other hosts' MACs, unknown types,
 * truncated and oversized frames each dropped and counted), the MTU on
 * output, GRO-sized and checksum-partial frames on input, 10 MiB over
 * a lossy, reordering wire, and TSO segments on output. */
#include "netstack/tests/ewire.h"

#include <pthread.h>

EPAIR_FIXTURE(1, 0)

static void test_tcp_both_ways_over_arp_resolved_ethernet(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10)); /* the gratuitous ARPs */
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	ep_transfer(p, c, s, 1 << 20, SEC(60));
	ep_transfer(p, s, c, 1 << 20, SEC(60));
	/* A resolved B with a request; B learnt A from that request. */
	uint8_t mac[6];
	assert_true(neigh_state(p->a.s, AF_INET, "10.0.0.2", mac) & NUD_VALID);
	assert_memory_equal(mac, MAC_B, 6);
	assert_true(neigh_state(p->b.s, AF_INET, "10.0.0.1", mac) & NUD_VALID);
	assert_memory_equal(mac, MAC_A, 6);
	assert_int_equal(ctr(p->a.s, NS_CTR_ARP_OUT_REQUESTS), 2); /* gratuitous + one */
	assert_int_equal(ctr(p->b.s, NS_CTR_ARP_OUT_REPLIES), 1);
	assert_int_equal(p->ea->oversize + p->eb->oversize, 0);
	/* The peer's address is not ours: its MSS fits 1500. */
	struct ns_tcp_info ti;
	socklen_t len = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len), 0);
	assert_int_equal(ti.tcpi_snd_mss, 1448); /* 1460 less timestamps */
	CLOSE_ALL(c, s, l);
}

static void frame(uint8_t *f, const uint8_t dst[6], const uint8_t src[6], uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = (uint8_t)(type >> 8);
	f[13] = (uint8_t)type;
}

static void test_frames_for_others_and_unknown_types_are_dropped(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	static const uint8_t other[6] = {0x02, 0, 0, 0, 0, 0x99};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x01, 0x02, 0x03};
	uint8_t f[100] = {0};
	ns_stack_poll(p->b.s, p->a.now);
	uint64_t other0 = ctr(p->b.s, NS_CTR_ETH_IN_OTHER_HOST);
	frame(f, other, MAC_A, 0x0800);
	ewire_inject(p->eb, f, 60, 0);
	frame(f, mcast, MAC_A, 0x0800); /* a group B never joined */
	ewire_inject(p->eb, f, 60, 0);
	frame(f, MAC_B, MAC_A, 0x88cc); /* LLDP */
	ewire_inject(p->eb, f, 60, 0);
	frame(f, MAC_B, MAC_A, 0x8100); /* a VLAN tag */
	ewire_inject(p->eb, f, 60, 0);
	ewire_inject(p->eb, f, 13, 0); /* shorter than the header */
	frame(f, MAC_B, MAC_A, 0x0800);
	f[14] = 0x60; /* IPv6 in an IPv4 frame */
	ewire_inject(p->eb, f, 60, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_ETH_IN_OTHER_HOST) - other0, 2);
	assert_int_equal(ctr(p->b.s, NS_CTR_LINK_RX_BAD_TYPE), 2);
	assert_int_equal(ctr(p->b.s, NS_CTR_ETH_IN_TRUNCATED), 1);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_IN_BAD_VERSION), 1);
	/* More than 64 KiB is more than GRO makes. */
	uint8_t *big = calloc(1, NS_ETH_MAX_RX + 1);
	frame(big, MAC_B, MAC_A, 0x0800);
	ewire_inject(p->eb, big, NS_ETH_MAX_RX + 1, 0);
	free(big);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_ETH_IN_TOO_LONG), 1);
	struct ns_nic_info *nics;
	int n = ns_stack_nics(p->b.s, &nics);
	assert_int_equal(n, 2);
	assert_int_equal(nics[1].type, NS_LINK_ETHERNET);
	assert_true(nics[1].rx_dropped >= 7);
	free(nics);
}

/* An 8000-byte UDP datagram from a 9000-MTU sender arrives whole on a
 * 1500-MTU receiver (as a veth's GRO hands up more than the MTU). */
static void test_frames_over_the_mtu_are_accepted(void **state)
{
	struct epair *p = *state;
	epair_fini(p);
	epair_init_mtu(p, 1, 9000, 1500);
	ep_run(p, MS(10));
	struct ns_endpoint *rx = sock(&p->b, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(rx, AF_INET, "0.0.0.0", 5000), 0);
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	static uint8_t buf[8000], got[9000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	assert_int_equal(sendto_buf(tx, buf, sizeof(buf), AF_INET, "10.0.0.2", 5000), 8000);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(rx, got, sizeof(got), 0), 8000);
	assert_memory_equal(got, buf, sizeof(buf));
	assert_int_equal(ctr(p->a.s, NS_CTR_IP_FRAG_CREATES), 0);
	/* B's answer of the same size must be cut to its own MTU. */
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct iovec iov = {got, sizeof(got)};
	struct ns_endpoint *back = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(back, AF_INET, "0.0.0.0", 6000), 0);
	assert_int_equal(sendto_buf(rx, buf, sizeof(buf), AF_INET, "10.0.0.1", 6000), 8000);
	ep_run(p, MS(50));
	assert_int_equal(ns_ep_recvmsg(back, &iov, 1, 0, &from, &fl, NULL), 8000);
	ns_ep_close(back);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_FRAG_CREATES), 6);
	assert_int_equal(p->ea->oversize + p->eb->oversize, 0);
	CLOSE_ALL(tx, rx);
}

static void test_checksum_partial_frames_are_trusted(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	struct ns_endpoint *rx = sock(&p->b, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(rx, AF_INET, "0.0.0.0", 5000), 0);
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	struct capture cap = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &cap;
	char got[16];
	assert_int_equal(sendto_buf(tx, "abcd", 4, AF_INET, "10.0.0.2", 5000), 4);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(rx, got, sizeof(got), 0), 4);
	int k = cap.n - 1;
	assert_int_equal(cap.type[k], 0x0800);
	uint8_t f[64];
	memcpy(f, cap.head[k], cap.len[k]);
	f[14 + 20 + 6] ^= 0x55; /* the UDP checksum */
	/* A bad checksum on a plain frame: dropped. */
	ewire_inject(p->eb, f, cap.len[k], 0);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(rx, got, sizeof(got), 0), -EAGAIN);
	assert_int_equal(ctr(p->b.s, NS_CTR_UDP_IN_CSUM_ERRORS), 1);
	/* The same frame marked checksum-partial by the link: trusted. */
	ewire_inject(p->eb, f, cap.len[k], NS_PB_CSUM_PARTIAL);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(rx, got, sizeof(got), 0), 4);
	assert_memory_equal(got, "abcd", 4);
	assert_int_equal(ctr(p->b.s, NS_CTR_UDP_IN_CSUM_ERRORS), 1);
	CLOSE_ALL(tx, rx);
}

/* A 30000-byte TCP segment (what a veth's GRO hands up), its checksum
 * left to the link (checksum-partial): taken whole. */
static void test_gro_sized_tcp_segment_is_taken(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	struct capture cap = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &cap;
	static uint8_t buf[30000];
	memset(buf, 'a', 100);
	assert_int_equal(send_buf(c, buf, 100), 100);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(s, buf, sizeof(buf), 0), 100);
	int k = -1;
	for (int i = 0; i < cap.n; i++)
		if (cap.type[i] == 0x0800 && cap.len[i] > 100)
			k = i;
	assert_true(k >= 0);
	/* The same headers, the next sequence number, 30000 bytes. */
	const uint8_t *h0 = cap.head[k];
	unsigned hl = 14 + 20 + (h0[14 + 20 + 12] >> 4) * 4u;
	static uint8_t f[14 + 60 + 30000];
	memcpy(f, h0, hl);
	for (size_t i = 0; i < 30000; i++)
		f[hl + i] = pattern(i);
	uint8_t *ip = f + 14, *th = f + 34;
	unsigned tot = hl - 14 + 30000;
	ip[2] = (uint8_t)(tot >> 8), ip[3] = (uint8_t)tot;
	ip[10] = ip[11] = 0;
	uint32_t sum = 0;
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = (uint8_t)(~sum >> 8), ip[11] = (uint8_t)~sum;
	uint32_t seq = (uint32_t)th[4] << 24 | (uint32_t)th[5] << 16 | (uint32_t)th[6] << 8 | th[7];
	seq += 100;
	th[4] = (uint8_t)(seq >> 24), th[5] = (uint8_t)(seq >> 16), th[6] = (uint8_t)(seq >> 8),
	th[7] = (uint8_t)seq;
	th[16] = 0x12, th[17] = 0x34; /* only the pseudo-header sum, say */
	ewire_inject(p->eb, f, hl + 30000, NS_PB_CSUM_PARTIAL);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(s, buf, sizeof(buf), 0), 30000);
	for (size_t i = 0; i < 30000; i++)
		if (buf[i] != pattern(i))
			fail_msg("byte %zu differs", i);
	/* As Linux's tcp_measure_rcv_mss: the receive MSS stays at most the
	 * MSS announced, so the next frames are ACKed as many segments. */
	struct ns_tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(s, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_true(ti.tcpi_rcv_mss <= ti.tcpi_advmss);
	assert_true(ti.tcpi_advmss <= 1460);
	CLOSE_ALL(c, s, l);
}

static void test_ten_mib_over_a_lossy_reordering_wire(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	p->ea->drop_pct = p->eb->drop_pct = 2;
	p->ea->reorder_pct = p->eb->reorder_pct = 5;
	p->ea->dup_pct = 1;
	ep_transfer(p, c, s, 10u << 20, SEC(3600));
	assert_true(p->ea->dropped > 0);
	assert_int_equal(p->ea->oversize + p->eb->oversize, 0);
	CLOSE_ALL(c, s, l);
}

/* An end whose link takes TSO frames: new data leaves in segments of
 * many MSS with a partial checksum (eend_check_tso), the rest in MSS;
 * both ways, over IPv4 and IPv6, and through loss. */
static void tso_transfer(struct epair *p, int family, const char *ip_b, int drop_pct)
{
	ep_run(p, MS(10));
	p->ea->ep.flags |= NS_LINK_F_TSO;
	p->ea->tso = true;
	struct ns_endpoint *l =
	    listener(&p->b, family, family == AF_INET ? "0.0.0.0" : "::", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, family, ip_b, l, &c, &s);
	p->ea->drop_pct = drop_pct;
	ep_transfer(p, c, s, 4u << 20, SEC(3600));
	ep_transfer(p, s, c, 1u << 20, SEC(3600));
	assert_true(p->ea->tso_frames > 0);
	assert_int_equal(p->ea->oversize + p->eb->oversize, 0);
	/* Each TSO frame carries many segments' worth. */
	assert_true(p->ea->sent < (4u << 20) / 1448);
	CLOSE_ALL(c, s, l);
}

static void test_tso_segments_go_out_whole_v4(void **state)
{
	tso_transfer(*state, AF_INET, "10.0.0.2", 0);
}

static void test_tso_segments_go_out_whole_v6(void **state)
{
	tso_transfer(*state, AF_INET6, "fd00::2", 0);
}

static void test_tso_survives_a_lossy_wire(void **state)
{
	tso_transfer(*state, AF_INET, "10.0.0.2", 5);
	struct epair *p = *state;
	assert_true(p->ea->dropped > 0);
}

/* The ACK number of the last TCP frame captured (none: 0). */
static uint32_t last_ack(const struct capture *c)
{
	for (int i = c->n - 1; i >= 0; i--)
		if (c->type[i] == 0x0800) {
			const uint8_t *th = c->head[i] + 14 + (c->head[i][14] & 0xfu) * 4;
			return (uint32_t)th[8] << 24 | (uint32_t)th[9] << 16 |
			       (uint32_t)th[10] << 8 | th[11];
		}
	return 0;
}

/* As Linux's __tcp_ack_snd_check and __tcp_cleanup_rbuf: full segments
 * that arrive while the owner does not read, so that the window cannot
 * reach further right, are not ACKed one by one; the read that frees the
 * room sends the ACK, and an owner that never reads still gets the
 * delayed ACK. */
static void test_segments_a_lagging_reader_holds_are_acked_by_its_read(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	int zero = 0;
	assert_int_equal(ns_ep_setsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero)), 0);
	static uint8_t buf[8 * 1448];
	memset(buf, 'x', sizeof(buf));
	/* A first read announces the whole buffer (the SYN's window is at
	 * most 64 KiB): from then on a segment cannot move the edge. */
	assert_int_equal(send_buf(c, buf, 100), 100);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(s, buf, sizeof(buf), 0), 100);
	ep_run(p, MS(50));
	struct capture cap = {0};
	p->eb->filter = capture_frame;
	p->eb->farg = &cap;
	assert_int_equal(send_buf(c, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ep_run(p, MS(5)); /* under the delayed-ACK timeout */
	assert_int_equal(capture_count(&cap, 0x0800), 0);
	/* The read: one ACK for all eight segments. */
	assert_int_equal(recv_buf(s, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	assert_int_equal(capture_count(&cap, 0x0800), 1);
	uint32_t acked = last_ack(&cap);
	/* Eight more, never read: the delayed ACK covers them. */
	assert_int_equal(send_buf(c, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ep_run(p, MS(5));
	assert_int_equal(capture_count(&cap, 0x0800), 1);
	ep_run(p, MS(250));
	assert_true(capture_count(&cap, 0x0800) >= 2);
	assert_int_equal(last_ack(&cap) - acked, sizeof(buf));
	CLOSE_ALL(c, s, l);
}

/* A reader waiting for more than the queue holds (SO_RCVLOWAT) will not
 * read before more comes: its segments are ACKed at once. */
static void test_rcvlowat_reader_gets_acks_at_once(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	int zero = 0, lowat = 100000;
	assert_int_equal(ns_ep_setsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero)), 0);
	assert_int_equal(ns_ep_setsockopt(s, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat)), 0);
	struct capture cap = {0};
	p->eb->filter = capture_frame;
	p->eb->farg = &cap;
	static uint8_t buf[8 * 1448];
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(send_buf(c, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ep_run(p, MS(5));
	/* One ACK per two full segments, as before any read. */
	assert_true(capture_count(&cap, 0x0800) >= 4);
	CLOSE_ALL(c, s, l);
}

/* As Linux's tcp_select_initial_window: the scale announced is
 * ilog2(max(tcp_rmem[2], rmem_max)) - 15, at least 0, so that the largest
 * buffer autotuning may reach fits the window; both ends of a connection. */
static void test_window_scale_follows_tcp_rmem_as_linux(void **state)
{
	struct epair *p = *state;
	static const struct {
		uint32_t rmem2, rmem_max;
		int ws;
	} cases[] = {
	    {6291456, 212992, 7},   /* the defaults */
	    {33554432, 4194304, 10}, /* a host with tcp_rmem 4096 131072 33554432 */
	    {4194304, 8388608, 8},  /* rmem_max the larger */
	    {131072, 131072, 2},
	};
	ep_run(p, MS(10));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ns_stack *st[2] = {p->a.s, p->b.s};
		for (int k = 0; k < 2; k++) {
			struct ns_sysctl sc;
			ns_stack_get_sysctl(st[k], &sc);
			sc.tcp_rmem[2] = cases[i].rmem2;
			sc.rmem_max = cases[i].rmem_max;
			assert_int_equal(ns_stack_set_sysctl(st[k], &sc), 0);
		}
		struct ns_endpoint *l =
		    listener(&p->b, AF_INET, "0.0.0.0", (uint16_t)(8080 + i), 8);
		struct ns_endpoint *c, *s;
		ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
		struct ns_endpoint *ends[2] = {c, s};
		for (int k = 0; k < 2; k++) {
			struct ns_tcp_info ti;
			socklen_t tl = sizeof(ti);
			assert_int_equal(ns_ep_getsockopt(ends[k], IPPROTO_TCP, TCP_INFO, &ti, &tl),
					 0);
			assert_int_equal(ti.tcpi_wscale >> 4, cases[i].ws);
			assert_int_equal(ti.tcpi_wscale & 0xf, cases[i].ws);
		}
		CLOSE_ALL(c, s, l);
	}
}

/* A link that holds what it is sent until its flush, as the packet link's
 * TX ring holds frames until its kick. */
static struct link_ops held_ops;
static struct ns_pbuf *held_head, **held_tail = &held_head;
static int held_n, held_flushes;

static int held_send(struct link_endpoint *ep, struct ns_pbuf *pb)
{
	pb->next = NULL;
	*held_tail = pb;
	held_tail = &pb->next;
	held_n++;
	return 0;
}

static void held_flush(struct link_endpoint *ep)
{
	held_flushes++;
	while (held_head) {
		struct ns_pbuf *pb = held_head;
		held_head = pb->next;
		eend_send(ep, pb);
	}
	held_tail = &held_head;
	held_n = 0;
}

/* b's link holds what it is sent until its flush; returns its ops. */
static const struct link_ops *hold_frames(struct epair *p)
{
	held_ops = *p->eb->ep.ops;
	held_ops.send = held_send;
	held_ops.flush = held_flush;
	const struct link_ops *old = p->eb->ep.ops;
	p->eb->ep.ops = &held_ops;
	return old;
}

/* A read in place (ns_ep_recv_pin) that sends an ACK leaves the frame on
 * the link unflushed and asks the owner for a poll; that poll flushes it
 * (the Sentry's reader leaves the send, and the host's work in it, to the
 * service thread). */
static void test_pinned_read_leaves_its_ack_to_the_next_poll(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	int zero = 0;
	assert_int_equal(ns_ep_setsockopt(s, IPPROTO_TCP, TCP_QUICKACK, &zero, sizeof(zero)), 0);
	static uint8_t buf[8 * 1448];
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(send_buf(c, buf, 100), 100);
	ep_run(p, MS(50));
	assert_int_equal(recv_buf(s, buf, sizeof(buf), 0), 100);
	ep_run(p, MS(50));
	const struct link_ops *old = hold_frames(p);
	assert_int_equal(send_buf(c, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	ep_run(p, MS(5)); /* under the delayed-ACK timeout: nothing sent */
	assert_int_equal(held_n, 0);
	int flushes = held_flushes;
	unsigned int kicks = p->b.kicks;
	struct iovec seg[16];
	int nseg = 16;
	assert_int_equal(ns_ep_recv_pin(s, sizeof(buf), seg, &nseg), (ssize_t)sizeof(buf));
	assert_int_equal(ns_ep_recv_unpin(s, sizeof(buf)), 1);
	assert_int_equal(held_n, 1); /* the ACK, not flushed */
	assert_int_equal(held_flushes, flushes);
	assert_true(p->b.kicks > kicks);
	ns_stack_poll(p->b.s, p->b.now);
	assert_int_equal(held_n, 0);
	assert_true(held_flushes > flushes);
	/* A read that sends nothing leaves nothing behind. */
	assert_int_equal(send_buf(c, buf, 100), 100);
	ep_run(p, MS(5));
	nseg = 16;
	assert_int_equal(ns_ep_recv_pin(s, sizeof(buf), seg, &nseg), 100);
	assert_int_equal(ns_ep_recv_unpin(s, 100), 0);
	p->eb->ep.ops = old;
	CLOSE_ALL(c, s, l);
}

/* Another thread's part in the test below: a send of 100 bytes from ep,
 * or (ep NULL) one poll of s. */
struct other_thread {
	struct ns_endpoint *ep;
	struct ns_stack *s;
	uint64_t now;
	ssize_t r;
};

static void *other_thread_main(void *arg)
{
	struct other_thread *o = arg;
	static const uint8_t data[100];
	if (o->ep)
		o->r = send_buf(o->ep, data, sizeof(data));
	else
		ns_stack_poll(o->s, o->now);
	return NULL;
}

static void on_other_thread(struct other_thread *o)
{
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, other_thread_main, o), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
}

/* With a transmitter (ns_stack_own_tx), another thread's send leaves its
 * segment on the link unflushed and asks for a poll; a third thread's
 * poll does not flush it but asks again; the transmitter's poll flushes
 * it.  The transmitter's own sends, and everybody's once it stops being
 * one, leave at once. */
static void test_sends_wait_for_the_transmitter(void **state)
{
	struct epair *p = *state;
	ep_run(p, MS(10));
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	ep_run(p, MS(50));
	const struct link_ops *old = hold_frames(p);
	ns_stack_own_tx(p->b.s, true);

	struct other_thread o = {.ep = s};
	int flushes = held_flushes;
	unsigned int kicks = p->b.kicks;
	on_other_thread(&o);
	assert_int_equal(o.r, 100);
	assert_int_equal(held_n, 1);
	assert_int_equal(held_flushes, flushes);
	assert_true(p->b.kicks > kicks);

	kicks = p->b.kicks;
	struct other_thread po = {.s = p->b.s, .now = p->b.now};
	on_other_thread(&po);
	assert_int_equal(held_n, 1);
	assert_int_equal(held_flushes, flushes);
	assert_true(p->b.kicks > kicks);

	ns_stack_poll(p->b.s, p->b.now);
	assert_int_equal(held_n, 0);
	assert_true(held_flushes > flushes);
	uint8_t buf[300];
	ep_run(p, MS(5));
	assert_int_equal(recv_buf(c, buf, sizeof(buf), 0), 100);

	/* The transmitter's own send. */
	flushes = held_flushes;
	assert_int_equal(send_buf(s, buf, 100), 100);
	assert_int_equal(held_n, 0);
	assert_true(held_flushes > flushes);
	ep_run(p, MS(5)); /* acked: Nagle lets the next one go */
	assert_int_equal(recv_buf(c, buf, sizeof(buf), 0), 100);

	/* No transmitter: another thread's send flushes before it returns. */
	ns_stack_own_tx(p->b.s, false);
	flushes = held_flushes;
	on_other_thread(&o);
	assert_int_equal(o.r, 100);
	assert_int_equal(held_n, 0);
	assert_true(held_flushes > flushes);
	ep_run(p, MS(5));
	assert_int_equal(recv_buf(c, buf, sizeof(buf), 0), 100);
	p->eb->ep.ops = old;
	CLOSE_ALL(c, s, l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PAIR_TEST(test_tcp_both_ways_over_arp_resolved_ethernet),
	    PAIR_TEST(test_frames_for_others_and_unknown_types_are_dropped),
	    PAIR_TEST(test_frames_over_the_mtu_are_accepted),
	    PAIR_TEST(test_checksum_partial_frames_are_trusted),
	    PAIR_TEST(test_gro_sized_tcp_segment_is_taken),
	    PAIR_TEST(test_ten_mib_over_a_lossy_reordering_wire),
	    PAIR_TEST(test_tso_segments_go_out_whole_v4),
	    PAIR_TEST(test_tso_segments_go_out_whole_v6),
	    PAIR_TEST(test_tso_survives_a_lossy_wire),
	    PAIR_TEST(test_segments_a_lagging_reader_holds_are_acked_by_its_read),
	    PAIR_TEST(test_rcvlowat_reader_gets_acks_at_once),
	    PAIR_TEST(test_pinned_read_leaves_its_ack_to_the_next_poll),
	    PAIR_TEST(test_sends_wait_for_the_transmitter),
	    PAIR_TEST(test_window_scale_follows_tcp_rmem_as_linux),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
