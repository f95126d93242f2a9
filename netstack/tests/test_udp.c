/* Unit tests for the netstack's datagram sockets over loopback: UDP
 * (bound, unbound, connected, dual stack, errors, ICMP port unreachable
 * as ECONNREFUSED) and ping sockets (ICMP echo through SOCK_DGRAM). */
#include "netstack/tests/nstest.h"
#include "netstack/ns_impl.h"

#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

static ssize_t recvfrom_buf(struct ns_endpoint *ep, void *buf, size_t len, int flags,
			    struct sockaddr_storage *from, socklen_t *fromlen, int *mflags)
{
	struct iovec iov = {buf, len};
	return ns_ep_recvmsg(ep, &iov, 1, flags, from, fromlen, mflags);
}

static void test_udp_sendto_recvfrom(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *srv = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct ns_endpoint *cli = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct nst_sock su = {0};
	ns_ep_set_user(srv, &su);
	assert_int_equal(do_bind(srv, AF_INET, "127.0.0.1", 5353), 0);
	/* A datagram socket is always writable; readable once data waits. */
	assert_int_equal(ns_ep_poll(srv), POLLOUT | POLLWRNORM | POLLWRBAND);
	assert_int_equal(sendto_buf(cli, "hello", 5, AF_INET, "127.0.0.1", 5353), 5);
	assert_true(local_port(cli) >= 32768); /* autobound */
	nst_settle(t);
	assert_true(su.wakeups > 0);
	assert_true(ns_ep_poll(srv) & POLLIN);
	int inq;
	assert_int_equal(ns_ep_queues(srv, &inq, NULL, NULL), 0);
	assert_int_equal(inq, 5);
	char b[64];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	int mf = 0;
	/* PEEK leaves it; a short buffer truncates; MSG_TRUNC gives the size. */
	assert_int_equal(recvfrom_buf(srv, b, 2, MSG_PEEK, &from, &fl, &mf), 2);
	assert_int_equal(mf, MSG_TRUNC);
	assert_int_equal(recvfrom_buf(srv, b, 2, MSG_PEEK | MSG_TRUNC, &from, &fl, &mf), 5);
	assert_int_equal(recvfrom_buf(srv, b, sizeof(b), 0, &from, &fl, &mf), 5);
	assert_int_equal(mf, 0);
	assert_memory_equal(b, "hello", 5);
	assert_int_equal(fl, sizeof(struct sockaddr_in));
	assert_int_equal(sa_port(&from), local_port(cli));
	assert_int_equal(recvfrom_buf(srv, b, sizeof(b), 0, &from, &fl, &mf), -EAGAIN);
	/* Replies go back to the source. */
	struct iovec iov = {"world", 5};
	assert_int_equal(ns_ep_sendmsg(srv, &iov, 1, 0, (struct sockaddr *)&from, fl), 5);
	nst_settle(t);
	assert_int_equal(recv_buf(cli, b, sizeof(b), 0), 5);
	/* Zero-length datagrams exist. */
	assert_int_equal(sendto_buf(cli, "", 0, AF_INET, "127.0.0.1", 5353), 0);
	nst_settle(t);
	assert_int_equal(recv_buf(srv, b, sizeof(b), 0), 0);
	assert_int_equal(recv_buf(srv, b, sizeof(b), 0), -EAGAIN);
	/* The largest datagram over IPv4, and one byte more. */
	static char big[65508];
	assert_int_equal(sendto_buf(cli, big, 65507, AF_INET, "127.0.0.1", 5353), 65507);
	assert_int_equal(sendto_buf(cli, big, 65508, AF_INET, "127.0.0.1", 5353), -EMSGSIZE);
	nst_settle(t);
	assert_int_equal(recv_buf(srv, big, sizeof(big), 0), 65507);
	CLOSE_ALL(srv, cli);
}

/* A sender's poll after a send (ns_stack_poll_sync) while another thread
 * holds the poll: it waits until its datagram over lo is delivered, as
 * Linux delivers it within the send; the holder here stops without
 * polling, so the sender polls itself. */
struct sync_send {
	struct nst *t;
	struct ns_endpoint *cli;
	atomic_bool done;
};

static void *sync_sender(void *p)
{
	struct sync_send *a = p;
	if (sendto_buf(a->cli, "sync", 4, AF_INET, "127.0.0.1", 5354) == 4)
		ns_stack_poll_sync(a->t->s, a->t->now);
	atomic_store(&a->done, true);
	return NULL;
}

static void test_udp_send_waits_for_delivery_over_lo(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *srv = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct ns_endpoint *cli = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(srv, AF_INET, "127.0.0.1", 5354), 0);
	/* Nothing waits on lo: it returns at once. */
	ns_stack_poll_sync(t->s, t->now);
	atomic_store(&t->s->polling, true); /* another thread's poll */
	struct sync_send a = {.t = t, .cli = cli};
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, sync_sender, &a), 0);
	struct timespec ts = {0, 100 * 1000000L};
	nanosleep(&ts, NULL);
	assert_false(atomic_load(&a.done));
	char b[16];
	assert_int_equal(recv_buf(srv, b, sizeof(b), 0), -EAGAIN);
	atomic_store(&t->s->polling, false);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(atomic_load(&a.done));
	assert_int_equal(recv_buf(srv, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "sync", 4);
}

static void test_udp_errors(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *u = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(send_buf(u, "x", 1), -EDESTADDRREQ);
	assert_int_equal(sendto_buf(u, "x", 1, AF_INET, "127.0.0.1", 0), -EINVAL);
	struct sockaddr_in sin = {.sin_family = AF_INET6};
	struct iovec iov = {"x", 1};
	assert_int_equal(ns_ep_sendmsg(u, &iov, 1, 0, (struct sockaddr *)&sin, sizeof(sin)),
			 -EAFNOSUPPORT);
	assert_int_equal(ns_ep_sendmsg(u, &iov, 1, 0, (struct sockaddr *)&sin, 8), -EINVAL);
	assert_int_equal(ns_ep_sendmsg(u, &iov, 1, MSG_OOB, NULL, 0), -EOPNOTSUPP);
	/* Broadcast needs SO_BROADCAST. */
	assert_int_equal(sendto_buf(u, "x", 1, AF_INET, "127.255.255.255", 9), -EACCES);
	assert_int_equal(sendto_buf(u, "x", 1, AF_INET, "255.255.255.255", 9), -EACCES);
	assert_int_equal(set_int(u, SOL_SOCKET, SO_BROADCAST, 1), 0);
	assert_int_equal(int_opt(u, SOL_SOCKET, SO_BROADCAST), 1);
	struct ns_endpoint *b1 = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct ns_endpoint *b2 = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(set_int(b1, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(set_int(b2, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(do_bind(b1, AF_INET, "0.0.0.0", 9999), 0);
	assert_int_equal(do_bind(b2, AF_INET, "0.0.0.0", 9999), 0);
	/* A dual-stack IPv6 socket hears IPv4 broadcasts too; an IPv6-only
	 * one does not. */
	struct ns_endpoint *b6 = sock(t, AF_INET6, SOCK_DGRAM, 0);
	struct ns_endpoint *b6o = sock(t, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(set_int(b6, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(set_int(b6o, SOL_SOCKET, SO_REUSEADDR, 1), 0);
	assert_int_equal(set_int(b6o, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
	assert_int_equal(do_bind(b6, AF_INET6, "::", 9999), 0);
	assert_int_equal(do_bind(b6o, AF_INET6, "::", 9999), 0);
	assert_int_equal(sendto_buf(u, "all", 3, AF_INET, "127.255.255.255", 9999), 3);
	nst_settle(t);
	char b[8];
	assert_int_equal(recv_buf(b1, b, sizeof(b), 0), 3); /* all get it */
	assert_int_equal(recv_buf(b2, b, sizeof(b), 0), 3);
	assert_int_equal(recv_buf(b6, b, sizeof(b), 0), 3);
	assert_int_equal(recv_buf(b6o, b, sizeof(b), 0), -EAGAIN);
	/* No route: multicast is not provided. */
	assert_int_equal(sendto_buf(u, "x", 1, AF_INET, "224.0.0.1", 9), -ENETUNREACH);
	/* Shut down for writing. */
	assert_int_equal(ns_ep_shutdown(u, SHUT_WR), -ENOTCONN); /* unconnected, bits set */
	assert_int_equal(sendto_buf(u, "x", 1, AF_INET, "127.0.0.1", 9), -EPIPE);
	/* After SHUT_RD a blocking receive ends, a non-blocking one waits. */
	assert_int_equal(ns_ep_shutdown(b1, SHUT_RD), -ENOTCONN);
	assert_true(ns_ep_poll(b1) & POLLRDHUP);
	assert_int_equal(recv_buf(b1, b, sizeof(b), 0), 0);
	assert_int_equal(recv_buf(b1, b, sizeof(b), MSG_DONTWAIT), -EAGAIN);
	/* MSG_MORE (UDP corking) is refused. */
	assert_int_equal(ns_ep_sendmsg(b2, &iov, 1, MSG_MORE, NULL, 0), -EOPNOTSUPP);
	/* The receive buffer bounds what waits. */
	int rb = 1;
	assert_int_equal(ns_ep_setsockopt(b2, SOL_SOCKET, SO_RCVBUF, &rb, sizeof(rb)), 0);
	for (int i = 0; i < 10; i++)
		assert_int_equal(sendto_buf(b1, "0123456789", 10, AF_INET, "127.0.0.1", 9999), 10);
	nst_settle(t);
	assert_true(ns_stack_counter(t->s, NS_CTR_UDP_RCVBUF_ERRORS) >= 8);
	struct ns_ep_info *rows;
	int n = ns_stack_endpoints(t->s, IPPROTO_UDP, &rows);
	assert_int_equal(n, 5);
	free(rows);
	CLOSE_ALL(b6, b6o);
	CLOSE_ALL(u, b1, b2);
}

static void test_udp_connected_and_port_unreachable(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *srv = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(srv, AF_INET, "127.0.0.1", 7000), 0);
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_connect(c, AF_INET, "127.0.0.1", 7000), 0);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[64];
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 0), 0);
	assert_string_equal(sa_ip(&ss, ip), "127.0.0.1"); /* the source got chosen */
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 1), 0);
	assert_int_equal(sa_port(&ss), 7000);
	/* A connected socket hears only its peer. */
	struct ns_endpoint *other = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(other, "stranger", 8, AF_INET, "127.0.0.1", local_port(c)), 8);
	struct iovec iov = {"peer", 4};
	struct sockaddr_storage to;
	socklen_t tl = sa_make(&to, AF_INET, "127.0.0.1", local_port(c));
	assert_int_equal(ns_ep_sendmsg(srv, &iov, 1, 0, (struct sockaddr *)&to, tl), 4);
	nst_settle(t);
	char b[16];
	assert_int_equal(recv_buf(c, b, sizeof(b), 0), 4);
	assert_memory_equal(b, "peer", 4);
	assert_int_equal(recv_buf(c, b, sizeof(b), 0), -EAGAIN);
	/* The peer goes away: the next datagram draws a port unreachable,
	 * which the connected socket reports once, as ECONNREFUSED. */
	ns_ep_close(srv);
	struct nst_sock cu = {0};
	ns_ep_set_user(c, &cu);
	/* (The stranger's datagram above drew one too: c hears only srv.) */
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_ICMP_IN_DEST_UNREACHS), 1);
	assert_int_equal(send_buf(c, "anyone?", 7), 7);
	nst_settle(t);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_ICMP_IN_DEST_UNREACHS), 2);
	assert_true(cu.events & POLLERR);
	assert_int_equal(recv_buf(c, b, sizeof(b), 0), -ECONNREFUSED);
	assert_int_equal(recv_buf(c, b, sizeof(b), 0), -EAGAIN);
	assert_int_equal(send_buf(c, "again", 5), 5);
	nst_settle(t);
	assert_int_equal(send_buf(c, "again", 5), -ECONNREFUSED);
	assert_int_equal(send_buf(c, "again", 5), 5);
	nst_settle(t);
	assert_int_equal(int_opt(c, SOL_SOCKET, SO_ERROR), ECONNREFUSED);
	/* An unconnected socket is not told. */
	assert_int_equal(sendto_buf(other, "x", 1, AF_INET, "127.0.0.1", 7000), 1);
	nst_settle(t);
	assert_int_equal(recv_buf(other, b, sizeof(b), 0), -EAGAIN);
	assert_int_equal(int_opt(other, SOL_SOCKET, SO_ERROR), 0);
	/* AF_UNSPEC disconnects (and frees the autobound port). */
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	assert_int_equal(ns_ep_connect(c, &unspec, sizeof(unspec)), 0);
	assert_int_equal(ns_ep_getname(c, &ss, &sl, 1), -ENOTCONN);
	assert_int_equal(local_port(c), 0);
	assert_int_equal(send_buf(c, "x", 1), -EDESTADDRREQ);
	CLOSE_ALL(c, other);
}

static void test_udp_ipv6_and_dual_stack(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *d = sock(t, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(d, AF_INET6, "::", 6000), 0);
	struct ns_endpoint *c4 = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct ns_endpoint *c6 = sock(t, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(c4, "four", 4, AF_INET, "127.0.0.1", 6000), 4);
	assert_int_equal(sendto_buf(c6, "six", 3, AF_INET6, "::1", 6000), 3);
	nst_settle(t);
	char b[16], ip[64];
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct iovec iov = {b, sizeof(b)};
	assert_int_equal(ns_ep_recvmsg(d, &iov, 1, 0, &from, &fl, NULL), 4);
	assert_int_equal(fl, sizeof(struct sockaddr_in6));
	assert_string_equal(sa_ip(&from, ip), "::ffff:127.0.0.1");
	assert_int_equal(ns_ep_recvmsg(d, &iov, 1, 0, &from, &fl, NULL), 3);
	assert_string_equal(sa_ip(&from, ip), "::1");
	/* The v6 socket answers the v4 peer through the mapped address, and
	 * takes an AF_INET address too (udpv6_sendmsg). */
	assert_int_equal(sendto_buf(d, "back", 4, AF_INET6, "::ffff:127.0.0.1", local_port(c4)), 4);
	assert_int_equal(sendto_buf(d, "bak2", 4, AF_INET, "127.0.0.1", local_port(c4)), 4);
	nst_settle(t);
	assert_int_equal(recv_buf(c4, b, sizeof(b), 0), 4);
	assert_int_equal(recv_buf(c4, b, sizeof(b), 0), 4);
	/* IPV6_V6ONLY: no IPv4 at all. */
	struct ns_endpoint *o = sock(t, AF_INET6, SOCK_DGRAM, 0);
	assert_int_equal(set_int(o, IPPROTO_IPV6, IPV6_V6ONLY, 1), 0);
	assert_int_equal(int_opt(o, IPPROTO_IPV6, IPV6_V6ONLY), 1);
	assert_int_equal(do_bind(o, AF_INET6, "::ffff:127.0.0.1", 0), -EINVAL);
	assert_int_equal(do_bind(o, AF_INET6, "::", 6001), 0);
	assert_int_equal(sendto_buf(o, "x", 1, AF_INET6, "::ffff:127.0.0.1", 6000), -ENETUNREACH);
	assert_int_equal(sendto_buf(c4, "x", 1, AF_INET, "127.0.0.1", 6001), 1);
	nst_settle(t);
	assert_int_equal(recv_buf(o, b, sizeof(b), 0), -EAGAIN);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_UDP_NO_PORTS), 1);
	/* Connect over IPv6 to the any address means ::1. */
	assert_int_equal(do_connect(c6, AF_INET6, "::", 6000), 0);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	assert_int_equal(ns_ep_getname(c6, &ss, &sl, 1), 0);
	assert_string_equal(sa_ip(&ss, ip), "::1");
	assert_int_equal(set_int(c6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 7), 0);
	assert_int_equal(int_opt(c6, IPPROTO_IPV6, IPV6_UNICAST_HOPS), 7);
	assert_int_equal(set_int(c6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 256), -EINVAL);
	assert_int_equal(set_int(c6, IPPROTO_IPV6, IPV6_TCLASS, 0x20), 0);
	assert_int_equal(int_opt(c6, IPPROTO_IPV6, IPV6_TCLASS), 0x20);
	CLOSE_ALL(d, c4, c6, o);
}

static size_t echo_request(uint8_t *p, uint16_t id, uint16_t seq, bool v6, size_t len)
{
	memset(p, 0, len);
	p[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	p[4] = (uint8_t)(id >> 8);
	p[5] = (uint8_t)id;
	p[6] = (uint8_t)(seq >> 8);
	p[7] = (uint8_t)seq;
	for (size_t i = 8; i < len; i++)
		p[i] = (uint8_t)i;
	return len;
}

/* Docker's DNS relay (NS_BIND_INTERCEPT on 127.0.0.11:53): a DNS server
 * in the container still binds 0.0.0.0:53, and each gets its own queries. */
static void test_udp_intercept_leaves_the_port_to_the_app(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *relay = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_storage ss;
	socklen_t sl = sa_make(&ss, AF_INET, "127.0.0.11", 53);
	assert_int_equal(ns_ep_bind(relay, (struct sockaddr *)&ss, sl,
				    NS_BIND_PRIVILEGED | NS_BIND_INTERCEPT),
			 0);
	struct ns_endpoint *app = sock(t, AF_INET, SOCK_DGRAM, 0);
	sl = sa_make(&ss, AF_INET, "0.0.0.0", 53);
	assert_int_equal(ns_ep_bind(app, (struct sockaddr *)&ss, sl, NS_BIND_PRIVILEGED), 0);
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(c, "a", 1, AF_INET, "127.0.0.11", 53), 1);
	assert_int_equal(sendto_buf(c, "b", 1, AF_INET, "127.0.0.1", 53), 1);
	nst_settle(t);
	char buf[4];
	assert_int_equal(recv_buf(relay, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'a');
	assert_int_equal(recv_buf(app, buf, sizeof(buf), 0), 1);
	assert_int_equal(buf[0], 'b');
	assert_int_equal(recv_buf(relay, buf, sizeof(buf), 0), -EAGAIN);
	CLOSE_ALL(c, app, relay);
}

/* SO_BINDTOIFINDEX: a datagram that came in on another interface is not
 * the endpoint's; two endpoints bound to different interfaces share a
 * port, an unbound one conflicts with both. */
static void test_udp_bound_device_filters_and_shares_the_port(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *other = sock(t, AF_INET, SOCK_DGRAM, 0);
	struct ns_endpoint *lo = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(set_int(other, SOL_SOCKET, SO_BINDTOIFINDEX, 5), 0);
	assert_int_equal(int_opt(other, SOL_SOCKET, SO_BINDTOIFINDEX), 5);
	assert_int_equal(set_int(lo, SOL_SOCKET, SO_BINDTOIFINDEX, 1), 0);
	assert_int_equal(do_bind(other, AF_INET, "127.0.0.1", 5353), 0);
	assert_int_equal(do_bind(lo, AF_INET, "127.0.0.1", 5353), 0);
	struct ns_endpoint *any = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(do_bind(any, AF_INET, "127.0.0.1", 5353), -EADDRINUSE);
	struct ns_endpoint *c = sock(t, AF_INET, SOCK_DGRAM, 0);
	assert_int_equal(sendto_buf(c, "d", 1, AF_INET, "127.0.0.1", 5353), 1);
	nst_settle(t);
	char buf[4];
	assert_int_equal(recv_buf(lo, buf, sizeof(buf), 0), 1);
	assert_int_equal(recv_buf(other, buf, sizeof(buf), 0), -EAGAIN);
	/* Bound to an interface with no route to the destination. */
	assert_int_equal(sendto_buf(other, "e", 1, AF_INET, "10.1.2.3", 53), -ENETUNREACH);
	CLOSE_ALL(c, any, lo, other);
}

static void test_ping_sockets(void **state)
{
	struct nst *t = *state;
	struct ns_endpoint *p4 = sock(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	struct ns_endpoint *p6 = sock(t, AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	assert_int_equal(int_opt(p4, SOL_SOCKET, SO_PROTOCOL), IPPROTO_ICMP);
	uint8_t req[64], rep[128];
	/* The identifier the application writes is replaced by the socket's. */
	echo_request(req, 0xdead, 1, false, 64);
	assert_int_equal(sendto_buf(p4, req, 64, AF_INET, "127.0.0.1", 0), 64);
	uint16_t id = local_port(p4);
	assert_true(id != 0);
	nst_settle(t);
	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	struct iovec iov = {rep, sizeof(rep)};
	char ip[64];
	assert_int_equal(ns_ep_recvmsg(p4, &iov, 1, 0, &from, &fl, NULL), 64);
	assert_string_equal(sa_ip(&from, ip), "127.0.0.1");
	assert_int_equal(rep[0], ICMP_ECHOREPLY);
	assert_int_equal(rep[4] << 8 | rep[5], id);
	assert_int_equal(rep[7], 1);
	assert_memory_equal(rep + 8, req + 8, 56);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_ICMP_IN_ECHOS), 1);
	assert_int_equal(ns_stack_counter(t->s, NS_CTR_ICMP_IN_ECHO_REPS), 1);
	/* IPv6. */
	echo_request(req, 0, 9, true, 32);
	assert_int_equal(sendto_buf(p6, req, 32, AF_INET6, "::1", 0), 32);
	nst_settle(t);
	assert_int_equal(ns_ep_recvmsg(p6, &iov, 1, 0, &from, &fl, NULL), 32);
	assert_int_equal(rep[0], ICMP6_ECHO_REPLY);
	assert_int_equal(rep[7], 9);
	/* Bad requests (ping_common_sendmsg). */
	assert_int_equal(sendto_buf(p4, req, 7, AF_INET, "127.0.0.1", 0), -EINVAL);
	echo_request(req, 0, 1, false, 16);
	req[0] = ICMP_TIMESTAMP;
	assert_int_equal(sendto_buf(p4, req, 16, AF_INET, "127.0.0.1", 0), -EINVAL);
	echo_request(req, 0, 1, false, 16);
	req[1] = 1;
	assert_int_equal(sendto_buf(p4, req, 16, AF_INET, "127.0.0.1", 0), -EINVAL);
	echo_request(req, 0, 1, true, 16);
	assert_int_equal(sendto_buf(p6, req, 16, AF_INET6, "::ffff:127.0.0.1", 0), -EINVAL);
	/* A connected ping socket. */
	assert_int_equal(do_connect(p4, AF_INET, "127.0.0.1", 0), 0);
	echo_request(req, 0, 2, false, 16);
	assert_int_equal(send_buf(p4, req, 16), 16);
	nst_settle(t);
	assert_int_equal(recv_buf(p4, rep, sizeof(rep), 0), 16);
	/* Two ping sockets cannot share an identifier; bind chooses it. */
	struct ns_endpoint *q = sock(t, AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	assert_int_equal(do_bind(q, AF_INET, "127.0.0.1", id), -EADDRINUSE);
	assert_int_equal(do_bind(q, AF_INET, "127.0.0.1", 4242), 0);
	assert_int_equal(local_port(q), 4242);
	struct ns_ep_info *rows;
	int n = ns_stack_endpoints(t->s, IPPROTO_ICMP, &rows);
	assert_int_equal(n, 3);
	free(rows);
	CLOSE_ALL(p4, p6, q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    NST_TEST(test_udp_sendto_recvfrom),
	    NST_TEST(test_udp_send_waits_for_delivery_over_lo),
	    NST_TEST(test_udp_errors),
	    NST_TEST(test_udp_connected_and_port_unreachable),
	    NST_TEST(test_udp_ipv6_and_dual_stack),
	    NST_TEST(test_udp_intercept_leaves_the_port_to_the_app),
	    NST_TEST(test_udp_bound_device_filters_and_shares_the_port),
	    NST_TEST(test_ping_sockets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
