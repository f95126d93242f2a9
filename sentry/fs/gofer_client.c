/*
 * gofer_client.c — the Sentry's side of the Gofer protocol (see
 * sentry/fs/gofer_client.h for the API, gofer/protocol.h for the wire format).
 *
 * Owns one connection: builds each request, sends it, receives exactly one
 * reply and validates all of it — framing, tag, type, every length and count,
 * every string — before a single byte reaches the caller.  The Gofer is less
 * trusted than the Sentry: a malformed reply is -EIO, never a crash, and any
 * fd that came with a bad reply is closed.  A reply that breaks the framing
 * (wrong tag, wrong size, dead peer) means request and reply streams can no
 * longer be matched, so the connection is marked dead and every later call
 * fails with -EIO.
 *
 * Locking: c->lock serialises whole request/reply exchanges (and protects the
 * buffers, the tag counter and `dead`).  It is a leaf lock: nothing else is
 * taken while holding it, but it IS held across the blocking socket I/O.
 */
#include "lib/lockdep.h"
#include "sentry/fs/gofer_client.h"
#include "gofer/protocol.h"
#include "lib/log.h"
#include "lib/memtrim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct gofer_client {
	int sock;
	struct vmutex lock;
	_Atomic uint64_t requests; /* round trips attempted, for tests and the debug log */
	_Atomic uint64_t by_type[GOFER_TMAX + 1]; /* requests sent, per type */
	/* Requests sent whose replies are still to be read (the *_async
	 * calls): the first with tag async_tag, the others after
	 * it, their types in async_types. */
	uint32_t async_pending, async_tag;
	/* Requests not waited for and not yet sent: framed in batch, each
	 * ending at batch_end[i], their tags right after the pending ones'
	 * and their types after theirs in async_types.  They go with the
	 * next request that waits (one sendmmsg: the Gofer wakes once for
	 * all), at gofer_client_flush/gofer_client_push, or when full. */
	uint32_t batch_n;
	uint32_t batch_end[GOFER_ASYNC_MAX];
	uint8_t *batch; /* GOFER_BATCH_BYTES */
	uint16_t async_types[GOFER_ASYNC_MAX];
	uint64_t async_fids[GOFER_ASYNC_MAX]; /* a setattr of times: its fid, else 0 */
	/* Setattrs of times batched or unanswered: a write through a host
	 * fd waits for them first (gofer_client_settle). */
	_Atomic uint32_t times_inflight;
	uint32_t tag;
	bool dead;
	uint8_t *out; /* request buffer, GOFER_MSG_MAX */
	uint8_t *in;  /* reply buffer, GOFER_MSG_MAX + 1 (to see oversize) */
};

struct gofer_client *gofer_client_new(int sock)
{
	struct gofer_client *c = calloc(1, sizeof(*c));
	if (c) {
		/* Pages of their own: scratch that gofer_client_trim drops. */
		c->out = memtrim_alloc_pages(GOFER_MSG_MAX);
		c->in = memtrim_alloc_pages(GOFER_MSG_MAX + 1);
		c->batch = malloc(GOFER_BATCH_BYTES);
	}
	if (!c || !c->out || !c->in || !c->batch ||
	    vmutex_init(&c->lock, LOCK_CLASS(GOFER_CLIENT))) {
		if (c) {
			memtrim_free_pages(c->out, GOFER_MSG_MAX);
			memtrim_free_pages(c->in, GOFER_MSG_MAX + 1);
			free(c->batch);
		}
		free(c);
		if (sock >= 0)
			close(sock);
		return NULL;
	}
	c->sock = sock;
	return c;
}

void gofer_client_free(struct gofer_client *c)
{
	if (!c)
		return;
	if (c->sock >= 0)
		close(c->sock);
	vmutex_destroy(&c->lock);
	memtrim_free_pages(c->out, GOFER_MSG_MAX);
	memtrim_free_pages(c->in, GOFER_MSG_MAX + 1);
	free(c->batch);
	free(c);
}

bool gofer_client_trim(struct gofer_client *c)
{
	if (vmutex_trylock(&c->lock) != 0)
		return false;
	memtrim_drop_pages(c->out, GOFER_MSG_MAX);
	memtrim_drop_pages(c->in, GOFER_MSG_MAX + 1);
	vmutex_unlock(&c->lock);
	return true;
}

uint64_t gofer_client_requests(struct gofer_client *c)
{
	return atomic_load_explicit(&c->requests, memory_order_relaxed);
}

static const char *const type_names[GOFER_TMAX + 1] = {
    [GOFER_TATTACH] = "attach",	      [GOFER_TWALK] = "walk",
    [GOFER_TGETATTR] = "getattr",     [GOFER_TSETATTR] = "setattr",
    [GOFER_TOPEN] = "open",	      [GOFER_TCREATE] = "create",
    [GOFER_TMKDIR] = "mkdir",	      [GOFER_TMKNOD] = "mknod",
    [GOFER_TSYMLINK] = "symlink",     [GOFER_TLINK] = "link",
    [GOFER_TUNLINK] = "unlink",	      [GOFER_TRENAME] = "rename",
    [GOFER_TREADDIR] = "readdir",     [GOFER_TREADLINK] = "readlink",
    [GOFER_TSTATFS] = "statfs",	      [GOFER_TCLUNK] = "clunk",
    [GOFER_TGETXATTR] = "getxattr",   [GOFER_TSETXATTR] = "setxattr",
    [GOFER_TLISTXATTR] = "listxattr", [GOFER_TREMOVEXATTR] = "removexattr",
    [GOFER_TSTATX] = "statx",	      [GOFER_TFSYNC] = "fsync",
};

size_t gofer_client_requests_line(struct gofer_client *c, char *buf, size_t size)
{
	size_t len = 0;
	if (size)
		buf[0] = 0;
	for (int t = 1; t <= GOFER_TMAX && len < size; t++) {
		uint64_t n = atomic_load_explicit(&c->by_type[t], memory_order_relaxed);
		if (!n || !type_names[t])
			continue;
		int w = snprintf(buf + len, size - len, "%s%s %llu", len ? ", " : "", type_names[t],
				 (unsigned long long)n);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return len < size ? len : size ? size - 1 : 0;
}

bool gofer_client_peer_gone(struct gofer_client *c)
{
	/* No events asked: poll reports only a hang-up or an error, and a
	 * connected unix socket hangs up when its peer's last fd closes. */
	struct pollfd p = {.fd = c->sock, .events = 0};
	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

/* ---- one exchange ---- */

static void close_fds(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static int proto_error(struct gofer_client *c, bool fatal, const char *why)
{
	log_warn("gofer client: bad reply from gofer: %s%s", why, fatal ? " (connection dropped)" : "");
	if (fatal)
		c->dead = true;
	return -EIO;
}

/* Start a request: take c->lock (the request buffer, the reply buffer and the
 * tag are only touched under it) and point w at the body after the header.
 * req_end releases the lock once the reply has been consumed. */
static void req_begin(struct gofer_client *c, struct gofer_cursor *w)
{
	vmutex_lock(&c->lock);
	gofer_cursor_init(w, c->out + GOFER_HDR_SIZE, GOFER_MSG_MAX - GOFER_HDR_SIZE);
}

static void req_end(struct gofer_client *c)
{
	vmutex_unlock(&c->lock);
}

/* The header flags of a request this thread waits for: its CPU as a hint
 * (protocol.h), so the Gofer serves it on this CPU.  A thread the platform
 * tied to its CPU (systrap) stays there while it waits; an untied one
 * is usually woken where the Gofer replied from. */
static uint16_t waiter_flags(void)
{
	int cpu = sched_getcpu();
	return cpu >= 0 && cpu <= (int)GOFER_CPU_MAX ? (uint16_t)(GOFER_F_CPU | (unsigned)cpu) : 0;
}

/* Frame the request built in w (its header in c->out) with those header
 * flags: its tag in *tag, its length in *len.  0, or -EIO / -EINVAL.
 * Called with c->lock held. */
static int frame_request(struct gofer_client *c, uint16_t type, uint16_t flags,
			 struct gofer_cursor *w, uint32_t *tag, size_t *len)
{
	if (c->dead)
		return -EIO;
	if (w->bad)
		return -EINVAL; /* cannot happen with validated arguments */
	*tag = ++c->tag;
	if (type <= GOFER_TMAX)
		atomic_fetch_add_explicit(&c->by_type[type], 1, memory_order_relaxed);
	*len = GOFER_HDR_SIZE + w->pos;
	struct gofer_cursor h;
	gofer_cursor_init(&h, c->out, GOFER_HDR_SIZE);
	gofer_put_u32(&h, (uint32_t)*len);
	gofer_put_u16(&h, type);
	gofer_put_u16(&h, flags);
	gofer_put_u32(&h, *tag);
	return 0;
}

/* The batched requests as iov[0, n), a datagram each; n.  Unless a request
 * the caller waits for follows them, the last one tells the Gofer that
 * nobody waits (protocol.h's CPU hint): it may work through them on
 * another CPU while this one goes on. */
static unsigned int batch_msgs(struct gofer_client *c, struct iovec *iov, bool waited)
{
	for (uint32_t i = 0, start = 0; i < c->batch_n; i++) {
		iov[i] = (struct iovec){.iov_base = c->batch + start,
					.iov_len = c->batch_end[i] - start};
		start = c->batch_end[i];
	}
	if (c->batch_n && !waited) {
		struct gofer_cursor h;
		gofer_cursor_init(&h, (uint8_t *)iov[c->batch_n - 1].iov_base + GOFER_HDR_FLAGS_OFF, 2);
		gofer_put_u16(&h, GOFER_F_CPU | GOFER_CPU_ANY);
	}
	return c->batch_n;
}

static void msgs_of(struct mmsghdr *mm, struct iovec *iov, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &iov[i], .msg_iovlen = 1}};
}

/* Did sendmmsg's k of these datagrams go whole?  A datagram goes whole or
 * not at all, so the last one says.  No: the connection is dead (logged). */
static bool sent_whole(struct gofer_client *c, const struct mmsghdr *mm,
		       const struct iovec *iov, int k)
{
	if (k > 0 && mm[k - 1].msg_len == iov[k - 1].iov_len)
		return true;
	log_warn("gofer client: send failed: %s", k < 0 ? strerror(errno) : "short");
	c->dead = true;
	return false;
}

/* Send the batched requests and then, when len is non-zero, the one framed
 * in c->out: one sendmmsg (a datagram each, as if sent one by one).  The
 * batched ones become pending.  0, or -EIO (the connection is then dead).
 * Called with c->lock held. */
static int send_batch(struct gofer_client *c, size_t len)
{
	if (c->dead)
		return -EIO;
	struct mmsghdr mm[GOFER_ASYNC_MAX + 1];
	struct iovec iov[GOFER_ASYNC_MAX + 1];
	unsigned int n = batch_msgs(c, iov, len != 0);
	if (len)
		iov[n++] = (struct iovec){.iov_base = c->out, .iov_len = len};
	msgs_of(mm, iov, n);
	c->async_pending += c->batch_n;
	c->batch_n = 0;
	for (unsigned int done = 0; done < n;) {
		int k = sendmmsg(c->sock, mm + done, n - done, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (!sent_whole(c, mm + done, iov + done, k))
			return -EIO;
		done += (unsigned int)k;
	}
	return 0;
}

/* Send the request built in w, after the batched ones; its tag in *tag.
 * 0, or -EIO (the connection is then dead).  Called with c->lock held. */
static int send_request(struct gofer_client *c, uint16_t type, struct gofer_cursor *w,
			uint32_t *tag)
{
	size_t len;
	int r = frame_request(c, type, waiter_flags(), w, tag, &len);
	return r < 0 ? r : send_batch(c, len);
}

/* Receive the reply to the request of that type and tag.  On success (0) rd
 * covers the reply body and, when fd is non-NULL, *fd is the one donated
 * fd.  A Gofer error comes back as its -errno; anything malformed is -EIO.
 * Called with c->lock held. */
static int recv_reply(struct gofer_client *c, uint16_t type, uint32_t tag, struct gofer_cursor *rd,
		      int *fd)
{
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(8 * sizeof(int))];
	} cmsg;
	struct iovec iov = {.iov_base = c->in, .iov_len = GOFER_MSG_MAX + 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cmsg.buf,
			    .msg_controllen = sizeof(cmsg.buf)};
	ssize_t n;
	do
		n = recvmsg(c->sock, &mh, MSG_TRUNC | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);

	int fds[16], nfds = 0;
	if (n >= 0) {
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < k && nfds < 16; i++)
				memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
		}
	}
	if (n <= 0) {
		close_fds(fds, nfds);
		log_warn("gofer client: gofer connection lost: %s", n < 0 ? strerror(errno) : "closed");
		c->dead = true;
		return -EIO;
	}
	const char *why = NULL;
	bool fatal = true;
	struct gofer_cursor r;
	gofer_cursor_init(&r, c->in, (size_t)n);
	uint32_t rlen = gofer_get_u32(&r);
	uint16_t rtype = gofer_get_u16(&r);
	uint16_t rflags = gofer_get_u16(&r);
	uint32_t rtag = gofer_get_u32(&r);
	if ((size_t)n < GOFER_HDR_SIZE)
		why = "short header";
	else if ((size_t)n > GOFER_MSG_MAX || (mh.msg_flags & MSG_TRUNC))
		why = "oversized";
	else if (rlen != (size_t)n)
		why = "length mismatch";
	else if (rtag != tag)
		why = "tag mismatch";
	else if (rflags != 0)
		why = "non-zero flags";
	else if (mh.msg_flags & MSG_CTRUNC)
		why = "too many fds", fatal = false;
	else if (rtype != GOFER_RERROR && rtype != (uint16_t)(type | GOFER_REPLY))
		why = "unexpected type", fatal = false;
	if (why) {
		close_fds(fds, nfds);
		return proto_error(c, fatal, why);
	}
	gofer_cursor_init(rd, c->in + GOFER_HDR_SIZE, (size_t)n - GOFER_HDR_SIZE);
	if (rtype == GOFER_RERROR) {
		uint32_t err = gofer_get_u32(rd);
		close_fds(fds, nfds);
		if (rd->bad || rd->pos != rd->len || nfds)
			return proto_error(c, false, "malformed error reply");
		if (err == 0 || err > GOFER_ERRNO_MAX)
			return proto_error(c, false, "errno out of range");
		return -(int)err;
	}
	if (nfds != (fd ? 1 : 0)) {
		close_fds(fds, nfds);
		return proto_error(c, false, fd ? "missing fd" : "unexpected fd");
	}
	if (fd)
		*fd = fds[0];
	return 0;
}

/* The reply body was fully consumed and valid; else -EIO (closing *fd). */
static int reply_end(struct gofer_client *c, struct gofer_cursor *rd, int *fd)
{
	if (!rd->bad && rd->pos == rd->len)
		return 0;
	if (fd && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return proto_error(c, false, "malformed body");
}

/* Read the replies to the requests sent without waiting (each request's
 * reply comes in order, so they are next).  A clunk's failure has nobody to
 * tell (the fid is gone either way); another request that failed on the
 * host is logged.  0, or -EIO when the connection broke. */
/* The async entries [0, n) are answered (or lost): forget them, the
 * batched ones after them moving down. */
static void async_forget(struct gofer_client *c, uint32_t n)
{
	uint32_t times = 0;
	for (uint32_t i = 0; i < n; i++)
		times += c->async_fids[i] != 0;
	if (times)
		atomic_fetch_sub(&c->times_inflight, times);
	uint32_t rest = c->async_pending - n + c->batch_n;
	memmove(c->async_types, c->async_types + n, rest * sizeof(c->async_types[0]));
	memmove(c->async_fids, c->async_fids + n, rest * sizeof(c->async_fids[0]));
	c->async_tag += n;
	c->async_pending -= n;
}

/* Read the replies to the requests sent without waiting (each request's
 * reply comes in order, so they are next).  A clunk's failure has nobody to
 * tell (the fid is gone either way); another request that failed on the
 * host is logged.  0, or -EIO when the connection broke (then nothing
 * batched is ever sent either). */
static int drain_some(struct gofer_client *c, uint32_t n)
{
	uint32_t i;
	if (n > c->async_pending)
		n = c->async_pending;
	for (i = 0; i < n && !c->dead; i++) {
		struct gofer_cursor rd;
		uint16_t type = c->async_types[i];
		int r = recv_reply(c, type, c->async_tag + i, &rd, NULL);
		if (r == 0)
			r = reply_end(c, &rd, NULL);
		if (r < 0 && c->dead)
			break;
		if (r < 0 && type == GOFER_TCLUNK)
			log_debug("gofer client: clunk: %s", strerror(-r));
		else if (r < 0)
			log_warn("gofer client: %s on the host, not waited for, failed: %s",
				 type_names[type], strerror(-r));
	}
	if (c->dead) {
		c->async_pending += c->batch_n;
		c->batch_n = 0;
		n = c->async_pending;
	}
	async_forget(c, n);
	return c->dead ? -EIO : 0;
}

static int drain_async(struct gofer_client *c)
{
	return drain_some(c, c->async_pending);
}

/* Send the batch and read every reply not read yet. */
static int flush_locked(struct gofer_client *c)
{
	if (c->batch_n && !c->dead)
		send_batch(c, 0);
	return drain_async(c);
}

/* Queue the request built in w without waiting for its reply (drain_async
 * reads it once it is sent); fid, when a setattr of times, for
 * gofer_client_settle.  Called with c->lock held. */
static void send_async(struct gofer_client *c, uint16_t type, struct gofer_cursor *w, uint64_t fid)
{
	if (GOFER_HDR_SIZE + w->pos > GOFER_BATCH_BYTES) {
		log_warn("gofer client: %s too long to send without waiting", type_names[type]);
		return; /* cannot happen: the requests sent so are short */
	}
	if (c->async_pending + c->batch_n >= GOFER_ASYNC_MAX)
		drain_some(c, GOFER_BATCH_SEND); /* the oldest, sent batches ago */
	uint32_t used = c->batch_n ? c->batch_end[c->batch_n - 1] : 0;
	if (used + GOFER_HDR_SIZE + w->pos > GOFER_BATCH_BYTES) {
		send_batch(c, 0);
		used = 0;
	}
	uint32_t tag;
	size_t len;
	if (frame_request(c, type, 0, w, &tag, &len) < 0)
		return;
	if (!c->async_pending && !c->batch_n)
		c->async_tag = tag;
	memcpy(c->batch + used, c->out, len);
	uint32_t i = c->async_pending + c->batch_n;
	c->async_types[i] = type;
	c->async_fids[i] = fid;
	if (fid)
		atomic_fetch_add(&c->times_inflight, 1);
	c->batch_end[c->batch_n++] = used + (uint32_t)len;
	/* A run of them (rm -r) goes in batches the Gofer works through while
	 * the Sentry queues the next, not waited for until GOFER_ASYNC_MAX. */
	if (c->batch_n >= GOFER_BATCH_SEND)
		send_batch(c, 0);
}

/* Send the request built in w, receive its reply (after those of the
 * requests still pending): as recv_reply.  Called with c->lock held. */
static int transact(struct gofer_client *c, uint16_t type, struct gofer_cursor *w,
		    struct gofer_cursor *rd, int *fd)
{
	if (fd)
		*fd = -1;
	uint32_t tag;
	atomic_fetch_add_explicit(&c->requests, 1, memory_order_relaxed);
	int r = send_request(c, type, w, &tag);
	if (r == 0)
		r = drain_async(c);
	return r < 0 ? r : recv_reply(c, type, tag, rd, fd);
}

static bool valid_file_type(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
	case S_IFLNK:
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return true;
	}
	return false;
}

/* Decode a stat; an impossible one (unknown type, nsec >= 1e9) marks rd bad. */
static void get_stat(struct gofer_cursor *rd, struct gofer_stat *st)
{
	struct gofer_stat s;
	s.dev = gofer_get_u64(rd);
	s.ino = gofer_get_u64(rd);
	s.nlink = gofer_get_u64(rd);
	s.size = gofer_get_u64(rd);
	s.blocks = gofer_get_u64(rd);
	s.rdev = gofer_get_u64(rd);
	s.mode = gofer_get_u32(rd);
	s.uid = gofer_get_u32(rd);
	s.gid = gofer_get_u32(rd);
	s.blksize = gofer_get_u32(rd);
	s.atime_sec = (int64_t)gofer_get_u64(rd);
	s.mtime_sec = (int64_t)gofer_get_u64(rd);
	s.ctime_sec = (int64_t)gofer_get_u64(rd);
	s.atime_nsec = gofer_get_u32(rd);
	s.mtime_nsec = gofer_get_u32(rd);
	s.ctime_nsec = gofer_get_u32(rd);
	if (!valid_file_type(s.mode) || (s.mode & ~(uint32_t)(S_IFMT | 07777)) ||
	    s.atime_nsec >= 1000000000u || s.mtime_nsec >= 1000000000u ||
	    s.ctime_nsec >= 1000000000u)
		rd->bad = true;
	if (st && !rd->bad)
		*st = s;
}

static int check_name(const char *name)
{
	if (!name)
		return -EINVAL;
	size_t n = strnlen(name, GOFER_NAME_MAX + 1);
	return gofer_check_name(name, n);
}

/* A request whose reply is a stat, preceded by a new fid when fid is non-NULL
 * (attach, walk, create) and carrying a donated fd when fd is non-NULL
 * (create).  *fid and *fd are written only on success; the fd of a malformed
 * reply is closed.  Called with c->lock held. */
static int stat_call(struct gofer_client *c, uint16_t type, struct gofer_cursor *w,
		     uint64_t *fid, struct gofer_stat *st, int *fd)
{
	struct gofer_cursor rd;
	int got = -1;
	int r = transact(c, type, w, &rd, fd ? &got : NULL);
	if (r == 0) {
		uint64_t f = fid ? gofer_get_u64(&rd) : 0;
		get_stat(&rd, st);
		r = reply_end(c, &rd, fd ? &got : NULL);
		if (r == 0 && fid)
			*fid = f;
		if (r == 0 && fd)
			*fd = got;
	}
	return r;
}

/* ---- operations ---- */

int gofer_attach(struct gofer_client *c, const char *name, uint64_t *fid, struct gofer_stat *st)
{
	if (!name || !fid || !*name)
		return -EINVAL;
	size_t n = strnlen(name, GOFER_PATH_MAX + 1);
	if (n > GOFER_PATH_MAX)
		return -ENAMETOOLONG;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_str(&w, name, n);
	int r = stat_call(c, GOFER_TATTACH, &w, fid, st, NULL);
	req_end(c);
	return r;
}

int gofer_walk(struct gofer_client *c, uint64_t dir, const char *name, uint64_t *fid,
	       struct gofer_stat *st)
{
	int r = check_name(name);
	if (r < 0 || !fid)
		return r < 0 ? r : -EINVAL;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, dir);
	gofer_put_str(&w, name, strlen(name));
	r = stat_call(c, GOFER_TWALK, &w, fid, st, NULL);
	req_end(c);
	return r;
}

int gofer_getattr(struct gofer_client *c, uint64_t fid, struct gofer_stat *st)
{
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	int r = stat_call(c, GOFER_TGETATTR, &w, NULL, st, NULL);
	req_end(c);
	return r;
}

/* A request whose reply body is empty, carrying a donated fd when fd is
 * non-NULL (open); *fd is written only on success.  Called with c->lock held. */
static int simple_call(struct gofer_client *c, uint16_t type, struct gofer_cursor *w, int *fd)
{
	struct gofer_cursor rd;
	int got = -1;
	int r = transact(c, type, w, &rd, fd ? &got : NULL);
	if (r == 0)
		r = reply_end(c, &rd, fd ? &got : NULL);
	if (r == 0 && fd)
		*fd = got;
	return r;
}

static void put_setattr(struct gofer_cursor *w, uint64_t fid, const struct gofer_setattr *sa)
{
	gofer_put_u64(w, fid);
	gofer_put_u32(w, sa->valid);
	gofer_put_u32(w, sa->mode);
	gofer_put_u32(w, sa->uid);
	gofer_put_u32(w, sa->gid);
	gofer_put_u64(w, sa->size);
	gofer_put_u64(w, (uint64_t)sa->atime_sec);
	gofer_put_u64(w, (uint64_t)sa->mtime_sec);
	gofer_put_u32(w, sa->atime_nsec);
	gofer_put_u32(w, sa->mtime_nsec);
}

int gofer_setattr(struct gofer_client *c, uint64_t fid, const struct gofer_setattr *sa)
{
	if (!sa)
		return -EINVAL;
	struct gofer_cursor w;
	req_begin(c, &w);
	put_setattr(&w, fid, sa);
	int r = simple_call(c, GOFER_TSETATTR, &w, NULL);
	req_end(c);
	return r;
}

void gofer_setattr_async(struct gofer_client *c, uint64_t fid, const struct gofer_setattr *sa)
{
	struct gofer_cursor w;
	req_begin(c, &w);
	put_setattr(&w, fid, sa);
	bool times = sa->valid & (GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME);
	send_async(c, GOFER_TSETATTR, &w, times ? fid : 0);
	req_end(c);
}

int gofer_open(struct gofer_client *c, uint64_t fid, int flags, int *fd)
{
	if (!fd)
		return -EINVAL;
	*fd = -1;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	gofer_put_u32(&w, (uint32_t)flags);
	int r = simple_call(c, GOFER_TOPEN, &w, fd);
	req_end(c);
	return r;
}

int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, int flags, uint32_t mode,
		 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st, int *fd)
{
	int r = check_name(name);
	if (r < 0 || !fid || !fd)
		return r < 0 ? r : -EINVAL;
	*fd = -1;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, dir);
	gofer_put_u32(&w, (uint32_t)flags);
	gofer_put_u32(&w, mode);
	gofer_put_u32(&w, uid);
	gofer_put_u32(&w, gid);
	gofer_put_str(&w, name, strlen(name));
	r = stat_call(c, GOFER_TCREATE, &w, fid, st, fd);
	req_end(c);
	return r;
}

/* Tmkdir and Tmknod: the same body but for Tmknod's rdev before the name. */
static int make_node(struct gofer_client *c, uint16_t type, uint64_t dir, const char *name,
		     uint32_t mode, uint64_t rdev, uint32_t uid, uint32_t gid, uint64_t *fid,
		     struct gofer_stat *st)
{
	int r = check_name(name);
	if (r < 0)
		return r;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, dir);
	gofer_put_u32(&w, mode);
	gofer_put_u32(&w, uid);
	gofer_put_u32(&w, gid);
	if (type == GOFER_TMKNOD)
		gofer_put_u64(&w, rdev);
	gofer_put_str(&w, name, strlen(name));
	r = stat_call(c, type, &w, fid, st, NULL);
	req_end(c);
	return r;
}

int gofer_mkdir_fid(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
		    uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st)
{
	if (!fid)
		return -EINVAL;
	return make_node(c, GOFER_TMKDIR, dir, name, mode, 0, uid, gid, fid, st);
}

int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
		uint32_t uid, uint32_t gid, struct gofer_stat *st)
{
	uint64_t fid;
	int r = gofer_mkdir_fid(c, dir, name, mode, uid, gid, &fid, st);
	if (r == 0)
		gofer_clunk(c, fid);
	return r;
}

int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, uint32_t mode,
		uint64_t rdev, uint32_t uid, uint32_t gid, struct gofer_stat *st)
{
	return make_node(c, GOFER_TMKNOD, dir, name, mode, rdev, uid, gid, NULL, st);
}

int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
		  uint32_t uid, uint32_t gid, struct gofer_stat *st)
{
	int r = check_name(name);
	if (r < 0)
		return r;
	if (!target)
		return -EINVAL;
	size_t tn = strnlen(target, GOFER_PATH_MAX + 1);
	if (tn == 0)
		return -ENOENT; /* as Linux */
	if (tn > GOFER_PATH_MAX)
		return -ENAMETOOLONG;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, dir);
	gofer_put_u32(&w, uid);
	gofer_put_u32(&w, gid);
	gofer_put_str(&w, name, strlen(name));
	gofer_put_str(&w, target, tn);
	r = stat_call(c, GOFER_TSYMLINK, &w, NULL, st, NULL);
	req_end(c);
	return r;
}

int gofer_link(struct gofer_client *c, uint64_t target, uint64_t dir, const char *name)
{
	int r = check_name(name);
	if (r < 0)
		return r;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, target);
	gofer_put_u64(&w, dir);
	gofer_put_str(&w, name, strlen(name));
	r = simple_call(c, GOFER_TLINK, &w, NULL);
	req_end(c);
	return r;
}

static void put_unlink(struct gofer_cursor *w, uint64_t dir, const char *name, int flags)
{
	gofer_put_u64(w, dir);
	gofer_put_u32(w, (uint32_t)flags);
	gofer_put_str(w, name, strlen(name));
}

int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, int flags)
{
	int r = check_name(name);
	if (r < 0)
		return r;
	struct gofer_cursor w;
	req_begin(c, &w);
	put_unlink(&w, dir, name, flags);
	r = simple_call(c, GOFER_TUNLINK, &w, NULL);
	req_end(c);
	return r;
}

int gofer_unlink_async(struct gofer_client *c, uint64_t dir, const char *name)
{
	int r = check_name(name);
	if (r < 0)
		return r;
	struct gofer_cursor w;
	req_begin(c, &w);
	put_unlink(&w, dir, name, 0);
	send_async(c, GOFER_TUNLINK, &w, 0);
	req_end(c);
	return c->dead ? -EIO : 0;
}

int gofer_rename(struct gofer_client *c, uint64_t old_dir, const char *old_name,
		 uint64_t new_dir, const char *new_name, unsigned int flags)
{
	int r = check_name(old_name);
	if (r == 0)
		r = check_name(new_name);
	if (r < 0)
		return r;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, old_dir);
	gofer_put_u64(&w, new_dir);
	gofer_put_u32(&w, flags);
	gofer_put_str(&w, old_name, strlen(old_name));
	gofer_put_str(&w, new_name, strlen(new_name));
	r = simple_call(c, GOFER_TRENAME, &w, NULL);
	req_end(c);
	return r;
}

int gofer_readdir(struct gofer_client *c, uint64_t dir, uint64_t offset, struct gofer_dirent *ents,
		  int max)
{
	return gofer_readdir_end(c, dir, offset, ents, max, NULL);
}

int gofer_readdir_end(struct gofer_client *c, uint64_t dir, uint64_t offset,
		      struct gofer_dirent *ents, int max, bool *end)
{
	if (end)
		*end = false;
	if (!ents || max <= 0)
		return -EINVAL;
	struct gofer_cursor w, rd;
	req_begin(c, &w);
	gofer_put_u64(&w, dir);
	gofer_put_u64(&w, offset);
	gofer_put_u32(&w, (uint32_t)max);
	int r = transact(c, GOFER_TREADDIR, &w, &rd, NULL);
	if (r == 0) {
		uint32_t n = gofer_get_u32(&rd);
		if (n > (uint32_t)max) {
			r = proto_error(c, false, "readdir: more entries than asked for");
			goto out;
		}
		for (uint32_t i = 0; i < n && !rd.bad; i++) {
			struct gofer_dirent *e = &ents[i];
			e->ino = gofer_get_u64(&rd);
			e->next_offset = gofer_get_u64(&rd);
			e->type = gofer_get_u8(&rd);
			size_t nl = gofer_get_str(&rd, e->name, GOFER_NAME_MAX, false);
			if (!rd.bad && (gofer_check_name(e->name, nl) < 0 || e->type > 14))
				rd.bad = true;
		}
		r = reply_end(c, &rd, NULL);
		if (r == 0)
			r = (int)n;
		/* Fewer entries than asked for, with room left for one more of
		 * any name: the Gofer met the end (gofer/protocol.h). */
		if (r >= 0 && end)
			*end = n == 0 || (n < (uint32_t)max && rd.len <= GOFER_READDIR_END_BODY);
	}
out:
	req_end(c);
	return r;
}

ssize_t gofer_readlink(struct gofer_client *c, uint64_t fid, char *buf, size_t len)
{
	if (!buf)
		return -EINVAL;
	struct gofer_cursor w, rd;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	ssize_t ret = transact(c, GOFER_TREADLINK, &w, &rd, NULL);
	if (ret == 0) {
		char target[GOFER_PATH_MAX + 1];
		size_t n = gofer_get_str(&rd, target, GOFER_PATH_MAX, false);
		ret = reply_end(c, &rd, NULL);
		if (ret == 0) {
			/* As readlink(2): truncate to the caller's buffer, no NUL. */
			if (n > len)
				n = len;
			memcpy(buf, target, n);
			ret = (ssize_t)n;
		}
	}
	req_end(c);
	return ret;
}

int gofer_statfs(struct gofer_client *c, uint64_t fid, struct gofer_statfs *st)
{
	struct gofer_cursor w, rd;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	int r = transact(c, GOFER_TSTATFS, &w, &rd, NULL);
	if (r == 0) {
		struct gofer_statfs s;
		s.type = gofer_get_u64(&rd);
		s.bsize = gofer_get_u64(&rd);
		s.blocks = gofer_get_u64(&rd);
		s.bfree = gofer_get_u64(&rd);
		s.bavail = gofer_get_u64(&rd);
		s.files = gofer_get_u64(&rd);
		s.ffree = gofer_get_u64(&rd);
		s.namelen = gofer_get_u64(&rd);
		r = reply_end(c, &rd, NULL);
		if (r == 0 && st)
			*st = s;
	}
	req_end(c);
	return r;
}

int gofer_clunk(struct gofer_client *c, uint64_t fid)
{
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	int r = simple_call(c, GOFER_TCLUNK, &w, NULL);
	req_end(c);
	return r;
}

void gofer_client_flush(struct gofer_client *c)
{
	vmutex_lock(&c->lock);
	flush_locked(c);
	vmutex_unlock(&c->lock);
}

/* The batch, without blocking (the watchdog's tick must not wait for a
 * Gofer that does not read): what the socket takes becomes pending, the
 * rest stays batched for the next send.  Called with c->lock held. */
static void push_batch(struct gofer_client *c)
{
	struct mmsghdr mm[GOFER_ASYNC_MAX];
	struct iovec iov[GOFER_ASYNC_MAX];
	unsigned int n = batch_msgs(c, iov, false);
	msgs_of(mm, iov, n);
	int k;
	do
		k = sendmmsg(c->sock, mm, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (k < 0 && errno == EINTR);
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return; /* the socket is full: the next send takes them */
	if (!sent_whole(c, mm, iov, k))
		return;
	uint32_t sent = c->batch_end[k - 1], used = c->batch_end[c->batch_n - 1];
	memmove(c->batch, c->batch + sent, used - sent);
	for (uint32_t i = (uint32_t)k; i < c->batch_n; i++)
		c->batch_end[i - (uint32_t)k] = c->batch_end[i] - sent;
	c->async_pending += (uint32_t)k;
	c->batch_n -= (uint32_t)k;
}

bool gofer_client_push(struct gofer_client *c)
{
	if (vmutex_trylock(&c->lock) != 0)
		return false;
	if (c->batch_n && !c->dead)
		push_batch(c);
	vmutex_unlock(&c->lock);
	return true;
}

void gofer_client_settle(struct gofer_client *c, uint64_t fid)
{
	if (!atomic_load(&c->times_inflight))
		return;
	vmutex_lock(&c->lock);
	for (uint32_t i = 0; i < c->async_pending + c->batch_n; i++) {
		if (c->async_fids[i] == fid) {
			flush_locked(c);
			break;
		}
	}
	vmutex_unlock(&c->lock);
}

void gofer_clunk_async(struct gofer_client *c, uint64_t fid)
{
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	send_async(c, GOFER_TCLUNK, &w, 0);
	req_end(c);
}

/* ---- extended attributes ---- */

static int xattr_name_check(const char *name, size_t *n)
{
	*n = name ? strnlen(name, GOFER_XATTR_NAME_MAX + 1) : 0;
	if (*n == 0)
		return -EINVAL;
	return *n > GOFER_XATTR_NAME_MAX ? -ERANGE : 0;
}

/* A sized reply (getxattr, listxattr): le32 len, then len bytes unless size
 * is 0.  A length the request did not allow is the Gofer's fault (-EIO). */
static ssize_t sized_reply(struct gofer_client *c, struct gofer_cursor *rd, void *buf,
			   size_t size)
{
	uint32_t len = gofer_get_u32(rd);
	if (!rd->bad && (len > GOFER_XATTR_SIZE_MAX || (size && len > size)))
		rd->bad = true;
	const uint8_t *p = size && !rd->bad ? gofer_cursor_take(rd, len) : NULL;
	int r = reply_end(c, rd, NULL);
	if (r < 0)
		return r;
	if (p && len)
		memcpy(buf, p, len);
	return len;
}

ssize_t gofer_getxattr(struct gofer_client *c, uint64_t fid, const char *name, void *buf,
		       size_t size)
{
	size_t n;
	int r = xattr_name_check(name, &n);
	if (r < 0)
		return r;
	if (size > GOFER_XATTR_SIZE_MAX)
		size = GOFER_XATTR_SIZE_MAX;
	struct gofer_cursor w, rd;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	gofer_put_str(&w, name, n);
	gofer_put_u32(&w, (uint32_t)size);
	ssize_t ret = transact(c, GOFER_TGETXATTR, &w, &rd, NULL);
	if (ret == 0)
		ret = sized_reply(c, &rd, buf, size);
	req_end(c);
	return ret;
}

int gofer_setxattr(struct gofer_client *c, uint64_t fid, const char *name, const void *value,
		   size_t size, int flags)
{
	size_t n;
	int r = xattr_name_check(name, &n);
	if (r < 0)
		return r;
	if (size > GOFER_XATTR_SIZE_MAX)
		return -E2BIG;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	gofer_put_u32(&w, (uint32_t)flags);
	gofer_put_str(&w, name, n);
	gofer_put_u32(&w, (uint32_t)size);
	uint8_t *p = gofer_cursor_take(&w, size);
	if (p && size)
		memcpy(p, value, size);
	r = simple_call(c, GOFER_TSETXATTR, &w, NULL);
	req_end(c);
	return r;
}

ssize_t gofer_listxattr(struct gofer_client *c, uint64_t fid, char *buf, size_t size)
{
	if (size > GOFER_XATTR_SIZE_MAX)
		size = GOFER_XATTR_SIZE_MAX;
	struct gofer_cursor w, rd;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	gofer_put_u32(&w, (uint32_t)size);
	ssize_t ret = transact(c, GOFER_TLISTXATTR, &w, &rd, NULL);
	if (ret == 0)
		ret = sized_reply(c, &rd, buf, size);
	/* Names the caller can walk: each NUL-terminated. */
	if (ret > 0 && size && buf[ret - 1] != 0)
		ret = proto_error(c, false, "unterminated xattr list");
	req_end(c);
	return ret;
}

int gofer_removexattr(struct gofer_client *c, uint64_t fid, const char *name)
{
	size_t n;
	int r = xattr_name_check(name, &n);
	if (r < 0)
		return r;
	struct gofer_cursor w;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	gofer_put_str(&w, name, n);
	r = simple_call(c, GOFER_TREMOVEXATTR, &w, NULL);
	req_end(c);
	return r;
}

static int fsync_call(struct gofer_client *c, uint64_t fid, uint32_t flags)
{
	struct gofer_cursor w, rd;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	gofer_put_u32(&w, flags);
	int r = transact(c, GOFER_TFSYNC, &w, &rd, NULL);
	if (r == 0)
		r = reply_end(c, &rd, NULL);
	req_end(c);
	return r;
}

int gofer_fsync_fid(struct gofer_client *c, uint64_t fid, bool datasync)
{
	return fsync_call(c, fid, datasync ? GOFER_FSYNC_DATA : 0);
}

int gofer_syncfs_fid(struct gofer_client *c, uint64_t fid)
{
	return fsync_call(c, fid, GOFER_FSYNC_FS);
}

int gofer_statx(struct gofer_client *c, uint64_t fid, uint32_t mask, struct gofer_statx *out)
{
	if (!out)
		return -EINVAL;
	struct gofer_cursor w, rd;
	req_begin(c, &w);
	gofer_put_u64(&w, fid);
	gofer_put_u32(&w, mask);
	int r = transact(c, GOFER_TSTATX, &w, &rd, NULL);
	if (r == 0) {
		struct gofer_statx s;
		s.mask = gofer_get_u32(&rd);
		s.attributes = gofer_get_u64(&rd);
		s.attributes_mask = gofer_get_u64(&rd);
		s.btime_sec = (int64_t)gofer_get_u64(&rd);
		s.btime_nsec = gofer_get_u32(&rd);
		s.dio_mem_align = gofer_get_u32(&rd);
		s.dio_offset_align = gofer_get_u32(&rd);
		if (s.btime_nsec >= 1000000000u)
			rd.bad = true;
		r = reply_end(c, &rd, NULL);
		if (r == 0)
			*out = s;
	}
	req_end(c);
	return r;
}
