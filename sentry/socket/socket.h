/*
 * socket.h — the Sentry's socket layer: what every socket family shares.
 *
 * A socket is a file (anonymous, "socket:[N]", an S_IFSOCK inode of the
 * internal sockfs) whose file ops map read/write/poll/ioctl/release onto
 * the socket's family ops.  `struct socket` is family-independent: type,
 * family, protocol, the SOL_SOCKET options, the shutdown and error state
 * every family keeps as Linux's struct sock does, one wait queue, and one
 * lock.  A family embeds it at the start of its own struct (unix.c's
 * unix_sock) and fills `ops`.  Families register at boot
 * (socket_register_family); socket(2) of a family nobody registered is
 * EAFNOSUPPORT.  sentry/syscalls/sys_socket.c copies arguments in and out
 * and picks the socket; nothing here touches app memory except through a
 * sock_iter or task_copy_*.
 *
 * Lifetimes: a socket is reference counted.  Its file holds one reference
 * and calls ops->release when the last descriptor goes (the close); peers,
 * queued buffers and accept queues may hold more; the last put calls
 * ops->destroy, which frees the family's struct.
 *
 * Lock: socket->lock (SOCKET in sentry/LOCKING.md) protects the socket's
 * state: the fields below marked [lock] and everything the family keeps.
 * Never held across a path walk, a block, or a last put of a file or path.
 * Two sockets of a pair: socket_lock_pair (lower address first).
 *
 * Sockets never use a host socket, except --network=host's AF_INET and
 * AF_INET6 (hostinet.c), each backed by one.
 */
#ifndef VISOR_SENTRY_SOCKET_H
#define VISOR_SENTRY_SOCKET_H

#include <poll.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include "lib/lockdep.h"
#include "sentry/waiter/waiter.h"

struct task;
struct file;
struct socket;
struct poll_entry;

/* sk_shutdown bits, as Linux (SHUT_RD + 1, SHUT_WR + 1). */
#define SOCK_RCV_SHUTDOWN 1
#define SOCK_SEND_SHUTDOWN 2
#define SOCK_SHUTDOWN_MASK 3

/* sk_state values, Linux's TCP states that every family reuses. */
#define SOCK_STATE_ESTABLISHED 1
#define SOCK_STATE_CLOSE 7
#define SOCK_STATE_LISTEN 10

/* Linux's defaults (net.core.{w,r}mem_default and _max, SOCK_MIN_*BUF). */
#define SOCK_WMEM_DEFAULT 212992
#define SOCK_WMEM_MAX 212992
#define SOCK_RMEM_MAX 212992
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304
/* net.core.somaxconn */
#define SOCK_SOMAXCONN 4096

/* ---- data: an iterator over app or Sentry memory ---- */

struct sock_iovec {
	uint64_t base;
	uint64_t len;
};

/* Where a send takes its bytes or a receive puts them: app iovecs (t set:
 * every copy goes through task_copy_*) or Sentry buffers (t NULL: base is
 * a Sentry pointer; read/write/sendfile on a socket). */
struct sock_iter {
	struct task *t;
	const struct sock_iovec *iov;
	int nr;
	int idx;      /* current vector */
	uint64_t off; /* offset inside iov[idx] */
	size_t left;  /* bytes not yet consumed */
};
void sock_iter_init(struct sock_iter *it, struct task *t, const struct sock_iovec *iov, int nr,
		    size_t total);
/* Copy n bytes (n <= it->left) out of the iterator into dst / from src into
 * it, advancing it.  0, or -EFAULT (the iterator is then where it was). */
int sock_iter_copy_from(struct sock_iter *it, void *dst, size_t n);
int sock_iter_copy_to(struct sock_iter *it, const void *src, size_t n);
/* Advance by n bytes without copying (what a send took, what a receive
 * discarded). */
void sock_iter_skip(struct sock_iter *it, size_t n);

/* ---- ancillary data (scm.c) ---- */

/* At most this many files in one SCM_RIGHTS (Linux's SCM_MAX_FD). */
#define SCM_MAX_FD 253

/* What a message carries besides bytes: the sender's credentials and the
 * files of SCM_RIGHTS, each with a reference. */
struct scm_creds {
	int32_t pid;
	uint32_t uid, gid;
};
struct scm_files {
	int count;
	struct file *files[SCM_MAX_FD];
};
struct scm {
	struct scm_creds creds;
	bool has_creds;
	struct scm_files *fp; /* NULL: none */
};

/* Parse a sendmsg's control data (a Sentry copy) as Linux's __scm_send:
 * SCM_RIGHTS (only when rights_ok: AF_UNIX) takes a reference on each
 * file, SCM_CREDENTIALS is checked against t's credentials; other levels
 * are skipped.  scm starts with t's own credentials.  On error nothing is
 * held. */
int scm_send(struct task *t, const void *control, size_t len, bool rights_ok, struct scm *scm);
/* Drop the files of scm (with no lock held: a last put may release them). */
void scm_destroy(struct scm *scm);
/* A new reference on every file of fp (MSG_PEEK). */
struct scm_files *scm_files_dup(const struct scm_files *fp);
void scm_files_put(struct scm_files *fp);

/* ---- messages ---- */

/* A sendmsg/recvmsg as the family sees it.  Sentry copies of the address
 * and the control data; the family fills name/namelen on receive (leaves
 * namelen 0 when the sender has no address) and rscm with what the message
 * carried, which the socket layer turns into control messages afterwards,
 * with no socket lock held. */
struct sock_msg {
	struct sock_iter data;
	/* send: destination (namelen 0: none); receive: where the source goes
	 * (want_name false: the caller does not want it). */
	struct sockaddr_storage name;
	int namelen;
	bool want_name;
	/* send: the control data; receive: where control messages are
	 * written, controllen bytes of room (ctl NULL: no room at all). */
	void *control;
	size_t controllen;
	size_t ctl_used;
	int msg_flags; /* receive: MSG_TRUNC, MSG_CTRUNC, MSG_EOR... */
	struct scm rscm;
};

/* Append a control message to a receive's control buffer as Linux's
 * put_cmsg (MSG_CTRUNC when it does not fit).  Families call it for their
 * own control messages. */
void sock_put_cmsg(struct sock_msg *m, int level, int type, const void *data, size_t len);
/* Turn m->rscm into SCM_CREDENTIALS (when the socket has SO_PASSCRED) and
 * SCM_RIGHTS (installing the files in t's fd table, MSG_CMSG_CLOEXEC in
 * flags), as Linux's scm_recv; files that do not fit are closed and
 * MSG_CTRUNC set.  Called with no lock held. */
void scm_recv(struct task *t, struct socket *s, struct sock_msg *m, int flags);

#define SOCK_TS_RCV 0x1 /* SOCK_RCVTSTAMP */
#define SOCK_TS_NS 0x2  /* SOCK_RCVTSTAMPNS */
#define SOCK_TS_NEW 0x4 /* SOCK_TSTAMP_NEW */
/* SO_TIMESTAMP{,NS}_{OLD,NEW} set to on/off, as Linux's sock_set_timestamp
 * (for a family's setsockopt; takes s->lock). */
void socket_set_timestamp(struct socket *s, int name, bool on);
/* Append the receive timestamp control message s asked for (none, and no
 * clock read, when it asked for none): stamp_mono_ns is the datagram's
 * arrival on the host's CLOCK_MONOTONIC; the message gives CLOCK_REALTIME. */
void socket_put_timestamp(struct socket *s, struct sock_msg *m, uint64_t stamp_mono_ns);

/* ---- the family ops ---- */

struct socket_ops {
	/* addr is a Sentry copy of len bytes (0 < len <= sizeof(sockaddr_storage)). */
	int (*bind)(struct task *t, struct socket *s, const struct sockaddr_storage *addr, int len);
	/* fflags: the file's O_NONBLOCK. */
	int (*connect)(struct task *t, struct socket *s, const struct sockaddr_storage *addr,
		       int len, int fflags);
	/* backlog already capped at somaxconn. */
	int (*listen)(struct task *t, struct socket *s, int backlog);
	/* The next connection, with a reference. */
	int (*accept)(struct task *t, struct socket *s, int fflags, struct socket **out);
	/* Returns bytes sent or -errno; flags are MSG_* (MSG_DONTWAIT already
	 * added for a nonblocking file). */
	ssize_t (*sendmsg)(struct task *t, struct socket *s, struct sock_msg *m, int flags);
	ssize_t (*recvmsg)(struct task *t, struct socket *s, struct sock_msg *m, int flags);
	/* how: SHUT_RD, SHUT_WR, SHUT_RDWR (checked by the family). */
	int (*shutdown)(struct task *t, struct socket *s, int how);
	/* Options of levels other than SOL_SOCKET, and SOL_SOCKET ones the
	 * core does not know.  get: into a Sentry buffer of *len bytes, *len
	 * set to what is written; set: the value is the app's optlen bytes at
	 * optval, read with task_copy_in (only what the option needs, as Linux).
	 * NULL: EOPNOTSUPP for other levels, as Linux's sock_no_*sockopt. */
	int (*getsockopt)(struct task *t, struct socket *s, int level, int name, void *val,
			  int *len);
	int (*setsockopt)(struct task *t, struct socket *s, int level, int name, uint64_t optval,
			  int optlen);
	/* ioctls the core does not handle: -ENOIOCTLCMD if the family does not
	 * know cmd either. */
	int64_t (*ioctl)(struct task *t, struct socket *s, unsigned int cmd, uint64_t arg);
	/* The ready POLL* events; the core has registered pe (which may be
	 * NULL) on s->wq.  want_out: the caller asks about writability. */
	uint32_t (*readiness)(struct socket *s, bool want_out);
	/* getsockname (peer 0) / getpeername (peer 1): the address length or
	 * -ENOTCONN. */
	int (*getname)(struct socket *s, struct sockaddr_storage *addr, int peer);
	/* The file is closed (Linux's sock->ops->release).  No lock held. */
	void (*release)(struct socket *s);
	/* The last reference went: free the family's struct. */
	void (*destroy)(struct socket *s);
	/* Optional, for families whose protocol state lives elsewhere (inet:
	 * the netstack's endpoint).  sol_socket_set: a SOL_SOCKET option the
	 * core keeps was just set to val (the int the app gave; SO_LINGER:
	 * read s's fields), called with no lock held.  take_error: the
	 * family's pending error (positive errno, cleared), 0 if none; called
	 * under s->lock when s->err is 0 (SO_ERROR, socket_take_error). */
	void (*sol_socket_set)(struct task *t, struct socket *s, int name, int val);
	int (*take_error)(struct socket *s);
};

/* ---- the socket ---- */

struct socket {
	_Atomic int refs;
	struct vmutex lock;
	int family, type, protocol;
	const struct socket_ops *ops;
	struct waitq wq;     /* readiness of this socket: every wake-up goes here */
	uint64_t ino;        /* sockfs inode number: "socket:[ino]" */
	uint32_t uid;        /* owner (fsuid at creation), for /proc */
	struct file *file;   /* no reference; NULL before the file exists or after release */

	/* [lock] as Linux's struct sock */
	int state;           /* SOCK_STATE_* */
	int shutdown;        /* SOCK_*_SHUTDOWN */
	int err;             /* pending error (sk_err), positive errno */
	/* SOL_SOCKET options [lock] */
	int sndbuf, rcvbuf;
	int64_t rcvtimeo_ns, sndtimeo_ns; /* -1: none (block forever); 0: never block */
	bool reuseaddr, reuseport, keepalive, broadcast, passcred, oobinline, dontroute;
	bool linger_on;
	int linger_secs;
	int priority;
	int bound_dev; /* SO_BINDTODEVICE / SO_BINDTOIFINDEX: an ifindex, 0 none */
	/* SO_TIMESTAMP / SO_TIMESTAMPNS (and their _NEW forms): SOCK_TS_* bits,
	 * as Linux's SOCK_RCVTSTAMP, SOCK_RCVTSTAMPNS and SOCK_TSTAMP_NEW.
	 * Only datagram inet sockets take them (their receives carry the
	 * stamp); the family's setsockopt says so. */
	unsigned int tstamp;
	int rcvlowat;
	/* SO_PEERCRED: who was on the other end at connect/socketpair/listen */
	bool has_peercred;
	struct scm_creds peercred;
};

/* A family: how to make its sockets.  `create` makes a socket of type
 * (flags stripped) and protocol: a new struct with refs 1 and its common
 * part set up by socket_init, or -ESOCKTNOSUPPORT/-EPROTONOSUPPORT/... as
 * Linux.  socketpair joins two fresh sockets (NULL: EOPNOTSUPP).  inet:
 * SO_REUSEPORT is accepted (Linux allows it on inet sockets only). */
struct socket_family {
	int family;
	int (*create)(struct task *t, int type, int protocol, struct socket **out);
	int (*socketpair)(struct task *t, struct socket *a, struct socket *b);
	bool inet;
};

/* The interface ioctls (SIOCGIF*, Linux's dev_ioctl and devinet_ioctl),
 * asked on any socket after its family answered -ENOIOCTLCMD; set at boot
 * (ifioctl.c).  -ENOIOCTLCMD for what they do not know either. */
typedef int64_t (*socket_ifioctl_fn)(struct task *t, struct socket *s, unsigned int cmd,
				     uint64_t arg);
void socket_set_ifioctl(socket_ifioctl_fn fn);

/* Register a family (at boot; registering it again replaces it). */
int socket_register_family(const struct socket_family *fam);
/* Every family (sentry/socket/register.c): at boot, before the first task. */
int sockets_register(void);

/* Set up the common part of a family's new socket (refs 1, options at
 * Linux's defaults, state CLOSE); t may be NULL. */
void socket_init(struct socket *s, struct task *t, int family, int type, int protocol,
		 const struct socket_ops *ops);
void socket_get(struct socket *s);
void socket_put(struct socket *s);

/* Lock one socket, or two in address order (b may equal a or be NULL). */
void socket_lock_pair(struct socket *a, struct socket *b);
void socket_unlock_pair(struct socket *a, struct socket *b);

/* Make a socket: -EAFNOSUPPORT, -EINVAL, and what the family says. */
int socket_create(struct task *t, int family, int type, int protocol, struct socket **out);
int socket_create_pair(struct task *t, int family, int type, int protocol, struct socket *out[2]);
/* The file of a socket (takes over the caller's reference); flags may hold
 * O_NONBLOCK.  NULL when out of memory (the socket is then released and
 * the reference dropped).  No lock held. */
struct file *socket_file_new(struct socket *s, int flags);
/* The socket behind a file (no new reference), or NULL. */
struct socket *socket_from_file(struct file *f);

/* setsockopt/getsockopt: SOL_SOCKET as Linux's sock_setsockopt /
 * sock_getsockopt over the common fields, the rest the family's.  set reads
 * the app's optval; get writes a Sentry buffer of *len bytes (*len >= 0)
 * and sets *len.  An option nobody knows is ENOPROTOOPT, counted for the
 * log at exit. */
int socket_setsockopt(struct task *t, struct socket *s, int level, int name, uint64_t optval,
		      int optlen);
int socket_getsockopt(struct task *t, struct socket *s, int level, int name, void *val, int *len);

/* ---- for families: errors, waits, wake-ups ---- */

/* Take the pending error (Linux's sock_error): -err and clears it, or 0.
 * Under s->lock. */
int socket_take_error(struct socket *s);

/* A blocking operation's time limit, from SO_RCVTIMEO/SO_SNDTIMEO or
 * MSG_DONTWAIT (Linux's sock_rcvtimeo / sock_sndtimeo). */
struct sock_timeo {
	bool nowait;
	bool forever;
	struct timespec deadline; /* CLOCK_MONOTONIC */
};
/* Under s->lock (reads the option). */
void socket_timeo(struct socket *s, bool send, bool nonblock, struct sock_timeo *to);
/* Sleep on wq for events, dropping `held` (a socket's lock, may be NULL)
 * meanwhile and taking it back.  0 when woken (re-check the condition),
 * -EAGAIN when the time is up (or nowait, or no task), or for a signal
 * -ERESTARTSYS without a time limit and -EINTR with one (sock_intr_errno). */
int socket_wait(struct task *t, struct socket *held, struct waitq *wq, uint32_t events,
		struct sock_timeo *to);
/* An accepted socket takes the options the core keeps from its listener, as
 * Linux's sk_clone.  Takes listener->lock. */
void socket_inherit_options(struct socket *child, struct socket *listener);

/* The events a receive (send) waits for: readiness, or an error or hang-up
 * that ends the wait. */
#define SOCK_EV_IN (POLLIN | POLLRDNORM | POLLERR | POLLHUP | POLLRDHUP)
#define SOCK_EV_OUT (POLLOUT | POLLWRNORM | POLLERR | POLLHUP)

/* A wait on s->wq spread over the retries of one call (inet.c, hostinet.c).
 * sock_wait_init takes the time limit (SO_RCVTIMEO/SO_SNDTIMEO, nonblock);
 * after each "not yet", sock_wait_step gives 0 to call again, -EAGAIN when
 * the caller may not wait (or the time is up), -ERESTARTSYS/-EINTR for a
 * signal (sock_intr_errno); its first step only queues the waiter, so the
 * call is retried once with it in place before the task sleeps.
 * sock_wait_done takes the waiter off. */
struct sock_wait {
	struct waiter w;
	bool added;
	struct sock_timeo to;
};
void sock_wait_init(struct sock_wait *sw, struct socket *s, bool send, bool nonblock);
int sock_wait_step(struct task *t, struct socket *s, struct sock_wait *sw, uint32_t events);
void sock_wait_done(struct socket *s, struct sock_wait *sw);
/* A receive's try found nothing (*r < 0; -EAGAIN: merely nothing yet), with
 * `copied` bytes in hand: true to try again (after sock_wait_step's wait for
 * SOCK_EV_IN), false to stop, *r then the error (the try's own, or the wait's)
 * that counts when nothing was copied.  A receive with bytes stops unless
 * waitall (MSG_WAITALL). */
bool sock_recv_wait(struct task *t, struct socket *s, struct sock_wait *sw, ssize_t *r,
		    size_t copied, bool waitall);
/* Wake whoever waits on s for events. */
void socket_notify(struct socket *s, uint32_t events);

/* Raise SIGPIPE on t (stream sends on a closed connection). */
void socket_sigpipe(struct task *t);

/* The credentials t sends (SCM_CREDENTIALS default: tgid, real uid/gid)
 * and shows as a peer (SO_PEERCRED: tgid, effective uid/gid). */
void socket_task_creds(struct task *t, struct scm_creds *scm_default, struct scm_creds *peer);

#endif
