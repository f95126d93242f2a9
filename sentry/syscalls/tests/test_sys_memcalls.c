/* Unit tests for sentry/syscalls/sys_memcalls.c and sentry/mm/mincore.c:
 * mincore's range rules, membarrier's registrations, one-node NUMA policies. */
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "sentry/tests/harness.h"

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4, uint64_t a5)
{
	return fx_call(sys_memcalls_defs, t, nr, a0, a1, a2, a3, a4, a5);
}

static void test_mincore(void **state)
{
	struct kfx_state *s = *state;
	uint64_t base = s->fx->base;
	put32(s->fx, base, 1); /* page 0 present */
	uint64_t vec = base + 8;
	assert_int_equal(sc(&s->t, SYS_mincore, base, PAGE_SIZE, vec, 0, 0, 0), 0);
	uint8_t v = 0;
	assert_int_equal(mm_copy_in(s->fx->mm, &v, vec, 1), 0);
	assert_int_equal(v, 1);
	assert_int_equal(sc(&s->t, SYS_mincore, base + 1, PAGE_SIZE, vec, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_mincore, base, 0, vec, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_mincore, base, PAGE_SIZE, 8, 0, 0, 0), -EFAULT);
	/* Past the fixture's mapping: a hole. */
	assert_int_equal(sc(&s->t, SYS_mincore, base, FX_MEM + PAGE_SIZE, vec, 0, 0, 0), -ENOMEM);
	assert_int_equal(sc(&s->t, SYS_mincore, 0x7ffffffff000ULL, 2 * PAGE_SIZE, vec, 0, 0, 0),
			 -ENOMEM);
}

static void test_membarrier_registrations(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	assert_int_equal(sc(t, SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0, 0, 0, 0), 1023);
	assert_int_equal(sc(t, SYS_membarrier, MEMBARRIER_CMD_QUERY, 1, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0, 0, 0, 0),
			 -EPERM);
	assert_int_equal(
	    sc(t, SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0, 0, 0, 0, 0),
	    0);
	/* The sync-core registration shows the plain private one too, but does
	 * not make plain private barriers ready. */
	assert_int_equal(sc(t, SYS_membarrier, 512, 0, 0, 0, 0, 0),
			 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |
			     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE);
	assert_int_equal(sc(t, SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0, 0, 0, 0),
			 -EPERM);
	assert_int_equal(sc(t, SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 2, 0, 0, 0, 0),
			 -EINVAL);
	assert_int_equal(sc(t, SYS_membarrier, 1 << 20, 0, 0, 0, 0, 0), -EINVAL);
}

static void test_mempolicy_one_node(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	uint64_t m = s->fx->base, pol = s->fx->base + 64;
	put32(s->fx, m, 1);
	put32(s->fx, m + 4, 0);
	assert_int_equal(sc(t, SYS_set_mempolicy, 2 /* BIND */, m, 64, 0, 0, 0), 0);
	assert_int_equal(t->mempolicy_mode, 2);
	put32(s->fx, m, 2); /* node 1 does not exist */
	assert_int_equal(sc(t, SYS_set_mempolicy, 2, m, 64, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_set_mempolicy, 0, m, 64, 0, 0, 0), -EINVAL);
	/* A node bit past maxnode - 1 is ignored: bit 1 with maxnode 2. */
	assert_int_equal(sc(t, SYS_set_mempolicy, 0, m, 2, 0, 0, 0), 0);
	assert_int_equal(sc(t, SYS_set_mempolicy, 1 /* PREFERRED */, 0, 0, 0, 0, 0), 0);
	assert_int_equal(t->mempolicy_mode, 4 /* LOCAL */);
	assert_int_equal(sc(t, SYS_get_mempolicy, pol, 0, 0, 0, 0, 0), 0);
	assert_int_equal(get32(s->fx, pol), 4);
	assert_int_equal(sc(t, SYS_get_mempolicy, pol, 0, 0, 0, 1 /* F_NODE */, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_get_mempolicy, pol, m, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(t, SYS_get_mempolicy, pol, m, 65, 0, 4, 0), 0);
	assert_int_equal(get32(s->fx, m), 1);
	assert_int_equal(sc(t, SYS_mbind, s->fx->base, PAGE_SIZE, 2, m, 64, 0), 0);
	assert_int_equal(sc(t, SYS_mbind, s->fx->base, FX_MEM + PAGE_SIZE, 2, m, 64, 0), -EFAULT);
	/* MPOL_MF_MOVE_ALL is for CAP_SYS_NICE: root has it here. */
	assert_int_equal(sc(t, SYS_mbind, s->fx->base, PAGE_SIZE, 2, m, 64, 4), 0);
	assert_int_equal(sc(t, SYS_mbind, s->fx->base, PAGE_SIZE, 2, m, 64, 8), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mincore, kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_membarrier_registrations, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_mempolicy_one_node, kfx_setup, kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
