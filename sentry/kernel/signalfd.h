/*
 * signalfd.h — signalfd(2) files: reading one dequeues pending signals of
 * its mask as struct signalfd_siginfo records.
 */
#ifndef VISOR_SENTRY_KERNEL_SIGNALFD_H
#define VISOR_SENTRY_KERNEL_SIGNALFD_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "sentry/kernel/task.h"

struct file;
struct signalfd_siginfo;

/* flags: SFD_NONBLOCK (SFD_CLOEXEC is the caller's); -EINVAL for others.
 * SIGKILL and SIGSTOP are dropped from mask, as Linux. */
int signalfd_new(sigset64_t mask, int flags, struct file **out);
bool file_is_signalfd(struct file *f);
void signalfd_set_mask(struct file *f, sigset64_t mask);
/* Its /proc/PID/fdinfo line, as Linux's signalfd_show_fdinfo. */
int signalfd_fdinfo(struct file *f, char *buf, size_t len);
/* Linux's signalfd_copyinfo: the fields of info's layout (by signal and
 * si_code) copied into *out, the rest zero. */
void signalfd_fill(struct signalfd_siginfo *out, const siginfo_t *info);

#endif
