/* Conformance: st_blocks by path after writes and truncates made through a
 * file descriptor, on a host directory (argv[1]; under visor a
 * gofer-backed one).  As Linux: stat(2) of the name counts the blocks the
 * writes allocated at once (du, ls -s, and logrotate's "is it empty"), not
 * what they were when the name was first looked up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		printf("%s: stat: %s\n", what, strerror(errno));
	else
		printf("%s: size %lld blocks %lld\n", what, (long long)st.st_size,
		       (long long)st.st_blocks);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	char path[4096], buf[65536];
	snprintf(path, sizeof(path), "%s/data", argv[1]);
	memset(buf, 'x', sizeof(buf));
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	show("created", path);
	if (write(fd, buf, 6) != 6)
		printf("write: %s\n", strerror(errno));
	show("6 bytes written", path);
	for (int i = 0; i < 3; i++)
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf))
			printf("write: %s\n", strerror(errno));
	show("196614 bytes written", path);
	close(fd);
	show("closed", path);
	truncate(path, 4096);
	show("truncated to 4096", path);
	truncate(path, 1 << 20);
	show("extended to 1 MiB (a hole)", path);
	fd = open(path, O_WRONLY);
	if (pwrite(fd, buf, 4096, 512 * 1024) != 4096)
		printf("pwrite: %s\n", strerror(errno));
	show("a page written in the hole", path);
	close(fd);
	fd = open(path, O_WRONLY | O_TRUNC);
	show("O_TRUNC", path);
	close(fd);
	return 0;
}
