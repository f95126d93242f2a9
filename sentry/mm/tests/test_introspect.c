/* Unit tests for sentry/mm/introspect.c: the faults each VMA served, the
 * histogram the debug log shows when an mm goes. */
#include <string.h>

#include "sentry/mm/tests/mm_test_util.h"

static struct memfile *mf;

static int setup(void **state)
{
	fake_releases = 0;
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

/* Each fault counts in its VMA; the most faulted VMA comes first, named and
 * with its prot and range; a split leaves the count with the first part,
 * a fork's child starts from none. */
static void test_fault_histogram_counts_faults_per_vma(void **state)
{
	struct mm *mm = mm_new(mf, &fake_plat);
	assert_non_null(mm);
	/* 64 pages: four 16-page fault-around windows, one fault each
	 * (touched downward: upward, the windows would grow). */
	assert_int_equal(mm_mmap(mm, 0x40000000, 64 * PG, RW, ANON, NULL, 0), 0x40000000);
	assert_int_equal(mm_mmap(mm, 0x50000000, 32 * PG, PROT_READ, ANON, NULL, 0), 0x50000000);
	for (uint64_t w = 4; w-- > 0;)
		app_write8(mm, mf, 0x40000000 + w * 16 * PG, 1);
	for (uint64_t w = 2; w-- > 0;)
		assert_int_equal(app_read8(mm, mf, 0x50000000 + w * 16 * PG), 0);
	char buf[512];
	assert_int_equal(mm_fault_histogram(mm, buf, sizeof(buf)), 6);
	assert_string_equal(buf, "4 [anon] rw-p 40000000-40040000, 2 [anon] r--p 50000000-50020000");
	/* A fault outside any VMA counts nowhere. */
	int code;
	assert_int_equal(mm_handle_fault(mm, 0x60000000, &code), -EFAULT);
	assert_int_equal(mm_fault_histogram(mm, buf, sizeof(buf)), 6);
	/* Split: the count stays with the first part. */
	assert_int_equal(mm_mprotect(mm, 0x40020000, 32 * PG, PROT_READ), 0);
	assert_int_equal(mm_fault_histogram(mm, buf, sizeof(buf)), 6);
	assert_true(strncmp(buf, "4 [anon] rw-p 40000000-40020000", 31) == 0);
	struct mm *c = mm_fork(mm);
	assert_non_null(c);
	assert_int_equal(mm_fault_histogram(c, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* A short buffer is cut, never overrun. */
	char small[8];
	assert_int_equal(mm_fault_histogram(mm, small, sizeof(small)), 6);
	assert_int_equal(strlen(small), 7);
	mm_put(c);
	mm_put(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fault_histogram_counts_faults_per_vma, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
