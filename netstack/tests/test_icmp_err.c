/* Unit tests for ICMP errors over Ethernet: port unreachable from the peer
 * refusing a connected UDP socket (IPv4, IPv6), protocol unreachable sent,
 * a router's host unreachable failing a TCP connect, and fragmentation
 * needed lowering the path MTU (TCP resends in smaller segments and the
 * data arrives intact; UDP fragments to it). */
#include "netstack/tests/ewire.h"

EPAIR_FIXTURE(5, MS(10))

static uint16_t cksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* An ICMP error from B's MAC and 10.0.0.2 to A, quoting 28 bytes (an IPv4
 * header and 8 bytes of transport) of the captured frame q. */
static void inject_icmp4(struct epair *p, uint8_t type, uint8_t code, uint16_t mtu,
			 const uint8_t *q)
{
	uint8_t f[14 + 20 + 8 + 28];
	memcpy(f, MAC_A, 6);
	memcpy(f + 6, MAC_B, 6);
	f[12] = 0x08, f[13] = 0;
	uint8_t *h = f + 14;
	memset(h, 0, 20);
	h[0] = 0x45;
	h[3] = 20 + 8 + 28;
	h[8] = 64, h[9] = IPPROTO_ICMP;
	h[12] = 10, h[15] = 2, h[16] = 10, h[19] = 1;
	uint16_t c = cksum(h, 20);
	h[10] = (uint8_t)(c >> 8), h[11] = (uint8_t)c;
	uint8_t *m = h + 20;
	memset(m, 0, 8);
	m[0] = type, m[1] = code;
	m[6] = (uint8_t)(mtu >> 8), m[7] = (uint8_t)mtu;
	memcpy(m + 8, q + 14, 28);
	c = cksum(m, 36);
	m[2] = (uint8_t)(c >> 8), m[3] = (uint8_t)c;
	ewire_inject(p->ea, f, sizeof(f), 0);
}

static void test_port_unreachable_refuses_connected_udp(void **state)
{
	struct epair *p = *state;
	static const struct {
		int family;
		const char *ip;
	} cases[] = {{AF_INET, "10.0.0.2"}, {AF_INET6, "fd00::2"}};
	for (size_t i = 0; i < 2; i++) {
		struct ns_endpoint *u = sock(&p->a, cases[i].family, SOCK_DGRAM, 0);
		assert_int_equal(do_connect(u, cases[i].family, cases[i].ip, 7777), 0);
		assert_int_equal(send_buf(u, "x", 1), 1);
		ep_run(p, MS(20));
		assert_true(ns_ep_poll(u) & POLLERR);
		char b[4];
		assert_int_equal(recv_buf(u, b, sizeof(b), MSG_DONTWAIT), -ECONNREFUSED);
		assert_int_equal(recv_buf(u, b, sizeof(b), MSG_DONTWAIT), -EAGAIN);
		assert_int_equal(send_buf(u, "x", 1), 1);
		ep_run(p, MS(20));
		assert_int_equal(send_buf(u, "x", 1), -ECONNREFUSED);
		ns_ep_close(u);
	}
	assert_int_equal(ctr(p->b.s, NS_CTR_ICMP_OUT_DEST_UNREACHS), 2);
	assert_int_equal(ctr(p->b.s, NS_CTR_ICMP6_OUT_DEST_UNREACHS), 2);
}

static void test_protocol_unreachable_is_sent(void **state)
{
	struct epair *p = *state;
	struct capture cb = {0};
	p->eb->filter = capture_frame;
	p->eb->farg = &cb;
	uint8_t f[14 + 20 + 8];
	memcpy(f, MAC_B, 6);
	memcpy(f + 6, MAC_A, 6);
	f[12] = 0x08, f[13] = 0;
	uint8_t *h = f + 14;
	memset(h, 0, 28);
	h[0] = 0x45, h[3] = 28, h[8] = 64, h[9] = 253;
	h[12] = 10, h[15] = 1, h[16] = 10, h[19] = 2;
	uint16_t c = cksum(h, 20);
	h[10] = (uint8_t)(c >> 8), h[11] = (uint8_t)c;
	ewire_inject(p->eb, f, sizeof(f), 0);
	ep_run(p, MS(20));
	int k = -1;
	for (int i = 0; i < cb.n; i++)
		if (cb.type[i] == 0x0800)
			k = i;
	assert_true(k >= 0);
	assert_int_equal(cb.head[k][14 + 9], IPPROTO_ICMP);
	assert_int_equal(cb.head[k][14 + 20], 3);
	assert_int_equal(cb.head[k][14 + 21], 2);
	assert_int_equal(ctr(p->b.s, NS_CTR_IP_IN_UNKNOWN_PROTOS), 1);
}

static void test_host_unreachable_fails_connect(void **state)
{
	struct epair *p = *state;
	uint8_t any[4] = {0}, gw[4] = {10, 0, 0, 2};
	assert_int_equal(ns_stack_add_route(p->a.s, AF_INET, any, 0, gw, p->ia, 0), 0);
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	struct ns_endpoint *c = sock(&p->a, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "192.0.2.1", 80), -EINPROGRESS);
	ep_run(p, MS(20));
	int k = -1;
	for (int i = 0; i < ca.n; i++)
		if (ca.type[i] == 0x0800)
			k = i;
	assert_true(k >= 0);
	assert_int_equal(ca.head[k][14 + 9], IPPROTO_TCP);
	inject_icmp4(p, 3, 1, 0, ca.head[k]); /* host unreachable */
	ep_run(p, MS(20));
	assert_true(ns_ep_poll(c) & POLLOUT);
	assert_int_equal(do_connect(c, AF_INET, "192.0.2.1", 80), -EHOSTUNREACH);
	ns_ep_close(c);
}

static bool max_ip_len(void *arg, struct ns_pbuf *pb)
{
	uint32_t *m = arg;
	if (pb->len > *m)
		*m = pb->len;
	return true;
}

static void test_fragmentation_needed_lowers_the_path_mtu(void **state)
{
	struct epair *p = *state;
	struct ns_endpoint *l = listener(&p->b, AF_INET, "0.0.0.0", 8080, 8);
	struct ns_endpoint *c, *s;
	ep_tcp_pair(p, AF_INET, "10.0.0.2", l, &c, &s);
	/* Send a window's worth and catch a full-size data segment. */
	struct capture ca = {0};
	p->ea->filter = capture_frame;
	p->ea->farg = &ca;
	static uint8_t buf[64 << 10];
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = pattern(i);
	ssize_t sent = send_buf(c, buf, sizeof(buf));
	assert_true(sent > 0);
	int k = -1;
	for (int i = 0; i < ca.n && k < 0; i++)
		if (ca.type[i] == 0x0800 && ca.len[i] == 1514)
			k = i;
	assert_true(k >= 0);
	/* The frames are in flight; a router says 1200 fit. */
	uint8_t q[64];
	memcpy(q, ca.head[k], 64);
	p->ea->filter = NULL;
	inject_icmp4(p, 3, 4, 1200, q);
	ep_settle(p);
	uint32_t maxlen = 0;
	p->ea->filter = max_ip_len;
	p->ea->farg = &maxlen;
	static uint8_t got[64 << 10];
	size_t n = 0;
	for (int i = 0; i < 200 && n < sizeof(got); i++) {
		if ((size_t)sent < sizeof(buf)) {
			ssize_t w = send_buf(c, buf + sent, sizeof(buf) - (size_t)sent);
			if (w > 0)
				sent += w;
		}
		ssize_t r = recv_buf(s, got + n, sizeof(got) - n, 0);
		if (r > 0)
			n += (size_t)r;
		else
			ep_step(p, MS(100));
	}
	assert_int_equal(n, sizeof(got));
	assert_memory_equal(got, buf, sizeof(buf));
	assert_true(maxlen > 0 && maxlen <= 1200 + 14);
	struct ns_tcp_info ti;
	socklen_t tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_pmtu, 1200);
	/* UDP to the same host now fragments at 1200. */
	struct ns_endpoint *u = sock(&p->a, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(u, buf, 1400, AF_INET, "10.0.0.2", 9), 1400);
	assert_int_equal(ctr(p->a.s, NS_CTR_IP_FRAG_CREATES), 2);
	/* A claim above the current MTU, or under 68, changes nothing. */
	inject_icmp4(p, 3, 4, 1400, q);
	inject_icmp4(p, 3, 4, 40, q);
	ep_settle(p);
	tl = sizeof(ti);
	assert_int_equal(ns_ep_getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &tl), 0);
	assert_int_equal(ti.tcpi_pmtu, 1200);
	CLOSE_ALL(c, s, l, u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    PAIR_TEST(test_port_unreachable_refuses_connected_udp),
	    PAIR_TEST(test_protocol_unreachable_is_sent),
	    PAIR_TEST(test_host_unreachable_fails_connect),
	    PAIR_TEST(test_fragmentation_needed_lowers_the_path_mtu),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
