/*
 * mm_internal.h — shared between the files of sentry/mm/ only: the page
 * table, the VMA list, the anonymous shared-memory object and struct mm.
 * Nothing outside sentry/mm/ (except its unit tests) includes this.
 */
#ifndef VISOR_SENTRY_MM_INTERNAL_H
#define VISOR_SENTRY_MM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <stdint.h>

#include "lib/lockdep.h"
#include "lib/page.h"
#include "sentry/mm/mm.h"

/* Lowest address mmap may hand out or MAP_FIXED may target (Linux's default
 * vm.mmap_min_addr, 64 KiB: keeps NULL-pointer dereferences faulting). */
#define MM_MIN_ADDR 0x10000ULL
/* Linux's stack_guard_gap: 256 pages kept free below a MAP_GROWSDOWN VMA. */
#define MM_STACK_GUARD_GAP (256ULL << PAGE_SHIFT)
/* Default RLIMIT_STACK (8 MiB), the most a growsdown stack grows to. */
#define MM_DEFAULT_STACK_LIMIT (8ULL << 20)
#define MM_DEFAULT_MMAP_BASE 0x7f0000000000ULL
/* Fault-around window in pages (aligned, clipped to the VMA): private
 * anonymous memory, and a write's window (copy-on-write breaks). */
#define MM_FAULT_AROUND 16
/* The window of a first touch in private anonymous memory whose page just
 * below the MM_FAULT_AROUND window is present already: memory being filled
 * upward.  cc1's 4 MiB of GC pages took 46 faults per compile with 16-page
 * windows. */
#define MM_FAULT_AROUND_SEQ 64
/* ... and longer still as the region grows: the window is as long as the
 * present run below it (so the windows double), up to 512 pages, 2 MiB, what
 * a transparent huge page gives Linux's first touch.  cc1's GC pages and heap
 * took 32 faults per compile with 64-page windows. */
#define MM_FAULT_AROUND_SEQ_MAX 512
/* The window a write fault copies at once in a private mapping of the
 * mm's executable (mm.c's mm_cow_copy_window): python3's 1.3 MiB .data takes
 * about 20 write faults so, against over 300 page by page. */
#define MM_FAULT_AROUND_EXE_COPY 64
/* The same for a loaded library's data (VMA_LOADED): libc's six pages of
 * .data and .got, written by ld.so's relocations, took six faults per
 * exec. */
#define MM_FAULT_AROUND_LIB_COPY MM_FAULT_AROUND
/* The window of a read or exec fault in a file mapping, larger: its pages
 * are the file's cached ones (shared, nothing allocated per process), and
 * a fault costs a platform round trip or two, so the text and read-only
 * data a new program touches (ld.so, libc) map in a few faults rather than
 * one per 64 KiB.  Also what the page cache reads at one miss.  128 pages
 * (512 KiB) rather than 64: with pages kept after the last unmapping most
 * windows are already cached, and a run of python3 imports, git and tar
 * took 2196 faults instead of 2396 and about a tenth less time. */
#define MM_FAULT_AROUND_FILE 128
/* The window of a read or exec fault in a file mapping over the pages the
 * file already has in memory (mm_file_ops.cached_page): mapping them costs
 * no read, only the platform's map of each run of frames.  libc's 1.3 MiB
 * text took three faults per exec with 512 KiB windows; cc1's 20 MiB text
 * and 10 MiB read-only data took 15 per compile with 2 MiB ones, python3's
 * start-up 6 in its 2.7 MiB text: 8 MiB windows. */
#define MM_FAULT_AROUND_CACHED 2048
/* The pages of a brk growth mapped at the brk (mm.c's populate_anon): 64,
 * 256 KiB, more than glibc's default trim threshold (128 KiB). */
#define MM_BRK_POPULATE 64

/* ---- page table: app page -> memory file page ----
 * A 4-level radix tree of 512-entry nodes over 47-bit addresses.  An entry
 * is the memory-file byte offset of the page (page aligned) with flags in the
 * low 12 bits; 0 means "not present".  Every present entry holds one
 * reference on its memory-file page. */
#define PTE_PRESENT 0x1ULL
#define PTE_COW 0x2ULL	  /* private page shared with another mm: write must copy */
#define PTE_MAPPED 0x4ULL /* the platform addr_space maps it, with the prot below */
#define PTE_MPROT_SHIFT 3 /* PROT_READ|WRITE|EXEC the platform mapping has (3 bits) */
#define PTE_MPROT_MASK (7ULL << PTE_MPROT_SHIFT)
/* A shared page of a file with page_mkwrite that the file knows is dirty: it
 * may be mapped writable.  Without it such a page is mapped read-only, and
 * the first write faults and tells the file (write notification). */
#define PTE_DIRTY 0x40ULL
#define PTE_FLAGS_MASK (PAGE_SIZE - 1)
#define PTE_OFFSET(p) ((p) & ~PTE_FLAGS_MASK)
#define PTE_MPROT(p) ((int)(((p)&PTE_MPROT_MASK) >> PTE_MPROT_SHIFT))

struct pt_node;
struct pagetable {
	struct pt_node *root;
	uint64_t nr_present;
	uint64_t peak_present; /* the most entries it ever held */
};

/* Linux's heuristic overcommit check: more than the host's RAM and swap. */
bool mm_commit_too_big(uint64_t bytes);

uint64_t pt_get(const struct pagetable *pt, uint64_t addr);
/* Set (pte != 0) or clear (pte == 0) the entry of addr.  Only creating an
 * entry can fail (-ENOMEM, nothing changed). */
int pt_set(struct pagetable *pt, uint64_t addr, uint64_t pte);
/* The first present entry at or above *addr and below end: sets *addr and
 * *pte and returns true, or returns false. */
bool pt_next(const struct pagetable *pt, uint64_t *addr, uint64_t end, uint64_t *pte);
/* How many pages just below addr, down to floor, are present: at most max. */
uint64_t pt_present_below(const struct pagetable *pt, uint64_t addr, uint64_t floor, uint64_t max);
/* Free all nodes (entries are dropped without touching refcounts). */
void pt_destroy(struct pagetable *pt);

/* ---- VMAs ---- */
#define VMA_SHARED 0x1u
#define VMA_GROWSDOWN 0x2u
#define VMA_DONTFORK 0x4u
#define VMA_WIPEONFORK 0x8u
#define VMA_SHMEM 0x10u /* MAP_SHARED|MAP_ANONYMOUS: file is an internal shmem object */
#define VMA_LOCKED 0x20u      /* mlock()ed: counted in mm->locked_pages (mlock.c) */
#define VMA_LOCKONFAULT 0x40u /* with VMA_LOCKED: pages are not populated at once */
#define VMA_LOCK_MASK (VMA_LOCKED | VMA_LOCKONFAULT)
#define VMA_NOMAYWRITE 0x80u /* shared, of a file not open for writing (Linux: !VM_MAYWRITE) */
/* Private, of a file, mapped with MAP_DENYWRITE: a segment of an ELF image
 * that a loader (ld.so) mapped; Linux ignores the flag, mm.c's
 * cow_window_allowed uses it. */
#define VMA_LOADED 0x100u

struct vma {
	uint64_t start, end; /* page aligned, [start, end) */
	int prot;
	unsigned flags;
	struct mm_file *file; /* NULL for private anonymous memory; one ref held */
	uint64_t off;	      /* byte offset in file of start */
	uint32_t faults;      /* page faults it served (introspect.c's histogram) */
	struct vma *next_dead; /* on vma_list.dead */
};

/* The VMAs of an mm: an array sorted by address (binary search; inserts
 * move pointers, fine for the few thousand VMAs real programs have). */
struct vma_list {
	struct vma **v;
	size_t n, cap;
	/* VMAs taken out under mm->lock whose file reference may be the last:
	 * freed by mm_unlock after the lock is dropped (LOCKING.md rule 4: a
	 * last file_put may talk to the Gofer or take vfs_tree_lock). */
	struct vma *dead;
};

/* Index of the first VMA whose end is above addr (n when none). */
size_t vmas_lower(const struct vma_list *l, uint64_t addr);
/* The VMA containing addr, or NULL. */
struct vma *vmas_find(const struct vma_list *l, uint64_t addr, size_t *idx);
int vmas_insert(struct vma_list *l, struct vma *v); /* -ENOMEM */
void vmas_remove(struct vma_list *l, size_t i);	    /* does not free */
/* Make addr a VMA boundary (split the VMA containing it). -ENOMEM. */
int vmas_split_at(struct vma_list *l, uint64_t addr);
/* Merge VMA i with its neighbours where they are compatible. */
void vmas_merge_around(struct vma_list *l, size_t i);
struct vma *vma_dup(const struct vma *v); /* with a new file ref */
/* Drops the file ref: under mm->lock only for a VMA whose file another VMA
 * still holds (a copy or a merge); else vma_retire. */
void vma_free(struct vma *v);
/* Under mm->lock: free v once the lock is dropped (mm_unlock). */
void vma_retire(struct vma_list *l, struct vma *v);
/* Drop mm->lock, then free the VMAs retired under it. */
void mm_unlock(struct mm *mm);
void vmas_destroy(struct vma_list *l);	  /* frees every VMA */

/* Does a write to a page of v need the file told first (page_mkwrite)? */
static inline bool vma_write_notify(const struct vma *v)
{
	return (v->flags & VMA_SHARED) && v->file && v->file->ops->page_mkwrite;
}

/* What the platform may allow for a page of v: the VMA's prot, without write
 * while the page is shared copy-on-write or not yet known dirty to a file
 * that wants to be told. */
static inline int vma_page_prot(const struct vma *v, uint64_t pte)
{
	int p = v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
	if ((pte & PTE_COW) || (vma_write_notify(v) && !(pte & PTE_DIRTY)))
		p &= ~PROT_WRITE;
	return p;
}

/* ---- the address space ---- */
struct mm {
	struct vmutex lock; /* VMAs, page table, brk/mmap settings; before memfile lock */
	int refs;	      /* atomic */
	struct memfile *mf;
	struct platform *plat;
	struct addr_space *as;
	struct vma_list vmas;
	struct pagetable pt;
	uint64_t mmap_base;
	uint64_t brk_start, brk;
	uint64_t stack_start, stack_end;
	uint64_t stack_limit;
	uint64_t map_gen; /* bumped by every platform map (see mm_handle_fault) */
	uint64_t locked_pages; /* pages of VMA_LOCKED VMAs (Linux's locked_vm, VmLck) */
	unsigned def_flags;    /* VMA flags every new mapping gets (mlockall MCL_FUTURE) */
	uint64_t lock_limit;   /* RLIMIT_MEMLOCK in pages, or MM_NO_LOCK_LIMIT (atomic) */
	struct mm *list_prev, *list_next; /* the live mms (filemap.c), under mm_list_lock */
	/* The executable whose file nobody may write while this mm runs it
	 * (mm_set_exe_file), with a reference; set before the mm runs, then
	 * read-only. */
	struct mm_file *exe;
	/* The AIO contexts (mm_aio), released with the mm; set under lock. */
	void *aio;
	void (*aio_release)(void *aio);
};

/* ---- helpers of mm.c that fork.c shares ---- */

/* pte with the platform mapping it with prot (PTE_MAPPED). */
static inline uint64_t pte_mapped(uint64_t pte, int prot)
{
	return (pte & ~PTE_MPROT_MASK) | PTE_MAPPED | ((uint64_t)prot << PTE_MPROT_SHIFT);
}

/* The platform's map and protect of mm's address space (none before it has
 * one); a map bumps map_gen, a protect that fails unmaps instead. */
int mm_plat_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, uint64_t off);
void mm_plat_protect(struct mm *mm, uint64_t addr, uint64_t len, int prot);

/* Memory-file references taken or dropped in runs of contiguous frames: one
 * memfile lock round trip per run instead of per page. */
struct mm_page_run {
	struct memfile *mf;
	void (*apply)(struct memfile *mf, uint64_t offset, uint64_t npages);
	uint64_t off, n;
};
void mm_page_run_add(struct mm_page_run *r, uint64_t off);
void mm_page_run_flush(struct mm_page_run *r);

/* ---- locked memory (mlock.c), all under mm->lock ---- */
/* v leaves / joins the address space: keep locked_pages in step. */
void mm_account_unmap_locked(struct mm *mm, const struct vma *v);
void mm_account_map_locked(struct mm *mm, const struct vma *v);
/* May `bytes` more be mapped with vma_flags under the limit (pages)?  As
 * Linux's mlock_future_ok (the caller's errno is EAGAIN). */
bool mm_lock_ok_locked(struct mm *mm, unsigned vma_flags, uint64_t bytes, uint64_t limit);
/* Fault in what locked VMAs hold of [start, end); -EFAULT at a page that
 * cannot be had. */
int mm_populate_range_locked(struct mm *mm, uint64_t start, uint64_t end);

/* May the calling thread change mm's platform mappings now?  (Its own mm,
 * yes; another process's, only where the platform allows: see
 * platform_ops.as_can_change.) */
static inline bool mm_platform_can_change(struct mm *mm)
{
	return !mm->as || !mm->plat->ops->as_can_change || mm->plat->ops->as_can_change(mm->as);
}

/* introspect.c.  The faults of mm's VMAs, the most faulted ones written
 * into buf (see there); and that, logged when the debug log is on and the
 * faults are many (mm_put, as the mm goes). */
uint64_t mm_fault_histogram(struct mm *mm, char *buf, size_t len);
void mm_log_faults(struct mm *mm);

/* filemap.c: the live mms, where a file's pages are looked for. */
void mm_list_add(struct mm *mm);
void mm_list_del(struct mm *mm);
/* mm.c, under mm->lock: drop every page of [start, end) (platform mapping,
 * entry, reference); make the platform's mapping of [start, end) prot. */
void mm_zap_locked(struct mm *mm, uint64_t start, uint64_t end);
void mm_protect_locked(struct mm *mm, uint64_t start, uint64_t end, int prot);

/* Under mm->lock.  Make sure the page at addr (in vma) is present, filling
 * it as a first touch would; when `write`, break copy-on-write.  Returns the
 * entry, or -EIO (past EOF, file error, out of memory). */
int64_t mm_populate_locked(struct mm *mm, struct vma *vma, uint64_t page, bool write);
/* Under mm->lock.  The VMA containing addr, growing a MAP_GROWSDOWN stack
 * down to it if addr is just below one (as a Linux fault would). */
struct vma *mm_find_vma_grow_locked(struct mm *mm, uint64_t addr);

/* The fault path's pieces (mm.c), for what is mapped ahead (loadahead.c).
 * mm_fault_window: the window of `pages` pages for page of vma (aligned,
 * within the VMA; all of a VMA no larger).  mm_prefill_file: the file's pages
 * of [lo, hi) into the page table (cached_only: only those already in memory).
 * mm_cow_copy_window: private copies of the pages of [lo, hi) still shared
 * with the file's cache.  mm_map_window: the present pages of [lo, hi) mapped
 * on the platform, one map per run. */
void mm_fault_window(const struct vma *vma, uint64_t page, uint64_t pages, uint64_t *lo,
		     uint64_t *hi);
void mm_prefill_file(struct mm *mm, struct vma *vma, uint64_t lo, uint64_t hi, bool cached_only);
void mm_cow_copy_window(struct mm *mm, uint64_t lo, uint64_t hi);
int mm_map_window(struct mm *mm, struct vma *vma, uint64_t lo, uint64_t hi);
/* Allocate and map the private anonymous pages of [start, end), one VMA's. */
void mm_populate_anon(struct mm *mm, uint64_t start, uint64_t end);
/* Does a platform map made now hold (map_before_entry, or a host process)? */
bool mm_plat_maps_hold(struct mm *mm);
/* ld.so mapped [start, end), a library's writable data (loadahead.c): map
 * ahead what it touches next.  Under mm->lock, where platform maps hold. */
void mm_load_ahead_locked(struct mm *mm, uint64_t start, uint64_t end);
/* [start, end) is a new read-only mapping of a small file, not at a fixed
 * address and not a library's (ld.so.cache, a gconv cache): map its pages
 * now (loadahead.c).  Under mm->lock, where platform maps hold. */
void mm_read_ahead_locked(struct mm *mm, uint64_t start, uint64_t end);

#endif
