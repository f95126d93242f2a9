/*
 * patch_text.c — mm_patch_text: rewrite a few bytes of an app's code while
 * its other threads may be running it (syscall patching:
 * sentry/kernel/syscall_patch.c).
 *
 * Only in a private, executable, read-only mapping: a file's private pages
 * are copied first (copy-on-write, as for a debugger's write), so the file
 * and every other process keep their bytes; a shared or writable mapping is
 * left alone (someone else could write the same bytes, or see ours).  The
 * change is one atomic compare-and-exchange of the aligned 8 or 16 bytes
 * that hold it, so a thread fetching those instructions sees either the old
 * bytes or the new ones, never a mix; and it is made only if the bytes
 * still are what the caller saw.
 */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <string.h>

/* 16-byte compare-and-exchange (lock cmpxchg16b): true when *p held old. */
static bool cas16(void *p, const uint8_t old[16], const uint8_t new_val[16])
{
	uint64_t o[2], n[2];
	memcpy(o, old, 16);
	memcpy(n, new_val, 16);
	bool ok;
	__asm__ volatile("lock cmpxchg16b %1"
			 : "=@ccz"(ok), "+m"(*(volatile __int128 *)p), "+a"(o[0]), "+d"(o[1])
			 : "b"(n[0]), "c"(n[1])
			 : "memory");
	return ok;
}

int mm_patch_text(struct mm *mm, uint64_t addr, const uint8_t *expect, size_t n_expect,
		  const uint8_t *repl, size_t n_repl)
{
	if (n_repl == 0 || n_repl > n_expect || n_expect > 16)
		return -EINVAL;
	if (addr >= PLAT_APP_TOP || PLAT_APP_TOP - addr < n_expect)
		return -EFAULT;
	/* Never across a page; the change within one aligned 8 or 16 bytes. */
	if (OFFSET_IN_PAGE(addr) + n_expect > PAGE_SIZE)
		return -EXDEV;
	uint64_t word = addr & ~15ULL;
	size_t at = (size_t)(addr - word);
	if (at + n_repl > 16)
		return -EXDEV;
	bool eight = (addr & 7) + n_repl <= 8;
	int ret = 0;
	vmutex_lock(&mm->lock);
	struct vma *v = vmas_find(&mm->vmas, addr, NULL);
	if (!v || (v->flags & VMA_SHARED) || !(v->prot & PROT_EXEC) || (v->prot & PROT_WRITE)) {
		ret = -EACCES;
		goto out;
	}
	/* The bytes first, without copying anything when they do not match. */
	int64_t pte = mm_populate_locked(mm, v, PAGE_ROUND_DOWN(addr), false);
	if (pte < 0) {
		ret = -EFAULT;
		goto out;
	}
	char *page = memfile_ptr(mm->mf, PTE_OFFSET((uint64_t)pte));
	if (memcmp(page + OFFSET_IN_PAGE(addr), expect, n_expect) != 0) {
		ret = -EAGAIN;
		goto out;
	}
	/* Our own copy of the page (a no-op when it is already). */
	pte = mm_populate_locked(mm, v, PAGE_ROUND_DOWN(addr), true);
	if (pte < 0) {
		ret = -EFAULT;
		goto out;
	}
	page = memfile_ptr(mm->mf, PTE_OFFSET((uint64_t)pte));
	char *w = page + OFFSET_IN_PAGE(word);
	uint8_t old[16], nw[16];
	memcpy(old, w, 16);
	if (memcmp(page + OFFSET_IN_PAGE(addr), expect, n_expect) != 0 ||
	    memcmp(old + at, expect, n_repl) != 0) {
		ret = -EAGAIN;
		goto out;
	}
	memcpy(nw, old, 16);
	memcpy(nw + at, repl, n_repl);
	bool ok;
	if (eight) {
		size_t half = at & 8;
		uint64_t o, n;
		memcpy(&o, old + half, 8);
		memcpy(&n, nw + half, 8);
		ok = __atomic_compare_exchange_n((uint64_t *)(void *)(w + half), &o, n, false,
						 __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
	} else {
		ok = cas16(w, old, nw);
	}
	if (!ok)
		ret = -EAGAIN;
out:
	mm_unlock(mm);
	return ret;
}
