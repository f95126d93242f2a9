/*
 * Unit tests for sentry/mounts.c: the boot mount list mounts registered
 * file systems in order, /dev brings its own /dev/shm tmpfs, masked paths
 * are covered, and optional mounts of missing types are skipped.
 */
#include <sys/mount.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/procfs.h"
#include "sentry/sentry.h"
#include "sentry/tests/harness.h"

static int setup(void **state)
{
	if (fx_setup(state) < 0)
		return -1;
	struct fx *fx = *state;
	assert_int_equal(sysfs_init(), 0); /* "maskfile" */
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/dev", 0755), 0);
	return 0;
}

static void test_dev_mount_brings_its_own_shm_tmpfs(void **state)
{
	struct fx *fx = *state;
	const struct sentry_mount m[] = {
		{.target = "/dev", .fstype = "dev", .source = "dev", .flags = MS_NOSUID},
	};
	assert_int_equal(sentry_mount_all(&fx->root, m, 1), 0);
	struct stat shm, dev;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/dev/shm", 0, &shm), 0);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/dev", 0, &dev), 0);
	assert_int_equal(shm.st_mode & 07777, 01777);
	assert_int_not_equal(shm.st_dev, dev.st_dev); /* a file system of its own */
	struct statfs sf;
	assert_int_equal(vfs_statfsat(fx->t, AT_FDCWD, "/dev/shm", &sf), 0);
	assert_int_equal((uint64_t)sf.f_blocks * sf.f_bsize, 64ULL << 20);
	assert_int_equal(fx_write_file(fx->t, "/dev/shm/seg", "shared", 0600), 0);
}

static void count_shm(struct vfs_mount *m, const char *path, void *arg)
{
	if (!strcmp(path, "/dev/shm"))
		(*(int *)arg)++;
}

static void test_a_config_shm_mount_replaces_the_dev_one(void **state)
{
	struct fx *fx = *state;
	const struct sentry_mount m[] = {
		{.target = "/dev", .fstype = "dev", .source = "dev", .flags = MS_NOSUID},
		{.target = "/dev/shm", .fstype = "tmpfs", .source = "shm",
		 .flags = MS_NOSUID | MS_NODEV | MS_NOEXEC, .data = "mode=1777,size=1m"},
	};
	assert_int_equal(sentry_mount_all(&fx->root, m, 2), 0);
	int n = 0;
	vfs_for_each_mount(&fx->root, count_shm, &n);
	assert_int_equal(n, 1); /* as under runc: the config's only */
	struct statfs sf;
	assert_int_equal(vfs_statfsat(fx->t, AT_FDCWD, "/dev/shm", &sf), 0);
	assert_int_equal((uint64_t)sf.f_blocks * sf.f_bsize, 1ULL << 20);
}

static void test_masked_paths_are_covered(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/secret", 0755), 0);
	assert_int_equal(fx_write_file(fx->t, "/secret/key", "k", 0600), 0);
	assert_int_equal(fx_write_file(fx->t, "/file", "data", 0644), 0);
	const struct sentry_mount m[] = {
		{.target = "/secret", .fstype = "masked", .source = "masked",
		 .flags = MS_RDONLY, .optional = true},
		{.target = "/file", .fstype = "masked", .source = "masked",
		 .flags = MS_RDONLY, .optional = true},
		{.target = "/absent", .fstype = "masked", .source = "masked",
		 .flags = MS_RDONLY, .optional = true},
	};
	assert_int_equal(sentry_mount_all(&fx->root, m, 3), 0);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/secret/key", 0, &st), -ENOENT);
	char buf[16];
	assert_int_equal(fx_read_file(fx->t, "/file", buf, sizeof(buf)), 0);
}

static void test_optional_mount_of_unknown_type_is_skipped(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/m", 0755), 0);
	const struct sentry_mount optional[] = {
		{.target = "/m", .fstype = "nosuchfs", .source = "x", .optional = true},
		{.target = "/m", .fstype = "tmpfs", .source = "tmpfs", .data = "mode=0700"},
	};
	assert_int_equal(sentry_mount_all(&fx->root, optional, 2), 0);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/m", 0, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	const struct sentry_mount required[] = {
		{.target = "/m", .fstype = "nosuchfs", .source = "x"},
	};
	assert_int_equal(sentry_mount_all(&fx->root, required, 1), -ENODEV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dev_mount_brings_its_own_shm_tmpfs, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_a_config_shm_mount_replaces_the_dev_one, setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_masked_paths_are_covered, setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_optional_mount_of_unknown_type_is_skipped,
						setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
