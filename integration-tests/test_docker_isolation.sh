#!/usr/bin/env bash
# docker_run_is_isolated: inside, ps shows only the container's processes and
# uname -r shows visor's kernel; on the host, the Sentry, the Gofer and the
# stubs run under seccomp (Seccomp: 2) and the Sentry's root is empty.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup

out=$(dr "$DOCKER_IMAGE" uname -r) || fail "uname: $out"
[ "$out" = 6.1.0-visor ] || fail "uname -r inside: $out"

out=$(dr "$DOCKER_IMAGE" sh -c 'sleep 5 & ps -o pid,comm') || fail "ps: $out"
n=$(echo "$out" | grep -vc PID)
[ "$n" -le 3 ] || fail "ps inside shows $n processes: $out"
echo "$out" | grep -q dockerd && fail "host processes visible: $out"

name=visor-isolation-$$
docker run -d --name "$name" --runtime="$DOCKER_RUNTIME" "$DOCKER_IMAGE" sleep 30 >/dev/null || fail "run -d"
trap 'docker rm -f "$name" >/dev/null 2>&1' EXIT
sentry=$(docker inspect -f '{{.State.Pid}}' "$name")
[ -n "$sentry" ] && [ "$sentry" -gt 0 ] || fail "no sentry pid"
tr '\0' ' ' </proc/"$sentry"/cmdline | grep -q ' boot ' || fail "pid $sentry is not the Sentry"
grep -q '^Seccomp:[[:space:]]*2' /proc/"$sentry"/status || fail "Sentry not under seccomp"
[ -z "$(ls -A /proc/"$sentry"/root)" ] || fail "Sentry root not empty"
stubs=$(pgrep -P "$sentry")
[ -n "$stubs" ] || fail "no stub processes"
for s in $stubs; do
	grep -q '^Seccomp:[[:space:]]*2' /proc/"$s"/status || fail "stub $s not under seccomp"
done
gofer=$(pgrep -f "visor.* gofer " | while read -r p; do
	grep -q "$(docker inspect -f '{{.Id}}' "$name" | cut -c1-12)" /proc/"$p"/cmdline 2>/dev/null && echo "$p"
done | head -1)
if [ -z "$gofer" ]; then
	# The gofer is the Sentry's sibling: same parent (the runtime's create
	# exits, so both are reparented to the shim).
	gofer=$(pgrep -P "$(awk '/^PPid/ {print $2}' /proc/"$sentry"/status)" -f " gofer " | head -1)
fi
[ -n "$gofer" ] || fail "no gofer process found"
grep -q '^Seccomp:[[:space:]]*2' /proc/"$gofer"/status || fail "Gofer not under seccomp"
exit 0
