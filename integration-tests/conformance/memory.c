/* Conformance: mmap/munmap/mprotect/mremap/brk and copy-on-write after fork. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	size_t len = 1 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap ok %d zeroed %d\n", p != MAP_FAILED, p[12345] == 0);
	memset(p, 'a', len);
	char *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	strcpy(s, "parent");
	pid_t c = fork();
	if (c == 0) {
		p[0] = 'c';
		strcpy(s, "child wrote");
		printf("child sees %c\n", p[1]);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("parent private %c shared '%s'\n", p[0], s);
	char *q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
	printf("mremap kept data %d grew zeroed %d\n", q[len - 1] == 'a', q[len + 10] == 0);
	printf("munmap %d\n", munmap(q, 2 * len));
	char *b0 = sbrk(0);
	char *b1 = sbrk(65536);
	b1[65535] = 1;
	printf("brk grew %d\n", (char *)sbrk(0) - b0 == 65536);
	char *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r[0] = 'x';
	printf("mprotect %d\n", mprotect(r, 4096, PROT_READ));
	printf("still readable %c\n", r[0]);
	printf("bad munmap %d\n", munmap((void *)1, 10));
	return 0;
}
