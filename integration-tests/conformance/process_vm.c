/* Conformance: process_vm_readv/writev between processes of the sandbox:
 * data both ways, partial transfers stopping at a fault, argument errors,
 * and the ptrace-like permission check. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(long r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ESRCH: return "ESRCH";
	case EPERM: return "EPERM";
	}
	return "other";
}

static char shared_buf[64] = "parent's copy";

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int to_child[2], to_parent[2];
	pipe(to_child);
	pipe(to_parent);
	pid_t c = fork();
	if (c == 0) {
		strcpy(shared_buf, "hello from the child");
		write(to_parent[1], "r", 1);
		char ch;
		read(to_child[0], &ch, 1);
		printf("child now holds: %s\n", shared_buf);
		write(to_parent[1], "d", 1);
		read(to_child[0], &ch, 1);
		_exit(0);
	}
	char ch;
	read(to_parent[0], &ch, 1);
	char got[64] = "";
	struct iovec l = {got, 21}, r = {shared_buf, 21};
	errno = 0;
	long n = process_vm_readv(c, &l, 1, &r, 1, 0);
	printf("readv: %ld %s \"%s\"\n", n, ename(n), got);
	/* Scatter into two local pieces. */
	char a[6] = "", b[20] = "";
	struct iovec l2[2] = {{a, 5}, {b, 16}};
	n = process_vm_readv(c, l2, 2, &r, 1, 0);
	printf("readv scattered: %ld \"%s\" \"%s\"\n", n, a, b);
	char msg[] = "written by the parent";
	struct iovec lw = {msg, sizeof(msg)}, rw = {shared_buf, sizeof(msg)};
	n = process_vm_writev(c, &lw, 1, &rw, 1, 0);
	printf("writev: %ld %s\n", n, ename(n));
	write(to_child[1], "w", 1);
	read(to_parent[0], &ch, 1);

	/* Partial: the second remote piece is not mapped. */
	char *hole = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 4096);
	struct iovec r2[2] = {{shared_buf, 8}, {hole, 8}};
	memset(got, 0, sizeof(got));
	struct iovec l3 = {got, 16};
	n = process_vm_readv(c, &l3, 1, r2, 2, 0);
	printf("partial readv: %ld \"%s\"\n", n, got);
	struct iovec r3 = {hole, 8};
	errno = 0;
	n = process_vm_readv(c, &l3, 1, &r3, 1, 0);
	printf("readv of a hole: %ld %s\n", n, ename(n));
	n = process_vm_readv(c, &l, 1, &r, 1, 1);
	printf("flags: %s\n", ename(n));
	n = process_vm_readv(999999, &l, 1, &r, 1, 0);
	printf("no such pid: %s\n", ename(n));
	n = process_vm_readv(c, &l, 1025, &r, 1, 0);
	printf("1025 iovecs: %s\n", ename(n));
	n = process_vm_readv(c, NULL, 1, &r, 1, 0);
	printf("NULL local array: %s\n", ename(n));
	n = process_vm_readv(c, &l, 0, &r, 1, 0);
	printf("no local iovecs: %ld\n", n);
	n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	printf("from myself: %ld \"%.13s\"\n", n, got);
	write(to_child[1], "x", 1);
	waitpid(c, NULL, 0);

	pid_t me = getpid();
	c = fork();
	if (c == 0) {
		setresuid(65534, 65534, 65534);
		n = process_vm_readv(me, &l, 1, &r, 1, 0);
		printf("unprivileged from root's process: %s\n", ename(n));
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return 0;
}
