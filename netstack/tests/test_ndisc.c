/* Unit tests for IPv6 neighbour discovery: TCP over ND-resolved Ethernet
 * (the solicitation to the solicited-node group, hop limit 255, the
 * answer), link-local addresses from the MAC, unanswered solicitations
 * ending in EHOSTUNREACH, DAD probes answered to all-nodes, and malformed
 * or unwanted messages (hop limit, router advertisements, other targets,
 * groups not joined) dropped and counted. */
#include "netstack/tests/ewire.h"

EPAIR_FIXTURE(3, MS(10))

static void test_ipv6_tcp_over_neighbour_discovery(void **state)
{
	struct epair *p = *state;
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	struct ns_endpoint *l = listener(&p->b, AF_INET6, "::", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET6, "fd00::2", l, &c, &s);
	/* A's first frame: a solicitation for fd00::2 to ff02::1:ff00:2. */
	assert_true(ca.n >= 2);
	const uint8_t *f = ca.head[0];
	assert_int_equal(ca.type[0], 0x86dd);
	assert_memory_equal(f, "\x33\x33\xff\x00\x00\x02", 6);
	assert_int_equal(f[14 + 6], IPPROTO_ICMPV6);
	assert_int_equal(f[14 + 7], 255);
	assert_memory_equal(f + 14 + 24, "\xff\x02\0\0\0\0\0\0\0\0\0\x01\xff\x00\x00\x02", 16);
	assert_int_equal(f[14 + 40], 135);
	/* Then the SYN, to B's MAC. */
	assert_memory_equal(ca.head[1], MAC_B, 6);
	ep_transfer(p, c, s, 256 << 10, SEC(60));
	ep_transfer(p, s, c, 256 << 10, SEC(60));
	uint8_t mac[6];
	assert_true(neigh_state(p->a.s, AF_INET6, "fd00::2", mac) & NUD_VALID);
	assert_memory_equal(mac, MAC_B, 6);
	assert_true(neigh_state(p->b.s, AF_INET6, "fd00::1", mac) & NUD_VALID);
	assert_memory_equal(mac, MAC_A, 6);
	assert_int_equal(ctr(p->a.s, NS_CTR_NDISC_OUT_SOLICITS), 1);
	assert_int_equal(ctr(p->b.s, NS_CTR_NDISC_OUT_ADVERTS), 1);
	CLOSE_ALL(c, s, l);
}

static void test_link_local_from_the_mac(void **state)
{
	struct epair *p = *state;
	assert_int_equal(ns_stack_add_linklocal(p->a.s, p->ia), 0);
	assert_int_equal(ns_stack_add_linklocal(p->b.s, p->ib), 0);
	assert_int_equal(ns_stack_add_linklocal(p->a.s, p->ia), -EEXIST);
	assert_int_equal(ns_stack_add_linklocal(p->a.s, 1), -EINVAL);
	assert_int_equal(ns_stack_add_linklocal(p->a.s, 9), -ENODEV);
	struct ns_addr_info *v;
	int n = ns_stack_addrs(p->a.s, &v);
	bool found = false;
	uint8_t want[16];
	inet_pton(AF_INET6, "fe80::ff:fe00:a", want);
	for (int i = 0; i < n; i++)
		if (v[i].family == AF_INET6 && memcmp(v[i].addr, want, 16) == 0) {
			found = true;
			assert_int_equal(v[i].prefixlen, 64);
			assert_int_equal(v[i].ifindex, p->ia);
			assert_int_equal(v[i].scope, 253); /* RT_SCOPE_LINK, as Linux */
		}
	free(v);
	assert_true(found);
	struct ns_endpoint *rx = sock(&p->b, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(rx, AF_INET6, "::", 5000), 0);
	struct ns_endpoint *tx = sock(&p->a, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(tx, "ll", 2, AF_INET6, "fe80::ff:fe00:b", 5000), 2);
	ep_run(p, MS(20));
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	char buf[8], ip[64];
	struct iovec iov = {buf, sizeof(buf)};
	assert_int_equal(ns_ep_recvmsg(rx, &iov, 1, 0, &from, &fl, NULL), 2);
	assert_string_equal(sa_ip(&from, ip), "fe80::ff:fe00:a");
	CLOSE_ALL(tx, rx);
}

static void test_unanswered_solicitation_gives_ehostunreach(void **state)
{
	struct epair *p = *state;
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	struct ns_endpoint *c = sock(&p->a, AF_INET6, SOCK_STREAM, 0);
	uint64_t t0 = p->a.now;
	assert_int_equal(do_connect(c, AF_INET6, "fd00::9", 80), -EINPROGRESS);
	while (!(ns_ep_poll(c) & POLLOUT) && p->a.now - t0 < SEC(10))
		ep_step(p, MS(100));
	assert_true(p->a.now - t0 < SEC(3) + MS(10));
	assert_int_equal(do_connect(c, AF_INET6, "fd00::9", 80), -EHOSTUNREACH);
	assert_int_equal(ca.n, 3); /* three solicitations, nothing else */
	assert_int_equal(neigh_state(p->a.s, AF_INET6, "fd00::9", NULL), NUD_FAILED);
	ns_ep_close(c);
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* An ND message from A's MAC to dmac: IPv6 src -> dst, hop limit hl,
 * ICMPv6 type with the target and an optional link-layer option. */
static size_t nd_frame(uint8_t *f, const void *dmac, const char *src, const char *dst,
		       uint8_t hl, uint8_t type, uint8_t flags, const char *target, uint8_t opt)
{
	memcpy(f, dmac, 6);
	memcpy(f + 6, MAC_A, 6);
	f[12] = 0x86, f[13] = 0xdd;
	uint8_t *h = f + 14;
	size_t plen = opt ? 32 : 24;
	memset(h, 0, 40 + plen);
	h[0] = 0x60;
	h[5] = (uint8_t)plen;
	h[6] = IPPROTO_ICMPV6;
	h[7] = hl;
	inet_pton(AF_INET6, src, h + 8);
	inet_pton(AF_INET6, dst, h + 24);
	uint8_t *m = h + 40;
	m[0] = type;
	m[4] = flags;
	inet_pton(AF_INET6, target, m + 8);
	if (opt) {
		m[24] = opt;
		m[25] = 1;
		memcpy(m + 26, MAC_A, 6);
	}
	uint32_t sum = sum16(sum16(0, h + 8, 32), m, plen);
	sum += (uint32_t)plen + IPPROTO_ICMPV6;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	uint16_t c = (uint16_t)~sum;
	m[2] = (uint8_t)(c >> 8), m[3] = (uint8_t)c;
	return 14 + 40 + plen;
}

static const uint8_t SNM_B[6] = {0x33, 0x33, 0xff, 0x00, 0x00, 0x02}; /* ff02::1:ff00:2 */

static void test_solicitations_checked_and_answered(void **state)
{
	struct epair *p = *state;
	struct capture cb = {0};
	p->eb->filter = capture_frame;
	p->eb->farg = &cb;
	uint8_t f[128];
	size_t n;
	/* A good solicitation: answered to A, solicited and override. */
	n = nd_frame(f, SNM_B, "fd00::1", "ff02::1:ff00:2", 255, 135, 0, "fd00::2", 1);
	ewire_inject(p->eb, f, n, 0);
	ep_settle(p);
	assert_int_equal(cb.n, 1);
	assert_memory_equal(cb.head[0], MAC_A, 6);
	assert_int_equal(cb.head[0][14 + 40], 136);
	assert_int_equal(cb.head[0][14 + 44], 0x60);
	assert_int_equal(neigh_state(p->b.s, AF_INET6, "fd00::1", NULL), NUD_DELAY);
	/* A DAD probe from ::: answered to all-nodes, not solicited. */
	n = nd_frame(f, SNM_B, "::", "ff02::1:ff00:2", 255, 135, 0, "fd00::2", 0);
	ewire_inject(p->eb, f, n, 0);
	ep_settle(p);
	assert_int_equal(cb.n, 2);
	assert_memory_equal(cb.head[1], "\x33\x33\x00\x00\x00\x01", 6);
	assert_int_equal(cb.head[1][14 + 44], 0x20);
	/* Dropped and counted: a hop limit not 255, a multicast target, a
	 * zero-length option, DAD with a source link-layer option. */
	uint64_t bad0 = ctr(p->b.s, NS_CTR_NDISC_IN_BAD);
	n = nd_frame(f, SNM_B, "fd00::1", "ff02::1:ff00:2", 64, 135, 0, "fd00::2", 1);
	ewire_inject(p->eb, f, n, 0);
	n = nd_frame(f, MAC_B, "fd00::1", "fd00::2", 255, 135, 0, "ff02::1", 1);
	ewire_inject(p->eb, f, n, 0);
	n = nd_frame(f, SNM_B, "::", "ff02::1:ff00:2", 255, 135, 0, "fd00::2", 1);
	ewire_inject(p->eb, f, n, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_NDISC_IN_BAD) - bad0, 3);
	/* Ignored: another host's target; a router advertisement. */
	uint64_t ign0 = ctr(p->b.s, NS_CTR_NDISC_IN_IGNORED);
	n = nd_frame(f, MAC_B, "fd00::1", "fd00::2", 255, 135, 0, "fd00::7", 1);
	ewire_inject(p->eb, f, n, 0);
	n = nd_frame(f, "\x33\x33\x00\x00\x00\x01", "fe80::1", "ff02::1", 255, 134, 0, "::", 0);
	ewire_inject(p->eb, f, n, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_NDISC_IN_IGNORED) - ign0, 2);
	assert_int_equal(cb.n, 2);
	/* A group B never joined: not even looked at. */
	uint64_t oth0 = ctr(p->b.s, NS_CTR_ETH_IN_OTHER_HOST);
	n = nd_frame(f, "\x33\x33\xff\x00\x00\x99", "fd00::1", "ff02::1:ff00:99", 255, 135, 0,
		     "fd00::99", 1);
	ewire_inject(p->eb, f, n, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_ETH_IN_OTHER_HOST) - oth0, 1);
	/* An unsolicited advertisement updates only what exists. */
	n = nd_frame(f, MAC_B, "fd00::5", "fd00::2", 255, 136, 0x20, "fd00::5", 2);
	ewire_inject(p->eb, f, n, 0);
	ep_settle(p);
	assert_int_equal(neigh_state(p->b.s, AF_INET6, "fd00::5", NULL), 0);
	/* A solicited advertisement to a group is malformed. */
	bad0 = ctr(p->b.s, NS_CTR_NDISC_IN_BAD);
	n = nd_frame(f, "\x33\x33\x00\x00\x00\x01", "fd00::1", "ff02::1", 255, 136, 0x60,
		     "fd00::1", 2);
	ewire_inject(p->eb, f, n, 0);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_NDISC_IN_BAD) - bad0, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PAIR_TEST(test_ipv6_tcp_over_neighbour_discovery),
	    PAIR_TEST(test_link_local_from_the_mac),
	    PAIR_TEST(test_unanswered_solicitation_gives_ehostunreach),
	    PAIR_TEST(test_solicitations_checked_and_answered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
