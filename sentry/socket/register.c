/*
 * register.c — hands every socket family to the socket layer at boot, and
 * their /proc/net files to procfs.  A new family (inet.c, netlink.c) is a
 * line here; the core (socket.c) names none.
 */
#include "sentry/fs/procfs.h"
#include "sentry/socket/hostinet.h"
#include "sentry/socket/ifioctl.h"
#include "sentry/socket/inet.h"
#include "sentry/socket/netif.h"
#include "sentry/socket/netlink.h"
#include "sentry/socket/socket.h"
#include "sentry/socket/unix.h"

int sockets_register(void)
{
	int r = unix_register();
	if (r == 0)
		r = procfs_register_net("unix", unix_proc_net);
	if (r == 0)
		r = inet_register(); /* AF_INET, AF_INET6 on the sandbox's netstack */
	if (r == 0 && inet_network_mode() == INET_NETWORK_HOST)
		r = hostinet_register(); /* --network=host: the host's sockets instead */
	size_t n = 0;
	const struct inet_proc_file *pf = inet_proc_files(&n);
	for (size_t i = 0; r == 0 && i < n; i++) /* /proc/net/tcp..., /proc/sys/net */
		r = pf[i].dir ? procfs_register_sysctl(pf[i].dir, pf[i].name, pf[i].fn)
			      : procfs_register_net(pf[i].name, pf[i].fn);
	/* netlink route, the interface ioctls and /proc/net/dev... read the
	 * sandbox's interfaces from its stack. */
	netif_set_stack_source(inet_stack);
	if (r == 0)
		r = netlink_register();
	socket_set_ifioctl(ifioctl); /* SIOCGIF* on any socket */
	if (r == 0)
		r = procfs_register_net("dev", netif_proc_dev);
	if (r == 0)
		r = procfs_register_net("if_inet6", netif_proc_if_inet6);
	if (r == 0)
		r = procfs_register_net("route", netif_proc_route);
	if (r == 0)
		r = procfs_register_net("ipv6_route", netif_proc_ipv6_route);
	if (r == 0)
		r = procfs_register_net("igmp", netif_proc_igmp);
	if (r == 0)
		r = procfs_register_net("igmp6", netif_proc_igmp6);
	return r;
}
