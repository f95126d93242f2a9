/* Unit tests for the netstack's TCP over loopback: the state machine,
 * data, options, timers, on a virtual clock. */
#include "netstack/tests/nstest.h"

static void test_handshake_and_data_both_ways(void **state)
{
	struct nst t;
	nst_init(&t);
	struct ns_endpoint *l = listener(&t, AF_INET, "127.0.0.1", 8080, 16);
	struct ns_endpoint *c = sock(&t, AF_INET, SOCK_STREAM, 0);
	struct nst_sock cu = {0}, lu = {0};
	ns_ep_set_user(c, &cu);
	ns_ep_set_user(l, &lu);
	/* A fresh socket: writable and hung up, as Linux. */
	assert_int_equal(ns_ep_poll(c), POLLOUT | POLLWRNORM | POLLHUP);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), -EINPROGRESS);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), -EALREADY);
	assert_int_equal(ns_ep_poll(c), 0); /* SYN_SENT */
	assert_true(t.kicks > 0);	    /* the owner was told to poll */
	nst_settle(&t);
	assert_true(cu.wakeups > 0);
	assert_true(lu.wakeups > 0);
	assert_int_equal(ns_ep_poll(c), POLLOUT | POLLWRNORM);
	assert_int_equal(ns_ep_poll(l), POLLIN | POLLRDNORM);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 8080), -EISCONN);
	struct ns_endpoint *a;
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	assert_int_equal(ns_ep_accept(l, &a, &peer, &plen), 0);
	assert_int_equal(plen, sizeof(struct sockaddr_in));
	assert_int_equal(sa_port(&peer), local_port(c));
	assert_int_equal(ns_ep_accept(l, &a, NULL, NULL) == -EAGAIN, 1);

	char buf[64];
	assert_int_equal(send_buf(c, "hello", 5), 5);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), -EAGAIN);
	nst_settle(&t);
	assert_true(ns_ep_poll(a) & POLLIN);
	assert_int_equal(recv_buf(a, buf, 2, MSG_PEEK), 2);
	assert_memory_equal(buf, "he", 2);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(send_buf(a, "world!", 6), 6);
	nst_settle(&t);
	assert_int_equal(recv_buf(c, buf, sizeof(buf), 0), 6);
	assert_memory_equal(buf, "world!", 6);

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[64];
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 1), 0);
	assert_string_equal(sa_ip(&ss, ip), "127.0.0.1");
	assert_int_equal(sa_port(&ss), 8080);
	assert_int_equal(ns_ep_getname(a, &ss, &sl, 0), 0);
	assert_int_equal(sa_port(&ss), 8080);

	ns_ep_close(c);
	nst_settle(&t);
	assert_true(ns_ep_poll(a) & POLLRDHUP);
	assert_int_equal(recv_buf(a, buf, sizeof(buf), 0), 0);
	ns_ep_close(a);
	ns_ep_close(l);
	nst_run(&t, SEC(120)); /* TIME_WAIT ends */
	struct ns_ep_info *rows;
	assert_int_equal(ns_stack_endpoints(t.s, IPPROTO_TCP, &rows), 0);
	free(rows);
	nst_fini(&t);
}

static void test_large_transfer_is_exact(void **state)
{
	struct nst t;
	nst_init(&t);
	struct ns_endpoint *l = listener(&t, AF_INET, "127.0.0.1", 0, 16);
	struct ns_endpoint *c, *a;
	tcp_pair(&t, AF_INET, "127.0.0.1", l, &c, &a);
	transfer(&t, c, a, 8 << 20, SEC(10));
	transfer(&t, a, c, 3 << 20, SEC(10));
	assert_int_equal(ns_stack_counter(t.s, NS_CTR_TCP_RETRANS_SEGS), 0);
	ns_ep_close(c);
	ns_ep_close(a);
	ns_ep_close(l);
	nst_fini(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_and_data_both_ways),
	    cmocka_unit_test(test_large_transfer_is_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
