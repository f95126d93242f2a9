/*
 * unix.c — AF_UNIX sockets, entirely inside the Sentry (Linux's
 * net/unix/af_unix.c): SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET,
 * socketpair, path-bound and abstract names, autobind, SCM_RIGHTS and
 * SCM_CREDENTIALS, SO_PEERCRED, the listen backlog, and the garbage
 * collection of sockets that only in-flight SCM_RIGHTS keep alive.
 * This file holds the names, connections, buffers and the family; the
 * send and receive paths are unix_msg.c, the GC and /proc/net/unix
 * unix_gc.c, and what they share unix_internal.h.
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
#include "sentry/socket/unix_internal.h"


/* ---------------------------------------------------------------- tables */

/* UNIX_TABLE: every unix socket (for /proc/net/unix and the GC) and the
 * bound names, by node identity and by abstract name. */
struct vmutex unix_table_lock = VMUTEX_INITIALIZER(LOCK_CLASS(UNIX_TABLE));
struct unix_sock *unix_all_socks;
static struct unix_sock *path_table[UNIX_HASH];
static struct unix_sock *abstract_table[UNIX_HASH];
_Atomic long unix_total_inflight;

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
void unix_fp_inflight(struct scm_files *fp, int delta)
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
struct unix_skb *unix_skb_new(struct unix_sock *from, size_t len)
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
void unix_skb_free_list(struct unix_skb *b)
{
	while (b) {
		struct unix_skb *next = b->next;
		struct unix_sock *from = b->from;
		if (b->fp) {
			unix_fp_inflight(b->fp, -1);
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
void unix_skb_attach_scm(struct unix_skb *b, struct scm *scm, bool send_fds)
{
	b->creds = scm->creds;
	if (send_fds && scm->fp) {
		b->fp = scm->fp;
		scm->fp = NULL;
		unix_fp_inflight(b->fp, 1);
	}
}

/* Under u's lock. */
void unix_rq_append(struct unix_sock *u, struct unix_skb *b)
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

struct unix_skb *unix_rq_pop(struct unix_sock *u)
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
struct unix_skb *unix_rq_steal(struct unix_sock *u)
{
	struct unix_skb *b = u->rq_head;
	u->rq_head = u->rq_tail = NULL;
	u->rq_count = 0;
	return b;
}

/* Our queue shrank: wake blocked senders and connectors, and the pollers
 * that registered a relay.  No lock held. */
void unix_queue_shrank(struct unix_sock *u)
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
	u->all_next = unix_all_socks;
	if (unix_all_socks)
		unix_all_socks->all_prev = u;
	unix_all_socks = u;
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
	struct unix_skb *q = unix_rq_steal(u);
	if (u->peer)
		socket_put(&u->peer->s);
	while (u->relays) {
		struct unix_relay *r = u->relays;
		u->relays = r->next;
		socket_put(&r->who->s);
		free(r);
	}
	unix_skb_free_list(q);
	path_put(&u->path);
	addr_put(u->addr);
	waitq_destroy(&u->peer_wait);
	free(u);
}

/* ---------------------------------------------------------------- release */


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
	else if (unix_all_socks == u)
		unix_all_socks = u->all_next;
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
	struct unix_skb *q = unix_rq_steal(u);
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
	unix_skb_free_list(q);
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
int unix_validate_addr(const struct sockaddr_storage *a, int len)
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

int unix_autobind(struct unix_sock *u)
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
	int r = unix_validate_addr(sa, len);
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
int unix_find_other(struct task *t, const struct sockaddr_storage *sa, int len, int type,
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
void unix_copy_addr(struct sock_msg *m, struct unix_sock *from)
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
	int r = unix_validate_addr(sa, len);
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
		r = unix_find_other(t, sa, len, s->type, &other);
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
			unix_queue_shrank(u);
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

bool unix_recvq_full(struct unix_sock *o)
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
		if ((r = unix_validate_addr(sa, len)) < 0)
			return r;
		vmutex_lock(&s->lock);
		bool need_bind = s->passcred && !u->addr;
		vmutex_unlock(&s->lock);
		if (need_bind && (r = unix_autobind(u)) < 0)
			return r;
		for (;;) {
			if ((r = unix_find_other(t, sa, len, s->type, &other)) < 0)
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
	u->peer = other; /* takes unix_find_other's reference */
	if (!other)
		s->state = SOCK_STATE_CLOSE;
	socket_unlock_pair(s, other ? &other->s : NULL);
	if (old && old != other) {
		/* Linux's unix_dgram_disconnected. */
		vmutex_lock(&s->lock);
		struct unix_skb *q = unix_rq_steal(u);
		vmutex_unlock(&s->lock);
		if (q) {
			unix_queue_shrank(u);
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
		unix_skb_free_list(q);
	}
	if (old)
		socket_put(&old->s);
	socket_notify(s, POLLOUT | POLLWRNORM | POLLWRBAND);
	return 0;
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
		if (u->peer == other && other->peer != u && unix_recvq_full(other) &&
		    unix_peer_wake_me(u, other))
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
