/*
 * pipe.h — pipes and FIFOs.
 */
#ifndef VISOR_SENTRY_FS_PIPE_H
#define VISOR_SENTRY_FS_PIPE_H

#include <stdint.h>

struct file;

/* FIFOs on any file system open as Sentry pipes: fifo_open blocks for the
 * other end as Linux's fifo_open.  Registers with the VFS at boot. */
int pipe_register(void);

/* Pipes: two files (read end, write end); flags: O_NONBLOCK (O_DIRECT packet
 * mode is not implemented: -EINVAL). */
int pipe_new(int flags, struct file **rd, struct file **wr);
/* F_GETPIPE_SZ / F_SETPIPE_SZ on a pipe file; -EBADF if f is not a pipe. */
int64_t pipe_fcntl(struct file *f, int cmd, uint64_t arg);

#endif
