/* Unit tests for sentry/vfs/file.c: fd tables (allocation, dup2 replacement,
 * close-on-exec, close_range, fork copies) and file description flags. */
#include "sentry/tests/harness.h"

/* A file whose release we can observe. */
static int released;
static void count_release(struct file *f)
{
	released++;
}
static const struct file_ops counting_fops = {.release = count_release};

static struct file *counted(void)
{
	return file_new_anon(&counting_fops, NULL, O_RDWR, NULL);
}

static void test_install_takes_lowest_free_fd(void **state)
{
	struct fd_table *fdt = fdt_new();
	struct file *f = counted();
	assert_int_equal(fdt_install(fdt, f, 0, 0), 0);
	assert_int_equal(fdt_install(fdt, f, 0, 0), 1);
	assert_int_equal(fdt_install(fdt, f, 0, 0), 2);
	assert_int_equal(fdt_close(fdt, 1), 0);
	assert_int_equal(fdt_install(fdt, f, 0, 0), 1);
	assert_int_equal(fdt_install(fdt, f, 0, 10), 10);
	assert_int_equal(fdt_install(fdt, f, 0, 200), 200); /* grows past the first chunk */
	assert_int_equal(fdt_close(fdt, 5), -EBADF);
	assert_int_equal(fdt_close(fdt, -1), -EBADF);
	assert_null(fdt_get_file(fdt, 7));
	assert_null(fdt_get_file(fdt, 100000));
	file_put(f);
	released = 0;
	fdt_put(fdt);
	assert_int_equal(released, 1); /* one description, released once, at the last fd */
}

static void test_dup2_replaces_and_closes_old_file(void **state)
{
	struct fd_table *fdt = fdt_new();
	struct file *a = counted(), *b = counted();
	assert_int_equal(fdt_install(fdt, a, 0, 0), 0);
	assert_int_equal(fdt_install(fdt, b, FD_CLOEXEC, 0), 1);
	file_put(a);
	file_put(b);
	released = 0;
	struct file *x = fdt_get_file(fdt, 0);
	assert_int_equal(fdt_install_at(fdt, 1, x, 0), 1);
	file_put(x);
	assert_int_equal(released, 1); /* b went away */
	assert_int_equal(fdt_get_flags(fdt, 1), 0); /* dup2 clears FD_CLOEXEC */
	struct file *y = fdt_get_file(fdt, 1);
	assert_ptr_equal(y, a);
	file_put(y);
	assert_int_equal(fdt_install_at(fdt, -1, a, 0), -EBADF);
	fdt->max_fds = 64;
	assert_int_equal(fdt_install_at(fdt, 64, a, 0), -EBADF);
	assert_int_equal(fdt_install(fdt, a, 0, 64), -EINVAL);
	fdt_put(fdt);
}

static void test_emfile_at_the_limit(void **state)
{
	struct fd_table *fdt = fdt_new();
	fdt->max_fds = 3;
	struct file *f = counted();
	for (int i = 0; i < 3; i++)
		assert_int_equal(fdt_install(fdt, f, 0, 0), i);
	assert_int_equal(fdt_install(fdt, f, 0, 0), -EMFILE);
	file_put(f);
	fdt_put(fdt);
}

static void test_close_on_exec_and_close_range(void **state)
{
	struct fd_table *fdt = fdt_new();
	struct file *f = counted();
	for (int i = 0; i < 8; i++)
		assert_int_equal(fdt_install(fdt, f, (i % 2) ? FD_CLOEXEC : 0, 0), i);
	fdt_close_on_exec(fdt);
	for (int i = 0; i < 8; i++) {
		struct file *g = fdt_get_file(fdt, i);
		if (i % 2)
			assert_null(g);
		else
			assert_non_null(g);
		file_put(g);
	}
	/* close_range with CLOEXEC only marks. */
	assert_int_equal(fdt_close_range(fdt, 0, 2, 1), 0);
	assert_int_equal(fdt_get_flags(fdt, 0), FD_CLOEXEC);
	assert_int_equal(fdt_get_flags(fdt, 2), FD_CLOEXEC);
	assert_int_equal(fdt_get_flags(fdt, 4), 0);
	assert_int_equal(fdt_close_range(fdt, 3, ~0u, 0), 0);
	struct file *g = fdt_get_file(fdt, 4);
	assert_null(g);
	g = fdt_get_file(fdt, 2);
	assert_non_null(g);
	file_put(g);
	assert_int_equal(fdt_close_range(fdt, 5, 4, 0), -EINVAL);
	file_put(f);
	fdt_put(fdt);
}

static void test_fork_copy_is_independent_but_shares_files(void **state)
{
	struct fd_table *fdt = fdt_new();
	struct file *f = counted();
	assert_int_equal(fdt_install(fdt, f, FD_CLOEXEC, 0), 0);
	struct fd_table *child = fdt_copy(fdt);
	assert_int_equal(fdt_close(fdt, 0), 0);
	struct file *g = fdt_get_file(child, 0);
	assert_ptr_equal(g, f); /* same description */
	assert_int_equal(fdt_get_flags(child, 0), FD_CLOEXEC);
	file_put(g);
	/* Shared flags live on the description: F_SETFL seen through both. */
	assert_int_equal(file_set_flags(f, O_NONBLOCK | O_APPEND), 0);
	assert_true(file_get_flags(f) & O_NONBLOCK);
	assert_int_equal(file_get_flags(f) & O_ACCMODE, O_RDWR); /* access mode unchanged */
	released = 0;
	file_put(f);
	assert_int_equal(released, 0);
	fdt_put(child);
	assert_int_equal(released, 1);
	fdt_put(fdt);
}

static void test_fs_context_copy_is_independent(void **state)
{
	struct fx fx;
	fx_init(&fx);
	assert_int_equal(vfs_mkdirat(fx.t, AT_FDCWD, "/a", 0755), 0);
	struct fs_context *copy = fs_context_copy(fx.t->fs);
	assert_int_equal(vfs_chdir(fx.t, "/a"), 0);
	struct vfs_path c1, c2;
	fs_context_cwd(fx.t->fs, &c1);
	fs_context_cwd(copy, &c2);
	assert_ptr_not_equal(c1.dentry, c2.dentry);
	assert_ptr_equal(c2.dentry, fx.root.dentry);
	path_put(&c1);
	path_put(&c2);
	fs_context_put(copy);
	fx_fini(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_install_takes_lowest_free_fd),
		cmocka_unit_test(test_dup2_replaces_and_closes_old_file),
		cmocka_unit_test(test_emfile_at_the_limit),
		cmocka_unit_test(test_close_on_exec_and_close_range),
		cmocka_unit_test(test_fork_copy_is_independent_but_shares_files),
		cmocka_unit_test(test_fs_context_copy_is_independent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
