/*
 * jail.h — confining the Sentry before it runs app code.
 */
#ifndef VISOR_SENTRY_JAIL_H
#define VISOR_SENTRY_JAIL_H

/* Pivot into an empty read-only root (the Sentry must already be in its own
 * mount namespace), drop every capability, set no_new_privs and install the
 * Sentry's seccomp allow-list (no open/openat/execve, no sockets).  Returns 0
 * or -errno with *what naming the failed step. */
int sentry_jail(const char **what);

#endif
