/*
 * inet_proc.c — what /proc shows of the sandbox's netstack:
 * /proc/net/{tcp,tcp6,udp,udp6} in Linux's exact format (so `ss` falls
 * back to them and `netstat` works) and the net sysctls programs read
 * (/proc/sys/net/core/somaxconn, net/ipv4/ip_local_port_range, tcp_*),
 * from the stack's snapshots (ns_stack_endpoints, ns_stack_get_sysctl).
 * register.c hands the files (inet_proc_files) to procfs.
 *
 * The columns Linux fills from state the netstack does not keep (rto,
 * ato, pingpong, cwnd, ssthresh at the end of a tcp row) show Linux's
 * values for a fresh connection on lo; pointers show as %pK does under
 * kptr_restrict (zeros).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstack/netstack.h"
#include "sentry/socket/inet.h"

#define USER_HZ 100
#define TCP_ROW_WIDTH 149 /* Linux pads each /proc/net/tcp line to TMPSZ - 1 */
#define UDP_ROW_WIDTH 127
#define UDP_HASH_MASK 127 /* the bucket shown in udp's "sl" column */

struct text {
	FILE *f;
	char *buf;
	size_t len;
};

static int text_open(struct text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f ? 0 : -ENOMEM;
}

static char *text_done(struct text *t, size_t *len)
{
	if (fclose(t->f) != 0) {
		free(t->buf);
		return NULL;
	}
	*len = t->len;
	return t->buf;
}

/* printf a line padded with spaces to width (0: no padding), then '\n'. */
static void line(struct text *t, int width, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void line(struct text *t, int width, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vfprintf(t->f, fmt, ap);
	va_end(ap);
	for (; n >= 0 && n < width; n++)
		fputc(' ', t->f);
	fputc('\n', t->f);
}

/* An address as Linux prints it: the 32-bit words of the network-order
 * address read in host order. */
static void addr_words(char *out, size_t size, const uint8_t *a, bool v6)
{
	uint32_t w[4];
	memcpy(w, a, v6 ? 16 : 4);
	if (v6)
		snprintf(out, size, "%08X%08X%08X%08X", w[0], w[1], w[2], w[3]);
	else
		snprintf(out, size, "%08X", w[0]);
}

static unsigned long ticks(uint64_t ns)
{
	return (unsigned long)(ns / (1000000000ull / USER_HZ));
}

static char *gen_table(int protocol, int family, size_t *len)
{
	struct ns_stack *s = inet_stack();
	struct text t;
	if (text_open(&t) < 0)
		return NULL;
	bool v6 = family == AF_INET6, tcp = protocol == IPPROTO_TCP;
	if (tcp && !v6)
		line(&t, TCP_ROW_WIDTH, "  sl  local_address rem_address   st tx_queue rx_queue tr "
					"tm->when retrnsmt   uid  timeout inode");
	else if (tcp)
		line(&t, 0, "  sl  local_address                         remote_address         "
			    "               st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
			    "inode");
	else if (!v6)
		line(&t, UDP_ROW_WIDTH, "   sl  local_address rem_address   st tx_queue rx_queue tr "
					"tm->when retrnsmt   uid  timeout inode ref pointer drops");
	else
		line(&t, 0, "  sl  local_address                         remote_address         "
			    "               st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
			    "inode ref pointer drops");
	struct ns_ep_info *rows = NULL;
	int n = s ? ns_stack_endpoints(s, protocol, &rows) : 0;
	int sl = 0;
	/* Listeners first, as Linux walks its listening hash before the
	 * established one. */
	for (int k = 0; k < 2 * n; k++) {
		const struct ns_ep_info *e = &rows[k % n];
		if (e->family != family || (k < n) != (tcp && e->state == NS_TCP_LISTEN))
			continue;
		char la[40], ra[40];
		addr_words(la, sizeof(la), e->local, v6);
		addr_words(ra, sizeof(ra), e->remote, v6);
		unsigned long when = e->timer ? ticks(e->timer_expires_ns) : 0;
		if (!tcp) {
			/* udp4_format_sock / __ip6_dgram_sock_seq_show */
			line(&t, v6 ? 0 : UDP_ROW_WIDTH,
			     "%5d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d "
			     "%016x %u",
			     e->lport & UDP_HASH_MASK, la, e->lport, ra, e->rport, e->state, e->tx_queue,
			     e->rx_queue, 0, 0ul, 0, e->uid, 0, (unsigned long)e->ino,
			     e->refs ? (int)e->refs : 2, 0, e->drops);
		} else if (e->state == NS_TCP_TIME_WAIT) {
			/* get_timewait4_sock / get_timewait6_sock */
			line(&t, v6 ? 0 : TCP_ROW_WIDTH,
			     "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5d %8d %d %d %016x", sl,
			     la, e->lport, ra, e->rport, e->state, 0, 0, 3, when, 0, 0, 0, 0, 3, 0);
		} else if (e->state == NS_TCP_SYN_RECV) {
			/* get_openreq4 / get_openreq6 */
			line(&t, v6 ? 0 : TCP_ROW_WIDTH,
			     "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %u %d %016x",
			     sl, la, e->lport, ra, e->rport, e->state, 0, 0, 1, when, e->retransmits,
			     e->uid, 0, 0, 0, 0);
		} else {
			/* get_tcp4_sock / get_tcp6_sock: a listener's rx_queue is
			 * its accept backlog, its tx_queue 0 (write_seq - snd_una)
			 * and it shows no timer. */
			bool listen = e->state == NS_TCP_LISTEN;
			line(&t, v6 ? 0 : TCP_ROW_WIDTH,
			     "%4d: %s:%04X %s:%04X %02X %08X:%08X %02X:%08lX %08X %5u %8d %lu %d %016x "
			     "%lu %lu %u %u %d",
			     sl, la, e->lport, ra, e->rport, e->state, listen ? 0 : e->tx_queue,
			     e->rx_queue, listen ? 0 : e->timer, listen ? 0ul : when, e->retransmits,
			     e->uid, 0, (unsigned long)e->ino, e->refs ? (int)e->refs : 1, 0,
			     listen ? 100ul : 20ul, 0ul, 0u, 10u, listen ? 0 : -1);
		}
		sl++;
	}
	free(rows);
	return text_done(&t, len);
}

static char *proc_tcp(struct task *t, size_t *len)
{
	return gen_table(IPPROTO_TCP, AF_INET, len);
}

static char *proc_tcp6(struct task *t, size_t *len)
{
	return gen_table(IPPROTO_TCP, AF_INET6, len);
}

static char *proc_udp(struct task *t, size_t *len)
{
	return gen_table(IPPROTO_UDP, AF_INET, len);
}

static char *proc_udp6(struct task *t, size_t *len)
{
	return gen_table(IPPROTO_UDP, AF_INET6, len);
}

/* ---------------------------------------------------------------- sysctls */

static char *sysctl_text(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *sysctl_text(size_t *len, const char *fmt, ...)
{
	struct text t;
	if (text_open(&t) < 0)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(t.f, fmt, ap);
	va_end(ap);
	fputc('\n', t.f);
	return text_done(&t, len);
}

static struct ns_sysctl sysctl_now(void)
{
	struct ns_sysctl c;
	memset(&c, 0, sizeof(c));
	if (inet_stack())
		ns_stack_get_sysctl(inet_stack(), &c);
	return c;
}

#define SYSCTL_U(fn, field)                                                                        \
	static char *fn(struct task *t, size_t *len)                                               \
	{                                                                                          \
		struct ns_sysctl c = sysctl_now();                                                 \
		return sysctl_text(len, "%u", (unsigned int)c.field);                              \
	}

SYSCTL_U(sc_somaxconn, somaxconn)
SYSCTL_U(sc_rmem_max, rmem_max)
SYSCTL_U(sc_wmem_max, wmem_max)
SYSCTL_U(sc_rmem_default, rmem_default)
SYSCTL_U(sc_wmem_default, wmem_default)
SYSCTL_U(sc_max_syn_backlog, max_syn_backlog)
SYSCTL_U(sc_tcp_sack, tcp_sack)
SYSCTL_U(sc_tcp_timestamps, tcp_timestamps)
SYSCTL_U(sc_tcp_window_scaling, tcp_window_scaling)
SYSCTL_U(sc_tcp_syn_retries, tcp_syn_retries)
SYSCTL_U(sc_tcp_synack_retries, tcp_synack_retries)
SYSCTL_U(sc_tcp_retries2, tcp_retries2)
SYSCTL_U(sc_tcp_tw_reuse, tcp_tw_reuse)
SYSCTL_U(sc_default_ttl, ip_default_ttl)
SYSCTL_U(sc_keepalive_time, tcp_keepalive_time)
SYSCTL_U(sc_keepalive_intvl, tcp_keepalive_intvl)
SYSCTL_U(sc_keepalive_probes, tcp_keepalive_probes)
SYSCTL_U(sc_fin_timeout, tcp_fin_timeout)
SYSCTL_U(sc_unprivileged_port_start, unprivileged_port_start)

static char *sc_port_range(struct task *t, size_t *len)
{
	struct ns_sysctl c = sysctl_now();
	return sysctl_text(len, "%u\t%u", c.port_lo, c.port_hi);
}

static char *sc_tcp_rmem(struct task *t, size_t *len)
{
	struct ns_sysctl c = sysctl_now();
	return sysctl_text(len, "%u\t%u\t%u", c.tcp_rmem[0], c.tcp_rmem[1], c.tcp_rmem[2]);
}

static char *sc_tcp_wmem(struct task *t, size_t *len)
{
	struct ns_sysctl c = sysctl_now();
	return sysctl_text(len, "%u\t%u\t%u", c.tcp_wmem[0], c.tcp_wmem[1], c.tcp_wmem[2]);
}

/* Ping sockets are open to every group (inet.c), as Docker sets it. */
static char *sc_ping_group_range(struct task *t, size_t *len)
{
	return sysctl_text(len, "0\t2147483647");
}

static char *sc_zero(struct task *t, size_t *len)
{
	return sysctl_text(len, "0");
}

/* TFO_CLIENT_ENABLE, Linux's default: MSG_FASTOPEN and TCP_FASTOPEN_CONNECT
 * work (with no cookie, a plain handshake), servers hand out no cookies. */
static char *sc_tcp_fastopen(struct task *t, size_t *len)
{
	return sysctl_text(len, "1");
}

static char *sc_tcp_congestion(struct task *t, size_t *len)
{
	return sysctl_text(len, "reno");
}

static const struct inet_proc_file files[] = {
    {NULL, "tcp", proc_tcp},
    {NULL, "tcp6", proc_tcp6},
    {NULL, "udp", proc_udp},
    {NULL, "udp6", proc_udp6},
    {"net/core", "somaxconn", sc_somaxconn},
    {"net/core", "rmem_max", sc_rmem_max},
    {"net/core", "wmem_max", sc_wmem_max},
    {"net/core", "rmem_default", sc_rmem_default},
    {"net/core", "wmem_default", sc_wmem_default},
    {"net/ipv4", "ip_local_port_range", sc_port_range},
    {"net/ipv4", "ip_default_ttl", sc_default_ttl},
    {"net/ipv4", "ip_unprivileged_port_start", sc_unprivileged_port_start},
    {"net/ipv4", "ping_group_range", sc_ping_group_range},
    {"net/ipv4", "tcp_max_syn_backlog", sc_max_syn_backlog},
    {"net/ipv4", "tcp_sack", sc_tcp_sack},
    {"net/ipv4", "tcp_timestamps", sc_tcp_timestamps},
    {"net/ipv4", "tcp_window_scaling", sc_tcp_window_scaling},
    {"net/ipv4", "tcp_syn_retries", sc_tcp_syn_retries},
    {"net/ipv4", "tcp_synack_retries", sc_tcp_synack_retries},
    {"net/ipv4", "tcp_retries2", sc_tcp_retries2},
    {"net/ipv4", "tcp_tw_reuse", sc_tcp_tw_reuse},
    {"net/ipv4", "tcp_keepalive_time", sc_keepalive_time},
    {"net/ipv4", "tcp_keepalive_intvl", sc_keepalive_intvl},
    {"net/ipv4", "tcp_keepalive_probes", sc_keepalive_probes},
    {"net/ipv4", "tcp_fin_timeout", sc_fin_timeout},
    {"net/ipv4", "tcp_rmem", sc_tcp_rmem},
    {"net/ipv4", "tcp_wmem", sc_tcp_wmem},
    {"net/ipv4", "tcp_fastopen", sc_tcp_fastopen},
    {"net/ipv4", "tcp_congestion_control", sc_tcp_congestion},
    {"net/ipv6", "bindv6only", sc_zero},
};

const struct inet_proc_file *inet_proc_files(size_t *n)
{
	*n = sizeof(files) / sizeof(files[0]);
	return files;
}

char *inet_proc_net(int protocol, int family, size_t *len)
{
	return gen_table(protocol, family, len);
}
