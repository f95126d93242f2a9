/*
 * loadahead.c — what the mm maps ahead when ld.so loads a library, when
 * a program maps a small file to read it, and a program's bss at exec.
 *
 * ld.so maps a library as one read-only reservation of the whole file,
 * then its segments over it with MAP_FIXED (text, read-only data, and last
 * the writable data, all MAP_PRIVATE|MAP_DENYWRITE: VMA_LOADED), then
 * writes the data (it zeroes the tail of the last file page and applies the
 * relocations) and reads the first segment (the ELF and program headers,
 * the hash, symbol and string tables).  Each of those first touches was a
 * fault and a platform round trip: two or three per library, eight
 * libraries for every cc1.  When the writable data is mapped, the mm now
 * maps in the same platform request (the one that returns from that mmap):
 *   - the data, copied from the file's cache and writable, as the first
 *     write fault would have (mm.c's cow_window_allowed: a loaded
 *     library's data may be copied early), when it is no larger than that
 *     fault's window (MM_FAULT_AROUND_LIB_COPY);
 *   - the pages the file already has in memory of the library's VMAs
 *     below it (the same file, adjacent), read-only or executable as
 *     their faults would map them, over each one's first
 *     MM_FAULT_AROUND_CACHED pages.
 * Nothing is read from the file that its faults would not have read, and
 * a page not mapped ahead still faults as before.
 *
 * A read-only mapping of a small file (no larger than a file fault's
 * window, MM_FAULT_AROUND_FILE), not MAP_FIXED and not a library's
 * reservation (MAP_DENYWRITE, which ld.so's segments replace at once), is
 * read at once: ld.so maps /etc/ld.so.cache and reads it next, at every
 * exec; iconv its gconv cache.  Its first touch would fault the whole
 * mapping in, in one window, anyway; the map now rides in the request that
 * returns from the mmap instead of a fault's own.
 *
 * A program's bss (the anonymous part of its data segment, which the
 * loader maps at exec) no larger than MM_FAULT_AROUND_SEQ_MAX pages is
 * allocated and mapped at once, in the exec's first request: cc1's 1.6 MiB
 * of static tables took ten first-touch faults per compile, which mapped
 * 1.3 MiB of it.  Frames nobody touches cost no host memory (the memory
 * file's holes).
 *
 * Locking: the caller holds mm->lock (mm_populate_bss takes it).
 */
#include <sys/mman.h>

#include "lib/lockdep.h"
#include "sentry/mm/mm_internal.h"

void mm_load_ahead_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	size_t i;
	struct vma *v = vmas_find(&mm->vmas, start, &i);
	if (!v || v->start != start || v->end < end || !v->file || !(v->flags & VMA_LOADED) ||
	    (v->flags & VMA_SHARED) || !(v->prot & PROT_WRITE) || (v->prot & PROT_EXEC) ||
	    !v->file->ops->shared_page)
		return;
	if (end - start <= MM_FAULT_AROUND_LIB_COPY * PAGE_SIZE) {
		mm_prefill_file(mm, v, start, end, false);
		mm_cow_copy_window(mm, start, end);
		mm_map_window(mm, v, start, end);
	}
	if (!v->file->ops->cached_page)
		return;
	/* The library's other VMAs: below, adjacent, of the same file. */
	for (uint64_t below = start; i > 0; i--) {
		struct vma *w = mm->vmas.v[i - 1];
		if (w->end != below || w->file != v->file || !(w->flags & VMA_LOADED) ||
		    (w->prot & PROT_WRITE) || !(w->prot & PROT_READ))
			break;
		uint64_t lo, hi;
		mm_fault_window(w, w->start, MM_FAULT_AROUND_CACHED, &lo, &hi);
		mm_prefill_file(mm, w, lo, hi, true);
		mm_map_window(mm, w, lo, hi);
		below = w->start;
	}
}

void mm_read_ahead_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vmas_find(&mm->vmas, start, NULL);
	if (!v || v->start != start || v->end < end || !v->file || !v->file->ops->shared_page ||
	    !(v->prot & PROT_READ) || (v->prot & PROT_WRITE))
		return;
	mm_prefill_file(mm, v, start, end, false);
	mm_map_window(mm, v, start, end);
}

void mm_populate_bss(struct mm *mm, uint64_t start, uint64_t end)
{
	if (end <= start || end - start > MM_FAULT_AROUND_SEQ_MAX * PAGE_SIZE)
		return;
	vmutex_lock(&mm->lock);
	if (mm_plat_maps_hold(mm))
		mm_populate_anon(mm, start, end);
	mm_unlock(mm);
}
