/*
 * ptrace_stub.c — the host mechanics of the ptrace platform: the stub page,
 * the stub's seccomp filter, creating a stub process, waiting for ptrace
 * stops and injecting syscalls into stopped stub threads.
 *
 * A stub process is an application address space.  It is forked from the
 * calling Sentry thread (which becomes its tracer), sheds every mapping but
 * the stub page and every fd but the memory file, and runs under a seccomp
 * filter that allows only the syscalls the stub itself needs (ptrace.c's
 * injected mmap/munmap/mprotect and clone, the spare threads' pause, exit).
 * Application syscalls never reach that filter: PTRACE_SYSEMU stops them at
 * syscall entry, before seccomp runs.
 *
 * This file must never leave anything of the Sentry reachable from a stub:
 * no mapping, no fd, no signal handler.
 */
#include "platform/ptrace/ptrace_internal.h"
#include "platform/plat_util.h"

#include "lib/log.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
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
 * Allow: munmap, mprotect, pause, exit, exit_group; mmap only as
 * MAP_SHARED|MAP_FIXED of the memory file; clone only with the spare-thread
 * flags; prctl only as PR_SET_NAME (the host name of a stub, for ps and
 * `docker top`: pt_stub_set_name).  Everything else, and any other architecture (int $0x80 from a
 * 64-bit process is AUDIT_ARCH_I386), kills the whole stub process.  The
 * Sentry's filter, inherited, still applies underneath: whatever is allowed
 * here, and whatever the child does before loading this, is listed in
 * ptrace_jail.c too.
 */
static unsigned short pt_build_filter(struct sock_filter *f, int memfd)
{
	static const int plain[] = {SYS_munmap, SYS_mprotect, SYS_pause, SYS_exit, SYS_exit_group};
	unsigned n = 0;
#define EMIT(ins) (f[n++] = (struct sock_filter)ins)
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARCH));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, TO_KILL));
	/* A call into the vsyscall page: the host kernel emulates it as a
	 * syscall (gettimeofday, time, getcpu) that seccomp sees with the
	 * page's address as its instruction pointer.  TRAP: the kernel then
	 * returns to the caller and sends SIGSYS, a ptrace stop the platform
	 * reports as that syscall, served by the Sentry (pt_classify). */
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
	/* clone(PT_THREAD_CLONE_FLAGS, ...): threads only, never a new process. */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 5));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_LO(0)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PT_THREAD_CLONE_FLAGS, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_HI(0)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	/* prctl(PR_SET_NAME, name): renames the calling thread, nothing else.
	 * The kernel reads the option as an int; both halves are checked anyway
	 * so that no other value can ever pass. */
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 5));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_LO(0)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_NAME, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SD_ARG_HI(0)));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, TO_KILL));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	unsigned kill = n;
	EMIT(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
#undef EMIT
	for (unsigned i = 0; i < n; i++)
		if (BPF_CLASS(f[i].code) == BPF_JMP && f[i].jf == TO_KILL)
			f[i].jf = (unsigned char)(kill - i - 1);
	return (unsigned short)n;
}

/* ---- the stub page ----------------------------------------------------- */

/*
 * The page must sit at the same address in the Sentry (so a fork carries it
 * into the child) and at or above PLAT_APP_TOP (so the app never maps over
 * it).  MAP_FIXED_NOREPLACE finds a free page without clobbering the Sentry.
 */
int pt_stub_page_init(struct pt_platform *pp)
{
	size_t code_len = (size_t)(ptrace_stub_end - ptrace_stub_start);
	if (code_len > PT_FPROG_OFF)
		return -E2BIG;
	pp->filter_len = pt_build_filter(pp->filter, pp->memfd);

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
	return 0;
}

void pt_stub_page_fini(struct pt_platform *pp)
{
	if (pp->stub_addr)
		munmap((void *)(uintptr_t)pp->stub_addr, PAGE_SIZE);
	pp->stub_addr = 0;
}

/* ---- creating a stub --------------------------------------------------- */

struct pt_child_args {
	pid_t parent;
	int memfd;
};


/*
 * The child side of the fork.  The Sentry is multithreaded, so only raw
 * syscalls here (no libc, no sanitizer runtime: locks held by other Sentry
 * threads at fork time are held forever in the child).
 */
__attribute__((noreturn, noinline, no_sanitize("address", "undefined"))) static void
pt_stub_child(const struct pt_child_args *a)
{
	/* Until the tracer has set PTRACE_O_EXITKILL, parent death must kill us. */
	plat_raw6(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0);
	if (plat_raw6(SYS_getppid, 0, 0, 0, 0, 0, 0) != a->parent)
		plat_raw6(SYS_exit_group, 1, 0, 0, 0, 0, 0);
	/* Sentry handlers point at code that is about to vanish.  Ignore every
	 * signal instead: a signal sent from outside to the process (a
	 * terminal's SIGINT to the process group, a stray SIGTERM) is then
	 * dropped, where SIG_DFL would let it kill the whole stub through an
	 * untraced thread.  Traced threads still see everything (the kernel
	 * never ignores a signal for a ptraced task; context_interrupt's
	 * SIGCHLD relies on that), and synchronous faults reset the action to
	 * SIG_DFL and reach the tracer.  Block nothing, for the same reasons.
	 * (So SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP, once the app has faulted
	 * or a syscall was injected, are fatal when sent from outside.) */
	struct plat_ksigaction ign;
	__builtin_memset(&ign, 0, sizeof(ign));
	ign.handler = (unsigned long)SIG_IGN;
	for (long sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			plat_raw6(SYS_rt_sigaction, sig, (long)&ign, 0, 8, 0, 0);
	unsigned long mask = 0;
	plat_raw6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0, 0);
	/* Only the memory file may stay open. */
	if (a->memfd > 0)
		plat_raw6(SYS_close_range, 0, a->memfd - 1, 0, 0, 0, 0);
	plat_raw6(SYS_close_range, (long)a->memfd + 1, ~0U, 0, 0, 0, 0);
	/* The stub keeps the Sentry's name (comm) until the Sentry names it
	 * after the application (as_set_name: ps and `docker top` then show
	 * the app's command, as they would under runc). */
	if (plat_raw6(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0, 0, 0) < 0)
		plat_raw6(SYS_exit_group, 2, 0, 0, 0, 0, 0);
	/* Stop for the tracer: a SIGTRAP signal-delivery-stop.  The tracer
	 * moves rip into the stub page and never lets us return here. */
	__asm__ volatile("int3" ::: "memory");
	for (;;)
		plat_raw6(SYS_exit_group, 3, 0, 0, 0, 0, 0);
}

/* clone with flags 0: a fork that sends no SIGCHLD (so only __WALL waits
 * see it, and a Sentry SIGCHLD handler is never bothered by stubs). */
__attribute__((noinline)) static long pt_fork(const struct pt_child_args *a)
{
	long r = plat_raw6(SYS_clone, 0, 0, 0, 0, 0, 0);
	if (r == 0)
		pt_stub_child(a);
	return r;
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
	struct pt_child_args a = {.parent = getpid(), .memfd = pp->memfd};
	long r = pt_fork(&a);
	if (r < 0)
		return (int)r;
	pid_t pid = (pid_t)r;
	int st, err = pt_wait(pid, &st);
	if (err)
		goto fail;
	if (!WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
		log_error("ptrace: stub %d did not stop as expected (status %#x)", pid, st);
		err = -EIO;
		goto fail;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL,
		   (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)) < 0 ||
	    ptrace(PTRACE_GETREGS, pid, NULL, regs) < 0) {
		err = -errno;
		goto fail;
	}
	/* The forked thread inherited glibc's rseq registration; once its TLS
	 * is unmapped the kernel would SIGSEGV the stub on the next preemption
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
	    /* EXITKILL covers us now; the parent-death signal would fire
	     * when the *thread* that forked us exits, which is too early. */
	    {SYS_prctl, {PR_SET_PDEATHSIG, 0}},
	    {SYS_rseq, {rseq_args[0], rseq_args[1], rseq_args[2], rseq_args[3]}},
	    {SYS_munmap, {0, (long)pp->stub_addr}},
	    {SYS_munmap, {(long)top, (long)(PT_USER_TOP - top)}},
	    {SYS_prctl, {PR_SET_NO_NEW_PRIVS, 1}},
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
