/*
 * mqueue.c — the mqueue file system (`mount -t mqueue none /dev/mqueue`):
 * a directory of the POSIX message queues of the mounting task's IPC
 * namespace (sentry/ipc/ipc.h), each a file owned by the queue's owner with
 * its mode, whose content is Linux's "QSIZE:... NOTIFY:... SIGNO:...
 * NOTIFY_PID:..." line.  The root is 01777 as on Linux.  Queues are made
 * with mq_open and removed with mq_unlink or unlink(2) here (`rm`).  Not
 * offered yet: making a queue by open(O_CREAT) here (the VFS refuses it, as
 * in any synthetic directory), and an open of a file here is not a queue
 * descriptor (it reads the line only).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/mqueue.h"
#include "sentry/fs/procfs.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#define MQUEUE_MAGIC 0x19800202

static struct superblock *mq_sb;

static char *gen_queue(struct task *t, void *arg, size_t *len)
{
	char buf[128];
	uint32_t mode, uid, gid;
	int n = ipc_mq_describe(t, arg, buf, sizeof(buf), &mode, &uid, &gid);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return strdup(buf);
}

struct list_ctx {
	int (*emit)(void *ectx, const char *name, unsigned int type);
	void *ectx;
};

static int emit_one(void *ctx, const char *name)
{
	struct list_ctx *c = ctx;
	return c->emit(c->ectx, name, 8 /* DT_REG */);
}

static void root_list(struct task *t, void *arg,
		      int (*emit)(void *ectx, const char *name, unsigned int type), void *ectx)
{
	struct list_ctx c = {emit, ectx};
	ipc_mq_list(t, emit_one, &c);
}

static int root_lookup(struct task *t, void *arg, const char *name, struct inode **out)
{
	char buf[128];
	uint32_t mode, uid, gid;
	if (ipc_mq_describe(t, name, buf, sizeof(buf), &mode, &uid, &gid) < 0)
		return -ENOENT;
	char *n = strdup(name);
	if (!n)
		return -ENOMEM;
	struct inode *ino = vfs_synth_file_new(mq_sb, S_IFREG | mode, gen_queue, n, free);
	if (!ino)
		return -ENOMEM;
	vfs_synth_set_owner(ino, uid, gid);
	*out = ino;
	return 0;
}

static int root_unlink(struct task *t, void *arg, const char *name)
{
	return ipc_mq_remove_checked(t, name);
}

static int mqueue_factory(const char *source, const char *data, struct superblock **sbp,
			  struct dentry **rootp)
{
	struct superblock *sb = vfs_synth_sb_new("mqueue", MQUEUE_MAGIC);
	if (!sb)
		return -ENOMEM;
	mq_sb = sb;
	struct inode *root =
	    vfs_synth_dir_new(sb, S_IFDIR | 01777, root_list, root_lookup, NULL, NULL);
	if (!root) {
		sb_put(sb);
		return -ENOMEM;
	}
	vfs_synth_set_unlink(root, root_unlink);
	struct dentry *d = dentry_new(NULL, "/", root);
	inode_put(root);
	if (!d) {
		sb_put(sb);
		return -ENOMEM;
	}
	*sbp = sb;
	*rootp = d;
	return 0;
}

/* /proc/sys/fs/mqueue. */
static char *gen_ctl(struct task *t, void *arg, size_t *len)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	char buf[32];
	int n = ns ? ipc_mq_sysctl_read(ns, arg, buf, sizeof(buf)) : -ENOMEM;
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return strdup(buf);
}

static ssize_t write_ctl(struct task *t, void *arg, const char *buf, size_t len, uint64_t pos)
{
	if (pos != 0)
		return (ssize_t)len;
	struct ipc_ns *ns = ipc_ns_of(t);
	if (!ns)
		return -ENOMEM;
	int r = ipc_mq_sysctl_write(ns, arg, buf, len);
	return r < 0 ? r : (ssize_t)len;
}

int mqueue_register(void)
{
	static const char *const ctls[] = {"msg_default", "msg_max", "msgsize_default",
					   "msgsize_max", "queues_max"};
	int r = 0;
	for (size_t i = 0; i < sizeof(ctls) / sizeof(ctls[0]) && !r; i++)
		r = procfs_register_file("sys/fs/mqueue", ctls[i], 0644, gen_ctl, write_ctl,
					 (void *)ctls[i]);
	if (!r)
		r = vfs_register_fs("mqueue", mqueue_factory);
	return r;
}
