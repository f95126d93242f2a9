/* Unit tests for sentry/syscalls/sys_memfd.c and tmpfs_memfd_new: an
 * anonymous read-write file, its name, the flags refused, and its seals
 * (tmpfs_get_seals / tmpfs_add_seals, checked by write and truncate). */
#include <linux/memfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sentry/fs/tmpfs.h"
#include "sentry/tests/harness.h"

static int64_t memfd(struct task *t, const char *name, unsigned flags)
{
	return fx_call(sys_memfd_defs, t, SYS_memfd_create, (uint64_t)(uintptr_t)name, flags, 0,
		       0, 0, 0);
}

static void test_memfd_is_a_read_write_file(void **state)
{
	struct fx *fx = *state;
	int64_t fd = memfd(fx->t, "unit", MFD_CLOEXEC);
	assert_true(fd >= 0);
	struct file *f = fdt_get_file(fx->t->fdt, (int)fd);
	assert_non_null(f);
	assert_true(f->readable && f->writable);
	assert_false(f->stream);
	assert_string_equal(f->anon_name, "/memfd:unit (deleted)");
	assert_true(S_ISREG(f->inode->mode));
	assert_int_equal(f->inode->mode & 07777, 0777);
	assert_int_equal(file_write(fx->t, f, "abc", 3), 3);
	assert_int_equal(f->inode->size, 3);
	file_put(f);
}

static void test_memfd_refuses_what_it_does_not_offer(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(memfd(fx->t, "h", MFD_HUGETLB), -EINVAL);
	assert_int_equal(memfd(fx->t, "x", 0x100), -EINVAL);
	assert_int_equal(memfd(fx->t, NULL, 0), -EFAULT);
	char longname[300];
	memset(longname, 'n', sizeof(longname));
	longname[250] = 0;
	assert_int_equal(memfd(fx->t, longname, 0), -EINVAL);
	longname[249] = 0;
	assert_true(memfd(fx->t, longname, 0) >= 0);
}

static void test_memfd_seals_hold(void **state)
{
	struct fx *fx = *state;
	int64_t plain = memfd(fx->t, "plain", 0);
	struct file *f = fdt_get_file(fx->t->fdt, (int)plain);
	assert_int_equal(tmpfs_get_seals(f), F_SEAL_SEAL);
	assert_int_equal(tmpfs_add_seals(f, F_SEAL_GROW), -EPERM);
	file_put(f);

	int64_t fd = memfd(fx->t, "s", MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	f = fdt_get_file(fx->t->fdt, (int)fd);
	assert_int_equal(tmpfs_get_seals(f), 0);
	assert_int_equal(tmpfs_add_seals(f, 0x1000), -EINVAL);
	assert_int_equal(file_write(fx->t, f, "abc", 3), 3);
	assert_int_equal(tmpfs_add_seals(f, F_SEAL_GROW | F_SEAL_SHRINK), 0);
	assert_int_equal(file_write(fx->t, f, "d", 1), -EPERM); /* at the end: grows */
	struct vfs_setattr sa = {.valid = VFS_ATTR_SIZE, .size = 1};
	assert_int_equal(f->inode->ops->setattr(f->inode, &sa), -EPERM);
	assert_int_equal(tmpfs_add_seals(f, F_SEAL_WRITE | F_SEAL_SEAL), 0);
	assert_int_equal(tmpfs_get_seals(f), F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE | F_SEAL_SEAL);
	assert_int_equal(tmpfs_add_seals(f, 0), -EPERM);
	bool maywrite = true;
	assert_int_equal(tmpfs_seal_mmap_begin(f, PROT_READ | PROT_WRITE, &maywrite), -EPERM);
	maywrite = true;
	assert_int_equal(tmpfs_seal_mmap_begin(f, PROT_READ, &maywrite), 0);
	assert_false(maywrite);
	file_put(f);

	/* MFD_NOEXEC_SEAL: no x bits, sealed F_SEAL_EXEC, further seals allowed. */
	fd = memfd(fx->t, "n", 0x0008U); /* MFD_NOEXEC_SEAL */
	f = fdt_get_file(fx->t->fdt, (int)fd);
	assert_int_equal(f->inode->mode & 07777, 0666);
	assert_int_equal(tmpfs_get_seals(f), F_SEAL_EXEC_);
	file_put(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_memfd_is_a_read_write_file, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_memfd_refuses_what_it_does_not_offer, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_memfd_seals_hold, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
