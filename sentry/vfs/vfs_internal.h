/*
 * vfs_internal.h — what the VFS's own files (sentry/vfs and sentry/fs) share and the
 * rest of the Sentry does not need: the dentry cache under vfs_tree_lock,
 * creds shortcuts, and the open path common to vfs_open and vfs_open_path.
 */
#ifndef VISOR_SENTRY_VFS_INTERNAL_H
#define VISOR_SENTRY_VFS_INTERNAL_H

#include "sentry/vfs/vfs.h"

/* creds helpers read straight from struct creds; NULL creds = the Sentry (all-powerful). */
bool vfs_capable(const struct creds *c, int cap);
bool vfs_creds_in_group(const struct creds *c, uint32_t gid);
uint32_t vfs_fsuid(const struct creds *c);
uint32_t vfs_fsgid(const struct creds *c);
const struct creds *vfs_task_creds(struct task *t);

bool vfs_mnt_readonly(const struct vfs_mount *m);
/* As dentry_new, but takes over the caller's reference on ino (no new one). */
struct dentry *dentry_new_take(struct dentry *parent, const char *name, struct inode *ino);
/* Under vfs_tree_lock. */
void dcache_insert(struct dentry *dir, struct dentry *d);
void dcache_remove(struct dentry *d);
void mount_attach(struct vfs_mount *m, struct vfs_mount *parent, struct dentry *mp);

/* Apply attributes without permission checks (fills UTIME_NOW). */
int vfs_setattr_raw(struct inode *ino, struct vfs_setattr *sa);

/* Make the file description for an already-walked path: the permission,
 * EISDIR/ELOOP/EROFS/ENXIO checks of Linux's may_open (skipped when
 * `created`: a file just made by O_CREAT opens whatever its mode), O_TRUNC,
 * then the inode's open op. */
int vfs_open_new(struct task *t, const struct vfs_path *p, int flags, struct file **out,
		 bool created);

/* A file for path p with refs 1 (takes its own path references). */
struct file *file_alloc(const struct vfs_path *p, int flags);

/* Emit "." and ".." for cookie positions 0 and 1 (in-memory file systems
 * list their own entries from cookie 2). Returns nonzero if emit stopped. */
int dir_emit_dots(struct file *f, struct dir_ctx *ctx);

/* Is p in the internal mount of anonymous files? */
bool vfs_path_is_anon(const struct vfs_path *p);
/* Name an anonymous file ("pipe:[12]"), also for files reopened from it. */
void file_set_anon_name(struct file *f, const char *name);

/* lock.c: drop OFD and flock locks of a released description; drop t's
 * process's POSIX locks on f's inode (any close of an fd does, as Linux);
 * free an inode's lock table. */
void vfs_locks_release_file(struct file *f);
void vfs_locks_close_posix(struct task *t, struct file *f);
void vfs_locks_free(struct inode *ino);

/* epoll.c: a description is going: its items leave every epoll instance. */
void epoll_file_released(struct file *f);

/* Default fops pieces. */
int64_t generic_llseek(struct file *f, int64_t off, int whence);

#endif
