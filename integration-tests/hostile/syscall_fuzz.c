/*
 * syscall_fuzz.c — random system calls from short-lived processes, run in a
 * sandbox by integration-tests/test_syscall_fuzz.sh: the Sentry must
 * survive every one of them.
 *
 * Usage: syscall_fuzz SECONDS [SEED].  Until SECONDS have passed, fork a
 * child that makes CALLS random system calls and exits; a child still alive
 * after CHILD_MS is killed (it blocked: pause, a futex, a read of a pipe...).
 * Each call gets a random number (mostly a real one, sometimes any number)
 * and six arguments, each one of: 0, 1, -1, a small integer, an fd the child
 * holds, random flag bits, a random 64-bit value, a size (a page, a huge
 * length, a few KiB), a pointer to a buffer, a pointer just before the end
 * of a mapping (the next page is PROT_NONE), a NULL-ish or kernel-half or
 * unmapped pointer.  The buffer holds random bytes and a few real paths.
 *
 * Calls that would end the test rather than test the kernel are changed or
 * skipped (see sanitize()): signals and ptrace aimed at anything but the
 * child itself (kill(-1) or kill(ppid) would kill the driver), process
 * creation (clone/fork/vfork: a random clone runs two threads on one stack
 * or multiplies processes; the driver makes the processes), execve (it
 * would replace the child and its budget), mount/umount/pivot_root/chroot
 * (the sandbox's one mount table is the driver's too), reboot, and
 * process_vm_writev/prlimit64/sched_setattr aimed at other processes.
 * Everything else, rt_sigreturn, munmap of the child's own code, seccomp
 * filters included, may kill the child: that is a fine outcome.
 *
 * Prints one line at the end: "syscall_fuzz: done" (counts go to stderr:
 * they differ from run to run).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CALLS 200
#define CHILD_MS 300
#define MAX_NR 462
#define PAGE 4096UL

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static bool trace;
static uint8_t *buf;      /* 4 pages read-write, then a PROT_NONE page */
static int fds[8];
static int nfds;

static uint64_t rnd_arg(void)
{
	switch (rnd() % 16) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return (uint64_t)-1;
	case 3:
		return rnd() % 64;
	case 4:
	case 5:
		return (uint64_t)fds[rnd() % nfds];
	case 6:
		return 1ULL << (rnd() % 32) | (rnd() % 2 ? 1ULL << (rnd() % 32) : 0);
	case 7:
		return rnd();
	case 8:
		return PAGE;
	case 9:
		return rnd() % 8192;
	case 10:
		return 1ULL << 62;
	case 11:
	case 12:
		return (uint64_t)(uintptr_t)(buf + (rnd() % (4 * PAGE)));
	case 13:
		/* The last few bytes before the PROT_NONE page. */
		return (uint64_t)(uintptr_t)(buf + 4 * PAGE - 1 - rnd() % 16);
	case 14: {
		static const uint64_t bad[] = {8, 0x1000, 0xdeadbeef000ULL, 0xffffffff81000000ULL,
					       0x7ffffffff000ULL, 0xffffffffff600000ULL};
		return bad[rnd() % (sizeof(bad) / sizeof(bad[0]))];
	}
	default:
		return (uint64_t)rnd() & 0xffffffffULL;
	}
}

/* Make call nr with arguments a safe for the driver, or return false to
 * skip it (see the comment at the top). */
static bool sanitize(long nr, uint64_t *a)
{
	pid_t self = getpid();
	switch (nr) {
	case SYS_kill:
	case SYS_rt_sigqueueinfo:
		a[0] = (uint64_t)self;
		return true;
	case SYS_tgkill:
	case SYS_rt_tgsigqueueinfo:
		a[0] = (uint64_t)self;
		a[1] = (uint64_t)self;
		return true;
	case SYS_tkill:
		a[0] = (uint64_t)self;
		return true;
	case SYS_ptrace:
		a[1] = (uint64_t)self;
		return true;
	case SYS_process_vm_writev:
	case SYS_process_vm_readv:
	case SYS_prlimit64:
	case SYS_sched_setattr:
	case SYS_sched_setparam:
	case SYS_sched_setscheduler:
	case SYS_setpgid:
		a[0] = 0; /* pid 0: the child itself */
		return true;
	case SYS_setpriority:
	case SYS_ioprio_set:
		/* PRIO_PROCESS / IOPRIO_WHO_PROCESS of pid 0: the child itself
		 * (a process group would be the driver's too). */
		a[0] = nr == SYS_setpriority ? 0 : 1;
		a[1] = 0;
		return true;
	case SYS_pidfd_send_signal: /* a pidfd could name the driver */
	case SYS_clone:
	case SYS_clone3:
	case SYS_fork:
	case SYS_vfork:
	case SYS_execve:
	case SYS_execveat:
	case SYS_mount:
	case SYS_umount2:
	case SYS_pivot_root:
	case SYS_chroot:
	case SYS_reboot:
	case SYS_move_mount:
	case SYS_fsmount:
	case SYS_open_tree:
	case SYS_mount_setattr:
		return false;
	}
	return true;
}

static void child(void)
{
	int null = open("/dev/null", O_RDWR);
	int log = trace ? dup(2) : -1;
	dup2(null, 0);
	dup2(null, 1);
	dup2(null, 2);
	buf = mmap(NULL, 5 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		_exit(1);
	mprotect(buf + 4 * PAGE, PAGE, PROT_NONE);
	for (size_t i = 0; i < 4 * PAGE; i += 8) {
		uint64_t v = rnd();
		memcpy(buf + i, &v, 8);
	}
	static const char *paths[] = {"/tmp", "/dev/null", "/proc/self/status", "/", "."};
	for (int i = 0; i < 5; i++)
		strcpy((char *)buf + 512 * i, paths[i]);
	int p[2], sv[2];
	nfds = 0;
	fds[nfds++] = 0;
	fds[nfds++] = null;
	if (pipe(p) == 0) {
		fds[nfds++] = p[0];
		fds[nfds++] = p[1];
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0)
		fds[nfds++] = sv[0];
	fds[nfds++] = eventfd(0, 0);
	fds[nfds++] = open("/tmp", O_RDONLY | O_DIRECTORY);
	fds[nfds++] = -1;
	for (int i = 0; i < CALLS; i++) {
		long nr = rnd() % 50 == 0 ? (long)(rnd() & 0xffff) : (long)(rnd() % MAX_NR);
		uint64_t a[6];
		for (int j = 0; j < 6; j++)
			a[j] = rnd_arg();
		if (!sanitize(nr, a))
			continue;
		if (log >= 0)
			dprintf(log, "  %ld(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx)\n", nr,
				(unsigned long long)a[0], (unsigned long long)a[1],
				(unsigned long long)a[2], (unsigned long long)a[3],
				(unsigned long long)a[4], (unsigned long long)a[5]);
		syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	_exit(0);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(int argc, char **argv)
{
	long seconds = argc > 1 ? atol(argv[1]) : 20;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	/* SYSCALL_FUZZ_ONLY=N: run child N alone (to replay one); with
	 * SYSCALL_FUZZ_TRACE=1 each child's calls go to stderr. */
	const char *only = getenv("SYSCALL_FUZZ_ONLY");
	trace = getenv("SYSCALL_FUZZ_TRACE") != NULL;
	fprintf(stderr, "syscall_fuzz: seed %llu\n", (unsigned long long)seed);
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long children = 0, killed = 0, signalled = 0;
	uint64_t n = 0;
	while (ms_since(&start) < seconds * 1000) {
		++n;
		if (only && n != strtoull(only, NULL, 0)) {
			if (n > strtoull(only, NULL, 0))
				break;
			continue;
		}
		if (trace)
			fprintf(stderr, "child %llu\n", (unsigned long long)n);
		rng = seed ^ (n * 0x9E3779B97F4A7C15ULL);
		if (!rng)
			rng = 1;
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0)
			child();
		children++;
		struct timespec t0;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int st;
		for (;;) {
			pid_t w = waitpid(pid, &st, WNOHANG | __WALL);
			if (w == pid)
				break;
			if (w < 0) {
				perror("waitpid");
				return 1;
			}
			if (ms_since(&t0) > CHILD_MS) {
				kill(pid, SIGKILL);
				waitpid(pid, &st, __WALL);
				killed++;
				break;
			}
			struct timespec d = {0, 2000000};
			nanosleep(&d, NULL);
		}
		if (WIFSIGNALED(st))
			signalled++;
	}
	fprintf(stderr, "syscall_fuzz: %ld children, %ld killed after %d ms, %ld died of a signal\n",
		children, killed, CHILD_MS, signalled);
	printf("syscall_fuzz: done\n");
	return 0;
}
