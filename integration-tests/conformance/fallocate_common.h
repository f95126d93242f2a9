/* What fallocate.c (tmpfs) and gofer_falloc.c (a host directory through the
 * Gofer) both run: fallocate(2)'s modes and errors on a regular file in the
 * current directory, its data and blocks after each, and a shared mapping of
 * it kept coherent.  Prints errno names, sizes, block counts and bytes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

/* Size, blocks, and the bytes at 0, 4095, 4096, 8191, 8192 and 12287 ('.' for 0). */
static void show(const char *what, int fd)
{
	struct stat st;
	fstat(fd, &st);
	static const long at[] = {0, 4095, 4096, 8191, 8192, 12287};
	char b[7] = {0};
	for (int i = 0; i < 6; i++) {
		char c = 0;
		b[i] = pread(fd, &c, 1, at[i]) == 1 ? (c ? c : '.') : '-';
	}
	printf("%s: size %ld blocks %ld bytes %s\n", what, (long)st.st_size, (long)st.st_blocks, b);
}

static void fill(int fd, char c, size_t n)
{
	char *buf = malloc(n);
	memset(buf, c, n);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, n, 0) != (ssize_t)n)
		printf("fill: %s\n", strerrorname_np(errno));
	free(buf);
}

static void fallocate_tests(void)
{
	int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
	res("allocate 0..8192", fallocate(fd, 0, 0, 8192));
	show("after allocate", fd);
	res("keep size to 16384", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 8192));
	show("after keep size", fd);
	res("allocate inside", fallocate(fd, 0, 100, 100));
	show("after allocate inside", fd);

	fill(fd, 'x', 12288);
	res("punch without keep size", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
	res("punch 4000..8200", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4000, 4200));
	show("after punch", fd);
	res("punch past the end", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 12000, 10000));
	show("after punch past the end", fd);

	fill(fd, 'y', 12288);
	res("zero range", fallocate(fd, FALLOC_FL_ZERO_RANGE, 4096, 4096));
	show("after zero range", fd);
	res("zero range keep size", fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 8192, 8192));
	show("after zero range keep size", fd);

	fill(fd, 'z', 12288);
	if (pwrite(fd, "A", 1, 4096) != 1 || pwrite(fd, "B", 1, 8192) != 1)
		printf("mark: %s\n", strerrorname_np(errno));
	res("collapse unaligned", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 100, 4096));
	res("collapse keep size", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	res("collapse 0..4096", fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096));
	show("after collapse", fd);
	res("insert 0..4096", fallocate(fd, FALLOC_FL_INSERT_RANGE, 0, 4096));
	show("after insert", fd);
	res("unshare", fallocate(fd, FALLOC_FL_UNSHARE_RANGE, 0, 4096));

	res("punch|zero", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 1));
	res("unknown mode bit", fallocate(fd, 0x1000, 0, 1));
	res("length 0", fallocate(fd, 0, 0, 0));
	res("negative offset", fallocate(fd, 0, -1, 1));
	res("offset + length wraps", fallocate(fd, 0, 1LL << 62, 1LL << 62));
	int ro = open("f", O_RDONLY);
	res("read-only fd", fallocate(ro, 0, 0, 1));
	res("read-only fd, bad mode", fallocate(ro, 0x1000, 0, 1));
	int op = open("f", O_PATH);
	res("O_PATH fd", fallocate(op, 0, 0, 1));
	int d = open(".", O_RDONLY | O_DIRECTORY);
	res("directory", fallocate(d, 0, 0, 1));
	int p[2];
	if (pipe(p) == 0)
		res("pipe", fallocate(p[1], 0, 0, 1));
	int null = open("/dev/null", O_WRONLY);
	res("/dev/null", fallocate(null, 0, 0, 1));
	res("bad fd", fallocate(999, 0, 0, 1));
	int app = open("f", O_WRONLY | O_APPEND);
	res("O_APPEND fd", fallocate(app, FALLOC_FL_KEEP_SIZE, 0, 4096));

	/* A shared mapping sees a punched hole and keeps writing to the file. */
	fill(fd, 'm', 12288);
	char *m = mmap(NULL, 12288, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		printf("mmap: %s\n", strerrorname_np(errno));
		return;
	}
	m[4096] = 'W';
	res("punch a mapped page", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096));
	printf("mapping after punch: %c %c %c\n", m[0], m[4096] ? m[4096] : '.', m[8192]);
	m[4097] = 'N';
	char c = 0;
	res("pread after writing the mapping", pread(fd, &c, 1, 4097));
	printf("byte 4097: %c\n", c ? c : '.');
	if (pwrite(fd, "P", 1, 4098) != 1)
		printf("pwrite: %s\n", strerrorname_np(errno));
	printf("mapping sees pwrite: %c\n", m[4098] ? m[4098] : '.');
	munmap(m, 12288);
	show("after the mapping", fd);
	close(fd);
	unlink("f");
}
