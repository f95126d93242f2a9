/* Conformance: signalfd/signalfd4: masks, siginfo layout, read, poll, epoll. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case EFAULT: return "EFAULT";
	case EAGAIN: return "EAGAIN";
	case EINTR: return "EINTR";
	case ESRCH: return "ESRCH";
	}
	return "other";
}

#define CHECK(what, expr)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		printf("%s: %s\n", what, r_ < 0 ? en(errno) : "OK");                               \
	} while (0)


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

static volatile int handled;
static void on_usr2(int s) { handled = s; }

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	printf("sizeof signalfd_siginfo %zu\n", sizeof(struct signalfd_siginfo));
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	uint64_t raw = 0;
	CHECK("bad sizemask", syscall(SYS_signalfd4, -1, &raw, 4, 0));
	CHECK("efault mask", syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
	CHECK("bad flags", signalfd(-1, &set, 0x1));
	CHECK("bad fd", signalfd(999, &set, 0));
	CHECK("not a signalfd", signalfd(0, &set, 0));
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("created %d cloexec %d nonblock %d\n", fd >= 0, (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
	       (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
	char link[64] = {0}, path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	printf("readlink %zd %s\n", readlink(path, link, sizeof(link) - 1), link);
	struct signalfd_siginfo si[4];
	CHECK("read nothing", read(fd, si, sizeof(si)));
	CHECK("read short", read(fd, si, 100));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	printf("poll nothing: %d\n", poll(&p, 1, 0));

	raise(SIGUSR1);
	int pr = poll(&p, 1, 0);
	printf("poll ready: %d %x\n", pr, p.revents);
	memset(si, 0, sizeof(si));
	ssize_t n = read(fd, si, sizeof(si));
	printf("read %zd signo %u code %d pid-ok %d uid %u\n", n, si[0].ssi_signo, si[0].ssi_code,
	       si[0].ssi_pid == (uint32_t)getpid(), si[0].ssi_uid);
	sigset_t pend;
	sigpending(&pend);
	printf("dequeued: %d\n", !sigismember(&pend, SIGUSR1));

	/* sigqueue: si_value and SI_QUEUE. */
	union sigval sv = {.sival_int = 4242};
	sigqueue(getpid(), SIGRTMIN, sv);
	memset(si, 0, sizeof(si));
	n = read(fd, si, sizeof(si));
	printf("rt read %zd signo-ok %d code %d int %d\n", n, si[0].ssi_signo == (uint32_t)SIGRTMIN,
	       si[0].ssi_code, si[0].ssi_int);

	/* Two signals in one read, lowest first. */
	raise(SIGUSR1);
	sigqueue(getpid(), SIGRTMIN, sv);
	memset(si, 0, sizeof(si));
	n = read(fd, si, sizeof(si));
	printf("two: %zd first %u second-rt %d\n", n, si[0].ssi_signo,
	       si[1].ssi_signo == (uint32_t)SIGRTMIN);

	/* rt_tgsigqueueinfo to this thread. */
	siginfo_t qi;
	memset(&qi, 0, sizeof(qi));
	qi.si_code = SI_QUEUE;
	qi.si_value.sival_int = 31;
	qi.si_pid = getpid();
	CHECK("tgsigqueueinfo tgid 0", syscall(SYS_rt_tgsigqueueinfo, 0, getpid(), SIGRTMIN, &qi));
	CHECK("tgsigqueueinfo efault", syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGRTMIN, (void *)8));
	CHECK("tgsigqueueinfo no thread", syscall(SYS_rt_tgsigqueueinfo, getpid(), 99999, SIGRTMIN, &qi));
	CHECK("tgsigqueueinfo", syscall(SYS_rt_tgsigqueueinfo, getpid(), getpid(), SIGRTMIN, &qi));
	memset(si, 0, sizeof(si));
	n = read(fd, si, sizeof(si));
	printf("tgsigqueueinfo read %zd code %d int %d\n", n, si[0].ssi_code, si[0].ssi_int);

	/* SIGCHLD from a child's exit carries its status. */
	pid_t c = fork();
	if (c == 0)
		_exit(7);
	p.revents = 0;
	printf("poll chld: %d\n", poll(&p, 1, 5000));
	memset(si, 0, sizeof(si));
	n = read(fd, si, sizeof(si));
	printf("chld %zd signo %u code %d status %d pid-ok %d\n", n, si[0].ssi_signo, si[0].ssi_code,
	       si[0].ssi_status, si[0].ssi_pid == (uint32_t)c);
	waitpid(c, NULL, 0);

	/* Mask update on the existing fd: SIGUSR1 no longer in it. */
	sigset_t only_rt;
	sigemptyset(&only_rt);
	sigaddset(&only_rt, SIGRTMIN);
	static const char *const sfd_keys[] = {"sigmask:", "flags:", NULL};
	fdinfo_lines(fd, sfd_keys);
	printf("update returns fd: %d\n", signalfd(fd, &only_rt, 0) == fd);
	fdinfo_lines(fd, sfd_keys);
	raise(SIGUSR1);
	CHECK("not in mask", read(fd, si, sizeof(si)));
	sigpending(&pend);
	printf("still pending: %d\n", sigismember(&pend, SIGUSR1));
	sigwaitinfo(&set, NULL);

	/* epoll readiness. */
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	printf("epoll nothing: %d\n", epoll_wait(ep, &out, 1, 0));
	c = fork();
	if (c == 0) {
		usleep(20000);
		union sigval v2 = {.sival_int = 9};
		sigqueue(getppid(), SIGRTMIN, v2);
		_exit(0);
	}
	int en_ = epoll_wait(ep, &out, 1, 5000);
	printf("epoll wait: %d data %llu\n", en_, (unsigned long long)out.data.u64);
	memset(si, 0, sizeof(si));
	read(fd, si, sizeof(si));
	printf("from child int %d pid-ok %d\n", si[0].ssi_int, si[0].ssi_pid == (uint32_t)c);
	waitpid(c, NULL, 0);

	/* Blocking read, interrupted by a handled signal: EINTR. */
	int bfd = signalfd(-1, &only_rt, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);
	/* The child signals every 30 ms until the read is over (its pipe
	 * closes), so a slow parent still gets a signal while it waits. */
	int done[2];
	pipe(done);
	pid_t me = getpid();
	c = fork();
	if (c == 0) {
		close(done[1]);
		struct pollfd dp = {.fd = done[0], .events = POLLIN};
		for (int i = 0; i < 300 && poll(&dp, 1, 30) == 0; i++)
			kill(me, SIGUSR2);
		_exit(0);
	}
	close(done[0]);
	errno = 0;
	n = read(bfd, si, sizeof(si));
	printf("interrupted: %zd %s handled %d\n", n, en(errno), handled == SIGUSR2);
	close(done[1]);
	while (waitpid(c, NULL, 0) < 0 && errno == EINTR)
		; /* a last signal of the child's may land here */
	/* A blocking read that gets its signal. */
	c = fork();
	if (c == 0) {
		usleep(20000);
		union sigval v3 = {.sival_int = 11};
		sigqueue(getppid(), SIGRTMIN, v3);
		_exit(0);
	}
	n = read(bfd, si, sizeof(si));
	printf("blocking read %zd int %d\n", n, si[0].ssi_int);
	waitpid(c, NULL, 0);
	close(bfd);
	close(fd);
	close(ep);
	return 0;
}
