/*
 * sys_mm.c — memory syscalls: mmap, munmap, mprotect, mremap, madvise, brk,
 * mlock and friends.  File mappings get their mm_file from the VFS; what
 * RLIMIT_MEMLOCK and CAP_IPC_LOCK allow is told to the mm from here.
 */
#include "sentry/fs/tmpfs.h"
#include "sentry/kernel/resource.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#define MAP_KNOWN                                                                                  \
	(MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS |              \
	 MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE |            \
	 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_FIXED_NOREPLACE)

#define CAP_IPC_LOCK_NR 14
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

/* The pages t may lock: RLIMIT_MEMLOCK, unlimited with CAP_IPC_LOCK. */
static uint64_t lock_limit(struct task *t)
{
	if (creds_capable(t->creds, CAP_IPC_LOCK_NR))
		return MM_NO_LOCK_LIMIT;
	struct rlimit rl = tg_get_rlimit(t->tg, RLIMIT_MEMLOCK);
	return rl.rlim_cur == RLIM_INFINITY ? MM_NO_LOCK_LIMIT : rl.rlim_cur >> PAGE_SHIFT;
}

/* Linux's can_do_mlock: a non-zero RLIMIT_MEMLOCK or CAP_IPC_LOCK. */
static bool can_do_mlock(struct task *t)
{
	return tg_get_rlimit(t->tg, RLIMIT_MEMLOCK).rlim_cur != 0 ||
	       creds_capable(t->creds, CAP_IPC_LOCK_NR);
}

static int64_t sys_mmap(struct task *t, const uint64_t a[6])
{
	uint64_t addr = a[0], len = a[1], off = a[5];
	int prot = (int)a[2], flags = (int)a[3] & ~MM_MAP_NOMAYWRITE, fd = (int)a[4];
	int type = flags & MAP_SHARED_VALIDATE;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN))
		return -EOPNOTSUPP;
	if (flags & MAP_HUGETLB)
		return -EINVAL; /* no huge pages in the memory file */
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (type == MAP_SHARED_VALIDATE)
		flags = (flags & ~MAP_SHARED_VALIDATE) | MAP_SHARED;
	if ((flags & MAP_LOCKED) && !can_do_mlock(t))
		return -EPERM;
	mm_set_lock_limit(t->mm, lock_limit(t));
	if (flags & MAP_ANONYMOUS)
		return mm_mmap(t->mm, addr, len, prot, flags, NULL, 0);
	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
	struct file *f = fdt_get_file(t->fdt, fd);
	if (!f)
		return -EBADF;
	int64_t r;
	int fl = file_get_flags(f);
	int acc = fl & O_ACCMODE;
	/* As Linux: the file must be open for reading, and for writing when
	 * a shared mapping is writable. */
	if (acc == O_WRONLY || (fl & O_PATH)) {
		r = -EACCES;
	} else if ((flags & MAP_SHARED) && (prot & PROT_WRITE) && acc != O_RDWR) {
		r = -EACCES;
	} else {
		struct mm_file *mf = file_mm_file(f);
		bool maywrite = acc == O_RDWR;
		/* A sealed tmpfs file or memfd: EPERM, or never writable. */
		int sealed = (flags & MAP_SHARED) && mf ? tmpfs_seal_mmap_begin(f, prot, &maywrite) : 0;
		if ((flags & MAP_SHARED) && !maywrite)
			flags |= MM_MAP_NOMAYWRITE;
		if (sealed < 0)
			r = sealed;
		else if (!mf)
			r = -ENODEV;
		else
			r = mm_mmap(t->mm, addr, len, prot, flags, mf, off);
		if (sealed > 0)
			tmpfs_seal_mmap_end(f);
	}
	file_put(f);
	return r;
}

static int64_t sys_munmap(struct task *t, const uint64_t a[6])
{
	return mm_munmap(t->mm, a[0], a[1]);
}

static int64_t sys_mprotect(struct task *t, const uint64_t a[6])
{
	return mm_mprotect(t->mm, a[0], a[1], (int)a[2]);
}

static int64_t sys_mremap(struct task *t, const uint64_t a[6])
{
	mm_set_lock_limit(t->mm, lock_limit(t));
	return mm_mremap(t->mm, a[0], a[1], a[2], (int)a[3], a[4]);
}

static int64_t sys_madvise(struct task *t, const uint64_t a[6])
{
	return mm_madvise(t->mm, a[0], a[1], (int)a[2]);
}

static int64_t sys_msync(struct task *t, const uint64_t a[6])
{
	return mm_msync(t->mm, a[0], a[1], (int)a[2]);
}

static int64_t sys_brk(struct task *t, const uint64_t a[6])
{
	mm_set_lock_limit(t->mm, lock_limit(t));
	return (int64_t)mm_brk(t->mm, a[0]);
}

static int64_t sys_mlock(struct task *t, const uint64_t a[6])
{
	if (!can_do_mlock(t))
		return -EPERM;
	return mm_mlock(t->mm, a[0], a[1], false, lock_limit(t));
}

static int64_t sys_mlock2(struct task *t, const uint64_t a[6])
{
	if (a[2] & ~(uint64_t)MLOCK_ONFAULT)
		return -EINVAL;
	if (!can_do_mlock(t))
		return -EPERM;
	return mm_mlock(t->mm, a[0], a[1], a[2] & MLOCK_ONFAULT, lock_limit(t));
}

static int64_t sys_munlock(struct task *t, const uint64_t a[6])
{
	return mm_munlock(t->mm, a[0], a[1]);
}

static int64_t sys_mlockall(struct task *t, const uint64_t a[6])
{
	int flags = (int)a[0];
	/* As Linux: bad flags are EINVAL before the EPERM of no limit. */
	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (!can_do_mlock(t))
		return -EPERM;
	return mm_mlockall(t->mm, flags, lock_limit(t));
}

static int64_t sys_munlockall(struct task *t, const uint64_t a[6])
{
	return mm_munlockall(t->mm);
}

const struct syscall_def sys_mm_defs[] = {
	{SYS_mmap, "mmap", sys_mmap},
	{SYS_munmap, "munmap", sys_munmap},
	{SYS_mprotect, "mprotect", sys_mprotect},
	{SYS_mremap, "mremap", sys_mremap},
	{SYS_madvise, "madvise", sys_madvise},
	{SYS_msync, "msync", sys_msync},
	{SYS_brk, "brk", sys_brk},
	{SYS_mlock, "mlock", sys_mlock},
	{SYS_mlock2, "mlock2", sys_mlock2},
	{SYS_munlock, "munlock", sys_munlock},
	{SYS_mlockall, "mlockall", sys_mlockall},
	{SYS_munlockall, "munlockall", sys_munlockall},
	{0},
};
