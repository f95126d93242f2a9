/*
 * state.c — container state directories, their lock, state.json, and the
 * OCI state JSON; see state.h for the layout and the locking rule.
 *
 * Owns: everything under <root>.  Never: starts or signals processes (it
 * only looks at /proc/PID/stat to tell whether the Sentry still lives).
 * state.json is our own format (a superset of what `visor state` prints);
 * it is read back strictly, because a truncated or hand-edited file must
 * give a clear error, not a container with a zero pid.
 */
#include "runtime/state.h"
#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/json.h"
#include "lib/verr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define STATE_FILE "state.json"
#define LOCK_FILE "lock"
#define STATE_MAX (1u << 20) /* a state.json larger than this is not ours */
#define STATE_FORMAT 1	     /* "version" of our state.json */

bool state_id_valid(const char *id)
{
	static const char extra[] = "_.+-";
	size_t n = 0;
	if (!id)
		return false;
	for (const char *p = id; *p; p++, n++) {
		char ch = *p;
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			     (ch >= '0' && ch <= '9');
		if (!alnum && (n == 0 || !strchr(extra, ch)))
			return false;
		if (n >= STATE_ID_MAX)
			return false;
	}
	return n > 0;
}

static int bad_id(struct verr *err, const char *id)
{
	return verr_set(err, EINVAL,
			"invalid container ID \"%.64s\": must match [A-Za-z0-9][A-Za-z0-9_.+-]* "
			"and be at most %d bytes",
			id ? id : "", STATE_ID_MAX);
}

int state_dir_path(const char *root, const char *id, char *buf, size_t size)
{
	if (!state_id_valid(id))
		return -EINVAL;
	int n = snprintf(buf, size, "%s/%s", root, id);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

static int file_path(const char *root, const char *id, const char *name, char *buf, size_t size,
		     struct verr *err)
{
	int r = state_dir_path(root, id, buf, size);
	if (r == -EINVAL)
		return bad_id(err, id);
	size_t n = strlen(buf);
	if (r == 0 && (size_t)snprintf(buf + n, size - n, "/%s", name) >= size - n)
		r = -ENAMETOOLONG;
	if (r)
		return verr_set(err, ENAMETOOLONG, "state path too long under %s", root);
	return 0;
}

/* ---- removal ------------------------------------------------------------ */

/* Remove name (file or directory tree) relative to dfd, never following
 * symlinks.  ENOENT anywhere is success: someone else got there first. */
static int rm_tree_at(int dfd, const char *name, int depth)
{
	if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -errno;
	if (depth > 16)
		return -ELOOP;
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return -e;
	}
	int r = 0;
	/* Rescan until a pass removes nothing: removing entries while reading
	 * a directory may make readdir skip some. */
	for (bool again = true; again && !r;) {
		again = false;
		rewinddir(d);
		struct dirent *e;
		while ((e = readdir(d)) && !r) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			r = rm_tree_at(dirfd(d), e->d_name, depth + 1);
			again = true;
		}
	}
	closedir(d);
	if (!r && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = -errno;
	return r;
}

int state_delete(const char *root, const char *id, struct verr *err)
{
	if (!state_id_valid(id))
		return bad_id(err, id);
	_cleanup_close_ int rfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rfd < 0) {
		if (errno == ENOENT)
			return 0;
		return verr_errno(err, errno, "cannot open state root %s", root);
	}
	/* state.json first, so readers stop seeing the container at once.
	 * O_NOFOLLOW: if <id> is not our directory (a symlink, a file), only
	 * the name itself is removed below, never what it points to. */
	int dfd = openat(rfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0 && errno == ENOENT)
		return 0;
	if (dfd >= 0) {
		int e = unlinkat(dfd, STATE_FILE, 0) < 0 && errno != ENOENT ? errno : 0;
		close(dfd);
		if (e)
			return verr_errno(err, e, "cannot remove %s/%s/" STATE_FILE, root, id);
	}
	int r = rm_tree_at(rfd, id, 0);
	if (r)
		return verr_errno(err, -r, "cannot remove state directory %s/%s", root, id);
	return 0;
}

/* ---- creation and locking --------------------------------------------- */

/* Lock fd: check, after flock, that the file is still linked (not deleted
 * while we waited). */
static int lock_fd_checked(int fd)
{
	if (flock(fd, LOCK_EX) < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	return st.st_nlink == 0 ? -ENOENT : 0;
}

/* Build <root>/.new-XXXXXX holding a locked lock file, then rename it to
 * dst with RENAME_NOREPLACE: the directory appears complete and locked, and
 * of two racing creators the kernel lets exactly one rename succeed.
 * Returns the locked fd, -EEXIST, -EOPNOTSUPP (no RENAME_NOREPLACE here) or
 * another -errno (err filled, except for -EOPNOTSUPP). */
static int create_by_rename(const char *root, const char *id, const char *dst, struct verr *err)
{
	char tmp[PATH_MAX], lock[PATH_MAX];
	if (snprintf(tmp, sizeof(tmp), "%s/.new-XXXXXX", root) >= (int)sizeof(tmp))
		return verr_set(err, ENAMETOOLONG, "state path too long under %s", root);
	if (!mkdtemp(tmp))
		return verr_errno(err, errno, "cannot create a directory in %s", root);
	int fd = -1, r;
	/* mkdtemp makes 0700; the container's users may need to traverse it. */
	if (chmod(tmp, 0711) < 0) {
		r = verr_errno(err, errno, "chmod %s", tmp);
		goto fail;
	}
	if (snprintf(lock, sizeof(lock), "%s/" LOCK_FILE, tmp) >= (int)sizeof(lock)) {
		r = verr_set(err, ENAMETOOLONG, "state path too long under %s", root);
		goto fail;
	}
	fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = verr_errno(err, errno, "cannot create %s", lock);
		goto fail;
	}
	if (flock(fd, LOCK_EX) < 0) {
		r = verr_errno(err, errno, "cannot lock %s", lock);
		goto fail;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dst, RENAME_NOREPLACE) < 0) {
		int e = errno;
		if (e == EEXIST || e == ENOTEMPTY)
			r = verr_set(err, EEXIST, "container ID %s already exists", id);
		else if (e == EINVAL || e == ENOSYS)
			r = -EOPNOTSUPP;
		else
			r = verr_errno(err, e, "cannot create state directory %s", dst);
		goto fail;
	}
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	rm_tree_at(AT_FDCWD, tmp, 0);
	return r;
}

/* Fallback without RENAME_NOREPLACE: mkdir decides the race; the lock file
 * appears a moment after the directory (state_lock says -ENOENT meanwhile). */
static int create_by_mkdir(const char *id, const char *dst, struct verr *err)
{
	char lock[PATH_MAX];
	if (snprintf(lock, sizeof(lock), "%s/" LOCK_FILE, dst) >= (int)sizeof(lock))
		return verr_set(err, ENAMETOOLONG, "state path too long: %s", dst);
	if (mkdir(dst, 0711) < 0) {
		if (errno == EEXIST)
			return verr_set(err, EEXIST, "container ID %s already exists", id);
		return verr_errno(err, errno, "cannot create state directory %s", dst);
	}
	int fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0) {
		int r = verr_errno(err, errno, "cannot create %s", lock);
		if (fd >= 0)
			close(fd);
		rm_tree_at(AT_FDCWD, dst, 0);
		return r;
	}
	return fd;
}

int state_create_dir(const char *root, const char *id, int *lock_fd, struct verr *err)
{
	if (lock_fd)
		*lock_fd = -1;
	if (!state_id_valid(id))
		return bad_id(err, id);
	char dst[PATH_MAX];
	if (state_dir_path(root, id, dst, sizeof(dst)) < 0)
		return verr_set(err, ENAMETOOLONG, "state path too long under %s", root);
	int r = mkdir_p(root, 0711);
	if (r < 0)
		return verr_errno(err, -r, "cannot create state root %s", root);
	/* A clear answer for the common case without touching anything; the
	 * rename (or mkdir) below is what actually decides a race. */
	if (access(dst, F_OK) == 0)
		return verr_set(err, EEXIST, "container ID %s already exists", id);
	int fd = create_by_rename(root, id, dst, err);
	if (fd == -EOPNOTSUPP)
		fd = create_by_mkdir(id, dst, err);
	if (fd < 0)
		return fd;
	if (lock_fd)
		*lock_fd = fd;
	else
		close(fd);
	return 0;
}

int state_lock(const char *root, const char *id, struct verr *err)
{
	char path[PATH_MAX];
	int r = file_path(root, id, LOCK_FILE, path, sizeof(path), err);
	if (r)
		return r;
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return verr_set(err, ENOENT, "container %s does not exist", id);
		return verr_errno(err, errno, "cannot open %s", path);
	}
	r = lock_fd_checked(fd);
	if (r < 0) {
		close(fd);
		if (r == -ENOENT)
			return verr_set(err, ENOENT, "container %s does not exist", id);
		return verr_errno(err, -r, "cannot lock %s", path);
	}
	return fd;
}

void state_unlock(int lock_fd)
{
	if (lock_fd >= 0)
		close(lock_fd); /* closing the only fd releases the flock */
}

/* ---- state.json --------------------------------------------------------- */

/* state.json and `visor state` are pretty JSON with two-space indents.
 * Strings come from config.json (already UTF-8 checked) or our own flags;
 * JSON_UTF8 checks again, which costs nothing and keeps the output valid. */
#define STATE_JSON_INDENT "  "

static void put_annotations(struct json_writer *w, const struct oci_map *m)
{
	json_key_object_begin(w, "annotations");
	for (size_t i = 0; i < m->n; i++)
		json_key_string(w, m->items[i].key, m->items[i].value);
	json_object_end(w);
}

int state_write(const char *root, const struct visor_state *st, struct verr *err)
{
	char path[PATH_MAX];
	int r = file_path(root, st->id, STATE_FILE, path, sizeof(path), err);
	if (r)
		return r;
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, STATE_JSON_INDENT, JSON_UTF8);
	json_object_begin(&w);
	json_key_int(&w, "version", STATE_FORMAT);
	json_key_string(&w, "id", st->id);
	json_key_string(&w, "ociVersion", st->oci_version);
	json_key_string(&w, "bundle", st->bundle);
	json_key_string(&w, "rootfs", st->rootfs);
	json_key_int(&w, "sentryPid", st->sentry_pid);
	json_key_uint(&w, "sentryStartTime", st->sentry_start_time);
	json_key_int(&w, "goferPid", st->gofer_pid);
	json_key_uint(&w, "goferStartTime", st->gofer_start_time);
	json_key_string(&w, "status", st->status);
	json_key_string(&w, "created", st->created);
	json_key_string(&w, "platform", st->platform);
	json_key_string(&w, "network", st->network);
	json_key_string(&w, "fileAccess", st->file_access);
	json_key_bool(&w, "strace", st->strace);
	json_key_bool(&w, "overlay", st->overlay);
	json_key_bool(&w, "debug", st->debug);
	json_key_string(&w, "debugLog", st->debug_log);
	json_key_string(&w, "controlSocket", st->control_socket);
	json_key_string(&w, "owner", st->owner);
	put_annotations(&w, &st->annotations);
	json_object_end(&w);
	size_t len = 0;
	const char *text = json_writer_text(&w, &len);
	if (!text)
		return verr_set(err, -json_writer_error(&w),
				"cannot render the state of %s (invalid UTF-8?)", st->id);
	r = write_file_atomic(path, text, len, 0600);
	if (r)
		return verr_errno(err, -r, "cannot write %s", path);
	return 0;
}

/* Reading back: each field checked for type and size. */
struct rctx {
	struct verr *err;
	const char *id;
	yajl_val obj;
	int r;
};

static yajl_val r_get(struct rctx *c, const char *key)
{
	for (size_t i = 0; i < c->obj->u.object.len; i++)
		if (!strcmp(c->obj->u.object.keys[i], key))
			return c->obj->u.object.values[i];
	return NULL;
}

static int r_bad(struct rctx *c, const char *key, const char *what)
{
	if (!c->r)
		c->r = verr_set(c->err, EINVAL, "state.json of container %s: %s: %s", c->id, key,
				what);
	return c->r;
}

static void r_str(struct rctx *c, const char *key, char *dst, size_t size, bool required)
{
	yajl_val v = r_get(c, key);
	if (c->r)
		return;
	if (!v) {
		if (required)
			r_bad(c, key, "required field is missing");
		return;
	}
	if (!YAJL_IS_STRING(v)) {
		r_bad(c, key, "expected a string");
		return;
	}
	if (strlen(v->u.string) >= size) {
		r_bad(c, key, "too long");
		return;
	}
	strcpy(dst, v->u.string);
}

static void r_int(struct rctx *c, const char *key, long long min, long long max, long long *dst)
{
	yajl_val v = r_get(c, key);
	if (c->r || !v)
		return;
	if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < min || YAJL_GET_INTEGER(v) > max) {
		r_bad(c, key, "expected an integer in range");
		return;
	}
	*dst = YAJL_GET_INTEGER(v);
}

static void r_bool(struct rctx *c, const char *key, bool *dst)
{
	yajl_val v = r_get(c, key);
	if (c->r || !v)
		return;
	if (YAJL_IS_TRUE(v))
		*dst = true;
	else if (YAJL_IS_FALSE(v))
		*dst = false;
	else
		r_bad(c, key, "expected true or false");
}

static bool status_known(const char *s)
{
	static const char *const known[] = {"creating", "created", "running", "stopped", "paused"};
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (!strcmp(s, known[i]))
			return true;
	return false;
}

int state_read(const char *root, const char *id, struct visor_state *st, struct verr *err)
{
	memset(st, 0, sizeof(*st));
	char path[PATH_MAX];
	int r = file_path(root, id, STATE_FILE, path, sizeof(path), err);
	if (r)
		return r;
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	r = read_file(path, STATE_MAX, &text, &len);
	if (r == -ENOENT || r == -ENOTDIR)
		return verr_set(err, ENOENT, "container %s does not exist", id);
	if (r == -EFBIG)
		return verr_set(err, EINVAL, "state.json of container %s: too large", id);
	if (r < 0)
		return verr_errno(err, -r, "cannot read %s", path);
	if (memchr(text, 0, len))
		return verr_set(err, EINVAL, "state.json of container %s: malformed JSON: NUL byte",
				id);
	char ebuf[256] = "";
	yajl_val root_v = yajl_tree_parse(text, ebuf, sizeof(ebuf));
	if (!root_v) {
		ebuf[strcspn(ebuf, "\n")] = 0;
		return verr_set(err, EINVAL, "state.json of container %s: malformed JSON: %s", id,
				ebuf[0] ? ebuf : "parse error");
	}
	struct rctx c = {.err = err, .id = id, .obj = root_v};
	if (!YAJL_IS_OBJECT(root_v)) {
		yajl_tree_free(root_v);
		return verr_set(err, EINVAL, "state.json of container %s: expected a JSON object",
				id);
	}
	long long version = 0, spid = 0, gpid = 0, start = 0, gstart = 0;
	r_int(&c, "version", 1, STATE_FORMAT, &version);
	if (!c.r && version != STATE_FORMAT)
		r_bad(&c, "version", "missing or unknown state format");
	r_str(&c, "id", st->id, sizeof(st->id), true);
	if (!c.r && strcmp(st->id, id))
		r_bad(&c, "id", "does not match the directory name");
	r_str(&c, "ociVersion", st->oci_version, sizeof(st->oci_version), false);
	r_str(&c, "bundle", st->bundle, sizeof(st->bundle), true);
	r_str(&c, "rootfs", st->rootfs, sizeof(st->rootfs), false);
	r_int(&c, "sentryPid", 0, INT32_MAX, &spid);
	r_int(&c, "sentryStartTime", 0, INT64_MAX, &start);
	r_int(&c, "goferPid", 0, INT32_MAX, &gpid);
	r_int(&c, "goferStartTime", 0, INT64_MAX, &gstart);
	r_str(&c, "status", st->status, sizeof(st->status), true);
	if (!c.r && !status_known(st->status))
		r_bad(&c, "status", "unknown status");
	r_str(&c, "created", st->created, sizeof(st->created), false);
	r_str(&c, "platform", st->platform, sizeof(st->platform), false);
	r_str(&c, "network", st->network, sizeof(st->network), false);
	r_str(&c, "fileAccess", st->file_access, sizeof(st->file_access), false);
	r_bool(&c, "strace", &st->strace);
	r_bool(&c, "overlay", &st->overlay);
	r_bool(&c, "debug", &st->debug);
	r_str(&c, "debugLog", st->debug_log, sizeof(st->debug_log), false);
	r_str(&c, "controlSocket", st->control_socket, sizeof(st->control_socket), false);
	r_str(&c, "owner", st->owner, sizeof(st->owner), false);
	yajl_val ann = r_get(&c, "annotations");
	if (!c.r && ann) {
		if (!YAJL_IS_OBJECT(ann)) {
			r_bad(&c, "annotations", "expected an object");
		} else {
			for (size_t i = 0; i < ann->u.object.len && !c.r; i++) {
				yajl_val v = ann->u.object.values[i];
				if (!YAJL_IS_STRING(v))
					r_bad(&c, "annotations", "expected string values");
				else if (oci_map_set(&st->annotations, ann->u.object.keys[i],
						     v->u.string) < 0)
					c.r = verr_set(err, ENOMEM, "out of memory");
			}
		}
	}
	yajl_tree_free(root_v);
	if (c.r) {
		state_release(st);
		return c.r;
	}
	st->sentry_pid = (int)spid;
	st->gofer_pid = (int)gpid;
	st->sentry_start_time = (uint64_t)start;
	st->gofer_start_time = (uint64_t)gstart;
	return 0;
}

void state_release(struct visor_state *st) { oci_map_free(&st->annotations); }

/* ---- listing ------------------------------------------------------------ */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void state_list_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

int state_list(const char *root, char ***ids, size_t *n, struct verr *err)
{
	*ids = NULL;
	*n = 0;
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return verr_errno(err, errno, "cannot list %s", root);
	}
	char **v = NULL;
	size_t cnt = 0, cap = 0;
	struct dirent *e;
	int r = 0;
	while ((e = readdir(d))) {
		/* only well-formed ids: skips ".", "..", ".new-*" and strays */
		if (!state_id_valid(e->d_name))
			continue;
		struct stat sb;
		if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISDIR(sb.st_mode))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			char **nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				r = -ENOMEM;
				break;
			}
			v = nv;
		}
		if (!(v[cnt] = strdup(e->d_name))) {
			r = -ENOMEM;
			break;
		}
		cnt++;
	}
	closedir(d);
	if (r) {
		state_list_free(v, cnt);
		return verr_set(err, ENOMEM, "out of memory");
	}
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*ids = v;
	*n = cnt;
	return 0;
}

/* ---- liveness ----------------------------------------------------------- */

int state_proc_start_time(int pid, uint64_t *start_time)
{
	if (pid <= 0)
		return -ESRCH;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, 4096, &buf, &len);
	if (r == -ENOENT || r == -ESRCH)
		return -ESRCH;
	if (r < 0)
		return r;
	/* "pid (comm) S ppid ...": comm may hold spaces and ')', so parse
	 * after the last ')'.  Field 3 is the state, field 22 the start time. */
	char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	p++;
	char state = 0;
	uint64_t start = 0;
	for (int field = 3; field <= 22; field++) {
		while (*p == ' ')
			p++;
		if (!*p)
			return -EINVAL;
		if (field == 3)
			state = *p;
		if (field == 22) {
			char *end;
			errno = 0;
			unsigned long long x = strtoull(p, &end, 10);
			if (errno || end == p)
				return -EINVAL;
			start = x;
		}
		while (*p && *p != ' ')
			p++;
	}
	if (state == 'Z' || state == 'X')
		return -ESRCH;
	*start_time = start;
	return 0;
}

const char *state_live_status(const struct visor_state *st)
{
	if (!strcmp(st->status, "stopped"))
		return "stopped";
	if (st->sentry_pid <= 0)
		/* nothing started yet: only a container being created has no pid */
		return !strcmp(st->status, "creating") ? "creating" : "stopped";
	uint64_t start;
	if (state_proc_start_time(st->sentry_pid, &start) < 0)
		return "stopped";
	if (st->sentry_start_time && start != st->sentry_start_time)
		return "stopped"; /* the pid now belongs to someone else */
	return st->status;
}

void state_time_now(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	char day[32];
	strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%09ldZ", day, ts.tv_nsec);
}

void state_put_oci_json(struct json_writer *w, const struct visor_state *st, const char *status)
{
	if (!status)
		status = st->status;
	json_object_begin(w);
	json_key_string(w, "ociVersion", st->oci_version[0] ? st->oci_version : "1.1.0");
	json_key_string(w, "id", st->id);
	/* as runc: a stopped container has no pid */
	json_key_int(w, "pid", strcmp(status, "stopped") ? st->sentry_pid : 0);
	json_key_string(w, "status", status);
	json_key_string(w, "bundle", st->bundle);
	json_key_string(w, "rootfs", st->rootfs);
	json_key_string(w, "created", st->created);
	json_key_string(w, "owner", st->owner);
	put_annotations(w, &st->annotations);
	json_key_string(w, "platform", st->platform);
	json_key_string(w, "network", st->network[0] ? st->network : "sandbox");
	json_object_end(w);
}

int state_to_oci_json(const struct visor_state *st, const char *status, char **out)
{
	_cleanup_json_writer_ struct json_writer w;
	json_writer_init(&w, STATE_JSON_INDENT, JSON_UTF8);
	state_put_oci_json(&w, st, status);
	return json_writer_take(&w, out, NULL);
}
