/* /proc/sys files that programs read at start: kernel/random/uuid (a new
 * version 4 UUID at each read), kernel/random/boot_id (the same at each
 * read), entropy_avail and poolsize, kernel/core_pattern,
 * kernel/threads-max, vm/max_map_count, fs/nr_open and fs/file-max.  The
 * values that depend on the machine are only checked for their form. */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int rd(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		printf("%s: missing\n", path);
		return -1;
	}
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* 8-4-4-4-12 lower-case hex, version 4, variant 10xx. */
static int is_uuid4(const char *u)
{
	if (strlen(u) != 36)
		return 0;
	for (int i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				return 0;
		} else if (!isxdigit((unsigned char)u[i]) || isupper((unsigned char)u[i])) {
			return 0;
		}
	}
	return u[14] == '4' && strchr("89ab", u[19]) != NULL;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int main(void)
{
	char a[128], b[128];
	if (rd("/proc/sys/kernel/random/uuid", a, sizeof(a)) == 0 &&
	    rd("/proc/sys/kernel/random/uuid", b, sizeof(b)) == 0)
		printf("uuid: v4 %d %d, differ %d\n", is_uuid4(a), is_uuid4(b), strcmp(a, b) != 0);
	if (rd("/proc/sys/kernel/random/boot_id", a, sizeof(a)) == 0 &&
	    rd("/proc/sys/kernel/random/boot_id", b, sizeof(b)) == 0)
		printf("boot_id: uuid %d, same %d\n", is_uuid4(a), strcmp(a, b) == 0);
	const char *numbers[] = {"/proc/sys/kernel/random/entropy_avail",
				 "/proc/sys/kernel/random/poolsize", "/proc/sys/kernel/threads-max",
				 "/proc/sys/fs/file-max"};
	for (int i = 0; i < 4; i++)
		if (rd(numbers[i], a, sizeof(a)) == 0)
			printf("%s: number %d, positive %d\n", numbers[i], is_number(a), atoll(a) > 0);
	const char *exact[] = {"/proc/sys/vm/max_map_count", "/proc/sys/fs/nr_open"};
	for (int i = 0; i < 2; i++)
		if (rd(exact[i], a, sizeof(a)) == 0)
			printf("%s: %s\n", exact[i], a);
	if (rd("/proc/sys/kernel/core_pattern", a, sizeof(a)) == 0)
		printf("core_pattern: set %d\n", a[0] != 0);
	FILE *f = fopen("/proc/sys/kernel/random/uuid", "w");
	printf("uuid writable: %d\n", f != NULL && fputs("x\n", f) >= 0 && fclose(f) == 0);
	return 0;
}
