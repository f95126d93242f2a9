/* Unit tests for runtime/state.c: state directories, lock, state.json, OCI state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
/* cmocka.h needs the three above first */
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "lib/fileutil.h"
#include "lib/verr.h"
#include "runtime/state.h"

static char tmpdir[64];
static char root[128];

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/visor-state-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(root, sizeof(root), "%s/root", tmpdir); /* not yet created */
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static bool exists(const char *fmt, const char *a)
{
	char p[512];
	snprintf(p, sizeof(p), fmt, root, a);
	return access(p, F_OK) == 0;
}

static int count_entries(const char *d)
{
	DIR *dp = opendir(d);
	if (!dp)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(dp)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(dp);
	return n;
}

static void fill_state(struct visor_state *st, const char *id)
{
	memset(st, 0, sizeof(*st));
	snprintf(st->id, sizeof(st->id), "%s", id);
	strcpy(st->oci_version, "1.0.2-dev");
	strcpy(st->bundle, "/var/lib/bundle");
	strcpy(st->rootfs, "/var/lib/bundle/rootfs");
	st->sentry_pid = 4242;
	st->sentry_start_time = 123456789012ULL;
	st->gofer_pid = 4243;
	st->gofer_start_time = 98765432109ULL;
	strcpy(st->status, "created");
	state_time_now(st->created, sizeof(st->created));
	strcpy(st->platform, "systrap");
	strcpy(st->network, "none");
	strcpy(st->file_access, "shared");
	st->strace = true;
	st->overlay = false;
	st->debug = true;
	strcpy(st->debug_log, "/tmp/visor-%ID%.log");
	strcpy(st->control_socket, "/run/visor/x/ctl.sock");
	strcpy(st->owner, "root");
	assert_int_equal(
	    oci_map_set(&st->annotations, "io.kubernetes.cri.container-type", "sandbox"), 0);
	assert_int_equal(oci_map_set(&st->annotations, "quote\"d", "v\\al\nue"), 0);
}

static void test_id_validation(void **state)
{
	assert_true(state_id_valid("a"));
	assert_true(state_id_valid("0abc-1.2_3+x"));
	assert_true(
	    state_id_valid("7c9b0f6d1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d"));
	char longid[STATE_ID_MAX + 2];
	memset(longid, 'a', sizeof(longid));
	longid[STATE_ID_MAX] = 0;
	assert_true(state_id_valid(longid));
	longid[STATE_ID_MAX] = 'a';
	longid[STATE_ID_MAX + 1] = 0;
	assert_false(state_id_valid(longid));
	assert_false(state_id_valid(""));
	assert_false(state_id_valid(NULL));
	assert_false(state_id_valid("../x"));
	assert_false(state_id_valid(".."));
	assert_false(state_id_valid(".hidden"));
	assert_false(state_id_valid("-x"));
	assert_false(state_id_valid("a/b"));
	assert_false(state_id_valid("a b"));
	assert_false(state_id_valid("a\nb"));
	assert_false(state_id_valid("caf\xc3\xa9"));
}

static void test_invalid_ids_are_refused_everywhere(void **state)
{
	static const char *bad[] = {"../x", "", "a/b", ".new-123456", "x y"};
	struct verr err = {0};
	struct visor_state st;
	char longid[1100];
	memset(longid, 'b', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]) + 1; i++) {
		const char *id = i < sizeof(bad) / sizeof(bad[0]) ? bad[i] : longid;
		err.msg[0] = 0;
		assert_int_equal(state_create_dir(root, id, NULL, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "invalid container ID"));
		assert_int_equal(state_lock(root, id, &err), -EINVAL);
		assert_int_equal(state_read(root, id, &st, &err), -EINVAL);
		assert_int_equal(state_delete(root, id, &err), -EINVAL);
	}
	/* nothing was created, not even outside root */
	assert_int_equal(count_entries(root), -1);
	assert_int_equal(count_entries(tmpdir), 0);
}

static void test_create_twice_fails_with_eexist(void **state)
{
	struct verr err = {0};
	assert_int_equal(state_create_dir(root, "c1", NULL, &err), 0);
	struct stat sb;
	assert_int_equal(stat(root, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0711);
	assert_true(exists("%s/%s/lock", "c1"));
	assert_int_equal(state_create_dir(root, "c1", NULL, &err), -EEXIST);
	assert_string_equal(err.msg, "container ID c1 already exists");
	/* no temporary directories left behind */
	assert_int_equal(count_entries(root), 1);
}

static void test_write_read_roundtrip(void **state)
{
	struct verr err = {0};
	struct visor_state st, back;
	fill_state(&st, "round-trip.1");
	assert_int_equal(state_create_dir(root, st.id, NULL, &err), 0);
	assert_int_equal(state_write(root, &st, &err), 0);
	assert_int_equal(state_read(root, st.id, &back, &err), 0);
	assert_string_equal(back.id, st.id);
	assert_string_equal(back.oci_version, "1.0.2-dev");
	assert_string_equal(back.bundle, st.bundle);
	assert_string_equal(back.rootfs, st.rootfs);
	assert_int_equal(back.sentry_pid, 4242);
	assert_int_equal(back.sentry_start_time, 123456789012ULL);
	assert_int_equal(back.gofer_pid, 4243);
	assert_int_equal(back.gofer_start_time, 98765432109ULL);
	assert_string_equal(back.status, "created");
	assert_string_equal(back.created, st.created);
	assert_string_equal(back.platform, "systrap");
	assert_string_equal(back.network, "none");
	assert_string_equal(back.file_access, "shared");
	assert_true(back.strace);
	assert_false(back.overlay);
	assert_true(back.debug);
	assert_string_equal(back.debug_log, st.debug_log);
	assert_string_equal(back.control_socket, st.control_socket);
	assert_string_equal(back.owner, "root");
	assert_int_equal(back.annotations.n, 2);
	assert_string_equal(oci_map_get(&back.annotations, "quote\"d"), "v\\al\nue");
	char p[512];
	snprintf(p, sizeof(p), "%s/%s/state.json", root, st.id);
	struct stat sb;
	assert_int_equal(stat(p, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* overwrite: status change persists */
	strcpy(st.status, "running");
	assert_int_equal(state_write(root, &st, &err), 0);
	state_release(&back);
	assert_int_equal(state_read(root, st.id, &back, &err), 0);
	assert_string_equal(back.status, "running");
	state_release(&back);
	state_release(&st);
}

static void test_read_missing_is_enoent(void **state)
{
	struct verr err = {0};
	struct visor_state st;
	assert_int_equal(state_read(root, "nope", &st, &err), -ENOENT);
	assert_string_equal(err.msg, "container nope does not exist");
	/* created but no state.json yet */
	assert_int_equal(state_create_dir(root, "half", NULL, &err), 0);
	assert_int_equal(state_read(root, "half", &st, &err), -ENOENT);
	/* write into a deleted container fails */
	assert_int_equal(state_delete(root, "half", &err), 0);
	fill_state(&st, "half");
	assert_int_equal(state_write(root, &st, &err), -ENOENT);
	state_release(&st);
}

static void write_raw(const char *id, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s/state.json", root, id);
	assert_int_equal(write_file_atomic(p, text, strlen(text), 0600), 0);
}

static void read_fails_with(const char *id, const char *text, const char *want)
{
	struct verr err = {0};
	struct visor_state st;
	write_raw(id, text);
	int r = state_read(root, id, &st, &err);
	if (r != -EINVAL || !strstr(err.msg, want))
		fprintf(stderr, "text %s: got %d \"%s\", want \"%s\"\n", text, r, err.msg, want);
	assert_int_equal(r, -EINVAL);
	assert_non_null(strstr(err.msg, want));
	assert_non_null(strstr(err.msg, id));
	assert_null(strchr(err.msg, '\n'));
}

static void test_malformed_state_json_gives_clear_error(void **state)
{
	struct verr err = {0};
	const char *id = "broken";
	assert_int_equal(state_create_dir(root, id, NULL, &err), 0);
	read_fails_with(id, "", "malformed JSON");
	read_fails_with(id, "{\"version\":1,\"id\":\"broken\",", "malformed JSON");
	read_fails_with(id, "[]", "expected a JSON object");
	read_fails_with(id, "{\"id\":\"broken\",\"bundle\":\"/b\",\"status\":\"created\"}",
			"version");
	read_fails_with(id, "{\"version\":1,\"bundle\":\"/b\",\"status\":\"created\"}",
			"id: required field is missing");
	read_fails_with(id,
			"{\"version\":1,\"id\":\"other\",\"bundle\":\"/b\",\"status\":\"created\"}",
			"id: does not match");
	read_fails_with(id,
			"{\"version\":1,\"id\":\"broken\",\"bundle\":\"/b\",\"status\":\"zombie\"}",
			"status: unknown status");
	read_fails_with(id, "{\"version\":1,\"id\":\"broken\",\"bundle\":7,\"status\":\"created\"}",
			"bundle: expected a string");
	read_fails_with(id,
			"{\"version\":1,\"id\":\"broken\",\"bundle\":\"/b\",\"status\":\"created\","
			"\"sentryPid\":-4}",
			"sentryPid: expected an integer in range");
	read_fails_with(id,
			"{\"version\":1,\"id\":\"broken\",\"bundle\":\"/b\",\"status\":\"created\","
			"\"strace\":\"yes\"}",
			"strace: expected true or false");
	read_fails_with(id,
			"{\"version\":1,\"id\":\"broken\",\"bundle\":\"/b\",\"status\":\"created\","
			"\"platform\":\"an-overly-long-platform-name\"}",
			"platform: too long");
	read_fails_with(id,
			"{\"version\":1,\"id\":\"broken\",\"bundle\":\"/b\",\"status\":\"created\","
			"\"annotations\":{\"a\":1}}",
			"annotations: expected string values");
	/* a minimal valid one reads fine */
	write_raw(id, "{\"version\":1,\"id\":\"broken\",\"bundle\":\"/b\",\"status\":\"created\"}");
	struct visor_state st;
	assert_int_equal(state_read(root, id, &st, &err), 0);
	assert_int_equal(st.sentry_pid, 0);
	assert_string_equal(st.platform, "");
	state_release(&st);
}

static void test_delete_removes_everything_and_is_idempotent(void **state)
{
	struct verr err = {0};
	struct visor_state st;
	fill_state(&st, "del");
	assert_int_equal(state_create_dir(root, "del", NULL, &err), 0);
	assert_int_equal(state_write(root, &st, &err), 0);
	state_release(&st);
	/* extra content: a nested dir, a file, and a symlink to something outside */
	char p[512], outside[512];
	snprintf(outside, sizeof(outside), "%s/keepme", tmpdir);
	assert_int_equal(mkdir(outside, 0755), 0);
	snprintf(p, sizeof(p), "%s/keepme/file", tmpdir);
	assert_int_equal(write_file_atomic(p, "x", 1, 0644), 0);
	snprintf(p, sizeof(p), "%s/del/sub/deeper", root);
	assert_int_equal(mkdir_p(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/del/sub/deeper/f", root);
	assert_int_equal(write_file_atomic(p, "x", 1, 0644), 0);
	snprintf(p, sizeof(p), "%s/del/link", root);
	assert_int_equal(symlink(outside, p), 0);

	assert_int_equal(state_delete(root, "del", &err), 0);
	assert_false(exists("%s/%s", "del"));
	snprintf(p, sizeof(p), "%s/keepme/file", tmpdir);
	assert_int_equal(access(p, F_OK), 0); /* the symlink was not followed */
	assert_int_equal(state_delete(root, "del", &err), 0);
	assert_int_equal(state_delete(root, "never-existed", &err), 0);
	char noroot[256];
	snprintf(noroot, sizeof(noroot), "%s/no-such-root", tmpdir);
	assert_int_equal(state_delete(noroot, "x", &err), 0);
	/* an id that is a symlink to a directory: only the link goes */
	char victim[512];
	snprintf(victim, sizeof(victim), "%s/keepme/state.json", tmpdir);
	assert_int_equal(write_file_atomic(victim, "{}", 2, 0644), 0);
	snprintf(p, sizeof(p), "%s/evil", root);
	assert_int_equal(symlink(outside, p), 0);
	assert_int_equal(state_delete(root, "evil", &err), 0);
	assert_int_equal(access(p, F_OK), -1);
	assert_int_equal(access(victim, F_OK), 0);
	/* the id can be reused after delete */
	assert_int_equal(state_create_dir(root, "del", NULL, &err), 0);
}

static void test_list_returns_sorted_ids_only(void **state)
{
	struct verr err = {0};
	char **ids = (char **)0x1;
	size_t n = 99;
	assert_int_equal(state_list(root, &ids, &n, &err), 0); /* root absent */
	assert_int_equal(n, 0);
	assert_null(ids);
	assert_int_equal(state_create_dir(root, "zeta", NULL, &err), 0);
	assert_int_equal(state_create_dir(root, "alpha", NULL, &err), 0);
	assert_int_equal(state_create_dir(root, "Mid", NULL, &err), 0);
	char p[512];
	snprintf(p, sizeof(p), "%s/.new-abcdef", root); /* an interrupted create */
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/plainfile", root);
	assert_int_equal(write_file_atomic(p, "x", 1, 0644), 0);
	assert_int_equal(state_list(root, &ids, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(ids[0], "Mid");
	assert_string_equal(ids[1], "alpha");
	assert_string_equal(ids[2], "zeta");
	state_list_free(ids, n);
}

/* Two processes create the same id at the same moment: exactly one wins. */
static void test_concurrent_create_exactly_one_wins(void **state)
{
	for (int round = 0; round < 40; round++) {
		char id[32];
		snprintf(id, sizeof(id), "race%d", round);
		int go[2];
		assert_int_equal(pipe(go), 0);
		pid_t kids[2];
		for (int k = 0; k < 2; k++) {
			kids[k] = fork();
			assert_true(kids[k] >= 0);
			if (kids[k] == 0) {
				char b;
				close(go[1]);
				if (read(go[0], &b, 1) != 0) /* wait for the pipe to close */
					_exit(3);
				struct verr e = {0};
				int r = state_create_dir(root, id, NULL, &e);
				_exit(r == 0 ? 0 : r == -EEXIST ? 1 : 2);
			}
		}
		close(go[0]);
		close(go[1]); /* release both at once */
		int wins = 0, losses = 0;
		for (int k = 0; k < 2; k++) {
			int status;
			assert_int_equal(waitpid(kids[k], &status, 0), kids[k]);
			assert_true(WIFEXITED(status));
			if (WEXITSTATUS(status) == 0)
				wins++;
			else if (WEXITSTATUS(status) == 1)
				losses++;
		}
		assert_int_equal(wins, 1);
		assert_int_equal(losses, 1);
	}
	/* no temporary directories survive the races */
	assert_int_equal(count_entries(root), 40);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_lock_excludes_other_processes(void **state)
{
	struct verr err = {0};
	int fd = -1;
	assert_int_equal(state_create_dir(root, "locked", &fd, &err), 0);
	assert_true(fd >= 0);
	/* created locked: another process cannot take it */
	pid_t kid = fork();
	if (kid == 0) {
		char p[512];
		snprintf(p, sizeof(p), "%s/locked/lock", root);
		int f = open(p, O_RDWR);
		_exit(f >= 0 && flock(f, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK ? 0 : 1);
	}
	int status;
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* a waiter blocks until the holder unlocks */
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	kid = fork();
	if (kid == 0) {
		/* the inherited copy of the parent's lock fd shares its lock */
		close(fd);
		alarm(10);
		close(ready[0]);
		struct verr e = {0};
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		double t0 = now_s();
		int l = state_lock(root, "locked", &e);
		double waited = now_s() - t0;
		_exit(l >= 0 && waited > 0.15 ? 0 : 1);
	}
	close(ready[1]);
	char b;
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	usleep(300 * 1000);
	state_unlock(fd);
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	assert_int_equal(state_lock(root, "absent", &err), -ENOENT);
	assert_string_equal(err.msg, "container absent does not exist");
}

static void test_waiter_after_delete_gets_enoent(void **state)
{
	struct verr err = {0};
	assert_int_equal(state_create_dir(root, "gone", NULL, &err), 0);
	int fd = state_lock(root, "gone", &err);
	assert_true(fd >= 0);
	int ready[2];
	assert_int_equal(pipe(ready), 0);
	pid_t kid = fork();
	if (kid == 0) {
		/* the inherited copy of the parent's lock fd shares its lock */
		close(fd);
		alarm(10);
		close(ready[0]);
		struct verr e = {0};
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		int l = state_lock(root, "gone", &e);
		_exit(l == -ENOENT ? 0 : 1);
	}
	close(ready[1]);
	char b;
	assert_int_equal(read(ready[0], &b, 1), 1);
	close(ready[0]);
	usleep(200 * 1000); /* let the child open the lock file and block */
	assert_int_equal(state_delete(root, "gone", &err), 0);
	state_unlock(fd);
	int status;
	assert_int_equal(waitpid(kid, &status, 0), kid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_proc_start_time_and_live_status(void **state)
{
	uint64_t me = 0;
	assert_int_equal(state_proc_start_time(getpid(), &me), 0);
	assert_true(me > 0);
	uint64_t again = 0;
	assert_int_equal(state_proc_start_time(getpid(), &again), 0);
	assert_int_equal(me, again);
	assert_int_equal(state_proc_start_time(0, &again), -ESRCH);
	assert_int_equal(state_proc_start_time(-5, &again), -ESRCH);

	/* a zombie counts as gone; a reaped pid too */
	pid_t kid = fork();
	if (kid == 0)
		_exit(0);
	usleep(100 * 1000);
	assert_int_equal(state_proc_start_time(kid, &again), -ESRCH);
	int status;
	waitpid(kid, &status, 0);
	assert_int_equal(state_proc_start_time(kid, &again), -ESRCH);

	struct visor_state st;
	fill_state(&st, "live");
	strcpy(st.status, "running");
	st.sentry_pid = getpid();
	st.sentry_start_time = me;
	assert_string_equal(state_live_status(&st), "running");
	strcpy(st.status, "paused");
	assert_string_equal(state_live_status(&st), "paused");
	st.sentry_start_time = me + 1; /* pid reused by another process */
	assert_string_equal(state_live_status(&st), "stopped");
	st.sentry_start_time = me;
	st.sentry_pid = kid; /* dead */
	assert_string_equal(state_live_status(&st), "stopped");
	st.sentry_pid = 0;
	strcpy(st.status, "creating");
	assert_string_equal(state_live_status(&st), "creating");
	strcpy(st.status, "created");
	assert_string_equal(state_live_status(&st), "stopped");
	strcpy(st.status, "stopped");
	st.sentry_pid = getpid();
	assert_string_equal(state_live_status(&st), "stopped");
	state_release(&st);
}

static void test_oci_state_json(void **state)
{
	struct visor_state st;
	fill_state(&st, "oci");
	char *out = NULL;
	assert_int_equal(state_to_oci_json(&st, "running", &out), 0);
	assert_true(out[strlen(out) - 1] == '\n');
	char ebuf[128];
	yajl_val v = yajl_tree_parse(out, ebuf, sizeof(ebuf));
	assert_non_null(v);
	const char *p_ver[] = {"ociVersion", NULL}, *p_id[] = {"id", NULL},
		   *p_pid[] = {"pid", NULL}, *p_status[] = {"status", NULL},
		   *p_bundle[] = {"bundle", NULL}, *p_rootfs[] = {"rootfs", NULL},
		   *p_created[] = {"created", NULL}, *p_owner[] = {"owner", NULL},
		   *p_plat[] = {"platform", NULL}, *p_net[] = {"network", NULL},
		   *p_ann[] = {"annotations", "io.kubernetes.cri.container-type", NULL};
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_ver, yajl_t_string)), "1.0.2-dev");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_id, yajl_t_string)), "oci");
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, p_pid, yajl_t_number)), 4242);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_status, yajl_t_string)), "running");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_bundle, yajl_t_string)), st.bundle);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_rootfs, yajl_t_string)), st.rootfs);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_created, yajl_t_string)),
			    st.created);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_owner, yajl_t_string)), "root");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_plat, yajl_t_string)), "systrap");
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_net, yajl_t_string)), st.network);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_ann, yajl_t_string)), "sandbox");
	yajl_tree_free(v);
	free(out);

	/* stopped: pid 0, as runc; NULL status means the stored one */
	strcpy(st.status, "stopped");
	assert_int_equal(state_to_oci_json(&st, NULL, &out), 0);
	v = yajl_tree_parse(out, ebuf, sizeof(ebuf));
	assert_non_null(v);
	assert_int_equal(YAJL_GET_INTEGER(yajl_tree_get(v, p_pid, yajl_t_number)), 0);
	assert_string_equal(YAJL_GET_STRING(yajl_tree_get(v, p_status, yajl_t_string)), "stopped");
	yajl_tree_free(v);
	free(out);
	state_release(&st);
}

static void test_time_is_rfc3339_utc(void **state)
{
	char buf[64];
	state_time_now(buf, sizeof(buf));
	/* 2026-11-24T06:07:51.123456789Z */
	assert_int_equal(strlen(buf), 30);
	assert_true(buf[4] == '-' && buf[7] == '-' && buf[10] == 'T' && buf[13] == ':' &&
		    buf[16] == ':' && buf[19] == '.' && buf[29] == 'Z');
	struct tm tm = {0};
	assert_non_null(strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm));
	time_t t = timegm(&tm);
	assert_true(llabs((long long)(t - time(NULL))) < 5);
}

int main(void)
{
	/* A locking bug must fail the run, not hang it. */
	alarm(120);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_id_validation),
	    cmocka_unit_test_setup_teardown(test_invalid_ids_are_refused_everywhere, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_create_twice_fails_with_eexist, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_write_read_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_read_missing_is_enoent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_state_json_gives_clear_error, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_delete_removes_everything_and_is_idempotent, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_list_returns_sorted_ids_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_create_exactly_one_wins, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_lock_excludes_other_processes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_waiter_after_delete_gets_enoent, setup, teardown),
	    cmocka_unit_test(test_proc_start_time_and_live_status),
	    cmocka_unit_test(test_oci_state_json),
	    cmocka_unit_test(test_time_is_rfc3339_utc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
