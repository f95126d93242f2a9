/* Conformance: sync_file_range(2)'s checks, sync(2) and syncfs(2) (of a
 * file, a directory, a pipe, an O_PATH fd) and the file-handle calls'
 * error paths (the ones before a handle is made or decoded: visor's file
 * systems make none, see sys_fd.c), in a scratch directory (argv[1]). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	int fd = open("f", O_CREAT | O_RDWR, 0644);
	if (fd < 0 || write(fd, "data", 4) != 4)
		return 3;
	res("sync_file_range write", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	res("sync_file_range all flags", sync_file_range(fd, 0, 4096, 7));
	res("sync_file_range no flags", sync_file_range(fd, 0, 4096, 0));
	res("sync_file_range bad flags", sync_file_range(fd, 0, 0, 8));
	res("sync_file_range negative offset", sync_file_range(fd, -1, 0, 0));
	res("sync_file_range negative length", sync_file_range(fd, 0, -1, 0));
	res("sync_file_range wraps", sync_file_range(fd, 1LL << 62, 1LL << 62, 0));
	res("sync_file_range bad fd", sync_file_range(999, 0, 0, 0));
	res("sync_file_range bad fd and flags", sync_file_range(999, 0, 0, 8));
	int p[2];
	if (pipe(p) == 0)
		res("sync_file_range pipe", sync_file_range(p[0], 0, 0, 0));
	int d = open(".", O_RDONLY | O_DIRECTORY);
	res("sync_file_range directory", sync_file_range(d, 0, 0, SYNC_FILE_RANGE_WRITE));
	int op = open("f", O_PATH);
	res("sync_file_range O_PATH", sync_file_range(op, 0, 0, 0));
	sync();
	res("syncfs file", syncfs(fd));
	res("syncfs directory", syncfs(d));
	res("syncfs pipe", syncfs(p[0]));
	res("syncfs O_PATH", syncfs(op));
	res("syncfs bad fd", syncfs(999));

	char buf[256];
	struct file_handle *h = (void *)buf;
	h->handle_bytes = 128;
	int mnt;
	res("name_to_handle_at bad flags", syscall(SYS_name_to_handle_at, AT_FDCWD, "f", h, &mnt, 0x8000));
	res("name_to_handle_at missing", syscall(SYS_name_to_handle_at, AT_FDCWD, "nope", h, &mnt, 0));
	res("name_to_handle_at bad dirfd", syscall(SYS_name_to_handle_at, 999, "f", h, &mnt, 0));
	res("open_by_handle_at bad mount fd", syscall(SYS_open_by_handle_at, 999, h, O_RDONLY));
	h->handle_bytes = 0;
	res("open_by_handle_at empty handle", syscall(SYS_open_by_handle_at, d, h, O_RDONLY));
	h->handle_bytes = 4096;
	res("open_by_handle_at huge handle", syscall(SYS_open_by_handle_at, d, h, O_RDONLY));
	res("open_by_handle_at bad pointer", syscall(SYS_open_by_handle_at, d, (void *)8, O_RDONLY));
	unlink("f");
	return 0;
}
