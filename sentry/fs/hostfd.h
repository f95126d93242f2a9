/*
 * hostfd.h — files over host fds: the app's stdio as the runtime gave it.
 */
#ifndef VISOR_SENTRY_FS_HOSTFD_H
#define VISOR_SENTRY_FS_HOSTFD_H

#include <stdbool.h>

struct file;

/* Host fd wrapper (app stdio): takes ownership of hostfd; flags O_ACCMODE|O_APPEND|O_NONBLOCK. */
struct file *hostfd_file_new(int hostfd, int flags);
/* Is f a host fd that is a tty (file_ops.tty gives its session link)? */
bool hostfd_is_tty(struct file *f);

#endif
