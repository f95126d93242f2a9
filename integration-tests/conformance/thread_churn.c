/*
 * Conformance (and a stress test of the platforms' thread creation): many
 * threads created and ended concurrently while other threads of the same
 * process keep the address space busy with syscalls, mmap/munmap and page
 * faults, in fresh processes (a fork per round) so that every round creates
 * new host threads, not only reuses spare ones.
 *
 * On systrap a new app thread is cloned by the stub's leader while the
 * Sentry keeps sending the leader requests (the munmaps and maps of the
 * busy threads): this once hung (the new thread took a later request for
 * its own and never trapped).  integration-tests/stress_threads.sh runs this
 * program many times in a row.
 *
 * argv[2] (optional): rounds (default 12).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BUSY 3	 /* threads keeping the address space busy */
#define BURST 12 /* threads created back to back per wave */
#define WAVES 3

static atomic_int stop;
static atomic_long work;

/* Syscalls, maps, faults and unmaps until told to stop. */
static void *busy(void *arg)
{
	(void)arg;
	long n = 0;
	while (!atomic_load(&stop)) {
		char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p == MAP_FAILED)
			return (void *)1;
		p[0] = 1;
		p[8192] = 2;
		if (mprotect(p, 4096, PROT_READ) < 0 || munmap(p, 3 * 4096) < 0)
			return (void *)1;
		syscall(SYS_getpid);
		n++;
	}
	atomic_fetch_add(&work, n);
	return NULL;
}

/* A short-lived thread: a few syscalls and a touched page, then a child
 * thread of its own. */
static void *leaf(void *arg)
{
	long v = (long)arg;
	for (int i = 0; i < 20; i++)
		syscall(SYS_gettid);
	return (void *)(v * 2);
}

static void *burst(void *arg)
{
	long v = (long)arg;
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return (void *)-1L;
	p[0] = (char)v;
	pthread_t t;
	void *r = NULL;
	if (pthread_create(&t, NULL, leaf, (void *)v) != 0 || pthread_join(t, &r) != 0)
		r = (void *)-1L;
	munmap(p, 4096);
	return (void *)((long)r + 1);
}

/* One round, in a fresh process: the busy threads, then waves of bursts.
 * 0 when every thread answered as it should. */
static int round_child(int round)
{
	pthread_t b[BUSY];
	for (int i = 0; i < BUSY; i++)
		if (pthread_create(&b[i], NULL, busy, NULL) != 0)
			return 1;
	int bad = 0;
	for (int w = 0; w < WAVES; w++) {
		pthread_t t[BURST];
		for (long i = 0; i < BURST; i++)
			if (pthread_create(&t[i], NULL, burst, (void *)(round * 100 + i)) != 0)
				return 2;
		for (long i = 0; i < BURST; i++) {
			void *r;
			pthread_join(t[i], &r);
			if ((long)r != (round * 100 + i) * 2 + 1)
				bad++;
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < BUSY; i++) {
		void *r;
		pthread_join(b[i], &r);
		if (r)
			bad++;
	}
	return bad ? 3 : atomic_load(&work) > 0 ? 0 : 4;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int rounds = argc > 2 ? atoi(argv[2]) : 12;
	int ok = 0;
	for (int r = 0; r < rounds; r++) {
		pid_t pid = fork();
		if (pid < 0) {
			printf("fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0)
			_exit(round_child(r));
		int st;
		if (waitpid(pid, &st, 0) != pid) {
			printf("waitpid: %s\n", strerror(errno));
			return 1;
		}
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
		else
			printf("round %d: %s %d\n", r, WIFEXITED(st) ? "exit" : "signal",
			       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	/* The same churn in this process too (spare threads reused). */
	int last = round_child(rounds);
	printf("rounds ok %d of %d, last %d\n", ok, rounds, last);
	return 0;
}
