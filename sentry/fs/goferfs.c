/*
 * goferfs.c — the container's files, served by the Gofer (sentry/fs/gofer_client.h).
 *
 * Each inode holds one fid (walked from its parent's fid; clunked when the
 * inode goes).  A host file has one inode whatever names reach it: a lookup
 * that lands on a host inode the superblock already has (a hard link) gives
 * that inode and clunks its new fid, so the link count, the size that
 * O_APPEND writes at and the cached host fds are the file's, not a name's.
 * (The Gofer, for its part, re-opens a fid by any name it has learnt for the
 * inode, so a name that exists opens whatever became of the others.)
 * Attributes come from the Gofer's stat replies and are cached.
 * With file-access=exclusive the Sentry is the only writer, so the cache is
 * the truth: symlink targets are read once, and on the container's root the
 * names a lookup found missing are remembered (struct gofer_sb); with file-access=shared (someone on the host may change the
 * files) every walk re-walks each cached name with the Gofer and drops the
 * dentry if the name now leads to another file (or none), and fstat
 * refreshes attributes — one RPC per component, the price of coherence.
 * Regular files are read and written straight through a host
 * fd the Gofer donates at open (pread/pwrite; O_APPEND writes at the cached
 * size); directories list through gofer_readdir; everything else is an RPC.
 *
 * mmap: a regular file's mappings, shared and private, map the pages of its
 * page cache (sentry/mm/pagecache.h): every MAP_SHARED mapping in the sandbox
 * shares them, private ones copy on write, read(2) sees them and write(2)
 * writes through to the host and to them.  What mappings write reaches the
 * host at msync, fsync, close, the last unmapping, sync(2) and the Sentry's
 * exit.  A truncate goes through the file's read-write host fd, the cache held
 * across, and unmaps the pages past the new end everywhere (SIGBUS there).
 *
 * getdents offsets: the Gofer's cookies are the host's d_off values, which
 * can be any 64-bit number, so the file position is an entry index (0 ".",
 * 1 "..", then 2...) and the open directory remembers which Gofer cookie
 * the current index corresponds to; a seek elsewhere rescans from the start.
 * On the container's root with file-access=exclusive a directory's listing
 * is held in the Sentry instead (sentry/fs/goferfs_list.c): getdents reads
 * it with no round trip until a name in the directory is made, removed or
 * renamed.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/memtrim.h"
#include "sentry/fs/gofer_client.h"
#include "sentry/fs/goferfs.h"
#include "sentry/fs/goferfs_list.h"
#include "sentry/fs/goferfs_names.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/pagecache.h"
#include "sentry/vfs/vfs.h"

#define V9FS_MAGIC_GOFER 0x01021997 /* what gVisor's gofer fs reports (V9FS_MAGIC) */

struct gofer_node {
	uint64_t fid;
	uint64_t host_dev; /* the host inode (dev, ino): its key in the sb's inode table */
	struct inode *next; /* hash chain of that table */
	/* Host fds kept for later opens (as gVisor's dentry host FDs): an open
	 * is then no Gofer round trip, and a file whose names are all gone
	 * still opens through /proc/<pid>/fd.  Reads and writes use explicit
	 * offsets, so one host fd serves every file description: rw_fd (also
	 * the one create donates) serves every access, ro_fd read-only ones.
	 * Under ino->lock. */
	int ro_fd, rw_fd;
	/* Regular files: the Sentry wrote or truncated through a host fd since
	 * the block count was last read, so the host may have allocated or
	 * freed blocks (gofer_stat_blocks).  Under ino->lock. */
	bool blocks_stale;
	/* Regular files: the pages mappings of it share (NULL without a
	 * memory file: no MAP_SHARED then). */
	struct pagecache *pc;
	/* Never reused within the superblock: what a directory's names known
	 * absent are filed under (an evicted directory's entries then match
	 * nothing and age out). */
	uint64_t id;
	/* Symlinks, file-access=exclusive: the target, read from the Gofer
	 * once (a symlink's text never changes; the name may be replaced by
	 * another inode, which is another node).  Under ino->lock. */
	char *link;
	size_t link_len;
	/* Directories: bumped by every name made in it (a listing that met
	 * the end stays at the end while this stays). */
	_Atomic uint64_t names_made;
	/* Directories on the exclusive root (gofer_sb.neg_on): the newest
	 * listing (sentry/fs/goferfs_list.c), NULL when none is known true;
	 * list_gen counts the changes of the directory's names, so a listing
	 * fetched across one is not kept.  Under ino->lock. */
	struct gofer_list *list;
	uint64_t list_gen;
	/* Directories the Sentry made where names known absent are kept (see
	 * gofer_sb): it began empty, so a name it was not given since is
	 * absent without asking (git's objects/xx/ directories: the object's
	 * name right after its temporary one; a tar or a build writing
	 * thousands of files into one; goferfs_names.c).  Under the sb's
	 * inodes_lock. */
	bool fresh;
	struct gofer_names made;
};

struct gofer_open {
	int fd;               /* donated host fd (regular files), or -1 */
	bool owned;           /* fd is this file's own (else the node's cached one) */
	/* directories */
	uint64_t dir_index;   /* the index the cookie below continues from */
	uint64_t dir_cookie;
	struct gofer_dirent *ents; /* GOFER_READDIR_BATCH, made at the first getdents */
	bool dir_end;              /* dir_index is the end, as of names_made == end_made */
	uint64_t end_made;
	struct gofer_list *list;   /* exclusive root: the listing this description reads */
};

static const struct inode_ops gofer_iops, gofer_iops_shared;
static const struct file_ops gofer_reg_fops, gofer_dir_fops;
static const struct pagecache_ops gofer_pc_ops;
static int gofer_truncate(struct inode *ino, uint64_t size);

/* Where page caches keep their pages (boot sets it). */
static struct memfile *gofer_memfile;

void goferfs_set_memfile(struct memfile *mf)
{
	gofer_memfile = mf;
}

#define GOFER_INODE_BUCKETS 4096
#define GOFER_NEG_BUCKETS 4096
#define GOFER_NEG_MAX 8192 /* names known absent, per superblock */

/* The LRU of names known absent, oldest first. */
struct gofer_neg_lru {
	struct gofer_neg_lru *prev, *next;
};

/* A name known absent from a directory (see struct gofer_sb). */
struct gofer_neg {
	struct gofer_neg_lru lru; /* first: an LRU link is its entry */
	uint64_t dir;             /* the directory's node id */
	struct gofer_neg *hnext;  /* hash chain */
	char name[];
};

struct gofer_sb {
	struct gofer_client *c; /* borrowed: the client outlives every mount (boot owns it) */
	bool shared;
	/* One inode per host inode, whatever name reaches it (hard links): so
	 * its attributes, its link count and its open-for-append size are
	 * one.  Keyed by the host's (dev, ino); an inode leaves at evict. */
	struct vmutex inodes_lock;
	struct inode *inodes[GOFER_INODE_BUCKETS];
	/* What the host's statx said of the file system, for the statx calls
	 * that need no round trip (gofer_statx_op); written once. */
	_Atomic int host_statx_known; /* 0 not yet, 1 known */
	bool host_mgtime;
	uint64_t host_attributes_mask;
	_Atomic uint64_t next_id; /* gofer_node ids */
	/* Names known absent (Linux's negative dentries), so that a stat, an
	 * access or an O_CREAT of a missing name costs one Gofer walk, not one
	 * each time.  Only where the Sentry is the only one who makes names:
	 * the container's root with file-access=exclusive.  Bind mounts (a
	 * volume another container or the host may write into) and
	 * file-access=shared never keep them: a file made there from outside
	 * must show at the next lookup.  Entries are added by a lookup that
	 * the Gofer answers ENOENT and dropped by every operation that makes
	 * the name (create, mkdir, mknod, symlink, link, rename), before its
	 * round trip; at most GOFER_NEG_MAX, the least recently used go
	 * first.  Under inodes_lock. */
	bool neg_on;
	struct gofer_neg *neg_hash[GOFER_NEG_BUCKETS];
	struct gofer_neg_lru neg_lru; /* list head */
	unsigned int neg_count;
};

static bool default_shared;

void goferfs_set_default_shared(bool shared)
{
	default_shared = shared;
}

static struct gofer_client *GC(struct inode *ino)
{
	return ((struct gofer_sb *)ino->sb->priv)->c;
}

static struct gofer_node *GN(struct inode *ino)
{
	return ino->priv;
}

/* file-access=exclusive: the Sentry's cache of ino's sb is the truth. */
static bool exclusive(struct inode *ino) { return !((struct gofer_sb *)ino->sb->priv)->shared; }

static void apply_stat(struct inode *ino, const struct gofer_stat *st)
{
	vmutex_lock(&ino->lock);
	ino->mode = st->mode;
	ino->uid = st->uid;
	ino->gid = st->gid;
	ino->nlink = st->nlink;
	ino->size = st->size;
	ino->blocks = st->blocks;
	ino->blksize = st->blksize;
	ino->rdev = st->rdev;
	ino->ino = st->ino;
	ino->atime = (struct timespec){st->atime_sec, st->atime_nsec};
	ino->mtime = (struct timespec){st->mtime_sec, st->mtime_nsec};
	ino->ctime = (struct timespec){st->ctime_sec, st->ctime_nsec};
	vmutex_unlock(&ino->lock);
}

static size_t inode_bucket(uint64_t dev, uint64_t ino)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ULL) ^ (ino * 0xff51afd7ed558ccdULL);
	return (size_t)(h >> 40) % GOFER_INODE_BUCKETS;
}

/* A reference to ino unless its last one is already gone (it is being
 * evicted and must not come back). */
static bool inode_tryget(struct inode *ino)
{
	int r = atomic_load(&ino->refs);
	while (r > 0)
		if (atomic_compare_exchange_weak(&ino->refs, &r, r + 1))
			return true;
	return false;
}

/* The live inode of sb for the host inode st describes, with a reference,
 * or NULL. */
static struct inode *inode_find(struct gofer_sb *gs, const struct gofer_stat *st)
{
	struct inode *found = NULL;
	vmutex_lock(&gs->inodes_lock);
	for (struct inode *i = gs->inodes[inode_bucket(st->dev, st->ino)]; i; i = GN(i)->next) {
		if (GN(i)->host_dev == st->dev && i->ino == st->ino &&
		    (i->mode & S_IFMT) == (st->mode & S_IFMT) && inode_tryget(i)) {
			found = i;
			break;
		}
	}
	vmutex_unlock(&gs->inodes_lock);
	return found;
}

static void inode_unhash(struct gofer_sb *gs, struct inode *ino)
{
	vmutex_lock(&gs->inodes_lock);
	struct inode **pp = &gs->inodes[inode_bucket(GN(ino)->host_dev, ino->ino)];
	while (*pp && *pp != ino)
		pp = &GN(*pp)->next;
	if (*pp)
		*pp = GN(ino)->next;
	vmutex_unlock(&gs->inodes_lock);
}

/* ---- names known absent ---- */

static size_t neg_bucket(uint64_t dir, const char *name)
{
	uint64_t h = dir * 0x9e3779b97f4a7c15ULL;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return (size_t)(h >> 32) % GOFER_NEG_BUCKETS;
}

/* The entry for name in directory id dir, or NULL.  Under inodes_lock. */
static struct gofer_neg **neg_slot(struct gofer_sb *gs, uint64_t dir, const char *name)
{
	struct gofer_neg **pp = &gs->neg_hash[neg_bucket(dir, name)];
	while (*pp && ((*pp)->dir != dir || strcmp((*pp)->name, name)))
		pp = &(*pp)->hnext;
	return pp;
}

static void neg_unlink(struct gofer_sb *gs, struct gofer_neg **slot)
{
	struct gofer_neg *e = *slot;
	*slot = e->hnext;
	e->lru.prev->next = e->lru.next;
	e->lru.next->prev = e->lru.prev;
	gs->neg_count--;
	free(e);
}

static void neg_append(struct gofer_sb *gs, struct gofer_neg *e)
{
	e->lru.next = &gs->neg_lru;
	e->lru.prev = gs->neg_lru.prev;
	e->lru.prev->next = &e->lru;
	gs->neg_lru.prev = &e->lru;
}

/* A fresh directory is no longer known whole: forget the names it kept.
 * Under inodes_lock. */
static void fresh_end(struct gofer_node *n)
{
	n->fresh = false;
	gofer_names_clear(&n->made);
}

/* Is name known absent from directory dir? */
static bool neg_known(struct inode *dir, const char *name)
{
	struct gofer_sb *gs = dir->sb->priv;
	if (!gs->neg_on)
		return false;
	vmutex_lock(&gs->inodes_lock);
	if (GN(dir)->fresh && !gofer_names_may_hold(&GN(dir)->made, name)) {
		vmutex_unlock(&gs->inodes_lock);
		return true;
	}
	struct gofer_neg *e = *neg_slot(gs, GN(dir)->id, name);
	if (e) {
		e->lru.prev->next = e->lru.next;
		e->lru.next->prev = e->lru.prev;
		neg_append(gs, e);
	}
	vmutex_unlock(&gs->inodes_lock);
	return e != NULL;
}

/* The Gofer said name is not in dir. */
static void neg_add(struct inode *dir, const char *name)
{
	struct gofer_sb *gs = dir->sb->priv;
	if (!gs->neg_on)
		return;
	size_t n = strlen(name) + 1;
	struct gofer_neg *e = malloc(sizeof(*e) + n);
	if (!e)
		return;
	e->dir = GN(dir)->id;
	memcpy(e->name, name, n);
	vmutex_lock(&gs->inodes_lock);
	struct gofer_neg **slot = neg_slot(gs, e->dir, name);
	if (*slot) {
		vmutex_unlock(&gs->inodes_lock);
		free(e);
		return;
	}
	if (gs->neg_count >= GOFER_NEG_MAX) {
		struct gofer_neg *old = (struct gofer_neg *)gs->neg_lru.next;
		neg_unlink(gs, neg_slot(gs, old->dir, old->name));
		slot = neg_slot(gs, e->dir, name); /* the chain may have changed */
	}
	e->hnext = NULL;
	*slot = e;
	neg_append(gs, e);
	gs->neg_count++;
	vmutex_unlock(&gs->inodes_lock);
}

/* name in dir is being made (or may exist after all): no longer absent, and
 * listings of dir that met its end read on. */
static void neg_forget(struct inode *dir, const char *name)
{
	struct gofer_sb *gs = dir->sb->priv;
	atomic_fetch_add(&GN(dir)->names_made, 1);
	if (!gs->neg_on)
		return;
	vmutex_lock(&gs->inodes_lock);
	struct gofer_neg **slot = neg_slot(gs, GN(dir)->id, name);
	if (*slot)
		neg_unlink(gs, slot);
	struct gofer_node *n = GN(dir);
	if (n->fresh && !gofer_names_may_hold(&n->made, name) && !gofer_names_add(&n->made, name))
		fresh_end(n);
	vmutex_unlock(&gs->inodes_lock);
}

/* dir was just made by the Sentry: empty (see gofer_node.fresh). */
static void fresh_begin(struct inode *dir)
{
	struct gofer_sb *gs = dir->sb->priv;
	if (!gs->neg_on)
		return;
	vmutex_lock(&gs->inodes_lock);
	if (!GN(dir)->made.n)
		GN(dir)->fresh = true;
	vmutex_unlock(&gs->inodes_lock);
}

static void neg_free_all(struct gofer_sb *gs)
{
	while (gs->neg_lru.next != &gs->neg_lru) {
		struct gofer_neg *e = (struct gofer_neg *)gs->neg_lru.next;
		neg_unlink(gs, neg_slot(gs, e->dir, e->name));
	}
}

/* The inode for fid, whose stat is st (the fid is owned by this call): the
 * one sb already has for that host inode, reached by another name (the new
 * fid is clunked; the Gofer has learnt the name for the inode), or a new one
 * holding fid. */
static struct inode *gofer_inode(struct superblock *sb, uint64_t fid, const struct gofer_stat *st)
{
	struct gofer_sb *gs = sb->priv;
	struct inode *ino = inode_find(gs, st);
	if (ino) {
		gofer_clunk_async(gs->c, fid);
		if (gs->shared) {
			apply_stat(ino, st);
		} else {
			/* The cache is the truth (sizes of writes in flight
			 * too), but for the link count: a name the Sentry did
			 * not make (the image's hard links) counts. */
			vmutex_lock(&ino->lock);
			ino->nlink = st->nlink;
			vmutex_unlock(&ino->lock);
		}
		return ino;
	}
	ino = inode_new(sb, st->mode);
	struct gofer_node *n = ino ? calloc(1, sizeof(*n)) : NULL;
	if (!n) {
		if (ino)
			inode_put(ino);
		gofer_clunk(gs->c, fid);
		return NULL;
	}
	n->fid = fid;
	n->host_dev = st->dev;
	n->ro_fd = n->rw_fd = -1;
	n->id = atomic_fetch_add(&gs->next_id, 1);
	ino->priv = n;
	ino->ops = gs->shared ? &gofer_iops_shared : &gofer_iops;
	if (S_ISREG(st->mode) && gofer_memfile)
		/* Pages kept after the last unmapping only where every change
		 * of the file goes through the Sentry (as neg_on). */
		n->pc = pagecache_new(gofer_memfile, &gofer_pc_ops, ino, sb->dev, st->ino,
				      gs->neg_on);
	if (S_ISREG(st->mode))
		ino->fops = &gofer_reg_fops;
	else if (S_ISDIR(st->mode))
		ino->fops = &gofer_dir_fops;
	apply_stat(ino, st);
	vmutex_lock(&gs->inodes_lock);
	struct inode **head = &gs->inodes[inode_bucket(st->dev, st->ino)];
	n->next = *head;
	*head = ino;
	vmutex_unlock(&gs->inodes_lock);
	return ino;
}

/* ---- inode ops ---- */

static int gofer_lookup(struct task *t, struct inode *dir, const char *name, struct inode **out)
{
	if (neg_known(dir, name))
		return -ENOENT;
	uint64_t fid;
	struct gofer_stat st;
	int r = gofer_walk(GC(dir), GN(dir)->fid, name, &fid, &st);
	if (r == -ENOENT)
		neg_add(dir, name);
	if (r < 0)
		return r;
	*out = gofer_inode(dir->sb, fid, &st);
	return *out ? 0 : -ENOMEM;
}

static void dir_changed_nlink(struct inode *dir, int delta)
{
	vmutex_lock(&dir->lock);
	dir->nlink += delta;
	vmutex_unlock(&dir->lock);
}

/* A name in dir was made, removed or renamed (or may have been: called
 * after the round trip, whatever it answered): its listing is no longer
 * known.  Descriptions reading the old one go on with it. */
static void list_changed(struct inode *dir)
{
	struct gofer_node *n = GN(dir);
	vmutex_lock(&dir->lock);
	struct gofer_list *old = n->list;
	n->list = NULL;
	n->list_gen++;
	vmutex_unlock(&dir->lock);
	gofer_list_put(old);
}

static int gofer_create_op(struct inode *dir, const char *name, uint32_t mode, uint32_t uid,
			   uint32_t gid, struct inode **out)
{
	uint64_t fid;
	struct gofer_stat st;
	int fd = -1;
	neg_forget(dir, name);
	int r = gofer_create(GC(dir), GN(dir)->fid, name, O_RDWR, mode & 07777, uid, gid, &fid,
			     &st, &fd);
	list_changed(dir);
	if (r < 0)
		return r;
	struct inode *ino = gofer_inode(dir->sb, fid, &st);
	if (!ino) {
		close(fd);
		return -ENOMEM;
	}
	struct gofer_node *n = GN(ino);
	vmutex_lock(&ino->lock);
	if (n->rw_fd < 0) {
		n->rw_fd = fd;
		fd = -1;
	}
	vmutex_unlock(&ino->lock);
	if (fd >= 0)
		close(fd);
	*out = ino;
	return 0;
}

/* mknod/symlink give a stat but no fid: walk to the new name. */
static int walk_new(struct inode *dir, const char *name, struct inode **out)
{
	return gofer_lookup(NULL, dir, name, out);
}

static int gofer_mkdir_op(struct inode *dir, const char *name, uint32_t mode, uint32_t uid,
			  uint32_t gid, struct inode **out)
{
	struct gofer_stat st;
	uint64_t fid;
	neg_forget(dir, name);
	int r = gofer_mkdir_fid(GC(dir), GN(dir)->fid, name, mode & 07777, uid, gid, &fid, &st);
	list_changed(dir);
	if (r < 0)
		return r;
	dir_changed_nlink(dir, 1);
	*out = gofer_inode(dir->sb, fid, &st);
	if (!*out)
		return -ENOMEM;
	if (S_ISDIR((*out)->mode))
		fresh_begin(*out);
	return 0;
}

static int gofer_mknod_op(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
			  uint32_t uid, uint32_t gid, struct inode **out)
{
	struct gofer_stat st;
	neg_forget(dir, name);
	int r = gofer_mknod(GC(dir), GN(dir)->fid, name, mode, rdev, uid, gid, &st);
	list_changed(dir);
	if (r < 0)
		return r;
	return walk_new(dir, name, out);
}

static int gofer_symlink_op(struct inode *dir, const char *name, const char *target, uint32_t uid,
			    uint32_t gid, struct inode **out)
{
	struct gofer_stat st;
	neg_forget(dir, name);
	int r = gofer_symlink(GC(dir), GN(dir)->fid, name, target, uid, gid, &st);
	list_changed(dir);
	if (r < 0)
		return r;
	return walk_new(dir, name, out);
}

static int gofer_link_op(struct inode *dir, const char *name, struct inode *target)
{
	neg_forget(dir, name);
	int r = gofer_link(GC(dir), GN(target)->fid, GN(dir)->fid, name);
	list_changed(dir);
	if (r == 0)
		dir_changed_nlink(target, 1);
	return r;
}

static int gofer_unlink_op(struct inode *dir, const char *name, struct inode *victim)
{
	/* Where the cache is the truth, the VFS has found the name and checked
	 * the caller may remove it: the host cannot refuse (git removes every
	 * object's temporary name, rm -rf every file). */
	int r = exclusive(dir) ? gofer_unlink_async(GC(dir), GN(dir)->fid, name)
			       : gofer_unlink(GC(dir), GN(dir)->fid, name, 0);
	list_changed(dir);
	if (r == 0)
		dir_changed_nlink(victim, -1);
	return r;
}

static int gofer_rmdir_op(struct inode *dir, const char *name, struct inode *victim)
{
	int r = gofer_unlink(GC(dir), GN(dir)->fid, name, AT_REMOVEDIR);
	list_changed(dir);
	if (r == 0) {
		vmutex_lock(&victim->lock);
		victim->nlink = 0;
		vmutex_unlock(&victim->lock);
		dir_changed_nlink(dir, -1);
	}
	return r;
}

static int gofer_rename_op(struct inode *odir, const char *oname, struct inode *src,
			   struct inode *ndir, const char *nname, struct inode *dst,
			   unsigned int flags)
{
	neg_forget(ndir, nname);
	neg_forget(odir, oname); /* RENAME_EXCHANGE: both names stay */
	int r = gofer_rename(GC(odir), GN(odir)->fid, oname, GN(ndir)->fid, nname, flags);
	list_changed(odir);
	if (ndir != odir)
		list_changed(ndir);
	if (r < 0)
		return r;
	if (dst && !(flags & RENAME_EXCHANGE)) {
		vmutex_lock(&dst->lock);
		dst->nlink = S_ISDIR(dst->mode) ? 0 : (dst->nlink ? dst->nlink - 1 : 0);
		vmutex_unlock(&dst->lock);
	}
	if (S_ISDIR(src->mode) && odir != ndir && !(flags & RENAME_EXCHANGE)) {
		dir_changed_nlink(odir, -1);
		if (!dst)
			dir_changed_nlink(ndir, 1);
	}
	return 0;
}

static ssize_t gofer_readlink_op(struct task *t, struct inode *ino, char *buf, size_t len)
{
	struct gofer_node *n = GN(ino);
	if (!exclusive(ino))
		return gofer_readlink(GC(ino), n->fid, buf, len);
	/* Every exec through /bin -> usr/bin or a library's versioned name
	 * reads a link: ask the Gofer once per inode. */
	vmutex_lock(&ino->lock);
	if (n->link) {
		size_t k = n->link_len < len ? n->link_len : len;
		memcpy(buf, n->link, k);
		vmutex_unlock(&ino->lock);
		return (ssize_t)k;
	}
	vmutex_unlock(&ino->lock);
	char *target = malloc(VFS_PATH_MAX);
	if (!target)
		return -ENOMEM;
	ssize_t r = gofer_readlink(GC(ino), n->fid, target, VFS_PATH_MAX);
	if (r < 0) {
		free(target);
		return r;
	}
	size_t k = (size_t)r < len ? (size_t)r : len;
	memcpy(buf, target, k);
	char *keep = realloc(target, r ? (size_t)r : 1);
	if (!keep)
		keep = target; /* still whole */
	vmutex_lock(&ino->lock);
	if (!n->link) {
		n->link = keep;
		n->link_len = (size_t)r;
		keep = NULL;
	}
	vmutex_unlock(&ino->lock);
	free(keep);
	return (ssize_t)k;
}

static int gofer_setattr_op(struct inode *ino, const struct vfs_setattr *sa)
{
	struct gofer_setattr g = {0};
	/* An owner or group that stays as it is needs no round trip where the
	 * cache is the truth (tar and cp -p chown every file they make, to the
	 * one who made it).  Linux still stamps ctime, as the VFS does here;
	 * the set-id bits a chown clears come as a mode change of their own. */
	bool truth = exclusive(ino);
	vmutex_lock(&ino->lock);
	bool same_uid = truth && ino->uid == sa->uid;
	bool same_gid = truth && ino->gid == sa->gid;
	vmutex_unlock(&ino->lock);
	if (sa->valid & VFS_ATTR_MODE) {
		g.valid |= GOFER_SETATTR_MODE;
		g.mode = sa->mode & 07777;
	}
	if ((sa->valid & VFS_ATTR_UID) && !same_uid) {
		g.valid |= GOFER_SETATTR_UID;
		g.uid = sa->uid;
	}
	if ((sa->valid & VFS_ATTR_GID) && !same_gid) {
		g.valid |= GOFER_SETATTR_GID;
		g.gid = sa->gid;
	}
	if ((sa->valid & VFS_ATTR_SIZE) && !S_ISREG(ino->mode)) {
		g.valid |= GOFER_SETATTR_SIZE; /* the Gofer says EISDIR or EINVAL */
		g.size = sa->size;
	}
	if (sa->valid & VFS_ATTR_ATIME) {
		g.valid |= GOFER_SETATTR_ATIME;
		g.atime_sec = sa->atime.tv_sec;
		g.atime_nsec = sa->atime.tv_nsec;
	}
	if (sa->valid & VFS_ATTR_MTIME) {
		g.valid |= GOFER_SETATTR_MTIME;
		g.mtime_sec = sa->mtime.tv_sec;
		g.mtime_nsec = sa->mtime.tv_nsec;
	}
	/* A truncate comes alone (truncate, ftruncate, O_TRUNC): a regular
	 * file's goes through its host fd and page cache. */
	if ((sa->valid & VFS_ATTR_SIZE) && S_ISREG(ino->mode)) {
		int r = gofer_truncate(ino, sa->size);
		if (r < 0 || !g.valid)
			return r;
	}
	if (!g.valid && truth)
		return 0; /* nothing changes on the host */
	/* A mode or times the VFS has checked cannot fail on the host (the
	 * Gofer acts as the owner) and the cache is the truth: the Gofer
	 * applies them in order with the next requests, no round trip (tar
	 * and cp -p set both on every file they make). */
	if (truth &&
	    !(g.valid & ~(GOFER_SETATTR_MODE | GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME))) {
		gofer_setattr_async(GC(ino), GN(ino)->fid, &g);
		return 0;
	}
	return gofer_setattr(GC(ino), GN(ino)->fid, &g);
}

static int gofer_statfs_op(struct inode *ino, struct statfs *st)
{
	struct gofer_statfs g;
	int r = gofer_statfs(GC(ino), GN(ino)->fid, &g);
	if (r < 0)
		return r;
	st->f_bsize = g.bsize;
	st->f_frsize = g.bsize;
	st->f_blocks = g.blocks;
	st->f_bfree = g.bfree;
	st->f_bavail = g.bavail;
	st->f_files = g.files;
	st->f_ffree = g.ffree;
	st->f_namelen = g.namelen;
	return 0;
}

static void gofer_evict(struct inode *ino)
{
	struct gofer_node *n = GN(ino);
	if (!n)
		return;
	inode_unhash(ino->sb->priv, ino);
	pagecache_free(n->pc); /* writes back through the fds below */
	if (n->ro_fd >= 0)
		close(n->ro_fd);
	if (n->rw_fd >= 0)
		close(n->rw_fd);
	gofer_clunk_async(GC(ino), n->fid);
	free(n->link);
	gofer_list_put(n->list);
	fresh_end(n);
	free(n);
}

/* file-access=shared: is name in dir still this file? */
static int gofer_revalidate(struct task *t, struct inode *dir, const char *name, struct inode *ino)
{
	uint64_t fid;
	struct gofer_stat st;
	if (gofer_walk(GC(dir), GN(dir)->fid, name, &fid, &st) < 0)
		return 1;
	gofer_clunk_async(GC(dir), fid);
	if (st.ino != ino->ino || (st.mode & S_IFMT) != (ino->mode & S_IFMT))
		return 1;
	apply_stat(ino, &st);
	return 0;
}

/* Before a stat by path: the host's block count of a regular file the
 * Sentry wrote to (as Linux, st_blocks counts what the writes allocated:
 * du and ls -s show it at once), read with an fstat of the host fd the
 * node keeps, no Gofer round trip. */
static void gofer_stat_blocks(struct inode *ino)
{
	struct gofer_node *n = GN(ino);
	vmutex_lock(&ino->lock);
	int fd = n->rw_fd >= 0 ? n->rw_fd : n->ro_fd;
	struct stat hs;
	if (n->blocks_stale && fd >= 0 && fstat(fd, &hs) == 0) {
		ino->blocks = (uint64_t)hs.st_blocks;
		n->blocks_stale = false;
	}
	vmutex_unlock(&ino->lock);
}

static void gofer_refresh(struct inode *ino)
{
	struct gofer_stat st;
	if (gofer_getattr(GC(ino), GN(ino)->fid, &st) == 0)
		apply_stat(ino, &st);
}

/* A host fd of regular file ino for a new file description: a cached one of
 * the node (*owned false) or, when it has none for that access, one the
 * Gofer opens, which the node keeps if it still has none (else *owned: the
 * description closes it).  A writable description gets an O_RDWR fd (that
 * serves every later open); a read-only one O_RDONLY, or the O_RDWR one. */
static int node_open_fd(struct inode *ino, bool writable, int *fd, bool *owned)
{
	struct gofer_node *n = GN(ino);
	vmutex_lock(&ino->lock);
	*fd = n->rw_fd >= 0 ? n->rw_fd : writable ? -1 : n->ro_fd;
	vmutex_unlock(&ino->lock);
	*owned = false;
	if (*fd >= 0)
		return 0;
	int r = gofer_open(GC(ino), n->fid, writable ? O_RDWR : O_RDONLY, fd);
	if (r < 0)
		return r;
	int *cache = writable ? &n->rw_fd : &n->ro_fd;
	vmutex_lock(&ino->lock);
	if (*cache < 0)
		*cache = *fd;
	else
		*owned = true;
	vmutex_unlock(&ino->lock);
	return 0;
}

static int gofer_open_op(struct task *t, struct inode *ino, struct file *f)
{
	struct gofer_open *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->fd = -1;
	if (S_ISREG(ino->mode)) {
		int r = node_open_fd(ino, f->writable, &o->fd, &o->owned);
		if (r < 0) {
			free(o);
			return r;
		}
	}
	f->priv = o;
	return 0;
}

/* statx: the host's answer where it knows more than a stat (birth time,
 * direct I/O alignment: asked of the Gofer when wanted); otherwise what the
 * file system said the first time (its attribute bits, whether it keeps
 * multigrain times), so that plain ls-style calls cost no round trip. */
static void gofer_statx_op(struct inode *ino, uint32_t mask, struct vfs_statx *sx)
{
	struct gofer_sb *gs = ino->sb->priv;
	const uint32_t host_only = STATX_BTIME | STATX_DIOALIGN;
	bool known = atomic_load(&gs->host_statx_known);
	if (known && !(mask & host_only)) {
		sx->attributes_mask |= gs->host_attributes_mask;
		sx->mgtime = gs->host_mgtime;
		return;
	}
	struct gofer_statx g;
	if (gofer_statx(GC(ino), GN(ino)->fid, mask, &g) < 0)
		return; /* the stat the Sentry has stands */
	const uint64_t mounts = STATX_ATTR_MOUNT_ROOT | STATX_ATTR_AUTOMOUNT;
	sx->fs_mask_valid = true;
	sx->fs_mask = g.mask;
	sx->attributes |= g.attributes & ~mounts; /* the host's mounts are not the sandbox's */
	sx->attributes_mask |= g.attributes_mask;
	if (g.mask & STATX_BTIME) {
		sx->has_btime = true;
		sx->btime.tv_sec = g.btime_sec;
		sx->btime.tv_nsec = g.btime_nsec;
	}
	sx->dio_mem_align = g.dio_mem_align;
	sx->dio_offset_align = g.dio_offset_align;
	if (!known && !(mask & (STATX_MTIME | STATX_CTIME))) {
		/* Only an answer to a mask without them shows multigrain times. */
		gs->host_mgtime = !(g.mask & (STATX_MTIME | STATX_CTIME));
		gs->host_attributes_mask = g.attributes_mask;
		atomic_store(&gs->host_statx_known, 1);
	}
}

/* Extended attributes: the host's user.* through the Gofer; other name
 * spaces are not kept (EOPNOTSUPP), the host's are never the sandbox's. */
static bool gofer_xattr_name(const char *name)
{
	return strncmp(name, "user.", 5) == 0;
}

static ssize_t gofer_getxattr_op(struct inode *ino, const char *name, void *buf, size_t size)
{
	if (!gofer_xattr_name(name))
		return -EOPNOTSUPP;
	return gofer_getxattr(GC(ino), GN(ino)->fid, name, buf, size);
}

static int gofer_setxattr_op(struct inode *ino, const char *name, const void *value,
			     size_t size, int flags)
{
	if (!gofer_xattr_name(name))
		return -EOPNOTSUPP;
	return gofer_setxattr(GC(ino), GN(ino)->fid, name, value, size, flags);
}

static ssize_t gofer_listxattr_op(struct inode *ino, char *buf, size_t size)
{
	return gofer_listxattr(GC(ino), GN(ino)->fid, buf, size);
}

static int gofer_removexattr_op(struct inode *ino, const char *name)
{
	if (!gofer_xattr_name(name))
		return -EOPNOTSUPP;
	return gofer_removexattr(GC(ino), GN(ino)->fid, name);
}

static const struct inode_ops gofer_iops = {
	.lookup = gofer_lookup,
	.create = gofer_create_op,
	.mkdir = gofer_mkdir_op,
	.mknod = gofer_mknod_op,
	.symlink = gofer_symlink_op,
	.link = gofer_link_op,
	.unlink = gofer_unlink_op,
	.rmdir = gofer_rmdir_op,
	.rename = gofer_rename_op,
	.readlink = gofer_readlink_op,
	.setattr = gofer_setattr_op,
	.open = gofer_open_op,
	.statfs = gofer_statfs_op,
	.evict = gofer_evict,
	.statx = gofer_statx_op,
	.getxattr = gofer_getxattr_op,
	.setxattr = gofer_setxattr_op,
	.listxattr = gofer_listxattr_op,
	.removexattr = gofer_removexattr_op,
	.stat_blocks = gofer_stat_blocks,
};

static const struct inode_ops gofer_iops_shared = {
	.lookup = gofer_lookup,
	.create = gofer_create_op,
	.mkdir = gofer_mkdir_op,
	.mknod = gofer_mknod_op,
	.symlink = gofer_symlink_op,
	.link = gofer_link_op,
	.unlink = gofer_unlink_op,
	.rmdir = gofer_rmdir_op,
	.rename = gofer_rename_op,
	.readlink = gofer_readlink_op,
	.setattr = gofer_setattr_op,
	.open = gofer_open_op,
	.statfs = gofer_statfs_op,
	.evict = gofer_evict,
	.statx = gofer_statx_op,
	.getxattr = gofer_getxattr_op,
	.setxattr = gofer_setxattr_op,
	.listxattr = gofer_listxattr_op,
	.removexattr = gofer_removexattr_op,
	.revalidate = gofer_revalidate,
	.refresh = gofer_refresh,
};

/* ---- regular files ---- */

static struct gofer_open *GO(struct file *f)
{
	return f->priv;
}

/* O_DIRECT on the host's file systems wants the offset and length aligned to
 * the device's logical block (ext4: 512 bytes; the buffer may be anywhere
 * since Linux 6.x falls back): EINVAL otherwise.  The Sentry still goes
 * through its page cache, so mappings stay coherent. */
#define GOFER_DIO_ALIGN 512u

static bool dio_misaligned(struct file *f, size_t len, uint64_t pos)
{
	return (file_get_flags(f) & O_DIRECT) && ((pos | len) % GOFER_DIO_ALIGN);
}

static ssize_t gofer_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	if (dio_misaligned(f, len, *pos))
		return -EINVAL;
	struct pagecache *pc = GN(f->inode)->pc;
	ssize_t n = pc ? pagecache_read(pc, buf, len, *pos) : pread(GO(f)->fd, buf, len, *pos);
	if (n < 0)
		return pc ? n : -errno;
	*pos += n;
	return n;
}

static ssize_t gofer_write(struct task *t, struct file *f, const void *buf, size_t len,
			   uint64_t *pos)
{
	if (dio_misaligned(f, len, (file_get_flags(f) & O_APPEND) ? 0 : *pos))
		return -EINVAL;
	struct inode *ino = f->inode;
	struct pagecache *pc = GN(ino)->pc;
	gofer_client_settle(GC(ino), GN(ino)->fid);
	/* The page cache is held across the host write and its own update, so
	 * that a write-back of the same page comes wholly before or after. */
	if (pc)
		pagecache_lock(pc);
	/* O_APPEND: the cached size is the truth (exclusive access); hold the
	 * inode lock so concurrent appenders do not overlap. */
	bool append = file_get_flags(f) & O_APPEND;
	vmutex_lock(&ino->lock);
	uint64_t old_size = ino->size;
	uint64_t off = append ? old_size : *pos;
	if (!append)
		vmutex_unlock(&ino->lock);
	ssize_t n = pwrite(GO(f)->fd, buf, len, off);
	int e = errno;
	if (!append)
		vmutex_lock(&ino->lock);
	if (n > 0) {
		if (off + n > ino->size)
			ino->size = off + n;
		clock_gettime(CLOCK_REALTIME, &ino->mtime);
		ino->ctime = ino->mtime;
		GN(ino)->blocks_stale = true;
	}
	vmutex_unlock(&ino->lock);
	if (pc) {
		if (n > 0)
			pagecache_written(pc, buf, (size_t)n, off, old_size);
		pagecache_unlock(pc);
	}
	if (n < 0)
		return -e;
	*pos = off + n;
	return n;
}

/* What mappings wrote goes to the host first, then the host flushes; an
 * fsync (not a data-only one) also waits until the Gofer has applied the
 * modes and times it was sent.  A directory's entries are its data: its
 * fsync or fdatasync waits for what the Gofer was sent (an unlink not
 * waited for) and has the Gofer sync the host directory, so that a file
 * created or removed in it stays so after the host crashes (sqlite syncs
 * its database's directory after creating and after deleting its journal:
 * without it, a committed transaction could roll back at the next open). */
static int gofer_fsync(struct file *f, bool datasync)
{
	if (f->inode && S_ISDIR(f->inode->mode)) /* after what is batched */
		return gofer_fsync_fid(GC(f->inode), GN(f->inode)->fid, datasync);
	struct pagecache *pc = f->inode ? GN(f->inode)->pc : NULL;
	int r = pc ? pagecache_writeback(pc, 0, UINT64_MAX) : 0;
	if (!datasync && f->inode)
		gofer_client_flush(GC(f->inode));
	int fd = GO(f)->fd;
	if (r < 0 || fd < 0)
		return r;
	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

static void gofer_release(struct file *f)
{
	struct gofer_open *o = GO(f);
	if (!o)
		return;
	/* A close writes back what mappings of the file dirtied (Linux
	 * leaves it to its flusher; the Sentry has none, and a close is
	 * where programs expect their data to be safe). */
	struct pagecache *pc = S_ISREG(f->inode->mode) ? GN(f->inode)->pc : NULL;
	if (pc && pagecache_dirty(pc) && pagecache_writeback(pc, 0, UINT64_MAX) < 0)
		log_warn("goferfs: writing back a mapped file at close failed");
	if (o->fd >= 0 && o->owned)
		close(o->fd);
	free(o->ents);
	gofer_list_put(o->list);
	free(o);
}

/* ---- the page cache of a regular file (shared mappings) ---- */

/* The host fd the page cache reads and writes by: the node's read-write one
 * when it has one (it has, once a description could write through a
 * mapping), else its read-only one. */
static int node_io_fd(struct inode *ino, bool write)
{
	struct gofer_node *n = GN(ino);
	vmutex_lock(&ino->lock);
	int fd = n->rw_fd >= 0 ? n->rw_fd : write ? -1 : n->ro_fd;
	vmutex_unlock(&ino->lock);
	return fd;
}

static void gofer_pc_get(void *owner)
{
	inode_get(owner);
}

static void gofer_pc_put(void *owner)
{
	inode_put(owner);
}

static ssize_t gofer_pc_read(void *owner, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(node_io_fd(owner, false), buf, len, off);
	return n < 0 ? -errno : n;
}

static ssize_t gofer_pc_write(void *owner, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(node_io_fd(owner, true), buf, len, off);
	return n < 0 ? -errno : n;
}

static int64_t gofer_pc_size(void *owner)
{
	struct inode *ino = owner;
	vmutex_lock(&ino->lock);
	int64_t s = ino->size;
	vmutex_unlock(&ino->lock);
	return s;
}

static int gofer_pc_datasync(void *owner)
{
	return fdatasync(node_io_fd(owner, false)) < 0 ? -errno : 0;
}

static const struct pagecache_ops gofer_pc_ops = {
	.get = gofer_pc_get,
	.put = gofer_pc_put,
	.read = gofer_pc_read,
	.write = gofer_pc_write,
	.size = gofer_pc_size,
	.datasync = gofer_pc_datasync,
};

/* Truncate regular file ino to size through its read-write host fd, the
 * page cache held across (see gofer_write); then its mappings lose the pages
 * past the new end.  The setattr path for regular files: local I/O on a
 * donated fd, so no lock is held across a Gofer round trip. */
static int gofer_truncate(struct inode *ino, uint64_t size)
{
	int fd;
	bool owned;
	int r = node_open_fd(ino, true, &fd, &owned);
	if (r < 0)
		return r;
	gofer_client_settle(GC(ino), GN(ino)->fid);
	struct pagecache *pc = GN(ino)->pc;
	if (pc)
		pagecache_lock(pc);
	r = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	uint64_t old = 0;
	if (r == 0) {
		vmutex_lock(&ino->lock);
		old = ino->size;
		ino->size = size;
		GN(ino)->blocks_stale = true;
		vmutex_unlock(&ino->lock);
		if (pc)
			pagecache_resized(pc, old, size);
	}
	if (pc)
		pagecache_unlock(pc);
	if (r == 0 && pc && size < old)
		pagecache_unmap_past(pc, size);
	if (owned)
		close(fd);
	return r;
}

static struct mm_file *gofer_mmap(struct file *f)
{
	struct pagecache *pc = GN(f->inode)->pc;
	return pc ? pagecache_mm_file(pc) : NULL;
}

/* fallocate on the host file, every mode the host's file system has.  A
 * mode that moves or clears data (not 0 / KEEP_SIZE) first writes the
 * mapped pages back and then drops them all, so the mappings fault the
 * host's new contents in again. */
static int gofer_fallocate(struct task *t, struct file *f, int mode, uint64_t off, uint64_t len)
{
	struct inode *ino = f->inode;
	struct pagecache *pc = GN(ino)->pc;
	bool reshapes = mode & ~FALLOC_FL_KEEP_SIZE;
	int r = pc && reshapes ? pagecache_writeback(pc, 0, UINT64_MAX) : 0;
	if (r < 0)
		return r;
	gofer_client_settle(GC(ino), GN(ino)->fid);
	if (pc)
		pagecache_lock(pc);
	r = fallocate(GO(f)->fd, mode, (off_t)off, (off_t)len) < 0 ? -errno : 0;
	struct stat st;
	if (r == 0 && fstat(GO(f)->fd, &st) < 0)
		r = -errno;
	uint64_t old = 0;
	if (r == 0) {
		vmutex_lock(&ino->lock);
		old = ino->size;
		ino->size = (uint64_t)st.st_size;
		ino->blocks = (uint64_t)st.st_blocks;
		ino->mtime = st.st_mtim;
		ino->ctime = st.st_ctim;
		vmutex_unlock(&ino->lock);
		if (pc)
			pagecache_resized(pc, old, reshapes ? 0 : (uint64_t)st.st_size);
	}
	if (pc)
		pagecache_unlock(pc);
	if (r == 0 && pc && (reshapes || (uint64_t)st.st_size < old))
		pagecache_unmap_past(pc, 0);
	return r;
}

/* fstat: the attributes the Sentry keeps, with the host's block count
 * (what write-backs and fallocate allocated there). */
static int gofer_stat_op(struct file *f, struct stat *st)
{
	struct inode *ino = f->inode;
	if (ino->ops && ino->ops->refresh)
		ino->ops->refresh(ino);
	struct stat hs;
	if (GO(f)->fd >= 0 && fstat(GO(f)->fd, &hs) == 0) {
		vmutex_lock(&ino->lock);
		ino->blocks = (uint64_t)hs.st_blocks;
		GN(ino)->blocks_stale = false;
		vmutex_unlock(&ino->lock);
	}
	inode_fill_stat(ino, st);
	return 0;
}

/* lseek: SEEK_DATA and SEEK_HOLE ask the host file, which knows its holes
 * and unwritten extents (fallocate -d and cp --sparse rely on them; ext4
 * reports a preallocated range as a hole); what mappings wrote is written
 * back first so that it counts as data.  The host fd's own offset is never
 * used (reads and writes give theirs), so moving it is harmless. */
static int64_t gofer_llseek(struct file *f, int64_t off, int whence)
{
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return generic_llseek(f, off, whence);
	if (off < 0)
		return -ENXIO;
	struct pagecache *pc = GN(f->inode)->pc;
	int r = pc ? pagecache_writeback(pc, 0, UINT64_MAX) : 0;
	if (r < 0)
		return r;
	off_t n = lseek(GO(f)->fd, (off_t)off, whence);
	if (n < 0)
		return -errno;
	f->pos = n;
	return n;
}

static const struct file_ops gofer_reg_fops = {
	.llseek = gofer_llseek,
	.fallocate = gofer_fallocate,
	.stat = gofer_stat_op,
	.read = gofer_read,
	.write = gofer_write,
	.fsync = gofer_fsync,
	.mmap = gofer_mmap,
	.release = gofer_release,
};

/* ---- directories ---- */

/* Entries asked for per READDIR: a getdents64 buffer of 32 KiB holds about
 * a thousand short names, and each batch is a round trip. */
#define GOFER_READDIR_BATCH 512

/* Directories with more entries are listed but their listing is not kept. */
#define GOFER_LIST_KEEP_MAX 16384

/* Exclusive root: dir's listing, one reference; fetched from the Gofer when
 * none is known true, and kept unless the directory changed meanwhile. */
static int dir_list(struct inode *dir, struct gofer_list **out)
{
	struct gofer_node *n = GN(dir);
	vmutex_lock(&dir->lock);
	struct gofer_list *l = gofer_list_get(n->list);
	uint64_t gen = n->list_gen;
	vmutex_unlock(&dir->lock);
	if (l) {
		*out = l;
		return 0;
	}
	int r = gofer_list_fetch(GC(dir), n->fid, &l);
	if (r < 0)
		return r;
	struct gofer_list *old = NULL;
	vmutex_lock(&dir->lock);
	if (n->list_gen == gen && gofer_list_len(l) <= GOFER_LIST_KEEP_MAX) {
		old = n->list;
		n->list = gofer_list_get(l);
	}
	vmutex_unlock(&dir->lock);
	gofer_list_put(old);
	*out = l;
	return 0;
}

/* getdents on the exclusive root: from the listing the description took at
 * its first getdents past the dots (see goferfs_list.c for why); a rewind
 * takes the newest. */
static int gofer_readdir_listed(struct file *f, struct dir_ctx *ctx)
{
	struct gofer_open *o = GO(f);
	if (ctx->pos < 2 && o->list) {
		gofer_list_put(o->list);
		o->list = NULL;
	}
	if (dir_emit_dots(f, ctx))
		return 0;
	if (!o->list) {
		int r = dir_list(f->inode, &o->list);
		if (r < 0)
			return r;
	}
	return gofer_list_emit(o->list, ctx);
}

static int gofer_readdir_op(struct task *t, struct file *f, struct dir_ctx *ctx)
{
	if (((struct gofer_sb *)f->inode->sb->priv)->neg_on)
		return gofer_readdir_listed(f, ctx);
	if (dir_emit_dots(f, ctx))
		return 0;
	struct gofer_open *o = GO(f);
	struct inode *dir = f->inode;
	/* The getdents after the last entries (every listing ends with one)
	 * asks nothing when the Gofer said the end came with them and no name
	 * was made since: only where nobody else makes names (the container's
	 * root with file-access=exclusive; a volume may be shared). */
	bool exclusive = ((struct gofer_sb *)dir->sb->priv)->neg_on;
	uint64_t made = atomic_load(&GN(dir)->names_made);
	if (o->dir_end && exclusive && o->dir_index == ctx->pos && ctx->pos >= 2 &&
	    o->end_made == made)
		return 0;
	uint64_t index = 2, cookie = 0;
	if (o->dir_index == ctx->pos && ctx->pos >= 2) {
		index = o->dir_index;
		cookie = o->dir_cookie;
	}
	if (!o->ents && !(o->ents = malloc(GOFER_READDIR_BATCH * sizeof(*o->ents))))
		return -ENOMEM;
	struct gofer_dirent *ents = o->ents;
	int r = 0;
	o->dir_end = false;
	for (;;) {
		bool end;
		int n = gofer_readdir_end(GC(dir), GN(dir)->fid, cookie, ents, GOFER_READDIR_BATCH,
					  &end);
		if (n <= 0) {
			if (n == 0) {
				o->dir_index = index;
				o->dir_cookie = cookie;
				o->dir_end = true;
				o->end_made = made;
			}
			r = n;
			break;
		}
		bool stop = false;
		for (int i = 0; i < n; i++) {
			if (index >= ctx->pos) {
				if (dir_emit(ctx, ents[i].name, ents[i].ino, ents[i].type, index + 1)) {
					stop = true;
					break;
				}
			}
			index++;
			cookie = ents[i].next_offset;
		}
		o->dir_index = index;
		o->dir_cookie = cookie;
		if (stop)
			break;
		if (end) {
			o->dir_end = true;
			o->end_made = made;
			break;
		}
	}
	return r;
}

static const struct file_ops gofer_dir_fops = {
	.readdir = gofer_readdir_op,
	.fsync = gofer_fsync,
	.release = gofer_release,
};

/* ---- mounting ---- */

/* syncfs(2): the host syncs the file system under ino, after what was sent
 * without waiting (the request goes after the batch). */
static int gofer_sync_fs(struct superblock *sb, struct inode *ino)
{
	return gofer_syncfs_fid(((struct gofer_sb *)sb->priv)->c, GN(ino)->fid);
}

static void gofer_sb_release(struct superblock *sb)
{
	struct gofer_sb *gs = sb->priv;
	neg_free_all(gs);
	vmutex_destroy(&gs->inodes_lock);
	memtrim_free_pages(gs, sizeof(*gs));
}

static int goferfs_new(struct gofer_client *c, const char *attach_name, bool shared,
		       struct superblock **sbp, struct dentry **rootp)
{
	uint64_t fid;
	struct gofer_stat st;
	int r = gofer_attach(c, attach_name, &fid, &st);
	if (r < 0)
		return r;
	struct superblock *sb = sb_new("9p", V9FS_MAGIC_GOFER);
	if (sb) {
		sb->direct_io = true;
		sb->create_excl_first = true; /* the Gofer creates O_EXCL */
	}
	/* Its hash tables are 64 KiB: pages of their own (lib/memtrim.h). */
	struct gofer_sb *gs = sb ? memtrim_alloc_pages(sizeof(*gs)) : NULL;
	if (!gs) {
		if (sb)
			sb_put(sb);
		gofer_clunk(c, fid);
		return -ENOMEM;
	}
	gs->c = c;
	gs->shared = shared;
	/* Names known absent: the container's own root only (see gofer_sb). */
	gs->neg_on = !shared && !strcmp(attach_name, "/");
	gs->neg_lru.next = gs->neg_lru.prev = &gs->neg_lru;
	atomic_init(&gs->next_id, 1);
	vmutex_init(&gs->inodes_lock, LOCK_CLASS(GOFER_INODES));
	sb->priv = gs;
	sb->release = gofer_sb_release;
	sb->sync_fs = gofer_sync_fs;
	struct inode *root = gofer_inode(sb, fid, &st);
	struct dentry *d = root ? dentry_new_take(NULL, "/", root) : NULL;
	if (!d) {
		if (root)
			inode_put(root);
		sb_put(sb);
		return -ENOMEM;
	}
	*sbp = sb;
	*rootp = d;
	return 0;
}

/* The Gofer the "bind-gofer" mounts of this Sentry attach to. */
static struct gofer_client *mount_client;

/* mount of "bind-gofer": source is the Gofer's attach name ("/" the root);
 * data "file-access=shared" or "file-access=exclusive" overrides the
 * default cache policy. */
static int goferfs_mount(const char *source, const char *data, struct superblock **sb,
			 struct dentry **root)
{
	if (!mount_client)
		return -EINVAL;
	bool shared = default_shared;
	if (data && strstr(data, "file-access=shared"))
		shared = true;
	else if (data && strstr(data, "file-access=exclusive"))
		shared = false;
	return goferfs_new(mount_client, source ? source : "/", shared, sb, root);
}

int goferfs_register(struct gofer_client *c)
{
	mount_client = c;
	return vfs_register_boot_fs("bind-gofer", goferfs_mount);
}
