#!/usr/bin/env bash
# docker_strace_and_gdb: ptrace inside the sandbox.  In a Debian image with
# strace and gdb, `strace -f -e trace=openat,write sh -c ...` traces the
# shell and the processes it starts with the same syscalls (names and
# results, addresses and pids left out) as under runc, and `gdb -batch -ex
# run -ex bt` of a program that segfaults shows its backtrace by function
# name.  (runc needs no --cap-add: Docker's default seccomp profile allows
# ptrace on kernels >= 4.8, and Yama lets a process trace its descendants.)
. "$(dirname "$0")/lib.sh"
set -u
docker_setup
IMAGE=visor-ptrace-apps
docker_build_apps "$IMAGE" strace gdb
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The crashing program, built here with its debug information (static, so
# the image needs no compiler and the host's libc does not matter).
cat >"$work/crash.c" <<'C'
#include <stdio.h>
__attribute__((noinline)) static void crash_here(volatile int *p) { *p = 42; }
__attribute__((noinline)) static void call_it(void) { crash_here((int *)0); }
int main(void) { puts("about to crash"); fflush(stdout); call_it(); return 0; }
C
gcc -g -O0 -static -o "$work/crash" "$work/crash.c" || fail "cannot build crash.c"

cp "$(dirname "$0")/realapps/strace.sh" "$work/strace.sh"
got=$(same_as_runc "$IMAGE" "$work" strace.sh) || exit 1
echo "$got" | grep -q '^write(1, "hi\\n", 3) = 3' || fail "strace shows no write of hi: $got"
echo "$got" | grep -q '^execve("/bin/true"' || fail "strace -f does not follow children: $got"
echo "ok: strace -f"

cat >"$work/gdb.sh" <<'SH'
gdb -q -batch -ex run -ex bt /w/crash 2>&1 | grep -E '^#[0-9]+ |SIGSEGV' | sed -E 's/0x[0-9a-f]+ in //; s/ at .*//'
SH
got=$(same_as_runc "$IMAGE" "$work" gdb.sh) || exit 1
echo "$got" | grep -q 'crash_here' || fail "gdb backtrace lacks crash_here: $got"
echo "$got" | grep -q 'call_it' || fail "gdb backtrace lacks call_it: $got"
echo "ok: gdb backtrace"

# Breakpoints (POKETEXT into read-only text, single-steps over them), in the
# main thread and in a new one, with the values gdb reads there.
cat >"$work/bp.c" <<'C'
#include <pthread.h>
#include <stdio.h>
int counter;
__attribute__((noinline)) int add(int a, int b) { counter++; return a + b; }
static void *thr(void *arg) { return (void *)(long)add(5, 6); }
int main(void)
{
	int s = 0;
	for (int i = 0; i < 3; i++)
		s += add(i, 1);
	pthread_t t;
	void *r;
	pthread_create(&t, NULL, thr, NULL);
	pthread_join(t, &r);
	printf("s=%d r=%ld\n", s, (long)r);
	return 0;
}
C
gcc -g -O0 -static -pthread -o "$work/bp" "$work/bp.c" || fail "cannot build bp.c"
cat >"$work/bp.sh" <<'SH'
gdb -q -batch -ex 'break add' -ex run -ex bt -ex 'print counter' -ex continue -ex 'print a' \
	-ex 'delete' -ex 'continue' /w/bp 2>&1 |
	grep -E '^(Breakpoint|#[0-9]|\$[0-9]|s=|\[Inferior)' | sed -E 's/0x[0-9a-f]+ in //; s/process [0-9]+/process N/'
SH
got=$(same_as_runc "$IMAGE" "$work" bp.sh) || exit 1
echo "$got" | grep -q '^s=6 r=11' || fail "gdb breakpoints: $got"
echo "ok: gdb breakpoints"

# Yama at scope 1 (Debian's default; this host's kernel may have no Yama, so
# this part is checked under visor only): without CAP_SYS_PTRACE a process
# may attach its descendants, not its parent, until the parent names it
# with PR_SET_PTRACER.
cat >"$work/yama.c" <<'C'
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>
static int try_attach(pid_t pid)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0)
		return errno;
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}
int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	int p[2], q[2];
	pipe(p);
	pipe(q);
	pid_t parent = getpid();
	pid_t c = fork();
	if (c == 0) {
		char x;
		printf("child attaches parent: %s\n", strerror(try_attach(parent)));
		write(q[1], "x", 1);
		read(p[0], &x, 1);
		printf("after PR_SET_PTRACER: %s\n", strerror(try_attach(parent)));
		_exit(0);
	}
	char x;
	read(q[0], &x, 1);
	printf("prctl: %d\n", prctl(PR_SET_PTRACER, c, 0, 0, 0));
	write(p[1], "x", 1);
	waitpid(c, NULL, 0);
	pid_t d = fork();
	if (d == 0) {
		pause();
		_exit(0);
	}
	printf("parent attaches child: %s\n", strerror(try_attach(d)));
	kill(d, SIGKILL);
	waitpid(d, NULL, 0);
	return 0;
}
C
gcc -O1 -static -o "$work/yama" "$work/yama.c" || fail "cannot build yama.c"
want='1
child attaches parent: Operation not permitted
prctl: 0
after PR_SET_PTRACER: Success
parent attaches child: Success'
got=$(timeout 120 docker run --rm --runtime="$DOCKER_RUNTIME" -v "$work:/w" "$IMAGE" \
	sh -c 'cat /proc/sys/kernel/yama/ptrace_scope; /w/yama' 2>&1)
[ "$got" = "$want" ] || fail "Yama scope 1: want [$want] got [$got]"
echo "ok: Yama scope 1"
exit 0
