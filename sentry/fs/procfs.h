/* procfs.h — /proc for the sandbox; see procfs.c. */
#ifndef VISOR_SENTRY_PROCFS_H
#define VISOR_SENTRY_PROCFS_H

/* Capture host facts (before the jail) and register "proc" with the VFS. */
int procfs_init(void);
/* Register "sysfs", "mqueue", "cgroup" and "cgroup2" (sysfs.c). */
int sysfs_init(void);

#endif
