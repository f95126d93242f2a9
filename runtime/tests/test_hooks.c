/*
 * Unit tests for runtime/hooks.c: hooks get the state on stdin, run in
 * order with exactly their args and env, a failing or slow hook is reported
 * by name with its output, and malformed hooks are refused.
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

#include "lib/fileutil.h"
#include "lib/verr.h"
#include "runtime/hooks.h"

static char dir[] = "/tmp/visor-hooks-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int run(const char *cfg, enum hook_kind kind, struct verr *err)
{
	return hooks_run(cfg, strlen(cfg), kind, "{\"id\":\"c1\",\"pid\":42}", err);
}

static void test_hooks_get_state_on_stdin_in_order_with_their_env(void **state)
{
	char cfg[1024];
	snprintf(cfg, sizeof(cfg),
		 "{\"hooks\":{\"prestart\":["
		 "{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"cat > %s/one\"]},"
		 "{\"path\":\"/bin/sh\",\"args\":[\"sh\",\"-c\",\"echo $HOOKVAR > %s/two\"],"
		 "\"env\":[\"HOOKVAR=set-by-config\"]}]}}",
		 dir, dir);
	struct verr err = {0};
	assert_int_equal(hooks_count(cfg, strlen(cfg), HOOK_PRESTART), 2);
	assert_int_equal(hooks_count(cfg, strlen(cfg), HOOK_POSTSTOP), 0);
	assert_int_equal(run(cfg, HOOK_PRESTART, &err), 0);
	char path[256], *text = NULL;
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/one", dir);
	assert_int_equal(read_file(path, 4096, &text, &len), 0);
	assert_memory_equal(text, "{\"id\":\"c1\",\"pid\":42}", len);
	free(text);
	snprintf(path, sizeof(path), "%s/two", dir);
	assert_int_equal(read_file(path, 4096, &text, &len), 0);
	assert_memory_equal(text, "set-by-config\n", len);
	free(text);
	/* Other kinds are untouched. */
	assert_int_equal(run(cfg, HOOK_POSTSTART, &err), 0);
}

static void test_hooks_failure_names_hook_and_output(void **state)
{
	const char *cfg = "{\"hooks\":{\"poststop\":[{\"path\":\"/bin/sh\","
			  "\"args\":[\"sh\",\"-c\",\"echo nope; exit 4\"]}]}}";
	struct verr err = {0};
	assert_int_equal(run(cfg, HOOK_POSTSTOP, &err), -EIO);
	assert_non_null(strstr(err.msg, "poststop"));
	assert_non_null(strstr(err.msg, "exit status 4"));
	assert_non_null(strstr(err.msg, "nope"));
}

static void test_hooks_timeout_kills(void **state)
{
	const char *cfg = "{\"hooks\":{\"prestart\":[{\"path\":\"/bin/sleep\","
			  "\"args\":[\"sleep\",\"30\"],\"timeout\":1}]}}";
	struct verr err = {0};
	assert_int_equal(run(cfg, HOOK_PRESTART, &err), -ETIMEDOUT);
	assert_non_null(strstr(err.msg, "timed out"));
}

static void test_hooks_reject_relative_path_and_bad_args(void **state)
{
	struct verr err = {0};
	assert_int_equal(run("{\"hooks\":{\"prestart\":[{\"path\":\"sh\"}]}}", HOOK_PRESTART, &err),
			 -EINVAL);
	assert_non_null(strstr(err.msg, "hooks.prestart[0].path"));
	assert_int_equal(run("{\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[1]}]}}",
			     HOOK_PRESTART, &err),
			 -EINVAL);
	/* A missing program is a failure, not a crash. */
	assert_true(run("{\"hooks\":{\"prestart\":[{\"path\":\"/no/such\"}]}}", HOOK_PRESTART,
			&err) < 0);
}

static void test_hooks_state_json_escapes(void **state)
{
	char *s = hooks_state_json("1.0.2", "c1", "creating", 7, "/b\"x");
	assert_non_null(s);
	assert_string_equal(s, "{\"ociVersion\":\"1.0.2\",\"id\":\"c1\",\"status\":\"creating\","
			       "\"pid\":7,\"bundle\":\"/b\\\"x\"}");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hooks_get_state_on_stdin_in_order_with_their_env),
		cmocka_unit_test(test_hooks_failure_names_hook_and_output),
		cmocka_unit_test(test_hooks_timeout_kills),
		cmocka_unit_test(test_hooks_reject_relative_path_and_bad_args),
		cmocka_unit_test(test_hooks_state_json_escapes),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
