/* stats_load.c — load for test_docker_stats.sh: `mem MB` allocates MB
 * megabytes, writes every page, says "ready" and sleeps; `burn` spins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "mem")) {
		size_t n = (size_t)atol(argv[2]) << 20;
		char *p = malloc(n);
		if (!p) {
			perror("malloc");
			return 1;
		}
		for (size_t i = 0; i < n; i += 4096)
			p[i] = (char)(i >> 12 | 1);
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (argc == 2 && !strcmp(argv[1], "burn")) {
		printf("ready\n");
		fflush(stdout);
		for (volatile unsigned long i = 0;; i++)
			;
	}
	fprintf(stderr, "usage: stats_load mem MB | burn\n");
	return 2;
}
