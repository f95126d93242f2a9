/*
 * file_args.h — what the file-family syscall files (sys_rw.c, sys_fd.c,
 * sys_stat.c, sys_dir.c, sys_poll.c, sys_xattr.c, sys_mount.c) share.
 */
#ifndef VISOR_SENTRY_SYSCALLS_FILE_ARGS_H
#define VISOR_SENTRY_SYSCALLS_FILE_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/task.h"

struct file;

/* sentry/kernel provides these (kernel.h, signal.h). */
void task_set_sigmask_for_wait(struct task *t, sigset64_t mask);
void task_set_sigmask(struct task *t, sigset64_t mask);

#define RW_CHUNK (1u << 20)
#define MAX_RW_COUNT 0x7ffff000u
#define UIO_MAXIOV_ 1024

/* An iovec of app memory. */
struct kiov {
	uint64_t base;
	uint64_t len;
};
/* read/write (pread/pwrite at off >= 0, else at the file position) of the
 * app's iov on f, as the read and write families do (sys_rw.c): the bytes
 * moved or -errno. */
int64_t file_rw_iov(struct task *t, struct file *f, const struct kiov *iov, int iovcnt, bool write,
		    int64_t off);

/* Copy a path in: a malloc'd string (caller frees) or -EFAULT/-ENAMETOOLONG. */
int path_in(struct task *t, uint64_t addr, char **out);
/* Copy two paths in, the first first (so its fault is the one reported);
 * both are freed by the caller, also when the second fails. */
int paths_in(struct task *t, uint64_t addr1, char **out1, uint64_t addr2, char **out2);
/* The file of fd, with a reference, or NULL. */
struct file *get_file(struct task *t, int fd);
/* Drop the references of a pair of get_file results, either of which may be
 * NULL (the calls that take two fds look both up before checking either). */
void put_files(struct file *a, struct file *b);
/* Install f at the lowest free fd (its reference goes to the table): the
 * fd or -EMFILE. */
int install(struct task *t, struct file *f, bool cloexec);

/* Copy the path at addr in and stat it (stat family, statx, xattr checks). */
struct stat;
int statat_in(struct task *t, int dirfd, uint64_t addr, int flags, struct stat *st);

#endif
