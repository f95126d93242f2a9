/*
 * netbench.c — network figures of a kernel (or a Sentry), printed as
 * "name value unit".  Static, so the same binary runs natively, under
 * visor, runc and runsc.
 *
 *   netbench unix MB        AF_UNIX stream throughput: MB megabytes through a
 *                           socketpair between two processes, 64 KiB writes
 *   netbench rr N           TCP request/response over loopback: N round trips
 *                           of 64 bytes between two processes (TCP_NODELAY),
 *                           the mean in microseconds
 *   netbench connect N      TCP connections per second over loopback: N
 *                           connect + accept + close
 *   netbench idle N         N established loopback TCP connections held open
 *                           (2N sockets); prints "ready" and waits for a line
 *                           on stdin (or SIGTERM), so that the caller can
 *                           measure the memory of whoever serves them
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "netbench: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int full_write(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int full_read(int fd, char *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static void unix_throughput(long mb)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		die("socketpair");
	static char buf[65536];
	long total = mb << 20;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		for (long sent = 0; sent < total; sent += sizeof(buf))
			if (full_write(sv[1], buf, sizeof(buf)) < 0)
				_exit(1);
		_exit(0);
	}
	close(sv[1]);
	double t0 = now();
	long got = 0;
	ssize_t r;
	while ((r = read(sv[0], buf, sizeof(buf))) > 0)
		got += r;
	double t = now() - t0;
	waitpid(pid, NULL, 0);
	if (got != total)
		die("short transfer");
	printf("unix_stream %.0f MB/s\n", (double)mb / t);
}

/* A listener on 127.0.0.1, any port; *port set. */
static int listener(int *port, int backlog)
{
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0)
		die("socket");
	int one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, backlog) < 0)
		die("bind/listen");
	socklen_t len = sizeof(a);
	getsockname(l, (struct sockaddr *)&a, &len);
	*port = ntohs(a.sin_port);
	return l;
}

static int connect_to(int port)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0)
		die("socket");
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("connect");
	return c;
}

static void request_response(long n)
{
	int port;
	int l = listener(&port, 16);
	pid_t pid = fork();
	if (pid == 0) {
		int s = accept(l, NULL, NULL);
		int one = 1;
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		char m[64];
		while (full_read(s, m, sizeof(m)) == 0)
			if (full_write(s, m, sizeof(m)) < 0)
				break;
		_exit(0);
	}
	close(l);
	int c = connect_to(port);
	int one = 1;
	setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	char m[64] = "ping";
	for (int i = 0; i < 100; i++) /* warm up */
		if (full_write(c, m, sizeof(m)) < 0 || full_read(c, m, sizeof(m)) < 0)
			die("warm-up");
	double t0 = now();
	for (long i = 0; i < n; i++)
		if (full_write(c, m, sizeof(m)) < 0 || full_read(c, m, sizeof(m)) < 0)
			die("round trip");
	double t = now() - t0;
	close(c);
	waitpid(pid, NULL, 0);
	printf("tcp_rr %.1f us\n", t / (double)n * 1e6);
}

static void connections(long n)
{
	int port;
	int l = listener(&port, 1024);
	pid_t pid = fork();
	if (pid == 0) {
		for (long i = 0; i < n; i++) {
			int s = accept(l, NULL, NULL);
			if (s < 0)
				_exit(1);
			close(s);
		}
		_exit(0);
	}
	double t0 = now();
	for (long i = 0; i < n; i++) {
		int c = connect_to(port);
		/* As a short-lived client: close at once (the server closes too,
		 * so the TIME_WAIT is on whichever side closed first). */
		struct linger lg = {1, 0};
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
	}
	int st;
	waitpid(pid, &st, 0);
	double t = now() - t0;
	close(l);
	printf("tcp_connect %.0f conn/s\n", (double)n / t);
}

static void idle(long n)
{
	struct rlimit rl = {(rlim_t)(2 * n + 64), (rlim_t)(2 * n + 64)};
	setrlimit(RLIMIT_NOFILE, &rl);
	int port;
	int l = listener(&port, (int)n);
	for (long i = 0; i < n; i++) {
		connect_to(port);
		if (accept(l, NULL, NULL) < 0)
			die("accept");
	}
	printf("ready %ld\n", n);
	fflush(stdout);
	char line[16];
	if (!fgets(line, sizeof(line), stdin))
		pause();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (argc != 3) {
		fprintf(stderr, "usage: netbench unix|rr|connect|idle N\n");
		return 2;
	}
	long n = atol(argv[2]);
	if (!strcmp(argv[1], "unix"))
		unix_throughput(n);
	else if (!strcmp(argv[1], "rr"))
		request_response(n);
	else if (!strcmp(argv[1], "connect"))
		connections(n);
	else if (!strcmp(argv[1], "idle"))
		idle(n);
	else
		return 2;
	return 0;
}
