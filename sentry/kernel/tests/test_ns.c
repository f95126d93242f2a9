/* Unit tests for sentry/kernel/ns.c: UTS namespaces and unshare's rules. */
#include <sched.h>
#include <sys/syscall.h>

#include "sentry/ipc/ipc.h"
#include "sentry/kernel/ns.h"
#include "sentry/tests/harness.h"

static void test_unshare_uts_keeps_names_apart(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	struct task child;
	kfx_task_init(s->fx, &child, 2);
	assert_int_equal(task_unshare(t, CLONE_NEWUTS), 0);
	char host[UTS_NAME_LEN + 1] = "inner";
	uts_set_hostname(t, host);
	char got[UTS_NAME_LEN + 1];
	uts_get(t, got, NULL);
	assert_string_equal(got, "inner");
	assert_string_equal(s->fx->k.hostname, "visor-test");
	uts_get(&child, got, NULL);
	assert_string_equal(got, "visor-test");
	/* A child made now shares the new namespace. */
	uts_ns_fork(&child, t);
	uts_get(&child, got, NULL);
	assert_string_equal(got, "inner");
	uts_ns_put(child.uts_ns);
	kfx_task_fini(&child);
	uts_ns_put(t->uts_ns);
	t->uts_ns = NULL;
}

static void test_unshare_flag_rules(void **state)
{
	struct kfx_state *s = *state;
	struct task *t = &s->t;
	s->fx->tg.nthreads = 1;
	assert_int_equal(task_unshare(t, 0), 0);
	assert_int_equal(task_unshare(t, 1), -EINVAL);
	assert_int_equal(task_unshare(t, CLONE_THREAD | CLONE_VM | CLONE_SIGHAND), 0);
	assert_int_equal(task_unshare(t, CLONE_NEWNET), -EINVAL);
	/* A new IPC namespace (sentry/ipc), then back to the sandbox's. */
	assert_int_equal(task_unshare(t, CLONE_NEWIPC), 0);
	assert_non_null(t->ipc_ns);
	ipc_ns_put(t->ipc_ns);
	t->ipc_ns = NULL;
	s->fx->tg.nthreads = 2;
	assert_int_equal(task_unshare(t, CLONE_THREAD), -EINVAL);
	s->fx->tg.nthreads = 1;
	struct creds *c = creds_dup(t->creds);
	c->cap_effective = 0;
	task_commit_creds(t, c);
	assert_int_equal(task_unshare(t, CLONE_NEWUTS), -EPERM);
	assert_int_equal(task_unshare(t, CLONE_NEWNET), -EPERM);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unshare_uts_keeps_names_apart, kfx_setup,
						kfx_teardown),
		cmocka_unit_test_setup_teardown(test_unshare_flag_rules, kfx_setup, kfx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
