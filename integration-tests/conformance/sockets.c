/* Conformance: AF_UNIX sockets and the socket syscalls, in a writable
 * directory given as argv[1]: every call with its errno on misuse, path,
 * abstract and autobind names, the three types' data paths, SCM_RIGHTS of a
 * pipe and a socket, SCM_CREDENTIALS, SO_PEERCRED, MSG_PEEK/TRUNC/WAITALL,
 * nonblocking behaviour, the backlog, timeouts, signals and SIGPIPE, poll. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/sockios.h>
#include <netinet/in.h>

static void show(const char *what, long r)
{
	printf("%s: %ld %s\n", what, r < 0 ? -1L : r, r < 0 ? strerror(errno) : "");
}

/* A unix address for a path, or (abstract) for "\0" + name; its length. */
static socklen_t unix_name(struct sockaddr_un *a, const char *name, int abstract)
{
	size_t n = strlen(name);
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + (abstract ? 1 : 0), name, n);
	return offsetof(struct sockaddr_un, sun_path) + n + 1;
}

#define path_addr(a, p) unix_name(a, p, 0)
#define abs_addr(a, p) unix_name(a, p, 1)

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int send_fds(int s, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec io = {"F", 1};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return (int)sendmsg(s, &mh, 0);
}

/* recvmsg with a control buffer of cl bytes; fds found go to out. */
static int recv_fds(int s, size_t cl, int flags, int *out, int *n, int *mflags)
{
	char buf[8], cbuf[256];
	struct iovec io = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cl ? cbuf : NULL,
			    .msg_controllen = cl};
	int r = (int)recvmsg(s, &mh, flags);
	*n = 0;
	for (struct cmsghdr *c = r >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
				memcpy(&out[(*n)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	*mflags = mh.msg_flags;
	return r;
}

static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 128; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

static void errors(int pfd)
{
	struct sockaddr_un a;
	socklen_t len = abs_addr(&a, "conf-err");
	int s = socket(AF_UNIX, SOCK_STREAM, 0), v = 1, neg = -1;
	socklen_t sl = 4;
	char buf[8];
	printf("-- errors\n");
	show("socket bad flags", socket(AF_UNIX, SOCK_STREAM | 0x40, 0));
	show("socket bad type", socket(AF_UNIX, 7, 0));
	show("socket bad protocol", socket(AF_UNIX, SOCK_STREAM, 5));
	show("socket bad family", socket(1000, SOCK_STREAM, 0));
	show("socket raw is dgram", socket(AF_UNIX, SOCK_RAW, 0) >= 0);
	show("socketpair bad pointer", socketpair(AF_UNIX, SOCK_STREAM, 0, NULL));
	show("bind bad fd", bind(99, (void *)&a, len));
	show("bind not a socket", bind(pfd, (void *)&a, len));
	show("bind long", bind(s, (void *)&a, 200));
	show("bind empty", bind(s, (void *)&a, 0));
	show("bind bad address", bind(s, NULL, len));
	struct sockaddr_un in = {.sun_family = AF_INET};
	show("bind wrong family", bind(s, (void *)&in, len));
	show("connect bad address on a pipe", connect(pfd, NULL, len));
	show("connect not a socket", connect(pfd, (void *)&a, len));
	show("listen unbound", listen(s, 1));
	show("accept unlistening", accept(s, NULL, NULL));
	show("accept4 bad flags", accept4(s, NULL, NULL, 0x1234));
	show("recv unconnected", recv(s, buf, 1, 0));
	show("send unconnected", send(s, "x", 1, 0));
	show("sendto stream with address", sendto(s, "x", 1, 0, (void *)&a, len));
	show("getpeername unconnected", getpeername(s, (void *)&a, &sl));
	show("getsockname negative length", getsockname(s, (void *)&a, (socklen_t *)&neg));
	show("getsockname bad length pointer", getsockname(s, (void *)&a, NULL));
	show("shutdown bad how", shutdown(s, 7));
	show("setsockopt unknown", setsockopt(s, SOL_SOCKET, 9999, &v, 4));
	show("setsockopt short", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
	show("setsockopt bad pointer", setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, NULL, 4));
	show("setsockopt read-only", setsockopt(s, SOL_SOCKET, SO_TYPE, &v, 4));
	show("setsockopt tcp level", setsockopt(s, IPPROTO_TCP, 1, &v, 4));
	show("setsockopt reuseport", setsockopt(s, SOL_SOCKET, SO_REUSEPORT, &v, 4));
	show("getsockopt tcp level", getsockopt(s, IPPROTO_TCP, 1, &v, &sl));
	show("getsockopt negative length", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)&neg));
	show("getsockopt bad length pointer", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, NULL));
	show("getsockopt not a socket", getsockopt(pfd, SOL_SOCKET, SO_TYPE, &v, &sl));
	struct timeval tv = {0, 2000000};
	show("rcvtimeo bad usec", setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("listen dgram", listen(d, 1));
	show("accept dgram", accept(d, NULL, NULL));
	show("send dgram unconnected", send(d, "x", 1, 0));
	show("send dgram oob", send(d, "x", 1, MSG_OOB));
	struct iovec io = {buf, 1};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1025};
	show("sendmsg too many iovecs", sendmsg(d, &mh, 0));
	io.iov_len = (size_t)-1;
	mh.msg_iovlen = 1;
	show("sendmsg negative iov length", sendmsg(d, &mh, 0));
	show("sendmsg bad header", sendmsg(d, NULL, 0));
	show("recvmsg bad header", recvmsg(d, NULL, 0));
	io.iov_len = 1;
	mh.msg_control = buf;
	mh.msg_controllen = (size_t)1 << 40;
	show("sendmsg huge control", sendmsg(d, &mh, 0));
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	char cbuf[64] = {0};
	struct cmsghdr *c = (struct cmsghdr *)cbuf;
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(4);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(4);
	int bad = 99;
	memcpy(CMSG_DATA(c), &bad, 4);
	show("scm_rights bad fd", sendmsg(sv[0], &mh, 0));
	c->cmsg_len = 8;
	show("cmsg too short", sendmsg(sv[0], &mh, 0));
	c->cmsg_len = 4096;
	show("cmsg too long", sendmsg(sv[0], &mh, 0));
	c->cmsg_len = CMSG_LEN(4);
	c->cmsg_type = 77;
	show("cmsg unknown type", sendmsg(sv[0], &mh, 0));
	c->cmsg_level = IPPROTO_TCP;
	show("cmsg other level ignored", sendmsg(sv[0], &mh, 0));
	struct ucred uc = {getpid() + 1000000, getuid(), getgid()};
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(uc));
	mh.msg_controllen = CMSG_SPACE(sizeof(uc));
	memcpy(CMSG_DATA(c), &uc, sizeof(uc));
	show("scm_credentials other pid", sendmsg(sv[0], &mh, 0));
	close(sv[0]);
	close(sv[1]);
	close(s);
	close(d);
}

static void names(const char *dir)
{
	struct sockaddr_un a, got;
	socklen_t glen;
	char path[200];
	printf("-- names\n");
	snprintf(path, sizeof(path), "%s/srv.sock", dir);
	socklen_t len = path_addr(&a, path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	umask(022);
	show("bind path", bind(l, (void *)&a, len));
	struct stat st;
	show("stat node", stat(path, &st));
	printf("node is socket %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 0777);
	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	show("bind taken path", bind(other, (void *)&a, len));
	struct sockaddr_un a2;
	char p2[200];
	snprintf(p2, sizeof(p2), "%s/second.sock", dir);
	socklen_t len2 = path_addr(&a2, p2);
	show("bind bound socket again", bind(l, (void *)&a2, len2));
	show("no node left behind", stat(p2, &st));
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	show("connect before listen", connect(c, (void *)&a, len));
	show("listen", listen(l, 5));
	show("connect", connect(c, (void *)&a, len));
	show("connect again", connect(c, (void *)&a, len));
	glen = sizeof(got);
	getsockname(l, (void *)&got, &glen);
	printf("getsockname len matches %d path matches %d\n", glen == len,
	       strcmp(got.sun_path, path) == 0);
	glen = sizeof(got);
	getpeername(c, (void *)&got, &glen);
	printf("getpeername len matches %d\n", glen == len);
	glen = sizeof(got);
	int s = accept(l, (void *)&got, &glen);
	printf("accept ok %d peer len %d\n", s >= 0, glen);
	glen = 1;
	getsockname(s, (void *)&got, &glen);
	printf("short getsockname reports full length %d\n", glen == len);
	show("unlink node", unlink(path));
	int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
	show("connect after unlink", connect(c2, (void *)&a, len));
	show("bind freed name", bind(other, (void *)&a, len));
	show("old connection works", send(c, "ok", 2, 0));
	char buf[8];
	show("old connection reads", recv(s, buf, sizeof(buf), 0));
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	char p3[200];
	snprintf(p3, sizeof(p3), "%s/dg.sock", dir);
	socklen_t len3 = path_addr(&a2, p3);
	bind(d, (void *)&a2, len3);
	show("connect other type", connect(c2, (void *)&a2, len3));
	char reg[200];
	snprintf(reg, sizeof(reg), "%s/regular", dir);
	close(open(reg, O_CREAT | O_WRONLY, 0644));
	show("connect regular file", connect(c2, (void *)&a2, path_addr(&a2, reg)));
	show("connect missing", connect(c2, (void *)&a2, path_addr(&a2, "/nonexistent/x")));
	show("open socket node", open(p3, O_RDWR));
	/* Abstract and autobind names. */
	int a1 = socket(AF_UNIX, SOCK_DGRAM, 0), a2s = socket(AF_UNIX, SOCK_DGRAM, 0);
	int ast = socket(AF_UNIX, SOCK_STREAM, 0);
	len = abs_addr(&a, "conf-abstract");
	show("bind abstract", bind(a1, (void *)&a, len));
	show("bind abstract taken", bind(a2s, (void *)&a, len));
	show("bind abstract other type", bind(ast, (void *)&a, len));
	struct sockaddr_un fam = {.sun_family = AF_UNIX};
	show("autobind", bind(a2s, (void *)&fam, sizeof(sa_family_t)));
	glen = sizeof(got);
	getsockname(a2s, (void *)&got, &glen);
	int hex = 1;
	for (int i = 1; i < 6; i++)
		hex &= strchr("0123456789abcdef", got.sun_path[i]) != NULL;
	printf("autobind len %d first byte %d hex %d\n", glen, got.sun_path[0], hex);
	show("sendto abstract", sendto(a2s, "hi", 2, 0, (void *)&a, len));
	struct sockaddr_un from;
	glen = sizeof(from);
	show("recvfrom", recvfrom(a1, buf, sizeof(buf), 0, (void *)&from, &glen));
	printf("from len %d same name %d\n", glen, memcmp(from.sun_path, got.sun_path, 6) == 0);
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	show("sendto from unbound", sendto(u, "hi", 2, 0, (void *)&a, len));
	glen = sizeof(from);
	recvfrom(a1, buf, sizeof(buf), 0, (void *)&from, &glen);
	printf("unbound sender name len %d\n", glen);
	int one = 1;
	setsockopt(u, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	sendto(u, "hi", 2, 0, (void *)&a, len);
	glen = sizeof(got);
	getsockname(u, (void *)&got, &glen);
	printf("passcred autobind len %d\n", glen);
	glen = sizeof(got);
	getsockname(ast, (void *)&got, &glen);
	printf("abstract stream name len %d\n", glen);
	int fresh = socket(AF_UNIX, SOCK_STREAM, 0);
	glen = sizeof(got);
	getsockname(fresh, (void *)&got, &glen);
	printf("fresh name len %d\n", glen);
	/* A socket is an anonymous S_IFSOCK file, socket:[inode] in /proc. */
	struct stat fst;
	fstat(fresh, &fst);
	char link[64] = {0}, want[64], proc[64];
	snprintf(want, sizeof(want), "socket:[%lu]", (unsigned long)fst.st_ino);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fresh);
	readlink(proc, link, sizeof(link) - 1);
	printf("fstat socket %d mode %o link matches %d\n", S_ISSOCK(fst.st_mode), fst.st_mode & 0777,
	       strcmp(link, want) == 0);
	show("reopen through /proc", open(proc, O_RDWR));
	show("lseek", lseek(fresh, 0, SEEK_SET));
	for (int fd = 3; fd < 40; fd++)
		close(fd);
	unlink(p3);
	unlink(reg);
	snprintf(path, sizeof(path), "%s/srv.sock", dir);
	unlink(path);
}

static void data(const char *dir)
{
	int sv[2];
	char buf[64];
	printf("-- data\n");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	show("send", send(sv[0], "hello", 5, 0));
	show("send", send(sv[0], " world", 6, 0));
	int n = 0;
	ioctl(sv[1], FIONREAD, &n);
	printf("fionread %d\n", n);
	show("peek", recv(sv[1], buf, 4, MSG_PEEK));
	show("read gathers", read(sv[1], buf, sizeof(buf)));
	show("dontwait empty", recv(sv[1], buf, 1, MSG_DONTWAIT));
	send(sv[0], "abcdef", 6, 0);
	shutdown(sv[0], SHUT_WR);
	show("waitall cut by eof", recv(sv[1], buf, 20, MSG_WAITALL));
	show("eof", recv(sv[1], buf, 20, 0));
	show("send after shut_wr nosignal", send(sv[0], "x", 1, MSG_NOSIGNAL));
	close(sv[0]);
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	send(sv[0], "one", 3, 0);
	show("empty datagram", send(sv[0], "", 0, 0));
	send(sv[0], "three!", 6, 0);
	ioctl(sv[1], FIONREAD, &n);
	printf("fionread next datagram %d\n", n);
	show("recv", recv(sv[1], buf, sizeof(buf), 0));
	show("recv empty", recv(sv[1], buf, sizeof(buf), 0));
	struct iovec io = {buf, 2};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1};
	show("recv trunc", recvmsg(sv[1], &mh, MSG_TRUNC));
	printf("msg_trunc %d\n", !!(mh.msg_flags & MSG_TRUNC));
	int small = 1024;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
	static char big[8192];
	show("too big", send(sv[0], big, sizeof(big), 0));
	close(sv[0]);
	close(sv[1]);
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	send(sv[0], "rec1", 4, 0);
	send(sv[0], "record2", 7, 0);
	show("seqpacket short read", recv(sv[1], buf, 2, 0));
	show("seqpacket next record", recv(sv[1], buf, sizeof(buf), 0));
	close(sv[0]);
	show("seqpacket eof nonblocking", recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT));
	show("seqpacket send to closed", send(sv[1], "x", 1, 0));
	close(sv[1]);
	/* readv/writev/sendfile. */
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct iovec w[2] = {{"ab", 2}, {"cde", 3}};
	show("writev", writev(sv[0], w, 2));
	char fpath[200];
	snprintf(fpath, sizeof(fpath), "%s/payload", dir);
	int fd = open(fpath, O_CREAT | O_RDWR | O_TRUNC, 0644);
	write(fd, "filedata", 8);
	lseek(fd, 0, SEEK_SET);
	show("sendfile", sendfile(sv[0], fd, NULL, 100));
	char a[3], b[20];
	struct iovec r[2] = {{a, 3}, {b, 20}};
	show("readv", readv(sv[1], r, 2));
	printf("readv data %.3s %.10s\n", a, b);
	/* splice between a socket and a pipe, both ways. */
	int pp[2];
	pipe(pp);
	send(sv[1], "spliced", 7, 0);
	show("splice socket to pipe", splice(sv[0], NULL, pp[1], NULL, 100, 0));
	show("splice pipe to socket", splice(pp[0], NULL, sv[1], NULL, 100, 0));
	memset(b, 0, sizeof(b));
	show("read spliced", recv(sv[0], b, sizeof(b), 0));
	printf("spliced data %s\n", b);
	loff_t off = 0;
	show("splice two sockets", splice(sv[0], NULL, sv[1], NULL, 10, 0));
	show("splice offset on a pipe", splice(pp[0], &off, sv[1], NULL, 10, 0));
	show("splice bad flags", splice(pp[0], NULL, sv[1], NULL, 10, 0x100));
	show("splice bad fd", splice(99, NULL, pp[1], NULL, 10, 0));
	show("splice zero", splice(99, NULL, pp[1], NULL, 0, 0));
	show("splice file to pipe at offset", splice(fd, &off, pp[1], NULL, 4, 0));
	printf("offset now %ld\n", (long)off);
	show("splice pipe to socket", splice(pp[0], NULL, sv[1], NULL, 100, 0));
	memset(b, 0, sizeof(b));
	recv(sv[0], b, sizeof(b), 0);
	printf("spliced data %s\n", b);
	close(pp[0]);
	close(pp[1]);
	close(fd);
	unlink(fpath);
	/* The send buffer: how much a nonblocking writer can queue. */
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	long total = 0;
	static char chunk[65536];
	for (;;) {
		ssize_t k = write(sv[0], chunk, sizeof(chunk));
		if (k < 0)
			break;
		total += k;
	}
	printf("filled %ld then %s\n", total, strerror(errno));
	struct pollfd p = {sv[0], POLLOUT, 0};
	printf("poll full %d\n", poll(&p, 1, 0));
	int outq = 0;
	ioctl(sv[0], SIOCOUTQ, &outq);
	printf("outq at least sndbuf %d\n", outq >= 212992);
	close(sv[0]);
	close(sv[1]);
	/* sendmmsg / recvmmsg. */
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	struct mmsghdr m[3];
	struct iovec mio[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
	memset(m, 0, sizeof(m));
	for (int i = 0; i < 3; i++) {
		m[i].msg_hdr.msg_iov = &mio[i];
		m[i].msg_hdr.msg_iovlen = 1;
	}
	show("sendmmsg", sendmmsg(sv[0], m, 3, 0));
	char rb[3][8];
	struct iovec rio[3] = {{rb[0], 8}, {rb[1], 8}, {rb[2], 8}};
	for (int i = 0; i < 3; i++)
		m[i].msg_hdr.msg_iov = &rio[i];
	show("recvmmsg waitforone", recvmmsg(sv[1], m, 3, MSG_WAITFORONE, NULL));
	printf("lens %u %u %u\n", m[0].msg_len, m[1].msg_len, m[2].msg_len);
	show("recvmmsg empty", recvmmsg(sv[1], m, 3, MSG_DONTWAIT, NULL));
	close(sv[0]);
	close(sv[1]);
}

static void scm(void)
{
	int sv[2], pv[2], other[2], got[8], n, mf;
	char buf[8];
	printf("-- scm\n");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pipe(pv);
	socketpair(AF_UNIX, SOCK_DGRAM, 0, other);
	int fds[2] = {pv[1], other[0]};
	show("send pipe and socket", send_fds(sv[0], fds, 2));
	close(pv[1]);
	close(other[0]);
	show("recv fds", recv_fds(sv[1], 256, MSG_CMSG_CLOEXEC, got, &n, &mf));
	printf("got %d fds ctrunc %d cloexec %d\n", n, !!(mf & MSG_CTRUNC),
	       fcntl(got[0], F_GETFD) == FD_CLOEXEC);
	show("write received pipe", write(got[0], "via", 3));
	show("read pipe", read(pv[0], buf, sizeof(buf)));
	show("send received socket", send(got[1], "dg", 2, 0));
	show("recv on its peer", recv(other[1], buf, sizeof(buf), 0));
	close(got[0]);
	close(got[1]);
	struct stat st;
	pipe(pv);
	int three[3] = {pv[1], pv[1], pv[1]};
	send_fds(sv[0], three, 3);
	close(pv[1]);
	int before = open_fds();
	show("recv short control", recv_fds(sv[1], CMSG_LEN(sizeof(int)), 0, got, &n, &mf));
	printf("got %d ctrunc %d new fds %d\n", n, !!(mf & MSG_CTRUNC), open_fds() - before);
	close(got[0]);
	show("pipe eof: the rest were closed", read(pv[0], buf, sizeof(buf)));
	send_fds(sv[0], &pv[0], 1);
	show("recv no control", recv_fds(sv[1], 0, 0, got, &n, &mf));
	printf("ctrunc %d\n", !!(mf & MSG_CTRUNC));
	send_fds(sv[0], &pv[0], 1);
	show("peek fds", recv_fds(sv[1], 64, MSG_PEEK, got, &n, &mf));
	int peeked = got[0];
	show("recv fds after peek", recv_fds(sv[1], 64, 0, got, &n, &mf));
	printf("peek gave a copy %d same file %d\n", peeked != got[0],
	       fstat(peeked, &st) == 0 && fstat(got[0], &st) == 0);
	close(peeked);
	close(got[0]);
	close(pv[0]);
	/* SCM_CREDENTIALS. */
	int one = 1;
	setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	send(sv[0], "c", 1, 0);
	char cbuf[64];
	struct iovec io = {buf, sizeof(buf)};
	struct msghdr mh = {.msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	show("recv with passcred", recvmsg(sv[1], &mh, 0));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct ucred uc = {0};
	if (c)
		memcpy(&uc, CMSG_DATA(c), sizeof(uc));
	printf("cmsg type %d pid ok %d uid ok %d gid ok %d controllen %zu\n", c ? c->cmsg_type : -1,
	       uc.pid == getpid(), uc.uid == getuid(), uc.gid == getgid(), mh.msg_controllen);
	send(sv[0], "c", 1, 0);
	mh.msg_controllen = 4;
	show("recv creds into 4 bytes", recvmsg(sv[1], &mh, 0));
	printf("ctrunc %d controllen %zu\n", !!(mh.msg_flags & MSG_CTRUNC), mh.msg_controllen);
	struct ucred peer;
	socklen_t plen = sizeof(peer);
	show("so_peercred", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &peer, &plen));
	printf("peer pid ok %d uid ok %d len %d\n", peer.pid == getpid(), peer.uid == geteuid(),
	       plen);
	close(sv[0]);
	close(sv[1]);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	plen = sizeof(peer);
	getsockopt(s, SOL_SOCKET, SO_PEERCRED, &peer, &plen);
	printf("unconnected peercred %d %d %d\n", peer.pid, (int)peer.uid, (int)peer.gid);
	close(s);
}

static volatile sig_atomic_t sigs;
static void on_signal(int sig)
{
	sigs++;
}

static void *late_writer(void *arg)
{
	usleep(300000);
	write(*(int *)arg, "late", 4);
	return NULL;
}

static void options_and_signals(void)
{
	int sv[2], v;
	socklen_t sl;
	char buf[8];
	printf("-- options\n");
	socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
	int names[] = {SO_TYPE,   SO_DOMAIN,    SO_PROTOCOL, SO_ERROR,  SO_ACCEPTCONN,
		       SO_SNDBUF, SO_RCVBUF,    SO_REUSEADDR, SO_KEEPALIVE, SO_PASSCRED,
		       SO_SNDLOWAT, SO_RCVLOWAT, SO_BROADCAST};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		sl = sizeof(v);
		v = -7;
		getsockopt(sv[0], SOL_SOCKET, names[i], &v, &sl);
		printf("opt %d = %d (len %d)\n", names[i], v, sl);
	}
	v = 5000;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	sl = sizeof(v);
	getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &sl);
	printf("sndbuf 5000 -> %d\n", v);
	v = 1;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
	getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &sl);
	printf("sndbuf 1 -> %d\n", v);
	struct linger lg = {1, 7};
	setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	sl = sizeof(lg);
	memset(&lg, 0, sizeof(lg));
	getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, &sl);
	printf("linger %d %d\n", lg.l_onoff, lg.l_linger);
	sl = 1;
	v = 0;
	getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &sl);
	printf("short getsockopt %d len %d\n", v, sl);
	close(sv[0]);
	close(sv[1]);

	printf("-- timeouts and signals\n");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	struct timeval tv = {0, 200000};
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&tv, 0, sizeof(tv));
	sl = sizeof(tv);
	getsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, &sl);
	printf("rcvtimeo %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
	long t0 = now_ms();
	show("recv times out", recv(sv[1], buf, sizeof(buf), 0));
	long dt = now_ms() - t0;
	printf("waited about the timeout %d\n", dt >= 180 && dt < 2000);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGALRM, &sa, NULL);
	tv = (struct timeval){5, 0};
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {0, 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	show("recv with timeout, SA_RESTART signal", recv(sv[1], buf, sizeof(buf), 0));
	tv = (struct timeval){0, 0};
	setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pthread_t th;
	pthread_create(&th, NULL, late_writer, &sv[0]);
	setitimer(ITIMER_REAL, &it, NULL);
	show("recv without timeout, SA_RESTART signal restarts", recv(sv[1], buf, sizeof(buf), 0));
	pthread_join(th, NULL);
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	show("recv, signal without SA_RESTART", recv(sv[1], buf, sizeof(buf), 0));
	printf("signals %d\n", (int)sigs);
	sigaction(SIGPIPE, &sa, NULL);
	sigs = 0;
	close(sv[1]);
	show("write to closed peer", write(sv[0], "x", 1));
	printf("sigpipe %d\n", (int)sigs);
	show("send nosignal", send(sv[0], "x", 1, MSG_NOSIGNAL));
	printf("sigpipe %d\n", (int)sigs);
	close(sv[0]);
}

static void readiness(const char *dir)
{
	int sv[2];
	char buf[16];
	printf("-- readiness\n");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct pollfd p = {s, POLLIN | POLLOUT | POLLRDHUP, 0};
	poll(&p, 1, 0);
	printf("fresh stream %#x\n", p.revents);
	close(s);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = sv[1]};
	epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
	struct epoll_event out;
	printf("epoll idle %d\n", epoll_wait(ep, &out, 1, 0));
	write(sv[0], "x", 1);
	int k = epoll_wait(ep, &out, 1, 1000);
	printf("epoll data %d events %#x\n", k, out.events);
	read(sv[1], buf, sizeof(buf));
	shutdown(sv[0], SHUT_WR);
	k = epoll_wait(ep, &out, 1, 1000);
	printf("epoll rdhup %d events %#x\n", k, out.events);
	write(sv[1], "unread", 6);
	close(sv[0]);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP;
	epoll_ctl(ep, EPOLL_CTL_MOD, sv[1], &ev);
	k = epoll_wait(ep, &out, 1, 1000);
	printf("epoll closed %d events %#x\n", k, out.events);
	int v = 0;
	socklen_t sl = sizeof(v);
	p = (struct pollfd){sv[1], POLLIN | POLLOUT | POLLRDHUP, 0};
	poll(&p, 1, 0);
	printf("poll after peer closed with unread data %#x\n", p.revents);
	getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &v, &sl);
	printf("so_error %s\n", strerror(v));
	show("read after reset", read(sv[1], buf, sizeof(buf)));
	close(sv[1]);
	close(ep);
	/* Backlog: n + 1 pending connections, then EAGAIN for a nonblocking
	 * connect; the listener's close resets the ones never accepted. */
	struct sockaddr_un a;
	char path[200];
	snprintf(path, sizeof(path), "%s/backlog.sock", dir);
	socklen_t len = path_addr(&a, path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	bind(l, (void *)&a, len);
	listen(l, 1);
	int c[3];
	for (int i = 0; i < 3; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		show("connect nonblocking", connect(c[i], (void *)&a, len));
	}
	p = (struct pollfd){l, POLLIN | POLLOUT, 0};
	poll(&p, 1, 0);
	printf("listener %#x\n", p.revents);
	int acc = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	printf("accept4 nonblock %d\n", (fcntl(acc, F_GETFL) & O_NONBLOCK) != 0);
	show("connect after accept", connect(c[2], (void *)&a, len));
	close(l);
	show("pending connection reset", recv(c[1], buf, sizeof(buf), 0));
	show("then eof", recv(c[1], buf, sizeof(buf), 0));
	show("accepted one works", send(acc, "yo", 2, 0));
	show("client reads", recv(c[0], buf, sizeof(buf), 0));
	int fresh = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	show("connect to closed listener", connect(fresh, (void *)&a, len));
	for (int fd = 3; fd < 40; fd++)
		close(fd);
	unlink(path);
	/* A datagram receiver that is full. */
	int r = socket(AF_UNIX, SOCK_DGRAM, 0);
	len = abs_addr(&a, "conf-full");
	bind(r, (void *)&a, len);
	int w = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	connect(w, (void *)&a, len);
	int sent = 0;
	while (send(w, "d", 1, 0) == 1)
		sent++;
	printf("datagrams queued %d then %s\n", sent, strerror(errno));
	p = (struct pollfd){w, POLLOUT, 0};
	printf("writable when full %d\n", poll(&p, 1, 0));
	recv(r, buf, sizeof(buf), 0);
	printf("writable after a read %d\n", poll(&p, 1, 1000));
	close(r);
	show("send to closed receiver", send(w, "d", 1, 0));
	show("send again", send(w, "d", 1, 0));
	close(w);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2)
		return 2;
	int pv[2];
	pipe(pv);
	errors(pv[0]);
	close(pv[0]);
	close(pv[1]);
	names(argv[1]);
	data(argv[1]);
	scm();
	options_and_signals();
	readiness(argv[1]);
	return 0;
}
