/* Unit tests for runtime/cgroup.c: cgroupsPath resolution (cgroupfs and
 * systemd "slice:prefix:name" paths) and the files linux.resources becomes,
 * on a directory laid out like /sys/fs/cgroup (v1 and v2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/fileutil.h"
#include "lib/verr.h"
#include "runtime/cgroup.h"
#include "runtime/oci.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/visor-cgroup-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void resolve_ok(const char *in, const char *want)
{
	char out[512];
	struct verr err = {0};
	assert_int_equal(cgroup_path_resolve(in, out, sizeof(out), &err), 0);
	assert_string_equal(out, want);
}

static void resolve_fails(const char *in)
{
	char out[512];
	struct verr err = {0};
	assert_true(cgroup_path_resolve(in, out, sizeof(out), &err) < 0);
	assert_true(err.msg[0] != 0);
}

static void test_cgroupfs_paths_lose_the_leading_slash(void **state)
{
	(void)state;
	resolve_ok("/docker/abc", "docker/abc");
	resolve_ok("docker/abc/", "docker/abc");
	resolve_ok("/a/b..c/d", "a/b..c/d");
	resolve_fails("/docker/../../etc");
	resolve_fails("..");
	resolve_fails("");
}

static void test_systemd_paths_become_slice_and_scope(void **state)
{
	(void)state;
	/* Docker's systemd driver: system.slice:docker:ID */
	resolve_ok("system.slice:docker:abc", "system.slice/docker-abc.scope");
	/* Nested slices, as systemd nests them. */
	resolve_ok("machine-visor.slice:visor:x1", "machine.slice/machine-visor.slice/visor-x1.scope");
	resolve_ok("a-b-c.slice:p:n", "a.slice/a-b.slice/a-b-c.slice/p-n.scope");
	/* An empty slice is system.slice; the root slice is the root. */
	resolve_ok(":docker:abc", "system.slice/docker-abc.scope");
	resolve_ok("-.slice:docker:abc", "docker-abc.scope");
	/* No prefix: just the name. */
	resolve_ok("user.slice::abc", "user.slice/abc.scope");
	/* A name that is a slice is the unit itself. */
	resolve_ok("system.slice:p:kubepods.slice", "system.slice/kubepods.slice");
	resolve_fails("system.slice:docker");
	resolve_fails("system.slice:docker:a:b");
	resolve_fails("system:docker:abc");         /* not a slice */
	resolve_fails("a--b.slice:docker:abc");     /* systemd refuses -- */
	resolve_fails("-a.slice:docker:abc");
	resolve_fails("a-.slice:docker:abc");
	resolve_fails("a/b.slice:docker:abc");
	resolve_fails("system.slice:docker:");
	resolve_fails("system.slice:docker:a/b");
	resolve_fails("system.slice:docker:..");
}

static void test_expand_slice(void **state)
{
	(void)state;
	char out[256];
	assert_int_equal(cgroup_expand_slice("system.slice", out, sizeof(out)), 0);
	assert_string_equal(out, "system.slice");
	assert_int_equal(cgroup_expand_slice("-.slice", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(cgroup_expand_slice("x-y.slice", out, sizeof(out)), 0);
	assert_string_equal(out, "x.slice/x-y.slice");
	assert_int_equal(cgroup_expand_slice(".slice", out, sizeof(out)), -EINVAL);
	assert_int_equal(cgroup_expand_slice("x-y.slice", out, 8), -ENAMETOOLONG);
}

/* A fake hierarchy file: created empty, or with content. */
static void put(const char *rel, const char *content)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	char *slash = strrchr(p, '/');
	*slash = 0;
	assert_int_equal(mkdir_p(p, 0755), 0);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void expect(const char *rel, const char *want)
{
	char p[512], buf[256] = "";
	snprintf(p, sizeof(p), "%s/%s", tmpdir, rel);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	assert_string_equal(buf, want);
}

static void v1_layout(void)
{
	static const char *const ctrl[] = {"memory", "pids", "cpu", "blkio", "cpuset", "freezer"};
	for (size_t i = 0; i < sizeof(ctrl) / sizeof(ctrl[0]); i++) {
		char p[128];
		snprintf(p, sizeof(p), "%s/docker/c1/cgroup.procs", ctrl[i]);
		put(p, "");
	}
	put("cpuset/cpuset.cpus", "0-1\n");
	put("cpuset/cpuset.mems", "0\n");
	static const char *const files[] = {
		"memory/docker/c1/memory.limit_in_bytes", "memory/docker/c1/memory.memsw.limit_in_bytes",
		"memory/docker/c1/memory.soft_limit_in_bytes", "pids/docker/c1/pids.max",
		"cpu/docker/c1/cpu.shares", "cpu/docker/c1/cpu.cfs_period_us",
		"cpu/docker/c1/cpu.cfs_quota_us", "blkio/docker/c1/blkio.weight",
		"cpuset/docker/c1/cpuset.cpus", "cpuset/docker/c1/cpuset.mems",
		"cpuset/docker/cpuset.cpus", "cpuset/docker/cpuset.mems"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put(files[i], "");
}

static struct oci_resources docker_run_limits(void)
{
	/* docker run --memory=64m --memory-swap=128m --memory-reservation=32m
	 * --cpus=1.5 --cpu-shares=512 --pids-limit=40 --blkio-weight=300 */
	struct oci_resources r;
	memset(&r, 0, sizeof(r));
	r.has_memory_limit = true;
	r.memory_limit = 64 << 20;
	r.has_memory_swap = true;
	r.memory_swap = 128 << 20;
	r.has_memory_reservation = true;
	r.memory_reservation = 32 << 20;
	r.has_cpu_quota = true;
	r.cpu_quota = 150000;
	r.has_cpu_period = true;
	r.cpu_period = 100000;
	r.has_cpu_shares = true;
	r.cpu_shares = 512;
	r.has_pids_limit = true;
	r.pids_limit = 40;
	r.has_blkio_weight = true;
	r.blkio_weight = 300;
	return r;
}

static void test_v1_limits_go_where_runc_writes_them(void **state)
{
	(void)state;
	v1_layout();
	struct cgroup_fs fs = {.v2 = false};
	snprintf(fs.root, sizeof(fs.root), "%s", tmpdir);
	struct oci_resources r = docker_run_limits();
	struct verr err = {0};
	assert_int_equal(cgroup_create(&fs, "docker/c1", &r, &err), 0);
	expect("memory/docker/c1/memory.limit_in_bytes", "67108864");
	expect("memory/docker/c1/memory.memsw.limit_in_bytes", "134217728");
	expect("memory/docker/c1/memory.soft_limit_in_bytes", "33554432");
	expect("pids/docker/c1/pids.max", "40");
	expect("cpu/docker/c1/cpu.shares", "512");
	expect("cpu/docker/c1/cpu.cfs_period_us", "100000");
	expect("cpu/docker/c1/cpu.cfs_quota_us", "150000");
	expect("blkio/docker/c1/blkio.weight", "300");
	/* cpuset: a new group gets the root's cpus and mems. */
	expect("cpuset/docker/cpuset.cpus", "0-1\n");
	expect("cpuset/docker/c1/cpuset.mems", "0\n");
	/* Unlimited: -1 and max. */
	r.memory_limit = -1;
	r.has_memory_swap = false;
	r.has_memory_reservation = false;
	r.pids_limit = -1;
	r.cpu_quota = -1;
	assert_int_equal(cgroup_apply(&fs, "docker/c1", &r, &err), 0);
	expect("memory/docker/c1/memory.limit_in_bytes", "-1");
	expect("memory/docker/c1/memory.memsw.limit_in_bytes", "-1");
	expect("pids/docker/c1/pids.max", "max");
	expect("cpu/docker/c1/cpu.cfs_quota_us", "-1");
}

static void test_v1_zero_leaves_a_limit_alone(void **state)
{
	(void)state;
	v1_layout();
	struct cgroup_fs fs = {.v2 = false};
	snprintf(fs.root, sizeof(fs.root), "%s", tmpdir);
	put("pids/docker/c1/pids.max", "7");
	struct oci_resources r;
	memset(&r, 0, sizeof(r));
	r.has_pids_limit = true; /* docker update sends 0 for what it leaves */
	r.has_memory_limit = true;
	struct verr err = {0};
	assert_int_equal(cgroup_apply(&fs, "docker/c1", &r, &err), 0);
	expect("pids/docker/c1/pids.max", "7");
	expect("memory/docker/c1/memory.limit_in_bytes", "");
}

static void test_a_limit_that_cannot_be_applied_fails_by_name(void **state)
{
	(void)state;
	v1_layout();
	struct cgroup_fs fs = {.v2 = false};
	snprintf(fs.root, sizeof(fs.root), "%s", tmpdir);
	/* No blkio.weight nor blkio.bfq.weight (no CFQ/BFQ): refused. */
	char p[256];
	snprintf(p, sizeof(p), "%s/blkio/docker/c1/blkio.weight", tmpdir);
	assert_int_equal(unlink(p), 0);
	struct oci_resources r;
	memset(&r, 0, sizeof(r));
	r.has_blkio_weight = true;
	r.blkio_weight = 300;
	struct verr err = {0};
	assert_int_equal(cgroup_apply(&fs, "docker/c1", &r, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "blkio"));
	/* Under BFQ the weight goes to blkio.bfq.weight. */
	put("blkio/docker/c1/blkio.bfq.weight", "");
	assert_int_equal(cgroup_apply(&fs, "docker/c1", &r, &(struct verr){0}), 0);
	expect("blkio/docker/c1/blkio.bfq.weight", "300");
	/* A controller that is not mounted. */
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/pids", tmpdir);
	assert_int_equal(system(cmd), 0);
	memset(&r, 0, sizeof(r));
	r.has_pids_limit = true;
	r.pids_limit = 40;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cgroup_apply(&fs, "docker/c1", &r, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "pids"));
	/* A file the kernel refuses (here: missing) is named. */
	snprintf(p, sizeof(p), "%s/cpu/docker/c1/cpu.shares", tmpdir);
	assert_int_equal(unlink(p), 0);
	memset(&r, 0, sizeof(r));
	r.has_cpu_shares = true;
	r.cpu_shares = 512;
	memset(&err, 0, sizeof(err));
	assert_true(cgroup_apply(&fs, "docker/c1", &r, &err) < 0);
	assert_non_null(strstr(err.msg, "cpu.shares"));
}

static void test_v1_enter_writes_every_hierarchy(void **state)
{
	(void)state;
	v1_layout();
	struct cgroup_fs fs = {.v2 = false};
	snprintf(fs.root, sizeof(fs.root), "%s", tmpdir);
	struct verr err = {0};
	assert_int_equal(cgroup_create(&fs, "docker/c1", NULL, &err), 0);
	assert_int_equal(cgroup_enter(&fs, "docker/c1", 1234, &err), 0);
	expect("memory/docker/c1/cgroup.procs", "1234");
	expect("pids/docker/c1/cgroup.procs", "1234");
	expect("freezer/docker/c1/cgroup.procs", "1234");
	assert_true(cgroup_enter(&fs, "docker/none", 1, &err) < 0);
}

static void v2_layout(void)
{
	put("cgroup.controllers", "cpuset cpu io memory pids\n");
	put("cgroup.subtree_control", "");
	put("system.slice/cgroup.subtree_control", "");
	static const char *const files[] = {"memory.max", "memory.swap.max", "memory.low", "pids.max",
					    "cpu.weight", "cpu.max", "io.weight", "cgroup.procs"};
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[128];
		snprintf(p, sizeof(p), "system.slice/docker-c1.scope/%s", files[i]);
		put(p, "");
	}
}

static void test_v2_limits_go_where_runc_writes_them(void **state)
{
	(void)state;
	v2_layout();
	struct cgroup_fs fs = {.v2 = true};
	snprintf(fs.root, sizeof(fs.root), "%s", tmpdir);
	char rel[256];
	struct verr err = {0};
	assert_int_equal(cgroup_path_resolve("system.slice:docker:c1", rel, sizeof(rel), &err), 0);
	struct oci_resources r = docker_run_limits();
	assert_int_equal(cgroup_create(&fs, rel, &r, &err), 0);
	expect("system.slice/docker-c1.scope/memory.max", "67108864");
	expect("system.slice/docker-c1.scope/memory.swap.max", "67108864"); /* swap alone */
	expect("system.slice/docker-c1.scope/memory.low", "33554432");
	expect("system.slice/docker-c1.scope/pids.max", "40");
	expect("system.slice/docker-c1.scope/cpu.weight", "20"); /* runc: 1 + (512-2)*9999/262142 */
	expect("system.slice/docker-c1.scope/cpu.max", "150000 100000");
	expect("system.slice/docker-c1.scope/io.weight", "default 2930"); /* 1 + 290*9999/990 */
	/* Controllers enabled down to the parent (the last one written shows). */
	expect("cgroup.subtree_control", "+pids");
	expect("system.slice/cgroup.subtree_control", "+pids");
	assert_int_equal(cgroup_enter(&fs, rel, 0, &err), 0);
	expect("system.slice/docker-c1.scope/cgroup.procs", "0");
	/* Swap below memory is refused, as runc refuses it. */
	r.memory_swap = 32 << 20;
	memset(&err, 0, sizeof(err));
	assert_int_equal(cgroup_apply(&fs, rel, &r, &err), -EINVAL);
	/* Unlimited. */
	memset(&r, 0, sizeof(r));
	r.has_memory_limit = true;
	r.memory_limit = -1;
	r.has_pids_limit = true;
	r.pids_limit = -1;
	r.has_cpu_quota = true;
	r.cpu_quota = -1;
	assert_int_equal(cgroup_apply(&fs, rel, &r, &err), 0);
	expect("system.slice/docker-c1.scope/memory.max", "max");
	expect("system.slice/docker-c1.scope/memory.swap.max", "max");
	expect("system.slice/docker-c1.scope/pids.max", "max");
	expect("system.slice/docker-c1.scope/cpu.max", "max 100000");
}

static void test_remove_never_touches_the_root(void **state)
{
	(void)state;
	v1_layout();
	struct cgroup_fs fs = {.v2 = false};
	snprintf(fs.root, sizeof(fs.root), "%s", tmpdir);
	put("pids/keep", "");
	cgroup_remove(&fs, "");
	char p[256];
	snprintf(p, sizeof(p), "%s/pids/keep", tmpdir);
	assert_int_equal(access(p, F_OK), 0);
	/* An empty group goes. */
	snprintf(p, sizeof(p), "%s/pids/docker/empty", tmpdir);
	assert_int_equal(mkdir_p(p, 0755), 0);
	cgroup_remove(&fs, "docker/empty");
	assert_int_equal(access(p, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroupfs_paths_lose_the_leading_slash),
		cmocka_unit_test(test_systemd_paths_become_slice_and_scope),
		cmocka_unit_test(test_expand_slice),
		cmocka_unit_test_setup_teardown(test_v1_limits_go_where_runc_writes_them, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_v1_zero_leaves_a_limit_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_limit_that_cannot_be_applied_fails_by_name,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_v1_enter_writes_every_hierarchy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_limits_go_where_runc_writes_them, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remove_never_touches_the_root, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
