/* Conformance: ptrace(2) — PTRACE_TRACEME + SIGSTOP, syscall stops with
 * their numbers and results, a syscall cancelled by the tracer, PEEKDATA /
 * POKEDATA, GETREGS, GETSIGINFO, PTRACE_GET_SYSCALL_INFO, TRACEFORK and
 * TRACEEXEC event stops, ATTACH / DETACH, SEIZE + INTERRUPT, PTRACE_KILL,
 * and the errnos of misuse. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile long word = 0x1234;

static const char *en(int e)
{
	switch (e) {
	case 0: return "OK";
	case EPERM: return "EPERM";
	case ESRCH: return "ESRCH";
	case EIO: return "EIO";
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	case ENOSYS: return "ENOSYS";
	case EBADF: return "EBADF";
	case ECHILD: return "ECHILD";
	default: return "E?";
	}
}

static long pt(int req, pid_t pid, void *addr, void *data)
{
	errno = 0;
	return ptrace(req, pid, addr, data);
}

static void show_status(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d\n", what, WTERMSIG(st));
	else if (WIFSTOPPED(st))
		printf("%s: stopped sig %d event %d\n", what, WSTOPSIG(st), st >> 16);
	else
		printf("%s: status %#x\n", what, st);
}

/* 1: TRACEME, syscall stops, PEEK/POKE, GETREGS, a cancelled syscall. */
static void test_syscalls(void)
{
	pid_t c = fork();
	if (c == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0)
			_exit(100);
		errno = 0;
		long again = ptrace(PTRACE_TRACEME, 0, 0, 0);
		int again_err = errno;
		raise(SIGSTOP);
		syscall(SYS_getpid);
		syscall(SYS_close, -1);
		errno = 0;
		long r = syscall(SYS_getppid);
		int e = errno;
		_exit((word == 0x5678 ? 1 : 0) | (r == -1 && e == ENOSYS ? 2 : 0) |
		      (again == -1 && again_err == EPERM ? 4 : 0));
	}
	int st;
	waitpid(c, &st, 0);
	show_status("traceme child", st);
	siginfo_t si;
	pt(PTRACE_GETSIGINFO, c, 0, &si);
	printf("getsiginfo: %s signo %d\n", en(errno), si.si_signo);
	{
		char path[64], line[256];
		snprintf(path, sizeof(path), "/proc/%d/status", c);
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f)) {
			int tp;
			if (!strncmp(line, "State:", 6))
				printf("status %s", line);
			else if (sscanf(line, "TracerPid: %d", &tp) == 1)
				printf("status TracerPid is %s\n", tp == getpid() ? "me" : "?");
		}
		if (f)
			fclose(f);
	}
	struct user_regs_struct regs;
	pt(PTRACE_GETREGS, c, 0, &regs);
	printf("getregs: %s rip %s\n", en(errno), regs.rip ? "nonzero" : "zero");
	long v = pt(PTRACE_PEEKDATA, c, (void *)&word, 0);
	printf("peekdata: %s %#lx\n", en(errno), v);
	pt(PTRACE_POKEDATA, c, (void *)&word, (void *)0x4321L);
	printf("pokedata: %s\n", en(errno));
	v = pt(PTRACE_PEEKDATA, c, (void *)&word, 0);
	printf("peekdata again: %#lx\n", v);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/mem", c);
	int fd = open(path, O_RDWR);
	long mv = 0;
	ssize_t n = pread(fd, &mv, sizeof(mv), (off_t)(uintptr_t)&word);
	printf("/proc/PID/mem read: %zd %#lx\n", n, mv);
	mv = 0x5678;
	n = pwrite(fd, &mv, sizeof(mv), (off_t)(uintptr_t)&word);
	printf("/proc/PID/mem write: %zd\n", n);
	errno = 0;
	n = pread(fd, &mv, sizeof(mv), 4096);
	printf("/proc/PID/mem read at 4096: %zd %s\n", n, en(errno));
	close(fd);
	v = pt(PTRACE_PEEKDATA, c, (void *)&word, 0);
	printf("peekdata after the write: %#lx\n", v);
	fd = open("/proc/self/mem", O_RDWR);
	word = 7;
	mv = 9;
	n = pwrite(fd, &mv, sizeof(mv), (off_t)(uintptr_t)&word);
	printf("/proc/self/mem write: %zd, word %ld\n", n, word);
	word = 0x1234;
	close(fd);
	pt(PTRACE_PEEKDATA, c, (void *)8, 0);
	printf("peekdata at 8: %s\n", en(errno));
	pt(PTRACE_PEEKUSER, c, (void *)offsetof(struct user, regs.rip), 0);
	printf("peekuser rip: %s\n", en(errno));
	unsigned long long mask = 0;
	pt(PTRACE_GETSIGMASK, c, (void *)8, &mask);
	printf("getsigmask: %s %#llx\n", en(errno), mask);
	mask = 1ULL << (SIGUSR2 - 1) | 1ULL << (SIGKILL - 1);
	pt(PTRACE_SETSIGMASK, c, (void *)8, &mask);
	printf("setsigmask: %s\n", en(errno));
	pt(PTRACE_GETSIGMASK, c, (void *)8, &mask);
	printf("getsigmask: %#llx\n", mask);
	pt(PTRACE_GETSIGMASK, c, (void *)4, &mask);
	printf("getsigmask of 4 bytes: %s\n", en(errno));
	mask = 0;
	pt(PTRACE_SETSIGMASK, c, (void *)8, &mask);
	unsigned long fsb = 0;
	pt(PTRACE_ARCH_PRCTL, c, &fsb, (void *)0x1003 /* ARCH_GET_FS */);
	printf("arch_prctl get fs: %s %s\n", en(errno), fsb == regs.fs_base ? "= regs.fs_base" : "differs");
	pt(PTRACE_ARCH_PRCTL, c, &fsb, (void *)0x1999);
	printf("arch_prctl bad code: %s\n", en(errno));
	pt(PTRACE_PEEKUSER, c, (void *)3, 0);
	printf("peekuser unaligned: %s\n", en(errno));
	pt(PTRACE_SETOPTIONS, c, 0, (void *)0x80000000L);
	printf("setoptions bad: %s\n", en(errno));
	pt(PTRACE_SETOPTIONS, c, 0, (void *)PTRACE_O_TRACESYSGOOD);
	printf("setoptions sysgood: %s\n", en(errno));

	int entering = 1;
	pt(PTRACE_SYSCALL, c, 0, 0);
	for (;;) {
		if (waitpid(c, &st, 0) != c)
			break;
		if (!WIFSTOPPED(st)) {
			show_status("traced child", st);
			break;
		}
		if (WSTOPSIG(st) != (SIGTRAP | 0x80)) {
			show_status("unexpected stop", st);
			pt(PTRACE_SYSCALL, c, 0, 0);
			continue;
		}
		pt(PTRACE_GETREGS, c, 0, &regs);
		long nr = (long)regs.orig_rax;
		struct __ptrace_syscall_info info;
		memset(&info, 0, sizeof(info));
		long n = pt(PTRACE_GET_SYSCALL_INFO, c, (void *)sizeof(info), &info);
		if (nr == SYS_getpid || nr == SYS_close || nr == SYS_getppid ||
		    nr == SYS_exit_group) {
			if (entering) {
				printf("enter %ld (info op %d size %ld nr %llu) rax %s\n", nr, info.op,
				       n, (unsigned long long)info.entry.nr,
				       (long)regs.rax == -ENOSYS ? "-ENOSYS" : "?");
				if (nr == SYS_getppid) {
					regs.orig_rax = -1;
					pt(PTRACE_SETREGS, c, 0, &regs);
					printf("cancel getppid: %s\n", en(errno));
				}
			} else {
				long ret = (long)regs.rax;
				printf("exit %ld = %s (info op %d size %ld error %d)\n", nr,
				       nr == SYS_getpid ? (ret == c ? "pid" : "?")
				       : ret < 0	? en((int)-ret)
							: "?",
				       info.op, n, info.exit.is_error);
			}
		}
		if (entering)
			pt(PTRACE_GETSIGINFO, c, 0, &si);
		entering = !entering;
		pt(PTRACE_SYSCALL, c, 0, 0);
	}
	printf("getsiginfo at a syscall stop: signo %d code %#x\n", si.si_signo, si.si_code);
}

/* 1b: PTRACE_SINGLESTEP, over plain instructions and over a syscall. */
static void test_singlestep(void)
{
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		for (int i = 0; i < 100; i++)
			syscall(SYS_getpid);
		_exit(3);
	}
	int st, traps = 0, moved = 0;
	waitpid(c, &st, 0);
	struct user_regs_struct regs;
	pt(PTRACE_GETREGS, c, 0, &regs);
	unsigned long long rip = regs.rip;
	for (int i = 0; i < 300; i++) {
		pt(PTRACE_SINGLESTEP, c, 0, 0);
		if (errno)
			printf("singlestep: %s\n", en(errno));
		waitpid(c, &st, 0);
		if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
			show_status("singlestep", st);
			break;
		}
		traps++;
		pt(PTRACE_GETREGS, c, 0, &regs);
		moved += regs.rip != rip;
		rip = regs.rip;
	}
	printf("singlestep: %d traps, rip moved %s\n", traps, moved > 250 ? "each time" : "not");
	pt(PTRACE_DETACH, c, 0, 0);
	waitpid(c, &st, 0);
	show_status("stepped child", st);
}

/* 1c: PTRACE_SYSEMU: the tracer answers a syscall the kernel never runs. */
static void test_sysemu(void)
{
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		long r = syscall(SYS_getppid);
		_exit(r == 4242 ? 0 : 1);
	}
	int st;
	waitpid(c, &st, 0);
	struct user_regs_struct regs;
	for (;;) {
		pt(PTRACE_SYSEMU, c, 0, 0);
		waitpid(c, &st, 0);
		if (!WIFSTOPPED(st))
			break;
		pt(PTRACE_GETREGS, c, 0, &regs);
		if (regs.orig_rax == SYS_getppid)
			break;
	}
	show_status("sysemu stop", st);
	printf("sysemu: rax %s\n", (long)regs.rax == -ENOSYS ? "-ENOSYS" : "?");
	regs.rax = 4242;
	pt(PTRACE_SETREGS, c, 0, &regs);
	pt(PTRACE_CONT, c, 0, 0);
	waitpid(c, &st, 0);
	show_status("emulated child", st);
}

/* 1d: a sleep interrupted by a stop (SIGSTOP, then a ptrace trap) resumes
 * through restart_syscall and still sleeps its whole time. */
static void test_restart(void)
{
	pid_t c = fork();
	if (c == 0) {
		struct timespec a, b, ts = {0, 400 * 1000 * 1000};
		clock_gettime(CLOCK_MONOTONIC, &a);
		int r = nanosleep(&ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
		_exit(r == 0 && ms >= 390 ? 0 : 1);
	}
	int st;
	usleep(50 * 1000);
	kill(c, SIGSTOP);
	waitpid(c, &st, WUNTRACED);
	show_status("sleeper", st);
	kill(c, SIGCONT);
	usleep(50 * 1000);
	pt(PTRACE_SEIZE, c, 0, 0);
	pt(PTRACE_INTERRUPT, c, 0, 0);
	waitpid(c, &st, 0);
	show_status("sleeper", st);
	pt(PTRACE_DETACH, c, 0, 0);
	waitpid(c, &st, 0);
	show_status("sleeper", st);
}

/* 2: TRACEFORK and TRACEEXEC events. */
static void test_events(const char *self)
{
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		pid_t g = fork();
		if (g == 0)
			_exit(7);
		int gst;
		waitpid(g, &gst, 0);
		execl(self, self, "--exec-child", (char *)NULL);
		_exit(99);
	}
	int st;
	waitpid(c, &st, 0);
	show_status("events child", st);
	pt(PTRACE_SETOPTIONS, c, 0, (void *)(PTRACE_O_TRACEFORK | PTRACE_O_TRACEEXEC));
	printf("setoptions fork|exec: %s\n", en(errno));
	pt(PTRACE_CONT, c, 0, 0);
	int fork_event = 0, exec_event = 0, g_stopped = 0, g_exit = -1, c_exit = -1;
	unsigned long fork_msg = 0, exec_msg = 0;
	pid_t g = 0;
	for (;;) {
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0)
			break;
		if (w == c) {
			if (WIFEXITED(st)) {
				c_exit = WEXITSTATUS(st);
				continue;
			}
			if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_FORK) {
				fork_event = WSTOPSIG(st);
				pt(PTRACE_GETEVENTMSG, c, 0, &fork_msg);
			} else if (WIFSTOPPED(st) && (st >> 16) == PTRACE_EVENT_EXEC) {
				exec_event = WSTOPSIG(st);
				pt(PTRACE_GETEVENTMSG, c, 0, &exec_msg);
			} else if (WIFSTOPPED(st)) {
				show_status("events child unexpected", st);
			}
			if (WIFSTOPPED(st)) {
				int sig = WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
				pt(PTRACE_CONT, c, 0, (void *)(long)sig);
			}
			continue;
		}
		g = w;
		if (WIFSTOPPED(st)) {
			if (WSTOPSIG(st) == SIGSTOP)
				g_stopped = 1;
			pt(PTRACE_CONT, w, 0, 0);
		} else if (WIFEXITED(st)) {
			g_exit = WEXITSTATUS(st);
		}
	}
	printf("fork event: sig %d, msg is the new child: %s\n", fork_event,
	       fork_msg == (unsigned long)g ? "yes" : "no");
	printf("new child started stopped by SIGSTOP: %d, exited %d\n", g_stopped, g_exit);
	printf("exec event: sig %d, msg is the tracee: %s\n", exec_event,
	       exec_msg == (unsigned long)c ? "yes" : "no");
	printf("events child exited %d\n", c_exit);
}

/* 2b: TRACEVFORK, VFORK_DONE, TRACEEXIT, and the legacy SIGTRAP after
 * execve; each process's stops in order. */
static void test_more_events(const char *self)
{
	pid_t c = fork();
	if (c == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		pid_t v = vfork();
		if (v == 0)
			_exit(4);
		waitpid(v, NULL, 0);
		execl(self, self, "--exec-child", (char *)NULL);
		_exit(99);
	}
	int st;
	waitpid(c, &st, 0);
	pt(PTRACE_SETOPTIONS, c, 0,
	   (void *)(PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE | PTRACE_O_TRACEEXIT));
	printf("setoptions vfork|vforkdone|exit: %s\n", en(errno));
	pt(PTRACE_CONT, c, 0, 0);
	char seq_c[512] = "", seq_v[512] = "";
	pid_t v = 0;
	for (;;) {
		pid_t w = waitpid(-1, &st, __WALL);
		if (w < 0)
			break;
		char *seq = w == c ? seq_c : seq_v;
		if (w != c)
			v = w;
		char item[64];
		if (WIFEXITED(st)) {
			snprintf(item, sizeof(item), " exited%d", WEXITSTATUS(st));
		} else if (WIFSTOPPED(st) && (st >> 16)) {
			unsigned long msg = 0;
			pt(PTRACE_GETEVENTMSG, w, 0, &msg);
			if ((st >> 16) == PTRACE_EVENT_VFORK)
				v = (pid_t)msg;
			const char *m = msg == (unsigned long)v && v ? "child" : "";
			char num[32];
			snprintf(num, sizeof(num), "%#lx", msg);
			snprintf(item, sizeof(item), " event%d(%s)", st >> 16,
				 (st >> 16) == PTRACE_EVENT_EXIT ? num : m);
			pt(PTRACE_CONT, w, 0, 0);
		} else if (WIFSTOPPED(st)) {
			snprintf(item, sizeof(item), " sig%d", WSTOPSIG(st));
			int sig = WSTOPSIG(st) == SIGSTOP || WSTOPSIG(st) == SIGTRAP ? 0 : WSTOPSIG(st);
			pt(PTRACE_CONT, w, 0, (void *)(long)sig);
		} else {
			snprintf(item, sizeof(item), " ?%#x", st);
		}
		strncat(seq, item, 511 - strlen(seq));
	}
	printf("tracee:%s\nvfork child:%s\n", seq_c, seq_v);
}

/* 3: ATTACH/DETACH, SEIZE/INTERRUPT, KILL, errnos. */
static void test_attach(void)
{
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	int st;
	pt(PTRACE_CONT, c, 0, 0);
	printf("cont untraced: %s\n", en(errno));
	pt(PTRACE_ATTACH, getpid(), 0, 0);
	printf("attach self: %s\n", en(errno));
	pt(PTRACE_ATTACH, 0x3fffffff, 0, 0);
	printf("attach nobody: %s\n", en(errno));
	pt(PTRACE_ATTACH, c, 0, 0);
	printf("attach: %s\n", en(errno));
	waitpid(c, &st, 0);
	show_status("attached", st);
	pt(PTRACE_ATTACH, c, 0, 0);
	printf("attach again: %s\n", en(errno));
	pt(PTRACE_INTERRUPT, c, 0, 0);
	printf("interrupt unseized: %s\n", en(errno));
	pt(PTRACE_DETACH, c, 0, 0);
	printf("detach: %s\n", en(errno));
	pt(PTRACE_CONT, c, 0, 0);
	printf("cont detached: %s\n", en(errno));

	pt(PTRACE_SEIZE, c, 0, (void *)PTRACE_O_TRACESYSGOOD);
	printf("seize: %s\n", en(errno));
	pt(PTRACE_INTERRUPT, c, 0, 0);
	printf("interrupt: %s\n", en(errno));
	siginfo_t wi;
	memset(&wi, 0, sizeof(wi));
	int wr = waitid(P_PID, c, &wi, WSTOPPED | WNOWAIT);
	printf("waitid: %d code %s status %#x pid %s\n", wr,
	       wi.si_code == CLD_TRAPPED ? "CLD_TRAPPED" : "?", wi.si_status,
	       wi.si_pid == c ? "ok" : "?");
	waitpid(c, &st, 0);
	show_status("interrupted", st);
	siginfo_t si;
	pt(PTRACE_GETSIGINFO, c, 0, &si);
	printf("getsiginfo: signo %d code %#x\n", si.si_signo, si.si_code);
	pt(PTRACE_KILL, c, 0, 0);
	printf("kill: %s\n", en(errno));
	waitpid(c, &st, 0);
	show_status("killed", st);
	errno = 0;
	waitpid(-1, &st, WNOHANG);
	printf("nothing left: %s\n", en(errno));
}

/* 4: a seized tracee's group stop, PTRACE_LISTEN, SIGCONT. */
static void test_listen(void)
{
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	int st;
	siginfo_t si;
	pt(PTRACE_SEIZE, c, 0, 0);
	kill(c, SIGSTOP);
	waitpid(c, &st, 0);
	show_status("sigstop delivery", st);
	pt(PTRACE_LISTEN, c, 0, 0);
	printf("listen at a signal stop: %s\n", en(errno));
	pt(PTRACE_CONT, c, 0, (void *)SIGSTOP);
	waitpid(c, &st, 0);
	show_status("group stop", st);
	memset(&si, 0, sizeof(si));
	pt(PTRACE_GETSIGINFO, c, 0, &si);
	printf("getsiginfo: signo %d code %#x\n", si.si_signo, si.si_code);
	pt(PTRACE_LISTEN, c, 0, 0);
	printf("listen: %s\n", en(errno));
	errno = 0;
	printf("wait while listening: %d\n", waitpid(c, &st, WNOHANG));
	kill(c, SIGCONT);
	waitpid(c, &st, 0);
	show_status("after SIGCONT", st);
	pt(PTRACE_GETSIGINFO, c, 0, &si);
	printf("getsiginfo: signo %d code %#x\n", si.si_signo, si.si_code);
	pt(PTRACE_CONT, c, 0, 0);
	waitpid(c, &st, 0);
	show_status("sigcont delivery", st);
	pt(PTRACE_CONT, c, 0, 0);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	show_status("end", st);
}

/* 5: a non-seized tracee's group stop; PTRACE_O_EXITKILL. */
static void test_exitkill(void)
{
	pid_t c = fork();
	if (c == 0) {
		for (;;)
			pause();
	}
	int st;
	siginfo_t si;
	pt(PTRACE_ATTACH, c, 0, 0);
	waitpid(c, &st, 0);
	show_status("attach stop", st);
	pt(PTRACE_CONT, c, 0, (void *)SIGSTOP);
	waitpid(c, &st, 0);
	show_status("legacy group stop", st);
	pt(PTRACE_GETSIGINFO, c, 0, &si);
	printf("getsiginfo at a group stop: %s\n", en(errno));
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	show_status("end", st);

	int p[2];
	pipe(p);
	pid_t a = fork();
	if (a == 0) {
		pid_t b = fork();
		if (b == 0) {
			close(p[0]);
			for (;;)
				pause();
		}
		close(p[1]);
		pt(PTRACE_SEIZE, b, 0, (void *)PTRACE_O_EXITKILL);
		printf("seize with exitkill: %s\n", en(errno));
		_exit(0);
	}
	close(p[1]);
	waitpid(a, &st, 0);
	char x;
	printf("tracee killed when its tracer exits: %s\n", read(p[0], &x, 1) == 0 ? "yes" : "no");
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--exec-child") == 0)
		return 5;
	setvbuf(stdout, NULL, _IONBF, 0);
	test_syscalls();
	test_singlestep();
	test_sysemu();
	test_restart();
	test_events("/proc/self/exe");
	test_more_events("/proc/self/exe");
	test_attach();
	test_listen();
	test_exitkill();
	return 0;
}
