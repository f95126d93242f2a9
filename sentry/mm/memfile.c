/*
 * memfile.c — the memory file: every page of application memory the Sentry
 * owns (anonymous, private copies, shared anonymous) is a page of one memfd.
 *
 * The memfd is sized to `limit` (sparse, nothing is allocated by the host
 * until touched) and mapped whole into the Sentry, MAP_SHARED|MAP_NORESERVE,
 * so that memfile_ptr() is plain arithmetic and the platform can map the
 * same pages into application address spaces.
 *
 * The allocator: a bitmap of page frames (1 = in use) plus a uint32 refcount
 * per frame, both in lazily-touched anonymous memory so a large limit costs
 * nothing until used.  Allocation is first fit from a hint (the lowest word
 * that may have a free bit), so memory stays dense at the start of the file;
 * multi-page runs are searched a word at a time (see find_run).
 * A frame whose refcount drops to zero is not given back at once: it joins
 * the dirty pool (free, contents not zero), and the allocator zeroes a dirty
 * frame with memset when it hands it out again (memfile_alloc_raw does not:
 * its caller overwrites the frame whole, with a copy or a file's read).
 * Punching a frame (fallocate(PUNCH_HOLE)) costs the host an unmap of it
 * from every process that maps the memory file and a TLB shoot-down across
 * CPUs, tens of microseconds, against well under one for a memset; a
 * process's exit freed its pages one run at a time, so fork+exec loops
 * spent a tenth of the Sentry's time in that.  When the pool passes
 * MEMFILE_DIRTY_MAX frames (and at memfile_trim) it is punched whole, in
 * runs of adjacent frames: the host gets the memory back, and those frames
 * read as zeroes without writing them.
 *
 * Never: touch page contents other than to zero a frame (a dirty one handed
 * out by memfile_alloc, or one whose punching fails).
 * Locking: mf->lock protects bitmap, refcounts and counters; innermost lock.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/lockdep.h"
#include "lib/log.h"
#include "sentry/mm/mm.h"

struct memfile {
	int fd;
	uint8_t *base;
	uint64_t npages; /* limit in pages */
	struct vmutex lock;
	uint32_t *ref;	     /* per frame */
	uint64_t *bitmap;    /* per frame, 1 = allocated */
	uint64_t hint;	     /* no free frame below word `hint` */
	uint64_t multi_hint; /* no multi-page run found by find_run starts below this word */
	uint64_t used;	     /* frames allocated */
	uint64_t *dirty;     /* per frame, 1 = free but not punched (not zero) */
	uint64_t ndirty;     /* frames in the dirty pool */
	uint64_t dirty_lo, dirty_hi; /* the pool's bits lie in words [dirty_lo, dirty_hi) */
	_Atomic uint64_t limit_pages; /* the container's memory limit; 0 = none */
	atomic_bool oom;	      /* an allocation failed at limit_pages */
	/* Gives back memory that is only a cache (the page cache's kept
	 * pages) when an allocation fails; set once at boot. */
	uint64_t (*shrink)(void *arg, uint64_t npages);
	void *shrink_arg;
};

/* Freed frames kept unpunched at most (16 MiB): more than a process start
 * and exit frees, little next to the 128 MiB the host cgroup gives the
 * Sentry above the container's limit. */
#define MEMFILE_DIRTY_MAX 4096

static void *anon_reserve(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static size_t ref_bytes(uint64_t npages) { return PAGE_ROUND_UP(npages * sizeof(uint32_t)); }

static size_t bitmap_bytes(uint64_t npages)
{
	return PAGE_ROUND_UP((npages + 63) / 64 * sizeof(uint64_t));
}

int memfile_new(uint64_t limit, struct memfile **out)
{
	limit = PAGE_ROUND_DOWN(limit);
	if (limit == 0)
		return -EINVAL;
	struct memfile *mf = calloc(1, sizeof(*mf));
	if (!mf)
		return -ENOMEM;
	mf->npages = limit / PAGE_SIZE;
	mf->fd = memfd_create("visor-memfile", MFD_CLOEXEC);
	int err;
	if (mf->fd < 0) {
		err = -errno;
		goto fail;
	}
	if (ftruncate(mf->fd, (off_t)limit) < 0) {
		err = -errno;
		goto fail;
	}
	void *base =
	    mmap(NULL, limit, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, mf->fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		goto fail;
	}
	mf->base = base;
	mf->ref = anon_reserve(ref_bytes(mf->npages));
	mf->bitmap = anon_reserve(bitmap_bytes(mf->npages));
	mf->dirty = anon_reserve(bitmap_bytes(mf->npages));
	if (!mf->ref || !mf->bitmap || !mf->dirty) {
		err = -ENOMEM;
		goto fail;
	}
	vmutex_init(&mf->lock, LOCK_CLASS(MEMFILE));
	*out = mf;
	return 0;
fail:
	memfile_free(mf);
	return err;
}

void memfile_free(struct memfile *mf)
{
	if (!mf)
		return;
	if (mf->base)
		munmap(mf->base, mf->npages * PAGE_SIZE);
	if (mf->ref)
		munmap(mf->ref, ref_bytes(mf->npages));
	if (mf->bitmap)
		munmap(mf->bitmap, bitmap_bytes(mf->npages));
	if (mf->dirty)
		munmap(mf->dirty, bitmap_bytes(mf->npages));
	if (mf->fd >= 0)
		close(mf->fd);
	free(mf);
}

int memfile_fd(const struct memfile *mf) { return mf->fd; }

static bool frame_used(const struct memfile *mf, uint64_t f)
{
	return mf->bitmap[f / 64] & (1ULL << (f % 64));
}

/* First free frame at or above word mf->hint (which it advances past full
 * words), or npages when none. */
static uint64_t find_one(struct memfile *mf)
{
	uint64_t nwords = (mf->npages + 63) / 64;
	while (mf->hint < nwords && mf->bitmap[mf->hint] == ~0ULL)
		mf->hint++;
	if (mf->hint == nwords)
		return mf->npages;
	uint64_t f = mf->hint * 64 + (uint64_t)__builtin_ctzll(~mf->bitmap[mf->hint]);
	return f < mf->npages ? f : mf->npages;
}

/* A run of n > 1 free frames, looking only at whole words (a run is the
 * free top of one word, free words, and the free bottom of the next), so
 * the search costs one step per word; holes inside words are left to
 * single-page allocations.  mf->multi_hint: no such run starts below it
 * (lowered whenever a frame below it is freed). */
static uint64_t find_run(struct memfile *mf, uint64_t n, uint64_t from)
{
	uint64_t nwords = (mf->npages + 63) / 64;
	uint64_t run = 0, start = 0;
	for (uint64_t w = from; w < nwords; w++) {
		uint64_t used = mf->bitmap[w];
		/* Frames in the word (the last one may be partial). */
		uint64_t bits = (w == nwords - 1 && mf->npages % 64) ? mf->npages % 64 : 64;
		if (run == 0)
			start = w * 64;
		if (used == 0) {
			run += bits;
		} else {
			uint64_t head = (uint64_t)__builtin_ctzll(used); /* free low bits */
			if (run + head >= n) {
				run += head;
				break;
			}
			uint64_t high = (uint64_t)__builtin_clzll(used); /* free high bits */
			uint64_t tail = high > 64 - bits ? high - (64 - bits) : 0;
			run = tail;
			start = w * 64 + bits - tail;
			if (run == 0 && w == mf->multi_hint)
				mf->multi_hint = w + 1;
		}
		if (run >= n)
			break;
	}
	return run >= n ? start : mf->npages;
}

/* One try at memfile_alloc (zero: dirty frames are zeroed, else left as
 * they are); *at_limit says the container's limit refused it. */
static int64_t alloc_once(struct memfile *mf, uint64_t npages, bool zero, bool *at_limit)
{
	if (npages == 0 || npages > mf->npages)
		return -ENOMEM;
	vmutex_lock(&mf->lock);
	uint64_t start;
	if (npages == 1) {
		start = find_one(mf);
	} else {
		start = find_run(mf, npages, mf->multi_hint);
		if (start >= mf->npages && mf->multi_hint) /* the hint skips word heads */
			start = find_run(mf, npages, 0);
	}
	if (start >= mf->npages) {
		vmutex_unlock(&mf->lock);
		return -ENOMEM;
	}
	uint64_t lim = atomic_load(&mf->limit_pages);
	if (lim && mf->used + npages > lim) {
		vmutex_unlock(&mf->lock);
		*at_limit = true;
		return -ENOMEM;
	}
	for (uint64_t i = start; i < start + npages; i++) {
		mf->bitmap[i / 64] |= 1ULL << (i % 64);
		mf->ref[i] = 1;
		if (mf->ndirty && (mf->dirty[i / 64] & (1ULL << (i % 64)))) {
			mf->dirty[i / 64] &= ~(1ULL << (i % 64));
			mf->ndirty--;
			if (zero)
				memset(mf->base + i * PAGE_SIZE, 0, PAGE_SIZE);
		}
	}
	mf->used += npages;
	vmutex_unlock(&mf->lock);
	return (int64_t)(start * PAGE_SIZE);
}

static int64_t alloc_pages(struct memfile *mf, uint64_t npages, bool zero)
{
	bool at_limit = false;
	int64_t r = alloc_once(mf, npages, zero, &at_limit);
	/* Short of memory: what is only a cache goes first, then one more try
	 * (the shrinker runs with no memfile lock held). */
	if (r == -ENOMEM && mf->shrink && npages <= mf->npages &&
	    mf->shrink(mf->shrink_arg, npages) > 0) {
		at_limit = false;
		r = alloc_once(mf, npages, zero, &at_limit);
	}
	if (at_limit)
		atomic_store(&mf->oom, true);
	return r;
}

int64_t memfile_alloc(struct memfile *mf, uint64_t npages) { return alloc_pages(mf, npages, true); }

int64_t memfile_alloc_raw(struct memfile *mf, uint64_t npages)
{
	return alloc_pages(mf, npages, false);
}

void memfile_set_shrinker(struct memfile *mf, uint64_t (*shrink)(void *arg, uint64_t npages),
			  void *arg)
{
	mf->shrink_arg = arg;
	mf->shrink = shrink;
}

/* The whole sandbox (the Sentry, the Gofer, the stubs and the memory file)
 * lives in the container's host cgroup, whose limit is the user's, as runc
 * writes it (so `docker stats` shows it).  The app's pages get that less a
 * share for the sandbox's own memory, as under runc the kernel's own memory
 * for the container is charged to the same cgroup: an eighth of the limit,
 * at least 8 MiB and at most 64 MiB, never more than half.  So the Sentry's
 * OOM killer acts before the host's, which would take the whole sandbox. */
uint64_t memfile_app_limit(uint64_t bytes)
{
	if (!bytes)
		return 0;
	uint64_t share = bytes / 8;
	if (share < (8ull << 20))
		share = 8ull << 20;
	if (share > (64ull << 20))
		share = 64ull << 20;
	if (share > bytes / 2)
		share = bytes / 2;
	return bytes - share;
}

void memfile_set_limit(struct memfile *mf, uint64_t bytes)
{
	atomic_store(&mf->limit_pages, memfile_app_limit(bytes) / PAGE_SIZE);
}

bool memfile_take_oom(struct memfile *mf)
{
	return atomic_exchange(&mf->oom, false);
}

bool memfile_at_limit(struct memfile *mf)
{
	uint64_t lim = atomic_load(&mf->limit_pages);
	return lim && memfile_used(mf) / PAGE_SIZE + 1 > lim;
}

void memfile_incref(struct memfile *mf, uint64_t offset, uint64_t npages)
{
	uint64_t f0 = offset / PAGE_SIZE;
	vmutex_lock(&mf->lock);
	for (uint64_t f = f0; f < f0 + npages && f < mf->npages; f++) {
		if (!frame_used(mf, f))
			log_error("memfile: incref of free page %#llx", (unsigned long long)f);
		else
			mf->ref[f]++;
	}
	vmutex_unlock(&mf->lock);
}

/* Give a run of freed frames back to the host; they read as zero afterwards. */
static void punch(struct memfile *mf, uint64_t f, uint64_t n)
{
	if (fallocate(mf->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(f * PAGE_SIZE),
		      (off_t)(n * PAGE_SIZE)) < 0)
		memset(mf->base + f * PAGE_SIZE, 0, n * PAGE_SIZE);
}

/* Punch the whole dirty pool, one fallocate per run of adjacent frames.
 * Called with mf->lock held. */
static void trim_locked(struct memfile *mf)
{
	uint64_t run_start = 0, run = 0;
	for (uint64_t w = mf->dirty_lo; w < mf->dirty_hi && mf->ndirty; w++) {
		uint64_t bits = mf->dirty[w];
		if (!bits) {
			if (run)
				punch(mf, run_start, run);
			run = 0;
			continue;
		}
		mf->dirty[w] = 0;
		for (uint64_t b = 0; b < 64; b++) {
			uint64_t f = w * 64 + b;
			if (!(bits & (1ULL << b))) {
				if (run)
					punch(mf, run_start, run);
				run = 0;
				continue;
			}
			mf->ndirty--;
			if (!run)
				run_start = f;
			run++;
		}
	}
	if (run)
		punch(mf, run_start, run);
	mf->ndirty = 0;
	mf->dirty_lo = mf->dirty_hi = 0;
}

void memfile_trim(struct memfile *mf)
{
	vmutex_lock(&mf->lock);
	trim_locked(mf);
	vmutex_unlock(&mf->lock);
}

uint64_t memfile_dirty_pages(struct memfile *mf)
{
	vmutex_lock(&mf->lock);
	uint64_t n = mf->ndirty;
	vmutex_unlock(&mf->lock);
	return n;
}

void memfile_decref(struct memfile *mf, uint64_t offset, uint64_t npages)
{
	uint64_t f0 = offset / PAGE_SIZE;
	vmutex_lock(&mf->lock);
	for (uint64_t f = f0; f < f0 + npages && f < mf->npages; f++) {
		if (!frame_used(mf, f) || mf->ref[f] == 0) {
			log_error("memfile: decref of free page %#llx", (unsigned long long)f);
			continue;
		}
		if (--mf->ref[f] != 0)
			continue;
		mf->bitmap[f / 64] &= ~(1ULL << (f % 64));
		mf->used--;
		if (f / 64 < mf->hint)
			mf->hint = f / 64;
		/* The run may continue from the word below. */
		uint64_t mw = f / 64 ? f / 64 - 1 : 0;
		if (mw < mf->multi_hint)
			mf->multi_hint = mw;
		mf->dirty[f / 64] |= 1ULL << (f % 64);
		if (mf->ndirty++ == 0)
			mf->dirty_lo = mf->dirty_hi = f / 64;
		if (f / 64 < mf->dirty_lo)
			mf->dirty_lo = f / 64;
		if (f / 64 + 1 > mf->dirty_hi)
			mf->dirty_hi = f / 64 + 1;
	}
	if (mf->ndirty > MEMFILE_DIRTY_MAX)
		trim_locked(mf);
	vmutex_unlock(&mf->lock);
}

uint32_t memfile_refcount(struct memfile *mf, uint64_t offset)
{
	uint64_t f = offset / PAGE_SIZE;
	if (f >= mf->npages)
		return 0;
	vmutex_lock(&mf->lock);
	uint32_t r = frame_used(mf, f) ? mf->ref[f] : 0;
	vmutex_unlock(&mf->lock);
	return r;
}

void *memfile_ptr(struct memfile *mf, uint64_t offset) { return mf->base + offset; }

uint64_t memfile_used(struct memfile *mf)
{
	vmutex_lock(&mf->lock);
	uint64_t u = mf->used * PAGE_SIZE;
	vmutex_unlock(&mf->lock);
	return u;
}
