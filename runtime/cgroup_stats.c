/*
 * cgroup_stats.c — the container cgroup's counters as runc's stats event
 * (see cgroup_stats.h).
 *
 * runc's conversions, so `visor events --stats` reads like `runc events
 * --stats` of the same cgroup:
 *   v1: cpu.usage.total = cpuacct.usage, percpu = cpuacct.usage_percpu
 *       (and its _sys/_user forms), kernel/user = cpuacct.stat's system and
 *       user ticks in ns (USER_HZ is 100); throttling = cpu.stat; memory
 *       usage/swap/kernel = memory.{,memsw.,kmem.}{usage_in_bytes,
 *       max_usage_in_bytes,limit_in_bytes,failcnt}, cache = memory.stat's
 *       cache, raw = memory.stat;
 *   v2: cpu.stat's usage/user/system_usec in ns, nr_periods, nr_throttled,
 *       throttled_usec; memory.current and memory.max ("max" is 2^64-1),
 *       memory.peak, memory.events' max as failcnt, swap as memory plus
 *       swap (memory.swap.current), cache = memory.stat's file, raw =
 *       memory.stat.
 * Zero figures runc omits (omitempty) are omitted here too.
 */
#include "runtime/cgroup_stats.h"
#include "runtime/cgroup.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nanoseconds per USER_HZ tick (cpuacct.stat counts in ticks of 1/100 s). */
#define NS_PER_TICK 10000000ULL
/* The largest file read: memory.stat is about 1.5 KiB. */
#define STATS_FILE_MAX (64 * 1024)

/* root/ctrl/rel/file (v1) or root/rel/file (v2, ctrl NULL), read whole:
 * NULL when it cannot be. */
static char *stats_read(const struct cgroup_fs *fs, const char *ctrl, const char *rel,
			const char *file)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s%s%s%s%s/%s", fs->root, ctrl ? "/" : "", ctrl ? ctrl : "",
			 rel[0] ? "/" : "", rel, file);
	if (n < 0 || (size_t)n >= sizeof(p))
		return NULL;
	char *buf = NULL;
	return read_file(p, STATS_FILE_MAX, &buf, NULL) == 0 ? buf : NULL;
}

/* A file holding one number: *v and true, or false ("max" is UINT64_MAX). */
static bool stats_u64(const struct cgroup_fs *fs, const char *ctrl, const char *rel,
		      const char *file, uint64_t *v)
{
	_cleanup_free_ char *s = stats_read(fs, ctrl, rel, file);
	if (!s)
		return false;
	if (!strncmp(s, "max", 3)) {
		*v = UINT64_MAX;
		return true;
	}
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (end == s || (*end && !isspace((unsigned char)*end)))
		return false;
	*v = x;
	return true;
}

/* The value of key in a "key value" per line file (cpu.stat, memory.stat). */
static bool stats_kv(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, klen) || l[klen] != ' ')
			continue;
		*v = strtoull(l + klen + 1, NULL, 10);
		return true;
	}
	return false;
}

/* A "key value" per line file as a JSON object of numbers (memory.stat as
 * runc's raw). */
static void stats_kv_json(const char *text, struct json_writer *w)
{
	json_object_begin(w);
	for (const char *l = text; l && *l;) {
		const char *sp = strchr(l, ' '), *nl = strchr(l, '\n');
		if (!nl)
			nl = l + strlen(l);
		if (sp && sp < nl && sp > l) {
			char key[64];
			size_t klen = (size_t)(sp - l);
			if (klen < sizeof(key)) {
				memcpy(key, l, klen);
				key[klen] = 0;
				json_key(w, key);
				json_uint(w, strtoull(sp + 1, NULL, 10));
			}
		}
		l = *nl ? nl + 1 : nl;
	}
	json_object_end(w);
}

/* A list of numbers separated by blanks (cpuacct.usage_percpu) as a JSON array. */
static void stats_list_json(struct json_writer *w, const char *key, const char *text)
{
	if (!text)
		return;
	json_key_array_begin(w, key);
	for (const char *p = text; *p;) {
		char *end;
		unsigned long long x = strtoull(p, &end, 10);
		if (end == p)
			break;
		json_uint(w, x);
		p = end;
		while (isspace((unsigned char)*p))
			p++;
	}
	json_array_end(w);
}

/* omitempty: key only when v is not 0. */
static void key_nonzero(struct json_writer *w, const char *key, uint64_t v)
{
	if (v)
		json_key_uint(w, key, v);
}

/* One of runc's MemoryEntry: limit and failcnt always, usage and max when set. */
static void memory_entry(struct json_writer *w, const char *key, uint64_t limit, uint64_t usage,
			 uint64_t max, uint64_t failcnt)
{
	json_key_object_begin(w, key);
	json_key_uint(w, "limit", limit);
	key_nonzero(w, "usage", usage);
	key_nonzero(w, "max", max);
	json_key_uint(w, "failcnt", failcnt);
	json_object_end(w);
}

/* v1 memory.PREFIX{usage_in_bytes,max_usage_in_bytes,limit_in_bytes,failcnt}
 * as a MemoryEntry; nothing when the cgroup has no such files. */
static void memory_entry_v1(const struct cgroup_fs *fs, const char *rel, struct json_writer *w,
			    const char *key, const char *prefix)
{
	char f[64];
	uint64_t usage = 0, max = 0, limit = 0, failcnt = 0;
	snprintf(f, sizeof(f), "memory.%susage_in_bytes", prefix);
	if (!stats_u64(fs, "memory", rel, f, &usage))
		return;
	snprintf(f, sizeof(f), "memory.%smax_usage_in_bytes", prefix);
	stats_u64(fs, "memory", rel, f, &max);
	snprintf(f, sizeof(f), "memory.%slimit_in_bytes", prefix);
	stats_u64(fs, "memory", rel, f, &limit);
	snprintf(f, sizeof(f), "memory.%sfailcnt", prefix);
	stats_u64(fs, "memory", rel, f, &failcnt);
	memory_entry(w, key, limit, usage, max, failcnt);
}

static void throttling_json(struct json_writer *w, const char *cpu_stat, uint64_t time_scale)
{
	uint64_t periods = 0, throttled = 0, time = 0;
	json_key_object_begin(w, "throttling");
	if (cpu_stat) {
		stats_kv(cpu_stat, "nr_periods", &periods);
		stats_kv(cpu_stat, "nr_throttled", &throttled);
		if (!stats_kv(cpu_stat, "throttled_time", &time) &&
		    stats_kv(cpu_stat, "throttled_usec", &time))
			time *= time_scale;
	}
	key_nonzero(w, "periods", periods);
	key_nonzero(w, "throttled_periods", throttled);
	key_nonzero(w, "throttled_time", time);
	json_object_end(w);
}

static void stats_v1(const struct cgroup_fs *fs, const char *rel, struct json_writer *w)
{
	json_key_object_begin(w, "cpu");
	json_key_object_begin(w, "usage");
	uint64_t total = 0, user = 0, sys = 0;
	if (stats_u64(fs, "cpuacct", rel, "cpuacct.usage", &total))
		key_nonzero(w, "total", total);
	_cleanup_free_ char *percpu = stats_read(fs, "cpuacct", rel, "cpuacct.usage_percpu");
	_cleanup_free_ char *percpu_sys = stats_read(fs, "cpuacct", rel, "cpuacct.usage_percpu_sys");
	_cleanup_free_ char *percpu_user =
		stats_read(fs, "cpuacct", rel, "cpuacct.usage_percpu_user");
	stats_list_json(w, "percpu", percpu);
	stats_list_json(w, "percpu_kernel", percpu_sys);
	stats_list_json(w, "percpu_user", percpu_user);
	_cleanup_free_ char *ticks = stats_read(fs, "cpuacct", rel, "cpuacct.stat");
	if (ticks) {
		stats_kv(ticks, "user", &user);
		stats_kv(ticks, "system", &sys);
	}
	json_key_uint(w, "kernel", sys * NS_PER_TICK);
	json_key_uint(w, "user", user * NS_PER_TICK);
	json_object_end(w);
	_cleanup_free_ char *cpu_stat = stats_read(fs, "cpu", rel, "cpu.stat");
	throttling_json(w, cpu_stat, 1);
	json_object_end(w);

	json_key_object_begin(w, "memory");
	_cleanup_free_ char *mstat = stats_read(fs, "memory", rel, "memory.stat");
	uint64_t cache = 0;
	if (mstat && stats_kv(mstat, "cache", &cache))
		key_nonzero(w, "cache", cache);
	memory_entry_v1(fs, rel, w, "usage", "");
	memory_entry_v1(fs, rel, w, "swap", "memsw.");
	memory_entry_v1(fs, rel, w, "kernel", "kmem.");
	memory_entry_v1(fs, rel, w, "kernelTCP", "kmem.tcp.");
	if (mstat) {
		json_key(w, "raw");
		stats_kv_json(mstat, w);
	}
	json_object_end(w);
}

static void stats_v2(const struct cgroup_fs *fs, const char *rel, struct json_writer *w)
{
	json_key_object_begin(w, "cpu");
	_cleanup_free_ char *cpu_stat = stats_read(fs, NULL, rel, "cpu.stat");
	uint64_t total = 0, user = 0, sys = 0;
	if (cpu_stat) {
		stats_kv(cpu_stat, "usage_usec", &total);
		stats_kv(cpu_stat, "user_usec", &user);
		stats_kv(cpu_stat, "system_usec", &sys);
	}
	json_key_object_begin(w, "usage");
	key_nonzero(w, "total", total * 1000);
	json_key_uint(w, "kernel", sys * 1000);
	json_key_uint(w, "user", user * 1000);
	json_object_end(w);
	throttling_json(w, cpu_stat, 1000);
	json_object_end(w);

	json_key_object_begin(w, "memory");
	_cleanup_free_ char *mstat = stats_read(fs, NULL, rel, "memory.stat");
	uint64_t cache = 0, cur = 0, limit = UINT64_MAX, peak = 0, failcnt = 0;
	if (mstat && stats_kv(mstat, "file", &cache))
		key_nonzero(w, "cache", cache);
	if (stats_u64(fs, NULL, rel, "memory.current", &cur)) {
		stats_u64(fs, NULL, rel, "memory.max", &limit);
		stats_u64(fs, NULL, rel, "memory.peak", &peak);
		_cleanup_free_ char *events = stats_read(fs, NULL, rel, "memory.events");
		if (events)
			stats_kv(events, "max", &failcnt);
		memory_entry(w, "usage", limit, cur, peak, failcnt);
		/* As runc: swap is memory plus swap, like v1's memsw. */
		uint64_t swap = 0, swap_limit = UINT64_MAX;
		if (stats_u64(fs, NULL, rel, "memory.swap.current", &swap)) {
			stats_u64(fs, NULL, rel, "memory.swap.max", &swap_limit);
			if (swap_limit != UINT64_MAX && limit != UINT64_MAX)
				swap_limit += limit;
			else
				swap_limit = UINT64_MAX;
			memory_entry(w, "swap", swap_limit, swap + cur, 0, 0);
		}
	}
	if (mstat) {
		json_key(w, "raw");
		stats_kv_json(mstat, w);
	}
	json_object_end(w);
}

void cgroup_stats_json(const struct cgroup_fs *fs, const char *rel, struct json_writer *w)
{
	if (fs->v2)
		stats_v2(fs, rel, w);
	else
		stats_v1(fs, rel, w);
}
