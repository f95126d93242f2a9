/*
 * madvise.c — madvise(2) on an address space: the advice that changes VMA
 * flags (DONTFORK, WIPEONFORK, ...), drops pages (DONTNEED, FREE, REMOVE)
 * or populates them (WILLNEED, POPULATE_*).  The rest of mm is mm.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "lib/lockdep.h"
#include "lib/log.h"
#include "sentry/mm/mm_internal.h"

#ifndef MADV_WIPEONFORK
#define MADV_WIPEONFORK 18
#define MADV_KEEPONFORK 19
#endif
#ifndef MADV_COLD
#define MADV_COLD 20
#define MADV_PAGEOUT 21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101
#endif

struct flag_change {
	unsigned set, clear;
};

/* Set and clear VMA flags on [s, e) of v (splitting it), then merge. */
static int change_flags(struct mm *mm, struct vma *v, uint64_t s, uint64_t e,
			struct flag_change c)
{
	if (((v->flags | c.set) & ~c.clear) == v->flags)
		return 0;
	if (vmas_split_at(&mm->vmas, s) < 0 || vmas_split_at(&mm->vmas, e) < 0)
		return -ENOMEM;
	size_t i;
	v = vmas_find(&mm->vmas, s, &i);
	v->flags = (v->flags | c.set) & ~c.clear;
	vmas_merge_around(&mm->vmas, i);
	return 0;
}

/* One VMA's part [s, e) of a madvise range, as Linux's madvise_vma_behavior. */
static int madvise_vma(struct mm *mm, struct vma *v, uint64_t s, uint64_t e, int advice)
{
	bool private_anon = !v->file;
	switch (advice) {
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
		/* Locked pages stay (only MADV_DONTNEED_LOCKED drops them);
		 * MADV_FREE is for private anonymous memory only. */
		if ((v->flags & VMA_LOCKED) && advice != MADV_DONTNEED_LOCKED)
			return -EINVAL;
		if (advice == MADV_FREE && !private_anon)
			return -EINVAL;
		/* Private anon reads zeroes next time, private file pages are
		 * read again, shared pages come back from their object. */
		mm_zap_locked(mm, s, e);
		return 0;
	case MADV_REMOVE:
		/* Linux: only shared mappings of files that can punch holes
		 * (shmem, tmpfs); not offered by mm_file. */
		if (v->flags & VMA_LOCKED)
			return -EINVAL;
		return (v->flags & VMA_SHARED) ? -EOPNOTSUPP : -EINVAL;
	case MADV_COLD:
	case MADV_PAGEOUT:
		return (v->flags & VMA_LOCKED) ? -EINVAL : 0;
	case MADV_WIPEONFORK:
		if (!private_anon || (v->flags & VMA_SHARED))
			return -EINVAL;
		return change_flags(mm, v, s, e, (struct flag_change){.set = VMA_WIPEONFORK});
	case MADV_KEEPONFORK:
		return change_flags(mm, v, s, e, (struct flag_change){.clear = VMA_WIPEONFORK});
	case MADV_DONTFORK:
		return change_flags(mm, v, s, e, (struct flag_change){.set = VMA_DONTFORK});
	case MADV_DOFORK:
		return change_flags(mm, v, s, e, (struct flag_change){.clear = VMA_DONTFORK});
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE: {
		bool write = advice == MADV_POPULATE_WRITE;
		if (!(v->prot & (write ? PROT_WRITE : PROT_READ)))
			return -EFAULT;
		for (uint64_t a = s; a < e; a += PAGE_SIZE)
			if (mm_populate_locked(mm, v, a, write) < 0)
				return -EFAULT;
		return 0;
	}
	default:
		/* Hints with nothing to do in the memory file: the pages are
		 * always resident, never merged, never huge; WILLNEED reads
		 * nothing ahead; HUGEPAGE/NOHUGEPAGE, MERGEABLE, DONTDUMP
		 * are accepted as by Linux with THP and KSM. */
		return 0;
	}
}

int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_DONTNEED_LOCKED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_POPULATE_READ:
	case MADV_POPULATE_WRITE:
	case MADV_COLLAPSE:
	case MADV_HWPOISON:
	case MADV_SOFT_OFFLINE:
		break;
	default:
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	uint64_t rlen = PAGE_ROUND_UP(len);
	if (len && !rlen)
		return -EINVAL;
	uint64_t end = addr + rlen;
	if (end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;
	if (advice == MADV_HWPOISON || advice == MADV_SOFT_OFFLINE)
		return -EPERM; /* needs CAP_SYS_ADMIN in the init namespace */
	int ret = 0, unmapped = 0;
	vmutex_lock(&mm->lock);
	/* As Linux's madvise_walk_vmas: VMA by VMA in address order, each
	 * part of the range; the first error stops it (the VMAs before keep
	 * the advice); holes give ENOMEM at the end. */
	uint64_t start = addr;
	while (start < end) {
		size_t i = vmas_lower(&mm->vmas, start);
		if (i == mm->vmas.n) {
			ret = -ENOMEM;
			goto out;
		}
		struct vma *v = mm->vmas.v[i];
		if (start < v->start) {
			unmapped = -ENOMEM;
			start = v->start;
			if (start >= end)
				break;
		}
		uint64_t tmp = v->end < end ? v->end : end;
		ret = madvise_vma(mm, v, start, tmp, advice);
		if (ret < 0)
			goto out;
		start = tmp;
	}
	ret = unmapped;
out:
	mm_unlock(mm);
	return ret;
}
