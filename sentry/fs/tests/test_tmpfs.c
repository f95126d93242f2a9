/* Unit tests for sentry/fs/tmpfs.c: pages in the memory file (MAP_SHARED sees
 * what write wrote and the other way round), size limits, statfs, mode= option. */
#include <linux/magic.h>
#include <sys/mount.h>

#include "sentry/mm/mm.h"
#include "sentry/mm/tests/mm_test_util.h"

static void test_shared_page_is_the_file_data(void **state)
{
	struct memfile *mf;
	assert_int_equal(memfile_new(64ULL << 20, &mf), 0);
	tmpfs_set_memfile(mf);
	struct fx fx;
	fx_init(&fx);
	assert_int_equal(fx_write_file(fx.t, "/shm", "written by write(2)", 0644), 0);
	struct file *f;
	assert_int_equal(vfs_open(fx.t, AT_FDCWD, "/shm", O_RDWR, 0, &f), 0);
	struct mm_file *m = file_mm_file(f);
	assert_non_null(m);
	assert_non_null(m->ops->shared_page);
	int64_t off = m->ops->shared_page(m, 0);
	assert_true(off >= 0);
	assert_int_equal(memfile_refcount(mf, off), 2); /* the file's + the mapping's */
	char *p = memfile_ptr(mf, off);
	assert_memory_equal(p, "written by write(2)", 19);
	memcpy(p, "WRITTEN", 7); /* a store through the mapping */
	char buf[32];
	assert_int_equal(file_pread(fx.t, f, buf, 7, 0), 7);
	assert_memory_equal(buf, "WRITTEN", 7);
	/* Truncating the file drops the file's page reference, not the mapping's. */
	assert_int_equal(file_truncate(fx.t, f, 0), 0);
	assert_int_equal(memfile_refcount(mf, off), 1);
	memfile_decref(mf, off, 1);
	assert_int_equal(m->ops->size(m), 0);
	file_put(f);
	fx_fini(&fx);
	tmpfs_set_memfile(NULL);
	memfile_free(mf);
}

/* As on goferfs: a truncate takes the pages past the new end from every
 * mapping, so an access there is SIGBUS, and the rest of the last page reads
 * zeroes; grown back, the file reads zeroes where the cut data was. */
static void test_truncate_unmaps_past_the_end(void **state)
{
	struct memfile *mf;
	assert_int_equal(memfile_new(64ULL << 20, &mf), 0);
	tmpfs_set_memfile(mf);
	struct fx fx;
	fx_init(&fx);
	struct file *f;
	assert_int_equal(vfs_open(fx.t, AT_FDCWD, "/tr", O_CREAT | O_RDWR, 0644, &f), 0);
	char page[PG];
	memset(page, 'x', sizeof(page));
	for (int i = 0; i < 3; i++)
		assert_int_equal(file_write(fx.t, f, page, PG), PG);
	struct mm *mm = mm_new(mf, &fake_plat);
	int64_t p = mm_mmap(mm, 0, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, file_mm_file(f), 0);
	assert_true(p > 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(app_read8(mm, mf, (uint64_t)p + i * PG), 'x');
	assert_int_equal(file_truncate(fx.t, f, PG + PG / 2), 0);
	assert_int_equal(host_prot(mm, (uint64_t)p + 2 * PG), -1);
	uint8_t c;
	assert_int_equal(app_access(mm, mf, (uint64_t)p + 2 * PG, &c, 1, false), -EIO);
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + PG + 5), 'x');
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + PG + PG / 2 + 5), 0);
	assert_int_equal(file_truncate(fx.t, f, 3 * PG), 0);
	assert_int_equal(app_read8(mm, mf, (uint64_t)p + 2 * PG), 0);
	mm_put(mm);
	file_put(f);
	fx_fini(&fx);
	tmpfs_set_memfile(NULL);
	memfile_free(mf);
}

static void test_size_limit_gives_enospc(void **state)
{
	struct fx fx;
	fx_init(&fx);
	assert_int_equal(vfs_mkdirat(fx.t, AT_FDCWD, "/small", 0755), 0);
	assert_int_equal(vfs_mount(&fx.root, "/small", "tmpfs", "tmpfs", 0, "size=8k,mode=0700"),
			 0);
	struct stat st;
	assert_int_equal(vfs_statat(fx.t, AT_FDCWD, "/small", 0, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	struct file *f;
	assert_int_equal(vfs_open(fx.t, AT_FDCWD, "/small/f", O_CREAT | O_RDWR, 0644, &f), 0);
	char buf[4096 * 3];
	memset(buf, 'x', sizeof(buf));
	/* Two pages fit; the third does not: a short write, then ENOSPC. */
	assert_int_equal(file_write(fx.t, f, buf, sizeof(buf)), 8192);
	assert_int_equal(file_write(fx.t, f, buf, 1), -ENOSPC);
	struct statfs sfs;
	assert_int_equal(vfs_statfsat(fx.t, AT_FDCWD, "/small", &sfs), 0);
	assert_int_equal(sfs.f_type, TMPFS_MAGIC);
	assert_int_equal(sfs.f_blocks, 2);
	assert_int_equal(sfs.f_bfree, 0);
	/* Freeing space makes room again. */
	assert_int_equal(file_truncate(fx.t, f, 0), 0);
	assert_int_equal(file_pwrite(fx.t, f, buf, 100, 0), 100);
	file_put(f);
	assert_int_equal(vfs_mount(&fx.root, "/small", "tmpfs", "tmpfs", 0, "size=12q"),
			 -EINVAL);
	assert_int_equal(vfs_mount(&fx.root, "/small", "nosuchfs", "x", 0, NULL), -ENODEV);
	fx_fini(&fx);
}

static void test_mount_syscall_needs_cap_sys_admin(void **state)
{
	struct fx fx;
	fx_init(&fx);
	assert_int_equal(vfs_mkdirat(fx.t, AT_FDCWD, "/m", 0755), 0);
	struct task *u = fx_task(&fx.root, 1000, 1000);
	assert_int_equal(vfs_sys_mount(u, "tmpfs", "/m", "tmpfs", 0, NULL), -EPERM);
	assert_int_equal(vfs_sys_umount(u, "/m", 0), -EPERM);
	assert_int_equal(vfs_chroot(u, "/m"), -EPERM);
	fx_task_free(u);
	assert_int_equal(vfs_sys_mount(fx.t, "tmpfs", "/m", "tmpfs", MS_NOEXEC, NULL), 0);
	assert_int_equal(fx_write_file(fx.t, "/m/prog", "#!", 0755), 0);
	struct file *f;
	assert_int_equal(vfs_open(fx.t, AT_FDCWD, "/m/prog", O_RDONLY, 0, &f), 0);
	assert_int_equal(file_check_exec(fx.t, f), -EACCES); /* noexec */
	file_put(f);
	/* Busy: a file open below it. */
	assert_int_equal(vfs_open(fx.t, AT_FDCWD, "/m/prog", O_RDONLY, 0, &f), 0);
	assert_int_equal(vfs_sys_umount(fx.t, "/m", 0), -EBUSY);
	file_put(f);
	assert_int_equal(vfs_sys_umount(fx.t, "/m", 0), 0);
	assert_int_equal(fx_write_file(fx.t, "/exe", "#!", 0755), 0);
	assert_int_equal(vfs_open(fx.t, AT_FDCWD, "/exe", O_RDONLY, 0, &f), 0);
	assert_int_equal(file_check_exec(fx.t, f), 0);
	file_put(f);
	fx_fini(&fx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_page_is_the_file_data),
		cmocka_unit_test(test_truncate_unmaps_past_the_end),
		cmocka_unit_test(test_size_limit_gives_enospc),
		cmocka_unit_test(test_mount_syscall_needs_cap_sys_admin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
