/*
 * mincore.c — which pages of a range are resident (mincore(2)).
 *
 * "Resident" is what the Sentry knows: the page is present in the mm's page
 * table (faulted in, not yet zapped).  Linux also counts a file page that
 * sits in the page cache without being mapped here; the Sentry does not
 * look into the host's page cache, so such a page reads 0 until touched.
 */
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"

#include <errno.h>

int mm_mincore(struct mm *mm, uint64_t start, uint64_t npages, uint8_t *vec)
{
	vmutex_lock(&mm->lock);
	int r = 0;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t a = start + i * PAGE_SIZE;
		if (!vmas_find(&mm->vmas, a, NULL)) {
			r = -ENOMEM; /* as Linux: a hole in the range */
			break;
		}
		vec[i] = pt_get(&mm->pt, a) != 0;
	}
	mm_unlock(mm);
	return r;
}

bool mm_range_mapped(struct mm *mm, uint64_t start, uint64_t end)
{
	vmutex_lock(&mm->lock);
	bool ok = true;
	for (uint64_t a = start; a < end && ok;) {
		struct vma *v = vmas_find(&mm->vmas, a, NULL);
		if (!v)
			ok = false;
		else
			a = v->end;
	}
	mm_unlock(mm);
	return ok;
}
