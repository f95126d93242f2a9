/* Unit tests for sentry/kernel/syscall_table.c: registration, dispatch, the
 * count of unsupported numbers, the count of every dispatch and syscall
 * names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "sentry/kernel/syscall_table.h"

static int64_t fake_getpid(struct task *t, const uint64_t a[6])
{
	return 42;
}

static int64_t fake_add(struct task *t, const uint64_t a[6])
{
	return (int64_t)(a[0] + a[5]);
}

static int64_t fake_getpid_again(struct task *t, const uint64_t a[6])
{
	return 43;
}

static const struct syscall_def family_a[] = {
	{SYS_getpid, "getpid", fake_getpid},
	{SYSCALL_MAX + 3, "out_of_range", fake_getpid}, /* ignored, not a crash */
	{0},
};

static const struct syscall_def family_b[] = {
	{SYS_write, "write", fake_add},
	{0},
};

static uint64_t unsupported_count(int nr)
{
	int nrs[SYSCALL_MAX];
	uint64_t counts[SYSCALL_MAX];
	int n = syscall_unsupported(nrs, counts, SYSCALL_MAX);
	for (int i = 0; i < n; i++)
		if (nrs[i] == nr)
			return counts[i];
	return 0;
}

static void test_registered_families_are_dispatched(void **st)
{
	const uint64_t a[6] = {5, 0, 0, 0, 0, 7};
	syscall_table_register(family_a);
	syscall_table_register(family_b);
	assert_int_equal(syscall_dispatch(NULL, SYS_getpid, a), 42);
	assert_int_equal(syscall_dispatch(NULL, SYS_write, a), 12);
	/* A later registration of the same number replaces the handler. */
	const struct syscall_def again[] = {{SYS_getpid, "getpid", fake_getpid_again}, {0}};
	syscall_table_register(again);
	assert_int_equal(syscall_dispatch(NULL, SYS_getpid, a), 43);
	assert_int_equal(unsupported_count(SYS_getpid), 0);
}

static void test_unregistered_number_is_enosys_and_counted(void **st)
{
	const uint64_t a[6] = {0};
	assert_int_equal(unsupported_count(SYS_io_uring_setup), 0);
	assert_int_equal(syscall_dispatch(NULL, SYS_io_uring_setup, a), -ENOSYS);
	assert_int_equal(syscall_dispatch(NULL, SYS_io_uring_setup, a), -ENOSYS);
	assert_int_equal(unsupported_count(SYS_io_uring_setup), 2);
	/* Out of the table's range: ENOSYS, and not listed by number. */
	assert_int_equal(syscall_dispatch(NULL, -1, a), -ENOSYS);
	assert_int_equal(syscall_dispatch(NULL, SYSCALL_MAX + 3, a), -ENOSYS);
	int nrs[4];
	uint64_t counts[4];
	assert_int_equal(syscall_unsupported(nrs, counts, 0), 0);
}

static int sockopts_seen(void)
{
	int levels[64], names[64];
	uint64_t counts[64];
	return syscall_unsupported_sockopts(levels, names, counts, 64);
}

static void test_unsupported_socket_options_are_counted_per_level_and_name(void **st)
{
	assert_int_equal(syscall_unsupported_sockopt_count(1, 50), 0);
	assert_int_equal(sockopts_seen(), 0);
	syscall_count_unsupported_sockopt(1, 50);
	syscall_count_unsupported_sockopt(1, 50);
	syscall_count_unsupported_sockopt(6, 50);
	syscall_count_unsupported_sockopt(-1, 0x7fffffff);
	assert_int_equal(syscall_unsupported_sockopt_count(1, 50), 2);
	assert_int_equal(syscall_unsupported_sockopt_count(6, 50), 1);
	assert_int_equal(syscall_unsupported_sockopt_count(-1, 0x7fffffff), 1);
	assert_int_equal(sockopts_seen(), 3);
	/* More distinct options than slots: counted as overflow, never a crash. */
	for (int i = 0; i < 100; i++)
		syscall_count_unsupported_sockopt(1000, i);
	assert_int_equal(syscall_unsupported_sockopt_count(1, 50), 2);
	assert_int_equal(sockopts_seen(), 64);
}

/* Every dispatch is counted, supported or not, in or out of the table's
 * range; the most called come first, at most as many as asked for. */
static void test_dispatches_are_counted_most_called_first(void **st)
{
	const uint64_t a[6] = {0};
	int nrs[3];
	uint64_t counts[3], before, after;
	syscall_table_register(family_a);
	syscall_most_called(nrs, counts, 0, &before);
	for (int i = 0; i < 1000; i++)
		syscall_dispatch(NULL, SYS_getpid, a);
	for (int i = 0; i < 700; i++)
		syscall_dispatch(NULL, SYS_io_uring_enter, a); /* ENOSYS, counted too */
	syscall_dispatch(NULL, -5, a);
	assert_int_equal(syscall_most_called(nrs, counts, 0, &after), 0);
	assert_int_equal(after - before, 1701);
	/* Earlier tests dispatched a few calls each: these two lead. */
	assert_int_equal(syscall_most_called(nrs, counts, 3, NULL), 3);
	assert_int_equal(nrs[0], SYS_getpid);
	assert_true(counts[0] >= 1000);
	assert_int_equal(nrs[1], SYS_io_uring_enter);
	assert_int_equal(counts[1], 700);
	assert_true(counts[2] <= counts[1] && counts[2] > 0);
	assert_int_equal(syscall_most_called(nrs, counts, 1, NULL), 1);
	assert_int_equal(nrs[0], SYS_getpid);
}

static void test_syscall_names(void **st)
{
	assert_string_equal(syscall_name(SYS_read), "read");
	assert_string_equal(syscall_name(SYS_rt_sigaction), "rt_sigaction");
	assert_string_equal(syscall_name(SYS_clone3), "clone3");
	assert_string_equal(syscall_name(400), "syscall_400");
	assert_string_equal(syscall_name(-2), "syscall_-2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registered_families_are_dispatched),
		cmocka_unit_test(test_unregistered_number_is_enosys_and_counted),
		cmocka_unit_test(test_unsupported_socket_options_are_counted_per_level_and_name),
		cmocka_unit_test(test_dispatches_are_counted_most_called_first),
		cmocka_unit_test(test_syscall_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
