/* Unit tests for sentry/fs/goferfs.c against the real Gofer server
 * (gofer/server.c) over a socketpair, serving a temporary directory. */
#include <dirent.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "gofer/server.h"
#include "sentry/fs/gofer_client.h"
#include "sentry/fs/goferfs.h"
#include "sentry/mm/mm.h"
#include "sentry/tests/harness.h"

struct gfx {
	struct fx fx; /* the root: goferfs over dir */
	char dir[64];
	int hostroot;
	pthread_t server;
	int ssock;
	struct gofer_client *c;
};

static void *serve(void *arg)
{
	struct gfx *g = arg;
	struct gofer_mount m = {.name = "/", .fd = g->hostroot, .parent_fd = -1, .leaf = NULL};
	gofer_serve(g->ssock, &m, 1, false, 0);
	return NULL;
}

static int setup(void **state)
{
	struct gfx *g = calloc(1, sizeof(*g));
	strcpy(g->dir, "/tmp/visor-goferfs-XXXXXX");
	if (!mkdtemp(g->dir))
		return -1;
	g->hostroot = open(g->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	g->ssock = sv[1];
	pthread_create(&g->server, NULL, serve, g);
	g->c = gofer_client_new(sv[0]);
	if (goferfs_register(g->c) < 0)
		return -1;
	fx_init_root(&g->fx, "bind-gofer", "/", NULL);
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	struct gfx *g = *state;
	/* fx_fini detaches and drops every mount, so every fid is clunked
	 * before the connection goes. */
	fx_fini(&g->fx);
	gofer_client_free(g->c);
	pthread_join(g->server, NULL);
	close(g->ssock);
	close(g->hostroot);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", g->dir);
	if (system(cmd) != 0)
		return -1;
	free(g);
	return 0;
}

static void host_path(struct gfx *g, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", g->dir, rel);
}

static void test_create_write_shows_on_host_and_reads_back(void **state)
{
	struct gfx *g = *state;
	assert_int_equal(fx_write_file(g->fx.t, "/hello.txt", "from the sentry", 0640), 0);
	char hp[128], buf[64];
	host_path(g, "hello.txt", hp, sizeof(hp));
	FILE *f = fopen(hp, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	assert_string_equal(buf, "from the sentry");
	struct stat st;
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640 & ~022);
	assert_int_equal(fx_read_file(g->fx.t, "/hello.txt", buf, sizeof(buf)), 15);
	assert_string_equal(buf, "from the sentry");
	struct stat vst;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/hello.txt", 0, &vst), 0);
	assert_int_equal(vst.st_size, 15);
	assert_int_equal(vst.st_ino, st.st_ino);
}

struct counting_ctx {
	struct dir_ctx ctx;
	int n, seen, dots;
};

static int count_emit(struct dir_ctx *x, const char *name, size_t len, uint64_t ino,
		      unsigned int type, uint64_t next)
{
	struct counting_ctx *c = (struct counting_ctx *)x;
	if (c->n >= 7)
		return 1;
	c->n++;
	if (name[0] == '.')
		c->dots++;
	else
		c->seen++;
	return 0;
}

static void test_host_files_are_visible_and_listed(void **state)
{
	struct gfx *g = *state;
	char hp[128];
	host_path(g, "sub", hp, sizeof(hp));
	assert_int_equal(mkdir(hp, 0755), 0);
	for (int i = 0; i < 40; i++) {
		char p[160];
		snprintf(p, sizeof(p), "%s/sub/file%02d", g->dir, i);
		FILE *f = fopen(p, "w");
		fputs("x", f);
		fclose(f);
	}
	struct file *d;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/sub", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	/* Read in small batches to exercise resumption by index. */
	int seen = 0, dots = 0;
	for (;;) {
		struct counting_ctx c = {.ctx.emit = count_emit};
		struct dir_ctx *ctx = &c.ctx;
		ctx->pos = d->pos;
		assert_int_equal(d->ops->readdir(g->fx.t, d, ctx), 0);
		d->pos = ctx->pos;
		seen += c.seen;
		dots += c.dots;
		if (c.n == 0)
			break;
	}
	assert_int_equal(seen, 40);
	assert_int_equal(dots, 2);
	file_put(d);
}

static void test_mkdir_rename_unlink_symlink_through_gofer(void **state)
{
	struct gfx *g = *state;
	char hp[160];
	struct stat st;
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/d", 0750), 0);
	host_path(g, "d", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(fx_write_file(g->fx.t, "/d/a", "A", 0644), 0);
	assert_int_equal(vfs_renameat(g->fx.t, AT_FDCWD, "/d/a", AT_FDCWD, "/d/b", 0), 0);
	host_path(g, "d/b", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), 0);
	host_path(g, "d/a", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), -1);
	assert_int_equal(vfs_symlinkat(g->fx.t, "b", AT_FDCWD, "/d/link"), 0);
	char buf[16];
	assert_int_equal(vfs_readlinkat(g->fx.t, AT_FDCWD, "/d/link", buf, sizeof(buf)), 1);
	assert_int_equal(fx_read_file(g->fx.t, "/d/link", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "A");
	assert_int_equal(vfs_rmdirat(g->fx.t, AT_FDCWD, "/d"), -ENOTEMPTY);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/d/link"), 0);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/d/b"), 0);
	assert_int_equal(vfs_rmdirat(g->fx.t, AT_FDCWD, "/d"), 0);
	host_path(g, "d", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), -1);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/d", 0, &st), -ENOENT);
}

static void test_truncate_chmod_and_append_via_gofer(void **state)
{
	struct gfx *g = *state;
	char hp[128];
	struct stat st;
	assert_int_equal(fx_write_file(g->fx.t, "/t", "0123456789", 0644), 0);
	assert_int_equal(vfs_truncate(g->fx.t, "/t", 4), 0);
	host_path(g, "t", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(vfs_chmodat(g->fx.t, AT_FDCWD, "/t", 0600, 0), 0);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct file *f;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/t", O_WRONLY | O_APPEND, 0, &f), 0);
	assert_int_equal(file_write(g->fx.t, f, "XY", 2), 2);
	file_put(f);
	char buf[16];
	assert_int_equal(fx_read_file(g->fx.t, "/t", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "0123XY");
	/* mmap's private read path. */
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/t", O_RDONLY, 0, &f), 0);
	struct mm_file *m = file_mm_file(f);
	assert_non_null(m);
	assert_int_equal(m->ops->size(m), 6);
	assert_int_equal(m->ops->pread(m, buf, 2, 4), 2);
	assert_memory_equal(buf, "XY", 2);
	assert_null(m->ops->shared_page);
	file_put(f);
	struct statfs sfs;
	assert_int_equal(vfs_statfsat(g->fx.t, AT_FDCWD, "/", &sfs), 0);
	assert_true(sfs.f_bsize > 0);
}

static void host_read(struct gfx *g, const char *rel, char *buf, size_t len)
{
	char hp[160];
	host_path(g, rel, hp, sizeof(hp));
	int fd = open(hp, O_RDONLY);
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, len - 1);
	assert_true(n >= 0);
	buf[n] = 0;
	close(fd);
}

static void host_write(struct gfx *g, const char *rel, const char *data)
{
	char hp[160];
	host_path(g, rel, hp, sizeof(hp));
	FILE *f = fopen(hp, "w");
	assert_non_null(f);
	fputs(data, f);
	fclose(f);
}

static uint64_t nlink_of(struct gfx *g, const char *path)
{
	struct stat st;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, path, 0, &st), 0);
	return st.st_nlink;
}

static void append(struct gfx *g, const char *path, const char *data)
{
	struct file *f;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, path, O_WRONLY | O_APPEND, 0, &f), 0);
	assert_int_equal(file_write(g->fx.t, f, data, strlen(data)), (ssize_t)strlen(data));
	file_put(f);
}

/* git's way to store an object, through the VFS: the second name opens,
 * stats and counts links right after the first is gone. */
static void test_link_then_unlink_first_name_keeps_the_file(void **state)
{
	struct gfx *g = *state;
	char buf[32];
	assert_int_equal(fx_write_file(g->fx.t, "/tmp_obj", "object data", 0444), 0);
	assert_int_equal(vfs_linkat(g->fx.t, AT_FDCWD, "/tmp_obj", AT_FDCWD, "/obj", 0), 0);
	assert_int_equal(nlink_of(g, "/obj"), 2);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/tmp_obj"), 0);
	assert_int_equal(nlink_of(g, "/obj"), 1);
	assert_int_equal(fx_read_file(g->fx.t, "/obj", buf, sizeof(buf)), 11);
	assert_string_equal(buf, "object data");
	/* and again from a fresh lookup, with the dentry cache emptied */
	vfs_dcache_set_max(0);
	assert_int_equal(fx_read_file(g->fx.t, "/obj", buf, sizeof(buf)), 11);
	vfs_dcache_set_max(8192);
	/* rename over one name of a file with two: the other keeps it, one link */
	assert_int_equal(vfs_linkat(g->fx.t, AT_FDCWD, "/obj", AT_FDCWD, "/obj2", 0), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/other", "x", 0644), 0);
	assert_int_equal(vfs_renameat(g->fx.t, AT_FDCWD, "/other", AT_FDCWD, "/obj2", 0), 0);
	assert_int_equal(nlink_of(g, "/obj"), 1);
	assert_int_equal(fx_read_file(g->fx.t, "/obj2", buf, sizeof(buf)), 1);
	/* an open description outlives the last name, as Linux */
	struct file *f;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/obj", O_RDONLY, 0, &f), 0);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/obj"), 0);
	struct stat st;
	assert_int_equal(vfs_stat_file(f, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	assert_int_equal(file_pread(g->fx.t, f, buf, 6, 0), 6);
	assert_memory_equal(buf, "object", 6);
	file_put(f);
}

/* Two names of one host file are one inode: what is written through one is
 * what the other stats and appends after. */
static void test_hard_links_are_one_inode(void **state)
{
	struct gfx *g = *state;
	host_write(g, "h1", "abc");
	char p1[160], p2[160];
	host_path(g, "h1", p1, sizeof(p1));
	host_path(g, "h2", p2, sizeof(p2));
	assert_int_equal(link(p1, p2), 0);
	struct stat s1, s2;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/h1", 0, &s1), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/h2", 0, &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	assert_int_equal(s1.st_dev, s2.st_dev);
	assert_int_equal(s2.st_nlink, 2);
	append(g, "/h1", "def");
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/h2", 0, &s2), 0);
	assert_int_equal(s2.st_size, 6);
	append(g, "/h2", "ghi");
	char buf[32];
	host_read(g, "h1", buf, sizeof(buf));
	assert_string_equal(buf, "abcdefghi");
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/h1"), 0);
	assert_int_equal(nlink_of(g, "/h2"), 1);
	assert_int_equal(fx_read_file(g->fx.t, "/h2", buf, sizeof(buf)), 9);
}

static void test_dentry_cache_stays_bounded_and_correct(void **state)
{
	struct gfx *g = *state;
	vfs_dcache_set_max(16);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/many", 0755), 0);
	assert_int_equal(vfs_chdir(g->fx.t, "/many"), 0);
	char p[32];
	for (int i = 0; i < 100; i++) {
		snprintf(p, sizeof(p), "f%d", i);
		assert_int_equal(fx_write_file(g->fx.t, p, p, 0644), 0);
	}
	assert_true(vfs_dcache_count() <= 17);
	/* Everything is still there, through fresh lookups (new fids). */
	char buf[16];
	for (int i = 0; i < 100; i += 7) {
		snprintf(p, sizeof(p), "/many/f%d", i);
		assert_int_equal(fx_read_file(g->fx.t, p, buf, sizeof(buf)),
				 (ssize_t)strlen(p) - 6);
		assert_string_equal(buf, p + 6);
	}
	/* The cwd survived pruning: relative names still resolve. */
	assert_int_equal(fx_read_file(g->fx.t, "f99", buf, sizeof(buf)), 3);
	char cwd[32];
	assert_int_equal(vfs_getcwd(g->fx.t, cwd, sizeof(cwd)), 6);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "f1"), 0);
	assert_int_equal(fx_read_file(g->fx.t, "f1", buf, sizeof(buf)), -ENOENT);
	vfs_dcache_set_max(8192);
}

static void test_shared_file_access_sees_host_changes(void **state)
{
	struct gfx *g = *state;
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/sh", 0755), 0);
	assert_int_equal(vfs_mount(&g->fx.root, "/sh", "bind-gofer", "/", 0, "file-access=shared"),
			 0);
	char hp[160];
	host_path(g, "hostfile", hp, sizeof(hp));
	FILE *f = fopen(hp, "w");
	fputs("one", f);
	fclose(f);
	struct stat st;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/sh/hostfile", 0, &st), 0);
	assert_int_equal(st.st_size, 3);
	/* The host replaces the file behind the Sentry's back. */
	assert_int_equal(unlink(hp), 0);
	f = fopen(hp, "w");
	fputs("second!", f);
	fclose(f);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/sh/hostfile", 0, &st), 0);
	assert_int_equal(st.st_size, 7);
	char buf[16];
	assert_int_equal(fx_read_file(g->fx.t, "/sh/hostfile", buf, sizeof(buf)), 7);
	/* It grows on the host while open: fstat refreshes. */
	struct file *of;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/sh/hostfile", O_RDONLY, 0, &of), 0);
	f = fopen(hp, "a");
	fputs("++", f);
	fclose(f);
	assert_int_equal(vfs_stat_file(of, &st), 0);
	assert_int_equal(st.st_size, 9);
	file_put(of);
	/* And goes away. */
	assert_int_equal(unlink(hp), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/sh/hostfile", 0, &st), -ENOENT);
}

static void test_bind_mount_from_gofer_attach(void **state)
{
	struct gfx *g = *state;
	/* The server only knows "/": attaching another name fails cleanly. */
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/mnt", 0755), 0);
	assert_true(vfs_mount(&g->fx.root, "/mnt", "bind-gofer", "/nonexistent", 0, NULL) < 0);
	/* Attaching "/" again at /mnt shows the same files. */
	assert_int_equal(vfs_mount(&g->fx.root, "/mnt", "bind-gofer", "/", MS_RDONLY, NULL), 0);
	struct stat st;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/mnt/mnt", 0, &st), 0);
	struct file *f;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/mnt/x", O_CREAT | O_RDWR, 0644, &f), -EROFS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_create_write_shows_on_host_and_reads_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_files_are_visible_and_listed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_rename_unlink_symlink_through_gofer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncate_chmod_and_append_via_gofer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_link_then_unlink_first_name_keeps_the_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hard_links_are_one_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dentry_cache_stays_bounded_and_correct, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_file_access_sees_host_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bind_mount_from_gofer_attach, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
