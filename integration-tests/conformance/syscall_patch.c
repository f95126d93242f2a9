/*
 * syscall_patch.c — syscall sites called again and again, as the systrap
 * platform patches them (platform/systrap/patch.c): each must go on
 * behaving as a `syscall` instruction.  Sites: glibc's wrappers (getppid,
 * write), glibc's syscall(), and sites of our own (`mov $nr,%eax; syscall`,
 * at each alignment within 16 bytes).  Checked: the results, every register
 * but rax, rcx and r11 kept (general, SSE, flags), rcx and r11 as Linux
 * leaves them (the next rip, rflags), signals taken while a thread loops on
 * patched sites (and in a handler that calls them), threads sharing the
 * sites, a forked child running the parent's patched pages, and a signal
 * handler that changes the registers a patched call returns with.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define LOOPS 3000

/* A site of our own at offset OFF of a 16-byte line: getppid, with every
 * register we can name set before and read after. */
struct regs {
	uint64_t rbx, rdx, rsi, rdi, r8, r9, r10, r12, r13, r14, r15, rcx, r11, xmm7, cf;
};

#define SITE(OFF)                                                                                  \
	static long site_##OFF(struct regs *o)                                                     \
	{                                                                                          \
		long ret;                                                                          \
		__asm__ volatile("push %%rbx\n\t"                                                  \
				 "push %%r12\n\t"                                                  \
				 "push %%r13\n\t"                                                  \
				 "push %%r14\n\t"                                                  \
				 "push %%r15\n\t"                                                  \
				 "push %%rax\n\t" /* o */                                          \
				 "movabs $0x1111111111111111, %%rbx\n\t"                          \
				 "lea 1(%%rbx), %%rdx\n\t"                                         \
				 "lea 2(%%rbx), %%rsi\n\t"                                         \
				 "lea 3(%%rbx), %%rdi\n\t"                                         \
				 "lea 4(%%rbx), %%r8\n\t"                                          \
				 "lea 5(%%rbx), %%r9\n\t"                                          \
				 "lea 6(%%rbx), %%r10\n\t"                                         \
				 "lea 7(%%rbx), %%r12\n\t"                                         \
				 "lea 8(%%rbx), %%r13\n\t"                                         \
				 "lea 9(%%rbx), %%r14\n\t"                                         \
				 "lea 10(%%rbx), %%r15\n\t"                                        \
				 "movq %%r15, %%xmm7\n\t"                                          \
				 "jmp 1f\n\t"                                                      \
				 ".balign 16\n\t"                                                  \
				 ".fill " #OFF ", 1, 0x90\n"                                       \
				 "1:\tstc\n\t"                                                     \
				 "mov $110, %%eax\n\t"                                             \
				 "syscall\n\t"                                                     \
				 "2:\n\t"                                                          \
				 "setc %%cl\n\t"                                                   \
				 "xchg %%rax, (%%rsp)\n\t"                                         \
				 "mov %%rbx, 0(%%rax)\n\t"                                         \
				 "mov %%rdx, 8(%%rax)\n\t"                                         \
				 "mov %%rsi, 16(%%rax)\n\t"                                        \
				 "mov %%rdi, 24(%%rax)\n\t"                                        \
				 "mov %%r8, 32(%%rax)\n\t"                                         \
				 "mov %%r9, 40(%%rax)\n\t"                                         \
				 "mov %%r10, 48(%%rax)\n\t"                                        \
				 "mov %%r12, 56(%%rax)\n\t"                                        \
				 "mov %%r13, 64(%%rax)\n\t"                                        \
				 "mov %%r14, 72(%%rax)\n\t"                                        \
				 "mov %%r15, 80(%%rax)\n\t"                                        \
				 "movzbq %%cl, %%rcx\n\t"                                          \
				 "mov %%rcx, 112(%%rax)\n\t"                                       \
				 "lea 2b(%%rip), %%rcx\n\t"                                        \
				 "mov %%rcx, 88(%%rax)\n\t" /* (what rcx should be) */             \
				 "mov %%r11, 96(%%rax)\n\t"                                        \
				 "movq %%xmm7, 104(%%rax)\n\t"                                     \
				 "pop %%rax\n\t"                                                   \
				 "pop %%r15\n\t"                                                   \
				 "pop %%r14\n\t"                                                   \
				 "pop %%r13\n\t"                                                   \
				 "pop %%r12\n\t"                                                   \
				 "pop %%rbx\n\t"                                                   \
				 : "=a"(ret)                                                       \
				 : "a"(o)                                                           \
				 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "xmm7",   \
				   "memory", "cc");                                                \
		return ret;                                                                        \
	}

SITE(0)
SITE(1)
SITE(3)
SITE(4)
SITE(7)
SITE(9)
SITE(11)
SITE(12)
SITE(14)

static long (*const sites[])(struct regs *) = {site_0, site_1, site_3, site_4, site_7,
					       site_9, site_11, site_12, site_14};
#define NSITES (sizeof(sites) / sizeof(sites[0]))

static pid_t ppid;

/* Every site LOOPS times; 0 when every call did as a syscall does. */
static int run_sites(int loops)
{
	int bad = 0;
	for (int i = 0; i < loops; i++) {
		for (unsigned s = 0; s < NSITES; s++) {
			struct regs r;
			memset(&r, 0, sizeof(r));
			long v = sites[s](&r);
			uint64_t b = 0x1111111111111111ULL;
			if (v != ppid || r.rbx != b || r.rdx != b + 1 || r.rsi != b + 2 ||
			    r.rdi != b + 3 || r.r8 != b + 4 || r.r9 != b + 5 || r.r10 != b + 6 ||
			    r.r12 != b + 7 || r.r13 != b + 8 || r.r14 != b + 9 || r.r15 != b + 10 ||
			    r.xmm7 != b + 10 || r.cf != 1 || !(r.r11 & 1) || !(r.r11 & 0x200)) {
				static int shown;
				bad++;
				if (shown++ < 3)
					printf("  site %u call %d: ret %s, registers %s\n", s, i,
					       v == ppid ? "ok" : "WRONG",
					       r.rbx == b && r.r15 == b + 10 && r.xmm7 == b + 10 ? "ok"
												  : "WRONG");
			}
		}
		if (syscall(SYS_getppid) != ppid || getppid() != ppid)
			bad++;
	}
	return bad;
}

static volatile sig_atomic_t alarms, handler_bad;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
	if (run_sites(1) != 0)
		handler_bad++;
}

static void *thread_main(void *arg)
{
	(void)arg;
	return (void *)(intptr_t)run_sites(LOOPS / 4);
}

/* SIGUSR1's handler moves the interrupted context's rip: the patched call
 * that was running returns elsewhere. */
static int usr1_seen;
static void on_usr1(int sig) { usr1_seen = sig; }

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	ppid = getppid();
	printf("sites, %u alignments x %d calls: %d bad\n", (unsigned)NSITES, LOOPS,
	       run_sites(LOOPS));

	/* Signals while looping on the sites, and sites in the handler. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 2000}, {0, 2000}};
	setitimer(ITIMER_REAL, &it, NULL);
	int bad = 0;
	while (alarms < 20)
		bad += run_sites(10);
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	printf("with signals: %d bad, handler %d bad\n", bad, (int)handler_bad);

	/* A signal raised by a patched call (kill of ourselves). */
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < 100; i++)
		syscall(SYS_kill, getpid(), SIGUSR1);
	printf("kill self: signal %d\n", usr1_seen);

	/* Threads on the same sites. */
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, thread_main, NULL);
	long tbad = 0;
	for (int i = 0; i < 4; i++) {
		void *r;
		pthread_join(th[i], &r);
		tbad += (long)(intptr_t)r;
	}
	printf("4 threads: %ld bad\n", tbad);

	/* A child runs the patched pages it inherited. */
	pid_t c = fork();
	if (c == 0) {
		ppid = getppid();
		_exit(run_sites(LOOPS / 4) ? 1 : 0);
	}
	int st = 0;
	waitpid(c, &st, 0);
	printf("forked child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
