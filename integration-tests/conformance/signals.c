/* Conformance: handlers, masks, pending, sigaltstack, SA_RESETHAND,
 * synchronous SIGSEGV, kill to another process. */
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got, on_alt;
static char altstack[65536];
static sigjmp_buf jb;

static void h(int sig, siginfo_t *si, void *uc)
{
	char here;
	got = sig;
	on_alt = &here >= altstack && &here < altstack + sizeof(altstack);
}

static void segv(int sig, siginfo_t *si, void *uc)
{
	siglongjmp(jb, (int)(((uintptr_t)si->si_addr) & 0xfff) + 1);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = h;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	printf("handler ran: %d\n", got == SIGUSR1);

	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	got = 0;
	raise(SIGUSR1);
	sigset_t pend;
	sigpending(&pend);
	printf("blocked: ran=%d pending=%d\n", got != 0, sigismember(&pend, SIGUSR1));
	sigprocmask(SIG_SETMASK, &old, NULL);
	printf("unblocked: ran=%d\n", got == SIGUSR1);

	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	sigaltstack(&ss, NULL);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
	sigaction(SIGUSR2, &sa, NULL);
	got = 0;
	raise(SIGUSR2);
	printf("altstack: ran=%d on_alt=%d\n", got == SIGUSR2, (int)on_alt);
	struct sigaction cur;
	sigaction(SIGUSR2, NULL, &cur);
	printf("reset to default: %d\n", cur.sa_handler == SIG_DFL);

	struct sigaction sv;
	memset(&sv, 0, sizeof(sv));
	sv.sa_sigaction = segv;
	sv.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sv, NULL);
	char *p = mmap(NULL, 8192, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int r = sigsetjmp(jb, 1);
	if (r == 0) {
		p[0x123] = 1;
		printf("write to read-only page did not fault\n");
	} else {
		printf("segv at offset 0x%x\n", r - 1);
	}
	r = sigsetjmp(jb, 1);
	if (r == 0)
		*(volatile int *)16 = 1;
	else
		printf("segv at null+16: 0x%x\n", r - 1);

	pid_t c = fork();
	if (c == 0) {
		signal(SIGTERM, SIG_DFL);
		pause();
		_exit(0);
	}
	usleep(20000);
	kill(c, SIGTERM);
	int st;
	waitpid(c, &st, 0);
	printf("child paused then killed by %d\n", WTERMSIG(st));

	signal(SIGCHLD, SIG_IGN);
	c = fork();
	if (c == 0)
		_exit(0);
	usleep(50000);
	printf("SIG_IGN SIGCHLD autoreaps: wait=%d\n", (int)waitpid(c, &st, 0));
	return 0;
}
