/*
 * Unit tests for the container-interface hand-off: runtime/net_*.c (netlink
 * discovery, the AF_PACKET socket with its rings, the control request,
 * taking addresses off) and the Sentry's side (sentry/socket/packet_link.c,
 * netcfg.c), end to end in a private network namespace holding a veth pair
 * va <-> vb: the runtime side opens va, the test plays the host on vb with
 * a plain AF_PACKET socket.  Needs root (unshare(CLONE_NEWNET) and `ip`);
 * skipped otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/verr.h"
#include "netstack/netstack.h"
#include "runtime/net.h"
#include "sentry/socket/dns_relay.h"
#include "sentry/socket/inet.h"
#include "sentry/socket/packet_link.h"

static bool have_netns;

static int group_setup(void **state)
{
	if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0)
		return 0;
	if (system("ip link set lo up && ip link add va address 02:00:00:00:00:0a mtu 1400 type veth peer name vb "
		   "address 02:00:00:00:00:0b && ip link set va up && ip link set vb up && "
		   "ip addr add 10.9.0.2/24 dev va && ip route add default via 10.9.0.1 dev va && "
		   "ip neigh add 10.9.0.1 lladdr 02:00:00:00:00:0b dev va") != 0)
		return 0;
	have_netns = true;
	return 0;
}

#define NEED_NETNS()                                                                               \
	do {                                                                                       \
		if (!have_netns)                                                                   \
			skip();                                                                    \
	} while (0)

static const struct net_link *find_link(const struct net_config *c, const char *name)
{
	for (int i = 0; i < c->nlinks; i++)
		if (!strcmp(c->links[i].name, name))
			return &c->links[i];
	return NULL;
}

static void test_discover_reads_links_addresses_routes_neighbours(void **state)
{
	NEED_NETNS();
	struct net_config *c = calloc(1, sizeof(*c));
	struct verr err = {0};
	assert_int_equal(net_discover(c, &err), 0);
	assert_int_equal(c->nlinks, 2); /* va, vb; lo is skipped */
	const struct net_link *va = find_link(c, "va");
	assert_non_null(va);
	assert_int_equal(va->mtu, 1400);
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x0a};
	assert_memory_equal(va->mac, mac, 6);
	assert_string_equal(va->kind, "veth");
	assert_int_equal(va->fd, -1);
	bool v4 = false;
	for (int i = 0; i < va->naddrs; i++)
		if (va->addrs[i].family == AF_INET) {
			uint8_t want[4] = {10, 9, 0, 2};
			assert_memory_equal(va->addrs[i].addr, want, 4);
			assert_int_equal(va->addrs[i].prefixlen, 24);
			v4 = true;
		}
	assert_true(v4);
	bool dflt = false;
	for (int i = 0; i < c->nroutes; i++) {
		const struct net_route *r = &c->routes[i];
		if (r->family == AF_INET && r->dst_len == 0 && r->has_gw) {
			uint8_t gw[4] = {10, 9, 0, 1};
			assert_memory_equal(r->gw, gw, 4);
			assert_string_equal(c->links[r->link].name, "va");
			dflt = true;
		}
	}
	assert_true(dflt);
	bool neigh = false;
	for (int i = 0; i < c->nneighs; i++)
		if (c->neighs[i].family == AF_INET && c->neighs[i].addr[3] == 1)
			neigh = true;
	assert_true(neigh);
	free(c);
}

static void test_request_names_links_routes_and_rings(void **state)
{
	struct net_config *c = calloc(1, sizeof(*c));
	c->nlinks = 1;
	struct net_link *l = &c->links[0];
	strcpy(l->name, "eth0");
	l->mtu = 1500;
	memcpy(l->mac, "\x02\x42\xac\x11\x00\x02", 6);
	l->naddrs = 1;
	l->addrs[0] = (struct net_addr){.family = AF_INET, .addr = {172, 17, 0, 2}, .prefixlen = 16};
	l->rings = (struct net_rings){262144, 32, 2048, 262144, 4, 2048, TPACKET_V2, NET_RINGS_VNET};
	c->nroutes = 1;
	c->routes[0] = (struct net_route){
	    .family = AF_INET, .dst_len = 0, .gw = {172, 17, 0, 1}, .has_gw = true, .link = 0};
	c->dns_fd = -1;
	c->release_fd = -1;
	char *req = net_config_request(c);
	assert_non_null(req);
	assert_string_equal(
	    req, "{\"op\":\"net\",\"links\":[{\"name\":\"eth0\",\"mtu\":1500,\"mac\":\"02:42:ac:11:00:02\","
		 "\"addrs\":[\"172.17.0.2/16\"],\"rings\":[262144,32,2048,262144,4,2048,2,1]}],"
		 "\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"172.17.0.1\",\"link\":0,\"metric\":0}],"
		 "\"neighbours\":[]}");
	free(req);
	/* IPv6 turned on by the spec: the link asks for its link-local address. */
	l->ipv6_ll = true;
	req = net_config_request(c);
	assert_non_null(strstr(req, "\"addrs\":[\"172.17.0.2/16\"],\"ipv6_ll\":true,\"rings\""));
	free(req);
	/* A release anchor goes last and says so. */
	c->release_fd = 9;
	req = net_config_request(c);
	assert_non_null(strstr(req, "\"neighbours\":[],\"release\":true}"));
	free(req);
	free(c);
}

static bool hung_up(int fd, int timeout_ms)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLHUP);
}

/* A unix socket that is garbage the moment it is closed: a collection runs. */
static void run_unix_gc(void)
{
	int sp[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sp), 0);
	char byte = 0;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &sp[0], sizeof(int));
	assert_int_equal(sendmsg(sp[1], &m, 0), 1);
	close(sp[0]);
	close(sp[1]);
	usleep(20 * 1000);
}

/* The anchor keeps what it was given alive, through collections, while it
 * is open (the Sentry's lifetime), and lets go of it once closed: a pipe's
 * write end handed to it sees its reader get EOF only then. */
static void test_release_anchor_holds_fds_until_it_is_closed(void **state)
{
	int p[2], q[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC), 0);
	int fds[2] = {p[1], q[1]};
	int anchor = net_release_anchor(fds, 2);
	assert_true(anchor >= 0);
	close(p[1]);
	close(q[1]);
	run_unix_gc();
	assert_false(hung_up(p[0], 50));
	assert_false(hung_up(q[0], 0));
	close(anchor);
	assert_true(hung_up(p[0], 5000));
	assert_true(hung_up(q[0], 5000));
	close(p[0]);
	close(q[0]);
	assert_int_equal(net_release_anchor(fds, 0), -EINVAL);
}

/* A plain AF_PACKET socket on vb: the host's end of the wire. */
static int host_socket(void)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	assert_true(fd >= 0);
	struct sockaddr_ll sll = {.sll_family = AF_PACKET,
				  .sll_protocol = htons(ETH_P_ALL),
				  .sll_ifindex = (int)if_nametoindex("vb")};
	assert_int_equal(bind(fd, (struct sockaddr *)&sll, sizeof(sll)), 0);
	return fd;
}

static void frame(uint8_t *f, size_t len, uint8_t tag)
{
	memset(f, tag, len);
	memcpy(f, "\x02\x00\x00\x00\x00\x0b", 6);	/* to vb */
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x0a", 6); /* from va */
	f[12] = 0x88;				/* a local experimental EtherType */
	f[13] = 0xb5;
}

static struct ns_pbuf *got;
static void on_deliver(void *ctx, struct link_endpoint *ep, struct ns_pbuf *pb)
{
	const uint8_t *d = ns_pbuf_data(pb);
	if (pb->len < 14 || d[12] != 0x88 || d[13] != 0xb5) {
		ns_pbuf_free(pb); /* not ours: the kernel's IPv6 chatter */
		return;
	}
	if (got)
		ns_pbuf_free(got);
	got = pb;
}

static int fds_open(void);

/* prepared: the socket and rings made first (net_packet_prepare, as
 * create does while the hooks run), then bound to the link. */
static void sends_and_receives(int version, bool prepared)
{
	struct net_link l = {.ifindex = (int)if_nametoindex("va"), .mtu = 1400, .fd = -1};
	strcpy(l.name, "va");
	struct verr err = {0};
	int host = host_socket();
	if (prepared) {
		struct net_rings r;
		int fd = net_packet_prepare(version, &r);
		assert_true(fd >= 0);
		assert_int_equal(net_packet_bind(&l, fd, &r, &err), 0);
		assert_int_equal(l.fd, fd);
	} else {
		assert_int_equal(net_packet_open(&l, version, &err), 0);
	}
	struct link_endpoint *ep;
	struct packet_rings g = {l.rings.rx_block_size, l.rings.rx_block_nr, l.rings.rx_frame_size,
				 l.rings.tx_block_size, l.rings.tx_block_nr, l.rings.tx_frame_size,
				 version == TPACKET_V3 ? 3 : 2, l.rings.flags};
	/* V2 takes GSO frames behind a virtio_net_hdr; V3 does not. */
	assert_int_equal(l.rings.flags, version == TPACKET_V2 ? NET_RINGS_VNET : 0);
	assert_int_equal(packet_link_new(l.fd, "eth0", 1400, (const uint8_t *)"\2\0\0\0\0\x0a", &g,
					 &ep),
			 0);
	assert_int_equal(ep->type, NS_LINK_ETHERNET);
	assert_int_equal(packet_link_fd(ep), l.fd);
	ns_link_set_deliver(ep, on_deliver, NULL);

	/* Out: a frame queued in the TX ring reaches the host end. */
	uint8_t f[1414], in[2048];
	frame(f, 100, 0x5a);
	assert_int_equal(ns_link_send_copy(ep, f, 100), 0);
	/* The kernel's own IPv6 chatter on the pair is skipped: only our
	 * EtherType counts. */
	ssize_t got_len = -1;
	for (int i = 0; i < 20; i++) {
		struct pollfd p = {.fd = host, .events = POLLIN};
		assert_int_equal(poll(&p, 1, 2000), 1);
		got_len = recv(host, in, sizeof(in), 0);
		if (got_len >= 14 && in[12] == 0x88 && in[13] == 0xb5)
			break;
	}
	assert_int_equal(got_len, 100);
	assert_memory_equal(in, f, 100);
	assert_int_equal(ep->tx_packets, 1);

	/* Too short, too long. */
	assert_int_equal(ns_link_send_copy(ep, f, 10), -EINVAL);
	uint8_t big[1500];
	frame(big, sizeof(big), 1);
	assert_int_equal(ns_link_send_copy(ep, big, 1415), -EMSGSIZE);

	/* In: what the host sends shows up on a poll once the kernel
	 * retires the block (1 ms at most). */
	frame(f, sizeof(f), 0xa5);
	memcpy(f, "\x02\x00\x00\x00\x00\x0a", 6);
	assert_int_equal(send(host, f, sizeof(f), 0), (ssize_t)sizeof(f));
	for (int i = 0; i < 200 && !got; i++) {
		struct pollfd q = {.fd = l.fd, .events = POLLIN};
		poll(&q, 1, 10);
		ns_link_poll(ep, 16);
	}
	assert_non_null(got);
	assert_int_equal(got->len, sizeof(f));
	assert_memory_equal(ns_pbuf_data(got), f, sizeof(f));
	ns_pbuf_free(got);
	got = NULL;
	assert_true(ep->rx_packets >= 1);
	ns_link_destroy(ep);
	close(host);
}

static void test_packet_link_v2_sends_and_receives_through_the_rings(void **state)
{
	NEED_NETNS();
	sends_and_receives(TPACKET_V2, false);
}

static void test_prepared_socket_bound_later_sends_and_receives(void **state)
{
	NEED_NETNS();
	sends_and_receives(TPACKET_V2, true);
	/* V3's rings follow the MTU: nothing to prepare. */
	struct net_rings r;
	assert_int_equal(net_packet_prepare(TPACKET_V3, &r), -EOPNOTSUPP);
	/* A bind that fails closes the socket and says why. */
	int fd = net_packet_prepare(TPACKET_V2, &r);
	assert_true(fd >= 0);
	struct net_link none = {.ifindex = 999999, .fd = -1};
	strcpy(none.name, "gone");
	struct verr err = {0};
	assert_true(net_packet_bind(&none, fd, &r, &err) < 0);
	assert_non_null(strstr(err.msg, "gone"));
	assert_int_equal(none.fd, -1);
	assert_true(fcntl(fd, F_GETFD) < 0);
}

/* The AF_PACKET sockets of this namespace (/proc/net/packet, less its
 * header line). */
static int packet_sockets(void)
{
	FILE *f = fopen("/proc/net/packet", "re");
	if (!f)
		return -1;
	int n = -1;
	char line[256];
	while (fgets(line, sizeof(line), f))
		n++;
	fclose(f);
	return n;
}

/* Wait up to 5 s for the namespace to hold n AF_PACKET sockets. */
static bool packet_sockets_become(int n)
{
	for (int i = 0; i < 500; i++) {
		if (packet_sockets() == n)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* Made ahead in a process's namespace and not taken: the thread is
 * waited for and the socket goes (released after, not in, the discard),
 * leaving no fd behind. */
static void test_early_socket_not_taken_is_discarded(void **state)
{
	NEED_NETNS();
	assert_true(packet_sockets_become(0));
	int before = fds_open();
	struct net_early e;
	net_early_start(&e, getpid());
	assert_true(e.running);
	assert_true(packet_sockets_become(1));
	net_early_discard(&e);
	assert_false(e.running);
	assert_int_equal(e.fd, -1);
	assert_int_equal(fds_open(), before);
	assert_true(packet_sockets_become(0));
}

static void test_packet_link_v3_sends_and_receives_through_the_rings(void **state)
{
	NEED_NETNS();
	sends_and_receives(TPACKET_V3, false);
}

static void test_packet_link_refuses_a_bad_ring_geometry(void **state)
{
	struct link_endpoint *ep = NULL;
	struct packet_rings g = {262144, 32, 2048, 262144, 4, 2048, 2, 0};
	struct packet_rings bad = g;
	bad.version = 1;
	int fd = dup(0);
	assert_int_equal(packet_link_new(fd, "eth0", 1500, (const uint8_t *)"\2\0\0\0\0\1", &bad, &ep),
			 -EINVAL);
	bad = g;
	bad.rx_block_size = 1000; /* not a page multiple */
	fd = dup(0);
	assert_int_equal(packet_link_new(fd, "eth0", 1500, (const uint8_t *)"\2\0\0\0\0\1", &bad, &ep),
			 -EINVAL);
	bad = g;
	bad.tx_frame_size = 100; /* smaller than the header */
	fd = dup(0);
	assert_int_equal(packet_link_new(fd, "eth0", 1500, (const uint8_t *)"\2\0\0\0\0\1", &bad, &ep),
			 -EINVAL);
	fd = dup(0);
	assert_int_equal(packet_link_new(fd, "eth0", 40, (const uint8_t *)"\2\0\0\0\0\1", &g, &ep),
			 -EINVAL);
	assert_null(ep);
}

static int fds_open(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static void test_netcfg_refuses_malformed_requests_and_closes_the_fds(void **state)
{
	assert_int_equal(inet_stack_start(INET_NETWORK_SANDBOX), 0);
	char msg[256];
	static const char *const bad[] = {
	    "{}",
	    "{\"links\":{}}",
	    "{\"links\":[{\"name\":\"eth0\"}]}",
	    "{\"links\":[{\"name\":\"eth0\",\"mtu\":1500,\"mac\":\"02:42:ac:11:00\",\"rings\":[1,2,3,4,5,6,2]}]}",
	    "{\"links\":[{\"name\":\"eth0\",\"mtu\":1500,\"mac\":\"02:42:ac:11:00:02\",\"rings\":[1,2]}]}",
	    "{\"links\":[{\"name\":\"a-name-far-too-long\",\"mtu\":1500,\"mac\":\"02:42:ac:11:00:02\","
	    "\"rings\":[262144,32,2048,262144,4,2048,2]}]}",
	    "{\"links\":[{\"name\":\"eth0\",\"mtu\":1500,\"mac\":\"02:42:ac:11:00:02\","
	    "\"rings\":[262144,32,2048,262144,4,2048,4]}]}",
	    "{\"links\":[{\"name\":\"eth0\",\"mtu\":1500,\"mac\":\"02:42:ac:11:00:02\","
	    "\"rings\":[262144,32,2048,262144,4,2048,2,2]}]}",
	    "{\"links\":[{\"name\":\"eth0\",\"mtu\":1500,\"mac\":\"02:42:ac:11:00:02\","
	    "\"rings\":[262144,32,2048,262144,4,2048,3,1]}]}",
	    "not json",
	};
	int before = fds_open();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fds[1] = {dup(0)};
		assert_int_equal(netcfg_apply(bad[i], strlen(bad[i]), fds, 1, msg, sizeof(msg)),
				 -EINVAL);
		assert_true(msg[0] != 0);
	}
	/* Two fds for one link. */
	const char *one = "{\"links\":[]}";
	int fds[2] = {dup(0), dup(0)};
	assert_int_equal(netcfg_apply(one, strlen(one), fds, 2, msg, sizeof(msg)), -EINVAL);
	/* A release anchor announced but not sent, or not a boolean. */
	const char *rel = "{\"links\":[],\"release\":true}";
	assert_int_equal(netcfg_apply(rel, strlen(rel), fds, 0, msg, sizeof(msg)), -EINVAL);
	const char *relnum = "{\"links\":[],\"release\":1}";
	fds[0] = dup(0);
	assert_int_equal(netcfg_apply(relnum, strlen(relnum), fds, 1, msg, sizeof(msg)), -EINVAL);
	assert_int_equal(fds_open(), before);
	/* One that is sent is kept open, for the Sentry's lifetime. */
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	fds[0] = p[1];
	assert_int_equal(netcfg_apply(rel, strlen(rel), fds, 1, msg, sizeof(msg)), 0);
	assert_int_equal(fds[0], -1);
	assert_false(hung_up(p[0], 0));
	close(p[0]);
	inet_stack_stop();
}

static bool has_nic(struct ns_stack *s, const char *name, uint32_t mtu)
{
	struct ns_nic_info *v;
	int n = ns_stack_nics(s, &v);
	bool found = false;
	for (int i = 0; i < n; i++)
		if (!strcmp(v[i].name, name) && v[i].mtu == mtu && v[i].type == NS_LINK_ETHERNET)
			found = true;
	free(v);
	return found;
}

static void test_discovered_link_joins_the_stack_with_its_address_and_route(void **state)
{
	NEED_NETNS();
	assert_int_equal(inet_stack_start(INET_NETWORK_SANDBOX), 0);
	struct net_config *c = calloc(1, sizeof(*c));
	struct verr err = {0};
	assert_int_equal(net_discover(c, &err), 0);
	/* Only va goes to the sandbox. */
	int va = find_link(c, "va") - c->links;
	c->links[0] = c->links[va];
	int nr = 0;
	for (int i = 0; i < c->nroutes; i++)
		if (c->routes[i].link == va) {
			c->routes[nr] = c->routes[i];
			c->routes[nr++].link = 0;
		}
	c->nroutes = nr;
	c->nlinks = 1;
	c->nneighs = 0;
	assert_int_equal(net_packet_open(&c->links[0], NET_TPACKET_VERSION, &err), 0);
	char *req = net_config_request(c);
	char msg[256] = "";
	int fds[1] = {c->links[0].fd};
	int r = netcfg_apply(req, strlen(req), fds, 1, msg, sizeof(msg));
	if (r < 0)
		print_error("netcfg: %s\n", msg);
	assert_int_equal(r, 0);
	struct ns_stack *s = inet_stack();
	assert_true(has_nic(s, "va", 1400));
	struct ns_route_info *rt;
	int n = ns_stack_routes(s, &rt);
	bool dflt = false;
	for (int i = 0; i < n; i++)
		if (rt[i].family == AF_INET && rt[i].prefixlen == 0 && rt[i].has_gateway &&
		    rt[i].gateway[3] == 1)
			dflt = true;
	free(rt);
	assert_true(dflt);

	/* The host side gives its address up; putting it back works too. */
	const struct net_link *l = &c->links[0];
	for (int i = 0; i < l->naddrs; i++)
		assert_int_equal(net_addr_change(l->ifindex, &l->addrs[i], false), 0);
	struct net_config *after = calloc(1, sizeof(*after));
	assert_int_equal(net_discover(after, &err), 0);
	assert_int_equal(find_link(after, "va")->naddrs, 0);
	assert_int_equal(net_addr_change(l->ifindex, &l->addrs[0], true), 0);
	assert_int_equal(net_addr_change(l->ifindex, &l->addrs[0], true), -EEXIST);
	free(after);
	free(req);
	free(c);
	inet_stack_stop();
}

static int write_sysctl(const char *path, const char *v)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int r = fputs(v, f) < 0 ? -1 : 0;
	return fclose(f) || r ? -1 : 0;
}

static int connect6(struct ns_endpoint *ep, const char *ip, int port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return ns_ep_connect(ep, (struct sockaddr *)&a, sizeof(a));
}

/* A namespace whose lo has IPv6 off (Docker's disable_ipv6 in containers
 * without IPv6) is seen so, and the Sentry's lo drops ::1: connects to ::1
 * fail with EADDRNOTAVAIL as under Linux, and getaddrinfo's RFC 6724 sort
 * puts 127.0.0.1 first for "localhost". */
static void test_lo_without_ipv6_takes_loopback_v6_off(void **state)
{
	NEED_NETNS();
	struct net_config *c = calloc(1, sizeof(*c));
	struct verr err = {0};
	assert_int_equal(net_discover(c, &err), 0);
	assert_false(c->lo_ipv6_off);
	char *req = net_config_request(c);
	assert_null(strstr(req, "lo_ipv6"));
	free(req);
	if (write_sysctl("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "1") < 0) {
		free(c);
		skip();
	}
	assert_int_equal(net_discover(c, &err), 0);
	assert_int_equal(write_sysctl("/proc/sys/net/ipv6/conf/lo/disable_ipv6", "0"), 0);
	assert_true(c->lo_ipv6_off);
	/* Only lo's part of the request: no link. */
	c->nlinks = 0;
	c->nroutes = 0;
	c->nneighs = 0;
	req = net_config_request(c);
	assert_non_null(strstr(req, "\"lo_ipv6\":false"));

	assert_int_equal(inet_stack_start(INET_NETWORK_SANDBOX), 0);
	struct ns_endpoint *ep;
	assert_int_equal(ns_ep_create(inet_stack(), AF_INET6, SOCK_DGRAM, 0, &ep), 0);
	assert_int_equal(connect6(ep, "::1", 9), 0);
	ns_ep_close(ep);
	char msg[256] = "";
	assert_int_equal(netcfg_apply(req, strlen(req), NULL, 0, msg, sizeof(msg)), 0);
	assert_int_equal(ns_ep_create(inet_stack(), AF_INET6, SOCK_DGRAM, 0, &ep), 0);
	assert_int_equal(connect6(ep, "::1", 9), -EADDRNOTAVAIL);
	struct sockaddr_in6 b = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	assert_int_equal(ns_ep_bind(ep, (struct sockaddr *)&b, sizeof(b), 0), -EADDRNOTAVAIL);
	/* IPv4 through an IPv6 socket still works. */
	assert_int_equal(connect6(ep, "::ffff:127.0.0.1", 9), 0);
	ns_ep_close(ep);
	assert_int_equal(ns_ep_create(inet_stack(), AF_INET6, SOCK_STREAM, 0, &ep), 0);
	assert_int_equal(connect6(ep, "::1", 9), -EADDRNOTAVAIL);
	ns_ep_close(ep);
	/* Not a boolean: refused. */
	const char *badreq = "{\"links\":[],\"lo_ipv6\":0}";
	assert_int_equal(netcfg_apply(badreq, strlen(badreq), NULL, 0, msg, sizeof(msg)), -EINVAL);
	inet_stack_stop();
	free(req);
	free(c);
}

/* The relay: an app query to 127.0.0.11:53 reaches the "resolver" (a host
 * UDP socket here) under another id, and its answer comes back to the app
 * from 127.0.0.11:53 with the app's id. */
static void test_dns_relay_forwards_queries_and_answers(void **state)
{
	assert_int_equal(inet_stack_start(INET_NETWORK_SANDBOX), 0);
	assert_int_equal(inet_stack_run(), 0);
	int resolver = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in ra = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t rl = sizeof(ra);
	assert_int_equal(bind(resolver, (struct sockaddr *)&ra, sizeof(ra)), 0);
	assert_int_equal(getsockname(resolver, (struct sockaddr *)&ra, &rl), 0);
	int host = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(host, (struct sockaddr *)&ra, sizeof(ra)), 0);
	assert_int_equal(dns_relay_start(host), 0);

	struct ns_endpoint *app;
	assert_int_equal(ns_ep_create(inet_stack(), AF_INET, SOCK_DGRAM, 0, &app), 0);
	struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};
	dns.sin_addr.s_addr = htonl(0x7f00000b);
	unsigned char q[20] = {0x12, 0x34, 1, 0, 0, 1};
	memcpy(q + 12, "question", 8);
	struct iovec iov = {.iov_base = q, .iov_len = sizeof(q)};
	assert_int_equal(ns_ep_sendmsg(app, &iov, 1, 0, (struct sockaddr *)&dns, sizeof(dns)),
			 (ssize_t)sizeof(q));
	inet_stack_poll_inline();

	unsigned char in[64];
	struct sockaddr_in peer;
	socklen_t pl = sizeof(peer);
	struct pollfd p = {.fd = resolver, .events = POLLIN};
	assert_int_equal(poll(&p, 1, 3000), 1);
	ssize_t n = recvfrom(resolver, in, sizeof(in), 0, (struct sockaddr *)&peer, &pl);
	assert_int_equal(n, (ssize_t)sizeof(q));
	assert_memory_equal(in + 2, q + 2, sizeof(q) - 2);
	in[2] |= 0x80; /* QR: an answer */
	memcpy(in + 12, "answer!!", 8);
	assert_int_equal(sendto(resolver, in, (size_t)n, 0, (struct sockaddr *)&peer, pl), n);

	struct sockaddr_storage from;
	socklen_t fl = sizeof(from);
	unsigned char a[64];
	struct iovec ai = {.iov_base = a, .iov_len = sizeof(a)};
	ssize_t got = -EAGAIN;
	for (int i = 0; i < 300 && got == -EAGAIN; i++) {
		fl = sizeof(from);
		got = ns_ep_recvmsg(app, &ai, 1, MSG_DONTWAIT, &from, &fl, NULL);
		if (got == -EAGAIN)
			usleep(10000);
	}
	assert_int_equal(got, (ssize_t)sizeof(q));
	assert_int_equal(a[0], 0x12);
	assert_int_equal(a[1], 0x34);
	assert_memory_equal(a + 12, "answer!!", 8);
	const struct sockaddr_in *f4 = (const struct sockaddr_in *)&from;
	assert_int_equal(ntohs(f4->sin_port), 53);
	assert_int_equal(ntohl(f4->sin_addr.s_addr), 0x7f00000b);
	/* Only one relay. */
	assert_int_equal(dns_relay_start(dup(0)), -EBUSY);
	ns_ep_close(app);
	close(resolver);
	inet_stack_stop();
}

static void test_docker_dns_is_recognised_in_resolv_conf(void **state)
{
	char path[] = "/tmp/visor-resolv-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	dprintf(fd, "search example\nnameserver 127.0.0.11\noptions ndots:0\n");
	close(fd);
	assert_true(net_uses_docker_dns(path));
	fd = open(path, O_WRONLY | O_TRUNC);
	dprintf(fd, "nameserver 192.0.2.53\n# nameserver 127.0.0.11\n");
	close(fd);
	assert_false(net_uses_docker_dns(path));
	unlink(path);
	assert_false(net_uses_docker_dns(NULL));
	assert_false(net_uses_docker_dns("/nonexistent/resolv.conf"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_discover_reads_links_addresses_routes_neighbours),
	    cmocka_unit_test(test_request_names_links_routes_and_rings),
	    cmocka_unit_test(test_release_anchor_holds_fds_until_it_is_closed),
	    cmocka_unit_test(test_packet_link_v2_sends_and_receives_through_the_rings),
	    cmocka_unit_test(test_packet_link_v3_sends_and_receives_through_the_rings),
	    cmocka_unit_test(test_prepared_socket_bound_later_sends_and_receives),
	    cmocka_unit_test(test_early_socket_not_taken_is_discarded),
	    cmocka_unit_test(test_packet_link_refuses_a_bad_ring_geometry),
	    cmocka_unit_test(test_netcfg_refuses_malformed_requests_and_closes_the_fds),
	    cmocka_unit_test(test_discovered_link_joins_the_stack_with_its_address_and_route),
	    cmocka_unit_test(test_lo_without_ipv6_takes_loopback_v6_off),
	    cmocka_unit_test(test_dns_relay_forwards_queries_and_answers),
	    cmocka_unit_test(test_docker_dns_is_recognised_in_resolv_conf),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
