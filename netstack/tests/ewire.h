/*
 * ewire.h — two stacks joined by an in-memory Ethernet wire, on one
 * virtual clock: the netstack's link-layer tests (ARP, NDP, fragments,
 * ICMP errors) run whole conversations through it.
 *
 * Stack A is 10.0.0.1/24, fd00::1/64 on eth0 (MAC 02:00:00:00:00:0a),
 * stack B 10.0.0.2/24, fd00::2/64 (MAC 02:00:00:00:00:0b); both also have
 * their loopback device (ifindex 1; eth0 is 2).  Each end of the wire may
 * delay, drop, duplicate and reorder by a seeded pattern, run a filter the
 * test writes, or be cut; it fails the test if a frame is over the link's
 * MTU + 14, unless the end takes TSO frames (tso) and it is one.  What a test injects goes through ewire_inject.
 *
 * Static functions only: each test binary includes it once.
 */
#ifndef VISOR_NETSTACK_TESTS_EWIRE_H
#define VISOR_NETSTACK_TESTS_EWIRE_H

#include "netstack/tests/nstest.h"

struct epair;

struct eend {
	struct link_endpoint ep; /* first */
	struct eend *peer;
	struct epair *p;
	struct ns_pbuf *head; /* received, ordered by ->due */
	uint64_t delay;
	uint32_t rng;
	int drop_pct, dup_pct, reorder_pct;
	bool cut; /* everything sent vanishes */
	tlink_filter filter;
	void *farg;
	unsigned int sent, dropped, oversize;
	bool tso;		 /* takes TSO frames (set NS_LINK_F_TSO too) */
	unsigned int tso_frames; /* TSO frames sent, their checksums checked */
};

struct epair {
	struct nst a, b; /* a.now == b.now always */
	struct eend *ea, *eb;
	int ia, ib; /* eth0's ifindex in each */
};

/* Linux's NUD_* states, as ns_neigh_info reports them. */
#define NUD_INCOMPLETE 0x01
#define NUD_REACHABLE 0x02
#define NUD_STALE 0x04
#define NUD_DELAY 0x08
#define NUD_PROBE 0x10
#define NUD_FAILED 0x20
#define NUD_PERMANENT 0x80
#define NUD_VALID (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT)

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};

static uint32_t eend_rand(struct eend *e)
{
	e->rng = e->rng * 1103515245u + 12345u;
	return (e->rng >> 8) % 100;
}

static void eend_enqueue(struct eend *to, struct ns_pbuf *pb)
{
	struct ns_pbuf **pp = &to->head;
	while (*pp && (*pp)->due <= pb->due)
		pp = &(*pp)->next;
	pb->next = *pp;
	*pp = pb;
	if (to->ep.rx_wake)
		to->ep.rx_wake(to->ep.rx_wake_ctx);
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A TSO frame (TCP over IPv4 or IPv6, gso_size set): its TCP checksum
 * field holds the pseudo-header sum over the whole length. */
static void eend_check_tso(const struct ns_pbuf *pb)
{
	const uint8_t *f = ns_pbuf_data(pb);
	assert_true(pb->len <= 65535 + NS_ETH_HLEN);
	bool v4 = be16_at(f + 12) == 0x0800;
	assert_true(v4 || be16_at(f + 12) == 0x86dd);
	const uint8_t *ip = f + NS_ETH_HLEN;
	uint32_t iphl = v4 ? (ip[0] & 0xfu) * 4 : 40;
	assert_int_equal(v4 ? ip[9] : ip[6], IPPROTO_TCP);
	uint32_t l4len = pb->len - NS_ETH_HLEN - iphl;
	assert_true(l4len > pb->gso_size);
	uint32_t sum = 0;
	const uint8_t *a = v4 ? ip + 12 : ip + 8;
	for (uint32_t i = 0; i < (v4 ? 8u : 32u); i += 2)
		sum += be16_at(a + i);
	sum += IPPROTO_TCP + (l4len >> 16) + (l4len & 0xffff);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	assert_int_equal(be16_at(ip + iphl + 16), sum);
}

static int eend_send(struct link_endpoint *ep, struct ns_pbuf *pb)
{
	struct eend *e = (struct eend *)ep;
	bool tso = pb->gso_size && e->tso;
	if (tso) {
		eend_check_tso(pb);
		e->tso_frames++;
	}
	if (pb->len < NS_ETH_HLEN || (pb->len > ep->mtu + NS_ETH_HLEN && !tso)) {
		e->oversize++;
		ns_pbuf_free(pb);
		return -EMSGSIZE;
	}
	e->sent++;
	ep->tx_packets++;
	ep->tx_bytes += pb->len;
	/* A wire: the receiver verifies; a TSO frame arrives as a veth hands
	 * one up, whole and checksum-partial. */
	pb->flags = tso ? NS_PB_CSUM_PARTIAL : 0;
	pb->gso_size = 0;
	uint64_t now = e->p->a.now;
	if (e->cut || (e->filter && !e->filter(e->farg, pb)) ||
	    (e->drop_pct && eend_rand(e) < (uint32_t)e->drop_pct)) {
		e->dropped++;
		ns_pbuf_free(pb);
		return 0;
	}
	pb->due = now + e->delay;
	if (e->reorder_pct && eend_rand(e) < (uint32_t)e->reorder_pct)
		pb->due += e->delay + MS(1) + eend_rand(e) * 50000ull;
	if (e->dup_pct && eend_rand(e) < (uint32_t)e->dup_pct) {
		struct ns_pbuf *copy = ns_pbuf_from(ns_pbuf_data(pb), pb->len);
		if (copy) {
			copy->due = pb->due + MS(1);
			eend_enqueue(e->peer, copy);
		}
	}
	eend_enqueue(e->peer, pb);
	return 0;
}

static int eend_poll(struct link_endpoint *ep, int max)
{
	struct eend *e = (struct eend *)ep;
	int n = 0;
	while (n < max && e->head && e->head->due <= e->p->a.now) {
		struct ns_pbuf *pb = e->head;
		e->head = pb->next;
		pb->next = NULL;
		ep->rx_packets++;
		ep->rx_bytes += pb->len;
		ns_link_deliver(ep, pb);
		n++;
	}
	return n;
}

static void eend_destroy(struct link_endpoint *ep)
{
	struct eend *e = (struct eend *)ep;
	ns_pbuf_free_chain(e->head);
	free(e);
}

static const struct link_ops eend_ops = {
    .kind = "ewire",
    .send = eend_send,
    .poll = eend_poll,
    .destroy = eend_destroy,
};

static struct eend *eend_new(struct epair *p, const uint8_t mac[6], uint32_t seed, uint32_t mtu)
{
	struct eend *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	e->ep.ops = &eend_ops;
	strcpy(e->ep.name, "eth0");
	e->ep.mtu = mtu;
	e->ep.type = NS_LINK_ETHERNET;
	memcpy(e->ep.hwaddr, mac, 6);
	e->p = p;
	e->rng = seed;
	e->delay = MS(1);
	return e;
}

static void add_addr(struct ns_stack *s, int idx, int family, const char *ip, unsigned prefix)
{
	uint8_t a[16];
	assert_int_equal(inet_pton(family, ip, a), 1);
	assert_int_equal(ns_stack_add_addr(s, idx, family, a, prefix), 0);
}

/* The pair with its addresses and MTUs; nothing sent yet but the
 * gratuitous ARPs. */
static void epair_init_mtu(struct epair *p, uint32_t seed, uint32_t mtu_a, uint32_t mtu_b)
{
	memset(p, 0, sizeof(*p));
	nst_init(&p->a);
	nst_init(&p->b);
	p->b.now = p->a.now;
	p->ea = eend_new(p, MAC_A, seed, mtu_a);
	p->eb = eend_new(p, MAC_B, seed * 7 + 1, mtu_b);
	p->ea->peer = p->eb;
	p->eb->peer = p->ea;
	p->ia = ns_stack_add_nic(p->a.s, &p->ea->ep);
	p->ib = ns_stack_add_nic(p->b.s, &p->eb->ep);
	assert_int_equal(p->ia, 2);
	assert_int_equal(p->ib, 2);
	add_addr(p->a.s, p->ia, AF_INET, "10.0.0.1", 24);
	add_addr(p->b.s, p->ib, AF_INET, "10.0.0.2", 24);
	add_addr(p->a.s, p->ia, AF_INET6, "fd00::1", 64);
	add_addr(p->b.s, p->ib, AF_INET6, "fd00::2", 64);
}

static void epair_init(struct epair *p, uint32_t seed)
{
	epair_init_mtu(p, seed, 1500, 1500);
}

static void epair_fini(struct epair *p)
{
	nst_fini(&p->a);
	nst_fini(&p->b);
}

static void epair_set_now(struct epair *p, uint64_t now)
{
	p->a.now = p->b.now = now;
}

static uint64_t eend_next_due(struct epair *p)
{
	uint64_t d = NS_TIME_NEVER;
	if (p->ea->head)
		d = p->ea->head->due;
	if (p->eb->head && p->eb->head->due < d)
		d = p->eb->head->due;
	return d;
}

/* Poll both stacks at the current time until neither has work now. */
static void ep_settle(struct epair *p)
{
	for (int i = 0; i < 100000; i++) {
		uint64_t now = p->a.now;
		uint64_t da = ns_stack_poll(p->a.s, now);
		uint64_t db = ns_stack_poll(p->b.s, now);
		if (da > now && db > now && eend_next_due(p) > now)
			return;
	}
	fail_msg("the pair never settles");
}

static uint64_t ep_next(struct epair *p)
{
	uint64_t now = p->a.now;
	uint64_t d = ns_stack_poll(p->a.s, now);
	uint64_t db = ns_stack_poll(p->b.s, now);
	uint64_t dl = eend_next_due(p);
	if (db < d)
		d = db;
	if (dl < d)
		d = dl;
	return d;
}

/* Advance to the next event, at most max_ns ahead. */
static void ep_step(struct epair *p, uint64_t max_ns)
{
	ep_settle(p);
	uint64_t d = ep_next(p);
	uint64_t now = p->a.now;
	epair_set_now(p, d > now + max_ns ? now + max_ns : d);
	ep_settle(p);
}

/* Let for_ns pass, running everything due. */
static void ep_run(struct epair *p, uint64_t for_ns)
{
	uint64_t end = p->a.now + for_ns;
	for (;;) {
		ep_settle(p);
		uint64_t d = ep_next(p);
		if (d > end) {
			epair_set_now(p, end);
			ep_settle(p);
			return;
		}
		epair_set_now(p, d);
	}
}

/* Hand a frame to `to` as if it came off the wire now. */
static void ewire_inject(struct eend *to, const void *frame, size_t len, uint16_t flags)
{
	struct ns_pbuf *pb = ns_pbuf_from(frame, len);
	assert_non_null(pb);
	pb->flags = flags;
	pb->due = to->p->a.now;
	eend_enqueue(to, pb);
}

/* A TCP connection from a (client) to a listener on b. */
static void ep_tcp_pair(struct epair *p, int family, const char *ip_b, struct ns_endpoint *l,
			struct ns_endpoint **client, struct ns_endpoint **server)
{
	struct ns_endpoint *c = sock(&p->a, family, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, family, ip_b, local_port(l)), -EINPROGRESS);
	for (int i = 0; i < 200 && !(ns_ep_poll(c) & POLLOUT); i++)
		ep_step(p, MS(100));
	assert_true(ns_ep_poll(c) & POLLOUT);
	assert_int_equal(do_connect(c, family, ip_b, local_port(l)), 0);
	struct ns_endpoint *a = NULL;
	for (int i = 0; i < 200; i++) {
		int r = ns_ep_accept(l, &a, NULL, NULL);
		if (r == 0)
			break;
		assert_int_equal(r, -EAGAIN);
		ep_step(p, MS(100));
	}
	assert_non_null(a);
	*client = c;
	*server = a;
}

static void ep_transfer_step(void *p, uint64_t max_ns)
{
	ep_step(p, max_ns);
}

/* Send total bytes tx -> rx through the pair, checking each byte. */
static uint64_t ep_transfer(struct epair *p, struct ns_endpoint *tx, struct ns_endpoint *rx,
			    size_t total, uint64_t limit_ns)
{
	return transfer_on(ep_transfer_step, p, &p->a.now, tx, rx, total, limit_ns);
}

/* The neighbour entry for ip (AF_INET or AF_INET6) in s: its state, or 0
 * when there is none; its MAC in mac (may be NULL). */
static int neigh_state(struct ns_stack *s, int family, const char *ip, uint8_t *mac)
{
	uint8_t a[16] = {0};
	assert_int_equal(inet_pton(family, ip, a), 1);
	struct ns_neigh_info *v;
	int n = ns_stack_neighbours(s, &v);
	assert_true(n >= 0);
	int st = 0;
	for (int i = 0; i < n; i++)
		if (v[i].family == family &&
		    memcmp(v[i].addr, a, family == AF_INET ? 4 : 16) == 0) {
			st = v[i].state;
			if (mac)
				memcpy(mac, v[i].hwaddr, 6);
		}
	free(v);
	return st;
}

static uint64_t ctr(struct ns_stack *s, enum ns_counter c)
{
	return ns_stack_counter(s, c);
}

/* A filter recording the ethertypes and the first bytes of each frame. */
struct capture {
	int n;
	uint16_t type[256];
	uint8_t head[256][128];
	uint32_t len[256];
};

static bool capture_frame(void *arg, struct ns_pbuf *pb)
{
	struct capture *c = arg;
	if (c->n < 256) {
		const uint8_t *p = ns_pbuf_data(pb);
		c->type[c->n] = (uint16_t)(p[12] << 8 | p[13]);
		memcpy(c->head[c->n], p, pb->len < 128 ? pb->len : 128);
		c->len[c->n] = pb->len;
		c->n++;
	}
	return true;
}

static int capture_count(const struct capture *c, uint16_t type)
{
	int k = 0;
	for (int i = 0; i < c->n; i++)
		k += c->type[i] == type;
	return k;
}

/* A test file's fixture: pair_setup makes a wired pair seeded SEED and lets
 * it run SETTLE_NS (0: not at all), pair_teardown frees it, and PAIR_TEST(f)
 * is a cmocka test between the two. */
#define EPAIR_FIXTURE(SEED, SETTLE_NS)                                                  \
	static int pair_setup(void **state)                                            \
	{                                                                              \
		struct epair *p = calloc(1, sizeof(*p));                               \
		if (!p)                                                                \
			return -1;                                                     \
		epair_init(p, SEED);                                                   \
		if (SETTLE_NS)                                                         \
			ep_run(p, SETTLE_NS);                                          \
		*state = p;                                                            \
		return 0;                                                              \
	}                                                                              \
	static int pair_teardown(void **state)                                         \
	{                                                                              \
		epair_fini(*state);                                                    \
		free(*state);                                                          \
		return 0;                                                              \
	}
#define PAIR_TEST(f) cmocka_unit_test_setup_teardown(f, pair_setup, pair_teardown)

#endif
