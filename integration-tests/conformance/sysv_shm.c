/* Conformance: System V shared memory — shmget (keys, IPC_CREAT/EXCL,
 * sizes), shmat (SHM_RDONLY, SHM_RND, SHM_REMAP, fixed addresses), shmdt,
 * shmctl (IPC_STAT, IPC_SET, IPC_RMID deferred to the last detach,
 * SHM_STAT, IPC_INFO, SHM_LOCK), sharing across fork.  Objects are private
 * or keyed by pid and removed, so the host's other IPC users don't show. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%-44s -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%-44s ok\n", what);
}

static void stat_of(const char *what, int id)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) < 0) {
		printf("%-44s stat -1 %s\n", what, strerrorname_np(errno));
		return;
	}
	printf("%-44s size=%zu mode=%o nattch=%lu key0=%d cpid_self=%d lpid_self=%d atime=%d dtime=%d\n",
	       what, ds.shm_segsz, ds.shm_perm.mode, (unsigned long)ds.shm_nattch,
	       ds.shm_perm.__key == 0, ds.shm_cpid == getpid(), ds.shm_lpid == getpid(),
	       ds.shm_atime != 0, ds.shm_dtime != 0);
}

static int in_maps(void *p)
{
	char line[512], want[32];
	snprintf(want, sizeof(want), "%lx-", (unsigned long)p);
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want))) {
			found = strstr(line, "/SYSV00000000 (deleted)") ? 2 : 1;
			if (strstr(line, "rw-s"))
				found += 10;
			else if (strstr(line, "r--s"))
				found += 20;
		}
	if (f)
		fclose(f);
	return found;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	res("shmget size 0", shmget(IPC_PRIVATE, 0, 0600));
	int id = shmget(IPC_PRIVATE, 10000, 0640);
	res("shmget private 10000", id);
	stat_of("fresh", id);

	char *p = shmat(id, NULL, 0);
	res("shmat", p == (void *)-1 ? -1 : 0);
	printf("page aligned %d, maps %d\n", ((unsigned long)p & (PG - 1)) == 0, in_maps(p));
	stat_of("attached", id);
	printf("zero filled %d\n", p[0] == 0 && p[9999] == 0 && p[12287] == 0);
	strcpy(p, "parent");
	strcpy(p + 10000, "tail");

	pid_t c = fork();
	if (c == 0) {
		struct shmid_ds ds;
		shmctl(id, IPC_STAT, &ds);
		printf("child sees '%s' '%s', nattch %lu\n", p, p + 10000, (unsigned long)ds.shm_nattch);
		strcpy(p, "child");
		char *q = shmat(id, NULL, SHM_RDONLY);
		printf("child second attach sees '%s'\n", q);
		_exit(0);
	}
	int st;
	waitpid(c, &st, 0);
	printf("parent sees '%s'\n", p);
	stat_of("after child exit", id);

	char *r = shmat(id, NULL, SHM_RDONLY);
	res("shmat SHM_RDONLY", r == (void *)-1 ? -1 : 0);
	printf("rdonly sees '%s', maps %d\n", r, in_maps(r));
	res("mprotect rdonly attach writable", mprotect(r, PG, PROT_READ | PROT_WRITE));
	stat_of("two attached", id);
	res("shmdt rdonly", shmdt(r));
	res("shmdt again", shmdt(r));
	res("shmdt unaligned", shmdt(p + 1));
	res("shmdt inside", shmdt(p + PG));

	/* Fixed addresses. */
	char *area = mmap(NULL, 8 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res("shmat over a mapping", shmat(id, area, 0) == (void *)-1 ? -1 : 0);
	res("shmat unaligned", shmat(id, area + 5, 0) == (void *)-1 ? -1 : 0);
	res("shmat NULL SHM_REMAP", shmat(id, NULL, SHM_REMAP) == (void *)-1 ? -1 : 0);
	char *f = shmat(id, area + 5, SHM_RND | SHM_REMAP);
	printf("SHM_RND|SHM_REMAP at area %d sees '%s'\n", f == area, f == (void *)-1 ? "" : f);
	res("shmdt fixed", shmdt(area));
	munmap(area, 8 * PG);
	/* A partial munmap leaves two pieces of one attachment; shmdt drops both. */
	char *g = shmat(id, NULL, 0);
	munmap(g + PG, PG);
	stat_of("split attachment", id);
	res("shmdt split", shmdt(g));
	stat_of("after shmdt split", id);

	/* IPC_SET, SHM_LOCK. */
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0604 | 01000;
	ds.shm_perm.uid = 123;
	res("IPC_SET", shmctl(id, IPC_SET, &ds));
	shmctl(id, IPC_STAT, &ds);
	printf("after set mode=%o uid=%u cuid=%u\n", ds.shm_perm.mode, ds.shm_perm.uid, ds.shm_perm.cuid);
	res("SHM_LOCK", shmctl(id, SHM_LOCK, NULL));
	stat_of("locked", id);
	res("SHM_UNLOCK", shmctl(id, SHM_UNLOCK, NULL));

	/* SHM_STAT by index, IPC_INFO. */
	int sid = shmctl(id % 32768, SHM_STAT, &ds);
	printf("SHM_STAT index gives id %d\n", sid == id);
	struct shminfo si;
	int maxidx = shmctl(0, IPC_INFO, (struct shmid_ds *)&si);
	printf("IPC_INFO maxidx>=idx %d shmmin %lu shmmni %lu shmseg %lu\n", maxidx >= id % 32768,
	       si.shmmin, si.shmmni, si.shmseg);
	struct shm_info sinfo;
	int mi = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
	printf("SHM_INFO ok %d used>=1 %d tot>=3 %d\n", mi >= 0, sinfo.used_ids >= 1,
	       sinfo.shm_tot >= 3);
	res("shmctl bad cmd", shmctl(id, 99, &ds));
	res("shmctl negative id", shmctl(-1, IPC_STAT, &ds));
	res("shmctl bad pointer", shmctl(id, IPC_STAT, (struct shmid_ds *)8));

	/* IPC_RMID while attached: key private, SHM_DEST, attachable by id. */
	res("IPC_RMID attached", shmctl(id, IPC_RMID, NULL));
	stat_of("marked", id);
	char *h = shmat(id, NULL, 0);
	printf("attach after RMID sees '%s'\n", h == (void *)-1 ? strerrorname_np(errno) : h);
	shmdt(h);
	c = fork();
	if (c == 0) {
		stat_of("child of marked", id);
		_exit(0);
	}
	waitpid(c, &st, 0);
	res("last shmdt", shmdt(p));
	stat_of("gone", id);
	res("shmat gone", shmat(id, NULL, 0) == (void *)-1 ? -1 : 0);

	/* Keys. */
	key_t key = 0x5a000000 | (getpid() & 0xffffff);
	res("shmget key absent", shmget(key, PG, 0600));
	int k = shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600);
	res("shmget key create", k);
	res("shmget key excl again", shmget(key, PG, IPC_CREAT | IPC_EXCL | 0600));
	printf("shmget key again same id %d\n", shmget(key, PG, 0) == k);
	printf("shmget key smaller same id %d\n", shmget(key, 10, IPC_CREAT) == k);
	res("shmget key bigger", shmget(key, 2 * PG, 0));
	shmctl(k, IPC_STAT, &ds);
	printf("key matches %d\n", ds.shm_perm.__key == key);
	res("IPC_RMID unattached", shmctl(k, IPC_RMID, NULL));
	res("shmget key after rmid", shmget(key, PG, 0));
	res("IPC_RMID twice", shmctl(k, IPC_RMID, NULL));
	return 0;
}
