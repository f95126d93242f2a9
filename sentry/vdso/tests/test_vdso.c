/* Unit tests for the vDSO (sentry/vdso): the TSC clock's arithmetic
 * (vclock.c: calibration, refresh, never back), and the mapping of the
 * image and its parameter page into an mm (vdso.c). */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "sentry/tests/harness.h"
#include "sentry/vdso/vclock.h"
#include "sentry/vdso/vdso.h"

#define NS 1000000000LL
/* A 3 GHz TSC: 1/3 ns per tick. */
#define HZ 3000000000ULL

static struct vclock_sample at(uint64_t tsc, int64_t mono)
{
	struct vclock_sample s = {.tsc = tsc, .mono = mono, .real = mono + 1000 * NS,
				  .boot = mono + 5 * NS};
	return s;
}

static void test_calibrate_gives_ns_per_tick(void **state)
{
	struct vclock_sample a = at(1000, 10 * NS), b = at(1000 + HZ, 11 * NS);
	uint64_t m = vclock_calibrate(&a, &b);
	/* 1/3 ns per tick in 32.32 fixed point. */
	assert_true(m >= (1ULL << 32) / 3 - 1 && m <= (1ULL << 32) / 3 + 1);
}

static void test_calibrate_refuses_no_progress(void **state)
{
	struct vclock_sample a = at(1000, 10 * NS), b = at(1000, 11 * NS), c = at(2000, 10 * NS);
	assert_int_equal(vclock_calibrate(&a, &b), 0);
	assert_int_equal(vclock_calibrate(&a, &c), 0);
	assert_int_equal(vclock_calibrate(&b, &a), 0);
}

static void test_first_params_follow_the_host(void **state)
{
	uint64_t m = (1ULL << 32) / 3;
	struct vclock_sample s = at(5000, 100 * NS);
	struct vclock_params p;
	int64_t boot = 40 * NS;
	vclock_next(NULL, &s, m, boot, NS, &p);
	int64_t ns;
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC, 5000, &ns));
	assert_int_equal(ns, 60 * NS); /* sandbox uptime: host minus boot */
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC, 5000 + HZ, &ns));
	assert_true(ns > 61 * NS - 10 && ns < 61 * NS + 10);
	assert_true(vclock_eval(&p, VVAR_CLOCK_REALTIME, 5000, &ns));
	assert_int_equal(ns, 1100 * NS); /* the host's realtime */
	assert_true(vclock_eval(&p, VVAR_CLOCK_BOOTTIME, 5000, &ns));
	assert_int_equal(ns, 65 * NS);
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC_RAW, 5000, &ns));
	assert_int_equal(ns, 60 * NS);
	/* Clocks the page does not serve. */
	assert_false(vclock_eval(&p, 2 /* PROCESS_CPUTIME */, 5000, &ns));
	assert_false(vclock_eval(&p, 6 /* MONOTONIC_COARSE */, 5000, &ns));
	/* A TSC a little behind the reference (another CPU) reads the base. */
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC, 4990, &ns));
	assert_int_equal(ns, 60 * NS);
}

static void test_refresh_when_ahead_keeps_value_and_slows(void **state)
{
	uint64_t m = (1ULL << 32) / 3;
	struct vclock_params old, p;
	struct vclock_sample s0 = at(0, 0);
	vclock_next(NULL, &s0, m, 0, NS, &old);
	/* At one second the host says 1 s - 50 us: the model ran fast. */
	struct vclock_sample s1 = at(HZ, NS - 50000);
	int64_t was;
	assert_true(vclock_eval(&old, VVAR_CLOCK_MONOTONIC, HZ, &was));
	vclock_next(&old, &s1, m, 0, NS, &p);
	int64_t now;
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC, HZ, &now));
	assert_int_equal(now, was); /* never back */
	assert_true(p.mult < m);     /* slower, to meet the host */
	int64_t later;
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC, 2 * HZ, &later));
	/* It meets the host's 2 s - 50 us at the next refresh. */
	assert_true(later > 2 * NS - 50000 - 100 && later < 2 * NS - 50000 + 100);
}

static void test_refresh_when_behind_jumps_forward(void **state)
{
	uint64_t m = (1ULL << 32) / 3;
	struct vclock_params old, p;
	struct vclock_sample s0 = at(0, 0);
	vclock_next(NULL, &s0, m, 0, NS, &old);
	struct vclock_sample s1 = at(HZ, NS + 70000);
	vclock_next(&old, &s1, m, 0, NS, &p);
	int64_t now;
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC, HZ, &now));
	assert_int_equal(now, NS + 70000);
	assert_int_equal(p.mult, m);
}

static void test_slew_is_bounded(void **state)
{
	uint64_t m = (1ULL << 32) / 3;
	struct vclock_params old, p;
	struct vclock_sample s0 = at(0, 0);
	vclock_next(NULL, &s0, m, 0, NS, &old);
	/* A model far ahead (1 s) slows by at most 1/VCLOCK_MAX_SLEW_DIV. */
	struct vclock_sample s1 = at(HZ, 0 + 1);
	vclock_next(&old, &s1, m, 0, NS, &p);
	assert_true(p.mult >= m - m / VCLOCK_MAX_SLEW_DIV - 1);
}

static void test_boot_offset_never_shrinks(void **state)
{
	uint64_t m = (1ULL << 32) / 3;
	struct vclock_params old, p;
	struct vclock_sample s0 = at(0, 0);
	vclock_next(NULL, &s0, m, 0, NS, &old);
	struct vclock_sample s1 = at(HZ, NS);
	s1.boot = s1.mono + 5 * NS - 3; /* read jitter */
	vclock_next(&old, &s1, m, 0, NS, &p);
	assert_int_equal(p.boot_offset, 5 * NS);
	s1.boot = s1.mono + 9 * NS; /* the host suspended */
	vclock_next(&old, &s1, m, 0, NS, &p);
	assert_int_equal(p.boot_offset, 9 * NS);
}

static void test_rebase_never_back_and_continuous(void **state)
{
	uint64_t m = (1ULL << 32) / 3;
	struct vclock_params old, p;
	struct vclock_sample s0 = at(0, 0);
	vclock_next(NULL, &s0, m, 0, NS, &old);
	struct vclock_sample s1 = at(HZ, NS - 50000);
	vclock_next(&old, &s1, m, 0, NS, &p);
	/* Published later than its sample: at the fresh TSC, the later of the
	 * old model and the new. */
	uint64_t t = HZ + HZ / 100;
	int64_t o, n;
	assert_true(vclock_eval(&old, VVAR_CLOCK_MONOTONIC, t, &o));
	assert_true(vclock_eval(&p, VVAR_CLOCK_MONOTONIC, t, &n));
	struct vclock_params q = p;
	vclock_rebase(&old, &q, t);
	int64_t r;
	assert_true(vclock_eval(&q, VVAR_CLOCK_MONOTONIC, t, &r));
	assert_int_equal(r, o > n ? o : n);
	assert_int_equal(q.ref_tsc, t);
	/* A TSC before the sample changes nothing. */
	q = p;
	vclock_rebase(&old, &q, HZ - 1);
	assert_memory_equal(&q, &p, sizeof(p));
	/* Large deltas do not overflow: ten years of ticks at the
	 * calibrated (unslewed) rate. */
	assert_true(vclock_eval(&old, VVAR_CLOCK_MONOTONIC, HZ * 315360000ULL, &r));
	assert_true(r > 315360000LL * NS - NS && r < 315360000LL * NS + NS);
}

static void test_disabled_page_serves_nothing(void **state)
{
	static struct vvar_data v; /* enabled == 0 */
	int64_t ns;
	assert_false(vclock_read(&v, VVAR_CLOCK_MONOTONIC, &ns));
}

/* The refreshes: 2 ms after start, then 20 ms, 200 ms, then every second. */
static void test_refreshes_come_sooner_while_the_baseline_is_short(void **state)
{
	int64_t w = VCLOCK_CALIBRATE_NS;
	assert_int_equal(w, 2000000);
	w = vclock_refresh_after(w);
	assert_int_equal(w, 20000000);
	w = vclock_refresh_after(w);
	assert_int_equal(w, 200000000);
	w = vclock_refresh_after(w);
	assert_int_equal(w, VCLOCK_INTERVAL_NS);
	assert_int_equal(vclock_refresh_after(w), VCLOCK_INTERVAL_NS);
}

static int64_t host_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/*
 * The running clock: on within a few milliseconds of its start (a program
 * started with the sandbox reads it without traps), never back across the
 * refreshes of its first 300 ms, and within 200 us of the host's monotonic
 * clock all along (each read lies between two host reads around it).
 */
static void test_running_clock_is_on_within_milliseconds_and_follows_the_host(void **state)
{
	if (!vclock_tsc_invariant())
		skip();
	static struct vvar_data v;
	int64_t boot = host_mono() - 5 * NS, t0 = host_mono(), ns = 0;
	assert_int_equal(vclock_start(&v, boot), 0);
	while (!vclock_read(&v, VVAR_CLOCK_MONOTONIC, &ns)) {
		assert_true(host_mono() - t0 < 45000000); /* the old start: 50 ms */
		__asm__ volatile("pause");
	}
	int64_t last = 0, worst = 0;
	while (host_mono() - t0 < 300000000) {
		int64_t h0 = host_mono() - boot;
		assert_true(vclock_read(&v, VVAR_CLOCK_MONOTONIC, &ns));
		int64_t h1 = host_mono() - boot;
		assert_true(ns >= last);
		last = ns;
		int64_t off = ns < h0 ? h0 - ns : ns > h1 ? ns - h1 : 0;
		if (off > worst)
			worst = off;
		struct timespec d = {0, 100000};
		nanosleep(&d, NULL);
	}
	print_message("vclock: worst distance to the host %lld ns\n", (long long)worst);
	assert_true(worst < 200000);
}

/* ---- the mapping ---- */

static struct vdso *the_vdso; /* lives as long as the process, as in the Sentry */
static struct memfile *the_mf;

struct seen {
	int vvar, vdso;
	uint64_t vvar_start, vdso_start;
	int vvar_prot, vdso_prot;
	bool vvar_shared, vdso_shared;
};

static void note_vma(const struct mm_vma_info *v, void *arg)
{
	struct seen *s = arg;
	if (v->name && !strcmp(v->name, "[vvar]")) {
		s->vvar++;
		s->vvar_start = v->start;
		s->vvar_prot = v->prot;
		s->vvar_shared = v->shared;
	} else if (v->name && !strcmp(v->name, "[vdso]")) {
		s->vdso++;
		s->vdso_start = v->start;
		s->vdso_prot = v->prot;
		s->vdso_shared = v->shared;
	}
}

static void test_map_puts_vvar_below_the_image(void **state)
{
	if (!the_mf)
		assert_int_equal(memfile_new(1ULL << 30, &the_mf), 0);
	if (!the_vdso)
		the_vdso = vdso_new(the_mf, 0);
	assert_non_null(the_vdso);
	struct mm *mm = mm_new(the_mf, &fake_plat);
	mm_set_mmap_base(mm, 0x7f0000000000ULL);
	int64_t base = vdso_map(mm, the_vdso);
	assert_true(base > 0);
	struct seen s = {0};
	mm_for_each_vma(mm, note_vma, &s);
	assert_int_equal(s.vvar, 1);
	assert_int_equal(s.vdso, 1);
	assert_int_equal(s.vdso_start, (uint64_t)base);
	assert_int_equal(s.vvar_start, (uint64_t)base - PAGE_SIZE);
	assert_int_equal(s.vvar_prot, PROT_READ);
	assert_true(s.vvar_shared);
	assert_int_equal(s.vdso_prot, PROT_READ | PROT_EXEC);
	assert_false(s.vdso_shared);
	/* The image is an ELF shared object with the LINUX_2.6 functions. */
	Elf64_Ehdr eh;
	assert_int_equal(mm_copy_in(mm, &eh, (uint64_t)base, sizeof(eh)), 0);
	assert_memory_equal(eh.e_ident, ELFMAG, SELFMAG);
	assert_int_equal(eh.e_type, ET_DYN);
	/* The app cannot write the parameter page, nor make it writable. */
	assert_int_equal(mm_copy_out(mm, (uint64_t)base - PAGE_SIZE, "x", 1), -EFAULT);
	assert_int_equal(mm_mprotect(mm, (uint64_t)base - PAGE_SIZE, PAGE_SIZE,
				     PROT_READ | PROT_WRITE),
			 -EACCES);
	/* A fork keeps both; munmap drops them as any mapping. */
	struct mm *child = mm_fork(mm);
	struct seen c = {0};
	mm_for_each_vma(child, note_vma, &c);
	assert_int_equal(c.vvar + c.vdso, 2);
	assert_int_equal(mm_munmap(child, (uint64_t)base - PAGE_SIZE, 2 * PAGE_SIZE), 0);
	memset(&c, 0, sizeof(c));
	mm_for_each_vma(child, note_vma, &c);
	assert_int_equal(c.vvar + c.vdso, 0);
	mm_put(child);
	mm_put(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_calibrate_gives_ns_per_tick),
		cmocka_unit_test(test_calibrate_refuses_no_progress),
		cmocka_unit_test(test_first_params_follow_the_host),
		cmocka_unit_test(test_refresh_when_ahead_keeps_value_and_slows),
		cmocka_unit_test(test_refresh_when_behind_jumps_forward),
		cmocka_unit_test(test_slew_is_bounded),
		cmocka_unit_test(test_boot_offset_never_shrinks),
		cmocka_unit_test(test_rebase_never_back_and_continuous),
		cmocka_unit_test(test_disabled_page_serves_nothing),
		cmocka_unit_test(test_refreshes_come_sooner_while_the_baseline_is_short),
		cmocka_unit_test(test_running_clock_is_on_within_milliseconds_and_follows_the_host),
		cmocka_unit_test(test_map_puts_vvar_below_the_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
