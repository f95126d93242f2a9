/*
 * proc_fdinfo.c — /proc/PID/fdinfo/N, as Linux's seq_show:
 *     pos:	<offset>
 *     flags:	0<octal open flags, O_CLOEXEC when the fd has FD_CLOEXEC>
 *     mnt_id:	<0: the sandbox numbers no mounts>
 *     ino:	<inode number>
 * and, for a pidfd, "Pid:" and "NSpid:" (-1 once the process was reaped);
 * a signalfd's "sigmask:", a timerfd's clock, ticks, flags and setting.
 * The process's fd table is taken from a kernel snapshot, as /proc/PID/fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/proc_fdinfo.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/proc.h"
#include "sentry/kernel/signalfd.h"
#include "sentry/kernel/timerfd.h"
#include "sentry/vfs/vfs.h"

#define PID_ARG(a) ((int)(intptr_t)(a))

struct fd_table *proc_pid_fdt(struct kernel *k, int pid)
{
	struct proc_snapshot s;
	if (kernel_proc_snapshot(k, pid, PROC_SNAP_FDT, &s) < 0)
		return NULL;
	struct fd_table *fdt = s.fdt;
	s.fdt = NULL;
	proc_snapshot_release(&s);
	return fdt;
}

struct list_ctx {
	int (*emit)(void *ectx, const char *name, unsigned int type);
	void *ectx;
	unsigned int type;
	bool stop;
};

static void list_one(int fd, struct file *f, void *arg)
{
	struct list_ctx *c = arg;
	if (c->stop)
		return;
	char name[16];
	snprintf(name, sizeof(name), "%d", fd);
	if (c->emit(c->ectx, name, c->type))
		c->stop = true;
}

void proc_list_fds(struct task *t, int pid, unsigned int type,
		   int (*emit)(void *ectx, const char *name, unsigned int type), void *ectx)
{
	struct fd_table *fdt = proc_pid_fdt(t->k, pid);
	if (!fdt)
		return;
	struct list_ctx c = {emit, ectx, type, false};
	fdt_for_each(fdt, list_one, &c);
	fdt_put(fdt);
}

static void fdinfo_list(struct task *t, void *arg,
			int (*emit)(void *ectx, const char *name, unsigned int type), void *ectx)
{
	proc_list_fds(t, PID_ARG(arg), 8 /* DT_REG */, emit, ectx);
}

static char *gen_fdinfo(struct task *t, void *arg, size_t *len)
{
	uint64_t v = (uint64_t)(uintptr_t)arg;
	int pid = (int)(v >> 32), fd = (int)(v & 0xffffffff);
	struct fd_table *fdt = proc_pid_fdt(t->k, pid);
	if (!fdt)
		return NULL;
	struct file *f = fdt_get_file(fdt, fd);
	int fdflags = fdt_get_flags(fdt, fd);
	fdt_put(fdt);
	if (!f)
		return NULL;
	struct stat st;
	memset(&st, 0, sizeof(st));
	vfs_stat_file(f, &st);
	int flags = file_get_flags(f) | (fdflags > 0 && (fdflags & FD_CLOEXEC) ? O_CLOEXEC : 0);
	char *out = NULL;
	size_t sz = 0;
	FILE *m = open_memstream(&out, &sz);
	if (!m) {
		file_put(f);
		return NULL;
	}
	fprintf(m, "pos:\t%llu\nflags:\t0%o\nmnt_id:\t0\nino:\t%llu\n",
		(unsigned long long)(f->stream ? 0 : f->pos), (unsigned)flags,
		(unsigned long long)st.st_ino);
	char extra[256];
	if (file_is_signalfd(f) && signalfd_fdinfo(f, extra, sizeof(extra)) > 0)
		fputs(extra, m);
	if (file_is_timerfd(f) && timerfd_fdinfo(f, extra, sizeof(extra)) > 0)
		fputs(extra, m);
	struct thread_group *tg = pidfd_tg(f);
	if (tg) {
		int p = __atomic_load_n(&tg->reaped, __ATOMIC_ACQUIRE) ? -1 : tg->tgid;
		fprintf(m, "Pid:\t%d\nNSpid:\t%d\n", p, p);
	}
	fclose(m);
	file_put(f);
	*len = sz;
	return out;
}

static struct superblock *fdinfo_sb;

static int fdinfo_lookup(struct task *t, void *arg, const char *name, struct inode **out)
{
	char *end;
	long fd = strtol(name, &end, 10);
	if (*end || end == name || fd < 0 || fd > 0x7fffffff)
		return -ENOENT;
	struct fd_table *fdt = proc_pid_fdt(t->k, PID_ARG(arg));
	if (!fdt)
		return -ENOENT;
	struct file *f = fdt_get_file(fdt, (int)fd);
	fdt_put(fdt);
	if (!f)
		return -ENOENT;
	file_put(f);
	uint64_t v = ((uint64_t)(uint32_t)PID_ARG(arg) << 32) | (uint64_t)fd;
	*out = vfs_synth_file_new(fdinfo_sb, S_IFREG | 0444, gen_fdinfo, (void *)(uintptr_t)v,
				  NULL);
	return *out ? 0 : -ENOMEM;
}

struct inode *proc_fdinfo_dir_new(struct superblock *sb, int pid)
{
	fdinfo_sb = sb;
	return vfs_synth_dir_new(sb, S_IFDIR | 0500, fdinfo_list, fdinfo_lookup,
				 (void *)(intptr_t)pid, NULL);
}
