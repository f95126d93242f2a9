/* st_blocks of sparse files (sparse.c: tmpfs; gofer_sparse.c: the
 * gofer-backed root): a file counts the blocks it holds, not its size. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int fd)
{
	struct stat st;
	if (fstat(fd, &st) < 0) {
		perror("fstat");
		return;
	}
	printf("%s: size %lld blocks %lld\n", what, (long long)st.st_size, (long long)st.st_blocks);
}

static void sparse_tests(void)
{
	int fd = open("sparse", O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("open");
		return;
	}
	show("empty", fd);
	if (ftruncate(fd, 1LL << 30) < 0)
		perror("ftruncate");
	show("truncated to 1 GiB", fd);
	char page[4096];
	memset(page, 'x', sizeof(page));
	if (pwrite(fd, page, sizeof(page), 0) != (ssize_t)sizeof(page))
		perror("pwrite");
	fsync(fd);
	show("one page at 0", fd);
	if (pwrite(fd, "y", 1, 512LL << 20) != 1)
		perror("pwrite");
	fsync(fd);
	show("one byte at 512 MiB", fd);
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, sizeof(page)) < 0)
		perror("punch");
	show("first page punched", fd);
	if (ftruncate(fd, 0) < 0)
		perror("ftruncate");
	show("truncated to 0", fd);
	close(fd);
	unlink("sparse");
	struct stat st;
	if (stat("/proc/self/status", &st) == 0)
		printf("/proc/self/status: blocks %lld\n", (long long)st.st_blocks);
}
