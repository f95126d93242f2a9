/*
 * namei.c — the namespace operations: open (and O_CREAT, O_TMPFILE), mkdir,
 * mknod, symlink, link, unlink, rmdir and rename.
 *
 * Every namespace operation runs under vfs_tree_lock from its first walk to
 * its last dentry-cache update, so a walk always sees a consistent tree and
 * the errno precedence below is Linux's (fs/namei.c):
 *   mkdir/mknod/symlink/link:  EEXIST, then EROFS, then EACCES.
 *   unlink/rmdir/rename:       EROFS, then ENOENT, then EACCES/EPERM.
 *   open(O_CREAT):             EROFS or EACCES only when the file must be made.
 * It never touches file data: reads and writes are file.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- helpers */

static int may_create(struct walk *w, struct inode *dir)
{
	return vfs_permission(w->creds, dir, VFS_MAY_WRITE | VFS_MAY_EXEC);
}

/* As Linux may_delete (after the victim was found). */
static int may_delete(struct walk *w, struct dentry *dir, struct dentry *victim, bool want_dir)
{
	int r = vfs_permission(w->creds, dir->inode, VFS_MAY_WRITE | VFS_MAY_EXEC);
	if (r < 0)
		return r;
	/* Sticky directories: only the owner of the file or the directory (or CAP_FOWNER). */
	if (dir->inode->mode & S_ISVTX) {
		uint32_t fsuid = vfs_fsuid(w->creds);
		if (fsuid != victim->inode->uid && fsuid != dir->inode->uid &&
		    !vfs_capable(w->creds, CAP_FOWNER))
			return -EPERM;
	}
	bool isdir = S_ISDIR(victim->inode->mode);
	if (want_dir && !isdir)
		return -ENOTDIR;
	if (!want_dir && isdir)
		return -EISDIR;
	if (victim->dead)
		return -ENOENT;
	if (victim->mounted)
		return -EBUSY;
	return 0;
}

/* Owner for a new file: fsuid, and the setgid directory's group or fsgid. */
static void new_owner(struct walk *w, struct inode *dir, uint32_t *mode, uint32_t *uid,
		      uint32_t *gid)
{
	*uid = vfs_fsuid(w->creds);
	if (dir->mode & S_ISGID) {
		*gid = dir->gid;
		if (S_ISDIR(*mode))
			*mode |= S_ISGID;
	} else {
		*gid = vfs_fsgid(w->creds);
	}
}

static uint32_t task_umask(struct task *t)
{
	if (!t || !t->fs)
		return 022;
	vmutex_lock(&t->fs->lock);
	uint32_t u = t->fs->umask;
	vmutex_unlock(&t->fs->lock);
	return u;
}

/* A name in dir was made, removed or renamed (event: DN_CREATE, DN_DELETE,
 * DN_RENAME, for F_NOTIFY). */
static void dir_changed(struct inode *dir, uint32_t event)
{
	inode_touch(dir, VFS_TOUCH_M | VFS_TOUCH_C);
	vfs_dnotify_event(dir, event);
}

/* ---------------------------------------------------------------- open */

/* May open(O_CREAT) make pw's name?  EROFS before EACCES (lookup_open in
 * Linux); a removed directory gets nothing new. */
static int open_may_make(struct walk *w, struct parent_walk *pw)
{
	struct inode *di = pw->dir.dentry->inode;
	if (vfs_mnt_readonly(pw->dir.mnt))
		return -EROFS;
	int r = may_create(w, di);
	if (r < 0)
		return r;
	if (pw->dir.dentry->dead)
		return -ENOENT;
	if (!di->ops || !di->ops->create)
		return -EACCES;
	return 0;
}

/* Make pw's name a regular file for open(O_CREAT) and point target at it.
 * Under vfs_tree_lock, open_may_make having said yes. */
static int open_make(struct walk *w, struct parent_walk *pw, uint32_t mode,
		     struct vfs_path *target)
{
	struct inode *di = pw->dir.dentry->inode;
	uint32_t m = S_IFREG | (mode & 07777 & ~task_umask(w->t)), uid, gid;
	new_owner(w, di, &m, &uid, &gid);
	struct inode *ino = NULL;
	int r = di->ops->create(di, pw->name, m, uid, gid, &ino);
	if (r < 0)
		return r;
	struct dentry *d = dentry_new_take(pw->dir.dentry, pw->name, ino);
	if (!d) {
		inode_put(ino);
		return -ENOMEM;
	}
	dcache_insert(pw->dir.dentry, d);
	dir_changed(di, DN_CREATE);
	fsnotify_child(di, pw->name, ino, FS_CREATE, 0);
	target->mnt = pw->dir.mnt;
	mount_get(target->mnt);
	target->dentry = d;
	return 0;
}

/* open(O_CREAT | O_EXCL) of a name the dentry cache does not hold, where
 * the fs asks for it (goferfs: a lookup is a round trip to the Gofer): make
 * it straight away, the fs's create failing EEXIST on any existing name.
 * 0 made, 1 not tried or EEXIST (the ordinary lookup decides then: EEXIST
 * for whatever is there, as Linux), or a create's -errno.  Every check that
 * could fail goes the ordinary way, so the errno precedence stays Linux's. */
static int open_make_first(struct walk *w, struct parent_walk *pw, uint32_t mode,
			   struct vfs_path *target)
{
	struct inode *di = pw->dir.dentry->inode;
	if (!di->sb || !di->sb->create_excl_first || (w->resolve & RESOLVE_CACHED))
		return 1;
	if (vfs_permission(w->creds, di, VFS_MAY_EXEC) < 0 || open_may_make(w, pw) < 0)
		return 1;
	if (dcache_find_valid(w->t, pw->dir.dentry, pw->name))
		return 1;
	int r = open_make(w, pw, mode, target);
	return r == -EEXIST ? 1 : r;
}

/*
 * O_TMPFILE: an unnamed regular file in the directory path.  Made generically
 * (any fs with create and unlink): create under a private name and unlink it
 * at once, under vfs_tree_lock, so no one can see the name.  As Linux: the
 * access mode must allow writing (EINVAL), the directory must be writable.
 * Linking it back with linkat(AT_EMPTY_PATH) is not supported (ENOENT).
 */
static int vfs_open_tmpfile(struct task *t, int dirfd, const char *path, int flags,
			    uint32_t mode, unsigned int resolve, struct file **out)
{
	static _Atomic unsigned long counter;
	int acc = flags & O_ACCMODE;
	if (acc != O_WRONLY && acc != O_RDWR)
		return -EINVAL;
	struct walk w;
	int r = walk_init_resolve(&w, t, dirfd, path, resolve);
	if (r < 0)
		return r;
	struct vfs_path dir = {0}, fp = {0};
	vmutex_lock(&vfs_tree_lock);
	r = walk_locked(&w, path, VFS_LOOKUP_FOLLOW | VFS_LOOKUP_DIRECTORY, &dir);
	struct inode *di = r == 0 ? dir.dentry->inode : NULL;
	if (r == 0 && vfs_mnt_readonly(dir.mnt))
		r = -EROFS;
	if (r == 0)
		r = may_create(&w, di);
	if (r == 0 && (!di->ops || !di->ops->create || !di->ops->unlink))
		r = -EOPNOTSUPP;
	if (r == 0 && dir.dentry->dead)
		r = -ENOENT;
	if (r == 0) {
		char name[64];
		struct inode *ino = NULL;
		uint32_t m = S_IFREG | (mode & 07777 & ~task_umask(t)), uid, gid;
		new_owner(&w, di, &m, &uid, &gid);
		do {
			snprintf(name, sizeof(name), ".visor-tmpfile.%lu", atomic_fetch_add(&counter, 1));
			r = di->ops->create(di, name, m, uid, gid, &ino);
		} while (r == -EEXIST);
		if (r == 0) {
			r = di->ops->unlink(di, name, ino);
			struct dentry *d = dentry_new_take(dir.dentry, name, ino);
			if (!d) {
				r = -ENOMEM;
			} else {
				d->dead = true;
				fp.mnt = dir.mnt;
				mount_get(fp.mnt);
				fp.dentry = d;
			}
		}
	}
	vmutex_unlock(&vfs_tree_lock);
	if (r == 0)
		r = vfs_open_new(t, &fp, flags & ~(__O_TMPFILE | O_CREAT | O_EXCL | O_TRUNC), out, true);
	path_put(&fp);
	path_put(&dir);
	walk_done(&w);
	return r;
}

int vfs_open(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
	     struct file **out)
{
	return vfs_open_how(t, dirfd, path, flags, mode, 0, out);
}

int vfs_open_how(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		 unsigned int resolve, struct file **out)
{
	/* __O_TMPFILE includes O_DIRECTORY's bit: compare the whole value. */
	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		return vfs_open_tmpfile(t, dirfd, path, flags, mode, resolve, out);
	struct walk w;
	int r = walk_init_resolve(&w, t, dirfd, path, resolve);
	if (r < 0)
		return r;
	struct vfs_path target = {0};
	struct parent_walk pw = {0};
	vmutex_lock(&vfs_tree_lock);
	if (!(flags & O_CREAT) || (flags & O_PATH)) {
		int lf = (flags & O_NOFOLLOW) ? 0 : VFS_LOOKUP_FOLLOW;
		if (flags & O_DIRECTORY)
			lf |= VFS_LOOKUP_DIRECTORY;
		r = walk_locked(&w, path, lf, &target);
		goto opened;
	}
	r = walk_parent_locked(&w, path, &pw);
	if (r < 0)
		goto opened;
	if (pw.type != LAST_NORM || pw.trailing_slash) {
		r = -EISDIR;
		goto opened;
	}
	r = (flags & O_EXCL) ? open_make_first(&w, &pw, mode, &target) : 1;
	if (r < 0)
		goto opened;
	bool made = r == 0;
	while (!made) {
		r = lookup_last(&w, &pw, &target);
		if (r == -ENOENT) {
			r = open_may_make(&w, &pw);
			if (r == 0)
				r = open_make(&w, &pw, mode, &target);
			if (r < 0)
				goto opened;
			made = true;
			break;
		}
		if (r < 0)
			goto opened;
		if (flags & O_EXCL) {
			r = -EEXIST;
			goto opened;
		}
		struct vfs_mount *before = target.mnt;
		follow_mounts(&target);
		if ((w.resolve & RESOLVE_NO_XDEV) && target.mnt != before) {
			r = -EXDEV;
			goto opened;
		}
		if ((w.resolve & RESOLVE_NO_SYMLINKS) && dentry_is_symlink(target.dentry) &&
		    !(flags & O_NOFOLLOW)) {
			r = -ELOOP;
			goto opened;
		}
		if (dentry_is_symlink(target.dentry) && !(flags & O_NOFOLLOW) &&
		    target.dentry->inode->ops && target.dentry->inode->ops->magic_file) {
			/* "> /dev/stdout": open the file behind the magic link. */
			struct vfs_path to;
			if (++w.nlinks > VFS_MAXSYMLINKS)
				r = -ELOOP;
			else
				r = magic_target(&w, target.dentry->inode, &to);
			path_put(&target);
			if (r < 0)
				goto opened;
			target = to;
		}
		if (dentry_is_symlink(target.dentry)) {
			if (flags & O_NOFOLLOW) {
				r = -ELOOP;
				goto opened;
			}
			/* O_CREAT through a symlink creates its target (as Linux). */
			if (++w.nlinks > VFS_MAXSYMLINKS) {
				r = -ELOOP;
				goto opened;
			}
			char *buf = malloc(VFS_PATH_MAX + 1);
			struct inode *li = target.dentry->inode;
			ssize_t n = buf && li->ops && li->ops->readlink
					    ? li->ops->readlink(t, li, buf, VFS_PATH_MAX)
					    : -ENOMEM;
			path_put(&target);
			if (n <= 0) {
				free(buf);
				r = n == 0 ? -ENOENT : (int)n;
				goto opened;
			}
			buf[n] = 0;
			path_put(&w.cur);
			w.cur = pw.dir;
			pw.dir = (struct vfs_path){0};
			int nl = w.nlinks;
			r = walk_parent_locked(&w, buf, &pw);
			w.nlinks = nl;
			if (r == 0 && (pw.type != LAST_NORM || pw.trailing_slash))
				r = -EISDIR;
			free(buf);
			if (r < 0)
				goto opened;
			continue;
		}
		if (walk_is_dir(&target)) {
			r = -EISDIR;
			goto opened;
		}
		break;
	}
	if (made) {
		/* A file we just made: no permission check on open, no truncation. */
		flags &= ~O_TRUNC;
		vmutex_unlock(&vfs_tree_lock);
		r = vfs_open_new(t, &target, flags, out, true);
		goto out_unlocked;
	}
opened:
	vmutex_unlock(&vfs_tree_lock);
	if (r == 0)
		r = vfs_open_new(t, &target, flags, out, false);
out_unlocked:
	path_put(&target);
	path_put(&pw.dir);
	walk_done(&w);
	return r;
}

int vfs_open_path(struct task *t, const struct vfs_path *p, int flags, struct file **out)
{
	return vfs_open_new(t, p, flags & ~O_CREAT, out, false);
}

/* ---------------------------------------------------------------- create ops */

/* The common front of mkdir/mknod/symlink/link's new name: walk the parent,
 * check EEXIST, then EROFS, then EACCES, as Linux filename_create + may_create. */
static int create_prepare(struct walk *w, const char *path, struct parent_walk *pw,
			  bool allow_trailing_slash)
{
	int r = walk_parent_locked(w, path, pw);
	if (r < 0)
		return r;
	if (pw->type != LAST_NORM)
		return -EEXIST;
	struct vfs_path ex = {0};
	r = lookup_last(w, pw, &ex);
	if (r == 0) {
		path_put(&ex);
		return -EEXIST;
	}
	if (r != -ENOENT)
		return r;
	if (pw->trailing_slash && !allow_trailing_slash)
		return -ENOENT;
	if (vfs_mnt_readonly(pw->dir.mnt))
		return -EROFS;
	r = may_create(w, pw->dir.dentry->inode);
	if (r < 0)
		return r;
	if (pw->dir.dentry->dead)
		return -ENOENT;
	return 0;
}

/* Add the new inode under pw's name; out (may be NULL) gets the new path. */
static int create_finish_path(struct parent_walk *pw, struct inode *ino, struct vfs_path *out)
{
	struct dentry *d = dentry_new_take(pw->dir.dentry, pw->name, ino);
	if (!d) {
		inode_put(ino);
		return -ENOMEM;
	}
	dcache_insert(pw->dir.dentry, d);
	dir_changed(pw->dir.dentry->inode, DN_CREATE);
	fsnotify_child(pw->dir.dentry->inode, pw->name, ino, FS_CREATE, 0);
	if (out) {
		out->mnt = pw->dir.mnt;
		mount_get(out->mnt);
		out->dentry = d; /* the reference dentry_new_take gave */
	} else {
		dentry_put(d);
	}
	return 0;
}

static int create_finish(struct parent_walk *pw, struct inode *ino)
{
	return create_finish_path(pw, ino, NULL);
}

/* The part of mkdir/mknod/symlink/link that differs: called under
 * vfs_tree_lock once create_prepare has passed for pw's name; makes the inode
 * (calling create_finish) or returns -errno. */
typedef int (*create_fn)(struct walk *w, struct parent_walk *pw, void *arg);

/* One create-type call on dirfd/path: the walk, the lock and the references
 * are handled here, the type-specific checks and the making in fn. */
static int create_at(struct task *t, int dirfd, const char *path, bool is_dir, create_fn fn,
		     void *arg)
{
	struct walk w;
	int r = walk_init(&w, t, dirfd, path);
	if (r < 0)
		return r;
	struct parent_walk pw;
	vmutex_lock(&vfs_tree_lock);
	r = create_prepare(&w, path, &pw, is_dir);
	if (r == 0)
		r = fn(&w, &pw, arg);
	vmutex_unlock(&vfs_tree_lock);
	path_put(&pw.dir);
	walk_done(&w);
	return r;
}

static int mkdir_fn(struct walk *w, struct parent_walk *pw, void *arg)
{
	uint32_t mode = *(const uint32_t *)arg;
	struct inode *di = pw->dir.dentry->inode;
	if (!di->ops || !di->ops->mkdir)
		return -EPERM;
	uint32_t m = S_IFDIR | (mode & 07777 & ~task_umask(w->t)), uid, gid;
	new_owner(w, di, &m, &uid, &gid);
	struct inode *ino = NULL;
	int r = di->ops->mkdir(di, pw->name, m, uid, gid, &ino);
	if (r == 0)
		r = create_finish(pw, ino);
	return r;
}

int vfs_mkdirat(struct task *t, int dirfd, const char *path, uint32_t mode)
{
	return create_at(t, dirfd, path, true, mkdir_fn, &mode);
}

struct mknod_arg {
	uint32_t type, mode;
	uint64_t dev;
	struct vfs_path *out;
};

static int mknod_fn(struct walk *w, struct parent_walk *pw, void *arg)
{
	const struct mknod_arg *a = arg;
	/* Device nodes need CAP_MKNOD (checked after may_create as Linux vfs_mknod). */
	if ((a->type == S_IFCHR || a->type == S_IFBLK) && !vfs_capable(w->creds, CAP_MKNOD))
		return -EPERM;
	struct inode *di = pw->dir.dentry->inode;
	uint32_t m = a->type | (a->mode & 07777 & ~task_umask(w->t)), uid, gid;
	new_owner(w, di, &m, &uid, &gid);
	struct inode *ino = NULL;
	int r;
	if (a->type == S_IFREG && di->ops && di->ops->create)
		r = di->ops->create(di, pw->name, m, uid, gid, &ino);
	else if (di->ops && di->ops->mknod)
		r = di->ops->mknod(di, pw->name, m, a->dev, uid, gid, &ino);
	else
		r = -EPERM;
	if (r == 0)
		r = create_finish_path(pw, ino, a->out);
	return r;
}

int vfs_mknodat(struct task *t, int dirfd, const char *path, uint32_t mode, uint64_t dev)
{
	return vfs_mknodat_path(t, dirfd, path, mode, dev, NULL);
}

int vfs_mknodat_path(struct task *t, int dirfd, const char *path, uint32_t mode, uint64_t dev,
		     struct vfs_path *out)
{
	uint32_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EPERM;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return -EINVAL;
	struct mknod_arg a = {.type = type, .mode = mode, .dev = dev, .out = out};
	return create_at(t, dirfd, path, false, mknod_fn, &a);
}

static int symlink_fn(struct walk *w, struct parent_walk *pw, void *arg)
{
	const char *target = arg;
	/* An empty target is ENOENT (after the name checks, as Linux's getname). */
	if (!target[0])
		return -ENOENT;
	struct inode *di = pw->dir.dentry->inode;
	uint32_t m = S_IFLNK | 0777, uid, gid;
	new_owner(w, di, &m, &uid, &gid);
	struct inode *ino = NULL;
	int r = di->ops && di->ops->symlink ? di->ops->symlink(di, pw->name, target, uid, gid, &ino)
					    : -EPERM;
	if (r == 0)
		r = create_finish(pw, ino);
	return r;
}

int vfs_symlinkat(struct task *t, const char *target, int dirfd, const char *path)
{
	size_t tl = strnlen(target, VFS_PATH_MAX);
	if (tl >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	return create_at(t, dirfd, path, false, symlink_fn, (void *)target);
}

static int link_fn(struct walk *w, struct parent_walk *pw, void *arg)
{
	const struct vfs_path *old = arg;
	if (pw->dir.mnt != old->mnt)
		return -EXDEV;
	if (S_ISDIR(old->dentry->inode->mode))
		return -EPERM;
	if (old->dentry->dead && old->dentry->inode->nlink == 0)
		return -ENOENT;
	struct inode *di = pw->dir.dentry->inode;
	struct inode *src = old->dentry->inode;
	int r = di->ops && di->ops->link ? di->ops->link(di, pw->name, src) : -EPERM;
	if (r == 0) {
		inode_get(src);
		fsnotify_inode(src, FS_ATTRIB); /* its link count (Linux's order) */
		r = create_finish(pw, src);
		inode_touch(src, VFS_TOUCH_C);
	}
	return r;
}

int vfs_linkat(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
	       const char *newpath, int flags)
{
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* AT_EMPTY_PATH links need CAP_DAC_READ_SEARCH (Linux linkat). */
	if ((flags & AT_EMPTY_PATH) && !vfs_capable(vfs_task_creds(t), CAP_DAC_READ_SEARCH))
		return -ENOENT;
	struct vfs_path old = {0};
	int r = vfs_walk(t, olddirfd, oldpath,
			 ((flags & AT_SYMLINK_FOLLOW) ? VFS_LOOKUP_FOLLOW : 0) |
				 ((flags & AT_EMPTY_PATH) ? VFS_LOOKUP_EMPTY : 0),
			 &old);
	if (r < 0)
		return r;
	r = create_at(t, newdirfd, newpath, false, link_fn, &old);
	path_put(&old);
	return r;
}

/* ---------------------------------------------------------------- remove ops */

/* The part of unlink/rmdir that differs: called under vfs_tree_lock with pw
 * walked; may set *victim (a reference the caller drops). */
typedef int (*remove_fn)(struct walk *w, struct parent_walk *pw, struct vfs_path *victim);

/* One remove-type call on dirfd/path: the walk, the lock and the references
 * are handled here, the checks (whose order differs between unlink and rmdir,
 * as in Linux) and the removal in fn. */
static int remove_at(struct task *t, int dirfd, const char *path, remove_fn fn)
{
	struct walk w;
	int r = walk_init(&w, t, dirfd, path);
	if (r < 0)
		return r;
	struct parent_walk pw;
	struct vfs_path victim = {0};
	vmutex_lock(&vfs_tree_lock);
	r = walk_parent_locked(&w, path, &pw);
	if (r == 0)
		r = fn(&w, &pw, &victim);
	vmutex_unlock(&vfs_tree_lock);
	path_put(&victim);
	path_put(&pw.dir);
	walk_done(&w);
	return r;
}

static int unlink_fn(struct walk *w, struct parent_walk *pw, struct vfs_path *victim)
{
	if (pw->type != LAST_NORM)
		return -EISDIR;
	if (vfs_mnt_readonly(pw->dir.mnt))
		return -EROFS;
	int r = lookup_last(w, pw, victim);
	if (r < 0)
		return r;
	if (pw->trailing_slash)
		return S_ISDIR(victim->dentry->inode->mode) ? -EISDIR : -ENOTDIR;
	r = may_delete(w, pw->dir.dentry, victim->dentry, false);
	if (r < 0)
		return r;
	struct inode *di = pw->dir.dentry->inode;
	r = di->ops && di->ops->unlink ? di->ops->unlink(di, pw->name, victim->dentry->inode)
				       : -EPERM;
	if (r == 0) {
		struct inode *vi = victim->dentry->inode;
		victim->dentry->dead = true;
		dcache_remove(victim->dentry);
		dir_changed(di, DN_DELETE);
		inode_touch(victim->dentry->inode, VFS_TOUCH_C);
		fsnotify_inode(vi, FS_ATTRIB);
		fsnotify_child(di, pw->name, vi, FS_DELETE, 0);
		/* FS_DELETE_SELF: when the dentry's last user goes (dcache.c). */
	}
	return r;
}

int vfs_unlinkat(struct task *t, int dirfd, const char *path)
{
	return remove_at(t, dirfd, path, unlink_fn);
}

static int rmdir_fn(struct walk *w, struct parent_walk *pw, struct vfs_path *victim)
{
	if (pw->type == LAST_DOT)
		return -EINVAL;
	if (pw->type == LAST_DOTDOT)
		return -ENOTEMPTY;
	if (pw->type == LAST_ROOT)
		return -EBUSY;
	if (vfs_mnt_readonly(pw->dir.mnt))
		return -EROFS;
	int r = lookup_last(w, pw, victim);
	if (r < 0)
		return r;
	r = may_delete(w, pw->dir.dentry, victim->dentry, true);
	if (r < 0)
		return r;
	/* A mount root or the task's root cannot go. */
	if (victim->dentry == victim->mnt->root)
		return -EBUSY;
	struct inode *di = pw->dir.dentry->inode;
	r = di->ops && di->ops->rmdir ? di->ops->rmdir(di, pw->name, victim->dentry->inode) : -EPERM;
	if (r == 0) {
		victim->dentry->dead = true;
		dcache_prune(victim->dentry);
		dcache_remove(victim->dentry);
		dir_changed(di, DN_DELETE);
		fsnotify_child(di, pw->name, victim->dentry->inode, FS_DELETE, 0);
		fsnotify_inode(victim->dentry->inode, FS_DELETE_SELF);
	}
	return r;
}

int vfs_rmdirat(struct task *t, int dirfd, const char *path)
{
	return remove_at(t, dirfd, path, rmdir_fn);
}

/* Re-hang d (already out of the dcache) under parent as name, after a rename
 * moved it there.  -ENOMEM leaves d as it was, out of the cache. */
static int dentry_move(struct dentry *d, struct dentry *parent, const char *name)
{
	char *n = strdup(name);
	if (!n)
		return -ENOMEM;
	free(d->name);
	d->name = n;
	dentry_get(parent);
	struct dentry *oldp = d->parent;
	d->parent = parent;
	dentry_put(oldp);
	dcache_insert(parent, d);
	return 0;
}

static bool is_ancestor(struct dentry *anc, struct dentry *d)
{
	for (; d; d = d->parent)
		if (d == anc)
			return true;
	return false;
}

int vfs_renameat(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
		 const char *newpath, unsigned int flags)
{
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & RENAME_WHITEOUT)
		return -EINVAL; /* no overlay file systems here */
	struct walk ow, nw;
	int r = walk_init(&ow, t, olddirfd, oldpath);
	if (r < 0)
		return r;
	r = walk_init(&nw, t, newdirfd, newpath);
	if (r < 0) {
		walk_done(&ow);
		return r;
	}
	struct parent_walk opw = {0}, npw = {0};
	struct vfs_path src = {0}, dst = {0};
	vmutex_lock(&vfs_tree_lock);
	r = walk_parent_locked(&ow, oldpath, &opw);
	if (r < 0)
		goto out;
	r = walk_parent_locked(&nw, newpath, &npw);
	if (r < 0)
		goto out;
	if (opw.dir.mnt != npw.dir.mnt) {
		r = -EXDEV;
		goto out;
	}
	if (opw.type != LAST_NORM) {
		r = -EBUSY;
		goto out;
	}
	if (npw.type != LAST_NORM) {
		r = (flags & RENAME_NOREPLACE) ? -EEXIST : -EBUSY;
		goto out;
	}
	if (vfs_mnt_readonly(opw.dir.mnt)) {
		r = -EROFS;
		goto out;
	}
	r = lookup_last(&ow, &opw, &src);
	if (r < 0)
		goto out;
	r = lookup_last(&nw, &npw, &dst);
	if (r < 0 && r != -ENOENT)
		goto out;
	bool have_dst = r == 0;
	r = 0;
	if ((flags & RENAME_NOREPLACE) && have_dst) {
		r = -EEXIST;
		goto out;
	}
	if ((flags & RENAME_EXCHANGE) && !have_dst) {
		r = -ENOENT;
		goto out;
	}
	bool src_dir = S_ISDIR(src.dentry->inode->mode);
	if (!(flags & RENAME_EXCHANGE) && !src_dir && (opw.trailing_slash || npw.trailing_slash)) {
		r = -ENOTDIR;
		goto out;
	}
	/* Moving a directory below itself. */
	if (is_ancestor(src.dentry, npw.dir.dentry)) {
		r = -EINVAL;
		goto out;
	}
	if (have_dst && is_ancestor(dst.dentry, opw.dir.dentry)) {
		r = (flags & RENAME_EXCHANGE) ? -EINVAL : -ENOTEMPTY;
		goto out;
	}
	/* Same inode (hard links or the same name): nothing to do. */
	if (have_dst && src.dentry->inode == dst.dentry->inode)
		goto out;
	r = may_delete(&ow, opw.dir.dentry, src.dentry, src_dir);
	if (r < 0)
		goto out;
	if (have_dst) {
		bool dst_dir = S_ISDIR(dst.dentry->inode->mode);
		r = may_delete(&nw, npw.dir.dentry, dst.dentry,
			       (flags & RENAME_EXCHANGE) ? dst_dir : src_dir);
		if (r < 0)
			goto out;
	} else {
		r = may_create(&nw, npw.dir.dentry->inode);
		if (r < 0)
			goto out;
	}
	/* A directory moving to another parent rewrites its "..": needs write on it. */
	if (src_dir && opw.dir.dentry != npw.dir.dentry) {
		r = vfs_permission(ow.creds, src.dentry->inode, VFS_MAY_WRITE);
		if (r < 0)
			goto out;
	}
	if (src.dentry->mounted || (have_dst && dst.dentry->mounted)) {
		r = -EBUSY;
		goto out;
	}
	struct inode *odi = opw.dir.dentry->inode, *ndi = npw.dir.dentry->inode;
	if (!odi->ops || !odi->ops->rename) {
		r = -EPERM;
		goto out;
	}
	r = odi->ops->rename(odi, opw.name, src.dentry->inode, ndi, npw.name,
			     have_dst ? dst.dentry->inode : NULL, flags);
	if (r < 0)
		goto out;
	/* Update the dentry cache: src takes the new name; dst is gone (or swapped). */
	dcache_remove(src.dentry);
	if (have_dst) {
		dcache_remove(dst.dentry);
		if (flags & RENAME_EXCHANGE) {
			dentry_move(dst.dentry, opw.dir.dentry, opw.name);
		} else {
			dst.dentry->dead = true;
			if (S_ISDIR(dst.dentry->inode->mode))
				dcache_prune(dst.dentry);
		}
	}
	if (dentry_move(src.dentry, npw.dir.dentry, npw.name) < 0)
		src.dentry->dead = true; /* out of memory: forget it; the fs is right */
	dir_changed(odi, DN_RENAME);
	if (ndi != odi)
		dir_changed(ndi, DN_RENAME);
	inode_touch(src.dentry->inode, VFS_TOUCH_C);
	{
		/* As Linux's fsnotify_move: from, to, the moved inode itself,
		 * then what the rename replaced. */
		uint32_t cookie = fsnotify_cookie();
		struct inode *si = src.dentry->inode;
		fsnotify_child(odi, opw.name, si, FS_MOVED_FROM, cookie);
		fsnotify_child(ndi, npw.name, si, FS_MOVED_TO, cookie);
		fsnotify_inode(si, FS_MOVE_SELF);
		if (have_dst && (flags & RENAME_EXCHANGE)) {
			uint32_t c2 = fsnotify_cookie();
			struct inode *xi = dst.dentry->inode;
			fsnotify_child(ndi, npw.name, xi, FS_MOVED_FROM, c2);
			fsnotify_child(odi, opw.name, xi, FS_MOVED_TO, c2);
			fsnotify_inode(xi, FS_MOVE_SELF);
		} else if (have_dst) {
			struct inode *xi = dst.dentry->inode;
			fsnotify_inode(xi, FS_ATTRIB);
			if (S_ISDIR(xi->mode)) /* a file's: at its dentry's last put */
				fsnotify_inode(xi, FS_DELETE_SELF);
		}
	}
out:
	vmutex_unlock(&vfs_tree_lock);
	path_put(&src);
	path_put(&dst);
	path_put(&opw.dir);
	path_put(&npw.dir);
	walk_done(&ow);
	walk_done(&nw);
	return r;
}
