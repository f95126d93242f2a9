/*
 * oci.c — config.json / process.json -> struct oci_config / oci_process.
 *
 * Owns: the only parser of bundle configuration text.  It is untrusted
 * input (a bundle can come from anywhere), so: the raw text is pre-scanned
 * (no NUL bytes, no \u0000 escapes that would silently cut a C string short,
 * bounded nesting so yajl_tree_free's recursion stays shallow), then parsed
 * with yajl_tree, then walked field by field.  Each field reader knows the
 * JSON path it is at, so the one error a user sees names the field.
 * Never: act on the configuration — see oci.h.
 *
 * Memory: every struct is calloc'ed and attached to its parent before it is
 * filled, so on any error the half-built tree is released by the one free
 * function and nothing leaks.
 */
#include "runtime/oci.h"
#include "runtime/jpath.h"
#include "runtime/oci_seccomp.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/verr.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <yajl/yajl_tree.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef MS_LAZYTIME
#define MS_LAZYTIME (1 << 25)
#endif

/* Deeper nesting than any real config needs; keeps yajl_tree_free (which
 * recurses) from exhausting the stack on "[[[[[[...". */
#define OCI_MAX_DEPTH 64

/* ---- name tables -------------------------------------------------------- */

/* Index = capability number (linux/capability.h), up to CAP_LAST_CAP of 6.x. */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int oci_cap_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (!strcmp(cap_names[i], name))
			return (int)i;
	return -1;
}

const char *oci_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

static const struct {
	const char *name;
	int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

int oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(rlimit_names); i++)
		if (!strcmp(rlimit_names[i].name, name))
			return rlimit_names[i].resource;
	return -1;
}

static const struct {
	const char *name;
	int clone_flag;
} ns_names[OCI_NS_COUNT] = {
    [OCI_NS_PID] = {"pid", CLONE_NEWPID},	   [OCI_NS_NETWORK] = {"network", CLONE_NEWNET},
    [OCI_NS_MOUNT] = {"mount", CLONE_NEWNS},	   [OCI_NS_IPC] = {"ipc", CLONE_NEWIPC},
    [OCI_NS_UTS] = {"uts", CLONE_NEWUTS},	   [OCI_NS_USER] = {"user", CLONE_NEWUSER},
    [OCI_NS_CGROUP] = {"cgroup", CLONE_NEWCGROUP}, [OCI_NS_TIME] = {"time", CLONE_NEWTIME},
};

int oci_ns_from_name(const char *name)
{
	for (int i = 0; i < OCI_NS_COUNT; i++)
		if (!strcmp(ns_names[i].name, name))
			return i;
	return -1;
}

const char *oci_ns_name(enum oci_ns_type type)
{
	if ((int)type < 0 || type >= OCI_NS_COUNT)
		return NULL;
	return ns_names[type].name;
}

/* Mount options, as mount(8) and runc read them.  kind: FLAG_SET/FLAG_CLEAR
 * change flags; PROPAGATION replaces the propagation; REC_SET/REC_CLEAR are
 * runc's recursive attributes (applied with mount_setattr(AT_RECURSIVE)). */
enum mopt_kind { MOPT_SET, MOPT_CLEAR, MOPT_PROPAGATION, MOPT_REC_SET, MOPT_REC_CLEAR };

static const struct {
	const char *name;
	enum mopt_kind kind;
	unsigned long flag;
} mount_opts[] = {
    {"defaults", MOPT_SET, 0},
    {"ro", MOPT_SET, MS_RDONLY},
    {"rw", MOPT_CLEAR, MS_RDONLY},
    {"nosuid", MOPT_SET, MS_NOSUID},
    {"suid", MOPT_CLEAR, MS_NOSUID},
    {"nodev", MOPT_SET, MS_NODEV},
    {"dev", MOPT_CLEAR, MS_NODEV},
    {"noexec", MOPT_SET, MS_NOEXEC},
    {"exec", MOPT_CLEAR, MS_NOEXEC},
    {"sync", MOPT_SET, MS_SYNCHRONOUS},
    {"async", MOPT_CLEAR, MS_SYNCHRONOUS},
    {"dirsync", MOPT_SET, MS_DIRSYNC},
    {"remount", MOPT_SET, MS_REMOUNT},
    {"mand", MOPT_SET, MS_MANDLOCK},
    {"nomand", MOPT_CLEAR, MS_MANDLOCK},
    {"atime", MOPT_CLEAR, MS_NOATIME},
    {"noatime", MOPT_SET, MS_NOATIME},
    {"diratime", MOPT_CLEAR, MS_NODIRATIME},
    {"nodiratime", MOPT_SET, MS_NODIRATIME},
    {"bind", MOPT_SET, MS_BIND},
    {"rbind", MOPT_SET, MS_BIND | MS_REC},
    {"relatime", MOPT_SET, MS_RELATIME},
    {"norelatime", MOPT_CLEAR, MS_RELATIME},
    {"strictatime", MOPT_SET, MS_STRICTATIME},
    {"nostrictatime", MOPT_CLEAR, MS_STRICTATIME},
    {"lazytime", MOPT_SET, MS_LAZYTIME},
    {"nolazytime", MOPT_CLEAR, MS_LAZYTIME},
    {"silent", MOPT_SET, MS_SILENT},
    {"loud", MOPT_CLEAR, MS_SILENT},
    {"iversion", MOPT_SET, MS_I_VERSION},
    {"noiversion", MOPT_CLEAR, MS_I_VERSION},
    {"private", MOPT_PROPAGATION, MS_PRIVATE},
    {"rprivate", MOPT_PROPAGATION, MS_PRIVATE | MS_REC},
    {"shared", MOPT_PROPAGATION, MS_SHARED},
    {"rshared", MOPT_PROPAGATION, MS_SHARED | MS_REC},
    {"slave", MOPT_PROPAGATION, MS_SLAVE},
    {"rslave", MOPT_PROPAGATION, MS_SLAVE | MS_REC},
    {"unbindable", MOPT_PROPAGATION, MS_UNBINDABLE},
    {"runbindable", MOPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
    {"rro", MOPT_REC_SET, MS_RDONLY},
    {"rrw", MOPT_REC_CLEAR, MS_RDONLY},
    {"rnosuid", MOPT_REC_SET, MS_NOSUID},
    {"rsuid", MOPT_REC_CLEAR, MS_NOSUID},
    {"rnodev", MOPT_REC_SET, MS_NODEV},
    {"rdev", MOPT_REC_CLEAR, MS_NODEV},
    {"rnoexec", MOPT_REC_SET, MS_NOEXEC},
    {"rexec", MOPT_REC_CLEAR, MS_NOEXEC},
    {"rnoatime", MOPT_REC_SET, MS_NOATIME},
    {"ratime", MOPT_REC_CLEAR, MS_NOATIME},
    {"rnodiratime", MOPT_REC_SET, MS_NODIRATIME},
    {"rdiratime", MOPT_REC_CLEAR, MS_NODIRATIME},
    {"rrelatime", MOPT_REC_SET, MS_RELATIME},
    {"rnorelatime", MOPT_REC_CLEAR, MS_RELATIME},
    {"rstrictatime", MOPT_REC_SET, MS_STRICTATIME},
    {"rnostrictatime", MOPT_REC_CLEAR, MS_STRICTATIME},
};

const char *oci_mount_option_name(size_t i)
{
	return i < ARRAY_SIZE(mount_opts) ? mount_opts[i].name : NULL;
}

/* ---- string maps -------------------------------------------------------- */

const char *oci_map_get(const struct oci_map *m, const char *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->items[i].key, key))
			return m->items[i].value;
	return NULL;
}

int oci_map_set(struct oci_map *m, const char *key, const char *value)
{
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->n; i++) {
		if (!strcmp(m->items[i].key, key)) {
			free(m->items[i].value);
			m->items[i].value = v;
			return 0;
		}
	}
	char *k = strdup(key);
	struct oci_kv *items = realloc(m->items, (m->n + 1) * sizeof(*items));
	if (!k || !items) {
		free(k);
		free(v);
		if (items)
			m->items = items;
		return -ENOMEM;
	}
	m->items = items;
	m->items[m->n].key = k;
	m->items[m->n].value = v;
	m->n++;
	return 0;
}

void oci_map_free(struct oci_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->items[i].key);
		free(m->items[i].value);
	}
	free(m->items);
	m->items = NULL;
	m->n = 0;
}

/* ---- freeing ------------------------------------------------------------ */

/* String arrays are NULL-terminated and freed to the first NULL, so a
 * partly-filled (calloc'ed) array is released correctly. */
static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static void cap_set_free(struct oci_cap_set *s) { strv_free(s->names); }

void oci_process_free(struct oci_process *p)
{
	if (!p)
		return;
	free(p->user.additional_gids);
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	cap_set_free(&p->caps.bounding);
	cap_set_free(&p->caps.effective);
	cap_set_free(&p->caps.inheritable);
	cap_set_free(&p->caps.permitted);
	cap_set_free(&p->caps.ambient);
	for (size_t i = 0; i < p->n_rlimits; i++)
		free(p->rlimits[i].type_name);
	free(p->rlimits);
	free(p);
}

static void linux_free(struct oci_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	free(l->cgroups_path);
	free(l->resources.cpu_cpus);
	free(l->resources.cpu_mems);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	oci_map_free(&l->sysctl);
	oci_seccomp_free(l->seccomp);
}

static void hook_list_free(struct oci_hook_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		strv_free(l->v[i].args);
		strv_free(l->v[i].env);
	}
	free(l->v);
}

void oci_config_free(struct oci_config *c)
{
	if (!c)
		return;
	free(c->oci_version);
	oci_process_free(c->process);
	free(c->root_path);
	free(c->hostname);
	free(c->domainname);
	for (size_t i = 0; i < c->n_mounts; i++) {
		struct oci_mount *m = &c->mounts[i];
		free(m->destination);
		free(m->type);
		free(m->source);
		strv_free(m->options);
		free(m->data);
	}
	free(c->mounts);
	hook_list_free(&c->hooks.prestart);
	hook_list_free(&c->hooks.create_runtime);
	hook_list_free(&c->hooks.create_container);
	hook_list_free(&c->hooks.start_container);
	hook_list_free(&c->hooks.poststart);
	hook_list_free(&c->hooks.poststop);
	linux_free(&c->linux_cfg);
	oci_map_free(&c->annotations);
	free(c);
}

/* ---- parse context: where we are, and the one error (jpath.h) ---------- */

/* ---- value readers: check one JSON value, report at the current path --- */

typedef int (*val_fn)(struct jpath *c, yajl_val v, void *out);

/* The value of key in object o (the last one, as Go's encoding/json keeps),
 * or NULL when absent or JSON null. */
static yajl_val obj_get(yajl_val o, const char *key)
{
	yajl_val found = NULL;
	for (size_t i = 0; i < o->u.object.len; i++)
		if (!strcmp(o->u.object.keys[i], key))
			found = o->u.object.values[i];
	if (found && YAJL_IS_NULL(found))
		return NULL;
	return found;
}

/* Read key of object obj with fn.  present (optional) says whether it was there. */
static int get_field(struct jpath *c, yajl_val obj, const char *key, bool required, val_fn fn,
		     void *out, bool *present)
{
	size_t mark = jpath_push_key(c, key);
	yajl_val v = obj_get(obj, key);
	int r = 0;
	if (present)
		*present = false;
	if (!v) {
		if (required)
			r = jpath_err(c, "required field is missing");
	} else {
		r = fn(c, v, out);
		if (r == 0 && present)
			*present = true;
	}
	jpath_pop(c, mark);
	return r;
}

static int val_str(struct jpath *c, yajl_val v, void *out)
{
	if (!YAJL_IS_STRING(v))
		return jpath_err(c, "expected a string");
	char *s = strdup(v->u.string);
	if (!s)
		return jpath_enomem(c);
	*(char **)out = s;
	return 0;
}

static int val_bool(struct jpath *c, yajl_val v, void *out)
{
	if (YAJL_IS_TRUE(v))
		*(bool *)out = true;
	else if (YAJL_IS_FALSE(v))
		*(bool *)out = false;
	else
		return jpath_err(c, "expected true or false");
	return 0;
}

/* Integers are read from yajl's raw number text, not its long long, so the
 * full uint64 range (RLIM_INFINITY) works and "1.0" / "1e3" are refused as
 * Go refuses them for integer fields. */
static bool raw_integer(yajl_val v, bool *negative, const char **digits)
{
	if (!YAJL_IS_NUMBER(v) || !v->u.number.r)
		return false;
	const char *s = v->u.number.r;
	*negative = *s == '-';
	if (*negative)
		s++;
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	*digits = s;
	return true;
}

static bool read_u64(yajl_val v, uint64_t *out)
{
	bool neg;
	const char *d;
	if (!raw_integer(v, &neg, &d))
		return false;
	errno = 0;
	unsigned long long x = strtoull(d, NULL, 10);
	if (errno)
		return false;
	if (neg && x != 0)
		return false;
	*out = x;
	return true;
}

static bool read_i64(yajl_val v, int64_t *out)
{
	bool neg;
	const char *d;
	if (!raw_integer(v, &neg, &d))
		return false;
	errno = 0;
	long long x = strtoll(v->u.number.r, NULL, 10);
	if (errno)
		return false;
	*out = x;
	return true;
}

static int val_u32(struct jpath *c, yajl_val v, void *out)
{
	uint64_t x;
	if (!read_u64(v, &x) || x > UINT32_MAX)
		return jpath_err(c, "expected an unsigned 32-bit integer");
	*(uint32_t *)out = (uint32_t)x;
	return 0;
}

static int val_u64(struct jpath *c, yajl_val v, void *out)
{
	if (!read_u64(v, out))
		return jpath_err(c, "expected an unsigned 64-bit integer");
	return 0;
}

static int val_i64(struct jpath *c, yajl_val v, void *out)
{
	if (!read_i64(v, out))
		return jpath_err(c, "expected a signed 64-bit integer");
	return 0;
}

static int val_oom_score_adj(struct jpath *c, yajl_val v, void *out)
{
	int64_t x;
	/* The kernel's OOM_SCORE_ADJ_MIN..MAX; anything else fails at write. */
	if (!read_i64(v, &x) || x < -1000 || x > 1000)
		return jpath_err(c, "expected an integer between -1000 and 1000");
	*(int *)out = (int)x;
	return 0;
}

static int expect_object(struct jpath *c, yajl_val v)
{
	return YAJL_IS_OBJECT(v) ? 0 : jpath_err(c, "expected an object");
}

static int expect_array(struct jpath *c, yajl_val v)
{
	return YAJL_IS_ARRAY(v) ? 0 : jpath_err(c, "expected an array");
}

/* A string array -> NULL-terminated char ** and its count. */
struct strv_out {
	char ***v;
	size_t *n;
};

static int val_strv(struct jpath *c, yajl_val v, void *out)
{
	struct strv_out *o = out;
	int r = expect_array(c, v);
	if (r)
		return r;
	size_t len = v->u.array.len;
	char **arr = calloc(len + 1, sizeof(*arr));
	if (!arr)
		return jpath_enomem(c);
	*o->v = arr;
	*o->n = len;
	for (size_t i = 0; i < len; i++) {
		size_t mark = jpath_push_index(c, i);
		r = val_str(c, v->u.array.values[i], &arr[i]);
		jpath_pop(c, mark);
		if (r)
			return r;
	}
	return 0;
}

static int get_strv(struct jpath *c, yajl_val obj, const char *key, bool required, char ***v,
		    size_t *n)
{
	struct strv_out o = {v, n};
	return get_field(c, obj, key, required, val_strv, &o, NULL);
}

/* Absent optional string arrays become empty ones, so users never test NULL. */
static int strv_ensure(struct jpath *c, char ***v)
{
	if (!*v && !(*v = calloc(1, sizeof(char *))))
		return jpath_enomem(c);
	return 0;
}

static int val_map(struct jpath *c, yajl_val v, void *out)
{
	struct oci_map *m = out;
	int r = expect_object(c, v);
	if (r)
		return r;
	for (size_t i = 0; i < v->u.object.len; i++) {
		yajl_val x = v->u.object.values[i];
		const char *key = v->u.object.keys[i];
		size_t mark = jpath_push_key(c, key);
		if (!YAJL_IS_STRING(x))
			r = jpath_err(c, "expected a string");
		else if (oci_map_set(m, key, x->u.string) < 0)
			r = jpath_enomem(c);
		jpath_pop(c, mark);
		if (r)
			return r;
	}
	return 0;
}

/* ---- process ------------------------------------------------------------ */

struct u32v_out {
	uint32_t **v;
	size_t *n;
};

static int val_u32v(struct jpath *c, yajl_val v, void *out)
{
	struct u32v_out *o = out;
	int r = expect_array(c, v);
	if (r)
		return r;
	size_t len = v->u.array.len;
	uint32_t *arr = calloc(len ? len : 1, sizeof(*arr));
	if (!arr)
		return jpath_enomem(c);
	*o->v = arr;
	*o->n = len;
	for (size_t i = 0; i < len; i++) {
		size_t mark = jpath_push_index(c, i);
		r = val_u32(c, v->u.array.values[i], &arr[i]);
		jpath_pop(c, mark);
		if (r)
			return r;
	}
	return 0;
}

static int val_user(struct jpath *c, yajl_val v, void *out)
{
	struct oci_user *u = out;
	int r = expect_object(c, v);
	struct u32v_out gids = {&u->additional_gids, &u->n_additional_gids};
	/* uid/gid are REQUIRED by the spec, but runc (Go zero values) runs a
	 * config without them as 0:0; so do we. */
	if (!r)
		r = get_field(c, v, "uid", false, val_u32, &u->uid, NULL);
	if (!r)
		r = get_field(c, v, "gid", false, val_u32, &u->gid, NULL);
	if (!r)
		r = get_field(c, v, "umask", false, val_u32, &u->umask, &u->has_umask);
	if (!r)
		r = get_field(c, v, "additionalGids", false, val_u32v, &gids, NULL);
	return r;
}

static int val_console_size(struct jpath *c, yajl_val v, void *out)
{
	struct oci_process *p = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "height", true, val_u32, &p->console_height, NULL);
	if (!r)
		r = get_field(c, v, "width", true, val_u32, &p->console_width, NULL);
	return r;
}

static int val_cap_set(struct jpath *c, yajl_val v, void *out)
{
	struct oci_cap_set *s = out;
	struct strv_out o = {&s->names, &s->n};
	int r = val_strv(c, v, &o);
	if (r)
		return r;
	for (size_t i = 0; i < s->n; i++) {
		int cap = oci_cap_from_name(s->names[i]);
		if (cap < 0) {
			size_t mark = jpath_push_index(c, i);
			r = jpath_err(c, "unknown capability \"%s\"", s->names[i]);
			jpath_pop(c, mark);
			return r;
		}
		s->mask |= UINT64_C(1) << cap;
	}
	return 0;
}

static int val_capabilities(struct jpath *c, yajl_val v, void *out)
{
	struct oci_capabilities *caps = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "bounding", false, val_cap_set, &caps->bounding, NULL);
	if (!r)
		r = get_field(c, v, "effective", false, val_cap_set, &caps->effective, NULL);
	if (!r)
		r = get_field(c, v, "inheritable", false, val_cap_set, &caps->inheritable, NULL);
	if (!r)
		r = get_field(c, v, "permitted", false, val_cap_set, &caps->permitted, NULL);
	if (!r)
		r = get_field(c, v, "ambient", false, val_cap_set, &caps->ambient, NULL);
	return r;
}

static int val_rlimit_type(struct jpath *c, yajl_val v, void *out)
{
	struct oci_rlimit *rl = out;
	int r = val_str(c, v, &rl->type_name);
	if (r)
		return r;
	rl->resource = oci_rlimit_from_name(rl->type_name);
	if (rl->resource < 0)
		return jpath_err(c, "unknown rlimit type \"%s\"", rl->type_name);
	return 0;
}

static int val_rlimits(struct jpath *c, yajl_val v, void *out)
{
	struct oci_process *p = out;
	int r = expect_array(c, v);
	if (r)
		return r;
	size_t len = v->u.array.len;
	p->rlimits = calloc(len ? len : 1, sizeof(*p->rlimits));
	if (!p->rlimits)
		return jpath_enomem(c);
	p->n_rlimits = len;
	for (size_t i = 0; i < len && !r; i++) {
		struct oci_rlimit *rl = &p->rlimits[i];
		yajl_val e = v->u.array.values[i];
		size_t mark = jpath_push_index(c, i);
		r = expect_object(c, e);
		if (!r)
			r = get_field(c, e, "type", true, val_rlimit_type, rl, NULL);
		if (!r)
			r = get_field(c, e, "soft", true, val_u64, &rl->soft, NULL);
		if (!r)
			r = get_field(c, e, "hard", true, val_u64, &rl->hard, NULL);
		/* setrlimit(2) refuses soft > hard with EINVAL; say so now. */
		if (!r && rl->soft > rl->hard)
			r = jpath_err(c, "soft limit %" PRIu64 " exceeds hard limit %" PRIu64, rl->soft,
				 rl->hard);
		for (size_t j = 0; j < i && !r; j++)
			if (p->rlimits[j].resource == rl->resource)
				r = jpath_err(c, "duplicate rlimit type \"%s\"", rl->type_name);
		jpath_pop(c, mark);
	}
	return r;
}

static int val_cwd(struct jpath *c, yajl_val v, void *out)
{
	int r = val_str(c, v, out);
	if (!r && (*(char **)out)[0] != '/')
		r = jpath_err(c, "must be an absolute path");
	return r;
}

/* The fields of a process object (config.json "process" or a process.json). */
static int parse_process_fields(struct jpath *c, yajl_val v, struct oci_process *p)
{
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "terminal", false, val_bool, &p->terminal, NULL);
	if (!r)
		r = get_field(c, v, "consoleSize", false, val_console_size, p,
			      &p->has_console_size);
	if (!r)
		r = get_field(c, v, "user", false, val_user, &p->user, NULL);
	if (!r)
		r = get_strv(c, v, "args", true, &p->args, &p->n_args);
	if (!r && p->n_args == 0) {
		size_t mark = jpath_push_key(c, "args");
		r = jpath_err(c, "must name at least the program to run");
		jpath_pop(c, mark);
	}
	if (!r)
		r = get_strv(c, v, "env", false, &p->env, &p->n_env);
	if (!r)
		r = strv_ensure(c, &p->env);
	/* cwd is REQUIRED by the spec and runc refuses a relative one. */
	if (!r)
		r = get_field(c, v, "cwd", true, val_cwd, &p->cwd, NULL);
	if (!r)
		r = get_field(c, v, "capabilities", false, val_capabilities, &p->caps,
			      &p->has_capabilities);
	if (!r)
		r = get_field(c, v, "rlimits", false, val_rlimits, p, NULL);
	if (!r)
		r = get_field(c, v, "noNewPrivileges", false, val_bool, &p->no_new_privileges,
			      NULL);
	if (!r)
		r = get_field(c, v, "oomScoreAdj", false, val_oom_score_adj, &p->oom_score_adj,
			      &p->has_oom_score_adj);
	/* apparmorProfile, selinuxLabel: no LSM applies inside the Sentry. */
	return r;
}

static int val_process(struct jpath *c, yajl_val v, void *out)
{
	struct oci_process **pp = out;
	*pp = calloc(1, sizeof(**pp));
	if (!*pp)
		return jpath_enomem(c);
	return parse_process_fields(c, v, *pp);
}

/* ---- root, mounts ------------------------------------------------------- */

static int val_nonempty_str(struct jpath *c, yajl_val v, void *out)
{
	int r = val_str(c, v, out);
	if (!r && !(*(char **)out)[0])
		r = jpath_err(c, "must not be empty");
	return r;
}

static int val_root(struct jpath *c, yajl_val v, void *out)
{
	struct oci_config *cfg = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "path", true, val_nonempty_str, &cfg->root_path, NULL);
	if (!r)
		r = get_field(c, v, "readonly", false, val_bool, &cfg->root_readonly, NULL);
	return r;
}

/* Interpret m->options into flags, propagation and leftover data. */
static int mount_interpret_options(struct jpath *c, struct oci_mount *m)
{
	size_t cap = 1;
	for (size_t i = 0; i < m->n_options; i++)
		cap += strlen(m->options[i]) + 1;
	m->data = malloc(cap);
	if (!m->data)
		return jpath_enomem(c);
	size_t dlen = 0;
	m->data[0] = 0;
	for (size_t i = 0; i < m->n_options; i++) {
		const char *o = m->options[i];
		size_t k = 0;
		while (k < ARRAY_SIZE(mount_opts) && strcmp(mount_opts[k].name, o))
			k++;
		if (k == ARRAY_SIZE(mount_opts)) {
			/* Not a flag: a file-system option for the data argument. */
			if (!*o)
				continue;
			if (dlen)
				m->data[dlen++] = ',';
			size_t ol = strlen(o);
			memcpy(m->data + dlen, o, ol + 1);
			dlen += ol;
			continue;
		}
		unsigned long f = mount_opts[k].flag;
		switch (mount_opts[k].kind) {
		case MOPT_SET:
			m->flags |= f;
			m->clear_flags &= ~f;
			break;
		case MOPT_CLEAR:
			m->flags &= ~f;
			m->clear_flags |= f;
			break;
		case MOPT_PROPAGATION:
			m->propagation = f;
			break;
		case MOPT_REC_SET:
			m->rec_set |= f;
			m->rec_clear &= ~f;
			break;
		case MOPT_REC_CLEAR:
			m->rec_clear |= f;
			m->rec_set &= ~f;
			break;
		}
	}
	return 0;
}

static int val_mounts(struct jpath *c, yajl_val v, void *out)
{
	struct oci_config *cfg = out;
	int r = expect_array(c, v);
	if (r)
		return r;
	size_t len = v->u.array.len;
	cfg->mounts = calloc(len ? len : 1, sizeof(*cfg->mounts));
	if (!cfg->mounts)
		return jpath_enomem(c);
	cfg->n_mounts = len;
	for (size_t i = 0; i < len && !r; i++) {
		struct oci_mount *m = &cfg->mounts[i];
		yajl_val e = v->u.array.values[i];
		size_t mark = jpath_push_index(c, i);
		r = expect_object(c, e);
		/* Linux: destination SHOULD be absolute; a relative one is taken
		 * relative to "/" (runtime-spec 1.1), so only empty is refused. */
		if (!r)
			r = get_field(c, e, "destination", true, val_nonempty_str, &m->destination,
				      NULL);
		if (!r)
			r = get_field(c, e, "type", false, val_str, &m->type, NULL);
		if (!r)
			r = get_field(c, e, "source", false, val_str, &m->source, NULL);
		if (!r)
			r = get_strv(c, e, "options", false, &m->options, &m->n_options);
		if (!r)
			r = strv_ensure(c, &m->options);
		if (!r)
			r = mount_interpret_options(c, m);
		jpath_pop(c, mark);
	}
	return r;
}

/* ---- hooks -------------------------------------------------------------- */

static int val_abs_path(struct jpath *c, yajl_val v, void *out)
{
	int r = val_str(c, v, out);
	if (!r && (*(char **)out)[0] != '/')
		r = jpath_err(c, "must be an absolute path");
	return r;
}

static int val_hook_timeout(struct jpath *c, yajl_val v, void *out)
{
	int64_t x;
	/* runtime-spec: timeout MUST be greater than zero */
	if (!read_i64(v, &x) || x <= 0 || x > INT_MAX)
		return jpath_err(c, "expected a positive number of seconds");
	*(int *)out = (int)x;
	return 0;
}

static int val_hook_list(struct jpath *c, yajl_val v, void *out)
{
	struct oci_hook_list *l = out;
	int r = expect_array(c, v);
	if (r)
		return r;
	size_t len = v->u.array.len;
	l->v = calloc(len ? len : 1, sizeof(*l->v));
	if (!l->v)
		return jpath_enomem(c);
	l->n = len;
	for (size_t i = 0; i < len && !r; i++) {
		struct oci_hook *h = &l->v[i];
		yajl_val e = v->u.array.values[i];
		size_t mark = jpath_push_index(c, i);
		r = expect_object(c, e);
		if (!r)
			r = get_field(c, e, "path", true, val_abs_path, &h->path, NULL);
		if (!r)
			r = get_strv(c, e, "args", false, &h->args, &h->n_args);
		if (!r)
			r = strv_ensure(c, &h->args);
		if (!r)
			r = get_strv(c, e, "env", false, &h->env, &h->n_env);
		if (!r)
			r = strv_ensure(c, &h->env);
		if (!r)
			r = get_field(c, e, "timeout", false, val_hook_timeout, &h->timeout,
				      &h->has_timeout);
		jpath_pop(c, mark);
	}
	return r;
}

static int val_hooks(struct jpath *c, yajl_val v, void *out)
{
	struct oci_hooks *h = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "prestart", false, val_hook_list, &h->prestart, NULL);
	if (!r)
		r = get_field(c, v, "createRuntime", false, val_hook_list, &h->create_runtime,
			      NULL);
	if (!r)
		r = get_field(c, v, "createContainer", false, val_hook_list, &h->create_container,
			      NULL);
	if (!r)
		r = get_field(c, v, "startContainer", false, val_hook_list, &h->start_container,
			      NULL);
	if (!r)
		r = get_field(c, v, "poststart", false, val_hook_list, &h->poststart, NULL);
	if (!r)
		r = get_field(c, v, "poststop", false, val_hook_list, &h->poststop, NULL);
	return r;
}

/* ---- linux -------------------------------------------------------------- */

static int val_ns_type(struct jpath *c, yajl_val v, void *out)
{
	if (!YAJL_IS_STRING(v))
		return jpath_err(c, "expected a string");
	int t = oci_ns_from_name(v->u.string);
	if (t < 0)
		return jpath_err(c, "unknown namespace type \"%s\"", v->u.string);
	*(enum oci_ns_type *)out = (enum oci_ns_type)t;
	return 0;
}

static int val_namespaces(struct jpath *c, yajl_val v, void *out)
{
	struct oci_linux *l = out;
	int r = expect_array(c, v);
	if (r)
		return r;
	size_t len = v->u.array.len;
	l->namespaces = calloc(len ? len : 1, sizeof(*l->namespaces));
	if (!l->namespaces)
		return jpath_enomem(c);
	l->n_namespaces = len;
	for (size_t i = 0; i < len && !r; i++) {
		struct oci_namespace *ns = &l->namespaces[i];
		yajl_val e = v->u.array.values[i];
		size_t mark = jpath_push_index(c, i);
		r = expect_object(c, e);
		if (!r)
			r = get_field(c, e, "type", true, val_ns_type, &ns->type, NULL);
		if (!r)
			ns->clone_flag = ns_names[ns->type].clone_flag;
		if (!r)
			r = get_field(c, e, "path", false, val_abs_path, &ns->path, NULL);
		/* runtime-spec: a type given twice MUST be an error. */
		for (size_t j = 0; j < i && !r; j++)
			if (l->namespaces[j].type == ns->type)
				r = jpath_err(c, "duplicate namespace type \"%s\"",
					 ns_names[ns->type].name);
		jpath_pop(c, mark);
	}
	return r;
}

struct idmap_out {
	struct oci_id_mapping **v;
	size_t *n;
};

static int val_id_mappings(struct jpath *c, yajl_val v, void *out)
{
	struct idmap_out *o = out;
	int r = expect_array(c, v);
	if (r)
		return r;
	size_t len = v->u.array.len;
	*o->v = calloc(len ? len : 1, sizeof(**o->v));
	if (!*o->v)
		return jpath_enomem(c);
	*o->n = len;
	for (size_t i = 0; i < len && !r; i++) {
		struct oci_id_mapping *m = &(*o->v)[i];
		yajl_val e = v->u.array.values[i];
		size_t mark = jpath_push_index(c, i);
		r = expect_object(c, e);
		if (!r)
			r = get_field(c, e, "containerID", true, val_u32, &m->container_id, NULL);
		if (!r)
			r = get_field(c, e, "hostID", true, val_u32, &m->host_id, NULL);
		if (!r)
			r = get_field(c, e, "size", true, val_u32, &m->size, NULL);
		jpath_pop(c, mark);
	}
	return r;
}

static int val_memory(struct jpath *c, yajl_val v, void *out)
{
	struct oci_resources *res = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "limit", false, val_i64, &res->memory_limit,
			      &res->has_memory_limit);
	if (!r)
		r = get_field(c, v, "reservation", false, val_i64, &res->memory_reservation,
			      &res->has_memory_reservation);
	if (!r)
		r = get_field(c, v, "swap", false, val_i64, &res->memory_swap,
			      &res->has_memory_swap);
	return r;
}

static int val_cpu(struct jpath *c, yajl_val v, void *out)
{
	struct oci_resources *res = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "shares", false, val_u64, &res->cpu_shares,
			      &res->has_cpu_shares);
	if (!r)
		r = get_field(c, v, "quota", false, val_i64, &res->cpu_quota, &res->has_cpu_quota);
	if (!r)
		r = get_field(c, v, "period", false, val_u64, &res->cpu_period,
			      &res->has_cpu_period);
	if (!r)
		r = get_field(c, v, "cpus", false, val_str, &res->cpu_cpus, NULL);
	if (!r)
		r = get_field(c, v, "mems", false, val_str, &res->cpu_mems, NULL);
	return r;
}

static int val_pids(struct jpath *c, yajl_val v, void *out)
{
	struct oci_resources *res = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "limit", false, val_i64, &res->pids_limit,
			      &res->has_pids_limit);
	return r;
}

static int val_blkio_weight(struct jpath *c, yajl_val v, void *out)
{
	uint32_t w = 0;
	int r = val_u32(c, v, &w);
	if (r)
		return r;
	/* As the kernel's blkio.weight: 10..1000 (0: not set). */
	if (w != 0 && (w < 10 || w > 1000))
		return jpath_err(c, "weight %u is not in 10..1000", w);
	*(uint16_t *)out = (uint16_t)w;
	return 0;
}

static int val_block_io(struct jpath *c, yajl_val v, void *out)
{
	struct oci_resources *res = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "weight", false, val_blkio_weight, &res->blkio_weight,
			      &res->has_blkio_weight);
	return r;
}

static int val_resources(struct jpath *c, yajl_val v, void *out)
{
	struct oci_resources *res = out;
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "blockIO", false, val_block_io, res, NULL);
	if (!r)
		r = get_field(c, v, "memory", false, val_memory, res, NULL);
	if (!r)
		r = get_field(c, v, "cpu", false, val_cpu, res, NULL);
	if (!r)
		r = get_field(c, v, "pids", false, val_pids, res, NULL);
	return r;
}

static int val_linux(struct jpath *c, yajl_val v, void *out)
{
	struct oci_linux *l = out;
	struct idmap_out uid = {&l->uid_mappings, &l->n_uid_mappings};
	struct idmap_out gid = {&l->gid_mappings, &l->n_gid_mappings};
	int r = expect_object(c, v);
	if (!r)
		r = get_field(c, v, "namespaces", false, val_namespaces, l, NULL);
	if (!r)
		r = get_field(c, v, "uidMappings", false, val_id_mappings, &uid, NULL);
	if (!r)
		r = get_field(c, v, "gidMappings", false, val_id_mappings, &gid, NULL);
	if (!r)
		r = get_field(c, v, "cgroupsPath", false, val_str, &l->cgroups_path, NULL);
	if (!r)
		r = get_field(c, v, "resources", false, val_resources, &l->resources,
			      &l->has_resources);
	if (!r)
		r = get_strv(c, v, "maskedPaths", false, &l->masked_paths, &l->n_masked_paths);
	if (!r)
		r = get_strv(c, v, "readonlyPaths", false, &l->readonly_paths,
			     &l->n_readonly_paths);
	if (!r)
		r = get_field(c, v, "sysctl", false, val_map, &l->sysctl, NULL);
	if (!r) {
		yajl_val sv = obj_get(v, "seccomp");
		if (sv)
			r = oci_seccomp_parse(c->file, sv, &l->seccomp, c->err);
	}
	/* devices: ignored (see oci.h). */
	return r;
}

/* ---- top level ---------------------------------------------------------- */

/* Refuse what yajl_tree would accept but we must not: NUL bytes (yajl_tree
 * reads a C string and would stop early), \u0000 inside strings (would cut
 * an arg or path short without a word), and deep nesting. */
static int json_prescan(struct jpath *c, const char *s, size_t len)
{
	const char *nul = memchr(s, 0, len);
	if (nul)
		return jpath_err(c, "malformed JSON: NUL byte at offset %zu", (size_t)(nul - s));
	bool in_str = false;
	int depth = 0;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\') {
				if (i + 5 < len && s[i + 1] == 'u' && !memcmp(s + i + 2, "0000", 4))
					return jpath_err(c, "string contains \\u0000 at offset %zu", i);
				i++; /* skip the escaped character */
			} else if (ch == '"') {
				in_str = false;
			}
		} else if (ch == '"') {
			in_str = true;
		} else if (ch == '[' || ch == '{') {
			if (++depth > OCI_MAX_DEPTH)
				return jpath_err(c, "malformed JSON: nested deeper than %d levels",
					    OCI_MAX_DEPTH);
		} else if (ch == ']' || ch == '}') {
			depth--;
		}
	}
	return 0;
}

static int json_load(struct jpath *c, const char *json, size_t len, yajl_val *out)
{
	int r = json_prescan(c, json, len);
	if (r)
		return r;
	_cleanup_free_ char *buf = malloc(len + 1);
	if (!buf)
		return jpath_enomem(c);
	memcpy(buf, json, len);
	buf[len] = 0;
	char ebuf[256] = "";
	yajl_val root = yajl_tree_parse(buf, ebuf, sizeof(ebuf));
	if (!root) {
		/* yajl's message spans lines (with a caret picture); keep the first. */
		ebuf[strcspn(ebuf, "\n")] = 0;
		return jpath_err(c, "malformed JSON: %s", ebuf[0] ? ebuf : "parse error");
	}
	if (!YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		return jpath_err(c, "expected a JSON object at the top level");
	}
	*out = root;
	return 0;
}

static int parse_config(struct jpath *c, yajl_val v, struct oci_config *cfg)
{
	int r = get_field(c, v, "ociVersion", true, val_nonempty_str, &cfg->oci_version, NULL);
	if (!r)
		r = get_field(c, v, "process", false, val_process, &cfg->process, NULL);
	/* root is OPTIONAL only on Windows/VM platforms; on Linux it is required. */
	if (!r)
		r = get_field(c, v, "root", true, val_root, cfg, NULL);
	if (!r)
		r = get_field(c, v, "hostname", false, val_str, &cfg->hostname, NULL);
	if (!r)
		r = get_field(c, v, "domainname", false, val_str, &cfg->domainname, NULL);
	if (!r)
		r = get_field(c, v, "mounts", false, val_mounts, cfg, NULL);
	if (!r)
		r = get_field(c, v, "hooks", false, val_hooks, &cfg->hooks, NULL);
	if (!r)
		r = get_field(c, v, "linux", false, val_linux, &cfg->linux_cfg, &cfg->has_linux);
	if (!r)
		r = strv_ensure(c, &cfg->linux_cfg.masked_paths);
	if (!r)
		r = strv_ensure(c, &cfg->linux_cfg.readonly_paths);
	if (!r)
		r = get_field(c, v, "annotations", false, val_map, &cfg->annotations, NULL);
	return r;
}

int oci_config_parse(const char *json, size_t len, struct oci_config **out, struct verr *err)
{
	struct jpath c = {.err = err, .file = "config.json"};
	yajl_val root = NULL;
	int r = json_load(&c, json, len, &root);
	if (r)
		return r;
	struct oci_config *cfg = calloc(1, sizeof(*cfg));
	if (!cfg) {
		yajl_tree_free(root);
		return jpath_enomem(&c);
	}
	r = parse_config(&c, root, cfg);
	yajl_tree_free(root);
	if (r) {
		oci_config_free(cfg);
		return r;
	}
	*out = cfg;
	return 0;
}

int oci_process_parse(const char *json, size_t len, struct oci_process **out, struct verr *err)
{
	struct jpath c = {.err = err, .file = "process.json"};
	yajl_val root = NULL;
	int r = json_load(&c, json, len, &root);
	if (r)
		return r;
	struct oci_process *p = calloc(1, sizeof(*p));
	if (!p) {
		yajl_tree_free(root);
		return jpath_enomem(&c);
	}
	r = parse_process_fields(&c, root, p);
	yajl_tree_free(root);
	if (r) {
		oci_process_free(p);
		return r;
	}
	*out = p;
	return 0;
}

static int load_text(const char *path, char **buf, size_t *len, struct verr *err)
{
	int r = read_file(path, OCI_CONFIG_MAX, buf, len);
	if (r == -EFBIG)
		return verr_set(err, EFBIG, "%s: larger than %u bytes", path, OCI_CONFIG_MAX);
	if (r < 0)
		return verr_errno(err, -r, "cannot read %s", path);
	return 0;
}

int oci_config_load(const char *bundle_dir, struct oci_config **out, struct verr *err)
{
	char path[PATH_MAX];
	if (snprintf(path, sizeof(path), "%s/config.json", bundle_dir) >= (int)sizeof(path))
		return verr_set(err, ENAMETOOLONG, "bundle path too long: %s", bundle_dir);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = load_text(path, &buf, &len, err);
	if (r)
		return r;
	return oci_config_parse(buf, len, out, err);
}

int oci_process_load(const char *path, struct oci_process **out, struct verr *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = load_text(path, &buf, &len, err);
	if (r)
		return r;
	return oci_process_parse(buf, len, out, err);
}

const struct oci_namespace *oci_config_namespace(const struct oci_config *c, enum oci_ns_type type)
{
	for (size_t i = 0; i < c->linux_cfg.n_namespaces; i++)
		if (c->linux_cfg.namespaces[i].type == type)
			return &c->linux_cfg.namespaces[i];
	return NULL;
}
