/* Unit tests for runtime/oci.c: config.json / process.json parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <yajl/yajl_tree.h>

#include "lib/fileutil.h"
#include "lib/verr.h"
#include "runtime/oci.h"
#include "runtime/runtime.h"

/* A config in the shape Docker/containerd write, plus fields visor ignores. */
static const char full_config[] =
    "{\n"
    "  \"ociVersion\": \"1.1.0\",\n"
    "  \"unknownTopLevel\": {\"x\": [1, 2, {\"y\": null}]},\n"
    "  \"process\": {\n"
    "    \"terminal\": true,\n"
    "    \"consoleSize\": {\"height\": 24, \"width\": 80},\n"
    "    \"user\": {\"uid\": 1000, \"gid\": 100, \"umask\": 18, \"additionalGids\": [5, 6],"
    " \"username\": \"ignored\"},\n"
    "    \"args\": [\"/bin/sh\", \"-c\", \"echo hi\"],\n"
    "    \"env\": [\"PATH=/usr/bin:/bin\", \"TERM=xterm\"],\n"
    "    \"cwd\": \"/work\",\n"
    "    \"capabilities\": {\n"
    "      \"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],\n"
    "      \"effective\": [\"CAP_KILL\"],\n"
    "      \"permitted\": [\"CAP_KILL\", \"CAP_CHECKPOINT_RESTORE\"],\n"
    "      \"ambient\": []\n"
    "    },\n"
    "    \"rlimits\": [\n"
    "      {\"type\": \"RLIMIT_NOFILE\", \"hard\": 1048576, \"soft\": 1024},\n"
    "      {\"type\": \"RLIMIT_CORE\", \"hard\": 18446744073709551615, \"soft\": 0}\n"
    "    ],\n"
    "    \"noNewPrivileges\": true,\n"
    "    \"oomScoreAdj\": -500,\n"
    "    \"apparmorProfile\": \"docker-default\",\n"
    "    \"selinuxLabel\": \"\"\n"
    "  },\n"
    "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
    "  \"hostname\": \"box\",\n"
    "  \"domainname\": \"example.org\",\n"
    "  \"mounts\": [\n"
    "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
    "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
    "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
    "    {\"destination\": \"/data\", \"type\": \"bind\", \"source\": \"/srv/data\",\n"
    "     \"options\": [\"rbind\", \"rprivate\", \"ro\", \"rw\", \"nodev\", \"rro\"]}\n"
    "  ],\n"
    "  \"hooks\": {\"prestart\": [{\"path\": \"/usr/bin/dockerd\", \"args\": "
    "[\"libnetwork-setkey\", "
    "\"-exec-root=/var/run/docker\"]}],\n"
    "            \"poststop\": [{\"path\": \"/bin/true\", \"env\": [\"A=1\"], \"timeout\": 5}],\n"
    "            \"futureHook\": 1},\n"
    "  \"linux\": {\n"
    "    \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
    "\"/var/run/netns/x\"},\n"
    "                   {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"}],\n"
    "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, \"size\": 65536}],\n"
    "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, \"size\": 1}],\n"
    "    \"cgroupsPath\": \"/docker/abc\",\n"
    "    \"resources\": {\n"
    "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"}],\n"
    "      \"memory\": {\"limit\": 536870912, \"swap\": -1},\n"
    "      \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"cpus\": \"0-1\"},\n"
    "      \"pids\": {\"limit\": 100},\n"
    "      \"blockIO\": {\"weight\": 300, \"weightDevice\": []}\n"
    "    },\n"
    "    \"maskedPaths\": [\"/proc/kcore\", \"/proc/keys\"],\n"
    "    \"readonlyPaths\": [\"/proc/sys\"],\n"
    "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
    "    \"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": []},\n"
    "    \"devices\": []\n"
    "  },\n"
    "  \"annotations\": {\"org.example.a\": \"1\", \"org.example.b\": \"two\"}\n"
    "}\n";

static const char minimal_config[] = "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"/r\"}}";

static struct oci_config *parse_ok(const char *json)
{
	struct oci_config *c = NULL;
	struct verr err = {0};
	int r = oci_config_parse(json, strlen(json), &c, &err);
	if (r)
		fprintf(stderr, "unexpected error: %s\n", err.msg);
	assert_int_equal(r, 0);
	assert_non_null(c);
	return c;
}

/* Parse json expecting -EINVAL whose message contains want. */
static void parse_fails_with(const char *json, const char *want)
{
	struct oci_config *c = (struct oci_config *)0x1;
	struct verr err = {0};
	int r = oci_config_parse(json, strlen(json), &c, &err);
	if (r != -EINVAL || !strstr(err.msg, want))
		fprintf(stderr, "json: %s\ngot %d: \"%s\"\nwant: \"%s\"\n", json, r, err.msg, want);
	assert_int_equal(r, -EINVAL);
	assert_int_equal(err.code, EINVAL);
	assert_non_null(strstr(err.msg, want));
	assert_null(strchr(err.msg, '\n'));
	assert_ptr_equal(c, (struct oci_config *)0x1); /* untouched on failure */
}

/* minimal config + a process object given as text */
static void process_fails_with(const char *process, const char *want)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},\"process\":%s}", process);
	parse_fails_with(buf, want);
}

static void test_blkio_weight_out_of_range_is_refused(void **state)
{
	parse_fails_with("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},\"linux\":"
			 "{\"resources\":{\"blockIO\":{\"weight\":5}}}}",
			 "linux.resources.blockIO.weight: weight 5 is not in 10..1000");
	parse_fails_with("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},\"linux\":"
			 "{\"resources\":{\"blockIO\":{\"weight\":1001}}}}",
			 "not in 10..1000");
	struct oci_config *c = parse_ok("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},"
					"\"linux\":{\"resources\":{\"blockIO\":{\"weight\":0}}}}");
	assert_int_equal(c->linux_cfg.resources.blkio_weight, 0);
	oci_config_free(c);
}

static void test_full_config_fields_are_typed(void **state)
{
	struct oci_config *c = parse_ok(full_config);
	assert_string_equal(c->oci_version, "1.1.0");
	struct oci_process *p = c->process;
	assert_non_null(p);
	assert_true(p->terminal);
	assert_true(p->has_console_size);
	assert_int_equal(p->console_height, 24);
	assert_int_equal(p->console_width, 80);
	assert_int_equal(p->user.uid, 1000);
	assert_int_equal(p->user.gid, 100);
	assert_true(p->user.has_umask);
	assert_int_equal(p->user.umask, 022);
	assert_int_equal(p->user.n_additional_gids, 2);
	assert_int_equal(p->user.additional_gids[1], 6);
	assert_int_equal(p->n_args, 3);
	assert_string_equal(p->args[2], "echo hi");
	assert_null(p->args[3]);
	assert_int_equal(p->n_env, 2);
	assert_string_equal(p->env[1], "TERM=xterm");
	assert_null(p->env[2]);
	assert_string_equal(p->cwd, "/work");
	assert_true(p->has_capabilities);
	assert_int_equal(p->caps.bounding.n, 3);
	assert_string_equal(p->caps.bounding.names[1], "CAP_KILL");
	assert_int_equal(p->caps.bounding.mask, (1ULL << 0) | (1ULL << 5) | (1ULL << 10));
	assert_int_equal(p->caps.effective.mask, 1ULL << 5);
	assert_int_equal(p->caps.permitted.mask, (1ULL << 5) | (1ULL << 40));
	assert_null(p->caps.inheritable.names); /* absent set */
	assert_non_null(p->caps.ambient.names); /* present, empty */
	assert_int_equal(p->caps.ambient.n, 0);
	assert_int_equal(p->caps.ambient.mask, 0);
	assert_int_equal(p->n_rlimits, 2);
	assert_int_equal(p->rlimits[0].resource, RLIMIT_NOFILE);
	assert_int_equal(p->rlimits[0].soft, 1024);
	assert_int_equal(p->rlimits[0].hard, 1048576);
	assert_int_equal(p->rlimits[1].resource, RLIMIT_CORE);
	assert_true(p->rlimits[1].hard == UINT64_MAX);
	assert_true(p->no_new_privileges);
	assert_true(p->has_oom_score_adj);
	assert_int_equal(p->oom_score_adj, -500);

	assert_string_equal(c->root_path, "rootfs");
	assert_true(c->root_readonly);
	assert_string_equal(c->hostname, "box");
	assert_string_equal(c->domainname, "example.org");

	assert_int_equal(c->n_mounts, 3);
	assert_string_equal(c->mounts[0].destination, "/proc");
	assert_int_equal(c->mounts[0].n_options, 0);
	assert_non_null(c->mounts[0].options);
	assert_string_equal(c->mounts[0].data, "");
	assert_int_equal(c->mounts[0].flags, 0);
	assert_int_equal(c->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
	assert_string_equal(c->mounts[1].data, "mode=755,size=65536k");
	assert_int_equal(c->mounts[1].n_options, 4);
	assert_string_equal(c->mounts[1].options[2], "mode=755");
	/* "ro" then "rw": rw wins, and is recorded as explicitly cleared. */
	assert_int_equal(c->mounts[2].flags, MS_BIND | MS_REC | MS_NODEV);
	assert_int_equal(c->mounts[2].clear_flags, MS_RDONLY);
	assert_int_equal(c->mounts[2].propagation, MS_PRIVATE | MS_REC);
	assert_int_equal(c->mounts[2].rec_set, MS_RDONLY);
	assert_string_equal(c->mounts[2].source, "/srv/data");
	assert_string_equal(c->mounts[2].type, "bind");

	assert_int_equal(c->hooks.prestart.n, 1);
	assert_string_equal(c->hooks.prestart.v[0].path, "/usr/bin/dockerd");
	assert_int_equal(c->hooks.prestart.v[0].n_args, 2);
	assert_string_equal(c->hooks.prestart.v[0].args[0], "libnetwork-setkey");
	assert_non_null(c->hooks.prestart.v[0].env);
	assert_false(c->hooks.prestart.v[0].has_timeout);
	assert_int_equal(c->hooks.poststop.n, 1);
	assert_true(c->hooks.poststop.v[0].has_timeout);
	assert_int_equal(c->hooks.poststop.v[0].timeout, 5);
	assert_string_equal(c->hooks.poststop.v[0].env[0], "A=1");
	assert_int_equal(c->hooks.create_runtime.n, 0);

	assert_true(c->has_linux);
	struct oci_linux *l = &c->linux_cfg;
	assert_int_equal(l->n_namespaces, 5);
	assert_int_equal(l->namespaces[0].type, OCI_NS_PID);
	assert_int_equal(l->namespaces[0].clone_flag, CLONE_NEWPID);
	assert_null(l->namespaces[0].path);
	const struct oci_namespace *net = oci_config_namespace(c, OCI_NS_NETWORK);
	assert_non_null(net);
	assert_string_equal(net->path, "/var/run/netns/x");
	assert_null(oci_config_namespace(c, OCI_NS_USER));
	assert_int_equal(l->n_uid_mappings, 1);
	assert_int_equal(l->uid_mappings[0].host_id, 100000);
	assert_int_equal(l->uid_mappings[0].size, 65536);
	assert_int_equal(l->gid_mappings[0].host_id, 200000);
	assert_string_equal(l->cgroups_path, "/docker/abc");
	assert_true(l->has_resources);
	assert_true(l->resources.has_memory_limit);
	assert_int_equal(l->resources.memory_limit, 536870912);
	assert_false(l->resources.has_memory_reservation);
	assert_true(l->resources.has_memory_swap);
	assert_int_equal(l->resources.memory_swap, -1);
	assert_true(l->resources.has_cpu_shares);
	assert_int_equal(l->resources.cpu_shares, 512);
	assert_int_equal(l->resources.cpu_quota, 50000);
	assert_int_equal(l->resources.cpu_period, 100000);
	assert_string_equal(l->resources.cpu_cpus, "0-1");
	assert_null(l->resources.cpu_mems);
	assert_true(l->resources.has_pids_limit);
	assert_int_equal(l->resources.pids_limit, 100);
	assert_true(l->resources.has_blkio_weight);
	assert_int_equal(l->resources.blkio_weight, 300);
	assert_int_equal(l->n_masked_paths, 2);
	assert_string_equal(l->masked_paths[1], "/proc/keys");
	assert_null(l->masked_paths[2]);
	assert_int_equal(l->n_readonly_paths, 1);
	assert_string_equal(oci_map_get(&l->sysctl, "net.ipv4.ip_forward"), "1");
	assert_int_equal(c->annotations.n, 2);
	assert_string_equal(oci_map_get(&c->annotations, "org.example.b"), "two");
	assert_null(oci_map_get(&c->annotations, "org.example.c"));
	oci_config_free(c);
}

static void test_minimal_config_gets_defaults(void **state)
{
	struct oci_config *c = parse_ok(minimal_config);
	assert_null(c->process);
	assert_false(c->root_readonly);
	assert_null(c->hostname);
	assert_int_equal(c->n_mounts, 0);
	assert_false(c->has_linux);
	assert_non_null(c->linux_cfg.masked_paths);
	assert_null(c->linux_cfg.masked_paths[0]);
	assert_non_null(c->linux_cfg.readonly_paths);
	assert_false(c->linux_cfg.has_resources);
	assert_int_equal(c->annotations.n, 0);
	oci_config_free(c);

	c = parse_ok("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},"
		     "\"process\":{\"args\":[\"a\"],\"cwd\":\"/\"}}");
	assert_false(c->process->terminal);
	assert_false(c->process->has_console_size);
	assert_int_equal(c->process->user.uid, 0);
	assert_int_equal(c->process->user.gid, 0);
	assert_false(c->process->user.has_umask);
	assert_int_equal(c->process->n_env, 0);
	assert_non_null(c->process->env);
	assert_null(c->process->env[0]);
	assert_false(c->process->has_capabilities);
	assert_false(c->process->no_new_privileges);
	assert_false(c->process->has_oom_score_adj);
	oci_config_free(c);
}

static void test_null_values_count_as_absent(void **state)
{
	struct oci_config *c =
	    parse_ok("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\",\"readonly\":null},"
		     "\"hostname\":null,\"mounts\":null,\"linux\":null,"
		     "\"process\":{\"args\":[\"a\"],\"cwd\":\"/\",\"env\":null,"
		     "\"user\":null}}");
	assert_null(c->hostname);
	assert_false(c->has_linux);
	assert_non_null(c->process->env);
	oci_config_free(c);
}

static void test_uid_out_of_range_names_the_field(void **state)
{
	const char *want = "config.json: process.user.uid: expected an unsigned 32-bit integer";
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":-1}}", want);
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967296}}", want);
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":1.5}}", want);
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":1e3}}", want);
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":\"0\"}}", want);
	process_fails_with(
	    "{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":99999999999999999999999}}", want);
	/* the largest uid is fine */
	struct oci_config *c =
	    parse_ok("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"process\":"
		     "{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"uid\":4294967295}}}");
	assert_int_equal(c->process->user.uid, UINT32_MAX);
	oci_config_free(c);
}

static void test_process_field_errors_name_their_path(void **state)
{
	process_fails_with("{\"args\":\"/bin/sh\",\"cwd\":\"/\"}",
			   "config.json: process.args: expected an array");
	process_fails_with("{\"args\":[],\"cwd\":\"/\"}", "process.args: must name at least");
	process_fails_with("{\"cwd\":\"/\"}", "process.args: required field is missing");
	process_fails_with("{\"args\":[\"a\", 3],\"cwd\":\"/\"}",
			   "process.args[1]: expected a string");
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"rel\"}",
			   "process.cwd: must be an absolute path");
	process_fails_with("{\"args\":[\"a\"]}", "process.cwd: required field is missing");
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"terminal\":\"yes\"}",
			   "process.terminal: expected true or false");
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"env\":[\"A=1\",null]}",
			   "process.env[1]: expected a string");
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":{\"additionalGids\":[1,-2]}}",
			   "process.user.additionalGids[1]: expected an unsigned 32-bit integer");
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"consoleSize\":{\"height\":1}}",
			   "process.consoleSize.width: required field is missing");
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"oomScoreAdj\":1001}",
			   "process.oomScoreAdj: expected an integer between -1000 and 1000");
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"user\":[]}",
			   "process.user: expected an object");
	process_fails_with("[]", "config.json: process: expected an object");
}

static void test_unknown_capability_is_an_error(void **state)
{
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"capabilities\":{\"bounding\":"
			   "[\"CAP_KILL\",\"CAP_FLY\"]}}",
			   "process.capabilities.bounding[1]: unknown capability \"CAP_FLY\"");
	process_fails_with(
	    "{\"args\":[\"a\"],\"cwd\":\"/\",\"capabilities\":{\"ambient\":\"CAP_KILL\"}}",
	    "process.capabilities.ambient: expected an array");
}

static void test_rlimit_errors(void **state)
{
	process_fails_with("{\"args\":[\"a\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_FOO\","
			   "\"soft\":1,\"hard\":1}]}",
			   "process.rlimits[0].type: unknown rlimit type \"RLIMIT_FOO\"");
	process_fails_with(
	    "{\"args\":[\"a\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
	    "\"soft\":1}]}",
	    "process.rlimits[0].hard: required field is missing");
	process_fails_with(
	    "{\"args\":[\"a\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
	    "\"soft\":10,\"hard\":5}]}",
	    "process.rlimits[0]: soft limit 10 exceeds hard limit 5");
	process_fails_with(
	    "{\"args\":[\"a\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
	    "\"soft\":1,\"hard\":1},{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]}",
	    "process.rlimits[1]: duplicate rlimit type \"RLIMIT_NOFILE\"");
	process_fails_with(
	    "{\"args\":[\"a\"],\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\","
	    "\"soft\":-1,\"hard\":1}]}",
	    "process.rlimits[0].soft: expected an unsigned 64-bit integer");
}

static void test_top_level_errors(void **state)
{
	parse_fails_with("{\"root\":{\"path\":\"r\"}}",
			 "config.json: ociVersion: required field is missing");
	parse_fails_with("{\"ociVersion\":1,\"root\":{\"path\":\"r\"}}",
			 "ociVersion: expected a string");
	parse_fails_with("{\"ociVersion\":\"1.1.0\"}",
			 "config.json: root: required field is missing");
	parse_fails_with("{\"ociVersion\":\"1.1.0\",\"root\":{}}",
			 "root.path: required field is missing");
	parse_fails_with("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"\"}}",
			 "root.path: must not be empty");
	parse_fails_with("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\",\"readonly\":1}}",
			 "root.readonly: expected true or false");
	parse_fails_with(
	    "{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},\"annotations\":{\"a\":1}}",
	    "annotations.a: expected a string");
	parse_fails_with("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"r\"},\"hostname\":[]}",
			 "hostname: expected a string");
	parse_fails_with("[1,2]", "config.json: expected a JSON object at the top level");
	parse_fails_with("", "config.json: malformed JSON");
	parse_fails_with("{\"ociVersion\":", "config.json: malformed JSON");
	parse_fails_with("{} trailing", "config.json: malformed JSON");
	parse_fails_with("{\"ociVersion\":\"1.1.0\",}", "config.json: malformed JSON");
}

static void test_mount_errors(void **state)
{
	parse_fails_with(
	    "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"mounts\":[{\"type\":\"tmpfs\"}]}",
	    "mounts[0].destination: required field is missing");
	parse_fails_with(
	    "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"/a\"},"
	    "{\"destination\":\"/b\",\"options\":[\"ro\",7]}]}",
	    "mounts[1].options[1]: expected a string");
	parse_fails_with("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"mounts\":{}}",
			 "mounts: expected an array");
	parse_fails_with("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"mounts\":[\"/a\"]}",
			 "mounts[0]: expected an object");
}

static void test_hook_errors(void **state)
{
#define H(x) "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"hooks\":" x "}"
	parse_fails_with(H("{\"prestart\":[{\"args\":[\"x\"]}]}"),
			 "hooks.prestart[0].path: required field is missing");
	parse_fails_with(H("{\"createRuntime\":[{\"path\":\"hook\"}]}"),
			 "hooks.createRuntime[0].path: must be an absolute path");
	parse_fails_with(H("{\"poststart\":[{\"path\":\"/h\",\"timeout\":0}]}"),
			 "hooks.poststart[0].timeout: expected a positive number of seconds");
	parse_fails_with(H("{\"poststop\":{}}"), "hooks.poststop: expected an array");
	parse_fails_with(H("[]"), "hooks: expected an object");
#undef H
}

static void test_linux_errors(void **state)
{
#define L(x) "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"linux\":" x "}"
	parse_fails_with(L("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"vm\"}]}"),
			 "linux.namespaces[1].type: unknown namespace type \"vm\"");
	parse_fails_with(L("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}"),
			 "linux.namespaces[1]: duplicate namespace type \"pid\"");
	parse_fails_with(L("{\"namespaces\":[{\"type\":\"network\",\"path\":\"netns\"}]}"),
			 "linux.namespaces[0].path: must be an absolute path");
	parse_fails_with(L("{\"namespaces\":[{}]}"),
			 "linux.namespaces[0].type: required field is missing");
	parse_fails_with(L("{\"uidMappings\":[{\"containerID\":0,\"hostID\":1}]}"),
			 "linux.uidMappings[0].size: required field is missing");
	parse_fails_with(L("{\"gidMappings\":[{\"containerID\":0,\"hostID\":-1,\"size\":1}]}"),
			 "linux.gidMappings[0].hostID: expected an unsigned 32-bit integer");
	parse_fails_with(L("{\"resources\":{\"memory\":{\"limit\":\"1G\"}}}"),
			 "linux.resources.memory.limit: expected a signed 64-bit integer");
	parse_fails_with(L("{\"resources\":{\"cpu\":{\"shares\":-2}}}"),
			 "linux.resources.cpu.shares: expected an unsigned 64-bit integer");
	parse_fails_with(L("{\"resources\":{\"pids\":{\"limit\":9223372036854775808}}}"),
			 "linux.resources.pids.limit: expected a signed 64-bit integer");
	parse_fails_with(L("{\"maskedPaths\":\"/proc\"}"), "linux.maskedPaths: expected an array");
	parse_fails_with(L("{\"sysctl\":{\"kernel.x\":true}}"),
			 "linux.sysctl.kernel.x: expected a string");
	parse_fails_with(L("{\"cgroupsPath\":5}"), "linux.cgroupsPath: expected a string");
	parse_fails_with(L("7"), "linux: expected an object");
	/* every namespace type the spec names is known */
	struct oci_config *c =
	    parse_ok(L("{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},"
		       "{\"type\":\"mount\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
		       "{\"type\":\"user\"},{\"type\":\"cgroup\"},{\"type\":\"time\"}]}"));
	assert_int_equal(c->linux_cfg.n_namespaces, 8);
	assert_int_equal(oci_config_namespace(c, OCI_NS_USER)->clone_flag, CLONE_NEWUSER);
	oci_config_free(c);
#undef L
}

static void test_hostile_text_is_refused(void **state)
{
	/* an embedded NUL after a complete document must not be ignored */
	static const char nul_doc[] = "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"}}\0garbage";
	struct oci_config *c = NULL;
	struct verr err = {0};
	assert_int_equal(oci_config_parse(nul_doc, sizeof(nul_doc) - 1, &c, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "NUL byte"));
	assert_null(c);
	/* \u0000 would cut the argument short */
	process_fails_with("{\"args\":[\"/bin/sh\\u0000evil\"],\"cwd\":\"/\"}", "\\u0000");
	/* but an escaped backslash followed by "u0000" text is a fine string */
	c = parse_ok("{\"ociVersion\":\"1\",\"root\":{\"path\":\"a\\\\u0000\"}}");
	assert_string_equal(c->root_path, "a\\u0000");
	oci_config_free(c);
	/* deep nesting (in an ignored field) */
	char deep[4096];
	size_t n = 0;
	n += (size_t)snprintf(deep, sizeof(deep),
			      "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"x\":");
	for (int i = 0; i < 1000; i++)
		deep[n++] = '[';
	for (int i = 0; i < 1000; i++)
		deep[n++] = ']';
	deep[n++] = '}';
	deep[n] = 0;
	parse_fails_with(deep, "nested deeper than");
	/* invalid UTF-8 */
	parse_fails_with("{\"ociVersion\":\"\xff\xfe\",\"root\":{\"path\":\"r\"}}",
			 "malformed JSON");
}

static void test_duplicate_keys_take_the_last(void **state)
{
	struct oci_config *c = parse_ok("{\"ociVersion\":\"1\",\"root\":{\"path\":\"a\"},"
					"\"hostname\":\"one\",\"hostname\":\"two\","
					"\"annotations\":{\"k\":\"1\",\"k\":\"2\"}}");
	assert_string_equal(c->hostname, "two");
	assert_int_equal(c->annotations.n, 1);
	assert_string_equal(oci_map_get(&c->annotations, "k"), "2");
	oci_config_free(c);
}

static void test_mount_option_flags(void **state)
{
	struct oci_config *c =
	    parse_ok("{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"mounts\":["
		     "{\"destination\":\"/"
		     "a\",\"options\":[\"ro\",\"nosuid\",\"suid\",\"noexec\",\"relatime\","
		     "\"norelatime\",\"noatime\",\"sync\",\"remount\",\"slave\",\"shared\"]},"
		     "{\"destination\":\"/"
		     "b\",\"type\":\"devpts\",\"options\":[\"newinstance\",\"\",\"gid=5\","
		     "\"defaults\",\"rslave\",\"rnosuid\",\"rsuid\"]}]}");
	struct oci_mount *a = &c->mounts[0], *b = &c->mounts[1];
	assert_int_equal(a->flags,
			 MS_RDONLY | MS_NOEXEC | MS_NOATIME | MS_SYNCHRONOUS | MS_REMOUNT);
	assert_int_equal(a->clear_flags, MS_NOSUID | MS_RELATIME);
	assert_int_equal(a->propagation, MS_SHARED); /* the last propagation wins */
	assert_string_equal(a->data, "");
	assert_int_equal(b->flags, 0);
	assert_string_equal(b->data, "newinstance,gid=5");
	assert_int_equal(b->propagation, MS_SLAVE | MS_REC);
	assert_int_equal(b->rec_set, 0);
	assert_int_equal(b->rec_clear, MS_NOSUID);
	oci_config_free(c);
}

static void test_process_json_parses_like_config_process(void **state)
{
	static const char pj[] = "{\"terminal\":false,\"user\":{\"uid\":5,\"gid\":6},"
				 "\"args\":[\"ps\",\"aux\"],\"env\":[\"A=b\"],\"cwd\":\"/tmp\","
				 "\"capabilities\":{\"bounding\":[\"CAP_SYS_ADMIN\"]}}";
	struct oci_process *p = NULL;
	struct verr err = {0};
	assert_int_equal(oci_process_parse(pj, strlen(pj), &p, &err), 0);
	assert_int_equal(p->user.uid, 5);
	assert_int_equal(p->n_args, 2);
	assert_string_equal(p->args[0], "ps");
	assert_int_equal(p->caps.bounding.mask, 1ULL << 21);
	oci_process_free(p);

	static const char bad[] = "{\"args\":[\"ps\"],\"cwd\":\"/\",\"user\":{\"gid\":-3}}";
	p = NULL;
	assert_int_equal(oci_process_parse(bad, strlen(bad), &p, &err), -EINVAL);
	assert_null(p);
	assert_string_equal(err.msg, "process.json: user.gid: expected an unsigned 32-bit integer");
}

static void test_load_reads_bundle_config(void **state)
{
	char dir[] = "/tmp/visor-oci-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	struct oci_config *c = NULL;
	struct verr err = {0};
	assert_int_equal(oci_config_load(dir, &c, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "config.json"));
	assert_null(c);

	assert_int_equal(write_file_atomic(path, full_config, strlen(full_config), 0644), 0);
	assert_int_equal(oci_config_load(dir, &c, &err), 0);
	assert_string_equal(c->hostname, "box");
	oci_config_free(c);

	/* larger than 4 MiB: refused before parsing */
	size_t big = OCI_CONFIG_MAX + 16;
	char *buf = malloc(big);
	memset(buf, ' ', big);
	buf[0] = '{';
	buf[big - 1] = '}';
	assert_int_equal(write_file_atomic(path, buf, big, 0644), 0);
	free(buf);
	c = NULL;
	assert_int_equal(oci_config_load(dir, &c, &err), -EFBIG);
	assert_null(c);

	char ppath[256];
	snprintf(ppath, sizeof(ppath), "%s/process.json", dir);
	static const char pj[] = "{\"args\":[\"true\"],\"cwd\":\"/\"}";
	assert_int_equal(write_file_atomic(ppath, pj, strlen(pj), 0644), 0);
	struct oci_process *p = NULL;
	assert_int_equal(oci_process_load(ppath, &p, &err), 0);
	assert_string_equal(p->args[0], "true");
	oci_process_free(p);

	unlink(ppath);
	unlink(path);
	rmdir(dir);
}

static void test_name_tables(void **state)
{
	assert_int_equal(oci_cap_from_name("CAP_CHOWN"), 0);
	assert_int_equal(oci_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_int_equal(oci_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40);
	assert_int_equal(oci_cap_from_name("cap_chown"), -1);
	for (int i = 0; oci_cap_name(i); i++)
		assert_int_equal(oci_cap_from_name(oci_cap_name(i)), i);
	assert_null(oci_cap_name(41));
	assert_null(oci_cap_name(-1));
	assert_int_equal(oci_rlimit_from_name("RLIMIT_STACK"), RLIMIT_STACK);
	assert_int_equal(oci_rlimit_from_name("NOFILE"), -1);
	assert_int_equal(oci_ns_from_name("network"), OCI_NS_NETWORK);
	assert_int_equal(oci_ns_from_name("net"), -1);
	assert_string_equal(oci_ns_name(OCI_NS_TIME), "time");
	assert_string_equal(oci_mount_option_name(0), "defaults");
	size_t n = 0;
	while (oci_mount_option_name(n))
		n++;
	assert_true(n > 30);
}

/* Truncate and corrupt a valid config everywhere: the parser must answer 0 or
 * -EINVAL with a message, never crash or leak (ASan/LSan watch this). */
static void check_any(const char *buf, size_t len)
{
	struct oci_config *c = NULL;
	struct verr err = {0};
	int r = oci_config_parse(buf, len, &c, &err);
	if (r == 0) {
		assert_non_null(c);
		oci_config_free(c);
	} else {
		assert_int_equal(r, -EINVAL);
		assert_null(c);
		assert_true(err.msg[0] != 0);
	}
	struct oci_process *p = NULL;
	r = oci_process_parse(buf, len, &p, &err);
	if (r == 0)
		oci_process_free(p);
	else
		assert_int_equal(r, -EINVAL);
}

static void test_fuzz_truncation_and_corruption_never_crash(void **state)
{
	size_t len = strlen(full_config);
	char *buf = malloc(len);
	int ok = 0, bad = 0;
	size_t end = len; /* the closing brace; only whitespace follows */
	while (end > 0 && full_config[end - 1] != '}')
		end--;
	for (size_t i = 0; i < end; i++) {
		memcpy(buf, full_config, i); /* a fresh copy of exactly i bytes */
		struct oci_config *c = NULL;
		struct verr err = {0};
		int r = oci_config_parse(buf, i, &c, &err);
		/* no proper prefix of an object is a complete object */
		if (r == 0)
			oci_config_free(c);
		assert_int_equal(r, -EINVAL);
		assert_true(err.msg[0] != 0);
	}
	static const unsigned char subst[] = {0x00, 0xff, '"', '{', '}', '[', ']', ',',
					      ':',  '\\', '-', '0', '9', 'x', ' ', 0x80};
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof(subst); k++) {
			memcpy(buf, full_config, len);
			buf[i] = (char)subst[k];
			struct oci_config *c = NULL;
			struct verr err = {0};
			int r = oci_config_parse(buf, len, &c, &err);
			if (r == 0) {
				ok++;
				oci_config_free(c);
			} else {
				bad++;
				assert_int_equal(r, -EINVAL);
				assert_true(err.msg[0] != 0);
			}
		}
	}
	/* several random flips at once (fixed seed: reproducible) */
	unsigned seed = 12345;
	for (int round = 0; round < 4000; round++) {
		memcpy(buf, full_config, len);
		int flips = 1 + round % 5;
		for (int f = 0; f < flips; f++) {
			seed = seed * 1103515245u + 12345u;
			size_t at = (seed >> 8) % len;
			seed = seed * 1103515245u + 12345u;
			buf[at] ^= (char)(1u << ((seed >> 16) % 8));
		}
		seed = seed * 1103515245u + 12345u;
		check_any(buf, round % 3 ? len : (seed >> 8) % len);
	}
	free(buf);
	/* both outcomes happened: the corruptions were not all harmless or all fatal */
	assert_true(ok > 0);
	assert_true(bad > 0);
}

/* ---- visor spec / visor features (runtime/cmd_spec.c) ----------------- */

static int run_spec(const char *bundle, bool rootless)
{
	struct global_opts g = {0};
	char *argv[] = {"spec", "--bundle", (char *)bundle, rootless ? "--rootless" : NULL, NULL};
	return cmd_spec(&g, rootless ? 4 : 3, argv);
}

static void test_visor_spec_output_parses_with_our_parser(void **state)
{
	char dir[] = "/tmp/visor-spec-XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_int_equal(run_spec(dir, false), 0);
	struct oci_config *c = NULL;
	struct verr err = {0};
	assert_int_equal(oci_config_load(dir, &c, &err), 0);
	assert_string_equal(c->oci_version, "1.1.0");
	assert_non_null(c->process);
	assert_true(c->process->terminal);
	assert_string_equal(c->process->args[0], "sh");
	assert_string_equal(c->process->cwd, "/");
	assert_true(c->process->no_new_privileges);
	assert_int_equal(c->process->caps.bounding.mask,
			 (1ULL << 29) | (1ULL << 5) | (1ULL << 10)); /* AUDIT_WRITE KILL NET_BIND */
	assert_int_equal(c->process->rlimits[0].resource, RLIMIT_NOFILE);
	assert_string_equal(c->root_path, "rootfs");
	assert_true(c->root_readonly);
	static const char *const dst[] = {"/proc",    "/dev",	     "/dev/pts",
					  "/dev/shm", "/dev/mqueue", "/sys"};
	assert_int_equal(c->n_mounts, 6);
	for (size_t i = 0; i < 6; i++)
		assert_string_equal(c->mounts[i].destination, dst[i]);
	assert_string_equal(c->mounts[1].type, "tmpfs");
	assert_string_equal(c->mounts[1].data, "mode=755,size=65536k");
	assert_int_equal(c->mounts[5].flags, MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY);
	for (int t = 0; t < OCI_NS_COUNT; t++) {
		bool want = t == OCI_NS_PID || t == OCI_NS_NETWORK || t == OCI_NS_IPC ||
			    t == OCI_NS_UTS || t == OCI_NS_MOUNT;
		assert_int_equal(oci_config_namespace(c, (enum oci_ns_type)t) != NULL, want);
	}
	assert_int_equal(c->linux_cfg.n_masked_paths, 10);
	assert_int_equal(c->linux_cfg.n_readonly_paths, 5);
	oci_config_free(c);

	/* a second spec refuses to overwrite, and leaves the file alone */
	char path[256];
	snprintf(path, sizeof(path), "%s/config.json", dir);
	struct stat before, after;
	assert_int_equal(stat(path, &before), 0);
	assert_int_equal(run_spec(dir, false), 1);
	assert_int_equal(stat(path, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(unlink(path), 0);

	/* rootless: user namespace mapping us to 0, no network namespace */
	assert_int_equal(run_spec(dir, true), 0);
	assert_int_equal(oci_config_load(dir, &c, &err), 0);
	assert_non_null(oci_config_namespace(c, OCI_NS_USER));
	assert_null(oci_config_namespace(c, OCI_NS_NETWORK));
	assert_int_equal(c->linux_cfg.n_uid_mappings, 1);
	assert_int_equal(c->linux_cfg.uid_mappings[0].container_id, 0);
	assert_int_equal(c->linux_cfg.uid_mappings[0].host_id, geteuid());
	assert_int_equal(c->linux_cfg.gid_mappings[0].host_id, getegid());
	assert_string_equal(c->mounts[5].source, "/sys");
	assert_true(c->mounts[5].flags & MS_BIND);
	assert_null(strstr(c->mounts[2].data, "gid=5"));
	oci_config_free(c);
	unlink(path);

	/* a missing bundle directory or a stray argument is an error */
	char missing[300];
	snprintf(missing, sizeof(missing), "%s/nope", dir);
	assert_int_equal(run_spec(missing, false), 1);
	struct global_opts g = {0};
	char *argv[] = {"spec", "--frobnicate", NULL};
	assert_int_equal(cmd_spec(&g, 2, argv), 1);
	assert_int_equal(access(path, F_OK), -1);
	rmdir(dir);
}

static void test_visor_features_is_valid_json(void **state)
{
	char path[] = "/tmp/visor-features-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	struct global_opts g = {0};
	char *argv[] = {"features", NULL};
	int r = cmd_features(&g, 1, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(r, 0);
	char *text = NULL;
	size_t len = 0;
	assert_int_equal(read_file(path, 1 << 20, &text, &len), 0);
	unlink(path);
	char ebuf[256];
	yajl_val v = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	if (!v)
		fprintf(stderr, "%s\n%s\n", ebuf, text);
	assert_non_null(v);
	const char *p_min[] = {"ociVersionMin", NULL}, *p_max[] = {"ociVersionMax", NULL},
		   *p_hooks[] = {"hooks", NULL}, *p_mo[] = {"mountOptions", NULL},
		   *p_ns[] = {"linux", "namespaces", NULL},
		   *p_caps[] = {"linux", "capabilities", NULL},
		   *p_seccomp[] = {"linux", "seccomp", "enabled", NULL},
		   *p_plat[] = {"annotations", "io.github.visor.platforms", NULL};
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_min, yajl_t_string)), "1.0.0");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_max, yajl_t_string)), "1.1.0");
	yajl_val hooks = yajl_tree_get(v, p_hooks, yajl_t_array);
	assert_non_null(hooks);
	assert_int_equal(YAJL_GET_ARRAY(hooks)->len, 0);
	yajl_val mo = yajl_tree_get(v, p_mo, yajl_t_array);
	assert_non_null(mo);
	bool has_rbind = false;
	for (size_t i = 0; i < YAJL_GET_ARRAY(mo)->len; i++) {
		const char *name = YAJL_GET_STRING(YAJL_GET_ARRAY(mo)->values[i]);
		assert_non_null(name);
		if (!strcmp(name, "rbind"))
			has_rbind = true;
	}
	assert_true(has_rbind);
	assert_int_equal(YAJL_GET_ARRAY(yajl_tree_get(v, p_ns, yajl_t_array))->len, OCI_NS_COUNT);
	assert_int_equal(YAJL_GET_ARRAY(yajl_tree_get(v, p_caps, yajl_t_array))->len, 41);
	assert_true(YAJL_IS_FALSE(yajl_tree_get(v, p_seccomp, yajl_t_any)));
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_plat, yajl_t_string)),
			    "ptrace,systrap");
	yajl_tree_free(v);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_full_config_fields_are_typed),
	    cmocka_unit_test(test_blkio_weight_out_of_range_is_refused),
	    cmocka_unit_test(test_minimal_config_gets_defaults),
	    cmocka_unit_test(test_null_values_count_as_absent),
	    cmocka_unit_test(test_uid_out_of_range_names_the_field),
	    cmocka_unit_test(test_process_field_errors_name_their_path),
	    cmocka_unit_test(test_unknown_capability_is_an_error),
	    cmocka_unit_test(test_rlimit_errors),
	    cmocka_unit_test(test_top_level_errors),
	    cmocka_unit_test(test_mount_errors),
	    cmocka_unit_test(test_hook_errors),
	    cmocka_unit_test(test_linux_errors),
	    cmocka_unit_test(test_hostile_text_is_refused),
	    cmocka_unit_test(test_duplicate_keys_take_the_last),
	    cmocka_unit_test(test_mount_option_flags),
	    cmocka_unit_test(test_process_json_parses_like_config_process),
	    cmocka_unit_test(test_load_reads_bundle_config),
	    cmocka_unit_test(test_name_tables),
	    cmocka_unit_test(test_fuzz_truncation_and_corruption_never_crash),
	    cmocka_unit_test(test_visor_spec_output_parses_with_our_parser),
	    cmocka_unit_test(test_visor_features_is_valid_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
