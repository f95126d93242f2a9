/*
 * tmpfs.h — the in-memory file system (tmpfs mounts, /dev's nodes, /dev/shm).
 */
#ifndef VISOR_SENTRY_FS_TMPFS_H
#define VISOR_SENTRY_FS_TMPFS_H

#include <stdint.h>

struct dentry;
struct inode;
struct memfile;
struct superblock;

/* The memory file tmpfs pages live in (MAP_SHARED works); set once at boot
 * before the first tmpfs mount.  Without it tmpfs uses malloc'd pages and
 * MAP_SHARED of tmpfs files gives ENODEV. */
void tmpfs_set_memfile(struct memfile *mf);

/* Register "tmpfs" with the VFS (mount data "size=N[kmg%],mode=0755"). */
int tmpfs_register(void);
/* A new tmpfs: size_limit 0 = unlimited. */
int tmpfs_new(uint64_t size_limit, uint32_t root_mode, struct superblock **sb,
	      struct dentry **root);
/* Add a node (mode with S_IFMT; S_IFDIR makes a directory) or, if target, a
 * symlink, to a tmpfs directory at boot; *out (if given) gets a reference. */
int tmpfs_add_node(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
		   const char *target, struct inode **out);

/* memfd_create: an open (read-write) regular file of no name, on an
 * internal tmpfs; /proc/PID/fd shows "/memfd:NAME (deleted)". */
struct file;
int tmpfs_memfd_new(const char *name, uint32_t mode, uint32_t uid, uint32_t gid,
		    struct file **out);

#endif
