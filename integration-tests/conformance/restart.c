/* Conformance: restart_syscall.  A sleep, a timed poll and a timed futex
 * wait interrupted by a stop (SIGSTOP, then SIGCONT: no handler runs) go on
 * through restart_syscall toward their original deadline, so they end soon
 * after the continue instead of starting their timeout over; a handled
 * signal ends them with EINTR; restart_syscall with nothing to restart is
 * EINTR. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000LL + t.tv_nsec / 1000000;
}

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINTR: return "EINTR";
	case ETIMEDOUT: return "ETIMEDOUT";
	}
	static char b[32];
	snprintf(b, sizeof(b), "errno %d", e);
	return b;
}

static void on_usr1(int s) { (void)s; }

/* In a child: run the call (timeout 1 s); the parent stops the child at
 * 100 ms and continues it at 1600 ms.  The child reports how it ended and
 * whether it ended before 2300 ms (its own deadline plus the stop, not a
 * timeout started over at the continue). */
static void stopped(const char *what, int kind)
{
	int pfd[2];
	pipe(pfd);
	pid_t c = fork();
	if (c == 0) {
		close(pfd[0]);
		write(pfd[1], "r", 1); /* the parent's 100 ms start now */
		int64_t t0 = now_ms();
		long r = 0;
		errno = 0;
		static uint32_t word;
		struct timespec one = {1, 0};
		if (kind == 0)
			r = nanosleep(&one, NULL);
		else if (kind == 1)
			r = clock_nanosleep(CLOCK_MONOTONIC, 0, &one, NULL) ? -1 : 0;
		else if (kind == 2)
			r = poll(NULL, 0, 1000);
		else
			r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &one, NULL, 0);
		int e = errno;
		int64_t el = now_ms() - t0;
		char msg[128];
		int n = snprintf(msg, sizeof(msg), "%s: ret %ld %s after the stop %d early %d\n", what,
				 r, r < 0 ? en(e) : "OK", el >= 1500, el < 2300);
		write(pfd[1], msg, n);
		_exit(0);
	}
	close(pfd[1]);
	char ready;
	read(pfd[0], &ready, 1);
	usleep(100 * 1000);
	kill(c, SIGSTOP);
	usleep(1500 * 1000);
	kill(c, SIGCONT);
	char buf[128] = {0};
	read(pfd[0], buf, sizeof(buf) - 1);
	fputs(buf, stdout);
	close(pfd[0]);
	waitpid(c, NULL, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	errno = 0;
	long r = syscall(SYS_restart_syscall);
	printf("restart_syscall alone: %ld %s\n", r, en(errno));
	stopped("nanosleep", 0);
	stopped("clock_nanosleep", 1);
	stopped("poll", 2);
	stopped("futex wait", 3);

	/* A handled signal: EINTR, even with SA_RESTART for these calls. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, NULL);
	/* The child signals every 100 ms until both calls are over (its
	 * pipe closes): each call is interrupted however slow we are. */
	pid_t parent = getpid();
	int done[2];
	pipe(done);
	pid_t c = fork();
	if (c == 0) {
		close(done[1]);
		struct pollfd dp = {.fd = done[0], .events = POLLIN};
		for (int i = 0; i < 100 && poll(&dp, 1, 100) == 0; i++)
			kill(parent, SIGUSR1);
		_exit(0);
	}
	close(done[0]);
	struct timespec one = {1, 0}, rem = {0, 0};
	errno = 0;
	r = nanosleep(&one, &rem);
	printf("nanosleep handled: %ld %s remaining-set %d\n", r, en(errno),
	       rem.tv_sec == 0 && rem.tv_nsec > 0);
	errno = 0;
	r = poll(NULL, 0, 1000);
	printf("poll handled: %ld %s\n", r, en(errno));
	close(done[1]);
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		; /* a last signal of the child's may land here */
	return 0;
}
