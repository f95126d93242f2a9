/*
 * file_args.c — argument helpers the file-family syscalls share: paths in
 * from app memory, fd lookups, installing a new fd.
 */
#include <errno.h>
#include <fcntl.h>

#include "lib/cleanup.h"

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Copy a path in: a malloc'd string (caller frees) or -EFAULT/-ENAMETOOLONG. */
int path_in(struct task *t, uint64_t addr, char **out)
{
	char *buf = malloc(VFS_PATH_MAX);
	if (!buf)
		return -ENOMEM;
	ssize_t n = task_copy_string_in(t, buf, addr, VFS_PATH_MAX);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*out = buf;
	return 0;
}

/* Copy two paths in, the first first (so its fault is the one reported);
 * both are freed by the caller, also when the second fails. */
int paths_in(struct task *t, uint64_t addr1, char **out1, uint64_t addr2, char **out2)
{
	int r = path_in(t, addr1, out1);
	if (r < 0)
		return r;
	return path_in(t, addr2, out2);
}

struct file *get_file(struct task *t, int fd)
{
	return fdt_get_file(t->fdt, fd);
}

/* Drop the references of a pair of get_file results, either of which may be
 * NULL (the calls that take two fds look both up before checking either). */
void put_files(struct file *a, struct file *b)
{
	if (a)
		file_put(a);
	if (b)
		file_put(b);
}

int install(struct task *t, struct file *f, bool cloexec)
{
	int fd = fdt_install(t->fdt, f, cloexec ? FD_CLOEXEC : 0, 0);
	file_put(f);
	return fd;
}

/* Copy the path at addr in and stat it (stat family, statx, xattr checks). */
int statat_in(struct task *t, int dirfd, uint64_t addr, int flags, struct stat *st)
{
	_cleanup_free_ char *p = NULL;
	int r = path_in(t, addr, &p);
	if (r < 0)
		return r;
	return vfs_statat(t, dirfd, p, flags, st);
}
