/* Unit tests for runtime/oci_seccomp.c: linux.seccomp parsed from config.json,
 * its errors, and the BPF program libseccomp makes of it, run through the
 * Sentry's own checker and interpreter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "lib/verr.h"
#include "runtime/boot_config.h"
#include "runtime/oci.h"
#include "runtime/oci_seccomp.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/sentry.h"

/* A config whose linux.seccomp is the given JSON object. */
static int parse_with(const char *seccomp, struct oci_config **cfg, struct verr *err)
{
	char buf[16384];
	int n = snprintf(buf, sizeof(buf),
			 "{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"rootfs\"},"
			 " \"linux\": {\"seccomp\": %s}}",
			 seccomp);
	assert_true(n > 0 && (size_t)n < sizeof(buf));
	return oci_config_parse(buf, (size_t)n, cfg, err);
}

/* The brief's OCI test profile: mkdir denied with EPERM, chmod(path, 0777)
 * with errno 1234, and one name libseccomp cannot know. */
static const char test_profile[] =
    "{\"defaultAction\": \"SCMP_ACT_ALLOW\","
    " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
    " \"syscalls\": ["
    "  {\"names\": [\"mkdir\", \"mkdirat\"], \"action\": \"SCMP_ACT_ERRNO\"},"
    "  {\"names\": [\"chmod\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1234,"
    "   \"args\": [{\"index\": 1, \"value\": 511, \"op\": \"SCMP_CMP_EQ\"}]},"
    "  {\"names\": [\"visor_no_such_call\", \"getppid\"], \"action\": \"SCMP_ACT_TRAP\"},"
    "  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}"
    " ]}";

static struct seccomp_data data(int nr, uint64_t a0, uint64_t a1)
{
	struct seccomp_data d;
	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = AUDIT_ARCH_X86_64;
	d.args[0] = a0;
	d.args[1] = a1;
	return d;
}

/* Compile cfg's profile, check it as seccomp(2) would, and keep it. */
static struct sock_filter *compile(const struct oci_config *cfg, unsigned int *len,
				   unsigned int *skipped)
{
	struct sock_filter *prog = NULL;
	struct verr err = {0};
	assert_non_null(cfg->linux_cfg.seccomp);
	int r = oci_seccomp_bpf(cfg->linux_cfg.seccomp, &prog, len, skipped, &err);
	if (r)
		fail_msg("oci_seccomp_bpf: %s", err.msg);
	assert_int_equal(seccomp_check_prog(prog, *len), 0);
	return prog;
}

static uint32_t run(const struct sock_filter *prog, unsigned int len, int nr, uint64_t a0,
		    uint64_t a1)
{
	struct seccomp_data d = data(nr, a0, a1);
	return seccomp_run_prog(prog, len, &d);
}

static void test_profile_fields_are_parsed(void **state)
{
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(parse_with(test_profile, &cfg, &err), 0);
	const struct oci_seccomp *s = cfg->linux_cfg.seccomp;
	assert_non_null(s);
	assert_int_equal(s->default_action, OCI_SCMP_ALLOW);
	assert_int_equal(s->n_arches, 3);
	assert_int_equal(s->n_syscalls, 4);
	assert_int_equal(s->syscalls[0].n_names, 2);
	assert_string_equal(s->syscalls[0].names[1], "mkdirat");
	assert_null(s->syscalls[0].names[2]);
	assert_false(s->syscalls[0].has_errno_ret);
	assert_true(s->syscalls[1].has_errno_ret);
	assert_int_equal(s->syscalls[1].errno_ret, 1234);
	assert_int_equal(s->syscalls[1].n_args, 1);
	assert_int_equal(s->syscalls[1].args[0].index, 1);
	assert_int_equal(s->syscalls[1].args[0].value, 0777);
	assert_int_equal(s->syscalls[1].args[0].op, OCI_SCMP_CMP_EQ);
	assert_int_equal(s->syscalls[2].action, OCI_SCMP_TRAP);
	oci_config_free(cfg);
}

static void test_config_without_seccomp_has_none(void **state)
{
	static const char json[] = "{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"r\"},"
				   " \"linux\": {\"seccomp\": null}}";
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(oci_config_parse(json, sizeof(json) - 1, &cfg, &err), 0);
	assert_null(cfg->linux_cfg.seccomp);
	oci_config_free(cfg);
}

static void test_profile_denies_mkdir_and_chmod_0777(void **state)
{
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(parse_with(test_profile, &cfg, &err), 0);
	unsigned int len, skipped;
	struct sock_filter *prog = compile(cfg, &len, &skipped);
	assert_int_equal(skipped, 1); /* visor_no_such_call */
	assert_int_equal(run(prog, len, SYS_mkdir, 0x1000, 0755), SECCOMP_RET_ERRNO | EPERM);
	assert_int_equal(run(prog, len, SYS_mkdirat, 0, 0x1000), SECCOMP_RET_ERRNO | EPERM);
	assert_int_equal(run(prog, len, SYS_chmod, 0x1000, 0777), SECCOMP_RET_ERRNO | 1234);
	assert_int_equal(run(prog, len, SYS_chmod, 0x1000, 0644), SECCOMP_RET_ALLOW);
	assert_int_equal(run(prog, len, SYS_getppid, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(run(prog, len, SYS_getpid, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(prog, len, SYS_read, 0, 0), SECCOMP_RET_ALLOW);
	free(prog);
	oci_config_free(cfg);
}

/* Docker's default profile in miniature: deny by default with EPERM, allow a
 * list, clone only without namespace flags (MASKED_EQ), personality for a
 * few values (one index repeated: any of them), clone3 as ENOSYS. */
static void test_docker_style_default_errno_profile(void **state)
{
	static const char profile[] =
	    "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1,"
	    " \"architectures\": [\"SCMP_ARCH_X86_64\"],"
	    " \"syscalls\": ["
	    "  {\"names\": [\"read\", \"write\", \"getpid\", \"exit_group\"],"
	    "   \"action\": \"SCMP_ACT_ALLOW\"},"
	    "  {\"names\": [\"personality\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
	    "   {\"index\": 0, \"value\": 0, \"op\": \"SCMP_CMP_EQ\"},"
	    "   {\"index\": 0, \"value\": 8, \"op\": \"SCMP_CMP_EQ\"},"
	    "   {\"index\": 0, \"value\": 4294967295, \"op\": \"SCMP_CMP_EQ\"}]},"
	    "  {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\", \"args\": ["
	    "   {\"index\": 0, \"value\": 2114060288, \"valueTwo\": 0,"
	    "    \"op\": \"SCMP_CMP_MASKED_EQ\"}]},"
	    "  {\"names\": [\"clone3\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38},"
	    "  {\"names\": [\"unshare\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}"
	    " ]}";
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(parse_with(profile, &cfg, &err), 0);
	unsigned int len, skipped;
	struct sock_filter *prog = compile(cfg, &len, &skipped);
	assert_int_equal(skipped, 0);
	assert_int_equal(run(prog, len, SYS_getpid, 0, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(prog, len, SYS_mkdir, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	assert_int_equal(run(prog, len, SYS_unshare, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	assert_int_equal(run(prog, len, SYS_add_key, 0, 0), SECCOMP_RET_ERRNO | EPERM);
	assert_int_equal(run(prog, len, SYS_clone3, 0, 0), SECCOMP_RET_ERRNO | ENOSYS);
	assert_int_equal(run(prog, len, SYS_personality, 8, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(prog, len, SYS_personality, 0xffffffff, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(prog, len, SYS_personality, 3, 0), SECCOMP_RET_ERRNO | EPERM);
	/* CLONE_VM|CLONE_FS|...|SIGCHLD: allowed; CLONE_NEWUSER: not. */
	assert_int_equal(run(prog, len, SYS_clone, 0x3d0f00, 0), SECCOMP_RET_ALLOW);
	assert_int_equal(run(prog, len, SYS_clone, 0x10000000 | 17, 0),
			 SECCOMP_RET_ERRNO | EPERM);
	free(prog);
	oci_config_free(cfg);
}

static void test_actions_map_to_seccomp_returns(void **state)
{
	static const char profile[] =
	    "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\","
	    " \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
	    " \"syscalls\": ["
	    "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_LOG\"},"
	    "  {\"names\": [\"write\"], \"action\": \"SCMP_ACT_TRACE\"},"
	    "  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_KILL\"},"
	    "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_KILL_THREAD\"},"
	    "  {\"names\": [\"gettid\"], \"action\": \"SCMP_ACT_ALLOW\"},"
	    "  {\"names\": [\"close\"], \"action\": \"SCMP_ACT_TRAP\", \"errnoRet\": 5}"
	    " ]}";
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(parse_with(profile, &cfg, &err), 0);
	assert_int_equal(cfg->linux_cfg.seccomp->flags, OCI_SCMP_FLAG_LOG);
	unsigned int len, skipped;
	struct sock_filter *prog = compile(cfg, &len, &skipped);
	assert_int_equal(run(prog, len, SYS_read, 0, 0), SECCOMP_RET_LOG);
	assert_int_equal(run(prog, len, SYS_write, 0, 0) & SECCOMP_RET_ACTION_FULL,
			 SECCOMP_RET_TRACE);
	assert_int_equal(run(prog, len, SYS_getpid, 0, 0), SECCOMP_RET_KILL_THREAD);
	assert_int_equal(run(prog, len, SYS_getppid, 0, 0), SECCOMP_RET_KILL_THREAD);
	assert_int_equal(run(prog, len, SYS_gettid, 0, 0), SECCOMP_RET_ALLOW);
	/* errnoRet means nothing to TRAP (as runc ignores it there). */
	assert_int_equal(run(prog, len, SYS_close, 0, 0), SECCOMP_RET_TRAP);
	assert_int_equal(run(prog, len, SYS_openat, 0, 0), SECCOMP_RET_KILL_PROCESS);
	free(prog);
	oci_config_free(cfg);
}

/* Each malformed profile: create fails with the field named. */
static void expect_error(const char *profile, const char *needle)
{
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(parse_with(profile, &cfg, &err), -EINVAL);
	assert_null(cfg);
	if (!strstr(err.msg, needle))
		fail_msg("error \"%s\" does not contain \"%s\"", err.msg, needle);
}

static void test_malformed_profiles_are_refused_with_their_field(void **state)
{
	expect_error("[]", "config.json: linux.seccomp: expected an object");
	expect_error("{}", "linux.seccomp.defaultAction: required field is missing");
	expect_error("{\"defaultAction\": \"SCMP_ACT_FOO\"}",
		     "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_FOO\"");
	expect_error("{\"defaultAction\": 3}", "defaultAction: expected a string");
	expect_error("{\"defaultAction\": \"SCMP_ACT_NOTIFY\"}", "SCMP_ACT_NOTIFY is not supported");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
		     "defaultErrnoRet: expected an unsigned integer");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"architectures\": [\"x86\"]}",
		     "architectures[0]: unknown architecture \"x86\"");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\","
		     " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_PDP11\"]}",
		     "architectures[1]: unknown architecture");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"NOPE\"]}",
		     "flags[0]: unknown flag \"NOPE\"");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": {}}",
		     "linux.seccomp.syscalls: expected an array");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"action\":"
		     " \"SCMP_ACT_ERRNO\"}]}",
		     "syscalls[0].names: required field is missing");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"\"],"
		     " \"action\": \"SCMP_ACT_ERRNO\"}]}",
		     "syscalls[0].names[0]: expected a non-empty string");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
		     " [\"read\"]}]}",
		     "syscalls[0].action: required field is missing");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
		     " [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 70000}]}",
		     "syscalls[0].errnoRet: expected an unsigned integer at most 65535");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
		     " [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6,"
		     " \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
		     "syscalls[0].args[0].index: expected an unsigned integer at most 5");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
		     " [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0,"
		     " \"value\": 1, \"op\": \"SCMP_CMP_LIKE\"}]}]}",
		     "syscalls[0].args[0].op: unknown operator \"SCMP_CMP_LIKE\"");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\":"
		     " [\"read\"], \"action\": \"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 0,"
		     " \"op\": \"SCMP_CMP_EQ\"}]}]}",
		     "syscalls[0].args[0].value: required field is missing");
	expect_error("{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": [1]}",
		     "syscalls[0]: expected an object");
}

static void test_boot_config_gets_the_checked_program(void **state)
{
	static const char profile[] =
	    "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
	    " \"syscalls\": [{\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}]}";
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(parse_with(profile, &cfg, &err), 0);
	struct sentry_config sc;
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(boot_seccomp_from_oci(cfg, &sc, &err), 0);
	assert_non_null(sc.seccomp_prog);
	assert_int_equal(seccomp_check_prog(sc.seccomp_prog, sc.seccomp_len), 0);
	assert_int_equal(sc.seccomp_flags, SECCOMP_FILTER_FLAG_LOG);
	struct seccomp_data d = data(SYS_mkdir, 0, 0);
	assert_int_equal(seccomp_run_prog(sc.seccomp_prog, sc.seccomp_len, &d),
			 SECCOMP_RET_ERRNO | EPERM);
	free((void *)sc.seccomp_prog);
	oci_config_free(cfg);

	/* No profile: no program. */
	static const char none[] = "{\"ociVersion\": \"1.1.0\", \"root\": {\"path\": \"r\"}}";
	assert_int_equal(oci_config_parse(none, sizeof(none) - 1, &cfg, &err), 0);
	memset(&sc, 0, sizeof(sc));
	assert_int_equal(boot_seccomp_from_oci(cfg, &sc, &err), 0);
	assert_null(sc.seccomp_prog);
	oci_config_free(cfg);
}

static bool cached(const uint64_t *bits, int nr) { return (bits[nr / 64] >> (nr % 64)) & 1; }

/* The verdict cache: a number is cached as allowed only when the program
 * allows it without looking at the arguments. */
static void test_verdict_cache_allows_only_argument_free_allows(void **state)
{
	struct oci_config *cfg = NULL;
	struct verr err = {0};
	assert_int_equal(parse_with(test_profile, &cfg, &err), 0);
	unsigned int len, skipped;
	struct sock_filter *prog = compile(cfg, &len, &skipped);
	uint64_t bits[SECCOMP_CACHE_WORDS];
	memset(bits, 0xff, sizeof(bits));
	seccomp_allow_bitmap(prog, len, bits);
	assert_true(cached(bits, SYS_getpid));
	assert_true(cached(bits, SYS_read));
	assert_true(cached(bits, SYS_openat));
	assert_false(cached(bits, SYS_mkdir));	/* ERRNO */
	assert_false(cached(bits, SYS_getppid)); /* TRAP */
	assert_false(cached(bits, SYS_chmod));	/* allowed or not by its mode */
	/* Every cached number really is allowed, whatever the arguments. */
	for (int nr = 0; nr < SECCOMP_CACHE_NRS; nr++)
		if (cached(bits, nr))
			assert_int_equal(run(prog, len, nr, 0x1234, 0777), SECCOMP_RET_ALLOW);
	free(prog);
	oci_config_free(cfg);

	/* A program that reads the instruction pointer caches nothing. */
	struct sock_filter ip_prog[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	seccomp_allow_bitmap(ip_prog, 2, bits);
	for (int i = 0; i < SECCOMP_CACHE_WORDS; i++)
		assert_int_equal(bits[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_profile_fields_are_parsed),
	    cmocka_unit_test(test_config_without_seccomp_has_none),
	    cmocka_unit_test(test_profile_denies_mkdir_and_chmod_0777),
	    cmocka_unit_test(test_docker_style_default_errno_profile),
	    cmocka_unit_test(test_actions_map_to_seccomp_returns),
	    cmocka_unit_test(test_malformed_profiles_are_refused_with_their_field),
	    cmocka_unit_test(test_boot_config_gets_the_checked_program),
	    cmocka_unit_test(test_verdict_cache_allows_only_argument_free_allows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
