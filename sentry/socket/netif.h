/*
 * netif.h — the sandbox's network interfaces as the Sentry shows them to the
 * application: netlink route dumps (netlink.c), the SIOCGIF* ioctls
 * (ifioctl.c) and /proc/net/{dev,if_inet6,route,ipv6_route} (proc_net.c).
 *
 * The interfaces, addresses and routes are the netstack's (ns_stack_nics,
 * ns_stack_addrs, ns_stack_routes); this module only picks the stack and
 * turns the netstack's routes into Linux's two tables (main and local), as
 * Linux's fib_add_ifaddr / addrconf would have made them for the same
 * addresses.  Read-only: nothing here changes an interface.
 */
#ifndef VISOR_SENTRY_SOCKET_NETIF_H
#define VISOR_SENTRY_SOCKET_NETIF_H

#include <stddef.h>
#include <stdint.h>

#include "netstack/netstack.h"

/* Where the sandbox's stack comes from (the inet glue's accessor, set at
 * boot).  Until one is set, or when it returns NULL, netif uses a private,
 * never-polled stack with only the loopback device (what --network=none
 * gives), so netlink and the ioctls answer as Linux would there. */
void netif_set_stack_source(struct ns_stack *(*get)(void));
/* The stack to read, never NULL (NULL only when out of memory). */
struct ns_stack *netif_stack(void);

/* Linux's route tables (RT_TABLE_MAIN 254, RT_TABLE_LOCAL 255), types
 * (RTN_UNICAST 1, RTN_LOCAL 2, RTN_BROADCAST 3) and scopes. */
struct netif_route {
	int family;
	uint8_t table, type, scope, protocol;
	uint8_t dst_len;
	uint8_t dst[16], gateway[16], prefsrc[16];
	uint8_t has_gateway, has_prefsrc;
	int ifindex;
	uint32_t metric;
};

/* Snapshots, malloc'd arrays the caller frees; the count or -ENOMEM. */
int netif_nics(struct ns_nic_info **out);
int netif_addrs(struct ns_addr_info **out);
/* Every route of both tables, in the order Linux dumps them: IPv4 main,
 * IPv4 local, IPv6 main, IPv6 local, each sorted by destination. */
int netif_routes(struct netif_route **out);

/* The interface of index / name: 0 and *out filled, or -ENODEV. */
int netif_nic_by_index(int ifindex, struct ns_nic_info *out);
int netif_nic_by_name(const char *name, struct ns_nic_info *out);

/* Linux's ARPHRD_* of an interface (ARPHRD_LOOPBACK, ARPHRD_ETHER). */
unsigned int netif_arphrd(const struct ns_nic_info *nic);

/* /proc/net/dev, /proc/net/if_inet6, /proc/net/route (the IPv4 main
 * table), /proc/net/ipv6_route in Linux's formats (netif_proc.c):
 * malloc'd text, *len set; NULL when out of memory. */
struct task;
char *netif_proc_dev(struct task *t, size_t *len);
char *netif_proc_if_inet6(struct task *t, size_t *len);
char *netif_proc_route(struct task *t, size_t *len);
char *netif_proc_ipv6_route(struct task *t, size_t *len);
/* /proc/net/igmp and /proc/net/igmp6: the groups each interface joins. */
char *netif_proc_igmp(struct task *t, size_t *len);
char *netif_proc_igmp6(struct task *t, size_t *len);

#endif
