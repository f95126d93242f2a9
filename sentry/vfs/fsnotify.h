/*
 * fsnotify.h — file-system change notification: the VFS reports what
 * happens to inodes (created, deleted, modified, moved, opened, closed...)
 * through one hook, which a watcher (inotify, in sentry/kernel) installs.
 * The VFS knows nothing of the watcher: it calls these helpers at each
 * change, and they cost one atomic read while nobody watches anything.
 *
 * The event bits are Linux's fsnotify ones (the values inotify shows).
 * Locking: the helpers that name a dentry's parent and name read them under
 * vfs_tree_lock (taken here, recursive) only while something is watched; the
 * hook is called with vfs_tree_lock held or not, and takes only its own
 * lock, ranked after it (sentry/LOCKING.md).
 */
#ifndef VISOR_SENTRY_VFS_FSNOTIFY_H
#define VISOR_SENTRY_VFS_FSNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct inode;
struct dentry;
struct file;

#define FS_ACCESS 0x00000001u
#define FS_MODIFY 0x00000002u
#define FS_ATTRIB 0x00000004u
#define FS_CLOSE_WRITE 0x00000008u
#define FS_CLOSE_NOWRITE 0x00000010u
#define FS_OPEN 0x00000020u
#define FS_MOVED_FROM 0x00000040u
#define FS_MOVED_TO 0x00000080u
#define FS_CREATE 0x00000100u
#define FS_DELETE 0x00000200u
#define FS_DELETE_SELF 0x00000400u
#define FS_MOVE_SELF 0x00000800u
#define FS_ISDIR 0x40000000u
/* With a child's event to its directory: the child was unlinked (a watch
 * with IN_EXCL_UNLINK skips it).  Never shown to the app. */
#define FS_UNLINKED 0x04000000u

struct fsnotify_hook {
	/* An event on ino: on itself (name NULL) or on a child of the
	 * directory ino called name.  cookie ties a move's two halves.
	 * ino->fsn_marks is the watcher's, read and written under its lock. */
	void (*event)(struct inode *ino, uint32_t mask, uint32_t cookie, const char *name);
};

/* Install the watcher (once; later calls are ignored). */
void fsnotify_set_hook(const struct fsnotify_hook *hook);
/* The watcher counts its marks here: the helpers do nothing at 0. */
void fsnotify_marks_add(int delta);

/* An event on ino itself. */
void fsnotify_inode(struct inode *ino, uint32_t mask);
/* An event on the directory dir about its child called name (whose inode
 * is child, for FS_ISDIR). */
void fsnotify_child(struct inode *dir, const char *name, struct inode *child, uint32_t mask,
		    uint32_t cookie);
/* An event on d's inode, for its own watchers and its parent's (with d's
 * name), as Linux's fsnotify_parent.  Takes vfs_tree_lock when needed. */
void fsnotify_dentry(struct dentry *d, uint32_t mask);
/* fsnotify_dentry for a file's path (nothing for anonymous files). */
void fsnotify_file(struct file *f, uint32_t mask);
/* A fresh cookie for a rename's FS_MOVED_FROM / FS_MOVED_TO pair. */
uint32_t fsnotify_cookie(void);

#endif
