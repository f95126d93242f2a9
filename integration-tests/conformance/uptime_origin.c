/* Conformance: a process's first look at the boot-relative clocks never
 * reads a zero second: CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME
 * and /proc/uptime are at least a second along, as on any machine user
 * space runs on (on a host, its uptime; in a fresh sandbox, the few seconds
 * a booted machine has when init starts).  ping takes tv_sec == 0 for "no
 * probe sent yet" and floods without it.  BOOTTIME never lags MONOTONIC,
 * and /proc/uptime agrees with CLOCK_BOOTTIME. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	static const struct {
		clockid_t id;
		const char *name;
	} clocks[] = {{CLOCK_MONOTONIC, "CLOCK_MONOTONIC"},
		      {CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW"},
		      {CLOCK_MONOTONIC_COARSE, "CLOCK_MONOTONIC_COARSE"},
		      {CLOCK_BOOTTIME, "CLOCK_BOOTTIME"}};
	struct timespec ts[4];
	for (int i = 0; i < 4; i++) {
		clock_gettime(clocks[i].id, &ts[i]);
		printf("%s: tv_sec %s\n", clocks[i].name, ts[i].tv_sec >= 1 ? ">= 1" : "0");
	}
	double up = -1, idle;
	FILE *f = fopen("/proc/uptime", "r");
	if (!f || fscanf(f, "%lf %lf", &up, &idle) != 2)
		printf("/proc/uptime: unreadable\n");
	if (f)
		fclose(f);
	struct timespec b;
	clock_gettime(CLOCK_BOOTTIME, &b);
	double boot = (double)b.tv_sec + b.tv_nsec / 1e9;
	printf("/proc/uptime: %s, within 1 s of CLOCK_BOOTTIME: %s\n", up >= 1 ? ">= 1" : "< 1",
	       up <= boot && boot - up < 1 ? "yes" : "no");
	printf("BOOTTIME >= MONOTONIC: %s\n",
	       ts[3].tv_sec > ts[0].tv_sec ||
		       (ts[3].tv_sec == ts[0].tv_sec && ts[3].tv_nsec >= ts[0].tv_nsec)
		   ? "yes"
		   : "no");
	return 0;
}
