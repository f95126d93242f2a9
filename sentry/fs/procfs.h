/* procfs.h — /proc for the sandbox; see procfs.c. */
#ifndef VISOR_SENTRY_PROCFS_H
#define VISOR_SENTRY_PROCFS_H

#include <stdbool.h>
#include <stddef.h>

#include "sentry/vfs/vfs.h"

/* Capture host facts (before the jail) and register "proc" with the VFS. */
int procfs_init(void);
/* A file of /proc/net that another layer provides (the socket layer's
 * "unix"): fn makes its content at open time, malloc'd, *len set.  At boot,
 * before proc is mounted; the same name again replaces it. */
struct task;
typedef char *(*procfs_net_fn)(struct task *t, size_t *len);
int procfs_register_net(const char *name, procfs_net_fn fn);
/* A file of /proc/sys that another layer provides: dir is its directory
 * below /proc/sys ("net/core"), made as needed.  At boot, before proc is
 * mounted; dir and name must stay valid. */
int procfs_register_sysctl(const char *dir, const char *name, procfs_net_fn fn);
/* A file another layer adds below /proc (the IPC code's /proc/sysvipc/shm
 * and /proc/sys/kernel/msgmni): dir is its directory below /proc
 * ("sysvipc", "sys/fs/mqueue"), made as needed; gen makes its content at
 * open time (as vfs_synth_file_new's), write answers write(2) (NULL: the
 * file is read-only).  At boot, before proc is mounted. */
int procfs_register_file(const char *dir, const char *name, unsigned mode, vfs_synth_gen_fn gen,
			 vfs_synth_write_fn write, void *arg);
/* /proc/PID/task (proc_task.c), and the superblock it lives in. */
struct superblock;
struct inode;
struct inode *proc_task_dir_new(struct superblock *sb, int pid);
struct superblock *procfs_sb(void);
/* Give a directory of process pid, made for this lookup, its owner as
 * Linux's task_dump_owner: the effective uid and gid, root when the process
 * is not dumpable. */
void procfs_own_pid_tree(struct task *t, int pid, struct inode *dir);
/* The process whose /proc/<pid> directory f is open on (borrowed: f holds
 * it), or NULL for any other file. */
struct thread_group *procfs_pid_dir_tg(struct file *f);
/* Register "sysfs", "cgroup" and "cgroup2" (sysfs.c). */
int sysfs_init(void);
/* Register "cgroup" and "cgroup2": the container's limits (cgroupfs.c). */
int cgroupfs_init(void);
/* The host's layout is cgroup v2 (one unified hierarchy). */
bool cgroupfs_host_v2(void);
/* A v1 hierarchy of the sandbox's /sys/fs/cgroup: its directory, the
 * controllers it holds (as /proc/PID/cgroup and the mount's super options
 * name them) and its hierarchy id. */
struct cgroupfs_hier {
	const char *dir;
	const char *controllers;
	int id;
};
/* The v1 hierarchies, by id (*out: a static table); 0 on a v2 host. */
int cgroupfs_v1_hierarchies(const struct cgroupfs_hier **out);
/* sb is the sandbox's v1 /sys/fs/cgroup (whose directories are listed as
 * mounts in /proc/PID/mountinfo). */
bool cgroupfs_is_v1_sb(const struct superblock *sb);
/* /proc/PID/mountinfo, /proc/PID/cgroup, /proc/cgroups (proc_mounts.c):
 * vfs_synth_gen_fn's. */
char *proc_gen_mountinfo(struct task *t, void *arg, size_t *len);
/* A mount's options as /proc/mounts and mountinfo show them
 * ("rw,nosuid,nodev,noexec,relatime"). */
void proc_mount_options(int flags, char *buf, size_t len);
char *proc_gen_pid_cgroup(struct task *t, void *arg, size_t *len);
char *proc_gen_cgroups(struct task *t, void *arg, size_t *len);

#endif
