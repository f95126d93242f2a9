/*
 * strace.h — `--strace`: one log line per app syscall, as strace(1) writes
 * it: `[TID] openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such
 * file or directory)`.  Paths are read from app memory as strings, flags and
 * commands are decoded by name for the common calls (open/openat, mmap,
 * mprotect, clone, socket, fcntl, the *at flags, signals), other arguments
 * are numbers or pointers in hex; results are numbers (addresses in hex) or
 * -1 and the errno's name.
 *
 * The arguments are decoded at entry (strace_enter), while the app's memory
 * still holds them (execve replaces it), and the line is written with the
 * result (strace_exit).  Only the task's own thread calls these, holding no
 * lock; they cost nothing unless --strace is on (the caller checks).
 */
#ifndef VISOR_SENTRY_STRACE_H
#define VISOR_SENTRY_STRACE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct task;

#define STRACE_LINE 1024

struct strace_call {
	char buf[STRACE_LINE]; /* "openat(AT_FDCWD, \"/x\", O_RDONLY" */
	size_t len;
	uint64_t start_ns; /* CLOCK_MONOTONIC at strace_enter */
};

/* Decode syscall nr's arguments (into a per-thread buffer).  A call that
 * does not return (exit, exit_group) is logged here, with " = ?". */
void strace_enter(struct task *t, int nr, const uint64_t a[6]);
/* Log the call strace_enter decoded on this thread, with its result ret (a
 * value or -errno) and the time it took, as strace -T: " <0.000034>". */
void strace_exit(struct task *t, int nr, int64_t ret);

/* The decoding itself, for tests: read_str(ctx, dst, addr, max) reads a
 * string from app memory as mm_copy_string_in does (its length, -EFAULT, or
 * -ENAMETOOLONG with max bytes copied). */
typedef ssize_t (*strace_read_str)(void *ctx, char *dst, uint64_t addr, size_t max);
void strace_format_call(int nr, const uint64_t a[6], strace_read_str read_str, void *ctx,
			struct strace_call *sc);
/* The result as strace writes it after " = ": "3", "0x7f0000000000",
 * "-1 ENOENT (No such file or directory)". */
void strace_format_result(int nr, int64_t ret, char *out, size_t size);
/* "ENOENT" for 2; NULL when unknown. */
const char *strace_errno_name(int err);

#endif
