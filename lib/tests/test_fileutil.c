/* Unit tests for lib/fileutil.c and lib/verr.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/verr.h"

static char dir[64];

static int setup(void **state)
{
	strcpy(dir, "/tmp/visor-fileutil-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void test_write_atomic_replaces_and_leaves_no_temp(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/f.json", dir);
	assert_int_equal(write_file_atomic(path, "one", 3, 0600), 0);
	assert_int_equal(write_file_atomic(path, "second", 6, 0644), 0);
	char *buf = NULL;
	size_t len = 0;
	assert_int_equal(read_file(path, 1 << 20, &buf, &len), 0);
	assert_int_equal(len, 6);
	assert_string_equal(buf, "second");
	free(buf);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(count_entries(dir), 1);
}

static void test_write_atomic_into_missing_dir_fails_cleanly(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/nodir/f", dir);
	assert_int_equal(write_file_atomic(path, "x", 1, 0600), -ENOENT);
	assert_int_equal(count_entries(dir), 0);
}

static void test_read_file_limits_size(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/big", dir);
	char data[10000];
	memset(data, 'a', sizeof(data));
	assert_int_equal(write_file_atomic(path, data, sizeof(data), 0600), 0);
	char *buf = NULL;
	assert_int_equal(read_file(path, 5000, &buf, NULL), -EFBIG);
	assert_null(buf);
	assert_int_equal(read_file("/nonexistent/x", 10, &buf, NULL), -ENOENT);
}

static void test_mkdir_p_creates_nested_and_rejects_file(void **state)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	assert_int_equal(mkdir_p(path, 0755), 0);
	assert_int_equal(mkdir_p(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(write_file_atomic(path, "x", 1, 0600), 0);
	assert_int_equal(mkdir_p(path, 0755), -ENOTDIR);
}

static void test_verr_errno_appends_reason(void **state)
{
	struct verr e = {0};
	assert_int_equal(verr_errno(&e, ENOENT, "open %s", "x"), -ENOENT);
	assert_int_equal(e.code, ENOENT);
	assert_string_equal(e.msg, "open x: No such file or directory");
	assert_int_equal(verr_set(NULL, EINVAL, "ignored"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_atomic_replaces_and_leaves_no_temp, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_into_missing_dir_fails_cleanly,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_file_limits_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p_creates_nested_and_rejects_file, setup,
						teardown),
		cmocka_unit_test(test_verr_errno_appends_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
