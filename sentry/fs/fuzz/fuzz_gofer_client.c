/*
 * fuzz_gofer_client.c — libFuzzer target for the Sentry's decoding of Gofer
 * replies (sentry/fs/gofer_client.c), as a compromised Gofer would send
 * them: any bytes, wrong tags and types, fds where none belong.
 *
 * The replies are queued on the peer socket before the calls are made (and
 * its sending side then shut down, so a call that finds no reply sees a
 * hang-up instead of blocking).  Input: a list of { u8 call, u8 ctl, le16 n,
 * n bytes }: the client call to make (see calls[] below, each with valid
 * arguments) and the reply its request gets: n body bytes under a header
 * this target writes (ctl bit 0: an error reply, bit 1: one fd attached,
 * bit 2: two fds, bit 3: no header, the bytes are the whole datagram,
 * bit 4: the next tag instead of the right one, bit 5: the reply type of
 * the next call).  Checked: every call returns 0, a count within what was
 * asked, or a negative errno (1..4095); a donated fd is only returned by
 * open and create, and every other fd is closed (no leak once the client is
 * freed).  Calls sent without waiting (clunk_async, setattr_async) take
 * their replies in turn like the others, read with the next call's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gofer/protocol.h"
#include "lib/log.h"
#include "sentry/fs/gofer_client.h"

#define NCALLS 23
#define MAX_REPLY 8192

/* The request type of each call, in calls[] order. */
static const uint16_t call_type[NCALLS] = {
    GOFER_TATTACH,  GOFER_TWALK,     GOFER_TGETATTR,  GOFER_TSETATTR,	GOFER_TOPEN,
    GOFER_TCREATE,  GOFER_TMKDIR,    GOFER_TMKNOD,    GOFER_TSYMLINK,	GOFER_TLINK,
    GOFER_TREADDIR, GOFER_TREADLINK, GOFER_TSTATFS,   GOFER_TUNLINK,	GOFER_TRENAME,
    GOFER_TCLUNK,   GOFER_TGETXATTR, GOFER_TSETXATTR, GOFER_TLISTXATTR, GOFER_TREMOVEXATTR,
    GOFER_TSTATX,   GOFER_TCLUNK,    GOFER_TSETATTR,
};

static int lowest_free_fd(void)
{
	int fd = dup(0);
	close(fd);
	return fd;
}

static void check_ret(ssize_t r)
{
	if (r < 0 && r < -(ssize_t)GOFER_ERRNO_MAX)
		abort();
}

static void check_fd(int r, int fd)
{
	check_ret(r);
	if ((r == 0) != (fd >= 0))
		abort();
	if (fd >= 0 && fcntl(fd, F_GETFD) < 0)
		abort();
	if (fd >= 0)
		close(fd);
}

static void do_call(struct gofer_client *c, int call)
{
	struct gofer_stat st;
	uint64_t fid = 0;
	int fd = -1;
	ssize_t r;
	switch (call) {
	case 0:
		check_ret(gofer_attach(c, "/", &fid, &st));
		break;
	case 1:
		check_ret(gofer_walk(c, 1, "f", &fid, &st));
		break;
	case 2:
		check_ret(gofer_getattr(c, 1, &st));
		break;
	case 3: {
		struct gofer_setattr sa = {.valid = GOFER_SETATTR_SIZE, .size = 1};
		check_ret(gofer_setattr(c, 1, &sa));
		break;
	}
	case 4:
		r = gofer_open(c, 1, O_RDONLY, &fd);
		check_fd((int)r, fd);
		break;
	case 5:
		r = gofer_create(c, 1, "n", O_RDWR, 0644, 0, 0, &fid, &st, &fd);
		check_fd((int)r, fd);
		break;
	case 6:
		check_ret(gofer_mkdir_fid(c, 1, "m", 0755, 0, 0, &fid, &st));
		break;
	case 7:
		check_ret(gofer_mknod(c, 1, "q", S_IFIFO | 0644, 0, 0, 0, &st));
		break;
	case 8:
		check_ret(gofer_symlink(c, 1, "s", "target", 0, 0, &st));
		break;
	case 9:
		check_ret(gofer_link(c, 2, 1, "l"));
		break;
	case 10: {
		static struct gofer_dirent ents[8];
		bool end = false;
		r = gofer_readdir_end(c, 1, 0, ents, 8, &end);
		check_ret(r);
		if (r > 8 || (r < 0 && end))
			abort();
		for (ssize_t i = 0; i < r; i++) {
			size_t n = strnlen(ents[i].name, sizeof(ents[i].name));
			if (n == sizeof(ents[i].name) || gofer_check_name(ents[i].name, n) < 0)
				abort();
		}
		break;
	}
	case 11: {
		char buf[16];
		r = gofer_readlink(c, 1, buf, sizeof(buf));
		check_ret(r);
		if (r > (ssize_t)sizeof(buf))
			abort();
		break;
	}
	case 12: {
		struct gofer_statfs sf;
		check_ret(gofer_statfs(c, 1, &sf));
		break;
	}
	case 13:
		check_ret(gofer_unlink(c, 1, "u", 0));
		break;
	case 14:
		check_ret(gofer_rename(c, 1, "a", 1, "b", 0));
		break;
	case 15:
		check_ret(gofer_clunk(c, 1));
		break;
	case 16: {
		char buf[16];
		r = gofer_getxattr(c, 1, "user.a", buf, sizeof(buf));
		check_ret(r);
		if (r > (ssize_t)sizeof(buf))
			abort();
		r = 0;
		break;
	}
	case 17:
		check_ret(gofer_setxattr(c, 1, "user.a", "v", 1, 0));
		break;
	case 18: {
		char buf[32];
		r = gofer_listxattr(c, 1, buf, sizeof(buf));
		check_ret(r);
		if (r > (ssize_t)sizeof(buf) || (r > 0 && buf[r - 1] != 0))
			abort();
		break;
	}
	case 19:
		check_ret(gofer_removexattr(c, 1, "user.a"));
		break;
	case 20: {
		struct gofer_statx sx;
		r = gofer_statx(c, 1, 0xfff, &sx);
		check_ret(r);
		if (r == 0 && sx.btime_nsec >= 1000000000u)
			abort();
		break;
	}
	case 21: /* answered when the next call's reply is read */
		gofer_clunk_async(c, 1);
		break;
	case 22: {
		struct gofer_setattr sa = {.valid = GOFER_SETATTR_MODE, .mode = 0600};
		gofer_setattr_async(c, 1, &sa);
		break;
	}
	}
}

static void send_reply(int sock, const uint8_t *body, size_t n, uint8_t ctl, uint16_t type,
		       uint32_t tag)
{
	static uint8_t buf[GOFER_HDR_SIZE + MAX_REPLY];
	size_t len = n;
	if (ctl & 8) {
		memcpy(buf, body, n);
	} else {
		struct gofer_cursor h;
		len = GOFER_HDR_SIZE + n;
		gofer_cursor_init(&h, buf, GOFER_HDR_SIZE);
		gofer_put_u32(&h, (uint32_t)len);
		gofer_put_u16(&h, (ctl & 1) ? GOFER_RERROR : (uint16_t)(type | GOFER_REPLY));
		gofer_put_u16(&h, 0);
		gofer_put_u32(&h, tag);
		memcpy(buf + GOFER_HDR_SIZE, body, n);
	}
	if (len == 0)
		return; /* a zero-length datagram would read as the hang-up */
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(2 * sizeof(int))];
	} cm;
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int fds[2] = {-1, -1}, nfds = (ctl & 4) ? 2 : (ctl & 2) ? 1 : 0;
	if (nfds) {
		for (int i = 0; i < nfds; i++)
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(h), fds, nfds * sizeof(int));
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		abort();
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	if (!inited) {
		log_init(-1, 0, LOG_ERROR);
		inited = 1;
	}
	int fd_mark = lowest_free_fd();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	int big = 8 << 20;
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof(big));
	struct gofer_client *c = gofer_client_new(sv[0]);
	if (!c)
		abort();
	int calls[32], ncalls = 0;
	size_t pos = 0;
	while (ncalls < 32 && size - pos >= 4) {
		int call = data[pos] % NCALLS;
		uint8_t ctl = data[pos + 1];
		size_t n = (size_t)data[pos + 2] | (size_t)data[pos + 3] << 8;
		pos += 4;
		if (n > size - pos)
			n = size - pos;
		if (n > MAX_REPLY)
			n = MAX_REPLY;
		uint32_t tag = (uint32_t)ncalls + 1 + ((ctl & 16) ? 1 : 0);
		uint16_t type = call_type[call];
		if ((ctl & 32) && pos + n < size)
			type = call_type[data[pos + n] % NCALLS];
		send_reply(sv[1], data + pos, n, ctl, type, tag);
		pos += n;
		calls[ncalls++] = call;
	}
	shutdown(sv[1], SHUT_WR);
	for (int i = 0; i < ncalls; i++)
		do_call(c, calls[i]);
	gofer_client_flush(c);
	gofer_client_free(c);
	close(sv[1]);
	if (lowest_free_fd() != fd_mark)
		abort(); /* a donated fd leaked */
	return 0;
}
