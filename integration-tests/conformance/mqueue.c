/* Conformance: POSIX message queues — mq_open (O_CREAT/O_EXCL, attributes,
 * names, permissions), priorities, O_NONBLOCK, timeouts, blocking woken by
 * a send and by a signal, mq_notify (SIGEV_SIGNAL, SIGEV_NONE, EBUSY),
 * mq_getsetattr, poll, read() of the queue descriptor, mq_unlink. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%-40s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-40s %ld\n", what, r);
}

static void attr(const char *what, mqd_t q)
{
	struct mq_attr a;
	if (mq_getattr(q, &a) < 0) {
		printf("%-40s -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%-40s flags=%lx maxmsg=%ld msgsize=%ld curmsgs=%ld\n", what, a.mq_flags, a.mq_maxmsg,
	       a.mq_msgsize, a.mq_curmsgs);
}

/* The queue's read() line, with NOTIFY_PID shown as self/0/other. */
static void line(const char *what, mqd_t q)
{
	char buf[128] = "";
	ssize_t n = pread(q, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		n = read(q, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = 0;
	char *p = strstr(buf, "NOTIFY_PID:");
	int pid = p ? atoi(p + 11) : -1;
	if (p)
		*p = 0;
	printf("%-40s [%s] pid %s (%zd bytes)\n", what, buf,
	       pid == 0 ? "0" : pid == getpid() ? "self" : "other", n);
}

static void rcv(const char *what, mqd_t q, size_t len)
{
	char buf[9000];
	unsigned prio = 99;
	ssize_t n = mq_receive(q, buf, len, &prio);
	if (n < 0)
		printf("%-40s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-40s %zd '%.*s' prio %u\n", what, n, (int)n, buf, prio);
}

static volatile sig_atomic_t got_sig, got_code, got_val, got_pid_self;
static void on_sig(int s, siginfo_t *si, void *uc)
{
	got_sig = s;
	got_code = si->si_code;
	got_val = si->si_value.sival_int;
	got_pid_self = si->si_pid == getpid();
}

static void on_usr2(int s) {}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	static char big[9000];
	char name[64], name2[64];
	snprintf(name, sizeof(name), "/visor-mq-%d", getpid());
	snprintf(name2, sizeof(name2), "/visor-mq2-%d", getpid());
	res("open absent", mq_open(name, O_RDWR));
	res("open no slash", mq_open("noslash", O_RDWR | O_CREAT, 0600, NULL));
	res("open inner slash", mq_open("/a/b", O_RDWR | O_CREAT, 0600, NULL));
	char longname[300];
	memset(longname, 'x', sizeof(longname));
	longname[0] = '/';
	longname[299] = 0;
	res("open long name", mq_open(longname, O_RDWR | O_CREAT, 0600, NULL));
	struct mq_attr a = {.mq_maxmsg = 0, .mq_msgsize = 16};
	res("open maxmsg 0", mq_open(name, O_RDWR | O_CREAT, 0600, &a));
	a = (struct mq_attr){.mq_maxmsg = 2, .mq_msgsize = -1};
	res("open msgsize -1", mq_open(name, O_RDWR | O_CREAT, 0600, &a));
	mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0640, NULL);
	printf("open create ok %d\n", q >= 0);
	res("open excl again", mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL));
	res("open existing O_ACCMODE", mq_open(name, O_RDWR | O_WRONLY, 0600, NULL));
	mqd_t odd = mq_open(name2, O_RDWR | O_WRONLY | O_CREAT, 0600, NULL);
	printf("create with O_ACCMODE ok %d\n", odd >= 0);
	res("send on O_ACCMODE", mq_send(odd, "x", 1, 0));
	res("receive on O_ACCMODE", mq_receive(odd, big, 8192, NULL));
	mq_close(odd);
	mq_unlink(name2);
	attr("default attr", q);
	line("fresh line", q);
	struct stat st;
	fstat(q, &st);
	printf("fstat mode %o\n", st.st_mode & 07777);

	/* Priorities. */
	res("send p5 a", mq_send(q, "a", 1, 5));
	res("send p1 bb", mq_send(q, "bb", 2, 1));
	res("send p5 ccc", mq_send(q, "ccc", 3, 5));
	res("send p9 dddd", mq_send(q, "dddd", 4, 9));
	res("send prio 32768", mq_send(q, "x", 1, 32768));
	res("send 8193 bytes", mq_send(q, big, 8193, 0));
	res("send bad pointer", mq_send(q, (void *)8, 4, 0));
	attr("four queued", q);
	line("four queued line", q);
	rcv("receive short buffer", q, 100);
	rcv("receive 1", q, 8192);
	rcv("receive 2", q, 8192);
	rcv("receive 3", q, 8192);
	rcv("receive 4", q, 8192);

	/* Timeouts, O_NONBLOCK. */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	char buf[8192];
	res("timedreceive 50ms", mq_timedreceive(q, buf, sizeof(buf), NULL, &ts));
	struct timespec past = {1, 0};
	res("timedreceive in the past", mq_timedreceive(q, buf, sizeof(buf), NULL, &past));
	struct timespec bad = {0, 1000000000L};
	res("timedreceive bad nsec", mq_timedreceive(q, buf, sizeof(buf), NULL, &bad));
	struct mq_attr na = {.mq_flags = O_NONBLOCK}, oa;
	res("setattr O_NONBLOCK", mq_setattr(q, &na, &oa));
	printf("old flags %lx\n", oa.mq_flags);
	attr("nonblocking", q);
	res("receive empty nonblocking", mq_receive(q, buf, sizeof(buf), NULL));
	na.mq_flags = 1;
	res("setattr bad flags", mq_setattr(q, &na, NULL));
	na.mq_flags = 0;
	mq_setattr(q, &na, NULL);
	res("getattr not a queue", mq_getattr(0, &oa));
	res("send not a queue", mq_send(0, "x", 1, 0));

	/* A small queue: full. */
	a = (struct mq_attr){.mq_maxmsg = 2, .mq_msgsize = 16};
	mqd_t s = mq_open(name2, O_RDWR | O_CREAT | O_NONBLOCK, 0600, &a);
	attr("small queue", s);
	res("send 1", mq_send(s, "1", 1, 0));
	res("send 2", mq_send(s, "2", 1, 0));
	res("send full nonblocking", mq_send(s, "3", 1, 0));
	struct pollfd pf = {.fd = s, .events = POLLIN | POLLOUT};
	poll(&pf, 1, 0);
	printf("poll full: %x\n", pf.revents);
	rcv("receive small buffer", s, 15);
	rcv("receive", s, 16);
	poll(&pf, 1, 0);
	printf("poll one: %x\n", pf.revents);
	rcv("receive", s, 16);
	poll(&pf, 1, 0);
	printf("poll empty: %x\n", pf.revents);
	int ep = epoll_create1(0);
	struct epoll_event ee = {.events = EPOLLIN}, got;
	res("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, s, &ee));
	res("epoll_wait empty", epoll_wait(ep, &got, 1, 0));
	mq_send(s, "e", 1, 0);
	int ne = epoll_wait(ep, &got, 1, 1000);
	printf("epoll_wait after send: %d events %x\n", ne, ne > 0 ? got.events : 0);
	rcv("receive", s, 16);
	close(ep);
	mqd_t ro = mq_open(name2, O_RDONLY);
	res("send on O_RDONLY", mq_send(ro, "x", 1, 0));
	mqd_t wo = mq_open(name2, O_WRONLY);
	res("receive on O_WRONLY", mq_receive(wo, buf, 16, NULL));
	mq_close(ro);
	mq_close(wo);

	/* Blocking receive woken by a send; a signal (no SA_RESTART): EINTR. */
	/* The child says when its handler is in; SIGUSR2 then comes every
	 * 100 ms until it exits, so one lands while it blocks however slow
	 * the machine (one sent before it blocked only runs the handler). */
	int ready[2];
	if (pipe(ready) < 0)
		return 1;
	pid_t c = fork();
	if (c == 0) {
		rcv("child receives", q, 8192);
		struct sigaction sa = {.sa_handler = on_usr2};
		sigaction(SIGUSR2, &sa, NULL);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		rcv("child signalled", q, 8192);
		_exit(0);
	}
	usleep(100000);
	mq_send(q, "wake", 4, 3);
	char r;
	if (read(ready[0], &r, 1) != 1)
		return 1;
	int status;
	while (waitpid(c, &status, WNOHANG) == 0) {
		kill(c, SIGUSR2);
		usleep(100000);
	}
	close(ready[0]);
	close(ready[1]);

	/* mq_notify. */
	struct sigaction sa = {.sa_sigaction = on_sig, .sa_flags = SA_SIGINFO};
	sigaction(SIGUSR1, &sa, NULL);
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	ev.sigev_value.sival_int = 4242;
	res("notify SIGEV_SIGNAL", mq_notify(q, &ev));
	line("registered line", q);
	c = fork();
	if (c == 0) {
		res("child notify: busy", mq_notify(q, &ev));
		_exit(0);
	}
	waitpid(c, &status, 0);
	struct sigevent badev = {.sigev_notify = 7};
	res("notify bad type", mq_notify(q, &badev));
	badev = (struct sigevent){.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 99};
	res("notify bad signal", mq_notify(q, &badev));
	res("send for notify", mq_send(q, "n", 1, 0));
	for (int i = 0; i < 100 && !got_sig; i++)
		usleep(1000);
	printf("signal %d code SI_MESGQ %d value %d pid self %d\n", got_sig, got_code == SI_MESGQ,
	       got_val, got_pid_self);
	line("after notify line", q);
	rcv("drain", q, 8192);
	ev.sigev_notify = SIGEV_NONE;
	res("notify SIGEV_NONE", mq_notify(q, &ev));
	line("SIGEV_NONE line", q);
	res("notify NULL", mq_notify(q, NULL));
	line("unregistered line", q);

	/* Permissions and unlink. */
	c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000))
			_exit(1);
		res("user opens 0640 rw", mq_open(name, O_RDWR));
		res("user opens 0640 ro", mq_open(name, O_RDONLY));
		res("user unlinks", mq_unlink(name));
		_exit(0);
	}
	waitpid(c, &status, 0);
	/* RLIMIT_MSGQUEUE, charged per user: default queues until EMFILE. */
	c = fork();
	if (c == 0) {
		struct rlimit rl = {819200, 819200};
		setrlimit(RLIMIT_MSGQUEUE, &rl);
		if (setgid(54321) || setuid(54321))
			_exit(1);
		int n = 0;
		char qn[80];
		for (; n < 100; n++) {
			snprintf(qn, sizeof(qn), "/visor-lim-%d-%d", getpid(), n);
			if (mq_open(qn, O_RDWR | O_CREAT, 0600, NULL) < 0)
				break;
		}
		printf("queues before the limit: %d, then %s\n", n, strerrorname_np(errno));
		struct mq_attr small = {.mq_maxmsg = 1, .mq_msgsize = 128};
		snprintf(qn, sizeof(qn), "/visor-lim-%d-small", getpid());
		res("a small one still fits", mq_open(qn, O_RDWR | O_CREAT, 0600, &small) < 0 ? -1 : 0);
		mq_unlink(qn);
		for (int i = 0; i < n; i++) {
			snprintf(qn, sizeof(qn), "/visor-lim-%d-%d", getpid(), i);
			mq_unlink(qn);
		}
		_exit(0);
	}
	waitpid(c, &status, 0);

	res("unlink", mq_unlink(name));
	res("unlink again", mq_unlink(name));
	res("send after unlink", mq_send(q, "z", 1, 0));
	rcv("receive after unlink", q, 8192);
	res("open after unlink", mq_open(name, O_RDWR));
	mq_close(q);
	mq_close(s);
	mq_unlink(name2);
	res("close closed", mq_close(q));
	return 0;
}
