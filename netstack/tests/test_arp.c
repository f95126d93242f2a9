/* Unit tests for ARP and the neighbour cache: resolution and the answer,
 * what each side learns, 3 probes a second apart and then EHOSTUNREACH
 * (TCP connect; a connected UDP socket's next send), the gateway as next
 * hop, gratuitous ARP, the bounded queue, STALE -> DELAY -> PROBE ->
 * REACHABLE, permanent entries, and malformed packets counted. */
#include "netstack/tests/ewire.h"

/* The pair settles 10 ms: the gratuitous ARPs. */
EPAIR_FIXTURE(1, MS(10))

/* The ARP fields of captured frame i. */
static uint16_t arp_op(const struct capture *c, int i)
{
	return (uint16_t)(c->head[i][20] << 8 | c->head[i][21]);
}
static uint32_t arp_tip(const struct capture *c, int i)
{
	const uint8_t *p = c->head[i] + 14 + 24;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint32_t arp_sip(const struct capture *c, int i)
{
	const uint8_t *p = c->head[i] + 14 + 14;
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_request_reply_then_the_datagram(void **state)
{
	struct epair *p = *state;
	struct capture ca = {0}, cb = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	p->eb->filter = capture_frame;
	p->eb->farg = &cb;
	struct ns_endpoint *rx = sock(&p->b, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(rx, AF_INET, "0.0.0.0", 5000), 0);
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(tx, "hi", 2, AF_INET, "10.0.0.2", 5000), 2);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_INCOMPLETE);
	ep_run(p, MS(20));
	char got[8];
	assert_int_equal(recv_buf(rx, got, sizeof(got), 0), 2);
	/* A: a broadcast request for 10.0.0.2, then the datagram to B's MAC. */
	assert_int_equal(ca.n, 2);
	assert_int_equal(ca.type[0], 0x0806);
	assert_int_equal(arp_op(&ca, 0), 1);
	assert_memory_equal(ca.head[0], "\xff\xff\xff\xff\xff\xff", 6);
	assert_int_equal(arp_tip(&ca, 0), 0x0a000002);
	assert_int_equal(arp_sip(&ca, 0), 0x0a000001);
	assert_int_equal(ca.type[1], 0x0800);
	assert_memory_equal(ca.head[1], MAC_B, 6);
	assert_memory_equal(ca.head[1] + 6, MAC_A, 6);
	/* B: a reply to A's MAC. */
	assert_int_equal(cb.n, 1);
	assert_int_equal(arp_op(&cb, 0), 2);
	assert_memory_equal(cb.head[0], MAC_A, 6);
	uint8_t mac[6];
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", mac), NUD_REACHABLE);
	assert_memory_equal(mac, MAC_B, 6);
	assert_int_equal(neigh_state(p->b.s, AF_INET, "10.0.0.1", mac), NUD_STALE);
	assert_memory_equal(mac, MAC_A, 6);
	/* B answers over its STALE entry without asking (DELAY). */
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	(void)from, (void)fl;
	assert_int_equal(sendto_buf(rx, "yo", 2, AF_INET, "10.0.0.1", local_port(tx)), 2);
	assert_int_equal(neigh_state(p->b.s, AF_INET, "10.0.0.1", NULL), NUD_DELAY);
	ep_run(p, MS(20));
	assert_int_equal(recv_buf(tx, got, sizeof(got), 0), 2);
	assert_int_equal(capture_count(&cb, 0x0806), 1);
	CLOSE_ALL(tx, rx);
}

static void test_unanswered_connect_fails_with_ehostunreach(void **state)
{
	struct epair *p = *state;
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	struct ns_endpoint *c = sock(&p->a, AF_INET, SOCK_STREAM, 0);
	uint64_t t0 = p->a.now;
	assert_int_equal(do_connect(c, AF_INET, "10.0.0.9", 80), -EINPROGRESS);
	while (!(ns_ep_poll(c) & POLLOUT) && p->a.now - t0 < SEC(10))
		ep_step(p, MS(100));
	/* Three requests, a second apart; the third unanswered ends it. */
	uint64_t took = p->a.now - t0;
	assert_true(took >= SEC(3) && took < SEC(3) + MS(10));
	assert_int_equal(capture_count(&ca, 0x0806), 3);
	assert_int_equal(capture_count(&ca, 0x0800), 0);
	assert_int_equal(do_connect(c, AF_INET, "10.0.0.9", 80), -EHOSTUNREACH);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.9", NULL), NUD_FAILED);
	assert_int_equal(ctr(p->a.s, NS_CTR_NEIGH_RES_FAILED), 1);
	ns_ep_close(c);
	/* FAILED entries go after gc_stale_time. */
	ep_run(p, SEC(70));
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.9", NULL), 0);
}

static void test_connected_udp_hears_ehostunreach_on_next_send(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *u = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_connect(u, AF_INET, "10.0.0.9", 53), 0);
	assert_int_equal(send_buf(u, "q", 1), 1);
	ep_run(p, SEC(4));
	assert_true(ns_ep_poll(u) & POLLERR);
	assert_int_equal(send_buf(u, "q", 1), -EHOSTUNREACH);
	/* Reported once; the next send starts over. */
	assert_int_equal(send_buf(u, "q", 1), 1);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.9", NULL), NUD_INCOMPLETE);
	/* An unconnected socket is told nothing (as Linux). */
	struct ns_endpoint *v = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(v, "q", 1, AF_INET, "10.0.0.8", 53), 1);
	ep_run(p, SEC(4));
	assert_false(ns_ep_poll(v) & POLLERR);
	assert_int_equal(sendto_buf(v, "q", 1, AF_INET, "10.0.0.8", 53), 1);
	CLOSE_ALL(u, v);
}

static void test_gateway_is_the_next_hop(void **state)
{
	struct epair *p = *state;
	uint8_t any[4] = {0}, gw[4] = {10, 0, 0, 2};
	assert_int_equal(ns_stack_add_route(p->a.s, AF_INET, any, 0, gw, p->ia, 0), 0);
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "192.0.2.7", 53), 1);
	ep_run(p, MS(20));
	assert_int_equal(ca.n, 2);
	assert_int_equal(arp_tip(&ca, 0), 0x0a000002); /* the gateway's MAC is asked */
	assert_memory_equal(ca.head[1], MAC_B, 6);
	/* B is no router: the datagram is not for it. */
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_IN_ADDR_ERRORS), 1);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "192.0.2.7", NULL), 0);
	ns_ep_close(tx);
}

static void test_gratuitous_arp_on_address_add(void **state)
{
	struct epair *p = *state;
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	/* B knows A first. */
	struct ns_endpoint *tx = sock(&p->b, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.1", 9), 1);
	ep_run(p, MS(20));
	assert_int_equal(neigh_state(p->b.s, AF_INET, "10.0.0.1", NULL), NUD_REACHABLE);
	int n0 = ca.n;
	add_addr(p->a.s, p->ia, AF_INET, "10.0.0.5", 24);
	assert_int_equal(ca.n, n0 + 1);
	assert_int_equal(arp_op(&ca, n0), 1);
	assert_int_equal(arp_sip(&ca, n0), 0x0a000005);
	assert_int_equal(arp_tip(&ca, n0), 0x0a000005);
	assert_memory_equal(ca.head[n0], "\xff\xff\xff\xff\xff\xff", 6);
	ep_run(p, MS(20));
	/* arp_accept 0: an announcement creates no entry on B. */
	assert_int_equal(neigh_state(p->b.s, AF_INET, "10.0.0.5", NULL), 0);
	ns_ep_close(tx);
}

static void test_queue_while_resolving_is_bounded(void **state)
{
	struct epair *p = *state;
	p->eb->cut = true; /* B's replies never come */
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	for (int i = 0; i < 200; i++)
		assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.2", 9), 1);
	assert_int_equal(ctr(p->a.s, NS_CTR_NEIGH_QUEUE_DROPS), 99);
	p->eb->cut = false;
	struct ns_endpoint *rx = sock(&p->b, AF_INET, SOCK_DGRAM, 0);
	/* Room for all 101 (the default buffer's truesize accounting is not
	 * what this counts). */
	assert_int_equal(set_int(rx, SOL_SOCKET, SO_RCVBUF, 1 << 20), 0);
	assert_int_equal(do_bind(rx, AF_INET, "0.0.0.0", 9), 0);
	ep_run(p, SEC(2)); /* the second request is answered */
	int got = 0;
	char b[4];
	while (recv_buf(rx, b, sizeof(b), 0) == 1)
		got++;
	assert_int_equal(got, 101);
	CLOSE_ALL(tx, rx);
}

static void test_stale_entry_is_probed_by_unicast(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.2", 9), 1);
	ep_run(p, MS(20));
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_REACHABLE);
	ep_run(p, SEC(31));
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_STALE);
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.2", 9), 1);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_DELAY);
	assert_int_equal(ca.n, 1); /* sent at once, on the old MAC */
	ep_run(p, SEC(5) + MS(1));
	/* A unicast request to B's MAC; the reply confirms it. */
	assert_int_equal(ca.n, 2);
	assert_int_equal(ca.type[1], 0x0806);
	assert_memory_equal(ca.head[1], MAC_B, 6);
	ep_run(p, MS(20));
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_REACHABLE);
	/* With B gone, PROBE fails after three unicast requests. */
	ep_run(p, SEC(31));
	p->eb->cut = true;
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.2", 9), 1);
	ep_run(p, SEC(9));
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_FAILED);
	ns_ep_close(tx);
}

static void test_permanent_neighbour_needs_no_arp(void **state)
{
	struct epair *p = *state;
	uint8_t ip[4] = {10, 0, 0, 2};
	assert_int_equal(ns_stack_add_neighbour(p->a.s, p->ia, AF_INET, ip, MAC_B), 0);
	assert_int_equal(ns_stack_add_neighbour(p->a.s, 1, AF_INET, ip, MAC_B), -EINVAL);
	assert_int_equal(ns_stack_add_neighbour(p->a.s, 7, AF_INET, ip, MAC_B), -ENODEV);
	uint64_t req0 = ctr(p->a.s, NS_CTR_ARP_OUT_REQUESTS);
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.2", 9), 1);
	ep_run(p, SEC(100));
	assert_int_equal(ctr(p->a.s, NS_CTR_ARP_OUT_REQUESTS), req0);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_PERMANENT);
	ns_ep_close(tx);
}

static void test_interface_down_forgets_neighbours(void **state)
{
	struct epair *p = *state;
	uint8_t ip[4] = {10, 0, 0, 7};
	assert_int_equal(ns_stack_add_neighbour(p->a.s, p->ia, AF_INET, ip, MAC_B), 0);
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.2", 9), 1);
	ep_run(p, MS(20));
	p->eb->cut = true;
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.3", 9), 1);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), NUD_REACHABLE);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.3", NULL), NUD_INCOMPLETE);
	struct ns_pool_stats st0, st1;
	ns_pool_stats(&st0);
	assert_int_equal(ns_stack_set_nic_up(p->a.s, p->ia, false), 0);
	ns_pool_stats(&st1);
	assert_int_equal(st0.live - st1.live, 1); /* the queued datagram */
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.2", NULL), 0);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.3", NULL), 0);
	assert_int_equal(neigh_state(p->a.s, AF_INET, "10.0.0.7", NULL), NUD_PERMANENT);
	assert_int_equal(sendto_buf(tx, "x", 1, AF_INET, "10.0.0.2", 9), -ENETUNREACH);
	assert_int_equal(ns_stack_set_nic_up(p->a.s, p->ia, true), 0);
	ep_run(p, SEC(5));
	ns_ep_close(tx);
}

static void arp_frame(uint8_t *f, uint16_t op, uint32_t sip, uint32_t tip)
{
	memcpy(f, "\xff\xff\xff\xff\xff\xff", 6);
	memcpy(f + 6, MAC_A, 6);
	f[12] = 0x08, f[13] = 0x06;
	uint8_t *a = f + 14;
	a[0] = 0, a[1] = 1, a[2] = 8, a[3] = 0, a[4] = 6, a[5] = 4;
	a[6] = 0, a[7] = (uint8_t)op;
	memcpy(a + 8, MAC_A, 6);
	a[14] = (uint8_t)(sip >> 24), a[15] = (uint8_t)(sip >> 16), a[16] = (uint8_t)(sip >> 8),
	a[17] = (uint8_t)sip;
	memset(a + 18, 0, 6);
	a[24] = (uint8_t)(tip >> 24), a[25] = (uint8_t)(tip >> 16), a[26] = (uint8_t)(tip >> 8),
	a[27] = (uint8_t)tip;
}

static void test_malformed_arp_is_counted(void **state)
{
	struct epair *p = *state;
	uint8_t f[64];
	uint64_t bad0 = ctr(p->b.s, NS_CTR_ARP_IN_BAD);
	arp_frame(f, 1, 0x0a000001, 0x0a000002);
	ewire_inject(p->eb, f, 14 + 27, 0); /* short */
	arp_frame(f, 1, 0x0a000001, 0x0a000002);
	f[15] = 6; /* hardware type 6 */
	ewire_inject(p->eb, f, 42, 0);
	arp_frame(f, 1, 0x0a000001, 0x0a000002);
	f[18] = 8; /* hardware length 8 */
	ewire_inject(p->eb, f, 42, 0);
	arp_frame(f, 3, 0x0a000001, 0x0a000002); /* RARP request */
	ewire_inject(p->eb, f, 42, 0);
	arp_frame(f, 1, 0x0a000001, 0x0a000002);
	f[22] = 0x01; /* a multicast sender MAC */
	ewire_inject(p->eb, f, 42, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_ARP_IN_BAD) - bad0, 5);
	assert_int_equal(neigh_state(p->b.s, AF_INET, "10.0.0.1", NULL), 0);
	/* A DAD probe for B's address is answered; a request for another
	 * host is not. */
	uint64_t rep0 = ctr(p->b.s, NS_CTR_ARP_OUT_REPLIES);
	arp_frame(f, 1, 0, 0x0a000002);
	ewire_inject(p->eb, f, 42, 0);
	arp_frame(f, 1, 0x0a000001, 0x0a000003);
	ewire_inject(p->eb, f, 42, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_ARP_OUT_REPLIES) - rep0, 1);
	assert_int_equal(neigh_state(p->b.s, AF_INET, "10.0.0.1", NULL), 0);
	/* A request for B (padded to 60 bytes, as on a wire) is answered. */
	arp_frame(f, 1, 0x0a000001, 0x0a000002);
	memset(f + 42, 0, 18);
	ewire_inject(p->eb, f, 60, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_ARP_OUT_REPLIES) - rep0, 2);
	assert_int_equal(neigh_state(p->b.s, AF_INET, "10.0.0.1", NULL), NUD_STALE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PAIR_TEST(test_request_reply_then_the_datagram),
	    PAIR_TEST(test_unanswered_connect_fails_with_ehostunreach),
	    PAIR_TEST(test_connected_udp_hears_ehostunreach_on_next_send),
	    PAIR_TEST(test_gateway_is_the_next_hop),
	    PAIR_TEST(test_gratuitous_arp_on_address_add),
	    PAIR_TEST(test_queue_while_resolving_is_bounded),
	    PAIR_TEST(test_stale_entry_is_probed_by_unicast),
	    PAIR_TEST(test_permanent_neighbour_needs_no_arp),
	    PAIR_TEST(test_interface_down_forgets_neighbours),
	    PAIR_TEST(test_malformed_arp_is_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
