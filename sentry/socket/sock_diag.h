/*
 * sock_diag.h — NETLINK_SOCK_DIAG's requests (sock_diag.c), for netlink.c.
 */
#ifndef VISOR_SENTRY_SOCKET_SOCK_DIAG_H
#define VISOR_SENTRY_SOCKET_SOCK_DIAG_H

#include "sentry/socket/rtnetlink.h"

/* One NETLINK_SOCK_DIAG request, with rtnl_request's contract: RTNL_DUMP
 * and the dump's messages, or -errno to acknowledge (ENOENT for a family
 * or protocol without diag, EINVAL, EOPNOTSUPP for a single lookup). */
int sock_diag_request(const struct rtnl_ctx *c, const struct nlmsghdr *h, struct nlbuf *reply,
		      struct nlbuf *dump, struct rtnl_dump *d);

#endif
