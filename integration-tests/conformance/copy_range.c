/* Conformance: copy_file_range(2) and splice(2) on tmpfs (a directory made
 * under /dev/shm, natively and in the sandbox): offsets given or taken from
 * the files, short copies at EOF, overlapping ranges of one file, other
 * file systems (EXDEV), bad files; splice between a pipe and a file both
 * ways, with offsets; the pipe's size (F_GETPIPE_SZ / F_SETPIPE_SZ); tee
 * between pipes and vmsplice both ways. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void show(const char *what, int fd)
{
	char buf[128] = {0};
	struct stat st;
	fstat(fd, &st);
	long n = pread(fd, buf, sizeof(buf) - 1, 0);
	for (long i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '.';
	printf("%s: size %ld \"%s\" pos %ld\n", what, (long)st.st_size, buf,
	       (long)lseek(fd, 0, SEEK_CUR));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* tmpfs here; gofer_copy_range.c runs it in argv[1] (a gofer-backed one). */
#ifdef SCRATCH_IN_ARGV
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/copy.XXXXXX", argc > 1 ? argv[1] : ".");
#else
	char dir[] = "/dev/shm/copy.XXXXXX";
#endif
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return 2;
	int in = open("in", O_CREAT | O_RDWR, 0644);
	if (write(in, "0123456789abcdefghij", 20) != 20)
		return 3;
	int out = open("out", O_CREAT | O_RDWR, 0644);

	/* Offsets: the files' positions, or given (and advanced, positions kept). */
	lseek(in, 2, SEEK_SET);
	res("copy from positions", copy_file_range(in, NULL, out, NULL, 5, 0));
	show("out", out);
	printf("in pos %ld\n", (long)lseek(in, 0, SEEK_CUR));
	loff_t ioff = 10, ooff = 8;
	res("copy at offsets", copy_file_range(in, &ioff, out, &ooff, 4, 0));
	printf("offsets now %ld %ld\n", (long)ioff, (long)ooff);
	show("out", out);
	ioff = 15;
	res("copy past EOF is short", copy_file_range(in, &ioff, out, NULL, 100, 0));
	ioff = 20;
	res("copy at EOF", copy_file_range(in, &ioff, out, NULL, 10, 0));
	ioff = 100;
	res("copy beyond EOF", copy_file_range(in, &ioff, out, NULL, 10, 0));
	res("copy of 0 bytes", copy_file_range(in, NULL, out, NULL, 0, 0));
	show("out", out);

	/* Within one file. */
	ioff = 0, ooff = 4;
	res("overlapping ranges", copy_file_range(in, &ioff, in, &ooff, 8, 0));
	ioff = 0, ooff = 10;
	res("disjoint ranges of one file", copy_file_range(in, &ioff, in, &ooff, 5, 0));
	show("in", in);

	/* Bad arguments. */
	res("flags", copy_file_range(in, NULL, out, NULL, 1, 1));
	ioff = -1;
	res("negative offset", copy_file_range(in, &ioff, out, NULL, 1, 0));
	res("bad fd", copy_file_range(999, NULL, out, NULL, 1, 0));
	int ro = open("out", O_RDONLY);
	res("output read-only", copy_file_range(in, NULL, ro, NULL, 1, 0));
	int wo = open("in", O_WRONLY);
	res("input write-only", copy_file_range(wo, NULL, out, NULL, 1, 0));
	int app = open("out", O_WRONLY | O_APPEND);
	res("output O_APPEND", copy_file_range(in, NULL, app, NULL, 1, 0));
	int d = open(".", O_RDONLY | O_DIRECTORY);
	res("input a directory", copy_file_range(d, NULL, out, NULL, 1, 0));
	int p[2];
	if (pipe(p) < 0)
		return 4;
	res("input a pipe", copy_file_range(p[0], NULL, out, NULL, 1, 0));
	ioff = 0x7ffffffffffffff0LL;
	res("offset overflow", copy_file_range(in, &ioff, out, NULL, 0x100, 0));
	int proc = open("/proc/self/comm", O_RDONLY);
	res("from procfs (another fs)", copy_file_range(proc, NULL, out, NULL, 4, 0));
	res("bad offset pointer", copy_file_range(in, (loff_t *)8, out, NULL, 4, 0));

	/* splice: file to pipe and pipe to file, with and without offsets. */
	ioff = 3;
	res("splice file@3 -> pipe", splice(in, &ioff, p[1], NULL, 6, 0));
	printf("offset now %ld, in pos %ld\n", (long)ioff, (long)lseek(in, 0, SEEK_CUR));
	int f2 = open("f2", O_CREAT | O_RDWR, 0644);
	ooff = 2;
	res("splice pipe -> file@2", splice(p[0], NULL, f2, &ooff, 4, 0));
	printf("offset now %ld\n", (long)ooff);
	res("splice pipe -> file pos", splice(p[0], NULL, f2, NULL, 10, SPLICE_F_NONBLOCK));
	show("f2", f2);
	lseek(in, 0, SEEK_SET);
	res("splice file pos -> pipe", splice(in, NULL, p[1], NULL, 4, 0));
	printf("in pos %ld\n", (long)lseek(in, 0, SEEK_CUR));
	char buf[16] = {0};
	res("read pipe", read(p[0], buf, sizeof(buf)));
	printf("pipe had \"%s\"\n", buf);
	res("splice offset on pipe", splice(p[0], &ioff, f2, NULL, 1, 0));
	res("splice file -> file", splice(in, NULL, f2, NULL, 1, 0));
	res("splice bad flags", splice(in, NULL, p[1], NULL, 1, 0x100));
	res("splice 0 bytes", splice(in, NULL, p[1], NULL, 0, 0));
	res("splice empty pipe nonblock", splice(p[0], NULL, f2, NULL, 4, SPLICE_F_NONBLOCK));
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	res("splice empty O_NONBLOCK pipe", splice(p[0], NULL, f2, NULL, 4, 0));
	res("splice to O_APPEND file", splice(in, NULL, p[1], NULL, 2, 0) >= 0
						 ? splice(p[0], NULL, app, NULL, 2, 0)
						 : -1);
	show("out", out);

	/* The pipe's size. */
	res("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
	res("F_SETPIPE_SZ 5000", fcntl(p[0], F_SETPIPE_SZ, 5000));
	res("F_GETPIPE_SZ after", fcntl(p[1], F_GETPIPE_SZ));
	res("F_SETPIPE_SZ 1", fcntl(p[0], F_SETPIPE_SZ, 1));
	res("F_SETPIPE_SZ 1 MiB", fcntl(p[0], F_SETPIPE_SZ, 1 << 20));
	res("F_SETPIPE_SZ too big", fcntl(p[0], F_SETPIPE_SZ, 1 << 30));
	res("F_SETPIPE_SZ negative", fcntl(p[0], F_SETPIPE_SZ, -1));
	res("F_GETPIPE_SZ on a file", fcntl(in, F_GETPIPE_SZ));

	/* tee: duplicate a pipe's bytes into another, leaving them. */
	int a2[2], b2[2];
	if (pipe(a2) < 0 || pipe(b2) < 0)
		return 5;
	res("tee empty pipe nonblock", tee(a2[0], b2[1], 10, SPLICE_F_NONBLOCK));
	res("write", write(a2[1], "teedata", 7));
	res("tee 4", tee(a2[0], b2[1], 4, 0));
	res("tee all", tee(a2[0], b2[1], 100, 0));
	char tb[32] = {0};
	res("read copy", read(b2[0], tb, sizeof(tb)));
	printf("copy had \"%s\"\n", tb);
	memset(tb, 0, sizeof(tb));
	res("read source", read(a2[0], tb, sizeof(tb)));
	printf("source still had \"%s\"\n", tb);
	res("tee same pipe", tee(a2[0], a2[1], 1, 0));
	res("tee file to pipe", tee(in, b2[1], 1, 0));
	res("tee wrong ends", tee(a2[1], b2[0], 1, 0));
	res("tee bad flags", tee(a2[0], b2[1], 1, 0x100));
	res("tee 0 bytes", tee(a2[0], b2[1], 0, 0));
	res("tee bad fd", tee(999, b2[1], 1, 0));
	close(a2[1]);
	res("tee at EOF", tee(a2[0], b2[1], 10, 0));
	close(b2[0]);
	if (pipe(a2) < 0 || write(a2[1], "x", 1) != 1)
		return 6;
	signal(SIGPIPE, SIG_IGN);
	res("tee to a pipe without readers", tee(a2[0], b2[1], 1, 0));

	/* vmsplice: app memory into a pipe and back out. */
	int v[2];
	if (pipe(v) < 0)
		return 7;
	struct iovec iv[2] = {{"vm", 2}, {"splice", 6}};
	res("vmsplice into the write end", vmsplice(v[1], iv, 2, 0));
	char vb1[3] = {0}, vb2[16] = {0};
	struct iovec ov[2] = {{vb1, 2}, {vb2, sizeof(vb2) - 1}};
	res("vmsplice out of the read end", vmsplice(v[0], ov, 2, 0));
	printf("got \"%s\" \"%s\"\n", vb1, vb2);
	res("vmsplice empty read end nonblock", vmsplice(v[0], ov, 2, SPLICE_F_NONBLOCK));
	res("vmsplice no segments", vmsplice(v[1], iv, 0, 0));
	res("vmsplice to a file", vmsplice(in, iv, 2, 0));
	res("vmsplice bad flags", vmsplice(v[1], iv, 2, 0x100));
	res("vmsplice bad iovec", vmsplice(v[1], (struct iovec *)8, 2, 0));
	res("vmsplice too many segments", vmsplice(v[1], iv, 2000, 0));
	res("vmsplice bad fd", vmsplice(999, iv, 2, 0));

	unlink("in");
	unlink("out");
	unlink("f2");
	if (chdir("/") < 0 || rmdir(dir) < 0)
		printf("cleanup: %s\n", strerrorname_np(errno));
	return 0;
}
