/*
 * ptrace_stub.c — the host mechanics of the ptrace platform: the stub page,
 * the stub's seccomp filter, creating a stub process, waiting for ptrace
 * stops and injecting syscalls into stopped stub threads.
 *
 * A stub process is an application address space.  It is forked by the
 * stub template (a process forked from the Sentry when the platform starts,
 * before the Sentry's jail: so no stub carries the Sentry's filter, and the
 * Sentry's filter need not allow what stubs do, such as PROT_EXEC mappings),
 * seized by the calling Sentry thread (which becomes its tracer), sheds every
 * mapping but the stub page and every fd but the memory file, and runs under
 * the template's filter and its own, which allow only the syscalls the stub
 * itself needs (ptrace.c's injected mmap/munmap/mprotect and clone, the spare
 * threads' pause, exit).  Application syscalls never reach those filters:
 * PTRACE_SYSEMU stops them at syscall entry, before seccomp runs.
 *
 * This file must never leave anything of the Sentry reachable from a stub:
 * no mapping, no fd, no signal handler.
 */
#include "platform/ptrace/ptrace_internal.h"
#include "platform/plat_util.h"

#include "lib/log.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

/* stub.S */
extern const char ptrace_stub_start[], ptrace_stub_inject[], ptrace_stub_clone[],
    ptrace_stub_wait[], ptrace_stub_end[];

uint64_t pt_stub_inject_addr(const struct pt_platform *pp)
{
	return pp->stub_addr + (uint64_t)(ptrace_stub_inject - ptrace_stub_start);
}

uint64_t pt_stub_clone_addr(const struct pt_platform *pp)
{
	return pp->stub_addr + (uint64_t)(ptrace_stub_clone - ptrace_stub_start);
}

uint64_t pt_stub_wait_addr(const struct pt_platform *pp)
{
	return pp->stub_addr + (uint64_t)(ptrace_stub_wait - ptrace_stub_start);
}

bool pt_stub_runs_at(const struct pt_platform *pp, uint64_t rip)
{
	return rip >= pp->stub_addr &&
	       rip < pp->stub_addr + (uint64_t)(ptrace_stub_end - ptrace_stub_start);
}

/* ---- the seccomp filter ------------------------------------------------ */

#define SD_NR offsetof(struct seccomp_data, nr)
#define SD_ARCH offsetof(struct seccomp_data, arch)
#define SD_ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define SD_ARG_HI(i) (SD_ARG_LO(i) + 4)
#define SD_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define SD_IP_HI (SD_IP_LO + 4)
#define TO_KILL 0xff /* jump target placeholder, patched to the final KILL */

/*
 * The stub's filter: munmap, mprotect, pause, exit, exit_group; mmap only as
 * MAP_SHARED|MAP_FIXED of the memory file; clone only with the spare-thread
 * flags; prctl only as PR_SET_NAME (the host name of a stub, for ps and
 * `docker top`: pt_stub_set_name).  Everything else, and any other
 * architecture (int $0x80 from a 64-bit process is AUDIT_ARCH_I386), kills
 * the whole stub process.
 *
 * The template's filter (tmpl): the same, and what the template's loop and a
 * new stub's set-up need on top: recvfrom and sendto (the template's
 * socket, its only fd besides the memory file), clone(CLONE_PARENT) (a new
 * stub), prctl(PR_SET_PDEATHSIG) and getppid (a new stub dies with the
 * Sentry until it is seized), close_range (the stub drops the socket), rseq
 * (unregistering the area inherited from the Sentry's thread), seccomp (the
 * stub's own filter).
 * Every stub keeps it underneath its own, which only narrows it.
 */
static unsigned short pt_build_filter(struct sock_filter *f, int memfd, bool tmpl)
{
	static const int plain[] = {SYS_munmap, SYS_mprotect, SYS_pause, SYS_exit, SYS_exit_group};
	static const int tmpl_plain[] = {SYS_recvfrom, SYS_sendto, SYS_close_range, SYS_rseq,
					 SYS_seccomp,	SYS_getppid};
	unsigned n = 0;
#define EMIT(ins) (f[n++] = (struct sock_filter)ins)
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARCH));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, TO_KILL));
	/* A call into the vsyscall page: the host kernel emulates it as a
	 * syscall (gettimeofday, time, getcpu) that seccomp sees with the
	 * page's address as its instruction pointer.  TRAP: the kernel then
	 * returns to the caller and sends SIGSYS, a ptrace stop the platform
	 * reports as that syscall, served by the Sentry (pt_classify).  Every
	 * filter runs and the strictest answer wins: the template's traps it
	 * too. */
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_IP_HI));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffU, 0, 4));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_IP_LO));
	EMIT(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xfffff000U));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PT_VSYSCALL_PAGE_LO, 0, 1));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_NR));
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, plain[i], 0, 1));
		EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
	for (size_t i = 0; tmpl && i < sizeof(tmpl_plain) / sizeof(tmpl_plain[0]); i++) {
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, tmpl_plain[i], 0, 1));
		EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
	/* mmap(addr, len, prot, MAP_SHARED|MAP_FIXED, memfd, off).  The kernel
	 * reads fd as an unsigned int, so its high half does not matter. */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 7));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_LO(3)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MAP_SHARED | MAP_FIXED, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_HI(3)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_LO(4)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)memfd, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* clone(PT_THREAD_CLONE_FLAGS, ...): threads only; the template also
	 * clone(CLONE_PARENT): a new stub, a child of the Sentry, no exit
	 * signal. */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, tmpl ? 6 : 5));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_HI(0)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_LO(0)));
	if (tmpl)
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CLONE_PARENT, 1, 0));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PT_THREAD_CLONE_FLAGS, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* prctl(PR_SET_NAME, name): renames the calling thread, nothing else.
	 * The kernel reads the option as an int; both halves are checked anyway
	 * so that no other value can ever pass. */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, tmpl ? 6 : 5));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_HI(0)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_LO(0)));
	if (tmpl) /* a new stub's parent-death signal, set and then cleared */
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_PDEATHSIG, 1, 0));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_NAME, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	unsigned kill = n;
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#undef EMIT
	for (unsigned i = 0; i < n; i++)
		if (BPF_CLASS(f[i].code) == BPF_JMP && f[i].jf == TO_KILL)
			f[i].jf = (unsigned char)(kill - i - 1);
	return (unsigned short)n;
}

static int pt_template_start(struct pt_platform *pp);
static void pt_template_stop(struct pt_platform *pp);

/* ---- the stub page ----------------------------------------------------- */

/*
 * The page must sit at the same address in the Sentry (so a fork carries it
 * into the child) and at or above PLAT_APP_TOP (so the app never maps over
 * it).  MAP_FIXED_NOREPLACE finds a free page without clobbering the Sentry.
 */
int pt_stub_page_init(struct pt_platform *pp)
{
	size_t code_len = (size_t)(ptrace_stub_end - ptrace_stub_start);
	pp->tmpl_sock = -1;
	if (code_len > PT_FPROG_OFF)
		return -E2BIG;
	pp->filter_len = pt_build_filter(pp->filter, pp->memfd, false);

	char *page = plat_map_high(PLAT_APP_TOP, PT_USER_TOP, PAGE_SIZE);
	if (page == MAP_FAILED)
		return -errno;
	uint64_t a = (uint64_t)(uintptr_t)page;
	memcpy(page, ptrace_stub_start, code_len);
	struct sock_fprog prog = {
	    .len = pp->filter_len,
	    .filter = (struct sock_filter *)(uintptr_t)(a + PT_FILTER_OFF),
	};
	memcpy(page + PT_FPROG_OFF, &prog, sizeof(prog));
	memcpy(page + PT_FILTER_OFF, pp->filter, pp->filter_len * sizeof(struct sock_filter));
	if (mprotect(page, PAGE_SIZE, PROT_READ | PROT_EXEC) < 0) {
		int err = -errno;
		munmap(page, PAGE_SIZE);
		return err;
	}
	pp->stub_addr = a;
	vmutex_init(&pp->tmpl_lock, LOCK_CLASS(PLATFORM_STUB_TEMPLATE));
	int err = pt_template_start(pp);
	if (err) {
		munmap(page, PAGE_SIZE);
		pp->stub_addr = 0;
		return err;
	}
	return 0;
}

void pt_stub_page_fini(struct pt_platform *pp)
{
	pt_template_stop(pp);
	if (pp->stub_addr)
		munmap((void *)(uintptr_t)pp->stub_addr, PAGE_SIZE);
	pp->stub_addr = 0;
}

/* ---- the stub template ---------------------------------------------------- */

struct pt_tmpl_args {
	pid_t parent;
	int keep[2]; /* the memory file and the template's socket, lower first */
	int sock;    /* the template's socket */
	uint64_t wait;			/* the stub page's wait loop */
	const struct sock_fprog *prog; /* the template's filter */
};

/*
 * The template: forked from the Sentry before its jail.  The Sentry is
 * multithreaded, so only raw syscalls here (no libc, no sanitizer runtime:
 * locks held by other Sentry threads at fork time are held forever in the
 * child).  It ignores every signal, keeps only the memory file and its
 * socket, drops every capability, loads its filter, and then, for each byte
 * received, forks a stub with CLONE_PARENT (a child of the Sentry, which
 * seizes it) and answers its pid (or -errno) in 8 bytes.  The new stub jumps
 * straight into the stub page's wait loop; the Sentry moves it on from
 * wherever it stops.  EOF on the socket ends the template.
 */
__attribute__((noreturn, noinline, no_sanitize("address", "undefined"))) static void
pt_template_child(const struct pt_tmpl_args *a)
{
	plat_raw6(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
	if (plat_raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) != a->parent)
		plat_raw6(SYS_exit_group, 1, 0, 0, 0, 0, 0);
	/* Sentry handlers point at code no stub keeps.  Ignore every signal
	 * instead: a signal sent from outside to a stub (a terminal's SIGINT to
	 * the process group, a stray SIGTERM) is then dropped, where SIG_DFL
	 * would let it kill the whole stub through an untraced thread.  Traced
	 * threads still see everything (the kernel never ignores a signal for a
	 * ptraced task; context_interrupt's SIGCHLD relies on that), and
	 * synchronous faults reset the action to SIG_DFL and reach the tracer.
	 * Block nothing, for the same reasons. */
	struct plat_ksigaction ign;
	__builtin_memset(&ign, 0, sizeof(ign));
	ign.handler = (unsigned long)SIG_IGN;
	for (long sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			plat_raw6(SYS_rt_sigaction, sig, (long)&ign, 0, 8, 0, 0);
	unsigned long mask = 0;
	plat_raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0, 0);
	/* Only the memory file and the socket stay open. */
	if (a->keep[0] > 0)
		plat_raw6(SYS_close_range, 0, a->keep[0] - 1, 0, 0, 0, 0);
	if (a->keep[1] > a->keep[0] + 1)
		plat_raw6(SYS_close_range, a->keep[0] + 1, a->keep[1] - 1, 0, 0, 0, 0);
	plat_raw6(SYS_close_range, a->keep[1] + 1, ~0U, 0, 0, 0, 0);
	/* No capability, ever (the Sentry still has its own at this point);
	 * dumpable, so that the Sentry, without CAP_SYS_PTRACE, may seize the
	 * stubs forked from here whatever its own credentials did. */
	for (long c = 0; c <= 63; c++)
		plat_raw6(SYS_prctl, PR_CAPBSET_DROP, c, 0, 0, 0, 0);
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	__builtin_memset(d, 0, sizeof(d));
	if (plat_raw6(SYS_capset, (long)&h, (long)d, 0, 0, 0, 0) < 0 ||
	    plat_raw6(SYS_prctl, PR_SET_DUMPABLE, 1, 0, 0, 0, 0) < 0 ||
	    plat_raw6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) < 0 ||
	    plat_raw6(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)a->prog, 0, 0, 0) < 0)
		plat_raw6(SYS_exit_group, 2, 0, 0, 0, 0, 0);
	for (;;) {
		char byte;
		long n = plat_raw6(SYS_recvfrom, a->sock, (long)&byte, 1, 0, 0, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			break;
		long pid = plat_raw6(SYS_clone, CLONE_PARENT, 0, 0, 0, 0, 0);
		if (pid == 0) {
			/* Until a Sentry thread has seized it (EXITKILL), the
			 * Sentry's death must end it: nothing else would. */
			plat_raw6(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
			if (plat_raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) != a->parent)
				plat_raw6(SYS_exit_group, 1, 0, 0, 0, 0, 0);
			__asm__ volatile("jmp *%0" ::"r"(a->wait) : "memory");
		}
		plat_raw6(SYS_sendto, a->sock, (long)&pid, sizeof(pid), MSG_NOSIGNAL, 0, 0);
	}
	for (;;)
		plat_raw6(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* clone with flags 0: a fork that sends no SIGCHLD (so only __WALL waits
 * see it, and a Sentry SIGCHLD handler is never bothered by it). */
__attribute__((noinline)) static long pt_fork(const struct pt_tmpl_args *a)
{
	long r = plat_raw6(SYS_clone, 0, 0, 0, 0, 0, 0);
	if (r == 0)
		pt_template_child(a);
	return r;
}

static int pt_template_start(struct pt_platform *pp)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pp->tmpl_filter_len = pt_build_filter(pp->tmpl_filter, pp->memfd, true);
	pp->tmpl_prog.len = pp->tmpl_filter_len;
	pp->tmpl_prog.filter = pp->tmpl_filter;
	struct pt_tmpl_args a = {
	    .parent = getpid(),
	    .keep = {pp->memfd < sv[1] ? pp->memfd : sv[1], pp->memfd < sv[1] ? sv[1] : pp->memfd},
	    .sock = sv[1],
	    .wait = pt_stub_wait_addr(pp),
	    .prog = &pp->tmpl_prog,
	};
	long r = pt_fork(&a);
	close(sv[1]);
	if (r < 0) {
		close(sv[0]);
		return (int)r;
	}
	pp->tmpl_sock = sv[0];
	pp->tmpl_fd_no = sv[1];
	pp->tmpl_pid = (pid_t)r;
	return 0;
}

/* Close the template's socket (it exits on EOF) and reap it. */
static void pt_template_stop(struct pt_platform *pp)
{
	if (pp->tmpl_sock < 0)
		return;
	close(pp->tmpl_sock);
	pp->tmpl_sock = -1;
	int st;
	while (waitpid(pp->tmpl_pid, &st, __WALL) < 0 && errno == EINTR)
		;
	pp->tmpl_pid = 0;
}

/* A new stub from the template: its pid, or -errno. */
static pid_t pt_template_fork(struct pt_platform *pp)
{
	char byte = 'n';
	int64_t pid = -EPIPE;
	vmutex_lock(&pp->tmpl_lock);
	ssize_t n = send(pp->tmpl_sock, &byte, 1, MSG_NOSIGNAL);
	if (n == 1) {
		do
			n = recv(pp->tmpl_sock, &pid, sizeof(pid), 0);
		while (n < 0 && errno == EINTR);
	}
	vmutex_unlock(&pp->tmpl_lock);
	if (n != (ssize_t)sizeof(pid)) {
		log_error("ptrace: the stub template does not answer: %s",
			  n < 0 ? strerror(errno) : "it has ended");
		return -EAGAIN;
	}
	return pid == 0 ? -EIO : (pid_t)pid;
}


int pt_wait(pid_t tid, int *status)
{
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL);
		if (r == tid)
			return 0;
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : -ECHILD;
	}
}

void pt_reap(pid_t tid)
{
	int st;
	while (pt_wait(tid, &st) == 0)
		if (WIFEXITED(st) || WIFSIGNALED(st))
			return;
}

static bool pt_sync_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE;
}

int pt_inject(const struct pt_platform *pp, pid_t tid, const plat_regs_t *base, uint64_t site,
	      long nr, const long args[6], long *ret, int *death)
{
	/* The thread is about to run under PTRACE_CONT, not SYSEMU: only the
	 * stub's own code may run so (ptrace_internal.h, the invariant). */
	if (!pt_stub_runs_at(pp, site)) {
		log_error("ptrace: refusing to inject syscall %ld at %#llx, outside the stub's code",
			  nr, (unsigned long long)site);
		return -EINVAL;
	}
	plat_regs_t r = *base;
	r.rip = site;
	r.rax = (unsigned long long)nr;
	r.orig_rax = (unsigned long long)-1; /* no syscall restart on resume */
	r.rdi = (unsigned long long)args[0];
	r.rsi = (unsigned long long)args[1];
	r.rdx = (unsigned long long)args[2];
	r.r10 = (unsigned long long)args[3];
	r.r8 = (unsigned long long)args[4];
	r.r9 = (unsigned long long)args[5];
	r.eflags &= ~0x100ULL; /* TF: the app may have set it */
	int st = 0;
	if (ptrace(PTRACE_SETREGS, tid, NULL, &r) < 0)
		goto gone;
	for (;;) {
		/* PTRACE_CONT, the one resume that lets host syscalls through to
		 * the stub's filter: rip is the stub's syscall instruction (set
		 * above, or where the last stop left it, still before the int3
		 * that follows it), TF is clear and the signal is 0, so no app
		 * instruction runs before the next stop.  App code only ever runs
		 * under PTRACE_SYSEMU (ptrace_internal.h). */
		if (ptrace(PTRACE_CONT, tid, NULL, NULL) < 0)
			goto gone;
		if (pt_wait(tid, &st) < 0)
			return -ESRCH;
		if (WIFEXITED(st) || WIFSIGNALED(st))
			goto dead;
		/* The int3 after the syscall.  Anything else (a stale interrupt
		 * SIGCHLD, a group-stop, a stop signal from outside) is
		 * suppressed by resuming with signal 0. */
		if (WSTOPSIG(st) == SIGTRAP && (st >> 16) == 0)
			break;
		if ((st >> 16) == 0 && pt_sync_signal(WSTOPSIG(st))) {
			/* The stub page itself faulted: never resume into that. */
			siginfo_t si = {0};
			ptrace(PTRACE_GETSIGINFO, tid, NULL, &si);
			ptrace(PTRACE_GETREGS, tid, NULL, &r);
			log_error("ptrace: stub thread %d: signal %d (code %d, addr %p) at %#llx "
				  "injecting syscall %ld",
				  tid, si.si_signo, si.si_code, si.si_addr, r.rip, nr);
			return -EFAULT;
		}
	}
	if (ptrace(PTRACE_GETREGS, tid, NULL, &r) < 0)
		goto gone;
	*ret = (long)r.rax;
	return 0;
gone:
	/* ptrace on a thread we trace fails only when it is dying.  Do not
	 * wait for it here: as_release reaps every stub thread. */
	return -ESRCH;
dead:
	if (death)
		*death = st;
	return -ESRCH;
}

int pt_stub_set_name(struct pt_platform *pp, pid_t tid, const plat_regs_t *regs,
		     const char name[PT_NAME_LEN])
{
	uint64_t at = pp->stub_addr + PT_NAME_OFF;
	for (size_t i = 0; i < PT_NAME_LEN; i += sizeof(long)) {
		long w;
		memcpy(&w, name + i, sizeof(w));
		if (ptrace(PTRACE_POKEDATA, tid, (void *)(uintptr_t)(at + i), (void *)w) < 0)
			return errno == ESRCH ? -ESRCH : -errno;
	}
	const long args[6] = {PR_SET_NAME, (long)at};
	long ret;
	int err = pt_inject(pp, tid, regs, pt_stub_inject_addr(pp), SYS_prctl, args, &ret, NULL);
	if (err)
		return err;
	return ret < 0 ? (int)ret : 0;
}

int pt_stub_create(struct pt_platform *pp, pid_t *pidp, plat_regs_t *regs)
{
	pid_t pid = pt_template_fork(pp);
	if (pid < 0)
		return pid;
	/* Seize it and stop it wherever it is (in the wait loop, or still on
	 * its way there from the template's clone): every injection below sets
	 * rip to the stub's own code first. */
	int st, err = 0;
	if (ptrace(PTRACE_SEIZE, pid, NULL,
		   (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, NULL, NULL) < 0) {
		err = -errno;
		log_error("ptrace: seizing stub %d: %s", pid, strerror(-err));
		goto fail;
	}
	err = pt_wait(pid, &st);
	if (err)
		goto fail;
	if (!WIFSTOPPED(st)) {
		log_error("ptrace: stub %d did not stop as expected (status %#x)", pid, st);
		err = -EIO;
		goto fail;
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, regs) < 0) {
		err = -errno;
		goto fail;
	}
	/* The template inherited the forking thread's glibc rseq registration,
	 * and the stub the template's; once its TLS is unmapped the kernel
	 * would SIGSEGV the stub on the next preemption
	 * (rseq_handle_notify_resume).  Unregister it while the area exists. */
	struct __ptrace_rseq_configuration rc = {0};
	long rseq_args[6] = {0};
	if (ptrace(PTRACE_GET_RSEQ_CONFIGURATION, pid, (void *)sizeof(rc), &rc) >= 0 &&
	    rc.rseq_abi_pointer) {
		rseq_args[0] = (long)rc.rseq_abi_pointer;
		rseq_args[1] = (long)rc.rseq_abi_size;
		rseq_args[2] = 1; /* RSEQ_FLAG_UNREGISTER */
		rseq_args[3] = (long)rc.signature;
	}
	uint64_t top = pp->stub_addr + PAGE_SIZE;
	const struct {
		long nr;
		long args[6];
	} steps[] = {
	    /* EXITKILL covers it now; the parent-death signal would fire
	     * when the Sentry *thread* that forked the template exits.
	     * (no_new_privs and the template's filter are inherited.) */
	    {SYS_prctl, {PR_SET_PDEATHSIG, 0}},
	    {SYS_rseq, {rseq_args[0], rseq_args[1], rseq_args[2], rseq_args[3]}},
	    {SYS_munmap, {0, (long)pp->stub_addr}},
	    {SYS_munmap, {(long)top, (long)(PT_USER_TOP - top)}},
	    {SYS_close_range, {pp->tmpl_fd_no, pp->tmpl_fd_no, 0}},
	    {SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0, (long)(pp->stub_addr + PT_FPROG_OFF)}},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if ((steps[i].nr == SYS_munmap || steps[i].nr == SYS_rseq) && steps[i].args[1] == 0)
			continue;
		long ret;
		err = pt_inject(pp, pid, regs, pt_stub_inject_addr(pp), steps[i].nr, steps[i].args,
				&ret, NULL);
		if (!err && ret < 0)
			err = (int)ret;
		if (err) {
			log_error("ptrace: setting up stub %d: syscall %ld: %s", pid, steps[i].nr,
				  strerror(-err));
			goto fail;
		}
	}
	*pidp = pid;
	return 0;
fail:
	kill(pid, SIGKILL);
	pt_reap(pid);
	return err;
}
