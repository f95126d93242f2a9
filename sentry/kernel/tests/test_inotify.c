/* Unit tests for sentry/kernel/inotify.c fed by the VFS hook
 * (sentry/vfs/fsnotify.c), on the VFS fixture's tmpfs. */
#include <stdio.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "sentry/kernel/inotify.h"
#include "sentry/tests/harness.h"

struct ev {
	int wd;
	uint32_t mask, cookie;
	char name[32];
};

/* Read every queued event into out (at most max): how many. */
static int drain(struct task *t, struct file *in, struct ev *out, int max)
{
	char buf[4096] __attribute__((aligned(8)));
	int n = 0;
	for (;;) {
		ssize_t r = file_read(t, in, buf, sizeof(buf));
		if (r <= 0)
			return n;
		for (char *p = buf; p < buf + r;) {
			struct inotify_event *e = (struct inotify_event *)p;
			if (n < max) {
				out[n] = (struct ev){e->wd, e->mask, e->cookie, ""};
				if (e->len)
					snprintf(out[n].name, sizeof(out[n].name), "%s", e->name);
			}
			n++;
			p += sizeof(*e) + e->len;
		}
	}
}

static struct inode *inode_of(struct task *t, const char *path)
{
	struct vfs_path p;
	assert_int_equal(vfs_walk(t, AT_FDCWD, path, VFS_LOOKUP_FOLLOW, &p), 0);
	struct inode *ino = p.dentry->inode;
	path_put(&p);
	return ino;
}

static void test_inotify_directory_events(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	assert_int_equal(vfs_mkdirat(t, AT_FDCWD, "/w", 0755), 0);
	struct file *in;
	assert_int_equal(inotify_new(0x1, &in), -EINVAL);
	assert_int_equal(inotify_new(IN_NONBLOCK, &in), 0);
	assert_true(file_is_inotify(in));
	int wd = inotify_add(in, inode_of(t, "/w"), IN_ALL_EVENTS);
	assert_int_equal(wd, 1);
	assert_int_equal(inotify_add(in, inode_of(t, "/w"), IN_CREATE | 0x10000000 /* MASK_CREATE */),
			 -EEXIST);
	char small[8];
	assert_int_equal(file_read(t, in, small, sizeof(small)), -EAGAIN);

	assert_int_equal(fx_write_file(t, "/w/a", "data", 0644), 0);
	assert_int_equal(vfs_renameat(t, AT_FDCWD, "/w/a", AT_FDCWD, "/w/b", 0), 0);
	assert_int_equal(vfs_unlinkat(t, AT_FDCWD, "/w/b"), 0);
	assert_int_equal(vfs_mkdirat(t, AT_FDCWD, "/w/d", 0755), 0);
	int avail = 0;
	assert_int_equal(file_ioctl(t, in, FIONREAD, (uint64_t)(uintptr_t)&avail), 0);
	assert_true(avail > 0);
	assert_int_equal(file_read(t, in, small, sizeof(small)), -EINVAL); /* too small */
	struct ev e[16];
	int n = drain(t, in, e, 16);
	static const uint32_t want[] = {IN_CREATE,     IN_OPEN,	  IN_MODIFY,
					IN_CLOSE_WRITE, IN_MOVED_FROM, IN_MOVED_TO,
					IN_DELETE,	   IN_CREATE | IN_ISDIR};
	static const char *names[] = {"a", "a", "a", "a", "a", "b", "b", "d"};
	assert_int_equal(n, 8);
	for (int i = 0; i < n; i++) {
		assert_int_equal(e[i].wd, wd);
		assert_int_equal(e[i].mask, want[i]);
		assert_string_equal(e[i].name, names[i]);
	}
	assert_true(e[4].cookie != 0 && e[4].cookie == e[5].cookie);
	assert_int_equal(inotify_rm(in, wd), 0);
	assert_int_equal(inotify_rm(in, wd), -EINVAL);
	n = drain(t, in, e, 16);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].mask, IN_IGNORED);
	file_put(in);
}

static void test_inotify_file_watch_oneshot_and_delete_self(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	assert_int_equal(fx_write_file(t, "/f", "x", 0644), 0);
	struct file *in;
	assert_int_equal(inotify_new(IN_NONBLOCK, &in), 0);
	int w1 = inotify_add(in, inode_of(t, "/f"), IN_MODIFY | IN_ONESHOT);
	struct file *f;
	assert_int_equal(vfs_open(t, AT_FDCWD, "/f", O_WRONLY, 0, &f), 0);
	assert_int_equal(file_write(t, f, "1", 1), 1);
	assert_int_equal(file_write(t, f, "2", 1), 1);
	struct ev e[8];
	int n = drain(t, in, e, 8);
	assert_int_equal(n, 2);
	assert_int_equal(e[0].mask, IN_MODIFY);
	assert_int_equal(e[1].mask, IN_IGNORED);
	assert_int_equal(e[1].wd, w1);
	/* Identical events in a row merge; unlink: attrib, delete-self, ignored. */
	int w2 = inotify_add(in, inode_of(t, "/f"), IN_ALL_EVENTS);
	assert_true(w2 > w1);
	assert_int_equal(file_write(t, f, "3", 1), 1);
	assert_int_equal(file_write(t, f, "4", 1), 1);
	file_put(f);
	assert_int_equal(vfs_unlinkat(t, AT_FDCWD, "/f"), 0);
	n = drain(t, in, e, 8);
	static const uint32_t want[] = {IN_MODIFY, IN_CLOSE_WRITE, IN_ATTRIB, IN_DELETE_SELF,
					IN_IGNORED};
	assert_int_equal(n, 5);
	for (int i = 0; i < n; i++)
		assert_int_equal(e[i].mask, want[i]);
	file_put(in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_inotify_directory_events, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_inotify_file_watch_oneshot_and_delete_self,
						fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
