/*
 * timerfd.h — timerfd(2) files: a timer whose expirations are read as a
 * 64-bit count, with poll readiness.
 */
#ifndef VISOR_SENTRY_KERNEL_TIMERFD_H
#define VISOR_SENTRY_KERNEL_TIMERFD_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct file;
struct kernel;

/* A new timerfd on clockid (CLOCK_REALTIME, MONOTONIC, BOOTTIME; the _ALARM
 * variants read as REALTIME/BOOTTIME, the caller checks CAP_WAKE_ALARM).
 * flags: TFD_NONBLOCK (TFD_CLOEXEC is the caller's).  -EINVAL otherwise. */
int timerfd_new(struct kernel *k, int clockid, int flags, struct file **out);
bool file_is_timerfd(struct file *f);
/* timerfd_settime on a timerfd: flags TFD_TIMER_ABSTIME (and
 * TFD_TIMER_CANCEL_ON_SET, accepted: nothing in the sandbox sets the
 * clock); nv validated by the caller; the previous setting in *ov. */
int timerfd_file_settime(struct file *f, int flags, const struct itimerspec *nv,
		    struct itimerspec *ov);
void timerfd_file_gettime(struct file *f, struct itimerspec *cur);
/* Its /proc/PID/fdinfo lines, as Linux's timerfd_show (snprintf's result). */
int timerfd_fdinfo(struct file *f, char *buf, size_t len);

#endif
