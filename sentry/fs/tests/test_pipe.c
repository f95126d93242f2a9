/* Unit tests for sentry/fs/pipe.c: EOF, EPIPE + SIGPIPE, O_NONBLOCK, PIPE_BUF
 * atomicity, blocking with wake-ups, signal interruption, poll, FIFOs. */
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>

#include "sentry/tests/harness.h"

struct pfx {
	struct fx fx;
	struct file *r, *w;
};

static int setup(void **state)
{
	if (fx_setup_sized(state, sizeof(struct pfx)) < 0)
		return -1;
	struct pfx *p = *state;
	return pipe_new(0, &p->r, &p->w) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	struct pfx *p = *state;
	if (p->r)
		file_put(p->r);
	if (p->w)
		file_put(p->w);
	return fx_teardown(state);
}

static void test_write_then_read_and_eof_after_writer_closes(void **state)
{
	struct pfx *p = *state;
	struct task *t = p->fx.t;
	char buf[16];
	assert_int_equal(file_write(t, p->w, "hello", 5), 5);
	int n = 0;
	assert_int_equal(file_ioctl(t, p->r, FIONREAD, (uint64_t)(uintptr_t)&n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(file_read(t, p->r, buf, 3), 3);
	assert_memory_equal(buf, "hel", 3);
	assert_int_equal(file_read(t, p->r, buf, sizeof(buf)), 2);
	file_put(p->w);
	p->w = NULL;
	assert_int_equal(file_read(t, p->r, buf, sizeof(buf)), 0);
	/* Wrong direction and seeking. */
	assert_int_equal(file_write(t, p->r, "x", 1), -EBADF);
	assert_int_equal(file_lseek(p->r, 0, SEEK_SET), -ESPIPE);
	assert_int_equal(file_pread(t, p->r, buf, 1, 0), -ESPIPE);
	struct stat st;
	assert_int_equal(vfs_stat_file(p->r, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
}

static void test_write_without_readers_is_epipe_and_sigpipe(void **state)
{
	struct pfx *p = *state;
	file_put(p->r);
	p->r = NULL;
	test_last_signal = 0;
	assert_int_equal(file_write(p->fx.t, p->w, "x", 1), -EPIPE);
	assert_int_equal(test_last_signal, SIGPIPE);
}

static void test_nonblocking_empty_and_full(void **state)
{
	struct pfx *p = *state;
	struct task *t = p->fx.t;
	assert_int_equal(file_set_flags(p->r, O_NONBLOCK), 0);
	assert_int_equal(file_set_flags(p->w, O_NONBLOCK), 0);
	char buf[8192];
	assert_int_equal(file_read(t, p->r, buf, sizeof(buf)), -EAGAIN);
	memset(buf, 'a', sizeof(buf));
	/* Fill 64 KiB minus 100 bytes. */
	size_t left = 65536 - 100;
	while (left) {
		size_t c = left < sizeof(buf) ? left : sizeof(buf);
		assert_int_equal(file_write(t, p->w, buf, c), c);
		left -= c;
	}
	/* A PIPE_BUF-sized write does not fit whole: EAGAIN, nothing written. */
	assert_int_equal(file_write(t, p->w, buf, 200), -EAGAIN);
	/* A bigger write goes in partially. */
	assert_int_equal(file_write(t, p->w, buf, PIPE_BUF + 1), 100);
	assert_int_equal(file_write(t, p->w, buf, 1), -EAGAIN);
	struct poll_entry pe;
	task_poll_entry_init(&pe, t, POLLOUT);
	assert_false(file_poll(p->w, &pe) & POLLOUT);
	poll_entry_remove(&pe);
	assert_true(file_poll(p->r, NULL) & POLLIN);
}

struct writer_arg {
	struct file *w;
	struct task *t;
};

static void *delayed_writer(void *arg)
{
	struct writer_arg *a = arg;
	usleep(50000);
	file_write(a->t, a->w, "late", 4);
	return NULL;
}

static void test_blocking_read_wakes_on_write(void **state)
{
	struct pfx *p = *state;
	struct task *wt = fx_task(&p->fx.root, 0, 0);
	struct writer_arg a = {p->w, wt};
	pthread_t th;
	pthread_create(&th, NULL, delayed_writer, &a);
	char buf[8];
	assert_int_equal(file_read(p->fx.t, p->r, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "late", 4);
	pthread_join(th, NULL);
	fx_task_free(wt);
}

static void test_blocked_read_interrupted_by_signal(void **state)
{
	struct pfx *p = *state;
	atomic_store(&p->fx.t->interrupted, 1); /* task_signal_pending stand-in */
	char buf[8];
	assert_int_equal(file_read(p->fx.t, p->r, buf, sizeof(buf)), -ERESTARTSYS);
	atomic_store(&p->fx.t->interrupted, 0);
}

static void test_poll_reports_hup_and_err(void **state)
{
	struct pfx *p = *state;
	assert_int_equal(file_poll(p->r, NULL) & (POLLIN | POLLHUP), 0);
	assert_true(file_poll(p->w, NULL) & POLLOUT);
	file_put(p->w);
	p->w = NULL;
	assert_true(file_poll(p->r, NULL) & POLLHUP);
	struct file *r2, *w2;
	assert_int_equal(pipe_new(O_NONBLOCK, &r2, &w2), 0);
	assert_true(file_get_flags(r2) & O_NONBLOCK);
	file_put(r2);
	assert_true(file_poll(w2, NULL) & POLLERR);
	file_put(w2);
}

/* tee copies without consuming; EAGAIN when nonblocking on empty or full. */
static void test_tee_duplicates_without_consuming(void **state)
{
	struct pfx *p = *state;
	struct task *t = p->fx.t;
	struct file *r2, *w2;
	assert_int_equal(pipe_new(0, &r2, &w2), 0);
	assert_int_equal(pipe_tee(t, p->r, w2, 10, true), -EAGAIN);
	assert_int_equal(file_write(t, p->w, "abcdef", 6), 6);
	assert_int_equal(pipe_tee(t, p->r, w2, 4, false), 4);
	assert_int_equal(pipe_tee(t, p->r, p->w, 4, false), -EINVAL);
	char buf[16] = {0};
	assert_int_equal(file_read(t, r2, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(file_read(t, p->r, buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "abcdef", 6);
	assert_int_equal(pipe_fcntl(w2, F_SETPIPE_SZ, 4096), 4096);
	char big[4096] = {0};
	assert_int_equal(file_write(t, w2, big, sizeof(big)), 4096);
	assert_int_equal(file_write(t, p->w, "x", 1), 1);
	assert_int_equal(pipe_tee(t, p->r, w2, 1, true), -EAGAIN); /* full */
	file_put(p->w);
	p->w = NULL;
	assert_int_equal(file_read(t, p->r, buf, sizeof(buf)), 1);
	assert_int_equal(pipe_tee(t, p->r, w2, 1, false), 0); /* EOF */
	file_put(r2);
	file_put(w2);
}

static void test_pipe_size_fcntl(void **state)
{
	struct pfx *p = *state;
	assert_int_equal(pipe_fcntl(p->r, F_GETPIPE_SZ, 0), 65536);
	assert_int_equal(pipe_fcntl(p->w, F_SETPIPE_SZ, 5000), 8192);
	assert_int_equal(pipe_fcntl(p->r, F_GETPIPE_SZ, 0), 8192);
	assert_int_equal(pipe_fcntl(p->w, F_SETPIPE_SZ, 1 << 30), -EPERM);
}

static void test_fifo_nonblocking_open_rules(void **state)
{
	struct pfx *p = *state;
	struct task *t = p->fx.t;
	assert_int_equal(vfs_mknodat(t, AT_FDCWD, "/fifo", S_IFIFO | 0644, 0), 0);
	struct file *r, *w;
	/* Writer without reader, nonblocking: ENXIO. */
	assert_int_equal(vfs_open(t, AT_FDCWD, "/fifo", O_WRONLY | O_NONBLOCK, 0, &w), -ENXIO);
	/* Reader nonblocking opens at once; then the writer can open. */
	assert_int_equal(vfs_open(t, AT_FDCWD, "/fifo", O_RDONLY | O_NONBLOCK, 0, &r), 0);
	assert_int_equal(vfs_open(t, AT_FDCWD, "/fifo", O_WRONLY, 0, &w), 0);
	assert_int_equal(file_write(t, w, "fifo", 4), 4);
	char buf[8];
	assert_int_equal(file_read(t, r, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "fifo", 4);
	file_put(w);
	assert_int_equal(file_read(t, r, buf, sizeof(buf)), 0);
	file_put(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_then_read_and_eof_after_writer_closes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_without_readers_is_epipe_and_sigpipe,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_nonblocking_empty_and_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tee_duplicates_without_consuming, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_blocking_read_wakes_on_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_blocked_read_interrupted_by_signal, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_poll_reports_hup_and_err, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_size_fcntl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fifo_nonblocking_open_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
