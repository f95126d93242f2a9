/*
 * Unit tests for runtime/install.c: the daemon.json edit (pure), the file
 * handling (create, backup, mode, idempotence, untouched on error), the
 * dockerd reload, and the commands' option parsing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/verr.h"
#include "runtime/install.h"
#include "runtime/runtime.h"

static char dir[64];
static char cfg[128];

static int setup(void **state)
{
	strcpy(dir, "/tmp/visor-install-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(cfg, sizeof(cfg), "%s/docker/daemon.json", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* ---- helpers ------------------------------------------------------------ */

static struct install_edit add_edit(const char *name, const char *path, char **args, size_t n)
{
	return (struct install_edit){
	    .op = INSTALL_OP_ADD, .runtime = name, .path = path, .args = args, .nargs = n};
}

static struct install_edit remove_edit(const char *name)
{
	return (struct install_edit){.op = INSTALL_OP_REMOVE, .runtime = name};
}

/* Run install_edit_json expecting success; returns the output (caller frees). */
static char *edit_ok(const char *in, const struct install_edit *e, struct install_outcome *res)
{
	char *out = NULL;
	size_t len = 0;
	struct verr err = {0};
	struct install_outcome o;
	int r = install_edit_json(in, in ? strlen(in) : 0, "daemon.json", e, &out, &len, &o, &err);
	if (r != 0)
		fail_msg("install_edit_json failed: %s", err.msg);
	assert_non_null(out);
	assert_int_equal(strlen(out), len);
	if (res)
		*res = o;
	return out;
}

/* Run install_edit_json expecting EINVAL whose message contains want. */
static void edit_fails(const char *in, const struct install_edit *e, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	struct verr err = {0};
	struct install_outcome o;
	int r =
	    install_edit_json(in, strlen(in), "/etc/docker/daemon.json", e, &out, &len, &o, &err);
	assert_int_equal(r, -EINVAL);
	assert_null(out);
	if (!strstr(err.msg, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, want);
	assert_non_null(strstr(err.msg, "/etc/docker/daemon.json"));
	assert_null(strchr(err.msg, '\n'));
}

static yajl_val parse(const char *s)
{
	char ebuf[256];
	yajl_val v = yajl_tree_parse(s, ebuf, sizeof(ebuf));
	if (!v)
		fail_msg("output is not JSON (%s): %s", ebuf, s);
	return v;
}

/* Deep equality that also compares key order and numbers' spelling. */
static bool json_same(yajl_val a, yajl_val b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case yajl_t_string:
		return !strcmp(a->u.string, b->u.string);
	case yajl_t_number:
		return !strcmp(a->u.number.r, b->u.number.r);
	case yajl_t_object:
		if (a->u.object.len != b->u.object.len)
			return false;
		for (size_t i = 0; i < a->u.object.len; i++)
			if (strcmp(a->u.object.keys[i], b->u.object.keys[i]) ||
			    !json_same(a->u.object.values[i], b->u.object.values[i]))
				return false;
		return true;
	case yajl_t_array:
		if (a->u.array.len != b->u.array.len)
			return false;
		for (size_t i = 0; i < a->u.array.len; i++)
			if (!json_same(a->u.array.values[i], b->u.array.values[i]))
				return false;
		return true;
	default:
		return true;
	}
}

static yajl_val get(yajl_val root, const char *a, const char *b, const char *c)
{
	const char *p[] = {a, b, c, NULL};
	return yajl_tree_get(root, p, yajl_t_any);
}

static void write_cfg(const char *content)
{
	char d[160];
	snprintf(d, sizeof(d), "%s/docker", dir);
	assert_int_equal(mkdir_p(d, 0755), 0);
	FILE *f = fopen(cfg, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char *read_cfg(const char *path)
{
	char *buf = NULL;
	size_t len;
	int r = read_file(path, 1 << 20, &buf, &len);
	if (r < 0)
		fail_msg("cannot read %s: %s", path, strerror(-r));
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	assert_non_null(dp);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

/* A daemon.json with a bit of everything a user might have. */
static const char rich[] =
    "{\n"
    "  \"log-level\": \"warn\",\n"
    "  \"max-concurrent-downloads\": 12345678901234567890,\n"
    "  \"ratio\": 1.50,\n"
    "  \"exp\": -2.5E+10, \"huge\": 1e999, \"negzero\": -0,\n"
    "  \"debug\": true, \"experimental\": false, \"bip\": null,\n"
    "  \"log-opts\": {\"max-size\": \"10m\", \"labels\": [\"a\", \"b\", {\"deep\": [[], {}]}]},\n"
    "  \"runtimes\": {\n"
    "    \"nvidia\": {\"path\": \"/usr/bin/nvidia-container-runtime\", \"runtimeArgs\": []},\n"
    "    \"visor\": {\"path\": \"/old/visor\", \"runtimeArgs\": [\"--old\"], "
    "\"options\": {\"SystemdCgroup\": true}},\n"
    "    \"kata\": {\"runtimeType\": \"io.containerd.kata.v2\"}\n"
    "  },\n"
    "  \"unicode\": \"caf\\u00e9 \\ud83d\\ude00 \xe2\x82\xac tab\\t quote\\\" slash\\/ bs\\\\\",\n"
    "  \"insecure-registries\": [\"a:5000\", \"b:5000\"]\n"
    "}\n";

/* ---- the JSON edit ------------------------------------------------------ */

static void test_add_to_empty_input_creates_runtimes_entry(void **state)
{
	const char *inputs[] = {NULL, "", "  \n\t\r\n", "{}"};
	char *args[] = {"--platform=systrap"};
	struct install_edit e = add_edit("visor", "/usr/bin/visor", args, 1);
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct install_outcome res;
		char *out = edit_ok(inputs[i], &e, &res);
		assert_true(res.changed);
		assert_string_equal(out, "{\n"
					 "    \"runtimes\": {\n"
					 "        \"visor\": {\n"
					 "            \"path\": \"/usr/bin/visor\",\n"
					 "            \"runtimeArgs\": [\n"
					 "                \"--platform=systrap\"\n"
					 "            ]\n"
					 "        }\n"
					 "    }\n"
					 "}\n");
		free(out);
	}
}

static void test_add_without_args_omits_runtime_args(void **state)
{
	struct install_edit e = add_edit("visor", "/usr/bin/visor", NULL, 0);
	char *out = edit_ok("{}", &e, NULL);
	yajl_val v = parse(out);
	assert_string_equal(YAJL_GET_STRING(get(v, "runtimes", "visor", "path")), "/usr/bin/visor");
	assert_null(get(v, "runtimes", "visor", "runtimeArgs"));
	assert_null(strstr(out, "runtimeArgs"));
	yajl_tree_free(v);
	free(out);
}

static void test_add_preserves_every_other_key_exactly(void **state)
{
	char *args[] = {"--platform=kvm", "--debug"};
	struct install_edit e = add_edit("visor", "/usr/bin/visor", args, 2);
	char *out = edit_ok(rich, &e, NULL);
	yajl_val in = parse(rich), o = parse(out);
	/* Same top-level keys in the same order, each value identical except
	 * runtimes. */
	assert_int_equal(in->u.object.len, o->u.object.len);
	for (size_t i = 0; i < in->u.object.len; i++) {
		assert_string_equal(in->u.object.keys[i], o->u.object.keys[i]);
		if (strcmp(in->u.object.keys[i], "runtimes"))
			assert_true(json_same(in->u.object.values[i], o->u.object.values[i]));
	}
	/* Other runtimes identical and in place. */
	yajl_val rin = get(in, "runtimes", NULL, NULL), rout = get(o, "runtimes", NULL, NULL);
	assert_int_equal(rout->u.object.len, 3);
	assert_string_equal(rout->u.object.keys[0], "nvidia");
	assert_string_equal(rout->u.object.keys[1], "visor");
	assert_string_equal(rout->u.object.keys[2], "kata");
	assert_true(json_same(rin->u.object.values[0], rout->u.object.values[0]));
	assert_true(json_same(rin->u.object.values[2], rout->u.object.values[2]));
	/* Number spelling survives textually, not just numerically. */
	assert_non_null(strstr(out, "\"ratio\": 1.50,"));
	assert_non_null(strstr(out, "12345678901234567890"));
	assert_non_null(strstr(out, "-2.5E+10"));
	assert_non_null(strstr(out, "\"huge\": 1e999,"));
	assert_non_null(strstr(out, "\"negzero\": -0,"));
	/* Unicode escapes decode to the same characters. */
	assert_string_equal(YAJL_GET_STRING(get(o, "unicode", NULL, NULL)),
			    "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac tab\t quote\" slash/ bs\\");
	yajl_tree_free(in);
	yajl_tree_free(o);
	free(out);
}

static void test_add_updates_existing_entry_in_place(void **state)
{
	char *args[] = {"--platform=kvm", "--debug"};
	struct install_edit e = add_edit("visor", "/usr/bin/visor", args, 2);
	struct install_outcome res;
	char *out = edit_ok(rich, &e, &res);
	assert_true(res.changed);
	yajl_val o = parse(out);
	yajl_val entry = get(o, "runtimes", "visor", NULL);
	assert_true(YAJL_IS_OBJECT(entry));
	/* path and runtimeArgs replaced where they were; "options" kept. */
	assert_int_equal(entry->u.object.len, 3);
	assert_string_equal(entry->u.object.keys[0], "path");
	assert_string_equal(entry->u.object.keys[1], "runtimeArgs");
	assert_string_equal(entry->u.object.keys[2], "options");
	assert_string_equal(YAJL_GET_STRING(entry->u.object.values[0]), "/usr/bin/visor");
	yajl_val a = entry->u.object.values[1];
	assert_int_equal(a->u.array.len, 2);
	assert_string_equal(YAJL_GET_STRING(a->u.array.values[0]), "--platform=kvm");
	assert_string_equal(YAJL_GET_STRING(a->u.array.values[1]), "--debug");
	assert_true(YAJL_IS_TRUE(get(o, "runtimes", "visor", "options")->u.object.values[0]));
	assert_null(strstr(out, "--old"));
	yajl_tree_free(o);
	free(out);
}

static void test_add_with_no_args_drops_old_runtime_args(void **state)
{
	struct install_edit e = add_edit("visor", "/usr/bin/visor", NULL, 0);
	char *out = edit_ok(rich, &e, NULL);
	yajl_val o = parse(out);
	assert_null(get(o, "runtimes", "visor", "runtimeArgs"));
	assert_non_null(get(o, "runtimes", "visor", "options"));
	/* nvidia's own (empty) runtimeArgs is not ours to drop. */
	assert_true(YAJL_IS_ARRAY(get(o, "runtimes", "nvidia", "runtimeArgs")));
	yajl_tree_free(o);
	free(out);
}

static void test_add_named_runtime_beside_others(void **state)
{
	char *args[] = {"--platform=ptrace"};
	struct install_edit e = add_edit("visor-ptrace", "/usr/bin/visor", args, 1);
	char *out = edit_ok(rich, &e, NULL);
	yajl_val in = parse(rich), o = parse(out);
	yajl_val rin = get(in, "runtimes", NULL, NULL), rout = get(o, "runtimes", NULL, NULL);
	assert_int_equal(rout->u.object.len, 4);
	for (size_t i = 0; i < 3; i++)
		assert_true(json_same(rin->u.object.values[i], rout->u.object.values[i]));
	assert_string_equal(rout->u.object.keys[3], "visor-ptrace");
	yajl_tree_free(in);
	yajl_tree_free(o);
	free(out);
}

static void test_add_twice_is_byte_identical_and_unchanged(void **state)
{
	char *args[] = {"--platform=systrap", "--debug-log=/var/log/visor/%ID%.log"};
	struct install_edit e = add_edit("visor", "/usr/bin/visor", args, 2);
	struct install_outcome r1, r2;
	char *once = edit_ok(rich, &e, &r1);
	char *twice = edit_ok(once, &e, &r2);
	assert_true(r1.changed);
	assert_false(r2.changed);
	assert_string_equal(once, twice);
	free(once);
	free(twice);
}

static void test_add_matching_entry_leaves_handwritten_text_alone(void **state)
{
	/* Compact, hand-formatted, already right: returned byte for byte. */
	const char *in = "{\"runtimes\":{\"visor\":{\"path\":\"/usr/bin/visor\","
			 "\"runtimeArgs\":[\"--strace\"]}},\"debug\":1.0}";
	char *args[] = {"--strace"};
	struct install_edit e = add_edit("visor", "/usr/bin/visor", args, 1);
	struct install_outcome res;
	char *out = edit_ok(in, &e, &res);
	assert_false(res.changed);
	assert_string_equal(out, in);
	free(out);
	/* A different argument list is a change. */
	char *args2[] = {"--strace", "--debug"};
	e = add_edit("visor", "/usr/bin/visor", args2, 2);
	out = edit_ok(in, &e, &res);
	assert_true(res.changed);
	free(out);
	/* So is a different path. */
	e = add_edit("visor", "/usr/local/bin/visor", args, 1);
	out = edit_ok(in, &e, &res);
	assert_true(res.changed);
	free(out);
}

static void test_remove_deletes_only_that_runtime(void **state)
{
	struct install_edit e = remove_edit("visor");
	struct install_outcome res;
	char *out = edit_ok(rich, &e, &res);
	assert_true(res.changed);
	assert_false(res.default_runtime_dangling);
	yajl_val in = parse(rich), o = parse(out);
	assert_int_equal(in->u.object.len, o->u.object.len);
	for (size_t i = 0; i < in->u.object.len; i++)
		if (strcmp(in->u.object.keys[i], "runtimes"))
			assert_true(json_same(in->u.object.values[i], o->u.object.values[i]));
	yajl_val rout = get(o, "runtimes", NULL, NULL);
	assert_int_equal(rout->u.object.len, 2);
	assert_string_equal(rout->u.object.keys[0], "nvidia");
	assert_string_equal(rout->u.object.keys[1], "kata");
	assert_non_null(strstr(out, "\"ratio\": 1.50,"));
	yajl_tree_free(in);
	yajl_tree_free(o);
	free(out);
}

static void test_remove_last_runtime_keeps_empty_runtimes_object(void **state)
{
	struct install_edit e = remove_edit("visor");
	char *out = edit_ok("{\"runtimes\": {\"visor\": {\"path\": \"/usr/bin/visor\"}}, \"x\": 1}",
			    &e, NULL);
	assert_string_equal(out, "{\n    \"runtimes\": {},\n    \"x\": 1\n}\n");
	free(out);
}

static void test_remove_absent_runtime_is_a_no_op(void **state)
{
	const char *inputs[] = {NULL, "", "{}", "{\"runtimes\": {}}",
				"{\"runtimes\": {\"other\": {\"path\": \"/x\"}}}"};
	struct install_edit e = remove_edit("visor");
	for (size_t i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct install_outcome res;
		char *out = edit_ok(inputs[i], &e, &res);
		assert_false(res.changed);
		assert_string_equal(out, inputs[i] ? inputs[i] : "");
		free(out);
	}
}

static void test_remove_warns_when_default_runtime_names_it(void **state)
{
	struct install_edit e = remove_edit("visor");
	struct install_outcome res;
	char *out = edit_ok("{\"default-runtime\": \"visor\", \"runtimes\": {\"visor\": {\"path\": "
			    "\"/usr/bin/visor\"}}}",
			    &e, &res);
	assert_true(res.changed);
	assert_true(res.default_runtime_dangling);
	/* The key itself is the user's: still there. */
	assert_non_null(strstr(out, "\"default-runtime\": \"visor\""));
	free(out);
}

static void test_malformed_input_is_rejected_with_a_clear_error(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"{\"runtimes\": {", "not valid JSON at line 1"},	   /* truncated */
	    {"{\"a\": 1,\n \"b\": }", "not valid JSON at line 2"}, /* invalid */
	    {"{\"a\": 1} {}", "trailing garbage"},		   /* two docs */
	    {"{\"a\": 1, /* c */ \"b\": 2}", "comment"},	   /* comments */
	    {"{\"a\": \"x\\u0000y\"}", "\\u0000"},		   /* NUL */
	    {"{\"a\": \"\xff\"}", "not valid JSON"},		   /* bad UTF-8 */
	    {"[{\"runtimes\": {}}]", "the top level is an array"},
	    {"\"runtimes\"", "the top level is a string"},
	    {"42", "the top level is a number"},
	    {"{\"runtimes\": \"visor\"}", "\"runtimes\" is a string, not an object"},
	    {"{\"runtimes\": [\"visor\"]}", "\"runtimes\" is an array, not an object"},
	    {"{\"runtimes\": null}", "\"runtimes\" is null, not an object"},
	    {"{\"runtimes\": {\"visor\": 3}}", "\"runtimes.visor\" is a number, not an object"},
	    {"{\"runtimes\": {\"visor\": \"/usr/bin/visor\"}}", "\"runtimes.visor\" is a string"},
	    {"{\"runtimes\": {}, \"runtimes\": {}}", "\"runtimes\" appears 2 times"},
	    {"{\"runtimes\": {\"visor\": {}, \"visor\": {}}}", "\"runtimes.visor\" appears 2"},
	};
	struct install_edit add = add_edit("visor", "/usr/bin/visor", NULL, 0);
	struct install_edit rm = remove_edit("visor");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		edit_fails(cases[i].in, &add, cases[i].want);
		edit_fails(cases[i].in, &rm, cases[i].want);
	}
	/* Nesting beyond the limit is refused, not a stack overflow. */
	char deep[2 * (INSTALL_MAX_DEPTH + 10) + 16];
	size_t n = 0;
	deep[n++] = '{';
	memcpy(deep + n, "\"a\":", 4);
	n += 4;
	for (int i = 0; i < INSTALL_MAX_DEPTH + 5; i++)
		deep[n++] = '[';
	for (int i = 0; i < INSTALL_MAX_DEPTH + 5; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = 0;
	edit_fails(deep, &add, "nested deeper than");
}

static void test_reserved_or_empty_names_are_rejected(void **state)
{
	struct install_edit e = add_edit("runc", "/usr/bin/visor", NULL, 0);
	char *out = NULL;
	size_t len;
	struct install_outcome res;
	struct verr err = {0};
	assert_int_equal(install_edit_json("{}", 2, "d", &e, &out, &len, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "reserved"));
	e = add_edit("", "/usr/bin/visor", NULL, 0);
	assert_int_equal(install_edit_json("{}", 2, "d", &e, &out, &len, &res, &err), -EINVAL);
	e = add_edit("visor", "", NULL, 0);
	assert_int_equal(install_edit_json("{}", 2, "d", &e, &out, &len, &res, &err), -EINVAL);
	char *bad[] = {"--debug-log=\xc3"};
	e = add_edit("visor", "/usr/bin/visor", bad, 1);
	assert_int_equal(install_edit_json("{}", 2, "d", &e, &out, &len, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "UTF-8"));
	assert_null(out);
}

/* ---- the file ----------------------------------------------------------- */

static void test_file_created_with_its_directory_and_mode_0644(void **state)
{
	struct install_edit e = add_edit("visor", "/usr/bin/visor", NULL, 0);
	struct install_outcome res;
	struct verr err = {0};
	snprintf(cfg, sizeof(cfg), "%s/a/b/daemon.json", dir);
	mode_t old = umask(077);
	int r = install_edit_file(cfg, &e, &res, &err);
	umask(old);
	assert_int_equal(r, 0);
	assert_true(res.changed);
	struct stat st;
	assert_int_equal(stat(cfg, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	char *c = read_cfg(cfg);
	assert_non_null(strstr(c, "\"path\": \"/usr/bin/visor\""));
	free(c);
	/* No backup: there was no previous file.  No temp files either. */
	char d[160];
	snprintf(d, sizeof(d), "%s/a/b", dir);
	assert_int_equal(count_entries(d), 1);
}

static void test_file_backup_holds_previous_content_and_mode_is_kept(void **state)
{
	write_cfg(rich);
	assert_int_equal(chmod(cfg, 0600), 0);
	char *args[] = {"--platform=systrap"};
	struct install_edit e = add_edit("visor", "/usr/bin/visor", args, 1);
	struct install_outcome res;
	struct verr err = {0};
	assert_int_equal(install_edit_file(cfg, &e, &res, &err), 0);
	char bak[160];
	snprintf(bak, sizeof(bak), "%s.bak", cfg);
	char *b = read_cfg(bak);
	assert_string_equal(b, rich);
	free(b);
	struct stat st;
	assert_int_equal(stat(cfg, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(bak, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char d[160];
	snprintf(d, sizeof(d), "%s/docker", dir);
	assert_int_equal(count_entries(d), 2);

	/* A second change backs up the first result. */
	char *first = read_cfg(cfg);
	e = remove_edit("visor");
	assert_int_equal(install_edit_file(cfg, &e, &res, &err), 0);
	b = read_cfg(bak);
	assert_string_equal(b, first);
	free(b);
	free(first);
}

static void test_file_second_identical_install_does_not_rewrite(void **state)
{
	write_cfg("{\"debug\": true}");
	struct install_edit e = add_edit("visor", "/usr/bin/visor", NULL, 0);
	struct install_outcome res;
	struct verr err = {0};
	assert_int_equal(install_edit_file(cfg, &e, &res, &err), 0);
	char bak[160];
	snprintf(bak, sizeof(bak), "%s.bak", cfg);
	assert_int_equal(unlink(bak), 0);
	struct stat before, after;
	assert_int_equal(stat(cfg, &before), 0);
	char *c1 = read_cfg(cfg);
	assert_int_equal(install_edit_file(cfg, &e, &res, &err), 0);
	assert_false(res.changed);
	assert_int_equal(stat(cfg, &after), 0);
	char *c2 = read_cfg(cfg);
	assert_string_equal(c1, c2);
	/* Same inode: not even an identical atomic replace happened. */
	assert_int_equal(before.st_ino, after.st_ino);
	assert_false(exists(bak));
	free(c1);
	free(c2);
}

static void test_file_malformed_is_left_untouched(void **state)
{
	static const char *bad[] = {
	    "{\"runtimes\": {\"visor\": {\"path\": \"/usr/bin/vi", /* truncated */
	    "not json at all",
	    "[1, 2, 3]",
	    "{\"runtimes\": \"visor\"}",
	    "{\"runtimes\": [{\"visor\": {}}]}",
	    "{\"runtimes\": {\"visor\": 7}}",
	};
	char d[160], bak[160];
	snprintf(d, sizeof(d), "%s/docker", dir);
	snprintf(bak, sizeof(bak), "%s.bak", cfg);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		write_cfg(bad[i]);
		assert_int_equal(chmod(cfg, 0640), 0);
		struct stat before, after;
		assert_int_equal(stat(cfg, &before), 0);
		struct install_edit edits[] = {add_edit("visor", "/usr/bin/visor", NULL, 0),
					       remove_edit("visor")};
		for (size_t k = 0; k < ARRAY_SIZE(edits); k++) {
			struct install_outcome res;
			struct verr err = {0};
			assert_int_equal(install_edit_file(cfg, &edits[k], &res, &err), -EINVAL);
			assert_non_null(strstr(err.msg, cfg));
			assert_int_equal(stat(cfg, &after), 0);
			assert_int_equal(before.st_ino, after.st_ino);
			assert_int_equal(before.st_mtim.tv_nsec, after.st_mtim.tv_nsec);
			assert_int_equal(after.st_mode & 0777, 0640);
			char *c = read_cfg(cfg);
			assert_string_equal(c, bad[i]);
			free(c);
			assert_false(exists(bak));
			assert_int_equal(count_entries(d), 1);
		}
	}
}

static void test_file_uninstall_of_absent_file_creates_nothing(void **state)
{
	struct install_edit e = remove_edit("visor");
	struct install_outcome res;
	struct verr err = {0};
	snprintf(cfg, sizeof(cfg), "%s/nodir/daemon.json", dir);
	assert_int_equal(install_edit_file(cfg, &e, &res, &err), 0);
	assert_false(res.changed);
	char d[160];
	snprintf(d, sizeof(d), "%s/nodir", dir);
	assert_false(exists(d));
	assert_int_equal(count_entries(dir), 0);
}

static void test_file_symlinked_config_is_edited_through_the_link(void **state)
{
	char real[160], link[160];
	snprintf(real, sizeof(real), "%s/real.json", dir);
	snprintf(link, sizeof(link), "%s/daemon.json", dir);
	FILE *f = fopen(real, "w");
	assert_non_null(f);
	fputs("{\"x\": 1}", f);
	fclose(f);
	assert_int_equal(symlink("real.json", link), 0);
	struct install_edit e = add_edit("visor", "/usr/bin/visor", NULL, 0);
	struct install_outcome res;
	struct verr err = {0};
	assert_int_equal(install_edit_file(link, &e, &res, &err), 0);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	char *c = read_cfg(real);
	assert_non_null(strstr(c, "\"visor\""));
	free(c);
}

static void test_file_that_is_not_a_regular_file_is_an_error(void **state)
{
	snprintf(cfg, sizeof(cfg), "%s/daemon.json", dir);
	assert_int_equal(mkdir(cfg, 0755), 0);
	struct install_edit e = add_edit("visor", "/usr/bin/visor", NULL, 0);
	struct install_outcome res;
	struct verr err = {0};
	assert_true(install_edit_file(cfg, &e, &res, &err) < 0);
	assert_non_null(strstr(err.msg, cfg));
	/* A FIFO must be refused, not read (which would block forever). */
	snprintf(cfg, sizeof(cfg), "%s/fifo.json", dir);
	assert_int_equal(mkfifo(cfg, 0644), 0);
	assert_int_equal(install_edit_file(cfg, &e, &res, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not a regular file"));
}

static void test_file_bad_arguments_create_nothing(void **state)
{
	struct install_edit e = add_edit("runc", "/usr/bin/visor", NULL, 0);
	struct install_outcome res;
	struct verr err = {0};
	snprintf(cfg, sizeof(cfg), "%s/new/daemon.json", dir);
	assert_int_equal(install_edit_file(cfg, &e, &res, &err), -EINVAL);
	assert_int_equal(count_entries(dir), 0);
}

/* ---- reload ------------------------------------------------------------- */

static volatile sig_atomic_t got_hup;
static void on_hup(int sig) { got_hup = 1; }

static void test_reload_sends_sighup_to_a_process_named_dockerd(void **state)
{
	int ready[2], report[2];
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(report), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* A stand-in dockerd: its comm says so, and it reports SIGHUP. */
		signal(SIGHUP, on_hup);
		prctl(PR_SET_NAME, "dockerd");
		char c = 'r';
		(void)!write(ready[1], &c, 1);
		for (int i = 0; i < 500 && !got_hup; i++)
			usleep(10000);
		c = got_hup ? 'h' : 'n';
		(void)!write(report[1], &c, 1);
		_exit(0);
	}
	char c;
	assert_int_equal(read(ready[0], &c, 1), 1);
	char pidfile[160];
	snprintf(pidfile, sizeof(pidfile), "%s/docker.pid", dir);
	FILE *f = fopen(pidfile, "w");
	fprintf(f, "%d", (int)child);
	fclose(f);
	char nosys[160];
	snprintf(nosys, sizeof(nosys), "%s/no-systemd", dir);
	struct install_reload_env env = {.systemd_dir = nosys, .pid_file = pidfile};
	struct verr err = {0};
	pid_t pid = 0;
	assert_int_equal(install_reload_docker(&env, &pid, &err), INSTALL_RELOAD_SIGHUP);
	assert_int_equal(pid, child);
	assert_int_equal(read(report[0], &c, 1), 1);
	assert_int_equal(c, 'h');
	int status;
	assert_int_equal(waitpid(child, &status, 0), child);
	close(ready[0]);
	close(ready[1]);
	close(report[0]);
	close(report[1]);
}

static void test_reload_never_signals_a_pid_that_is_not_dockerd(void **state)
{
	/* A stale pid file naming some other live process (us). */
	char pidfile[160];
	snprintf(pidfile, sizeof(pidfile), "%s/docker.pid", dir);
	FILE *f = fopen(pidfile, "w");
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
	got_hup = 0;
	void (*old)(int) = signal(SIGHUP, on_hup);
	char nosys[160];
	snprintf(nosys, sizeof(nosys), "%s/no-systemd", dir);
	struct install_reload_env env = {.systemd_dir = nosys, .pid_file = pidfile};
	struct verr err = {0};
	assert_int_equal(install_reload_docker(&env, NULL, &err), INSTALL_RELOAD_NO_DOCKERD);
	assert_int_equal(got_hup, 0);
	signal(SIGHUP, old);
	/* Garbage and absent pid files mean no dockerd too. */
	f = fopen(pidfile, "w");
	fputs("12abc", f);
	fclose(f);
	assert_int_equal(install_reload_docker(&env, NULL, &err), INSTALL_RELOAD_NO_DOCKERD);
	unlink(pidfile);
	assert_int_equal(install_reload_docker(&env, NULL, &err), INSTALL_RELOAD_NO_DOCKERD);
}

/* ---- the commands ------------------------------------------------------- */

static int run_cmd(cmd_fn fn, char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	struct global_opts g = {0};
	return fn(&g, argc, argv);
}

static void test_cmd_install_and_uninstall_parse_their_options(void **state)
{
	write_cfg("{\"keep\": {\"me\": [1.0]}}");
	char *inst[] = {
	    "install",	      "--config", cfg, "--runtime=visor-kvm", "--path=/opt/visor", "--",
	    "--platform=kvm", "--debug",  NULL};
	assert_int_equal(run_cmd(cmd_install, inst), 0);
	char *c = read_cfg(cfg);
	yajl_val v = parse(c);
	assert_string_equal(YAJL_GET_STRING(get(v, "runtimes", "visor-kvm", "path")), "/opt/visor");
	yajl_val a = get(v, "runtimes", "visor-kvm", "runtimeArgs");
	assert_int_equal(a->u.array.len, 2);
	assert_string_equal(YAJL_GET_STRING(a->u.array.values[1]), "--debug");
	assert_non_null(strstr(c, "1.0"));
	yajl_tree_free(v);
	free(c);

	/* Default path: this very binary. */
	char *inst2[] = {"install", "--config=", NULL};
	assert_int_equal(run_cmd(cmd_install, inst2), 1);
	char cfgopt[200];
	snprintf(cfgopt, sizeof(cfgopt), "--config=%s", cfg);
	char *inst3[] = {"install", cfgopt, NULL};
	assert_int_equal(run_cmd(cmd_install, inst3), 0);
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = 0;
	c = read_cfg(cfg);
	v = parse(c);
	assert_string_equal(YAJL_GET_STRING(get(v, "runtimes", "visor", "path")), self);
	yajl_tree_free(v);
	free(c);

	char *un[] = {"uninstall", "--runtime", "visor-kvm", "--config", cfg, NULL};
	assert_int_equal(run_cmd(cmd_uninstall, un), 0);
	c = read_cfg(cfg);
	v = parse(c);
	assert_null(get(v, "runtimes", "visor-kvm", NULL));
	assert_non_null(get(v, "runtimes", "visor", NULL));
	assert_non_null(get(v, "keep", "me", NULL));
	yajl_tree_free(v);
	free(c);

	/* Misuse is an error, never a silent success. */
	char *bad1[] = {"install", "--config", cfg, "--platform=kvm", NULL};
	assert_int_equal(run_cmd(cmd_install, bad1), 1);
	char *bad2[] = {"install", "--config", cfg, "stray", NULL};
	assert_int_equal(run_cmd(cmd_install, bad2), 1);
	char *bad3[] = {"uninstall", "--config", cfg, "--", "--debug", NULL};
	assert_int_equal(run_cmd(cmd_uninstall, bad3), 1);
	char *bad4[] = {"install", "--config", NULL};
	assert_int_equal(run_cmd(cmd_install, bad4), 1);
	char *bad5[] = {"install", "--config", cfg, "--path=rel/visor", NULL};
	assert_int_equal(run_cmd(cmd_install, bad5), 1);
	char *bad6[] = {"uninstall", "--config", cfg, "--path=/x", NULL};
	assert_int_equal(run_cmd(cmd_uninstall, bad6), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_to_empty_input_creates_runtimes_entry),
	    cmocka_unit_test(test_add_without_args_omits_runtime_args),
	    cmocka_unit_test(test_add_preserves_every_other_key_exactly),
	    cmocka_unit_test(test_add_updates_existing_entry_in_place),
	    cmocka_unit_test(test_add_with_no_args_drops_old_runtime_args),
	    cmocka_unit_test(test_add_named_runtime_beside_others),
	    cmocka_unit_test(test_add_twice_is_byte_identical_and_unchanged),
	    cmocka_unit_test(test_add_matching_entry_leaves_handwritten_text_alone),
	    cmocka_unit_test(test_remove_deletes_only_that_runtime),
	    cmocka_unit_test(test_remove_last_runtime_keeps_empty_runtimes_object),
	    cmocka_unit_test(test_remove_absent_runtime_is_a_no_op),
	    cmocka_unit_test(test_remove_warns_when_default_runtime_names_it),
	    cmocka_unit_test(test_malformed_input_is_rejected_with_a_clear_error),
	    cmocka_unit_test(test_reserved_or_empty_names_are_rejected),
	    cmocka_unit_test_setup_teardown(test_file_created_with_its_directory_and_mode_0644,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_file_backup_holds_previous_content_and_mode_is_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_second_identical_install_does_not_rewrite,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_malformed_is_left_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_uninstall_of_absent_file_creates_nothing,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_symlinked_config_is_edited_through_the_link,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_that_is_not_a_regular_file_is_an_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_file_bad_arguments_create_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reload_sends_sighup_to_a_process_named_dockerd,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_never_signals_a_pid_that_is_not_dockerd,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cmd_install_and_uninstall_parse_their_options,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
