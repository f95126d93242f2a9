/*
 * pipe.h — pipes and FIFOs.
 */
#ifndef VISOR_SENTRY_FS_PIPE_H
#define VISOR_SENTRY_FS_PIPE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct file;
struct task;

/* FIFOs on any file system open as Sentry pipes: fifo_open blocks for the
 * other end as Linux's fifo_open.  Registers with the VFS at boot. */
int pipe_register(void);

/* Pipes: two files (read end, write end); flags: O_NONBLOCK (O_DIRECT packet
 * mode is not implemented: -EINVAL). */
int pipe_new(int flags, struct file **rd, struct file **wr);
/* F_GETPIPE_SZ / F_SETPIPE_SZ on a pipe file; -EBADF if f is not a pipe. */
int64_t pipe_fcntl(struct file *f, int cmd, uint64_t arg);
/* tee(2): copy up to len bytes from pipe in to pipe out without consuming
 * them; nonblock: never wait (EAGAIN).  -EINVAL unless two different
 * pipes; the caller has checked that in is readable and out writable. */
ssize_t pipe_tee(struct task *t, struct file *in, struct file *out, size_t len, bool nonblock);

#endif
