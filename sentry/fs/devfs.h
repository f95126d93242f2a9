/*
 * devfs.h — /dev: the Sentry's device nodes and character devices.
 */
#ifndef VISOR_SENTRY_FS_DEVFS_H
#define VISOR_SENTRY_FS_DEVFS_H

struct file;
struct inode;

/* Register with the VFS: the file system "devtmpfs" (also "dev": null zero
 * full random urandom tty ptmx, fd/stdin/stdout/stderr links, pts/ with the
 * console as 0 and the live pty slaves, shm/ and mqueue/) and the character
 * devices 1,3-9 (memory devices), 5,0 (/dev/tty) and 136,0 (the console). */
int devfs_register(void);
/* The sandbox's terminal: set before /dev is mounted, it appears as
 * /dev/pts/0 (136,0), and a tty host fd stats as that node. */
void devfs_set_console(struct file *f);
struct inode *devfs_console_node(void);

#endif
