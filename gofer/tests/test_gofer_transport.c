/* Unit tests for gofer/transport.c's request wait: idle timeouts (which
 * trim, lib/memtrim.h) never end the wait, anything else does. */
/* clang-format off */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
/* clang-format on */

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "gofer/transport.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void *send_late(void *arg)
{
	int fd = *(int *)arg;
	usleep(250 * 1000);
	(void)!write(fd, "ping", 4);
	return NULL;
}

static ssize_t recv_into(int fd, char *buf, size_t len)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	return gofer_recv_request(fd, &mh, 0);
}

static void test_request_after_idle_timeouts_is_received(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	/* Five idle periods (and one trim) pass before the request comes. */
	struct timeval tv = {.tv_usec = 50 * 1000};
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, send_late, &sv[1]), 0);
	double t0 = now_ms();
	char buf[16] = {0};
	ssize_t n = recv_into(sv[0], buf, sizeof(buf));
	double waited = now_ms() - t0;
	pthread_join(th, NULL);
	assert_int_equal(n, 4);
	assert_memory_equal(buf, "ping", 4);
	assert_true(waited >= 200);
	/* And the next one, after another idle stretch, too. */
	assert_int_equal(pthread_create(&th, NULL, send_late, &sv[1]), 0);
	n = recv_into(sv[0], buf, sizeof(buf));
	pthread_join(th, NULL);
	assert_int_equal(n, 4);
	close(sv[0]);
	close(sv[1]);
}

static void test_hang_up_and_errors_end_the_wait(void **state)
{
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	struct timeval tv = {.tv_usec = 20 * 1000};
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	close(sv[1]);
	char buf[16];
	assert_int_equal(recv_into(sv[0], buf, sizeof(buf)), 0);
	close(sv[0]);
	errno = 0;
	assert_int_equal(recv_into(sv[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EBADF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_after_idle_timeouts_is_received),
	    cmocka_unit_test(test_hang_up_and_errors_end_the_wait),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
