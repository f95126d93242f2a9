/*
 * cli.c — the command-line parser and the global options; see cli.h.
 *
 * Owns: how argv is read.  Never: prints (the caller says an error in its
 * command's voice) or exits.
 */
#include "runtime/cli.h"
#include "lib/verr.h"
#include "runtime/runtime.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int set_log_format(void *log_json, const char *word, const char *value, struct verr *err)
{
	*(bool *)log_json = !strcmp(value, "json");
	return 0;
}

static const char *const log_formats[] = {"json", "text", NULL};
static const char *const platforms[] = {"ptrace", "systrap", "kvm", NULL};
static const char *const networks[] = {"sandbox", "host", "none", NULL};
static const char *const file_accesses[] = {"exclusive", "shared", NULL};

const struct cli_opt cli_global_options[] = {
    {CLI_VALUE("--root", 0, struct global_opts, root)},
    {CLI_VALUE("--log", 0, struct global_opts, log_path)},
    {CLI_PARSE("--log-format", 0, struct global_opts, log_json, bool, set_log_format),
     .choices = log_formats},
    {CLI_FLAG("--debug", 0, struct global_opts, debug)},
    {CLI_FLAG("--systemd-cgroup", 0, struct global_opts, systemd_cgroup)},
    /* sandbox flags */
    {CLI_VALUE("--platform", 0, struct global_opts, platform), .choices = platforms},
    {CLI_VALUE("--network", 0, struct global_opts, network), .choices = networks},
    {CLI_FLAG("--overlay", 0, struct global_opts, overlay)},
    {CLI_FLAG("--strace", 0, struct global_opts, strace)},
    {CLI_VALUE("--debug-log", 0, struct global_opts, debug_log)},
    {CLI_VALUE("--file-access", 0, struct global_opts, file_access), .choices = file_accesses},
    {0},
};

/* "--platform must be ptrace, systrap or kvm, not bogus" */
static int bad_choice(const struct cli_opt *o, const char *value, struct verr *err)
{
	char list[256] = "";
	size_t n = 0;
	for (size_t i = 0; o->choices[i] && n < sizeof(list); i++) {
		const char *sep = i == 0 ? "" : o->choices[i + 1] ? ", " : " or ";
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", sep, o->choices[i]);
	}
	return verr_set(err, EINVAL, "%s must be %s, not %s", o->name, list, value);
}

static int store(const struct cli_opt *o, void *opts, const char *word, const char *value,
		 struct verr *err)
{
	if (o->choices) {
		size_t i = 0;
		while (o->choices[i] && strcmp(o->choices[i], value))
			i++;
		if (!o->choices[i])
			return bad_choice(o, value, err);
	}
	char *field = (char *)opts + o->offset;
	/* A handler's failure is a bad value, whatever its errno (kept in
	 * err->code): -ENOENT and -E2BIG mean unknown option and unexpected
	 * argument only. */
	if (o->set)
		return o->set(field, word, value, err) < 0 ? -EINVAL : 0;
	if (o->has_value)
		*(const char **)field = value;
	else
		*(bool *)field = true;
	return 0;
}

/* The option word argv[*i] against one table: 1 if it is one of its options
 * (taken, with *i moved past a separate value), 2 if that option is
 * CLI_STOP, 0 if the table does not have it, or a negative errno. */
static int match(const struct cli_opt *table, void *opts, int argc, char **argv, int *i,
		 struct verr *err)
{
	const char *a = argv[*i];
	for (const struct cli_opt *o = table; o && o->name; o++) {
		size_t n = strlen(o->name);
		bool is_long = !strncmp(a, o->name, n) && (a[n] == 0 || a[n] == '=');
		bool is_short = o->short_name && a[1] == o->short_name && a[2] == 0;
		const char *value = NULL;
		if (!is_long && !is_short)
			continue;
		if (is_long && a[n] == '=') {
			if (!o->has_value)
				continue; /* --flag=x: not that flag */
			value = a + n + 1;
		} else if (o->has_value) {
			if (o->flags & CLI_INLINE)
				continue; /* a bare --name: not that option */
			if (*i + 1 >= argc)
				return verr_set(err, EINVAL, "option %s needs a value", a);
			value = argv[++*i];
		}
		if ((o->flags & CLI_NONEMPTY) && value && !value[0])
			return verr_set(err, EINVAL, "option %s needs a non-empty value", o->name);
		int r = store(o, opts, a, value, err);
		if (r < 0)
			return r;
		return (o->flags & CLI_STOP) ? 2 : 1;
	}
	return 0;
}

static bool is_option(const struct cli_command *cmd, const char *a)
{
	if (a[0] != '-' || a[1] == 0)
		return false;
	return !((cmd->flags & CLI_NUMBERS_ARE_ARGS) && isdigit((unsigned char)a[1]));
}

int cli_parse(const struct cli_command *cmd, void *opts, struct global_opts *g, int argc,
	      char **argv, struct cli_result *res, struct verr *err)
{
	memset(res, 0, sizeof(*res));
	int i = 1, r = 0;
	for (; i < argc; i++) {
		char *a = argv[i];
		res->bad = a;
		if ((cmd->flags & CLI_DASHDASH) && !strcmp(a, "--")) {
			i++;
			break;
		}
		if (!is_option(cmd, a)) {
			if (cmd->flags & CLI_STOP_AT_ARG)
				break;
			if (res->nargs < cmd->max_args && res->nargs < CLI_MAX_ARGS)
				res->args[res->nargs++] = a;
			else if (!(cmd->flags & CLI_EXTRA_ARGS_IGNORED))
				return verr_set(err, E2BIG, "unexpected argument %s", a);
			continue;
		}
		r = match(cmd->options, opts, argc, argv, &i, err);
		if (r == 0 && (cmd->flags & CLI_GLOBALS))
			r = match(cli_global_options, g, argc, argv, &i, err);
		if (r == 0 && (cmd->flags & CLI_STOP_AT_UNKNOWN))
			break;
		if (r == 0)
			return verr_set(err, ENOENT, "unknown option %s", a);
		if (r < 0)
			return r;
		if (r == 2) {
			i++;
			break;
		}
	}
	res->bad = NULL;
	res->rest = argv + i;
	res->nrest = argc - i;
	return r == 2 ? 1 : 0;
}
