/*
 * syscall_patch.c — which syscall sites the Sentry patches (see
 * platform/systrap/patch.c for what a patched site does).
 *
 * A site is the 7 bytes before the rip of a syscall trap: `mov $nr,%eax;
 * syscall` (b8 imm32 0f 05) with imm32 the syscall's number.  The platform
 * gives the 5 bytes that replace the mov (a call within reach of its entry
 * table); mm_patch_text writes them, in a private read-only executable
 * mapping only, atomically, never across a page.  A site is tried once per
 * address space: a small cache remembers the (mm, site) pairs tried, so a
 * site that cannot be patched costs one look-up per call, not a walk of
 * the mm.  Left out:
 *   - syscalls whose stack may be no stack to push on (exit, exit_group:
 *     Go's exitThread runs with a stack it gave back), or that work on the
 *     stack below them (rt_sigreturn, sigaltstack, vfork);
 *   - a task single-stepping (TF): the call would trap inside the table.
 * The patched call pushes its return address, and the trampoline four more
 * words, below the app's stack pointer, inside the red zone: glibc 2.36's
 * syscall sites keep nothing there (only __longjmp_chk, whose sigaltstack is
 * left out above, uses its red zone).
 */
#include "sentry/kernel/syscall_patch.h"

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "platform/platform.h"

#include <errno.h>
#include <stdatomic.h>
#include <sys/syscall.h>

#define SP_CACHE 1024 /* a power of two */

/* (mm, site) pairs tried: a hash of both, 0 empty.  Racy by design: a lost
 * or overwritten entry only means one more try. */
static _Atomic uint64_t sp_tried[SP_CACHE];

bool syscall_patch_nr_ok(uint32_t nr)
{
	switch (nr) {
	case SYS_rt_sigreturn:
	case SYS_sigaltstack:
	case SYS_vfork:
	case SYS_exit:
	case SYS_exit_group:
		return false;
	default:
		return nr < 512;
	}
}

static uint64_t sp_key(const struct mm *mm, uint64_t site)
{
	uint64_t k = site * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)mm;
	k ^= k >> 29;
	return k ? k : 1;
}

void syscall_patch_maybe(struct task *t)
{
	struct platform *plat = t->k->plat;
	if (!plat->ops->as_patch_syscall || !t->mm)
		return;
	uint64_t nr = t->regs.orig_rax, rip = t->regs.rip;
	if (nr > UINT32_MAX || !syscall_patch_nr_ok((uint32_t)nr) || rip < 7 ||
	    (t->regs.eflags & 0x100 /* TF */))
		return;
	uint64_t site = rip - 7, key = sp_key(t->mm, site);
	_Atomic uint64_t *slot = &sp_tried[key & (SP_CACHE - 1)];
	if (atomic_load_explicit(slot, memory_order_relaxed) == key)
		return;
	atomic_store_explicit(slot, key, memory_order_relaxed);
	struct addr_space *as = mm_addr_space(t->mm);
	uint8_t call[5];
	const uint8_t mov_nr[7] = {0xb8,	     (uint8_t)nr, (uint8_t)(nr >> 8), (uint8_t)(nr >> 16),
				   (uint8_t)(nr >> 24), 0x0f,	     0x05};
	int r = plat->ops->as_patch_syscall(as, site, (uint32_t)nr, call);
	if (r == 0)
		r = mm_patch_text(t->mm, site, mov_nr, sizeof(mov_nr), call, sizeof(call));
	if (r != -EAGAIN)
		return;
	/* glibc's syscall(): the number came in a register. */
	static const uint8_t syscall_fn[7] = {0x4c, 0x8b, 0x4c, 0x24, 0x08, 0x0f, 0x05};
	r = plat->ops->as_patch_syscall(as, site, PLAT_PATCH_SYSCALL_FN, call);
	if (r == 0)
		r = mm_patch_text(t->mm, site, syscall_fn, sizeof(syscall_fn), call, sizeof(call));
}
