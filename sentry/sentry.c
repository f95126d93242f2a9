/*
 * sentry.c — boot: memory file, platform, kernel, the container's mount tree,
 * the jail, and the first process.  Then wait for the sandbox to end.
 */
#include "sentry/sentry.h"
#include "sentry/control.h" /* OCI: control server */
#include "sentry/fs/devfs.h"
#include "sentry/fs/fs.h"
#include "sentry/fs/gofer_client.h"
#include "sentry/fs/goferfs.h"
#include "sentry/fs/hostfd.h"
#include "sentry/fs/tmpfs.h"
#include "sentry/jail.h"
#include "sentry/kernel/hostcpu.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/oom.h"
#include "sentry/kernel/spawn.h"
#include "sentry/kernel/syscall_table.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/vdso/vdso.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/memfile.h"
#include "sentry/socket/hostinet.h"
#include "sentry/socket/inet.h"
#include "sentry/socket/packet_link.h"
#include "sentry/socket/socket.h"
#include "sentry/mm/pagecache.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"
#include "sentry/watchdog.h"
#include "sentry/console_keys.h"
#include "lib/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#define MEMFILE_LIMIT (64ULL << 30)

/* Wrap the host stdio fds as the files the app gets as 0, 1, 2. */
/* The stdio the runtime hands over, as the app's files.  A terminal given
 * as more than one of them (docker run -it: the pty slave on 0, 1 and 2)
 * is one open file, as runc dups one open of the console onto 0, 1 and 2:
 * so the fd bash takes its terminal from (a dup of 2) answers tcgetpgrp
 * and tcsetpgrp as the console that stdin is. */
static int open_stdio(struct file *out[3], const int stdio[3])
{
	struct stat st[3];
	for (int i = 0; i < 3; i++) {
		out[i] = NULL;
		if (stdio[i] < 0)
			continue;
		if (fstat(stdio[i], &st[i]) < 0)
			return -errno;
		for (int j = 0; j < i && !out[i]; j++) {
			if (out[j] && hostfd_is_tty(out[j]) && S_ISCHR(st[i].st_mode) &&
			    st[j].st_rdev == st[i].st_rdev && st[j].st_dev == st[i].st_dev) {
				file_get(out[j]);
				out[i] = out[j];
			}
		}
		if (out[i])
			continue;
		int fl = fcntl(stdio[i], F_GETFL);
		if (fl < 0)
			return -errno;
		int hfd = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
		if (hfd < 0)
			return -errno;
		out[i] = hostfd_file_new(hfd, fl & (O_ACCMODE | O_APPEND | O_NONBLOCK));
		if (!out[i]) {
			close(hfd);
			return -ENOMEM;
		}
	}
	return 0;
}

static void *pthread_exit_once(void *arg)
{
	pthread_exit(arg);
}

/* The name of a socket option level, for the table of unsupported
 * options the Sentry logs at exit. */
static const char *sockopt_level_name(int level)
{
	switch (level) {
	case 0: return "IPPROTO_IP";
	case 1: return "SOL_SOCKET";
	case 6: return "IPPROTO_TCP";
	case 17: return "IPPROTO_UDP";
	case 41: return "IPPROTO_IPV6";
	case 58: return "IPPROTO_ICMPV6";
	case 255: return "IPPROTO_RAW";
	case 263: return "SOL_PACKET";
	case 270: return "SOL_NETLINK";
	}
	return "?";
}

/* What the app asked of the Sentry, for finding where a workload's time
 * goes without a strace (each of these is a trap or a round trip): the
 * syscalls dispatched, the most called, the page faults, the Gofer's round
 * trips, the platform's requests to its helpers (systrap: one per batch of
 * maps, unmaps and protects sent to a stub's leader) and the ops they
 * carried. */
static void log_sandbox_stats(struct gofer_client *gc, struct platform *plat)
{
	int nrs[10];
	uint64_t counts[10], total;
	int n = syscall_most_called(nrs, counts, 10, &total);
	log_info("stats: %llu syscalls, %llu page faults, %llu gofer round trips",
		 (unsigned long long)total, (unsigned long long)task_fault_count(),
		 (unsigned long long)gofer_client_requests(gc));
	if (plat->ops->stats) {
		struct plat_stats ps = {0};
		plat->ops->stats(plat, &ps);
		log_info("stats: %llu leader requests, %llu address-space ops",
			 (unsigned long long)ps.requests, (unsigned long long)ps.ops);
	}
	/* The netstack service thread's host wake-ups that the Sentry asked for
	 * (a kick: an eventfd write and a context switch) and those it spared,
	 * and the arms of its timer (timerfd_settime) made and spared. */
	if (inet_stack()) {
		uint64_t kicks, held, arms, same;
		inet_stack_counters(&kicks, &held, &arms, &same);
		log_info("stats: netstack: %llu kicks (%llu held back), %llu timer arms (%llu at the "
			 "deadline already armed, skipped)",
			 (unsigned long long)kicks, (unsigned long long)held, (unsigned long long)arms,
			 (unsigned long long)same);
	}
	char line[512];
	if (gofer_client_requests_line(gc, line, sizeof(line)))
		log_info("stats: gofer requests: %s", line);
	size_t len = 0;
	line[0] = 0;
	for (int i = 0; i < n && len < sizeof(line); i++) {
		int w = snprintf(line + len, sizeof(line) - len, "%s%s %llu", i ? ", " : "",
				 syscall_name(nrs[i]), (unsigned long long)counts[i]);
		if (w < 0)
			break;
		len += (size_t)w;
	}
	if (n)
		log_info("stats: most called: %s", line);
}

int sentry_run(const struct sentry_config *cfg)
{
	log_set_prefix("sentry");
	if (cfg->container_id && cfg->container_id[0]) {
		/* Every line names the container (its short id, as docker ps
		 * shows it); the first one the whole id. */
		char prefix[32];
		snprintf(prefix, sizeof(prefix), "sentry %.12s", cfg->container_id);
		log_set_prefix(prefix);
		log_info("container %s", cfg->container_id);
	}
	/* The Sentry's own user namespace, as an unprivileged host id, while
	 * it is still one thread and before the platform forks its stub
	 * template (stubs are born with these credentials).  Not with
	 * --network=host, whose host sockets need the host's privileges in
	 * the host's network namespace (ports below 1024), nor with kvm
	 * (/dev/kvm is for root and group kvm). */
	if (cfg->jail && !cfg->network_host && strcmp(cfg->platform, "kvm")) {
		const char *what = "";
		int ur = sentry_userns_enter(&what);
		if (ur < 0) {
			log_error("jail: own user namespace: %s: %s", what, strerror(-ur));
			return 125;
		}
	}
	struct memfile *mf = NULL;
	int r = memfile_new(MEMFILE_LIMIT, &mf);
	if (r < 0) {
		log_error("memory file: %s", strerror(-r));
		return 125;
	}
	tmpfs_set_memfile(mf);
	goferfs_set_memfile(mf);
	/* The pages page caches keep after the last unmapping are the first
	 * memory given back when the memory file is short. */
	memfile_set_shrinker(mf, pagecache_shrink, NULL);
	/* Before the platform may tie our threads to CPUs, and before the jail. */
	hostcpu_init();
	struct platform *plat = platform_new(cfg->platform, memfile_fd(mf));
	if (!plat) {
		int e = errno;
		if (e == ENOENT) {
			log_error("unknown platform %s (this build has: %s)", cfg->platform,
				  platform_names());
			fprintf(stderr, "visor: unknown platform \"%s\" (this build has: %s)\n",
				cfg->platform, platform_names());
		} else {
			log_error("platform %s: %s", cfg->platform, strerror(e));
			fprintf(stderr, "visor: platform %s: %s\n", cfg->platform, strerror(e));
		}
		return 125;
	}
	struct kernel *k = kernel_new(plat, mf);
	if (!k)
		return 125;
	k->vdso = vdso_new(mf, (int64_t)k->boot_mono.tv_sec * 1000000000LL + k->boot_mono.tv_nsec);
	if (!k->vdso)
		return 125;
	k->strace = cfg->strace;
	k->oci_seccomp = cfg->seccomp_prog;
	k->oci_seccomp_len = cfg->seccomp_len;
	k->oci_seccomp_flags = cfg->seccomp_flags;
	struct sandbox_limits lim = {
		.memory = cfg->mem_limit, .memory_swap = cfg->memsw_limit, .pids = cfg->pids_limit,
		.cpu_quota = cfg->cpu_quota, .cpu_period = cfg->cpu_period,
		.cpu_shares = cfg->cpu_shares};
	limits_set(&lim, false);
	if (cfg->mem_limit > 0)
		memfile_set_limit(mf, (uint64_t)cfg->mem_limit);
	log_info("booting: platform %s, root %s", plat->ops->name,
		 cfg->root_readonly ? "read-only" : "read-write");
	if (cfg->hostname)
		snprintf(k->hostname, sizeof(k->hostname), "%s", cfg->hostname);
	syscalls_register();

	struct gofer_client *gc = gofer_client_new(cfg->gofer_fd);
	if (!gc)
		return 125;
	k->gofer = gc;
	goferfs_set_default_shared(cfg->file_access_shared);
	/* Every file system registers with the VFS; this reads host facts
	 * (procfs), so it comes before the jail. */
	r = fs_register_all(gc);
	if (r == 0) /* the sandbox's netstack: loopback, in both network modes */
		r = inet_stack_start(cfg->network_host   ? INET_NETWORK_HOST
				     : cfg->network_none ? INET_NETWORK_NONE
							 : INET_NETWORK_SANDBOX);
	if (r == 0)
		r = sockets_register(); /* socket families, /proc/net files */
	if (r < 0) {
		log_error("registering file systems: %s", strerror(-r));
		return 125;
	}
	struct vfs_mount *rootm = NULL;
	r = vfs_mount_root("bind-gofer", "/", cfg->root_readonly ? MS_RDONLY : 0, NULL, &rootm);
	if (r < 0) {
		log_error("mounting the root from the gofer: %s", strerror(-r));
		fprintf(stderr, "visor: cannot mount the container root: %s\n", strerror(-r));
		return 125;
	}
	struct vfs_path root = {.mnt = rootm, .dentry = rootm->root};
	struct file *stdio[3];
	r = open_stdio(stdio, cfg->stdio);
	if (r < 0) {
		log_error("stdio: %s", strerror(-r));
		return 125;
	}
	/* A terminal on stdin is the controlling terminal of init's session
	 * (init is pid 1, the first spawn), as runc sets it up; it must be
	 * known before /dev is mounted, where it appears as /dev/pts/0. */
	if (stdio[0] && hostfd_is_tty(stdio[0])) {
		kernel_set_console(k, stdio[0], 1);
		devfs_set_console(stdio[0]);
		/* ^C, ^\, ^Z and resizes at the console reach the guest. */
		r = console_keys_start(k, cfg->stdio[0]);
		if (r < 0 && r != -EBUSY)
			log_warn("console keys: %s", strerror(-r));
	}
	if (sentry_mount_all(&root, cfg->mounts, cfg->nmounts) < 0)
		return 125;
	k->root_fs = fs_context_new(root);
	if (!k->root_fs)
		return 125;
	struct spawn_args sa = {
		.stdio = {stdio[0], stdio[1], stdio[2]},
		.argv = cfg->argv,
		.argc = cfg->argc,
		.envp = cfg->envp,
		.envc = cfg->envc,
		.cwd = cfg->cwd,
		.uid = cfg->uid,
		.gid = cfg->gid,
		.groups = cfg->groups,
		.ngroups = cfg->ngroups,
		.cap_effective = cfg->uid ? 0 : ~0ULL,
		.cap_permitted = cfg->uid ? 0 : ~0ULL,
		.cap_bounding = ~0ULL,
		.umask = (uint32_t)-1,
	};

	if (cfg->jail) {
		/* glibc's pthread_exit loads libgcc_s on first use to unwind: do
		 * it now, while the Sentry can still open files. */
		pthread_t warm;
		if (pthread_create(&warm, NULL, pthread_exit_once, NULL) == 0)
			pthread_join(warm, NULL);
		const char *what = NULL;
		/* the netstack thread's, its packet links' (the receive
		 * ring's drop counters); host mode's sockets (hostinet.c) */
		const struct jail_rules *const net_rules[] = {
		    inet_jail_rules(), packet_link_jail_rules(),
		    cfg->network_host ? hostinet_jail_rules() : NULL, NULL};
		r = sentry_jail(plat, net_rules, &what); /* the netstack thread's */
		if (r < 0) {
			log_error("jail: %s: %s", what, strerror(-r));
			fprintf(stderr, "visor: sentry jail: %s: %s\n", what, strerror(-r));
			return 125;
		}
	}

	/* The netstack's service thread, jailed like the task threads. */
	r = inet_stack_run();
	if (r < 0) {
		log_error("netstack service thread: %s", strerror(-r));
		return 125;
	}
	control_apply_config(&sa, cfg); /* OCI: caps, rlimits, umask, wait-start */
	int pid = control_spawn(k, &sa);
	for (int i = 0; i < 3; i++)
		if (sa.stdio[i])
			file_put(sa.stdio[i]);
	if (control_boot_done(k, cfg, pid) < 0) /* OCI: report to create, serve control */
		return 125;
	if (pid >= 0 && watchdog_start(k) < 0)
		log_warn("watchdog: cannot start: a stub or Gofer killed from outside goes unnoticed");
	if (pid < 0) {
		fprintf(stderr, "visor: cannot run %s: %s\n", cfg->argv[0], strerror(-pid));
		return pid == -ENOENT ? 127 : 126;
	}
	vmutex_lock(&k->done_lock);
	while (!k->done)
		vmutex_cond_wait(&k->done_cond, &k->done_lock);
	vmutex_unlock(&k->done_lock);
	/* What mappings of host files dirtied reaches the host before the
	 * sandbox goes (the processes still running keep their mappings). */
	pagecache_sync_all();
	gofer_client_flush(gc); /* and what the Gofer was told without waiting */
	int st = k->init_status;
	/* init killed by the OOM killer: end as an OOM-killed runc container
	 * does (kernel/oom.h); the host cgroup's limit is the app's + 128 MiB
	 * (runtime/sandbox.c), so going 256 MiB past the app's reaches it. */
	if (cfg->mem_limit > 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL &&
	    oom_was_victim(pid))
		oom_report_to_host((uint64_t)cfg->mem_limit +
				   (cfg->memsw_limit > cfg->mem_limit
					    ? (uint64_t)(cfg->memsw_limit - cfg->mem_limit)
					    : 0) +
				   (256ULL << 20));
	int n = 0;
	int nrs[64];
	uint64_t counts[64];
	log_sandbox_stats(gc, plat);
	n = syscall_unsupported(nrs, counts, 64);
	for (int i = 0; i < n; i++)
		log_info("unsupported syscall %s called %lu times", syscall_name(nrs[i]),
			 (unsigned long)counts[i]);
	int levels[64], optnames[64];
	n = syscall_unsupported_sockopts(levels, optnames, counts, 64);
	for (int i = 0; i < n; i++)
		log_info("unsupported socket option level %d (%s) option %d used %lu times",
			 levels[i], sockopt_level_name(levels[i]), optnames[i],
			 (unsigned long)counts[i]);
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + WTERMSIG(st);
}
