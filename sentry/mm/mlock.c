/*
 * mlock.c — locked memory: mlock/mlock2/munlock/mlockall/munlockall and the
 * RLIMIT_MEMLOCK accounting that mmap, brk and mremap share (Linux's
 * mm/mlock.c).
 *
 * Every page of the memory file is always resident, so locking changes no
 * page; what Linux shows of it is kept: VMA_LOCKED (and VMA_LOCKONFAULT) on
 * the VMAs, mm->locked_pages (VmLck) counting the pages of locked VMAs,
 * mm->def_flags (mlockall(MCL_FUTURE) locks later mappings), the
 * population of locked ranges (page-table entries made at once, so the
 * first touch does not fault), and the limit checks with their errnos.
 * Whether the caller may exceed RLIMIT_MEMLOCK (CAP_IPC_LOCK) is the
 * syscall layer's to say: limits come in as pages, MM_NO_LOCK_LIMIT for
 * none.
 *
 * Locking: everything under mm->lock.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "sentry/mm/mm_internal.h"

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static uint64_t vma_pages(const struct vma *v)
{
	return (v->end - v->start) >> PAGE_SHIFT;
}

/* Under mm->lock: give v the lock flags `lock` (0, VMA_LOCKED, or with
 * VMA_LOCKONFAULT), keeping mm->locked_pages in step. */
static void vma_set_lock(struct mm *mm, struct vma *v, unsigned lock)
{
	bool was = v->flags & VMA_LOCKED, now = lock & VMA_LOCKED;
	if (was && !now)
		mm->locked_pages -= vma_pages(v);
	else if (!was && now)
		mm->locked_pages += vma_pages(v);
	v->flags = (v->flags & ~VMA_LOCK_MASK) | lock;
}

void mm_account_unmap_locked(struct mm *mm, const struct vma *v)
{
	if (v->flags & VMA_LOCKED)
		mm->locked_pages -= vma_pages(v);
}

void mm_account_map_locked(struct mm *mm, const struct vma *v)
{
	if (v->flags & VMA_LOCKED)
		mm->locked_pages += vma_pages(v);
}

bool mm_lock_ok_locked(struct mm *mm, unsigned vma_flags, uint64_t bytes, uint64_t limit)
{
	if (!(vma_flags & VMA_LOCKED) || limit == MM_NO_LOCK_LIMIT)
		return true;
	return mm->locked_pages + (bytes >> PAGE_SHIFT) <= limit;
}

/* Under mm->lock: fault in the pages of [start, end) that a locked VMA
 * holds, as Linux's __mm_populate: writable private pages are made private
 * at once; VMA_LOCKONFAULT and inaccessible VMAs are left alone.  0, or
 * -EFAULT at the first page that cannot be had (past the end of a file). */
int mm_populate_range_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	for (size_t i = vmas_lower(&mm->vmas, start); i < mm->vmas.n; i++) {
		struct vma *v = mm->vmas.v[i];
		if (v->start >= end)
			break;
		if ((v->flags & VMA_LOCKONFAULT) || !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
			continue;
		bool write = (v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED);
		uint64_t lo = v->start > start ? v->start : start, hi = v->end < end ? v->end : end;
		for (uint64_t a = lo; a < hi; a += PAGE_SIZE)
			if (mm_populate_locked(mm, v, a, write) < 0)
				return -EFAULT;
	}
	return 0;
}

/* Linux's apply_vma_lock_flags: give [start, end) the lock flags, VMA by
 * VMA; a hole ends it with ENOMEM (the VMAs before it keep the change). */
static int lock_range_locked(struct mm *mm, uint64_t start, uint64_t end, unsigned lock)
{
	if (end < start)
		return -EINVAL;
	if (end == start)
		return 0;
	struct vma *first = vmas_find(&mm->vmas, start, NULL);
	if (!first)
		return -ENOMEM;
	if (vmas_split_at(&mm->vmas, start) < 0 || vmas_split_at(&mm->vmas, end) < 0)
		return -ENOMEM;
	size_t i = vmas_lower(&mm->vmas, start), firsti = i;
	uint64_t next = start;
	int ret = 0;
	for (; i < mm->vmas.n && mm->vmas.v[i]->start < end; i++) {
		struct vma *v = mm->vmas.v[i];
		if (v->start != next) {
			ret = -ENOMEM;
			break;
		}
		vma_set_lock(mm, v, lock);
		next = v->end;
	}
	if (ret == 0 && next < end)
		ret = -ENOMEM;
	for (size_t k = i; k-- > firsti;)
		vmas_merge_around(&mm->vmas, k);
	return ret;
}

/* Pages of locked VMAs within [start, end) (Linux's count_mm_mlocked_page_nr). */
static uint64_t locked_pages_in(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t n = 0;
	for (size_t i = vmas_lower(&mm->vmas, start); i < mm->vmas.n; i++) {
		const struct vma *v = mm->vmas.v[i];
		if (v->start >= end)
			break;
		if (!(v->flags & VMA_LOCKED))
			continue;
		uint64_t lo = v->start > start ? v->start : start, hi = v->end < end ? v->end : end;
		n += (hi - lo) >> PAGE_SHIFT;
	}
	return n;
}

/* Linux's length rule: the range is widened to pages, wrapping as it does
 * (a huge length can wrap to nothing). */
static void page_range(uint64_t *start, uint64_t *len)
{
	*len = PAGE_ROUND_UP(*len + (*start & (PAGE_SIZE - 1)));
	*start = PAGE_ROUND_DOWN(*start);
}

int mm_mlock(struct mm *mm, uint64_t start, uint64_t len, bool onfault, uint64_t limit)
{
	page_range(&start, &len);
	vmutex_lock(&mm->lock);
	uint64_t locked = mm->locked_pages + (len >> PAGE_SHIFT);
	/* As Linux: pages already locked in the range do not count twice. */
	if (limit != MM_NO_LOCK_LIMIT && locked > limit)
		locked -= locked_pages_in(mm, start, start + len);
	int ret = -ENOMEM;
	if (limit == MM_NO_LOCK_LIMIT || locked <= limit)
		ret = lock_range_locked(mm, start, start + len,
					VMA_LOCKED | (onfault ? VMA_LOCKONFAULT : 0));
	/* As __mlock_posix_error_return: a page that cannot be had is ENOMEM. */
	if (ret == 0 && mm_populate_range_locked(mm, start, start + len) < 0)
		ret = -ENOMEM;
	mm_unlock(mm);
	return ret;
}

int mm_munlock(struct mm *mm, uint64_t start, uint64_t len)
{
	page_range(&start, &len);
	vmutex_lock(&mm->lock);
	int ret = lock_range_locked(mm, start, start + len, 0);
	mm_unlock(mm);
	return ret;
}

/* Linux's apply_mlockall_flags: MCL_FUTURE sets what later mappings get;
 * MCL_CURRENT (or munlockall's 0) sets every VMA's lock flags. */
static void mlockall_locked(struct mm *mm, int flags)
{
	mm->def_flags &= ~VMA_LOCK_MASK;
	if (flags & MCL_FUTURE) {
		mm->def_flags |= VMA_LOCKED | ((flags & MCL_ONFAULT) ? VMA_LOCKONFAULT : 0);
		if (!(flags & MCL_CURRENT))
			return;
	}
	unsigned lock = 0;
	if (flags & MCL_CURRENT)
		lock = VMA_LOCKED | ((flags & MCL_ONFAULT) ? VMA_LOCKONFAULT : 0);
	for (size_t i = 0; i < mm->vmas.n; i++)
		vma_set_lock(mm, mm->vmas.v[i], lock);
	for (size_t i = mm->vmas.n; i-- > 0;)
		vmas_merge_around(&mm->vmas, i);
}

int mm_mlockall(struct mm *mm, int flags, uint64_t limit)
{
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	vmutex_lock(&mm->lock);
	uint64_t total = 0;
	for (size_t i = 0; i < mm->vmas.n; i++)
		total += vma_pages(mm->vmas.v[i]);
	int ret = -ENOMEM;
	if (!(flags & MCL_CURRENT) || limit == MM_NO_LOCK_LIMIT || total <= limit) {
		mlockall_locked(mm, flags);
		ret = 0;
		if (flags & MCL_CURRENT) /* errors ignored, as mm_populate */
			for (size_t i = 0; i < mm->vmas.n; i++)
				mm_populate_range_locked(mm, mm->vmas.v[i]->start, mm->vmas.v[i]->end);
	}
	mm_unlock(mm);
	return ret;
}

int mm_munlockall(struct mm *mm)
{
	vmutex_lock(&mm->lock);
	mlockall_locked(mm, 0);
	mm_unlock(mm);
	return 0;
}

uint64_t mm_locked_bytes(struct mm *mm)
{
	vmutex_lock(&mm->lock);
	uint64_t n = mm->locked_pages << PAGE_SHIFT;
	mm_unlock(mm);
	return n;
}

void mm_set_lock_limit(struct mm *mm, uint64_t limit)
{
	__atomic_store_n(&mm->lock_limit, limit, __ATOMIC_RELAXED);
}
