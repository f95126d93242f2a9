/* Unit tests for sentry/syscalls/sys_pkey.c: no protection key is handed
 * out, and the argument errors come first. */
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sentry/tests/harness.h"

static int64_t call(struct task *t, long nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return fx_call(sys_pkey_defs, t, nr, a0, a1, a2, a3, 0, 0);
}

static void test_pkey_alloc_has_no_key_to_give(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(call(fx->t, SYS_pkey_alloc, 1, 0, 0, 0), -EINVAL);
	assert_int_equal(call(fx->t, SYS_pkey_alloc, 0, 4, 0, 0), -EINVAL);
	assert_int_equal(call(fx->t, SYS_pkey_alloc, 0, 0, 0, 0), -ENOSPC);
	assert_int_equal(call(fx->t, SYS_pkey_alloc, 0, 3, 0, 0), -ENOSPC);
	assert_int_equal(call(fx->t, SYS_pkey_free, 0, 0, 0, 0), -EINVAL);
}

static void test_pkey_mprotect_checks_then_refuses_keys(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(call(fx->t, SYS_pkey_mprotect, 0x10001, 4096, PROT_READ, 5), -EINVAL);
	assert_int_equal(call(fx->t, SYS_pkey_mprotect, 0x10000, 0, PROT_READ, 5), 0);
	assert_int_equal(call(fx->t, SYS_pkey_mprotect, 0x10000, (uint64_t)-4096, PROT_READ, 5),
			 -ENOMEM);
	assert_int_equal(call(fx->t, SYS_pkey_mprotect, 0x10000, 4096, PROT_READ, 5), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pkey_alloc_has_no_key_to_give, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_pkey_mprotect_checks_then_refuses_keys,
						fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
