/*
 * mm_test_util.h — what only the sentry/mm unit tests use, over the harness
 * (sentry/tests/harness.h) and its fake platform: the platform's call log
 * and host view read back, an "app" that reads and writes through that view
 * and faults into mm_handle_fault like real code, a consistency check
 * between the view and the page table, and fake mappable files.
 */
#ifndef VISOR_SENTRY_MM_TEST_UTIL_H
#define VISOR_SENTRY_MM_TEST_UTIL_H

#include <signal.h>
#include <stdio.h>

#include "lib/lockdep.h"
#include "sentry/tests/harness.h"

#define PG PAGE_SIZE

/* ---- the fake platform's view of an mm ---- */

static inline struct addr_space *AS(struct mm *mm) { return mm_addr_space(mm); }

static inline int count_calls(struct mm *mm, enum fake_op op)
{
	int n = 0;
	for (int i = 0; i < AS(mm)->ncalls && i < FAKE_MAX_CALLS; i++)
		n += AS(mm)->calls[i].op == op;
	return n;
}

static inline void clear_calls(struct mm *mm) { AS(mm)->ncalls = 0; }

/* Host view of a page: prot, or -1 when unmapped. */
static inline int host_prot(struct mm *mm, uint64_t addr)
{
	uint64_t e = pt_get(&AS(mm)->host, PAGE_ROUND_DOWN(addr));
	return e ? (int)((e >> 3) & 7) : -1;
}

/* ---- the app: accesses through the host view, faulting like hardware ---- */

static int last_si_code;

/* Access n bytes at addr (within one page) as the app would: read (into
 * buf) or write (from buf).  0, or mm_handle_fault's error. */
static inline int app_access(struct mm *mm, struct memfile *mf, uint64_t addr, void *buf, size_t n,
			     bool write)
{
	assert_true(OFFSET_IN_PAGE(addr) + n <= PG);
	for (int tries = 0; tries < 4; tries++) {
		uint64_t e = pt_get(&AS(mm)->host, PAGE_ROUND_DOWN(addr));
		int prot = (int)((e >> 3) & 7);
		bool ok = e && (write ? (prot & PROT_WRITE)
				      : (prot & (PROT_READ | PROT_WRITE | PROT_EXEC)));
		if (ok) {
			char *p = (char *)memfile_ptr(mf, PTE_OFFSET(e)) + OFFSET_IN_PAGE(addr);
			if (write)
				memcpy(p, buf, n);
			else
				memcpy(buf, p, n);
			return 0;
		}
		int err = mm_handle_fault(mm, addr, &last_si_code);
		if (err)
			return err;
	}
	fail_msg("app access at %#llx keeps faulting", (unsigned long long)addr);
	return -1;
}

static inline uint8_t app_read8(struct mm *mm, struct memfile *mf, uint64_t addr)
{
	uint8_t b = 0xee;
	assert_int_equal(app_access(mm, mf, addr, &b, 1, false), 0);
	return b;
}

static inline void app_write8(struct mm *mm, struct memfile *mf, uint64_t addr, uint8_t v)
{
	assert_int_equal(app_access(mm, mf, addr, &v, 1, true), 0);
}

/* Every host mapping matches the page table (same frame, prot no more than
 * the VMA allows, no write on CoW pages) and vice versa. */
static inline void check_consistency(struct mm *mm)
{
	uint64_t a = 0, e;
	while (pt_next(&AS(mm)->host, &a, PLAT_APP_TOP, &e)) {
		uint64_t pte = pt_get(&mm->pt, a);
		if (!(pte & PTE_MAPPED))
			fail_msg("host maps %#llx but the page table does not say so",
				 (unsigned long long)a);
		assert_int_equal(PTE_OFFSET(pte), PTE_OFFSET(e));
		int hp = (int)((e >> 3) & 7);
		assert_int_equal(PTE_MPROT(pte), hp);
		struct vma *v = vmas_find(&mm->vmas, a, NULL);
		assert_non_null(v);
		int allowed = v->prot & 7;
		if (pte & PTE_COW)
			allowed &= ~PROT_WRITE;
		if (hp & ~allowed)
			fail_msg("host prot %d at %#llx exceeds allowed %d", hp,
				 (unsigned long long)a, allowed);
		assert_true(memfile_refcount(mm->mf, PTE_OFFSET(pte)) >= 1);
		a += PG;
	}
	a = 0;
	while (pt_next(&mm->pt, &a, PLAT_APP_TOP, &e)) {
		if (e & PTE_MAPPED)
			assert_true(pt_get(&AS(mm)->host, a) != 0);
		assert_non_null(vmas_find(&mm->vmas, a, NULL));
		a += PG;
	}
	assert_int_equal(AS(mm)->bad_protects, 0);
	/* VMAs sorted, non-overlapping, non-empty. */
	for (size_t i = 0; i < mm->vmas.n; i++) {
		assert_true(mm->vmas.v[i]->start < mm->vmas.v[i]->end);
		if (i)
			assert_true(mm->vmas.v[i - 1]->end <= mm->vmas.v[i]->start);
	}
}

/* ---- fake files ---- */

/* The most pages a fake file caches. */
#define FF_PAGES 1024

struct fake_file {
	struct mm_file f;
	const uint8_t *data;
	size_t size;
	int refs;
	struct memfile *mf;
	int64_t cache[FF_PAGES]; /* shared pages, 0 = none yet (offset+1 stored) */
	int preads;
	int puts_under_lock; /* puts while the thread held a lock (LOCKING.md rule 4) */
};

static inline void ff_get(struct mm_file *f) { ((struct fake_file *)f)->refs++; }

static inline void ff_put(struct mm_file *f)
{
	struct fake_file *ff = (struct fake_file *)f;
	ff->refs--;
#ifdef VISOR_LOCKDEP
	if (lockdep_held_count() > 0)
		ff->puts_under_lock++;
#endif
}

static inline ssize_t ff_pread(struct mm_file *f, void *buf, size_t len, uint64_t off)
{
	struct fake_file *ff = (struct fake_file *)f;
	ff->preads++;
	if (off >= ff->size)
		return 0;
	size_t n = ff->size - off < len ? ff->size - off : len;
	memcpy(buf, ff->data + off, n);
	return (ssize_t)n;
}

static inline int64_t ff_size(struct mm_file *f) { return (int64_t)((struct fake_file *)f)->size; }

static inline int64_t ff_shared_page(struct mm_file *f, uint64_t pgoff)
{
	struct fake_file *ff = (struct fake_file *)f;
	if (pgoff >= FF_PAGES)
		return -EIO;
	if (!ff->cache[pgoff]) {
		int64_t off = memfile_alloc(ff->mf, 1);
		if (off < 0)
			return off;
		ff_pread(f, memfile_ptr(ff->mf, (uint64_t)off), PG, pgoff * PG);
		ff->cache[pgoff] = off + 1;
	}
	memfile_incref(ff->mf, (uint64_t)(ff->cache[pgoff] - 1), 1);
	return ff->cache[pgoff] - 1;
}

/* A page already cached, never read (mm_file_ops.cached_page). */
static inline int64_t ff_cached_page(struct mm_file *f, uint64_t pgoff)
{
	struct fake_file *ff = (struct fake_file *)f;
	if (pgoff >= FF_PAGES || !ff->cache[pgoff] || pgoff * PG >= ff->size)
		return -ENOENT;
	memfile_incref(ff->mf, (uint64_t)(ff->cache[pgoff] - 1), 1);
	return ff->cache[pgoff] - 1;
}

static const struct mm_file_ops ff_private_ops = {
    .get = ff_get, .put = ff_put, .pread = ff_pread, .size = ff_size};
static const struct mm_file_ops ff_shared_ops = {.get = ff_get,
						 .put = ff_put,
						 .pread = ff_pread,
						 .shared_page = ff_shared_page,
						 .size = ff_size};
/* As ff_shared_ops, and says which pages it has at hand. */
static const struct mm_file_ops ff_cached_ops = {.get = ff_get,
						 .put = ff_put,
						 .pread = ff_pread,
						 .shared_page = ff_shared_page,
						 .cached_page = ff_cached_page,
						 .size = ff_size};

static inline void ff_init(struct fake_file *ff, struct memfile *mf, const uint8_t *data,
			   size_t size, bool shareable)
{
	memset(ff, 0, sizeof(*ff));
	ff->f.ops = shareable ? &ff_shared_ops : &ff_private_ops;
	ff->f.name = "/data/file";
	ff->f.dev = 8;
	ff->f.ino = 42;
	ff->data = data;
	ff->size = size;
	ff->mf = mf;
}

/* Drop the file's own cache references. */
static inline void ff_release(struct fake_file *ff)
{
	for (int i = 0; i < FF_PAGES; i++)
		if (ff->cache[i])
			memfile_decref(ff->mf, (uint64_t)(ff->cache[i] - 1), 1);
	memset(ff->cache, 0, sizeof(ff->cache));
}

#endif
