/* Unit tests for System V IPC (sentry/ipc/) through its syscalls
 * (sentry/syscalls/sys_ipc.c), on the kernel fixture. */
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>

#include "sentry/ipc/ipc.h"
#include "sentry/ipc/ipc_internal.h"
#include "sentry/tests/harness.h"

static int setup(void **st)
{
	int r = kfx_setup_tid(st, 100);
	if (r == 0) {
		struct kfx_state *s = *st;
		s->fx->k.mf = s->fx->mf; /* the segments' pages */
	}
	return r;
}

static int teardown(void **st)
{
	struct kfx_state *s = *st;
	ipc_ns_put(s->fx->k.ipc);
	s->fx->k.ipc = NULL;
	return kfx_teardown(st);
}

static int64_t sc(struct task *t, int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	return fx_call(sys_ipc_defs, t, nr, a0, a1, a2, a3, 0, 0);
}

static void become_user(struct task *t, uint32_t uid)
{
	struct creds *c = creds_dup(t->creds);
	c->ruid = c->euid = c->suid = c->fsuid = uid;
	c->rgid = c->egid = c->sgid = c->fsgid = uid;
	c->cap_effective = c->cap_permitted = 0;
	creds_put(t->creds);
	t->creds = c;
}

static void shm_stat(struct kfx_state *s, int id, struct shmid_ds *ds)
{
	uint64_t buf = s->fx->base + FX_MEM - PAGE_SIZE;
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_STAT, buf, 0), 0);
	assert_int_equal(mm_copy_in(s->fx->mm, ds, buf, sizeof(*ds)), 0);
}

static void test_ids_reuse_an_index_with_the_next_sequence(void **st)
{
	struct kfx_state *s = *st;
	int64_t a = sc(&s->t, SYS_shmget, IPC_PRIVATE, 100, 0600, 0);
	int64_t b = sc(&s->t, SYS_shmget, IPC_PRIVATE, 100, 0600, 0);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)a, IPC_RMID, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)b, IPC_RMID, 0, 0), 0);
	/* Index 0 again, at or below the last index: the sequence moves on. */
	assert_int_equal(sc(&s->t, SYS_shmget, IPC_PRIVATE, 100, 0600, 0), 32768);
	/* The old id of that index is stale. */
	assert_int_equal(sc(&s->t, SYS_shmctl, 0, IPC_RMID, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_shmctl, 32768, IPC_RMID, 0, 0), 0);
}

static void test_shm_pages_are_shared_and_rmid_waits_for_the_last_detach(void **st)
{
	struct kfx_state *s = *st;
	int64_t id = sc(&s->t, SYS_shmget, IPC_PRIVATE, 5000, 0600, 0);
	assert_true(id >= 0);
	int64_t a = sc(&s->t, SYS_shmat, (uint64_t)id, 0, 0, 0);
	int64_t b = sc(&s->t, SYS_shmat, (uint64_t)id, 0, SHM_RDONLY, 0);
	assert_true(a > 0 && b > 0 && a != b);
	assert_int_equal(mm_copy_out(s->fx->mm, (uint64_t)a + 4096, "hi", 3), 0);
	char got[3];
	assert_int_equal(mm_copy_in(s->fx->mm, got, (uint64_t)b + 4096, 3), 0);
	assert_string_equal(got, "hi");
	struct shmid_ds ds;
	shm_stat(s, (int)id, &ds);
	assert_int_equal(ds.shm_nattch, 2);
	assert_int_equal(ds.shm_segsz, 5000);
	assert_int_equal(ds.shm_cpid, 100);

	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_RMID, 0, 0), 0);
	shm_stat(s, (int)id, &ds);
	assert_int_equal(ds.shm_perm.mode, 01600);
	assert_int_equal(sc(&s->t, SYS_shmdt, (uint64_t)a + 1, 0, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_shmdt, (uint64_t)a, 0, 0, 0), 0);
	shm_stat(s, (int)id, &ds);
	assert_int_equal(ds.shm_nattch, 1);
	assert_int_equal(sc(&s->t, SYS_shmdt, (uint64_t)b, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_STAT, s->fx->base, 0), -EINVAL);
}

static void test_shm_rmid_forced_destroys_at_the_last_detach(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(ipc_sysctl_write(ipc_ns_of(&s->t), "shm_rmid_forced", "1", 1), 0);
	int64_t id = sc(&s->t, SYS_shmget, IPC_PRIVATE, 100, 0600, 0);
	int64_t a = sc(&s->t, SYS_shmat, (uint64_t)id, 0, 0, 0);
	assert_true(a > 0);
	assert_int_equal(sc(&s->t, SYS_shmdt, (uint64_t)a, 0, 0, 0), 0);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_RMID, 0, 0), -EINVAL);
}

static void test_shm_key_rules(void **st)
{
	struct kfx_state *s = *st;
	assert_int_equal(sc(&s->t, SYS_shmget, 42, 100, 0600, 0), -ENOENT);
	int64_t id = sc(&s->t, SYS_shmget, 42, 100, IPC_CREAT | 0600, 0);
	assert_true(id >= 0);
	assert_int_equal(sc(&s->t, SYS_shmget, 42, 100, IPC_CREAT | IPC_EXCL | 0600, 0), -EEXIST);
	assert_int_equal(sc(&s->t, SYS_shmget, 42, 200, 0, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_shmget, 42, 50, 0, 0), id);
	assert_int_equal(sc(&s->t, SYS_shmget, IPC_PRIVATE, 0, 0600, 0), -EINVAL);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_RMID, 0, 0), 0);
}

static void test_shm_permissions_for_another_user(void **st)
{
	struct kfx_state *s = *st;
	int64_t id = sc(&s->t, SYS_shmget, 7, 100, IPC_CREAT | 0600, 0);
	assert_true(id >= 0);
	become_user(&s->t, 1000);
	assert_int_equal(sc(&s->t, SYS_shmget, 7, 100, 0600, 0), -EACCES);
	assert_int_equal(sc(&s->t, SYS_shmat, (uint64_t)id, 0, 0, 0), -EACCES);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_STAT, s->fx->base, 0), -EACCES);
	assert_int_equal(
	    sc(&s->t, SYS_shmctl, (uint64_t)id % 32768, 15 /* SHM_STAT_ANY */, s->fx->base, 0), id);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_RMID, 0, 0), -EPERM);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, SHM_LOCK, 0, 0), -EPERM);
	/* Its own segment. */
	int64_t mine = sc(&s->t, SYS_shmget, IPC_PRIVATE, 100, 0600, 0);
	assert_true(mine >= 0);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)mine, IPC_RMID, 0, 0), 0);
}

static void test_sysctls_read_and_write_as_linux(void **st)
{
	struct kfx_state *s = *st;
	struct ipc_ns *ns = ipc_ns_of(&s->t);
	char buf[64];
	assert_int_equal(ipc_sysctl_read(ns, "shmmni", buf, sizeof(buf)), 5);
	assert_string_equal(buf, "4096\n");
	ipc_sysctl_read(ns, "sem", buf, sizeof(buf));
	assert_string_equal(buf, "32000\t1024000000\t500\t32000\n");
	ipc_sysctl_read(ns, "shmmax", buf, sizeof(buf));
	assert_string_equal(buf, "18446744073692774399\n");
	assert_int_equal(ipc_sysctl_write(ns, "msgmni", "100\n", 4), 0);
	ipc_sysctl_read(ns, "msgmni", buf, sizeof(buf));
	assert_string_equal(buf, "100\n");
	assert_int_equal(ipc_sysctl_write(ns, "msgmni", "junk\n", 5), -EINVAL);
	assert_int_equal(ipc_sysctl_write(ns, "shmmni", "40000", 5), -EINVAL);
	assert_int_equal(ipc_sysctl_write(ns, "shmmax", "-1", 2), -EINVAL);
	assert_int_equal(ipc_sysctl_write(ns, "sem", "250 32000 32 128\n", 17), 0);
	ipc_sysctl_read(ns, "sem", buf, sizeof(buf));
	assert_string_equal(buf, "250\t32000\t32\t128\n");
	/* As Linux: the values before junk are taken, the write fails. */
	assert_int_equal(ipc_sysctl_write(ns, "sem", "1 2 x", 5), -EINVAL);
	ipc_sysctl_read(ns, "sem", buf, sizeof(buf));
	assert_string_equal(buf, "1\t2\t32\t128\n");
	assert_int_equal(ipc_sysctl_read(ns, "nope", buf, sizeof(buf)), -ENOENT);
	/* shmmni caps the segments. */
	assert_int_equal(ipc_sysctl_write(ns, "shmmni", "1", 1), 0);
	int64_t id = sc(&s->t, SYS_shmget, IPC_PRIVATE, 100, 0600, 0);
	assert_true(id >= 0);
	assert_int_equal(sc(&s->t, SYS_shmget, IPC_PRIVATE, 100, 0600, 0), -ENOSPC);
	assert_int_equal(sc(&s->t, SYS_shmctl, (uint64_t)id, IPC_RMID, 0, 0), 0);
}

static void test_sem_undo_is_applied_when_the_list_goes(void **st)
{
	struct kfx_state *s = *st;
	int64_t id = sc(&s->t, SYS_semget, IPC_PRIVATE, 2, 0600, 0);
	assert_true(id >= 0);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 0, 16 /* SETVAL */, 5), 0);
	struct sembuf ops[2] = {{0, -2, SEM_UNDO}, {1, 3, SEM_UNDO}};
	uint64_t u = s->fx->base;
	assert_int_equal(mm_copy_out(s->fx->mm, u, ops, sizeof(ops)), 0);
	assert_int_equal(sc(&s->t, SYS_semop, (uint64_t)id, u, 2, 0), 0);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 0, 12 /* GETVAL */, 0), 3);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 1, 12, 0), 3);
	/* Would block, nowait: nothing changes. */
	ops[0] = (struct sembuf){1, -1, 0};
	ops[1] = (struct sembuf){0, -4, IPC_NOWAIT};
	assert_int_equal(mm_copy_out(s->fx->mm, u, ops, sizeof(ops)), 0);
	assert_int_equal(sc(&s->t, SYS_semop, (uint64_t)id, u, 2, 0), -EAGAIN);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 1, 12, 0), 3);
	assert_int_equal(sc(&s->t, SYS_semop, (uint64_t)id, u, 501, 0), -E2BIG);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 0, 14 /* GETNCNT */, 0), 0);
	/* The task's exit. */
	ipc_undo_put(s->t.sysvsem);
	s->t.sysvsem = NULL;
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 0, 12, 0), 5);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 1, 12, 0), 0);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 0, IPC_RMID, 0), 0);
	assert_int_equal(sc(&s->t, SYS_semctl, (uint64_t)id, 0, 12, 0), -EINVAL);
}

static int64_t send(struct kfx_state *s, int id, int64_t type, const char *text, int flg)
{
	uint64_t u = s->fx->base;
	mm_copy_out(s->fx->mm, u, &type, sizeof(type));
	mm_copy_out(s->fx->mm, u + 8, text, strlen(text));
	return sc(&s->t, SYS_msgsnd, (uint64_t)id, u, strlen(text), (uint64_t)flg);
}

/* msgrcv into the fixture's memory: the type received, or -errno. */
static int64_t recv_type(struct kfx_state *s, int id, uint64_t size, int64_t type, int flg)
{
	uint64_t u = s->fx->base + 1024;
	int64_t r = fx_call(sys_ipc_defs, &s->t, SYS_msgrcv, (uint64_t)id, u, size, (uint64_t)type,
			    (uint64_t)flg, 0);
	if (r < 0)
		return r;
	int64_t got;
	mm_copy_in(s->fx->mm, &got, u, sizeof(got));
	return got;
}

static void test_msgrcv_picks_by_type_as_linux(void **st)
{
	struct kfx_state *s = *st;
	int64_t id = sc(&s->t, SYS_msgget, IPC_PRIVATE, 0600, 0, 0);
	assert_true(id >= 0);
	assert_int_equal(send(s, (int)id, 0, "x", 0), -EINVAL);
	assert_int_equal(send(s, (int)id, 3, "ccc", 0), 0);
	assert_int_equal(send(s, (int)id, 1, "a", 0), 0);
	assert_int_equal(send(s, (int)id, 2, "bb", 0), 0);
	assert_int_equal(recv_type(s, (int)id, 1, 3, 0), -E2BIG);
	assert_int_equal(recv_type(s, (int)id, 100, -2, 0), 1);
	assert_int_equal(recv_type(s, (int)id, 100, 3, 010000 | 020000 /* NOERROR|EXCEPT */), 2);
	assert_int_equal(recv_type(s, (int)id, 1, 0, 010000), 3);
	assert_int_equal(recv_type(s, (int)id, 100, 0, IPC_NOWAIT), -ENOMSG);
	/* A full queue: EAGAIN with IPC_NOWAIT. */
	struct msqid_ds ds;
	uint64_t b = s->fx->base + 2048;
	assert_int_equal(sc(&s->t, SYS_msgctl, (uint64_t)id, IPC_STAT, b, 0), 0);
	mm_copy_in(s->fx->mm, &ds, b, sizeof(ds));
	assert_int_equal(ds.msg_qbytes, 16384);
	ds.msg_qbytes = 4;
	mm_copy_out(s->fx->mm, b, &ds, sizeof(ds));
	assert_int_equal(sc(&s->t, SYS_msgctl, (uint64_t)id, IPC_SET, b, 0), 0);
	assert_int_equal(send(s, (int)id, 1, "abc", IPC_NOWAIT), 0);
	assert_int_equal(send(s, (int)id, 1, "ab", IPC_NOWAIT), -EAGAIN);
	assert_int_equal(sc(&s->t, SYS_msgctl, (uint64_t)id, IPC_RMID, 0, 0), 0);
	assert_int_equal(send(s, (int)id, 1, "a", IPC_NOWAIT), -EINVAL);
}

static void test_proc_sysvipc_rows_in_linux_format(void **st)
{
	struct kfx_state *s = *st;
	int64_t id = sc(&s->t, SYS_msgget, 0x1234, IPC_CREAT | 0600, 0, 0);
	assert_true(id >= 0);
	assert_int_equal(send(s, (int)id, 1, "hello", 0), 0);
	char *out;
	size_t len;
	assert_int_equal(ipc_proc_show(ipc_ns_of(&s->t), "msg", &out, &len), 0);
	const char *want =
	    "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid"
	    "  cgid      stime      rtime      ctime\n"
	    "      4660          0   600           5          1   100     0     0     0     0"
	    "     0 ";
	assert_true(len > strlen(want));
	assert_memory_equal(out, want, strlen(want));
	free(out);
	assert_int_equal(ipc_proc_show(ipc_ns_of(&s->t), "nope", &out, &len), -ENOENT);
	assert_int_equal(sc(&s->t, SYS_msgctl, (uint64_t)id, IPC_RMID, 0, 0), 0);
}

static void test_unshare_gives_an_empty_namespace(void **st)
{
	struct kfx_state *s = *st;
	int64_t id = sc(&s->t, SYS_msgget, 77, IPC_CREAT | 0600, 0, 0);
	assert_true(id >= 0);
	assert_int_equal(ipc_task_unshare(&s->t), 0);
	assert_int_equal(sc(&s->t, SYS_msgget, 77, 0600, 0, 0), -ENOENT);
	assert_int_equal(sc(&s->t, SYS_msgctl, (uint64_t)id, IPC_RMID, 0, 0), -EINVAL);
	ipc_ns_put(s->t.ipc_ns);
	s->t.ipc_ns = NULL;
	/* The kernel's namespace still has it. */
	assert_int_equal(sc(&s->t, SYS_msgget, 77, 0600, 0, 0), id);
	assert_int_equal(sc(&s->t, SYS_msgctl, (uint64_t)id, IPC_RMID, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ids_reuse_an_index_with_the_next_sequence, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(
		test_shm_pages_are_shared_and_rmid_waits_for_the_last_detach, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shm_key_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_shm_rmid_forced_destroys_at_the_last_detach, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_shm_permissions_for_another_user, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sysctls_read_and_write_as_linux, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sem_undo_is_applied_when_the_list_goes, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_msgrcv_picks_by_type_as_linux, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_proc_sysvipc_rows_in_linux_format, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unshare_gives_an_empty_namespace, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
