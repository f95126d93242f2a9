/* Unit tests for sentry/fs/goferfs.c against the real Gofer server
 * (gofer/server.c) over a socketpair, serving a temporary directory. */
#include <dirent.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "gofer/server.h"
#include "sentry/fs/gofer_client.h"
#include "sentry/fs/goferfs.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/pagecache.h"
#include "sentry/mm/tests/mm_test_util.h"

struct gfx {
	struct fx fx; /* the root: goferfs over dir */
	char dir[64];
	char voldir[64]; /* served as "/vol": a bind mount's source */
	int hostroot, hostvol;
	pthread_t server;
	int ssock;
	struct gofer_client *c;
	struct memfile *mf; /* where mapped files' page caches live */
};

static void *serve(void *arg)
{
	struct gfx *g = arg;
	struct gofer_mount m[2] = {
	    {.name = "/", .fd = g->hostroot, .parent_fd = -1, .leaf = NULL},
	    {.name = "/vol", .fd = g->hostvol, .parent_fd = -1, .leaf = NULL},
	};
	gofer_serve(g->ssock, m, 2, false, 0);
	return NULL;
}

static int setup(void **state)
{
	struct gfx *g = calloc(1, sizeof(*g));
	strcpy(g->dir, "/tmp/visor-goferfs-XXXXXX");
	if (!mkdtemp(g->dir))
		return -1;
	g->hostroot = open(g->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	strcpy(g->voldir, "/tmp/visor-goferfs-vol-XXXXXX");
	if (!mkdtemp(g->voldir))
		return -1;
	g->hostvol = open(g->voldir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	g->ssock = sv[1];
	pthread_create(&g->server, NULL, serve, g);
	g->c = gofer_client_new(sv[0]);
	if (goferfs_register(g->c) < 0 || memfile_new(64ULL << 20, &g->mf) < 0)
		return -1;
	goferfs_set_memfile(g->mf);
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
	goferfs_set_memfile(NULL);
	memfile_free(g->mf);
	gofer_client_free(g->c);
	pthread_join(g->server, NULL);
	close(g->ssock);
	close(g->hostroot);
	close(g->hostvol);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", g->dir, g->voldir);
	if (system(cmd) != 0)
		return -1;
	free(g);
	return 0;
}

static void host_path(struct gfx *g, const char *rel, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", g->dir, rel);
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

static uint64_t requests(struct gfx *g)
{
	return gofer_client_requests(g->c);
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

/* Extended attributes: user.* reach the host file; other name spaces stay
 * out; the statx of a gofer file is the host's (birth time, alignment). */
static void test_xattrs_and_statx_reach_the_host(void **state)
{
	struct gfx *g = *state;
	assert_int_equal(fx_write_file(g->fx.t, "/x.txt", "x", 0644), 0);
	struct vfs_path p;
	assert_int_equal(vfs_walk(g->fx.t, AT_FDCWD, "/x.txt", 0, &p), 0);
	struct inode *ino = p.dentry->inode;
	assert_int_equal(vfs_setxattr(g->fx.t, &p, ino, "user.k", "val", 3, 0), 0);
	char hp[128], buf[16] = {0};
	host_path(g, "x.txt", hp, sizeof(hp));
	assert_int_equal(getxattr(hp, "user.k", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "val", 3);
	assert_int_equal(setxattr(hp, "user.h", "host", 4, 0), 0);
	assert_int_equal(vfs_getxattr(g->fx.t, ino, "user.h", buf, sizeof(buf)), 4);
	assert_int_equal(vfs_setxattr(g->fx.t, &p, ino, "user.k", "v", 1, XATTR_CREATE),
			 -EEXIST);
	assert_int_equal(vfs_listxattr(g->fx.t, ino, buf, sizeof(buf)), 14);
	assert_int_equal(vfs_setxattr(g->fx.t, &p, ino, "trusted.k", "v", 1, 0), -EOPNOTSUPP);
	assert_int_equal(vfs_removexattr(g->fx.t, &p, ino, "user.k"), 0);
	assert_int_equal(getxattr(hp, "user.k", buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENODATA);
	struct vfs_statx sx;
	assert_int_equal(vfs_statxat(g->fx.t, AT_FDCWD, "/x.txt", 0,
				     STATX_BASIC_STATS | STATX_BTIME, &sx),
			 0);
	struct statx hs;
	assert_int_equal(statx(AT_FDCWD, hp, 0, STATX_BASIC_STATS | STATX_BTIME, &hs), 0);
	assert_true(sx.fs_mask_valid);
	assert_int_equal(sx.fs_mask & STATX_BTIME, hs.stx_mask & STATX_BTIME);
	if (hs.stx_mask & STATX_BTIME)
		assert_int_equal(sx.btime.tv_sec, hs.stx_btime.tv_sec);
	path_put(&p);
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

/* Collects the names "e<i>" (i < 64), at most max entries per getdents;
 * a name seen twice fails. */
struct list_ctx {
	struct dir_ctx ctx;
	bool *names;
	int n, max;
};

static int list_emit(struct dir_ctx *x, const char *name, size_t len, uint64_t ino,
		     unsigned int type, uint64_t next)
{
	struct list_ctx *c = (struct list_ctx *)x;
	if (c->n >= c->max)
		return 1;
	c->n++;
	if (name[0] == 'e') {
		int i = atoi(name + 1);
		assert_true(i >= 0 && i < 64);
		assert_false(c->names[i]);
		c->names[i] = true;
	}
	return 0;
}

/* As count_emit, without a limit: as much as a getdents buffer takes. */
static int count_all_emit(struct dir_ctx *x, const char *name, size_t len, uint64_t ino,
			  unsigned int type, uint64_t next)
{
	struct counting_ctx *c = (struct counting_ctx *)x;
	c->n++;
	c->seen += name[0] != '.';
	return 0;
}

/* A big directory lists in a few round trips, not one per 32 names. */
static void test_big_directory_lists_in_few_round_trips(void **state)
{
	struct gfx *g = *state;
	char hp[160];
	host_path(g, "big", hp, sizeof(hp));
	assert_int_equal(mkdir(hp, 0755), 0);
	for (int i = 0; i < 600; i++) {
		char p[32];
		snprintf(p, sizeof(p), "big/entry%03d", i);
		host_write(g, p, "x");
	}
	struct file *d;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/big", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	uint64_t before = requests(g);
	int seen = 0;
	for (;;) {
		struct counting_ctx c = {.ctx.emit = count_all_emit};
		c.ctx.pos = d->pos;
		assert_int_equal(d->ops->readdir(g->fx.t, d, &c.ctx), 0);
		d->pos = c.ctx.pos;
		seen += c.seen;
		if (c.n == 0)
			break;
	}
	assert_int_equal(seen, 600);
	/* 512 names, then 88 and the end: the last, empty getdents asks nothing. */
	assert_int_equal(requests(g) - before, 2);
	/* A name made since: the description reads on in the listing it took
	 * (whether the name shows is unspecified, POSIX readdir), asking
	 * nothing; rewound, it takes the new listing. */
	assert_int_equal(fx_write_file(g->fx.t, "/big/late", "l", 0644), 0);
	before = requests(g);
	struct counting_ctx c = {.ctx.emit = count_all_emit};
	c.ctx.pos = d->pos;
	assert_int_equal(d->ops->readdir(g->fx.t, d, &c.ctx), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(requests(g), before);
	struct counting_ctx c2 = {.ctx.emit = count_all_emit};
	assert_int_equal(d->ops->readdir(g->fx.t, d, &c2.ctx), 0);
	assert_int_equal(c2.seen, 601);
	assert_int_equal(requests(g) - before, 2);
	file_put(d);
}

/* Every name of directory path, one full listing through a new description
 * read in getdents of at most 7 entries; names[i] set for "e<i>". */
static int list_names(struct gfx *g, const char *path, bool names[64])
{
	struct file *d;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, &d), 0);
	memset(names, 0, 64 * sizeof(bool));
	int total = 0;
	struct list_ctx c = {.ctx.emit = list_emit, .names = names, .max = 7};
	for (;;) {
		c.n = 0;
		c.ctx.pos = d->pos;
		assert_int_equal(d->ops->readdir(g->fx.t, d, &c.ctx), 0);
		d->pos = c.ctx.pos;
		total += c.n;
		if (c.n == 0)
			break;
	}
	file_put(d);
	return total - 2;
}

/* On the exclusive root, a directory's listing is the Sentry's: listed again
 * (a new description) it asks the Gofer nothing, until a name in it is made,
 * removed or renamed through the Sentry. */
static void test_listing_is_kept_until_the_directory_changes(void **state)
{
	struct gfx *g = *state;
	bool names[64];
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/ls", 0755), 0);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/ls2", 0755), 0);
	for (int i = 0; i < 20; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/ls/e%d", i);
		assert_int_equal(fx_write_file(g->fx.t, p, "x", 0644), 0);
	}
	assert_int_equal(list_names(g, "/ls", names), 20);
	uint64_t before = requests(g);
	assert_int_equal(list_names(g, "/ls", names), 20);
	assert_int_equal(list_names(g, "/ls", names), 20);
	assert_int_equal(requests(g), before);
	/* Each change shows at the next listing. */
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/ls/e3"), 0);
	assert_int_equal(list_names(g, "/ls", names), 19);
	assert_false(names[3]);
	assert_int_equal(fx_write_file(g->fx.t, "/ls/e40", "x", 0644), 0);
	assert_int_equal(list_names(g, "/ls", names), 20);
	assert_true(names[40]);
	assert_int_equal(vfs_renameat(g->fx.t, AT_FDCWD, "/ls/e4", AT_FDCWD, "/ls/e41", 0), 0);
	assert_int_equal(list_names(g, "/ls", names), 20);
	assert_false(names[4]);
	assert_true(names[41]);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/ls/e42", 0755), 0);
	assert_int_equal(vfs_symlinkat(g->fx.t, "e0", AT_FDCWD, "/ls/e43"), 0);
	assert_int_equal(vfs_linkat(g->fx.t, AT_FDCWD, "/ls/e0", AT_FDCWD, "/ls/e44", 0), 0);
	assert_int_equal(vfs_mknodat(g->fx.t, AT_FDCWD, "/ls/e45", S_IFIFO | 0644, 0), 0);
	assert_int_equal(list_names(g, "/ls", names), 24);
	assert_true(names[42] && names[43] && names[44] && names[45]);
	assert_int_equal(vfs_rmdirat(g->fx.t, AT_FDCWD, "/ls/e42"), 0);
	/* A rename to another directory changes both. */
	assert_int_equal(list_names(g, "/ls2", names), 0);
	assert_int_equal(vfs_renameat(g->fx.t, AT_FDCWD, "/ls/e5", AT_FDCWD, "/ls2/e5", 0), 0);
	assert_int_equal(list_names(g, "/ls", names), 22);
	assert_false(names[5] || names[42]);
	assert_int_equal(list_names(g, "/ls2", names), 1);
	assert_true(names[5]);
	before = requests(g);
	assert_int_equal(list_names(g, "/ls", names), 22);
	assert_int_equal(requests(g), before);
}

/* Positions while names come and go, as Linux's readdir: a description
 * that read part of a directory reads on with no name that neither came
 * nor went listed twice or missed, a position it gave leads back to the
 * same entries (seekdir), and a rewind lists the directory as it is. */
static void test_listing_positions_across_changes(void **state)
{
	struct gfx *g = *state;
	bool names[64], all[64], after[64], again[64];
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/sk", 0755), 0);
	for (int i = 0; i < 30; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/sk/e%d", i);
		assert_int_equal(fx_write_file(g->fx.t, p, "x", 0644), 0);
	}
	struct file *d;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/sk", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	memset(all, 0, sizeof(all));
	struct list_ctx c = {.ctx.emit = list_emit, .names = all, .max = 7};
	assert_int_equal(d->ops->readdir(g->fx.t, d, &c.ctx), 0);
	c.n = 0;
	assert_int_equal(d->ops->readdir(g->fx.t, d, &c.ctx), 0);
	uint64_t mark = c.ctx.pos; /* telldir after ".", ".." and 12 names */
	assert_int_equal(mark, 14);
	memset(after, 0, sizeof(after));
	struct list_ctx a = {.ctx.emit = list_emit, .names = after, .max = 100};
	a.ctx.pos = mark;
	assert_int_equal(d->ops->readdir(g->fx.t, d, &a.ctx), 0);
	assert_int_equal(a.n, 18);
	/* Meanwhile a name already read and one not yet read are unlinked,
	 * one not yet read is renamed, a new one is made. */
	int read_one = -1, unread0 = -1, unread1 = -1;
	for (int i = 0; i < 30; i++) {
		if (all[i] && read_one < 0)
			read_one = i;
		else if (after[i] && unread0 < 0)
			unread0 = i;
		else if (after[i] && unread1 < 0)
			unread1 = i;
	}
	char p[32], q[32];
	snprintf(p, sizeof(p), "/sk/e%d", read_one);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, p), 0);
	snprintf(p, sizeof(p), "/sk/e%d", unread0);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, p), 0);
	snprintf(p, sizeof(p), "/sk/e%d", unread1);
	snprintf(q, sizeof(q), "/sk/e50");
	assert_int_equal(vfs_renameat(g->fx.t, AT_FDCWD, p, AT_FDCWD, q, 0), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/sk/e51", "x", 0644), 0);
	/* seekdir(mark): the same entries as before. */
	memset(again, 0, sizeof(again));
	struct list_ctx b = {.ctx.emit = list_emit, .names = again, .max = 100};
	b.ctx.pos = mark;
	assert_int_equal(d->ops->readdir(g->fx.t, d, &b.ctx), 0);
	assert_int_equal(b.n, 18);
	assert_memory_equal(again, after, sizeof(after));
	/* Every name left alone was listed exactly once in the two parts. */
	for (int i = 0; i < 30; i++)
		if (i != read_one && i != unread0 && i != unread1)
			assert_true(all[i] != after[i]);
	/* Rewound (lseek 0): the directory as it is now. */
	memset(names, 0, sizeof(names));
	struct list_ctx r = {.ctx.emit = list_emit, .names = names, .max = 100};
	assert_int_equal(d->ops->readdir(g->fx.t, d, &r.ctx), 0);
	assert_int_equal(r.n, 2 + 29);
	assert_false(names[read_one] || names[unread0] || names[unread1]);
	assert_true(names[50] && names[51]);
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
	uint64_t before = requests(g);
	assert_int_equal(vfs_chmodat(g->fx.t, AT_FDCWD, "/t", 0600, 0), 0);
	assert_int_equal(requests(g), before); /* sent, not waited for */
	gofer_client_flush(g->c);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	struct file *f;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/t", O_WRONLY | O_APPEND, 0, &f), 0);
	assert_int_equal(file_write(g->fx.t, f, "XY", 2), 2);
	file_put(f);
	char buf[16];
	assert_int_equal(fx_read_file(g->fx.t, "/t", buf, sizeof(buf)), 6);
	assert_string_equal(buf, "0123XY");
	/* What mmap maps: the file's page cache. */
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/t", O_RDONLY, 0, &f), 0);
	struct mm_file *m = file_mm_file(f);
	assert_non_null(m);
	assert_int_equal(m->ops->size(m), 6);
	assert_int_equal(m->ops->pread(m, buf, 2, 4), 2);
	assert_memory_equal(buf, "XY", 2);
	assert_non_null(m->ops->shared_page);
	assert_non_null(m->ops->page_mkwrite);
	file_put(f);
	struct statfs sfs;
	assert_int_equal(vfs_statfsat(g->fx.t, AT_FDCWD, "/", &sfs), 0);
	assert_true(sfs.f_bsize > 0);
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

/* ---- shared mappings: the page cache ---- */

/* n bytes of the host file rel at off. */
static void host_pread(struct gfx *g, const char *rel, void *buf, size_t n, off_t off)
{
	char hp[160];
	host_path(g, rel, hp, sizeof(hp));
	int fd = open(hp, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, n, off), (ssize_t)n);
	close(fd);
}

static void assert_host_has(struct gfx *g, const char *rel, off_t off, const char *want)
{
	char buf[64];
	host_pread(g, rel, buf, strlen(want), off);
	assert_memory_equal(buf, want, strlen(want));
}

/* A host file of npages pages of byte c, opened O_RDWR in the sandbox. */
static struct file *file_of_pages(struct gfx *g, const char *rel, int npages, char c)
{
	char hp[160];
	host_path(g, rel, hp, sizeof(hp));
	int fd = open(hp, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(fd >= 0);
	char page[PAGE_SIZE];
	memset(page, c, sizeof(page));
	for (int i = 0; i < npages; i++)
		assert_int_equal(write(fd, page, sizeof(page)), PAGE_SIZE);
	close(fd);
	char path[160];
	snprintf(path, sizeof(path), "/%s", rel);
	struct file *f;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, path, O_RDWR, 0, &f), 0);
	return f;
}

/* A process: an mm over the fake platform (its own host view). */
static struct mm *new_process(struct gfx *g)
{
	struct mm *mm = mm_new(g->mf, &fake_plat);
	assert_non_null(mm);
	return mm;
}

static uint64_t map(struct mm *mm, struct file *f, uint64_t len, int prot, int flags)
{
	int64_t a = mm_mmap(mm, 0, len, prot, flags, file_mm_file(f), 0);
	assert_true(a > 0);
	return (uint64_t)a;
}

static void app_write(struct gfx *g, struct mm *mm, uint64_t addr, const char *s)
{
	assert_int_equal(app_access(mm, g->mf, addr, (void *)s, strlen(s), true), 0);
}

static void assert_app_reads(struct gfx *g, struct mm *mm, uint64_t addr, const char *want)
{
	char buf[64];
	assert_int_equal(app_access(mm, g->mf, addr, buf, strlen(want), false), 0);
	assert_memory_equal(buf, want, strlen(want));
}

#define RW (PROT_READ | PROT_WRITE)

/* What one process writes through a shared mapping, another's mapping and
 * read(2) see at once; what write(2) writes, every mapping sees; msync puts
 * the mapping's writes on the host, and a write after that is seen again. */
static void test_shared_mapping_is_coherent(void **state)
{
	struct gfx *g = *state;
	struct file *f = file_of_pages(g, "shm", 2, 0);
	struct mm *a = new_process(g), *b = new_process(g);
	uint64_t pa = map(a, f, 2 * PG, RW, MAP_SHARED);
	uint64_t pb = map(b, f, 2 * PG, RW, MAP_SHARED);
	app_write(g, a, pa, "mapped by a");
	char buf[64];
	assert_int_equal(file_pread(g->fx.t, f, buf, 11, 0), 11);
	assert_memory_equal(buf, "mapped by a", 11);
	assert_app_reads(g, b, pb, "mapped by a");
	assert_int_equal(file_pwrite(g->fx.t, f, "written", 7, PG + 10), 7);
	assert_app_reads(g, a, pa + PG + 10, "written");
	assert_app_reads(g, b, pb + PG + 10, "written");
	assert_host_has(g, "shm", PG + 10, "written"); /* write(2) writes through */
	host_pread(g, "shm", buf, 1, 0);
	assert_int_equal(buf[0], 0); /* the mapping's write waits for a write-back */
	assert_int_equal(mm_msync(a, pa, 2 * PG, MS_SYNC), 0);
	assert_host_has(g, "shm", 0, "mapped by a");
	/* written back: the page is read-only again until the next write */
	assert_int_equal(host_prot(a, pa), PROT_READ);
	app_write(g, b, pb, "again");
	assert_int_equal(host_prot(b, pb), RW);
	assert_int_equal(mm_msync(b, pb, PG, MS_ASYNC), 0);
	assert_host_has(g, "shm", 0, "againd by a");
	check_consistency(a);
	check_consistency(b);
	mm_put(a);
	mm_put(b);
	file_put(f);
}

/* The last unmapping, a close, fsync and the end of the process write back. */
static void test_mapped_writes_reach_the_host(void **state)
{
	struct gfx *g = *state;
	struct file *f = file_of_pages(g, "wb", 1, 0);
	struct mm *a = new_process(g);
	uint64_t p = map(a, f, PG, RW, MAP_SHARED);
	app_write(g, a, p, "at munmap");
	assert_int_equal(mm_munmap(a, p, PG), 0);
	assert_host_has(g, "wb", 0, "at munmap");
	p = map(a, f, PG, RW, MAP_SHARED);
	app_write(g, a, p, "at fsync!");
	assert_int_equal(file_fsync(f, true), 0);
	assert_host_has(g, "wb", 0, "at fsync!");
	app_write(g, a, p, "at close!");
	file_put(f); /* the mapping stays */
	assert_host_has(g, "wb", 0, "at close!");
	app_write(g, a, p, "at sync..");
	pagecache_sync_all(); /* sync(2), the Sentry's exit */
	assert_host_has(g, "wb", 0, "at sync..");
	app_write(g, a, p, "at exit..");
	mm_put(a);
	assert_host_has(g, "wb", 0, "at exit..");
}

/* A truncate takes the pages past the new end from every mapping (SIGBUS
 * there, as Linux), zeroes the rest of the last page, and a file grown back
 * reads zeroes where the cut data was. */
static void test_truncate_unmaps_past_the_end(void **state)
{
	struct gfx *g = *state;
	struct file *f = file_of_pages(g, "tr", 3, 'x');
	struct mm *a = new_process(g);
	uint64_t p = map(a, f, 3 * PG, RW, MAP_SHARED);
	for (int i = 0; i < 3; i++)
		assert_int_equal(app_read8(a, g->mf, p + i * PG), 'x');
	app_write(g, a, p + 2 * PG, "cut off");
	assert_int_equal(file_truncate(g->fx.t, f, PG + PG / 2), 0);
	assert_int_equal(host_prot(a, p + 2 * PG), -1);
	uint8_t c;
	assert_int_equal(app_access(a, g->mf, p + 2 * PG, &c, 1, false), -EIO);
	assert_int_equal(app_read8(a, g->mf, p + PG + 5), 'x');
	assert_int_equal(app_read8(a, g->mf, p + PG + PG / 2 + 5), 0);
	struct stat st;
	assert_int_equal(vfs_stat_file(f, &st), 0);
	assert_int_equal(st.st_size, PG + PG / 2);
	assert_int_equal(file_truncate(g->fx.t, f, 3 * PG), 0);
	assert_int_equal(app_read8(a, g->mf, p + 2 * PG), 0);
	assert_int_equal(app_read8(a, g->mf, p + PG + PG / 2 + 5), 0);
	mm_put(a);
	char buf[8];
	host_pread(g, "tr", buf, 7, 2 * PG);
	assert_memory_equal(buf, "\0\0\0\0\0\0\0", 7);
	file_put(f);
}

/* A write(2) past the end zeroes what a mapping wrote past the old end in
 * the last page: those bytes never were the file's. */
static void test_write_past_end_zeroes_the_mapped_tail(void **state)
{
	struct gfx *g = *state;
	struct file *f = file_of_pages(g, "tail", 1, 'y');
	assert_int_equal(file_truncate(g->fx.t, f, 100), 0);
	struct mm *a = new_process(g);
	uint64_t p = map(a, f, PG, RW, MAP_SHARED);
	app_write(g, a, p + 200, "garbage");
	assert_int_equal(file_pwrite(g->fx.t, f, "end", 3, 300), 3);
	char buf[8];
	assert_int_equal(file_pread(g->fx.t, f, buf, 7, 200), 7);
	assert_memory_equal(buf, "\0\0\0\0\0\0\0", 7);
	assert_app_reads(g, a, p + 300, "end");
	mm_put(a);
	file_put(f);
}

/* A private mapping shares the file's pages until it writes (as Linux: it
 * sees write(2) until then), and its writes never reach the file. */
static void test_private_mapping_copies_on_write(void **state)
{
	struct gfx *g = *state;
	struct file *f = file_of_pages(g, "pv", 1, 'a');
	struct mm *a = new_process(g), *b = new_process(g);
	uint64_t ps = map(b, f, PG, RW, MAP_SHARED);
	uint64_t p = map(a, f, PG, RW, MAP_PRIVATE);
	assert_int_equal(app_read8(a, g->mf, p), 'a');
	assert_int_equal(file_pwrite(g->fx.t, f, "b", 1, 0), 1);
	assert_int_equal(app_read8(a, g->mf, p), 'b');
	app_write(g, a, p, "c");
	char c;
	assert_int_equal(file_pread(g->fx.t, f, &c, 1, 0), 1);
	assert_int_equal(c, 'b');
	app_write(g, b, ps, "d");
	assert_int_equal(app_read8(a, g->mf, p), 'c');
	mm_put(a);
	mm_put(b);
	assert_host_has(g, "pv", 0, "d");
	file_put(f);
}

/* A fork's child shares its parent's shared mapping. */
static void test_fork_shares_the_mapping(void **state)
{
	struct gfx *g = *state;
	struct file *f = file_of_pages(g, "fk", 1, 0);
	struct mm *a = new_process(g);
	uint64_t p = map(a, f, PG, RW, MAP_SHARED);
	app_write(g, a, p, "parent");
	struct mm *c = mm_fork(a);
	assert_non_null(c);
	assert_app_reads(g, c, p, "parent");
	app_write(g, c, p + 100, "child");
	assert_app_reads(g, a, p + 100, "child");
	mm_put(c);
	mm_put(a);
	assert_host_has(g, "fk", 100, "child");
	file_put(f);
}

/* The fake platform, but for one address space the calling thread may not
 * change (as ptrace's, for a process the thread does not trace). */
static struct addr_space *foreign_as;

static bool fake_can_change(struct addr_space *as)
{
	return as != foreign_as;
}

/* A write-back from another process cannot write-protect a page this process
 * maps writable: the page stays dirty, and what is written to it later still
 * reaches the host. */
static void test_writeback_keeps_foreign_writable_pages_dirty(void **state)
{
	struct gfx *g = *state;
	struct platform_ops ops = fake_platform_ops;
	ops.as_can_change = fake_can_change;
	struct platform plat = {.ops = &ops, .memfd = -1};
	struct file *f = file_of_pages(g, "fg", 1, 0);
	struct mm *a = mm_new(g->mf, &plat), *b = mm_new(g->mf, &plat);
	uint64_t pa = map(a, f, PG, RW, MAP_SHARED);
	uint64_t pb = map(b, f, PG, RW, MAP_SHARED);
	app_write(g, b, pb, "first");
	foreign_as = mm_addr_space(b);
	int calls = AS(b)->ncalls;
	assert_int_equal(mm_msync(a, pa, PG, MS_SYNC), 0);
	assert_int_equal(AS(b)->ncalls, calls); /* b's mappings were left alone */
	assert_host_has(g, "fg", 0, "first");
	assert_int_equal(host_prot(b, pb), RW);
	app_write(g, b, pb, "later"); /* no fault: nobody is told */
	assert_int_equal(mm_msync(a, pa, PG, MS_SYNC), 0);
	assert_host_has(g, "fg", 0, "later");
	foreign_as = NULL;
	mm_put(a);
	mm_put(b);
	file_put(f);
}

/* msync's checks and errnos, as Linux's. */
static void test_msync_errors(void **state)
{
	struct gfx *g = *state;
	struct file *f = file_of_pages(g, "ms", 2, 0);
	struct mm *a = new_process(g);
	uint64_t p = map(a, f, 2 * PG, RW, MAP_SHARED);
	assert_int_equal(mm_msync(a, p + 1, PG, MS_SYNC), -EINVAL);
	assert_int_equal(mm_msync(a, p, PG, MS_SYNC | MS_ASYNC), -EINVAL);
	assert_int_equal(mm_msync(a, p, PG, 8), -EINVAL);
	assert_int_equal(mm_msync(a, p, 0, MS_SYNC), 0);
	assert_int_equal(mm_msync(a, p, PG, MS_INVALIDATE), 0);
	assert_int_equal(mm_munmap(a, p + PG, PG), 0);
	/* a hole: ENOMEM, after the part mapped before it is written back;
	 * one at the start fails a plain MS_SYNC at once, and MS_ASYNC does
	 * the part after it first */
	app_write(g, a, p, "before the hole");
	assert_int_equal(mm_msync(a, p, 2 * PG, MS_SYNC), -ENOMEM);
	assert_host_has(g, "ms", 0, "before the hole");
	assert_int_equal(mm_msync(a, p + PG, PG, MS_SYNC), -ENOMEM);
	app_write(g, a, p, "async");
	assert_int_equal(mm_msync(a, p - PG, 2 * PG, MS_ASYNC), -ENOMEM);
	assert_host_has(g, "ms", 0, "asynce the hole");
	assert_int_equal(mm_msync(a, p, UINT64_MAX - p + 1, MS_SYNC), -ENOMEM);
	/* a shared mapping of a file not open for writing never gets write */
	int64_t r = mm_mmap(a, 0, PG, PROT_READ, MAP_SHARED | MM_MAP_NOMAYWRITE, file_mm_file(f), 0);
	assert_true(r > 0);
	assert_int_equal(mm_mprotect(a, (uint64_t)r, PG, RW), -EACCES);
	assert_int_equal(mm_mprotect(a, (uint64_t)r, PG, PROT_NONE), 0);
	mm_put(a);
	file_put(f);
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

/* The container's root (file-access=exclusive) remembers that a name is
 * missing: a stat, an access or an O_CREAT of it again costs no round trip,
 * and every way of making the name makes it show. */
static void test_missing_name_is_asked_for_once(void **state)
{
	struct gfx *g = *state;
	struct stat st;
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/n", 0755), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/n/a", 0, &st), -ENOENT);
	uint64_t before = requests(g);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/n/a", 0, &st), -ENOENT);
	assert_int_equal(vfs_accessat(g->fx.t, AT_FDCWD, "/n/a", F_OK, 0), -ENOENT);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/n/a/deeper", 0, &st), -ENOENT);
	assert_int_equal(requests(g), before);
	/* Each kind of new name is seen at once, also after a miss. */
	const char *names[] = {"/n/a", "/n/b", "/n/c", "/n/d", "/n/e", "/n/f"};
	for (int i = 0; i < 6; i++)
		assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, names[i], 0, &st), -ENOENT);
	assert_int_equal(fx_write_file(g->fx.t, "/n/a", "A", 0644), 0);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/n/b", 0755), 0);
	assert_int_equal(vfs_symlinkat(g->fx.t, "a", AT_FDCWD, "/n/c"), 0);
	assert_int_equal(vfs_linkat(g->fx.t, AT_FDCWD, "/n/a", AT_FDCWD, "/n/d", 0), 0);
	assert_int_equal(vfs_mknodat(g->fx.t, AT_FDCWD, "/n/e", S_IFIFO | 0644, 0), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/n/tmp", "T", 0644), 0);
	assert_int_equal(vfs_renameat(g->fx.t, AT_FDCWD, "/n/tmp", AT_FDCWD, "/n/f", 0), 0);
	vfs_dcache_set_max(0); /* and the Gofer agrees: fresh lookups */
	for (int i = 0; i < 6; i++)
		assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, names[i], AT_SYMLINK_NOFOLLOW, &st),
				 0);
	vfs_dcache_set_max(8192);
	/* The old name of a rename and a removed name are missing again. */
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/n/tmp", 0, &st), -ENOENT);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/n/d"), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/n/d", 0, &st), -ENOENT);
	/* A directory removed and made again starts with no names missing. */
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/n/b/x", 0, &st), -ENOENT);
	assert_int_equal(vfs_rmdirat(g->fx.t, AT_FDCWD, "/n/b"), 0);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/n/b", 0755), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/n/b/x", "x", 0644), 0);
	vfs_dcache_set_max(0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/n/b/x", 0, &st), 0);
	vfs_dcache_set_max(8192);
}

/* A directory the Sentry made is known empty: a name it was not given since
 * is missing without asking, a name it was given is always asked for (its
 * dentry may be gone from the cache), and after 256 names it is treated
 * as any other. */
/* Where the cache is the truth, unlinking a file costs no round trip: the
 * Gofer removes it in order before the next request, so a name made again
 * at once is a new file, and the host has neither name's old file after. */
/* A file at path, known to the Sentry, then unlinked: the unlink costs no
 * round trip.  Returns the request count before it. */
static uint64_t unlink_not_waited_for(struct gfx *g, const char *path, const char *data)
{
	struct stat st;
	assert_int_equal(fx_write_file(g->fx.t, path, data, 0644), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, path, 0, &st), 0);
	uint64_t before = requests(g);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, path), 0);
	assert_int_equal(requests(g), before);
	return before;
}

static void test_unlink_is_not_waited_for(void **state)
{
	struct gfx *g = *state;
	char hp[160], buf[8];
	struct stat st;
	unlink_not_waited_for(g, "/gone", "old");
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/gone", 0, &st), -ENOENT);
	assert_int_equal(fx_write_file(g->fx.t, "/gone", "new", 0644), 0);
	assert_int_equal(fx_read_file(g->fx.t, "/gone", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "new", 3);
	host_path(g, "gone", hp, sizeof(hp));
	gofer_client_flush(g->c);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_size, 3);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/gone"), 0);
	gofer_client_flush(g->c);
	assert_int_equal(stat(hp, &st), -1);
	/* A directory is still asked: only the host knows it is empty. */
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/keepdir", 0755), 0);
	host_write(g, "keepdir/hostmade", "h");
	assert_int_equal(vfs_rmdirat(g->fx.t, AT_FDCWD, "/keepdir"), -ENOTEMPTY);
}

/* A directory's fsync or fdatasync is the host's (its entries are its
 * data; the Sentry holds no fd of it): the Gofer syncs the directory after
 * the unlinks it was sent without waiting, as sqlite needs of its journal's
 * directory. */
static void test_directory_fsync_reaches_the_host(void **state)
{
	struct gfx *g = *state;
	char hp[160], line[512];
	struct stat st;
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/syncd", 0755), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/syncd/journal", "j", 0644), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/syncd/journal", 0, &st), 0);
	struct file *d;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/syncd", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	uint64_t before = requests(g);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/syncd/journal"), 0);
	assert_int_equal(requests(g), before); /* not waited for */
	assert_int_equal(file_fsync(d, true), 0);
	assert_int_equal(requests(g), before + 1);
	host_path(g, "syncd/journal", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), -1); /* applied before the sync */
	assert_int_equal(file_fsync(d, false), 0);
	assert_int_equal(requests(g), before + 2);
	assert_true(gofer_client_requests_line(g->c, line, sizeof(line)));
	assert_non_null(strstr(line, "fsync 2"));
	file_put(d);
}

/* sync(2) and syncfs(2) are the host's: the Gofer syncs the host file
 * system under each Gofer mount's superblock, after the changes it was
 * sent without waiting; syncfs of a file or a directory syncs its own. */
static void test_sync_and_syncfs_reach_the_host(void **state)
{
	struct gfx *g = *state;
	char hp[160], line[512];
	struct stat st;
	uint64_t before = unlink_not_waited_for(g, "/s1", "x");
	vfs_sync_all();
	assert_int_equal(requests(g), before + 1);
	host_path(g, "s1", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), -1); /* applied before the sync */
	assert_true(gofer_client_requests_line(g->c, line, sizeof(line)));
	assert_non_null(strstr(line, "fsync 1"));
	/* A second attach is a file system of its own; a tmpfs has none. */
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/mnt", 0755), 0);
	assert_int_equal(vfs_mount(&g->fx.root, "/mnt", "bind-gofer", "/", 0, NULL), 0);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/tmpd", 0755), 0);
	assert_int_equal(vfs_mount(&g->fx.root, "/tmpd", "tmpfs", "none", 0, NULL), 0);
	before = requests(g);
	vfs_sync_all();
	assert_int_equal(requests(g), before + 2);
	struct file *f, *d, *t;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/mnt/s2", O_CREAT | O_RDWR, 0644, &f), 0);
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/tmpd", O_RDONLY | O_DIRECTORY, 0, &t), 0);
	before = requests(g);
	assert_int_equal(vfs_syncfs(f), 0);
	assert_int_equal(vfs_syncfs(d), 0);
	assert_int_equal(requests(g), before + 2);
	assert_int_equal(vfs_syncfs(t), 0);
	assert_int_equal(requests(g), before + 2);
	assert_true(gofer_client_requests_line(g->c, line, sizeof(line)));
	assert_non_null(strstr(line, "fsync 5"));
	file_put(f);
	file_put(d);
	file_put(t);
}

static void test_new_directory_knows_its_names(void **state)
{
	struct gfx *g = *state;
	struct stat st;
	/* A name known absent, then mkdir: one round trip, which gives the fid. */
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr", 0, &st), -ENOENT);
	uint64_t before = requests(g);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/fr", 0755), 0);
	assert_int_equal(requests(g), before + 1);
	before = requests(g);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/a", 0, &st), -ENOENT);
	assert_int_equal(vfs_accessat(g->fx.t, AT_FDCWD, "/fr/b", F_OK, 0), -ENOENT);
	assert_int_equal(requests(g), before);
	assert_int_equal(fx_write_file(g->fx.t, "/fr/a", "A", 0644), 0);
	assert_int_equal(vfs_linkat(g->fx.t, AT_FDCWD, "/fr/a", AT_FDCWD, "/fr/b", 0), 0);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/fr/sub", 0755), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/fr/sub/x", "x", 0644), 0);
	vfs_dcache_set_max(0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/a", 0, &st), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/b", 0, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/sub/x", 0, &st), 0);
	vfs_dcache_set_max(8192);
	/* Past 256 names, a filter of them: still no round trip for a name
	 * never made, and one made is found. */
	for (int i = 0; i < 300; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/fr/n%d", i);
		assert_int_equal(fx_write_file(g->fx.t, p, "n", 0644), 0);
	}
	before = requests(g);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/zz", 0, &st), -ENOENT);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/n300", 0, &st), -ENOENT);
	assert_int_equal(requests(g), before);
	vfs_dcache_set_max(0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/n7", 0, &st), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/n299", 0, &st), 0);
	/* Past 4096 names (GOFER_NAMES_MAX; a few more, as the filter takes
	 * some new names for old ones), a directory as any other (a small
	 * cache: the Gofer's fids are not all held). */
	vfs_dcache_set_max(64);
	for (int i = 300; i < 4200; i++) {
		char p[32];
		snprintf(p, sizeof(p), "/fr/n%d", i);
		assert_int_equal(vfs_mknodat(g->fx.t, AT_FDCWD, p, S_IFREG | 0644, 0), 0);
	}
	vfs_dcache_set_max(8192);
	before = requests(g);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/zz", 0, &st), -ENOENT);
	assert_int_equal(requests(g), before + 1);
	host_write(g, "fr/hostmade", "h");
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/fr/hostmade", 0, &st), 0);
}

/* A bind mount (another attach name: a volume someone else may write to)
 * and file-access=shared never take a missing name for granted. */
static void test_bind_mounts_see_names_made_outside(void **state)
{
	struct gfx *g = *state;
	struct stat st;
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/v", 0755), 0);
	assert_int_equal(vfs_mount(&g->fx.root, "/v", "bind-gofer", "/vol", 0, NULL), 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/v/later", 0, &st), -ENOENT);
	char hp[160];
	snprintf(hp, sizeof(hp), "%s/later", g->voldir);
	FILE *f = fopen(hp, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/v/later", 0, &st), 0);
	/* Nor the end of a listing: the getdents after it asks again. */
	struct file *d;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/v", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	struct counting_ctx c = {.ctx.emit = count_all_emit};
	assert_int_equal(d->ops->readdir(g->fx.t, d, &c.ctx), 0);
	assert_int_equal(c.seen, 1);
	uint64_t before = requests(g);
	struct counting_ctx c2 = {.ctx.emit = count_all_emit};
	c2.ctx.pos = c.ctx.pos;
	assert_int_equal(d->ops->readdir(g->fx.t, d, &c2.ctx), 0);
	assert_int_equal(requests(g), before + 1);
	file_put(d);
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/sh", 0755), 0);
	assert_int_equal(vfs_mount(&g->fx.root, "/sh", "bind-gofer", "/", 0, "file-access=shared"),
			 0);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/sh/later2", 0, &st), -ENOENT);
	host_write(g, "later2", "y");
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/sh/later2", 0, &st), 0);
}

/* The changes sent without waiting (mode, times, unlink) stay in the Sentry
 * until the next request that waits, which carries them to the Gofer in
 * order, before itself; a write through the file's host fd first has the
 * Gofer apply a change of its times (else the host would keep the older
 * explicit time over the write's); fsync and sync send and wait. */
static void test_changes_not_waited_for_go_with_the_next_request(void **state)
{
	struct gfx *g = *state;
	char hp[160], hq[160];
	struct stat st;
	assert_int_equal(fx_write_file(g->fx.t, "/b", "b", 0644), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/gone2", "g", 0644), 0);
	gofer_client_flush(g->c);
	host_path(g, "b", hp, sizeof(hp));
	host_path(g, "gone2", hq, sizeof(hq));
	uint64_t before = requests(g);
	assert_int_equal(vfs_chmodat(g->fx.t, AT_FDCWD, "/b", 0600, 0), 0);
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/gone2"), 0);
	assert_int_equal(requests(g), before);
	/* Kept: the host has neither yet. */
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(stat(hq, &st), 0);
	/* A request that waits carries them, in order, before itself. */
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/bd", 0755), 0);
	assert_true(requests(g) > before);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(hq, &st), -1);
	/* The name removed and made again is the new file on the host. */
	assert_int_equal(vfs_unlinkat(g->fx.t, AT_FDCWD, "/b"), 0);
	assert_int_equal(fx_write_file(g->fx.t, "/b", "new!", 0644), 0);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_size, 4);
	/* Times set, then a write: the host keeps the write's time. */
	const struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	assert_int_equal(vfs_utimensat(g->fx.t, AT_FDCWD, "/b", old, 0), 0);
	struct file *f;
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/b", O_WRONLY, 0, &f), 0);
	assert_int_equal(file_write(g->fx.t, f, "W", 1), 1);
	file_put(f);
	gofer_client_flush(g->c);
	assert_int_equal(stat(hp, &st), 0);
	assert_true(st.st_mtime > 1000000000);
	struct stat vst;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/b", 0, &vst), 0);
	assert_true(vst.st_mtime > 1000000000);
	/* Times set and nothing after: at fsync they are on the host. */
	assert_int_equal(vfs_utimensat(g->fx.t, AT_FDCWD, "/b", old, 0), 0);
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/b", O_RDONLY, 0, &f), 0);
	assert_int_equal(file_fsync(f, false), 0);
	file_put(f);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mtime, 1000000000);
}

/* open(O_CREAT | O_EXCL) of a new name is one round trip (the create), not
 * a lookup and a create; whatever the name already is, even a dangling
 * symlink the dentry cache never saw, is EEXIST and left alone. */
static void test_exclusive_create_is_one_round_trip(void **state)
{
	struct gfx *g = *state;
	struct file *f;
	assert_int_equal(vfs_mkdirat(g->fx.t, AT_FDCWD, "/x", 0755), 0);
	uint64_t before = requests(g);
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/x/new", O_CREAT | O_EXCL | O_WRONLY, 0600, &f),
			 0);
	assert_int_equal(requests(g), before + 1);
	assert_int_equal(file_write(g->fx.t, f, "data", 4), 4);
	file_put(f);
	char buf[16];
	host_read(g, "x/new", buf, sizeof(buf));
	assert_string_equal(buf, "data");
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/x/new", O_CREAT | O_EXCL | O_WRONLY, 0600, &f),
			 -EEXIST);
	host_write(g, "x/hostmade", "h");
	char hp[160], tp[160];
	host_path(g, "x/dangling", hp, sizeof(hp));
	assert_int_equal(symlink("nowhere", hp), 0);
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/x/hostmade", O_CREAT | O_EXCL | O_RDWR, 0600,
				  &f),
			 -EEXIST);
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/x/dangling", O_CREAT | O_EXCL | O_RDWR, 0600,
				  &f),
			 -EEXIST);
	host_path(g, "x/nowhere", tp, sizeof(tp));
	struct stat st;
	assert_int_equal(lstat(tp, &st), -1);
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/x", O_CREAT | O_EXCL | O_RDWR, 0600, &f),
			 -EEXIST);
	/* Without O_EXCL an existing file opens, untouched. */
	assert_int_equal(vfs_open(g->fx.t, AT_FDCWD, "/x/hostmade", O_CREAT | O_RDONLY, 0600, &f), 0);
	assert_int_equal(file_read(g->fx.t, f, buf, sizeof(buf)), 1);
	file_put(f);
}

/* A chown to the owner and group a file has (tar's, after each file it
 * extracts) changes nothing on the host: no round trip; the set-id bits it
 * clears still reach the host, and a real change of owner does. */
static void test_chown_to_the_same_owner_stays_in_the_sentry(void **state)
{
	struct gfx *g = *state;
	char hp[160];
	struct stat st;
	assert_int_equal(fx_write_file(g->fx.t, "/own", "o", 0644), 0);
	host_path(g, "own", hp, sizeof(hp));
	assert_int_equal(stat(hp, &st), 0);
	uint64_t before = requests(g);
	assert_int_equal(vfs_chownat(g->fx.t, AT_FDCWD, "/own", st.st_uid, st.st_gid, 0), 0);
	assert_int_equal(requests(g), before);
	assert_int_equal(vfs_chmodat(g->fx.t, AT_FDCWD, "/own", 06755, 0), 0);
	assert_int_equal(vfs_chownat(g->fx.t, AT_FDCWD, "/own", st.st_uid, st.st_gid, 0), 0);
	gofer_client_flush(g->c);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0755);
	struct stat vst;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/own", 0, &vst), 0);
	assert_int_equal(vst.st_mode & 07777, 0755);
	assert_int_equal(vfs_chownat(g->fx.t, AT_FDCWD, "/own", 1234, 5678, 0), 0);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	assert_int_equal(vfs_chownat(g->fx.t, AT_FDCWD, "/own", 1234, 0, 0), 0);
	assert_int_equal(stat(hp, &st), 0);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 0);
}

/* A symlink's text is read from the Gofer once (exec through /bin -> usr/bin
 * reads it every time). */
static void test_symlink_target_is_read_once(void **state)
{
	struct gfx *g = *state;
	char hp[160], buf[16];
	host_write(g, "target", "T");
	host_path(g, "lnk", hp, sizeof(hp));
	assert_int_equal(symlink("target", hp), 0);
	assert_int_equal(vfs_readlinkat(g->fx.t, AT_FDCWD, "/lnk", buf, sizeof(buf)), 6);
	struct stat st;
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/target", 0, &st), 0);
	uint64_t before = requests(g);
	assert_int_equal(vfs_readlinkat(g->fx.t, AT_FDCWD, "/lnk", buf, 3), 3);
	assert_memory_equal(buf, "tar", 3);
	assert_int_equal(vfs_readlinkat(g->fx.t, AT_FDCWD, "/lnk", buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "target", 6);
	assert_int_equal(vfs_statat(g->fx.t, AT_FDCWD, "/lnk", 0, &st), 0);
	assert_int_equal(requests(g), before);
	assert_int_equal(st.st_size, 1);
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
		cmocka_unit_test_setup_teardown(test_big_directory_lists_in_few_round_trips, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listing_is_kept_until_the_directory_changes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_listing_positions_across_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_rename_unlink_symlink_through_gofer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_truncate_chmod_and_append_via_gofer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_link_then_unlink_first_name_keeps_the_file, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hard_links_are_one_inode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_mapping_is_coherent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mapped_writes_reach_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate_unmaps_past_the_end, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_past_end_zeroes_the_mapped_tail, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_private_mapping_copies_on_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_shares_the_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writeback_keeps_foreign_writable_pages_dirty, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_msync_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dentry_cache_stays_bounded_and_correct, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_file_access_sees_host_changes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bind_mount_from_gofer_attach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_name_is_asked_for_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unlink_is_not_waited_for, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_fsync_reaches_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sync_and_syncfs_reach_the_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_directory_knows_its_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bind_mounts_see_names_made_outside, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlink_target_is_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changes_not_waited_for_go_with_the_next_request,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_exclusive_create_is_one_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chown_to_the_same_owner_stays_in_the_sentry,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattrs_and_statx_reach_the_host, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
