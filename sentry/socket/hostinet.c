/*
 * hostinet.c — AF_INET and AF_INET6 in --network=host mode: each app socket
 * is backed by a host socket the Sentry creates in its own network
 * namespace (the host's, for Docker's --network=host), as runsc's hostinet.
 *
 * The host kernel owns the protocol; this file owns what is the Sentry's:
 * blocking (every host fd is non-blocking; an operation that answers
 * EAGAIN / EINPROGRESS waits on the socket's wait queue), SO_RCVTIMEO /
 * SO_SNDTIMEO, signals and restart, SIGPIPE, MSG_WAITALL, copying app
 * memory through bounce buffers, and which options and ioctls reach the
 * host: an allow-list (hostinet_opt_allowed); anything else is
 * ENOPROTOOPT, counted as unsupported.
 *
 * Readiness: one poller thread ("hostinet") waits in epoll_wait on every
 * host fd (edge-triggered, EPOLLIN|EPOLLOUT|EPOLLRDHUP) and notifies the
 * socket's wait queue on each edge; waiters then ask the host fd itself
 * (poll with a zero timeout).  A socket's epoll registration holds a
 * reference: release removes the fd from the epoll set and closes it, and
 * pushes the socket on a lock-free list that the poller drains between two
 * batches, so a batch never sees a freed socket.
 *
 * Jail (hostinet_jail_rules, added only in host mode): socket(2) of
 * AF_INET/AF_INET6 only (jail.c's rule that the Sentry never makes a
 * socket is lifted for these two families because host mode's purpose is
 * to hand the app's sockets to the host), bind, connect, listen,
 * get/setsockopt, getsockname, getpeername, the SIOCOUTQNSD ioctl, and
 * epoll for the poller.  accept4, sendmsg/recvmsg, shutdown, FIONREAD and
 * SIOCOUTQ are already the Sentry's own.
 *
 * Raw sockets are refused as inet.c refuses them; ping sockets
 * (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) are the host's, allowed when its
 * net.ipv4.ping_group_range allows the Sentry's group.
 */
#include "sentry/socket/hostinet.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/syscall_table.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/socket.h"
#include "sentry/vfs/vfs.h"

#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515
#endif
#ifndef SIOCOUTQNSD
#define SIOCOUTQNSD 0x894B
#endif

#define STREAM_CHUNK (256 * 1024)
#define DGRAM_MAX (65536 + 512)
#define CTL_MAX 512 /* control data passed either way */

struct host_sock {
	struct socket s;
	int fd;		       /* the host socket; -1 after release */
	struct host_sock *next; /* the poller's list of released sockets */
};

static const struct socket_ops host_ops;

static struct host_sock *H(struct socket *s)
{
	return (struct host_sock *)s;
}

/* ---------------------------------------------------------------- poller */

static pthread_once_t poller_once = PTHREAD_ONCE_INIT;
static int poller_err;
static int ep_fd = -1, kick_fd = -1;
static _Atomic(struct host_sock *) released; /* pushed by release, drained by the poller */
static atomic_long nr_sockets;

static void drain_released(void)
{
	struct host_sock *h = atomic_exchange(&released, NULL);
	while (h) {
		struct host_sock *n = h->next;
		socket_put(&h->s); /* the registration's reference */
		h = n;
	}
}

static void *poller_main(void *arg)
{
	(void)arg;
	prctl(PR_SET_NAME, "hostinet", 0, 0, 0);
	struct epoll_event ev[64];
	for (;;) {
		drain_released();
		int n = epoll_wait(ep_fd, ev, 64, -1);
		for (int i = 0; i < n; i++) {
			if (!ev[i].data.ptr) {
				uint64_t v;
				ssize_t r = read(kick_fd, &v, sizeof(v));
				(void)r;
				continue;
			}
			struct host_sock *h = ev[i].data.ptr;
			uint32_t e = ev[i].events, pe = 0;
			if (e & EPOLLIN)
				pe |= POLLIN | POLLRDNORM;
			if (e & EPOLLOUT)
				pe |= POLLOUT | POLLWRNORM;
			if (e & EPOLLERR)
				pe |= POLLERR;
			if (e & EPOLLHUP)
				pe |= POLLHUP;
			if (e & EPOLLRDHUP)
				pe |= POLLRDHUP;
			socket_notify(&h->s, pe);
		}
	}
	return NULL;
}

static void poller_start(void)
{
	ep_fd = epoll_create1(EPOLL_CLOEXEC);
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ep_fd < 0 || kick_fd < 0) {
		poller_err = -errno;
		return;
	}
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
	if (epoll_ctl(ep_fd, EPOLL_CTL_ADD, kick_fd, &e) < 0) {
		poller_err = -errno;
		return;
	}
	pthread_t th;
	int r = pthread_create(&th, NULL, poller_main, NULL);
	if (r != 0) {
		poller_err = -r;
		return;
	}
	pthread_detach(th);
}

/* Wrap host fd (non-blocking, close-on-exec) in a socket watched by the
 * poller.  The fd is closed on failure. */
static int host_sock_new(struct task *t, int fd, int family, int type, int protocol,
			 struct host_sock **out)
{
	pthread_once(&poller_once, poller_start);
	if (poller_err < 0) {
		close(fd);
		return poller_err;
	}
	struct host_sock *h = calloc(1, sizeof(*h));
	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	socket_init(&h->s, t, family, type, protocol, &host_ops);
	h->fd = fd;
	socket_get(&h->s); /* the epoll registration's */
	struct epoll_event e = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
				.data.ptr = h};
	if (epoll_ctl(ep_fd, EPOLL_CTL_ADD, fd, &e) < 0) {
		int err = -errno;
		close(fd);
		h->fd = -1;
		socket_put(&h->s);
		socket_put(&h->s);
		return err;
	}
	int v;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0)
		h->s.sndbuf = v;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0)
		h->s.rcvbuf = v;
	atomic_fetch_add(&nr_sockets, 1);
	*out = h;
	return 0;
}

long hostinet_open_sockets(void)
{
	return atomic_load(&nr_sockets);
}

/* ---------------------------------------------------------------- create */

static int host_create_family(struct task *t, int family, int type, int protocol,
			      struct socket **out)
{
	if (type == SOCK_RAW)
		return t && !vfs_capable(vfs_task_creds(t), CAP_NET_RAW) ? -EPERM
									  : -EPROTONOSUPPORT;
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol < 0 || protocol >= 263)
		return -EINVAL;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	int proto = protocol;
	socklen_t len = sizeof(proto);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0)
		proto = protocol;
	struct host_sock *h;
	int r = host_sock_new(t, fd, family, type, proto, &h);
	if (r < 0)
		return r;
	*out = &h->s;
	return 0;
}

static int host4_create(struct task *t, int type, int protocol, struct socket **out)
{
	return host_create_family(t, AF_INET, type, protocol, out);
}

static int host6_create(struct task *t, int type, int protocol, struct socket **out)
{
	return host_create_family(t, AF_INET6, type, protocol, out);
}

static void host_release(struct socket *s)
{
	struct host_sock *h = H(s);
	int fd = h->fd;
	if (fd < 0)
		return;
	h->fd = -1;
	epoll_ctl(ep_fd, EPOLL_CTL_DEL, fd, NULL);
	close(fd);
	atomic_fetch_sub(&nr_sockets, 1);
	/* The poller may hold h from a batch taken before the DEL: it drops
	 * the registration's reference between two batches. */
	struct host_sock *head = atomic_load(&released);
	do {
		h->next = head;
	} while (!atomic_compare_exchange_weak(&released, &head, h));
	uint64_t one = 1;
	ssize_t w = write(kick_fd, &one, sizeof(one));
	(void)w;
}

static void host_destroy(struct socket *s)
{
	free(H(s));
}

/* ---------------------------------------------------------------- waits */

static uint32_t host_poll(int fd)
{
	if (fd < 0)
		return POLLNVAL;
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLPRI | POLLRDHUP};
	if (poll(&p, 1, 0) < 0)
		return 0;
	uint32_t ev = (uint32_t)p.revents;
	if (ev & POLLIN)
		ev |= POLLRDNORM;
	if (ev & POLLOUT)
		ev |= POLLWRNORM;
	return ev;
}

/* ---------------------------------------------------------------- names */

static int host_bind(struct task *t, struct socket *s, const struct sockaddr_storage *addr,
		     int len)
{
	return bind(H(s)->fd, (const struct sockaddr *)addr, (socklen_t)len) < 0 ? -errno : 0;
}

static int host_getname(struct socket *s, struct sockaddr_storage *addr, int peer)
{
	socklen_t len = sizeof(*addr);
	int r = peer ? getpeername(H(s)->fd, (struct sockaddr *)addr, &len)
		     : getsockname(H(s)->fd, (struct sockaddr *)addr, &len);
	return r < 0 ? -errno : (int)len;
}

static int host_connect(struct task *t, struct socket *s, const struct sockaddr_storage *addr,
			int len, int fflags)
{
	int fd = H(s)->fd;
	int r = connect(fd, (const struct sockaddr *)addr, (socklen_t)len) < 0 ? -errno : 0;
	if (r == 0 && s->type == SOCK_STREAM) {
		vmutex_lock(&s->lock);
		s->state = SOCK_STATE_ESTABLISHED;
		vmutex_unlock(&s->lock);
	}
	if ((r != -EINPROGRESS && r != -EALREADY) || s->type != SOCK_STREAM)
		return r;
	/* A blocking connect waits for the handshake (Linux's
	 * __inet_stream_connect); SO_ERROR then tells the outcome. */
	int first = r;
	struct sock_wait hw;
	sock_wait_init(&hw, s, true, fflags & O_NONBLOCK);
	for (;;) {
		int w = sock_wait_step(t, s, &hw, SOCK_EV_OUT);
		if (w < 0) {
			r = w == -EAGAIN ? first : w;
			break;
		}
		uint32_t ev = host_poll(fd);
		if (!(ev & (POLLOUT | POLLERR | POLLHUP)))
			continue;
		int e = 0;
		socklen_t el = sizeof(e);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) < 0)
			e = errno;
		r = -e;
		break;
	}
	sock_wait_done(s, &hw);
	if (r == 0) {
		vmutex_lock(&s->lock);
		s->state = SOCK_STATE_ESTABLISHED;
		vmutex_unlock(&s->lock);
	}
	return r;
}

static int host_listen(struct task *t, struct socket *s, int backlog)
{
	if (listen(H(s)->fd, backlog) < 0)
		return -errno;
	vmutex_lock(&s->lock);
	s->state = SOCK_STATE_LISTEN;
	vmutex_unlock(&s->lock);
	return 0;
}

static int host_accept(struct task *t, struct socket *s, int fflags, struct socket **out)
{
	int fd = H(s)->fd, cfd;
	struct sock_wait hw;
	sock_wait_init(&hw, s, false, fflags & O_NONBLOCK);
	int r = 0;
	for (;;) {
		cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd >= 0)
			break;
		r = -errno;
		/* As Linux's accept: errors of the new connection are ECONNABORTED
		 * there too; retry on what the man page says to retry. */
		if (r != -EAGAIN)
			break;
		int w = sock_wait_step(t, s, &hw, SOCK_EV_IN);
		if (w < 0) {
			r = w;
			break;
		}
	}
	sock_wait_done(s, &hw);
	if (cfd < 0)
		return r;
	struct host_sock *c;
	r = host_sock_new(t, cfd, s->family, s->type, s->protocol, &c);
	if (r < 0)
		return r;
	c->s.state = SOCK_STATE_ESTABLISHED;
	/* The options the core keeps are the listener's, as Linux's sk_clone
	 * (the host socket inherited its own from the host listener). */
	socket_inherit_options(&c->s, s);
	*out = &c->s;
	return 0;
}

static int host_shutdown(struct task *t, struct socket *s, int how)
{
	int r = shutdown(H(s)->fd, how) < 0 ? -errno : 0;
	if (r == 0 || r == -ENOTCONN)
		socket_notify(s, ~0u);
	return r;
}

/* ---------------------------------------------------------------- data */


/* The control data a send may pass to the host: IP and IPv6 levels only
 * (SOL_SOCKET's were the core's to parse).  0 with *out_len the bytes to
 * pass, or -EINVAL for a malformed buffer. */
static int send_control(const void *control, size_t len, char *out, size_t *out_len)
{
	*out_len = 0;
	if (!control || len == 0)
		return 0;
	struct msghdr mh = {.msg_control = (void *)control, .msg_controllen = len};
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_len < sizeof(*c) || c->cmsg_len > len)
			return -EINVAL;
		if (c->cmsg_level != IPPROTO_IP && c->cmsg_level != IPPROTO_IPV6)
			continue;
		size_t sp = CMSG_ALIGN(c->cmsg_len);
		if (*out_len + sp > CTL_MAX)
			return -ENOBUFS;
		memcpy(out + *out_len, c, c->cmsg_len);
		*out_len += sp;
	}
	return 0;
}

static ssize_t host_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	int fd = H(s)->fd;
	bool stream = s->type == SOCK_STREAM;
	size_t total = m->data.left;
	if (!stream && total > DGRAM_MAX)
		return -EMSGSIZE;
	char ctl[CTL_MAX] __attribute__((aligned(8)));
	size_t ctl_len = 0;
	int cr = send_control(m->control, m->controllen, ctl, &ctl_len);
	if (cr < 0)
		return cr;
	size_t cap = stream ? (total < STREAM_CHUNK ? total : STREAM_CHUNK) : total;
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOBUFS;
	int hflags = (flags & (MSG_OOB | MSG_DONTROUTE | MSG_EOR | MSG_MORE | MSG_CONFIRM)) |
		     MSG_DONTWAIT | MSG_NOSIGNAL;
	struct sock_wait hw;
	sock_wait_init(&hw, s, true, flags & MSG_DONTWAIT);
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
		struct msghdr mh = {.msg_name = m->namelen ? &m->name : NULL,
				    .msg_namelen = (socklen_t)m->namelen,
				    .msg_iov = &v,
				    .msg_iovlen = 1,
				    .msg_control = ctl_len ? ctl : NULL,
				    .msg_controllen = ctl_len};
		r = sendmsg(fd, &mh, hflags);
		if (r < 0)
			r = -errno;
		if (r >= 0) {
			sock_iter_skip(&m->data, (size_t)r);
			sent += (size_t)r;
			ctl_len = 0; /* control data goes with the first bytes only */
			if (!stream || m->data.left == 0)
				break;
			continue;
		}
		if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
			socket_sigpipe(t);
		if (r != -EAGAIN)
			break;
		int w = sock_wait_step(t, s, &hw, SOCK_EV_OUT);
		if (w < 0) {
			r = w;
			break;
		}
	}
	sock_wait_done(s, &hw);
	free(buf);
	if (sent && stream)
		return (ssize_t)sent;
	return r < 0 ? r : (ssize_t)sent;
}

/* Hand the host's control messages of IP and IPv6 levels to the app. */
static void recv_control(struct sock_msg *m, struct msghdr *mh)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != IPPROTO_IP && c->cmsg_level != IPPROTO_IPV6)
			continue;
		sock_put_cmsg(m, c->cmsg_level, c->cmsg_type, CMSG_DATA(c),
			      c->cmsg_len - CMSG_LEN(0));
	}
}

static ssize_t host_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	int fd = H(s)->fd;
	bool stream = s->type == SOCK_STREAM;
	size_t total = m->data.left;
	size_t lim = stream ? STREAM_CHUNK : DGRAM_MAX;
	size_t cap = total < lim ? total : lim;
	char *buf = malloc(cap ? cap : 1);
	if (!buf)
		return -ENOMEM;
	char ctl[CTL_MAX] __attribute__((aligned(8)));
	bool waitall = stream && (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
	int hflags = (flags & (MSG_OOB | MSG_PEEK | MSG_TRUNC | MSG_ERRQUEUE)) | MSG_DONTWAIT;
	struct sock_wait hw;
	sock_wait_init(&hw, s, false, flags & MSG_DONTWAIT);
	size_t copied = 0;
	ssize_t r;
	for (;;) {
		size_t n = m->data.left < cap ? m->data.left : cap;
		struct iovec v = {buf, n};
		struct msghdr mh = {.msg_name = m->want_name ? &m->name : NULL,
				    .msg_namelen = m->want_name ? sizeof(m->name) : 0,
				    .msg_iov = &v,
				    .msg_iovlen = 1,
				    .msg_control = m->control ? ctl : NULL,
				    .msg_controllen = m->control ? sizeof(ctl) : 0};
		r = recvmsg(fd, &mh, hflags);
		if (r < 0)
			r = -errno;
		if (r >= 0) {
			size_t k = (size_t)r < n ? (size_t)r : n;
			if (stream && (flags & MSG_TRUNC))
				sock_iter_skip(&m->data, k);
			else if (k && sock_iter_copy_to(&m->data, buf, k) < 0) {
				r = -EFAULT;
				break;
			}
			if (m->want_name)
				m->namelen = (int)mh.msg_namelen;
			m->msg_flags |= mh.msg_flags & (MSG_TRUNC | MSG_EOR | MSG_OOB | MSG_ERRQUEUE);
			if (m->control && mh.msg_controllen)
				recv_control(m, &mh);
			copied += stream ? k : (size_t)r;
			if (!stream || r == 0 || !waitall || m->data.left == 0)
				break;
			continue;
		}
		if ((flags & MSG_ERRQUEUE) || !sock_recv_wait(t, s, &hw, &r, copied, waitall))
			break;
	}
	sock_wait_done(s, &hw);
	free(buf);
	if (copied)
		return (ssize_t)copied;
	return r < 0 ? r : 0;
}

static uint32_t host_readiness(struct socket *s, bool want_out)
{
	(void)want_out;
	return host_poll(H(s)->fd);
}

/* ---------------------------------------------------------------- options */

static void host_sol_socket_set(struct task *t, struct socket *s, int name, int val)
{
	int fd = H(s)->fd;
	if (fd < 0)
		return;
	if (name == SO_LINGER) {
		struct linger l;
		vmutex_lock(&s->lock);
		l.l_onoff = s->linger_on;
		l.l_linger = s->linger_secs;
		vmutex_unlock(&s->lock);
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
		return;
	}
	switch (name) {
	case SO_REUSEADDR:
	case SO_REUSEPORT:
	case SO_KEEPALIVE:
	case SO_RCVBUF:
	case SO_SNDBUF:
	case SO_BROADCAST:
	case SO_OOBINLINE:
	case SO_PRIORITY:
	case SO_DONTROUTE:
	case SO_RCVLOWAT:
		setsockopt(fd, SOL_SOCKET, name, &val, sizeof(val));
		break;
	case SO_RCVBUFFORCE: /* the Sentry has no CAP_NET_ADMIN: the plain one */
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, sizeof(val));
		break;
	case SO_SNDBUFFORCE:
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &val, sizeof(val));
		break;
	default:
		break;
	}
}

static int host_take_error(struct socket *s)
{
	int e = 0;
	socklen_t len = sizeof(e);
	if (H(s)->fd < 0 || getsockopt(H(s)->fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0)
		return 0;
	return e;
}

bool hostinet_opt_allowed(int level, int name, bool set)
{
	switch (level) {
	case IPPROTO_TCP:
		switch (name) {
		case TCP_NODELAY:
		case TCP_MAXSEG:
		case TCP_CORK:
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
		case TCP_KEEPCNT:
		case TCP_SYNCNT:
		case TCP_LINGER2:
		case TCP_DEFER_ACCEPT:
		case TCP_WINDOW_CLAMP:
		case TCP_QUICKACK:
		case TCP_CONGESTION:
		case TCP_USER_TIMEOUT:
		case TCP_NOTSENT_LOWAT:
		case TCP_FASTOPEN:
		case TCP_FASTOPEN_CONNECT:
			return true;
		case TCP_INFO:
			return !set;
		}
		return false;
	case IPPROTO_IP:
		switch (name) {
		case IP_TOS:
		case IP_TTL:
		case IP_RECVERR:
		case IP_PKTINFO:
		case IP_RECVTOS:
		case IP_RECVTTL:
		case IP_MTU_DISCOVER:
		case IP_MULTICAST_TTL:
		case IP_MULTICAST_LOOP:
		case IP_MULTICAST_IF:
		case IP_ADD_MEMBERSHIP:
		case IP_DROP_MEMBERSHIP:
		case IP_FREEBIND:
		case IP_BIND_ADDRESS_NO_PORT:
		case IP_RECVORIGDSTADDR:
			return true;
		case IP_MTU:
			return !set;
		}
		return false;
	case IPPROTO_IPV6:
		switch (name) {
		case IPV6_V6ONLY:
		case IPV6_UNICAST_HOPS:
		case IPV6_MULTICAST_HOPS:
		case IPV6_MULTICAST_LOOP:
		case IPV6_MULTICAST_IF:
		case IPV6_RECVPKTINFO:
		case IPV6_TCLASS:
		case IPV6_RECVTCLASS:
		case IPV6_RECVERR:
		case IPV6_RECVHOPLIMIT:
		case IPV6_MTU_DISCOVER:
		case IPV6_ADD_MEMBERSHIP:
		case IPV6_DROP_MEMBERSHIP:
			return true;
		case IPV6_MTU:
			return !set;
		}
		return false;
	case IPPROTO_UDP:
		return name == UDP_CORK || name == UDP_SEGMENT;
	}
	return false;
}

#define OPT_MAX 64 /* the largest option value written (ipv6_mreq, a congestion name) */

static int host_setsockopt(struct task *t, struct socket *s, int level, int name,
			   uint64_t optval, int optlen)
{
	if (!hostinet_opt_allowed(level, name, true)) {
		syscall_count_unsupported_sockopt(level, name);
		return -ENOPROTOOPT;
	}
	char val[OPT_MAX];
	memset(val, 0, sizeof(val));
	int n = optlen < OPT_MAX ? optlen : OPT_MAX;
	if (n > 0 && task_copy_in(t, val, optval, (size_t)n) < 0) {
		n = n < (int)sizeof(int) ? n : (int)sizeof(int);
		if (task_copy_in(t, val, optval, (size_t)n) < 0)
			return -EFAULT;
	}
	return setsockopt(H(s)->fd, level, name, val, (socklen_t)n) < 0 ? -errno : 0;
}

static int host_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
			   int *len)
{
	if (*len < 0)
		return -EINVAL;
	if (!hostinet_opt_allowed(level, name, false)) {
		syscall_count_unsupported_sockopt(level, name);
		return -ENOPROTOOPT;
	}
	socklen_t l = (socklen_t)*len;
	if (getsockopt(H(s)->fd, level, name, val, &l) < 0)
		return -errno;
	*len = (int)l;
	return 0;
}

static int64_t host_ioctl(struct task *t, struct socket *s, unsigned int cmd, uint64_t arg)
{
	switch (cmd) {
	case SIOCINQ: /* FIONREAD */
	case SIOCOUTQ:
	case SIOCOUTQNSD: {
		int v = 0;
		if (ioctl(H(s)->fd, cmd, &v) < 0)
			return -errno;
		return task_copy_out(t, arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
	}
	default:
		return -ENOIOCTLCMD;
	}
}

static const struct socket_ops host_ops = {
    .bind = host_bind,
    .connect = host_connect,
    .listen = host_listen,
    .accept = host_accept,
    .sendmsg = host_sendmsg,
    .recvmsg = host_recvmsg,
    .shutdown = host_shutdown,
    .getsockopt = host_getsockopt,
    .setsockopt = host_setsockopt,
    .ioctl = host_ioctl,
    .readiness = host_readiness,
    .getname = host_getname,
    .release = host_release,
    .destroy = host_destroy,
    .sol_socket_set = host_sol_socket_set,
    .take_error = host_take_error,
};

static const struct socket_family host4_family = {
    .family = AF_INET,
    .create = host4_create,
    .inet = true,
};

static const struct socket_family host6_family = {
    .family = AF_INET6,
    .create = host6_create,
    .inet = true,
};

int hostinet_register(void)
{
	int r = socket_register_family(&host4_family);
	if (r == 0)
		r = socket_register_family(&host6_family);
	if (r == 0)
		log_info("network host: AF_INET and AF_INET6 sockets are the host's");
	return r;
}

/* What host mode adds to the Sentry's jail (see the top of this file). */
static const struct jail_rule hostinet_rule_list[] = {
    JAIL_ALLOW_ARG32_EQ(SYS_socket, 0, AF_INET),
    JAIL_ALLOW_ARG32_EQ(SYS_socket, 0, AF_INET6),
    JAIL_ALLOW(SYS_bind),
    JAIL_ALLOW(SYS_connect),
    JAIL_ALLOW(SYS_listen),
    JAIL_ALLOW(SYS_getsockname),
    JAIL_ALLOW(SYS_getpeername),
    JAIL_ALLOW(SYS_getsockopt),
    JAIL_ALLOW(SYS_setsockopt),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, SIOCOUTQNSD),
    JAIL_ALLOW(SYS_epoll_create1),
    JAIL_ALLOW(SYS_epoll_ctl),
    JAIL_ALLOW(SYS_epoll_wait),
    JAIL_ALLOW(SYS_epoll_pwait),
};
static const struct jail_rules hostinet_rules = JAIL_RULES("hostinet", hostinet_rule_list);

const struct jail_rules *hostinet_jail_rules(void)
{
	return &hostinet_rules;
}
