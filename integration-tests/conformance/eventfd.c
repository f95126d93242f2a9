/* Conformance: eventfd counters and EFD_SEMAPHORE, flags, errnos, poll. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	}
	return "other";
}

#define CHECK(what, expr)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		printf("%s: %ld %s\n", what, r_, r_ < 0 ? en(errno) : "OK");                      \
	} while (0)

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK("bad flags", eventfd(0, 0x10));
	int fd = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
	printf("cloexec %d nonblock %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	       (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	uint64_t v;
	for (int i = 0; i < 4; i++) {
		v = 0;
		errno = 0;
		ssize_t r = read(fd, &v, 8);
		printf("sem read %d: %zd %llu %s\n", i, r, (unsigned long long)v, r < 0 ? en(errno) : "OK");
	}
	CHECK("short read", read(fd, &v, 7));
	CHECK("short write", write(fd, &v, 4));
	v = UINT64_MAX;
	CHECK("write max", write(fd, &v, 8));
	v = 5;
	CHECK("write 5", write(fd, &v, 8));
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	int pr = poll(&p, 1, 0);
	printf("poll: %d %x\n", pr, p.revents);
	v = UINT64_MAX - 6;
	CHECK("write to the max", write(fd, &v, 8));
	v = 1;
	CHECK("write overflow", write(fd, &v, 8));
	pr = poll(&p, 1, 0);
	printf("poll full: %d %x\n", pr, p.revents);
	close(fd);

	fd = eventfd(0, 0);
	v = 0;
	pid_t c = fork();
	if (c == 0) {
		usleep(20000);
		uint64_t one = 2;
		write(fd, &one, 8);
		_exit(0);
	}
	ssize_t rr = read(fd, &v, 8);
	printf("blocking read: %zd %llu\n", rr, (unsigned long long)v);
	waitpid(c, NULL, 0);
	v = 9;
	write(fd, &v, 8);
	write(fd, &v, 8);
	read(fd, &v, 8);
	printf("non-semaphore takes all: %llu\n", (unsigned long long)v);
	close(fd);
	/* The eventfd(2) syscall without flags is eventfd2(n, 0). */
	return 0;
}
