/*
 * unix.h — AF_UNIX sockets (unix.c), as the boot and the tests see them.
 */
#ifndef VISOR_SENTRY_SOCKET_UNIX_H
#define VISOR_SENTRY_SOCKET_UNIX_H

#include <stddef.h>

struct task;

/* Register AF_UNIX with the socket layer (at boot). */
int unix_register(void);
/* /proc/net/unix in Linux's format: malloc'd text, *len set. */
char *unix_proc_net(struct task *t, size_t *len);
/* How many unix socket files sit in in-flight SCM_RIGHTS right now. */
long unix_inflight_count(void);

#endif
