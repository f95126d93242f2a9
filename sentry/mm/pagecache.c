/*
 * pagecache.c — the page cache of a file whose data lives outside the Sentry
 * (see pagecache.h for the design and the API).
 *
 * Why write-through for write(2) (rather than Linux's write into the cache and
 * write back later): a write(2) then costs what it cost before (one host
 * pwrite, plus a copy into the pages that happen to be cached), the host sees
 * it at once (file-access=shared, other containers on the same directory),
 * and nothing a program wrote with write(2) can be lost with the Sentry's
 * memory.  Only what mappings write waits in the cache, as it waits in Linux's
 * page cache until written back.
 *
 * Pages: a page table keyed by file page (pgoff << PAGE_SHIFT), each entry a
 * memory-file offset | PTE_PRESENT | PC_DIRTY, holding one memory-file
 * reference.  A page is filled from the backing file at its first mapping
 * (zeroes past the end of the file), written back clipped to the file's size
 * (the bytes of the last page past the end never reach the file, as Linux's
 * write-back zeroes them), and dropped when the mappings are all gone or the
 * file shrinks past it.
 *
 * Dirty pages are known exactly: page_mkwrite (a shared mapping's first write
 * to a page) sets PC_DIRTY; a write-back takes the dirty bits of its pages,
 * write-protects them in every mapping (mm_file_mkclean) and only then writes
 * them, so a write that comes after faults again and re-dirties the page.
 * One write-back at a time per cache (`writing`, waited on with `done`): a
 * second one (an fsync during an msync) waits until the pages the first took
 * are written, so neither returns before the data is in the file.
 *
 * Kept pages (file-access=exclusive, pagecache_new's keep): the Sentry is the
 * only one who changes the file, so the pages stay right after the last
 * unmapping, and a program run again (cc1, python3, git) maps them instead
 * of reading its file again.  Every change the Sentry makes already goes
 * through the cache (write: pagecache_written; truncate, fallocate:
 * pagecache_resized), so nothing else is needed for them to stay true.
 * Unmapped caches are on an LRU (under pagecaches_lock); their pages count in
 * kept_pages, at most PC_KEEP_BUDGET: past it, the least recently unmapped
 * caches are emptied.  When the memory file is short (its limit, no free
 * run), memfile_alloc's shrinker empties them too, oldest first.  Without
 * keep (file-access=shared: the host may change the file) the last unmapping
 * drops every page, as before.
 *
 * Locking (sentry/LOCKING.md): pc->lock is taken under mm->lock (shared_page,
 * page_mkwrite, the mm_file's get) and alone; under it the owner's size (its
 * inode lock), the memory file's lock, and I/O on the backing file (never a
 * Gofer round trip).  It is dropped around mm_file_mkclean and
 * mm_file_unmap_from, which take mm locks.  pagecaches_lock, the list of all
 * caches and the LRU of unmapped ones, comes before it; a get (under
 * mm->lock) leaves the LRU alone: the LRU's walks skip and unlink caches in
 * use.  The shrinker, which may run under any lock, only trylocks.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/lockdep.h"
#include "lib/log.h"
#include "sentry/mm/mm_internal.h"
#include "sentry/mm/pagecache.h"

#define PC_DIRTY 0x2ULL /* written through a mapping, not yet written back */
/* Pages kept by unmapped caches, at most (64 MiB). */
#define PC_KEEP_BUDGET (64ULL * 1024 * 1024 / PAGE_SIZE)
/* The page table's keys are 47-bit: file pages beyond are never cached. */
#define PC_MAX_PGOFF (1ULL << (47 - PAGE_SHIFT))

struct pagecache {
	struct mm_file mmf;  /* what mappings hold */
	struct vmutex lock;  /* everything below but ops, owner, mf and the list links */
	pthread_cond_t done; /* `writing` went false */
	struct memfile *mf;
	const struct pagecache_ops *ops;
	void *owner;
	struct pagetable pages;
	uint64_t npages, ndirty;
	uint64_t users;		       /* of mmf: get/put */
	bool writing;		       /* a write-back is between taking dirty bits and writing */
	bool keep;		       /* pages outlive the last unmapping (exclusive access) */
	uint64_t kept;		       /* of npages, what counts in kept_pages (unmapped) */
	struct pagecache *prev, *next; /* under pagecaches_lock */
	/* Under pagecaches_lock: the LRU of unmapped caches with pages. */
	struct pagecache *lru_prev, *lru_next;
	bool on_lru;
};

static struct vmutex pagecaches_lock = VMUTEX_INITIALIZER(LOCK_CLASS(PAGECACHES));
static struct pagecache *pagecaches;
static struct pagecache *lru_head, *lru_tail; /* least recently unmapped first */
static _Atomic uint64_t kept_pages;	      /* the pages of unmapped caches */
static uint64_t keep_budget = PC_KEEP_BUDGET;

static const struct mm_file_ops pagecache_mmf_ops;

static uint64_t key(uint64_t pgoff) { return pgoff << PAGE_SHIFT; }

static uint64_t pages_for(uint64_t size) { return PAGE_ROUND_UP(size) >> PAGE_SHIFT; }

static struct pagecache *mmf_pc(struct mm_file *f)
{
	return (struct pagecache *)((char *)f - offsetof(struct pagecache, mmf));
}

/* Under pc->lock, after a change of users or npages: kept_pages counts the
 * pages of the caches nothing maps. */
static void account(struct pagecache *pc)
{
	uint64_t now = pc->users ? 0 : pc->npages;
	if (now > pc->kept)
		atomic_fetch_add(&kept_pages, now - pc->kept);
	else if (now < pc->kept)
		atomic_fetch_sub(&kept_pages, pc->kept - now);
	pc->kept = now;
}

/* Under pagecaches_lock. */
static void lru_unlink(struct pagecache *pc)
{
	if (!pc->on_lru)
		return;
	if (pc->lru_prev)
		pc->lru_prev->lru_next = pc->lru_next;
	else
		lru_head = pc->lru_next;
	if (pc->lru_next)
		pc->lru_next->lru_prev = pc->lru_prev;
	else
		lru_tail = pc->lru_prev;
	pc->lru_prev = pc->lru_next = NULL;
	pc->on_lru = false;
}

/* Under pagecaches_lock: pc becomes the most recently unmapped. */
static void lru_append(struct pagecache *pc)
{
	lru_unlink(pc);
	pc->lru_prev = lru_tail;
	pc->lru_next = NULL;
	if (lru_tail)
		lru_tail->lru_next = pc;
	else
		lru_head = pc;
	lru_tail = pc;
	pc->on_lru = true;
}

struct pagecache *pagecache_new(struct memfile *mf, const struct pagecache_ops *ops, void *owner,
				uint64_t dev, uint64_t ino, bool keep)
{
	struct pagecache *pc = calloc(1, sizeof(*pc));
	if (!pc)
		return NULL;
	pc->mmf.ops = &pagecache_mmf_ops;
	pc->mmf.dev = dev;
	pc->mmf.ino = ino;
	pc->mf = mf;
	pc->ops = ops;
	pc->owner = owner;
	pc->keep = keep;
	vmutex_init(&pc->lock, LOCK_CLASS(PAGECACHE));
	pthread_cond_init(&pc->done, NULL);
	vmutex_lock(&pagecaches_lock);
	pc->next = pagecaches;
	if (pagecaches)
		pagecaches->prev = pc;
	pagecaches = pc;
	vmutex_unlock(&pagecaches_lock);
	return pc;
}

struct mm_file *pagecache_mm_file(struct pagecache *pc) { return &pc->mmf; }

void pagecache_lock(struct pagecache *pc) { vmutex_lock(&pc->lock); }

void pagecache_unlock(struct pagecache *pc) { vmutex_unlock(&pc->lock); }

/* Under pc->lock: wait until no write-back is half done. */
static void wait_writing(struct pagecache *pc)
{
	while (pc->writing)
		vmutex_cond_wait(&pc->done, &pc->lock);
}

/* Under pc->lock: write page pgoff (at memory-file offset mfoff) to the
 * backing file, clipped to size. */
static int write_page(struct pagecache *pc, uint64_t pgoff, uint64_t mfoff, int64_t size)
{
	uint64_t off = key(pgoff);
	if (size <= 0 || off >= (uint64_t)size)
		return 0; /* all past the end: the file has none of it */
	size_t len = (uint64_t)size - off < PAGE_SIZE ? (size_t)((uint64_t)size - off) : PAGE_SIZE;
	const char *p = memfile_ptr(pc->mf, mfoff);
	size_t done = 0;
	while (done < len) {
		ssize_t n = pc->ops->write(pc->owner, p + done, len - done, off + done);
		if (n <= 0)
			return n < 0 ? (int)n : -EIO;
		done += (size_t)n;
	}
	return 0;
}

/* Under pc->lock: write every dirty page back; when clean, the written ones
 * are clean afterwards (only when nothing maps the file, or the mappings
 * would go on writing unseen).  The first error, the rest are still tried. */
static int write_all_dirty(struct pagecache *pc, bool clean)
{
	if (!pc->ndirty)
		return 0;
	int64_t size = pc->ops->size(pc->owner);
	int err = 0;
	uint64_t a = 0, pte;
	while (pt_next(&pc->pages, &a, key(PC_MAX_PGOFF), &pte)) {
		if (pte & PC_DIRTY) {
			int r = write_page(pc, a >> PAGE_SHIFT, PTE_OFFSET(pte), size);
			if (r < 0 && !err)
				err = r;
			if (r == 0 && clean) {
				pt_set(&pc->pages, a, pte & ~PC_DIRTY);
				pc->ndirty--;
			}
		}
		a += PAGE_SIZE;
	}
	return err;
}

/* Under pc->lock: drop the cached pages from file page first on. */
static void drop_from(struct pagecache *pc, uint64_t first)
{
	uint64_t a = key(first), pte;
	while (pt_next(&pc->pages, &a, key(PC_MAX_PGOFF), &pte)) {
		if (pte & PC_DIRTY)
			pc->ndirty--;
		memfile_decref(pc->mf, PTE_OFFSET(pte), 1);
		pt_set(&pc->pages, a, 0);
		pc->npages--;
		a += PAGE_SIZE;
	}
	account(pc);
}

void pagecache_free(struct pagecache *pc)
{
	if (!pc)
		return;
	vmutex_lock(&pagecaches_lock);
	if (pc->prev)
		pc->prev->next = pc->next;
	else
		pagecaches = pc->next;
	if (pc->next)
		pc->next->prev = pc->prev;
	lru_unlink(pc);
	vmutex_unlock(&pagecaches_lock);
	vmutex_lock(&pc->lock);
	if (pc->users)
		log_error("pagecache: freed with %llu users", (unsigned long long)pc->users);
	if (write_all_dirty(pc, true) < 0)
		log_warn("pagecache: writing back a file that goes failed: data lost");
	drop_from(pc, 0);
	vmutex_unlock(&pc->lock);
	pt_destroy(&pc->pages);
	pthread_cond_destroy(&pc->done);
	vmutex_destroy(&pc->lock);
	free(pc);
}

/* Under pc->lock: bytes [off, off + len), clipped to the file's size, from
 * the cached pages; -1 when one of them is not cached. */
static ssize_t read_cached(struct pagecache *pc, void *buf, size_t len, uint64_t off)
{
	int64_t size = pc->ops->size(pc->owner);
	if (size < 0)
		return -1;
	if (off >= (uint64_t)size)
		return 0;
	if (len > (uint64_t)size - off)
		len = (size_t)((uint64_t)size - off);
	if (off + len < off || (off + len) >> PAGE_SHIFT >= PC_MAX_PGOFF)
		return -1;
	for (uint64_t a = PAGE_ROUND_DOWN(off); a < off + len; a += PAGE_SIZE)
		if (!pt_get(&pc->pages, a))
			return -1;
	for (uint64_t pos = off; pos < off + len;) {
		uint64_t in = pos & (PAGE_SIZE - 1);
		uint64_t chunk = PAGE_SIZE - in;
		if (chunk > off + len - pos)
			chunk = off + len - pos;
		uint64_t pte = pt_get(&pc->pages, PAGE_ROUND_DOWN(pos));
		memcpy((char *)buf + (pos - off), (char *)memfile_ptr(pc->mf, PTE_OFFSET(pte)) + in,
		       chunk);
		pos += chunk;
	}
	return (ssize_t)len;
}

ssize_t pagecache_read(struct pagecache *pc, void *buf, size_t len, uint64_t off)
{
	vmutex_lock(&pc->lock);
	if (!pc->npages) {
		/* Nothing cached, so nothing newer than the file: no need to
		 * hold the cache across the read. */
		vmutex_unlock(&pc->lock);
		return pc->ops->read(pc->owner, buf, len, off);
	}
	if (pc->keep) {
		/* The cache is the truth (exclusive access): when it holds
		 * every page read, the backing file is not asked. */
		ssize_t n = read_cached(pc, buf, len, off);
		if (n >= 0) {
			vmutex_unlock(&pc->lock);
			return n;
		}
	}
	ssize_t n = pc->ops->read(pc->owner, buf, len, off);
	for (uint64_t pos = off; n > 0 && pos < off + (uint64_t)n;) {
		uint64_t in = pos & (PAGE_SIZE - 1);
		uint64_t chunk = PAGE_SIZE - in;
		if (chunk > off + (uint64_t)n - pos)
			chunk = off + (uint64_t)n - pos;
		uint64_t pte =
		    pos >> PAGE_SHIFT < PC_MAX_PGOFF ? pt_get(&pc->pages, PAGE_ROUND_DOWN(pos)) : 0;
		if (pte)
			memcpy((char *)buf + (pos - off),
			       (char *)memfile_ptr(pc->mf, PTE_OFFSET(pte)) + in, chunk);
		pos += chunk;
	}
	vmutex_unlock(&pc->lock);
	return n;
}

/* Under pc->lock: zero bytes [from, the end of its page) of a cached page. */
static void zero_tail(struct pagecache *pc, uint64_t from)
{
	uint64_t in = from & (PAGE_SIZE - 1);
	if (!in || from >> PAGE_SHIFT >= PC_MAX_PGOFF)
		return;
	uint64_t pte = pt_get(&pc->pages, PAGE_ROUND_DOWN(from));
	if (pte)
		memset((char *)memfile_ptr(pc->mf, PTE_OFFSET(pte)) + in, 0, PAGE_SIZE - in);
}

void pagecache_written(struct pagecache *pc, const void *buf, size_t len, uint64_t off,
		       uint64_t old_size)
{
	if (!pc->npages || !len)
		return;
	/* What a mapping wrote past the old end never was the file's: the
	 * file reads zeroes there now, up to the new data. */
	if (off + len > old_size)
		zero_tail(pc, old_size);
	for (uint64_t pos = off; pos < off + len;) {
		uint64_t in = pos & (PAGE_SIZE - 1);
		uint64_t chunk = PAGE_SIZE - in;
		if (chunk > off + len - pos)
			chunk = off + len - pos;
		uint64_t pte =
		    pos >> PAGE_SHIFT < PC_MAX_PGOFF ? pt_get(&pc->pages, PAGE_ROUND_DOWN(pos)) : 0;
		if (pte)
			memcpy((char *)memfile_ptr(pc->mf, PTE_OFFSET(pte)) + in,
			       (const char *)buf + (pos - off), chunk);
		pos += chunk;
	}
}

void pagecache_resized(struct pagecache *pc, uint64_t old_size, uint64_t new_size)
{
	if (!pc->npages)
		return;
	if (new_size < old_size)
		drop_from(pc, pages_for(new_size));
	/* The partial page at the smaller end: zeroes past it, whether the
	 * file shrank into it or grows from it. */
	zero_tail(pc, new_size < old_size ? new_size : old_size);
}

void pagecache_unmap_past(struct pagecache *pc, uint64_t new_size)
{
	vmutex_lock(&pc->lock);
	bool mapped = pc->users > 0;
	vmutex_unlock(&pc->lock);
	/* A mapping made after this looks at the new size when it faults. */
	if (mapped)
		mm_file_unmap_from(&pc->mmf, pages_for(new_size));
}

bool pagecache_dirty(struct pagecache *pc)
{
	vmutex_lock(&pc->lock);
	bool d = pc->ndirty > 0;
	vmutex_unlock(&pc->lock);
	return d;
}

/* The pages a write-back took the dirty bits of, ascending. */
struct taken {
	uint64_t pgoff;
	bool busy; /* still writable in a mapping mkclean could not change */
};

struct taken_list {
	struct taken *v;
	uint64_t n, cap;
};

/* mm_file_mkclean's report: page pgoff must stay dirty. */
static void taken_busy(void *arg, uint64_t pgoff)
{
	struct taken_list *t = arg;
	uint64_t lo = 0, hi = t->n;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		if (t->v[mid].pgoff < pgoff)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < t->n && t->v[lo].pgoff == pgoff)
		t->v[lo].busy = true;
}

/* Under pc->lock: take the dirty bits of file pages [first, end) into t.
 * false when out of memory (then nothing is taken). */
static bool take_dirty(struct pagecache *pc, uint64_t first, uint64_t end, struct taken_list *t)
{
	uint64_t a = key(first), pte;
	while (pc->ndirty && pt_next(&pc->pages, &a, key(end), &pte)) {
		if (pte & PC_DIRTY) {
			if (t->n == t->cap) {
				uint64_t cap = t->cap ? t->cap * 2 : 16;
				struct taken *v = realloc(t->v, cap * sizeof(*v));
				if (!v) {
					for (uint64_t i = 0; i < t->n; i++)
						pt_set(&pc->pages, key(t->v[i].pgoff),
						       pt_get(&pc->pages, key(t->v[i].pgoff)) |
							   PC_DIRTY);
					pc->ndirty += t->n;
					t->n = 0;
					return false;
				}
				t->v = v;
				t->cap = cap;
			}
			t->v[t->n++] = (struct taken){a >> PAGE_SHIFT, false};
			pt_set(&pc->pages, a, pte & ~PC_DIRTY);
			pc->ndirty--;
		}
		a += PAGE_SIZE;
	}
	return true;
}

int pagecache_writeback(struct pagecache *pc, uint64_t off, uint64_t len)
{
	uint64_t first = off >> PAGE_SHIFT;
	uint64_t end =
	    (len >= key(PC_MAX_PGOFF) || off + len < off) ? PC_MAX_PGOFF : pages_for(off + len);
	if (end > PC_MAX_PGOFF)
		end = PC_MAX_PGOFF;
	if (first >= end)
		return 0;
	struct taken_list t = {0};
	vmutex_lock(&pc->lock);
	wait_writing(pc);
	if (!take_dirty(pc, first, end, &t)) {
		/* Out of memory: write them all, clean none. */
		int r = write_all_dirty(pc, false);
		vmutex_unlock(&pc->lock);
		free(t.v);
		return r;
	}
	if (!t.n) {
		vmutex_unlock(&pc->lock);
		free(t.v);
		return 0;
	}
	pc->writing = true;
	vmutex_unlock(&pc->lock);
	/* From here a write through a mapping faults and dirties the page
	 * again, but for those mkclean reports busy. */
	mm_file_mkclean(&pc->mmf, t.v[0].pgoff, t.v[t.n - 1].pgoff - t.v[0].pgoff + 1, taken_busy,
			&t);
	vmutex_lock(&pc->lock);
	int64_t size = pc->ops->size(pc->owner);
	int err = 0;
	for (uint64_t i = 0; i < t.n; i++) {
		uint64_t k = key(t.v[i].pgoff), pte = pt_get(&pc->pages, k);
		if (!pte)
			continue; /* truncated away meanwhile */
		int r = write_page(pc, t.v[i].pgoff, PTE_OFFSET(pte), size);
		if (r < 0 && !err)
			err = r;
		if ((r < 0 || t.v[i].busy) && !(pte & PC_DIRTY)) {
			pt_set(&pc->pages, k, pte | PC_DIRTY);
			pc->ndirty++;
		}
	}
	pc->writing = false;
	pthread_cond_broadcast(&pc->done);
	vmutex_unlock(&pc->lock);
	free(t.v);
	return err;
}

/* Under pagecaches_lock, pc->lock held: empty an unmapped cache; the pages
 * freed.  A cache in use (it has users again) just leaves the LRU. */
static uint64_t empty_kept(struct pagecache *pc)
{
	uint64_t freed = 0;
	if (!pc->users && !pc->writing && !pc->ndirty) {
		freed = pc->npages;
		drop_from(pc, 0);
	}
	if (pc->users || !pc->npages)
		lru_unlink(pc);
	return freed;
}

uint64_t pagecache_reclaim(uint64_t target)
{
	uint64_t freed = 0;
	vmutex_lock(&pagecaches_lock);
	for (struct pagecache *pc = lru_head, *next; pc && atomic_load(&kept_pages) > target;
	     pc = next) {
		next = pc->lru_next;
		vmutex_lock(&pc->lock);
		freed += empty_kept(pc);
		vmutex_unlock(&pc->lock);
	}
	vmutex_unlock(&pagecaches_lock);
	return freed;
}

uint64_t pagecache_shrink(void *arg, uint64_t npages)
{
	/* Maybe under mm->lock or a page cache's lock: trylocks only, a cache
	 * that is busy is skipped. */
	uint64_t freed = 0;
	if (vmutex_trylock(&pagecaches_lock) != 0)
		return 0;
	for (struct pagecache *pc = lru_head, *next; pc && freed < npages; pc = next) {
		next = pc->lru_next;
		if (vmutex_trylock(&pc->lock) != 0)
			continue;
		freed += empty_kept(pc);
		vmutex_unlock(&pc->lock);
	}
	vmutex_unlock(&pagecaches_lock);
	return freed;
}

uint64_t pagecache_kept_pages(void) { return atomic_load(&kept_pages); }

void pagecache_set_keep_budget(uint64_t npages) { keep_budget = npages; }

void pagecache_sync_all(void)
{
	vmutex_lock(&pagecaches_lock);
	for (struct pagecache *pc = pagecaches; pc; pc = pc->next) {
		vmutex_lock(&pc->lock);
		wait_writing(pc);
		if (write_all_dirty(pc, false) < 0)
			log_warn("pagecache: write-back failed: data of a mapped file lost");
		vmutex_unlock(&pc->lock);
	}
	vmutex_unlock(&pagecaches_lock);
}

/* ---- the mm_file ---- */

static void pc_get(struct mm_file *f)
{
	struct pagecache *pc = mmf_pc(f);
	vmutex_lock(&pc->lock);
	pc->users++;
	account(pc); /* off kept_pages; the LRU's walks unlink it */
	vmutex_unlock(&pc->lock);
	pc->ops->get(pc->owner);
}

/* The last user gone, nothing maps the file: its dirty pages go back (no
 * write-protection needed, there is no mapping) and the cache empties, or,
 * kept, joins the LRU of unmapped caches. */
static void pc_put(struct mm_file *f)
{
	struct pagecache *pc = mmf_pc(f);
	bool kept = false;
	vmutex_lock(&pc->lock);
	if (--pc->users == 0) {
		wait_writing(pc);
		if (write_all_dirty(pc, true) < 0)
			log_warn("pagecache: writing back the last mapping's pages failed");
		if (!pc->ndirty && !pc->keep)
			drop_from(pc, 0);
		account(pc);
		kept = pc->keep && pc->npages;
	}
	vmutex_unlock(&pc->lock);
	if (kept) {
		vmutex_lock(&pagecaches_lock);
		lru_append(pc);
		vmutex_unlock(&pagecaches_lock);
		if (atomic_load(&kept_pages) > keep_budget)
			pagecache_reclaim(keep_budget);
	}
	pc->ops->put(pc->owner);
}

static ssize_t pc_pread(struct mm_file *f, void *buf, size_t len, uint64_t off)
{
	return pagecache_read(mmf_pc(f), buf, len, off);
}

/* File pages read into the cache at one miss, at most: the fault-around
 * window of a file mapping (MM_FAULT_AROUND_FILE), so that a window's faults cost one read of
 * the backing file rather than one per page. */
#define PC_READ_AROUND MM_FAULT_AROUND_FILE

/* Under pc->lock, page pgoff (below size) not cached: read it and the
 * uncached pages after it, up to PC_READ_AROUND, within the file and its
 * aligned window, into a run of fresh frames with one read, and cache every
 * page the read reached (the rest of a short read stays unread, as Linux
 * leaves a page it could not read).  Returns the frame of pgoff, or -EIO. */
static int64_t read_around(struct pagecache *pc, uint64_t pgoff, uint64_t size)
{
	uint64_t n = 1;
	uint64_t end = (pgoff | (PC_READ_AROUND - 1)) + 1; /* the window's end */
	while (pgoff + n < end && pgoff + n < PC_MAX_PGOFF && key(pgoff + n) < size &&
	       !pt_get(&pc->pages, key(pgoff + n)))
		n++;
	/* Raw frames: the read fills them, the tail of the last page it
	 * reaches is zeroed below, and the pages it does not reach are freed. */
	int64_t r = memfile_alloc_raw(pc->mf, n);
	if (r < 0 && n > 1) { /* no free run that long, or at the limit */
		n = 1;
		r = memfile_alloc_raw(pc->mf, 1);
	}
	if (r < 0)
		return r;
	char *p = memfile_ptr(pc->mf, (uint64_t)r);
	uint64_t want = size - key(pgoff);
	size_t len = want < n * PAGE_SIZE ? (size_t)want : n * PAGE_SIZE, got = 0;
	while (got < len) {
		ssize_t k = pc->ops->read(pc->owner, p + got, len - got, key(pgoff) + got);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	/* Past the end of the file (or of a short read) the page holds zeroes,
	 * as Linux's does. */
	size_t reached = (got + PAGE_SIZE - 1) / PAGE_SIZE * PAGE_SIZE;
	memset(p + got, 0, reached - got);
	uint64_t i = 0;
	for (; i < n && i * PAGE_SIZE < got; i++) {
		uint64_t off = (uint64_t)r + i * PAGE_SIZE;
		if (pt_set(&pc->pages, key(pgoff + i), off | PTE_PRESENT) < 0)
			break;
		pc->npages++;
	}
	account(pc);
	if (i < n)
		memfile_decref(pc->mf, (uint64_t)r + i * PAGE_SIZE, n - i);
	return i ? r : -EIO;
}

static int64_t pc_shared_page(struct mm_file *f, uint64_t pgoff)
{
	struct pagecache *pc = mmf_pc(f);
	if (pgoff >= PC_MAX_PGOFF)
		return -EIO;
	vmutex_lock(&pc->lock);
	int64_t size = pc->ops->size(pc->owner);
	int64_t r;
	uint64_t pte = pt_get(&pc->pages, key(pgoff));
	if (size < 0 || key(pgoff) >= (uint64_t)size) {
		r = -EIO; /* past the end (a truncate raced with the fault): SIGBUS */
	} else if (pte) {
		r = (int64_t)PTE_OFFSET(pte);
	} else {
		r = read_around(pc, pgoff, (uint64_t)size);
	}
	if (r >= 0)
		memfile_incref(pc->mf, (uint64_t)r, 1); /* the caller's */
	vmutex_unlock(&pc->lock);
	return r;
}

static int64_t pc_cached_page(struct mm_file *f, uint64_t pgoff)
{
	struct pagecache *pc = mmf_pc(f);
	if (pgoff >= PC_MAX_PGOFF)
		return -ENOENT;
	vmutex_lock(&pc->lock);
	int64_t size = pc->ops->size(pc->owner);
	uint64_t pte = pt_get(&pc->pages, key(pgoff));
	int64_t r = -ENOENT;
	if (size >= 0 && key(pgoff) < (uint64_t)size && pte) {
		r = (int64_t)PTE_OFFSET(pte);
		memfile_incref(pc->mf, (uint64_t)r, 1); /* the caller's */
	}
	vmutex_unlock(&pc->lock);
	return r;
}

static int64_t pc_size(struct mm_file *f)
{
	struct pagecache *pc = mmf_pc(f);
	return pc->ops->size(pc->owner);
}

static int pc_page_mkwrite(struct mm_file *f, uint64_t pgoff)
{
	struct pagecache *pc = mmf_pc(f);
	if (pgoff >= PC_MAX_PGOFF)
		return -EIO;
	vmutex_lock(&pc->lock);
	uint64_t pte = pt_get(&pc->pages, key(pgoff));
	if (pte && !(pte & PC_DIRTY)) {
		pt_set(&pc->pages, key(pgoff), pte | PC_DIRTY);
		pc->ndirty++;
	}
	vmutex_unlock(&pc->lock);
	return pte ? 0 : -EIO; /* gone: truncated past it, SIGBUS */
}

static int pc_sync(struct mm_file *f, uint64_t off, uint64_t len, bool datasync)
{
	struct pagecache *pc = mmf_pc(f);
	int r = pagecache_writeback(pc, off, len);
	if (r == 0 && datasync)
		r = pc->ops->datasync(pc->owner);
	return r;
}

static const struct mm_file_ops pagecache_mmf_ops = {
    .get = pc_get,
    .put = pc_put,
    .pread = pc_pread,
    .shared_page = pc_shared_page,
    .cached_page = pc_cached_page,
    .size = pc_size,
    .page_mkwrite = pc_page_mkwrite,
    .sync = pc_sync,
};
