/* Unit tests for the netstack's TCP over loopback: the state machine,
 * data, options, timers, on a virtual clock. */
#include "netstack/tests/nstest.h"

static void test_handshake_and_data_both_ways(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 8080, 16);
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_STREAM, 0);
	struct nst_sock cu = {0}, lu = {0};
	ns_ep_set_user(c, &cu);
	ns_ep_set_user(l, &lu);
	/* A fresh socket: writable and hung up, as Linux. */
	assert_int_equal(ns_ep_poll(c), POLLOUT | POLLWRNORM | POLLHUP);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), -EINPROGRESS);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), -EALREADY);
	assert_int_equal(ns_ep_poll(c), 0); /* SYN_SENT */
	assert_true(t->kicks > 0);	    /* the owner was told to poll */
	nst_settle(t);
	assert_true(cu.wakeups > 0);
	assert_true(lu.wakeups > 0);
	assert_int_equal(ns_ep_poll(c), POLLOUT | POLLWRNORM);
	assert_int_equal(ns_ep_poll(l), POLLIN | POLLRDNORM);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), -EISCONN);
	struct ns_endpoint *a;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	assert_int_equal(ns_ep_accept(l, &a, &peer, &plen), 0);
	assert_int_equal(plen, sizeof(struct sockaddr_in));
	assert_int_equal(sa_port(&peer), local_port(c));
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL) == -EAGAIN, 1);

	char buf[64];
	assert_int_equal(send_buf(c, "hello", 5), 5);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), -EAGAIN);
	nst_settle(t);
	assert_true(ns_ep_poll(a) & POLLIN);
	/* recvfrom on TCP names no source (msg_namelen 0). */
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct iovec fiov = {buf, 1};
	assert_int_equal(ns_ep_recvmsg(a, &fiov, 1, MSG_PEEK, &from, &fl, NULL), 1);
	assert_int_equal(fl, 0);
	assert_int_equal(recv_buf(a, buf, 2, MSG_PEEK), 2);
	assert_memory_equal(buf, "he", 2);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(send_buf(a, "world!", 6), 6);
	nst_settle(t);
	assert_int_equal(recv_buf(c, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "world!", 6);

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[64];
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 1), 0);
	assert_string_equal(sa_ip(&ss, ip), "127.0.0.1");
	assert_int_equal(sa_port(&ss), 8080);
	assert_int_equal(ns_ep_getname(a, &ss, &sl, 0), 0);
	assert_int_equal(sa_port(&ss), 8080);

	ns_ep_close(c);
	nst_settle(t);
	assert_true(ns_ep_poll(a) & POLLRDHUP);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), 0);
	CLOSE_ALL(a, l);
	expect_none_left(t, IPPROTO_TCP);
}

static void test_large_transfer_is_exact(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 16);
	struct ns_endpoint *c, *a;
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c, &a);
	transfer(t, c, a, 8 << 20, SEC(10));
	transfer(t, a, c, 3 << 20, SEC(10));
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_RETRANS_SEGS), 0);
	CLOSE_ALL(c, a, l);
}


static void test_ipv6_and_dual_stack(void **state)
{
	struct nst *t = *state;
	/* An IPv6 listener on :: takes IPv6 and IPv4 clients. */
	struct ns_endpoint *l = listener(t, AF_INET6, "::", 9000, 16);
	struct ns_endpoint *c6, *a6, *c4, *a4;
	tcp_pair(t, AF_INET6, "::1", l, &c6, &a6);
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c4, &a4);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[64];
	assert_int_equal(ns_ep_getname(a4, &ss, &sl, 1), 0);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_string_equal(sa_ip(&ss, ip), "::ffff:127.0.0.1");
	assert_int_equal(ns_ep_getname(a6, &ss, &sl, 1), 0);
	assert_string_equal(sa_ip(&ss, ip), "::1");
	transfer(t, c6, a6, 300000, SEC(5));
	transfer(t, a4, c4, 300000, SEC(5));
	/* An IPv6 socket connects to an IPv4 peer through a mapped address. */
	struct ns_endpoint *l4 = listener(t, AF_INET, "127.0.0.1", 9001, 4);
	struct ns_endpoint *m = sock(t, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(do_connect(m, AF_INET6, "::ffff:127.0.0.1", 9001), -EINPROGRESS);
	nst_settle(t);
	assert_int_equal(do_connect(m, AF_INET6, "::ffff:127.0.0.1", 9001), 0);
	/* IPV6_V6ONLY: no IPv4 for this one. */
	struct ns_endpoint *v6o = sock(t, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(set_int(v6o, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
	assert_int_equal(do_connect(v6o, AF_INET6, "::ffff:127.0.0.1", 9001), -ENETUNREACH);
	struct ns_endpoint *l6o = sock(t, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(set_int(l6o, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
	assert_int_equal(do_bind(l6o, AF_INET6, "::", 9002), 0);
	assert_int_equal(ns_ep_listen(l6o, 4), 0);
	assert_int_equal(set_int(l6o, IPPROTO_IPV6, IPV6_V6ONLY, 0), -EINVAL); /* bound */
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 9002), -EINPROGRESS);
	nst_settle(t);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 9002), -ECONNREFUSED);
	struct ns_endpoint *all[] = {l, c6, a6, c4, a4, l4, m, v6o, l6o, c};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		ns_ep_close(all[i]);
}

static void test_connect_to_closed_port_is_refused(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_STREAM, 0);
	struct nst_sock cu = {0};
	ns_ep_set_user(c, &cu);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 7), -EINPROGRESS);
	nst_settle(t);
	assert_true(cu.wakeups > 0);
	uint32_t ev = ns_ep_poll(c);
	assert_int_equal(ev, POLLIN | POLLRDNORM | POLLRDHUP | POLLOUT | POLLWRNORM | POLLERR | POLLHUP);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_OUT_RSTS), 1);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_ATTEMPT_FAILS), 1);
	assert_int_equal(int_opt(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	assert_int_equal(int_opt(c, SOL_SOCKET, SO_ERROR), 0);
	/* The error was consumed: connect reports the abort. */
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 7), -ECONNABORTED);
	/* A new attempt starts afresh, and fails the same way. */
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 7), -EINPROGRESS);
	nst_settle(t);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 7), -ECONNREFUSED);
	char b[4];
	assert_int_equal(recv_buf(c, b, 4, 0), -ENOTCONN);
	assert_int_equal(send_buf(c, "x", 1), -EPIPE);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 1), -ENOTCONN);
	ns_ep_close(c);
}

static void test_half_close(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *c, *a, *l = loopback_pair(t, &c, &a);
	assert_int_equal(ns_ep_shutdown(c, SHUT_WR), 0);
	assert_int_equal(send_buf(c, "x", 1), -EPIPE);
	nst_settle(t);
	char b[16];
	assert_int_equal(recv_buf(a, b, sizeof(b), 0), 0);
	assert_true(ns_ep_poll(a) & POLLRDHUP);
	assert_false(ns_ep_poll(a) & POLLHUP);
	/* The other direction still works. */
	transfer(t, a, c, 200000, SEC(5));
	assert_false(ns_ep_poll(c) & POLLRDHUP);
	assert_int_equal(ns_ep_shutdown(a, SHUT_WR), 0);
	nst_settle(t);
	assert_int_equal(recv_buf(c, b, sizeof(b), 0), 0);
	assert_true(ns_ep_poll(c) & POLLHUP);
	assert_true(ns_ep_poll(a) & POLLHUP);
	/* c closed first: it holds TIME_WAIT. */
	struct ns_ep_info *rows;
	int n = ns_stack_endpoints(t->s, IPPROTO_TCP, &rows);
	int tw = 0, closed = 0;
	for (int i = 0; i < n; i++) {
		tw += rows[i].state == NS_TCP_TIME_WAIT;
		closed += rows[i].state == NS_TCP_CLOSE;
	}
	free(rows);
	assert_int_equal(tw, 1);
	assert_int_equal(closed, 1);
	assert_int_equal(ns_ep_shutdown(a, 7), -EINVAL);
	CLOSE_ALL(c, a, l);
}


static void test_simultaneous_open(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *x = sock(t, AF_INET, SOCK_STREAM, 0);
	struct ns_endpoint *y = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_bind(x, AF_INET, "127.0.0.1", 5001), 0);
	assert_int_equal(do_bind(y, AF_INET, "127.0.0.1", 5002), 0);
	/* Both SYNs leave before either is received. */
	assert_int_equal(do_connect(x, AF_INET, "127.0.0.1", 5002), -EINPROGRESS);
	assert_int_equal(do_connect(y, AF_INET, "127.0.0.1", 5001), -EINPROGRESS);
	nst_settle(t);
	assert_int_equal(do_connect(x, AF_INET, "127.0.0.1", 5002), 0);
	assert_int_equal(do_connect(y, AF_INET, "127.0.0.1", 5001), 0);
	assert_int_equal(tcp_count(t, NS_TCP_ESTABLISHED), 2);
	transfer(t, x, y, 100000, SEC(5));
	transfer(t, y, x, 100000, SEC(5));
	CLOSE_ALL(x, y);
}

static void test_simultaneous_close_and_time_wait_expiry(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *c, *a, *l = loopback_pair(t, &c, &a);
	ns_ep_close(l);
	/* Both FINs cross: FIN_WAIT1 -> CLOSING -> TIME_WAIT on both ends. */
	assert_int_equal(ns_ep_shutdown(c, SHUT_WR), 0);
	assert_int_equal(ns_ep_shutdown(a, SHUT_WR), 0);
	assert_int_equal(tcp_count(t, NS_TCP_FIN_WAIT1), 2);
	nst_settle(t);
	assert_int_equal(tcp_count(t, NS_TCP_TIME_WAIT), 2);
	CLOSE_ALL(c, a);
	nst_run(t, SEC(59));
	assert_int_equal(tcp_count(t, NS_TCP_TIME_WAIT), 2);
	nst_run(t, SEC(2));
	assert_int_equal(tcp_count(t, NS_TCP_TIME_WAIT), 0);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_TW_EXPIRED), 2);
	struct ns_ep_info *rows;
	assert_int_equal(ns_stack_endpoints(t->s, IPPROTO_TCP, &rows), 0);
	free(rows);
}

static void test_resets(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 8);
	struct ns_endpoint *c, *a;
	char b[16];
	/* Closing with unread data resets the peer. */
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c, &a);
	assert_int_equal(send_buf(c, "unread", 6), 6);
	nst_settle(t);
	ns_ep_close(a);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_ABORT_ON_CLOSE), 1);
	nst_settle(t);
	assert_true(ns_ep_poll(c) & POLLERR);
	assert_int_equal(recv_buf(c, b, sizeof(b), 0), -ECONNRESET);
	assert_int_equal(recv_buf(c, b, sizeof(b), 0), 0);
	assert_int_equal(send_buf(c, "x", 1), -EPIPE);
	ns_ep_close(c);
	/* SO_LINGER {1, 0}: close is an abort. */
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c, &a);
	struct linger lg = {1, 0};
	assert_int_equal(ns_ep_setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	ns_ep_close(c);
	nst_settle(t);
	assert_int_equal(send_buf(a, "x", 1), -ECONNRESET);
	assert_int_equal(send_buf(a, "x", 1), -EPIPE);
	assert_int_equal(tcp_count(t, NS_TCP_TIME_WAIT), 0);
	ns_ep_close(a);
	/* Data after we closed for good: RST (RFC 1122). */
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c, &a);
	ns_ep_close(c); /* FIN_WAIT1, then FIN_WAIT2 */
	nst_settle(t);
	assert_int_equal(send_buf(a, "late", 4), 4);
	nst_settle(t);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_ABORT_ON_DATA), 1);
	/* a had the FIN: reads end (SOCK_DONE first), and the RST in
	 * CLOSE_WAIT left EPIPE (tcp_reset). */
	assert_int_equal(recv_buf(a, b, sizeof(b), 0), 0);
	assert_int_equal(int_opt(a, SOL_SOCKET, SO_ERROR), EPIPE);
	assert_int_equal(send_buf(a, "x", 1), -EPIPE);
	ns_ep_close(a);
	/* A RST in the window but not at rcv_nxt gets a challenge ACK and
	 * changes nothing (RFC 5961) — exercised by the garbage tests;
	 * here, a listener closing resets what it had not accepted. */
	struct ns_endpoint *c2 = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c2, AF_INET, "127.0.0.1", local_port(l)), -EINPROGRESS);
	nst_settle(t);
	assert_int_equal(do_connect(c2, AF_INET, "127.0.0.1", local_port(l)), 0);
	ns_ep_close(l);
	nst_settle(t);
	assert_int_equal(recv_buf(c2, b, sizeof(b), 0), -ECONNRESET);
	ns_ep_close(c2);
	expect_none_left(t, IPPROTO_TCP);
}

static void test_listen_backlog_overflow(void **state)
{
	struct nst *t = *state;
	/* backlog 1: the accept queue holds 2 (Linux's "more than backlog"). */
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 1);
	uint16_t port = local_port(l);
	struct ns_endpoint *c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = sock(t, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(do_connect(c[i], AF_INET, "127.0.0.1", port), -EINPROGRESS);
		nst_settle(t);
	}
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_LISTEN_OVERFLOWS), 1);
	assert_int_equal(do_connect(c[0], AF_INET, "127.0.0.1", port), 0);
	assert_int_equal(do_connect(c[1], AF_INET, "127.0.0.1", port), 0);
	assert_int_equal(do_connect(c[2], AF_INET, "127.0.0.1", port), -EALREADY);
	struct ns_endpoint *a[3];
	assert_int_equal(ns_ep_accept(l, &a[0], NULL, NULL), 0);
	assert_int_equal(ns_ep_accept(l, &a[1], NULL, NULL), 0);
	assert_int_equal(ns_ep_accept(l, &a[2], NULL, NULL), -EAGAIN);
	/* The third client's SYN is sent again after 1 s and gets in. */
	nst_run(t, SEC(1) + MS(10));
	assert_int_equal(do_connect(c[2], AF_INET, "127.0.0.1", port), 0);
	assert_int_equal(ns_ep_accept(l, &a[2], NULL, NULL), 0);
	transfer(t, c[2], a[2], 1000, SEC(1));
	for (int i = 0; i < 3; i++) {
		ns_ep_close(c[i]);
		ns_ep_close(a[i]);
	}
	/* shutdown(SHUT_RD) on a listener stops it (inet_shutdown). */
	assert_int_equal(ns_ep_shutdown(l, SHUT_RD), 0);
	assert_int_equal(ns_ep_accept(l, &a[0], NULL, NULL), -EINVAL);
	ns_ep_close(l);
}

static void test_defer_accept_waits_for_data(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 16);
	uint16_t port = local_port(l);
	/* Seconds become SYN-ACK timeouts and back, as Linux: 5 -> 3 -> 7. */
	assert_int_equal(set_int(l, SOL_TCP, TCP_DEFER_ACCEPT, 5), 0);
	assert_int_equal(int_opt(l, SOL_TCP, TCP_DEFER_ACCEPT), 7);
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_STREAM, 0), *a;
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", port), -EINPROGRESS);
	nst_settle(t);
	/* The client is connected; the listener holds the bare ACK. */
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", port), 0);
	assert_int_equal(ns_ep_poll(l), 0);
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL), -EAGAIN);
	nst_run(t, SEC(2));
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL), -EAGAIN);
	/* The first data completes it, and is there at accept. */
	assert_int_equal(send_buf(c, "GET", 3), 3);
	nst_settle(t);
	assert_int_equal(ns_ep_poll(l), POLLIN | POLLRDNORM);
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL), 0);
	char buf[8];
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), 3);
	CLOSE_ALL(a, c);
	/* A client that sends nothing is accepted when the deferring ends:
	 * the SYN-ACK sent after the third timeout (7 s) is answered. */
	c = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", port), -EINPROGRESS);
	nst_run(t, SEC(6));
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL), -EAGAIN);
	nst_run(t, SEC(2));
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL), 0);
	CLOSE_ALL(a, c, l);
}

static void test_keepalive_times_out(void **state)
{
	struct nst t;
	bool cut = false;
	nst_init_switched(&t, 1, &cut);
	struct ns_endpoint *l = listener(&t, AF_INET, "127.0.0.1", 0, 4);
	/* Set before connect: armed when the connection is established. */
	struct ns_endpoint *c = sock(&t, AF_INET, SOCK_STREAM, 0), *a;
	assert_int_equal(set_int(c, SOL_SOCKET, SO_KEEPALIVE, 1), 0);
	assert_int_equal(set_int(c, SOL_TCP, TCP_KEEPIDLE, 10), 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", local_port(l)), -EINPROGRESS);
	nst_settle(&t);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", local_port(l)), 0);
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL), 0);
	assert_int_equal(set_int(c, SOL_TCP, TCP_KEEPINTVL, 5), 0);
	assert_int_equal(set_int(c, SOL_TCP, TCP_KEEPCNT, 3), 0);
	assert_int_equal(int_opt(c, SOL_TCP, TCP_KEEPIDLE), 10);
	assert_int_equal(set_int(c, SOL_TCP, TCP_KEEPCNT, 0), -EINVAL);
	/* While the peer answers, probes keep the connection. */
	nst_run(&t, SEC(60));
	assert_true(ns_stack_counter(t.s, NS_CTR_TCP_KEEPALIVE_PROBES) >= 4);
	assert_int_equal(ns_stack_counter(t.s, NS_CTR_TCP_KEEPALIVE_TIMEOUTS), 0);
	assert_true(ns_ep_poll(c) & POLLOUT);
	/* The peer goes silent: idle 10 s, then 3 probes 5 s apart. */
	cut = true;
	uint64_t start = t.now;
	while (!(ns_ep_poll(c) & POLLERR) && t.now - start < SEC(60))
		nst_step(&t, SEC(1));
	assert_int_equal(ns_stack_counter(t.s, NS_CTR_TCP_KEEPALIVE_TIMEOUTS), 1);
	uint64_t took = t.now - start;
	assert_true(took >= SEC(20) && took <= SEC(31));
	char b[4];
	assert_int_equal(recv_buf(c, b, 4, 0), -ETIMEDOUT);
	CLOSE_ALL(c, a, l);
	nst_fini(&t);
}

static void test_retransmission_backoff_and_user_timeout(void **state)
{
	struct nst t;
	bool cut = false;
	nst_init_switched(&t, 2, &cut);
	struct ns_endpoint *c, *a, *l = loopback_pair(&t, &c, &a);
	assert_int_equal(set_int(c, SOL_TCP, TCP_USER_TIMEOUT, 10000), 0);
	cut = true;
	assert_int_equal(send_buf(c, "lost", 4), 4);
	/* RTO >= 200 ms, doubling: timeouts at ~0.2, 0.6, 1.4, 3.0, 6.2 s;
	 * the 10 s user timeout ends it before tcp_retries2 would. */
	nst_run(&t, SEC(3) + MS(100));
	uint64_t to = ns_stack_counter(t.s, NS_CTR_TCP_TIMEOUTS);
	assert_true(to >= 3 && to <= 4);
	struct ns_tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(c, SOL_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(tl, sizeof(ti));
	assert_int_equal(ti.tcpi_backoff, to);
	assert_int_equal(ti.tcpi_ca_state, 4); /* TCP_CA_Loss */
	assert_int_equal(ti.tcpi_snd_cwnd, 1);
	nst_run(&t, SEC(10));
	assert_int_equal(ns_stack_counter(t.s, NS_CTR_TCP_USER_TIMEOUTS), 1);
	assert_int_equal(send_buf(c, "x", 1), -ETIMEDOUT);
	CLOSE_ALL(c, a, l);
	nst_fini(&t);
}

static void test_syn_retries_time_out(void **state)
{
	struct nst t;
	bool cut = true;
	nst_init_switched(&t, 3, &cut);
	struct ns_endpoint *c = sock(&t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 80), -EINPROGRESS);
	/* 6 retries: 1+2+4+8+16+32 s, and 64 s for the last answer. */
	nst_run(&t, SEC(126));
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 80), -EALREADY);
	nst_run(&t, SEC(2));
	assert_int_equal(ns_stack_counter(t.s, NS_CTR_TCP_SYN_TIMEOUTS), 1);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 80), -ETIMEDOUT);
	/* TCP_SYNCNT shortens it. */
	assert_int_equal(set_int(c, SOL_TCP, TCP_SYNCNT, 2), 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 80), -EINPROGRESS);
	nst_run(&t, SEC(8));
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 80), -ETIMEDOUT);
	ns_ep_close(c);
	nst_fini(&t);
}

static void test_zero_window_and_probes(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 4);
	int rb = 4096;
	assert_int_equal(ns_ep_setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb)), 0);
	assert_int_equal(int_opt(l, SOL_SOCKET, SO_RCVBUF), 8192);
	struct ns_endpoint *c, *a;
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c, &a);
	/* The receiver does not read: the sender fills the window, then its
	 * buffer, then probes. */
	static char big[1 << 20];
	size_t sent = 0;
	for (int i = 0; i < 100; i++) {
		ssize_t r = send_buf(c, big, sizeof(big));
		if (r > 0)
			sent += (size_t)r;
		nst_settle(t);
	}
	assert_int_equal(send_buf(c, big, sizeof(big)), -EAGAIN);
	assert_false(ns_ep_poll(c) & POLLOUT);
	int inq, outq, notsent;
	assert_int_equal(ns_ep_queues(a, &inq, &outq, &notsent), 0);
	assert_true(inq > 0 && inq <= 8192 + 4096);
	assert_int_equal(ns_ep_queues(c, &inq, &outq, &notsent), 0);
	assert_true(outq > 0 && notsent > 0);
	nst_run(t, SEC(30));
	uint64_t probes = ns_stack_counter(t->s, NS_CTR_TCP_ZERO_WINDOW_PROBES);
	/* Backing off from 200 ms: about 7 in 30 s, not 150. */
	assert_true(probes >= 4 && probes <= 9);
	struct ns_tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(c, SOL_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_snd_wnd, 0);
	assert_int_equal(ti.tcpi_state, NS_TCP_ESTABLISHED);
	/* Reading opens the window; everything arrives. */
	static char got[1 << 20];
	size_t total = 0;
	for (int i = 0; i < 10000 && total < sent; i++) {
		ssize_t r = recv_buf(a, got, sizeof(got), 0);
		if (r > 0)
			total += (size_t)r;
		else
			nst_step(t, MS(300));
	}
	assert_int_equal(total, sent);
	CLOSE_ALL(c, a, l);
}

/* Counts data segments on the wire and when they left. */
struct seg_log {
	int data_segs;
	uint64_t when[64];
	struct nst *t;
};

static bool log_data(void *arg, struct ns_pbuf *pb)
{
	struct seg_log *g = arg;
	unsigned dport, payload;
	uint8_t flags;
	if (tcp4_frame(pb, &dport, &flags, &payload) && payload) {
		if (g->data_segs < 64)
			g->when[g->data_segs] = g->t->now;
		g->data_segs++;
	}
	return true;
}

static void test_nagle_nodelay_and_cork(void **state)
{
	struct nst t;
	struct tlink *lo = nst_init_lossy(&t, 4);
	struct seg_log g = {.t = &t};
	lo->filter = log_data;
	lo->farg = &g;
	struct ns_endpoint *c, *a, *l = loopback_pair(&t, &c, &a);
	char b[64];
	/* Past the quick-ACK start, the receiver delays its ACKs. */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(send_buf(c, "p", 1), 1);
		nst_run(&t, MS(50));
		assert_int_equal(recv_buf(a, b, sizeof(b), 0), 1);
	}
	/* Nagle: the second small write waits for the first one's ACK,
	 * which is delayed 40 ms. */
	g.data_segs = 0;
	assert_int_equal(send_buf(c, "a", 1), 1);
	assert_int_equal(send_buf(c, "b", 1), 1);
	nst_settle(&t);
	assert_int_equal(g.data_segs, 1);
	nst_run(&t, MS(39));
	assert_int_equal(g.data_segs, 1);
	nst_run(&t, MS(2));
	assert_int_equal(g.data_segs, 2);
	assert_true(ns_stack_counter(t.s, NS_CTR_TCP_DELAYED_ACKS) > 0);
	assert_int_equal(recv_buf(a, b, sizeof(b), 0), 2);
	nst_run(&t, MS(100));
	/* TCP_NODELAY: both go at once. */
	assert_int_equal(set_int(c, SOL_TCP, TCP_NODELAY, 1), 0);
	assert_int_equal(int_opt(c, SOL_TCP, TCP_NODELAY), 1);
	g.data_segs = 0;
	assert_int_equal(send_buf(c, "c", 1), 1);
	assert_int_equal(send_buf(c, "d", 1), 1);
	nst_settle(&t);
	assert_int_equal(g.data_segs, 2);
	assert_int_equal(recv_buf(a, b, sizeof(b), 0), 2);
	nst_run(&t, MS(100));
	/* TCP_CORK: held until uncorked (or a full segment). */
	assert_int_equal(set_int(c, SOL_TCP, TCP_CORK, 1), 0);
	g.data_segs = 0;
	assert_int_equal(send_buf(c, "e", 1), 1);
	assert_int_equal(send_buf(c, "f", 1), 1);
	nst_run(&t, SEC(1));
	assert_int_equal(g.data_segs, 0);
	assert_int_equal(set_int(c, SOL_TCP, TCP_CORK, 0), 0);
	nst_settle(&t);
	assert_int_equal(g.data_segs, 1);
	assert_int_equal(recv_buf(a, b, sizeof(b), 0), 2);
	/* MSG_MORE corks one write. */
	g.data_segs = 0;
	struct iovec iov = {"g", 1};
	assert_int_equal(ns_ep_sendmsg(c, &iov, 1, MSG_MORE, NULL, 0), 1);
	nst_settle(&t);
	assert_int_equal(g.data_segs, 0);
	assert_int_equal(send_buf(c, "h", 1), 1);
	nst_settle(&t);
	assert_int_equal(g.data_segs, 1);
	CLOSE_ALL(c, a, l);
	nst_fini(&t);
}

static void test_options_and_errors(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *s = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_DOMAIN), AF_INET);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_ACCEPTCONN), 0);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_SNDBUF), 16384);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_RCVBUF), 131072);
	assert_int_equal(set_int(s, SOL_SOCKET, SO_SNDBUF, 1), 0);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_SNDBUF), 4608);
	assert_int_equal(set_int(s, SOL_SOCKET, SO_RCVBUF, 1 << 30), 0);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_RCVBUF), 212992 * 2);
	assert_int_equal(int_opt(s, SOL_TCP, TCP_MAXSEG), 536);
	assert_int_equal(set_int(s, SOL_TCP, TCP_MAXSEG, 10), -EINVAL);
	assert_int_equal(set_int(s, SOL_TCP, TCP_MAXSEG, 1000), 0);
	assert_int_equal(int_opt(s, SOL_TCP, TCP_MAXSEG), 1000);
	assert_int_equal(int_opt(s, SOL_TCP, TCP_KEEPIDLE), 7200);
	assert_int_equal(int_opt(s, SOL_TCP, TCP_KEEPINTVL), 75);
	assert_int_equal(int_opt(s, SOL_TCP, TCP_KEEPCNT), 9);
	assert_int_equal(set_int(s, SOL_TCP, TCP_USER_TIMEOUT, -1), -EINVAL);
	assert_int_equal(int_opt(s, IPPROTO_IP, IP_TTL), 64);
	assert_int_equal(set_int(s, IPPROTO_IP, IP_TTL, 0), -EINVAL);
	assert_int_equal(set_int(s, IPPROTO_IP, IP_TTL, 5), 0);
	assert_int_equal(int_opt(s, IPPROTO_IP, IP_TTL), 5);
	assert_int_equal(set_int(s, IPPROTO_IP, IP_TOS, 0x10), 0);
	assert_int_equal(int_opt(s, IPPROTO_IP, IP_TOS), 0x10);
	char cc[16] = {0};
	socklen_t cl = sizeof(cc);
	assert_int_equal(ns_ep_getsockopt(s, SOL_TCP, TCP_CONGESTION, cc, &cl), 0);
	assert_string_equal(cc, "reno");
	assert_int_equal(ns_ep_setsockopt(s, SOL_TCP, TCP_CONGESTION, "bbr", 3), -ENOENT);
	/* Short and unknown options. */
	short sh = 1;
	assert_int_equal(ns_ep_setsockopt(s, SOL_TCP, TCP_NODELAY, &sh, sizeof(sh)), -EINVAL);
	uint64_t before = ns_stack_counter(t->s, NS_CTR_UNSUPPORTED_OPTION);
	assert_int_equal(set_int(s, SOL_TCP, TCP_MD5SIG, 1), -ENOPROTOOPT);
	assert_int_equal(set_int(s, SOL_SOCKET, SO_ATTACH_FILTER, 1), -ENOPROTOOPT);
	assert_int_equal(set_int(s, 999, 1, 1), -ENOPROTOOPT);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_UNSUPPORTED_OPTION), before + 3);
	assert_int_equal(set_int(s, IPPROTO_IPV6, IPV6_V6ONLY, 1), -ENOPROTOOPT);
	/* A short get is truncated, as Linux. */
	char one = 0;
	socklen_t ol = 1;
	assert_int_equal(ns_ep_getsockopt(s, SOL_SOCKET, SO_TYPE, &one, &ol), 0);
	assert_int_equal(ol, 1);
	assert_int_equal(one, SOCK_STREAM);
	/* Calls in the wrong state. */
	char b[4];
	assert_int_equal(recv_buf(s, b, 4, 0), -ENOTCONN);
	assert_int_equal(send_buf(s, "x", 1), -EPIPE);
	assert_int_equal(ns_ep_shutdown(s, SHUT_RDWR), -ENOTCONN);
	struct ns_endpoint *a;
	assert_int_equal(ns_ep_accept(s, &a, NULL, NULL), -EINVAL);
	int inq;
	assert_int_equal(ns_ep_queues(s, &inq, NULL, NULL), 0);
	ns_ep_close(s);
	s = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(ns_ep_listen(s, -1), 0); /* autobinds, backlog = somaxconn */
	assert_true(local_port(s) >= 32768);
	assert_int_equal(int_opt(s, SOL_SOCKET, SO_ACCEPTCONN), 1);
	assert_int_equal(ns_ep_queues(s, &inq, NULL, NULL), -EINVAL);
	assert_int_equal(do_connect(s, AF_INET, "127.0.0.1", 1), -EISCONN);
	assert_int_equal(recv_buf(s, b, 4, 0), -ENOTCONN);
	struct iovec iov = {"x", 1};
	assert_int_equal(ns_ep_sendmsg(s, &iov, 1, MSG_OOB, NULL, 0), -EOPNOTSUPP);
	struct ns_tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(s, SOL_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_state, NS_TCP_LISTEN);
	assert_int_equal(ti.tcpi_sacked, 4096);
	ns_ep_close(s);
	/* Creation. */
	struct ns_endpoint *x;
	assert_int_equal(ns_ep_create(t->s, AF_UNIX, SOCK_STREAM, 0, &x), -EAFNOSUPPORT);
	assert_int_equal(ns_ep_create(t->s, AF_INET, SOCK_STREAM, IPPROTO_UDP, &x), -EPROTONOSUPPORT);
	assert_int_equal(ns_ep_create(t->s, AF_INET, SOCK_SEQPACKET, 0, &x), -ESOCKTNOSUPPORT);
	assert_int_equal(ns_ep_create(t->s, AF_INET6, SOCK_DGRAM, IPPROTO_ICMP, &x), -EPROTONOSUPPORT);
}

static void test_msg_flags_and_queues(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *c, *a, *l = loopback_pair(t, &c, &a);
	assert_int_equal(send_buf(c, "0123456789", 10), 10);
	nst_settle(t);
	int inq, outq, ns;
	assert_int_equal(ns_ep_queues(a, &inq, &outq, &ns), 0);
	assert_int_equal(inq, 10);
	char b[16];
	assert_int_equal(recv_buf(a, b, 4, MSG_TRUNC), 4); /* discarded */
	assert_int_equal(recv_buf(a, b, 1, MSG_OOB), -EINVAL);
	assert_int_equal(recv_buf(a, b, 0, 0), 0);
	struct iovec iov[2] = {{b, 3}, {b + 8, 3}};
	assert_int_equal(ns_ep_recvmsg(a, iov, 2, 0, NULL, NULL, NULL), 6);
	assert_memory_equal(b, "456", 3);
	assert_memory_equal(b + 8, "789", 3);
	assert_int_equal(send_buf(a, "", 0), 0);
	CLOSE_ALL(c, a, l);
}

/* Drops TCP segments to *port that carry nothing but an ACK. */
static bool drop_pure_acks_to(void *arg, struct ns_pbuf *pb)
{
	unsigned dport, payload;
	uint8_t flags;
	if (!tcp4_frame(pb, &dport, &flags, &payload))
		return true;
	return !(dport == *(uint16_t *)arg && flags == 0x10 && payload == 0);
}

static void test_proc_rows(void **state)
{
	struct nst t;
	struct tlink *lo = nst_init_lossy(&t, 5);
	struct ns_endpoint *l = listener(&t, AF_INET6, "::", 4444, 8);
	ns_ep_set_owner(l, 1000, 77);
	struct ns_endpoint *c, *a;
	tcp_pair(&t, AF_INET, "127.0.0.1", l, &c, &a);
	/* A half-open connection: its final ACK is lost. */
	lo->filter = drop_pure_acks_to;
	uint16_t port = 4444;
	lo->farg = &port;
	struct ns_endpoint *h = sock(&t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(h, AF_INET, "127.0.0.1", 4444), -EINPROGRESS);
	nst_settle(&t);
	struct ns_ep_info *rows;
	int n = ns_stack_endpoints(t.s, IPPROTO_TCP, &rows);
	int listen = 0, est = 0, synrecv = 0;
	for (int i = 0; i < n; i++) {
		if (rows[i].state == NS_TCP_LISTEN) {
			listen++;
			assert_int_equal(rows[i].family, AF_INET6);
			assert_int_equal(rows[i].lport, 4444);
			assert_int_equal(rows[i].uid, 1000);
			assert_int_equal(rows[i].ino, 77);
			assert_int_equal(rows[i].tx_queue, 8);
		}
		est += rows[i].state == NS_TCP_ESTABLISHED;
		synrecv += rows[i].state == NS_TCP_SYN_RECV;
	}
	free(rows);
	assert_int_equal(listen, 1);
	assert_int_equal(est, 3); /* c, a, and h (it got the SYN-ACK) */
	assert_int_equal(synrecv, 1);
	lo->filter = NULL;
	/* h's first data completes the handshake. */
	assert_int_equal(send_buf(h, "x", 1), 1);
	nst_settle(&t);
	assert_int_equal(tcp_count(&t, NS_TCP_ESTABLISHED), 4);
	assert_int_equal(tcp_count(&t, NS_TCP_SYN_RECV), 0);
	CLOSE_ALL(c, a, h, l);
	nst_fini(&t);
}

/* Bytes of heap per idle established connection (both ends in this
 * stack), measured with the sanitizer allocator's count (the unit tests
 * always run under ASan) around 1000 connections. */
size_t __sanitizer_get_current_allocated_bytes(void) __attribute__((weak));

static void test_thousand_idle_connections_stay_small(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 4096);
	enum { N = 1000 };
	static struct ns_endpoint *c[N], *a[N];
	/* Warm up the pool and the tables first. */
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c[0], &a[0]);
	transfer(t, c[0], a[0], 1000, SEC(1));
	nst_run(t, SEC(1));
	ns_pool_trim();
	if (!__sanitizer_get_current_allocated_bytes)
		skip();
	size_t m0 = __sanitizer_get_current_allocated_bytes();
	for (int i = 1; i < N; i++) {
		c[i] = sock(t, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(do_connect(c[i], AF_INET, "127.0.0.1", local_port(l)), -EINPROGRESS);
		if (i % 64 == 0)
			nst_settle(t);
	}
	nst_settle(t);
	for (int i = 1; i < N; i++) {
		assert_int_equal(ns_ep_accept(l, &a[i], NULL, NULL), 0);
		assert_int_equal(send_buf(c[i], "hi", 2), 2);
	}
	nst_run(t, SEC(1));
	char b[4];
	for (int i = 1; i < N; i++)
		assert_int_equal(recv_buf(a[i], b, sizeof(b), 0), 2);
	nst_run(t, SEC(1));
	ns_pool_trim();
	size_t m1 = __sanitizer_get_current_allocated_bytes();
	size_t per = (m1 - m0) / (N - 1);
	print_message("idle established connection: %zu bytes per connection (both ends)\n",
		      per);
	assert_int_equal(tcp_count(t, NS_TCP_ESTABLISHED), 2 * N);
	assert_true(per < 4096);
	for (int i = 0; i < N; i++) {
		ns_ep_close(c[i]);
		ns_ep_close(a[i]);
	}
	ns_ep_close(l);
	nst_run(t, SEC(61));
	assert_int_equal(tcp_count(t, NS_TCP_TIME_WAIT), 0);
}

/* ns_ep_recv_pin: the queued bytes in place, taken only as far as the
 * unpin says; one pin at a time; a consuming receive waits for it; a
 * disconnect while pinned empties the queue and frees the pieces only at
 * the unpin (ASan sees a use after free otherwise). */
static void test_recv_pin_copies_in_place(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 16);
	struct ns_endpoint *c, *a;
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c, &a);
	struct iovec seg[4];
	int nseg = 4;
	assert_int_equal(ns_ep_recv_pin(a, 100, seg, &nseg), -EAGAIN);
	nseg = 0;
	assert_int_equal(ns_ep_recv_pin(a, 100, seg, &nseg), -EINVAL);
	assert_int_equal(send_buf(c, "hello", 5), 5);
	nst_settle(t);
	assert_int_equal(send_buf(c, "world", 5), 5);
	nst_settle(t);
	nseg = 4;
	assert_int_equal(ns_ep_recv_pin(a, 7, seg, &nseg), 7);
	size_t got = 0;
	char buf[16];
	for (int i = 0; i < nseg; i++) {
		memcpy(buf + got, seg[i].iov_base, seg[i].iov_len);
		got += seg[i].iov_len;
	}
	assert_int_equal(got, 7);
	assert_memory_equal(buf, "hellowo", 7);
	int n2 = 4;
	assert_int_equal(ns_ep_recv_pin(a, 7, seg, &n2), -EBUSY);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), -EBUSY);
	assert_int_equal(recv_buf(a, buf, 3, MSG_PEEK), 3); /* a peek may look */
	assert_memory_equal(buf, "hel", 3);
	ns_ep_recv_unpin(a, 3); /* the caller copied only 3 */
	nseg = 4;
	assert_int_equal(ns_ep_recv_pin(a, 2, seg, &nseg), 2);
	ns_ep_recv_unpin(a, 100); /* more than was pinned: only those go */
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "world", 5);

	assert_int_equal(send_buf(c, "again", 5), 5);
	nst_settle(t);
	nseg = 4;
	assert_int_equal(ns_ep_recv_pin(a, 64, seg, &nseg), 5);
	struct sockaddr_in none = {.sin_family = AF_UNSPEC};
	assert_int_equal(ns_ep_connect(a, (struct sockaddr *)&none, sizeof(none)), 0);
	assert_memory_equal(seg[0].iov_base, "again", 5); /* still there */
	ns_ep_recv_unpin(a, 5);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0) <= 0, 1);
	CLOSE_ALL(c, a, l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    NST_TEST(test_handshake_and_data_both_ways),
	    NST_TEST(test_large_transfer_is_exact),
	    NST_TEST(test_ipv6_and_dual_stack),
	    NST_TEST(test_connect_to_closed_port_is_refused),
	    NST_TEST(test_half_close),
	    NST_TEST(test_simultaneous_open),
	    NST_TEST(test_simultaneous_close_and_time_wait_expiry),
	    NST_TEST(test_resets),
	    NST_TEST(test_listen_backlog_overflow),
	    NST_TEST(test_defer_accept_waits_for_data),
	    cmocka_unit_test(test_keepalive_times_out),
	    cmocka_unit_test(test_retransmission_backoff_and_user_timeout),
	    cmocka_unit_test(test_syn_retries_time_out),
	    NST_TEST(test_zero_window_and_probes),
	    cmocka_unit_test(test_nagle_nodelay_and_cork),
	    NST_TEST(test_options_and_errors),
	    NST_TEST(test_msg_flags_and_queues),
	    NST_TEST(test_recv_pin_copies_in_place),
	    cmocka_unit_test(test_proc_rows),
	    NST_TEST(test_thousand_idle_connections_stay_small),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
