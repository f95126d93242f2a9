/* What o_direct.c (tmpfs) and gofer_odirect.c (a host directory through the
 * Gofer) both run: O_DIRECT at open and F_SETFL, on regular files and on
 * files that have no direct I/O (EINVAL), and the alignment the file
 * system wants of the offset and length (ext4: 512 bytes; tmpfs: none). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void odirect_tests(void)
{
	int fd = open("f", O_CREAT | O_RDWR | O_DIRECT, 0644);
	res("open O_DIRECT", fd < 0 ? -1 : 0);
	res("F_GETFL has O_DIRECT", !!(fcntl(fd, F_GETFL) & O_DIRECT));
	char *b = aligned_alloc(4096, 8192);
	memset(b, 'a', 8192);
	res("write 4096 at 0", pwrite(fd, b, 4096, 0));
	res("write 100 at 0", pwrite(fd, b, 100, 0));
	res("write 512 at 100", pwrite(fd, b, 512, 100));
	res("write 512 at 512", pwrite(fd, b, 512, 512));
	res("read 4096 at 0", pread(fd, b, 4096, 0));
	res("read 100 at 0", pread(fd, b, 100, 0));
	res("read 512 at 512", pread(fd, b, 512, 512));
	res("read 1024 at 3584 (to EOF)", pread(fd, b, 1024, 3584));
	close(fd);
	int plain = open("f", O_RDWR);
	res("F_SETFL O_DIRECT", fcntl(plain, F_SETFL, O_DIRECT));
	res("F_GETFL after", !!(fcntl(plain, F_GETFL) & O_DIRECT));
	res("write 100 at 0 after F_SETFL", pwrite(plain, b, 100, 0));
	res("F_SETFL back", fcntl(plain, F_SETFL, 0));
	res("write 100 at 0 buffered", pwrite(plain, b, 100, 0));
	close(plain);
	res("open a directory O_DIRECT", open(".", O_RDONLY | O_DIRECT));
	res("open /proc/self/status O_DIRECT", open("/proc/self/status", O_RDONLY | O_DIRECT));
	res("open /dev/null O_DIRECT", open("/dev/null", O_RDONLY | O_DIRECT));
	int proc = open("/proc/self/status", O_RDONLY);
	res("F_SETFL O_DIRECT on procfs", fcntl(proc, F_SETFL, O_DIRECT));
	close(proc);
	free(b);
	unlink("f");
}
