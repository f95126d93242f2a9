/* Conformance: lseek SEEK_DATA / SEEK_HOLE on a host directory (argv[1];
 * under visor a gofer-backed one).  As Linux: the answer is the host file
 * system's (its holes, and on ext4 a preallocated, never written range
 * reads as a hole), ENXIO at or past the end, and a page written through a
 * shared mapping counts as data. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MB (1 << 20)

static void seeks(int fd, const char *what)
{
	static const long offs[] = {0, MB, 3 * MB, 5 * MB, 7 * MB, 8 * MB, 9 * MB};
	printf("%s:", what);
	for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		off_t d = lseek(fd, offs[i], SEEK_DATA);
		int de = errno;
		off_t h = lseek(fd, offs[i], SEEK_HOLE);
		int he = errno;
		printf(" %ld:", offs[i] / MB);
		if (d < 0)
			printf("d=%s", strerrorname_np(de));
		else
			printf("d=%ld", (long)d);
		if (h < 0)
			printf(",h=%s", strerrorname_np(he));
		else
			printf(",h=%ld", (long)h);
	}
	printf(" pos=%ld\n", (long)lseek(fd, 0, SEEK_CUR));
}

int main(int argc, char **argv)
{
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	int fd = open("sparse", O_CREAT | O_RDWR | O_TRUNC, 0644);
	char buf[4096];
	memset(buf, 'd', sizeof(buf));
	seeks(fd, "empty");
	/* data at 1 MiB, a hole, 4 MiB preallocated at 4 MiB, 8 MiB long. */
	if (pwrite(fd, buf, sizeof(buf), MB) != sizeof(buf) || ftruncate(fd, 8 * MB) < 0 ||
	    fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * MB, 4 * MB) < 0)
		printf("setup: %s\n", strerror(errno));
	seeks(fd, "written+preallocated");
	int fd2 = open("sparse", O_RDONLY);
	seeks(fd2, "another open");
	close(fd2);
	close(fd);
	/* A page written through a shared mapping, in a hole at 3 MiB of a
	 * file that has no preallocated range (where the host's own page
	 * cache would make the range data too). */
	fd = open("mapped", O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (pwrite(fd, buf, sizeof(buf), MB) != sizeof(buf) || ftruncate(fd, 8 * MB) < 0)
		printf("setup: %s\n", strerror(errno));
	char *m = mmap(NULL, 8 * MB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		printf("mmap: %s\n", strerror(errno));
		return 1;
	}
	memset(m + 3 * MB, 'm', 4096);
	seeks(fd, "mapped page");
	munmap(m, 8 * MB);
	close(fd);
	return 0;
}
