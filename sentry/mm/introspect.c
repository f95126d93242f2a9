/*
 * introspect.c — what /proc shows of an mm: its VMAs with their names
 * (maps, smaps; "[heap]", "[stack]") and its size and resident pages
 * (stat, status).  Reads only, under mm->lock; never changes a mapping.
 */
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"

/* fn runs under mm->lock: it must not call back into this mm. */
void mm_for_each_vma(struct mm *mm, void (*fn)(const struct mm_vma_info *v, void *arg), void *arg)
{
	vmutex_lock(&mm->lock);
	/* The pages brk added.  (Linux tests start <= brk && end >= start_brk,
	 * which also names a bss VMA ending at an unrandomized start_brk.) */
	uint64_t heap_lo = PAGE_ROUND_UP(mm->brk_start), heap_hi = PAGE_ROUND_UP(mm->brk);
	for (size_t i = 0; i < mm->vmas.n; i++) {
		const struct vma *v = mm->vmas.v[i];
		struct mm_vma_info info = {
		    .start = v->start,
		    .end = v->end,
		    .offset = (v->file && !(v->flags & VMA_SHMEM)) ? v->off : 0,
		    .prot = v->prot,
		    .shared = v->flags & VMA_SHARED,
		};
		if (v->file) {
			info.name = v->file->name;
			info.dev = v->file->dev;
			info.ino = v->file->ino;
		} else if (heap_lo < heap_hi && v->start < heap_hi && v->end > heap_lo) {
			info.name = "[heap]";
		} else if (v->start < mm->stack_end && v->end > mm->stack_start) {
			info.name = "[stack]";
		}
		fn(&info, arg);
	}
	mm_unlock(mm);
}

void mm_usage(struct mm *mm, uint64_t *vsize, uint64_t *rss)
{
	vmutex_lock(&mm->lock);
	uint64_t vs = 0;
	for (size_t i = 0; i < mm->vmas.n; i++)
		vs += mm->vmas.v[i]->end - mm->vmas.v[i]->start;
	if (vsize)
		*vsize = vs;
	if (rss)
		*rss = mm->pt.nr_present * PAGE_SIZE;
	mm_unlock(mm);
}
