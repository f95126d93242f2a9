/*
 * procfs.c — /proc: per-process directories and the system files that
 * glibc, busybox ps/top, and shells read.
 *
 * Built on the VFS's synthetic-file helpers: every file's content is made at
 * open time from the kernel's state, so a read sees one consistent snapshot.
 * A process's files format the snapshot the kernel fills under its own locks
 * (sentry/kernel/proc.h); procfs takes no kernel lock itself.
 * Nothing here reads a host file; host facts (CPU model) are captured at boot
 * before the jail (procfs_init).
 */
#include "sentry/fs/proc_fdinfo.h"
#include "sentry/fs/procfs.h"
#include "sentry/kernel/hostcpu.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/oom.h"
#include "sentry/kernel/ns.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/proc.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define PROC_SUPER_MAGIC 0x9fa0

static char *host_cpuinfo;
static size_t host_cpuinfo_len;

/* ---- a growable text buffer ---- */
struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void tb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->oom)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		size_t room = b->cap - b->len;
		int n = vsnprintf(b->p ? b->p + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return;
		}
		size_t ncap = (b->cap ? b->cap * 2 : 512) + (size_t)n;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
}

static void tb_put(struct sbuf *b, const void *data, size_t len)
{
	if (b->oom)
		return;
	if (b->len + len + 1 > b->cap) {
		size_t ncap = b->len + len + 512;
		char *np = realloc(b->p, ncap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = ncap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = 0;
}

static char *tb_done(struct sbuf *b, size_t *len)
{
	if (b->oom) {
		free(b->p);
		return NULL;
	}
	if (!b->p) {
		b->p = malloc(1);
		if (!b->p)
			return NULL;
		b->p[0] = 0;
	}
	*len = b->len;
	return b->p;
}

#define PID_ARG(a) ((int)(intptr_t)(a))

/* ---- /proc/<pid>/... ---- */

/* Formats one file of /proc/PID from the kernel's snapshot of the process. */
typedef void (*proc_fmt_fn)(struct sbuf *b, const struct proc_snapshot *s);

/* The file's content, or NULL when process pid is gone (or out of memory). */
static char *gen_from_snapshot(struct task *t, void *arg, unsigned want, proc_fmt_fn fmt,
			       size_t *len)
{
	struct proc_snapshot s;
	if (kernel_proc_snapshot(t->k, PID_ARG(arg), want, &s) < 0)
		return NULL;
	struct sbuf b = {0};
	fmt(&b, &s);
	proc_snapshot_release(&s);
	return tb_done(&b, len);
}

static char state_char(const struct proc_snapshot *s)
{
	if (s->zombie)
		return 'Z';
	if (s->tracing_stop)
		return 't';
	if (s->stopped)
		return 'T';
	return s->running ? 'R' : 'S';
}

static void fmt_status(struct sbuf *b, const struct proc_snapshot *s)
{
	const struct creds *c = s->creds;
	tb_printf(b, "Name:\t%s\n", s->comm);
	tb_printf(b, "Umask:\t%04o\n", 022);
	tb_printf(b, "State:\t%c (%s)\n", state_char(s),
		  s->zombie	    ? "zombie"
		  : s->tracing_stop ? "tracing stop"
		  : s->stopped	    ? "stopped"
		  : s->running	    ? "running"
				    : "sleeping");
	tb_printf(b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t%d\n", s->tgid,
		  s->tgid, s->ppid, s->tracer_pid);
	if (c) {
		tb_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", c->ruid, c->euid, c->suid, c->fsuid);
		tb_printf(b, "Gid:\t%u\t%u\t%u\t%u\n", c->rgid, c->egid, c->sgid, c->fsgid);
		tb_printf(b, "FDSize:\t64\nGroups:\t");
		for (int i = 0; i < c->ngroups; i++)
			tb_printf(b, "%u ", c->groups[i]);
		tb_printf(b, "\n");
	}
	tb_printf(b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", s->tgid, s->tgid,
		  s->pgid, s->sid);
	if (!s->zombie) {
		tb_printf(b, "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n",
			  (unsigned long)(s->vsize >> 10), (unsigned long)(s->vsize >> 10),
			  (unsigned long)(s->locked >> 10), 0UL);
		tb_printf(b, "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\n", (unsigned long)(s->rss >> 10),
			  (unsigned long)(s->rss >> 10));
	}
	tb_printf(b, "Threads:\t%d\n", s->nthreads);
	tb_printf(b, "SigQ:\t0/%lu\n", (unsigned long)s->rlimits[RLIMIT_SIGPENDING].rlim_cur);
	tb_printf(b, "SigPnd:\t%016llx\n", (unsigned long long)s->sig_pending);
	tb_printf(b, "ShdPnd:\t%016llx\n", (unsigned long long)s->sig_shared);
	tb_printf(b, "SigBlk:\t%016llx\n", (unsigned long long)s->sig_blocked);
	tb_printf(b, "SigIgn:\t%016llx\nSigCgt:\t%016llx\n", (unsigned long long)s->sig_ignored,
		  (unsigned long long)s->sig_caught);
	if (c) {
		tb_printf(b, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n",
			  (unsigned long long)c->cap_inheritable,
			  (unsigned long long)c->cap_permitted,
			  (unsigned long long)c->cap_effective);
		tb_printf(b, "CapBnd:\t%016llx\nCapAmb:\t%016llx\nNoNewPrivs:\t%d\n",
			  (unsigned long long)c->cap_bounding, 0ULL, c->no_new_privs ? 1 : 0);
	}
	tb_printf(b, "Seccomp:\t%d\nSeccomp_filters:\t%d\n", s->seccomp_mode, s->seccomp_filters);
	long ncpu = hostcpu_online();
	tb_printf(b, "Cpus_allowed_list:\t0-%ld\n", ncpu > 0 ? ncpu - 1 : 0);
	tb_printf(b, "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

static char *gen_status(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, PROC_SNAP_USAGE, fmt_status, len);
}

static void fmt_stat(struct sbuf *b, const struct proc_snapshot *s)
{
	const uint64_t hz = 100, ns_per_tick = 1000000000ULL / hz;
	/* Fields as proc(5) numbers them; unknowns are 0. */
	tb_printf(b,
		  "%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %lu %lu %lu %lu %d %d %d 0 %lu %lu %lu "
		  "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 %d %d 0 0 0 0 0 0 0 0 0 0 0 %d\n",
		  s->tgid, s->comm, state_char(s), s->ppid, s->pgid, s->sid,
		  (unsigned long)(s->utime_ns / ns_per_tick),
		  (unsigned long)(s->stime_ns / ns_per_tick),
		  (unsigned long)(s->cutime_ns / ns_per_tick),
		  (unsigned long)(s->cstime_ns / ns_per_tick),
		  /* priority as Linux's task_prio: -1 - rt priority, or 20 + nice */
		  s->sched_priority ? -1 - s->sched_priority : 20 + s->sched_nice, s->sched_nice,
		  s->nthreads, (unsigned long)(s->start_ns / ns_per_tick), (unsigned long)s->vsize,
		  (unsigned long)(s->rss / 4096), s->sched_priority, s->sched_policy,
		  s->zombie ? s->exit_status : 0);
}

static char *gen_stat(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, PROC_SNAP_USAGE, fmt_stat, len);
}

static void fmt_statm(struct sbuf *b, const struct proc_snapshot *s)
{
	tb_printf(b, "%lu %lu 0 0 0 0 0\n", (unsigned long)(s->vsize / 4096),
		  (unsigned long)(s->rss / 4096));
}

static char *gen_statm(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, PROC_SNAP_USAGE, fmt_statm, len);
}

/* As Linux: a zombie's cmdline is empty (the snapshot has none). */
static void fmt_cmdline(struct sbuf *b, const struct proc_snapshot *s)
{
	if (s->cmdline)
		tb_put(b, s->cmdline, s->cmdline_len);
}

static char *gen_cmdline(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, PROC_SNAP_CMDLINE, fmt_cmdline, len);
}

/* The environment the last execve gave the process (as Linux reads it from
 * env_start..env_end of its stack, which apps seldom rewrite); empty for a
 * zombie.  Read by ps e, psutil, debuggers. */
static void fmt_environ(struct sbuf *b, const struct proc_snapshot *s)
{
	if (s->environ)
		tb_put(b, s->environ, s->environ_len);
}

static char *gen_environ(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, PROC_SNAP_ENVIRON, fmt_environ, len);
}

static void fmt_comm(struct sbuf *b, const struct proc_snapshot *s)
{
	tb_printf(b, "%s\n", s->comm);
}

static char *gen_comm(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, 0, fmt_comm, len);
}

/* /proc/PID/wchan: "0", no newline, what Linux prints for a running task
 * or one whose kernel stack it cannot name; the Sentry's tasks wait in no
 * kernel function.  ps shows it as "-" (a missing file as "?"). */
static char *gen_wchan(struct task *t, void *arg, size_t *len)
{
	char *s = strdup("0");
	if (s)
		*len = 1;
	return s;
}

/* /proc/PID/io, as Linux's do_io_accounting prints it (sys_rw.c counts). */
static void fmt_io(struct sbuf *b, const struct proc_snapshot *s)
{
	tb_printf(b,
		  "rchar: %llu\nwchar: %llu\nsyscr: %llu\nsyscw: %llu\nread_bytes: 0\n"
		  "write_bytes: %llu\ncancelled_write_bytes: 0\n",
		  (unsigned long long)s->io_rchar, (unsigned long long)s->io_wchar,
		  (unsigned long long)s->io_syscr, (unsigned long long)s->io_syscw,
		  (unsigned long long)s->io_write_bytes);
}

static char *gen_io(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, 0, fmt_io, len);
}

static void maps_line(const struct mm_vma_info *v, void *arg)
{
	struct sbuf *b = arg;
	int n0 = (int)b->len;
	tb_printf(b, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", (unsigned long)v->start,
		  (unsigned long)v->end, (v->prot & 1) ? 'r' : '-', (v->prot & 2) ? 'w' : '-',
		  (v->prot & 4) ? 'x' : '-', v->shared ? 's' : 'p', (unsigned long)v->offset,
		  (unsigned)((v->dev >> 8) & 0xfff), (unsigned)(v->dev & 0xff),
		  (unsigned long)v->ino);
	if (v->name) {
		int w = (int)b->len - n0;
		tb_printf(b, "%*s%s", w < 73 ? 73 - w : 1, "", v->name);
	}
	tb_printf(b, "\n");
}

static void fmt_maps(struct sbuf *b, const struct proc_snapshot *s)
{
	if (s->mm)
		mm_for_each_vma(s->mm, maps_line, b);
}

static char *gen_maps(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, PROC_SNAP_MM, fmt_maps, len);
}

/* A limit as /proc/PID/limits shows it. */
static void rlim_str(char *buf, size_t size, rlim_t v)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%lu", (unsigned long)v);
}

static void fmt_limits(struct sbuf *b, const struct proc_snapshot *snap)
{
	static const struct {
		const char *name, *unit;
	} rl[RLIM_NLIMITS] = {
		[RLIMIT_CPU] = {"Max cpu time", "seconds"},
		[RLIMIT_FSIZE] = {"Max file size", "bytes"},
		[RLIMIT_DATA] = {"Max data size", "bytes"},
		[RLIMIT_STACK] = {"Max stack size", "bytes"},
		[RLIMIT_CORE] = {"Max core file size", "bytes"},
		[RLIMIT_RSS] = {"Max resident set", "bytes"},
		[RLIMIT_NPROC] = {"Max processes", "processes"},
		[RLIMIT_NOFILE] = {"Max open files", "files"},
		[RLIMIT_MEMLOCK] = {"Max locked memory", "bytes"},
		[RLIMIT_AS] = {"Max address space", "bytes"},
		[RLIMIT_LOCKS] = {"Max file locks", "locks"},
		[RLIMIT_SIGPENDING] = {"Max pending signals", "signals"},
		[RLIMIT_MSGQUEUE] = {"Max msgqueue size", "bytes"},
		[RLIMIT_NICE] = {"Max nice priority", ""},
		[RLIMIT_RTPRIO] = {"Max realtime priority", ""},
		[RLIMIT_RTTIME] = {"Max realtime timeout", "us"},
	};
	tb_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		char s[32], h[32];
		rlim_str(s, sizeof(s), snap->rlimits[i].rlim_cur);
		rlim_str(h, sizeof(h), snap->rlimits[i].rlim_max);
		tb_printf(b, "%-25s %-20s %-20s %-10s\n", rl[i].name ? rl[i].name : "", s, h,
			  rl[i].unit ? rl[i].unit : "");
	}
}

static void fmt_auxv(struct sbuf *b, const struct proc_snapshot *s)
{
	if (s->auxv)
		tb_put(b, s->auxv, s->auxv_len);
}

static char *gen_auxv(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, PROC_SNAP_AUXV, fmt_auxv, len);
}

/* /proc/PID/mem: the process's memory at the file offset, as a debugger
 * sees it (ptrace.c decides who may and how). */
static ssize_t mem_read(struct task *t, void *arg, char *buf, size_t len, uint64_t pos)
{
	return ptrace_access_mem(t, PID_ARG(arg), pos, buf, len, false);
}

static ssize_t mem_write(struct task *t, void *arg, const char *buf, size_t len, uint64_t pos)
{
	return ptrace_access_mem(t, PID_ARG(arg), pos, (void *)buf, len, true);
}

static char *gen_limits(struct task *t, void *arg, size_t *len)
{
	return gen_from_snapshot(t, arg, 0, fmt_limits, len);
}

/* The file, cwd or root of a process, as a path in the opener's root. */
static char *path_of(struct task *t, const struct vfs_path *p)
{
	if (!p->mnt)
		return NULL;
	struct vfs_path root;
	fs_context_root(t->fs, &root);
	char *buf = malloc(4096);
	if (buf && vfs_path_name(p, &root, buf, 4096) < 0) {
		free(buf);
		buf = NULL;
	}
	path_put(&root);
	return buf;
}

/* One thing of process pid, taken out of its snapshot: want is PROC_SNAP_FS
 * (a reference to its fs context), PROC_SNAP_FDT (to its fd table) or
 * PROC_SNAP_EXE (to its executable's file).  NULL when the process is gone
 * or a zombie. */
static void *pid_take(struct kernel *k, int pid, unsigned want)
{
	struct proc_snapshot s;
	if (kernel_proc_snapshot(k, pid, want, &s) < 0)
		return NULL;
	void *p = want == PROC_SNAP_FS ? (void *)s.fs
		  : want == PROC_SNAP_FDT ? (void *)s.fdt
					  : (void *)s.exe_file;
	s.fs = NULL;
	s.fdt = NULL;
	s.exe_file = NULL;
	proc_snapshot_release(&s);
	return p;
}

static struct fs_context *pid_fs(struct kernel *k, int pid)
{
	return pid_take(k, pid, PROC_SNAP_FS);
}

/* cwd and root links: the path of one of the process's fs_context paths. */
static char *fs_path_link(struct task *t, void *arg,
			  void (*get)(struct fs_context *fs, struct vfs_path *out))
{
	struct fs_context *fs = pid_fs(t->k, PID_ARG(arg));
	if (!fs)
		return NULL;
	struct vfs_path p;
	get(fs, &p);
	char *r = path_of(t, &p);
	path_put(&p);
	fs_context_put(fs);
	return r;
}

static char *link_cwd(struct task *t, void *arg)
{
	return fs_path_link(t, arg, fs_context_cwd);
}

static char *link_root(struct task *t, void *arg)
{
	return fs_path_link(t, arg, fs_context_root);
}

/* exe: a magic link to the file the process executed, as Linux's: its
 * path is the file's own (symlinks in the execve path resolved, " (deleted)"
 * once unlinked), and opening it reopens that file. */
static struct file *file_exe(struct task *t, void *arg)
{
	return pid_take(t->k, PID_ARG(arg), PROC_SNAP_EXE);
}

/* fd/N: arg packs (pid << 32 | fd).  A magic link: readlink shows the
 * file's path (or pipe:[N]...), and opening it reopens the file itself, so
 * /dev/stdout and deleted files work as on Linux. */
static struct file *file_fd(struct task *t, void *arg)
{
	uint64_t v = (uint64_t)(uintptr_t)arg;
	int pid = (int)(v >> 32), fd = (int)(v & 0xffffffff);
	struct fd_table *fdt = proc_pid_fdt(t->k, pid);
	if (!fdt)
		return NULL;
	struct file *f = fdt_get_file(fdt, fd);
	fdt_put(fdt);
	return f;
}

/* What only a process that could ptrace-read pid may follow or read
 * (Linux's proc_fd_access_allowed): the exe, cwd and root links of
 * /proc/PID, and fd/N (whose arg also packs the fd).  (environ, auxv and
 * maps of another user's process, Linux 6.18 lets root without
 * CAP_SYS_PTRACE open and read: conformance proc_ptrace_read.) */
static int access_pid(struct task *t, void *arg) { return kernel_proc_may_read(t, PID_ARG(arg)); }

static int access_fd(struct task *t, void *arg)
{
	return kernel_proc_may_read(t, (int)((uint64_t)(uintptr_t)arg >> 32));
}

static void fd_dir_list(struct task *t, void *arg,
			int (*emit)(void *ectx, const char *name, unsigned int type), void *ectx)
{
	proc_list_fds(t, PID_ARG(arg), 10 /* DT_LNK */, emit, ectx);
}

static struct superblock *proc_sb;

struct superblock *procfs_sb(void)
{
	return proc_sb;
}

static int fd_dir_lookup(struct task *t, void *arg, const char *name, struct inode **out)
{
	char *end;
	long fd = strtol(name, &end, 10);
	if (*end || end == name || fd < 0 || fd > 0x7fffffff)
		return -ENOENT;
	struct fd_table *fdt = proc_pid_fdt(t->k, PID_ARG(arg));
	if (!fdt)
		return -ENOENT;
	struct file *f = fdt_get_file(fdt, (int)fd);
	fdt_put(fdt);
	if (!f)
		return -ENOENT;
	file_put(f);
	uint64_t v = ((uint64_t)(uint32_t)PID_ARG(arg) << 32) | (uint64_t)fd;
	*out = vfs_synth_magiclink_new(proc_sb, file_fd, (void *)(uintptr_t)v, NULL);
	if (*out)
		vfs_synth_set_access(*out, access_fd);
	return *out ? 0 : -ENOMEM;
}

static char *gen_mounts(struct task *t, void *arg, size_t *len);

static int add_file(struct inode *dir, const char *name, uint32_t mode, vfs_synth_gen_fn gen,
		    void *arg)
{
	struct inode *i = vfs_synth_file_new(proc_sb, S_IFREG | mode, gen, arg, NULL);
	if (!i)
		return -ENOMEM;
	return vfs_synth_dir_add(dir, name, i);
}

static int add_link(struct inode *dir, const char *name, vfs_synth_link_fn fn, void *arg)
{
	struct inode *i = vfs_synth_symlink_new(proc_sb, fn, arg, NULL);
	if (!i)
		return -ENOMEM;
	return vfs_synth_dir_add(dir, name, i);
}

/* A /proc/PID link only who may ptrace-read PID follows (access_pid). */
static int add_private_link(struct inode *dir, const char *name, vfs_synth_link_fn fn, void *arg)
{
	struct inode *i = vfs_synth_symlink_new(proc_sb, fn, arg, NULL);
	if (!i)
		return -ENOMEM;
	vfs_synth_set_access(i, access_pid);
	return vfs_synth_dir_add(dir, name, i);
}

/* uid_map, gid_map, projid_map and setgroups: the sandbox's processes are
 * in the initial user namespace, as a runc container without a user
 * namespace, so every id maps to itself. */
static char *gen_id_map(struct task *t, void *arg, size_t *len)
{
	char *s = NULL;
	int n = asprintf(&s, "%10u %10u %10u\n", 0u, 0u, 4294967295u);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return s;
}

/* As Linux's proc_uid_map_write: the initial namespace's maps are never
 * written (EPERM). */
static ssize_t write_id_map(struct task *t, void *arg, const char *buf, size_t len, uint64_t pos)
{
	return -EPERM;
}

static char *gen_setgroups(struct task *t, void *arg, size_t *len)
{
	*len = 6;
	return strdup("allow\n");
}

/* As Linux's proc_setgroups_write: "allow" or "deny" and nothing but white
 * space after (else EINVAL), written at once from offset 0; "deny" is
 * refused (EPERM) because the gid_map is already written. */
static ssize_t write_setgroups(struct task *t, void *arg, const char *buf, size_t len,
			       uint64_t pos)
{
	char kbuf[8];
	if (pos != 0 || len >= sizeof(kbuf))
		return -EINVAL;
	memcpy(kbuf, buf, len);
	kbuf[len] = 0;
	const char *p = kbuf;
	bool allow = !strncmp(p, "allow", 5);
	if (allow)
		p += 5;
	else if (!strncmp(p, "deny", 4))
		p += 4;
	else
		return -EINVAL;
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p)
		return -EINVAL;
	return allow ? (ssize_t)len : -EPERM;
}

static int add_writable(struct inode *dir, const char *name, vfs_synth_gen_fn gen,
			vfs_synth_write_fn write)
{
	struct inode *i = vfs_synth_file_new(proc_sb, S_IFREG | 0644, gen, NULL, NULL);
	if (!i)
		return -ENOMEM;
	vfs_synth_set_write(i, write);
	return vfs_synth_dir_add(dir, name, i);
}

/* /proc/PID/oom_score_adj: the OOM killer's bias (kernel/oom.c). */
static char *gen_oom_score_adj(struct task *t, void *arg, size_t *len)
{
	int v = 0;
	if (oom_score_adj_get(t->k, (int)(intptr_t)arg, &v) < 0)
		return NULL;
	struct sbuf b = {0};
	tb_printf(&b, "%d\n", v);
	return tb_done(&b, len);
}

/* A decimal written to a /proc file (blanks after it allowed), as Linux's
 * kstrtoint_from_user takes it: 0 and *v, or -EINVAL. */
static int parse_proc_long(const char *buf, size_t len, long *v)
{
	char kbuf[32];
	if (len >= sizeof(kbuf))
		return -EINVAL;
	memcpy(kbuf, buf, len);
	kbuf[len] = 0;
	char *end;
	errno = 0;
	*v = strtol(kbuf, &end, 10);
	while (*end == ' ' || *end == '\n' || *end == '\t')
		end++;
	return end == kbuf || *end || errno ? -EINVAL : 0;
}

static ssize_t write_oom_score_adj(struct task *t, void *arg, const char *buf, size_t len,
				   uint64_t pos)
{
	long v;
	if (parse_proc_long(buf, len, &v) < 0)
		return -EINVAL;
	int r = oom_score_adj_set(t, (int)(intptr_t)arg, v < -100000 || v > 100000 ? 100000 : (int)v,
				  false);
	return r < 0 ? r : (ssize_t)len;
}

/* /proc/PID/oom_adj, the interface oom_score_adj replaced, as Linux's
 * oom_adj_read and oom_adj_write: -17..15 scaled to and from -1000..1000
 * (by 17, 15 being the maximum). */
static char *gen_oom_adj(struct task *t, void *arg, size_t *len)
{
	int v = 0;
	if (oom_score_adj_get(t->k, (int)(intptr_t)arg, &v) < 0)
		return NULL;
	struct sbuf b = {0};
	tb_printf(&b, "%d\n", v == 1000 ? 15 : v * 17 / 1000);
	return tb_done(&b, len);
}

static ssize_t write_oom_adj(struct task *t, void *arg, const char *buf, size_t len, uint64_t pos)
{
	long v;
	if (parse_proc_long(buf, len, &v) < 0 || v < -17 || v > 15)
		return -EINVAL;
	int adj = v == 15 ? 1000 : (int)(v * 1000 / 17);
	int r = oom_score_adj_set(t, (int)(intptr_t)arg, adj, true);
	return r < 0 ? r : (ssize_t)len;
}

static void sandbox_mem(struct task *t, uint64_t *total, uint64_t *used);

/* /proc/PID/oom_score: the OOM killer's view of the process (oom.c), over
 * the sandbox's memory. */
static char *gen_oom_score(struct task *t, void *arg, size_t *len)
{
	uint64_t total, used;
	sandbox_mem(t, &total, &used);
	long v;
	if (oom_score_get(t->k, (int)(intptr_t)arg, total / 4096, &v) < 0)
		return NULL;
	struct sbuf b = {0};
	tb_printf(&b, "%ld\n", v);
	return tb_done(&b, len);
}

/* The directory's own arg is its process's thread group (a reference), so
 * that pidfd_send_signal on an fd of /proc/<pid> signals the process that
 * was opened, as Linux's (procfs_pid_dir_tg), never a later one of that pid. */
static void pid_dir_free(void *tg)
{
	tg_put(tg);
}

struct thread_group *procfs_pid_dir_tg(struct file *f)
{
	return vfs_synth_dir_arg(f->inode, pid_dir_free);
}

/* /proc/<pid>: takes over the caller's reference on tg. */
static struct inode *pid_dir_new(struct thread_group *tg)
{
	int pid = tg->tgid;
	void *arg = (void *)(intptr_t)pid;
	struct inode *d =
	    vfs_synth_dir_new(proc_sb, S_IFDIR | 0555, NULL, NULL, tg, pid_dir_free);
	if (!d) {
		tg_put(tg);
		return NULL;
	}
	int r = 0;
	r |= add_file(d, "status", 0444, gen_status, arg);
	r |= add_file(d, "stat", 0444, gen_stat, arg);
	r |= add_file(d, "statm", 0444, gen_statm, arg);
	r |= add_file(d, "cmdline", 0444, gen_cmdline, arg);
	r |= add_file(d, "environ", 0400, gen_environ, arg);
	r |= add_file(d, "io", 0400, gen_io, arg);
	r |= add_file(d, "wchan", 0444, gen_wchan, arg);
	r |= add_file(d, "comm", 0644, gen_comm, arg);
	r |= add_file(d, "maps", 0444, gen_maps, arg);
	r |= add_file(d, "limits", 0444, gen_limits, arg);
	r |= add_file(d, "auxv", 0400, gen_auxv, arg);
	struct inode *oom = vfs_synth_file_new(proc_sb, S_IFREG | 0644, gen_oom_score_adj, arg, NULL);
	if (oom)
		vfs_synth_set_write(oom, write_oom_score_adj);
	if (!oom || vfs_synth_dir_add(d, "oom_score_adj", oom) < 0)
		r = -1;
	struct inode *oom_adj = vfs_synth_file_new(proc_sb, S_IFREG | 0644, gen_oom_adj, arg, NULL);
	if (oom_adj)
		vfs_synth_set_write(oom_adj, write_oom_adj);
	if (!oom_adj || vfs_synth_dir_add(d, "oom_adj", oom_adj) < 0)
		r = -1;
	r |= add_file(d, "oom_score", 0444, gen_oom_score, arg);
	struct inode *mem = vfs_synth_raw_new(proc_sb, 0600, mem_read, mem_write, arg, NULL);
	if (!mem || vfs_synth_dir_add(d, "mem", mem) < 0)
		r = -1;
	struct inode *task = proc_task_dir_new(proc_sb, pid);
	if (!task || vfs_synth_dir_add(d, "task", task) < 0)
		r = -1;
	r |= add_file(d, "mounts", 0444, gen_mounts, arg);
	r |= add_file(d, "mountinfo", 0444, proc_gen_mountinfo, arg);
	r |= add_file(d, "cgroup", 0444, proc_gen_pid_cgroup, arg);
	r |= add_writable(d, "uid_map", gen_id_map, write_id_map);
	r |= add_writable(d, "gid_map", gen_id_map, write_id_map);
	r |= add_writable(d, "projid_map", gen_id_map, write_id_map);
	r |= add_writable(d, "setgroups", gen_setgroups, write_setgroups);
	r |= add_private_link(d, "cwd", link_cwd, arg);
	r |= add_private_link(d, "root", link_root, arg);
	struct inode *exe = vfs_synth_magiclink_new(proc_sb, file_exe, arg, NULL);
	if (exe)
		vfs_synth_set_access(exe, access_pid);
	if (!exe || vfs_synth_dir_add(d, "exe", exe) < 0)
		r = -1;
	struct inode *fd = vfs_synth_dir_new(proc_sb, S_IFDIR | 0500, fd_dir_list, fd_dir_lookup,
					     arg, NULL);
	if (!fd || vfs_synth_dir_add(d, "fd", fd) < 0)
		r = -1;
	struct inode *fdinfo = proc_fdinfo_dir_new(proc_sb, pid);
	if (!fdinfo || vfs_synth_dir_add(d, "fdinfo", fdinfo) < 0)
		r = -1;
	if (r) {
		inode_put(d);
		return NULL;
	}
	return d;
}

/* ---- system files ---- */

static void mount_line(struct vfs_mount *m, const char *path, void *arg)
{
	struct sbuf *b = arg;
	const char *fstype = m->sb && m->sb->fstype ? m->sb->fstype : "none";
	char opts[64];
	proc_mount_options(m->flags, opts, sizeof(opts));
	tb_printf(b, "%s %s %s %s 0 0\n", m->source ? m->source : fstype, path, fstype, opts);
}

static char *gen_mounts(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	struct vfs_path root;
	fs_context_root(t->fs, &root);
	vfs_for_each_mount(&root, mount_line, &b);
	path_put(&root);
	return tb_done(&b, len);
}

static char *gen_cpuinfo(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	if (host_cpuinfo)
		tb_put(&b, host_cpuinfo, host_cpuinfo_len);
	return tb_done(&b, len);
}

/* The sandbox's memory in bytes: its machine's (the container's limit,
 * limits.h) and what its memory file uses. */
static void sandbox_mem(struct task *t, uint64_t *total, uint64_t *used)
{
	struct sysinfo si;
	if (sysinfo(&si) < 0)
		memset(&si, 0, sizeof(si));
	uint64_t unit = si.mem_unit ? si.mem_unit : 1;
	*total = limits_mem_total(si.totalram * unit);
	*used = memfile_used(t->k->mf);
}

static char *gen_meminfo(struct task *t, void *arg, size_t *len)
{
	uint64_t total, used;
	sandbox_mem(t, &total, &used);
	uint64_t free_b = total > used ? total - used : 0;
	struct sbuf b = {0};
	/* The sandbox's view: its own memory file is what it uses. */
	tb_printf(&b, "MemTotal:       %8lu kB\nMemFree:        %8lu kB\nMemAvailable:   %8lu kB\n",
		  (unsigned long)(total >> 10), (unsigned long)(free_b >> 10),
		  (unsigned long)(free_b >> 10));
	tb_printf(&b, "Buffers:               0 kB\nCached:                0 kB\n"
		      "SwapCached:            0 kB\nActive:         %8lu kB\nInactive:              0 kB\n"
		      "SwapTotal:             0 kB\nSwapFree:              0 kB\n"
		      "Shmem:                 0 kB\n",
		  (unsigned long)(used >> 10));
	return tb_done(&b, len);
}

static char *gen_uptime(struct task *t, void *arg, size_t *len)
{
	uint64_t ns = kernel_uptime_ns(t->k);
	struct sbuf b = {0};
	tb_printf(&b, "%lu.%02lu 0.00\n", (unsigned long)(ns / 1000000000ULL),
		  (unsigned long)(ns % 1000000000ULL / 10000000ULL));
	return tb_done(&b, len);
}

static char *gen_version(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	tb_printf(&b, "Linux version 6.1.0-visor (visor) #1 SMP visor\n");
	return tb_done(&b, len);
}

static char *gen_loadavg(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	tb_printf(&b, "0.00 0.00 0.00 1/%d %d\n", t->k->ntasks, t->k->last_pid);
	return tb_done(&b, len);
}

static char *gen_filesystems(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	tb_printf(&b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tdevpts\n"
		      "nodev\tmqueue\n\t9p\n");
	return tb_done(&b, len);
}

/* The sandbox's CPU time as the machine's (there is no other for its
 * programs): user and system from its processes, idle the rest of its CPUs'
 * uptime; per CPU, an even share (the Sentry does not track where a task
 * ran).  Interrupts and context switches are not counted: 0. */
static char *gen_stat_sys(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	long ncpu = hostcpu_online();
	const uint64_t ns_per_tick = 1000000000ULL / 100; /* USER_HZ */
	struct kernel_cpu_stats cs;
	kernel_cpu_stats(t->k, &cs);
	uint64_t up = kernel_uptime_ns(t->k) / ns_per_tick * (uint64_t)ncpu;
	uint64_t user = cs.user_ns / ns_per_tick, sys = cs.system_ns / ns_per_tick;
	uint64_t idle = up > user + sys ? up - user - sys : 0;
	tb_printf(&b, "cpu  %lu 0 %lu %lu 0 0 0 0 0 0\n", (unsigned long)user, (unsigned long)sys,
		  (unsigned long)idle);
	for (long i = 0; i < ncpu; i++)
		tb_printf(&b, "cpu%ld %lu 0 %lu %lu 0 0 0 0 0 0\n", i, (unsigned long)(user / ncpu),
			  (unsigned long)(sys / ncpu), (unsigned long)(idle / ncpu));
	uint64_t boot = (uint64_t)time(NULL) - kernel_uptime_ns(t->k) / 1000000000ULL;
	tb_printf(&b, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running %d\nprocs_blocked %d\n",
		  (unsigned long)boot, t->k->last_pid, cs.running, cs.blocked);
	return tb_done(&b, len);
}

/* /proc/vmstat (vmstat, sar, monitoring agents read it): the sandbox's free
 * pages (as /proc/meminfo) and page faults; it has no block devices or swap,
 * so those counters stay 0. */
static char *gen_vmstat(struct task *t, void *arg, size_t *len)
{
	uint64_t total, used;
	sandbox_mem(t, &total, &used);
	struct sbuf b = {0};
	tb_printf(&b, "nr_free_pages %lu\n", (unsigned long)((total > used ? total - used : 0) / 4096));
	tb_printf(&b, "pgpgin 0\npgpgout 0\npswpin 0\npswpout 0\npgfault %lu\npgmajfault 0\n",
		  (unsigned long)task_fault_count());
	return tb_done(&b, len);
}

static char *gen_hostname(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	char host[UTS_NAME_LEN + 1];
	uts_get(t, host, NULL); /* the reader's UTS namespace */
	tb_printf(&b, "%s\n", host);
	return tb_done(&b, len);
}

/* A version 4 (random) UUID as Linux's generate_random_uuid writes it. */
static void random_uuid(char out[37])
{
	uint8_t u[16] = {0};
	size_t got = 0;
	while (got < sizeof(u)) {
		ssize_t n = getrandom(u + got, sizeof(u) - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	u[6] = (u[6] & 0x0f) | 0x40;
	u[8] = (u[8] & 0x3f) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

/* kernel/random/boot_id: one per sandbox (its Sentry), made at first read. */
static pthread_once_t boot_id_once = PTHREAD_ONCE_INIT;
static char boot_id[37];

static void boot_id_init(void)
{
	random_uuid(boot_id);
}

/* kernel/random/uuid (arg NULL): a new UUID at each read, where scripts
 * take their ids from; kernel/random/boot_id (arg non-NULL). */
static char *gen_random_uuid(struct task *t, void *arg, size_t *len)
{
	char uuid[37];
	if (arg) {
		pthread_once(&boot_id_once, boot_id_init);
		memcpy(uuid, boot_id, sizeof(uuid));
	} else {
		random_uuid(uuid);
	}
	struct sbuf b = {0};
	tb_printf(&b, "%s\n", uuid);
	return tb_done(&b, len);
}

/* kernel/threads-max as Linux's set_max_threads: the memory over 8 thread
 * stacks of 16 KiB, between 20 and FUTEX_TID_MASK. */
static char *gen_threads_max(struct task *t, void *arg, size_t *len)
{
	uint64_t total, used;
	sandbox_mem(t, &total, &used);
	uint64_t n = total / (8 * 16384);
	n = n < 20 ? 20 : n > 0x3fffffff ? 0x3fffffff : n;
	struct sbuf b = {0};
	tb_printf(&b, "%llu\n", (unsigned long long)n);
	return tb_done(&b, len);
}

/* The advisory locks of the sandbox (lslocks reads them). */
static char *gen_locks(struct task *t, void *arg, size_t *len)
{
	return vfs_locks_report(len);
}

static char *gen_const(struct task *t, void *arg, size_t *len)
{
	struct sbuf b = {0};
	tb_printf(&b, "%s\n", (const char *)arg);
	return tb_done(&b, len);
}

/* /proc/net files that other layers provide (the socket layer's
 * /proc/net/unix): registered at boot, before proc is mounted. */
#define PROC_NET_MAX 16
static struct proc_net_entry {
	const char *name;
	procfs_net_fn fn;
} proc_net[PROC_NET_MAX];
static int proc_net_count;

int procfs_register_net(const char *name, procfs_net_fn fn)
{
	for (int i = 0; i < proc_net_count; i++) {
		if (strcmp(proc_net[i].name, name) == 0) {
			proc_net[i].fn = fn;
			return 0;
		}
	}
	if (proc_net_count == PROC_NET_MAX)
		return -ENOSPC;
	proc_net[proc_net_count++] = (struct proc_net_entry){name, fn};
	return 0;
}

/* Files other layers add anywhere below /proc (procfs_register_file). */
#define PROC_EXTRA_MAX 32
static struct proc_extra {
	const char *dir, *name;
	unsigned mode;
	vfs_synth_gen_fn gen;
	vfs_synth_write_fn write;
	void *arg;
} proc_extra[PROC_EXTRA_MAX];
static int proc_extra_count;

int procfs_register_file(const char *dir, const char *name, unsigned mode, vfs_synth_gen_fn gen,
			 vfs_synth_write_fn write, void *arg)
{
	for (int i = 0; i < proc_extra_count; i++) {
		if (!strcmp(proc_extra[i].dir, dir) && !strcmp(proc_extra[i].name, name)) {
			proc_extra[i] = (struct proc_extra){dir, name, mode, gen, write, arg};
			return 0;
		}
	}
	if (proc_extra_count == PROC_EXTRA_MAX)
		return -ENOSPC;
	proc_extra[proc_extra_count++] = (struct proc_extra){dir, name, mode, gen, write, arg};
	return 0;
}

/* The directories of one proc mount by path below it, for the extra files:
 * found or made (each held by its parent). */
#define PROC_DIRS_MAX 16
struct proc_dirs {
	char path[PROC_DIRS_MAX][64];
	struct inode *ino[PROC_DIRS_MAX];
	int n;
};

static void proc_dirs_add(struct proc_dirs *d, const char *path, struct inode *ino)
{
	if (d->n < PROC_DIRS_MAX) {
		snprintf(d->path[d->n], sizeof(d->path[0]), "%s", path);
		d->ino[d->n++] = ino;
	}
}

static struct inode *proc_dirs_get(struct proc_dirs *d, const char *path)
{
	for (int i = 0; i < d->n; i++)
		if (!strcmp(d->path[i], path))
			return d->ino[i];
	if (d->n == PROC_DIRS_MAX || strlen(path) >= sizeof(d->path[0]))
		return NULL;
	char parent[64];
	snprintf(parent, sizeof(parent), "%s", path);
	char *slash = strrchr(parent, '/');
	const char *name = slash ? slash + 1 : path;
	if (slash)
		*slash = 0;
	else
		parent[0] = 0;
	struct inode *pdir = proc_dirs_get(d, parent);
	if (!pdir)
		return NULL;
	struct inode *ino = vfs_synth_dir_new(proc_sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	if (!ino)
		return NULL;
	if (vfs_synth_dir_add(pdir, name, ino) < 0)
		return NULL;
	proc_dirs_add(d, path, ino);
	return ino;
}

static int add_extra_files(struct proc_dirs *d)
{
	for (int i = 0; i < proc_extra_count; i++) {
		const struct proc_extra *e = &proc_extra[i];
		struct inode *dir = proc_dirs_get(d, e->dir);
		if (!dir)
			return -ENOMEM;
		struct inode *f = vfs_synth_file_new(proc_sb, S_IFREG | e->mode, e->gen, e->arg, NULL);
		if (!f)
			return -ENOMEM;
		if (e->write)
			vfs_synth_set_write(f, e->write);
		if (vfs_synth_dir_add(dir, e->name, f) < 0)
			return -ENOMEM;
	}
	return 0;
}

static char *gen_net(struct task *t, void *arg, size_t *len)
{
	const struct proc_net_entry *e = arg;
	return e->fn(t, len);
}

/* /proc/sys files that other layers provide (the netstack's net.core.*,
 * net.ipv4.*): a directory under /proc/sys ("net/core"), a name, and the
 * same kind of generator as /proc/net's. */
#define PROC_SYSCTL_MAX 48
static struct proc_sysctl_entry {
	const char *dir, *name;
	procfs_net_fn fn;
} proc_sysctl[PROC_SYSCTL_MAX];
static int proc_sysctl_count;

int procfs_register_sysctl(const char *dir, const char *name, procfs_net_fn fn)
{
	if (proc_sysctl_count == PROC_SYSCTL_MAX)
		return -ENOSPC;
	proc_sysctl[proc_sysctl_count++] = (struct proc_sysctl_entry){dir, name, fn};
	return 0;
}

static char *gen_sysctl(struct task *t, void *arg, size_t *len)
{
	const struct proc_sysctl_entry *e = arg;
	return e->fn(t, len);
}

/* The directory path (below sys) made so far or now; the tree holds it. */
struct sysctl_dirs {
	char path[PROC_SYSCTL_MAX][64];
	struct inode *ino[PROC_SYSCTL_MAX];
	int n;
};

static struct inode *sysctl_dir(struct superblock *sb, struct inode *sys, struct sysctl_dirs *d,
				const char *path)
{
	struct inode *parent = sys;
	char prefix[64];
	for (const char *p = path;; p++) {
		if (*p != '/' && *p)
			continue;
		size_t n = (size_t)(p - path);
		if (n >= sizeof(prefix))
			return NULL;
		memcpy(prefix, path, n);
		prefix[n] = 0;
		struct inode *found = NULL;
		for (int i = 0; i < d->n && !found; i++)
			if (!strcmp(d->path[i], prefix))
				found = d->ino[i];
		if (!found) {
			if (d->n == PROC_SYSCTL_MAX)
				return NULL;
			found = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
			if (!found || vfs_synth_dir_add(parent, strrchr(prefix, '/') ?
								   strrchr(prefix, '/') + 1 : prefix,
							found) < 0)
				return NULL;
			snprintf(d->path[d->n], sizeof(d->path[0]), "%s", prefix);
			d->ino[d->n++] = found;
		}
		parent = found;
		if (!*p)
			return parent;
	}
}

static int add_sysctls(struct superblock *sb, struct inode *sys)
{
	struct sysctl_dirs *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	int r = 0;
	for (int i = 0; r == 0 && i < proc_sysctl_count; i++) {
		struct inode *dir = sysctl_dir(sb, sys, d, proc_sysctl[i].dir);
		r = dir ? add_file(dir, proc_sysctl[i].name, 0444, gen_sysctl, &proc_sysctl[i])
			: -ENOMEM;
	}
	free(d);
	return r;
}

static char *link_self(struct task *t, void *arg)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%d", t->tg->tgid);
	return strdup(buf);
}

static char *link_thread_self(struct task *t, void *arg)
{
	char buf[40];
	snprintf(buf, sizeof(buf), "%d/task/%d", t->tg->tgid, t->tid);
	return strdup(buf);
}

static char *link_mounts(struct task *t, void *arg)
{
	return strdup("self/mounts");
}

#define PROC_LIST_MAX 4096

struct pid_list {
	int pids[PROC_LIST_MAX];
	int n;
};

static int list_one_pid(struct thread_group *tg, void *arg)
{
	struct pid_list *l = arg;
	l->pids[l->n++] = tg->tgid;
	return l->n == PROC_LIST_MAX;
}

static void root_list(struct task *t, void *arg,
		      int (*emit)(void *ectx, const char *name, unsigned int type), void *ectx)
{
	struct pid_list l = {.n = 0};
	kernel_for_each_tg(t->k, list_one_pid, &l);
	/* The walk is newest first: list in ascending pid order as Linux. */
	for (int i = l.n - 1; i >= 0; i--) {
		char name[16];
		snprintf(name, sizeof(name), "%d", l.pids[i]);
		if (emit(ectx, name, 4 /* DT_DIR */))
			break;
	}
}

static int root_lookup(struct task *t, void *arg, const char *name, struct inode **out)
{
	char *end;
	long pid = strtol(name, &end, 10);
	if (*end || end == name || pid <= 0 || pid > 0x7fffffff)
		return -ENOENT;
	struct thread_group *tg = kernel_get_tg(t->k, (int)pid);
	if (!tg)
		return -ENOENT;
	*out = pid_dir_new(tg);
	if (!*out)
		return -ENOMEM;
	procfs_own_pid_tree(t, (int)pid, *out);
	return 0;
}

/* As Linux's task_dump_owner: /proc/<pid> and its files belong to the
 * process's effective uid and gid; when it is not dumpable (a set-id
 * program, PR_SET_DUMPABLE 0) all but the world-readable directories belong
 * to root.  Looked up afresh each time, so this follows setuid and exec. */
void procfs_own_pid_tree(struct task *t, int pid, struct inode *dir)
{
	struct proc_snapshot s;
	if (kernel_proc_snapshot(t->k, pid, 0, &s) < 0)
		return;
	if (s.creds)
		vfs_synth_set_owner_tree(dir, s.creds->euid, s.creds->egid, s.dumpable != 1);
	proc_snapshot_release(&s);
}

static int proc_factory(const char *source, const char *data, struct superblock **sbp,
			struct dentry **rootp)
{
	struct superblock *sb = vfs_synth_sb_new("proc", PROC_SUPER_MAGIC);
	if (!sb)
		return -ENOMEM;
	proc_sb = sb;
	struct inode *root = vfs_synth_dir_new(sb, S_IFDIR | 0555, root_list, root_lookup, NULL,
					       NULL);
	if (!root) {
		sb_put(sb);
		return -ENOMEM;
	}
	int r = 0;
	r |= add_link(root, "self", link_self, NULL);
	r |= add_link(root, "thread-self", link_thread_self, NULL);
	r |= add_link(root, "mounts", link_mounts, NULL);
	r |= add_file(root, "cpuinfo", 0444, gen_cpuinfo, NULL);
	r |= add_file(root, "cgroups", 0444, proc_gen_cgroups, NULL);
	r |= add_file(root, "meminfo", 0444, gen_meminfo, NULL);
	r |= add_file(root, "uptime", 0444, gen_uptime, NULL);
	r |= add_file(root, "version", 0444, gen_version, NULL);
	r |= add_file(root, "loadavg", 0444, gen_loadavg, NULL);
	r |= add_file(root, "filesystems", 0444, gen_filesystems, NULL);
	r |= add_file(root, "locks", 0444, gen_locks, NULL);
	r |= add_file(root, "stat", 0444, gen_stat_sys, NULL);
	r |= add_file(root, "vmstat", 0444, gen_vmstat, NULL);
	struct inode *net = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	if (!net)
		r = -1;
	for (int i = 0; net && i < proc_net_count; i++)
		r |= add_file(net, proc_net[i].name, 0444, gen_net, &proc_net[i]);
	if (net)
		r |= vfs_synth_dir_add(root, "net", net);
	struct inode *sys = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	struct inode *kern = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
	struct inode *fs = NULL;
	if (!sys || !kern) {
		r = -1;
	} else {
		r |= add_file(kern, "hostname", 0444, gen_hostname, NULL);
		r |= add_file(kern, "ostype", 0444, gen_const, "Linux");
		r |= add_file(kern, "osrelease", 0444, gen_const, "6.1.0-visor");
		r |= add_file(kern, "pid_max", 0444, gen_const, "4194304");
		r |= add_file(kern, "ngroups_max", 0444, gen_const, "65536");
		r |= add_file(kern, "cap_last_cap", 0444, gen_const, "40");
		r |= add_file(kern, "threads-max", 0444, gen_threads_max, NULL);
		/* Linux's default; visor writes no core files (a crash is
		 * reported by its signal, without the core-dump bit). */
		r |= add_file(kern, "core_pattern", 0444, gen_const, "core");
		struct inode *rnd = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
		if (!rnd)
			r = -1;
		else
			r |= add_file(rnd, "uuid", 0444, gen_random_uuid, NULL) |
			     add_file(rnd, "boot_id", 0444, gen_random_uuid, boot_id) |
			     add_file(rnd, "entropy_avail", 0444, gen_const, "256") |
			     add_file(rnd, "poolsize", 0444, gen_const, "256") |
			     vfs_synth_dir_add(kern, "random", rnd);
		/* Yama at scope 1, as Debian: only descendants (or a process
		 * named by PR_SET_PTRACER) may be attached (ptrace.c). */
		struct inode *yama = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
		if (!yama)
			r = -1;
		else
			r |= add_file(yama, "ptrace_scope", 0444, gen_const, "1") |
			     vfs_synth_dir_add(kern, "yama", yama);
		r |= vfs_synth_dir_add(sys, "kernel", kern);
		/* sys/vm: the Sentry's heuristic overcommit (mm.c), mode 0 with
		 * Linux's default ratio; glibc's heap trim and Redis read it.
		 * max_map_count: Linux's default, which Elasticsearch checks (the
		 * Sentry counts no mappings against it). */
		struct inode *vm = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
		if (!vm)
			r = -1;
		else
			r |= add_file(vm, "overcommit_memory", 0444, gen_const, "0") |
			     add_file(vm, "overcommit_ratio", 0444, gen_const, "50") |
			     add_file(vm, "max_map_count", 0444, gen_const, "65530") |
			     vfs_synth_dir_add(sys, "vm", vm);
		r |= add_sysctls(sb, sys);
		/* sys/fs/inotify: the limits of sentry/kernel/inotify.h. */
		fs = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
		struct inode *ino = vfs_synth_dir_new(sb, S_IFDIR | 0555, NULL, NULL, NULL, NULL);
		if (!fs || !ino) {
			r = -1;
		} else {
			r |= add_file(ino, "max_queued_events", 0444, gen_const, "16384");
			r |= add_file(ino, "max_user_instances", 0444, gen_const, "128");
			r |= add_file(ino, "max_user_watches", 0444, gen_const, "8192");
			r |= vfs_synth_dir_add(fs, "inotify", ino);
			/* nr_open: the RLIMIT_NOFILE ceiling (kernel/resource.c);
			 * file-max: no system-wide count, as systemd's hosts set it. */
			r |= add_file(fs, "nr_open", 0444, gen_const, "1048576");
			r |= add_file(fs, "file-max", 0444, gen_const, "9223372036854775807");
			r |= vfs_synth_dir_add(sys, "fs", fs);
		}
		r |= vfs_synth_dir_add(root, "sys", sys);
	}
	if (!r) {
		struct proc_dirs dirs = {.n = 0};
		proc_dirs_add(&dirs, "", root);
		proc_dirs_add(&dirs, "net", net);
		proc_dirs_add(&dirs, "sys", sys);
		proc_dirs_add(&dirs, "sys/kernel", kern);
		proc_dirs_add(&dirs, "sys/fs", fs);
		r |= add_extra_files(&dirs);
	}
	if (r) {
		inode_put(root);
		sb_put(sb);
		return -ENOMEM;
	}
	struct dentry *d = dentry_new(NULL, "/", root);
	inode_put(root);
	if (!d) {
		sb_put(sb);
		return -ENOMEM;
	}
	*sbp = sb;
	*rootp = d;
	return 0;
}

int procfs_init(void)
{
	/* Host facts, read before the jail. */
	int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct sbuf b = {0};
		char buf[4096];
		ssize_t n;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			tb_put(&b, buf, (size_t)n);
		close(fd);
		host_cpuinfo = tb_done(&b, &host_cpuinfo_len);
	}
	return vfs_register_fs("proc", proc_factory);
}
