/*
 * sigframe.c — reading an x86_64 rt_sigframe back from app memory for
 * rt_sigreturn; see sigframe.h.  Everything here is untrusted app memory,
 * read through mm_copy_in only: a frame or FPU area that cannot be read, or
 * one XRSTOR/FXRSTOR would fault on, is a bad frame, never a Sentry crash.
 */
#include "sentry/kernel/sigframe.h"

#include <errno.h>
#include <string.h>

/* The FPU state a frame's fpstate gives back, checked as XRSTOR/FXRSTOR
 * would fault on it (Linux's __fpu_restore_sig): 0, or -EFAULT. */
static int fp_state_from_frame(struct mm *mm, const struct platform *plat, uint64_t addr,
			       plat_fpregs_t *fp)
{
	uint32_t size = plat->xstate_size;
	/* A platform whose area would not fit with its MAGIC2 cannot restore
	 * one (platform.c never makes such a platform). */
	if (size < sizeof(fp->fx) || size > PLAT_XSTATE_MAX - 4)
		return -EFAULT;
	/* The legacy area first: a frame without the XSAVE magics is only
	 * that long (as Linux's check_xstate_in_sigframe reads it). */
	if (mm_copy_in(mm, fp->bytes, addr, sizeof(fp->fx)) < 0)
		return -EFAULT;
	if (fp->fx.mxcsr & ~plat->mxcsr_mask)
		return -EFAULT;
	if (!plat->xstate_features)
		return 0;
	if (size < PLAT_XSTATE_HEADER + 64)
		return -EFAULT;
	struct fpx_sw_bytes sw;
	uint32_t magic2 = 0;
	memcpy(&sw, fp->bytes + FP_SW_BYTES_OFFSET, sizeof(sw));
	if (sw.magic1 == FP_XSTATE_MAGIC1) {
		if (mm_copy_in(mm, fp->bytes + sizeof(fp->fx), addr + sizeof(fp->fx),
			       sigframe_fp_size(plat) - sizeof(fp->fx)) < 0)
			return -EFAULT;
		memcpy(&magic2, fp->bytes + size, 4);
	}
	if (sw.magic1 != FP_XSTATE_MAGIC1 || magic2 != FP_XSTATE_MAGIC2) {
		/* Not an XSAVE frame (a legacy copy): x87 and SSE from the
		 * FXSAVE area, everything else in its init state. */
		memset(fp->bytes + PLAT_XSTATE_HEADER, 0, size - PLAT_XSTATE_HEADER);
		fp->bytes[PLAT_XSTATE_HEADER] = XFEATURE_MASK_FPSSE;
		return 0;
	}
	uint64_t hdr[3];
	memcpy(hdr, fp->bytes + PLAT_XSTATE_HEADER, sizeof(hdr));
	/* XRSTOR (standard form) faults on features XCR0 lacks and on a
	 * non-zero XCOMP_BV or first reserved word. */
	if ((hdr[0] & ~plat->xstate_features) || hdr[1] || hdr[2])
		return -EFAULT;
	/* Features the frame does not ask for come back in their init state. */
	hdr[0] &= sw.xfeatures & plat->xstate_features;
	memset(fp->bytes + PLAT_XSTATE_HEADER, 0, 64);
	memcpy(fp->bytes + PLAT_XSTATE_HEADER, hdr, 8);
	return 0;
}

int sigframe_restore(struct mm *mm, const struct platform *plat, uint64_t frame, plat_regs_t *r,
		     plat_fpregs_t *fp, uint64_t *mask, stack_t *ss)
{
	struct k_rt_sigframe f;
	if (mm_copy_in(mm, &f, frame, sizeof(f)) < 0)
		return SIGFRAME_UNREADABLE;
	*mask = f.uc.uc_sigmask;
	const struct k_sigcontext *sc = &f.uc.uc_mcontext;
	r->r8 = sc->r8; r->r9 = sc->r9; r->r10 = sc->r10; r->r11 = sc->r11;
	r->r12 = sc->r12; r->r13 = sc->r13; r->r14 = sc->r14; r->r15 = sc->r15;
	r->rdi = sc->rdi; r->rsi = sc->rsi; r->rbp = sc->rbp; r->rbx = sc->rbx;
	r->rdx = sc->rdx; r->rax = sc->rax; r->rcx = sc->rcx; r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->eflags = (r->eflags & ~SIGFRAME_FIX_EFLAGS) | (sc->eflags & SIGFRAME_FIX_EFLAGS);
	r->orig_rax = (uint64_t)-1; /* no syscall restart after sigreturn */
	/* No fpstate, or a bad one: the FPU is reset (Linux's
	 * fpu__clear_user_states), and a bad one is a bad frame. */
	bool bad = sc->fpstate && fp_state_from_frame(mm, plat, sc->fpstate, fp) < 0;
	if (bad || !sc->fpstate)
		plat_fpregs_init(fp, plat->xstate_size);
	memset(ss, 0, sizeof(*ss));
	ss->ss_sp = (void *)(uintptr_t)f.uc.uc_stack.ss_sp;
	ss->ss_flags = f.uc.uc_stack.ss_flags;
	ss->ss_size = f.uc.uc_stack.ss_size;
	return bad ? SIGFRAME_BAD_FPSTATE : SIGFRAME_OK;
}
