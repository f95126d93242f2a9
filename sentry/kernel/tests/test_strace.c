/* Unit tests for sentry/kernel/strace.c: syscalls decoded as strace(1) writes
 * them, from a fake app memory holding strings at known addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sentry/kernel/strace.h"

/* App memory: a string at 0x1000, a long one at 0x2000; anything else faults. */
static char long_path[400];

static ssize_t fake_read(void *ctx, char *dst, uint64_t addr, size_t max)
{
	const char *s = addr == 0x1000 ? "/nonexistent" : addr == 0x2000 ? long_path
						     : addr == 0x3000 ? "a\"b\\c\nd\x01"
								      : NULL;
	if (!s)
		return -EFAULT;
	size_t n = strlen(s);
	if (n >= max) {
		memcpy(dst, s, max);
		return -ENAMETOOLONG;
	}
	memcpy(dst, s, n + 1);
	return (ssize_t)n;
}

static void expect(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		   uint64_t a5, const char *want)
{
	const uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
	struct strace_call sc;
	strace_format_call(nr, a, fake_read, NULL, &sc);
	assert_string_equal(sc.buf, want);
	assert_int_equal(sc.len, strlen(want));
}

static void test_openat_path_and_flags(void **state)
{
	expect(SYS_openat, (uint64_t)AT_FDCWD, 0x1000, O_RDONLY, 0, 0, 0,
	       "openat(AT_FDCWD, \"/nonexistent\", O_RDONLY");
	expect(SYS_openat, 3, 0x1000, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, 0, 0,
	       "openat(3, \"/nonexistent\", O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644");
	expect(SYS_open, 0x1000, O_RDWR | O_TMPFILE, 0600, 0, 0, 0,
	       "open(\"/nonexistent\", O_RDWR|O_TMPFILE, 0600");
	expect(SYS_open, 0x1000, O_RDONLY | O_DIRECTORY | O_NONBLOCK, 0, 0, 0, 0,
	       "open(\"/nonexistent\", O_RDONLY|O_NONBLOCK|O_DIRECTORY");
	/* A bad pointer is shown as the pointer. */
	expect(SYS_openat, (uint64_t)AT_FDCWD, 0xdead0, O_RDONLY, 0, 0, 0,
	       "openat(AT_FDCWD, 0xdead0, O_RDONLY");
}

static void test_strings_are_escaped_and_cut(void **state)
{
	expect(SYS_unlink, 0x3000, 0, 0, 0, 0, 0, "unlink(\"a\\\"b\\\\c\\nd\\1\"");
	memset(long_path, 'x', sizeof(long_path) - 1);
	const uint64_t a[6] = {0x2000};
	struct strace_call sc;
	strace_format_call(SYS_chdir, a, fake_read, NULL, &sc);
	assert_non_null(strstr(sc.buf, "xxx\"..."));
	assert_int_equal(strncmp(sc.buf, "chdir(\"xxx", 10), 0);
}

static void test_mmap_mprotect_prot_and_flags(void **state)
{
	expect(SYS_mmap, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
	       (uint64_t)-1, 0,
	       "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0");
	expect(SYS_mmap, 0x7f0000000000, 4096, PROT_NONE, MAP_SHARED | MAP_FIXED, 3, 0x1000,
	       "mmap(0x7f0000000000, 4096, PROT_NONE, MAP_SHARED|MAP_FIXED, 3, 0x1000");
	expect(SYS_mprotect, 0x400000, 4096, PROT_READ | PROT_EXEC, 0, 0, 0,
	       "mprotect(0x400000, 4096, PROT_READ|PROT_EXEC");
	expect(SYS_mprotect, 0x400000, 4096, 0x40, 0, 0, 0, "mprotect(0x400000, 4096, 0x40");
}

static void test_clone_socket_fcntl_signals(void **state)
{
	expect(SYS_clone, 0x01200000 | SIGCHLD, 0, 0, 0x5ec690, 0, 0,
	       "clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, NULL, NULL, 0x5ec690");
	expect(SYS_socket, 2, 1 | 02000000, 0, 0, 0, 0,
	       "socket(AF_INET, SOCK_STREAM|SOCK_CLOEXEC, 0");
	expect(SYS_socket, 1, 2 | 04000, 0, 0, 0, 0, "socket(AF_UNIX, SOCK_DGRAM|SOCK_NONBLOCK, 0");
	expect(SYS_socket, 99, 1, 0, 0, 0, 0, "socket(99, SOCK_STREAM, 0");
	expect(SYS_fcntl, 3, F_GETFL, 0x1234, 0, 0, 0, "fcntl(3, F_GETFL");
	expect(SYS_fcntl, 3, F_SETFL, O_RDWR | O_NONBLOCK, 0, 0, 0, "fcntl(3, F_SETFL, O_RDWR|O_NONBLOCK");
	expect(SYS_fcntl, 3, F_SETFD, FD_CLOEXEC, 0, 0, 0, "fcntl(3, F_SETFD, FD_CLOEXEC");
	expect(SYS_fcntl, 3, F_DUPFD_CLOEXEC, 10, 0, 0, 0, "fcntl(3, F_DUPFD_CLOEXEC, 10");
	expect(SYS_kill, 7, SIGTERM, 0, 0, 0, 0, "kill(7, SIGTERM");
	expect(SYS_unlinkat, (uint64_t)AT_FDCWD, 0x1000, AT_REMOVEDIR, 0, 0, 0,
	       "unlinkat(AT_FDCWD, \"/nonexistent\", AT_REMOVEDIR");
}

static void test_unknown_syscall_prints_six_hex_args(void **state)
{
	expect(SYS_io_setup, 1, 0x7ff0, 0, 0, 0, 0, "io_setup(0x1, 0x7ff0, 0, 0, 0, 0");
}

static void test_results_as_strace_writes_them(void **state)
{
	char out[96];
	strace_format_result(SYS_openat, -ENOENT, out, sizeof(out));
	assert_string_equal(out, "-1 ENOENT (No such file or directory)");
	strace_format_result(SYS_read, 17, out, sizeof(out));
	assert_string_equal(out, "17");
	strace_format_result(SYS_mmap, 0x7f0000001000, out, sizeof(out));
	assert_string_equal(out, "0x7f0000001000");
	strace_format_result(SYS_read, -512, out, sizeof(out));
	assert_string_equal(out, "? ERESTARTSYS");
	strace_format_result(SYS_read, -1234, out, sizeof(out));
	assert_string_equal(out, "-1 1234");
	assert_string_equal(strace_errno_name(EHWPOISON), "EHWPOISON");
	assert_string_equal(strace_errno_name(ENOSYS), "ENOSYS");
	assert_null(strace_errno_name(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_openat_path_and_flags),
	    cmocka_unit_test(test_strings_are_escaped_and_cut),
	    cmocka_unit_test(test_mmap_mprotect_prot_and_flags),
	    cmocka_unit_test(test_clone_socket_fcntl_signals),
	    cmocka_unit_test(test_unknown_syscall_prints_six_hex_args),
	    cmocka_unit_test(test_results_as_strace_writes_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
