/* Unit tests for sentry/mm/fork.c: the child's platform mappings made ahead
 * of its first instruction (platform_ops.map_before_entry). */
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
	if (used) {
		print_error("leak: %llu bytes of the memory file still in use\n",
			    (unsigned long long)used);
		return -1;
	}
	return 0;
}

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static uint64_t map_at(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags)
{
	int64_t r = mm_mmap(mm, addr, len, prot, flags | MAP_FIXED, NULL, 0);
	assert_int_equal(r, (int64_t)addr);
	return addr;
}

/* The child gets the pages its parent maps, mapped before it runs: private
 * ones read-only (a write still faults and copies), shared ones as the
 * parent has them; pages the parent does not map stay unmapped. */
static void test_fork_child_gets_the_parents_mapped_pages_read_only(void **state)
{
	struct mm *p = mm_new(mf, &premap_plat);
	assert_non_null(p);
	uint64_t a = map_at(p, 0x40000000, 4 * PG, RW, ANON);
	/* MAP_NORESERVE: not mapped at the mmap (test_populate.c). */
	uint64_t b = map_at(p, 0x50000000, 2 * PG, RW, ANON | MAP_NORESERVE);
	uint64_t s = map_at(p, 0x60000000, PG, RW, MAP_SHARED | MAP_ANONYMOUS);
	for (int i = 0; i < 4; i++)
		app_write8(p, mf, a + i * PG, (uint8_t)('a' + i));
	app_write8(p, mf, s, 's');
	/* Present in the page table, never mapped by the platform. */
	assert_int_equal(mm_copy_out(p, b, "b", 1), 0);
	assert_int_equal(host_prot(p, b), -1);
	mm_get(p); /* another thread: nothing is copied ahead */
	struct mm *c = mm_fork(p);
	mm_put(p);
	assert_non_null(c);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(host_prot(c, a + i * PG), PROT_READ);
		assert_true(pt_get(&c->pt, a + i * PG) & PTE_MAPPED);
	}
	assert_int_equal(host_prot(c, b), -1);
	assert_int_equal(host_prot(c, s), RW);
	assert_int_equal(count_calls(c, OP_MAP), 2); /* a's four pages in one run, s */
	check_consistency(p);
	check_consistency(c);
	/* Reads need no fault; a write copies, the parent keeps its page. */
	int before = AS(c)->ncalls;
	assert_int_equal(app_read8(c, mf, a + PG), 'b');
	assert_int_equal(AS(c)->ncalls, before);
	app_write8(c, mf, a, 'C');
	assert_int_equal(host_prot(c, a), RW);
	assert_int_equal(app_read8(p, mf, a), 'a');
	assert_int_equal(app_read8(c, mf, a), 'C');
	/* Shared memory stays shared. */
	app_write8(c, mf, s, 'S');
	assert_int_equal(app_read8(p, mf, s), 'S');
	check_consistency(p);
	check_consistency(c);
	mm_put(c);
	mm_put(p);
	assert_int_equal(fake_releases, 2);
}

/* Without map_before_entry (ptrace), the child maps nothing before its
 * first fault: a map into an address space never entered would be lost. */
static void test_fork_maps_nothing_ahead_without_map_before_entry(void **state)
{
	struct mm *p = mm_new(mf, &fake_plat);
	assert_non_null(p);
	uint64_t a = map_at(p, 0x40000000, 4 * PG, RW, ANON);
	app_write8(p, mf, a, 'a');
	struct mm *c = mm_fork(p);
	assert_non_null(c);
	assert_int_equal(AS(c)->ncalls, 0);
	assert_false(pt_get(&c->pt, a) & PTE_MAPPED);
	assert_int_equal(app_read8(c, mf, a), 'a');
	check_consistency(c);
	mm_put(c);
	mm_put(p);
}

/* The maps made ahead are bounded (they ride one platform request): a
 * parent with more scattered pages than that gets the rest by faults. */
static void test_fork_premap_is_bounded(void **state)
{
	struct mm *p = mm_new(mf, &premap_plat);
	assert_non_null(p);
	/* 200 one-page VMAs of alternating prot: no two pages make one run. */
	for (int i = 0; i < 200; i++) {
		uint64_t a = map_at(p, 0x40000000 + (uint64_t)i * PG, PG,
				    i % 2 ? PROT_READ : RW, ANON);
		app_read8(p, mf, a);
	}
	struct mm *c = mm_fork(p);
	assert_non_null(c);
	int maps = count_calls(c, OP_MAP);
	assert_true(maps > 0 && maps <= 48);
	check_consistency(c);
	for (int i = 0; i < 200; i++)
		assert_int_equal(app_read8(c, mf, 0x40000000 + (uint64_t)i * PG), 0);
	check_consistency(c);
	mm_put(c);
	mm_put(p);
}

/* The Sentry writing into a child's page it maps ahead (clone's
 * CLONE_CHILD_SETTID: the tid into the child's thread struct) copies it and
 * moves the mapping to the copy at once, writable: the child uses it
 * without a fault; the parent's page and mapping stay. */
static void test_a_sentry_write_into_a_premapped_child_page_maps_the_copy(void **state)
{
	struct mm *p = mm_new(mf, &premap_plat);
	assert_non_null(p);
	uint64_t a = map_at(p, 0x40000000, 2 * PG, RW, ANON);
	app_write8(p, mf, a, 'p');
	app_write8(p, mf, a + PG, 'q');
	mm_get(p); /* another thread: nothing is copied ahead */
	struct mm *c = mm_fork(p);
	mm_put(p);
	assert_non_null(c);
	uint64_t shared = PTE_OFFSET(pt_get(&c->pt, a));
	assert_int_equal(host_prot(c, a), PROT_READ);
	clear_calls(c);
	assert_int_equal(mm_copy_out(c, a + 8, "tid", 3), 0);
	uint64_t pte = pt_get(&c->pt, a);
	assert_true(PTE_OFFSET(pte) != shared);
	assert_false(pte & PTE_COW);
	assert_int_equal(host_prot(c, a), RW);
	assert_int_equal(count_calls(c, OP_UNMAP), 0);
	assert_int_equal(count_calls(c, OP_MAP), 1);
	check_consistency(c);
	int before = AS(c)->ncalls;
	assert_int_equal(app_read8(c, mf, a + 8), 't');
	app_write8(c, mf, a + 16, 'w');
	assert_int_equal(AS(c)->ncalls, before);
	assert_int_equal(app_read8(c, mf, a), 'p');
	assert_int_equal(app_read8(p, mf, a + 8), 0);
	assert_int_equal(PTE_OFFSET(pt_get(&p->pt, a)), shared);
	check_consistency(p);
	mm_put(c);
	mm_put(p);
}

/* The pages a single-threaded parent maps writable (written since it last
 * lost write to them) are copied for the child at the fork: the parent keeps
 * them writable (no protect, no copy-on-write fault), the child gets its own
 * copies premapped writable, in one run; a page the parent maps read-only or
 * not at all is shared copy-on-write as before. */
static void test_fork_copies_the_pages_the_parent_maps_writable(void **state)
{
	struct mm *p = mm_new(mf, &premap_plat);
	assert_non_null(p);
	uint64_t a = map_at(p, 0x40000000, 3 * PG, RW, ANON);
	uint64_t b = map_at(p, 0x50000000, PG, RW, ANON | MAP_NORESERVE);
	for (int i = 0; i < 3; i++)
		app_write8(p, mf, a + i * PG, (uint8_t)('a' + i));
	assert_int_equal(mm_copy_out(p, b, "u", 1), 0); /* present, unmapped */
	uint64_t poff = PTE_OFFSET(pt_get(&p->pt, a));
	clear_calls(p);
	struct mm *c = mm_fork(p);
	assert_non_null(c);
	assert_int_equal(AS(p)->ncalls, 0);
	for (int i = 0; i < 3; i++) {
		uint64_t pp = pt_get(&p->pt, a + i * PG), cp = pt_get(&c->pt, a + i * PG);
		assert_false(pp & PTE_COW);
		assert_false(cp & PTE_COW);
		assert_int_not_equal(PTE_OFFSET(pp), PTE_OFFSET(cp));
		assert_int_equal(memfile_refcount(mf, PTE_OFFSET(pp)), 1);
		assert_int_equal(memfile_refcount(mf, PTE_OFFSET(cp)), 1);
		assert_int_equal(host_prot(p, a + i * PG), RW);
		assert_int_equal(host_prot(c, a + i * PG), RW);
	}
	assert_int_equal(PTE_OFFSET(pt_get(&p->pt, a)), poff);
	assert_int_equal(count_calls(c, OP_MAP), 1); /* the three copies in one run */
	/* Present but unmapped in the parent: shared copy-on-write. */
	assert_true(pt_get(&c->pt, b) & PTE_COW);
	assert_int_equal(PTE_OFFSET(pt_get(&c->pt, b)), PTE_OFFSET(pt_get(&p->pt, b)));
	check_consistency(p);
	check_consistency(c);
	/* Each writes its own page without a fault; neither sees the other. */
	int pbefore = AS(p)->ncalls, cbefore = AS(c)->ncalls;
	app_write8(p, mf, a, 'P');
	app_write8(c, mf, a + PG, 'C');
	assert_int_equal(AS(p)->ncalls, pbefore);
	assert_int_equal(AS(c)->ncalls, cbefore);
	assert_int_equal(app_read8(c, mf, a), 'a');
	assert_int_equal(app_read8(p, mf, a + PG), 'b');
	assert_int_equal(app_read8(c, mf, a + 2 * PG), 'c');
	assert_int_equal(app_read8(c, mf, b), 'u');
	check_consistency(p);
	check_consistency(c);
	mm_put(c);
	mm_put(p);
}

/* Nothing is copied ahead for a parent that maps more pages writable than
 * the fork copies at once (MM_FORK_COPY_MAX, 128), nor for one whose mm
 * another thread shares (it could write a page while it is copied): every
 * page is shared copy-on-write and write-protected in the parent. */
static void test_fork_shares_when_too_many_pages_or_another_thread(void **state)
{
	struct mm *p = mm_new(mf, &premap_plat);
	assert_non_null(p);
	uint64_t a = map_at(p, 0x40000000, 200 * PG, RW, ANON);
	for (int i = 0; i < 129; i++)
		app_write8(p, mf, a + (uint64_t)i * PG, 1);
	struct mm *c = mm_fork(p);
	assert_non_null(c);
	for (int i = 0; i < 129; i++) {
		assert_true(pt_get(&c->pt, a + (uint64_t)i * PG) & PTE_COW);
		assert_int_equal(host_prot(p, a + (uint64_t)i * PG), PROT_READ);
	}
	mm_put(c);
	struct mm *q = mm_new(mf, &premap_plat);
	assert_non_null(q);
	uint64_t b = map_at(q, 0x40000000, PG, RW, ANON);
	app_write8(q, mf, b, 'q');
	mm_get(q);
	c = mm_fork(q);
	mm_put(q);
	assert_non_null(c);
	assert_true(pt_get(&c->pt, b) & PTE_COW);
	assert_int_equal(host_prot(q, b), PROT_READ);
	assert_int_equal(host_prot(c, b), PROT_READ);
	check_consistency(q);
	check_consistency(c);
	mm_put(c);
	mm_put(q);
	mm_put(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fork_child_gets_the_parents_mapped_pages_read_only,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_maps_nothing_ahead_without_map_before_entry,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_premap_is_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_a_sentry_write_into_a_premapped_child_page_maps_the_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_copies_the_pages_the_parent_maps_writable,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_shares_when_too_many_pages_or_another_thread,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
