/* Conformance: memfd file seals (fcntl F_ADD_SEALS / F_GET_SEALS) as Linux
 * keeps them: F_SEAL_SEAL from the start without MFD_ALLOW_SEALING; SHRINK
 * and GROW against ftruncate, write (a write that would grow the file
 * stops at the last whole page inside it) and fallocate; WRITE refused
 * (EBUSY) while a shared mapping may write, then write, shared writable
 * mmap, mprotect and hole punching refused; FUTURE_WRITE keeping the
 * mappings that exist; MFD_NOEXEC_SEAL and F_SEAL_EXEC against chmod; and
 * the errnos: EINVAL for unknown seals and non-memfd files, EPERM for
 * sealed files and fds not open for writing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

static const char *res(long r)
{
	static char bufs[4][32];
	static int next;
	char *buf = bufs[next++ % 4];
	if (r >= 0) {
		snprintf(buf, 32, "%ld", r);
		return buf;
	}
	switch (errno) {
	case EPERM: return "EPERM";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	}
	snprintf(buf, 32, "errno %d", errno);
	return buf;
}

static const char *mres(void *p)
{
	return p == MAP_FAILED ? res(-1) : "mapped";
}

static long size_of(int fd)
{
	struct stat st;
	fstat(fd, &st);
	return (long)st.st_size;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	char buf[8192];
	memset(buf, 'a', sizeof(buf));

	int plain = memfd_create("plain", MFD_CLOEXEC);
	printf("plain: seals %s", res(fcntl(plain, F_GET_SEALS)));
	printf(" add WRITE %s\n", res(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE)));

	int fd = memfd_create("sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	printf("allow sealing: seals %s", res(fcntl(fd, F_GET_SEALS)));
	printf(" unknown seal %s", res(fcntl(fd, F_ADD_SEALS, 0x100)));
	printf(" none %s\n", res(fcntl(fd, F_ADD_SEALS, 0)));
	ftruncate(fd, 16384);
	pwrite(fd, buf, 100, 0);

	printf("SHRINK: add %s", res(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)));
	printf(" truncate down %s", res(ftruncate(fd, 4096)));
	printf(" truncate up %s", res(ftruncate(fd, 20480)));
	printf(" same %s size %ld\n", res(ftruncate(fd, 20480)), size_of(fd));
	ftruncate(fd, 20480);

	printf("GROW: add %s", res(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW)));
	printf(" seals %s", res(fcntl(fd, F_GET_SEALS)));
	printf(" truncate up %s\n", res(ftruncate(fd, 24576)));
	printf("  pwrite inside %s", res(pwrite(fd, buf, 100, 100)));
	printf(" at end %s", res(pwrite(fd, buf, 10, 20480)));
	printf(" across end %s", res(pwrite(fd, buf, 200, 20400)));
	ftruncate(fd, 20480); /* unchanged */
	lseek(fd, 0, SEEK_END);
	printf(" append %s size %ld\n", res(write(fd, buf, 1)), size_of(fd));
	printf("  fallocate inside %s", res(fallocate(fd, 0, 0, 4096)));
	printf(" past end %s", res(fallocate(fd, 0, 16384, 8192)));
	printf(" keep size %s\n", res(fallocate(fd, FALLOC_FL_KEEP_SIZE, 16384, 8192)));

	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("WRITE with a writable shared mapping: %s\n",
	       res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
	munmap(shared, 4096);
	char *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	printf("WRITE with a read-only shared mapping of an O_RDWR fd: %s\n",
	       res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
	munmap(ro, 4096);
	char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	printf("WRITE with a private mapping: %s", res(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
	printf(" seals %s\n", res(fcntl(fd, F_GET_SEALS)));
	priv[0] = 'p';
	printf("  private copy written: %c, file keeps ", priv[0]);
	char c = 0;
	pread(fd, &c, 1, 0);
	printf("%c\n", c);
	munmap(priv, 4096);
	printf("  write %s", res(write(fd, buf, 1)));
	printf(" pwrite %s", res(pwrite(fd, buf, 1, 0)));
	printf(" punch hole %s", res(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096)));
	printf(" shared writable mmap %s\n",
	       mres(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)));
	ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	printf("  shared read-only mmap %s", mres(ro));
	printf(" mprotect to write %s", res(mprotect(ro, 4096, PROT_READ | PROT_WRITE)));
	printf(" reads %c\n", ro[0]);
	munmap(ro, 4096);

	printf("SEAL: add %s", res(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL)));
	printf(" then add none %s", res(fcntl(fd, F_ADD_SEALS, 0)));
	printf(" seals %s\n", res(fcntl(fd, F_GET_SEALS)));

	int fw = memfd_create("future", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	ftruncate(fw, 4096);
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0);
	printf("FUTURE_WRITE with a writable mapping: %s",
	       res(fcntl(fw, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)));
	memcpy(m, "mapped", 6);
	char got[8] = "";
	pread(fw, got, 6, 0);
	printf(" old mapping still writes: %s\n", got);
	printf("  write %s", res(write(fw, "x", 1)));
	printf(" shared writable mmap %s", mres(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fw, 0)));
	printf(" truncate %s", res(ftruncate(fw, 8192)));
	printf(" WRITE %s", res(fcntl(fw, F_ADD_SEALS, F_SEAL_WRITE)));
	munmap(m, 4096);
	printf(" after munmap WRITE %s", res(fcntl(fw, F_ADD_SEALS, F_SEAL_WRITE)));
	printf(" seals %s\n", res(fcntl(fw, F_GET_SEALS)));

	/* An fd not open for writing (reopened read-only through /proc). */
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fw);
	int rd = open(path, O_RDONLY);
	printf("read-only fd: open %s", rd >= 0 ? "ok" : res(rd));
	printf(" seals %s", res(fcntl(rd, F_GET_SEALS)));
	printf(" add %s\n", res(fcntl(rd, F_ADD_SEALS, F_SEAL_SHRINK)));

	int p[2];
	pipe(p);
	printf("pipe: get %s", res(fcntl(p[1], F_GET_SEALS)));
	printf(" add on write end %s", res(fcntl(p[1], F_ADD_SEALS, F_SEAL_SEAL)));
	printf(" add on read end %s\n", res(fcntl(p[0], F_ADD_SEALS, F_SEAL_SEAL)));

	struct stat st;
	int ne = memfd_create("noexec", MFD_CLOEXEC | MFD_NOEXEC_SEAL);
	fstat(ne, &st);
	printf("NOEXEC_SEAL: mode %o", st.st_mode & 07777);
	printf(" seals %s", res(fcntl(ne, F_GET_SEALS)));
	printf(" chmod +x %s", res(fchmod(ne, 0777)));
	printf(" chmod 0600 %s", res(fchmod(ne, 0600)));
	printf(" add GROW %s\n", res(fcntl(ne, F_ADD_SEALS, F_SEAL_GROW)));
	int ex = memfd_create("exec", MFD_CLOEXEC | MFD_EXEC | MFD_ALLOW_SEALING);
	fstat(ex, &st);
	printf("EXEC: mode %o", st.st_mode & 07777);
	printf(" seals %s", res(fcntl(ex, F_GET_SEALS)));
	printf(" add EXEC %s", res(fcntl(ex, F_ADD_SEALS, F_SEAL_EXEC)));
	printf(" seals %#x", fcntl(ex, F_GET_SEALS));
	printf(" chmod -x %s", res(fchmod(ex, 0666)));
	printf(" write %s\n", res(write(ex, "x", 1)));
	return 0;
}
