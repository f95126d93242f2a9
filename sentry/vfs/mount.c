/*
 * mount.c — mounts, the mount tree and the registry of file system types:
 * mount(2), umount2(2), the root mount and /proc/mounts' view.  Every file
 * system registers its type at boot; the VFS names none.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <stdio.h>

#include "lib/lockdep.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- mounts */

static struct vfs_mount *all_mounts; /* under vfs_tree_lock */

struct vfs_mount *mount_new(struct superblock *sb, struct dentry *root, int flags)
{
	struct vfs_mount *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	atomic_init(&m->refs, 1);
	m->sb = sb;
	sb_get(sb);
	m->root = root;
	dentry_get(root);
	m->flags = flags;
	static _Atomic uint64_t next_id = 1;
	m->id = atomic_fetch_add(&next_id, 1);
	atomic_fetch_add(&sb->mounts, 1);
	return m;
}

void mount_get(struct vfs_mount *m)
{
	atomic_fetch_add(&m->refs, 1);
}

void mount_put(struct vfs_mount *m)
{
	if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
		return;
	/* The last mount of a file system: child dentries hold their parents and
	 * the parents' lists hold the children, so break the cycle by dropping
	 * the whole cached tree. */
	if (atomic_fetch_sub(&m->sb->mounts, 1) == 1) {
		vmutex_lock(&vfs_tree_lock);
		struct dentry *top = m->root;
		while (top->parent)
			top = top->parent;
		dcache_prune(top);
		vmutex_unlock(&vfs_tree_lock);
	}
	dentry_put(m->root);
	if (m->mountpoint)
		dentry_put(m->mountpoint);
	if (m->parent)
		mount_put(m->parent);
	sb_put(m->sb);
	free(m->source);
	free(m);
}

void path_get(const struct vfs_path *p)
{
	if (p->mnt)
		mount_get(p->mnt);
	if (p->dentry)
		dentry_get(p->dentry);
}

void path_put(struct vfs_path *p)
{
	if (p->dentry)
		dentry_put(p->dentry);
	if (p->mnt)
		mount_put(p->mnt);
	p->dentry = NULL;
	p->mnt = NULL;
}

void path_set(struct vfs_path *dst, struct vfs_mount *m, struct dentry *d)
{
	mount_get(m);
	dentry_get(d);
	path_put(dst);
	dst->mnt = m;
	dst->dentry = d;
}

bool path_equal(const struct vfs_path *a, const struct vfs_path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

bool vfs_mnt_readonly(const struct vfs_mount *m)
{
	return (m->flags & VFS_MNT_RDONLY) || m->sb->readonly;
}

/* The topmost mount on (m, d), or NULL. Under the lock. */
static struct vfs_mount *mount_on(struct vfs_mount *m, struct dentry *d)
{
	if (!d->mounted)
		return NULL;
	struct vfs_mount *found = NULL;
	/* all_mounts is newest first: the first match is the topmost. */
	for (struct vfs_mount *c = all_mounts; c; c = c->next_all)
		if (c->parent == m && c->mountpoint == d)
			return c;
	return found;
}

void follow_mounts(struct vfs_path *p)
{
	struct vfs_mount *c;
	while ((c = mount_on(p->mnt, p->dentry)))
		path_set(p, c, c->root);
}

/* Attach m on (parent, mountpoint). Under the lock. */
void mount_attach(struct vfs_mount *m, struct vfs_mount *parent, struct dentry *mp)
{
	if (parent) {
		mount_get(parent);
		dentry_get(mp);
		mp->mounted++;
	}
	m->parent = parent;
	m->mountpoint = parent ? mp : NULL;
	mount_get(m); /* the tree's reference */
	m->next_all = all_mounts;
	all_mounts = m;
}

static void mount_detach(struct vfs_mount *m)
{
	struct vfs_mount **pp = &all_mounts;
	while (*pp && *pp != m)
		pp = &(*pp)->next_all;
	if (*pp)
		*pp = m->next_all;
	m->next_all = NULL;
	if (m->mountpoint)
		m->mountpoint->mounted--;
	/* parent and mountpoint references go with the mount itself. */
	mount_put(m);
}

/* ---------------------------------------------------------------- mounting */

/* The file systems mount can make, by name: each registers itself at boot
 * (tmpfs, devfs, goferfs, procfs, sysfs...); the VFS names none. */
struct fs_type {
	char name[32];
	vfs_fs_factory factory;
	bool boot_only; /* made by the Sentry's boot mounts, never by mount(2) */
};
static struct fs_type fs_types[16];
static struct vmutex fs_types_lock = VMUTEX_INITIALIZER(LOCK_CLASS(FS_TYPES));

static int register_fs(const char *fstype, vfs_fs_factory factory, bool boot_only)
{
	int r = -ENOSPC;
	vmutex_lock(&fs_types_lock);
	for (size_t i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]); i++) {
		struct fs_type *ft = &fs_types[i];
		if (!ft->factory || strcmp(ft->name, fstype) == 0) {
			snprintf(ft->name, sizeof(ft->name), "%s", fstype);
			ft->factory = factory;
			ft->boot_only = boot_only;
			r = 0;
			break;
		}
	}
	vmutex_unlock(&fs_types_lock);
	return r;
}

int vfs_register_fs(const char *fstype, vfs_fs_factory factory)
{
	return register_fs(fstype, factory, false);
}

int vfs_register_boot_fs(const char *fstype, vfs_fs_factory factory)
{
	return register_fs(fstype, factory, true);
}

/* A new superblock of fstype: -ENODEV if nobody registered it (or, for
 * mount(2), it is a boot-only type). */
static int make_fs(const char *fstype, const char *source, const char *data, bool from_app,
		   struct superblock **sb, struct dentry **root)
{
	vfs_fs_factory factory = NULL;
	vmutex_lock(&fs_types_lock);
	for (size_t i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]); i++) {
		const struct fs_type *ft = &fs_types[i];
		if (ft->factory && strcmp(ft->name, fstype) == 0 && !(from_app && ft->boot_only))
			factory = ft->factory;
	}
	vmutex_unlock(&fs_types_lock);
	return factory ? factory(source, data, sb, root) : -ENODEV;
}

static int mnt_flags_from_ms(unsigned long flags)
{
	int m = 0;
	if (flags & MS_RDONLY)
		m |= VFS_MNT_RDONLY;
	if (flags & MS_NOSUID)
		m |= VFS_MNT_NOSUID;
	if (flags & MS_NODEV)
		m |= VFS_MNT_NODEV;
	if (flags & MS_NOEXEC)
		m |= VFS_MNT_NOEXEC;
	return m;
}

int vfs_mount_sb(const struct vfs_path *target, struct superblock *sb, struct dentry *root,
		 int mnt_flags, const char *source)
{
	if (!S_ISDIR(target->dentry->inode->mode) && S_ISDIR(root->inode->mode))
		return -ENOTDIR;
	struct vfs_mount *m = mount_new(sb, root, mnt_flags);
	if (!m)
		return -ENOMEM;
	m->source = strdup(source ? source : "none");
	vmutex_lock(&vfs_tree_lock);
	int r = 0;
	if (target->dentry->dead)
		r = -ENOENT;
	else
		mount_attach(m, target->mnt, target->dentry);
	vmutex_unlock(&vfs_tree_lock);
	mount_put(m);
	return r;
}

int vfs_mount(const struct vfs_path *root, const char *target, const char *fstype,
	      const char *source, unsigned long flags, const char *data)
{
	struct vfs_path tp;
	int r = vfs_walk_from(root, NULL, target, VFS_LOOKUP_FOLLOW, &tp);
	if (r < 0)
		return r;
	struct superblock *sb = NULL;
	struct dentry *sroot = NULL;
	r = make_fs(fstype, source, data, false, &sb, &sroot);
	if (r == 0) {
		r = vfs_mount_sb(&tp, sb, sroot, mnt_flags_from_ms(flags), source ? source : fstype);
		dentry_put(sroot);
		sb_put(sb);
	}
	path_put(&tp);
	return r;
}

int vfs_bind(const struct vfs_path *root, const char *source, const char *target,
	     unsigned long flags)
{
	struct vfs_path sp, tp;
	int r = vfs_walk_from(root, NULL, source, VFS_LOOKUP_FOLLOW, &sp);
	if (r < 0)
		return r;
	r = vfs_walk_from(root, NULL, target, VFS_LOOKUP_FOLLOW, &tp);
	if (r == 0) {
		r = vfs_mount_sb(&tp, sp.mnt->sb, sp.dentry, sp.mnt->flags | mnt_flags_from_ms(flags),
				 source);
		path_put(&tp);
	}
	path_put(&sp);
	return r;
}

int vfs_mount_root(const char *fstype, const char *source, unsigned long flags, const char *data,
		   struct vfs_mount **root)
{
	struct superblock *sb;
	struct dentry *d;
	int r = make_fs(fstype, source, data, false, &sb, &d);
	if (r < 0)
		return r;
	struct vfs_mount *m = mount_new(sb, d, mnt_flags_from_ms(flags));
	dentry_put(d);
	sb_put(sb);
	if (!m)
		return -ENOMEM;
	m->source = strdup(source ? source : fstype);
	vmutex_lock(&vfs_tree_lock);
	mount_attach(m, NULL, NULL);
	vmutex_unlock(&vfs_tree_lock);
	*root = m;
	return 0;
}

int vfs_sys_mount(struct task *t, const char *source, const char *target, const char *fstype,
		  unsigned long flags, const char *data)
{
	if (!vfs_capable(vfs_task_creds(t), CAP_SYS_ADMIN))
		return -EPERM;
	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	struct vfs_path tp;
	int r = vfs_walk(t, AT_FDCWD, target, VFS_LOOKUP_FOLLOW, &tp);
	if (r < 0)
		return r;
	if (flags & MS_REMOUNT) {
		/* Remount: only the per-mount flags change (MS_BIND|MS_REMOUNT too). */
		if (tp.dentry != tp.mnt->root) {
			r = -EINVAL;
		} else {
			vmutex_lock(&vfs_tree_lock);
			tp.mnt->flags = mnt_flags_from_ms(flags);
			vmutex_unlock(&vfs_tree_lock);
		}
	} else if (flags & MS_BIND) {
		struct vfs_path sp;
		r = source ? vfs_walk(t, AT_FDCWD, source, VFS_LOOKUP_FOLLOW, &sp) : -EFAULT;
		if (r == 0) {
			r = vfs_mount_sb(&tp, sp.mnt->sb, sp.dentry,
					 sp.mnt->flags | mnt_flags_from_ms(flags), source);
			path_put(&sp);
		}
	} else if (flags & (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)) {
		r = 0; /* one mount namespace, no propagation: every mount is private already */
	} else if (flags & MS_MOVE) {
		r = -EINVAL;
	} else {
		if (!fstype) {
			r = -EINVAL;
		} else {
			struct superblock *sb = NULL;
			struct dentry *sroot = NULL;
			r = make_fs(fstype, source, data, true, &sb, &sroot);
			if (r == 0) {
				r = vfs_mount_sb(&tp, sb, sroot, mnt_flags_from_ms(flags),
						 source ? source : fstype);
				dentry_put(sroot);
				sb_put(sb);
			}
		}
	}
	path_put(&tp);
	return r;
}

int vfs_sys_umount(struct task *t, const char *target, int flags)
{
	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	if (!vfs_capable(vfs_task_creds(t), CAP_SYS_ADMIN))
		return -EPERM;
	struct vfs_path tp;
	int r = vfs_walk(t, AT_FDCWD, target, (flags & UMOUNT_NOFOLLOW) ? 0 : VFS_LOOKUP_FOLLOW,
			 &tp);
	if (r < 0)
		return r;
	vmutex_lock(&vfs_tree_lock);
	struct vfs_mount *m = tp.mnt;
	if (tp.dentry != m->root || !m->parent) {
		r = -EINVAL;
	} else {
		bool has_children = false;
		for (struct vfs_mount *c = all_mounts; c; c = c->next_all)
			if (c->parent == m)
				has_children = true;
		/* refs: the tree's, tp's, and the root's own users.  Busy if anything
		 * else (open files, cwd) holds the mount, unless MNT_DETACH. */
		if (!(flags & MNT_DETACH) && (has_children || atomic_load(&m->refs) > 2))
			r = -EBUSY;
		else
			mount_detach(m);
	}
	vmutex_unlock(&vfs_tree_lock);
	path_put(&tp);
	return r;
}

void vfs_umount_all(void)
{
	vmutex_lock(&vfs_tree_lock);
	while (all_mounts)
		mount_detach(all_mounts);
	vmutex_unlock(&vfs_tree_lock);
}

/* What a sync_fs is given: a directory or a regular file. */
static bool sync_target(const struct inode *ino)
{
	return ino && (S_ISDIR(ino->mode) || S_ISREG(ino->mode));
}

/* m's root, when a sync_fs can be given it. */
static struct inode *sync_inode(struct vfs_mount *m)
{
	struct inode *ino = m->root ? m->root->inode : NULL;
	return sync_target(ino) ? ino : NULL;
}

void vfs_sync_all(void)
{
	/* The mounts are taken under the tree lock and synced after it: a
	 * sync_fs waits for the host. */
	vmutex_lock(&vfs_tree_lock);
	int n = 0;
	for (struct vfs_mount *m = all_mounts; m; m = m->next_all)
		n++;
	struct vfs_mount **v = calloc(n ? n : 1, sizeof(*v));
	int k = 0;
	for (struct vfs_mount *m = all_mounts; v && m; m = m->next_all) {
		if (!m->sb->sync_fs || !sync_inode(m))
			continue;
		bool seen = false;
		for (int i = 0; i < k && !seen; i++)
			seen = v[i]->sb == m->sb;
		if (!seen) {
			mount_get(m);
			v[k++] = m;
		}
	}
	vmutex_unlock(&vfs_tree_lock);
	for (int i = 0; i < k; i++) {
		v[i]->sb->sync_fs(v[i]->sb, sync_inode(v[i]));
		mount_put(v[i]);
	}
	free(v);
}

int vfs_syncfs(struct file *f)
{
	struct inode *ino = f->inode;
	if (!ino || !ino->sb->sync_fs)
		return 0;
	if (!sync_target(ino))
		ino = f->path.mnt ? sync_inode(f->path.mnt) : NULL;
	return ino ? ino->sb->sync_fs(ino->sb, ino) : 0;
}

void vfs_for_each_mount(const struct vfs_path *root,
			void (*fn)(struct vfs_mount *m, const char *path, void *arg), void *arg)
{
	char *buf = malloc(VFS_PATH_MAX);
	if (!buf)
		return;
	vmutex_lock(&vfs_tree_lock);
	/* Oldest first, as /proc/mounts lists them. */
	int n = 0;
	for (struct vfs_mount *m = all_mounts; m; m = m->next_all)
		n++;
	struct vfs_mount **v = calloc(n ? n : 1, sizeof(*v));
	if (v) {
		int i = n;
		for (struct vfs_mount *m = all_mounts; m; m = m->next_all)
			v[--i] = m;
		for (i = 0; i < n; i++) {
			bool unreachable;
			struct vfs_path p = {v[i], v[i]->root};
			if (path_name_locked(&p, root, buf, VFS_PATH_MAX, &unreachable) >= 0 &&
			    !unreachable)
				fn(v[i], buf, arg);
		}
		free(v);
	}
	vmutex_unlock(&vfs_tree_lock);
	free(buf);
}
