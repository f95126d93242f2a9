/*
 * eventfd.h — eventfd(2) files: a 64-bit counter with poll readiness.
 */
#ifndef VISOR_SENTRY_VFS_EVENTFD_H
#define VISOR_SENTRY_VFS_EVENTFD_H

#include <stdbool.h>
#include <stdint.h>

struct file;

/* flags: EFD_CLOEXEC (the caller's), EFD_NONBLOCK, EFD_SEMAPHORE. */
int eventfd_new(unsigned int initval, int flags, struct file **out);
/* Is f an eventfd?  Add n to its counter from the kernel side (as Linux's
 * eventfd_signal: saturating, never blocking) and wake its readers. */
bool file_is_eventfd(struct file *f);
void eventfd_signal(struct file *f, uint64_t n);

#endif
