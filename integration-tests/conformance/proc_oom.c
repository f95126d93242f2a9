/* /proc/PID/oom_adj (the legacy scale, -17..15) and oom_score next to
 * oom_score_adj: the conversions both ways, the range checks, the score of
 * a small process (666: no share of memory), at +500 (999) and at +1000
 * (1332), as Linux's proc_oom_score; without CAP_SYS_RESOURCE, oom_adj
 * cannot lower the value at all, oom_score_adj not below its floor. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void wr(const char *name, const char *v)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/%s", name);
	int fd = open(path, O_WRONLY);
	ssize_t n = fd < 0 ? -1 : write(fd, v, strlen(v));
	printf("write %s %s: %s\n", name, v, n < 0 ? strerror(errno) : "ok");
	if (fd >= 0)
		close(fd);
}

static void rd(const char *name)
{
	char path[64], buf[32] = "";
	snprintf(path, sizeof(path), "/proc/self/%s", name);
	FILE *f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		snprintf(buf, sizeof(buf), "(%s)\n", strerror(errno));
	if (f)
		fclose(f);
	printf("  %s = %s", name, buf);
}

/* oom_score only where it does not depend on how much memory there is
 * (adj 0, 500, 1000: the rounding of other shares may differ by one). */
static void all(bool score)
{
	rd("oom_score_adj");
	rd("oom_adj");
	if (score)
		rd("oom_score");
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	/* Without CAP_SYS_RESOURCE, whoever runs this (it also decides
	 * whether a write of oom_score_adj sets the floor). */
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	syscall(SYS_capget, &h, d);
	d[0].effective &= ~(1u << CAP_SYS_RESOURCE);
	if (syscall(SYS_capset, &h, d) < 0)
		perror("capset");
	all(true);
	wr("oom_adj", "3");
	all(false);
	wr("oom_score_adj", "500");
	all(true);
	wr("oom_adj", "15");
	all(true);
	wr("oom_adj", "16");
	wr("oom_adj", "-18");
	wr("oom_adj", "x");
	wr("oom_adj", "14");
	wr("oom_adj", "-17");
	wr("oom_score_adj", "-1");
	wr("oom_score_adj", "0");
	all(true);
	wr("oom_adj", "1");
	all(false);
	return 0;
}
