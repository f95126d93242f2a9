/* Unit tests for netstack/loopback.c: the loopback link endpoint. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netstack/netstack.h"

struct seen {
	int n;
	char frames[8][32];
	struct link_endpoint *echo_to; /* re-send what arrives (once) */
};

static void deliver(void *ctx, struct link_endpoint *ep, const void *frame, size_t len)
{
	struct seen *s = ctx;
	if (s->n < 8) {
		snprintf(s->frames[s->n], sizeof(s->frames[0]), "%.*s", (int)len, (const char *)frame);
		s->n++;
	}
	if (s->echo_to && len && ((const char *)frame)[0] != 'R') {
		char reply[32];
		int rl = snprintf(reply, sizeof(reply), "R%.*s", (int)len, (const char *)frame);
		assert_int_equal(ns_link_send(s->echo_to, reply, (size_t)rl), 0);
	}
}

static void test_sent_frames_arrive_in_order_on_poll(void **state)
{
	struct link_endpoint *lo = ns_loopback_new(0, 0);
	struct seen s = {0};
	ns_link_set_deliver(lo, deliver, &s);
	assert_string_equal(lo->name, "lo");
	assert_int_equal(lo->mtu, NS_LOOPBACK_MTU);
	assert_int_equal(ns_link_send(lo, "one", 3), 0);
	assert_int_equal(ns_link_send(lo, "two", 3), 0);
	assert_int_equal(s.n, 0); /* nothing is delivered inside send */
	assert_int_equal(ns_link_poll(lo, 10), 2);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.frames[0], "one");
	assert_string_equal(s.frames[1], "two");
	assert_int_equal(ns_link_poll(lo, 10), 0);
	assert_int_equal(lo->tx_packets, 2);
	assert_int_equal(lo->rx_bytes, 6);
	ns_link_destroy(lo);
}

static void test_handler_may_send_while_delivering(void **state)
{
	struct link_endpoint *lo = ns_loopback_new(0, 0);
	struct seen s = {.echo_to = lo};
	ns_link_set_deliver(lo, deliver, &s);
	assert_int_equal(ns_link_send(lo, "syn", 3), 0);
	assert_int_equal(ns_link_poll(lo, 1), 1);
	assert_int_equal(ns_link_poll(lo, 10), 1);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.frames[1], "Rsyn");
	ns_link_destroy(lo);
}

static void test_bad_frames_are_refused(void **state)
{
	struct link_endpoint *lo = ns_loopback_new(1500, 2);
	char big[1501];
	memset(big, 'x', sizeof(big));
	assert_int_equal(ns_link_send(lo, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(ns_link_send(lo, big, 0), -EINVAL);
	assert_int_equal(ns_link_send(lo, big, 1500), 0);
	assert_int_equal(ns_link_send(lo, big, 10), 0);
	assert_int_equal(ns_link_send(lo, big, 10), -ENOBUFS);
	assert_int_equal(lo->tx_dropped, 1);
	/* Undelivered frames are freed with the device (ASan checks). */
	ns_link_destroy(lo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sent_frames_arrive_in_order_on_poll),
		cmocka_unit_test(test_handler_may_send_while_delivering),
		cmocka_unit_test(test_bad_frames_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
