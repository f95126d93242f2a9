/* Conformance: getdents (the old linux_dirent), sync_file_range, and the
 * errors name_to_handle_at and open_by_handle_at give before a handle is
 * made or decoded; vmsplice. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *ename(long r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ESPIPE: return "ESPIPE";
	case ENOENT: return "ENOENT";
	case EFAULT: return "EFAULT";
	case ENOTDIR: return "ENOTDIR";
	}
	return "other";
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) != 0)
		return 1;
	mkdir("d", 0755);
	const char *names[] = {"alpha", "b", "a-rather-longer-name-for-alignment", "dir"};
	if (chdir("d") != 0)
		return 1;
	for (int i = 0; i < 3; i++)
		close(open(names[i], O_CREAT | O_WRONLY, 0644));
	mkdir("dir", 0755);
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	char buf[4096];
	char *seen[16];
	int n = 0;
	long r;
	while ((r = syscall(SYS_getdents, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < r;) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, 2);
			char type = buf[off + reclen - 1];
			char line[128];
			snprintf(line, sizeof(line), "%s type %s aligned %d", buf + off + 18,
				 type == DT_DIR ? "dir" : type == DT_REG ? "reg" : "?", reclen % 8 == 0);
			if (n < 16)
				seen[n++] = strdup(line);
			off += reclen;
		}
	}
	printf("getdents end: %ld\n", r);
	qsort(seen, n, sizeof(seen[0]), cmp);
	for (int i = 0; i < n; i++)
		printf("  %s\n", seen[i]);
	lseek(fd, 0, SEEK_SET);
	r = syscall(SYS_getdents, fd, buf, 10);
	printf("getdents tiny buffer: %s\n", ename(r));
	r = syscall(SYS_getdents, fd, (void *)8, sizeof(buf));
	printf("getdents bad buffer: %s\n", ename(r));
	int ffd = open("alpha", O_RDWR);
	r = syscall(SYS_getdents, ffd, buf, sizeof(buf));
	printf("getdents on a file: %s\n", ename(r));
	r = syscall(SYS_getdents, 999, buf, sizeof(buf));
	printf("getdents bad fd: %s\n", ename(r));

	write(ffd, "data", 4);
	printf("sync_file_range write: %s\n", ename(sync_file_range(ffd, 0, 0, SYNC_FILE_RANGE_WRITE)));
	printf("sync_file_range all flags: %s\n",
	       ename(sync_file_range(ffd, 0, 4096, SYNC_FILE_RANGE_WAIT_BEFORE |
							SYNC_FILE_RANGE_WRITE |
							SYNC_FILE_RANGE_WAIT_AFTER)));
	printf("sync_file_range bad flag: %s\n", ename(sync_file_range(ffd, 0, 0, 8)));
	printf("sync_file_range negative offset: %s\n", ename(sync_file_range(ffd, -1, 0, 0)));
	printf("sync_file_range overflow: %s\n",
	       ename(sync_file_range(ffd, INT64_MAX - 10, 100, 0)));
	int p[2];
	pipe(p);
	printf("sync_file_range on a pipe: %s\n", ename(sync_file_range(p[0], 0, 0, 0)));
	printf("sync_file_range bad fd: %s\n", ename(sync_file_range(999, 0, 0, 0)));
	printf("sync_file_range on a directory: %s\n", ename(sync_file_range(fd, 0, 0, 0)));

	/* vmsplice: into a pipe's write end, out of its read end. */
	char v1[] = "vm", v2[] = "splice";
	struct iovec vin[2] = {{v1, 2}, {v2, 6}};
	r = vmsplice(p[1], vin, 2, 0);
	printf("vmsplice into a pipe: %ld\n", r);
	char vo[16] = "";
	struct iovec vout = {vo, sizeof(vo) - 1};
	r = vmsplice(p[0], &vout, 1, SPLICE_F_NONBLOCK);
	printf("vmsplice out of a pipe: %ld \"%s\"\n", r, vo);
	r = vmsplice(ffd, vin, 2, 0);
	printf("vmsplice on a file: %s\n", ename(r));
	r = vmsplice(p[1], vin, 2, 0x100);
	printf("vmsplice bad flag: %s\n", ename(r));
	r = vmsplice(p[1], vin, 0, 0);
	printf("vmsplice no iovecs: %ld\n", r);
	r = vmsplice(p[1], (struct iovec *)8, 1, 0);
	printf("vmsplice bad iovec array: %s\n", ename(r));

	struct {
		unsigned int bytes;
		int type;
		unsigned char h[128];
	} fh = {128, 0, {0}};
	int mnt;
	errno = 0;
	r = syscall(SYS_name_to_handle_at, AT_FDCWD, "alpha", &fh, &mnt, 0x4000);
	printf("name_to_handle_at bad flag: %s\n", ename(r));
	r = syscall(SYS_name_to_handle_at, AT_FDCWD, "missing", &fh, &mnt, 0);
	printf("name_to_handle_at missing: %s\n", ename(r));
	r = syscall(SYS_name_to_handle_at, AT_FDCWD, "alpha/x", &fh, &mnt, 0);
	printf("name_to_handle_at through a file: %s\n", ename(r));
	fh.bytes = 0;
	r = syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY);
	printf("open_by_handle_at empty handle: %s\n", ename(r));
	fh.bytes = 129;
	r = syscall(SYS_open_by_handle_at, AT_FDCWD, &fh, O_RDONLY);
	printf("open_by_handle_at handle too big: %s\n", ename(r));
	return 0;
}
