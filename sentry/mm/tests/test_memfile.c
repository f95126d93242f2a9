/* Unit tests for sentry/mm/memfile.c: the page allocator under churn. */
/* cmocka.h needs these first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/mm/mm.h"

#define NPAGES 1000 /* not a multiple of 64: the last bitmap word is partial */

struct block {
	int64_t off;
	uint64_t n;
};

static uint64_t rng = 88172645463325252ULL;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void test_alloc_free_churn_never_overlaps_and_always_zeroes(void **state)
{
	struct memfile *mf;
	assert_int_equal(memfile_new(NPAGES * PAGE_SIZE, &mf), 0);
	static int owner[NPAGES]; /* block index + 1, or 0 */
	static struct block blocks[4096];
	int nblocks = 0;
	uint64_t used = 0;
	memset(owner, 0, sizeof(owner));
	for (int op = 0; op < 20000; op++) {
		if (nblocks > 0 && (rnd() % 2 == 0 || nblocks == 4096)) {
			int k = (int)(rnd() % (uint64_t)nblocks);
			struct block b = blocks[k];
			for (uint64_t i = 0; i < b.n; i++)
				owner[b.off / PAGE_SIZE + i] = 0;
			memfile_decref(mf, (uint64_t)b.off, b.n);
			used -= b.n;
			blocks[k] = blocks[--nblocks];
			continue;
		}
		uint64_t n = rnd() % 4 == 0 ? 2 + rnd() % 30 : 1;
		int64_t off = memfile_alloc(mf, n);
		if (off == -ENOMEM) {
			/* Only acceptable when no run of n free frames exists at all
			 * for n == 1; multi-page runs may be missed inside words. */
			if (n == 1)
				assert_int_equal(used, NPAGES);
			continue;
		}
		assert_true(off >= 0);
		assert_int_equal(off % (int64_t)PAGE_SIZE, 0);
		uint64_t f = (uint64_t)off / PAGE_SIZE;
		assert_true(f + n <= NPAGES);
		const uint8_t *p = memfile_ptr(mf, (uint64_t)off);
		for (uint64_t i = 0; i < n; i++) {
			assert_int_equal(owner[f + i], 0);
			owner[f + i] = nblocks + 1;
			assert_int_equal(memfile_refcount(mf, (uint64_t)off + i * PAGE_SIZE), 1);
		}
		for (uint64_t i = 0; i < n * PAGE_SIZE; i += 512)
			assert_int_equal(p[i], 0);
		memset(memfile_ptr(mf, (uint64_t)off), 0x5a, n * PAGE_SIZE);
		blocks[nblocks++] = (struct block){off, n};
		used += n;
		assert_int_equal(memfile_used(mf), used * PAGE_SIZE);
	}
	for (int k = 0; k < nblocks; k++)
		memfile_decref(mf, (uint64_t)blocks[k].off, blocks[k].n);
	assert_int_equal(memfile_used(mf), 0);
	/* Empty again: the whole file is one run. */
	int64_t all = memfile_alloc(mf, NPAGES);
	assert_int_equal(all, 0);
	memfile_decref(mf, 0, NPAGES);
	memfile_free(mf);
}

/* The container's memory limit: an allocation past the app's part of it
 * fails and is recorded for the OOM killer; freeing makes room again; 0
 * lifts it. */
/* The app's part of a container limit: the rest, an eighth of it between 8
 * and 64 MiB and at most half, is the sandbox's own. */
static void test_app_limit_leaves_the_sandbox_its_share(void **state)
{
	const uint64_t M = 1ull << 20;
	assert_int_equal(memfile_app_limit(0), 0);
	assert_int_equal(memfile_app_limit(6 * M), 3 * M);
	assert_int_equal(memfile_app_limit(64 * M), 56 * M);
	assert_int_equal(memfile_app_limit(256 * M), 224 * M);
	assert_int_equal(memfile_app_limit(1024 * M), 960 * M);
}

static void test_memory_limit_fails_allocations_and_records_oom(void **state)
{
	struct memfile *mf;
	assert_int_equal(memfile_new(64 * PAGE_SIZE, &mf), 0);
	memfile_set_limit(mf, 8 * PAGE_SIZE); /* the app gets half of so small a limit */
	assert_false(memfile_take_oom(mf));
	int64_t a = memfile_alloc(mf, 3);
	assert_true(a >= 0);
	assert_false(memfile_at_limit(mf));
	assert_int_equal(memfile_alloc(mf, 2), -ENOMEM);
	assert_true(memfile_take_oom(mf));
	assert_false(memfile_take_oom(mf)); /* taken once */
	int64_t b = memfile_alloc(mf, 1);
	assert_true(b >= 0);
	assert_true(memfile_at_limit(mf));
	assert_int_equal(memfile_alloc(mf, 1), -ENOMEM);
	memfile_decref(mf, (uint64_t)b, 1);
	assert_false(memfile_at_limit(mf));
	memfile_set_limit(mf, 0);
	int64_t c = memfile_alloc(mf, 10);
	assert_true(c >= 0);
	assert_false(memfile_at_limit(mf));
	memfile_decref(mf, (uint64_t)c, 10);
	memfile_decref(mf, (uint64_t)a, 3);
	memfile_free(mf);
}

static void test_memfile_new_rejects_zero_limit_and_exposes_fd(void **state)
{
	struct memfile *mf;
	assert_int_equal(memfile_new(100, &mf), -EINVAL);
	assert_int_equal(memfile_new(PAGE_SIZE, &mf), 0);
	assert_true(memfile_fd(mf) >= 0);
	assert_int_equal(memfile_alloc(mf, 0), -ENOMEM);
	assert_int_equal(memfile_alloc(mf, 2), -ENOMEM);
	memfile_free(mf);
}

/* Host blocks the memory file holds (what punching gives back). */
static long long host_blocks(struct memfile *mf)
{
	struct stat st;
	assert_int_equal(fstat(memfile_fd(mf), &st), 0);
	return (long long)st.st_blocks;
}

/* Freed frames wait in the dirty pool, still holding host memory, and are
 * zeroed when handed out again; past its bound (16 MiB) or at memfile_trim
 * the pool goes back to the host. */
static void test_freed_frames_are_pooled_reused_zeroed_and_trimmed(void **state)
{
	struct memfile *mf;
	const uint64_t n = 8192; /* 32 MiB: twice the pool's bound */
	assert_int_equal(memfile_new((n + 64) * PAGE_SIZE, &mf), 0);
	int64_t a = memfile_alloc(mf, 64);
	assert_true(a >= 0);
	memset(memfile_ptr(mf, (uint64_t)a), 0x5a, 64 * PAGE_SIZE);
	long long held = host_blocks(mf);
	assert_true(held >= (long long)(64 * PAGE_SIZE / 512));
	memfile_decref(mf, (uint64_t)a, 64);
	assert_int_equal(memfile_used(mf), 0);
	assert_int_equal(memfile_dirty_pages(mf), 64);
	assert_int_equal(host_blocks(mf), held); /* not punched yet */
	/* Reused: zeroed, and no longer in the pool. */
	int64_t b = memfile_alloc(mf, 1);
	assert_int_equal(b, a);
	const uint8_t *p = memfile_ptr(mf, (uint64_t)b);
	for (size_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	assert_int_equal(memfile_dirty_pages(mf), 63);
	memfile_decref(mf, (uint64_t)b, 1);
	memfile_trim(mf);
	assert_int_equal(memfile_dirty_pages(mf), 0);
	assert_int_equal(host_blocks(mf), 0);
	/* A burst bigger than the bound: the pool never keeps more than it. */
	int64_t c = memfile_alloc(mf, n);
	assert_true(c >= 0);
	memset(memfile_ptr(mf, (uint64_t)c), 0x33, n * PAGE_SIZE);
	for (uint64_t i = 0; i < n; i += 2)
		memfile_decref(mf, (uint64_t)c + i * PAGE_SIZE, 1);
	for (uint64_t i = 1; i < n; i += 2)
		memfile_decref(mf, (uint64_t)c + i * PAGE_SIZE, 1);
	assert_true(memfile_dirty_pages(mf) <= 4096);
	assert_true(host_blocks(mf) <= (long long)(4096 * PAGE_SIZE / 512));
	/* Whatever comes back is zero, pooled or punched. */
	int64_t d = memfile_alloc(mf, n);
	assert_int_equal(d, c);
	p = memfile_ptr(mf, (uint64_t)d);
	for (size_t i = 0; i < n * PAGE_SIZE; i += 512)
		assert_int_equal(p[i], 0);
	assert_int_equal(memfile_dirty_pages(mf), 0);
	memfile_decref(mf, (uint64_t)d, n);
	memfile_free(mf);
}

/* memfile_alloc_raw hands out pooled frames without zeroing them, and they
 * leave the pool as memfile_alloc's do; a frame it gave out and got back
 * is zeroed by the next memfile_alloc all the same. */
static void test_raw_frames_skip_the_zeroing_only(void **state)
{
	struct memfile *mf;
	assert_int_equal(memfile_new(64 * PAGE_SIZE, &mf), 0);
	int64_t a = memfile_alloc(mf, 2);
	assert_true(a >= 0);
	memset(memfile_ptr(mf, (uint64_t)a), 0x5a, 2 * PAGE_SIZE);
	memfile_decref(mf, (uint64_t)a, 2);
	assert_int_equal(memfile_dirty_pages(mf), 2);
	/* The old bytes are still there: nobody wrote the frames. */
	int64_t b = memfile_alloc_raw(mf, 2);
	assert_int_equal(b, a);
	assert_int_equal(memfile_dirty_pages(mf), 0);
	assert_int_equal(memfile_used(mf), 2 * PAGE_SIZE);
	assert_int_equal(memfile_refcount(mf, (uint64_t)b + PAGE_SIZE), 1);
	const uint8_t *p = memfile_ptr(mf, (uint64_t)b);
	assert_int_equal(p[0], 0x5a);
	assert_int_equal(p[2 * PAGE_SIZE - 1], 0x5a);
	memset(memfile_ptr(mf, (uint64_t)b), 0x33, 2 * PAGE_SIZE);
	memfile_decref(mf, (uint64_t)b, 2);
	assert_int_equal(memfile_dirty_pages(mf), 2);
	int64_t c = memfile_alloc(mf, 2);
	assert_int_equal(c, a);
	p = memfile_ptr(mf, (uint64_t)c);
	for (size_t i = 0; i < 2 * PAGE_SIZE; i++)
		assert_int_equal(p[i], 0);
	memfile_decref(mf, (uint64_t)c, 2);
	memfile_free(mf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_free_churn_never_overlaps_and_always_zeroes),
	    cmocka_unit_test(test_memfile_new_rejects_zero_limit_and_exposes_fd),
	    cmocka_unit_test(test_app_limit_leaves_the_sandbox_its_share),
	    cmocka_unit_test(test_memory_limit_fails_allocations_and_records_oom),
	    cmocka_unit_test(test_freed_frames_are_pooled_reused_zeroed_and_trimmed),
	    cmocka_unit_test(test_raw_frames_skip_the_zeroing_only),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
