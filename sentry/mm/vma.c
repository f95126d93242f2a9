/*
 * vma.c — the list of VMAs of an mm: a sorted array of pointers with binary
 * search, splitting at a boundary and merging compatible neighbours.
 *
 * A VMA is [start, end) with one prot, one set of flags and (for file and
 * shared anonymous mappings) one mm_file reference.  Two neighbours merge
 * when nothing but their addresses tells them apart (same prot, flags and
 * file, contiguous file offsets), as Linux's vma_merge does, so
 * /proc/self/maps looks as it would on Linux after mprotect/munmap games.
 *
 * Knows nothing of pages or the platform; the caller holds mm->lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm_internal.h"

size_t vmas_lower(const struct vma_list *l, uint64_t addr)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid]->end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vma *vmas_find(const struct vma_list *l, uint64_t addr, size_t *idx)
{
	size_t i = vmas_lower(l, addr);
	if (i < l->n && l->v[i]->start <= addr) {
		if (idx)
			*idx = i;
		return l->v[i];
	}
	return NULL;
}

int vmas_insert(struct vma_list *l, struct vma *v)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct vma **nv = realloc(l->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		l->v = nv;
		l->cap = cap;
	}
	size_t i = vmas_lower(l, v->start);
	memmove(&l->v[i + 1], &l->v[i], (l->n - i) * sizeof(*l->v));
	l->v[i] = v;
	l->n++;
	return 0;
}

void vmas_remove(struct vma_list *l, size_t i)
{
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(*l->v));
	l->n--;
}

struct vma *vma_dup(const struct vma *v)
{
	struct vma *n = malloc(sizeof(*n));
	if (!n)
		return NULL;
	*n = *v;
	n->faults = 0; /* a fork's or a split's: the faults stay v's */
	if (n->file)
		n->file->ops->get(n->file);
	return n;
}

void vma_free(struct vma *v)
{
	if (v->file)
		v->file->ops->put(v->file);
	free(v);
}

void vma_retire(struct vma_list *l, struct vma *v)
{
	v->next_dead = l->dead;
	l->dead = v;
}

int vmas_split_at(struct vma_list *l, uint64_t addr)
{
	size_t i;
	struct vma *v = vmas_find(l, addr, &i);
	if (!v || v->start == addr)
		return 0;
	struct vma *hi = vma_dup(v);
	if (!hi)
		return -ENOMEM;
	hi->start = addr;
	if (hi->file)
		hi->off += addr - v->start;
	v->end = addr;
	int err = vmas_insert(l, hi);
	if (err) {
		v->end = hi->end;
		vma_free(hi);
	}
	return err;
}

static bool compatible(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags || a->file != b->file)
		return false;
	return !a->file || a->off + (a->end - a->start) == b->off;
}

void vmas_merge_around(struct vma_list *l, size_t i)
{
	if (i >= l->n)
		return;
	if (i + 1 < l->n && compatible(l->v[i], l->v[i + 1])) {
		l->v[i]->end = l->v[i + 1]->end;
		l->v[i]->faults += l->v[i + 1]->faults;
		vma_free(l->v[i + 1]);
		vmas_remove(l, i + 1);
	}
	if (i > 0 && compatible(l->v[i - 1], l->v[i])) {
		l->v[i - 1]->end = l->v[i]->end;
		l->v[i - 1]->faults += l->v[i]->faults;
		vma_free(l->v[i]);
		vmas_remove(l, i);
	}
}

void vmas_destroy(struct vma_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		vma_free(l->v[i]);
	while (l->dead) {
		struct vma *d = l->dead;
		l->dead = d->next_dead;
		vma_free(d);
	}
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
