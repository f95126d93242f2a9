/*
 * unix_internal.h — what the parts of AF_UNIX share: unix.c (names,
 * connections, buffers, the family), unix_msg.c (send and receive) and
 * unix_gc.c (the in-flight garbage collector and /proc/net/unix).  Only
 * those three include it.
 */
#ifndef VISOR_SENTRY_SOCKET_UNIX_INTERNAL_H
#define VISOR_SENTRY_SOCKET_UNIX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sentry/socket/socket.h"
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

static inline struct unix_sock *U(struct socket *s)
{
	return (struct unix_sock *)s;
}

/* unix.c: the tables (see unix.c) */
extern struct vmutex unix_table_lock;
extern struct unix_sock *unix_all_socks; /* under unix_table_lock */
extern _Atomic long unix_total_inflight;

/* unix.c */
bool unix_recvq_full(struct unix_sock *o);
int unix_validate_addr(const struct sockaddr_storage *a, int len);
int unix_autobind(struct unix_sock *u);
int unix_find_other(struct task *t, const struct sockaddr_storage *sa, int len, int type,
		      struct unix_sock **out);
void unix_fp_inflight(struct scm_files *fp, int delta);
void unix_queue_shrank(struct unix_sock *u);
void unix_skb_attach_scm(struct unix_skb *b, struct scm *scm, bool send_fds);
void unix_copy_addr(struct sock_msg *m, struct unix_sock *from);
struct unix_skb *unix_rq_pop(struct unix_sock *u);
struct unix_skb *unix_skb_new(struct unix_sock *from, size_t len);
void unix_skb_free_list(struct unix_skb *b);
void unix_rq_append(struct unix_sock *u, struct unix_skb *b);
struct unix_skb *unix_rq_steal(struct unix_sock *u);

/* unix_msg.c */
ssize_t unix_seqpacket_recvmsg(struct task *t, struct socket *s, struct sock_msg *m,
				      int flags);
bool unix_peer_wake_me(struct unix_sock *u, struct unix_sock *other);
ssize_t unix_stream_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags);
ssize_t unix_dgram_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags);
ssize_t unix_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags);

/* unix_gc.c */
void unix_gc(void);

#endif
