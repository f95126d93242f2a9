/*
 * fuzz_rtnetlink.c — libFuzzer target for the netlink request parsers:
 * NETLINK_ROUTE's (sentry/socket/rtnetlink.c) over the interface view
 * (netif.c) of a loopback-only stack, and NETLINK_SOCK_DIAG's
 * (sock_diag.c).  The input's first byte picks the protocol and the checks
 * (strict or not, CAP_NET_ADMIN or not); the rest is a datagram of netlink messages,
 * walked as netlink.c walks one (netlink_rcv_skb).  Every answer must be a
 * well-formed message stream.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/socket/rtnetlink.h"
#include "sentry/socket/sock_diag.h"

static void check_stream(const struct nlbuf *b)
{
	size_t off = 0;
	while (off < b->len) {
		struct nlmsghdr h;
		if (b->len - off < sizeof(h))
			abort();
		memcpy(&h, b->p + off, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > b->len - off)
			abort();
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct rtnl_ctx c = {.portid = 77, .strict = data[0] & 1, .cap_net_admin = data[0] & 2};
	bool diag = data[0] & 4;
	data++;
	size--;
	while (size >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		memcpy(&h, data, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > size)
			break;
		struct nlmsghdr *m = malloc(h.nlmsg_len);
		memcpy(m, data, h.nlmsg_len);
		m->nlmsg_flags |= NLM_F_REQUEST;
		if (m->nlmsg_type >= NLMSG_MIN_TYPE) {
			struct nlbuf reply = {0}, dump = {0};
			struct rtnl_dump d;
			int r = diag ? sock_diag_request(&c, m, &reply, &dump, &d)
				     : rtnl_request(&c, m, &reply, &dump, &d);
			if (r > 0 && r != RTNL_DUMP)
				abort();
			check_stream(&reply);
			check_stream(&dump);
			nlbuf_free(&reply);
			nlbuf_free(&dump);
		}
		free(m);
		size_t step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > size)
			step = size;
		data += step;
		size -= step;
	}
	return 0;
}
