/*
 * sys_pkey.c — memory protection keys (pkey_alloc, pkey_free,
 * pkey_mprotect) answered as Linux answers them on a CPU without them
 * (no OSPKE): the Sentry does not manage the PKRU register of the app's
 * threads, so it hands out no key.  pkey_alloc checks its arguments and
 * then has no key to give (ENOSPC, which programs that probe for keys, as
 * V8 and the JVM do, take as "none"); no key is ever allocated, so
 * pkey_free is EINVAL and pkey_mprotect is mprotect for key -1 and EINVAL
 * for any other, after mprotect's own argument checks.  (Linux 6.18 on
 * such a CPU answers an mm's first pkey_alloc EINVAL, taking key 0 whose
 * rights it cannot set and never giving it back, and ENOSPC after; the
 * Sentry answers ENOSPC from the first: conformance/pkeys.c.)
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "lib/page.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define PKEY_DISABLE_ACCESS_ 0x1
#define PKEY_DISABLE_WRITE_ 0x2

static int64_t sys_pkey_alloc(struct task *t, const uint64_t a[6])
{
	if (a[0] != 0 || (a[1] & ~(uint64_t)(PKEY_DISABLE_ACCESS_ | PKEY_DISABLE_WRITE_)))
		return -EINVAL;
	return -ENOSPC;
}

static int64_t sys_pkey_free(struct task *t, const uint64_t a[6])
{
	return -EINVAL; /* as Linux: a key that was never allocated */
}

static int64_t sys_pkey_mprotect(struct task *t, const uint64_t a[6])
{
	uint64_t start = a[0], len = a[1];
	int prot = (int)a[2], pkey = (int)a[3];
	if (pkey == -1)
		return mm_mprotect(t->mm, start, len, prot);
	/* do_mprotect_pkey's checks before the key's, in its order. */
	if ((prot & PROT_GROWSDOWN) && (prot & PROT_GROWSUP))
		return -EINVAL;
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (len == 0)
		return 0;
	uint64_t end = start + PAGE_ROUND_UP(len);
	if (PAGE_ROUND_UP(len) < len || end <= start)
		return -ENOMEM;
	return -EINVAL;
}

const struct syscall_def sys_pkey_defs[] = {
	{SYS_pkey_mprotect, "pkey_mprotect", sys_pkey_mprotect},
	{SYS_pkey_alloc, "pkey_alloc", sys_pkey_alloc},
	{SYS_pkey_free, "pkey_free", sys_pkey_free},
	{0},
};
