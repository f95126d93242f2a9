/* Conformance: seccomp(2) and prctl(PR_SET_SECCOMP) filters installed by the
 * program itself: every return action, SIGSYS's fields, program checks,
 * inheritance by fork and execve, TSYNC.  Strict mode is in the unit tests:
 * the machines that run this may already run it under a filter (Docker's
 * default profile), and strict mode cannot be entered from filter mode. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(int e)
{
	switch (e) {
	case 0: return "OK";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case EACCES: return "EACCES";
	case EPERM: return "EPERM";
	case ENOSYS: return "ENOSYS";
	case ENOMEM: return "ENOMEM";
	case ESRCH: return "ESRCH";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EBUSY: return "EBUSY";
	case ENOTTY: return "ENOTTY";
	}
	static char buf[32];
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static long sc(long nr, long a, long b, long c)
{
	errno = 0;
	return syscall(nr, a, b, c);
}

#define LD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
#define LD_ARCH BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch))

/* A filter: nr gets action, everything else is allowed. */
static int install(int nr, unsigned action, unsigned flags)
{
	struct sock_filter f[] = {
		LD_ARCH,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog p = {sizeof(f) / sizeof(f[0]), f};
	return (int)sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, (long)&p);
}

static void try_prog(const char *what, struct sock_filter *f, unsigned short len)
{
	struct sock_fprog p = {len, f};
	long r = sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&p);
	printf("%s: %ld %s\n", what, r, ename(r < 0 ? errno : 0));
}

static void report(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %s\n", what, WTERMSIG(st) == SIGSYS ? "SIGSYS" :
			WTERMSIG(st) == SIGKILL ? "SIGKILL" : strsignal(WTERMSIG(st)));
}

static void uname_result(const char *who)
{
	struct utsname u;
	long r = sc(SYS_uname, (long)&u, 0, 0);
	printf("%s uname: %ld %s\n", who, r, ename(r < 0 ? errno : 0));
}

static volatile sig_atomic_t got_sys;
static siginfo_t sys_info;
static long sys_rax;

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	got_sys = sig;
	sys_info = *si;
	ucontext_t *u = uc;
	sys_rax = u->uc_mcontext.gregs[REG_RAX];
	u->uc_mcontext.gregs[REG_RAX] = 1234; /* what the trapped call returns */
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

static void *killed_thread(void *arg)
{
	(void)arg;
	syscall(SYS_getppid);
	printf("killed thread survived\n");
	return NULL;
}

static void *uname_thread(void *arg)
{
	uname_result(arg);
	return NULL;
}

static void checks(void)
{
	struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("empty program", ok, 0);
	try_prog("too long program", ok, 4097);
	struct sock_filter bad_op[] = {BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0),
				       BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("halfword load", bad_op, 2);
	struct sock_filter misaligned[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2),
					   BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("misaligned load", misaligned, 2);
	struct sock_filter outside[] = {BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64),
					BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("load past seccomp_data", outside, 2);
	struct sock_filter jump_out[] = {BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 5, 0),
					 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("jump past the end", jump_out, 2);
	struct sock_filter ja_out[] = {BPF_STMT(BPF_JMP | BPF_JA, 1),
				       BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("ja past the end", ja_out, 2);
	struct sock_filter no_ret[] = {LD_NR};
	try_prog("no return at the end", no_ret, 1);
	struct sock_filter div0[] = {BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0),
				     BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("divide by constant 0", div0, 2);
	struct sock_filter shift[] = {BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32),
				      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("shift by 32", shift, 2);
	struct sock_filter mod[] = {BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3),
				    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("mod (not for seccomp)", mod, 2);
	struct sock_filter mem_unset[] = {BPF_STMT(BPF_LD | BPF_MEM, 3),
					  BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("scratch read before write", mem_unset, 2);
	struct sock_filter mem_one_path[] = {
		LD_NR,
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_ST, 2),
		BPF_STMT(BPF_LD | BPF_MEM, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("scratch written on one path only", mem_one_path, 5);
	struct sock_filter mem_slot[] = {BPF_STMT(BPF_ST, 16),
					 BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	try_prog("scratch slot 16", mem_slot, 2);
	long r = sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, 0);
	printf("NULL program: %ld %s\n", r, ename(errno));
	struct sock_fprog badptr = {1, (struct sock_filter *)8};
	r = sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&badptr);
	printf("bad instructions pointer: %ld %s\n", r, ename(errno));
	struct sock_fprog p1 = {1, ok};
	r = sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 1u << 20, (long)&p1);
	printf("unknown flag: %ld %s\n", r, ename(errno));
	r = sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC_ESRCH, (long)&p1);
	printf("TSYNC_ESRCH without TSYNC: %ld %s\n", r, ename(errno));
	r = sc(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, 0);
	printf("strict with flags: %ld %s\n", r, ename(errno));
	r = sc(SYS_seccomp, 99, 0, 0);
	printf("unknown operation: %ld %s\n", r, ename(errno));
	r = prctl(PR_SET_SECCOMP, 7, 0, 0, 0);
	printf("prctl unknown mode: %ld %s\n", r, ename(errno));
	r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0);
	printf("prctl filter NULL: %ld %s\n", r, ename(errno));

	static const struct {
		unsigned a;
		const char *n;
	} acts[] = {{SECCOMP_RET_KILL_PROCESS, "KILL_PROCESS"}, {SECCOMP_RET_KILL_THREAD, "KILL_THREAD"},
		    {SECCOMP_RET_TRAP, "TRAP"},			{SECCOMP_RET_ERRNO, "ERRNO"},
		    {SECCOMP_RET_TRACE, "TRACE"},		{SECCOMP_RET_LOG, "LOG"},
		    {SECCOMP_RET_ALLOW, "ALLOW"},		{0x12340000, "0x12340000"}};
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		unsigned a = acts[i].a;
		r = sc(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, (long)&a);
		printf("action %s available: %ld %s\n", acts[i].n, r, ename(r < 0 ? errno : 0));
	}
	unsigned a = SECCOMP_RET_ALLOW;
	r = sc(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 1, (long)&a);
	printf("action avail with flags: %ld %s\n", r, ename(errno));
	struct seccomp_notif_sizes sz;
	r = sc(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, (long)&sz);
	printf("notif sizes: %ld %u %u %u\n", r, sz.seccomp_notif, sz.seccomp_notif_resp,
	       sz.seccomp_data);
}

/* Each scenario runs in a child, which the filter stays with. */
static void run(const char *what, void (*fn)(void))
{
	pid_t c = fork();
	if (c == 0) {
		fn();
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	report(what, st);
}

static void errno_action(void)
{
	printf("install ERRNO: %d\n", install(SYS_uname, SECCOMP_RET_ERRNO | EACCES, 0));
	printf("mode after: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
	uname_result("filtered");
	printf("getppid still works: %d\n", getppid() > 0);
	/* The least permissive action wins; among equal ones the newest. */
	install(SYS_uname, SECCOMP_RET_ERRNO | EPERM, 0);
	uname_result("newest ERRNO");
	install(SYS_uname, SECCOMP_RET_ALLOW, 0);
	uname_result("ALLOW on top");
	install(SYS_getcwd, SECCOMP_RET_ERRNO | 5000, 0);
	char buf[64];
	long r = sc(SYS_getcwd, (long)buf, sizeof(buf), 0);
	printf("ERRNO 5000 gives: %ld %s\n", r, ename(errno));
	install(SYS_getcwd, SECCOMP_RET_ERRNO | 0, 0);
	r = sc(SYS_getcwd, (long)buf, sizeof(buf), 0);
	printf("ERRNO 0 gives: %ld\n", r);
	install(SYS_sync, SECCOMP_RET_TRACE, 0);
	r = sc(SYS_sync, 0, 0, 0);
	printf("TRACE without a tracer: %ld %s\n", r, ename(errno));
	install(SYS_getpid, SECCOMP_RET_LOG, 0);
	printf("LOG runs the call: %d\n", (int)sc(SYS_getpid, 0, 0, 0) == getpid());
	r = sc(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 0, 0);
	printf("strict over a filter: %ld %s\n", r, ename(errno));
	/* Inherited by fork, kept across execve. */
	pid_t c = fork();
	if (c == 0) {
		uname_result("forked child");
		execl("/proc/self/exe", "seccomp", "exec-check", (char *)NULL);
		printf("exec failed: %s\n", strerror(errno));
		_exit(1);
	}
	int st;
	waitpid(c, &st, 0);
	report("forked child", st);
}

static void trap_action(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSYS, &sa, NULL);
	install(SYS_getppid, SECCOMP_RET_TRAP | 77, 0);
	long r = syscall(SYS_getppid);
	printf("trapped call returned %ld\n", r);
	printf("SIGSYS: signo %s code %d errno %d syscall %s arch ok %d call_addr set %d rax %s\n",
	       got_sys == SIGSYS ? "SIGSYS" : "?", sys_info.si_code, sys_info.si_errno,
	       sys_info.si_syscall == SYS_getppid ? "getppid" : "?",
	       sys_info.si_arch == AUDIT_ARCH_X86_64, sys_info.si_call_addr != NULL,
	       sys_rax == SYS_getppid ? "syscall number" : "other");
	/* A blocked SIGSYS is forced through. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	sigprocmask(SIG_BLOCK, &set, NULL);
	got_sys = 0;
	syscall(SYS_getppid);
	printf("blocked SIGSYS still delivered: %d\n", got_sys == SIGSYS);
	/* Ignored: reset to the default, which kills. */
	signal(SIGSYS, SIG_IGN);
	syscall(SYS_getppid);
	printf("not reached\n");
}

static void kill_process_action(void)
{
	install(SYS_getppid, SECCOMP_RET_KILL_PROCESS, 0);
	syscall(SYS_getppid);
	printf("not reached\n");
}

static void kill_thread_action(void)
{
	install(SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
	pthread_t th;
	pthread_create(&th, NULL, killed_thread, NULL);
	pthread_join(th, NULL);
	printf("main thread survived its thread's kill\n");
	syscall(SYS_getppid); /* now the last thread: the process goes */
	printf("not reached\n");
}

static void unknown_action(void)
{
	install(SYS_getppid, 0x12340000, 0);
	syscall(SYS_getppid);
	printf("not reached\n");
}

static void tsync(void)
{
	pthread_t idle;
	pthread_create(&idle, NULL, idle_thread, NULL);
	printf("TSYNC install: %d\n", install(SYS_uname, SECCOMP_RET_ERRNO | ENOTTY,
					      SECCOMP_FILTER_FLAG_TSYNC));
	pthread_t th;
	pthread_create(&th, NULL, uname_thread, "new thread");
	pthread_join(th, NULL);
	_exit(0);
}

static int ready_pipe[2];

static void *own_filter_thread(void *arg)
{
	(void)arg;
	install(SYS_getcwd, SECCOMP_RET_ERRNO | EPERM, 0);
	write(ready_pipe[1], "x", 1);
	pause();
	return NULL;
}

static void tsync_conflict(void)
{
	pthread_t th;
	char c;
	pipe(ready_pipe);
	pthread_create(&th, NULL, own_filter_thread, NULL);
	read(ready_pipe[0], &c, 1); /* its filter is installed */
	int r = install(SYS_uname, SECCOMP_RET_ERRNO | ENOTTY, SECCOMP_FILTER_FLAG_TSYNC);
	printf("TSYNC with a diverged thread: %s\n", r > 0 ? "its tid" : ename(-r));
	r = install(SYS_uname, SECCOMP_RET_ERRNO | ENOTTY,
		    SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH);
	printf("TSYNC_ESRCH with a diverged thread: %d %s\n", r, ename(errno));
	_exit(0);
}

static void no_privs(void)
{
	/* Without CAP_SYS_ADMIN, no_new_privs is required. */
	if (setuid(65534) != 0) {
		printf("setuid failed\n");
		return;
	}
	struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_fprog p = {1, ok};
	long r = sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&p);
	printf("unprivileged without no_new_privs: %ld %s\n", r, ename(errno));
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	r = sc(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&p);
	printf("unprivileged with no_new_privs: %ld %s\n", r, ename(r < 0 ? errno : 0));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc > 1 && strcmp(argv[1], "exec-check") == 0) {
		uname_result("after execve");
		printf("mode after execve: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
		return 0;
	}
	checks();
	run("errno scenario", errno_action);
	run("trap scenario", trap_action);
	run("kill process scenario", kill_process_action);
	run("kill thread scenario", kill_thread_action);
	run("unknown action scenario", unknown_action);
	run("tsync scenario", tsync);
	run("tsync conflict scenario", tsync_conflict);
	run("unprivileged scenario", no_privs);
	uname_result("parent, never filtered");
	return 0;
}
