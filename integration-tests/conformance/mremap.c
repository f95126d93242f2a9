/* Conformance: mremap in all its modes (shrink, grow in place, MAYMOVE,
 * FIXED, DONTUNMAP, the old_len 0 duplicate), what the memory holds after
 * each, and the errno of each misuse, in Linux's order of checks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

#define PG 4096UL

static long remap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	long r = syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	return r < 0 ? -errno : r;
}

static int mapped(void *p, size_t len)
{
	return madvise(p, len, MADV_NORMAL) == 0;
}

/* A fresh private anonymous region of n pages, page i filled with 'a'+i,
 * inside a reserved window with free space after it. */
static char *region(size_t n)
{
	char *win = mmap(NULL, 64 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(win, 64 * PG);
	char *p = mmap(win, n * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);
	for (size_t i = 0; i < n; i++)
		memset(p + i * PG, 'a' + (int)i, PG);
	return p;
}

static const char *where(long r, char *old, char *fixed)
{
	if (r < 0)
		return strerror((int)-r);
	if ((char *)r == old)
		return "in place";
	if ((char *)r == fixed)
		return "at new_addr";
	return "moved";
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char *p = region(4), *q;
	long r;

	/* Misuse, in Linux's order. */
	printf("bad flags: %s\n", where(remap(p, PG, PG, 8, NULL), p, NULL));
	printf("FIXED without MAYMOVE: %s\n",
	       where(remap(p, PG, PG, MREMAP_FIXED, p + 8 * PG), p, NULL));
	printf("DONTUNMAP without MAYMOVE: %s\n",
	       where(remap(p, PG, PG, MREMAP_DONTUNMAP, NULL), p, NULL));
	printf("DONTUNMAP resizing: %s\n",
	       where(remap(p, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL), p, NULL));
	printf("unaligned old: %s\n", where(remap(p + 1, PG, PG, 0, NULL), p, NULL));
	printf("new_len 0: %s\n", where(remap(p, PG, 0, 0, NULL), p, NULL));
	printf("no mapping at old: %s\n", where(remap((void *)PG, PG, 2 * PG, 0, NULL), p, NULL));
	printf("FIXED unaligned new, no mapping at old: %s\n",
	       where(remap((void *)PG, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + 1), p, NULL));
	printf("FIXED unaligned new: %s\n",
	       where(remap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + 1), p, NULL));
	printf("FIXED overlapping: %s\n",
	       where(remap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p + PG), p, NULL));
	printf("FIXED beyond the address space: %s\n",
	       where(remap(p, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)-PG), p, NULL));
	printf("old_len 0 of a private mapping: %s\n",
	       where(remap(p, 0, PG, MREMAP_MAYMOVE, NULL), p, NULL));
	printf("across a VMA boundary: ");
	mprotect(p + 2 * PG, PG, PROT_READ);
	printf("%s\n", where(remap(p, 3 * PG, 5 * PG, MREMAP_MAYMOVE, NULL), p, NULL));
	mprotect(p + 2 * PG, PG, PROT_READ | PROT_WRITE);

	/* Same size, shrink, grow in place. */
	printf("same size: %s\n", where(remap(p, 4 * PG, 4 * PG, 0, NULL), p, NULL));
	r = remap(p, 4 * PG, 2 * PG, 0, NULL);
	printf("shrink: %s, tail mapped %d, data %c%c\n", where(r, p, NULL), mapped(p + 2 * PG, PG),
	       p[0], p[PG]);
	r = remap(p, 2 * PG, 6 * PG, 0, NULL);
	printf("grow in place: %s, data %c%c, new pages zero %d\n", where(r, p, NULL), p[0], p[PG],
	       p[2 * PG] == 0 && p[6 * PG - 1] == 0);
	/* Shrinking may span VMAs and only unmaps. */
	mprotect(p + PG, PG, PROT_READ);
	r = remap(p, 6 * PG, PG, 0, NULL);
	printf("shrink across VMAs: %s, rest mapped %d\n", where(r, p, NULL), mapped(p + PG, 5 * PG));
	munmap(p, PG);

	/* Growing when the next page is taken: ENOMEM, or a move. */
	p = region(2);
	q = mmap(p + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("grow blocked: %s\n", where(remap(p, 2 * PG, 4 * PG, 0, NULL), p, NULL));
	r = remap(p, 2 * PG, 4 * PG, MREMAP_MAYMOVE, NULL);
	char *m = (char *)r;
	printf("grow MAYMOVE: %s, data %c%c, old gone %d, blocker kept %d\n", where(r, p, NULL),
	       m[0], m[PG], !mapped(p, 2 * PG), mapped(q, PG));
	munmap(m, 4 * PG);
	munmap(q, PG);

	/* FIXED: moves over whatever was at new_addr, may shrink. */
	p = region(3);
	char *dst = region(2) + 8 * PG;
	mmap(dst, 4 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	r = remap(p, 3 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	printf("FIXED shrink: %s, data %c%c, old gone %d, rest of dst kept %d writable %d\n",
	       where(r, p, dst), dst[0], dst[PG], !mapped(p, 3 * PG), mapped(dst + 2 * PG, 2 * PG),
	       mprotect(dst, 2 * PG, PROT_READ | PROT_WRITE) == 0);
	r = remap(dst, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, p);
	printf("FIXED grow: %s, data %c%c, grown page zero %d\n", where(r, p, p), p[0], p[PG],
	       p[2 * PG] == 0);
	munmap(p, 3 * PG);
	munmap(dst, 4 * PG);

	/* DONTUNMAP: pages move, the old range stays mapped and reads zero. */
	p = region(2);
	r = remap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP, NULL);
	m = (char *)r;
	printf("DONTUNMAP: %s, data %c%c, old mapped %d reads zero %d\n", where(r, p, NULL),
	       r > 0 ? m[0] : '-', r > 0 ? m[PG] : '-', mapped(p, 2 * PG),
	       mapped(p, 2 * PG) && p[0] == 0 && p[PG] == 0);
	if (r > 0) {
		p[0] = 'z';
		printf("DONTUNMAP: old and new are separate: %c %c\n", p[0], m[0]);
		munmap(m, 2 * PG);
	}
	dst = region(2) + 16 * PG;
	r = remap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED, dst);
	printf("DONTUNMAP FIXED: %s, data %c, old mapped %d\n", where(r, p, dst), dst[0],
	       mapped(p, 2 * PG));
	munmap(p, 2 * PG);
	munmap(dst, 2 * PG);

	/* A shared mapping: old_len 0 makes a second view of the same pages. */
	char *s = region(3);
	munmap(s, 3 * PG);
	s = mmap(s, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	char *blocker = mmap(s + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	strcpy(s, "shared");
	r = remap(s, 0, 2 * PG, MREMAP_MAYMOVE, NULL);
	m = (char *)r;
	printf("duplicate shared: %s", where(r, s, NULL));
	if (r > 0) {
		strcpy(m + 6, "!");
		printf(", sees '%s', writes seen '%s', original kept %d", m, s, mapped(s, 2 * PG));
	}
	printf("\n");
	printf("duplicate shared without MAYMOVE: %s\n",
	       where(remap(s, 0, 2 * PG, 0, NULL), s, NULL));
	r = remap(s, 2 * PG, 4 * PG, MREMAP_MAYMOVE, NULL);
	m = (char *)r;
	printf("shared grow, next page taken: %s, data '%s'\n", where(r, s, NULL), r > 0 ? m : "");
	munmap(blocker, PG);

	/* A file mapping keeps its offset when it moves. */
	if (argc > 1) {
		char path[4200];
		snprintf(path, sizeof(path), "%s/mremap.dat", argv[1]);
		int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		char buf[3 * PG];
		for (int i = 0; i < 3; i++)
			memset(buf + i * PG, 'A' + i, PG);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			return 1;
		char *f = region(12);
		munmap(f, 12 * PG);
		f = mmap(f, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
		char *blk = mmap(f + 3 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 -1, 0);
		r = remap(f + PG, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, f + 8 * PG);
		printf("file FIXED: %s, data %c%c\n", where(r, f, f + 8 * PG), f[8 * PG],
		       f[9 * PG]);
		r = remap(f + 8 * PG, 2 * PG, 3 * PG, MREMAP_MAYMOVE, NULL);
		printf("file grow past EOF: %s\n", where(r, f + 8 * PG, NULL));
		munmap(blk, PG);
		close(fd);
		unlink(path);
	}
	return 0;
}
