/*
 * socket.c — the family-independent socket layer: the family registry,
 * socket files (sockfs inodes, the file ops), the SOL_SOCKET options, and
 * the waits and wake-ups every family shares.  See socket.h.
 *
 * It names no family: families register at boot (register.c) and a socket
 * reaches its family only through s->ops.  It never walks paths and never
 * blocks with a lock held.
 */
#include "sentry/socket/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/syscall_table.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/netif.h"
#include "sentry/vfs/vfs.h"

#ifndef SOCK_NPROTO
#define SOCK_NPROTO 46 /* Linux's NPROTO (AF_MAX) */
#endif
#define SOCK_TYPE_MAX 11 /* Linux's SOCK_MAX: SOCK_PACKET + 1 */
#define SOCKFS_MAGIC 0x534F434B
#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515
#endif

/* ---------------------------------------------------------------- families */

/* Filled at boot, before the first task; only read afterwards. */
static const struct socket_family *families[SOCK_NPROTO];

int socket_register_family(const struct socket_family *fam)
{
	if (!fam || fam->family <= 0 || fam->family >= SOCK_NPROTO || !fam->create)
		return -EINVAL;
	families[fam->family] = fam;
	return 0;
}

static const struct socket_family *family_of(int family)
{
	if (family < 0 || family >= SOCK_NPROTO)
		return NULL;
	return families[family];
}

/* ---------------------------------------------------------------- sockets */

void socket_task_creds(struct task *t, struct scm_creds *scm_default, struct scm_creds *peer)
{
	/* Linux's overflow ids stand for "nobody known". */
	struct scm_creds none = {.pid = 0, .uid = 65534, .gid = 65534};
	struct scm_creds a = none, b = none;
	if (t && t->creds) {
		int32_t pid = t->tg ? t->tg->tgid : t->tid;
		a = (struct scm_creds){pid, t->creds->ruid, t->creds->rgid};
		b = (struct scm_creds){pid, t->creds->euid, t->creds->egid};
	}
	if (scm_default)
		*scm_default = a;
	if (peer)
		*peer = b;
}

void socket_init(struct socket *s, struct task *t, int family, int type, int protocol,
		 const struct socket_ops *ops)
{
	atomic_init(&s->refs, 1);
	vmutex_init(&s->lock, LOCK_CLASS(SOCKET));
	waitq_init(&s->wq);
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->ops = ops;
	s->uid = t && t->creds ? t->creds->fsuid : 0;
	s->state = SOCK_STATE_CLOSE;
	s->sndbuf = SOCK_WMEM_DEFAULT;
	s->rcvbuf = SOCK_WMEM_DEFAULT;
	s->rcvtimeo_ns = s->sndtimeo_ns = -1;
	s->rcvlowat = 1;
}

void socket_get(struct socket *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void socket_put(struct socket *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	waitq_destroy(&s->wq);
	vmutex_destroy(&s->lock);
	s->ops->destroy(s);
}

void socket_lock_pair(struct socket *a, struct socket *b)
{
	if (!b || a == b) {
		vmutex_lock(&a->lock);
		return;
	}
	if (a > b) {
		struct socket *x = a;
		a = b;
		b = x;
	}
	vmutex_lock_nested(&a->lock, 0);
	vmutex_lock_nested(&b->lock, 1);
}

void socket_unlock_pair(struct socket *a, struct socket *b)
{
	if (b && b != a)
		vmutex_unlock(&b->lock);
	vmutex_unlock(&a->lock);
}

/* As Linux __sock_create: EAFNOSUPPORT for a family out of range or not
 * registered, EINVAL for a type out of range, then the family decides. */
static int check_create(int family, int type, const struct socket_family **fam)
{
	if (family < 0 || family >= SOCK_NPROTO)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= SOCK_TYPE_MAX)
		return -EINVAL;
	*fam = family_of(family);
	return *fam ? 0 : -EAFNOSUPPORT;
}

int socket_create(struct task *t, int family, int type, int protocol, struct socket **out)
{
	const struct socket_family *fam;
	int r = check_create(family, type, &fam);
	if (r < 0)
		return r;
	return fam->create(t, type, protocol, out);
}

int socket_create_pair(struct task *t, int family, int type, int protocol, struct socket *out[2])
{
	const struct socket_family *fam;
	int r = check_create(family, type, &fam);
	if (r < 0)
		return r;
	r = fam->create(t, type, protocol, &out[0]);
	if (r < 0)
		return r;
	r = fam->create(t, type, protocol, &out[1]);
	if (r < 0) {
		socket_put(out[0]);
		return r;
	}
	r = fam->socketpair ? fam->socketpair(t, out[0], out[1]) : -EOPNOTSUPP;
	if (r < 0) {
		socket_put(out[0]);
		socket_put(out[1]);
	}
	return r;
}

/* ---------------------------------------------------------------- waits */

int socket_take_error(struct socket *s)
{
	int e = s->err;
	s->err = 0;
	if (!e && s->ops->take_error)
		e = s->ops->take_error(s);
	return -e;
}

void socket_timeo(struct socket *s, bool send, bool nonblock, struct sock_timeo *to)
{
	int64_t ns = send ? s->sndtimeo_ns : s->rcvtimeo_ns;
	memset(to, 0, sizeof(*to));
	if (nonblock || ns == 0) {
		to->nowait = true;
		return;
	}
	if (ns < 0) {
		to->forever = true;
		return;
	}
	const struct timespec rel = {ns / 1000000000, ns % 1000000000};
	deadline_after(&to->deadline, &rel);
}

void socket_inherit_options(struct socket *child, struct socket *listener)
{
	vmutex_lock(&listener->lock);
	child->reuseaddr = listener->reuseaddr;
	child->reuseport = listener->reuseport;
	child->keepalive = listener->keepalive;
	child->broadcast = listener->broadcast;
	child->oobinline = listener->oobinline;
	child->dontroute = listener->dontroute;
	child->linger_on = listener->linger_on;
	child->linger_secs = listener->linger_secs;
	child->priority = listener->priority;
	child->rcvlowat = listener->rcvlowat;
	child->rcvtimeo_ns = listener->rcvtimeo_ns;
	child->sndtimeo_ns = listener->sndtimeo_ns;
	vmutex_unlock(&listener->lock);
}

void sock_wait_init(struct sock_wait *sw, struct socket *s, bool send, bool nonblock)
{
	sw->added = false;
	vmutex_lock(&s->lock);
	socket_timeo(s, send, nonblock, &sw->to);
	vmutex_unlock(&s->lock);
}

int sock_wait_step(struct task *t, struct socket *s, struct sock_wait *sw, uint32_t events)
{
	if (!t || sw->to.nowait)
		return -EAGAIN;
	if (!sw->added) {
		task_waiter_init(&sw->w, t, events);
		waitq_add(&s->wq, &sw->w);
		sw->added = true;
		return 0;
	}
	int r = task_block(t, sw->to.forever ? NULL : &sw->to.deadline);
	if (r == -EINTR)
		return sw->to.forever ? -ERESTARTSYS : -EINTR; /* sock_intr_errno */
	if (r == -ETIMEDOUT) {
		sw->to.nowait = true;
		return -EAGAIN;
	}
	return 0;
}

bool sock_recv_wait(struct task *t, struct socket *s, struct sock_wait *sw, ssize_t *r,
		    size_t copied, bool waitall)
{
	if (*r != -EAGAIN || (copied && !waitall))
		return false;
	int w = sock_wait_step(t, s, sw, SOCK_EV_IN);
	if (w < 0) {
		*r = w;
		return false;
	}
	return true;
}

void sock_wait_done(struct socket *s, struct sock_wait *sw)
{
	if (sw->added)
		waitq_remove(&s->wq, &sw->w);
}

int socket_wait(struct task *t, struct socket *held, struct waitq *wq, uint32_t events,
		struct sock_timeo *to)
{
	if (!t || to->nowait)
		return -EAGAIN;
	struct waiter w;
	task_waiter_init(&w, t, events);
	waitq_add(wq, &w);
	if (held)
		vmutex_unlock(&held->lock);
	int r = task_block(t, to->forever ? NULL : &to->deadline);
	waitq_remove(wq, &w);
	if (held)
		vmutex_lock(&held->lock);
	if (r == -EINTR)
		return to->forever ? -ERESTARTSYS : -EINTR; /* Linux's sock_intr_errno */
	if (r == -ETIMEDOUT) {
		to->nowait = true; /* the time is used up: later checks do not wait */
		return -EAGAIN;
	}
	return 0;
}

void socket_notify(struct socket *s, uint32_t events)
{
	waitq_notify(&s->wq, events);
}

void socket_sigpipe(struct task *t)
{
	if (t)
		task_signal_send(t, SIGPIPE);
}

/* ---------------------------------------------------------------- iterators */

void sock_iter_init(struct sock_iter *it, struct task *t, const struct sock_iovec *iov, int nr,
		    size_t total)
{
	*it = (struct sock_iter){.t = t, .iov = iov, .nr = nr, .left = total};
	while (it->idx < it->nr && it->iov[it->idx].len == 0)
		it->idx++;
}

/* Move n bytes between buf and the iterator (to_iter: buf -> iterator). */
static int iter_copy(struct sock_iter *it, void *buf, size_t n, bool to_iter)
{
	struct sock_iter saved = *it;
	char *p = buf;
	while (n > 0) {
		if (it->idx >= it->nr) {
			*it = saved;
			return -EFAULT;
		}
		const struct sock_iovec *v = &it->iov[it->idx];
		size_t k = v->len - it->off < n ? v->len - it->off : n;
		uint64_t addr = v->base + it->off;
		int r = 0;
		if (it->t) {
			r = to_iter ? task_copy_out(it->t, addr, p, k) : task_copy_in(it->t, p, addr, k);
		} else if (to_iter) {
			memcpy((void *)(uintptr_t)addr, p, k);
		} else {
			memcpy(p, (const void *)(uintptr_t)addr, k);
		}
		if (r < 0) {
			*it = saved;
			return -EFAULT;
		}
		p += k;
		n -= k;
		it->left -= k;
		it->off += k;
		if (it->off == v->len) {
			it->idx++;
			it->off = 0;
			while (it->idx < it->nr && it->iov[it->idx].len == 0)
				it->idx++;
		}
	}
	return 0;
}

int sock_iter_copy_from(struct sock_iter *it, void *dst, size_t n)
{
	return iter_copy(it, dst, n, false);
}

void sock_iter_skip(struct sock_iter *it, size_t n)
{
	while (n > 0 && it->idx < it->nr) {
		const struct sock_iovec *v = &it->iov[it->idx];
		size_t k = v->len - it->off < n ? v->len - it->off : n;
		n -= k;
		it->left -= k;
		it->off += k;
		if (it->off == v->len) {
			it->idx++;
			it->off = 0;
			while (it->idx < it->nr && it->iov[it->idx].len == 0)
				it->idx++;
		}
	}
}

int sock_iter_copy_to(struct sock_iter *it, const void *src, size_t n)
{
	return iter_copy(it, (void *)src, n, true);
}

/* ---------------------------------------------------------------- files */

static struct superblock *sockfs_sb;
static pthread_once_t sockfs_once = PTHREAD_ONCE_INIT;

/* The first sockfs inode number.  Linux's come from get_next_ino and are
 * never small; tools rely on it: netstat -p skips a "socket:[N]" link
 * shorter than 11 characters. */
#define SOCKFS_FIRST_INO 10000

static void sockfs_init(void)
{
	sockfs_sb = sb_new("sockfs", SOCKFS_MAGIC);
	if (sockfs_sb)
		atomic_store(&sockfs_sb->next_ino, SOCKFS_FIRST_INO);
}

static struct socket *SK(struct file *f)
{
	return f->priv;
}

/* read(2)/write(2) on a socket: a recvmsg/sendmsg of Sentry memory
 * (Linux's sock_read_iter/sock_write_iter). */
static ssize_t sock_file_rw(struct task *t, struct file *f, void *buf, size_t len, bool write)
{
	struct socket *s = SK(f);
	if (!write && len == 0)
		return 0;
	struct sock_iovec v = {(uint64_t)(uintptr_t)buf, len};
	struct sock_msg m;
	memset(&m, 0, sizeof(m));
	sock_iter_init(&m.data, NULL, &v, 1, len);
	int flags = (file_get_flags(f) & O_NONBLOCK) ? MSG_DONTWAIT : 0;
	ssize_t r;
	if (write) {
		if (s->type == SOCK_SEQPACKET)
			flags |= MSG_EOR;
		r = s->ops->sendmsg(t, s, &m, flags);
	} else {
		r = s->ops->recvmsg(t, s, &m, flags);
		scm_destroy(&m.rscm); /* read(2) has no room for passed files */
	}
	return r;
}

static ssize_t sock_file_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	return sock_file_rw(t, f, buf, len, false);
}

static ssize_t sock_file_write(struct task *t, struct file *f, const void *buf, size_t len,
			       uint64_t *pos)
{
	return sock_file_rw(t, f, (void *)buf, len, true);
}

static uint32_t sock_file_poll(struct file *f, struct poll_entry *pe)
{
	struct socket *s = SK(f);
	poll_wait(pe, &s->wq);
	bool want_out = !pe || (pe->w.mask & (POLLOUT | POLLWRNORM | POLLWRBAND));
	return s->ops->readiness(s, want_out);
}

static _Atomic socket_ifioctl_fn ifioctl_hook;

void socket_set_ifioctl(socket_ifioctl_fn fn)
{
	atomic_store(&ifioctl_hook, fn);
}

static int64_t sock_file_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	struct socket *s = SK(f);
	int64_t r = s->ops->ioctl ? s->ops->ioctl(t, s, cmd, arg) : -ENOIOCTLCMD;
	/* As Linux's sock_do_ioctl: then the device ioctls (dev_ioctl). */
	socket_ifioctl_fn dev = atomic_load(&ifioctl_hook);
	if (r == -ENOIOCTLCMD && dev)
		r = dev(t, s, cmd, arg);
	/* As Linux's sock_do_ioctl: what no one knows is not a terminal ioctl. */
	return r == -ENOIOCTLCMD ? -ENOTTY : r;
}

static void sock_file_release(struct file *f)
{
	struct socket *s = SK(f);
	if (!s)
		return;
	vmutex_lock(&s->lock);
	s->file = NULL;
	vmutex_unlock(&s->lock);
	s->ops->release(s);
	socket_put(s);
}

static int sock_file_stat(struct file *f, struct stat *st)
{
	inode_fill_stat(f->inode, st);
	return 0;
}

static const struct file_ops socket_fops = {
	.read = sock_file_read,
	.write = sock_file_write,
	.poll = sock_file_poll,
	.ioctl = sock_file_ioctl,
	.release = sock_file_release,
	.stat = sock_file_stat,
};

/* A socket that never got its file is closed as a file would close it. */
static void socket_discard(struct socket *s)
{
	s->ops->release(s);
	socket_put(s);
}

struct file *socket_file_new(struct socket *s, int flags)
{
	pthread_once(&sockfs_once, sockfs_init);
	struct inode *ino = sockfs_sb ? inode_new(sockfs_sb, S_IFSOCK | 0777) : NULL;
	if (!ino) {
		socket_discard(s);
		return NULL;
	}
	ino->uid = s->uid;
	struct file *f = file_new_anon(&socket_fops, ino, O_RDWR | (flags & O_NONBLOCK), s);
	inode_put(ino);
	if (!f) {
		socket_discard(s);
		return NULL;
	}
	char name[48];
	snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)ino->ino);
	file_set_anon_name(f, name);
	vmutex_lock(&s->lock);
	s->ino = ino->ino;
	s->file = f;
	vmutex_unlock(&s->lock);
	return f;
}

struct socket *socket_from_file(struct file *f)
{
	return f && f->ops == &socket_fops ? f->priv : NULL;
}

/* ---------------------------------------------------------------- options */

static bool capable(struct task *t, int cap)
{
	return !t || vfs_capable(vfs_task_creds(t), cap);
}

/* SO_RCVTIMEO/SO_SNDTIMEO as Linux's sock_set_timeout: EDOM for a bad
 * tv_usec; a negative time means "never wait", a zero one "forever". */
static int set_timeout(struct task *t, int64_t *ns, uint64_t optval, int optlen)
{
	struct timeval tv;
	if ((size_t)optlen < sizeof(tv))
		return -EINVAL;
	if (task_copy_in(t, &tv, optval, sizeof(tv)) < 0)
		return -EFAULT;
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0)
		*ns = 0;
	else if (tv.tv_sec == 0 && tv.tv_usec == 0)
		*ns = -1;
	else if (tv.tv_sec >= INT64_MAX / 1000000000 - 1)
		*ns = -1;
	else
		*ns = (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
	return 0;
}

static int64_t clamp_buf(int val, int max, int min)
{
	uint32_t v = (uint32_t)val < (uint32_t)max ? (uint32_t)val : (uint32_t)max;
	if (v > INT32_MAX / 2)
		v = INT32_MAX / 2;
	int64_t b = (int64_t)v * 2;
	return b < min ? min : b;
}

void socket_set_timestamp(struct socket *s, int name, bool on)
{
	vmutex_lock(&s->lock);
	unsigned int v = s->tstamp;
	if (!on) {
		v &= ~(unsigned int)(SOCK_TS_RCV | SOCK_TS_NS);
	} else {
		bool ns = name == SO_TIMESTAMPNS_OLD || name == SO_TIMESTAMPNS_NEW;
		bool new = name == SO_TIMESTAMP_NEW || name == SO_TIMESTAMPNS_NEW;
		v = SOCK_TS_RCV | (ns ? SOCK_TS_NS : 0) | (new ? SOCK_TS_NEW : 0);
	}
	/* Read without the lock by every receive (socket_put_timestamp). */
	__atomic_store_n(&s->tstamp, v, __ATOMIC_RELAXED);
	vmutex_unlock(&s->lock);
}

/* As Linux's __sock_recv_timestamp without SO_TIMESTAMPING: a timeval or a
 * timespec, under the old (29, 35) or new (63, 64) type; on x86-64 both
 * forms have the same layout (two 64-bit fields). */
void socket_put_timestamp(struct socket *s, struct sock_msg *m, uint64_t stamp_mono_ns)
{
	unsigned int ts = __atomic_load_n(&s->tstamp, __ATOMIC_RELAXED);
	if (!(ts & SOCK_TS_RCV))
		return;
	struct timespec real, mono;
	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	uint64_t mono_ns = (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec;
	int64_t age = mono_ns > stamp_mono_ns ? (int64_t)(mono_ns - stamp_mono_ns) : 0;
	int64_t stamp_real_ns = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec - age;
	int64_t v[2] = {stamp_real_ns / 1000000000, stamp_real_ns % 1000000000};
	int type;
	if (ts & SOCK_TS_NS) {
		type = (ts & SOCK_TS_NEW) ? SO_TIMESTAMPNS_NEW : SO_TIMESTAMPNS_OLD;
	} else {
		v[1] /= 1000;
		type = (ts & SOCK_TS_NEW) ? SO_TIMESTAMP_NEW : SO_TIMESTAMP_OLD;
	}
	sock_put_cmsg(m, SOL_SOCKET, type, v, sizeof(v));
}

/* An option nobody implements: counted, ENOPROTOOPT. */
static int unsupported_opt(int level, int name)
{
	syscall_count_unsupported_sockopt(level, name);
	return -ENOPROTOOPT;
}

/* The SOL_SOCKET options of Linux's sk_setsockopt, under s->lock. */
static int set_common(struct task *t, struct socket *s, int name, int val, uint64_t optval,
		      int optlen, bool *notify)
{
	bool b = val != 0;
	switch (name) {
	case SO_DEBUG:
		return b && !capable(t, CAP_NET_ADMIN) ? -EACCES : 0;
	case SO_REUSEADDR:
		s->reuseaddr = b;
		return 0;
	case SO_REUSEPORT: {
		const struct socket_family *fam = family_of(s->family);
		if (b && !(fam && fam->inet))
			return -EOPNOTSUPP;
		s->reuseport = b;
		return 0;
	}
	case SO_TYPE:
	case SO_PROTOCOL:
	case SO_DOMAIN:
	case SO_ERROR:
	case SO_ACCEPTCONN:
	case SO_PEERCRED:
	case SO_PEERNAME:
		return -ENOPROTOOPT; /* read-only, as Linux */
	case SO_DONTROUTE:
		s->dontroute = b;
		return 0;
	case SO_BROADCAST:
		s->broadcast = b;
		return 0;
	case SO_SNDBUFFORCE:
		if (!capable(t, CAP_NET_ADMIN))
			return -EPERM;
		s->sndbuf = (int)clamp_buf(val < 0 ? 0 : val, INT32_MAX, SOCK_MIN_SNDBUF);
		*notify = true;
		return 0;
	case SO_SNDBUF:
		s->sndbuf = (int)clamp_buf(val, SOCK_WMEM_MAX, SOCK_MIN_SNDBUF);
		*notify = true; /* writers may go on */
		return 0;
	case SO_RCVBUFFORCE:
		if (!capable(t, CAP_NET_ADMIN))
			return -EPERM;
		s->rcvbuf = (int)clamp_buf(val < 0 ? 0 : val, INT32_MAX, SOCK_MIN_RCVBUF);
		return 0;
	case SO_RCVBUF:
		s->rcvbuf = (int)clamp_buf(val, SOCK_RMEM_MAX, SOCK_MIN_RCVBUF);
		return 0;
	case SO_KEEPALIVE:
		s->keepalive = b;
		return 0;
	case SO_OOBINLINE:
		s->oobinline = b;
		return 0;
	case SO_PRIORITY:
		if ((val < 0 || val > 6) && !capable(t, CAP_NET_RAW) && !capable(t, CAP_NET_ADMIN))
			return -EPERM;
		s->priority = val;
		return 0;
	case SO_LINGER: {
		struct linger l;
		if ((size_t)optlen < sizeof(l))
			return -EINVAL;
		if (task_copy_in(t, &l, optval, sizeof(l)) < 0)
			return -EFAULT;
		s->linger_on = l.l_onoff != 0;
		if (l.l_onoff)
			s->linger_secs = l.l_linger;
		return 0;
	}
	case SO_BSDCOMPAT:
		return 0;
	case SO_PASSCRED:
		s->passcred = b;
		return 0;
	case SO_RCVLOWAT:
		s->rcvlowat = val < 0 ? INT32_MAX : (val ? val : 1);
		return 0;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		return set_timeout(t, &s->rcvtimeo_ns, optval, optlen);
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		return set_timeout(t, &s->sndtimeo_ns, optval, optlen);
	default:
		return -ENOIOCTLCMD; /* not a common option */
	}
}

/* sock_bindtoindex_locked: the interface a socket sends and receives on
 * (inet: the netstack filters its lookups and routes by it); changing a
 * binding needs CAP_NET_RAW.  As Linux, an index is not checked against
 * the interfaces (SO_BINDTODEVICE's name is). */
static int socket_bind_index(struct task *t, struct socket *s, int ifindex)
{
	if (ifindex < 0)
		return -EINVAL;
	vmutex_lock(&s->lock);
	if (s->bound_dev && !capable(t, CAP_NET_RAW)) {
		vmutex_unlock(&s->lock);
		return -EPERM;
	}
	s->bound_dev = ifindex;
	vmutex_unlock(&s->lock);
	if (s->ops->sol_socket_set)
		s->ops->sol_socket_set(t, s, SO_BINDTOIFINDEX, ifindex);
	return 0;
}

/* sock_setbindtodevice: at most IFNAMSIZ - 1 bytes of name; "" (or
 * nothing) unbinds; an unknown name is ENODEV. */
static int socket_bind_device(struct task *t, struct socket *s, uint64_t optval, int optlen)
{
	char name[IFNAMSIZ] = "";
	size_t n = (size_t)optlen < IFNAMSIZ - 1 ? (size_t)optlen : IFNAMSIZ - 1;
	if (n && task_copy_in(t, name, optval, n) < 0)
		return -EFAULT;
	int ifindex = 0;
	if (name[0]) {
		struct ns_nic_info nic;
		if (netif_nic_by_name(name, &nic) < 0)
			return -ENODEV;
		ifindex = nic.ifindex;
	}
	return socket_bind_index(t, s, ifindex);
}

int socket_setsockopt(struct task *t, struct socket *s, int level, int name, uint64_t optval,
		      int optlen)
{
	if (optlen < 0)
		return -EINVAL;
	if (level != SOL_SOCKET)
		return s->ops->setsockopt ? s->ops->setsockopt(t, s, level, name, optval, optlen)
					  : -EOPNOTSUPP;
	if (name == SO_BINDTODEVICE)
		return socket_bind_device(t, s, optval, optlen);
	if ((size_t)optlen < sizeof(int))
		return -EINVAL;
	int val;
	if (task_copy_in(t, &val, optval, sizeof(val)) < 0)
		return -EFAULT;
	if (name == SO_BINDTOIFINDEX)
		return socket_bind_index(t, s, val);
	bool notify = false;
	vmutex_lock(&s->lock);
	int r = set_common(t, s, name, val, optval, optlen, &notify);
	vmutex_unlock(&s->lock);
	if (notify)
		socket_notify(s, POLLOUT | POLLWRNORM | POLLWRBAND);
	if (r == 0 && s->ops->sol_socket_set)
		s->ops->sol_socket_set(t, s, name, val);
	if (r != -ENOIOCTLCMD)
		return r;
	if (s->ops->setsockopt) {
		r = s->ops->setsockopt(t, s, level, name, optval, optlen);
		if (r != -ENOPROTOOPT)
			return r;
	}
	return unsupported_opt(level, name);
}

static void timeo_out(int64_t ns, struct timeval *tv)
{
	if (ns <= 0) {
		*tv = (struct timeval){0, 0};
		return;
	}
	tv->tv_sec = ns / 1000000000;
	tv->tv_usec = (ns % 1000000000 + 999) / 1000;
}

int socket_getsockopt(struct task *t, struct socket *s, int level, int name, void *val, int *len)
{
	if (level != SOL_SOCKET)
		return s->ops->getsockopt ? s->ops->getsockopt(t, s, level, name, val, len)
					  : -EOPNOTSUPP;
	if (*len < 0)
		return -EINVAL;
	union {
		int i;
		struct linger l;
		struct timeval tv;
		struct ucred cred;
		uint64_t u64;
		struct sockaddr_storage ss;
	} v;
	memset(&v, 0, sizeof(v));
	int lv = sizeof(int);
	vmutex_lock(&s->lock);
	switch (name) {
	case SO_DEBUG:
		break;
	case SO_DONTROUTE:
		v.i = s->dontroute;
		break;
	case SO_BROADCAST:
		v.i = s->broadcast;
		break;
	case SO_SNDBUF:
		v.i = s->sndbuf;
		break;
	case SO_RCVBUF:
		v.i = s->rcvbuf;
		break;
	case SO_REUSEADDR:
		v.i = s->reuseaddr;
		break;
	case SO_REUSEPORT:
		v.i = s->reuseport;
		break;
	case SO_KEEPALIVE:
		v.i = s->keepalive;
		break;
	case SO_TYPE:
		v.i = s->type;
		break;
	case SO_PROTOCOL:
		v.i = s->protocol;
		break;
	case SO_DOMAIN:
		v.i = s->family;
		break;
	case SO_ERROR:
		v.i = -socket_take_error(s);
		break;
	case SO_OOBINLINE:
		v.i = s->oobinline;
		break;
	case SO_PRIORITY:
		v.i = s->priority;
		break;
	case SO_BINDTOIFINDEX:
		v.i = s->bound_dev;
		break;
	case SO_BINDTODEVICE: {
		/* sock_getbindtodevice: room for a whole name or EINVAL; the
		 * name with its NUL, or length 0 when unbound. */
		int idx = s->bound_dev;
		vmutex_unlock(&s->lock);
		if (*len < IFNAMSIZ)
			return -EINVAL;
		struct ns_nic_info nic;
		if (!idx) {
			*len = 0;
			return 0;
		}
		if (netif_nic_by_index(idx, &nic) < 0)
			return -ENODEV;
		*len = (int)strnlen(nic.name, sizeof(nic.name) - 1) + 1;
		memcpy(val, nic.name, (size_t)*len - 1);
		((char *)val)[*len - 1] = '\0';
		return 0;
	}
	case SO_LINGER:
		lv = sizeof(v.l);
		v.l.l_onoff = s->linger_on;
		v.l.l_linger = s->linger_secs; /* kept when turned off, as Linux */
		break;
	case SO_BSDCOMPAT:
		break;
	/* As Linux's sk_getsockopt: each name reports its own form. */
	case SO_TIMESTAMP_OLD:
		v.i = (s->tstamp & (SOCK_TS_RCV | SOCK_TS_NS | SOCK_TS_NEW)) == SOCK_TS_RCV;
		break;
	case SO_TIMESTAMPNS_OLD:
		v.i = (s->tstamp & (SOCK_TS_NS | SOCK_TS_NEW)) == SOCK_TS_NS;
		break;
	case SO_TIMESTAMP_NEW:
		v.i = (s->tstamp & (SOCK_TS_RCV | SOCK_TS_NEW)) == (SOCK_TS_RCV | SOCK_TS_NEW);
		break;
	case SO_TIMESTAMPNS_NEW:
		v.i = (s->tstamp & (SOCK_TS_NS | SOCK_TS_NEW)) == (SOCK_TS_NS | SOCK_TS_NEW);
		break;
	case SO_RCVTIMEO_OLD:
	case SO_RCVTIMEO_NEW:
		lv = sizeof(v.tv);
		timeo_out(s->rcvtimeo_ns, &v.tv);
		break;
	case SO_SNDTIMEO_OLD:
	case SO_SNDTIMEO_NEW:
		lv = sizeof(v.tv);
		timeo_out(s->sndtimeo_ns, &v.tv);
		break;
	case SO_RCVLOWAT:
		v.i = s->rcvlowat;
		break;
	case SO_SNDLOWAT:
		v.i = 1;
		break;
	case SO_PASSCRED:
		v.i = s->passcred;
		break;
	case SO_PEERCRED:
		/* As Linux's cred_to_ucred: no peer is pid 0, ids -1. */
		lv = sizeof(v.cred);
		v.cred.pid = s->has_peercred ? s->peercred.pid : 0;
		v.cred.uid = s->has_peercred ? s->peercred.uid : (uint32_t)-1;
		v.cred.gid = s->has_peercred ? s->peercred.gid : (uint32_t)-1;
		break;
	case SO_ACCEPTCONN:
		v.i = s->state == SOCK_STATE_LISTEN;
		break;
	case SO_COOKIE:
		lv = sizeof(v.u64);
		v.u64 = s->ino;
		if (*len < lv) {
			vmutex_unlock(&s->lock);
			return -EINVAL;
		}
		break;
	case SO_PEERNAME:
		vmutex_unlock(&s->lock);
		lv = s->ops->getname(s, &v.ss, 1);
		if (lv < 0)
			return -ENOTCONN;
		if (lv < *len)
			return -EINVAL; /* as Linux: the buffer may not be larger */
		memcpy(val, &v.ss, *len);
		return 0;
	case SO_PEERSEC:
		vmutex_unlock(&s->lock);
		return -ENOPROTOOPT; /* no security module, as Linux without one */
	case SO_INCOMING_NAPI_ID:
		/* As Linux with CONFIG_NET_RX_BUSY_POLL (Debian's): the NAPI id
		 * of the last packet's device queue, 0 for none (loopback, or a
		 * stack without NAPI as the Sentry's).  The JDK probes it at
		 * start-up (jdk.net.ExtendedSocketOptions). */
		v.i = 0;
		break;
	default:
		vmutex_unlock(&s->lock);
		if (s->ops->getsockopt) {
			int r = s->ops->getsockopt(t, s, level, name, val, len);
			if (r != -ENOPROTOOPT)
				return r;
		}
		return unsupported_opt(level, name);
	}
	vmutex_unlock(&s->lock);
	if (*len > lv)
		*len = lv;
	memcpy(val, &v, *len);
	return 0;
}
