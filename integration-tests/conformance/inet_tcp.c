/* Conformance: TCP over 127.0.0.1 (AF_INET, SOCK_STREAM).  Listeners bind
 * port 0 and nothing port-specific is printed, so the program runs in the
 * host's network namespace as well as in the sandbox.  Blocking and
 * non-blocking connect (EINPROGRESS, SO_ERROR), accept/accept4, names,
 * data both ways (a 4 MiB transfer against a reader thread), MSG_PEEK,
 * MSG_DONTWAIT, MSG_WAITALL, MSG_TRUNC, half-close and EOF, poll/epoll
 * readiness (EPOLLRDHUP, EPOLLERR, EPOLLHUP), FIONREAD/SIOCOUTQ,
 * ECONNREFUSED, EPIPE and SIGPIPE, SO_RCVTIMEO, read/write/readv/writev,
 * sendfile, a signal interrupting a blocking accept. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r < 0 ? -1L : r, r < 0 ? strerror(errno) : "");
}

static struct sockaddr_in lo_addr(unsigned short port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* A listener on 127.0.0.1, an ephemeral port; its address in *a. */
static int listener(struct sockaddr_in *a, int backlog)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	*a = lo_addr(0);
	if (bind(l, (struct sockaddr *)a, sizeof(*a)) < 0)
		perror("bind");
	socklen_t len = sizeof(*a);
	getsockname(l, (struct sockaddr *)a, &len);
	if (listen(l, backlog) < 0)
		perror("listen");
	return l;
}

static int connect_to(const struct sockaddr_in *a)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (const struct sockaddr *)a, sizeof(*a)) < 0)
		perror("connect");
	return c;
}

static const char *pollbits(short ev)
{
	static char buf[128];
	buf[0] = 0;
	if (ev & POLLIN)
		strcat(buf, "IN ");
	if (ev & POLLOUT)
		strcat(buf, "OUT ");
	if (ev & POLLERR)
		strcat(buf, "ERR ");
	if (ev & POLLHUP)
		strcat(buf, "HUP ");
	if (ev & POLLRDHUP)
		strcat(buf, "RDHUP ");
	if (!buf[0])
		strcat(buf, "none");
	return buf;
}

static short poll1(int fd, short events, int ms)
{
	struct pollfd p = {.fd = fd, .events = events};
	int r = poll(&p, 1, ms);
	return r > 0 ? p.revents : 0;
}

static int sockopt_int(int fd, int level, int name)
{
	int v = -1;
	socklen_t len = sizeof(v);
	if (getsockopt(fd, level, name, &v, &len) < 0)
		return -errno;
	return v;
}

#define BIG (4 << 20)

struct reader {
	int fd;
	long got;
	unsigned long sum;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;
	char buf[65536];
	for (;;) {
		ssize_t n = read(r->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n; i++)
			r->sum = r->sum * 31 + (unsigned char)buf[i];
		r->got += n;
	}
	return NULL;
}

static volatile sig_atomic_t sigpipes, alarms;
static void on_sigpipe(int sig)
{
	sigpipes++;
}
static void on_alarm(int sig)
{
	alarms++;
}

static void test_basic(void)
{
	printf("-- basic\n");
	struct sockaddr_in la;
	int l = listener(&la, 8);
	printf("listener family %d addr %s port>0 %d\n", la.sin_family, inet_ntoa(la.sin_addr),
	       ntohs(la.sin_port) > 0);
	printf("SO_ACCEPTCONN %d SO_TYPE %d SO_PROTOCOL %d SO_DOMAIN %d\n",
	       sockopt_int(l, SOL_SOCKET, SO_ACCEPTCONN), sockopt_int(l, SOL_SOCKET, SO_TYPE),
	       sockopt_int(l, SOL_SOCKET, SO_PROTOCOL), sockopt_int(l, SOL_SOCKET, SO_DOMAIN));
	printf("listener poll before: %s\n", pollbits(poll1(l, POLLIN | POLLOUT, 0)));
	int c = connect_to(&la);
	printf("listener poll after connect: %s\n", pollbits(poll1(l, POLLIN, 1000)));
	struct sockaddr_in pa;
	socklen_t plen = sizeof(pa);
	int a = accept(l, (struct sockaddr *)&pa, &plen);
	show("accept", a >= 0 ? 0 : -1);
	struct sockaddr_in cs, ap, as;
	socklen_t len = sizeof(cs);
	getsockname(c, (struct sockaddr *)&cs, &len);
	len = sizeof(ap);
	getpeername(a, (struct sockaddr *)&ap, &len);
	len = sizeof(as);
	getsockname(a, (struct sockaddr *)&as, &len);
	printf("plen %d accept peer == client name %d, peername == client name %d\n", (int)plen,
	       pa.sin_port == cs.sin_port && pa.sin_addr.s_addr == cs.sin_addr.s_addr,
	       ap.sin_port == cs.sin_port);
	printf("accepted local == listener %d\n",
	       as.sin_port == la.sin_port && as.sin_addr.s_addr == la.sin_addr.s_addr);
	printf("SO_ACCEPTCONN accepted %d, SO_ERROR %d\n",
	       sockopt_int(a, SOL_SOCKET, SO_ACCEPTCONN), sockopt_int(c, SOL_SOCKET, SO_ERROR));
	printf("client poll: %s\n", pollbits(poll1(c, POLLIN | POLLOUT | POLLRDHUP, 0)));

	char buf[64];
	show("recv DONTWAIT empty", recv(a, buf, sizeof(buf), MSG_DONTWAIT));
	show("send hello", send(c, "hello world", 11, 0));
	printf("server poll: %s\n", pollbits(poll1(a, POLLIN | POLLOUT, 1000)));
	int n = -1;
	ioctl(a, FIONREAD, &n);
	printf("FIONREAD %d\n", n);
	memset(buf, 0, sizeof(buf));
	show("recv PEEK 5", recv(a, buf, 5, MSG_PEEK));
	printf("peeked '%s'\n", buf);
	memset(buf, 0, sizeof(buf));
	show("recv 64", recv(a, buf, sizeof(buf), 0));
	printf("got '%s'\n", buf);

	/* MSG_WAITALL: two sends make up the length. */
	show("send abc", send(a, "abc", 3, 0));
	show("send defgh", send(a, "defgh", 5, 0));
	memset(buf, 0, sizeof(buf));
	show("recv WAITALL 8", recv(c, buf, 8, MSG_WAITALL));
	printf("got '%s'\n", buf);

	/* A receive into memory the app cannot write is EFAULT and takes
	 * nothing (tcp_recvmsg copies nothing, so the data stays queued). */
	show("send faulty", send(c, "faulty", 6, 0));
	poll1(a, POLLIN, 1000);
	show("recv into NULL+1", recv(a, (char *)1, 6, 0));
	memset(buf, 0, sizeof(buf));
	show("recv after EFAULT", recv(a, buf, sizeof(buf), 0));
	printf("got '%s'\n", buf);

	/* MSG_TRUNC on a stream discards. */
	show("send 0123456789", send(c, "0123456789", 10, 0));
	poll1(a, POLLIN, 1000);
	show("recv TRUNC 4", recv(a, NULL, 4, MSG_TRUNC));
	memset(buf, 0, sizeof(buf));
	show("recv rest", recv(a, buf, sizeof(buf), 0));
	printf("got '%s'\n", buf);

	/* readv/writev, read/write */
	struct iovec wv[3] = {{"one ", 4}, {"two ", 4}, {"three", 5}};
	show("writev", writev(c, wv, 3));
	char b1[6] = {0}, b2[16] = {0};
	struct iovec rv[2] = {{b1, 5}, {b2, 15}};
	poll1(a, POLLIN, 1000);
	show("readv", readv(a, rv, 2));
	printf("readv '%s' '%s'\n", b1, b2);
	show("write", write(a, "xyz", 3));
	memset(buf, 0, sizeof(buf));
	show("read", read(c, buf, sizeof(buf)));
	printf("read '%s'\n", buf);

	/* half-close: EOF on the other side, which can still send */
	show("shutdown c SHUT_WR", shutdown(c, SHUT_WR));
	printf("server poll after peer SHUT_WR: %s\n",
	       pollbits(poll1(a, POLLIN | POLLOUT | POLLRDHUP, 1000)));
	show("recv after FIN", recv(a, buf, sizeof(buf), 0));
	show("send after peer FIN", send(a, "late", 4, 0));
	memset(buf, 0, sizeof(buf));
	show("client recv", recv(c, buf, sizeof(buf), 0));
	printf("got '%s'\n", buf);
	show("client send after SHUT_WR", send(c, "x", 1, MSG_NOSIGNAL));
	show("shutdown bad how", shutdown(c, 7));
	close(a);
	printf("client poll after peer close: %s\n",
	       pollbits(poll1(c, POLLIN | POLLOUT | POLLRDHUP, 1000)));
	show("client recv EOF", recv(c, buf, sizeof(buf), 0));
	close(c);
	close(l);
}

/* Readiness of sockets that never connected, as tcp_poll and udp_poll. */
static void test_fresh_readiness(void)
{
	printf("-- fresh readiness\n");
	short ev = POLLIN | POLLOUT | POLLRDHUP | POLLPRI;
	int t = socket(AF_INET, SOCK_STREAM, 0), u = socket(AF_INET, SOCK_DGRAM, 0);
	int t6 = socket(AF_INET6, SOCK_STREAM, 0);
	printf("tcp %#x udp %#x tcp6 %#x\n", poll1(t, ev, 0), poll1(u, ev, 0), poll1(t6, ev, 0));
	shutdown(t, SHUT_RDWR);
	shutdown(u, SHUT_RD);
	int u2 = socket(AF_INET, SOCK_DGRAM, 0);
	shutdown(u2, SHUT_WR);
	printf("tcp shut %#x udp shut rd %#x udp shut wr %#x\n", poll1(t, ev, 0), poll1(u, ev, 0),
	       poll1(u2, ev, 0));
	close(t);
	close(u);
	close(u2);
	close(t6);
}

static void test_bulk(void)
{
	printf("-- bulk\n");
	struct sockaddr_in la;
	int l = listener(&la, 8);
	int c = connect_to(&la);
	int a = accept(l, NULL, NULL);
	struct reader rd = {.fd = a};
	pthread_t th;
	pthread_create(&th, NULL, read_all, &rd);
	char *data = malloc(BIG);
	unsigned long sum = 0;
	for (long i = 0; i < BIG; i++) {
		data[i] = (char)(i * 7 + i / 1000);
		sum = sum * 31 + (unsigned char)data[i];
	}
	long sent = 0;
	while (sent < BIG) {
		ssize_t n = send(c, data + sent, BIG - sent, 0);
		if (n <= 0)
			break;
		sent += n;
	}
	close(c);
	pthread_join(th, NULL);
	printf("sent %ld got %ld same %d\n", sent, rd.got, rd.sum == sum);
	free(data);
	close(a);
	close(l);
}

static void test_nonblocking(void)
{
	printf("-- nonblocking\n");
	struct sockaddr_in la;
	int l = listener(&la, 8);
	int fl = fcntl(l, F_GETFL);
	fcntl(l, F_SETFL, fl | O_NONBLOCK);
	show("accept empty nonblocking", accept(l, NULL, NULL));
	show("accept4 bad flags", accept4(l, NULL, NULL, 0x4));
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(c, (struct sockaddr *)&la, sizeof(la));
	printf("nonblocking connect: %s\n", r == 0 ? "0" : strerror(errno));
	printf("poll OUT: %s\n", pollbits(poll1(c, POLLOUT, 1000)));
	printf("SO_ERROR %d\n", sockopt_int(c, SOL_SOCKET, SO_ERROR));
	r = connect(c, (struct sockaddr *)&la, sizeof(la));
	printf("connect again: %s\n", r == 0 ? "0" : strerror(errno));
	poll1(l, POLLIN, 1000);
	int a = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	printf("accept4 nonblock %d cloexec %d\n", (fcntl(a, F_GETFL) & O_NONBLOCK) != 0,
	       (fcntl(a, F_GETFD) & FD_CLOEXEC) != 0);
	char buf[16];
	show("recv nonblocking empty", recv(a, buf, sizeof(buf), 0));
	/* Fill the pipe until EAGAIN. */
	char *chunk = calloc(1, 65536);
	long total = 0;
	for (int i = 0; i < 10000; i++) {
		ssize_t n = send(c, chunk, 65536, 0);
		if (n < 0) {
			printf("filled: %s, total>0 %d\n", strerror(errno), total > 0);
			break;
		}
		total += n;
	}
	printf("client poll when full: %s\n", pollbits(poll1(c, POLLOUT, 0)));
	int outq = -1;
	ioctl(c, SIOCOUTQ, &outq);
	printf("SIOCOUTQ > 0 %d\n", outq > 0);
	/* Drain: the writer becomes writable again. */
	long drained = 0;
	while (drained < total) {
		if (!(poll1(a, POLLIN, 2000) & POLLIN))
			break;
		ssize_t n = recv(a, chunk, 65536, 0);
		if (n <= 0)
			break;
		drained += n;
	}
	printf("drained all %d\n", drained == total);
	printf("client poll after drain: %s\n", pollbits(poll1(c, POLLOUT, 1000)));
	free(chunk);
	close(a);
	close(c);
	close(l);
}

static void test_errors(void)
{
	printf("-- refused, EPIPE\n");
	/* A port nobody listens on: bind one and close it. */
	struct sockaddr_in free_addr = lo_addr(0);
	int t = socket(AF_INET, SOCK_STREAM, 0);
	bind(t, (struct sockaddr *)&free_addr, sizeof(free_addr));
	socklen_t len = sizeof(free_addr);
	getsockname(t, (struct sockaddr *)&free_addr, &len);
	close(t);
	int c = socket(AF_INET, SOCK_STREAM, 0);
	show("connect refused", connect(c, (struct sockaddr *)&free_addr, sizeof(free_addr)));
	show("connect again after refusal",
	     connect(c, (struct sockaddr *)&free_addr, sizeof(free_addr)));
	close(c);
	c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	int r = connect(c, (struct sockaddr *)&free_addr, sizeof(free_addr));
	printf("nonblocking connect refused: %s\n", r == 0 ? "0" : strerror(errno));
	printf("poll: %s\n", pollbits(poll1(c, POLLOUT | POLLIN, 1000)));
	int e = sockopt_int(c, SOL_SOCKET, SO_ERROR);
	printf("SO_ERROR %s, then %d\n", strerror(e), sockopt_int(c, SOL_SOCKET, SO_ERROR));
	close(c);

	struct sockaddr_in la;
	int l = listener(&la, 8);
	c = connect_to(&la);
	int a = accept(l, NULL, NULL);
	close(a);
	signal(SIGPIPE, on_sigpipe);
	poll1(c, POLLRDHUP, 1000);
	show("send to closed peer", send(c, "x", 1, 0));
	/* The peer's RST comes back: the connection is gone. */
	for (int i = 0; i < 100 && !(poll1(c, POLLIN, 0) & POLLERR); i++)
		usleep(10000);
	show("send after RST", send(c, "x", 1, 0));
	printf("sigpipes %d\n", (int)sigpipes);
	show("send NOSIGNAL", send(c, "x", 1, MSG_NOSIGNAL));
	printf("sigpipes %d\n", (int)sigpipes);
	close(c);
	close(l);
}

static void test_epoll(void)
{
	printf("-- epoll\n");
	struct sockaddr_in la;
	int l = listener(&la, 8);
	int c = connect_to(&la);
	int a = accept(l, NULL, NULL);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = a};
	epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev);
	struct epoll_event out[4];
	show("epoll idle", epoll_wait(ep, out, 4, 0));
	send(c, "ping", 4, 0);
	int n = epoll_wait(ep, out, 4, 1000);
	printf("epoll after data: %d events %#x\n", n, n > 0 ? out[0].events : 0);
	show("epoll again (ET)", epoll_wait(ep, out, 4, 0));
	shutdown(c, SHUT_WR);
	n = epoll_wait(ep, out, 4, 1000);
	printf("epoll after FIN: %d events %#x\n", n, n > 0 ? out[0].events : 0);
	close(c);
	close(a);
	close(ep);
	close(l);
}

static void test_timeouts(void)
{
	printf("-- timeouts, signals\n");
	struct sockaddr_in la;
	int l = listener(&la, 8);
	int c = connect_to(&la);
	int a = accept(l, NULL, NULL);
	struct timeval tv = {0, 100000};
	show("SO_RCVTIMEO", setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	char buf[8];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	show("recv with timeout", recv(a, buf, sizeof(buf), 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("waited >= 90ms %d\n", ms >= 90);
	show("SO_RCVTIMEO on listener", setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	show("accept with timeout", accept(l, NULL, NULL));

	/* A signal without SA_RESTART interrupts a blocking accept: EINTR. */
	tv.tv_usec = 0;
	setsockopt(l, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {0, 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	show("accept interrupted", accept(l, NULL, NULL));
	printf("alarms %d\n", (int)alarms);
	/* With SA_RESTART the recv goes on and gets the data sent later. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	tv.tv_usec = 0;
	setsockopt(a, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setitimer(ITIMER_REAL, &it, NULL);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(300000);
		send(c, "late", 4, 0);
		_exit(0);
	}
	memset(buf, 0, sizeof(buf));
	show("recv restarted", recv(a, buf, sizeof(buf), 0));
	printf("got '%s' alarms %d\n", buf, (int)alarms);
	int st;
	waitpid(pid, &st, 0);
	close(c);
	close(a);
	close(l);
}

static void test_sendfile(const char *dir)
{
	printf("-- sendfile\n");
	char path[256];
	snprintf(path, sizeof(path), "%s/inet_tcp_sendfile", dir);
	int f = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	for (int i = 0; i < 1000; i++)
		dprintf(f, "line %04d\n", i);
	struct sockaddr_in la;
	int l = listener(&la, 8);
	int c = connect_to(&la);
	int a = accept(l, NULL, NULL);
	off_t off = 0;
	show("sendfile", sendfile(c, f, &off, 10000));
	char buf[10001];
	long got = 0;
	while (got < 10000) {
		ssize_t n = recv(a, buf + got, sizeof(buf) - 1 - got, 0);
		if (n <= 0)
			break;
		got += n;
	}
	buf[got] = 0;
	printf("got %ld, line 999 ok %d\n", got, strstr(buf, "line 0999\n") != NULL);
	/* splice: pipe -> socket -> pipe */
	int p[2], q[2];
	pipe(p);
	pipe(q);
	write(p[1], "spliced!", 8);
	show("splice pipe to socket", splice(p[0], NULL, c, NULL, 8, 0));
	show("splice socket to pipe", splice(a, NULL, q[1], NULL, 64, 0));
	memset(buf, 0, 16);
	show("read pipe", read(q[0], buf, 16));
	printf("got '%s'\n", buf);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	close(f);
	unlink(path);
	close(c);
	close(a);
	close(l);
}

static void opt(int fd, int level, int name, const char *what)
{
	int v = -1;
	socklen_t len = sizeof(v);
	int r = getsockopt(fd, level, name, &v, &len);
	if (r < 0)
		printf("get %s: %s\n", what, strerror(errno));
	else
		printf("get %s: %d (len %d)\n", what, v, (int)len);
}

static void setopt(int fd, int level, int name, int v, const char *what)
{
	int r = setsockopt(fd, level, name, &v, sizeof(v));
	printf("set %s %d: %s\n", what, v, r < 0 ? strerror(errno) : "ok");
}

#define OPT(fd, l, n) opt(fd, l, n, #n)
#define SETOPT(fd, l, n, v) setopt(fd, l, n, v, #n)

static void test_options(void)
{
	printf("-- options\n");
	int s = socket(AF_INET, SOCK_STREAM, 0);
	OPT(s, SOL_SOCKET, SO_REUSEADDR);
	OPT(s, SOL_SOCKET, SO_REUSEPORT);
	OPT(s, SOL_SOCKET, SO_KEEPALIVE);
	OPT(s, SOL_SOCKET, SO_BROADCAST);
	OPT(s, SOL_SOCKET, SO_RCVBUF);
	OPT(s, SOL_SOCKET, SO_SNDBUF);
	OPT(s, SOL_SOCKET, SO_ERROR);
	OPT(s, IPPROTO_TCP, TCP_NODELAY);
	OPT(s, IPPROTO_TCP, TCP_CORK);
	OPT(s, IPPROTO_TCP, TCP_KEEPIDLE);
	OPT(s, IPPROTO_TCP, TCP_KEEPINTVL);
	OPT(s, IPPROTO_TCP, TCP_KEEPCNT);
	OPT(s, IPPROTO_TCP, TCP_USER_TIMEOUT);
	OPT(s, IPPROTO_TCP, TCP_MAXSEG);
	OPT(s, IPPROTO_IP, IP_TOS);
	OPT(s, IPPROTO_IP, IP_TTL);
	OPT(s, SOL_SOCKET, SO_INCOMING_NAPI_ID);
	SETOPT(s, SOL_SOCKET, SO_INCOMING_NAPI_ID, 1);
	SETOPT(s, SOL_SOCKET, SO_REUSEADDR, 1);
	SETOPT(s, SOL_SOCKET, SO_REUSEPORT, 1);
	SETOPT(s, SOL_SOCKET, SO_KEEPALIVE, 1);
	SETOPT(s, SOL_SOCKET, SO_BROADCAST, 1);
	SETOPT(s, SOL_SOCKET, SO_RCVBUF, 65536);
	SETOPT(s, SOL_SOCKET, SO_SNDBUF, 1000);
	SETOPT(s, IPPROTO_TCP, TCP_NODELAY, 1);
	SETOPT(s, IPPROTO_TCP, TCP_CORK, 1);
	SETOPT(s, IPPROTO_TCP, TCP_KEEPIDLE, 30);
	SETOPT(s, IPPROTO_TCP, TCP_KEEPINTVL, 5);
	SETOPT(s, IPPROTO_TCP, TCP_KEEPCNT, 3);
	SETOPT(s, IPPROTO_TCP, TCP_USER_TIMEOUT, 10000);
	SETOPT(s, IPPROTO_IP, IP_TOS, 0x10);
	SETOPT(s, IPPROTO_IP, IP_TTL, 7);
	OPT(s, SOL_SOCKET, SO_REUSEADDR);
	OPT(s, SOL_SOCKET, SO_REUSEPORT);
	OPT(s, SOL_SOCKET, SO_KEEPALIVE);
	OPT(s, SOL_SOCKET, SO_BROADCAST);
	OPT(s, SOL_SOCKET, SO_RCVBUF);
	OPT(s, SOL_SOCKET, SO_SNDBUF);
	OPT(s, IPPROTO_TCP, TCP_NODELAY);
	OPT(s, IPPROTO_TCP, TCP_CORK);
	OPT(s, IPPROTO_TCP, TCP_KEEPIDLE);
	OPT(s, IPPROTO_TCP, TCP_KEEPINTVL);
	OPT(s, IPPROTO_TCP, TCP_KEEPCNT);
	OPT(s, IPPROTO_TCP, TCP_USER_TIMEOUT);
	OPT(s, IPPROTO_IP, IP_TOS);
	OPT(s, IPPROTO_IP, IP_TTL);
	SETOPT(s, IPPROTO_IP, IP_TTL, -1);
	OPT(s, IPPROTO_IP, IP_TTL);
	struct linger lg = {1, 5};
	printf("SO_LINGER set: %d\n", setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	memset(&lg, 0, sizeof(lg));
	socklen_t len = sizeof(lg);
	getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &len);
	printf("SO_LINGER %d %d len %d\n", lg.l_onoff, lg.l_linger, (int)len);
	close(s);

	int u = socket(AF_INET, SOCK_DGRAM, 0);
	OPT(u, SOL_SOCKET, SO_RCVBUF);
	OPT(u, SOL_SOCKET, SO_SNDBUF);
	OPT(u, IPPROTO_IP, IP_TTL);
	close(u);
	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	OPT(s6, IPPROTO_IPV6, IPV6_V6ONLY);
	SETOPT(s6, IPPROTO_IPV6, IPV6_V6ONLY, 1);
	OPT(s6, IPPROTO_IPV6, IPV6_V6ONLY);
	OPT(s6, IPPROTO_IPV6, IPV6_UNICAST_HOPS);
	close(s6);

	/* TCP_INFO on an established connection, glibc's struct (104 bytes). */
	struct sockaddr_in la;
	int l = listener(&la, 4);
	int c = connect_to(&la);
	int a = accept(l, NULL, NULL);
	send(c, "hi", 2, 0);
	char b[4];
	recv(a, b, sizeof(b), 0);
	struct tcp_info ti;
	memset(&ti, 0xff, sizeof(ti));
	len = sizeof(ti);
	int r = getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len);
	printf("TCP_INFO %d len %d state %d ca_state %d retransmits %d options %#x\n", r, (int)len,
	       ti.tcpi_state, ti.tcpi_ca_state, ti.tcpi_retransmits, ti.tcpi_options);
	printf("  mss>0 %d rtt>0 %d cwnd>0 %d unacked %u total_retrans %u\n",
	       ti.tcpi_snd_mss > 0, ti.tcpi_rtt > 0, ti.tcpi_snd_cwnd > 0, ti.tcpi_unacked,
	       ti.tcpi_total_retrans);
	len = 8;
	r = getsockopt(l, IPPROTO_TCP, TCP_INFO, &ti, &len);
	printf("TCP_INFO listener %d len %d state %d\n", r, (int)len, ti.tcpi_state);
	OPT(a, SOL_SOCKET, SO_INCOMING_NAPI_ID); /* loopback has no NAPI id */
	close(a);
	close(c);
	close(l);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	test_basic();
	test_fresh_readiness();
	test_bulk();
	test_nonblocking();
	test_errors();
	test_epoll();
	test_timeouts();
	test_sendfile(argc > 1 ? argv[1] : "/tmp");
	test_options();
	return 0;
}
