#!/usr/bin/env bash
# docker_run_sysv_and_posix_ipc: on a Debian 12 image, ipcmk/ipcs/ipcrm
# (util-linux) and a program using System V shared memory, semaphores with
# SEM_UNDO, message queues and POSIX message queues (seen in /dev/mqueue,
# which Docker mounts) behave as under runc.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
docker_import_debian

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/ipc.c" <<'C'
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void)
{
	int shm = shmget(IPC_PRIVATE, 8192, 0600);
	char *p = shmat(shm, NULL, 0);
	int sem = semget(IPC_PRIVATE, 1, 0600);
	semctl(sem, 0, SETVAL, 1);
	if (fork() == 0) {
		struct sembuf down = {0, -1, SEM_UNDO};
		semop(sem, &down, 1);
		strcpy(p, "written by the child");
		_exit(0);
	}
	wait(NULL);
	printf("shm: %s; sem back to %d after the child's exit\n", p, semctl(sem, 0, GETVAL));
	int q = msgget(IPC_PRIVATE, 0600);
	struct { long type; char text[32]; } m = {2, "two"}, r;
	msgsnd(q, &m, 4, 0);
	m.type = 1;
	strcpy(m.text, "one");
	msgsnd(q, &m, 4, 0);
	msgrcv(q, &r, sizeof(r.text), -2, 0);
	printf("msg: lowest type first: %ld %s\n", r.type, r.text);
	mqd_t mq = mq_open("/visorq", O_CREAT | O_RDWR, 0640, NULL);
	mq_send(mq, "hello", 5, 3);
	fflush(stdout);
	system("ls -l /dev/mqueue | awk 'NR>1 {print $1, $3, $NF}'; cat /dev/mqueue/visorq");
	char buf[8192];
	unsigned prio;
	ssize_t n = mq_receive(mq, buf, sizeof(buf), &prio);
	printf("mq: %.*s prio %u\n", (int)n, buf, prio);
	mq_unlink("/visorq");
	mq_close(mq_open("/visorq2", O_CREAT | O_RDWR, 0600, NULL));
	fflush(stdout);
	system("ls /dev/mqueue; rm /dev/mqueue/visorq2 && ls /dev/mqueue && echo removed by rm");
	system("ipcs -m | awk 'NR>3 && NF {print $3, $4, $5, $6}'");
	shmdt(p);
	shmctl(shm, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	msgctl(q, IPC_RMID, NULL);
	return 0;
}
C
gcc -O1 -o "$work/ipc" "$work/ipc.c" || fail "cannot build the IPC program"
cat >"$work/script.sh" <<'SH'
set -eu
ipcmk -M 10000 -p 0640 | sed 's/[0-9]*$/N/'
ipcmk -S 3 | sed 's/[0-9]*$/N/'
ipcmk -Q | sed 's/[0-9]*$/N/'
ipcs | sed 's/^0x[0-9a-f]*/KEY/'
ipcs -u
ipcs -l
ipcs -s -i "$(ipcs -s | awk 'NR==4 {print $2}')" | grep -v -e time -e '^$'
/w/ipc
ipcrm -a
ipcs
cat /proc/sys/kernel/sem /proc/sys/kernel/msgmni /proc/sys/kernel/shmmni /proc/sys/fs/mqueue/msg_max
SH

run() { timeout 120 docker run --rm --runtime="$1" -v "$work:/w:ro" "$DEBIAN_IMAGE" /bin/bash /w/script.sh 2>&1; }
want=$(run runc) || fail "the script fails under runc: $want"
got=$(run "$DOCKER_RUNTIME") || fail "the script fails under visor: $got"
echo "$got"
[ "$want" = "$got" ] || fail "outputs differ: runc [$want] visor [$got]"
echo "$got" | grep -q 'sem back to 1' || fail "SEM_UNDO: $got"
exit 0
