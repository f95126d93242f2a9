/*
 * Unit tests for the ptrace platform (platform/ptrace/).  They run tiny
 * x86-64 programs written into a memfd, in real stub processes; root (or
 * CAP_SYS_PTRACE over our own children) is enough.
 */
/* cmocka.h needs these three first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <dirent.h>
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
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

#include "platform/platform.h"
#include "platform/ptrace/ptrace_internal.h"

#define MEM_SIZE (8ULL << 20)
#define PAGE PAGE_SIZE
/* App addresses, and where in the memory file they are backed. */
#define CODE_VA 0x400000ULL
#define CODE_OFF 0x0ULL
#define STACK_VA 0x500000ULL
#define STACK_OFF 0x10000ULL
#define DATA_VA 0x600000ULL
#define DATA_OFF 0x20000ULL
#define DATA2_VA 0x700000ULL
#define DATA2_OFF 0x30000ULL

static int memfd = -1;
static struct platform *plat;
static const struct platform_ops *ops;

/* ---- a tiny assembler ---------------------------------------------------- */

struct prog {
	unsigned char b[256];
	size_t n;
};

#define EMIT(p, ...)                                                                               \
	do {                                                                                       \
		const unsigned char _b[] = {__VA_ARGS__};                                          \
		memcpy((p)->b + (p)->n, _b, sizeof(_b));                                           \
		(p)->n += sizeof(_b);                                                              \
	} while (0)

static void emit_imm64(struct prog *p, uint64_t v)
{
	memcpy(p->b + p->n, &v, 8);
	p->n += 8;
}
static void movabs_rbx(struct prog *p, uint64_t v)
{
	EMIT(p, 0x48, 0xbb);
	emit_imm64(p, v);
}
static void movabs_rax(struct prog *p, uint64_t v)
{
	EMIT(p, 0x48, 0xb8);
	emit_imm64(p, v);
}
static void mov_eax(struct prog *p, uint32_t v)
{
	EMIT(p, 0xb8);
	memcpy(p->b + p->n, &v, 4);
	p->n += 4;
}
static void sys(struct prog *p) { EMIT(p, 0x0f, 0x05); }
/* exit-like trap: mov $60,%eax; syscall; jmp . */
static void trap60(struct prog *p)
{
	mov_eax(p, 60);
	sys(p);
	EMIT(p, 0xeb, 0xfe);
}

static void load_prog(const struct prog *p, uint64_t off)
{
	assert_int_equal(pwrite(memfd, p->b, p->n, (off_t)off), (ssize_t)p->n);
}

/* ---- environment ----------------------------------------------------------- */

struct env {
	struct addr_space *as;
	struct context *ctx;
	plat_regs_t regs;
	struct plat_event ev;
};

static int sw(struct env *e) { return ops->context_switch(e->ctx, e->as, &e->regs, &e->ev); }

/*
 * A new address space running the program at CODE_VA.  The first switch
 * happens with nothing mapped (maps before the stub exists are no-ops), so
 * it must fault on the first instruction fetch; then code and stack go in.
 */
static void env_start_named(struct env *e, const struct prog *p, const char *name)
{
	memset(e, 0, sizeof(*e));
	load_prog(p, CODE_OFF);
	e->as = ops->new_addr_space(plat);
	assert_non_null(e->as);
	if (name) {
		/* Before the stub exists: only stored. */
		assert_int_equal(ops->as_set_name(e->as, name), 0);
		assert_int_equal(ops->as_host_pid(e->as), 0);
	}
	e->ctx = ops->new_context(plat);
	assert_non_null(e->ctx);
	assert_int_equal(ops->as_map(e->as, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	assert_int_equal(ptrace_as_stub_pid(e->as), 0); /* lazy */
	e->regs.rip = CODE_VA;
	e->regs.rsp = STACK_VA + PAGE;
	assert_int_equal(sw(e), 0);
	assert_int_equal(e->ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e->ev.fault_addr, CODE_VA);
	assert_int_equal(e->ev.fault_signo, SIGSEGV);
	assert_int_equal(e->ev.fault_code, SEGV_MAPERR);
	assert_true(ptrace_as_stub_pid(e->as) > 0);
	assert_int_equal(ops->as_map(e->as, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	assert_int_equal(ops->as_map(e->as, STACK_VA, PAGE, PROT_READ | PROT_WRITE, STACK_OFF), 0);
}

static void env_start(struct env *e, const struct prog *p) { env_start_named(e, p, NULL); }

static void env_end(struct env *e)
{
	ops->as_release(e->as);
	ops->context_release(e->ctx);
}

static int proc_exists(pid_t pid)
{
	char path[64];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	return stat(path, &st) == 0;
}

static int count_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static int group_setup(void **state)
{
	memfd = memfd_create("visor-test-mem", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)MEM_SIZE) < 0)
		return -1;
	plat = platform_new("ptrace", memfd);
	if (!plat)
		return -1;
	ops = plat->ops;
	return 0;
}

static int group_teardown(void **state)
{
	platform_free(plat);
	close(memfd);
	return 0;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_syscall_trap_and_result_resumes_after_syscall(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39);
	sys(&p);
	EMIT(&p, 0x48, 0x89, 0xc7); /* mov %rax,%rdi */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 39);
	assert_int_equal(e.regs.rip, CODE_VA + 7);
	/* An fs base the kernel would refuse is the Sentry's bug: -EINVAL. */
	e.regs.fs_base = 1ULL << 63;
	assert_int_equal(sw(&e), -EINVAL);
	e.regs.fs_base = 0;
	e.regs.rax = 0x123456789abcULL;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 0x123456789abcULL);
	assert_int_equal(e.regs.rip, CODE_VA + 17);
	env_end(&e);
}

static void test_int80_is_a_gp_fault_not_a_64bit_syscall(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 20);      /* 32-bit getpid; 64-bit 20 is writev */
	EMIT(&p, 0xcd, 0x80); /* int $0x80 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_signo, SIGSEGV);
	assert_int_equal(e.ev.fault_code, SI_KERNEL);
	assert_int_equal(e.regs.rip, CODE_VA + 5); /* at the int $0x80 */
	assert_int_equal(e.regs.rax, 20);
	/* The Sentry skips it (as a SIGSEGV handler might): the app goes on. */
	e.regs.rip += 2;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	env_end(&e);
}

static void test_load_from_unmapped_faults_then_map_retries(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA + 8);
	EMIT(&p, 0x48, 0x8b, 0x3b); /* mov (%rbx),%rdi */
	trap60(&p);
	uint64_t val = 0xfeedfacecafef00dULL;
	assert_int_equal(pwrite(memfd, &val, 8, DATA_OFF + 8), 8);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA_VA + 8);
	assert_int_equal(e.ev.fault_signo, SIGSEGV);
	assert_int_equal(e.ev.fault_code, SEGV_MAPERR);
	assert_int_equal(e.regs.rip, CODE_VA + 10); /* still at the load */
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, val);
	/* Unmapped again: the same load faults again. */
	assert_int_equal(ops->as_unmap(e.as, DATA_VA, PAGE), 0);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA_VA + 8);
	env_end(&e);
}

static void test_store_to_readonly_faults_accerr_then_protect_rw_succeeds(void **state)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA2_VA + 16);
	movabs_rax(&p, 0x1122334455667788ULL);
	EMIT(&p, 0x48, 0x89, 0x03); /* mov %rax,(%rbx) */
	trap60(&p);
	uint64_t zero = 0, got = 0;
	assert_int_equal(pwrite(memfd, &zero, 8, DATA2_OFF + 16), 8);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_map(e.as, DATA2_VA, PAGE, PROT_READ, DATA2_OFF), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA2_VA + 16);
	assert_int_equal(e.ev.fault_code, SEGV_ACCERR);
	assert_int_equal(ops->as_protect(e.as, DATA2_VA, PAGE, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(pread(memfd, &got, 8, DATA2_OFF + 16), 8);
	assert_int_equal(got, 0x1122334455667788ULL);
	/* A protect over a hole (the cache holds only part of the range)
	 * must not leave the mapped page writable: it is dropped instead. */
	assert_int_equal(ops->as_protect(e.as, DATA2_VA, 2 * PAGE, PROT_READ), 0);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e.ev.fault_addr, DATA2_VA + 16);
	env_end(&e);
}

static void test_ud2_gives_sigill_and_int3_gives_sigtrap(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0x0f, 0x0b); /* ud2 */
	EMIT(&p, 0xcc);	      /* int3 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SIGNAL);
	assert_int_equal(e.ev.info.si_signo, SIGILL);
	assert_int_equal(e.regs.rip, CODE_VA);
	e.regs.rip += 2; /* the Sentry's SIGILL handler would skip it */
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SIGNAL);
	assert_int_equal(e.ev.info.si_signo, SIGTRAP);
	assert_int_equal(e.regs.rip, CODE_VA + 3); /* after the int3 */
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	env_end(&e);
}

struct intr_arg {
	struct context *ctx;
	int delay_ms;
};

static void *interrupter(void *a)
{
	struct intr_arg *ia = a;
	struct timespec ts = {0, ia->delay_ms * 1000000L};
	nanosleep(&ts, NULL);
	ops->context_interrupt(ia->ctx);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_interrupt_stops_infinite_loop_and_is_never_lost(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0xeb, 0xfe); /* 0: jmp . */
	mov_eax(&p, 39);      /* 2: a syscall, to see no stale interrupt */
	sys(&p);
	trap60(&p);
	struct env e;
	env_start(&e, &p);

	struct intr_arg ia = {e.ctx, 100};
	pthread_t t;
	double t0 = now_s();
	assert_int_equal(pthread_create(&t, NULL, interrupter, &ia), 0);
	assert_int_equal(sw(&e), 0);
	double dt = now_s() - t0;
	pthread_join(t, NULL);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	assert_int_equal(e.regs.rip, CODE_VA); /* it was spinning in the loop */
	assert_true(dt >= 0.09);

	/* An interrupt while the app is stopped: the next switch returns at
	 * once, without running app code. */
	ops->context_interrupt(e.ctx);
	e.regs.rip = CODE_VA;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	assert_int_equal(e.regs.rip, CODE_VA);

	/* And it is consumed: the next switch runs the app to its syscall. */
	e.regs.rip = CODE_VA + 2;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 39);
	env_end(&e);
}

static void test_outside_signals_neither_kill_nor_stop_the_stub(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0xeb, 0xfe); /* jmp . */
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_prepare_thread(e.as), 0); /* an untraced spare too */
	pid_t pid = ptrace_as_stub_pid(e.as);
	/* Sent while the app runs: each must be swallowed; the SIGSTOP starts
	 * a group-stop the SIGCONT ends. */
	struct intr_arg ia = {e.ctx, 300};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, interrupter, &ia), 0);
	struct timespec ts = {0, 20 * 1000000L};
	nanosleep(&ts, NULL);
	/* Not SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP: a real fault (and every
	 * injection's int3) resets those to SIG_DFL, so from outside they are
	 * fatal, like SIGKILL. */
	const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGALRM, SIGSTOP, SIGCONT, SIGCHLD};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		assert_int_equal(kill(pid, sigs[i]), 0);
		nanosleep(&ts, NULL);
	}
	assert_int_equal(sw(&e), 0);
	pthread_join(t, NULL);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	assert_int_equal(e.regs.rip, CODE_VA);
	assert_true(proc_exists(pid));
	assert_int_equal(ptrace_as_death_status(e.as), 0);
	/* Still fully usable. */
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	ops->context_interrupt(e.ctx);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_INTERRUPT);
	env_end(&e);
	assert_false(proc_exists(pid));
}

static void test_fpregs_set_reaches_app_and_get_reads_back(void **state)
{
	struct prog p = {0};
	EMIT(&p, 0x66, 0x48, 0x0f, 0x7e, 0xc7); /* movq %xmm0,%rdi */
	EMIT(&p, 0x66, 0x48, 0x0f, 0x6e, 0xcf); /* movq %rdi,%xmm1 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	plat_fpregs_t fp;
	assert_int_equal(ops->context_get_fpregs(e.ctx, &fp), 0);
	uint64_t pat = 0x0123456789abcdefULL;
	memcpy(&fp.fx.xmm_space[0], &pat, 8); /* xmm0 low half */
	if (plat->xstate_features)
		fp.bytes[PLAT_XSTATE_HEADER] |= 0x3; /* xstate_bv: x87 and SSE present */
	assert_int_equal(ops->context_set_fpregs(e.ctx, &fp), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.rdi, pat);
	memset(&fp, 0, sizeof(fp));
	assert_int_equal(ops->context_get_fpregs(e.ctx, &fp), 0);
	uint64_t x1;
	memcpy(&x1, &fp.fx.xmm_space[4], 8); /* xmm1 low half, from the stub thread */
	assert_int_equal(x1, pat);
	env_end(&e);
}

/* The whole XSAVE area travels: the upper half of ymm0, set through the
 * AVX component of the state, is what the app reads. */
static void test_fpregs_carry_avx_upper_halves(void **state)
{
	if (!(plat->xstate_features & 0x4)) {
		skip(); /* no AVX on this CPU */
		return;
	}
	unsigned int a, avx_off, c, d;
	__cpuid_count(0xd, 2, a, avx_off, c, d);
	struct prog p = {0};
	EMIT(&p, 0xc4, 0xe3, 0x7d, 0x19, 0xc1, 0x01); /* vextractf128 $1,%ymm0,%xmm1 */
	EMIT(&p, 0x66, 0x48, 0x0f, 0x7e, 0xcf);       /* movq %xmm1,%rdi */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	plat_fpregs_t *fp = calloc(1, sizeof(*fp));
	assert_non_null(fp);
	assert_int_equal(ops->context_get_fpregs(e.ctx, fp), 0);
	uint64_t pat = 0xfedcba9876543210ULL;
	memcpy(fp->bytes + avx_off, &pat, 8); /* ymm0 bits 128..191 */
	fp->bytes[PLAT_XSTATE_HEADER] |= 0x4;  /* xstate_bv: AVX present */
	assert_int_equal(ops->context_set_fpregs(e.ctx, fp), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.rdi, pat);
	memset(fp, 0, sizeof(*fp));
	assert_int_equal(ops->context_get_fpregs(e.ctx, fp), 0);
	uint64_t back;
	memcpy(&back, fp->bytes + avx_off, 8);
	assert_int_equal(back, pat);
	free(fp);
	env_end(&e);
}

static void test_stub_holds_only_stub_page_memfd_and_seccomp(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = ptrace_as_stub_pid(e.as);
	char path[128], line[512];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int seccomp = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			seccomp = atoi(line + 8);
	fclose(f);
	assert_int_equal(seccomp, 2);

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	int stub_pages = 0, memfd_maps = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		assert_int_equal(sscanf(line, "%llx-%llx", &lo, &hi), 2);
		if (strstr(line, "[vsyscall]") || strstr(line, "[vvar") || strstr(line, "[vdso]"))
			continue;
		if (strstr(line, "/memfd:visor-test-mem")) {
			assert_true(hi <= PLAT_APP_TOP);
			memfd_maps++;
			continue;
		}
		/* Anything else must be the stub page. */
		print_message("stub mapping: %s", line);
		assert_true(lo >= PLAT_APP_TOP);
		assert_int_equal(hi - lo, PAGE);
		assert_non_null(strstr(line, "r-xp"));
		stub_pages++;
	}
	fclose(f);
	assert_int_equal(stub_pages, 1);
	assert_int_equal(memfd_maps, 2); /* code and stack */

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	assert_int_equal(count_dir(path), 1);
	snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, memfd);
	struct stat st1, st2;
	assert_int_equal(stat(path, &st1), 0);
	assert_int_equal(fstat(memfd, &st2), 0);
	assert_int_equal(st1.st_ino, st2.st_ino);

	env_end(&e);
	assert_false(proc_exists(pid));
}

static void test_stub_forbidden_host_syscall_kills_stub(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = ptrace_as_stub_pid(e.as);
	/* Allowed: munmap of nothing. */
	const long unmap_args[6] = {(long)DATA2_VA, (long)PAGE};
	assert_int_equal(ptrace_as_inject_syscall(e.as, SYS_munmap, unmap_args), 0);
	/* Forbidden: getpid.  The filter kills the process with SIGSYS. */
	const long none[6] = {0};
	assert_int_equal(ptrace_as_inject_syscall(e.as, SYS_getpid, none), -ESRCH);
	int st = ptrace_as_death_status(e.as);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	/* The address space is dead: switching reports it. */
	assert_true(sw(&e) < 0);
	env_end(&e);
	assert_false(proc_exists(pid));
}

static void test_stub_mmap_of_another_fd_kills_stub(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = ptrace_as_stub_pid(e.as);
	/* The Sentry's memory file is the only thing the stub may map; fd 0
	 * does not even exist in the stub, but the filter decides first. */
	const long args[6] = {(long)DATA2_VA, (long)PAGE, PROT_READ, MAP_SHARED | MAP_FIXED, 0, 0};
	assert_int_equal(ptrace_as_inject_syscall(e.as, SYS_mmap, args), -ESRCH);
	int st = ptrace_as_death_status(e.as);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSYS);
	env_end(&e);
	assert_false(proc_exists(pid));
}

/* ---- host names (docker top) ----------------------------------------------- */

/* The comm of /proc/<pid>/<sub>comm, without the newline ("" if unreadable). */
static void read_comm(pid_t pid, const char *sub, char *out, size_t size)
{
	char path[400];
	snprintf(path, sizeof(path), "/proc/%d/%scomm", pid, sub);
	out[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (!fgets(out, (int)size, f))
		out[0] = 0;
	fclose(f);
	out[strcspn(out, "\n")] = 0;
}

/* How many threads of stub pid have comm name. */
static int threads_named(pid_t pid, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);
	assert_non_null(d);
	int n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char sub[300], comm[32];
		snprintf(sub, sizeof(sub), "task/%s/", de->d_name);
		read_comm(pid, sub, comm, sizeof(comm));
		n += !strcmp(comm, name);
	}
	closedir(d);
	return n;
}

static void test_stub_takes_the_name_and_host_pid_is_the_stub(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39);
	sys(&p);
	trap60(&p);
	struct env e;
	/* Named before the stub exists: applied when it is created. */
	env_start_named(&e, &p, "first-name");
	pid_t pid = ptrace_as_stub_pid(e.as);
	assert_true(pid > 0);
	assert_int_equal(ops->as_host_pid(e.as), pid);
	char comm[32];
	read_comm(pid, "", comm, sizeof(comm));
	assert_string_equal(comm, "first-name");
	/* Before any thread was cloned: the app's stub thread has it too. */
	assert_int_equal(threads_named(pid, "first-name"), 2);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 39);

	/* Renamed while running (the caller is stopped in as): the leader, the
	 * thread ps shows, takes it at once; longer names are cut to 15. */
	assert_int_equal(ops->as_set_name(e.as, "a-very-long-process-name"), 0);
	read_comm(pid, "", comm, sizeof(comm));
	assert_string_equal(comm, "a-very-long-pro");
	/* The leader went back to waiting, untraced: the app still runs. */
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	int tracer = -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "TracerPid:", 10))
			tracer = atoi(line + 10);
	fclose(f);
	assert_int_equal(tracer, 0);
	/* Another rename from the same thread works the same way. */
	assert_int_equal(ops->as_set_name(e.as, "sleep"), 0);
	read_comm(pid, "", comm, sizeof(comm));
	assert_string_equal(comm, "sleep");

	env_end(&e);
	assert_false(proc_exists(pid));
}

static void test_host_pid_is_zero_once_the_stub_died(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = ptrace_as_stub_pid(e.as);
	assert_int_equal(ops->as_host_pid(e.as), pid);
	const long none[6] = {0};
	assert_int_equal(ptrace_as_inject_syscall(e.as, SYS_getpid, none), -ESRCH);
	assert_int_equal(ops->as_host_pid(e.as), 0);
	assert_int_equal(ops->as_set_name(e.as, "x"), -ESRCH);
	env_end(&e);
	assert_false(proc_exists(pid));
}

/* prctl is in the stub's filter for PR_SET_NAME only. */
static void prctl_in_stub(long option, const char *comm_after, int want_sig)
{
	struct prog p = {0};
	trap60(&p);
	char name[16] = "injected";
	assert_int_equal(pwrite(memfd, name, sizeof(name), DATA_OFF), (ssize_t)sizeof(name));
	struct env e;
	env_start(&e, &p);
	pid_t pid = ptrace_as_stub_pid(e.as);
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ, DATA_OFF), 0);
	const long args[6] = {option, (long)DATA_VA};
	long r = ptrace_as_inject_syscall(e.as, SYS_prctl, args);
	if (want_sig) {
		assert_int_equal(r, -ESRCH);
		int st = ptrace_as_death_status(e.as);
		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), want_sig);
	} else {
		assert_int_equal(r, 0);
		/* Only the calling (app) thread is renamed, not the leader. */
		assert_int_equal(threads_named(pid, comm_after), 1);
	}
	env_end(&e);
	assert_false(proc_exists(pid));
}

static void test_stub_filter_allows_prctl_set_name_only(void **state)
{
	prctl_in_stub(PR_SET_NAME, "injected", 0);
	prctl_in_stub(PR_SET_DUMPABLE, NULL, SIGSYS);
	prctl_in_stub(PR_SET_PDEATHSIG, NULL, SIGSYS);
	/* The kernel would read this as PR_SET_NAME (the option is an int);
	 * the filter checks the high half too. */
	prctl_in_stub((long)(PR_SET_NAME | (1ULL << 32)), NULL, SIGSYS);
}

/* ---- threads ------------------------------------------------------------ */

struct thr {
	struct addr_space *as;
	uint64_t rip;
	int ret;
	struct plat_event ev;
	plat_regs_t regs;
	pid_t stub_tid;
};

static void *thr_run(void *a)
{
	struct thr *t = a;
	struct context *ctx = ops->new_context(plat);
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rip = t->rip;
	t->regs.rsp = STACK_VA + PAGE / 2;
	t->ret = ops->context_switch(ctx, t->as, &t->regs, &t->ev);
	ops->context_release(ctx);
	return NULL;
}

static void run_thread(struct thr *t)
{
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, thr_run, t), 0);
	assert_int_equal(pthread_join(th, NULL), 0);
}

/*
 * A stub runs under the Sentry's filter (inherited through fork) with its own
 * stacked on top, so every syscall its own filter lets through must be in the
 * platform's jail rules, or the stub dies making it.  Follows the stub's BPF
 * (its jumps go forward only) to find the compares made on the syscall
 * number, on every path that reaches them.
 */
static void test_jail_rules_cover_every_syscall_the_stub_filter_allows(void **state)
{
	const struct pt_platform *pp = plat->priv;
	const struct jail_rules *jr = ops->jail_rules(plat);
	assert_non_null(jr);
	/* Per instruction: reached with the syscall number in the accumulator,
	 * reached with anything else. */
	bool nr_in[PT_FILTER_MAX + 1] = {0}, other_in[PT_FILTER_MAX + 1] = {0};
	other_in[0] = true;
	int compared = 0;
	for (unsigned i = 0; i < pp->filter_len; i++) {
		const struct sock_filter *f = &pp->filter[i];
		bool nr = nr_in[i], other = other_in[i];
		if (f->code == (BPF_LD | BPF_W | BPF_ABS)) {
			nr = f->k == offsetof(struct seccomp_data, nr);
			other = !nr;
		}
		if (BPF_CLASS(f->code) == BPF_RET)
			continue;
		if (BPF_CLASS(f->code) != BPF_JMP) {
			nr_in[i + 1] |= nr;
			other_in[i + 1] |= other;
			continue;
		}
		unsigned t = i + 1 + f->jt, e = i + 1 + f->jf;
		assert_true(t <= pp->filter_len && e <= pp->filter_len);
		nr_in[t] |= nr;
		other_in[t] |= other;
		nr_in[e] |= nr;
		other_in[e] |= other;
		if (f->code != (BPF_JMP | BPF_JEQ | BPF_K) || !nr)
			continue;
		assert_false(other); /* a compare on the number and on something else */
		compared++;
		size_t j = 0;
		while (j < jr->n && !(jr->rules[j].nr == (long)f->k && jr->rules[j].ncmp == 0 &&
				      jr->rules[j].action == JAIL_ACT_ALLOW))
			j++;
		if (j == jr->n)
			fail_msg(
			    "the stub's filter allows syscall %u; the ptrace jail rules do not",
			    f->k);
	}
	/* munmap mprotect pause exit exit_group, mmap clone prctl */
	assert_int_equal(compared, 8);
}

static void test_second_thread_shares_memory_after_prepare_thread(void **state)
{
	/* Thread A: store 42 at DATA_VA, trap; then load DATA_VA+8 into rdi, trap. */
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0xc7, 0x03, 0x2a, 0x00, 0x00, 0x00); /* movq $42,(%rbx) */
	mov_eax(&p, 39);
	sys(&p);
	EMIT(&p, 0x48, 0x8b, 0x7b, 0x08); /* mov 8(%rbx),%rdi */
	trap60(&p);
	/* Thread B, at CODE_VA+0x80: rdi = *(DATA_VA); store 77 at DATA_VA+8; trap. */
	struct prog q = {0};
	movabs_rbx(&q, DATA_VA);
	EMIT(&q, 0x48, 0x8b, 0x3b);				  /* mov (%rbx),%rdi */
	EMIT(&q, 0x48, 0xc7, 0x43, 0x08, 0x4d, 0x00, 0x00, 0x00); /* movq $77,8(%rbx) */
	trap60(&q);
	load_prog(&q, CODE_OFF + 0x80);
	uint64_t zero[2] = {0, 0};
	assert_int_equal(pwrite(memfd, zero, 16, DATA_OFF), 16);

	struct env e;
	env_start(&e, &p);
	load_prog(&q, CODE_OFF + 0x80); /* env_start rewrote the page */
	assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 39);

	/* Without a spare stub thread a second thread cannot enter. */
	struct thr b = {.as = e.as, .rip = CODE_VA + 0x80};
	run_thread(&b);
	assert_int_equal(b.ret, -EAGAIN);

	assert_int_equal(ops->as_prepare_thread(e.as), 0);
	run_thread(&b);
	assert_int_equal(b.ret, 0);
	assert_int_equal(b.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(b.regs.orig_rax, 60);
	assert_int_equal(b.regs.rdi, 42); /* saw A's store */

	/* B released its context: its stub thread went back to the spares, so
	 * a third thread can enter without another prepare_thread. */
	pid_t pid = ptrace_as_stub_pid(e.as);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	assert_int_equal(count_dir(path), 3); /* leader, A's, the spare */
	struct thr c = {.as = e.as, .rip = CODE_VA + 0x80};
	run_thread(&c);
	assert_int_equal(c.ret, 0);
	assert_int_equal(c.regs.rdi, 42);
	assert_int_equal(count_dir(path), 3);

	/* A sees B's store. */
	e.regs.rax = 0;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e.regs.orig_rax, 60);
	assert_int_equal(e.regs.rdi, 77);

	env_end(&e);
	assert_false(proc_exists(pid));
}

/* A Sentry thread that enters and then exits without context_release. */
static void *thr_run_no_release(void *a)
{
	struct thr *t = a;
	struct context *ctx = ops->new_context(plat);
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rip = t->rip;
	t->ret = ops->context_switch(ctx, t->as, &t->regs, &t->ev);
	return ctx; /* released by the main thread, after this one exited */
}

static void test_thread_exit_without_release_keeps_stub_alive(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39);
	sys(&p);
	EMIT(&p, 0xeb, 0xf7); /* loop: getppid */
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_prepare_thread(e.as), 0);
	struct thr b = {.as = e.as, .rip = CODE_VA};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, thr_run_no_release, &b), 0);
	void *bctx;
	assert_int_equal(pthread_join(th, &bctx), 0);
	ops->context_release(bctx); /* from a non-owner: frees, detaches nothing */
	assert_int_equal(b.ret, 0);
	assert_int_equal(b.ev.kind, PLAT_EV_SYSCALL);
	/* The exiting thread was a tracer: PTRACE_O_EXITKILL would have killed
	 * the stub had the TLS destructor not detached first. */
	struct timespec ts = {0, 50 * 1000000L};
	nanosleep(&ts, NULL);
	pid_t pid = ptrace_as_stub_pid(e.as);
	assert_true(proc_exists(pid));
	assert_int_equal(ptrace_as_death_status(e.as), 0);
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);
	/* And its stub thread is a spare again. */
	run_thread(&b);
	assert_int_equal(b.ret, 0);
	assert_int_equal(b.ev.kind, PLAT_EV_SYSCALL);
	env_end(&e);
	assert_false(proc_exists(pid));
}

/* Thread that enters, then waits (still tracing) until told to release. */
struct holder {
	struct thr t;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stage; /* 1: entered; 2: as released, go */
};

static void *thr_hold(void *a)
{
	struct holder *h = a;
	struct context *ctx = ops->new_context(plat);
	memset(&h->t.regs, 0, sizeof(h->t.regs));
	h->t.regs.rip = h->t.rip;
	h->t.ret = ops->context_switch(ctx, h->t.as, &h->t.regs, &h->t.ev);
	pthread_mutex_lock(&h->mu);
	h->stage = 1;
	pthread_cond_broadcast(&h->cv);
	while (h->stage != 2)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
	ops->context_release(ctx); /* its address space is gone by now */
	return NULL;
}

static void test_release_reaps_threads_traced_by_other_sentry_threads(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39);
	sys(&p);
	EMIT(&p, 0xeb, 0xf7);
	struct env e;
	env_start(&e, &p);
	assert_int_equal(ops->as_prepare_thread(e.as), 0);
	struct holder h = {.t = {.as = e.as, .rip = CODE_VA}};
	pthread_mutex_init(&h.mu, NULL);
	pthread_cond_init(&h.cv, NULL);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, thr_hold, &h), 0);
	pthread_mutex_lock(&h.mu);
	while (h.stage != 1)
		pthread_cond_wait(&h.cv, &h.mu);
	pthread_mutex_unlock(&h.mu);
	assert_int_equal(h.t.ret, 0);
	pid_t pid = ptrace_as_stub_pid(e.as);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	assert_int_equal(count_dir(path), 3);
	/* Released from this thread while the other still traces one of the
	 * stub's threads: all of them are reaped here. */
	env_end(&e);
	assert_false(proc_exists(pid));
	pthread_mutex_lock(&h.mu);
	h.stage = 2;
	pthread_cond_broadcast(&h.cv);
	pthread_mutex_unlock(&h.mu);
	assert_int_equal(pthread_join(th, NULL), 0);
	int st;
	assert_int_equal(waitpid(-1, &st, __WALL | WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_fpregs_follow_context_into_another_addr_space(void **state)
{
	/* as1: xmm2 = rdi (set by us), trap.  as2: rdi = xmm2, trap. */
	struct prog p = {0};
	EMIT(&p, 0x66, 0x48, 0x0f, 0x6e, 0xd7); /* movq %rdi,%xmm2 */
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	e.regs.rdi = 0x5566778899aabbccULL;
	assert_int_equal(sw(&e), 0);
	assert_int_equal(e.ev.kind, PLAT_EV_SYSCALL);

	struct prog q = {0};
	EMIT(&q, 0x66, 0x48, 0x0f, 0x7e, 0xd7); /* movq %xmm2,%rdi */
	trap60(&q);
	load_prog(&q, CODE_OFF + 0x100);
	struct addr_space *as2 = ops->new_addr_space(plat);
	plat_regs_t r = {.rip = CODE_VA + 0x100};
	struct plat_event ev;
	assert_int_equal(ops->context_switch(e.ctx, as2, &r, &ev), 0);
	assert_int_equal(ev.kind, PLAT_EV_FAULT); /* nothing mapped yet */
	assert_int_equal(ops->as_map(as2, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF), 0);
	assert_int_equal(ops->context_switch(e.ctx, as2, &r, &ev), 0);
	assert_int_equal(ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(r.rdi, 0x5566778899aabbccULL);
	ops->as_release(as2);
	env_end(&e);
}

static void test_release_leaves_no_stub_or_zombie(void **state)
{
	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = ptrace_as_stub_pid(e.as);
	assert_int_equal(ops->as_prepare_thread(e.as), 0); /* one untraced spare too */
	assert_true(proc_exists(pid));
	env_end(&e);
	assert_false(proc_exists(pid));
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	int st;
	assert_int_equal(waitpid(-1, &st, __WALL | WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_bad_arguments_are_rejected(void **state)
{
	struct addr_space *as = ops->new_addr_space(plat);
	assert_non_null(as);
	assert_int_equal(ops->as_map(as, CODE_VA + 1, PAGE, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, CODE_VA, PAGE, PROT_READ, 12), -EINVAL);
	assert_int_equal(ops->as_map(as, CODE_VA, 0, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, PLAT_APP_TOP, PAGE, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, PLAT_APP_TOP - PAGE, 2 * PAGE, PROT_READ, 0), -EINVAL);
	assert_int_equal(ops->as_map(as, CODE_VA, PAGE, 0x100, 0), -EINVAL);
	assert_int_equal(ops->as_unmap(as, 0, ~0ULL & ~(PAGE - 1)), -EINVAL);
	assert_int_equal(ops->as_protect(as, CODE_VA, PAGE, PROT_READ), 0); /* never entered */
	ops->as_release(as);
	errno = 0;
	assert_null(platform_new("ptrace", -1));
	assert_int_equal(errno, EBADF);
}

/* ---- numbers ------------------------------------------------------------ */

static void test_bench_syscall_trap_and_injected_mmap(void **state)
{
	struct prog p = {0};
	mov_eax(&p, 39); /* loop: getppid; jmp loop */
	sys(&p);
	EMIT(&p, 0xeb, 0xf7);
	struct env e;
	env_start(&e, &p);
	/* The machine is shared: report the best batch (what the mechanism
	 * costs) and the overall mean (what we got). */
	const int batches = 10, n = 2000;
	double best = 1e18, total = 0;
	for (int b = 0; b < batches; b++) {
		double t0 = now_s();
		for (int i = 0; i < n; i++) {
			assert_int_equal(sw(&e), 0);
			if (e.ev.kind != PLAT_EV_SYSCALL || e.regs.orig_rax != 39)
				fail_msg("iteration %d: event %d nr %llu", i, e.ev.kind,
					 e.regs.orig_rax);
			e.regs.rax = (unsigned long long)i;
		}
		double dt = (now_s() - t0) * 1e9 / n;
		total += dt;
		if (dt < best)
			best = dt;
	}
	double trap_ns = total / batches;

	const int m = 5000;
	double t0 = now_s();
	for (int i = 0; i < m; i++)
		assert_int_equal(ops->as_map(e.as, DATA_VA, PAGE, PROT_READ,
					     DATA_OFF + (uint64_t)(i & 1) * PAGE),
				 0);
	double mmap_ns = (now_s() - t0) * 1e9 / m;

	t0 = now_s();
	for (int i = 0; i < 20; i++) {
		struct addr_space *as = ops->new_addr_space(plat);
		struct context *ctx = ops->new_context(plat);
		plat_regs_t r = {.rip = CODE_VA};
		struct plat_event ev;
		assert_int_equal(ops->context_switch(ctx, as, &r, &ev), 0);
		ops->as_release(as);
		ops->context_release(ctx);
	}
	double create_us = (now_s() - t0) * 1e6 / 20;
	print_message("ptrace platform: %.0f ns per syscall trap (best batch %.0f), %.0f ns per "
		      "injected mmap, %.0f us per stub creation+release\n",
		      trap_ns, best, mmap_ns, create_us);
	env_end(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_syscall_trap_and_result_resumes_after_syscall),
	    cmocka_unit_test(test_int80_is_a_gp_fault_not_a_64bit_syscall),
	    cmocka_unit_test(test_load_from_unmapped_faults_then_map_retries),
	    cmocka_unit_test(test_store_to_readonly_faults_accerr_then_protect_rw_succeeds),
	    cmocka_unit_test(test_ud2_gives_sigill_and_int3_gives_sigtrap),
	    cmocka_unit_test(test_interrupt_stops_infinite_loop_and_is_never_lost),
	    cmocka_unit_test(test_outside_signals_neither_kill_nor_stop_the_stub),
	    cmocka_unit_test(test_fpregs_set_reaches_app_and_get_reads_back),
	    cmocka_unit_test(test_fpregs_carry_avx_upper_halves),
	    cmocka_unit_test(test_stub_holds_only_stub_page_memfd_and_seccomp),
	    cmocka_unit_test(test_stub_forbidden_host_syscall_kills_stub),
	    cmocka_unit_test(test_stub_mmap_of_another_fd_kills_stub),
	    cmocka_unit_test(test_stub_takes_the_name_and_host_pid_is_the_stub),
	    cmocka_unit_test(test_host_pid_is_zero_once_the_stub_died),
	    cmocka_unit_test(test_stub_filter_allows_prctl_set_name_only),
	    cmocka_unit_test(test_jail_rules_cover_every_syscall_the_stub_filter_allows),
	    cmocka_unit_test(test_second_thread_shares_memory_after_prepare_thread),
	    cmocka_unit_test(test_thread_exit_without_release_keeps_stub_alive),
	    cmocka_unit_test(test_release_reaps_threads_traced_by_other_sentry_threads),
	    cmocka_unit_test(test_fpregs_follow_context_into_another_addr_space),
	    cmocka_unit_test(test_release_leaves_no_stub_or_zombie),
	    cmocka_unit_test(test_bad_arguments_are_rejected),
	    cmocka_unit_test(test_bench_syscall_trap_and_injected_mmap),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
