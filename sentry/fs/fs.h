/*
 * fs.h — the Sentry's file systems, as the boot sees them.
 *
 * Each file system registers what it provides with the VFS (file system
 * types, special file types, character devices); the VFS names none of
 * them.  Each one's own interface is its header here (tmpfs.h, goferfs.h,
 * devfs.h, devpts.h, pipe.h, hostfd.h, procfs.h).
 */
#ifndef VISOR_SENTRY_FS_H
#define VISOR_SENTRY_FS_H

struct gofer_client;

/* Register every file system, device and special type with the VFS:
 * tmpfs, devfs (and its devices), devpts, FIFOs, procfs, sysfs and, when gc
 * is given, the Gofer's "bind-gofer".  Reads host facts procfs needs, so it
 * runs before the jail.  Safe to call again (registrations are replaced). */
int fs_register_all(struct gofer_client *gc);

#endif
