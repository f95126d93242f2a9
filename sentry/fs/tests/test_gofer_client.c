/* Unit tests for sentry/fs/gofer_client.c's connection state: how the
 * Sentry's watchdog learns that its Gofer died (sentry/watchdog.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_peer_gone_only_after_the_gofer_closes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
