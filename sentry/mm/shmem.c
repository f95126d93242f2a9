/*
 * shmem.c — the object behind MAP_SHARED|MAP_ANONYMOUS: an mm_file whose
 * pages are memory-file pages allocated on first touch and shared by every
 * VMA mapping it, across fork.  (Linux backs such mappings with a shmem file
 * shown as "/dev/zero (deleted)"; so do we.)
 *
 * Owns one memory-file reference per page it has handed out at least once;
 * the last put drops them.  Its lock is taken under mm->lock and before the
 * memory file's lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "lib/lockdep.h"
#include "sentry/mm/mm_internal.h"

struct mm_shmem {
	struct mm_file file;
	struct vmutex lock; /* pages */
	int refs;	      /* atomic */
	struct memfile *mf;
	struct pagetable pages; /* keyed by pgoff << PAGE_SHIFT; entry = offset | PTE_PRESENT */
};

static struct mm_shmem *to_shmem(struct mm_file *f) { return (struct mm_shmem *)f; }

static void shmem_get(struct mm_file *f)
{
	__atomic_add_fetch(&to_shmem(f)->refs, 1, __ATOMIC_RELAXED);
}

static void shmem_put(struct mm_file *f)
{
	struct mm_shmem *s = to_shmem(f);
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	uint64_t a = 0, pte;
	while (pt_next(&s->pages, &a, UINT64_MAX >> 16, &pte)) {
		memfile_decref(s->mf, PTE_OFFSET(pte), 1);
		a += PAGE_SIZE;
	}
	pt_destroy(&s->pages);
	vmutex_destroy(&s->lock);
	free(s);
}

static int64_t shmem_shared_page(struct mm_file *f, uint64_t pgoff)
{
	struct mm_shmem *s = to_shmem(f);
	if (pgoff >= (1ULL << (47 - PAGE_SHIFT)))
		return -EINVAL;
	uint64_t key = pgoff << PAGE_SHIFT;
	vmutex_lock(&s->lock);
	uint64_t pte = pt_get(&s->pages, key);
	int64_t off;
	if (pte) {
		off = (int64_t)PTE_OFFSET(pte);
		memfile_incref(s->mf, (uint64_t)off, 1);
	} else {
		off = memfile_alloc(s->mf, 1);
		if (off >= 0) {
			if (pt_set(&s->pages, key, (uint64_t)off | PTE_PRESENT) < 0) {
				memfile_decref(s->mf, (uint64_t)off, 1);
				off = -ENOMEM;
			} else {
				/* One ref for the object (set at alloc), one for the caller. */
				memfile_incref(s->mf, (uint64_t)off, 1);
			}
		}
	}
	vmutex_unlock(&s->lock);
	return off;
}

uint64_t mm_shmem_pages(struct mm_file *f)
{
	struct mm_shmem *s = to_shmem(f);
	vmutex_lock(&s->lock);
	uint64_t n = s->pages.nr_present;
	vmutex_unlock(&s->lock);
	return n;
}

static int64_t shmem_size(struct mm_file *f) { return INT64_MAX; }

static const struct mm_file_ops shmem_ops = {
    .get = shmem_get,
    .put = shmem_put,
    .pread = NULL,
    .shared_page = shmem_shared_page,
    .size = shmem_size,
};

struct mm_file *mm_shmem_new(struct memfile *mf)
{
	struct mm_shmem *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->file.ops = &shmem_ops;
	s->file.name = (char *)"/dev/zero (deleted)";
	s->refs = 1;
	s->mf = mf;
	vmutex_init(&s->lock, LOCK_CLASS(SHMEM));
	return &s->file;
}
