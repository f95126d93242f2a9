/*
 * tmpfs.h — the in-memory file system (tmpfs mounts, /dev's nodes, /dev/shm).
 */
#ifndef VISOR_SENTRY_FS_TMPFS_H
#define VISOR_SENTRY_FS_TMPFS_H

#include <fcntl.h>
#include <stdbool.h>
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
int tmpfs_memfd_new(const char *name, uint32_t mode, unsigned int seals, uint32_t uid,
		    uint32_t gid, struct file **out);

/* File seals of tmpfs files and memfds (fcntl F_GET_SEALS, F_ADD_SEALS) with
 * Linux's errnos: EINVAL for any other file, EPERM when not open for
 * writing or already F_SEAL_SEAL, EBUSY for F_SEAL_WRITE while a shared
 * mapping may write. */
#ifndef F_SEAL_EXEC_
#define F_SEAL_EXEC_ 0x0020 /* F_SEAL_EXEC (Linux 6.3), not in every libc */
#endif
#define TMPFS_ALL_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
			 F_SEAL_FUTURE_WRITE | F_SEAL_EXEC_)
int tmpfs_get_seals(struct file *f);
int tmpfs_add_seals(struct file *f, unsigned int seals);
/* A MAP_SHARED mmap of f: -EPERM for PROT_WRITE on a write-sealed file, and
 * *maywrite (the mapping could be made writable) cleared on one.  1 when
 * the caller must call tmpfs_seal_mmap_end(f) once the mapping exists or
 * has failed (an F_SEAL_WRITE meanwhile is EBUSY); 0 when not. */
int tmpfs_seal_mmap_begin(struct file *f, int prot, bool *maywrite);
void tmpfs_seal_mmap_end(struct file *f);

#endif
