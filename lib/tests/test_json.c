/* Unit tests for lib/json.c: escaping, nesting, numbers, layouts, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "lib/json.h"

/* The compact text of one string value. */
static char *string_doc(const char *s, size_t len, unsigned flags, int *err)
{
	struct json_writer w;
	json_writer_init(&w, NULL, flags);
	json_string_len(&w, s, len);
	char *out = NULL;
	*err = json_writer_take(&w, &out, NULL);
	json_writer_release(&w);
	return out;
}

static void assert_string_doc(const char *s, size_t len, const char *want)
{
	int err;
	char *out = string_doc(s, len, 0, &err);
	assert_int_equal(err, 0);
	assert_string_equal(out, want);
	free(out);
}

static void test_control_characters_are_escaped(void **state)
{
	assert_string_doc("a\b\f\n\r\tz", 7, "\"a\\b\\f\\n\\r\\tz\"");
	/* the others as \u00XX, NUL included */
	assert_string_doc("\x01\x1f", 2, "\"\\u0001\\u001F\"");
	assert_string_doc("x\0y", 3, "\"x\\u0000y\"");
	/* DEL is not a control character in JSON */
	assert_string_doc("\x7f", 1, "\"\x7f\"");
}

static void test_quote_and_backslash_are_escaped_slash_is_not(void **state)
{
	assert_string_doc("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
	assert_string_doc("C:\\dir\\", 7, "\"C:\\\\dir\\\\\"");
	assert_string_doc("/run/visor/", 11, "\"/run/visor/\"");
}

static void test_utf8_passes_through(void **state)
{
	const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"; /* café € 🐳 */
	char want[64];
	snprintf(want, sizeof(want), "\"%s\"", s);
	int err;
	char *out = string_doc(s, strlen(s), JSON_UTF8, &err);
	assert_int_equal(err, 0);
	assert_string_equal(out, want);
	free(out);
	/* without JSON_UTF8 bytes go through as they are, valid or not */
	out = string_doc("\xff", 1, 0, &err);
	assert_int_equal(err, 0);
	assert_string_equal(out, "\"\xff\"");
	free(out);
}

static void test_invalid_utf8_fails_a_checked_document(void **state)
{
	static const char *const bad[] = {
	    "\xff",		/* not a lead byte */
	    "\x80",		/* a lone continuation byte */
	    "\xc3",		/* cut short */
	    "\xe2\x82",		/* cut short */
	    "\xc0\xaf",		/* overlong '/' */
	    "\xe0\x80\xaf",	/* overlong '/' */
	    "\xed\xa0\x80",	/* a UTF-16 surrogate */
	    "\xf4\x90\x80\x80", /* past U+10FFFF */
	    "\xc3\x28",		/* bad continuation */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err;
		char *out = string_doc(bad[i], strlen(bad[i]), JSON_UTF8, &err);
		assert_int_equal(err, -EILSEQ);
		assert_null(out);
	}
}

static void test_nesting_compact(void **state)
{
	struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "id", "c1");
	json_key_array_begin(&w, "a");
	json_int(&w, 1);
	json_array_begin(&w);
	json_array_end(&w);
	json_object_begin(&w);
	json_key_bool(&w, "t", true);
	json_key(&w, "n");
	json_null(&w);
	json_object_end(&w);
	json_array_end(&w);
	json_key_object_begin(&w, "e");
	json_object_end(&w);
	json_key_bool(&w, "f", false);
	json_object_end(&w);
	size_t len;
	const char *text = json_writer_text(&w, &len);
	assert_non_null(text);
	assert_string_equal(
	    text, "{\"id\":\"c1\",\"a\":[1,[],{\"t\":true,\"n\":null}],\"e\":{},\"f\":false}");
	assert_int_equal(len, strlen(text));
	json_writer_release(&w);
}

static void test_numbers(void **state)
{
	struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_array_begin(&w);
	json_int(&w, 0);
	json_int(&w, -42);
	json_int(&w, (-9223372036854775807LL - 1));
	json_uint(&w, 18446744073709551615ULL);
	json_number(&w, "1.50");
	json_number(&w, "-2.5E+10");
	json_number(&w, "1e999");
	json_number(&w, "-0");
	json_array_end(&w);
	assert_string_equal(
	    json_writer_text(&w, NULL),
	    "[0,-42,-9223372036854775808,18446744073709551615,1.50,-2.5E+10,1e999,-0]");
	json_writer_release(&w);

	static const char *const not_numbers[] = {"",	 "-",  "01",   "1.", ".5",  "1e",
						  "1e+", "+1", "0x10", "1 ", "NaN", "Infinity"};
	for (size_t i = 0; i < sizeof(not_numbers) / sizeof(not_numbers[0]); i++) {
		json_writer_init(&w, NULL, 0);
		json_number(&w, not_numbers[i]);
		assert_int_equal(json_writer_error(&w), -EINVAL);
		json_writer_release(&w);
	}
}

/* The pretty layout is yajl_gen's beautify layout, byte for byte, for
 * everything but empty containers (see json.h). */
static void test_pretty_layout_matches_yajl_gen(void **state)
{
	yajl_gen g = yajl_gen_alloc(NULL);
	assert_non_null(g);
	yajl_gen_config(g, yajl_gen_beautify, 1);
	yajl_gen_config(g, yajl_gen_indent_string, "\t");
	struct json_writer w;
	json_writer_init(&w, "\t", 0);
	const char *tricky = "a\"b\\c/d\n\x01\xc3\xa9";

#define BOTH(ycall, jcall)                                                                         \
	do {                                                                                       \
		assert_int_equal(ycall, yajl_gen_status_ok);                                       \
		jcall;                                                                             \
	} while (0)
#define YSTR(s) yajl_gen_string(g, (const unsigned char *)(s), strlen(s))
	BOTH(yajl_gen_map_open(g), json_object_begin(&w));
	BOTH(YSTR("ociVersion"), json_key(&w, "ociVersion"));
	BOTH(YSTR("1.1.0"), json_string(&w, "1.1.0"));
	BOTH(YSTR("s"), json_key(&w, "s"));
	BOTH(YSTR(tricky), json_string(&w, tricky));
	BOTH(YSTR("list"), json_key(&w, "list"));
	BOTH(yajl_gen_array_open(g), json_array_begin(&w));
	BOTH(yajl_gen_integer(g, -7), json_int(&w, -7));
	BOTH(yajl_gen_map_open(g), json_object_begin(&w));
	BOTH(YSTR("x"), json_key(&w, "x"));
	BOTH(yajl_gen_bool(g, 1), json_bool(&w, true));
	BOTH(YSTR("y"), json_key(&w, "y"));
	BOTH(yajl_gen_null(g), json_null(&w));
	BOTH(yajl_gen_map_close(g), json_object_end(&w));
	BOTH(yajl_gen_array_open(g), json_array_begin(&w));
	BOTH(yajl_gen_number(g, "1.50", 4), json_number(&w, "1.50"));
	BOTH(yajl_gen_array_close(g), json_array_end(&w));
	BOTH(yajl_gen_array_close(g), json_array_end(&w));
	BOTH(YSTR("last"), json_key(&w, "last"));
	BOTH(yajl_gen_bool(g, 0), json_bool(&w, false));
	BOTH(yajl_gen_map_close(g), json_object_end(&w));
#undef BOTH
#undef YSTR
	const unsigned char *ybuf;
	size_t ylen, jlen;
	assert_int_equal(yajl_gen_get_buf(g, &ybuf, &ylen), yajl_gen_status_ok);
	const char *jbuf = json_writer_text(&w, &jlen);
	assert_non_null(jbuf);
	assert_int_equal(jlen, ylen);
	assert_memory_equal(jbuf, ybuf, ylen);
	assert_int_equal(jbuf[jlen - 1], '\n');
	yajl_gen_free(g);
	json_writer_release(&w);
}

static void test_pretty_empty_containers_are_compact(void **state)
{
	struct json_writer w;
	json_writer_init(&w, "    ", 0);
	json_object_begin(&w);
	json_key_object_begin(&w, "runtimes");
	json_object_end(&w);
	json_key_array_begin(&w, "hooks");
	json_array_end(&w);
	json_key_int(&w, "x", 1);
	json_object_end(&w);
	assert_string_equal(json_writer_text(&w, NULL),
			    "{\n    \"runtimes\": {},\n    \"hooks\": [],\n    \"x\": 1\n}\n");
	json_writer_release(&w);
}

static void test_output_parses_back(void **state)
{
	struct json_writer w;
	json_writer_init(&w, "  ", JSON_UTF8);
	json_object_begin(&w);
	const char *nasty = "tab\there \"q\" back\\slash \x1b[0m caf\xc3\xa9";
	json_key_string(&w, nasty, nasty);
	json_object_end(&w);
	char *out = NULL;
	assert_int_equal(json_writer_take(&w, &out, NULL), 0);
	json_writer_release(&w);
	char ebuf[128];
	yajl_val v = yajl_tree_parse(out, ebuf, sizeof(ebuf));
	assert_non_null(v);
	assert_int_equal(v->u.object.len, 1);
	assert_string_equal(v->u.object.keys[0], nasty);
	assert_string_equal(YAJL_GET_STRING(v->u.object.values[0]), nasty);
	yajl_tree_free(v);
	free(out);
}

static void test_misuse_fails_the_document(void **state)
{
	struct json_writer w;
	/* a value where a key is due */
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_int(&w, 1);
	json_object_end(&w);
	assert_int_equal(json_writer_error(&w), -EINVAL);
	assert_null(json_writer_text(&w, NULL));
	json_writer_release(&w);
	/* a key outside an object, an unbalanced end, two top-level values */
	json_writer_init(&w, NULL, 0);
	json_key(&w, "k");
	assert_int_equal(json_writer_error(&w), -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, NULL, 0);
	json_array_begin(&w);
	json_object_end(&w);
	assert_int_equal(json_writer_error(&w), -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, NULL, 0);
	json_int(&w, 1);
	json_int(&w, 2);
	assert_int_equal(json_writer_error(&w), -EINVAL);
	json_writer_release(&w);
	/* a key left without its value; an unfinished document */
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key(&w, "k");
	json_object_end(&w);
	assert_int_equal(json_writer_error(&w), -EINVAL);
	json_writer_release(&w);
	json_writer_init(&w, NULL, 0);
	json_array_begin(&w);
	assert_int_equal(json_writer_error(&w), -EINVAL);
	json_writer_release(&w);
}

static void test_nesting_deeper_than_the_limit_fails(void **state)
{
	struct json_writer w;
	json_writer_init(&w, NULL, 0);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	for (int i = 0; i < JSON_MAX_DEPTH; i++)
		json_array_end(&w);
	assert_int_equal(json_writer_error(&w), 0);
	json_writer_release(&w);
	json_writer_init(&w, NULL, 0);
	for (int i = 0; i <= JSON_MAX_DEPTH; i++)
		json_array_begin(&w);
	assert_int_equal(json_writer_error(&w), -E2BIG);
	json_writer_release(&w);
}

static void test_fixed_buffer_never_overflows(void **state)
{
	char buf[16];
	memset(buf, 'X', sizeof(buf));
	struct json_writer w;
	json_writer_init_fixed(&w, buf, 12, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "k", "v");
	json_object_end(&w);
	assert_string_equal(json_writer_text(&w, NULL), "{\"k\":\"v\"}");
	char *copy = NULL;
	assert_int_equal(json_writer_take(&w, &copy, NULL), 0);
	assert_string_equal(copy, "{\"k\":\"v\"}");
	assert_ptr_not_equal(copy, buf);
	free(copy);
	json_writer_release(&w);

	/* 10 bytes of text need 11 with the NUL: 10 is too small */
	json_writer_init_fixed(&w, buf, 10, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "k", "v\n");
	json_object_end(&w);
	assert_int_equal(json_writer_error(&w), -ENOBUFS);
	assert_int_equal(buf[10], 'X');
	json_writer_release(&w);
}

static void test_raw_is_compact_only(void **state)
{
	struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key(&w, "resources");
	json_raw(&w, "{\"memory\":{\"limit\":5}}", 22);
	json_object_end(&w);
	assert_string_equal(json_writer_text(&w, NULL),
			    "{\"resources\":{\"memory\":{\"limit\":5}}}");
	json_writer_release(&w);
	json_writer_init(&w, "  ", 0);
	json_raw(&w, "1", 1);
	assert_int_equal(json_writer_error(&w), -EINVAL);
	json_writer_release(&w);
}

static void test_key_strings_from_a_list(void **state)
{
	static const char *const caps[] = {"CAP_KILL", "CAP_CHOWN", NULL};
	static const char *const none[] = {NULL};
	struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_strings(&w, "caps", caps);
	json_key_strings(&w, "none", none);
	json_object_end(&w);
	assert_string_equal(json_writer_text(&w, NULL),
			    "{\"caps\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"none\":[]}");
	json_writer_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_control_characters_are_escaped),
	    cmocka_unit_test(test_quote_and_backslash_are_escaped_slash_is_not),
	    cmocka_unit_test(test_utf8_passes_through),
	    cmocka_unit_test(test_invalid_utf8_fails_a_checked_document),
	    cmocka_unit_test(test_nesting_compact),
	    cmocka_unit_test(test_numbers),
	    cmocka_unit_test(test_pretty_layout_matches_yajl_gen),
	    cmocka_unit_test(test_pretty_empty_containers_are_compact),
	    cmocka_unit_test(test_output_parses_back),
	    cmocka_unit_test(test_misuse_fails_the_document),
	    cmocka_unit_test(test_nesting_deeper_than_the_limit_fails),
	    cmocka_unit_test(test_fixed_buffer_never_overflows),
	    cmocka_unit_test(test_raw_is_compact_only),
	    cmocka_unit_test(test_key_strings_from_a_list),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
