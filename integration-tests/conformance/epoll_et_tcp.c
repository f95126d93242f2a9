/* Conformance: edge-triggered epoll driving many TCP connections over
 * 127.0.0.1, as nginx does.  A single-threaded server watches its
 * non-blocking listener with EPOLLIN|EPOLLET (accept4 until EAGAIN) and each
 * connection with EPOLLIN|EPOLLOUT|EPOLLRDHUP|EPOLLET: on every report it
 * reads until EAGAIN, answers each whole request, writes until EAGAIN and
 * then waits for EPOLLOUT to write the rest.  Client threads keep their
 * connection alive for several requests, some answered with responses far
 * larger than the (small) socket buffers, some pipelined two at a time.
 * Every connection must complete before a deadline: an edge the server
 * never sees (new data on a socket that stayed writable, a connection queued
 * between accept4's EAGAIN and epoll_wait, send-buffer space after EAGAIN)
 * stalls a connection forever, as it stalled nginx's keep-alive
 * connections.  Only counts are printed, so the output is the same natively
 * and under visor. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NCONN 32
#define NREQ 12
#define REQ_LEN 16
#define BIG (192 * 1024)
#define SMALL 200
#define DEADLINE_S 30

/* A request is REQ_LEN bytes: "big" or "small", space-padded. */
static size_t resp_size(const char *req)
{
	return memcmp(req, "big", 3) == 0 ? BIG : SMALL;
}

struct conn {
	int fd;
	char in[REQ_LEN * 4];
	size_t inlen;
	size_t out_left; /* bytes of responses still to write */
	size_t out_off;  /* offset in the response pattern */
	int closed;
};

static struct sockaddr_in srv_addr;
static atomic_int clients_done, clients_failed;
static long write_eagain, et_reports;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char pattern(size_t off)
{
	return (char)('a' + off % 26);
}

/* Write what is pending until done or EAGAIN; -1 when the peer is gone. */
static int conn_flush(struct conn *c)
{
	static char buf[65536];
	while (c->out_left) {
		size_t n = c->out_left < sizeof(buf) ? c->out_left : sizeof(buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(c->out_off + i);
		ssize_t w = write(c->fd, buf, n);
		if (w < 0) {
			if (errno == EAGAIN) {
				write_eagain++;
				return 0;
			}
			return -1;
		}
		c->out_left -= (size_t)w;
		c->out_off += (size_t)w;
	}
	return 0;
}

/* Read until EAGAIN, queue a response per whole request; -1 at EOF/error. */
static int conn_read(struct conn *c)
{
	for (;;) {
		ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
		if (r < 0)
			return errno == EAGAIN ? 0 : -1;
		if (r == 0)
			return -1;
		c->inlen += (size_t)r;
		while (c->inlen >= REQ_LEN) {
			c->out_left += resp_size(c->in);
			c->inlen -= REQ_LEN;
			memmove(c->in, c->in + REQ_LEN, c->inlen);
		}
	}
}

static void *server(void *arg)
{
	int l = *(int *)arg;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = NULL};
	epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev);
	static struct conn conns[NCONN * 2];
	int nconns = 0;
	double end = now_s() + DEADLINE_S + 5;
	while (atomic_load(&clients_done) + atomic_load(&clients_failed) < NCONN && now_s() < end) {
		struct epoll_event evs[16];
		int n = epoll_wait(ep, evs, 16, 200);
		for (int i = 0; i < n; i++) {
			et_reports++;
			struct conn *c = evs[i].data.ptr;
			if (!c) {
				/* nginx's accept loop: until EAGAIN. */
				for (;;) {
					int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					if (fd < 0)
						break;
					if (nconns == NCONN * 2) {
						close(fd);
						continue;
					}
					int sz = 16384;
					setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
					c = &conns[nconns++];
					memset(c, 0, sizeof(*c));
					c->fd = fd;
					struct epoll_event cev = {
						.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
						.data.ptr = c};
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
				}
				continue;
			}
			if (c->closed)
				continue;
			int bad = 0;
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				bad = conn_read(c) < 0;
			if (!bad)
				bad = conn_flush(c) < 0;
			if (bad) {
				close(c->fd);
				c->closed = 1;
			}
		}
	}
	for (int i = 0; i < nconns; i++)
		if (!conns[i].closed)
			close(conns[i].fd);
	close(ep);
	return NULL;
}

static int read_full(int fd, size_t len, size_t *off)
{
	char buf[16384];
	while (len) {
		ssize_t r = read(fd, buf, len < sizeof(buf) ? len : sizeof(buf));
		if (r <= 0)
			return -1;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern(*off + (size_t)i))
				return -2;
		*off += (size_t)r;
		len -= (size_t)r;
	}
	return 0;
}

static void *client(void *arg)
{
	long id = (long)arg;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	int sz = 16384;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	/* A stalled connection fails at the deadline instead of hanging. */
	struct timeval tv = {.tv_sec = DEADLINE_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&srv_addr, sizeof(srv_addr)) < 0) {
		atomic_fetch_add(&clients_failed, 1);
		close(fd);
		return NULL;
	}
	size_t off = 0;
	int ok = 1;
	for (int k = 0; ok && k < NREQ;) {
		/* Every third exchange pipelines two requests in one write. */
		int batch = (k % 3 == 2 && k + 1 < NREQ) ? 2 : 1;
		char req[REQ_LEN * 2];
		size_t want = 0;
		for (int b = 0; b < batch; b++) {
			const char *kind = ((k + b + id) % 4 == 0) ? "big" : "small";
			snprintf(req + b * REQ_LEN, REQ_LEN + 1, "%-*s", REQ_LEN - 1, kind);
			req[b * REQ_LEN + REQ_LEN - 1] = '\n';
			want += resp_size(req + b * REQ_LEN);
		}
		if (write(fd, req, (size_t)batch * REQ_LEN) != (ssize_t)batch * REQ_LEN)
			ok = 0;
		else if (read_full(fd, want, &off) < 0)
			ok = 0;
		k += batch;
	}
	close(fd);
	atomic_fetch_add(ok ? &clients_done : &clients_failed, 1);
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	srv_addr.sin_family = AF_INET;
	srv_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(srv_addr);
	if (bind(l, (struct sockaddr *)&srv_addr, sizeof(srv_addr)) < 0 ||
	    getsockname(l, (struct sockaddr *)&srv_addr, &len) < 0 || listen(l, 128) < 0) {
		perror("listener");
		return 1;
	}
	pthread_t st, ct[NCONN];
	pthread_create(&st, NULL, server, &l);
	double t0 = now_s();
	/* Connections arrive in bursts while the server is busy with others. */
	for (long i = 0; i < NCONN; i++) {
		pthread_create(&ct[i], NULL, client, (void *)i);
		if (i % 8 == 7)
			usleep(2000);
	}
	for (int i = 0; i < NCONN; i++)
		pthread_join(ct[i], NULL);
	double took = now_s() - t0;
	pthread_join(st, NULL);
	close(l);
	int done = atomic_load(&clients_done);
	printf("connections completed: %d of %d (%d requests each)\n", done, NCONN, NREQ);
	printf("within the deadline: %s\n", took < DEADLINE_S ? "yes" : "no");
	printf("server saw write EAGAIN: %s\n", write_eagain > 0 ? "yes" : "no");
	if (getenv("EPOLL_ET_VERBOSE"))
		fprintf(stderr, "took %.2fs, %ld reports, %ld write EAGAINs\n", took, et_reports,
			write_eagain);
	return done == NCONN && took < DEADLINE_S ? 0 : 1;
}
