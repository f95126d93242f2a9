/* Conformance: sigtimedwait/sigwaitinfo on blocked signals, timeouts. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	struct timespec zero = {0, 0}, short_wait = {0, 50 * 1000 * 1000};
	siginfo_t si;
	int r = sigtimedwait(&set, &si, &zero);
	printf("poll with nothing pending: %d %s\n", r, strerror(errno));
	r = sigtimedwait(&set, &si, &short_wait);
	printf("timeout: %d %s\n", r, strerror(errno));
	pid_t c = fork();
	if (c == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	r = sigwaitinfo(&set, &si);
	printf("got %d from child %d code user %d\n", r, si.si_pid == c, si.si_code == SI_USER);
	waitpid(c, NULL, 0);
	raise(SIGUSR1);
	r = sigtimedwait(&set, &si, &zero);
	printf("already pending: %d\n", r);
	sigset_t pend;
	sigpending(&pend);
	printf("consumed: %d\n", !sigismember(&pend, SIGUSR1));
	return 0;
}
