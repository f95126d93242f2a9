/* Unit tests for reading a signal frame back at rt_sigreturn
 * (sentry/kernel/sigframe.c), from a real mm over the harness's fake
 * platform: what a frame restores, what it may not change, and frames that
 * are bad (found by fuzz_sigreturn). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/kernel/sigframe.h"
#include "sentry/tests/harness.h"

#define BUF 0x10000000ULL
#define FRAME (BUF + 0x1000)
#define FPSTATE (BUF + 0x4000)

struct env {
	struct memfile *mf;
	struct mm *mm;
	struct platform plat;
	plat_fpregs_t *fp;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (memfile_new(16ULL << 20, &e->mf) < 0)
		return -1;
	e->plat = fake_plat;
	e->plat.xstate_size = 832;
	e->plat.xstate_features = 0x7;
	e->plat.mxcsr_mask = 0xffff;
	e->mm = mm_new(e->mf, &e->plat);
	e->fp = malloc(sizeof(*e->fp));
	*state = e;
	if (!e->mm || !e->fp)
		return -1;
	return mm_mmap(e->mm, BUF, 0x10000, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0) == (int64_t)BUF ? 0 : -1;
}

static int teardown(void **state)
{
	struct env *e = *state;
	mm_put(e->mm);
	assert_int_equal(memfile_used(e->mf), 0);
	memfile_free(e->mf);
	free(e->fp);
	free(e);
	return 0;
}

static void put_frame(struct env *e, uint64_t fpstate, uint64_t eflags)
{
	struct k_rt_sigframe f;
	memset(&f, 0, sizeof(f));
	f.uc.uc_sigmask = 1ULL << 9;
	f.uc.uc_stack.ss_sp = 0x7000;
	f.uc.uc_stack.ss_size = 8192;
	f.uc.uc_mcontext.rip = 0x401000;
	f.uc.uc_mcontext.rsp = 0x7ffe0000;
	f.uc.uc_mcontext.rax = 42;
	f.uc.uc_mcontext.eflags = eflags;
	f.uc.uc_mcontext.cs = 0x10; /* a kernel segment: never restored */
	f.uc.uc_mcontext.fpstate = fpstate;
	assert_int_equal(mm_copy_out(e->mm, FRAME, &f, sizeof(f)), 0);
}

static void put_xsave(struct env *e, uint32_t size, uint64_t xstate_bv)
{
	uint8_t *a = calloc(1, size + 4);
	uint32_t mxcsr = 0x1f80;
	memcpy(a + 24, &mxcsr, 4);
	struct fpx_sw_bytes sw = {.magic1 = FP_XSTATE_MAGIC1, .extended_size = size + 4,
				  .xfeatures = 0x7, .xstate_size = size};
	memcpy(a + FP_SW_BYTES_OFFSET, &sw, sizeof(sw));
	memcpy(a + PLAT_XSTATE_HEADER, &xstate_bv, 8);
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	memcpy(a + size, &magic2, 4);
	assert_int_equal(mm_copy_out(e->mm, FPSTATE, a, size + 4), 0);
	free(a);
}

static void test_frame_restores_registers_mask_and_stack(void **state)
{
	struct env *e = *state;
	put_frame(e, FPSTATE, ~0ULL);
	put_xsave(e, 832, 0x7);
	plat_regs_t r;
	memset(&r, 0, sizeof(r));
	r.cs = 0x33;
	r.eflags = 0x202;
	uint64_t mask = 0;
	stack_t ss;
	assert_int_equal(sigframe_restore(e->mm, &e->plat, FRAME, &r, e->fp, &mask, &ss),
			 SIGFRAME_OK);
	assert_int_equal(r.rip, 0x401000);
	assert_int_equal(r.rsp, 0x7ffe0000);
	assert_int_equal(r.rax, 42);
	assert_int_equal(r.orig_rax, (uint64_t)-1);
	assert_int_equal(r.cs, 0x33);
	/* Only FIX_EFLAGS come from the frame: IF (0x200) stays, IOPL does not come. */
	assert_int_equal(r.eflags, 0x202 | SIGFRAME_FIX_EFLAGS);
	assert_int_equal(mask, 1ULL << 9);
	assert_int_equal((uint64_t)(uintptr_t)ss.ss_sp, 0x7000);
	assert_int_equal(ss.ss_size, 8192);
}

static void test_unreadable_frame_changes_nothing(void **state)
{
	struct env *e = *state;
	plat_regs_t r, before;
	memset(&before, 0x5a, sizeof(before));
	r = before;
	uint64_t mask = 5;
	stack_t ss;
	/* The frame runs off the end of the mapping. */
	assert_int_equal(sigframe_restore(e->mm, &e->plat, BUF + 0x10000 - 100, &r, e->fp, &mask,
					  &ss),
			 SIGFRAME_UNREADABLE);
	assert_memory_equal(&r, &before, sizeof(r));
	assert_int_equal(mask, 5);
}

static void test_xstate_bv_outside_xcr0_is_bad(void **state)
{
	struct env *e = *state;
	put_frame(e, FPSTATE, 0);
	put_xsave(e, 832, 0x7 | (1ULL << 9));
	plat_regs_t r = {0};
	uint64_t mask;
	stack_t ss;
	assert_int_equal(sigframe_restore(e->mm, &e->plat, FRAME, &r, e->fp, &mask, &ss),
			 SIGFRAME_BAD_FPSTATE);
	/* The FPU comes back in its init state. */
	assert_int_equal(e->fp->fx.mxcsr, 0x1f80);
	assert_int_equal(e->fp->fx.cwd, 0x37f);
}

/* fuzz_sigreturn: a platform whose XSAVE area is PLAT_XSTATE_MAX bytes had
 * its MAGIC2 read (and, in setup_frame, written) 4 bytes past the
 * plat_fpregs_t.  platform.c no longer makes such a platform, and a frame's
 * FPU state cannot be restored on one. */
static void test_xsave_area_without_room_for_magic2_is_refused(void **state)
{
	struct env *e = *state;
	e->plat.xstate_size = PLAT_XSTATE_MAX;
	assert_int_equal(mm_mmap(e->mm, BUF + 0x10000, 0x10000, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
			 (int64_t)(BUF + 0x10000));
	put_frame(e, FPSTATE, 0);
	put_xsave(e, PLAT_XSTATE_MAX, 0x3);
	plat_regs_t r = {0};
	uint64_t mask;
	stack_t ss;
	assert_int_equal(sigframe_restore(e->mm, &e->plat, FRAME, &r, e->fp, &mask, &ss),
			 SIGFRAME_BAD_FPSTATE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_frame_restores_registers_mask_and_stack,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_frame_changes_nothing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xstate_bv_outside_xcr0_is_bad, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xsave_area_without_room_for_magic2_is_refused,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
