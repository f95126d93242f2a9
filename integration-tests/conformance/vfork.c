/* Conformance: vfork really suspends the parent until the child exits or
 * execs, and the child runs in the parent's memory meanwhile. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int shared_flag;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 2 && strcmp(argv[2], "exec-child") == 0)
		return 4;
	double t0 = now();
	pid_t c = vfork();
	if (c == 0) {
		struct timespec d = {0, 200 * 1000 * 1000};
		nanosleep(&d, NULL);
		shared_flag = 42; /* the parent's memory */
		_exit(3);
	}
	double waited = now() - t0;
	printf("parent resumed after the child's exit: waited >= 0.2s %d, saw the child's write %d\n",
	       waited >= 0.19, shared_flag == 42);
	int st;
	waitpid(c, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));

	t0 = now();
	c = vfork();
	if (c == 0) {
		struct timespec d = {0, 200 * 1000 * 1000};
		nanosleep(&d, NULL);
		execl("/proc/self/exe", "vfork", argc > 1 ? argv[1] : "-", "exec-child", (char *)NULL);
		_exit(127);
	}
	waited = now() - t0;
	printf("parent resumed at the child's exec: waited >= 0.2s %d\n", waited >= 0.19);
	waitpid(c, &st, 0);
	printf("exec'd child status %d\n", WEXITSTATUS(st));
	return 0;
}
