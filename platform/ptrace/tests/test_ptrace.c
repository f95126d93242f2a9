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
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
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

#include "platform/ptrace/ptrace_internal.h"

#define PLAT_NAME "ptrace"
#define STUB_PID(as) ptrace_as_stub_pid(as)
#define DEATH_STATUS(as) ptrace_as_death_status(as)
#include "platform/tests/plat_test.h"
#include "platform/tests/plat_common_tests.h"

/* ---- ptrace's own ------------------------------------------------------------ */


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

/* App code runs only under PTRACE_SYSEMU: the other resumes (an injected
 * syscall's PTRACE_CONT, the detach of a parked thread) start only at the
 * stub's code, and an injection anywhere else is refused before anything
 * runs. */
static void test_only_stub_code_runs_outside_sysemu(void **state)
{
	const struct pt_platform *pp = plat->priv;
	assert_true(pt_stub_runs_at(pp, pt_stub_inject_addr(pp)));
	assert_true(pt_stub_runs_at(pp, pt_stub_clone_addr(pp)));
	assert_true(pt_stub_runs_at(pp, pt_stub_wait_addr(pp)));
	assert_false(pt_stub_runs_at(pp, pp->stub_addr + PT_FPROG_OFF));
	assert_false(pt_stub_runs_at(pp, pp->stub_addr + PT_NAME_OFF));
	assert_false(pt_stub_runs_at(pp, pp->stub_addr - 1));
	assert_false(pt_stub_runs_at(pp, CODE_VA));

	struct prog p = {0};
	trap60(&p);
	struct env e;
	env_start(&e, &p);
	pid_t pid = ptrace_as_stub_pid(e.as);
	const long none[6] = {0};
	long ret = 0;
	assert_int_equal(pt_inject(pp, pid, &e.regs, CODE_VA, SYS_getpid, none, &ret, NULL), -EINVAL);
	/* Nothing ran: the stub lives and still serves injections. */
	assert_true(proc_exists(pid));
	const long unmap_args[6] = {(long)DATA2_VA, (long)PAGE};
	assert_int_equal(ptrace_as_inject_syscall(e.as, SYS_munmap, unmap_args), 0);
	env_end(&e);
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

/* Run a stub filter (classic BPF, the few instructions pt_build_filter
 * emits) over d, as the kernel's seccomp would: its return value. */
static uint32_t bpf_run(const struct sock_filter *f, unsigned n, const struct seccomp_data *d)
{
	uint32_t acc = 0;
	for (unsigned pc = 0; pc < n; pc++) {
		const struct sock_filter *in = &f[pc];
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			assert_true(in->k + 4 <= sizeof(*d));
			memcpy(&acc, (const char *)d + in->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			acc &= in->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += acc == in->k ? in->jt : in->jf;
			break;
		case BPF_RET | BPF_K:
			return in->k;
		default:
			fail_msg("unexpected BPF instruction %#x at %u", in->code, pc);
		}
	}
	fail_msg("the filter ran off its end");
	return 0;
}

/*
 * A stub runs under the template's filter (inherited through the
 * template's fork) with its own stacked on top, so every call its own filter
 * lets through must pass the template's too, or the stub dies making it.
 * Both filters are run over every syscall number with the argument shapes
 * the stub's filter tests; and what only the template needs (its loop, a
 * stub's set-up) the stub's own filter kills.
 */
static void test_template_filter_allows_every_call_the_stub_filter_allows(void **state)
{
	const struct pt_platform *pp = plat->priv;
	assert_true(pp->tmpl_filter_len > 0 && pp->tmpl_filter_len <= PT_FILTER_MAX);
	const uint64_t shapes[][6] = {
	    {0},
	    {0, 0, PROT_READ | PROT_EXEC, MAP_SHARED | MAP_FIXED, (uint64_t)pp->memfd, 0},
	    {PT_THREAD_CLONE_FLAGS},
	    {PR_SET_NAME},
	};
	int allowed = 0;
	for (int nr = 0; nr < 512; nr++) {
		bool any = false;
		for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
			struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};
			d.instruction_pointer = pp->stub_addr;
			memcpy(d.args, shapes[s], sizeof(d.args));
			if (bpf_run(pp->filter, pp->filter_len, &d) != SECCOMP_RET_ALLOW)
				continue;
			any = true;
			if (bpf_run(pp->tmpl_filter, pp->tmpl_filter_len, &d) != SECCOMP_RET_ALLOW)
				fail_msg("the stub's filter allows syscall %d (shape %zu); the "
					 "template's does not",
					 nr, s);
		}
		allowed += any;
	}
	/* munmap mprotect pause exit exit_group, mmap clone prctl */
	assert_int_equal(allowed, 8);
	/* The template's own needs: allowed there, killed in a stub. */
	static const struct {
		int nr;
		uint64_t arg0;
	} tmpl_only[] = {
	    {SYS_recvfrom, 0},	  {SYS_sendto, 0}, {SYS_close_range, 0},
	    {SYS_rseq, 0},	  {SYS_seccomp, 0}, {SYS_clone, CLONE_PARENT},
	    {SYS_getppid, 0},	  {SYS_prctl, PR_SET_PDEATHSIG},
	};
	for (size_t i = 0; i < sizeof(tmpl_only) / sizeof(tmpl_only[0]); i++) {
		struct seccomp_data d = {.nr = tmpl_only[i].nr, .arch = AUDIT_ARCH_X86_64};
		d.args[0] = tmpl_only[i].arg0;
		assert_int_equal(bpf_run(pp->tmpl_filter, pp->tmpl_filter_len, &d),
				 SECCOMP_RET_ALLOW);
		assert_int_equal(bpf_run(pp->filter, pp->filter_len, &d),
				 SECCOMP_RET_KILL_PROCESS);
	}
	/* Neither allows a fork without CLONE_PARENT, nor another arch. */
	struct seccomp_data d = {.nr = SYS_clone, .arch = AUDIT_ARCH_X86_64};
	assert_int_equal(bpf_run(pp->tmpl_filter, pp->tmpl_filter_len, &d),
			 SECCOMP_RET_KILL_PROCESS);
	d.arch = AUDIT_ARCH_I386;
	d.nr = SYS_munmap;
	assert_int_equal(bpf_run(pp->tmpl_filter, pp->tmpl_filter_len, &d),
			 SECCOMP_RET_KILL_PROCESS);
}

static void test_second_thread_shares_memory_after_prepare_thread(void **state)
{
	struct env e;
	two_threads_start(&e);

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
	assert_int_equal(waitpid(pid, &st, __WALL | WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}


int main(void)
{
	const struct CMUnitTest tests[] = {
	    PLAT_COMMON_TESTS,
	    cmocka_unit_test(test_stub_holds_only_stub_page_memfd_and_seccomp),
	    cmocka_unit_test(test_stub_forbidden_host_syscall_kills_stub),
	    cmocka_unit_test(test_only_stub_code_runs_outside_sysemu),
	    cmocka_unit_test(test_stub_mmap_of_another_fd_kills_stub),
	    cmocka_unit_test(test_host_pid_is_zero_once_the_stub_died),
	    cmocka_unit_test(test_stub_filter_allows_prctl_set_name_only),
	    cmocka_unit_test(test_template_filter_allows_every_call_the_stub_filter_allows),
	    cmocka_unit_test(test_second_thread_shares_memory_after_prepare_thread),
	    cmocka_unit_test(test_thread_exit_without_release_keeps_stub_alive),
	    cmocka_unit_test(test_release_reaps_threads_traced_by_other_sentry_threads),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
