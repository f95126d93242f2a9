/*
 * pagecache.h — a page cache in the memory file for a file whose data lives
 * elsewhere (goferfs: the host file, read and written through a donated fd),
 * so that the file can be mapped MAP_SHARED: every mapping of it, in any
 * process of the sandbox, maps the same memory-file pages, and read(2) and
 * write(2) of the file see and update them.
 *
 * The design (sentry/mm/pagecache.c says more):
 *   - pages are cached while the file is mapped (its mm_file has users:
 *     VMAs, the loader); the last user gone, dirty pages are written back
 *     and every page is dropped, unless the cache keeps them (keep: the
 *     Sentry is the only writer of the file, file-access=exclusive): then
 *     they stay, within a budget for all unmapped caches (the least recently
 *     unmapped go first) and as long as the memory file is not short;
 *   - write(2) writes through: to the backing file and, where a page is
 *     cached, to the page (under the cache's lock, so a write-back of that
 *     page cannot interleave); read(2) reads the backing file with the
 *     cached pages over it.  Data written with write(2) is never only in
 *     the Sentry's memory;
 *   - what mappings write is in the pages until written back: by msync,
 *     fsync/fdatasync, the close of a description, the last unmapping, sync(2)
 *     and the Sentry's exit.  Dirty pages are known exactly: a shared mapping
 *     maps a page read-only until its first write (mm_file_ops.page_mkwrite),
 *     and a write-back write-protects the pages it cleans (mm_file_mkclean);
 *   - a size change (truncate) drops the pages past the end from the cache
 *     and unmaps them everywhere (mm_file_unmap_from): an access there is
 *     SIGBUS, as Linux.
 */
#ifndef VISOR_SENTRY_MM_PAGECACHE_H
#define VISOR_SENTRY_MM_PAGECACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/mm/memfile.h"

struct pagecache;

/* What the owner of a cache (a goferfs inode) provides; owner is the pointer
 * given to pagecache_new. */
struct pagecache_ops {
	/* A reference to the owner for each user of the cache's mm_file. */
	void (*get)(void *owner);
	void (*put)(void *owner);
	/* The backing file: read up to len bytes at off (fewer at its end),
	 * write len bytes at off; a count or -errno. */
	ssize_t (*read)(void *owner, void *buf, size_t len, uint64_t off);
	ssize_t (*write)(void *owner, const void *buf, size_t len, uint64_t off);
	/* The file's size. */
	int64_t (*size)(void *owner);
	/* Flush the backing file to stable storage (fdatasync); 0 or -errno. */
	int (*datasync)(void *owner);
};

/* A cache of pages of mf for owner's file (dev/ino: what /proc/<pid>/maps
 * shows); keep: its pages outlive the last unmapping (only where every
 * change of the file goes through this cache).  NULL when out of memory. */
struct pagecache *pagecache_new(struct memfile *mf, const struct pagecache_ops *ops, void *owner,
				uint64_t dev, uint64_t ino, bool keep);
/* The owner is going, no mapping is left: write back what is dirty, free. */
void pagecache_free(struct pagecache *pc);
/* What mmap maps (borrowed: lives as long as pc). */
struct mm_file *pagecache_mm_file(struct pagecache *pc);

/* read(2): up to len bytes at off, the backing file's with the cached pages
 * over them. */
ssize_t pagecache_read(struct pagecache *pc, void *buf, size_t len, uint64_t off);

/* write(2) and truncate: hold the cache across the change of the backing file
 * (pagecache_lock), then tell the cache with pagecache_written (bytes
 * [off, off + len) are buf now; old_size the size before) or pagecache_resized
 * (the size went from old_size to new_size), then pagecache_unlock.  After a
 * shrink the caller calls pagecache_unmap_past(pc, new_size) with no lock held. */
void pagecache_lock(struct pagecache *pc);
void pagecache_unlock(struct pagecache *pc);
void pagecache_written(struct pagecache *pc, const void *buf, size_t len, uint64_t off,
		       uint64_t old_size);
void pagecache_resized(struct pagecache *pc, uint64_t old_size, uint64_t new_size);
void pagecache_unmap_past(struct pagecache *pc, uint64_t new_size);

/* Write the dirty pages of bytes [off, off + len) back (len UINT64_MAX: to
 * the end); 0 or the first -errno (the failed pages stay dirty). */
int pagecache_writeback(struct pagecache *pc, uint64_t off, uint64_t len);
/* Is a page of pc dirty? */
bool pagecache_dirty(struct pagecache *pc);

/* Write every dirty page of every cache back (sync(2), the Sentry's exit).
 * The pages stay mapped and dirty (nothing is write-protected): this never
 * takes an mm's lock. */
void pagecache_sync_all(void);

/* Kept pages: how many the unmapped caches hold; empty the least recently
 * unmapped caches until at most target pages are kept (the pages freed);
 * the budget past which the last unmapping of a file does that (default
 * 64 MiB, in pages). */
uint64_t pagecache_kept_pages(void);
uint64_t pagecache_reclaim(uint64_t target);
void pagecache_set_keep_budget(uint64_t npages);
/* The memory file's shrinker (memfile_set_shrinker): empty unmapped caches,
 * oldest first, until npages are freed; trylocks only. */
uint64_t pagecache_shrink(void *arg, uint64_t npages);

#endif
