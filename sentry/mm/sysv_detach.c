/*
 * sysv_detach.c — shmdt(2)'s part in the mm: find the System V segment
 * attached at an address and unmap every piece of that attachment.  The
 * segment is recognised by its mm_file ops (the IPC code's), so the mm knows
 * nothing of IPC.
 */
#include <errno.h>
#include <stdlib.h>

#include "sentry/mm/mm_internal.h"

struct range {
	uint64_t start, end;
};

/* As Linux's shmdt: the first VMA at or above addr that is a piece of an
 * attachment starting at addr (its file offset equals its distance from
 * addr) names the segment; it and every later piece of the same segment
 * that ends within the segment's size from addr are unmapped. */
int mm_shm_detach(struct mm *mm, uint64_t addr, const struct mm_file_ops *ops)
{
	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	struct range *r = NULL;
	size_t n = 0, cap = 0;
	int err = -EINVAL;
	vmutex_lock(&mm->lock);
	struct mm_file *seg = NULL;
	uint64_t size = 0;
	for (size_t i = vmas_lower(&mm->vmas, addr); i < mm->vmas.n; i++) {
		struct vma *v = mm->vmas.v[i];
		if (!v->file || v->file->ops != ops || v->start < addr || v->start - addr != v->off)
			continue;
		if (seg && v->file != seg)
			continue;
		if (!seg) {
			seg = v->file;
			int64_t sz = seg->ops->size(seg);
			size = PAGE_ROUND_UP(sz < 0 ? 0 : (uint64_t)sz);
		} else if (v->end - addr > size) {
			break;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 4;
			struct range *nr = realloc(r, cap * sizeof(*r));
			if (!nr) {
				err = -ENOMEM;
				break;
			}
			r = nr;
		}
		r[n++] = (struct range){v->start, v->end};
		err = 0;
	}
	mm_unlock(mm);
	for (size_t i = 0; i < n && err == 0; i++)
		mm_munmap(mm, r[i].start, r[i].end - r[i].start);
	free(r);
	return err;
}
