/*
 * transport.c — the Gofer's side of the socket: receiving a request (and
 * trimming when none comes), sending a reply (with the one fd it may
 * donate), an error reply, and dropping fds the Sentry sent (it never may).
 * Nothing here looks inside a message body.
 */
#include "gofer/transport.h"
#include "gofer/protocol.h"
#include "lib/memtrim.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Set when an idle period trimmed, cleared by the next request: one trim
 * per idle stretch.  Per thread: one server loop per thread. */
static _Thread_local bool gofer_trimmed;

ssize_t gofer_recv_request(int sock, struct msghdr *mh, int flags)
{
	for (;;) {
		ssize_t n = recvmsg(sock, mh, flags);
		if (n >= 0) {
			gofer_trimmed = false;
			return n;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return n;
		/* The receive timeout (SO_RCVTIMEO, set by `visor gofer`)
		 * ran out: no request for a whole idle period. */
		if (!gofer_trimmed)
			memtrim_now();
		gofer_trimmed = true;
	}
}

/* Close every fd that arrived as ancillary data: the Sentry never sends fds,
 * and one it did send must not leak into the Gofer's table. */
int gofer_close_passed_fds(struct msghdr *mh)
{
	int n = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			close(fd);
			n++;
		}
	}
	return n;
}

/* Send reply (body already in buf after the header) with an optional fd. */
int gofer_send_reply(int sock, uint8_t *buf, size_t len, uint16_t type, uint32_t tag, int fd)
{
	struct gofer_cursor h;
	gofer_cursor_init(&h, buf, GOFER_HDR_SIZE);
	gofer_put_u32(&h, (uint32_t)len);
	gofer_put_u16(&h, type);
	gofer_put_u16(&h, 0);
	gofer_put_u32(&h, tag);
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	union {
		struct cmsghdr hdr;
		char buf[CMSG_SPACE(sizeof(int))];
	} cmsg;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&cmsg, 0, sizeof(cmsg));
		mh.msg_control = cmsg.buf;
		mh.msg_controllen = sizeof(cmsg.buf);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int gofer_send_error(int sock, uint8_t *buf, uint32_t tag, int err)
{
	struct gofer_cursor c;
	gofer_cursor_init(&c, buf + GOFER_HDR_SIZE, 4);
	gofer_put_u32(&c, (uint32_t)err);
	return gofer_send_reply(sock, buf, GOFER_HDR_SIZE + 4, GOFER_RERROR, tag, -1);
}
