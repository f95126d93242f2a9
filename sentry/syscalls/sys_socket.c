/*
 * sys_socket.c — the socket syscalls: socket, socketpair, bind, listen,
 * accept, accept4, connect, getsockname, getpeername, sendto, recvfrom,
 * sendmsg, recvmsg, sendmmsg, recvmmsg, shutdown, setsockopt, getsockopt.
 *
 * Thin shells, as Linux's net/socket.c: look the socket up (EBADF, then
 * ENOTSOCK), copy addresses, iovecs and control data in from app memory
 * (every pointer through task_copy_*), call the socket layer
 * (sentry/socket/socket.h), copy results out, with Linux's checks and
 * their order.  Data moves between app memory and the family's buffers
 * through a sock_iter, never a bounce buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#include "lib/cleanup.h"
#include "sentry/socket/socket.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#define SOCK_TYPE_MASK 0xf
#define OPTMEM_MAX 131072      /* net.core.optmem_max: the largest control data sent */
#define RECV_CONTROL_MAX 65536 /* room for received control messages we keep */
#define SOCKOPT_MAX 4096       /* the largest option value returned */
#ifndef MSG_WAITFORONE
#define MSG_WAITFORONE 0x10000
#endif
#ifndef MSG_CMSG_COMPAT
#define MSG_CMSG_COMPAT 0x80000000u
#endif

/* The socket of fd (and its file, which holds it): -EBADF or -ENOTSOCK. */
static int sockfd_lookup(struct task *t, int fd, struct file **fp, struct socket **sp)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	struct socket *s = socket_from_file(f);
	if (!s) {
		file_put(f);
		return -ENOTSOCK;
	}
	*fp = f;
	*sp = s;
	return 0;
}

static int file_nonblock(struct file *f)
{
	return file_get_flags(f) & O_NONBLOCK;
}

/* A syscall on the socket in a[0]: -EBADF or -ENOTSOCK, else fn's answer
 * with the socket (its file holds it meanwhile). */
typedef int64_t (*sock_call_fn)(struct task *t, struct socket *s, struct file *f,
				const uint64_t a[6]);
static int64_t on_socket(struct task *t, const uint64_t a[6], sock_call_fn fn)
{
	struct file *f;
	struct socket *s;
	int r = sockfd_lookup(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	int64_t ret = fn(t, s, f, a);
	file_put(f);
	return ret;
}

/* Linux's move_addr_to_kernel. */
static int addr_in(struct task *t, uint64_t uaddr, int64_t ulen, struct sockaddr_storage *k)
{
	if (ulen < 0 || ulen > (int64_t)sizeof(*k))
		return -EINVAL;
	memset(k, 0, sizeof(*k));
	if (ulen == 0)
		return 0;
	return task_copy_in(t, k, uaddr, (size_t)ulen) < 0 ? -EFAULT : 0;
}

/* Linux's move_addr_to_user: at most the app's length of the address,
 * then the address's real length into *ulenp. */
static int addr_out(struct task *t, const struct sockaddr_storage *k, int klen, uint64_t uaddr,
		    uint64_t ulenp)
{
	int len;
	if (task_copy_in(t, &len, ulenp, sizeof(len)) < 0)
		return -EFAULT;
	if (len > klen)
		len = klen;
	if (len < 0)
		return -EINVAL;
	if (len && task_copy_out(t, uaddr, k, (size_t)len) < 0)
		return -EFAULT;
	return task_copy_out(t, ulenp, &klen, sizeof(klen)) < 0 ? -EFAULT : 0;
}

/* ---------------------------------------------------------------- create */

static int64_t sys_socket(struct task *t, const uint64_t a[6])
{
	int family = (int)a[0], type = (int)a[1], protocol = (int)a[2];
	int flags = type & ~SOCK_TYPE_MASK;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	type &= SOCK_TYPE_MASK;
	struct socket *s;
	int r = socket_create(t, family, type, protocol, &s);
	if (r < 0)
		return r;
	struct file *f = socket_file_new(s, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
	if (!f)
		return -ENFILE;
	return install(t, f, flags & SOCK_CLOEXEC);
}

static int64_t sys_socketpair(struct task *t, const uint64_t a[6])
{
	int family = (int)a[0], type = (int)a[1], protocol = (int)a[2];
	int flags = type & ~SOCK_TYPE_MASK;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	type &= SOCK_TYPE_MASK;
	/* Linux writes the descriptors before it makes the sockets: a bad
	 * pointer is EFAULT before any family error. */
	int fds[2] = {-1, -1};
	if (task_copy_out(t, a[3], fds, sizeof(fds)) < 0)
		return -EFAULT;
	struct socket *s[2];
	int r = socket_create_pair(t, family, type, protocol, s);
	if (r < 0)
		return r;
	int fl = (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0;
	struct file *f0 = socket_file_new(s[0], fl);
	struct file *f1 = socket_file_new(s[1], fl);
	if (!f0 || !f1) {
		put_files(f0, f1);
		return -ENFILE;
	}
	fds[0] = install(t, f0, flags & SOCK_CLOEXEC);
	if (fds[0] < 0) {
		file_put(f1);
		return fds[0];
	}
	fds[1] = install(t, f1, flags & SOCK_CLOEXEC);
	if (fds[1] < 0) {
		fdt_close(t->fdt, fds[0]);
		return fds[1];
	}
	if (task_copy_out(t, a[3], fds, sizeof(fds)) < 0) {
		fdt_close(t->fdt, fds[0]);
		fdt_close(t->fdt, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* ---------------------------------------------------------------- names */

static int64_t do_bind(struct task *t, struct socket *s, struct file *f, const uint64_t a[6])
{
	struct sockaddr_storage addr;
	int len = (int)a[2];
	int r = addr_in(t, a[1], len, &addr);
	if (r == 0)
		r = s->ops->bind ? s->ops->bind(t, s, &addr, len) : -EOPNOTSUPP;
	return r;
}

static int64_t sys_bind(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_bind);
}

static int64_t sys_connect(struct task *t, const uint64_t a[6])
{
	/* As Linux: the address is copied before the file is known to be a
	 * socket. */
	struct file *f = get_file(t, (int)a[0]);
	if (!f)
		return -EBADF;
	struct sockaddr_storage addr;
	int len = (int)a[2];
	int r = addr_in(t, a[1], len, &addr);
	if (r == 0) {
		struct socket *s = socket_from_file(f);
		if (!s)
			r = -ENOTSOCK;
		else
			r = s->ops->connect ? s->ops->connect(t, s, &addr, len, file_nonblock(f))
					    : -EOPNOTSUPP;
	}
	file_put(f);
	return r;
}

static int64_t do_listen(struct task *t, struct socket *s, struct file *f, const uint64_t a[6])
{
	int backlog = (int)a[1];
	if ((unsigned int)backlog > SOCK_SOMAXCONN)
		backlog = SOCK_SOMAXCONN;
	return s->ops->listen ? s->ops->listen(t, s, backlog) : -EOPNOTSUPP;
}

static int64_t sys_listen(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_listen);
}

static int64_t do_accept(struct task *t, int fd, uint64_t uaddr, uint64_t ulenp, int flags)
{
	struct file *f = get_file(t, fd);
	if (!f)
		return -EBADF;
	int64_t r;
	struct socket *s = socket_from_file(f), *ns = NULL;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		r = -EINVAL;
	else if (!s)
		r = -ENOTSOCK;
	else if (!s->ops->accept)
		r = -EOPNOTSUPP;
	else
		r = s->ops->accept(t, s, file_nonblock(f), &ns);
	file_put(f);
	if (r < 0)
		return r;
	ns->uid = t->creds ? t->creds->fsuid : 0;
	struct file *nf = socket_file_new(ns, (flags & SOCK_NONBLOCK) ? O_NONBLOCK : 0);
	if (!nf)
		return -ENFILE;
	if (uaddr) {
		struct sockaddr_storage addr;
		int len = ns->ops->getname(ns, &addr, 1);
		r = len < 0 ? -ECONNABORTED : addr_out(t, &addr, len, uaddr, ulenp);
		if (r < 0) {
			file_put(nf); /* the connection is lost, as Linux */
			return r;
		}
	}
	return install(t, nf, flags & SOCK_CLOEXEC);
}

static int64_t sys_accept(struct task *t, const uint64_t a[6])
{
	return do_accept(t, (int)a[0], a[1], a[2], 0);
}

static int64_t sys_accept4(struct task *t, const uint64_t a[6])
{
	return do_accept(t, (int)a[0], a[1], a[2], (int)a[3]);
}

static int64_t do_getname(struct task *t, struct socket *s, const uint64_t a[6], int peer)
{
	struct sockaddr_storage addr;
	memset(&addr, 0, sizeof(addr));
	int len = s->ops->getname(s, &addr, peer);
	return len < 0 ? len : addr_out(t, &addr, len, a[1], a[2]);
}

static int64_t do_getsockname(struct task *t, struct socket *s, struct file *f,
			      const uint64_t a[6])
{
	return do_getname(t, s, a, 0);
}

static int64_t do_getpeername(struct task *t, struct socket *s, struct file *f,
			      const uint64_t a[6])
{
	return do_getname(t, s, a, 1);
}

static int64_t sys_getsockname(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_getsockname);
}

static int64_t sys_getpeername(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_getpeername);
}

/* ---------------------------------------------------------------- messages */

/* A sendmsg/recvmsg's header, imported as Linux's copy_msghdr_from_user
 * and import_iovec. */
struct msg_in {
	struct msghdr h;
	struct sock_iovec *iov;
	int iovcnt;
	size_t total;
	void *ctl;
};

static void msg_in_free(struct msg_in *mi)
{
	free(mi->iov);
	free(mi->ctl);
}

/* Import the iovecs: EMSGSIZE past UIO_MAXIOV, EINVAL for a negative length,
 * the total clamped to MAX_RW_COUNT. */
static int iov_in(struct task *t, uint64_t uiov, uint64_t n, struct msg_in *mi)
{
	if (n > UIO_MAXIOV_)
		return -EMSGSIZE;
	mi->iov = malloc((n ? n : 1) * sizeof(*mi->iov));
	if (!mi->iov)
		return -ENOMEM;
	if (n && task_copy_in(t, mi->iov, uiov, n * sizeof(*mi->iov)) < 0)
		return -EFAULT;
	mi->iovcnt = (int)n;
	size_t total = 0;
	for (uint64_t i = 0; i < n; i++) {
		if ((int64_t)mi->iov[i].len < 0)
			return -EINVAL;
		if (mi->iov[i].len > MAX_RW_COUNT - total)
			mi->iov[i].len = MAX_RW_COUNT - total;
		total += mi->iov[i].len;
	}
	mi->total = total;
	return 0;
}

static int msghdr_in(struct task *t, uint64_t umsg, bool send, struct msg_in *mi,
		     struct sock_msg *m)
{
	memset(mi, 0, sizeof(*mi));
	memset(m, 0, sizeof(*m));
	if (task_copy_in(t, &mi->h, umsg, sizeof(mi->h)) < 0)
		return -EFAULT;
	int namelen = (int)mi->h.msg_namelen;
	if (namelen < 0)
		return -EINVAL;
	if (namelen > (int)sizeof(struct sockaddr_storage))
		namelen = sizeof(struct sockaddr_storage);
	if (send && mi->h.msg_name && namelen) {
		if (task_copy_in(t, &m->name, (uint64_t)(uintptr_t)mi->h.msg_name, namelen) < 0)
			return -EFAULT;
		m->namelen = namelen;
	}
	int r = iov_in(t, (uint64_t)(uintptr_t)mi->h.msg_iov, mi->h.msg_iovlen, mi);
	if (r < 0)
		return r;
	sock_iter_init(&m->data, t, mi->iov, mi->iovcnt, mi->total);
	size_t cl = mi->h.msg_controllen;
	if (send) {
		if (cl > INT32_MAX || cl > OPTMEM_MAX)
			return -ENOBUFS;
		if (cl) {
			mi->ctl = malloc(cl);
			if (!mi->ctl)
				return -ENOBUFS;
			if (task_copy_in(t, mi->ctl, (uint64_t)(uintptr_t)mi->h.msg_control, cl) < 0)
				return -EFAULT;
			m->control = mi->ctl;
			m->controllen = cl;
		}
	} else if (mi->h.msg_control) {
		if (cl > RECV_CONTROL_MAX)
			cl = RECV_CONTROL_MAX;
		mi->ctl = calloc(1, cl ? cl : 1);
		if (!mi->ctl)
			return -ENOMEM;
		m->control = mi->ctl;
		m->controllen = cl;
	}
	m->want_name = !send && mi->h.msg_name;
	return 0;
}

static ssize_t do_sendmsg(struct task *t, struct socket *s, struct file *f, struct sock_msg *m,
			  int flags)
{
	if (file_nonblock(f))
		flags |= MSG_DONTWAIT;
	return s->ops->sendmsg(t, s, m, flags);
}

/* A receive, then its control messages (files installed) with no lock held. */
static ssize_t do_recvmsg(struct task *t, struct socket *s, struct file *f, struct sock_msg *m,
			  int flags)
{
	m->msg_flags = flags & MSG_CMSG_CLOEXEC; /* as Linux, shown back in msg_flags */
	if (file_nonblock(f))
		flags |= MSG_DONTWAIT;
	ssize_t r = s->ops->recvmsg(t, s, m, flags);
	if (r < 0) {
		scm_destroy(&m->rscm);
		return r;
	}
	scm_recv(t, s, m, flags);
	return r;
}

/* A receive's results back into the app's header (Linux's ____sys_recvmsg):
 * the address, the control messages, msg_flags and msg_controllen. */
static ssize_t recvmsg_out(struct task *t, uint64_t umsg, struct msg_in *mi, struct sock_msg *m,
			   ssize_t r)
{
	if (mi->h.msg_name) {
		int e = addr_out(t, &m->name, m->namelen, (uint64_t)(uintptr_t)mi->h.msg_name,
				 umsg + offsetof(struct msghdr, msg_namelen));
		if (e < 0)
			return e;
	}
	if (m->ctl_used && task_copy_out(t, (uint64_t)(uintptr_t)mi->h.msg_control, mi->ctl,
					 m->ctl_used) < 0)
		m->ctl_used = 0;
	int fl = m->msg_flags;
	uint64_t cl = m->ctl_used;
	if (task_copy_out(t, umsg + offsetof(struct msghdr, msg_flags), &fl, sizeof(fl)) < 0 ||
	    task_copy_out(t, umsg + offsetof(struct msghdr, msg_controllen), &cl, sizeof(cl)) < 0)
		return -EFAULT;
	return r;
}

/* One sendmsg or recvmsg of the header at umsg on an open socket; *want
 * (may be NULL) gets the bytes the header describes. */
static ssize_t msg_one(struct task *t, struct socket *s, struct file *f, uint64_t umsg, int flags,
		       bool send, size_t *want)
{
	struct msg_in mi;
	struct sock_msg m;
	ssize_t r = msghdr_in(t, umsg, send, &mi, &m);
	if (want)
		*want = mi.total;
	if (r == 0)
		r = send ? do_sendmsg(t, s, f, &m, flags) : do_recvmsg(t, s, f, &m, flags);
	if (!send && r >= 0)
		r = recvmsg_out(t, umsg, &mi, &m, r);
	msg_in_free(&mi);
	return r;
}

/* sendto/recvfrom's one buffer (a[1], a[2]) as a message. */
static void single_buffer(struct task *t, const uint64_t a[6], struct sock_iovec *v,
			  struct sock_msg *m)
{
	*v = (struct sock_iovec){a[1], a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : a[2]};
	memset(m, 0, sizeof(*m));
	sock_iter_init(&m->data, t, v, 1, v->len);
}

static int64_t do_sendto(struct task *t, struct socket *s, struct file *f, const uint64_t a[6])
{
	struct sock_iovec v;
	struct sock_msg m;
	single_buffer(t, a, &v, &m);
	if (a[4]) {
		int r = addr_in(t, a[4], (int)a[5], &m.name);
		if (r < 0)
			return r;
		m.namelen = (int)a[5];
	}
	return do_sendmsg(t, s, f, &m, (int)a[3]);
}

static int64_t do_recvfrom(struct task *t, struct socket *s, struct file *f, const uint64_t a[6])
{
	struct sock_iovec v;
	struct sock_msg m;
	single_buffer(t, a, &v, &m);
	m.want_name = a[4] != 0;
	int64_t ret = do_recvmsg(t, s, f, &m, (int)a[3]);
	if (ret >= 0 && a[4]) {
		int e = addr_out(t, &m.name, m.namelen, a[4], a[5]);
		if (e < 0)
			ret = e;
	}
	return ret;
}

static int64_t do_sendmsg_call(struct task *t, struct socket *s, struct file *f,
			       const uint64_t a[6])
{
	return msg_one(t, s, f, a[1], (int)a[2], true, NULL);
}

static int64_t do_recvmsg_call(struct task *t, struct socket *s, struct file *f,
			       const uint64_t a[6])
{
	return msg_one(t, s, f, a[1], (int)a[2], false, NULL);
}

static int64_t sys_sendto(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_sendto);
}

static int64_t sys_recvfrom(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_recvfrom);
}

static int64_t sys_sendmsg(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_sendmsg_call);
}

static int64_t sys_recvmsg(struct task *t, const uint64_t a[6])
{
	if ((unsigned int)a[2] & MSG_CMSG_COMPAT)
		return -EINVAL;
	return on_socket(t, a, do_recvmsg_call);
}

/* One mmsghdr's msg_len. */
static int put_msg_len(struct task *t, uint64_t entry, ssize_t len)
{
	unsigned int v = (unsigned int)len;
	return task_copy_out(t, entry + offsetof(struct mmsghdr, msg_len), &v, sizeof(v)) < 0
		       ? -EFAULT
		       : 0;
}

/* Linux's __sys_sendmmsg: up to UIO_MAXIOV messages, each one's length into
 * msg_len; an error after some were sent ends the batch quietly. */
static int64_t do_sendmmsg(struct task *t, struct socket *s, struct file *f, const uint64_t a[6])
{
	unsigned int vlen = (unsigned int)a[2];
	if (vlen > UIO_MAXIOV_)
		vlen = UIO_MAXIOV_;
	unsigned int n = 0;
	int64_t err = 0;
	while (n < vlen) {
		uint64_t entry = a[1] + (uint64_t)n * sizeof(struct mmsghdr);
		size_t want;
		ssize_t sent = msg_one(t, s, f, entry, (int)a[3], true, &want);
		int e = sent < 0 ? (int)sent : put_msg_len(t, entry, sent);
		if (e < 0) {
			err = e;
			break;
		}
		n++;
		if ((size_t)sent < want)
			break; /* a partial send ends the batch */
	}
	return n ? (int64_t)n : err;
}

static int64_t sys_sendmmsg(struct task *t, const uint64_t a[6])
{
	if ((unsigned int)a[3] & MSG_CMSG_COMPAT)
		return -EINVAL;
	return on_socket(t, a, do_sendmmsg);
}

static int64_t sys_recvmmsg(struct task *t, const uint64_t a[6])
{
	unsigned int flags = (unsigned int)a[3];
	if (flags & MSG_CMSG_COMPAT)
		return -EINVAL;
	struct timespec ts, end;
	if (a[4]) {
		if (task_copy_in(t, &ts, a[4], sizeof(ts)) < 0)
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		deadline_after(&end, &ts);
	}
	struct file *f;
	struct socket *s;
	int r = sockfd_lookup(t, (int)a[0], &f, &s);
	if (r < 0)
		return r;
	if (!(flags & MSG_ERRQUEUE)) {
		vmutex_lock(&s->lock);
		r = socket_take_error(s);
		vmutex_unlock(&s->lock);
		if (r < 0) {
			file_put(f);
			return r;
		}
	}
	unsigned int vlen = (unsigned int)a[2], n = 0;
	int64_t err = 0;
	while (n < vlen) {
		uint64_t entry = a[1] + (uint64_t)n * sizeof(struct mmsghdr);
		ssize_t got = msg_one(t, s, f, entry, (int)(flags & ~MSG_WAITFORONE), false, NULL);
		if (got >= 0)
			got = put_msg_len(t, entry, got);
		if (got < 0) {
			err = got;
			break;
		}
		n++;
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (a[4]) {
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			ts.tv_sec = end.tv_sec - now.tv_sec;
			ts.tv_nsec = end.tv_nsec - now.tv_nsec;
			if (ts.tv_nsec < 0) {
				ts.tv_sec--;
				ts.tv_nsec += 1000000000;
			}
			if (ts.tv_sec < 0) {
				ts.tv_sec = ts.tv_nsec = 0;
				break;
			}
			if (ts.tv_sec == 0 && ts.tv_nsec == 0)
				break;
		}
	}
	if (err && n > 0 && err != -EAGAIN) {
		/* Kept for the next call or SO_ERROR, as Linux. */
		vmutex_lock(&s->lock);
		s->err = (int)-err;
		vmutex_unlock(&s->lock);
	}
	file_put(f);
	if (n == 0)
		return err;
	if (a[4] && task_copy_out(t, a[4], &ts, sizeof(ts)) < 0)
		return -EFAULT;
	return n;
}

static int64_t do_shutdown(struct task *t, struct socket *s, struct file *f, const uint64_t a[6])
{
	return s->ops->shutdown ? s->ops->shutdown(t, s, (int)a[1]) : -EOPNOTSUPP;
}

static int64_t sys_shutdown(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_shutdown);
}

/* ---------------------------------------------------------------- options */

static int64_t do_setsockopt(struct task *t, struct socket *s, struct file *f,
			     const uint64_t a[6])
{
	return socket_setsockopt(t, s, (int)a[1], (int)a[2], a[3], (int)a[4]);
}

static int64_t sys_setsockopt(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_setsockopt);
}

static int64_t do_getsockopt(struct task *t, struct socket *s, struct file *f,
			     const uint64_t a[6])
{
	int level = (int)a[1], name = (int)a[2];
	int len = 0, r;
	char *buf = NULL;
	if (level != SOL_SOCKET && !s->ops->getsockopt) {
		r = -EOPNOTSUPP; /* before the length is read, as Linux */
	} else if (task_copy_in(t, &len, a[4], sizeof(len)) < 0) {
		r = -EFAULT;
	} else if (len < 0) {
		r = -EINVAL;
	} else {
		int klen = len < SOCKOPT_MAX ? len : SOCKOPT_MAX;
		buf = calloc(1, klen ? klen : 1);
		r = buf ? socket_getsockopt(t, s, level, name, buf, &klen) : -ENOMEM;
		if (r == 0 && ((klen && task_copy_out(t, a[3], buf, klen) < 0) ||
			       task_copy_out(t, a[4], &klen, sizeof(klen)) < 0))
			r = -EFAULT;
	}
	free(buf);
	return r;
}

static int64_t sys_getsockopt(struct task *t, const uint64_t a[6])
{
	return on_socket(t, a, do_getsockopt);
}

const struct syscall_def sys_socket_defs[] = {
	{SYS_socket, "socket", sys_socket},
	{SYS_socketpair, "socketpair", sys_socketpair},
	{SYS_bind, "bind", sys_bind},
	{SYS_connect, "connect", sys_connect},
	{SYS_listen, "listen", sys_listen},
	{SYS_accept, "accept", sys_accept},
	{SYS_accept4, "accept4", sys_accept4},
	{SYS_getsockname, "getsockname", sys_getsockname},
	{SYS_getpeername, "getpeername", sys_getpeername},
	{SYS_sendto, "sendto", sys_sendto},
	{SYS_recvfrom, "recvfrom", sys_recvfrom},
	{SYS_sendmsg, "sendmsg", sys_sendmsg},
	{SYS_recvmsg, "recvmsg", sys_recvmsg},
	{SYS_sendmmsg, "sendmmsg", sys_sendmmsg},
	{SYS_recvmmsg, "recvmmsg", sys_recvmmsg},
	{SYS_shutdown, "shutdown", sys_shutdown},
	{SYS_setsockopt, "setsockopt", sys_setsockopt},
	{SYS_getsockopt, "getsockopt", sys_getsockopt},
	{0},
};
