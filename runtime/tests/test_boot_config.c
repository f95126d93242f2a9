/*
 * Unit tests for runtime/cmd_boot.c's config.json -> Sentry config mapping:
 * bind mounts become gofer attach points named by their destination, /dev
 * becomes the Sentry's devfs, devpts is left to the devfs, other file system
 * types are optional, and the process fields come through.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/verr.h"
#include "runtime/boot_config.h"
#include "runtime/oci.h"
#include "sentry/sentry.h"

static const char *config_json =
	"{\"ociVersion\":\"1.0.2\","
	"\"process\":{\"terminal\":true,\"user\":{\"uid\":1000,\"gid\":100,\"umask\":18,"
	"\"additionalGids\":[5,6]},"
	"\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"PATH=/bin\"],\"cwd\":\"/work\","
	"\"noNewPrivileges\":true,"
	"\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
	"\"permitted\":[\"CAP_KILL\"]},"
	"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200}]},"
	"\"root\":{\"path\":\"rootfs\",\"readonly\":true},\"hostname\":\"h1\","
	"\"mounts\":["
	"{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
	"{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
	"{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\"},"
	"{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/srv/data\",\"options\":[\"rbind\",\"ro\"]},"
	"{\"destination\":\"/etc/hosts\",\"source\":\"/var/lib/x/hosts\",\"options\":[\"bind\"]},"
	"{\"destination\":\"/scratch\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"size=1m\",\"noexec\"]}"
	"]}";

static void test_boot_config_maps_process_and_mounts(void **state)
{
	struct oci_config *oc = NULL;
	struct verr err = {0};
	assert_int_equal(oci_config_parse(config_json, strlen(config_json), &oc, &err), 0);
	struct sentry_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sentry_mount mounts[16];
	assert_int_equal(boot_config_from_oci(oc, &cfg, mounts, 16, &err), 0);
	assert_int_equal(cfg.argc, 3);
	assert_string_equal(cfg.argv[0], "sh");
	assert_null(cfg.argv[3]);
	assert_string_equal(cfg.cwd, "/work");
	assert_int_equal(cfg.uid, 1000);
	assert_int_equal(cfg.gid, 100);
	assert_int_equal(cfg.ngroups, 2);
	assert_true(cfg.has_umask);
	assert_int_equal(cfg.umask, 18);
	assert_true(cfg.terminal);
	assert_true(cfg.no_new_privs);
	assert_true(cfg.has_caps);
	assert_int_equal(cfg.cap_effective, 1ULL << 5); /* CAP_KILL */
	assert_int_equal(cfg.cap_bounding, 1ULL << 5);
	assert_true(cfg.rlimits_set[RLIMIT_NOFILE]);
	assert_int_equal(cfg.rlimits[RLIMIT_NOFILE].rlim_cur, 100);
	assert_int_equal(cfg.rlimits[RLIMIT_NOFILE].rlim_max, 200);
	assert_true(cfg.root_readonly);
	assert_string_equal(cfg.hostname, "h1");

	/* devpts is skipped: 5 of 6 remain, in order. */
	assert_int_equal(cfg.nmounts, 5);
	assert_string_equal(mounts[0].fstype, "proc");
	assert_true(mounts[0].optional);
	assert_string_equal(mounts[1].fstype, "dev");
	assert_string_equal(mounts[1].target, "/dev");
	assert_false(mounts[1].optional);
	assert_string_equal(mounts[2].fstype, "bind-gofer");
	assert_string_equal(mounts[2].source, "/data"); /* the gofer attach name */
	assert_true(mounts[2].flags & MS_RDONLY);
	assert_string_equal(mounts[3].fstype, "bind-gofer");
	assert_string_equal(mounts[3].source, "/etc/hosts");
	assert_false(mounts[3].flags & MS_RDONLY);
	assert_string_equal(mounts[4].fstype, "tmpfs");
	assert_true(mounts[4].flags & MS_NOEXEC);
	assert_non_null(mounts[4].data);
	assert_non_null(strstr(mounts[4].data, "size=1m"));
	oci_config_free(oc);
}

static void test_boot_config_needs_process(void **state)
{
	const char *j = "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"}}";
	struct oci_config *oc = NULL;
	struct verr err = {0};
	assert_int_equal(oci_config_parse(j, strlen(j), &oc, &err), 0);
	struct sentry_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sentry_mount mounts[4];
	assert_int_equal(boot_config_from_oci(oc, &cfg, mounts, 4, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "process"));
	oci_config_free(oc);
}

static void test_boot_config_too_many_mounts(void **state)
{
	struct oci_config *oc = NULL;
	struct verr err = {0};
	assert_int_equal(oci_config_parse(config_json, strlen(config_json), &oc, &err), 0);
	struct sentry_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	struct sentry_mount mounts[2];
	assert_int_equal(boot_config_from_oci(oc, &cfg, mounts, 2, &err), -E2BIG);
	oci_config_free(oc);
}

static void test_boot_mount_unknown_type_is_optional_and_missing_type_is_error(void **state)
{
	char *opts[] = {NULL};
	struct oci_mount m = {.destination = "/dev/mqueue", .type = "mqueue", .source = "mqueue",
			      .options = opts};
	struct sentry_mount out;
	assert_int_equal(boot_mount_from_oci(&m, &out), 1);
	assert_true(out.optional);
	assert_string_equal(out.fstype, "mqueue");
	struct oci_mount notype = {.destination = "/x", .options = opts};
	assert_int_equal(boot_mount_from_oci(&notype, &out), -EINVAL);
	struct oci_mount shm = {.destination = "/dev/shm", .type = "tmpfs", .source = "shm",
				.options = opts};
	assert_int_equal(boot_mount_from_oci(&shm, &out), 1);
	assert_string_equal(out.source, "shm"); /* /proc/mounts's first field, as runc's */
	struct oci_mount rel = {.destination = "x", .type = "tmpfs", .options = opts};
	assert_int_equal(boot_mount_from_oci(&rel, &out), -EINVAL);
}

/* docker run -v /dev/null:/x: the Sentry binds its own node; any other
 * character device (or a file) is left to the Gofer, which refuses it. */
static void test_boot_mount_of_a_memory_device_is_the_sentrys_node(void **state)
{
	char *opts[] = {"rbind", NULL};
	struct oci_mount m = {.destination = "/etc/masked", .type = "bind", .source = "/dev/null",
			      .options = opts, .n_options = 1, .flags = MS_BIND};
	struct sentry_mount out;
	assert_string_equal(boot_mount_dev_node(&m), "/dev/null");
	assert_int_equal(boot_mount_from_oci(&m, &out), 1);
	assert_string_equal(out.fstype, "bind-dev");
	assert_string_equal(out.source, "/dev/null");
	m.source = "/dev/urandom";
	assert_string_equal(boot_mount_dev_node(&m), "/dev/urandom");
	m.source = "/etc/hostname";
	assert_null(boot_mount_dev_node(&m));
	assert_int_equal(boot_mount_from_oci(&m, &out), 1);
	assert_string_equal(out.fstype, "bind-gofer");
	m.source = "/dev/nonexistent-visor-test";
	assert_null(boot_mount_dev_node(&m));
	struct oci_mount notbind = {.destination = "/x", .type = "tmpfs", .source = "/dev/null",
				    .options = opts};
	notbind.n_options = 0;
	assert_null(boot_mount_dev_node(&notbind));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_boot_config_maps_process_and_mounts),
		cmocka_unit_test(test_boot_config_needs_process),
		cmocka_unit_test(test_boot_config_too_many_mounts),
		cmocka_unit_test(test_boot_mount_unknown_type_is_optional_and_missing_type_is_error),
		cmocka_unit_test(test_boot_mount_of_a_memory_device_is_the_sentrys_node),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
