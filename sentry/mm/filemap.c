/*
 * filemap.c — the mappings of one file across the sandbox: the list of live
 * mms, what a file system asks of every mapping of one of its files (a
 * truncate unmaps the pages past the new end, a write-back write-protects the
 * pages it cleans), and msync(2), which asks the files for a write-back.
 *
 * There is no reverse map from a file to its VMAs: the callers are rare (a
 * truncate that shrinks a mapped file, the write-back of a file whose mappings
 * dirtied pages), so each one walks the live mms and their VMAs of that file,
 * as a small Linux i_mmap would.
 *
 * The platform may allow a thread to change only the address spaces it runs
 * in (ptrace: a Sentry thread injects only into the stubs it traces): another
 * process's mappings are then left as they are, safely (each holds its own
 * reference to its pages): a truncate does not unmap them, a write-back keeps
 * the pages they map writable dirty.
 *
 * Locking (sentry/LOCKING.md): mm_list_lock protects the list and comes
 * before every mm->lock, which is taken for each mm in turn under it.  An mm
 * whose last reference is gone waits in mm_list_del for the lock, so the list
 * never hands out a freed mm.  The callers hold no lock at or below mm->lock.
 */
#include <errno.h>
#include <sys/mman.h>

#include "lib/lockdep.h"
#include "sentry/mm/mm_internal.h"

static struct vmutex mm_list_lock = VMUTEX_INITIALIZER(LOCK_CLASS(MM_LIST));
static struct mm *mm_list; /* under mm_list_lock */

void mm_list_add(struct mm *mm)
{
	vmutex_lock(&mm_list_lock);
	mm->list_prev = NULL;
	mm->list_next = mm_list;
	if (mm_list)
		mm_list->list_prev = mm;
	mm_list = mm;
	vmutex_unlock(&mm_list_lock);
}

void mm_list_del(struct mm *mm)
{
	vmutex_lock(&mm_list_lock);
	if (mm->list_prev)
		mm->list_prev->list_next = mm->list_next;
	else
		mm_list = mm->list_next;
	if (mm->list_next)
		mm->list_next->list_prev = mm->list_prev;
	mm->list_prev = mm->list_next = NULL;
	vmutex_unlock(&mm_list_lock);
}

/* What to do to [start, end) of v (page aligned, inside v), under mm->lock;
 * arg is the caller's. */
typedef void (*file_range_fn)(struct mm *mm, struct vma *v, uint64_t start, uint64_t end,
			      void *arg);

/* Call fn on every range of every VMA of f (only MAP_SHARED ones when
 * shared_only) that maps file pages [pgoff, pgoff + npages), in every mm. */
static void for_each_file_range(struct mm_file *f, uint64_t pgoff, uint64_t npages,
				bool shared_only, file_range_fn fn, void *arg)
{
	uint64_t pgend = npages > UINT64_MAX - pgoff ? UINT64_MAX : pgoff + npages;
	vmutex_lock(&mm_list_lock);
	for (struct mm *mm = mm_list; mm; mm = mm->list_next) {
		vmutex_lock(&mm->lock);
		for (size_t i = 0; i < mm->vmas.n; i++) {
			struct vma *v = mm->vmas.v[i];
			if (v->file != f || (shared_only && !(v->flags & VMA_SHARED)))
				continue;
			uint64_t vpg = v->off >> PAGE_SHIFT;
			uint64_t vend = vpg + ((v->end - v->start) >> PAGE_SHIFT);
			uint64_t lo = vpg > pgoff ? vpg : pgoff;
			uint64_t hi = vend < pgend ? vend : pgend;
			if (lo < hi)
				fn(mm, v, v->start + ((lo - vpg) << PAGE_SHIFT),
				   v->start + ((hi - vpg) << PAGE_SHIFT), arg);
		}
		/* Nothing is retired here: the plain unlock will do. */
		vmutex_unlock(&mm->lock);
	}
	vmutex_unlock(&mm_list_lock);
}

static void zap_file_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, void *arg)
{
	if (mm_platform_can_change(mm))
		mm_zap_locked(mm, start, end);
}

void mm_file_unmap_from(struct mm_file *f, uint64_t pgoff)
{
	for_each_file_range(f, pgoff, UINT64_MAX, false, zap_file_range, NULL);
}

static void note_maywrite(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, void *arg)
{
	if (!(v->flags & VMA_NOMAYWRITE))
		*(bool *)arg = true;
}

bool mm_file_mapped_maywrite(struct mm_file *f)
{
	bool found = false;
	for_each_file_range(f, 0, UINT64_MAX, true, note_maywrite, &found);
	return found;
}

struct mkclean_arg {
	void (*busy)(void *arg, uint64_t pgoff);
	void *arg;
};

/* Clear PTE_DIRTY in [start, end) of v and take write away from the platform
 * mappings that had it, one platform call per run; where the platform may
 * not be changed from this thread, a page it maps writable stays dirty. */
static void mkclean_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, void *arg)
{
	const struct mkclean_arg *mk = arg;
	bool can = mm_platform_can_change(mm);
	int prot = vma_page_prot(v, 0); /* what a page not known dirty may do */
	uint64_t a = start, pte, lo = 0, hi = 0;
	while (pt_next(&mm->pt, &a, end, &pte)) {
		bool writable = (pte & PTE_MAPPED) && (PTE_MPROT(pte) & PROT_WRITE);
		if ((pte & PTE_DIRTY) && writable && !can) {
			mk->busy(mk->arg, (v->off + (a - v->start)) >> PAGE_SHIFT);
		} else if (pte & PTE_DIRTY) {
			uint64_t np = pte & ~PTE_DIRTY;
			if (writable) {
				np = (np & ~PTE_MPROT_MASK) | ((uint64_t)prot << PTE_MPROT_SHIFT);
				if (hi != a) {
					if (hi)
						mm_protect_locked(mm, lo, hi, prot);
					lo = a;
				}
				hi = a + PAGE_SIZE;
			}
			pt_set(&mm->pt, a, np);
		}
		a += PAGE_SIZE;
	}
	if (hi)
		mm_protect_locked(mm, lo, hi, prot);
}

void mm_file_mkclean(struct mm_file *f, uint64_t pgoff, uint64_t npages,
		     void (*busy)(void *arg, uint64_t pgoff), void *arg)
{
	struct mkclean_arg mk = {busy, arg};
	for_each_file_range(f, pgoff, npages, true, mkclean_range, &mk);
}

/* msync(2), as Linux's: the checks in its order, then every VMA of the range
 * in turn; a shared file mapping has its file write the range back (Linux
 * does that for MS_SYNC only, and leaves MS_ASYNC to its flusher threads: the
 * Sentry has none, so MS_ASYNC writes back now, without the flush to stable
 * storage).  A hole is ENOMEM, at once for a plain MS_SYNC, else after the
 * rest was done.  MS_INVALIDATE has nothing to drop: a file's cached pages
 * are the file (EBUSY on locked VMAs is not modelled: mlock keeps none). */
int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	uint64_t rlen = PAGE_ROUND_UP(len);
	uint64_t end = addr + rlen;
	if ((len && !rlen) || end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	int err = 0, unmapped = 0;
	uint64_t start = addr;
	vmutex_lock(&mm->lock);
	for (;;) {
		size_t i = vmas_lower(&mm->vmas, start);
		err = -ENOMEM;
		if (i == mm->vmas.n)
			break;
		struct vma *v = mm->vmas.v[i];
		if (start < v->start) {
			if (flags == MS_SYNC)
				break;
			start = v->start;
			if (start >= end)
				break;
			unmapped = -ENOMEM;
		}
		err = 0;
		struct mm_file *f = v->file;
		uint64_t fstart = v->off + (start - v->start);
		uint64_t flen = (end < v->end ? end : v->end) - start;
		start = v->end;
		if ((flags & (MS_SYNC | MS_ASYNC)) && f && (v->flags & VMA_SHARED) &&
		    f->ops->sync) {
			f->ops->get(f);
			mm_unlock(mm);
			err = f->ops->sync(f, fstart, flen, flags & MS_SYNC);
			f->ops->put(f);
			if (err || start >= end)
				return err ? err : unmapped;
			vmutex_lock(&mm->lock);
		} else if (start >= end) {
			break;
		}
	}
	mm_unlock(mm);
	return err ? err : unmapped;
}
