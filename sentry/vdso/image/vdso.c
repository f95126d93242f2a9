/*
 * vdso.c — the vDSO the Sentry maps into every application process
 * ("[vdso]", its address in AT_SYSINFO_EHDR), as Linux's
 * arch/x86/entry/vdso/: clock_gettime, gettimeofday, time, clock_getres and
 * getcpu answered in user space, without a trap into the Sentry.
 *
 * Built apart from the Sentry (Makefile: -fPIC -shared -nostdlib, vdso.lds)
 * and embedded into the visor binary; runs in the application, so it may
 * use no libc, no writable data and no relocations.  Clocks come from the
 * parameter page the Sentry writes ("[vvar]", the page just below the
 * image, vvar.h); whatever the page does not serve (the page is disabled,
 * CPU-time and coarse clocks, an unknown clock) is the real syscall, which
 * traps to the Sentry as before.  getcpu reads the CPU and node the host
 * kernel keeps in the CPUNODE segment limit (as Linux's vgetcpu), the same
 * numbers the Sentry's getcpu reports.
 */
#include <stddef.h>
#include <stdint.h>

#include "sentry/vdso/vvar.h"

struct vdso_timespec {
	int64_t tv_sec;
	int64_t tv_nsec;
};
struct vdso_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};
struct vdso_timezone {
	int tz_minuteswest;
	int tz_dsttime;
};

#define NSEC_PER_SEC 1000000000LL
#define SYS_gettimeofday 96
#define SYS_time 201
#define SYS_clock_gettime 228
#define SYS_clock_getres 229
#define SYS_getcpu 309
/* Linux's __CPUNODE_SEG: GDT_ENTRY_CPUNODE (15) * 8 + 3. */
#define CPUNODE_SEG 0x7b

/* The page below the image (vdso.lds). */
extern const volatile struct vvar_data vvar_page __attribute__((visibility("hidden")));

static long vdso_syscall2(long nr, long a, long b)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static long vdso_syscall3(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static inline uint64_t rdtsc_ordered(void)
{
	uint32_t lo, hi;
	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/* The clock clk now, in ns: 0, or -1 when the page cannot answer. */
static int vdso_clock_ns(int clk, int64_t *ns)
{
	const volatile struct vvar_data *v = &vvar_page;
	if (clk != VVAR_CLOCK_REALTIME && clk != VVAR_CLOCK_MONOTONIC &&
	    clk != VVAR_CLOCK_MONOTONIC_RAW && clk != VVAR_CLOCK_BOOTTIME)
		return -1;
	for (;;) {
		uint32_t seq = v->seq;
		__asm__ volatile("" ::: "memory");
		if (seq & 1) {
			__asm__ volatile("pause");
			continue;
		}
		if (!v->enabled)
			return -1;
		uint64_t ref = v->ref_tsc, mult = v->mult;
		int64_t base = v->mono_base;
		int64_t off = clk == VVAR_CLOCK_REALTIME  ? v->real_offset
			      : clk == VVAR_CLOCK_BOOTTIME ? v->boot_offset
							    : 0;
		uint64_t tsc = rdtsc_ordered();
		__asm__ volatile("" ::: "memory");
		if (v->seq != seq)
			continue;
		*ns = vvar_mono_at(ref, mult, base, tsc) + off;
		return 0;
	}
}

static void ns_to_ts(int64_t ns, struct vdso_timespec *ts)
{
	int64_t s = ns / NSEC_PER_SEC, r = ns % NSEC_PER_SEC;
	if (r < 0) {
		r += NSEC_PER_SEC;
		s--;
	}
	ts->tv_sec = s;
	ts->tv_nsec = r;
}

int __vdso_clock_gettime(int clk, struct vdso_timespec *ts)
{
	int64_t ns;
	if (vdso_clock_ns(clk, &ns) < 0)
		return (int)vdso_syscall2(SYS_clock_gettime, clk, (long)ts);
	ns_to_ts(ns, ts);
	return 0;
}

int __vdso_gettimeofday(struct vdso_timeval *tv, struct vdso_timezone *tz)
{
	int64_t ns;
	if (vdso_clock_ns(VVAR_CLOCK_REALTIME, &ns) < 0)
		return (int)vdso_syscall2(SYS_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		struct vdso_timespec ts;
		ns_to_ts(ns, &ts);
		tv->tv_sec = ts.tv_sec;
		tv->tv_usec = ts.tv_nsec / 1000;
	}
	if (tz) {
		/* The Sentry's sys_tz: never set, so UTC. */
		tz->tz_minuteswest = 0;
		tz->tz_dsttime = 0;
	}
	return 0;
}

int64_t __vdso_time(int64_t *t)
{
	int64_t ns;
	if (vdso_clock_ns(VVAR_CLOCK_REALTIME, &ns) < 0)
		return vdso_syscall2(SYS_time, (long)t, 0);
	int64_t s = ns / NSEC_PER_SEC;
	if (t)
		*t = s;
	return s;
}

int __vdso_clock_getres(int clk, struct vdso_timespec *res)
{
	/* The clocks the page serves are the Sentry's 1 ns ones; ask it about
	 * the others (the coarse clocks report the host's tick). */
	if (clk != VVAR_CLOCK_REALTIME && clk != VVAR_CLOCK_MONOTONIC &&
	    clk != VVAR_CLOCK_MONOTONIC_RAW && clk != VVAR_CLOCK_BOOTTIME)
		return (int)vdso_syscall2(SYS_clock_getres, clk, (long)res);
	if (res) {
		res->tv_sec = 0;
		res->tv_nsec = 1;
	}
	return 0;
}

long __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused)
{
	unsigned p;
	/* LSL fails (ZF clear) where the host has no CPUNODE segment. */
	unsigned char ok;
	__asm__ volatile("lsl %2, %0; setz %1" : "=r"(p), "=q"(ok) : "r"(CPUNODE_SEG) : "cc");
	if (!ok)
		return vdso_syscall3(SYS_getcpu, (long)cpu, (long)node, (long)unused);
	if (cpu)
		*cpu = p & 0xfff;
	if (node)
		*node = p >> 12;
	return 0;
}

int clock_gettime(int, struct vdso_timespec *)
	__attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct vdso_timeval *, struct vdso_timezone *)
	__attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int clock_getres(int, struct vdso_timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
long getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
