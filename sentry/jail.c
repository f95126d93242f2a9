/*
 * jail.c — the Sentry's jail: an empty root, no capabilities, and a seccomp
 * allow-list.  After this the Sentry can reach files only through the fds it
 * already holds (the memory file, the gofer socket, donated fds, stdio).
 *
 * The allow-list is made of rule sets (struct jail_rules, platform.h): the
 * Sentry's own, below (memory management, threads and futexes, I/O on fds it
 * holds, time); the platform's (platform_ops.jail_rules: for ptrace, tracing
 * its stubs and what a forked stub does before its own filter is in place);
 * and those the sandbox's network mode adds.  This file is the only one that
 * speaks libseccomp.  open/openat/openat2 fail with EACCES and
 * execve/execveat/socket are absent (they kill): a compromised Sentry still
 * cannot open a host path or run a program.  A rule set that adds any of
 * those must say why in its own file.
 */
#include "sentry/jail.h"

#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <sched.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int pivot_empty(const char **what)
{
	*what = "make mounts private";
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	/* An empty tmpfs over /tmp of our own namespace becomes the root. */
	*what = "mount empty root";
	if (mount("visor-sentry", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=16k,mode=0755") < 0)
		return -errno;
	*what = "mkdir old root";
	if (mkdir("/tmp/old", 0700) < 0)
		return -errno;
	*what = "pivot_root";
	if (syscall(SYS_pivot_root, "/tmp", "/tmp/old") < 0)
		return -errno;
	*what = "chdir /";
	if (chdir("/") < 0)
		return -errno;
	*what = "detach old root";
	if (umount2("/old", MNT_DETACH) < 0)
		return -errno;
	*what = "rmdir old root";
	if (rmdir("/old") < 0)
		return -errno;
	*what = "remount root read-only";
	if (mount(NULL, "/", NULL,
		  MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		return -errno;
	return 0;
}

static int drop_caps(const char **what)
{
	*what = "drop bounding set";
	for (int c = 0; c <= 63; c++) {
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	}
	*what = "clear ambient capabilities";
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	*what = "capset";
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	*what = "no_new_privs";
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	return 0;
}

/*
 * The Sentry's own user namespace (sentry_userns_enter).  A helper forked
 * while the Sentry is still host root writes the maps the Sentry cannot
 * write for itself (mapping another host id takes CAP_SETUID in the parent
 * namespace): uid and gid 0 inside are one host id outside, setgroups is
 * denied.  The Sentry then takes those ids, so the host sees it and every
 * stub it forks as that unprivileged id, with no capability in the host's
 * namespaces (network, mounts, IPC, UTS, cgroups: all owned by the host's
 * user namespace).  A mount namespace is made with the user namespace, so
 * the jail's empty root can still be mounted and pivoted into.
 *
 * The id is the sandbox's own: SENTRY_ID_BASE plus the Sentry's host pid,
 * unique among live Sentries, not a shared one such as 65534: two
 * compromised Sentries, or a Sentry and a host process running as nobody,
 * then share no uid (kill(2), ptrace's uid match and /proc/PID/mem of a
 * stub, RLIMIT_NPROC's per-user count).  The base is above
 * systemd-nspawn's container range (524288..1879048191) and below 2^31.
 */
#define SENTRY_ID_BASE 0x70000000u

uint32_t sentry_userns_host_id(pid_t host_pid)
{
	return SENTRY_ID_BASE + (uint32_t)host_pid;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, text, strlen(text));
	int r = n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
	close(fd);
	return r;
}

/* The helper: once the Sentry has unshared (a byte on rfd), write its maps. */
static int userns_map_helper(int rfd, pid_t host_pid)
{
	char byte, path[64], map[64];
	if (read(rfd, &byte, 1) != 1)
		return 1;
	snprintf(map, sizeof(map), "0 %u 1\n", sentry_userns_host_id(host_pid));
	snprintf(path, sizeof(path), "/proc/%d/setgroups", host_pid);
	if (write_file(path, "deny") < 0)
		return 2;
	snprintf(path, sizeof(path), "/proc/%d/gid_map", host_pid);
	if (write_file(path, map) < 0)
		return 3;
	snprintf(path, sizeof(path), "/proc/%d/uid_map", host_pid);
	if (write_file(path, map) < 0)
		return 4;
	return 0;
}

int sentry_userns_enter(const char **what)
{
	/* The host's pid of this process, as the host's /proc names it (the
	 * Sentry is pid 1 of its own pid namespace; /proc is still the
	 * host's mount). */
	*what = "read /proc/self";
	char self[32];
	ssize_t n = readlink("/proc/self", self, sizeof(self) - 1);
	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	self[n] = 0;
	pid_t host_pid = (pid_t)atoi(self);
	*what = "drop supplementary groups";
	if (setgroups(0, NULL) < 0)
		return -errno;
	int p[2];
	*what = "pipe";
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	*what = "fork the map writer";
	pid_t helper = fork();
	if (helper < 0) {
		int e = -errno;
		close(p[0]);
		close(p[1]);
		return e;
	}
	if (helper == 0) {
		close(p[1]);
		_exit(userns_map_helper(p[0], host_pid));
	}
	close(p[0]);
	*what = "unshare user and mount namespaces";
	int r = unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0 ? -errno : 0;
	/* The helper writes the maps on the byte, gives up on EOF. */
	if (r == 0 && write(p[1], "u", 1) != 1)
		r = -errno;
	close(p[1]);
	int st = 0;
	while (waitpid(helper, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	*what = "write uid_map/gid_map";
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -EPERM;
	*what = "take the mapped ids";
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return -errno;
	return 0;
}

/* glibc's pthread_create: CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
 * CLONE_THREAD | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID |
 * CLONE_CHILD_CLEARTID (after clone3's ENOSYS below). */
#define JAIL_PTHREAD_CLONE_FLAGS 0x3d0f00ULL

static const struct jail_rule sentry_rule_list[] = {
    /* I/O on fds the Sentry holds */
    JAIL_ALLOW(SYS_read),
    JAIL_ALLOW(SYS_write),
    JAIL_ALLOW(SYS_pread64),
    JAIL_ALLOW(SYS_pwrite64),
    JAIL_ALLOW(SYS_readv),
    JAIL_ALLOW(SYS_writev),
    JAIL_ALLOW(SYS_preadv),
    JAIL_ALLOW(SYS_pwritev),
    JAIL_ALLOW(SYS_preadv2),
    JAIL_ALLOW(SYS_pwritev2),
    JAIL_ALLOW(SYS_lseek),
    JAIL_ALLOW(SYS_close),
    JAIL_ALLOW(SYS_close_range),
    JAIL_ALLOW(SYS_fstat),
    /* stat only of an fd (glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH)):
     * without AT_EMPTY_PATH it is a path lookup, refused with EACCES as open
     * is.  (The Sentry holds no directory fd: the Gofer hands out none.) */
    JAIL_ALLOW_ARG_MASKED_EQ(SYS_newfstatat, 3, AT_EMPTY_PATH, AT_EMPTY_PATH),
    {.nr = SYS_newfstatat,
     .action = JAIL_ACT_ERRNO,
     .err = EACCES,
     .ncmp = 1,
     .cmp = {{.arg = 3, .op = JAIL_CMP_MASKED_EQ, .mask = AT_EMPTY_PATH, .value = 0}}},
    JAIL_ALLOW_ARG_MASKED_EQ(SYS_statx, 2, AT_EMPTY_PATH, AT_EMPTY_PATH),
    {.nr = SYS_statx,
     .action = JAIL_ACT_ERRNO,
     .err = EACCES,
     .ncmp = 1,
     .cmp = {{.arg = 2, .op = JAIL_CMP_MASKED_EQ, .mask = AT_EMPTY_PATH, .value = 0}}},
    JAIL_ALLOW(SYS_fstatfs),
    JAIL_ALLOW(SYS_fcntl),
    JAIL_ALLOW(SYS_dup),
    JAIL_ALLOW(SYS_dup3),
    /* ioctl: only what hostfd.c asks of a donated host fd (a tty's
     * termios and window size, queue lengths; isatty's TCGETS): never
     * TIOCSTI, TIOCSCTTY, TIOCSETD... on a host terminal. */
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x5401 /* TCGETS */),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x5402 /* TCSETS */),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x5403 /* TCSETSW */),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x5404 /* TCSETSF */),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x5411 /* TIOCOUTQ */),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x5413 /* TIOCGWINSZ */),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x5414 /* TIOCSWINSZ */),
    JAIL_ALLOW_ARG32_EQ(SYS_ioctl, 1, 0x541B /* FIONREAD */),
    JAIL_ALLOW(SYS_ftruncate),
    JAIL_ALLOW(SYS_fallocate),
    JAIL_ALLOW(SYS_fsync),
    JAIL_ALLOW(SYS_fdatasync),
    JAIL_ALLOW(SYS_getdents64),
    JAIL_ALLOW(SYS_sendmsg),
    JAIL_ALLOW(SYS_sendmmsg), /* sendmsg several times over: the Gofer client's batch */
    JAIL_ALLOW(SYS_recvmsg),
    JAIL_ALLOW(SYS_shutdown),
    JAIL_ALLOW(SYS_sendto),
    JAIL_ALLOW(SYS_recvfrom),
    JAIL_ALLOW(SYS_poll),
    JAIL_ALLOW(SYS_ppoll),
    /* poll/select over two or more donated host fds (sys_poll.c) sleeps on
     * one epoll set of them: create (close-on-exec) and add, nothing else;
     * the set is polled with poll. */
    JAIL_ALLOW_ARG32_EQ(SYS_epoll_create1, 0, EPOLL_CLOEXEC),
    JAIL_ALLOW_ARG32_EQ(SYS_epoll_ctl, 1, EPOLL_CTL_ADD),
    JAIL_ALLOW(SYS_eventfd2),
    JAIL_ALLOW(SYS_pipe2),
    /* the control server (control.c) accepts on the listening fd it was given */
    JAIL_ALLOW(SYS_accept4),
    JAIL_ALLOW(SYS_accept),
    JAIL_ALLOW(SYS_sendfile),
    JAIL_ALLOW(SYS_copy_file_range),
    JAIL_ALLOW(SYS_splice),
    /* memory, never executable: code injected into a compromised Sentry
     * cannot be made to run.  (No platform widens this: both fork their
     * stubs from a template made before the jail, so no stub carries this
     * filter.) */
    JAIL_ALLOW_NO_EXEC(SYS_mmap),
    JAIL_ALLOW(SYS_munmap),
    JAIL_ALLOW_NO_EXEC(SYS_mprotect),
    JAIL_ALLOW(SYS_madvise),
    JAIL_ALLOW(SYS_mremap),
    JAIL_ALLOW(SYS_brk),
    JAIL_ALLOW(SYS_memfd_create),
    /* threads, signals, time */
    /* clone: glibc's pthread_create and nothing else (no new namespaces,
     * no new processes: the platform's rules add what it forks). */
    JAIL_ALLOW_ARG_EQ(SYS_clone, 0, JAIL_PTHREAD_CLONE_FLAGS),
    JAIL_ALLOW(SYS_futex),
    JAIL_ALLOW(SYS_set_robust_list),
    JAIL_ALLOW(SYS_rseq),
    JAIL_ALLOW(SYS_rt_sigaction),
    JAIL_ALLOW(SYS_rt_sigprocmask),
    JAIL_ALLOW(SYS_rt_sigreturn),
    JAIL_ALLOW(SYS_sigaltstack),
    JAIL_ALLOW(SYS_exit),
    JAIL_ALLOW(SYS_exit_group),
    JAIL_ALLOW(SYS_gettid),
    JAIL_ALLOW(SYS_getpid),
    JAIL_ALLOW(SYS_getppid),
    /* Signals the Sentry sends: SIGKILL to a stub, an interrupt (SIGCHLD)
     * to a stub thread, abort()'s SIGABRT to itself.  Never kill(-1). */
    JAIL_ALLOW_KILL(SIGKILL),
    JAIL_ALLOW_TGKILL(SIGCHLD),
    JAIL_ALLOW_TGKILL(SIGABRT),
    JAIL_ALLOW(SYS_sched_yield),
    /* The app's membarrier(2) is served by one host MEMBARRIER_CMD_GLOBAL
     * (sys_memcalls.c): that command, flags 0, nothing else. */
    {.nr = SYS_membarrier,
     .action = JAIL_ACT_ALLOW,
     .ncmp = 2,
     .cmp = {{.arg = 0, .op = JAIL_CMP_EQ, .value = 1 /* MEMBARRIER_CMD_GLOBAL */},
	     {.arg = 1, .op = JAIL_CMP_EQ, .value = 0}}},
    JAIL_ALLOW(SYS_sched_getaffinity),
    JAIL_ALLOW(SYS_nanosleep),
    JAIL_ALLOW(SYS_clock_nanosleep),
    JAIL_ALLOW(SYS_clock_gettime),
    JAIL_ALLOW(SYS_clock_getres),
    JAIL_ALLOW(SYS_gettimeofday),
    JAIL_ALLOW(SYS_getrandom),
    JAIL_ALLOW(SYS_restart_syscall),
    JAIL_ALLOW(SYS_prlimit64),
    JAIL_ALLOW(SYS_getrlimit),
    JAIL_ALLOW(SYS_sysinfo),
    JAIL_ALLOW(SYS_uname),
    JAIL_ALLOW(SYS_getuid),
    JAIL_ALLOW(SYS_geteuid),
    JAIL_ALLOW(SYS_getgid),
    JAIL_ALLOW(SYS_getegid),
    JAIL_ALLOW(SYS_getrusage),
    JAIL_ALLOW(SYS_times),
    JAIL_ALLOW(SYS_getcpu), /* sys_getcpu asks the host */
    /* glibc's pthread_create tries clone3 first and falls back to clone
     * on ENOSYS: answer so instead of killing. */
    JAIL_FAIL(SYS_clone3, ENOSYS),
    /* glibc itself opens files in a few lazy paths (the first heap trim
     * reads /proc/sys/vm/overcommit_memory) and copes with failure: such
     * an open is refused with EACCES rather than killing the sandbox. The
     * host path is never reached either way. */
    JAIL_FAIL(SYS_open, EACCES),
    JAIL_FAIL(SYS_openat, EACCES),
    JAIL_FAIL(SYS_openat2, EACCES),
};

const struct jail_rules jail_sentry_rules = {
    .name = "sentry",
    .rules = sentry_rule_list,
    .n = sizeof(sentry_rule_list) / sizeof(sentry_rule_list[0]),
};

static int jail_push(const struct jail_rules *sets[], size_t max, size_t *n,
		     const struct jail_rules *set)
{
	if (!set)
		return 0;
	if (*n == max)
		return -E2BIG;
	sets[(*n)++] = set;
	return 0;
}

int jail_rule_sets(const struct platform *plat, const struct jail_rules *const extra[],
		   const struct jail_rules *sets[], size_t max)
{
	size_t n = 0;
	int r = jail_push(sets, max, &n, &jail_sentry_rules);
	if (r == 0 && plat && plat->ops->jail_rules)
		r = jail_push(sets, max, &n, plat->ops->jail_rules(plat));
	for (size_t i = 0; r == 0 && extra && extra[i]; i++)
		r = jail_push(sets, max, &n, extra[i]);
	return r < 0 ? r : (int)n;
}

static bool jail_same_action(const struct jail_rule *a, const struct jail_rule *b)
{
	return a->action == b->action && (a->action != JAIL_ACT_ERRNO || a->err == b->err);
}

/* The set holding the first rule of sets[0..n) for r's syscall with another
 * action than r's, or NULL. */
static const struct jail_rules *jail_disagreeing_set(const struct jail_rules *const sets[],
						     size_t n, const struct jail_rule *r)
{
	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < sets[s]->n; i++)
			if (sets[s]->rules[i].nr == r->nr &&
			    !jail_same_action(&sets[s]->rules[i], r))
				return sets[s];
	return NULL;
}

/*
 * libseccomp keeps one of two rules without conditions for one syscall and
 * drops the other without a word, and a rule without conditions swallows the
 * conditional ones: refuse any syscall that has a rule without conditions and
 * a rule with another action, wherever they come from.
 */
static int jail_check_conflicts(const struct jail_rules *const sets[], size_t n)
{
	for (size_t s = 0; s < n; s++) {
		for (size_t i = 0; i < sets[s]->n; i++) {
			const struct jail_rule *r = &sets[s]->rules[i];
			const struct jail_rules *other =
			    r->ncmp ? NULL : jail_disagreeing_set(sets, n, r);
			if (other) {
				log_error("jail: syscall %ld: %s and %s rules disagree", r->nr,
					  sets[s]->name, other->name);
				return -EINVAL;
			}
		}
	}
	return 0;
}

static const enum scmp_compare jail_scmp_ops[] = {
    [JAIL_CMP_EQ] = SCMP_CMP_EQ,
    [JAIL_CMP_NE] = SCMP_CMP_NE,
    [JAIL_CMP_LT] = SCMP_CMP_LT,
    [JAIL_CMP_LE] = SCMP_CMP_LE,
    [JAIL_CMP_GE] = SCMP_CMP_GE,
    [JAIL_CMP_GT] = SCMP_CMP_GT,
    [JAIL_CMP_MASKED_EQ] = SCMP_CMP_MASKED_EQ,
};

static int jail_rule_add(scmp_filter_ctx ctx, const struct jail_rule *r)
{
	if (r->nr < 0 || r->nr > INT_MAX || r->ncmp > JAIL_RULE_MAX_CMP)
		return -EINVAL;
	uint32_t act;
	if (r->action == JAIL_ACT_ALLOW)
		act = SCMP_ACT_ALLOW;
	else if (r->action == JAIL_ACT_ERRNO && r->err >= 1 && r->err <= 4095)
		act = SCMP_ACT_ERRNO((uint32_t)r->err);
	else
		return -EINVAL;
	struct scmp_arg_cmp cmp[JAIL_RULE_MAX_CMP];
	for (unsigned i = 0; i < r->ncmp; i++) {
		const struct jail_arg_cmp *c = &r->cmp[i];
		size_t op = (size_t)c->op;
		if (c->arg > 5 || op >= sizeof(jail_scmp_ops) / sizeof(jail_scmp_ops[0]) ||
		    !jail_scmp_ops[op])
			return -EINVAL;
		cmp[i] = (struct scmp_arg_cmp){
		    .arg = c->arg, .op = jail_scmp_ops[op], .datum_a = c->value};
		if (c->op == JAIL_CMP_MASKED_EQ) {
			/* libseccomp: (arg & datum_a) == datum_b */
			cmp[i].datum_a = c->mask;
			cmp[i].datum_b = c->value;
		}
	}
	return seccomp_rule_add_array(ctx, act, (int)r->nr, r->ncmp, cmp);
}

/* The filter of sets[0..n), not loaded.  0 and *out, or -errno. */
static int jail_filter_build(const struct jail_rules *const sets[], size_t n, scmp_filter_ctx *out,
			     const char **what)
{
	*what = "seccomp rules";
	int r = jail_check_conflicts(sets, n);
	if (r)
		return r;
	*what = "seccomp init";
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	*what = "seccomp rules";
	for (size_t s = 0; s < n && r == 0; s++) {
		for (size_t i = 0; i < sets[s]->n && r == 0; i++) {
			r = jail_rule_add(ctx, &sets[s]->rules[i]);
			if (r)
				log_error("jail: %s rule %zu (syscall %ld): %s", sets[s]->name, i,
					  sets[s]->rules[i].nr, strerror(-r));
		}
	}
	if (r) {
		seccomp_release(ctx);
		return r;
	}
	*out = ctx;
	return 0;
}

int jail_seccomp_load(const struct jail_rules *const sets[], size_t n, const char **what)
{
	scmp_filter_ctx ctx;
	int r = jail_filter_build(sets, n, &ctx, what);
	if (r)
		return r;
	*what = "seccomp load";
	r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}

int sentry_jail(const struct platform *plat, const struct jail_rules *const extra[],
		const char **what)
{
	const struct jail_rules *sets[JAIL_MAX_SETS];
	*what = "seccomp rule sets";
	int n = jail_rule_sets(plat, extra, sets, JAIL_MAX_SETS);
	if (n < 0)
		return n;
	int r = pivot_empty(what);
	if (r == 0)
		r = drop_caps(what);
	if (r == 0)
		r = jail_seccomp_load(sets, (size_t)n, what);
	return r;
}
