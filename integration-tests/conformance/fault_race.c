/*
 * Conformance (and a stress test of the platforms' page-fault paths): many
 * threads fault the same fresh pages at the same moment, over and over.
 * Every round the pages are dropped (MADV_DONTNEED), then all threads leave
 * a barrier together and write their own word of every page, in an order of
 * their own, and check what the others wrote.  Nobody may see a SIGSEGV, a
 * lost write or a stale value.
 *
 * On systrap, a page the Sentry maps while no thread of the address space
 * runs app code is queued for the stub's leader and sent by the next thread
 * that resumes; every other thread resuming meanwhile must wait for the
 * leader too (platform/systrap/tests/test_systrap_queue.c shows that race
 * deterministically: threads that did not wait faulted again on a page the
 * Sentry had mapped, and a second such fault became a false SIGSEGV with
 * SEGV_ACCERR).  Here the same paths under a real Sentry, with page-table
 * drops (MADV_DONTNEED) and protection flips in the same process.
 *
 * argv[1] (optional): rounds (default 300); not a number (the conformance
 * harness passes a scratch directory): the default.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define NTHREADS 8
#define NPAGES 64
#define PG 4096

static char *region, *other;
static int rounds = 300;
static pthread_barrier_t bar;
static atomic_long bad, flips;
static atomic_int stop_flip;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	char msg[96];
	int n = snprintf(msg, sizeof(msg), "signal %d code %d at page %ld of the region\n", sig,
			 si->si_code, ((char *)si->si_addr - region) / PG);
	if (write(1, msg, (size_t)n) < 0)
		_exit(3);
	_exit(2);
}

static void *worker(void *arg)
{
	long id = (long)arg;
	for (int r = 1; r <= rounds; r++) {
		pthread_barrier_wait(&bar); /* the pages were dropped */
		/* Each thread its own order: all of them on the same pages at
		 * about the same time, from different ends. */
		for (int i = 0; i < NPAGES; i++) {
			int pg = (int)((i * (2 * id + 1) + id * 7) % NPAGES);
			uint64_t *w = (uint64_t *)(region + (size_t)pg * PG) + id;
			*w = (uint64_t)r;
		}
		pthread_barrier_wait(&bar); /* every word written */
		for (int pg = 0; pg < NPAGES; pg++)
			for (int t = 0; t < NTHREADS; t++)
				if (((uint64_t *)(region + (size_t)pg * PG))[t] != (uint64_t)r)
					atomic_fetch_add(&bad, 1);
		if (pthread_barrier_wait(&bar) == PTHREAD_BARRIER_SERIAL_THREAD) {
			if (madvise(region, NPAGES * PG, MADV_DONTNEED) < 0)
				atomic_fetch_add(&bad, 1);
			for (int pg = 0; pg < NPAGES; pg++)
				if (region[(size_t)pg * PG + 8 * NTHREADS])
					atomic_fetch_add(&bad, 1);
			/* Read faults map the zero-filled pages read-only on
			 * some platforms; drop them again so the writers
			 * start from nothing. */
			if (madvise(region, NPAGES * PG, MADV_DONTNEED) < 0)
				atomic_fetch_add(&bad, 1);
		}
	}
	return NULL;
}

/* Meanwhile: protection flips on another mapping, each checked by a write
 * while writable (the Sentry's protects queued and sent as above). */
static void *flipper(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop_flip)) {
		if (mprotect(other, 4 * PG, PROT_READ) < 0 ||
		    mprotect(other, 4 * PG, PROT_READ | PROT_WRITE) < 0)
			atomic_fetch_add(&bad, 1);
		for (int i = 0; i < 4; i++)
			other[i * PG] ^= 1;
		atomic_fetch_add(&flips, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9')
		rounds = atoi(argv[1]);
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	region = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	other = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED || other == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 1;
	}
	pthread_barrier_init(&bar, NULL, NTHREADS);
	pthread_t th[NTHREADS], fl;
	pthread_create(&fl, NULL, flipper, NULL);
	for (long i = 0; i < NTHREADS; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	/* The flipper may not have been scheduled yet (a short run): its
	 * first flip is part of the check, not a race with the workers. */
	while (atomic_load(&flips) == 0)
		sched_yield();
	atomic_store(&stop_flip, 1);
	pthread_join(fl, NULL);
	printf("threads %d pages %d: bad words %ld, flips done: %s\n", NTHREADS, NPAGES,
	       atomic_load(&bad), atomic_load(&flips) > 0 ? "yes" : "no");
	return 0;
}
