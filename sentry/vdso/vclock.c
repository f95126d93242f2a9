/*
 * vclock.c — the sandbox's TSC clock; see vclock.h.
 *
 * Writer: one refresher thread per page (vclock_main), which holds no lock
 * of the Sentry's.  It samples the host and computes the next parameters
 * outside the seqlock, then writes: seq odd, a full fence, a fresh TSC, the
 * parameters rebased on it (vclock_rebase: the later of the old and the new
 * model there), seq even.  A reader that finished with the old parameters
 * read its TSC before that fresh one, so what it returned is not above the
 * new base: the clock never goes back across a refresh.
 */
#include "sentry/vdso/vclock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define NSEC_PER_SEC 1000000000LL

uint64_t vclock_calibrate(const struct vclock_sample *a, const struct vclock_sample *b)
{
	if (b->tsc <= a->tsc || b->mono <= a->mono)
		return 0;
	unsigned __int128 ns = (unsigned __int128)(uint64_t)(b->mono - a->mono) << VVAR_MULT_SHIFT;
	unsigned __int128 m = ns / (b->tsc - a->tsc);
	return m > UINT64_MAX ? 0 : (uint64_t)m;
}

void vclock_next(const struct vclock_params *old, const struct vclock_sample *s, uint64_t mult,
		 int64_t boot_ns, int64_t interval_ns, struct vclock_params *out)
{
	int64_t host = s->mono - boot_ns;
	int64_t base = host;
	if (old) {
		int64_t was = vvar_mono_at(old->ref_tsc, old->mult, old->mono_base, s->tsc);
		if (was > base)
			base = was; /* never back */
	}
	/* Ahead of the host by `ahead`: run slower so the model meets the
	 * host at the next refresh (at most 1/VCLOCK_MAX_SLEW_DIV slower).
	 * Behind never happens at a refresh: the base jumped forward. */
	int64_t ahead = base - host;
	if (ahead > interval_ns / VCLOCK_MAX_SLEW_DIV)
		ahead = interval_ns / VCLOCK_MAX_SLEW_DIV;
	uint64_t slew = (uint64_t)(((unsigned __int128)mult * (uint64_t)ahead) / (uint64_t)interval_ns);
	out->ref_tsc = s->tsc;
	out->mult = mult - slew;
	out->mono_base = base;
	/* Realtime and boottime keep their distance to the host's monotonic
	 * clock; boottime's never shrinks (jitter of the two host reads must
	 * not move it back). */
	out->real_offset = s->real - s->mono + boot_ns;
	out->boot_offset = s->boot - s->mono;
	if (out->boot_offset < 0)
		out->boot_offset = 0;
	if (old && old->boot_offset > out->boot_offset)
		out->boot_offset = old->boot_offset;
}

void vclock_rebase(const struct vclock_params *old, struct vclock_params *p, uint64_t tsc)
{
	if (tsc <= p->ref_tsc)
		return;
	int64_t base = vvar_mono_at(p->ref_tsc, p->mult, p->mono_base, tsc);
	if (old) {
		int64_t was = vvar_mono_at(old->ref_tsc, old->mult, old->mono_base, tsc);
		if (was > base)
			base = was;
	}
	p->ref_tsc = tsc;
	p->mono_base = base;
}

int64_t vclock_refresh_after(int64_t wait)
{
	return wait < VCLOCK_INTERVAL_NS / VCLOCK_CALIBRATE_GROWTH ? wait * VCLOCK_CALIBRATE_GROWTH
								  : VCLOCK_INTERVAL_NS;
}

bool vclock_eval(const struct vclock_params *p, int clk, uint64_t tsc, int64_t *ns)
{
	int64_t mono = vvar_mono_at(p->ref_tsc, p->mult, p->mono_base, tsc);
	switch (clk) {
	case VVAR_CLOCK_MONOTONIC:
	case VVAR_CLOCK_MONOTONIC_RAW:
		*ns = mono;
		return true;
	case VVAR_CLOCK_REALTIME:
		*ns = mono + p->real_offset;
		return true;
	case VVAR_CLOCK_BOOTTIME:
		*ns = mono + p->boot_offset;
		return true;
	}
	return false;
}

bool vclock_tsc_invariant(void)
{
	uint32_t a = 0x80000000, b, c, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	if (a < 0x80000007)
		return false;
	a = 0x80000007;
	c = 0;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return d & (1u << 8);
}

static uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

static int64_t host_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* The host's clocks at one TSC value: the TSC is the midpoint of the two
 * read around the monotonic clock, from the tightest of a few tries. */
static void vclock_sample_now(struct vclock_sample *s)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 8; i++) {
		uint64_t t0 = rdtsc_ordered();
		int64_t mono = host_ns(CLOCK_MONOTONIC);
		uint64_t t1 = rdtsc_ordered();
		if (t1 - t0 < best) {
			best = t1 - t0;
			s->tsc = t0 + (t1 - t0) / 2;
			s->mono = mono;
		}
	}
	/* The other clocks as distances from the monotonic one, read
	 * together. */
	int64_t m0 = host_ns(CLOCK_MONOTONIC);
	int64_t real = host_ns(CLOCK_REALTIME);
	int64_t boot = host_ns(CLOCK_BOOTTIME);
	s->real = real - m0 + s->mono;
	s->boot = boot - m0 + s->mono;
}

static void vclock_publish(volatile struct vvar_data *v, const struct vclock_params *p)
{
	v->ref_tsc = p->ref_tsc;
	v->mult = p->mult;
	v->mono_base = p->mono_base;
	v->real_offset = p->real_offset;
	v->boot_offset = p->boot_offset;
	v->enabled = 1;
}

struct vclock_state {
	volatile struct vvar_data *v;
	int64_t boot_ns;
};

static void *vclock_main(void *arg)
{
	struct vclock_state st = *(struct vclock_state *)arg;
	free(arg);
	volatile struct vvar_data *v = st.v;
	struct vclock_sample first, s;
	struct vclock_params p;
	bool have = false;
	vclock_sample_now(&first);
	int64_t wait = VCLOCK_CALIBRATE_NS;
	for (;;) {
		struct timespec d = {wait / NSEC_PER_SEC, wait % NSEC_PER_SEC};
		while (nanosleep(&d, &d) < 0 && errno == EINTR)
			;
		/* Sample and compute outside the seqlock (syscalls: the thread
		 * may be preempted there), then, inside it, rebase on a fresh
		 * TSC: readers spin only for a few stores. */
		vclock_sample_now(&s);
		/* The whole run so far is the calibration's baseline. */
		uint64_t mult = vclock_calibrate(&first, &s);
		if (!mult)
			continue;
		int64_t after = vclock_refresh_after(wait);
		struct vclock_params next;
		vclock_next(have ? &p : NULL, &s, mult, st.boot_ns, after, &next);
		__atomic_store_n(&v->seq, v->seq + 1, __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		vclock_rebase(have ? &p : NULL, &next, rdtsc_ordered());
		vclock_publish(v, &next);
		__atomic_store_n(&v->seq, v->seq + 1, __ATOMIC_RELEASE);
		p = next;
		have = true;
		wait = after;
	}
	return NULL;
}

int vclock_start(volatile struct vvar_data *v, int64_t boot_ns)
{
	if (!vclock_tsc_invariant())
		return -ENODEV;
	struct vclock_state *st = malloc(sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->v = v;
	st->boot_ns = boot_ns;
	pthread_t th;
	int r = pthread_create(&th, NULL, vclock_main, st);
	if (r) {
		free(st);
		return -r;
	}
	pthread_detach(th);
	return 0;
}

bool vclock_read(const volatile struct vvar_data *v, int clk, int64_t *ns)
{
	for (;;) {
		uint32_t seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
		if (seq & 1) {
			__asm__ volatile("pause");
			continue;
		}
		if (!v->enabled)
			return false;
		struct vclock_params p = {
		    .ref_tsc = v->ref_tsc,
		    .mult = v->mult,
		    .mono_base = v->mono_base,
		    .real_offset = v->real_offset,
		    .boot_offset = v->boot_offset,
		};
		uint64_t tsc = rdtsc_ordered();
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&v->seq, __ATOMIC_RELAXED) != seq)
			continue;
		return vclock_eval(&p, clk, tsc, ns);
	}
}
