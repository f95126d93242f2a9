/*
 * vvar.h — the vDSO's parameter page (the "[vvar]" mapping): its layout,
 * shared by the Sentry, which writes it, and the vDSO (image/vdso.c), which
 * only reads it.  Plain C with fixed-width types only: the vDSO is built
 * without libc.
 *
 * The page holds one TSC-based model of the sandbox's clocks, as gVisor's
 * parameter page: at TSC value ref_tsc, CLOCK_MONOTONIC was mono_base; since
 * then it advanced ((tsc - ref_tsc) * mult) >> VVAR_MULT_SHIFT ns.
 * CLOCK_REALTIME is that plus real_offset, CLOCK_BOOTTIME plus boot_offset.
 * The Sentry's own clock_gettime reads the same page with the same
 * function (vvar_clock_ns), so the vDSO and the syscall give the same clock.
 *
 * seq is a seqlock: odd while the Sentry rewrites the parameters; a reader
 * retries until it saw the same even value before and after.  enabled == 0
 * (TSC not invariant, or not yet calibrated) sends every call to the real
 * syscall.
 */
#ifndef VISOR_SENTRY_VDSO_VVAR_H
#define VISOR_SENTRY_VDSO_VVAR_H

#include <stdint.h>

#define VVAR_MULT_SHIFT 32

struct vvar_data {
	uint32_t seq;
	uint32_t enabled;
	uint64_t ref_tsc;
	uint64_t mult;	     /* ns per TSC tick, fixed point with VVAR_MULT_SHIFT */
	int64_t mono_base;   /* sandbox CLOCK_MONOTONIC at ref_tsc, ns */
	int64_t real_offset; /* CLOCK_REALTIME - CLOCK_MONOTONIC, ns */
	int64_t boot_offset; /* CLOCK_BOOTTIME - CLOCK_MONOTONIC, ns (>= 0) */
};

/* The clocks the page serves (Linux's clockids). */
#define VVAR_CLOCK_REALTIME 0
#define VVAR_CLOCK_MONOTONIC 1
#define VVAR_CLOCK_MONOTONIC_RAW 4
#define VVAR_CLOCK_BOOTTIME 7

/* CLOCK_MONOTONIC at tsc under the parameters p (a TSC before ref_tsc, read
 * on a CPU whose TSC lags by a few ticks, counts as ref_tsc: the clock never
 * goes back). */
static inline int64_t vvar_mono_at(uint64_t ref_tsc, uint64_t mult, int64_t mono_base,
				   uint64_t tsc)
{
	uint64_t delta = tsc > ref_tsc ? tsc - ref_tsc : 0;
	unsigned __int128 prod = (unsigned __int128)delta * mult;
	return mono_base + (int64_t)(uint64_t)(prod >> VVAR_MULT_SHIFT);
}

#endif
