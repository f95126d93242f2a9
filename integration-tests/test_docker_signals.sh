#!/usr/bin/env bash
# docker_kill_and_stop_signals: docker kill -s USR1 reaches the app's
# handler; docker stop of an app that ignores SIGTERM waits for the timeout
# and then SIGKILLs (exit 137), as under runc where the app is a pid
# namespace's init.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
D() { timeout 90 docker "$@"; }
ids=()
cleanup() { for i in "${ids[@]}"; do docker rm -f "$i" >/dev/null 2>&1; done; }
trap cleanup EXIT

id=$(D run -d --runtime="$DOCKER_RUNTIME" "$DOCKER_IMAGE" \
	sh -c 'trap "echo got usr1" USR1; echo ready; while :; do sleep 0.1; done') || fail "run -d"
ids+=("$id")
for i in $(seq 50); do D logs "$id" 2>&1 | grep -q ready && break; sleep 0.1; done
D kill -s USR1 "$id" >/dev/null || fail "docker kill -s USR1"
for i in $(seq 50); do D logs "$id" 2>&1 | grep -q "got usr1" && break; sleep 0.1; done
D logs "$id" 2>&1 | grep -q "got usr1" || fail "USR1 handler did not run: $(D logs "$id" 2>&1)"
D inspect -f '{{.State.Running}}' "$id" | grep -q true || fail "container died on USR1"

id=$(D run -d --runtime="$DOCKER_RUNTIME" "$DOCKER_IMAGE" sleep 100) || fail "run -d sleep"
ids+=("$id")
t0=$(date +%s)
D stop -t 2 "$id" >/dev/null || fail "docker stop"
t1=$(date +%s)
code=$(D inspect -f '{{.State.ExitCode}}' "$id")
[ "$code" = 137 ] || fail "docker stop of sleep: exit $code, wanted 137"
[ $((t1 - t0)) -ge 2 ] || fail "docker stop did not wait for the timeout ($((t1 - t0))s)"
exit 0
