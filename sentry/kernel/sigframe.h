/*
 * sigframe.h — the x86_64 rt_sigframe as Linux lays it out in app memory,
 * and reading one back for rt_sigreturn (sigframe.c).
 *
 * signal.c builds frames (setup_frame) and applies what a frame restores to
 * a task; this part only decodes untrusted app memory through an mm, so it
 * needs no task and is fuzzed alone (sentry/kernel/fuzz/fuzz_sigreturn.c).
 */
#ifndef VISOR_SENTRY_KERNEL_SIGFRAME_H
#define VISOR_SENTRY_KERNEL_SIGFRAME_H

#include <signal.h>
#include <stdint.h>

#include "platform/platform.h"
#include "sentry/mm/mm.h"

struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
};

struct k_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct k_stack uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct k_rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	siginfo_t info;
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(struct k_ucontext) == 304, "ucontext layout");
_Static_assert(sizeof(siginfo_t) == 128, "siginfo layout");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* The FPU part of a frame, as Linux lays out an XSAVE signal frame: the
 * XSAVE area with these "software reserved" bytes in the FXSAVE area's
 * unused tail telling its size and features, and FP_XSTATE_MAGIC2 after the
 * area; without XSAVE the FXSAVE area alone. */
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define FP_SW_BYTES_OFFSET 464
struct fpx_sw_bytes {
	uint32_t magic1;
	uint32_t extended_size; /* the area and MAGIC2 */
	uint64_t xfeatures;
	uint32_t xstate_size;
	uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "_fpx_sw_bytes layout");
#define XFEATURE_MASK_FPSSE 0x3ULL

/* The FPU state's size in a frame: the XSAVE area and, with XSAVE, MAGIC2. */
static inline uint32_t sigframe_fp_size(const struct platform *plat)
{
	return plat->xstate_size + (plat->xstate_features ? 4 : 0);
}

/* The flags an app may change through sigreturn (Linux's FIX_EFLAGS: AC OF
 * DF TF SF ZF AF PF CF and RF). */
#define SIGFRAME_FIX_EFLAGS 0x50DD5ULL

enum sigframe_result {
	SIGFRAME_OK = 0,
	SIGFRAME_BAD_FPSTATE = 1, /* registers and mask read; the FPU state is bad */
	SIGFRAME_UNREADABLE = 2,  /* the frame cannot be read: nothing written */
};

/* Read the rt_sigframe at `frame` (rsp - 8 at rt_sigreturn) from mm, as
 * Linux's rt_sigreturn: the general registers into *r (eflags only within
 * SIGFRAME_FIX_EFLAGS, orig_rax -1, segment registers untouched), the FPU
 * state into *fp (its init state when the frame has none or a bad one), the
 * signal mask into *mask and the saved alternate stack into *ss.  Returns a
 * sigframe_result; the caller turns a bad frame into SIGSEGV. */
int sigframe_restore(struct mm *mm, const struct platform *plat, uint64_t frame, plat_regs_t *r,
		     plat_fpregs_t *fp, uint64_t *mask, stack_t *ss);

#endif
