/*
 * inet.h — AF_INET and AF_INET6 sockets on the sandbox's netstack
 * (inet.c: the family; inet_stack.c: the one stack instance and its
 * service thread; inet_proc.c: /proc/net/{tcp,tcp6,udp,udp6} and the
 * net sysctls).
 *
 * The accessor inet_stack() is stable: other layers (netlink route, the
 * SIOCGIF* ioctls) read interfaces, addresses and routes through it.
 */
#ifndef VISOR_SENTRY_SOCKET_INET_H
#define VISOR_SENTRY_SOCKET_INET_H

#include <stddef.h>
#include <stdint.h>

struct task;
struct ns_stack;
struct jail_rules;

/* The sandbox's network mode (runtime --network): "sandbox" gets the
 * container's interfaces on the netstack, "none" loopback only, "host"
 * AF_INET/AF_INET6 sockets backed by host sockets (hostinet.h; the stack
 * keeps its loopback for netlink route and the interface ioctls). */
enum inet_network_mode {
	INET_NETWORK_SANDBOX = 0,
	INET_NETWORK_NONE = 1,
	INET_NETWORK_HOST = 2,
};

/* Create the sandbox's stack (loopback "lo" with 127.0.0.1/8 and ::1 up),
 * once; later calls return 0.  At boot, before the jail. */
int inet_stack_start(enum inet_network_mode mode);
/* Start the stack's service thread ("netstack"), once.  At boot after the
 * jail: capabilities and the seccomp filter are per thread, and the thread
 * that parses packets must have neither more nor less than the task
 * threads. */
int inet_stack_run(void);
/* The jail rules the service thread adds to the Sentry's (sentry_jail's
 * extra): prctl(PR_SET_NAME), timerfd_settime (its timer). */
const struct jail_rules *inet_jail_rules(void);
/* Have the service thread poll fd (a link's AF_PACKET socket, owned by
 * its link) with its kick eventfd: POLLIN there means frames to receive.
 * At most 8; -ENOSPC beyond. */
int inet_stack_watch_link(int fd);
/* The sandbox's stack, NULL before inet_stack_start. */
struct ns_stack *inet_stack(void);
/* The ifindex of its loopback "lo", or -ENODEV before inet_stack_start. */
int inet_stack_loopback(void);
/* The network mode the stack was started with. */
enum inet_network_mode inet_network_mode(void);
/* Current time on the stack's clock (CLOCK_MONOTONIC, ns). */
uint64_t inet_stack_now(void);
/* Run the stack's poll on the calling thread (after a send on loopback
 * the peer gets its data without a hop through the service thread), then
 * make sure the service thread wakes for the next deadline (re-arming its
 * timer, no wake-up).  No lock held.  Ends an inet_stack_hold_kicks. */
void inet_stack_poll_inline(void);
/* The same after a send: what it queued on loopback is delivered before
 * this returns, also while the service thread is polling (it waits for
 * that poll), so the peer's next recv finds it, as on Linux. */
void inet_stack_poll_inline_sent(void);
/* Until the next inet_stack_poll_inline or inet_stack_release_kicks on
 * this thread, the stack's kicks from this thread only are noted: the
 * poll does what they ask for, a release sends one kick if any came. */
void inet_stack_hold_kicks(void);
void inet_stack_release_kicks(void);
/* Since start: kicks of the service thread sent, kicks held back, arms of
 * its timer (timerfd_settime calls), and arms skipped because the timer
 * had that deadline already (tests, and what a request costs). */
void inet_stack_counters(uint64_t *kicks, uint64_t *held, uint64_t *timer_arms,
			 uint64_t *timer_same);
/* When the service thread wakes for the stack's deadline d (ns; now the
 * time): d, or up to an eighth of the time left later (at most 16.8 ms),
 * rounded so that nearby deadlines share one wake-up; NS_TIME_NEVER and
 * deadlines already due stay as they are. */
uint64_t inet_stack_wake_time(uint64_t d, uint64_t now);
/* Stop the service thread and free the stack (tests). */
void inet_stack_stop(void);

/* Register AF_INET and AF_INET6 with the socket layer; creates the stack
 * if inet_stack_start was not called (mode SANDBOX). */
int inet_register(void);

/* /proc/net/{tcp,tcp6,udp,udp6} (dir NULL) and the net sysctls under
 * /proc/sys (dir "net/core", ...), inet_proc.c; register.c hands them to
 * procfs at boot.  fn makes the text, malloc'd, *len set. */
struct inet_proc_file {
	const char *dir, *name;
	char *(*fn)(struct task *t, size_t *len);
};
const struct inet_proc_file *inet_proc_files(size_t *n);
/* The text of /proc/net/tcp (IPPROTO_TCP, AF_INET), tcp6, udp or udp6:
 * malloc'd, *len set. */
char *inet_proc_net(int protocol, int family, size_t *len);

#endif
