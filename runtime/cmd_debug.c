/*
 * cmd_debug.c — `visor debug --unsupported ID`: what a running sandbox was
 * asked for and does not offer, from its Sentry's counts (the control op
 * "unsupported", sentry/control.h): each syscall without a handler the app
 * called (answered ENOSYS), and each socket option refused (ENOPROTOOPT),
 * with how many times.  The same table goes to the Sentry's log when it
 * exits.
 */
#include "runtime/cmd_common.h"
#include "runtime/runtime.h"
#include "runtime/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

struct debug_opts {
	bool unsupported;
};

static const struct cli_opt debug_options[] = {
	{CLI_FLAG("--unsupported", 0, struct debug_opts, unsupported)},
	{0},
};
static const struct cli_command debug_command = {"debug", debug_options, CLI_GLOBALS, 1};

static long long get_int(yajl_val o, const char *key)
{
	const char *path[] = {key, NULL};
	yajl_val v = yajl_tree_get(o, path, yajl_t_number);
	return v && YAJL_IS_INTEGER(v) ? YAJL_GET_INTEGER(v) : -1;
}

static void print_table(yajl_val root)
{
	const char *sys_path[] = {"syscalls", NULL}, *opt_path[] = {"sockopts", NULL};
	yajl_val calls = yajl_tree_get(root, sys_path, yajl_t_array);
	yajl_val opts = yajl_tree_get(root, opt_path, yajl_t_array);
	size_t nc = calls ? calls->u.array.len : 0, no = opts ? opts->u.array.len : 0;
	printf("%-24s %5s %10s\n", "SYSCALL", "NR", "COUNT");
	for (size_t i = 0; i < nc; i++) {
		yajl_val e = calls->u.array.values[i];
		const char *name_path[] = {"name", NULL};
		yajl_val name = yajl_tree_get(e, name_path, yajl_t_string);
		printf("%-24s %5lld %10lld\n", name ? YAJL_GET_STRING(name) : "?",
		       get_int(e, "nr"), get_int(e, "count"));
	}
	if (no) {
		printf("\n%-12s %8s %10s\n", "SOCKOPT", "OPTNAME", "COUNT");
		for (size_t i = 0; i < no; i++) {
			yajl_val e = opts->u.array.values[i];
			printf("level %-6lld %8lld %10lld\n", get_int(e, "level"),
			       get_int(e, "optname"), get_int(e, "count"));
		}
	}
}

int cmd_debug(struct global_opts *g, int argc, char **argv)
{
	struct debug_opts o = {0};
	struct cli_result res;
	const char *id = parse_id(&debug_command, &o, g, argc, argv, &res);
	if (!id)
		return 1;
	if (!o.unsupported)
		return fail("debug: say what to show: --unsupported");
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	bool stopped = !strcmp(state_live_status(&st), "stopped");
	state_release(&st);
	if (stopped)
		return fail("debug: container %s is not running (its Sentry logged the table "
			    "when it exited)",
			    id);
	char *reply = NULL;
	struct verr err = {0};
	if (control_request(g, id, "{\"op\":\"unsupported\"}", &reply, &err) < 0)
		return fail("debug: %s", err.msg);
	char ebuf[128];
	yajl_val root = reply ? yajl_tree_parse(reply, ebuf, sizeof(ebuf)) : NULL;
	free(reply);
	if (!YAJL_IS_OBJECT(root)) {
		yajl_tree_free(root);
		return fail("debug: malformed reply from the sandbox");
	}
	print_table(root);
	yajl_tree_free(root);
	return 0;
}
