#!/usr/bin/env bash
# docker_pause_freezes_sandbox: docker pause freezes every process of the
# sandbox (the cgroup freezer over the Sentry, Gofer and stubs): a counter
# the app writes stops moving, and moves again after docker unpause.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
id=$(timeout 60 docker run -d --runtime="$DOCKER_RUNTIME" visor-busybox \
	sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done') || fail "run -d"
trap 'docker rm -f "$id" >/dev/null 2>&1' EXIT
merged=$(docker inspect -f '{{.GraphDriver.Data.MergedDir}}' "$id")
[ -d "$merged" ] || skip "no overlay merged dir to watch the counter through"
sleep 0.5
timeout 20 docker pause "$id" >/dev/null || fail "docker pause"
[ "$(docker inspect -f '{{.State.Status}}' "$id")" = paused ] || fail "not paused"
a=$(cat "$merged/tmp/count")
sleep 1
b=$(cat "$merged/tmp/count")
[ "$a" = "$b" ] || fail "the counter moved while paused ($a -> $b)"
timeout 20 docker unpause "$id" >/dev/null || fail "docker unpause"
sleep 0.5
c=$(cat "$merged/tmp/count")
[ "$c" -gt "$b" ] || fail "the counter did not move after unpause ($b -> $c)"
exit 0
