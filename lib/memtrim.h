/*
 * memtrim.h — what an idle sandbox process (the Sentry, the Gofer) gives back
 * to the host, and when it is idle enough to do so.
 */
#ifndef VISOR_LIB_MEMTRIM_H
#define VISOR_LIB_MEMTRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Give back what an idle process keeps resident without needing it:
 * malloc_trim(0) returns the free pages of every malloc arena, and the
 * resident pages of the read-only segments of the program and its libraries
 * (code, read-only data) are dropped with MADV_DONTNEED.  Those are private
 * file mappings never written, so a page dropped faults back from the page
 * cache, unchanged, when it is used again (with its neighbours: the kernel
 * maps up to 64 KiB around a file fault, so what a periodic thread runs
 * comes back at that grain).  Host calls: brk, madvise(MADV_DONTNEED) (both
 * jails allow them: the C library's allocator needs them anyway).  Returns
 * the bytes of segments advised. */
size_t memtrim_now(void);

/* Pages mapped apart from the malloc heap, for the large buffers a process
 * allocates at boot and keeps: freed, they go back to the host at once,
 * and they never pin the top of the brk heap, which malloc_trim can only
 * shrink down to its highest allocation.  Zero-filled, like calloc.  NULL
 * on failure; memtrim_free_pages(NULL, n) does nothing. */
void *memtrim_alloc_pages(size_t size);
void memtrim_free_pages(void *p, size_t size);

/* Drop the contents of a scratch buffer from memtrim_alloc_pages (it reads
 * as zeros afterwards) while nothing is using it. */
void memtrim_drop_pages(void *p, size_t size);

/* When the process is idle: the caller counts what the app does (its
 * syscalls and page faults, or the requests served) and samples the count
 * once per MEMTRIM_IDLE_PERIOD_MS.  A period with at most
 * MEMTRIM_IDLE_EVENTS events is idle; the first idle period after a busy
 * one (or the first one at all) is when to trim, so a busy app never pays
 * for it and a sleeping one pays once. */
#define MEMTRIM_IDLE_PERIOD_MS 2000
#define MEMTRIM_IDLE_EVENTS 64

struct memtrim_idle {
	uint64_t last; /* the count at the last sample */
	bool sampled;  /* last is set */
	bool trimmed;  /* trimmed since the last busy period */
};

/* Sample the count: true when the caller should call memtrim_now(). */
bool memtrim_idle_due(struct memtrim_idle *st, uint64_t count);

#endif
