/*
 * inet_stack.c — the sandbox's one netstack instance and the service
 * thread ("netstack") that drives it (DESIGN.md §7a).
 *
 * The stack is a library that never blocks: this file gives it time (the
 * `now` callback, CLOCK_MONOTONIC), polls it when it asks (`kick`) or when
 * the deadline its last poll returned has passed, and turns its readiness
 * reports (`ready`) into wake-ups of the socket's wait queue.  The service
 * thread sleeps in ppoll on an eventfd that `kick` writes, so no lock is
 * shared with the callers of kick (they may hold their socket lock).
 *
 * The `ready` callback runs inside ns_stack_poll with no netstack lock
 * held; it only notifies the socket's wait queue (never takes the socket
 * lock: ns_ep_close, called from a release, waits for a callback in
 * progress).  The cookie is the inet socket's struct socket, valid until
 * ns_ep_close returns (the netstack guarantees no report after it).
 */
#include "sentry/socket/inet.h"

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "netstack/netstack.h"
#include "platform/platform.h"
#include "sentry/socket/dns_relay.h"
#include "sentry/socket/socket.h"

static struct ns_stack *the_stack;
static enum inet_network_mode the_mode;
static int kick_fd = -1;
static pthread_t svc_thread;
static bool svc_running;
static atomic_bool svc_stop;
/* The AF_PACKET sockets of the container's links (netcfg.c): the service
 * thread polls them with the kick eventfd.  One writer (the control thread
 * applying "net"), published by the count's release store. */
#define SVC_MAX_LINK_FDS 8
static int link_fds[SVC_MAX_LINK_FDS];
static atomic_int nlink_fds;
/* When the service thread means to poll next (ns, NS_TIME_NEVER: only
 * when kicked): an inline poll whose deadline is earlier kicks it. */
static _Atomic uint64_t svc_planned = NS_TIME_NEVER;

uint64_t inet_stack_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cb_now(void *ctx)
{
	return inet_stack_now();
}

static void cb_ready(void *ctx, struct ns_endpoint *ep, void *user, uint32_t events)
{
	if (user == dns_relay_cookie()) {
		dns_relay_wake();
		return;
	}
	struct socket *s = user;
	/* A report is "readiness may have changed": waiters re-check. */
	socket_notify(s, events);
}

static void svc_kick(void)
{
	uint64_t one = 1;
	ssize_t r = write(kick_fd, &one, sizeof(one));
	(void)r; /* EAGAIN: the counter is already non-zero, a wake-up is due */
}

static void cb_kick(void *ctx)
{
	svc_kick();
}

static const struct ns_stack_ops inet_stack_ops = {
    .now = cb_now,
    .ready = cb_ready,
    .kick = cb_kick,
};

static void *svc_main(void *arg)
{
	/* Named by itself: after the jail /proc/self/task is out of reach. */
	prctl(PR_SET_NAME, "netstack", 0, 0, 0);
	while (!atomic_load(&svc_stop)) {
		uint64_t d = ns_stack_poll(the_stack, inet_stack_now());
		atomic_store(&svc_planned, d);
		struct pollfd p[1 + SVC_MAX_LINK_FDS] = {{.fd = kick_fd, .events = POLLIN}};
		int np = 1 + atomic_load_explicit(&nlink_fds, memory_order_acquire);
		for (int i = 1; i < np; i++)
			p[i] = (struct pollfd){.fd = link_fds[i - 1], .events = POLLIN};
		uint64_t now = inet_stack_now();
		if (d <= now)
			continue;
		struct timespec ts, *tp = NULL;
		if (d != NS_TIME_NEVER) {
			uint64_t dt = d - now;
			ts.tv_sec = (time_t)(dt / 1000000000ull);
			ts.tv_nsec = (long)(dt % 1000000000ull);
			tp = &ts;
		}
		if (ppoll(p, (nfds_t)np, tp, NULL) > 0 && (p[0].revents & POLLIN)) {
			uint64_t v;
			ssize_t r = read(kick_fd, &v, sizeof(v));
			(void)r;
		}
		/* A socket error (ENETDOWN when the link goes down) would make
		 * every ppoll return at once: a receive consumes it (the
		 * frames themselves come through the ring). */
		for (int i = 1; i < np; i++)
			if (p[i].revents & POLLERR) {
				char b;
				struct iovec iov = {.iov_base = &b, .iov_len = 1};
				struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
				ssize_t r = recvmsg(p[i].fd, &mh, MSG_DONTWAIT);
				(void)r;
			}
	}
	return NULL;
}

void inet_stack_poll_inline(void)
{
	struct ns_stack *s = the_stack;
	if (!s)
		return;
	uint64_t now = inet_stack_now();
	uint64_t d = ns_stack_poll(s, now);
	if (d <= now || d < atomic_load(&svc_planned))
		svc_kick();
}

int inet_stack_start(enum inet_network_mode mode)
{
	if (the_stack)
		return 0;
	uint64_t seed = 0;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
		seed = inet_stack_now() ^ ((uint64_t)getpid() << 32);
	kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (kick_fd < 0)
		return -errno;
	struct ns_stack *s = ns_stack_new(&inet_stack_ops, NULL, seed);
	if (!s) {
		close(kick_fd);
		kick_fd = -1;
		return -ENOMEM;
	}
	int r = ns_stack_setup_loopback(s);
	if (r < 0) {
		ns_stack_destroy(s);
		close(kick_fd);
		kick_fd = -1;
		return r;
	}
	the_stack = s;
	the_mode = mode;
	log_info("netstack: loopback lo 127.0.0.1/8 ::1/128 up (network %s)",
		 mode == INET_NETWORK_NONE   ? "none"
		 : mode == INET_NETWORK_HOST ? "host"
					     : "sandbox");
	return 0;
}

int inet_stack_run(void)
{
	if (!the_stack)
		return -ENODEV;
	if (svc_running)
		return 0;
	atomic_store(&svc_stop, false);
	int r = pthread_create(&svc_thread, NULL, svc_main, NULL);
	if (r != 0)
		return -r;
	svc_running = true;
	return 0;
}

/* What the service thread needs from the host beyond the Sentry's own
 * rules: naming itself. */
static const struct jail_rule inet_rule_list[] = {
    {.nr = SYS_prctl,
     .action = JAIL_ACT_ALLOW,
     .ncmp = 1,
     .cmp = {{.arg = 0, .op = JAIL_CMP_EQ, .value = PR_SET_NAME}}},
};
static const struct jail_rules inet_rules = JAIL_RULES("netstack", inet_rule_list);

const struct jail_rules *inet_jail_rules(void)
{
	return &inet_rules;
}

int inet_stack_watch_link(int fd)
{
	int n = atomic_load(&nlink_fds);
	if (fd < 0)
		return -EBADF;
	if (n >= SVC_MAX_LINK_FDS)
		return -ENOSPC;
	link_fds[n] = fd;
	atomic_store_explicit(&nlink_fds, n + 1, memory_order_release);
	if (kick_fd >= 0)
		svc_kick();
	return 0;
}

struct ns_stack *inet_stack(void)
{
	return the_stack;
}

enum inet_network_mode inet_network_mode(void)
{
	return the_mode;
}

void inet_stack_stop(void)
{
	if (!the_stack)
		return;
	dns_relay_stop();
	if (svc_running) {
		atomic_store(&svc_stop, true);
		svc_kick();
		pthread_join(svc_thread, NULL);
		svc_running = false;
	}
	ns_stack_destroy(the_stack);
	the_stack = NULL;
	atomic_store(&nlink_fds, 0);
	close(kick_fd);
	kick_fd = -1;
	atomic_store(&svc_planned, NS_TIME_NEVER);
}
