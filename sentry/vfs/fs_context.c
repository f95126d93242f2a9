/*
 * fs_context.c — a task's root and cwd: chdir, fchdir, chroot, getcwd and
 * the names of paths as seen from a root.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- cwd, root */

/* Make p (its reference is taken over) the task's cwd or root: slot is
 * &t->fs->cwd or &t->fs->root. */
static void fs_set_path(struct task *t, struct vfs_path *slot, struct vfs_path p)
{
	vmutex_lock(&t->fs->lock);
	struct vfs_path old = *slot;
	*slot = p;
	vmutex_unlock(&t->fs->lock);
	path_put(&old);
}

/* Walk path (following links) to a directory the task may search, as chdir
 * and chroot need; *p holds a reference on success only. */
static int walk_search_dir(struct task *t, const char *path, struct vfs_path *p)
{
	int r = vfs_walk(t, AT_FDCWD, path, VFS_LOOKUP_FOLLOW | VFS_LOOKUP_DIRECTORY, p);
	if (r < 0)
		return r;
	r = vfs_permission(vfs_task_creds(t), p->dentry->inode, VFS_MAY_EXEC);
	if (r < 0)
		path_put(p);
	return r;
}

int vfs_chdir(struct task *t, const char *path)
{
	struct vfs_path p;
	int r = walk_search_dir(t, path, &p);
	if (r < 0)
		return r;
	fs_set_path(t, &t->fs->cwd, p);
	return 0;
}

int vfs_fchdir(struct task *t, int fd)
{
	struct file *f = fdt_get_file(t->fdt, fd);
	if (!f)
		return -EBADF;
	int r = 0;
	if (!f->path.mnt || !S_ISDIR(f->path.dentry->inode->mode))
		r = -ENOTDIR;
	else
		r = vfs_permission(vfs_task_creds(t), f->path.dentry->inode, VFS_MAY_EXEC);
	if (r == 0) {
		struct vfs_path p = f->path;
		path_get(&p);
		fs_set_path(t, &t->fs->cwd, p);
	}
	file_put(f);
	return r;
}

int vfs_chroot(struct task *t, const char *path)
{
	struct vfs_path p;
	int r = walk_search_dir(t, path, &p);
	if (r < 0)
		return r;
	if (!vfs_capable(vfs_task_creds(t), CAP_SYS_CHROOT)) {
		path_put(&p);
		return -EPERM;
	}
	fs_set_path(t, &t->fs->root, p);
	return 0;
}

/* Build the path of p as seen from root, right to left.  Under the lock. */
int path_name_locked(const struct vfs_path *p, const struct vfs_path *root, char *buf,
			    size_t len, bool *unreachable)
{
	if (len < 2)
		return -ERANGE;
	size_t pos = len - 1;
	buf[pos] = 0;
	struct vfs_mount *m = p->mnt;
	struct dentry *d = p->dentry;
	*unreachable = false;
	for (;;) {
		if (m == root->mnt && d == root->dentry)
			break;
		if (d == m->root) {
			if (!m->parent) {
				*unreachable = true;
				break;
			}
			d = m->mountpoint;
			m = m->parent;
			continue;
		}
		if (!d->parent) {
			*unreachable = true;
			break;
		}
		size_t nl = strlen(d->name);
		if (nl + 1 > pos)
			return -ENAMETOOLONG;
		pos -= nl;
		memcpy(buf + pos, d->name, nl);
		buf[--pos] = '/';
		d = d->parent;
	}
	if (pos == len - 1)
		buf[--pos] = '/';
	memmove(buf, buf + pos, len - pos);
	return (int)(len - pos);
}

int vfs_path_name(const struct vfs_path *p, const struct vfs_path *root, char *buf, size_t len)
{
	bool unreachable;
	vmutex_lock(&vfs_tree_lock);
	int r = path_name_locked(p, root, buf, len, &unreachable);
	vmutex_unlock(&vfs_tree_lock);
	return r < 0 ? r : (int)strlen(buf);
}

int vfs_getcwd(struct task *t, char *buf, size_t len)
{
	struct vfs_path root, cwd;
	fs_context_root(t->fs, &root);
	fs_context_cwd(t->fs, &cwd);
	bool unreachable = false;
	char *tmp = malloc(VFS_PATH_MAX);
	int r = -ENOMEM;
	if (tmp) {
		vmutex_lock(&vfs_tree_lock);
		bool dead = false;
		for (struct dentry *d = cwd.dentry; d; d = d->parent)
			if (d->dead)
				dead = true;
		r = dead ? -ENOENT : path_name_locked(&cwd, &root, tmp, VFS_PATH_MAX, &unreachable);
		vmutex_unlock(&vfs_tree_lock);
	}
	if (r >= 0) {
		/* Outside the root (after chroot): Linux prefixes "(unreachable)". */
		size_t need = strlen(tmp) + 1 + (unreachable ? 13 : 0);
		if (need > len) {
			r = -ERANGE;
		} else {
			snprintf(buf, len, "%s%s", unreachable ? "(unreachable)" : "", tmp);
			r = (int)need;
		}
	}
	free(tmp);
	path_put(&root);
	path_put(&cwd);
	return r;
}
