/*
 * cmd_common.c — what the container commands (cmd_oci.c, cmd_exec.c,
 * cmd_resources.c) share: saying errors as runc does, parsing a command
 * line with its option table, loading a container's state, talking to its
 * Sentry, pid files and JSON output.
 */
#include "runtime/cmd_common.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/log.h"
#include "runtime/sandbox.h"
#include "runtime/state.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int fail(const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "visor: %s\n", msg);
	log_error("%s", msg);
	return 1;
}

/* Say a command-line error as runc does: "visor: create: unknown option
 * --x", "visor: option --bundle needs a value".  Returns -1. */
int say_parse_error(const struct cli_command *c, int r, const struct verr *err)
{
	if (r == -ENOENT || r == -E2BIG)
		fail("%s: %s", c->name, err->msg);
	else
		fail("%s", err->msg);
	return -1;
}

/* Parse a container command's line with its table; the global options are
 * accepted anywhere on it, as runc's.  0, or -1 (said why). */
int parse_line(const struct cli_command *c, void *opts, struct global_opts *g, int argc,
	       char **argv, struct cli_result *res)
{
	struct verr err = {0};
	int r = cli_parse(c, opts, g, argc, argv, res, &err);
	return r < 0 ? say_parse_error(c, r, &err) : 0;
}

/* parse_line, then the container id (the first argument); NULL, said why,
 * when either fails. */
const char *parse_id(const struct cli_command *c, void *opts, struct global_opts *g, int argc,
		     char **argv, struct cli_result *res)
{
	if (parse_line(c, opts, g, argc, argv, res) < 0)
		return NULL;
	if (res->nargs == 0) {
		fail("%s: need a container id", c->name);
		return NULL;
	}
	return res->args[0];
}

int write_pid_file(const char *path, int pid, struct verr *err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", pid);
	int r = write_file_atomic(path, buf, (size_t)n, 0644);
	if (r < 0)
		return verr_errno(err, -r, "writing pid file %s", path);
	return 0;
}

int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* The control requests that carry a signal, into buf (a signal number and
 * an op name always fit in 64 bytes): {"op":OP,"signal":SIG}, with
 * "all":ALL when all is 0 or 1. */
void signal_request(char *buf, size_t size, const char *op, int sig, int all)
{
	struct json_writer w;
	json_writer_init_fixed(&w, buf, size, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "op", op);
	json_key_int(&w, "signal", sig);
	if (all >= 0)
		json_key_bool(&w, "all", all);
	json_object_end(&w);
}

/* Print a finished JSON document on stdout, ending the line; a document
 * that could not be made is an error. */
int print_json(const struct json_writer *w, const char *cmd)
{
	size_t len;
	const char *text = json_writer_text(w, &len);
	if (!text)
		return fail("%s: cannot make the JSON: %s", cmd, strerror(-json_writer_error(w)));
	fputs(text, stdout);
	if (len == 0 || text[len - 1] != '\n')
		fputc('\n', stdout);
	return 0;
}

/* --format of ps and list */
const char *const output_formats[] = {"json", "table", NULL};

/* Read the state of id into st; on failure print why. */
int load_state(struct global_opts *g, const char *id, struct visor_state *st)
{
	struct verr err = {0};
	int r = state_read(g->root, id, st, &err);
	if (r == -ENOENT) {
		fail("container %s does not exist", id);
		return r;
	}
	if (r < 0) {
		fail("%s", err.msg);
		return r;
	}
	return 0;
}

int state_dir_of(struct global_opts *g, const char *id, char *buf, size_t size)
{
	int r = state_dir_path(g->root, id, buf, size);
	if (r < 0)
		fail("bad container id %s", id);
	return r;
}

int control_request_timed(struct global_opts *g, const char *id, const char *req, char **reply,
			  int timeout_ms, struct verr *err)
{
	char dir[PATH_MAX];
	int r = state_dir_path(g->root, id, dir, sizeof(dir));
	if (r < 0)
		return verr_set(err, EINVAL, "bad container id %s", id);
	_cleanup_close_ int fd = control_connect(dir, err);
	if (fd < 0)
		return fd;
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0)
		return verr_errno(err, errno, "control socket timeout");
	r = control_call(fd, req, NULL, 0, reply, err);
	if (r == -EAGAIN || r == -EWOULDBLOCK)
		return verr_set(err, ETIMEDOUT, "the sandbox did not answer within %d ms",
				timeout_ms);
	return r;
}

int control_request(struct global_opts *g, const char *id, const char *req, char **reply,
		    struct verr *err)
{
	return control_request_timed(g, id, req, reply, CONTROL_TIMEOUT_MS, err);
}
