/*
 * memtrim.c — giving memory back while idle (see memtrim.h).
 *
 * Owns: nothing but the helpers; the callers (the Sentry's watchdog, the
 * Gofer's server loop) decide when.  Never: touches a writable mapping
 * other than through the allocator (a private file page that was written,
 * like the relocated GOT, would lose its contents to MADV_DONTNEED), opens
 * a file (the Sentry and the Gofer run jailed, with no file system: the
 * program's segments come from the dynamic loader's list, not
 * /proc/self/maps), or blocks.
 */
#include "lib/memtrim.h"

#include <link.h>
#include <malloc.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

/* Pages from memtrim_alloc_pages hold pointers to malloc'd objects (the
 * netstack's interfaces): under AddressSanitizer, LeakSanitizer must scan
 * them as it scans the heap, or what they point to looks leaked (gcc says
 * __SANITIZE_ADDRESS__, clang __has_feature: the fuzz targets are clang's). */
#if defined(__SANITIZE_ADDRESS__)
#define MEMTRIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MEMTRIM_ASAN 1
#endif
#endif
#ifdef MEMTRIM_ASAN
#include <sanitizer/lsan_interface.h>
#define lsan_root(p, n) __lsan_register_root_region((p), (n))
#define lsan_unroot(p, n) __lsan_unregister_root_region((p), (n))
#else
#define lsan_root(p, n) ((void)(p), (void)(n))
#define lsan_unroot(p, n) ((void)(p), (void)(n))
#endif

static uintptr_t page_mask(void)
{
	return ~((uintptr_t)sysconf(_SC_PAGESIZE) - 1);
}

/* Every loaded object's (the program's, then its libraries': their pages
 * count in the process's Pss too) loadable segments without PF_W: mapped
 * read-only (or read-execute) from the file and never written.  RELRO data
 * lies in a writable segment (made read-only after relocation), so it is
 * left alone, and so is the vDSO, which is no file mapping.  Only the whole
 * pages inside a segment are advised. */
static int trim_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	size_t *advised = arg;
	uintptr_t mask = page_mask();
	if (info->dlpi_addr && info->dlpi_addr == (uintptr_t)getauxval(AT_SYSINFO_EHDR))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		uintptr_t end = (start + ph->p_memsz) & mask;
		start = (start + ~mask) & mask;
		if (end <= start)
			continue;
		if (madvise((void *)start, end - start, MADV_DONTNEED) == 0)
			*advised += end - start;
	}
	return 0;
}

size_t memtrim_now(void)
{
	size_t advised = 0;
	malloc_trim(0);
	dl_iterate_phdr(trim_object, &advised);
	return advised;
}

static size_t pages_len(size_t size)
{
	return (size + ~page_mask()) & page_mask();
}

void *memtrim_alloc_pages(size_t size)
{
	if (!size)
		return NULL;
	void *p = mmap(NULL, pages_len(size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	lsan_root(p, pages_len(size));
	return p;
}

void memtrim_free_pages(void *p, size_t size)
{
	if (!p)
		return;
	lsan_unroot(p, pages_len(size));
	munmap(p, pages_len(size));
}

void memtrim_drop_pages(void *p, size_t size)
{
	if (p)
		madvise(p, pages_len(size), MADV_DONTNEED);
}

bool memtrim_idle_due(struct memtrim_idle *st, uint64_t count)
{
	uint64_t delta = count - st->last;
	bool first = !st->sampled;
	st->last = count;
	st->sampled = true;
	if (first)
		return false; /* no period measured yet */
	if (delta > MEMTRIM_IDLE_EVENTS) {
		st->trimmed = false;
		return false;
	}
	if (st->trimmed)
		return false;
	st->trimmed = true;
	return true;
}
