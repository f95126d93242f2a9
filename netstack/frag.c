/*
 * frag.c — IPv4 fragmentation and reassembly (RFC 791, RFC 815) and IPv6
 * reassembly (RFC 8200 4.5), with Linux's rules and limits
 * (net/ipv4/ip_fragment.c, net/ipv6/reassembly.c, inet_fragment.c):
 *
 *   - fragments are queued by (source, destination, id, protocol; IPv6
 *     without the protocol) after the address checks; a queue lives
 *     ipfrag_time (30 s; IPv6 ip6frag_time, 60 s) from its first fragment;
 *     on expiry, if the first fragment came, the sender gets an ICMP time
 *     exceeded (fragment reassembly) quoting it;
 *   - an IPv6 datagram reassembled keeps only the fixed header (the
 *     extension headers before the fragment header were checked); an
 *     atomic fragment (offset 0, no more) is the datagram itself (RFC
 *     6946); a non-last IPv6 fragment not a multiple of 8 long is dropped;
 *   - all queues together hold at most ipfrag_high_thresh (4 MiB, the
 *     buffers' sizes); a fragment beyond that is dropped;
 *   - a fragment lying wholly inside one already queued is a duplicate and
 *     dropped alone; one overlapping another partly kills the whole queue
 *     (as Linux since the FragmentSmack fixes, and RFC 5722 for IPv6); so
 *     does a last fragment that disagrees with the length already known, a
 *     fragment past it, an empty one, or a datagram over 65535 bytes;
 *   - a non-last fragment's length is cut to a multiple of 8.
 *
 * Reassembly is the poller's alone (input and the link-layer timers run
 * only in ns_stack_poll), so the queues need no lock.
 *
 * Output: a datagram larger than the route's MTU whose sender allows it
 * (UDP without IP_PMTUDISC_DO) leaves as fragments of at most the MTU,
 * each with the header copied (there are no IP options to sort).
 */
#include "netstack/ns_impl.h"

#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <stdlib.h>

#define FRAG_TIMEOUT_NS (30 * NS_NSEC_PER_SEC)  /* ipfrag_time */
#define FRAG6_TIMEOUT_NS (60 * NS_NSEC_PER_SEC) /* ip6frag_time */
#define FRAG_HIGH_THRESH (4u << 20)	       /* ipfrag_high_thresh */

struct reasm_q {
	struct reasm_q *next;
	struct ns_ip src, dst;
	uint32_t id;
	uint8_t proto, nh;
	bool v6, first_in, last_in, csum_ok;
	uint64_t expires;
	struct ns_pbuf *frags; /* payload only, sorted by ->seq (the offset) */
	uint32_t len;	       /* the datagram's payload length, as far as known */
	uint32_t meat;	       /* payload bytes queued */
	uint32_t mem;	       /* charged to the table */
	uint8_t hdr[60];       /* the first fragment's header */
	uint32_t hlen;
	struct ns_nic *nic;
};

struct ns_reasm {
	struct reasm_q *head;
	uint32_t mem;
};

static void q_free(struct ns_reasm *r, struct reasm_q *q)
{
	struct reasm_q **pp = &r->head;
	while (*pp != q)
		pp = &(*pp)->next;
	*pp = q->next;
	r->mem -= q->mem;
	ns_pbuf_free_chain(q->frags);
	free(q);
}

static void q_kill(struct ns_stack *s, struct reasm_q *q, struct ns_pbuf *pb)
{
	ns_count(s, NS_CTR_IP_REASM_FAILS);
	q_free(s->reasm, q);
	ns_pbuf_free(pb);
}

/* Insert pb ([off, end) of the payload) into q's sorted list: 0, 1 for a
 * duplicate, -1 for an overlap. */
static int q_insert(struct reasm_q *q, struct ns_pbuf *pb, uint32_t off, uint32_t end)
{
	struct ns_pbuf **pp = &q->frags;
	for (struct ns_pbuf *f = q->frags; f; f = f->next) {
		uint32_t fs = f->seq, fe = f->seq + f->len;
		if (off >= fs && end <= fe)
			return 1;
		if (off < fe && end > fs)
			return -1;
		if (fs < off)
			pp = &f->next;
	}
	pb->next = *pp;
	*pp = pb;
	return 0;
}

static struct ns_pbuf *q_reassemble(struct ns_stack *s, struct reasm_q *q)
{
	uint32_t total = q->hlen + q->len;
	struct ns_pbuf *nb = (q->v6 ? q->len : total) <= 0xffff ? ns_pbuf_alloc(total) : NULL;
	if (!nb) {
		q_kill(s, q, NULL);
		return NULL;
	}
	uint8_t *h = ns_pbuf_data(nb);
	memcpy(h, q->hdr, q->hlen);
	for (struct ns_pbuf *f = q->frags; f; f = f->next)
		memcpy(h + q->hlen + f->seq, ns_pbuf_data(f), f->len);
	if (q->v6) {
		/* The fixed header only: the extension headers before the
		 * fragment header were checked already. */
		put16(h + 4, (uint16_t)q->len);
		h[6] = q->nh;
	} else {
		put16(h + 2, (uint16_t)total);
		put16(h + 6, 0);
		put16(h + 10, 0);
		put16(h + 10, csum_fold(csum_add(0, h, q->hlen)));
	}
	nb->len = total;
	nb->ifindex = q->nic->ifindex;
	if (q->csum_ok)
		nb->flags |= NS_PB_CSUM_PARTIAL;
	ns_count(s, NS_CTR_IP_REASM_OKS);
	q_free(s->reasm, q);
	return nb;
}

/* One fragment: the payload [off, off + plen) at pb's data + poff, the
 * last one unless more; hdr (hlen bytes) is the header a reassembled
 * datagram gets when this is the first fragment; nh its next header
 * (IPv6). */
static struct ns_pbuf *frag_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb,
				  uint32_t id, bool more, uint32_t off, uint32_t plen, uint32_t poff,
				  uint32_t hlen, uint8_t nh)
{
	ns_count(s, NS_CTR_IP_REASM_REQDS);
	if (!s->reasm && !(s->reasm = calloc(1, sizeof(*s->reasm)))) {
		ns_count(s, NS_CTR_IP_REASM_FAILS);
		ns_pbuf_free(pb);
		return NULL;
	}
	struct ns_reasm *r = s->reasm;
	const uint8_t *p = ns_pbuf_data(pb);
	uint32_t end = off + plen;
	/* IPv6 leaves the protocol out of the key: only the first
	 * fragment's next header counts (RFC 8200 4.5). */
	uint8_t proto = pi->v6 ? 0 : pi->proto;
	struct reasm_q *q = r->head;
	while (q && !(q->id == id && q->v6 == pi->v6 && q->proto == proto &&
		      ip_eq(&q->src, &pi->src) && ip_eq(&q->dst, &pi->dst)))
		q = q->next;
	if (!q) {
		if (r->mem + sizeof(*q) + pb->cap > FRAG_HIGH_THRESH ||
		    !(q = calloc(1, sizeof(*q)))) {
			ns_count(s, NS_CTR_IP_REASM_FAILS);
			ns_pbuf_free(pb);
			return NULL;
		}
		q->src = pi->src;
		q->dst = pi->dst;
		q->id = id;
		q->v6 = pi->v6;
		q->proto = proto;
		q->csum_ok = true;
		q->nic = pi->nic;
		q->expires = ns_now(s) + (pi->v6 ? FRAG6_TIMEOUT_NS : FRAG_TIMEOUT_NS);
		q->mem = sizeof(*q);
		q->next = r->head;
		r->head = q;
		r->mem += q->mem;
		ns_l2_arm(s, q->expires);
	} else if (r->mem + pb->cap > FRAG_HIGH_THRESH) {
		ns_count(s, NS_CTR_IP_REASM_FAILS);
		ns_pbuf_free(pb);
		return NULL;
	}
	if (!more) {
		/* The last fragment: the length, which must agree. */
		if (end < q->len || (q->last_in && end != q->len)) {
			q_kill(s, q, pb);
			return NULL;
		}
		q->last_in = true;
		q->len = end;
	} else {
		end &= ~7u;
		if (end > q->len) {
			if (q->last_in) {
				q_kill(s, q, pb);
				return NULL;
			}
			q->len = end;
		}
	}
	uint32_t limit = pi->v6 ? 0xffff : 0xffff - hlen;
	if (end <= off || q->len > limit) {
		q_kill(s, q, pb);
		return NULL;
	}
	if (off == 0) {
		memcpy(q->hdr, p, hlen);
		q->hlen = hlen;
		q->nh = nh;
	}
	pb->seq = off;
	pb->off += poff;
	pb->len = end - off;
	int dup = q_insert(q, pb, off, end);
	if (dup > 0) { /* a copy of what we have */
		ns_pbuf_free(pb);
		return NULL;
	}
	if (dup < 0) {
		ns_count(s, NS_CTR_IP_REASM_OVERLAPS);
		q_kill(s, q, pb);
		return NULL;
	}
	if (off == 0)
		q->first_in = true;
	if (!(pb->flags & (NS_PB_CSUM_OK | NS_PB_CSUM_PARTIAL)))
		q->csum_ok = false;
	q->meat += end - off;
	q->mem += pb->cap;
	r->mem += pb->cap;
	if (q->first_in && q->last_in && q->meat == q->len)
		return q_reassemble(s, q);
	return NULL;
}

struct ns_pbuf *ns_frag4_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb,
			       uint32_t ihl, uint32_t tot)
{
	const uint8_t *p = ns_pbuf_data(pb);
	uint16_t fo = get16(p + 6);
	return frag_input(s, pi, pb, get16(p + 4), fo & 0x2000, (fo & 0x1fffu) * 8, tot - ihl, ihl,
			  ihl, 0);
}

struct ns_pbuf *ns_frag6_input(struct ns_stack *s, struct ns_pktinfo *pi, struct ns_pbuf *pb,
			       uint32_t foff)
{
	uint8_t *p = ns_pbuf_data(pb);
	const uint8_t *fh = p + foff;
	uint16_t fo = get16(fh + 2);
	uint32_t off = fo & 0xfff8u, plen = pb->len - foff - 8;
	bool more = fo & 1;
	if (off == 0 && !more) {
		/* An atomic fragment (RFC 6946): the datagram itself, with the
		 * fixed header moved up to its payload. */
		uint8_t nh = fh[0];
		memmove(p + foff + 8 - 40, p, 40);
		pb->off += foff + 8 - 40;
		pb->len = 40 + plen;
		p = ns_pbuf_data(pb);
		put16(p + 4, (uint16_t)plen);
		p[6] = nh;
		return pb;
	}
	if (more && (plen & 7)) { /* ipv6_frag_rcv's parameter problem */
		ns_count(s, NS_CTR_IP_REASM_REQDS);
		ns_count(s, NS_CTR_IP_REASM_FAILS);
		ns_pbuf_free(pb);
		return NULL;
	}
	return frag_input(s, pi, pb, get32(fh + 4), more, off, plen, foff + 8, 40, fh[0]);
}

/* ICMP time exceeded, fragment reassembly: quotes the first fragment's
 * header and 8 bytes of its data (ip_expire). */
static void q_expire(struct ns_stack *s, struct reasm_q *q)
{
	ns_count(s, NS_CTR_IP_REASM_TIMEOUTS);
	ns_count(s, NS_CTR_IP_REASM_FAILS);
	if (!q->first_in || !q->frags || q->frags->seq != 0)
		return;
	uint8_t quote[68];
	uint32_t n = q->frags->len < 8 ? q->frags->len : 8;
	memcpy(quote, q->hdr, q->hlen);
	memcpy(quote + q->hlen, ns_pbuf_data(q->frags), n);
	struct ns_pktinfo pi = {
	    .src = q->src,
	    .dst = q->dst,
	    .proto = q->v6 ? q->nh : q->proto,
	    .v6 = q->v6,
	    .nic = q->nic,
	    .nh = quote,
	    .nhlen = q->hlen,
	    .l4 = quote + q->hlen,
	    .l4len = n,
	    .totlen = q->hlen + n,
	};
	ns_icmp_send_error(s, &pi, q->v6 ? ICMP6_TIME_EXCEEDED : ICMP_TIME_EXCEEDED,
			   q->v6 ? ICMP6_TIME_EXCEED_REASSEMBLY : ICMP_EXC_FRAGTIME);
}

uint64_t ns_frag_timers(struct ns_stack *s, uint64_t now)
{
	struct ns_reasm *r = s->reasm;
	uint64_t next = NS_TIME_NEVER;
	if (!r)
		return next;
	struct reasm_q *q = r->head;
	while (q) {
		struct reasm_q *nq = q->next;
		if (q->expires <= now) {
			q_expire(s, q);
			q_free(r, q);
		} else if (q->expires < next) {
			next = q->expires;
		}
		q = nq;
	}
	return next;
}

void ns_frag_free(struct ns_stack *s)
{
	struct ns_reasm *r = s->reasm;
	if (!r)
		return;
	while (r->head)
		q_free(r, r->head);
	free(r);
	s->reasm = NULL;
}

int ns_ip_output_frag(struct ns_stack *s, const struct ns_rt *rt, const struct ns_ip *dst,
		      uint8_t proto, uint8_t ttl, uint8_t tos, struct ns_pbuf *pb)
{
	if (!ip_is_v4(dst) || pb->len + 20 <= rt->mtu || rt->mtu < 68)
		return ns_ip_output(s, rt, dst, proto, ttl, tos, pb);
	uint32_t chunk = (rt->mtu - 20) & ~7u;
	uint16_t id = ns_ip_next_ident();
	const uint8_t *data = ns_pbuf_data(pb);
	int r = 0;
	for (uint32_t off = 0; off < pb->len; off += chunk) {
		uint32_t n = pb->len - off < chunk ? pb->len - off : chunk;
		bool last = off + n == pb->len;
		struct ns_pbuf *f = ns_pbuf_alloc(20 + n);
		if (!f) {
			r = -ENOBUFS;
			break;
		}
		uint8_t *h = ns_pbuf_data(f);
		h[0] = 0x45;
		h[1] = tos;
		put16(h + 2, (uint16_t)(20 + n));
		put16(h + 4, id);
		put16(h + 6, (uint16_t)((last ? 0 : 0x2000) | off / 8));
		h[8] = ttl;
		h[9] = proto;
		h[10] = h[11] = 0;
		memcpy(h + 12, rt->src.b + 12, 4);
		memcpy(h + 16, dst->b + 12, 4);
		put16(h + 10, csum_fold(csum_add(0, h, 20)));
		memcpy(h + 20, data + off, n);
		f->len = 20 + n;
		ns_count(s, NS_CTR_IP_FRAG_CREATES);
		int e = ns_nic_output(s, rt->nic, &rt->nexthop, f);
		if (e < 0 && !r)
			r = e;
	}
	ns_count(s, NS_CTR_IP_OUT_REQUESTS);
	if (!r)
		ns_count(s, NS_CTR_IP_FRAG_OKS);
	ns_pbuf_free(pb);
	return r;
}
