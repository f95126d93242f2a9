/*
 * nstest.h — the netstack unit tests' harness: a stack on a virtual clock,
 * a test link endpoint that delays, drops, duplicates and reorders frames by
 * a seeded pattern (or by a filter the test writes), and helpers for
 * sockets, addresses and byte-for-byte transfers.
 *
 * Static functions only: each test binary includes it once.
 */
#ifndef VISOR_NETSTACK_TESTS_NSTEST_H
#define VISOR_NETSTACK_TESTS_NSTEST_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "netstack/netstack.h"

/* Each test binary uses some of the helpers below. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define MS(x) ((uint64_t)(x) * 1000000ull)
#define SEC(x) ((uint64_t)(x) * 1000000000ull)

/* ---- the test link ---- */

struct nst;

/* A filter sees every frame sent (data at ns_pbuf_data, len) and returns
 * true to let it through; it may change the bytes. */
typedef bool (*tlink_filter)(void *arg, struct ns_pbuf *pb);

struct tlink {
	struct link_endpoint ep; /* first */
	struct tlink *peer;	 /* where sent frames arrive (itself for loopback) */
	struct nst *t;
	struct ns_pbuf *head;	 /* received, ordered by ->due */
	unsigned int queued;
	uint64_t delay;		 /* one-way latency */
	uint32_t rng;
	int drop_pct, dup_pct, reorder_pct;
	tlink_filter filter;
	void *farg;
	unsigned int sent, dropped, duplicated, reordered;
};

struct nst {
	struct ns_stack *s;
	uint64_t now;
	unsigned int kicks;
	struct tlink *links[4];
	int nlinks;
};

static uint32_t tlink_rand(struct tlink *l)
{
	l->rng = l->rng * 1103515245u + 12345u;
	return (l->rng >> 8) % 100;
}

static void tlink_enqueue(struct tlink *to, struct ns_pbuf *pb)
{
	struct ns_pbuf **pp = &to->head;
	while (*pp && (*pp)->due <= pb->due)
		pp = &(*pp)->next;
	pb->next = *pp;
	*pp = pb;
	to->queued++;
	if (to->ep.rx_wake)
		to->ep.rx_wake(to->ep.rx_wake_ctx);
}

static int tlink_send(struct link_endpoint *ep, struct ns_pbuf *pb)
{
	struct tlink *l = (struct tlink *)ep;
	if (pb->len == 0 || pb->len > ep->mtu) {
		ns_pbuf_free(pb);
		return -EMSGSIZE;
	}
	l->sent++;
	ep->tx_packets++;
	ep->tx_bytes += pb->len;
	pb->flags &= (uint16_t)~NS_PB_CSUM_OK; /* a wire: the stack verifies */
	if (l->filter && !l->filter(l->farg, pb)) {
		l->dropped++;
		ns_pbuf_free(pb);
		return 0;
	}
	if (l->drop_pct && tlink_rand(l) < (uint32_t)l->drop_pct) {
		l->dropped++;
		ns_pbuf_free(pb);
		return 0;
	}
	pb->due = l->t->now + l->delay;
	if (l->reorder_pct && tlink_rand(l) < (uint32_t)l->reorder_pct) {
		l->reordered++;
		pb->due += l->delay + MS(1) + tlink_rand(l) * 50000ull;
	}
	if (l->dup_pct && tlink_rand(l) < (uint32_t)l->dup_pct) {
		struct ns_pbuf *copy = ns_pbuf_from(ns_pbuf_data(pb), pb->len);
		if (copy) {
			l->duplicated++;
			copy->due = pb->due + MS(1);
			tlink_enqueue(l->peer, copy);
		}
	}
	tlink_enqueue(l->peer, pb);
	return 0;
}

static int tlink_poll(struct link_endpoint *ep, int max)
{
	struct tlink *l = (struct tlink *)ep;
	int n = 0;
	while (n < max && l->head && l->head->due <= l->t->now) {
		struct ns_pbuf *pb = l->head;
		l->head = pb->next;
		l->queued--;
		ep->rx_packets++;
		ep->rx_bytes += pb->len;
		ns_link_deliver(ep, pb);
		n++;
	}
	return n;
}

static void tlink_destroy(struct link_endpoint *ep)
{
	struct tlink *l = (struct tlink *)ep;
	ns_pbuf_free_chain(l->head);
	free(l);
}

static const struct link_ops tlink_ops = {
    .kind = "test",
    .send = tlink_send,
    .poll = tlink_poll,
    .destroy = tlink_destroy,
};

static struct tlink *tlink_new(struct nst *t, const char *name, uint16_t flags, uint32_t seed)
{
	struct tlink *l = calloc(1, sizeof(*l));
	assert_non_null(l);
	l->ep.ops = &tlink_ops;
	snprintf(l->ep.name, sizeof(l->ep.name), "%s", name);
	l->ep.mtu = NS_LOOPBACK_MTU;
	l->ep.type = NS_LINK_IP;
	l->ep.flags = flags;
	l->peer = l;
	l->t = t;
	l->rng = seed;
	t->links[t->nlinks++] = l;
	return l;
}

static uint64_t tlink_next_due(struct nst *t)
{
	uint64_t d = NS_TIME_NEVER;
	for (int i = 0; i < t->nlinks; i++)
		if (t->links[i]->head && t->links[i]->head->due < d)
			d = t->links[i]->head->due;
	return d;
}

/* ---- the stack on a virtual clock ---- */

struct nst_sock {
	unsigned int wakeups;
	uint32_t events;
};

static uint64_t nst_clock(void *ctx)
{
	return ((struct nst *)ctx)->now;
}

static void nst_ready(void *ctx, struct ns_endpoint *ep, void *user, uint32_t events)
{
	(void)ctx, (void)ep;
	struct nst_sock *u = user;
	u->wakeups++;
	u->events = events;
}

static void nst_kick(void *ctx)
{
	((struct nst *)ctx)->kicks++;
}

static const struct ns_stack_ops nst_ops = {
    .now = nst_clock,
    .ready = nst_ready,
    .kick = nst_kick,
};

static void nst_init_bare(struct nst *t)
{
	memset(t, 0, sizeof(*t));
	t->now = SEC(1000);
	t->s = ns_stack_new(&nst_ops, t, 42);
	assert_non_null(t->s);
}

/* A stack with the real loopback device. */
static void nst_init(struct nst *t)
{
	nst_init_bare(t);
	assert_int_equal(ns_stack_setup_loopback(t->s), 1);
}

/* A stack whose "lo" is a test link (loss, delay, filters), with lo's
 * addresses. */
static struct tlink *nst_init_lossy(struct nst *t, uint32_t seed)
{
	nst_init_bare(t);
	struct tlink *l = tlink_new(t, "lo", NS_LINK_F_LOOPBACK, seed);
	int idx = ns_stack_add_nic(t->s, &l->ep);
	assert_true(idx > 0);
	struct in_addr a4 = {htonl(INADDR_LOOPBACK)};
	assert_int_equal(ns_stack_add_addr(t->s, idx, AF_INET, &a4, 8), 0);
	assert_int_equal(ns_stack_add_addr(t->s, idx, AF_INET6, &in6addr_loopback, 128), 0);
	return l;
}

static void nst_fini(struct nst *t)
{
	ns_stack_destroy(t->s);
	t->s = NULL;
}

/* cmocka fixtures: a fresh stack with loopback in *state. */
static int nst_setup(void **state)
{
	struct nst *t = calloc(1, sizeof(*t));
	nst_init(t);
	*state = t;
	return 0;
}

static int nst_teardown(void **state)
{
	struct nst *t = *state;
	nst_fini(t);
	free(t);
	return 0;
}

#define NST_TEST(f) cmocka_unit_test_setup_teardown(f, nst_setup, nst_teardown)

/* Poll at the current time until nothing is left to do now. */
static void nst_settle(struct nst *t)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t d = ns_stack_poll(t->s, t->now);
		if (d > t->now && tlink_next_due(t) > t->now)
			return;
	}
	fail_msg("the stack never settles");
}

/* Let time pass, up to for_ns, running every timer and delivery due. */
static void nst_run(struct nst *t, uint64_t for_ns)
{
	uint64_t end = t->now + for_ns;
	for (;;) {
		nst_settle(t);
		uint64_t d = ns_stack_poll(t->s, t->now);
		uint64_t l = tlink_next_due(t);
		if (l < d)
			d = l;
		if (d > end) {
			t->now = end;
			nst_settle(t);
			return;
		}
		t->now = d;
	}
}

/* Advance to the next event (at most max_ns ahead). */
static void nst_step(struct nst *t, uint64_t max_ns)
{
	nst_settle(t);
	uint64_t d = ns_stack_poll(t->s, t->now);
	uint64_t l = tlink_next_due(t);
	if (l < d)
		d = l;
	t->now = d > t->now + max_ns ? t->now + max_ns : d;
	nst_settle(t);
}

/* ---- addresses and sockets ---- */

static socklen_t sa_make(struct sockaddr_storage *ss, int family, const char *ip, uint16_t port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, ip, &sin6->sin6_addr), 1);
	return sizeof(*sin6);
}

static uint16_t sa_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static const char *sa_ip(const struct sockaddr_storage *ss, char buf[64])
{
	if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ss)->sin_addr, buf, 64);
	else
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ss)->sin6_addr, buf, 64);
	return buf;
}

static struct ns_endpoint *sock(struct nst *t, int family, int type, int proto)
{
	struct ns_endpoint *ep = NULL;
	assert_int_equal(ns_ep_create(t->s, family, type, proto, &ep), 0);
	return ep;
}

static int do_bind(struct ns_endpoint *ep, int family, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, family, ip, port);
	return ns_ep_bind(ep, (struct sockaddr *)&ss, len, NS_BIND_PRIVILEGED);
}

static int do_connect(struct ns_endpoint *ep, int family, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t len = sa_make(&ss, family, ip, port);
	return ns_ep_connect(ep, (struct sockaddr *)&ss, len);
}

static uint16_t local_port(struct ns_endpoint *ep)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	assert_int_equal(ns_ep_getname(ep, &ss, &len, 0), 0);
	return sa_port(&ss);
}

static ssize_t send_buf(struct ns_endpoint *ep, const void *buf, size_t len)
{
	struct iovec iov = {(void *)buf, len};
	return ns_ep_sendmsg(ep, &iov, 1, 0, NULL, 0);
}

static ssize_t sendto_buf(struct ns_endpoint *ep, const void *buf, size_t len, int family,
			  const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	socklen_t sl = sa_make(&ss, family, ip, port);
	struct iovec iov = {(void *)buf, len};
	return ns_ep_sendmsg(ep, &iov, 1, 0, (struct sockaddr *)&ss, sl);
}

static ssize_t recv_buf(struct ns_endpoint *ep, void *buf, size_t len, int flags)
{
	struct iovec iov = {buf, len};
	return ns_ep_recvmsg(ep, &iov, 1, flags, NULL, NULL, NULL);
}

static int int_opt(struct ns_endpoint *ep, int level, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);
	assert_int_equal(ns_ep_getsockopt(ep, level, name, &v, &len), 0);
	return v;
}

static int set_int(struct ns_endpoint *ep, int level, int name, int v)
{
	return ns_ep_setsockopt(ep, level, name, &v, sizeof(v));
}

/* A listening socket on ip:port (0: ephemeral); returns it. */
static struct ns_endpoint *listener(struct nst *t, int family, const char *ip, uint16_t port,
				    int backlog)
{
	struct ns_endpoint *l = sock(t, family, SOCK_STREAM, 0);
	assert_int_equal(do_bind(l, family, ip, port), 0);
	assert_int_equal(ns_ep_listen(l, backlog), 0);
	return l;
}

/* Connect a client to the listener and accept it. */
static void tcp_pair(struct nst *t, int family, const char *ip, struct ns_endpoint *l,
		     struct ns_endpoint **client, struct ns_endpoint **server)
{
	struct ns_endpoint *c = sock(t, family, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, family, ip, local_port(l)), -EINPROGRESS);
	for (int i = 0; i < 100 && !(ns_ep_poll(c) & POLLOUT); i++)
		nst_step(t, MS(100));
	assert_true(ns_ep_poll(c) & POLLOUT);
	assert_int_equal(do_connect(c, family, ip, local_port(l)), 0);
	struct ns_endpoint *a = NULL;
	for (int i = 0; i < 100; i++) {
		int r = ns_ep_accept(l, &a, NULL, NULL);
		if (r == 0)
			break;
		assert_int_equal(r, -EAGAIN);
		nst_step(t, MS(100));
	}
	assert_non_null(a);
	*client = c;
	*server = a;
}

/* A listener on 127.0.0.1 (ephemeral port) and one connection to it. */
static struct ns_endpoint *loopback_pair(struct nst *t, struct ns_endpoint **client,
					 struct ns_endpoint **server)
{
	struct ns_endpoint *l = listener(t, AF_INET, "127.0.0.1", 0, 8);
	tcp_pair(t, AF_INET, "127.0.0.1", l, client, server);
	return l;
}

static void close_all(struct ns_endpoint **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i])
			ns_ep_close(v[i]);
}

/* Close every endpoint named (NULLs skipped). */
#define CLOSE_ALL(...)                                                                             \
	close_all((struct ns_endpoint *[]){__VA_ARGS__},                                           \
		  sizeof((struct ns_endpoint *[]){__VA_ARGS__}) / sizeof(struct ns_endpoint *))

/* After time for TIME_WAIT to pass, no endpoint of protocol is left. */
static void expect_none_left(struct nst *t, int protocol)
{
	nst_run(t, SEC(200));
	struct ns_ep_info *rows;
	assert_int_equal(ns_stack_endpoints(t->s, protocol, &rows), 0);
	free(rows);
}

/* How many TCP endpoints (with pending connections) are in state. */
static int tcp_count(struct nst *t, int state)
{
	struct ns_ep_info *rows;
	int n = ns_stack_endpoints(t->s, IPPROTO_TCP, &rows);
	int k = 0;
	for (int i = 0; i < n; i++)
		k += rows[i].state == state;
	free(rows);
	return k;
}

/* A filter that drops every frame while *(bool *)arg. */
static bool drop_when(void *arg, struct ns_pbuf *pb)
{
	(void)pb;
	return !*(bool *)arg;
}

/* A lossy loopback whose frames all vanish while *cut. */
static struct tlink *nst_init_switched(struct nst *t, uint32_t seed, bool *cut)
{
	struct tlink *lo = nst_init_lossy(t, seed);
	lo->filter = drop_when;
	lo->farg = cut;
	return lo;
}

/* An IPv4 TCP segment on the wire: its destination port, flags and
 * payload length; false for anything else. */
static bool tcp4_frame(const struct ns_pbuf *pb, unsigned *dport, uint8_t *flags,
		       unsigned *payload)
{
	const uint8_t *p = ns_pbuf_data(pb);
	if (pb->len < 40 || (p[0] >> 4) != 4 || p[9] != IPPROTO_TCP)
		return false;
	unsigned ihl = (p[0] & 0xf) * 4u;
	unsigned doff = (p[ihl + 12] >> 4) * 4u;
	unsigned tot = (unsigned)(p[2] << 8 | p[3]);
	*dport = (unsigned)(p[ihl + 2] << 8 | p[ihl + 3]);
	*flags = p[ihl + 13];
	*payload = tot - ihl - doff;
	return true;
}

/* ---- byte-for-byte transfers ---- */

static uint8_t pattern(size_t i)
{
	uint32_t x = (uint32_t)i * 2654435761u;
	return (uint8_t)((x >> 13) ^ (i >> 16));
}

/* Send total bytes tx -> rx, checking each byte; step(ctx, max_ns) advances
 * the virtual clock *now when neither side made progress.  Fails after
 * limit_ns of virtual time; returns the virtual time it took.  Any fixture
 * (one stack's nst, ewire.h's pair of stacks) drives it. */
static uint64_t transfer_on(void (*step)(void *ctx, uint64_t max_ns), void *ctx,
			    const uint64_t *now, struct ns_endpoint *tx, struct ns_endpoint *rx,
			    size_t total, uint64_t limit_ns)
{
	static uint8_t buf[1 << 17];
	size_t sent = 0, got = 0;
	uint64_t start = *now;
	while (got < total) {
		bool progress = false;
		if (sent < total) {
			size_t n = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
			for (size_t i = 0; i < n; i++)
				buf[i] = pattern(sent + i);
			ssize_t r = send_buf(tx, buf, n);
			if (r > 0) {
				sent += (size_t)r;
				progress = true;
			} else {
				assert_int_equal(r, -EAGAIN);
			}
		}
		ssize_t r = recv_buf(rx, buf, sizeof(buf), 0);
		if (r > 0) {
			for (ssize_t i = 0; i < r; i++)
				if (buf[i] != pattern(got + (size_t)i))
					fail_msg("byte %zu differs", got + (size_t)i);
			got += (size_t)r;
			progress = true;
		} else {
			assert_int_equal(r, -EAGAIN);
		}
		if (!progress)
			step(ctx, MS(500));
		if (*now - start > limit_ns)
			fail_msg("transfer stuck at %zu/%zu sent, %zu received", sent, total, got);
	}
	return *now - start;
}

static void transfer_nst_step(void *t, uint64_t max_ns)
{
	nst_step(t, max_ns);
}

static uint64_t transfer(struct nst *t, struct ns_endpoint *tx, struct ns_endpoint *rx,
			 size_t total, uint64_t limit_ns)
{
	return transfer_on(transfer_nst_step, t, &t->now, tx, rx, total, limit_ns);
}

#endif
