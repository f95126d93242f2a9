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

static void deliver(void *ctx, struct link_endpoint *ep, struct ns_pbuf *pb)
{
	struct seen *s = ctx;
	const char *frame = (const char *)ns_pbuf_data(pb);
	size_t len = pb->len;
	assert_true(pb->flags & NS_PB_CSUM_OK);
	if (s->n < 8) {
		snprintf(s->frames[s->n], sizeof(s->frames[0]), "%.*s", (int)len, (const char *)frame);
		s->n++;
	}
	if (s->echo_to && len && ((const char *)frame)[0] != 'R') {
		char reply[32];
		int rl = snprintf(reply, sizeof(reply), "R%.*s", (int)len, (const char *)frame);
		assert_int_equal(ns_link_send_copy(s->echo_to, reply, (size_t)rl), 0);
	}
	ns_pbuf_free(pb);
}

static void test_sent_frames_arrive_in_order_on_poll(void **state)
{
	struct link_endpoint *lo = ns_loopback_new(0, 0);
	struct seen s = {0};
	ns_link_set_deliver(lo, deliver, &s);
	assert_string_equal(lo->name, "lo");
	assert_int_equal(lo->mtu, NS_LOOPBACK_MTU);
	assert_int_equal(ns_link_send_copy(lo, "one", 3), 0);
	assert_int_equal(ns_link_send_copy(lo, "two", 3), 0);
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
	assert_int_equal(ns_link_send_copy(lo, "syn", 3), 0);
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
	assert_int_equal(ns_link_send_copy(lo, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(ns_link_send_copy(lo, big, 0), -EINVAL);
	assert_int_equal(ns_link_send_copy(lo, big, 1500), 0);
	assert_int_equal(ns_link_send_copy(lo, big, 10), 0);
	assert_int_equal(ns_link_send_copy(lo, big, 10), -ENOBUFS);
	assert_int_equal(lo->tx_dropped, 1);
	/* A pbuf handed over is the link's even when refused (ASan checks). */
	struct ns_pbuf *pb = ns_pbuf_alloc(10);
	pb->len = 10;
	assert_int_equal(ns_link_send(lo, pb), -ENOBUFS);
	/* Undelivered frames are freed with the device (ASan checks). */
	ns_link_destroy(lo);
}

static void test_pool_reuses_buffers(void **state)
{
	struct ns_pool_stats a, b;
	ns_pool_trim();
	ns_pool_stats(&a);
	struct ns_pbuf *p1 = ns_pbuf_alloc(100);
	assert_non_null(p1);
	assert_int_equal(p1->off, NS_PBUF_HEADROOM);
	assert_true(p1->cap >= 100 + NS_PBUF_HEADROOM);
	ns_pbuf_free(p1);
	struct ns_pbuf *p2 = ns_pbuf_alloc(200);
	assert_ptr_equal(p1, p2); /* the same buffer, from the free list */
	struct ns_pbuf *big = ns_pbuf_alloc(NS_LOOPBACK_MTU);
	assert_non_null(big);
	assert_true(big->cap >= NS_LOOPBACK_MTU + NS_PBUF_HEADROOM);
	struct ns_pbuf *huge = ns_pbuf_alloc(200000); /* beyond the classes: the heap */
	assert_non_null(huge);
	ns_pbuf_free(huge);
	ns_pbuf_free(big);
	ns_pbuf_free(p2);
	ns_pool_stats(&b);
	assert_int_equal(b.live, a.live);
	assert_int_equal(b.heap_allocs - a.heap_allocs, 2);
	assert_true(b.cached_bytes > 0);
	ns_pool_trim();
	ns_pool_stats(&b);
	assert_int_equal(b.cached_bytes, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sent_frames_arrive_in_order_on_poll),
		cmocka_unit_test(test_handler_may_send_while_delivering),
		cmocka_unit_test(test_bad_frames_are_refused),
		cmocka_unit_test(test_pool_reuses_buffers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
