/*
 * inet.c — the AF_INET and AF_INET6 families: glue from the socket layer
 * (socket.h) to the netstack's endpoint API (netstack/netstack.h) on the
 * sandbox's stack (inet_stack.c).
 *
 * The netstack owns the protocol: every check, errno and queue is its
 * (it follows Linux's inet_* functions).  This file owns what is the
 * Sentry's: blocking (an ns_ep_* call answers -EAGAIN / -EINPROGRESS /
 * -EALREADY and the task waits on the socket's wait queue until the
 * stack's `ready` report wakes it, then calls again), SO_RCVTIMEO /
 * SO_SNDTIMEO, signals and restart, SIGPIPE, MSG_WAITALL, copying app
 * memory (the netstack cannot copy from app memory under its locks: sends
 * and datagrams go through bounce buffers, a stream receive copies from
 * the receive queue pinned in place, inet_recv_stream), and the SOL_SOCKET
 * options the socket core keeps, which it hands to the endpoint as they
 * change.
 *
 * A wait never loses a report: the waiter is on the queue before the call
 * that may answer -EAGAIN (waiter.h's sequence), and the report notifies
 * that queue.  No lock is held across a wait; s->lock is taken for the
 * socket core's fields and to let stream readers take turns.
 *
 * Raw sockets (SOCK_RAW) are not provided: EPERM without CAP_NET_RAW (as
 * Linux for an unprivileged caller), else EPROTONOSUPPORT (the netstack
 * has none; gVisor gives them only with --net-raw).  Ping sockets are
 * open to every group (Docker sets net.ipv4.ping_group_range to
 * "0 2147483647" in containers).
 */
#include "sentry/socket/inet.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "netstack/netstack.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/socket/socket.h"
#include "sentry/vfs/vfs.h"

#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515
#endif
#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD 0x894B
#endif

/* Bounce buffers: a stream moves at most this much per netstack call; a
 * datagram larger than DGRAM_MAX is EMSGSIZE before it is copied (the
 * largest IPv6 jumbo-less datagram fits). */
#define STREAM_CHUNK (256 * 1024)
#define DGRAM_MAX (65536 + 512)

struct inet_sock {
	struct socket s;
	struct ns_endpoint *ep; /* NULL after release */
	_Atomic bool owner_set; /* ns_ep_set_owner done (needs the file's inode) */
};

static const struct socket_ops inet_ops;

static struct inet_sock *I(struct socket *s)
{
	return (struct inet_sock *)s;
}

/* The endpoint learns its socket's inode and owner once the file exists
 * (/proc/net/tcp's uid and inode columns). */
static struct ns_endpoint *EP(struct socket *s)
{
	struct inet_sock *is = I(s);
	if (!atomic_load(&is->owner_set) && s->ino && is->ep) {
		atomic_store(&is->owner_set, true);
		ns_ep_set_owner(is->ep, s->uid, s->ino);
	}
	return is->ep;
}

/* ---------------------------------------------------------------- create */

/* The core's SO_SNDBUF/SO_RCVBUF start at the endpoint's (TCP: tcp_wmem[1]
 * and tcp_rmem[1], as Linux's tcp_init_sock; an accepted socket: its
 * listener's). */
static void init_bufs(struct socket *s, struct ns_endpoint *ep)
{
	int v;
	socklen_t len = sizeof(v);
	if (ns_ep_getsockopt(ep, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0)
		s->sndbuf = v;
	len = sizeof(v);
	if (ns_ep_getsockopt(ep, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
		s->rcvbuf = v;
}

static int inet_create_family(struct task *t, int family, int type, int protocol,
			      struct socket **out)
{
	struct ns_stack *stack = inet_stack();
	if (!stack)
		return -EAFNOSUPPORT;
	if (type == SOCK_RAW)
		return t && !vfs_capable(vfs_task_creds(t), CAP_NET_RAW) ? -EPERM
									  : -EPROTONOSUPPORT;
	if (protocol < 0 || protocol >= 263) /* IPPROTO_MAX, as Linux's inet_create */
		return -EINVAL;
	struct inet_sock *is = calloc(1, sizeof(*is));
	if (!is)
		return -ENOMEM;
	struct ns_endpoint *ep;
	int r = ns_ep_create(stack, family, type, protocol, &ep);
	if (r < 0) {
		free(is);
		return r;
	}
	int dom, ty, proto;
	ns_ep_kind(ep, &dom, &ty, &proto);
	socket_init(&is->s, t, family, type, proto, &inet_ops);
	init_bufs(&is->s, ep);
	is->ep = ep;
	ns_ep_set_user(ep, &is->s);
	*out = &is->s;
	return 0;
}

static int inet4_create(struct task *t, int type, int protocol, struct socket **out)
{
	return inet_create_family(t, AF_INET, type, protocol, out);
}

static int inet6_create(struct task *t, int type, int protocol, struct socket **out)
{
	return inet_create_family(t, AF_INET6, type, protocol, out);
}

static void inet_release(struct socket *s)
{
	struct inet_sock *is = I(s);
	struct ns_endpoint *ep = is->ep;
	if (!ep)
		return;
	is->ep = NULL;
	ns_ep_close(ep); /* no report for s after this */
	inet_stack_poll_inline();
}

static void inet_destroy(struct socket *s)
{
	free(I(s));
}

/* ---------------------------------------------------------------- names */

/* The SOL_SOCKET options the core keeps that matter to the endpoint before
 * a bind (address reuse), pushed again in case they changed. */
static void push_reuse(struct socket *s, struct ns_endpoint *ep)
{
	vmutex_lock(&s->lock);
	int ra = s->reuseaddr, rp = s->reuseport;
	vmutex_unlock(&s->lock);
	ns_ep_setsockopt(ep, SOL_SOCKET, SO_REUSEADDR, &ra, sizeof(ra));
	ns_ep_setsockopt(ep, SOL_SOCKET, SO_REUSEPORT, &rp, sizeof(rp));
}

static int inet_bind(struct task *t, struct socket *s, const struct sockaddr_storage *addr,
		     int len)
{
	struct ns_endpoint *ep = EP(s);
	push_reuse(s, ep);
	unsigned int fl = 0;
	if (!t || vfs_capable(vfs_task_creds(t), CAP_NET_BIND_SERVICE))
		fl |= NS_BIND_PRIVILEGED;
	return ns_ep_bind(ep, (const struct sockaddr *)addr, (socklen_t)len, fl);
}

static int inet_getname(struct socket *s, struct sockaddr_storage *addr, int peer)
{
	struct ns_endpoint *ep = EP(s);
	if (!ep)
		return -ENOTCONN;
	socklen_t len = sizeof(*addr);
	int r = ns_ep_getname(ep, addr, &len, peer);
	return r < 0 ? r : (int)len;
}

static int inet_connect(struct task *t, struct socket *s, const struct sockaddr_storage *addr,
			int len, int fflags)
{
	struct ns_endpoint *ep = EP(s);
	push_reuse(s, ep);
	int r = ns_ep_connect(ep, (const struct sockaddr *)addr, (socklen_t)len);
	inet_stack_poll_inline();
	if ((r != -EINPROGRESS && r != -EALREADY) || s->type != SOCK_STREAM)
		return r;
	/* As Linux's __inet_stream_connect: a blocking connect waits for the
	 * handshake, also when it finds one in progress (a connect restarted
	 * after a signal); a non-blocking one (or one whose SO_SNDTIMEO runs
	 * out) answers EINPROGRESS, or EALREADY when it found one, and
	 * SO_ERROR tells the outcome later. */
	int first = r;
	struct sock_wait iw;
	sock_wait_init(&iw, s, true, fflags & O_NONBLOCK);
	for (;;) {
		int w = sock_wait_step(t, s, &iw, SOCK_EV_OUT);
		if (w < 0) {
			r = w == -EAGAIN ? first : w;
			break;
		}
		uint32_t ev = ns_ep_poll(ep);
		if (!(ev & (POLLOUT | POLLERR | POLLHUP)))
			continue;
		r = ns_ep_connect(ep, (const struct sockaddr *)addr, (socklen_t)len);
		if (r == -EALREADY || r == -EINPROGRESS)
			continue;
		if (r == -EISCONN)
			r = 0;
		break;
	}
	sock_wait_done(s, &iw);
	return r;
}

static int inet_listen(struct task *t, struct socket *s, int backlog)
{
	struct ns_endpoint *ep = EP(s);
	push_reuse(s, ep);
	int r = ns_ep_listen(ep, backlog);
	if (r == 0) {
		vmutex_lock(&s->lock);
		s->state = SOCK_STATE_LISTEN;
		vmutex_unlock(&s->lock);
	}
	return r;
}

static int inet_accept(struct task *t, struct socket *s, int fflags, struct socket **out)
{
	struct ns_endpoint *ep = EP(s), *child = NULL;
	struct inet_sock *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	struct sock_wait iw;
	sock_wait_init(&iw, s, false, fflags & O_NONBLOCK);
	int r;
	for (;;) {
		r = ns_ep_accept(ep, &child, NULL, NULL);
		if (r != -EAGAIN)
			break;
		int w = sock_wait_step(t, s, &iw, SOCK_EV_IN);
		if (w < 0) {
			r = w;
			break;
		}
	}
	sock_wait_done(s, &iw);
	if (r < 0) {
		free(c);
		return r;
	}
	int dom, ty, proto;
	ns_ep_kind(child, &dom, &ty, &proto);
	socket_init(&c->s, t, s->family, s->type, proto, &inet_ops);
	c->s.state = SOCK_STATE_ESTABLISHED;
	init_bufs(&c->s, child);
	/* The options the core keeps are the listener's, as Linux's sk_clone. */
	socket_inherit_options(&c->s, s);
	c->ep = child;
	ns_ep_set_user(child, &c->s);
	*out = &c->s;
	return 0;
}

static int inet_shutdown(struct task *t, struct socket *s, int how)
{
	int r = ns_ep_shutdown(EP(s), how);
	inet_stack_poll_inline();
	if (r == 0 || r == -ENOTCONN)
		socket_notify(s, ~0u);
	return r;
}

/* ---------------------------------------------------------------- data */


static bool is_stream(struct socket *s)
{
	return s->type == SOCK_STREAM;
}

/* A datagram send's IP_PKTINFO (AF_INET, ip_cmsg_send) or IPV6_PKTINFO
 * (AF_INET6, ip6_datagram_send_ctl) control message: the source address
 * and interface in *src; 1 when there was one, 0 when not, -EINVAL for a
 * malformed one (a bad length, as Linux's CMSG_OK and the options' own
 * size checks).  Other control messages are left alone, as before. */
static int inet_send_src(struct socket *s, const struct sock_msg *m, struct ns_send_src *src)
{
	if (!m->control || m->controllen < sizeof(struct cmsghdr) || is_stream(s))
		return 0;
	int domain, type, protocol;
	ns_ep_kind(EP(s), &domain, &type, &protocol);
	struct msghdr h = {.msg_control = m->control, .msg_controllen = m->controllen};
	int found = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
		if (c->cmsg_len < sizeof(struct cmsghdr) ||
		    c->cmsg_len > m->controllen - (size_t)((char *)c - (char *)m->control))
			return -EINVAL;
		size_t dlen = c->cmsg_len - CMSG_LEN(0);
		if (domain == AF_INET && c->cmsg_level == SOL_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			if (dlen != sizeof(pi))
				return -EINVAL;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(src, 0, sizeof(*src));
			src->addr[10] = src->addr[11] = 0xff;
			memcpy(src->addr + 12, &pi.ipi_spec_dst, 4);
			src->ifindex = pi.ipi_ifindex;
			found = 1;
		} else if (domain == AF_INET6 && c->cmsg_level == SOL_IPV6 &&
			   c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			if (dlen < sizeof(pi))
				return -EINVAL;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			memset(src, 0, sizeof(*src));
			memcpy(src->addr, &pi.ipi6_addr, 16);
			src->ifindex = (int)pi.ipi6_ifindex;
			found = 1;
		}
	}
	return found;
}

/* sendto(MSG_FASTOPEN) on TCP, as Linux's tcp_sendmsg_fastopen when it has
 * no Fast Open cookie for the server (always here: the netstack keeps
 * none, and Linux's default net.ipv4.tcp_fastopen = 1 gives servers no
 * cookies to hand out): a connect to the message's address, blocking
 * unless MSG_DONTWAIT, after which the data goes as in any send.  A
 * non-blocking one answers EINPROGRESS (no data taken), a connected
 * socket EISCONN, AF_UNSPEC EOPNOTSUPP. */
static int inet_fastopen_connect(struct task *t, struct socket *s, const struct sock_msg *m,
				 int flags)
{
	if (m->namelen >= (int)sizeof(sa_family_t) && m->name.ss_family == AF_UNSPEC)
		return -EOPNOTSUPP;
	if (m->namelen < (int)sizeof(sa_family_t))
		return -EINVAL;
	return inet_connect(t, s, &m->name, m->namelen, (flags & MSG_DONTWAIT) ? O_NONBLOCK : 0);
}

static ssize_t inet_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct ns_endpoint *ep = EP(s);
	bool stream = is_stream(s);
	if (stream && (flags & MSG_FASTOPEN)) {
		int c = inet_fastopen_connect(t, s, m, flags);
		if (c < 0)
			return c;
		flags &= ~MSG_FASTOPEN;
	}
	size_t total = m->data.left;
	if (!stream && total > DGRAM_MAX)
		return -EMSGSIZE;
	size_t cap = stream ? (total < STREAM_CHUNK ? total : STREAM_CHUNK) : total;
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOBUFS;
	const struct sockaddr *to = m->namelen ? (const struct sockaddr *)&m->name : NULL;
	socklen_t tolen = (socklen_t)m->namelen;
	struct ns_send_src src;
	int has_src = inet_send_src(s, m, &src);
	if (has_src < 0) {
		free(buf);
		return has_src;
	}
	struct sock_wait iw;
	sock_wait_init(&iw, s, true, flags & MSG_DONTWAIT);
	size_t sent = 0;
	ssize_t r = 0;
	for (;;) {
		size_t n = m->data.left < cap ? m->data.left : cap;
		struct sock_iter saved = m->data;
		if (n && sock_iter_copy_from(&m->data, buf, n) < 0) {
			r = -EFAULT;
			break;
		}
		m->data = saved;
		struct iovec v = {buf, n};
		/* The inline poll below does the kicks' work, but for the
		 * frames the send left to the service thread: it kicks that. */
		inet_stack_hold_kicks();
		r = ns_ep_sendmsg_src(ep, &v, 1, flags, to, tolen, has_src ? &src : NULL);
		if (r >= 0) {
			sock_iter_skip(&m->data, (size_t)r);
			sent += (size_t)r;
			inet_stack_poll_inline_sent();
			if (!stream || m->data.left == 0)
				break;
			continue; /* the rest did not fit: the next call waits */
		}
		inet_stack_release_kicks();
		if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
			socket_sigpipe(t);
		if (r != -EAGAIN)
			break;
		int w = sock_wait_step(t, s, &iw, SOCK_EV_OUT);
		if (w < 0) {
			r = w;
			break;
		}
	}
	sock_wait_done(s, &iw);
	free(buf);
	if (sent && stream)
		return (ssize_t)sent;
	return r < 0 ? r : (ssize_t)sent;
}

/* The control messages a datagram carries when the socket asked for them:
 * SO_TIMESTAMP's, then, in the order of Linux's ip_cmsg_recv_offset
 * (IP_PKTINFO, IP_TTL, then IP_TOS) and ip6_datagram_recv_ctl
 * (IPV6_PKTINFO, for a v4-mapped datagram too, then IPV6_TCLASS; an IPv4
 * datagram on an AF_INET6 socket also gets IP_PKTINFO, as udpv6_recvmsg):
 * ping prints the reply's ttl from IP_TTL, dnsmasq answers from the
 * address IP_PKTINFO names. */
static void inet_put_pktinfo(struct sock_msg *m, const struct ns_recv_meta *meta)
{
	struct in_pktinfo pi = {.ipi_ifindex = meta->ifindex};
	memcpy(&pi.ipi_addr, meta->dst + 12, 4);
	pi.ipi_spec_dst.s_addr = htonl(meta->spec_dst);
	sock_put_cmsg(m, SOL_IP, IP_PKTINFO, &pi, sizeof(pi));
}

static void inet_put_meta_cmsgs(struct socket *s, struct ns_endpoint *ep, struct sock_msg *m,
				const struct ns_recv_meta *meta)
{
	/* The stamp first, as udp_recvmsg and ping_recvmsg; the netstack's
	 * clock is CLOCK_MONOTONIC (inet_stack_now). */
	socket_put_timestamp(s, m, meta->stamp);
	int domain, type, protocol;
	ns_ep_kind(ep, &domain, &type, &protocol);
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	bool dst_v4 = memcmp(meta->dst, v4mapped, 12) == 0;
	if (domain == AF_INET6 && meta->want_pktinfo6) {
		struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned int)meta->ifindex};
		memcpy(&pi.ipi6_addr, meta->dst, 16);
		sock_put_cmsg(m, SOL_IPV6, IPV6_PKTINFO, &pi, sizeof(pi));
	}
	if (domain == AF_INET6 && dst_v4 && meta->want_pktinfo)
		inet_put_pktinfo(m, meta);
	if (domain == AF_INET) {
		if (meta->want_pktinfo)
			inet_put_pktinfo(m, meta);
		if (meta->want_ttl) {
			int ttl = meta->ttl;
			sock_put_cmsg(m, SOL_IP, IP_TTL, &ttl, sizeof(ttl));
		}
		if (meta->want_tos)
			sock_put_cmsg(m, SOL_IP, IP_TOS, &meta->tos, sizeof(meta->tos));
	} else if (!dst_v4) {
		/* ip6_datagram_recv_specific_ctl: IPV6_HOPLIMIT, then
		 * IPV6_TCLASS (ping -6 reads the reply's hop limit). */
		if (meta->want_hoplimit) {
			int hops = meta->ttl;
			sock_put_cmsg(m, SOL_IPV6, IPV6_HOPLIMIT, &hops, sizeof(hops));
		}
		if (meta->want_tos) {
			int tclass = meta->tos;
			sock_put_cmsg(m, SOL_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
		}
	}
}

/* Pieces of the receive queue pinned per netstack call: a GSO frame is one
 * (64 KiB), small segments pile into shared buffers. */
#define RECV_PIN_SEGS 32
/* A stream read this large is a bulk transfer's (inet_recv_stream). */
#define RECV_HANDOFF (32 * 1024)

/*
 * A plain stream receive copies from the netstack's receive queue straight
 * into app memory (ns_ep_recv_pin), not through a bounce buffer: one copy
 * of every received byte fewer, a quarter of the Sentry's receive work
 * under iperf3.  The socket lock is held from the pin to the unpin, so
 * readers of one socket take turns (as Linux's lock_sock in tcp_recvmsg):
 * app memory is copied under it as unix.c's stream receive does
 * (LOCKING.md: SOCKET before MM); the netstack's lock is not held across
 * the copy.  A fault in the copy keeps the bytes not copied queued, as
 * tcp_recvmsg returns what it copied before a fault, or -EFAULT.
 */
static ssize_t inet_recv_stream(struct task *t, struct socket *s, struct ns_endpoint *ep,
				struct sock_msg *m, int flags)
{
	bool waitall = (flags & MSG_WAITALL) != 0;
	struct sock_wait iw;
	sock_wait_init(&iw, s, false, flags & MSG_DONTWAIT);
	size_t copied = 0;
	ssize_t r;
	for (;;) {
		struct iovec seg[RECV_PIN_SEGS];
		int nseg = RECV_PIN_SEGS;
		bool fault = false;
		inet_stack_hold_kicks();
		vmutex_lock(&s->lock);
		r = ns_ep_recv_pin(ep, m->data.left, seg, &nseg);
		if (r > 0) {
			size_t k = 0;
			for (int i = 0; i < nseg && !fault; i++) {
				const struct iovec *v = &seg[i];
				fault = sock_iter_copy_to(&m->data, v->iov_base, v->iov_len) < 0;
				k += fault ? 0 : v->iov_len;
			}
			int deferred = ns_ep_recv_unpin(ep, k);
			vmutex_unlock(&s->lock);
			/* A window update waits for the service thread, kicked
			 * here: its send is the host's work, done beside us.  A
			 * bulk read leaves the frames that came meanwhile to it
			 * too (it takes them in batches, on the other CPU, while
			 * the app consumes what it read).  Else the inline poll
			 * plans the timers this read moved, with no wake-up. */
			if (k >= RECV_HANDOFF && !deferred)
				ns_stack_want_poll(inet_stack());
			if (k && !deferred && k < RECV_HANDOFF)
				inet_stack_poll_inline();
			else
				inet_stack_release_kicks();
			copied += k;
			if (fault) {
				r = -EFAULT;
				break;
			}
			if (!waitall || m->data.left == 0)
				break;
			continue;
		}
		vmutex_unlock(&s->lock);
		inet_stack_release_kicks();
		if (!sock_recv_wait(t, s, &iw, &r, copied, waitall))
			break;
	}
	sock_wait_done(s, &iw);
	if (m->want_name)
		m->namelen = 0; /* tcp_recvmsg names no source */
	if (copied)
		return (ssize_t)copied;
	return r < 0 ? r : 0;
}

static ssize_t inet_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct ns_endpoint *ep = EP(s);
	bool stream = is_stream(s);
	if (stream && m->data.left && !(flags & (MSG_PEEK | MSG_TRUNC | MSG_OOB | MSG_ERRQUEUE)))
		return inet_recv_stream(t, s, ep, m, flags);
	size_t total = m->data.left;
	size_t lim = stream ? STREAM_CHUNK : DGRAM_MAX;
	size_t cap = total < lim ? total : lim;
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOMEM;
	bool waitall = stream && (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
	int nsflags = flags & ~(MSG_WAITALL | MSG_CMSG_CLOEXEC);
	struct sock_wait iw;
	sock_wait_init(&iw, s, false, flags & MSG_DONTWAIT);
	size_t copied = 0;
	ssize_t r;
	for (;;) {
		size_t n = m->data.left < cap ? m->data.left : cap;
		struct iovec v = {buf, n};
		socklen_t fromlen = sizeof(m->name);
		int mflags = 0;
		inet_stack_hold_kicks();
		struct ns_recv_meta meta;
		/* A stream receive that consumes waits for a pinned one. */
		bool turn = stream && !(flags & MSG_PEEK);
		if (turn)
			vmutex_lock(&s->lock);
		r = ns_ep_recvmsg_meta(ep, &v, 1, nsflags, m->want_name ? &m->name : NULL,
				       m->want_name ? &fromlen : NULL, &mflags, &meta);
		if (turn)
			vmutex_unlock(&s->lock);
		if (r > 0 && stream)
			inet_stack_poll_inline(); /* a window update for the peer */
		else
			inet_stack_release_kicks();
		if (r >= 0) {
			size_t k = (size_t)r < n ? (size_t)r : n;
			if (stream && (flags & MSG_TRUNC))
				sock_iter_skip(&m->data, k); /* discarded, as Linux's tcp_recvmsg */
			else if (k && sock_iter_copy_to(&m->data, buf, k) < 0) {
				r = -EFAULT;
				break;
			}
			if (m->want_name)
				m->namelen = (int)fromlen;
			m->msg_flags |= mflags;
			if (meta.valid)
				inet_put_meta_cmsgs(s, ep, m, &meta);
			copied += stream ? k : (size_t)r;
			if (!stream || r == 0 || !waitall || m->data.left == 0)
				break;
			continue;
		}
		if (!sock_recv_wait(t, s, &iw, &r, copied, waitall))
			break;
	}
	sock_wait_done(s, &iw);
	free(buf);
	if (copied)
		return (ssize_t)copied;
	return r < 0 ? r : 0;
}

/* ---------------------------------------------------------------- readiness */

static uint32_t inet_readiness(struct socket *s, bool want_out)
{
	struct ns_endpoint *ep = EP(s);
	return ep ? ns_ep_poll(ep) : POLLNVAL;
}

/* ---------------------------------------------------------------- options */

static void inet_sol_socket_set(struct task *t, struct socket *s, int name, int val)
{
	struct ns_endpoint *ep = EP(s);
	if (!ep)
		return;
	if (name == SO_LINGER) {
		struct linger l;
		vmutex_lock(&s->lock);
		l.l_onoff = s->linger_on;
		l.l_linger = s->linger_secs;
		vmutex_unlock(&s->lock);
		ns_ep_setsockopt(ep, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		return;
	}
	switch (name) {
	case SO_BINDTOIFINDEX:
	case SO_REUSEADDR:
	case SO_REUSEPORT:
	case SO_KEEPALIVE:
	case SO_RCVBUF:
	case SO_SNDBUF:
	case SO_RCVBUFFORCE:
	case SO_SNDBUFFORCE:
	case SO_BROADCAST:
	case SO_OOBINLINE:
	case SO_PRIORITY:
	case SO_DONTROUTE:
	case SO_RCVLOWAT:
		ns_ep_setsockopt(ep, SOL_SOCKET, name, &val, sizeof(val));
		break;
	default:
		break;
	}
	if (name == SO_SNDBUF || name == SO_SNDBUFFORCE)
		inet_stack_poll_inline();
}

static int inet_take_error(struct socket *s)
{
	struct ns_endpoint *ep = EP(s);
	if (!ep)
		return 0;
	int e = 0;
	socklen_t len = sizeof(e);
	if (ns_ep_getsockopt(ep, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return 0;
	return e;
}

#define OPT_MAX 64 /* the largest option value read (TCP_CONGESTION's name) */

static int inet_setsockopt(struct task *t, struct socket *s, int level, int name,
			   uint64_t optval, int optlen)
{
	char val[OPT_MAX];
	memset(val, 0, sizeof(val));
	int n = optlen < OPT_MAX ? optlen : OPT_MAX;
	/* Read only what an option can need, as Linux: a long optlen over a
	 * short buffer at the end of a mapping still works for an int. */
	if (n > 0 && task_copy_in(t, val, optval, (size_t)n) < 0) {
		n = n < (int)sizeof(int) ? n : (int)sizeof(int);
		if (task_copy_in(t, val, optval, (size_t)n) < 0)
			return -EFAULT;
	}
	if (level == SOL_SOCKET && !is_stream(s) &&
	    (name == SO_TIMESTAMP_OLD || name == SO_TIMESTAMPNS_OLD || name == SO_TIMESTAMP_NEW ||
	     name == SO_TIMESTAMPNS_NEW)) {
		if (optlen < (int)sizeof(int))
			return -EINVAL;
		int on;
		memcpy(&on, val, sizeof(on));
		socket_set_timestamp(s, name, on != 0);
		return 0;
	}
	inet_stack_hold_kicks();
	int r = ns_ep_setsockopt(EP(s), level, name, val, (socklen_t)(optlen < n ? optlen : n));
	if (r == 0)
		inet_stack_poll_inline(); /* TCP_NODELAY / TCP_CORK may release data */
	else
		inet_stack_release_kicks();
	return r;
}

static int inet_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
			   int *len)
{
	if (*len < 0)
		return -EINVAL;
	socklen_t l = (socklen_t)*len;
	int r = ns_ep_getsockopt(EP(s), level, name, val, &l);
	if (r == 0)
		*len = (int)l;
	return r;
}

static int64_t inet_ioctl(struct task *t, struct socket *s, unsigned int cmd, uint64_t arg)
{
	int inq, outq, notsent, v;
	switch (cmd) {
	case SIOCINQ: /* FIONREAD */
	case SIOCOUTQ:
	case SIOCOUTQNSD: {
		int r = ns_ep_queues(EP(s), &inq, &outq, &notsent);
		if (r < 0)
			return r;
		v = cmd == SIOCINQ ? inq : cmd == SIOCOUTQ ? outq : notsent;
		return task_copy_out(t, arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
	}
	default:
		return -ENOIOCTLCMD;
	}
}

static const struct socket_ops inet_ops = {
    .bind = inet_bind,
    .connect = inet_connect,
    .listen = inet_listen,
    .accept = inet_accept,
    .sendmsg = inet_sendmsg,
    .recvmsg = inet_recvmsg,
    .shutdown = inet_shutdown,
    .getsockopt = inet_getsockopt,
    .setsockopt = inet_setsockopt,
    .ioctl = inet_ioctl,
    .readiness = inet_readiness,
    .getname = inet_getname,
    .release = inet_release,
    .destroy = inet_destroy,
    .sol_socket_set = inet_sol_socket_set,
    .take_error = inet_take_error,
};

static const struct socket_family inet4_family = {
    .family = AF_INET,
    .create = inet4_create,
    .inet = true,
};

static const struct socket_family inet6_family = {
    .family = AF_INET6,
    .create = inet6_create,
    .inet = true,
};

int inet_register(void)
{
	int r = inet_stack_start(INET_NETWORK_SANDBOX);
	if (r == 0)
		r = socket_register_family(&inet4_family);
	if (r == 0)
		r = socket_register_family(&inet6_family);
	return r;
}
