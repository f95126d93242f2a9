/* Unit tests for sentry/fs/gofer_client.c's connection state: how the
 * Sentry's watchdog learns that its Gofer died (sentry/watchdog.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "sentry/fs/gofer_client.h"

static void test_peer_gone_only_after_the_gofer_closes(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	struct gofer_client *c = gofer_client_new(sv[0]);
	assert_non_null(c);
	assert_false(gofer_client_peer_gone(c));
	/* A message waiting to be read is not a hang-up, and asking
	 * consumes nothing. */
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_false(gofer_client_peer_gone(c));
	assert_false(gofer_client_peer_gone(c));
	close(sv[1]);
	assert_true(gofer_client_peer_gone(c));
	assert_true(gofer_client_peer_gone(c));
	gofer_client_free(c);
}

/* The watchdog's push never waits for a Gofer that does not read: with its
 * socket full, what the socket does not take stays kept, and goes, in
 * order, once there is room. */
static void test_push_does_not_block_on_a_full_socket(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	char filler[512];
	memset(filler, 'f', sizeof(filler));
	int filled = 0;
	while (send(sv[0], filler, sizeof(filler), MSG_DONTWAIT) == (ssize_t)sizeof(filler))
		filled++;
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	struct gofer_client *c = gofer_client_new(sv[0]);
	assert_non_null(c);
	assert_int_equal(gofer_unlink_async(c, 7, "a"), 0);
	assert_int_equal(gofer_unlink_async(c, 7, "b"), 0);
	alarm(10); /* a push that blocks fails the test (SIGALRM) */
	assert_true(gofer_client_push(c));
	alarm(0);
	assert_false(gofer_client_peer_gone(c));
	char buf[4096];
	for (int i = 0; i < filled; i++)
		assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT),
				 (ssize_t)sizeof(filler));
	assert_true(gofer_client_push(c));
	/* Both unlinks, in the order they were made. */
	for (int i = 0; i < 2; i++) {
		ssize_t n = recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT);
		assert_true(n > 8);
		uint16_t type;
		memcpy(&type, buf + 4, sizeof(type));
		assert_int_equal(type, 11); /* GOFER_TUNLINK */
		assert_non_null(memmem(buf, (size_t)n, i ? "b" : "a", 1));
	}
	assert_int_equal(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), -1);
	close(sv[1]);
	gofer_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_gone_only_after_the_gofer_closes),
		cmocka_unit_test(test_push_does_not_block_on_a_full_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
