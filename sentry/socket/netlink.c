/*
 * netlink.c — AF_NETLINK sockets (Linux's net/netlink/af_netlink.c),
 * NETLINK_ROUTE and NETLINK_SOCK_DIAG: SOCK_RAW and SOCK_DGRAM, bind (a chosen
 * nl_pid or autobind: the thread group's id first, then a negative one),
 * connect, getsockname/getpeername, sendmsg/recvmsg with MSG_PEEK and
 * MSG_TRUNC, poll, the SOL_NETLINK options, and the kernel's side of the
 * conversation: each request sent to nl_pid 0 is answered at once by
 * rtnetlink.c from the sandbox's interfaces (netif.c), or by sock_diag.c
 * from its sockets, and the answers are queued on the sender as datagrams,
 * exactly where Linux would put them.  Other protocols are
 * EPROTONOSUPPORT; nothing is ever multicast (the interfaces do not
 * change), and a message to another socket's nl_pid is delivered to it.
 *
 * Dumps: Linux fills one datagram per receive, as large as the reader's
 * last buffer (at least NLMSG_GOODSIZE, at most 32 KiB), and puts NLMSG_DONE
 * in the last one when it fits.  Here the dump's messages are made when
 * the request arrives, kept on the socket, and packed into datagrams the
 * same way as the queue drains (one dump at a time, as Linux's cb_running:
 * a second dump request meanwhile is EBUSY).  Answers that are not a dump
 * (acks, a "doit" reply) are dropped with ENOBUFS reported (sk_err) when
 * the receive queue is over SO_RCVBUF, as netlink_overrun.
 *
 * Locks (sentry/LOCKING.md): netlink_table_lock (NETLINK_TABLE) guards the
 * bound sockets' port ids and groups; a socket's lock (SOCKET) guards its
 * queues and options.  The table lock ranks first but is never held with a
 * socket's lock today.  Neither is held while app memory is copied except
 * a peek's (as unix.c), nor across a wait.
 */
#include "sentry/socket/netlink.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>

#include "lib/log.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/rtnetlink.h"
#include "sentry/socket/sock_diag.h"
#include "sentry/socket/socket.h"

#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515
#endif

#define NL_MAX_LINKS 32             /* Linux's MAX_LINKS: protocols 0..31 */
#define NL_GOODSIZE 3776            /* NLMSG_GOODSIZE: SKB_WITH_OVERHEAD(4096) */
#define NL_RECVMSG_MAX (32768 - 320) /* SKB_WITH_OVERHEAD(32768) */
#define NL_GROUPS RTNLGRP_MAX       /* NETLINK_ROUTE's multicast groups */

/* Options (nl->flags), as Linux's NETLINK_F_*. */
#define NLF_PKTINFO 0x1
#define NLF_BROADCAST_ERROR 0x2
#define NLF_NO_ENOBUFS 0x4
#define NLF_LISTEN_ALL_NSID 0x8
#define NLF_CAP_ACK 0x10
#define NLF_EXT_ACK 0x20
#define NLF_STRICT_CHK 0x40

struct nl_skb {
	struct nl_skb *next;
	uint32_t src_portid; /* 0: from the kernel */
	uint32_t dst_group;
	size_t len;
	unsigned char data[];
};

struct nl_sock {
	struct socket s;
	/* [netlink_table_lock] */
	struct nl_sock *bound_next;
	_Atomic uint32_t portid;
	_Atomic bool bound;
	uint64_t groups; /* bit g-1: member of group g */
	/* [s.lock] */
	uint32_t dst_portid, dst_group;
	unsigned int flags; /* NLF_* */
	size_t max_recvmsg_len;
	struct nl_skb *rq_head, *rq_tail;
	size_t rq_bytes;
	/* the dump in progress: its messages, the next one to send, and the
	 * closing NLMSG_DONE still owed */
	struct nlbuf dump;
	size_t dump_off;
	bool dump_running;
	struct nlmsghdr dump_req;
	struct rtnl_dump dump_done;
};

static struct nl_sock *NL(struct socket *s)
{
	return (struct nl_sock *)s;
}

/* NETLINK_TABLE: the bound sockets. */
static struct vmutex netlink_table_lock = VMUTEX_INITIALIZER(LOCK_CLASS(NETLINK_TABLE));
static struct nl_sock *bound_socks;
static int32_t autobind_rover = -4096;

/* ---------------------------------------------------------------- queues */

static size_t skb_charge(const struct nl_skb *b)
{
	return b->len + sizeof(*b);
}

static void rq_append(struct nl_sock *nl, struct nl_skb *b)
{
	b->next = NULL;
	if (nl->rq_tail)
		nl->rq_tail->next = b;
	else
		nl->rq_head = b;
	nl->rq_tail = b;
	nl->rq_bytes += skb_charge(b);
}

static struct nl_skb *skb_new(const void *data, size_t len, uint32_t src_portid)
{
	struct nl_skb *b = malloc(sizeof(*b) + (len ? len : 1));
	if (!b)
		return NULL;
	b->next = NULL;
	b->src_portid = src_portid;
	b->dst_group = 0;
	b->len = len;
	if (data && len)
		memcpy(b->data, data, len);
	return b;
}

/* The next datagram of the running dump (under s.lock), as netlink_dump:
 * whole messages up to the reader's buffer size, then NLMSG_DONE when it
 * fits.  NULL when out of memory (the dump is then abandoned). */
static struct nl_skb *dump_next(struct nl_sock *nl)
{
	size_t limit = nl->max_recvmsg_len > NL_GOODSIZE ? nl->max_recvmsg_len : NL_GOODSIZE;
	size_t start = nl->dump_off, end = start;
	while (end < nl->dump.len) {
		struct nlmsghdr h;
		memcpy(&h, nl->dump.p + end, sizeof(h));
		size_t n = NLMSG_ALIGN(h.nlmsg_len);
		if (end > start && end - start + n > limit)
			break;
		end += n;
	}
	size_t done_len = NLMSG_LENGTH(sizeof(int));
	bool last = end == nl->dump.len && (end == start || end - start + done_len <= limit);
	size_t len = end - start + (last ? NLMSG_ALIGN(done_len) : 0);
	struct nl_skb *b = skb_new(NULL, len, 0);
	if (!b)
		return NULL;
	if (end > start)
		memcpy(b->data, nl->dump.p + start, end - start);
	if (last) {
		memset(b->data + (end - start), 0, len - (end - start));
		struct nlmsghdr d = {.nlmsg_len = (uint32_t)done_len,
				     .nlmsg_type = NLMSG_DONE,
				     .nlmsg_flags = NLM_F_MULTI | nl->dump_done.flags,
				     .nlmsg_seq = nl->dump_req.nlmsg_seq,
				     .nlmsg_pid = atomic_load(&nl->portid)};
		memcpy(b->data + (end - start), &d, sizeof(d));
		memcpy(b->data + (end - start) + NLMSG_HDRLEN, &nl->dump_done.err, sizeof(int));
	}
	nl->dump_off = end;
	if (last) {
		nlbuf_free(&nl->dump);
		nl->dump_running = false;
	}
	return b;
}

/* Queue the dump's next datagram if the queue has room (under s.lock);
 * true if one was queued. */
static bool dump_pump(struct nl_sock *nl, size_t room_below)
{
	if (!nl->dump_running || nl->rq_bytes > room_below)
		return false;
	struct nl_skb *b = dump_next(nl);
	if (!b) {
		nlbuf_free(&nl->dump);
		nl->dump_running = false;
		nl->s.err = ENOBUFS;
		return false;
	}
	rq_append(nl, b);
	return true;
}

/* Queue a kernel answer (not a dump) on nl: dropped with ENOBUFS when the
 * queue is over SO_RCVBUF, as netlink_unicast -> netlink_overrun.  Takes
 * s.lock. */
static void deliver_answer(struct nl_sock *nl, const struct nlbuf *msg)
{
	if (msg->oom || !msg->len)
		return;
	struct nl_skb *b = skb_new(msg->p, msg->len, 0);
	vmutex_lock(&nl->s.lock);
	if (!b || nl->rq_bytes > (size_t)nl->s.rcvbuf) {
		if (!(nl->flags & NLF_NO_ENOBUFS))
			nl->s.err = ENOBUFS;
		free(b);
	} else {
		rq_append(nl, b);
	}
	vmutex_unlock(&nl->s.lock);
	socket_notify(&nl->s, POLLIN | POLLRDNORM);
}

/* ---------------------------------------------------------------- create */

static const struct socket_ops netlink_ops;

static int netlink_create(struct task *t, int type, int protocol, struct socket **out)
{
	if (type != SOCK_RAW && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol < 0 || protocol >= NL_MAX_LINKS)
		return -EPROTONOSUPPORT;
	if (protocol != NETLINK_ROUTE && protocol != NETLINK_SOCK_DIAG) {
		/* No other netlink family lives in the sandbox (Linux says the
		 * same for a protocol whose module is not loaded). */
		log_debug("netlink: protocol %d not supported", protocol);
		return -EPROTONOSUPPORT;
	}
	struct nl_sock *nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	socket_init(&nl->s, t, AF_NETLINK, type, protocol, &netlink_ops);
	*out = &nl->s;
	return 0;
}

static void netlink_unbind(struct nl_sock *nl)
{
	vmutex_lock(&netlink_table_lock);
	for (struct nl_sock **pp = &bound_socks; *pp; pp = &(*pp)->bound_next) {
		if (*pp == nl) {
			*pp = nl->bound_next;
			break;
		}
	}
	atomic_store(&nl->bound, false);
	vmutex_unlock(&netlink_table_lock);
}

static void netlink_release(struct socket *s)
{
	struct nl_sock *nl = NL(s);
	netlink_unbind(nl);
	vmutex_lock(&s->lock);
	struct nl_skb *q = nl->rq_head;
	nl->rq_head = nl->rq_tail = NULL;
	nl->rq_bytes = 0;
	nlbuf_free(&nl->dump);
	nl->dump_running = false;
	vmutex_unlock(&s->lock);
	while (q) {
		struct nl_skb *n = q->next;
		free(q);
		q = n;
	}
}

static void netlink_destroy(struct socket *s)
{
	struct nl_sock *nl = NL(s);
	struct nl_skb *q = nl->rq_head;
	while (q) {
		struct nl_skb *n = q->next;
		free(q);
		q = n;
	}
	nlbuf_free(&nl->dump);
	free(nl);
}

/* ---------------------------------------------------------------- names */

static struct nl_sock *lookup_locked(uint32_t portid)
{
	for (struct nl_sock *o = bound_socks; o; o = o->bound_next)
		if (atomic_load(&o->portid) == portid)
			return o;
	return NULL;
}

static void insert_locked(struct nl_sock *nl, uint32_t portid)
{
	atomic_store(&nl->portid, portid);
	atomic_store(&nl->bound, true);
	nl->bound_next = bound_socks;
	bound_socks = nl;
}

/* Linux's netlink_autobind: the caller's tgid if free, else a negative
 * id.  Under the table lock. */
static void autobind_locked(struct task *t, struct nl_sock *nl)
{
	if (atomic_load(&nl->bound))
		return;
	int32_t id = t && t->tg ? t->tg->tgid : 0;
	while (id == 0 || lookup_locked((uint32_t)id)) {
		id = autobind_rover--;
		if (autobind_rover > -4097)
			autobind_rover = -4097;
	}
	insert_locked(nl, (uint32_t)id);
}

static void netlink_autobind(struct task *t, struct nl_sock *nl)
{
	vmutex_lock(&netlink_table_lock);
	autobind_locked(t, nl);
	vmutex_unlock(&netlink_table_lock);
}

static bool may_send_to_others(struct task *t)
{
	/* NETLINK_ROUTE has no NL_CFG_F_NONROOT_SEND. */
	return t && t->creds && creds_capable(t->creds, CAP_NET_ADMIN);
}

static int netlink_bind(struct task *t, struct socket *s, const struct sockaddr_storage *addr,
			int len)
{
	struct nl_sock *nl = NL(s);
	struct sockaddr_nl sa;
	if (len < (int)sizeof(sa))
		return -EINVAL;
	memcpy(&sa, addr, sizeof(sa));
	if (sa.nl_family != AF_NETLINK)
		return -EINVAL;
	int r = 0;
	vmutex_lock(&netlink_table_lock);
	if (atomic_load(&nl->bound)) {
		if (sa.nl_pid != atomic_load(&nl->portid))
			r = -EINVAL;
	} else if (sa.nl_pid) {
		if (lookup_locked(sa.nl_pid))
			r = -EADDRINUSE;
		else
			insert_locked(nl, sa.nl_pid);
	} else {
		autobind_locked(t, nl);
	}
	/* Joining groups: NETLINK_ROUTE lets anyone listen (it never
	 * multicasts here: the interfaces do not change). */
	if (!r)
		nl->groups = (nl->groups & ~0xffffffffull) | sa.nl_groups;
	vmutex_unlock(&netlink_table_lock);
	return r;
}

static int netlink_connect(struct task *t, struct socket *s, const struct sockaddr_storage *addr,
			   int len, int fflags)
{
	struct nl_sock *nl = NL(s);
	if (len < (int)sizeof(sa_family_t))
		return -EINVAL;
	if (addr->ss_family == AF_UNSPEC) {
		vmutex_lock(&s->lock);
		nl->dst_portid = nl->dst_group = 0;
		s->state = SOCK_STATE_CLOSE;
		vmutex_unlock(&s->lock);
		return 0;
	}
	if (addr->ss_family != AF_NETLINK)
		return -EINVAL;
	struct sockaddr_nl sa;
	if (len < (int)sizeof(sa))
		return -EINVAL;
	memcpy(&sa, addr, sizeof(sa));
	if ((sa.nl_groups || sa.nl_pid) && !may_send_to_others(t))
		return -EPERM;
	netlink_autobind(t, nl);
	vmutex_lock(&s->lock);
	s->state = SOCK_STATE_ESTABLISHED;
	nl->dst_portid = sa.nl_pid;
	nl->dst_group = (uint32_t)ffs((int)sa.nl_groups);
	vmutex_unlock(&s->lock);
	return 0;
}

static int netlink_getname(struct socket *s, struct sockaddr_storage *addr, int peer)
{
	struct nl_sock *nl = NL(s);
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	if (peer) {
		vmutex_lock(&s->lock);
		sa.nl_pid = nl->dst_portid;
		sa.nl_groups = nl->dst_group ? 1u << (nl->dst_group - 1) : 0;
		vmutex_unlock(&s->lock);
	} else {
		vmutex_lock(&netlink_table_lock);
		sa.nl_pid = atomic_load(&nl->portid);
		sa.nl_groups = (uint32_t)nl->groups;
		vmutex_unlock(&netlink_table_lock);
	}
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, &sa, sizeof(sa));
	return sizeof(sa);
}

/* ---------------------------------------------------------------- the kernel side */

/* netlink_ack: NLMSG_ERROR carrying err and the request (only its header
 * when err is 0 or NETLINK_CAP_ACK is set). */
static void build_ack(struct nl_sock *nl, const struct nlmsghdr *h, int err, unsigned int flags,
		      struct nlbuf *b)
{
	bool capped = !err || (flags & NLF_CAP_ACK);
	size_t body = capped ? sizeof(*h) : h->nlmsg_len;
	size_t off = nlbuf_begin(b, NLMSG_ERROR, capped ? NLM_F_CAPPED : 0, h->nlmsg_seq,
				 atomic_load(&nl->portid), NULL, sizeof(int) + body);
	if (b->oom)
		return;
	unsigned char *p = b->p + off + NLMSG_HDRLEN;
	memcpy(p, &err, sizeof(int));
	memcpy(p + sizeof(int), h, body); /* the copy keeps the request's own length */
	nlbuf_end(b, off);
}

/* One request to the kernel (netlink_rcv_skb's loop body). */
static void kernel_handle(struct task *t, struct nl_sock *nl, const struct nlmsghdr *h)
{
	vmutex_lock(&nl->s.lock);
	unsigned int flags = nl->flags;
	vmutex_unlock(&nl->s.lock);
	int err = 0;
	struct nlbuf reply = {0}, dump = {0};
	if ((h->nlmsg_flags & NLM_F_REQUEST) && h->nlmsg_type >= NLMSG_MIN_TYPE) {
		struct rtnl_ctx c = {
		    .portid = atomic_load(&nl->portid),
		    .strict = flags & NLF_STRICT_CHK,
		    .cap_net_admin = t && t->creds && creds_capable(t->creds, CAP_NET_ADMIN),
		    .uid = t && t->creds ? t->creds->euid : 0,
		};
		struct rtnl_dump d;
		err = nl->s.protocol == NETLINK_SOCK_DIAG
			  ? sock_diag_request(&c, h, &reply, &dump, &d)
			  : rtnl_request(&c, h, &reply, &dump, &d);
		if (err == RTNL_DUMP) {
			vmutex_lock(&nl->s.lock);
			if (nl->dump_running) {
				err = -EBUSY;
			} else {
				nl->dump = dump;
				dump = (struct nlbuf){0};
				nl->dump_off = 0;
				nl->dump_running = true;
				nl->dump_req = *h;
				nl->dump_done = d;
				dump_pump(nl, (size_t)nl->s.rcvbuf - 1);
				err = 0;
			}
			vmutex_unlock(&nl->s.lock);
			nlbuf_free(&dump);
			if (!err) {
				socket_notify(&nl->s, POLLIN | POLLRDNORM);
				return; /* a dump is never acked */
			}
		}
		if (!err && reply.oom)
			err = -ENOMEM;
		if (!err)
			deliver_answer(nl, &reply);
		nlbuf_free(&reply);
	}
	if (err == -EOPNOTSUPP)
		log_debug("netlink: route message type %u not supported", h->nlmsg_type);
	if ((h->nlmsg_flags & NLM_F_ACK) || err) {
		struct nlbuf ack = {0};
		build_ack(nl, h, err, flags, &ack);
		deliver_answer(nl, &ack);
		nlbuf_free(&ack);
	}
}

/* netlink_rcv_skb: every whole message of the datagram, in order; a
 * message whose length is impossible ends the datagram silently. */
static void kernel_receive(struct task *t, struct nl_sock *nl, const unsigned char *p, size_t len)
{
	while (len >= NLMSG_HDRLEN) {
		struct nlmsghdr h;
		memcpy(&h, p, sizeof(h));
		if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
			return;
		/* Handlers read the message in place: give them an aligned copy. */
		struct nlmsghdr *m = malloc(h.nlmsg_len);
		if (!m)
			return;
		memcpy(m, p, h.nlmsg_len);
		kernel_handle(t, nl, m);
		free(m);
		size_t step = NLMSG_ALIGN(h.nlmsg_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
}

/* ---------------------------------------------------------------- data */

static ssize_t netlink_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct nl_sock *nl = NL(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	uint32_t dst_portid, dst_group;
	if (m->namelen) {
		struct sockaddr_nl sa;
		if (m->namelen < (int)sizeof(sa))
			return -EINVAL;
		memcpy(&sa, &m->name, sizeof(sa));
		if (sa.nl_family != AF_NETLINK)
			return -EINVAL;
		dst_portid = sa.nl_pid;
		dst_group = (uint32_t)ffs((int)sa.nl_groups);
		if ((dst_group || dst_portid) && !may_send_to_others(t))
			return -EPERM;
	} else {
		vmutex_lock(&s->lock);
		dst_portid = nl->dst_portid;
		dst_group = nl->dst_group;
		vmutex_unlock(&s->lock);
	}
	netlink_autobind(t, nl);
	size_t len = m->data.left;
	vmutex_lock(&s->lock);
	size_t sndbuf = (size_t)s->sndbuf;
	vmutex_unlock(&s->lock);
	if (len > sndbuf - 32)
		return -EMSGSIZE;
	unsigned char *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOBUFS;
	if (sock_iter_copy_from(&m->data, buf, len) < 0) {
		free(buf);
		return -EFAULT;
	}
	ssize_t r = (ssize_t)len;
	uint32_t me = atomic_load(&nl->portid);
	if (dst_portid) {
		/* To another socket of the sandbox, as netlink_unicast. */
		struct nl_skb *b = skb_new(buf, len, me);
		vmutex_lock(&netlink_table_lock);
		struct nl_sock *o = lookup_locked(dst_portid);
		if (o)
			socket_get(&o->s);
		vmutex_unlock(&netlink_table_lock);
		if (!o || !b) {
			free(b);
			r = o ? -ENOBUFS : -ECONNREFUSED;
		} else {
			vmutex_lock(&o->s.lock);
			if (o->rq_bytes > (size_t)o->s.rcvbuf) {
				free(b);
				r = -EAGAIN;
			} else {
				rq_append(o, b);
			}
			vmutex_unlock(&o->s.lock);
			socket_notify(&o->s, POLLIN | POLLRDNORM);
		}
		if (o)
			socket_put(&o->s);
	} else {
		kernel_receive(t, nl, buf, len);
	}
	free(buf);
	return r;
}

static ssize_t netlink_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct nl_sock *nl = NL(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	size_t size = m->data.left;
	vmutex_lock(&s->lock);
	struct sock_timeo to;
	socket_timeo(s, false, flags & MSG_DONTWAIT, &to);
	struct nl_skb *b;
	int r;
	for (;;) {
		b = nl->rq_head;
		if (b)
			break;
		if ((r = socket_take_error(s)) < 0)
			goto unlock;
		r = socket_wait(t, s, &s->wq, POLLIN | POLLRDNORM | POLLERR, &to);
		if (r < 0)
			goto unlock;
	}
	bool peek = flags & MSG_PEEK;
	if (!peek) {
		nl->rq_head = b->next;
		if (!nl->rq_head)
			nl->rq_tail = NULL;
		nl->rq_bytes -= skb_charge(b);
	}
	if (m->want_name) {
		struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
					 .nl_pid = b->src_portid,
					 .nl_groups = b->dst_group ? 1u << (b->dst_group - 1) : 0};
		memcpy(&m->name, &sa, sizeof(sa));
		m->namelen = sizeof(sa);
	}
	size_t n = size < b->len ? size : b->len;
	if (size < b->len)
		m->msg_flags |= MSG_TRUNC;
	if (nl->flags & NLF_PKTINFO) {
		struct nl_pktinfo pi = {.group = b->dst_group};
		sock_put_cmsg(m, SOL_NETLINK, NETLINK_PKTINFO, &pi, sizeof(pi));
	}
	/* As netlink_recvmsg: the reader's buffer sizes the next dump part. */
	if (size > nl->max_recvmsg_len)
		nl->max_recvmsg_len = size < NL_RECVMSG_MAX ? size : NL_RECVMSG_MAX;
	bool more = false;
	if (!peek)
		more = dump_pump(nl, (size_t)s->rcvbuf / 2);
	if (peek) {
		r = sock_iter_copy_to(&m->data, b->data, n) < 0 ? -EFAULT : 0;
		vmutex_unlock(&s->lock);
	} else {
		vmutex_unlock(&s->lock);
		r = sock_iter_copy_to(&m->data, b->data, n) < 0 ? -EFAULT : 0;
	}
	if (more)
		socket_notify(s, POLLIN | POLLRDNORM);
	ssize_t ret = r < 0 ? r : (flags & MSG_TRUNC) ? (ssize_t)b->len : (ssize_t)n;
	if (!peek)
		free(b);
	return ret;
unlock:
	vmutex_unlock(&s->lock);
	return r;
}

/* datagram_poll: always writable (answers are made at send time). */
static uint32_t netlink_readiness(struct socket *s, bool want_out)
{
	struct nl_sock *nl = NL(s);
	uint32_t m = POLLOUT | POLLWRNORM | POLLWRBAND;
	vmutex_lock(&s->lock);
	if (s->err)
		m |= POLLERR;
	if (nl->rq_head)
		m |= POLLIN | POLLRDNORM;
	vmutex_unlock(&s->lock);
	return m;
}

static int64_t netlink_ioctl(struct task *t, struct socket *s, unsigned int cmd, uint64_t arg)
{
	struct nl_sock *nl = NL(s);
	int v = 0;
	switch (cmd) {
	case SIOCINQ: /* the next datagram's length, as datagram sockets */
		vmutex_lock(&s->lock);
		v = nl->rq_head ? (int)nl->rq_head->len : 0;
		vmutex_unlock(&s->lock);
		break;
	case SIOCOUTQ:
		v = 0; /* sends are answered at once: nothing waits */
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return task_copy_out(t, arg, &v, sizeof(v));
}

/* ---------------------------------------------------------------- options */

static unsigned int option_flag(int name)
{
	switch (name) {
	case NETLINK_PKTINFO:
		return NLF_PKTINFO;
	case NETLINK_BROADCAST_ERROR:
		return NLF_BROADCAST_ERROR;
	case NETLINK_NO_ENOBUFS:
		return NLF_NO_ENOBUFS;
	case NETLINK_LISTEN_ALL_NSID:
		return NLF_LISTEN_ALL_NSID;
	case NETLINK_CAP_ACK:
		return NLF_CAP_ACK;
	case NETLINK_EXT_ACK:
		return NLF_EXT_ACK;
	case NETLINK_GET_STRICT_CHK:
		return NLF_STRICT_CHK;
	default:
		return 0;
	}
}

static int netlink_setsockopt(struct task *t, struct socket *s, int level, int name,
			      uint64_t optval, int optlen)
{
	struct nl_sock *nl = NL(s);
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	/* As Linux: a short value reads as 0. */
	uint32_t val = 0;
	if (optlen >= (int)sizeof(val) && task_copy_in(t, &val, optval, sizeof(val)) < 0)
		return -EFAULT;
	if (name == NETLINK_ADD_MEMBERSHIP || name == NETLINK_DROP_MEMBERSHIP) {
		if (!val || val - 1 >= NL_GROUPS)
			return -EINVAL;
		vmutex_lock(&netlink_table_lock);
		if (name == NETLINK_ADD_MEMBERSHIP)
			nl->groups |= 1ull << (val - 1);
		else
			nl->groups &= ~(1ull << (val - 1));
		vmutex_unlock(&netlink_table_lock);
		return 0;
	}
	unsigned int f = option_flag(name);
	if (!f)
		return -ENOPROTOOPT;
	if (f == NLF_LISTEN_ALL_NSID && val && !(t && t->creds && creds_capable(t->creds, CAP_NET_BROADCAST)))
		return -EPERM;
	vmutex_lock(&s->lock);
	if (val)
		nl->flags |= f;
	else
		nl->flags &= ~f;
	vmutex_unlock(&s->lock);
	return 0;
}

static int netlink_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
			      int *len)
{
	struct nl_sock *nl = NL(s);
	if (level != SOL_NETLINK)
		return -ENOPROTOOPT;
	if (*len < 0)
		return -EINVAL;
	if (name == NETLINK_LIST_MEMBERSHIPS) {
		/* As many 32-bit words of the group mask as fit. */
		vmutex_lock(&netlink_table_lock);
		uint64_t g = nl->groups;
		vmutex_unlock(&netlink_table_lock);
		uint32_t w[2] = {(uint32_t)g, (uint32_t)(g >> 32)};
		int n = *len < (int)sizeof(w) ? *len / 4 * 4 : (int)sizeof(w);
		memcpy(val, w, (size_t)n);
		*len = n;
		return 0;
	}
	unsigned int f = option_flag(name);
	if (!f)
		return -ENOPROTOOPT;
	if (*len < (int)sizeof(int))
		return -EINVAL;
	vmutex_lock(&s->lock);
	int v = (nl->flags & f) ? 1 : 0;
	vmutex_unlock(&s->lock);
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

static const struct socket_ops netlink_ops = {
	.bind = netlink_bind,
	.connect = netlink_connect,
	.sendmsg = netlink_sendmsg,
	.recvmsg = netlink_recvmsg,
	.getsockopt = netlink_getsockopt,
	.setsockopt = netlink_setsockopt,
	.ioctl = netlink_ioctl,
	.readiness = netlink_readiness,
	.getname = netlink_getname,
	.release = netlink_release,
	.destroy = netlink_destroy,
};

static const struct socket_family netlink_family = {
	.family = AF_NETLINK,
	.create = netlink_create,
};

int netlink_register(void)
{
	return socket_register_family(&netlink_family);
}
