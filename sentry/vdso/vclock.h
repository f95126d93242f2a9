/*
 * vclock.h — the sandbox's TSC clock: the model of CLOCK_MONOTONIC,
 * CLOCK_REALTIME and CLOCK_BOOTTIME the parameter page (vvar.h) publishes,
 * which the vDSO and the Sentry's clock_gettime both read.
 *
 * The Sentry calibrates the TSC against the host's CLOCK_MONOTONIC and
 * refreshes the parameters every VCLOCK_INTERVAL_NS from its own thread
 * (the only writer of the page).  A refresh never moves the clock back: the
 * new base is the later of the old model's value and the host's, and the
 * new rate is set so the model meets the host clock at the next refresh.
 * The model is off only when the TSC is not invariant (CPUID 0x80000007
 * EDX bit 8), and until the first calibration (VCLOCK_CALIBRATE_NS after
 * start): then everything reads the host's clocks, by syscalls.  The first
 * refreshes come sooner (vclock_refresh_after): a rate measured over a
 * short baseline is less exact, and the next refresh corrects it before the
 * model drifts by more than a few microseconds.
 */
#ifndef VISOR_SENTRY_VDSO_VCLOCK_H
#define VISOR_SENTRY_VDSO_VCLOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "sentry/vdso/vvar.h"

#define VCLOCK_INTERVAL_NS 1000000000LL
/* A program's start-up reads the clock hundreds of times (python3: 236
 * clock_gettime calls), each a trap while the model is off: the first
 * calibration comes 2 ms after start, and each refresh after it ten times
 * later than the one before, up to VCLOCK_INTERVAL_NS. */
#define VCLOCK_CALIBRATE_NS 2000000LL
#define VCLOCK_CALIBRATE_GROWTH 10
/* A refresh corrects at most this fraction (1/N) of the rate. */
#define VCLOCK_MAX_SLEW_DIV 1000

/* The host's clocks at one TSC value (ns). */
struct vclock_sample {
	uint64_t tsc;
	int64_t mono, real, boot;
};

/* The parameters of a page, without its seqlock. */
struct vclock_params {
	uint64_t ref_tsc;
	uint64_t mult;
	int64_t mono_base, real_offset, boot_offset;
};

/* ---- the arithmetic (pure, unit tested) ---- */

/* ns per tick (VVAR_MULT_SHIFT fixed point) between two samples; 0 when they
 * cannot say (no time or no ticks between them). */
uint64_t vclock_calibrate(const struct vclock_sample *a, const struct vclock_sample *b);
/* The parameters from sample s on: old (NULL the first time) the ones in
 * force, mult the calibrated rate, boot_ns the sandbox's boot (host
 * CLOCK_MONOTONIC at boot), interval_ns until the next refresh. */
void vclock_next(const struct vclock_params *old, const struct vclock_sample *s, uint64_t mult,
		 int64_t boot_ns, int64_t interval_ns, struct vclock_params *out);
/* Move p's reference to tsc (after p->ref_tsc), with the base the later
 * of p's and old's (NULL: none) values there: the step a refresh publishes. */
void vclock_rebase(const struct vclock_params *old, struct vclock_params *p, uint64_t tsc);
/* The wait until the refresh after one that came `wait` ns after the one
 * before it (the first: VCLOCK_CALIBRATE_NS after start). */
int64_t vclock_refresh_after(int64_t wait);
/* The sandbox's clock clk under p at tsc: false for a clock not served. */
bool vclock_eval(const struct vclock_params *p, int clk, uint64_t tsc, int64_t *ns);

/* ---- the running clock ---- */

/* Is the host's TSC invariant (usable as a clock)? */
bool vclock_tsc_invariant(void);
/* Start the refresher over page v for a sandbox booted at boot_ns: 0, or
 * -errno (the page stays disabled). */
int vclock_start(volatile struct vvar_data *v, int64_t boot_ns);
/* The sandbox's clock clk now from page v, the vDSO's way: false when the
 * page does not serve it (disabled, or another clock). */
bool vclock_read(const volatile struct vvar_data *v, int clk, int64_t *ns);

#endif
