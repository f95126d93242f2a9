#!/usr/bin/env bash
# docker_detached_container_lifecycle: -d, docker logs, docker exec (output
# and exit status), docker kill -> 137, docker stop of a TERM-handling app,
# -m seen by docker stats and changed by docker update, docker rm -f of a
# running one.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
ids=()
cleanup() { for i in "${ids[@]}"; do docker rm -f "$i" >/dev/null 2>&1; done; }
trap cleanup EXIT
D() { timeout 60 docker "$@"; }

id=$(D run -d --runtime="$DOCKER_RUNTIME" visor-busybox sh -c 'echo started; exec sleep 1000') || fail "run -d"
ids+=("$id")
for i in $(seq 50); do D logs "$id" 2>&1 | grep -q started && break; sleep 0.1; done
D logs "$id" 2>&1 | grep -q started || fail "docker logs: $(D logs "$id" 2>&1)"
out=$(D exec "$id" sh -c 'echo in-exec; exit 3')
st=$?
[ $st = 3 ] || fail "docker exec exit status $st, wanted 3"
[ "$out" = in-exec ] || fail "docker exec output: $out"
out=$(echo piped | D exec -i "$id" cat) || fail "docker exec -i"
[ "$out" = piped ] || fail "docker exec -i: $out"
D kill "$id" >/dev/null || fail "docker kill"
st=$(D wait "$id")
[ "$st" = 137 ] || fail "killed container exit status $st, wanted 137"

id=$(D run -d --runtime="$DOCKER_RUNTIME" visor-busybox sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done') ||
	fail "run -d (trap)"
ids+=("$id")
sleep 0.5
D stop -t 10 "$id" >/dev/null || fail "docker stop"
st=$(D wait "$id")
[ "$st" = 5 ] || fail "stopped container exit status $st, wanted 5 (its TERM handler)"

# -m reaches the cgroup visor puts the sandbox in, so docker stats sees it.
id=$(D run -d --runtime="$DOCKER_RUNTIME" -m 64m visor-busybox sleep 1000) || fail "run -d -m"
ids+=("$id")
out=$(D stats --no-stream --format '{{.MemUsage}}' "$id") || fail "docker stats"
echo "$out" | grep -q '/ 64MiB' || fail "docker stats memory limit: $out"
# docker update rewrites the limits in that cgroup.
D update -m 96m --memory-swap 200m "$id" >/dev/null || fail "docker update -m"
out=$(D stats --no-stream --format '{{.MemUsage}}' "$id") || fail "docker stats after update"
echo "$out" | grep -q '/ 96MiB' || fail "docker update did not change the limit: $out"
D update --cpus 0.5 "$id" >/dev/null || fail "docker update --cpus"
D rm -f "$id" >/dev/null

id=$(D run -d --runtime="$DOCKER_RUNTIME" visor-busybox sleep 1000) || fail "run -d (rm -f)"
D rm -f "$id" >/dev/null || fail "docker rm -f"
D inspect "$id" >/dev/null 2>&1 && fail "docker rm -f left the container"
exit 0
