/*
 * vfs.c — the VFS core: inodes, superblocks, dentries, mounts, path walking,
 * permissions and the namespace operations (open/create, mkdir, unlink,
 * rmdir, rename, link, symlink, readlink, stat, setattr, chdir, chroot,
 * getcwd).
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
#include <linux/fs.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <stdio.h>
#include <unistd.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* Recursive: a last mount_put (which prunes the dentry cache) can happen
 * inside a walk that already holds it. */
pthread_mutex_t vfs_tree_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* ---------------------------------------------------------------- creds */

/* The creds helpers are read directly from the struct so that the VFS
 * needs nothing from sentry/kernel but the structure (task.h). */
bool vfs_capable(const struct creds *c, int cap)
{
	if (!c)
		return true;
	return (c->cap_effective >> cap) & 1;
}

static bool in_group(const struct creds *c, uint32_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

bool vfs_creds_in_group(const struct creds *c, uint32_t gid)
{
	return !c || in_group(c, gid);
}

uint32_t vfs_fsuid(const struct creds *c)
{
	return c ? c->fsuid : 0;
}

uint32_t vfs_fsgid(const struct creds *c)
{
	return c ? c->fsgid : 0;
}

const struct creds *vfs_task_creds(struct task *t)
{
	return t ? t->creds : NULL;
}

/* As Linux generic_permission + capable_wrt_inode_uidgid. */
int vfs_permission(const struct creds *c, struct inode *ino, int may)
{
	if (!c)
		return 0;
	pthread_mutex_lock(&ino->lock);
	uint32_t mode = ino->mode, uid = ino->uid, gid = ino->gid;
	pthread_mutex_unlock(&ino->lock);
	uint32_t bits;
	if (c->fsuid == uid)
		bits = (mode >> 6) & 7;
	else if (in_group(c, gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	if ((bits & may) == (uint32_t)may)
		return 0;
	bool isdir = S_ISDIR(mode);
	/* CAP_DAC_READ_SEARCH: read anything, search directories. */
	if (vfs_capable(c, CAP_DAC_READ_SEARCH)) {
		if (!(may & ~(VFS_MAY_READ | (isdir ? VFS_MAY_EXEC : 0))))
			return 0;
	}
	/* CAP_DAC_OVERRIDE: everything but executing a file with no x bit. */
	if (vfs_capable(c, CAP_DAC_OVERRIDE)) {
		if (!(may & VFS_MAY_EXEC) || isdir || (mode & 0111))
			return 0;
	}
	return -EACCES;
}

/* ---------------------------------------------------------------- inodes */

static struct timespec now_ts(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

struct inode *inode_new(struct superblock *sb, uint32_t mode)
{
	struct inode *ino = calloc(1, sizeof(*ino));
	if (!ino)
		return NULL;
	atomic_init(&ino->refs, 1);
	pthread_mutex_init(&ino->lock, NULL);
	ino->mode = mode;
	ino->special_ops = vfs_special_ops(mode);
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	ino->blksize = 4096;
	ino->atime = ino->mtime = ino->ctime = now_ts();
	ino->sb = sb;
	if (sb) {
		sb_get(sb);
		ino->ino = atomic_fetch_add(&sb->next_ino, 1);
	}
	return ino;
}

void inode_get(struct inode *ino)
{
	atomic_fetch_add(&ino->refs, 1);
}

void inode_put(struct inode *ino)
{
	if (!ino || atomic_fetch_sub(&ino->refs, 1) != 1)
		return;
	if (ino->ops && ino->ops->evict)
		ino->ops->evict(ino);
	if (ino->special && ino->special_ops && ino->special_ops->evict)
		ino->special_ops->evict(ino);
	vfs_locks_free(ino);
	struct superblock *sb = ino->sb;
	pthread_mutex_destroy(&ino->lock);
	free(ino);
	if (sb)
		sb_put(sb);
}

void inode_touch(struct inode *ino, int which)
{
	struct timespec ts = now_ts();
	pthread_mutex_lock(&ino->lock);
	if (which & VFS_TOUCH_A)
		ino->atime = ts;
	if (which & VFS_TOUCH_M)
		ino->mtime = ts;
	if (which & VFS_TOUCH_C)
		ino->ctime = ts;
	pthread_mutex_unlock(&ino->lock);
}

void inode_fill_stat(struct inode *ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&ino->lock);
	st->st_dev = ino->sb ? ino->sb->dev : 0;
	st->st_ino = ino->ino;
	st->st_mode = ino->mode;
	st->st_nlink = ino->nlink;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = ino->rdev;
	st->st_size = ino->size;
	st->st_blksize = ino->blksize ? ino->blksize : 4096;
	st->st_blocks = ino->blocks ? ino->blocks : (ino->size + 511) / 512;
	st->st_atim = ino->atime;
	st->st_mtim = ino->mtime;
	st->st_ctim = ino->ctime;
	pthread_mutex_unlock(&ino->lock);
}

/* ---------------------------------------------------------------- superblocks */

static _Atomic uint32_t next_anon_dev = 1;

struct superblock *sb_new(const char *fstype, uint32_t magic)
{
	struct superblock *sb = calloc(1, sizeof(*sb));
	if (!sb)
		return NULL;
	atomic_init(&sb->refs, 1);
	sb->fstype = fstype;
	sb->magic = magic;
	sb->dev = makedev(0, atomic_fetch_add(&next_anon_dev, 1));
	atomic_init(&sb->next_ino, 1);
	return sb;
}

void sb_get(struct superblock *sb)
{
	atomic_fetch_add(&sb->refs, 1);
}

void sb_put(struct superblock *sb)
{
	if (!sb || atomic_fetch_sub(&sb->refs, 1) != 1)
		return;
	if (sb->release)
		sb->release(sb);
	free(sb);
}

/* ---------------------------------------------------------------- dentries */

struct dentry *dentry_new(struct dentry *parent, const char *name, struct inode *ino)
{
	struct dentry *d = dentry_new_take(parent, name, ino);
	if (d)
		inode_get(ino);
	return d;
}

struct dentry *dentry_new_take(struct dentry *parent, const char *name, struct inode *ino)
{
	struct dentry *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->name = strdup(name);
	if (!d->name) {
		free(d);
		return NULL;
	}
	atomic_init(&d->refs, 1);
	d->parent = parent;
	if (parent)
		dentry_get(parent);
	d->inode = ino;
	return d;
}

void dentry_get(struct dentry *d)
{
	atomic_fetch_add(&d->refs, 1);
}

void dentry_put(struct dentry *d)
{
	while (d && atomic_fetch_sub(&d->refs, 1) == 1) {
		struct dentry *parent = d->parent;
		inode_put(d->inode);
		free(d->name);
		free(d);
		d = parent;
	}
}

/*
 * The dentry cache, all under vfs_tree_lock: each cached dentry is on its
 * parent's child list (for rmdir/unmount pruning), in a hash table on
 * (parent, name) (lookups in big directories stay O(1)), and on an LRU
 * list.  When more than dcache_max dentries are cached, unused leaves
 * (only the cache holds them, no cached children, no mount on them) are
 * dropped oldest first: a goferfs dentry holds a Gofer fid, and the Gofer
 * has a bounded fid table, so `find /` over a big image must not keep them
 * all.  Dropping is always safe: the file system is the truth and a later
 * lookup makes the dentry again.
 */
#define DCACHE_BUCKETS 16384
static struct dentry *dcache_hash[DCACHE_BUCKETS];
static struct dentry lru_head = {.lru_next = &lru_head, .lru_prev = &lru_head};
static unsigned long dcache_count;
static unsigned long dcache_max = 8192;

void vfs_dcache_set_max(unsigned long max)
{
	pthread_mutex_lock(&vfs_tree_lock);
	dcache_max = max;
	pthread_mutex_unlock(&vfs_tree_lock);
}

unsigned long vfs_dcache_count(void)
{
	pthread_mutex_lock(&vfs_tree_lock);
	unsigned long n = dcache_count;
	pthread_mutex_unlock(&vfs_tree_lock);
	return n;
}

static size_t dcache_bucket(const struct dentry *dir, const char *name)
{
	uint64_t h = (uint64_t)(uintptr_t)dir * 0x9e3779b97f4a7c15ULL;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)(h >> 32) % DCACHE_BUCKETS;
}

static void lru_unlink(struct dentry *d)
{
	d->lru_prev->lru_next = d->lru_next;
	d->lru_next->lru_prev = d->lru_prev;
	d->lru_next = d->lru_prev = NULL;
}

static void lru_append(struct dentry *d)
{
	d->lru_prev = lru_head.lru_prev;
	d->lru_next = &lru_head;
	lru_head.lru_prev->lru_next = d;
	lru_head.lru_prev = d;
}

/* Under vfs_tree_lock. */
static struct dentry *dcache_find(struct dentry *dir, const char *name)
{
	for (struct dentry *c = dcache_hash[dcache_bucket(dir, name)]; c; c = c->hash_next) {
		if (c->parent == dir && !c->dead && strcmp(c->name, name) == 0) {
			lru_unlink(c);
			lru_append(c);
			return c;
		}
	}
	return NULL;
}

void dcache_remove(struct dentry *d);

/* A cache hit, revalidated with the fs when it asks for it: NULL when the
 * name is no longer right (the stale dentry leaves the cache; whoever holds
 * it keeps it). */
static struct dentry *dcache_find_valid(struct task *t, struct dentry *dir, const char *name)
{
	struct dentry *d = dcache_find(dir, name);
	if (d && d->inode->ops && d->inode->ops->revalidate && !d->mounted &&
	    d->inode->ops->revalidate(t, dir->inode, name, d->inode) != 0) {
		dcache_remove(d);
		return NULL;
	}
	return d;
}

static void dcache_shrink_to(unsigned long max)
{
	/* Bounded work per insert: look at most at twice the excess. */
	unsigned long excess = dcache_count > max ? dcache_count - max : 0;
	unsigned long budget = 2 * excess + 8;
	struct dentry *d = lru_head.lru_next;
	while (excess && budget-- && d != &lru_head) {
		struct dentry *next = d->lru_next;
		if (atomic_load(&d->refs) == 1 && !d->children && !d->mounted) {
			dcache_remove(d);
			excess--;
		}
		d = next;
	}
}

/* A file system lookup, retried once after halving the cache when the
 * backing store is out of handles (the Gofer's fd table: EMFILE/ENFILE). */
static int fs_lookup(struct task *t, struct inode *dir, const char *name, struct inode **out)
{
	int r = dir->ops->lookup(t, dir, name, out);
	if (r == -EMFILE || r == -ENFILE) {
		dcache_shrink_to(dcache_count / 2);
		r = dir->ops->lookup(t, dir, name, out);
	}
	return r;
}

/* Insert d into the cache (the cache takes a reference). Under the lock. */
void dcache_insert(struct dentry *dir, struct dentry *d)
{
	if (dir->inode->flags & VFS_INODE_NOCACHE)
		return;
	dentry_get(d);
	d->sibling = dir->children;
	dir->children = d;
	size_t b = dcache_bucket(dir, d->name);
	d->hash_next = dcache_hash[b];
	dcache_hash[b] = d;
	lru_append(d);
	d->cached = true;
	dcache_count++;
	if (dcache_count > dcache_max)
		dcache_shrink_to(dcache_max);
}

/* Take d out of the cache and drop the cache's reference. */
void dcache_remove(struct dentry *d)
{
	if (!d->cached)
		return;
	struct dentry **pp = &d->parent->children;
	while (*pp && *pp != d)
		pp = &(*pp)->sibling;
	if (*pp)
		*pp = d->sibling;
	d->sibling = NULL;
	pp = &dcache_hash[dcache_bucket(d->parent, d->name)];
	while (*pp && *pp != d)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = d->hash_next;
	d->hash_next = NULL;
	lru_unlink(d);
	d->cached = false;
	dcache_count--;
	dentry_put(d);
}

/* Drop every cached child of d recursively (unmounting a whole fs). */
static void dcache_prune(struct dentry *d)
{
	while (d->children) {
		struct dentry *c = d->children;
		dcache_prune(c);
		c->dead = true;
		dcache_remove(c);
	}
}

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
		pthread_mutex_lock(&vfs_tree_lock);
		struct dentry *top = m->root;
		while (top->parent)
			top = top->parent;
		dcache_prune(top);
		pthread_mutex_unlock(&vfs_tree_lock);
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

static void path_set(struct vfs_path *dst, struct vfs_mount *m, struct dentry *d)
{
	mount_get(m);
	dentry_get(d);
	path_put(dst);
	dst->mnt = m;
	dst->dentry = d;
}

static bool path_equal(const struct vfs_path *a, const struct vfs_path *b)
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

static void follow_mounts(struct vfs_path *p)
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

/* ---------------------------------------------------------------- walking */

struct walk {
	struct task *t;
	const struct creds *creds;
	struct vfs_path root;
	struct vfs_path cur;
	int nlinks;
	char *scratch; /* VFS_PATH_MAX+1 bytes for readlink, made at the first link */
};

static void walk_done(struct walk *w)
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
	return 0;
}

static void walk_dotdot(struct walk *w)
{
	for (;;) {
		if (path_equal(&w->cur, &w->root))
			return;
		if (w->cur.dentry == w->cur.mnt->root) {
			struct vfs_mount *m = w->cur.mnt;
			if (!m->parent)
				return;
			path_set(&w->cur, m->parent, m->mountpoint);
			continue;
		}
		struct dentry *p = w->cur.dentry->parent;
		if (!p)
			return;
		path_set(&w->cur, w->cur.mnt, p);
		follow_mounts(&w->cur);
		return;
	}
}

static bool is_dir(const struct vfs_path *p)
{
	return S_ISDIR(p->dentry->inode->mode);
}

static bool is_symlink(const struct dentry *d)
{
	return S_ISLNK(d->inode->mode);
}

static int walk_components(struct walk *w, const char *path, bool follow_last);

/* Where a magic link leads: the open file's own path (or, for anonymous
 * files, its dentry in the internal anon mount). */
static int magic_target(struct walk *w, struct inode *li, struct vfs_path *out)
{
	struct file *f = li->ops->magic_file(w->t, li);
	if (!f)
		return -ENOENT;
	const struct vfs_path *p = f->path.mnt ? &f->path : &f->anon;
	int r = -ENXIO; /* sockets and inode-less files cannot be reopened, as Linux */
	if (p->mnt) {
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
	if (path[0] == '/')
		path_set(&w->cur, w->root.mnt, w->root.dentry);
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

		if (!is_dir(&w->cur))
			return -ENOTDIR;
		int r = vfs_permission(w->creds, w->cur.dentry->inode, VFS_MAY_EXEC);
		if (r < 0)
			return r;
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			walk_dotdot(w);
			continue;
		}
		struct vfs_path next = {0};
		r = lookup_child(w, &w->cur, name, &next);
		if (r < 0)
			return r;
		if (is_symlink(next.dentry) && (!last || follow_last || trailing_slash)) {
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
static int walk_init(struct walk *w, struct task *t, int dirfd, const char *path)
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

/* The whole lookup for vfs_walk & co., under the lock. */
static int walk_locked(struct walk *w, const char *path, int flags, struct vfs_path *out)
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
		if (path[0] != '/' && !is_dir(&w->cur))
			return -ENOTDIR;
		int r = walk_components(w, path, flags & VFS_LOOKUP_FOLLOW);
		if (r < 0)
			return r;
	}
	if ((flags & VFS_LOOKUP_DIRECTORY) && !is_dir(&w->cur))
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
	pthread_mutex_lock(&vfs_tree_lock);
	r = walk_locked(&w, path, flags, out);
	pthread_mutex_unlock(&vfs_tree_lock);
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
	pthread_mutex_lock(&vfs_tree_lock);
	int r = walk_locked(&w, path, flags, out);
	pthread_mutex_unlock(&vfs_tree_lock);
	walk_done(&w);
	return r;
}

enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

struct parent_walk {
	struct vfs_path dir;
	char name[VFS_NAME_MAX + 1];
	enum last_type type;
	bool trailing_slash;
};

/* Walk all but the last component of path (under the lock). */
static int walk_parent_locked(struct walk *w, const char *path, struct parent_walk *pw)
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
	if (!is_dir(&w->cur))
		return -ENOTDIR;
	pw->dir = w->cur;
	path_get(&pw->dir);
	return 0;
}

/* Look up the last component of a parent walk: 0 with *out, or -ENOENT. The
 * search permission on the directory is checked first (EACCES). */
static int lookup_last(struct walk *w, struct parent_walk *pw, struct vfs_path *out)
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
		walk_dotdot(&w2);
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
	pthread_mutex_lock(&t->fs->lock);
	uint32_t u = t->fs->umask;
	pthread_mutex_unlock(&t->fs->lock);
	return u;
}

static void dir_changed(struct inode *dir)
{
	inode_touch(dir, VFS_TOUCH_M | VFS_TOUCH_C);
}

/* ---------------------------------------------------------------- open */

/*
 * O_TMPFILE: an unnamed regular file in the directory path.  Made generically
 * (any fs with create and unlink): create under a private name and unlink it
 * at once, under vfs_tree_lock, so no one can see the name.  As Linux: the
 * access mode must allow writing (EINVAL), the directory must be writable.
 * Linking it back with linkat(AT_EMPTY_PATH) is not supported (ENOENT).
 */
static int vfs_open_tmpfile(struct task *t, int dirfd, const char *path, int flags,
			    uint32_t mode, struct file **out)
{
	static _Atomic unsigned long counter;
	int acc = flags & O_ACCMODE;
	if (acc != O_WRONLY && acc != O_RDWR)
		return -EINVAL;
	struct walk w;
	int r = walk_init(&w, t, dirfd, path);
	if (r < 0)
		return r;
	struct vfs_path dir = {0}, fp = {0};
	pthread_mutex_lock(&vfs_tree_lock);
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
	pthread_mutex_unlock(&vfs_tree_lock);
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
	/* __O_TMPFILE includes O_DIRECTORY's bit: compare the whole value. */
	if ((flags & __O_TMPFILE) == __O_TMPFILE)
		return vfs_open_tmpfile(t, dirfd, path, flags, mode, out);
	struct walk w;
	int r = walk_init(&w, t, dirfd, path);
	if (r < 0)
		return r;
	struct vfs_path target = {0};
	struct parent_walk pw = {0};
	pthread_mutex_lock(&vfs_tree_lock);
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
	for (;;) {
		r = lookup_last(&w, &pw, &target);
		if (r == -ENOENT) {
			/* Make it: EROFS before EACCES (lookup_open in Linux). */
			struct inode *di = pw.dir.dentry->inode;
			if (vfs_mnt_readonly(pw.dir.mnt)) {
				r = -EROFS;
				goto opened;
			}
			r = may_create(&w, di);
			if (r < 0)
				goto opened;
			if (pw.dir.dentry->dead) {
				r = -ENOENT;
				goto opened;
			}
			if (!di->ops || !di->ops->create) {
				r = -EACCES;
				goto opened;
			}
			uint32_t m = S_IFREG | (mode & 07777 & ~task_umask(t)), uid, gid;
			new_owner(&w, di, &m, &uid, &gid);
			struct inode *ino = NULL;
			r = di->ops->create(di, pw.name, m, uid, gid, &ino);
			if (r < 0)
				goto opened;
			struct dentry *d = dentry_new_take(pw.dir.dentry, pw.name, ino);
			if (!d) {
				inode_put(ino);
				r = -ENOMEM;
				goto opened;
			}
			dcache_insert(pw.dir.dentry, d);
			dir_changed(di);
			target.mnt = pw.dir.mnt;
			mount_get(target.mnt);
			target.dentry = d;
			/* A file we just made: no permission check on open, no truncation. */
			flags &= ~O_TRUNC;
			pthread_mutex_unlock(&vfs_tree_lock);
			r = vfs_open_new(t, &target, flags, out, true);
			goto out_unlocked;
		}
		if (r < 0)
			goto opened;
		if (flags & O_EXCL) {
			r = -EEXIST;
			goto opened;
		}
		follow_mounts(&target);
		if (is_symlink(target.dentry) && !(flags & O_NOFOLLOW) &&
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
		if (is_symlink(target.dentry)) {
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
		if (is_dir(&target)) {
			r = -EISDIR;
			goto opened;
		}
		break;
	}
opened:
	pthread_mutex_unlock(&vfs_tree_lock);
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

static int create_finish(struct parent_walk *pw, struct inode *ino)
{
	struct dentry *d = dentry_new_take(pw->dir.dentry, pw->name, ino);
	if (!d) {
		inode_put(ino);
		return -ENOMEM;
	}
	dcache_insert(pw->dir.dentry, d);
	dentry_put(d);
	dir_changed(pw->dir.dentry->inode);
	return 0;
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
	pthread_mutex_lock(&vfs_tree_lock);
	r = create_prepare(&w, path, &pw, is_dir);
	if (r == 0)
		r = fn(&w, &pw, arg);
	pthread_mutex_unlock(&vfs_tree_lock);
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
		r = create_finish(pw, ino);
	return r;
}

int vfs_mknodat(struct task *t, int dirfd, const char *path, uint32_t mode, uint64_t dev)
{
	uint32_t type = mode & S_IFMT;
	if (type == 0)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EPERM;
	if (type != S_IFREG && type != S_IFCHR && type != S_IFBLK && type != S_IFIFO &&
	    type != S_IFSOCK)
		return -EINVAL;
	struct mknod_arg a = {.type = type, .mode = mode, .dev = dev};
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
	pthread_mutex_lock(&vfs_tree_lock);
	r = walk_parent_locked(&w, path, &pw);
	if (r == 0)
		r = fn(&w, &pw, &victim);
	pthread_mutex_unlock(&vfs_tree_lock);
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
		victim->dentry->dead = true;
		dcache_remove(victim->dentry);
		dir_changed(di);
		inode_touch(victim->dentry->inode, VFS_TOUCH_C);
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
		dir_changed(di);
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
	pthread_mutex_lock(&vfs_tree_lock);
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
	dir_changed(odi);
	if (ndi != odi)
		dir_changed(ndi);
	inode_touch(src.dentry->inode, VFS_TOUCH_C);
out:
	pthread_mutex_unlock(&vfs_tree_lock);
	path_put(&src);
	path_put(&dst);
	path_put(&opw.dir);
	path_put(&npw.dir);
	walk_done(&ow);
	walk_done(&nw);
	return r;
}

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
	inode_fill_stat(p.dentry->inode, st);
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
		pthread_mutex_lock(&vfs_tree_lock);
		r = walk_locked(&w, path, (flags & AT_SYMLINK_NOFOLLOW) ? 0 : VFS_LOOKUP_FOLLOW,
				&p);
		pthread_mutex_unlock(&vfs_tree_lock);
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
	return vfs_setattr_raw(ino, sa);
}

int vfs_setattr_raw(struct inode *ino, struct vfs_setattr *sa)
{
	struct timespec now = now_ts();
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
	pthread_mutex_lock(&ino->lock);
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
	pthread_mutex_unlock(&ino->lock);
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
	if (r == 0) {
		struct vfs_setattr sa = {.valid = VFS_ATTR_SIZE, .size = (uint64_t)len};
		r = vfs_setattr_raw(ino, &sa);
	}
	path_put(&p);
	return r;
}

/* ---------------------------------------------------------------- cwd, root */

/* Make p (its reference is taken over) the task's cwd or root: slot is
 * &t->fs->cwd or &t->fs->root. */
static void fs_set_path(struct task *t, struct vfs_path *slot, struct vfs_path p)
{
	pthread_mutex_lock(&t->fs->lock);
	struct vfs_path old = *slot;
	*slot = p;
	pthread_mutex_unlock(&t->fs->lock);
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
static int path_name_locked(const struct vfs_path *p, const struct vfs_path *root, char *buf,
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
	pthread_mutex_lock(&vfs_tree_lock);
	int r = path_name_locked(p, root, buf, len, &unreachable);
	pthread_mutex_unlock(&vfs_tree_lock);
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
		pthread_mutex_lock(&vfs_tree_lock);
		bool dead = false;
		for (struct dentry *d = cwd.dentry; d; d = d->parent)
			if (d->dead)
				dead = true;
		r = dead ? -ENOENT : path_name_locked(&cwd, &root, tmp, VFS_PATH_MAX, &unreachable);
		pthread_mutex_unlock(&vfs_tree_lock);
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

/* ---------------------------------------------------------------- mounting */

/* The file systems mount can make, by name: each registers itself at boot
 * (tmpfs, devfs, goferfs, procfs, sysfs...); the VFS names none. */
struct fs_type {
	char name[32];
	vfs_fs_factory factory;
	bool boot_only; /* made by the Sentry's boot mounts, never by mount(2) */
};
static struct fs_type fs_types[16];
static pthread_mutex_t fs_types_lock = PTHREAD_MUTEX_INITIALIZER;

static int register_fs(const char *fstype, vfs_fs_factory factory, bool boot_only)
{
	int r = -ENOSPC;
	pthread_mutex_lock(&fs_types_lock);
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
	pthread_mutex_unlock(&fs_types_lock);
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
	pthread_mutex_lock(&fs_types_lock);
	for (size_t i = 0; i < sizeof(fs_types) / sizeof(fs_types[0]); i++) {
		const struct fs_type *ft = &fs_types[i];
		if (ft->factory && strcmp(ft->name, fstype) == 0 && !(from_app && ft->boot_only))
			factory = ft->factory;
	}
	pthread_mutex_unlock(&fs_types_lock);
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
	pthread_mutex_lock(&vfs_tree_lock);
	int r = 0;
	if (target->dentry->dead)
		r = -ENOENT;
	else
		mount_attach(m, target->mnt, target->dentry);
	pthread_mutex_unlock(&vfs_tree_lock);
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
	pthread_mutex_lock(&vfs_tree_lock);
	mount_attach(m, NULL, NULL);
	pthread_mutex_unlock(&vfs_tree_lock);
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
			pthread_mutex_lock(&vfs_tree_lock);
			tp.mnt->flags = mnt_flags_from_ms(flags);
			pthread_mutex_unlock(&vfs_tree_lock);
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
	pthread_mutex_lock(&vfs_tree_lock);
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
	pthread_mutex_unlock(&vfs_tree_lock);
	path_put(&tp);
	return r;
}

void vfs_umount_all(void)
{
	pthread_mutex_lock(&vfs_tree_lock);
	while (all_mounts)
		mount_detach(all_mounts);
	pthread_mutex_unlock(&vfs_tree_lock);
}

void vfs_for_each_mount(const struct vfs_path *root,
			void (*fn)(struct vfs_mount *m, const char *path, void *arg), void *arg)
{
	char *buf = malloc(VFS_PATH_MAX);
	if (!buf)
		return;
	pthread_mutex_lock(&vfs_tree_lock);
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
	pthread_mutex_unlock(&vfs_tree_lock);
	free(buf);
}
