/*
 * epoll.h — epoll(7) instances.
 *
 * An instance (flags: EPOLL_CLOEXEC, the caller's); ctl on target (the file
 * of fd; ev may be NULL for EPOLL_CTL_DEL); wait up to maxevents into out
 * until the absolute CLOCK_MONOTONIC deadline (NULL: none): the count, 0 on
 * timeout, -EINTR on a signal (never restarted, as Linux).
 */
#ifndef VISOR_SENTRY_VFS_EPOLL_H
#define VISOR_SENTRY_VFS_EPOLL_H

#include <stdbool.h>
#include <time.h>

struct epoll_event;
struct file;
struct task;

int epoll_new(int flags, struct file **out);
bool file_is_epoll(struct file *f);
int epoll_ctl_file(struct file *epf, int op, int fd, struct file *target,
		   const struct epoll_event *ev);
int epoll_wait_file(struct task *t, struct file *epf, struct epoll_event *out, int maxevents,
		    const struct timespec *deadline);

#endif
