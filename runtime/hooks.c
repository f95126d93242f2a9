/*
 * hooks.c — running the OCI lifecycle hooks (see hooks.h).
 *
 * Each hook is forked and exec'd with exactly its own args and env (none
 * inherited from us), the state JSON on stdin, stdout+stderr captured for
 * the error message, and its "timeout" (seconds; default 60) enforced with
 * SIGKILL.  config.json is re-read here with yajl_tree because runtime/oci.h
 * does not describe hooks.
 */
#include "runtime/hooks.h"
#include "lib/json.h"
#include "lib/log.h"
#include "lib/verr.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define HOOK_DEFAULT_TIMEOUT 60
#define HOOK_MAX_ARGS 1024

static const char *hook_names[] = {
	[HOOK_PRESTART] = "prestart",
	[HOOK_CREATE_RUNTIME] = "createRuntime",
	[HOOK_CREATE_CONTAINER] = "createContainer",
	[HOOK_START_CONTAINER] = "startContainer",
	[HOOK_POSTSTART] = "poststart",
	[HOOK_POSTSTOP] = "poststop",
};

static yajl_val obj_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

static yajl_val parse(const char *text, size_t len)
{
	char *s = strndup(text, len);
	if (!s)
		return NULL;
	yajl_val v = yajl_tree_parse(s, NULL, 0);
	free(s);
	return v;
}

static yajl_val hook_list(yajl_val root, enum hook_kind kind)
{
	yajl_val v = obj_get(obj_get(root, "hooks"), hook_names[kind]);
	return v && YAJL_IS_ARRAY(v) ? v : NULL;
}

int hooks_count(const char *config_text, size_t len, enum hook_kind kind)
{
	yajl_val root = parse(config_text, len);
	yajl_val l = hook_list(root, kind);
	int n = l ? (int)l->u.array.len : 0;
	yajl_tree_free(root);
	return n;
}

/* A NULL-terminated vector of the strings in array v (borrowed). */
static char **strv(yajl_val v, char *first)
{
	size_t n = v && YAJL_IS_ARRAY(v) ? v->u.array.len : 0;
	if (n > HOOK_MAX_ARGS)
		return NULL;
	char **a = calloc(n + 2, sizeof(char *));
	if (!a)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		yajl_val s = v->u.array.values[i];
		if (!YAJL_IS_STRING(s)) {
			free(a);
			return NULL;
		}
		a[k++] = YAJL_GET_STRING(s);
	}
	if (k == 0 && first)
		a[k++] = first; /* runc: args absent -> argv[0] is the path */
	return a;
}

static int run_one(yajl_val h, size_t idx, enum hook_kind kind, const char *state_json,
		   struct verr *err)
{
	yajl_val path = obj_get(h, "path");
	if (!path || !YAJL_IS_STRING(path) || YAJL_GET_STRING(path)[0] != '/')
		return verr_set(err, EINVAL, "config.json: hooks.%s[%zu].path: need an absolute path",
				hook_names[kind], idx);
	char *p = YAJL_GET_STRING(path);
	char **args = strv(obj_get(h, "args"), p);
	char **env = strv(obj_get(h, "env"), NULL);
	int timeout = HOOK_DEFAULT_TIMEOUT;
	yajl_val t = obj_get(h, "timeout");
	if (t && YAJL_IS_INTEGER(t) && YAJL_GET_INTEGER(t) > 0 && YAJL_GET_INTEGER(t) < 3600)
		timeout = (int)YAJL_GET_INTEGER(t);
	int r = 0;
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	if (!args || !env) {
		r = verr_set(err, EINVAL, "config.json: hooks.%s[%zu]: args and env must be string arrays",
			     hook_names[kind], idx);
		goto done;
	}
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		r = verr_errno(err, errno, "hook pipe");
		goto done;
	}
	pid_t pid = fork();
	if (pid < 0) {
		r = verr_errno(err, errno, "fork for hook %s", p);
		goto done;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		setsid();
		execve(p, args, env);
		dprintf(2, "exec %s: %s", p, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	in[0] = -1;
	close(out[1]);
	out[1] = -1;
	/* The state is small (far below a pipe's buffer): write, close.  A
	 * hook that exits without reading stdin must not kill us with
	 * SIGPIPE (as runc, the write error is ignored): block it around the
	 * write and drop one it raised. */
	sigset_t pipe_set, old_set;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
	ssize_t w = write(in[1], state_json, strlen(state_json));
	if (w < 0 && errno == EPIPE) {
		struct timespec zero = {0, 0};
		sigtimedwait(&pipe_set, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, &old_set, NULL);
	close(in[1]);
	in[1] = -1;
	char outbuf[512];
	size_t on = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	bool timed_out = false;
	for (;;) {
		struct pollfd pfd = {.fd = out[0], .events = POLLIN};
		int pr = poll(&pfd, 1, 200);
		if (pr > 0) {
			char tmp[1024];
			ssize_t n = read(out[0], tmp, sizeof(tmp));
			if (n <= 0)
				break;
			size_t take = (size_t)n < sizeof(outbuf) - 1 - on ? (size_t)n : sizeof(outbuf) - 1 - on;
			memcpy(outbuf + on, tmp, take);
			on += take;
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (t1.tv_sec - t0.tv_sec >= timeout) {
			timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
	}
	outbuf[on] = 0;
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	while (on && (outbuf[on - 1] == '\n' || outbuf[on - 1] == '\r'))
		outbuf[--on] = 0;
	if (timed_out)
		r = verr_set(err, ETIMEDOUT, "%s hook %s timed out after %d s", hook_names[kind], p,
			     timeout);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		r = verr_set(err, EIO, "%s hook %s failed (%s %d)%s%s", hook_names[kind], p,
			     WIFEXITED(st) ? "exit status" : "signal",
			     WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), on ? ": " : "", outbuf);
done:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	free(args);
	free(env);
	return r;
}

int hooks_run(const char *config_text, size_t len, enum hook_kind kind, const char *state_json,
	      struct verr *err)
{
	yajl_val root = parse(config_text, len);
	yajl_val l = hook_list(root, kind);
	int r = 0;
	for (size_t i = 0; l && i < l->u.array.len && r == 0; i++) {
		r = run_one(l->u.array.values[i], i, kind, state_json, err);
		if (r == 0)
			log_debug("hook %s[%zu] ran", hook_names[kind], i);
	}
	yajl_tree_free(root);
	return r;
}

char *hooks_state_json(const char *oci_version, const char *id, const char *status, int pid,
		       const char *bundle)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "ociVersion", oci_version);
	json_key_string(&w, "id", id);
	json_key_string(&w, "status", status);
	json_key_int(&w, "pid", pid);
	json_key_string(&w, "bundle", bundle);
	json_object_end(&w);
	char *out = NULL;
	return json_writer_take(&w, &out, NULL) == 0 ? out : NULL;
}
