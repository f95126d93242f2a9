/*
 * dcache.c — dentries and the dentry cache: a hash on (parent, name), the
 * children lists and an LRU of unused leaves, all under vfs_tree_lock.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/lockdep.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* The namespace lock (see vfs.h).  Recursive: a last mount_put (which
 * prunes the dentry cache) can happen inside a walk that already holds it. */
struct vmutex vfs_tree_lock = VMUTEX_RECURSIVE_INITIALIZER(LOCK_CLASS(VFS_TREE));

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
		/* As Linux's dentry_unlink_inode: the last name of a file is
		 * gone once nothing uses it (an open file holds it). */
		if (d->dead && d->inode->nlink == 0 && !S_ISDIR(d->inode->mode))
			fsnotify_inode(d->inode, FS_DELETE_SELF);
		inode_put(d->inode);
		free(d->name);
		free(d);
		d = parent;
	}
}

/*
 * The dentry cache, all under vfs_tree_lock: each cached dentry is on its
 * parent's child list (for rmdir/unmount pruning; doubly linked, so leaving
 * it is O(1) however big the directory), in a hash table on
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
	vmutex_lock(&vfs_tree_lock);
	dcache_max = max;
	vmutex_unlock(&vfs_tree_lock);
}

unsigned long vfs_dcache_count(void)
{
	vmutex_lock(&vfs_tree_lock);
	unsigned long n = dcache_count;
	vmutex_unlock(&vfs_tree_lock);
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
struct dentry *dcache_find_valid(struct task *t, struct dentry *dir, const char *name)
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
int fs_lookup(struct task *t, struct inode *dir, const char *name, struct inode **out)
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
	if (d->sibling)
		d->sibling->sibling_pprev = &d->sibling;
	d->sibling_pprev = &dir->children;
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
	/* O(1): rm -rf of a directory of thousands, or the LRU dropping one
	 * of its entries, must not walk its siblings. */
	*d->sibling_pprev = d->sibling;
	if (d->sibling)
		d->sibling->sibling_pprev = d->sibling_pprev;
	d->sibling = NULL;
	d->sibling_pprev = NULL;
	struct dentry **pp = &dcache_hash[dcache_bucket(d->parent, d->name)];
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
void dcache_prune(struct dentry *d)
{
	while (d->children) {
		struct dentry *c = d->children;
		dcache_prune(c);
		c->dead = true;
		dcache_remove(c);
	}
}
