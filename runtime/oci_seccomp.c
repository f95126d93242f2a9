/*
 * oci_seccomp.c — linux.seccomp: parsing (untrusted text, every field
 * checked, errors name the JSON path) and translation to classic BPF with
 * libseccomp.  See oci_seccomp.h for the rules, which are runc's.
 */
#include "runtime/oci_seccomp.h"
#include "runtime/jpath.h"
#include "lib/cleanup.h"
#include "lib/verr.h"

#include <ctype.h>
#include <errno.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

/* As Linux's BPF_MAXINSNS: the longest program seccomp(2) accepts. */
#define OCI_SECCOMP_MAX_INSNS 4096

static const struct {
	const char *name;
	enum oci_seccomp_action action;
} action_names[] = {
    {"SCMP_ACT_KILL", OCI_SCMP_KILL},	      {"SCMP_ACT_KILL_PROCESS", OCI_SCMP_KILL_PROCESS},
    {"SCMP_ACT_KILL_THREAD", OCI_SCMP_KILL_THREAD}, {"SCMP_ACT_TRAP", OCI_SCMP_TRAP},
    {"SCMP_ACT_ERRNO", OCI_SCMP_ERRNO},	      {"SCMP_ACT_TRACE", OCI_SCMP_TRACE},
    {"SCMP_ACT_ALLOW", OCI_SCMP_ALLOW},	      {"SCMP_ACT_LOG", OCI_SCMP_LOG},
};

static const struct {
	const char *name;
	enum oci_seccomp_op op;
} op_names[] = {
    {"SCMP_CMP_NE", OCI_SCMP_CMP_NE}, {"SCMP_CMP_LT", OCI_SCMP_CMP_LT},
    {"SCMP_CMP_LE", OCI_SCMP_CMP_LE}, {"SCMP_CMP_EQ", OCI_SCMP_CMP_EQ},
    {"SCMP_CMP_GE", OCI_SCMP_CMP_GE}, {"SCMP_CMP_GT", OCI_SCMP_CMP_GT},
    {"SCMP_CMP_MASKED_EQ", OCI_SCMP_CMP_MASKED_EQ},
};

static const struct {
	const char *name;
	unsigned int flag;
} flag_names[] = {
    {"SECCOMP_FILTER_FLAG_TSYNC", OCI_SCMP_FLAG_TSYNC},
    {"SECCOMP_FILTER_FLAG_LOG", OCI_SCMP_FLAG_LOG},
    {"SECCOMP_FILTER_FLAG_SPEC_ALLOW", OCI_SCMP_FLAG_SPEC_ALLOW},
    {"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", OCI_SCMP_FLAG_WAIT_KILLABLE_RECV},
};

/* ---- freeing ------------------------------------------------------------ */

static void strv_free(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

void oci_seccomp_free(struct oci_seccomp *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_syscalls; i++) {
		strv_free(s->syscalls[i].names);
		free(s->syscalls[i].args);
	}
	free(s->syscalls);
	free(s->arches);
	free(s);
}

/* The value of key in object o (the last one, as Go's encoding/json keeps),
 * or NULL when absent or JSON null. */
static yajl_val get(yajl_val o, const char *key)
{
	yajl_val found = NULL;
	for (size_t i = 0; i < o->u.object.len; i++)
		if (!strcmp(o->u.object.keys[i], key))
			found = o->u.object.values[i];
	return found && YAJL_IS_NULL(found) ? NULL : found;
}

/* An unsigned integer from yajl's raw text (so the whole uint64 range
 * works and "1.0" is refused, as Go refuses it). */
static bool read_u64(yajl_val v, uint64_t *out)
{
	if (!YAJL_IS_NUMBER(v) || !v->u.number.r)
		return false;
	const char *s = v->u.number.r;
	bool neg = *s == '-';
	if (neg)
		s++;
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	errno = 0;
	unsigned long long x = strtoull(s, NULL, 10);
	if (errno || (neg && x))
		return false;
	*out = x;
	return true;
}

static int get_u64(struct jpath *c, yajl_val o, const char *key, bool required, uint64_t max,
		   uint64_t *out, bool *present)
{
	size_t mark = jpath_push(c, ".%s", key);
	yajl_val v = get(o, key);
	int r = 0;
	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			r = jpath_err(c, "required field is missing");
	} else if (!read_u64(v, out) || *out > max) {
		r = jpath_err(c, "expected an unsigned integer at most %llu", (unsigned long long)max);
	}
	jpath_pop(c, mark);
	return r;
}

static int get_action(struct jpath *c, yajl_val o, const char *key, enum oci_seccomp_action *out)
{
	size_t mark = jpath_push(c, ".%s", key);
	yajl_val v = get(o, key);
	int r = 0;
	if (!v) {
		r = jpath_err(c, "required field is missing");
	} else if (!YAJL_IS_STRING(v)) {
		r = jpath_err(c, "expected a string");
	} else if (!strcmp(v->u.string, "SCMP_ACT_NOTIFY")) {
		r = jpath_err(c, "SCMP_ACT_NOTIFY is not supported (no seccomp listener in visor)");
	} else {
		r = jpath_err(c, "unknown action \"%s\"", v->u.string);
		for (size_t i = 0; i < ARRAY_SIZE(action_names); i++) {
			if (!strcmp(action_names[i].name, v->u.string)) {
				*out = action_names[i].action;
				r = 0;
				break;
			}
		}
	}
	jpath_pop(c, mark);
	return r;
}

/* An array of strings: each passed to fn(c, string, i, arg); "" and
 * non-strings are refused. */
typedef int (*str_fn)(struct jpath *c, const char *s, size_t i, void *arg);

static int get_str_array(struct jpath *c, yajl_val o, const char *key, bool required, str_fn fn,
			 void *arg, size_t *n)
{
	size_t mark = jpath_push(c, ".%s", key);
	yajl_val v = get(o, key);
	int r = 0;
	*n = 0;
	if (!v) {
		if (required)
			r = jpath_err(c, "required field is missing");
	} else if (!YAJL_IS_ARRAY(v)) {
		r = jpath_err(c, "expected an array of strings");
	} else {
		*n = v->u.array.len;
		for (size_t i = 0; !r && i < v->u.array.len; i++) {
			size_t m2 = jpath_push(c, "[%zu]", i);
			yajl_val s = v->u.array.values[i];
			if (!YAJL_IS_STRING(s) || !s->u.string[0])
				r = jpath_err(c, "expected a non-empty string");
			else
				r = fn(c, s->u.string, i, arg);
			jpath_pop(c, m2);
		}
	}
	jpath_pop(c, mark);
	return r;
}

static int arch_fn(struct jpath *c, const char *s, size_t i, void *arg)
{
	struct oci_seccomp *p = arg;
	/* "SCMP_ARCH_X86_64" -> libseccomp's "x86_64". */
	char low[64];
	if (strncmp(s, "SCMP_ARCH_", 10) || strlen(s + 10) >= sizeof(low))
		return jpath_err(c, "unknown architecture \"%s\"", s);
	size_t k = 0;
	for (const char *q = s + 10; *q; q++)
		low[k++] = (char)tolower((unsigned char)*q);
	low[k] = 0;
	uint32_t tok = seccomp_arch_resolve_name(low);
	if (!tok)
		return jpath_err(c, "unknown architecture \"%s\"", s);
	p->arches[i] = tok;
	p->n_arches = i + 1;
	return 0;
}

static int flag_fn(struct jpath *c, const char *s, size_t i, void *arg)
{
	struct oci_seccomp *p = arg;
	for (size_t k = 0; k < ARRAY_SIZE(flag_names); k++) {
		if (!strcmp(flag_names[k].name, s)) {
			p->flags |= flag_names[k].flag;
			return 0;
		}
	}
	return jpath_err(c, "unknown flag \"%s\"", s);
}

static int name_fn(struct jpath *c, const char *s, size_t i, void *arg)
{
	struct oci_seccomp_syscall *sc = arg;
	sc->names[i] = strdup(s);
	if (!sc->names[i])
		return jpath_enomem(c);
	sc->n_names = i + 1;
	return 0;
}

static int parse_arg(struct jpath *c, yajl_val v, struct oci_seccomp_arg *a)
{
	if (!YAJL_IS_OBJECT(v))
		return jpath_err(c, "expected an object");
	uint64_t index = 0;
	int r = get_u64(c, v, "index", true, 5, &index, NULL);
	if (!r)
		r = get_u64(c, v, "value", true, UINT64_MAX, &a->value, NULL);
	if (!r)
		r = get_u64(c, v, "valueTwo", false, UINT64_MAX, &a->value_two, NULL);
	if (r)
		return r;
	a->index = (uint32_t)index;
	size_t mark = jpath_push(c, ".op");
	yajl_val op = get(v, "op");
	if (!op)
		r = jpath_err(c, "required field is missing");
	else if (!YAJL_IS_STRING(op))
		r = jpath_err(c, "expected a string");
	else
		r = jpath_err(c, "unknown operator \"%s\"", op->u.string);
	for (size_t i = 0; op && YAJL_IS_STRING(op) && i < ARRAY_SIZE(op_names); i++) {
		if (!strcmp(op_names[i].name, op->u.string)) {
			a->op = op_names[i].op;
			r = 0;
		}
	}
	jpath_pop(c, mark);
	return r;
}

static int parse_syscall(struct jpath *c, yajl_val v, struct oci_seccomp_syscall *sc)
{
	if (!YAJL_IS_OBJECT(v))
		return jpath_err(c, "expected an object");
	yajl_val names = get(v, "names");
	size_t n = names && YAJL_IS_ARRAY(names) ? names->u.array.len : 0;
	sc->names = calloc(n + 1, sizeof(char *));
	if (!sc->names)
		return jpath_enomem(c);
	int r = get_str_array(c, v, "names", true, name_fn, sc, &n);
	if (!r)
		r = get_action(c, v, "action", &sc->action);
	uint64_t e = 0;
	if (!r)
		r = get_u64(c, v, "errnoRet", false, UINT16_MAX, &e, &sc->has_errno_ret);
	sc->errno_ret = (uint32_t)e;
	if (r)
		return r;
	size_t mark = jpath_push(c, ".args");
	yajl_val args = get(v, "args");
	if (args && !YAJL_IS_ARRAY(args)) {
		r = jpath_err(c, "expected an array");
	} else if (args && args->u.array.len) {
		if (args->u.array.len > 6) {
			r = jpath_err(c, "more than 6 arguments");
		} else {
			sc->args = calloc(args->u.array.len, sizeof(*sc->args));
			if (!sc->args)
				r = jpath_enomem(c);
		}
		for (size_t i = 0; !r && i < args->u.array.len; i++) {
			size_t m2 = jpath_push(c, "[%zu]", i);
			r = parse_arg(c, args->u.array.values[i], &sc->args[i]);
			jpath_pop(c, m2);
			sc->n_args = i + 1;
		}
	}
	jpath_pop(c, mark);
	return r;
}

static int parse_profile(struct jpath *c, yajl_val v, struct oci_seccomp *s)
{
	if (!YAJL_IS_OBJECT(v))
		return jpath_err(c, "expected an object");
	int r = get_action(c, v, "defaultAction", &s->default_action);
	uint64_t e = 0;
	if (!r)
		r = get_u64(c, v, "defaultErrnoRet", false, UINT16_MAX, &e,
			    &s->has_default_errno_ret);
	s->default_errno_ret = (uint32_t)e;
	if (r)
		return r;
	yajl_val arches = get(v, "architectures");
	if (arches && YAJL_IS_ARRAY(arches) && arches->u.array.len) {
		s->arches = calloc(arches->u.array.len, sizeof(uint32_t));
		if (!s->arches)
			return jpath_enomem(c);
	}
	size_t n;
	r = get_str_array(c, v, "architectures", false, arch_fn, s, &n);
	if (!r)
		r = get_str_array(c, v, "flags", false, flag_fn, s, &n);
	if (r)
		return r;
	size_t mark = jpath_push(c, ".syscalls");
	yajl_val calls = get(v, "syscalls");
	if (calls && !YAJL_IS_ARRAY(calls)) {
		r = jpath_err(c, "expected an array");
	} else if (calls && calls->u.array.len) {
		s->syscalls = calloc(calls->u.array.len, sizeof(*s->syscalls));
		if (!s->syscalls)
			r = jpath_enomem(c);
		for (size_t i = 0; !r && i < calls->u.array.len; i++) {
			size_t m2 = jpath_push(c, "[%zu]", i);
			s->n_syscalls = i + 1;
			r = parse_syscall(c, calls->u.array.values[i], &s->syscalls[i]);
			jpath_pop(c, m2);
		}
	}
	jpath_pop(c, mark);
	return r;
}

int oci_seccomp_parse(const char *file, struct yajl_val_s *v, struct oci_seccomp **out,
		      struct verr *err)
{
	struct jpath c = {.err = err, .file = file};
	jpath_push(&c, "linux.seccomp");
	struct oci_seccomp *s = calloc(1, sizeof(*s));
	if (!s)
		return jpath_enomem(&c);
	int r = parse_profile(&c, v, s);
	if (r) {
		oci_seccomp_free(s);
		return r;
	}
	*out = s;
	return 0;
}

/* ---- translation ---------------------------------------------------------- */

static uint32_t scmp_action(enum oci_seccomp_action a, bool has_errno, uint32_t errno_ret)
{
	switch (a) {
	case OCI_SCMP_KILL:
	case OCI_SCMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case OCI_SCMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case OCI_SCMP_TRAP:
		return SCMP_ACT_TRAP;
	case OCI_SCMP_ERRNO:
		return SCMP_ACT_ERRNO(has_errno ? errno_ret : EPERM);
	case OCI_SCMP_TRACE:
		return SCMP_ACT_TRACE(has_errno ? errno_ret : EPERM);
	case OCI_SCMP_LOG:
		return SCMP_ACT_LOG;
	case OCI_SCMP_ALLOW:
		break;
	}
	return SCMP_ACT_ALLOW;
}

static bool index_repeated(const struct oci_seccomp_syscall *sc)
{
	for (size_t i = 0; i < sc->n_args; i++)
		for (size_t j = i + 1; j < sc->n_args; j++)
			if (sc->args[i].index == sc->args[j].index)
				return true;
	return false;
}

static struct scmp_arg_cmp to_cmp(const struct oci_seccomp_arg *a)
{
	struct scmp_arg_cmp cmp = {.arg = a->index, .op = (enum scmp_compare)a->op,
				   .datum_a = a->value, .datum_b = a->value_two};
	return cmp;
}

static int add_rules(scmp_filter_ctx ctx, const struct oci_seccomp_syscall *sc, size_t idx,
		     uint32_t act, unsigned int *skipped, struct verr *err)
{
	for (size_t n = 0; n < sc->n_names; n++) {
		int nr = seccomp_syscall_resolve_name(sc->names[n]);
		if (nr == __NR_SCMP_ERROR) {
			(*skipped)++; /* newer than libseccomp: as runc, skipped */
			continue;
		}
		struct scmp_arg_cmp cmps[6];
		for (size_t i = 0; i < sc->n_args; i++)
			cmps[i] = to_cmp(&sc->args[i]);
		int r = 0;
		if (index_repeated(sc)) {
			/* As runc: one argument per rule, any of them matches. */
			for (size_t i = 0; !r && i < sc->n_args; i++)
				r = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[i]);
		} else {
			r = seccomp_rule_add_array(ctx, act, nr, (unsigned int)sc->n_args, cmps);
		}
		if (r < 0)
			return verr_set(err, EINVAL,
					"config.json: linux.seccomp.syscalls[%zu]: %s: %s", idx,
					sc->names[n], strerror(-r));
	}
	return 0;
}

/* libseccomp writes the program to an fd: a memfd, read back whole. */
static int export_bpf(scmp_filter_ctx ctx, struct sock_filter **prog, unsigned int *len,
		      struct verr *err)
{
	int fd = memfd_create("visor-seccomp", MFD_CLOEXEC);
	if (fd < 0)
		return verr_errno(err, errno, "seccomp profile: memfd_create");
	int r = seccomp_export_bpf(ctx, fd);
	struct stat st;
	if (r < 0) {
		r = verr_set(err, -r, "seccomp profile: exporting the BPF program: %s",
			     strerror(-r));
	} else if (fstat(fd, &st) < 0) {
		r = verr_errno(err, errno, "seccomp profile: fstat");
	} else if (st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter)) {
		r = verr_set(err, EINVAL, "seccomp profile: the exported program has %lld bytes",
			     (long long)st.st_size);
	} else if (st.st_size / (off_t)sizeof(struct sock_filter) > OCI_SECCOMP_MAX_INSNS) {
		r = verr_set(err, E2BIG,
			     "seccomp profile: %lld BPF instructions, more than seccomp's %d",
			     (long long)(st.st_size / (off_t)sizeof(struct sock_filter)),
			     OCI_SECCOMP_MAX_INSNS);
	} else {
		struct sock_filter *p = malloc((size_t)st.st_size);
		if (!p) {
			r = verr_set(err, ENOMEM, "seccomp profile: out of memory");
		} else if (pread(fd, p, (size_t)st.st_size, 0) != st.st_size) {
			free(p);
			r = verr_set(err, EIO, "seccomp profile: reading the BPF program back");
		} else {
			*prog = p;
			*len = (unsigned int)(st.st_size / (off_t)sizeof(struct sock_filter));
		}
	}
	close(fd);
	return r;
}

int oci_seccomp_bpf(const struct oci_seccomp *s, struct sock_filter **prog, unsigned int *len,
		    unsigned int *skipped, struct verr *err)
{
	uint32_t def = scmp_action(s->default_action, s->has_default_errno_ret,
				   s->default_errno_ret);
	*skipped = 0;
	scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return verr_set(err, ENOMEM, "seccomp profile: seccomp_init failed");
	int r = 0;
	/* The program is only exported: nothing here touches this process's
	 * no_new_privs.  The binary tree keeps a long allow list cheap for the
	 * Sentry's interpreter, which runs it on every syscall. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0 ||
	    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
		r = verr_set(err, EINVAL, "seccomp profile: libseccomp refused an attribute");
	for (size_t i = 0; !r && i < s->n_arches; i++) {
		int a = seccomp_arch_add(ctx, s->arches[i]);
		if (a < 0 && a != -EEXIST)
			r = verr_set(err, EINVAL, "config.json: linux.seccomp.architectures[%zu]: %s",
				     i, strerror(-a));
	}
	for (size_t i = 0; !r && i < s->n_syscalls; i++) {
		const struct oci_seccomp_syscall *sc = &s->syscalls[i];
		uint32_t act = scmp_action(sc->action, sc->has_errno_ret, sc->errno_ret);
		if (act == def)
			continue; /* as runc: libseccomp refuses a rule that changes nothing */
		r = add_rules(ctx, sc, i, act, skipped, err);
	}
	if (!r)
		r = export_bpf(ctx, prog, len, err);
	seccomp_release(ctx);
	return r;
}
