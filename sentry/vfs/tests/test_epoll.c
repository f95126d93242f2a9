/* Unit tests for sentry/vfs/eventfd.c and epoll.c. */
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "sentry/tests/harness.h"

static void test_eventfd_counter_and_semaphore(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	struct file *e;
	assert_int_equal(eventfd_new(0, 0x1234, &e), -EINVAL);
	assert_int_equal(eventfd_new(0, EFD_NONBLOCK, &e), 0);
	uint64_t v = 0;
	assert_int_equal(file_read(t, e, &v, 8), -EAGAIN);
	assert_int_equal(file_read(t, e, &v, 4), -EINVAL);
	assert_false(file_poll(e, NULL) & POLLIN);
	v = 3;
	assert_int_equal(file_write(t, e, &v, 8), 8);
	assert_int_equal(file_write(t, e, &v, 8), 8);
	assert_true(file_poll(e, NULL) & POLLIN);
	assert_int_equal(file_read(t, e, &v, 8), 8);
	assert_int_equal(v, 6);
	v = UINT64_MAX;
	assert_int_equal(file_write(t, e, &v, 8), -EINVAL);
	v = UINT64_MAX - 1;
	assert_int_equal(file_write(t, e, &v, 8), 8);
	v = 1;
	assert_int_equal(file_write(t, e, &v, 8), -EAGAIN); /* would overflow */
	assert_false(file_poll(e, NULL) & POLLOUT);
	file_put(e);
	assert_int_equal(eventfd_new(2, EFD_SEMAPHORE | EFD_NONBLOCK, &e), 0);
	assert_int_equal(file_read(t, e, &v, 8), 8);
	assert_int_equal(v, 1);
	assert_int_equal(file_read(t, e, &v, 8), 8);
	assert_int_equal(file_read(t, e, &v, 8), -EAGAIN);
	file_put(e);
}

static int wait0(struct task *t, struct file *ep, struct epoll_event *out, int max)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return epoll_wait_file(t, ep, out, max, &now);
}

static void test_epoll_level_edge_oneshot(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	struct file *ep, *r, *w;
	assert_int_equal(epoll_new(0, &ep), 0);
	assert_int_equal(pipe_new(O_NONBLOCK, &r, &w), 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out[4];
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_ADD, 3, r, &ev), 0);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_ADD, 3, r, &ev), -EEXIST);
	assert_int_equal(wait0(t, ep, out, 4), 0);
	assert_int_equal(file_write(t, w, "x", 1), 1);
	/* Level-triggered: reported while readable. */
	assert_int_equal(wait0(t, ep, out, 4), 1);
	assert_int_equal(out[0].data.u64, 42);
	assert_int_equal(out[0].events, EPOLLIN);
	assert_int_equal(wait0(t, ep, out, 4), 1);
	assert_true(file_poll(ep, NULL) & POLLIN);
	/* Edge-triggered: once, then again after draining and new data. */
	ev.events = EPOLLIN | EPOLLET;
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_MOD, 3, r, &ev), 0);
	assert_int_equal(wait0(t, ep, out, 4), 1);
	assert_int_equal(wait0(t, ep, out, 4), 0);
	char c;
	assert_int_equal(file_read(t, r, &c, 1), 1);
	assert_int_equal(wait0(t, ep, out, 4), 0);
	assert_int_equal(file_write(t, w, "y", 1), 1);
	assert_int_equal(wait0(t, ep, out, 4), 1);
	/* One-shot: once until re-armed with MOD. */
	ev.events = EPOLLIN | EPOLLONESHOT;
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_MOD, 3, r, &ev), 0);
	assert_int_equal(wait0(t, ep, out, 4), 1);
	assert_int_equal(wait0(t, ep, out, 4), 0);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_MOD, 3, r, &ev), 0);
	assert_int_equal(wait0(t, ep, out, 4), 1);
	/* The writer goes: EPOLLHUP is always reported. */
	ev.events = 0;
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_MOD, 3, r, &ev), 0);
	file_put(w);
	assert_int_equal(wait0(t, ep, out, 4), 1);
	assert_int_equal(out[0].events, EPOLLHUP);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_DEL, 3, r, NULL), 0);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_DEL, 3, r, NULL), -ENOENT);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_MOD, 3, r, &ev), -ENOENT);
	file_put(r);
	file_put(ep);
}

/* EPOLLET is driven by wake-ups, as Linux: new data on a file that is still
 * readable (not drained) is a new edge, and an item ready when added or
 * modified is reported once. */
static void test_epoll_edge_on_each_wakeup(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	struct file *ep, *r, *w;
	assert_int_equal(epoll_new(0, &ep), 0);
	assert_int_equal(pipe_new(O_NONBLOCK, &r, &w), 0);
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 7}, out[4];
	assert_int_equal(file_write(t, w, "a", 1), 1);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_ADD, 3, r, &ev), 0);
	assert_int_equal(wait0(t, ep, out, 4), 1); /* ready when added */
	assert_int_equal(wait0(t, ep, out, 4), 0);
	assert_int_equal(file_write(t, w, "b", 1), 1);
	assert_int_equal(wait0(t, ep, out, 4), 1); /* more data, not drained */
	assert_int_equal(out[0].events, EPOLLIN);
	assert_int_equal(wait0(t, ep, out, 4), 0);
	/* The write end, watched for EPOLLIN|EPOLLOUT|EPOLLET as nginx watches a
	 * connection: writable all along, yet each wake-up reports it. */
	struct file *ep2;
	assert_int_equal(epoll_new(0, &ep2), 0);
	ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
	assert_int_equal(epoll_ctl_file(ep2, EPOLL_CTL_ADD, 4, w, &ev), 0);
	assert_int_equal(wait0(t, ep2, out, 4), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	assert_int_equal(wait0(t, ep2, out, 4), 0);
	char c[2];
	assert_int_equal(file_read(t, r, c, 2), 2); /* room freed: the writer's edge */
	assert_int_equal(wait0(t, ep2, out, 4), 1);
	assert_int_equal(out[0].events, EPOLLOUT);
	/* MOD re-arms; DEL stops the recording. */
	assert_int_equal(epoll_ctl_file(ep2, EPOLL_CTL_MOD, 4, w, &ev), 0);
	assert_int_equal(wait0(t, ep2, out, 4), 1);
	assert_int_equal(epoll_ctl_file(ep2, EPOLL_CTL_DEL, 4, w, NULL), 0);
	assert_int_equal(wait0(t, ep2, out, 4), 0);
	file_put(ep2);
	/* The file goes first: its item leaves with it. */
	file_put(w);
	assert_int_equal(wait0(t, ep, out, 4), 1); /* the writer's close: EPOLLHUP */
	assert_true(out[0].events & EPOLLHUP);
	file_put(r);
	assert_int_equal(wait0(t, ep, out, 4), 0);
	file_put(ep);
}

static void test_epoll_ctl_rejections_and_autoremove(void **state)
{
	struct fx *fx = *state;
	struct task *t = fx->t;
	struct file *ep, *ep2, *reg, *e;
	assert_int_equal(epoll_new(0, &ep), 0);
	assert_int_equal(epoll_new(0, &ep2), 0);
	assert_int_equal(epoll_new(0x5, &e), -EINVAL);
	assert_int_equal(vfs_open(t, AT_FDCWD, "/reg", O_CREAT | O_RDWR, 0644, &reg), 0);
	struct epoll_event ev = {.events = EPOLLIN};
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_ADD, 5, reg, &ev), -EPERM);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_ADD, 5, ep, &ev), -EINVAL);
	assert_int_equal(epoll_ctl_file(reg, EPOLL_CTL_ADD, 5, ep, &ev), -EINVAL);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_ADD, 6, ep2, &ev), 0);
	assert_int_equal(epoll_ctl_file(ep2, EPOLL_CTL_ADD, 7, ep, &ev), -ELOOP);
	/* Nested: ep sees ep2 readable once ep2 watches a ready eventfd. */
	struct file *e2;
	assert_int_equal(eventfd_new(1, 0, &e2), 0);
	assert_int_equal(epoll_ctl_file(ep2, EPOLL_CTL_ADD, 9, e2, &ev), 0);
	assert_true(file_poll(ep, NULL) & POLLIN);
	struct epoll_event o1[2];
	assert_int_equal(wait0(t, ep, o1, 2), 1);
	file_put(e2);
	/* An eventfd added, then released: its item goes with it. */
	assert_int_equal(eventfd_new(1, 0, &e), 0);
	assert_int_equal(epoll_ctl_file(ep, EPOLL_CTL_ADD, 8, e, &ev), 0);
	struct epoll_event out[4];
	assert_int_equal(wait0(t, ep, out, 4), 1);
	file_put(e);
	assert_int_equal(wait0(t, ep, out, 4), 0);
	file_put(reg);
	file_put(ep2);
	file_put(ep);
}

struct adder {
	struct file *ep, *e;
};

static void *add_later(void *arg)
{
	struct adder *a = arg;
	usleep(30000);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
	epoll_ctl_file(a->ep, EPOLL_CTL_ADD, 9, a->e, &ev);
	return NULL;
}

static void test_epoll_wait_wakes_on_ctl_from_another_thread(void **state)
{
	struct task *t = ((struct fx *)*state)->t;
	struct file *ep, *e;
	assert_int_equal(epoll_new(0, &ep), 0);
	assert_int_equal(eventfd_new(5, 0, &e), 0);
	struct adder a = {ep, e};
	pthread_t th;
	pthread_create(&th, NULL, add_later, &a);
	struct epoll_event out[2];
	assert_int_equal(epoll_wait_file(t, ep, out, 2, NULL), 1);
	assert_int_equal(out[0].data.u64, 7);
	pthread_join(th, NULL);
	/* A signal during the wait: EINTR, never a restart. */
	struct file *ep2;
	assert_int_equal(epoll_new(0, &ep2), 0);
	atomic_store(&t->interrupted, 1);
	assert_int_equal(epoll_wait_file(t, ep2, out, 2, NULL), -EINTR);
	atomic_store(&t->interrupted, 0);
	file_put(ep2);
	file_put(e);
	file_put(ep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_eventfd_counter_and_semaphore, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_epoll_level_edge_oneshot, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_epoll_edge_on_each_wakeup, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_epoll_ctl_rejections_and_autoremove, fx_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_epoll_wait_wakes_on_ctl_from_another_thread,
						fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
