/*
 * permission.c — credentials as the VFS reads them, and Linux's permission
 * check (generic_permission with CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH).
 */
#include <errno.h>
#include <linux/capability.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---------------------------------------------------------------- creds */

/* Credentials are a leaf (kernel/creds.c); NULL creds are the Sentry's own,
 * allowed everything. */
bool vfs_capable(const struct creds *c, int cap)
{
	return !c || creds_capable(c, cap);
}

bool vfs_creds_in_group(const struct creds *c, uint32_t gid)
{
	return !c || creds_in_group(c, gid);
}

uint32_t vfs_fsuid(const struct creds *c)
{
	return c ? c->fsuid : 0;
}

uint32_t vfs_fsgid(const struct creds *c)
{
	return c ? c->fsgid : 0;
}

const struct creds *vfs_task_creds(struct task *t)
{
	return t ? t->creds : NULL;
}

/* As Linux generic_permission + capable_wrt_inode_uidgid. */
int vfs_permission(const struct creds *c, struct inode *ino, int may)
{
	if (!c)
		return 0;
	vmutex_lock(&ino->lock);
	uint32_t mode = ino->mode, uid = ino->uid, gid = ino->gid;
	vmutex_unlock(&ino->lock);
	uint32_t bits;
	if (c->fsuid == uid)
		bits = (mode >> 6) & 7;
	else if (creds_in_group(c, gid))
		bits = (mode >> 3) & 7;
	else
		bits = mode & 7;
	if ((bits & may) == (uint32_t)may)
		return 0;
	bool isdir = S_ISDIR(mode);
	/* CAP_DAC_READ_SEARCH: read anything, search directories. */
	if (vfs_capable(c, CAP_DAC_READ_SEARCH)) {
		if (!(may & ~(VFS_MAY_READ | (isdir ? VFS_MAY_EXEC : 0))))
			return 0;
	}
	/* CAP_DAC_OVERRIDE: everything but executing a file with no x bit. */
	if (vfs_capable(c, CAP_DAC_OVERRIDE)) {
		if (!(may & VFS_MAY_EXEC) || isdir || (mode & 0111))
			return 0;
	}
	return -EACCES;
}
