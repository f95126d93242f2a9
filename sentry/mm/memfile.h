/*
 * memfile.h — the memory file and the files mm can map: what file systems
 * need from mm (tmpfs keeps its pages in the memory file; tmpfs, goferfs and
 * /dev/zero offer struct mm_file for mmap), without the address spaces and
 * the platform (mm.h).
 */
#ifndef VISOR_SENTRY_MM_MEMFILE_H
#define VISOR_SENTRY_MM_MEMFILE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* ---- memory file ---- */
struct memfile;

/* Create the memory file with room for up to `limit` bytes (sparse). */
int memfile_new(uint64_t limit, struct memfile **out);
void memfile_free(struct memfile *mf);
int memfile_fd(const struct memfile *mf);
/* Allocate npages zeroed pages (refcount 1 each); returns the byte offset or -ENOMEM. */
int64_t memfile_alloc(struct memfile *mf, uint64_t npages);
/* The same without zeroing: what the pages hold is undefined (another
 * process's old data), for a caller that writes every byte of every page
 * it keeps before anyone can see it (a copy), and frees the others. */
int64_t memfile_alloc_raw(struct memfile *mf, uint64_t npages);
/* When an allocation fails (no free run, or the container's limit), call
 * shrink(arg, npages) with no memfile lock held, and try once more if it
 * freed any page (it returns how many).  shrink may run under any Sentry lock
 * but memfile->lock: it may only trylock. */
void memfile_set_shrinker(struct memfile *mf, uint64_t (*shrink)(void *arg, uint64_t npages),
			  void *arg);
void memfile_incref(struct memfile *mf, uint64_t offset, uint64_t npages);
/* Drop a reference; pages reaching zero are freed: kept in a bounded pool
 * of dirty free frames (zeroed when allocated again), whose overflow is
 * given back to the host (hole punched). */
void memfile_decref(struct memfile *mf, uint64_t offset, uint64_t npages);
/* Give every dirty free frame back to the host now. */
void memfile_trim(struct memfile *mf);
/* Frames in the dirty pool (free, not yet given back). */
uint64_t memfile_dirty_pages(struct memfile *mf);
uint32_t memfile_refcount(struct memfile *mf, uint64_t offset);
/* The Sentry's pointer to the memory file at offset. */
void *memfile_ptr(struct memfile *mf, uint64_t offset);
/* Bytes of the memory file in use (for /proc/meminfo, sysinfo). */
uint64_t memfile_used(struct memfile *mf);
/* The container's memory limit (bytes, 0 = none: only the file's size
 * bounds it).  The app's pages get memfile_app_limit of it; an allocation
 * past that fails with -ENOMEM and records that the limit was hit, for the
 * Sentry's OOM killer (kernel/oom.c). */
void memfile_set_limit(struct memfile *mf, uint64_t bytes);
/* The part of a container memory limit the app's pages may use: the rest is
 * the sandbox's own (see memfile.c). */
uint64_t memfile_app_limit(uint64_t bytes);
/* Was the limit hit since the last call?  Clears the record. */
bool memfile_take_oom(struct memfile *mf);
/* Is the file at its limit (no page can be allocated)? */
bool memfile_at_limit(struct memfile *mf);

/* ---- files that can be mapped ---- */

/* What a file description offers mm for mmap.  Owned by the file; mm takes a
 * reference per VMA with get/put. */
struct mm_file;
struct mm_file_ops {
	void (*get)(struct mm_file *f);
	void (*put)(struct mm_file *f);
	/* Read file contents for a private mapping's page fault (short reads past
	 * EOF are zero-filled by mm; reading entirely past EOF gives SIGBUS). */
	ssize_t (*pread)(struct mm_file *f, void *buf, size_t len, uint64_t off);
	/* For MAP_SHARED: the memory-file offset of the file's page at pgoff,
	 * with a reference for the caller.  NULL when the file cannot be mapped
	 * shared (then mmap(MAP_SHARED) fails with ENODEV, as Linux for such
	 * files). */
	int64_t (*shared_page)(struct mm_file *f, uint64_t pgoff);
	/* Optional, with shared_page: as shared_page, but only for a page the
	 * file already has in memory (cached), never reading it: -ENOENT
	 * otherwise.  For fault-around over more pages than a fault may read
	 * (MM_FAULT_AROUND_CACHED). */
	int64_t (*cached_page)(struct mm_file *f, uint64_t pgoff);
	/* File size, for SIGBUS past EOF. */
	int64_t (*size)(struct mm_file *f);
	/* Optional, for files whose shared pages are written back somewhere
	 * (goferfs: to the host file).  Present: a MAP_SHARED mapping maps each
	 * page read-only until the first write to it, which calls this under
	 * mm->lock (page pgoff is being dirtied; 0, or -errno for SIGBUS); the
	 * file write-protects the pages again when it writes them back
	 * (mm_file_mkclean), so it always knows which pages are dirty. */
	int (*page_mkwrite)(struct mm_file *f, uint64_t pgoff);
	/* Optional: write the dirty pages of bytes [off, off + len) back
	 * (msync), and with datasync to stable storage too (MS_SYNC).  Called
	 * with no lock held. */
	int (*sync)(struct mm_file *f, uint64_t off, uint64_t len, bool datasync);
};
struct mm_file {
	const struct mm_file_ops *ops;
	char *name; /* path shown in /proc/self/maps */
	uint64_t dev, ino;
};

/* Every mapping of f in the sandbox (MAP_SHARED and the private copies of
 * its pages too, as Linux's truncate) loses its pages at and after file page
 * pgoff: the next access faults, SIGBUS past the end of the file.  For a
 * truncate, after the file's new size is set.  The mappings of processes
 * whose address space the calling thread may not change (the platform says,
 * as_can_change) keep those pages until they unmap them (memory stays safe:
 * each mapping holds its own reference).  Takes each mm's lock: the caller
 * holds none below it (sentry/LOCKING.md). */
void mm_file_unmap_from(struct mm_file *f, uint64_t pgoff);
/* Whether some MAP_SHARED mapping of f in the sandbox may be made writable
 * (Linux: VM_SHARED with VM_MAYWRITE, what i_mmap_writable counts), for
 * F_SEAL_WRITE's EBUSY.  Locking as above. */
bool mm_file_mapped_maywrite(struct mm_file *f);
/* The shared mappings of f's pages [pgoff, pgoff + npages) become read-only
 * until written again (page_mkwrite): the write-back of those pages starts
 * after this, so no write to them goes unseen.  A page that stays writable in
 * a mapping the calling thread may not change is reported to busy(arg,
 * pgoff) (maybe more than once): the file must keep it dirty.  Locking as
 * above; busy runs under an mm's lock. */
void mm_file_mkclean(struct mm_file *f, uint64_t pgoff, uint64_t npages,
		     void (*busy)(void *arg, uint64_t pgoff), void *arg);

/* An anonymous shared-memory object, what MAP_SHARED|MAP_ANONYMOUS maps:
 * zero pages allocated on first touch and shared by every mapping of it
 * (fork children included); size unbounded.  Returned with one reference
 * (ops->put drops it).  For /dev/zero MAP_SHARED, SysV shm and the like. */
struct mm_file *mm_shmem_new(struct memfile *mf);
/* How many pages of a shmem object (mm_shmem_new) exist: its resident size. */
uint64_t mm_shmem_pages(struct mm_file *f);

#endif
