/* Conformance: job-control stops — SIGSTOP/SIGTSTP stop a child, wait
 * reports WIFSTOPPED/WIFCONTINUED, SIGCHLD carries CLD_STOPPED, SIGCONT
 * resumes, SIGKILL ends a stopped child. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld_codes[8], nchld;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
	if (nchld < 8)
		chld_codes[nchld++] = si->si_code;
}

static pid_t spawn_sleeper(void)
{
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0); /* its own, non-orphaned group (parent in another) */
		for (;;)
			pause();
	}
	setpgid(c, c);
	return c;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_chld;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigaction(SIGCHLD, &sa, NULL);
	int st;
	for (int round = 0; round < 2; round++) {
		int sig = round ? SIGTSTP : SIGSTOP;
		pid_t c = spawn_sleeper();
		usleep(20000);
		kill(c, sig);
		pid_t w = waitpid(c, &st, WUNTRACED);
		printf("%s: stopped %d by %d\n", round ? "TSTP" : "STOP", w == c && WIFSTOPPED(st),
		       WSTOPSIG(st));
		printf("no second stop report: %d\n", (int)waitpid(c, &st, WUNTRACED | WNOHANG));
		kill(c, SIGCONT);
		w = waitpid(c, &st, WCONTINUED);
		printf("continued %d\n", w == c && WIFCONTINUED(st));
		if (round) {
			kill(c, SIGSTOP);
			waitpid(c, &st, WUNTRACED);
			kill(c, SIGKILL);
		} else {
			kill(c, SIGTERM);
		}
		w = waitpid(c, &st, 0);
		printf("ended by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
	}
	usleep(20000);
	/* Standard signals coalesce, so how many arrive depends on timing;
	 * that a stop was announced with CLD_STOPPED does not. */
	int stopped_seen = 0;
	for (int i = 0; i < nchld; i++)
		stopped_seen |= chld_codes[i] == CLD_STOPPED;
	printf("SIGCHLD announced a stop: %d\n", stopped_seen);
	return 0;
}
