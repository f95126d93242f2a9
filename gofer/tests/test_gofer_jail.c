/* Unit tests for the Gofer's capability drop (gofer/jail.c), run after its
 * pivot into the container's root: nothing it reads there may decide which
 * capabilities stay. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/server.h"

/* In a child chrooted into a tree whose proc/sys/kernel/cap_last_cap is
 * `kind` (a FIFO, or a file saying "1"), drop the capabilities: it must
 * finish (no read of the FIFO), and leave in the bounding set only the five
 * the server keeps. */
static void drop_caps_in_image(int fifo)
{
	char dir[] = "/tmp/visor-gofer-jail.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[256];
	snprintf(p, sizeof(p), "%s/proc/sys/kernel", dir);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s", p);
	assert_int_equal(system(cmd), 0);
	strcat(p, "/cap_last_cap");
	if (fifo) {
		assert_int_equal(mkfifo(p, 0644), 0);
	} else {
		FILE *f = fopen(p, "w");
		assert_non_null(f);
		fputs("1\n", f);
		fclose(f);
	}
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(5);
		if (chroot(dir) < 0 || chdir("/") < 0)
			_exit(2);
		if (gofer_jail_drop_caps() < 0)
			_exit(3);
		const int keep[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER,
				    CAP_FSETID};
		for (int cap = 0; cap <= CAP_LAST_CAP; cap++) {
			int want = 0;
			for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
				want |= keep[i] == cap;
			if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != want)
				_exit(10 + cap);
		}
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	if (WIFSIGNALED(st))
		fail_msg("capability drop killed by signal %d (SIGALRM: it read the FIFO)",
			 WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_drop_caps_never_reads_a_fifo_from_the_image(void **state)
{
	drop_caps_in_image(1);
}

static void test_drop_caps_ignores_a_forged_cap_last_cap(void **state)
{
	drop_caps_in_image(0);
}

/* Under the Gofer's seccomp filter (gofer_jail_seccomp), in a child: call
 * `which` and exit 0 if it returned.  Each call below is one the Gofer never
 * makes and the filter must kill (SIGSYS), the classic escapes among them. */
static int gofer_forbidden_call(int which)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core);
		if (gofer_jail_seccomp() < 0)
			_exit(100);
		char *const argv[] = {"true", NULL};
		switch (which) {
		case 0: syscall(SYS_getpid); break; /* the control: allowed */
		case 1: syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); break;
		case 2: syscall(SYS_execve, "/bin/true", argv, argv + 1); break;
		case 3: syscall(SYS_ptrace, PTRACE_ATTACH, 1, 0, 0); break;
		case 4: syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, O_RDONLY); break;
		case 5: syscall(SYS_kill, 1, SIGKILL); break;
		case 6: syscall(SYS_mount, "none", "/", "tmpfs", 0, NULL); break;
		case 7: syscall(SYS_unshare, CLONE_NEWUSER); break;
		case 8: syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); break;
		case 9: syscall(SYS_connect, 0, NULL, 0); break;
		case 10: syscall(SYS_chroot, "/"); break;
		case 11: syscall(SYS_setns, 0, 0); break;
		}
		/* Not _exit: the sanitizers' wrapper of it calls sigaltstack. */
		syscall(SYS_exit_group, 0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void test_gofer_filter_kills_every_forbidden_call(void **state)
{
	int st = gofer_forbidden_call(0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("allowed call: %s %d", WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	for (int i = 1; i <= 11; i++) {
		st = gofer_forbidden_call(i);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("forbidden call %d: expected SIGSYS, got %s %d", i,
				 WIFEXITED(st) ? "exit" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_gofer_jail: needs root (chroot), skipped\n");
		return 0;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_drop_caps_never_reads_a_fifo_from_the_image),
		cmocka_unit_test(test_drop_caps_ignores_a_forged_cap_last_cap),
		cmocka_unit_test(test_gofer_filter_kills_every_forbidden_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
