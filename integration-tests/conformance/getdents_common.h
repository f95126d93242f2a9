/* What getdents.c (tmpfs) and gofer_getdents.c (a host directory through
 * the Gofer) both run: getdents64 over a directory of thousands of entries
 * with small and large buffers, resuming at a saved d_off, while entries
 * are removed, and its errors.  Prints counts and checks, never inode
 * numbers or the order (the file system's own). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NFILES 3000

struct linux_dirent64_ {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static char seen[NFILES];

/* Read the whole directory with buffers of bufsz: entries, the named
 * files among them (each once?), "." and "..", and a bad record. */
static void scan(const char *what, int dfd, size_t bufsz)
{
	lseek(dfd, 0, SEEK_SET);
	memset(seen, 0, sizeof(seen));
	char *buf = malloc(bufsz);
	long total = 0, dots = 0, twice = 0, bad = 0, calls = 0, regs = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, dfd, buf, bufsz);
		if (n < 0) {
			printf("%s: getdents64: %s\n", what, strerrorname_np(errno));
			break;
		}
		if (n == 0)
			break;
		calls++;
		for (long off = 0; off < n;) {
			struct linux_dirent64_ *d = (void *)(buf + off);
			if (d->d_reclen == 0 || d->d_reclen % 8) {
				bad++;
				break;
			}
			total++;
			int i;
			if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
				dots++;
			else if (sscanf(d->d_name, "file-with-a-long-name-%d", &i) == 1 && i >= 0 &&
				 i < NFILES) {
				twice += seen[i]++ > 0;
				regs += d->d_type == DT_REG;
			}
			off += d->d_reclen;
		}
	}
	long missing = 0;
	for (int i = 0; i < NFILES; i++)
		missing += !seen[i];
	printf("%s: entries %ld dots %ld missing %ld twice %ld regular %ld bad %ld several calls %d\n",
	       what, total, dots, missing, twice, regs, bad, calls > 1);
	free(buf);
}

static void getdents_tests(void)
{
	mkdir("big", 0755);
	char name[64];
	for (int i = 0; i < NFILES; i++) {
		snprintf(name, sizeof(name), "big/file-with-a-long-name-%d", i);
		close(open(name, O_CREAT | O_WRONLY, 0644));
	}
	int dfd = open("big", O_RDONLY | O_DIRECTORY);
	scan("buffer 4 KiB", dfd, 4096);
	scan("buffer 64 KiB", dfd, 65536);
	scan("buffer 1 MiB", dfd, 1 << 20);
	scan("buffer of one entry", dfd, 64);

	/* Stop after some entries, remember where, resume there. */
	lseek(dfd, 0, SEEK_SET);
	char buf[4096];
	long n = syscall(SYS_getdents64, dfd, buf, sizeof(buf)), cnt = 0;
	int64_t resume = 0;
	for (long off = 0; off < n; off += ((struct linux_dirent64_ *)(buf + off))->d_reclen) {
		if (++cnt == 10) {
			resume = ((struct linux_dirent64_ *)(buf + off))->d_off;
			break;
		}
	}
	long rest = 0;
	lseek(dfd, resume, SEEK_SET);
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0)
		for (long off = 0; off < n; off += ((struct linux_dirent64_ *)(buf + off))->d_reclen)
			rest++;
	printf("resumed after 10: %ld more (total %ld)\n", rest, rest + 10);

	/* Remove every other file while reading: the rest each show once. */
	lseek(dfd, 0, SEEK_SET);
	memset(seen, 0, sizeof(seen));
	long removed = 0, twice = 0;
	while ((n = syscall(SYS_getdents64, dfd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64_ *d = (void *)(buf + off);
			int i;
			if (sscanf(d->d_name, "file-with-a-long-name-%d", &i) == 1 && i >= 0 && i < NFILES)
				twice += seen[i]++ > 0;
			off += d->d_reclen;
		}
		for (int i = 0; i < NFILES && removed < NFILES / 2; i += 2) {
			snprintf(name, sizeof(name), "big/file-with-a-long-name-%d", i);
			if (unlink(name) == 0)
				removed++;
		}
	}
	long kept_seen = 0;
	for (int i = 1; i < NFILES; i += 2)
		kept_seen += seen[i] > 0;
	printf("while removing: removed %ld, kept files seen %ld of %d, twice %ld\n", removed,
	       kept_seen, NFILES / 2, twice);
	scan("after removing", dfd, 65536);

	/* Errors (at the start of the directory, where there is an entry to give). */
	lseek(dfd, 0, SEEK_SET);
	printf("buffer too small: %s\n",
	       syscall(SYS_getdents64, dfd, buf, 8) < 0 ? strerrorname_np(errno) : "ok");
	lseek(dfd, 0, SEEK_SET);
	printf("bad buffer: %s\n",
	       syscall(SYS_getdents64, dfd, (void *)8, 4096) < 0 ? strerrorname_np(errno) : "ok");
	int f = open("big/file-with-a-long-name-1", O_RDONLY);
	printf("on a file: %s\n", syscall(SYS_getdents64, f, buf, 4096) < 0 ? strerrorname_np(errno) : "ok");
	printf("bad fd: %s\n", syscall(SYS_getdents64, 999, buf, 4096) < 0 ? strerrorname_np(errno) : "ok");
	close(f);
	for (int i = 1; i < NFILES; i += 2) {
		snprintf(name, sizeof(name), "big/file-with-a-long-name-%d", i);
		unlink(name);
	}
	scan("emptied", dfd, 4096);
	close(dfd);
	rmdir("big");
}
