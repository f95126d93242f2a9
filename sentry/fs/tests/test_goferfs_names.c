/* Unit tests for sentry/fs/goferfs_names.c: the names made in a fresh
 * directory, exact as a list, then as a filter that never forgets a name. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>

#include "sentry/fs/goferfs_names.h"

static void name_of(char *buf, size_t size, const char *prefix, int i)
{
	snprintf(buf, size, "%s%d.o", prefix, i);
}

static void test_a_short_list_is_exact(void **state)
{
	struct gofer_names s = {0};
	assert_false(gofer_names_may_hold(&s, "a"));
	assert_true(gofer_names_add(&s, "a"));
	assert_true(gofer_names_add(&s, "bb"));
	assert_true(gofer_names_may_hold(&s, "a"));
	assert_true(gofer_names_may_hold(&s, "bb"));
	assert_false(gofer_names_may_hold(&s, "b"));
	assert_false(gofer_names_may_hold(&s, "ab"));
	assert_null(s.bloom);
	gofer_names_clear(&s);
	assert_false(gofer_names_may_hold(&s, "a"));
	assert_int_equal(s.n, 0);
}

/* Thousands of names: every one added is still held, few of those never
 * added seem to be, and past 4096 the set says it is full. */
static void test_a_filter_holds_every_name_it_was_given(void **state)
{
	struct gofer_names s = {0};
	char n[32];
	for (int i = 0; i < 4096; i++) {
		name_of(n, sizeof(n), "obj", i);
		assert_true(gofer_names_add(&s, n));
	}
	assert_non_null(s.bloom);
	assert_null(s.list);
	for (int i = 0; i < 4096; i++) {
		name_of(n, sizeof(n), "obj", i);
		assert_true(gofer_names_may_hold(&s, n));
	}
	int seem = 0;
	for (int i = 0; i < 10000; i++) {
		name_of(n, sizeof(n), "other", i);
		seem += gofer_names_may_hold(&s, n);
	}
	assert_true(seem < 100); /* 0.24% expected */
	assert_false(gofer_names_add(&s, "one-too-many"));
	gofer_names_clear(&s);
	assert_null(s.bloom);
	assert_false(gofer_names_may_hold(&s, "obj1.o"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_short_list_is_exact),
	    cmocka_unit_test(test_a_filter_holds_every_name_it_was_given),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
