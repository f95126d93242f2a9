/*
 * hostfd.h — files over host fds: the app's stdio as the runtime gave it.
 */
#ifndef VISOR_SENTRY_FS_HOSTFD_H
#define VISOR_SENTRY_FS_HOSTFD_H

#include <stdbool.h>

struct file;
struct task;

/* Host fd wrapper (app stdio): takes ownership of hostfd; flags O_ACCMODE|O_APPEND|O_NONBLOCK. */
struct file *hostfd_file_new(int hostfd, int flags);
/* The foreground process group a host tty records (TIOCGPGRP/TIOCSPGRP). */
void hostfd_set_foreground_pgrp(struct file *f, int pgrp);
bool hostfd_is_tty(struct file *f);
/* Set by the kernel: TIOCSCTTY on a tty file (arg as ioctl's); NULL -> EPERM. */
extern int (*vfs_tty_sctty_hook)(struct task *t, struct file *f, int steal);

#endif
