/* Unit tests for sentry/vfs/xattr.c: the checks before a file system sees
 * an xattr call, and the in-memory store tmpfs keeps them in. */
#include <linux/capability.h>
#include <sys/xattr.h>

#include "sentry/tests/harness.h"

static struct inode *inode_at(struct fx *fx, const char *path, struct vfs_path *p)
{
	assert_int_equal(vfs_walk(fx->t, AT_FDCWD, path, 0, p), 0);
	return p->dentry->inode;
}

static void test_set_get_list_remove_roundtrip(void **state)
{
	struct fx *fx = *state;
	struct vfs_path p;
	assert_int_equal(fx_write_file(fx->t, "/f", "", 0644), 0);
	struct inode *ino = inode_at(fx, "/f", &p);
	char buf[64];
	assert_int_equal(vfs_setxattr(fx->t, &p, ino, "user.a", "one", 3, 0), 0);
	assert_int_equal(vfs_setxattr(fx->t, &p, ino, "user.b", "", 0, 0), 0);
	assert_int_equal(vfs_getxattr(fx->t, ino, "user.a", NULL, 0), 3);
	assert_int_equal(vfs_getxattr(fx->t, ino, "user.a", buf, 2), -ERANGE);
	assert_int_equal(vfs_getxattr(fx->t, ino, "user.a", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "one", 3);
	assert_int_equal(vfs_getxattr(fx->t, ino, "user.b", buf, sizeof(buf)), 0);
	assert_int_equal(vfs_setxattr(fx->t, &p, ino, "user.a", "x", 1, XATTR_CREATE), -EEXIST);
	assert_int_equal(vfs_setxattr(fx->t, &p, ino, "user.z", "x", 1, XATTR_REPLACE),
			 -ENODATA);
	/* Listed as Linux's tmpfs lists them: descending names. */
	assert_int_equal(vfs_listxattr(fx->t, ino, buf, sizeof(buf)), 14);
	assert_memory_equal(buf, "user.b\0user.a\0", 14);
	assert_int_equal(vfs_listxattr(fx->t, ino, buf, 3), -ERANGE);
	assert_int_equal(vfs_removexattr(fx->t, &p, ino, "user.a"), 0);
	assert_int_equal(vfs_removexattr(fx->t, &p, ino, "user.a"), -ENODATA);
	assert_int_equal(vfs_setxattr(fx->t, &p, ino, "system.x", "x", 1, 0), -EOPNOTSUPP);
	assert_int_equal(vfs_setxattr(fx->t, &p, ino, "user.", "x", 1, 0), -EINVAL);
	path_put(&p);
}

static void test_namespace_rules_for_other_users(void **state)
{
	struct fx *fx = *state;
	struct vfs_path p, l;
	assert_int_equal(fx_write_file(fx->t, "/f", "", 0644), 0);
	assert_int_equal(vfs_symlinkat(fx->t, "/f", AT_FDCWD, "/l"), 0);
	struct inode *ino = inode_at(fx, "/f", &p);
	struct inode *lnk = inode_at(fx, "/l", &l);
	char buf[64];
	/* user.* only on regular files and directories. */
	assert_int_equal(vfs_setxattr(fx->t, &l, lnk, "user.x", "x", 1, 0), -EPERM);
	assert_int_equal(vfs_getxattr(fx->t, lnk, "user.x", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(vfs_setxattr(fx->t, &p, ino, "trusted.t", "t", 1, 0), 0);
	struct task *u = fx_task(&fx->root, 1000, 1000);
	assert_int_equal(vfs_setxattr(u, &p, ino, "user.x", "x", 1, 0), -EACCES);
	assert_int_equal(vfs_setxattr(u, &p, ino, "trusted.x", "x", 1, 0), -EPERM);
	assert_int_equal(vfs_getxattr(u, ino, "trusted.t", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(vfs_setxattr(u, &p, ino, "security.x", "x", 1, 0), -EPERM);
	/* trusted.* is not listed to them. */
	assert_int_equal(vfs_listxattr(u, ino, buf, sizeof(buf)), 0);
	assert_int_equal(vfs_listxattr(fx->t, ino, buf, sizeof(buf)), 10);
	fx_task_free(u);
	path_put(&l);
	path_put(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get_list_remove_roundtrip, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_namespace_rules_for_other_users, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
