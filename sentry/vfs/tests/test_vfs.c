/* Unit tests for sentry/vfs: path walking, permissions, namespace operations
 * and their errno precedence, on tmpfs mounts. */
#include <dirent.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <sys/mount.h>

#include "sentry/tests/harness.h"

static void test_create_write_read_roundtrip(void **state)
{
	struct fx *fx = *state;
	char buf[64];
	assert_int_equal(fx_write_file(fx->t, "/hello", "hello world", 0644), 0);
	assert_int_equal(fx_read_file(fx->t, "/hello", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "hello world");
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/hello", 0, &st), 0);
	assert_int_equal(st.st_size, 11);
	assert_true(S_ISREG(st.st_mode));
	/* umask 022 applied to 0666 */
	assert_int_equal(fx_write_file(fx->t, "/m", "", 0666), 0);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/m", 0, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
}

static void test_open_excl_nofollow_directory_errors(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(fx_write_file(fx->t, "/f", "x", 0644), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/f", O_CREAT | O_EXCL | O_RDWR, 0644, &f),
			 -EEXIST);
	assert_int_equal(vfs_symlinkat(fx->t, "/f", AT_FDCWD, "/lnk"), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/lnk", O_RDONLY | O_NOFOLLOW, 0, &f), -ELOOP);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/f", O_RDONLY | O_DIRECTORY, 0, &f), -ENOTDIR);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/", O_WRONLY, 0, &f), -EISDIR);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/nope", O_RDONLY, 0, &f), -ENOENT);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/nope/x", O_RDONLY, 0, &f), -ENOENT);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/f/x", O_RDONLY, 0, &f), -ENOTDIR);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "", O_RDONLY, 0, &f), -ENOENT);
	/* O_CREAT through a dangling symlink creates the target. */
	assert_int_equal(vfs_symlinkat(fx->t, "/made", AT_FDCWD, "/dangling"), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/dangling", O_CREAT | O_WRONLY, 0600, &f), 0);
	file_put(f);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/made", 0, &st), 0);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/dangling", AT_SYMLINK_NOFOLLOW, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
}

static void test_trailing_slash_rules(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(fx_write_file(fx->t, "/file", "x", 0644), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/file/", O_RDONLY, 0, &f), -ENOTDIR);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/new/", O_CREAT | O_RDWR, 0644, &f), -EISDIR);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/dir/", 0755), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/dir/", O_RDONLY, 0, &f), 0);
	file_put(f);
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/file/"), -ENOTDIR);
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/dir"), -EISDIR);
	assert_int_equal(vfs_symlinkat(fx->t, "x", AT_FDCWD, "/sl/"), -ENOENT);
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/dir//"), 0);
}

static void test_walk_dotdot_cannot_escape_root(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/jail", 0755), 0);
	assert_int_equal(fx_write_file(fx->t, "/secret", "s", 0644), 0);
	assert_int_equal(fx_write_file(fx->t, "/jail/inside", "i", 0644), 0);
	assert_int_equal(vfs_chroot(fx->t, "/jail"), 0);
	assert_int_equal(vfs_chdir(fx->t, "/"), 0);
	char buf[16];
	assert_int_equal(fx_read_file(fx->t, "../../../secret", buf, sizeof(buf)), -ENOENT);
	assert_int_equal(fx_read_file(fx->t, "/../../inside", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "i");
	/* A symlink to an absolute path resolves inside the root too. */
	assert_int_equal(vfs_symlinkat(fx->t, "/../inside", AT_FDCWD, "/l"), 0);
	assert_int_equal(fx_read_file(fx->t, "/l", buf, sizeof(buf)), 1);
	char cwd[64];
	assert_int_equal(vfs_getcwd(fx->t, cwd, sizeof(cwd)), 2);
	assert_string_equal(cwd, "/");
}

static void test_symlink_loops_give_eloop(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(vfs_symlinkat(fx->t, "b", AT_FDCWD, "/a"), 0);
	assert_int_equal(vfs_symlinkat(fx->t, "a", AT_FDCWD, "/b"), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/a", O_RDONLY, 0, &f), -ELOOP);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/a/x", O_RDONLY, 0, &f), -ELOOP);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/a", AT_SYMLINK_NOFOLLOW, &st), 0);
	/* A chain of exactly 40 links resolves; 41 do not (Linux MAXSYMLINKS). */
	assert_int_equal(fx_write_file(fx->t, "/target", "t", 0644), 0);
	char name[32], tg[32];
	for (int i = 0; i < 41; i++) {
		snprintf(name, sizeof(name), "/c%d", i);
		if (i == 0)
			snprintf(tg, sizeof(tg), "/target");
		else
			snprintf(tg, sizeof(tg), "/c%d", i - 1);
		assert_int_equal(vfs_symlinkat(fx->t, tg, AT_FDCWD, name), 0);
	}
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/c39", O_RDONLY, 0, &f), 0);
	file_put(f);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/c40", O_RDONLY, 0, &f), -ELOOP);
}

static void test_name_and_path_too_long(void **state)
{
	struct fx *fx = *state;
	char name[300];
	memset(name, 'a', sizeof(name));
	name[0] = '/';
	name[257] = 0; /* a 256-byte component */
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, name, 0755), -ENAMETOOLONG);
	name[256] = 0; /* 255: fine */
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, name, 0755), 0);
	char *longp = malloc(5000);
	memset(longp, '/', 4999);
	longp[4999] = 0;
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, longp, 0, &st), -ENAMETOOLONG);
	free(longp);
}

static void test_permissions_as_non_root(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/private", 0700), 0);
	assert_int_equal(fx_write_file(fx->t, "/private/x", "x", 0644), 0);
	assert_int_equal(fx_write_file(fx->t, "/pub", "p", 0644), 0);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/tmp", 01777), 0);
	assert_int_equal(vfs_chmodat(fx->t, AT_FDCWD, "/tmp", 01777, 0), 0);
	struct task *u = fx_task(&fx->root, 1000, 1000);
	struct task *v = fx_task(&fx->root, 1001, 1001);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/private/x", O_RDONLY, 0, &f), -EACCES);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/pub", O_WRONLY, 0, &f), -EACCES);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/pub", O_RDONLY, 0, &f), 0);
	file_put(f);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/mine", O_CREAT | O_RDWR, 0600, &f), -EACCES);
	assert_int_equal(vfs_mkdirat(u, AT_FDCWD, "/d", 0755), -EACCES);
	/* EEXIST comes before EACCES for mkdir. */
	assert_int_equal(vfs_mkdirat(u, AT_FDCWD, "/pub", 0755), -EEXIST);
	assert_int_equal(vfs_accessat(u, AT_FDCWD, "/pub", W_OK, 0), -EACCES);
	assert_int_equal(vfs_accessat(u, AT_FDCWD, "/pub", R_OK, 0), 0);
	/* Sticky directory: v cannot remove u's file, u can. */
	assert_int_equal(vfs_open(u, AT_FDCWD, "/tmp/ufile", O_CREAT | O_RDWR, 0666, &f), 0);
	file_put(f);
	struct stat st;
	assert_int_equal(vfs_statat(u, AT_FDCWD, "/tmp/ufile", 0, &st), 0);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(vfs_unlinkat(v, AT_FDCWD, "/tmp/ufile"), -EPERM);
	assert_int_equal(vfs_unlinkat(u, AT_FDCWD, "/tmp/ufile"), 0);
	/* chmod of someone else's file: EPERM; chown without CAP_CHOWN: EPERM. */
	assert_int_equal(vfs_chmodat(u, AT_FDCWD, "/pub", 0777, 0), -EPERM);
	assert_int_equal(vfs_chownat(u, AT_FDCWD, "/pub", 1000, -1, 0), -EPERM);
	/* root bypasses read/write bits but not exec without any x bit. */
	assert_int_equal(vfs_accessat(fx->t, AT_FDCWD, "/private/x", R_OK | W_OK, 0), 0);
	assert_int_equal(vfs_accessat(fx->t, AT_FDCWD, "/private/x", X_OK, 0), -EACCES);
	fx_task_free(u);
	fx_task_free(v);
}

static int mount_tmpfs_at(struct fx *fx, const char *path, unsigned long flags)
{
	int r = vfs_mkdirat(fx->t, AT_FDCWD, path, 0755);
	if (r < 0 && r != -EEXIST)
		return r;
	return vfs_mount(&fx->root, path, "tmpfs", "tmpfs", flags, NULL);
}

static void test_readonly_mount_gives_erofs(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(mount_tmpfs_at(fx, "/ro", 0), 0);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/ro/sub", 0755), 0);
	assert_int_equal(fx_write_file(fx->t, "/ro/file", "data", 0644), 0);
	/* Remount it read-only. */
	assert_int_equal(vfs_sys_mount(fx->t, NULL, "/ro", NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/ro/new", O_CREAT | O_RDWR, 0644, &f), -EROFS);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/ro/file", O_RDWR, 0, &f), -EROFS);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/ro/file", O_RDONLY, 0, &f), 0);
	file_put(f);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/ro/sub", 0755), -EEXIST);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/ro/sub2", 0755), -EROFS);
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/ro/missing"), -EROFS);
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/ro/sub"), -EROFS);
	assert_int_equal(vfs_chmodat(fx->t, AT_FDCWD, "/ro/file", 0600, 0), -EROFS);
	assert_int_equal(vfs_truncate(fx->t, "/ro/file", 0), -EROFS);
	assert_int_equal(vfs_accessat(fx->t, AT_FDCWD, "/ro/file", W_OK, 0), -EROFS);
	struct statfs sfs;
	assert_int_equal(vfs_statfsat(fx->t, AT_FDCWD, "/ro", &sfs), 0);
	assert_true(sfs.f_flags & 1 /* ST_RDONLY */);
}

static void test_cross_mount_rename_and_link_give_exdev(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(mount_tmpfs_at(fx, "/mnt", 0), 0);
	assert_int_equal(fx_write_file(fx->t, "/a", "a", 0644), 0);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/a", AT_FDCWD, "/mnt/a", 0), -EXDEV);
	assert_int_equal(vfs_linkat(fx->t, AT_FDCWD, "/a", AT_FDCWD, "/mnt/a", 0), -EXDEV);
	/* ".." from the mount root goes back to the parent mount. */
	char buf[8];
	assert_int_equal(fx_read_file(fx->t, "/mnt/../a", buf, sizeof(buf)), 1);
	/* The mount hides what was under it and umount brings it back. */
	assert_int_equal(fx_write_file(fx->t, "/mnt/on_top", "t", 0644), 0);
	assert_int_equal(vfs_sys_umount(fx->t, "/mnt", 0), 0);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/mnt/on_top", 0, &st), -ENOENT);
	assert_int_equal(vfs_sys_umount(fx->t, "/mnt", 0), -EINVAL);
}

/* openat2's RESOLVE_* flags, in the walk: scoped lookups keep to dirfd,
 * links and mount crossings are refused with Linux's errnos. */
static void test_open_how_resolve_rules(void **state)
{
	struct fx *fx = *state;
	struct file *f, *d;
	assert_int_equal(mount_tmpfs_at(fx, "/mnt", 0), 0);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(fx_write_file(fx->t, "/d/f", "in", 0644), 0);
	assert_int_equal(fx_write_file(fx->t, "/out", "out", 0644), 0);
	assert_int_equal(vfs_symlinkat(fx->t, "/f", AT_FDCWD, "/d/abs"), 0);
	assert_int_equal(vfs_symlinkat(fx->t, "../out", AT_FDCWD, "/d/up"), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	int dfd = fdt_install(fx->t->fdt, d, 0, 0);
	file_put(d);
	assert_true(dfd >= 0);
	assert_int_equal(vfs_open_how(fx->t, dfd, "f", O_RDONLY, 0, RESOLVE_BENEATH, &f), 0);
	file_put(f);
	assert_int_equal(vfs_open_how(fx->t, dfd, "../out", O_RDONLY, 0, RESOLVE_BENEATH, &f),
			 -EXDEV);
	assert_int_equal(vfs_open_how(fx->t, dfd, "/out", O_RDONLY, 0, RESOLVE_BENEATH, &f),
			 -EXDEV);
	assert_int_equal(vfs_open_how(fx->t, dfd, "abs", O_RDONLY, 0, RESOLVE_BENEATH, &f),
			 -EXDEV);
	assert_int_equal(vfs_open_how(fx->t, dfd, "up", O_CREAT | O_RDWR, 0644, RESOLVE_BENEATH,
				      &f),
			 -EXDEV);
	/* RESOLVE_IN_ROOT: "/" is dirfd, ".." never leaves it. */
	char buf[8] = {0};
	assert_int_equal(vfs_open_how(fx->t, dfd, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT, &f), 0);
	assert_int_equal(file_read(fx->t, f, buf, sizeof(buf)), 2);
	file_put(f);
	assert_int_equal(vfs_open_how(fx->t, dfd, "../../f", O_RDONLY, 0, RESOLVE_IN_ROOT, &f), 0);
	file_put(f);
	assert_int_equal(vfs_open_how(fx->t, dfd, "up", O_RDONLY, 0, RESOLVE_IN_ROOT, &f), -ENOENT);
	assert_int_equal(vfs_open_how(fx->t, dfd, "abs", O_RDONLY, 0, RESOLVE_NO_SYMLINKS, &f),
			 -ELOOP);
	assert_int_equal(vfs_open_how(fx->t, dfd, "abs", O_PATH | O_NOFOLLOW, 0,
				      RESOLVE_NO_SYMLINKS, &f),
			 0);
	file_put(f);
	/* RESOLVE_NO_XDEV: onto a mount and back off it. */
	assert_int_equal(vfs_open_how(fx->t, AT_FDCWD, "/mnt", O_RDONLY, 0, RESOLVE_NO_XDEV, &f),
			 -EXDEV);
	assert_int_equal(vfs_open_how(fx->t, AT_FDCWD, "/d/../out", O_RDONLY, 0, RESOLVE_NO_XDEV,
				      &f),
			 0);
	file_put(f);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/mnt", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	int mfd = fdt_install(fx->t->fdt, d, 0, 0);
	file_put(d);
	assert_int_equal(vfs_open_how(fx->t, mfd, "..", O_RDONLY, 0, RESOLVE_NO_XDEV, &f), -EXDEV);
	/* RESOLVE_CACHED: a name the cache holds resolves; others would block. */
	assert_int_equal(vfs_open_how(fx->t, dfd, "f", O_RDONLY, 0, RESOLVE_CACHED, &f), 0);
	file_put(f);
	fdt_close(fx->t->fdt, mfd);
	fdt_close(fx->t->fdt, dfd);
}

static void test_rename_rules(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d/sub", 0755), 0);
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/full", 0755), 0);
	assert_int_equal(fx_write_file(fx->t, "/full/x", "x", 0644), 0);
	assert_int_equal(fx_write_file(fx->t, "/f", "f", 0644), 0);
	assert_int_equal(fx_write_file(fx->t, "/g", "g", 0644), 0);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/d", AT_FDCWD, "/d/sub/x", 0), -EINVAL);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/d", AT_FDCWD, "/full", 0), -ENOTEMPTY);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/f", AT_FDCWD, "/d", 0), -EISDIR);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/d", AT_FDCWD, "/f", 0), -ENOTDIR);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/f", AT_FDCWD, "/g", RENAME_NOREPLACE),
			 -EEXIST);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/nope", AT_FDCWD, "/g", 0), -ENOENT);
	/* Replace g by f: g's content is gone, f's name too. */
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/f", AT_FDCWD, "/g", 0), 0);
	char buf[8];
	assert_int_equal(fx_read_file(fx->t, "/g", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "f");
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/f", 0, &st), -ENOENT);
	/* Move a directory with its contents; the old name disappears. */
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/full", AT_FDCWD, "/d/moved", 0), 0);
	assert_int_equal(fx_read_file(fx->t, "/d/moved/x", buf, sizeof(buf)), 1);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/full", 0, &st), -ENOENT);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/d", 0, &st), 0);
	assert_int_equal(st.st_nlink, 4); /* ., .., sub/.., moved/.. */
	/* Exchange swaps. */
	assert_int_equal(fx_write_file(fx->t, "/p", "p", 0644), 0);
	assert_int_equal(vfs_renameat(fx->t, AT_FDCWD, "/p", AT_FDCWD, "/g", RENAME_EXCHANGE), 0);
	assert_int_equal(fx_read_file(fx->t, "/p", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "f");
	assert_int_equal(fx_read_file(fx->t, "/g", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "p");
}

static void test_rmdir_rules(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(fx_write_file(fx->t, "/d/x", "x", 0644), 0);
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/d"), -ENOTEMPTY);
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/d/."), -EINVAL);
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/d/.."), -ENOTEMPTY);
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/d/x"), -ENOTDIR);
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/d/x"), 0);
	assert_int_equal(vfs_chdir(fx->t, "/d"), 0);
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/d"), 0);
	/* The cwd was removed: getcwd says ENOENT, creating in it fails. */
	char buf[64];
	assert_int_equal(vfs_getcwd(fx->t, buf, sizeof(buf)), -ENOENT);
	struct file *f;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "new", O_CREAT | O_RDWR, 0644, &f), -ENOENT);
}

struct names {
	struct dir_ctx ctx;
	char seen[64][32];
	int n;
	int limit;
};

static int collect(struct dir_ctx *c, const char *name, size_t len, uint64_t ino,
		   unsigned int type, uint64_t next)
{
	struct names *nm = (struct names *)c;
	if (nm->n >= nm->limit)
		return 1;
	snprintf(nm->seen[nm->n++], 32, "%.*s", (int)len, name);
	return 0;
}

static void test_getdents_resumes_and_survives_unlink(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d", 0755), 0);
	char p[32];
	for (int i = 0; i < 10; i++) {
		snprintf(p, sizeof(p), "/d/f%d", i);
		assert_int_equal(fx_write_file(fx->t, p, "", 0644), 0);
	}
	struct file *f;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d", O_RDONLY | O_DIRECTORY, 0, &f), 0);
	char tmp[4];
	assert_int_equal(file_read(fx->t, f, tmp, sizeof(tmp)), -EISDIR);
	struct names nm = {.ctx.emit = collect, .limit = 5};
	nm.ctx.pos = f->pos;
	assert_int_equal(f->ops->readdir(fx->t, f, &nm.ctx), 0);
	f->pos = nm.ctx.pos;
	assert_int_equal(nm.n, 5);
	assert_string_equal(nm.seen[0], ".");
	assert_string_equal(nm.seen[1], "..");
	/* Unlink one already listed and one not yet listed. */
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/d/f0"), 0);
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/d/f9"), 0);
	nm.limit = 64;
	assert_int_equal(f->ops->readdir(fx->t, f, &nm.ctx), 0);
	/* 2 dots + 10 files - f9 (never listed) = 11, no duplicates. */
	assert_int_equal(nm.n, 11);
	for (int i = 0; i < nm.n; i++)
		for (int j = i + 1; j < nm.n; j++)
			assert_string_not_equal(nm.seen[i], nm.seen[j]);
	/* Rewind lists again from the start. */
	assert_int_equal(file_lseek(f, 0, SEEK_SET), 0);
	struct names again = {.ctx.emit = collect, .limit = 64};
	assert_int_equal(f->ops->readdir(fx->t, f, &again.ctx), 0);
	assert_int_equal(again.n, 10);
	file_put(f);
}

/* The dentry cache keeps a directory's children on a list each one leaves in
 * O(1): removing names in any order (first made, last made, in between)
 * leaves the others found and the cache as it was. */
static void test_big_directory_names_come_and_go_in_any_order(void **state)
{
	struct fx *fx = *state;
	enum { N = 600 };
	unsigned long before = vfs_dcache_count();
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/big", 0755), 0);
	char p[32];
	for (int i = 0; i < N; i++) {
		snprintf(p, sizeof(p), "/big/f%d", i);
		assert_int_equal(fx_write_file(fx->t, p, "", 0644), 0);
	}
	struct stat st;
	/* Every third name, from the middle outwards, then the rest backwards. */
	for (int k = 0; k < N; k += 3) {
		int i = (N / 2 + k) % N;
		snprintf(p, sizeof(p), "/big/f%d", i);
		assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, p), 0);
		assert_int_equal(vfs_statat(fx->t, AT_FDCWD, p, 0, &st), -ENOENT);
	}
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/big"), -ENOTEMPTY);
	for (int i = N - 1; i >= 0; i--) {
		snprintf(p, sizeof(p), "/big/f%d", i);
		int r = vfs_statat(fx->t, AT_FDCWD, p, 0, &st);
		if (r == -ENOENT)
			continue;
		assert_int_equal(r, 0);
		assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, p), 0);
	}
	assert_int_equal(vfs_rmdirat(fx->t, AT_FDCWD, "/big"), 0);
	assert_true(vfs_dcache_count() <= before);
}

static void test_o_tmpfile_makes_an_unnamed_file(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d", O_TMPFILE | O_RDONLY, 0600, &f), -EINVAL);
	assert_int_equal(fx_write_file(fx->t, "/file", "", 0644), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/file", O_TMPFILE | O_RDWR, 0600, &f), -ENOTDIR);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d", O_TMPFILE | O_RDWR, 0600, &f), 0);
	assert_int_equal(file_write(fx->t, f, "anon", 4), 4);
	assert_int_equal(file_pread(fx->t, f, (char[8]){0}, 4, 0), 4);
	struct stat st;
	assert_int_equal(vfs_stat_file(f, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	file_put(f);
	/* Nothing is left in the directory. */
	struct file *d;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	struct names nm = {.ctx.emit = collect, .limit = 64};
	assert_int_equal(d->ops->readdir(fx->t, d, &nm.ctx), 0);
	assert_int_equal(nm.n, 2);
	file_put(d);
}

static void test_exec_open_needs_x_not_r(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(fx_write_file(fx->t, "/bin", "\177ELF", 0755), 0);
	assert_int_equal(vfs_chmodat(fx->t, AT_FDCWD, "/bin", 0111, 0), 0);
	assert_int_equal(fx_write_file(fx->t, "/noexec", "x", 0644), 0);
	struct task *u = fx_task(&fx->root, 1000, 1000);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/bin", O_RDONLY, 0, &f), -EACCES);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/bin", O_RDONLY | VFS_O_EXEC, 0, &f), 0);
	char buf[4];
	assert_int_equal(file_pread_kernel(f, buf, 4, 0), 4);
	assert_memory_equal(buf, "\177ELF", 4);
	assert_int_equal(file_get_flags(f) & (O_ACCMODE | VFS_O_EXEC), O_RDONLY);
	file_put(f);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/noexec", O_RDONLY | VFS_O_EXEC, 0, &f), -EACCES);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/", O_RDONLY | VFS_O_EXEC, 0, &f), -EACCES);
	fx_task_free(u);
}

static void test_unlinked_open_file_stays_readable(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(fx_write_file(fx->t, "/gone", "still here", 0644), 0);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/gone", O_RDONLY, 0, &f), 0);
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/gone"), 0);
	char buf[32];
	assert_int_equal(file_read(fx->t, f, buf, sizeof(buf)), 10);
	struct stat st;
	assert_int_equal(vfs_stat_file(f, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	file_put(f);
}

static void test_truncate_and_append(void **state)
{
	struct fx *fx = *state;
	struct file *f;
	assert_int_equal(fx_write_file(fx->t, "/t", "abcdefghij", 0644), 0);
	assert_int_equal(vfs_truncate(fx->t, "/t", 3), 0);
	assert_int_equal(vfs_truncate(fx->t, "/t", 8), 0);
	char buf[16];
	assert_int_equal(fx_read_file(fx->t, "/t", buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "abc\0\0\0\0\0", 8);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/t", O_WRONLY | O_APPEND, 0, &f), 0);
	assert_int_equal(file_write(fx->t, f, "Z", 1), 1);
	assert_int_equal(file_lseek(f, 0, SEEK_CUR), 9);
	assert_int_equal(file_truncate(fx->t, f, 2), 0);
	file_put(f);
	assert_int_equal(fx_read_file(fx->t, "/t", buf, sizeof(buf)), 2);
	assert_int_equal(vfs_truncate(fx->t, "/", 0), -EISDIR);
	/* Sparse write far away: the hole reads as zeros, size follows. */
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/t", O_RDWR, 0, &f), 0);
	assert_int_equal(file_pwrite(fx->t, f, "E", 1, 100000), 1);
	assert_int_equal(file_pread(fx->t, f, buf, 4, 50000), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(file_lseek(f, 0, SEEK_END), 100001);
	assert_int_equal(file_lseek(f, -1, SEEK_SET), -EINVAL);
	file_put(f);
}

static void test_link_and_nlink(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	assert_int_equal(fx_write_file(fx->t, "/orig", "o", 0644), 0);
	assert_int_equal(vfs_linkat(fx->t, AT_FDCWD, "/orig", AT_FDCWD, "/hard", 0), 0);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/orig", 0, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(vfs_linkat(fx->t, AT_FDCWD, "/orig", AT_FDCWD, "/hard", 0), -EEXIST);
	assert_int_equal(vfs_linkat(fx->t, AT_FDCWD, "/", AT_FDCWD, "/rootlink", 0), -EPERM);
	assert_int_equal(vfs_unlinkat(fx->t, AT_FDCWD, "/orig"), 0);
	char buf[4];
	assert_int_equal(fx_read_file(fx->t, "/hard", buf, sizeof(buf)), 1);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/hard", 0, &st), 0);
	assert_int_equal(st.st_nlink, 1);
	char tgt[16];
	assert_int_equal(vfs_symlinkat(fx->t, "hard", AT_FDCWD, "/sym"), 0);
	assert_int_equal(vfs_readlinkat(fx->t, AT_FDCWD, "/sym", tgt, sizeof(tgt)), 4);
	assert_int_equal(vfs_readlinkat(fx->t, AT_FDCWD, "/hard", tgt, sizeof(tgt)), -EINVAL);
}

static void test_dirfd_relative_walks(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(vfs_mkdirat(fx->t, AT_FDCWD, "/d", 0755), 0);
	struct file *d;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	int dfd = fdt_install(fx->t->fdt, d, 0, 0);
	file_put(d);
	assert_true(dfd >= 0);
	struct file *f;
	assert_int_equal(vfs_open(fx->t, dfd, "rel", O_CREAT | O_RDWR, 0644, &f), 0);
	file_put(f);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/d/rel", 0, &st), 0);
	assert_int_equal(vfs_statat(fx->t, dfd, "", AT_EMPTY_PATH, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(vfs_statat(fx->t, dfd, "", 0, &st), -ENOENT);
	assert_int_equal(vfs_statat(fx->t, 99, "rel", 0, &st), -EBADF);
	/* An absolute path ignores even a bad dirfd. */
	assert_int_equal(vfs_statat(fx->t, 99, "/d/rel", 0, &st), 0);
	/* A non-directory dirfd: ENOTDIR. */
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/d/rel", O_RDONLY, 0, &f), 0);
	int ffd = fdt_install(fx->t->fdt, f, 0, 0);
	file_put(f);
	assert_int_equal(vfs_statat(fx->t, ffd, "x", 0, &st), -ENOTDIR);
	assert_int_equal(vfs_fchdir(fx->t, dfd), 0);
	char cwd[32];
	assert_int_equal(vfs_getcwd(fx->t, cwd, sizeof(cwd)), 3);
	assert_string_equal(cwd, "/d");
	assert_int_equal(vfs_getcwd(fx->t, cwd, 2), -ERANGE);
}

static void test_utimens_and_chown_rules(void **state)
{
	struct fx *fx = *state;
	struct stat st;
	assert_int_equal(fx_write_file(fx->t, "/f", "", 0666), 0);
	assert_int_equal(vfs_chmodat(fx->t, AT_FDCWD, "/f", 0666, 0), 0);
	struct timespec ts[2] = {{1000, 5}, {2000, 6}};
	assert_int_equal(vfs_utimensat(fx->t, AT_FDCWD, "/f", ts, 0), 0);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/f", 0, &st), 0);
	assert_int_equal(st.st_mtim.tv_sec, 2000);
	assert_int_equal(st.st_atim.tv_nsec, 5);
	struct task *u = fx_task(&fx->root, 1000, 1000);
	/* A non-owner with write access may set "now" but not explicit times. */
	assert_int_equal(vfs_utimensat(u, AT_FDCWD, "/f", NULL, 0), 0);
	assert_int_equal(vfs_utimensat(u, AT_FDCWD, "/f", ts, 0), -EPERM);
	struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
	assert_int_equal(vfs_utimensat(u, AT_FDCWD, "/f", bad, 0), -EINVAL);
	assert_int_equal(vfs_chownat(fx->t, AT_FDCWD, "/f", 1000, 1000, 0), 0);
	assert_int_equal(vfs_chmodat(fx->t, AT_FDCWD, "/f", 06755, 0), 0);
	/* The owner may change the group to one of its own groups only. */
	assert_int_equal(vfs_chownat(u, AT_FDCWD, "/f", -1, 5, 0), -EPERM);
	assert_int_equal(vfs_chownat(u, AT_FDCWD, "/f", -1, 1000, 0), 0);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/f", 0, &st), 0);
	/* chown dropped the set-id bits. */
	assert_int_equal(st.st_mode & 07777, 0755);
	/* Writes by a task without CAP_FSETID drop them too; root's do not. */
	assert_int_equal(vfs_chmodat(fx->t, AT_FDCWD, "/f", 04777, 0), 0);
	struct file *f;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/f", O_WRONLY, 0, &f), 0);
	assert_int_equal(file_write(fx->t, f, "r", 1), 1);
	file_put(f);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/f", 0, &st), 0);
	assert_int_equal(st.st_mode & 07777, 04777);
	assert_int_equal(vfs_open(u, AT_FDCWD, "/f", O_WRONLY, 0, &f), 0);
	assert_int_equal(file_write(u, f, "u", 1), 1);
	file_put(f);
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/f", 0, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0777);
	fx_task_free(u);
}

/* As Linux's i_writecount: while a holder denies writing (a running
 * executable) every way to write the file fails with ETXTBSY, reading does
 * not; while a description may write, the denial fails; each is undone by
 * its release. */
static void test_denied_write_access_gives_etxtbsy(void **state)
{
	struct fx *fx = *state;
	assert_int_equal(fx_write_file(fx->t, "/prog", "\x7f" "ELF", 0755), 0);
	assert_int_equal(vfs_linkat(fx->t, AT_FDCWD, "/prog", AT_FDCWD, "/alias", 0), 0);
	struct file *exe, *f;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/prog", O_RDONLY, 0, &exe), 0);
	assert_int_equal(inode_deny_write_access(exe->inode), 0);
	assert_int_equal(inode_deny_write_access(exe->inode), 0); /* denials stack */
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/prog", O_WRONLY, 0, &f), -ETXTBSY);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/alias", O_RDWR, 0, &f), -ETXTBSY);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/prog", O_RDONLY | O_TRUNC, 0, &f), -ETXTBSY);
	assert_int_equal(vfs_truncate(fx->t, "/prog", 0), -ETXTBSY);
	struct stat st;
	assert_int_equal(vfs_statat(fx->t, AT_FDCWD, "/prog", 0, &st), 0);
	assert_int_equal(st.st_size, 4); /* nothing was truncated */
	/* The permission check comes first, as Linux's may_open. */
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/", O_WRONLY, 0, &f), -EISDIR);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/prog", O_RDONLY, 0, &f), 0);
	file_put(f);
	inode_allow_write_access(exe->inode);
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/prog", O_WRONLY, 0, &f), -ETXTBSY);
	inode_allow_write_access(exe->inode);
	/* Allowed again: a writer now blocks a denial until its last put. */
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/prog", O_WRONLY, 0, &f), 0);
	struct file *f2;
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/alias", O_RDWR | O_TRUNC, 0, &f2), 0);
	assert_int_equal(inode_deny_write_access(exe->inode), -ETXTBSY);
	file_put(f);
	assert_int_equal(inode_deny_write_access(exe->inode), -ETXTBSY);
	file_get(f2);
	file_put(f2);
	assert_int_equal(inode_deny_write_access(exe->inode), -ETXTBSY); /* one ref left */
	file_put(f2);
	assert_int_equal(inode_deny_write_access(exe->inode), 0);
	inode_allow_write_access(exe->inode);
	/* A failed open gives its write access back. */
	assert_int_equal(vfs_open(fx->t, AT_FDCWD, "/prog", O_WRONLY | O_DIRECTORY, 0, &f),
			 -ENOTDIR);
	assert_int_equal(inode_deny_write_access(exe->inode), 0);
	inode_allow_write_access(exe->inode);
	assert_int_equal(vfs_truncate(fx->t, "/prog", 1), 0);
	assert_int_equal(inode_deny_write_access(exe->inode), 0); /* truncate kept none */
	inode_allow_write_access(exe->inode);
	assert_int_equal(atomic_load(&exe->inode->writecount), 0);
	file_put(exe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_denied_write_access_gives_etxtbsy, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_write_read_roundtrip, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_excl_nofollow_directory_errors, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_trailing_slash_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_walk_dotdot_cannot_escape_root, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_symlink_loops_give_eloop, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_name_and_path_too_long, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_permissions_as_non_root, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_readonly_mount_gives_erofs, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_cross_mount_rename_and_link_give_exdev,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_open_how_resolve_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rename_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_rmdir_rules, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_getdents_resumes_and_survives_unlink, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_big_directory_names_come_and_go_in_any_order,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_unlinked_open_file_stays_readable, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_o_tmpfile_makes_an_unnamed_file, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_exec_open_needs_x_not_r, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_truncate_and_append, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_link_and_nlink, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_dirfd_relative_walks, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_utimens_and_chown_rules, fx_setup,
						fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
