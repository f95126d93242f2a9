/* Conformance: the vDSO.  Finds it through AT_SYSINFO_EHDR, resolves its
 * functions by parsing its ELF dynamic symbols (DT_HASH, with their
 * LINUX_2.6 version), and checks each against the syscall it stands for:
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME never go back across interleaved vDSO
 * and syscall reads, CLOCK_REALTIME, gettimeofday and time agree with the
 * syscall's, getcpu gives a CPU the process may run on, clock_getres the
 * syscall's answer, and a clock the vDSO does not serve still works through
 * it (and an unknown one is -EINVAL, returned raw as Linux's).  Then the
 * mapping: [vdso] and [vvar] in /proc/self/maps (and smaps if any), kept in a fork
 * child. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef int (*clock_gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);
typedef int (*clock_getres_fn)(clockid_t, struct timespec *);

static const Elf64_Sym *symtab;
static const char *strtab;
static const Elf64_Versym *versym;
static const Elf64_Verdef *verdef;
static uint32_t nsyms;
static uintptr_t bias;

static int vdso_parse(uintptr_t base)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64)
		return -1;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	int have_load = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			bias = base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return -1;
	const uint32_t *hash = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = bias + dyn->d_un.d_ptr;
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = (const Elf64_Sym *)p; break;
		case DT_STRTAB: strtab = (const char *)p; break;
		case DT_HASH: hash = (const uint32_t *)p; break;
		case DT_VERSYM: versym = (const Elf64_Versym *)p; break;
		case DT_VERDEF: verdef = (const Elf64_Verdef *)p; break;
		}
	}
	if (!symtab || !strtab || !hash)
		return -1;
	nsyms = hash[1]; /* nchain: one per symbol */
	return 0;
}

/* The version name of symbol i, or "" when it has none. */
static const char *sym_version(uint32_t i)
{
	if (!versym || !verdef)
		return "";
	unsigned idx = versym[i] & 0x7fff;
	for (const Elf64_Verdef *d = verdef;; d = (const Elf64_Verdef *)((const char *)d + d->vd_next)) {
		if (d->vd_ndx == idx && !(d->vd_flags & VER_FLG_BASE)) {
			const Elf64_Verdaux *a = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
			return strtab + a->vda_name;
		}
		if (!d->vd_next)
			return "";
	}
}

static void *vdso_sym(const char *name)
{
	for (uint32_t i = 1; i < nsyms; i++) {
		const Elf64_Sym *s = &symtab[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF)
			continue;
		if (strcmp(strtab + s->st_name, name))
			continue;
		if (strcmp(sym_version(i), "LINUX_2.6")) {
			printf("%s: version %s\n", name, sym_version(i));
			return NULL;
		}
		return (void *)(bias + s->st_value);
	}
	return NULL;
}

static int64_t ts_ns(const struct timespec *ts) { return ts->tv_sec * 1000000000LL + ts->tv_nsec; }

static int64_t sys_ns(clockid_t c)
{
	struct timespec ts;
	if (syscall(SYS_clock_gettime, c, &ts))
		return -1;
	return ts_ns(&ts);
}

/* Interleaved vDSO and syscall reads of c: never back. */
static void check_monotonic(clock_gettime_fn cg, clockid_t c, const char *name)
{
	int64_t last = 0;
	int back = 0;
	for (int i = 0; i < 20000; i++) {
		struct timespec ts;
		int64_t v;
		if (i % 3 == 0) {
			v = sys_ns(c);
		} else {
			if (cg(c, &ts))
				back++;
			v = ts_ns(&ts);
		}
		if (v < last) {
			if (back++ < 3)
				printf("%s went back %lld ns at %d\n", name, (long long)(last - v), i);
		}
		last = v;
	}
	printf("%s: never back across vdso and syscall: %s\n", name, back ? "no" : "yes");
}

static int maps_has(const char *path, const char *what, uintptr_t start)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[512];
	int found = 0;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, what))
			continue;
		unsigned long lo = strtoul(line, NULL, 16);
		if (!start || lo == start)
			found = 1;
	}
	fclose(f);
	return found;
}

int main(void)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	printf("AT_SYSINFO_EHDR present: %s\n", base ? "yes" : "no");
	if (!base || vdso_parse(base) < 0) {
		printf("vdso not parsed\n");
		return 1;
	}
	clock_gettime_fn cg = vdso_sym("__vdso_clock_gettime");
	gettimeofday_fn gtod = vdso_sym("__vdso_gettimeofday");
	time_fn tm = vdso_sym("__vdso_time");
	getcpu_fn gc = vdso_sym("__vdso_getcpu");
	clock_getres_fn gr = vdso_sym("__vdso_clock_getres");
	printf("symbols: clock_gettime %d gettimeofday %d time %d getcpu %d clock_getres %d\n",
	       !!cg, !!gtod, !!tm, !!gc, !!gr);
	printf("clock_gettime alias: %s\n", vdso_sym("clock_gettime") == (void *)cg ? "same" : "differs");
	if (!cg || !gtod || !tm || !gc || !gr)
		return 1;

	check_monotonic(cg, CLOCK_MONOTONIC, "CLOCK_MONOTONIC");
	check_monotonic(cg, CLOCK_BOOTTIME, "CLOCK_BOOTTIME");
	check_monotonic(cg, CLOCK_MONOTONIC_RAW, "CLOCK_MONOTONIC_RAW");

	/* BOOTTIME is never behind MONOTONIC. */
	struct timespec m, b;
	cg(CLOCK_MONOTONIC, &m);
	cg(CLOCK_BOOTTIME, &b);
	printf("boottime >= monotonic: %s\n", ts_ns(&b) >= ts_ns(&m) ? "yes" : "no");

	struct timespec r;
	int ok = 1;
	for (int i = 0; i < 1000; i++) {
		int64_t s0 = sys_ns(CLOCK_REALTIME);
		cg(CLOCK_REALTIME, &r);
		int64_t s1 = sys_ns(CLOCK_REALTIME);
		if (ts_ns(&r) < s0 - 10000000 || ts_ns(&r) > s1 + 10000000)
			ok = 0;
	}
	printf("realtime within 10 ms of the syscall's: %s\n", ok ? "yes" : "no");

	struct timeval tv;
	struct timezone tz = {99, 99};
	int64_t s0 = sys_ns(CLOCK_REALTIME);
	int rc = gtod(&tv, &tz);
	int64_t s1 = sys_ns(CLOCK_REALTIME);
	int64_t us = tv.tv_sec * 1000000LL + tv.tv_usec;
	printf("gettimeofday: rc %d within 10 ms %s tz %d %d\n", rc,
	       us * 1000 >= s0 - 10000000 && us * 1000 <= s1 + 10000000 ? "yes" : "no",
	       tz.tz_minuteswest, tz.tz_dsttime);
	printf("gettimeofday(NULL, NULL): %d\n", gtod(NULL, NULL));

	time_t t_arg = 0;
	time_t t0 = (time_t)syscall(SYS_time, NULL);
	time_t t = tm(&t_arg);
	time_t t1 = (time_t)syscall(SYS_time, NULL);
	printf("time: agrees %s, stored %s\n", t >= t0 && t <= t1 ? "yes" : "no",
	       t_arg == t ? "yes" : "no");

	unsigned cpu = 9999, node = 9999;
	long g = gc(&cpu, &node, NULL);
	cpu_set_t set;
	CPU_ZERO(&set);
	int in_set = sched_getaffinity(0, sizeof(set), &set) == 0 && cpu < CPU_SETSIZE &&
		     CPU_ISSET(cpu, &set);
	printf("getcpu: rc %ld cpu allowed %s node sane %s\n", g, in_set ? "yes" : "no",
	       node < 1024 ? "yes" : "no");
	printf("getcpu(NULL, NULL): %ld\n", gc(NULL, NULL, NULL));

	struct timespec res_v, res_s;
	gr(CLOCK_MONOTONIC, &res_v);
	syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res_s);
	printf("clock_getres(MONOTONIC): vdso %ld.%09ld syscall %ld.%09ld\n", (long)res_v.tv_sec,
	       res_v.tv_nsec, (long)res_s.tv_sec, res_s.tv_nsec);
	printf("clock_getres(REALTIME, NULL): %d\n", gr(CLOCK_REALTIME, NULL));

	struct timespec cpu_ts = {-1, -1};
	rc = cg(CLOCK_PROCESS_CPUTIME_ID, &cpu_ts);
	printf("process cputime through the vdso: rc %d sane %s\n", rc,
	       cpu_ts.tv_sec >= 0 && cpu_ts.tv_nsec >= 0 && cpu_ts.tv_nsec < 1000000000 ? "yes" : "no");
	rc = cg(CLOCK_MONOTONIC_COARSE, &cpu_ts);
	printf("monotonic coarse through the vdso: rc %d\n", rc);
	printf("unknown clock: %d\n", cg(100, &cpu_ts));

	printf("maps [vdso] at AT_SYSINFO_EHDR: %s\n", maps_has("/proc/self/maps", "[vdso]", base) ? "yes" : "no");
	printf("maps [vvar]: %s\n", maps_has("/proc/self/maps", "[vvar", 0) ? "yes" : "no");
	/* smaps, where it exists, names it too (only a failure prints). */
	if (access("/proc/self/smaps", R_OK) == 0 && !maps_has("/proc/self/smaps", "[vdso]", base))
		printf("smaps lacks [vdso]\n");

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct timespec c;
		int64_t before = sys_ns(CLOCK_MONOTONIC);
		int good = getauxval(AT_SYSINFO_EHDR) == base && cg(CLOCK_MONOTONIC, &c) == 0 &&
			   ts_ns(&c) >= before && maps_has("/proc/self/maps", "[vdso]", base);
		_exit(good ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("fork child keeps the vdso: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
	return 0;
}
