/*
 * oci_seccomp.h — config.json's linux.seccomp (Docker's seccomp profile):
 * parsed and checked with the rest of the bundle (oci.c calls
 * oci_seccomp_parse), then translated to a classic-BPF program with
 * libseccomp (oci_seccomp_bpf) that the Sentry installs on every process it
 * spawns, as if each had called seccomp(SECCOMP_SET_MODE_FILTER) before its
 * first instruction: inherited by children, kept across execve, not
 * removable.  The app's syscalls never reach the host kernel, so the filter
 * runs in the Sentry's own interpreter (sentry/kernel/seccomp.c), not the
 * host's.
 *
 * As runc: a syscall name libseccomp does not know (newer than it) is
 * skipped; a rule whose action is the default action is skipped; args with
 * one index repeated become one rule per arg (OR), otherwise one rule with
 * all of them (AND); SCMP_ACT_ERRNO and SCMP_ACT_TRACE take errnoRet
 * (default EPERM; TRACE with no tracer gives ENOSYS, as Linux).
 * SCMP_ACT_NOTIFY (a listener process) is refused: there is no listener.
 */
#ifndef VISOR_RUNTIME_OCI_SECCOMP_H
#define VISOR_RUNTIME_OCI_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct verr;
struct sock_filter;
struct yajl_val_s;

/* An action as runc's configs.Action; each maps to one SCMP_ACT_*. */
enum oci_seccomp_action {
	OCI_SCMP_KILL, /* SCMP_ACT_KILL = SCMP_ACT_KILL_THREAD */
	OCI_SCMP_KILL_PROCESS,
	OCI_SCMP_KILL_THREAD,
	OCI_SCMP_TRAP,
	OCI_SCMP_ERRNO,
	OCI_SCMP_TRACE,
	OCI_SCMP_ALLOW,
	OCI_SCMP_LOG,
};

/* The SCMP_CMP_* operators, in libseccomp's enum scmp_compare order. */
enum oci_seccomp_op {
	OCI_SCMP_CMP_NE = 1,
	OCI_SCMP_CMP_LT,
	OCI_SCMP_CMP_LE,
	OCI_SCMP_CMP_EQ,
	OCI_SCMP_CMP_GE,
	OCI_SCMP_CMP_GT,
	OCI_SCMP_CMP_MASKED_EQ, /* (arg & value) == valueTwo */
};

struct oci_seccomp_arg {
	uint32_t index; /* 0..5 */
	uint64_t value, value_two;
	enum oci_seccomp_op op;
};

struct oci_seccomp_syscall {
	char **names; /* NULL-terminated (never NULL) */
	size_t n_names;
	enum oci_seccomp_action action;
	bool has_errno_ret;
	uint32_t errno_ret;
	struct oci_seccomp_arg *args;
	size_t n_args;
};

/* SECCOMP_FILTER_FLAG_* named in "flags". */
#define OCI_SCMP_FLAG_TSYNC (1u << 0)
#define OCI_SCMP_FLAG_LOG (1u << 1)
#define OCI_SCMP_FLAG_SPEC_ALLOW (1u << 2)
#define OCI_SCMP_FLAG_WAIT_KILLABLE_RECV (1u << 3)

struct oci_seccomp {
	enum oci_seccomp_action default_action;
	bool has_default_errno_ret;
	uint32_t default_errno_ret;
	uint32_t *arches; /* SCMP_ARCH_* tokens */
	size_t n_arches;
	unsigned int flags; /* OCI_SCMP_FLAG_* */
	struct oci_seccomp_syscall *syscalls;
	size_t n_syscalls;
};

/* Parse the linux.seccomp object v (a yajl_val) of the file `file`
 * ("config.json").  0 with *out set, or -EINVAL/-ENOMEM with err naming the
 * field ("config.json: linux.seccomp.syscalls[2].action: unknown action
 * \"SCMP_ACT_FOO\"") and nothing allocated. */
int oci_seccomp_parse(const char *file, struct yajl_val_s *v, struct oci_seccomp **out,
		      struct verr *err);
void oci_seccomp_free(struct oci_seccomp *s);

/* A profile as one classic-BPF program for x86-64 (libseccomp's export):
 * 0 with *prog (malloc'ed, *len instructions) and *skipped (names libseccomp
 * does not know, skipped as runc skips them), or -errno with err filled. */
int oci_seccomp_bpf(const struct oci_seccomp *s, struct sock_filter **prog, unsigned int *len,
		    unsigned int *skipped, struct verr *err);

#endif
