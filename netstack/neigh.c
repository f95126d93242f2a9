/*
 * neigh.c — the neighbour cache of an Ethernet interface: which MAC each
 * next hop has, learnt by ARP (IPv4) and neighbour discovery (IPv6), with
 * Linux's states and timings (net/core/neighbour.c, its defaults):
 *
 *   INCOMPLETE  being resolved: a broadcast (multicast) solicitation at
 *               once and every retrans_time (1 s), mcast_solicit (3) in
 *               all; datagrams wait in a bounded queue (unres_qlen 101,
 *               unres_qlen_bytes 212992; the oldest goes first).  No answer
 *               after the last: FAILED, and every queued datagram's socket
 *               hears EHOSTUNREACH as if an ICMP host unreachable came.
 *   REACHABLE   answered: used for base_reachable_time (30 s), then
 *   STALE       still used; the first send makes it
 *   DELAY       for delay_first_probe_time (5 s), then
 *   PROBE       unicast solicitations, ucast_solicit (3) 1 s apart; an
 *               answer makes it REACHABLE again, none FAILED.
 *   FAILED      unusable: the next datagram starts over as INCOMPLETE.
 *   PERMANENT   added by the owner; never changes.
 *
 * Unused STALE and FAILED entries go after gc_stale_time (60 s), and a
 * full table recycles the least recently used of them.  Upper-layer
 * reachability confirmation (TCP's dst_confirm) is not done, so a busy
 * STALE entry is re-probed every 30 s: one unicast ARP, as Linux without
 * it.
 *
 * Everything here is under s->lock; the solicitations, the queued
 * datagrams and the errors go out after it is dropped.
 */
#include "netstack/ns_impl.h"

#include <stdlib.h>

#define RETRANS_NS (1 * NS_NSEC_PER_SEC)
#define MCAST_PROBES 3
#define UCAST_PROBES 3
#define REACHABLE_NS (30 * NS_NSEC_PER_SEC)
#define DELAY_NS (5 * NS_NSEC_PER_SEC)
#define GC_STALE_NS (60 * NS_NSEC_PER_SEC)
#define QUEUE_MAX 101
#define QUEUE_BYTES 212992u

/* At most this many solicitations per timer run; the rest next run. */
#define SOLICIT_BATCH 32

struct solicit {
	struct ns_nic *nic;
	struct ns_ip target, src;
	uint8_t mac[6];
	bool unicast;
};

void ns_l2_arm(struct ns_stack *s, uint64_t when)
{
	uint64_t cur = atomic_load(&s->l2_deadline);
	while (when < cur && !atomic_compare_exchange_weak(&s->l2_deadline, &cur, when))
		;
	if (when < atomic_load(&s->reported_deadline))
		atomic_store(&s->kick_pending, true);
}

static struct ns_neigh *neigh_find(struct ns_nic *nic, const struct ns_ip *ip)
{
	/* Most frames go to the neighbour the last one went to. */
	struct ns_neigh *n = &nic->neigh[nic->neigh_last];
	if (n->state && ip_eq(&n->ip, ip))
		return n;
	for (int i = 0; i < nic->neigh_hi; i++)
		if (nic->neigh[i].state && ip_eq(&nic->neigh[i].ip, ip)) {
			nic->neigh_last = i;
			return &nic->neigh[i];
		}
	return NULL;
}

static void neigh_reset(struct ns_neigh *n)
{
	memset(n, 0, sizeof(*n));
	n->timer = NS_TIME_NEVER;
}

/* A free slot, else the least recently used STALE or FAILED entry with
 * nothing queued (neigh_forced_gc); NULL when all are busy. */
static struct ns_neigh *neigh_alloc(struct ns_stack *s, struct ns_nic *nic,
				    const struct ns_ip *ip)
{
	struct ns_neigh *victim = NULL;
	for (int i = 0; i < NS_NEIGH_MAX; i++) {
		struct ns_neigh *n = &nic->neigh[i];
		if (!n->state) {
			victim = n;
			break;
		}
		if ((n->state & (NS_NUD_STALE | NS_NUD_FAILED)) && !n->qhead &&
		    (!victim || n->used < victim->used))
			victim = n;
	}
	if (!victim) {
		ns_count(s, NS_CTR_NEIGH_TABLE_FULL);
		return NULL;
	}
	neigh_reset(victim);
	victim->ip = *ip;
	int i = (int)(victim - nic->neigh);
	if (i >= nic->neigh_hi)
		nic->neigh_hi = i + 1;
	return victim;
}

/* The source address of the IP datagram in pb (for the solicitation, as
 * Linux's arp_solicit prefers it). */
static void datagram_src(const struct ns_pbuf *pb, struct ns_ip *src)
{
	const uint8_t *p = ns_pbuf_data(pb);
	memset(src, 0, sizeof(*src));
	if ((p[0] >> 4) == 4 && pb->len >= 20)
		ip_set_v4(src, get32(p + 12));
	else if ((p[0] >> 4) == 6 && pb->len >= 40)
		memcpy(src->b, p + 8, 16);
}

static uint16_t datagram_ethertype(const struct ns_pbuf *pb)
{
	return (ns_pbuf_data(pb)[0] >> 4) == 6 ? 0x86dd : 0x0800;
}

static void send_solicit(struct ns_stack *s, const struct solicit *so)
{
	const uint8_t *mac = so->unicast ? so->mac : NULL;
	if (ip_is_v4(&so->target))
		ns_arp_solicit(s, so->nic, &so->target, &so->src, mac);
	else
		ns_ndisc_solicit(s, so->nic, &so->target, &so->src, mac);
}

static void flush_queue(struct ns_stack *s, struct ns_nic *nic, const uint8_t mac[6],
			struct ns_pbuf *q)
{
	while (q) {
		struct ns_pbuf *next = q->next;
		q->next = NULL;
		ns_eth_xmit(s, nic, mac, datagram_ethertype(q), q);
		q = next;
	}
}

int ns_neigh_output(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *nexthop,
		    struct ns_pbuf *pb)
{
	uint64_t now = ns_now(s);
	uint64_t arm = NS_TIME_NEVER;
	struct solicit so;
	bool solicit = false;
	struct ns_pbuf *dropped = NULL;
	uint8_t mac[6];
	vmutex_lock(&s->lock);
	struct ns_neigh *n = neigh_find(nic, nexthop);
	if (n && (n->state & NS_NUD_VALID)) {
		memcpy(mac, n->mac, 6);
		n->used = now;
		if (n->state == NS_NUD_STALE) {
			n->state = NS_NUD_DELAY;
			n->timer = arm = now + DELAY_NS;
		}
		vmutex_unlock(&s->lock);
		if (arm != NS_TIME_NEVER)
			ns_l2_arm(s, arm);
		return ns_eth_xmit(s, nic, mac, datagram_ethertype(pb), pb);
	}
	if (!n)
		n = neigh_alloc(s, nic, nexthop);
	if (!n) {
		vmutex_unlock(&s->lock);
		ns_pbuf_free(pb);
		return -ENOBUFS;
	}
	if (n->state != NS_NUD_INCOMPLETE) { /* new, or FAILED: start over */
		n->state = NS_NUD_INCOMPLETE;
		n->probes = 1;
		memset(n->mac, 0, 6);
		datagram_src(pb, &n->probe_src);
		n->timer = arm = now + RETRANS_NS;
		solicit = true;
		so = (struct solicit){.nic = nic, .target = *nexthop, .src = n->probe_src};
	}
	n->used = now;
	/* Bounded: the oldest datagram makes room (__neigh_event_send). */
	while (n->qhead && (n->qcount >= QUEUE_MAX || n->qbytes + pb->len > QUEUE_BYTES)) {
		struct ns_pbuf *old = n->qhead;
		n->qhead = old->next;
		if (!n->qhead)
			n->qtail = NULL;
		n->qcount--;
		n->qbytes -= old->len;
		old->next = dropped;
		dropped = old;
		ns_count(s, NS_CTR_NEIGH_QUEUE_DROPS);
	}
	ns_pbuf_append(&n->qhead, &n->qtail, pb);
	n->qcount++;
	n->qbytes += pb->len;
	vmutex_unlock(&s->lock);
	ns_pbuf_free_chain(dropped);
	if (arm != NS_TIME_NEVER)
		ns_l2_arm(s, arm);
	if (solicit)
		send_solicit(s, &so);
	return 0;
}

void ns_neigh_update(struct ns_stack *s, struct ns_nic *nic, const struct ns_ip *ip,
		     const uint8_t *mac, uint8_t state, unsigned int flags)
{
	if (!nic->neigh)
		return;
	uint64_t now = ns_now(s);
	uint64_t arm = NS_TIME_NEVER;
	struct ns_pbuf *q = NULL;
	uint8_t use[6];
	vmutex_lock(&s->lock);
	struct ns_neigh *n = neigh_find(nic, ip);
	if (!n && (flags & NEIGH_CREATE) && mac)
		n = neigh_alloc(s, nic, ip);
	if (!n || n->state == NS_NUD_PERMANENT)
		goto out;
	if (!mac) {
		/* A confirmation without an address (an NA with no target
		 * link-layer option) only helps an entry that has one. */
		if (!(n->state & NS_NUD_VALID) || state != NS_NUD_REACHABLE)
			goto out;
	} else if (!(n->state & NS_NUD_VALID) || memcmp(n->mac, mac, 6) != 0) {
		memcpy(n->mac, mac, 6);
	} else if (state == NS_NUD_STALE) {
		/* The same address heard again: no news (a REACHABLE entry is
		 * not downgraded by a request, as neigh_update keeps it). */
		goto out;
	}
	n->state = state;
	n->probes = 0;
	if (state == NS_NUD_REACHABLE)
		n->timer = now + REACHABLE_NS;
	else
		n->timer = (n->used > now ? n->used : now) + GC_STALE_NS;
	arm = n->timer;
	q = n->qhead;
	n->qhead = n->qtail = NULL;
	n->qcount = n->qbytes = 0;
	memcpy(use, n->mac, 6);
out:
	vmutex_unlock(&s->lock);
	if (arm != NS_TIME_NEVER)
		ns_l2_arm(s, arm);
	flush_queue(s, nic, use, q);
}

/* One entry's due timer (s->lock held).  May add a solicitation or hand
 * back its queue as failed. */
static void neigh_timer(struct ns_stack *s, struct ns_nic *nic, struct ns_neigh *n, uint64_t now,
			struct solicit *so, int *nso, struct ns_pbuf **failed)
{
	switch (n->state) {
	case NS_NUD_INCOMPLETE:
	case NS_NUD_PROBE:
		if (n->probes >= (n->state == NS_NUD_PROBE ? UCAST_PROBES : MCAST_PROBES)) {
			ns_count(s, NS_CTR_NEIGH_RES_FAILED);
			n->state = NS_NUD_FAILED;
			memset(n->mac, 0, 6);
			n->timer = now + GC_STALE_NS;
			while (n->qhead) {
				struct ns_pbuf *pb = n->qhead;
				n->qhead = pb->next;
				pb->next = *failed;
				*failed = pb;
			}
			n->qtail = NULL;
			n->qcount = n->qbytes = 0;
			return;
		}
		break;
	case NS_NUD_DELAY:
		n->state = NS_NUD_PROBE;
		n->probes = 0;
		break;
	case NS_NUD_REACHABLE:
		n->state = NS_NUD_STALE;
		n->timer = (n->used > now ? n->used : now) + GC_STALE_NS;
		return;
	case NS_NUD_STALE:
	case NS_NUD_FAILED:
		if (now - n->used >= GC_STALE_NS && n->used <= now)
			neigh_reset(n);
		else
			n->timer = n->used + GC_STALE_NS;
		return;
	default:
		n->timer = NS_TIME_NEVER;
		return;
	}
	/* A solicitation: broadcast while INCOMPLETE, unicast in PROBE. */
	n->probes++;
	n->timer = now + RETRANS_NS;
	struct solicit *o = &so[(*nso)++];
	*o = (struct solicit){.nic = nic, .target = n->ip, .src = n->probe_src};
	if (n->state == NS_NUD_PROBE) {
		o->unicast = true;
		memcpy(o->mac, n->mac, 6);
	}
}

bool ns_l2_timers(struct ns_stack *s, uint64_t now)
{
	if (atomic_load(&s->l2_deadline) > now)
		return false;
	atomic_store(&s->l2_deadline, NS_TIME_NEVER);
	struct solicit so[SOLICIT_BATCH];
	int nso = 0;
	struct ns_pbuf *failed = NULL;
	uint64_t next = NS_TIME_NEVER;
	bool more = false;
	vmutex_lock(&s->lock);
	for (int i = 0; i < s->nnics; i++) {
		struct ns_nic *nic = s->nics[i];
		if (!nic->neigh)
			continue;
		for (int j = 0; j < nic->neigh_hi; j++) {
			struct ns_neigh *n = &nic->neigh[j];
			if (!n->state)
				continue;
			if (n->timer <= now) {
				if (nso == SOLICIT_BATCH) {
					more = true;
					continue;
				}
				neigh_timer(s, nic, n, now, so, &nso, &failed);
			}
			if (n->state && n->timer < next)
				next = n->timer;
		}
	}
	vmutex_unlock(&s->lock);
	uint64_t f = ns_frag_timers(s, now);
	if (f < next)
		next = f;
	ns_l2_arm(s, more ? now : next);
	for (int i = 0; i < nso; i++)
		send_solicit(s, &so[i]);
	while (failed) {
		struct ns_pbuf *pb = failed;
		failed = pb->next;
		pb->next = NULL;
		ns_icmp_local_error(s, pb, EHOSTUNREACH);
	}
	return more;
}

void ns_neigh_flush_locked(struct ns_nic *nic, struct ns_pbuf **drop)
{
	for (int i = 0; nic->neigh && i < nic->neigh_hi; i++) {
		struct ns_neigh *n = &nic->neigh[i];
		if (!n->state || n->state == NS_NUD_PERMANENT)
			continue;
		if (n->qtail) {
			n->qtail->next = *drop;
			*drop = n->qhead;
		}
		neigh_reset(n);
	}
}

void ns_neigh_free(struct ns_nic *nic)
{
	if (!nic->neigh)
		return;
	for (int i = 0; i < NS_NEIGH_MAX; i++)
		ns_pbuf_free_chain(nic->neigh[i].qhead);
	free(nic->neigh);
	nic->neigh = NULL;
}

int ns_stack_add_neighbour(struct ns_stack *s, int ifindex, int family, const void *addr,
			   const uint8_t hwaddr[6])
{
	struct ns_ip ip;
	if (family == AF_INET) {
		uint32_t v;
		memcpy(&v, addr, 4);
		ip_set_v4(&ip, ntohl(v));
	} else if (family == AF_INET6) {
		memcpy(ip.b, addr, 16);
	} else {
		return -EAFNOSUPPORT;
	}
	struct ns_pbuf *q = NULL;
	struct ns_nic *nic = NULL;
	int r = 0;
	vmutex_lock(&s->lock);
	if (ifindex < 1 || ifindex > s->nnics) {
		r = -ENODEV;
		goto out;
	}
	nic = s->nics[ifindex - 1];
	if (!nic->neigh) {
		r = -EINVAL;
		goto out;
	}
	struct ns_neigh *n = neigh_find(nic, &ip);
	if (!n)
		n = neigh_alloc(s, nic, &ip);
	if (!n) {
		r = -ENOSPC;
		goto out;
	}
	n->state = NS_NUD_PERMANENT;
	memcpy(n->mac, hwaddr, 6);
	n->timer = NS_TIME_NEVER;
	q = n->qhead;
	n->qhead = n->qtail = NULL;
	n->qcount = n->qbytes = 0;
out:
	vmutex_unlock(&s->lock);
	if (q)
		flush_queue(s, nic, hwaddr, q);
	return r;
}

int ns_stack_neighbours(struct ns_stack *s, struct ns_neigh_info **out)
{
	vmutex_lock(&s->lock);
	int n = 0;
	for (int i = 0; i < s->nnics; i++)
		for (int j = 0; s->nics[i]->neigh && j < NS_NEIGH_MAX; j++)
			n += s->nics[i]->neigh[j].state != 0;
	struct ns_neigh_info *v = calloc((size_t)(n ? n : 1), sizeof(*v));
	if (!v) {
		vmutex_unlock(&s->lock);
		return -ENOMEM;
	}
	int k = 0;
	for (int i = 0; i < s->nnics; i++) {
		struct ns_nic *nic = s->nics[i];
		for (int j = 0; nic->neigh && j < NS_NEIGH_MAX; j++) {
			const struct ns_neigh *e = &nic->neigh[j];
			if (!e->state)
				continue;
			v[k].ifindex = nic->ifindex;
			if (ip_is_v4(&e->ip)) {
				v[k].family = AF_INET;
				memcpy(v[k].addr, e->ip.b + 12, 4);
			} else {
				v[k].family = AF_INET6;
				memcpy(v[k].addr, e->ip.b, 16);
			}
			if (e->state & NS_NUD_VALID)
				memcpy(v[k].hwaddr, e->mac, 6);
			v[k].state = e->state;
			k++;
		}
	}
	vmutex_unlock(&s->lock);
	*out = v;
	return n;
}
