/* Conformance: System V semaphores — semget, semop/semtimedop (atomic
 * arrays, IPC_NOWAIT, timeouts, blocking woken by semop, SETVAL, IPC_RMID
 * (EIDRM) and signals (EINTR even with SA_RESTART)), semctl's commands,
 * SEM_UNDO across exit, fork (not inherited) and threads (shared). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
	struct seminfo *__buf;
};

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%-40s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-40s %ld\n", what, r);
}

static int op(int id, int num, int o, int flg)
{
	struct sembuf sb = {.sem_num = num, .sem_op = o, .sem_flg = flg};
	return semop(id, &sb, 1);
}

static void vals(const char *what, int id, int n)
{
	unsigned short v[8];
	semctl(id, 0, GETALL, (union semun){.array = v});
	printf("%-40s", what);
	for (int i = 0; i < n; i++)
		printf(" %d", v[i]);
	printf("\n");
}

/* Wait (a few seconds at most) until cmd on semnum reports want. */
static void wait_count(int id, int num, int cmd, int want)
{
	for (int i = 0; i < 5000 && semctl(id, num, cmd) != want; i++)
		usleep(1000);
	printf("count %s on %d reached %d: %d\n", cmd == GETNCNT ? "ncnt" : "zcnt", num, want,
	       semctl(id, num, cmd) == want);
}

static void on_usr1(int s) {}

static int g_id;
static void *thread_undo(void *arg)
{
	res("thread semop -1 SEM_UNDO", op(g_id, 0, -1, SEM_UNDO));
	return NULL;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	res("semget nsems 0", semget(IPC_PRIVATE, 0, 0600));
	res("semget nsems -1", semget(IPC_PRIVATE, -1, 0600));
	res("semget nsems 40000", semget(IPC_PRIVATE, 40000, 0600));
	int id = semget(IPC_PRIVATE, 3, 0640);
	printf("semget ok %d\n", id >= 0);
	vals("fresh", id, 3);
	struct semid_ds ds;
	semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
	printf("stat nsems=%lu mode=%o otime=%d ctime=%d\n", ds.sem_nsems, ds.sem_perm.mode,
	       ds.sem_otime != 0, ds.sem_ctime != 0);
	res("SETVAL 1 5", semctl(id, 1, SETVAL, (union semun){.val = 5}));
	res("GETVAL 1", semctl(id, 1, GETVAL));
	printf("GETPID 1 is self %d, GETPID 0 %d\n", semctl(id, 1, GETPID) == getpid(),
	       semctl(id, 0, GETPID));
	res("SETVAL 40000", semctl(id, 1, SETVAL, (union semun){.val = 40000}));
	res("SETVAL -1", semctl(id, 1, SETVAL, (union semun){.val = -1}));
	res("SETVAL semnum 3", semctl(id, 3, SETVAL, (union semun){.val = 1}));
	res("GETVAL semnum -1", semctl(id, -1, GETVAL));
	unsigned short all[3] = {1, 2, 3};
	res("SETALL", semctl(id, 0, SETALL, (union semun){.array = all}));
	vals("after SETALL", id, 3);
	unsigned short big[3] = {1, 40000, 3};
	res("SETALL over SEMVMX", semctl(id, 0, SETALL, (union semun){.array = big}));
	res("GETALL bad pointer", semctl(id, 0, GETALL, (union semun){.array = (void *)8}));
	res("bad cmd", semctl(id, 0, 99));

	/* semop errors. */
	struct sembuf sb[2] = {{0, -1, IPC_NOWAIT}, {1, -5, IPC_NOWAIT}};
	res("semop atomic would block", semop(id, sb, 2));
	vals("unchanged", id, 3);
	res("semop nsops 0", semop(id, sb, 0));
	struct sembuf many[501];
	memset(many, 0, sizeof(many));
	res("semop nsops 501", semop(id, many, 501));
	res("semop sem_num 3", op(id, 3, 1, 0));
	res("semop over SEMVMX", op(id, 0, 32767, 0));
	res("semop bad pointer", semop(id, (void *)8, 1));
	res("semop bad id", op(id + 1, 0, 1, 0));
	res("semop wait-for-zero nowait", op(id, 0, 0, IPC_NOWAIT));
	sb[0].sem_flg = sb[1].sem_flg = 0;
	sb[1].sem_op = -2;
	res("semop atomic pair", semop(id, sb, 2));
	vals("after pair", id, 3);
	semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
	printf("otime set %d\n", ds.sem_otime != 0);

	/* Timeout. */
	struct timespec to = {0, 50 * 1000 * 1000}, t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct sembuf w = {0, -1, 0};
	res("semtimedop 50ms", semtimedop(id, &w, 1, &to));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("waited >= 40ms %d\n", ms >= 40);
	struct timespec bad = {0, 2000000000L};
	res("semtimedop bad timeout", semtimedop(id, &w, 1, &bad));
	res("semtimedop nsops 0, bad timeout ptr", semtimedop(id, &w, 0, (void *)8));
	res("semtimedop bad sops, bad timeout", semtimedop(id, (void *)8, 1, &bad));

	/* Blocking, woken by a semop. */
	pid_t c = fork();
	if (c == 0) {
		int r = op(id, 0, -1, 0);
		printf("child woken: %d\n", r);
		_exit(0);
	}
	wait_count(id, 0, GETNCNT, 1);
	res("GETZCNT 0", semctl(id, 0, GETZCNT));
	op(id, 0, 1, 0);
	int st;
	waitpid(c, &st, 0);
	res("GETNCNT after", semctl(id, 0, GETNCNT));

	/* Wait for zero, woken by SETVAL. */
	c = fork();
	if (c == 0) {
		printf("child zero wait: %d\n", op(id, 2, 0, 0));
		_exit(0);
	}
	wait_count(id, 2, GETZCNT, 1);
	semctl(id, 2, SETVAL, (union semun){.val = 0});
	waitpid(c, &st, 0);

	/* A signal: EINTR even with SA_RESTART. */
	c = fork();
	if (c == 0) {
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		int r = op(id, 0, -1, 0);
		printf("child signalled: %d %s\n", r, r < 0 ? strerrorname_np(errno) : "");
		_exit(0);
	}
	wait_count(id, 0, GETNCNT, 1);
	kill(c, SIGUSR1);
	waitpid(c, &st, 0);

	/* SEM_UNDO: applied at exit; a fork child does not inherit it. */
	semctl(id, 1, SETVAL, (union semun){.val = 5});
	c = fork();
	if (c == 0) {
		res("child -1 SEM_UNDO", op(id, 1, -1, SEM_UNDO));
		pid_t g = fork();
		if (g == 0) {
			res("grandchild -2 SEM_UNDO", op(id, 1, -2, SEM_UNDO));
			_exit(0);
		}
		waitpid(g, NULL, 0);
		res("child sees after grandchild", semctl(id, 1, GETVAL));
		_exit(0);
	}
	waitpid(c, &st, 0);
	res("parent sees after child", semctl(id, 1, GETVAL));
	printf("GETPID 1 is child %d\n", semctl(id, 1, GETPID) == c);

	/* SEM_UNDO of a thread: the process's list, applied at its exit. */
	semctl(id, 0, SETVAL, (union semun){.val = 3});
	g_id = id;
	c = fork();
	if (c == 0) {
		pthread_t th;
		pthread_create(&th, NULL, thread_undo, NULL);
		pthread_join(th, NULL);
		res("after thread exit", semctl(id, 0, GETVAL));
		_exit(0);
	}
	waitpid(c, &st, 0);
	res("after process exit", semctl(id, 0, GETVAL));

	/* SETVAL clears the adjustments: the exit then changes nothing. */
	c = fork();
	if (c == 0) {
		op(id, 0, 2, SEM_UNDO);
		semctl(id, 0, SETVAL, (union semun){.val = 1});
		_exit(0);
	}
	waitpid(c, &st, 0);
	res("after SETVAL-cleared undo", semctl(id, 0, GETVAL));
	/* Undo clamped at zero. */
	c = fork();
	if (c == 0) {
		op(id, 0, 4, SEM_UNDO);
		semctl(id, 0, SETALL, (union semun){.array = (unsigned short[]){2, 0, 0}});
		op(id, 0, 1, SEM_UNDO);
		_exit(0);
	}
	waitpid(c, &st, 0);
	res("after clamped undo", semctl(id, 0, GETVAL));
	res("SEM_UNDO out of range", op(id, 0, -32767, SEM_UNDO | IPC_NOWAIT));

	/* IPC_SET, info. */
	semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
	ds.sem_perm.mode = 0600;
	res("IPC_SET", semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
	semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
	printf("mode now %o\n", ds.sem_perm.mode);
	struct seminfo si;
	int mx = semctl(0, 0, IPC_INFO, (union semun){.__buf = &si});
	printf("IPC_INFO ok %d semmsl %d semopm %d semvmx %d semaem %d semusz %d semume %d\n",
	       mx >= 0, si.semmsl, si.semopm, si.semvmx, si.semaem, si.semusz, si.semume);
	mx = semctl(0, 0, SEM_INFO, (union semun){.__buf = &si});
	printf("SEM_INFO ok %d used>=1 %d sems>=3 %d\n", mx >= 0, si.semusz >= 1, si.semaem >= 3);
	printf("SEM_STAT index is id %d\n", semctl(id % 32768, 0, SEM_STAT, (union semun){.buf = &ds}) == id);

	/* IPC_RMID wakes sleepers with EIDRM. */
	c = fork();
	if (c == 0) {
		int r = op(id, 2, -1, 0);
		printf("child after rmid: %d %s\n", r, r < 0 ? strerrorname_np(errno) : "");
		_exit(0);
	}
	wait_count(id, 2, GETNCNT, 1);
	int rm = semctl(id, 0, IPC_RMID);
	waitpid(c, &st, 0);
	res("IPC_RMID", rm);
	res("GETVAL after rmid", semctl(id, 0, GETVAL));
	res("IPC_RMID again", semctl(id, 0, IPC_RMID));

	/* Keys. */
	key_t key = 0x5b000000 | (getpid() & 0xffffff);
	res("semget key absent", semget(key, 1, 0600));
	int k = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
	printf("semget key create ok %d\n", k >= 0);
	res("semget key excl", semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
	res("semget key more sems", semget(key, 3, 0));
	printf("semget key fewer same %d\n", semget(key, 0, 0) == k);
	semctl(k, 0, IPC_RMID);
	return 0;
}
