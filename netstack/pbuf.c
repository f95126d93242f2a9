/*
 * pbuf.c — packet buffers from a pool, so the data path does not go to the
 * heap for every frame.
 *
 * Three size classes cover what the stack builds: small (ACKs, short
 * datagrams, small writes), medium and one full loopback frame (64 KiB +
 * headroom).  Freed buffers go to their class's free list, up to a cap;
 * beyond it, and for the rare larger request, the heap.  One pool per
 * process (the Sentry has one stack; tests have several and share it).
 *
 * The pool lock (NETSTACK_POOL) is the innermost netstack lock: buffers are
 * allocated and freed under endpoint, stack and link locks, and nothing is
 * taken under it.
 */
#include "lib/lockdep.h"
#include "netstack/netstack.h"

#include <stdlib.h>
#include <string.h>

#define NCLASSES 3
static const uint32_t class_cap[NCLASSES] = {
    2048,
    16384,
    NS_LOOPBACK_MTU + NS_PBUF_HEADROOM,
};
/* How many free buffers each class keeps (about 4 MiB per class). */
static const uint32_t class_keep[NCLASSES] = {2048, 256, 64};
#define POOL_NONE 0xff

static struct {
	struct vmutex lock; /* NETSTACK_POOL: the free lists and counters */
	struct ns_pbuf *free[NCLASSES];
	uint32_t nfree[NCLASSES];
	struct ns_pool_stats st;
} pool = {.lock = VMUTEX_INITIALIZER(LOCK_CLASS(NETSTACK_POOL))};

static void pbuf_reset(struct ns_pbuf *pb)
{
	pb->next = NULL;
	pb->off = NS_PBUF_HEADROOM;
	pb->len = 0;
	pb->flags = 0;
	pb->fin = 0;
	pb->ifindex = 0;
	pb->seq = 0;
	pb->port = 0;
	pb->tos = pb->ttl = 0;
	memset(pb->daddr, 0, sizeof(pb->daddr));
	pb->spec_dst = 0;
	pb->due = 0;
	pb->stamp = 0;
	pb->gso_size = 0;
}

struct ns_pbuf *ns_pbuf_alloc(size_t len)
{
	if (len > UINT32_MAX - NS_PBUF_HEADROOM)
		return NULL;
	size_t need = len + NS_PBUF_HEADROOM;
	int c = 0;
	while (c < NCLASSES && class_cap[c] < need)
		c++;
	struct ns_pbuf *pb = NULL;
	if (c < NCLASSES) {
		vmutex_lock(&pool.lock);
		pb = pool.free[c];
		if (pb) {
			pool.free[c] = pb->next;
			pool.nfree[c]--;
			pool.st.cached_bytes -= class_cap[c];
		} else {
			pool.st.heap_allocs++;
		}
		pool.st.allocs++;
		pool.st.live++;
		vmutex_unlock(&pool.lock);
	}
	if (!pb) {
		uint32_t cap = c < NCLASSES ? class_cap[c] : (uint32_t)need;
		pb = malloc(sizeof(*pb) + cap);
		if (!pb) {
			if (c < NCLASSES) {
				vmutex_lock(&pool.lock);
				pool.st.live--;
				vmutex_unlock(&pool.lock);
			}
			return NULL;
		}
		pb->cap = cap;
		pb->pool = c < NCLASSES ? (uint8_t)c : POOL_NONE;
	}
	pbuf_reset(pb);
	return pb;
}

struct ns_pbuf *ns_pbuf_from(const void *data, size_t len)
{
	struct ns_pbuf *pb = ns_pbuf_alloc(len);
	if (pb) {
		memcpy(ns_pbuf_data(pb), data, len);
		pb->len = (uint32_t)len;
	}
	return pb;
}

void ns_pbuf_free(struct ns_pbuf *pb)
{
	if (!pb)
		return;
	int c = pb->pool;
	if (c == POOL_NONE) {
		free(pb);
		return;
	}
	vmutex_lock(&pool.lock);
	pool.st.frees++;
	pool.st.live--;
	if (pool.nfree[c] < class_keep[c]) {
		pb->next = pool.free[c];
		pool.free[c] = pb;
		pool.nfree[c]++;
		pool.st.cached_bytes += class_cap[c];
		pb = NULL;
	}
	vmutex_unlock(&pool.lock);
	free(pb);
}

void ns_pbuf_free_chain(struct ns_pbuf *pb)
{
	while (pb) {
		struct ns_pbuf *next = pb->next;
		ns_pbuf_free(pb);
		pb = next;
	}
}

void ns_pool_stats(struct ns_pool_stats *out)
{
	vmutex_lock(&pool.lock);
	*out = pool.st;
	vmutex_unlock(&pool.lock);
}

void ns_pool_trim(void)
{
	struct ns_pbuf *lists[NCLASSES];
	vmutex_lock(&pool.lock);
	for (int c = 0; c < NCLASSES; c++) {
		lists[c] = pool.free[c];
		pool.free[c] = NULL;
		pool.nfree[c] = 0;
	}
	pool.st.cached_bytes = 0;
	vmutex_unlock(&pool.lock);
	for (int c = 0; c < NCLASSES; c++) {
		struct ns_pbuf *pb = lists[c];
		while (pb) {
			struct ns_pbuf *next = pb->next;
			free(pb);
			pb = next;
		}
	}
}
