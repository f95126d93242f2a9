/*
 * net_attach.c — create's hand-off of the container's interfaces to its
 * Sentry (runtime/net.h).
 *
 * Why here and at this moment: Docker's bridge network is wired by a
 * prestart hook (libnetwork-setkey) that moves the veth into the namespace
 * of the pid in the state — the Sentry's — only after the Sentry exists and
 * has jailed itself; when the bundle names an already configured namespace
 * the links are there from the start.  Both cases meet after the hooks: the
 * runtime enters the Sentry's network namespace, reads it, opens the
 * AF_PACKET sockets there (the jailed Sentry creates no socket) and passes
 * them over the control socket.  Only once the Sentry holds them are the
 * addresses taken off the host side, so the host kernel stops answering
 * (no RST races the netstack); if that fails, what was removed comes back.
 */
#include "runtime/net.h"

#include "lib/cleanup.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/verr.h"
#include "runtime/sandbox.h"
#include "sentry/control.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void addr_text(int family, const uint8_t *a, char *out, size_t n)
{
	if (!inet_ntop(family, a, out, (socklen_t)n))
		snprintf(out, n, "?");
}

static void mac_text(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

char *net_config_request(const struct net_config *c)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	char text[INET6_ADDRSTRLEN + 8], mac[18], a[INET6_ADDRSTRLEN];
	json_object_begin(&w);
	json_key(&w, "op");
	json_string(&w, "net");
	json_key(&w, "links");
	json_array_begin(&w);
	for (int i = 0; i < c->nlinks; i++) {
		const struct net_link *l = &c->links[i];
		json_object_begin(&w);
		json_key(&w, "name");
		json_string(&w, l->name);
		json_key(&w, "mtu");
		json_int(&w, l->mtu);
		json_key(&w, "mac");
		mac_text(l->mac, mac);
		json_string(&w, mac);
		json_key(&w, "addrs");
		json_array_begin(&w);
		for (int j = 0; j < l->naddrs; j++) {
			addr_text(l->addrs[j].family, l->addrs[j].addr, a, sizeof(a));
			snprintf(text, sizeof(text), "%s/%u", a, l->addrs[j].prefixlen);
			json_string(&w, text);
		}
		json_array_end(&w);
		if (l->ipv6_ll) {
			json_key(&w, "ipv6_ll");
			json_bool(&w, true);
		}
		json_key(&w, "rings");
		json_array_begin(&w);
		json_int(&w, l->rings.rx_block_size);
		json_int(&w, l->rings.rx_block_nr);
		json_int(&w, l->rings.rx_frame_size);
		json_int(&w, l->rings.tx_block_size);
		json_int(&w, l->rings.tx_block_nr);
		json_int(&w, l->rings.tx_frame_size);
		json_int(&w, l->rings.version == TPACKET_V3 ? 3 : 2);
		json_int(&w, l->rings.flags);
		json_array_end(&w);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_key(&w, "routes");
	json_array_begin(&w);
	for (int i = 0; i < c->nroutes; i++) {
		const struct net_route *r = &c->routes[i];
		json_object_begin(&w);
		addr_text(r->family, r->dst, a, sizeof(a));
		snprintf(text, sizeof(text), "%s/%u", a, r->dst_len);
		json_key(&w, "dst");
		json_string(&w, text);
		if (r->has_gw) {
			addr_text(r->family, r->gw, a, sizeof(a));
			json_key(&w, "gw");
			json_string(&w, a);
		}
		json_key(&w, "link");
		json_int(&w, r->link);
		json_key(&w, "metric");
		json_int(&w, r->metric);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_key(&w, "neighbours");
	json_array_begin(&w);
	for (int i = 0; i < c->nneighs; i++) {
		const struct net_neigh *n = &c->neighs[i];
		json_object_begin(&w);
		addr_text(n->family, n->addr, a, sizeof(a));
		json_key(&w, "addr");
		json_string(&w, a);
		mac_text(n->mac, mac);
		json_key(&w, "mac");
		json_string(&w, mac);
		json_key(&w, "link");
		json_int(&w, n->link);
		json_object_end(&w);
	}
	json_array_end(&w);
	if (c->dns_fd >= 0) {
		json_key(&w, "dns");
		json_bool(&w, true);
	}
	if (c->release_fd >= 0) {
		json_key(&w, "release");
		json_bool(&w, true);
	}
	if (c->lo_ipv6_off) {
		json_key(&w, "lo_ipv6");
		json_bool(&w, false);
	}
	json_object_end(&w);
	char *out = NULL;
	return json_writer_take(&w, &out, NULL) == 0 ? out : NULL;
}

bool net_uses_docker_dns(const char *resolv_conf)
{
	FILE *f = resolv_conf ? fopen(resolv_conf, "re") : NULL;
	if (!f)
		return false;
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		char addr[64];
		if (sscanf(line, " nameserver %63s", addr) == 1 && !strcmp(addr, "127.0.0.11"))
			found = true;
	}
	fclose(f);
	return found;
}

/* In the container's namespace: a UDP socket whose datagrams to
 * 127.0.0.11:53 go through Docker's NAT rules to its resolver. */
static int open_dns(struct net_config *c, struct verr *err)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return verr_errno(err, errno, "network: DNS relay socket");
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	a.sin_addr.s_addr = htonl(0x7f00000b);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		return verr_errno(err, e, "network: DNS relay socket: connect 127.0.0.11:53");
	}
	c->dns_fd = fd;
	return 0;
}

static void close_links(struct net_config *c)
{
	if (c->release_fd >= 0) {
		close(c->release_fd);
		c->release_fd = -1;
	}
	if (c->dns_fd >= 0) {
		close(c->dns_fd);
		c->dns_fd = -1;
	}
	for (int i = 0; i < c->nlinks; i++)
		if (c->links[i].fd >= 0) {
			close(c->links[i].fd);
			c->links[i].fd = -1;
		}
}

static void *early_open(void *arg)
{
	struct net_early *e = arg;
	/* This thread's namespace only; the rest of create keeps its own. */
	if (setns(e->netns, CLONE_NEWNET) == 0)
		e->fd = net_packet_prepare(NET_TPACKET_VERSION, &e->rings);
	return NULL;
}

void net_early_start(struct net_early *e, pid_t sentry_pid)
{
	*e = (struct net_early){.netns = -1, .fd = -1};
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)sentry_pid);
	e->netns = open(path, O_RDONLY | O_CLOEXEC);
	if (e->netns >= 0 && pthread_create(&e->thread, NULL, early_open, e) == 0)
		e->running = true;
}

static void early_join(struct net_early *e)
{
	if (e->running)
		pthread_join(e->thread, NULL);
	e->running = false;
	if (e->netns >= 0)
		close(e->netns);
	e->netns = -1;
}

void net_early_discard(struct net_early *e)
{
	early_join(e);
	if (e->fd < 0)
		return;
	/* Closed here, its rings would cost create three synchronize_net(). */
	int anchor = net_release_anchor(&e->fd, 1);
	close(e->fd);
	if (anchor >= 0)
		close(anchor);
	e->fd = -1;
}

/* In the container's namespace: turn the offloads off, open the sockets
 * (the first link's made ahead, when there is one). */
static int open_links(struct net_config *c, struct net_early *early, struct verr *err)
{
	if (early) {
		early_join(early);
		if (early->fd >= 0 && c->nlinks > 0) {
			int fd = early->fd;
			early->fd = -1;
			int r = net_packet_bind(&c->links[0], fd, &early->rings, err);
			if (r < 0)
				return r;
		}
	}
	for (int i = 0; i < c->nlinks; i++) {
		int r = c->links[i].fd >= 0 ? 0
					    : net_packet_open(&c->links[i], NET_TPACKET_VERSION, err);
		if (r < 0)
			return r;
		/* With a virtio_net_hdr our TSO frames go out whole: only GRO
		 * goes off then. */
		if (c->links[i].rings.flags & NET_RINGS_VNET)
			net_gro_off(c->links[i].name);
		else
			net_offloads_off(c->links[i].name, c->links[i].ifindex, false);
	}
	return 0;
}

/* In the host's namespace: the host end of each veth. */
static void peers_offloads_off(const struct net_config *c)
{
	for (int i = 0; i < c->nlinks; i++) {
		const struct net_link *l = &c->links[i];
		char peer[16];
		if (strcmp(l->kind, "veth") || l->peer_ifindex <= 0 || !l->peer_other_ns)
			continue;
		if (l->rings.flags & NET_RINGS_VNET)
			continue; /* the Sentry takes GSO and checksum-partial frames */
		if (net_find_veth_peer(l->peer_ifindex, l->ifindex, peer) < 0) {
			log_info("net: the host end of %s was not found: frames may arrive "
				 "checksum-partial or GSO-sized",
				 l->name);
			continue;
		}
		net_offloads_off(peer, l->peer_ifindex, true);
	}
}

/* Put back the addresses of links [0, nlink) and the first naddr of link
 * nlink, and the routes their removal took with them. */
static void restore_addresses(const struct net_config *c, int nlink, int naddr)
{
	for (int i = 0; i <= nlink && i < c->nlinks; i++) {
		const struct net_link *l = &c->links[i];
		int n = i == nlink ? naddr : l->naddrs;
		for (int j = 0; j < n; j++)
			net_addr_change(l->ifindex, &l->addrs[j], true);
	}
	for (int i = 0; i < c->nroutes; i++)
		net_route_add(c->links[c->routes[i].link].ifindex, &c->routes[i]);
}

/* Take every address off the host side; on failure put back those removed
 * and the routes their removal took with them.  VISOR_TEST_NET_FAIL=
 * after-strip in the environment (tests) fails after the last one, so a
 * test sees the whole restore. */
static int strip_addresses(const struct net_config *c, struct verr *err)
{
	int done_link = 0, done_addr = 0, r = 0;
	for (; done_link < c->nlinks; done_link++) {
		const struct net_link *l = &c->links[done_link];
		for (done_addr = 0; done_addr < l->naddrs; done_addr++) {
			r = net_addr_change(l->ifindex, &l->addrs[done_addr], false);
			if (r < 0 && r != -EADDRNOTAVAIL)
				goto restore;
		}
	}
	const char *inject = getenv("VISOR_TEST_NET_FAIL");
	if (inject && !strcmp(inject, "after-strip")) {
		restore_addresses(c, c->nlinks, 0);
		return verr_set(err, EIO, "network: injected failure after removing the host's "
					  "addresses (VISOR_TEST_NET_FAIL)");
	}
	return 0;
restore:;
	const struct net_link *bad = &c->links[done_link];
	verr_errno(err, -r, "removing the host's address from %s", bad->name);
	restore_addresses(c, done_link, done_addr);
	return r;
}

int net_attach(pid_t sentry_pid, const char *state_dir, bool relay_dns, int lo_ipv6,
	       bool links_ipv6, struct net_early *early, struct verr *err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)sentry_pid);
	_cleanup_close_ int target = open(path, O_RDONLY | O_CLOEXEC);
	if (target < 0)
		return verr_errno(err, errno, "network: opening %s", path);
	_cleanup_close_ int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (home < 0)
		return verr_errno(err, errno, "network: opening /proc/self/ns/net");
	struct net_config *c = calloc(1, sizeof(*c));
	if (!c)
		return verr_set(err, ENOMEM, "out of memory");
	int r;
	_cleanup_free_ char *req = NULL;
	int fds[NET_MAX_LINKS + 2];
	if (setns(target, CLONE_NEWNET) < 0) {
		r = verr_errno(err, errno, "network: entering the sandbox's network namespace");
		free(c);
		return r;
	}
	r = net_discover(c, err);
	if (r == 0 && lo_ipv6 >= 0)
		c->lo_ipv6_off = !lo_ipv6; /* the spec's sysctl, which runc would apply */
	/* IPv6 turned on for all devices: as Linux's addrconf on a link coming
	 * up with IPv6, one without an IPv6 address gets its link-local one. */
	for (int i = 0; r == 0 && links_ipv6 && i < c->nlinks; i++) {
		bool has6 = false;
		for (int j = 0; j < c->links[i].naddrs; j++)
			has6 |= c->links[i].addrs[j].family == AF_INET6;
		c->links[i].ipv6_ll = !has6;
	}
	if (r == 0)
		r = open_links(c, early, err);
	if (r == 0 && relay_dns && c->nlinks > 0)
		r = open_dns(c, err);
	if (setns(home, CLONE_NEWNET) < 0) {
		/* Nothing sane is left to do in the wrong namespace. */
		r = verr_errno(err, errno, "network: returning to the runtime's network namespace");
		goto out;
	}
	/* Nothing to hand over: no link, and lo as the Sentry's (::1 on). */
	if (r < 0 || (c->nlinks == 0 && !c->lo_ipv6_off))
		goto out;
	peers_offloads_off(c);
	/* The Sentry holds the anchor with the links, so their release
	 * happens after its exit instead of in it (net_release_anchor). */
	int link_fds[NET_MAX_LINKS];
	for (int i = 0; i < c->nlinks; i++)
		link_fds[i] = c->links[i].fd;
	if (c->nlinks > 0 && c->nlinks + (c->dns_fd >= 0) + 1 <= CONTROL_MAX_FDS) {
		int rel = net_release_anchor(link_fds, c->nlinks);
		if (rel < 0)
			log_debug("net: no release anchor: %s", strerror(-rel));
		c->release_fd = rel < 0 ? -1 : rel;
	}

	req = net_config_request(c);
	if (!req) {
		r = verr_set(err, ENOMEM, "out of memory");
		goto out;
	}
	int nfds = 0;
	for (int i = 0; i < c->nlinks; i++)
		fds[nfds++] = c->links[i].fd;
	if (c->dns_fd >= 0)
		fds[nfds++] = c->dns_fd;
	if (c->release_fd >= 0)
		fds[nfds++] = c->release_fd;
	int cfd = control_connect(state_dir, err);
	if (cfd < 0) {
		r = cfd;
		goto out;
	}
	char *reply = NULL;
	r = control_call(cfd, req, fds, nfds, &reply, err);
	close(cfd);
	free(reply);
	if (r < 0)
		goto out;
	close_links(c); /* the Sentry holds them now */

	if (setns(target, CLONE_NEWNET) < 0) {
		r = verr_errno(err, errno, "network: entering the sandbox's network namespace");
		goto out;
	}
	r = strip_addresses(c, err);
	if (setns(home, CLONE_NEWNET) < 0 && r == 0)
		r = verr_errno(err, errno, "network: returning to the runtime's network namespace");
	if (r == 0)
		for (int i = 0; i < c->nlinks; i++)
			log_info("net: %s (mtu %u, %d addresses) handed to the sandbox",
				 c->links[i].name, c->links[i].mtu, c->links[i].naddrs);
out:
	close_links(c);
	free(c);
	return r;
}
