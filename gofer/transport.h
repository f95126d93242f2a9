/*
 * transport.h — the Gofer server's socket helpers (gofer/transport.c),
 * shared by server.c only.
 */
#ifndef VISOR_GOFER_TRANSPORT_H
#define VISOR_GOFER_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* Receive the next request (recvmsg with flags).  When the socket has a
 * receive timeout of MEMTRIM_IDLE_PERIOD_MS (`visor gofer` sets it) and it
 * runs out, the Gofer is idle: it gives back its free heap and its code's
 * resident pages (lib/memtrim.h), once per idle stretch, and waits on.  A
 * busy Gofer makes no extra host call.  As recvmsg. */
ssize_t gofer_recv_request(int sock, struct msghdr *mh, int flags);
/* Close every fd that arrived as ancillary data in mh; returns how many. */
int gofer_close_passed_fds(struct msghdr *mh);
/* Send the reply in buf (body after the header, which this fills) of len
 * bytes, with fd attached when fd >= 0.  0 or -errno. */
int gofer_send_reply(int sock, uint8_t *buf, size_t len, uint16_t type, uint32_t tag, int fd);
/* Send an error reply (errno err) for tag, built in buf. */
int gofer_send_error(int sock, uint8_t *buf, uint32_t tag, int err);

#endif
