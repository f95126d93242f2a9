/*
 * dns_relay.c — Docker's embedded DNS server (127.0.0.11:53 on user-defined
 * networks) for an app whose packets never reach the host kernel.
 *
 * Docker serves that address through NAT rules inside the container's
 * network namespace, which a user-space stack bypasses (gVisor's issues
 * 7523 and 13980).  Instead, the runtime opens one UDP socket in the
 * namespace, connected to 127.0.0.11:53, before handing the links over
 * (its datagrams go through those NAT rules), and passes it with the "net"
 * request.  Here a UDP endpoint of the sandbox's stack bound to
 * 127.0.0.11:53 takes the app's queries; a relay thread forwards each one
 * over that socket under a fresh DNS id (queries from different app
 * sockets may carry the same id) and sends the answer back, its id
 * restored, to the query's source.  The Sentry gains no new host
 * capability: one connected UDP socket, datagrams in and out.
 *
 * Docker's resolver really listens on another port, reached by a DNAT rule,
 * so the app's port 53 stays free: the endpoint here intercepts
 * (NS_BIND_INTERCEPT), and a DNS server in the container (dnsmasq on
 * 0.0.0.0:53) binds as under runc.
 *
 * Only UDP is relayed: a truncated answer's TCP retry finds no listener
 * (RST), and resolvers then keep the truncated answer.
 */
#include "sentry/socket/dns_relay.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "netstack/netstack.h"
#include "sentry/socket/inet.h"

#define DNS_MAX 4096	  /* EDNS answers fit; larger ones are cut by the resolver */
#define PENDING 256	  /* queries in flight; the oldest slot is reused */

struct pending {
	bool used;
	uint16_t app_id;
	struct sockaddr_storage from;
	socklen_t fromlen;
};

static struct {
	int host_fd;
	int wake_fd;
	struct ns_endpoint *ep;
	pthread_t thread;
	bool running;
	atomic_bool stop;
	uint16_t next;
	struct pending slot[PENDING];
} relay = {.host_fd = -1, .wake_fd = -1};

/* The cookie the endpoint reports readiness with (inet_stack.c's ready
 * callback tells it from a socket's). */
static char relay_cookie;

void *dns_relay_cookie(void)
{
	return &relay_cookie;
}

void dns_relay_wake(void)
{
	uint64_t one = 1;
	if (relay.wake_fd >= 0) {
		ssize_t r = write(relay.wake_fd, &one, sizeof(one));
		(void)r;
	}
}

/* App -> Docker: every query waiting on the endpoint. */
static void relay_queries(unsigned char *buf)
{
	for (;;) {
		struct iovec iov = {.iov_base = buf, .iov_len = DNS_MAX};
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = ns_ep_recvmsg(relay.ep, &iov, 1, MSG_DONTWAIT, &from, &fromlen, NULL);
		if (n == -EAGAIN)
			return;
		if (n < 12) /* an error, or shorter than a DNS header: dropped */
			continue;
		/* Slot = our id modulo PENDING: the id space cycles through the
		 * slots, so the oldest query's slot is the one reused. */
		uint16_t id = relay.next++;
		struct pending *p = &relay.slot[id % PENDING];
		p->used = true;
		p->app_id = (uint16_t)(buf[0] << 8 | buf[1]);
		p->from = from;
		p->fromlen = fromlen;
		buf[0] = (unsigned char)(id >> 8);
		buf[1] = (unsigned char)id;
		struct iovec out = {.iov_base = buf, .iov_len = (size_t)n};
		struct msghdr mh = {.msg_iov = &out, .msg_iovlen = 1};
		if (sendmsg(relay.host_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			p->used = false; /* the resolver retries */
	}
}

/* Docker -> app: every answer waiting on the host socket. */
static void relay_answers(unsigned char *buf)
{
	for (;;) {
		struct iovec iov = {.iov_base = buf, .iov_len = DNS_MAX};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(relay.host_fd, &mh, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			continue; /* ECONNREFUSED (nobody at 127.0.0.11) is consumed */
		if (n < 0)
			return;
		if (n < 12)
			continue;
		uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
		struct pending *p = &relay.slot[id % PENDING];
		if (!p->used || (uint16_t)(relay.next - id) > PENDING)
			continue; /* late, or not ours */
		p->used = false;
		buf[0] = (unsigned char)(p->app_id >> 8);
		buf[1] = (unsigned char)p->app_id;
		struct iovec out = {.iov_base = buf, .iov_len = (size_t)n};
		ns_ep_sendmsg(relay.ep, &out, 1, MSG_DONTWAIT, (struct sockaddr *)&p->from,
			      p->fromlen);
	}
}

static void *relay_main(void *arg)
{
	prctl(PR_SET_NAME, "dnsrelay", 0, 0, 0);
	static unsigned char buf[DNS_MAX];
	while (!atomic_load(&relay.stop)) {
		struct pollfd p[2] = {{.fd = relay.wake_fd, .events = POLLIN},
				      {.fd = relay.host_fd, .events = POLLIN}};
		if (ppoll(p, 2, NULL, NULL) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			uint64_t v;
			ssize_t r = read(relay.wake_fd, &v, sizeof(v));
			(void)r;
		}
		relay_queries(buf);
		if (p[1].revents & (POLLIN | POLLERR))
			relay_answers(buf);
		inet_stack_poll_inline();
	}
	return NULL;
}

int dns_relay_start(int host_fd)
{
	struct ns_stack *s = inet_stack();
	int r;
	if (!s) {
		close(host_fd);
		return -ENODEV;
	}
	if (relay.running) {
		close(host_fd);
		return -EBUSY;
	}
	relay.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (relay.wake_fd < 0) {
		r = -errno;
		close(host_fd);
		return r;
	}
	r = ns_ep_create(s, AF_INET, SOCK_DGRAM, 0, &relay.ep);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
	a.sin_addr.s_addr = htonl(0x7f00000b); /* 127.0.0.11 */
	if (r == 0)
		r = ns_ep_bind(relay.ep, (struct sockaddr *)&a, sizeof(a),
			       NS_BIND_PRIVILEGED | NS_BIND_INTERCEPT);
	if (r < 0)
		goto fail;
	ns_ep_set_user(relay.ep, dns_relay_cookie());
	relay.host_fd = host_fd;
	atomic_store(&relay.stop, false);
	r = -pthread_create(&relay.thread, NULL, relay_main, NULL);
	if (r < 0) {
		relay.host_fd = -1;
		goto fail;
	}
	relay.running = true;
	log_info("dns: 127.0.0.11:53 relayed to the container namespace's resolver");
	return 0;
fail:
	if (relay.ep)
		ns_ep_close(relay.ep);
	relay.ep = NULL;
	close(relay.wake_fd);
	relay.wake_fd = -1;
	close(host_fd);
	return r;
}

void dns_relay_stop(void)
{
	if (!relay.running)
		return;
	atomic_store(&relay.stop, true);
	dns_relay_wake();
	pthread_join(relay.thread, NULL);
	ns_ep_close(relay.ep);
	relay.ep = NULL;
	close(relay.host_fd);
	close(relay.wake_fd);
	relay.host_fd = relay.wake_fd = -1;
	relay.running = false;
	memset(relay.slot, 0, sizeof(relay.slot));
}
