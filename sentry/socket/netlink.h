/*
 * netlink.h — AF_NETLINK sockets (netlink.c), NETLINK_ROUTE only.
 */
#ifndef VISOR_SENTRY_SOCKET_NETLINK_H
#define VISOR_SENTRY_SOCKET_NETLINK_H

/* Register AF_NETLINK with the socket layer (at boot). */
int netlink_register(void);

#endif
