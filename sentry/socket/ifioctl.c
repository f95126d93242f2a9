/*
 * ifioctl.c — the interface ioctls on any socket, as Linux's dev_ioctl,
 * dev_ifconf and devinet_ioctl answer them: SIOCGIFNAME, SIOCGIFFLAGS,
 * SIOCGIFINDEX, SIOCGIFMTU, SIOCGIFMETRIC, SIOCGIFTXQLEN, SIOCGIFHWADDR,
 * SIOCGIFMAP and SIOCGIFCONF on every socket; SIOCGIFADDR, SIOCGIFNETMASK,
 * SIOCGIFBRDADDR, SIOCGIFDSTADDR on AF_INET sockets only (Linux answers
 * them from inet_ioctl: another family gets ENOTTY).  Setting anything is EPERM without CAP_NET_ADMIN, as
 * Linux, and EOPNOTSUPP with it: the sandbox's interfaces are fixed.
 *
 * The socket layer calls it after the family's own ioctl said
 * -ENOIOCTLCMD (socket_set_ifioctl).  It reads the interfaces through
 * netif.c, holds no lock and copies app memory with task_copy_*.
 */
#include "sentry/socket/ifioctl.h"

#include <errno.h>
#include <linux/capability.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/log.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/netif.h"
#include "sentry/socket/socket.h"

#ifndef ENOIOCTLCMD
#define ENOIOCTLCMD 515
#endif

static int64_t put_ifreq(struct task *t, uint64_t arg, const struct ifreq *ifr)
{
	return task_copy_out(t, arg, ifr, sizeof(*ifr)) < 0 ? -EFAULT : 0;
}

/* The IPv4 address of the interface (the first), or -EADDRNOTAVAIL. */
static int inet_addr_of(int ifindex, struct ns_addr_info *out)
{
	struct ns_addr_info *v;
	int n = netif_addrs(&v);
	if (n < 0)
		return n;
	int r = -EADDRNOTAVAIL;
	for (int i = 0; i < n && r; i++) {
		if (v[i].family == AF_INET && v[i].ifindex == ifindex) {
			*out = v[i];
			r = 0;
		}
	}
	free(v);
	return r;
}

static uint32_t mask_of(unsigned int prefixlen)
{
	return prefixlen ? htonl(0xffffffffu << (32 - prefixlen)) : 0;
}

/* dev_ifconf + inet_gifconf: one struct ifreq per IPv4 address; with no
 * buffer, the room they need. */
static int64_t ifconf(struct task *t, struct socket *s, uint64_t arg)
{
	struct ifconf ifc;
	if (task_copy_in(t, &ifc, arg, sizeof(ifc)) < 0)
		return -EFAULT;
	int total = 0;
	{
		struct ns_nic_info *nics;
		struct ns_addr_info *addrs;
		int nn = netif_nics(&nics);
		if (nn < 0)
			return nn;
		int na = netif_addrs(&addrs);
		if (na < 0) {
			free(nics);
			return na;
		}
		uint64_t buf = (uint64_t)(uintptr_t)ifc.ifc_buf;
		int64_t r = 0;
		for (int i = 0; i < nn && !r; i++) {
			for (int j = 0; j < na && !r; j++) {
				if (addrs[j].family != AF_INET || addrs[j].ifindex != nics[i].ifindex)
					continue;
				if (!buf) {
					total += (int)sizeof(struct ifreq);
					continue;
				}
				if (ifc.ifc_len - total < (int)sizeof(struct ifreq))
					break;
				struct ifreq ifr;
				memset(&ifr, 0, sizeof(ifr));
				memcpy(ifr.ifr_name, nics[i].name, IFNAMSIZ - 1);
				struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
				sin->sin_family = AF_INET;
				memcpy(&sin->sin_addr, addrs[j].addr, 4);
				r = put_ifreq(t, buf + (uint64_t)total, &ifr);
				total += (int)sizeof(struct ifreq);
			}
		}
		free(nics);
		free(addrs);
		if (r)
			return r;
	}
	return task_copy_out(t, arg + offsetof(struct ifconf, ifc_len), &total, sizeof(total)) < 0
		   ? -EFAULT
		   : 0;
}

static bool is_set_cmd(unsigned int cmd)
{
	switch (cmd) {
	case SIOCSIFFLAGS:
	case SIOCSIFMETRIC:
	case SIOCSIFMTU:
	case SIOCSIFMAP:
	case SIOCSIFHWADDR:
	case SIOCSIFSLAVE:
	case SIOCADDMULTI:
	case SIOCDELMULTI:
	case SIOCSIFHWBROADCAST:
	case SIOCSIFTXQLEN:
	case SIOCSIFNAME:
		return true;
	default:
		return false;
	}
}

static bool is_inet_cmd(unsigned int cmd)
{
	switch (cmd) {
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
	case SIOCGIFDSTADDR:
	case SIOCSIFADDR:
	case SIOCSIFNETMASK:
	case SIOCSIFBRDADDR:
	case SIOCSIFDSTADDR:
	case SIOCSIFPFLAGS:
	case SIOCGIFPFLAGS:
		return true;
	default:
		return false;
	}
}

int64_t ifioctl(struct task *t, struct socket *s, unsigned int cmd, uint64_t arg)
{
	if (cmd == SIOCGIFCONF)
		return ifconf(t, s, arg);
	bool inet = is_inet_cmd(cmd);
	if (inet && s->family != AF_INET)
		return -ENOIOCTLCMD;
	bool set = is_set_cmd(cmd) || (inet && cmd != SIOCGIFADDR && cmd != SIOCGIFNETMASK &&
					cmd != SIOCGIFBRDADDR && cmd != SIOCGIFDSTADDR &&
					cmd != SIOCGIFPFLAGS);
	switch (cmd) {
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCGIFINDEX:
	case SIOCGIFMTU:
	case SIOCGIFMETRIC:
	case SIOCGIFTXQLEN:
	case SIOCGIFHWADDR:
	case SIOCGIFMAP:
		break;
	default:
		if (!inet && !set)
			return -ENOIOCTLCMD;
	}
	struct ifreq ifr;
	if (task_copy_in(t, &ifr, arg, sizeof(ifr)) < 0)
		return -EFAULT;
	ifr.ifr_name[IFNAMSIZ - 1] = 0;
	if (set) {
		if (!t || !t->creds || !creds_capable(t->creds, CAP_NET_ADMIN))
			return -EPERM;
		log_debug("ioctl %#x: the sandbox's interfaces cannot be changed", cmd);
		return -EOPNOTSUPP;
	}
	struct ns_nic_info nic;
	if (cmd == SIOCGIFNAME) {
		if (netif_nic_by_index(ifr.ifr_ifindex, &nic) < 0)
			return -ENODEV;
		memset(ifr.ifr_name, 0, IFNAMSIZ);
		memcpy(ifr.ifr_name, nic.name, IFNAMSIZ - 1);
		return put_ifreq(t, arg, &ifr);
	}
	if (netif_nic_by_name(ifr.ifr_name, &nic) < 0)
		return -ENODEV;
	switch (cmd) {
	case SIOCGIFFLAGS:
		ifr.ifr_flags = (short)(nic.flags & 0xffff);
		break;
	case SIOCGIFINDEX:
		ifr.ifr_ifindex = nic.ifindex;
		break;
	case SIOCGIFMTU:
		ifr.ifr_mtu = (int)nic.mtu;
		break;
	case SIOCGIFMETRIC:
		ifr.ifr_metric = 0;
		break;
	case SIOCGIFTXQLEN:
		ifr.ifr_qlen = 1000;
		break;
	case SIOCGIFMAP:
		memset(&ifr.ifr_map, 0, sizeof(ifr.ifr_map));
		break;
	case SIOCGIFHWADDR:
		memset(&ifr.ifr_hwaddr, 0, sizeof(ifr.ifr_hwaddr));
		ifr.ifr_hwaddr.sa_family = (sa_family_t)netif_arphrd(&nic);
		memcpy(ifr.ifr_hwaddr.sa_data, nic.hwaddr, 6);
		break;
	case SIOCGIFPFLAGS:
		ifr.ifr_flags = 0;
		break;
	default: { /* devinet_ioctl's SIOCGIF{ADDR,NETMASK,BRDADDR,DSTADDR} */
		struct ns_addr_info a;
		int e = inet_addr_of(nic.ifindex, &a);
		if (e)
			return e;
		struct sockaddr_in sin = {.sin_family = AF_INET};
		uint32_t addr;
		memcpy(&addr, a.addr, 4);
		if (cmd == SIOCGIFNETMASK)
			sin.sin_addr.s_addr = mask_of(a.prefixlen);
		else if (cmd == SIOCGIFBRDADDR)
			/* A broadcast address only where one is configured:
			 * not on a loopback device. */
			sin.sin_addr.s_addr = (nic.flags & IFF_LOOPBACK) || a.prefixlen >= 31
						  ? 0
						  : (addr | ~mask_of(a.prefixlen));
		else
			sin.sin_addr.s_addr = addr;
		memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	}
	}
	return put_ifreq(t, arg, &ifr);
}
