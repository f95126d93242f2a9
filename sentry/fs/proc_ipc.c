/*
 * proc_ipc.c — the IPC files of /proc: /proc/sysvipc/{shm,sem,msg} (what
 * ipcs reads) and the limits of /proc/sys/kernel (shmmax, shmall, shmmni,
 * shm_rmid_forced, sem, msgmax, msgmnb, msgmni), readable and writable as on
 * Linux.  Registered with procfs at boot (procfs_register_file); the
 * content is the IPC namespace's (sentry/ipc/ipc.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/proc_ipc.h"
#include "sentry/fs/procfs.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/task.h"

static char *gen_sysvipc(struct task *t, void *arg, size_t *len)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	char *out;
	if (!ns || ipc_proc_show(ns, arg, &out, len) < 0)
		return NULL;
	return out;
}

static char *gen_sysctl(struct task *t, void *arg, size_t *len)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	char buf[128];
	int n = ns ? ipc_sysctl_read(ns, arg, buf, sizeof(buf)) : -ENOMEM;
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return strdup(buf);
}

/* As Linux's proc_dointvec & co: a write from offset 0 sets the value
 * (the whole write is taken); junk is EINVAL. */
static ssize_t write_sysctl(struct task *t, void *arg, const char *buf, size_t len, uint64_t pos)
{
	if (pos != 0)
		return (ssize_t)len; /* as Linux's default sysctl_writes_strict: ignored */
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	int r = ipc_sysctl_write(ns, arg, buf, len);
	return r < 0 ? r : (ssize_t)len;
}

int proc_ipc_register(void)
{
	static const char *const sysvipc[] = {"shm", "sem", "msg"};
	static const char *const ctls[] = {"shmmax", "shmall", "shmmni", "shm_rmid_forced",
					   "sem",    "msgmax", "msgmnb", "msgmni"};
	int r = 0;
	for (size_t i = 0; i < sizeof(sysvipc) / sizeof(sysvipc[0]) && !r; i++)
		r = procfs_register_file("sysvipc", sysvipc[i], 0444, gen_sysvipc, NULL,
					 (void *)sysvipc[i]);
	for (size_t i = 0; i < sizeof(ctls) / sizeof(ctls[0]) && !r; i++)
		r = procfs_register_file("sys/kernel", ctls[i], 0644, gen_sysctl, write_sysctl,
					 (void *)ctls[i]);
	return r;
}
