/* Conformance: prctl(2) breadth: PR_SET/GET_NAME, PR_SET/GET_PDEATHSIG
 * (delivered when the parent exits, not inherited), PR_SET/GET_DUMPABLE
 * (inherited by fork, reset by execve), PR_SET/GET_CHILD_SUBREAPER (orphans
 * come to the subreaper, which can wait for them), PR_SET/GET_NO_NEW_PRIVS. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EPERM: return "EPERM";
	}
	return "other";
}

static int pipefd[2];

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char c = si->si_code == SI_USER ? 'U' : '?';
	(void)sig;
	write(pipefd[1], &c, 1);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 2 && strcmp(argv[2], "after-exec") == 0) {
		printf("dumpable after execve: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
		int sig = -1;
		prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
		printf("pdeathsig after execve: %d\n", sig);
		return 0;
	}

	char name[32] = "";
	int r = prctl(PR_SET_NAME, "a-very-long-thread-name", 0, 0, 0);
	prctl(PR_GET_NAME, name, 0, 0, 0);
	printf("name: %d %s\n", r, name);
	r = prctl(PR_SET_NAME, (char *)8, 0, 0, 0);
	printf("name bad pointer: %s\n", ename(r));

	int sig = -1;
	r = prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	printf("pdeathsig initially: %d %d\n", r, sig);
	r = prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0);
	printf("pdeathsig 65: %s\n", ename(r));
	r = prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
	prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
	printf("pdeathsig set: %d %d\n", r, sig);
	r = prctl(PR_GET_PDEATHSIG, (int *)8, 0, 0, 0);
	printf("pdeathsig bad pointer: %s\n", ename(r));
	pid_t c = fork();
	if (c == 0) {
		prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
		printf("child's pdeathsig: %d\n", sig);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);

	printf("dumpable: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	printf("dumpable 2: %s\n", ename(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0)));
	printf("dumpable 0: %s\n", ename(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)));
	printf("dumpable now: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
	c = fork();
	if (c == 0) {
		printf("child's dumpable: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
		prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
		execl("/proc/self/exe", "prctl", argv[1], "after-exec", (char *)NULL);
		_exit(1);
	}
	waitpid(c, NULL, 0);
	prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);

	int v = -1;
	prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
	printf("subreaper initially: %d\n", v);
	r = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0);
	printf("subreaper set: %d %d\n", r, v);

	/* me -> middle -> grandchild; the middle exits: the grandchild gets
	 * its PR_SET_PDEATHSIG signal and me as its parent. */
	pipe(pipefd);
	int ready[2];
	pipe(ready);
	pid_t me = getpid();
	pid_t middle = fork();
	if (middle == 0) {
		pid_t g = fork();
		if (g == 0) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_sigaction = on_usr1;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGUSR1, &sa, NULL);
			prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
			write(ready[1], "r", 1);
			char ch;
			while (read(pipefd[0], &ch, 1) != 1)
				;
			printf("grandchild: death signal %c, reparented to the subreaper %d\n", ch,
			       getppid() == me);
			_exit(7);
		}
		char ch;
		read(ready[0], &ch, 1);
		_exit(0);
	}
	int st, mst;
	waitpid(middle, &mst, 0);
	pid_t w = wait(&st); /* the grandchild has printed its line */
	printf("middle exited %d\n", WEXITSTATUS(mst));
	printf("subreaper reaped the grandchild: %d status %d\n", w > 0 && w != middle,
	       WEXITSTATUS(st));
	w = wait(&st);
	printf("no more children: %d %s\n", w, w < 0 && errno == ECHILD ? "ECHILD" : "?");

	printf("no_new_privs: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("no_new_privs 2: %s\n", ename(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0)));
	printf("no_new_privs set: %d\n", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	printf("no_new_privs now: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	printf("unknown option: %s\n", ename(prctl(12345, 0, 0, 0, 0)));
	return 0;
}
