/*
 * inet_stack.c — the sandbox's one netstack instance and the service
 * thread ("netstack") that drives it (DESIGN.md §7a).
 *
 * The stack is a library that never blocks: this file gives it time (the
 * `now` callback, CLOCK_MONOTONIC), polls it when it asks (`kick`) or when
 * the deadline its last poll returned has passed, and turns its readiness
 * reports (`ready`) into wake-ups of the socket's wait queue.  The service
 * thread sleeps in ppoll on an eventfd that `kick` writes, so no lock is
 * shared with the callers of kick (they may hold their socket lock), and
 * on a timerfd armed at the stack's next deadline.
 *
 * Waking the service thread is a host context switch, the dearest thing a
 * request/response server pays for here (a connection's send arms its
 * retransmission timer, and an idle stack has no deadline: before, each
 * such send woke the service thread only so that it would re-plan its
 * sleep).  So a task that polls the stack inline after a netstack call
 * (inet_stack_hold_kicks, then inet_stack_poll_inline) swallows the kicks
 * of that call, since its own poll does what they asked for, and a
 * deadline earlier than the service thread's plan re-arms the timerfd from
 * the task's thread (one host syscall, no wake-up) instead of kicking.
 *
 * Transmission is the exception: the service thread is the stack's
 * transmitter (ns_stack_own_tx), so the frames a task's send queues on the
 * container's interface wait for its poll, and the task kicks it.  That
 * flush (the AF_PACKET TX kick) runs the host's bridge and its receiver's
 * TCP in the flusher's time: 38% of a redis server's Sentry thread.  Done
 * by the service thread, mostly on the other CPU, it overlaps the app's
 * next request: over the bridge, redis GET went from 0.43-0.51x to
 * 0.68-0.75x runc and nginx from 0.74-0.79x to 0.89-0.94x, for one
 * eventfd write per send.  A read's window update is still flushed by
 * whoever polls first (ns_ep_recv_unpin): leaving it to the service
 * thread cost iperf3 into the container a quarter of its throughput.
 *
 * The plan (svc_planned) only goes down between two service polls: the
 * service thread resets it to "never" before it polls, and afterwards
 * lowers it to its own deadline and arms the timer at the result, so a
 * deadline an inline poll planned meanwhile is kept; an early timer only
 * costs one spurious poll.
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
#include <sys/timerfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/lockdep.h"
#include "lib/log.h"
#include "netstack/netstack.h"
#include "platform/platform.h"
#include "sentry/socket/dns_relay.h"
#include "sentry/socket/socket.h"

static struct ns_stack *the_stack;
static enum inet_network_mode the_mode;
static int lo_ifindex; /* the loopback "lo" of the_stack */
static int kick_fd = -1;
static int timer_fd = -1; /* the service thread's deadline (svc_planned) */
/* INET_TIMER (LOCKING.md): timerfd_settime on timer_fd, and the deadline of
 * the last one (NS_TIME_NEVER: disarmed), so that arming the timer again at
 * the deadline it already has costs no host syscall. */
static struct vmutex timer_lock = VMUTEX_INITIALIZER(LOCK_CLASS(INET_TIMER));
static uint64_t timer_armed = NS_TIME_NEVER;
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
 * when kicked): the timerfd is armed at it (see the top of the file). */
static _Atomic uint64_t svc_planned = NS_TIME_NEVER;
/* A task thread inside inet_stack_hold_kicks: its kicks are only noted. */
static __thread int kicks_held;
static __thread bool kick_wanted;
static _Atomic uint64_t n_kicks, n_kicks_held, n_timer_arms, n_timer_same;

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
	atomic_fetch_add_explicit(&n_kicks, 1, memory_order_relaxed);
	ssize_t r = write(kick_fd, &one, sizeof(one));
	(void)r; /* EAGAIN: the counter is already non-zero, a wake-up is due */
}

static void cb_kick(void *ctx)
{
	if (kicks_held) {
		kick_wanted = true;
		atomic_fetch_add_explicit(&n_kicks_held, 1, memory_order_relaxed);
		return;
	}
	svc_kick();
}

/*
 * When to wake for a deadline d: d rounded up to a power-of-two multiple of
 * at most an eighth of the time left (at most 2^24 ns, 16.8 ms), as Linux's
 * timer wheel fires a timer up to about 12% late.  The stack's timers are
 * retransmissions (200 ms and more), delayed ACKs (40 ms), probes and
 * neighbour resolutions: with many connections each re-arms its own and the
 * earliest of them is always near; rounded, they share wake-ups.
 */
uint64_t inet_stack_wake_time(uint64_t d, uint64_t now)
{
	if (d == NS_TIME_NEVER || d <= now)
		return d;
	uint64_t left = (d - now) / 8, g = 1;
	while (g * 2 <= left && g < (1ull << 24))
		g *= 2;
	uint64_t r = (d + g - 1) & ~(g - 1);
	return r < d ? d : r;
}

/*
 * Arm the service thread's timer at d (NS_TIME_NEVER: disarm), unless the
 * last arming was at d already.  The service thread plans again after each
 * of its polls, and a connection's timers rarely move its rounded deadline
 * (inet_stack_wake_time), so most of its plans are the one the timer has:
 * skipping them halves the host syscalls of a service thread's wake-up (it
 * was ppoll and timerfd_settime each time).  Skipping is safe: the timer
 * still runs to d (a one-shot timer that already fired at d woke the
 * service thread after that arming, and its poll then did what d asked).
 */
static void svc_timer_arm(uint64_t d)
{
	if (d == 0)
		d = 1; /* 0 would disarm */
	vmutex_lock(&timer_lock);
	if (d == timer_armed) {
		vmutex_unlock(&timer_lock);
		atomic_fetch_add_explicit(&n_timer_same, 1, memory_order_relaxed);
		return;
	}
	struct itimerspec its;
	memset(&its, 0, sizeof(its));
	if (d != NS_TIME_NEVER) {
		its.it_value.tv_sec = (time_t)(d / 1000000000ull);
		its.it_value.tv_nsec = (long)(d % 1000000000ull);
	}
	atomic_fetch_add_explicit(&n_timer_arms, 1, memory_order_relaxed);
	bool ok = timerfd_settime(timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0;
	if (ok)
		timer_armed = d;
	vmutex_unlock(&timer_lock);
	if (!ok)
		svc_kick(); /* cannot happen with a valid time; never lose the deadline */
}

/* Arm the timer at d, the plan as last read, and again while the plan has
 * gone lower meanwhile: the timer ends at the lowest plan. */
static void svc_arm_lowest(uint64_t d)
{
	for (;;) {
		svc_timer_arm(d);
		uint64_t q = atomic_load(&svc_planned);
		if (q >= d)
			return;
		d = q;
	}
}

/* Lower the plan to d and arm the timer at it.  Two threads lowering it at
 * once may arm in either order: whoever armed checks the plan again and
 * re-arms while it is lower than what it armed, so the timer ends at the
 * lowest plan. */
static void svc_plan(uint64_t d)
{
	uint64_t p = atomic_load(&svc_planned);
	for (;;) {
		if (d >= p)
			return;
		if (atomic_compare_exchange_weak(&svc_planned, &p, d))
			break;
	}
	svc_arm_lowest(d);
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
	ns_stack_own_tx(the_stack, true);
	while (!atomic_load(&svc_stop)) {
		/* Inline polls during ours plan (and arm) for themselves. */
		atomic_store(&svc_planned, NS_TIME_NEVER);
		uint64_t d = ns_stack_poll(the_stack, inet_stack_now());
		uint64_t now = inet_stack_now();
		if (d <= now)
			continue;
		d = inet_stack_wake_time(d, now);
		uint64_t p = atomic_load(&svc_planned);
		while (d < p && !atomic_compare_exchange_weak(&svc_planned, &p, d))
			;
		d = d < p ? d : p;
		/* Armed every time: an inline poll during ours may have armed
		 * a later deadline than one still due.  One lowered after our
		 * read arms the timer itself (svc_plan), before or after this:
		 * look again. */
		svc_arm_lowest(d);
		struct pollfd pf[2 + SVC_MAX_LINK_FDS] = {{.fd = kick_fd, .events = POLLIN},
							  {.fd = timer_fd, .events = POLLIN}};
		int np = 2 + atomic_load_explicit(&nlink_fds, memory_order_acquire);
		for (int i = 2; i < np; i++)
			pf[i] = (struct pollfd){.fd = link_fds[i - 2], .events = POLLIN};
		if (ppoll(pf, (nfds_t)np, NULL, NULL) <= 0)
			continue;
		uint64_t v;
		if (pf[0].revents & POLLIN) {
			ssize_t r = read(kick_fd, &v, sizeof(v));
			(void)r;
		}
		if (pf[1].revents & POLLIN) {
			ssize_t r = read(timer_fd, &v, sizeof(v));
			(void)r;
		}
		/* A socket error (ENETDOWN when the link goes down) would make
		 * every ppoll return at once: a receive consumes it (the
		 * frames themselves come through the ring). */
		for (int i = 2; i < np; i++)
			if (pf[i].revents & POLLERR) {
				char b;
				struct iovec iov = {.iov_base = &b, .iov_len = 1};
				struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
				ssize_t r = recvmsg(pf[i].fd, &mh, MSG_DONTWAIT);
				(void)r;
			}
	}
	ns_stack_own_tx(the_stack, false);
	return NULL;
}

void inet_stack_hold_kicks(void)
{
	kicks_held++;
}

void inet_stack_release_kicks(void)
{
	if (kicks_held > 0 && --kicks_held == 0 && kick_wanted) {
		kick_wanted = false;
		svc_kick();
	}
}

static void poll_inline(bool sync)
{
	struct ns_stack *s = the_stack;
	if (kicks_held > 0 && --kicks_held == 0)
		kick_wanted = false; /* this poll does what the kicks asked for */
	if (!s)
		return;
	uint64_t now = inet_stack_now();
	uint64_t d = sync ? ns_stack_poll_sync(s, now) : ns_stack_poll(s, now);
	if (d <= now)
		svc_kick(); /* work left over (or the service thread polls now) */
	else if ((d = inet_stack_wake_time(d, now)) < atomic_load(&svc_planned))
		svc_plan(d);
}

void inet_stack_poll_inline(void)
{
	poll_inline(false);
}

void inet_stack_poll_inline_sent(void)
{
	poll_inline(true);
}

void inet_stack_counters(uint64_t *kicks, uint64_t *kicks_held_out, uint64_t *timer_arms,
			 uint64_t *timer_same)
{
	*kicks = atomic_load(&n_kicks);
	*kicks_held_out = atomic_load(&n_kicks_held);
	*timer_arms = atomic_load(&n_timer_arms);
	*timer_same = atomic_load(&n_timer_same);
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
	timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (timer_fd < 0) {
		int e = -errno;
		close(kick_fd);
		kick_fd = -1;
		return e;
	}
	struct ns_stack *s = ns_stack_new(&inet_stack_ops, NULL, seed);
	if (!s) {
		close(kick_fd);
		kick_fd = -1;
		close(timer_fd);
		timer_fd = -1;
		return -ENOMEM;
	}
	int r = ns_stack_setup_loopback(s);
	if (r < 0) {
		ns_stack_destroy(s);
		close(kick_fd);
		kick_fd = -1;
		close(timer_fd);
		timer_fd = -1;
		return r;
	}
	the_stack = s;
	the_mode = mode;
	lo_ifindex = r;
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
 * rules: naming itself, and (any thread that polls the stack) arming its
 * timer. */
static const struct jail_rule inet_rule_list[] = {
    {.nr = SYS_prctl,
     .action = JAIL_ACT_ALLOW,
     .ncmp = 1,
     .cmp = {{.arg = 0, .op = JAIL_CMP_EQ, .value = PR_SET_NAME}}},
    {.nr = SYS_timerfd_settime, .action = JAIL_ACT_ALLOW},
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

int inet_stack_loopback(void)
{
	return the_stack ? lo_ifindex : -ENODEV;
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
	close(timer_fd);
	timer_fd = -1;
	atomic_store(&svc_planned, NS_TIME_NEVER);
	timer_armed = NS_TIME_NEVER; /* the service thread is gone: no other user */
}
