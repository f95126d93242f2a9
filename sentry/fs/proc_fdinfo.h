/*
 * proc_fdinfo.h — /proc/PID/fdinfo: one file per open fd with its
 * position, flags, mount and inode, and a pidfd's Pid: line.
 */
#ifndef VISOR_SENTRY_FS_PROC_FDINFO_H
#define VISOR_SENTRY_FS_PROC_FDINFO_H

struct inode;
struct superblock;
struct kernel;
struct task;
struct fd_table;

/* Process pid's fd table, with a reference (fdt_put), or NULL. */
struct fd_table *proc_pid_fdt(struct kernel *k, int pid);
/* Emit each open fd of process pid as a directory entry of type (DT_*),
 * until emit returns non-zero. */
void proc_list_fds(struct task *t, int pid, unsigned int type,
		   int (*emit)(void *ectx, const char *name, unsigned int type), void *ectx);

/* The fdinfo directory of process pid, on procfs's superblock sb. */
struct inode *proc_fdinfo_dir_new(struct superblock *sb, int pid);

#endif
