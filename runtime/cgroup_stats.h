/*
 * cgroup_stats.h — what the container's cgroup has counted (CPU time,
 * memory, throttling), written as the "cpu" and "memory" members of runc's
 * stats event (`runc events --stats`: libcontainer's types.Stats), from the
 * v1 hierarchies (cpuacct.*, cpu.stat, memory.*) or the v2 directory
 * (cpu.stat, memory.current, memory.max, memory.stat).
 *
 * Every process of a sandbox (the Sentry, the Gofer, the stubs) is in that
 * cgroup, and the app's memory lives in the Sentry's memory file, which is
 * charged to it: the figures are the sandbox's, as `docker stats` shows them
 * (containerd-shim reads the same files).
 *
 * Owns: reading and converting those files.  Never: writes to the cgroup.
 */
#ifndef VISOR_RUNTIME_CGROUP_STATS_H
#define VISOR_RUNTIME_CGROUP_STATS_H

struct cgroup_fs;
struct json_writer;

/* Write `"cpu":{...},"memory":{...}` (keys of the open "data" object) for
 * the cgroup at rel.  A file that cannot be read leaves its figure out
 * (runc's omitempty), so a missing controller gives an empty object. */
void cgroup_stats_json(const struct cgroup_fs *fs, const char *rel, struct json_writer *w);

#endif
