/* Conformance: /proc/net/{tcp,tcp6,udp,udp6} list this program's sockets
 * in Linux's format, and the net sysctls programs read.  Other sockets of
 * the host are skipped (only lines naming one of our ephemeral ports are
 * kept); each kept line is normalised to its local and remote
 * address:port (ports by name) and state, and the lines are sorted.  The
 * headers and the padded line length of tcp and udp are printed as is. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAXP 16
static unsigned ports[MAXP];
static const char *names[MAXP];
static int nports;

static unsigned short bound_port(int s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	getsockname(s, (struct sockaddr *)&ss, &len);
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
					      : ((struct sockaddr_in *)&ss)->sin_port);
}

static void name_port(int s, const char *name)
{
	ports[nports] = bound_port(s);
	names[nports++] = name;
}

static const char *port_name(unsigned p)
{
	if (p == 0)
		return "0";
	for (int i = 0; i < nports; i++)
		if (ports[i] == p)
			return names[i];
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void show_table(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s\n", path, strerror(errno));
		return;
	}
	char line[512];
	char *out[64];
	int n = 0;
	printf("== %s\n", path);
	if (fgets(line, sizeof(line), f))
		printf("header (%zu): %s", strlen(line), line);
	while (fgets(line, sizeof(line), f) && n < 64) {
		char local[64], remote[64], st[8];
		if (sscanf(line, "%*s %63s %63s %7s", local, remote, st) != 3)
			continue;
		char *lp = strchr(local, ':'), *rp = strchr(remote, ':');
		if (!lp || !rp)
			continue;
		*lp++ = 0;
		*rp++ = 0;
		const char *ln = port_name((unsigned)strtoul(lp, NULL, 16));
		const char *rn = port_name((unsigned)strtoul(rp, NULL, 16));
		/* Our sockets: a local port of ours, or an accepted one whose
		 * remote port is ours (its local port is the listener's). */
		if (!ln && !rn)
			continue;
		if (!ln || !rn)
			continue;
		char *o;
		if (asprintf(&o, "%s:%s %s:%s %s (len %zu)", local, ln, remote, rn, st,
			     strlen(line)) < 0)
			break;
		out[n++] = o;
	}
	fclose(f);
	qsort(out, n, sizeof(out[0]), cmp);
	for (int i = 0; i < n; i++) {
		/* Line lengths vary with inode numbers except for padded
		 * tables (tcp, udp), where they are fixed. */
		if (strstr(path, "6"))
			*strstr(out[i], " (len") = 0;
		printf("%s\n", out[i]);
		free(out[i]);
	}
}

static void show_file(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[128] = {0};
	if (!f) {
		printf("%s: %s\n", path, strerror(errno));
		return;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	printf("%s: %s", path, buf);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int l = socket(AF_INET, SOCK_STREAM, 0);
	bind(l, (struct sockaddr *)&a, sizeof(a));
	listen(l, 8);
	name_port(l, "LISTEN4");
	a.sin_port = htons(bound_port(l));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof(a));
	name_port(c, "CLIENT4");
	int s = accept(l, NULL, NULL);
	/* A connection not accepted yet. */
	int c2 = socket(AF_INET, SOCK_STREAM, 0);
	connect(c2, (struct sockaddr *)&a, sizeof(a));
	name_port(c2, "CLIENT4B");

	struct sockaddr_in6 b = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int l6 = socket(AF_INET6, SOCK_STREAM, 0);
	bind(l6, (struct sockaddr *)&b, sizeof(b));
	listen(l6, 8);
	name_port(l6, "LISTEN6");
	b.sin6_port = htons(bound_port(l6));
	int c6 = socket(AF_INET6, SOCK_STREAM, 0);
	connect(c6, (struct sockaddr *)&b, sizeof(b));
	name_port(c6, "CLIENT6");
	int s6 = accept(l6, NULL, NULL);

	struct sockaddr_in u = {.sin_family = AF_INET};
	u.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	int d = socket(AF_INET, SOCK_DGRAM, 0);
	bind(d, (struct sockaddr *)&u, sizeof(u));
	name_port(d, "UDP4");
	int dc = socket(AF_INET, SOCK_DGRAM, 0);
	u.sin_port = htons(bound_port(d));
	connect(dc, (struct sockaddr *)&u, sizeof(u));
	name_port(dc, "UDP4C");
	struct sockaddr_in6 v = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
	int d6 = socket(AF_INET6, SOCK_DGRAM, 0);
	bind(d6, (struct sockaddr *)&v, sizeof(v));
	name_port(d6, "UDP6");

	show_table("/proc/net/tcp");
	show_table("/proc/net/tcp6");
	show_table("/proc/net/udp");
	show_table("/proc/net/udp6");

	/* After a close: the client's end waits in FIN_WAIT2, the server's in
	 * CLOSE_WAIT. */
	close(c);
	usleep(100000);
	show_table("/proc/net/tcp");

	show_file("/proc/sys/net/core/somaxconn");
	show_file("/proc/sys/net/ipv4/ip_local_port_range");
	show_file("/proc/sys/net/ipv4/tcp_fin_timeout");
	show_file("/proc/sys/net/ipv4/tcp_keepalive_time");
	show_file("/proc/sys/net/ipv4/tcp_keepalive_intvl");
	show_file("/proc/sys/net/ipv4/tcp_keepalive_probes");
	show_file("/proc/sys/net/ipv4/tcp_sack");
	show_file("/proc/sys/net/ipv4/tcp_timestamps");
	show_file("/proc/sys/net/ipv4/tcp_window_scaling");
	show_file("/proc/sys/net/ipv4/ip_default_ttl");
	show_file("/proc/sys/net/ipv4/tcp_syn_retries");
	show_file("/proc/sys/net/ipv6/bindv6only");
	close(s);
	close(s6);
	close(c6);
	close(c2);
	close(l);
	close(l6);
	close(d);
	close(dc);
	close(d6);
	return 0;
}
