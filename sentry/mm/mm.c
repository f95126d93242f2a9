/*
 * mm.c — application address spaces: mmap/munmap/mprotect/mremap/madvise,
 * brk, fork (copy-on-write), page faults, and the life of struct mm.
 *
 * The page table (pagetable.c) is the truth; the platform addr_space is a
 * cache of it filled by mm_handle_fault.  Every page-table entry records
 * whether, and with which prot, the platform maps it (PTE_MAPPED,
 * PTE_MPROT), so that:
 *   - any change or removal of an entry first removes/changes the platform
 *     mapping (the app never sees a stale frame), and only where one exists
 *     (fewer platform calls);
 *   - a fault can be classified: the platform does not report the access
 *     type, but a fault on a page mapped without PROT_WRITE in a VMA that
 *     allows writing is a write (copy-on-write break or upgrade).
 *
 * Deliberate simplifications, each also noted at its site:
 *   - MAP_PRIVATE pages of a file without shared_page are a snapshot read at
 *     first touch (Linux shows later writes to the file until the page is
 *     written); files with shared_page behave as Linux.
 *   - files cannot invalidate mappings of their pages (no truncate
 *     notification): pages of a shrunk file stay mapped until unmapped.
 *   - file open-mode checks (PROT_WRITE on a MAP_SHARED mapping of a file
 *     opened read-only, EACCES) are the caller's business at mmap time; it
 *     marks such a mapping MM_MAP_NOMAYWRITE, and mprotect refuses it write.
 *   - mprotect over a range with holes fails with ENOMEM before changing
 *     anything (Linux changes the VMAs before the hole, then fails).
 *   - MAP_HUGETLB is not supported (ENOMEM, as Linux without reserved huge
 *     pages).
 *
 * Locking: mm->lock is held for every operation, across platform calls
 * (never across a context switch); memfile and shmem locks nest inside.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>

#include "lib/lockdep.h"
#include "lib/log.h"
#include "sentry/mm/mm_internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif

#define PROT_RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define MAP_TYPE_MASK 0x0f

/* The flags MAP_SHARED_VALIDATE accepts (Linux's LEGACY_MAP_MASK). */
#define LEGACY_MAP_MASK                                                                            \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |   \
	 MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |           \
	 MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT | MAP_FIXED_NOREPLACE)

/* ---- platform cache helpers ---- */

int mm_plat_map(struct mm *mm, uint64_t addr, uint64_t len, int prot, uint64_t off)
{
	mm->map_gen++;
	if (!mm->as)
		return 0;
	int err = mm->plat->ops->as_map(mm->as, addr, len, prot, off);
	if (err < 0)
		log_warn("mm: platform map %#llx+%#llx failed: %d", (unsigned long long)addr,
			 (unsigned long long)len, err);
	return err;
}

static void plat_unmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if (!mm->as)
		return;
	int err = mm->plat->ops->as_unmap(mm->as, addr, len);
	if (err < 0)
		log_warn("mm: platform unmap %#llx+%#llx failed: %d", (unsigned long long)addr,
			 (unsigned long long)len, err);
}

void mm_plat_protect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	if (!mm->as)
		return;
	int err = mm->plat->ops->as_protect(mm->as, addr, len, prot);
	if (err < 0) {
		/* Never leave a mapping more permissive than the page table:
		 * drop it instead; the next fault remaps it right. */
		log_warn("mm: platform protect failed (%d), unmapping", err);
		mm->plat->ops->as_unmap(mm->as, addr, len);
	}
}

/* What the platform may allow for a page: the VMA's prot, without write
 * while the page is shared copy-on-write. */
static int eff_prot(const struct vma *v, uint64_t pte)
{
	return vma_page_prot(v, pte);
}

static uint64_t pte_unmapped(uint64_t pte) { return pte & ~(PTE_MAPPED | PTE_MPROT_MASK); }

/* Remove the platform's mappings of [start, end) (one call over the span of
 * mapped pages) and forget them in the page table. */
static void unmap_platform(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t a = start, pte, lo = 0, hi = 0;
	while (pt_next(&mm->pt, &a, end, &pte)) {
		if (pte & PTE_MAPPED) {
			if (hi == 0)
				lo = a;
			hi = a + PAGE_SIZE;
			pt_set(&mm->pt, a, pte_unmapped(pte));
		}
		a += PAGE_SIZE;
	}
	if (hi)
		plat_unmap(mm, lo, hi - lo);
}

void mm_page_run_flush(struct mm_page_run *r)
{
	if (r->n)
		r->apply(r->mf, r->off, r->n);
	r->n = 0;
}

void mm_page_run_add(struct mm_page_run *r, uint64_t off)
{
	if (r->n && r->off + r->n * PAGE_SIZE == off) {
		r->n++;
		return;
	}
	mm_page_run_flush(r);
	r->off = off;
	r->n = 1;
}

/* Drop the reference of every page in [start, end); clear its entry too
 * unless the whole page table is about to go. */
static void release_pages(struct mm *mm, uint64_t start, uint64_t end, bool clear)
{
	struct mm_page_run run = {.mf = mm->mf, .apply = memfile_decref};
	uint64_t a = start, pte;
	while (pt_next(&mm->pt, &a, end, &pte)) {
		mm_page_run_add(&run, PTE_OFFSET(pte));
		if (clear)
			pt_set(&mm->pt, a, 0);
		a += PAGE_SIZE;
	}
	mm_page_run_flush(&run);
}

/* Drop every page of [start, end): platform mapping, entry, reference. */
static void zap_range(struct mm *mm, uint64_t start, uint64_t end)
{
	unmap_platform(mm, start, end);
	release_pages(mm, start, end, true);
}

void mm_zap_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	zap_range(mm, start, end);
}

void mm_protect_locked(struct mm *mm, uint64_t start, uint64_t end, int prot)
{
	mm_plat_protect(mm, start, end - start, prot);
}

/* ---- life of an mm ---- */

struct mm *mm_new(struct memfile *mf, struct platform *plat)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	if (!mm)
		return NULL;
	vmutex_init(&mm->lock, LOCK_CLASS(MM));
	mm->refs = 1;
	mm->mf = mf;
	mm->plat = plat;
	if (plat) {
		mm->as = plat->ops->new_addr_space(plat);
		if (!mm->as) {
			vmutex_destroy(&mm->lock);
			free(mm);
			return NULL;
		}
	}
	mm->mmap_base = MM_DEFAULT_MMAP_BASE;
	mm->stack_limit = MM_DEFAULT_STACK_LIMIT;
	mm->lock_limit = MM_NO_LOCK_LIMIT;
	mm_list_add(mm);
	return mm;
}

void mm_unlock(struct mm *mm)
{
	struct vma *dead = mm->vmas.dead;
	mm->vmas.dead = NULL;
	vmutex_unlock(&mm->lock);
	while (dead) {
		struct vma *next = dead->next_dead;
		vma_free(dead);
		dead = next;
	}
}

/* Linux's heuristic overcommit (vm.overcommit_memory 0, OVERCOMMIT_GUESS in
 * __vm_enough_memory): a single mapping or brk growth of more than the
 * host's RAM and swap together is ENOMEM.  Without it, brk(14 TiB) then
 * mlockall(MCL_CURRENT) had the Sentry populate the whole range
 * (test_syscall_fuzz). */
bool mm_commit_too_big(uint64_t bytes)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		return false;
	uint64_t unit = si.mem_unit ? si.mem_unit : 1;
	return bytes / unit > (uint64_t)si.totalram + si.totalswap;
}

/* Pages mapped at once above which an mm's exit trims malloc (1 GiB). */
#define MM_TRIM_PAGES (1ULL << 18)

void mm_get(struct mm *mm) { __atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED); }

void mm_put(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	mm_list_del(mm);
	mm_log_faults(mm);
	/* No platform unmaps: as_release drops the whole host address space,
	 * before the pages go back to the memory file, so no host process maps
	 * a frame that is handed out again (and punching one need not unmap it
	 * from the stub). */
	if (mm->as)
		mm->plat->ops->as_release(mm->as);
	release_pages(mm, 0, PLAT_APP_TOP, false);
	if (mm->exe)
		mm->exe->ops->put(mm->exe);
	if (mm->aio)
		mm->aio_release(mm->aio);
	bool big = mm->pt.peak_present >= MM_TRIM_PAGES;
	pt_destroy(&mm->pt);
	vmas_destroy(&mm->vmas);
	vmutex_destroy(&mm->lock);
	free(mm);
	/* A page table that mapped this much (mlockall or MAP_POPULATE of a
	 * huge range: 8 bytes a page) leaves megabytes of freed nodes in
	 * malloc's arenas; give them back, so the Sentry's RSS comes down when
	 * such a process exits (test_syscall_fuzz). */
	if (big)
		malloc_trim(0);
}

/*
 * execve dropping the mm it replaced by mm (never entered yet).  When that
 * was old's last reference (nobody can take another: t->mm, which they take
 * theirs from, already points to mm) the platform may hand old's host
 * address space, emptied, to mm instead of mm making one of its own (a stub
 * process per exec, on systrap).  The file walk (filemap.c) still finds old
 * on the list until mm_put: it finds old->as gone, under old->lock.
 */
void mm_put_exec(struct mm *old, struct mm *mm)
{
	struct platform *plat = old->plat;
	if (plat && plat == mm->plat && plat->ops->as_recycle && old->as && mm->as &&
	    __atomic_load_n(&old->refs, __ATOMIC_ACQUIRE) == 1) {
		vmutex_lock(&old->lock);
		struct addr_space *as = old->as;
		old->as = NULL;
		vmutex_unlock(&old->lock);
		/* Under mm->lock: no platform call on mm->as meanwhile. */
		vmutex_lock(&mm->lock);
		int err = plat->ops->as_recycle(as, mm->as);
		vmutex_unlock(&mm->lock);
		/* Before the pages go back to the memory file, as mm_put. */
		if (err)
			plat->ops->as_release(as);
	}
	mm_put(old);
}

struct addr_space *mm_addr_space(struct mm *mm) { return mm->as; }

void mm_set_exe_file(struct mm *mm, struct mm_file *f)
{
	if (f)
		f->ops->get(f);
	if (mm->exe)
		mm->exe->ops->put(mm->exe);
	mm->exe = f;
}

/* ---- placement ---- */

/* Lowest address a VMA leaves free below itself (Linux's vm_start_gap). */
static uint64_t start_gap(const struct vma *v)
{
	if (!(v->flags & VMA_GROWSDOWN))
		return v->start;
	return v->start > MM_STACK_GUARD_GAP ? v->start - MM_STACK_GUARD_GAP : 0;
}

/* Is [addr, addr+len) free, keeping clear of stack guard gaps? */
static bool range_free(struct mm *mm, uint64_t addr, uint64_t len)
{
	if (addr < MM_MIN_ADDR || addr + len < addr || addr + len > PLAT_APP_TOP)
		return false;
	size_t i = vmas_lower(&mm->vmas, addr);
	return i == mm->vmas.n || addr + len <= start_gap(mm->vmas.v[i]);
}

/* The highest free [x, x+len) within [low, high), or 0. */
static uint64_t find_topdown(struct mm *mm, uint64_t low, uint64_t high, uint64_t len)
{
	struct vma_list *l = &mm->vmas;
	size_t i = vmas_lower(l, high);
	uint64_t gap_end = high;
	if (i < l->n && start_gap(l->v[i]) < gap_end)
		gap_end = start_gap(l->v[i]);
	for (;;) {
		uint64_t gap_start = i > 0 ? l->v[i - 1]->end : low;
		if (gap_start < low)
			gap_start = low;
		if (gap_end > gap_start && gap_end - gap_start >= len)
			return gap_end - len;
		if (i == 0)
			return 0;
		i--;
		gap_end = start_gap(l->v[i]);
		if (gap_end <= low)
			return 0;
	}
}

static uint64_t find_free(struct mm *mm, uint64_t hint, uint64_t len, bool low32)
{
	if (low32) /* MAP_32BIT: Linux x86_64 places these in [1 GiB, 2 GiB) */
		return find_topdown(mm, 0x40000000ULL, 0x80000000ULL, len);
	if (hint) {
		uint64_t h = PAGE_ROUND_DOWN(hint); /* x86's hint rounds down */
		if (range_free(mm, h, len))
			return h;
	}
	uint64_t a = find_topdown(mm, MM_MIN_ADDR, mm->mmap_base, len);
	if (!a) /* as Linux's fallback: anywhere at all */
		a = find_topdown(mm, MM_MIN_ADDR, PLAT_APP_TOP, len);
	return a;
}

/* Unmap [s, e) (page aligned): pages, platform mappings and VMAs. */
static int unmap_range(struct mm *mm, uint64_t s, uint64_t e)
{
	if (s >= e)
		return 0;
	if (vmas_split_at(&mm->vmas, s) < 0 || vmas_split_at(&mm->vmas, e) < 0)
		return -ENOMEM;
	zap_range(mm, s, e);
	size_t i = vmas_lower(&mm->vmas, s);
	while (i < mm->vmas.n && mm->vmas.v[i]->start < e) {
		mm_account_unmap_locked(mm, mm->vmas.v[i]);
		vma_retire(&mm->vmas, mm->vmas.v[i]);
		vmas_remove(&mm->vmas, i);
	}
	return 0;
}

static int insert_merge(struct mm *mm, struct vma *v)
{
	int err = vmas_insert(&mm->vmas, v);
	if (err < 0)
		return err;
	size_t i;
	vmas_find(&mm->vmas, v->start, &i);
	vmas_merge_around(&mm->vmas, i);
	return 0;
}

/* ---- faults and population ---- */

/* Copy-on-write break of the present entry pte at page: the last reference
 * just becomes writable; otherwise the contents move to a new page.  With
 * `remap` (the page's VMA), a platform mapping of the old frame is moved to
 * the new one now, with all the VMA allows (a Sentry write into a fork
 * child's page, its tid at clone: the child then uses it without a fault),
 * or removed if that fails; the fault path passes NULL: it maps the new
 * frame at once. */
static int64_t cow_break(struct mm *mm, uint64_t page, uint64_t pte, const struct vma *remap)
{
	uint64_t off = PTE_OFFSET(pte);
	uint64_t np;
	if (memfile_refcount(mm->mf, off) == 1) {
		np = pte & ~PTE_COW;
	} else {
		int64_t noff = memfile_alloc_raw(mm->mf, 1); /* the copy writes it all */
		if (noff < 0)
			return -EIO;
		memcpy(memfile_ptr(mm->mf, (uint64_t)noff), memfile_ptr(mm->mf, off), PAGE_SIZE);
		memfile_decref(mm->mf, off, 1);
		np = (uint64_t)noff | PTE_PRESENT;
		int prot = remap ? eff_prot(remap, np) : PTE_MPROT(pte);
		if ((pte & PTE_MAPPED) && remap &&
		    mm_plat_map(mm, page, PAGE_SIZE, prot, (uint64_t)noff) < 0)
			plat_unmap(mm, page, PAGE_SIZE);
		else if (pte & PTE_MAPPED)
			np = pte_mapped(np, prot);
	}
	pt_set(&mm->pt, page, np);
	return (int64_t)np;
}

/* Read a private file page; the frame is already zeroed, so a short read
 * leaves zeroes after EOF as Linux does. */
static int fill_from_file(struct mm *mm, struct mm_file *f, uint64_t off, uint64_t foff)
{
	char *buf = memfile_ptr(mm->mf, off);
	size_t got = 0;
	while (got < PAGE_SIZE) {
		ssize_t n = f->ops->pread(f, buf + got, PAGE_SIZE - got, foff + got);
		if (n < 0)
			return got ? 0 : -EIO;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return 0;
}

/* The memory-file page for file page foff of vma, with a reference for
 * the caller, and whether it must be copy-on-write.  A private mapping of a
 * file that offers shared_page maps the file's own page copy-on-write, as
 * Linux maps the page cache: no copy until the first write, and the file's
 * changes show until then.  Otherwise a private copy is read with pread. */
static int64_t file_page(struct mm *mm, struct vma *vma, uint64_t foff, bool *cow)
{
	struct mm_file *f = vma->file;
	*cow = false;
	if (f->ops->shared_page) {
		int64_t off = f->ops->shared_page(f, foff >> PAGE_SHIFT);
		if (off < 0)
			return -EIO;
		*cow = !(vma->flags & VMA_SHARED);
		return off;
	}
	if (vma->flags & VMA_SHARED) /* mmap refuses this (ENODEV) */
		return -EIO;
	int64_t off = memfile_alloc(mm->mf, 1);
	if (off < 0)
		return -EIO;
	if (fill_from_file(mm, f, (uint64_t)off, foff) < 0) {
		memfile_decref(mm->mf, (uint64_t)off, 1);
		return -EIO;
	}
	return off;
}

/* Tell vma's file that its page at page is being written (write
 * notification), and mark the entry *pte dirty: the platform may then map it
 * writable. */
static int page_mkwrite(struct mm *mm, struct vma *vma, uint64_t page, uint64_t *pte)
{
	uint64_t foff = vma->off + (page - vma->start);
	int r = vma->file->ops->page_mkwrite(vma->file, foff >> PAGE_SHIFT);
	if (r < 0)
		return r;
	*pte |= PTE_DIRTY;
	pt_set(&mm->pt, page, *pte);
	return 0;
}

int64_t mm_populate_locked(struct mm *mm, struct vma *vma, uint64_t page, bool write)
{
	uint64_t pte = pt_get(&mm->pt, page);
	if (!pte) {
		int64_t off;
		bool cow = false;
		struct mm_file *f = vma->file;
		if (!f) {
			off = memfile_alloc(mm->mf, 1);
			if (off < 0)
				return -EIO;
		} else {
			uint64_t foff = vma->off + (page - vma->start);
			int64_t size = f->ops->size(f);
			if (size < 0 || foff >= (uint64_t)size)
				return -EIO; /* SIGBUS: page entirely past EOF */
			off = file_page(mm, vma, foff, &cow);
			if (off < 0)
				return off;
		}
		pte = (uint64_t)off | PTE_PRESENT | (cow ? PTE_COW : 0);
		if (pt_set(&mm->pt, page, pte) < 0) {
			memfile_decref(mm->mf, (uint64_t)off, 1);
			return -EIO;
		}
	}
	if (write && (pte & PTE_COW))
		return cow_break(mm, page, pte, vma);
	if (write && vma_write_notify(vma) && !(pte & PTE_DIRTY) &&
	    page_mkwrite(mm, vma, page, &pte) < 0)
		return -EIO;
	return (int64_t)pte;
}

struct vma *mm_find_vma_grow_locked(struct mm *mm, uint64_t addr)
{
	struct vma_list *l = &mm->vmas;
	size_t i = vmas_lower(l, addr);
	if (i == l->n)
		return NULL;
	struct vma *v = l->v[i];
	if (v->start <= addr)
		return v;
	/* Linux 6.x expand_downwards(): any address below a MAP_GROWSDOWN VMA
	 * grows it (no %rsp distance check since 4.20), as long as the stack
	 * stays within RLIMIT_STACK, above mmap_min_addr, and stack_guard_gap
	 * (256 pages) away from an accessible non-stack VMA below. */
	if (!(v->flags & VMA_GROWSDOWN) || addr >= PLAT_APP_TOP)
		return NULL;
	uint64_t ns = PAGE_ROUND_DOWN(addr);
	if (ns < MM_MIN_ADDR || ns < MM_STACK_GUARD_GAP || v->end - ns > mm->stack_limit)
		return NULL;
	if (i > 0) {
		struct vma *prev = l->v[i - 1];
		if (!(prev->flags & VMA_GROWSDOWN) && (prev->prot & PROT_RWX) &&
		    ns - prev->end < MM_STACK_GUARD_GAP)
			return NULL;
	}
	if (v->file) {
		if (v->off < v->start - ns)
			return NULL;
		v->off -= v->start - ns;
	}
	v->start = ns;
	return v;
}

/* Per task thread: the last page whose fault found nothing to change (the
 * platform already maps it with all the VMA allows).  Such a fault is either
 * a race (another thread mapped the page after our access failed) or an
 * access the VMA forbids that the platform cannot name (executing a non-exec
 * page, writing a read-only one).  If the same thread faults on the same
 * page again and no mapping was made in the mm since (map_gen unchanged),
 * nobody can have fixed it: SEGV_ACCERR.  The count bounds the retries when
 * other threads keep mapping. */
#define MM_SPURIOUS_MAX 16
static __thread struct mm *spurious_mm;
static __thread uint64_t spurious_page, spurious_gen;
static __thread int spurious_count;

/* Map the fault-around window [lo, hi) of vma: every present page, in as
 * few platform calls as there are runs of contiguous memory-file offsets
 * with one prot. */
int mm_map_window(struct mm *mm, struct vma *vma, uint64_t lo, uint64_t hi)
{
	uint64_t run_addr = 0, run_off = 0, run_n = 0;
	int run_prot = -1;
	bool run_new = false;
	int err = 0;
	for (uint64_t a = lo; a <= hi; a += PAGE_SIZE) {
		uint64_t pte = a < hi ? pt_get(&mm->pt, a) : 0;
		int prot = -1;
		if (pte) {
			if ((pte & PTE_COW) && (vma->prot & PROT_WRITE) &&
			    memfile_refcount(mm->mf, PTE_OFFSET(pte)) == 1) {
				/* Nobody shares it any more: no reason to fault again. */
				pte &= ~PTE_COW;
				pt_set(&mm->pt, a, pte);
			}
			prot = eff_prot(vma, pte);
			if (run_n && run_addr + run_n * PAGE_SIZE == a &&
			    run_off + run_n * PAGE_SIZE == PTE_OFFSET(pte) && run_prot == prot) {
				run_n++;
				run_new |= !(pte & PTE_MAPPED) || PTE_MPROT(pte) != prot;
				continue;
			}
		}
		if (run_n && run_new) {
			int e = mm_plat_map(mm, run_addr, run_n * PAGE_SIZE, run_prot, run_off);
			if (e < 0) {
				err = e;
			} else {
				for (uint64_t i = 0; i < run_n; i++) {
					uint64_t p = run_addr + i * PAGE_SIZE;
					pt_set(&mm->pt, p,
					       pte_mapped(pt_get(&mm->pt, p), run_prot));
				}
			}
		}
		run_n = 0;
		if (pte) {
			run_addr = a;
			run_off = PTE_OFFSET(pte);
			run_n = 1;
			run_prot = prot;
			run_new = !(pte & PTE_MAPPED) || PTE_MPROT(pte) != prot;
		}
	}
	return err;
}

/* For private anonymous memory, allocate the missing pages of the window
 * in one contiguous run when the memory file has one, so the window maps
 * in one platform call. */
static void prefill_anon(struct mm *mm, uint64_t lo, uint64_t hi)
{
	uint64_t missing = 0;
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE)
		missing += !pt_get(&mm->pt, a);
	if (missing < 2)
		return;
	int64_t off = memfile_alloc(mm->mf, missing);
	if (off < 0)
		return; /* fragmented or full: the faulting page alone will do */
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
		if (pt_get(&mm->pt, a))
			continue;
		if (pt_set(&mm->pt, a, (uint64_t)off | PTE_PRESENT) < 0)
			memfile_decref(mm->mf, (uint64_t)off, 1);
		off += PAGE_SIZE;
	}
}

/*
 * A write fault that copies a page of a private mapping of the mm's own
 * executable (python3's 1.3 MiB .data, nearly every page of which it writes
 * at start-up) copies the window's other pages still shared with the file's
 * cache too, and maps them writable in the same platform calls: each fault
 * costs a platform round trip here, against a microsecond on Linux.
 * Linux copies page by page, and an unwritten private page shows later
 * changes of the file; a page copied early would not.  Nobody can tell the
 * difference for this file: exec denies writing it for as long as the mm
 * runs it (no open for write, no truncate, so no write(2), fallocate or
 * writable shared mapping; mm_set_exe_file).  Host changes under goferfs'
 * file-access=shared are not a difference either: the cached pages a
 * mapping holds are never reread from the host, so an unwritten private
 * page already shows the cache's copy.  Not for executable mappings (a
 * breakpoint or the loader's zeroing of a segment's tail writes one page).
 *
 * The same, in smaller windows, for the data of a library ld.so mapped
 * (VMA_LOADED: libc's .data and .got, which its relocations write at every
 * exec).  A change to the library's file after the mapping could show in
 * Linux's unwritten pages and not in these (POSIX leaves it unspecified);
 * libraries are replaced by rename, never written in place: that would
 * crash every process running them.
 */
static bool cow_window_allowed(const struct mm *mm, const struct vma *vma, uint64_t pte)
{
	return vma->file && (vma->file == mm->exe || (vma->flags & VMA_LOADED)) &&
	       !(vma->flags & VMA_SHARED) && !(vma->prot & PROT_EXEC) && (pte & PTE_COW);
}

/* The fault-around window of `pages` pages for page of vma: aligned, within
 * the VMA; a VMA no larger than that is one window, however it is aligned
 * (libc's 1.3 MiB text across a 2 MiB boundary, its 13-page bss across a
 * 64 KiB one: one fault each, not two). */
void mm_fault_window(const struct vma *vma, uint64_t page, uint64_t pages, uint64_t *lo,
		     uint64_t *hi)
{
	uint64_t win = pages * PAGE_SIZE;
	*lo = vma->start;
	*hi = vma->end;
	if (vma->end - vma->start <= win)
		return;
	if ((page & ~(win - 1)) > *lo)
		*lo = page & ~(win - 1);
	if ((page & ~(win - 1)) + win < *hi)
		*hi = (page & ~(win - 1)) + win;
}

/* The window a write fault at page of vma copies and maps (mm_fault_window):
 * the whole of a library's data no larger than the window, however it is
 * aligned, so that ld.so's zeroing of its tail and its relocations below
 * take one fault, not two. */
static void write_window(const struct mm *mm, const struct vma *vma, uint64_t page, bool copied,
			 uint64_t *lo, uint64_t *hi)
{
	uint64_t pages = !copied		? MM_FAULT_AROUND
			 : vma->file == mm->exe ? MM_FAULT_AROUND_EXE_COPY
						: MM_FAULT_AROUND_LIB_COPY;
	mm_fault_window(vma, page, pages, lo, hi);
}

/* After a failed map of a window whose pages were copied: no page may stay
 * mapped to the frame it was copied from, so [lo, hi) is unmapped, to
 * fault back in. */
static void unmap_copied_window(struct mm *mm, uint64_t lo, uint64_t hi)
{
	plat_unmap(mm, lo, hi - lo);
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
		uint64_t e = pt_get(&mm->pt, a);
		if (e)
			pt_set(&mm->pt, a, pte_unmapped(e));
	}
}

/* Give every page of [lo, hi) still shared copy-on-write with the file's
 * cache a private copy, in one contiguous run of the memory file when it
 * has one (so it maps in one platform call).  Entries keep PTE_MAPPED and
 * their old prot, which mm_map_window sees as stale and maps again.  Best
 * effort: a page left out faults again when written. */
void mm_cow_copy_window(struct mm *mm, uint64_t lo, uint64_t hi)
{
	uint64_t want = 0;
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
		uint64_t pte = pt_get(&mm->pt, a);
		want += (pte & PTE_COW) && memfile_refcount(mm->mf, PTE_OFFSET(pte)) > 1;
	}
	if (want < 2)
		return;
	/* Raw: each frame used is a copy of a whole page; the rest is freed. */
	int64_t base = memfile_alloc_raw(mm->mf, want);
	if (base < 0)
		return; /* fragmented or full: page by page then */
	uint64_t done = 0;
	for (uint64_t a = lo; a < hi && done < want; a += PAGE_SIZE) {
		uint64_t pte = pt_get(&mm->pt, a);
		if (!(pte & PTE_COW) || memfile_refcount(mm->mf, PTE_OFFSET(pte)) == 1)
			continue;
		uint64_t off = (uint64_t)base + done * PAGE_SIZE;
		memcpy(memfile_ptr(mm->mf, off), memfile_ptr(mm->mf, PTE_OFFSET(pte)), PAGE_SIZE);
		uint64_t np = off | PTE_PRESENT;
		if (pte & PTE_MAPPED)
			np = pte_mapped(np, PTE_MPROT(pte));
		memfile_decref(mm->mf, PTE_OFFSET(pte), 1);
		pt_set(&mm->pt, a, np); /* replaces an entry: cannot fail */
		done++;
	}
	if (done < want)
		memfile_decref(mm->mf, (uint64_t)base + done * PAGE_SIZE, want - done);
}

/* For files that offer their pages (shared_page), fault around as Linux
 * does with the page cache: take the window's other pages within EOF too.
 * Files read with pread are not read ahead (each page would be a copy).
 * cached_only: only the pages the file has in memory already (cached_page),
 * never reading one, skipping those it has not. */
void mm_prefill_file(struct mm *mm, struct vma *vma, uint64_t lo, uint64_t hi, bool cached_only)
{
	struct mm_file *f = vma->file;
	if (!f->ops->shared_page || (cached_only && !f->ops->cached_page))
		return;
	int64_t size = f->ops->size(f);
	uint64_t cow = vma->flags & VMA_SHARED ? 0 : PTE_COW;
	for (uint64_t a = lo; a < hi; a += PAGE_SIZE) {
		uint64_t foff = vma->off + (a - vma->start);
		if (size < 0 || foff >= (uint64_t)size)
			break;
		if (pt_get(&mm->pt, a))
			continue;
		int64_t off = cached_only ? f->ops->cached_page(f, foff >> PAGE_SHIFT)
					  : f->ops->shared_page(f, foff >> PAGE_SHIFT);
		if (off < 0 && cached_only)
			continue;
		if (off < 0)
			break;
		if (pt_set(&mm->pt, a, (uint64_t)off | PTE_PRESENT | cow) < 0) {
			memfile_decref(mm->mf, (uint64_t)off, 1);
			break;
		}
	}
}

int mm_handle_fault(struct mm *mm, uint64_t addr, int *si_code)
{
	return mm_handle_fault_access(mm, addr, 0, si_code);
}

int mm_handle_fault_access(struct mm *mm, uint64_t addr, int access, int *si_code)
{
	int ret = 0;
	vmutex_lock(&mm->lock);
	uint64_t page = PAGE_ROUND_DOWN(addr);
	struct vma *vma = addr < PLAT_APP_TOP ? mm_find_vma_grow_locked(mm, addr) : NULL;
	if (!vma) {
		*si_code = SEGV_MAPERR;
		ret = -EFAULT;
		goto out;
	}
	vma->faults++;
	if (!(vma->prot & PROT_RWX)) {
		*si_code = SEGV_ACCERR;
		ret = -EFAULT;
		goto out;
	}
	uint64_t pte = pt_get(&mm->pt, page);
	if (pte & PTE_MAPPED) {
		int have = PTE_MPROT(pte);
		if ((vma->prot & PROT_WRITE) && !(have & PROT_WRITE)) {
			/* Mapped without write in a writable VMA: this was a write. */
			spurious_mm = NULL;
			/* Fault around the write too: neighbours still mapped
			 * copy-on-write whose sharing ended (the fork child
			 * exec'd or exited) become writable in the same platform
			 * calls, instead of one write fault each. */
			bool copied = cow_window_allowed(mm, vma, pte);
			uint64_t wlo, whi;
			write_window(mm, vma, page, copied, &wlo, &whi);
			if (copied) {
				mm_cow_copy_window(mm, wlo, whi);
				pte = pt_get(&mm->pt, page);
			}
			if (pte & PTE_COW) {
				int64_t np = cow_break(mm, page, pte, NULL);
				if (np < 0) {
					ret = -EIO;
					goto out;
				}
				pte = (uint64_t)np;
			}
			if (vma_write_notify(vma) && !(pte & PTE_DIRTY)) {
				if (page_mkwrite(mm, vma, page, &pte) < 0) {
					ret = -EIO; /* SIGBUS, as a failed ->page_mkwrite */
					goto out;
				}
			}
			if (mm_map_window(mm, vma, wlo, whi) < 0) {
				/* No page may stay mapped to the frame it was
				 * copied from: the window's copies are unmapped
				 * too, to fault back in. */
				if (copied)
					unmap_copied_window(mm, wlo, whi);
				else
					unmap_copied_window(mm, page, page + PAGE_SIZE);
				ret = -EIO;
			}
			goto out;
		}
		if (have == eff_prot(vma, pte)) {
			if (spurious_mm == mm && spurious_page == page &&
			    (spurious_gen == mm->map_gen || ++spurious_count >= MM_SPURIOUS_MAX)) {
				spurious_mm = NULL;
				*si_code = SEGV_ACCERR;
				ret = -EFAULT;
				goto out;
			}
			if (spurious_mm != mm || spurious_page != page)
				spurious_count = 0;
			spurious_mm = mm;
			spurious_page = page;
			/* Map it again in case the host lost it; the retry tells. */
			if (mm_plat_map(mm, page, PAGE_SIZE, have, PTE_OFFSET(pte)) < 0)
				ret = -EIO;
			spurious_gen = mm->map_gen;
			goto out;
		}
	}
	spurious_mm = NULL;
	/* A write (when the platform tells) to a writable VMA is served as
	 * one: no read-only mapping first and a second fault to copy. */
	bool write = (access & PROT_WRITE) && (vma->prot & PROT_WRITE);
	uint64_t lo, hi;
	mm_fault_window(vma, page, vma->file ? MM_FAULT_AROUND_FILE : MM_FAULT_AROUND, &lo, &hi);
	/* Anonymous memory filled upward (the page below the window is there:
	 * cc1's GC chunks, a growing heap) faults in longer windows, as long
	 * as the run below.  So does a first touch at the bottom of anonymous
	 * memory (an mmap'd buffer, a malloc arena, a GC chunk; lo is page
	 * there): the aligned window is clipped by the start (two pages of a
	 * buffer 8 KiB below a 64 KiB boundary), and the next fault would be
	 * the upward one anyway. */
	uint64_t fill = 0; /* pages from lo, 0: the window as it is */
	if (!pte && !vma->file && lo > vma->start && pt_get(&mm->pt, lo - PAGE_SIZE)) {
		uint64_t run = pt_present_below(&mm->pt, lo, vma->start, MM_FAULT_AROUND_SEQ_MAX);
		fill = run > MM_FAULT_AROUND_SEQ ? run : MM_FAULT_AROUND_SEQ;
	} else if (!pte && !vma->file && page == vma->start && !(vma->flags & VMA_GROWSDOWN)) {
		fill = MM_FAULT_AROUND_SEQ;
	}
	if (fill)
		hi = vma->end - lo > fill * PAGE_SIZE ? lo + fill * PAGE_SIZE : vma->end;
	if (!pte && !vma->file)
		prefill_anon(mm, lo, hi);
	else if (!pte)
		mm_prefill_file(mm, vma, lo, hi, false);
	if (!pte && !write && vma->file && vma->file->ops->cached_page) {
		/* Wider, over what is in memory already: one map per run. */
		uint64_t clo, chi;
		mm_fault_window(vma, page, MM_FAULT_AROUND_CACHED, &clo, &chi);
		mm_prefill_file(mm, vma, clo, lo, true);
		mm_prefill_file(mm, vma, hi, chi, true);
		lo = clo;
		hi = chi;
	}
	/* A first write into a library's or the executable's data copies its
	 * window at once, as a later write fault would (cow_window_allowed). */
	bool copied = write && cow_window_allowed(mm, vma, pte ? pte : PTE_COW);
	uint64_t wlo = 0, whi = 0;
	if (copied) {
		write_window(mm, vma, page, true, &wlo, &whi);
		mm_cow_copy_window(mm, wlo, whi);
	}
	if (mm_populate_locked(mm, vma, page, write) < 0) {
		ret = -EIO; /* SIGBUS: past EOF, I/O error or out of memory */
		goto out;
	}
	if (mm_map_window(mm, vma, lo, hi) < 0) {
		if (copied)
			unmap_copied_window(mm, wlo, whi);
		ret = -EIO;
	}
out:
	mm_unlock(mm);
	return ret;
}

/*
 * Private anonymous pages mapped before the app touches them, in one
 * platform map, where it is about to: each first touch costs a fault and a
 * round trip here, against a microsecond on Linux.  Frames nobody touches
 * cost no host memory (the memory file's holes), only their count.
 *   - A brk growth: glibc's free trims the heap's top (brk down) and its
 *     next malloc grows it back; git add does so around each file's zlib
 *     stream (three 64 KiB trims, a 192 KiB growth, then a first write per
 *     16-page window: 747 of git's 1068 faults).  Its first MM_BRK_POPULATE
 *     pages are mapped.
 *   - A small writable mmap (ld.so's 8 KiB, its TLS block, a library's
 *     bss: three faults per exec of a dynamic program), no larger than the
 *     fault-around window: its first touch maps all of it anyway.
 *   - A program's bss at exec, up to 2 MiB (mm_populate_bss, loadahead.c).
 */
void mm_populate_anon(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vmas_find(&mm->vmas, start, NULL);
	if (!v || v->end < end)
		return;
	prefill_anon(mm, start, end);
	mm_map_window(mm, v, start, end);
}

/* Does a platform map made now hold?  Not in an address space never
 * entered (the loader's maps at exec), but where the platform keeps them
 * (map_before_entry) or the host process exists already. */
bool mm_plat_maps_hold(struct mm *mm)
{
	const struct platform_ops *ops = mm->as ? mm->plat->ops : NULL;
	return ops && (ops->map_before_entry || (ops->as_host_pid && ops->as_host_pid(mm->as) > 0));
}

/* ---- mmap and friends ---- */

int64_t mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		struct mm_file *file, uint64_t offset)
{
	int type = flags & MAP_TYPE_MASK;
	if (type == MAP_SHARED_VALIDATE) {
		if (flags & ~(LEGACY_MAP_MASK | MAP_SYNC))
			return -EOPNOTSUPP;
		if (flags & MAP_SYNC) /* only for DAX files */
			return -EOPNOTSUPP;
		type = MAP_SHARED;
	} else if (type != MAP_SHARED && type != MAP_PRIVATE) {
		return -EINVAL;
	}
	if (len == 0)
		return -EINVAL;
	if (!PAGE_ALIGNED(offset))
		return -EINVAL;
	uint64_t rlen = PAGE_ROUND_UP(len);
	if (rlen == 0 || rlen > PLAT_APP_TOP)
		return -ENOMEM;
	bool anon = flags & MAP_ANONYMOUS;
	bool shared = type == MAP_SHARED;
	if (anon) {
		file = NULL;
		offset = 0;
	} else {
		if (!file)
			return -EBADF;
		if (offset + rlen < offset)
			return -EOVERFLOW;
		if (!file->ops->shared_page && (shared || !file->ops->pread))
			return -ENODEV;
	}
	if (flags & MAP_HUGETLB)
		return -ENOMEM; /* as Linux with no huge pages reserved */
	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	/* Linux's accountable mappings (private writable, shared anonymous)
	 * without MAP_NORESERVE go through the overcommit check. */
	if (!(flags & MAP_NORESERVE) && ((!shared && (prot & PROT_WRITE)) || (anon && shared)) &&
	    mm_commit_too_big(rlen))
		return -ENOMEM;

	struct vma *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->prot = prot & PROT_RWX; /* mmap ignores other bits, as Linux */
	if (flags & MAP_LOCKED)
		v->flags |= VMA_LOCKED;
	if (flags & MAP_GROWSDOWN)
		v->flags |= VMA_GROWSDOWN;
	if (shared)
		v->flags |= VMA_SHARED;
	if (shared && file && (flags & MM_MAP_NOMAYWRITE))
		v->flags |= VMA_NOMAYWRITE;
	if (!shared && file && (flags & MAP_DENYWRITE))
		v->flags |= VMA_LOADED;
	if (anon && shared) {
		v->file = mm_shmem_new(mm->mf);
		if (!v->file) {
			free(v);
			return -ENOMEM;
		}
		v->flags |= VMA_SHMEM;
	} else if (file) {
		file->ops->get(file);
		v->file = file;
		v->off = offset;
	}

	int64_t ret;
	vmutex_lock(&mm->lock);
	v->flags |= mm->def_flags;
	/* As Linux's mlock_future_ok: a locked mapping within RLIMIT_MEMLOCK. */
	if (!mm_lock_ok_locked(mm, v->flags, rlen, __atomic_load_n(&mm->lock_limit,
								    __ATOMIC_RELAXED))) {
		ret = -EAGAIN;
		goto fail;
	}
	unsigned vflags = v->flags;
	if (flags & MAP_FIXED) {
		if (!PAGE_ALIGNED(addr)) {
			ret = -EINVAL;
			goto fail;
		}
		if (addr + rlen < addr || addr + rlen > PLAT_APP_TOP) {
			ret = -ENOMEM;
			goto fail;
		}
		if (addr < MM_MIN_ADDR) {
			ret = -EPERM; /* as Linux below vm.mmap_min_addr */
			goto fail;
		}
		if (flags & MAP_FIXED_NOREPLACE) {
			size_t i = vmas_lower(&mm->vmas, addr);
			if (i < mm->vmas.n && mm->vmas.v[i]->start < addr + rlen) {
				ret = -EEXIST;
				goto fail;
			}
		}
		ret = unmap_range(mm, addr, addr + rlen);
		if (ret < 0)
			goto fail;
	} else {
		addr = find_free(mm, addr, rlen, flags & MAP_32BIT);
		if (!addr) {
			ret = -ENOMEM;
			goto fail;
		}
	}
	v->start = addr;
	v->end = addr + rlen;
	mm_account_map_locked(mm, v);
	ret = insert_merge(mm, v);
	if (ret < 0) {
		mm_account_unmap_locked(mm, v);
		goto fail;
	}
	if ((vflags & VMA_LOCK_MASK) == VMA_LOCKED) {
		/* As Linux: a locked mapping is populated at once. */
		mm_populate_range_locked(mm, addr, addr + rlen);
	} else if ((flags & MAP_POPULATE) && !(flags & MAP_NONBLOCK)) {
		/* As Linux: a private writable mapping is pre-faulted for write. */
		bool write = (prot & PROT_WRITE) && !shared;
		for (uint64_t a = addr; a < addr + rlen; a += PAGE_SIZE) {
			struct vma *pv = vmas_find(&mm->vmas, a, NULL);
			if (!pv || mm_populate_locked(mm, pv, a, write) < 0)
				break;
		}
	} else if (anon && !shared && (prot & PROT_WRITE) && rlen <= MM_FAULT_AROUND * PAGE_SIZE &&
		   !(flags & (MAP_NORESERVE | MAP_GROWSDOWN)) && mm_plat_maps_hold(mm)) {
		mm_populate_anon(mm, addr, addr + rlen);
	} else if ((vflags & VMA_LOADED) && (prot & PROT_WRITE) && mm_plat_maps_hold(mm)) {
		mm_load_ahead_locked(mm, addr, addr + rlen);
	} else if (file && !(prot & PROT_WRITE) && !(flags & (MAP_FIXED | MAP_DENYWRITE)) &&
		   rlen <= MM_FAULT_AROUND_FILE * PAGE_SIZE && mm_plat_maps_hold(mm)) {
		mm_read_ahead_locked(mm, addr, addr + rlen);
	}
	mm_unlock(mm);
	return (int64_t)addr;
fail:
	mm_unlock(mm);
	vma_free(v);
	return ret;
}

int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if (!PAGE_ALIGNED(addr) || len == 0)
		return -EINVAL;
	uint64_t rlen = PAGE_ROUND_UP(len);
	if (rlen == 0 || addr >= PLAT_APP_TOP || rlen > PLAT_APP_TOP - addr)
		return -EINVAL;
	vmutex_lock(&mm->lock);
	int err = unmap_range(mm, addr, addr + rlen);
	mm_unlock(mm);
	return err;
}

/* After v->prot changed: bring the platform's mappings of v in line. */
static void reprotect_platform(struct mm *mm, struct vma *v)
{
	if (!(v->prot & PROT_RWX)) {
		unmap_platform(mm, v->start, v->end);
		return;
	}
	uint64_t a = v->start, pte, run_lo = 0, run_hi = 0;
	int run_prot = -1;
	while (pt_next(&mm->pt, &a, v->end, &pte)) {
		int want = eff_prot(v, pte);
		if ((pte & PTE_MAPPED) && PTE_MPROT(pte) != want) {
			if (!(run_hi == a && run_prot == want)) {
				if (run_hi)
					mm_plat_protect(mm, run_lo, run_hi - run_lo, run_prot);
				run_lo = a;
				run_prot = want;
			}
			run_hi = a + PAGE_SIZE;
			pt_set(&mm->pt, a, pte_mapped(pte, want));
		}
		a += PAGE_SIZE;
	}
	if (run_hi)
		mm_plat_protect(mm, run_lo, run_hi - run_lo, run_prot);
}

/* Does [s, e) lie entirely within VMAs? */
static bool range_covered(struct mm *mm, uint64_t s, uint64_t e)
{
	size_t i = vmas_lower(&mm->vmas, s);
	uint64_t cur = s;
	for (; i < mm->vmas.n && cur < e; i++) {
		if (mm->vmas.v[i]->start > cur)
			return false;
		cur = mm->vmas.v[i]->end;
	}
	return cur >= e;
}

/* Apply fn to each VMA of [s, e) after splitting at s and e, then merge. */
static int for_each_vma_in(struct mm *mm, uint64_t s, uint64_t e,
			   void (*fn)(struct mm *mm, struct vma *v, void *arg), void *arg)
{
	if (vmas_split_at(&mm->vmas, s) < 0 || vmas_split_at(&mm->vmas, e) < 0)
		return -ENOMEM;
	size_t first = vmas_lower(&mm->vmas, s), last = first;
	for (size_t i = first; i < mm->vmas.n && mm->vmas.v[i]->start < e; i++) {
		fn(mm, mm->vmas.v[i], arg);
		last = i;
	}
	for (size_t i = last + 1; i-- > first;)
		vmas_merge_around(&mm->vmas, i);
	return 0;
}

static void set_prot(struct mm *mm, struct vma *v, void *arg)
{
	int prot = *(int *)arg;
	if (v->prot == prot)
		return;
	v->prot = prot;
	reprotect_platform(mm, v);
}

int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
	prot &= ~grows;
	if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if (!PAGE_ALIGNED(addr))
		return -EINVAL;
	if (len == 0)
		return 0;
	uint64_t rlen = PAGE_ROUND_UP(len);
	uint64_t end = addr + rlen;
	if (rlen == 0 || end <= addr)
		return -ENOMEM;
	if (prot & ~(PROT_RWX | 0x8 /* PROT_SEM, accepted and ignored */))
		return -EINVAL;
	prot &= PROT_RWX;
	int ret = 0;
	vmutex_lock(&mm->lock);
	size_t i = vmas_lower(&mm->vmas, addr);
	if (i == mm->vmas.n || mm->vmas.v[i]->start >= end) {
		ret = -ENOMEM;
		goto out;
	}
	if (grows & PROT_GROWSDOWN) {
		if (!(mm->vmas.v[i]->flags & VMA_GROWSDOWN)) {
			ret = -EINVAL;
			goto out;
		}
		addr = mm->vmas.v[i]->start;
	} else if (grows & PROT_GROWSUP) {
		ret = -EINVAL; /* no VM_GROWSUP VMAs on x86 */
		goto out;
	}
	if (!range_covered(mm, addr, end)) {
		ret = -ENOMEM;
		goto out;
	}
	/* As Linux: write never comes to a shared mapping of a file opened
	 * read-only (here before anything changes, where Linux has changed
	 * the VMAs before the one that fails). */
	for (size_t j = i; j < mm->vmas.n && mm->vmas.v[j]->start < end; j++) {
		if ((prot & PROT_WRITE) && (mm->vmas.v[j]->flags & VMA_NOMAYWRITE)) {
			ret = -EACCES;
			goto out;
		}
	}
	ret = for_each_vma_in(mm, addr, end, set_prot, &prot);
out:
	mm_unlock(mm);
	return ret;
}

/* Move the pages of [old, old+old_len) (inside one VMA, page-table entries
 * moved, data not copied) to a new VMA [new, new+new_len) over free space,
 * new_len >= old_len, as Linux's move_vma.  The old range is unmapped,
 * except with MREMAP_DONTUNMAP (it stays, empty and unlocked) and for the
 * old_len 0 duplicate of a shared mapping.  Returns new or -ENOMEM. */
static int64_t move_vma(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t new,
			uint64_t new_len, bool dontunmap)
{
	if (vmas_split_at(&mm->vmas, old) < 0 || vmas_split_at(&mm->vmas, old + old_len) < 0)
		return -ENOMEM;
	size_t i;
	struct vma *m = vmas_find(&mm->vmas, old, &i);
	struct vma *nv = vma_dup(m);
	if (!nv)
		return -ENOMEM;
	nv->start = new;
	nv->end = new + new_len;
	if (vmas_insert(&mm->vmas, nv) < 0) {
		vma_free(nv);
		return -ENOMEM;
	}
	mm_account_map_locked(mm, nv);
	unmap_platform(mm, old, old + old_len);
	uint64_t a = old, pte;
	while (pt_next(&mm->pt, &a, old + old_len, &pte)) {
		if (pt_set(&mm->pt, new + (a - old), pte) < 0) {
			/* Put back what moved, and give up. */
			uint64_t b = new, p;
			while (pt_next(&mm->pt, &b, new + (a - old), &p)) {
				pt_set(&mm->pt, old + (b - new), p);
				pt_set(&mm->pt, b, 0);
				b += PAGE_SIZE;
			}
			mm_account_unmap_locked(mm, nv);
			vmas_find(&mm->vmas, new, &i);
			vmas_remove(&mm->vmas, i);
			vma_free(nv);
			return -ENOMEM;
		}
		pt_set(&mm->pt, a, 0);
		a += PAGE_SIZE;
	}
	m = vmas_find(&mm->vmas, old, &i);
	if (old_len && !dontunmap) {
		mm_account_unmap_locked(mm, m);
		vma_retire(&mm->vmas, m);
		vmas_remove(&mm->vmas, i);
		if (i < mm->vmas.n)
			vmas_merge_around(&mm->vmas, i);
		if (i > 0)
			vmas_merge_around(&mm->vmas, i - 1);
	} else if (dontunmap) {
		/* As Linux: the range left behind is never locked. */
		mm_account_unmap_locked(mm, m);
		m->flags &= ~VMA_LOCK_MASK;
		vmas_merge_around(&mm->vmas, i);
	}
	vmas_find(&mm->vmas, new, &i);
	vmas_merge_around(&mm->vmas, i);
	return (int64_t) new;
}

/* mremap(2) as Linux 6.x's do_mremap: the argument checks of
 * check_mremap_params, then those of check_prep_vma against the VMA at
 * old_addr, then mremap_to (FIXED, DONTUNMAP) or mremap_at (in place, or a
 * move with MAYMOVE).  A locked VMA that grows is populated. */
int64_t mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
		  uint64_t new_addr)
{
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (!PAGE_ALIGNED(old_addr))
		return -EINVAL;
	old_len = PAGE_ROUND_UP(old_len);
	new_len = PAGE_ROUND_UP(new_len);
	if (!new_len || new_len > PLAT_APP_TOP)
		return -EINVAL;
	/* FIXED and DONTUNMAP name a new address (a hint for DONTUNMAP). */
	bool to = flags & (MREMAP_FIXED | MREMAP_DONTUNMAP);
	if (to) {
		if (new_addr > PLAT_APP_TOP - new_len || !PAGE_ALIGNED(new_addr))
			return -EINVAL;
		if (!(flags & MREMAP_MAYMOVE))
			return -EINVAL;
		if ((flags & MREMAP_DONTUNMAP) && old_len != new_len)
			return -EINVAL;
		if (old_addr + old_len > new_addr && new_addr + new_len > old_addr)
			return -EINVAL;
	}
	int64_t ret;
	vmutex_lock(&mm->lock);
	struct vma *v = vmas_find(&mm->vmas, old_addr, NULL);
	if (!v) {
		ret = -EFAULT;
		goto out;
	}
	bool expand = new_len > old_len, shrink = new_len < old_len;
	bool populate = false;
	if (expand || to) {
		/* As Linux: old_len 0 duplicates a shared mapping only. */
		if (!old_len && !(v->flags & VMA_SHARED)) {
			ret = -EINVAL;
			goto out;
		}
		/* The moved range stays within its VMA (a shrink may cross). */
		if ((shrink ? new_len : old_len) > v->end - old_addr) {
			ret = -EFAULT;
			goto out;
		}
		if (expand) {
			populate = v->flags & VMA_LOCKED;
			uint64_t foff = v->off + (old_addr - v->start);
			if (v->file && foff + new_len < foff) {
				ret = -EINVAL;
				goto out;
			}
			if (!mm_lock_ok_locked(mm, v->flags, new_len - old_len,
					       __atomic_load_n(&mm->lock_limit, __ATOMIC_RELAXED))) {
				ret = -EAGAIN;
				goto out;
			}
		}
	}
	uint64_t at = old_addr;
	if (to) {
		/* mremap_to: clear the target, shrink, then move. */
		if (flags & MREMAP_FIXED) {
			ret = unmap_range(mm, new_addr, new_addr + new_len);
			if (ret < 0)
				goto out;
			if (!vmas_find(&mm->vmas, old_addr, NULL)) {
				ret = -EFAULT;
				goto out;
			}
			at = new_addr;
		}
		if (shrink) {
			ret = unmap_range(mm, old_addr + new_len, old_addr + old_len);
			if (ret < 0)
				goto out;
			old_len = new_len;
		}
		if (!(flags & MREMAP_FIXED)) {
			at = find_free(mm, new_addr, new_len, false);
			if (!at) {
				ret = -ENOMEM;
				goto out;
			}
		}
		ret = move_vma(mm, old_addr, old_len, at, new_len, flags & MREMAP_DONTUNMAP);
	} else if (!expand && !shrink) {
		ret = (int64_t)old_addr;
	} else if (shrink) {
		/* Shrinking just unmaps the tail (across VMAs, as Linux). */
		ret = unmap_range(mm, old_addr + new_len, old_addr + old_len);
		if (ret == 0)
			ret = (int64_t)old_addr;
	} else {
		/* Grow in place when the range ends the VMA and room follows. */
		uint64_t new_end = old_addr + new_len;
		size_t i = vmas_lower(&mm->vmas, v->end);
		if (old_addr + old_len == v->end && new_end <= PLAT_APP_TOP &&
		    (i == mm->vmas.n || mm->vmas.v[i]->start >= new_end)) {
			if (v->flags & VMA_LOCKED)
				mm->locked_pages += (new_end - v->end) >> PAGE_SHIFT;
			v->end = new_end;
			vmas_find(&mm->vmas, old_addr, &i);
			vmas_merge_around(&mm->vmas, i);
			ret = (int64_t)old_addr;
		} else if (!(flags & MREMAP_MAYMOVE)) {
			ret = -ENOMEM;
		} else if (!(at = find_free(mm, 0, new_len, false))) {
			ret = -ENOMEM;
		} else {
			ret = move_vma(mm, old_addr, old_len, at, new_len, false);
		}
	}
	if (ret >= 0 && populate)
		mm_populate_range_locked(mm, (uint64_t)ret + old_len, (uint64_t)ret + new_len);
out:
	mm_unlock(mm);
	return ret;
}

/* ---- brk ---- */

void mm_brk_init(struct mm *mm, uint64_t start)
{
	vmutex_lock(&mm->lock);
	mm->brk_start = mm->brk = start;
	mm_unlock(mm);
}

uint64_t mm_brk(struct mm *mm, uint64_t addr)
{
	vmutex_lock(&mm->lock);
	if (!mm->brk_start || addr < mm->brk_start || addr >= PLAT_APP_TOP)
		goto out;
	uint64_t newend = PAGE_ROUND_UP(addr), oldend = PAGE_ROUND_UP(mm->brk);
	if (newend == oldend) {
		mm->brk = addr;
	} else if (newend < oldend) {
		if (unmap_range(mm, newend, oldend) == 0)
			mm->brk = addr;
	} else {
		/* As Linux: the new break plus a page must stay below the next
		 * VMA (and its stack guard gap). */
		size_t i = vmas_lower(&mm->vmas, oldend);
		if (i < mm->vmas.n && newend + PAGE_SIZE > start_gap(mm->vmas.v[i]))
			goto out;
		if (mm_commit_too_big(newend - oldend))
			goto out;
		/* As Linux's check_brk_limits: under mlockall(MCL_FUTURE)
		 * the new pages are locked, within RLIMIT_MEMLOCK. */
		if (!mm_lock_ok_locked(mm, mm->def_flags, newend - oldend,
				       __atomic_load_n(&mm->lock_limit, __ATOMIC_RELAXED)))
			goto out;
		struct vma *v = calloc(1, sizeof(*v));
		if (!v)
			goto out;
		v->start = oldend;
		v->end = newend;
		v->prot = PROT_READ | PROT_WRITE;
		v->flags = mm->def_flags;
		mm_account_map_locked(mm, v);
		if (insert_merge(mm, v) < 0) {
			mm_account_unmap_locked(mm, v);
			free(v);
			goto out;
		}
		if ((mm->def_flags & VMA_LOCK_MASK) == VMA_LOCKED)
			mm_populate_range_locked(mm, oldend, newend);
		else
			mm_populate_anon(mm, oldend,
					 newend - oldend > MM_BRK_POPULATE * PAGE_SIZE
					     ? oldend + MM_BRK_POPULATE * PAGE_SIZE
					     : newend);
		mm->brk = addr;
	}
out:;
	uint64_t ret = mm->brk;
	mm_unlock(mm);
	return ret;
}

void mm_set_mmap_base(struct mm *mm, uint64_t base)
{
	base = PAGE_ROUND_DOWN(base);
	if (base > PLAT_APP_TOP)
		base = PLAT_APP_TOP;
	vmutex_lock(&mm->lock);
	mm->mmap_base = base;
	mm_unlock(mm);
}

void mm_set_stack_range(struct mm *mm, uint64_t start, uint64_t end)
{
	vmutex_lock(&mm->lock);
	mm->stack_start = start;
	mm->stack_end = end;
	mm_unlock(mm);
}

void mm_set_stack_limit(struct mm *mm, uint64_t limit)
{
	vmutex_lock(&mm->lock);
	mm->stack_limit = limit;
	mm_unlock(mm);
}
