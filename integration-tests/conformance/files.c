/* Conformance: file syscalls on a tmpfs directory given as argv[1]. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, int r)
{
	printf("%s: %d %s\n", what, r < 0 ? -1 : r, r < 0 ? strerror(errno) : "");
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	if (argc < 2 || chdir(argv[1]) < 0)
		return 2;
	umask(022);
	show("mkdir d", mkdir("d", 0755));
	show("mkdir d again", mkdir("d", 0755));
	int fd = open("d/f", O_CREAT | O_RDWR | O_EXCL, 0666);
	show("open excl", fd >= 0 ? 0 : -1);
	show("write", (int)write(fd, "hello world", 11));
	show("lseek", (int)lseek(fd, 6, SEEK_SET));
	char buf[32] = {0};
	show("read", (int)read(fd, buf, sizeof(buf)));
	printf("data: %s\n", buf);
	show("pread", (int)pread(fd, buf, 5, 0));
	struct stat st;
	fstat(fd, &st);
	printf("size %ld mode %o regular %d\n", (long)st.st_size, st.st_mode & 07777, S_ISREG(st.st_mode));
	show("ftruncate", ftruncate(fd, 3));
	fstat(fd, &st);
	printf("size after truncate %ld\n", (long)st.st_size);
	close(fd);
	show("open excl again", open("d/f", O_CREAT | O_EXCL | O_RDWR, 0600));
	show("symlink", symlink("f", "d/l"));
	ssize_t n = readlink("d/l", buf, sizeof(buf));
	printf("readlink %zd %.*s\n", n, (int)n, buf);
	show("stat via link", stat("d/l", &st));
	show("lstat is link", lstat("d/l", &st) == 0 && S_ISLNK(st.st_mode));
	show("link", link("d/f", "d/h"));
	stat("d/f", &st);
	printf("nlink %ld\n", (long)st.st_nlink);
	show("rename", rename("d/h", "d/g"));
	show("unlink missing", unlink("d/h"));
	show("rmdir nonempty", rmdir("d"));
	show("open dir for write", open("d", O_WRONLY));
	show("open ENOTDIR", open("d/f/x", O_RDONLY));
	DIR *dp = opendir("d");
	char *names[16];
	int k = 0;
	struct dirent *e;
	while ((e = readdir(dp)) && k < 16)
		names[k++] = strdup(e->d_name);
	closedir(dp);
	qsort(names, (size_t)k, sizeof(char *), cmp);
	printf("entries:");
	for (int i = 0; i < k; i++)
		printf(" %s", names[i]);
	printf("\n");
	show("chmod", chmod("d/f", 0600));
	stat("d/f", &st);
	printf("mode %o\n", st.st_mode & 07777);
	char cwd[256];
	printf("getcwd ends with arg: %d\n", getcwd(cwd, sizeof(cwd)) != NULL &&
		strcmp(cwd + strlen(cwd) - strlen(argv[1]) + (argv[1][0] == '/' ? 0 : 0), argv[1]) == 0);
	int fds[2];
	pipe(fds);
	int d2 = dup2(fds[1], 9);
	printf("dup2 -> %d cloexec %d\n", d2, fcntl(9, F_GETFD));
	fcntl(9, F_SETFD, FD_CLOEXEC);
	printf("cloexec now %d\n", fcntl(9, F_GETFD));
	show("unlink all", unlink("d/f") | unlink("d/g") | unlink("d/l"));
	show("rmdir", rmdir("d"));
	return 0;
}
