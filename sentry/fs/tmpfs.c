/*
 * tmpfs.c — the in-memory file system (tmpfs mounts, /dev/shm, and the base
 * of devfs's directory).
 *
 * Directories keep their entries in a list ordered by a cookie that only
 * grows, so getdents64 offsets stay valid across concurrent creates and
 * unlinks.  Regular file data lives in pages: pages of the Sentry's memory
 * file when tmpfs_set_memfile() was called (so MAP_SHARED mappings see the same
 * pages as read/write), else malloc'd pages (MAP_SHARED -> ENODEV).  A size
 * limit (size= option) is enforced per superblock in whole pages: ENOSPC.
 *
 * Locking: namespace changes come in under vfs_tree_lock; each inode's lock
 * protects its entries / pages / target against concurrent readdir and I/O.
 * rename takes two directory locks, which is safe because renames are
 * serialised by vfs_tree_lock and no one else takes two.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/page.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/mm/memfile.h"
#include "sentry/vfs/vfs.h"

struct tmpfs_sb {
	uint64_t limit_pages; /* 0: unlimited */
	_Atomic uint64_t used_pages;
	struct memfile *mf;
};

struct tmpfs_dirent {
	char *name;
	struct inode *ino;
	uint64_t cookie;
	struct tmpfs_dirent *next;
};

struct tmpfs_page {
	int64_t mfoff; /* memory file offset, or -1 for a malloc'd page */
	void *ptr;     /* NULL: a hole (reads as zeros) */
};

struct tmpfs_node {
	struct inode *ino; /* back pointer (no reference) */
	/* directories */
	struct tmpfs_dirent *ents;
	uint64_t next_cookie;
	/* regular files */
	struct tmpfs_page *pages;
	size_t npages;
	size_t nalloc; /* of pages, those allocated (st_blocks) */
	struct mm_file mmf;
	/* regular files: seals (F_SEAL_*, fcntl F_ADD_SEALS), the MAP_SHARED
	 * mmaps between their seal check and their VMA (map_writers), and an
	 * F_SEAL_WRITE looking for such VMAs (sealing_write): all under the
	 * inode's lock (tmpfs_seal.c's comment) */
	unsigned int seals;
	int map_writers;
	bool sealing_write;
	/* symlinks */
	char *target;
};

static const struct inode_ops tmpfs_iops;
static const struct file_ops tmpfs_reg_fops, tmpfs_dir_fops;
static const struct mm_file_ops tmpfs_mmf_ops, tmpfs_mmf_ops_private;

static struct memfile *global_memfile;

void tmpfs_set_memfile(struct memfile *mf)
{
	global_memfile = mf;
}

static struct tmpfs_sb *TSB(struct inode *ino)
{
	return ino->sb->priv;
}

static struct tmpfs_node *TN(struct inode *ino)
{
	return ino->priv;
}

static struct inode *tmpfs_inode_new(struct superblock *sb, uint32_t mode, uint32_t uid,
				     uint32_t gid)
{
	struct inode *ino = inode_new(sb, mode);
	if (!ino)
		return NULL;
	struct tmpfs_node *n = calloc(1, sizeof(*n));
	if (!n) {
		inode_put(ino);
		return NULL;
	}
	n->ino = ino;
	n->next_cookie = 2;
	n->seals = F_SEAL_SEAL; /* as Linux's shmem: sealable only as a memfd */
	n->mmf.ops = ((struct tmpfs_sb *)sb->priv)->mf ? &tmpfs_mmf_ops : &tmpfs_mmf_ops_private;
	n->mmf.dev = sb->dev;
	n->mmf.ino = ino->ino;
	ino->priv = n;
	ino->ops = &tmpfs_iops;
	ino->uid = uid;
	ino->gid = gid;
	if (S_ISDIR(mode))
		ino->fops = &tmpfs_dir_fops;
	else if (S_ISREG(mode))
		ino->fops = &tmpfs_reg_fops;
	ino->blocks = 0;
	return ino;
}

/* ---- pages ---- */

static void page_free(struct tmpfs_sb *ts, struct tmpfs_node *n, struct tmpfs_page *p)
{
	if (!p->ptr)
		return;
	n->nalloc--;
	if (p->mfoff >= 0)
		memfile_decref(ts->mf, p->mfoff, 1);
	else
		free(p->ptr);
	p->ptr = NULL;
	p->mfoff = -1;
	atomic_fetch_sub(&ts->used_pages, 1);
}

static int page_alloc(struct tmpfs_sb *ts, struct tmpfs_node *n, struct tmpfs_page *p)
{
	uint64_t used = atomic_fetch_add(&ts->used_pages, 1);
	if (ts->limit_pages && used >= ts->limit_pages) {
		atomic_fetch_sub(&ts->used_pages, 1);
		return -ENOSPC;
	}
	if (ts->mf) {
		int64_t off = memfile_alloc(ts->mf, 1);
		if (off < 0) {
			atomic_fetch_sub(&ts->used_pages, 1);
			return (int)off;
		}
		p->mfoff = off;
		p->ptr = memfile_ptr(ts->mf, off);
	} else {
		p->ptr = calloc(1, PAGE_SIZE);
		if (!p->ptr) {
			atomic_fetch_sub(&ts->used_pages, 1);
			return -ENOMEM;
		}
		p->mfoff = -1;
	}
	n->nalloc++;
	return 0;
}

/* Make the page array cover npages (under ino->lock). */
static int pages_reserve(struct tmpfs_node *n, size_t npages)
{
	if (npages <= n->npages)
		return 0;
	size_t cap = n->npages ? n->npages : 4;
	while (cap < npages)
		cap *= 2;
	struct tmpfs_page *np = realloc(n->pages, cap * sizeof(*np));
	if (!np)
		return -ENOMEM;
	for (size_t i = n->npages; i < cap; i++)
		np[i] = (struct tmpfs_page){.mfoff = -1, .ptr = NULL};
	n->pages = np;
	n->npages = cap;
	return 0;
}

/* Drop all data at and after byte `size` (under ino->lock). */
static void pages_truncate(struct inode *ino, uint64_t size)
{
	struct tmpfs_node *n = TN(ino);
	struct tmpfs_sb *ts = TSB(ino);
	size_t keep = PAGE_ROUND_UP(size) / PAGE_SIZE;
	for (size_t i = keep; i < n->npages; i++)
		page_free(ts, n, &n->pages[i]);
	/* The tail of the last page must read as zeros if the file grows again. */
	if ((size % PAGE_SIZE) && keep > 0 && keep <= n->npages && n->pages[keep - 1].ptr)
		memset((char *)n->pages[keep - 1].ptr + size % PAGE_SIZE, 0,
		       PAGE_SIZE - size % PAGE_SIZE);
}

static uint64_t pages_in_use(struct tmpfs_node *n)
{
	return n->nalloc;
}

/* Copy out of the file at off (under ino->lock); len already clipped to size. */
static void data_read(struct tmpfs_node *n, char *buf, size_t len, uint64_t off)
{
	while (len) {
		size_t pg = off / PAGE_SIZE, po = off % PAGE_SIZE;
		size_t chunk = PAGE_SIZE - po < len ? PAGE_SIZE - po : len;
		if (pg < n->npages && n->pages[pg].ptr)
			memcpy(buf, (char *)n->pages[pg].ptr + po, chunk);
		else
			memset(buf, 0, chunk);
		buf += chunk;
		off += chunk;
		len -= chunk;
	}
}

static ssize_t tmpfs_do_read(struct inode *ino, void *buf, size_t len, uint64_t off)
{
	vmutex_lock(&ino->lock);
	uint64_t size = ino->size;
	if (off >= size) {
		vmutex_unlock(&ino->lock);
		return 0;
	}
	if (len > size - off)
		len = size - off;
	data_read(TN(ino), buf, len, off);
	vmutex_unlock(&ino->lock);
	return len;
}

static ssize_t tmpfs_read(struct task *t, struct file *f, void *buf, size_t len, uint64_t *pos)
{
	ssize_t n = tmpfs_do_read(f->inode, buf, len, *pos);
	if (n > 0)
		*pos += n;
	return n;
}

static ssize_t tmpfs_write(struct task *t, struct file *f, const void *buf, size_t len,
			   uint64_t *pos)
{
	struct inode *ino = f->inode;
	struct tmpfs_node *n = TN(ino);
	struct tmpfs_sb *ts = TSB(ino);
	vmutex_lock(&ino->lock);
	uint64_t off = (f->flags & O_APPEND) ? ino->size : *pos;
	if (len == 0) {
		vmutex_unlock(&ino->lock);
		return 0;
	}
	uint64_t end;
	if (__builtin_add_overflow(off, len, &end) || end > (1ULL << 53)) {
		vmutex_unlock(&ino->lock);
		return -EFBIG;
	}
	if (n->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		vmutex_unlock(&ino->lock);
		return -EPERM;
	}
	if ((n->seals & F_SEAL_GROW) && end > ino->size) {
		/* As Linux's shmem_write_begin, page by page: what lies in
		 * the pages before the one that would grow the file is
		 * written, and a write that starts there is EPERM. */
		uint64_t whole = ino->size & ~(uint64_t)(PAGE_SIZE - 1);
		if (off >= whole) {
			vmutex_unlock(&ino->lock);
			return -EPERM;
		}
		if (len > whole - off)
			len = whole - off;
		end = off + len;
	}
	int r = pages_reserve(n, PAGE_ROUND_UP(end) / PAGE_SIZE);
	size_t done = 0;
	while (r == 0 && done < len) {
		uint64_t o = off + done;
		size_t pg = o / PAGE_SIZE, po = o % PAGE_SIZE;
		size_t chunk = PAGE_SIZE - po < len - done ? PAGE_SIZE - po : len - done;
		if (!n->pages[pg].ptr && (r = page_alloc(ts, n, &n->pages[pg])) < 0)
			break;
		memcpy((char *)n->pages[pg].ptr + po, (const char *)buf + done, chunk);
		done += chunk;
	}
	if (done) {
		if (off + done > ino->size)
			ino->size = off + done;
		ino->blocks = pages_in_use(n) * (PAGE_SIZE / 512);
		clock_gettime(CLOCK_REALTIME, &ino->mtime);
		ino->ctime = ino->mtime;
		/* Writes drop set-id bits unless the writer has CAP_FSETID, as Linux
		 * file_remove_privs (kernel-internal writes, t NULL, keep them). */
		if (t && !vfs_capable(vfs_task_creds(t), CAP_FSETID)) {
			ino->mode &= ~S_ISUID;
			if (ino->mode & S_IXGRP)
				ino->mode &= ~S_ISGID;
		}
	}
	vmutex_unlock(&ino->lock);
	if (!done)
		return r;
	*pos = off + done;
	return done;
}

/* ---- mm_file (mmap) ---- */

static struct inode *mmf_inode(struct mm_file *m)
{
	return ((struct tmpfs_node *)((char *)m - offsetof(struct tmpfs_node, mmf)))->ino;
}

static void tmpfs_mmf_get(struct mm_file *m)
{
	inode_get(mmf_inode(m));
}

static void tmpfs_mmf_put(struct mm_file *m)
{
	inode_put(mmf_inode(m));
}

static ssize_t tmpfs_mmf_pread(struct mm_file *m, void *buf, size_t len, uint64_t off)
{
	return tmpfs_do_read(mmf_inode(m), buf, len, off);
}

static int64_t tmpfs_mmf_shared_page(struct mm_file *m, uint64_t pgoff)
{
	struct inode *ino = mmf_inode(m);
	struct tmpfs_node *n = TN(ino);
	struct tmpfs_sb *ts = TSB(ino);
	vmutex_lock(&ino->lock);
	/* Past the end (a truncate raced with the fault): SIGBUS. */
	int64_t r = pgoff >= PAGE_ROUND_UP(ino->size) / PAGE_SIZE ? -EIO : 0;
	if (r == 0)
		r = pages_reserve(n, pgoff + 1);
	if (r == 0 && !n->pages[pgoff].ptr)
		r = page_alloc(ts, n, &n->pages[pgoff]);
	if (r == 0) {
		r = n->pages[pgoff].mfoff;
		memfile_incref(ts->mf, r, 1);
		ino->blocks = pages_in_use(n) * (PAGE_SIZE / 512);
	}
	vmutex_unlock(&ino->lock);
	return r;
}

static int64_t tmpfs_mmf_size(struct mm_file *m)
{
	struct inode *ino = mmf_inode(m);
	vmutex_lock(&ino->lock);
	int64_t s = ino->size;
	vmutex_unlock(&ino->lock);
	return s;
}

static const struct mm_file_ops tmpfs_mmf_ops = {
	.get = tmpfs_mmf_get,
	.put = tmpfs_mmf_put,
	.pread = tmpfs_mmf_pread,
	.shared_page = tmpfs_mmf_shared_page,
	.size = tmpfs_mmf_size,
};
static const struct mm_file_ops tmpfs_mmf_ops_private = {
	.get = tmpfs_mmf_get,
	.put = tmpfs_mmf_put,
	.pread = tmpfs_mmf_pread,
	.shared_page = NULL,
	.size = tmpfs_mmf_size,
};

static struct mm_file *tmpfs_mmap(struct file *f)
{
	return &TN(f->inode)->mmf;
}

/* fallocate as Linux's shmem_fallocate: modes 0 and KEEP_SIZE allocate the
 * range's pages (ENOSPC past the size limit, undone), PUNCH_HOLE frees the
 * whole pages of the range and zeroes the partial ones; nothing else. */
static int tmpfs_fallocate(struct task *t, struct file *f, int mode, uint64_t off, uint64_t len)
{
	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	struct inode *ino = f->inode;
	struct tmpfs_node *n = TN(ino);
	struct tmpfs_sb *ts = TSB(ino);
	uint64_t end = off + len;
	size_t first = off / PAGE_SIZE, last = (end - 1) / PAGE_SIZE;
	int r = 0;
	vmutex_lock(&ino->lock);
	/* As Linux's shmem_fallocate: a hole is a write, an allocation past
	 * the end grows the file (with FALLOC_FL_KEEP_SIZE too). */
	if (((mode & FALLOC_FL_PUNCH_HOLE) && (n->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))) ||
	    (!(mode & FALLOC_FL_PUNCH_HOLE) && (n->seals & F_SEAL_GROW) && end > ino->size)) {
		vmutex_unlock(&ino->lock);
		return -EPERM;
	}
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		for (size_t pg = first; pg <= last && pg < n->npages; pg++) {
			if (!n->pages[pg].ptr)
				continue;
			uint64_t ps = (uint64_t)pg * PAGE_SIZE, pe = ps + PAGE_SIZE;
			uint64_t s = off > ps ? off : ps, e = end < pe ? end : pe;
			if (s == ps && e == pe)
				page_free(ts, n, &n->pages[pg]);
			else
				memset((char *)n->pages[pg].ptr + (s - ps), 0, e - s);
		}
	} else {
		r = pages_reserve(n, last + 1);
		size_t pg = first;
		for (; r == 0 && pg <= last; pg++)
			if (!n->pages[pg].ptr && (r = page_alloc(ts, n, &n->pages[pg])) < 0)
				break;
		if (r < 0) {
			/* As Linux: what this call allocated goes again. */
			for (size_t k = first; k < pg && k < n->npages; k++)
				if ((uint64_t)k * PAGE_SIZE >= PAGE_ROUND_UP(ino->size))
					page_free(ts, n, &n->pages[k]);
		} else if (!(mode & FALLOC_FL_KEEP_SIZE) && end > ino->size) {
			ino->size = end;
		}
	}
	ino->blocks = pages_in_use(n) * (PAGE_SIZE / 512);
	if (r == 0)
		clock_gettime(CLOCK_REALTIME, &ino->ctime);
	vmutex_unlock(&ino->lock);
	/* Mappings of the freed pages fault them in again (as zeros). */
	if (r == 0 && (mode & FALLOC_FL_PUNCH_HOLE) && ts->mf)
		mm_file_unmap_from(&n->mmf, first);
	return r;
}

static const struct file_ops tmpfs_reg_fops = {
	.fallocate = tmpfs_fallocate,
	.read = tmpfs_read,
	.write = tmpfs_write,
	.mmap = tmpfs_mmap,
};

/* ---- directories ---- */

static struct tmpfs_dirent *dir_find(struct tmpfs_node *n, const char *name)
{
	for (struct tmpfs_dirent *e = n->ents; e; e = e->next)
		if (strcmp(e->name, name) == 0)
			return e;
	return NULL;
}

/* Append (cookie order) under dir->lock; takes a new reference on ino. */
static int dir_add(struct inode *dir, const char *name, struct inode *ino)
{
	struct tmpfs_node *n = TN(dir);
	struct tmpfs_dirent *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->name = strdup(name);
	if (!e->name) {
		free(e);
		return -ENOMEM;
	}
	inode_get(ino);
	e->ino = ino;
	vmutex_lock(&dir->lock);
	e->cookie = n->next_cookie++;
	struct tmpfs_dirent **pp = &n->ents;
	while (*pp)
		pp = &(*pp)->next;
	*pp = e;
	dir->size += 20; /* a rough size, as tmpfs reports something nonzero */
	vmutex_unlock(&dir->lock);
	return 0;
}

/* Remove name from dir; returns the inode reference the entry held. */
static struct inode *dir_del(struct inode *dir, const char *name)
{
	struct tmpfs_node *n = TN(dir);
	vmutex_lock(&dir->lock);
	struct tmpfs_dirent **pp = &n->ents;
	while (*pp && strcmp((*pp)->name, name) != 0)
		pp = &(*pp)->next;
	struct tmpfs_dirent *e = *pp;
	if (e) {
		*pp = e->next;
		dir->size -= 20;
	}
	vmutex_unlock(&dir->lock);
	if (!e)
		return NULL;
	struct inode *ino = e->ino;
	free(e->name);
	free(e);
	return ino;
}

static int tmpfs_lookup(struct task *t, struct inode *dir, const char *name, struct inode **out)
{
	vmutex_lock(&dir->lock);
	struct tmpfs_dirent *e = dir_find(TN(dir), name);
	if (e) {
		inode_get(e->ino);
		*out = e->ino;
	}
	vmutex_unlock(&dir->lock);
	return e ? 0 : -ENOENT;
}

static int tmpfs_make(struct inode *dir, const char *name, uint32_t mode, uint32_t uid,
		      uint32_t gid, struct inode **out)
{
	struct inode *ino = tmpfs_inode_new(dir->sb, mode, uid, gid);
	if (!ino)
		return -ENOMEM;
	int r = dir_add(dir, name, ino);
	if (r < 0) {
		inode_put(ino);
		return r;
	}
	if (S_ISDIR(mode)) {
		vmutex_lock(&dir->lock);
		dir->nlink++;
		vmutex_unlock(&dir->lock);
	}
	*out = ino;
	return 0;
}

static int tmpfs_create(struct inode *dir, const char *name, uint32_t mode, uint32_t uid,
			uint32_t gid, struct inode **out)
{
	return tmpfs_make(dir, name, mode, uid, gid, out);
}

static int tmpfs_mknod(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
		       uint32_t uid, uint32_t gid, struct inode **out)
{
	int r = tmpfs_make(dir, name, mode, uid, gid, out);
	if (r == 0)
		(*out)->rdev = rdev;
	return r;
}

static int tmpfs_symlink(struct inode *dir, const char *name, const char *target, uint32_t uid,
			 uint32_t gid, struct inode **out)
{
	char *tg = strdup(target);
	if (!tg)
		return -ENOMEM;
	int r = tmpfs_make(dir, name, S_IFLNK | 0777, uid, gid, out);
	if (r < 0) {
		free(tg);
		return r;
	}
	TN(*out)->target = tg;
	(*out)->size = strlen(tg);
	return 0;
}

static int tmpfs_link(struct inode *dir, const char *name, struct inode *target)
{
	int r = dir_add(dir, name, target);
	if (r == 0) {
		vmutex_lock(&target->lock);
		target->nlink++;
		vmutex_unlock(&target->lock);
	}
	return r;
}

static void drop_link(struct inode *ino)
{
	vmutex_lock(&ino->lock);
	if (ino->nlink)
		ino->nlink--;
	vmutex_unlock(&ino->lock);
}

static int tmpfs_unlink(struct inode *dir, const char *name, struct inode *victim)
{
	struct inode *ino = dir_del(dir, name);
	if (!ino)
		return -ENOENT;
	drop_link(ino);
	inode_put(ino);
	return 0;
}

static bool dir_empty(struct inode *dir)
{
	vmutex_lock(&dir->lock);
	bool e = TN(dir)->ents == NULL;
	vmutex_unlock(&dir->lock);
	return e;
}

static int tmpfs_rmdir(struct inode *dir, const char *name, struct inode *victim)
{
	if (!dir_empty(victim))
		return -ENOTEMPTY;
	struct inode *ino = dir_del(dir, name);
	if (!ino)
		return -ENOENT;
	vmutex_lock(&ino->lock);
	ino->nlink = 0;
	vmutex_unlock(&ino->lock);
	drop_link(dir);
	inode_put(ino);
	return 0;
}

static int tmpfs_rename(struct inode *odir, const char *oname, struct inode *src,
			struct inode *ndir, const char *nname, struct inode *dst, unsigned int flags)
{
	bool src_dir = S_ISDIR(src->mode);
	if (flags & RENAME_EXCHANGE) {
		/* Swap the inodes the two entries name. */
		vmutex_lock(&odir->lock);
		struct tmpfs_dirent *a = dir_find(TN(odir), oname);
		vmutex_unlock(&odir->lock);
		vmutex_lock(&ndir->lock);
		struct tmpfs_dirent *b = dir_find(TN(ndir), nname);
		vmutex_unlock(&ndir->lock);
		if (!a || !b)
			return -ENOENT;
		vmutex_lock(&odir->lock);
		a->ino = dst;
		vmutex_unlock(&odir->lock);
		vmutex_lock(&ndir->lock);
		b->ino = src;
		vmutex_unlock(&ndir->lock);
		bool dst_dir = S_ISDIR(dst->mode);
		if (odir != ndir && src_dir != dst_dir) {
			struct inode *gains = src_dir ? ndir : odir, *loses = src_dir ? odir : ndir;
			vmutex_lock(&gains->lock);
			gains->nlink++;
			vmutex_unlock(&gains->lock);
			drop_link(loses);
		}
		return 0;
	}
	if (dst) {
		if (S_ISDIR(dst->mode) && !dir_empty(dst))
			return -ENOTEMPTY;
	}
	/* Add the new entry first so a failure leaves the old one in place. */
	if (dst) {
		struct inode *old = dir_del(ndir, nname);
		if (old) {
			if (S_ISDIR(old->mode)) {
				vmutex_lock(&old->lock);
				old->nlink = 0;
				vmutex_unlock(&old->lock);
				drop_link(ndir);
			} else {
				drop_link(old);
			}
			inode_put(old);
		}
	}
	int r = dir_add(ndir, nname, src);
	if (r < 0)
		return r;
	struct inode *moved = dir_del(odir, oname);
	if (moved)
		inode_put(moved);
	if (src_dir && odir != ndir) {
		drop_link(odir);
		vmutex_lock(&ndir->lock);
		ndir->nlink++;
		vmutex_unlock(&ndir->lock);
	}
	return 0;
}

static ssize_t tmpfs_readlink(struct task *t, struct inode *ino, char *buf, size_t len)
{
	vmutex_lock(&ino->lock);
	const char *tg = TN(ino)->target;
	size_t n = tg ? strlen(tg) : 0;
	if (n > len)
		n = len;
	if (tg)
		memcpy(buf, tg, n);
	vmutex_unlock(&ino->lock);
	return tg ? (ssize_t)n : -EINVAL;
}

static int tmpfs_setattr(struct inode *ino, const struct vfs_setattr *sa)
{
	if (sa->valid & VFS_ATTR_MODE) {
		/* As Linux's shmem_setattr: F_SEAL_EXEC fixes the x bits. */
		vmutex_lock(&ino->lock);
		bool sealed = (TN(ino)->seals & F_SEAL_EXEC_) && ((ino->mode ^ sa->mode) & 0111);
		vmutex_unlock(&ino->lock);
		if (sealed)
			return -EPERM;
	}
	if (!(sa->valid & VFS_ATTR_SIZE))
		return 0;
	if (!S_ISREG(ino->mode))
		return -EINVAL;
	if (sa->size > (1ULL << 53))
		return -EFBIG;
	vmutex_lock(&ino->lock);
	if ((sa->size < ino->size && (TN(ino)->seals & F_SEAL_SHRINK)) ||
	    (sa->size > ino->size && (TN(ino)->seals & F_SEAL_GROW))) {
		vmutex_unlock(&ino->lock);
		return -EPERM;
	}
	bool shrinks = sa->size < ino->size;
	if (shrinks)
		pages_truncate(ino, sa->size);
	ino->size = sa->size;
	ino->blocks = pages_in_use(TN(ino)) * (PAGE_SIZE / 512);
	vmutex_unlock(&ino->lock);
	/* As Linux (and goferfs): the mappings lose the pages past the new
	 * end, so an access there is SIGBUS rather than a page the file no
	 * longer has. */
	if (shrinks && TSB(ino)->mf)
		mm_file_unmap_from(&TN(ino)->mmf, PAGE_ROUND_UP(sa->size) / PAGE_SIZE);
	return 0;
}

static int tmpfs_statfs(struct inode *ino, struct statfs *st)
{
	struct tmpfs_sb *ts = TSB(ino);
	st->f_bsize = PAGE_SIZE;
	st->f_frsize = PAGE_SIZE;
	uint64_t used = atomic_load(&ts->used_pages);
	uint64_t total = ts->limit_pages ? ts->limit_pages : (1ULL << 20);
	st->f_blocks = total;
	st->f_bfree = st->f_bavail = total > used ? total - used : 0;
	st->f_files = 1 << 20;
	st->f_ffree = (1 << 20) - 1;
	st->f_namelen = VFS_NAME_MAX;
	return 0;
}

static void tmpfs_evict(struct inode *ino)
{
	struct tmpfs_node *n = TN(ino);
	if (!n)
		return;
	struct tmpfs_dirent *e = n->ents;
	while (e) {
		struct tmpfs_dirent *next = e->next;
		inode_put(e->ino);
		free(e->name);
		free(e);
		e = next;
	}
	for (size_t i = 0; i < n->npages; i++)
		page_free(TSB(ino), n, &n->pages[i]);
	free(n->pages);
	free(n->target);
	free(n);
	ino->priv = NULL;
}

static int tmpfs_readdir(struct task *t, struct file *f, struct dir_ctx *ctx)
{
	if (dir_emit_dots(f, ctx))
		return 0;
	struct inode *dir = f->inode;
	/* Emit entries with cookie >= pos.  The lock is dropped around emit (it
	 * may copy to app memory); cookies make resumption safe. */
	for (;;) {
		vmutex_lock(&dir->lock);
		struct tmpfs_dirent *e = TN(dir)->ents;
		while (e && e->cookie < ctx->pos)
			e = e->next;
		if (!e) {
			vmutex_unlock(&dir->lock);
			return 0;
		}
		char name[VFS_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%s", e->name);
		uint64_t ino = e->ino->ino, cookie = e->cookie;
		unsigned int type = IFTODT(e->ino->mode);
		vmutex_unlock(&dir->lock);
		if (dir_emit(ctx, name, ino, type, cookie + 1))
			return 0;
	}
}

static const struct file_ops tmpfs_dir_fops = {
	.readdir = tmpfs_readdir,
};

static const struct inode_ops tmpfs_iops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.mkdir = tmpfs_make,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.readlink = tmpfs_readlink,
	.setattr = tmpfs_setattr,
	.statfs = tmpfs_statfs,
	.evict = tmpfs_evict,
	.getxattr = simple_xattr_get,
	.setxattr = simple_xattr_set,
	.listxattr = simple_xattr_list,
	.removexattr = simple_xattr_remove,
};

static void tmpfs_sb_release(struct superblock *sb)
{
	free(sb->priv);
}

int tmpfs_new(uint64_t size_limit, uint32_t root_mode, struct superblock **sbp,
	      struct dentry **rootp)
{
	struct superblock *sb = sb_new("tmpfs", TMPFS_MAGIC);
	if (!sb)
		return -ENOMEM;
	/* As Linux's shmem_getattr: a birth time and the chattr bits. */
	sb->has_btime = true;
	sb->mgtime = true;
	sb->direct_io = true; /* Linux 6.6+: buffered, without alignment rules */
	sb->statx_attributes = STATX_ATTR_APPEND | STATX_ATTR_IMMUTABLE | STATX_ATTR_NODUMP;
	struct tmpfs_sb *ts = calloc(1, sizeof(*ts));
	if (!ts) {
		sb_put(sb);
		return -ENOMEM;
	}
	ts->limit_pages = PAGE_ROUND_UP(size_limit) / PAGE_SIZE;
	ts->mf = global_memfile;
	sb->priv = ts;
	sb->release = tmpfs_sb_release;
	struct inode *root = tmpfs_inode_new(sb, S_IFDIR | (root_mode & 07777), 0, 0);
	if (!root) {
		sb_put(sb);
		return -ENOMEM;
	}
	struct dentry *d = dentry_new_take(NULL, "/", root);
	if (!d) {
		inode_put(root);
		sb_put(sb);
		return -ENOMEM;
	}
	*sbp = sb;
	*rootp = d;
	return 0;
}

/* "size=64m,mode=1777" for tmpfs. */
static int parse_tmpfs_data(const char *data, uint64_t *size, uint32_t *mode)
{
	if (!data)
		return 0;
	char *copy = strdup(data), *save = NULL;
	if (!copy)
		return -ENOMEM;
	int r = 0;
	for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *end;
		if (strncmp(opt, "size=", 5) == 0) {
			unsigned long long v = strtoull(opt + 5, &end, 10);
			switch (*end) {
			case 'k': case 'K': v <<= 10; end++; break;
			case 'm': case 'M': v <<= 20; end++; break;
			case 'g': case 'G': v <<= 30; end++; break;
			case '%': v = 0; end++; break; /* percentage of RAM: unlimited here */
			}
			if (*end || end == opt + 5) {
				r = -EINVAL;
				break;
			}
			*size = v;
		} else if (strncmp(opt, "mode=", 5) == 0) {
			unsigned long v = strtoul(opt + 5, &end, 8);
			if (*end || v > 07777) {
				r = -EINVAL;
				break;
			}
			*mode = (uint32_t)v;
		}
		/* uid=, gid=, nr_inodes=, nr_blocks= and others are accepted and ignored, as
		 * they only restrict and the container runtimes pass them routinely. */
	}
	free(copy);
	return r;
}

/* mount -t tmpfs (data: "size=N[kmg%],mode=0755"; a tmpfs mount's mode
 * defaults to 1777 as Linux's). */
static int tmpfs_mount(const char *source, const char *data, struct superblock **sb,
		       struct dentry **root)
{
	uint64_t size = 0;
	uint32_t mode = 01777;
	int r = parse_tmpfs_data(data, &size, &mode);
	if (r < 0)
		return r;
	return tmpfs_new(size, mode, sb, root);
}

int tmpfs_register(void)
{
	return vfs_register_fs("tmpfs", tmpfs_mount);
}

/* For devfs: make a node in a tmpfs directory directly (boot time). */
int tmpfs_add_node(struct inode *dir, const char *name, uint32_t mode, uint64_t rdev,
		   const char *target, struct inode **out)
{
	struct inode *ino;
	int r = target ? tmpfs_symlink(dir, name, target, 0, 0, &ino)
		       : tmpfs_mknod(dir, name, mode, rdev, 0, 0, &ino);
	if (r < 0)
		return r;
	if (out)
		*out = ino;
	else
		inode_put(ino);
	return 0;
}

/* ---- memfd_create ---- */

/* The internal tmpfs every memfd lives on (never mounted). */
static pthread_once_t memfd_once = PTHREAD_ONCE_INIT;
static struct superblock *memfd_sb;
static struct dentry *memfd_root;

static void memfd_sb_init(void)
{
	if (tmpfs_new(0, 01777, &memfd_sb, &memfd_root) < 0)
		memfd_sb = NULL;
}

int tmpfs_memfd_new(const char *name, uint32_t mode, unsigned int seals, uint32_t uid,
		    uint32_t gid, struct file **out)
{
	pthread_once(&memfd_once, memfd_sb_init);
	if (!memfd_sb)
		return -ENOMEM;
	struct inode *ino = tmpfs_inode_new(memfd_sb, S_IFREG | (mode & 07777), uid, gid);
	if (!ino)
		return -ENOMEM;
	TN(ino)->seals = seals;
	struct file *f = file_new_anon(&tmpfs_reg_fops, ino, O_RDWR | O_LARGEFILE, NULL);
	inode_put(ino); /* the file holds its own reference */
	if (!f)
		return -ENOMEM;
	f->stream = false; /* a regular file: pread, lseek, mmap */
	char an[320];
	snprintf(an, sizeof(an), "/memfd:%s (deleted)", name);
	file_set_anon_name(f, an);
	*out = f;
	return 0;
}

/* ---- file seals ---- */

/* As Linux's memfd.c: every regular tmpfs file has seals, F_SEAL_SEAL from
 * the start unless it is a memfd made with MFD_ALLOW_SEALING; they are
 * checked by write, truncate, fallocate, chmod and mmap above.  F_SEAL_WRITE
 * is refused (EBUSY) while a MAP_SHARED mapping may write: sealing_write
 * makes new such mmaps EPERM (Linux's mapping_deny_writable) while the
 * mappings are looked for without the inode's lock (mm locks come first),
 * and map_writers counts the mmaps that passed their check but have no VMA
 * yet. */
static struct inode *sealable(struct file *f)
{
	return f->ops == &tmpfs_reg_fops ? f->inode : NULL;
}

int tmpfs_get_seals(struct file *f)
{
	struct inode *ino = sealable(f);
	if (!ino)
		return -EINVAL;
	vmutex_lock(&ino->lock);
	int seals = (int)TN(ino)->seals;
	vmutex_unlock(&ino->lock);
	return seals;
}

int tmpfs_add_seals(struct file *f, unsigned int seals)
{
	int acc = file_get_flags(f) & O_ACCMODE;
	if (acc != O_WRONLY && acc != O_RDWR)
		return -EPERM;
	if (seals & ~TMPFS_ALL_SEALS)
		return -EINVAL;
	struct inode *ino = sealable(f);
	if (!ino)
		return -EINVAL;
	struct tmpfs_node *n = TN(ino);
	vmutex_lock(&ino->lock);
	if (n->seals & F_SEAL_SEAL) {
		vmutex_unlock(&ino->lock);
		return -EPERM;
	}
	if ((seals & F_SEAL_WRITE) && !(n->seals & F_SEAL_WRITE)) {
		if (n->sealing_write || n->map_writers) {
			vmutex_unlock(&ino->lock);
			return -EBUSY;
		}
		n->sealing_write = true;
		vmutex_unlock(&ino->lock);
		bool busy = mm_file_mapped_maywrite(&n->mmf);
		vmutex_lock(&ino->lock);
		n->sealing_write = false;
		if (busy) {
			vmutex_unlock(&ino->lock);
			return -EBUSY;
		}
	}
	/* As Linux: sealing exec of an executable file seals its contents. */
	if ((seals & F_SEAL_EXEC_) && (ino->mode & 0111))
		seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
	n->seals |= seals;
	vmutex_unlock(&ino->lock);
	return 0;
}

int tmpfs_seal_mmap_begin(struct file *f, int prot, bool *maywrite)
{
	struct inode *ino = sealable(f);
	if (!ino)
		return 0;
	struct tmpfs_node *n = TN(ino);
	int r = 0;
	vmutex_lock(&ino->lock);
	if (n->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)) {
		/* As Linux's seal_check_write: and never writable later. */
		r = (prot & PROT_WRITE) ? -EPERM : 0;
		*maywrite = false;
	} else if (*maywrite) {
		if (n->sealing_write) {
			r = -EPERM;
		} else {
			n->map_writers++;
			r = 1;
		}
	}
	vmutex_unlock(&ino->lock);
	return r;
}

void tmpfs_seal_mmap_end(struct file *f)
{
	struct inode *ino = sealable(f);
	vmutex_lock(&ino->lock);
	TN(ino)->map_writers--;
	vmutex_unlock(&ino->lock);
}
