/* Unit tests for sentry/vfs/dnotify.c: F_NOTIFY marks, which events end a
 * one-shot mark, and what ends a DN_MULTISHOT one. */
#include "sentry/tests/harness.h"

static struct file *open_dir(struct fx *fx, const char *path)
{
	struct file *d = NULL;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, &d), 0);
	return d;
}

static void test_one_shot_and_multishot_marks(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(fx_write_file(fx->t, "/d/f", "x", 0644), 0);
	struct file *f = NULL;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d/f", O_RDWR, 0, &f), 0);
	assert_int_equal(vfs_dnotify_set(fx->t, f, DN_MODIFY), -ENOTDIR);
	struct file *d = open_dir(fx, "/d");
	struct inode *di = d->inode;
	assert_int_equal(vfs_dnotify_set(fx->t, d, DN_CREATE), 0);
	assert_non_null(di->dnotify);
	/* An event the mark does not watch leaves it; a watched one ends it. */
	assert_int_equal(file_write(fx->t, f, "y", 1), 1);
	assert_non_null(di->dnotify);
	assert_int_equal(fx_write_file(fx->t, "/d/g", "", 0644), 0);
	assert_null(di->dnotify);
	/* DN_MULTISHOT stays until F_NOTIFY 0. */
	assert_int_equal(vfs_dnotify_set(fx->t, d, DN_MODIFY | DN_MULTISHOT), 0);
	assert_int_equal(file_write(fx->t, f, "z", 1), 1);
	assert_int_equal(file_write(fx->t, f, "z", 1), 1);
	assert_non_null(di->dnotify);
	assert_int_equal(vfs_dnotify_set(fx->t, d, 0), 0);
	assert_null(di->dnotify);
	/* A released description takes its mark along. */
	assert_int_equal(vfs_dnotify_set(fx->t, d, DN_DELETE | DN_MULTISHOT), 0);
	assert_non_null(di->dnotify);
	inode_get(di);
	file_put(d);
	assert_null(di->dnotify);
	inode_put(di);
	file_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_one_shot_and_multishot_marks, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
