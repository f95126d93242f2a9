/*
 * endpoint.c — the socket-level API (ns_ep_*), shared by TCP, UDP and ping
 * sockets: creation and lifetime, socket addresses, the port (bind) and
 * connection tables with Linux's bind rules and ephemeral ports, the input
 * lookup, and the SOL_SOCKET options.
 *
 * Every public call takes the endpoint's lock, does its work, drops the
 * lock, and only then kicks the owner (ns_stack_kick), so no callback ever
 * runs under a netstack lock.
 *
 * Bind rules (Linux's inet_csk_bind_conflict with relax, and
 * udp_lib_lport_inuse): two endpoints on one port conflict when their
 * local addresses overlap (equal, or one a wildcard that covers the other,
 * with IPv6 :: covering IPv4 unless IPV6_V6ONLY), unless both have
 * SO_REUSEADDR and the one already there is not listening, or both have
 * SO_REUSEPORT and the same owner uid (or the one there is in TIME_WAIT).
 * Ports chosen by connect() are shared between different 4-tuples; ports a
 * bind() took are never chosen by connect() (__inet_hash_connect).  An
 * intercepting endpoint (NS_BIND_INTERCEPT) conflicts with nothing and
 * takes every datagram to its address and port first.
 */
#include "netstack/ns_impl.h"

#include <limits.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>

struct ns_bind_bucket {
	struct ns_bind_bucket *next;
	uint16_t port;
	int count;
	struct ns_endpoint *owners;
};

void ns_ep_wait_callbacks(struct ns_endpoint *ep);
void ns_timer_remove_locked(struct ns_endpoint *ep);

struct ns_proto_table *ns_table(struct ns_stack *s, int protocol)
{
	switch (protocol) {
	case IPPROTO_TCP:
		return &s->tcp;
	case IPPROTO_UDP:
		return &s->udp;
	default:
		return &s->ping;
	}
}

/* ---- references and lifetime ---- */

static void ep_free(struct ns_endpoint *ep)
{
	if (ep->proto->destroy)
		ep->proto->destroy(ep);
	vmutex_destroy(&ep->lock);
	free(ep);
}

void ep_put(struct ns_endpoint *ep)
{
	if (atomic_fetch_sub_explicit(&ep->refs, 1, memory_order_acq_rel) != 1)
		return;
	struct ns_stack *s = ep->s;
	vmutex_lock(&s->lock);
	if (ep->all_prev)
		ep->all_prev->all_next = ep->all_next;
	else
		s->all = ep->all_next;
	if (ep->all_next)
		ep->all_next->all_prev = ep->all_prev;
	vmutex_unlock(&s->lock);
	ep_free(ep);
}

void ep_hold_proto(struct ns_endpoint *ep)
{
	if (!ep->proto_ref) {
		ep->proto_ref = true;
		ep_get(ep);
	}
}

static void bind_remove_locked(struct ns_endpoint *ep);

void ep_release_proto(struct ns_endpoint *ep)
{
	struct ns_stack *s = ep->s;
	vmutex_lock(&s->lock);
	ns_conn_unhash_locked(ep);
	bind_remove_locked(ep);
	ns_timer_remove_locked(ep);
	vmutex_unlock(&s->lock);
	ep->deadline = NS_TIME_NEVER;
	if (ep->proto_ref) {
		ep->proto_ref = false;
		/* The caller holds a reference: this never frees ep. */
		atomic_fetch_sub(&ep->refs, 1);
	}
}

void ns_ep_free_all(struct ns_stack *s);
void ns_ep_free_all(struct ns_stack *s)
{
	struct ns_endpoint *ep = s->all;
	while (ep) {
		struct ns_endpoint *next = ep->all_next;
		ep_free(ep);
		ep = next;
	}
	s->all = NULL;
	struct ns_proto_table *tabs[] = {&s->tcp, &s->udp, &s->ping};
	for (size_t t = 0; t < 3; t++) {
		for (int i = 0; i < NS_BIND_HASH; i++) {
			struct ns_bind_bucket *b = tabs[t]->bind[i];
			while (b) {
				struct ns_bind_bucket *n = b->next;
				free(b);
				b = n;
			}
		}
	}
}

/* ---- creation ---- */

int ns_ep_create(struct ns_stack *s, int domain, int type, int protocol,
		 struct ns_endpoint **out)
{
	if (domain != AF_INET && domain != AF_INET6)
		return -EAFNOSUPPORT;
	const struct ns_proto *p = NULL;
	/* inet_create: the type's protocol list, then the protocol. */
	switch (type) {
	case SOCK_STREAM:
		if (protocol == 0 || protocol == IPPROTO_TCP)
			p = &ns_tcp_proto;
		else
			return -EPROTONOSUPPORT;
		break;
	case SOCK_DGRAM:
		if (protocol == 0 || protocol == IPPROTO_UDP)
			p = &ns_udp_proto;
		else if ((domain == AF_INET && protocol == IPPROTO_ICMP) ||
			 (domain == AF_INET6 && protocol == IPPROTO_ICMPV6))
			p = &ns_ping_proto;
		else
			return -EPROTONOSUPPORT;
		break;
	case SOCK_RAW:
		return -EPROTONOSUPPORT;
	default:
		return -ESOCKTNOSUPPORT;
	}
	struct ns_endpoint *ep = calloc(1, p->size);
	if (!ep)
		return -ENOMEM;
	vmutex_init(&ep->lock, LOCK_CLASS(NETSTACK_ENDPOINT));
	atomic_init(&ep->refs, 1);
	ep->s = s;
	ep->proto = p;
	ep->domain = (uint8_t)domain;
	ep->type = (uint8_t)type;
	ep->protocol = (uint8_t)(p == &ns_ping_proto ? protocol : p->protocol);
	ep->heap_idx = -1;
	ep->state = NS_TCP_CLOSE;
	ep->heap_deadline = NS_TIME_NEVER;
	ep->deadline = NS_TIME_NEVER;
	if (domain == AF_INET)
		ip_set_v4(&ep->laddr, 0);
	vmutex_lock(&s->lock);
	ep->rcvbuf = s->sysctl.rmem_default;
	ep->sndbuf = s->sysctl.wmem_default;
	ep->all_next = s->all;
	if (s->all)
		s->all->all_prev = ep;
	s->all = ep;
	vmutex_unlock(&s->lock);
	if (p->init)
		p->init(ep);
	*out = ep;
	return 0;
}

void ns_ep_set_user(struct ns_endpoint *ep, void *user)
{
	ep_lock(ep);
	ep->user = user;
	ep_unlock(ep);
}

void ns_ep_set_owner(struct ns_endpoint *ep, uint32_t uid, uint64_t ino)
{
	ep_lock(ep);
	vmutex_lock(&ep->s->lock);
	ep->uid = uid;
	ep->ino = ino;
	vmutex_unlock(&ep->s->lock);
	ep_unlock(ep);
}

void ns_ep_close(struct ns_endpoint *ep)
{
	struct ns_stack *s = ep->s;
	ep_lock(ep);
	ep->user = NULL;
	ep->closed = true;
	ep->proto->close(ep);
	ep_unlock(ep);
	if (ep->proto->reap)
		ep->proto->reap(ep);
	ns_ep_wait_callbacks(ep);
	ns_stack_kick(s);
	ep_put(ep);
}

void ns_ep_kind(const struct ns_endpoint *ep, int *domain, int *type, int *protocol)
{
	if (domain)
		*domain = ep->domain;
	if (type)
		*type = ep->type;
	if (protocol)
		*protocol = ep->protocol;
}

/* ---- socket addresses ---- */

#define SIN6_LEN_RFC2133 24

size_t ns_iov_total(const struct iovec *iov, int iovcnt)
{
	size_t t = 0;
	for (int i = 0; i < iovcnt; i++)
		t += iov[i].iov_len;
	return t;
}

void ns_iov_copy(const struct iovec *iov, int iovcnt, size_t off, void *buf, size_t len,
		 bool to_iov)
{
	uint8_t *p = buf;
	for (int i = 0; i < iovcnt && len; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t n = iov[i].iov_len - off;
		if (n > len)
			n = len;
		uint8_t *v = (uint8_t *)iov[i].iov_base + off;
		memcpy(to_iov ? v : p, to_iov ? p : v, n);
		p += n;
		len -= n;
		off = 0;
	}
}

void ns_sockaddr_out(const struct ns_endpoint *ep, const struct ns_ip *addr, uint16_t port,
		     struct sockaddr_storage *sa, socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	if (ep->domain == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)sa;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		memcpy(&sin->sin_addr, addr->b + 12, 4);
		*len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)sa;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		memcpy(&sin6->sin6_addr, addr->b, 16);
		*len = sizeof(*sin6);
	}
}

/* How a sockaddr is read: each call checks as its Linux counterpart. */
enum sa_mode { SA_BIND, SA_CONNECT, SA_SENDTO };

/* 0 with addr and port set, 1 for "no address" (AF_UNSPEC where Linux takes
 * it so), or -errno. */
static int sockaddr_parse(const struct ns_endpoint *ep, const struct sockaddr *sa, socklen_t len,
			  enum sa_mode mode, struct ns_ip *addr, uint16_t *port)
{
	bool dgram = ep->type == SOCK_DGRAM;
	if (mode == SA_CONNECT && len < sizeof(sa_family_t))
		return -EINVAL;
	if (mode == SA_CONNECT && sa->sa_family == AF_UNSPEC)
		return 1;
	if (ep->domain == AF_INET6 && mode == SA_SENDTO && len < offsetof(struct sockaddr, sa_data))
		return -EINVAL;
	/* The family is read only when the address holds one. */
	int fam = len >= sizeof(sa_family_t) ? sa->sa_family : -1;
	/* An AF_INET6 datagram socket takes an AF_INET address for connect
	 * and sendto (__ip6_datagram_connect, udpv6_sendmsg). */
	bool v4 = ep->domain == AF_INET ||
		  (dgram && fam == AF_INET && (mode == SA_CONNECT || mode == SA_SENDTO));
	if (v4 && ep->domain == AF_INET6 && ep->v6only)
		return mode == SA_CONNECT ? -EAFNOSUPPORT : -ENETUNREACH;
	if (v4) {
		if (len < sizeof(struct sockaddr_in))
			return -EINVAL;
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		if (fam != AF_INET) {
			if (mode == SA_BIND &&
			    !(fam == AF_UNSPEC && sin->sin_addr.s_addr == htonl(INADDR_ANY)))
				return -EAFNOSUPPORT;
			if (mode == SA_CONNECT)
				return -EAFNOSUPPORT;
			if (mode == SA_SENDTO && fam != AF_UNSPEC)
				return -EAFNOSUPPORT;
		}
		ip_set_v4(addr, ntohl(sin->sin_addr.s_addr));
		*port = ntohs(sin->sin_port);
		return 0;
	}
	if (mode == SA_SENDTO && fam == AF_UNSPEC)
		return 1;
	if (mode == SA_SENDTO && fam != AF_INET6)
		return -EINVAL;
	if (len < SIN6_LEN_RFC2133)
		return -EINVAL;
	if (fam != AF_INET6)
		return -EAFNOSUPPORT;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	memcpy(addr->b, &sin6->sin6_addr, 16);
	*port = ntohs(sin6->sin6_port);
	return 0;
}

int ns_sockaddr_in(const struct ns_endpoint *ep, const struct sockaddr *sa, socklen_t len,
		   struct ns_ip *addr, uint16_t *port, bool *unspec)
{
	int r = sockaddr_parse(ep, sa, len, SA_SENDTO, addr, port);
	*unspec = r == 1;
	return r < 0 ? r : 0;
}

/* ---- the bind table ---- */

static unsigned int port_slot(uint16_t port)
{
	return port & (NS_BIND_HASH - 1);
}

static struct ns_bind_bucket *bucket_find(struct ns_proto_table *t, uint16_t port)
{
	for (struct ns_bind_bucket *b = t->bind[port_slot(port)]; b; b = b->next)
		if (b->port == port)
			return b;
	return NULL;
}

/* Does ep receive IPv4 / IPv6 at its local address? */
static bool covers_v4(const struct ns_endpoint *ep)
{
	if (ep->domain == AF_INET)
		return true;
	return ip_is_v4(&ep->laddr) || (ip_is_zero6(&ep->laddr) && !ep->v6only);
}

static bool covers_v6(const struct ns_endpoint *ep)
{
	return ep->domain == AF_INET6 && !ip_is_v4(&ep->laddr);
}

/* inet_rcv_saddr_equal(match_wildcard): the addresses overlap. */
static bool addr_overlap(const struct ns_endpoint *a, const struct ns_endpoint *b)
{
	if (covers_v6(a) && covers_v6(b) &&
	    (ip_is_zero6(&a->laddr) || ip_is_zero6(&b->laddr) || ip_eq(&a->laddr, &b->laddr)))
		return true;
	if (covers_v4(a) && covers_v4(b)) {
		uint32_t x = ip_is_v4(&a->laddr) ? ip_v4(&a->laddr) : 0;
		uint32_t y = ip_is_v4(&b->laddr) ? ip_v4(&b->laddr) : 0;
		if (x == 0 || y == 0 || x == y)
			return true;
	}
	return false;
}

static bool bind_conflict(const struct ns_endpoint *ep, const struct ns_endpoint *o, bool strict)
{
	/* An intercepting endpoint takes no port from the application. */
	if (ep->intercept || o->intercept)
		return false;
	/* inet_bind_conflict, udp_lib_lport_inuse: endpoints bound to two
	 * different interfaces never meet. */
	if (ep->bound_dev && o->bound_dev && ep->bound_dev != o->bound_dev)
		return false;
	/* Ping identifiers conflict whatever the addresses (ping_get_port). */
	if (ep->type == SOCK_DGRAM && ep->protocol != IPPROTO_UDP)
		return !(ep->reuseaddr && o->reuseaddr) || strict;
	if (!strict && ep->reuseaddr && o->reuseaddr && !o->listening)
		return false;
	if (!strict && ep->reuseport && o->reuseport && (o->tw || o->uid == ep->uid))
		return false;
	return addr_overlap(ep, o);
}

static bool bucket_conflict(const struct ns_endpoint *ep, const struct ns_bind_bucket *b,
			    bool strict)
{
	for (const struct ns_endpoint *o = b->owners; o; o = o->bind_next)
		if (o != ep && bind_conflict(ep, o, strict))
			return true;
	return false;
}

static bool bucket_connect_only(const struct ns_bind_bucket *b)
{
	for (const struct ns_endpoint *o = b->owners; o; o = o->bind_next)
		if (!o->connect_port)
			return false;
	return true;
}

static int bind_insert_locked(struct ns_endpoint *ep, uint16_t port, struct ns_bind_bucket *b)
{
	struct ns_proto_table *t = ns_table(ep->s, ep->protocol);
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		b->port = port;
		b->next = t->bind[port_slot(port)];
		t->bind[port_slot(port)] = b;
	}
	ep->bind_next = b->owners;
	b->owners = ep;
	b->count++;
	ep->bucket = b;
	ep->lport = port;
	ep->bound = true;
	return 0;
}

static void bind_remove_locked(struct ns_endpoint *ep)
{
	if (!ep->bound)
		return;
	struct ns_bind_bucket *b = ep->bucket;
	for (struct ns_endpoint **pp = &b->owners; *pp; pp = &(*pp)->bind_next) {
		if (*pp == ep) {
			*pp = ep->bind_next;
			break;
		}
	}
	ep->bind_next = NULL;
	ep->bound = false;
	ep->bucket = NULL;
	if (--b->count == 0) {
		struct ns_proto_table *t = ns_table(ep->s, ep->protocol);
		for (struct ns_bind_bucket **pp = &t->bind[port_slot(b->port)]; *pp;
		     pp = &(*pp)->next) {
			if (*pp == b) {
				*pp = b->next;
				break;
			}
		}
		free(b);
	}
}

void ns_port_unbind_locked(struct ns_endpoint *ep)
{
	bind_remove_locked(ep);
	if (!ep->port_locked)
		ep->lport = 0;
}

void ns_port_unbind(struct ns_endpoint *ep)
{
	vmutex_lock(&ep->s->lock);
	ns_port_unbind_locked(ep);
	vmutex_unlock(&ep->s->lock);
}

static uint32_t port_range(const struct ns_stack *s, uint16_t *lo)
{
	*lo = s->sysctl.port_lo;
	return (uint32_t)s->sysctl.port_hi - s->sysctl.port_lo + 1;
}

int ns_port_bind(struct ns_endpoint *ep, uint16_t port)
{
	struct ns_stack *s = ep->s;
	struct ns_proto_table *t = ns_table(s, ep->protocol);
	int r = -EADDRINUSE;
	vmutex_lock(&s->lock);
	if (port) {
		struct ns_bind_bucket *b = bucket_find(t, port);
		if (!b || !bucket_conflict(ep, b, false))
			r = bind_insert_locked(ep, port, b);
	} else {
		/* inet_csk_find_open_port: a port with no overlapping owner. */
		uint16_t lo;
		uint32_t n = port_range(s, &lo);
		uint32_t start = s->ephemeral_next;
		for (uint32_t i = 0; i < n; i++) {
			uint16_t p = (uint16_t)(lo + (start + i) % n);
			struct ns_bind_bucket *b = bucket_find(t, p);
			if (b && bucket_conflict(ep, b, true))
				continue;
			r = bind_insert_locked(ep, p, b);
			s->ephemeral_next = start + i + 1;
			break;
		}
	}
	vmutex_unlock(&s->lock);
	return r;
}

int ns_port_listen(struct ns_endpoint *ep)
{
	struct ns_stack *s = ep->s;
	vmutex_lock(&s->lock);
	int r = ep->bound && bucket_conflict(ep, ep->bucket, false) ? -EADDRINUSE : 0;
	if (!r)
		ep->listening = true;
	vmutex_unlock(&s->lock);
	return r;
}

/* ---- the connection table ---- */

static unsigned int conn_slot(const struct ns_stack *s, const struct ns_ip *la, uint16_t lp,
			      const struct ns_ip *ra, uint16_t rp)
{
	uint32_t h = (uint32_t)s->seed[0];
	const uint8_t *parts[2] = {la->b, ra->b};
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 16; i += 4) {
			h ^= get32(parts[k] + i);
			h *= 0x9e3779b1u;
			h ^= h >> 15;
		}
	}
	h ^= (uint32_t)lp << 16 | rp;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	return h & (NS_CONN_HASH - 1);
}

void ns_conn_hash_locked(struct ns_endpoint *ep)
{
	if (ep->hashed)
		return;
	struct ns_proto_table *t = ns_table(ep->s, ep->protocol);
	unsigned int slot = conn_slot(ep->s, &ep->laddr, ep->lport, &ep->raddr, ep->rport);
	ep->conn_next = t->conn[slot];
	t->conn[slot] = ep;
	ep->hashed = true;
}

void ns_conn_unhash_locked(struct ns_endpoint *ep)
{
	if (!ep->hashed)
		return;
	struct ns_proto_table *t = ns_table(ep->s, ep->protocol);
	unsigned int slot = conn_slot(ep->s, &ep->laddr, ep->lport, &ep->raddr, ep->rport);
	for (struct ns_endpoint **pp = &t->conn[slot]; *pp; pp = &(*pp)->conn_next) {
		if (*pp == ep) {
			*pp = ep->conn_next;
			break;
		}
	}
	ep->conn_next = NULL;
	ep->hashed = false;
}

void ns_conn_unhash(struct ns_endpoint *ep)
{
	vmutex_lock(&ep->s->lock);
	ns_conn_unhash_locked(ep);
	vmutex_unlock(&ep->s->lock);
}

static struct ns_endpoint *conn_find(struct ns_stack *s, struct ns_proto_table *t,
				     const struct ns_ip *la, uint16_t lp, const struct ns_ip *ra,
				     uint16_t rp)
{
	for (struct ns_endpoint *e = t->conn[conn_slot(s, la, lp, ra, rp)]; e; e = e->conn_next)
		if (e->lport == lp && e->rport == rp && ip_eq(&e->laddr, la) &&
		    ip_eq(&e->raddr, ra))
			return e;
	return NULL;
}

/* tcp_twsk_unique: may a new connection take this TIME_WAIT's 4-tuple?
 * With timestamps, once a second has passed since it last heard from the
 * peer, and (tcp_tw_reuse 2) only over loopback. */
static bool tw_reusable(struct ns_stack *s, const struct ns_endpoint *tw)
{
	if (!tw->tw || !tw->tw_has_ts || s->sysctl.tcp_tw_reuse == 0)
		return false;
	if (s->sysctl.tcp_tw_reuse == 2 &&
	    !(ip_is_loopback(&tw->laddr) && ip_is_loopback(&tw->raddr)))
		return false;
	return ns_now(s) >= tw->tw_ts_stamp + NS_NSEC_PER_SEC;
}

int ns_port_connect(struct ns_endpoint *ep, const struct ns_ip *src, const struct ns_ip *raddr,
		    uint16_t rport, struct ns_endpoint **tw_victim)
{
	struct ns_stack *s = ep->s;
	struct ns_proto_table *t = ns_table(s, ep->protocol);
	int r = -EADDRNOTAVAIL;
	*tw_victim = NULL;
	vmutex_lock(&s->lock);
	struct ns_ip la = ip_is_any(&ep->laddr) ? *src : ep->laddr;
	if (ep->bound) {
		struct ns_endpoint *o = conn_find(s, t, &la, ep->lport, raddr, rport);
		if (o && o != ep && !tw_reusable(s, o))
			goto out;
		if (o && o != ep) {
			ns_conn_unhash_locked(o);
			ep_get(o);
			*tw_victim = o;
		}
	} else {
		uint16_t lo;
		uint32_t n = port_range(s, &lo);
		/* Linux starts from a hash of the destination, so that
		 * connections to different places spread over the range. */
		uint64_t h;
		uint8_t key[34];
		memcpy(key, la.b, 16);
		memcpy(key + 16, raddr->b, 16);
		put16(key + 32, rport);
		ns_stack_seed_hash(s, key, sizeof(key), &h);
		uint32_t start = (uint32_t)h + s->ephemeral_next;
		bool found = false;
		for (uint32_t i = 0; i < n && !found; i++) {
			uint16_t p = (uint16_t)(lo + (start + i) % n);
			struct ns_bind_bucket *b = bucket_find(t, p);
			if (b && !bucket_connect_only(b))
				continue;
			struct ns_endpoint *o = conn_find(s, t, &la, p, raddr, rport);
			if (o && !tw_reusable(s, o))
				continue;
			if (o) {
				ns_conn_unhash_locked(o);
				ep_get(o);
				*tw_victim = o;
			}
			ep->connect_port = true;
			if (bind_insert_locked(ep, p, b)) {
				ep->connect_port = false;
				goto out;
			}
			s->ephemeral_next += 2;
			found = true;
		}
		if (!found)
			goto out;
	}
	ep->laddr = la;
	ep->raddr = *raddr;
	ep->rport = rport;
	ns_conn_hash_locked(ep);
	r = 0;
out:
	vmutex_unlock(&s->lock);
	return r;
}

/* ---- input lookup ---- */

static int match_score(const struct ns_endpoint *o, int protocol, const struct ns_ip *saddr,
		       uint16_t sport, const struct ns_ip *daddr, int ifindex)
{
	bool v4 = ip_is_v4(daddr);
	int score = 0;
	if (o->bound_dev && ifindex) {
		if (o->bound_dev != ifindex)
			return -1;
		score = 4; /* compute_score: a device match counts */
	}
	if (v4) {
		if (!covers_v4(o))
			return -1;
		score += o->domain == AF_INET ? 2 : 1;
		if (ip_is_v4(&o->laddr) && ip_v4(&o->laddr) != 0) {
			if (!ip_eq(&o->laddr, daddr))
				return -1;
			score += 4;
		}
	} else {
		if (!covers_v6(o))
			return -1;
		score += 1;
		if (!ip_is_zero6(&o->laddr)) {
			if (!ip_eq(&o->laddr, daddr))
				return -1;
			score += 4;
		}
	}
	if (protocol == IPPROTO_TCP && !o->listening)
		return -1;
	if (protocol == IPPROTO_UDP && o->rport) {
		if (o->rport != sport || !ip_eq(&o->raddr, saddr))
			return -1;
		score += 8;
	}
	if (protocol != IPPROTO_TCP && protocol != IPPROTO_UDP) {
		/* ping: the family must be the datagram's. */
		if ((o->domain == AF_INET) != v4)
			return -1;
	}
	return score;
}

struct ns_endpoint *ns_lookup(struct ns_stack *s, int protocol, const struct ns_ip *saddr,
			      uint16_t sport, const struct ns_ip *daddr, uint16_t dport)
{
	return ns_lookup_dev(s, protocol, saddr, sport, daddr, dport, 0);
}

struct ns_endpoint *ns_lookup_dev(struct ns_stack *s, int protocol, const struct ns_ip *saddr,
				  uint16_t sport, const struct ns_ip *daddr, uint16_t dport,
				  int ifindex)
{
	struct ns_proto_table *t = ns_table(s, protocol);
	struct ns_endpoint *best = NULL;
	vmutex_lock(&s->lock);
	if (protocol == IPPROTO_TCP)
		best = conn_find(s, t, daddr, dport, saddr, sport);
	if (!best) {
		struct ns_bind_bucket *b = bucket_find(t, dport);
		int best_score = -1, nreuse = 0;
		uint64_t h = 0;
		for (struct ns_endpoint *o = b ? b->owners : NULL; o; o = o->bind_next) {
			int sc = match_score(o, protocol, saddr, sport, daddr, ifindex);
			if (sc < 0)
				continue;
			if (o->intercept && ip_eq(&o->laddr, daddr)) {
				best = o; /* as a DNAT rule, before any socket */
				break;
			}
			if (sc > best_score) {
				best = o;
				best_score = sc;
				nreuse = 1;
			} else if (sc == best_score && o->reuseport && best->reuseport) {
				/* SO_REUSEPORT: one of the group by the flow's hash. */
				if (!h) {
					uint8_t key[18];
					memcpy(key, saddr->b, 16);
					put16(key + 16, sport);
					ns_stack_seed_hash(s, key, sizeof(key), &h);
					h |= 1;
				}
				nreuse++;
				if ((h >> 8) % (uint64_t)nreuse == 0)
					best = o;
			}
		}
	}
	if (best)
		ep_get(best);
	vmutex_unlock(&s->lock);
	return best;
}

int ns_lookup_all(struct ns_stack *s, int protocol, const struct ns_ip *daddr, uint16_t dport,
		  int ifindex, struct ns_endpoint ***out)
{
	struct ns_proto_table *t = ns_table(s, protocol);
	vmutex_lock(&s->lock);
	struct ns_bind_bucket *b = bucket_find(t, dport);
	int n = 0;
	struct ns_endpoint **v = calloc(b ? (size_t)b->count : 1, sizeof(*v));
	for (struct ns_endpoint *o = b ? b->owners : NULL; v && o; o = o->bind_next) {
		/* IPv4 sockets and dual-stack IPv6 ones, on the wildcard or on
		 * the broadcast address, not connected elsewhere. */
		if (!covers_v4(o) || o->rport || (o->bound_dev && ifindex && o->bound_dev != ifindex))
			continue;
		if (ip_is_v4(&o->laddr) && ip_v4(&o->laddr) != 0 && !ip_eq(&o->laddr, daddr))
			continue;
		ep_get(o);
		v[n++] = o;
	}
	vmutex_unlock(&s->lock);
	*out = v;
	return v ? n : -ENOMEM;
}

/* ---- routes for endpoints ---- */

int ns_ep_route(struct ns_endpoint *ep, const struct ns_ip *dst, struct ns_rt *rt)
{
	unsigned int gen = atomic_load(&ep->s->route_gen);
	if (ep->rt_valid && ep->rt_gen == gen && ip_eq(&ep->rt_dst, dst) &&
	    (ip_is_any(&ep->laddr) || ip_eq(&ep->rt.src, &ep->laddr))) {
		*rt = ep->rt;
		return 0;
	}
	int r = ns_route_lookup(ep->s, dst, &ep->laddr, rt);
	if (r)
		return r;
	/* SO_BINDTODEVICE: only routes out of that interface (Linux's oif
	 * lookup); what stays on this host goes over loopback either way. */
	if (ep->bound_dev && !rt->local && rt->nic && rt->nic->ifindex != ep->bound_dev)
		return -ENETUNREACH;
	ep->rt = *rt;
	ep->rt_dst = *dst;
	ep->rt_gen = gen;
	ep->rt_valid = true;
	return 0;
}

void ns_any_to_loopback(const struct ns_endpoint *ep, struct ns_ip *dst)
{
	if (ip_is_v4(dst) && ip_v4(dst) == 0)
		ip_set_v4(dst, INADDR_LOOPBACK);
	else if (ip_is_zero6(dst)) {
		if (ep->domain == AF_INET6 && ip_is_v4(&ep->laddr))
			ip_set_v4(dst, INADDR_LOOPBACK);
		else
			memcpy(dst->b, &in6addr_loopback, 16);
	}
}

uint8_t ns_ep_tos(const struct ns_endpoint *ep, const struct ns_ip *dst)
{
	return ep->domain == AF_INET6 && ip_is_v4(dst) ? ep->tos4 : ep->tos;
}

uint8_t ns_ep_ttl(struct ns_endpoint *ep, const struct ns_ip *dst)
{
	(void)dst;
	return ep->ttl ? ep->ttl : ep->s->sysctl.ip_default_ttl;
}

/* ---- the public calls ---- */

static bool capable_port(struct ns_endpoint *ep, uint16_t port, unsigned int flags)
{
	return port == 0 || port >= ep->s->sysctl.unprivileged_port_start ||
	       (flags & NS_BIND_PRIVILEGED);
}

int ns_ep_bind(struct ns_endpoint *ep, const struct sockaddr *sa, socklen_t len,
	       unsigned int flags)
{
	struct ns_ip addr;
	uint16_t port;
	int r = sockaddr_parse(ep, sa, len, SA_BIND, &addr, &port);
	if (r < 0)
		return r;
	bool ping = ep->type == SOCK_DGRAM && ep->protocol != IPPROTO_UDP;
	ep_lock(ep);
	/* __inet_bind / __inet6_bind, in their order. */
	if (ep->domain == AF_INET6 && ip_is_v4(&addr) && ep->v6only) {
		r = -EINVAL;
		goto out;
	}
	if (!ip_is_any(&addr) && !ns_addr_is_local(ep->s, &addr) &&
	    !(ip_is_v4(&addr) && ns_addr_is_broadcast(ep->s, &addr))) {
		r = -EADDRNOTAVAIL;
		goto out;
	}
	if (ip_is_multicast(&addr)) {
		r = -EADDRNOTAVAIL;
		goto out;
	}
	if (!ping && !capable_port(ep, port, flags)) {
		r = -EACCES;
		goto out;
	}
	if (ep->state != NS_TCP_CLOSE || ep->lport) {
		r = -EINVAL;
		goto out;
	}
	/* As __inet6_bind: a socket bound to one IPv6 address (not a mapped
	 * one) takes no IPv4, and IPV6_V6ONLY says so from here on. */
	bool saved_v6only = ep->v6only;
	if (ep->domain == AF_INET6 && !ip_is_any(&addr) && !ip_is_v4(&addr))
		ep->v6only = true;
	vmutex_lock(&ep->s->lock);
	ep->laddr = addr;
	ep->intercept = (flags & NS_BIND_INTERCEPT) && !ip_is_any(&addr) && port != 0;
	vmutex_unlock(&ep->s->lock);
	r = ns_port_bind(ep, port);
	if (r) {
		ep->v6only = saved_v6only;
		vmutex_lock(&ep->s->lock);
		memset(&ep->laddr, 0, sizeof(ep->laddr));
		if (ep->domain == AF_INET)
			ip_set_v4(&ep->laddr, 0);
		ep->intercept = false;
		vmutex_unlock(&ep->s->lock);
		goto out;
	}
	ep->addr_locked = !ip_is_any(&addr);
	ep->port_locked = port != 0;
	ep_hold_proto(ep);
out:
	ep_unlock(ep);
	return r;
}

int ns_ep_connect(struct ns_endpoint *ep, const struct sockaddr *sa, socklen_t len)
{
	struct ns_ip addr;
	uint16_t port = 0;
	int r = sockaddr_parse(ep, sa, len, SA_CONNECT, &addr, &port);
	if (r < 0)
		return r;
	ep_lock(ep);
	if (r == 1)
		r = ep->proto->disconnect(ep);
	else
		r = ep->proto->connect(ep, &addr, port);
	ep_unlock(ep);
	if (ep->proto->reap)
		ep->proto->reap(ep);
	ns_stack_kick(ep->s);
	return r;
}

int ns_ep_listen(struct ns_endpoint *ep, int backlog)
{
	if (!ep->proto->listen)
		return -EOPNOTSUPP;
	ep_lock(ep);
	int r = ep->proto->listen(ep, backlog);
	ep_unlock(ep);
	ns_stack_kick(ep->s);
	return r;
}

int ns_ep_accept(struct ns_endpoint *ep, struct ns_endpoint **child, struct sockaddr_storage *peer,
		 socklen_t *peerlen)
{
	if (!ep->proto->accept)
		return -EOPNOTSUPP;
	ep_lock(ep);
	int r = ep->proto->accept(ep, child);
	ep_unlock(ep);
	if (r == 0 && peer) {
		struct ns_endpoint *c = *child;
		ep_lock(c);
		ns_sockaddr_out(c, &c->raddr, c->rport, peer, peerlen);
		ep_unlock(c);
	}
	ns_stack_kick(ep->s);
	return r;
}

ssize_t ns_ep_sendmsg(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
		      const struct sockaddr *to, socklen_t tolen)
{
	return ns_ep_sendmsg_src(ep, iov, iovcnt, flags, to, tolen, NULL);
}

ssize_t ns_ep_sendmsg_src(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
			  const struct sockaddr *to, socklen_t tolen,
			  const struct ns_send_src *src)
{
	struct ns_ip addr;
	uint16_t port = 0;
	const struct ns_ip *dst = NULL;
	if (flags & MSG_OOB) {
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
		return -EOPNOTSUPP;
	}
	if (to && ep->type == SOCK_DGRAM) {
		int r = sockaddr_parse(ep, to, tolen, SA_SENDTO, &addr, &port);
		if (r < 0)
			return r;
		if (r == 0)
			dst = &addr;
	}
	size_t total = ns_iov_total(iov, iovcnt);
	struct ns_ip from;
	bool from_set = false;
	if (src && ep->type == SOCK_DGRAM) {
		if (src->ifindex && !ns_stack_has_nic(ep->s, src->ifindex))
			return -ENODEV;
		memcpy(from.b, src->addr, 16);
		from_set = !ip_is_any(&from);
	}
	/* The segments of one call leave in one kick: at its end, or in the
	 * transmitter's next poll (ns_stack_own_tx). */
	bool defer = ns_tx_for_owner(ep->s);
	if (defer)
		ns_tx_defer_begin();
	else
		ns_tx_batch_begin();
	ep_lock(ep);
	ep->tx_src_set = from_set;
	if (from_set)
		ep->tx_src = from;
	ssize_t r = ep->proto->send(ep, iov, iovcnt, total, flags, dst, port);
	ep->tx_src_set = false;
	ep_unlock(ep);
	if (defer)
		ns_tx_defer_end(ep->s, true);
	else
		ns_tx_batch_end();
	ns_stack_kick(ep->s);
	return r;
}

ssize_t ns_ep_recvmsg(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
		      struct sockaddr_storage *from, socklen_t *fromlen, int *msg_flags)
{
	return ns_ep_recvmsg_meta(ep, iov, iovcnt, flags, from, fromlen, msg_flags, NULL);
}

ssize_t ns_ep_recvmsg_meta(struct ns_endpoint *ep, const struct iovec *iov, int iovcnt, int flags,
			   struct sockaddr_storage *from, socklen_t *fromlen, int *msg_flags,
			   struct ns_recv_meta *meta)
{
	struct ns_ip addr;
	uint16_t port = 0;
	int mf = 0;
	memset(&addr, 0, sizeof(addr));
	ns_tx_batch_begin(); /* a window update leaves after the unlock */
	ep_lock(ep);
	ep->rx_meta = false;
	ssize_t r = ep->proto->recv(ep, iov, iovcnt, flags, &addr, &port, &mf);
	if (meta) {
		meta->valid = r >= 0 && ep->rx_meta;
		meta->want_tos = ep->recvtos;
		meta->want_ttl = ep->recvttl;
		meta->tos = ep->rx_tos;
		meta->ttl = ep->rx_ttl;
		meta->stamp = ep->rx_stamp;
		meta->want_pktinfo = ep->pktinfo;
		meta->want_pktinfo6 = ep->recvpktinfo6;
		meta->want_hoplimit = ep->recvhoplimit;
		meta->ifindex = ep->rx_ifindex;
		memcpy(meta->dst, ep->rx_daddr, 16);
		meta->spec_dst = ep->rx_spec_dst;
	}
	ep_unlock(ep);
	ns_tx_batch_end();
	if (r >= 0 && from && fromlen) {
		if (port || !ip_is_zero6(&addr))
			ns_sockaddr_out(ep, &addr, port, from, fromlen);
		else
			*fromlen = 0;
	}
	if (msg_flags)
		*msg_flags = mf;
	ns_stack_kick(ep->s);
	return r;
}

int ns_ep_shutdown(struct ns_endpoint *ep, int how)
{
	/* inet_shutdown: SHUT_RD 0 -> 1, SHUT_WR 1 -> 2, SHUT_RDWR 2 -> 3. */
	unsigned int h = (unsigned int)how + 1;
	if ((h & ~3u) || !h)
		return -EINVAL;
	ep_lock(ep);
	int r = ep->proto->shutdown(ep, (int)h);
	ep_unlock(ep);
	if (ep->proto->reap)
		ep->proto->reap(ep);
	ns_ep_notify(ep);
	ns_stack_kick(ep->s);
	return r;
}

int ns_ep_getname(struct ns_endpoint *ep, struct sockaddr_storage *sa, socklen_t *len, int peer)
{
	int r = 0;
	ep_lock(ep);
	if (peer) {
		/* inet_getname: no peer, or still (or again) unconnected. */
		if (!ep->rport || ep->state == NS_TCP_CLOSE || ep->state == NS_TCP_SYN_SENT)
			r = -ENOTCONN;
		else
			ns_sockaddr_out(ep, &ep->raddr, ep->rport, sa, len);
	} else {
		ns_sockaddr_out(ep, &ep->laddr, ep->lport, sa, len);
	}
	ep_unlock(ep);
	return r;
}

uint32_t ns_ep_poll(struct ns_endpoint *ep)
{
	ep_lock(ep);
	uint32_t m = ep->proto->poll(ep);
	ep_unlock(ep);
	return m;
}

int ns_ep_queues(struct ns_endpoint *ep, int *inq, int *outq, int *notsent)
{
	int i = 0, o = 0, n = 0;
	ep_lock(ep);
	bool listening = ep->listening;
	if (!listening)
		ep->proto->queues(ep, &i, &o, &n);
	ep_unlock(ep);
	if (listening)
		return -EINVAL;
	if (inq)
		*inq = i;
	if (outq)
		*outq = o;
	if (notsent)
		*notsent = n;
	return 0;
}

/* ---- options ---- */

int ns_sockopt_int(const void *val, socklen_t len, int *out)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

int ns_sockopt_put_int(void *val, socklen_t *len, int v)
{
	if ((int)*len < 0)
		return -EINVAL;
	socklen_t n = *len < sizeof(int) ? *len : sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

/* sock_setsockopt's SO_RCVBUF/SO_SNDBUF: clamp to the sysctl maximum
 * (unless forced, CAP_NET_ADMIN being the caller's check), double it for
 * the bookkeeping overhead, and not below the minimum. */
static uint32_t sock_buf_size(int v, bool force, uint32_t max, uint32_t min)
{
	uint32_t u = (uint32_t)v;
	if (!force && u > max)
		u = max;
	if (force && v < 0)
		u = 0;
	u = u > INT_MAX / 2 ? INT_MAX : u * 2;
	return u < min ? min : u;
}

static int sol_socket_set(struct ns_endpoint *ep, int name, const void *val, socklen_t len)
{
	struct ns_stack *s = ep->s;
	int v;
	if (name == SO_LINGER) {
		struct linger l;
		if (len < sizeof(l))
			return -EINVAL;
		memcpy(&l, val, sizeof(l));
		ep->linger_on = l.l_onoff != 0;
		ep->linger_secs = l.l_linger;
		return 0;
	}
	int r = ns_sockopt_int(val, len, &v);
	if (r)
		return r;
	switch (name) {
	case SO_BINDTOIFINDEX:
		/* sock_bindtoindex_locked: 0 unbinds; any other index is
		 * taken as given (an interface that does not exist matches no
		 * packet and no route). */
		if (v < 0)
			return -EINVAL;
		vmutex_lock(&s->lock);
		ep->bound_dev = v;
		vmutex_unlock(&s->lock);
		ep->rt_valid = false;
		return 0;
	case SO_REUSEADDR:
		vmutex_lock(&s->lock);
		ep->reuseaddr = v != 0;
		vmutex_unlock(&s->lock);
		return 0;
	case SO_REUSEPORT:
		vmutex_lock(&s->lock);
		ep->reuseport = v != 0;
		vmutex_unlock(&s->lock);
		return 0;
	case SO_KEEPALIVE:
		ep->keepalive = v != 0;
		break;
	case SO_BROADCAST:
		ep->broadcast = v != 0;
		return 0;
	case SO_OOBINLINE:
		ep->oobinline = v != 0;
		return 0;
	case SO_DONTROUTE:
		ep->dontroute = v != 0;
		return 0;
	case SO_NO_CHECK:
		ep->no_check = v != 0;
		return 0;
	case SO_PRIORITY:
		if (v < 0 || v > 6)
			return -EPERM; /* above 6 needs CAP_NET_ADMIN */
		ep->priority = v;
		return 0;
	case SO_RCVLOWAT:
		ep->rcvlowat = v < 0 ? INT_MAX : (v == 0 ? 1 : v);
		return 0;
	case SO_RCVBUF:
	case SO_RCVBUFFORCE:
		ep->rcvbuf = sock_buf_size(v, name == SO_RCVBUFFORCE, s->sysctl.rmem_max,
					   SOCK_MIN_RCVBUF);
		ep->rcvbuf_locked = true;
		break;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE:
		ep->sndbuf = sock_buf_size(v, name == SO_SNDBUFFORCE, s->sysctl.wmem_max,
					   SOCK_MIN_SNDBUF);
		ep->sndbuf_locked = true;
		ns_ep_notify(ep); /* POLLOUT may have changed */
		break;
	default:
		ns_count(s, NS_CTR_UNSUPPORTED_OPTION);
		return -ENOPROTOOPT;
	}
	if (ep->proto->bufs_changed)
		ep->proto->bufs_changed(ep);
	return 0;
}

static int sol_socket_get(struct ns_endpoint *ep, int name, void *val, socklen_t *len)
{
	int v;
	switch (name) {
	case SO_BINDTOIFINDEX:
		v = ep->bound_dev;
		break;
	case SO_TYPE:
		v = ep->type;
		break;
	case SO_DOMAIN:
		v = ep->domain;
		break;
	case SO_PROTOCOL:
		v = ep->protocol;
		break;
	case SO_ERROR:
		v = -ns_sock_error(ep);
		if (!v) {
			v = ep->so_error_soft;
			ep->so_error_soft = 0;
		}
		break;
	case SO_ACCEPTCONN:
		v = ep->listening;
		break;
	case SO_REUSEADDR:
		v = ep->reuseaddr;
		break;
	case SO_REUSEPORT:
		v = ep->reuseport;
		break;
	case SO_KEEPALIVE:
		v = ep->keepalive;
		break;
	case SO_BROADCAST:
		v = ep->broadcast;
		break;
	case SO_OOBINLINE:
		v = ep->oobinline;
		break;
	case SO_DONTROUTE:
		v = ep->dontroute;
		break;
	case SO_NO_CHECK:
		v = ep->no_check;
		break;
	case SO_PRIORITY:
		v = ep->priority;
		break;
	case SO_RCVLOWAT:
		v = ep->rcvlowat ? ep->rcvlowat : 1;
		break;
	case SO_SNDLOWAT:
		v = 1;
		break;
	case SO_RCVBUF:
		v = (int)ep->rcvbuf;
		break;
	case SO_SNDBUF:
		v = (int)ep->sndbuf;
		break;
	case SO_LINGER: {
		struct linger l = {ep->linger_on, ep->linger_secs};
		if ((int)*len < 0)
			return -EINVAL;
		socklen_t n = *len < sizeof(l) ? *len : sizeof(l);
		memcpy(val, &l, n);
		*len = n;
		return 0;
	}
	default:
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
		return -ENOPROTOOPT;
	}
	return ns_sockopt_put_int(val, len, v);
}

int ns_ep_setsockopt(struct ns_endpoint *ep, int level, int name, const void *val, socklen_t len)
{
	ep_lock(ep);
	int r = ep->proto->setsockopt ? ep->proto->setsockopt(ep, level, name, val, len)
				      : -ENOPROTOOPT;
	if (r == -ENOPROTOOPT && level == SOL_SOCKET)
		r = sol_socket_set(ep, name, val, len);
	else if (r == -ENOPROTOOPT)
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
	ep_unlock(ep);
	ns_stack_kick(ep->s);
	return r;
}

int ns_ep_getsockopt(struct ns_endpoint *ep, int level, int name, void *val, socklen_t *len)
{
	ep_lock(ep);
	int r = ep->proto->getsockopt ? ep->proto->getsockopt(ep, level, name, val, len)
				      : -ENOPROTOOPT;
	if (r == -ENOPROTOOPT && level == SOL_SOCKET)
		r = sol_socket_get(ep, name, val, len);
	else if (r == -ENOPROTOOPT)
		ns_count(ep->s, NS_CTR_UNSUPPORTED_OPTION);
	/* An IPv4 socket hands a level that is not its protocol's to
	 * ip_getsockopt, which answers EOPNOTSUPP for any level but SOL_IP
	 * (IPv6's ipv6_getsockopt answers ENOPROTOOPT). */
	int own = ep->type == SOCK_STREAM ? IPPROTO_TCP
		  : ep->protocol == IPPROTO_UDP ? IPPROTO_UDP
						: SOL_IP;
	if (r == -ENOPROTOOPT && ep->domain == AF_INET && level != SOL_SOCKET && level != SOL_IP &&
	    level != own)
		r = -EOPNOTSUPP;
	ep_unlock(ep);
	return r;
}

/* ---- /proc/net snapshots ---- */

int ns_stack_endpoints(struct ns_stack *s, int protocol, struct ns_ep_info **out)
{
	bool ping = protocol == IPPROTO_ICMP || protocol == IPPROTO_ICMPV6;
	vmutex_lock(&s->lock);
	size_t n = 0, cap = 16;
	for (struct ns_endpoint *e = s->all; e; e = e->all_next)
		n++;
	struct ns_endpoint **eps = calloc(n ? n : 1, sizeof(*eps));
	size_t k = 0;
	for (struct ns_endpoint *e = s->all; eps && e; e = e->all_next) {
		bool is_ping = e->type == SOCK_DGRAM && e->protocol != IPPROTO_UDP;
		if ((ping ? !is_ping : e->protocol != protocol) || !ep_tryget(e))
			continue;
		eps[k++] = e;
	}
	vmutex_unlock(&s->lock);
	if (!eps)
		return -ENOMEM;
	struct ns_ep_info *rows = malloc(cap * sizeof(*rows));
	size_t nrows = 0;
	uint64_t now = ns_now(s);
	for (size_t i = 0; i < k; i++) {
		struct ns_endpoint *e = eps[i];
		ep_lock(e);
		if (rows && nrows + 1 + 64 > cap) {
			size_t ncap = cap * 2 + 64;
			struct ns_ep_info *nr = realloc(rows, ncap * sizeof(*rows));
			if (nr) {
				rows = nr;
				cap = ncap;
			} else {
				free(rows);
				rows = NULL;
			}
		}
		if (rows) {
			int m = (int)(cap - nrows);
			memset(&rows[nrows], 0, sizeof(*rows) * (size_t)m);
			nrows += (size_t)e->proto->info(e, &rows[nrows], m, now);
		}
		ep_unlock(e);
		ep_put(e);
	}
	free(eps);
	if (!rows)
		return -ENOMEM;
	*out = rows;
	return (int)nrows;
}

/* Fill the address part of an info row. */
void ns_info_addrs(const struct ns_endpoint *ep, struct ns_ep_info *row);
void ns_info_addrs(const struct ns_endpoint *ep, struct ns_ep_info *row)
{
	row->family = ep->domain;
	row->protocol = ep->protocol;
	if (ep->domain == AF_INET) {
		memcpy(row->local, ep->laddr.b + 12, 4);
		memcpy(row->remote, ep->raddr.b + 12, 4);
	} else {
		memcpy(row->local, ep->laddr.b, 16);
		memcpy(row->remote, ep->raddr.b, 16);
	}
	row->lport = ep->lport;
	row->rport = ep->rport;
	row->uid = ep->uid;
	row->ino = ep->ino;
	row->refs = (uint32_t)atomic_load(&ep->refs);
	row->v6only = ep->domain == AF_INET6 && ep->v6only;
}

/* ---- children (TCP's accepted connections) ---- */

struct ns_endpoint *ns_ep_new_child(struct ns_endpoint *parent)
{
	const struct ns_proto *p = parent->proto;
	struct ns_stack *s = parent->s;
	struct ns_endpoint *ep = calloc(1, p->size);
	if (!ep)
		return NULL;
	vmutex_init(&ep->lock, LOCK_CLASS(NETSTACK_ENDPOINT));
	atomic_init(&ep->refs, 1);
	ep->s = s;
	ep->proto = p;
	ep->domain = parent->domain;
	ep->type = parent->type;
	ep->protocol = parent->protocol;
	ep->heap_idx = -1;
	ep->heap_deadline = NS_TIME_NEVER;
	ep->deadline = NS_TIME_NEVER;
	ep->state = NS_TCP_CLOSE;
	if (p->init)
		p->init(ep);
	/* What sk_clone_lock copies from the listener. */
	ep->reuseaddr = parent->reuseaddr;
	ep->reuseport = parent->reuseport;
	ep->v6only = parent->v6only;
	ep->port_locked = parent->port_locked;
	ep->uid = parent->uid;
	ep->rcvbuf = parent->rcvbuf;
	ep->sndbuf = parent->sndbuf;
	ep->rcvbuf_locked = parent->rcvbuf_locked;
	ep->sndbuf_locked = parent->sndbuf_locked;
	ep->keepalive = parent->keepalive;
	ep->broadcast = parent->broadcast;
	ep->oobinline = parent->oobinline;
	ep->dontroute = parent->dontroute;
	ep->linger_on = parent->linger_on;
	ep->linger_secs = parent->linger_secs;
	ep->rcvlowat = parent->rcvlowat;
	ep->priority = parent->priority;
	ep->tos = parent->tos;
	ep->tos4 = parent->tos4;
	ep->ttl = parent->ttl;
	ep->pmtudisc = parent->pmtudisc;
	ep->recvtos = parent->recvtos;
	ep->recvttl = parent->recvttl;
	vmutex_lock(&s->lock);
	ep->all_next = s->all;
	if (s->all)
		s->all->all_prev = ep;
	s->all = ep;
	vmutex_unlock(&s->lock);
	return ep;
}

void ns_port_inherit(struct ns_endpoint *child, struct ns_endpoint *parent)
{
	struct ns_stack *s = child->s;
	vmutex_lock(&s->lock);
	if (parent->bound && bind_insert_locked(child, parent->lport, parent->bucket) == 0)
		ns_conn_hash_locked(child);
	vmutex_unlock(&s->lock);
	ep_hold_proto(child);
}
