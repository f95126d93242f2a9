/*
 * mm.h — application memory, owned by the Sentry.
 *
 * The memory file (struct memfile) is one memfd, created by the Sentry and
 * mapped whole into the Sentry's own address space.  Every page of anonymous
 * or private application memory is a page of it, reference counted.  An mm is
 * one application address space: its VMAs, its page table (app page -> memory
 * file page), and the platform addr_space that caches those mappings on the
 * host.  The page table is the truth: platform mappings are made lazily from
 * faults (mm_handle_fault) and are invalidated whenever the page table changes.
 *
 * copy_in/copy_out read and write app memory through the page table and the
 * Sentry's own mapping of the memory file, never through the platform, and
 * return -EFAULT for any bad app pointer instead of crashing.
 *
 * Locking (sentry/LOCKING.md): mm->lock protects the VMAs and the page
 * table; it is held across platform map/unmap calls and the mapped files'
 * ops, never across a context switch, and VMAs taken out under it are freed
 * after it is dropped (mm_unlock).  memfile->lock protects the allocator and
 * refcounts and comes after mm->lock.
 */
#ifndef VISOR_SENTRY_MM_H
#define VISOR_SENTRY_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/page.h"
#include "sentry/mm/memfile.h"
#include "platform/platform.h"

/* ---- address spaces ---- */

struct mm;

/* prot: PROT_*; flags: MAP_* of mman.h. */
struct mm *mm_new(struct memfile *mf, struct platform *plat);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm); /* last put releases pages, VMAs and the addr_space */
/* execve's put of the mm it replaced by mm (never entered): old's host
 * address space may go to mm, emptied (platform as_recycle). */
void mm_put_exec(struct mm *old, struct mm *mm);
/* A copy-on-write copy for fork(2): private pages are shared read-only in both,
 * MAP_SHARED ones stay shared, MADV_DONTFORK ranges are left out. */
struct mm *mm_fork(struct mm *parent);
struct addr_space *mm_addr_space(struct mm *mm);

/* mmap(2): returns the address or -errno.  Handles MAP_FIXED, MAP_FIXED_NOREPLACE,
 * hints, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, MAP_GROWSDOWN, MAP_STACK,
 * MAP_NORESERVE, MAP_POPULATE.  file is NULL for anonymous mappings. */
int64_t mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		struct mm_file *file, uint64_t offset);
/* A flag of mm_mmap's only (never the app's): a shared mapping of a file not
 * open for writing, which mprotect may never make writable (EACCES, as
 * Linux's VM_MAYWRITE): what it wrote could not reach the file. */
#define MM_MAP_NOMAYWRITE 0x40000000
int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
/* The mm's AIO state (sentry/syscalls/sys_aio.c): made by make on first use
 * (under the mm's lock: make takes no lock), released by release when the mm
 * goes (not inherited by fork, gone at exec: a new mm).  make NULL: only
 * look (NULL when none). */
void *mm_aio(struct mm *mm, void *(*make)(void), void (*release)(void *));
int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
int64_t mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len, int flags,
		  uint64_t new_addr);
int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
/* Locked memory (mlock.c), as Linux's mm/mlock.c.  limit: the pages
 * RLIMIT_MEMLOCK allows, MM_NO_LOCK_LIMIT for a caller with CAP_IPC_LOCK;
 * the EPERM of a zero limit is the caller's.  mm_mlock: mlock/mlock2
 * (onfault: MLOCK_ONFAULT), -ENOMEM over the limit, for a hole (after
 * locking what precedes it) or for a page that cannot be had; mm_mlockall:
 * flags MCL_*, -EINVAL or -ENOMEM as Linux. */
#define MM_NO_LOCK_LIMIT UINT64_MAX
int mm_mlock(struct mm *mm, uint64_t start, uint64_t len, bool onfault, uint64_t limit);
int mm_munlock(struct mm *mm, uint64_t start, uint64_t len);
int mm_mlockall(struct mm *mm, int flags, uint64_t limit);
int mm_munlockall(struct mm *mm);
/* Bytes of locked VMAs (VmLck). */
uint64_t mm_locked_bytes(struct mm *mm);
/* The limit (pages) that mappings locked implicitly answer to (MAP_LOCKED,
 * MCL_FUTURE, growing a locked VMA with mremap or brk): mmap fails with
 * EAGAIN past it.  The syscall layer sets it from the caller before those. */
void mm_set_lock_limit(struct mm *mm, uint64_t limit);
/* msync(2) (filemap.c): shared file mappings of the range have their files
 * write them back (mm_file_ops.sync), with Linux's checks and errnos. */
int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);
/* shmdt(2) (sysv_detach.c): unmap the System V segment attached at addr,
 * recognised by its mm_file ops; -EINVAL when none is. */
int mm_shm_detach(struct mm *mm, uint64_t addr, const struct mm_file_ops *ops);
/* brk(2): set up by the loader with mm_brk_init, then returns the new (or
 * unchanged, on failure) break, as Linux. */
void mm_brk_init(struct mm *mm, uint64_t start);
uint64_t mm_brk(struct mm *mm, uint64_t addr);
/* Where the next mmap without a hint goes (top-down, below the stack). */
void mm_set_mmap_base(struct mm *mm, uint64_t base);

/* The file of the program mm runs, which its owner keeps from being
 * written for as long as it runs it (exec's denial of write access, Linux's
 * mm->exe_file; the kernel guarantees it, the mm trusts it): since its pages
 * cannot change, a write fault copies a window of its private pages at
 * once.  Takes a reference; fork's child mm inherits it (its owner denies
 * writing too).  Call before the mm runs. */
void mm_set_exe_file(struct mm *mm, struct mm_file *f);

/* A page fault reported by the platform at addr.  Returns 0 when handled (the
 * app can retry), -EFAULT when the app must get SIGSEGV (*si_code set to
 * SEGV_MAPERR or SEGV_ACCERR), -EIO for SIGBUS (past end of file). */
int mm_handle_fault(struct mm *mm, uint64_t addr, int *si_code);
/* The same, with what the platform knows of the access: PROT_WRITE for a
 * write, 0 when unknown.  A hint (the app may be able to forge it): a write
 * to a writable VMA is served at once (copy-on-write broken, the page
 * mapped writable) instead of mapping it read-only first and taking a
 * second fault; nothing is allowed that a real write would not get. */
int mm_handle_fault_access(struct mm *mm, uint64_t addr, int access, int *si_code);

/* App memory access.  Return 0 or -EFAULT (nothing partial is hidden: on
 * -EFAULT some bytes may have been copied). */
int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t len);
int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t len);
int mm_zero_out(struct mm *mm, uint64_t dst, size_t len);
/* The loader mapped a program's bss at [start, end): its pages are mapped
 * ahead when no larger than 2 MiB (loadahead.c). */
void mm_populate_bss(struct mm *mm, uint64_t start, uint64_t end);
/* A debugger's access (ptrace PEEK/POKE, /proc/PID/mem), as Linux's
 * FOLL_FORCE: reads any mapped page, and writes a private mapping even where
 * it is not writable (breaking copy-on-write); a shared mapping only where
 * writable.  0 or -EFAULT.  Call from a thread that may change the mm's
 * platform mappings (the tracee's own, while it is stopped). */
int mm_access_force(struct mm *mm, uint64_t addr, void *buf, size_t len, bool write);
/* Syscall patching (patch_text.c): replace the first n_repl bytes of the
 * n_expect bytes at addr with repl, if they still are expect, in a private,
 * executable, read-only mapping (copy-on-write first, as a debugger's
 * write), with one atomic store of the aligned 8 or 16 bytes holding them.
 * 0, -EAGAIN (the bytes differ), -EACCES (not such a mapping), -EXDEV (the
 * bytes cross a page or an aligned 16), -EFAULT.  From a thread that may
 * change the mm's platform mappings (a task of the mm, stopped). */
int mm_patch_text(struct mm *mm, uint64_t addr, const uint8_t *expect, size_t n_expect,
		  const uint8_t *repl, size_t n_repl);
/* Copy a NUL-terminated string of at most max bytes (NUL included): returns
 * its length, -EFAULT, or -ENAMETOOLONG when no NUL is found within max. */
ssize_t mm_copy_string_in(struct mm *mm, char *dst, uint64_t src, size_t max);
/* Atomic 32-bit compare-and-exchange / load on app memory (futexes). */
int mm_atomic_cmpxchg32(struct mm *mm, uint64_t addr, uint32_t old, uint32_t new_val,
			uint32_t *prev);
int mm_load32(struct mm *mm, uint64_t addr, uint32_t *val);
/* A stable key for a futex word: memory-file offset for shared mappings,
 * (mm, addr) for private ones. */
int mm_futex_key(struct mm *mm, uint64_t addr, bool private_futex, uint64_t *k1, uint64_t *k2);

/* /proc/<pid>/maps: calls fn for each VMA in address order. */
struct mm_vma_info {
	uint64_t start, end, offset;
	int prot;
	bool shared;
	uint64_t dev, ino;
	const char *name; /* file path, "[heap]", "[stack]", or NULL */
};
void mm_for_each_vma(struct mm *mm, void (*fn)(const struct mm_vma_info *v, void *arg),
		     void *arg);
/* Mark [start,end) as the stack / heap for naming in maps. */
void mm_set_stack_range(struct mm *mm, uint64_t start, uint64_t end);
/* RLIMIT_STACK: how far a MAP_GROWSDOWN stack may grow on faults (default 8 MiB). */
void mm_set_stack_limit(struct mm *mm, uint64_t limit);
/* mincore(2) (mincore.c): vec[i] = 1 when page i of the range starting at
 * start (page aligned) is present; -ENOMEM when the range has a hole. */
int mm_mincore(struct mm *mm, uint64_t start, uint64_t npages, uint8_t *vec);
/* Is every page of [start, end) inside some VMA? */
bool mm_range_mapped(struct mm *mm, uint64_t start, uint64_t end);
/* Total mapped bytes and resident bytes (pages present in the page table). */
void mm_usage(struct mm *mm, uint64_t *vsize, uint64_t *rss);

#endif
