/* mqueue.h — the mqueue file system and /proc/sys/fs/mqueue; see mqueue.c. */
#ifndef VISOR_SENTRY_FS_MQUEUE_H
#define VISOR_SENTRY_FS_MQUEUE_H

/* Register "mqueue" with the VFS and its /proc files (at boot, before
 * proc is mounted). */
int mqueue_register(void);

#endif
