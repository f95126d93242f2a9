/*
 * attr.c — reading and changing attributes by path: readlink, stat,
 * statfs, access, chmod, chown, utimensat, truncate, with Linux's
 * permission rules for setattr.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- readlink, stat */

ssize_t vfs_readlinkat(struct task *t, int dirfd, const char *path, char *buf, size_t len)
{
	struct vfs_path p;
	int r = vfs_walk(t, dirfd, path, VFS_LOOKUP_EMPTY, &p);
	if (r < 0)
		return r;
	struct inode *ino = p.dentry->inode;
	ssize_t n;
	if (!S_ISLNK(ino->mode) || !ino->ops || !ino->ops->readlink)
		n = -EINVAL;
	else
		n = ino->ops->readlink(t, ino, buf, len);
	if (n >= 0)
		inode_touch(ino, VFS_TOUCH_A);
	path_put(&p);
	return n;
}

static void inode_stat_blocks(struct inode *ino)
{
	if (ino && ino->ops && ino->ops->stat_blocks)
		ino->ops->stat_blocks(ino);
}

int vfs_statat(struct task *t, int dirfd, const char *path, int flags, struct stat *st)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	if (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		struct file *f = fdt_get_file(t->fdt, dirfd);
		if (!f)
			return -EBADF;
		int r = vfs_stat_file(f, st);
		file_put(f);
		return r;
	}
	struct vfs_path p;
	int r = vfs_walk(t, dirfd, path,
			 ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_LOOKUP_FOLLOW) |
				 ((flags & AT_EMPTY_PATH) ? VFS_LOOKUP_EMPTY : 0),
			 &p);
	if (r < 0)
		return r;
	inode_stat_blocks(p.dentry->inode);
	inode_fill_stat(p.dentry->inode, st);
	path_put(&p);
	return 0;
}

/* The generic stx_attributes_mask bits (Linux's vfs_getattr_nosec). */
#define STATX_ATTRS_GENERIC (STATX_ATTR_AUTOMOUNT | STATX_ATTR_MOUNT_ROOT | STATX_ATTR_DAX)

static void statx_fill(const struct vfs_path *p, struct inode *ino, uint32_t mask,
		       struct vfs_statx *sx)
{
	sx->attributes_mask = STATX_ATTRS_GENERIC;
	if (ino && ino->sb) {
		sx->attributes_mask |= ino->sb->statx_attributes;
		sx->mgtime = ino->sb->mgtime;
		if (ino->sb->has_btime) {
			sx->has_btime = true;
			vmutex_lock(&ino->lock);
			sx->btime = ino->btime;
			vmutex_unlock(&ino->lock);
		}
	}
	if (p && p->mnt) {
		sx->mnt_id = p->mnt->id;
		if (p->dentry == p->mnt->root)
			sx->attributes |= STATX_ATTR_MOUNT_ROOT;
	}
	if (ino && ino->ops && ino->ops->statx)
		ino->ops->statx(ino, mask, sx);
}

int vfs_statxat(struct task *t, int dirfd, const char *path, int flags, uint32_t mask,
		struct vfs_statx *sx)
{
	memset(sx, 0, sizeof(*sx));
	if (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		struct file *f = fdt_get_file(t->fdt, dirfd);
		if (!f)
			return -EBADF;
		int r = vfs_stat_file(f, &sx->st);
		if (r == 0)
			statx_fill(f->path.mnt ? &f->path : &f->anon, f->inode, mask, sx);
		file_put(f);
		return r;
	}
	struct vfs_path p;
	int r = vfs_walk(t, dirfd, path,
			 ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_LOOKUP_FOLLOW) |
				 ((flags & AT_EMPTY_PATH) ? VFS_LOOKUP_EMPTY : 0),
			 &p);
	if (r < 0)
		return r;
	inode_stat_blocks(p.dentry->inode);
	inode_fill_stat(p.dentry->inode, &sx->st);
	statx_fill(&p, p.dentry->inode, mask, sx);
	path_put(&p);
	return 0;
}

int vfs_statfs_path(const struct vfs_path *p, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	struct inode *ino = p->dentry->inode;
	int r = 0;
	if (ino->ops && ino->ops->statfs) {
		r = ino->ops->statfs(ino, st);
	} else {
		st->f_bsize = 4096;
		st->f_namelen = VFS_NAME_MAX;
		st->f_frsize = 4096;
	}
	if (r == 0) {
		st->f_type = p->mnt->sb->magic;
		st->f_fsid.__val[0] = (int)major(p->mnt->sb->dev);
		st->f_fsid.__val[1] = (int)minor(p->mnt->sb->dev);
		long fl = 0x20; /* ST_VALID */
		if (vfs_mnt_readonly(p->mnt))
			fl |= ST_RDONLY;
		if (p->mnt->flags & VFS_MNT_NOSUID)
			fl |= ST_NOSUID;
		if (p->mnt->flags & VFS_MNT_NODEV)
			fl |= ST_NODEV;
		if (p->mnt->flags & VFS_MNT_NOEXEC)
			fl |= ST_NOEXEC;
		st->f_flags = fl;
	}
	return r;
}

int vfs_statfsat(struct task *t, int dirfd, const char *path, struct statfs *st)
{
	struct vfs_path p;
	int r = vfs_walk(t, dirfd, path, VFS_LOOKUP_FOLLOW, &p);
	if (r < 0)
		return r;
	r = vfs_statfs_path(&p, st);
	path_put(&p);
	return r;
}

int vfs_accessat(struct task *t, int dirfd, const char *path, int mode, int flags)
{
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* access(2) checks with the real ids unless AT_EACCESS; capabilities
	 * are those of root when ruid is 0 (Linux's access_override_creds). */
	const struct creds *c = vfs_task_creds(t);
	struct creds tmp;
	if (c && !(flags & AT_EACCESS)) {
		tmp = *c;
		tmp.fsuid = c->ruid;
		tmp.fsgid = c->rgid;
		if (c->ruid != 0)
			tmp.cap_effective = 0;
		else
			tmp.cap_effective = c->cap_permitted;
		c = &tmp;
	}
	struct walk w;
	int r = walk_init(&w, t, dirfd, path);
	if (r < 0)
		return r;
	w.creds = c;
	struct vfs_path p = {0};
	if (!path[0] && (flags & AT_EMPTY_PATH)) {
		p = w.cur;
		path_get(&p);
	} else {
		vmutex_lock(&vfs_tree_lock);
		r = walk_locked(&w, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_LOOKUP_FOLLOW,
				&p);
		vmutex_unlock(&vfs_tree_lock);
	}
	walk_done(&w);
	if (r < 0)
		return r;
	if (mode) {
		int may = ((mode & R_OK) ? VFS_MAY_READ : 0) | ((mode & W_OK) ? VFS_MAY_WRITE : 0) |
			  ((mode & X_OK) ? VFS_MAY_EXEC : 0);
		struct inode *ino = p.dentry->inode;
		if ((mode & W_OK) && vfs_mnt_readonly(p.mnt) &&
		    (S_ISREG(ino->mode) || S_ISDIR(ino->mode) || S_ISLNK(ino->mode)))
			r = -EROFS;
		else
			r = vfs_permission(c, ino, may);
		if (r == 0 && (mode & X_OK) && (p.mnt->flags & VFS_MNT_NOEXEC) &&
		    S_ISREG(ino->mode))
			r = -EACCES;
	}
	path_put(&p);
	return r;
}

/* ---------------------------------------------------------------- setattr */

static bool is_owner(const struct creds *c, struct inode *ino)
{
	return !c || c->fsuid == ino->uid || vfs_capable(c, CAP_FOWNER);
}

int vfs_setattr_checked(struct task *t, const struct vfs_path *p, struct vfs_setattr *sa)
{
	const struct creds *c = vfs_task_creds(t);
	struct inode *ino = p->dentry->inode;
	if (vfs_mnt_readonly(p->mnt))
		return -EROFS;
	if (sa->valid & VFS_ATTR_SIZE) {
		if (S_ISDIR(ino->mode))
			return -EISDIR;
		if (!S_ISREG(ino->mode))
			return -EINVAL;
	}
	if (sa->valid & VFS_ATTR_MODE) {
		if (!is_owner(c, ino))
			return -EPERM;
		/* Non-members lose S_ISGID unless CAP_FSETID (Linux setattr_prepare). */
		uint32_t gid = (sa->valid & VFS_ATTR_GID) ? sa->gid : ino->gid;
		if (c && !vfs_creds_in_group(c, gid) && !vfs_capable(c, CAP_FSETID))
			sa->mode &= ~S_ISGID;
	}
	if (sa->valid & (VFS_ATTR_UID | VFS_ATTR_GID)) {
		bool chown_ok = vfs_capable(c, CAP_CHOWN);
		if ((sa->valid & VFS_ATTR_UID) && sa->uid != ino->uid && !chown_ok)
			return -EPERM;
		if ((sa->valid & VFS_ATTR_GID) && !chown_ok) {
			if (c->fsuid != ino->uid ||
			    (sa->gid != ino->gid && !vfs_creds_in_group(c, sa->gid)))
				return -EPERM;
		}
		if ((sa->valid & VFS_ATTR_UID) && sa->uid == ino->uid && !chown_ok &&
		    c->fsuid != ino->uid)
			return -EPERM;
		/* chown clears set-id bits of non-directories (as Linux). */
		if (!S_ISDIR(ino->mode) && (ino->mode & (S_ISUID | S_ISGID))) {
			uint32_t m = ino->mode & 07777;
			m &= ~S_ISUID;
			if (m & S_IXGRP)
				m &= ~S_ISGID;
			if (!(sa->valid & VFS_ATTR_MODE)) {
				sa->valid |= VFS_ATTR_MODE;
				sa->mode = m;
			}
		}
	}
	if (sa->valid & (VFS_ATTR_ATIME | VFS_ATTR_MTIME)) {
		bool all_now = (!(sa->valid & VFS_ATTR_ATIME) || sa->atime.tv_nsec == UTIME_NOW) &&
			       (!(sa->valid & VFS_ATTR_MTIME) || sa->mtime.tv_nsec == UTIME_NOW);
		if (!is_owner(c, ino)) {
			if (!all_now)
				return -EPERM;
			int r = vfs_permission(c, ino, VFS_MAY_WRITE);
			if (r < 0)
				return r;
		}
	}
	uint32_t valid = sa->valid;
	int r = vfs_setattr_raw(ino, sa);
	if (r == 0) {
		/* As Linux's fsnotify_change: a size change is a modification,
		 * the rest attributes. */
		uint32_t m = (valid & VFS_ATTR_SIZE) ? FS_MODIFY : 0;
		if (valid & ~VFS_ATTR_SIZE)
			m |= FS_ATTRIB;
		if (m)
			fsnotify_dentry(p->dentry, m);
	}
	/* And dnotify's (F_NOTIFY) view of the same. */
	if (r == 0 && (valid & VFS_ATTR_SIZE))
		vfs_dnotify_parent(p, DN_MODIFY);
	if (r == 0 && (valid & ~VFS_ATTR_SIZE))
		vfs_dnotify_parent(p, DN_ATTRIB);
	return r;
}

int vfs_setattr_raw(struct inode *ino, struct vfs_setattr *sa)
{
	struct timespec now = vfs_now();
	if ((sa->valid & VFS_ATTR_ATIME) && sa->atime.tv_nsec == UTIME_NOW)
		sa->atime = now;
	if ((sa->valid & VFS_ATTR_MTIME) && sa->mtime.tv_nsec == UTIME_NOW)
		sa->mtime = now;
	if (ino->ops && ino->ops->setattr) {
		int r = ino->ops->setattr(ino, sa);
		if (r < 0)
			return r;
	} else if (sa->valid & VFS_ATTR_SIZE) {
		return -EINVAL;
	}
	vmutex_lock(&ino->lock);
	if (sa->valid & VFS_ATTR_MODE)
		ino->mode = (ino->mode & S_IFMT) | (sa->mode & 07777);
	if (sa->valid & VFS_ATTR_UID)
		ino->uid = sa->uid;
	if (sa->valid & VFS_ATTR_GID)
		ino->gid = sa->gid;
	if (sa->valid & VFS_ATTR_ATIME)
		ino->atime = sa->atime;
	if (sa->valid & VFS_ATTR_MTIME)
		ino->mtime = sa->mtime;
	if (sa->valid & VFS_ATTR_SIZE)
		ino->mtime = now;
	ino->ctime = now;
	vmutex_unlock(&ino->lock);
	return 0;
}

static int setattr_at(struct task *t, int dirfd, const char *path, int flags,
		      struct vfs_setattr *sa)
{
	struct vfs_path p;
	int wf = ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_LOOKUP_FOLLOW) |
		 ((flags & AT_EMPTY_PATH) ? VFS_LOOKUP_EMPTY : 0);
	int r;
	if (!path) {
		struct file *f = fdt_get_file(t->fdt, dirfd);
		if (!f)
			return -EBADF;
		if (!f->path.mnt) {
			/* Anonymous files (pipes): attributes live on the inode only. */
			r = f->inode ? 0 : -EBADF;
			if (r == 0 && (sa->valid & VFS_ATTR_SIZE))
				r = -EINVAL;
			if (r == 0)
				r = vfs_setattr_raw(f->inode, sa);
			file_put(f);
			return r;
		}
		p = f->path;
		path_get(&p);
		file_put(f);
	} else {
		r = vfs_walk(t, dirfd, path, wf, &p);
		if (r < 0)
			return r;
	}
	r = vfs_setattr_checked(t, &p, sa);
	path_put(&p);
	return r;
}

int vfs_chmodat(struct task *t, int dirfd, const char *path, uint32_t mode, int flags)
{
	struct vfs_setattr sa = {.valid = VFS_ATTR_MODE, .mode = mode & 07777};
	return setattr_at(t, dirfd, path, flags, &sa);
}

int vfs_chownat(struct task *t, int dirfd, const char *path, uint32_t uid, uint32_t gid,
		int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_setattr sa = {0};
	if (uid != (uint32_t)-1) {
		sa.valid |= VFS_ATTR_UID;
		sa.uid = uid;
	}
	if (gid != (uint32_t)-1) {
		sa.valid |= VFS_ATTR_GID;
		sa.gid = gid;
	}
	return setattr_at(t, dirfd, path, flags, &sa);
}

int vfs_utimensat(struct task *t, int dirfd, const char *path, const struct timespec times[2],
		  int flags)
{
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct vfs_setattr sa = {.valid = VFS_ATTR_ATIME | VFS_ATTR_MTIME};
	sa.atime.tv_nsec = UTIME_NOW;
	sa.mtime.tv_nsec = UTIME_NOW;
	if (times) {
		for (int i = 0; i < 2; i++) {
			long ns = times[i].tv_nsec;
			if (ns != UTIME_NOW && ns != UTIME_OMIT && (ns < 0 || ns > 999999999))
				return -EINVAL;
		}
		sa.valid = 0;
		if (times[0].tv_nsec != UTIME_OMIT) {
			sa.valid |= VFS_ATTR_ATIME;
			sa.atime = times[0];
		}
		if (times[1].tv_nsec != UTIME_OMIT) {
			sa.valid |= VFS_ATTR_MTIME;
			sa.mtime = times[1];
		}
		if (!sa.valid)
			return 0;
	}
	return setattr_at(t, dirfd, path, flags, &sa);
}

int vfs_truncate(struct task *t, const char *path, int64_t len)
{
	if (len < 0)
		return -EINVAL;
	struct vfs_path p;
	int r = vfs_walk(t, AT_FDCWD, path, VFS_LOOKUP_FOLLOW, &p);
	if (r < 0)
		return r;
	struct inode *ino = p.dentry->inode;
	if (S_ISDIR(ino->mode))
		r = -EISDIR;
	else if (!S_ISREG(ino->mode))
		r = -EINVAL;
	else if (vfs_mnt_readonly(p.mnt))
		r = -EROFS;
	else
		r = vfs_permission(vfs_task_creds(t), ino, VFS_MAY_WRITE);
	/* As Linux's vfs_truncate: write access for the truncation, so a
	 * running executable cannot be truncated (ETXTBSY). */
	if (r == 0)
		r = inode_get_write_access(ino);
	if (r == 0) {
		struct vfs_setattr sa = {.valid = VFS_ATTR_SIZE, .size = (uint64_t)len};
		r = vfs_setattr_raw(ino, &sa);
		inode_put_write_access(ino);
		if (r == 0)
			fsnotify_dentry(p.dentry, FS_MODIFY);
	}
	path_put(&p);
	return r;
}
