/* Conformance: poll and select over two host fds at once (the inherited
 * stdout and stderr: under `visor do` they are donated host fds, and a
 * sleep on two of them once killed the Sentry in its jail). */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <sys/select.h>
#include <time.h>

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void)
{
	struct timespec t0;
	/* The write ends of the output: never readable, so this sleeps out
	 * its timeout. */
	struct pollfd p[2] = {{.fd = 1, .events = POLLIN}, {.fd = 2, .events = POLLIN}};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = poll(p, 2, 100);
	printf("poll idle: %d %#x %#x slept>=90ms %d\n", r, p[0].revents, p[1].revents,
	       ms_since(&t0) >= 90);
	fflush(stdout);
	p[0].events = POLLIN | POLLOUT;
	r = poll(p, 2, 1000);
	printf("poll one ready: %d %#x %#x\n", r, p[0].revents, p[1].revents);
	fflush(stdout);
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(1, &rd);
	FD_SET(2, &rd);
	struct timeval tv = {0, 100000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = select(3, &rd, NULL, NULL, &tv);
	printf("select idle: %d %d %d slept>=90ms %d\n", r, FD_ISSET(1, &rd), FD_ISSET(2, &rd),
	       ms_since(&t0) >= 90);
	/* Many times: one epoll set per sleep, none left behind. */
	int zero = 0;
	for (int i = 0; i < 200; i++) {
		p[0].events = POLLIN;
		if (poll(p, 2, 1) == 0)
			zero++;
	}
	printf("200 short polls timed out: %d\n", zero);
	return 0;
}
