/*
 * walk.c — path walking: components, "..", symlinks (and /proc's magic
 * links), mount crossings, and the parent walks the namespace operations
 * start from.  Runs under vfs_tree_lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- walking */

/* openat2's scoped lookups: the walk's root is where it started. */
#define RESOLVE_SCOPED (RESOLVE_BENEATH | RESOLVE_IN_ROOT)

void walk_done(struct walk *w)
{
	path_put(&w->root);
	path_put(&w->cur);
	free(w->scratch);
	w->scratch = NULL;
}

/* Look name up in dir (a directory path); the result (refs) follows mounts. */
static int lookup_child(struct walk *w, const struct vfs_path *dir, const char *name,
			struct vfs_path *out)
{
	struct dentry *d = dcache_find_valid(w->t, dir->dentry, name);
	if (d) {
		dentry_get(d);
	} else {
		struct inode *di = dir->dentry->inode;
		if (!di->ops || !di->ops->lookup)
			return -ENOENT;
		if (dir->dentry->dead)
			return -ENOENT;
		/* RESOLVE_CACHED: a name the cache does not hold would need the
		 * file system (maybe a Gofer round trip): EAGAIN, as Linux. */
		if (w->resolve & RESOLVE_CACHED)
			return -EAGAIN;
		struct inode *ino = NULL;
		int r = fs_lookup(w->t, di, name, &ino);
		if (r < 0)
			return r;
		d = dentry_new_take(dir->dentry, name, ino);
		if (!d) {
			inode_put(ino);
			return -ENOMEM;
		}
		dcache_insert(dir->dentry, d);
	}
	out->mnt = dir->mnt;
	mount_get(dir->mnt);
	out->dentry = d;
	follow_mounts(out);
	/* RESOLVE_NO_XDEV: stepping onto a mount is a crossing. */
	if ((w->resolve & RESOLVE_NO_XDEV) && out->mnt != dir->mnt) {
		path_put(out);
		return -EXDEV;
	}
	return 0;
}

/* "..": up one name, across mounts, never above the walk's root.  Under
 * RESOLVE_BENEATH ".." at the root (the starting directory) is -EXDEV, under
 * RESOLVE_NO_XDEV leaving a mount is (Linux's follow_dotdot). */
static int walk_dotdot(struct walk *w)
{
	for (;;) {
		if (path_equal(&w->cur, &w->root))
			return (w->resolve & RESOLVE_BENEATH) ? -EXDEV : 0;
		if (w->cur.dentry == w->cur.mnt->root) {
			struct vfs_mount *m = w->cur.mnt;
			if (!m->parent)
				return 0;
			if (w->resolve & RESOLVE_NO_XDEV)
				return -EXDEV;
			path_set(&w->cur, m->parent, m->mountpoint);
			continue;
		}
		struct dentry *p = w->cur.dentry->parent;
		if (!p)
			return 0;
		struct vfs_mount *before = w->cur.mnt;
		path_set(&w->cur, w->cur.mnt, p);
		follow_mounts(&w->cur);
		if ((w->resolve & RESOLVE_NO_XDEV) && w->cur.mnt != before)
			return -EXDEV;
		return 0;
	}
}

bool walk_is_dir(const struct vfs_path *p)
{
	return S_ISDIR(p->dentry->inode->mode);
}

bool dentry_is_symlink(const struct dentry *d)
{
	return S_ISLNK(d->inode->mode);
}

static int walk_components(struct walk *w, const char *path, bool follow_last);

/* Where a magic link leads: the open file's own path (or, for anonymous
 * files, its dentry in the internal anon mount). */
int magic_target(struct walk *w, struct inode *li, struct vfs_path *out)
{
	/* openat2's rules for magic links, in Linux's order (nd_jump_link):
	 * RESOLVE_NO_MAGICLINKS ELOOP, then a jump to another mount under
	 * RESOLVE_NO_XDEV and any jump in a scoped lookup EXDEV. */
	if (w->resolve & RESOLVE_NO_MAGICLINKS)
		return -ELOOP;
	int denied = li->ops->access ? li->ops->access(w->t, li) : 0;
	if (denied)
		return denied;
	struct file *f = li->ops->magic_file(w->t, li);
	if (!f)
		return -ENOENT;
	const struct vfs_path *p = f->path.mnt ? &f->path : &f->anon;
	int r = -ENXIO; /* sockets and inode-less files cannot be reopened, as Linux */
	if (p->mnt && (w->resolve & RESOLVE_NO_XDEV) && p->mnt != w->cur.mnt)
		r = -EXDEV;
	else if (p->mnt && (w->resolve & RESOLVE_SCOPED))
		r = -EXDEV;
	else if (p->mnt) {
		*out = *p;
		path_get(out);
		r = 0;
	}
	file_put(f);
	return r;
}

/* Replace w->cur (the directory containing the link) by the link's target. */
static int walk_follow_link(struct walk *w, struct dentry *link)
{
	if (w->resolve & RESOLVE_NO_SYMLINKS)
		return -ELOOP;
	if (++w->nlinks > VFS_MAXSYMLINKS)
		return -ELOOP;
	struct inode *li = link->inode;
	if (li->ops && li->ops->magic_file) {
		struct vfs_path to;
		int r = magic_target(w, li, &to);
		if (r == 0) {
			path_put(&w->cur);
			w->cur = to;
		}
		return r;
	}
	if (!li->ops || !li->ops->readlink)
		return -EINVAL;
	/* One scratch buffer per walk, and only the target's length per nesting
	 * level: 40 nested links must not cost 40 pages. */
	if (!w->scratch && !(w->scratch = malloc(VFS_PATH_MAX + 1)))
		return -ENOMEM;
	ssize_t n = li->ops->readlink(w->t, li, w->scratch, VFS_PATH_MAX);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT;
	char *target = strndup(w->scratch, n);
	if (!target)
		return -ENOMEM;
	int r = walk_components(w, target, true);
	free(target);
	return r;
}

/*
 * Walk path from w->cur (or w->root if absolute).  Symlinks in the middle are
 * always followed; the last one only when follow_last.  On success w->cur is
 * the result.  Directory-ness of the result is the caller's business.
 */
static int walk_components(struct walk *w, const char *path, bool follow_last)
{
	if (path[0] == '/') {
		/* A jump to the root (an absolute symlink; the path itself was
		 * checked by walk_init_resolve): never under RESOLVE_BENEATH, and
		 * not from another mount under RESOLVE_NO_XDEV (nd_jump_root). */
		if (w->resolve & RESOLVE_BENEATH)
			return -EXDEV;
		if ((w->resolve & RESOLVE_NO_XDEV) && w->cur.mnt != w->root.mnt)
			return -EXDEV;
		path_set(&w->cur, w->root.mnt, w->root.dentry);
	}
	const char *p = path;
	char name[VFS_NAME_MAX + 1];
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			return 0;
		const char *end = strchrnul(p, '/');
		size_t len = end - p;
		if (len > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, len);
		name[len] = 0;
		const char *rest = end;
		while (*rest == '/')
			rest++;
		bool last = !*rest;
		bool trailing_slash = last && *end == '/';
		p = end;

		if (!walk_is_dir(&w->cur))
			return -ENOTDIR;
		int r = vfs_permission(w->creds, w->cur.dentry->inode, VFS_MAY_EXEC);
		if (r < 0)
			return r;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			r = walk_dotdot(w);
			if (r < 0)
				return r;
			continue;
		}
		struct vfs_path next = {0};
		r = lookup_child(w, &w->cur, name, &next);
		if (r < 0)
			return r;
		if (dentry_is_symlink(next.dentry) && (!last || follow_last || trailing_slash)) {
			r = walk_follow_link(w, next.dentry);
			path_put(&next);
			if (r < 0)
				return r;
			continue;
		}
		path_put(&w->cur);
		w->cur = next;
	}
}

/* Set up w for task t starting at dirfd (for relative paths). */
int walk_init(struct walk *w, struct task *t, int dirfd, const char *path)
{
	memset(w, 0, sizeof(*w));
	w->t = t;
	w->creds = vfs_task_creds(t);
	if (!t || !t->fs)
		return -EINVAL;
	fs_context_root(t->fs, &w->root);
	if (path[0] == '/') {
		path_get(&w->root);
		w->cur = w->root;
		return 0;
	}
	if (dirfd == AT_FDCWD) {
		fs_context_cwd(t->fs, &w->cur);
		return 0;
	}
	struct file *f = fdt_get_file(t->fdt, dirfd);
	if (!f) {
		path_put(&w->root);
		return -EBADF;
	}
	if (!f->path.mnt) {
		file_put(f);
		path_put(&w->root);
		return -ENOTDIR;
	}
	path_get(&f->path);
	w->cur = f->path;
	file_put(f);
	return 0;
}

int walk_init_resolve(struct walk *w, struct task *t, int dirfd, const char *path,
		      unsigned int resolve)
{
	if (!(resolve & RESOLVE_SCOPED)) {
		int r = walk_init(w, t, dirfd, path);
		w->resolve = resolve;
		return r;
	}
	/* As Linux's path_init: an absolute path under RESOLVE_BENEATH fails
	 * before dirfd is looked at; under RESOLVE_IN_ROOT it starts at dirfd. */
	if ((resolve & RESOLVE_BENEATH) && path[0] == '/') {
		memset(w, 0, sizeof(*w));
		return -EXDEV;
	}
	int r = walk_init(w, t, dirfd, ".");
	if (r < 0)
		return r;
	w->resolve = resolve;
	path_put(&w->root);
	w->root = w->cur;
	path_get(&w->root);
	return 0;
}

/* The whole lookup for vfs_walk & co., under the lock. */
int walk_locked(struct walk *w, const char *path, int flags, struct vfs_path *out)
{
	size_t len = strnlen(path, VFS_PATH_MAX);
	if (len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (len == 0) {
		if (!(flags & VFS_LOOKUP_EMPTY))
			return -ENOENT;
	} else {
		if (path[len - 1] == '/')
			flags |= VFS_LOOKUP_FOLLOW | VFS_LOOKUP_DIRECTORY;
		/* In the middle of a walk, cur must be a directory: checked per component. */
		if (path[0] != '/' && !walk_is_dir(&w->cur))
			return -ENOTDIR;
		int r = walk_components(w, path, flags & VFS_LOOKUP_FOLLOW);
		if (r < 0)
			return r;
	}
	if ((flags & VFS_LOOKUP_DIRECTORY) && !walk_is_dir(&w->cur))
		return -ENOTDIR;
	*out = w->cur;
	path_get(out);
	return 0;
}

int vfs_walk(struct task *t, int dirfd, const char *path, int flags, struct vfs_path *out)
{
	struct walk w;
	int r = walk_init(&w, t, dirfd, path);
	if (r < 0)
		return r;
	/* An empty path with AT_EMPTY_PATH names dirfd itself, whatever it is. */
	if (!path[0] && (flags & VFS_LOOKUP_EMPTY)) {
		*out = w.cur;
		path_get(out);
		walk_done(&w);
		return 0;
	}
	vmutex_lock(&vfs_tree_lock);
	r = walk_locked(&w, path, flags, out);
	vmutex_unlock(&vfs_tree_lock);
	walk_done(&w);
	return r;
}

int vfs_walk_from(const struct vfs_path *root, const struct vfs_path *start, const char *path,
		  int flags, struct vfs_path *out)
{
	struct walk w = {0};
	w.root = *root;
	path_get(&w.root);
	w.cur = start ? *start : *root;
	path_get(&w.cur);
	vmutex_lock(&vfs_tree_lock);
	int r = walk_locked(&w, path, flags, out);
	vmutex_unlock(&vfs_tree_lock);
	walk_done(&w);
	return r;
}


/* Walk all but the last component of path (under the lock). */
int walk_parent_locked(struct walk *w, const char *path, struct parent_walk *pw)
{
	memset(pw, 0, sizeof(*pw));
	size_t len = strnlen(path, VFS_PATH_MAX);
	if (len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (len == 0)
		return -ENOENT;
	/* Strip trailing slashes to find the last component. */
	size_t end = len;
	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0) {
		pw->type = LAST_ROOT;
		path_set(&w->cur, w->root.mnt, w->root.dentry);
		pw->dir = w->cur;
		path_get(&pw->dir);
		return 0;
	}
	pw->trailing_slash = end < len;
	size_t start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end - start > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(pw->name, path + start, end - start);
	pw->name[end - start] = 0;
	if (strcmp(pw->name, ".") == 0)
		pw->type = LAST_DOT;
	else if (strcmp(pw->name, "..") == 0)
		pw->type = LAST_DOTDOT;
	if (start > 0) {
		char *prefix = strndup(path, start);
		if (!prefix)
			return -ENOMEM;
		int r = walk_components(w, prefix, true);
		free(prefix);
		if (r < 0)
			return r;
	}
	if (!walk_is_dir(&w->cur))
		return -ENOTDIR;
	pw->dir = w->cur;
	path_get(&pw->dir);
	return 0;
}

/* Look up the last component of a parent walk: 0 with *out, or -ENOENT. The
 * search permission on the directory is checked first (EACCES). */
int lookup_last(struct walk *w, struct parent_walk *pw, struct vfs_path *out)
{
	int r = vfs_permission(w->creds, pw->dir.dentry->inode, VFS_MAY_EXEC);
	if (r < 0)
		return r;
	if (pw->type == LAST_DOT || pw->type == LAST_ROOT) {
		*out = pw->dir;
		path_get(out);
		return 0;
	}
	if (pw->type == LAST_DOTDOT) {
		struct walk w2 = *w;
		w2.cur = pw->dir;
		path_get(&w2.cur);
		r = walk_dotdot(&w2);
		if (r < 0) {
			path_put(&w2.cur);
			return r;
		}
		*out = w2.cur;
		return 0;
	}
	/* The last component as a dentry in the directory, without following mounts:
	 * namespace changes act on the name in the parent. */
	struct dentry *d = dcache_find_valid(w->t, pw->dir.dentry, pw->name);
	if (d) {
		dentry_get(d);
	} else {
		struct inode *di = pw->dir.dentry->inode;
		if (!di->ops || !di->ops->lookup || pw->dir.dentry->dead)
			return -ENOENT;
		if (w->resolve & RESOLVE_CACHED)
			return -EAGAIN;
		struct inode *ino = NULL;
		r = fs_lookup(w->t, di, pw->name, &ino);
		if (r < 0)
			return r;
		d = dentry_new_take(pw->dir.dentry, pw->name, ino);
		if (!d) {
			inode_put(ino);
			return -ENOMEM;
		}
		dcache_insert(pw->dir.dentry, d);
	}
	out->mnt = pw->dir.mnt;
	mount_get(out->mnt);
	out->dentry = d;
	return 0;
}
