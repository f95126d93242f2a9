/*
 * exec.c — execve(2): argument copying, #! scripts, the new image, and the
 * point of no return (other threads killed, close-on-exec, handlers reset).
 */
#include "sentry/kernel/exec.h"
#include "sentry/kernel/ptimer.h"
#include "sentry/kernel/resource.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/vdso/vdso.h"
#include "sentry/vfs/vfs.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ARG_STRLEN (32 * 4096) /* as Linux */
#define MAX_ARG_TOTAL (2 << 20)
#define MAX_ARG_COUNT 0x7fffffff
#define BINPRM_BUF 256
#define MAX_INTERP_DEPTH 4

struct strv {
	char **v;
	int n, cap;
	size_t bytes;
};

/* The credentials of t after executing f: the file's set-user-ID and
 * set-group-ID bits count unless its mount is nosuid (Linux's
 * bprm_fill_uid); a traced exec gains privilege only under a capable tracer. */
static struct creds *exec_creds(struct task *t, struct file *f)
{
	struct exec_file_ids ids = {0};
	if (f->inode && !file_on_nosuid_mount(f)) {
		struct inode *ino = f->inode;
		vmutex_lock(&ino->lock);
		uint32_t mode = ino->mode;
		ids.uid = ino->uid;
		ids.gid = ino->gid;
		vmutex_unlock(&ino->lock);
		ids.setuid = (mode & S_ISUID) != 0;
		ids.setgid = (mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
	}
	vmutex_lock(&t->tg->siglock);
	ids.traced = __atomic_load_n(&t->pt.tracer, __ATOMIC_ACQUIRE) != NULL;
	ids.tracer_capable = t->pt.tracer_capable;
	vmutex_unlock(&t->tg->siglock);
	return creds_for_exec_file(t->creds, &ids);
}

/*
 * Serve now the faults every new program takes first (loader_result.hot):
 * the platform gets their maps before the program's first instruction, in
 * one request on systrap, instead of a round trip each.  A writable file
 * page is copied here rather than at the dynamic loader's first write to
 * it microseconds later; only a change to the file in between could tell.
 * Only where the address space has its host process already (systrap's
 * stub, handed on by as_recycle); a failure is the program's own fault
 * later, so it is ignored here.
 */
static void exec_prefault(struct task *t, struct mm *mm, const struct loader_result *res)
{
	const struct platform_ops *ops = t->k->plat->ops;
	if (!ops->as_host_pid || ops->as_host_pid(mm_addr_space(mm)) <= 0)
		return;
	for (int i = 0; i < res->nhot; i++) {
		int code;
		mm_handle_fault_access(mm, res->hot[i].addr, res->hot[i].access, &code);
	}
}

static void strv_free(struct strv *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

static int strv_insert(struct strv *s, int at, const char *str)
{
	size_t len = strlen(str) + 1;
	if (s->bytes + len > MAX_ARG_TOTAL)
		return -E2BIG;
	if (s->n + 1 >= s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		char **nv = realloc(s->v, (size_t)cap * sizeof(char *));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	char *d = strdup(str);
	if (!d)
		return -ENOMEM;
	memmove(&s->v[at + 1], &s->v[at], (size_t)(s->n - at) * sizeof(char *));
	s->v[at] = d;
	s->n++;
	s->v[s->n] = NULL;
	s->bytes += len;
	return 0;
}

/* Copy a NULL-terminated array of app strings. */
static int copy_strv(struct task *t, uint64_t addr, struct strv *out)
{
	memset(out, 0, sizeof(*out));
	int r = strv_insert(out, 0, "");
	if (r < 0)
		return r;
	free(out->v[0]);
	out->n = 0;
	out->bytes = 0;
	out->v[0] = NULL;
	if (!addr)
		return 0; /* Linux accepts NULL argv/envp as empty */
	char *buf = malloc(MAX_ARG_STRLEN);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		uint64_t p;
		r = task_copy_in(t, &p, addr + (uint64_t)out->n * 8, 8);
		if (r < 0)
			break;
		if (!p)
			break;
		ssize_t n = task_copy_string_in(t, buf, p, MAX_ARG_STRLEN);
		if (n < 0) {
			r = n == -ENAMETOOLONG ? -E2BIG : (int)n;
			break;
		}
		r = strv_insert(out, out->n, buf);
		if (r < 0)
			break;
	}
	free(buf);
	if (r < 0)
		strv_free(out);
	return r;
}

/* The ELF interpreter, denied write access while the loader reads and maps
 * it and allowed again once the image is loaded, as Linux's
 * load_elf_binary (open_exec, then exe_file_allow_write_access). */
struct interp_ctx {
	struct task *t;
	struct file *file; /* write denied */
};

static struct mm_file *open_interp(void *arg, const char *path, int *err)
{
	struct interp_ctx *ic = arg;
	struct file *f = NULL;
	int r = vfs_open(ic->t, AT_FDCWD, path, O_RDONLY | VFS_O_EXEC, 0, &f);
	if (r == 0)
		r = file_check_exec(ic->t, f);
	struct mm_file *mf = NULL;
	if (r == 0) {
		mf = file_mm_file(f);
		r = mf ? 0 : -ELIBBAD;
	}
	if (r == 0 && !ic->file) {
		r = inode_deny_write_access(f->inode);
		if (r == 0) {
			ic->file = f;
			file_get(f);
		}
	}
	if (r < 0) {
		if (f)
			file_put(f);
		*err = r;
		return NULL;
	}
	mf->ops->get(mf);
	file_put(f);
	return mf;
}

/* A file execve opened (the program, a script on the way to it, the
 * interpreter): write access denied while exec holds it, as Linux's
 * do_open_execat and do_close_execat. */
static void exec_file_put(struct file *f)
{
	inode_allow_write_access(f->inode);
	file_put(f);
}

static void interp_release(struct interp_ctx *ic)
{
	if (!ic->file)
		return;
	exec_file_put(ic->file);
	ic->file = NULL;
}

void exec_exe_file_deny(struct file *exe)
{
	/* Cannot fail: the exec or the parent that hands exe on denies
	 * already (Linux's set_mm_exe_file and dup_mm_exe_file). */
	if (inode_deny_write_access(exe->inode) < 0)
		log_warn("exec: the executable is open for write");
}

void exec_exe_file_allow(struct file *exe)
{
	inode_allow_write_access(exe->inode);
}

/* Parse "#!interp [arg]" from the first bytes of a script. */
static int parse_shebang(const char *buf, size_t n, char *interp, size_t ilen, char *arg, size_t alen,
			 bool *has_arg)
{
	size_t i = 2, end;
	for (end = 2; end < n && buf[end] != '\n'; end++)
		;
	if (end == n && n == BINPRM_BUF)
		return -ENOEXEC; /* line too long, as Linux 5.x */
	while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	size_t s = i;
	while (i < end && buf[i] != ' ' && buf[i] != '\t')
		i++;
	if (i == s || i - s >= ilen)
		return -ENOEXEC;
	memcpy(interp, buf + s, i - s);
	interp[i - s] = 0;
	while (i < end && (buf[i] == ' ' || buf[i] == '\t'))
		i++;
	size_t e = end;
	while (e > i && (buf[e - 1] == ' ' || buf[e - 1] == '\t' || buf[e - 1] == '\r'))
		e--;
	*has_arg = e > i;
	if (*has_arg) {
		if (e - i >= alen)
			return -ENOEXEC;
		memcpy(arg, buf + i, e - i);
		arg[e - i] = 0;
	}
	return 0;
}

static void set_comm(struct task *t, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strnlen(b, sizeof(t->comm) - 1);
	memcpy(t->comm, b, n);
	t->comm[n] = 0;
}

/* v's strings joined with their NULs (malloc'd, *len set), as the new
 * stack holds them; NULL on ENOMEM. */
static char *strv_join(const struct strv *v, size_t *len)
{
	size_t n = 0;
	for (int i = 0; i < v->n; i++)
		n += strlen(v->v[i]) + 1;
	char *c = malloc(n ? n : 1);
	if (!c)
		return NULL;
	size_t off = 0;
	for (int i = 0; i < v->n; i++) {
		size_t l = strlen(v->v[i]) + 1;
		memcpy(c + off, v->v[i], l);
		off += l;
	}
	*len = n;
	return c;
}

/* Under tasks_lock: the new command line, environment and executable; the
 * old executable is returned for the caller to put outside the lock. */
static struct file *set_cmdline(struct thread_group *tg, const struct strv *argv,
				const struct strv *envp, struct file *exe)
{
	struct file *old_exe = tg->exe_file;
	file_get(exe);
	exec_exe_file_deny(exe);
	tg->exe_file = exe;
	if (old_exe)
		exec_exe_file_allow(old_exe);
	size_t len = 0;
	char *c = strv_join(argv, &len);
	if (c) {
		free(tg->cmdline);
		tg->cmdline = c;
		tg->cmdline_len = len;
	}
	c = strv_join(envp, &len);
	if (c) {
		free(tg->environ);
		tg->environ = c;
		tg->environ_len = len;
	}
	return old_exe;
}

int64_t task_execve(struct task *t, int dirfd, const char *path, uint64_t argv_addr,
		    uint64_t envp_addr, int flags)
{
	struct strv argv, envp;
	int r = copy_strv(t, argv_addr, &argv);
	if (r < 0)
		return r;
	r = copy_strv(t, envp_addr, &envp);
	if (r < 0) {
		strv_free(&argv);
		return r;
	}
	r = task_execve_kernel(t, dirfd, path, &argv.v, argv.n, envp.v, envp.n, flags);
	strv_free(&argv);
	strv_free(&envp);
	return r;
}

int task_execve_kernel(struct task *t, int dirfd, const char *path, char ***argvp, int argc,
		       char **envp, int envc, int flags)
{
	char cur[4096];
	snprintf(cur, sizeof(cur), "%s", path);
	struct strv argv = {.v = *argvp, .n = argc, .cap = argc + 1};
	struct file *f = NULL;
	int r;
	int oflags = O_RDONLY | ((flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0);
	for (int depth = 0;; depth++) {
		if (depth > MAX_INTERP_DEPTH) {
			r = -ELOOP;
			goto fail;
		}
		if (flags & AT_EMPTY_PATH && !cur[0] && depth == 0) {
			f = fdt_get_file(t->fdt, dirfd);
			r = f ? 0 : -EBADF;
		} else {
			r = vfs_open(t, depth ? AT_FDCWD : dirfd, cur, oflags | VFS_O_EXEC, 0, &f);
		}
		if (r < 0)
			goto fail;
		r = file_check_exec(t, f);
		if (r == 0)
			r = inode_deny_write_access(f->inode);
		if (r < 0) {
			file_put(f);
			f = NULL;
			goto fail;
		}
		char buf[BINPRM_BUF];
		ssize_t n = file_pread_kernel(f, buf, sizeof(buf), 0);
		if (n < 0) {
			r = (int)n;
			goto fail;
		}
		if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
			char interp[BINPRM_BUF], arg[BINPRM_BUF];
			bool has_arg;
			r = parse_shebang(buf, (size_t)n, interp, sizeof(interp), arg, sizeof(arg),
					  &has_arg);
			if (r < 0)
				goto fail;
			/* argv becomes: interp [arg] path argv[1..] */
			if (argv.n > 0) {
				free(argv.v[0]);
				memmove(&argv.v[0], &argv.v[1], (size_t)argv.n * sizeof(char *));
				argv.n--;
			}
			r = strv_insert(&argv, 0, cur);
			if (r == 0 && has_arg)
				r = strv_insert(&argv, 0, arg);
			if (r == 0)
				r = strv_insert(&argv, 0, interp);
			*argvp = argv.v;
			if (r < 0)
				goto fail;
			snprintf(cur, sizeof(cur), "%s", interp);
			exec_file_put(f);
			f = NULL;
			oflags = O_RDONLY;
			continue;
		}
		break;
	}
	struct mm_file *mf = file_mm_file(f);
	if (!mf) {
		r = -EACCES;
		goto fail;
	}
	struct creds *nc = exec_creds(t, f);
	if (!nc) {
		r = -ENOMEM;
		goto fail;
	}
	bool secure = creds_exec_is_secure(t->creds, nc);
	struct mm *mm = mm_new(t->k->mf, t->k->plat);
	if (!mm) {
		creds_put(nc);
		r = -ENOMEM;
		goto fail;
	}
	/* Denied write access from here on: by this exec, then by the
	 * thread group (set_cmdline), for as long as the mm runs it. */
	mm_set_exe_file(mm, mf);
	struct interp_ctx ic = {.t = t};
	uint64_t stack_limit = tg_get_rlimit(t->tg, RLIMIT_STACK).rlim_cur;
	struct loader_args la = {
		.exe = mf,
		.open_interp = open_interp,
		.open_arg = &ic,
		.argv = argv.v,
		.argc = argv.n,
		.envp = envp,
		.envc = envc,
		.execfn = path,
		.uid = nc->ruid,
		.euid = nc->euid,
		.gid = nc->rgid,
		.egid = nc->egid,
		.secure = secure,
		.stack_limit = stack_limit == RLIM_INFINITY ? 0 : stack_limit,
		.minsigstksz = signal_minsigstksz(t->k->plat),
		.map_vdso = t->k->vdso ? vdso_map : NULL,
		.vdso_arg = t->k->vdso,
	};
	struct loader_result res;
	r = loader_load(mm, &la, &res);
	interp_release(&ic);
	if (r < 0) {
		creds_put(nc);
		mm_put(mm);
		goto fail;
	}

	/* Point of no return. */
	r = task_de_thread(t);
	if (r < 0) {
		creds_put(nc);
		mm_put(mm);
		goto fail;
	}
	/* Under the task lock: others (procfs, the control server's ps) read
	 * and take references to a leader's mm under it, as exit.c says. */
	uint64_t *auxv = malloc(res.auxv_len);
	if (auxv)
		memcpy(auxv, res.auxv, res.auxv_len);
	vmutex_lock(&t->k->tasks_lock);
	struct mm *old = t->mm;
	t->mm = mm;
	uint64_t *old_auxv = t->tg->auxv;
	t->tg->auxv = auxv;
	t->tg->auxv_len = auxv ? res.auxv_len : 0;
	vmutex_unlock(&t->k->tasks_lock);
	free(old_auxv);
	task_vfork_complete(t);
	if (old)
		mm_put_exec(old, mm);
	exec_prefault(t, mm, &res);
	/* A shared fd table is unshared first, as Linux's unshare_files. */
	struct fd_table *nf = fdt_copy(t->fdt);
	if (nf) {
		fdt_put(t->fdt);
		t->fdt = nf;
	}
	fdt_close_on_exec(t->fdt);
	/* As Linux's exit_itimers at exec: POSIX timers go, itimers stay. */
	ptimer_delete_all(t->tg, false);

	struct thread_group *tg = t->tg;
	vmutex_lock(&tg->siglock);
	for (int i = 0; i < VISOR_NSIG; i++) {
		if (tg->actions[i].handler != (uint64_t)(uintptr_t)SIG_IGN) {
			memset(&tg->actions[i], 0, sizeof(tg->actions[i]));
		} else {
			tg->actions[i].flags = 0;
			tg->actions[i].mask = 0;
			tg->actions[i].restorer = 0;
		}
	}
	t->altstack.ss_sp = NULL;
	t->altstack.ss_size = 0;
	t->altstack.ss_flags = SS_DISABLE;
	vmutex_unlock(&tg->siglock);
	task_commit_creds(t, nc);
	t->clear_child_tid = 0;
	t->robust_list = 0;
	t->robust_len = 0;
	vmutex_lock(&t->tg->siglock);
	/* As Linux's begin_new_exec: a process whose effective ids differ from
	 * its real ones is not dumpable (fs.suid_dumpable = 0), and a
	 * privilege-gaining exec clears the parent-death signal. */
	t->tg->dumpable = (nc->euid == nc->ruid && nc->egid == nc->rgid) ? 1 : 0;
	if (secure)
		t->pdeathsig = 0;
	t->tg->membarrier_state = 0; /* as membarrier_exec_mmap */
	vmutex_unlock(&t->tg->siglock);
	/* As Linux's begin_new_exec: the name is the last component of the
	 * path given to execve (a script's, not its interpreter's; "sh", not
	 * "busybox"), while /proc/PID/exe names the file that was loaded;
	 * execveat(fd, "", AT_EMPTY_PATH) takes the file's own name (Linux
	 * 6.14's comm_from_dentry). */
	char *fpath = NULL;
	if ((flags & AT_EMPTY_PATH) && !path[0]) {
		struct vfs_path root;
		fs_context_root(t->fs, &root);
		fpath = file_describe(f, &root);
		path_put(&root);
	}
	set_comm(t, fpath ? fpath : path);
	free(fpath);
	/* The host process backing the new address space (created when it is
	 * first entered) takes the command's name: what ps and `docker top`
	 * show on the host. */
	const struct platform_ops *po = t->k->plat->ops;
	struct addr_space *as = mm_addr_space(mm);
	if (po->as_set_name && as) {
		int e = po->as_set_name(as, t->comm);
		if (e < 0)
			log_debug("exec: naming the host process %s: %s", t->comm, strerror(-e));
	}
	vmutex_lock(&t->k->tasks_lock);
	const struct strv env = {.v = envp, .n = envc, .cap = envc + 1};
	struct file *old_exe = set_cmdline(tg, &argv, &env, f);
	vmutex_unlock(&t->k->tasks_lock);
	if (old_exe)
		file_put(old_exe);

	plat_regs_t *rg = &t->regs;
	uint64_t cs = rg->cs, ss = rg->ss, ds = rg->ds, es = rg->es;
	memset(rg, 0, sizeof(*rg));
	rg->cs = cs;
	rg->ss = ss;
	rg->ds = ds;
	rg->es = es;
	rg->rip = res.entry;
	rg->rsp = res.stack;
	rg->eflags = 0x202;
	rg->orig_rax = (uint64_t)-1;
	plat_fpregs_t fp;
	plat_fpregs_init(&fp, t->k->plat->xstate_size);
	t->k->plat->ops->context_set_fpregs(t->ctx, &fp);
	t->in_syscall = false;
	exec_file_put(f);
	return 0;
fail:
	*argvp = argv.v;
	if (f)
		exec_file_put(f);
	return r;
}
