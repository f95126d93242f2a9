/* Conformance: signal-driven I/O.  O_ASYNC by F_SETFL and FIOASYNC on a
 * socketpair and a pipe, F_SETOWN/F_GETOWN (process, process group),
 * F_SETOWN_EX/F_GETOWN_EX (thread), F_SETSIG with its siginfo (si_code
 * POLL_IN, si_fd, si_band), errnos of each misuse, and sigio_perm: an
 * owner set by an unprivileged uid does not signal root's process; nginx's
 * master sets up its worker channels this way. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case ESRCH: return "ESRCH";
	case EBADF: return "EBADF";
	case ENOTTY: return "ENOTTY";
	case EFAULT: return "EFAULT";
	}
	return "other";
}

#define CHECK(what, expr)                                                                          \
	do {                                                                                       \
		errno = 0;                                                                         \
		long r_ = (long)(expr);                                                            \
		printf("%s: %s\n", what, r_ < 0 ? en(errno) : "OK");                               \
	} while (0)

static volatile sig_atomic_t n_io, n_rt, rt_code, rt_fd, rt_band_in;

static void on_io(int sig) { n_io++; }

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	n_rt++;
	rt_code = si->si_code;
	rt_fd = si->si_fd;
	rt_band_in = (si->si_band & POLLIN) != 0;
}

/* Wait up to 2 s for *counter to pass n. */
static int wait_for(volatile sig_atomic_t *counter, int n)
{
	for (int i = 0; i < 400 && *counter < n; i++) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	return *counter >= n;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* A group of its own: the group's SIGIO below reaches only it. */
	setpgid(0, 0);
	struct sigaction sa = {.sa_handler = on_io};
	sigaction(SIGIO, &sa, NULL);
	struct sigaction sr = {.sa_sigaction = on_rt, .sa_flags = SA_SIGINFO};
	sigaction(SIGRTMIN + 1, &sr, NULL);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	printf("owner at first: %d\n", fcntl(sv[0], F_GETOWN));
	printf("sig at first: %d\n", fcntl(sv[0], F_GETSIG));

	/* Misuse. */
	CHECK("F_SETOWN to no such process", fcntl(sv[0], F_SETOWN, 999999));
	CHECK("F_SETOWN to no such group", fcntl(sv[0], F_SETOWN, -999999));
	CHECK("F_SETOWN INT_MIN", fcntl(sv[0], F_SETOWN, INT_MIN));
	CHECK("F_SETSIG 65", fcntl(sv[0], F_SETSIG, 65));
	struct f_owner_ex ox = {.type = 7, .pid = getpid()};
	CHECK("F_SETOWN_EX bad type", fcntl(sv[0], F_SETOWN_EX, &ox));
	ox.type = F_OWNER_TID;
	ox.pid = 999999;
	CHECK("F_SETOWN_EX no such thread", fcntl(sv[0], F_SETOWN_EX, &ox));
	CHECK("F_SETOWN_EX bad pointer", fcntl(sv[0], F_SETOWN_EX, (void *)8));
	CHECK("F_GETOWN_EX bad pointer", fcntl(sv[0], F_GETOWN_EX, (void *)8));
	CHECK("F_SETOWN on a bad fd", fcntl(-1, F_SETOWN, getpid()));

	/* Process owner, SIGIO, by F_SETFL. */
	CHECK("F_SETOWN self", fcntl(sv[0], F_SETOWN, getpid()));
	printf("F_GETOWN is self: %d\n", fcntl(sv[0], F_GETOWN) == getpid());
	CHECK("F_SETFL O_ASYNC", fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_ASYNC));
	printf("O_ASYNC set: %d\n", (fcntl(sv[0], F_GETFL) & O_ASYNC) != 0);
	int before = n_io;
	if (write(sv[1], "x", 1) != 1)
		return 1;
	printf("SIGIO on data: %d\n", wait_for(&n_io, before + 1));
	char c;
	if (read(sv[0], &c, 1) != 1)
		return 1;

	/* O_ASYNC off: no more signals. */
	CHECK("F_SETFL without O_ASYNC", fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) & ~O_ASYNC));
	before = n_io;
	if (write(sv[1], "y", 1) != 1 || read(sv[0], &c, 1) != 1)
		return 1;
	struct timespec ts = {0, 100000000};
	nanosleep(&ts, NULL);
	printf("SIGIO after O_ASYNC off: %d\n", n_io != before);

	/* F_SETSIG: a real-time signal with details, by FIOASYNC. */
	CHECK("F_SETSIG SIGRTMIN+1", fcntl(sv[0], F_SETSIG, SIGRTMIN + 1));
	printf("F_GETSIG is SIGRTMIN+1: %d\n", fcntl(sv[0], F_GETSIG) == SIGRTMIN + 1);
	int on = 1;
	CHECK("FIOASYNC on", ioctl(sv[0], FIOASYNC, &on));
	printf("O_ASYNC set by FIOASYNC: %d\n", (fcntl(sv[0], F_GETFL) & O_ASYNC) != 0);
	if (write(sv[1], "z", 1) != 1)
		return 1;
	printf("F_SETSIG signal on data: %d\n", wait_for(&n_rt, 1));
	printf("si_code POLL_IN: %d, si_fd right: %d, si_band has POLLIN: %d\n",
	       rt_code == POLL_IN, rt_fd == sv[0], (int)rt_band_in);
	if (read(sv[0], &c, 1) != 1)
		return 1;
	on = 0;
	CHECK("FIOASYNC off", ioctl(sv[0], FIOASYNC, &on));
	CHECK("FIOASYNC bad pointer", ioctl(sv[0], FIOASYNC, (void *)8));

	/* Thread owner by F_SETOWN_EX; F_GETOWN_EX reads it back. */
	ox.type = F_OWNER_TID;
	ox.pid = (pid_t)syscall(SYS_gettid);
	CHECK("F_SETOWN_EX thread", fcntl(sv[0], F_SETOWN_EX, &ox));
	struct f_owner_ex got = {0};
	CHECK("F_GETOWN_EX", fcntl(sv[0], F_GETOWN_EX, &got));
	printf("F_GETOWN_EX type TID %d, pid right %d\n", got.type == F_OWNER_TID,
	       got.pid == ox.pid);

	/* Process-group owner: F_GETOWN is negative. */
	CHECK("F_SETOWN own group", fcntl(sv[0], F_SETOWN, -getpgrp()));
	printf("F_GETOWN is -pgrp: %d\n", fcntl(sv[0], F_GETOWN) == -getpgrp());
	CHECK("F_SETSIG 0", fcntl(sv[0], F_SETSIG, 0));
	CHECK("F_SETFL O_ASYNC again", fcntl(sv[0], F_SETFL, fcntl(sv[0], F_GETFL) | O_ASYNC));
	before = n_io;
	if (write(sv[1], "w", 1) != 1)
		return 1;
	printf("SIGIO to the group: %d\n", wait_for(&n_io, before + 1));
	if (read(sv[0], &c, 1) != 1)
		return 1;
	CHECK("F_SETOWN 0 (none)", fcntl(sv[0], F_SETOWN, 0));
	printf("F_GETOWN after clearing: %d\n", fcntl(sv[0], F_GETOWN));

	/* A pipe's read end; a child writes. */
	int p[2];
	if (pipe(p) < 0)
		return 1;
	CHECK("pipe F_SETOWN", fcntl(p[0], F_SETOWN, getpid()));
	CHECK("pipe O_ASYNC", fcntl(p[0], F_SETFL, O_ASYNC));
	before = n_io;
	pid_t ch = fork();
	if (ch == 0) {
		_exit(write(p[1], "q", 1) == 1 ? 0 : 1);
	}
	int st = 0;
	while (waitpid(ch, &st, 0) < 0 && errno == EINTR)
		;
	printf("SIGIO from a child's write to a pipe: %d\n", wait_for(&n_io, before + 1));
	close(p[0]);
	close(p[1]);

	/* sigio_perm: the owner set by a child that became uid 1000 names this
	 * (root) process, which therefore gets nothing; set again by root, it
	 * does. */
	int q[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, q) < 0)
		return 1;
	ch = fork();
	if (ch == 0) {
		if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
			_exit(2);
		if (fcntl(q[0], F_SETOWN, getppid()) < 0 || fcntl(q[0], F_SETFL, O_ASYNC) < 0)
			_exit(3);
		_exit(0);
	}
	st = 0;
	while (waitpid(ch, &st, 0) < 0 && errno == EINTR)
		;
	printf("uid 1000 set the owner: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	before = n_io;
	if (write(q[1], "s", 1) != 1 || read(q[0], &c, 1) != 1)
		return 1;
	ts.tv_nsec = 200000000;
	nanosleep(&ts, NULL);
	printf("SIGIO to root from a uid-1000 owner: %d\n", n_io != before);
	CHECK("root sets the owner again", fcntl(q[0], F_SETOWN, getpid()));
	if (write(q[1], "t", 1) != 1)
		return 1;
	printf("SIGIO from a root owner: %d\n", wait_for(&n_io, before + 1));
	close(q[0]);
	close(q[1]);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
