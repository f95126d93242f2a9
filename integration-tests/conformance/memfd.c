/* Conformance: memfd_create: a read-write anonymous file (write, pread,
 * lseek, ftruncate, fstat, a shared mapping coherent with read/write, fork
 * sharing, /proc/self/fd naming, MFD_CLOEXEC) and the argument errors.
 * Seals: memfd_seals.c. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *ename(long r)
{
	if (r >= 0)
		return "OK";
	switch (errno) {
	case EINVAL: return "EINVAL";
	case EFAULT: return "EFAULT";
	}
	return "other";
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int fd = memfd_create("conformance", MFD_CLOEXEC);
	printf("memfd_create: %s cloexec %d flags %#x\n", ename(fd), fcntl(fd, F_GETFD),
	       fcntl(fd, F_GETFL) & O_ACCMODE);
	char link[256] = "";
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	printf("link: %s\n", n > 0 ? link : "?");
	struct stat st;
	fstat(fd, &st);
	printf("fstat: regular %d mode %o size %ld\n", S_ISREG(st.st_mode), st.st_mode & 07777,
	       (long)st.st_size);
	write(fd, "hello memfd", 11);
	char buf[32] = "";
	pread(fd, buf, 5, 6);
	printf("pread: %s, position %ld\n", buf, (long)lseek(fd, 0, SEEK_CUR));
	ftruncate(fd, 8192);
	fstat(fd, &st);
	printf("after ftruncate: %ld\n", (long)st.st_size);
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap: %s, sees \"%.11s\"\n", m == MAP_FAILED ? "failed" : "OK", m);
	memcpy(m + 4096, "via mapping", 11);
	memset(buf, 0, sizeof(buf));
	pread(fd, buf, 11, 4096);
	printf("read after a store: %s\n", buf);
	pid_t c = fork();
	if (c == 0) {
		pwrite(fd, "CHILD", 5, 0);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("mapping after the child's write: %.11s\n", m);
	ftruncate(fd, 3);
	fstat(fd, &st);
	printf("shrunk: %ld\n", (long)st.st_size);

	int fd2 = memfd_create("", 0);
	printf("empty name: %s cloexec %d\n", ename(fd2), fcntl(fd2, F_GETFD));
	char longname[300];
	memset(longname, 'x', sizeof(longname));
	longname[249] = 0;
	printf("249-byte name: %s\n", ename(memfd_create(longname, 0)));
	longname[249] = 'x';
	longname[250] = 0;
	printf("250-byte name: %s\n", ename(memfd_create(longname, 0)));
	printf("bad name pointer: %s\n", ename(memfd_create((char *)8, 0)));
	printf("unknown flag: %s\n", ename(memfd_create("x", 0x100)));
	printf("EXEC with NOEXEC_SEAL: %s\n", ename(memfd_create("x", 0x10 | 0x8)));
	return 0;
}
