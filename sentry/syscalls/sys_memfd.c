/*
 * sys_memfd.c — memfd_create(2): an anonymous tmpfs file (sentry/fs/tmpfs.c)
 * installed as a read-write fd.
 *
 * Seals as Linux's: without MFD_ALLOW_SEALING the file starts with
 * F_SEAL_SEAL (no seal can be added); MFD_NOEXEC_SEAL makes it mode 0666
 * sealed F_SEAL_EXEC.  fcntl F_ADD_SEALS / F_GET_SEALS and their checks are
 * tmpfs's (sentry/fs/tmpfs.c).  MFD_HUGETLB is EINVAL as in a kernel
 * without hugetlbfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "sentry/fs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/file_args.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#define MFD_NAME_MAX_LEN 249 /* NAME_MAX - strlen("memfd:") */

static int64_t sys_memfd_create(struct task *t, const uint64_t a[6])
{
	unsigned int flags = (unsigned int)a[1];
	if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC))
		return -EINVAL; /* hugetlb size bits without MFD_HUGETLB among them */
	if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
		return -EINVAL;
	char name[MFD_NAME_MAX_LEN + 1];
	ssize_t n = task_copy_string_in(t, name, a[0], sizeof(name));
	if (n == -ENAMETOOLONG)
		return -EINVAL;
	if (n < 0)
		return -EFAULT;
	if (flags & MFD_HUGETLB)
		return -EINVAL; /* no hugetlbfs (see above) */
	uint32_t mode = 0777;
	unsigned int seals = F_SEAL_SEAL;
	if (flags & MFD_NOEXEC_SEAL) {
		mode = 0666;
		seals = F_SEAL_EXEC_;
	} else if (flags & MFD_ALLOW_SEALING) {
		seals = 0;
	}
	const struct creds *c = vfs_task_creds(t);
	struct file *f;
	int r = tmpfs_memfd_new(name, mode, seals, vfs_fsuid(c), vfs_fsgid(c), &f);
	if (r < 0)
		return r;
	return install(t, f, (flags & MFD_CLOEXEC) != 0);
}

const struct syscall_def sys_memfd_defs[] = {
	{SYS_memfd_create, "memfd_create", sys_memfd_create},
	{0},
};
