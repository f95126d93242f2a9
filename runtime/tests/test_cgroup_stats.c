/* Unit tests for runtime/cgroup_stats.c: the cgroup's counters as runc's
 * stats event, on directories laid out like /sys/fs/cgroup (v1 and v2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/fileutil.h"
#include "lib/json.h"
#include "runtime/cgroup.h"
#include "runtime/cgroup_stats.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/visor-cgstats-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/rel holding content (its directory made). */
static void put(const char *rel, const char *content)
{
	char p[PATH_MAX];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	char *slash = strrchr(p, '/');
	*slash = 0;
	assert_int_equal(mkdir_p(p, 0755), 0);
	*slash = '/';
	assert_int_equal(write_file_atomic(p, content, strlen(content), 0644), 0);
}

/* The JSON cgroup_stats_json writes for rel, in an object. */
static char *stats_of(bool v2, const char *rel)
{
	struct cgroup_fs fs = {.v2 = v2};
	snprintf(fs.root, sizeof(fs.root), "%s", tmpdir);
	struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	cgroup_stats_json(&fs, rel, &w);
	json_object_end(&w);
	char *out = NULL;
	assert_int_equal(json_writer_take(&w, &out, NULL), 0);
	json_writer_release(&w);
	return out;
}

static void expect_in(const char *json, const char *part)
{
	if (!strstr(json, part))
		fail_msg("%s not in %s", part, json);
}

static void test_v1_counters_read_as_runc_events_stats(void **state)
{
	(void)state;
	put("cpuacct/docker/c1/cpuacct.usage", "145840712\n");
	put("cpuacct/docker/c1/cpuacct.usage_percpu", "1408901 144431811 \n");
	put("cpuacct/docker/c1/cpuacct.stat", "user 6\nsystem 8\n");
	put("cpu/docker/c1/cpu.stat", "nr_periods 10\nnr_throttled 2\nthrottled_time 5000\n");
	put("memory/docker/c1/memory.usage_in_bytes", "213360640\n");
	put("memory/docker/c1/memory.max_usage_in_bytes", "215244800\n");
	put("memory/docker/c1/memory.limit_in_bytes", "9223372036854771712\n");
	put("memory/docker/c1/memory.failcnt", "0\n");
	put("memory/docker/c1/memory.stat", "cache 4096\nrss 209715200\ntotal_rss 209715200\n");
	char *j = stats_of(false, "docker/c1");
	expect_in(j, "\"cpu\":{\"usage\":{\"total\":145840712,\"percpu\":[1408901,144431811],"
		     "\"kernel\":80000000,\"user\":60000000},");
	expect_in(j, "\"throttling\":{\"periods\":10,\"throttled_periods\":2,"
		     "\"throttled_time\":5000}");
	expect_in(j, "\"memory\":{\"cache\":4096,\"usage\":{\"limit\":9223372036854771712,"
		     "\"usage\":213360640,\"max\":215244800,\"failcnt\":0}");
	expect_in(j, "\"raw\":{\"cache\":4096,\"rss\":209715200,\"total_rss\":209715200}");
	/* No memsw or kmem files: no swap or kernel entries. */
	assert_null(strstr(j, "\"swap\""));
	assert_null(strstr(j, "\"kernel\":{"));
	free(j);
}

static void test_v1_zero_figures_are_left_out_like_runc(void **state)
{
	(void)state;
	put("cpu/docker/c2/cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n");
	put("memory/docker/c2/memory.usage_in_bytes", "0\n");
	char *j = stats_of(false, "docker/c2");
	/* kernel and user always; total, percpu and throttling's figures only when set. */
	expect_in(j, "\"cpu\":{\"usage\":{\"kernel\":0,\"user\":0},\"throttling\":{}}");
	expect_in(j, "\"usage\":{\"limit\":0,\"failcnt\":0}");
	free(j);
}

static void test_missing_cgroup_gives_empty_objects(void **state)
{
	(void)state;
	char *j = stats_of(false, "docker/none");
	assert_string_equal(j, "{\"cpu\":{\"usage\":{\"kernel\":0,\"user\":0},\"throttling\":{}},"
			       "\"memory\":{}}");
	free(j);
	j = stats_of(true, "none");
	assert_string_equal(j, "{\"cpu\":{\"usage\":{\"kernel\":0,\"user\":0},\"throttling\":{}},"
			       "\"memory\":{}}");
	free(j);
}

static void test_v2_counters_converted_to_runc_units(void **state)
{
	(void)state;
	put("sys/c3/cpu.stat", "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n"
			       "nr_periods 4\nnr_throttled 1\nthrottled_usec 7\n");
	put("sys/c3/memory.current", "209715200\n");
	put("sys/c3/memory.max", "max\n");
	put("sys/c3/memory.events", "low 0\nhigh 0\nmax 3\noom 0\n");
	put("sys/c3/memory.swap.current", "4096\n");
	put("sys/c3/memory.swap.max", "max\n");
	put("sys/c3/memory.stat", "anon 209000000\nfile 8192\n");
	char *j = stats_of(true, "sys/c3");
	expect_in(j, "\"cpu\":{\"usage\":{\"total\":2500000,\"kernel\":500000,\"user\":2000000},"
		     "\"throttling\":{\"periods\":4,\"throttled_periods\":1,"
		     "\"throttled_time\":7000}}");
	expect_in(j, "\"memory\":{\"cache\":8192,\"usage\":{\"limit\":18446744073709551615,"
		     "\"usage\":209715200,\"failcnt\":3},");
	expect_in(j, "\"swap\":{\"limit\":18446744073709551615,\"usage\":209719296,\"failcnt\":0}");
	expect_in(j, "\"raw\":{\"anon\":209000000,\"file\":8192}");
	free(j);
}

static void test_v2_swap_limit_is_memory_plus_swap(void **state)
{
	(void)state;
	put("sys/c4/memory.current", "100\n");
	put("sys/c4/memory.max", "1000\n");
	put("sys/c4/memory.swap.current", "0\n");
	put("sys/c4/memory.swap.max", "500\n");
	char *j = stats_of(true, "sys/c4");
	expect_in(j, "\"usage\":{\"limit\":1000,\"usage\":100,\"failcnt\":0}");
	expect_in(j, "\"swap\":{\"limit\":1500,\"usage\":100,\"failcnt\":0}");
	free(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_counters_read_as_runc_events_stats, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v1_zero_figures_are_left_out_like_runc, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_cgroup_gives_empty_objects, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v2_counters_converted_to_runc_units, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v2_swap_limit_is_memory_plus_swap, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
