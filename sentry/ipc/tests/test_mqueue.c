/* Unit tests for POSIX message queues (sentry/ipc/mqueue.c) through their
 * syscalls, on the kernel fixture with an fd table. */
#include <fcntl.h>
#include <poll.h>
#include <sys/syscall.h>

#include "sentry/ipc/ipc.h"
#include "sentry/tests/harness.h"

struct k_mq_attr {
	int64_t flags, maxmsg, msgsize, curmsgs, reserved[4];
};

static int setup(void **st)
{
	int r = kfx_setup_tid(st, 100);
	if (r == 0) {
		struct kfx_state *s = *st;
		s->fx->k.mf = s->fx->mf;
		s->t.fdt = fdt_new();
		if (!s->t.fdt)
			return -1;
	}
	return r;
}

static int teardown(void **st)
{
	struct kfx_state *s = *st;
	fdt_put(s->t.fdt);
	s->t.fdt = NULL;
	ipc_ns_put(s->fx->k.ipc);
	s->fx->k.ipc = NULL;
	return kfx_teardown(st);
}

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
		  uint64_t a4)
{
	return fx_call(sys_ipc_defs, t, nr, a0, a1, a2, a3, a4, 0);
}

/* App memory: a name at base, data at base + 256. */
static uint64_t put(struct kfx_state *s, uint64_t off, const void *p, size_t n)
{
	assert_int_equal(mm_copy_out(s->fx->mm, s->fx->base + off, p, n), 0);
	return s->fx->base + off;
}

static int64_t mq_open_(struct kfx_state *s, const char *name, int flags, uint64_t attr)
{
	uint64_t n = put(s, 0, name, strlen(name) + 1);
	return sc(&s->t, SYS_mq_open, n, (uint64_t)flags, 0600, attr, 0);
}

static int64_t send_(struct kfx_state *s, int fd, const char *m, unsigned prio)
{
	uint64_t p = put(s, 256, m, strlen(m));
	return sc(&s->t, SYS_mq_timedsend, (uint64_t)fd, p, strlen(m), prio, 0);
}

static int64_t recv_(struct kfx_state *s, int fd, uint64_t len, char *out, unsigned *prio)
{
	uint64_t b = s->fx->base + 1024, pp = s->fx->base + 512;
	int64_t r = sc(&s->t, SYS_mq_timedreceive, (uint64_t)fd, b, len, pp, 0);
	if (r >= 0) {
		mm_copy_in(s->fx->mm, out, b, (size_t)r);
		out[r] = 0;
		mm_copy_in(s->fx->mm, prio, pp, sizeof(*prio));
	}
	return r;
}

static void test_messages_come_by_priority_then_order(void **st)
{
	struct kfx_state *s = *st;
	int64_t fd = mq_open_(s, "q1", O_RDWR | O_CREAT | O_NONBLOCK, 0);
	assert_true(fd >= 0);
	assert_int_equal(send_(s, (int)fd, "a", 1), 0);
	assert_int_equal(send_(s, (int)fd, "b", 7), 0);
	assert_int_equal(send_(s, (int)fd, "c", 1), 0);
	assert_int_equal(send_(s, (int)fd, "x", 32768), -EINVAL);
	char buf[16];
	unsigned prio;
	assert_int_equal(recv_(s, (int)fd, 100, buf, &prio), -EMSGSIZE);
	assert_int_equal(recv_(s, (int)fd, 8192, buf, &prio), 1);
	assert_string_equal(buf, "b");
	assert_int_equal(prio, 7);
	assert_int_equal(recv_(s, (int)fd, 8192, buf, &prio), 1);
	assert_string_equal(buf, "a");
	assert_int_equal(recv_(s, (int)fd, 8192, buf, &prio), 1);
	assert_string_equal(buf, "c");
	assert_int_equal(recv_(s, (int)fd, 8192, buf, &prio), -EAGAIN);
	assert_int_equal(fdt_close(s->t.fdt, (int)fd), 0);
}

static void test_open_rules_and_unlink(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(mq_open_(s, "nope", O_RDWR, 0), -ENOENT);
	assert_int_equal(mq_open_(s, "a/b", O_RDWR | O_CREAT, 0), -EACCES);
	struct k_mq_attr a = {.maxmsg = 3, .msgsize = 5};
	uint64_t pa = put(s, 2048, &a, sizeof(a));
	int64_t fd = mq_open_(s, "q2", O_RDWR | O_CREAT | O_EXCL, pa);
	assert_true(fd >= 0);
	assert_int_equal(mq_open_(s, "q2", O_RDWR | O_CREAT | O_EXCL, 0), -EEXIST);
	struct k_mq_attr got;
	uint64_t po = s->fx->base + 3072;
	assert_int_equal(sc(&s->t, SYS_mq_getsetattr, (uint64_t)fd, 0, po, 0, 0), 0);
	mm_copy_in(s->fx->mm, &got, po, sizeof(got));
	assert_int_equal(got.maxmsg, 3);
	assert_int_equal(got.msgsize, 5);
	assert_int_equal(send_(s, (int)fd, "toolong", 0), -EMSGSIZE);
	/* setattr O_NONBLOCK, then a full queue says EAGAIN. */
	a = (struct k_mq_attr){.flags = O_NONBLOCK};
	pa = put(s, 2048, &a, sizeof(a));
	assert_int_equal(sc(&s->t, SYS_mq_getsetattr, (uint64_t)fd, pa, 0, 0, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(send_(s, (int)fd, "m", 0), 0);
	assert_int_equal(send_(s, (int)fd, "m", 0), -EAGAIN);
	struct file *f = fdt_get_file(s->t.fdt, (int)fd);
	assert_non_null(f);
	assert_int_equal(f->ops->poll(f, NULL), POLLIN | POLLRDNORM);
	char line[128];
	uint64_t pos = 0;
	ssize_t n = f->ops->read(&s->t, f, line, sizeof(line) - 1, &pos);
	assert_true(n > 0);
	line[n] = 0;
	assert_string_equal(line, "QSIZE:3          NOTIFY:0     SIGNO:0     NOTIFY_PID:0     \n");
	file_put(f);
	uint64_t pn = put(s, 0, "q2", 3);
	assert_int_equal(sc(&s->t, SYS_mq_unlink, pn, 0, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_mq_unlink, pn, 0, 0, 0, 0), -ENOENT);
	/* The open queue lives on. */
	char buf[16];
	unsigned prio;
	assert_int_equal(recv_(s, (int)fd, 8192, buf, &prio), 1);
	assert_int_equal(fdt_close(s->t.fdt, (int)fd), 0);
}

static void test_notify_is_one_registration(void **st)
{
	struct kfx_state *s = *st;
	int64_t fd = mq_open_(s, "q3", O_RDWR | O_CREAT, 0);
	assert_true(fd >= 0);
	struct {
		uint64_t value;
		int32_t signo, notify;
		char pad[48];
	} ev = {.value = 1, .signo = 10, .notify = 0};
	uint64_t pe = put(s, 2048, &ev, sizeof(ev));
	assert_int_equal(sc(&s->t, SYS_mq_notify, (uint64_t)fd, pe, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_mq_notify, (uint64_t)fd, pe, 0, 0, 0), -EBUSY);
	assert_int_equal(sc(&s->t, SYS_mq_notify, (uint64_t)fd, 0, 0, 0, 0), 0);
	ev.notify = 9;
	pe = put(s, 2048, &ev, sizeof(ev));
	assert_int_equal(sc(&s->t, SYS_mq_notify, (uint64_t)fd, pe, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_mq_notify, 999, 0, 0, 0, 0), -EBADF);
	assert_int_equal(fdt_close(s->t.fdt, (int)fd), 0);
}

static void test_mqueue_sysctls(void **st)
{
	struct kfx_state *s = *st;
	struct ipc_ns *ns = ipc_ns_of(&s->t);
	char buf[32];
	ipc_mq_sysctl_read(ns, "queues_max", buf, sizeof(buf));
	assert_string_equal(buf, "256\n");
	assert_int_equal(ipc_mq_sysctl_write(ns, "msg_max", "0", 1), -EINVAL);
	assert_int_equal(ipc_mq_sysctl_write(ns, "queues_max", "1\n", 2), 0);
	int64_t fd = mq_open_(s, "q4", O_RDWR | O_CREAT, 0);
	assert_true(fd >= 0);
	/* Root has CAP_SYS_RESOURCE: past queues_max all the same, as Linux. */
	int64_t fd2 = mq_open_(s, "q5", O_RDWR | O_CREAT, 0);
	assert_true(fd2 >= 0);
	fdt_close(s->t.fdt, (int)fd);
	fdt_close(s->t.fdt, (int)fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_messages_come_by_priority_then_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_open_rules_and_unlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notify_is_one_registration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mqueue_sysctls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
