/* Conformance: Linux native AIO (io_setup, io_submit, io_getevents,
 * io_cancel, io_destroy) on a file in argv[1]: reads, writes, vectors,
 * fsync, an eventfd signalled per completion, timeouts, the errors, and a
 * context a forked child does not inherit.  (Not printed: the ring's size
 * and header, which differ by design; IOCB_CMD_POLL, not offered.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long io_setup(unsigned n, aio_context_t *c) { return syscall(SYS_io_setup, n, c); }
static long io_destroy(aio_context_t c) { return syscall(SYS_io_destroy, c); }
static long io_submit(aio_context_t c, long n, struct iocb **p) { return syscall(SYS_io_submit, c, n, p); }
static long io_getevents(aio_context_t c, long min, long n, struct io_event *e, struct timespec *t)
{
	return syscall(SYS_io_getevents, c, min, n, e, t);
}

static const char *res(long r)
{
	static char buf[64];
	if (r >= 0)
		snprintf(buf, sizeof(buf), "%ld", r);
	else
		snprintf(buf, sizeof(buf), "%s", strerror(errno));
	return buf;
}

static struct iocb cb(int op, int fd, void *buf, size_t n, long long off, uint64_t data)
{
	struct iocb c;
	memset(&c, 0, sizeof(c));
	c.aio_lio_opcode = op;
	c.aio_fildes = fd;
	c.aio_buf = (uintptr_t)buf;
	c.aio_nbytes = n;
	c.aio_offset = off;
	c.aio_data = data;
	c.aio_key = 77;
	return c;
}

/* Submit one, reap it: "submit R, event data D res X". */
static void one(aio_context_t ctx, const char *what, struct iocb c)
{
	struct iocb *p = &c;
	long r = io_submit(ctx, 1, &p);
	printf("%s: submit %s", what, res(r));
	if (r == 1) {
		struct io_event e;
		long n = io_getevents(ctx, 1, 1, &e, NULL);
		printf(", %ld event: data %llu res %lld obj ok %d key %u", n, (unsigned long long)e.data,
		       (long long)e.res, e.obj == (uintptr_t)p, c.aio_key);
	}
	printf("\n");
}

static aio_context_t shared_ctx;

static void *reaper(void *arg)
{
	struct io_event e;
	long n = io_getevents(shared_ctx, 1, 1, &e, NULL);
	printf("thread reaped %ld: data %llu res %lld\n", n, (unsigned long long)e.data,
	       (long long)e.res);
	return NULL;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	aio_context_t ctx = 0;
	printf("io_setup(0): %s\n", res(io_setup(0, &ctx)));
	printf("io_setup(bad pointer): %s\n", res(io_setup(4, (aio_context_t *)8)));
	long r = io_setup(8, &ctx);
	printf("io_setup(8): %s, ctx set %d\n", res(r), ctx != 0);
	aio_context_t again = ctx;
	printf("io_setup over a set ctx: %s\n", res(io_setup(8, &again)));

	int fd = open("aio-file", O_RDWR | O_CREAT | O_TRUNC, 0644);
	struct iocb w1 = cb(IOCB_CMD_PWRITE, fd, "hello", 5, 0, 1);
	struct iocb w2 = cb(IOCB_CMD_PWRITE, fd, "world", 5, 5, 2);
	struct iocb *ps[] = {&w1, &w2};
	printf("submit 2 writes: %s\n", res(io_submit(ctx, 2, ps)));
	struct io_event ev[4];
	long n = io_getevents(ctx, 2, 4, ev, NULL);
	printf("reaped %ld:", n);
	for (long i = 0; i < n; i++)
		printf(" data %llu res %lld;", (unsigned long long)ev[i].data, (long long)ev[i].res);
	printf(" keys %u %u\n", w1.aio_key, w2.aio_key);
	char rb[16] = {0};
	one(ctx, "pread 10 at 0", cb(IOCB_CMD_PREAD, fd, rb, 10, 0, 3));
	printf("read back: %s\n", rb);
	char a[4] = {0}, b[8] = {0};
	struct iovec iov[2] = {{a, 3}, {b, 7}};
	one(ctx, "preadv 3+7", cb(IOCB_CMD_PREADV, fd, iov, 2, 0, 4));
	printf("vector: %.3s|%.7s\n", a, b);
	struct iovec wv[2] = {{"AB", 2}, {"CD", 2}};
	one(ctx, "pwritev at 10", cb(IOCB_CMD_PWRITEV, fd, wv, 2, 10, 5));
	one(ctx, "pread past the end", cb(IOCB_CMD_PREAD, fd, rb, 10, 100, 6));
	one(ctx, "fsync", cb(IOCB_CMD_FSYNC, fd, NULL, 0, 0, 7));
	one(ctx, "fdatasync", cb(IOCB_CMD_FDSYNC, fd, NULL, 0, 0, 8));
	one(ctx, "fsync with a buffer", cb(IOCB_CMD_FSYNC, fd, rb, 1, 0, 9));
	one(ctx, "noop", cb(IOCB_CMD_NOOP, fd, NULL, 0, 0, 10));
	one(ctx, "opcode 99", cb(99, fd, NULL, 0, 0, 11));
	one(ctx, "bad fd", cb(IOCB_CMD_PREAD, 999, rb, 1, 0, 12));
	int wo = open("aio-file", O_WRONLY);
	one(ctx, "pread on a write-only fd", cb(IOCB_CMD_PREAD, wo, rb, 1, 0, 13));
	struct iocb rsv = cb(IOCB_CMD_PREAD, fd, rb, 1, 0, 14);
	rsv.aio_reserved2 = 1;
	one(ctx, "reserved field set", rsv);
	one(ctx, "negative length", cb(IOCB_CMD_PREAD, fd, rb, (size_t)-1, 0, 15));
	one(ctx, "bad buffer", cb(IOCB_CMD_PREAD, fd, (void *)8, 4, 0, 16));

	int efd = eventfd(0, EFD_NONBLOCK);
	struct iocb e1 = cb(IOCB_CMD_PREAD, fd, rb, 2, 0, 17);
	e1.aio_flags = IOCB_FLAG_RESFD;
	e1.aio_resfd = efd;
	one(ctx, "with an eventfd", e1);
	uint64_t cnt = 0;
	r = read(efd, &cnt, 8);
	printf("eventfd: %s, count %llu\n", res(r), (unsigned long long)cnt);
	struct iocb e2 = e1;
	e2.aio_resfd = fd;
	one(ctx, "resfd not an eventfd", e2);
	e2.aio_resfd = 999;
	one(ctx, "resfd closed", e2);

	struct timespec zero = {0, 0}, short_wait = {0, 50000000};
	printf("getevents, none, no wait: %s\n", res(io_getevents(ctx, 1, 4, ev, &zero)));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	n = io_getevents(ctx, 1, 4, ev, &short_wait);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("getevents, none, 50 ms: %s, waited >= 40 ms %d\n", res(n), ms >= 40);
	printf("getevents min > nr: %s\n", res(io_getevents(ctx, 3, 2, ev, &zero)));
	printf("getevents min < 0: %s\n", res(io_getevents(ctx, -1, 2, ev, &zero)));
	printf("getevents bad ctx: %s\n", res(io_getevents(ctx + 4096, 0, 2, ev, &zero)));
	printf("submit 0: %s\n", res(io_submit(ctx, 0, ps)));
	printf("submit -1: %s\n", res(io_submit(ctx, -1, ps)));
	printf("submit bad ctx: %s\n", res(io_submit(ctx + 4096, 1, ps)));
	printf("submit bad array: %s\n", res(io_submit(ctx, 1, (struct iocb **)8)));
	struct io_event ce;
	printf("cancel a completed request: %s\n", res(syscall(SYS_io_cancel, ctx, &w1, &ce)));

	/* A sleeper in io_getevents wakes for another thread's submission. */
	shared_ctx = ctx;
	pthread_t th;
	pthread_create(&th, NULL, reaper, NULL);
	nanosleep(&short_wait, NULL);
	struct iocb tw = cb(IOCB_CMD_PREAD, fd, rb, 3, 0, 30);
	struct iocb *tp = &tw;
	r = io_submit(ctx, 1, &tp);
	pthread_join(th, NULL); /* it prints first: one order, whoever runs first */
	printf("submit while a thread waited: %s\n", res(r));

	pid_t pid = fork();
	if (pid == 0) {
		printf("child: getevents on the parent's ctx: %s\n",
		       res(io_getevents(ctx, 0, 1, ev, &zero)));
		struct iocb c2 = cb(IOCB_CMD_PREAD, fd, rb, 1, 0, 20);
		struct iocb *p2 = &c2;
		printf("child: submit to it: %s\n", res(io_submit(ctx, 1, &p2)));
		_exit(0);
	}
	waitpid(pid, NULL, 0);
	printf("io_destroy: %s\n", res(io_destroy(ctx)));
	printf("io_destroy again: %s\n", res(io_destroy(ctx)));
	printf("getevents after destroy: %s\n", res(io_getevents(ctx, 0, 1, ev, &zero)));
	aio_context_t c2 = 0;
	printf("io_setup(1) then destroy: %s", res(io_setup(1, &c2)));
	printf(" %s\n", res(io_destroy(c2)));
	unlink("aio-file");
	return 0;
}
