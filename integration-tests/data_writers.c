/*
 * data_writers.c — the writers and the checker of test_docker_data_integrity.sh.
 *
 *   data_writers write DIR   several processes write files in DIR through
 *                            write(2), pwrite(2), mmap + msync, a mapping
 *                            never synced, and O_APPEND from two processes;
 *                            DIR/done appears when all of it is written,
 *                            then every process waits to be killed (docker
 *                            stop), mappings still in place.
 *   data_writers check DIR   every byte of every file, as the writers wrote
 *                            it; prints "ok" and exits 0, or what differs.
 *
 * A byte's value is a function of (file, offset): nothing is kept between
 * the two runs but the files.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024 * 1024)
#define CHUNK (64 * 1024)
#define REC 64
#define NREC 3000

static uint8_t byte_at(int file, uint64_t off)
{
	uint64_t x = off * 0x9e3779b97f4a7c15ULL + (uint64_t)file * 0x632be59bd9b4e019ULL;
	x ^= x >> 29;
	return (uint8_t)(x * 0xbf58476d1ce4e5b9ULL >> 56);
}

static void fill(int file, uint64_t off, uint8_t *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = byte_at(file, off + i);
}

static void die(const char *what)
{
	fprintf(stderr, "%s: %s\n", what, strerror(errno));
	exit(1);
}

static int open_new(const char *name)
{
	int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0)
		die(name);
	return fd;
}

/* 4 MiB through write(2), in chunks of varying size. */
static void by_write(void)
{
	int fd = open_new("f_write");
	static uint8_t buf[CHUNK];
	uint64_t off = 0;
	for (unsigned i = 0; off < 4 * MIB; i++) {
		size_t n = 1 + (i * 7919) % CHUNK;
		if (off + n > 4 * MIB)
			n = 4 * MIB - off;
		fill(1, off, buf, n);
		if (write(fd, buf, n) != (ssize_t)n)
			die("write");
		off += n;
	}
}

/* 4 MiB through pwrite(2), 64 KiB chunks in a shuffled order. */
static void by_pwrite(void)
{
	int fd = open_new("f_pwrite");
	static uint8_t buf[CHUNK];
	unsigned n = 4 * MIB / CHUNK;
	for (unsigned i = 0; i < n; i++) {
		unsigned c = (i * 37) % n; /* 37 is prime to 64: a permutation */
		fill(2, (uint64_t)c * CHUNK, buf, CHUNK);
		if (pwrite(fd, buf, CHUNK, (off_t)c * CHUNK) != CHUNK)
			die("pwrite");
	}
}

/* size bytes of file `file` through a shared mapping, msync'ed every 256 KiB
 * when sync; the mapping stays. */
static void by_mmap(const char *name, int file, uint64_t size, bool sync)
{
	int fd = open_new(name);
	if (ftruncate(fd, (off_t)size) < 0)
		die("ftruncate");
	uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	for (uint64_t off = 0; off < size; off += 4096) {
		fill(file, off, p + off, 4096);
		if (sync && (off + 4096) % (256 * 1024) == 0 && msync(p, size, MS_SYNC) < 0)
			die("msync");
	}
	if (sync && msync(p, size, MS_SYNC) < 0)
		die("msync");
}

/* Two processes write the two halves of one shared mapping each. */
static void by_two_mappings(int half)
{
	int fd = open("f_two", O_RDWR);
	uint8_t *p = mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap two");
	uint64_t from = (uint64_t)half * MIB;
	fill(5, from, p + from, MIB);
	if (msync(p + from, MIB, MS_SYNC) < 0)
		die("msync two");
}

/* NREC records of REC bytes from writer w, O_APPEND. */
static void by_append(int w)
{
	int fd = open("f_append", O_WRONLY | O_APPEND);
	if (fd < 0)
		die("f_append");
	for (int i = 0; i < NREC; i++) {
		char rec[REC], head[32];
		memset(rec, 'a' + w, sizeof(rec));
		int h = snprintf(head, sizeof(head), "writer %d record %06d ", w, i);
		memcpy(rec, head, (size_t)h); /* without its NUL */
		rec[REC - 1] = '\n';
		if (write(fd, rec, REC) != REC)
			die("append");
	}
}

static void write_all(void)
{
	close(open_new("f_append"));
	int fd = open_new("f_two");
	if (ftruncate(fd, 2 * MIB) < 0)
		die("ftruncate two");
	close(fd);
	int done[2];
	if (pipe(done) < 0)
		die("pipe");
	enum { NW = 8 };
	for (int w = 0; w < NW; w++) {
		if (fork() != 0)
			continue;
		close(done[0]);
		switch (w) {
		case 0: by_write(); break;
		case 1: by_pwrite(); break;
		case 2: by_mmap("f_mmap", 3, 4 * MIB, true); break;
		case 3: by_mmap("f_nosync", 4, MIB, false); break;
		case 4: case 5: by_two_mappings(w - 4); break;
		case 6: case 7: by_append(w - 6); break;
		}
		if (write(done[1], "x", 1) != 1)
			die("done");
		for (;;)
			pause(); /* killed by docker stop, mappings in place */
	}
	close(done[1]);
	char c;
	for (int w = 0; w < NW; w++)
		if (read(done[0], &c, 1) != 1)
			die("a writer died");
	close(open_new("done"));
	printf("written\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int bad;


static void check_bytes(const char *name, int file, uint64_t size)
{
	int fd = open(name, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || (uint64_t)st.st_size != size) {
		printf("%s: missing or size %lld, want %llu\n", name, fd < 0 ? -1LL : (long long)st.st_size,
		       (unsigned long long)size);
		bad++;
		return;
	}
	static uint8_t buf[CHUNK];
	for (uint64_t off = 0; off < size; off += CHUNK) {
		ssize_t n = pread(fd, buf, CHUNK, (off_t)off);
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != byte_at(file, off + i)) {
				printf("%s: byte %llu is %u, want %u\n", name,
				       (unsigned long long)(off + i), buf[i], byte_at(file, off + i));
				bad++;
				return;
			}
		}
	}
	close(fd);
}

static void check_append(void)
{
	FILE *f = fopen("f_append", "r");
	int next[2] = {0, 0}, n = 0;
	char line[REC + 2];
	while (f && fgets(line, sizeof(line), f)) {
		int w, i;
		if (strlen(line) != REC || sscanf(line, "writer %d record %d ", &w, &i) != 2 || w < 0 ||
		    w > 1 || i != next[w]) {
			printf("f_append: record %d is wrong: %.40s\n", n, line);
			bad++;
			return;
		}
		next[w]++;
		n++;
	}
	if (next[0] != NREC || next[1] != NREC) {
		printf("f_append: %d and %d records, want %d each\n", next[0], next[1], NREC);
		bad++;
	}
	if (f)
		fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 3 || chdir(argv[2]) < 0) {
		fprintf(stderr, "usage: data_writers write|check DIR\n");
		return 2;
	}
	if (!strcmp(argv[1], "write"))
		write_all();
	check_bytes("f_write", 1, 4 * MIB);
	check_bytes("f_pwrite", 2, 4 * MIB);
	check_bytes("f_mmap", 3, 4 * MIB);
	check_bytes("f_nosync", 4, MIB);
	check_bytes("f_two", 5, 2 * MIB);
	check_append();
	if (!bad)
		printf("ok\n");
	return bad ? 1 : 0;
}
