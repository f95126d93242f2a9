/*
 * proc_task.c — /proc/PID/task: one directory per thread of the process,
 * with the thread's mem (as /proc/PID/mem, read and written as a debugger
 * through ptrace.c) and comm.  gdb reaches a thread's memory through
 * /proc/PID/task/TID/mem once /proc/self/mem proves writable.
 */
#include "sentry/fs/procfs.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/proc.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ID_ARG(a) ((int)(intptr_t)(a))
#define MAX_THREADS 4096

static ssize_t task_mem_read(struct task *t, void *arg, char *buf, size_t len, uint64_t pos)
{
	return ptrace_access_mem(t, ID_ARG(arg), pos, buf, len, false);
}

static ssize_t task_mem_write(struct task *t, void *arg, const char *buf, size_t len, uint64_t pos)
{
	return ptrace_access_mem(t, ID_ARG(arg), pos, (void *)buf, len, true);
}

static char *gen_task_comm(struct task *t, void *arg, size_t *len)
{
	char comm[17];
	if (kernel_task_comm(t->k, ID_ARG(arg), comm) < 0)
		return NULL;
	size_t n = strnlen(comm, 16);
	char *out = malloc(n + 1);
	if (!out)
		return NULL;
	memcpy(out, comm, n);
	out[n] = '\n';
	*len = n + 1;
	return out;
}

static void task_list(struct task *t, void *arg,
		      int (*emit)(void *ectx, const char *name, unsigned int type), void *ectx)
{
	int *tids = malloc(MAX_THREADS * sizeof(int));
	if (!tids)
		return;
	int n = kernel_proc_threads(t->k, ID_ARG(arg), tids, MAX_THREADS);
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", tids[i]);
		if (emit(ectx, name, 4 /* DT_DIR */))
			break;
	}
	free(tids);
}

static int task_lookup(struct task *t, void *arg, const char *name, struct inode **out)
{
	struct superblock *sb = arg ? procfs_sb() : NULL;
	char *end;
	long tid = strtol(name, &end, 10);
	if (!sb || *end || end == name || tid <= 0 || tid > 0x7fffffff)
		return -ENOENT;
	int *tids = malloc(MAX_THREADS * sizeof(int));
	if (!tids)
		return -ENOMEM;
	int n = kernel_proc_threads(t->k, ID_ARG(arg), tids, MAX_THREADS);
	bool found = false;
	for (int i = 0; i < n && !found; i++)
		found = tids[i] == tid;
	free(tids);
	if (!found)
		return -ENOENT;
	void *targ = (void *)(intptr_t)tid;
	struct inode *d = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	if (!d)
		return -ENOMEM;
	struct inode *mem = vfs_synth_raw_new(sb, 0600, task_mem_read, task_mem_write, targ, NULL);
	struct inode *comm = vfs_synth_file_new(sb, S_IFREG | 0444, gen_task_comm, targ, NULL);
	int r = 0;
	if (!mem || vfs_synth_dir_add(d, "mem", mem) < 0)
		r = -ENOMEM;
	if (!comm || vfs_synth_dir_add(d, "comm", comm) < 0)
		r = -ENOMEM;
	if (r) {
		inode_put(d);
		return r;
	}
	procfs_own_pid_tree(t, ID_ARG(arg), d);
	*out = d;
	return 0;
}

struct inode *proc_task_dir_new(struct superblock *sb, int pid)
{
	return vfs_synth_dir_new(sb, S_IFDIR | 0555, task_list, task_lookup, (void *)(intptr_t)pid,
				 NULL);
}
