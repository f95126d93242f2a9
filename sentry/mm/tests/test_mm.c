/* Unit tests for sentry/mm: memfile, VMAs, faults, CoW, copies, mmap & co. */
#include "sentry/mm/tests/mm_test_util.h"

static struct memfile *mf;

static int setup(void **state)
{
	fake_releases = 0;
	return memfile_new(64ULL << 20, &mf) == 0 ? 0 : -1;
}

/* Every test must give back every page: the leak check. */
static int teardown(void **state)
{
	uint64_t used = memfile_used(mf);
	memfile_free(mf);
	mf = NULL;
	if (used) {
		fprintf(stderr, "leak: %llu bytes of the memory file still used\n",
			(unsigned long long)used);
		return -1;
	}
	return 0;
}

static struct mm *new_mm(void)
{
	struct mm *mm = mm_new(mf, &fake_plat);
	assert_non_null(mm);
	return mm;
}

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static uint64_t map_anon(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags)
{
	int64_t r = mm_mmap(mm, addr, len, prot, flags, NULL, 0);
	if (r < 0)
		fail_msg("mmap %#llx+%#llx: %lld", (unsigned long long)addr,
			 (unsigned long long)len, (long long)r);
	return (uint64_t)r;
}

static size_t nvmas(struct mm *mm) { return mm->vmas.n; }

/* ---- memfile ---- */

static void test_memfile_alloc_is_zeroed_refcounted_and_punched_on_free(void **state)
{
	int64_t a = memfile_alloc(mf, 4);
	assert_true(a >= 0);
	assert_int_equal(memfile_used(mf), 4 * PG);
	for (int i = 0; i < 4; i++)
		assert_int_equal(memfile_refcount(mf, (uint64_t)a + i * PG), 1);
	memset(memfile_ptr(mf, (uint64_t)a), 0xab, 4 * PG);
	memfile_incref(mf, (uint64_t)a, 1);
	assert_int_equal(memfile_refcount(mf, (uint64_t)a), 2);
	memfile_decref(mf, (uint64_t)a, 4);
	assert_int_equal(memfile_refcount(mf, (uint64_t)a), 1);
	assert_int_equal(memfile_refcount(mf, (uint64_t)a + PG), 0);
	assert_int_equal(memfile_used(mf), PG);
	/* Freed frames come back zeroed. */
	int64_t b = memfile_alloc(mf, 3);
	assert_int_equal(b, a + (int64_t)PG);
	const uint8_t *p = memfile_ptr(mf, (uint64_t)b);
	for (size_t i = 0; i < 3 * PG; i++)
		assert_int_equal(p[i], 0);
	memfile_decref(mf, (uint64_t)b, 3);
	memfile_decref(mf, (uint64_t)a, 1);
	assert_int_equal(memfile_used(mf), 0);
}

static void test_memfile_alloc_fails_with_enomem_when_full(void **state)
{
	struct memfile *small;
	assert_int_equal(memfile_new(8 * PG, &small), 0);
	int64_t a = memfile_alloc(small, 6);
	assert_true(a >= 0);
	assert_int_equal(memfile_alloc(small, 3), -ENOMEM);
	int64_t b = memfile_alloc(small, 2);
	assert_true(b >= 0);
	assert_int_equal(memfile_alloc(small, 1), -ENOMEM);
	memfile_decref(small, (uint64_t)a + PG, 1); /* a hole of one page */
	assert_int_equal(memfile_alloc(small, 2), -ENOMEM);
	assert_int_equal(memfile_alloc(small, 1), a + (int64_t)PG);
	assert_int_equal(memfile_used(small), 8 * PG);
	memfile_free(small);
}

/* ---- placement ---- */

static void test_mmap_without_hint_goes_top_down_below_base(void **state)
{
	struct mm *mm = new_mm();
	mm_set_mmap_base(mm, 0x7f0000000000ULL);
	uint64_t a = map_anon(mm, 0, 3 * PG, RW, ANON);
	assert_int_equal(a, 0x7f0000000000ULL - 3 * PG);
	uint64_t b = map_anon(mm, 0, PG, PROT_READ, ANON);
	assert_int_equal(b, a - PG);
	/* A hole left by munmap is reused top-down. */
	assert_int_equal(mm_munmap(mm, a, PG), 0);
	assert_int_equal(map_anon(mm, 0, PG, PROT_READ, ANON), a);
	mm_put(mm);
	assert_int_equal(fake_releases, 1);
}

static void test_mmap_hint_used_when_free_and_ignored_when_taken(void **state)
{
	struct mm *mm = new_mm();
	assert_int_equal(map_anon(mm, 0x10000000, PG, RW, ANON), 0x10000000);
	/* Taken: placed elsewhere, not over it. */
	uint64_t b = map_anon(mm, 0x10000000, PG, RW, ANON);
	assert_true(b != 0x10000000);
	/* x86 rounds an unaligned hint down. */
	assert_int_equal(map_anon(mm, 0x20000123, PG, RW, ANON), 0x20000000);
	/* A hint below mmap_min_addr is ignored. */
	assert_true(map_anon(mm, 0x1000, PG, RW, ANON) >= MM_MIN_ADDR);
	mm_put(mm);
}

static void test_mmap_fixed_replaces_and_noreplace_fails_with_eexist(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 4 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(a, 0x40000000);
	assert_int_equal(mm_copy_out(mm, a + PG, "old", 4), 0);
	assert_int_equal(mm_mmap(mm, a + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0), -EEXIST);
	/* Partial overlap is also refused. */
	assert_int_equal(mm_mmap(mm, a - PG, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0),
			 -EEXIST);
	assert_int_equal(map_anon(mm, a + 4 * PG, PG, RW, ANON | MAP_FIXED_NOREPLACE), a + 4 * PG);
	/* MAP_FIXED replaces: the old contents are gone. */
	assert_int_equal(map_anon(mm, a + PG, PG, PROT_READ, ANON | MAP_FIXED), a + PG);
	char buf[4];
	assert_int_equal(mm_copy_in(mm, buf, a + PG, 4), 0);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(nvmas(mm), 3); /* rw | r | rw(merged with the noreplace one) */
	mm_put(mm);
}

static void test_mmap_rejects_bad_arguments(void **state)
{
	struct mm *mm = new_mm();
	assert_int_equal(mm_mmap(mm, 0, 0, RW, ANON, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0x40000001, PG, RW, ANON | MAP_FIXED, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_ANONYMOUS, NULL, 0), -EINVAL); /* no type */
	assert_int_equal(mm_mmap(mm, 0, PG, RW, 0x04 | MAP_ANONYMOUS, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, ~0ULL - 10, RW, ANON, NULL, 0), -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0, PLAT_APP_TOP + PG, RW, ANON, NULL, 0), -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, ANON | MAP_FIXED, NULL, 0), -EPERM);
	assert_int_equal(mm_mmap(mm, PLAT_APP_TOP, PG, RW, ANON | MAP_FIXED, NULL, 0), -ENOMEM);
	assert_int_equal(mm_mmap(mm, PLAT_APP_TOP - PG, 2 * PG, RW, ANON | MAP_FIXED, NULL, 0),
			 -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_PRIVATE, NULL, 0), -EBADF);
	struct fake_file ff;
	static const uint8_t data[100];
	ff_init(&ff, mf, data, sizeof(data), false);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_PRIVATE, &ff.f, 100), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_SHARED, &ff.f, 0), -ENODEV);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_SHARED_VALIDATE | 0x800000, &ff.f, 0),
			 -EOPNOTSUPP);
	assert_int_equal(ff.refs, 0);
	assert_int_equal(nvmas(mm), 0);
	mm_put(mm);
}

/* The last reference a VMA holds on its file is dropped after mm->lock:
 * a last file_put may talk to the Gofer or take vfs_tree_lock. */
static void test_last_file_put_happens_after_mm_lock(void **state)
{
	struct mm *mm = new_mm();
	struct fake_file ff;
	static const uint8_t data[3 * 4096];
	ff_init(&ff, mf, data, sizeof(data), false);
	int64_t a = mm_mmap(mm, 0, 3 * PG, RW, MAP_PRIVATE, &ff.f, 0);
	assert_true(a > 0);
	assert_int_equal(ff.refs, 1);
	/* mremap moves the VMA; munmap of the middle splits it. */
	int64_t b = mm_mremap(mm, (uint64_t)a, 3 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED,
			      (uint64_t)a + 64 * PG);
	assert_int_equal(b, a + 64 * PG);
	assert_int_equal(mm_munmap(mm, (uint64_t)b + PG, PG), 0);
	assert_int_equal(ff.refs, 2);
	assert_int_equal(mm_munmap(mm, (uint64_t)b, 3 * PG), 0);
	assert_int_equal(ff.refs, 0);
	assert_int_equal(ff.puts_under_lock, 0);
	mm_put(mm);
}

static void test_mmap_fails_with_enomem_when_no_room(void **state)
{
	struct mm *mm = new_mm();
	/* MAP_32BIT has only [1 GiB, 2 GiB). */
	uint64_t a = map_anon(mm, 0, 1ULL << 30, RW, ANON | MAP_32BIT);
	assert_int_equal(a, 0x40000000);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, ANON | MAP_32BIT, NULL, 0), -ENOMEM);
	mm_put(mm);
}

static void test_mmap_stays_clear_of_stack_guard_gap(void **state)
{
	struct mm *mm = new_mm();
	mm_set_mmap_base(mm, 0x7f0000000000ULL);
	uint64_t s = map_anon(mm, 0x7f0000000000ULL - 16 * PG, 16 * PG, RW,
			      ANON | MAP_FIXED | MAP_GROWSDOWN);
	uint64_t a = map_anon(mm, 0, PG, RW, ANON);
	assert_int_equal(a, s - MM_STACK_GUARD_GAP - PG);
	/* A hint inside the gap is not honoured either. */
	assert_true(map_anon(mm, s - PG, PG, RW, ANON) != s - PG);
	mm_put(mm);
}

/* ---- munmap / mprotect: splits, merges, holes ---- */

static void test_munmap_splits_and_tolerates_unmapped_ranges(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 8 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_copy_out(mm, a + 5 * PG, "five", 5), 0);
	assert_int_equal(mm_munmap(mm, a + 2 * PG, 2 * PG), 0);
	assert_int_equal(nvmas(mm), 2);
	assert_int_equal(mm->vmas.v[0]->end, a + 2 * PG);
	assert_int_equal(mm->vmas.v[1]->start, a + 4 * PG);
	char buf[5];
	assert_int_equal(mm_copy_in(mm, buf, a + 2 * PG, 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, buf, a + 5 * PG, 5), 0);
	assert_string_equal(buf, "five");
	/* Unmapped ranges are fine, unaligned or empty ones are not. */
	assert_int_equal(mm_munmap(mm, 0x50000000, 100 * PG), 0);
	assert_int_equal(mm_munmap(mm, a + 1, PG), -EINVAL);
	assert_int_equal(mm_munmap(mm, a, 0), -EINVAL);
	assert_int_equal(mm_munmap(mm, PLAT_APP_TOP - PG, 2 * PG), -EINVAL);
	/* Unmapping across both pieces and the hole removes everything. */
	assert_int_equal(mm_munmap(mm, a, 8 * PG), 0);
	assert_int_equal(nvmas(mm), 0);
	uint64_t vs, rss;
	mm_usage(mm, &vs, &rss);
	assert_int_equal(vs, 0);
	assert_int_equal(rss, 0);
	mm_put(mm);
}

static void test_mprotect_splits_then_merges_back(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 6 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_mprotect(mm, a + 2 * PG, 2 * PG, PROT_READ), 0);
	assert_int_equal(nvmas(mm), 3);
	assert_int_equal(mm->vmas.v[1]->prot, PROT_READ);
	assert_int_equal(mm_copy_out(mm, a + 2 * PG, "x", 1), -EFAULT);
	assert_int_equal(mm_copy_out(mm, a + PG, "x", 1), 0);
	assert_int_equal(mm_mprotect(mm, a + 2 * PG, 2 * PG, RW), 0);
	assert_int_equal(nvmas(mm), 1);
	assert_int_equal(mm->vmas.v[0]->end - mm->vmas.v[0]->start, 6 * PG);
	/* Arguments. */
	assert_int_equal(mm_mprotect(mm, a + 1, PG, RW), -EINVAL);
	assert_int_equal(mm_mprotect(mm, a, PG, 0x40), -EINVAL);
	assert_int_equal(mm_mprotect(mm, a, 0, RW), 0);
	assert_int_equal(mm_mprotect(mm, a, PG, RW | PROT_GROWSDOWN), -EINVAL);
	mm_put(mm);
}

static void test_mprotect_range_with_hole_fails_with_enomem(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 2 * PG, RW, ANON | MAP_FIXED);
	map_anon(mm, a + 3 * PG, 2 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_mprotect(mm, a, 5 * PG, PROT_READ), -ENOMEM);
	assert_int_equal(mm_mprotect(mm, a - PG, PG, PROT_READ), -ENOMEM);
	assert_int_equal(mm_mprotect(mm, a + 2 * PG, PG, PROT_READ), -ENOMEM);
	assert_int_equal(mm_mprotect(mm, a + 4 * PG, 2 * PG, PROT_READ), -ENOMEM);
	/* Nothing was changed. */
	assert_int_equal(mm->vmas.v[0]->prot, RW);
	assert_int_equal(mm->vmas.v[1]->prot, RW);
	mm_put(mm);
}

static void test_mprotect_updates_platform_mappings(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 4 * PG, RW, ANON | MAP_FIXED);
	app_write8(mm, mf, a, 1);
	assert_int_equal(host_prot(mm, a), RW);
	clear_calls(mm);
	assert_int_equal(mm_mprotect(mm, a, 4 * PG, PROT_READ), 0);
	assert_int_equal(count_calls(mm, OP_PROTECT), 1);
	assert_int_equal(host_prot(mm, a + 3 * PG), PROT_READ);
	assert_int_equal(app_access(mm, mf, a, "x", 1, true), -EFAULT);
	assert_int_equal(last_si_code, SEGV_ACCERR);
	assert_int_equal(mm_mprotect(mm, a, 4 * PG, PROT_NONE), 0);
	assert_int_equal(host_prot(mm, a), -1);
	uint8_t b;
	assert_int_equal(app_access(mm, mf, a, &b, 1, false), -EFAULT);
	assert_int_equal(last_si_code, SEGV_ACCERR);
	assert_int_equal(mm_mprotect(mm, a, 4 * PG, RW), 0);
	assert_int_equal(app_read8(mm, mf, a), 1);
	check_consistency(mm);
	mm_put(mm);
}

/* ---- copies ---- */

static void test_copy_round_trips_across_pages_and_vmas(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 2 * PG, RW, ANON | MAP_FIXED);
	map_anon(mm, a + 2 * PG, 2 * PG, RW | PROT_EXEC, ANON | MAP_FIXED);
	assert_int_equal(nvmas(mm), 2);
	size_t n = 3 * PG;
	uint8_t *src = malloc(n), *dst = malloc(n);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	assert_int_equal(mm_copy_out(mm, a + 100, src, n), 0);
	memset(dst, 0, n);
	assert_int_equal(mm_copy_in(mm, dst, a + 100, n), 0);
	assert_memory_equal(src, dst, n);
	/* The app sees the same bytes through its own mappings. */
	assert_int_equal(app_read8(mm, mf, a + 100 + 2 * PG), src[2 * PG]);
	assert_int_equal(mm_zero_out(mm, a + 50, 2 * PG), 0);
	assert_int_equal(mm_copy_in(mm, dst, a, n), 0);
	for (size_t i = 50; i < 50 + 2 * PG; i++)
		assert_int_equal(dst[i], 0);
	free(src);
	free(dst);
	check_consistency(mm);
	mm_put(mm);
}

static void test_copy_of_bad_pointers_returns_efault(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 2 * PG, RW, ANON | MAP_FIXED);
	char buf[64];
	assert_int_equal(mm_copy_in(mm, buf, 0, 8), -EFAULT);
	assert_int_equal(mm_copy_out(mm, 0, buf, 8), -EFAULT);
	assert_int_equal(mm_copy_in(mm, buf, 0xffffffff81000000ULL, 8), -EFAULT);
	assert_int_equal(mm_copy_in(mm, buf, PLAT_APP_TOP - 4, 8), -EFAULT);
	assert_int_equal(mm_copy_in(mm, buf, ~0ULL - 3, 8), -EFAULT); /* wraps */
	assert_int_equal(mm_copy_in(mm, buf, a, SIZE_MAX), -EFAULT);
	assert_int_equal(mm_copy_out(mm, a + 2 * PG - 8, buf, (size_t)1 << 40), -EFAULT);
	/* Straddling the end of the mapping. */
	assert_int_equal(mm_copy_in(mm, buf, a + 2 * PG - 8, 16), -EFAULT);
	assert_int_equal(mm_zero_out(mm, a + 2 * PG - 8, 16), -EFAULT);
	/* Zero bytes from anywhere is fine (as Linux). */
	assert_int_equal(mm_copy_in(mm, buf, 0, 0), 0);
	uint32_t v;
	assert_int_equal(mm_load32(mm, 0, &v), -EFAULT);
	assert_int_equal(mm_load32(mm, a + 2, &v), -EINVAL);
	assert_int_equal(mm_copy_string_in(mm, buf, 0, 64), -EFAULT);
	assert_int_equal(mm_copy_string_in(mm, buf, ~0ULL - 2, 64), -EFAULT);
	mm_put(mm);
}

static void test_copy_out_to_readonly_fails_and_copy_in_from_prot_none_fails(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, PG, PROT_READ, ANON | MAP_FIXED);
	uint64_t b = map_anon(mm, a + PG, PG, PROT_NONE, ANON | MAP_FIXED);
	char buf[8] = "abcdefg";
	assert_int_equal(mm_copy_out(mm, a, buf, 8), -EFAULT);
	assert_int_equal(mm_copy_in(mm, buf, a, 8), 0);
	assert_int_equal(mm_copy_in(mm, buf, b, 8), -EFAULT);
	assert_int_equal(mm_copy_out(mm, b, buf, 8), -EFAULT);
	uint32_t prev;
	assert_int_equal(mm_atomic_cmpxchg32(mm, a, 0, 1, &prev), -EFAULT);
	mm_put(mm);
}

static void test_copy_string_in_finds_nul_and_reports_too_long(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 2 * PG, RW, ANON | MAP_FIXED);
	/* A string across the page boundary. */
	uint64_t s = a + PG - 3;
	assert_int_equal(mm_copy_out(mm, s, "hello", 6), 0);
	char buf[16];
	assert_int_equal(mm_copy_string_in(mm, buf, s, sizeof(buf)), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(mm_copy_string_in(mm, buf, s, 6), 5);
	assert_int_equal(mm_copy_string_in(mm, buf, s, 5), -ENAMETOOLONG);
	/* Running off the mapping before a NUL. */
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(mm_copy_out(mm, a + 2 * PG - 4, buf, 4), 0);
	assert_int_equal(mm_copy_string_in(mm, buf, a + 2 * PG - 4, 16), -EFAULT);
	mm_put(mm);
}

static void test_atomic_cmpxchg_and_load(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, PG, RW, ANON | MAP_FIXED);
	uint32_t prev, v;
	assert_int_equal(mm_atomic_cmpxchg32(mm, a + 8, 0, 5, &prev), 0);
	assert_int_equal(prev, 0);
	assert_int_equal(mm_atomic_cmpxchg32(mm, a + 8, 0, 6, &prev), 0);
	assert_int_equal(prev, 5); /* not exchanged */
	assert_int_equal(mm_load32(mm, a + 8, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(mm_atomic_cmpxchg32(mm, a + 9, 0, 6, &prev), -EINVAL);
	mm_put(mm);
}

/* ---- faults ---- */

static void test_fault_populates_zero_pages_and_maps_window(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 64 * PG, RW, ANON | MAP_FIXED);
	clear_calls(mm);
	int code;
	assert_int_equal(mm_handle_fault(mm, a + 5 * PG + 17, &code), 0);
	/* One call maps the aligned 16-page window around the fault. */
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(AS(mm)->calls[0].addr, a);
	assert_int_equal(AS(mm)->calls[0].len, 16 * PG);
	assert_int_equal(AS(mm)->calls[0].prot, RW);
	assert_int_equal(host_prot(mm, a + 15 * PG), RW);
	assert_int_equal(host_prot(mm, a + 16 * PG), -1);
	for (uint64_t i = 0; i < 16 * PG; i += 997)
		assert_int_equal(app_read8(mm, mf, a + i), 0);
	uint64_t rss;
	mm_usage(mm, NULL, &rss);
	assert_int_equal(rss, 16 * PG);
	app_write8(mm, mf, a + 20 * PG, 9);
	uint8_t b;
	assert_int_equal(mm_copy_in(mm, &b, a + 20 * PG, 1), 0);
	assert_int_equal(b, 9);
	check_consistency(mm);
	mm_put(mm);
}

static void test_fault_window_is_clipped_to_the_vma(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000 + 3 * PG, 2 * PG, RW, ANON | MAP_FIXED);
	map_anon(mm, a + 2 * PG, 2 * PG, PROT_READ, ANON | MAP_FIXED);
	clear_calls(mm);
	int code;
	assert_int_equal(mm_handle_fault(mm, a, &code), 0);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(AS(mm)->calls[0].addr, a);
	assert_int_equal(AS(mm)->calls[0].len, 2 * PG);
	assert_int_equal(host_prot(mm, a + 2 * PG), -1);
	check_consistency(mm);
	mm_put(mm);
}

static void test_fault_without_vma_is_maperr_and_bad_prot_is_accerr(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, PG, PROT_NONE, ANON | MAP_FIXED);
	int code = 0;
	assert_int_equal(mm_handle_fault(mm, a + PG, &code), -EFAULT);
	assert_int_equal(code, SEGV_MAPERR);
	assert_int_equal(mm_handle_fault(mm, 0, &code), -EFAULT);
	assert_int_equal(code, SEGV_MAPERR);
	assert_int_equal(mm_handle_fault(mm, ~0ULL, &code), -EFAULT);
	assert_int_equal(code, SEGV_MAPERR);
	assert_int_equal(mm_handle_fault(mm, a, &code), -EFAULT);
	assert_int_equal(code, SEGV_ACCERR);
	/* Executing a non-exec page: the same page faults twice with nothing
	 * to change, the second time is SEGV_ACCERR. */
	uint64_t b = map_anon(mm, 0x50000000, PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_handle_fault(mm, b, &code), 0);
	assert_int_equal(mm_handle_fault(mm, b, &code), 0);
	assert_int_equal(mm_handle_fault(mm, b, &code), -EFAULT);
	assert_int_equal(code, SEGV_ACCERR);
	mm_put(mm);
}

static void test_stack_grows_down_on_fault_within_rlimit(void **state)
{
	struct mm *mm = new_mm();
	uint64_t top = 0x7ff000000000ULL;
	uint64_t s = map_anon(mm, top - 4 * PG, 4 * PG, RW, ANON | MAP_FIXED | MAP_GROWSDOWN);
	mm_set_stack_range(mm, s, top);
	mm_set_stack_limit(mm, 64 * PG);
	int code;
	/* Far below (no %rsp rule since Linux 4.20) but within RLIMIT_STACK. */
	assert_int_equal(mm_handle_fault(mm, s - 40 * PG + 8, &code), 0);
	assert_int_equal(mm->vmas.v[0]->start, s - 40 * PG);
	app_write8(mm, mf, s - 40 * PG, 3);
	/* Beyond the limit: SIGSEGV. */
	assert_int_equal(mm_handle_fault(mm, top - 65 * PG, &code), -EFAULT);
	assert_int_equal(code, SEGV_MAPERR);
	/* copy_out below the stack grows it too (signal frames). */
	assert_int_equal(mm_copy_out(mm, s - 50 * PG, "x", 1), 0);
	assert_int_equal(mm->vmas.v[0]->start, s - 50 * PG);
	/* A mapping within stack_guard_gap below stops growth. */
	uint64_t g = map_anon(mm, s - 52 * PG - MM_STACK_GUARD_GAP + 4 * PG, PG, PROT_READ,
			      ANON | MAP_FIXED);
	assert_int_equal(mm_handle_fault(mm, s - 51 * PG, &code), -EFAULT);
	assert_int_equal(mm_munmap(mm, g, PG), 0);
	assert_int_equal(mm_handle_fault(mm, s - 51 * PG, &code), 0);
	mm_put(mm);
}

/* ---- fork and copy-on-write ---- */

static void test_fork_cow_isolates_parent_and_child(void **state)
{
	struct mm *p = new_mm();
	uint64_t a = map_anon(p, 0x40000000, 4 * PG, RW, ANON | MAP_FIXED);
	app_write8(p, mf, a, 'p');
	app_write8(p, mf, a + PG, 'q');
	assert_int_equal(host_prot(p, a), RW);
	uint64_t pte = pt_get(&p->pt, a);
	clear_calls(p);
	/* Another thread shares the parent's mm: the fork copies nothing
	 * ahead (fork.c), so every page is shared copy-on-write. */
	mm_get(p);
	struct mm *c = mm_fork(p);
	mm_put(p);
	assert_non_null(c);
	/* Shared frames, refcount 2, write-protected in the parent's platform. */
	assert_int_equal(PTE_OFFSET(pt_get(&c->pt, a)), PTE_OFFSET(pte));
	assert_int_equal(memfile_refcount(mf, PTE_OFFSET(pte)), 2);
	assert_true(pt_get(&p->pt, a) & PTE_COW);
	assert_true(pt_get(&c->pt, a) & PTE_COW);
	assert_int_equal(count_calls(p, OP_PROTECT), 1);
	assert_int_equal(AS(p)->calls[0].prot, PROT_READ);
	assert_int_equal(host_prot(p, a), PROT_READ);
	assert_int_equal(AS(c)->ncalls, 0);
	check_consistency(p);
	/* Both read the same. */
	assert_int_equal(app_read8(c, mf, a), 'p');
	assert_int_equal(host_prot(c, a), PROT_READ);
	/* Parent writes: its copy changes, the child's does not. */
	app_write8(p, mf, a, 'P');
	assert_int_equal(app_read8(p, mf, a), 'P');
	assert_int_equal(app_read8(c, mf, a), 'p');
	assert_true(PTE_OFFSET(pt_get(&p->pt, a)) != PTE_OFFSET(pte));
	/* The child, now the last user of the old frame, writes in place. */
	assert_int_equal(memfile_refcount(mf, PTE_OFFSET(pte)), 1);
	app_write8(c, mf, a, 'C');
	assert_int_equal(PTE_OFFSET(pt_get(&c->pt, a)), PTE_OFFSET(pte));
	assert_int_equal(app_read8(p, mf, a), 'P');
	/* Child writes the second page: copies; the parent keeps 'q'. */
	app_write8(c, mf, a + PG, 'Q');
	assert_int_equal(app_read8(p, mf, a + PG), 'q');
	assert_int_equal(app_read8(c, mf, a + PG), 'Q');
	check_consistency(p);
	check_consistency(c);
	mm_put(c);
	/* After the child is gone, the parent's pages are its own again. */
	app_write8(p, mf, a + PG, 'r');
	assert_int_equal(memfile_refcount(mf, PTE_OFFSET(pt_get(&p->pt, a + PG))), 1);
	check_consistency(p);
	mm_put(p);
	assert_int_equal(fake_releases, 2);
}

/* A fork child that is gone leaves the parent's pages write-protected; the
 * first write fault makes the window's pages it now owns alone writable in
 * one platform call, so the next writes there do not fault. */
static void test_write_fault_after_fork_reclaims_the_window(void **state)
{
	struct mm *p = new_mm();
	uint64_t a = map_anon(p, 0x40000000, 16 * PG, RW, ANON | MAP_FIXED);
	for (int i = 0; i < 16; i++)
		app_write8(p, mf, a + i * PG, (uint8_t)('a' + i));
	mm_get(p); /* another thread: nothing copied ahead (fork.c) */
	struct mm *c = mm_fork(p);
	mm_put(p);
	assert_non_null(c);
	assert_int_equal(host_prot(p, a + 5 * PG), PROT_READ);
	mm_put(c);
	clear_calls(p);
	app_write8(p, mf, a + 3 * PG, 'X');
	assert_int_equal(count_calls(p, OP_MAP), 1);
	for (int i = 0; i < 16; i++) {
		assert_int_equal(host_prot(p, a + i * PG), RW);
		assert_false(pt_get(&p->pt, a + i * PG) & PTE_COW);
	}
	clear_calls(p);
	for (int i = 0; i < 16; i++)
		app_write8(p, mf, a + i * PG, (uint8_t)('A' + i));
	assert_int_equal(AS(p)->ncalls, 0); /* no more faults */
	assert_int_equal(app_read8(p, mf, a + 3 * PG), 'D');
	check_consistency(p);
	/* While a child still shares them, a write copies its page only. */
	mm_get(p);
	c = mm_fork(p);
	mm_put(p);
	assert_non_null(c);
	clear_calls(p);
	app_write8(p, mf, a + 7 * PG, 'Y');
	assert_int_equal(host_prot(p, a + 7 * PG), RW);
	assert_int_equal(host_prot(p, a + 8 * PG), PROT_READ);
	assert_int_equal(app_read8(c, mf, a + 7 * PG), 'H');
	check_consistency(p);
	check_consistency(c);
	mm_put(c);
	mm_put(p);
}

static void test_copy_out_breaks_cow_and_moves_the_mapping_to_the_copy(void **state)
{
	struct mm *p = new_mm();
	uint64_t a = map_anon(p, 0x40000000, PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_copy_out(p, a, "orig", 5), 0);
	struct mm *c = mm_fork(p);
	assert_non_null(c);
	assert_int_equal(app_read8(c, mf, a), 'o'); /* child maps the shared frame */
	clear_calls(c);
	assert_int_equal(mm_copy_out(c, a, "chld", 5), 0);
	/* No stale mapping: it moves to the child's copy, with all the VMA
	 * allows (the page is the child's alone now). */
	assert_int_equal(count_calls(c, OP_UNMAP), 0);
	assert_int_equal(count_calls(c, OP_MAP), 1);
	assert_int_equal(AS(c)->calls[0].off, PTE_OFFSET(pt_get(&c->pt, a)));
	assert_int_equal(host_prot(c, a), RW);
	char buf[5];
	assert_int_equal(mm_copy_in(p, buf, a, 5), 0);
	assert_string_equal(buf, "orig");
	assert_int_equal(app_read8(c, mf, a), 'c');
	check_consistency(c);
	mm_put(p);
	mm_put(c);
}

static void test_shared_anon_stays_shared_across_fork(void **state)
{
	struct mm *p = new_mm();
	uint64_t a = map_anon(p, 0x40000000, 2 * PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
	app_write8(p, mf, a, 1);
	struct mm *c = mm_fork(p);
	assert_non_null(c);
	/* Untouched before fork, touched after: still one page. */
	app_write8(c, mf, a + PG, 2);
	assert_int_equal(app_read8(p, mf, a + PG), 2);
	app_write8(c, mf, a, 3);
	assert_int_equal(app_read8(p, mf, a), 3);
	assert_false(pt_get(&p->pt, a) & PTE_COW);
	/* DONTNEED on shared memory keeps the contents. */
	assert_int_equal(mm_madvise(p, a, 2 * PG, MADV_DONTNEED), 0);
	assert_int_equal(app_read8(p, mf, a), 3);
	uint64_t k1, k2, c1, c2;
	assert_int_equal(mm_futex_key(p, a + 4, false, &k1, &k2), 0);
	assert_int_equal(mm_futex_key(c, a + 4, false, &c1, &c2), 0);
	assert_int_equal(k1, c1);
	assert_int_equal(k2, c2);
	check_consistency(p);
	check_consistency(c);
	mm_put(p);
	assert_int_equal(app_read8(c, mf, a + PG), 2);
	mm_put(c);
}

static void test_dontfork_and_wipeonfork(void **state)
{
	struct mm *p = new_mm();
	uint64_t a = map_anon(p, 0x40000000, 3 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_copy_out(p, a, "aaa", 3), 0);
	assert_int_equal(mm_copy_out(p, a + PG, "bbb", 3), 0);
	assert_int_equal(mm_copy_out(p, a + 2 * PG, "ccc", 3), 0);
	assert_int_equal(mm_madvise(p, a, PG, MADV_DONTFORK), 0);
	assert_int_equal(mm_madvise(p, a + PG, PG, MADV_WIPEONFORK), 0);
	assert_int_equal(nvmas(p), 3);
	struct mm *c = mm_fork(p);
	char buf[3];
	assert_int_equal(mm_copy_in(c, buf, a, 3), -EFAULT);
	assert_int_equal(mm_copy_in(c, buf, a + PG, 3), 0);
	assert_memory_equal(buf, "\0\0\0", 3);
	assert_int_equal(mm_copy_in(c, buf, a + 2 * PG, 3), 0);
	assert_memory_equal(buf, "ccc", 3);
	assert_int_equal(mm_madvise(p, a, 2 * PG, MADV_DOFORK), 0);
	assert_int_equal(mm_madvise(p, a + PG, PG, MADV_KEEPONFORK), 0);
	assert_int_equal(nvmas(p), 1);
	/* WIPEONFORK only for private anonymous memory. */
	uint64_t s = map_anon(p, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	assert_int_equal(mm_madvise(p, s, PG, MADV_WIPEONFORK), -EINVAL);
	mm_put(c);
	mm_put(p);
}

/* ---- files ---- */

static uint8_t file_data[2 * 4096 + 100];

static void fill_file_data(void)
{
	for (size_t i = 0; i < sizeof(file_data); i++)
		file_data[i] = (uint8_t)(i % 251 + 1);
}

static void test_private_file_mapping_reads_file_zero_fills_and_sigbus_past_eof(void **state)
{
	fill_file_data();
	struct fake_file ff;
	ff_init(&ff, mf, file_data, sizeof(file_data), false);
	struct mm *mm = new_mm();
	int64_t a = mm_mmap(mm, 0, 5 * PG, RW, MAP_PRIVATE, &ff.f, PG);
	assert_true(a > 0);
	assert_int_equal(ff.refs, 1);
	/* Page 0 of the mapping is file page 1. */
	assert_int_equal(app_read8(mm, mf, (uint64_t)a + 5), file_data[PG + 5]);
	/* Page 1 is the short last page: 100 bytes, then zeroes. */
	assert_int_equal(app_read8(mm, mf, (uint64_t)a + PG + 99), file_data[2 * PG + 99]);
	assert_int_equal(app_read8(mm, mf, (uint64_t)a + PG + 100), 0);
	/* Page 2 is entirely past EOF: SIGBUS. */
	uint8_t b;
	assert_int_equal(app_access(mm, mf, (uint64_t)a + 2 * PG, &b, 1, false), -EIO);
	assert_int_equal(mm_copy_in(mm, &b, (uint64_t)a + 2 * PG, 1), -EFAULT);
	/* Writes stay private. */
	app_write8(mm, mf, (uint64_t)a, 0);
	assert_int_equal(file_data[PG], (uint8_t)(PG % 251 + 1));
	/* DONTNEED drops the private copy: the file is read again. */
	int reads = ff.preads;
	assert_int_equal(mm_madvise(mm, (uint64_t)a, PG, MADV_DONTNEED), 0);
	assert_int_equal(app_read8(mm, mf, (uint64_t)a), file_data[PG]);
	assert_true(ff.preads > reads);
	/* Splitting the VMA takes another file ref, maps shows the path. */
	assert_int_equal(mm_mprotect(mm, (uint64_t)a, PG, PROT_READ), 0);
	assert_int_equal(ff.refs, 2);
	assert_int_equal(mm->vmas.v[1]->off, 2 * PG);
	/* MADV_FREE is for anonymous memory only. */
	assert_int_equal(mm_madvise(mm, (uint64_t)a, PG, MADV_FREE), -EINVAL);
	check_consistency(mm);
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
}

static void test_shared_file_mapping_uses_the_files_pages(void **state)
{
	fill_file_data();
	struct fake_file ff;
	ff_init(&ff, mf, file_data, sizeof(file_data), true);
	struct mm *m1 = new_mm(), *m2 = new_mm();
	int64_t a = mm_mmap(m1, 0, 2 * PG, RW, MAP_SHARED, &ff.f, 0);
	int64_t b = mm_mmap(m2, 0, 2 * PG, RW, MAP_SHARED, &ff.f, PG);
	assert_true(a > 0 && b > 0);
	assert_int_equal(app_read8(m1, mf, (uint64_t)a + PG + 1), file_data[PG + 1]);
	/* A write through one mm is seen through the other. */
	app_write8(m1, mf, (uint64_t)a + PG + 1, 0xcc);
	assert_int_equal(app_read8(m2, mf, (uint64_t)b + 1), 0xcc);
	assert_int_equal(PTE_OFFSET(pt_get(&m1->pt, (uint64_t)a + PG)),
			 PTE_OFFSET(pt_get(&m2->pt, (uint64_t)b)));
	uint64_t k1, k2, j1, j2;
	assert_int_equal(mm_futex_key(m1, (uint64_t)a + PG + 8, false, &k1, &k2), 0);
	assert_int_equal(mm_futex_key(m2, (uint64_t)b + 8, false, &j1, &j2), 0);
	assert_int_equal(k1, 0);
	assert_int_equal(k1, j1);
	assert_int_equal(k2, j2);
	mm_put(m1);
	mm_put(m2);
	assert_int_equal(ff.refs, 0);
	ff_release(&ff);
}

/* A VMA no larger than the fault-around window faults in whole, however
 * it straddles the window's alignment; a larger one by aligned windows. */
static void test_a_vma_as_small_as_the_window_faults_in_whole(void **state)
{
	struct mm *mm = new_mm();
	/* 13 pages across the 64 KiB boundary at 0x40010000. */
	uint64_t a = map_anon(mm, 0x4000b000, 13 * PG, RW, ANON | MAP_FIXED);
	clear_calls(mm);
	assert_int_equal(app_read8(mm, mf, a + 10 * PG), 0);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	for (int i = 0; i < 13; i++)
		assert_int_equal(host_prot(mm, a + i * PG), RW);
	check_consistency(mm);
	/* 17 pages: one more than the window, the aligned one as before. */
	uint64_t b = map_anon(mm, 0x5000b000, 17 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(app_read8(mm, mf, b + 10 * PG), 0);
	assert_int_equal(host_prot(mm, 0x50010000), RW);
	assert_int_equal(host_prot(mm, 0x5001b000), RW);
	assert_int_equal(host_prot(mm, 0x5000f000), -1);
	check_consistency(mm);
	mm_put(mm);
}

/* A read fault in a file mapping also maps, over a wider window
 * (MM_FAULT_AROUND_CACHED), the pages the file has in memory already,
 * without reading any more of the file; never past its end, and a write
 * still copies. */
static void test_read_fault_maps_the_cached_pages_of_a_wider_window(void **state)
{
	static uint8_t big[450 * PG];
	for (size_t i = 0; i < sizeof(big); i += PG)
		big[i] = (uint8_t)(i / PG);
	struct fake_file ff;
	ff_init(&ff, mf, big, sizeof(big), true);
	ff.f.ops = &ff_cached_ops;
	/* Another reader cached pages 256..449 of the file. */
	for (uint64_t pg = 256; pg < 450; pg++)
		memfile_decref(mf, (uint64_t)ff_shared_page(&ff.f, pg), 1);
	int preads = ff.preads;
	struct mm *mm = new_mm();
	/* 512 pages mapped, of a file of 450: the window is the mapping. */
	int64_t p = mm_mmap(mm, 0x40000000, 512 * PG, PROT_READ, MAP_PRIVATE, &ff.f, 0);
	assert_int_equal(p, 0x40000000);
	uint64_t a = (uint64_t)p;
	assert_int_equal(app_read8(mm, mf, a + 300 * PG), 300 % 256);
	assert_int_equal(ff.preads, preads); /* all cached: nothing read */
	assert_int_equal(host_prot(mm, a + 256 * PG), PROT_READ);
	assert_int_equal(host_prot(mm, a + 449 * PG), PROT_READ);
	assert_int_equal(host_prot(mm, a + 450 * PG), -1); /* past EOF */
	assert_int_equal(host_prot(mm, a + 255 * PG), -1); /* not cached */
	assert_false(pt_get(&mm->pt, a + 255 * PG));
	assert_true(pt_get(&mm->pt, a + 400 * PG) & PTE_COW);
	assert_int_equal(PTE_OFFSET(pt_get(&mm->pt, a + 400 * PG)), (uint64_t)ff.cache[400] - 1);
	check_consistency(mm);
	/* A page outside the cache still faults, and reads its own window. */
	int maps = count_calls(mm, OP_MAP);
	assert_int_equal(app_read8(mm, mf, a + 10 * PG), 10);
	assert_true(count_calls(mm, OP_MAP) > maps);
	assert_true(ff.preads > preads);
	/* Past EOF: SIGBUS, as before. */
	int code;
	assert_int_equal(mm_handle_fault(mm, a + 460 * PG, &code), -EIO);
	check_consistency(mm);
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
	ff_release(&ff);
}

static void test_private_mapping_of_shareable_file_is_cow_over_file_pages(void **state)
{
	fill_file_data();
	struct fake_file ff;
	ff_init(&ff, mf, file_data, sizeof(file_data), true);
	struct mm *mm = new_mm();
	int64_t s = mm_mmap(mm, 0, 3 * PG, RW, MAP_SHARED, &ff.f, 0);
	int64_t p = mm_mmap(mm, 0, 3 * PG, RW, MAP_PRIVATE, &ff.f, 0);
	assert_true(s > 0 && p > 0);
	clear_calls(mm);
	/* One fault maps the file's pages of the window (fault-around, all 3
	 * pages within EOF) read-only, without copies. */
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + 1), file_data[1]);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(AS(mm)->calls[0].len, 3 * PG);
	assert_int_equal(AS(mm)->calls[0].prot, PROT_READ);
	uint64_t fpage = PTE_OFFSET(pt_get(&mm->pt, (uint64_t)p));
	assert_int_equal(fpage, (uint64_t)ff.cache[0] - 1);
	assert_true(pt_get(&mm->pt, (uint64_t)p) & PTE_COW);
	/* A write to the file (through the shared mapping) shows in the
	 * private mapping until it is written (as Linux). */
	app_write8(mm, mf, (uint64_t)s + 1, 0x77);
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + 1), 0x77);
	/* Writing the private mapping copies: the file keeps its page. */
	app_write8(mm, mf, (uint64_t)p + 1, 0x11);
	assert_int_equal(app_read8(mm, mf, (uint64_t)s + 1), 0x77);
	assert_true(PTE_OFFSET(pt_get(&mm->pt, (uint64_t)p)) != fpage);
	assert_int_equal(memfile_refcount(mf, fpage), 2); /* file + shared mapping */
	app_write8(mm, mf, (uint64_t)s + 2, 0x78);
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + 2), file_data[2]);
	check_consistency(mm);
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
	assert_int_equal(memfile_refcount(mf, fpage), 1);
	ff_release(&ff);
}

/* A read fault in a file mapping maps the file window (64 pages), not the
 * 16 pages of anonymous memory: a new program's text and read-only data
 * come in a few faults. */
static void test_read_fault_in_a_file_maps_the_file_window(void **state)
{
	static uint8_t big[48 * 4096];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i % 253 + 1);
	struct fake_file ff;
	ff_init(&ff, mf, big, sizeof(big), true);
	struct mm *mm = new_mm();
	int64_t p = mm_mmap(mm, 0, sizeof(big), PROT_READ | PROT_EXEC, MAP_PRIVATE, &ff.f, 0);
	assert_true(p > 0);
	clear_calls(mm);
	int code;
	assert_int_equal(mm_handle_fault(mm, (uint64_t)p + 30 * PG + 5, &code), 0);
	/* The whole VMA (48 pages, within the aligned 64-page window) is
	 * mapped by that one fault. */
	for (uint64_t i = 0; i < 48; i++)
		assert_int_equal(host_prot(mm, (uint64_t)p + i * PG), PROT_READ | PROT_EXEC);
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + 47 * PG + 9), big[47 * PG + 9]);
	check_consistency(mm);
	mm_put(mm);
	ff_release(&ff);
}

/* A fault the platform knows to be a write breaks copy-on-write and maps
 * the page writable at once (one fault, not a read-only mapping and a
 * second fault); a write hint on a read-only VMA grants nothing. */
static void test_write_fault_hint_copies_at_once(void **state)
{
	fill_file_data();
	struct fake_file ff;
	ff_init(&ff, mf, file_data, sizeof(file_data), true);
	struct mm *mm = new_mm();
	int64_t p = mm_mmap(mm, 0, 3 * PG, RW, MAP_PRIVATE, &ff.f, 0);
	int64_t ro = mm_mmap(mm, 0, 3 * PG, PROT_READ, MAP_PRIVATE, &ff.f, 0);
	assert_true(p > 0 && ro > 0);
	clear_calls(mm);
	int code;
	assert_int_equal(mm_handle_fault_access(mm, (uint64_t)p + PG + 3, PROT_WRITE, &code), 0);
	assert_int_equal(host_prot(mm, (uint64_t)p + PG), RW);
	uint64_t pte = pt_get(&mm->pt, (uint64_t)p + PG);
	assert_false(pte & PTE_COW);
	assert_true((int64_t)PTE_OFFSET(pte) != ff.cache[1] - 1); /* a copy */
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + PG + 3), file_data[PG + 3]);
	/* Its neighbours are the file's pages, read-only, copy-on-write. */
	assert_int_equal(host_prot(mm, (uint64_t)p), PROT_READ);
	assert_true(pt_get(&mm->pt, (uint64_t)p) & PTE_COW);
	/* Anonymous memory shared with a fork child: the child's write copies. */
	uint64_t a = map_anon(mm, 0x40000000, 4 * PG, RW, ANON | MAP_FIXED);
	app_write8(mm, mf, a + 2 * PG, 5);
	struct mm *c = mm_fork(mm);
	assert_non_null(c);
	assert_int_equal(mm_handle_fault_access(c, a + 2 * PG, PROT_WRITE, &code), 0);
	assert_int_equal(host_prot(c, a + 2 * PG), RW);
	assert_true(PTE_OFFSET(pt_get(&c->pt, a + 2 * PG)) !=
		    PTE_OFFSET(pt_get(&mm->pt, a + 2 * PG)));
	assert_int_equal(app_read8(c, mf, a + 2 * PG), 5);
	/* Read-only VMA: mapped read-only, as for a read. */
	assert_int_equal(mm_handle_fault_access(mm, (uint64_t)ro + 5, PROT_WRITE, &code), 0);
	assert_int_equal(host_prot(mm, (uint64_t)ro), PROT_READ);
	check_consistency(mm);
	check_consistency(c);
	mm_put(c);
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
	ff_release(&ff);
}

/* A debugger's access (ptrace POKETEXT, /proc/PID/mem): reads PROT_NONE
 * and read-only pages; writes a read-only private mapping of a file by
 * breaking copy-on-write (the file keeps its page, the platform mapping
 * moves to the copy) and a read-only private anonymous page in place; never a
 * read-only shared mapping, nor an unmapped address. */
static void test_access_force_writes_readonly_private_not_shared(void **state)
{
	fill_file_data();
	struct fake_file ff;
	ff_init(&ff, mf, file_data, sizeof(file_data), true);
	struct mm *mm = new_mm();
	int64_t text = mm_mmap(mm, 0, PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, &ff.f, 0);
	int64_t shro = mm_mmap(mm, 0, PG, PROT_READ, MAP_SHARED, &ff.f, 0);
	uint64_t ro = map_anon(mm, 0x40000000, PG, PROT_READ, ANON | MAP_FIXED);
	uint64_t none = map_anon(mm, 0x40000000 + PG, PG, PROT_NONE, ANON | MAP_FIXED);
	assert_true(text > 0 && shro > 0);
	assert_int_equal(app_read8(mm, mf, (uint64_t)text + 1), file_data[1]);
	uint64_t fpage = PTE_OFFSET(pt_get(&mm->pt, (uint64_t)text));
	clear_calls(mm);
	uint8_t cc = 0xcc, b = 0;
	assert_int_equal(mm_access_force(mm, (uint64_t)text + 1, &cc, 1, true), 0);
	/* The mapping moves to the copy, still read-only and executable. */
	assert_int_equal(count_calls(mm, OP_UNMAP), 0);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(host_prot(mm, (uint64_t)text), PROT_READ | PROT_EXEC);
	assert_true(PTE_OFFSET(pt_get(&mm->pt, (uint64_t)text)) != fpage);
	assert_int_equal(app_read8(mm, mf, (uint64_t)text + 1), 0xcc);
	assert_int_equal(app_read8(mm, mf, (uint64_t)shro + 1), file_data[1]);
	assert_int_equal(mm_access_force(mm, (uint64_t)shro + 1, &cc, 1, true), -EFAULT);
	assert_int_equal(mm_access_force(mm, ro + 5, &cc, 1, true), 0);
	assert_int_equal(mm_access_force(mm, ro + 5, &b, 1, false), 0);
	assert_int_equal(b, 0xcc);
	assert_int_equal(mm_copy_out(mm, ro + 5, &cc, 1), -EFAULT);
	assert_int_equal(mm_access_force(mm, none, &b, 1, false), 0);
	assert_int_equal(b, 0);
	assert_int_equal(mm_access_force(mm, 0x1000, &b, 1, false), -EFAULT);
	check_consistency(mm);
	mm_put(mm);
	ff_release(&ff);
}

static void test_shmem_object_maps_shared_into_two_mms(void **state)
{
	struct mm_file *shm = mm_shmem_new(mf);
	assert_non_null(shm);
	struct mm *m1 = new_mm(), *m2 = new_mm();
	int64_t a = mm_mmap(m1, 0, 2 * PG, RW, MAP_SHARED, shm, 0);
	int64_t b = mm_mmap(m2, 0, PG, RW, MAP_SHARED, shm, PG);
	assert_true(a > 0 && b > 0);
	shm->ops->put(shm); /* the mappings keep it alive */
	app_write8(m2, mf, (uint64_t)b + 3, 0x42);
	assert_int_equal(app_read8(m1, mf, (uint64_t)a + PG + 3), 0x42);
	assert_int_equal(app_read8(m1, mf, (uint64_t)a), 0);
	/* Private mappings of it are copy-on-write over its pages. */
	int64_t c = mm_mmap(m2, 0, PG, RW, MAP_PRIVATE, shm, PG);
	assert_true(c > 0);
	assert_int_equal(app_read8(m2, mf, (uint64_t)c + 3), 0x42);
	app_write8(m2, mf, (uint64_t)c + 3, 0x43);
	assert_int_equal(app_read8(m1, mf, (uint64_t)a + PG + 3), 0x42);
	mm_put(m1);
	mm_put(m2);
}

/* ---- madvise ---- */

static void test_madvise_dontneed_zeroes_private_anon(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 3 * PG, RW, ANON | MAP_FIXED);
	app_write8(mm, mf, a, 1);
	app_write8(mm, mf, a + 2 * PG, 2);
	clear_calls(mm);
	assert_int_equal(mm_madvise(mm, a, 2 * PG, MADV_DONTNEED), 0);
	assert_int_equal(count_calls(mm, OP_UNMAP), 1);
	assert_int_equal(host_prot(mm, a), -1);
	assert_int_equal(app_read8(mm, mf, a), 0);
	assert_int_equal(app_read8(mm, mf, a + 2 * PG), 2);
	assert_int_equal(mm_madvise(mm, a + 2 * PG, PG, MADV_FREE), 0);
	assert_int_equal(app_read8(mm, mf, a + 2 * PG), 0);
	/* Holes: applied to the mapped part, then ENOMEM. */
	app_write8(mm, mf, a, 5);
	assert_int_equal(mm_madvise(mm, a, 5 * PG, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(app_read8(mm, mf, a), 0);
	/* Hints and errors. */
	assert_int_equal(mm_madvise(mm, a, PG, MADV_WILLNEED), 0);
	assert_int_equal(mm_madvise(mm, a, PG, MADV_HUGEPAGE), 0);
	assert_int_equal(mm_madvise(mm, a, PG, MADV_SEQUENTIAL), 0);
	assert_int_equal(mm_madvise(mm, a, PG, 77), -EINVAL);
	assert_int_equal(mm_madvise(mm, a + 1, PG, MADV_DONTNEED), -EINVAL);
	assert_int_equal(mm_madvise(mm, a, 0, MADV_DONTNEED), 0);
	assert_int_equal(mm_madvise(mm, 0x70000000, PG, MADV_NORMAL), -ENOMEM);
	check_consistency(mm);
	mm_put(mm);
}

/* ---- mremap ---- */

static void test_mremap_move_keeps_data_without_copying(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 2 * PG, RW, ANON | MAP_FIXED);
	map_anon(mm, a + 2 * PG, PG, PROT_READ, ANON | MAP_FIXED); /* blocks growth */
	app_write8(mm, mf, a + PG + 7, 'm');
	uint64_t off = PTE_OFFSET(pt_get(&mm->pt, a + PG));
	assert_int_equal(mm_mremap(mm, a, 2 * PG, 4 * PG, 0, 0), -ENOMEM);
	clear_calls(mm);
	int64_t n = mm_mremap(mm, a, 2 * PG, 4 * PG, MREMAP_MAYMOVE, 0);
	assert_true(n > 0 && (uint64_t)n != a);
	assert_int_equal(PTE_OFFSET(pt_get(&mm->pt, (uint64_t)n + PG)), off);
	assert_int_equal(host_prot(mm, a + PG), -1);
	assert_int_equal(count_calls(mm, OP_UNMAP), 1);
	assert_int_equal(app_read8(mm, mf, (uint64_t)n + PG + 7), 'm');
	assert_int_equal(app_read8(mm, mf, (uint64_t)n + 3 * PG), 0);
	char b;
	assert_int_equal(mm_copy_in(mm, &b, a, 1), -EFAULT);
	/* MREMAP_FIXED onto an existing mapping replaces it. */
	uint64_t t = map_anon(mm, 0x60000000, PG, RW, ANON | MAP_FIXED);
	assert_int_equal(
	    mm_mremap(mm, (uint64_t)n, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t),
	    (int64_t)t);
	assert_int_equal(app_read8(mm, mf, t + PG + 7), 'm');
	check_consistency(mm);
	mm_put(mm);
}

static void test_mremap_grows_in_place_shrinks_and_checks_arguments(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 2 * PG, RW, ANON | MAP_FIXED);
	app_write8(mm, mf, a, 4);
	assert_int_equal(mm_mremap(mm, a, 2 * PG, 5 * PG, 0, 0), (int64_t)a);
	assert_int_equal(mm->vmas.v[0]->end, a + 5 * PG);
	assert_int_equal(app_read8(mm, mf, a), 4);
	assert_int_equal(mm_mremap(mm, a, 5 * PG, PG, 0, 0), (int64_t)a);
	assert_int_equal(mm->vmas.v[0]->end, a + PG);
	assert_int_equal(mm_mremap(mm, a + 1, PG, PG, 0, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, a, PG, 0, 0, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, a, PG, 2 * PG, MREMAP_FIXED, a + 8 * PG), -EINVAL);
	assert_int_equal(mm_mremap(mm, a, PG, 2 * PG, 0x80, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, 0x70000000, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
	assert_int_equal(mm_mremap(mm, 0x70000000, 2 * PG, PG, 0, 0), -EFAULT);
	assert_int_equal(mm_mremap(mm, a, 3 * PG, 4 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
	/* Overlapping MREMAP_FIXED target. */
	assert_int_equal(mm_mremap(mm, a, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, a), -EINVAL);
	mm_put(mm);
}

static void test_mremap_dontunmap_moves_pages_and_leaves_an_empty_mapping(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 2 * PG, RW, ANON | MAP_FIXED);
	app_write8(mm, mf, a + PG, 'd');
	uint64_t off = PTE_OFFSET(pt_get(&mm->pt, a + PG));
	/* Resizing, or without MAYMOVE: EINVAL before the VMA is looked at. */
	assert_int_equal(mm_mremap(mm, a, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0),
			 -EINVAL);
	assert_int_equal(mm_mremap(mm, 0x70000000, PG, PG, MREMAP_DONTUNMAP, 0), -EINVAL);
	int64_t n = mm_mremap(mm, a, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	assert_true(n > 0 && (uint64_t)n != a);
	assert_int_equal(PTE_OFFSET(pt_get(&mm->pt, (uint64_t)n + PG)), off);
	assert_int_equal(pt_get(&mm->pt, a + PG), 0);
	assert_int_equal(host_prot(mm, a + PG), -1);
	/* The old range is still mapped, and faults in fresh zero pages. */
	assert_int_equal(app_read8(mm, mf, a + PG), 0);
	assert_int_equal(app_read8(mm, mf, (uint64_t)n + PG), 'd');
	check_consistency(mm);
	mm_put(mm);
}

static void test_locked_pages_follow_split_unmap_mremap_and_fork(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 8 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_mlock(mm, a + PG, 4 * PG, false, MM_NO_LOCK_LIMIT), 0);
	assert_int_equal(mm_locked_bytes(mm), 4 * PG);
	assert_int_equal(nvmas(mm), 3);
	/* mlock populated the pages at once. */
	assert_true(pt_get(&mm->pt, a + PG) != 0 && pt_get(&mm->pt, a + 4 * PG) != 0);
	assert_int_equal(pt_get(&mm->pt, a), 0);
	/* Within the limit counts pages already locked once. */
	assert_int_equal(mm_mlock(mm, a, 6 * PG, false, 6), 0);
	assert_int_equal(mm_mlock(mm, a, 8 * PG, false, 7), -ENOMEM);
	assert_int_equal(mm_locked_bytes(mm), 6 * PG);
	assert_int_equal(mm_munmap(mm, a + 2 * PG, PG), 0);
	assert_int_equal(mm_locked_bytes(mm), 5 * PG);
	/* Growing a locked VMA: past the limit EAGAIN, else counted. */
	mm_set_lock_limit(mm, 6);
	assert_int_equal(mm_mremap(mm, a + 3 * PG, 3 * PG, 5 * PG, MREMAP_MAYMOVE, 0), -EAGAIN);
	mm_set_lock_limit(mm, MM_NO_LOCK_LIMIT);
	int64_t n = mm_mremap(mm, a + 3 * PG, 3 * PG, 5 * PG, MREMAP_MAYMOVE, 0);
	assert_true(n > 0);
	assert_int_equal(mm_locked_bytes(mm), 7 * PG);
	/* The grown part of a locked mapping is populated. */
	assert_true(pt_get(&mm->pt, (uint64_t)n + 4 * PG) != 0);
	struct mm *child = mm_fork(mm);
	assert_non_null(child);
	assert_int_equal(mm_locked_bytes(child), 0);
	mm_put(child);
	assert_int_equal(mm_munlockall(mm), 0);
	assert_int_equal(mm_locked_bytes(mm), 0);
	assert_int_equal(mm_mlockall(mm, MCL_FUTURE, MM_NO_LOCK_LIMIT), 0);
	uint64_t b = map_anon(mm, 0x50000000, 2 * PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_locked_bytes(mm), 2 * PG);
	mm_set_lock_limit(mm, 3);
	assert_int_equal(mm_mmap(mm, 0x51000000, 2 * PG, RW, ANON | MAP_FIXED, NULL, 0), -EAGAIN);
	assert_int_equal(mm_munmap(mm, b, 2 * PG), 0);
	assert_int_equal(mm_locked_bytes(mm), 0);
	check_consistency(mm);
	mm_put(mm);
}

/* ---- brk ---- */

static void test_brk_grows_shrinks_and_respects_limits(void **state)
{
	struct mm *mm = new_mm();
	uint64_t start = 0x555555560000ULL + 0x123;
	mm_brk_init(mm, start);
	assert_int_equal(mm_brk(mm, 0), start);
	assert_int_equal(mm_brk(mm, start - 1), start); /* never below the start */
	assert_int_equal(mm_brk(mm, start + 3 * PG), start + 3 * PG);
	uint64_t a = PAGE_ROUND_UP(start);
	assert_int_equal(mm_copy_out(mm, start + 3 * PG - 1, "z", 1), 0);
	assert_int_equal(nvmas(mm), 1);
	/* Growing in two steps keeps one [heap] VMA. */
	assert_int_equal(mm_brk(mm, start + 5 * PG), start + 5 * PG);
	assert_int_equal(nvmas(mm), 1);
	/* Shrink unmaps; growing back gives zeroes. */
	assert_int_equal(mm_brk(mm, start + PG), start + PG);
	assert_int_equal(mm->vmas.v[0]->end, a + PG);
	assert_int_equal(mm_brk(mm, start + 3 * PG), start + 3 * PG);
	char c = 1;
	assert_int_equal(mm_copy_in(mm, &c, start + 3 * PG - 1, 1), 0);
	assert_int_equal(c, 0);
	/* A mapping in the way: the old break is returned. */
	map_anon(mm, a + 10 * PG, PG, RW, ANON | MAP_FIXED);
	assert_int_equal(mm_brk(mm, start + 10 * PG), start + 3 * PG);
	assert_int_equal(mm_brk(mm, start + 9 * PG - 0x123 - 1), start + 9 * PG - 0x123 - 1);
	assert_int_equal(mm_brk(mm, ~0ULL - 5), start + 9 * PG - 0x123 - 1);
	mm_put(mm);
}

/* ---- futex keys, maps ---- */

static void test_futex_keys_private_vs_shared(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, PG, RW, ANON | MAP_FIXED);
	uint64_t k1, k2;
	assert_int_equal(mm_futex_key(mm, a + 4, true, &k1, &k2), 0);
	assert_int_equal(k1, (uint64_t)(uintptr_t)mm);
	assert_int_equal(k2, a + 4);
	/* A non-private futex on a private mapping is still (mm, addr). */
	assert_int_equal(mm_futex_key(mm, a + 4, false, &k1, &k2), 0);
	assert_int_equal(k1, (uint64_t)(uintptr_t)mm);
	assert_int_equal(mm_futex_key(mm, a + 5, true, &k1, &k2), -EINVAL);
	assert_int_equal(mm_futex_key(mm, 0x70000000, false, &k1, &k2), -EFAULT);
	assert_int_equal(mm_futex_key(mm, 0xffff800000000000ULL, true, &k1, &k2), -EFAULT);
	/* Shared: the memory-file offset, the same at two addresses of one page. */
	uint64_t s = map_anon(mm, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	int64_t r = mm_mremap(mm, s, 0, PG, MREMAP_MAYMOVE, 0); /* a second view */
	assert_true(r > 0);
	uint64_t j1, j2;
	assert_int_equal(mm_futex_key(mm, s + 12, false, &k1, &k2), 0);
	assert_int_equal(mm_futex_key(mm, (uint64_t)r + 12, false, &j1, &j2), 0);
	assert_int_equal(k1, 0);
	assert_int_equal(j1, 0);
	assert_int_equal(k2, j2);
	assert_int_equal(OFFSET_IN_PAGE(k2), 12);
	mm_put(mm);
}

struct maps_seen {
	int n;
	struct mm_vma_info v[16];
	char names[16][64];
};

static void collect(const struct mm_vma_info *v, void *arg)
{
	struct maps_seen *s = arg;
	if (s->n < 16) {
		s->v[s->n] = *v;
		snprintf(s->names[s->n], 64, "%s", v->name ? v->name : "");
		s->n++;
	}
}

static void test_for_each_vma_names_heap_stack_and_files(void **state)
{
	struct fake_file ff;
	ff_init(&ff, mf, file_data, sizeof(file_data), false);
	struct mm *mm = new_mm();
	/* A bss VMA ending where brk starts is not the heap. */
	map_anon(mm, 0x10000000 - PG, PG, PROT_READ, ANON | MAP_FIXED);
	mm_brk_init(mm, 0x10000000 - 8);
	mm_brk(mm, 0x10000000 + 2 * PG);
	int64_t f = mm_mmap(mm, 0x20000000, PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, &ff.f, PG);
	assert_int_equal(f, 0x20000000);
	map_anon(mm, 0x30000000, PG, RW, ANON | MAP_FIXED);
	uint64_t s =
	    map_anon(mm, 0x7ff000000000ULL - 8 * PG, 8 * PG, RW, ANON | MAP_FIXED | MAP_GROWSDOWN);
	mm_set_stack_range(mm, s, s + 8 * PG);
	map_anon(mm, 0x40000000, PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED);
	struct maps_seen seen = {0};
	mm_for_each_vma(mm, collect, &seen);
	assert_int_equal(seen.n, 6);
	assert_string_equal(seen.names[0], "");
	assert_string_equal(seen.names[1], "[heap]");
	assert_int_equal(seen.v[1].start, 0x10000000);
	assert_string_equal(seen.names[2], "/data/file");
	assert_int_equal(seen.v[2].offset, PG);
	assert_int_equal(seen.v[2].ino, 42);
	assert_int_equal(seen.v[2].prot, PROT_READ);
	assert_string_equal(seen.names[3], "");
	assert_string_equal(seen.names[4], "/dev/zero (deleted)");
	assert_true(seen.v[4].shared);
	assert_string_equal(seen.names[5], "[stack]");
	uint64_t vs, rss;
	mm_usage(mm, &vs, &rss);
	assert_int_equal(vs, (1 + 2 + 1 + 1 + 8 + 1) * PG);
	assert_int_equal(rss, 2 * PG); /* the heap's two pages, mapped at the brk */
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
}

static void test_map_populate_fills_pages_without_platform_calls(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = map_anon(mm, 0x40000000, 4 * PG, RW, ANON | MAP_FIXED | MAP_POPULATE);
	uint64_t rss;
	mm_usage(mm, NULL, &rss);
	assert_int_equal(rss, 4 * PG);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(app_read8(mm, mf, a + 3 * PG), 0);
	mm_put(mm);
}

/* The mm's executable (its file cannot be written while it runs): a write
 * to a page of a private mapping of it copies the window's other pages
 * still shared with the file's cache too, maps them writable in one
 * platform call, and leaves the file's pages alone.  Another file's
 * unwritten pages keep showing the file's changes (Linux), and an
 * executable mapping of the program copies only the page written. */
static void test_write_to_exe_data_copies_its_window(void **state)
{
	static uint8_t data[8 * 4096];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i % 251 + 1);
	struct fake_file exe, other;
	ff_init(&exe, mf, data, sizeof(data), true);
	ff_init(&other, mf, data, sizeof(data), true);
	struct mm *mm = new_mm();
	mm_set_exe_file(mm, &exe.f);
	assert_int_equal(exe.refs, 1);
	/* Each at a 64-page boundary: one copy window each. */
	int64_t d = mm_mmap(mm, 0x40000000, 8 * PG, RW, MAP_PRIVATE | MAP_FIXED, &exe.f, 0);
	int64_t o = mm_mmap(mm, 0x40100000, 8 * PG, RW, MAP_PRIVATE | MAP_FIXED, &other.f, 0);
	int64_t x = mm_mmap(mm, 0x40200000, 8 * PG, RW | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
			    &exe.f, 0);
	assert_true(d > 0 && o > 0 && x > 0);
	for (uint64_t i = 0; i < 8; i++) {
		assert_int_equal(app_read8(mm, mf, (uint64_t)d + i * PG), data[i * PG]);
		assert_int_equal(app_read8(mm, mf, (uint64_t)o + i * PG), data[i * PG]);
	}
	assert_int_equal(app_read8(mm, mf, (uint64_t)x), data[0]);
	assert_int_equal(host_prot(mm, (uint64_t)d + 5 * PG), PROT_READ);
	clear_calls(mm);
	app_write8(mm, mf, (uint64_t)d + 2 * PG + 9, 0x77);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	for (uint64_t i = 0; i < 8; i++) {
		uint64_t pte = pt_get(&mm->pt, (uint64_t)d + i * PG);
		assert_false(pte & PTE_COW);
		assert_int_not_equal(PTE_OFFSET(pte), (uint64_t)(exe.cache[i] - 1));
		assert_int_equal(host_prot(mm, (uint64_t)d + i * PG), RW);
	}
	/* The copies hold the file's data and take writes with no fault. */
	clear_calls(mm);
	app_write8(mm, mf, (uint64_t)d + 7 * PG, 0x55);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(app_read8(mm, mf, (uint64_t)d + 6 * PG + 3), data[6 * PG + 3]);
	assert_int_equal(app_read8(mm, mf, (uint64_t)d + 2 * PG + 9), 0x77);
	assert_int_equal(*(uint8_t *)memfile_ptr(mf, (uint64_t)exe.cache[7] - 1), data[7 * PG]);
	/* Another file: the page written is copied alone, and its neighbours
	 * still show what is written to the file (its cached page). */
	app_write8(mm, mf, (uint64_t)o + 2 * PG, 0x66);
	assert_true(pt_get(&mm->pt, (uint64_t)o + 3 * PG) & PTE_COW);
	*(uint8_t *)memfile_ptr(mf, (uint64_t)other.cache[3] - 1) = 0x99;
	assert_int_equal(app_read8(mm, mf, (uint64_t)o + 3 * PG), 0x99);
	/* The program's text: the page written alone, as Linux. */
	app_write8(mm, mf, (uint64_t)x + PG, 0x11);
	assert_true(pt_get(&mm->pt, (uint64_t)x + 2 * PG) & PTE_COW);
	check_consistency(mm);
	/* A fork's mm runs the same program. */
	struct mm *c = mm_fork(mm);
	assert_non_null(c);
	assert_int_equal(exe.refs, 6); /* each mm: its own and its two mappings of it */
	mm_put(c);
	mm_put(mm);
	assert_int_equal(exe.refs, 0);
	assert_int_equal(other.refs, 0);
	ff_release(&exe);
	ff_release(&other);
}

/* A library's data mapped by ld.so (MAP_PRIVATE|MAP_DENYWRITE): the first
 * write copies the window's pages (16) and maps them writable in one
 * platform call, as a write after reads does; the file's cached pages stay
 * as they were. */
static void test_write_to_loaded_library_data_copies_its_window(void **state)
{
	static uint8_t data[8 * 4096];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i % 251 + 1);
	struct fake_file lib;
	ff_init(&lib, mf, data, sizeof(data), true);
	struct mm *mm = new_mm();
	int flags = MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE;
	/* At 64 KiB boundaries: one window each. */
	int64_t d = mm_mmap(mm, 0x40000000, 6 * PG, RW, flags, &lib.f, 0);
	int64_t e = mm_mmap(mm, 0x40100000, 6 * PG, RW, flags, &lib.f, 0);
	assert_true(d > 0 && e > 0);
	/* A first write, nothing present yet (the platform tells a write). */
	clear_calls(mm);
	int code;
	assert_int_equal(mm_handle_fault_access(mm, (uint64_t)d + 4 * PG + 1, PROT_WRITE, &code), 0);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	app_write8(mm, mf, (uint64_t)d + 4 * PG + 1, 0x42);
	assert_int_equal(AS(mm)->ncalls, 1);
	for (uint64_t i = 0; i < 6; i++) {
		uint64_t pte = pt_get(&mm->pt, (uint64_t)d + i * PG);
		assert_false(pte & PTE_COW);
		assert_int_not_equal(PTE_OFFSET(pte), (uint64_t)(lib.cache[i] - 1));
		assert_int_equal(host_prot(mm, (uint64_t)d + i * PG), RW);
	}
	clear_calls(mm);
	for (uint64_t i = 0; i < 6; i++)
		app_write8(mm, mf, (uint64_t)d + i * PG + 2, (uint8_t)i);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(app_read8(mm, mf, (uint64_t)d + 4 * PG + 1), 0x42);
	assert_int_equal(app_read8(mm, mf, (uint64_t)d + 3 * PG + 7), data[3 * PG + 7]);
	assert_int_equal(*(uint8_t *)memfile_ptr(mf, (uint64_t)lib.cache[4] - 1), data[4 * PG]);
	assert_int_equal(*(uint8_t *)memfile_ptr(mf, (uint64_t)lib.cache[4] - 1 + 1), data[4 * PG + 1]);
	/* Read first (mapped read-only, shared with the cache), then written. */
	for (uint64_t i = 0; i < 6; i++)
		assert_int_equal(app_read8(mm, mf, (uint64_t)e + i * PG), data[i * PG]);
	assert_int_equal(host_prot(mm, (uint64_t)e + 5 * PG), PROT_READ);
	clear_calls(mm);
	app_write8(mm, mf, (uint64_t)e + PG, 0x24);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	for (uint64_t i = 0; i < 6; i++) {
		assert_false(pt_get(&mm->pt, (uint64_t)e + i * PG) & PTE_COW);
		assert_int_equal(host_prot(mm, (uint64_t)e + i * PG), RW);
	}
	assert_int_equal(app_read8(mm, mf, (uint64_t)e + 5 * PG + 9), data[5 * PG + 9]);
	check_consistency(mm);
	mm_put(mm);
	assert_int_equal(lib.refs, 0);
	ff_release(&lib);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	    T(test_write_to_loaded_library_data_copies_its_window),
	    T(test_memfile_alloc_is_zeroed_refcounted_and_punched_on_free),
	    T(test_write_fault_after_fork_reclaims_the_window),
	    T(test_read_fault_maps_the_cached_pages_of_a_wider_window),
	    T(test_a_vma_as_small_as_the_window_faults_in_whole),
	    T(test_last_file_put_happens_after_mm_lock),
	    T(test_memfile_alloc_fails_with_enomem_when_full),
	    T(test_mmap_without_hint_goes_top_down_below_base),
	    T(test_mmap_hint_used_when_free_and_ignored_when_taken),
	    T(test_mmap_fixed_replaces_and_noreplace_fails_with_eexist),
	    T(test_mmap_rejects_bad_arguments),
	    T(test_mmap_fails_with_enomem_when_no_room),
	    T(test_mmap_stays_clear_of_stack_guard_gap),
	    T(test_munmap_splits_and_tolerates_unmapped_ranges),
	    T(test_mprotect_splits_then_merges_back),
	    T(test_mprotect_range_with_hole_fails_with_enomem),
	    T(test_mprotect_updates_platform_mappings),
	    T(test_copy_round_trips_across_pages_and_vmas),
	    T(test_copy_of_bad_pointers_returns_efault),
	    T(test_copy_out_to_readonly_fails_and_copy_in_from_prot_none_fails),
	    T(test_copy_string_in_finds_nul_and_reports_too_long),
	    T(test_atomic_cmpxchg_and_load),
	    T(test_fault_populates_zero_pages_and_maps_window),
	    T(test_fault_window_is_clipped_to_the_vma),
	    T(test_fault_without_vma_is_maperr_and_bad_prot_is_accerr),
	    T(test_stack_grows_down_on_fault_within_rlimit),
	    T(test_fork_cow_isolates_parent_and_child),
	    T(test_copy_out_breaks_cow_and_moves_the_mapping_to_the_copy),
	    T(test_shared_anon_stays_shared_across_fork),
	    T(test_dontfork_and_wipeonfork),
	    T(test_private_file_mapping_reads_file_zero_fills_and_sigbus_past_eof),
	    T(test_shared_file_mapping_uses_the_files_pages),
	    T(test_private_mapping_of_shareable_file_is_cow_over_file_pages),
	    T(test_read_fault_in_a_file_maps_the_file_window),
	    T(test_write_fault_hint_copies_at_once),
	    T(test_write_to_exe_data_copies_its_window),
	    T(test_access_force_writes_readonly_private_not_shared),
	    T(test_shmem_object_maps_shared_into_two_mms),
	    T(test_madvise_dontneed_zeroes_private_anon),
	    T(test_mremap_move_keeps_data_without_copying),
	    T(test_mremap_grows_in_place_shrinks_and_checks_arguments),
	    T(test_mremap_dontunmap_moves_pages_and_leaves_an_empty_mapping),
	    T(test_locked_pages_follow_split_unmap_mremap_and_fork),
	    T(test_brk_grows_shrinks_and_respects_limits),
	    T(test_futex_keys_private_vs_shared),
	    T(test_for_each_vma_names_heap_stack_and_files),
	    T(test_map_populate_fills_pages_without_platform_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
