#!/usr/bin/env bash
# docker_run_tty_output: with -t the app's output comes back through the
# pty visor hands to the shim over --console-socket (run and exec).
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
out=$(dr -t visor-busybox echo through-the-tty 2>&1) || fail "docker run -t: $out"
echo "$out" | grep -q through-the-tty || fail "docker run -t printed: $out"
# The app has a terminal: tty names /dev/pts/N, and the window size set on
# it is what stty reports (script(1) gives the docker client a pty to size).
# The client resizes the pty after the container starts (as under runc), so
# the app waits for a size to arrive (busybox stty exits 0 even when it
# cannot read one, so the loop looks at what it printed).
inner='tty; i=0; while [ $i -lt 50 ]; do s=$(stty size 2>/dev/null); case "$s" in [1-9]*) break;; esac; i=$((i+1)); sleep 0.1; done; echo "$s"; sleep 0.3'
out=$(script -qc "stty rows 33 cols 101; timeout 60 docker run --rm -t --runtime=$DOCKER_RUNTIME visor-busybox sh -c '$inner'" /dev/null 2>&1 | tr -d '\r')
echo "$out" | grep -q '^/dev/pts/[0-9]*$' || fail "tty inside docker run -t: $out"
echo "$out" | grep -q '^33 101$' || fail "stty size inside docker run -t: $out"
id=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" visor-busybox sleep 1000) || fail "run -d"
trap 'docker rm -f "$id" >/dev/null 2>&1' EXIT
out=$(timeout 60 docker exec -t "$id" echo exec-tty 2>&1) || fail "docker exec -t: $out"
echo "$out" | grep -q exec-tty || fail "docker exec -t printed: $out"
# docker run -it: stdin, stdout and stderr are one terminal, so bash -i gets
# job control from the dup of stderr it keeps (tcgetpgrp on fd 2), as under
# runc ("cannot set terminal process group ... no job control" otherwise).
docker_import_debian
out=$(timeout 60 script -qc "docker run --rm -i -t --runtime=$DOCKER_RUNTIME $DEBIAN_IMAGE \
	bash -i -c 'echo jobs-ok'" /dev/null </dev/null 2>&1 | tr -d '\r')
echo "$out" | grep -q jobs-ok || fail "bash -i under docker run -it: $out"
echo "$out" | grep -q 'no job control' && fail "bash -i under docker run -it has no job control: $out"
exit 0
