/*
 * introspect.c — what /proc shows of an mm: its VMAs with their names
 * (maps, smaps; "[heap]", "[stack]") and its size and resident pages
 * (stat, status); and, for the debug log, where its page faults went (the
 * faults each VMA served, logged when the mm goes).  Reads only, under
 * mm->lock; never changes a mapping.
 */
#include <stdio.h>

#include "lib/log.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"

/* The name /proc/PID/maps gives an anonymous VMA: "[heap]" for the pages
 * brk added, "[stack]", or NULL.  (Linux tests start <= brk && end >=
 * start_brk, which also names a bss VMA ending at an unrandomized
 * start_brk.) */
static const char *anon_vma_name(const struct mm *mm, const struct vma *v)
{
	uint64_t heap_lo = PAGE_ROUND_UP(mm->brk_start), heap_hi = PAGE_ROUND_UP(mm->brk);
	if (heap_lo < heap_hi && v->start < heap_hi && v->end > heap_lo)
		return "[heap]";
	if (v->start < mm->stack_end && v->end > mm->stack_start)
		return "[stack]";
	return NULL;
}

/* fn runs under mm->lock: it must not call back into this mm. */
void mm_for_each_vma(struct mm *mm, void (*fn)(const struct mm_vma_info *v, void *arg), void *arg)
{
	vmutex_lock(&mm->lock);
	for (size_t i = 0; i < mm->vmas.n; i++) {
		const struct vma *v = mm->vmas.v[i];
		struct mm_vma_info info = {
		    .start = v->start,
		    .end = v->end,
		    .offset = (v->file && !(v->flags & VMA_SHMEM)) ? v->off : 0,
		    .prot = v->prot,
		    .shared = v->flags & VMA_SHARED,
		};
		if (v->file) {
			info.name = v->file->name;
			info.dev = v->file->dev;
			info.ino = v->file->ino;
		} else {
			info.name = anon_vma_name(mm, v);
		}
		fn(&info, arg);
	}
	mm_unlock(mm);
}

void mm_usage(struct mm *mm, uint64_t *vsize, uint64_t *rss)
{
	vmutex_lock(&mm->lock);
	uint64_t vs = 0;
	for (size_t i = 0; i < mm->vmas.n; i++)
		vs += mm->vmas.v[i]->end - mm->vmas.v[i]->start;
	if (vsize)
		*vsize = vs;
	if (rss)
		*rss = mm->pt.nr_present * PAGE_SIZE;
	mm_unlock(mm);
}

/*
 * Where the page faults of an mm went, for finding what a workload faults
 * on (each fault is a trap and a platform round trip): the faults its VMAs
 * served, the most first, at most MM_FAULT_TOP of them, as
 * "747 [heap] rw-p 5555558df000-555555967000, 59 /usr/lib/...".  A VMA
 * split off gets none of the count, a merge adds both up, a VMA unmapped
 * takes its own away.  Returns the faults of all its VMAs.
 */
#define MM_FAULT_TOP 5
uint64_t mm_fault_histogram(struct mm *mm, char *buf, size_t len)
{
	vmutex_lock(&mm->lock);
	const struct vma *top[MM_FAULT_TOP] = {0};
	uint64_t total = 0;
	for (size_t i = 0; i < mm->vmas.n; i++) {
		const struct vma *v = mm->vmas.v[i];
		total += v->faults;
		if (!v->faults)
			continue;
		/* Insert into the sorted top list, dropping its last. */
		for (int k = 0; k < MM_FAULT_TOP; k++) {
			if (top[k] && top[k]->faults >= v->faults)
				continue;
			for (int m = MM_FAULT_TOP - 1; m > k; m--)
				top[m] = top[m - 1];
			top[k] = v;
			break;
		}
	}
	size_t n = 0;
	if (len)
		buf[0] = 0;
	for (int k = 0; k < MM_FAULT_TOP && top[k] && n < len; k++) {
		const struct vma *v = top[k];
		/* A file without a name (goferfs'): its inode number. */
		char ino[32];
		const char *name = v->file ? v->file->name : anon_vma_name(mm, v);
		if (v->file && !(name && *name)) {
			snprintf(ino, sizeof(ino), "ino:%llu", (unsigned long long)v->file->ino);
			name = ino;
		}
		int w = snprintf(buf + n, len - n, "%s%u %s %c%c%c%c %llx-%llx", k ? ", " : "",
				 v->faults, name && *name ? name : "[anon]",
				 v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
				 v->prot & PROT_EXEC ? 'x' : '-', v->flags & VMA_SHARED ? 's' : 'p',
				 (unsigned long long)v->start, (unsigned long long)v->end);
		if (w < 0)
			break;
		n += (size_t)w;
	}
	mm_unlock(mm);
	return total;
}

/* An mm with fewer faults than this logs nothing when it goes: every
 * /bin/true of a shell loop would. */
#define MM_FAULT_LOG_MIN 32

void mm_log_faults(struct mm *mm)
{
	if (log_get_level() < LOG_INFO)
		return;
	char line[768];
	uint64_t total = mm_fault_histogram(mm, line, sizeof(line));
	if (total < MM_FAULT_LOG_MIN)
		return;
	char exe[32] = "?";
	if (mm->exe)
		snprintf(exe, sizeof(exe), "ino:%llu", (unsigned long long)mm->exe->ino);
	log_info("mm: faults by VMA of %s (%llu in all): %s",
		 mm->exe && mm->exe->name && *mm->exe->name ? mm->exe->name : exe,
		 (unsigned long long)total, line);
}
