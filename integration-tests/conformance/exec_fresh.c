/*
 * execve gives a process a fresh address space: nothing of the program
 * before it stays mapped (private and shared mappings it filled, the stack
 * of a thread that was running), however many times a process forks and
 * execs in a row.  On systrap the exec'd program reuses the host process of
 * the one it replaces (as_recycle): this is the check that the reuse leaves
 * nothing behind, seen from inside.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 100
#define PRIV ((void *)0x200000000UL)
#define SHARED ((void *)0x300000000UL)
#define TSTACK ((void *)0x400000000UL)
#define LEN (1UL << 20)

/* The exec'd side: each address must be unmapped (mincore: ENOMEM). */
static int check(int n, char **addrs)
{
	int bad = 0;
	for (int i = 0; i < n; i++) {
		void *a = (void *)strtoul(addrs[i], NULL, 16);
		unsigned char v[LEN / 4096];
		if (mincore(a, LEN, v) == 0 || errno != ENOMEM)
			bad++;
	}
	return bad ? 10 + bad : 0;
}

static void *sleeper(void *arg)
{
	volatile char secret[256];
	memset((char *)secret, 0x5c, sizeof(secret));
	for (;;)
		pause();
	return arg;
}

static void *map_at(void *addr, int flags)
{
	void *m = mmap(addr, LEN, PROT_READ | PROT_WRITE,
		       flags | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (m != addr) {
		perror("mmap");
		exit(2);
	}
	memset(m, 0x5a, LEN);
	return m;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[2], "check"))
		return check(argc - 3, argv + 3);
	map_at(PRIV, MAP_PRIVATE);
	map_at(SHARED, MAP_SHARED);
	int failed = 0;
	for (int i = 0; i < ROUNDS; i++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			/* Every other child runs a second thread on a stack of
			 * its own when it execs: execve ends it first. */
			if (i % 2) {
				void *st = map_at(TSTACK, MAP_PRIVATE);
				pthread_attr_t at;
				pthread_t t;
				pthread_attr_init(&at);
				pthread_attr_setstack(&at, st, LEN);
				if (pthread_create(&t, &at, sleeper, NULL))
					_exit(3);
			}
			execl("/proc/self/exe", "exec_fresh", argc > 1 ? argv[1] : ".", "check",
			      "200000000", "300000000", "400000000", (char *)NULL);
			_exit(127);
		}
		int st;
		if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			if (failed++ < 3)
				printf("round %d: child status %#x\n", i, st);
		}
	}
	printf("fork+exec %d times: %d failed\n", ROUNDS, failed);
	return failed != 0;
}
