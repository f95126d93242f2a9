/* Conformance: the interface ioctls (SIOCGIFCONF, SIOCGIFADDR,
 * SIOCGIFNETMASK, SIOCGIFBRDADDR, SIOCGIFDSTADDR, SIOCGIFFLAGS,
 * SIOCGIFINDEX, SIOCGIFNAME, SIOCGIFMTU, SIOCGIFHWADDR, SIOCGIFTXQLEN,
 * SIOCGIFMETRIC) on AF_INET, AF_INET6, AF_UNIX and AF_NETLINK sockets,
 * if_nametoindex/if_indextoname, and /proc/net/{dev,if_inet6,route,
 * ipv6_route,igmp,igmp6} (their headers and lo's lines, counters left out).
 *
 * conformance: fresh-netns
 * (natively it runs in a new network namespace, where it brings lo up.) */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/syscall.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static const char *sin_str(const struct sockaddr *sa)
{
	static char buf[64];
	const struct sockaddr_in *in = (const void *)sa;
	snprintf(buf, sizeof(buf), "family %d %s", sa->sa_family,
		 inet_ntop(AF_INET, &in->sin_addr, buf + 40, 24));
	return buf;
}

static void by_name(int fd, const char *name)
{
	struct ifreq ifr;
	char what[64];
#define Q(cmd, fmt, ...)                                                                           \
	do {                                                                                       \
		memset(&ifr, 0, sizeof(ifr));                                                      \
		strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);                                         \
		snprintf(what, sizeof(what), "  %s %s", #cmd, name);                               \
		if (ioctl(fd, cmd, &ifr) < 0)                                                      \
			printf("%s: %s\n", what, strerrorname_np(errno));                          \
		else                                                                               \
			printf("%s: " fmt "\n", what, __VA_ARGS__);                                 \
	} while (0)
	Q(SIOCGIFFLAGS, "%#x", (unsigned)(unsigned short)ifr.ifr_flags);
	Q(SIOCGIFINDEX, "%d", ifr.ifr_ifindex);
	Q(SIOCGIFMTU, "%d", ifr.ifr_mtu);
	Q(SIOCGIFMETRIC, "%d", ifr.ifr_metric);
	Q(SIOCGIFTXQLEN, "%d", ifr.ifr_qlen);
	Q(SIOCGIFHWADDR, "family %d %02x:%02x:%02x:%02x:%02x:%02x", ifr.ifr_hwaddr.sa_family,
	  (unsigned char)ifr.ifr_hwaddr.sa_data[0], (unsigned char)ifr.ifr_hwaddr.sa_data[1],
	  (unsigned char)ifr.ifr_hwaddr.sa_data[2], (unsigned char)ifr.ifr_hwaddr.sa_data[3],
	  (unsigned char)ifr.ifr_hwaddr.sa_data[4], (unsigned char)ifr.ifr_hwaddr.sa_data[5]);
	Q(SIOCGIFADDR, "%s", sin_str(&ifr.ifr_addr));
	Q(SIOCGIFNETMASK, "%s", sin_str(&ifr.ifr_netmask));
	Q(SIOCGIFBRDADDR, "%s", sin_str(&ifr.ifr_broadaddr));
	Q(SIOCGIFDSTADDR, "%s", sin_str(&ifr.ifr_dstaddr));
#undef Q
}

static void on_socket(const char *what, int fd)
{
	printf("== %s\n", what);
	if (fd < 0) {
		printf("socket: %s\n", strerrorname_np(errno));
		return;
	}
	by_name(fd, "lo");
	by_name(fd, "eth7");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_ifindex = 1;
	show("  SIOCGIFNAME 1", ioctl(fd, SIOCGIFNAME, &ifr));
	printf("  name %s\n", ifr.ifr_name);
	ifr.ifr_ifindex = 42;
	show("  SIOCGIFNAME 42", ioctl(fd, SIOCGIFNAME, &ifr));
	struct ifconf ifc = {.ifc_len = 0, .ifc_buf = NULL};
	show("  SIOCGIFCONF size", ioctl(fd, SIOCGIFCONF, &ifc));
	printf("  needed %d (ifreq %zu)\n", ifc.ifc_len, sizeof(struct ifreq));
	struct ifreq reqs[8];
	ifc.ifc_len = sizeof(reqs);
	ifc.ifc_req = reqs;
	show("  SIOCGIFCONF", ioctl(fd, SIOCGIFCONF, &ifc));
	for (int i = 0; i < ifc.ifc_len / (int)sizeof(struct ifreq); i++)
		printf("  ifconf %s %s\n", reqs[i].ifr_name, sin_str(&reqs[i].ifr_addr));
	ifc.ifc_len = sizeof(struct ifreq) - 1;
	show("  SIOCGIFCONF too small", ioctl(fd, SIOCGIFCONF, &ifc));
	printf("  written %d\n", ifc.ifc_len);
	show("  SIOCGIFFLAGS bad pointer", ioctl(fd, SIOCGIFFLAGS, (void *)8));
	show("  SIOCGIFCONF bad pointer", ioctl(fd, SIOCGIFCONF, (void *)8));
	close(fd);
}

/* The file's header line and every line naming lo, with the counters of
 * /proc/net/dev left out. */
static void proc_file(const char *path)
{
	printf("== %s\n", path);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("open: %s\n", strerrorname_np(errno));
		return;
	}
	char line[512];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		n++;
		if (strstr(path, "/dev") && n > 2) {
			char name[32];
			unsigned long long v[16];
			int k = sscanf(line, " %31[^:]: %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu "
					     "%llu %llu %llu %llu %llu %llu",
				       name, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
				       &v[8], &v[9], &v[10], &v[11], &v[12], &v[13], &v[14], &v[15]);
			printf("  %s: %d fields, line length %s\n", name, k,
			       strlen(line) > 100 ? "over 100" : "short");
			continue;
		}
		printf("  %s", line);
	}
	fclose(f);
}

/* Natively the program starts in a fresh network namespace, whose lo is
 * down: bring it up (as root), so that it looks like the sandbox's.  Under
 * visor lo is up already and nothing is changed. */
static void lo_up(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	lo_up();
	on_socket("AF_INET dgram", socket(AF_INET, SOCK_DGRAM, 0));
	on_socket("AF_INET6 dgram", socket(AF_INET6, SOCK_DGRAM, 0));
	on_socket("AF_UNIX stream", socket(AF_UNIX, SOCK_STREAM, 0));
	on_socket("AF_NETLINK", socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE));
	printf("== libc\n");
	printf("if_nametoindex lo %u\n", if_nametoindex("lo"));
	errno = 0;
	printf("if_nametoindex eth7 %u %s\n", if_nametoindex("eth7"), strerrorname_np(errno));
	char name[IF_NAMESIZE];
	printf("if_indextoname 1 %s\n", if_indextoname(1, name));
	const char *r = if_indextoname(42, name);
	printf("if_indextoname 42 %s %s\n", r ? r : "NULL", strerrorname_np(errno));
	int fd = open("/dev/null", O_RDONLY);
	struct ifreq ifr = {0};
	show("SIOCGIFFLAGS on /dev/null", ioctl(fd, SIOCGIFFLAGS, &ifr));
	close(fd);
	/* Without CAP_NET_ADMIN nothing can be changed. */
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) == 0) {
		d[0].effective &= ~(1u << CAP_NET_ADMIN);
		show("capset", syscall(SYS_capset, &h, d));
	}
	int s4 = socket(AF_INET, SOCK_DGRAM, 0), su = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_mtu = 1500;
	show("SIOCSIFMTU", ioctl(s4, SIOCSIFMTU, &ifr));
	show("SIOCSIFFLAGS", ioctl(su, SIOCSIFFLAGS, &ifr));
	show("SIOCSIFADDR inet", ioctl(s4, SIOCSIFADDR, &ifr));
	show("SIOCSIFADDR unix", ioctl(su, SIOCSIFADDR, &ifr));
	show("SIOCSIFMTU bad pointer", ioctl(s4, SIOCSIFMTU, (void *)8));
	close(s4);
	close(su);
	proc_file("/proc/net/dev");
	proc_file("/proc/net/if_inet6");
	proc_file("/proc/net/route");
	proc_file("/proc/net/ipv6_route");
	proc_file("/proc/net/igmp");
	proc_file("/proc/net/igmp6");
	return 0;
}
