/*
 * cmd_resources.c — a container's resources through its cgroup: pause and
 * resume (the freezer), update (limits) and events (--stats).
 */
#include "runtime/cgroup.h"
#include "runtime/cgroup_stats.h"
#include "runtime/cmd_common.h"
#include "runtime/oci.h"
#include "runtime/sandbox.h"
#include "runtime/state.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/log.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* ---- refusals and minimal events -------------------------------------------------- */

/* pause/resume: the cgroup freezer over the sandbox's cgroup, as runc. */
static const struct cli_command pause_command = {"pause", NULL,
						 CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};
static const struct cli_command resume_command = {"resume", NULL,
						  CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};

static int pause_resume(struct global_opts *g, int argc, char **argv, bool pause)
{
	const char *cmd = pause ? "pause" : "resume";
	struct cli_result res;
	const char *id = parse_id(pause ? &pause_command : &resume_command, NULL, g, argc, argv,
				  &res);
	if (!id)
		return 1;
	struct verr err = {0};
	int lock = state_lock(g->root, id, &err);
	if (lock == -ENOENT)
		return fail("container %s does not exist", id);
	if (lock < 0)
		return fail("%s", err.msg);
	struct visor_state st;
	if (load_state(g, id, &st) < 0) {
		state_unlock(lock);
		return 1;
	}
	int ret = 1;
	const char *live = state_live_status(&st);
	struct oci_config *cfg = NULL;
	if (strcmp(live, pause ? "running" : "paused")) {
		fail("cannot %s a container that is %s", cmd, live);
		goto out;
	}
	if (oci_config_load(st.bundle, &cfg, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	int r = sandbox_cgroup_freeze(cfg->linux_cfg.cgroups_path, pause);
	if (r == -ENOENT && !cfg->linux_cfg.cgroups_path) {
		fail("%s needs linux.cgroupsPath in config.json (the freezer works on the "
		     "sandbox's cgroup)", cmd);
		goto out;
	}
	if (r < 0) {
		fail("%s: cgroup freezer: %s", cmd, strerror(-r));
		goto out;
	}
	snprintf(st.status, sizeof(st.status), "%s", pause ? "paused" : "running");
	if (state_write(g->root, &st, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	ret = 0;
out:
	oci_config_free(cfg);
	state_release(&st);
	state_unlock(lock);
	return ret;
}

int cmd_pause(struct global_opts *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, true);
}

int cmd_resume(struct global_opts *g, int argc, char **argv)
{
	return pause_resume(g, argc, argv, false);
}

/* update's limit flags, in the order of their pointers in cmd_update: where
 * each goes in linux.resources. */
static const struct {
	const char *object, *key;
} update_limits[] = {
	{"memory", "limit"}, {"pids", "limit"}, {"cpu", "quota"}, {"cpu", "period"}, {"cpu", "shares"},
};

/* The limits given (nums[k] non-NULL, value vals[k]) as the resources JSON
 * a -r file would hold: {"memory":{"limit":N},"cpu":{"quota":N,...}}. */
static char *update_limits_json(const char *const *nums, const long long *vals)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	const char *open = NULL;
	for (size_t k = 0; k < ARRAY_SIZE(update_limits); k++) {
		if (!nums[k])
			continue;
		if (!open || strcmp(open, update_limits[k].object)) {
			if (open)
				json_object_end(&w);
			open = update_limits[k].object;
			json_key_object_begin(&w, open);
		}
		json_key_int(&w, update_limits[k].key, vals[k]);
	}
	if (open)
		json_object_end(&w);
	json_object_end(&w);
	char *out = NULL;
	return json_writer_take(&w, &out, NULL) == 0 ? out : NULL;
}

/* A config.json whose linux.resources is the text res (checked by the
 * config parser that reads it, not here). */
static int update_config_json(const char *res, size_t len, char **out, size_t *outlen)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "ociVersion", "1.0.2");
	json_key_object_begin(&w, "root");
	json_key_string(&w, "path", "/");
	json_object_end(&w);
	json_key_object_begin(&w, "linux");
	json_key(&w, "resources");
	json_raw(&w, res, len);
	json_object_end(&w);
	json_object_end(&w);
	return json_writer_take(&w, out, outlen);
}

/* update: new linux.resources (runc's -r FILE|- JSON, or the common flags)
 * written to the sandbox's cgroup.  Applied: memory limit, pids limit, cpu
 * quota/period/shares; the other fields of the JSON are not (see oci.h). */
struct update_opts {
	const char *resources;
	const char *limits[ARRAY_SIZE(update_limits)];
};

/* The limit flags in the order of update_limits. */
static const struct cli_opt update_options[] = {
	{CLI_VALUE("--resources", 'r', struct update_opts, resources)},
	{CLI_VALUE("--memory", 'm', struct update_opts, limits[0])},
	{CLI_VALUE("--pids-limit", 0, struct update_opts, limits[1])},
	{CLI_VALUE("--cpu-quota", 0, struct update_opts, limits[2])},
	{CLI_VALUE("--cpu-period", 0, struct update_opts, limits[3])},
	{CLI_VALUE("--cpu-share", 0, struct update_opts, limits[4])},
	{0},
};

static const struct cli_command update_command = {"update", update_options, CLI_GLOBALS, 1};

int cmd_update(struct global_opts *g, int argc, char **argv)
{
	struct update_opts o = {0};
	struct cli_result cli;
	struct verr err = {0};
	int r = cli_parse(&update_command, &o, g, argc, argv, &cli, &err);
	if (r == -ENOENT)
		return fail("update: option %s is not supported by visor (it applies -r, --memory, "
			    "--pids-limit, --cpu-quota, --cpu-period, --cpu-share)",
			    cli.bad);
	if (r < 0)
		return say_parse_error(&update_command, r, &err), 1;
	if (cli.nargs == 0)
		return fail("update: need a container id");
	const char *id = cli.args[0], *resfile = o.resources;
	const char *const *nums = o.limits;
	/* Flags become the same JSON a resources file holds; numbers only. */
	long long vals[ARRAY_SIZE(update_limits)];
	bool any = false;
	for (size_t k = 0; k < ARRAY_SIZE(update_limits); k++) {
		if (!nums[k])
			continue;
		char *end;
		errno = 0;
		vals[k] = strtoll(nums[k], &end, 10);
		if (errno || *end || end == nums[k])
			return fail("update: %s is not a number (sizes in bytes)", nums[k]);
		any = true;
	}
	if (!resfile && !any)
		return fail("update: nothing to update (give -r FILE or a limit flag)");
	_cleanup_free_ char *res = NULL;
	size_t rlen = 0;
	if (resfile && !strcmp(resfile, "-")) {
		size_t cap = 0;
		FILE *f = open_memstream(&res, &cap);
		char buf[4096];
		size_t n;
		while (f && (n = fread(buf, 1, sizeof(buf), stdin)) > 0 && cap < OCI_CONFIG_MAX)
			fwrite(buf, 1, n, f);
		if (!f || fclose(f) != 0)
			return fail("update: reading the resources from stdin failed");
		rlen = strlen(res);
	} else if (resfile) {
		r = read_file(resfile, OCI_CONFIG_MAX, &res, &rlen);
		if (r < 0)
			return fail("update: cannot read %s: %s", resfile, strerror(-r));
	} else {
		res = update_limits_json(nums, vals);
		rlen = res ? strlen(res) : 0;
	}
	if (!res)
		return fail("update: out of memory");
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	const char *live = state_live_status(&st);
	struct oci_config *cur = NULL, *upd = NULL;
	int ret = 1;
	char *doc = NULL;
	if (!strcmp(live, "stopped")) {
		fail("cannot update a stopped container");
		goto out;
	}
	if (oci_config_load(st.bundle, &cur, &err) < 0) {
		fail("%s", err.msg);
		goto out;
	}
	/* The resources JSON parsed by the config parser, as config.json's
	 * linux.resources, so the checks are the same. */
	size_t doclen = 0;
	if (update_config_json(res, rlen, &doc, &doclen) < 0) {
		fail("update: out of memory");
		goto out;
	}
	if (oci_config_parse(doc, doclen, &upd, &err) < 0) {
		fail("update: %s", err.msg);
		goto out;
	}
	free(upd->linux_cfg.cgroups_path);
	upd->linux_cfg.cgroups_path = cur->linux_cfg.cgroups_path ? strdup(cur->linux_cfg.cgroups_path)
								  : NULL;
	if (sandbox_cgroup_update(upd, &err) < 0) {
		fail("update: %s", err.msg);
		goto out;
	}
	/* The limits the app sees and meets are the Sentry's
	 * (sentry/kernel/limits.h): tell it. */
	const struct oci_resources *ur = &upd->linux_cfg.resources;
	char req[512], *reply = NULL;
	snprintf(req, sizeof(req),
		 "{\"op\":\"limits\",\"memory\":%lld,\"memory_swap\":%lld,\"pids\":%lld,"
		 "\"cpu_quota\":%lld,\"cpu_period\":%lld,\"cpu_shares\":%lld}",
		 ur->has_memory_limit ? (long long)ur->memory_limit : 0LL,
		 ur->has_memory_swap ? (long long)ur->memory_swap : 0LL,
		 ur->has_pids_limit ? (long long)ur->pids_limit : 0LL,
		 ur->has_cpu_quota ? (long long)ur->cpu_quota : 0LL,
		 ur->has_cpu_period ? (long long)ur->cpu_period : 0LL,
		 ur->has_cpu_shares ? (long long)ur->cpu_shares : 0LL);
	if (!strcmp(live, "paused")) {
		/* Frozen, it cannot answer: the host's limits hold meanwhile. */
		log_warn("update: %s is paused: its Sentry keeps its limits until restarted", id);
	} else if (control_request(g, id, req, &reply, &err) < 0) {
		fail("update: the sandbox did not take the new limits: %s", err.msg);
		goto out;
	}
	free(reply);
	ret = 0;
out:
	free(doc);
	oci_config_free(cur);
	oci_config_free(upd);
	state_release(&st);
	return ret;
}

struct events_opts {
	bool stats;
	const char *interval; /* accepted: one figure, printed once */
};

static const struct cli_opt events_options[] = {
	{CLI_FLAG("--stats", 0, struct events_opts, stats)},
	{CLI_VALUE("--interval", 0, struct events_opts, interval)},
	{0},
};
static const struct cli_command events_command = {"events", events_options,
						  CLI_GLOBALS | CLI_EXTRA_ARGS_IGNORED, 1};

int cmd_events(struct global_opts *g, int argc, char **argv)
{
	struct events_opts o = {0};
	struct cli_result res;
	const char *id = parse_id(&events_command, &o, g, argc, argv, &res);
	if (!id)
		return 1;
	bool stats = o.stats;
	if (!stats)
		return fail("events: only --stats is supported by visor");
	struct visor_state st;
	if (load_state(g, id, &st) < 0)
		return 1;
	bool stopped = !strcmp(state_live_status(&st), "stopped");
	/* The cgroup every process of the sandbox is in (none without a
	 * linux.cgroupsPath: then only the app's pids are known). */
	struct cgroup_fs cgfs;
	char cgrel[512] = "";
	bool cg = false;
	struct oci_config *cfg = NULL;
	if (oci_config_load(st.bundle, &cfg, NULL) == 0 && cfg->linux_cfg.cgroups_path &&
	    cfg->linux_cfg.cgroups_path[0]) {
		cgroup_fs_host(&cgfs);
		cg = cgroup_path_resolve(cfg->linux_cfg.cgroups_path, cgrel, sizeof(cgrel), NULL) ==
		     0;
	}
	oci_config_free(cfg);
	state_release(&st);
	long long npids = 0;
	char *reply = NULL;
	struct verr err = {0};
	if (!stopped && control_request(g, id, "{\"op\":\"ps\"}", &reply, &err) == 0) {
		const char *lst = strstr(reply, "\"pids\":[");
		for (const char *q = lst ? lst + 8 : NULL; q && *q && *q != ']'; q++)
			if (isdigit((unsigned char)*q) && (q[-1] == '[' || q[-1] == ','))
				npids++;
		free(reply);
	}
	/* runc's stats event: CPU and memory from the sandbox's cgroup (the
	 * app's memory is the Sentry's memory file, charged to it), the pids
	 * the app sees from the Sentry. */
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, NULL, 0);
	json_object_begin(&w);
	json_key_string(&w, "type", "stats");
	json_key_string(&w, "id", id);
	json_key_object_begin(&w, "data");
	if (cg && !stopped)
		cgroup_stats_json(&cgfs, cgrel, &w);
	json_key_object_begin(&w, "pids");
	json_key_int(&w, "current", npids);
	json_object_end(&w);
	json_object_end(&w);
	json_object_end(&w);
	return print_json(&w, "events");
}
