/*
 * proc_fdinfo.h — /proc/PID/fdinfo: one file per open fd with its
 * position, flags, mount and inode, and a pidfd's Pid: line.
 */
#ifndef VISOR_SENTRY_FS_PROC_FDINFO_H
#define VISOR_SENTRY_FS_PROC_FDINFO_H

struct inode;
struct superblock;

/* The fdinfo directory of process pid, on procfs's superblock sb. */
struct inode *proc_fdinfo_dir_new(struct superblock *sb, int pid);

#endif
