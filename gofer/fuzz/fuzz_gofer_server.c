/*
 * fuzz_gofer_server.c — libFuzzer target for the Gofer's request decoder
 * and operations (gofer/server.c), as a compromised Sentry would drive them:
 * any bytes, in any order, over the real SOCK_SEQPACKET transport.
 *
 * Each input gets a fresh scratch tree (a root with a file, a directory, a
 * FIFO, and symlinks that point out of it, relative and absolute) served by
 * gofer_serve() on a thread with three mounts: "/" (the root), "/data" (a
 * directory bind mount) and "/file" (a file bind mount).  Input: one flags
 * byte (bit 0: the root read-only, bit 1: /data read-only), then messages,
 * each { u8 ctl, le16 n, n bytes }; ctl bit 0 rewrites the header's length
 * to n, bit 1 its tag to a counter, bit 2 attaches an fd (the Gofer must
 * close it unread).  Checked: every request gets one well-formed reply (the
 * echoed tag, the request's reply type or an error with a valid errno, at
 * most one fd and only for OPEN/CREATE), the server returns 0 when the
 * client hangs up, it leaks no fd, and nothing outside the root changes
 * (a sibling directory holding the symlinks' targets).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/protocol.h"
#include "gofer/server.h"
#include "lib/log.h"

static char base[64];
static char root[96];
static char outside[96];
static struct stat outside_st;

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	if (type == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

static void must(int ok, const char *what)
{
	if (!ok) {
		perror(what);
		abort();
	}
}

static int init_once(void)
{
	log_init(-1, 0, LOG_ERROR);
	strcpy(base, "/tmp/visor-fuzz-gofer.XXXXXX");
	must(mkdtemp(base) != NULL, "mkdtemp");
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	must(mkdir(outside, 0755) == 0, "mkdir outside");
	char p[160];
	snprintf(p, sizeof(p), "%s/secret", outside);
	int fd = open(p, O_CREAT | O_WRONLY, 0600);
	must(fd >= 0 && write(fd, "secret\n", 7) == 7, "secret");
	close(fd);
	must(stat(outside, &outside_st) == 0, "stat outside");
	return 0;
}

static void make_tree(void)
{
	char p[160];
	nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	must(mkdir(root, 0755) == 0, "mkdir root");
	snprintf(p, sizeof(p), "%s/f", root);
	int fd = open(p, O_CREAT | O_WRONLY, 0644);
	must(fd >= 0 && write(fd, "hello\n", 6) == 6, "f");
	close(fd);
	snprintf(p, sizeof(p), "%s/d", root);
	must(mkdir(p, 0755) == 0, "d");
	snprintf(p, sizeof(p), "%s/d/g", root);
	fd = open(p, O_CREAT | O_WRONLY, 0600);
	must(fd >= 0, "g");
	close(fd);
	snprintf(p, sizeof(p), "%s/rel", root);
	must(symlink("../outside/secret", p) == 0, "rel");
	snprintf(p, sizeof(p), "%s/abs", root);
	char target[160];
	snprintf(target, sizeof(target), "%s/secret", outside);
	must(symlink(target, p) == 0, "abs");
	snprintf(p, sizeof(p), "%s/up", root);
	must(symlink("..", p) == 0, "up");
	snprintf(p, sizeof(p), "%s/p", root);
	must(mkfifo(p, 0644) == 0, "fifo");
}

struct serve_args {
	int sock;
	struct gofer_mount mounts[3];
	bool ro;
	int ret;
};

static void *serve(void *arg)
{
	struct serve_args *a = arg;
	a->ret = gofer_serve(a->sock, a->mounts, 3, a->ro, 64);
	return NULL;
}

static int lowest_free_fd(void)
{
	int fd = dup(0);
	close(fd);
	return fd;
}

static void check_reply(const uint8_t *buf, ssize_t n, int nfds, uint16_t type, uint32_t tag)
{
	if (n < (ssize_t)GOFER_HDR_SIZE || n > (ssize_t)GOFER_MSG_MAX)
		abort();
	struct gofer_cursor c;
	gofer_cursor_init(&c, (void *)buf, (size_t)n);
	uint32_t len = gofer_get_u32(&c);
	uint16_t rtype = gofer_get_u16(&c);
	uint16_t flags = gofer_get_u16(&c);
	uint32_t rtag = gofer_get_u32(&c);
	if (len != (uint32_t)n || flags != 0 || rtag != tag)
		abort();
	if (rtype == GOFER_RERROR) {
		uint32_t err = gofer_get_u32(&c);
		if (c.bad || c.pos != c.len || err == 0 || err > GOFER_ERRNO_MAX || nfds)
			abort();
		return;
	}
	if (rtype != (uint16_t)(type | GOFER_REPLY))
		abort();
	if (nfds > 1 || (nfds && type != GOFER_TOPEN && type != GOFER_TCREATE))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	if (!inited)
		inited = !init_once();
	if (size < 1)
		return 0;
	int fd_mark = lowest_free_fd();
	make_tree();
	int sv[2];
	must(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0, "socketpair");
	char dpath[160];
	snprintf(dpath, sizeof(dpath), "%s/d", root);
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int datafd = open(dpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int filefd = openat(rootfd, "f", O_PATH | O_CLOEXEC);
	int fparent = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	must(rootfd >= 0 && datafd >= 0 && filefd >= 0 && fparent >= 0, "mount fds");
	struct serve_args a = {
		.sock = sv[1],
		.mounts = {{.name = "/", .fd = rootfd, .parent_fd = -1},
			   {.name = "/data", .fd = datafd, .parent_fd = -1,
			    .readonly = (data[0] & 2) != 0},
			   {.name = "/file", .fd = filefd, .parent_fd = fparent, .leaf = "f"}},
		.ro = data[0] & 1,
	};
	pthread_t th;
	must(pthread_create(&th, NULL, serve, &a) == 0, "pthread_create");

	static uint8_t msg[GOFER_MSG_MAX + 16], rep[GOFER_MSG_MAX + 1];
	size_t pos = 1;
	uint32_t counter = 0;
	for (int i = 0; i < 64 && size - pos >= 3; i++) {
		uint8_t ctl = data[pos];
		size_t n = (size_t)data[pos + 1] | (size_t)data[pos + 2] << 8;
		pos += 3;
		if (n > size - pos)
			n = size - pos;
		memcpy(msg, data + pos, n);
		pos += n;
		if (n == 0)
			continue; /* a zero-length datagram is a hang-up */
		if (n >= GOFER_HDR_SIZE) {
			uint32_t v;
			if (ctl & 1) {
				v = htole32((uint32_t)n);
				memcpy(msg, &v, 4);
			}
			if (ctl & 2) {
				v = htole32(++counter);
				memcpy(msg + 8, &v, 4);
			}
		}
		uint16_t type = 0;
		uint32_t tag = 0;
		if (n >= GOFER_HDR_SIZE) {
			memcpy(&type, msg + 4, 2);
			memcpy(&tag, msg + 8, 4);
			type = le16toh(type);
			tag = le32toh(tag);
		}
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int))];
		} cm;
		struct iovec iov = {.iov_base = msg, .iov_len = n};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		int extra = -1;
		if (ctl & 4) {
			extra = open("/dev/null", O_RDONLY | O_CLOEXEC);
			mh.msg_control = cm.b;
			mh.msg_controllen = sizeof(cm.b);
			struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
			h->cmsg_level = SOL_SOCKET;
			h->cmsg_type = SCM_RIGHTS;
			h->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(h), &extra, sizeof(int));
		}
		must(sendmsg(sv[0], &mh, MSG_NOSIGNAL) == (ssize_t)n, "sendmsg");
		if (extra >= 0)
			close(extra);
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(8 * sizeof(int))];
		} rcm;
		iov = (struct iovec){.iov_base = rep, .iov_len = sizeof(rep)};
		mh = (struct msghdr){.msg_iov = &iov, .msg_iovlen = 1, .msg_control = rcm.b,
				     .msg_controllen = sizeof(rcm.b)};
		ssize_t r = recvmsg(sv[0], &mh, MSG_CMSG_CLOEXEC);
		must(r > 0, "recvmsg");
		int nfds = 0;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
				continue;
			size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t j = 0; j < k; j++) {
				int fd;
				memcpy(&fd, CMSG_DATA(h) + j * sizeof(int), sizeof(int));
				struct stat st;
				/* Only regular files are ever handed out (never a
				 * directory: a start for ".."). */
				if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
					abort();
				close(fd);
				nfds++;
			}
		}
		check_reply(rep, r, nfds, type, n >= GOFER_HDR_SIZE ? tag : 0);
	}
	close(sv[0]);
	pthread_join(th, NULL);
	if (a.ret != 0)
		abort();
	close(sv[1]);
	close(rootfd);
	close(datafd);
	close(filefd);
	close(fparent);
	if (lowest_free_fd() != fd_mark)
		abort(); /* the server leaked an fd */
	struct stat st;
	must(stat(outside, &st) == 0, "stat outside");
	if (st.st_mtim.tv_sec != outside_st.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != outside_st.st_mtim.tv_nsec ||
	    st.st_ctim.tv_nsec != outside_st.st_ctim.tv_nsec || st.st_nlink != outside_st.st_nlink)
		abort(); /* something outside the root changed */
	char p[160];
	snprintf(p, sizeof(p), "%s/secret", outside);
	if (stat(p, &st) < 0 || st.st_size != 7 || st.st_nlink != 1 || (st.st_mode & 07777) != 0600 ||
	    st.st_uid != 0)
		abort();
	return 0;
}
