/*
 * synth.c — synthetic files for procfs/sysfs: read-only regular files whose
 * content a callback makes at open time (so one read sequence sees one
 * consistent snapshot, as Linux's seq_file gives), symlinks whose target a
 * callback makes at each readlink, and directories with static children
 * plus, optionally, dynamic ones listed and looked up by callbacks (then
 * child dentries are not cached: /proc/<pid> comes and goes).
 *
 * It owns only the mechanism; what /proc shows is sentry/fs/procfs (the
 * kernel's).  Writes to synthetic files are refused (open for write: EACCES)
 * unless the file has a write callback (vfs_synth_set_write), which then
 * answers each write(2) as the Linux file would.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

struct synth_child {
	char *name;
	struct inode *ino;
	struct synth_child *next;
};

struct synth {
	vfs_synth_gen_fn gen;
	vfs_synth_read_fn raw_read;
	vfs_synth_write_fn write;
	vfs_synth_file_fn file;
	vfs_synth_link_fn link;
	vfs_synth_list_fn list;
	vfs_synth_lookup_fn lookup;
	vfs_synth_unlink_fn unlink;
	vfs_synth_access_fn access;
	void *arg;
	void (*free_arg)(void *);
	struct synth_child *children; /* static children, in order; under ino->lock */
};

/* An open generated file: the snapshot. */
struct synth_open {
	char *data;
	size_t len;
};

static struct synth *S(struct inode *ino)
{
	return ino->priv;
}

struct superblock *vfs_synth_sb_new(const char *fstype, uint32_t magic)
{
	return sb_new(fstype, magic);
}

static void synth_evict(struct inode *ino)
{
	struct synth *s = S(ino);
	if (!s)
		return;
	struct synth_child *c = s->children;
	while (c) {
		struct synth_child *n = c->next;
		inode_put(c->ino);
		free(c->name);
		free(c);
		c = n;
	}
	if (s->free_arg)
		s->free_arg(s->arg);
	free(s);
}

/* ---- files ---- */

static ssize_t synth_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	struct synth_open *o = f->priv;
	if (*pos >= o->len)
		return 0;
	size_t n = o->len - *pos < len ? o->len - *pos : len;
	memcpy(buf, o->data + *pos, n);
	*pos += n;
	return n;
}

static ssize_t synth_write(struct task *t, struct file *f, const void *buf, size_t len,
			   uint64_t *pos)
{
	struct synth *s = S(f->inode);
	ssize_t n = s->write(t, s->arg, buf, len, *pos);
	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

static void synth_release(struct file *f)
{
	struct synth_open *o = f->priv;
	if (o) {
		free(o->data);
		free(o);
	}
}

static const struct file_ops synth_file_fops = {
	.read = synth_read,
	.write = synth_write,
	.release = synth_release,
};

static int synth_access(struct task *t, struct inode *ino)
{
	return S(ino)->access && t ? S(ino)->access(t, S(ino)->arg) : 0;
}

void vfs_synth_set_access(struct inode *ino, vfs_synth_access_fn fn) { S(ino)->access = fn; }

static int synth_file_open(struct task *t, struct inode *ino, struct file *f)
{
	if (f->writable && !S(ino)->write)
		return -EACCES;
	int denied = synth_access(t, ino);
	if (denied)
		return denied;
	struct synth_open *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->data = S(ino)->gen(t, S(ino)->arg, &o->len);
	if (!o->data) {
		free(o);
		return -ENOENT;
	}
	f->priv = o;
	f->ops = &synth_file_fops;
	return 0;
}

/* As Linux's proc files (proc_sys_setattr, proc_setattr with no size
 * check): a size change, what open(O_TRUNC) asks, is accepted and does
 * nothing, so `echo 100 > /proc/sys/kernel/msgmni` works. */
static int synth_file_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
	return 0;
}

static const struct inode_ops synth_file_iops = {
	.open = synth_file_open,
	.setattr = synth_file_setattr,
	.evict = synth_evict,
};

static struct inode *synth_inode(struct superblock *sb, uint32_t mode, const struct inode_ops *ops,
				 void *arg, void (*free_arg)(void *))
{
	struct inode *ino = inode_new(sb, mode);
	if (!ino)
		return NULL;
	struct synth *s = calloc(1, sizeof(*s));
	if (!s) {
		inode_put(ino);
		return NULL;
	}
	s->arg = arg;
	s->free_arg = free_arg;
	ino->priv = s;
	ino->ops = ops;
	return ino;
}

struct inode *vfs_synth_file_new(struct superblock *sb, uint32_t mode, vfs_synth_gen_fn gen,
				 void *arg, void (*free_arg)(void *))
{
	struct inode *ino = synth_inode(sb, S_IFREG | (mode & 07777), &synth_file_iops, arg,
					free_arg);
	if (ino)
		S(ino)->gen = gen;
	return ino;
}

void vfs_synth_set_write(struct inode *ino, vfs_synth_write_fn fn)
{
	S(ino)->write = fn;
}

/* Raw files: every read and write goes to the callbacks. */
static ssize_t synth_raw_read(struct task *t, struct file *f, void *buf, size_t len,
			      uint64_t *pos)
{
	struct synth *s = S(f->inode);
	ssize_t n = s->raw_read(t, s->arg, buf, len, *pos);
	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

static const struct file_ops synth_raw_fops = {
	.read = synth_raw_read,
	.write = synth_write,
};

static int synth_raw_open(struct task *t, struct inode *ino, struct file *f)
{
	if (f->writable && !S(ino)->write)
		return -EACCES;
	int denied = synth_access(t, ino);
	if (denied)
		return denied;
	f->ops = &synth_raw_fops;
	return 0;
}

static const struct inode_ops synth_raw_iops = {
	.open = synth_raw_open,
	.evict = synth_evict,
};

struct inode *vfs_synth_raw_new(struct superblock *sb, uint32_t mode, vfs_synth_read_fn read_fn,
				vfs_synth_write_fn write_fn, void *arg, void (*free_arg)(void *))
{
	struct inode *ino = synth_inode(sb, S_IFREG | (mode & 07777), &synth_raw_iops, arg,
					free_arg);
	if (ino) {
		S(ino)->raw_read = read_fn;
		S(ino)->write = write_fn;
	}
	return ino;
}

/* ---- symlinks ---- */

static ssize_t synth_readlink(struct task *t, struct inode *ino, char *buf, size_t len)
{
	int denied = synth_access(t, ino);
	if (denied)
		return denied;
	char *target = S(ino)->link(t, S(ino)->arg);
	if (!target)
		return -ENOENT;
	size_t n = strlen(target);
	if (n > len)
		n = len;
	memcpy(buf, target, n);
	free(target);
	return n;
}

static const struct inode_ops synth_link_iops = {
	.readlink = synth_readlink,
	.evict = synth_evict,
};

struct inode *vfs_synth_symlink_new(struct superblock *sb, vfs_synth_link_fn fn, void *arg,
				    void (*free_arg)(void *))
{
	struct inode *ino = synth_inode(sb, S_IFLNK | 0777, &synth_link_iops, arg, free_arg);
	if (ino)
		S(ino)->link = fn;
	return ino;
}

/* ---- magic links ---- */

static struct file *synth_magic_file(struct task *t, struct inode *ino)
{
	return S(ino)->file(t, S(ino)->arg);
}

static ssize_t synth_magic_readlink(struct task *t, struct inode *ino, char *buf, size_t len)
{
	int denied = synth_access(t, ino);
	if (denied)
		return denied;
	struct file *f = S(ino)->file(t, S(ino)->arg);
	if (!f)
		return -ENOENT;
	struct vfs_path root = {0};
	if (t && t->fs)
		fs_context_root(t->fs, &root);
	char *d = NULL;
	if (root.mnt)
		d = file_describe(f, &root);
	else
		d = strdup(f->anon_name ? f->anon_name : "anon_inode:[unknown]");
	path_put(&root);
	file_put(f);
	if (!d)
		return -ENOMEM;
	size_t n = strlen(d);
	if (n > len)
		n = len;
	memcpy(buf, d, n);
	free(d);
	return n;
}

static const struct inode_ops synth_magic_iops = {
    .readlink = synth_magic_readlink,
    .magic_file = synth_magic_file,
    .access = synth_access,
    .evict = synth_evict,
};

struct inode *vfs_synth_magiclink_new(struct superblock *sb, vfs_synth_file_fn fn, void *arg,
				      void (*free_arg)(void *))
{
	struct inode *ino = synth_inode(sb, S_IFLNK | 0777, &synth_magic_iops, arg, free_arg);
	if (ino)
		S(ino)->file = fn;
	return ino;
}

/* ---- directories ---- */

static int synth_lookup(struct task *t, struct inode *dir, const char *name, struct inode **out)
{
	struct synth *s = S(dir);
	vmutex_lock(&dir->lock);
	for (struct synth_child *c = s->children; c; c = c->next) {
		if (strcmp(c->name, name) == 0) {
			inode_get(c->ino);
			*out = c->ino;
			vmutex_unlock(&dir->lock);
			return 0;
		}
	}
	vmutex_unlock(&dir->lock);
	if (s->lookup)
		return s->lookup(t, s->arg, name, out);
	return -ENOENT;
}

/* Listing: static children get cookies 2..n+1, dynamic ones follow in the
 * callback's order.  The dynamic list is produced afresh on each call and
 * entries before the cookie skipped, which is what procfs does too. */
struct synth_list_ctx {
	struct dir_ctx *ctx;
	uint64_t idx;
	bool stop;
	uint64_t ino_base;
};

static int synth_list_emit(void *arg, const char *name, unsigned int type)
{
	struct synth_list_ctx *lc = arg;
	if (lc->stop)
		return 1;
	uint64_t idx = lc->idx++;
	if (idx < lc->ctx->pos)
		return 0;
	/* An inode number stable enough for ls: hash of the name. */
	uint64_t h = 1469598103934665603ULL;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	if (dir_emit(lc->ctx, name, (h & 0xffffffff) | 0x100000000ULL, type, idx + 1)) {
		lc->stop = true;
		return 1;
	}
	return 0;
}

static int synth_readdir(struct task *t, struct file *f, struct dir_ctx *ctx)
{
	if (dir_emit_dots(f, ctx))
		return 0;
	struct inode *dir = f->inode;
	struct synth *s = S(dir);
	uint64_t idx = 2;
	vmutex_lock(&dir->lock);
	for (struct synth_child *c = s->children; c; c = c->next, idx++) {
		if (idx < ctx->pos)
			continue;
		char name[VFS_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%s", c->name);
		uint64_t ino = c->ino->ino;
		unsigned int type = IFTODT(c->ino->mode);
		vmutex_unlock(&dir->lock);
		if (dir_emit(ctx, name, ino, type, idx + 1))
			return 0;
		vmutex_lock(&dir->lock);
	}
	vmutex_unlock(&dir->lock);
	if (s->list) {
		struct synth_list_ctx lc = {.ctx = ctx, .idx = idx};
		s->list(t, s->arg, synth_list_emit, &lc);
	}
	return 0;
}

static const struct file_ops synth_dir_fops = {
	.readdir = synth_readdir,
};

/* A dynamic directory's unlink(2), when its owner offers one (the mqueue
 * mount); else EPERM, as the VFS answers for a directory without it. */
static int synth_unlink(struct inode *dir, const char *name, struct inode *victim)
{
	struct synth *s = S(dir);
	return s->unlink ? s->unlink(current, s->arg, name) : -EPERM;
}

void vfs_synth_set_unlink(struct inode *dir, vfs_synth_unlink_fn fn)
{
	S(dir)->unlink = fn;
}

static const struct inode_ops synth_dir_iops = {
	.lookup = synth_lookup,
	.unlink = synth_unlink,
	.evict = synth_evict,
};

struct inode *vfs_synth_dir_new(struct superblock *sb, uint32_t mode, vfs_synth_list_fn list,
				vfs_synth_lookup_fn lookup, void *arg, void (*free_arg)(void *))
{
	struct inode *ino = synth_inode(sb, S_IFDIR | (mode & 07777), &synth_dir_iops, arg,
					free_arg);
	if (!ino)
		return NULL;
	S(ino)->list = list;
	S(ino)->lookup = lookup;
	ino->fops = &synth_dir_fops;
	if (list || lookup)
		ino->flags |= VFS_INODE_NOCACHE;
	return ino;
}

void *vfs_synth_dir_arg(struct inode *ino, void (*free_arg)(void *))
{
	if (!ino || ino->ops != &synth_dir_iops || !free_arg || S(ino)->free_arg != free_arg)
		return NULL;
	return S(ino)->arg;
}

int vfs_synth_dir_add(struct inode *dir, const char *name, struct inode *child)
{
	if (dir->ops != &synth_dir_iops)
		return -ENOTDIR;
	struct synth_child *c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(name))) {
		free(c);
		inode_put(child);
		return -ENOMEM;
	}
	c->ino = child;
	vmutex_lock(&dir->lock);
	struct synth_child **pp = &S(dir)->children;
	while (*pp)
		pp = &(*pp)->next;
	*pp = c;
	if (S_ISDIR(child->mode))
		dir->nlink++;
	vmutex_unlock(&dir->lock);
	return 0;
}

void vfs_synth_set_owner(struct inode *ino, uint32_t uid, uint32_t gid)
{
	vmutex_lock(&ino->lock);
	ino->uid = uid;
	ino->gid = gid;
	vmutex_unlock(&ino->lock);
}

void vfs_synth_set_owner_tree(struct inode *dir, uint32_t uid, uint32_t gid, bool open_dirs_only)
{
	if (!open_dirs_only || dir->mode == (S_IFDIR | 0555))
		vfs_synth_set_owner(dir, uid, gid);
	if (!S_ISDIR(dir->mode) || dir->ops != &synth_dir_iops)
		return;
	/* Not published yet: nobody else reaches the list, so no lock is held
	 * across the children's (which would be two inode locks). */
	for (struct synth_child *c = S(dir)->children; c; c = c->next)
		vfs_synth_set_owner_tree(c->ino, uid, gid, open_dirs_only);
}
