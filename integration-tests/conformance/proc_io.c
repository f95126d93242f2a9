/* /proc/PID/io: its seven fields; read and write calls counted in
 * syscr/syscw (failed ones too) and their bytes in rchar/wchar; a reaped
 * child's counts joining its parent's; bytes written to a regular file in
 * write_bytes; sendfile and copy_file_range as one read and one write. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

struct io {
	unsigned long long v[7];
	int n;            /* bytes the reading itself read */
};

static const char *names[7] = {"rchar", "wchar", "syscr", "syscw", "read_bytes",
			       "write_bytes", "cancelled_write_bytes"};

/* Two read calls: the text, then end of file. */
static void snap(struct io *io, int print_names)
{
	char buf[1024];
	int fd = open("/proc/self/io", O_RDONLY);
	int n = (int)read(fd, buf, sizeof(buf) - 1);
	read(fd, buf + n, 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	io->n = n;
	char *p = buf;
	for (int i = 0; i < 7; i++) {
		char name[32];
		int used = 0;
		if (sscanf(p, "%31[^:]: %llu\n%n", name, &io->v[i], &used) != 2 || strcmp(name, names[i]))
			printf("field %d: %.20s\n", i, p);
		else if (print_names)
			printf("%s ", name);
		p += used;
	}
	if (print_names)
		printf("\n");
}

/* What happened between a and b, less a's own reading. */
static void delta(const char *what, const struct io *a, const struct io *b)
{
	printf("%s: rchar +%lld wchar +%lld syscr +%lld syscw +%lld\n", what,
	       (long long)(b->v[0] - a->v[0] - a->n), (long long)(b->v[1] - a->v[1]),
	       (long long)(b->v[2] - a->v[2] - 2), (long long)(b->v[3] - a->v[3]));
}

int main(int argc, char **argv)
{
	char path[256], buf[8192];
	snprintf(path, sizeof(path), "%s/io_file", argc > 1 ? argv[1] : "/tmp");
	struct io a, b;
	snap(&a, 1);
	snap(&b, 0);
	delta("nothing", &a, &b);
	int p[2];
	pipe(p);
	snap(&a, 0);
	write(p[1], "hello", 5);
	read(p[0], buf, sizeof(buf));
	write(-1, "x", 1);  /* EBADF: before any file, not counted */
	read(p[1], buf, 1); /* EBADF on the write end: a failed read, counted */
	struct iovec iov[2] = {{"ab", 2}, {"cde", 3}};
	writev(p[1], iov, 2);
	pread(p[0], buf, 5, 0); /* ESPIPE */
	read(p[0], buf, 5);
	snap(&b, 0);
	delta("pipe", &a, &b);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	memset(buf, 'x', sizeof(buf));
	snap(&a, 0);
	write(fd, buf, 8192);
	pread(fd, buf, 100, 10);
	snap(&b, 0);
	delta("file", &a, &b);
	printf("write_bytes at least 8192: %d\n", b.v[5] - a.v[5] >= 8192);
	/* sendfile and copy_file_range: one read and one write each. */
	char path2[300];
	snprintf(path2, sizeof(path2), "%s2", path);
	int fd2 = open(path2, O_RDWR | O_CREAT | O_TRUNC, 0600);
	snap(&a, 0);
	off_t o = 0;
	sendfile(p[1], fd, &o, 300);
	read(p[0], buf, sizeof(buf));
	loff_t io = 0, oo = 0;
	copy_file_range(fd, &io, fd2, &oo, 1000, 0);
	copy_file_range(fd, &io, fd2, &oo, 0, 0);
	snap(&b, 0);
	delta("sendfile, copy_file_range", &a, &b);
	close(fd2);
	unlink(path2);
	snap(&a, 0);
	pid_t c = fork();
	if (c == 0) {
		write(p[1], "child", 5);
		read(p[0], buf, 5);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	snap(&b, 0);
	delta("a reaped child", &a, &b);
	close(fd);
	unlink(path);
	return 0;
}
