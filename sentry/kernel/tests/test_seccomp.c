/* Unit tests for sentry/kernel/seccomp.c and sentry/syscalls/sys_seccomp.c:
 * the program checker, the interpreter, the actions at syscall entry, strict
 * mode, TSYNC and the syscall's argument rules. */
#include <linux/audit.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/signal.h"
#include "sentry/tests/harness.h"

/* ---- stand-ins for the exits and signals seccomp.c calls ---- */

static jmp_buf exit_jmp;
static int exit_status = -1;
static int group_exit_status = -1;
static siginfo_t forced;
static int forced_count;

void task_force_signal(struct task *t, const siginfo_t *info)
{
	forced = *info;
	forced_count++;
}

void signal_group_exit(struct thread_group *tg, int status)
{
	group_exit_status = status;
}

void task_deliver_signals(struct task *t) {}

/* prctl (sys_cred.c) would link ptrace.c, and it the real signal code. */
int ptrace_set_ptracer(struct task *t, uint64_t arg)
{
	return -EINVAL;
}

_Noreturn void task_exit(struct task *t, int status)
{
	exit_status = status;
	longjmp(exit_jmp, 1);
}

static void reset_fakes(void)
{
	exit_status = group_exit_status = -1;
	forced_count = 0;
	memset(&forced, 0, sizeof(forced));
}

/* Runs seccomp_syscall_enter; returns 1 (runs), 0 (*ret set) or -1 (the
 * task exited: exit_status). */
static int enter(struct task *t, int nr, const uint64_t a[6], int64_t *ret)
{
	static const uint64_t zero[6];
	reset_fakes();
	if (setjmp(exit_jmp))
		return -1;
	return seccomp_syscall_enter(t, nr, a ? a : zero, ret) ? 1 : 0;
}

#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define JEQ(k, jt, jf) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (jt), (jf))
#define NR_OFF offsetof(struct seccomp_data, nr)

/* Install "nr -> action, else allow" on t (as the syscall would). */
static int install(struct task *t, int nr, uint32_t action, unsigned int flags)
{
	struct sock_filter f[] = {LD(NR_OFF), JEQ((uint32_t)nr, 0, 1), RET(action),
				  RET(SECCOMP_RET_ALLOW)};
	assert_int_equal(seccomp_check_prog(f, 4), 0);
	return seccomp_set_filter(t, flags, f, 4);
}

/* Drop t's filters (the fixture's teardown drops the rest of s->t). */
static void fini_task(struct task *t)
{
	seccomp_task_free(t);
}

/* The same for a second task of a test, which it owns wholly. */
static void fini_other(struct task *t)
{
	seccomp_task_free(t);
	kfx_task_fini(t);
}

/* ---- the checker ---- */

static void test_check_rejects_what_linux_rejects(void **state)
{
	struct sock_filter ok[] = {RET(SECCOMP_RET_ALLOW)};
	assert_int_equal(seccomp_check_prog(ok, 1), 0);
	assert_int_equal(seccomp_check_prog(ok, 0), -EINVAL);
	assert_int_equal(seccomp_check_prog(ok, SECCOMP_MAX_PROG_INSNS + 1), -EINVAL);

	struct sock_filter bad[][2] = {
		{BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), RET(0)},      /* halfword */
		{BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), RET(0)},      /* indirect */
		{LD(2), RET(0)},                                     /* misaligned */
		{LD(64), RET(0)},                                    /* past the data */
		{BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), RET(0)},     /* / 0 */
		{BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), RET(0)},     /* no MOD */
		{BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), RET(0)},    /* shift 32 */
		{BPF_STMT(BPF_ST, 16), RET(0)},                      /* slot 16 */
		{BPF_STMT(BPF_LD | BPF_MEM, 0), RET(0)},              /* read unset */
		{BPF_STMT(BPF_JMP | BPF_JA, 1), RET(0)},              /* ja out */
		{JEQ(0, 1, 0), RET(0)},                              /* jt out */
		{JEQ(0, 0, 1), RET(0)},                              /* jf out */
		{RET(0), LD(0)},                                     /* no final ret */
		{BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), RET(0)},     /* not seccomp's */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (seccomp_check_prog(bad[i], 2) != -EINVAL)
			fail_msg("program %zu was accepted", i);
	}
}

static void test_check_follows_scratch_writes_on_every_path(void **state)
{
	struct sock_filter both[] = {
		LD(NR_OFF), JEQ(1, 0, 2), BPF_STMT(BPF_ST, 3), BPF_STMT(BPF_JMP | BPF_JA, 1),
		BPF_STMT(BPF_ST, 3), BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_A, 0)};
	assert_int_equal(seccomp_check_prog(both, 7), 0);
	struct sock_filter one[] = {LD(NR_OFF), JEQ(1, 0, 1), BPF_STMT(BPF_ST, 3),
				    BPF_STMT(BPF_LD | BPF_MEM, 3), BPF_STMT(BPF_RET | BPF_A, 0)};
	assert_int_equal(seccomp_check_prog(one, 5), -EINVAL);
}

/* ---- the interpreter ---- */

static void test_interpreter_arithmetic_jumps_and_scratch(void **state)
{
	struct seccomp_data d = {.nr = 39, .arch = AUDIT_ARCH_X86_64,
				 .args = {0x1122334455667788ULL}};
	struct sock_filter f[] = {
		LD(offsetof(struct seccomp_data, args[0]) + 4), /* high word */
		BPF_STMT(BPF_ST, 0),
		LD(NR_OFF),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),          /* 40 */
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),          /* 120 */
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 7),          /* 17 */
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 4),          /* 272 */
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 0),
		JEQ(0x11223344, 1, 0),
		RET(1),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x100, 1, 0),
		RET(2),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),       /* 16 */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 16, 0, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
		RET(3),
	};
	unsigned n = sizeof(f) / sizeof(f[0]);
	assert_int_equal(seccomp_check_prog(f, n), 0);
	assert_int_equal(seccomp_run_prog(f, n, &d), 16);

	/* A division by X == 0 ends the program with 0. */
	struct sock_filter div[] = {BPF_STMT(BPF_LDX | BPF_IMM, 0), LD(NR_OFF),
				    BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), RET(5)};
	assert_int_equal(seccomp_check_prog(div, 4), 0);
	assert_int_equal(seccomp_run_prog(div, 4, &d), 0);

	/* LEN loads the size of struct seccomp_data. */
	struct sock_filter len[] = {BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
				    BPF_STMT(BPF_ALU | BPF_NEG, 0), BPF_STMT(BPF_RET | BPF_A, 0)};
	assert_int_equal(seccomp_run_prog(len, 3, &d), (uint32_t)-64);
}

/* ---- actions at syscall entry ---- */

static void test_no_filter_runs_everything(void **state)
{
	struct kfx_state *s = *state;
	int64_t ret = 99;
	assert_int_equal(enter(&s->t, SYS_getpid, NULL, &ret), 1);
	assert_int_equal(seccomp_mode(&s->t), SECCOMP_MODE_DISABLED);
}

static void test_errno_trace_log_actions(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	int64_t ret = 0;
	assert_int_equal(install(t, SYS_uname, SECCOMP_RET_ERRNO | EACCES, 0), 0);
	assert_int_equal(seccomp_mode(t), SECCOMP_MODE_FILTER);
	assert_int_equal(enter(t, SYS_uname, NULL, &ret), 0);
	assert_int_equal(ret, -EACCES);
	assert_int_equal(enter(t, SYS_getpid, NULL, &ret), 1);

	/* The newest of equal actions gives the data; ALLOW never loosens. */
	install(t, SYS_uname, SECCOMP_RET_ERRNO | EPERM, 0);
	install(t, SYS_uname, SECCOMP_RET_ALLOW, 0);
	assert_int_equal(enter(t, SYS_uname, NULL, &ret), 0);
	assert_int_equal(ret, -EPERM);
	assert_int_equal(seccomp_filter_count(t), 3);

	install(t, SYS_getcwd, SECCOMP_RET_ERRNO | 9999, 0);
	enter(t, SYS_getcwd, NULL, &ret);
	assert_int_equal(ret, -4095);
	install(t, SYS_sync, SECCOMP_RET_TRACE | 1, 0);
	assert_int_equal(enter(t, SYS_sync, NULL, &ret), 0);
	assert_int_equal(ret, -ENOSYS);
	install(t, SYS_getppid, SECCOMP_RET_LOG, 0);
	assert_int_equal(enter(t, SYS_getppid, NULL, &ret), 1);
	fini_task(t);
}

static void test_trap_queues_sigsys_and_rolls_back(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	t->regs.rip = 0x401234;
	t->regs.orig_rax = SYS_getppid;
	install(t, SYS_getppid, SECCOMP_RET_TRAP | 77, 0);
	int64_t ret = 0;
	assert_int_equal(enter(t, SYS_getppid, NULL, &ret), 0);
	assert_int_equal(ret, SYS_getppid);
	assert_int_equal(forced_count, 1);
	assert_int_equal(forced.si_signo, SIGSYS);
	assert_int_equal(forced.si_code, 1 /* SYS_SECCOMP */);
	assert_int_equal(forced.si_errno, 77);
	assert_int_equal(forced.si_syscall, SYS_getppid);
	assert_int_equal(forced.si_arch, AUDIT_ARCH_X86_64);
	assert_ptr_equal(forced.si_call_addr, (void *)0x401234);
	fini_task(t);
}

static void test_filter_sees_arguments_and_ip(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	t->regs.rip = 0xabc000;
	/* ERRNO(arg2 low word) when ip's low word is 0xabc000. */
	struct sock_filter f[] = {
		LD(offsetof(struct seccomp_data, instruction_pointer)),
		JEQ(0xabc000, 1, 0),
		RET(SECCOMP_RET_ALLOW),
		LD(offsetof(struct seccomp_data, args[2])),
		BPF_STMT(BPF_ALU | BPF_OR | BPF_K, SECCOMP_RET_ERRNO),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	assert_int_equal(seccomp_check_prog(f, 6), 0);
	assert_int_equal(seccomp_set_filter(t, 0, f, 6), 0);
	const uint64_t a[6] = {0, 0, 0x100000000ULL | 13};
	int64_t ret = 0;
	assert_int_equal(enter(t, SYS_write, a, &ret), 0);
	assert_int_equal(ret, -13);
	fini_task(t);
}

static void test_kill_actions(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	int64_t ret;
	s->fx->tg.nthreads = 2;
	install(t, SYS_getppid, SECCOMP_RET_KILL_THREAD, 0);
	assert_int_equal(enter(t, SYS_getppid, NULL, &ret), -1);
	assert_int_equal(exit_status, SIGSYS);
	assert_int_equal(group_exit_status, -1); /* only the thread */

	s->fx->tg.nthreads = 1;
	assert_int_equal(enter(t, SYS_getppid, NULL, &ret), -1);
	assert_int_equal(group_exit_status, SIGSYS); /* a lone thread takes its process */

	s->fx->tg.nthreads = 2;
	install(t, SYS_getpid, SECCOMP_RET_KILL_PROCESS, 0);
	assert_int_equal(enter(t, SYS_getpid, NULL, &ret), -1);
	assert_int_equal(group_exit_status, SIGSYS);

	install(t, SYS_uname, 0x12340000, 0); /* unknown: kills the process */
	assert_int_equal(enter(t, SYS_uname, NULL, &ret), -1);
	assert_int_equal(group_exit_status, SIGSYS);
	fini_task(t);
}

static void test_strict_mode(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	int64_t ret;
	assert_int_equal(seccomp_set_strict(t), 0);
	assert_int_equal(seccomp_mode(t), SECCOMP_MODE_STRICT);
	assert_int_equal(enter(t, SYS_read, NULL, &ret), 1);
	assert_int_equal(enter(t, SYS_write, NULL, &ret), 1);
	assert_int_equal(enter(t, SYS_rt_sigreturn, NULL, &ret), 1);
	assert_int_equal(enter(t, SYS_exit, NULL, &ret), 1);
	assert_int_equal(enter(t, SYS_exit_group, NULL, &ret), -1);
	assert_int_equal(exit_status, SIGKILL);
	/* No filter on top of strict mode. */
	assert_int_equal(install(t, SYS_getpid, SECCOMP_RET_ALLOW, 0), -EINVAL);
	fini_task(t);
}

static void test_filter_then_strict_is_einval(void **state)
{
	struct kfx_state *s = *state;
	install(&s->t, SYS_getpid, SECCOMP_RET_ALLOW, 0);
	assert_int_equal(seccomp_set_strict(&s->t), -EINVAL);
	fini_task(&s->t);
}

static void test_path_instruction_limit(void **state)
{
	struct kfx_state *s = *state;
	static struct sock_filter big[SECCOMP_MAX_PROG_INSNS];
	for (int i = 0; i < SECCOMP_MAX_PROG_INSNS; i++)
		big[i] = (struct sock_filter)RET(SECCOMP_RET_ALLOW);
	/* (4096 + 4) per filter: 7 fit in 32768, the 8th does not. */
	for (int i = 0; i < 7; i++)
		assert_int_equal(seccomp_set_filter(&s->t, 0, big, SECCOMP_MAX_PROG_INSNS), 0);
	assert_int_equal(seccomp_set_filter(&s->t, 0, big, SECCOMP_MAX_PROG_INSNS), -ENOMEM);
	assert_int_equal(seccomp_filter_count(&s->t), 7);
	fini_task(&s->t);
}

static void test_fork_shares_and_keeps_the_chain(void **state)
{
	struct kfx_state *s = *state;
	struct task child;
	kfx_task_init(s->fx, &child, 2);
	install(&s->t, SYS_uname, SECCOMP_RET_ERRNO | 1, 0);
	seccomp_fork(&child, &s->t);
	/* The parent's later filter is its own. */
	install(&s->t, SYS_getpid, SECCOMP_RET_ERRNO | 2, 0);
	int64_t ret;
	assert_int_equal(enter(&child, SYS_uname, NULL, &ret), 0);
	assert_int_equal(ret, -1);
	assert_int_equal(enter(&child, SYS_getpid, NULL, &ret), 1);
	assert_int_equal(seccomp_filter_count(&child), 1);
	fini_task(&s->t); /* the child's reference keeps the shared filter */
	assert_int_equal(enter(&child, SYS_uname, NULL, &ret), 0);
	fini_other(&child);
}

static void link_threads(struct kfx *fx, struct task *a, struct task *b)
{
	fx->tg.threads = a;
	a->tg_next = b;
	b->tg_prev = a;
	fx->tg.nthreads = 2;
}

static void test_tsync_gives_every_thread_the_filter(void **state)
{
	struct kfx_state *s = *state;
	struct task other;
	kfx_task_init(s->fx, &other, 2);
	link_threads(s->fx, &s->t, &other);
	assert_int_equal(install(&s->t, SYS_uname, SECCOMP_RET_ERRNO | 7,
				 SECCOMP_FILTER_FLAG_TSYNC), 0);
	int64_t ret;
	assert_int_equal(enter(&other, SYS_uname, NULL, &ret), 0);
	assert_int_equal(ret, -7);
	assert_int_equal(seccomp_mode(&other), SECCOMP_MODE_FILTER);

	/* other diverges: TSYNC names it (or ESRCH), and nothing changes. */
	install(&other, SYS_getpid, SECCOMP_RET_ERRNO | 8, 0);
	assert_int_equal(install(&s->t, SYS_sync, SECCOMP_RET_ERRNO | 9,
				 SECCOMP_FILTER_FLAG_TSYNC), 2);
	assert_int_equal(install(&s->t, SYS_sync, SECCOMP_RET_ERRNO | 9,
				 SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH),
			 -ESRCH);
	assert_int_equal(seccomp_filter_count(&s->t), 1);
	/* Without TSYNC the caller alone gets it. */
	assert_int_equal(install(&s->t, SYS_sync, SECCOMP_RET_ERRNO | 9, 0), 0);
	assert_int_equal(enter(&other, SYS_sync, NULL, &ret), 1);
	fini_other(&other);
	fini_task(&s->t);
}

/* ---- the syscall ---- */

static int64_t seccomp_call(struct task *t, uint64_t op, uint64_t flags, uint64_t args)
{
	return fx_call(sys_seccomp_defs, t, SYS_seccomp, op, flags, args, 0, 0, 0);
}

/* Write a one-instruction program and its sock_fprog at base. */
static uint64_t put_prog(struct kfx *fx, uint16_t len, uint32_t ret)
{
	struct sock_filter f = RET(ret);
	assert_int_equal(mm_copy_out(fx->mm, fx->base + 64, &f, sizeof(f)), 0);
	struct {
		uint16_t len, pad[3];
		uint64_t filter;
	} p = {len, {0}, fx->base + 64};
	assert_int_equal(mm_copy_out(fx->mm, fx->base, &p, sizeof(p)), 0);
	return fx->base;
}

static void test_syscall_argument_rules(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	uint64_t p = put_prog(s->fx, 1, SECCOMP_RET_ALLOW);
	assert_int_equal(seccomp_call(t, SECCOMP_SET_MODE_FILTER, 1u << 20, p), -EINVAL);
	assert_int_equal(seccomp_call(t, SECCOMP_SET_MODE_FILTER,
				      SECCOMP_FILTER_FLAG_NEW_LISTENER, p), -EINVAL);
	assert_int_equal(seccomp_call(t, SECCOMP_SET_MODE_FILTER, 0, 0), -EFAULT);
	assert_int_equal(seccomp_call(t, SECCOMP_SET_MODE_STRICT, 0, p), -EINVAL);
	assert_int_equal(seccomp_call(t, 77, 0, 0), -EINVAL);
	put_prog(s->fx, 0, SECCOMP_RET_ALLOW);
	assert_int_equal(seccomp_call(t, SECCOMP_SET_MODE_FILTER, 0, p), -EINVAL);

	/* Unprivileged without no_new_privs: EACCES; with it: installed. */
	struct creds *c = creds_dup(t->creds);
	c->cap_effective = 0;
	c->euid = 1000;
	task_commit_creds(t, c);
	put_prog(s->fx, 1, SECCOMP_RET_ALLOW);
	assert_int_equal(seccomp_call(t, SECCOMP_SET_MODE_FILTER, 0, p), -EACCES);
	c = creds_dup(t->creds);
	c->no_new_privs = true;
	task_commit_creds(t, c);
	assert_int_equal(seccomp_call(t, SECCOMP_SET_MODE_FILTER, 0, p), 0);
	assert_int_equal(seccomp_mode(t), SECCOMP_MODE_FILTER);

	/* prctl's forms. */
	assert_int_equal(fx_call(sys_cred_defs, t, SYS_prctl, PR_GET_SECCOMP, 0, 0, 0, 0, 0),
			 SECCOMP_MODE_FILTER);
	assert_int_equal(fx_call(sys_cred_defs, t, SYS_prctl, PR_SET_SECCOMP, 9, 0, 0, 0, 0),
			 -EINVAL);
	assert_int_equal(fx_call(sys_cred_defs, t, SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
				 p, 0, 0, 0), 0);
	assert_int_equal(seccomp_filter_count(t), 2);
	fini_task(t);
}

static void test_action_avail_and_notif_sizes(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	uint32_t acts[] = {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
			   SECCOMP_RET_ERRNO, SECCOMP_RET_TRACE, SECCOMP_RET_LOG,
			   SECCOMP_RET_ALLOW};
	for (size_t i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
		put32(s->fx, s->fx->base, acts[i]);
		assert_int_equal(seccomp_call(t, SECCOMP_GET_ACTION_AVAIL, 0, s->fx->base), 0);
	}
	put32(s->fx, s->fx->base, SECCOMP_RET_USER_NOTIF);
	assert_int_equal(seccomp_call(t, SECCOMP_GET_ACTION_AVAIL, 0, s->fx->base), -EOPNOTSUPP);
	assert_int_equal(seccomp_call(t, SECCOMP_GET_ACTION_AVAIL, 1, s->fx->base), -EINVAL);
	assert_int_equal(seccomp_call(t, SECCOMP_GET_ACTION_AVAIL, 0, 0), -EFAULT);
	assert_int_equal(seccomp_call(t, SECCOMP_GET_NOTIF_SIZES, 0, s->fx->base), 0);
	struct seccomp_notif_sizes sz;
	assert_int_equal(mm_copy_in(s->fx->mm, &sz, s->fx->base, sizeof(sz)), 0);
	assert_int_equal(sz.seccomp_data, 64);
	fini_task(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check_rejects_what_linux_rejects),
		cmocka_unit_test(test_check_follows_scratch_writes_on_every_path),
		cmocka_unit_test(test_interpreter_arithmetic_jumps_and_scratch),
		cmocka_unit_test_setup_teardown(test_no_filter_runs_everything, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_errno_trace_log_actions, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_trap_queues_sigsys_and_rolls_back, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_filter_sees_arguments_and_ip, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_kill_actions, kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_strict_mode, kfx_setup, kfx_teardown),
		cmocka_unit_test_setup_teardown(test_filter_then_strict_is_einval, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_path_instruction_limit, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_fork_shares_and_keeps_the_chain, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_tsync_gives_every_thread_the_filter, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_syscall_argument_rules, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_action_avail_and_notif_sizes, kfx_setup,
						kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
