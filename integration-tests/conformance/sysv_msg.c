/* Conformance: System V message queues — msgget, msgsnd (sizes, types,
 * msg_qbytes full: EAGAIN or blocking), msgrcv (msgtyp 0 / > 0 / < 0,
 * MSG_EXCEPT, MSG_NOERROR, E2BIG, ENOMSG, MSG_COPY, blocking woken by a
 * send, by IPC_RMID (EIDRM), by a signal (EINTR even with SA_RESTART)),
 * msgctl (IPC_STAT, IPC_SET, IPC_INFO, MSG_INFO, MSG_STAT, IPC_RMID). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct mb {
	long type;
	char text[200];
};

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%-40s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-40s %ld\n", what, r);
}

static int snd(int id, long type, const char *text, int flg)
{
	struct mb m = {.type = type};
	strcpy(m.text, text);
	return msgsnd(id, &m, strlen(text), flg);
}

static void rcv(const char *what, int id, size_t sz, long type, int flg)
{
	struct mb m;
	memset(&m, 0, sizeof(m));
	long r = msgrcv(id, &m, sz, type, flg);
	if (r < 0)
		printf("%-40s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-40s %ld type %ld '%.*s'\n", what, r, m.type, (int)r, m.text);
}

static void st(const char *what, int id)
{
	struct msqid_ds ds;
	if (msgctl(id, IPC_STAT, &ds) < 0) {
		printf("%-40s stat -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%-40s mode=%o cbytes=%lu qnum=%lu qbytes=%lu lspid_self=%d lrpid_self=%d stime=%d rtime=%d\n",
	       what, ds.msg_perm.mode, ds.__msg_cbytes, ds.msg_qnum, ds.msg_qbytes,
	       ds.msg_lspid == getpid(), ds.msg_lrpid == getpid(), ds.msg_stime != 0,
	       ds.msg_rtime != 0);
}

static void wait_qnum(int id, unsigned long want)
{
	struct msqid_ds ds;
	for (int i = 0; i < 5000; i++) {
		msgctl(id, IPC_STAT, &ds);
		if (ds.msg_qnum == want)
			break;
		usleep(1000);
	}
}

static void on_usr1(int s) {}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int id = msgget(IPC_PRIVATE, 0620);
	printf("msgget ok %d\n", id >= 0);
	st("fresh", id);
	res("msgsnd type 0", snd(id, 0, "x", 0));
	res("msgsnd type -1", snd(id, -1, "x", 0));
	static char big[9000];
	res("msgsnd 8193 bytes", msgsnd(id, big, 8193, 0));
	res("msgsnd bad pointer", msgsnd(id, (void *)8, 1, 0));
	res("msgsnd bad id", snd(id + 1, 1, "x", 0));
	res("msgsnd empty", snd(id, 9, "", 0));
	rcv("msgrcv empty", id, 10, 9, 0);
	res("send 3 c", snd(id, 3, "three", 0));
	res("send 1 a", snd(id, 1, "one-a", 0));
	res("send 2 b", snd(id, 2, "two", 0));
	res("send 1 d", snd(id, 1, "one-d", 0));
	st("four queued", id);
	struct mb m;
	res("msgrcv copy index 2", msgrcv(id, &m, 100, 2, MSG_COPY | IPC_NOWAIT));
	printf("copied type %ld\n", m.type);
	res("msgrcv copy index 9", msgrcv(id, &m, 100, 9, MSG_COPY | IPC_NOWAIT));
	res("msgrcv copy no NOWAIT", msgrcv(id, &m, 100, 0, MSG_COPY));
	res("msgrcv copy EXCEPT", msgrcv(id, &m, 100, 0, MSG_COPY | IPC_NOWAIT | MSG_EXCEPT));
	rcv("rcv E2BIG", id, 3, 0, 0);
	rcv("rcv NOERROR", id, 3, 0, MSG_NOERROR);
	rcv("rcv type -2", id, 100, -2, 0);
	rcv("rcv EXCEPT 1", id, 100, 1, MSG_EXCEPT);
	rcv("rcv type 1", id, 100, 1, 0);
	rcv("rcv empty nowait", id, 100, 0, IPC_NOWAIT);
	rcv("rcv type 5 nowait", id, 100, 5, IPC_NOWAIT);
	res("msgrcv negative size", msgrcv(id, &m, (size_t)-1, 0, IPC_NOWAIT));
	res("send to read back", snd(id, 4, "gone", 0));
	res("msgrcv bad pointer", msgrcv(id, (void *)8, 100, 0, IPC_NOWAIT));
	st("after bad pointer", id);

	/* A small queue: EAGAIN, then a blocked sender woken by a receive. */
	struct msqid_ds ds;
	msgctl(id, IPC_STAT, &ds);
	ds.msg_qbytes = 100;
	res("IPC_SET qbytes 100", msgctl(id, IPC_SET, &ds));
	memset(big, 'z', sizeof(big));
	struct mb *bm = (struct mb *)big;
	bm->type = 7;
	res("send 60", msgsnd(id, bm, 60, 0));
	res("send 60 nowait", msgsnd(id, bm, 60, IPC_NOWAIT));
	pid_t c = fork();
	if (c == 0) {
		res("child blocked send", msgsnd(id, bm, 60, 0));
		_exit(0);
	}
	usleep(100000);
	st("sender waiting", id);
	long got = msgrcv(id, &m, 4, 7, MSG_NOERROR);
	int status;
	waitpid(c, &status, 0);
	printf("%-40s %ld type %ld\n", "rcv frees room", got, m.type);
	wait_qnum(id, 1);
	st("after woken sender", id);
	rcv("rcv the child's", id, 4, 7, MSG_NOERROR);
	ds.msg_qbytes = 16384;
	msgctl(id, IPC_SET, &ds);

	/* A blocked receiver woken by a send. */
	c = fork();
	if (c == 0) {
		rcv("child receives", id, 100, 8, 0);
		_exit(0);
	}
	usleep(100000);
	snd(id, 6, "not-for-child", 0);
	snd(id, 8, "for-child", 0);
	waitpid(c, &status, 0);
	rcv("parent gets the other", id, 100, 0, 0);

	/* A signal: EINTR, even with SA_RESTART. */
	c = fork();
	if (c == 0) {
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
		sigaction(SIGUSR1, &sa, NULL);
		rcv("child signalled", id, 100, 0, 0);
		_exit(0);
	}
	usleep(100000);
	kill(c, SIGUSR1);
	waitpid(c, &status, 0);

	/* Info. */
	struct msginfo mi;
	int mx = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
	printf("IPC_INFO ok %d msgmax %d msgmnb %d msgssz %d msgseg %d msgpool %d msgmap %d msgtql %d\n",
	       mx >= 0, mi.msgmax, mi.msgmnb, mi.msgssz, mi.msgseg, mi.msgpool, mi.msgmap, mi.msgtql);
	mx = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
	printf("MSG_INFO ok %d queues>=1 %d\n", mx >= 0, mi.msgpool >= 1);
	printf("MSG_STAT index is id %d\n", msgctl(id % 32768, MSG_STAT, &ds) == id);
	res("msgctl bad cmd", msgctl(id, 99, &ds));

	/* IPC_RMID wakes a receiver with EIDRM.  The receiver must be asleep
	 * in msgrcv first, which only time tells here: a receiver that came
	 * after the removal gets EINVAL, and the round is tried again, on a
	 * new queue, with a longer wait (a loaded machine). */
	int rm = -1, q = id, child_err = 0;
	for (int round = 0; round < 6; round++) {
		if (round)
			q = msgget(IPC_PRIVATE, 0600);
		c = fork();
		if (c == 0) {
			struct mb m;
			_exit(msgrcv(q, &m, 100, 0, 0) < 0 ? errno : 0);
		}
		usleep(100000 << round);
		rm = msgctl(q, IPC_RMID, NULL);
		waitpid(c, &status, 0);
		child_err = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (child_err != EINVAL)
			break;
	}
	errno = child_err;
	res("child after rmid", child_err ? -1 : 0);
	res("IPC_RMID", rm);
	res("IPC_RMID again", msgctl(q, IPC_RMID, NULL));

	key_t key = 0x5c000000 | (getpid() & 0xffffff);
	res("msgget key absent", msgget(key, 0600));
	int k = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
	printf("msgget key ok %d\n", k >= 0);
	res("msgget key excl", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
	printf("msgget key again same %d\n", msgget(key, 0) == k);
	msgctl(k, IPC_RMID, NULL);
	return 0;
}
