/* Conformance: real-time signals queue every instance in order with their
 * values; standard ones coalesce; RLIMIT_SIGPENDING bounds sigqueue. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGRTMIN + 1);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct timespec zero = {0, 0};
	siginfo_t si;
	for (int v = 1; v <= 3; v++)
		sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = v});
	sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 9});
	sigset_t pend;
	sigpending(&pend);
	printf("pending rtmin %d rtmin+1 %d\n", sigismember(&pend, SIGRTMIN),
	       sigismember(&pend, SIGRTMIN + 1));
	for (;;) {
		int s = sigtimedwait(&set, &si, &zero);
		if (s < 0)
			break;
		printf("got %s value %d code %d\n", s == SIGRTMIN ? "rtmin" : s == SIGRTMIN + 1 ? "rtmin+1" : "other",
		       si.si_value.sival_int, si.si_code);
	}
	printf("then: %s\n", errno == EAGAIN ? "EAGAIN" : "other");
	raise(SIGUSR1);
	raise(SIGUSR1);
	int n = 0;
	while (sigtimedwait(&set, &si, &zero) > 0)
		n++;
	printf("standard signal twice, taken %d\n", n);

	struct rlimit rl, two;
	getrlimit(RLIMIT_SIGPENDING, &rl);
	two.rlim_cur = 0; /* per user natively: any other limit depends on the host */
	two.rlim_max = rl.rlim_max;
	setrlimit(RLIMIT_SIGPENDING, &two);
	int ok = 0, eagain = 0;
	for (int i = 0; i < 5; i++) {
		if (sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = i}) == 0)
			ok++;
		else if (errno == EAGAIN)
			eagain++;
	}
	printf("sigqueue under a limit of 0: ok %d eagain %d\n", ok, eagain);
	/* kill() still sends a real-time signal past the limit. */
	printf("kill past the limit: %d\n", kill(getpid(), SIGRTMIN + 1));
	n = 0;
	while (sigtimedwait(&set, &si, &zero) > 0)
		n++;
	printf("taken %d\n", n);
	setrlimit(RLIMIT_SIGPENDING, &rl);
	return 0;
}
