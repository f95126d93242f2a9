/*
 * Conformance (and a stress test of signal delivery into blocked calls): a
 * thread sends SIGURG to every other thread as fast as it can, as Go's
 * runtime does to preempt goroutines, while those threads block and are
 * woken over and over: futex waits with and without a timeout, pipe reads,
 * nanosleep.  Nothing may be lost (every wake-up arrives, every byte is
 * read, nobody hangs), and the restart rules hold as on Linux: with
 * SA_RESTART a futex wait without a timeout and a pipe read are restarted,
 * never seen failing with EINTR; a futex wait with a timeout returns EINTR
 * (its restart block is not used when a handler ran).
 *
 * argv[1] (optional): rounds (default 400; anything but a number, such as
 * the scratch directory test_conformance.sh passes: 50).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define NW 6 /* waiters: 0-1 futex without timeout, 2-3 with, 4 pipe, 5 nanosleep */

static int rounds = 400;
static _Atomic uint32_t word[NW];
static atomic_int tids[NW], stop, done_count;
static atomic_long handled;
static int pipes[2];
static long eintr_untimed, eintr_pipe, wrong;

static void on_urg(int sig) { (void)sig; atomic_fetch_add(&handled, 1); }

static long futex(_Atomic uint32_t *w, int op, uint32_t v, const struct timespec *ts)
{
	return syscall(SYS_futex, w, op, v, ts, NULL, 0);
}

static void *waiter(void *arg)
{
	int id = (int)(long)arg;
	atomic_store(&tids[id], (int)syscall(SYS_gettid));
	for (uint32_t r = 1; r <= (uint32_t)rounds; r++) {
		if (id == 4) {
			char c;
			ssize_t n;
			while ((n = read(pipes[0], &c, 1)) < 0 && errno == EINTR)
				eintr_pipe++;
			if (n != 1 || c != (char)r)
				wrong++;
			continue;
		}
		if (id == 5) {
			struct timespec ts = {0, 200000}, rem;
			while (nanosleep(&ts, &rem) < 0 && errno == EINTR)
				ts = rem;
			continue;
		}
		/* Wait until the main thread has moved our word to r (or past). */
		uint32_t v;
		while ((v = atomic_load(&word[id])) < r) {
			if (id < 2) {
				if (futex(&word[id], FUTEX_WAIT_PRIVATE, v, NULL) < 0 && errno == EINTR)
					eintr_untimed++;
			} else {
				struct timespec ts = {0, 50 * 1000000L};
				futex(&word[id], FUTEX_WAIT_PRIVATE, v, &ts);
			}
		}
	}
	atomic_fetch_add(&done_count, 1);
	return NULL;
}

static void *storm(void *arg)
{
	(void)arg;
	pid_t pid = getpid();
	long sent = 0;
	while (!atomic_load(&stop)) {
		for (int i = 0; i < NW; i++) {
			int t = atomic_load(&tids[i]);
			if (t > 0 && syscall(SYS_tgkill, pid, t, SIGURG) == 0)
				sent++;
		}
		/* A breath between sweeps: a storm with no pause starves
		 * the waiters it interrupts on a loaded host (natively too). */
		struct timespec ts = {0, 20000};
		nanosleep(&ts, NULL);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	/* A number; the conformance harness passes a scratch directory: fewer
	 * rounds then (a storm of 400 rounds keeps a loaded 2-CPU host busy
	 * for minutes natively). */
	if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9')
		rounds = atoi(argv[1]);
	else if (argc > 1)
		rounds = 50;
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_urg;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGURG, &sa, NULL);
	if (pipe(pipes) < 0)
		return 1;
	pthread_t w[NW], s;
	for (long i = 0; i < NW; i++)
		pthread_create(&w[i], NULL, waiter, (void *)i);
	pthread_create(&s, NULL, storm, NULL);
	/* The first signal lands while every waiter still waits for round 1. */
	while (rounds > 0 && atomic_load(&handled) == 0) {
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
	}
	for (uint32_t r = 1; r <= (uint32_t)rounds; r++) {
		struct timespec ts = {0, 100000};
		nanosleep(&ts, NULL);
		for (int i = 0; i < 4; i++) {
			atomic_store(&word[i], r);
			futex(&word[i], FUTEX_WAKE_PRIVATE, 1, NULL);
		}
		char c = (char)r;
		if (write(pipes[1], &c, 1) != 1)
			return 1;
	}
	/* Everyone must finish; a lost wake-up would hang here (the timed
	 * waiters recover by their timeouts, the others would not). */
	for (int i = 0; i < NW; i++)
		pthread_join(w[i], NULL);
	atomic_store(&stop, 1);
	pthread_join(s, NULL);
	printf("rounds %d: waiters done %d, signals handled: %s\n", rounds,
	       atomic_load(&done_count), atomic_load(&handled) > 0 ? "yes" : "no");
	printf("EINTR from untimed futex waits %ld, from pipe reads %ld, wrong bytes %ld\n",
	       eintr_untimed, eintr_pipe, wrong);
	return 0;
}
