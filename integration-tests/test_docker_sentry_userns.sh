#!/usr/bin/env bash
# docker_run_sentry_owns_no_host_id: under `docker run --runtime=visor` the
# Sentry (the pid Docker reports for the container) and its stubs run in a
# user namespace of their own as a non-zero host uid and gid, with no
# effective capability (sentry/jail.c, sentry_userns_enter), seen from outside through
# /proc/PID; exec, top, stats, pause and kill still reach the sandbox.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
name=visor-userns-$$
trap 'docker rm -f $name $name-2 >/dev/null 2>&1' EXIT
docker run -d --name $name --runtime="$DOCKER_RUNTIME" visor-busybox sleep 60 >/dev/null ||
	fail "docker run -d"
pid=$(docker inspect -f '{{.State.Pid}}' $name)
[ -n "$pid" ] && [ "$pid" != 0 ] || fail "no pid for the container"
tr '\0' '\n' </proc/$pid/cmdline | grep -qx boot || fail "pid $pid is not the Sentry"
# check PID: other user namespace, host ids non-zero, CapEff 0.
check() {
	local p=$1 u g c
	u=$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$p/status 2>/dev/null)
	g=$(awk '/^Gid:/ {print $2, $3, $4, $5}' /proc/$p/status 2>/dev/null)
	c=$(awk '/^CapEff:/ {print $2}' /proc/$p/status 2>/dev/null)
	[ -n "$u" ] || return 0 # a stub that ended meanwhile
	echo "pid $p: uid $u gid $g CapEff $c $(readlink /proc/$p/ns/user)"
	[ "$(readlink /proc/$p/ns/user)" != "$(readlink /proc/self/ns/user)" ] ||
		fail "pid $p is in the host's user namespace"
	case " $u $g " in *" 0 "*) fail "pid $p holds host id 0 (uid $u gid $g)" ;; esac
	[ "$c" = 0000000000000000 ] || fail "pid $p has capabilities $c"
}
check "$pid"
stubs=$(pgrep -P "$pid")
[ -n "$stubs" ] || fail "the Sentry $pid has no stub"
for s in $stubs; do check "$s"; done
# Each sandbox its own id.
docker run -d --name $name-2 --runtime="$DOCKER_RUNTIME" visor-busybox sleep 60 >/dev/null ||
	fail "second docker run -d"
pid2=$(docker inspect -f '{{.State.Pid}}' $name-2)
u1=$(awk '/^Uid:/ {print $2}' /proc/$pid/status)
u2=$(awk '/^Uid:/ {print $2}' /proc/$pid2/status)
docker rm -f $name-2 >/dev/null
[ "$u1" != "$u2" ] || fail "two sandboxes share host uid $u1"
# The runtime, as host root, still reaches the sandbox.
out=$(timeout 30 docker exec $name echo exec-ok 2>&1)
[ "$out" = exec-ok ] || fail "docker exec: $out"
timeout 30 docker top $name 2>&1 | grep -q "sleep" || fail "docker top: $(timeout 30 docker top $name 2>&1)"
timeout 30 docker stats --no-stream $name >/dev/null 2>&1 || fail "docker stats"
timeout 30 docker pause $name >/dev/null || fail "docker pause"
timeout 30 docker unpause $name >/dev/null || fail "docker unpause"
out=$(timeout 30 docker exec $name echo after-pause 2>&1)
[ "$out" = after-pause ] || fail "docker exec after unpause: $out"
timeout 30 docker kill $name >/dev/null || fail "docker kill"
for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
kill -0 "$pid" 2>/dev/null && fail "the Sentry $pid outlived docker kill"
echo "the Sentry and its stubs own no host id"
exit 0
