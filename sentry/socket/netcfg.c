/*
 * netcfg.c — the control request "net": the container's interfaces,
 * addresses and routes, as the runtime read them from the container's
 * network namespace, applied to the sandbox's stack (packet_link.h).
 *
 * The request is the runtime's, but it is still checked like any input:
 * every field's type and range, every address parsed with inet_pton, the
 * fd count equal to the link count.  The links are added first, then the
 * addresses (each adds its subnet route, as Linux), then the routes with a
 * gateway.  Neighbours are accepted and not used: the netstack resolves
 * them itself (ARP, ND).  With "dns":true one more fd follows the links':
 * the socket dns_relay.c relays 127.0.0.11:53 through.  "lo_ipv6":false
 * (the namespace's lo has no ::1: disable_ipv6, as Docker sets it) takes
 * ::1 off the Sentry's lo, so a connect or bind to ::1 fails with
 * EADDRNOTAVAIL and getaddrinfo puts 127.0.0.1 first, as under runc.  A
 * link with "ipv6_ll":true (the spec turned IPv6 on where the namespace had
 * it off) gets the EUI-64 link-local address Linux's addrconf makes.
 * With "release":true the last fd is the links' release anchor
 * (runtime/net.h, net_release_anchor): held, never used, until the Sentry
 * dies, so that the AF_PACKET sockets are released by the kernel after its
 * exit rather than during it.  Closing it early is harmless (the sockets
 * stay open while the Sentry holds them), so one that cannot be kept is
 * closed.
 */
#include "sentry/socket/packet_link.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "lib/log.h"
#include "netstack/netstack.h"
#include "sentry/socket/dns_relay.h"
#include "sentry/socket/inet.h"

#define NETCFG_MAX_LINKS 8
#define NETCFG_MAX_ANCHORS 4

/* The release anchors, open until the Sentry exits. */
static int release_anchor[NETCFG_MAX_ANCHORS];
static int nrelease_anchor;

static int bad(char *msg, size_t n, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, n, fmt, ap);
	va_end(ap);
	return -err;
}

static yajl_val get(yajl_val obj, const char *key)
{
	if (!obj || !YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

static bool get_u32(yajl_val obj, const char *key, uint32_t *out)
{
	yajl_val v = get(obj, key);
	if (!v || !YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 0 ||
	    YAJL_GET_INTEGER(v) > UINT32_MAX)
		return false;
	*out = (uint32_t)YAJL_GET_INTEGER(v);
	return true;
}

static const char *get_str(yajl_val obj, const char *key)
{
	yajl_val v = get(obj, key);
	return v && YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : NULL;
}

/* "a.b.c.d" or an IPv6 text: family and bytes. */
static int parse_ip(const char *s, int *family, uint8_t out[16])
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* "addr/len" */
static int parse_prefix(const char *s, int *family, uint8_t out[16], unsigned *len)
{
	char buf[64];
	const char *slash = s ? strchr(s, '/') : NULL;
	if (!slash || (size_t)(slash - s) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, (size_t)(slash - s));
	buf[slash - s] = 0;
	if (parse_ip(buf, family, out) < 0)
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long l = strtoul(slash + 1, &end, 10);
	if (errno || *end || end == slash + 1 || l > (*family == AF_INET ? 32u : 128u))
		return -EINVAL;
	*len = (unsigned)l;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (!s || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
			 &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static int parse_rings(yajl_val v, struct packet_rings *g)
{
	/* Seven sizes and the version, then the flags (may be absent or 0). */
	if (!v || !YAJL_IS_ARRAY(v) || (v->u.array.len != 7 && v->u.array.len != 8))
		return -EINVAL;
	uint32_t x[8] = {0};
	for (size_t i = 0; i < v->u.array.len; i++) {
		yajl_val e = v->u.array.values[i];
		long long min = i == 7 ? 0 : 1;
		if (!YAJL_IS_INTEGER(e) || YAJL_GET_INTEGER(e) < min ||
		    YAJL_GET_INTEGER(e) > UINT32_MAX)
			return -EINVAL;
		x[i] = (uint32_t)YAJL_GET_INTEGER(e);
	}
	if (x[7] & ~(uint32_t)PACKET_RINGS_VNET)
		return -EINVAL;
	*g = (struct packet_rings){x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]};
	return 0;
}

static int add_link(struct ns_stack *s, yajl_val l, int fd, int *ifindex, char *msg, size_t n)
{
	const char *name = get_str(l, "name");
	uint32_t mtu;
	uint8_t mac[6];
	struct packet_rings g;
	if (!name || !name[0] || strlen(name) > 15 || !get_u32(l, "mtu", &mtu) ||
	    parse_mac(get_str(l, "mac"), mac) < 0 || parse_rings(get(l, "rings"), &g) < 0) {
		close(fd);
		return bad(msg, n, EINVAL, "net: a link needs name, mtu, mac and rings");
	}
	yajl_val addrs = get(l, "addrs");
	if (addrs && !YAJL_IS_ARRAY(addrs)) {
		close(fd);
		return bad(msg, n, EINVAL, "net: %s: addrs is not an array", name);
	}
	struct link_endpoint *ep;
	int r = packet_link_new(fd, name, mtu, mac, &g, &ep);
	if (r < 0)
		return bad(msg, n, -r, "net: %s: mapping the rings: %s", name, strerror(-r));
	r = ns_stack_add_nic(s, ep);
	if (r < 0) {
		ns_link_destroy(ep);
		return bad(msg, n, -r, "net: %s: adding the interface: %s", name, strerror(-r));
	}
	*ifindex = r;
	for (size_t i = 0; addrs && i < addrs->u.array.len; i++) {
		yajl_val a = addrs->u.array.values[i];
		int family;
		uint8_t ip[16];
		unsigned len;
		if (!YAJL_IS_STRING(a) || parse_prefix(YAJL_GET_STRING(a), &family, ip, &len) < 0)
			return bad(msg, n, EINVAL, "net: %s: bad address", name);
		r = ns_stack_add_addr(s, *ifindex, family, ip, len);
		if (r < 0 && r != -EEXIST)
			return bad(msg, n, -r, "net: %s: address %s: %s", name,
				   YAJL_GET_STRING(a), strerror(-r));
	}
	yajl_val ll = get(l, "ipv6_ll");
	if (ll && YAJL_IS_TRUE(ll)) {
		/* IPv6 on (the spec's sysctl) where the namespace had it off:
		 * the EUI-64 link-local address Linux's addrconf makes. */
		r = ns_stack_add_linklocal(s, *ifindex);
		if (r < 0 && r != -EEXIST)
			return bad(msg, n, -r, "net: %s: link-local address: %s", name, strerror(-r));
	}
	r = inet_stack_watch_link(packet_link_fd(ep));
	if (r < 0)
		return bad(msg, n, -r, "net: %s: polling the socket: %s", name, strerror(-r));
	log_info("net: %s up, mtu %u, %zu addresses", name, mtu, addrs ? addrs->u.array.len : 0);
	return 0;
}

static int add_route(struct ns_stack *s, yajl_val rt, const int *ifindex, int nlinks, char *msg,
		     size_t n)
{
	int family, gfam = 0;
	uint8_t dst[16], gw[16];
	unsigned len;
	uint32_t link, metric = 0;
	const char *gws = get_str(rt, "gw");
	if (parse_prefix(get_str(rt, "dst"), &family, dst, &len) < 0 || !get_u32(rt, "link", &link) ||
	    link >= (uint32_t)nlinks || (get(rt, "metric") && !get_u32(rt, "metric", &metric)) ||
	    (gws && (parse_ip(gws, &gfam, gw) < 0 || gfam != family)))
		return bad(msg, n, EINVAL, "net: a route needs dst, link (and a gw of its family)");
	int r = ns_stack_add_route(s, family, dst, len, gws ? gw : NULL, ifindex[link], metric);
	/* The subnet routes came with the addresses. */
	if (r < 0 && r != -EEXIST)
		return bad(msg, n, -r, "net: route %s: %s", get_str(rt, "dst"), strerror(-r));
	return 0;
}

int netcfg_apply(const char *request, size_t len, int *fds, int nfds, char *msg, size_t n)
{
	int used = 0, r = 0;
	yajl_val root = NULL;
	struct ns_stack *s = inet_stack();
	if (!s || inet_network_mode() != INET_NETWORK_SANDBOX) {
		r = bad(msg, n, EPERM, "net: the sandbox has no network stack for links (--network=none)");
		goto out;
	}
	char *text = strndup(request, len);
	if (!text) {
		r = bad(msg, n, ENOMEM, "out of memory");
		goto out;
	}
	char perr[128];
	root = yajl_tree_parse(text, perr, sizeof(perr));
	free(text);
	yajl_val links = get(root, "links"), routes = get(root, "routes");
	if (!links || !YAJL_IS_ARRAY(links) || (routes && !YAJL_IS_ARRAY(routes))) {
		r = bad(msg, n, EINVAL, "net: links and routes must be arrays");
		goto out;
	}
	yajl_val dns = get(root, "dns");
	int want_dns = dns && YAJL_IS_TRUE(dns) ? 1 : 0;
	yajl_val rel = get(root, "release");
	if (rel && !YAJL_IS_TRUE(rel) && !YAJL_IS_FALSE(rel)) {
		r = bad(msg, n, EINVAL, "net: release is not a boolean");
		goto out;
	}
	int want_release = rel && YAJL_IS_TRUE(rel) ? 1 : 0;
	int nlinks = nfds - want_dns - want_release;
	if (nlinks < 0 || links->u.array.len != (size_t)nlinks || nlinks > NETCFG_MAX_LINKS) {
		r = bad(msg, n, EINVAL, "net: %zu links%s%s but %d fds", links->u.array.len,
			want_dns ? " and dns" : "", want_release ? " and release" : "", nfds);
		goto out;
	}
	yajl_val lo6 = get(root, "lo_ipv6");
	if (lo6 && !YAJL_IS_TRUE(lo6) && !YAJL_IS_FALSE(lo6)) {
		r = bad(msg, n, EINVAL, "net: lo_ipv6 is not a boolean");
		goto out;
	}
	if (lo6 && YAJL_IS_FALSE(lo6)) {
		r = ns_stack_del_addr(s, inet_stack_loopback(), AF_INET6, &in6addr_loopback, 128);
		if (r < 0 && r != -EADDRNOTAVAIL && r != -ENOENT) {
			r = bad(msg, n, -r, "net: taking ::1 off lo: %s", strerror(-r));
			goto out;
		}
		r = 0;
		log_info("net: IPv6 is off on the namespace's lo: ::1 taken off lo");
	}
	int ifindex[NETCFG_MAX_LINKS];
	for (; used < nlinks; used++) {
		r = add_link(s, links->u.array.values[used], fds[used], &ifindex[used], msg, n);
		fds[used] = -1;
		if (r < 0) {
			used++;
			goto out;
		}
	}
	for (size_t i = 0; routes && i < routes->u.array.len; i++) {
		r = add_route(s, routes->u.array.values[i], ifindex, nlinks, msg, n);
		if (r < 0)
			goto out;
	}
	if (want_dns) {
		r = dns_relay_start(fds[used]);
		fds[used++] = -1;
		if (r < 0) {
			r = bad(msg, n, -r, "net: relaying 127.0.0.11:53: %s", strerror(-r));
			goto out;
		}
	}
	if (want_release && nrelease_anchor < NETCFG_MAX_ANCHORS) {
		release_anchor[nrelease_anchor++] = fds[used];
		fds[used++] = -1;
	}
out:
	for (int i = used; i < nfds; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
	yajl_tree_free(root);
	return r;
}
