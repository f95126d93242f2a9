/*
 * unix.c — AF_UNIX sockets, entirely inside the Sentry (Linux's
 * net/unix/af_unix.c): SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET,
 * socketpair, path-bound and abstract names, autobind, SCM_RIGHTS and
 * SCM_CREDENTIALS, SO_PEERCRED, the listen backlog, and the garbage
 * collection of sockets that only in-flight SCM_RIGHTS keep alive.
 *
 * Data: a socket's receive queue is a list of buffers (unix_skb), each
 * charged (its truesize) to the sending socket's send-buffer use `wmem`
 * until it is freed: a stream sender blocks while wmem >= SO_SNDBUF and is
 * woken when it falls to a quarter (Linux's sock_alloc_send_pskb and
 * unix_write_space); a datagram receiver not connected back to its sender
 * also holds at most max_dgram_qlen (10) datagrams.  A listening socket's
 * pending connections are "embryo" sockets on its accept queue, already
 * connected to the client; accept hands one out.
 *
 * Names: a path name is an S_IFSOCK node made through the VFS
 * (vfs_mknodat_path) on whatever file system holds the path (tmpfs, the
 * Gofer's root, bind mounts); the socket keeps the node's path, and is
 * found by the node's identity (the superblock's dev and the inode number)
 * in the table of bound sockets below, never through a pointer on a cached
 * inode.  Unlinking the node does not unbind the socket (Linux).  A node
 * nobody here bound (a stale file, a host socket inside a bind mount) is
 * ECONNREFUSED, and logged.  Abstract names (sun_path[0] == 0) and autobind
 * names ("\0" and five hex digits) live in a per-sandbox table, one
 * namespace per socket type as in Linux.
 *
 * Locks (sentry/LOCKING.md): unix_table_lock (UNIX_TABLE), then a socket's
 * lock (SOCKET); two sockets with socket_lock_pair.  Path walks and the
 * VFS's mknod/unlink run with no lock held.  Buffers, files and paths are
 * freed after every lock is dropped.
 *
 * In-flight SCM_RIGHTS: a unix socket whose only references are buffers in
 * flight (its own queue, or a cycle of such sockets) can never be received;
 * unix_gc finds them as Linux's unix_gc does (every reference to a candidate
 * accounted for by candidates' queues) and purges their queues, which
 * closes them.  It runs when a unix socket is released while files are in
 * flight.  Whatever it misses dies with the Sentry process.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>

#include "lib/log.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/socket.h"
#include "sentry/socket/unix.h"
#include "sentry/vfs/vfs.h"

#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515
#endif

#define UNIX_PATH_OFF offsetof(struct sockaddr_un, sun_path)
#define UNIX_MAX_DGRAM_QLEN 10  /* net.unix.max_dgram_qlen */
/* Linux's buffer sizes, so that the same writes fill a send buffer here
 * as there: a head of at most SKB_MAX_HEAD(0) bytes, the rest in pages. */
#define UNIX_SKB_HEAD_MAX 3776             /* SKB_MAX_HEAD(0) */
#define UNIX_SKB_MAX (32768 + UNIX_SKB_HEAD_MAX) /* one stream buffer at most */
#define UNIX_DGRAM_HEAD_MAX 16064          /* SKB_MAX_ALLOC */
#define UNIX_DGRAM_FRAGS_MAX (17 * 4096)   /* MAX_SKB_FRAGS pages */
#define UNIX_HASH 256

struct unix_addr {
	_Atomic int refs;
	int len;
	char name[sizeof(struct sockaddr_storage)];
};

struct unix_skb {
	struct unix_skb *next;
	struct unix_sock *from; /* the sender, with a reference: its address and wmem */
	size_t len, consumed, truesize;
	struct scm_files *fp;   /* SCM_RIGHTS, counted in flight */
	struct scm_creds creds;
	char data[];
};

/* A socket to wake when a datagram receiver's queue shrinks (Linux's
 * peer_wake relay): a sender that found it full while polling. */
struct unix_relay {
	struct unix_relay *next;
	struct unix_sock *who; /* with a reference */
};

struct unix_sock {
	struct socket s; /* first: a unix_sock is a socket */
	/* [s.lock] */
	struct unix_sock *peer;           /* with a reference */
	struct unix_skb *rq_head, *rq_tail; /* receive queue */
	int rq_count;
	struct unix_sock *acc_head, *acc_tail, *acc_next; /* accept queue (embryos) */
	int acc_count;
	int max_backlog;                  /* listen backlog, or the datagram queue limit */
	bool dead;                        /* released */
	struct unix_relay *relays;
	struct vfs_path path;             /* the node a path bind made (references) */
	/* set once under s.lock and unix_table_lock, read without a lock */
	struct unix_addr *_Atomic addr;
	/* under unix_table_lock */
	bool in_path_table, in_abstract_table;
	uint64_t node_dev, node_ino;
	struct unix_sock *hash_next, *all_next, *all_prev;
	bool gc_candidate, gc_alive;
	long gc_refs;
	/* no lock */
	struct waitq peer_wait;   /* senders and connectors waiting for room in our queues */
	_Atomic int64_t wmem;     /* truesize of our buffers not yet freed */
	_Atomic int inflight;     /* how many in-flight SCM_RIGHTS hold our file */
};

static struct unix_sock *U(struct socket *s)
{
	return (struct unix_sock *)s;
}

/* ---------------------------------------------------------------- tables */

/* UNIX_TABLE: every unix socket (for /proc/net/unix and the GC) and the
 * bound names, by node identity and by abstract name. */
static struct vmutex unix_table_lock = VMUTEX_INITIALIZER(LOCK_CLASS(UNIX_TABLE));
static struct unix_sock *all_socks;
static struct unix_sock *path_table[UNIX_HASH];
static struct unix_sock *abstract_table[UNIX_HASH];
static _Atomic long unix_total_inflight;

static unsigned int hash_bytes(const char *p, int len, int type)
{
	unsigned int h = 2166136261u ^ (unsigned int)type;
	for (int i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h % UNIX_HASH;
}

static unsigned int hash_node(uint64_t dev, uint64_t ino)
{
	return (unsigned int)((ino ^ (ino >> 16) ^ dev) % UNIX_HASH);
}

static void table_unlink(struct unix_sock **bucket, struct unix_sock *u)
{
	for (struct unix_sock **pp = bucket; *pp; pp = &(*pp)->hash_next) {
		if (*pp == u) {
			*pp = u->hash_next;
			u->hash_next = NULL;
			return;
		}
	}
}

/* Under unix_table_lock. */
static struct unix_sock *find_abstract_locked(const char *name, int len, int type)
{
	for (struct unix_sock *u = abstract_table[hash_bytes(name, len, type)]; u; u = u->hash_next) {
		struct unix_addr *a = u->addr;
		if (u->s.type == type && a->len == len && memcmp(a->name, name, len) == 0)
			return u;
	}
	return NULL;
}

static struct unix_sock *find_node_locked(uint64_t dev, uint64_t ino)
{
	for (struct unix_sock *u = path_table[hash_node(dev, ino)]; u; u = u->hash_next)
		if (u->node_dev == dev && u->node_ino == ino)
			return u;
	return NULL;
}

static void addr_put(struct unix_addr *a)
{
	if (a && atomic_fetch_sub(&a->refs, 1) == 1)
		free(a);
}

static struct unix_addr *addr_new(const void *name, int len)
{
	struct unix_addr *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	atomic_init(&a->refs, 1);
	a->len = len;
	memcpy(a->name, name, len);
	return a;
}

/* ---------------------------------------------------------------- buffers */

static void sock_wake_writer(struct unix_sock *u)
{
	/* As Linux's unix_write_space: writers go on once a quarter is free. */
	if ((atomic_load(&u->wmem) << 2) <= u->s.sndbuf)
		socket_notify(&u->s, POLLOUT | POLLWRNORM | POLLWRBAND);
}

/* Count fp's unix sockets in or out of flight (for the GC). */
static void fp_inflight(struct scm_files *fp, int delta)
{
	if (!fp)
		return;
	for (int i = 0; i < fp->count; i++) {
		struct socket *s = socket_from_file(fp->files[i]);
		if (s && s->family == AF_UNIX) {
			atomic_fetch_add(&U(s)->inflight, delta);
			atomic_fetch_add(&unix_total_inflight, delta);
		}
	}
}

static size_t page_align(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

/* What Linux charges for a buffer of `linear` head bytes and `paged` page
 * bytes: the sk_buff (256), the head's slab object (head + shared info,
 * rounded up to a kmalloc size) and the pages. */
static size_t skb_truesize(size_t linear, size_t paged)
{
	static const size_t slabs[] = {8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192};
	size_t head = ((linear + 63) & ~(size_t)63) + 320, obj = 0;
	for (size_t i = 0; i < sizeof(slabs) / sizeof(slabs[0]) && !obj; i++)
		if (head <= slabs[i])
			obj = slabs[i];
	if (!obj)
		for (obj = 16384; obj < head; obj <<= 1)
			;
	return 256 + obj + paged;
}

/* unix_stream_sendmsg's split of one buffer between head and pages. */
static size_t stream_truesize(size_t len)
{
	size_t data = len > UNIX_SKB_HEAD_MAX ? page_align(len - UNIX_SKB_HEAD_MAX) : 0;
	if (data > len)
		data = len;
	return skb_truesize(len - data, page_align(data));
}

/* unix_dgram_sendmsg's. */
static size_t dgram_truesize(size_t len)
{
	size_t data = 0;
	if (len > UNIX_DGRAM_HEAD_MAX) {
		data = len - UNIX_DGRAM_HEAD_MAX;
		if (data > UNIX_DGRAM_FRAGS_MAX)
			data = UNIX_DGRAM_FRAGS_MAX;
		data = page_align(data);
	}
	return skb_truesize(len - data, data);
}

/* Big stream buffers come and go at a high rate between two threads, and
 * malloc hands their memory back and forth to the host (trimming thread
 * arenas: madvise, page faults, TLB shootdowns).  A few full-size buffers
 * wait here for reuse instead; the slots are taken and filled with atomic
 * exchanges, no lock. */
#define SKB_CACHE_SLOTS 32
#define SKB_CACHE_MIN 16384 /* smaller buffers go to malloc */
static struct unix_skb *_Atomic skb_cache[SKB_CACHE_SLOTS];

static struct unix_skb *skb_alloc(size_t len)
{
	if (len < SKB_CACHE_MIN || len > UNIX_SKB_MAX)
		return malloc(sizeof(struct unix_skb) + len);
	for (int i = 0; i < SKB_CACHE_SLOTS; i++) {
		struct unix_skb *b = atomic_exchange(&skb_cache[i], NULL);
		if (b)
			return b;
	}
	return malloc(sizeof(struct unix_skb) + UNIX_SKB_MAX);
}

static void skb_release(struct unix_skb *b)
{
	if (b->len >= SKB_CACHE_MIN && b->len <= UNIX_SKB_MAX) {
		for (int i = 0; i < SKB_CACHE_SLOTS; i++) {
			struct unix_skb *expected = NULL;
			if (atomic_compare_exchange_strong(&skb_cache[i], &expected, b))
				return;
		}
	}
	free(b);
}

/* A buffer of len bytes charged to `from` (which it holds). */
static struct unix_skb *skb_new(struct unix_sock *from, size_t len)
{
	struct unix_skb *b = skb_alloc(len);
	if (!b)
		return NULL;
	memset(b, 0, sizeof(*b));
	b->len = len;
	b->truesize = from->s.type == SOCK_STREAM ? stream_truesize(len) : dgram_truesize(len);
	b->from = from;
	socket_get(&from->s);
	atomic_fetch_add(&from->wmem, (int64_t)b->truesize);
	return b;
}

/* Free a chain of buffers; no lock held (drops files and sockets). */
static void skb_free_list(struct unix_skb *b)
{
	while (b) {
		struct unix_skb *next = b->next;
		struct unix_sock *from = b->from;
		if (b->fp) {
			fp_inflight(b->fp, -1);
			scm_files_put(b->fp);
		}
		atomic_fetch_sub(&from->wmem, (int64_t)b->truesize);
		sock_wake_writer(from);
		skb_release(b);
		socket_put(&from->s);
		b = next;
	}
}

/* Attach the message's credentials and, when send_fds, its files. */
static void skb_attach_scm(struct unix_skb *b, struct scm *scm, bool send_fds)
{
	b->creds = scm->creds;
	if (send_fds && scm->fp) {
		b->fp = scm->fp;
		scm->fp = NULL;
		fp_inflight(b->fp, 1);
	}
}

/* Under u's lock. */
static void rq_append(struct unix_sock *u, struct unix_skb *b)
{
	b->next = NULL;
	if (u->rq_tail)
		u->rq_tail->next = b;
	else
		u->rq_head = b;
	u->rq_tail = b;
	u->rq_count++;
}

/* A pending connection onto a listener's accept queue; under its lock. */
static void acc_append(struct unix_sock *l, struct unix_sock *e)
{
	e->acc_next = NULL;
	if (l->acc_tail)
		l->acc_tail->acc_next = e;
	else
		l->acc_head = e;
	l->acc_tail = e;
	l->acc_count++;
}

static struct unix_skb *rq_pop(struct unix_sock *u)
{
	struct unix_skb *b = u->rq_head;
	if (!b)
		return NULL;
	u->rq_head = b->next;
	if (!u->rq_head)
		u->rq_tail = NULL;
	u->rq_count--;
	b->next = NULL;
	return b;
}

/* Take the whole receive queue (to free after unlocking). */
static struct unix_skb *rq_steal(struct unix_sock *u)
{
	struct unix_skb *b = u->rq_head;
	u->rq_head = u->rq_tail = NULL;
	u->rq_count = 0;
	return b;
}

/* Our queue shrank: wake blocked senders and connectors, and the pollers
 * that registered a relay.  No lock held. */
static void queue_shrank(struct unix_sock *u)
{
	waitq_notify(&u->peer_wait, POLLOUT | POLLWRNORM | POLLWRBAND);
	vmutex_lock(&u->s.lock);
	struct unix_relay *r = u->relays;
	u->relays = NULL;
	vmutex_unlock(&u->s.lock);
	while (r) {
		struct unix_relay *next = r->next;
		socket_notify(&r->who->s, POLLOUT | POLLWRNORM | POLLWRBAND);
		socket_put(&r->who->s);
		free(r);
		r = next;
	}
}

/* ---------------------------------------------------------------- create */

static const struct socket_ops unix_stream_ops, unix_dgram_ops, unix_seqpacket_ops;

static struct unix_sock *unix_alloc(struct task *t, int type)
{
	struct unix_sock *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	const struct socket_ops *ops = type == SOCK_STREAM  ? &unix_stream_ops
				       : type == SOCK_DGRAM ? &unix_dgram_ops
							    : &unix_seqpacket_ops;
	socket_init(&u->s, t, AF_UNIX, type, 0, ops);
	waitq_init(&u->peer_wait);
	u->max_backlog = UNIX_MAX_DGRAM_QLEN;
	vmutex_lock(&unix_table_lock);
	u->all_next = all_socks;
	if (all_socks)
		all_socks->all_prev = u;
	all_socks = u;
	vmutex_unlock(&unix_table_lock);
	return u;
}

static int unix_create(struct task *t, int type, int protocol, struct socket **out)
{
	if (protocol && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	if (type == SOCK_RAW)
		type = SOCK_DGRAM; /* as Linux: BSD has AF_UNIX SOCK_RAW */
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	struct unix_sock *u = unix_alloc(t, type);
	if (!u)
		return -ENOMEM;
	*out = &u->s;
	return 0;
}

static void set_peercred(struct unix_sock *u, struct task *t)
{
	socket_task_creds(t, NULL, &u->s.peercred);
	u->s.has_peercred = true;
}

static int unix_socketpair(struct task *t, struct socket *a, struct socket *b)
{
	struct unix_sock *ua = U(a), *ub = U(b);
	socket_lock_pair(a, b);
	socket_get(a);
	socket_get(b);
	ua->peer = ub;
	ub->peer = ua;
	set_peercred(ua, t);
	set_peercred(ub, t);
	a->state = b->state = SOCK_STATE_ESTABLISHED;
	socket_unlock_pair(a, b);
	return 0;
}

static void unix_destroy(struct socket *s)
{
	struct unix_sock *u = U(s);
	/* Normally released already; a socket that never had a file (a
	 * failed accept, a test) lets go of what it holds here. */
	struct unix_skb *q = rq_steal(u);
	if (u->peer)
		socket_put(&u->peer->s);
	while (u->relays) {
		struct unix_relay *r = u->relays;
		u->relays = r->next;
		socket_put(&r->who->s);
		free(r);
	}
	skb_free_list(q);
	path_put(&u->path);
	addr_put(u->addr);
	waitq_destroy(&u->peer_wait);
	free(u);
}

/* ---------------------------------------------------------------- release */

static void unix_gc(void);

static void table_remove(struct unix_sock *u)
{
	vmutex_lock(&unix_table_lock);
	if (u->in_path_table) {
		table_unlink(&path_table[hash_node(u->node_dev, u->node_ino)], u);
		u->in_path_table = false;
	}
	if (u->in_abstract_table) {
		struct unix_addr *a = u->addr;
		table_unlink(&abstract_table[hash_bytes(a->name, a->len, u->s.type)], u);
		u->in_abstract_table = false;
	}
	if (u->all_prev)
		u->all_prev->all_next = u->all_next;
	else if (all_socks == u)
		all_socks = u->all_next;
	if (u->all_next)
		u->all_next->all_prev = u->all_prev;
	u->all_next = u->all_prev = NULL;
	vmutex_unlock(&unix_table_lock);
}

/* Linux's unix_release_sock: the socket is closed (or, embryo, its listener
 * went before accepting it).  No lock held. */
static void unix_release_sock(struct unix_sock *u, bool embryo)
{
	table_remove(u);
	vmutex_lock(&u->s.lock);
	u->dead = true;
	u->s.shutdown = SOCK_SHUTDOWN_MASK;
	struct vfs_path path = u->path;
	u->path = (struct vfs_path){0};
	int state = u->s.state;
	u->s.state = SOCK_STATE_CLOSE;
	struct unix_sock *peer = u->peer;
	u->peer = NULL;
	bool unread = u->rq_head != NULL;
	struct unix_skb *q = rq_steal(u);
	struct unix_sock *acc = u->acc_head;
	u->acc_head = u->acc_tail = NULL;
	u->acc_count = 0;
	struct unix_relay *relays = u->relays;
	u->relays = NULL;
	vmutex_unlock(&u->s.lock);

	waitq_notify(&u->peer_wait, ~0u);
	socket_notify(&u->s, ~0u);
	if (peer) {
		if (u->s.type != SOCK_DGRAM) {
			/* No more writes; unread data or a lost embryo resets the peer. */
			vmutex_lock(&peer->s.lock);
			peer->s.shutdown = SOCK_SHUTDOWN_MASK;
			if (unread || embryo)
				peer->s.err = ECONNRESET;
			vmutex_unlock(&peer->s.lock);
			socket_notify(&peer->s, ~0u);
		}
		socket_put(&peer->s);
	}
	while (relays) {
		struct unix_relay *r = relays;
		relays = r->next;
		socket_put(&r->who->s);
		free(r);
	}
	skb_free_list(q);
	(void)state;
	while (acc) {
		struct unix_sock *e = acc;
		acc = e->acc_next;
		e->acc_next = NULL;
		unix_release_sock(e, true);
		socket_put(&e->s);
	}
	path_put(&path);
	if (atomic_load(&unix_total_inflight) > 0)
		unix_gc();
}

static void unix_release(struct socket *s)
{
	unix_release_sock(U(s), false);
}

/* ---------------------------------------------------------------- names */

/* As Linux's unix_validate_addr. */
static int validate_addr(const struct sockaddr_storage *a, int len)
{
	if (len <= (int)UNIX_PATH_OFF || len > (int)sizeof(struct sockaddr_un))
		return -EINVAL;
	if (a->ss_family != AF_UNIX)
		return -EINVAL;
	return 0;
}

/* The path of a path address, NUL-terminated, and its address length
 * (Linux's unix_mkname_bsd: strlen + the family + the NUL). */
static int mkname_path(const struct sockaddr_storage *a, int len, char *path)
{
	size_t n = len - UNIX_PATH_OFF;
	memcpy(path, (const char *)a + UNIX_PATH_OFF, n);
	path[n] = 0;
	return (int)(strlen(path) + UNIX_PATH_OFF + 1);
}

static int unix_autobind(struct unix_sock *u)
{
	static _Atomic unsigned int seed;
	unsigned int start = (unsigned int)(time(NULL) ^ (uintptr_t)u ^ atomic_fetch_add(&seed, 7919));
	start &= 0xFFFFF;
	char name[UNIX_PATH_OFF + 16];
	memset(name, 0, sizeof(name));
	sa_family_t fam = AF_UNIX;
	memcpy(name, &fam, sizeof(fam));
	int len = UNIX_PATH_OFF + 6;
	int r = 0;
	vmutex_lock(&unix_table_lock);
	vmutex_lock(&u->s.lock);
	if (u->addr)
		goto out;
	unsigned int n = start;
	for (;;) {
		n = (n + 1) & 0xFFFFF;
		char hex[8];
		snprintf(hex, sizeof(hex), "%05x", n);
		memcpy(name + UNIX_PATH_OFF + 1, hex, 5);
		if (!find_abstract_locked(name, len, u->s.type))
			break;
		if (n == start) {
			r = -ENOSPC;
			goto out;
		}
	}
	struct unix_addr *a = addr_new(name, len);
	if (!a) {
		r = -ENOMEM;
		goto out;
	}
	u->addr = a;
	unsigned int h = hash_bytes(a->name, a->len, u->s.type);
	u->hash_next = abstract_table[h];
	abstract_table[h] = u;
	u->in_abstract_table = true;
out:
	vmutex_unlock(&u->s.lock);
	vmutex_unlock(&unix_table_lock);
	return r;
}

static int bind_abstract(struct unix_sock *u, const struct sockaddr_storage *sa, int len)
{
	struct unix_addr *a = addr_new(sa, len);
	if (!a)
		return -ENOMEM;
	int r = 0;
	vmutex_lock(&unix_table_lock);
	vmutex_lock(&u->s.lock);
	if (u->addr)
		r = -EINVAL;
	else if (find_abstract_locked(a->name, len, u->s.type))
		r = -EADDRINUSE;
	if (r == 0) {
		u->addr = a;
		unsigned int h = hash_bytes(a->name, a->len, u->s.type);
		u->hash_next = abstract_table[h];
		abstract_table[h] = u;
		u->in_abstract_table = true;
	}
	vmutex_unlock(&u->s.lock);
	vmutex_unlock(&unix_table_lock);
	if (r < 0)
		free(a);
	return r;
}

/* Linux's unix_bind_bsd: make the node first (EEXIST is EADDRINUSE), then
 * bind; a socket already bound unlinks the node again and is EINVAL. */
static int bind_path(struct task *t, struct unix_sock *u, const struct sockaddr_storage *sa,
		     int len)
{
	char path[sizeof(struct sockaddr_storage) + 1];
	int alen = mkname_path(sa, len, path);
	struct unix_addr *a = addr_new(sa, alen);
	if (!a)
		return -ENOMEM;
	memcpy(a->name + UNIX_PATH_OFF, path, alen - UNIX_PATH_OFF);
	struct vfs_path node = {0};
	int r = vfs_mknodat_path(t, AT_FDCWD, path, S_IFSOCK | 0777, 0, &node);
	if (r < 0) {
		free(a);
		return r == -EEXIST ? -EADDRINUSE : r;
	}
	struct inode *ino = node.dentry->inode;
	vmutex_lock(&unix_table_lock);
	vmutex_lock(&u->s.lock);
	if (u->addr) {
		r = -EINVAL;
	} else {
		u->addr = a;
		u->path = node;
		node = (struct vfs_path){0};
		u->node_dev = ino->sb->dev;
		u->node_ino = ino->ino;
		unsigned int h = hash_node(u->node_dev, u->node_ino);
		u->hash_next = path_table[h];
		path_table[h] = u;
		u->in_path_table = true;
	}
	vmutex_unlock(&u->s.lock);
	vmutex_unlock(&unix_table_lock);
	if (r < 0) {
		path_put(&node);
		vfs_unlinkat(t, AT_FDCWD, path);
		free(a);
	}
	return r;
}

static int unix_bind(struct task *t, struct socket *s, const struct sockaddr_storage *sa, int len)
{
	struct unix_sock *u = U(s);
	if (len == (int)UNIX_PATH_OFF && sa->ss_family == AF_UNIX)
		return unix_autobind(u);
	int r = validate_addr(sa, len);
	if (r < 0)
		return r;
	if (((const char *)sa)[UNIX_PATH_OFF])
		return bind_path(t, u, sa, len);
	return bind_abstract(u, sa, len);
}

/* Log a connect to a socket node nobody in the sandbox bound: a stale
 * file, or a host socket inside a bind mount (docker.sock), which the
 * sandbox never reaches. */
static void log_unbound_node(const char *path, struct inode *ino)
{
	static _Atomic int logged;
	if (atomic_fetch_add(&logged, 1) < 16)
		log_warn("unix connect to %s (%s): no socket of the sandbox is bound there "
			 "(a stale file or a host socket, which the sandbox cannot reach): ECONNREFUSED",
			 path, ino->sb && ino->sb->fstype ? ino->sb->fstype : "?");
}

/* Linux's unix_find_other: the socket an address names, with a reference. */
static int find_other(struct task *t, const struct sockaddr_storage *sa, int len, int type,
		      struct unix_sock **out)
{
	const char *name = (const char *)sa;
	if (!name[UNIX_PATH_OFF]) {
		vmutex_lock(&unix_table_lock);
		struct unix_sock *u = find_abstract_locked(name, len, type);
		if (u)
			socket_get(&u->s);
		vmutex_unlock(&unix_table_lock);
		if (!u)
			return -ECONNREFUSED;
		*out = u;
		return 0;
	}
	char path[sizeof(struct sockaddr_storage) + 1];
	mkname_path(sa, len, path);
	struct vfs_path p;
	int r = vfs_walk(t, AT_FDCWD, path, VFS_LOOKUP_FOLLOW, &p);
	if (r < 0)
		return r;
	struct inode *ino = p.dentry->inode;
	r = vfs_permission(vfs_task_creds(t), ino, VFS_MAY_WRITE);
	struct unix_sock *u = NULL;
	if (r == 0 && !S_ISSOCK(ino->mode))
		r = -ECONNREFUSED;
	if (r == 0) {
		vmutex_lock(&unix_table_lock);
		u = find_node_locked(ino->sb->dev, ino->ino);
		if (u)
			socket_get(&u->s);
		vmutex_unlock(&unix_table_lock);
		if (!u) {
			log_unbound_node(path, ino);
			r = -ECONNREFUSED;
		} else if (u->s.type != type) {
			r = -EPROTOTYPE;
		}
	}
	path_put(&p);
	if (r < 0) {
		if (u)
			socket_put(&u->s);
		return r;
	}
	*out = u;
	return 0;
}

static int unix_getname(struct socket *s, struct sockaddr_storage *out, int peer)
{
	struct unix_sock *u = U(s), *o = u;
	vmutex_lock(&s->lock);
	if (peer) {
		o = u->peer;
		if (!o) {
			vmutex_unlock(&s->lock);
			return -ENOTCONN;
		}
	}
	struct unix_addr *a = o->addr;
	int len;
	if (a) {
		len = a->len;
		memcpy(out, a->name, len);
	} else {
		memset(out, 0, sizeof(*out));
		out->ss_family = AF_UNIX;
		len = UNIX_PATH_OFF;
	}
	vmutex_unlock(&s->lock);
	return len;
}

/* The sender's address for recvfrom/recvmsg (nothing when it has none). */
static void copy_addr(struct sock_msg *m, struct unix_sock *from)
{
	struct unix_addr *a = from->addr;
	if (!m->want_name || !a)
		return;
	memcpy(&m->name, a->name, a->len);
	m->namelen = a->len;
}

/* ---------------------------------------------------------------- connect */

static int unix_listen(struct task *t, struct socket *s, int backlog)
{
	struct unix_sock *u = U(s);
	if (s->type != SOCK_STREAM && s->type != SOCK_SEQPACKET)
		return -EOPNOTSUPP;
	if (!u->addr)
		return -EINVAL;
	vmutex_lock(&s->lock);
	if (s->state != SOCK_STATE_CLOSE && s->state != SOCK_STATE_LISTEN) {
		vmutex_unlock(&s->lock);
		return -EINVAL;
	}
	bool grew = backlog > u->max_backlog;
	u->max_backlog = backlog;
	s->state = SOCK_STATE_LISTEN;
	set_peercred(u, t); /* what connecting sockets see as their peer's */
	vmutex_unlock(&s->lock);
	if (grew)
		waitq_notify(&u->peer_wait, ~0u);
	return 0;
}

/* Linux's unix_stream_connect (also SOCK_SEQPACKET). */
static int unix_stream_connect(struct task *t, struct socket *s, const struct sockaddr_storage *sa,
			       int len, int fflags)
{
	struct unix_sock *u = U(s);
	int r = validate_addr(sa, len);
	if (r < 0)
		return r;
	vmutex_lock(&s->lock);
	bool need_bind = s->passcred && !u->addr;
	struct sock_timeo to;
	socket_timeo(s, true, fflags & O_NONBLOCK, &to);
	vmutex_unlock(&s->lock);
	if (need_bind && (r = unix_autobind(u)) < 0)
		return r;
	struct unix_sock *embryo = unix_alloc(t, s->type);
	if (!embryo)
		return -ENOMEM;
	struct unix_sock *other = NULL;
	for (;;) {
		r = find_other(t, sa, len, s->type, &other);
		if (r < 0)
			break;
		socket_lock_pair(s, &other->s);
		if (other->dead) {
			socket_unlock_pair(s, &other->s);
			socket_put(&other->s);
			other = NULL;
			continue;
		}
		if (other->s.state != SOCK_STATE_LISTEN || (other->s.shutdown & SOCK_RCV_SHUTDOWN)) {
			r = -ECONNREFUSED;
			goto unlock;
		}
		if (other->acc_count > other->max_backlog) {
			/* The backlog is full: wait for an accept (or EAGAIN). */
			if (other != u)
				vmutex_unlock(&s->lock);
			r = socket_wait(t, &other->s, &other->peer_wait, POLLOUT | POLLWRNORM, &to);
			vmutex_unlock(&other->s.lock);
			socket_put(&other->s);
			other = NULL;
			if (r < 0)
				break;
			continue;
		}
		if (s->state != SOCK_STATE_CLOSE) {
			r = s->state == SOCK_STATE_ESTABLISHED ? -EISCONN : -EINVAL;
			goto unlock;
		}
		/* The embryo is the server's end: connected to us, with the
		 * listener's address and our credentials. */
		socket_get(s);
		embryo->peer = u;
		embryo->s.state = SOCK_STATE_ESTABLISHED;
		set_peercred(embryo, t);
		struct unix_addr *la = other->addr;
		atomic_fetch_add(&la->refs, 1);
		embryo->addr = la;
		if (other->path.mnt) {
			embryo->path = other->path;
			path_get(&embryo->path);
		}
		s->peercred = other->s.peercred;
		s->has_peercred = other->s.has_peercred;
		s->state = SOCK_STATE_ESTABLISHED;
		socket_get(&embryo->s);
		u->peer = embryo;
		acc_append(other, embryo); /* the queue takes our reference */
		embryo = NULL;
		socket_unlock_pair(s, &other->s);
		socket_notify(&other->s, POLLIN | POLLRDNORM);
		socket_put(&other->s);
		return 0;
	unlock:
		socket_unlock_pair(s, &other->s);
		socket_put(&other->s);
		break;
	}
	if (embryo) {
		unix_release_sock(embryo, false);
		socket_put(&embryo->s);
	}
	return r;
}

static int unix_accept(struct task *t, struct socket *s, int fflags, struct socket **out)
{
	struct unix_sock *u = U(s);
	if (s->type != SOCK_STREAM && s->type != SOCK_SEQPACKET)
		return -EOPNOTSUPP;
	vmutex_lock(&s->lock);
	if (s->state != SOCK_STATE_LISTEN) {
		vmutex_unlock(&s->lock);
		return -EINVAL;
	}
	struct sock_timeo to;
	socket_timeo(s, false, fflags & O_NONBLOCK, &to);
	int r = 0;
	for (;;) {
		if ((r = socket_take_error(s)) < 0)
			break;
		struct unix_sock *e = u->acc_head;
		if (e) {
			u->acc_head = e->acc_next;
			if (!u->acc_head)
				u->acc_tail = NULL;
			u->acc_count--;
			e->acc_next = NULL;
			bool passcred = s->passcred;
			vmutex_unlock(&s->lock);
			queue_shrank(u);
			vmutex_lock(&e->s.lock);
			e->s.passcred = passcred; /* as Linux's unix_sock_inherit_flags */
			vmutex_unlock(&e->s.lock);
			*out = &e->s;
			return 0;
		}
		if (s->shutdown & SOCK_RCV_SHUTDOWN) {
			r = -EINVAL;
			break;
		}
		r = socket_wait(t, s, &s->wq, POLLIN | POLLRDNORM | POLLERR | POLLHUP, &to);
		if (r < 0)
			break;
	}
	vmutex_unlock(&s->lock);
	return r;
}

static bool recvq_full(struct unix_sock *o)
{
	return o->rq_count > o->max_backlog;
}

/* Linux's unix_dgram_connect: connect, reconnect, or AF_UNSPEC to
 * disconnect; a datagram socket leaving a peer drops the datagrams it had
 * from it (and resets that peer if it was connected back). */
static int unix_dgram_connect(struct task *t, struct socket *s, const struct sockaddr_storage *sa,
			      int len, int fflags)
{
	struct unix_sock *u = U(s);
	if (len < (int)sizeof(sa_family_t))
		return -EINVAL;
	struct unix_sock *other = NULL;
	int r;
	if (sa->ss_family != AF_UNSPEC) {
		if ((r = validate_addr(sa, len)) < 0)
			return r;
		vmutex_lock(&s->lock);
		bool need_bind = s->passcred && !u->addr;
		vmutex_unlock(&s->lock);
		if (need_bind && (r = unix_autobind(u)) < 0)
			return r;
		for (;;) {
			if ((r = find_other(t, sa, len, s->type, &other)) < 0)
				return r;
			socket_lock_pair(s, &other->s);
			if (!other->dead)
				break;
			socket_unlock_pair(s, &other->s);
			socket_put(&other->s);
		}
		if (other->peer && other->peer != u) {
			socket_unlock_pair(s, &other->s);
			socket_put(&other->s);
			return -EPERM;
		}
		s->state = SOCK_STATE_ESTABLISHED;
		other->s.state = SOCK_STATE_ESTABLISHED;
	} else {
		vmutex_lock(&s->lock);
	}
	struct unix_sock *old = u->peer;
	u->peer = other; /* takes find_other's reference */
	if (!other)
		s->state = SOCK_STATE_CLOSE;
	socket_unlock_pair(s, other ? &other->s : NULL);
	if (old && old != other) {
		/* Linux's unix_dgram_disconnected. */
		vmutex_lock(&s->lock);
		struct unix_skb *q = rq_steal(u);
		vmutex_unlock(&s->lock);
		if (q) {
			queue_shrank(u);
			vmutex_lock(&old->s.lock);
			bool reset = !old->dead && old->peer == u;
			if (reset)
				old->s.err = ECONNRESET;
			if (!old->peer)
				old->s.state = SOCK_STATE_CLOSE;
			vmutex_unlock(&old->s.lock);
			if (reset)
				socket_notify(&old->s, POLLERR);
		} else {
			vmutex_lock(&old->s.lock);
			if (!old->peer)
				old->s.state = SOCK_STATE_CLOSE;
			vmutex_unlock(&old->s.lock);
		}
		skb_free_list(q);
	}
	if (old)
		socket_put(&old->s);
	socket_notify(s, POLLOUT | POLLWRNORM | POLLWRBAND);
	return 0;
}

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
		struct unix_skb *b = skb_new(u, size);
		if (!b) {
			r = -ENOMEM;
			break;
		}
		if (sock_iter_copy_from(&m->data, b->data, size) < 0) {
			skb_free_list(b);
			r = -EFAULT;
			break;
		}
		skb_attach_scm(b, scm, !fds_sent); /* the files go with the first buffer */
		fds_sent = true;
		vmutex_lock(&other->s.lock);
		if (other->dead || (other->s.shutdown & SOCK_RCV_SHUTDOWN)) {
			vmutex_unlock(&other->s.lock);
			skb_free_list(b);
			if (!sent && !(flags & MSG_NOSIGNAL))
				socket_sigpipe(t);
			r = -EPIPE;
			break;
		}
		rq_append(other, b);
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
static bool peer_wake_me(struct unix_sock *u, struct unix_sock *other)
{
	if (!recvq_full(other) || other->dead)
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
		if ((r = validate_addr(&m->name, m->namelen)) < 0)
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
	b = skb_new(u, len);
	if (!b) {
		r = -ENOMEM;
		goto out;
	}
	if (sock_iter_copy_from(&m->data, b->data, len) < 0) {
		r = -EFAULT;
		goto out;
	}
	skb_attach_scm(b, scm, true);
	for (;;) {
		if (!other) {
			if (!named) {
				r = -ECONNRESET;
				goto out;
			}
			if ((r = find_other(t, &m->name, m->namelen, s->type, &other)) < 0) {
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
				struct unix_skb *q = rq_steal(u);
				vmutex_unlock(&s->lock);
				socket_put(&other->s); /* the peer reference */
				skb_free_list(q);
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
		if (other != u && other->peer != u && recvq_full(other)) {
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
			bool still_full = u->peer != other || peer_wake_me(u, other);
			socket_unlock_pair(s, &other->s);
			if (still_full) {
				r = -EAGAIN;
				goto out;
			}
			continue;
		}
		rq_append(other, b);
		b = NULL;
		vmutex_unlock(&other->s.lock);
		socket_notify(&other->s, POLLIN | POLLRDNORM);
		r = (int)len;
		break;
	}
out:
	if (other)
		socket_put(&other->s);
	skb_free_list(b);
	return r < 0 ? r : (ssize_t)len;
}

/* Every type's sendmsg: the control data first (Linux's scm_send), then
 * the type's own. */
static ssize_t unix_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
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
static ssize_t unix_dgram_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
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
		rq_pop(u);
	m->rscm.creds = b->creds;
	m->rscm.has_creds = true;
	if (b->fp) {
		if (peek) {
			m->rscm.fp = scm_files_dup(b->fp);
		} else {
			fp_inflight(b->fp, -1);
			m->rscm.fp = b->fp;
			b->fp = NULL;
		}
	}
	copy_addr(m, b->from);
	size_t n = size < b->len ? size : b->len;
	if (size < b->len)
		m->msg_flags |= MSG_TRUNC;
	/* A peeked buffer stays queued: copy it under the lock. */
	if (peek) {
		r = sock_iter_copy_to(&m->data, b->data, n) < 0 ? -EFAULT : 0;
		vmutex_unlock(&s->lock);
	} else {
		vmutex_unlock(&s->lock);
		queue_shrank(u);
		r = sock_iter_copy_to(&m->data, b->data, n) < 0 ? -EFAULT : 0;
	}
	ssize_t ret = r < 0 ? r : (flags & MSG_TRUNC) ? (ssize_t)b->len : (ssize_t)n;
	if (!peek)
		skb_free_list(b);
	if (r < 0)
		scm_destroy(&m->rscm);
	return ret;
unlock:
	vmutex_unlock(&s->lock);
	return r;
}

static ssize_t unix_seqpacket_recvmsg(struct task *t, struct socket *s, struct sock_msg *m,
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
static ssize_t unix_stream_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags)
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
			copy_addr(m, b->from);
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
				fp_inflight(b->fp, -1);
				m->rscm.fp = b->fp;
				b->fp = NULL;
			}
			if (b->consumed < b->len)
				break;
			rq_pop(u);
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
		queue_shrank(u);
		skb_free_list(freed);
	}
	return copied ? (ssize_t)copied : err;
}

/* ---------------------------------------------------------------- the rest */

static int unix_shutdown(struct task *t, struct socket *s, int how)
{
	struct unix_sock *u = U(s);
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	int mode = how + 1;
	vmutex_lock(&s->lock);
	s->shutdown |= mode;
	struct unix_sock *other = u->peer;
	if (other)
		socket_get(&other->s);
	vmutex_unlock(&s->lock);
	socket_notify(s, ~0u);
	if (other && s->type != SOCK_DGRAM) {
		int peer_mode = 0;
		if (mode & SOCK_RCV_SHUTDOWN)
			peer_mode |= SOCK_SEND_SHUTDOWN;
		if (mode & SOCK_SEND_SHUTDOWN)
			peer_mode |= SOCK_RCV_SHUTDOWN;
		vmutex_lock(&other->s.lock);
		other->s.shutdown |= peer_mode;
		vmutex_unlock(&other->s.lock);
		socket_notify(&other->s, ~0u);
	}
	if (other)
		socket_put(&other->s);
	return 0;
}

static int64_t unix_ioctl(struct task *t, struct socket *s, unsigned int cmd, uint64_t arg)
{
	struct unix_sock *u = U(s);
	int v = 0;
	switch (cmd) {
	case SIOCOUTQ:
		v = (int)atomic_load(&u->wmem);
		break;
	case SIOCINQ:
		vmutex_lock(&s->lock);
		if (s->state == SOCK_STATE_LISTEN) {
			vmutex_unlock(&s->lock);
			return -EINVAL;
		}
		if (s->type == SOCK_DGRAM) {
			v = u->rq_head ? (int)u->rq_head->len : 0;
		} else {
			for (struct unix_skb *b = u->rq_head; b; b = b->next)
				v += (int)(b->len - b->consumed);
		}
		vmutex_unlock(&s->lock);
		break;
	default:
		return -ENOIOCTLCMD;
	}
	return task_copy_out(t, arg, &v, sizeof(v));
}

static bool writable(struct unix_sock *u)
{
	return u->s.state != SOCK_STATE_LISTEN && (atomic_load(&u->wmem) << 2) <= u->s.sndbuf;
}

/* Linux's unix_poll. */
static uint32_t unix_stream_readiness(struct socket *s, bool want_out)
{
	struct unix_sock *u = U(s);
	uint32_t m = 0;
	vmutex_lock(&s->lock);
	if (s->err)
		m |= POLLERR;
	if (s->shutdown == SOCK_SHUTDOWN_MASK)
		m |= POLLHUP;
	if (s->shutdown & SOCK_RCV_SHUTDOWN)
		m |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->rq_head || u->acc_head)
		m |= POLLIN | POLLRDNORM;
	if (s->state == SOCK_STATE_CLOSE)
		m |= POLLHUP;
	if (writable(u))
		m |= POLLOUT | POLLWRNORM | POLLWRBAND;
	vmutex_unlock(&s->lock);
	return m;
}

/* Linux's unix_dgram_poll (also SOCK_SEQPACKET). */
static uint32_t unix_dgram_readiness(struct socket *s, bool want_out)
{
	struct unix_sock *u = U(s);
	uint32_t m = 0;
	vmutex_lock(&s->lock);
	if (s->err)
		m |= POLLERR;
	if (s->shutdown & SOCK_RCV_SHUTDOWN)
		m |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (s->shutdown == SOCK_SHUTDOWN_MASK)
		m |= POLLHUP;
	if (u->rq_head || u->acc_head)
		m |= POLLIN | POLLRDNORM;
	if (s->type == SOCK_SEQPACKET && s->state == SOCK_STATE_CLOSE)
		m |= POLLHUP;
	bool w = want_out && writable(u);
	struct unix_sock *other = w ? u->peer : NULL;
	if (other)
		socket_get(&other->s);
	vmutex_unlock(&s->lock);
	if (!want_out)
		return m;
	if (other) {
		/* Connected to a full receiver that is not connected back: not
		 * writable until it drains (and then we are woken). */
		socket_lock_pair(s, &other->s);
		if (u->peer == other && other->peer != u && recvq_full(other) &&
		    peer_wake_me(u, other))
			w = false;
		socket_unlock_pair(s, &other->s);
		socket_put(&other->s);
	}
	if (w)
		m |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return m;
}

/* What every type shares. */
#define UNIX_COMMON_OPS                                                                            \
	.bind = unix_bind, .sendmsg = unix_sendmsg, .shutdown = unix_shutdown, .ioctl = unix_ioctl,  \
	.getname = unix_getname, .release = unix_release, .destroy = unix_destroy

static const struct socket_ops unix_stream_ops = {
	UNIX_COMMON_OPS,
	.connect = unix_stream_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.recvmsg = unix_stream_recvmsg,
	.readiness = unix_stream_readiness,
};

static const struct socket_ops unix_dgram_ops = {
	UNIX_COMMON_OPS,
	.connect = unix_dgram_connect,
	.recvmsg = unix_dgram_recvmsg,
	.readiness = unix_dgram_readiness,
};

static const struct socket_ops unix_seqpacket_ops = {
	UNIX_COMMON_OPS,
	.connect = unix_stream_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.recvmsg = unix_seqpacket_recvmsg,
	.readiness = unix_dgram_readiness,
};

static const struct socket_family unix_family = {
	.family = AF_UNIX,
	.create = unix_create,
	.socketpair = unix_socketpair,
};

int unix_register(void)
{
	return socket_register_family(&unix_family);
}

/* ---------------------------------------------------------------- GC */

static struct unix_sock *unix_of_file(struct file *f)
{
	struct socket *s = socket_from_file(f);
	return s && s->family == AF_UNIX ? U(s) : NULL;
}

static void skb_list_children(struct unix_skb *b, void (*fn)(struct unix_sock *v, void *arg),
			      void *arg)
{
	for (; b; b = b->next)
		for (int i = 0; b->fp && i < b->fp->count; i++) {
			struct unix_sock *v = unix_of_file(b->fp->files[i]);
			if (v)
				fn(v, arg);
		}
}

/* Call fn on every unix socket whose file sits in u's queues: its own and,
 * for a listener, its embryos' (a listener's lock before its embryos', see
 * LOCKING.md).  Under unix_table_lock. */
static void for_each_inflight_child(struct unix_sock *u, void (*fn)(struct unix_sock *v, void *arg),
				    void *arg)
{
	vmutex_lock_nested(&u->s.lock, 0);
	skb_list_children(u->rq_head, fn, arg);
	for (struct unix_sock *e = u->acc_head; e; e = e->acc_next) {
		vmutex_lock_nested(&e->s.lock, 1);
		skb_list_children(e->rq_head, fn, arg);
		vmutex_unlock(&e->s.lock);
	}
	vmutex_unlock(&u->s.lock);
}

/* Move a queue onto the purge list. */
static void purge_add(struct unix_skb **purge, struct unix_skb *q)
{
	while (q) {
		struct unix_skb *next = q->next;
		q->next = *purge;
		*purge = q;
		q = next;
	}
}

static void gc_dec_ref(struct unix_sock *v, void *arg)
{
	if (v->gc_candidate)
		v->gc_refs--;
}

struct gc_stack {
	struct unix_sock **items;
	size_t n, cap;
};

static void gc_mark_alive(struct unix_sock *v, void *arg)
{
	struct gc_stack *st = arg;
	if (!v->gc_candidate || v->gc_alive)
		return;
	v->gc_alive = true;
	if (st->n == st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 64;
		struct unix_sock **n = realloc(st->items, cap * sizeof(*n));
		if (!n)
			return; /* alive anyway; its children are left as they are */
		st->items = n;
		st->cap = cap;
	}
	st->items[st->n++] = v;
}

static _Atomic int gc_running, gc_again;

/* Linux's unix_gc: candidates are sockets whose every file reference is a
 * buffer in flight; those referenced from outside the candidates' queues
 * (and what they reach) live; the rest are garbage, their queues purged. */
static void unix_gc_once(void)
{
	struct unix_skb *purge = NULL;
	struct gc_stack st = {0};
	vmutex_lock(&unix_table_lock);
	for (struct unix_sock *u = all_socks; u; u = u->all_next) {
		u->gc_candidate = u->gc_alive = false;
		int inflight = atomic_load(&u->inflight);
		if (inflight <= 0)
			continue;
		vmutex_lock(&u->s.lock);
		struct file *f = u->s.file;
		if (f && !u->dead && atomic_load(&f->refs) == inflight) {
			u->gc_candidate = true;
			u->gc_refs = inflight;
		}
		vmutex_unlock(&u->s.lock);
	}
	for (struct unix_sock *u = all_socks; u; u = u->all_next)
		if (u->gc_candidate)
			for_each_inflight_child(u, gc_dec_ref, NULL);
	for (struct unix_sock *u = all_socks; u; u = u->all_next)
		if (u->gc_candidate && u->gc_refs > 0)
			gc_mark_alive(u, &st);
	while (st.n > 0) {
		struct unix_sock *u = st.items[--st.n];
		for_each_inflight_child(u, gc_mark_alive, &st);
	}
	for (struct unix_sock *u = all_socks; u; u = u->all_next) {
		if (!u->gc_candidate || u->gc_alive)
			continue;
		vmutex_lock_nested(&u->s.lock, 0);
		purge_add(&purge, rq_steal(u));
		for (struct unix_sock *e = u->acc_head; e; e = e->acc_next) {
			vmutex_lock_nested(&e->s.lock, 1);
			purge_add(&purge, rq_steal(e));
			vmutex_unlock(&e->s.lock);
		}
		vmutex_unlock(&u->s.lock);
	}
	vmutex_unlock(&unix_table_lock);
	free(st.items);
	skb_free_list(purge); /* closes the garbage */
}

static void unix_gc(void)
{
	atomic_store(&gc_again, 1);
	if (atomic_exchange(&gc_running, 1))
		return; /* the running collection will look again */
	while (atomic_exchange(&gc_again, 0))
		unix_gc_once();
	atomic_store(&gc_running, 0);
}

long unix_inflight_count(void)
{
	return atomic_load(&unix_total_inflight);
}

/* ---------------------------------------------------------------- /proc/net/unix */

struct tbuf {
	char *p;
	size_t len, cap;
};

static void tb_add(struct tbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np)
			return;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

/* Linux's unix_seq_show, one line per socket (addresses are not shown:
 * "%pK" prints zeros to whom may not see kernel pointers). */
char *unix_proc_net(struct task *t, size_t *len)
{
	struct tbuf b = {0};
	const char *head = "Num       RefCount Protocol Flags    Type St Inode Path\n";
	tb_add(&b, head, strlen(head));
	vmutex_lock(&unix_table_lock);
	for (struct unix_sock *u = all_socks; u; u = u->all_next) {
		vmutex_lock(&u->s.lock);
		int st;
		bool est = u->s.state == SOCK_STATE_ESTABLISHED;
		if (u->s.file)
			st = est ? 3 /* SS_CONNECTED */ : 1 /* SS_UNCONNECTED */;
		else
			st = est ? 2 /* SS_CONNECTING */ : 4 /* SS_DISCONNECTING */;
		char line[128 + 2 * sizeof(struct sockaddr_storage)];
		int n = snprintf(line, sizeof(line), "%016x: %08X %08X %08X %04X %02X %5llu", 0,
				 (unsigned int)atomic_load(&u->s.refs), 0,
				 u->s.state == SOCK_STATE_LISTEN ? 0x10000 : 0, u->s.type, st,
				 (unsigned long long)u->s.ino);
		struct unix_addr *a = u->addr;
		if (a && n > 0 && (size_t)n < sizeof(line) - sizeof(a->name) - 2) {
			line[n++] = ' ';
			int plen = a->len - (int)UNIX_PATH_OFF;
			const char *p = a->name + UNIX_PATH_OFF;
			int i = 0;
			if (p[0]) {
				plen--; /* the NUL */
			} else {
				line[n++] = '@';
				i = 1;
			}
			for (; i < plen; i++)
				line[n++] = p[i] ? p[i] : '@';
		}
		vmutex_unlock(&u->s.lock);
		if (n > 0) {
			line[n++] = '\n';
			tb_add(&b, line, (size_t)n);
		}
	}
	vmutex_unlock(&unix_table_lock);
	*len = b.len;
	if (!b.p)
		b.p = strdup("");
	return b.p;
}
