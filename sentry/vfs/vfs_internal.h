/*
 * vfs_internal.h — what the VFS's own files (sentry/vfs/) share and nothing
 * else uses: the dentry cache and mount tree under vfs_tree_lock, the walk,
 * and the open path common to vfs_open and vfs_open_path.  File systems use
 * vfs.h only.
 */
#ifndef VISOR_SENTRY_VFS_INTERNAL_H
#define VISOR_SENTRY_VFS_INTERNAL_H

#include "sentry/vfs/vfs.h"


bool vfs_mnt_readonly(const struct vfs_mount *m);
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


/* Is p in the internal mount of anonymous files? */
bool vfs_path_is_anon(const struct vfs_path *p);

/* lock.c: drop OFD and flock locks of a released description; drop t's
 * process's POSIX locks on f's inode (any close of an fd does, as Linux);
 * free an inode's lock table. */
void vfs_locks_release_file(struct file *f);
void vfs_locks_close_posix(struct task *t, struct file *f);
void vfs_locks_free(struct inode *ino);

/* lease.c: an open with flags breaks the leases it conflicts with (0, or
 * -EWOULDBLOCK for O_NONBLOCK); a new description of a regular file joins
 * the open counts, a released one leaves them with its lease; the inode's
 * leases go with it. */
int vfs_lease_break(struct task *t, struct inode *ino, int flags);
void vfs_lease_opened(struct file *f);
void vfs_lease_released(struct file *f);
void vfs_leases_free(struct inode *ino);

/* dnotify.c: f's mark goes (a close of one of its fds, its release); an
 * inode's marks go with it; an event on an entry of directory dir, or on the
 * file of path p (its directory's marks). */
void vfs_dnotify_flush(struct file *f);
/* The last reference to f went: its O_ASYNC registration ends (fasync.c). */
void vfs_fasync_released(struct file *f);
void vfs_dnotify_free(struct inode *ino);
void vfs_dnotify_event(struct inode *dir, uint32_t event);
void vfs_dnotify_parent(const struct vfs_path *p, uint32_t event);

/* epoll.c: a description is going: its items leave every epoll instance. */
void epoll_file_released(struct file *f);

/* ---- shared by the VFS's own files (dcache.c, mount.c, walk.c, namei.c,
 * attr.c, fs_context.c); everything below runs under vfs_tree_lock unless
 * it says otherwise ---- */

struct timespec vfs_now(void); /* CLOCK_REALTIME, for timestamps */

/* dcache.c */
/* A cached child of dir named name that is still valid (revalidated for
 * shared file systems), with a reference; NULL if none. */
struct dentry *dcache_find_valid(struct task *t, struct dentry *dir, const char *name);
/* The file system's lookup of name in dir (the VFS's ENOTDIR/ENOENT rules). */
int fs_lookup(struct task *t, struct inode *dir, const char *name, struct inode **out);
/* Drop d and every cached dentry below it from the cache. */
void dcache_prune(struct dentry *d);

/* mount.c */
void path_set(struct vfs_path *dst, struct vfs_mount *m, struct dentry *d);
bool path_equal(const struct vfs_path *a, const struct vfs_path *b);
/* Step p onto whatever is mounted on it, repeatedly. */
void follow_mounts(struct vfs_path *p);

/* walk.c: one walk's state. */
struct walk {
	struct task *t;
	const struct creds *creds;
	struct vfs_path root;
	struct vfs_path cur;
	int nlinks;
	char *scratch; /* VFS_PATH_MAX+1 bytes for readlink, made at the first link */
	unsigned int resolve; /* openat2's RESOLVE_* (vfs_open_how); 0 for every other walk */
};

enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

struct parent_walk {
	struct vfs_path dir;
	char name[VFS_NAME_MAX + 1];
	enum last_type type;
	bool trailing_slash;
};

/* Start a walk for t from dirfd (or the root for an absolute path). */
int walk_init(struct walk *w, struct task *t, int dirfd, const char *path);
/* The same with openat2's RESOLVE_* rules: with RESOLVE_BENEATH or
 * RESOLVE_IN_ROOT the walk's root is its start (dirfd), as Linux's scoped
 * lookups; an absolute path is -EXDEV under RESOLVE_BENEATH. */
int walk_init_resolve(struct walk *w, struct task *t, int dirfd, const char *path,
		      unsigned int resolve);
void walk_done(struct walk *w);
int walk_locked(struct walk *w, const char *path, int flags, struct vfs_path *out);
/* Walk all but the last component of path into pw. */
int walk_parent_locked(struct walk *w, const char *path, struct parent_walk *pw);
/* The last component of a parent walk: 0 and out, or -ENOENT & co. */
int lookup_last(struct walk *w, struct parent_walk *pw, struct vfs_path *out);
bool walk_is_dir(const struct vfs_path *p);
bool dentry_is_symlink(const struct dentry *d);
/* Where the magic link li (/proc/<pid>/fd/N) leads. */
int magic_target(struct walk *w, struct inode *li, struct vfs_path *out);

/* fs_context.c: p's name from root into buf; *unreachable if p is not under root. */
int path_name_locked(const struct vfs_path *p, const struct vfs_path *root, char *buf, size_t len,
		     bool *unreachable);

#endif
