/*
 * vfs.h — the Sentry's virtual file system: inodes, dentries, mounts, file
 * descriptions, FD tables, per-task fs context (root, cwd, umask), path
 * walking and permissions.
 *
 * Objects and lifetimes (all reference counted):
 *   superblock  one mounted file system instance (tmpfs, goferfs, devfs...).
 *   inode       a file object of a file system; attributes live here and are
 *               protected by inode->lock.  `ops` says what the fs can do.
 *   dentry      a name in the tree: (parent, name) -> inode.  A cached dentry
 *               is in the dentry cache (parent's child list, a hash on
 *               (parent, name), an LRU) which holds one reference; unused
 *               leaves beyond vfs_dcache_set_max() are dropped (the fs is the
 *               truth).  Directories whose children come and go behind the
 *               VFS's back (procfs /proc/<pid>) set VFS_INODE_NOCACHE so
 *               every lookup makes a fresh dentry.
 *   vfs_mount   a superblock's root dentry attached at a mountpoint
 *               (parent mount, dentry) with per-mount flags (VFS_MNT_*).
 *   vfs_path    (mount, dentry) pair; holds a reference on both.
 *   file        an open file description (dup/fork share it).  Anonymous
 *               files (pipes, host fds, eventfd, epoll) have no path.
 *   fd_table    fd -> (file, FD_CLOEXEC); shared by CLONE_FILES.
 *   fs_context  root, cwd, umask; shared by CLONE_FS.
 *
 * Locks: the order is sentry/LOCKING.md's (file->pos_lock, vfs_tree_lock,
 * epoll_lock ... inode->lock ... fd_table->lock, fs_context->lock, waitq
 * locks).  vfs_tree_lock (recursive) serialises namespace operations and is
 * held across inode_ops calls that change or search the namespace, gofer
 * RPCs and procfs lookup and readlink callbacks included; data I/O never
 * takes it.  Callbacks given to the synthetic-file helpers (procfs) may take
 * kernel locks but must not walk paths in another thread and wait for it.
 * Nobody holds a lock of their own across file_put/fdt_put/fdt_close (a
 * last put may talk to the Gofer or take vfs_tree_lock).  fdt_close & co.
 * drop the POSIX locks of `current`'s process.
 *
 * Errors are negative errnos as Linux returns them, with Linux's precedence.
 */
#ifndef VISOR_SENTRY_VFS_H
#define VISOR_SENTRY_VFS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

#include "lib/lockdep.h"
#include "sentry/waiter/waiter.h"

struct task;
struct creds;
struct mm_file;
struct memfile;
struct file;
struct inode;
struct dentry;
struct vfs_mount;
struct superblock;
struct tty_session;

#define VFS_PATH_MAX 4096
#define VFS_NAME_MAX 255
#define VFS_MAXSYMLINKS 40
/* The kernel's O_LARGEFILE: glibc defines O_LARGEFILE as 0 on x86_64, but
 * Linux sets this bit on every open of a 64-bit process and F_GETFL shows it. */
#define VFS_O_LARGEFILE 0100000
/* Kernel-internal open flag (Linux's __FMODE_EXEC bit, never valid from the
 * app): open for execve/the ELF interpreter — needs X permission only (an
 * --x binary runs), not R; the file is readable by file_pread_kernel. */
#define VFS_O_EXEC 040

/* ---- attributes ---- */

#define VFS_ATTR_MODE 0x01
#define VFS_ATTR_UID 0x02
#define VFS_ATTR_GID 0x04
#define VFS_ATTR_SIZE 0x08
#define VFS_ATTR_ATIME 0x10 /* atime field; tv_nsec may be UTIME_NOW */
#define VFS_ATTR_MTIME 0x20
struct vfs_setattr {
	uint32_t valid;
	uint32_t mode; /* permission bits (07777) only */
	uint32_t uid, gid;
	uint64_t size;
	struct timespec atime, mtime;
};

/* ---- inodes ---- */

struct dir_ctx;
struct vfs_statx;
struct inode_ops {
	/* Find name in dir: 0 and a new inode reference, or -ENOENT. */
	int (*lookup)(struct task *t, struct inode *dir, const char *name, struct inode **out);
	/* Make a regular file / directory / node / symlink; the inode is returned
	 * with a reference.  mode includes the S_IFMT bits; uid/gid are the
	 * owner the VFS chose (fsuid, fsgid or the setgid directory's group). */
	int (*create)(struct inode *dir, const char *name, uint32_t mode, uint32_t uid,
		      uint32_t gid, struct inode **out);
	int (*mkdir)(struct inode *dir, const char *name, uint32_t mode, uint32_t uid,
		     uint32_t gid, struct inode **out);
	int (*mknod)(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
		     uint32_t uid, uint32_t gid, struct inode **out);
	int (*symlink)(struct inode *dir, const char *name, const char *target, uint32_t uid,
		       uint32_t gid, struct inode **out);
	int (*link)(struct inode *dir, const char *name, struct inode *target);
	int (*unlink)(struct inode *dir, const char *name, struct inode *victim);
	int (*rmdir)(struct inode *dir, const char *name, struct inode *victim);
	/* dst is the inode being replaced (NULL if none); flags: RENAME_*. */
	int (*rename)(struct inode *odir, const char *oname, struct inode *src,
		      struct inode *ndir, const char *nname, struct inode *dst,
		      unsigned int flags);
	/* Symlink target into buf (no NUL); returns its length. */
	ssize_t (*readlink)(struct task *t, struct inode *ino, char *buf, size_t len);
	/* Apply attribute changes (the VFS has checked permissions).  NULL:
	 * the VFS applies them to the in-memory inode (size only when the fs
	 * offers truncate). */
	int (*setattr)(struct inode *ino, const struct vfs_setattr *sa);
	/* Prepare an open file: set f->ops (default ino->fops) and f->priv. */
	int (*open)(struct task *t, struct inode *ino, struct file *f);
	int (*statfs)(struct inode *ino, struct statfs *st);
	/* Last reference dropped: free fs-private state. */
	void (*evict)(struct inode *ino);
	/* A "magic" symlink (/proc/<pid>/fd/N): the walk jumps to this open
	 * file's own path instead of resolving readlink's text, so deleted files,
	 * pipes and host fds reopen as Linux does.  Returns a file reference or
	 * NULL (-> ENOENT). */
	struct file *(*magic_file)(struct task *t, struct inode *ino);
	/* Optional: may t use ino at all, beyond its mode bits (open,
	 * readlink, a walk through it)?  0 or -errno (procfs: the ptrace
	 * check of /proc/PID/environ, fd/N...).  Checked by the walk before
	 * magic_file; open and readlink check it themselves. */
	int (*access)(struct task *t, struct inode *ino);
	/* Optional, for file systems shared with someone else (goferfs with
	 * file-access=shared): is the cached name -> ino still right?  0 yes
	 * (attributes refreshed), nonzero: drop the dentry and look up again. */
	int (*revalidate)(struct task *t, struct inode *dir, const char *name, struct inode *ino);
	/* Optional: refresh ino's attributes before fstat (shared file systems). */
	void (*refresh)(struct inode *ino);
	/* Optional: bring ino->blocks up to date before a stat by path (what
	 * the backing store allocated for writes made since); cheap, no RPC. */
	void (*stat_blocks)(struct inode *ino);
	/* Optional: what the fs adds to statx(2) for the request mask (its
	 * result mask, birth time, attribute bits, direct I/O alignment) into
	 * sx, whose stat and the VFS's part are filled already. */
	void (*statx)(struct inode *ino, uint32_t mask, struct vfs_statx *sx);
	/* Extended attributes (xattr.c has checked the name, the caller's rights
	 * and the mount first).  NULL: the fs keeps none (EOPNOTSUPP; an empty
	 * list).  A name space the fs does not keep is -EOPNOTSUPP.  get: size 0
	 * gives the value's length, a shorter buffer -ERANGE, none -ENODATA.
	 * set: flags XATTR_CREATE (-EEXIST) / XATTR_REPLACE (-ENODATA).  list:
	 * every name, NUL-terminated, into buf (size 0: the length needed). */
	ssize_t (*getxattr)(struct inode *ino, const char *name, void *buf, size_t size);
	int (*setxattr)(struct inode *ino, const char *name, const void *value, size_t size,
			int flags);
	ssize_t (*listxattr)(struct inode *ino, char *buf, size_t size);
	int (*removexattr)(struct inode *ino, const char *name);
};

#define VFS_INODE_NOCACHE 0x1 /* directory: do not cache child dentries */

/* An open that sets up f (f->ops, f->priv) for ino. */
typedef int (*vfs_open_fn)(struct task *t, struct inode *ino, struct file *f);

/* What opening a special inode (FIFO, character or block device, socket)
 * means, whatever file system holds it: inode_new sets it from what the
 * layers above registered for the inode's type (vfs_register_special,
 * vfs_register_chrdev), as Linux's init_special_inode; a file system may
 * set its own, or NULL to open it itself (host fds).  Device nodes are the
 * Sentry's devices, never the host's. */
struct inode_special_ops {
	/* NULL: the open fails with -ENXIO, as Linux's no_open (sockets,
	 * block devices, types nobody registered). */
	vfs_open_fn open;
	/* The inode goes: free ino->special. */
	void (*evict)(struct inode *ino);
};

struct inode {
	_Atomic int refs;
	struct vmutex lock; /* protects the attributes below and fs-private data */
	uint32_t mode;        /* S_IFMT | permission bits */
	uint32_t uid, gid;
	uint64_t ino, nlink, size, blocks, rdev;
	uint32_t blksize;
	struct timespec atime, mtime, ctime;
	uint32_t flags; /* VFS_INODE_* */
	void *fsn_marks; /* change watchers' marks (fsnotify.h): the watcher's, under its lock */
	struct timespec btime; /* birth time (statx), shown only where sb->has_btime */
	const struct inode_ops *ops;
	const struct file_ops *fops; /* what open gives by default */
	struct superblock *sb;
	void *priv;
	/* Special files: see inode_special_ops.  special is theirs (a FIFO's
	 * pipe, made at first open, under lock). */
	const struct inode_special_ops *special_ops;
	void *special;
	struct vfs_locks *locks; /* advisory locks (lock.c), made at first use (under lock) */
	struct simple_xattr *xattrs; /* the simple_xattr_* store (tmpfs), under lock */
	/* Regular files (lease.c), under lock: the leases, and the open
	 * descriptions for writing and for reading only. */
	struct vfs_lease *leases;
	uint32_t open_writers, open_readers;
	struct dnotify_mark *dnotify; /* directories: F_NOTIFY marks (dnotify.c), under lock */
	/* Linux's i_writecount: > 0 counts the open descriptions that may
	 * write the file (and truncates in progress), < 0 the holders that
	 * deny writing (running executables, see inode_deny_write_access). */
	_Atomic int writecount;
};

/* Register how inodes of a special type (S_IFIFO, S_IFSOCK, S_IFBLK) open;
 * ops must live as long as the Sentry.  -EINVAL for other types. */
int vfs_register_special(uint32_t type, const struct inode_special_ops *ops);
/* Register the open of character devices major:[minor, minor + count) (the
 * inode's rdev tells which).  The same range again replaces the driver;
 * an overlapping one is -EBUSY. */
int vfs_register_chrdev(unsigned int major, unsigned int minor, unsigned int count,
			vfs_open_fn open);
/* The special ops for an inode of mode (NULL for regular files,
 * directories and symlinks). */
const struct inode_special_ops *vfs_special_ops(uint32_t mode);

/* A new inode of sb with one reference, ino allocated from sb, times now;
 * its special ops (by type) are set. */
struct inode *inode_new(struct superblock *sb, uint32_t mode);
void inode_get(struct inode *ino);
void inode_put(struct inode *ino);
/* Set atime/mtime/ctime bits to now (under ino->lock). */
#define VFS_TOUCH_A 1
#define VFS_TOUCH_M 2
#define VFS_TOUCH_C 4
void inode_touch(struct inode *ino, int which);
void inode_fill_stat(struct inode *ino, struct stat *st);
/* Write access, as Linux's get_write_access/deny_write_access: a writer
 * (an open for write, a truncate by path) gets -ETXTBSY while someone
 * denies writing, and a denial (execve's executable, the ELF interpreter
 * while it loads) gets -ETXTBSY while the file is open for write.  Each
 * success is undone by the matching put/allow. */
int inode_get_write_access(struct inode *ino);
void inode_put_write_access(struct inode *ino);
int inode_deny_write_access(struct inode *ino);
void inode_allow_write_access(struct inode *ino);

/* ---- superblocks ---- */

struct superblock {
	_Atomic int refs;
	uint64_t dev; /* st_dev: makedev(0, n), as Linux's anonymous devices */
	const char *fstype;
	uint32_t magic; /* statfs f_type */
	_Atomic uint64_t next_ino;
	_Atomic int mounts; /* vfs_mounts of it alive (the last one prunes the dcache) */
	bool readonly; /* the fs itself cannot be written (EROFS before EACCES) */
	bool has_btime; /* statx shows the inodes' btime (STATX_BTIME), as Linux's tmpfs */
	/* Regular files open with O_DIRECT (Linux's FMODE_CAN_ODIRECT): tmpfs,
	 * goferfs.  Elsewhere O_DIRECT is EINVAL at open and F_SETFL. */
	bool direct_io;
	/* Linux 6.13+'s multigrain timestamps (tmpfs): statx reports mtime and
	 * ctime only when asked for them. */
	bool mgtime;
	/* statx's stx_attributes_mask bits the fs supports beyond the VFS's own
	 * (STATX_ATTR_AUTOMOUNT, MOUNT_ROOT, DAX): tmpfs's APPEND, IMMUTABLE, NODUMP. */
	uint64_t statx_attributes;
	/* Its create fails EEXIST on any existing name and a lookup is costly
	 * (goferfs: a Gofer round trip): open(O_CREAT | O_EXCL) of a name not
	 * in the dentry cache creates without looking it up first. */
	bool create_excl_first;
	void *priv;
	void (*release)(struct superblock *sb);
	/* Optional: syncfs(2) of the file system, for what is not in the
	 * Sentry (goferfs: the host file system under it).  ino is a directory
	 * or regular file on it (the one asked about, or a mount's root).
	 * 0 or -errno. */
	int (*sync_fs)(struct superblock *sb, struct inode *ino);
};
struct superblock *sb_new(const char *fstype, uint32_t magic);
void sb_get(struct superblock *sb);
void sb_put(struct superblock *sb);

/* ---- dentries ---- */

struct dentry {
	_Atomic int refs;
	char *name;
	struct dentry *parent; /* NULL for a superblock root; holds a reference */
	struct inode *inode;   /* never NULL (no negative dentries) */
	/* under vfs_tree_lock: */
	struct dentry *children, *sibling;
	struct dentry **sibling_pprev; /* what points at this one in the child list */
	struct dentry *hash_next, *lru_prev, *lru_next; /* the cache's hash chain and LRU */
	bool cached;   /* in the dentry cache (child list, hash, LRU) */
	bool dead;     /* unlinked / removed */
	int mounted;   /* how many mounts sit on this dentry */
};
/* A new dentry (one reference) naming ino under parent; it takes its own
 * references on parent and ino (the caller keeps and drops its own). */
struct dentry *dentry_new(struct dentry *parent, const char *name, struct inode *ino);
void dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);

/* ---- mounts ---- */

#define VFS_MNT_RDONLY 0x1
#define VFS_MNT_NOSUID 0x2
#define VFS_MNT_NODEV 0x4
#define VFS_MNT_NOEXEC 0x8

struct vfs_mount {
	_Atomic int refs;
	struct superblock *sb;
	struct dentry *root;
	int flags; /* VFS_MNT_* */
	uint64_t id; /* statx's stx_mnt_id: unique, never reused */
	/* under vfs_tree_lock: */
	struct vfs_mount *parent;   /* NULL for the root mount or a detached one */
	struct dentry *mountpoint;  /* in parent */
	struct vfs_mount *next_all; /* every attached mount */
	char *source;
};
void mount_get(struct vfs_mount *m);
void mount_put(struct vfs_mount *m);
/* A detached mount of sb's root dentry (one reference). */
struct vfs_mount *mount_new(struct superblock *sb, struct dentry *root, int flags);

struct vfs_path {
	struct vfs_mount *mnt;
	struct dentry *dentry;
};
void path_get(const struct vfs_path *p);
void path_put(struct vfs_path *p); /* and clears it */

/* The dentry cache's size bound (default 8192 dentries). */
void vfs_dcache_set_max(unsigned long max);
unsigned long vfs_dcache_count(void);

/* The namespace lock (sentry/LOCKING.md). */
extern struct vmutex vfs_tree_lock;

/* ---- files ---- */

/* What getdents64 gives a file system's readdir: emit returns nonzero when
 * the caller's buffer is full (stop without advancing); pos is the cookie
 * to start from, advanced to next_pos by each accepted entry. */
struct dir_ctx {
	int (*emit)(struct dir_ctx *ctx, const char *name, size_t namelen, uint64_t ino,
		    unsigned int type, uint64_t next_pos);
	uint64_t pos;
};
/* Emit via ctx, advancing ctx->pos; returns emit's result. */
int dir_emit(struct dir_ctx *ctx, const char *name, uint64_t ino, unsigned int type,
	     uint64_t next_pos);

struct file_ops {
	/* *pos: offset to use and to advance (ignored for stream files). */
	ssize_t (*read)(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos);
	/* Regular files opened O_APPEND write at the end and set *pos past it. */
	ssize_t (*write)(struct task *t, struct file *f, const void *buf, size_t len,
			 uint64_t *pos);
	int (*readdir)(struct task *t, struct file *f, struct dir_ctx *ctx);
	/* NULL: the generic lseek (SEEK_SET/CUR/END on inode size). */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	int64_t (*ioctl)(struct task *t, struct file *f, unsigned int cmd, uint64_t arg);
	/* Ready POLL* mask; if pe, register it (poll_wait / poll_wait_host).
	 * NULL: always POLLIN|POLLOUT|POLLRDNORM|POLLWRNORM, as Linux regular files. */
	uint32_t (*poll)(struct file *f, struct poll_entry *pe);
	int (*fsync)(struct file *f, bool datasync);
	/* Borrowed pointer valid while f lives (mm takes its own refs). NULL: ENODEV. */
	struct mm_file *(*mmap)(struct file *f);
	void (*release)(struct file *f);
	/* Optional fstat override (pipes, host fds). */
	int (*stat)(struct file *f, struct stat *st);
	/* Terminals (ptys, host ttys): the job-control link the terminal
	 * embeds (sentry/kernel/tty.h), for the kernel's session rules. */
	struct tty_session *(*tty)(struct file *f);
	/* Optional: fallocate(2) on a regular file, the generic checks done
	 * (file_fallocate); a mode the fs cannot do is -EOPNOTSUPP.  NULL:
	 * modes 0 and FALLOC_FL_KEEP_SIZE only, by growing the size. */
	int (*fallocate)(struct task *t, struct file *f, int mode, uint64_t off, uint64_t len);
	/* The wait queue poll registers on is not the file's own but the
	 * polling thread group's (signalfd): it may be freed while the file
	 * lives, so no registration may outlive one poll call (epoll's
	 * edge-triggered waiters and O_ASYNC keep none on such a file). */
	bool poll_queue_borrowed;
};

struct file {
	_Atomic int refs;
	struct vmutex lock; /* protects flags (F_SETFL) */
	int flags;            /* O_ACCMODE, O_APPEND, O_NONBLOCK, O_DIRECT, O_PATH... */
	struct vmutex pos_lock; /* serialises reads/writes that use pos, and lseek */
	uint64_t pos;
	bool stream;   /* no position: pread/pwrite/lseek give ESPIPE */
	bool fsn_opened; /* opened by path: its close is reported (fsnotify.h) */
	bool readable, writable;
	const struct file_ops *ops;
	struct vfs_path path; /* empty (NULL mount) for anonymous files: pipes, host fds */
	struct inode *inode;  /* with a reference; may be NULL for anonymous files */
	void *priv;
	char *anon_name;      /* "pipe:[123]", for /proc/<pid>/fd links */
	/* Anonymous files with an inode (pipes, host fds) also get a dentry in
	 * an internal, never attached mount: where a magic link jumps, so
	 * open("/proc/self/fd/0") reopens the pipe.  path stays empty. */
	struct vfs_path anon;
	struct epitem *epitems; /* epoll items watching this file (vfs/epoll.c's lock) */
	bool lease_counted;     /* in its inode's open counts (lease.c) */
	bool writer;            /* holds write access to its inode (Linux's FMODE_WRITER) */
	struct fasync *fasync;  /* O_ASYNC, F_SETOWN, F_SETSIG (fasync.c); set once under lock */
};

/* A file of no path (pipes, host fds): refs 1, ops given. ino may be NULL. */
struct file *file_new_anon(const struct file_ops *ops, struct inode *ino, int flags, void *priv);
void file_get(struct file *f);
void file_put(struct file *f);
/* The description's status flags (F_GETFL view). */
int file_get_flags(struct file *f);
/* F_SETFL: changes O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME only. */
int file_set_flags(struct file *f, int flags);

/* I/O on a description.  The *_kernel functions take Sentry buffers. */
ssize_t file_read(struct task *t, struct file *f, void *buf, size_t len);
ssize_t file_write(struct task *t, struct file *f, const void *buf, size_t len);
ssize_t file_pread(struct task *t, struct file *f, void *buf, size_t len, uint64_t off);
ssize_t file_pwrite(struct task *t, struct file *f, const void *buf, size_t len, uint64_t off);
ssize_t file_pread_kernel(struct file *f, void *buf, size_t len, uint64_t off);
int64_t file_lseek(struct file *f, int64_t off, int whence);
/* The lseek of a file without its own (SEEK_SET/CUR/END on the inode size,
 * the whole file one data extent); for an llseek op to fall back on. */
int64_t generic_llseek(struct file *f, int64_t off, int whence);
int64_t file_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg);
uint32_t file_poll(struct file *f, struct poll_entry *pe);
int file_fsync(struct file *f, bool datasync);
int file_truncate(struct task *t, struct file *f, uint64_t size);
/* fallocate(2) with Linux 6.18's checks in its order (vfs_fallocate): EINVAL
 * for a bad range, EOPNOTSUPP for a bad mode combination, EBADF, ESPIPE,
 * EISDIR, ENODEV, EFBIG; then the file system's fallocate. */
int file_fallocate(struct task *t, struct file *f, int mode, int64_t off, int64_t len);
int vfs_stat_file(struct file *f, struct stat *st);
struct mm_file *file_mm_file(struct file *f);
/* execve: 0 if the file may be executed by t (a regular file, X permission
 * for t's creds, not on a noexec mount), else -EACCES. */
int file_check_exec(struct task *t, struct file *f);
bool file_is_executable(struct task *t, struct file *f);
/* Did the file come from a nosuid mount (execve ignores set-id bits)? */
bool file_on_nosuid_mount(struct file *f);
/* Path of the file as seen from root (or "pipe:[n]"...); malloc'd. */
char *file_describe(struct file *f, const struct vfs_path *root);

/* Advisory locks (lock.c).  fcntl F_GETLK/F_SETLK/F_SETLKW and the F_OFD_*
 * forms on fl (already copied in; F_GETLK results written back into it). */
struct flock;
int vfs_fcntl_lock(struct task *t, struct file *f, int cmd, struct flock *fl);
/* flock(2): LOCK_SH/LOCK_EX/LOCK_UN, | LOCK_NB. */
int vfs_flock(struct task *t, struct file *f, int op);
/* /proc/locks: every advisory lock of the sandbox, one line each, as Linux
 * formats them (malloc'd, *len bytes; NULL when out of memory). */
char *vfs_locks_report(size_t *len);
/* Leases (lease.c): F_SETLEASE (F_RDLCK, F_WRLCK, F_UNLCK) and F_GETLEASE. */
int vfs_lease_set(struct task *t, struct file *f, int type);
int vfs_lease_get(struct file *f);
/* F_NOTIFY (dnotify.c): DN_* events (| DN_MULTISHOT) on directory f; none
 * forgets the mark.  -ENOTDIR for a non-directory. */
int vfs_dnotify_set(struct task *t, struct file *f, unsigned long arg);

/* Signal-driven I/O (fasync.c).  vfs_fasync_update follows O_ASYNC after
 * F_SETFL or FIOASYNC through fd (FIOASYNC: -ENOTTY for a file that cannot
 * signal); F_SETOWN/F_SETOWN_EX (type F_OWNER_TID/PID/PGRP, pid 0 clears;
 * -ESRCH when there is no such target), F_GETOWN/F_GETOWN_EX, F_SETSIG
 * (0..64), F_GETSIG. */
int vfs_fasync_update(struct task *t, struct file *f, int fd, bool fioasync);
int vfs_fasync_set_owner(struct task *t, struct file *f, int type, int pid);
void vfs_fasync_get_owner(struct file *f, int *type, int *pid);
int vfs_fasync_set_sig(struct task *t, struct file *f, unsigned long sig);
int vfs_fasync_get_sig(struct file *f);

/* ---- FD tables ---- */

struct fd_entry {
	struct file *file;
	int flags; /* FD_CLOEXEC */
};
struct fd_table {
	_Atomic int refs;
	struct vmutex lock; /* protects cap and ents */
	int cap;
	struct fd_entry *ents;
	unsigned int max_fds; /* RLIMIT_NOFILE (the kernel updates it); default 1048576 */
};
struct fd_table *fdt_new(void);
struct fd_table *fdt_copy(struct fd_table *fdt); /* fork: same files, own table */
void fdt_get(struct fd_table *fdt);
void fdt_put(struct fd_table *fdt);
/* Lowest free fd >= minfd: returns it (file gets a new reference) or -EMFILE/-EINVAL. */
int fdt_install(struct fd_table *fdt, struct file *f, int fd_flags, int minfd);
/* dup2-like: replaces whatever was at fd (closed). Returns fd or -EBADF. */
int fdt_install_at(struct fd_table *fdt, int fd, struct file *f, int fd_flags);
struct file *fdt_get_file(struct fd_table *fdt, int fd); /* +ref, NULL if bad */
int fdt_get_flags(struct fd_table *fdt, int fd);          /* FD_CLOEXEC or -EBADF */
int fdt_set_flags(struct fd_table *fdt, int fd, int fd_flags);
int fdt_close(struct fd_table *fdt, int fd);
/* close_range(2): flags CLOSE_RANGE_CLOEXEC (mark) supported; UNSHARE is the caller's. */
int fdt_close_range(struct fd_table *fdt, unsigned int first, unsigned int last, int cloexec_only);
void fdt_close_on_exec(struct fd_table *fdt);
/* For /proc/<pid>/fd: calls fn for each open fd in order. */
void fdt_for_each(struct fd_table *fdt, void (*fn)(int fd, struct file *f, void *arg), void *arg);

/* ---- fs context ---- */

struct fs_context {
	_Atomic int refs;
	struct vmutex lock; /* protects root, cwd, umask */
	struct vfs_path root, cwd;
	uint32_t umask;
};
struct fs_context *fs_context_new(struct vfs_path root); /* takes its own refs; cwd = root */
struct fs_context *fs_context_copy(struct fs_context *fs);
void fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);
/* Copies (with references) of the task's root / cwd. */
void fs_context_root(struct fs_context *fs, struct vfs_path *out);
void fs_context_cwd(struct fs_context *fs, struct vfs_path *out);

/* ---- path walking and namespace operations ---- */

/* Walk flags. */
#define VFS_LOOKUP_FOLLOW 0x1    /* follow a final symlink */
#define VFS_LOOKUP_DIRECTORY 0x2 /* the result must be a directory */
#define VFS_LOOKUP_EMPTY 0x4     /* AT_EMPTY_PATH: "" means dirfd itself */

/* Where a walk starts: the task's fs context and fd table (t may be NULL
 * only for vfs_walk_from, used at boot). */
int vfs_walk(struct task *t, int dirfd, const char *path, int flags, struct vfs_path *out);
/* A walk with explicit root and start (kernel-internal; creds NULL = root). */
int vfs_walk_from(const struct vfs_path *root, const struct vfs_path *start, const char *path,
		  int flags, struct vfs_path *out);

/* Permission bits for vfs_permission. */
#define VFS_MAY_EXEC 1
#define VFS_MAY_WRITE 2
#define VFS_MAY_READ 4
/* As Linux generic_permission with CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH.
 * creds NULL means the Sentry itself (always allowed). */
int vfs_permission(const struct creds *c, struct inode *ino, int may);

int vfs_open(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
	     struct file **out);
/* openat2: the same with RESOLVE_* rules for the walk (the caller has checked
 * the flags; RESOLVE_CACHED is never given with O_CREAT, O_TRUNC or
 * O_TMPFILE): EXDEV for a forbidden crossing, ELOOP for a forbidden link,
 * EAGAIN when RESOLVE_CACHED would need the file system. */
int vfs_open_how(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		 unsigned int resolve, struct file **out);
/* Open an already-walked path (flags as open(2), no O_CREAT). */
int vfs_open_path(struct task *t, const struct vfs_path *p, int flags, struct file **out);
int vfs_mknodat(struct task *t, int dirfd, const char *path, uint32_t mode, uint64_t dev);
/* The same, and out (when the node is made) gets its path with references:
 * the unix socket layer keeps the node it bound to. */
int vfs_mknodat_path(struct task *t, int dirfd, const char *path, uint32_t mode, uint64_t dev,
		     struct vfs_path *out);
int vfs_mkdirat(struct task *t, int dirfd, const char *path, uint32_t mode);
int vfs_rmdirat(struct task *t, int dirfd, const char *path);
int vfs_unlinkat(struct task *t, int dirfd, const char *path);
int vfs_symlinkat(struct task *t, const char *target, int dirfd, const char *path);
int vfs_linkat(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
	       const char *newpath, int flags);
int vfs_renameat(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
		 const char *newpath, unsigned int flags);
ssize_t vfs_readlinkat(struct task *t, int dirfd, const char *path, char *buf, size_t len);
/* flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
int vfs_statat(struct task *t, int dirfd, const char *path, int flags, struct stat *st);
/* statx(2)'s view beyond struct stat: what the VFS and the file system fill. */
struct vfs_statx {
	struct stat st;
	bool has_btime;
	bool mgtime; /* the superblock's */
	struct timespec btime;
	uint64_t mnt_id;     /* 0: no mount (never for a file with a path) */
	uint64_t attributes; /* STATX_ATTR_* set */
	uint64_t attributes_mask;
	/* Set by a file system's statx op: the STATX_* bits it answered (the
	 * host's, for goferfs), which replace the VFS's own, and the direct I/O
	 * alignment when STATX_DIOALIGN is among them. */
	bool fs_mask_valid;
	uint32_t fs_mask;
	uint32_t dio_mem_align, dio_offset_align;
};
/* flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH (the sync flags are the caller's);
 * mask: what the caller asked for. */
int vfs_statxat(struct task *t, int dirfd, const char *path, int flags, uint32_t mask,
		struct vfs_statx *sx);
int vfs_statfsat(struct task *t, int dirfd, const char *path, struct statfs *st);
int vfs_statfs_path(const struct vfs_path *p, struct statfs *st);
/* mode: F_OK or R_OK|W_OK|X_OK; flags AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
int vfs_accessat(struct task *t, int dirfd, const char *path, int mode, int flags);
int vfs_chmodat(struct task *t, int dirfd, const char *path, uint32_t mode, int flags);
int vfs_chownat(struct task *t, int dirfd, const char *path, uint32_t uid, uint32_t gid,
		int flags);
/* times NULL: both now; tv_nsec UTIME_NOW/UTIME_OMIT honoured. path NULL: dirfd itself. */
int vfs_utimensat(struct task *t, int dirfd, const char *path, const struct timespec times[2],
		  int flags);
int vfs_truncate(struct task *t, const char *path, int64_t len);
/* Setattr with Linux's permission rules (used by the *at functions and f* calls). */
int vfs_setattr_checked(struct task *t, const struct vfs_path *p, struct vfs_setattr *sa);
int vfs_chdir(struct task *t, const char *path);
int vfs_fchdir(struct task *t, int fd);
int vfs_chroot(struct task *t, const char *path);
/* getcwd: the cwd path from the task's root into buf; returns the length
 * including the NUL, or -ERANGE / -ENOENT (cwd unlinked). */
int vfs_getcwd(struct task *t, char *buf, size_t len);
/* Path of p relative to root ("/" when equal), or -ENAMETOOLONG. */
int vfs_path_name(const struct vfs_path *p, const struct vfs_path *root, char *buf, size_t len);

/* ---- extended attributes (xattr.c) ---- */

#define VFS_XATTR_NAME_MAX 255
#define VFS_XATTR_SIZE_MAX 65536
#define VFS_XATTR_LIST_MAX 65536

/* The *xattr(2) calls on an inode reached by path or fd (p: its path, with a
 * NULL mount for an anonymous file; a change is an F_NOTIFY DN_ATTRIB), with Linux's checks in its order (xattr_permission,
 * the capability hooks): trusted.* needs CAP_SYS_ADMIN (EPERM to write,
 * ENODATA to read), setting or removing security.* too (EPERM), user.* only
 * on regular files and directories (EPERM / ENODATA), sticky directories'
 * user.* only for their owner; then the mount (EROFS) and the file's
 * permission bits; then the file system.  Sizes are the caller's to clamp
 * (at most VFS_XATTR_SIZE_MAX / VFS_XATTR_LIST_MAX). */
ssize_t vfs_getxattr(struct task *t, struct inode *ino, const char *name, void *buf, size_t size);
int vfs_setxattr(struct task *t, const struct vfs_path *p, struct inode *ino, const char *name,
		 const void *value, size_t size, int flags);
/* Lists trusted.* names only to a caller with CAP_SYS_ADMIN, as Linux. */
ssize_t vfs_listxattr(struct task *t, struct inode *ino, char *buf, size_t size);
int vfs_removexattr(struct task *t, const struct vfs_path *p, struct inode *ino,
		    const char *name);

/* An in-memory store for file systems that keep extended attributes
 * themselves (tmpfs: user.*, trusted.*, security.*), in ino->xattrs; names
 * are listed in Linux's tmpfs order (its rbtree: descending strcmp). */
ssize_t simple_xattr_get(struct inode *ino, const char *name, void *buf, size_t size);
int simple_xattr_set(struct inode *ino, const char *name, const void *value, size_t size,
		     int flags);
ssize_t simple_xattr_list(struct inode *ino, char *buf, size_t size);
int simple_xattr_remove(struct inode *ino, const char *name);
void simple_xattrs_free(struct inode *ino);

/* ---- mounting ---- */

/* A file system the VFS can make by name: each file system registers its
 * own at boot ("tmpfs", "proc", "bind-gofer"...); the VFS names none.
 * Registering a name again replaces its factory. */
typedef int (*vfs_fs_factory)(const char *source, const char *data, struct superblock **sb,
			      struct dentry **root);
int vfs_register_fs(const char *fstype, vfs_fs_factory factory);
/* One that only the Sentry's own mounts (vfs_mount, vfs_mount_root) make,
 * never the app's mount(2): -ENODEV there. */
int vfs_register_boot_fs(const char *fstype, vfs_fs_factory factory);
/* The root mount: a new fs of a registered type, attached as the root;
 * *root is the caller's reference (the tree holds its own). */
int vfs_mount_root(const char *fstype, const char *source, unsigned long flags, const char *data,
		   struct vfs_mount **root);
/* Bind what source names (walked from root) at target, as mount --bind:
 * the same file system and node, the source mount's flags plus flags. */
int vfs_bind(const struct vfs_path *root, const char *source, const char *target,
	     unsigned long flags);
/* Mount at target (walked from root, following symlinks) a new fs of a
 * registered type; flags: MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC.
 * -ENODEV for a type nobody registered. */
int vfs_mount(const struct vfs_path *root, const char *target, const char *fstype,
	      const char *source, unsigned long flags, const char *data);
/* Attach an existing superblock at a walked target (takes a reference on sb). */
int vfs_mount_sb(const struct vfs_path *target, struct superblock *sb, struct dentry *root,
		 int mnt_flags, const char *source);
/* mount(2) and umount2(2) for the task (permission: CAP_SYS_ADMIN). */
int vfs_sys_mount(struct task *t, const char *source, const char *target, const char *fstype,
		  unsigned long flags, const char *data);
int vfs_sys_umount(struct task *t, const char *target, int flags);
/* Detach every mount (Sentry shutdown, tests): files still open keep what
 * they use; the rest is freed (gofer fids clunked) as references drop. */
void vfs_umount_all(void);
/* sync(2): each file system of an attached mount that has a sync_fs, once
 * (errors are dropped: sync cannot fail). */
void vfs_sync_all(void);
/* syncfs(2) of the file system f is on: its sync_fs, with f's inode when it
 * is a directory or a regular file, else with its mount's root. */
int vfs_syncfs(struct file *f);
/* Every attached mount, for /proc/mounts (calls fn with the mount path). */
void vfs_for_each_mount(const struct vfs_path *root,
			void (*fn)(struct vfs_mount *m, const char *path, void *arg), void *arg);

/* ---- for file system implementations ---- */

/* creds helpers read straight from struct creds; NULL creds = the Sentry (all-powerful). */
bool vfs_capable(const struct creds *c, int cap);
bool vfs_creds_in_group(const struct creds *c, uint32_t gid);
uint32_t vfs_fsuid(const struct creds *c);
uint32_t vfs_fsgid(const struct creds *c);
const struct creds *vfs_task_creds(struct task *t);

/* As dentry_new, but takes over the caller's reference on ino (no new one). */
struct dentry *dentry_new_take(struct dentry *parent, const char *name, struct inode *ino);

/* Emit "." and ".." for cookie positions 0 and 1 (in-memory file systems
 * list their own entries from cookie 2). Returns nonzero if emit stopped. */
int dir_emit_dots(struct file *f, struct dir_ctx *ctx);

/* Name an anonymous file ("pipe:[12]"), also for files reopened from it. */
void file_set_anon_name(struct file *f, const char *name);

/* ---- synthetic files (procfs, sysfs) ---- */

/* Content made at open time: returns malloc'd bytes (*len set) or NULL with
 * errno-style failure (then open fails with -ENOENT). */
typedef char *(*vfs_synth_gen_fn)(struct task *t, void *arg, size_t *len);
/* A symlink's target, malloc'd NUL-terminated, or NULL (-> ENOENT). */
typedef char *(*vfs_synth_link_fn)(struct task *t, void *arg);
/* Dynamic directory: list entries with emit (name, DT_* type); stop when it
 * returns nonzero.  lookup makes the inode for name (0 and *out) or -ENOENT. */
typedef void (*vfs_synth_list_fn)(struct task *t, void *arg,
				  int (*emit)(void *ectx, const char *name, unsigned int type),
				  void *ectx);
typedef int (*vfs_synth_lookup_fn)(struct task *t, void *arg, const char *name,
				   struct inode **out);

struct superblock *vfs_synth_sb_new(const char *fstype, uint32_t magic);
/* Each returns an inode with one reference; free_arg (may be NULL) frees arg
 * when the inode goes. */
struct inode *vfs_synth_file_new(struct superblock *sb, uint32_t mode, vfs_synth_gen_fn gen,
				 void *arg, void (*free_arg)(void *));
struct inode *vfs_synth_symlink_new(struct superblock *sb, vfs_synth_link_fn fn, void *arg,
				    void (*free_arg)(void *));
/* Let a synthetic file (made by vfs_synth_file_new, not yet shared) be
 * opened for writing: each write(2) of len bytes at offset pos calls fn,
 * which returns the bytes taken or -errno, as the Linux file would. */
typedef ssize_t (*vfs_synth_write_fn)(struct task *t, void *arg, const char *buf, size_t len,
				      uint64_t pos);
void vfs_synth_set_write(struct inode *ino, vfs_synth_write_fn fn);
/* Let a synthetic file, symlink or magic link (not yet shared) be used only
 * when fn (t, arg) says 0: open, readlink and a walk through it fail with
 * its -errno otherwise. */
typedef int (*vfs_synth_access_fn)(struct task *t, void *arg);
void vfs_synth_set_access(struct inode *ino, vfs_synth_access_fn fn);
/* A file read and written in place, with no snapshot (/proc/PID/mem): each
 * read(2) of len bytes at pos calls read_fn, which returns the bytes given
 * (0 at the end) or -errno; write_fn (NULL: not writable) as above. */
typedef ssize_t (*vfs_synth_read_fn)(struct task *t, void *arg, char *buf, size_t len,
				     uint64_t pos);
struct inode *vfs_synth_raw_new(struct superblock *sb, uint32_t mode, vfs_synth_read_fn read_fn,
				vfs_synth_write_fn write_fn, void *arg, void (*free_arg)(void *));
/* A directory with static children (vfs_synth_dir_add) and, if list/lookup
 * are given, dynamic ones (then child dentries are not cached). */
struct inode *vfs_synth_dir_new(struct superblock *sb, uint32_t mode, vfs_synth_list_fn list,
				vfs_synth_lookup_fn lookup, void *arg, void (*free_arg)(void *));
/* The arg of a synthetic directory made with this free_arg (which tells
 * whose directory it is), or NULL for any other inode. */
void *vfs_synth_dir_arg(struct inode *ino, void (*free_arg)(void *));
/* Let a directory's entries be unlinked (the VFS checked the permissions,
 * sticky bit included): fn removes name (0 or -errno). */
typedef int (*vfs_synth_unlink_fn)(struct task *t, void *arg, const char *name);
void vfs_synth_set_unlink(struct inode *dir, vfs_synth_unlink_fn fn);
/* Add a static child (takes over the caller's reference on child). */
int vfs_synth_dir_add(struct inode *dir, const char *name, struct inode *child);
/* A magic symlink (/proc/<pid>/fd/N): fn returns the open file (a new
 * reference) or NULL; readlink shows file_describe() of it from t's root,
 * and a walk through it lands on the file itself (see inode_ops.magic_file). */
typedef struct file *(*vfs_synth_file_fn)(struct task *t, void *arg);
struct inode *vfs_synth_magiclink_new(struct superblock *sb, vfs_synth_file_fn fn, void *arg,
				      void (*free_arg)(void *));
/* The owner of synthetic inodes (procfs shows the task's uid). */
void vfs_synth_set_owner(struct inode *ino, uint32_t uid, uint32_t gid);
/* The same for a directory and, recursively, its static children (only
 * those of mode S_IFDIR | 0555 when open_dirs_only); only before the
 * directory is published (its lookup has not returned it). */
void vfs_synth_set_owner_tree(struct inode *dir, uint32_t uid, uint32_t gid, bool open_dirs_only);

#endif
