/*
 * fuzz_api.c — libFuzzer target for the netstack's socket-level API, the
 * calls sentry/socket/inet.c makes with what applications pass: socket
 * addresses of any length and family, option levels, names, values and
 * lengths, flags, and calls in any order on endpoints in any state, with
 * virtual time passing and the stack polled in between (over loopback, so
 * connections really form).
 *
 * The input is a program: each step takes an opcode byte and the bytes its
 * arguments need (missing bytes read as zero).  Eight endpoint slots.
 */
#include "netstack/fuzz/fuzz.h"


struct input {
	const uint8_t *p;
	size_t n;
};

static uint8_t byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint16_t word(struct input *in)
{
	return (uint16_t)(byte(in) << 8 | byte(in));
}

/* Fill buf with up to max input bytes (the rest zero); returns a length
 * the caller chose from the input, at most max. */
static socklen_t blob(struct input *in, void *buf, size_t max)
{
	memset(buf, 0, max);
	socklen_t len = byte(in) % (max + 1);
	size_t take = len < in->n ? len : in->n;
	memcpy(buf, in->p, take);
	in->p += take;
	in->n -= take;
	return len;
}

/* A socket address: mostly well-formed ones to lo, sometimes raw bytes. */
static socklen_t sockaddr(struct input *in, struct sockaddr_storage *ss)
{
	uint8_t kind = byte(in);
	memset(ss, 0, sizeof(*ss));
	uint16_t port = (uint16_t)(30000 + byte(in) % 8);
	switch (kind % 4) {
	case 0: {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(kind & 0x80 ? INADDR_LOOPBACK : INADDR_ANY);
		return sizeof(*sin);
	}
	case 1: {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		if (kind & 0x80)
			sin6->sin6_addr = in6addr_loopback;
		else if (kind & 0x40) {
			sin6->sin6_addr.s6_addr[10] = sin6->sin6_addr.s6_addr[11] = 0xff;
			sin6->sin6_addr.s6_addr[12] = 127;
			sin6->sin6_addr.s6_addr[15] = 1;
		}
		return sizeof(*sin6);
	}
	case 2: {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = (sa_family_t)(kind >> 2);
		sin->sin_port = htons(port);
		sin->sin_addr.s_addr = htonl(0x7f000000u | byte(in));
		return (socklen_t)(byte(in) % 40);
	}
	default:
		return blob(in, ss, sizeof(*ss));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_stack *s = fuzz_stack(2);
	if (!s)
		return 0;
	ns_stack_setup_loopback(s);
	struct ns_endpoint *slot[8] = {0};
	struct input in = {data, size};
	static const int levels[] = {SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, 255};
	static const int domains[] = {AF_INET, AF_INET6, AF_UNIX, AF_INET};
	static const int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_RAW, SOCK_SEQPACKET};
	static const int protos[] = {0, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6};
	int steps = 0;
	while (in.n && steps++ < 256) {
		uint8_t op = byte(&in);
		struct ns_endpoint **ep = &slot[(op >> 4) & 7];
		struct sockaddr_storage ss;
		socklen_t sl;
		uint8_t buf[600]; /* two iovecs: 300 + 255 */
		int v;
		switch (op & 15) {
		case 0:
			if (!*ep)
				ns_ep_create(s, domains[byte(&in) % 4], types[byte(&in) % 4],
					     protos[byte(&in) % 5], ep);
			break;
		case 1:
			if (*ep) {
				sl = sockaddr(&in, &ss);
				ns_ep_bind(*ep, (struct sockaddr *)&ss, sl, byte(&in) & 1);
			}
			break;
		case 2:
			if (*ep) {
				sl = sockaddr(&in, &ss);
				ns_ep_connect(*ep, (struct sockaddr *)&ss, sl);
			}
			break;
		case 3:
			if (*ep)
				ns_ep_listen(*ep, (int8_t)byte(&in));
			break;
		case 4:
			if (*ep) {
				struct ns_endpoint *c;
				struct ns_endpoint **to = &slot[byte(&in) & 7];
				if (ns_ep_accept(*ep, &c, &ss, &sl) == 0) {
					if (*to)
						ns_ep_close(*to);
					*to = c;
				}
			}
			break;
		case 5:
			if (*ep) {
				struct iovec iov[2] = {{buf, word(&in) % 300}, {buf + 300, byte(&in)}};
				int flags = (int)byte(&in) << 6;
				bool to = byte(&in) & 1;
				sl = to ? sockaddr(&in, &ss) : 0;
				ns_ep_sendmsg(*ep, iov, 2, flags, to ? (struct sockaddr *)&ss : NULL, sl);
			}
			break;
		case 6:
			if (*ep) {
				struct iovec iov = {buf, byte(&in) * 2u};
				int mf;
				static const int fl[] = {0, MSG_PEEK, MSG_TRUNC, MSG_OOB, MSG_DONTWAIT,
							 MSG_ERRQUEUE, MSG_PEEK | MSG_TRUNC, MSG_WAITALL};
				sl = sizeof(ss);
				uint8_t f = byte(&in) % 9;
				if (f < 8) {
					ns_ep_recvmsg(*ep, &iov, 1, fl[f], &ss, &sl, &mf);
				} else {
					/* A read in place, unpinned with any count
					 * (the owner's, or more than was pinned). */
					struct iovec seg[4];
					int nseg = 1 + byte(&in) % 4;
					ssize_t r = ns_ep_recv_pin(*ep, iov.iov_len, seg, &nseg);
					if (r > 0)
						ns_ep_recv_unpin(*ep, byte(&in) * 4u);
				}
			}
			break;
		case 7:
			if (*ep)
				ns_ep_shutdown(*ep, (int8_t)byte(&in));
			break;
		case 8:
			if (*ep) {
				int level = levels[byte(&in) % 6], name = byte(&in) % 80;
				sl = blob(&in, buf, 64);
				ns_ep_setsockopt(*ep, level, name, buf, sl);
			}
			break;
		case 9:
			if (*ep) {
				int level = levels[byte(&in) % 6], name = byte(&in) % 80;
				sl = (socklen_t)(int8_t)byte(&in);
				if ((int)sl > (int)sizeof(buf))
					sl = sizeof(buf);
				ns_ep_getsockopt(*ep, level, name, buf, &sl);
			}
			break;
		case 10:
			if (*ep) {
				sl = sizeof(ss);
				ns_ep_getname(*ep, &ss, &sl, byte(&in) & 1);
			}
			break;
		case 11:
			if (*ep) {
				int a, b, c;
				ns_ep_poll(*ep);
				ns_ep_queues(*ep, &a, &b, &c);
				ns_ep_kind(*ep, &a, &b, &c);
			}
			break;
		case 12:
			if (*ep) {
				ns_ep_close(*ep);
				*ep = NULL;
			}
			break;
		case 13:
			fuzz_now += (uint64_t)word(&in) * 1000000ull;
			ns_stack_poll(s, fuzz_now);
			break;
		case 14: {
			struct ns_ep_info *rows;
			int r = ns_stack_endpoints(s, protos[byte(&in) % 5], &rows);
			if (r >= 0)
				free(rows);
			break;
		}
		default:
			v = byte(&in);
			if (*ep)
				ns_ep_set_owner(*ep, (uint32_t)v, (uint64_t)v);
			ns_stack_poll(s, fuzz_now);
		}
		ns_stack_poll(s, fuzz_now);
	}
	for (int i = 0; i < 8; i++)
		if (slot[i])
			ns_ep_close(slot[i]);
	for (int i = 0; i < 4; i++) {
		fuzz_now += 60ull * 1000000000ull;
		ns_stack_poll(s, fuzz_now);
	}
	ns_stack_destroy(s);
	return 0;
}
