/*
 * plat_test.h — what the unit tests of every platform share: a tiny x86-64
 * assembler for the programs they run, an app environment (an address
 * space, a context, registers), and small host helpers.  Each test file
 * includes it once, after defining:
 *   PLAT_NAME          the platform under test ("ptrace", "systrap")
 *   STUB_PID(as)       the host pid of as's stub, 0 if none yet
 *   DEATH_STATUS(as)   the wait status the stub died with, 0 if alive
 * plat_common_tests.h then holds the tests every platform must pass.
 */
#ifndef VISOR_PLATFORM_TESTS_PLAT_TEST_H
#define VISOR_PLATFORM_TESTS_PLAT_TEST_H

/* cmocka.h needs these three first. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <cpuid.h>
#include <dirent.h>
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

#include "lib/page.h"
#include "platform/platform.h"

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
	/* Before the first entry a map records nothing (dropped), but on a
	 * platform that keeps it (map_before_entry: test_systrap_queue). */
	if (!ops->map_before_entry)
		assert_int_equal(ops->as_map(e->as, CODE_VA, PAGE, PROT_READ | PROT_EXEC, CODE_OFF),
				 0);
	assert_int_equal(STUB_PID(e->as), 0); /* lazy */
	e->regs.rip = CODE_VA;
	e->regs.rsp = STACK_VA + PAGE;
	assert_int_equal(sw(e), 0);
	assert_int_equal(e->ev.kind, PLAT_EV_FAULT);
	assert_int_equal(e->ev.fault_addr, CODE_VA);
	assert_int_equal(e->ev.fault_signo, SIGSEGV);
	assert_int_equal(e->ev.fault_code, SEGV_MAPERR);
	assert_true(STUB_PID(e->as) > 0);
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

/* Whether pid is gone (not even a zombie), within 5 s: a released stub may
 * still be dying, reaped in the background. */
static bool gone(pid_t pid)
{
	for (int i = 0; i < 500 && proc_exists(pid); i++) {
		struct timespec ts = {0, 10 * 1000000L};
		nanosleep(&ts, NULL);
	}
	return !proc_exists(pid);
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
	plat = platform_new(PLAT_NAME, memfd);
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

/* ---- threads ------------------------------------------------------------ */

struct thr {
	struct addr_space *as;
	uint64_t rip;
	int serve; /* getpid traps to serve before stopping; 0: stop at the first event */
	int ret;   /* of the last switch */
	struct plat_event ev;
	plat_regs_t regs;
	pid_t stub_tid;
	double t_end; /* when it stopped */
};

/* A Sentry thread with a context of its own, running the app from t->rip
 * until its first event, or through t->serve getpid traps. */
static void *thr_run(void *a)
{
	struct thr *t = a;
	struct context *ctx = ops->new_context(plat);
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rip = t->rip;
	t->regs.rsp = STACK_VA + PAGE / 2;
	int served = 0;
	do {
		t->ret = ops->context_switch(ctx, t->as, &t->regs, &t->ev);
		if (t->ret || t->ev.kind != PLAT_EV_SYSCALL || t->regs.orig_rax != 39)
			break;
		t->regs.rax = (unsigned long long)served;
	} while (++served < t->serve);
	t->t_end = now_s();
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
 * Two app threads sharing memory.  A (the env's, at CODE_VA): store 42 at
 * DATA_VA, getpid; then rdi = *(DATA_VA + 8), exit.  B (at CODE_VA + 0x80):
 * rdi = *(DATA_VA), store 77 at DATA_VA + 8, exit.  Starts e with A run to
 * its getpid; B is for another context.
 */
static void two_threads_start(struct env *e)
{
	struct prog p = {0};
	movabs_rbx(&p, DATA_VA);
	EMIT(&p, 0x48, 0xc7, 0x03, 0x2a, 0x00, 0x00, 0x00); /* movq $42,(%rbx) */
	mov_eax(&p, 39);
	sys(&p);
	EMIT(&p, 0x48, 0x8b, 0x7b, 0x08); /* mov 8(%rbx),%rdi */
	trap60(&p);
	struct prog q = {0};
	movabs_rbx(&q, DATA_VA);
	EMIT(&q, 0x48, 0x8b, 0x3b);				  /* mov (%rbx),%rdi */
	EMIT(&q, 0x48, 0xc7, 0x43, 0x08, 0x4d, 0x00, 0x00, 0x00); /* movq $77,8(%rbx) */
	trap60(&q);
	uint64_t zero[2] = {0, 0};
	assert_int_equal(pwrite(memfd, zero, 16, DATA_OFF), 16);
	env_start(e, &p);
	load_prog(&q, CODE_OFF + 0x80); /* after env_start, which rewrote the page */
	assert_int_equal(ops->as_map(e->as, DATA_VA, PAGE, PROT_READ | PROT_WRITE, DATA_OFF), 0);
	assert_int_equal(sw(e), 0);
	assert_int_equal(e->ev.kind, PLAT_EV_SYSCALL);
	assert_int_equal(e->regs.orig_rax, 39);
}

/* ---- numbers ------------------------------------------------------------ */

/* ns per syscall trap of e (running a getppid loop): the mean over 10
 * batches of 2000, and the best batch (what the mechanism costs on a
 * shared machine). */
static double bench_traps(struct env *e, double *best)
{
	const int batches = 10, n = 2000;
	double total = 0;
	*best = 1e18;
	for (int b = 0; b < batches; b++) {
		double t0 = now_s();
		for (int i = 0; i < n; i++) {
			assert_int_equal(sw(e), 0);
			if (e->ev.kind != PLAT_EV_SYSCALL || e->regs.orig_rax != 39)
				fail_msg("iteration %d: event %d nr %llu", i, e->ev.kind,
					 e->regs.orig_rax);
			e->regs.rax = (unsigned long long)i;
		}
		double dt = (now_s() - t0) * 1e9 / n;
		total += dt;
		if (dt < *best)
			*best = dt;
	}
	return total / batches;
}

/* ns per as_map of one page, alternating between two. */
static double bench_maps(struct env *e)
{
	const int m = 5000;
	double t0 = now_s();
	for (int i = 0; i < m; i++)
		assert_int_equal(
		    ops->as_map(e->as, DATA_VA, PAGE, PROT_READ, DATA_OFF + (uint64_t)(i & 1) * PAGE),
		    0);
	return (now_s() - t0) * 1e9 / m;
}

/* us per stub: a new address space entered once, then released. */
static double bench_stub_creation(void)
{
	double t0 = now_s();
	for (int i = 0; i < 20; i++) {
		struct addr_space *as = ops->new_addr_space(plat);
		struct context *ctx = ops->new_context(plat);
		plat_regs_t r = {.rip = CODE_VA};
		struct plat_event ev;
		assert_int_equal(ops->context_switch(ctx, as, &r, &ev), 0);
		ops->as_release(as);
		ops->context_release(ctx);
	}
	return (now_s() - t0) * 1e6 / 20;
}

#endif
