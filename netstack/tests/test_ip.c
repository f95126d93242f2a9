/* Unit tests for the netstack's IP layer: validation of every header field
 * (each bad frame dropped and counted under its reason), ICMP echo and
 * errors, replies for closed ports, random frames, and interface, address
 * and route configuration.  Frames are injected on a wire interface
 * (eth0, 10.0.0.1/24, fd00::1/64) from a peer at 10.0.0.2 / fd00::2; what
 * the stack answers is collected from the wire's far end. */
#include "netstack/tests/nstest.h"

struct rig {
	struct nst t;
	struct tlink *eth, *sink; /* sink: the far end, read by the test */
	int ifindex;
};

static void rig_init(struct rig *r)
{
	nst_init(&r->t);
	r->eth = tlink_new(&r->t, "eth0", 0, 1);
	r->t.nlinks--; /* polled below by hand */
	r->t.links[r->t.nlinks++] = r->eth;
	r->sink = calloc(1, sizeof(*r->sink));
	r->sink->t = &r->t;
	r->eth->peer = r->sink;
	r->ifindex = ns_stack_add_nic(r->t.s, &r->eth->ep);
	assert_int_equal(r->ifindex, 2);
	struct in_addr a = {htonl(0x0a000001)};
	assert_int_equal(ns_stack_add_addr(r->t.s, r->ifindex, AF_INET, &a, 24), 0);
	struct in6_addr a6;
	inet_pton(AF_INET6, "fd00::1", &a6);
	assert_int_equal(ns_stack_add_addr(r->t.s, r->ifindex, AF_INET6, &a6, 64), 0);
}

static void rig_fini(struct rig *r)
{
	ns_pbuf_free_chain(r->sink->head);
	free(r->sink);
	nst_fini(&r->t);
}

static int rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	rig_init(r);
	*state = r;
	return 0;
}

static int rig_teardown(void **state)
{
	rig_fini(*state);
	free(*state);
	return 0;
}

#define RIG_TEST(f) cmocka_unit_test_setup_teardown(f, rig_setup, rig_teardown)

/* The next frame the stack sent, or NULL. */
static struct ns_pbuf *rig_out(struct rig *r)
{
	struct ns_pbuf *pb = r->sink->head;
	if (pb) {
		r->sink->head = pb->next;
		pb->next = NULL;
	}
	return pb;
}

static int rig_out_count(struct rig *r)
{
	int n = 0;
	for (struct ns_pbuf *pb = r->sink->head; pb; pb = pb->next)
		n++;
	return n;
}

static void inject(struct rig *r, const void *frame, size_t len)
{
	struct ns_pbuf *pb = ns_pbuf_alloc(len);
	assert_non_null(pb);
	memcpy(ns_pbuf_data(pb), frame, len);
	pb->len = (uint32_t)len;
	pb->due = r->t.now;
	tlink_enqueue(r->eth, pb);
	nst_settle(&r->t);
}


static uint64_t ctr(struct rig *r, enum ns_counter c)
{
	return ns_stack_counter(r->t.s, c);
}

/* An IPv4 datagram whose transport header is cut at l4len bytes. */
static void inject_short(struct rig *r, uint8_t proto, size_t l4len, enum ns_counter c);

/* Inject a frame and check the counter it should move. */
static void inject_counts(struct rig *r, const void *frame, size_t len, enum ns_counter c,
			  uint64_t want)
{
	inject(r, frame, len);
	assert_int_equal(ctr(r, c), want);
}

/* ---- building frames ---- */

#define ME 0x0a000001 /* 10.0.0.1, the stack's address on eth0 */
#define ME6 "fd00::1"

static uint16_t csum(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* An IPv4 header (20 bytes) from 10.0.0.2 to dst before len bytes of
 * payload, checksummed. */
static size_t ip4(uint8_t *f, uint8_t proto, uint32_t dst, size_t len)
{
	memset(f, 0, 20);
	f[0] = 0x45;
	put16be(f + 2, (uint16_t)(20 + len));
	f[8] = 64;
	f[9] = proto;
	uint32_t src = 0x0a000002;
	for (int i = 0; i < 4; i++) {
		f[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		f[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	put16be(f + 10, csum(0, f, 20));
	return 20 + len;
}

static void ip4_recsum(uint8_t *f)
{
	f[10] = f[11] = 0;
	put16be(f + 10, csum(0, f, (f[0] & 0xfu) * 4));
}

static uint32_t pseudo4(const uint8_t *ip, uint8_t proto, size_t len)
{
	uint32_t s = 0;
	for (int i = 12; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	return s + proto + (uint32_t)len;
}

static size_t ip6(uint8_t *f, uint8_t nh, const char *dst, size_t len)
{
	memset(f, 0, 40);
	f[0] = 0x60;
	put16be(f + 4, (uint16_t)len);
	f[6] = nh;
	f[7] = 64;
	inet_pton(AF_INET6, "fd00::2", f + 8);
	inet_pton(AF_INET6, dst, f + 24);
	return 40 + len;
}

/* Headers to the stack with len zero bytes of payload, the first set. */
static void ip4z(uint8_t *f, uint8_t proto, size_t len, uint8_t first)
{
	ip4(f, proto, ME, len);
	memset(f + 20, 0, len);
	f[20] = first;
}

static void ip6z(uint8_t *f, uint8_t nh, size_t len, uint8_t first)
{
	ip6(f, nh, ME6, len);
	memset(f + 40, 0, len);
	f[40] = first;
}

static uint32_t pseudo6(const uint8_t *ip, uint8_t proto, size_t len)
{
	uint32_t s = 0;
	for (int i = 8; i < 40; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	return s + proto + (uint32_t)len;
}

/* UDP at l4 (payload plen bytes already there), checksummed. */
static void udp_fill(uint8_t *l4, uint16_t sport, uint16_t dport, size_t plen, uint32_t pseudo)
{
	put16be(l4, sport);
	put16be(l4 + 2, dport);
	put16be(l4 + 4, (uint16_t)(8 + plen));
	l4[6] = l4[7] = 0;
	uint16_t c = csum(pseudo, l4, 8 + plen);
	put16be(l4 + 6, c ? c : 0xffff);
}

static void tcp_fill(uint8_t *l4, uint16_t sport, uint16_t dport, uint32_t seq, uint32_t ack,
		     uint8_t flags, size_t hlen, size_t plen, uint32_t pseudo)
{
	put16be(l4, sport);
	put16be(l4 + 2, dport);
	for (int i = 0; i < 4; i++) {
		l4[4 + i] = (uint8_t)(seq >> (24 - 8 * i));
		l4[8 + i] = (uint8_t)(ack >> (24 - 8 * i));
	}
	l4[12] = (uint8_t)((hlen / 4) << 4);
	l4[13] = flags;
	put16be(l4 + 14, 65535);
	l4[16] = l4[17] = 0;
	put16be(l4 + 16, csum(pseudo, l4, hlen + plen));
}

static void inject_short(struct rig *r, uint8_t proto, size_t l4len, enum ns_counter c)
{
	uint8_t f[64] = {0};
	ip4(f, proto, ME, l4len);
	inject_counts(r, f, 20 + l4len, c, 1);
}

/* ---- IPv4 ---- */

static void test_ipv4_garbage_is_counted(void **state)
{
	struct rig *r = *state;
	uint8_t f[256];

	inject(r, "\x45", 1);
	assert_int_equal(ctr(r, NS_CTR_IP_IN_TRUNCATED), 1);
	ip4(f, 17, ME, 0);
	f[0] = 0x55;
	inject_counts(r, f, 20, NS_CTR_IP_IN_BAD_VERSION, 1);
	ip4(f, 17, ME, 0);
	f[0] = 0x44;
	inject_counts(r, f, 20, NS_CTR_IP_IN_BAD_HDRLEN, 1);
	ip4(f, 17, ME, 0);
	f[0] = 0x4f;
	inject_counts(r, f, 40, NS_CTR_IP_IN_TRUNCATED, 2);
	ip4(f, 17, ME, 0);
	put16be(f + 2, 19);
	ip4_recsum(f);
	inject_counts(r, f, 20, NS_CTR_IP_IN_BAD_TOTLEN, 1);
	ip4(f, 17, ME, 100);
	inject_counts(r, f, 60, NS_CTR_IP_IN_TRUNCATED, 3);
	ip4(f, 17, ME, 8);
	f[10] ^= 1;
	inject_counts(r, f, 28, NS_CTR_IP_IN_CSUM_ERRORS, 1);
	/* Fragments: queued for reassembly (frag.c; test_frag has the rest). */
	ip4(f, 17, ME, 8);
	f[6] = 0x20; /* MF */
	ip4_recsum(f);
	inject(r, f, 28);
	ip4(f, 17, ME, 8);
	put16be(f + 6, 0x0010); /* offset */
	ip4_recsum(f);
	inject_counts(r, f, 28, NS_CTR_IP_REASM_REQDS, 2);
	/* Martian sources and strangers' destinations. */
	ip4(f, 17, ME, 8);
	f[12] = 224;
	ip4_recsum(f);
	inject(r, f, 28);
	ip4(f, 17, ME, 8);
	f[12] = 127;
	ip4_recsum(f);
	inject_counts(r, f, 28, NS_CTR_IP_IN_BAD_SRC, 2);
	ip4(f, 17, 0x0a000063, 8);
	inject(r, f, 28);
	ip4(f, 17, 0x7f000001, 8); /* lo's address, but from a wire: a martian */
	inject_counts(r, f, 28, NS_CTR_IP_IN_ADDR_ERRORS, 2);
	/* An unknown protocol: counted, and answered (protocol unreachable). */
	ip4(f, 132, ME, 8);
	inject_counts(r, f, 28, NS_CTR_IP_IN_UNKNOWN_PROTOS, 1);
	struct ns_pbuf *o = rig_out(r);
	assert_non_null(o);
	assert_int_equal(ns_pbuf_data(o)[20], 3); /* destination unreachable */
	assert_int_equal(ns_pbuf_data(o)[21], 2); /* protocol */
	ns_pbuf_free(o);
	assert_int_equal(ctr(r, NS_CTR_IP_IN_DELIVERS), 1);
	/* Link padding after the datagram is fine. */
	ip4z(f, 17, 8, 0);
	udp_fill(f + 20, 5000, 5001, 0, pseudo4(f, 17, 8));
	inject_counts(r, f, 60, NS_CTR_IP_IN_DELIVERS, 2);
	assert_int_equal(ctr(r, NS_CTR_UDP_NO_PORTS), 1);
}

static void test_tcp_garbage_is_counted(void **state)
{
	struct rig *r = *state;
	uint8_t f[256];
	inject_short(r, 6, 10, NS_CTR_TCP_IN_TRUNCATED);
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 1234, 80, 1, 0, 0x02, 20, 0, pseudo4(f, 6, 20));
	f[32] = 0x40; /* doff 4 */
	inject(r, f, 40);
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 1234, 80, 1, 0, 0x02, 20, 0, pseudo4(f, 6, 20));
	f[32] = 0xf0; /* doff 15 > segment */
	inject_counts(r, f, 40, NS_CTR_TCP_IN_BAD_HDRLEN, 2);
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 1234, 80, 1, 0, 0x02, 20, 0, pseudo4(f, 6, 20));
	f[37] ^= 0x55;
	inject_counts(r, f, 40, NS_CTR_TCP_IN_CSUM_ERRORS, 1);
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 1234, 80, 1, 0, 0x03, 20, 0, pseudo4(f, 6, 20)); /* SYN|FIN */
	inject(r, f, 40);
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 1234, 80, 1, 0, 0x00, 20, 0, pseudo4(f, 6, 20)); /* no flags */
	inject_counts(r, f, 40, NS_CTR_TCP_IN_BAD_FLAGS, 2);
	assert_int_equal(rig_out_count(r), 0);
	/* A SYN to a closed port with a malformed option: the options are
	 * abandoned (counted), the SYN answered with RST|ACK. */
	ip4(f, 6, ME, 24);
	f[40] = 2;
	f[41] = 0; /* an option of length 0 */
	f[42] = f[43] = 0;
	tcp_fill(f + 20, 1234, 80, 1000, 0, 0x02, 24, 0, pseudo4(f, 6, 24));
	inject_counts(r, f, 44, NS_CTR_TCP_IN_BAD_OPTIONS, 1);
	struct ns_pbuf *o = rig_out(r);
	assert_non_null(o);
	const uint8_t *p = ns_pbuf_data(o);
	assert_int_equal(p[20 + 13], 0x14); /* RST|ACK */
	assert_int_equal((uint32_t)p[28] << 24 | (uint32_t)p[29] << 16 | (uint32_t)p[30] << 8 | p[31], 1001);
	ns_pbuf_free(o);
	/* An ACK to nobody: RST with its sequence number. */
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 1234, 80, 5, 777, 0x10, 20, 0, pseudo4(f, 6, 20));
	inject(r, f, 40);
	o = rig_out(r);
	assert_non_null(o);
	p = ns_pbuf_data(o);
	assert_int_equal(p[20 + 13], 0x04);
	assert_int_equal((uint32_t)p[24] << 24 | (uint32_t)p[25] << 16 | (uint32_t)p[26] << 8 | p[27], 777);
	ns_pbuf_free(o);
	/* A RST to nobody: nothing back. */
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 1234, 80, 5, 0, 0x04, 20, 0, pseudo4(f, 6, 20));
	inject(r, f, 40);
	assert_int_equal(rig_out_count(r), 0);
	assert_int_equal(ctr(r, NS_CTR_TCP_IN_NO_SOCKET), 3);
}

/* A blind RST or SYN inside an established connection's window does not
 * end it (RFC 5961): a challenge ACK goes back instead. */
static void test_blind_rst_and_syn_get_challenge_acks(void **state)
{
	struct rig *r = *state;
	struct ns_endpoint *l = listener(&r->t, AF_INET, "10.0.0.1", 80, 4);
	uint8_t f[256];
	/* Handshake by hand, no options (no timestamps, no scaling). */
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 4000, 80, 100, 0, 0x02, 20, 0, pseudo4(f, 6, 20));
	inject(r, f, 40);
	struct ns_pbuf *o = rig_out(r);
	assert_non_null(o);
	const uint8_t *p = ns_pbuf_data(o);
	assert_int_equal(p[33], 0x12);
	uint32_t iss = (uint32_t)p[24] << 24 | (uint32_t)p[25] << 16 | (uint32_t)p[26] << 8 | p[27];
	ns_pbuf_free(o);
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 4000, 80, 101, iss + 1, 0x10, 20, 0, pseudo4(f, 6, 20));
	inject(r, f, 40);
	struct ns_endpoint *a;
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL), 0);
	/* RST at rcv_nxt + 100: in the window, not exact. */
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 4000, 80, 201, 0, 0x04, 20, 0, pseudo4(f, 6, 20));
	inject_counts(r, f, 40, NS_CTR_TCP_CHALLENGE_ACKS, 1);
	ns_pbuf_free(rig_out(r));
	/* A SYN in the window. */
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 4000, 80, 150, 0, 0x02, 20, 0, pseudo4(f, 6, 20));
	inject_counts(r, f, 40, NS_CTR_TCP_CHALLENGE_ACKS, 2);
	ns_pbuf_free(rig_out(r));
	/* Data far outside the window: an ACK, nothing queued. */
	ip4(f, 6, ME, 25);
	tcp_fill(f + 20, 4000, 80, 101 + (1u << 30), iss + 1, 0x18, 20, 5, pseudo4(f, 6, 25));
	inject_counts(r, f, 45, NS_CTR_TCP_OUT_OF_WINDOW, 1);
	ns_pbuf_free(rig_out(r));
	assert_true(ns_ep_poll(a) & POLLOUT);
	assert_false(ns_ep_poll(a) & (POLLERR | POLLHUP | POLLIN));
	/* The exact RST ends it. */
	ip4(f, 6, ME, 20);
	tcp_fill(f + 20, 4000, 80, 101, 0, 0x04, 20, 0, pseudo4(f, 6, 20));
	inject(r, f, 40);
	assert_true(ns_ep_poll(a) & POLLERR);
	char b[4];
	assert_int_equal(recv_buf(a, b, 4, 0), -ECONNRESET);
	CLOSE_ALL(a, l);
}

static void test_udp_and_icmp_garbage_is_counted(void **state)
{
	struct rig *r = *state;
	uint8_t f[2048];
	inject_short(r, 17, 4, NS_CTR_UDP_IN_TRUNCATED);
	ip4(f, 17, ME, 8);
	udp_fill(f + 20, 1, 2, 0, pseudo4(f, 17, 8));
	put16be(f + 24, 50);
	inject(r, f, 28);
	ip4(f, 17, ME, 8);
	udp_fill(f + 20, 1, 2, 0, pseudo4(f, 17, 8));
	put16be(f + 24, 7);
	inject_counts(r, f, 28, NS_CTR_UDP_IN_BAD_LENGTH, 2);
	ip4(f, 17, ME, 8);
	udp_fill(f + 20, 1, 2, 0, pseudo4(f, 17, 8));
	f[27] ^= 1;
	inject_counts(r, f, 28, NS_CTR_UDP_IN_CSUM_ERRORS, 1);
	assert_int_equal(rig_out_count(r), 0);
	/* A closed port: ICMP port unreachable quoting the datagram. */
	ip4(f, 17, ME, 12);
	memcpy(f + 28, "ping", 4);
	udp_fill(f + 20, 1111, 2222, 4, pseudo4(f, 17, 12));
	inject_counts(r, f, 32, NS_CTR_UDP_NO_PORTS, 1);
	assert_int_equal(ctr(r, NS_CTR_ICMP_OUT_DEST_UNREACHS), 1);
	struct ns_pbuf *o = rig_out(r);
	assert_non_null(o);
	const uint8_t *p = ns_pbuf_data(o);
	assert_int_equal(p[9], 1);
	assert_int_equal(p[20], 3);
	assert_int_equal(p[21], 3);
	assert_int_equal(o->len, 20 + 8 + 32);
	assert_memory_equal(p + 28, f, 32);
	assert_int_equal(csum(0, p + 20, o->len - 20), 0);
	ns_pbuf_free(o);
	/* A zero UDP checksum over IPv4 means none. */
	struct ns_endpoint *u = sock(&r->t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(u, AF_INET, "0.0.0.0", 2222), 0);
	ip4(f, 17, ME, 12);
	udp_fill(f + 20, 1111, 2222, 4, 0);
	f[26] = f[27] = 0;
	inject(r, f, 32);
	char b[16];
	assert_int_equal(recv_buf(u, b, sizeof(b), 0), 4);
	/* ICMP: short, bad checksum, unknown type, a bad quote. */
	inject_short(r, 1, 4, NS_CTR_ICMP_IN_TRUNCATED);
	ip4z(f, 1, 8, 8);
	inject_counts(r, f, 28, NS_CTR_ICMP_IN_CSUM_ERRORS, 1);
	ip4z(f, 1, 8, 42);
	put16be(f + 22, csum(0, f + 20, 8));
	inject_counts(r, f, 28, NS_CTR_ICMP_IN_IGNORED, 1);
	ip4z(f, 1, 16, 3);
	f[21] = 3;
	f[28] = 0x45; /* a quote too short for its header */
	put16be(f + 22, csum(0, f + 20, 16));
	inject_counts(r, f, 36, NS_CTR_ICMP_IN_BAD_QUOTE, 1);
	/* Echo: answered, payload intact. */
	ip4z(f, 1, 64, 8);
	put16be(f + 24, 0x1234);
	put16be(f + 26, 7);
	memcpy(f + 28, "echo echo", 9);
	put16be(f + 22, csum(0, f + 20, 64));
	inject(r, f, 84);
	o = rig_out(r);
	assert_non_null(o);
	p = ns_pbuf_data(o);
	assert_int_equal(p[20], 0);
	assert_memory_equal(p + 24, f + 24, 60);
	assert_int_equal(csum(0, p + 20, 64), 0);
	assert_int_equal(p[16], 10);
	assert_int_equal(p[19], 2);
	ns_pbuf_free(o);
	assert_int_equal(ctr(r, NS_CTR_ICMP_OUT_ECHO_REPS), 1);
	/* An echo request to the subnet broadcast is ignored. */
	ip4(f, 1, 0x0a0000ff, 8);
	memset(f + 20, 0, 8);
	f[20] = 8;
	put16be(f + 22, csum(0, f + 20, 8));
	inject(r, f, 28);
	assert_int_equal(rig_out_count(r), 0);
	ns_ep_close(u);
}

static void test_ipv6_garbage_is_counted(void **state)
{
	struct rig *r = *state;
	uint8_t f[512];
	ip6(f, 17, ME6, 8);
	inject_counts(r, f, 39, NS_CTR_IP6_IN_TRUNCATED, 1);
	ip6(f, 17, ME6, 100);
	inject_counts(r, f, 48, NS_CTR_IP6_IN_TRUNCATED, 2);
	ip6(f, 17, ME6, 0);
	inject_counts(r, f, 48, NS_CTR_IP6_IN_BAD_PAYLEN, 1);
	ip6(f, 17, "fd00::99", 8);
	inject(r, f, 48);
	ip6(f, 17, "::1", 8);
	inject_counts(r, f, 48, NS_CTR_IP6_IN_ADDR_ERRORS, 2);
	ip6(f, 17, ME6, 8);
	f[8] = 0xff;
	inject_counts(r, f, 48, NS_CTR_IP6_IN_BAD_SRC, 1);
	/* A fragment header. */
	ip6z(f, 44, 16, 17);
	inject_counts(r, f, 56, NS_CTR_IP6_IN_FRAGMENTS, 1);
	/* Hop-by-hop (PadN) then UDP to a closed port: delivered, answered. */
	ip6(f, 0, ME6, 16);
	memset(f + 40, 0, 8);
	f[40] = 17;
	f[41] = 0;
	f[42] = 1; /* PadN */
	f[43] = 4;
	udp_fill(f + 48, 7, 8, 0, pseudo6(f, 17, 8));
	inject_counts(r, f, 56, NS_CTR_UDP_NO_PORTS, 1);
	struct ns_pbuf *o = rig_out(r);
	assert_non_null(o);
	assert_int_equal(ns_pbuf_data(o)[6], 58);
	assert_int_equal(ns_pbuf_data(o)[40], 1); /* destination unreachable */
	assert_int_equal(ns_pbuf_data(o)[41], 4); /* port */
	ns_pbuf_free(o);
	/* Hop-by-hop not first; an option that says discard; a routing header
	 * with segments left; a header past the end. */
	ip6z(f, 60, 16, 0);
	inject(r, f, 56);
	ip6z(f, 60, 8, 59);
	f[42] = 0x80; /* unknown type, action "discard and report" */
	f[43] = 4;
	inject(r, f, 48);
	ip6z(f, 43, 8, 59);
	f[43] = 1;
	inject(r, f, 48);
	ip6z(f, 60, 8, 0);
	f[41] = 5;
	inject_counts(r, f, 48, NS_CTR_IP6_IN_BAD_EXTHDR, 4);
	/* No next header: nothing to do. */
	ip6(f, 59, ME6, 4);
	inject(r, f, 44);
	assert_int_equal(rig_out_count(r), 0);
	/* UDP over IPv6 must carry a checksum. */
	ip6(f, 17, ME6, 8);
	udp_fill(f + 40, 7, 8, 0, pseudo6(f, 17, 8));
	f[46] = f[47] = 0;
	inject_counts(r, f, 48, NS_CTR_UDP_IN_CSUM_ERRORS, 1);
	/* ICMPv6 echo. */
	ip6z(f, 58, 16, 128);
	memcpy(f + 48, "v6 ping", 7);
	put16be(f + 42, csum(pseudo6(f, 58, 16), f + 40, 16));
	inject(r, f, 56);
	o = rig_out(r);
	assert_non_null(o);
	assert_int_equal(ns_pbuf_data(o)[40], 129);
	assert_int_equal(csum(pseudo6(ns_pbuf_data(o), 58, 16), ns_pbuf_data(o) + 40, 16), 0);
	ns_pbuf_free(o);
	f[42] ^= 1;
	inject_counts(r, f, 56, NS_CTR_ICMP6_IN_CSUM_ERRORS, 1);
	/* Neighbour discovery on a link with no neighbours (this one is
	 * NS_LINK_IP; test_ndisc has Ethernet's). */
	ip6z(f, 58, 24, 135);
	put16be(f + 42, csum(pseudo6(f, 58, 24), f + 40, 24));
	inject_counts(r, f, 64, NS_CTR_NDISC_IN_BAD, 1);
}

/* Random bytes, and random bytes behind plausible headers: no crash, and
 * every frame ends in exactly one counted outcome at the IP layer. */
static void test_random_frames_never_crash(void **state)
{
	struct rig *r = *state;
	struct ns_endpoint *l = listener(&r->t, AF_INET, "0.0.0.0", 80, 4);
	struct ns_endpoint *u = sock(&r->t, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(u, AF_INET6, "::", 53), 0);
	uint32_t x = 12345;
	uint8_t f[1600];
	enum { N = 20000 };
	for (int i = 0; i < N; i++) {
		size_t len = 1 + (x >> 8) % 200;
		for (size_t k = 0; k < len; k++) {
			x = x * 1103515245u + 12345u;
			f[k] = (uint8_t)(x >> 16);
		}
		switch (i % 4) {
		case 1: { /* a valid IPv4 header, random transport */
			static const uint8_t protos[] = {1, 6, 17};
			size_t l4 = len > 20 ? len - 20 : 0;
			uint8_t save[180];
			memcpy(save, f + 20, l4);
			ip4(f, protos[(x >> 4) % 3], 0x0a000001, l4);
			memcpy(f + 20, save, l4);
			if (len < 20)
				len = 20;
			if (f[9] == 6 && len >= 40) {
				f[32] = (uint8_t)((f[32] & 0xf0) | 0x00);
				put16be(f + 22, (x >> 12) & 1 ? 80 : f[22] << 8 | f[23]);
			}
			break;
		}
		case 2: { /* a valid IPv6 header */
			size_t l4 = len > 40 ? len - 40 : 0;
			uint8_t save[160];
			memcpy(save, f + 40, l4);
			static const uint8_t nhs[] = {0, 6, 17, 58, 60, 43};
			ip6(f, nhs[(x >> 4) % 6], "fd00::1", l4);
			memcpy(f + 40, save, l4);
			if (len < 40)
				len = 40;
			break;
		}
		case 3:
			f[0] = (uint8_t)((f[0] & 0x0f) | ((x >> 9) & 1 ? 0x40 : 0x60));
			break;
		}
		struct ns_pbuf *pb = ns_pbuf_from(f, len);
		pb->due = r->t.now;
		tlink_enqueue(r->eth, pb);
		if (i % 64 == 0)
			nst_settle(&r->t);
	}
	nst_settle(&r->t);
	ns_pbuf_free_chain(r->sink->head);
	r->sink->head = NULL;
	uint64_t outcomes = ctr(r, NS_CTR_IP_IN_BAD_VERSION);
	static const enum ns_counter ends[] = {
	    NS_CTR_IP_IN_TRUNCATED,   NS_CTR_IP_IN_BAD_HDRLEN,	 NS_CTR_IP_IN_BAD_TOTLEN,
	    NS_CTR_IP_IN_CSUM_ERRORS, NS_CTR_IP_IN_BAD_SRC,	 NS_CTR_IP_IN_ADDR_ERRORS,
	    NS_CTR_IP_REASM_REQDS,    NS_CTR_IP_IN_DELIVERS,	 NS_CTR_IP6_IN_TRUNCATED,
	    NS_CTR_IP6_IN_BAD_PAYLEN, NS_CTR_IP6_IN_BAD_EXTHDR, NS_CTR_IP6_IN_BAD_SRC,
	    NS_CTR_IP6_IN_ADDR_ERRORS, NS_CTR_IP6_IN_DELIVERS,
	};
	for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
		outcomes += ctr(r, ends[i]);
	assert_int_equal(ctr(r, NS_CTR_LINK_RX_FRAMES), N);
	/* A reassembled datagram's fragments count once each, it not again. */
	assert_int_equal(outcomes - ctr(r, NS_CTR_IP_REASM_OKS), N);
	assert_true(ctr(r, NS_CTR_IP_IN_DELIVERS) > 1000);
	assert_true(ctr(r, NS_CTR_TCP_IN_SEGS) > 100);
	CLOSE_ALL(l, u);
}

static void test_interfaces_addresses_routes(void **state)
{
	struct rig *r = *state;
	struct ns_stack *s = r->t.s;
	struct in_addr a = {htonl(0x0a000001)};
	assert_int_equal(ns_stack_add_addr(s, 2, AF_INET, &a, 24), -EEXIST);
	assert_int_equal(ns_stack_add_addr(s, 9, AF_INET, &a, 24), -ENODEV);
	assert_int_equal(ns_stack_add_addr(s, 2, AF_INET, &a, 33), -EINVAL);
	assert_int_equal(ns_stack_del_addr(s, 2, AF_INET6, &in6addr_loopback, 128),
			 -EADDRNOTAVAIL);
	struct ns_nic_info *nics;
	assert_int_equal(ns_stack_nics(s, &nics), 2);
	assert_string_equal(nics[0].name, "lo");
	assert_int_equal(nics[0].mtu, 65536);
	assert_true(nics[0].flags & 0x8); /* IFF_LOOPBACK */
	assert_string_equal(nics[1].name, "eth0");
	assert_int_equal(nics[1].ifindex, 2);
	free(nics);
	struct ns_addr_info *addrs;
	int n = ns_stack_addrs(s, &addrs);
	assert_int_equal(n, 4);
	assert_int_equal(addrs[0].family, AF_INET);
	assert_int_equal(addrs[0].prefixlen, 8);
	assert_int_equal(addrs[0].scope, 254);
	assert_int_equal(addrs[1].family, AF_INET6);
	assert_int_equal(addrs[1].prefixlen, 128);
	assert_int_equal(addrs[2].prefixlen, 24);
	free(addrs);
	/* A default route through a gateway. */
	struct in_addr any = {0}, gw = {htonl(0x0a0000fe)};
	assert_int_equal(ns_stack_add_route(s, AF_INET, &any, 0, &gw, 2, 0), 0);
	assert_int_equal(ns_stack_add_route(s, AF_INET, &any, 0, &gw, 2, 0), -EEXIST);
	struct ns_route_info *routes;
	n = ns_stack_routes(s, &routes);
	int found = 0;
	for (int i = 0; i < n; i++)
		if (routes[i].family == AF_INET && routes[i].prefixlen == 0 && routes[i].has_gateway)
			found++;
	free(routes);
	assert_int_equal(found, 1);
	struct ns_endpoint *c = sock(&r->t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "192.0.2.7", 80), -EINPROGRESS);
	struct ns_pbuf *o = rig_out(r);
	assert_non_null(o); /* the SYN went out on eth0 */
	char ip[64];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 0), 0);
	assert_string_equal(sa_ip(&ss, ip), "10.0.0.1");
	ns_pbuf_free(o);
	ns_ep_close(c);
	/* Down: no route, and frames in are dropped. */
	assert_int_equal(ns_stack_set_nic_up(s, 2, false), 0);
	c = sock(&r->t, AF_INET, SOCK_STREAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "192.0.2.7", 80), -ENETUNREACH);
	ns_ep_close(c);
	uint8_t f[64];
	ip4(f, 17, 0x0a000001, 8);
	inject_counts(r, f, 28, NS_CTR_IP_IN_RECEIVES, 0);
	assert_int_equal(ns_stack_set_nic_up(s, 7, false), -ENODEV);
	assert_int_equal(ns_stack_del_route(s, AF_INET, &any, 0, 2), 0);
	assert_int_equal(ns_stack_del_route(s, AF_INET, &any, 0, 2), -ESRCH);
	/* sysctl checks. */
	struct ns_sysctl sc;
	ns_stack_get_sysctl(s, &sc);
	assert_int_equal(sc.port_lo, 32768);
	sc.port_lo = 5000;
	sc.port_hi = 4000;
	assert_int_equal(ns_stack_set_sysctl(s, &sc), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    RIG_TEST(test_ipv4_garbage_is_counted),
	    RIG_TEST(test_tcp_garbage_is_counted),
	    RIG_TEST(test_blind_rst_and_syn_get_challenge_acks),
	    RIG_TEST(test_udp_and_icmp_garbage_is_counted),
	    RIG_TEST(test_ipv6_garbage_is_counted),
	    RIG_TEST(test_random_frames_never_crash),
	    RIG_TEST(test_interfaces_addresses_routes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
