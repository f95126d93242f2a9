/* Conformance: /proc/sysvipc/{shm,sem,msg} (what ipcs reads): headers and
 * the rows of this program's own objects, checked field by field and
 * against Linux's column format; /proc/sys/kernel IPC limits read, written
 * back unchanged (O_TRUNC accepted) and refused for junk. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static void show(const char *file, key_t key)
{
	char path[64], line[512];
	snprintf(path, sizeof(path), "/proc/sysvipc/%s", file);
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: %s\n", path, strerrorname_np(errno));
		return;
	}
	if (fgets(line, sizeof(line), f))
		printf("%s header: %s", file, line);
	int rows = 0;
	while (fgets(line, sizeof(line), f)) {
		int k, id;
		unsigned mode;
		if (sscanf(line, "%d %d %o", &k, &id, &mode) != 3 || k != key)
			continue;
		rows++;
		unsigned long a[14];
		char again[512];
		if (!strcmp(file, "shm")) {
			unsigned long long t[3];
			sscanf(line, "%*d %*d %*o %lu %lu %lu %lu %lu %lu %lu %lu %llu %llu %llu %lu %lu",
			       &a[0], &a[1], &a[2], &a[3], &a[4], &a[5], &a[6], &a[7], &t[0], &t[1], &t[2],
			       &a[8], &a[9]);
			snprintf(again, sizeof(again),
				 "%10d %10d  %4o %21lu %5lu %5lu  %5lu %5lu %5lu %5lu %5lu %10llu %10llu %10llu %21lu %21lu\n",
				 k, id, mode, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], t[0], t[1], t[2],
				 a[8], a[9]);
			printf("shm row: mode %o size %lu cpid_self %d nattch %lu uid %lu rss>0 %d atime %d\n",
			       mode, a[0], a[1] == (unsigned long)getpid(), a[3], a[4], a[8] > 0, t[0] != 0);
		} else if (!strcmp(file, "sem")) {
			unsigned long long t[2];
			sscanf(line, "%*d %*d %*o %lu %lu %lu %lu %lu %llu %llu", &a[0], &a[1], &a[2], &a[3],
			       &a[4], &t[0], &t[1]);
			snprintf(again, sizeof(again), "%10d %10d  %4o %10lu %5lu %5lu %5lu %5lu %10llu %10llu\n",
				 k, id, mode, a[0], a[1], a[2], a[3], a[4], t[0], t[1]);
			printf("sem row: mode %o nsems %lu otime %d\n", mode, a[0], t[0] != 0);
		} else {
			unsigned long long t[3];
			sscanf(line, "%*d %*d %*o %lu %lu %lu %lu %lu %lu %lu %lu %llu %llu %llu", &a[0], &a[1],
			       &a[2], &a[3], &a[4], &a[5], &a[6], &a[7], &t[0], &t[1], &t[2]);
			snprintf(again, sizeof(again),
				 "%10d %10d  %4o  %10lu %10lu %5lu %5lu %5lu %5lu %5lu %5lu %10llu %10llu %10llu\n",
				 k, id, mode, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], t[0], t[1], t[2]);
			printf("msg row: mode %o cbytes %lu qnum %lu lspid_self %d\n", mode, a[0], a[1],
			       a[2] == (unsigned long)getpid());
		}
		printf("%s row in Linux's format: %d\n", file, strcmp(line, again) == 0);
	}
	printf("%s rows with our key: %d\n", file, rows);
	fclose(f);
}

static void sysctl(const char *name, const char *junk)
{
	char path[64], buf[128] = "";
	snprintf(path, sizeof(path), "/proc/sys/kernel/%s", name);
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		printf("%s: %s\n", name, strerrorname_np(errno));
		return;
	}
	buf[n] = 0;
	printf("%s = %s", name, buf);
	fd = open(path, O_WRONLY | O_TRUNC);
	printf("  open O_TRUNC: %s\n", fd < 0 ? strerrorname_np(errno) : "ok");
	if (fd >= 0) {
		ssize_t w = write(fd, buf, (size_t)n);
		printf("  write back: %s\n", w < 0 ? strerrorname_np(errno) : "ok");
		close(fd);
		fd = open(path, O_WRONLY);
		w = write(fd, junk, strlen(junk));
		printf("  write junk: %s\n", w < 0 ? strerrorname_np(errno) : "ok");
		close(fd);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	key_t key = 0x5d000000 | (getpid() & 0xffffff);
	int shm = shmget(key, 5000, IPC_CREAT | 0640);
	char *p = shmat(shm, NULL, 0);
	p[0] = 1;
	int sem = semget(key, 4, IPC_CREAT | 0604);
	struct sembuf sb = {1, 1, 0};
	semop(sem, &sb, 1);
	int msq = msgget(key, IPC_CREAT | 0600);
	struct {
		long type;
		char t[8];
	} m = {1, "hello"};
	msgsnd(msq, &m, 5, 0);
	show("shm", key);
	show("sem", key);
	show("msg", key);
	shmdt(p);
	shmctl(shm, IPC_RMID, NULL);
	semctl(sem, 0, IPC_RMID);
	msgctl(msq, IPC_RMID, NULL);
	show("shm", key);
	sysctl("shmmni", "junk");
	sysctl("sem", "x");
	sysctl("msgmax", "-");
	sysctl("msgmnb", "abc");
	sysctl("msgmni", "99999999");
	sysctl("shmmax", "-1");
	return 0;
}
