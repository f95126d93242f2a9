/*
 * Unit tests for sentry/jail.c: which rule sets make the Sentry's seccomp
 * filter, and what a process under that filter can and cannot do.  Filters
 * are loaded only in forked children (a filter never comes off), and the
 * pivot and capability steps of sentry_jail are left to the integration
 * tests, which run the real jail.
 */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/page.h"
#include "platform/platform.h"
#include "sentry/jail.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"

static int memfd = -1;
static struct platform *plat;

static int group_setup(void **state)
{
	memfd = memfd_create("visor-test-jail", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, 1 << 20) < 0)
		return -1;
	plat = platform_new("ptrace", memfd);
	return plat ? 0 : -1;
}

static int group_teardown(void **state)
{
	platform_free(plat);
	close(memfd);
	return 0;
}

/* The first rule for nr in sets[0..n), or NULL. */
static const struct jail_rule *rule_for(const struct jail_rules *const sets[], size_t n, long nr)
{
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < sets[s]->n; i++)
			if (sets[s]->rules[i].nr == nr)
				return &sets[s]->rules[i];
	return NULL;
}

static int ptrace_sets(const struct jail_rules *sets[JAIL_MAX_SETS])
{
	return jail_rule_sets(plat, NULL, sets, JAIL_MAX_SETS);
}

/* ---- which rules ------------------------------------------------------- */

static void test_ptrace_sentry_allows_tracing_and_base_rules_do_not(void **state)
{
	const struct jail_rules *sets[JAIL_MAX_SETS];
	int n = ptrace_sets(sets);
	assert_int_equal(n, 2);
	assert_ptr_equal(sets[0], &jail_sentry_rules);
	assert_ptr_equal(sets[1], plat->ops->jail_rules(plat));
	assert_string_equal(sets[1]->name, "ptrace");
	const struct jail_rules *const base[] = {&jail_sentry_rules};
	static const long platform_only[] = {SYS_ptrace,
					     SYS_wait4,
					     SYS_waitid,
					     SYS_process_vm_readv,
					     SYS_process_vm_writev,
					     SYS_sched_setaffinity};
	for (size_t i = 0; i < sizeof(platform_only) / sizeof(platform_only[0]); i++) {
		const struct jail_rule *r = rule_for(sets, (size_t)n, platform_only[i]);
		assert_non_null(r);
		assert_int_equal(r->action, JAIL_ACT_ALLOW);
		assert_int_equal(r->ncmp, 0);
		assert_null(rule_for(base, 1, platform_only[i]));
	}
	/* What only stubs do is in neither: stubs never carry this filter
	 * (the template forks them before the jail). */
	static const long stubs_only[] = {SYS_seccomp, SYS_pause, SYS_prctl};
	for (size_t i = 0; i < sizeof(stubs_only) / sizeof(stubs_only[0]); i++)
		assert_null(rule_for(sets, (size_t)n, stubs_only[i]));
	/* What the Sentry needs on any platform stays in its own rules. */
	assert_non_null(rule_for(base, 1, SYS_getcpu));
	assert_int_equal(rule_for(base, 1, SYS_openat)->err, EACCES);
	assert_int_equal(rule_for(base, 1, SYS_clone3)->err, ENOSYS);
	assert_null(rule_for(sets, (size_t)n, SYS_execve));
	assert_null(rule_for(sets, (size_t)n, SYS_socket));
}

static void test_network_sets_come_after_the_platforms(void **state)
{
	static const struct jail_rule r1[] = {JAIL_ALLOW(SYS_socket)};
	static const struct jail_rules a = {.name = "a", .rules = r1, .n = 1};
	static const struct jail_rules b = {.name = "b", .rules = r1, .n = 1};
	const struct jail_rules *const extra[] = {&a, &b, NULL};
	const struct jail_rules *sets[JAIL_MAX_SETS];
	assert_int_equal(jail_rule_sets(plat, extra, sets, JAIL_MAX_SETS), 4);
	assert_ptr_equal(sets[0], &jail_sentry_rules);
	assert_string_equal(sets[1]->name, "ptrace");
	assert_ptr_equal(sets[2], &a);
	assert_ptr_equal(sets[3], &b);
	/* No platform: the Sentry's own rules, then the extra ones. */
	assert_int_equal(jail_rule_sets(NULL, extra, sets, JAIL_MAX_SETS), 3);
	assert_ptr_equal(sets[1], &a);
	/* More sets than room: refused, not truncated. */
	assert_int_equal(jail_rule_sets(plat, extra, sets, 3), -E2BIG);
	assert_int_equal(jail_rule_sets(plat, NULL, sets, 0), -E2BIG);
}

/* ---- under the filter -------------------------------------------------- */

/*
 * Run body in a forked child and return its wait status.  cmocka cannot be
 * used in the child (a failed assert would jump back into the test runner
 * there): a body exits with the number of the first check that failed, 0
 * when all passed, and must call nothing the filter kills for unless that is
 * what the test expects.
 */
static int in_child(int (*body)(const void *arg), const void *arg)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const struct rlimit no_core = {0, 0};
		setrlimit(RLIMIT_CORE, &no_core); /* SIGSYS would dump core */
		_exit(body(arg));
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void assert_exited_ok(int st)
{
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("child: %s %d", WIFEXITED(st) ? "failed check" : "killed by signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

static void assert_killed_by_seccomp(int st)
{
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
		fail_msg("child: expected SIGSYS, got %s %d", WIFEXITED(st) ? "exit" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* Load the filter of sets (a NULL-terminated list): 0, or exit code 100. */
static int load(const struct jail_rules *const *sets)
{
	size_t n = 0;
	while (sets[n])
		n++;
	const char *what;
	return jail_seccomp_load(sets, n, &what) ? 100 : 0;
}

static int load_ptrace_jail(void)
{
	const struct jail_rules *sets[JAIL_MAX_SETS + 1] = {0};
	if (ptrace_sets(sets) < 0)
		return 101;
	return load(sets);
}

static int body_sentry_calls_pass(const void *arg)
{
	int r = load_ptrace_jail();
	if (r)
		return r;
	if (syscall(SYS_getpid) != getpid())
		return 1;
	/* Refused, not killed: glibc copes with these. */
	if (syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY) != -1 || errno != EACCES)
		return 2;
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 3;
	/* The platform's: answered by the kernel, not by the filter. */
	if (ptrace(PTRACE_PEEKUSER, 0x7fffffff, NULL, NULL) != -1 || errno != ESRCH)
		return 4;
	if (waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD)
		return 5;
	char src = 'x', dst = 0;
	struct iovec l = {&dst, 1}, rv = {&src, 1};
	if (process_vm_readv(getpid(), &l, 1, &rv, 1, 0) != 1 || dst != 'x')
		return 6;
	return 0;
}

static void *sleep_5s(void *arg)
{
	struct timespec dl;
	deadline_in_ms(&dl, 5000);
	return (void *)(intptr_t)task_sleep(arg, &dl);
}

/* A task's sleeps and wake-ups (wait.c) pass the filter: FUTEX_WAIT_BITSET
 * and FUTEX_WAKE on the wake word, and the poll of a sleep on a host fd. */
static int body_task_sleeps_pass(const void *arg)
{
	int r = load_ptrace_jail();
	if (r)
		return r;
	struct task *t = calloc(1, sizeof(*t));
	t->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct timespec dl = {0, 0};
	if (task_sleep(t, &dl) != -ETIMEDOUT)
		return 1;
	pthread_t th;
	if (pthread_create(&th, NULL, sleep_5s, t))
		return 2;
	usleep(20000);
	task_wake(t);
	void *res;
	pthread_join(th, &res);
	if ((intptr_t)res != 0)
		return 3;
	int p[2];
	if (pipe2(p, O_CLOEXEC) || write(p[1], "x", 1) != 1)
		return 4;
	if (task_block_fd(t, p[0], POLLIN, NULL) != POLLIN)
		return 5;
	return 0;
}

static void test_ptrace_jail_lets_task_sleeps_and_wakes_work(void **state)
{
	assert_exited_ok(in_child(body_task_sleeps_pass, NULL));
}

static void test_ptrace_jail_lets_the_sentry_and_its_platform_work(void **state)
{
	assert_exited_ok(in_child(body_sentry_calls_pass, NULL));
}

static int body_call_after_load(const void *arg)
{
	const struct jail_rules *const *sets = arg;
	int r = sets ? load(sets) : load_ptrace_jail();
	if (r)
		return r;
	syscall(SYS_ptrace, PTRACE_PEEKUSER, 0x7fffffff, NULL, NULL);
	return 0;
}

static void test_sentry_rules_alone_kill_a_ptrace_call(void **state)
{
	const struct jail_rules *const base[] = {&jail_sentry_rules, NULL};
	assert_killed_by_seccomp(in_child(body_call_after_load, base));
	/* The same call with the platform's rules added: the control. */
	assert_exited_ok(in_child(body_call_after_load, NULL));
}

static int body_execve(const void *arg)
{
	int r = load_ptrace_jail();
	if (r)
		return r;
	char *const argv[] = {"true", NULL};
	execve("/bin/true", argv, argv + 1);
	return 1;
}

/* The jail's argument rules: each call the Sentry never makes, tried from
 * under the real filter (Sentry + ptrace rules), must kill with SIGSYS. */
static int body_forbidden(const void *arg)
{
	int which = *(const int *)arg;
	int r = load_ptrace_jail();
	if (r)
		return r;
	switch (which) {
	case 0: /* a new user namespace */
		syscall(SYS_clone, 0x10000000UL /* CLONE_NEWUSER */ | SIGCHLD, 0, 0, 0, 0);
		break;
	case 1: /* a plain fork (the Sentry's clones are threads and stubs) */
		syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
		break;
	case 2: { /* TIOCSTI: typing into a host terminal */
		char c = 'x';
		syscall(SYS_ioctl, 0, 0x5412UL /* TIOCSTI */, &c);
		break;
	}
	case 3: /* tgkill of a negative tgid, and a signal it never sends */
		syscall(SYS_tgkill, -1, 1, SIGCHLD);
		break;
	case 4:
		syscall(SYS_kill, getpid(), SIGTERM);
		break;
	case 5: /* prctl beyond what the stubs need */
		syscall(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0);
		break;
	}
	return 0;
}

static void test_argument_rules_kill_calls_the_sentry_never_makes(void **state)
{
	for (int i = 0; i < 6; i++) {
		int st = in_child(body_forbidden, &i);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("forbidden call %d: expected SIGSYS, got %s %d", i,
				 WIFEXITED(st) ? "exit" : "signal",
				 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

static void test_execve_kills_the_jailed_process(void **state)
{
	assert_killed_by_seccomp(in_child(body_execve, NULL));
}

/*
 * The ptrace platform itself, under the filter of the Sentry's rules and its
 * own: a stub is forked by the template (made before the filter), seized,
 * set up, and runs app code to its first syscall.  With the Sentry's rules
 * alone the same run dies.
 */
static int body_run_app_code(const void *arg)
{
	const struct jail_rules *const *sets = arg;
	static const unsigned char code[] = {
	    0xb8, 39,	0, 0, 0, /* mov $39,%eax (getpid) */
	    0x0f, 0x05,		 /* syscall */
	    0xeb, 0xfe,		 /* jmp . */
	};
	const uint64_t va = 0x400000;
	if (pwrite(memfd, code, sizeof(code), 0) != (ssize_t)sizeof(code))
		return 1;
	int r = sets ? load(sets) : load_ptrace_jail();
	if (r)
		return r;
	const struct platform_ops *ops = plat->ops;
	struct addr_space *as = ops->new_addr_space(plat);
	struct context *ctx = ops->new_context(plat);
	if (!as || !ctx)
		return 2;
	plat_regs_t regs = {.rip = va};
	struct plat_event ev;
	/* The first switch creates the stub; nothing is mapped yet. */
	if (ops->context_switch(ctx, as, &regs, &ev) || ev.kind != PLAT_EV_FAULT)
		return 3;
	if (ops->as_map(as, va, PAGE_SIZE, PROT_READ | PROT_EXEC, 0))
		return 4;
	if (ops->context_switch(ctx, as, &regs, &ev) || ev.kind != PLAT_EV_SYSCALL ||
	    regs.orig_rax != 39)
		return 5;
	ops->as_release(as);
	ops->context_release(ctx);
	return 0;
}

static void test_ptrace_platform_runs_app_code_under_its_jail(void **state)
{
	assert_exited_ok(in_child(body_run_app_code, NULL));
	const struct jail_rules *const base[] = {&jail_sentry_rules, NULL};
	assert_killed_by_seccomp(in_child(body_run_app_code, base));
}

/* ---- systrap ----------------------------------------------------------- */

static void test_systrap_jail_rules_have_no_ptrace(void **state)
{
	int fd = memfd_create("visor-test-jail-systrap", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	struct platform *sp = platform_new("systrap", fd);
	assert_non_null(sp);
	const struct jail_rules *sets[JAIL_MAX_SETS];
	int n = jail_rule_sets(sp, NULL, sets, JAIL_MAX_SETS);
	assert_int_equal(n, 2);
	assert_string_equal(sets[1]->name, "systrap");
	static const long never[] = {SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev,
				     SYS_execve, SYS_socket};
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		assert_null(rule_for(sets, (size_t)n, never[i]));
	/* What only the platform needs: collecting its stubs. */
	const struct jail_rules *const base[] = {&jail_sentry_rules};
	assert_non_null(rule_for(sets, (size_t)n, SYS_waitid));
	assert_null(rule_for(base, 1, SYS_waitid));
	platform_free(sp);
	close(fd);
}

/*
 * The systrap platform under the filter of the Sentry's rules and its own:
 * the platform starts before the jail (its template must not inherit it),
 * then a stub is forked from the template and runs app code: a fault, a
 * map, a syscall; releasing it reaps it (in the background: freeing the
 * platform waits for that).  With the Sentry's rules alone the same run
 * dies.
 */
static int body_systrap_run(const void *arg)
{
	const struct jail_rules *const *base = arg;
	static const unsigned char code[] = {
	    0xb8, 39,	0, 0, 0, /* mov $39,%eax (getpid) */
	    0x0f, 0x05,		 /* syscall */
	    0xeb, 0xfe,		 /* jmp . */
	};
	int fd = memfd_create("visor-test-jail-systrap", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, 1 << 20) < 0 ||
	    pwrite(fd, code, sizeof(code), 0) != (ssize_t)sizeof(code))
		return 1;
	struct platform *sp = platform_new("systrap", fd);
	if (!sp)
		return 2;
	const struct jail_rules *sets[JAIL_MAX_SETS + 1] = {0};
	if (jail_rule_sets(sp, NULL, sets, JAIL_MAX_SETS) < 0)
		return 101;
	int r = load(base ? base : sets);
	if (r)
		return r;
	const struct platform_ops *ops = sp->ops;
	struct addr_space *as = ops->new_addr_space(sp);
	struct context *ctx = ops->new_context(sp);
	if (!as || !ctx)
		return 3;
	plat_regs_t regs = {.rip = 0x400000};
	struct plat_event ev;
	if (ops->context_switch(ctx, as, &regs, &ev) || ev.kind != PLAT_EV_FAULT)
		return 4;
	if (ops->as_map(as, 0x400000, PAGE_SIZE, PROT_READ | PROT_EXEC, 0))
		return 5;
	if (ops->context_switch(ctx, as, &regs, &ev) || ev.kind != PLAT_EV_SYSCALL ||
	    regs.orig_rax != 39)
		return 6;
	ops->as_release(as);
	ops->context_release(ctx);
	platform_free(sp); /* waits for the stub's reaping */
	return 0;
}

static void test_systrap_platform_runs_app_code_under_its_jail(void **state)
{
	assert_exited_ok(in_child(body_systrap_run, NULL));
	const struct jail_rules *const base[] = {&jail_sentry_rules, NULL};
	assert_killed_by_seccomp(in_child(body_systrap_run, base));
}

/* ---- no executable memory, no stat by path ----------------------------- */

struct exec_case {
	const struct jail_rules *const *sets; /* NULL-terminated */
	int which;
};

/* Under sets, one memory call: 0 mmap RW (allowed), 1 mmap RX, 2 mprotect
 * to RX, 3 mmap RWX. */
static int body_exec_memory(const void *arg)
{
	const struct exec_case *c = arg;
	void *p = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	int r = load(c->sets);
	if (r)
		return r;
	switch (c->which) {
	case 0:
		return mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0) == MAP_FAILED ? 2 : 0;
	case 1:
		mmap(NULL, PAGE_SIZE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case 2:
		mprotect(p, PAGE_SIZE, PROT_READ | PROT_EXEC);
		break;
	case 3:
		mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	}
	return 0;
}

/* The Sentry's own rules, with systrap's and with ptrace's: PROT_EXEC in
 * mmap or mprotect kills (code written into a compromised Sentry cannot be
 * run); read-write memory still works.  Neither platform's stubs carry the
 * Sentry's filter (each forks them from a template made before the jail),
 * so neither needs an exception. */
static void test_exec_memory_kills_the_sentry_on_every_platform(void **state)
{
	int fd = memfd_create("visor-test-jail-exec", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	struct platform *sp = platform_new("systrap", fd);
	assert_non_null(sp);
	const struct jail_rules *st_sets[JAIL_MAX_SETS + 1] = {0};
	assert_int_equal(jail_rule_sets(sp, NULL, st_sets, JAIL_MAX_SETS), 2);
	const struct jail_rules *pt_sets[JAIL_MAX_SETS + 1] = {0};
	assert_int_equal(ptrace_sets(pt_sets), 2);
	const struct jail_rules *const base[] = {&jail_sentry_rules, NULL};
	const struct jail_rules *const *deny[] = {base, st_sets, pt_sets};
	static const char *const names[] = {"sentry", "systrap", "ptrace"};
	for (size_t s = 0; s < 3; s++) {
		struct exec_case c = {.sets = deny[s], .which = 0};
		assert_exited_ok(in_child(body_exec_memory, &c));
		for (c.which = 1; c.which <= 3; c.which++) {
			int st = in_child(body_exec_memory, &c);
			if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
				fail_msg("%s rules, exec memory case %d: expected SIGSYS, got %s %d",
					 names[s], c.which, WIFEXITED(st) ? "exit" : "signal",
					 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		}
	}
	platform_free(sp);
	close(fd);
}

/* newfstatat and statx: of an fd (AT_EMPTY_PATH) they work, by path they are
 * EACCES, as open is: no host path is ever looked up. */
static int body_stat_rules(const void *arg)
{
	int fd = memfd_create("visor-test-jail-stat", MFD_CLOEXEC);
	if (fd < 0)
		return 1;
	int r = load_ptrace_jail();
	if (r)
		return r;
	struct stat st;
	struct statx sx;
	if (fstat(fd, &st) < 0 || syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH) < 0)
		return 2;
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
		return 3;
	if (syscall(SYS_newfstatat, AT_FDCWD, "/", &st, 0) != -1 || errno != EACCES)
		return 4;
	if (syscall(SYS_newfstatat, AT_FDCWD, "/", &st, AT_SYMLINK_NOFOLLOW) != -1 ||
	    errno != EACCES)
		return 5;
	if (syscall(SYS_statx, AT_FDCWD, "/etc", 0, STATX_BASIC_STATS, &sx) != -1 ||
	    errno != EACCES)
		return 6;
	if (stat("/", &st) != -1 || errno != EACCES)
		return 7;
	return 0;
}

static void test_stat_by_path_is_refused_stat_of_an_fd_works(void **state)
{
	assert_exited_ok(in_child(body_stat_rules, NULL));
}

/* ---- the Sentry's own user namespace ----------------------------------- */

/* In a fresh (single-threaded) child: enter the namespace, then show what
 * host root could do and this process no longer can. */
static int body_userns(const void *arg)
{
	char before[64], after[64];
	ssize_t n = readlink("/proc/self/ns/user", before, sizeof(before) - 1);
	if (n <= 0)
		return 1;
	before[n] = 0;
	const char *what = "";
	if (sentry_userns_enter(&what) < 0)
		return 2;
	n = readlink("/proc/self/ns/user", after, sizeof(after) - 1);
	if (n <= 0)
		return 3;
	after[n] = 0;
	if (!strcmp(before, after))
		return 4; /* still the host's namespace */
	if (getuid() != 0 || geteuid() != 0 || getgid() != 0)
		return 5; /* root inside */
	/* /etc/shadow is root's alone (0640 root:shadow or 0600): host root
	 * reads it, the sandbox's host id does not. */
	if (open("/etc/shadow", O_RDONLY | O_CLOEXEC) >= 0 || errno != EACCES)
		return 6;
	/* No id outside the map can be taken; no group can be set. */
	if (setuid(1) == 0 || setgroups(0, NULL) == 0)
		return 7;
	/* What the host kernel sees: the mapped ids. */
	char self[32];
	ssize_t sn = readlink("/proc/self", self, sizeof(self) - 1);
	if (sn <= 0)
		return 8;
	self[sn] = 0;
	FILE *f = fopen("/proc/self/uid_map", "r");
	unsigned in = 1, out = 0, len = 0;
	if (!f || fscanf(f, "%u %u %u", &in, &out, &len) != 3 || in != 0 ||
	    out != sentry_userns_host_id(atoi(self)) || out < 0x70000000u || len != 1)
		return 9;
	fclose(f);
	return 0;
}

static void test_userns_enter_leaves_no_host_privilege(void **state)
{
	if (access("/etc/shadow", R_OK) < 0)
		skip(); /* not host root here: nothing to lose */
	assert_exited_ok(in_child(body_userns, NULL));
}

/* ---- rules that reach libseccomp right, or not at all ------------------- */

/* socket(AF_UNIX, SOCK_DGRAM with any flags, ...) only: the shape of rule a
 * network mode adds. */
static const struct jail_rule unix_dgram_rule[] = {{
    .nr = SYS_socket,
    .action = JAIL_ACT_ALLOW,
    .ncmp = 2,
    .cmp = {{.arg = 0, .op = JAIL_CMP_EQ, .value = AF_UNIX},
	    {.arg = 1, .op = JAIL_CMP_MASKED_EQ, .mask = 0xf, .value = SOCK_DGRAM}},
}};
static const struct jail_rules unix_dgram = {.name = "test-net", .rules = unix_dgram_rule, .n = 1};

static int body_socket(const void *arg)
{
	const int *type = arg;
	const struct jail_rules *const extra[] = {&unix_dgram, NULL};
	const struct jail_rules *sets[JAIL_MAX_SETS + 1] = {0};
	if (jail_rule_sets(plat, extra, sets, JAIL_MAX_SETS) != 3)
		return 101;
	int r = load(sets);
	if (r)
		return r;
	int fd = socket(AF_UNIX, *type, 0);
	return fd >= 0 ? 0 : 1;
}

static void test_argument_conditions_reach_the_filter(void **state)
{
	static const int dgram = SOCK_DGRAM | SOCK_CLOEXEC, stream = SOCK_STREAM;
	assert_exited_ok(in_child(body_socket, &dgram));
	assert_killed_by_seccomp(in_child(body_socket, &stream));
}

/* Load sets and report -errno as the exit code (the load must fail before
 * anything is installed: the child then checks it is still free). */
static int body_load_fails(const void *arg)
{
	const struct jail_rules *const *sets = arg;
	size_t n = 0;
	while (sets[n])
		n++;
	const char *what = NULL;
	int r = jail_seccomp_load(sets, n, &what);
	if (r >= 0 || !what)
		return 1;
	/* No filter: an unlisted syscall still works. */
	if (syscall(SYS_getsid, 0) < 0)
		return 2;
	return -r;
}

static void assert_load_refused(const struct jail_rule *rule)
{
	const struct jail_rules bad = {.name = "bad", .rules = rule, .n = 1};
	const struct jail_rules *const sets[] = {&jail_sentry_rules, &bad, NULL};
	int st = in_child(body_load_fails, sets);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), EINVAL);
}

static void test_rules_that_disagree_are_refused(void **state)
{
	/* The Sentry's rules fail openat with EACCES: allowing it elsewhere
	 * would leave the outcome to libseccomp's choice. */
	static const struct jail_rule allow_openat[] = {JAIL_ALLOW(SYS_openat)};
	assert_load_refused(allow_openat);
	static const struct jail_rule other_errno[] = {JAIL_FAIL(SYS_openat, EPERM)};
	assert_load_refused(other_errno);
	/* A condition does not help: the unconditional EACCES would swallow it. */
	static const struct jail_rule cond_allow[] = {
	    {.nr = SYS_openat,
	     .ncmp = 1,
	     .cmp = {{.arg = 2, .op = JAIL_CMP_EQ, .value = O_RDONLY}}}};
	assert_load_refused(cond_allow);
}

static void test_malformed_rules_are_refused(void **state)
{
	static const struct jail_rule no_errno[] = {JAIL_FAIL(SYS_getsid, 0)};
	assert_load_refused(no_errno);
	static const struct jail_rule big_errno[] = {JAIL_FAIL(SYS_getsid, 4096)};
	assert_load_refused(big_errno);
	static const struct jail_rule bad_action[] = {{.nr = SYS_getsid, .action = 7}};
	assert_load_refused(bad_action);
	static const struct jail_rule bad_nr[] = {JAIL_ALLOW(-1)};
	assert_load_refused(bad_nr);
	static const struct jail_rule bad_arg[] = {
	    {.nr = SYS_getsid, .ncmp = 1, .cmp = {{.arg = 6, .op = JAIL_CMP_EQ}}}};
	assert_load_refused(bad_arg);
	static const struct jail_rule bad_op[] = {
	    {.nr = SYS_getsid, .ncmp = 1, .cmp = {{.arg = 0, .op = 0}}}};
	assert_load_refused(bad_op);
	static const struct jail_rule too_many[] = {{.nr = SYS_getsid, .ncmp = 7}};
	assert_load_refused(too_many);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ptrace_sentry_allows_tracing_and_base_rules_do_not),
	    cmocka_unit_test(test_network_sets_come_after_the_platforms),
	    cmocka_unit_test(test_ptrace_jail_lets_the_sentry_and_its_platform_work),
	    cmocka_unit_test(test_ptrace_jail_lets_task_sleeps_and_wakes_work),
	    cmocka_unit_test(test_sentry_rules_alone_kill_a_ptrace_call),
	    cmocka_unit_test(test_execve_kills_the_jailed_process),
	    cmocka_unit_test(test_argument_rules_kill_calls_the_sentry_never_makes),
	    cmocka_unit_test(test_ptrace_platform_runs_app_code_under_its_jail),
	    cmocka_unit_test(test_systrap_jail_rules_have_no_ptrace),
	    cmocka_unit_test(test_systrap_platform_runs_app_code_under_its_jail),
	    cmocka_unit_test(test_exec_memory_kills_the_sentry_on_every_platform),
	    cmocka_unit_test(test_stat_by_path_is_refused_stat_of_an_fd_works),
	    cmocka_unit_test(test_userns_enter_leaves_no_host_privilege),
	    cmocka_unit_test(test_argument_conditions_reach_the_filter),
	    cmocka_unit_test(test_rules_that_disagree_are_refused),
	    cmocka_unit_test(test_malformed_rules_are_refused),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
