/*
 * Unit tests for lib/lockdep.c: the run-time lock-order checks.
 *
 * Every scenario runs in a forked child with its stderr captured, so that a
 * check that aborts (the behaviour under test) ends only the child: the
 * parent asserts how the child ended (normal exit or SIGABRT) and what
 * lockdep printed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/lockdep.h"

#ifndef VISOR_LOCKDEP
#error "the lockdep tests need the checks: build with -DVISOR_LOCKDEP (the san build does)"
#endif

static const struct lock_class outer_class = {"test_outer", 10};
static const struct lock_class middle_class = {"test_middle", 20};
static const struct lock_class inner_class = {"test_inner", 30};

struct child_result {
	int status;
	char err[4096];
};

/* The child's side of run_child: stderr into the pipe, then fn.  _exit, not
 * exit: the child must not flush cmocka's buffers or run the sanitizers'
 * leak check a second time.  A check that fails to fire may leave the child
 * deadlocked: the alarm ends it (SIGALRM). */
__attribute__((noreturn)) static void child_main(void (*fn)(void), int pipe_r, int pipe_w)
{
	close(pipe_r);
	dup2(pipe_w, STDERR_FILENO);
	close(pipe_w);
	alarm(20);
	fn();
	_exit(0);
}

/* Run fn in a child and collect its exit status and what it wrote to
 * stderr; fn returning is a normal exit 0. */
static void run_child(void (*fn)(void), struct child_result *r)
{
	int p[2];
	if (pipe(p) != 0)
		fail_msg("pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid == 0)
		child_main(fn, p[0], p[1]);
	close(p[1]);
	size_t n = 0;
	ssize_t k;
	while (pid > 0 && n < sizeof(r->err) - 1 &&
	       (k = read(p[0], r->err + n, sizeof(r->err) - 1 - n)) > 0)
		n += (size_t)k;
	r->err[n] = '\0';
	close(p[0]);
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	assert_int_equal(waitpid(pid, &r->status, 0), pid);
}

static void expect_ok(void (*fn)(void))
{
	struct child_result r;
	run_child(fn, &r);
	if (!WIFEXITED(r.status) || WEXITSTATUS(r.status) != 0 || r.err[0])
		fail_msg("child should have run clean; status %#x, stderr: %s", r.status, r.err);
}

/* The child must die by SIGABRT with a "lockdep: " report containing each
 * '|'-separated part of parts. */
static void expect_abort(void (*fn)(void), const char *parts)
{
	struct child_result r;
	run_child(fn, &r);
	if (!WIFSIGNALED(r.status) || WTERMSIG(r.status) != SIGABRT)
		fail_msg("child should have aborted; status %#x, stderr: %s", r.status, r.err);
	assert_non_null(strstr(r.err, "lockdep: "));
	for (const char *p = parts; *p;) {
		size_t n = strcspn(p, "|");
		char part[256];
		snprintf(part, sizeof(part), "%.*s", (int)n, p);
		if (!strstr(r.err, part))
			fail_msg("lockdep's report lacks \"%s\": %s", part, r.err);
		p += n + (p[n] == '|');
	}
}

/* ---- order ---- */

static void take_in_order(void)
{
	struct vmutex a = VMUTEX_INITIALIZER(&outer_class);
	struct vmutex b, c;
	vmutex_init(&b, &middle_class);
	vmutex_init(&c, &inner_class);
	vmutex_lock(&a);
	vmutex_lock(&b);
	vmutex_lock(&c);
	if (lockdep_held_count() != 3)
		abort();
	/* Release order is free. */
	vmutex_unlock(&a);
	vmutex_unlock(&c);
	vmutex_unlock(&b);
	if (lockdep_held_count() != 0)
		abort();
	/* Skipping a level, and starting again from an inner lock, are fine. */
	vmutex_lock(&a);
	vmutex_lock(&c);
	vmutex_unlock(&c);
	vmutex_unlock(&a);
	vmutex_lock(&c);
	vmutex_unlock(&c);
	vmutex_destroy(&b);
	vmutex_destroy(&c);
}

/* Take a lock of class first, then one of class second (the scenarios'
 * child exits or aborts with them held). */
static struct vmutex pair[2];

static void lock_pair(const struct lock_class *first, const struct lock_class *second)
{
	vmutex_init(&pair[0], first);
	vmutex_init(&pair[1], second);
	vmutex_lock(&pair[0]);
	vmutex_lock(&pair[1]);
}

static void take_outer_under_inner(void) { lock_pair(&inner_class, &outer_class); }

/* The lock that makes the inversion is not the last one taken (a trylock,
 * which is not order-checked, put an outer lock above it). */
static void inversion_below_a_trylock(void)
{
	static struct vmutex a = VMUTEX_INITIALIZER(&outer_class);
	static struct vmutex b = VMUTEX_INITIALIZER(&middle_class);
	static struct vmutex c = VMUTEX_INITIALIZER(&inner_class);
	vmutex_lock(&c);
	if (vmutex_trylock(&a) != 0)
		abort();
	vmutex_lock(&b);
}

/* The project's own classes: memory-file lock inside mm->lock, as
 * sentry/LOCKING.md orders them, and the inversion named with both. */
static void mm_and_memfile_in_order(void)
{
	lock_pair(LOCK_CLASS(MM), LOCK_CLASS(MEMFILE));
	vmutex_unlock(&pair[1]);
	vmutex_unlock(&pair[0]);
	if (lockdep_held_count() != 0)
		abort();
}

static void mm_under_memfile(void) { lock_pair(LOCK_CLASS(MEMFILE), LOCK_CLASS(MM)); }

/* ---- the same lock again ---- */

static void relock_recursive(void)
{
	struct vmutex r, c;
	vmutex_init_recursive(&r, &outer_class);
	vmutex_init(&c, &inner_class);
	vmutex_lock(&r);
	vmutex_lock(&c);
	vmutex_lock(&r); /* owned already: cannot block, so not an inversion */
	if (lockdep_held_count() != 3)
		abort();
	vmutex_unlock(&r);
	lockdep_assert_held(&r);
	vmutex_unlock(&c);
	vmutex_unlock(&r);
	if (lockdep_held_count() != 0)
		abort();
	vmutex_destroy(&r);
	vmutex_destroy(&c);
}

static void relock_plain(void)
{
	static struct vmutex m = VMUTEX_INITIALIZER(&middle_class);
	vmutex_lock(&m);
	vmutex_lock(&m); /* would deadlock; lockdep stops it first */
}

static void relock_static_recursive(void)
{
	static struct vmutex r = VMUTEX_RECURSIVE_INITIALIZER(&middle_class);
	vmutex_lock(&r);
	vmutex_lock(&r);
	vmutex_unlock(&r);
	vmutex_unlock(&r);
	if (lockdep_held_count() != 0 || vmutex_trylock(&r) != 0)
		abort();
	vmutex_unlock(&r);
}

/* ---- two locks of one class ---- */

static void nested_in_order(void)
{
	struct vmutex x[3];
	for (int i = 0; i < 3; i++)
		vmutex_init(&x[i], &middle_class);
	vmutex_lock(&x[0]); /* subclass 0 */
	vmutex_lock_nested(&x[1], 1);
	vmutex_lock_nested(&x[2], 2);
	vmutex_unlock(&x[2]);
	vmutex_unlock(&x[1]);
	/* An inner class after nested locks is still in order. */
	struct vmutex c;
	vmutex_init(&c, &inner_class);
	vmutex_lock_nested(&x[1], 1);
	vmutex_lock(&c);
	vmutex_unlock(&c);
	vmutex_unlock(&x[1]);
	vmutex_unlock(&x[0]);
	for (int i = 0; i < 3; i++)
		vmutex_destroy(&x[i]);
	vmutex_destroy(&c);
}

static void nested_out_of_order(void)
{
	static struct vmutex x = VMUTEX_INITIALIZER(&middle_class);
	static struct vmutex y = VMUTEX_INITIALIZER(&middle_class);
	vmutex_lock_nested(&y, 1);
	vmutex_lock_nested(&x, 0);
}

static void same_class_without_nesting(void) { lock_pair(&middle_class, &middle_class); }

static void subclass_too_big(void)
{
	static struct vmutex x = VMUTEX_INITIALIZER(&middle_class);
	vmutex_lock_nested(&x, LOCKDEP_MAX_SUBCLASS + 1);
}

/* ---- releasing ---- */

static void unlock_unheld(void)
{
	static struct vmutex m = VMUTEX_INITIALIZER(&inner_class);
	vmutex_unlock(&m);
}

/* A second thread takes held_elsewhere and keeps it until release_holder. */
static struct vmutex held_elsewhere = VMUTEX_INITIALIZER(&inner_class);
static pthread_barrier_t barrier;
static pthread_t holder;

static void *holder_main(void *arg)
{
	vmutex_lock(&held_elsewhere);
	pthread_barrier_wait(&barrier); /* held */
	pthread_barrier_wait(&barrier); /* release_holder */
	vmutex_unlock(&held_elsewhere);
	return NULL;
}

static void start_holder(void)
{
	pthread_barrier_init(&barrier, NULL, 2);
	pthread_create(&holder, NULL, holder_main, NULL);
	pthread_barrier_wait(&barrier);
}

static void release_holder(void)
{
	pthread_barrier_wait(&barrier);
	pthread_join(holder, NULL);
}

static void unlock_other_threads_lock(void)
{
	start_holder();
	vmutex_unlock(&held_elsewhere); /* another thread's: aborts */
}

static void destroy_held(void)
{
	struct vmutex m;
	vmutex_init(&m, &inner_class);
	vmutex_lock(&m);
	vmutex_destroy(&m);
}

/* ---- limits and misuse ---- */

static void hold_too_many(void)
{
	static struct lock_class classes[LOCKDEP_MAX_HELD + 1];
	static struct vmutex m[LOCKDEP_MAX_HELD + 1];
	for (int i = 0; i <= LOCKDEP_MAX_HELD; i++) {
		classes[i] = (struct lock_class){"test_deep", 100 + i};
		vmutex_init(&m[i], &classes[i]);
	}
	for (int i = 0; i < LOCKDEP_MAX_HELD; i++)
		vmutex_lock(&m[i]);
	if (lockdep_held_count() != LOCKDEP_MAX_HELD)
		abort();
	vmutex_lock(&m[LOCKDEP_MAX_HELD]);
}

static void lock_classless(void)
{
	static struct vmutex m = VMUTEX_INITIALIZER(NULL);
	vmutex_lock(&m);
}

/* ---- trylock ---- */

static void trylock_out_of_order(void)
{
	struct vmutex a, c;
	vmutex_init(&a, &outer_class);
	vmutex_init(&c, &inner_class);
	vmutex_lock(&c);
	/* Cannot deadlock: allowed, and a held plain mutex is simply busy. */
	if (vmutex_trylock(&a) != 0 || vmutex_trylock(&a) != -EBUSY)
		abort();
	if (lockdep_held_count() != 2)
		abort();
	lockdep_assert_held(&a);
	vmutex_unlock(&a);
	vmutex_unlock(&c);
	vmutex_destroy(&a);
	vmutex_destroy(&c);
}

static void lock_under_trylocked(void)
{
	static struct vmutex b = VMUTEX_INITIALIZER(&middle_class);
	static struct vmutex c = VMUTEX_INITIALIZER(&inner_class);
	if (vmutex_trylock(&c) != 0)
		abort();
	vmutex_lock(&b);
}

/* ---- condition variables ---- */

static struct vmutex cv_m = VMUTEX_INITIALIZER(&middle_class);
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool cv_flag;

static void *signal_cv(void *arg)
{
	vmutex_lock(&cv_m); /* possible only while the waiter is in the wait */
	cv_flag = true;
	pthread_cond_signal(&cv);
	vmutex_unlock(&cv_m);
	return NULL;
}

static void cond_wait_round_trip(void)
{
	struct vmutex a;
	vmutex_init(&a, &outer_class);
	vmutex_lock(&a);
	vmutex_lock(&cv_m);
	pthread_t th;
	pthread_create(&th, NULL, signal_cv, NULL);
	while (!cv_flag)
		vmutex_cond_wait(&cv, &cv_m);
	lockdep_assert_held(&cv_m);
	if (lockdep_held_count() != 2)
		abort();
	/* A timed wait that times out gives the lock back as well. */
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_nsec += 10 * 1000 * 1000;
	if (dl.tv_nsec >= 1000000000L) {
		dl.tv_sec++;
		dl.tv_nsec -= 1000000000L;
	}
	if (vmutex_cond_timedwait(&cv, &cv_m, &dl) != ETIMEDOUT)
		abort();
	lockdep_assert_held(&cv_m);
	if (lockdep_held_count() != 2)
		abort();
	vmutex_unlock(&cv_m);
	vmutex_unlock(&a);
	if (lockdep_held_count() != 0)
		abort();
	pthread_join(th, NULL);
	vmutex_destroy(&a);
}

static void cond_wait_not_held(void) { vmutex_cond_wait(&cv, &cv_m); }

/* Waking up takes cv_m again while an inner lock is still held: caught
 * before the wait (the deadline only keeps a missed check from hanging). */
static void cond_wait_under_inner(void)
{
	static struct vmutex c = VMUTEX_INITIALIZER(&inner_class);
	vmutex_lock(&cv_m);
	vmutex_lock(&c);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec++;
	vmutex_cond_timedwait(&cv, &cv_m, &dl);
}

static void cond_wait_recursive(void)
{
	static struct vmutex r = VMUTEX_RECURSIVE_INITIALIZER(&outer_class);
	vmutex_lock(&r);
	vmutex_lock(&r);
	vmutex_cond_wait(&cv, &r);
}

/* ---- assertions ---- */

static void assert_none_held_with_nothing(void)
{
	lockdep_assert_none_held("platform switch");
	struct vmutex m;
	vmutex_init(&m, &inner_class);
	vmutex_lock(&m);
	lockdep_assert_held(&m);
	vmutex_unlock(&m);
	lockdep_assert_none_held("platform switch");
	vmutex_destroy(&m);
}

static void assert_none_held_with_two(void)
{
	lock_pair(&outer_class, &inner_class);
	lockdep_assert_none_held("platform switch");
}

static void assert_held_unheld(void)
{
	static struct vmutex m = VMUTEX_INITIALIZER(&inner_class);
	lockdep_assert_held(&m);
}

/* ---- threads ---- */

static void per_thread_sets(void)
{
	struct vmutex a;
	vmutex_init(&a, &outer_class);
	start_holder();
	/* The other thread holds an inner lock; this one holds nothing. */
	if (lockdep_held_count() != 0)
		abort();
	lockdep_assert_none_held("main thread");
	vmutex_lock(&a);
	release_holder();
	vmutex_unlock(&a);
	vmutex_destroy(&a);
}

/* Each scenario is one test, named for the behaviour: fn runs in a child,
 * which must run clean (report NULL) or abort with a report containing each
 * '|'-separated part of report. */
struct scenario {
	const char *name;
	void (*fn)(void);
	const char *report;
};

/* clang-format off */
static const struct scenario scenarios[] = {
	{"test_locks_taken_in_rank_order_pass", take_in_order,
		NULL},
	{"test_inversion_aborts_naming_both_locks", take_outer_under_inner,
		"violation|\"test_outer\" (rank 10)|\"test_inner\" (rank 30)|test_lockdep.c:"},
	{"test_inversion_against_an_earlier_held_lock_aborts", inversion_below_a_trylock,
		"taking \"test_middle\"|while holding \"test_inner\""},
	{"test_project_order_mm_then_memfile_passes", mm_and_memfile_in_order,
		NULL},
	{"test_project_order_mm_under_memfile_aborts", mm_under_memfile,
		"taking \"mm->lock\" (rank 130)|while holding \"memfile->lock\" (rank 160)"},
	{"test_recursive_mutex_may_be_taken_again", relock_recursive,
		NULL},
	{"test_plain_mutex_taken_again_aborts", relock_plain,
		"recursive locking|\"test_middle\"|not a recursive mutex"},
	{"test_static_recursive_initializer_is_recursive", relock_static_recursive,
		NULL},
	{"test_nested_subclasses_in_order_pass", nested_in_order,
		NULL},
	{"test_nested_subclasses_out_of_order_abort", nested_out_of_order,
		"taking \"test_middle\" (rank 20)|holding \"test_middle\" (rank 20, subclass 1)"},
	{"test_second_lock_of_a_class_without_nesting_aborts", same_class_without_nesting,
		"lock order violation|vmutex_lock_nested"},
	{"test_subclass_above_the_maximum_aborts", subclass_too_big,
		"subclass 8"},
	{"test_unlock_of_a_lock_not_held_aborts", unlock_unheld,
		"releasing \"test_inner\"|does not hold"},
	{"test_unlock_of_another_threads_lock_aborts", unlock_other_threads_lock,
		"releasing \"test_inner\"|does not hold"},
	{"test_destroying_a_held_lock_aborts", destroy_held,
		"destroying \"test_inner\""},
	{"test_holding_more_than_the_maximum_aborts", hold_too_many,
		"\"test_deep\"|locks held already"},
	{"test_lock_without_a_class_aborts", lock_classless,
		"no class"},
	{"test_trylock_out_of_order_passes_and_counts_as_held", trylock_out_of_order,
		NULL},
	{"test_lock_under_a_trylocked_inner_lock_aborts", lock_under_trylocked,
		"taking \"test_middle\"|holding \"test_inner\""},
	{"test_cond_wait_gives_back_the_lock_and_keeps_the_held_set", cond_wait_round_trip,
		NULL},
	{"test_cond_wait_on_a_lock_not_held_aborts", cond_wait_not_held,
		"cond wait on \"test_middle\"|does not hold"},
	{"test_cond_wait_that_would_retake_out_of_order_aborts", cond_wait_under_inner,
		"taking \"test_middle\"|holding \"test_inner\""},
	{"test_cond_wait_on_a_recursively_held_lock_aborts", cond_wait_recursive,
		"cond wait on \"test_outer\"|held 2 times"},
	{"test_assertions_pass_when_true", assert_none_held_with_nothing,
		NULL},
	{"test_assert_none_held_aborts_when_a_lock_is_held", assert_none_held_with_two,
		"platform switch|2 locks held|\"test_outer\"|\"test_inner\""},
	{"test_assert_held_aborts_when_not_held", assert_held_unheld,
		"\"test_inner\" is not held"},
	{"test_locks_held_by_another_thread_do_not_count", per_thread_sets,
		NULL},
};
/* clang-format on */

static void run_scenario(void **state)
{
	const struct scenario *sc = *state;
	if (sc->report)
		expect_abort(sc->fn, sc->report);
	else
		expect_ok(sc->fn);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(scenarios) / sizeof(scenarios[0])];
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tests[i] = (struct CMUnitTest){.name = scenarios[i].name,
					       .test_func = run_scenario,
					       .initial_state = (void *)&scenarios[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
