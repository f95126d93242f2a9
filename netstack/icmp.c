/*
 * icmp.c — ICMP and ICMPv6: echo replies, destination-unreachable errors
 * (sent for closed UDP ports and unknown protocols; received ones are
 * turned into socket errors), and echo replies for ping sockets.
 *
 * Errors are never sent about an ICMP error, a broadcast or multicast
 * datagram, or from a source we cannot answer (RFC 1122 3.2.2, Linux's
 * icmp_send).  Over loopback they are not rate limited (as Linux).
 * Neighbour discovery (ICMPv6 133-137) goes to ndisc.c.
 */
#include "netstack/ns_impl.h"

#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>

/* Linux's icmp_err_convert: errno and whether it is a hard error. */
static void icmp4_errno(uint8_t type, uint8_t code, int *err, bool *fatal)
{
	static const struct {
		int err;
		bool fatal;
	} unreach[16] = {
	    {ENETUNREACH, true},  {EHOSTUNREACH, true}, {ENOPROTOOPT, true},
	    {ECONNREFUSED, true}, {EMSGSIZE, false},    {EOPNOTSUPP, false},
	    {ENETUNREACH, true},  {EHOSTDOWN, true},    {ENONET, true},
	    {ENETUNREACH, true},  {EHOSTUNREACH, true}, {ENETUNREACH, true},
	    {EHOSTUNREACH, true}, {EHOSTUNREACH, true}, {EHOSTUNREACH, true},
	    {EHOSTUNREACH, true},
	};
	*err = EHOSTUNREACH;
	*fatal = false;
	if (type == ICMP_DEST_UNREACH && code < 16) {
		*err = unreach[code].err;
		*fatal = unreach[code].fatal;
	} else if (type == ICMP_PARAMETERPROB) {
		*err = EPROTO;
		*fatal = true;
	}
}

static void icmp6_errno(uint8_t type, uint8_t code, int *err, bool *fatal)
{
	*err = EHOSTUNREACH;
	*fatal = false;
	switch (type) {
	case ICMP6_DST_UNREACH:
		*fatal = true;
		switch (code) {
		case ICMP6_DST_UNREACH_NOROUTE:
			*err = ENETUNREACH;
			break;
		case ICMP6_DST_UNREACH_ADMIN:
		case 5: /* policy failure */
		case 6: /* reject route */
			*err = EACCES;
			break;
		case ICMP6_DST_UNREACH_NOPORT:
			*err = ECONNREFUSED;
			break;
		}
		break;
	case ICMP6_PACKET_TOO_BIG:
		*err = EMSGSIZE;
		break;
	case ICMP6_PARAM_PROB:
		*err = EPROTO;
		*fatal = true;
		break;
	}
}

static bool checksum_ok(const struct ns_pktinfo *pi)
{
	if (pi->csum_ok)
		return true;
	uint32_t sum = pi->v6 ? csum_pseudo(&pi->src, &pi->dst, IPPROTO_ICMPV6, pi->l4len) : 0;
	return csum_fold(csum_add(sum, pi->l4, pi->l4len)) == 0;
}

/* Send an ICMP message of len bytes (built at pb's data) to dst, from src
 * when it is ours. */
static void icmp_send(struct ns_stack *s, const struct ns_ip *dst, const struct ns_ip *src,
		      struct ns_pbuf *pb)
{
	struct ns_rt rt;
	if (ns_route_lookup(s, dst, src, &rt) < 0) {
		ns_count(s, NS_CTR_IP_OUT_NO_ROUTES);
		ns_pbuf_free(pb);
		return;
	}
	uint8_t *h = ns_pbuf_data(pb);
	bool v6 = !ip_is_v4(dst);
	uint32_t sum = v6 ? csum_pseudo(&rt.src, dst, IPPROTO_ICMPV6, pb->len) : 0;
	h[2] = h[3] = 0;
	put16(h + 2, csum_fold(csum_add(sum, h, pb->len)));
	ns_ip_output(s, &rt, dst, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, s->sysctl.ip_default_ttl, 0,
		     pb);
}

static void echo_reply(struct ns_stack *s, const struct ns_pktinfo *pi)
{
	struct ns_pbuf *pb = ns_pbuf_from(pi->l4, pi->l4len);
	if (!pb)
		return;
	ns_pbuf_data(pb)[0] = pi->v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
	ns_count(s, pi->v6 ? NS_CTR_ICMP6_OUT_ECHO_REPS : NS_CTR_ICMP_OUT_ECHO_REPS);
	icmp_send(s, &pi->src, &pi->dst, pb);
}

/* Parse the datagram q (qlen bytes, IPv6 when v6) quoted by an ICMP
 * error and hand the error to its transport. */
static bool quote_dispatch_raw(struct ns_stack *s, bool v6, const uint8_t *q, uint32_t qlen,
			       int err, bool fatal, uint32_t mtu)
{
	struct ns_icmp_err e = {.err = err, .fatal = fatal, .mtu = mtu};
	uint8_t proto;
	uint32_t hl;
	if (!v6) {
		if (qlen < 20 || (q[0] >> 4) != 4)
			return false;
		hl = (q[0] & 0xfu) * 4;
		if (hl < 20 || qlen < hl + 8)
			return false;
		ip_set_v4(&e.src, get32(q + 12));
		ip_set_v4(&e.dst, get32(q + 16));
		proto = q[9];
	} else {
		if (qlen < 48 || (q[0] >> 4) != 6)
			return false;
		hl = 40;
		memcpy(e.src.b, q + 8, 16);
		memcpy(e.dst.b, q + 24, 16);
		proto = q[6];
	}
	const uint8_t *l4 = q + hl;
	/* Fragmentation needed / packet too big: the path's MTU first, so
	 * the transport sees it (ip_rt_update_pmtu, rt6_update_pmtu). */
	if (err == EMSGSIZE && mtu)
		ns_pmtu_update(s, &e.dst, mtu);
	switch (proto) {
	case IPPROTO_TCP:
		e.sport = get16(l4);
		e.dport = get16(l4 + 2);
		e.seq = get32(l4 + 4);
		ns_tcp_err(s, &e);
		return true;
	case IPPROTO_UDP:
		e.sport = get16(l4);
		e.dport = get16(l4 + 2);
		ns_udp_err(s, &e);
		return true;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((proto == IPPROTO_ICMP) == v6)
			return false;
		if (l4[0] != (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO))
			return false;
		ns_ping_err(s, v6, &e, get16(l4 + 4));
		return true;
	}
	return false;
}

static bool quote_dispatch(struct ns_stack *s, const struct ns_pktinfo *pi, int err, bool fatal,
			   uint32_t mtu)
{
	return quote_dispatch_raw(s, pi->v6, pi->l4 + 8, pi->l4len - 8, err, fatal, mtu);
}

void ns_icmp_local_error(struct ns_stack *s, struct ns_pbuf *pb, int err)
{
	const uint8_t *p = ns_pbuf_data(pb);
	if (pb->len >= 1)
		quote_dispatch_raw(s, (p[0] >> 4) == 6, p, pb->len, err, true, 0);
	ns_pbuf_free(pb);
}

void ns_icmp4_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb)
{
	if (pi->l4len < 8) {
		ns_count(s, NS_CTR_ICMP_IN_TRUNCATED);
		goto out;
	}
	if (!checksum_ok(pi)) {
		ns_count(s, NS_CTR_ICMP_IN_CSUM_ERRORS);
		goto out;
	}
	ns_count(s, NS_CTR_ICMP_IN_MSGS);
	uint8_t type = pi->l4[0], code = pi->l4[1];
	int err;
	bool fatal;
	switch (type) {
	case ICMP_ECHO:
		ns_count(s, NS_CTR_ICMP_IN_ECHOS);
		if (!pi->to_broadcast) /* icmp_echo_ignore_broadcasts */
			echo_reply(s, pi);
		break;
	case ICMP_ECHOREPLY:
		ns_count(s, NS_CTR_ICMP_IN_ECHO_REPS);
		ns_ping_input(s, pi, pb, get16(pi->l4 + 4));
		return;
	case ICMP_DEST_UNREACH:
	case ICMP_TIME_EXCEEDED:
	case ICMP_PARAMETERPROB:
		if (type == ICMP_DEST_UNREACH)
			ns_count(s, NS_CTR_ICMP_IN_DEST_UNREACHS);
		icmp4_errno(type, code, &err, &fatal);
		if (!quote_dispatch(s, pi, err, fatal, get16(pi->l4 + 6)))
			ns_count(s, NS_CTR_ICMP_IN_BAD_QUOTE);
		break;
	default:
		ns_count(s, NS_CTR_ICMP_IN_IGNORED);
	}
out:
	ns_pbuf_free(pb);
}

void ns_icmp6_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb)
{
	if (pi->l4len < 8) {
		ns_count(s, NS_CTR_ICMP6_IN_TRUNCATED);
		goto out;
	}
	if (!checksum_ok(pi)) {
		ns_count(s, NS_CTR_ICMP6_IN_CSUM_ERRORS);
		goto out;
	}
	ns_count(s, NS_CTR_ICMP6_IN_MSGS);
	uint8_t type = pi->l4[0], code = pi->l4[1];
	int err;
	bool fatal;
	switch (type) {
	case ICMP6_ECHO_REQUEST:
		ns_count(s, NS_CTR_ICMP6_IN_ECHOS);
		echo_reply(s, pi);
		break;
	case ICMP6_ECHO_REPLY:
		ns_count(s, NS_CTR_ICMP6_IN_ECHO_REPS);
		ns_ping_input(s, pi, pb, get16(pi->l4 + 4));
		return;
	case ND_ROUTER_SOLICIT:
	case ND_ROUTER_ADVERT:
	case ND_NEIGHBOR_SOLICIT:
	case ND_NEIGHBOR_ADVERT:
	case ND_REDIRECT:
		ns_ndisc_input(s, pi, pb);
		return;
	case ICMP6_DST_UNREACH:
	case ICMP6_PACKET_TOO_BIG:
	case ICMP6_TIME_EXCEEDED:
	case ICMP6_PARAM_PROB:
		if (type == ICMP6_DST_UNREACH)
			ns_count(s, NS_CTR_ICMP6_IN_DEST_UNREACHS);
		icmp6_errno(type, code, &err, &fatal);
		if (!quote_dispatch(s, pi, err, fatal, get32(pi->l4 + 4)))
			ns_count(s, NS_CTR_ICMP6_IN_BAD_QUOTE);
		break;
	default:
		ns_count(s, NS_CTR_ICMP6_IN_IGNORED);
	}
out:
	ns_pbuf_free(pb);
}

/* Is the datagram an ICMP error (which must not be answered by one)? */
static bool is_icmp_error(const struct ns_pktinfo *pi)
{
	if (pi->proto == IPPROTO_ICMP && !pi->v6)
		return pi->l4len < 1 || !(pi->l4[0] == ICMP_ECHO || pi->l4[0] == ICMP_ECHOREPLY ||
					  pi->l4[0] == ICMP_TIMESTAMP ||
					  pi->l4[0] == ICMP_TIMESTAMPREPLY);
	if (pi->proto == IPPROTO_ICMPV6 && pi->v6)
		return pi->l4len < 1 || pi->l4[0] < 128;
	return false;
}

static void send_error(struct ns_stack *s, const struct ns_pktinfo *pi, uint8_t type4, int code4,
		       uint8_t type6, int code6);

void ns_icmp_send_unreach(struct ns_stack *s, const struct ns_pktinfo *pi, int code4, int code6)
{
	send_error(s, pi, ICMP_DEST_UNREACH, code4, ICMP6_DST_UNREACH, code6);
}

void ns_icmp_send_error(struct ns_stack *s, const struct ns_pktinfo *pi, uint8_t type, uint8_t code)
{
	if (pi->v6)
		send_error(s, pi, 0, -1, type, code);
	else
		send_error(s, pi, type, code, 0, -1);
}

static void send_error(struct ns_stack *s, const struct ns_pktinfo *pi, uint8_t type4, int code4,
		       uint8_t type6, int code6)
{
	if (pi->to_broadcast || ip_is_multicast(&pi->dst) || ip_is_any(&pi->src) ||
	    ip_is_multicast(&pi->src) || is_icmp_error(pi))
		return;
	if (pi->v6 ? code6 < 0 : code4 < 0)
		return;
	/* Quote as much as fits in the minimum MTU: 576 (v4), 1280 (v6). */
	uint32_t room = pi->v6 ? 1280 - 40 - 8 : 576 - 20 - 8;
	uint32_t qlen = pi->totlen < room ? pi->totlen : room;
	struct ns_pbuf *pb = ns_pbuf_alloc(8 + qlen);
	if (!pb)
		return;
	uint8_t *h = ns_pbuf_data(pb);
	h[0] = pi->v6 ? type6 : type4;
	h[1] = (uint8_t)(pi->v6 ? code6 : code4);
	memset(h + 2, 0, 6);
	memcpy(h + 8, pi->nh, qlen);
	pb->len = 8 + qlen;
	if (h[0] == (pi->v6 ? ICMP6_DST_UNREACH : ICMP_DEST_UNREACH))
		ns_count(s, pi->v6 ? NS_CTR_ICMP6_OUT_DEST_UNREACHS : NS_CTR_ICMP_OUT_DEST_UNREACHS);
	icmp_send(s, &pi->src, &pi->dst, pb);
}
