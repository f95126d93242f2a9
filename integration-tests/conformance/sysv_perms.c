/* Conformance: System V IPC permissions for a non-root user (after
 * setuid): EACCES from the mode bits on get/attach/op/stat, EPERM for
 * IPC_SET/IPC_RMID/SHM_LOCK by a non-owner, *_STAT_ANY without checks, the
 * creator's rights after IPC_SET gives the object away. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#define SEM_STAT_ANY 20
#define MSG_STAT_ANY 13
#endif

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%-36s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-36s ok\n", what);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	key_t key = 0x5e000000 | (getpid() & 0xffffff);
	int shm = shmget(key, 4096, IPC_CREAT | 0600);
	int shm_r = shmget(key + 1, 4096, IPC_CREAT | 0644);
	int sem = semget(key, 1, IPC_CREAT | 0600);
	int sem_r = semget(key + 1, 1, IPC_CREAT | 0644);
	int msq = msgget(key, IPC_CREAT | 0600);
	int msq_w = msgget(key + 1, IPC_CREAT | 0622);
	pid_t c = fork();
	if (c == 0) {
		if (setgid(1000) || setuid(1000)) {
			perror("setuid");
			_exit(1);
		}
		struct shmid_ds sd;
		struct semid_ds md;
		struct msqid_ds qd;
		struct sembuf sb = {0, 1, IPC_NOWAIT};
		struct {
			long type;
			char t[4];
		} m = {1, "abc"};
		res("shmget 0600", shmget(key, 4096, 0));
		res("shmget 0600 asking nothing", shmget(key, 4096, 0) );
		res("shmget 0644 read", shmget(key + 1, 4096, 0444));
		res("shmget 0644 write", shmget(key + 1, 4096, 0666));
		res("shmat 0600", shmat(shm, NULL, 0) == (void *)-1 ? -1 : 0);
		res("shmat 0644 rdonly", shmat(shm_r, NULL, SHM_RDONLY) == (void *)-1 ? -1 : 0);
		res("shmat 0644 rw", shmat(shm_r, NULL, 0) == (void *)-1 ? -1 : 0);
		res("shm IPC_STAT 0600", shmctl(shm, IPC_STAT, &sd));
		res("shm IPC_STAT 0644", shmctl(shm_r, IPC_STAT, &sd));
		res("shm SHM_STAT 0600", shmctl(shm % 32768, SHM_STAT, &sd));
		res("shm SHM_STAT_ANY 0600", shmctl(shm % 32768, SHM_STAT_ANY, &sd));
		res("shm IPC_SET", shmctl(shm_r, IPC_SET, &sd));
		res("shm IPC_RMID", shmctl(shm, IPC_RMID, NULL));
		res("shm SHM_LOCK", shmctl(shm_r, SHM_LOCK, NULL));
		res("semop 0600", semop(sem, &sb, 1));
		res("semop 0644", semop(sem_r, &sb, 1));
		sb.sem_op = 0;
		res("semop 0644 wait-for-zero", semop(sem_r, &sb, 1));
		res("semctl GETVAL 0600", semctl(sem, 0, GETVAL));
		res("semctl GETVAL 0644", semctl(sem_r, 0, GETVAL));
		res("semctl SETVAL 0644", semctl(sem_r, 0, SETVAL, 1));
		res("semctl SEM_STAT_ANY", semctl(sem % 32768, 0, SEM_STAT_ANY, &md));
		res("semctl IPC_RMID", semctl(sem, 0, IPC_RMID));
		res("msgsnd 0600", msgsnd(msq, &m, 3, IPC_NOWAIT));
		res("msgsnd 0622", msgsnd(msq_w, &m, 3, IPC_NOWAIT));
		res("msgrcv 0622", msgrcv(msq_w, &m, 3, 0, IPC_NOWAIT));
		res("msgctl IPC_STAT 0622", msgctl(msq_w, IPC_STAT, &qd));
		res("msgctl MSG_STAT_ANY", msgctl(msq_w % 32768, MSG_STAT_ANY, &qd));
		res("msgctl IPC_RMID", msgctl(msq, IPC_RMID, NULL));
		/* Its own: give it to root; as creator it still controls it. */
		int own = shmget(IPC_PRIVATE, 4096, 0600);
		shmctl(own, IPC_STAT, &sd);
		sd.shm_perm.uid = 0;
		sd.shm_perm.mode = 0600;
		res("own IPC_SET uid 0", shmctl(own, IPC_SET, &sd));
		res("own attach after giving away", shmat(own, NULL, 0) == (void *)-1 ? -1 : 0);
		res("own IPC_RMID as creator", shmctl(own, IPC_RMID, NULL));
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);

	/* SHM_LOCK charges the user's RLIMIT_MEMLOCK (two pages here). */
	pid_t c2 = fork();
	if (c2 == 0) {
		struct rlimit rl = {8192, 8192};
		setrlimit(RLIMIT_MEMLOCK, &rl);
		if (setgid(54322) || setuid(54322))
			_exit(1);
		int a = shmget(IPC_PRIVATE, 4096, 0600), b = shmget(IPC_PRIVATE, 8192, 0600);
		res("lock one page", shmctl(a, SHM_LOCK, NULL));
		res("lock it again", shmctl(a, SHM_LOCK, NULL));
		res("lock two more pages", shmctl(b, SHM_LOCK, NULL));
		res("unlock the first", shmctl(a, SHM_UNLOCK, NULL));
		res("lock two pages now", shmctl(b, SHM_LOCK, NULL));
		res("remove the locked one", shmctl(b, IPC_RMID, NULL));
		res("lock after its removal", shmctl(a, SHM_LOCK, NULL));
		shmctl(a, IPC_RMID, NULL);
		_exit(0);
	}
	waitpid(c2, &st, 0);
	struct msqid_ds qd;
	msgctl(msq_w, IPC_STAT, &qd);
	printf("child exit %d, queued by child %lu\n", WEXITSTATUS(st), qd.msg_qnum);
	shmctl(shm, IPC_RMID, NULL);
	shmctl(shm_r, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	semctl(sem_r, 0, IPC_RMID);
	msgctl(msq, IPC_RMID, NULL);
	msgctl(msq_w, IPC_RMID, NULL);
	return 0;
}
