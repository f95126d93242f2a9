#!/usr/bin/env bash
# docker_run_options_reach_app: -e, -w, -u UID:GID and --hostname are what
# the app sees.
set -u
. "$(dirname "$0")/lib.sh"
docker_setup
out=$(dr -e FOO=bar -w /tmp -u 1000:1000 --hostname visorhost visor-busybox \
	sh -c 'echo $FOO; pwd; id -u; id -g; hostname' 2>&1) || fail "docker run: $out"
[ "$out" = "$(printf 'bar\n/tmp\n1000\n1000\nvisorhost')" ] || fail "options not applied: $out"
out=$(dr -u 1000:1000 visor-busybox id 2>&1) || fail "id: $out"
echo "$out" | grep -q '^uid=1000' || fail "id printed: $out"
exit 0
