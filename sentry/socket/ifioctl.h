/*
 * ifioctl.h — the interface ioctls (SIOCGIF*) on any socket (ifioctl.c).
 */
#ifndef VISOR_SENTRY_SOCKET_IFIOCTL_H
#define VISOR_SENTRY_SOCKET_IFIOCTL_H

#include <stdint.h>

struct task;
struct socket;

/* Linux's dev_ioctl / devinet_ioctl for cmd on s: the result, or
 * -ENOIOCTLCMD when cmd is not an interface ioctl (or, as Linux, an IPv4
 * one asked on a socket of another family).  socket_set_ifioctl's hook. */
int64_t ifioctl(struct task *t, struct socket *s, unsigned int cmd, uint64_t arg);

#endif
