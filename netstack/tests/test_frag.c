/* Unit tests for IPv4 fragmentation and IPv4/IPv6 reassembly: an 8000-byte UDP
 * datagram cut to the MTU and put back together; fragments out of order,
 * duplicated, overlapping (the datagram dropped, as Linux), missing (the
 * queue expires after 30 s with an ICMP time exceeded), lengths that
 * disagree; IP_PMTUDISC_DO refusing; the memory bound. */
#include "netstack/tests/ewire.h"

EPAIR_FIXTURE(1, MS(10))

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* A UDP datagram 10.0.0.1:4000 -> 10.0.0.2:5000 of n pattern bytes. */
static size_t udp_datagram(uint8_t *d, size_t n)
{
	size_t ulen = 8 + n;
	d[0] = 4000 >> 8, d[1] = 4000 & 0xff, d[2] = 5000 >> 8, d[3] = 5000 & 0xff;
	d[4] = (uint8_t)(ulen >> 8), d[5] = (uint8_t)ulen, d[6] = d[7] = 0;
	for (size_t i = 0; i < n; i++)
		d[8 + i] = pattern(i);
	uint8_t ph[12] = {10, 0, 0, 1, 10, 0, 0, 2, 0, IPPROTO_UDP, (uint8_t)(ulen >> 8),
			  (uint8_t)ulen};
	uint16_t c = fold(sum16(sum16(0, ph, 12), d, ulen));
	d[6] = (uint8_t)(c >> 8), d[7] = (uint8_t)c;
	return ulen;
}

/* Inject the fragment [off, off + len) of datagram d (total bytes) into B,
 * with identification id; the last when it reaches the end. */
static void inject_frag(struct epair *p, const uint8_t *d, size_t total, size_t off, size_t len,
			uint16_t id)
{
	uint8_t f[14 + 20 + 1600];
	assert_true(len <= 1600);
	memcpy(f, MAC_B, 6);
	memcpy(f + 6, MAC_A, 6);
	f[12] = 0x08, f[13] = 0;
	uint8_t *h = f + 14;
	memset(h, 0, 20);
	h[0] = 0x45;
	h[2] = (uint8_t)((20 + len) >> 8), h[3] = (uint8_t)(20 + len);
	h[4] = (uint8_t)(id >> 8), h[5] = (uint8_t)id;
	uint16_t fo = (uint16_t)((off / 8) | (off + len < total ? 0x2000 : 0));
	h[6] = (uint8_t)(fo >> 8), h[7] = (uint8_t)fo;
	h[8] = 64, h[9] = IPPROTO_UDP;
	h[12] = 10, h[15] = 1, h[16] = 10, h[19] = 2;
	uint16_t c = fold(sum16(0, h, 20));
	h[10] = (uint8_t)(c >> 8), h[11] = (uint8_t)c;
	memcpy(h + 20, d + off, len);
	ewire_inject(p->eb, f, 14 + 20 + len, 0);
}

static struct ns_endpoint *udp_rx(struct epair *p)
{
	struct ns_endpoint *rx = sock(&p->b, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(rx, AF_INET, "0.0.0.0", 5000), 0);
	return rx;
}

static void expect_datagram(struct ns_endpoint *rx, size_t n)
{
	static uint8_t got[9000];
	assert_int_equal(recv_buf(rx, got, sizeof(got), 0), (ssize_t)n);
	for (size_t i = 0; i < n; i++)
		if (got[i] != pattern(i))
			fail_msg("byte %zu differs", i);
}

static void test_udp_8000_bytes_fragmented_and_reassembled(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *rx = udp_rx(p);
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	static uint8_t buf[8000];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	assert_int_equal(sendto_buf(tx, buf, sizeof(buf), AF_INET, "10.0.0.2", 5000), 8000);
	ep_run(p, MS(20));
	expect_datagram(rx, 8000);
	/* 8008 bytes of UDP in 1480-byte pieces: 6 frames, none over 1514. */
	assert_int_equal(ctr(p->a.s, NS_CTR_IP_FRAG_CREATES), 6);
	assert_int_equal(ctr(p->a.s, NS_CTR_IP_FRAG_OKS), 1);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_REQDS), 6);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_OKS), 1);
	assert_int_equal(capture_count(&ca, 0x0800), 6);
	for (int i = 0; i < ca.n; i++)
		if (ca.type[i] == 0x0800) {
			assert_true(ca.len[i] <= 1514);
			assert_int_equal(ca.head[i][14 + 6] & 0x40, 0); /* no DF */
		}
	/* What fits the MTU leaves whole, with DF. */
	ca.n = 0;
	assert_int_equal(sendto_buf(tx, buf, 1472, AF_INET, "10.0.0.2", 5000), 1472);
	assert_int_equal(ca.n, 1);
	assert_int_equal(ca.len[0], 1514);
	assert_int_equal(ca.head[0][14 + 6] & 0x40, 0x40);
	ep_run(p, MS(20));
	expect_datagram(rx, 1472);
	CLOSE_ALL(tx, rx);
}

static void test_out_of_order_and_duplicate_fragments(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *rx = udp_rx(p);
	static uint8_t d[8100];
	size_t n = udp_datagram(d, 4000); /* 4008 bytes: 1480, 1480, 1048 */
	inject_frag(p, d, n, 2960, n - 2960, 7);
	inject_frag(p, d, n, 1480, 1480, 7);
	inject_frag(p, d, n, 1480, 1480, 7); /* a duplicate */
	inject_frag(p, d, n, 1480, 800, 7);  /* inside one we have */
	ep_settle(p);
	assert_int_equal(recv_buf(rx, d + 8000, 10, 0), -EAGAIN);
	inject_frag(p, d, n, 0, 1480, 7);
	ep_settle(p);
	expect_datagram(rx, 4000);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_OKS), 1);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_FAILS), 0);
	/* A second datagram interleaved with a third under another id. */
	inject_frag(p, d, n, 0, 1480, 8);
	inject_frag(p, d, n, 0, 1480, 9);
	inject_frag(p, d, n, 2960, n - 2960, 9);
	inject_frag(p, d, n, 1480, 1480, 8);
	inject_frag(p, d, n, 1480, 1480, 9);
	inject_frag(p, d, n, 2960, n - 2960, 8);
	ep_settle(p);
	expect_datagram(rx, 4000);
	expect_datagram(rx, 4000);
	ns_ep_close(rx);
}

static void test_overlapping_fragments_drop_the_datagram(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *rx = udp_rx(p);
	static uint8_t d[8100];
	size_t n = udp_datagram(d, 4000);
	inject_frag(p, d, n, 0, 1480, 7);
	inject_frag(p, d, n, 1472, 1480, 7); /* overlaps the first by 8 */
	inject_frag(p, d, n, 2952, n - 2952, 7);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_OVERLAPS), 1);
	ep_run(p, SEC(31));
	assert_int_equal(recv_buf(rx, d + 8000, 10, 0), -EAGAIN);
	/* A last fragment that disagrees with the known length kills too. */
	uint64_t f0 = ctr(p->b.s, NS_CTR_IP_REASM_FAILS);
	inject_frag(p, d, n, 2960, n - 2960, 8);
	inject_frag(p, d, 2960 + 16, 2960, 16, 8);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_FAILS) - f0, 1);
	ns_ep_close(rx);
}

static void test_missing_fragment_expires_with_time_exceeded(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *rx = udp_rx(p);
	struct capture cb = {0};
	p->eb->filter = capture_frame;
	p->eb->farg = &cb;
	static uint8_t d[8100];
	size_t n = udp_datagram(d, 4000);
	inject_frag(p, d, n, 0, 1480, 7);
	inject_frag(p, d, n, 2960, n - 2960, 7);
	ep_run(p, SEC(29));
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_TIMEOUTS), 0);
	assert_int_equal(cb.n, 0);
	ep_run(p, SEC(2));
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_TIMEOUTS), 1);
	assert_int_equal(recv_buf(rx, d + 8000, 10, 0), -EAGAIN);
	/* ICMP time exceeded (11), fragment reassembly (1), after B asked
	 * for A's MAC. */
	int k = -1;
	for (int i = 0; i < cb.n; i++)
		if (cb.type[i] == 0x0800)
			k = i;
	assert_true(k >= 0);
	assert_int_equal(cb.head[k][14 + 9], IPPROTO_ICMP);
	assert_int_equal(cb.head[k][14 + 20], 11);
	assert_int_equal(cb.head[k][14 + 21], 1);
	/* Without the first fragment, no error. */
	cb.n = 0;
	inject_frag(p, d, n, 1480, 1480, 8);
	ep_run(p, SEC(31));
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_TIMEOUTS), 2);
	assert_int_equal(capture_count(&cb, 0x0800), 0);
	ns_ep_close(rx);
}

static void test_pmtudisc_do_refuses_to_fragment(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *tx = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(set_int(tx, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO), 0);
	static uint8_t buf[8000];
	assert_int_equal(sendto_buf(tx, buf, sizeof(buf), AF_INET, "10.0.0.2", 5000), -EMSGSIZE);
	assert_int_equal(sendto_buf(tx, buf, 1472, AF_INET, "10.0.0.2", 5000), 1472);
	assert_int_equal(sendto_buf(tx, buf, 1473, AF_INET, "10.0.0.2", 5000), -EMSGSIZE);
	/* IPv6 is not fragmented here. */
	struct ns_endpoint *t6 = sock(&p->a, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(t6, buf, 1452, AF_INET6, "fd00::2", 5000), 1452);
	assert_int_equal(sendto_buf(t6, buf, 1453, AF_INET6, "fd00::2", 5000), -EMSGSIZE);
	CLOSE_ALL(tx, t6);
}

static void test_reassembly_memory_is_bounded(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *rx = udp_rx(p);
	static uint8_t d[8100];
	size_t n = udp_datagram(d, 4000);
	for (int i = 0; i < 3000; i++) {
		inject_frag(p, d, n, 0, 1480, (uint16_t)(1000 + i));
		if (i % 100 == 99)
			ep_settle(p);
	}
	ep_settle(p);
	/* 4 MiB of 2 KiB buffers: well under 3000 queues fit. */
	uint64_t fails = ctr(p->b.s, NS_CTR_IP_REASM_FAILS);
	assert_true(fails > 500 && fails < 3000);
	ep_run(p, SEC(31));
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_TIMEOUTS), 3000 - fails);
	/* Room again. */
	inject_frag(p, d, n, 0, 1480, 1);
	inject_frag(p, d, n, 1480, 1480, 1);
	inject_frag(p, d, n, 2960, n - 2960, 1);
	ep_settle(p);
	expect_datagram(rx, 4000);
	ns_ep_close(rx);
}

/* The same datagram over IPv6 (fd00::1 -> fd00::2), its fragments with a
 * fragment header behind the fixed one. */
static size_t udp6_datagram(uint8_t *d, size_t n)
{
	size_t ulen = 8 + n;
	d[0] = 4000 >> 8, d[1] = 4000 & 0xff, d[2] = 5000 >> 8, d[3] = 5000 & 0xff;
	d[4] = (uint8_t)(ulen >> 8), d[5] = (uint8_t)ulen, d[6] = d[7] = 0;
	for (size_t i = 0; i < n; i++)
		d[8 + i] = pattern(i);
	uint8_t ph[40] = {0};
	inet_pton(AF_INET6, "fd00::1", ph);
	inet_pton(AF_INET6, "fd00::2", ph + 16);
	ph[34] = (uint8_t)(ulen >> 8), ph[35] = (uint8_t)ulen, ph[39] = IPPROTO_UDP;
	uint16_t c = fold(sum16(sum16(0, ph, 40), d, ulen));
	d[6] = (uint8_t)(c >> 8), d[7] = (uint8_t)c;
	return ulen;
}

static void inject_frag6(struct epair *p, const uint8_t *d, size_t total, size_t off, size_t len,
			 uint32_t id, bool more)
{
	static uint8_t f[14 + 48 + 1600];
	memcpy(f, MAC_B, 6);
	memcpy(f + 6, MAC_A, 6);
	f[12] = 0x86, f[13] = 0xdd;
	uint8_t *h = f + 14;
	memset(h, 0, 48);
	h[0] = 0x60;
	h[4] = (uint8_t)((8 + len) >> 8), h[5] = (uint8_t)(8 + len);
	h[6] = 44, h[7] = 64;
	inet_pton(AF_INET6, "fd00::1", h + 8);
	inet_pton(AF_INET6, "fd00::2", h + 24);
	h[40] = IPPROTO_UDP;
	uint16_t fo = (uint16_t)(off | (more ? 1 : 0));
	h[42] = (uint8_t)(fo >> 8), h[43] = (uint8_t)fo;
	h[44] = (uint8_t)(id >> 24), h[45] = (uint8_t)(id >> 16), h[46] = (uint8_t)(id >> 8),
	h[47] = (uint8_t)id;
	(void)total;
	memcpy(h + 48, d + off, len);
	ewire_inject(p->eb, f, 14 + 48 + len, 0);
}

static void test_ipv6_fragments_reassembled(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *rx = sock(&p->b, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(rx, AF_INET6, "::", 5000), 0);
	static uint8_t d[8100];
	size_t n = udp6_datagram(d, 4000); /* 4008: 1232, 1232, 1232, 312 */
	inject_frag6(p, d, n, 3696, n - 3696, 1, false);
	inject_frag6(p, d, n, 1232, 1232, 1, true);
	inject_frag6(p, d, n, 0, 1232, 1, true);
	inject_frag6(p, d, n, 1232, 1232, 1, true); /* a duplicate */
	ep_settle(p);
	assert_int_equal(recv_buf(rx, d + 8000, 10, 0), -EAGAIN);
	inject_frag6(p, d, n, 2464, 1232, 1, true);
	ep_settle(p);
	expect_datagram(rx, 4000);
	/* An atomic fragment is the datagram itself. */
	size_t m = udp6_datagram(d, 100);
	inject_frag6(p, d, m, 0, m, 2, false);
	ep_settle(p);
	expect_datagram(rx, 100);
	/* Overlaps drop the datagram; a non-last fragment not a multiple of
	 * 8 long is refused. */
	n = udp6_datagram(d, 4000);
	inject_frag6(p, d, n, 0, 1232, 3, true);
	inject_frag6(p, d, n, 1224, 1232, 3, true);
	inject_frag6(p, d, n, 0, 1236, 4, true);
	ep_settle(p);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_OVERLAPS), 1);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_FAILS), 2);
	/* A lone first fragment expires after 60 s with ICMPv6 time
	 * exceeded (3), reassembly (1). */
	struct capture cb = {0};
	p->eb->filter = capture_frame;
	p->eb->farg = &cb;
	inject_frag6(p, d, n, 0, 1232, 5, true);
	ep_run(p, SEC(59));
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_TIMEOUTS), 0);
	ep_run(p, SEC(2));
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_REASM_TIMEOUTS), 1);
	int k = -1;
	for (int i = 0; i < cb.n; i++)
		if (cb.type[i] == 0x86dd && cb.head[i][14 + 40] == 3)
			k = i;
	assert_true(k >= 0);
	assert_int_equal(cb.head[k][14 + 41], 1);
	ns_ep_close(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PAIR_TEST(test_udp_8000_bytes_fragmented_and_reassembled),
	    PAIR_TEST(test_out_of_order_and_duplicate_fragments),
	    PAIR_TEST(test_overlapping_fragments_drop_the_datagram),
	    PAIR_TEST(test_missing_fragment_expires_with_time_exceeded),
	    PAIR_TEST(test_pmtudisc_do_refuses_to_fragment),
	    PAIR_TEST(test_reassembly_memory_is_bounded),
	    PAIR_TEST(test_ipv6_fragments_reassembled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
