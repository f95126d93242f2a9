/* Unit tests for what sentry/mm/mm.c maps ahead of the app's first touch:
 * a brk growth's first pages, a small writable anonymous mmap
 * (populate_anon), longer fault windows for memory filled upward, for a
 * library's data and for cached file pages, and a library loaded by ld.so,
 * a small file mapped to be read and a program's bss (loadahead.c). */
#include "sentry/mm/tests/mm_test_util.h"

static struct memfile *mf;

/* The fake platform, but keeping maps made before entry, as systrap. */
static struct platform_ops premap_ops;
static struct platform premap_plat = {.ops = &premap_ops, .memfd = -1};

static int setup(void **state)
{
	fake_releases = 0;
	premap_ops = fake_platform_ops;
	premap_ops.map_before_entry = true;
	return memfile_new(64ULL << 20, &mf) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	uint64_t used = memfile_used(mf);
	memfile_free(mf);
	mf = NULL;
	return used ? -1 : 0;
}

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED)

static struct mm *new_mm(void)
{
	struct mm *mm = mm_new(mf, &fake_plat);
	assert_non_null(mm);
	return mm;
}

/* The first 64 pages a brk growth adds are mapped writable at the brk, in
 * one platform call (malloc writes them next); the rest fault as before; a
 * shrink unmaps them and a growth back gives fresh zeroes. */
static void test_brk_growth_maps_its_first_pages_at_once(void **state)
{
	struct mm *mm = new_mm();
	uint64_t start = 0x555555560000ULL;
	mm_brk_init(mm, start);
	clear_calls(mm);
	assert_int_equal(mm_brk(mm, start + 48 * PG), start + 48 * PG);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	for (uint64_t i = 0; i < 48; i++)
		assert_int_equal(host_prot(mm, start + i * PG), RW);
	clear_calls(mm);
	for (uint64_t i = 0; i < 48; i++)
		app_write8(mm, mf, start + i * PG + 5, 0x5a);
	assert_int_equal(AS(mm)->ncalls, 0);
	/* Down by 16 pages, back up by 100: 64 of them mapped, not 100. */
	assert_int_equal(mm_brk(mm, start + 32 * PG), start + 32 * PG);
	assert_int_equal(host_prot(mm, start + 40 * PG), -1);
	clear_calls(mm);
	assert_int_equal(mm_brk(mm, start + 132 * PG), start + 132 * PG);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(host_prot(mm, start + 95 * PG), RW);
	assert_int_equal(host_prot(mm, start + 96 * PG), -1);
	assert_int_equal(app_read8(mm, mf, start + 40 * PG + 5), 0);
	assert_int_equal(app_read8(mm, mf, start + 31 * PG + 5), 0x5a);
	assert_int_equal(app_read8(mm, mf, start + 120 * PG), 0);
	check_consistency(mm);
	mm_put(mm);
}

/* A private writable anonymous mmap no larger than the fault-around window
 * (16 pages) is mapped with the mmap, in one platform call: ld.so's and a
 * library's bss are written at once, and a first touch would map all of it
 * anyway.  Not a larger one, a read-only, shared or MAP_NORESERVE one, nor
 * where the map would not hold (an address space never entered on a
 * platform that keeps no maps before entry). */
static void test_small_anonymous_mmap_is_mapped_at_once(void **state)
{
	struct mm *mm = mm_new(mf, &premap_plat);
	assert_non_null(mm);
	clear_calls(mm);
	assert_int_equal(mm_mmap(mm, 0x40000000, 2 * PG, RW, ANON, NULL, 0), 0x40000000);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(host_prot(mm, 0x40000000), RW);
	assert_int_equal(host_prot(mm, 0x40000000 + PG), RW);
	clear_calls(mm);
	app_write8(mm, mf, 0x40000000 + PG + 3, 7);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(app_read8(mm, mf, 0x40000000), 0);
	assert_int_equal(mm_mmap(mm, 0x41000000, 16 * PG, RW, ANON, NULL, 0), 0x41000000);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	clear_calls(mm);
	assert_int_equal(mm_mmap(mm, 0x42000000, 17 * PG, RW, ANON, NULL, 0), 0x42000000);
	assert_int_equal(mm_mmap(mm, 0x43000000, 4 * PG, PROT_READ, ANON, NULL, 0), 0x43000000);
	assert_int_equal(mm_mmap(mm, 0x44000000, 4 * PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED,
				 NULL, 0),
			 0x44000000);
	assert_int_equal(mm_mmap(mm, 0x45000000, 4 * PG, RW, ANON | MAP_NORESERVE, NULL, 0),
			 0x45000000);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(host_prot(mm, 0x42000000), -1);
	check_consistency(mm);
	mm_put(mm);
	/* The plain fake platform keeps nothing before entry. */
	mm = new_mm();
	clear_calls(mm);
	assert_int_equal(mm_mmap(mm, 0x40000000, 2 * PG, RW, ANON, NULL, 0), 0x40000000);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_false(pt_get(&mm->pt, 0x40000000) & PTE_MAPPED);
	assert_int_equal(app_read8(mm, mf, 0x40000000), 0);
	mm_put(mm);
}

/* Private anonymous memory filled upward: a first touch at the mapping's
 * start, or whose window has its page below present, maps 64 pages from
 * there instead of 16, or as many as the present run below when that is
 * longer (the windows double, up to 512 pages); a touch with nothing below,
 * 16. */
static void test_anonymous_memory_filled_upward_faults_in_longer_windows(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = 0x40000000;
	assert_int_equal(mm_mmap(mm, a, 256 * PG, RW, ANON, NULL, 0), (int64_t)a);
	clear_calls(mm);
	app_write8(mm, mf, a, 1);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(host_prot(mm, a + 63 * PG), RW);
	assert_int_equal(host_prot(mm, a + 64 * PG), -1);
	clear_calls(mm);
	app_write8(mm, mf, a + 64 * PG, 2);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(host_prot(mm, a + 127 * PG), RW);
	assert_int_equal(host_prot(mm, a + 128 * PG), -1);
	clear_calls(mm);
	for (uint64_t i = 1; i < 128; i++)
		if (i != 64)
			app_write8(mm, mf, a + i * PG, 3);
	assert_int_equal(AS(mm)->ncalls, 0);
	/* Nothing below: the usual window. */
	app_write8(mm, mf, a + 200 * PG, 4);
	assert_int_equal(host_prot(mm, a + 207 * PG), RW);
	assert_int_equal(host_prot(mm, a + 208 * PG), -1);
	/* The last window stops at the VMA's end. */
	app_write8(mm, mf, a + 208 * PG, 5);
	assert_int_equal(host_prot(mm, a + 255 * PG), RW);
	assert_int_equal(app_read8(mm, mf, a + 64 * PG), 2);
	assert_int_equal(app_read8(mm, mf, a + 250 * PG), 0);
	check_consistency(mm);
	mm_put(mm);
}

/* A first touch at the start of a mapping whose start is not aligned to the
 * 16-page window (a 256 KiB buffer 8 KiB below a 64 KiB boundary, as
 * mmap hands them out) maps 64 pages, not the two the aligned window would
 * leave: the buffer is filled in one fault, not two.  Not so for a stack
 * (MAP_GROWSDOWN), filled downward. */
static void test_first_touch_at_an_anonymous_mapping_start_maps_64_pages(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = 0x40000000 - 2 * PG;
	assert_int_equal(mm_mmap(mm, a, 64 * PG, RW, ANON, NULL, 0), (int64_t)a);
	clear_calls(mm);
	for (uint64_t i = 0; i < 64; i++)
		app_write8(mm, mf, a + i * PG, (uint8_t)i);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(app_read8(mm, mf, a + 63 * PG), 63);
	uint64_t s = 0x50000000 - 2 * PG;
	assert_int_equal(mm_mmap(mm, s, 64 * PG, RW, ANON | MAP_GROWSDOWN, NULL, 0), (int64_t)s);
	clear_calls(mm);
	app_write8(mm, mf, s, 1);
	assert_int_equal(host_prot(mm, s + PG), RW);
	assert_int_equal(host_prot(mm, s + 2 * PG), -1);
	check_consistency(mm);
	mm_put(mm);
}

/* The windows of memory filled upward double with the run below them, to
 * 512 pages at most: 2 MiB filled in 5 faults (64, 64, 128, 256 pages),
 * the next 2 MiB in one more. */
static void test_upward_windows_double_up_to_2_mib(void **state)
{
	struct mm *mm = new_mm();
	uint64_t a = 0x40000000, n = 1200;
	assert_int_equal(mm_mmap(mm, a, n * PG, RW, ANON, NULL, 0), (int64_t)a);
	clear_calls(mm);
	int faults = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (host_prot(mm, a + i * PG) != RW)
			faults++;
		app_write8(mm, mf, a + i * PG, (uint8_t)i);
		if (i == 0 || i == 64 || i == 128 || i == 256 || i == 512)
			assert_int_equal(host_prot(mm, a + (2 * i + (i ? 0 : 64) - 1) * PG), RW);
	}
	assert_int_equal(host_prot(mm, a + 639 * PG), RW);
	assert_int_equal(faults, 6); /* 0, 64, 128, 256, 512 (512 pages), 1024 */
	assert_int_equal(app_read8(mm, mf, a + 1000 * PG), (uint8_t)1000);
	check_consistency(mm);
	mm_put(mm);
}

/* A library's data no larger than the window but across a 64 KiB boundary
 * (libisl's nine pages): ld.so's write at its tail (zeroing the bss part)
 * copies and maps all of it, so its relocations below do not fault again. */
static void test_write_to_loaded_library_data_across_a_boundary_copies_it_whole(void **state)
{
	static uint8_t data[9 * 4096];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i % 241 + 1);
	struct fake_file lib;
	ff_init(&lib, mf, data, sizeof(data), true);
	struct mm *mm = new_mm();
	int flags = MAP_PRIVATE | MAP_FIXED | MAP_DENYWRITE;
	uint64_t d = 0x4000b000; /* pages 0-4 below 0x40010000, 5-8 above */
	assert_int_equal(mm_mmap(mm, d, 9 * PG, RW, flags, &lib.f, 0), (int64_t)d);
	clear_calls(mm);
	int code;
	assert_int_equal(mm_handle_fault_access(mm, d + 8 * PG + 0xef0, PROT_WRITE, &code), 0);
	app_write8(mm, mf, d + 8 * PG + 0xef0, 0);
	for (uint64_t i = 0; i < 9; i++) {
		assert_false(pt_get(&mm->pt, d + i * PG) & PTE_COW);
		assert_int_equal(host_prot(mm, d + i * PG), RW);
	}
	clear_calls(mm);
	for (uint64_t i = 0; i < 5; i++)
		app_write8(mm, mf, d + i * PG + 0x7a8, (uint8_t)i);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(app_read8(mm, mf, d + 2 * PG + 0x7a8), 2);
	assert_int_equal(app_read8(mm, mf, d + 6 * PG + 3), data[6 * PG + 3]);
	assert_int_equal(*(uint8_t *)memfile_ptr(mf, (uint64_t)lib.cache[2] - 1 + 0x7a8),
			 data[2 * PG + 0x7a8]);
	check_consistency(mm);
	mm_put(mm);
	assert_int_equal(lib.refs, 0);
	ff_release(&lib);
}

/* A read fault in a file mapping whose pages are all cached maps up to
 * 2048 pages of them (8 MiB: cc1's text in three faults), in one request,
 * without reading the file. */
static void test_read_fault_maps_up_to_8_mib_of_cached_pages(void **state)
{
	static uint8_t big[1000 * 4096];
	for (size_t i = 0; i < sizeof(big); i += PG)
		big[i] = (uint8_t)(i / PG);
	struct fake_file ff;
	ff_init(&ff, mf, big, sizeof(big), true);
	ff.f.ops = &ff_cached_ops;
	for (uint64_t pg = 0; pg < 1000; pg++)
		memfile_decref(mf, (uint64_t)ff_shared_page(&ff.f, pg), 1);
	int preads = ff.preads;
	struct mm *mm = new_mm();
	uint64_t a = 0x40000000;
	assert_int_equal(mm_mmap(mm, a, 1000 * PG, PROT_READ | PROT_EXEC, MAP_PRIVATE, &ff.f, 0),
			 (int64_t)a);
	clear_calls(mm);
	assert_int_equal(app_read8(mm, mf, a + 700 * PG), 700 % 256);
	assert_int_equal(ff.preads, preads);
	assert_int_equal(host_prot(mm, a), PROT_READ | PROT_EXEC);
	assert_int_equal(host_prot(mm, a + 999 * PG), PROT_READ | PROT_EXEC);
	clear_calls(mm);
	for (uint64_t pg = 0; pg < 1000; pg += 7)
		assert_int_equal(app_read8(mm, mf, a + pg * PG), (uint8_t)pg);
	assert_int_equal(AS(mm)->ncalls, 0);
	check_consistency(mm);
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
	ff_release(&ff);
}

/* ld.so's load of a library (loadahead.c): a read-only reservation of the
 * file, its text over it, then its writable data (all MAP_DENYWRITE).  The
 * data's mmap maps the data copied and writable, and the cached pages of
 * the text and of the first segment below it, in that mmap's request: the
 * relocations, the header reads and the calls that follow take no fault.
 * Not for a writable private mapping without MAP_DENYWRITE, nor where the
 * maps would not hold. */
static void test_library_data_mmap_maps_the_library_ahead(void **state)
{
	static uint8_t lib[40 * 4096];
	for (size_t i = 0; i < sizeof(lib); i++)
		lib[i] = (uint8_t)(i % 239 + 1);
	struct fake_file ff;
	ff_init(&ff, mf, lib, sizeof(lib), true);
	ff.f.ops = &ff_cached_ops;
	for (uint64_t pg = 0; pg < 24; pg++) /* the text and first segment, cached */
		memfile_decref(mf, (uint64_t)ff_shared_page(&ff.f, pg), 1);
	struct mm *mm = mm_new(mf, &premap_plat);
	assert_non_null(mm);
	uint64_t a = 0x40000000;
	int flags = MAP_PRIVATE | MAP_DENYWRITE | MAP_FIXED;
	assert_int_equal(mm_mmap(mm, a, 40 * PG, PROT_READ, flags, &ff.f, 0), (int64_t)a);
	assert_int_equal(
	    mm_mmap(mm, a + 8 * PG, 16 * PG, PROT_READ | PROT_EXEC, flags, &ff.f, 8 * PG),
	    (int64_t)(a + 8 * PG));
	clear_calls(mm);
	assert_int_equal(mm_mmap(mm, a + 24 * PG, 9 * PG, RW, flags, &ff.f, 24 * PG),
			 (int64_t)(a + 24 * PG));
	assert_true(count_calls(mm, OP_MAP) >= 3);
	for (uint64_t i = 0; i < 9; i++) {
		assert_false(pt_get(&mm->pt, a + (24 + i) * PG) & PTE_COW);
		assert_int_equal(host_prot(mm, a + (24 + i) * PG), RW);
	}
	for (uint64_t i = 0; i < 24; i++)
		assert_int_equal(host_prot(mm, a + i * PG),
				 i < 8 ? PROT_READ : PROT_READ | PROT_EXEC);
	assert_int_equal(host_prot(mm, a + 33 * PG), -1); /* the reservation's rest */
	clear_calls(mm);
	for (uint64_t i = 0; i < 9; i++)
		app_write8(mm, mf, a + (24 + i) * PG + 1, (uint8_t)i);
	for (uint64_t i = 0; i < 24; i++)
		assert_int_equal(app_read8(mm, mf, a + i * PG + 5), lib[i * PG + 5]);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(app_read8(mm, mf, a + 30 * PG + 2), lib[30 * PG + 2]);
	assert_int_equal(*(uint8_t *)memfile_ptr(mf, (uint64_t)ff.cache[30] - 1 + 1),
			 lib[30 * PG + 1]);
	check_consistency(mm);
	/* Without MAP_DENYWRITE: nothing ahead. */
	clear_calls(mm);
	assert_int_equal(mm_mmap(mm, 0x50000000, 4 * PG, RW, MAP_PRIVATE | MAP_FIXED, &ff.f, 0),
			 0x50000000);
	assert_int_equal(AS(mm)->ncalls, 0);
	mm_put(mm);
	/* A platform that keeps no maps before entry: nothing either. */
	mm = new_mm();
	assert_int_equal(mm_mmap(mm, a, 9 * PG, RW, flags, &ff.f, 24 * PG), (int64_t)a);
	assert_int_equal(AS(mm)->ncalls, 0);
	assert_int_equal(app_read8(mm, mf, a + 2 * PG), lib[26 * PG]);
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
	ff_release(&ff);
}

/* A read-only mapping of a small file (ld.so.cache) is mapped with the
 * mmap: ld.so reads it next.  Not one at a fixed address, a library's
 * reservation (MAP_DENYWRITE), a writable one, or one larger than a file
 * fault's window (128 pages). */
static void test_small_read_only_file_mmap_is_mapped_at_once(void **state)
{
	static uint8_t cache[200 * 4096];
	for (size_t i = 0; i < sizeof(cache); i += PG)
		cache[i] = (uint8_t)(i / PG + 1);
	struct fake_file ff;
	ff_init(&ff, mf, cache, 3 * PG - 100, true);
	struct mm *mm = mm_new(mf, &premap_plat);
	assert_non_null(mm);
	clear_calls(mm);
	int64_t a = mm_mmap(mm, 0, 3 * PG - 100, PROT_READ, MAP_PRIVATE, &ff.f, 0);
	assert_true(a > 0);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	clear_calls(mm);
	for (uint64_t i = 0; i < 3; i++)
		assert_int_equal(app_read8(mm, mf, (uint64_t)a + i * PG), i + 1);
	assert_int_equal(AS(mm)->ncalls, 0);
	check_consistency(mm);
	ff.size = sizeof(cache);
	assert_true(mm_mmap(mm, 0x50000000, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, &ff.f, 0) >
		    0);
	assert_true(mm_mmap(mm, 0, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_DENYWRITE, &ff.f, 0) > 0);
	assert_true(mm_mmap(mm, 0, 3 * PG, RW, MAP_PRIVATE, &ff.f, 0) > 0);
	assert_true(mm_mmap(mm, 0, 129 * PG, PROT_READ, MAP_PRIVATE, &ff.f, 0) > 0);
	assert_int_equal(AS(mm)->ncalls, 0);
	mm_put(mm);
	assert_int_equal(ff.refs, 0);
	ff_release(&ff);
}

/* A program's bss (the loader's anonymous part of its data segment) is
 * mapped whole at exec when no larger than 2 MiB: cc1's 1.6 MiB of tables
 * without a fault; a larger one faults as before, and so does everything
 * where maps made before the first entry would not hold. */
static void test_bss_up_to_2_mib_is_mapped_at_exec(void **state)
{
	struct mm *mm = mm_new(mf, &premap_plat);
	assert_non_null(mm);
	uint64_t a = 0x23cd000, big = 0x40000000;
	assert_int_equal(mm_mmap(mm, a, 416 * PG, RW, ANON, NULL, 0), (int64_t)a);
	assert_int_equal(mm_mmap(mm, big, 513 * PG, RW, ANON, NULL, 0), (int64_t)big);
	clear_calls(mm);
	mm_populate_bss(mm, a, a + 416 * PG);
	mm_populate_bss(mm, big, big + 513 * PG);
	assert_int_equal(count_calls(mm, OP_MAP), 1);
	assert_int_equal(host_prot(mm, a), RW);
	assert_int_equal(host_prot(mm, a + 415 * PG), RW);
	assert_int_equal(host_prot(mm, big), -1);
	clear_calls(mm);
	app_write8(mm, mf, a + 200 * PG + 9, 9);
	assert_int_equal(app_read8(mm, mf, a + 300 * PG), 0);
	assert_int_equal(AS(mm)->ncalls, 0);
	check_consistency(mm);
	mm_put(mm);
	mm = new_mm();
	assert_int_equal(mm_mmap(mm, a, 16 * PG, RW, ANON, NULL, 0), (int64_t)a);
	clear_calls(mm);
	mm_populate_bss(mm, a, a + 16 * PG);
	assert_int_equal(AS(mm)->ncalls, 0);
	mm_put(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_brk_growth_maps_its_first_pages_at_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_small_anonymous_mmap_is_mapped_at_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_anonymous_memory_filled_upward_faults_in_longer_windows, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_first_touch_at_an_anonymous_mapping_start_maps_64_pages, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_upward_windows_double_up_to_2_mib, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_write_to_loaded_library_data_across_a_boundary_copies_it_whole, setup,
		teardown),
	    cmocka_unit_test_setup_teardown(test_read_fault_maps_up_to_8_mib_of_cached_pages, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_library_data_mmap_maps_the_library_ahead, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_small_read_only_file_mmap_is_mapped_at_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_bss_up_to_2_mib_is_mapped_at_exec, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
