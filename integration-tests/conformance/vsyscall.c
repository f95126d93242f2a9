/*
 * vsyscall.c — calls into the legacy vsyscall page (0xffffffffff600000),
 * which old static binaries still make: Linux (vsyscall=xonly, the default)
 * emulates gettimeofday at +0, time at +0x400 and getcpu at +0x800 and
 * returns to the caller; any other offset is SIGSEGV (SI_KERNEL, no
 * address); an output pointer outside user space is SIGSEGV (SEGV_MAPERR)
 * at that pointer.  Under visor the Sentry serves them (the stub never runs
 * host code there) and delivers the same signals.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define VSYS 0xffffffffff600000UL

static sigjmp_buf jb;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	const char *code = si->si_code == SI_KERNEL	 ? "SI_KERNEL"
			   : si->si_code == SEGV_MAPERR ? "SEGV_MAPERR"
			   : si->si_code == SEGV_ACCERR ? "SEGV_ACCERR"
							: "other";
	printf("  SIGSEGV %s addr %#lx\n", code, (unsigned long)si->si_addr);
	siglongjmp(jb, 1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);

	printf("gettimeofday:\n");
	if (!sigsetjmp(jb, 1)) {
		struct timeval tv = {0}, now;
		long (*f)(struct timeval *, void *) = (void *)(VSYS + 0);
		long r = f(&tv, NULL);
		gettimeofday(&now, NULL);
		printf("  returned %ld, close to gettimeofday: %s\n", r,
		       now.tv_sec - tv.tv_sec <= 2 && tv.tv_sec > 0 ? "yes" : "no");
	}
	printf("time:\n");
	if (!sigsetjmp(jb, 1)) {
		long (*f)(long *) = (void *)(VSYS + 0x400);
		long t = 0, r = f(&t), r2 = f(NULL);
		printf("  sane %s, stored %s, NULL ok %s\n", r > 1600000000 ? "yes" : "no",
		       t == r ? "yes" : "no", r2 >= r ? "yes" : "no");
	}
	printf("getcpu:\n");
	if (!sigsetjmp(jb, 1)) {
		unsigned cpu = ~0u, node = ~0u;
		long (*f)(unsigned *, unsigned *, void *) = (void *)(VSYS + 0x800);
		long r = f(&cpu, &node, NULL);
		printf("  returned %ld, cpu set %s, node set %s\n", r, cpu != ~0u ? "yes" : "no",
		       node != ~0u ? "yes" : "no");
	}
	printf("gettimeofday into kernel memory:\n");
	if (!sigsetjmp(jb, 1)) {
		long (*f)(void *, void *) = (void *)(VSYS + 0);
		f((void *)0xffff888000000000UL, NULL);
		printf("  returned\n");
	}
	printf("misaligned call (+0x100):\n");
	if (!sigsetjmp(jb, 1)) {
		void (*f)(void) = (void *)(VSYS + 0x100);
		f();
		printf("  returned\n");
	}
	printf("jump to +0xc00 (no entry there):\n");
	if (!sigsetjmp(jb, 1)) {
		void (*f)(void) = (void *)(VSYS + 0xc00);
		f();
		printf("  returned\n");
	}
	return 0;
}
