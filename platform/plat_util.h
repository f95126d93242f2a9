/*
 * plat_util.h — small pieces the platforms share.  Platform-internal: the
 * Sentry never includes it.
 */
#ifndef VISOR_PLATFORM_PLAT_UTIL_H
#define VISOR_PLATFORM_PLAT_UTIL_H

#include "lib/page.h"
#include "platform/platform.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* A syscall without libc, for the platforms' forked children before they
 * drop the Sentry: a fork of a multithreaded process may hold libc's and the
 * sanitizers' locks forever. */
static inline __attribute__((always_inline)) long plat_raw6(long nr, long a, long b, long c,
							    long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

/* The kernel's struct sigaction for rt_sigaction (not glibc's). */
struct plat_ksigaction {
	unsigned long handler, flags, restorer, mask;
};

/*
 * Map len bytes, private, anonymous and read-write, at the lowest page at or
 * above from (and below top) where the calling process has nothing:
 * MAP_FIXED_NOREPLACE never clobbers the Sentry.  A stub's code sits at such
 * an address, the same in the Sentry and in the stubs forked from it.
 * MAP_FAILED with errno on failure.
 */
static inline void *plat_map_high(uint64_t from, uint64_t top, size_t len)
{
	for (uint64_t a = from; a + len <= top; a += PAGE_SIZE) {
		void *m = mmap((void *)(uintptr_t)a, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (m == MAP_FAILED) {
			if (errno == EEXIST)
				continue;
			return MAP_FAILED;
		}
		if ((uintptr_t)m == a)
			return m;
		munmap(m, len); /* a kernel that took the address as a hint */
	}
	errno = ENOMEM;
	return MAP_FAILED;
}

/*
 * Whether a context's app thread may be running, and its pending interrupt.
 * running is (stub pid << 32 | stub tid) while app code may run, else 0.
 * The switch publishes "running" before it looks at the flag, and the
 * interrupter does the opposite, so one of them sees the other.
 */
struct plat_run {
	_Atomic uint64_t running;
	atomic_int interrupt;
};

/* About to run the app on (pid, tid): false when an interrupt was pending
 * (it is consumed: report PLAT_EV_INTERRUPT without running). */
static inline bool plat_run_start(struct plat_run *r, pid_t pid, pid_t tid)
{
	atomic_store(&r->running, ((uint64_t)(uint32_t)pid << 32) | (uint32_t)tid);
	if (!atomic_exchange(&r->interrupt, 0))
		return true;
	atomic_store(&r->running, 0);
	return false;
}

static inline void plat_run_stop(struct plat_run *r) { atomic_store(&r->running, 0); }

/* Any thread, even a signal handler: atomics and tgkill only.  sig makes the
 * running stub thread stop (ptrace) or trap (systrap); if the app is not
 * running, the flag makes the next switch return at once. */
static inline void plat_run_interrupt(struct plat_run *r, int sig)
{
	atomic_store(&r->interrupt, 1);
	uint64_t w = atomic_load(&r->running);
	if (w)
		syscall(SYS_tgkill, (pid_t)(w >> 32), (pid_t)(uint32_t)w, sig);
}

/* A host name (comm) for a stub: at most 15 bytes of name, NUL-padded. */
static inline void plat_name_set(char dst[16], const char *name)
{
	memset(dst, 0, 16);
	strncpy(dst, name, 15);
}


#endif
