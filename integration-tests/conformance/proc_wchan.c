/* /proc/PID/wchan of a running task: "0" with no newline (ps -l and
 * ps -o wchan show "-" for it, and "?" when the file is missing). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
	char buf[64];
	int fd = open("/proc/self/wchan", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("wchan: %zd [%s]\n", n, buf);
	struct stat st;
	if (stat("/proc/self/wchan", &st) == 0)
		printf("mode %o\n", st.st_mode & 07777);
	return 0;
}
