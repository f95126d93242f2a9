/*
 * fork.c — fork's copy-on-write set-up (mm_fork): the child's VMAs and page
 * table, its private pages shared copy-on-write with the parent's, and the
 * child's platform mappings made ahead of its first instruction.
 *
 * A fork's child runs the code its parent ran last, on the data it used
 * last: nearly every page it touches before an execve (or for good) is one
 * the parent's platform mapping holds (PTE_MAPPED).  With a platform that
 * keeps maps made before an address space's first entry
 * (platform_ops.map_before_entry: systrap queues them for the stub's first
 * request), the child gets those pages mapped in that one request instead
 * of a fault and a request each: read-only where they are copy-on-write, as
 * its faults would map them, so a write still faults to copy.  Bounded to
 * MM_FORK_PREMAP_RUNS maps, the read-only VMAs (code, read-only data) and
 * the stack first; only pages the parent maps, never a page the child's own
 * fault would not map with the same frame and prot.
 *
 * The pages the parent wrote since its last fork (those its platform maps
 * writable) it will write again right after this one: bash writes the same
 * few dozen heap, stack and libc data pages around every fork+exec, and its
 * child writes many of them before its execve.  Shared copy-on-write, each
 * costs the parent a write fault and a copy, the child another, and the
 * parent a protect to take write away first.  When they are few
 * (MM_FORK_COPY_MAX) and nothing else runs in the parent's mm, the child
 * gets its own copies of them at once instead: the parent keeps its pages
 * writable, and the child's copies are premapped writable with the rest.
 * What the child sees is the same: the parent's memory at the fork.
 *
 * Locking: the parent's mm->lock across it all; the child is nobody else's
 * yet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/lockdep.h"
#include "sentry/mm/mm_internal.h"

/* The most maps (runs of contiguous pages and frames with one prot) made
 * ahead into a child: systrap's first request carries up to 59 ops, of
 * which the child's naming and first thread take a few. */
#define MM_FORK_PREMAP_RUNS 48

#define PROT_RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

/* The most pages the parent maps writable that a fork copies for the child
 * at once (512 KiB: a memcpy of some 50 us, against a fault and a platform
 * round trip for each page in the parent and again in the child); a parent
 * with more shares them all copy-on-write, as before. */
#define MM_FORK_COPY_MAX 128

/* Frames for the child's copies: one contiguous run of the memory file when
 * it has one (the child's premap then maps a VMA's copies in one go), else
 * a frame at a time. */
struct fork_copies {
	struct memfile *mf;
	uint64_t base, used, n; /* the run: n frames from base, used taken */
};

/* Does the fork copy the parent's page pte of private VMA v for the child
 * now (rather than share it copy-on-write)?  Pages the parent maps
 * writable: it wrote them (or a neighbour: fault-around) since it last lost
 * write to them. */
static bool fork_copies_page(const struct vma *v, uint64_t pte)
{
	return !(v->flags & (VMA_SHARED | VMA_WIPEONFORK | VMA_DONTFORK)) &&
	       (pte & PTE_MAPPED) && (PTE_MPROT(pte) & PROT_WRITE);
}

/* How many pages the fork copies: all that fork_copies_page picks, or none
 * when they are more than MM_FORK_COPY_MAX or another task uses the parent's
 * mm (its threads could write a page while it is copied: only a
 * write-protected page is a snapshot). */
static uint64_t fork_copies_count(struct mm *parent)
{
	if (__atomic_load_n(&parent->refs, __ATOMIC_ACQUIRE) != 1)
		return 0;
	uint64_t n = 0;
	for (size_t i = 0; i < parent->vmas.n; i++) {
		const struct vma *v = parent->vmas.v[i];
		uint64_t a = v->start, pte;
		while (pt_next(&parent->pt, &a, v->end, &pte)) {
			if (fork_copies_page(v, pte) && ++n > MM_FORK_COPY_MAX)
				return 0;
			a += PAGE_SIZE;
		}
	}
	return n;
}

/* A copy of the parent's page at off for the child: the new frame's offset
 * (one reference, the child's), or -1 when the memory file has none. */
static int64_t fork_copy_page(struct fork_copies *fc, uint64_t off)
{
	int64_t noff;
	if (fc->used < fc->n)
		noff = (int64_t)(fc->base + fc->used++ * PAGE_SIZE);
	else if ((noff = memfile_alloc_raw(fc->mf, 1)) < 0)
		return -1;
	memcpy(memfile_ptr(fc->mf, (uint64_t)noff), memfile_ptr(fc->mf, off), PAGE_SIZE);
	return noff;
}

struct premap {
	struct mm *c;
	uint64_t addr, off, n;
	int prot;
	int left; /* maps still allowed */
};

/* Map the pending run into the child and mark its entries mapped.  false
 * once no more maps may be made. */
static bool premap_flush(struct premap *p)
{
	if (!p->n)
		return p->left > 0;
	if (p->left <= 0)
		return false;
	p->left--;
	if (mm_plat_map(p->c, p->addr, p->n * PAGE_SIZE, p->prot, p->off) < 0) {
		p->n = 0;
		p->left = 0;
		return false;
	}
	for (uint64_t i = 0; i < p->n; i++) {
		uint64_t a = p->addr + i * PAGE_SIZE;
		pt_set(&p->c->pt, a, pte_mapped(pt_get(&p->c->pt, a), p->prot));
	}
	p->n = 0;
	return p->left > 0;
}

/* Premap the pages of child VMA v that the parent maps. */
static bool premap_vma(struct premap *p, const struct mm *parent, const struct vma *v)
{
	uint64_t a = v->start, cpte;
	while (pt_next(&p->c->pt, &a, v->end, &cpte)) {
		int prot = vma_page_prot(v, cpte);
		if (!prot || !(pt_get(&parent->pt, a) & PTE_MAPPED)) {
			if (!premap_flush(p))
				return false;
			a += PAGE_SIZE;
			continue;
		}
		if (p->n && p->addr + p->n * PAGE_SIZE == a &&
		    p->off + p->n * PAGE_SIZE == PTE_OFFSET(cpte) && p->prot == prot) {
			p->n++;
		} else {
			if (!premap_flush(p))
				return false;
			p->addr = a;
			p->off = PTE_OFFSET(cpte);
			p->prot = prot;
			p->n = 1;
		}
		a += PAGE_SIZE;
	}
	return premap_flush(p);
}

/* The child's VMAs first to map: code and read-only data (few, long runs:
 * the file's pages) and the stack; then the writable ones (data, heap),
 * whose private pages are scattered in the memory file. */
static bool premap_first(const struct mm *c, const struct vma *v)
{
	return !(v->prot & PROT_WRITE) || (v->flags & VMA_GROWSDOWN) ||
	       (v->start < c->stack_end && v->end > c->stack_end - PAGE_SIZE);
}

static void premap_child(const struct mm *parent, struct mm *c)
{
	struct premap p = {.c = c, .left = MM_FORK_PREMAP_RUNS};
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->vmas.n; i++) {
			const struct vma *v = c->vmas.v[i];
			if (premap_first(c, v) == (pass == 0) && !premap_vma(&p, parent, v))
				return;
		}
}

struct mm *mm_fork(struct mm *parent)
{
	struct mm *c = mm_new(parent->mf, parent->plat);
	if (!c)
		return NULL;
	vmutex_lock(&parent->lock);
	mm_set_exe_file(c, parent->exe);
	c->mmap_base = parent->mmap_base;
	c->brk_start = parent->brk_start;
	c->brk = parent->brk;
	c->stack_start = parent->stack_start;
	c->stack_end = parent->stack_end;
	c->stack_limit = parent->stack_limit;
	struct fork_copies fc = {.mf = parent->mf, .n = fork_copies_count(parent)};
	bool copying = fc.n > 0;
	if (fc.n) {
		/* Raw: each frame taken gets a whole page copied into it
		 * (fork_copy_page), and those left over are freed at the end. */
		int64_t base = memfile_alloc_raw(parent->mf, fc.n);
		fc.base = base < 0 ? 0 : (uint64_t)base;
		if (base < 0)
			fc.n = 0; /* fragmented: a frame at a time */
	}
	for (size_t i = 0; i < parent->vmas.n; i++) {
		struct vma *v = parent->vmas.v[i];
		if (v->flags & VMA_DONTFORK)
			continue;
		struct vma *nv = vma_dup(v);
		if (!nv)
			goto fail;
		nv->flags &= ~VMA_LOCK_MASK; /* as Linux: locks are not inherited */
		if (vmas_insert(&c->vmas, nv) < 0) {
			vma_free(nv);
			goto fail;
		}
		if (v->flags & VMA_WIPEONFORK)
			continue; /* the child sees fresh zero pages */
		bool shared = v->flags & VMA_SHARED;
		/* Runs of parent pages whose platform mapping must lose write. */
		uint64_t wp_lo = 0, wp_hi = 0;
		int ro = v->prot & PROT_RWX & ~PROT_WRITE;
		/* References are taken in runs, always before a failure exit. */
		struct mm_page_run refs = {.mf = parent->mf, .apply = memfile_incref};
		uint64_t a = v->start, pte;
		while (pt_next(&parent->pt, &a, v->end, &pte)) {
			uint64_t off = PTE_OFFSET(pte);
			uint64_t cpte = off | PTE_PRESENT;
			int64_t copy = copying && fork_copies_page(v, pte) ? fork_copy_page(&fc, off)
									  : -1;
			if (copy >= 0) {
				/* The child's own page; the parent's stays as it is. */
				if (pt_set(&c->pt, a, (uint64_t)copy | PTE_PRESENT) < 0) {
					memfile_decref(parent->mf, (uint64_t)copy, 1);
					mm_page_run_flush(&refs);
					if (wp_hi)
						mm_plat_protect(parent, wp_lo, wp_hi - wp_lo, ro);
					goto fail;
				}
				a += PAGE_SIZE;
				continue;
			}
			if (!shared) {
				cpte |= PTE_COW;
				uint64_t np = pte | PTE_COW;
				if ((pte & PTE_MAPPED) && (PTE_MPROT(pte) & PROT_WRITE)) {
					np = pte_mapped(np, ro);
					if (wp_hi != a) {
						if (wp_hi)
							mm_plat_protect(parent, wp_lo, wp_hi - wp_lo,
								     ro);
						wp_lo = a;
					}
					wp_hi = a + PAGE_SIZE;
				}
				pt_set(&parent->pt, a, np);
			}
			if (pt_set(&c->pt, a, cpte) < 0) {
				mm_page_run_flush(&refs);
				if (wp_hi)
					mm_plat_protect(parent, wp_lo, wp_hi - wp_lo, ro);
				goto fail;
			}
			mm_page_run_add(&refs, off);
			a += PAGE_SIZE;
		}
		mm_page_run_flush(&refs);
		if (wp_hi)
			mm_plat_protect(parent, wp_lo, wp_hi - wp_lo, ro);
	}
	if (fc.used < fc.n)
		memfile_decref(parent->mf, fc.base + fc.used * PAGE_SIZE, fc.n - fc.used);
	if (parent->plat && parent->plat->ops->map_before_entry)
		premap_child(parent, c);
	vmutex_unlock(&parent->lock);
	return c;
fail:
	if (fc.used < fc.n)
		memfile_decref(parent->mf, fc.base + fc.used * PAGE_SIZE, fc.n - fc.used);
	/* Parent pages already marked CoW stay correct: a CoW page whose
	 * refcount is back to 1 is made writable again on the next fault. */
	vmutex_unlock(&parent->lock);
	mm_put(c);
	return NULL;
}
