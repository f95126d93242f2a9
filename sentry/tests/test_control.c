/*
 * Unit tests for sentry/control.c: every malformed control request gets an
 * error reply (never a crash), checked before the kernel is touched; the
 * ready report's wire format.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/control.h"
#include "sentry/kernel/limits.h"

static char reply[CONTROL_MSG_MAX];

/* Requests that must be refused without a kernel (k = NULL would crash if
 * the validation let them through). */
static int handle(const char *req, int *fds, int nfds)
{
	memset(reply, 0, sizeof(reply));
	return control_handle(NULL, 1, req, strlen(req), fds, nfds, reply, sizeof(reply));
}

static void assert_error(const char *needle)
{
	assert_non_null(strstr(reply, "\"ok\":false"));
	assert_non_null(strstr(reply, "\"errno\":"));
	if (needle)
		assert_non_null(strstr(reply, needle));
}

static void test_control_rejects_non_json(void **state)
{
	assert_int_equal(handle("not json", NULL, 0), 0);
	assert_error("not a JSON object");
	assert_int_equal(handle("[1,2]", NULL, 0), 0);
	assert_error("not a JSON object");
	assert_int_equal(control_handle(NULL, 1, "", 0, NULL, 0, reply, sizeof(reply)), 0);
	assert_error("malformed");
}

static void test_control_rejects_embedded_nul(void **state)
{
	const char req[] = "{\"op\":\"ps\"}\0garbage";
	assert_int_equal(control_handle(NULL, 1, req, sizeof(req) - 1, NULL, 0, reply,
					sizeof(reply)), 0);
	assert_error("malformed");
}

static void test_control_rejects_deep_nesting(void **state)
{
	char req[256] = "{\"op\":\"exec\",\"args\":";
	for (int i = 0; i < 40; i++)
		strcat(req, "[");
	assert_int_equal(handle(req, NULL, 0), 0);
	assert_error("malformed");
}

static void test_control_rejects_unknown_op(void **state)
{
	handle("{\"op\":\"reboot\"}", NULL, 0);
	assert_error("unknown op");
	handle("{\"op\":7}", NULL, 0);
	assert_error("unknown op");
	handle("{}", NULL, 0);
	assert_error("unknown op");
}

static void test_control_kill_validates_signal(void **state)
{
	handle("{\"op\":\"kill\",\"signal\":65}", NULL, 0);
	assert_error("signal");
	handle("{\"op\":\"kill\",\"signal\":-1}", NULL, 0);
	assert_error("signal");
	handle("{\"op\":\"kill\",\"signal\":\"TERM\"}", NULL, 0);
	assert_error("signal");
	handle("{\"op\":\"kill\"}", NULL, 0);
	assert_error("signal");
	handle("{\"op\":\"kill\",\"signal\":9,\"all\":\"yes\"}", NULL, 0);
	assert_error("all");
}

static void test_control_fds_only_with_exec_and_net(void **state)
{
	int fds[1] = {0};
	handle("{\"op\":\"ps\"}", fds, 1);
	assert_error("only exec and net take fds");
	/* net without a sandbox network stack: refused, its fd closed. */
	fds[0] = dup(0);
	handle("{\"op\":\"net\",\"links\":[]}", fds, 1);
	assert_error("--network=none");
	assert_int_equal(fds[0], -1);
}

static void test_control_exec_validates_fields(void **state)
{
	int fds[3] = {0, 1, 2};
	handle("{\"op\":\"exec\"}", fds, 3);
	assert_error("args");
	handle("{\"op\":\"exec\",\"args\":[]}", fds, 3);
	assert_error("args");
	handle("{\"op\":\"exec\",\"args\":[1]}", fds, 3);
	assert_error("args");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"env\":\"X=1\"}", fds, 3);
	assert_error("env");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"cwd\":\"relative\"}", fds, 3);
	assert_error("cwd");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"uid\":-5}", fds, 3);
	assert_error("uid");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"uid\":4294967296}", fds, 3);
	assert_error("uid");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"umask\":4096}", fds, 3);
	assert_error("umask");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"terminal\":1}", fds, 3);
	assert_error("terminal");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"groups\":[\"wheel\"]}", fds, 3);
	assert_error("groups");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"caps\":[1,2,3]}", fds, 3);
	assert_error("caps");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"rlimits\":[[99,1,1]]}", fds, 3);
	assert_error("rlimit");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"rlimits\":[[7,10,5]]}", fds, 3);
	assert_error("soft above hard");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"rlimits\":[[7,-1,5]]}", fds, 3);
	assert_error("rlimit");
}

static void test_control_exec_needs_matching_fds(void **state)
{
	int fds[3] = {0, 1, 2};
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"]}", fds, 1);
	assert_error("3 stdio fds");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"],\"terminal\":true}", fds, 3);
	assert_error("3 stdio fds");
	handle("{\"op\":\"exec\",\"args\":[\"/bin/true\"]}", NULL, 0);
	assert_error("3 stdio fds");
}

static void test_control_error_text_is_escaped(void **state)
{
	handle("{\"op\":\"a\\\"b\\\\c\"}", NULL, 0);
	assert_error("unknown op \\\"a\\\"b\\\\c\\\"");
}

static void test_control_ready_report_format(void **state)
{
	int p[2];
	char buf[128] = {0};
	assert_int_equal(pipe(p), 0);
	control_report_ready(p[1], 1, NULL);
	assert_int_equal(read(p[0], buf, sizeof(buf) - 1), 5);
	assert_string_equal(buf, "ok 1\n");
	assert_int_equal(read(p[0], buf, sizeof(buf)), 0); /* closed: EOF */
	close(p[0]);
	assert_int_equal(pipe(p), 0);
	memset(buf, 0, sizeof(buf));
	control_report_ready(p[1], -ENOENT, "no such program");
	assert_true(read(p[0], buf, sizeof(buf) - 1) > 0);
	assert_string_equal(buf, "error no such program\n");
	close(p[0]);
}

/* `visor update`'s request: the Sentry's limits (kernel/limits.h) change;
 * 0 or absent leaves one, -1 lifts it; no kernel needed. */
static void test_control_limits_update_the_sentrys_limits(void **state)
{
	struct sandbox_limits l = {.memory = 64 << 20, .pids = 40, .cpu_quota = 150000};
	limits_set(&l, false);
	assert_int_equal(handle("{\"op\":\"limits\",\"memory\":100663296,\"pids\":0}", NULL, 0), 0);
	assert_non_null(strstr(reply, "\"ok\":true"));
	limits_get(&l);
	assert_int_equal(l.memory, 100663296);
	assert_int_equal(l.pids, 40);
	assert_int_equal(l.cpu_quota, 150000);
	assert_true(limits_mem_total(1ULL << 40) == 100663296);
	assert_true(limits_pids_allow(39));
	assert_false(limits_pids_allow(40));
	assert_int_equal(handle("{\"op\":\"limits\",\"pids\":-1,\"cpu_quota\":-1}", NULL, 0), 0);
	limits_get(&l);
	assert_int_equal(l.pids, 0);
	assert_int_equal(l.cpu_quota, 0);
	assert_true(limits_pids_allow(100000));
	assert_int_equal(handle("{\"op\":\"limits\",\"memory\":\"big\"}", NULL, 0), 0);
	assert_error("memory");
	assert_int_equal(handle("{\"op\":\"limits\",\"pids\":-2}", NULL, 0), 0);
	assert_error("pids");
	limits_get(&l);
	assert_int_equal(l.memory, 100663296); /* a refused request changes nothing */
	l = (struct sandbox_limits){0};
	limits_set(&l, false);
	assert_true(limits_mem_total(12345) == 12345);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_control_rejects_non_json),
		cmocka_unit_test(test_control_rejects_embedded_nul),
		cmocka_unit_test(test_control_rejects_deep_nesting),
		cmocka_unit_test(test_control_rejects_unknown_op),
		cmocka_unit_test(test_control_kill_validates_signal),
		cmocka_unit_test(test_control_fds_only_with_exec_and_net),
		cmocka_unit_test(test_control_exec_validates_fields),
		cmocka_unit_test(test_control_exec_needs_matching_fds),
		cmocka_unit_test(test_control_error_text_is_escaped),
		cmocka_unit_test(test_control_ready_report_format),
		cmocka_unit_test(test_control_limits_update_the_sentrys_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
