/* Conformance: timerfd_create/settime/gettime, read, poll, epoll, errnos. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case EPERM: return "EPERM";
	case EINTR: return "EINTR";
	case ENOTTY: return "ENOTTY";
	}
	return "other";
}

#define CHECK(what, expr)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		printf("%s: %s\n", what, r_ < 0 ? en(errno) : "OK");                               \
	} while (0)

static int64_t ns(const struct timespec *ts) { return ts->tv_sec * 1000000000LL + ts->tv_nsec; }


/* Print the lines of /proc/self/fdinfo/FD that start with one of the keys. */
static void fdinfo_lines(int fd, const char *const *keys)
{
	char p[64], b[2048] = {0};
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	int f = open(p, O_RDONLY);
	if (f < 0) {
		printf("fdinfo: none\n");
		return;
	}
	read(f, b, sizeof(b) - 1);
	close(f);
	for (char *l = strtok(b, "\n"); l; l = strtok(NULL, "\n"))
		for (int i = 0; keys[i]; i++)
			if (strncmp(l, keys[i], strlen(keys[i])) == 0)
				printf("fdinfo %s\n", l);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK("bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
	CHECK("bad clock 99", timerfd_create(99, 0));
	CHECK("bad flags", timerfd_create(CLOCK_MONOTONIC, 0x1));
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	printf("created: %d\n", fd >= 0);
	printf("cloexec: %d nonblock: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	       (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	struct stat st;
	fstat(fd, &st);
	printf("mode %o\n", st.st_mode & 0777);
	char link[64] = {0}, path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	printf("readlink %zd %s\n", readlink(path, link, sizeof(link) - 1), link);

	uint64_t v = 0;
	CHECK("read disarmed", read(fd, &v, 8));
	CHECK("read short", read(fd, &v, 4));
	struct itimerspec its, old;
	memset(&its, 0, sizeof(its));
	CHECK("gettime", timerfd_gettime(fd, &old));
	printf("disarmed value %ld.%09ld interval %ld\n", (long)old.it_value.tv_sec,
	       old.it_value.tv_nsec, (long)old.it_interval.tv_sec);
	its.it_value.tv_nsec = 1000000000;
	CHECK("settime nsec range", timerfd_settime(fd, 0, &its, NULL));
	its.it_value.tv_nsec = -1;
	CHECK("settime negative", timerfd_settime(fd, 0, &its, NULL));
	its.it_value.tv_nsec = 1000;
	CHECK("settime bad flags", timerfd_settime(fd, 0x10, &its, NULL));
	CHECK("settime bad fd", timerfd_settime(999, 0, &its, NULL));
	CHECK("settime not timerfd", timerfd_settime(0, 0, &its, NULL));
	CHECK("gettime not timerfd", timerfd_gettime(0, &old));
	CHECK("settime efault", timerfd_settime(fd, 0, (void *)8, NULL));
	CHECK("gettime efault", timerfd_gettime(fd, (void *)8));

	/* One-shot, 20 ms. */
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 20 * 1000000;
	CHECK("arm one-shot", timerfd_settime(fd, 0, &its, &old));
	timerfd_gettime(fd, &old);
	printf("remaining in (0, 20ms]: %d\n", ns(&old.it_value) > 0 && ns(&old.it_value) <= 20000000);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	printf("poll before: %d\n", poll(&p, 1, 0));
	int pr = poll(&p, 1, 5000);
	printf("poll waits: %d revents %x\n", pr, p.revents);
	ssize_t rr = read(fd, &v, 8);
	printf("read: %zd value %llu\n", rr, (unsigned long long)v);
	CHECK("read again", read(fd, &v, 8));
	timerfd_gettime(fd, &old);
	printf("after expiry value %ld.%09ld\n", (long)old.it_value.tv_sec, old.it_value.tv_nsec);

	/* Periodic 10 ms, count missed periods. */
	its.it_value.tv_nsec = 10 * 1000000;
	its.it_interval.tv_nsec = 10 * 1000000;
	timerfd_settime(fd, 0, &its, NULL);
	usleep(55 * 1000);
	v = 0;
	read(fd, &v, 8);
	printf("periodic count >= 5: %d\n", v >= 5 && v < 100);
	timerfd_gettime(fd, &old);
	printf("interval %ld ns, value in (0, 10ms]: %d\n", old.it_interval.tv_nsec,
	       ns(&old.it_value) > 0 && ns(&old.it_value) <= 10000000);

	/* Old value on re-arm, disarm. */
	memset(&its, 0, sizeof(its));
	CHECK("disarm", timerfd_settime(fd, 0, &its, &old));
	printf("old interval %ld ns\n", old.it_interval.tv_nsec);
	timerfd_gettime(fd, &old);
	printf("disarmed: %d\n", ns(&old.it_value) == 0 && ns(&old.it_interval) == 0);

	/* Absolute time in the past: expires at once; periodic counts the periods. */
	/* (On CLOCK_REALTIME: the sandbox's monotonic clock starts near 0.) */
	struct timespec now;
	int pfd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value = now;
	its.it_value.tv_sec -= 1;
	its.it_interval.tv_sec = 0;
	its.it_interval.tv_nsec = 100 * 1000000;
	CHECK("abs past", timerfd_settime(pfd, TFD_TIMER_ABSTIME, &its, NULL));
	v = 0;
	read(pfd, &v, 8);
	printf("abs past periodic count >= 10: %d\n", v >= 10 && v <= 30);
	close(pfd);
	memset(&its, 0, sizeof(its));

	/* Absolute CLOCK_REALTIME in the future, blocking read. */
	int rfd = timerfd_create(CLOCK_REALTIME, 0);
	clock_gettime(CLOCK_REALTIME, &now);
	its.it_value = now;
	its.it_value.tv_nsec += 30 * 1000000;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_nsec -= 1000000000;
		its.it_value.tv_sec++;
	}
	CHECK("abs realtime cancel-on-set", timerfd_settime(rfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &its, NULL));
	v = 0;
	rr = read(rfd, &v, 8);
	printf("blocking read: %zd %llu\n", rr, (unsigned long long)v);
	struct timespec after;
	clock_gettime(CLOCK_REALTIME, &after);
	printf("not early: %d\n", ns(&after) >= ns(&its.it_value));

	/* epoll. */
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, out;
	CHECK("epoll add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	printf("epoll nothing: %d\n", epoll_wait(ep, &out, 1, 0));
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 10 * 1000000;
	timerfd_settime(fd, 0, &its, NULL);
	int n = epoll_wait(ep, &out, 1, 5000);
	printf("epoll: %d data %llu events %x\n", n, (unsigned long long)out.data.u64, out.events);
	read(fd, &v, 8);
	printf("epoll after read: %d\n", epoll_wait(ep, &out, 1, 0));

	/* Boottime works too; settime resets the count. */
	int bfd = timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK);
	its.it_value.tv_nsec = 1000;
	timerfd_settime(bfd, 0, &its, NULL);
	usleep(10000);
	its.it_value.tv_sec = 100;
	timerfd_settime(bfd, 0, &its, NULL);
	CHECK("count reset by settime", read(bfd, &v, 8));
	CHECK("write", write(fd, &v, 8));
	static const char *const tfd_keys[] = {"clockid:", "ticks:", "settime flags:", "it_interval:",
					       "flags:", NULL};
	fdinfo_lines(bfd, tfd_keys);
	/* TFD_IOC_SET_TICKS (checkpoint/restore). */
	uint64_t set = 5;
	CHECK("set ticks", ioctl(bfd, _IOW('T', 0, uint64_t), &set));
	v = 0;
	read(bfd, &v, 8);
	printf("ticks read back: %llu\n", (unsigned long long)v);
	struct itimerspec abs2 = {{1, 500}, {2000000000, 0}};
	timerfd_settime(rfd, TFD_TIMER_ABSTIME, &abs2, NULL);
	fdinfo_lines(rfd, tfd_keys);
	set = 0;
	CHECK("set ticks 0", ioctl(bfd, _IOW('T', 0, uint64_t), &set));
	CHECK("other ioctl", ioctl(bfd, _IOW('T', 1, uint64_t), &set));
	close(bfd);
	close(rfd);
	close(fd);
	close(ep);
	return 0;
}
