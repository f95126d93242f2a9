/* Conformance: mlock, mlock2, munlock, mlockall, munlockall with their
 * RLIMIT_MEMLOCK accounting (VmLck) and errnos, and madvise (DONTNEED,
 * FREE, WILLNEED, DONTFORK/DOFORK, WIPEONFORK, HUGEPAGE, holes, locked
 * pages). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif

#define PG 4096L

static long vmlck(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

static long base_lck;

static void say(const char *what, long r)
{
	printf("%-48s %3ld %-24s VmLck +%ld kB\n", what, r, r < 0 ? strerror(errno) : "",
	       vmlck() - base_lck);
}

static char *region(long pages)
{
	char *p = mmap(NULL, pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'x', pages * PG);
	return p;
}

static void madvise_tests(void)
{
	char *p = region(4);
	long r = madvise(p, 4 * PG, MADV_DONTNEED);
	printf("DONTNEED: %ld, reads zero %d\n", r, p[0] == 0 && p[4 * PG - 1] == 0);
	memset(p, 'y', 4 * PG);
	r = madvise(p, 2 * PG, MADV_FREE);
	printf("FREE private: %ld\n", r);
	r = madvise(p + 1, PG, MADV_DONTNEED);
	printf("unaligned: %ld %s\n", r, strerror(errno));
	printf("length 0: %d\n", madvise(p, 0, MADV_DONTNEED));
	r = madvise(p, PG, 12345);
	printf("bad advice: %ld %s\n", r, strerror(errno));
	r = madvise(p, -PG, MADV_NORMAL);
	printf("wrapping length: %ld %s\n", r, strerror(errno));
	static const int hints[] = {MADV_NORMAL,   MADV_RANDOM,    MADV_SEQUENTIAL, MADV_WILLNEED,
				    MADV_HUGEPAGE, MADV_NOHUGEPAGE, MADV_DONTDUMP,  MADV_DODUMP};
	for (size_t i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		printf("hint %d: %d\n", hints[i], madvise(p, 4 * PG, hints[i]));
	/* A hole: the advice applies around it, then ENOMEM. */
	memset(p, 'y', 4 * PG);
	munmap(p + PG, PG);
	r = madvise(p, 4 * PG, MADV_DONTNEED);
	printf("hole: %ld %s, before zeroed %d after zeroed %d\n", r, strerror(errno), p[0] == 0,
	       p[2 * PG] == 0);
	r = madvise(p + PG, PG, MADV_NORMAL);
	printf("only a hole: %ld %s\n", r, strerror(errno));
	munmap(p, 4 * PG);

	/* Shared memory: MADV_FREE refused, DONTNEED keeps the data. */
	char *s = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	strcpy(s, "kept");
	r = madvise(s, PG, MADV_FREE);
	printf("FREE shared: %ld %s\n", r, strerror(errno));
	r = madvise(s, PG, MADV_DONTNEED);
	printf("DONTNEED shared: %ld, data '%s'\n", r, s);
	r = madvise(s, PG, MADV_WIPEONFORK);
	printf("WIPEONFORK shared: %ld %s\n", r, strerror(errno));

	/* Fork: DONTFORK leaves the range out of the child, WIPEONFORK zeroes it. */
	p = region(3);
	printf("DONTFORK %d WIPEONFORK %d\n", madvise(p, PG, MADV_DONTFORK),
	       madvise(p + PG, PG, MADV_WIPEONFORK));
	pid_t c = fork();
	if (c == 0) {
		printf("child: DONTFORK range mapped %d, WIPEONFORK reads %d, rest %c\n",
		       madvise(p, PG, MADV_NORMAL) == 0, p[PG], p[2 * PG]);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("DOFORK %d KEEPONFORK %d\n", madvise(p, PG, MADV_DOFORK),
	       madvise(p + PG, PG, MADV_KEEPONFORK));
	c = fork();
	if (c == 0) {
		printf("child after DOFORK: mapped %d reads %c %c\n", madvise(p, PG, MADV_NORMAL) == 0,
		       p[0], p[PG]);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	munmap(p, 3 * PG);
}

/* As an unprivileged process: RLIMIT_MEMLOCK applies. */
static void limited(void)
{
	if (setgid(65534) < 0 || setuid(65534) < 0) {
		printf("setuid failed\n");
		return;
	}
	struct rlimit rl = {16 * PG, 16 * PG};
	setrlimit(RLIMIT_MEMLOCK, &rl);
	base_lck = vmlck();
	char *p = region(32);
	say("mlock 8 pages under a 16-page limit", mlock(p, 8 * PG));
	say("mlock 4 more, 2 of them already locked", mlock(p + 6 * PG, 4 * PG));
	say("mlock 16 more: over the limit", mlock(p + 10 * PG, 16 * PG));
	say("mlockall(MCL_CURRENT): all mappings too many", mlockall(MCL_CURRENT));
	say("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
	void *m = mmap(NULL, 32 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("mmap 32 pages under MCL_FUTURE", m == MAP_FAILED ? -1 : 0);
	m = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("mmap 2 pages under MCL_FUTURE", m == MAP_FAILED ? -1 : 0);
	long r = (long)syscall(SYS_mremap, m, 2 * PG, 64 * PG, MREMAP_MAYMOVE, 0);
	say("mremap a locked mapping past the limit", r < 0 ? -1 : 0);
	say("munlockall", munlockall());
	m = mmap(NULL, 32 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	say("mmap MAP_LOCKED past the limit", m == MAP_FAILED ? -1 : 0);
	rl.rlim_cur = 0;
	setrlimit(RLIMIT_MEMLOCK, &rl);
	say("mlock with a zero limit", mlock(p, PG));
	say("mlock2 with a zero limit", (long)syscall(SYS_mlock2, p, PG, 0));
	say("mlockall with a zero limit", mlockall(MCL_CURRENT));
	say("mlockall bad flags with a zero limit", mlockall(0));
	m = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	say("mmap MAP_LOCKED with a zero limit", m == MAP_FAILED ? -1 : 0);
	say("munlock with a zero limit", munlock(p, 32 * PG));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	base_lck = vmlck();
	char *p = region(8);
	say("mlock 2 pages", mlock(p, 2 * PG));
	say("mlock 1 byte across a page boundary", mlock(p + 3 * PG - 1, 2));
	say("mlock length 0", mlock(p, 0));
	say("mlock length -1 (wraps to nothing)", mlock(p, (size_t)-1));
	say("munlock the first page", munlock(p, PG));
	say("mlock2 MLOCK_ONFAULT 2 pages", (long)syscall(SYS_mlock2, p + 5 * PG, 2 * PG,
							     MLOCK_ONFAULT));
	say("mlock2 bad flags", (long)syscall(SYS_mlock2, p, PG, 2));
	munmap(p + 7 * PG, PG);
	say("mlock over a hole", mlock(p + 6 * PG, 4 * PG));
	say("mlock of nothing", mlock((void *)PG, PG));
	say("munlock over a hole", munlock(p + 6 * PG, 4 * PG));
	say("munlock of nothing", munlock((void *)PG, PG));
	long r = madvise(p + PG, PG, MADV_DONTNEED);
	say("madvise DONTNEED on a locked page", r);
	r = madvise(p + PG, PG, MADV_DONTNEED_LOCKED);
	say("madvise DONTNEED_LOCKED on a locked page", r);
	pid_t c = fork();
	if (c == 0) {
		base_lck = 0;
		say("child after fork", 0);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	say("munmap a locked page", munmap(p + PG, PG));
	say("mlockall bad flags 0", mlockall(0));
	say("mlockall MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
	say("mlockall unknown flag", mlockall(MCL_CURRENT | 8));
	say("mlockall(MCL_FUTURE)", mlockall(MCL_FUTURE));
	char *f = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	say("mmap 4 pages under MCL_FUTURE", f == MAP_FAILED ? -1 : 0);
	f = mremap(f, 4 * PG, 6 * PG, MREMAP_MAYMOVE);
	say("mremap them to 6 pages", f == MAP_FAILED ? -1 : 0);
	say("munlockall", munlockall());
	f = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0);
	say("mmap MAP_LOCKED 3 pages", f == MAP_FAILED ? -1 : 0);
	say("munmap them", munmap(f, 3 * PG));
	say("munlock everything of p", munlock(p, 8 * PG));
	madvise_tests();
	c = fork();
	if (c == 0) {
		limited();
		_exit(0);
	}
	waitpid(c, NULL, 0);
	return 0;
}
