/*
 * unix_msg.c — AF_UNIX send and receive: stream, datagram and seqpacket
 * data paths with their control messages (the rest of AF_UNIX is unix.c;
 * see its opening comment for the design and the locks).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/socket.h"
#include "sentry/socket/unix.h"
#include "sentry/socket/unix_internal.h"
#include "sentry/vfs/vfs.h"

/* ---------------------------------------------------------------- send */

/* Wait for room in our send buffer (Linux's sock_alloc_send_pskb).  Under
 * s->lock. */
static int wait_sndbuf(struct task *t, struct socket *s, struct sock_timeo *to)
{
	struct unix_sock *u = U(s);
	for (;;) {
		int r = socket_take_error(s);
		if (r < 0)
			return r;
		if (s->shutdown & SOCK_SEND_SHUTDOWN)
			return -EPIPE;
		if (atomic_load(&u->wmem) < s->sndbuf)
			return 0;
		r = socket_wait(t, s, &s->wq, POLLOUT | POLLWRNORM | POLLERR | POLLHUP, to);
		if (r < 0)
			return r;
	}
}

static ssize_t unix_stream_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
				   struct scm *scm)
{
	struct unix_sock *u = U(s);
	int r = 0;
	size_t len = m->data.left;
	size_t sent = 0;
	struct unix_sock *other = NULL;
	bool fds_sent = false;
	vmutex_lock(&s->lock);
	if (flags & MSG_OOB) {
		r = -EOPNOTSUPP;
	} else if (m->namelen) {
		r = s->state == SOCK_STATE_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
	} else if (!u->peer) {
		r = -ENOTCONN;
	} else if (s->shutdown & SOCK_SEND_SHUTDOWN) {
		r = -EPIPE;
		if (!(flags & MSG_NOSIGNAL))
			socket_sigpipe(t);
	} else {
		other = u->peer;
		socket_get(&other->s);
	}
	struct sock_timeo to;
	socket_timeo(s, true, flags & MSG_DONTWAIT, &to);
	vmutex_unlock(&s->lock);
	while (r == 0 && sent < len) {
		size_t size = len - sent;
		vmutex_lock(&s->lock);
		size_t cap = s->sndbuf / 2 > 64 ? (size_t)s->sndbuf / 2 - 64 : 1;
		if (cap > UNIX_SKB_MAX)
			cap = UNIX_SKB_MAX;
		if (size > cap)
			size = cap;
		r = wait_sndbuf(t, s, &to);
		vmutex_unlock(&s->lock);
		if (r < 0)
			break;
		struct unix_skb *b = unix_skb_new(u, size);
		if (!b) {
			r = -ENOMEM;
			break;
		}
		if (sock_iter_copy_from(&m->data, b->data, size) < 0) {
			unix_skb_free_list(b);
			r = -EFAULT;
			break;
		}
		unix_skb_attach_scm(b, scm, !fds_sent); /* the files go with the first buffer */
		fds_sent = true;
		vmutex_lock(&other->s.lock);
		if (other->dead || (other->s.shutdown & SOCK_RCV_SHUTDOWN)) {
			vmutex_unlock(&other->s.lock);
			unix_skb_free_list(b);
			if (!sent && !(flags & MSG_NOSIGNAL))
				socket_sigpipe(t);
			r = -EPIPE;
			break;
		}
		unix_rq_append(other, b);
		vmutex_unlock(&other->s.lock);
		socket_notify(&other->s, POLLIN | POLLRDNORM);
		sent += size;
	}
	if (other)
		socket_put(&other->s);
	return sent ? (ssize_t)sent : r;
}

/* Under both locks (s and other), other full and not connected back to us:
 * register for a wake-up when it drains (Linux's unix_dgram_peer_wake_me).
 * True: still full, the caller reports EAGAIN / not writable. */
bool unix_peer_wake_me(struct unix_sock *u, struct unix_sock *other)
{
	if (!unix_recvq_full(other) || other->dead)
		return false;
	for (struct unix_relay *r = other->relays; r; r = r->next)
		if (r->who == u)
			return true;
	struct unix_relay *r = malloc(sizeof(*r));
	if (r) {
		r->who = u;
		socket_get(&u->s);
		r->next = other->relays;
		other->relays = r;
	}
	return true;
}

/* Linux's unix_dgram_sendmsg, also SOCK_SEQPACKET's. */
static ssize_t unix_dgram_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
				  struct scm *scm)
{
	struct unix_sock *u = U(s);
	int r = 0;
	size_t len = m->data.left;
	struct unix_sock *other = NULL;
	struct unix_skb *b = NULL;
	bool named = m->namelen > 0;
	if (flags & MSG_OOB) {
		r = -EOPNOTSUPP;
		goto out;
	}
	if (named) {
		if ((r = unix_validate_addr(&m->name, m->namelen)) < 0)
			goto out;
	} else {
		vmutex_lock(&s->lock);
		other = u->peer;
		if (other)
			socket_get(&other->s);
		vmutex_unlock(&s->lock);
		if (!other) {
			r = -ENOTCONN;
			goto out;
		}
	}
	vmutex_lock(&s->lock);
	bool need_bind = s->passcred && !u->addr;
	vmutex_unlock(&s->lock);
	if (need_bind && (r = unix_autobind(u)) < 0)
		goto out;
	vmutex_lock(&s->lock);
	struct sock_timeo to;
	socket_timeo(s, true, flags & MSG_DONTWAIT, &to);
	if (len > (size_t)s->sndbuf - 32)
		r = -EMSGSIZE;
	else
		r = wait_sndbuf(t, s, &to);
	vmutex_unlock(&s->lock);
	if (r < 0)
		goto out;
	b = unix_skb_new(u, len);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	if (sock_iter_copy_from(&m->data, b->data, len) < 0) {
		r = -EFAULT;
		goto out;
	}
	unix_skb_attach_scm(b, scm, true);
	for (;;) {
		if (!other) {
			if (!named) {
				r = -ECONNRESET;
				goto out;
			}
			if ((r = unix_find_other(t, &m->name, m->namelen, s->type, &other)) < 0) {
				other = NULL;
				goto out;
			}
		}
		vmutex_lock(&other->s.lock);
		if (other->peer && other->peer != u) {
			vmutex_unlock(&other->s.lock);
			r = -EPERM;
			goto out;
		}
		if (other->dead) {
			vmutex_unlock(&other->s.lock);
			vmutex_lock(&s->lock);
			if (s->type == SOCK_SEQPACKET) {
				vmutex_unlock(&s->lock);
				r = -EPIPE;
				goto out;
			}
			if (u->peer == other) {
				/* Our peer is gone: disconnect, drop what it sent. */
				u->peer = NULL;
				s->state = SOCK_STATE_CLOSE;
				struct unix_skb *q = unix_rq_steal(u);
				vmutex_unlock(&s->lock);
				socket_put(&other->s); /* the peer reference */
				unix_skb_free_list(q);
				r = -ECONNREFUSED;
				goto out;
			}
			vmutex_unlock(&s->lock);
			socket_put(&other->s);
			other = NULL;
			continue;
		}
		if (other->s.shutdown & SOCK_RCV_SHUTDOWN) {
			vmutex_unlock(&other->s.lock);
			r = -EPIPE;
			goto out;
		}
		if (other != u && other->peer != u && unix_recvq_full(other)) {
			if (!to.nowait) {
				r = socket_wait(t, &other->s, &other->peer_wait, POLLOUT | POLLWRNORM,
						&to);
				vmutex_unlock(&other->s.lock);
				if (r < 0 && r != -EAGAIN)
					goto out;
				continue; /* woken, or the time ran out: look again */
			}
			vmutex_unlock(&other->s.lock);
			socket_lock_pair(s, &other->s);
			bool still_full = u->peer != other || unix_peer_wake_me(u, other);
			socket_unlock_pair(s, &other->s);
			if (still_full) {
				r = -EAGAIN;
				goto out;
			}
			continue;
		}
		unix_rq_append(other, b);
		b = NULL;
		vmutex_unlock(&other->s.lock);
		socket_notify(&other->s, POLLIN | POLLRDNORM);
		r = (int)len;
		break;
	}
out:
	if (other)
		socket_put(&other->s);
	unix_skb_free_list(b);
	return r < 0 ? r : (ssize_t)len;
}

/* Every type's sendmsg: the control data first (Linux's scm_send), then
 * the type's own. */
ssize_t unix_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	ssize_t r = 0;
	if (s->type == SOCK_SEQPACKET) {
		/* Linux's unix_seqpacket_sendmsg, before anything else. */
		vmutex_lock(&s->lock);
		r = socket_take_error(s);
		if (r == 0 && s->state != SOCK_STATE_ESTABLISHED)
			r = -ENOTCONN;
		vmutex_unlock(&s->lock);
		if (r < 0)
			return r;
		m->namelen = 0; /* the address is ignored */
	}
	struct scm scm;
	r = scm_send(t, m->control, m->controllen, true, &scm);
	if (r < 0)
		return r;
	if (s->type == SOCK_STREAM)
		r = unix_stream_sendmsg(t, s, m, flags, &scm);
	else
		r = unix_dgram_sendmsg(t, s, m, flags, &scm);
	scm_destroy(&scm);
	return r;
}

/* ---------------------------------------------------------------- receive */

/* Linux's __unix_dgram_recvmsg. */
ssize_t unix_dgram_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = U(s);
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	size_t size = m->data.left;
	vmutex_lock(&s->lock);
	struct sock_timeo to;
	socket_timeo(s, false, flags & MSG_DONTWAIT, &to);
	struct unix_skb *b;
	int r = 0;
	for (;;) {
		if ((r = socket_take_error(s)) < 0)
			goto unlock;
		b = u->rq_head;
		if (b)
			break;
		r = -EAGAIN;
		if (to.nowait) {
			/* EOF on a disconnected nonblocking SOCK_SEQPACKET. */
			if (s->type == SOCK_SEQPACKET && (s->shutdown & SOCK_RCV_SHUTDOWN))
				r = 0;
			goto unlock;
		}
		if (s->shutdown & SOCK_RCV_SHUTDOWN) {
			r = 0;
			goto unlock;
		}
		if (s->type == SOCK_SEQPACKET && s->state != SOCK_STATE_ESTABLISHED) {
			r = -ENOTCONN;
			goto unlock;
		}
		r = socket_wait(t, s, &s->wq, POLLIN | POLLRDNORM | POLLERR | POLLHUP | POLLRDHUP,
				&to);
		if (r < 0 && r != -EAGAIN)
			goto unlock;
	}
	bool peek = flags & MSG_PEEK;
	if (!peek)
		unix_rq_pop(u);
	m->rscm.creds = b->creds;
	m->rscm.has_creds = true;
	if (b->fp) {
		if (peek) {
			m->rscm.fp = scm_files_dup(b->fp);
		} else {
			unix_fp_inflight(b->fp, -1);
			m->rscm.fp = b->fp;
			b->fp = NULL;
		}
	}
	unix_copy_addr(m, b->from);
	size_t n = size < b->len ? size : b->len;
	if (size < b->len)
		m->msg_flags |= MSG_TRUNC;
	/* A peeked buffer stays queued: copy it under the lock. */
	if (peek) {
		r = sock_iter_copy_to(&m->data, b->data, n) < 0 ? -EFAULT : 0;
		vmutex_unlock(&s->lock);
	} else {
		vmutex_unlock(&s->lock);
		unix_queue_shrank(u);
		r = sock_iter_copy_to(&m->data, b->data, n) < 0 ? -EFAULT : 0;
	}
	ssize_t ret = r < 0 ? r : (flags & MSG_TRUNC) ? (ssize_t)b->len : (ssize_t)n;
	if (!peek)
		unix_skb_free_list(b);
	if (r < 0)
		scm_destroy(&m->rscm);
	return ret;
unlock:
	vmutex_unlock(&s->lock);
	return r;
}

ssize_t unix_seqpacket_recvmsg(struct task *t, struct socket *s, struct sock_msg *m,
				      int flags)
{
	vmutex_lock(&s->lock);
	int state = s->state;
	vmutex_unlock(&s->lock);
	if (state != SOCK_STATE_ESTABLISHED)
		return -ENOTCONN;
	return unix_dgram_recvmsg(t, s, m, flags);
}

static bool creds_equal(const struct scm_creds *a, const struct scm_creds *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

/* Linux's unix_stream_read_generic: gather what is queued, up to the size;
 * wait while less than the low-water mark (all of it with MSG_WAITALL) has
 * come; never glue buffers of different senders when SO_PASSCRED is on; a
 * buffer that carries files ends the read. */
ssize_t unix_stream_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
{
	struct unix_sock *u = U(s);
	size_t size = m->data.left;
	vmutex_lock(&s->lock);
	if (s->state != SOCK_STATE_ESTABLISHED) {
		vmutex_unlock(&s->lock);
		return -EINVAL;
	}
	if (flags & MSG_OOB) {
		vmutex_unlock(&s->lock);
		return -EOPNOTSUPP;
	}
	size_t target = (flags & MSG_WAITALL) ? size : ((size_t)s->rcvlowat < size ? (size_t)s->rcvlowat : size);
	if (target == 0)
		target = 1;
	struct sock_timeo to;
	socket_timeo(s, false, flags & MSG_DONTWAIT, &to);
	bool peek = flags & MSG_PEEK;
	bool check_creds = false, name_done = false;
	size_t copied = 0;
	int err = 0;
	struct unix_skb *freed = NULL, **freed_tail = &freed;
	struct unix_skb *b = u->rq_head;
	while (size > 0) {
		if (!b) {
			if (copied >= target || (peek && copied))
				break;
			if ((err = socket_take_error(s)) < 0)
				break;
			if (s->shutdown & SOCK_RCV_SHUTDOWN)
				break;
			if (to.nowait) {
				err = -EAGAIN;
				break;
			}
			err = socket_wait(t, s, &s->wq,
					  POLLIN | POLLRDNORM | POLLERR | POLLHUP | POLLRDHUP, &to);
			if (err < 0 && err != -EAGAIN)
				break;
			err = 0;
			b = u->rq_head;
			continue;
		}
		if (check_creds) {
			if (!creds_equal(&b->creds, &m->rscm.creds))
				break;
		} else if (s->passcred) {
			m->rscm.creds = b->creds;
			m->rscm.has_creds = true;
			check_creds = true;
		}
		if (!name_done) {
			unix_copy_addr(m, b->from);
			name_done = true;
		}
		size_t chunk = b->len - b->consumed;
		if (chunk > size)
			chunk = size;
		if (sock_iter_copy_to(&m->data, b->data + b->consumed, chunk) < 0) {
			if (copied == 0)
				err = -EFAULT;
			break;
		}
		copied += chunk;
		size -= chunk;
		if (!peek) {
			b->consumed += chunk;
			if (b->fp) {
				unix_fp_inflight(b->fp, -1);
				m->rscm.fp = b->fp;
				b->fp = NULL;
			}
			if (b->consumed < b->len)
				break;
			unix_rq_pop(u);
			*freed_tail = b;
			freed_tail = &b->next;
			b = u->rq_head;
			if (m->rscm.fp)
				break;
		} else {
			if (b->fp) {
				m->rscm.fp = scm_files_dup(b->fp);
				break;
			}
			b = b->next;
		}
	}
	vmutex_unlock(&s->lock);
	if (freed) {
		unix_queue_shrank(u);
		unix_skb_free_list(freed);
	}
	return copied ? (ssize_t)copied : err;
}
