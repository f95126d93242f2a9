/* Unit tests for lib/log.c: the JSON lines containerd reads from --log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "lib/log.h"

/* Log through fn into a temporary file; return what was written. */
static char *logged(bool json, void (*fn)(void))
{
	FILE *f = tmpfile();
	assert_non_null(f);
	log_init(fileno(f), json, LOG_INFO);
	log_set_prefix("test");
	fn();
	static char buf[16384];
	rewind(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	log_init(2, 0, LOG_WARN);
	fclose(f);
	return buf;
}

static const char *field(yajl_val v, const char *key)
{
	const char *path[] = {key, NULL};
	yajl_val s = yajl_tree_get(v, path, yajl_t_string);
	assert_non_null(s);
	return YAJL_GET_STRING(s);
}

static void log_special(void) { log_error("bad \"id\" a\\b\ttab\nnewline caf\xc3\xa9"); }

static void test_json_line_escapes_the_message(void **state)
{
	char *line = logged(true, log_special);
	size_t n = strlen(line);
	assert_true(n > 0 && line[n - 1] == '\n');
	assert_null(memchr(line, '\n', n - 1)); /* one line: the newline is escaped */
	char ebuf[128];
	yajl_val v = yajl_tree_parse(line, ebuf, sizeof(ebuf));
	assert_non_null(v);
	assert_string_equal(field(v, "level"), "error");
	assert_string_equal(field(v, "msg"), "test: bad \"id\" a\\b\ttab\nnewline caf\xc3\xa9");
	assert_int_equal(strlen(field(v, "time")), strlen("2026-01-02T03:04:05.000000Z"));
	yajl_tree_free(v);
}

static void log_long_controls(void)
{
	char msg[2000];
	memset(msg, '\x01', sizeof(msg) - 1); /* each one 6 bytes escaped */
	msg[sizeof(msg) - 1] = 0;
	log_warn("%s", msg);
}

static void test_json_line_too_long_is_cut_but_whole(void **state)
{
	char *line = logged(true, log_long_controls);
	char ebuf[128];
	yajl_val v = yajl_tree_parse(line, ebuf, sizeof(ebuf));
	assert_non_null(v);
	const char *msg = field(v, "msg");
	assert_true(strlen(msg) > 100 && strlen(msg) < 2000);
	assert_int_equal(strncmp(msg, "test: \x01\x01", 8), 0);
	assert_string_equal(field(v, "level"), "warning");
	yajl_tree_free(v);
}

static void log_info_line(void)
{
	log_info("hello %d", 42);
}

static void log_debug_line(void)
{
	log_debug("not shown at LOG_INFO");
	log_msg(LOG_DEBUG, "nor this");
}

static void test_messages_above_the_level_are_dropped(void **state)
{
	assert_string_equal(logged(false, log_debug_line), "");
	assert_string_equal(logged(true, log_debug_line), "");
}

static void test_text_line_has_prefix_pid_and_level(void **state)
{
	char *line = logged(false, log_info_line);
	char want[64];
	snprintf(want, sizeof(want), " test[%d] info: hello 42\n", (int)getpid());
	const char *sp = strchr(line, ' ');
	assert_non_null(sp);
	assert_string_equal(sp, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_line_escapes_the_message),
	    cmocka_unit_test(test_json_line_too_long_is_cut_but_whole),
	    cmocka_unit_test(test_text_line_has_prefix_pid_and_level),
	    cmocka_unit_test(test_messages_above_the_level_are_dropped),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
