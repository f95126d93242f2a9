/* Conformance: /sys/devices/system/cpu and the counts derived from it
 * (sysconf(_SC_NPROCESSORS_CONF/ONLN), get_nprocs_conf), as thread pools
 * size themselves. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define CPU "/sys/devices/system/cpu/"

static void show(const char *path)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s\n", path, strerror(errno));
		return;
	}
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	printf("%s: '%.*s'\n", path, (int)strcspn(buf, "\n"), buf);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long conf = sysconf(_SC_NPROCESSORS_CONF), onln = sysconf(_SC_NPROCESSORS_ONLN);
	printf("conf %ld onln %ld get_nprocs_conf %d get_nprocs %d\n", conf, onln,
	       get_nprocs_conf(), get_nprocs());
	cpu_set_t set;
	sched_getaffinity(0, sizeof(set), &set);
	printf("affinity count == onln: %d\n", CPU_COUNT(&set) == onln);
	show(CPU "online");
	show(CPU "possible");
	show(CPU "present");
	show(CPU "offline");
	show(CPU "kernel_max");
	DIR *d = opendir(CPU);
	int ncpu = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, "cpu", 3) && e->d_name[3] >= '0' && e->d_name[3] <= '9')
			ncpu++;
	if (d)
		closedir(d);
	printf("cpuN directories == conf: %d\n", ncpu == conf);
	struct stat st;
	int r = stat(CPU "cpu0/online", &st); /* x86: cpu0 cannot go offline */
	printf("cpu0/online: %d %s\n", r, strerror(errno));
	for (long i = 0; i < conf; i++) {
		char p[128];
		snprintf(p, sizeof(p), CPU "cpu%ld", i);
		int dir = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
		snprintf(p, sizeof(p), CPU "cpu%ld/topology/core_id", i);
		int core = stat(p, &st) == 0 && S_ISREG(st.st_mode);
		snprintf(p, sizeof(p), CPU "cpu%ld/topology/physical_package_id", i);
		int pkg = stat(p, &st) == 0;
		snprintf(p, sizeof(p), CPU "cpu%ld/topology/thread_siblings_list", i);
		int sib = stat(p, &st) == 0;
		printf("cpu%ld: dir %d core_id %d package %d siblings %d\n", i, dir, core, pkg, sib);
		if (i > 0) {
			snprintf(p, sizeof(p), CPU "cpu%ld/online", i);
			show(p);
		}
	}
	r = stat(CPU "cpu9999", &st);
	printf("cpu9999: %d %s\n", r, strerror(errno));
	return 0;
}
