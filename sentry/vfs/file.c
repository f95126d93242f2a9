/*
 * file.c — open file descriptions, FD tables and fs contexts.
 *
 * A `struct file` is what open(2) makes and dup/fork share: flags, offset
 * (file->pos under pos_lock), and the file system's file_ops.  This file owns
 * the generic read/write/lseek/ioctl paths (EBADF/EISDIR/ESPIPE rules), the
 * fd table (lowest-free allocation, dup2 replacement, close-on-exec,
 * close_range) and the fs context (root, cwd, umask).  It never walks paths
 * (vfs.c) and knows nothing of particular file systems.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/lockdep.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- files */

static const struct file_ops empty_fops;

struct file *file_alloc(const struct vfs_path *p, int flags)
{
	struct file *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	atomic_init(&f->refs, 1);
	vmutex_init(&f->lock, LOCK_CLASS(FILE_FLAGS));
	vmutex_init(&f->pos_lock, LOCK_CLASS(FILE_POS));
	f->flags = flags;
	int acc = flags & O_ACCMODE;
	if (!(flags & O_PATH)) {
		f->readable = acc == O_RDONLY || acc == O_RDWR;
		f->writable = acc == O_WRONLY || acc == O_RDWR;
	}
	f->ops = &empty_fops;
	if (p && p->mnt) {
		f->path = *p;
		path_get(&f->path);
		f->inode = p->dentry->inode;
		inode_get(f->inode);
	}
	return f;
}

/* The internal mount anonymous files' dentries belong to (never attached). */
static struct vfs_mount *anon_mnt;
static pthread_once_t anon_once = PTHREAD_ONCE_INIT;

static void anon_mnt_init(void)
{
	struct superblock *sb = sb_new("anon_inodefs", 0x09041934 /* ANON_INODE_FS_MAGIC */);
	struct inode *ino = sb ? inode_new(sb, S_IFDIR | 0500) : NULL;
	struct dentry *d = ino ? dentry_new_take(NULL, "/", ino) : NULL;
	if (d)
		anon_mnt = mount_new(sb, d, VFS_MNT_NOEXEC | VFS_MNT_NOSUID);
	else if (ino)
		inode_put(ino);
	if (d)
		dentry_put(d);
	if (sb)
		sb_put(sb);
}

bool vfs_path_is_anon(const struct vfs_path *p)
{
	return p->mnt && p->mnt == anon_mnt;
}

struct file *file_new_anon(const struct file_ops *ops, struct inode *ino, int flags, void *priv)
{
	struct file *f = file_alloc(NULL, flags);
	if (!f)
		return NULL;
	f->ops = ops;
	f->priv = priv;
	f->stream = true;
	if (ino) {
		inode_get(ino);
		f->inode = ino;
		pthread_once(&anon_once, anon_mnt_init);
		char name[48];
		snprintf(name, sizeof(name), "anon:[%llu]", (unsigned long long)ino->ino);
		struct dentry *d = anon_mnt ? dentry_new_take(NULL, name, ino) : NULL;
		if (d) {
			inode_get(ino);
			f->anon.mnt = anon_mnt;
			mount_get(anon_mnt);
			f->anon.dentry = d;
		}
	}
	return f;
}

void file_set_anon_name(struct file *f, const char *name)
{
	char *n = strdup(name);
	if (!n)
		return;
	free(f->anon_name);
	f->anon_name = n;
	/* The anon dentry carries the name to files reopened through it. */
	if (f->anon.dentry) {
		char *dn = strdup(name);
		if (dn) {
			free(f->anon.dentry->name);
			f->anon.dentry->name = dn;
		}
	}
}

void file_get(struct file *f)
{
	atomic_fetch_add(&f->refs, 1);
}

void file_put(struct file *f)
{
	if (!f || atomic_fetch_sub(&f->refs, 1) != 1)
		return;
	vfs_locks_release_file(f);
	if (f->fsn_opened)
		fsnotify_file(f, f->writable ? FS_CLOSE_WRITE : FS_CLOSE_NOWRITE);
	vfs_lease_released(f);
	vfs_dnotify_flush(f);
	if (f->fasync)
		vfs_fasync_released(f);
	/* Nobody else holds f now, so no epoll_ctl can add to epitems. */
	if (f->epitems)
		epoll_file_released(f);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	if (f->writer)
		inode_put_write_access(f->inode);
	if (f->inode)
		inode_put(f->inode);
	path_put(&f->path);
	path_put(&f->anon);
	vmutex_destroy(&f->lock);
	vmutex_destroy(&f->pos_lock);
	free(f->anon_name);
	free(f);
}

int file_get_flags(struct file *f)
{
	vmutex_lock(&f->lock);
	int fl = f->flags;
	vmutex_unlock(&f->lock);
	return fl;
}

int file_set_flags(struct file *f, int flags)
{
	const int settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
	if (f->flags & O_PATH)
		return -EBADF;
	/* O_NOATIME needs ownership (Linux setfl -> EPERM). */
	if ((flags & O_DIRECT) && f->inode && S_ISREG(f->inode->mode) &&
	    !(f->inode->sb && f->inode->sb->direct_io))
		return -EINVAL;
	vmutex_lock(&f->lock);
	f->flags = (f->flags & ~settable) | (flags & settable);
	vmutex_unlock(&f->lock);
	return 0;
}

static bool file_is_dir(struct file *f)
{
	return f->inode && S_ISDIR(f->inode->mode);
}

static ssize_t do_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	if (!f->readable)
		return -EBADF;
	if (!f->ops->read)
		return file_is_dir(f) ? -EISDIR : -EINVAL;
	if (len > 0x7ffff000)
		len = 0x7ffff000; /* MAX_RW_COUNT, as Linux */
	ssize_t r = f->ops->read(t, f, buf, len, pos);
	if (r > 0)
		fsnotify_file(f, FS_ACCESS);
	return r;
}

static ssize_t do_write(struct task *t, struct file *f, const void *buf, size_t len,
			uint64_t *pos)
{
	if (!f->writable)
		return -EBADF;
	if (!f->ops->write)
		return -EINVAL;
	if (len > 0x7ffff000)
		len = 0x7ffff000;
	ssize_t r = f->ops->write(t, f, buf, len, pos);
	if (r > 0)
		fsnotify_file(f, FS_MODIFY);
	return r;
}

ssize_t file_read(struct task *t, struct file *f, void *buf, size_t len)
{
	if (f->stream) {
		uint64_t dummy = 0;
		return do_read(t, f, buf, len, &dummy);
	}
	vmutex_lock(&f->pos_lock);
	ssize_t r = do_read(t, f, buf, len, &f->pos);
	vmutex_unlock(&f->pos_lock);
	if (r > 0)
		vfs_dnotify_parent(&f->path, DN_ACCESS);
	return r;
}

ssize_t file_write(struct task *t, struct file *f, const void *buf, size_t len)
{
	if (f->stream) {
		uint64_t dummy = 0;
		return do_write(t, f, buf, len, &dummy);
	}
	vmutex_lock(&f->pos_lock);
	ssize_t r = do_write(t, f, buf, len, &f->pos);
	vmutex_unlock(&f->pos_lock);
	if (r > 0)
		vfs_dnotify_parent(&f->path, DN_MODIFY);
	return r;
}

ssize_t file_pread(struct task *t, struct file *f, void *buf, size_t len, uint64_t off)
{
	if (!f->readable)
		return -EBADF;
	if (f->stream)
		return -ESPIPE;
	if ((int64_t)off < 0)
		return -EINVAL;
	ssize_t r = do_read(t, f, buf, len, &off);
	if (r > 0)
		vfs_dnotify_parent(&f->path, DN_ACCESS);
	return r;
}

ssize_t file_pwrite(struct task *t, struct file *f, const void *buf, size_t len, uint64_t off)
{
	if (!f->writable)
		return -EBADF;
	if (f->stream)
		return -ESPIPE;
	if ((int64_t)off < 0)
		return -EINVAL;
	ssize_t r = do_write(t, f, buf, len, &off);
	if (r > 0)
		vfs_dnotify_parent(&f->path, DN_MODIFY);
	return r;
}

ssize_t file_pread_kernel(struct file *f, void *buf, size_t len, uint64_t off)
{
	/* The loader reads files it opened for exec; readability is not the question. */
	if (!f->ops->read)
		return file_is_dir(f) ? -EISDIR : -EINVAL;
	if (f->stream)
		return -ESPIPE;
	size_t done = 0;
	while (done < len) {
		uint64_t pos = off + done;
		ssize_t n = f->ops->read(NULL, f, (char *)buf + done, len - done, &pos);
		if (n < 0)
			return done ? (ssize_t)done : n;
		if (n == 0)
			break;
		done += n;
	}
	return done;
}

int64_t generic_llseek(struct file *f, int64_t off, int whence)
{
	int64_t base;
	int64_t size = 0;
	if (f->inode) {
		vmutex_lock(&f->inode->lock);
		size = f->inode->size;
		vmutex_unlock(&f->inode->lock);
	}
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
		if (off < 0 || off >= size)
			return -ENXIO;
		f->pos = off;
		return off;
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return -ENXIO;
		f->pos = size;
		return size;
	default:
		return -EINVAL;
	}
	int64_t n;
	if (__builtin_add_overflow(base, off, &n) || n < 0)
		return -EINVAL;
	f->pos = n;
	return n;
}

int64_t file_lseek(struct file *f, int64_t off, int whence)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->stream)
		return -ESPIPE;
	vmutex_lock(&f->pos_lock);
	int64_t r = f->ops->llseek ? f->ops->llseek(f, off, whence) : generic_llseek(f, off, whence);
	vmutex_unlock(&f->pos_lock);
	return r;
}

int64_t file_ioctl(struct task *t, struct file *f, unsigned int cmd, uint64_t arg)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->ops->ioctl)
		return f->ops->ioctl(t, f, cmd, arg);
	return -ENOTTY;
}

uint32_t file_poll(struct file *f, struct poll_entry *pe)
{
	if (f->flags & O_PATH)
		return POLLNVAL;
	if (f->ops->poll)
		return f->ops->poll(f, pe);
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

int file_fsync(struct file *f, bool datasync)
{
	if (f->flags & O_PATH)
		return -EBADF;
	if (f->ops->fsync)
		return f->ops->fsync(f, datasync);
	/* In-memory files and special files: nothing to flush (Linux returns
	 * EINVAL for fsync on pipes and sockets; the fs decides by its ops). */
	if (f->stream)
		return -EINVAL;
	return 0;
}

int file_truncate(struct task *t, struct file *f, uint64_t size)
{
	if (!f->inode || !S_ISREG(f->inode->mode) || !f->writable)
		return -EINVAL;
	if ((int64_t)size < 0)
		return -EINVAL;
	struct vfs_setattr sa = {.valid = VFS_ATTR_SIZE, .size = size};
	int r = vfs_setattr_raw(f->inode, &sa);
	if (r == 0) {
		fsnotify_file(f, FS_MODIFY);
		vfs_dnotify_parent(&f->path, DN_MODIFY);
	}
	return r;
}

/* The largest file any file system here keeps (tmpfs's and goferfs's
 * bound for writes). */
#define VFS_MAX_BYTES (1LL << 53)

int file_fallocate(struct task *t, struct file *f, int mode, int64_t off, int64_t len)
{
	if (off < 0 || len <= 0)
		return -EINVAL;
	/* One operation, with KEEP_SIZE where it means something (Linux 6.12+). */
	switch (mode & ~FALLOC_FL_KEEP_SIZE) {
	case 0:
	case FALLOC_FL_UNSHARE_RANGE:
	case FALLOC_FL_ZERO_RANGE:
		break;
	case FALLOC_FL_PUNCH_HOLE:
		if (!(mode & FALLOC_FL_KEEP_SIZE))
			return -EOPNOTSUPP;
		break;
	case FALLOC_FL_COLLAPSE_RANGE:
	case FALLOC_FL_INSERT_RANGE:
		if (mode & FALLOC_FL_KEEP_SIZE)
			return -EOPNOTSUPP;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (!f->writable)
		return -EBADF;
	uint32_t type = f->inode ? f->inode->mode & S_IFMT : 0;
	if (type == S_IFIFO || (!f->inode && f->stream))
		return -ESPIPE;
	if (type == S_IFDIR)
		return -EISDIR;
	if (type != S_IFREG)
		return -ENODEV;
	if (off > VFS_MAX_BYTES - len)
		return -EFBIG;
	if (f->ops->fallocate)
		return f->ops->fallocate(t, f, mode, (uint64_t)off, (uint64_t)len);
	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	if (mode & FALLOC_FL_KEEP_SIZE)
		return 0;
	vmutex_lock(&f->inode->lock);
	uint64_t size = f->inode->size;
	vmutex_unlock(&f->inode->lock);
	return (uint64_t)(off + len) > size ? file_truncate(t, f, (uint64_t)(off + len)) : 0;
}

int vfs_stat_file(struct file *f, struct stat *st)
{
	if (f->ops->stat)
		return f->ops->stat(f, st);
	if (!f->inode)
		return -EBADF;
	if (f->inode->ops && f->inode->ops->refresh)
		f->inode->ops->refresh(f->inode);
	inode_fill_stat(f->inode, st);
	return 0;
}

struct mm_file *file_mm_file(struct file *f)
{
	if ((f->flags & O_PATH) || !f->ops->mmap)
		return NULL;
	return f->ops->mmap(f);
}

int file_check_exec(struct task *t, struct file *f)
{
	if (!f->inode || !f->path.mnt || !S_ISREG(f->inode->mode))
		return -EACCES;
	if (f->path.mnt->flags & VFS_MNT_NOEXEC)
		return -EACCES;
	return vfs_permission(vfs_task_creds(t), f->inode, VFS_MAY_EXEC);
}

bool file_is_executable(struct task *t, struct file *f)
{
	return file_check_exec(t, f) == 0;
}

bool file_on_nosuid_mount(struct file *f)
{
	return f->path.mnt && (f->path.mnt->flags & VFS_MNT_NOSUID);
}

char *file_describe(struct file *f, const struct vfs_path *root)
{
	if (f->anon_name)
		return strdup(f->anon_name);
	if (!f->path.mnt)
		return strdup("anon_inode:[unknown]");
	char *buf = malloc(VFS_PATH_MAX + 16);
	if (!buf)
		return NULL;
	if (vfs_path_name(&f->path, root, buf, VFS_PATH_MAX) < 0) {
		free(buf);
		return NULL;
	}
	if (f->path.dentry->dead)
		strcat(buf, " (deleted)");
	return buf;
}

/* ---------------------------------------------------------------- open */

int vfs_open_new(struct task *t, const struct vfs_path *p, int flags, struct file **out,
		 bool created)
{
	struct inode *ino = p->dentry->inode;
	const struct creds *c = vfs_task_creds(t);
	int acc = flags & O_ACCMODE;
	flags |= VFS_O_LARGEFILE; /* always on 64-bit Linux, and F_GETFL shows it */
	if (flags & O_PATH) {
		/* O_PATH keeps only the path: no permission check beyond the walk. */
		struct file *f = file_alloc(p, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW |
							VFS_O_LARGEFILE));
		if (!f)
			return -ENOMEM;
		f->ops = &empty_fops; /* only fstat, fchdir and the *at calls work */
		if (vfs_path_is_anon(p)) {
			f->anon = f->path;
			f->path = (struct vfs_path){0};
			f->anon_name = strdup(p->dentry->name);
		}
		*out = f;
		return 0;
	}
	int may = 0;
	if (flags & VFS_O_EXEC) {
		/* execve: X permission on a regular file of an exec mount (as
		 * Linux do_open_execat + may_open with MAY_EXEC). */
		if (!S_ISREG(ino->mode) || (p->mnt->flags & VFS_MNT_NOEXEC))
			return -EACCES;
		may = VFS_MAY_EXEC;
		acc = O_RDONLY;
		flags &= ~(O_ACCMODE | O_TRUNC | O_CREAT);
	} else if (acc == O_RDONLY || acc == O_RDWR)
		may |= VFS_MAY_READ;
	if (acc == O_WRONLY || acc == O_RDWR)
		may |= VFS_MAY_WRITE;
	if (flags & O_TRUNC)
		may |= VFS_MAY_WRITE;
	uint32_t type = ino->mode & S_IFMT;
	if (type == S_IFLNK)
		return -ELOOP;
	if (type == S_IFDIR && (may & VFS_MAY_WRITE))
		return -EISDIR;
	if ((flags & O_DIRECTORY) && type != S_IFDIR)
		return -ENOTDIR;
	if ((type == S_IFCHR || type == S_IFBLK) && (p->mnt->flags & VFS_MNT_NODEV))
		return -EACCES;
	if (!created) {
		int r = vfs_permission(c, ino, may);
		if (r < 0)
			return r;
	}
	if ((may & VFS_MAY_WRITE) && (type == S_IFREG || type == S_IFDIR) &&
	    vfs_mnt_readonly(p->mnt))
		return -EROFS;
	if ((flags & O_NOATIME) && c && c->fsuid != ino->uid && !vfs_capable(c, CAP_FOWNER))
		return -EPERM;
	/* As Linux's do_dentry_open: a description that may write a regular
	 * file holds write access to it for its whole life, so a running
	 * executable cannot be opened for write (ETXTBSY), after the
	 * permission checks and before the lease break.  An O_RDONLY|O_TRUNC
	 * open takes it only for the truncation (handle_truncate). */
	bool writer = type == S_IFREG && (acc == O_WRONLY || acc == O_RDWR);
	bool trunc_access = !writer && type == S_IFREG && (flags & O_TRUNC) && !created;
	if (writer || trunc_access) {
		int r = inode_get_write_access(ino);
		if (r < 0)
			return r;
	}
	int r = 0;
	/* Leases are broken before the truncation (do_dentry_open's break_lease). */
	if (type == S_IFREG && ino->leases)
		r = vfs_lease_break(t, ino, flags);
	/* O_DIRECT only where the file system does direct I/O (do_dentry_open:
	 * no FMODE_CAN_ODIRECT, EINVAL): regular files of tmpfs and goferfs. */
	if (r == 0 && (flags & O_DIRECT) && !(type == S_IFREG && ino->sb && ino->sb->direct_io))
		r = -EINVAL;
	if (r == 0 && (flags & O_TRUNC) && type == S_IFREG && !created) {
		struct vfs_setattr sa = {.valid = VFS_ATTR_SIZE, .size = 0};
		r = vfs_setattr_raw(ino, &sa);
		if (r == 0)
			vfs_dnotify_parent(p, DN_MODIFY);
	}
	if (trunc_access)
		inode_put_write_access(ino);
	struct file *f = NULL;
	if (r == 0) {
		/* O_NOCTTY stays for the open op (a terminal's) and goes after
		 * it, as do_dentry_open. */
		f = file_alloc(p, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | VFS_O_EXEC));
		if (!f)
			r = -ENOMEM;
	}
	if (r < 0) {
		if (writer)
			inode_put_write_access(ino);
		return r;
	}
	if (writer && f->inode != ino)
		inode_put_write_access(ino); /* no inode kept: nothing to deny */
	f->writer = writer && f->inode == ino; /* from here file_put gives it back */
	f->ops = ino->fops ? ino->fops : &empty_fops;
	if (vfs_path_is_anon(p)) {
		/* Reopened through /proc/<pid>/fd/N: still an anonymous file. */
		f->anon = f->path;
		f->path = (struct vfs_path){0};
		f->anon_name = strdup(p->dentry->name);
		f->stream = true;
	}
	if (ino->special_ops)
		r = ino->special_ops->open ? ino->special_ops->open(t, ino, f) : -ENXIO;
	else if (ino->ops && ino->ops->open)
		r = ino->ops->open(t, ino, f);
	f->flags &= ~O_NOCTTY;
	if (r < 0) {
		/* The fs never set priv up; keep release from running on it. */
		f->ops = &empty_fops;
		file_put(f);
		return r;
	}
	if ((flags & O_TRUNC) && type == S_IFREG && !created)
		fsnotify_file(f, FS_MODIFY);
	fsnotify_file(f, FS_OPEN);
	f->fsn_opened = true;
	vfs_lease_opened(f);
	*out = f;
	return 0;
}

/* ---------------------------------------------------------------- directories */

int dir_emit(struct dir_ctx *ctx, const char *name, uint64_t ino, unsigned int type,
	     uint64_t next_pos)
{
	int r = ctx->emit(ctx, name, strlen(name), ino, type, next_pos);
	if (r == 0)
		ctx->pos = next_pos;
	return r;
}

int dir_emit_dots(struct file *f, struct dir_ctx *ctx)
{
	if (ctx->pos == 0) {
		if (dir_emit(ctx, ".", f->inode->ino, DT_DIR, 1))
			return 1;
	}
	if (ctx->pos == 1) {
		uint64_t pino = f->inode->ino;
		vmutex_lock(&vfs_tree_lock);
		struct dentry *d = f->path.dentry;
		if (d && d->parent)
			pino = d->parent->inode->ino;
		vmutex_unlock(&vfs_tree_lock);
		if (dir_emit(ctx, "..", pino, DT_DIR, 2))
			return 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- fd tables */

/* Closing an fd: POSIX locks of the closing process on that inode go first
 * (the process is the current task's), then the table's reference. */
static void fd_release(struct file *f)
{
	vfs_locks_close_posix(current, f);
	vfs_dnotify_flush(f); /* any close of an fd ends its mark (dnotify_flush) */
	file_put(f);
}

#define FDT_DEFAULT_MAX 1048576

struct fd_table *fdt_new(void)
{
	struct fd_table *fdt = calloc(1, sizeof(*fdt));
	if (!fdt)
		return NULL;
	atomic_init(&fdt->refs, 1);
	vmutex_init(&fdt->lock, LOCK_CLASS(FD_TABLE));
	fdt->max_fds = FDT_DEFAULT_MAX;
	return fdt;
}

void fdt_get(struct fd_table *fdt)
{
	atomic_fetch_add(&fdt->refs, 1);
}

void fdt_put(struct fd_table *fdt)
{
	if (!fdt || atomic_fetch_sub(&fdt->refs, 1) != 1)
		return;
	for (int i = 0; i < fdt->cap; i++)
		if (fdt->ents[i].file)
			fd_release(fdt->ents[i].file);
	free(fdt->ents);
	vmutex_destroy(&fdt->lock);
	free(fdt);
}

struct fd_table *fdt_copy(struct fd_table *old)
{
	struct fd_table *fdt = fdt_new();
	if (!fdt)
		return NULL;
	vmutex_lock(&old->lock);
	fdt->max_fds = old->max_fds;
	if (old->cap) {
		fdt->ents = calloc(old->cap, sizeof(*fdt->ents));
		if (!fdt->ents) {
			vmutex_unlock(&old->lock);
			fdt_put(fdt);
			return NULL;
		}
		fdt->cap = old->cap;
		for (int i = 0; i < old->cap; i++) {
			fdt->ents[i] = old->ents[i];
			if (fdt->ents[i].file)
				file_get(fdt->ents[i].file);
		}
	}
	vmutex_unlock(&old->lock);
	return fdt;
}

/* Make room for fd (under the lock). */
static int fdt_grow(struct fd_table *fdt, int fd)
{
	if (fd < fdt->cap)
		return 0;
	int ncap = fdt->cap ? fdt->cap : 64;
	while (ncap <= fd)
		ncap *= 2;
	struct fd_entry *n = realloc(fdt->ents, ncap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	memset(n + fdt->cap, 0, (ncap - fdt->cap) * sizeof(*n));
	fdt->ents = n;
	fdt->cap = ncap;
	return 0;
}

int fdt_install(struct fd_table *fdt, struct file *f, int fd_flags, int minfd)
{
	if (minfd < 0)
		return -EINVAL;
	vmutex_lock(&fdt->lock);
	int fd = minfd;
	while (fd < fdt->cap && fdt->ents[fd].file)
		fd++;
	int r;
	if ((unsigned int)fd >= fdt->max_fds) {
		r = (unsigned int)minfd >= fdt->max_fds ? -EINVAL : -EMFILE;
	} else if ((r = fdt_grow(fdt, fd)) == 0) {
		file_get(f);
		fdt->ents[fd].file = f;
		fdt->ents[fd].flags = fd_flags & FD_CLOEXEC;
		r = fd;
	}
	vmutex_unlock(&fdt->lock);
	return r;
}

int fdt_install_at(struct fd_table *fdt, int fd, struct file *f, int fd_flags)
{
	if (fd < 0)
		return -EBADF;
	vmutex_lock(&fdt->lock);
	struct file *old = NULL;
	int r;
	if ((unsigned int)fd >= fdt->max_fds) {
		r = -EBADF;
	} else if ((r = fdt_grow(fdt, fd)) == 0) {
		old = fdt->ents[fd].file;
		file_get(f);
		fdt->ents[fd].file = f;
		fdt->ents[fd].flags = fd_flags & FD_CLOEXEC;
		r = fd;
	}
	vmutex_unlock(&fdt->lock);
	/* Close the replaced file outside the lock: its release may block. */
	if (old)
		fd_release(old);
	return r;
}

struct file *fdt_get_file(struct fd_table *fdt, int fd)
{
	if (!fdt || fd < 0)
		return NULL;
	struct file *f = NULL;
	vmutex_lock(&fdt->lock);
	if (fd < fdt->cap && fdt->ents[fd].file) {
		f = fdt->ents[fd].file;
		file_get(f);
	}
	vmutex_unlock(&fdt->lock);
	return f;
}

int fdt_get_flags(struct fd_table *fdt, int fd)
{
	if (fd < 0)
		return -EBADF;
	int r = -EBADF;
	vmutex_lock(&fdt->lock);
	if (fd < fdt->cap && fdt->ents[fd].file)
		r = fdt->ents[fd].flags;
	vmutex_unlock(&fdt->lock);
	return r;
}

int fdt_set_flags(struct fd_table *fdt, int fd, int fd_flags)
{
	if (fd < 0)
		return -EBADF;
	int r = -EBADF;
	vmutex_lock(&fdt->lock);
	if (fd < fdt->cap && fdt->ents[fd].file) {
		fdt->ents[fd].flags = fd_flags & FD_CLOEXEC;
		r = 0;
	}
	vmutex_unlock(&fdt->lock);
	return r;
}

int fdt_close(struct fd_table *fdt, int fd)
{
	if (fd < 0)
		return -EBADF;
	struct file *f = NULL;
	vmutex_lock(&fdt->lock);
	if (fd < fdt->cap && fdt->ents[fd].file) {
		f = fdt->ents[fd].file;
		fdt->ents[fd].file = NULL;
		fdt->ents[fd].flags = 0;
	}
	vmutex_unlock(&fdt->lock);
	if (!f)
		return -EBADF;
	fd_release(f);
	return 0;
}

int fdt_close_range(struct fd_table *fdt, unsigned int first, unsigned int last, int cloexec_only)
{
	if (first > last)
		return -EINVAL;
	for (;;) {
		struct file *f = NULL;
		vmutex_lock(&fdt->lock);
		unsigned int end = last < (unsigned int)fdt->cap ? last + 1 : (unsigned int)fdt->cap;
		for (unsigned int fd = first; fd < end; fd++) {
			if (!fdt->ents[fd].file)
				continue;
			if (cloexec_only) {
				fdt->ents[fd].flags |= FD_CLOEXEC;
				continue;
			}
			f = fdt->ents[fd].file;
			fdt->ents[fd].file = NULL;
			fdt->ents[fd].flags = 0;
			first = fd + 1;
			break;
		}
		vmutex_unlock(&fdt->lock);
		if (!f)
			return 0;
		fd_release(f);
	}
}

void fdt_close_on_exec(struct fd_table *fdt)
{
	for (;;) {
		struct file *f = NULL;
		vmutex_lock(&fdt->lock);
		for (int fd = 0; fd < fdt->cap; fd++) {
			if (fdt->ents[fd].file && (fdt->ents[fd].flags & FD_CLOEXEC)) {
				f = fdt->ents[fd].file;
				fdt->ents[fd].file = NULL;
				fdt->ents[fd].flags = 0;
				break;
			}
		}
		vmutex_unlock(&fdt->lock);
		if (!f)
			return;
		fd_release(f);
	}
}

void fdt_for_each(struct fd_table *fdt, void (*fn)(int fd, struct file *f, void *arg), void *arg)
{
	/* Snapshot, so fn can do anything (even close fds) without the lock. */
	vmutex_lock(&fdt->lock);
	int n = 0;
	for (int i = 0; i < fdt->cap; i++)
		if (fdt->ents[i].file)
			n++;
	int *fds = malloc((n ? n : 1) * sizeof(int));
	struct file **files = malloc((n ? n : 1) * sizeof(*files));
	if (!fds || !files) {
		vmutex_unlock(&fdt->lock);
		free(fds);
		free(files);
		return;
	}
	n = 0;
	for (int i = 0; i < fdt->cap; i++) {
		if (fdt->ents[i].file) {
			fds[n] = i;
			files[n] = fdt->ents[i].file;
			file_get(files[n]);
			n++;
		}
	}
	vmutex_unlock(&fdt->lock);
	for (int i = 0; i < n; i++) {
		fn(fds[i], files[i], arg);
		file_put(files[i]);
	}
	free(fds);
	free(files);
}

/* ---------------------------------------------------------------- fs context */

struct fs_context *fs_context_new(struct vfs_path root)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	atomic_init(&fs->refs, 1);
	vmutex_init(&fs->lock, LOCK_CLASS(FS_CONTEXT));
	fs->root = root;
	path_get(&fs->root);
	fs->cwd = root;
	path_get(&fs->cwd);
	fs->umask = 022;
	return fs;
}

struct fs_context *fs_context_copy(struct fs_context *old)
{
	struct fs_context *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return NULL;
	atomic_init(&fs->refs, 1);
	vmutex_init(&fs->lock, LOCK_CLASS(FS_CONTEXT));
	vmutex_lock(&old->lock);
	fs->root = old->root;
	path_get(&fs->root);
	fs->cwd = old->cwd;
	path_get(&fs->cwd);
	fs->umask = old->umask;
	vmutex_unlock(&old->lock);
	return fs;
}

void fs_context_get(struct fs_context *fs)
{
	atomic_fetch_add(&fs->refs, 1);
}

void fs_context_put(struct fs_context *fs)
{
	if (!fs || atomic_fetch_sub(&fs->refs, 1) != 1)
		return;
	path_put(&fs->root);
	path_put(&fs->cwd);
	vmutex_destroy(&fs->lock);
	free(fs);
}

void fs_context_root(struct fs_context *fs, struct vfs_path *out)
{
	vmutex_lock(&fs->lock);
	*out = fs->root;
	path_get(out);
	vmutex_unlock(&fs->lock);
}

void fs_context_cwd(struct fs_context *fs, struct vfs_path *out)
{
	vmutex_lock(&fs->lock);
	*out = fs->cwd;
	path_get(out);
	vmutex_unlock(&fs->lock);
}
