/*
 * fs.c — registering the Sentry's file systems with the VFS; see fs.h.
 */
#include "sentry/fs/devfs.h"
#include "sentry/fs/devpts.h"
#include "sentry/fs/goferfs.h"
#include "sentry/fs/mqueue.h"
#include "sentry/fs/pipe.h"
#include "sentry/fs/proc_ipc.h"
#include "sentry/fs/procfs.h"
#include "sentry/fs/tmpfs.h"

int fs_register_all(struct gofer_client *gc)
{
	int r = tmpfs_register();
	if (r == 0)
		r = devfs_register();
	if (r == 0)
		r = devpts_register();
	if (r == 0)
		r = pipe_register();
	if (r == 0 && gc)
		r = goferfs_register(gc);
	if (r == 0)
		r = proc_ipc_register();
	if (r == 0)
		r = mqueue_register();
	if (r == 0)
		r = procfs_init();
	if (r == 0)
		r = sysfs_init();
	return r;
}
