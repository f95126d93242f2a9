/*
 * microbench.c — per-operation cost of small things a kernel does, printed as
 * "name ns_per_op".  Static, so the same binary runs natively, under visor,
 * runc and runsc.
 *
 *   microbench TEST ITERATIONS
 *     getpid     one syscall (getppid: never cached by libc)
 *     clock_gettime  CLOCK_MONOTONIC through libc (the vDSO where there is one)
 *     openclose  open + close of this binary
 *     stat       stat of this binary
 *     pipe       a byte there and back between two processes over two pipes
 *     futex      a wake there and back between two threads
 *     mmap       mmap 64 pages, touch each, munmap
 *     fork       fork + _exit + wait
 *     forkexec   fork + exec (of this binary, doing nothing) + wait
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
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

static _Atomic int turn;
static long rounds;

static void futex_wait_for(int want)
{
	int v;
	while ((v = atomic_load(&turn)) != want)
		syscall(SYS_futex, &turn, FUTEX_WAIT_PRIVATE, v, NULL, NULL, 0);
}

static void futex_pass(int to)
{
	atomic_store(&turn, to);
	syscall(SYS_futex, &turn, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *futex_peer(void *a)
{
	for (long i = 0; i < rounds; i++) {
		futex_wait_for(1);
		futex_pass(0);
	}
	return NULL;
}

static int run(const char *what, long n, char *self)
{
	char c = 0;
	if (!strcmp(what, "getpid")) {
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	} else if (!strcmp(what, "clock_gettime")) {
		struct timespec ts;
		for (long i = 0; i < n; i++)
			clock_gettime(CLOCK_MONOTONIC, &ts);
	} else if (!strcmp(what, "openclose")) {
		for (long i = 0; i < n; i++) {
			int fd = open(self, O_RDONLY);
			if (fd < 0)
				return 1;
			close(fd);
		}
	} else if (!strcmp(what, "stat")) {
		struct stat st;
		for (long i = 0; i < n; i++)
			if (stat(self, &st) < 0)
				return 1;
	} else if (!strcmp(what, "pipe")) {
		int there[2], back[2];
		if (pipe(there) < 0 || pipe(back) < 0)
			return 1;
		pid_t p = fork();
		if (p == 0) {
			close(there[1]);
			close(back[0]);
			while (read(there[0], &c, 1) == 1 && write(back[1], &c, 1) == 1)
				;
			_exit(0);
		}
		close(there[0]);
		close(back[1]);
		for (long i = 0; i < n; i++)
			if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1)
				return 1;
		close(there[1]);
		waitpid(p, NULL, 0);
	} else if (!strcmp(what, "futex")) {
		pthread_t t;
		rounds = n;
		if (pthread_create(&t, NULL, futex_peer, NULL))
			return 1;
		for (long i = 0; i < n; i++) {
			futex_pass(1);
			futex_wait_for(0);
		}
		pthread_join(t, NULL);
	} else if (!strcmp(what, "mmap")) {
		for (long i = 0; i < n; i++) {
			char *m = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (m == MAP_FAILED)
				return 1;
			for (int pg = 0; pg < 64; pg++)
				m[pg * 4096] = 1;
			munmap(m, 64 * 4096);
		}
	} else if (!strcmp(what, "fork") || !strcmp(what, "forkexec")) {
		int exec = !strcmp(what, "forkexec");
		for (long i = 0; i < n; i++) {
			pid_t p = fork();
			if (p == 0) {
				if (exec) {
					char *argv[] = {self, "nop", NULL};
					execv(self, argv);
				}
				_exit(exec ? 127 : 0);
			}
			int st;
			if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
				return 1;
		}
	} else {
		return 2;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "nop"))
		return 0;
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	double t0 = now();
	int r = run(argv[1], n, argv[0]);
	if (r)
		return r;
	printf("%s %.0f\n", argv[1], (now() - t0) / n);
	return 0;
}
