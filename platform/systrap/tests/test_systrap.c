/*
 * Unit tests for the systrap platform (platform/systrap/).  Like the ptrace
 * platform's, they run tiny x86-64 programs written into a memfd, in real
 * stub processes: first the behaviour every platform must show
 * (plat_common_tests.h), then systrap's own: the stub's contents and
 * filters, what an app can and cannot reach from inside a stub, hostile
 * writes to the memory it shares with the Sentry, threads, and numbers.
 */
/* cmocka.h needs these three first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/systrap/systrap_internal.h"

#define PLAT_NAME "systrap"
#define STUB_PID(as) systrap_as_stub_pid(as)
#define DEATH_STATUS(as) systrap_as_death_status(as)
#include "platform/tests/plat_test.h"
#include "platform/tests/plat_common_tests.h"

/* ---- systrap's own ---------------------------------------------------------- */

static const struct st_platform *sp_of(void) { return plat->priv; }

/* jmp *%rax, after movabs $target,%rax */
static void jmp_abs(struct prog *p, uint64_t target)
{
	movabs_rax(p, target);
	EMIT(p, 0xff, 0xe0);
}

/* The value of "Key:" in /proc/<pid>/[task/<tid>/]status, -1 if absent. */
static long status_field(pid_t pid, pid_t tid, const char *key)
{
	char path[96], line[256];
	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, tid);
	else
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	long v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 16 * !strcmp(key, "CapEff"));
	fclose(f);
	return v;
}

static void test_stub_holds_only_blob_control_region_memfd_and_filters(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0); /* the maps are made before the app runs */
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	pid_t pid = STUB_PID(e.as);
	pid_t tid = systrap_ctx_tid(e.ctx);
	assert_true(tid > 0 && tid != pid);
	/* The leader runs under the base filter, the app thread under both. */
	assert_int_equal(status_field(pid, 0, "Seccomp"), 2);
	assert_int_equal(status_field(pid, 0, "Seccomp_filters"), 1);
	assert_int_equal(status_field(pid, tid, "Seccomp_filters"), 2);
	assert_int_equal(status_field(pid, 0, "NoNewPrivs"), 1);
	assert_int_equal(status_field(pid, 0, "CapEff"), 0);
	assert_int_equal(status_field(pid, 0, "Threads"), 2);

	char path[128], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int app = 0, ctl = 0, blob = 0, patch = 0;
	const struct st_platform *sp = sp_of();
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		assert_int_equal(sscanf(line, "%llx-%llx", &lo, &hi), 2);
		if (strstr(line, "[vsyscall]"))
			continue;
		if (strstr(line, "/memfd:visor-test-mem")) {
			assert_true(hi <= PLAT_APP_TOP);
			app++;
		} else if (strstr(line, "/memfd:visor-systrap") &&
			   (lo == ST_PATCH_HI || lo == ST_PATCH_LO)) {
			/* The syscall-patch entry table (patch.c). */
			assert_int_equal(hi - lo, ST_PATCH_SIZE);
			assert_non_null(strstr(line, "r-xs"));
			patch++;
		} else if (strstr(line, "/memfd:visor-systrap")) {
			assert_true(lo >= ST_CTL_BASE && hi <= ST_TH_END);
			/* The request page is read-only; the rest writable. */
			assert_non_null(strstr(line, lo == ST_CTL_BASE ? "r--s" : "rw-s"));
			ctl++;
		} else {
			print_message("stub mapping: %s", line);
			assert_true(lo >= sp->blob && hi <= sp->blob + ST_BLOB_SIZE);
			assert_non_null(strstr(line, lo == sp->blob ? "r-xp" : "r--p"));
			blob++;
		}
	}
	fclose(f);
	assert_int_equal(app, 2);  /* code and stack */
	assert_int_equal(ctl, 2);  /* request page, the rest */
	assert_int_equal(blob, 2); /* code, parameters */
	assert_int_equal(patch, sp->patch_lo ? 2 : 1);

	/* Open: the memory file, the leader's eventfd and the socket it sends
	 * listeners on, nothing else (notification mode: the thread's listener
	 * went to the Sentry). */
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	assert_int_equal(count_dir(path), 3);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, memfd);
	struct stat st1, st2;
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(fstat(memfd, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);
	char link[64] = "";
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, sp->event_fd_no);
	assert_true(readlink(path, link, sizeof(link) - 1) > 0);
	assert_string_equal(link, "anon_inode:[eventfd]");
	/* The Sentry is the parent (the template forked it with CLONE_PARENT). */
	assert_int_equal(status_field(pid, 0, "PPid"), getpid());
	env_end(&e);
	assert_true(gone(pid));
}

/* ---- the filters, run on every syscall ------------------------------------------ */

static uint32_t bpf_run(const struct sock_filter *f, unsigned n, const struct seccomp_data *d)
{
	uint32_t a = 0;
	for (unsigned pc = 0; pc < n; pc++) {
		const struct sock_filter *i = &f[pc];
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(i->k + 4 <= sizeof(*d));
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			fail_msg("unexpected BPF instruction %#x at %u", i->code, pc);
		}
	}
	fail_msg("the filter runs off its end");
	return 0;
}

struct call {
	int nr;
	uint64_t a[6];
};

static uint32_t run_call(const struct sock_filter *f, unsigned n, const struct call *c,
			 uint64_t ip, uint32_t arch)
{
	struct seccomp_data d = {.nr = c->nr, .arch = arch, .instruction_pointer = ip};
	memcpy(d.args, c->a, sizeof(d.args));
	return bpf_run(f, n, &d);
}

static const char *table_when(const struct st_allowed *t, size_t n, int nr)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].nr == nr)
			return t[i].when;
	return NULL;
}

/* What app code's syscall nr gets from the base (app false) or app filter:
 * trapped; in notification mode a notification, but for the syscalls that
 * need the registers, which the app filter traps. */
static uint32_t app_code_action(int nr, bool app)
{
	static const int trapped[] = {SYS_rt_sigreturn, SYS_clone,  SYS_fork,	  SYS_vfork,
				      SYS_execve,	SYS_execveat, SYS_clone3, SYS_sigaltstack,
				      SYS_arch_prctl,	SYS_exit,     SYS_exit_group};
	if (!sp_of()->notif)
		return SECCOMP_RET_TRAP;
	for (size_t i = 0; app && i < sizeof(trapped) / sizeof(trapped[0]); i++)
		if (trapped[i] == nr)
			return SECCOMP_RET_TRAP;
	return SECCOMP_RET_USER_NOTIF;
}

/* Every syscall number, with zero arguments, from the code: allowed exactly
 * when the table allows it without conditions; from anywhere else as
 * app_code_action says; another architecture: trapped, always.  And the
 * handler's hand-off: a notification from the app filter in notification
 * mode (whatever the number), nothing more than any other from the code
 * otherwise. */
static void check_sweep(const struct sock_filter *f, unsigned n, const struct st_allowed *t,
			size_t tn, bool app)
{
	const struct st_platform *sp = sp_of();
	uint64_t in = sp->blob + 0x10, out[] = {CODE_VA, sp->blob + ST_PARAMS_OFF + 8,
						 st_code_end(sp) + 1, sp->blob - 1};
	uint64_t handoff = st_handoff_ret_addr(sp);
	for (int nr = 0; nr < 512; nr++) {
		struct call c = {.nr = nr};
		const char *when = table_when(t, tn, nr);
		uint32_t want = when && !when[0] ? SECCOMP_RET_ALLOW : SECCOMP_RET_TRAP;
		if (run_call(f, n, &c, in, AUDIT_ARCH_X86_64) != want)
			fail_msg("syscall %d from the stub's code: %#x", nr, want);
		for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
			if (run_call(f, n, &c, out[i], AUDIT_ARCH_X86_64) != app_code_action(nr, app))
				fail_msg("syscall %d from %#llx: %#x", nr,
					 (unsigned long long)out[i], app_code_action(nr, app));
		uint32_t h = run_call(f, n, &c, handoff, AUDIT_ARCH_X86_64);
		assert_int_equal(h, app && sp->notif ? SECCOMP_RET_USER_NOTIF : want);
		assert_int_equal(run_call(f, n, &c, in, AUDIT_ARCH_I386), SECCOMP_RET_TRAP);
		assert_int_equal(run_call(f, n, &c, out[0], AUDIT_ARCH_I386), SECCOMP_RET_TRAP);
	}
}

static void expect(const struct sock_filter *f, unsigned n, struct call c, uint32_t want)
{
	uint32_t got = run_call(f, n, &c, sp_of()->blob + 0x10, AUDIT_ARCH_X86_64);
	if (got != want)
		fail_msg("syscall %d (%#llx, %#llx, %#llx, %#llx, %#llx): %#x, want %#x", c.nr,
			 (unsigned long long)c.a[0], (unsigned long long)c.a[1],
			 (unsigned long long)c.a[2], (unsigned long long)c.a[3],
			 (unsigned long long)c.a[4], got, want);
}

#define ALLOW SECCOMP_RET_ALLOW
#define TRAP SECCOMP_RET_TRAP

static void test_base_filter_allows_its_table_and_traps_the_rest(void **state)
{
	const struct st_platform *sp = sp_of();
	const struct sock_filter *f = sp->base;
	unsigned n = sp->base_len;
	check_sweep(f, n, st_base_allowed, st_base_allowed_n, false);
	uint64_t M = (uint64_t)sp->memfd, C = (uint64_t)sp->ctl_fd_no, E = (uint64_t)sp->event_fd_no,
		 T = (uint64_t)sp->tmpl_fd_no, zero = sp->blob + ST_PARAMS_OFF + P_ZERO;
	/* rt_sigreturn from the restorer only */
	uint64_t ret = st_restorer_ret_addr(sp);
	assert_int_equal(run_call(f, n, &(struct call){.nr = SYS_rt_sigreturn}, ret, AUDIT_ARCH_X86_64),
			 ALLOW);
	assert_int_equal(
	    run_call(f, n, &(struct call){.nr = SYS_rt_sigreturn}, ret - 2, AUDIT_ARCH_X86_64), TRAP);
	expect(f, n, (struct call){SYS_arch_prctl, {0x1002}}, ALLOW);
	expect(f, n, (struct call){SYS_arch_prctl, {0x1001}}, ALLOW);
	expect(f, n, (struct call){SYS_arch_prctl, {0x1003 /* GET_FS */}}, TRAP);
	expect(f, n, (struct call){SYS_arch_prctl, {0x1002 | 1ULL << 32}}, TRAP);
	/* mmap: shared and fixed, of the memory file or the control region */
	expect(f, n, (struct call){SYS_mmap, {0x400000, 4096, 3, MAP_SHARED | MAP_FIXED, M}}, ALLOW);
	expect(f, n, (struct call){SYS_mmap, {0x400000, 4096, 3, MAP_SHARED | MAP_FIXED, C}}, ALLOW);
	expect(f, n, (struct call){SYS_mmap, {0x400000, 4096, 3, MAP_SHARED | MAP_FIXED, E}}, TRAP);
	expect(f, n, (struct call){SYS_mmap, {0x400000, 4096, 3, MAP_PRIVATE | MAP_FIXED, M}}, TRAP);
	expect(f, n, (struct call){SYS_mmap, {0, 4096, 3, MAP_SHARED, M}}, TRAP);
	expect(f, n,
	       (struct call){SYS_mmap,
			     {0x400000, 4096, 3, MAP_SHARED | MAP_FIXED | MAP_ANONYMOUS, M}},
	       TRAP);
	/* clone: a stub thread, or a new stub */
	expect(f, n, (struct call){SYS_clone, {ST_THREAD_CLONE_FLAGS}}, ALLOW);
	expect(f, n, (struct call){SYS_clone, {ST_STUB_CLONE_FLAGS}}, ALLOW);
	expect(f, n, (struct call){SYS_clone, {SIGCHLD}}, TRAP);
	expect(f, n, (struct call){SYS_clone, {ST_THREAD_CLONE_FLAGS | 0x00200000 /* PTRACE */}},
	       TRAP);
	expect(f, n, (struct call){SYS_clone, {ST_STUB_CLONE_FLAGS | 1ULL << 32}}, TRAP);
	/* prctl: the name, or death with the parent */
	expect(f, n, (struct call){SYS_prctl, {PR_SET_NAME, 0x1000}}, ALLOW);
	expect(f, n, (struct call){SYS_prctl, {PR_SET_PDEATHSIG, SIGKILL}}, ALLOW);
	expect(f, n, (struct call){SYS_prctl, {PR_SET_PDEATHSIG, SIGTERM}}, TRAP);
	expect(f, n, (struct call){SYS_prctl, {PR_SET_DUMPABLE, 1}}, TRAP);
	expect(f, n, (struct call){SYS_prctl, {PR_SET_NAME | 1ULL << 32}}, TRAP);
	/* write and recvmsg: the eventfd, the template's socket */
	expect(f, n, (struct call){SYS_write, {E}}, ALLOW);
	expect(f, n, (struct call){SYS_write, {T}}, ALLOW);
	expect(f, n, (struct call){SYS_write, {M}}, TRAP);
	expect(f, n, (struct call){SYS_write, {1}}, TRAP);
	expect(f, n, (struct call){SYS_recvmsg, {T}}, ALLOW);
	expect(f, n, (struct call){SYS_recvmsg, {E}}, TRAP);
	/* seccomp: add a filter (in notification mode with a listener), nothing else */
	uint64_t fl = sp->notif ? SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
				: 0;
	expect(f, n, (struct call){SYS_seccomp, {SECCOMP_SET_MODE_FILTER, fl, 0x1000}}, ALLOW);
	expect(f, n, (struct call){SYS_seccomp, {SECCOMP_SET_MODE_FILTER, fl ^ 8, 0x1000}}, TRAP);
	/* sendmsg: the listener socket only */
	expect(f, n, (struct call){SYS_sendmsg, {(uint64_t)sp->notif_fd_no}}, ALLOW);
	expect(f, n, (struct call){SYS_sendmsg, {E}}, TRAP);
	expect(f, n, (struct call){SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 1 /* TSYNC */}}, TRAP);
	expect(f, n, (struct call){SYS_seccomp, {SECCOMP_SET_MODE_STRICT}}, TRAP);
	/* rt_sigprocmask: unblock everything, and only that */
	expect(f, n, (struct call){SYS_rt_sigprocmask, {SIG_SETMASK, zero, 0, 8}}, ALLOW);
	expect(f, n, (struct call){SYS_rt_sigprocmask, {SIG_BLOCK, zero, 0, 8}}, TRAP);
	expect(f, n, (struct call){SYS_rt_sigprocmask, {SIG_SETMASK, zero + 8, 0, 8}}, TRAP);
	expect(f, n, (struct call){SYS_rt_sigprocmask, {SIG_SETMASK, zero, zero, 8}}, TRAP);
}

static void test_app_filter_allows_only_the_handler_needs(void **state)
{
	const struct st_platform *sp = sp_of();
	const struct sock_filter *f = sp->app;
	unsigned n = sp->app_len;
	check_sweep(f, n, st_app_allowed, st_app_allowed_n, true);
	uint64_t zero = sp->blob + ST_PARAMS_OFF + P_ZERO;
	uint64_t ret = st_restorer_ret_addr(sp);
	assert_int_equal(run_call(f, n, &(struct call){.nr = SYS_rt_sigreturn}, ret, AUDIT_ARCH_X86_64),
			 ALLOW);
	/* futex: wait and wake on thread areas only: not the leader's word */
	expect(f, n, (struct call){SYS_futex, {ST_TH_BASE, FUTEX_WAKE, 1}}, ALLOW);
	expect(f, n, (struct call){SYS_futex, {ST_TH_END - 4, FUTEX_WAIT, 1}}, ALLOW);
	expect(f, n, (struct call){SYS_futex, {ST_TH_END, FUTEX_WAKE, 1}}, TRAP);
	expect(f, n, (struct call){SYS_futex, {ST_CTL_BASE + RO_REQ_SEQ, FUTEX_WAKE, 1}}, TRAP);
	expect(f, n, (struct call){SYS_futex, {ST_TH_BASE, FUTEX_REQUEUE, 1}}, TRAP);
	expect(f, n, (struct call){SYS_futex, {ST_TH_BASE, FUTEX_WAKE_OP, 1}}, TRAP);
	expect(f, n, (struct call){SYS_futex, {ST_TH_BASE ^ 1ULL << 36, FUTEX_WAKE, 1}}, TRAP);
	expect(f, n, (struct call){SYS_arch_prctl, {0x1002}}, ALLOW);
	expect(f, n, (struct call){SYS_rt_sigprocmask, {SIG_SETMASK, zero, 0, 8}}, ALLOW);
	/* sigaltstack: a query of the syscall-patch trampoline, never a change */
	expect(f, n, (struct call){SYS_sigaltstack, {0, 0x7ffff0011000}}, ALLOW);
	expect(f, n, (struct call){SYS_sigaltstack, {0, 1ULL << 32}}, ALLOW);
	expect(f, n, (struct call){SYS_sigaltstack, {0x7ffff0011000, 0}}, TRAP);
	expect(f, n, (struct call){SYS_sigaltstack, {1ULL << 32, 0x1000}}, TRAP);
	/* What the leader and the template do: never from an app thread. */
	expect(f, n, (struct call){SYS_mmap, {0x400000, 4096, 3, MAP_SHARED | MAP_FIXED, 0}}, TRAP);
	expect(f, n, (struct call){SYS_clone, {ST_THREAD_CLONE_FLAGS}}, TRAP);
	expect(f, n, (struct call){SYS_write, {(uint64_t)sp->event_fd_no}}, TRAP);
	expect(f, n, (struct call){SYS_seccomp, {SECCOMP_SET_MODE_FILTER, 0, 0x1000}}, TRAP);
}

/* What the stubs load is what we checked. */
static void test_the_blob_carries_the_checked_filters(void **state)
{
	const struct st_platform *sp = sp_of();
	const char *params = (const char *)(uintptr_t)(sp->blob + ST_PARAMS_OFF);
	struct sock_fprog prog;
	memcpy(&prog, params + P_BASE_FPROG, sizeof(prog));
	assert_int_equal(prog.len, sp->base_len);
	assert_memory_equal(prog.filter, sp->base, sp->base_len * sizeof(struct sock_filter));
	memcpy(&prog, params + P_APP_FPROG, sizeof(prog));
	assert_int_equal(prog.len, sp->app_len);
	assert_memory_equal(prog.filter, sp->app, sp->app_len * sizeof(struct sock_filter));
}

/* ---- what the app can reach -------------------------------------------------- */

/* Run from rip = the blob's syscall instruction with rax = nr and the
 * arguments: the app thread makes that syscall from inside the stub. */
static void syscall_from_the_blob(struct env *e, long nr, const uint64_t a[6])
{
	uint64_t site = st_thread_trap_addr(sp_of());
	e->regs.rip = site;
	e->regs.rax = (unsigned long long)nr;
	e->regs.rdi = a[0];
	e->regs.rsi = a[1];
	e->regs.rdx = a[2];
	e->regs.r10 = a[3];
	e->regs.r8 = a[4];
	e->regs.r9 = a[5];
	assert_int_equal(sw(e), 0);
	assert_int_equal(e->ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e->regs.orig_rax, nr);
	assert_int_equal(e->regs.rip, site + 2);
}

/*
 * The app jumps onto a syscall instruction of the blob with registers of its
 * choosing: an mmap of the memory file, a wake of the leader's request word,
 * a write to the leader's eventfd, a new thread.  Each is an ordinary trap to
 * the Sentry; none reaches the host.
 */
static void test_app_jumping_into_the_stub_gets_no_host_syscall(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA2_VA);
	EMIT(&p, 0x48, 0x8b, 0x03); /* mov (%rbx),%rax */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = STUB_PID(e.as);
	const struct st_platform *sp = sp_of();
	const uint64_t map[6] = {DATA2_VA, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED,
				 (uint64_t)memfd, DATA2_OFF};
	syscall_from_the_blob(&e, SYS_mmap, map);
	const uint64_t wake[6] = {ST_CTL_BASE + RO_REQ_SEQ, FUTEX_WAKE, 1};
	syscall_from_the_blob(&e, SYS_futex, wake);
	const uint64_t wr[6] = {(uint64_t)sp->event_fd_no, STACK_VA, 8};
	syscall_from_the_blob(&e, SYS_write, wr);
	const uint64_t cl[6] = {ST_THREAD_CLONE_FLAGS, STACK_VA + PAGE};
	syscall_from_the_blob(&e, SYS_clone, cl);
	const uint64_t mp[6] = {DATA2_VA, PAGE, PROT_READ | PROT_WRITE};
	syscall_from_the_blob(&e, SYS_mprotect, mp);
	/* Nothing was mapped: the load faults; no thread was made. */
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA2_VA);
	assert_int_equal(e.ev.fault_code, SEGV_MAPERR);
	assert_int_equal(status_field(pid, 0, "Threads"), 2);
	assert_int_equal(DEATH_STATUS(e.as), 0);
	env_end(&e);
}

/* A thread writes a made-up trap into its slot (a frame outside its signal
 * stack) and spins: the Sentry refuses the frame and kills the stub, and
 * only it. */
static void test_a_forged_trap_kills_the_stub(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0xeb, 0xfe); /* jmp . (replaced below, once the slot is known) */
	struct env e;
	env_start(&e, &p);
	pid_t pid = STUB_PID(e.as);
	int slot = systrap_ctx_slot(e.ctx);
	assert_true(slot >= 0);
	struct prog q = {0};
	movabs_rbx(&q, ST_TH_BASE + (uint64_t)slot * ST_TH_SIZE);
	EMIT(&q, 0x48, 0xc7, 0x43, SL_UC, 0, 0, 0, 0); /* movq $0,SL_UC(%rbx) */
	EMIT(&q, 0xc7, 0x03, ST_STATE_EVENT, 0, 0, 0); /* movl $1,SL_STATE(%rbx) */
	if (sp_of()->notif) {
		/* The Sentry waits on the listener: the hand-off syscall. */
		mov_eax(&q, SYS_getppid);
		EMIT(&q, 0x48, 0xb9); /* movabs $the syscall,%rcx; jmp *%rcx */
		emit_imm64(&q, st_handoff_ret_addr(sp_of()) - 2);
		EMIT(&q, 0xff, 0xe1);
	}
	EMIT(&q, 0xeb, 0xfe);
	load_prog(&q, CODE_OFF);
	double t0 = now_s();
	assert_int_equal(sw(&e), -ESRCH);
	assert_true(now_s() - t0 < 2.0);
	int st = DEATH_STATUS(e.as);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	/* The platform goes on: another address space works. */
	struct env f;
	struct prog r = {0};
	trap60(&r);
	env_start(&f, &r);
	assert_int_equal(sw(&f), 0);
	assert_int_equal(f.ev.kind, PLAT_EV_SYSCALL);
	env_end(&f);
	env_end(&e);
	assert_true(gone(pid));
}

/*
 * A thread blocks every host signal with a crafted rt_sigreturn through the
 * stub's restorer, then spins: interrupts cannot reach it, and after about a
 * second of asking, the Sentry kills its stub rather than wait forever.
 */
static void test_a_thread_deaf_to_interrupts_is_killed(void **state)
{
	const struct st_platform *sp = sp_of();
	const uint64_t uc_va = DATA_VA + 0x100;
	struct prog p = {0};
	EMIT(&p, 0x48, 0xbc); /* movabs $uc_va,%rsp */
	emit_imm64(&p, uc_va);
	jmp_abs(&p, st_restorer_addr(sp));
	size_t loop = p.n;
	EMIT(&p, 0xeb, 0xfe); /* jmp . */
	/* The frame rt_sigreturn reads at rsp. */
	uint64_t fr[40] = {0};
	fr[3] = 2; /* uc_stack.ss_flags = SS_DISABLE */
	uint64_t *g = &fr[5];
	g[REG_RIP] = CODE_VA + loop;
	g[REG_RSP] = STACK_VA + PAGE;
	g[REG_EFL] = 0x202;
	g[REG_CSGSFS] = 0x33 | 0x2bULL << 48;
	fr[5 + NGREG + 9] = ~0ULL; /* uc_sigmask: all */
	assert_int_equal(pwrite(memfd, fr, sizeof(fr), DATA_OFF + 0x100), (ssize_t)sizeof(fr));
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	struct intr_arg ia = {e.ctx, 100};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, interrupter, &ia), 0);
	double t0 = now_s();
	assert_int_equal(sw(&e), -ESRCH);
	double dt = now_s() - t0;
	pthread_join(t, NULL);
	print_message("a deaf thread was given up after %.2f s\n", dt);
	assert_true(dt > 0.8 && dt < 5.0);
	int st = DEATH_STATUS(e.as);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	env_end(&e);
}

/* The fs and gs bases reach the app (they are not in a signal frame). */
static void test_fs_and_gs_bases_reach_the_app(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0x64, 0x48, 0x8b, 0x3c, 0x25, 0x08, 0, 0, 0); /* mov %fs:8,%rdi */
	EMIT(&p, 0x65, 0x48, 0x8b, 0x34, 0x25, 0x10, 0, 0, 0); /* mov %gs:16,%rsi */
	trap60(&p);
	const uint64_t a = 0xa1a2a3a4a5a6a7a8ULL, b = 0xb1b2b3b4b5b6b7b8ULL,
		       c = 0xc1c2c3c4c5c6c7c8ULL;
	assert_int_equal(pwrite(memfd, &a, 8, DATA_OFF + 8), 8);
	assert_int_equal(pwrite(memfd, &b, 8, DATA2_OFF + 16), 8);
	assert_int_equal(pwrite(memfd, &c, 8, DATA2_OFF + 8), 8);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	assert_int_equal(ops->as_map(e.as, DATA2_VA, PAGE, PROT_READ, DATA2_OFF), 0);
	e.regs.rip = CODE_VA;
	e.regs.fs_base = DATA_VA;
	e.regs.gs_base = DATA2_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.rdi, a);
	assert_int_equal(e.regs.rsi, b);
	assert_int_equal(e.regs.fs_base, DATA_VA);
	assert_int_equal(e.regs.gs_base, DATA2_VA);
	/* Changed between two runs. */
	e.regs.rip = CODE_VA;
	e.regs.fs_base = DATA2_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.regs.rdi, c);
	assert_int_equal(e.regs.rsi, b);
	env_end(&e);
}

/* The CPUs host thread tid (0: the caller) may run on. */
static cpu_set_t affinity_of(pid_t tid)
{
	cpu_set_t set;
	assert_int_equal(sched_getaffinity(tid, sizeof(set), &set), 0);
	return set;
}

/* The run before the next switch counts as short (not computing): on a
 * loaded machine even a run of a few instructions can last longer than
 * ST_LONG_RUN_US, and the tie tests need the next resume to tie. */
static void ran_short(struct env *e) { e->ctx->long_run = false; }

/* With two CPUs or more, a hand-off stays on one CPU (systrap_cpu.c): the
 * Sentry thread, its stub thread and the leader all tied to the CPU the
 * Sentry thread runs on; a thread about to sleep in the Sentry parks (or,
 * with VISOR_SYSTRAP_PARK=0, lets go). */
static void test_hand_offs_stay_on_one_cpu(void **state)
{
	if (!sp_of()->colocate)
		skip(); /* one CPU, or spinning asked for */
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	e.regs.rip = CODE_VA;
	ran_short(&e);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	cpu_set_t mine = affinity_of(0), stub = affinity_of(systrap_ctx_tid(e.ctx));
	assert_int_equal(CPU_COUNT(&mine), 1);
	assert_true(CPU_EQUAL(&mine, &stub));
	const long args[6] = {0};
	assert_true(systrap_as_leader_call(e.as, SYS_getppid, args) > 0);
	cpu_set_t leader = affinity_of(systrap_as_stub_pid(e.as));
	assert_true(CPU_EQUAL(&mine, &leader));
	int here = -1;
	for (int c = 0; c < CPU_SETSIZE && here < 0; c++)
		if (CPU_ISSET(c, &mine))
			here = c;
	int tied = atomic_load(&sp_of()->tied[here]);
	ops->context_blocking(e.ctx);
	cpu_set_t after = affinity_of(0);
	if (sp_of()->park) {
		/* Asleep in the Sentry, it keeps its CPU but does not count
		 * there; woken by a task on another CPU, it follows it, and
		 * its stub thread follows at the resume. */
		assert_true(CPU_EQUAL(&after, &mine));
		assert_int_equal(atomic_load(&sp_of()->tied[here]), tied - 1);
		int other = -1;
		for (int c = 0; c < CPU_SETSIZE && other < 0; c++)
			if (c != here && CPU_ISSET(c, &sp_of()->cpus))
				other = c;
		int tied_other = atomic_load(&sp_of()->tied[other]);
		ops->context_woken(e.ctx, other);
		after = affinity_of(0);
		assert_int_equal(CPU_COUNT(&after), 1);
		assert_true(CPU_ISSET(other, &after));
		e.regs.rip = CODE_VA;
		ran_short(&e);
		assert_int_equal(sw(&e), 0);
		stub = affinity_of(systrap_ctx_tid(e.ctx));
		assert_true(CPU_EQUAL(&after, &stub));
		assert_int_equal(atomic_load(&sp_of()->tied[here]), tied - 1);
		assert_int_equal(atomic_load(&sp_of()->tied[other]), tied_other + 1);
		/* Woken by no task (the netstack, a timer): its next sleep
		 * lets go of the CPU, and the resume after ties it again. */
		ops->context_blocking(e.ctx);
		ops->context_woken(e.ctx, -1);
		after = affinity_of(0);
		assert_int_equal(CPU_COUNT(&after), 1); /* no move without a waker */
		ops->context_blocking(e.ctx);
		after = affinity_of(0);
		assert_true(CPU_EQUAL(&after, &sp_of()->cpus));
		assert_int_equal(atomic_load(&sp_of()->tied[other]), tied_other);
		e.regs.rip = CODE_VA;
		ran_short(&e);
		assert_int_equal(sw(&e), 0);
	} else {
		assert_true(CPU_EQUAL(&after, &sp_of()->cpus));
		/* Tied again at the next resume. */
		e.regs.rip = CODE_VA;
		ran_short(&e);
		assert_int_equal(sw(&e), 0);
	}
	mine = affinity_of(0);
	assert_int_equal(CPU_COUNT(&mine), 1);
	env_end(&e);
	mine = affinity_of(0);
	assert_true(CPU_EQUAL(&mine, &sp_of()->cpus)); /* the context's end */
}

/* App code that computes between traps (longer than ST_LONG_RUN_US) runs
 * untied: the host balances it.  A short run first, so that the computing
 * run starts tied. */
static void test_a_computing_thread_runs_untied(void **state)
{
	if (!sp_of()->colocate)
		skip();
	struct prog p = {0};
	mov_eax(&p, 60);
	sys(&p);				/* the short run ends here */
	EMIT(&p, 0xb9, 0x00, 0x00, 0x00, 0x10); /* mov $0x10000000,%ecx: ~0.1 s */
	EMIT(&p, 0xff, 0xc9);			/* 1: dec %ecx */
	EMIT(&p, 0x75, 0xfc);			/* jnz 1b */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	ran_short(&e);
	assert_int_equal(sw(&e), 0); /* the computing run, from after the first trap */
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	cpu_set_t stub = affinity_of(systrap_ctx_tid(e.ctx));
	assert_int_equal(CPU_COUNT(&stub), 1); /* it ran tied */
	assert_true(e.ctx->long_run);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	stub = affinity_of(systrap_ctx_tid(e.ctx));
	assert_true(CPU_EQUAL(&stub, &sp_of()->cpus));
	env_end(&e);
}

/* A CPU the cgroup's cpuset has lost since start-up (docker update
 * --cpuset-cpus): the first tie to it fails, and no tie tries it again.
 * Played with a CPU number no machine here has, made the least loaded. */
static void test_a_cpu_the_cpuset_lost_is_left(void **state)
{
	struct st_platform *sp = (struct st_platform *)sp_of();
	const int gone = CPU_SETSIZE - 1;
	if (!sp->colocate || gone < sp->cpu_end)
		skip();
	int end = sp->cpu_end;
	for (int c = 0; c < end; c++)
		atomic_fetch_add(&sp->tied[c], 8);
	CPU_SET(gone, &sp->cpus);
	sp->cpu_end = CPU_SETSIZE;
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	e.regs.rip = CODE_VA;
	ran_short(&e);
	assert_int_equal(sw(&e), 0);
	assert_true(atomic_load(&sp->cpu_gone[gone]));
	e.regs.rip = CODE_VA;
	ran_short(&e);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	cpu_set_t mine = affinity_of(0), stub = affinity_of(systrap_ctx_tid(e.ctx));
	assert_int_equal(CPU_COUNT(&mine), 1);
	assert_false(CPU_ISSET(gone, &mine));
	assert_true(CPU_EQUAL(&mine, &stub));
	env_end(&e);
	CPU_CLR(gone, &sp->cpus);
	sp->cpu_end = end;
	atomic_store(&sp->cpu_gone[gone], false);
	for (int c = 0; c < end; c++)
		atomic_fetch_sub(&sp->tied[c], 8);
}

/* Vector state the Sentry had when the template was forked (set in
 * group_setup_systrap) never reaches a stub thread: the FXSAVE area the
 * Sentry controls does not cover zmm16-31. */
static void test_no_vector_state_of_the_sentry_reaches_the_app(void **state)
{
	if (!__builtin_cpu_supports("avx512f"))
		skip();
	struct prog p = {0};
	EMIT(&p, 0x62, 0x61, 0xfd, 0x08, 0x7e, 0xff); /* vmovq %xmm31,%rdi */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	e.regs.rdi = 1;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.rdi, 0);
	env_end(&e);
}

/* ---- threads and the leader ------------------------------------------------------ */

static void test_threads_share_memory_and_spares_are_reused(void **state)
{
	struct env e;
	two_threads_start(&e);
	assert_int_equal(ops->as_prepare_thread(e.as), 0);
	struct thr b = {.as = e.as, .rip = CODE_VA + 0x80};
	run_thread(&b);
	assert_int_equal(b.ret, 0);
	assert_int_equal(b.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(b.regs.orig_rax, 60);
	assert_int_equal(b.regs.rdi, 42); /* saw A's store */
	/* B's thread stays, parked, and C gets it. */
	pid_t pid = STUB_PID(e.as);
	assert_int_equal(status_field(pid, 0, "Threads"), 3); /* leader, A's, B's */
	struct thr c = {.as = e.as, .rip = CODE_VA + 0x80};
	run_thread(&c);
	assert_int_equal(c.ret, 0);
	assert_int_equal(c.regs.rdi, 42);
	assert_int_equal(status_field(pid, 0, "Threads"), 3);
	/* A sees B's store. */
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 77);
	env_end(&e);
	assert_true(gone(pid));
}

/* Once as_unmap (or a protect) returns, a thread running right then has
 * lost the access: the leader is done, not just asked. */
static void test_unmap_and_protect_hold_when_they_return(void **state)
{
	for (int protect = 0; protect < 2; protect++) {
		struct prog p = {0};
		movabs_rbx(&p, DATA_VA);
		if (protect)
			EMIT(&p, 0x48, 0xc7, 0x03, 0x01, 0, 0, 0); /* movq $1,(%rbx) */
		else
			EMIT(&p, 0x48, 0x8b, 0x03); /* mov (%rbx),%rax */
		EMIT(&p, 0xeb, protect ? 0xf7 : 0xfb);	   /* jmp back to the access */
		struct env e;
		env_start(&e, &p);
		assert_int_equal(
		    ops->as_map(e.as, DATA_VA, PAGE, PROT_READ | PROT_WRITE, DATA_OFF), 0);
		struct thr s = {.as = e.as, .rip = CODE_VA};
		pthread_t t;
		assert_int_equal(pthread_create(&t, NULL, thr_run, &s), 0);
		struct timespec ts = {0, 100 * 1000000L};
		nanosleep(&ts, NULL);
		double t0 = now_s();
		if (protect)
			assert_int_equal(ops->as_protect(e.as, DATA_VA, PAGE, PROT_READ), 0);
		else
			assert_int_equal(ops->as_unmap(e.as, DATA_VA, PAGE), 0);
		pthread_join(t, NULL);
		assert_int_equal(s.ret, 0);
		assert_int_equal(s.ev.kind, PLAT_EV_FAULT);
		assert_int_equal(s.ev.fault_addr, DATA_VA);
		assert_int_equal(s.ev.fault_code, protect ? SEGV_ACCERR : SEGV_MAPERR);
		assert_true(s.t_end - t0 < 1.0);
		env_end(&e);
	}
}

/* While no context of the address space runs app code, maps and protects
 * wait and go to the leader in one request, before the next context runs. */
static void test_maps_and_protects_go_in_one_request(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0x8b, 0x3b); /* mov (%rbx),%rdi */
	movabs_rbx(&p, DATA2_VA);
	EMIT(&p, 0x48, 0x8b, 0x33); /* mov (%rbx),%rsi */
	trap60(&p);
	const uint64_t a = 0x1111, b = 0x2222;
	assert_int_equal(pwrite(memfd, &a, 8, DATA_OFF), 8);
	assert_int_equal(pwrite(memfd, &b, 8, DATA2_OFF), 8);
	struct env e;
	env_start(&e, &p);
	unsigned n0 = systrap_as_requests(e.as);
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	assert_int_equal(ops->as_map(e.as, DATA2_VA, PAGE, PROT_READ | PROT_WRITE, DATA2_OFF), 0);
	assert_int_equal(ops->as_protect(e.as, DATA2_VA, PAGE, PROT_READ), 0);
	assert_int_equal(systrap_as_requests(e.as), n0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, a);
	assert_int_equal(e.regs.rsi, b);
	assert_int_equal(systrap_as_requests(e.as), n0 + 1);
	/* An unmap is done when it returns, with what was queued before it. */
	assert_int_equal(ops->as_map(e.as, DATA_VA + PAGE, PAGE, PROT_READ, DATA_OFF), 0);
	assert_int_equal(ops->as_unmap(e.as, DATA_VA, PAGE), 0);
	assert_int_equal(systrap_as_requests(e.as), n0 + 2);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA_VA);
	assert_int_equal(systrap_as_requests(e.as), n0 + 2);
	env_end(&e);
}

/*
 * A fork as the Sentry does one: the child is a new address space (a stub
 * of its own, forked by the template), the parent's writable page becomes
 * copy-on-write (protected read-only, queued, in force before the parent
 * runs again), and both map the same frame.  The child reads what the
 * parent wrote before; the parent's next write faults (SEGV_ACCERR).
 */
static void test_fork_shares_a_frame_copy_on_write(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0x8b, 0x3b);				  /* mov (%rbx),%rdi */
	EMIT(&p, 0x48, 0xc7, 0x03, 0x07, 0x00, 0x00, 0x00);	  /* movq $7,(%rbx) */
	trap60(&p);
	const uint64_t before = 0xb4b4b4b4;
	assert_int_equal(pwrite(memfd, &before, 8, DATA_OFF), 8);
	struct env par;
	env_start(&par, &p);
	assert_int_equal(ops->as_map(par.as, DATA_VA, PAGE, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	/* fork */
	struct env ch = {.as = ops->new_addr_space(plat), .ctx = ops->new_context(plat)};
	assert_int_equal(ops->as_protect(par.as, DATA_VA, PAGE, PROT_READ), 0);
	ch.regs.rip = CODE_VA;
	ch.regs.rsp = STACK_VA + PAGE;
	assert_int_equal(sw(&ch), 0);
	assert_int_equal(ch.ev.kind, PLAT_EV_FAULT); /* nothing mapped in the child yet */
	assert_true(STUB_PID(ch.as) != STUB_PID(par.as));
	assert_int_equal(ops->as_map(ch.as, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	assert_int_equal(ops->as_map(ch.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	assert_int_equal(sw(&ch), 0);
	assert_int_equal(ch.ev.kind, PLAT_EV_FAULT); /* its write: copy-on-write */
	assert_int_equal(ch.ev.fault_addr, DATA_VA);
	assert_int_equal(ch.ev.fault_code, SEGV_ACCERR);
	assert_int_equal(ch.regs.rdi, before);
	assert_int_equal(sw(&par), 0);
	assert_int_equal(par.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(par.ev.fault_code, SEGV_ACCERR);
	assert_int_equal(par.regs.rdi, before);
	uint64_t now = 0;
	assert_int_equal(pread(memfd, &now, 8, DATA_OFF), 8);
	assert_int_equal(now, before); /* nobody wrote the shared frame */
	env_end(&ch);
	env_end(&par);
}

/* Many Sentry threads trap at once in one address space. */
static void test_many_threads_trap_at_once(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39);
	sys(&p);
	EMIT(&p, 0xeb, 0xf7); /* loop: getpid */
	struct env e;
	env_start(&e, &p);
	enum { N = 24 };
	struct thr s[N];
	pthread_t t[N];
	for (int i = 0; i < N; i++) {
		s[i] = (struct thr){.as = e.as, .rip = CODE_VA, .serve = 300};
		assert_int_equal(pthread_create(&t[i], NULL, thr_run, &s[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(s[i].ret, 0);
		assert_int_equal(s[i].ev.kind, PLAT_EV_SYSCALL);
		assert_int_equal(s[i].regs.orig_rax, 39);
	}
	/* A thread whose context was released early may have served another. */
	long threads = status_field(STUB_PID(e.as), 0, "Threads");
	assert_true(threads >= 3 && threads <= N + 2);
	env_end(&e);
}

/* SIGKILL of a stub from outside ends its address space: a running switch
 * returns -ESRCH, the release reaps it. */
static void test_stub_killed_from_outside_ends_the_address_space(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0xeb, 0xfe); /* jmp . */
	struct env e;
	env_start(&e, &p);
	struct thr s = {.as = e.as, .rip = CODE_VA};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, thr_run, &s), 0);
	struct timespec ts = {0, 50 * 1000000L};
	nanosleep(&ts, NULL);
	pid_t pid = STUB_PID(e.as);
	double t0 = now_s();
	assert_int_equal(kill(pid, SIGKILL), 0);
	pthread_join(t, NULL);
	assert_int_equal(s.ret, -ESRCH);
	assert_true(s.t_end - t0 < 1.0);
	int st = DEATH_STATUS(e.as);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGKILL);
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), -ESRCH);
	assert_int_equal(ops->as_host_pid(e.as), 0);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), -ESRCH);
	env_end(&e);
	assert_true(gone(pid));
}

/* The leader's requests: a failed map reports the host's error; an op on
 * a stub the leader cannot serve says so. */
static void test_leader_reports_a_failed_map(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	/* Past the end of the memory file's mapping limit: the host refuses
	 * (EINVAL for an offset that overflows). */
	const long bad[6] = {DATA_VA, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, memfd,
			     (long)0x7ffffffffffff000};
	long r = systrap_as_leader_call(e.as, SYS_mmap, bad);
	assert_true(r < 0 && r != -ESRCH);
	const long ok[6] = {DATA_VA, PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, memfd, DATA_OFF};
	assert_int_equal(systrap_as_leader_call(e.as, SYS_mmap, ok), DATA_VA);
	assert_int_equal(DEATH_STATUS(e.as), 0);
	env_end(&e);
}


/* The Sentry's vector registers hold something when the template is forked:
 * a stub thread must not see it (test_no_vector_state_of_the_sentry...). */
static int group_setup_systrap(void **state)
{
	if (__builtin_cpu_supports("avx512f"))
		__asm__ volatile(".byte 0x62, 0x03, 0x05, 0x40, 0x25, 0xff, 0xff" /* vpternlogd
										     $0xff, all ones */
				 ::: "memory");
	return group_setup(state);
}

/* The lines of /proc/<pid>/maps that start in [lo, hi). */
static int maps_between(pid_t pid, uint64_t lo, uint64_t hi)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t start = strtoull(line, NULL, 16);
		n += start >= lo && start < hi;
	}
	fclose(f);
	return n;
}

#define SECRET 0x5ec7e75ec7e75ec7ULL

/*
 * execve's reuse of a stub (as_recycle): the new address space gets the old
 * one's host process, with none of the old program's mappings, and none of
 * what it left in the thread areas every app thread can read: here a parked
 * spare's frame, which held the secret in rbx.  The new program counts the
 * secret in the first two areas and finds none; the parked threads serve it.
 */
static void test_a_recycled_stub_keeps_nothing_of_the_old_program(void **state)
{
	/* Old program: A (the exec'ing thread) reads DATA_VA and traps; B
	 * loads the secret and traps, then stays parked as a spare. */
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0x8b, 0x03); /* mov (%rbx),%rax */
	trap60(&p);
	struct prog q = {0};
	movabs_rbx(&q, SECRET);
	trap60(&q);
	struct env e;
	env_start(&e, &p);
	load_prog(&q, CODE_OFF + 0x80);
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(ops->as_prepare_thread(e.as), 0);
	struct thr b = {.as = e.as, .rip = CODE_VA + 0x80};
	run_thread(&b);
	assert_int_equal(b.ret, 0);
	assert_int_equal(b.regs.rbx, SECRET);
	pid_t pid = STUB_PID(e.as);
	assert_true(maps_between(pid, DATA_VA, DATA_VA + PAGE) == 1);

	/* The new program, elsewhere in the memory file: count the qwords
	 * equal to the secret in the first two thread areas. */
	struct prog n = {0};
	EMIT(&n, 0x48, 0xbe);
	emit_imm64(&n, ST_TH_BASE); /* movabs $ST_TH_BASE,%rsi */
	EMIT(&n, 0x48, 0xb9);
	emit_imm64(&n, ST_TH_BASE + 2 * ST_TH_SIZE); /* movabs ...,%rcx */
	EMIT(&n, 0x48, 0xba);
	emit_imm64(&n, SECRET);		  /* movabs $SECRET,%rdx */
	EMIT(&n, 0x31, 0xff);		  /* xor %edi,%edi */
	EMIT(&n, 0x48, 0x3b, 0x16);	  /* 1: cmp (%rsi),%rdx */
	EMIT(&n, 0x75, 0x03);		  /* jne 2f */
	EMIT(&n, 0x48, 0xff, 0xc7);	  /* inc %rdi */
	EMIT(&n, 0x48, 0x83, 0xc6, 0x08); /* 2: add $8,%rsi */
	EMIT(&n, 0x48, 0x39, 0xce);	  /* cmp %rcx,%rsi */
	EMIT(&n, 0x72, 0xef);		  /* jb 1b */
	trap60(&n);
	load_prog(&n, DATA2_OFF);
	struct addr_space *fresh = ops->new_addr_space(plat);
	assert_non_null(fresh);
	unsigned reqs = systrap_as_requests(e.as);
	assert_int_equal(ops->as_map(fresh, CODE_VA, PAGE, PROT_READ | PROT_EXEC, DATA2_OFF), 0);
	assert_int_equal(ops->as_recycle(e.as, fresh), 0);
	assert_int_equal(STUB_PID(fresh), pid); /* the same host process */
	assert_int_equal(ops->as_map(fresh, STACK_VA, PAGE, PROT_READ | PROT_WRITE, STACK_OFF), 0);
	e.as = fresh;
	memset(&e.regs, 0, sizeof(e.regs));
	e.regs.rip = CODE_VA;
	e.regs.rsp = STACK_VA + PAGE;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 0);
	/* The emptying and the new program's maps (made before and after the
	 * hand-over) went in one request, before its first instruction: only
	 * what the new program mapped; DATA_VA is gone. */
	assert_int_equal(systrap_as_requests(fresh), reqs + 1);
	assert_int_equal(maps_between(pid, 0x10000, PLAT_APP_TOP), 2);
	/* The spare of the old program serves a thread of the new one. */
	struct prog r = {0};
	movabs_rbx(&r, DATA_VA);
	EMIT(&r, 0x48, 0x8b, 0x03); /* mov (%rbx),%rax */
	trap60(&r);
	load_prog(&r, DATA2_OFF + 0x80);
	assert_int_equal(ops->as_prepare_thread(fresh), 0);
	struct thr c = {.as = fresh, .rip = CODE_VA + 0x80};
	run_thread(&c);
	assert_int_equal(c.ret, 0);
	assert_int_equal(c.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(c.ev.fault_addr, DATA_VA);
	assert_int_equal(c.ev.fault_code, SEGV_MAPERR);
	assert_int_equal(status_field(pid, 0, "Threads"), 3); /* leader, A's, B's: no new one */
	env_end(&e);
	assert_true(gone(pid));
}

/* A stub can be recycled again and again (fork, exec, exec...), and an
 * address space whose stub is gone is not recycled. */
static void test_recycling_repeats_and_refuses_a_dead_stub(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = STUB_PID(e.as);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(sw(&e), 0);
		assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
		struct addr_space *fresh = ops->new_addr_space(plat);
		assert_non_null(fresh);
		assert_int_equal(ops->as_recycle(e.as, fresh), 0);
		e.as = fresh;
		assert_int_equal(STUB_PID(e.as), pid);
		assert_int_equal(ops->as_map(e.as, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF),
				 0);
		memset(&e.regs, 0, sizeof(e.regs));
		e.regs.rip = CODE_VA;
		e.regs.rsp = STACK_VA + PAGE;
	}
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(sw(&e), -ESRCH);
	struct addr_space *fresh = ops->new_addr_space(plat);
	assert_int_equal(ops->as_recycle(e.as, fresh), -ESRCH);
	ops->as_release(fresh);
	env_end(&e);
	assert_true(gone(pid));
}

/* Once a second stub was asked for (a fork), the pool thread keeps one
 * ready: the next new address space gets it, without waiting for the
 * template, and another is made ready after it. */
/* The pool's last stub once it holds at least n (waiting up to 5 s for the
 * pool thread), or NULL. */
static struct addr_space *pool_top(unsigned n)
{
	struct st_platform *sp = plat->priv;
	struct addr_space *a = NULL;
	for (int i = 0; i < 500; i++) {
		vmutex_lock(&sp->pool_lock);
		a = sp->npool >= n ? sp->pool[sp->npool - 1] : NULL;
		vmutex_unlock(&sp->pool_lock);
		if (a)
			break;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return a;
}

static void test_a_ready_stub_goes_to_the_next_address_space(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env a, b;
	env_start(&a, &p);
	env_start(&b, &p);
	struct addr_space *ready = pool_top(1);
	assert_non_null(ready);
	pid_t pid = STUB_PID(ready);
	assert_true(pid > 0);
	struct env c;
	env_start(&c, &p);
	assert_int_equal(STUB_PID(c.as), pid);
	assert_int_equal(sw(&c), 0);
	assert_int_equal(c.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(c.regs.orig_rax, 60);
	struct addr_space *next = pool_top(1);
	assert_non_null(next);
	assert_true(STUB_PID(next) != pid);
	env_end(&a);
	env_end(&b);
	env_end(&c);
	assert_true(gone(pid));
}

/* Is the stub of pid in the pool, emptied (no op queued)?  Waits up to
 * 5 s for the pool thread. */
static bool pooled_emptied(pid_t pid)
{
	struct st_platform *sp = plat->priv;
	for (int i = 0; i < 500; i++) {
		bool found = false;
		vmutex_lock(&sp->pool_lock);
		for (unsigned k = 0; k < sp->npool; k++)
			found |= STUB_PID(sp->pool[k]) == pid && !sp->pool[k]->nqueued;
		vmutex_unlock(&sp->pool_lock);
		if (found)
			return true;
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return false;
}

/* A released address space's stub goes to the pool, where the pool thread
 * empties it before anyone takes it (the host unmaps the old program's
 * memory then, not in the next fork's first request): the next address
 * space gets it, its spare thread and nothing of the old program's
 * memory. */
static void test_a_released_stub_goes_to_the_pool_emptied(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env a;
	env_start(&a, &p);
	assert_int_equal(ops->as_map(a.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	a.regs.rip = CODE_VA;
	assert_int_equal(sw(&a), 0);
	assert_int_equal(a.ev.kind, PLAT_EV_SYSCALL);
	struct st_platform *sp = plat->priv;
	sp->recycle = true; /* off for the other tests (main) */
	/* Once the pool thread made its one stub it rests (it makes one only
	 * into an empty pool): a's goes on top, and the next take is a's. */
	assert_non_null(pool_top(1));
	pid_t pid = STUB_PID(a.as);
	assert_int_equal(maps_between(pid, DATA_VA, DATA_VA + PAGE), 1);
	ops->context_release(a.ctx);
	ops->as_release(a.as);
	assert_true(proc_exists(pid));
	assert_true(pooled_emptied(pid));
	assert_int_equal(maps_between(pid, DATA_VA, DATA_VA + PAGE), 0);
	struct prog q = {0};
	EMIT(&q, 0x48, 0xa1); /* movabs DATA_VA,%rax: a load */
	emit_imm64(&q, DATA_VA);
	trap60(&q);
	struct env c;
	env_start(&c, &q);
	assert_int_equal(STUB_PID(c.as), pid);
	c.regs.rip = CODE_VA;
	assert_int_equal(sw(&c), 0);
	assert_int_equal(c.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(c.ev.fault_addr, DATA_VA);
	assert_int_equal(c.ev.fault_code, SEGV_MAPERR);
	env_end(&c);
	sp->recycle = false;
}

/*
 * Notification mode: an app syscall (not one that needs the registers)
 * comes as a partial event (number, arguments, rip); a resume that changes
 * rax alone answers it, and the app sees the result with its other
 * registers intact; asked for, the registers in full are the app's, with
 * what the Sentry set of the partial ones.
 */
static void test_an_app_syscall_comes_partial_and_full_registers_on_demand(void **state)
{
	if (!sp_of()->notif)
		skip();
	struct prog p = {0};
	movabs_rbx(&p, 0x1122334455667788ULL);
	for (int i = 0; i < 2; i++) {
		mov_eax(&p, SYS_getppid);
		EMIT(&p, 0xbf, 7, 0, 0, 0);	  /* mov $7,%edi */
		sys(&p);
		EMIT(&p, 0x48, 0x89, 0xc7); /* mov %rax,%rdi */
		mov_eax(&p, 60);
		sys(&p);
	}
	EMIT(&p, 0xeb, 0xfe);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_true(e.ev.partial);
	assert_int_equal(e.regs.orig_rax, SYS_getppid);
	assert_int_equal(e.regs.rdi, 7);
	uint64_t site = e.regs.rip;
	/* The answer alone. */
	e.regs.rax = 42;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_false(e.ev.partial); /* exit traps */
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 42);
	assert_int_equal(e.regs.rbx, 0x1122334455667788ULL);
	assert_int_equal(e.regs.rip, site + 10);
	/* The registers in full, then a resume through the frame. */
	assert_int_equal(sw(&e), 0);
	assert_true(e.ev.partial);
	e.regs.rax = 43;
	e.regs.rbx = 0;
	assert_int_equal(ops->context_full_regs(e.ctx, &e.regs), 0);
	assert_int_equal(e.regs.rbx, 0x1122334455667788ULL);
	assert_int_equal(e.regs.rax, 43);
	assert_int_equal(e.regs.orig_rax, SYS_getppid);
	e.regs.rbx = 5;
	assert_int_equal(sw(&e), 0);
	assert_false(e.ev.partial);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 43);
	assert_int_equal(e.regs.rbx, 5);
	env_end(&e);
}

/* Notification mode: a resume that moves rip (a restart) takes the thread
 * through its hand-off, whatever else it kept. */
static void test_a_restart_of_an_app_syscall_goes_through_the_frame(void **state)
{
	if (!sp_of()->notif)
		skip();
	struct prog p = {0};
	mov_eax(&p, SYS_getppid);
	sys(&p);
	EMIT(&p, 0x48, 0x89, 0xc7); /* mov %rax,%rdi */
	mov_eax(&p, 60);
	sys(&p);
	EMIT(&p, 0xeb, 0xfe);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_true(e.ev.partial);
	uint64_t site = e.regs.rip;
	e.regs.rip -= 2;
	e.regs.rax = SYS_getppid;
	assert_int_equal(sw(&e), 0);
	assert_true(e.ev.partial);
	assert_int_equal(e.regs.rip, site); /* the same call, made again */
	e.regs.rax = 9;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 9);
	env_end(&e);
}

int main(void)
{
	/* Released stubs are killed, as the common tests expect; recycling
	 * into the pool is tested on its own (turned on there). */
	setenv("VISOR_SYSTRAP_RECYCLE", "0", 1);
	const struct CMUnitTest tests[] = {
	    PLAT_COMMON_TESTS,
	    cmocka_unit_test(test_stub_holds_only_blob_control_region_memfd_and_filters),
	    cmocka_unit_test(test_base_filter_allows_its_table_and_traps_the_rest),
	    cmocka_unit_test(test_app_filter_allows_only_the_handler_needs),
	    cmocka_unit_test(test_the_blob_carries_the_checked_filters),
	    cmocka_unit_test(test_app_jumping_into_the_stub_gets_no_host_syscall),
	    cmocka_unit_test(test_a_forged_trap_kills_the_stub),
	    cmocka_unit_test(test_a_thread_deaf_to_interrupts_is_killed),
	    cmocka_unit_test(test_fs_and_gs_bases_reach_the_app),
	    cmocka_unit_test(test_no_vector_state_of_the_sentry_reaches_the_app),
	    cmocka_unit_test(test_threads_share_memory_and_spares_are_reused),
	    cmocka_unit_test(test_hand_offs_stay_on_one_cpu),
	    cmocka_unit_test(test_a_computing_thread_runs_untied),
	    cmocka_unit_test(test_a_cpu_the_cpuset_lost_is_left),
	    cmocka_unit_test(test_unmap_and_protect_hold_when_they_return),
	    cmocka_unit_test(test_maps_and_protects_go_in_one_request),
	    cmocka_unit_test(test_fork_shares_a_frame_copy_on_write),
	    cmocka_unit_test(test_many_threads_trap_at_once),
	    cmocka_unit_test(test_stub_killed_from_outside_ends_the_address_space),
	    cmocka_unit_test(test_leader_reports_a_failed_map),
	    cmocka_unit_test(test_a_recycled_stub_keeps_nothing_of_the_old_program),
	    cmocka_unit_test(test_recycling_repeats_and_refuses_a_dead_stub),
	    cmocka_unit_test(test_a_ready_stub_goes_to_the_next_address_space),
	    cmocka_unit_test(test_a_released_stub_goes_to_the_pool_emptied),
	    cmocka_unit_test(test_an_app_syscall_comes_partial_and_full_registers_on_demand),
	    cmocka_unit_test(test_a_restart_of_an_app_syscall_goes_through_the_frame),
	};
	/* Both modes of the hand-off: signal and futex, then (where the
	 * kernel has it: Linux 6.6) seccomp notifications. */
	setenv("VISOR_SYSTRAP_NOTIF", "0", 1);
	int failed = cmocka_run_group_tests(tests, group_setup_systrap, group_teardown);
	unsetenv("VISOR_SYSTRAP_NOTIF");
	return failed + cmocka_run_group_tests(tests, group_setup_systrap, group_teardown);
}
