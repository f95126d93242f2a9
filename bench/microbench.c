/*
 * microbench.c — per-operation cost of a syscall, an open/close pair and a
 * fork/exit/wait, printed as "name ns_per_op".  Static, so the same binary
 * runs natively, under visor, runc and runsc.
 *
 *   microbench getpid|openclose|fork ITERATIONS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	const char *what = argv[1];
	double t0 = now();
	if (!strcmp(what, "getpid")) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else if (!strcmp(what, "openclose")) {
		for (long i = 0; i < n; i++) {
			int fd = open(argv[0], O_RDONLY);
			if (fd < 0)
				return 1;
			close(fd);
		}
	} else if (!strcmp(what, "fork")) {
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0)
				_exit(0);
			int st;
			waitpid(p, &st, 0);
		}
	} else {
		return 2;
	}
	printf("%s %.0f\n", what, (now() - t0) / n);
	return 0;
}
