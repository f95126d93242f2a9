/*
 * overcommit.c — Linux's heuristic overcommit (vm.overcommit_memory 0):
 * one private writable or shared anonymous mapping, or one brk growth,
 * bigger than RAM and swap together fails with ENOMEM; read-only and
 * MAP_NORESERVE mappings of the same size are not accounted and succeed.
 * (Found by test_syscall_fuzz: a 14 TiB brk then mlockall(MCL_CURRENT) had
 * the Sentry populate the whole range.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE (1ULL << 46) /* 64 TiB: more than any test machine's RAM and swap */

static const char *en(int e)
{
	switch (e) {
	case 0: return "ok";
	case ENOMEM: return "ENOMEM";
	case EINVAL: return "EINVAL";
	default: return strerror(e);
	}
}

static void try_mmap(const char *what, int prot, int flags)
{
	void *p = mmap(NULL, HUGE, prot, flags, -1, 0);
	int e = p == MAP_FAILED ? errno : 0;
	printf("mmap %s: %s\n", what, en(e));
	if (p != MAP_FAILED)
		munmap(p, HUGE);
}

int main(void)
{
	try_mmap("private rw", PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
	try_mmap("shared anon rw", PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS);
	try_mmap("private ro", PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
	try_mmap("private none", PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS);
	try_mmap("private rw noreserve", PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE);
	void *cur = sbrk(0);
	void *r = sbrk((intptr_t)(1ULL << 44));
	printf("sbrk 16 TiB: %s\n", r == (void *)-1 ? en(errno) : "ok");
	printf("break unchanged: %s\n", sbrk(0) == cur ? "yes" : "no");
	r = sbrk(1 << 20);
	printf("sbrk 1 MiB: %s\n", r == (void *)-1 ? en(errno) : "ok");
	return 0;
}
