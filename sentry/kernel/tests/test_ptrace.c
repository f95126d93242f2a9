/* Unit tests for sentry/kernel/ptrace.c without running tasks: who may
 * attach (same user or CAP_SYS_PTRACE, Yama scope 1: descendants, or a
 * process named by PR_SET_PTRACER), the errnos of requests to a tracee that
 * is not stopped or not traced, and what the tracer's wait collects (stops,
 * exits left for it, WNOWAIT) and what its exit does to its tracees.
 * Processes are linked by hand as clone links them; ASan checks every free. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
/* cmocka needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task_internal.h"

#define CAP_SYS_PTRACE 19

struct state {
	struct kernel *k;
	struct thread_group *groups[8];
	int n;
};

static int setup(void **st)
{
	struct state *s = calloc(1, sizeof(*s));
	s->k = kernel_new(NULL, NULL);
	assert_non_null(s->k);
	*st = s;
	return 0;
}

/* Take every process apart (newest first) as exit and reaping would. */
static int teardown(void **st)
{
	struct state *s = *st;
	struct kernel *k = s->k;
	vmutex_lock(&k->tasks_lock);
	for (int i = s->n - 1; i >= 0; i--)
		ptrace_tracer_exit_locked(k, s->groups[i]);
	for (int i = s->n - 1; i >= 0; i--) {
		struct thread_group *tg = s->groups[i];
		for (struct task **pp = &k->all_tasks; *pp; pp = &(*pp)->next_all)
			if (*pp == tg->leader) {
				*pp = tg->leader->next_all;
				break;
			}
		tg->leader->pt.tracer = NULL;
		task_free(tg->leader);
		tg->leader = NULL;
		tg->parent = NULL;
		tg_free(tg);
	}
	vmutex_unlock(&k->tasks_lock);
	kernel_free(k);
	free(s);
	return 0;
}

/* A one-thread process pid, child of parent (NULL: none), with root's
 * credentials less CAP_SYS_PTRACE (as in a Docker container) and real uid
 * uid. */
static struct task *new_process(struct state *s, int pid, struct thread_group *parent, uint32_t uid)
{
	struct kernel *k = s->k;
	struct thread_group *tg = tg_alloc(k);
	struct task *t = task_alloc(k);
	assert_non_null(tg);
	assert_non_null(t);
	struct creds *root = creds_new_root();
	struct creds *c = creds_dup(root);
	creds_put(root);
	c->cap_effective &= ~(1ULL << CAP_SYS_PTRACE);
	c->ruid = c->euid = c->suid = c->fsuid = uid;
	t->creds = c;
	tg->tgid = tg->pgid = tg->sid = pid;
	vmutex_lock(&k->tasks_lock);
	t->tid = pid;
	t->tg = tg;
	tg->threads = tg->leader = t;
	tg->nthreads = 1;
	tg->parent = parent;
	t->next_all = k->all_tasks;
	k->all_tasks = t;
	vmutex_unlock(&k->tasks_lock);
	s->groups[s->n++] = tg;
	return t;
}

static long req(struct task *t, long r, int pid, uint64_t data)
{
	return ptrace_request(t, r, pid, 0, data);
}

static void test_attach_needs_a_descendant_same_user_and_no_tracer(void **st)
{
	struct state *s = *st;
	struct task *p = new_process(s, 10, NULL, 0);
	struct task *c = new_process(s, 20, p->tg, 0);
	struct task *other = new_process(s, 30, NULL, 0);
	struct task *alien = new_process(s, 40, p->tg, 1000);
	assert_int_equal(req(p, PTRACE_ATTACH, p->tid, 0), -EPERM); /* itself */
	assert_int_equal(req(p, PTRACE_ATTACH, 99, 0), -ESRCH);
	assert_int_equal(req(p, PTRACE_ATTACH, other->tid, 0), -EPERM); /* Yama */
	assert_int_equal(req(p, PTRACE_ATTACH, alien->tid, 0), -EPERM); /* another user */
	assert_int_equal(req(c, PTRACE_ATTACH, p->tid, 0), -EPERM);	/* its parent */
	assert_int_equal(req(p, PTRACE_ATTACH, c->tid, 0), 0);
	assert_ptr_equal(c->pt.tracer, p->tg);
	assert_false(c->pt.seized);
	/* ATTACH queues SIGSTOP for the tracee. */
	assert_true(c->pending.set & (1ULL << (SIGSTOP - 1)));
	assert_int_equal(req(p, PTRACE_ATTACH, c->tid, 0), -EPERM); /* traced already */
	assert_int_equal(req(other, PTRACE_SEIZE, c->tid, 0), -EPERM);
	/* PR_SET_PTRACER names who else may attach; a pid must exist. */
	assert_int_equal(ptrace_set_ptracer(other, 77), -EINVAL);
	assert_int_equal(ptrace_set_ptracer(other, (uint64_t)p->tid), 0);
	assert_int_equal(req(p, PTRACE_SEIZE, other->tid, PTRACE_O_TRACESYSGOOD), 0);
	assert_true(other->pt.seized);
	assert_int_equal(other->pt.options, PTRACE_O_TRACESYSGOOD);
	assert_false(other->pending.set & (1ULL << (SIGSTOP - 1)));
	/* TracerPid. */
	vmutex_lock(&s->k->tasks_lock);
	assert_int_equal(ptrace_tracer_pid_locked(other), p->tid);
	assert_int_equal(ptrace_tracer_pid_locked(p), 0);
	vmutex_unlock(&s->k->tasks_lock);
}

static void test_requests_need_a_stopped_tracee_of_the_caller(void **st)
{
	struct state *s = *st;
	struct task *p = new_process(s, 10, NULL, 0);
	struct task *c = new_process(s, 20, p->tg, 0);
	struct task *d = new_process(s, 30, p->tg, 0);
	assert_int_equal(req(p, PTRACE_CONT, c->tid, 0), -ESRCH); /* not traced */
	assert_int_equal(ptrace_request(c, PTRACE_TRACEME, 0, 0, 0), 0);
	assert_int_equal(ptrace_request(c, PTRACE_TRACEME, 0, 0, 0), -EPERM);
	assert_ptr_equal(c->pt.tracer, p->tg);
	assert_int_equal(req(d, PTRACE_CONT, c->tid, 0), -ESRCH);    /* not its tracer */
	assert_int_equal(req(p, PTRACE_CONT, c->tid, 0), -ESRCH);    /* running */
	assert_int_equal(req(p, PTRACE_INTERRUPT, c->tid, 0), -EIO); /* not seized */
	/* A stop, as ptrace_stop publishes it. */
	vmutex_lock(&c->tg->siglock);
	c->pt.stopped = c->pt.waitable = true;
	c->pt.status = 0x7f | (SIGTRAP << 8);
	c->pt.kind = PTRACE_STOP_SIGNAL;
	vmutex_unlock(&c->tg->siglock);
	assert_int_equal(req(p, PTRACE_CONT, c->tid, VISOR_NSIG + 1), -EIO);
	assert_int_equal(req(p, PTRACE_SETOPTIONS, c->tid, 1ULL << 31), -EINVAL);
	assert_int_equal(req(p, PTRACE_LISTEN, c->tid, 0), -EIO); /* not seized */
	assert_int_equal(req(p, 0x4fff, c->tid, 0), -EIO);	  /* unknown request */
	assert_int_equal(ptrace_request(p, PTRACE_POKEUSER, c->tid, 3, 0), -EIO);
	assert_int_equal(ptrace_request(p, PTRACE_POKEUSER, c->tid, 1 << 20, 0), -EIO);
	/* DR7 may not enable a hardware breakpoint (there are none). */
	uint64_t dr7 = offsetof(struct user, u_debugreg) + 7 * 8;
	assert_int_equal(ptrace_request(p, PTRACE_POKEUSER, c->tid, dr7, 1), -EIO);
	assert_int_equal(ptrace_request(p, PTRACE_POKEUSER, c->tid, dr7, 0), 0);
	/* POKEUSER of rip lands in the registers. */
	assert_int_equal(ptrace_request(p, PTRACE_POKEUSER, c->tid,
					offsetof(struct user_regs_struct, rip), 0x1234),
			 0);
	assert_int_equal(c->regs.rip, 0x1234);
	assert_int_equal(req(p, PTRACE_SYSCALL, c->tid, SIGUSR1), 0);
	assert_false(c->pt.stopped);
	assert_int_equal(c->pt.mode, PTRACE_RESUME_SYSCALL);
	assert_int_equal(c->pt.resume_sig, SIGUSR1);
	assert_int_equal(req(p, PTRACE_DETACH, c->tid, 0), -ESRCH); /* running again */
}

static void test_wait_collects_stops_and_exits_once(void **st)
{
	struct state *s = *st;
	struct kernel *k = s->k;
	struct task *p = new_process(s, 10, NULL, 0);
	struct task *c = new_process(s, 20, p->tg, 0);
	assert_int_equal(req(p, PTRACE_SEIZE, c->tid, 0), 0);
	int status = 0;
	siginfo_t info;
	bool live = false;
	vmutex_lock(&k->tasks_lock);
	assert_int_equal(ptrace_wait_locked(k, p->tg, P_ALL, 0, WEXITED, &status, &info, &live), 0);
	assert_true(live);
	vmutex_unlock(&k->tasks_lock);
	vmutex_lock(&c->tg->siglock);
	c->pt.stopped = c->pt.waitable = true;
	c->pt.status = 0x7f | ((SIGTRAP | 0x80) << 8);
	vmutex_unlock(&c->tg->siglock);
	vmutex_lock(&k->tasks_lock);
	/* P_PID of another pid: nothing; WNOWAIT: reported and kept. */
	assert_int_equal(ptrace_wait_locked(k, p->tg, P_PID, 21, WEXITED, &status, NULL, &live), 0);
	assert_int_equal(
	    ptrace_wait_locked(k, p->tg, P_PID, 20, WEXITED | WNOWAIT, &status, &info, &live), 20);
	assert_int_equal(info.si_code, CLD_TRAPPED);
	assert_int_equal(info.si_status, SIGTRAP | 0x80);
	assert_int_equal(ptrace_wait_locked(k, p->tg, P_ALL, 0, WEXITED, &status, NULL, &live), 20);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(WSTOPSIG(status), SIGTRAP | 0x80);
	assert_int_equal(ptrace_wait_locked(k, p->tg, P_ALL, 0, WEXITED, &status, NULL, &live), 0);
	/* Its exit, left for the tracer (which is its parent, but it is not
	 * the group's last thread here); WEXITED is needed to collect it. */
	ptrace_task_exit_locked(c, 3 << 8, false);
	assert_null(c->pt.tracer);
	live = false;
	assert_int_equal(ptrace_wait_locked(k, p->tg, P_ALL, 0, WSTOPPED, &status, NULL, &live), 0);
	assert_true(live);
	assert_int_equal(ptrace_wait_locked(k, p->tg, P_ALL, 0, WEXITED, &status, &info, &live),
			 20);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 3);
	assert_int_equal(info.si_code, CLD_EXITED);
	live = false;
	assert_int_equal(ptrace_wait_locked(k, p->tg, P_ALL, 0, WEXITED, &status, NULL, &live), 0);
	assert_false(live);
	vmutex_unlock(&k->tasks_lock);
}

static void test_tracer_exit_detaches_and_resumes(void **st)
{
	struct state *s = *st;
	struct kernel *k = s->k;
	struct task *p = new_process(s, 10, NULL, 0);
	struct task *c = new_process(s, 20, p->tg, 0);
	assert_int_equal(req(p, PTRACE_SEIZE, c->tid, 0), 0);
	vmutex_lock(&c->tg->siglock);
	c->pt.stopped = c->pt.waitable = true;
	vmutex_unlock(&c->tg->siglock);
	vmutex_lock(&k->tasks_lock);
	ptrace_tracer_exit_locked(k, p->tg);
	vmutex_unlock(&k->tasks_lock);
	assert_null(c->pt.tracer);
	assert_false(c->pt.stopped);
	assert_false(c->pt.seized);
	assert_int_equal(req(p, PTRACE_CONT, c->tid, 0), -ESRCH);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_attach_needs_a_descendant_same_user_and_no_tracer),
	    TEST(test_requests_need_a_stopped_tracee_of_the_caller),
	    TEST(test_wait_collects_stops_and_exits_once),
	    TEST(test_tracer_exit_detaches_and_resumes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
