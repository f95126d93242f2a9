/* Conformance: MAP_SHARED of files on a host directory (argv[1]; under visor
 * a gofer-backed one): what one process writes through its mapping, another
 * sees through its own and through read(2); write(2) shows in the mappings;
 * private mappings copy on write; a truncate makes the pages past the end
 * SIGBUS; msync's errnos.  A line "hostcheck NAME" asks the test to look at
 * NAME on the host (after an msync) before the program reads a line on stdin
 * and goes on. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r < 0 ? -1 : r, r < 0 ? strerror(errno) : "");
}

static sigjmp_buf jb;
static volatile int sig_code;

static void on_bus(int sig, siginfo_t *si, void *uc)
{
	sig_code = si->si_code;
	siglongjmp(jb, 1);
}

/* Read a byte at p: the byte, or -SIGBUS's si_code. */
static int probe(volatile char *p)
{
	if (sigsetjmp(jb, 1))
		return -1000 - sig_code;
	return *p;
}

static void hostcheck(const char *name)
{
	printf("hostcheck %s\n", name);
	char line[8];
	if (!fgets(line, sizeof(line), stdin))
		printf("no answer\n");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	struct sigaction sa = {.sa_sigaction = on_bus, .sa_flags = SA_SIGINFO};
	sigaction(SIGBUS, &sa, NULL);

	int fd = open("shared", O_CREAT | O_RDWR | O_TRUNC, 0644);
	show("ftruncate 3 pages", ftruncate(fd, 3 * PG));
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	show("mmap shared", p == MAP_FAILED ? -1 : 0);
	if (p == MAP_FAILED)
		return 1;
	strcpy(p, "written through the parent's mapping");
	char buf[64] = {0};
	show("pread sees it", pread(fd, buf, 36, 0));
	printf("  \"%s\"\n", buf);

	pid_t child = fork();
	if (child == 0) {
		/* Its own open and mapping of the same file. */
		int cfd = open("shared", O_RDWR);
		char *q = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		printf("child sees: \"%.36s\"\n", q);
		strcpy(q + PG, "written by the child");
		/* and the fork-inherited mapping is the same too */
		strcpy(p + 2 * PG, "child, inherited mapping");
		_exit(0);
	}
	int st;
	waitpid(child, &st, 0);
	printf("parent sees: \"%s\" \"%s\"\n", p + PG, p + 2 * PG);
	memset(buf, 0, sizeof(buf));
	show("read(2) sees the child's write", pread(fd, buf, 20, PG));
	printf("  \"%s\"\n", buf);
	show("pwrite", pwrite(fd, "WRITE(2)", 8, 8));
	printf("mapping sees: \"%.36s\"\n", p);

	show("msync MS_SYNC", msync(p, 3 * PG, MS_SYNC));
	hostcheck("shared");
	strcpy(p + 100, "after the msync");
	show("msync MS_ASYNC", msync(p, PG, MS_ASYNC));
	hostcheck("shared");

	/* private mappings: the file's data until they write */
	char *v = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("private sees: \"%.8s\"\n", v + 8);
	strcpy(v, "private");
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 7, 0);
	printf("file after a private write: \"%s\"\n", buf);
	munmap(v, PG);

	/* truncate: past the end is SIGBUS, the rest of the last page zeroes */
	show("ftruncate 1.5 pages", ftruncate(fd, PG + PG / 2));
	printf("page 0: %d, page 1 before the end: %d, past the end: %d\n", probe(p + 10),
	       probe(p + PG + 1), probe(p + PG + PG / 2 + 1));
	printf("page 2: %d\n", probe(p + 2 * PG));
	show("ftruncate 3 pages again", ftruncate(fd, 3 * PG));
	printf("page 2 grown back: %d\n", probe(p + 2 * PG));

	/* msync's errnos */
	show("msync unaligned", msync(p + 1, PG, MS_SYNC));
	show("msync SYNC|ASYNC", msync(p, PG, MS_SYNC | MS_ASYNC));
	show("msync bad flag", msync(p, PG, 8));
	show("msync MS_INVALIDATE", msync(p, PG, MS_INVALIDATE));
	show("msync length 0", msync(p, 0, MS_SYNC));
	munmap(p + PG, PG);
	show("msync over a hole", msync(p, 3 * PG, MS_SYNC));
	show("msync of the hole", msync(p + PG, PG, MS_SYNC));
	show("msync from the hole, async", msync(p + PG, 2 * PG, MS_ASYNC));
	/* mapping past the end of the file */
	char *w = mmap(NULL, 8 * PG, PROT_READ, MAP_SHARED, fd, 0);
	printf("mapped past the end: %d %d\n", probe(w + 2 * PG), probe(w + 5 * PG));
	int rfd = open("shared", O_RDONLY);
	show("mmap write-shared of a read-only fd",
	     mmap(NULL, PG, PROT_WRITE, MAP_SHARED, rfd, 0) == MAP_FAILED ? -1 : 0);
	char *r = mmap(NULL, PG, PROT_READ, MAP_SHARED, rfd, 0);
	show("mprotect it writable", mprotect(r, PG, PROT_READ | PROT_WRITE));
	char *rp = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, rfd, 0);
	show("mprotect a private one writable", mprotect(rp, PG, PROT_READ | PROT_WRITE));
	munmap(p, 3 * PG);
	close(fd);
	return 0;
}
