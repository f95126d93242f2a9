/*
 * pagetable.c — the Sentry's page table of one mm (and the page index of a
 * shared-memory object): a 4-level radix tree of 512-entry nodes mapping a
 * 47-bit page-aligned address to a 64-bit entry (memory-file offset | flags,
 * see mm_internal.h).  Nodes are allocated on first use and freed when their
 * last entry goes, so an entry-less range costs nothing and pt_next skips
 * whole empty subtrees.
 *
 * Knows nothing of refcounts, VMAs or the platform; the caller locks.
 */
#include <errno.h>
#include <stdlib.h>

#include "sentry/mm/mm_internal.h"

#define PT_LEVELS 4
#define PT_BITS 9
#define PT_FANOUT (1u << PT_BITS)

struct pt_node {
	unsigned count; /* non-empty slots */
	union {
		struct pt_node *child[PT_FANOUT];
		uint64_t pte[PT_FANOUT];
	};
};

static unsigned slot_shift(int level) { return PAGE_SHIFT + PT_BITS * (unsigned)level; }

static unsigned slot_index(uint64_t addr, int level)
{
	return (unsigned)(addr >> slot_shift(level)) & (PT_FANOUT - 1);
}

uint64_t pt_get(const struct pagetable *pt, uint64_t addr)
{
	const struct pt_node *n = pt->root;
	for (int level = PT_LEVELS - 1; n && level > 0; level--)
		n = n->child[slot_index(addr, level)];
	return n ? n->pte[slot_index(addr, 0)] : 0;
}

int pt_set(struct pagetable *pt, uint64_t addr, uint64_t pte)
{
	struct pt_node *path[PT_LEVELS];
	struct pt_node **link = &pt->root;
	for (int level = PT_LEVELS - 1; level >= 0; level--) {
		if (!*link) {
			if (!pte)
				return 0; /* clearing an absent entry */
			*link = calloc(1, sizeof(struct pt_node));
			if (!*link) {
				/* Undo empty nodes made on the way down. */
				for (int l = level + 1; l < PT_LEVELS; l++) {
					struct pt_node *c = path[l];
					if (c->count)
						break;
					if (l == PT_LEVELS - 1)
						pt->root = NULL;
					else {
						path[l + 1]->child[slot_index(addr, l + 1)] = NULL;
						path[l + 1]->count--;
					}
					free(c);
				}
				return -ENOMEM;
			}
			if (level < PT_LEVELS - 1)
				path[level + 1]->count++;
		}
		path[level] = *link;
		if (level > 0)
			link = &(*link)->child[slot_index(addr, level)];
	}
	uint64_t *e = &path[0]->pte[slot_index(addr, 0)];
	if (!*e && pte) {
		path[0]->count++;
		if (++pt->nr_present > pt->peak_present)
			pt->peak_present = pt->nr_present;
	} else if (*e && !pte) {
		path[0]->count--;
		pt->nr_present--;
	}
	*e = pte;
	/* Free nodes that became empty, bottom up. */
	for (int level = 0; level < PT_LEVELS && path[level]->count == 0; level++) {
		free(path[level]);
		if (level == PT_LEVELS - 1) {
			pt->root = NULL;
		} else {
			path[level + 1]->child[slot_index(addr, level + 1)] = NULL;
			path[level + 1]->count--;
		}
	}
	return 0;
}

static bool next_in(const struct pt_node *n, int level, uint64_t *addr, uint64_t end, uint64_t *pte)
{
	unsigned shift = slot_shift(level);
	for (unsigned i = slot_index(*addr, level); i < PT_FANOUT && *addr < end; i++) {
		uint64_t slot_start = (*addr >> shift) << shift;
		if (level == 0) {
			if (n->pte[i]) {
				*pte = n->pte[i];
				return true;
			}
		} else if (n->child[i] && next_in(n->child[i], level - 1, addr, end, pte)) {
			return true;
		}
		*addr = slot_start + (1ULL << shift);
	}
	return false;
}

bool pt_next(const struct pagetable *pt, uint64_t *addr, uint64_t end, uint64_t *pte)
{
	uint64_t a = PAGE_ROUND_DOWN(*addr);
	if (!pt->root || a >= end)
		return false;
	if (!next_in(pt->root, PT_LEVELS - 1, &a, end, pte) || a >= end)
		return false;
	*addr = a;
	return true;
}

uint64_t pt_present_below(const struct pagetable *pt, uint64_t addr, uint64_t floor, uint64_t max)
{
	uint64_t n = 0;
	while (n < max && addr >= floor + (n + 1) * PAGE_SIZE &&
	       pt_get(pt, addr - (n + 1) * PAGE_SIZE))
		n++;
	return n;
}

static void destroy(struct pt_node *n, int level)
{
	if (!n)
		return;
	if (level > 0)
		for (unsigned i = 0; i < PT_FANOUT; i++)
			destroy(n->child[i], level - 1);
	free(n);
}

void pt_destroy(struct pagetable *pt)
{
	destroy(pt->root, PT_LEVELS - 1);
	pt->root = NULL;
	pt->nr_present = 0;
}
