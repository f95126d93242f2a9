/*
 * oci.h — an OCI bundle's config.json (runtime-spec 1.1) as typed structs.
 *
 * Owns: turning config.json / process.json text into struct oci_config /
 * struct oci_process, with every field visor honours checked for type and
 * range, and the name tables (capabilities, rlimits, namespaces, mount
 * options) the rest of the runtime and `visor features` share.
 * Never: touches the host (no mounts, no setrlimit, no cgroups) — this file
 * only reads text and describes it.
 *
 * Rules: unknown fields are ignored at every level; JSON null is treated as
 * absent (as Go's encoding/json does for runc); a known field of the wrong
 * type or out of range is an error naming its JSON path
 * ("config.json: process.user.uid: expected an unsigned 32-bit integer"),
 * returned as -EINVAL with nothing allocated.
 *
 * Every array below has a count; string arrays are also NULL-terminated so
 * they can go straight to execve().  All strings are owned by the struct and
 * released by oci_config_free()/oci_process_free().
 */
#ifndef VISOR_RUNTIME_OCI_H
#define VISOR_RUNTIME_OCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct verr;
struct oci_seccomp;

/* Largest config.json / process.json read from disk. */
#define OCI_CONFIG_MAX (4u << 20)

/* A string->string map in document order (annotations, sysctl). */
struct oci_kv {
	char *key;
	char *value;
};
struct oci_map {
	struct oci_kv *items;
	size_t n;
};
/* The value for key, or NULL. */
const char *oci_map_get(const struct oci_map *m, const char *key);
/* Set key to value (both copied), replacing an existing entry.  0 or -ENOMEM. */
int oci_map_set(struct oci_map *m, const char *key, const char *value);
void oci_map_free(struct oci_map *m);

/* ---- process ---------------------------------------------------------- */

struct oci_user {
	uint32_t uid; /* default 0 */
	uint32_t gid; /* default 0 */
	bool has_umask;
	uint32_t umask;
	uint32_t *additional_gids;
	size_t n_additional_gids;
};

/* One capability set: the names as given and the bitmask (bit = CAP_* number). */
struct oci_cap_set {
	char **names; /* NULL-terminated; NULL when the set is absent */
	size_t n;
	uint64_t mask;
};

struct oci_capabilities {
	struct oci_cap_set bounding, effective, inheritable, permitted, ambient;
};

struct oci_rlimit {
	char *type_name; /* "RLIMIT_NOFILE" */
	int resource;	 /* RLIMIT_NOFILE */
	uint64_t soft, hard;
};

struct oci_process {
	bool terminal; /* default false */
	bool has_console_size;
	uint32_t console_height, console_width;
	struct oci_user user;
	char **args; /* NULL-terminated, n_args >= 1 */
	size_t n_args;
	char **env; /* NULL-terminated, possibly empty (never NULL) */
	size_t n_env;
	char *cwd; /* absolute */
	bool has_capabilities;
	struct oci_capabilities caps;
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj; /* -1000..1000 */
			   /* apparmorProfile, selinuxLabel: ignored (no LSM inside the Sentry). */
};

/* ---- mounts ------------------------------------------------------------- */

struct oci_mount {
	char *destination; /* required, non-empty */
	char *type;	   /* NULL when absent */
	char *source;	   /* NULL when absent */
	char **options;	   /* the original list, NULL-terminated (never NULL) */
	size_t n_options;
	/* options interpreted, applied left to right as mount(8) does: */
	unsigned long flags;	   /* MS_* to pass to mount(2) (MS_RDONLY, MS_BIND, MS_REC...) */
	unsigned long clear_flags; /* MS_* explicitly turned off ("rw", "suid", "dev"...) */
	unsigned long
	    propagation;       /* MS_PRIVATE|MS_SLAVE|MS_SHARED|MS_UNBINDABLE [|MS_REC], 0 = none */
	unsigned long rec_set; /* recursive attributes ("rro", "rnosuid"...): MS_* bits to set */
	unsigned long rec_clear; /* ... and to clear ("rrw", "rsuid"...) */
	char *data; /* leftover fs options joined by ',' ("mode=755,size=65536k"); "" if none */
};

/* ---- hooks -------------------------------------------------------------- */

/* Parsed so the runtime can run them (Docker's bridge networking relies on
 * a prestart hook, `dockerd libnetwork-setkey`); whether they run is the
 * runtime's business, not this parser's. */
struct oci_hook {
	char *path;  /* absolute */
	char **args; /* NULL-terminated (never NULL, may be empty); args[0] is argv[0] */
	size_t n_args;
	char **env; /* NULL-terminated (never NULL) */
	size_t n_env;
	bool has_timeout;
	int timeout; /* seconds, > 0 */
};

struct oci_hook_list {
	struct oci_hook *v;
	size_t n;
};

struct oci_hooks {
	struct oci_hook_list prestart; /* deprecated in 1.1, still what Docker uses */
	struct oci_hook_list create_runtime, create_container, start_container;
	struct oci_hook_list poststart, poststop;
};

/* ---- linux -------------------------------------------------------------- */

enum oci_ns_type {
	OCI_NS_PID,
	OCI_NS_NETWORK,
	OCI_NS_MOUNT,
	OCI_NS_IPC,
	OCI_NS_UTS,
	OCI_NS_USER,
	OCI_NS_CGROUP,
	OCI_NS_TIME,
	OCI_NS_COUNT
};

struct oci_namespace {
	enum oci_ns_type type;
	int clone_flag; /* CLONE_NEWPID ... */
	char *path;	/* join this namespace; NULL = create a new one */
};

struct oci_id_mapping {
	uint32_t container_id, host_id, size;
};

struct oci_resources {
	bool has_memory_limit;
	int64_t memory_limit; /* bytes, -1 = unlimited */
	bool has_memory_reservation;
	int64_t memory_reservation;
	bool has_memory_swap;
	int64_t memory_swap;
	bool has_cpu_shares;
	uint64_t cpu_shares;
	bool has_cpu_quota;
	int64_t cpu_quota; /* microseconds per period, -1 = unlimited */
	bool has_cpu_period;
	uint64_t cpu_period;
	char *cpu_cpus; /* "0-3", NULL when absent */
	char *cpu_mems;
	bool has_pids_limit;
	int64_t pids_limit; /* 0 = unchanged, -1 = unlimited */
	bool has_blkio_weight;
	uint16_t blkio_weight; /* blockIO.weight, 10..1000; 0 = unchanged */
	/* devices, the rest of blockIO, hugepageLimits, network, rdma, unified: ignored. */
};

struct oci_linux {
	struct oci_namespace *namespaces; /* each type at most once */
	size_t n_namespaces;
	struct oci_id_mapping *uid_mappings;
	size_t n_uid_mappings;
	struct oci_id_mapping *gid_mappings;
	size_t n_gid_mappings;
	char *cgroups_path; /* NULL when absent */
	bool has_resources;
	struct oci_resources resources;
	char **masked_paths; /* NULL-terminated (never NULL) */
	size_t n_masked_paths;
	char **readonly_paths;
	size_t n_readonly_paths;
	struct oci_map sysctl;
	/* seccomp: Docker's profile, applied by the Sentry to every process of
	 * the container (runtime/oci_seccomp.h); NULL when absent. */
	struct oci_seccomp *seccomp;
	/* devices: ignored (the Sentry's devfs has a fixed set). */
};

struct oci_config {
	char *oci_version;
	struct oci_process *process; /* NULL when absent */
	char *root_path;	     /* as written (may be relative to the bundle) */
	bool root_readonly;
	char *hostname; /* NULL when absent */
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_hooks hooks; /* empty lists when absent */
	bool has_linux;
	struct oci_linux linux_cfg; /* zeroed (empty arrays) when "linux" absent */
	struct oci_map annotations;
};

/* Parse config.json text (len bytes, need not be NUL-terminated).  On success
 * *out is a new config; on failure returns -EINVAL (or -ENOMEM), fills err,
 * and *out is untouched. */
int oci_config_parse(const char *json, size_t len, struct oci_config **out, struct verr *err);
/* Read and parse BUNDLE/config.json (at most OCI_CONFIG_MAX bytes). */
int oci_config_load(const char *bundle_dir, struct oci_config **out, struct verr *err);
void oci_config_free(struct oci_config *c);

/* A standalone process.json (`exec --process FILE`): the schema of
 * config.json's "process" object, at the top level. */
int oci_process_parse(const char *json, size_t len, struct oci_process **out, struct verr *err);
int oci_process_load(const char *path, struct oci_process **out, struct verr *err);
void oci_process_free(struct oci_process *p);

/* The namespace entry of that type, or NULL. */
const struct oci_namespace *oci_config_namespace(const struct oci_config *c, enum oci_ns_type type);

/* ---- name tables (shared with `visor features`) ----------------------- */

/* "CAP_SYS_ADMIN" -> 21; -1 if unknown. */
int oci_cap_from_name(const char *name);
/* 21 -> "CAP_SYS_ADMIN"; NULL past the last known capability. */
const char *oci_cap_name(int cap);
/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE; -1 if unknown. */
int oci_rlimit_from_name(const char *name);
/* "pid" -> OCI_NS_PID; -1 if unknown. */
int oci_ns_from_name(const char *name);
const char *oci_ns_name(enum oci_ns_type type);
/* The i-th mount option name visor interprets (flags, propagation,
 * recursive attributes); NULL past the end. */
const char *oci_mount_option_name(size_t i);

#endif
