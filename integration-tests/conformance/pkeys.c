/* Conformance: memory protection keys as a kernel without them answers
 * (the host's CPU too: where it has them, OSPKE in CPUID, only the argument
 * errors are printed): pkey_alloc's EINVAL for bad flags and access rights
 * before ENOSPC (the first call's errno is left out, see below), pkey_free of a key never allocated, pkey_mprotect with key
 * -1 as mprotect and with any other key EINVAL after mprotect's checks. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *res(long r)
{
	if (r >= 0)
		return r == 0 ? "0" : "positive";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case ENOSPC: return "ENOSPC";
	case ENOMEM: return "ENOMEM";
	case ENOSYS: return "ENOSYS";
	}
	return "other";
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	unsigned int a, b, c = 0, d;
	int ospke = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 4));
	printf("pkey_alloc flags 1: %s\n", res(syscall(SYS_pkey_alloc, 1, 0)));
	printf("pkey_alloc rights 4: %s\n", res(syscall(SYS_pkey_alloc, 0, 4)));
	if (!ospke) {
		/* Linux 6.18 without OSPKE: the first call of an mm is EINVAL
		 * (key 0 taken, its rights not settable, and kept), every later
		 * one ENOSPC; the Sentry has no key from the first: ENOSPC. */
		printf("pkey_alloc first: %s\n", syscall(SYS_pkey_alloc, 0, 0) < 0 ? "fails" : "OK");
		printf("pkey_alloc: %s\n", res(syscall(SYS_pkey_alloc, 0, 0)));
		printf("pkey_alloc disable write: %s\n", res(syscall(SYS_pkey_alloc, 0, 2)));
		printf("pkey_free 0: %s\n", res(syscall(SYS_pkey_free, 0)));
		printf("pkey_free 1: %s\n", res(syscall(SYS_pkey_free, 1)));
	}
	printf("pkey_free -1: %s\n", res(syscall(SYS_pkey_free, -1)));
	printf("pkey_free 99: %s\n", res(syscall(SYS_pkey_free, 99)));
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	printf("pkey_mprotect key -1: %s\n", res(syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, -1)));
	printf("pkey_mprotect key 5: %s\n", res(syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, 5)));
	printf("pkey_mprotect key 99: %s\n", res(syscall(SYS_pkey_mprotect, p, 4096, PROT_READ, 99)));
	printf("pkey_mprotect unaligned: %s\n",
	       res(syscall(SYS_pkey_mprotect, p + 1, 4096, PROT_READ, 5)));
	printf("pkey_mprotect len 0: %s\n", res(syscall(SYS_pkey_mprotect, p, 0, PROT_READ, 5)));
	printf("pkey_mprotect wraps: %s\n", res(syscall(SYS_pkey_mprotect, p, -4096L, PROT_READ, 5)));
	printf("pkey_mprotect key -1 bad prot: %s\n",
	       res(syscall(SYS_pkey_mprotect, p, 4096, 0x100, -1)));
	printf("pkey_mprotect key -1 unmapped: %s\n",
	       res(syscall(SYS_pkey_mprotect, (char *)0x10000, 4096, PROT_READ, -1)));
	return 0;
}
