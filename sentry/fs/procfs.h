/* procfs.h — /proc for the sandbox; see procfs.c. */
#ifndef VISOR_SENTRY_PROCFS_H
#define VISOR_SENTRY_PROCFS_H

#include <stddef.h>

/* Capture host facts (before the jail) and register "proc" with the VFS. */
int procfs_init(void);
/* A file of /proc/net that another layer provides (the socket layer's
 * "unix"): fn makes its content at open time, malloc'd, *len set.  At boot,
 * before proc is mounted; the same name again replaces it. */
struct task;
typedef char *(*procfs_net_fn)(struct task *t, size_t *len);
int procfs_register_net(const char *name, procfs_net_fn fn);
/* /proc/PID/task (proc_task.c), and the superblock it lives in. */
struct superblock;
struct inode;
struct inode *proc_task_dir_new(struct superblock *sb, int pid);
struct superblock *procfs_sb(void);
/* Register "sysfs", "mqueue", "cgroup" and "cgroup2" (sysfs.c). */
int sysfs_init(void);

#endif
