/*
 * hostinet.h — AF_INET and AF_INET6 sockets backed by host sockets, for
 * --network=host (hostinet.c).  register.c registers them in place of the
 * netstack's when the sandbox's mode is host; the netstack still starts
 * (its loopback answers netlink route dumps and the interface ioctls).
 */
#ifndef VISOR_SENTRY_SOCKET_HOSTINET_H
#define VISOR_SENTRY_SOCKET_HOSTINET_H

#include <stdbool.h>

struct jail_rules;

/* Register AF_INET and AF_INET6 (replacing inet.c's). */
int hostinet_register(void);
/* The rules host mode adds to the Sentry's jail (sentry_jail's extra). */
const struct jail_rules *hostinet_jail_rules(void);
/* Whether a socket option of that level (not SOL_SOCKET) and name reaches
 * the host (set: setsockopt, else getsockopt). */
bool hostinet_opt_allowed(int level, int name, bool set);
/* Host sockets open now (tests). */
long hostinet_open_sockets(void);

#endif
