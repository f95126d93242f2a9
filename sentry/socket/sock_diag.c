/*
 * sock_diag.c — NETLINK_SOCK_DIAG's requests (Linux's net/core/sock_diag.c
 * and net/ipv4/inet_diag.c), what `ss` asks before it falls back to
 * /proc/net: SOCK_DIAG_BY_FAMILY dumps of the sandbox's TCP and UDP
 * sockets (AF_INET, AF_INET6), from the netstack's endpoint snapshot
 * (ns_stack_endpoints, the rows /proc/net/tcp prints), filtered by the
 * request's states.  The request's bytecode filter is not run (ss filters
 * again itself), and no extension attribute is answered (INET_DIAG_INFO &
 * co.).  Other families and protocols are ENOENT, as Linux without their
 * diag module: ss then reads /proc/net (unix sockets among them); a lookup
 * of one socket (no NLM_F_DUMP) and SOCK_DESTROY are EOPNOTSUPP (EPERM
 * without CAP_NET_ADMIN); the old TCPDIAG_GETSOCK dump is served too.
 *
 * Same contract as rtnl_request (rtnetlink.h); it takes no lock of its own.
 */
#include "sentry/socket/sock_diag.h"

#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/socket/netif.h"

static void fill_inet(struct nlbuf *b, const struct ns_ep_info *e, uint32_t seq, uint32_t pid)
{
	struct inet_diag_msg m;
	memset(&m, 0, sizeof(m));
	m.idiag_family = (uint8_t)e->family;
	m.idiag_state = e->state;
	m.idiag_timer = e->timer;
	m.idiag_retrans = (uint8_t)(e->retransmits > 255 ? 255 : e->retransmits);
	m.id.idiag_sport = htons(e->lport);
	m.id.idiag_dport = htons(e->rport);
	int alen = e->family == AF_INET ? 4 : 16;
	memcpy(m.id.idiag_src, e->local, alen);
	memcpy(m.id.idiag_dst, e->remote, alen);
	m.id.idiag_cookie[0] = (uint32_t)e->ino;
	m.id.idiag_cookie[1] = (uint32_t)(e->ino >> 32);
	m.idiag_expires = e->timer ? (uint32_t)(e->timer_expires_ns / 1000000) : 0;
	m.idiag_rqueue = e->rx_queue;
	m.idiag_wqueue = e->tx_queue;
	m.idiag_uid = e->uid;
	m.idiag_inode = (uint32_t)e->ino;
	size_t off = nlbuf_begin(b, SOCK_DIAG_BY_FAMILY, NLM_F_MULTI, seq, pid, &m, sizeof(m));
	/* inet_diag_msg_attrs_fill's unconditional ones */
	nlbuf_attr_u8(b, INET_DIAG_SHUTDOWN, 0);
	if (e->family == AF_INET6) {
		/* IPV6_V6ONLY, which ss shows as [::] rather than * for a
		 * wildcard listener; as __inet6_bind, a socket bound to a
		 * specific IPv6 address (not ::, not v4-mapped) is IPv6-only. */
		static const uint8_t any[16], mapped[12] = {[10] = 0xff, [11] = 0xff};
		bool v6only = e->v6only || (memcmp(e->local, any, 16) && memcmp(e->local, mapped, 12));
		nlbuf_attr_u8(b, INET_DIAG_SKV6ONLY, v6only);
	}
	nlbuf_end(b, off);
}

/* Every socket of protocol and family in one of states (a TCPF_* mask). */
static int dump_inet(const struct rtnl_ctx *c, const struct nlmsghdr *h, int family,
		     int protocol, uint32_t states, struct nlbuf *dump, struct rtnl_dump *d)
{
	if (!(h->nlmsg_flags & NLM_F_DUMP))
		return -EOPNOTSUPP;
	struct ns_stack *s = netif_stack();
	struct ns_ep_info *rows = NULL;
	int n = s ? ns_stack_endpoints(s, protocol, &rows) : 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		if (rows[i].family != family || rows[i].state > 31 ||
		    !(states & (1u << rows[i].state)))
			continue;
		fill_inet(dump, &rows[i], h->nlmsg_seq, c->portid);
	}
	free(rows);
	d->err = dump->oom ? -ENOMEM : 0;
	return RTNL_DUMP;
}

#define AF_MAX_ 46 /* Linux's AF_MAX */

int sock_diag_request(const struct rtnl_ctx *c, const struct nlmsghdr *h, struct nlbuf *reply,
		      struct nlbuf *dump, struct rtnl_dump *d)
{
	*d = (struct rtnl_dump){0};
	size_t plen = h->nlmsg_len - NLMSG_HDRLEN;
	const unsigned char *p = (const unsigned char *)h + NLMSG_HDRLEN;
	switch (h->nlmsg_type) {
	case TCPDIAG_GETSOCK: { /* the old interface: struct inet_diag_req, TCP */
		struct inet_diag_req old;
		if (plen < sizeof(old))
			return -EINVAL;
		memcpy(&old, p, sizeof(old));
		if (old.idiag_family != AF_INET && old.idiag_family != AF_INET6)
			return -EINVAL;
		return dump_inet(c, h, old.idiag_family, IPPROTO_TCP, old.idiag_states, dump, d);
	}
	case DCCPDIAG_GETSOCK:
		return -ENOENT; /* no DCCP */
	case SOCK_DIAG_BY_FAMILY:
	case SOCK_DESTROY:
		break;
	default:
		return -EINVAL;
	}
	struct sock_diag_req sd;
	if (plen < sizeof(sd))
		return -EINVAL;
	memcpy(&sd, p, sizeof(sd));
	if (sd.sdiag_family >= AF_MAX_)
		return -EINVAL;
	if (sd.sdiag_family != AF_INET && sd.sdiag_family != AF_INET6)
		return -ENOENT;
	struct inet_diag_req_v2 req;
	if (plen < sizeof(req))
		return -EINVAL;
	memcpy(&req, p, sizeof(req));
	if (req.sdiag_protocol != IPPROTO_TCP && req.sdiag_protocol != IPPROTO_UDP)
		return -ENOENT;
	if (h->nlmsg_type == SOCK_DESTROY)
		return c->cap_net_admin ? -EOPNOTSUPP : -EPERM;
	return dump_inet(c, h, req.sdiag_family, req.sdiag_protocol, req.idiag_states, dump, d);
}
