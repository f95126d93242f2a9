/* Unit tests for the netstack's ports: bind conflicts as Linux
 * (wildcards, dual stack, SO_REUSEADDR, SO_REUSEPORT, listeners, TIME_WAIT),
 * bind errors, ephemeral ports and their exhaustion, and a refused
 * connect giving its port back. */
#include "netstack/tests/nstest.h"

static void set_range(struct nst *t, uint16_t lo, uint16_t hi)
{
	struct ns_sysctl sc;
	ns_stack_get_sysctl(t->s, &sc);
	sc.port_lo = lo;
	sc.port_hi = hi;
	assert_int_equal(ns_stack_set_sysctl(t->s, &sc), 0);
}

static struct ns_endpoint *bound(struct nst *t, int family, int type, const char *ip,
				 uint16_t port, bool reuseaddr, bool reuseport, int *err)
{
	struct ns_endpoint *ep = sock(t, family, type, 0);
	if (reuseaddr)
		assert_int_equal(set_int(ep, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	if (reuseport)
		assert_int_equal(set_int(ep, SOL_SOCKET, SO_REUSEPORT, 1), 0);
	*err = do_bind(ep, family, ip, port);
	return ep;
}

static void test_bind_conflicts(void **state)
{
	struct nst *t = *state;
	int e;
	struct ns_endpoint *v[32];
	int n = 0;
	/* Overlapping addresses on one port conflict. */
	v[n++] = bound(t, AF_INET, SOCK_STREAM, "0.0.0.0", 4000, false, false, &e);
	assert_int_equal(e, 0);
	v[n++] = bound(t, AF_INET, SOCK_STREAM, "127.0.0.1", 4000, false, false, &e);
	assert_int_equal(e, -EADDRINUSE);
	v[n++] = bound(t, AF_INET6, SOCK_STREAM, "::", 4000, false, false, &e);
	assert_int_equal(e, -EADDRINUSE); /* :: covers IPv4 too */
	/* ... unless the IPv6 socket is IPv6-only. */
	struct ns_endpoint *o = sock(t, AF_INET6, SOCK_STREAM, 0);
	assert_int_equal(set_int(o, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
	assert_int_equal(do_bind(o, AF_INET6, "::", 4000), 0);
	v[n++] = o;
	/* Disjoint specific addresses share a port; UDP is a separate table. */
	v[n++] = bound(t, AF_INET, SOCK_STREAM, "127.0.0.2", 4001, false, false, &e);
	assert_int_equal(e, 0);
	v[n++] = bound(t, AF_INET, SOCK_STREAM, "127.0.0.3", 4001, false, false, &e);
	assert_int_equal(e, 0);
	v[n++] = bound(t, AF_INET, SOCK_DGRAM, "0.0.0.0", 4000, false, false, &e);
	assert_int_equal(e, 0);
	/* SO_REUSEADDR on both: allowed while neither listens. */
	struct ns_endpoint *r1 = bound(t, AF_INET, SOCK_STREAM, "0.0.0.0", 4002, true, false, &e);
	assert_int_equal(e, 0);
	struct ns_endpoint *r2 = bound(t, AF_INET, SOCK_STREAM, "127.0.0.1", 4002, true, false, &e);
	assert_int_equal(e, 0);
	assert_int_equal(ns_ep_listen(r1, 4), 0);
	assert_int_equal(ns_ep_listen(r2, 4), -EADDRINUSE);
	v[n++] = bound(t, AF_INET, SOCK_STREAM, "0.0.0.0", 4002, true, false, &e);
	assert_int_equal(e, -EADDRINUSE); /* not next to a listener */
	v[n++] = r1;
	v[n++] = r2;
	/* SO_REUSEPORT: several listeners, the connections spread over them. */
	struct ns_endpoint *p1 = bound(t, AF_INET, SOCK_STREAM, "127.0.0.1", 4003, false, true, &e);
	assert_int_equal(e, 0);
	struct ns_endpoint *p2 = bound(t, AF_INET, SOCK_STREAM, "127.0.0.1", 4003, false, true, &e);
	assert_int_equal(e, 0);
	assert_int_equal(ns_ep_listen(p1, 64), 0);
	assert_int_equal(ns_ep_listen(p2, 64), 0);
	struct ns_endpoint *c[40];
	for (int i = 0; i < 40; i++) {
		c[i] = sock(t, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(do_connect(c[i], AF_INET, "127.0.0.1", 4003), -EINPROGRESS);
	}
	nst_settle(t);
	int got1 = 0, got2 = 0;
	struct ns_endpoint *a;
	while (ns_ep_accept(p1, &a, NULL, NULL) == 0) {
		got1++;
		ns_ep_close(a);
	}
	while (ns_ep_accept(p2, &a, NULL, NULL) == 0) {
		got2++;
		ns_ep_close(a);
	}
	assert_int_equal(got1 + got2, 40);
	assert_true(got1 > 5 && got2 > 5);
	for (int i = 0; i < 40; i++)
		ns_ep_close(c[i]);
	v[n++] = p1;
	v[n++] = p2;
	/* Without SO_REUSEPORT on the newcomer: refused. */
	v[n++] = bound(t, AF_INET, SOCK_STREAM, "127.0.0.1", 4003, false, false, &e);
	assert_int_equal(e, -EADDRINUSE);
	for (int i = 0; i < n; i++)
		ns_ep_close(v[i]);
	/* After close, the port is free. */
	struct ns_endpoint *again = bound(t, AF_INET, SOCK_STREAM, "0.0.0.0", 4000, false, false, &e);
	assert_int_equal(e, 0);
	ns_ep_close(again);
	nst_run(t, SEC(61));
}

static void test_bind_errors(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *s = sock(t, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(80)};
	assert_int_equal(ns_ep_bind(s, (struct sockaddr *)&sin, sizeof(sin) - 1, 0), -EINVAL);
	sin.sin_family = AF_INET6;
	assert_int_equal(ns_ep_bind(s, (struct sockaddr *)&sin, sizeof(sin), 0), -EAFNOSUPPORT);
	/* AF_UNSPEC with INADDR_ANY is accepted, for old programs. */
	sin.sin_family = AF_UNSPEC;
	sin.sin_port = htons(0);
	assert_int_equal(ns_ep_bind(s, (struct sockaddr *)&sin, sizeof(sin), 0), 0);
	assert_int_equal(do_bind(s, AF_INET, "127.0.0.1", 0), -EINVAL); /* bound already */
	ns_ep_close(s);
	s = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_bind(s, AF_INET, "10.9.8.7", 0), -EADDRNOTAVAIL);
	assert_int_equal(do_bind(s, AF_INET, "224.0.0.1", 0), -EADDRNOTAVAIL);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(80);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(ns_ep_bind(s, (struct sockaddr *)&sin, sizeof(sin), 0), -EACCES);
	assert_int_equal(ns_ep_bind(s, (struct sockaddr *)&sin, sizeof(sin), NS_BIND_PRIVILEGED), 0);
	ns_ep_close(s);
	/* Any 127/8 address is lo's. */
	s = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(s, AF_INET, "127.1.2.3", 0), 0);
	ns_ep_close(s);
	s = sock(t, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6};
	assert_int_equal(ns_ep_bind(s, (struct sockaddr *)&sin6, 23, 0), -EINVAL);
	assert_int_equal(do_bind(s, AF_INET6, "fe80::1", 0), -EADDRNOTAVAIL);
	assert_int_equal(do_bind(s, AF_INET6, "::ffff:127.0.0.1", 0), 0);
	ns_ep_close(s);
}

static void test_ephemeral_ports_and_exhaustion(void **state)
{
	struct nst *t = *state;
	set_range(t, 40000, 40003);
	/* bind(0) takes a port of its own. */
	struct ns_endpoint *b[5];
	for (int i = 0; i < 4; i++) {
		b[i] = sock(t, AF_INET, SOCK_DGRAM, 0);
		assert_int_equal(do_bind(b[i], AF_INET, "0.0.0.0", 0), 0);
		uint16_t p = local_port(b[i]);
		assert_true(p >= 40000 && p <= 40003);
	}
	b[4] = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(b[4], AF_INET, "0.0.0.0", 0), -EADDRINUSE);
	struct ns_endpoint *u = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(u, "x", 1, AF_INET, "127.0.0.1", 9), -EAGAIN);
	ns_ep_close(u);
	for (int i = 0; i < 5; i++)
		ns_ep_close(b[i]);
	/* connect() shares ports between different destinations. */
	struct ns_endpoint *l1 = listener(t, AF_INET, "127.0.0.1", 5000, 16);
	struct ns_endpoint *l2 = listener(t, AF_INET, "127.0.0.1", 5001, 16);
	struct ns_endpoint *c[9];
	for (int i = 0; i < 4; i++) {
		c[i] = sock(t, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(do_connect(c[i], AF_INET, "127.0.0.1", 5000), -EINPROGRESS);
	}
	c[4] = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c[4], AF_INET, "127.0.0.1", 5000), -EADDRNOTAVAIL);
	for (int i = 5; i < 9; i++) {
		c[i] = sock(t, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(do_connect(c[i], AF_INET, "127.0.0.1", 5001), -EINPROGRESS);
	}
	nst_settle(t);
	for (int i = 0; i < 9; i++)
		if (i != 4)
			assert_int_equal(do_connect(c[i], AF_INET, "127.0.0.1", i < 4 ? 5000 : 5001), 0);
	/* A port a bind() holds is never chosen by connect(). */
	for (int i = 0; i < 9; i++)
		ns_ep_close(c[i]);
	CLOSE_ALL(l1, l2);
	nst_run(t, SEC(61));
	struct ns_endpoint *held = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_bind(held, AF_INET, "127.0.0.1", 40000), 0);
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 5002, 4);
	for (int i = 0; i < 3; i++) {
		c[i] = sock(t, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(do_connect(c[i], AF_INET, "127.0.0.1", 5002), -EINPROGRESS);
		assert_true(local_port(c[i]) != 40000);
	}
	c[3] = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c[3], AF_INET, "127.0.0.1", 5002), -EADDRNOTAVAIL);
	for (int i = 0; i < 4; i++)
		ns_ep_close(c[i]);
	CLOSE_ALL(held, l);
	nst_run(t, SEC(61));
}

static void test_refused_connect_frees_its_port(void **state)
{
	struct nst *t = *state;
	set_range(t, 45000, 45000); /* one port */
	for (int i = 0; i < 5; i++) {
		struct ns_endpoint *c = sock(t, AF_INET, SOCK_STREAM, 0);
		assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 1), -EINPROGRESS);
		assert_int_equal(local_port(c), 45000);
		nst_settle(t);
		assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 1), -ECONNREFUSED);
		/* Still open, yet the port is back in the pool. */
		struct ns_endpoint *d = sock(t, AF_INET, SOCK_DGRAM, 0);
		assert_int_equal(do_bind(d, AF_INET, "127.0.0.1", 45000), 0);
		ns_ep_close(d);
		ns_ep_close(c);
	}
	/* An explicitly bound port stays with its socket after a refusal. */
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_bind(c, AF_INET, "127.0.0.1", 6000), 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 1), -EINPROGRESS);
	nst_settle(t);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 1), -ECONNREFUSED);
	assert_int_equal(local_port(c), 6000);
	struct ns_endpoint *d = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_bind(d, AF_INET, "127.0.0.1", 6000), -EADDRINUSE);
	CLOSE_ALL(d, c);
	d = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_bind(d, AF_INET, "127.0.0.1", 6000), 0);
	ns_ep_close(d);
}

/* Close first, let it run, then second: first holds the TIME_WAIT. */
static void close_in_turn(struct nst *t, struct ns_endpoint *first, struct ns_endpoint *second)
{
	ns_ep_close(first);
	nst_settle(t);
	ns_ep_close(second);
	nst_settle(t);
}

static void test_time_wait_and_port_reuse(void **state)
{
	struct nst *t = *state;
	set_range(t, 46000, 46000);
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 7000, 4);
	assert_int_equal(set_int(l, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	struct ns_endpoint *c, *a;
	tcp_pair(t, AF_INET, "127.0.0.1", l, &c, &a);
	/* The server closes first: the accepted socket (port 7000) holds
	 * TIME_WAIT. */
	close_in_turn(t, a, c);
	ns_ep_close(l);
	/* A new server binds 7000 again only with SO_REUSEADDR (the old one
	 * had it too, as every server does). */
	struct ns_endpoint *n1 = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_bind(n1, AF_INET, "127.0.0.1", 7000), -EADDRINUSE);
	assert_int_equal(set_int(n1, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(do_bind(n1, AF_INET, "127.0.0.1", 7000), 0);
	assert_int_equal(ns_ep_listen(n1, 4), 0);
	/* The client's one ephemeral port is free (it closed second). */
	struct ns_endpoint *c2, *a2;
	tcp_pair(t, AF_INET, "127.0.0.1", n1, &c2, &a2);
	/* Now the client closes first; its port is in TIME_WAIT and, as the
	 * only one, blocks a connect to the same place... */
	close_in_turn(t, c2, a2);
	struct ns_endpoint *c3 = sock(t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(tcp_count(t, NS_TCP_TIME_WAIT), 1);
	assert_int_equal(do_connect(c3, AF_INET, "127.0.0.1", 7000), -EADDRNOTAVAIL);
	/* ... until a second has passed: over loopback, tcp_tw_reuse = 2
	 * lets a new connection take the TIME_WAIT's place. */
	nst_run(t, SEC(2));
	assert_int_equal(do_connect(c3, AF_INET, "127.0.0.1", 7000), -EINPROGRESS);
	assert_int_equal(tcp_count(t, NS_TCP_TIME_WAIT), 0); /* taken over, freed */
	nst_settle(t);
	assert_int_equal(do_connect(c3, AF_INET, "127.0.0.1", 7000), 0);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_TW_REUSED), 1);
	/* The first server's TIME_WAIT on this 4-tuple gave way to the SYN. */
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_TCP_TW_REOPENED), 1);
	struct ns_endpoint *a3;
	assert_int_equal(ns_ep_accept(n1, &a3, NULL, NULL), 0);
	transfer(t, c3, a3, 10000, SEC(1));
	CLOSE_ALL(c3, a3, n1);
	nst_run(t, SEC(61));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    NST_TEST(test_bind_conflicts),
	    NST_TEST(test_bind_errors),
	    NST_TEST(test_ephemeral_ports_and_exhaustion),
	    NST_TEST(test_refused_connect_frees_its_port),
	    NST_TEST(test_time_wait_and_port_reuse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
