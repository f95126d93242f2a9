/* Unit tests for sentry/vfs/lease.c: which leases the open counts allow,
 * and opens breaking them. */
#include "sentry/tests/harness.h"

static struct file *open_f(struct fx *fx, int flags)
{
	struct file *f = NULL;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/f", flags, 0, &f), 0);
	return f;
}

static void test_leases_follow_the_open_counts(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(fx_write_file(fx->t, "/f", "x", 0644), 0);
	struct file *r = open_f(fx, O_RDONLY);
	assert_int_equal(vfs_lease_get(r), F_UNLCK);
	assert_int_equal(vfs_lease_set(fx->t, r, F_UNLCK), -EAGAIN);
	assert_int_equal(vfs_lease_set(fx->t, r, F_WRLCK), 0);
	assert_int_equal(vfs_lease_get(r), F_WRLCK);
	/* Another reader: the write lease breaks to a read lease. */
	struct file *r2 = NULL;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/f", O_RDONLY | O_NONBLOCK, 0, &r2),
			 -EWOULDBLOCK);
	assert_int_equal(vfs_lease_get(r), F_RDLCK);
	assert_int_equal(vfs_lease_set(fx->t, r, F_RDLCK), 0); /* the holder downgrades */
	r2 = open_f(fx, O_RDONLY); /* nothing to wait for now */
	assert_int_equal(vfs_lease_get(r), F_RDLCK);
	assert_int_equal(vfs_lease_set(fx->t, r, F_WRLCK), -EAGAIN);
	assert_int_equal(vfs_lease_set(fx->t, r2, F_RDLCK), 0);
	/* A writer breaks both read leases; they go when their holders say. */
	struct file *w = NULL;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/f", O_WRONLY | O_NONBLOCK, 0, &w),
			 -EWOULDBLOCK);
	assert_int_equal(vfs_lease_get(r), F_UNLCK);
	assert_int_equal(vfs_lease_get(r2), F_UNLCK);
	assert_int_equal(vfs_lease_set(fx->t, r, F_UNLCK), 0);
	assert_int_equal(vfs_lease_set(fx->t, r2, F_UNLCK), 0);
	w = open_f(fx, O_WRONLY);
	assert_int_equal(vfs_lease_set(fx->t, r, F_RDLCK), -EAGAIN);
	file_put(w);
	assert_int_equal(vfs_lease_set(fx->t, r, F_RDLCK), 0);
	file_put(r2);
	file_put(r); /* its lease goes with it */
	r = open_f(fx, O_RDWR);
	assert_int_equal(vfs_lease_get(r), F_UNLCK);
	assert_int_equal(vfs_lease_set(fx->t, r, F_RDLCK), -EAGAIN); /* itself a writer */
	assert_int_equal(vfs_lease_set(fx->t, r, F_WRLCK), 0);
	file_put(r);
}

static void test_lease_rules_for_types_and_owners(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(fx_write_file(fx->t, "/f", "x", 0644), 0);
	struct file *d = NULL;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	assert_int_equal(vfs_lease_set(fx->t, d, F_RDLCK), -EINVAL);
	file_put(d);
	struct file *r = open_f(fx, O_RDONLY);
	assert_int_equal(vfs_lease_set(fx->t, r, 42), -EINVAL);
	struct task *u = fx_task(&fx->root, 1000, 1000);
	assert_int_equal(vfs_lease_set(u, r, F_RDLCK), -EACCES);
	fx_task_free(u);
	file_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_leases_follow_the_open_counts, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_lease_rules_for_types_and_owners, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
