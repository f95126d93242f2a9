/* Unit tests for lib/memtrim.h. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/memtrim.h"

static void test_idle_due_only_after_a_quiet_period(void **state)
{
	struct memtrim_idle st = {0};
	/* The first sample has no period before it. */
	assert_false(memtrim_idle_due(&st, 1000));
	/* A busy period: no trim. */
	assert_false(memtrim_idle_due(&st, 1000 + MEMTRIM_IDLE_EVENTS + 1));
	/* A quiet one (up to the limit): trim, once. */
	uint64_t n = 1000 + MEMTRIM_IDLE_EVENTS + 1 + MEMTRIM_IDLE_EVENTS;
	assert_true(memtrim_idle_due(&st, n));
	assert_false(memtrim_idle_due(&st, n));
	assert_false(memtrim_idle_due(&st, n + 3));
}

static void test_idle_due_again_after_the_app_was_busy(void **state)
{
	struct memtrim_idle st = {0};
	assert_false(memtrim_idle_due(&st, 0));
	assert_true(memtrim_idle_due(&st, 0));
	assert_false(memtrim_idle_due(&st, 5000)); /* busy */
	assert_false(memtrim_idle_due(&st, 9000)); /* busy */
	assert_true(memtrim_idle_due(&st, 9000));  /* quiet again */
	assert_false(memtrim_idle_due(&st, 9001));
}

/* Read-only data of the test program, 256 KiB of it (not zero, so it lies
 * in the file's read-only segment, not in .bss). */
#define BIG (256 * 1024)
static const unsigned char big[BIG] = {1, 2, 3};

/* kB resident in the mapping that holds addr, from smaps. */
static long mapping_rss_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	assert_non_null(f);
	char line[1024];
	long kb = -1;
	bool in = false;
	while (fgets(line, sizeof(line), f)) {
		unsigned long a, b;
		/* A mapping's first line: "start-end perms ..." (no field
		 * line parses so: "AnonHugePages:" stops at 'n'). */
		if (sscanf(line, "%lx-%lx ", &a, &b) == 2) {
			in = a <= (uintptr_t)addr && (uintptr_t)addr < b;
			continue;
		}
		long v;
		if (in && sscanf(line, "Rss: %ld kB", &v) == 1) {
			kb = v;
			in = false;
		}
	}
	fclose(f);
	return kb;
}

static int twice(int x) { return 2 * x; }

static void test_trim_drops_program_pages_and_code_still_runs(void **state)
{
	unsigned sum = 0;
	for (size_t i = 0; i < BIG; i += 4096)
		sum += *(volatile const unsigned char *)&big[i];
	assert_int_equal(sum, 1);
	long before = mapping_rss_kb(big);
	size_t advised = memtrim_now();
	long after = mapping_rss_kb(big);
	print_message("read-only data Rss %ld -> %ld kB (%zu bytes advised)\n", before, after,
		      advised);
	assert_true(advised >= BIG);
	assert_true(before >= BIG / 1024);
	/* What reading smaps touched faults back (64 KiB around a fault). */
	assert_true(after <= before - BIG / 1024 / 2);
	/* The code and the data fault back from the file, unchanged. */
	int (*volatile fn)(int) = twice;
	assert_int_equal(fn(21), 42);
	assert_int_equal(big[0] + big[1] + big[2] + big[BIG - 1], 6);
}

static void test_pages_are_zeroed_and_dropped_contents_read_as_zero(void **state)
{
	size_t n = 100 * 1024 + 1;
	unsigned char *p = memtrim_alloc_pages(n);
	assert_non_null(p);
	for (size_t i = 0; i < n; i += 4096)
		assert_int_equal(p[i], 0);
	memset(p, 0xab, n);
	memtrim_drop_pages(p, n);
	for (size_t i = 0; i < n; i += 512)
		assert_int_equal(p[i], 0);
	assert_int_equal(p[n - 1], 0);
	memtrim_free_pages(p, n);
	assert_null(memtrim_alloc_pages(0));
	memtrim_free_pages(NULL, 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idle_due_only_after_a_quiet_period),
	    cmocka_unit_test(test_idle_due_again_after_the_app_was_busy),
	    cmocka_unit_test(test_trim_drops_program_pages_and_code_still_runs),
	    cmocka_unit_test(test_pages_are_zeroed_and_dropped_contents_read_as_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
