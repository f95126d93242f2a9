#!/usr/bin/env bash
# docker_run_prints_and_exits: `docker run --runtime=visor` prints the app's
# output, returns its exit status, and passes stdin through with -i.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
out=$(dr visor-busybox echo hello 2>&1) || fail "docker run echo: $out"
[ "$out" = hello ] || fail "docker run echo printed: $out"
dr visor-busybox sh -c 'exit 42' >/dev/null 2>&1
st=$?
[ $st = 42 ] || fail "exit status $st, wanted 42"
out=$(echo data-in | dr -i visor-busybox cat 2>&1) || fail "docker run -i cat: $out"
[ "$out" = data-in ] || fail "stdin did not reach the app: $out"
# A program found through PATH keeps argv[0] as given, as under runc
# (/proc/1/cmdline reads "sh -c ...", not "/bin/sh -c ...").
want=$(docker run --rm visor-busybox sh -c 'cat /proc/1/cmdline; true' | tr '\0' ' ') ||
	fail "runc: cmdline"
out=$(dr visor-busybox sh -c 'cat /proc/1/cmdline; true' | tr '\0' ' ') || fail "cmdline: $out"
[ "$out" = "$want" ] || fail "init's cmdline '$out', runc's '$want'"
out=$(dr visor-busybox sh -c 'echo to-err >&2' 2>&1 >/dev/null)
[ "$out" = to-err ] || fail "stderr: $out"
dr visor-busybox /no/such/program >/dev/null 2>"${TMPDIR:-/tmp}/visor-docker-err.$$"
st=$?
err=$(cat "${TMPDIR:-/tmp}/visor-docker-err.$$"); rm -f "${TMPDIR:-/tmp}/visor-docker-err.$$"
[ $st != 0 ] || fail "running a missing program succeeded"
echo "$err" | grep -q '/no/such/program' || fail "missing program: message does not name it: $err"
exit 0
