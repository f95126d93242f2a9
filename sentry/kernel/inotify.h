/*
 * inotify.h — inotify(7) instances, fed by the VFS's change notification
 * hook (sentry/vfs/fsnotify.h).
 */
#ifndef VISOR_SENTRY_KERNEL_INOTIFY_H
#define VISOR_SENTRY_KERNEL_INOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct file;
struct inode;

/* Linux's defaults for /proc/sys/fs/inotify/max_*. */
#define INOTIFY_MAX_QUEUED_EVENTS 16384
#define INOTIFY_MAX_USER_INSTANCES 128
#define INOTIFY_MAX_USER_WATCHES 8192

/* flags: IN_NONBLOCK (IN_CLOEXEC is the caller's); -EINVAL for others,
 * -EMFILE past max_user_instances. */
int inotify_new(int flags, struct file **out);
bool file_is_inotify(struct file *f);
/* Watch ino (a reference is taken) for mask: the watch descriptor, the
 * same one again for an inode already watched (IN_MASK_ADD adds to its
 * mask, IN_MASK_CREATE makes that -EEXIST), -ENOSPC past max_user_watches. */
int inotify_add(struct file *f, struct inode *ino, uint32_t mask);
/* Remove watch wd (queues IN_IGNORED): 0 or -EINVAL. */
int inotify_rm(struct file *f, int wd);

#endif
