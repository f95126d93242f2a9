/*
 * inode.c — inodes and superblocks: allocation, references, timestamps and
 * stat.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "lib/lockdep.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- inodes */

struct timespec vfs_now(void)
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
	vmutex_init(&ino->lock, LOCK_CLASS(INODE));
	ino->mode = mode;
	ino->special_ops = vfs_special_ops(mode);
	ino->nlink = S_ISDIR(mode) ? 2 : 1;
	ino->blksize = 4096;
	ino->atime = ino->mtime = ino->ctime = ino->btime = vfs_now();
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
	simple_xattrs_free(ino);
	vfs_leases_free(ino);
	vfs_dnotify_free(ino);
	struct superblock *sb = ino->sb;
	vmutex_destroy(&ino->lock);
	free(ino);
	if (sb)
		sb_put(sb);
}

void inode_touch(struct inode *ino, int which)
{
	struct timespec ts = vfs_now();
	vmutex_lock(&ino->lock);
	if (which & VFS_TOUCH_A)
		ino->atime = ts;
	if (which & VFS_TOUCH_M)
		ino->mtime = ts;
	if (which & VFS_TOUCH_C)
		ino->ctime = ts;
	vmutex_unlock(&ino->lock);
}

/* The counter only moves away from zero in one direction at a time, so
 * writers and deniers exclude each other with a compare-and-swap. */
int inode_get_write_access(struct inode *ino)
{
	int v = atomic_load(&ino->writecount);
	do {
		if (v < 0)
			return -ETXTBSY;
	} while (!atomic_compare_exchange_weak(&ino->writecount, &v, v + 1));
	return 0;
}

void inode_put_write_access(struct inode *ino)
{
	atomic_fetch_sub(&ino->writecount, 1);
}

int inode_deny_write_access(struct inode *ino)
{
	int v = atomic_load(&ino->writecount);
	do {
		if (v > 0)
			return -ETXTBSY;
	} while (!atomic_compare_exchange_weak(&ino->writecount, &v, v - 1));
	return 0;
}

void inode_allow_write_access(struct inode *ino)
{
	atomic_fetch_add(&ino->writecount, 1);
}

void inode_fill_stat(struct inode *ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	vmutex_lock(&ino->lock);
	st->st_dev = ino->sb ? ino->sb->dev : 0;
	st->st_ino = ino->ino;
	st->st_mode = ino->mode;
	st->st_nlink = ino->nlink;
	st->st_uid = ino->uid;
	st->st_gid = ino->gid;
	st->st_rdev = ino->rdev;
	st->st_size = ino->size;
	st->st_blksize = ino->blksize ? ino->blksize : 4096;
	/* What the file system allocated: a sparse file does not count its holes. */
	st->st_blocks = ino->blocks;
	st->st_atim = ino->atime;
	st->st_mtim = ino->mtime;
	st->st_ctim = ino->ctime;
	vmutex_unlock(&ino->lock);
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
