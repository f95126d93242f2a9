/*
 * rtnetlink.h — NETLINK_ROUTE's messages (rtnetlink.c), between the
 * AF_NETLINK socket (netlink.c) and the interface view (netif.c).
 *
 * rtnetlink.c parses one request and builds its answers into Sentry
 * buffers; it knows no socket, takes no lock of its own and never touches
 * app memory.  Every length in a request is checked before use: a bad one
 * is an error to acknowledge, never a read past the message.
 */
#ifndef VISOR_SENTRY_SOCKET_RTNETLINK_H
#define VISOR_SENTRY_SOCKET_RTNETLINK_H

#include <linux/netlink.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growing buffer of netlink messages. */
struct nlbuf {
	unsigned char *p;
	size_t len, cap;
	bool oom; /* an append failed: the contents are not to be sent */
};
void nlbuf_free(struct nlbuf *b);
/* Start a message with a family header of hdrlen bytes (copied from hdr,
 * or zeroed when NULL); returns its offset for nlbuf_end. */
size_t nlbuf_begin(struct nlbuf *b, uint16_t type, uint16_t flags, uint32_t seq, uint32_t pid,
		   const void *hdr, size_t hdrlen);
/* Append an attribute (padded to 4 bytes). */
void nlbuf_attr(struct nlbuf *b, uint16_t type, const void *data, size_t len);
void nlbuf_attr_u8(struct nlbuf *b, uint16_t type, uint8_t v);
void nlbuf_attr_u32(struct nlbuf *b, uint16_t type, uint32_t v);
void nlbuf_attr_str(struct nlbuf *b, uint16_t type, const char *s);
/* Close the message started at off: its nlmsg_len. */
void nlbuf_end(struct nlbuf *b, size_t off);

/* Who asks, as rtnetlink's checks need it. */
struct rtnl_ctx {
	uint32_t portid;    /* the requesting socket's, the answers' nlmsg_pid */
	bool strict;        /* NETLINK_GET_STRICT_CHK set on the socket */
	bool cap_net_admin; /* the task has CAP_NET_ADMIN */
	uint32_t uid;       /* RTA_UID of a route lookup */
};

#define RTNL_DUMP 1

/* What a dump's closing NLMSG_DONE carries besides its error. */
struct rtnl_dump {
	int err;        /* 0 or -errno: the dump failed (after what it had) */
	uint16_t flags; /* NLM_F_DUMP_FILTERED when the request filtered */
};

/* Handle one request (h is a whole message of h->nlmsg_len bytes, type >=
 * NLMSG_MIN_TYPE, NLM_F_REQUEST set), as Linux's rtnetlink_rcv_msg:
 * a "doit" appends its answer (one message) to reply; a dump appends every
 * message (NLM_F_MULTI, without the closing NLMSG_DONE) to dump, fills *d
 * and returns RTNL_DUMP; else 0 or -errno (EPERM, EOPNOTSUPP, EINVAL,
 * ERANGE, ENODEV, EADDRNOTAVAIL, ENETUNREACH, ENOMEM) for the caller to
 * acknowledge. */
int rtnl_request(const struct rtnl_ctx *c, const struct nlmsghdr *h, struct nlbuf *reply,
		 struct nlbuf *dump, struct rtnl_dump *d);

#endif
