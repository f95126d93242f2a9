/*
 * control.c — the Sentry's control server (protocol in control.h), the
 * PATH lookup of spawned programs, and the boot-time "ready" report to
 * `visor create`.
 *
 * Owns: the accept thread and one thread per connection; request parsing
 * (yajl_tree) and validation; turning requests into kernel calls
 * (kernel_release_spawned, tg_signal_send, kernel_spawn/kernel_wait_spawned).
 * Never: takes the kernel's locks (it walks the task set with
 * kernel_for_each_tg and looks processes up with kernel_get_tg); never trusts
 * a request's lengths, types or fds.
 */
#include "lib/lockdep.h"
#include "sentry/control.h"
#include "sentry/sentry.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/limits.h"
#include "sentry/kernel/spawn.h"
#include "sentry/kernel/syscall_table.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/memfile.h"
#include "sentry/fs/hostfd.h"
#include "sentry/socket/packet_link.h"
#include "sentry/vfs/vfs.h"
#include "lib/json.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

/* Requests nest at most two levels ("rlimits": [[...]]); refuse deeper
 * documents before yajl_tree builds (and recursively frees) them. */
#define CONTROL_MAX_DEPTH 8
#define CONTROL_MAX_ARGS 4096
#define CONTROL_MAX_CONNS 128
#define CONTROL_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct control_server {
	struct kernel *k;
	int listen_fd;
	int init_pid;
	struct vmutex lock; /* protects nconns */
	int nconns;
};

struct control_conn {
	struct control_server *srv;
	int fd;
};

/* ---- replies ------------------------------------------------------------ */

static void reply_error(char *reply, size_t size, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void reply_error(char *reply, size_t size, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct json_writer w;
	json_writer_init_fixed(&w, reply, size, NULL, 0);
	json_object_begin(&w);
	json_key_bool(&w, "ok", false);
	json_key_int(&w, "errno", err);
	json_key_string(&w, "error", msg);
	json_object_end(&w);
}

/* {"ok":true} with one integer member (NULL key: none). */
static void reply_ok(char *reply, size_t size, const char *key, long long v)
{
	struct json_writer w;
	json_writer_init_fixed(&w, reply, size, NULL, 0);
	json_object_begin(&w);
	json_key_bool(&w, "ok", true);
	if (key)
		json_key_int(&w, key, v);
	json_object_end(&w);
}

/* ---- request helpers ---------------------------------------------------- */

static bool json_depth_ok(const char *s, size_t len)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"')
			in_str = true;
		else if (c == '{' || c == '[') {
			if (++depth > CONTROL_MAX_DEPTH)
				return false;
		} else if (c == '}' || c == ']')
			depth--;
	}
	return true;
}

static yajl_val obj_get(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

/* An integer field in [lo, hi]; absent -> def.  -EINVAL on a wrong type or range. */
static int get_int(yajl_val obj, const char *key, long long lo, long long hi, long long def,
		   long long *out)
{
	yajl_val v = obj_get(obj, key);
	if (!v || YAJL_IS_NULL(v)) {
		*out = def;
		return 0;
	}
	if (!YAJL_IS_INTEGER(v))
		return -EINVAL;
	long long x = YAJL_GET_INTEGER(v);
	if (x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static int get_bool(yajl_val obj, const char *key, bool *out)
{
	yajl_val v = obj_get(obj, key);
	*out = false;
	if (!v || YAJL_IS_NULL(v))
		return 0;
	if (!YAJL_IS_TRUE(v) && !YAJL_IS_FALSE(v))
		return -EINVAL;
	*out = YAJL_IS_TRUE(v);
	return 0;
}

/* A string array; the strings stay owned by the tree.  *out is malloc'ed and
 * NULL-terminated. */
static int get_strv(yajl_val obj, const char *key, bool required, char ***out, int *n)
{
	yajl_val v = obj_get(obj, key);
	*out = NULL;
	*n = 0;
	if (!v || YAJL_IS_NULL(v))
		return required ? -EINVAL : 0;
	if (!YAJL_IS_ARRAY(v) || v->u.array.len > CONTROL_MAX_ARGS)
		return -EINVAL;
	size_t len = v->u.array.len;
	char **a = calloc(len + 1, sizeof(char *));
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		yajl_val s = v->u.array.values[i];
		if (!YAJL_IS_STRING(s)) {
			free(a);
			return -EINVAL;
		}
		a[i] = YAJL_GET_STRING(s);
	}
	*out = a;
	*n = (int)len;
	return 0;
}

/* ---- PATH lookup ---------------------------------------------------------- */

/* 0 if path (absolute, in the container) is a regular file with an
 * execute bit (as Go's exec.LookPath checks), -ENOENT if it is not there,
 * -EACCES otherwise. */
static int container_file_exec_ok(struct kernel *k, const char *path)
{
	struct fs_context *fs = k->root_fs;
	if (!fs)
		return -ENOENT;
	vmutex_lock(&fs->lock);
	struct vfs_path root = fs->root;
	vmutex_unlock(&fs->lock);
	struct vfs_path out;
	if (vfs_walk_from(&root, NULL, path, VFS_LOOKUP_FOLLOW, &out) < 0)
		return -ENOENT;
	uint32_t mode = out.dentry->inode->mode;
	path_put(&out);
	return S_ISREG(mode) && (mode & 0111) ? 0 : -EACCES;
}

/* ---- HOME ------------------------------------------------------------------ */

/* The home directory of uid in the container's /etc/passwd (malloc'd), or
 * NULL when the file or the uid is not there. */
static char *passwd_home(struct kernel *k, uint32_t uid)
{
	struct fs_context *fs = k->root_fs;
	if (!fs)
		return NULL;
	vmutex_lock(&fs->lock);
	struct vfs_path root = fs->root;
	vmutex_unlock(&fs->lock);
	struct vfs_path p;
	if (vfs_walk_from(&root, NULL, "/etc/passwd", VFS_LOOKUP_FOLLOW, &p) < 0)
		return NULL;
	struct file *f = NULL;
	int r = S_ISREG(p.dentry->inode->mode) ? vfs_open_path(NULL, &p, O_RDONLY, &f) : -EINVAL;
	path_put(&p);
	if (r < 0)
		return NULL;
	/* Enough for any sane passwd; a longer one is read up to here. */
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	while (buf && len < cap) {
		ssize_t n = file_pread_kernel(f, buf + len, cap - len, len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	file_put(f);
	if (!buf)
		return NULL;
	buf[len] = 0;
	char *home = NULL, *save = NULL;
	/* name:password:uid:gid:gecos:home:shell, the first line with uid wins
	 * (as libcontainer's user.ParsePasswdFilter). */
	for (char *line = strtok_r(buf, "\n", &save); line && !home;
	     line = strtok_r(NULL, "\n", &save)) {
		char *field[7] = {0};
		int nf = 0;
		for (char *c = line; nf < 7; c++) {
			field[nf++] = c;
			c = strchr(c, ':');
			if (!c)
				break;
			*c = 0;
		}
		if (nf < 6 || !field[2][0])
			continue;
		char *end;
		unsigned long u = strtoul(field[2], &end, 10);
		if (!*end && u == uid)
			home = strdup(field[5]);
	}
	free(buf);
	return home;
}

static int control_spawn_path(struct kernel *k, struct spawn_args *a);

/* As runc (libcontainer's setupUser): a process started without HOME in its
 * environment gets its uid's home directory from the container's
 * /etc/passwd, "/" when the uid has no entry there.  go build (GOCACHE),
 * pip, npm and gem need it. */
int control_spawn(struct kernel *k, struct spawn_args *a)
{
	for (int i = 0; i < a->envc && a->envp && a->envp[i]; i++)
		if (!strncmp(a->envp[i], "HOME=", 5))
			return control_spawn_path(k, a);
	char *home = passwd_home(k, a->uid), *var = NULL;
	char **env = calloc((size_t)a->envc + 2, sizeof(char *));
	if (!env || asprintf(&var, "HOME=%s", home ? home : "/") < 0) {
		free(home);
		free(env);
		return -ENOMEM;
	}
	free(home);
	for (int i = 0; i < a->envc; i++)
		env[i] = a->envp[i];
	env[a->envc] = var;
	char **saved = a->envp;
	a->envp = env;
	a->envc++;
	int r = control_spawn_path(k, a); /* kernel_spawn copies the strings */
	a->envc--;
	a->envp = saved;
	free(var);
	free(env);
	return r;
}

static int control_spawn_path(struct kernel *k, struct spawn_args *a)
{
	if (a->argc < 1 || !a->argv || !a->argv[0] || !a->argv[0][0])
		return -ENOENT;
	const char *name = a->argv[0];
	if (strchr(name, '/')) {
		/* A program that is not there fails here, before a task
		 * exists: cheaper, and kernel_spawn's own failure path
		 * (wait for the failed task to exit) is then never needed
		 * for the most common mistake. */
		char full[4096];
		const char *cwd = a->cwd && a->cwd[0] == '/' ? a->cwd : "/";
		if (name[0] != '/' &&
		    (size_t)snprintf(full, sizeof(full), "%s/%s", cwd, name) < sizeof(full))
			name = full;
		int r = container_file_exec_ok(k, name);
		return r < 0 ? r : kernel_spawn(k, a);
	}
	/* As runc (Go's exec.LookPath with the container's PATH): the first
	 * PATH entry holding the name wins. */
	const char *path = CONTROL_DEFAULT_PATH;
	for (int i = 0; i < a->envc && a->envp && a->envp[i]; i++)
		if (!strncmp(a->envp[i], "PATH=", 5))
			path = a->envp[i] + 5;
	char full[4096];
	const char *p = path;
	int found = -ENOENT;
	while (*p) {
		const char *colon = strchr(p, ':');
		size_t dl = colon ? (size_t)(colon - p) : strlen(p);
		int r = -ENOENT;
		if (dl > 0 && p[0] == '/' &&
		    (size_t)snprintf(full, sizeof(full), "%.*s/%s", (int)dl, p, name) < sizeof(full))
			r = container_file_exec_ok(k, full);
		if (r == -EACCES)
			found = -EACCES; /* there, but not executable: keep looking */
		if (r == 0) {
			a->path = full; /* argv[0] stays as given, as under runc */
			int r = kernel_spawn(k, a);
			a->path = NULL;
			return r;
		}
		if (!colon)
			break;
		p = colon + 1;
	}
	return found;
}

void control_report_ready(int fd, int pid, const char *error)
{
	if (fd < 0)
		return;
	char buf[1024];
	int n = error ? snprintf(buf, sizeof(buf), "error %s\n", error)
		      : snprintf(buf, sizeof(buf), "ok %d\n", pid);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	ssize_t w = write(fd, buf, (size_t)n);
	(void)w;
	close(fd);
}

void control_apply_config(struct spawn_args *a, const struct sentry_config *cfg)
{
	if (cfg->has_caps) {
		a->cap_effective = cfg->cap_effective;
		a->cap_permitted = cfg->cap_permitted;
		a->cap_bounding = cfg->cap_bounding;
		a->cap_inheritable = cfg->cap_inheritable;
	}
	a->no_new_privs = cfg->no_new_privs;
	if (cfg->has_umask)
		a->umask = cfg->umask & 0777;
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		if (cfg->rlimits_set[i]) {
			a->rlimits[i] = cfg->rlimits[i];
			a->rlimits_set[i] = true;
		}
	}
	if (cfg->terminal)
		a->new_session = true;
	a->start_stopped = cfg->wait_start;
}

int control_boot_done(struct kernel *k, const struct sentry_config *cfg, int pid)
{
	int ready = cfg->ready_fd > 2 ? cfg->ready_fd : -1;
	if (pid < 0) {
		char msg[512];
		if (pid == -ENOENT)
			snprintf(msg, sizeof(msg),
				 "exec: \"%s\": executable file not found in $PATH or no such file",
				 cfg->argv && cfg->argv[0] ? cfg->argv[0] : "");
		else
			snprintf(msg, sizeof(msg), "exec %s: %s",
				 cfg->argv && cfg->argv[0] ? cfg->argv[0] : "", strerror(-pid));
		control_report_ready(ready, pid, msg);
		return 0;
	}
	if (cfg->control_fd > 2) {
		int r = control_server_start(k, cfg->control_fd, pid);
		if (r < 0) {
			control_report_ready(ready, pid, "cannot start the control server");
			return r;
		}
	}
	control_report_ready(ready, pid, NULL);
	return 0;
}

/* ---- operations ------------------------------------------------------------ */

/* A walk's output array: up to cap entries, sized from the task count. */
struct collect {
	void *v;
	int n, cap;
};

static int collect_pid(struct thread_group *tg, void *arg)
{
	struct collect *c = arg;
	if (tg->zombie || tg->reaped)
		return 0;
	((int *)c->v)[c->n++] = tg->tgid;
	return c->n == c->cap;
}

/* The tgids of every live process, ascending. */
static int collect_pids(struct kernel *k, int **out)
{
	struct collect c = {.cap = kernel_nr_tasks(k) + 1};
	c.v = calloc((size_t)c.cap, sizeof(int));
	if (!c.v)
		return -ENOMEM;
	kernel_for_each_tg(k, collect_pid, &c);
	int *pids = c.v, n = c.n;
	/* Ascending, as ps prints them. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
			int x = pids[j];
			pids[j] = pids[j - 1];
			pids[j - 1] = x;
		}
	*out = pids;
	return n;
}

static int signal_pid(struct kernel *k, int pid, int sig)
{
	struct thread_group *tg = kernel_get_tg(k, pid);
	if (!tg)
		return -ESRCH;
	int r = 0;
	if (sig != 0) {
		/* From outside the sandbox: SI_USER with sender pid 0, as a
		 * signal from an ancestor pid namespace looks to Linux. */
		siginfo_t info;
		memset(&info, 0, sizeof(info));
		info.si_signo = sig;
		info.si_code = SI_USER;
		r = tg_signal_send_external(tg, &info);
	}
	tg_put(tg);
	return r;
}

/* {"op":"limits", "memory":N, "memory_swap":N, "pids":N, "cpu_quota":N,
 * "cpu_period":N, "cpu_shares":N}: `visor update` after it wrote the host
 * cgroup; 0 or absent leaves a limit, -1 lifts it (kernel/limits.h). */
static void op_limits(struct kernel *k, yajl_val req, char *reply, size_t size)
{
	static const char *const keys[] = {"memory",	 "memory_swap", "pids",
					   "cpu_quota", "cpu_period",  "cpu_shares"};
	long long v[6];
	for (size_t i = 0; i < 6; i++)
		if (get_int(req, keys[i], -1, INT64_MAX, 0, &v[i]) < 0) {
			reply_error(reply, size, EINVAL, "limits: \"%s\" must be an integer >= -1",
				    keys[i]);
			return;
		}
	struct sandbox_limits l = {.memory = v[0], .memory_swap = v[1], .pids = v[2],
				   .cpu_quota = v[3], .cpu_period = v[4], .cpu_shares = v[5]};
	limits_set(&l, true);
	if (k && l.memory) /* the memory file enforces it (kernel/oom.c) */
		memfile_set_limit(k->mf, l.memory > 0 ? (uint64_t)l.memory : 0);
	reply_ok(reply, size, NULL, 0);
}

static void op_kill(struct kernel *k, int init_pid, yajl_val req, char *reply, size_t size)
{
	long long sig;
	bool all;
	if (get_int(req, "signal", 0, VISOR_NSIG, -1, &sig) < 0 || sig < 0 ||
	    get_bool(req, "all", &all) < 0) {
		reply_error(reply, size, EINVAL, "kill: need \"signal\" in 0..%d and a boolean \"all\"",
			    VISOR_NSIG);
		return;
	}
	if (!all) {
		int r = signal_pid(k, init_pid, (int)sig);
		if (r < 0)
			reply_error(reply, size, -r, "kill init: %s", strerror(-r));
		else
			reply_ok(reply, size, NULL, 0);
		return;
	}
	int *pids = NULL;
	int n = collect_pids(k, &pids);
	if (n < 0) {
		reply_error(reply, size, -n, "kill: %s", strerror(-n));
		return;
	}
	for (int i = 0; i < n; i++)
		signal_pid(k, pids[i], (int)sig); /* one may exit meanwhile: fine */
	free(pids);
	reply_ok(reply, size, NULL, 0);
}

/* One live process for ps: its sandbox pid, name and address space. */
struct ps_proc {
	int pid;
	struct mm *mm; /* a reference, or NULL (no thread with an mm left) */
	char comm[16];
};

/* Under the task lock (a kernel_for_each_tg walk): one live process. */
static int collect_proc(struct thread_group *tg, void *arg)
{
	struct collect *c = arg;
	struct ps_proc *p = &((struct ps_proc *)c->v)[c->n];
	struct task *t = tg->leader;
	if (tg->zombie || tg->reaped)
		return 0;
	/* A leader that exited before its threads has dropped its mm
	 * (exit.c, under this lock): any thread's is the same. */
	struct task *m = t->mm ? t : NULL;
	for (struct task *o = tg->threads; !m && o; o = o->tg_next)
		if (o->mm)
			m = o;
	p->pid = tg->tgid;
	if (m) {
		p->mm = m->mm;
		mm_get(m->mm);
	}
	memcpy(p->comm, t->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = 0;
	return ++c->n == c->cap;
}

static int collect_procs(struct kernel *k, struct ps_proc **out)
{
	struct collect c = {.cap = kernel_nr_tasks(k) + 1};
	c.v = calloc((size_t)c.cap, sizeof(struct ps_proc));
	if (!c.v)
		return -ENOMEM;
	kernel_for_each_tg(k, collect_proc, &c);
	*out = c.v;
	return c.n;
}

/*
 * {"ok":true,"pids":[1,7],"stubs":B,"procs":[{"pid":1,"sentry_ns_pid":N,"comm":"sh"},..]}
 *
 * "pids": the sandbox's pids, ascending.  "procs": per process, its name and
 * the pid of the host process backing its address space (on ptrace, the
 * stub, whose host comm is the app's command: exec.c and prctl name it), or
 * 0 when it has none yet.  That pid is as the Sentry sees it, in the
 * sandbox's own pid namespace: the runtime (`visor ps`), which runs in the
 * host's, translates it through /proc (NSpid) before handing host pids to
 * containerd for `docker top`.  "stubs" says whether the platform backs
 * processes with host processes at all; when it does not, callers have only
 * the sandbox pids, and `docker top` cannot be right (dockerd would show the
 * host processes that happen to have those pids).
 */
static void op_ps(struct kernel *k, char *reply, size_t size)
{
	struct ps_proc *procs = NULL;
	int n = collect_procs(k, &procs);
	if (n < 0) {
		reply_error(reply, size, -n, "ps: %s", strerror(-n));
		return;
	}
	/* Ascending, as ps prints them. */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && procs[j - 1].pid > procs[j].pid; j--) {
			struct ps_proc x = procs[j];
			procs[j] = procs[j - 1];
			procs[j - 1] = x;
		}
	const struct platform_ops *po = k->plat ? k->plat->ops : NULL;
	bool stubs = po && po->as_host_pid;
	int *host = calloc((size_t)n + 1, sizeof(int));
	for (int i = 0; i < n; i++) {
		struct addr_space *as = procs[i].mm ? mm_addr_space(procs[i].mm) : NULL;
		if (host && stubs && as)
			host[i] = po->as_host_pid(as);
		mm_put(procs[i].mm); /* may release the address space: no lock held */
		procs[i].mm = NULL;
	}
	if (!host) {
		free(procs);
		reply_error(reply, size, ENOMEM, "ps: %s", strerror(ENOMEM));
		return;
	}

	/* Truncated, never malformed: an entry is at most ~150 bytes (a
	 * 15-byte comm, each byte escaped to 6), and entries stop while there
	 * is room for the rest. */
	struct json_writer w;
	json_writer_init_fixed(&w, reply, size, NULL, 0);
	json_object_begin(&w);
	json_key_bool(&w, "ok", true);
	json_key_array_begin(&w, "pids");
	for (int i = 0; i < n && w.len + 48 < size / 2; i++)
		json_int(&w, procs[i].pid);
	json_array_end(&w);
	json_key_bool(&w, "stubs", stubs);
	json_key_array_begin(&w, "procs");
	for (int i = 0; i < n && w.len + 160 < size; i++) {
		char comm[16];
		/* Anything but printable ASCII becomes '?': the name is the
		 * app's choice (prctl), and the reply must stay valid JSON. */
		for (size_t c = 0; c < sizeof(comm); c++) {
			unsigned char ch = (unsigned char)procs[i].comm[c];
			comm[c] = (char)((ch && (ch < 0x20 || ch > 0x7e)) ? '?' : ch);
			if (!ch)
				break;
		}
		comm[sizeof(comm) - 1] = 0;
		json_object_begin(&w);
		json_key_int(&w, "pid", procs[i].pid);
		json_key_int(&w, "sentry_ns_pid", host[i]);
		json_key_string(&w, "comm", comm);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
	free(host);
	free(procs);
}

static void op_wait(struct kernel *k, char *reply, size_t size)
{
	vmutex_lock(&k->done_lock);
	while (!k->done)
		vmutex_cond_wait(&k->done_cond, &k->done_lock);
	int st = k->init_status;
	vmutex_unlock(&k->done_lock);
	reply_ok(reply, size, "status", st);
}

/* {"op":"unsupported"}: the syscalls without a handler the app called and
 * the socket options refused, with their counts (`visor debug --unsupported`). */
static void op_unsupported(char *reply, size_t size)
{
	int nrs[SYSCALL_MAX], levels[256], optnames[256];
	uint64_t counts[SYSCALL_MAX], ocounts[256];
	int n = syscall_unsupported(nrs, counts, SYSCALL_MAX);
	int no = syscall_unsupported_sockopts(levels, optnames, ocounts, 256);
	struct json_writer w;
	json_writer_init_fixed(&w, reply, size, NULL, 0);
	json_object_begin(&w);
	json_key_bool(&w, "ok", true);
	json_key_array_begin(&w, "syscalls");
	/* An entry is under 80 bytes: stop while the rest still fits. */
	for (int i = 0; i < n && w.len + 160 < size; i++) {
		json_object_begin(&w);
		json_key_int(&w, "nr", nrs[i]);
		json_key_string(&w, "name", syscall_name(nrs[i]));
		json_key_int(&w, "count", (long long)counts[i]);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_key_array_begin(&w, "sockopts");
	for (int i = 0; i < no && w.len + 160 < size; i++) {
		json_object_begin(&w);
		json_key_int(&w, "level", levels[i]);
		json_key_int(&w, "optname", optnames[i]);
		json_key_int(&w, "count", (long long)ocounts[i]);
		json_object_end(&w);
	}
	json_array_end(&w);
	json_object_end(&w);
}

/* Parse an exec request into a (the strings point into req) and spawn it. */
static int op_exec(struct kernel *k, yajl_val req, int *fds, int nfds, char *reply, size_t size)
{
	struct spawn_args a;
	memset(&a, 0, sizeof(a));
	char **args = NULL, **env = NULL;
	int nargs = 0, nenv = 0;
	struct file *files[3] = {NULL, NULL, NULL};
	uint32_t *groups = NULL;
	int pid = 0;
	long long uid, gid, umask_v;
	bool terminal, nnp;
	const char *what = NULL;

	if (get_strv(req, "args", true, &args, &nargs) < 0 || nargs < 1) {
		what = "\"args\" must be a non-empty array of strings";
		goto bad;
	}
	if (get_strv(req, "env", false, &env, &nenv) < 0) {
		what = "\"env\" must be an array of strings";
		goto bad;
	}
	if (!env && !(env = calloc(1, sizeof(char *)))) {
		pid = -ENOMEM;
		goto out;
	}
	yajl_val cwd = obj_get(req, "cwd");
	if (cwd && !YAJL_IS_NULL(cwd) &&
	    (!YAJL_IS_STRING(cwd) || YAJL_GET_STRING(cwd)[0] != '/')) {
		what = "\"cwd\" must be an absolute path";
		goto bad;
	}
	if (get_int(req, "uid", 0, UINT32_MAX - 1, 0, &uid) < 0 ||
	    get_int(req, "gid", 0, UINT32_MAX - 1, 0, &gid) < 0 ||
	    get_int(req, "umask", -1, 0777, -1, &umask_v) < 0) {
		what = "\"uid\"/\"gid\"/\"umask\" out of range";
		goto bad;
	}
	if (get_bool(req, "terminal", &terminal) < 0 || get_bool(req, "no_new_privs", &nnp) < 0) {
		what = "\"terminal\"/\"no_new_privs\" must be booleans";
		goto bad;
	}
	if (nfds != (terminal ? 1 : 3)) {
		what = "exec needs 3 stdio fds (1 with a terminal) in SCM_RIGHTS";
		goto bad;
	}
	yajl_val gv = obj_get(req, "groups");
	if (gv && !YAJL_IS_NULL(gv)) {
		if (!YAJL_IS_ARRAY(gv) || gv->u.array.len > 65536) {
			what = "\"groups\" must be an array of gids";
			goto bad;
		}
		groups = calloc(gv->u.array.len + 1, sizeof(uint32_t));
		if (!groups) {
			pid = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < gv->u.array.len; i++) {
			yajl_val g = gv->u.array.values[i];
			if (!YAJL_IS_INTEGER(g) || YAJL_GET_INTEGER(g) < 0 ||
			    YAJL_GET_INTEGER(g) >= UINT32_MAX) {
				what = "\"groups\" must be an array of gids";
				goto bad;
			}
			groups[i] = (uint32_t)YAJL_GET_INTEGER(g);
		}
		a.groups = groups;
		a.ngroups = (int)gv->u.array.len;
	}
	/* Capabilities: as given, else root gets all and others none (the
	 * default a fresh execve by that user would have). */
	uint64_t allcaps = ~0ULL;
	uint64_t caps[4] = {uid ? 0 : allcaps, uid ? 0 : allcaps, allcaps, 0};
	yajl_val cv = obj_get(req, "caps");
	if (cv && !YAJL_IS_NULL(cv)) {
		if (!YAJL_IS_ARRAY(cv) || cv->u.array.len != 4) {
			what = "\"caps\" must be [effective, permitted, bounding, inheritable]";
			goto bad;
		}
		for (int i = 0; i < 4; i++) {
			yajl_val c = cv->u.array.values[i];
			if (!YAJL_IS_INTEGER(c) || YAJL_GET_INTEGER(c) < 0) {
				what = "\"caps\" entries must be non-negative integers";
				goto bad;
			}
			caps[i] = (uint64_t)YAJL_GET_INTEGER(c);
		}
	}
	yajl_val rv = obj_get(req, "rlimits");
	if (rv && !YAJL_IS_NULL(rv)) {
		if (!YAJL_IS_ARRAY(rv) || rv->u.array.len > RLIM_NLIMITS) {
			what = "\"rlimits\" must be an array of [resource, soft, hard]";
			goto bad;
		}
		for (size_t i = 0; i < rv->u.array.len; i++) {
			yajl_val e = rv->u.array.values[i];
			if (!YAJL_IS_ARRAY(e) || e->u.array.len != 3 ||
			    !YAJL_IS_INTEGER(e->u.array.values[0]) ||
			    !YAJL_IS_NUMBER(e->u.array.values[1]) ||
			    !YAJL_IS_NUMBER(e->u.array.values[2])) {
				what = "\"rlimits\" must be an array of [resource, soft, hard]";
				goto bad;
			}
			long long res = YAJL_GET_INTEGER(e->u.array.values[0]);
			if (res < 0 || res >= RLIM_NLIMITS) {
				what = "rlimit resource out of range";
				goto bad;
			}
			/* Limits up to RLIM_INFINITY (2^64-1) do not fit yajl's
			 * long long: they arrive as doubles; read them back
			 * from the number's text. */
			uint64_t lim[2];
			for (int j = 0; j < 2; j++) {
				const char *txt = e->u.array.values[1 + j]->u.number.r;
				char *end;
				errno = 0;
				unsigned long long x = strtoull(txt, &end, 10);
				if (errno || *end || txt[0] == '-') {
					what = "rlimit values must be unsigned integers";
					goto bad;
				}
				lim[j] = x;
			}
			if (lim[0] > lim[1]) {
				what = "rlimit soft above hard";
				goto bad;
			}
			a.rlimits[res].rlim_cur = lim[0];
			a.rlimits[res].rlim_max = lim[1];
			a.rlimits_set[res] = true;
		}
	}
	for (int i = 0; i < 3; i++) {
		int hfd = fds[terminal ? 0 : i];
		int fl = fcntl(hfd, F_GETFL);
		int dfd = fl < 0 ? -1 : fcntl(hfd, F_DUPFD_CLOEXEC, 3);
		if (dfd < 0) {
			pid = -errno;
			goto out;
		}
		files[i] = hostfd_file_new(dfd, fl & (O_ACCMODE | O_APPEND | O_NONBLOCK));
		if (!files[i]) {
			close(dfd);
			pid = -ENOMEM;
			goto out;
		}
	}
	a.argv = args;
	a.argc = nargs;
	a.envp = env;
	a.envc = nenv;
	a.cwd = cwd && YAJL_IS_STRING(cwd) ? YAJL_GET_STRING(cwd) : "/";
	a.uid = (uint32_t)uid;
	a.gid = (uint32_t)gid;
	a.cap_effective = caps[0];
	a.cap_permitted = caps[1];
	a.cap_bounding = caps[2];
	a.cap_inheritable = caps[3];
	a.no_new_privs = nnp;
	a.umask = umask_v < 0 ? (uint32_t)-1 : (uint32_t)umask_v;
	a.new_session = true; /* as runc exec: not in init's session */
	for (int i = 0; i < 3; i++)
		a.stdio[i] = files[i];
	pid = control_spawn(k, &a);
	goto out;
bad:
	pid = -EINVAL;
out:
	for (int i = 0; i < 3; i++)
		if (files[i])
			file_put(files[i]);
	if (pid > 0)
		reply_ok(reply, size, "pid", pid);
	else if (what)
		reply_error(reply, size, EINVAL, "bad exec request: %s", what);
	else if (pid == -ENOENT)
		reply_error(reply, size, ENOENT,
			    "\"%s\": executable file not found in $PATH or no such file",
			    args ? args[0] : "");
	else
		reply_error(reply, size, -pid, "%s: %s", args ? args[0] : "",
			    strerror(-pid));
	free(args);
	free(env);
	free(groups);
	return pid > 0 ? pid : 0;
}

int control_handle(struct kernel *k, int init_pid, const char *req, size_t len, int *fds,
		   int nfds, char *reply, size_t reply_size)
{
	if (len == 0 || len >= CONTROL_MSG_MAX || memchr(req, 0, len) ||
	    !json_depth_ok(req, len)) {
		reply_error(reply, reply_size, EINVAL, "malformed request");
		return 0;
	}
	char *text = strndup(req, len);
	if (!text) {
		reply_error(reply, reply_size, ENOMEM, "out of memory");
		return 0;
	}
	char perr[128];
	yajl_val root = yajl_tree_parse(text, perr, sizeof(perr));
	free(text);
	if (!root || !YAJL_IS_OBJECT(root)) {
		reply_error(reply, reply_size, EINVAL, "request is not a JSON object");
		yajl_tree_free(root);
		return 0;
	}
	yajl_val op = obj_get(root, "op");
	const char *o = op && YAJL_IS_STRING(op) ? YAJL_GET_STRING(op) : "";
	int ret = 0;
	if (strcmp(o, "exec") && strcmp(o, "net") && nfds > 0) {
		reply_error(reply, reply_size, EINVAL, "only exec and net take fds");
	} else if (!strcmp(o, "net")) {
		char msg[256];
		int r = netcfg_apply(req, len, fds, nfds, msg, sizeof(msg));
		if (r < 0)
			reply_error(reply, reply_size, -r, "%s", msg);
		else
			reply_ok(reply, reply_size, NULL, 0);
	} else if (!strcmp(o, "start")) {
		int r = kernel_release_spawned(k, init_pid);
		if (r < 0)
			reply_error(reply, reply_size, -r, "container already started");
		else
			reply_ok(reply, reply_size, NULL, 0);
	} else if (!strcmp(o, "kill")) {
		op_kill(k, init_pid, root, reply, reply_size);
	} else if (!strcmp(o, "ps")) {
		op_ps(k, reply, reply_size);
	} else if (!strcmp(o, "limits")) {
		op_limits(k, root, reply, reply_size);
	} else if (!strcmp(o, "wait")) {
		op_wait(k, reply, reply_size);
	} else if (!strcmp(o, "unsupported")) {
		op_unsupported(reply, reply_size);
	} else if (!strcmp(o, "exec")) {
		ret = op_exec(k, root, fds, nfds, reply, reply_size);
	} else {
		reply_error(reply, reply_size, EINVAL, "unknown op \"%.64s\"", o);
	}
	yajl_tree_free(root);
	return ret;
}

/* ---- transport ---------------------------------------------------------------- */

static void send_reply(int fd, const char *reply)
{
	/* sendmsg, not send (sendto): the jail's allow-list has sendmsg. */
	struct iovec iov = {.iov_base = (void *)reply, .iov_len = strlen(reply)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
	(void)w; /* a client that went away is not our problem */
}

/* After an exec: the connection belongs to the exec'd process until it
 * exits.  A waiter thread sends {"exit":S} when it does; meanwhile the
 * client may send {"op":"signal","signal":N} (the `visor exec` process
 * forwarding what the shim sends it), and if the client goes away first
 * the process is killed — it is tied to its `visor exec` as runc's exec'd
 * process is to the shim's view of it. */
struct exec_waiter {
	struct kernel *k;
	int fd, pid;
	struct vmutex lock; /* protects done (outermost; never under kernel locks) */
	bool done;
};

static void *exec_waiter_main(void *arg)
{
	struct exec_waiter *w = arg;
	int st = kernel_wait_spawned(w->k, w->pid);
	vmutex_lock(&w->lock);
	w->done = true;
	vmutex_unlock(&w->lock);
	char msg[64];
	struct json_writer jw;
	json_writer_init_fixed(&jw, msg, sizeof(msg), NULL, 0);
	json_object_begin(&jw);
	json_key_int(&jw, "exit", st < 0 ? 255 << 8 : st);
	json_object_end(&jw);
	send_reply(w->fd, msg);
	/* Wake the connection thread out of its recv. */
	shutdown(w->fd, SHUT_RD);
	return NULL;
}

static void exec_session(struct kernel *k, int fd, int pid, char *buf)
{
	struct exec_waiter w = {.k = k, .fd = fd, .pid = pid};
	vmutex_init(&w.lock, LOCK_CLASS(EXEC_WAITER));
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 128 * 1024);
	if (pthread_create(&th, &at, exec_waiter_main, &w) != 0) {
		pthread_attr_destroy(&at);
		exec_waiter_main(&w); /* no thread: just wait here */
		vmutex_destroy(&w.lock);
		return;
	}
	pthread_attr_destroy(&at);
	for (;;) {
		/* recvmsg, not recv (recvfrom): the jail allows recvmsg. */
		struct iovec iov = {.iov_base = buf, .iov_len = CONTROL_MSG_MAX - 1};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf[n] = 0;
		/* Only {"op":"signal","signal":N}; anything else is ignored
		 * (no reply: the one message this side sends is the exit). */
		const char *sp = strstr(buf, "\"signal\":");
		if (!strstr(buf, "\"op\":\"signal\"") || !sp)
			continue;
		char *end;
		long sig = strtol(sp + 9, &end, 10);
		if (end == sp + 9 || sig < 1 || sig > VISOR_NSIG)
			continue;
		vmutex_lock(&w.lock);
		if (!w.done)
			signal_pid(k, pid, (int)sig);
		vmutex_unlock(&w.lock);
	}
	vmutex_lock(&w.lock);
	if (!w.done)
		signal_pid(k, pid, SIGKILL); /* the client is gone */
	vmutex_unlock(&w.lock);
	pthread_join(th, NULL);
	vmutex_destroy(&w.lock);
}

static void *conn_main(void *arg)
{
	struct control_conn *c = arg;
	struct control_server *srv = c->srv;
	/* mmap, not malloc: freeing 64 KiB blocks from a thread arena makes
	 * glibc shrink the heap, and it first reads
	 * /proc/sys/vm/overcommit_memory — an openat the jail kills us for. */
	char *mem = mmap(NULL, 2 * CONTROL_MSG_MAX, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *buf = mem == MAP_FAILED ? NULL : mem;
	char *reply = buf ? buf + CONTROL_MSG_MAX : NULL;
	while (buf && reply) {
		int fds[CONTROL_MAX_FDS];
		int nfds = 0;
		union {
			struct cmsghdr h;
			char b[CMSG_SPACE(sizeof(int) * CONTROL_MAX_FDS)];
		} cm;
		struct iovec iov = {.iov_base = buf, .iov_len = CONTROL_MSG_MAX};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = cm.b,
				    .msg_controllen = sizeof(cm.b)};
		ssize_t n = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		bool fd_trouble = (mh.msg_flags & MSG_CTRUNC) != 0;
		for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
			if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
				continue;
			size_t cnt = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < cnt; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
				if (nfds < CONTROL_MAX_FDS)
					fds[nfds++] = fd;
				else {
					close(fd);
					fd_trouble = true;
				}
			}
		}
		int pid;
		if (fd_trouble || (mh.msg_flags & MSG_TRUNC)) {
			reply_error(reply, CONTROL_MSG_MAX, EINVAL, "request or fds truncated");
			pid = 0;
		} else {
			pid = control_handle(srv->k, srv->init_pid, buf, (size_t)n, fds, nfds, reply,
					     CONTROL_MSG_MAX);
		}
		for (int i = 0; i < nfds; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		send_reply(c->fd, reply);
		if (pid > 0) {
			exec_session(srv->k, c->fd, pid, buf);
			break;
		}
	}
	if (buf)
		munmap(mem, 2 * CONTROL_MSG_MAX);
	close(c->fd);
	vmutex_lock(&srv->lock);
	srv->nconns--;
	vmutex_unlock(&srv->lock);
	free(c);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct control_server *srv = arg;
	for (;;) {
		int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOMEM ||
			    errno == ENOBUFS) {
				usleep(100000);
				continue;
			}
			log_error("control: accept: %s; control server stops", strerror(errno));
			return NULL;
		}
		vmutex_lock(&srv->lock);
		bool full = srv->nconns >= CONTROL_MAX_CONNS;
		if (!full)
			srv->nconns++;
		vmutex_unlock(&srv->lock);
		struct control_conn *c = full ? NULL : malloc(sizeof(*c));
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&at, 256 * 1024);
		bool started = false;
		if (c) {
			c->srv = srv;
			c->fd = fd;
			started = pthread_create(&th, &at, conn_main, c) == 0;
		}
		pthread_attr_destroy(&at);
		if (!started) {
			send_reply(fd, "{\"ok\":false,\"errno\":11,\"error\":\"control server busy\"}");
			close(fd);
			free(c);
			if (!full) {
				vmutex_lock(&srv->lock);
				srv->nconns--;
				vmutex_unlock(&srv->lock);
			}
		}
	}
}

int control_server_start(struct kernel *k, int listen_fd, int init_pid)
{
	struct control_server *srv = calloc(1, sizeof(*srv));
	if (!srv)
		return -ENOMEM;
	srv->k = k;
	srv->listen_fd = listen_fd;
	srv->init_pid = init_pid;
	vmutex_init(&srv->lock, LOCK_CLASS(CONTROL_SERVER));
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	int r = pthread_create(&th, &at, accept_main, srv);
	pthread_attr_destroy(&at);
	if (r != 0) {
		vmutex_destroy(&srv->lock);
		free(srv);
		return -r;
	}
	return 0;
}
