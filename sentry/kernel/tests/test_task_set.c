/* Unit tests for the task-set API of sentry/kernel/kernel.c: lookups that
 * return references, what a reference keeps alive after exit or reaping,
 * and the walk of thread groups.  Tasks and groups are linked by hand as
 * spawn and clone link them; ASan checks every free. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/proc.h"
#include "sentry/kernel/task_internal.h"

struct state {
	struct kernel *k;
};

static int setup(void **st)
{
	struct state *s = calloc(1, sizeof(*s));
	s->k = kernel_new(NULL, NULL);
	assert_non_null(s->k);
	*st = s;
	return 0;
}

static int teardown(void **st)
{
	struct state *s = *st;
	kernel_free(s->k);
	free(s);
	return 0;
}

/* Under tasks_lock: link t into the kernel's list and into tg. */
static void link_task(struct kernel *k, struct thread_group *tg, struct task *t, int tid)
{
	t->tid = tid;
	t->tg = tg;
	t->tg_next = tg->threads;
	tg->threads = t;
	tg->nthreads++;
	t->next_all = k->all_tasks;
	k->all_tasks = t;
	k->ntasks++;
}

/* A process with a leader (tid == pid) and `extra` more threads. */
static struct thread_group *new_process(struct kernel *k, int pid, int extra)
{
	struct thread_group *tg = tg_alloc(k);
	assert_non_null(tg);
	tg->tgid = tg->pgid = tg->sid = pid;
	vmutex_lock(&k->tasks_lock);
	for (int i = extra; i >= 0; i--) {
		struct task *t = task_alloc(k);
		assert_non_null(t);
		link_task(k, tg, t, pid + i);
	}
	tg->leader = tg->threads;
	vmutex_unlock(&k->tasks_lock);
	return tg;
}

/* Under tasks_lock: take t off every list, as exit.c does for a thread. */
static void unlink_task(struct kernel *k, struct task *t)
{
	for (struct task **pp = &k->all_tasks; *pp; pp = &(*pp)->next_all)
		if (*pp == t) {
			*pp = t->next_all;
			break;
		}
	for (struct task **pp = &t->tg->threads; *pp; pp = &(*pp)->tg_next)
		if (*pp == t) {
			*pp = t->tg_next;
			break;
		}
	t->tg->nthreads--;
	k->ntasks--;
}

/* Every thread but the leader exits (off the lists, released as exit.c
 * releases it, freed unless a lookup holds it). */
static void exit_threads(struct kernel *k, struct thread_group *tg)
{
	vmutex_lock(&k->tasks_lock);
	for (struct task *x = tg->threads, *next; x; x = next) {
		next = x->tg_next;
		if (x == tg->leader)
			continue;
		unlink_task(k, x);
		if (task_release_locked(x))
			task_free(x);
	}
	vmutex_unlock(&k->tasks_lock);
}

/* Reap a process whose threads are all gone (only its leader is listed). */
static void reap(struct kernel *k, struct thread_group *tg)
{
	vmutex_lock(&k->tasks_lock);
	tg->zombie = true;
	tg->threads = NULL;
	reap_locked(k, tg);
	vmutex_unlock(&k->tasks_lock);
}

static void test_lookups_find_tasks_and_groups_by_pid(void **st)
{
	struct state *s = *st;
	struct thread_group *tg = new_process(s->k, 10, 1);
	assert_true(kernel_task_exists(s->k, 10));
	assert_true(kernel_task_exists(s->k, 11));
	assert_false(kernel_task_exists(s->k, 12));
	/* A thread's tid names the thread, not a process. */
	assert_null(kernel_get_tg(s->k, 11));
	struct thread_group *g = kernel_get_tg(s->k, 10);
	assert_ptr_equal(g, tg);
	assert_int_equal(tg->refs, 1);
	struct task *t = kernel_get_task(s->k, 11);
	assert_non_null(t);
	assert_int_equal(t->tid, 11);
	assert_int_equal(t->refs, 1);
	assert_int_equal(tg->refs, 2); /* the task's reference holds its group */
	assert_null(kernel_get_task(s->k, 99));
	task_put(t);
	tg_put(g);
	assert_int_equal(tg->refs, 0);
	assert_int_equal(tg_ppid(tg), 0);
	/* Tear down: the thread exits, then the process is reaped. */
	exit_threads(s->k, tg);
	assert_false(kernel_task_exists(s->k, 11));
	reap(s->k, tg);
}

static void test_task_reference_outlives_exit_and_reap(void **st)
{
	struct state *s = *st;
	struct thread_group *tg = new_process(s->k, 20, 1);
	struct task *thread = kernel_get_task(s->k, 21);
	struct task *leader = kernel_get_task(s->k, 20);
	assert_non_null(thread);
	assert_non_null(leader);
	/* The thread exits: it leaves the lists but its struct stays. */
	exit_threads(s->k, tg);
	assert_false(kernel_task_exists(s->k, 21));
	assert_true(thread->released);
	assert_int_equal(thread->tid, 21);
	assert_ptr_equal(thread->tg, tg);
	/* The process is reaped: its leader and group stay for the holders. */
	reap(s->k, tg);
	assert_null(kernel_get_tg(s->k, 20));
	assert_true(tg->reaped);
	assert_int_equal(leader->tid, 20);
	task_put(thread); /* frees the thread; the group is still held */
	assert_int_equal(tg->refs, 1);
	task_put(leader); /* frees the leader, then the group (ASan checks) */
}

static void test_group_reference_outlives_reap(void **st)
{
	struct state *s = *st;
	struct thread_group *tg = new_process(s->k, 30, 0);
	struct thread_group *g = kernel_get_tg(s->k, 30);
	assert_ptr_equal(g, tg);
	reap(s->k, tg);
	assert_true(g->reaped);
	assert_null(g->leader);
	assert_int_equal(g->tgid, 30);
	tg_put(g);
}

static int count_group(struct thread_group *tg, void *arg)
{
	int *pids = arg;
	pids[++pids[0]] = tg->tgid;
	return tg->tgid == 42 ? 7 : 0;
}

static void test_walk_visits_each_group_once(void **st)
{
	struct state *s = *st;
	struct thread_group *a = new_process(s->k, 40, 2);
	struct thread_group *b = new_process(s->k, 50, 0);
	a->zombie = true; /* zombies are listed too; callers skip them */
	int pids[8] = {0};
	assert_int_equal(kernel_for_each_tg(s->k, count_group, pids), 0);
	assert_int_equal(pids[0], 2);
	assert_int_equal(pids[1], 50); /* newest first */
	assert_int_equal(pids[2], 40);
	assert_int_equal(kernel_nr_tasks(s->k), 4);
	/* A nonzero return stops the walk and is returned. */
	struct thread_group *c = new_process(s->k, 42, 0);
	memset(pids, 0, sizeof(pids));
	assert_int_equal(kernel_for_each_tg(s->k, count_group, pids), 7);
	assert_int_equal(pids[0], 1);
	/* Tear down: threads first, then each process. */
	exit_threads(s->k, a);
	reap(s->k, a);
	reap(s->k, b);
	reap(s->k, c);
	assert_null(s->k->all_tasks);
}

static void test_proc_snapshot_copies_the_process(void **st)
{
	struct state *s = *st;
	struct thread_group *tg = new_process(s->k, 60, 1);
	struct task *l = tg->leader;
	strcpy(l->comm, "app");
	l->creds = creds_new_root();
	l->sigmask = 1ULL << (SIGUSR1 - 1);
	tg->actions[SIGINT - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
	tg->actions[SIGTERM - 1].handler = 0x1000;
	tg->rlimits[RLIMIT_CORE] = (struct rlimit){5, 6};
	tg->cmdline = malloc(4);
	memcpy(tg->cmdline, "a\0b", 4);
	tg->cmdline_len = 4;
	struct proc_snapshot snap;
	assert_int_equal(kernel_proc_snapshot(s->k, 61, 0, &snap), -ESRCH); /* a thread */
	assert_int_equal(kernel_proc_snapshot(s->k, 60, PROC_SNAP_CMDLINE | PROC_SNAP_EXE, &snap),
			 0);
	assert_int_equal(snap.tgid, 60);
	assert_int_equal(snap.ppid, 0);
	assert_int_equal(snap.nthreads, 2);
	assert_string_equal(snap.comm, "app");
	assert_ptr_equal(snap.creds, l->creds);
	assert_int_equal(atomic_load(&l->creds->refs), 2);
	assert_true(snap.sig_blocked == 1ULL << (SIGUSR1 - 1));
	assert_true(snap.sig_ignored == 1ULL << (SIGINT - 1));
	assert_true(snap.sig_caught == 1ULL << (SIGTERM - 1));
	assert_int_equal(snap.rlimits[RLIMIT_CORE].rlim_max, 6);
	assert_int_equal(snap.cmdline_len, 4);
	assert_memory_equal(snap.cmdline, "a\0b", 4);
	assert_null(snap.mm); /* not asked for (and there is none) */
	proc_snapshot_release(&snap);
	assert_int_equal(atomic_load(&l->creds->refs), 1);
	/* A zombie shows no command line and no executable, as Linux. */
	exit_threads(s->k, tg);
	tg->zombie = true;
	assert_int_equal(kernel_proc_snapshot(s->k, 60, PROC_SNAP_CMDLINE | PROC_SNAP_EXE, &snap),
			 0);
	assert_true(snap.zombie);
	assert_null(snap.cmdline);
	assert_null(snap.exe_file);
	proc_snapshot_release(&snap);
	reap(s->k, tg);
	assert_int_equal(kernel_proc_snapshot(s->k, 60, 0, &snap), -ESRCH);
}

#define TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		TEST(test_lookups_find_tasks_and_groups_by_pid),
		TEST(test_task_reference_outlives_exit_and_reap),
		TEST(test_group_reference_outlives_reap),
		TEST(test_walk_visits_each_group_once),
		TEST(test_proc_snapshot_copies_the_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
