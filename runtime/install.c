/*
 * install.c — `visor install` / `visor uninstall`: the runtimes.NAME entry of
 * Docker's daemon.json.
 *
 * Owns: the JSON edit (install_edit_json, pure: bytes in, bytes out), the file
 * handling around it (install_edit_file: lock, backup, atomic write), the
 * dockerd reload (install_reload_docker) and the two commands' option parsing.
 *
 * Must never: change any key other than runtimes.NAME (the file is the
 * user's; we re-emit everything else exactly as parsed, numbers from their
 * original text), touch a file it could not parse, or leave a half-written
 * daemon.json behind (dockerd refuses to start on one).
 *
 * Parsing is done twice on purpose.  A first yajl_parse pass with no tree
 * validates strictly (no comments: dockerd's Go decoder rejects them, and
 * yajl_tree_parse would silently accept and drop them), gives a one-line
 * error with line and column, bounds the nesting depth, and rejects "\u0000"
 * inside strings (yajl_tree keeps strings NUL-terminated, so such a string
 * would be silently truncated on output).  Only then is the tree built.
 */
#include "runtime/install.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/verr.h"
#include "runtime/cli.h"
#include "runtime/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <yajl/yajl_parse.h>
#include <yajl/yajl_tree.h>

extern char **environ;

/* ---- strict validation pass ---------------------------------------------- */

struct check_ctx {
	unsigned depth;
	bool too_deep;
	bool has_nul;
};

static int check_open(void *ctx)
{
	struct check_ctx *c = ctx;
	if (++c->depth > INSTALL_MAX_DEPTH) {
		c->too_deep = true;
		return 0;
	}
	return 1;
}

static int check_close(void *ctx)
{
	struct check_ctx *c = ctx;
	c->depth--;
	return 1;
}

static int check_string(void *ctx, const unsigned char *s, size_t len)
{
	struct check_ctx *c = ctx;
	if (memchr(s, 0, len)) {
		c->has_nul = true;
		return 0;
	}
	return 1;
}

static const yajl_callbacks check_callbacks = {
    .yajl_string = check_string,
    .yajl_start_map = check_open,
    .yajl_map_key = check_string,
    .yajl_end_map = check_close,
    .yajl_start_array = check_open,
    .yajl_end_array = check_close,
};

/* 1-based line and column of byte offset off, for error messages. */
static void text_position(const char *in, size_t len, size_t off, unsigned *line, unsigned *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (in[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

static int json_check_strict(const char *in, size_t len, const char *name, struct verr *err)
{
	struct check_ctx c = {0};
	yajl_handle h = yajl_alloc(&check_callbacks, NULL, &c);
	if (!h)
		return verr_set(err, ENOMEM, "%s: out of memory", name);
	size_t off = len;
	yajl_status st = yajl_parse(h, (const unsigned char *)in, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	else
		off = yajl_get_bytes_consumed(h);
	int ret = 0;
	if (st != yajl_status_ok) {
		unsigned line, col;
		text_position(in, len, off, &line, &col);
		if (c.too_deep) {
			ret = verr_set(err, EINVAL,
				       "%s: nested deeper than %d levels (line %u, column %u)",
				       name, INSTALL_MAX_DEPTH, line, col);
		} else if (c.has_nul) {
			ret = verr_set(err, EINVAL,
				       "%s: a string contains \\u0000, which visor cannot preserve "
				       "(line %u, column %u)",
				       name, line, col);
		} else {
			unsigned char *msg = yajl_get_error(h, 0, NULL, 0);
			char *m = msg ? (char *)msg : "parse error";
			size_t ml = strlen(m);
			while (ml > 0 && (m[ml - 1] == '\n' || m[ml - 1] == ' '))
				m[--ml] = 0;
			ret = verr_set(err, EINVAL, "%s: not valid JSON at line %u, column %u: %s",
				       name, line, col, m);
			if (msg)
				yajl_free_error(h, msg);
		}
	}
	yajl_free(h);
	return ret;
}

/* ---- tree helpers ------------------------------------------------------- */

static const char *json_kind(yajl_val v)
{
	switch (v->type) {
	case yajl_t_string:
		return "a string";
	case yajl_t_number:
		return "a number";
	case yajl_t_object:
		return "an object";
	case yajl_t_array:
		return "an array";
	case yajl_t_true:
		return "true";
	case yajl_t_false:
		return "false";
	case yajl_t_null:
		return "null";
	default:
		return "of an unknown type";
	}
}

/* The value of key in object obj (NULL when absent); *count gets how many
 * times the key occurs (yajl_tree keeps duplicate keys). */
static yajl_val object_get(yajl_val obj, const char *key, unsigned *count)
{
	yajl_val found = NULL;
	unsigned n = 0;
	for (size_t i = 0; i < obj->u.object.len; i++) {
		if (!strcmp(obj->u.object.keys[i], key)) {
			if (!found)
				found = obj->u.object.values[i];
			n++;
		}
	}
	if (count)
		*count = n;
	return found;
}

/* Does the existing entry already say what the edit would write? */
static bool entry_matches(yajl_val entry, const struct install_edit *e)
{
	unsigned np, na;
	yajl_val path = object_get(entry, "path", &np);
	yajl_val args = object_get(entry, "runtimeArgs", &na);
	if (np != 1 || !YAJL_IS_STRING(path) || strcmp(path->u.string, e->path))
		return false;
	if (e->nargs == 0)
		return na == 0;
	if (na != 1 || !YAJL_IS_ARRAY(args) || args->u.array.len != e->nargs)
		return false;
	for (size_t i = 0; i < e->nargs; i++) {
		yajl_val a = args->u.array.values[i];
		if (!YAJL_IS_STRING(a) || strcmp(a->u.string, e->args[i]))
			return false;
	}
	return true;
}

/* ---- emitter ------------------------------------------------------------ */

/* Re-emit a parsed value unchanged.  Numbers come from their original text
 * (u.number.r) so 1.50 stays 1.50 and 12345678901234567890 is not rounded. */
static void emit_value(struct json_writer *w, yajl_val v)
{
	switch (v->type) {
	case yajl_t_string:
		json_string(w, v->u.string);
		break;
	case yajl_t_number:
		json_number(w, v->u.number.r);
		break;
	case yajl_t_true:
	case yajl_t_false:
		json_bool(w, v->type == yajl_t_true);
		break;
	case yajl_t_null:
		json_null(w);
		break;
	case yajl_t_object:
		json_object_begin(w);
		for (size_t i = 0; i < v->u.object.len; i++) {
			json_key(w, v->u.object.keys[i]);
			emit_value(w, v->u.object.values[i]);
		}
		json_object_end(w);
		break;
	case yajl_t_array:
		json_array_begin(w);
		for (size_t i = 0; i < v->u.array.len; i++)
			emit_value(w, v->u.array.values[i]);
		json_array_end(w);
		break;
	default:
		json_null(w); /* yajl_t_any: never in a parsed tree */
		break;
	}
}

static void emit_args(struct json_writer *w, const struct install_edit *e)
{
	json_key_array_begin(w, "runtimeArgs");
	for (size_t i = 0; i < e->nargs; i++)
		json_string(w, e->args[i]);
	json_array_end(w);
}

/* runtimes.NAME: keep any other keys the user put there (e.g. "options"),
 * replace "path" and "runtimeArgs" in place, append them when missing. */
static void emit_entry(struct json_writer *w, yajl_val old, const struct install_edit *e)
{
	bool have_path = false, have_args = false;
	json_object_begin(w);
	for (size_t i = 0; old && i < old->u.object.len; i++) {
		const char *k = old->u.object.keys[i];
		if (!strcmp(k, "path")) {
			if (!have_path)
				json_key_string(w, "path", e->path);
			have_path = true;
		} else if (!strcmp(k, "runtimeArgs")) {
			if (!have_args && e->nargs > 0)
				emit_args(w, e);
			have_args = true;
		} else {
			json_key(w, k);
			emit_value(w, old->u.object.values[i]);
		}
	}
	if (!have_path)
		json_key_string(w, "path", e->path);
	if (!have_args && e->nargs > 0)
		emit_args(w, e);
	json_object_end(w);
}

static void emit_runtimes(struct json_writer *w, yajl_val rt, const struct install_edit *e)
{
	bool found = false;
	json_object_begin(w);
	for (size_t i = 0; rt && i < rt->u.object.len; i++) {
		const char *k = rt->u.object.keys[i];
		if (!strcmp(k, e->runtime)) {
			found = true;
			if (e->op == INSTALL_OP_ADD) {
				json_key(w, k);
				emit_entry(w, rt->u.object.values[i], e);
			}
			continue;
		}
		json_key(w, k);
		emit_value(w, rt->u.object.values[i]);
	}
	if (!found && e->op == INSTALL_OP_ADD) {
		json_key(w, e->runtime);
		emit_entry(w, NULL, e);
	}
	json_object_end(w);
}

static void emit_root(struct json_writer *w, yajl_val root, const struct install_edit *e)
{
	bool have_runtimes = false;
	json_object_begin(w);
	for (size_t i = 0; i < root->u.object.len; i++) {
		const char *k = root->u.object.keys[i];
		json_key(w, k);
		if (!strcmp(k, "runtimes")) {
			have_runtimes = true;
			emit_runtimes(w, root->u.object.values[i], e);
		} else {
			emit_value(w, root->u.object.values[i]);
		}
	}
	if (!have_runtimes) {
		json_key(w, "runtimes");
		emit_runtimes(w, NULL, e);
	}
	json_object_end(w);
}

/* daemon.json as dockerd's documentation writes it: four-space indents, one
 * member per line, ending with a newline.  0 or the writer's error. */
static int emit_document(yajl_val root, const struct install_edit *e, char **out, size_t *out_len)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, "    ", JSON_UTF8);
	emit_root(&w, root, e);
	return json_writer_take(&w, out, out_len);
}

static int dup_bytes(const char *in, size_t len, char **out, size_t *out_len)
{
	char *b = malloc(len + 1);
	if (!b)
		return -ENOMEM;
	if (len)
		memcpy(b, in, len);
	b[len] = 0;
	*out = b;
	*out_len = len;
	return 0;
}

static bool is_blank(const char *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\n", in[i]) || in[i] == 0)
			return false;
	return true;
}

static int edit_check(const struct install_edit *e, struct verr *err)
{
	if (!e->runtime || !e->runtime[0])
		return verr_set(err, EINVAL, "the runtime name must not be empty");
	if (e->op != INSTALL_OP_ADD)
		return 0;
	/* dockerd refuses to start when daemon.json redefines its built-in
	 * runtime ("runtime name 'runc' is reserved"). */
	if (!strcmp(e->runtime, "runc"))
		return verr_set(err, EINVAL, "the runtime name \"runc\" is reserved by dockerd");
	if (!e->path || !e->path[0])
		return verr_set(err, EINVAL, "the runtime path must not be empty");
	for (size_t i = 0; i < e->nargs; i++)
		if (!e->args[i])
			return verr_set(err, EINVAL, "runtime argument %zu is missing", i);
	return 0;
}

int install_edit_json(const char *in, size_t in_len, const char *name, const struct install_edit *e,
		      char **out, size_t *out_len, struct install_outcome *res, struct verr *err)
{
	int r = edit_check(e, err);
	if (r < 0)
		return r;
	if (!in)
		in_len = 0;
	/* An empty file is how many setups start (touch daemon.json); treat
	 * it, and whitespace only, as {}. */
	bool blank = is_blank(in, in_len);
	const char *text = blank ? "{}" : in;
	size_t text_len = blank ? 2 : in_len;

	r = json_check_strict(text, text_len, name, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *z = NULL;
	size_t zl;
	if (dup_bytes(text, text_len, &z, &zl) < 0)
		return verr_set(err, ENOMEM, "%s: out of memory", name);
	char ebuf[256] = "";
	yajl_val root = yajl_tree_parse(z, ebuf, sizeof(ebuf));
	if (!root)
		return verr_set(err, EINVAL, "%s: not valid JSON", name);

	int ret = 0;
	struct install_outcome o = {0};
	if (!YAJL_IS_OBJECT(root)) {
		ret = verr_set(err, EINVAL, "%s: the top level is %s, not an object", name,
			       json_kind(root));
		goto out;
	}
	unsigned n;
	yajl_val rt = object_get(root, "runtimes", &n);
	if (n > 1) {
		ret = verr_set(err, EINVAL, "%s: \"runtimes\" appears %u times", name, n);
		goto out;
	}
	if (rt && !YAJL_IS_OBJECT(rt)) {
		ret = verr_set(err, EINVAL, "%s: \"runtimes\" is %s, not an object", name,
			       json_kind(rt));
		goto out;
	}
	yajl_val entry = rt ? object_get(rt, e->runtime, &n) : NULL;
	if (entry && n > 1) {
		ret = verr_set(err, EINVAL, "%s: \"runtimes.%s\" appears %u times", name,
			       e->runtime, n);
		goto out;
	}
	if (entry && !YAJL_IS_OBJECT(entry)) {
		ret = verr_set(err, EINVAL, "%s: \"runtimes.%s\" is %s, not an object", name,
			       e->runtime, json_kind(entry));
		goto out;
	}
	if (e->op == INSTALL_OP_ADD) {
		o.changed = !entry || !entry_matches(entry, e);
	} else {
		o.changed = entry != NULL;
		yajl_val def = object_get(root, "default-runtime", NULL);
		o.default_runtime_dangling =
		    YAJL_IS_STRING(def) && !strcmp(def->u.string, e->runtime);
	}

	if (!o.changed) {
		/* Already as wanted: hand back the input itself, byte for byte. */
		if (dup_bytes(in_len ? in : "", in_len, out, out_len) < 0)
			ret = verr_set(err, ENOMEM, "%s: out of memory", name);
		else
			*res = o;
		goto out;
	}

	r = emit_document(root, e, out, out_len);
	if (r == -EILSEQ)
		ret = verr_set(err, EINVAL,
			       "the runtime name, path or arguments are not valid UTF-8");
	else if (r < 0)
		ret = verr_set(err, -r, "%s: cannot generate JSON: %s", name, strerror(-r));
	else
		*res = o;
out:
	yajl_tree_free(root);
	return ret;
}

/* ---- the file ----------------------------------------------------------- */

int install_edit_file(const char *config, const struct install_edit *e, struct install_outcome *res,
		      struct verr *err)
{
	*res = (struct install_outcome){0};
	/* Bad arguments must not create a directory on their way to failing. */
	int r = edit_check(e, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *target = NULL;
	struct stat st;
	/* Packaging tools sometimes make daemon.json a symlink; rename() over
	 * it would replace the link with a file.  Edit the target instead. */
	if (lstat(config, &st) == 0 && S_ISLNK(st.st_mode)) {
		target = realpath(config, NULL);
		if (!target)
			return verr_errno(err, errno, "%s: cannot resolve symlink", config);
	}
	const char *path = target ? target : config;

	char dirbuf[PATH_MAX];
	if (snprintf(dirbuf, sizeof(dirbuf), "%s", path) >= (int)sizeof(dirbuf))
		return verr_set(err, ENAMETOOLONG, "%s: path too long", config);
	const char *dir = dirname(dirbuf);
	if (stat(dir, &st) < 0) {
		if (errno != ENOENT)
			return verr_errno(err, errno, "%s", dir);
		/* No directory, so no file: nothing to remove. */
		if (e->op == INSTALL_OP_REMOVE)
			return 0;
		r = mkdir_p(dir, 0755);
		if (r < 0)
			return verr_errno(err, -r, "cannot create directory %s", dir);
	}
	/* Serialize concurrent visor install/uninstall (say a package script
	 * and an admin) so neither loses the other's edit.  Locking the
	 * directory needs no lock file beside daemon.json. */
	_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return verr_errno(err, errno, "cannot open directory %s", dir);
	if (flock(dfd, LOCK_EX) < 0)
		return verr_errno(err, errno, "cannot lock directory %s", dir);

	_cleanup_free_ char *old = NULL;
	size_t old_len = 0;
	bool existed = true;
	mode_t mode = 0644;
	if (stat(path, &st) < 0) {
		if (errno != ENOENT)
			return verr_errno(err, errno, "%s", config);
		existed = false;
	} else if (!S_ISREG(st.st_mode)) {
		/* A directory or a FIFO: reading it would fail or block. */
		return verr_set(err, EINVAL, "%s: not a regular file", config);
	} else {
		mode = st.st_mode & 0777;
		r = read_file(path, INSTALL_MAX_CONFIG_SIZE, &old, &old_len);
		if (r == -EFBIG)
			return verr_set(err, EFBIG, "%s: larger than %u bytes, refusing to edit it",
					config, INSTALL_MAX_CONFIG_SIZE);
		if (r < 0)
			return verr_errno(err, -r, "cannot read %s", config);
	}

	_cleanup_free_ char *new = NULL;
	size_t new_len = 0;
	struct install_outcome o = {0};
	r = install_edit_json(old, old_len, config, e, &new, &new_len, &o, err);
	if (r < 0)
		return r;
	if (!o.changed) {
		*res = o;
		return 0;
	}

	if (existed) {
		char bak[PATH_MAX];
		if (snprintf(bak, sizeof(bak), "%s.bak", path) >= (int)sizeof(bak))
			return verr_set(err, ENAMETOOLONG, "%s: path too long", config);
		r = write_file_atomic(bak, old, old_len, mode);
		if (r < 0)
			return verr_errno(err, -r, "cannot write backup %s", bak);
		if ((st.st_uid != geteuid() || st.st_gid != getegid()) &&
		    chown(bak, st.st_uid, st.st_gid) < 0)
			log_warn("cannot give %s its owner back: %s", bak, strerror(errno));
	}
	r = write_file_atomic(path, new, new_len, mode);
	if (r < 0)
		return verr_errno(err, -r, "cannot write %s", config);
	/* The temp file was created by us; give the new file the old owner. */
	if (existed && (st.st_uid != geteuid() || st.st_gid != getegid()) &&
	    chown(path, st.st_uid, st.st_gid) < 0)
		log_warn("cannot give %s its owner back: %s", config, strerror(errno));
	*res = o;
	return 0;
}

/* ---- reloading dockerd -------------------------------------------------- */

/* Run argv (looked up in PATH) and return its exit status, 128+signal, or
 * -errno when it could not be started. */
static int run_command(char *const argv[])
{
	pid_t pid;
	int r = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

/* The dockerd pid from the pid file, or 0 when there is none we trust. */
static pid_t dockerd_pid(const char *pid_file)
{
	_cleanup_free_ char *buf = NULL;
	if (read_file(pid_file, 64, &buf, NULL) < 0)
		return 0;
	char *end;
	errno = 0;
	long pid = strtol(buf, &end, 10);
	if (errno || end == buf || pid <= 0 || pid > INT_MAX)
		return 0;
	while (*end == '\n' || *end == ' ')
		end++;
	if (*end)
		return 0;
	/* A stale pid file may name a pid since reused by anything: only
	 * signal it if it is a dockerd. */
	char comm_path[64];
	snprintf(comm_path, sizeof(comm_path), "/proc/%ld/comm", pid);
	_cleanup_free_ char *comm = NULL;
	if (read_file(comm_path, 64, &comm, NULL) < 0)
		return 0;
	comm[strcspn(comm, "\n")] = 0;
	return strcmp(comm, "dockerd") ? 0 : (pid_t)pid;
}

int install_reload_docker(const struct install_reload_env *env, pid_t *pid, struct verr *err)
{
	struct stat st;
	char *unit = (char *)(env->unit ? env->unit : "docker");
	if (env->systemd_dir && stat(env->systemd_dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *active[] = {"systemctl", "is-active", "--quiet", unit, NULL};
		if (run_command(active) == 0) {
			char *reload[] = {"systemctl", "reload", unit, NULL};
			int s = run_command(reload);
			if (s == 0)
				return INSTALL_RELOAD_SYSTEMD;
			if (s < 0)
				return verr_errno(err, -s, "cannot run systemctl reload %s", unit);
			return verr_set(err, EIO, "systemctl reload %s failed with status %d", unit,
					s);
		}
		/* Not active under systemd: dockerd may still run by hand. */
	}
	pid_t p = dockerd_pid(env->pid_file ? env->pid_file : "/var/run/docker.pid");
	if (p == 0)
		return INSTALL_RELOAD_NO_DOCKERD;
	if (kill(p, SIGHUP) < 0) {
		if (errno == ESRCH)
			return INSTALL_RELOAD_NO_DOCKERD;
		return verr_errno(err, errno, "cannot send SIGHUP to dockerd (pid %d)", (int)p);
	}
	if (pid)
		*pid = p;
	return INSTALL_RELOAD_SIGHUP;
}

/* ---- the commands ------------------------------------------------------- */

struct install_opts {
	const char *runtime;
	const char *config;
	const char *path;
	bool reload, help;
	char **args;
	size_t nargs;
};

static void install_usage(FILE *f, bool add)
{
	if (add)
		fprintf(f,
			"usage: visor install [--runtime=NAME] [--config=PATH] [--path=BINARY] "
			"[--reload] [-- RUNTIME_ARGS...]\n"
			"  adds or updates runtimes.NAME (default visor) in PATH (default %s)\n",
			INSTALL_DEFAULT_CONFIG);
	else
		fprintf(f,
			"usage: visor uninstall [--runtime=NAME] [--config=PATH] [--reload]\n"
			"  removes runtimes.NAME (default visor) from PATH (default %s)\n",
			INSTALL_DEFAULT_CONFIG);
}

/* install's options; uninstall has all but --path */
#define INSTALL_OPTIONS                                                                            \
	{CLI_VALUE("--runtime", 0, struct install_opts, runtime), .flags = CLI_NONEMPTY},          \
	{CLI_VALUE("--config", 0, struct install_opts, config), .flags = CLI_NONEMPTY},            \
	{CLI_FLAG("--reload", 0, struct install_opts, reload)},                                    \
	{CLI_FLAG("--help", 'h', struct install_opts, help), .flags = CLI_STOP}

static const struct cli_opt install_options[] = {
	INSTALL_OPTIONS,
	{CLI_VALUE("--path", 0, struct install_opts, path), .flags = CLI_NONEMPTY},
	{0},
};
static const struct cli_opt uninstall_options[] = {INSTALL_OPTIONS, {0}};

/* Arguments for the runtime go after "--". */
static const struct cli_command install_command = {"install", install_options, CLI_DASHDASH, 0};
static const struct cli_command uninstall_command = {"uninstall", uninstall_options, CLI_DASHDASH,
						     0};

/* Returns 1 to go on, 0 to exit 0 (help), -1 to exit 1. */
static int install_parse(int argc, char **argv, bool add, struct install_opts *o)
{
	*o = (struct install_opts){.runtime = INSTALL_DEFAULT_RUNTIME,
				   .config = INSTALL_DEFAULT_CONFIG};
	struct cli_result res;
	struct verr err = {0};
	int r = cli_parse(add ? &install_command : &uninstall_command, o, NULL, argc, argv, &res,
			  &err);
	if (r == 1) {
		install_usage(stdout, add);
		return 0;
	}
	if (r == -ENOENT || r == -E2BIG) {
		fprintf(stderr, "visor: %s: %s %s%s\n", argv[0],
			res.bad[0] == '-' ? "unknown option" : "unexpected argument", res.bad,
			add ? " (arguments for the runtime go after --)" : "");
		install_usage(stderr, add);
		return -1;
	}
	if (r < 0) {
		fprintf(stderr, "visor: %s\n", err.msg);
		return -1;
	}
	if (!add && res.nrest > 0) {
		fprintf(stderr, "visor: uninstall takes no runtime arguments\n");
		return -1;
	}
	o->args = res.rest;
	o->nargs = (size_t)res.nrest;
	return 1;
}

static int install_finish_reload(bool reload)
{
	if (!reload)
		return 0;
	struct install_reload_env env = {
	    .systemd_dir = "/run/systemd/system",
	    .pid_file = "/var/run/docker.pid",
	    .unit = "docker",
	};
	struct verr err = {0};
	pid_t pid = 0;
	int r = install_reload_docker(&env, &pid, &err);
	switch (r) {
	case INSTALL_RELOAD_SYSTEMD:
		printf("visor: reloaded dockerd (systemctl reload docker)\n");
		break;
	case INSTALL_RELOAD_SIGHUP:
		printf("visor: sent SIGHUP to dockerd (pid %d)\n", (int)pid);
		break;
	case INSTALL_RELOAD_NO_DOCKERD:
		printf("visor: note: no running dockerd found; the change applies when dockerd "
		       "starts\n");
		break;
	default:
		fprintf(stderr, "visor: daemon.json was updated but reloading dockerd failed: %s\n",
			err.msg);
		return 1;
	}
	return 0;
}

int cmd_install(struct global_opts *g, int argc, char **argv)
{
	struct install_opts o;
	int r = install_parse(argc, argv, true, &o);
	if (r <= 0)
		return r < 0 ? 1 : 0;
	char self[PATH_MAX];
	if (!o.path) {
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0) {
			fprintf(stderr, "visor: cannot find my own binary (%s); pass --path\n",
				strerror(errno));
			return 1;
		}
		self[n] = 0;
		if (n > 10 && !strcmp(self + n - 10, " (deleted)")) {
			fprintf(stderr, "visor: my binary %s was deleted; pass --path\n", self);
			return 1;
		}
		o.path = self;
	} else if (o.path[0] != '/' && strchr(o.path, '/')) {
		/* dockerd resolves a bare name through PATH, but a relative path
		 * would depend on dockerd's working directory. */
		fprintf(stderr, "visor: --path must be absolute or a bare command name, not %s\n",
			o.path);
		return 1;
	}
	struct install_edit e = {
	    .op = INSTALL_OP_ADD,
	    .runtime = o.runtime,
	    .path = o.path,
	    .args = o.args,
	    .nargs = o.nargs,
	};
	struct install_outcome res;
	struct verr err = {0};
	if (install_edit_file(o.config, &e, &res, &err) < 0) {
		fprintf(stderr, "visor: %s\n", err.msg);
		return 1;
	}
	if (res.changed)
		printf("visor: registered runtime \"%s\" (%s) in %s\n", o.runtime, o.path,
		       o.config);
	else
		printf("visor: runtime \"%s\" is already registered in %s; left unchanged\n",
		       o.runtime, o.config);
	return install_finish_reload(o.reload);
}

int cmd_uninstall(struct global_opts *g, int argc, char **argv)
{
	struct install_opts o;
	int r = install_parse(argc, argv, false, &o);
	if (r <= 0)
		return r < 0 ? 1 : 0;
	struct install_edit e = {.op = INSTALL_OP_REMOVE, .runtime = o.runtime};
	struct install_outcome res;
	struct verr err = {0};
	if (install_edit_file(o.config, &e, &res, &err) < 0) {
		fprintf(stderr, "visor: %s\n", err.msg);
		return 1;
	}
	if (res.changed)
		printf("visor: removed runtime \"%s\" from %s\n", o.runtime, o.config);
	else
		printf("visor: runtime \"%s\" is not registered in %s; nothing to do\n", o.runtime,
		       o.config);
	if (res.default_runtime_dangling)
		fprintf(stderr,
			"visor: warning: \"default-runtime\" in %s is still \"%s\"; dockerd will "
			"not start until you change it\n",
			o.config, o.runtime);
	return install_finish_reload(o.reload);
}
