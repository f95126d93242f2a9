/*
 * fuzz_packets.c — libFuzzer target for the netstack's packet parsers and
 * the protocol state they drive.
 *
 * Each input is a sequence of frames for one fresh stack: a loopback
 * interface, a wire interface of bare IP (eth0, 10.0.0.1/24, fd00::1/64)
 * and an Ethernet one (eth1, MAC 02:00:00:00:01:01, 10.1.0.1/24,
 * fd01::1/64 and its link-local address, the default route via 10.1.0.254)
 * with a TCP listener on port 80 (IPv4 and dual-stack IPv6), TCP
 * connections in progress to 10.0.0.2:5000 and, through ARP, to
 * 10.1.0.3:5000 and fd01::3 (through NDP), a datagram waiting for
 * 10.1.0.2's MAC, UDP sockets on port 53, and a ping socket.  A record is
 *
 *     u8  ctl    bit 0: lo (else the wire); bits 1-7: ms to let pass before
 *                the frame (timers fire)
 *     u16 len    big-endian; bit 15 set: the frame is for eth1 (an Ethernet
 *                frame), then len & 0x7fff bytes of frame (cut at the
 *                input's end)
 *
 * so the fuzzer can walk handshakes and reach the state machine, not only
 * the first parser.  Whatever the frames, the stack must not crash, leak,
 * trip a sanitizer, or take locks out of order (built with lockdep).
 * Frames the stack sends out on eth0 are dropped; on lo they loop back.
 */
#include "netstack/fuzz/fuzz.h"

#include <arpa/inet.h>


/* The wire: frames queued by the fuzzer, delivered on poll. */
struct wire {
	struct link_endpoint ep;
	struct ns_pbuf *head, *tail;
};

static int wire_send(struct link_endpoint *ep, struct ns_pbuf *pb)
{
	(void)ep;
	ns_pbuf_free(pb);
	return 0;
}

static int wire_poll(struct link_endpoint *ep, int max)
{
	struct wire *w = (struct wire *)ep;
	int n = 0;
	struct ns_pbuf *pb;
	while (n < max && (pb = ns_pbuf_take(&w->head, &w->tail))) {
		ns_link_deliver(ep, pb);
		n++;
	}
	return n;
}

static void wire_destroy(struct link_endpoint *ep)
{
	struct wire *w = (struct wire *)ep;
	ns_pbuf_free_chain(w->head);
	free(w);
}

static const struct link_ops wire_ops = {
    .kind = "fuzz",
    .send = wire_send,
    .poll = wire_poll,
    .destroy = wire_destroy,
};

static void wire_put(struct wire *w, const uint8_t *data, size_t len)
{
	struct ns_pbuf *pb = ns_pbuf_from(data, len);
	if (pb)
		ns_pbuf_append(&w->head, &w->tail, pb);
}

static struct ns_endpoint *open_ep(struct ns_stack *s, int fam, int type, int proto)
{
	struct ns_endpoint *ep = NULL;
	return ns_ep_create(s, fam, type, proto, &ep) ? NULL : ep;
}

static void bind_to(struct ns_endpoint *ep, int fam, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	if (fam == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, ip, &sin->sin_addr);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		inet_pton(AF_INET6, ip, &sin6->sin6_addr);
		len = sizeof(*sin6);
	}
	ns_ep_bind(ep, (struct sockaddr *)&ss, len, NS_BIND_PRIVILEGED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_stack *s = fuzz_stack(1);
	if (!s)
		return 0;
	/* Our own loopback device, so the fuzzer can send on it: frames sent on
	 * lo are trusted (checksums not verified, as Linux's lo), which is
	 * another path through every parser. */
	struct link_endpoint *lo = ns_loopback_new(0, 0);
	int loi = ns_stack_add_nic(s, lo);
	struct in_addr l4 = {htonl(INADDR_LOOPBACK)};
	ns_stack_add_addr(s, loi, AF_INET, &l4, 8);
	ns_stack_add_addr(s, loi, AF_INET6, &in6addr_loopback, 128);
	struct wire *w = calloc(1, sizeof(*w));
	w->ep.ops = &wire_ops;
	strcpy(w->ep.name, "eth0");
	w->ep.mtu = 1500;
	w->ep.type = NS_LINK_IP;
	int idx = ns_stack_add_nic(s, &w->ep);
	struct in_addr a4 = {htonl(0x0a000001)};
	struct in6_addr a6;
	inet_pton(AF_INET6, "fd00::1", &a6);
	ns_stack_add_addr(s, idx, AF_INET, &a4, 24);
	ns_stack_add_addr(s, idx, AF_INET6, &a6, 64);
	struct wire *e = calloc(1, sizeof(*e));
	e->ep.ops = &wire_ops;
	strcpy(e->ep.name, "eth1");
	e->ep.mtu = 1500;
	e->ep.type = NS_LINK_ETHERNET;
	memcpy(e->ep.hwaddr, "\x02\x00\x00\x00\x01\x01", 6);
	int eidx = ns_stack_add_nic(s, &e->ep);
	struct in_addr e4 = {htonl(0x0a010001)}, gw4 = {htonl(0x0a0100fe)}, any4 = {0};
	struct in6_addr e6;
	inet_pton(AF_INET6, "fd01::1", &e6);
	ns_stack_add_addr(s, eidx, AF_INET, &e4, 24);
	ns_stack_add_addr(s, eidx, AF_INET6, &e6, 64);
	ns_stack_add_linklocal(s, eidx);
	ns_stack_add_route(s, AF_INET, &any4, 0, &gw4, eidx, 100);

	struct ns_endpoint *eps[12];
	int n = 0;
	eps[n] = open_ep(s, AF_INET, SOCK_STREAM, 0);
	bind_to(eps[n], AF_INET, "0.0.0.0", 80);
	ns_ep_listen(eps[n++], 4);
	eps[n] = open_ep(s, AF_INET6, SOCK_STREAM, 0);
	int one = 1;
	ns_ep_setsockopt(eps[n], IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	bind_to(eps[n], AF_INET6, "::", 80);
	ns_ep_listen(eps[n++], 4);
	eps[n] = open_ep(s, AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in peer = {.sin_family = AF_INET, .sin_port = htons(5000)};
	peer.sin_addr.s_addr = htonl(0x0a000002);
	ns_ep_connect(eps[n++], (struct sockaddr *)&peer, sizeof(peer));
	eps[n] = open_ep(s, AF_INET, SOCK_STREAM, 0);
	peer.sin_addr.s_addr = htonl(0x0a010003);
	ns_ep_connect(eps[n++], (struct sockaddr *)&peer, sizeof(peer));
	eps[n] = open_ep(s, AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 peer6 = {.sin6_family = AF_INET6, .sin6_port = htons(5000)};
	inet_pton(AF_INET6, "fd01::3", &peer6.sin6_addr);
	ns_ep_connect(eps[n++], (struct sockaddr *)&peer6, sizeof(peer6));
	eps[n] = open_ep(s, AF_INET, SOCK_DGRAM, 0);
	bind_to(eps[n], AF_INET, "0.0.0.0", 53);
	struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};
	dns.sin_addr.s_addr = htonl(0x0a010002);
	struct iovec q = {(void *)"query", 5};
	ns_ep_sendmsg(eps[n++], &q, 1, 0, (struct sockaddr *)&dns, sizeof(dns));
	eps[n] = open_ep(s, AF_INET6, SOCK_DGRAM, 0);
	bind_to(eps[n++], AF_INET6, "::", 54);
	eps[n] = open_ep(s, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	bind_to(eps[n++], AF_INET, "0.0.0.0", 7);

	size_t off = 0;
	while (off + 3 <= size) {
		uint8_t ctl = data[off];
		size_t len = (size_t)(data[off + 1] & 0x7f) << 8 | data[off + 2];
		bool eth = data[off + 1] & 0x80;
		off += 3;
		if (len > size - off)
			len = size - off;
		fuzz_now += (uint64_t)(ctl >> 1) * 1000000ull;
		if (len > 0) {
			if (ctl & 1)
				ns_link_send_copy(lo, data + off, len);
			else
				wire_put(eth ? e : w, data + off, len);
		}
		off += len;
		ns_stack_poll(s, fuzz_now);
	}
	/* Let the timers run out a while: retransmissions, TIME_WAIT. */
	for (int i = 0; i < 8; i++) {
		fuzz_now += 30ull * 1000000000ull;
		ns_stack_poll(s, fuzz_now);
	}
	/* Take what was accepted, read what arrived, and close everything. */
	for (int i = 0; i < n; i++) {
		if (!eps[i])
			continue;
		struct ns_endpoint *c;
		while (ns_ep_accept(eps[i], &c, NULL, NULL) == 0) {
			char buf[64];
			struct iovec iov = {buf, sizeof(buf)};
			ns_ep_recvmsg(c, &iov, 1, 0, NULL, NULL, NULL);
			ns_ep_close(c);
		}
		char buf[256];
		struct iovec iov = {buf, sizeof(buf)};
		ns_ep_recvmsg(eps[i], &iov, 1, 0, NULL, NULL, NULL);
		ns_ep_poll(eps[i]);
		ns_ep_close(eps[i]);
	}
	struct ns_ep_info *rows;
	int r = ns_stack_endpoints(s, IPPROTO_TCP, &rows);
	if (r >= 0)
		free(rows);
	struct ns_neigh_info *nv;
	if (ns_stack_neighbours(s, &nv) >= 0)
		free(nv);
	ns_stack_poll(s, fuzz_now);
	ns_stack_destroy(s);
	return 0;
}
