/* Conformance: mincore, membarrier (query, global, private expedited and its
 * registration), get_mempolicy/set_mempolicy/mbind on one NUMA node. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(long r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOMEM: return "ENOMEM";
	case EPERM: return "EPERM";
	}
	return "other";
}

static long mb(int cmd, unsigned flags)
{
	errno = 0;
	return syscall(SYS_membarrier, cmd, flags, 0);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p[0] = 1;
	p[2 * pg] = 1;
	unsigned char v[4];
	/* Untouched pages are not printed: the Sentry may populate around a
	 * fault, so they can be resident there (Linux's fault-around does the
	 * same for file pages). */
	long r = mincore(p, 4 * pg, v);
	printf("mincore: %s touched %d %d\n", ename(r), v[0], v[2]);
	memset(v, 7, sizeof(v));
	r = mincore(p, 2 * pg + 1, v);
	printf("mincore partial last page: %s %d, next byte untouched %d\n", ename(r), v[2], v[3]);
	printf("mincore unaligned: %s\n", ename(mincore(p + 1, pg, v)));
	printf("mincore length 0: %s\n", ename(mincore(p, 0, v)));
	printf("mincore bad vector: %s\n", ename(mincore(p, pg, (unsigned char *)8)));
	munmap(p + pg, pg);
	printf("mincore over a hole: %s\n", ename(mincore(p, 4 * pg, v)));

	printf("membarrier query: %ld\n", mb(MEMBARRIER_CMD_QUERY, 0));
	printf("membarrier query flags: %s\n", ename(mb(MEMBARRIER_CMD_QUERY, 1)));
	printf("membarrier global: %s\n", ename(mb(MEMBARRIER_CMD_GLOBAL, 0)));
	printf("registrations: %ld\n", mb(512, 0));
	printf("private expedited unregistered: %s\n", ename(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)));
	printf("register private expedited: %s\n",
	       ename(mb(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0)));
	printf("private expedited: %s\n", ename(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)));
	printf("sync core unregistered: %s\n",
	       ename(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0)));
	printf("register global expedited: %s\n",
	       ename(mb(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0)));
	printf("global expedited: %s\n", ename(mb(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0)));
	printf("registrations: %ld\n", mb(512, 0));
	pid_t c = fork();
	if (c == 0) {
		printf("child's registrations: %ld\n", mb(512, 0));
		printf("child private expedited: %s\n",
		       ename(mb(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0)));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("membarrier unknown: %s\n", ename(mb(1 << 20, 0)));

	int mode = -1;
	unsigned long mask[2] = {7, 7};
	r = syscall(SYS_get_mempolicy, &mode, mask, 65, 0, 0);
	printf("get_mempolicy: %s mode %d mask %lx %lx\n", ename(r), mode, mask[0], mask[1]);
	r = syscall(SYS_get_mempolicy, &mode, mask, 65, 0, 4);
	printf("mems allowed: %s mode %d mask %lx\n", ename(r), mode, mask[0]);
	r = syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 1);
	printf("F_NODE without interleave: %s\n", ename(r));
	r = syscall(SYS_get_mempolicy, &mode, mask, 0, 0, 0);
	printf("maxnode 0: %s\n", ename(r));
	r = syscall(SYS_get_mempolicy, &mode, NULL, 0, p, 0);
	printf("address without F_ADDR: %s\n", ename(r));
	r = syscall(SYS_get_mempolicy, &mode, NULL, 0, p + pg, 2);
	printf("F_ADDR on a hole: %s\n", ename(r));
	r = syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 8);
	printf("unknown flag: %s\n", ename(r));
	unsigned long one = 1, two = 2;
	r = syscall(SYS_set_mempolicy, 2, &one, 64);
	mask[0] = 0;
	syscall(SYS_get_mempolicy, &mode, mask, 65, 0, 0);
	printf("bind node 0: %s now mode %d mask %lx\n", ename(r), mode, mask[0]);
	c = fork();
	if (c == 0) {
		syscall(SYS_get_mempolicy, &mode, mask, 65, 0, 0);
		printf("child's policy: mode %d mask %lx\n", mode, mask[0]);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	r = syscall(SYS_set_mempolicy, 3, &one, 64);
	syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 1);
	printf("interleave: %s next node %d\n", ename(r), mode);
	printf("bind node 1: %s\n", ename(syscall(SYS_set_mempolicy, 2, &two, 64)));
	printf("default with nodes: %s\n", ename(syscall(SYS_set_mempolicy, 0, &one, 64)));
	r = syscall(SYS_set_mempolicy, 1, NULL, 0);
	syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 0);
	printf("preferred, no nodes: %s now mode %d\n", ename(r), mode);
	printf("local with nodes: %s\n", ename(syscall(SYS_set_mempolicy, 4, &one, 64)));
	printf("mode 99: %s\n", ename(syscall(SYS_set_mempolicy, 99, NULL, 0)));
	printf("static and relative: %s\n",
	       ename(syscall(SYS_set_mempolicy, 2 | (1 << 15) | (1 << 14), &one, 64)));
	printf("bad mask pointer: %s\n", ename(syscall(SYS_set_mempolicy, 2, (void *)8, 64)));
	r = syscall(SYS_set_mempolicy, 0, NULL, 0);
	syscall(SYS_get_mempolicy, &mode, NULL, 0, 0, 0);
	printf("default: %s now mode %d\n", ename(r), mode);

	printf("mbind: %s\n", ename(syscall(SYS_mbind, p, pg, 2, &one, 64, 0)));
	printf("mbind over a hole: %s\n", ename(syscall(SYS_mbind, p, 4 * pg, 2, &one, 64, 0)));
	printf("mbind unaligned: %s\n", ename(syscall(SYS_mbind, p + 1, pg, 2, &one, 64, 0)));
	printf("mbind unknown flag: %s\n", ename(syscall(SYS_mbind, p, pg, 2, &one, 64, 8)));
	printf("mbind length 0: %s\n", ename(syscall(SYS_mbind, p, 0, 2, &one, 64, 0)));
	printf("mbind node 1: %s\n", ename(syscall(SYS_mbind, p, pg, 2, &two, 64, 0)));
	return 0;
}
