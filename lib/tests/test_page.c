/* Unit tests for lib/page.h. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdint.h>
#include <unistd.h>

/* glibc's definitions first, ours after: the identical redefinition must be
 * accepted in this order too (mm.h and the platform include them the other
 * way round), or this file does not compile under -Werror. */
#include <sys/user.h>

#include "lib/page.h"

_Static_assert(sizeof(PAGE_SIZE) == sizeof(uint64_t), "page arithmetic is 64-bit");

static void test_page_size_is_the_hosts(void **state)
{
	/* The platforms map host memory in these units: they must be the
	 * host's, not just the number apps are told. */
	assert_int_equal(PAGE_SIZE, (uint64_t)sysconf(_SC_PAGESIZE));
	assert_int_equal(1UL << PAGE_SHIFT, PAGE_SIZE);
}

static void test_round_down_and_up_at_page_edges(void **state)
{
	assert_int_equal(PAGE_ROUND_DOWN(0UL), 0);
	assert_int_equal(PAGE_ROUND_DOWN(4095UL), 0);
	assert_int_equal(PAGE_ROUND_DOWN(4096UL), 4096);
	assert_int_equal(PAGE_ROUND_DOWN(0x7fffffffefffUL), 0x7fffffffe000UL);
	assert_int_equal(PAGE_ROUND_UP(0UL), 0);
	assert_int_equal(PAGE_ROUND_UP(1UL), 4096);
	assert_int_equal(PAGE_ROUND_UP(4096UL), 4096);
	assert_int_equal(PAGE_ROUND_UP(4097UL), 8192);
	/* A 32-bit operand is widened, not truncated by the mask. */
	uint32_t small = 0xfffff001u;
	assert_int_equal(PAGE_ROUND_UP(small), 0x100000000UL);
}

static void test_round_up_wraps_to_zero_in_the_last_page(void **state)
{
	/* What mm relies on to refuse huge lengths (see page.h). */
	assert_int_equal(PAGE_ROUND_UP(UINT64_MAX), 0);
	assert_int_equal(PAGE_ROUND_UP(UINT64_MAX - 4094), 0);
	assert_int_equal(PAGE_ROUND_UP(UINT64_MAX - 4095), UINT64_MAX - 4095);
}

static void test_offset_in_page_and_alignment(void **state)
{
	assert_int_equal(OFFSET_IN_PAGE(0x401234UL), 0x234);
	assert_int_equal(OFFSET_IN_PAGE(0x400000UL), 0);
	assert_true(PAGE_ALIGNED(0UL));
	assert_true(PAGE_ALIGNED(0x7ffffff00000UL));
	assert_false(PAGE_ALIGNED(0x7ffffff00001UL));
	assert_false(PAGE_ALIGNED(2048UL));
}

/* Around each of a few page boundaries, every x lies between its page's
 * start and the next boundary, and the helpers agree with each other. */
static void test_helpers_agree_around_boundaries(void **state)
{
	static const uint64_t boundaries[] = {PAGE_SIZE, 16 * PAGE_SIZE, 0x7ffffff00000UL,
					      1UL << 47};
	for (size_t b = 0; b < sizeof(boundaries) / sizeof(boundaries[0]); b++) {
		for (uint64_t x = boundaries[b] - 2 * PAGE_SIZE; x < boundaries[b] + 2 * PAGE_SIZE;
		     x += 511) {
			uint64_t down = PAGE_ROUND_DOWN(x), up = PAGE_ROUND_UP(x);
			assert_true(PAGE_ALIGNED(down) && PAGE_ALIGNED(up));
			assert_true(down <= x && x <= up);
			assert_int_equal(x - down, OFFSET_IN_PAGE(x));
			assert_int_equal(up - down, PAGE_ALIGNED(x) ? 0 : PAGE_SIZE);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_page_size_is_the_hosts),
	    cmocka_unit_test(test_round_down_and_up_at_page_edges),
	    cmocka_unit_test(test_round_up_wraps_to_zero_in_the_last_page),
	    cmocka_unit_test(test_offset_in_page_and_alignment),
	    cmocka_unit_test(test_helpers_agree_around_boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
