/*
 * unix_gc.c — AF_UNIX's garbage collector for sockets kept alive only by
 * in-flight SCM_RIGHTS (see unix.c's opening comment), and /proc/net/unix.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/socket.h"
#include "sentry/socket/unix.h"
#include "sentry/socket/unix_internal.h"
#include "sentry/vfs/vfs.h"

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
	for (struct unix_sock *u = unix_all_socks; u; u = u->all_next) {
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
	for (struct unix_sock *u = unix_all_socks; u; u = u->all_next)
		if (u->gc_candidate)
			for_each_inflight_child(u, gc_dec_ref, NULL);
	for (struct unix_sock *u = unix_all_socks; u; u = u->all_next)
		if (u->gc_candidate && u->gc_refs > 0)
			gc_mark_alive(u, &st);
	while (st.n > 0) {
		struct unix_sock *u = st.items[--st.n];
		for_each_inflight_child(u, gc_mark_alive, &st);
	}
	for (struct unix_sock *u = unix_all_socks; u; u = u->all_next) {
		if (!u->gc_candidate || u->gc_alive)
			continue;
		vmutex_lock_nested(&u->s.lock, 0);
		purge_add(&purge, unix_rq_steal(u));
		for (struct unix_sock *e = u->acc_head; e; e = e->acc_next) {
			vmutex_lock_nested(&e->s.lock, 1);
			purge_add(&purge, unix_rq_steal(e));
			vmutex_unlock(&e->s.lock);
		}
		vmutex_unlock(&u->s.lock);
	}
	vmutex_unlock(&unix_table_lock);
	free(st.items);
	unix_skb_free_list(purge); /* closes the garbage */
}

void unix_gc(void)
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
	for (struct unix_sock *u = unix_all_socks; u; u = u->all_next) {
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

