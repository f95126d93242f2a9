/* Unit tests for the netstack's TCP under loss, duplication and
 * reordering (seeded patterns on a test link), with and without SACK and
 * timestamps, and between two stacks over a wire with latency. */
#include "netstack/tests/nstest.h"

static void set_sysctl(struct nst *t, int sack, int ts, int ws)
{
	struct ns_sysctl sc;
	ns_stack_get_sysctl(t->s, &sc);
	sc.tcp_sack = (uint8_t)sack;
	sc.tcp_timestamps = (uint8_t)ts;
	sc.tcp_window_scaling = (uint8_t)ws;
	assert_int_equal(ns_stack_set_sysctl(t->s, &sc), 0);
}

/* Transfers both ways over a lossy loopback, byte for byte. */
static void lossy_run(uint32_t seed, int drop, int dup, int reorder, int sack, int ts, int ws,
		      size_t bytes, int mss)
{
	struct nst t;
	struct tlink *lo = nst_init_lossy(&t, seed);
	set_sysctl(&t, sack, ts, ws);
	lo->delay = MS(1);
	struct ns_endpoint *l = listener(&t, AF_INET, "127.0.0.1", 0, 8);
	if (mss)
		assert_int_equal(set_int(l, SOL_TCP, TCP_MAXSEG, mss), 0);
	struct ns_endpoint *c = sock(&t, AF_INET, SOCK_STREAM, 0), *a;
	if (mss)
		assert_int_equal(set_int(c, SOL_TCP, TCP_MAXSEG, mss), 0);
	ns_ep_close(c);
	tcp_pair(&t, AF_INET, "127.0.0.1", l, &c, &a);
	if (mss)
		assert_int_equal(set_int(c, SOL_TCP, TCP_MAXSEG, mss), 0);
	struct ns_tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(c, SOL_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(!!(ti.tcpi_options & 1), ts);
	assert_int_equal(!!(ti.tcpi_options & 2), sack);
	assert_int_equal(!!(ti.tcpi_options & 4), ws);
	lo->drop_pct = drop;
	lo->dup_pct = dup;
	lo->reorder_pct = reorder;
	transfer(&t, c, a, bytes, SEC(600));
	transfer(&t, a, c, bytes / 2, SEC(600));
	print_message("seed %u: %u sent, %u dropped, %u duplicated, %u reordered; "
		      "%lu retransmitted, %lu fast retransmits, %lu timeouts, %lu out of order, "
		      "%lu virtual ms\n",
		      seed, lo->sent, lo->dropped, lo->duplicated, lo->reordered,
		      (unsigned long)ns_stack_counter(t.s, NS_CTR_TCP_RETRANS_SEGS),
		      (unsigned long)ns_stack_counter(t.s, NS_CTR_TCP_FAST_RETRANS),
		      (unsigned long)ns_stack_counter(t.s, NS_CTR_TCP_TIMEOUTS),
		      (unsigned long)ns_stack_counter(t.s, NS_CTR_TCP_OOO_QUEUED),
		      (unsigned long)((t.now - SEC(1000)) / MS(1)));
	/* (A short run may lose only ACKs, which later ones cover.) */
	if (drop && lo->sent > 500)
		assert_true(ns_stack_counter(t.s, NS_CTR_TCP_RETRANS_SEGS) > 0);
	if (reorder || drop)
		assert_true(ns_stack_counter(t.s, NS_CTR_TCP_OOO_QUEUED) > 0);
	/* A clean close under loss still ends both sides. */
	ns_ep_shutdown(c, SHUT_WR);
	char b[4];
	for (int i = 0; i < 2000 && recv_buf(a, b, sizeof(b), 0) != 0; i++)
		nst_step(&t, SEC(1));
	assert_int_equal(recv_buf(a, b, sizeof(b), 0), 0);
	lo->drop_pct = lo->dup_pct = lo->reorder_pct = 0;
	CLOSE_ALL(c, a, l);
	expect_none_left(&t, IPPROTO_TCP);
	nst_fini(&t);
}

static void test_loss_dup_reorder_with_sack(void **state)
{
	lossy_run(11, 5, 5, 10, 1, 1, 1, 2 << 20, 0);
	lossy_run(12, 10, 0, 0, 1, 1, 1, 1 << 20, 0);
	lossy_run(13, 2, 10, 30, 1, 1, 1, 1 << 20, 1400);
	lossy_run(14, 20, 0, 20, 1, 1, 1, 512 << 10, 1000);
}

static void test_loss_newreno_without_sack(void **state)
{
	lossy_run(21, 5, 2, 5, 0, 1, 1, 1 << 20, 0);
	lossy_run(22, 8, 0, 0, 0, 1, 1, 1 << 20, 1400);
}

static void test_loss_without_timestamps_or_scaling(void **state)
{
	lossy_run(31, 5, 5, 10, 1, 0, 0, 1 << 20, 1400);
	lossy_run(32, 5, 0, 10, 0, 0, 0, 512 << 10, 1400);
}

/* Drops the n-th data segment once. */
struct drop_nth {
	int n, seen;
};

static bool drop_nth_data(void *arg, struct ns_pbuf *pb)
{
	struct drop_nth *d = arg;
	unsigned dport, payload;
	uint8_t flags;
	if (!tcp4_frame(pb, &dport, &flags, &payload) || !payload)
		return true;
	return ++d->seen != d->n;
}

static void test_fast_retransmit_without_timeout(void **state)
{
	struct nst t;
	struct tlink *lo = nst_init_lossy(&t, 7);
	lo->delay = MS(5);
	struct ns_endpoint *l = listener(&t, AF_INET, "127.0.0.1", 0, 8);
	int mss = 1000;
	assert_int_equal(set_int(l, SOL_TCP, TCP_MAXSEG, mss), 0);
	struct ns_endpoint *c, *a;
	tcp_pair(&t, AF_INET, "127.0.0.1", l, &c, &a);
	assert_int_equal(set_int(c, SOL_TCP, TCP_NODELAY, 1), 0);
	struct drop_nth d = {.n = 3};
	lo->filter = drop_nth_data;
	lo->farg = &d;
	transfer(&t, c, a, 200000, SEC(10));
	/* The hole was repaired from duplicate ACKs and SACK, not a timeout. */
	assert_true(ns_stack_counter(t.s, NS_CTR_TCP_FAST_RETRANS) >= 1);
	assert_int_equal(ns_stack_counter(t.s, NS_CTR_TCP_TIMEOUTS), 0);
	CLOSE_ALL(c, a, l);
	nst_fini(&t);
}

/* Two stacks joined by a wire with latency, as two hosts. */
struct wire {
	struct nst t;
	struct ns_stack *b;
	struct tlink *la, *lb;
};

static void wire_init(struct wire *w, uint64_t delay)
{
	nst_init(&w->t);
	w->b = ns_stack_new(&nst_ops, &w->t, 43);
	assert_non_null(w->b);
	assert_int_equal(ns_stack_setup_loopback(w->b), 1);
	w->la = tlink_new(&w->t, "eth0", 0, 1);
	w->lb = tlink_new(&w->t, "eth0", 0, 2);
	w->la->peer = w->lb;
	w->lb->peer = w->la;
	w->la->delay = w->lb->delay = delay;
	int ia = ns_stack_add_nic(w->t.s, &w->la->ep);
	int ib = ns_stack_add_nic(w->b, &w->lb->ep);
	struct in_addr a = {htonl(0x0a000001)}, b = {htonl(0x0a000002)};
	assert_int_equal(ns_stack_add_addr(w->t.s, ia, AF_INET, &a, 24), 0);
	assert_int_equal(ns_stack_add_addr(w->b, ib, AF_INET, &b, 24), 0);
	struct in6_addr a6, b6;
	inet_pton(AF_INET6, "fd00::1", &a6);
	inet_pton(AF_INET6, "fd00::2", &b6);
	assert_int_equal(ns_stack_add_addr(w->t.s, ia, AF_INET6, &a6, 64), 0);
	assert_int_equal(ns_stack_add_addr(w->b, ib, AF_INET6, &b6, 64), 0);
}

/* The harness polls one stack; the wire has two. */
static void wire_step(struct wire *w)
{
	for (int i = 0; i < 1000; i++) {
		uint64_t da = ns_stack_poll(w->t.s, w->t.now);
		uint64_t db = ns_stack_poll(w->b, w->t.now);
		uint64_t l = tlink_next_due(&w->t);
		uint64_t d = da < db ? da : db;
		if (l < d)
			d = l;
		if (d > w->t.now) {
			w->t.now = d > w->t.now + SEC(1) ? w->t.now + SEC(1) : d;
			ns_stack_poll(w->t.s, w->t.now);
			ns_stack_poll(w->b, w->t.now);
			return;
		}
	}
}

static void test_two_stacks_over_a_wire(void **state)
{
	struct wire w;
	wire_init(&w, MS(10));
	struct ns_endpoint *l = NULL;
	assert_int_equal(ns_ep_create(w.b, AF_INET, SOCK_STREAM, 0, &l), 0);
	assert_int_equal(do_bind(l, AF_INET, "0.0.0.0", 80), 0);
	assert_int_equal(ns_ep_listen(l, 8), 0);
	struct ns_endpoint *c = sock(&w.t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "10.0.0.2", 80), -EINPROGRESS);
	for (int i = 0; i < 100 && !(ns_ep_poll(c) & POLLOUT); i++)
		wire_step(&w);
	assert_int_equal(do_connect(c, AF_INET, "10.0.0.2", 80), 0);
	assert_true(w.t.now - SEC(1000) >= MS(20)); /* one round trip */
	struct ns_endpoint *a;
	for (int i = 0; i < 100 && ns_ep_accept(l, &a, NULL, NULL) != 0; i++)
		wire_step(&w);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[64];
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 0), 0);
	assert_string_equal(sa_ip(&ss, ip), "10.0.0.1");
	assert_int_equal(ns_ep_getname(a, &ss, &sl, 1), 0);
	assert_string_equal(sa_ip(&ss, ip), "10.0.0.1");
	/* Data with a real round trip: the RTT estimate follows it. */
	static char buf[1 << 16];
	size_t sent = 0, got = 0, total = 4 << 20;
	for (int i = 0; i < 100000 && got < total; i++) {
		if (sent < total) {
			ssize_t r = send_buf(c, buf, sizeof(buf));
			if (r > 0)
				sent += (size_t)r;
		}
		ssize_t r = recv_buf(a, buf, sizeof(buf), 0);
		if (r > 0)
			got += (size_t)r;
		else
			wire_step(&w);
	}
	assert_int_equal(got, total);
	struct ns_tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(c, SOL_TCP, TCP_INFO, &ti, &tl), 0);
	assert_true(ti.tcpi_rtt >= 19000 && ti.tcpi_rtt < 60000);
	assert_true(ti.tcpi_min_rtt >= 20000 && ti.tcpi_min_rtt < 25000);
	assert_true(ti.tcpi_rto >= 200000 + 19000 && ti.tcpi_rto < 400000);
	assert_true(ti.tcpi_snd_cwnd > 10); /* it grew */
	/* A closed port on the other host answers with RST; a datagram to a
	 * closed UDP port with ICMP. */
	struct ns_endpoint *c2 = sock(&w.t, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c2, AF_INET6, "fd00::2", 81), -EINPROGRESS);
	for (int i = 0; i < 10; i++)
		wire_step(&w);
	assert_int_equal(do_connect(c2, AF_INET6, "fd00::2", 81), -ECONNREFUSED);
	struct ns_endpoint *u = sock(&w.t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_connect(u, AF_INET, "10.0.0.2", 9), 0);
	assert_int_equal(send_buf(u, "x", 1), 1);
	for (int i = 0; i < 10; i++)
		wire_step(&w);
	assert_int_equal(send_buf(u, "x", 1), -ECONNREFUSED);
	/* No route. */
	struct ns_endpoint *c3 = sock(&w.t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c3, AF_INET, "192.0.2.1", 80), -ENETUNREACH);
	struct ns_endpoint *all[] = {c, a, l, c2, u, c3};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ns_ep_close(all[i]);
	ns_stack_destroy(w.b);
	nst_fini(&w.t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loss_dup_reorder_with_sack),
	    cmocka_unit_test(test_loss_newreno_without_sack),
	    cmocka_unit_test(test_loss_without_timestamps_or_scaling),
	    cmocka_unit_test(test_fast_retransmit_without_timeout),
	    cmocka_unit_test(test_two_stacks_over_a_wire),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
