/*
 * Unit tests for runtime/cli.c: the value forms, missing values, unknown
 * options, "--", repeated options, global options, arguments, and the
 * command kinds (stop at the first argument, stop at an unknown option).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/verr.h"
#include "runtime/cli.h"
#include "runtime/runtime.h"
#include "runtime/sandbox.h"

struct test_opts {
	const char *bundle;
	const char *format;
	bool detach;
	bool help;
	const char *inline_value;
	const char *name;
	const char *envs[8];
	int nenv;
};

static int add_env(void *opts, const char *word, const char *value, struct verr *err)
{
	struct test_opts *o = opts;
	if (o->nenv >= 8)
		return verr_set(err, ENOENT, "too many --env");
	o->envs[o->nenv++] = value;
	return 0;
}

static const char *const formats[] = {"json", "table", NULL};

static const struct cli_opt test_options[] = {
    {CLI_VALUE("--bundle", 'b', struct test_opts, bundle)},
    {CLI_VALUE("--format", 'f', struct test_opts, format), .choices = formats},
    {CLI_FLAG("--detach", 'd', struct test_opts, detach)},
    {CLI_FLAG("--help", 'h', struct test_opts, help), .flags = CLI_STOP},
    {CLI_VALUE("--inline", 0, struct test_opts, inline_value), .flags = CLI_INLINE},
    {CLI_VALUE("--name", 0, struct test_opts, name), .flags = CLI_NONEMPTY},
    {CLI_CALL("--env", 'e', true, add_env)},
    {0},
};

static const struct cli_command test_cmd = {"test", test_options, CLI_GLOBALS | CLI_DASHDASH, 2};

/* What one parse works on. */
struct fixture {
	struct test_opts o;
	struct global_opts g;
	struct cli_result res;
	struct verr err;
};

static struct fixture fresh(void)
{
	return (struct fixture){.g = {.root = "/run/visor", .platform = "ptrace"}};
}

/* Parse the words (after the command word) with cmd into fixture f; the
 * words are static, so f->res.rest and f->res.args stay valid after it. */
#define PARSE_INTO(cmd, opts, f, ...)                                                              \
	({                                                                                         \
		static char *argv_[] = {"test", __VA_ARGS__, NULL};                                \
		cli_parse((cmd), (opts), &(f)->g, (int)(sizeof(argv_) / sizeof(argv_[0])) - 1,     \
			  argv_, &(f)->res, &(f)->err);                                            \
	})
#define PARSE(cmd, f, ...) PARSE_INTO(cmd, &(f)->o, f, __VA_ARGS__)
/* main's own table has no options struct of the test's kind */
#define PARSE_TOP(cmd, f, ...) PARSE_INTO(cmd, NULL, f, __VA_ARGS__)

static void test_value_in_every_form(void **state)
{
	static const char *const forms[][2] = {
	    {"--bundle", "/b"}, {"--bundle=/b", NULL}, {"-b", "/b"}};
	for (size_t i = 0; i < 3; i++) {
		struct fixture f = fresh();
		char *argv[] = {"test", (char *)forms[i][0], (char *)forms[i][1], NULL};
		int argc = forms[i][1] ? 3 : 2;
		assert_int_equal(cli_parse(&test_cmd, &f.o, &f.g, argc, argv, &f.res, &f.err), 0);
		assert_string_equal(f.o.bundle, "/b");
		assert_int_equal(f.res.nargs, 0);
		assert_int_equal(f.res.nrest, 0);
	}
}

static void test_value_may_hold_equals_or_be_empty(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "--bundle=a=b", "--env="), 0);
	assert_string_equal(f.o.bundle, "a=b");
	assert_int_equal(f.o.nenv, 1);
	assert_string_equal(f.o.envs[0], "");
	/* a separate value is taken even when it looks like an option */
	assert_int_equal(PARSE(&test_cmd, &f, "--bundle", "--detach"), 0);
	assert_string_equal(f.o.bundle, "--detach");
	assert_false(f.o.detach);
}

static void test_missing_value_is_an_error(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "c1", "--bundle"), -EINVAL);
	assert_string_equal(f.err.msg, "option --bundle needs a value");
	assert_string_equal(f.res.bad, "--bundle");
	assert_int_equal(PARSE(&test_cmd, &f, "-b"), -EINVAL);
	assert_string_equal(f.err.msg, "option -b needs a value");
	assert_int_equal(PARSE(&test_cmd, &f, "--name="), -EINVAL);
	assert_string_equal(f.err.msg, "option --name needs a non-empty value");
}

static void test_unknown_option_is_named(void **state)
{
	static const char *const unknown[] = {"--bogus",    "-x",  "-b=x", "--bundlex",
					      "--detach=1", "-bx", "-db",  "--"};
	static const struct cli_command no_dashdash = {"test", test_options, 0, 2};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		struct fixture f = fresh();
		char *argv[] = {"test", "c1", (char *)unknown[i], "c2", NULL};
		assert_int_equal(cli_parse(&no_dashdash, &f.o, &f.g, 4, argv, &f.res, &f.err),
				 -ENOENT);
		char want[64];
		snprintf(want, sizeof(want), "unknown option %s", unknown[i]);
		assert_string_equal(f.err.msg, want);
		assert_string_equal(f.res.bad, unknown[i]);
	}
}

static void test_dashdash_ends_the_options(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "-d", "c1", "--", "--bundle", "x", "--"), 0);
	assert_true(f.o.detach);
	assert_null(f.o.bundle);
	assert_int_equal(f.res.nargs, 1);
	assert_string_equal(f.res.args[0], "c1");
	assert_int_equal(f.res.nrest, 3);
	assert_string_equal(f.res.rest[0], "--bundle");
	assert_string_equal(f.res.rest[2], "--");
}

static void test_repeated_options(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "-b", "one", "--env", "A=1", "--bundle=two", "-e",
			       "B=2", "--env=C=3", "-d", "-d"),
			 0);
	assert_string_equal(f.o.bundle, "two"); /* the last wins */
	assert_int_equal(f.o.nenv, 3);		/* a handler sees each, in order */
	assert_string_equal(f.o.envs[0], "A=1");
	assert_string_equal(f.o.envs[1], "B=2");
	assert_string_equal(f.o.envs[2], "C=3");
	assert_true(f.o.detach);
}

static void test_handler_error_stops_the_parse(void **state)
{
	struct fixture f = fresh();
	f.o.nenv = 8;
	/* whatever the handler's errno, it is a bad value, not an unknown option */
	assert_int_equal(PARSE(&test_cmd, &f, "-e", "X=1", "--bogus"), -EINVAL);
	assert_string_equal(f.err.msg, "too many --env");
	assert_int_equal(f.err.code, ENOENT);
	assert_string_equal(f.res.bad, "-e");
}

static void test_choices(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "-f", "json"), 0);
	assert_string_equal(f.o.format, "json");
	assert_int_equal(PARSE(&test_cmd, &f, "--format=xml"), -EINVAL);
	assert_string_equal(f.err.msg, "--format must be json or table, not xml");
}

static void test_arguments_and_their_limit(void **state)
{
	struct fixture f = fresh();
	/* options and arguments mix; "-" is an argument */
	assert_int_equal(PARSE(&test_cmd, &f, "c1", "-d", "-"), 0);
	assert_int_equal(f.res.nargs, 2);
	assert_string_equal(f.res.args[0], "c1");
	assert_string_equal(f.res.args[1], "-");
	assert_true(f.o.detach);
	assert_int_equal(PARSE(&test_cmd, &f, "a", "b", "c", "-d"), -E2BIG);
	assert_string_equal(f.err.msg, "unexpected argument c");
	assert_string_equal(f.res.bad, "c");
	/* with CLI_EXTRA_ARGS_IGNORED the first ones are kept */
	static const struct cli_command lax = {"test", test_options, CLI_EXTRA_ARGS_IGNORED, 1};
	assert_int_equal(PARSE(&lax, &f, "a", "b", "c"), 0);
	assert_int_equal(f.res.nargs, 1);
	assert_string_equal(f.res.args[0], "a");
	/* negative numbers are arguments only where the command says so */
	static const struct cli_command kill = {"kill", test_options, CLI_NUMBERS_ARE_ARGS, 2};
	assert_int_equal(PARSE(&kill, &f, "c1", "-9"), 0);
	assert_string_equal(f.res.args[1], "-9");
	assert_int_equal(PARSE(&test_cmd, &f, "c1", "-9"), -ENOENT);
}

static void test_global_options_only_where_accepted(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "c1", "--root", "/r", "--debug", "--platform=kvm",
			       "--log-format", "json", "-d"),
			 0);
	assert_string_equal(f.g.root, "/r");
	assert_true(f.g.debug);
	assert_string_equal(f.g.platform, "kvm");
	assert_true(f.g.log_json);
	assert_true(f.o.detach);
	assert_int_equal(PARSE(&test_cmd, &f, "--platform", "bogus"), -EINVAL);
	assert_string_equal(f.err.msg, "--platform must be ptrace, systrap or kvm, not bogus");
	assert_int_equal(PARSE(&test_cmd, &f, "--root"), -EINVAL);
	assert_string_equal(f.err.msg, "option --root needs a value");
	static const struct cli_command local = {"spec", test_options, 0, 0};
	assert_int_equal(PARSE(&local, &f, "--debug"), -ENOENT);
}

static void test_inline_only_value(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "--inline=-x"), 0);
	assert_string_equal(f.o.inline_value, "-x");
	/* the bare form is not that option: its next word is never swallowed */
	assert_int_equal(PARSE(&test_cmd, &f, "--inline", "v"), -ENOENT);
	assert_string_equal(f.err.msg, "unknown option --inline");
}

static void test_stop_option_ends_the_parse(void **state)
{
	struct fixture f = fresh();
	assert_int_equal(PARSE(&test_cmd, &f, "-h", "--bogus"), 1);
	assert_true(f.o.help);
	assert_int_equal(f.res.nrest, 1);
	/* an error before it still counts */
	assert_int_equal(PARSE(&test_cmd, &f, "--bogus", "-h"), -ENOENT);
}

static void test_stop_at_argument_and_at_unknown(void **state)
{
	struct fixture f = fresh();
	/* exec ID CMD...: options end at the id; the command's own stay its own */
	static const struct cli_command exec = {"exec", test_options,
						CLI_GLOBALS | CLI_STOP_AT_ARG | CLI_DASHDASH, 0};
	assert_int_equal(PARSE(&exec, &f, "-d", "c1", "ls", "-l", "--bundle"), 0);
	assert_true(f.o.detach);
	assert_int_equal(f.res.nrest, 4);
	assert_string_equal(f.res.rest[0], "c1");
	assert_string_equal(f.res.rest[2], "-l");
	/* main: global options, then the command word, known or not */
	static const struct cli_command top = {
	    "visor", NULL, CLI_GLOBALS | CLI_STOP_AT_ARG | CLI_STOP_AT_UNKNOWN, 0};
	assert_int_equal(PARSE_TOP(&top, &f, "--root=/x", "--nosuch", "create"), 0);
	assert_string_equal(f.g.root, "/x");
	assert_int_equal(f.res.nrest, 2);
	assert_string_equal(f.res.rest[0], "--nosuch");
	assert_int_equal(PARSE_TOP(&top, &f, "--debug"), 0);
	assert_int_equal(f.res.nrest, 0);
}

/* Every mode is accepted; the boot command line carries "host" and
 * "none" (sandbox is the Sentry's default). */
static void test_network_modes_reach_the_boot_line(void **state)
{
	struct global_opts g = {.platform = "ptrace", .network = "host"};
	struct verr err = {0};
	assert_int_equal(sandbox_check_network(&g, &err), 0);
	char *hargs[16];
	struct sandbox_flag_bufs hb;
	int hn = sandbox_flag_args(&g, NULL, hargs, 0, &hb);
	bool host = false;
	for (int i = 0; i < hn; i++)
		host |= !strcmp(hargs[i], "--network=host");
	assert_true(host);
	g.network = "sandbox";
	assert_int_equal(sandbox_check_network(&g, &err), 0);
	g.network = "none";
	assert_int_equal(sandbox_check_network(&g, &err), 0);
	char *args[16];
	struct sandbox_flag_bufs b;
	int n = sandbox_flag_args(&g, NULL, args, 0, &b);
	bool found = false;
	for (int i = 0; i < n; i++)
		found |= !strcmp(args[i], "--network=none");
	assert_true(found);
}

/* --debug-log=DIR/ (a directory, as runsc's): the directory is made, the
 * Sentry logs to DIR/ID.sentry.log and the Gofer to DIR/ID.gofer.log, and
 * the log's first line names the container; %ID% is expanded first; a
 * plain path stays as given. */
static void test_debug_log_directory_names_the_container(void **state)
{
	char tmpl[] = "/tmp/visor-test-debuglog-XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	char pattern[128], want[256], logpath[192], dir[160], line[128] = "";
	snprintf(pattern, sizeof(pattern), "%s/%%ID%%-logs/", tmpl);
	struct global_opts g = {.platform = "ptrace", .debug_log = pattern};
	char *args[16];
	struct sandbox_flag_bufs b;
	int n = sandbox_flag_args(&g, "ctr1", args, 0, &b);
	snprintf(dir, sizeof(dir), "%s/ctr1-logs", tmpl);
	snprintf(logpath, sizeof(logpath), "%s/ctr1.sentry.log", dir);
	snprintf(want, sizeof(want), "--debug-log=%s", logpath);
	assert_string_equal(args[n - 1], want);
	FILE *f = fopen(logpath, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	assert_string_equal(line, "visor: container ctr1\n");
	snprintf(pattern, sizeof(pattern), "%s/plain.log", tmpl);
	n = sandbox_flag_args(&g, NULL, args, 0, &b);
	snprintf(want, sizeof(want), "--debug-log=%s/plain.log", tmpl);
	assert_string_equal(args[n - 1], want);
	unlink(logpath);
	rmdir(dir);
	rmdir(tmpl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_value_in_every_form),
	    cmocka_unit_test(test_value_may_hold_equals_or_be_empty),
	    cmocka_unit_test(test_missing_value_is_an_error),
	    cmocka_unit_test(test_unknown_option_is_named),
	    cmocka_unit_test(test_dashdash_ends_the_options),
	    cmocka_unit_test(test_repeated_options),
	    cmocka_unit_test(test_handler_error_stops_the_parse),
	    cmocka_unit_test(test_choices),
	    cmocka_unit_test(test_arguments_and_their_limit),
	    cmocka_unit_test(test_global_options_only_where_accepted),
	    cmocka_unit_test(test_inline_only_value),
	    cmocka_unit_test(test_stop_option_ends_the_parse),
	    cmocka_unit_test(test_stop_at_argument_and_at_unknown),
	    cmocka_unit_test(test_network_modes_reach_the_boot_line),
	    cmocka_unit_test(test_debug_log_directory_names_the_container),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
