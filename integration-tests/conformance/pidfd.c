/* Conformance: pidfd_open, pidfd_send_signal, pidfd_getfd, poll on exit,
 * waitid(P_PIDFD), clone(CLONE_PIDFD). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ESRCH: return "ESRCH";
	case EPERM: return "EPERM";
	case EAGAIN: return "EAGAIN";
	case EFAULT: return "EFAULT";
	case ECHILD: return "ECHILD";
	case ENOENT: return "ENOENT";
	}
	static char buf[32];
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

#define CHECK(what, expr)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		printf("%s: %s\n", what, r_ < 0 ? en(errno) : "OK");                               \
	} while (0)

static int pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static int send_sig(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static int getfd(int pidfd, int fd, unsigned flags) { return syscall(SYS_pidfd_getfd, pidfd, fd, flags); }

static int ready(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int r = poll(&p, 1, 0);
	return r > 0 ? p.revents : 0;
}

/* The Pid: line of fd's /proc/self/fdinfo entry, or -2 without one. */
static int fdinfo_pid(int fd, char *flags, size_t flen)
{
	char p[64], b[1024] = {0};
	snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
	int f = open(p, O_RDONLY);
	if (f < 0)
		return -3;
	read(f, b, sizeof(b) - 1);
	close(f);
	char *l = strstr(b, "Pid:\t");
	char *fl = strstr(b, "flags:\t");
	if (fl && flags)
		sscanf(fl, "flags:\t%31s", flags);
	(void)flen;
	return l ? atoi(l + 5) : -2;
}

static int thread_fn(void *arg)
{
	pause();
	return 0;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	CHECK("pid 0", pidfd_open(0, 0));
	CHECK("pid -1", pidfd_open(-1, 0));
	CHECK("bad flags", pidfd_open(getpid(), 1));
	CHECK("no such pid", pidfd_open(99999, 0));
	int self = pidfd_open(getpid(), 0);
	printf("self: %d cloexec %d\n", self >= 0, (fcntl(self, F_GETFD) & FD_CLOEXEC) != 0);
	char link[64] = {0}, path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self);
	ssize_t ln = readlink(path, link, sizeof(link) - 1);
	printf("readlink pidfd: %d\n", ln > 0 && (strstr(link, "pidfd") != NULL));
	printf("self not ready: %x\n", ready(self));
	char b[8];
	CHECK("read pidfd", read(self, b, 8));

	/* A thread of this process is not a process. */
	char *stack = malloc(65536);
	pid_t tid = clone(thread_fn, stack + 65536,
			  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM,
			  NULL);
	usleep(10000);
	CHECK("thread tid", pidfd_open(tid, 0));

	/* send_signal errnos. */
	CHECK("send bad flags", send_sig(self, 0, NULL, 0x80));
	CHECK("send bad fd", send_sig(999, 0, NULL, 0));
	CHECK("send not pidfd", send_sig(0, 0, NULL, 0));
	CHECK("send sig 0", send_sig(self, 0, NULL, 0));
	CHECK("send bad sig", send_sig(self, 1000, NULL, 0));
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR2;
	si.si_code = SI_QUEUE;
	CHECK("send info signo mismatch", send_sig(self, SIGUSR1, &si, 0));
	CHECK("send info efault", send_sig(self, SIGUSR1, (void *)8, 0));

	/* A child: signals through its pidfd, poll on exit, waitid(P_PIDFD). */
	int pfd[2];
	pipe(pfd);
	pid_t c = fork();
	if (c == 0) {
		close(pfd[0]);
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		sigprocmask(SIG_BLOCK, &s, NULL);
		write(pfd[1], "r", 1);
		int sig;
		siginfo_t ci;
		sig = sigwaitinfo(&s, &ci);
		_exit(sig == SIGUSR1 && ci.si_code == SI_QUEUE && ci.si_value.sival_int == 77 ? 3 : 4);
	}
	close(pfd[1]);
	char ch;
	read(pfd[0], &ch, 1);
	int cfd = pidfd_open(c, PIDFD_NONBLOCK);
	printf("child pidfd nonblock: %d\n", (fcntl(cfd, F_GETFL) & O_NONBLOCK) != 0);
	printf("child running, not ready: %x\n", ready(cfd));
	char fl[32] = "";
	printf("fdinfo Pid is the child: %d\n", fdinfo_pid(cfd, fl, sizeof(fl)) == c);
	printf("fdinfo flags %s\n", fl);
	siginfo_t wi;
	memset(&wi, 0, sizeof(wi));
	CHECK("waitid nonblock running", waitid(P_PIDFD, cfd, &wi, WEXITED));
	CHECK("waitid WNOHANG running", waitid(P_PIDFD, cfd, &wi, WEXITED | WNOHANG));
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	si.si_value.sival_int = 77;
	CHECK("send SI_QUEUE to another process", send_sig(cfd, SIGUSR1, &si, 0));
	si.si_code = SI_USER;
	CHECK("send SI_USER info to another: EPERM", send_sig(cfd, SIGUSR1, &si, 0));
	struct pollfd p = {.fd = cfd, .events = POLLIN};
	int pr = poll(&p, 1, 5000);
	printf("poll on exit: %d %x\n", pr, p.revents);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 3}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
	pr = epoll_wait(ep, &out, 1, 1000);
	printf("epoll on exit: %d %x\n", pr, out.events);
	CHECK("send to zombie", send_sig(cfd, SIGUSR1, NULL, 0));
	memset(&wi, 0, sizeof(wi));
	CHECK("waitid P_PIDFD", waitid(P_PIDFD, cfd, &wi, WEXITED));
	printf("status %d code %d pid-ok %d\n", wi.si_status, wi.si_code, wi.si_pid == c);
	printf("reaped: %x\n", ready(cfd));
	printf("fdinfo Pid after reap: %d\n", fdinfo_pid(cfd, NULL, 0));
	CHECK("send to reaped", send_sig(cfd, SIGUSR1, NULL, 0));
	CHECK("getfd reaped", getfd(cfd, 0, 0));
	CHECK("waitid reaped", waitid(P_PIDFD, cfd, &wi, WEXITED));
	CHECK("waitid not a pidfd", waitid(P_PIDFD, 0, &wi, WEXITED));
	CHECK("waitid negative", waitid(P_PIDFD, -1, &wi, WEXITED));
	close(cfd);
	close(ep);

	/* pidfd_getfd: a copy of the target's file, close-on-exec. */
	int pp[2];
	pipe(pp);
	CHECK("getfd flags", getfd(self, pp[1], 1));
	CHECK("getfd bad target fd", getfd(self, 999, 0));
	CHECK("getfd not pidfd", getfd(0, 0, 0));
	int dup = getfd(self, pp[1], 0);
	printf("getfd: %d cloexec %d\n", dup >= 0, (fcntl(dup, F_GETFD) & FD_CLOEXEC) != 0);
	write(dup, "z", 1);
	read(pp[0], &ch, 1);
	printf("same pipe: %c\n", ch);

	/* clone(CLONE_PIDFD). */
	int cpidfd = -1;
	CHECK("CLONE_PIDFD|CLONE_PARENT_SETTID",
	      syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &cpidfd, 0, 0));
	long r = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &cpidfd, 0, 0);
	if (r == 0)
		_exit(5);
	printf("clone pidfd: %d cloexec %d\n", cpidfd >= 0, (fcntl(cpidfd, F_GETFD) & FD_CLOEXEC) != 0);
	p.fd = cpidfd;
	pr = poll(&p, 1, 5000);
	printf("clone child exit seen: %d\n", pr);
	memset(&wi, 0, sizeof(wi));
	CHECK("waitid clone child", waitid(P_PIDFD, cpidfd, &wi, WEXITED));
	printf("status %d pid-ok %d\n", wi.si_status, wi.si_pid == r);
	return 0;
}
