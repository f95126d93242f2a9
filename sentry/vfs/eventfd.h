/*
 * eventfd.h — eventfd(2) files: a 64-bit counter with poll readiness.
 */
#ifndef VISOR_SENTRY_VFS_EVENTFD_H
#define VISOR_SENTRY_VFS_EVENTFD_H

struct file;

/* flags: EFD_CLOEXEC (the caller's), EFD_NONBLOCK, EFD_SEMAPHORE. */
int eventfd_new(unsigned int initval, int flags, struct file **out);

#endif
