/*
 * usercopy.c — the Sentry's access to application memory: copy_in/out,
 * zero_out, string copies, 32-bit atomics for futexes, futex keys.
 *
 * Every access goes through the page table and the Sentry's own mapping of
 * the memory file (memfile_ptr), never through the platform, so a bad app
 * pointer (NULL, kernel half, wraparound, unmapped, PROT_NONE, read-only for
 * a write) is an -EFAULT and never a Sentry crash.  Missing pages are filled
 * as a fault would fill them (without mapping them on the platform), a
 * MAP_GROWSDOWN stack grows as it would when the kernel writes a signal
 * frame, and a write to a copy-on-write page breaks the sharing (and drops
 * the platform's mapping of the old frame).
 *
 * mm->lock is held for a whole copy, so no page can be freed under it.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/mm/mm_internal.h"

/* Is [addr, addr+len) inside the application half, without wraparound? */
static bool range_ok(uint64_t addr, size_t len)
{
	return addr < PLAT_APP_TOP && len <= PLAT_APP_TOP - addr;
}

/* The Sentry pointer to the page of addr, ready for a read or a write. */
static void *user_page(struct mm *mm, uint64_t addr, bool write)
{
	uint64_t page = PAGE_ROUND_DOWN(addr);
	struct vma *v = mm_find_vma_grow_locked(mm, addr);
	if (!v)
		return NULL;
	/* x86: any of read/write/exec makes a page readable. */
	if (write ? !(v->prot & PROT_WRITE) : !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
		return NULL;
	int64_t pte = mm_populate_locked(mm, v, page, write);
	if (pte < 0)
		return NULL;
	return memfile_ptr(mm->mf, PTE_OFFSET((uint64_t)pte));
}

enum copy_op { COPY_IN, COPY_OUT, ZERO_OUT };

static int copy(struct mm *mm, enum copy_op op, uint64_t uaddr, void *kbuf, size_t len)
{
	if (len == 0)
		return 0;
	if (!range_ok(uaddr, len))
		return -EFAULT;
	int ret = 0;
	char *k = kbuf;
	vmutex_lock(&mm->lock);
	while (len) {
		size_t in_page = PAGE_SIZE - OFFSET_IN_PAGE(uaddr);
		size_t n = len < in_page ? len : in_page;
		char *p = user_page(mm, uaddr, op != COPY_IN);
		if (!p) {
			ret = -EFAULT;
			break;
		}
		p += OFFSET_IN_PAGE(uaddr);
		if (op == COPY_IN)
			memcpy(k, p, n);
		else if (op == COPY_OUT)
			memcpy(p, k, n);
		else
			memset(p, 0, n);
		if (k)
			k += n;
		uaddr += n;
		len -= n;
	}
	mm_unlock(mm);
	return ret;
}

int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t len)
{
	return copy(mm, COPY_IN, src, dst, len);
}

int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t len)
{
	return copy(mm, COPY_OUT, dst, (void *)src, len);
}

int mm_zero_out(struct mm *mm, uint64_t dst, size_t len)
{
	return copy(mm, ZERO_OUT, dst, NULL, len);
}

int mm_access_force(struct mm *mm, uint64_t addr, void *buf, size_t len, bool write)
{
	if (len == 0)
		return 0;
	if (!range_ok(addr, len))
		return -EFAULT;
	int ret = 0;
	char *k = buf;
	vmutex_lock(&mm->lock);
	while (len) {
		size_t in_page = PAGE_SIZE - OFFSET_IN_PAGE(addr);
		size_t n = len < in_page ? len : in_page;
		struct vma *v = vmas_find(&mm->vmas, addr, NULL);
		if (!v || (write && (v->flags & VMA_SHARED) && !(v->prot & PROT_WRITE))) {
			ret = -EFAULT;
			break;
		}
		int64_t pte = mm_populate_locked(mm, v, PAGE_ROUND_DOWN(addr), write);
		if (pte < 0) {
			ret = -EFAULT;
			break;
		}
		char *p = (char *)memfile_ptr(mm->mf, PTE_OFFSET((uint64_t)pte)) + OFFSET_IN_PAGE(addr);
		if (write)
			memcpy(p, k, n);
		else
			memcpy(k, p, n);
		k += n;
		addr += n;
		len -= n;
	}
	mm_unlock(mm);
	return ret;
}

ssize_t mm_copy_string_in(struct mm *mm, char *dst, uint64_t src, size_t max)
{
	ssize_t ret = -ENAMETOOLONG;
	size_t done = 0;
	vmutex_lock(&mm->lock);
	while (done < max) {
		uint64_t a = src + done;
		if (a < src || a >= PLAT_APP_TOP) {
			ret = -EFAULT;
			break;
		}
		size_t in_page = PAGE_SIZE - OFFSET_IN_PAGE(a);
		size_t n = max - done < in_page ? max - done : in_page;
		const char *p = user_page(mm, a, false);
		if (!p) {
			ret = -EFAULT;
			break;
		}
		p += OFFSET_IN_PAGE(a);
		const char *nul = memchr(p, 0, n);
		size_t take = nul ? (size_t)(nul - p) + 1 : n;
		memcpy(dst + done, p, take);
		done += take;
		if (nul) {
			ret = (ssize_t)done - 1;
			break;
		}
	}
	mm_unlock(mm);
	return ret;
}

/* Futex words must be 4-byte aligned: EINVAL otherwise, as futex(2). */
int mm_atomic_cmpxchg32(struct mm *mm, uint64_t addr, uint32_t old, uint32_t new_val,
			uint32_t *prev)
{
	if (addr & 3)
		return -EINVAL;
	if (!range_ok(addr, 4))
		return -EFAULT;
	int ret = 0;
	vmutex_lock(&mm->lock);
	char *p = user_page(mm, addr, true);
	if (p) {
		/* The app may be using the word through its own mapping of the
		 * same memory-file page at this moment: a real atomic. */
		uint32_t *w = (uint32_t *)(p + OFFSET_IN_PAGE(addr));
		uint32_t expected = old;
		__atomic_compare_exchange_n(w, &expected, new_val, false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST);
		*prev = expected;
	} else {
		ret = -EFAULT;
	}
	mm_unlock(mm);
	return ret;
}

int mm_load32(struct mm *mm, uint64_t addr, uint32_t *val)
{
	if (addr & 3)
		return -EINVAL;
	if (!range_ok(addr, 4))
		return -EFAULT;
	int ret = 0;
	vmutex_lock(&mm->lock);
	char *p = user_page(mm, addr, false);
	if (p)
		*val = __atomic_load_n((uint32_t *)(p + OFFSET_IN_PAGE(addr)), __ATOMIC_SEQ_CST);
	else
		ret = -EFAULT;
	mm_unlock(mm);
	return ret;
}

/*
 * Futex keys, as Linux's get_futex_key:
 *   - FUTEX_PRIVATE_FLAG, or a word in a private mapping: (k1 = the mm's
 *     address, k2 = addr).  Not checked against the VMAs (a private wake on
 *     an unmapped word wakes nobody and succeeds, as Linux).
 *   - a word in a MAP_SHARED mapping without the private flag: (k1 = 0,
 *     k2 = memory-file offset of its page + offset in the page), the same
 *     in every mm that maps the page.  No mm lives at address 0, so the two
 *     kinds never collide.  The page is populated if it was not.
 * Errors: EINVAL unaligned, EFAULT outside the app half or (shared kind)
 * unmapped.
 */
int mm_futex_key(struct mm *mm, uint64_t addr, bool private_futex, uint64_t *k1, uint64_t *k2)
{
	if (addr & 3)
		return -EINVAL;
	if (!range_ok(addr, 4))
		return -EFAULT;
	if (private_futex) {
		*k1 = (uint64_t)(uintptr_t)mm;
		*k2 = addr;
		return 0;
	}
	int ret = 0;
	vmutex_lock(&mm->lock);
	struct vma *v = vmas_find(&mm->vmas, addr, NULL);
	if (!v) {
		ret = -EFAULT;
	} else if (!(v->flags & VMA_SHARED)) {
		*k1 = (uint64_t)(uintptr_t)mm;
		*k2 = addr;
	} else {
		int64_t pte = mm_populate_locked(mm, v, PAGE_ROUND_DOWN(addr), false);
		if (pte < 0) {
			ret = -EFAULT;
		} else {
			*k1 = 0;
			*k2 = PTE_OFFSET((uint64_t)pte) + OFFSET_IN_PAGE(addr);
		}
	}
	mm_unlock(mm);
	return ret;
}
