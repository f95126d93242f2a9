/*
 * vfs_test_util.h — fixtures shared by the VFS and file system unit tests:
 * a tmpfs root mount, hand-built tasks (zeroed, wake eventfd, creds), and
 * stand-ins for the few kernel functions the VFS calls that would drag the
 * whole kernel in (signals with no thread group, app memory with no mm):
 * app "addresses" in these tests are plain Sentry pointers.
 */
#ifndef VISOR_VFS_TEST_UTIL_H
#define VISOR_VFS_TEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sentry/fs/devfs.h"
#include "sentry/fs/devpts.h"
#include "sentry/fs/hostfd.h"
#include "sentry/fs/pipe.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/epoll.h"
#include "sentry/vfs/eventfd.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* ---- kernel stand-ins ---- */

__thread struct task *current;

static int test_last_signal;

int task_signal_send(struct task *t, int sig)
{
	test_last_signal = sig;
	return 0;
}

bool task_signal_pending(struct task *t)
{
	return atomic_load(&t->interrupted) != 0;
}

int task_copy_in(struct task *t, void *dst, uint64_t src, size_t len)
{
	if (!src)
		return -EFAULT;
	memcpy(dst, (const void *)(uintptr_t)src, len);
	return 0;
}

int task_copy_out(struct task *t, uint64_t dst, const void *src, size_t len)
{
	if (!dst)
		return -EFAULT;
	memcpy((void *)(uintptr_t)dst, src, len);
	return 0;
}

ssize_t task_copy_string_in(struct task *t, char *dst, uint64_t src, size_t max)
{
	if (!src)
		return -EFAULT;
	size_t n = strnlen((const char *)(uintptr_t)src, max);
	if (n == max)
		return -ENAMETOOLONG;
	memcpy(dst, (const char *)(uintptr_t)src, n + 1);
	return n;
}

void task_set_sigmask_for_wait(struct task *t, sigset64_t mask)
{
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = mask;
}

void task_set_sigmask(struct task *t, sigset64_t mask)
{
	t->sigmask = mask;
}

/* ---- fixtures ---- */

struct fx {
	struct vfs_mount *mnt;
	struct vfs_path root;
	struct task *t;
};

static inline struct task *fx_task(const struct vfs_path *root, uint32_t uid, uint32_t gid)
{
	struct task *t = calloc(1, sizeof(*t));
	t->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct creds *c = creds_new_root();
	if (uid || gid) {
		struct creds *u = creds_dup(c);
		creds_put(c);
		c = u;
		c->ruid = c->euid = c->suid = c->fsuid = uid;
		c->rgid = c->egid = c->sgid = c->fsgid = gid;
		c->cap_effective = c->cap_permitted = 0;
	}
	t->creds = c;
	t->fs = fs_context_new(*root);
	t->fdt = fdt_new();
	return t;
}

static inline void fx_task_free(struct task *t)
{
	fdt_put(t->fdt);
	fs_context_put(t->fs);
	creds_put(t->creds);
	close(t->wake_efd);
	free(t);
}

/* The file systems and devices the tests use register as at boot. */
static inline void fx_register(void)
{
	if (tmpfs_register() < 0 || pipe_register() < 0 || devfs_register() < 0 ||
	    devpts_register() < 0)
		abort();
}

static inline void fx_init(struct fx *fx)
{
	fx_register();
	if (vfs_mount_root("tmpfs", "tmpfs", 0, "mode=0755", &fx->mnt) < 0)
		abort();
	fx->root = (struct vfs_path){fx->mnt, fx->mnt->root};
	path_get(&fx->root);
	fx->t = fx_task(&fx->root, 0, 0);
}

static inline void fx_fini(struct fx *fx)
{
	fx_task_free(fx->t);
	path_put(&fx->root);
}

/* Helpers that fail the test's expectations loudly rather than crash. */
static inline int fx_write_file(struct task *t, const char *path, const char *data, uint32_t mode)
{
	struct file *f;
	int r = vfs_open(t, AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode, &f);
	if (r < 0)
		return r;
	ssize_t n = file_write(t, f, data, strlen(data));
	file_put(f);
	return n < 0 ? (int)n : 0;
}

static inline ssize_t fx_read_file(struct task *t, const char *path, char *buf, size_t len)
{
	struct file *f;
	int r = vfs_open(t, AT_FDCWD, path, O_RDONLY, 0, &f);
	if (r < 0)
		return r;
	ssize_t n = file_read(t, f, buf, len - 1);
	if (n >= 0)
		buf[n] = 0;
	file_put(f);
	return n;
}

#endif
