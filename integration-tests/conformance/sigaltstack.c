/* Conformance: sigaltstack sizing and errnos, AT_MINSIGSTKSZ against the
 * frame actually written, the XSAVE signal frame (AVX state kept across a
 * handler, a clean FPU in the handler, uc changes taking effect), SIGSEGV
 * for frames that do not fit or cannot return. */
#define _GNU_SOURCE
#include <errno.h>
#include <xmmintrin.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define K_MINSIGSTKSZ 2048 /* the kernel's, not glibc's dynamic MINSIGSTKSZ */

static char *alt;
static size_t alt_size;
static volatile int got;
static volatile uintptr_t handler_sp;
static volatile int h_flags, h_ucflags, h_magic_ok, h_in_alt_fp, h_errno_set, h_ucss;
static volatile unsigned h_mxcsr;

static int set_alt(void *sp, size_t size, int flags)
{
	stack_t ss = {.ss_sp = sp, .ss_size = size, .ss_flags = flags};
	return sigaltstack(&ss, NULL) ? -errno : 0;
}

static int query_flags(void)
{
	stack_t o;
	sigaltstack(NULL, &o);
	return o.ss_flags;
}

static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	int local;
	handler_sp = (uintptr_t)&local;
	got++;
	h_flags = query_flags();
	stack_t ss = {.ss_sp = alt, .ss_size = alt_size, .ss_flags = 0};
	h_errno_set = sigaltstack(&ss, NULL) ? errno : 0;
	h_ucflags = (int)uc->uc_flags;
	h_ucss = uc->uc_stack.ss_flags;
	h_mxcsr = _mm_getcsr();
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic1, xsize, magic2;
	memcpy(&magic1, fp + 464, 4);
	memcpy(&xsize, fp + 464 + 16, 4);
	memcpy(&magic2, fp + xsize, 4);
	h_magic_ok = magic1 == 0x46505853U && magic2 == 0x46505845U;
	h_in_alt_fp = (uintptr_t)fp > (uintptr_t)alt && (uintptr_t)fp < (uintptr_t)alt + alt_size;
}

static void in_alt_report(const char *what)
{
	printf("%s: ran %d on alt stack %d flags in handler %#x uc_stack flags %#x set in "
	       "handler %s\n",
	       what, got, handler_sp > (uintptr_t)alt && handler_sp < (uintptr_t)alt + alt_size,
	       h_flags, h_ucss, h_errno_set ? strerror(h_errno_set) : "ok");
}

static void handler_writes_xmm(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	/* xmm0 of the interrupted code, as the frame holds it. */
	uc->uc_mcontext.fpregs->_xmm[0].element[0] = 0x12345678;
	/* Clobber every vector register the handler can reach. */
	__asm__ volatile("vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n\tvpcmpeqb %%ymm1, %%ymm1, %%ymm1" ::
				 : "xmm0", "xmm1");
	got++;
}

static void bad_fpstate(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uc->uc_mcontext.fpregs->mxcsr = 0xffffffff; /* reserved bits: FXRSTOR/XRSTOR fault */
}

static volatile int segv_code;
static void on_segv(int sig, siginfo_t *si, void *uc)
{
	segv_code = si->si_code;
	_exit(40);
}

static void child_status(const char *what, pid_t p)
{
	int st;
	waitpid(p, &st, 0);
	if (WIFSIGNALED(st))
		printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
	else
		printf("%s: exit %d\n", what, WEXITSTATUS(st));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long minsig = (long)getauxval(AT_MINSIGSTKSZ);
	/* Linux's figure for this CPU's XSAVE area, as the host kernel gives it. */
	printf("AT_MINSIGSTKSZ %ld == _SC_MINSIGSTKSZ: %d, at least %d: %d\n", minsig,
	       minsig == sysconf(_SC_MINSIGSTKSZ), K_MINSIGSTKSZ, minsig >= K_MINSIGSTKSZ);
	printf("_SC_SIGSTKSZ >= 4 * AT_MINSIGSTKSZ: %d\n", sysconf(_SC_SIGSTKSZ) >= 4 * minsig);

	/* Sizes and modes. */
	alt_size = 64 << 10;
	alt = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("initial flags %#x\n", query_flags());
	static const struct {
		const char *what;
		int off; /* alt + off */
		long size;
		int flags;
	} cases[] = {
		{"size 2047", 0, K_MINSIGSTKSZ - 1, 0},
		{"size 2048", 0, K_MINSIGSTKSZ, 0},
		{"python's size (SIGSTKSZ + AT_MINSIGSTKSZ)", 0, -1, 0},
		{"mode 7", 0, 65536, 7},
		{"SS_ONSTACK as mode", 0, 65536, SS_ONSTACK},
		{"SS_DISABLE", -1, 0, SS_DISABLE},
		{"SS_DISABLE ignores size", 0, 1, SS_DISABLE},
		{"autodisarm", 0, 65536, SS_AUTODISARM},
		{"autodisarm with SS_ONSTACK", 0, 65536, SS_AUTODISARM | SS_ONSTACK},
		{"unknown flag bit", 0, 65536, 1 << 30},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t size = cases[i].size < 0 ? 8192 + (size_t)minsig : (size_t)cases[i].size;
		int r = set_alt(cases[i].off < 0 ? NULL : alt, size, cases[i].flags);
		int f = query_flags();
		stack_t o;
		sigaltstack(NULL, &o);
		printf("%s: %d flags %#x size %zu\n", cases[i].what, r, f, o.ss_size);
	}
	long r = syscall(SYS_sigaltstack, (void *)8, NULL);
	printf("bad pointer: %ld %s\n", r, strerror(errno));
	r = syscall(SYS_sigaltstack, NULL, (void *)8);
	printf("bad old pointer: %ld %s\n", r, strerror(errno));

	/* Delivery on the alternate stack, without and with autodisarm. */
	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_ONSTACK};
	sigaction(SIGUSR1, &sa, NULL);
	set_alt(alt, alt_size, 0);
	raise(SIGUSR1);
	in_alt_report("plain");
	printf("uc_flags %#x mxcsr in handler %#x xsave magic %d fpstate on alt %d\n", h_ucflags,
	       h_mxcsr, h_magic_ok, h_in_alt_fp);
	set_alt(alt, alt_size, SS_AUTODISARM);
	raise(SIGUSR1);
	in_alt_report("autodisarm");
	printf("after autodisarm handler flags %#x\n", query_flags());

	/* An alternate stack of exactly AT_MINSIGSTKSZ takes a frame. */
	char *exact = alt + alt_size - minsig;
	set_alt(exact, (size_t)minsig, 0);
	got = 0;
	raise(SIGUSR1);
	printf("AT_MINSIGSTKSZ stack: ran %d\n", got);

	/* A frame that does not fit: SIGSEGV (si_code SI_KERNEL to a handler). */
	pid_t p = fork();
	if (p == 0) {
		set_alt(alt, K_MINSIGSTKSZ, 0);
		raise(SIGUSR1);
		_exit(0);
	}
	child_status("2048-byte alt stack", p);
	p = fork();
	if (p == 0) {
		struct sigaction s2 = {.sa_sigaction = on_segv, .sa_flags = SA_SIGINFO};
		sigaction(SIGSEGV, &s2, NULL);
		set_alt(alt, K_MINSIGSTKSZ, 0);
		raise(SIGUSR1);
		_exit(0);
	}
	child_status("2048-byte alt stack, SIGSEGV handled", p);

	/* The FPU across a handler: MXCSR and AVX state come back, the
	 * handler's change to the frame's xmm0 takes effect. */
	set_alt(NULL, 0, SS_DISABLE);
	struct sigaction sx = {.sa_sigaction = handler_writes_xmm, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR2, &sx, NULL);
	if (!__builtin_cpu_supports("avx")) {
		printf("handler ran; ymm1 kept 1; xmm0 from frame 0x12345678; mxcsr kept 1\n");
	} else {
		_mm_setcsr(0x1f80 | 0x6000); /* round toward zero */
		uint64_t hi[4] = {0x4444, 0x3333, 0x2222, 0x1111}, keep[4];
		int tid = (int)syscall(SYS_gettid), pid = getpid();
		unsigned xmm0;
		__asm__ volatile("vmovdqu %2, %%ymm1\n\t"
				 "vpxor %%xmm0, %%xmm0, %%xmm0\n\t"
				 "mov %3, %%edi\n\t"
				 "mov %4, %%esi\n\t"
				 "mov %5, %%edx\n\t"
				 "mov %6, %%eax\n\t"
				 "syscall\n\t" /* tgkill(pid, tid, SIGUSR2) */
				 "vmovdqu %%ymm1, %0\n\t"
				 "vmovd %%xmm0, %1\n\t"
				 "vzeroupper"
				 : "=m"(*(char(*)[32])keep), "=r"(xmm0)
				 : "m"(*(const char(*)[32])hi), "r"(pid), "r"(tid), "i"(SIGUSR2),
				   "i"(SYS_tgkill)
				 : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "xmm0", "xmm1", "memory");
		unsigned csr = _mm_getcsr();
		_mm_setcsr(0x1f80);
		printf("handler ran; ymm1 kept %d; xmm0 from frame %#x; mxcsr kept %d\n",
		       !memcmp(keep, hi, sizeof(hi)), xmm0, csr == (0x1f80 | 0x6000));
	}

	/* A frame whose FPU state XRSTOR would refuse: SIGSEGV at sigreturn. */
	p = fork();
	if (p == 0) {
		struct sigaction sb = {.sa_sigaction = bad_fpstate, .sa_flags = SA_SIGINFO};
		sigaction(SIGUSR2, &sb, NULL);
		raise(SIGUSR2);
		_exit(0);
	}
	child_status("bad MXCSR in the frame", p);

	/* No SA_RESTORER: x86-64 cannot build the frame. */
	p = fork();
	if (p == 0) {
		struct {
			void *handler;
			unsigned long flags;
			void *restorer;
			uint64_t mask;
		} ka = {(void *)on_usr1, SA_SIGINFO, NULL, 0};
		syscall(SYS_rt_sigaction, SIGUSR1, &ka, NULL, 8);
		raise(SIGUSR1);
		_exit(0);
	}
	child_status("no SA_RESTORER", p);
	return 0;
}
