/*
 * cmd_common.h — helpers of the container commands (cmd_common.c).
 */
#ifndef VISOR_RUNTIME_CMD_COMMON_H
#define VISOR_RUNTIME_CMD_COMMON_H

#include <stddef.h>

#include "lib/verr.h"
#include "runtime/cli.h"
#include "runtime/runtime.h"

struct json_writer;
struct visor_state;

/* Say msg as runc does ("visor: MSG" on stderr and in the log); returns 1,
 * the exit status. */
int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Say a command-line error as runc does: "visor: create: unknown option
 * --x", "visor: option --bundle needs a value".  Returns -1. */
int say_parse_error(const struct cli_command *c, int r, const struct verr *err);
/* Parse a container command's line with its table; the global options are
 * accepted anywhere on it, as runc's.  0, or -1 (said why). */
int parse_line(const struct cli_command *c, void *opts, struct global_opts *g, int argc,
	       char **argv, struct cli_result *res);
/* parse_line, then the container id (the first argument); NULL, said why,
 * when either fails. */
const char *parse_id(const struct cli_command *c, void *opts, struct global_opts *g, int argc,
		     char **argv, struct cli_result *res);
int write_pid_file(const char *path, int pid, struct verr *err);
/* A wait status as an exit code: the code, or 128 + the signal. */
int status_code(int st);
/* The control requests that carry a signal, into buf (a signal number and
 * an op name always fit in 64 bytes): {"op":OP,"signal":SIG}, with
 * "all":ALL when all is 0 or 1. */
void signal_request(char *buf, size_t size, const char *op, int sig, int all);
/* Print a finished JSON document on stdout, ending the line; a document
 * that could not be made is an error. */
int print_json(const struct json_writer *w, const char *cmd);
/* --format of ps and list */
extern const char *const output_formats[];
/* Read the state of id into st; on failure print why. */
int load_state(struct global_opts *g, const char *id, struct visor_state *st);
int state_dir_of(struct global_opts *g, const char *id, char *buf, size_t size);
/* One request to a container's Sentry; reply freed by the caller.  A
 * Sentry that does not answer within CONTROL_TIMEOUT_MS (stopped, wedged)
 * fails it with -ETIMEDOUT rather than hang the shim. */
#define CONTROL_TIMEOUT_MS 10000
int control_request(struct global_opts *g, const char *id, const char *req, char **reply,
		    struct verr *err);
int control_request_timed(struct global_opts *g, const char *id, const char *req, char **reply,
			  int timeout_ms, struct verr *err);

#endif
